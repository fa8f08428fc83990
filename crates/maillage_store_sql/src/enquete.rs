//! `EnqueteStore`: questionnaire versions, campaigns, surveyors, the visit list, visits and
//! answers (see `maillage_store::enquete`).

/// The questionnaires' `SELECT`. Used by [`enquete_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_enquete_questionnaires {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            QuestionnaireRow,
            r#"SELECT id AS "id!: i64", code AS "code!: String", version AS "version!: i64",
                      contenu AS "contenu!: String", created_at AS "created_at!: DateTime<Utc>"
               FROM enquete_questionnaires "# + $where $(, $arg)*
        )
    };
}

/// The campaigns' `SELECT`. Used by [`enquete_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_enquete_campagnes {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            CampagneRow,
            r#"SELECT id AS "id!: i64", intitule AS "intitule!: String",
                      territoire AS "territoire!: String", debut AS "debut!: NaiveDate",
                      fin AS "fin!: NaiveDate", questionnaire_id AS "questionnaire_id!: i64",
                      consentement AS "consentement!: String", cree_par AS "cree_par!: String",
                      created_at AS "created_at!: DateTime<Utc>",
                      collecte_commencee_at AS "collecte_commencee_at?: DateTime<Utc>"
               FROM enquete_campagnes "# + $where $(, $arg)*
        )
    };
}

/// Implements `maillage_store::enquete::EnqueteStore` for the backend `$store` whose
/// `sqlx::Database` is `$db`.
///
/// The backend provides `async fn begin_write(&self)`: a write transaction (SQLite:
/// `BEGIN IMMEDIATE`). The invoking module imports the backend's `DbResult` (for `.db()`).
///
/// Sync sorts each batch by UUID before inserting: two concurrent batches sharing UUIDs
/// then take the unique index's entries in the same order and cannot deadlock.
#[macro_export]
macro_rules! enquete_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use ::chrono::{DateTime, NaiveDate, Utc};
            use ::maillage_store::enquete::{
                AdresseRow, AvancementRow, CampagneRow, CibleRow, CompteCommuneRow, CoupDeMainRow,
                EnqueteurRow, ModificationCampagne, NewAdresse, NewCampagne, NewQuestionnaire, NewReponse, NewVisite,
                QuestionnaireRow, ReponseRow, Synchro, VisiteRow,
            };
            use ::maillage_store::StoreResult;

            #[::async_trait::async_trait]
            impl ::maillage_store::enquete::EnqueteStore for $store {
                async fn creer_questionnaire(&self, q: &NewQuestionnaire) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO enquete_questionnaires (code, version, contenu, created_at)
                           VALUES ($1, $2, $3, $4)
                           RETURNING id AS "id!: i64""#,
                        q.code,
                        q.version,
                        q.contenu,
                        q.created_at
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn questionnaire(&self, id: i64) -> StoreResult<Option<QuestionnaireRow>> {
                    $crate::__select_enquete_questionnaires!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn questionnaires(&self) -> StoreResult<Vec<QuestionnaireRow>> {
                    $crate::__select_enquete_questionnaires!("ORDER BY code, version")
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn creer_campagne(&self, c: &NewCampagne) -> StoreResult<i64> {
                    let mut tx = self.begin_write().await?;
                    let id = ::sqlx::query_scalar!(
                        r#"INSERT INTO enquete_campagnes (intitule, territoire, debut, fin,
                                                          questionnaire_id, consentement,
                                                          cree_par, created_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                           RETURNING id AS "id!: i64""#,
                        c.intitule,
                        c.territoire,
                        c.debut,
                        c.fin,
                        c.questionnaire_id,
                        c.consentement,
                        c.cree_par,
                        c.created_at
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    for (commune, cible) in &c.cibles {
                        ::sqlx::query!(
                            "INSERT INTO enquete_cibles (campagne_id, commune, cible_menages)
                             VALUES ($1, $2, $3)",
                            id,
                            commune,
                            cible
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(id)
                }

                async fn campagne(&self, id: i64) -> StoreResult<Option<CampagneRow>> {
                    $crate::__select_enquete_campagnes!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn campagnes(&self) -> StoreResult<Vec<CampagneRow>> {
                    $crate::__select_enquete_campagnes!("ORDER BY id")
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn cibles(&self, campagne_id: i64) -> StoreResult<Vec<CibleRow>> {
                    ::sqlx::query_as!(
                        CibleRow,
                        r#"SELECT commune AS "commune!: String",
                                  cible_menages AS "cible_menages!: i64"
                           FROM enquete_cibles WHERE campagne_id = $1 ORDER BY commune"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn changer_questionnaire(
                    &self,
                    campagne_id: i64,
                    questionnaire_id: i64,
                ) -> StoreResult<bool> {
                    let r = ::sqlx::query!(
                        "UPDATE enquete_campagnes SET questionnaire_id = $1
                         WHERE id = $2 AND collecte_commencee_at IS NULL",
                        questionnaire_id,
                        campagne_id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected() == 1)
                }

                async fn modifier_campagne(
                    &self,
                    id: i64,
                    m: &ModificationCampagne,
                ) -> StoreResult<bool> {
                    let r = ::sqlx::query!(
                        "UPDATE enquete_campagnes SET intitule = $1, debut = $2, fin = $3,
                             consentement = CASE WHEN collecte_commencee_at IS NULL THEN $4
                                                 ELSE consentement END
                         WHERE id = $5",
                        m.intitule,
                        m.debut,
                        m.fin,
                        m.consentement,
                        id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected() == 1)
                }

                async fn ajouter_enqueteur(
                    &self,
                    campagne_id: i64,
                    compte_id: i64,
                    communes: &str,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO enquete_enqueteurs (campagne_id, compte_id, communes)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (campagne_id, compte_id) DO UPDATE SET communes = $3",
                        campagne_id,
                        compte_id,
                        communes
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn enqueteurs(&self, campagne_id: i64) -> StoreResult<Vec<EnqueteurRow>> {
                    ::sqlx::query_as!(
                        EnqueteurRow,
                        r#"SELECT campagne_id AS "campagne_id!: i64", compte_id AS "compte_id!: i64",
                                  communes AS "communes!: String"
                           FROM enquete_enqueteurs WHERE campagne_id = $1 ORDER BY compte_id"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn ajouter_adresses(
                    &self,
                    campagne_id: i64,
                    adresses: &[NewAdresse],
                ) -> StoreResult<Vec<i64>> {
                    let mut tx = self.begin_write().await?;
                    let mut ids = Vec::with_capacity(adresses.len());
                    for a in adresses {
                        let id = ::sqlx::query_scalar!(
                            r#"INSERT INTO enquete_adresses (campagne_id, commune, iris, adresse,
                                                             enqueteur_compte_id)
                               VALUES ($1, $2, $3, $4, $5)
                               RETURNING id AS "id!: i64""#,
                            campagne_id,
                            a.commune,
                            a.iris,
                            a.adresse,
                            a.enqueteur_compte_id
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        ids.push(id);
                    }
                    tx.commit().await.db()?;
                    Ok(ids)
                }

                async fn adresses(&self, campagne_id: i64) -> StoreResult<Vec<AdresseRow>> {
                    ::sqlx::query_as!(
                        AdresseRow,
                        r#"SELECT id AS "id!: i64", campagne_id AS "campagne_id!: i64",
                                  commune AS "commune!: String", iris AS "iris?: String",
                                  adresse AS "adresse!: String",
                                  enqueteur_compte_id AS "enqueteur_compte_id?: i64"
                           FROM enquete_adresses WHERE campagne_id = $1 ORDER BY id"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn enregistrer_visites(&self, visites: &[NewVisite]) -> StoreResult<Synchro> {
                    let mut ordre: Vec<&NewVisite> = visites.iter().collect();
                    ordre.sort_by(|a, b| a.uuid.cmp(&b.uuid));
                    let mut synchro = Synchro::default();
                    if ordre.is_empty() {
                        return Ok(synchro);
                    }
                    let mut tx = self.begin_write().await?;
                    let mut campagnes: Vec<(i64, DateTime<Utc>)> = Vec::new();
                    for v in ordre {
                        let r = ::sqlx::query!(
                            "INSERT INTO enquete_visites (uuid, campagne_id, adresse_id, issue,
                                                          revisite, enqueteur_compte_id,
                                                          visite_at, recu_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                             ON CONFLICT (uuid) DO NOTHING",
                            v.uuid,
                            v.campagne_id,
                            v.adresse_id,
                            v.issue,
                            v.revisite,
                            v.enqueteur_compte_id,
                            v.visite_at,
                            v.recu_at
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                        if r.rows_affected() == 1 {
                            synchro.nouveaux.push(v.uuid.clone());
                            if !campagnes.iter().any(|(c, _)| *c == v.campagne_id) {
                                campagnes.push((v.campagne_id, v.recu_at));
                            }
                        } else {
                            synchro.deja_recus.push(v.uuid.clone());
                        }
                    }
                    for (campagne_id, at) in campagnes {
                        ::sqlx::query!(
                            "UPDATE enquete_campagnes SET collecte_commencee_at = $1
                             WHERE id = $2 AND collecte_commencee_at IS NULL",
                            at,
                            campagne_id
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(synchro)
                }

                async fn visites(&self, campagne_id: i64) -> StoreResult<Vec<VisiteRow>> {
                    ::sqlx::query_as!(
                        VisiteRow,
                        r#"SELECT id AS "id!: i64", uuid AS "uuid!: String",
                                  campagne_id AS "campagne_id!: i64",
                                  adresse_id AS "adresse_id!: i64", issue AS "issue!: String",
                                  revisite AS "revisite?: NaiveDate",
                                  enqueteur_compte_id AS "enqueteur_compte_id!: i64",
                                  visite_at AS "visite_at!: DateTime<Utc>",
                                  recu_at AS "recu_at!: DateTime<Utc>"
                           FROM enquete_visites WHERE campagne_id = $1
                           ORDER BY visite_at, id"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn enregistrer_reponses(&self, reponses: &[NewReponse]) -> StoreResult<Synchro> {
                    let mut ordre: Vec<&NewReponse> = reponses.iter().collect();
                    ordre.sort_by(|a, b| a.uuid.cmp(&b.uuid));
                    let mut synchro = Synchro::default();
                    if ordre.is_empty() {
                        return Ok(synchro);
                    }
                    let mut tx = self.begin_write().await?;
                    let mut campagnes: Vec<(i64, DateTime<Utc>)> = Vec::new();
                    for r in ordre {
                        let fait = ::sqlx::query!(
                            "INSERT INTO enquete_reponses (uuid, campagne_id, questionnaire_id,
                                                           commune, iris, reponses,
                                                           score_information, score_communication,
                                                           score_resolution, score_logiciels,
                                                           internet_3mois, illectronisme,
                                                           collecte_at, recu_at, personnes_foyer)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                                     $15)
                             ON CONFLICT (uuid) DO NOTHING",
                            r.uuid,
                            r.campagne_id,
                            r.questionnaire_id,
                            r.commune,
                            r.iris,
                            r.reponses,
                            r.score_information,
                            r.score_communication,
                            r.score_resolution,
                            r.score_logiciels,
                            r.internet_3mois,
                            r.illectronisme,
                            r.collecte_at,
                            r.recu_at,
                            r.personnes_foyer
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                        if fait.rows_affected() == 1 {
                            synchro.nouveaux.push(r.uuid.clone());
                            if !campagnes.iter().any(|(c, _)| *c == r.campagne_id) {
                                campagnes.push((r.campagne_id, r.recu_at));
                            }
                        } else {
                            synchro.deja_recus.push(r.uuid.clone());
                        }
                    }
                    for (campagne_id, at) in campagnes {
                        ::sqlx::query!(
                            "UPDATE enquete_campagnes SET collecte_commencee_at = $1
                             WHERE id = $2 AND collecte_commencee_at IS NULL",
                            at,
                            campagne_id
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(synchro)
                }

                async fn reponses(&self, campagne_id: i64) -> StoreResult<Vec<ReponseRow>> {
                    ::sqlx::query_as!(
                        ReponseRow,
                        r#"SELECT id AS "id!: i64", uuid AS "uuid!: String",
                                  campagne_id AS "campagne_id!: i64",
                                  questionnaire_id AS "questionnaire_id!: i64",
                                  commune AS "commune!: String", iris AS "iris?: String",
                                  reponses AS "reponses!: String",
                                  score_information AS "score_information!: i64",
                                  score_communication AS "score_communication!: i64",
                                  score_resolution AS "score_resolution!: i64",
                                  score_logiciels AS "score_logiciels!: i64",
                                  internet_3mois AS "internet_3mois!: bool",
                                  illectronisme AS "illectronisme!: bool",
                                  collecte_at AS "collecte_at!: DateTime<Utc>",
                                  recu_at AS "recu_at!: DateTime<Utc>"
                           FROM enquete_reponses WHERE campagne_id = $1 ORDER BY id"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn comptes_par_commune(
                    &self,
                    campagne_id: i64,
                ) -> StoreResult<Vec<CompteCommuneRow>> {
                    ::sqlx::query_as!(
                        CompteCommuneRow,
                        r#"SELECT commune AS "commune!: String", COUNT(*) AS "reponses!: i64",
                                  SUM(CASE WHEN illectronisme THEN 1 ELSE 0 END)
                                      AS "illectronisme!: i64",
                                  SUM(CASE WHEN personnes_foyer = 1 THEN 1 ELSE 0 END)
                                      AS "seuls!: i64",
                                  SUM(CASE WHEN personnes_foyer = 1 AND illectronisme
                                      THEN 1 ELSE 0 END) AS "seuls_illectronisme!: i64",
                                  SUM(CASE WHEN personnes_foyer > 1 THEN 1 ELSE 0 END)
                                      AS "plusieurs!: i64",
                                  SUM(CASE WHEN personnes_foyer > 1 AND illectronisme
                                      THEN 1 ELSE 0 END) AS "plusieurs_illectronisme!: i64"
                           FROM enquete_reponses WHERE campagne_id = $1
                           GROUP BY commune ORDER BY commune"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn avancement(&self, campagne_id: i64) -> StoreResult<Vec<AvancementRow>> {
                    ::sqlx::query_as!(
                        AvancementRow,
                        r#"SELECT a.commune AS "commune!: String", v.issue AS "issue!: String",
                                  COUNT(*) AS "visites!: i64"
                           FROM enquete_visites v JOIN enquete_adresses a ON a.id = v.adresse_id
                           WHERE v.campagne_id = $1
                           GROUP BY a.commune, v.issue ORDER BY a.commune, v.issue"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn compter_coup_de_main(
                    &self,
                    campagne_id: i64,
                    commune: &str,
                    genre: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO enquete_coups_de_main (campagne_id, commune, genre, donne_at)
                         VALUES ($1, $2, $3, $4)",
                        campagne_id,
                        commune,
                        genre,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn coups_de_main(&self, campagne_id: i64) -> StoreResult<Vec<CoupDeMainRow>> {
                    ::sqlx::query_as!(
                        CoupDeMainRow,
                        r#"SELECT genre AS "genre!: String", COUNT(*) AS "nombre!: i64"
                           FROM enquete_coups_de_main WHERE campagne_id = $1
                           GROUP BY genre ORDER BY genre"#,
                        campagne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }
            }
        };
    };
}
