//! `CompetencesStore`: assessment results, anonymised answers, calibration versions.

/// The results' `SELECT` joined with their domains, completed by a `WHERE …` literal on
/// `r` (the result), ordered by result then domain. Used by [`competences_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_resultats_competences {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            LigneResultat,
            r#"SELECT r.id AS "id!: i64", r.calibration AS "calibration!: i64",
                      r.questions AS "questions!: i64", r.commune AS "commune?: String",
                      r.beneficiaire_id AS "beneficiaire_id?: i64",
                      r.personne_id AS "personne_id?: i64",
                      r.mediateur_id AS "mediateur_id?: i64",
                      r.structure_id AS "structure_id?: i64",
                      r.consentement AS "consentement?: String",
                      r.created_at AS "created_at!: DateTime<Utc>",
                      d.domaine AS "domaine!: String", d.theta AS "theta!: f64",
                      d.ecart AS "ecart!: f64", d.bande AS "bande!: String",
                      d.questions AS "domaine_questions!: i64"
               FROM competences_resultats r
               JOIN competences_domaines d ON d.resultat_id = r.id "# + $where
                + " ORDER BY r.created_at, r.id, d.domaine" $(, $arg)*
        )
    };
}

/// Implements `maillage_store::competences::CompetencesStore` for the backend `$store`.
///
/// The backend provides nothing beyond `begin_write`, `pool` and `DbResult` (see the
/// crate's documentation): every query is portable.
#[macro_export]
macro_rules! competences_store {
    ($store:ty) => {
        const _: () = {
            use ::chrono::{DateTime, Utc};
            use ::maillage_store::competences::{
                valider_calibration, valider_resultat, CalibrationRow, CelluleAgregat,
                DomaineResultatRow, NewResultatCompetences, ParametreItemRow, ReponseAnonymeRow,
                ResultatCompetencesRow,
            };
            use ::maillage_store::{StoreError, StoreResult};

            struct LigneResultat {
                id: i64,
                calibration: i64,
                questions: i64,
                commune: Option<String>,
                beneficiaire_id: Option<i64>,
                personne_id: Option<i64>,
                mediateur_id: Option<i64>,
                structure_id: Option<i64>,
                consentement: Option<String>,
                created_at: DateTime<Utc>,
                domaine: String,
                theta: f64,
                ecart: f64,
                bande: String,
                domaine_questions: i64,
            }

            /// Rows ordered by result, one per domain → one result each.
            fn regrouper(lignes: Vec<LigneResultat>) -> Vec<ResultatCompetencesRow> {
                let mut out: Vec<ResultatCompetencesRow> = Vec::new();
                for l in lignes {
                    let domaine = DomaineResultatRow {
                        domaine: l.domaine,
                        theta: l.theta,
                        ecart: l.ecart,
                        bande: l.bande,
                        questions: l.domaine_questions,
                    };
                    match out.last_mut() {
                        Some(r) if r.id == l.id => r.domaines.push(domaine),
                        _ => out.push(ResultatCompetencesRow {
                            id: l.id,
                            calibration: l.calibration,
                            questions: l.questions,
                            commune: l.commune,
                            beneficiaire_id: l.beneficiaire_id,
                            personne_id: l.personne_id,
                            mediateur_id: l.mediateur_id,
                            structure_id: l.structure_id,
                            consentement: l.consentement,
                            created_at: l.created_at,
                            domaines: vec![domaine],
                        }),
                    }
                }
                out
            }

            #[::async_trait::async_trait]
            impl ::maillage_store::competences::CompetencesStore for $store {
                async fn create_resultat_competences(
                    &self,
                    r: &NewResultatCompetences,
                ) -> StoreResult<i64> {
                    valider_resultat(r)?;
                    let mut tx = self.begin_write().await?;
                    let id = ::sqlx::query_scalar!(
                        r#"INSERT INTO competences_resultats (calibration, questions, commune,
                               beneficiaire_id, personne_id, mediateur_id, structure_id,
                               consentement, created_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                           RETURNING id AS "id!: i64""#,
                        r.calibration,
                        r.questions,
                        r.commune,
                        r.beneficiaire_id,
                        r.personne_id,
                        r.mediateur_id,
                        r.structure_id,
                        r.consentement,
                        r.created_at
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    for d in &r.domaines {
                        ::sqlx::query!(
                            r#"INSERT INTO competences_domaines (resultat_id, domaine, theta,
                                   ecart, bande, questions)
                               VALUES ($1, $2, $3, $4, $5, $6)"#,
                            id,
                            d.domaine,
                            d.theta,
                            d.ecart,
                            d.bande,
                            d.questions
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    for a in &r.reponses {
                        ::sqlx::query!(
                            r#"INSERT INTO competences_reponses (passation, item, reponse,
                                   calibration)
                               VALUES ($1, $2, $3, $4)"#,
                            a.passation,
                            a.item,
                            a.reponse,
                            a.calibration
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(id)
                }

                async fn resultat_competences(
                    &self,
                    id: i64,
                ) -> StoreResult<Option<ResultatCompetencesRow>> {
                    let lignes = $crate::__select_resultats_competences!("WHERE r.id = $1", id)
                        .fetch_all(&self.pool)
                        .await
                        .db()?;
                    Ok(regrouper(lignes).pop())
                }

                async fn resultats_du_beneficiaire(
                    &self,
                    beneficiaire_id: i64,
                ) -> StoreResult<Vec<ResultatCompetencesRow>> {
                    let lignes = $crate::__select_resultats_competences!(
                        "WHERE r.beneficiaire_id = $1",
                        beneficiaire_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(regrouper(lignes))
                }

                async fn deplacer_resultats_beneficiaire(
                    &self,
                    absorbe: i64,
                    garde: i64,
                ) -> StoreResult<u64> {
                    let r = ::sqlx::query!(
                        "UPDATE competences_resultats SET beneficiaire_id = $1
                         WHERE beneficiaire_id = $2",
                        garde,
                        absorbe
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected())
                }

                async fn resultats_de_personne(
                    &self,
                    personne_id: i64,
                ) -> StoreResult<Vec<ResultatCompetencesRow>> {
                    let lignes = $crate::__select_resultats_competences!(
                        "WHERE r.personne_id = $1",
                        personne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(regrouper(lignes))
                }

                async fn resultats_avec_beneficiaire(
                    &self,
                ) -> StoreResult<Vec<ResultatCompetencesRow>> {
                    let lignes = $crate::__select_resultats_competences!(
                        "WHERE r.beneficiaire_id IS NOT NULL"
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(regrouper(lignes))
                }

                async fn agregats_competences(&self) -> StoreResult<Vec<CelluleAgregat>> {
                    ::sqlx::query_as!(
                        CelluleAgregat,
                        r#"SELECT r.commune AS "commune!: String", d.domaine AS "domaine!: String",
                                  d.bande AS "bande!: String",
                                  CAST(COUNT(*) AS BIGINT) AS "nombre!: i64"
                           FROM competences_resultats r
                           JOIN competences_domaines d ON d.resultat_id = r.id
                           WHERE r.commune IS NOT NULL
                           GROUP BY r.commune, d.domaine, d.bande
                           ORDER BY r.commune, d.domaine, d.bande"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn reponses_anonymes(&self) -> StoreResult<Vec<ReponseAnonymeRow>> {
                    ::sqlx::query_as!(
                        ReponseAnonymeRow,
                        r#"SELECT passation AS "passation!: String", item AS "item!: String",
                                  reponse AS "reponse!: String",
                                  calibration AS "calibration!: i64"
                           FROM competences_reponses ORDER BY id"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn create_calibration(&self, c: &CalibrationRow) -> StoreResult<()> {
                    valider_calibration(c)?;
                    let mut tx = self.begin_write().await?;
                    let existe = ::sqlx::query_scalar!(
                        r#"SELECT version AS "v!: i64" FROM competences_calibrations
                           WHERE version = $1"#,
                        c.version
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                    if existe.is_some() {
                        return Err(StoreError::Conflict(format!(
                            "calibration version {} exists",
                            c.version
                        )));
                    }
                    ::sqlx::query!(
                        r#"INSERT INTO competences_calibrations (version, methode, created_at)
                           VALUES ($1, $2, $3)"#,
                        c.version,
                        c.methode,
                        c.created_at
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    for p in &c.parametres {
                        ::sqlx::query!(
                            r#"INSERT INTO competences_parametres (version, item, difficulte,
                                   discrimination)
                               VALUES ($1, $2, $3, $4)"#,
                            c.version,
                            p.item,
                            p.difficulte,
                            p.discrimination
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(())
                }

                async fn calibrations(&self) -> StoreResult<Vec<CalibrationRow>> {
                    let entetes = ::sqlx::query!(
                        r#"SELECT version AS "version!: i64", methode AS "methode!: String",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM competences_calibrations ORDER BY version"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    let parametres = ::sqlx::query!(
                        r#"SELECT version AS "version!: i64", item AS "item!: String",
                                  difficulte AS "difficulte!: f64",
                                  discrimination AS "discrimination!: f64"
                           FROM competences_parametres ORDER BY version, item"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    let mut out: Vec<CalibrationRow> = entetes
                        .into_iter()
                        .map(|e| CalibrationRow {
                            version: e.version,
                            methode: e.methode,
                            created_at: e.created_at,
                            parametres: Vec::new(),
                        })
                        .collect();
                    for p in parametres {
                        if let Some(c) = out.iter_mut().find(|c| c.version == p.version) {
                            c.parametres.push(ParametreItemRow {
                                item: p.item,
                                difficulte: p.difficulte,
                                discrimination: p.discrimination,
                            });
                        }
                    }
                    Ok(out)
                }
            }
        };
    };
}
