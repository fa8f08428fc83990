//! `EvenementsStore`: tours, events, sessions, capacity pools and registrations.

/// The registrations' `SELECT`, completed by a `WHERE …` literal. Used by
/// [`evenements_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_inscriptions {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            InscriptionRow,
            r#"SELECT id AS "id!: i64", session_id AS "session_id!: i64",
                      uuid AS "uuid!: String", prenom AS "prenom!: String",
                      contact AS "contact?: String", statut AS "statut!: String",
                      cle AS "cle!: String", jeton_hash AS "jeton_hash!: String",
                      created_at AS "created_at!: DateTime<Utc>",
                      updated_at AS "updated_at!: DateTime<Utc>",
                      personne_id AS "personne_id?: i64",
                      offre_jusqu_a AS "offre_jusqu_a?: DateTime<Utc>"
               FROM inscriptions "# + $where $(, $arg)*
        )
    };
}

/// The events' `SELECT`, completed by a `WHERE …` literal. Used by [`evenements_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_evenements {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            LigneEvenement,
            r#"SELECT id AS "id!: i64", tournee_id AS "tournee_id?: i64",
                      type_evenement AS "type_evenement!: String", titre AS "titre!: String",
                      description AS "description?: String", commune AS "commune!: String",
                      adresse AS "adresse?: String", lieu_id AS "lieu_id?: String",
                      debut AS "debut!: DateTime<Utc>", fin AS "fin!: DateTime<Utc>",
                      statut AS "statut!: String",
                      accessibilite_mobilite AS "accessibilite_mobilite?: String",
                      accessibilite_auditif AS "accessibilite_auditif?: String",
                      accessibilite_visuel AS "accessibilite_visuel?: String",
                      accessibilite_mental AS "accessibilite_mental?: String",
                      structure_id AS "structure_id?: i64",
                      created_at AS "created_at!: DateTime<Utc>"
               FROM evenements "# + $where $(, $arg)*
        )
    };
}

/// The sessions' `SELECT` with their jauge's figures, completed by a `WHERE …` literal on
/// `s` (the session) and `j` (its jauge). Used by [`evenements_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_sessions_evenement {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            SessionEvenementRow,
            r#"SELECT s.id AS "id!: i64", s.evenement_id AS "evenement_id!: i64",
                      s.titre AS "titre!: String", s.type_session AS "type_session!: String",
                      s.debut AS "debut!: DateTime<Utc>", s.fin AS "fin!: DateTime<Utc>",
                      s.salle AS "salle?: String", s.jauge_id AS "jauge_id!: i64",
                      j.nom AS "jauge?: String", j.capacite AS "capacite!: i64",
                      CAST((SELECT COUNT(*) FROM inscriptions i
                        WHERE i.jauge_id = s.jauge_id AND (i.statut IN ('inscrit', 'present')
                              OR (i.statut = 'liste_attente' AND i.offre_jusqu_a IS NOT NULL)))
                       + (SELECT COUNT(*) FROM evenements_pointages p
                          WHERE p.jauge_id = s.jauge_id AND p.inscription_id IS NULL)
                       + (SELECT COALESCE(SUM(a.places), 0) FROM evenements_allocations a
                          WHERE a.jauge_id = s.jauge_id) AS BIGINT)
                        AS "inscrits!: i64",
                      (SELECT COUNT(*) FROM inscriptions i
                        WHERE i.jauge_id = s.jauge_id AND i.statut = 'liste_attente'
                          AND i.offre_jusqu_a IS NULL)
                        AS "en_attente!: i64"
               FROM evenements_sessions s JOIN evenements_jauges j ON j.id = s.jauge_id "#
                + $where $(, $arg)*
        )
    };
}

/// Implements `maillage_store::evenements::EvenementsStore` for the backend `$store` whose
/// `sqlx::Database` is `$db`.
///
/// The backend provides:
/// - `async fn lock_jauge(&self, jauge_id: i64) -> StoreResult<sqlx::Transaction<'static, $db>>`:
///   a write transaction that holds the jauge's lock until it ends (PostgreSQL: its row
///   `FOR UPDATE`; SQLite: the write lock of `BEGIN IMMEDIATE`), so that counting its seats
///   and inserting cannot interleave with another registration to it.
///
/// - `async fn lock_jauges(&self, ids: &[i64]) -> StoreResult<sqlx::Transaction<'static, $db>>`:
///   the same for several jauges at once (`ids` sorted, distinct; PostgreSQL: their rows
///   `FOR UPDATE` in id order), for a batch of registrations.
///
/// - `async fn lock_jauges_evenement(&self, evenement_id: i64) -> StoreResult<sqlx::Transaction<'static, $db>>`:
///   a write transaction holding every jauge of the event (PostgreSQL: their rows
///   `FOR UPDATE` in id order; SQLite: `BEGIN IMMEDIATE`), for the check-in batches and
///   the devices' allotments.
///
/// - `async fn inserer_inscriptions(conn: &mut <$db as sqlx::Database>::Connection, lignes: &[(&NewInscription, i64, &str)]) -> StoreResult<Vec<i64>>`:
///   inserts registrations `(registration, jauge, statut)` (a batch, or one) and returns
///   their ids in the same order (PostgreSQL: one statement over `UNNEST`; SQLite: row by
///   row, no network between them). The only text of that `INSERT` in each backend.
///
/// The invoking module imports the backend's `DbResult` (for `.db()`).
#[macro_export]
macro_rules! evenements_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use ::chrono::{DateTime, Utc};
            use ::maillage_store::evenements::{
                statut_pour, valider_evenement, Accessibilite, Annulation, EvenementRow,
                FiltreEvenements, GardeCapacite, InscriptionCreee, InscriptionRow,
                NewEvenement, NewInscription, NewSessionEvenement, NewTournee,
                SessionEvenementRow, TourneeRow, FENETRE_COURSE_ESSAI, STATUT_ANNULE,
                STATUT_ATTENTE, ActeurLocal, BilanPointages, EtatPointage, NewPointage,
                PointageRow, ModifEvenement, RefusModification, SessionModifiee,
                ConfirmationOffre, OffresTraitees,
            };
            use ::maillage_store::{StoreError, StoreResult};

            type Connexion = <$db as ::sqlx::Database>::Connection;

            struct LigneEvenement {
                id: i64,
                tournee_id: Option<i64>,
                type_evenement: String,
                titre: String,
                description: Option<String>,
                commune: String,
                adresse: Option<String>,
                lieu_id: Option<String>,
                debut: DateTime<Utc>,
                fin: DateTime<Utc>,
                statut: String,
                accessibilite_mobilite: Option<String>,
                accessibilite_auditif: Option<String>,
                accessibilite_visuel: Option<String>,
                accessibilite_mental: Option<String>,
                structure_id: Option<i64>,
                created_at: DateTime<Utc>,
            }

            impl From<LigneEvenement> for EvenementRow {
                fn from(l: LigneEvenement) -> Self {
                    EvenementRow {
                        id: l.id,
                        tournee_id: l.tournee_id,
                        type_evenement: l.type_evenement,
                        titre: l.titre,
                        description: l.description,
                        commune: l.commune,
                        adresse: l.adresse,
                        lieu_id: l.lieu_id,
                        debut: l.debut,
                        fin: l.fin,
                        statut: l.statut,
                        accessibilite: Accessibilite {
                            mobilite: l.accessibilite_mobilite,
                            auditif: l.accessibilite_auditif,
                            visuel: l.accessibilite_visuel,
                            mental: l.accessibilite_mental,
                        },
                        structure_id: l.structure_id,
                        created_at: l.created_at,
                    }
                }
            }

            /// `|a|b|c|`: a list bound as one text and matched with a portable `LIKE`.
            fn liste(valeurs: &[String]) -> String {
                if valeurs.is_empty() {
                    String::new()
                } else {
                    format!("|{}|", valeurs.join("|"))
                }
            }

            /// Seats taken in a jauge and its capacity, read on `conn`.
            async fn occupation(conn: &mut Connexion, jauge_id: i64) -> StoreResult<(i64, i64)> {
                let capacite = ::sqlx::query_scalar!(
                    r#"SELECT capacite AS "capacite!: i64" FROM evenements_jauges WHERE id = $1"#,
                    jauge_id
                )
                .fetch_one(&mut *conn)
                .await
                .db()?;
                let inscrits = ::sqlx::query_scalar!(
                    r#"SELECT CAST((SELECT COUNT(*) FROM inscriptions
                                    WHERE jauge_id = $1 AND (statut IN ('inscrit', 'present')
                                          OR (statut = 'liste_attente' AND offre_jusqu_a IS NOT NULL)))
                              + (SELECT COUNT(*) FROM evenements_pointages
                                 WHERE jauge_id = $1 AND inscription_id IS NULL)
                              + (SELECT COALESCE(SUM(places), 0) FROM evenements_allocations
                                 WHERE jauge_id = $1) AS BIGINT) AS "n!: i64""#,
                    jauge_id
                )
                .fetch_one(&mut *conn)
                .await
                .db()?;
                Ok((inscrits, capacite))
            }

            /// Offers the jauge's free seats, if any, to the first people waiting without an
            /// offer (lowest ids), held for them until `jusqu_a`; returns their ids. Runs
            /// under the jauge's lock.
            async fn offrir(
                conn: &mut Connexion,
                jauge_id: i64,
                at: DateTime<Utc>,
                jusqu_a: DateTime<Utc>,
            ) -> StoreResult<Vec<i64>> {
                let (pris, capacite) = occupation(&mut *conn, jauge_id).await?;
                let libres = capacite - pris;
                if libres <= 0 {
                    return Ok(Vec::new());
                }
                let ids = ::sqlx::query_scalar!(
                    r#"SELECT id AS "id!: i64" FROM inscriptions
                       WHERE jauge_id = $1 AND statut = 'liste_attente' AND offre_jusqu_a IS NULL
                       ORDER BY id LIMIT $2"#,
                    jauge_id,
                    libres
                )
                .fetch_all(&mut *conn)
                .await
                .db()?;
                for id in &ids {
                    ::sqlx::query!(
                        "UPDATE inscriptions SET offre_jusqu_a = $1, updated_at = $2 WHERE id = $3",
                        jusqu_a,
                        at,
                        id
                    )
                    .execute(&mut *conn)
                    .await
                    .db()?;
                }
                Ok(ids)
            }

            /// A device's allotments on an event's sessions `(session, places)`, by session.
            async fn allocations_de(
                conn: &mut Connexion,
                evenement_id: i64,
                appareil: &str,
            ) -> StoreResult<Vec<(i64, i64)>> {
                Ok(::sqlx::query!(
                    r#"SELECT a.session_id AS "session_id!: i64", a.places AS "places!: i64"
                       FROM evenements_allocations a
                       JOIN evenements_sessions s ON s.id = a.session_id
                       WHERE a.appareil = $1 AND s.evenement_id = $2
                       ORDER BY a.session_id"#,
                    appareil,
                    evenement_id
                )
                .fetch_all(&mut *conn)
                .await
                .db()?
                .into_iter()
                .map(|r| (r.session_id, r.places))
                .collect())
            }

            impl $store {
                async fn jauge_de_session(&self, session_id: i64) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT jauge_id AS "j!: i64" FROM evenements_sessions WHERE id = $1"#,
                        session_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)
                }

                /// The control run's path: count outside any lock, wait, insert.
                async fn inscrire_sans_garde(
                    &self,
                    i: &NewInscription,
                    jauge_id: i64,
                ) -> StoreResult<InscriptionCreee> {
                    let mut conn = self.pool.acquire().await.db()?;
                    let (inscrits, capacite) = occupation(&mut conn, jauge_id).await?;
                    drop(conn);
                    ::tokio::time::sleep(FENETRE_COURSE_ESSAI).await;
                    let statut = statut_pour(inscrits, capacite);
                    let mut conn = self.pool.acquire().await.db()?;
                    let id = Self::inserer_inscriptions(&mut conn, &[(i, jauge_id, statut)])
                        .await?
                        .pop()
                        .ok_or_else(|| StoreError::Database("registration not inserted".into()))?;
                    Ok(InscriptionCreee {
                        id,
                        uuid: i.uuid.clone(),
                        statut: statut.to_string(),
                    })
                }
            }

            #[::async_trait::async_trait]
            impl ::maillage_store::evenements::EvenementsStore for $store {
                async fn create_tournee(&self, t: &NewTournee) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO tournees (titre, structure_id, created_at)
                           VALUES ($1, $2, $3) RETURNING id AS "id!: i64""#,
                        t.titre,
                        t.structure_id,
                        t.created_at
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn tournee(&self, id: i64) -> StoreResult<Option<TourneeRow>> {
                    ::sqlx::query_as!(
                        TourneeRow,
                        r#"SELECT id AS "id!: i64", titre AS "titre!: String",
                                  structure_id AS "structure_id?: i64",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM tournees WHERE id = $1"#,
                        id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn create_evenement(
                    &self,
                    e: &NewEvenement,
                    sessions: &[NewSessionEvenement],
                ) -> StoreResult<(i64, Vec<i64>)> {
                    valider_evenement(e, sessions)?;
                    let mut tx = self.begin_write().await?;
                    let a = &e.accessibilite;
                    let id = ::sqlx::query_scalar!(
                        r#"INSERT INTO evenements (tournee_id, type_evenement, titre, description,
                               commune, adresse, lieu_id, debut, fin, statut,
                               accessibilite_mobilite, accessibilite_auditif,
                               accessibilite_visuel, accessibilite_mental, structure_id,
                               created_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                                   $15, $16)
                           RETURNING id AS "id!: i64""#,
                        e.tournee_id,
                        e.type_evenement,
                        e.titre,
                        e.description,
                        e.commune,
                        e.adresse,
                        e.lieu_id,
                        e.debut,
                        e.fin,
                        e.statut,
                        a.mobilite,
                        a.auditif,
                        a.visuel,
                        a.mental,
                        e.structure_id,
                        e.created_at
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    let mut jauges = Vec::with_capacity(e.jauges.len());
                    for j in &e.jauges {
                        let jid = ::sqlx::query_scalar!(
                            r#"INSERT INTO evenements_jauges (evenement_id, nom, capacite)
                               VALUES ($1, $2, $3) RETURNING id AS "id!: i64""#,
                            id,
                            j.nom,
                            j.capacite
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        jauges.push((j.nom.as_str(), jid));
                    }
                    let mut ids = Vec::with_capacity(sessions.len());
                    for s in sessions {
                        let partagee = s
                            .jauge
                            .as_deref()
                            .and_then(|nom| jauges.iter().find(|(n, _)| *n == nom))
                            .map(|(_, jid)| *jid);
                        let jauge_id = match partagee {
                            Some(jid) => jid,
                            None => ::sqlx::query_scalar!(
                                r#"INSERT INTO evenements_jauges (evenement_id, nom, capacite)
                                   VALUES ($1, NULL, $2) RETURNING id AS "id!: i64""#,
                                id,
                                s.capacite
                            )
                            .fetch_one(&mut *tx)
                            .await
                            .db()?,
                        };
                        let sid = ::sqlx::query_scalar!(
                            r#"INSERT INTO evenements_sessions (evenement_id, jauge_id, titre,
                                   type_session, debut, fin, salle)
                               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id AS "id!: i64""#,
                            id,
                            jauge_id,
                            s.titre,
                            s.type_session,
                            s.debut,
                            s.fin,
                            s.salle
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        ids.push(sid);
                    }
                    tx.commit().await.db()?;
                    Ok((id, ids))
                }

                async fn evenement(&self, id: i64) -> StoreResult<Option<EvenementRow>> {
                    Ok($crate::__select_evenements!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()?
                        .map(EvenementRow::from))
                }

                async fn evenements(
                    &self,
                    f: &FiltreEvenements,
                ) -> StoreResult<Vec<EvenementRow>> {
                    let communes = liste(&f.communes);
                    let statuts = liste(&f.statuts);
                    let limite = f.limite.max(0);
                    Ok($crate::__select_evenements!(
                        "WHERE ($1 = '' OR $1 LIKE ('%|' || commune || '|%'))
                           AND ($2 = '' OR $2 LIKE ('%|' || statut || '|%'))
                           AND fin >= COALESCE($3, fin)
                           AND type_evenement = COALESCE($4, type_evenement)
                           AND COALESCE(tournee_id, 0) = COALESCE($6, tournee_id, 0)
                         ORDER BY debut, id LIMIT $5",
                        communes,
                        statuts,
                        f.depuis,
                        f.type_evenement,
                        limite,
                        f.tournee
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?
                    .into_iter()
                    .map(EvenementRow::from)
                    .collect())
                }

                async fn set_statut_evenement(&self, id: i64, statut: &str) -> StoreResult<()> {
                    let n = ::sqlx::query!(
                        "UPDATE evenements SET statut = $1 WHERE id = $2",
                        statut,
                        id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn acteurs_of_evenement(
                    &self,
                    evenement_id: i64,
                ) -> StoreResult<Vec<ActeurLocal>> {
                    ::sqlx::query_as!(
                        ActeurLocal,
                        r#"SELECT nom AS "nom!: String", lieu_id AS "lieu_id?: String"
                           FROM evenements_acteurs WHERE evenement_id = $1 ORDER BY rang"#,
                        evenement_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn set_acteurs_evenement(
                    &self,
                    evenement_id: i64,
                    acteurs: &[ActeurLocal],
                ) -> StoreResult<()> {
                    let mut tx = self.lock_jauges_evenement(evenement_id).await?;
                    ::sqlx::query!(
                        "DELETE FROM evenements_acteurs WHERE evenement_id = $1",
                        evenement_id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    for (rang, a) in acteurs.iter().enumerate() {
                        let rang = rang as i64;
                        ::sqlx::query!(
                            "INSERT INTO evenements_acteurs (evenement_id, rang, nom, lieu_id)
                             VALUES ($1, $2, $3, $4)",
                            evenement_id,
                            rang,
                            a.nom,
                            a.lieu_id
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(())
                }

                async fn modifier_evenement(
                    &self,
                    id: i64,
                    e: &ModifEvenement,
                    sessions: &[SessionModifiee],
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    for j in &e.jauges {
                        if j.capacite < 0 {
                            return Err(StoreError::Invalid(format!(
                                "jauge {:?}: negative capacity",
                                j.nom
                            )));
                        }
                    }
                    for s in sessions {
                        if s.session.capacite < 0 {
                            return Err(StoreError::Invalid(format!(
                                "session {:?}: negative capacity",
                                s.session.titre
                            )));
                        }
                        if let Some(nom) = &s.session.jauge {
                            if !e.jauges.iter().any(|j| &j.nom == nom) {
                                return Err(StoreError::Invalid(format!(
                                    "session {:?}: unknown jauge {nom:?}",
                                    s.session.titre
                                )));
                            }
                        }
                    }
                    let mut tx = self.lock_jauges_evenement(id).await?;
                    let a = &e.accessibilite;
                    let n = ::sqlx::query!(
                        "UPDATE evenements SET type_evenement = $1, titre = $2, description = $3,
                             commune = $4, adresse = $5, lieu_id = $6, debut = $7, fin = $8,
                             accessibilite_mobilite = $9, accessibilite_auditif = $10,
                             accessibilite_visuel = $11, accessibilite_mental = $12
                         WHERE id = $13",
                        e.type_evenement,
                        e.titre,
                        e.description,
                        e.commune,
                        e.adresse,
                        e.lieu_id,
                        e.debut,
                        e.fin,
                        a.mobilite,
                        a.auditif,
                        a.visuel,
                        a.mental,
                        id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound);
                    }
                    // (session, its jauge, the jauge's name) as they are now.
                    let actuelles: Vec<(i64, i64, Option<String>)> = ::sqlx::query!(
                        r#"SELECT s.id AS "id!: i64", s.jauge_id AS "jauge_id!: i64",
                                  j.nom AS "nom?: String"
                           FROM evenements_sessions s JOIN evenements_jauges j ON j.id = s.jauge_id
                           WHERE s.evenement_id = $1 ORDER BY s.id"#,
                        id
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .db()?
                    .into_iter()
                    .map(|r| (r.id, r.jauge_id, r.nom))
                    .collect();
                    for s in sessions {
                        if let Some(sid) = s.id {
                            if !actuelles.iter().any(|(a, _, _)| *a == sid) {
                                return Err(RefusModification::SessionEtrangere(sid).en_erreur());
                            }
                        }
                    }
                    // Whether anything hangs on a session (it may then be neither removed
                    // nor moved to another pool).
                    async fn occupee(conn: &mut Connexion, sid: i64) -> StoreResult<bool> {
                        let n = ::sqlx::query_scalar!(
                            r#"SELECT CAST((SELECT COUNT(*) FROM inscriptions WHERE session_id = $1)
                                      + (SELECT COUNT(*) FROM evenements_pointages WHERE session_id = $1)
                                      + (SELECT COUNT(*) FROM evenements_allocations WHERE session_id = $1)
                                      + (SELECT COUNT(*) FROM evenements_cles_remises WHERE session_id = $1)
                                      + (SELECT COUNT(*) FROM evenements_sessions_activites
                                         WHERE session_id = $1) AS BIGINT) AS "n!: i64""#,
                            sid
                        )
                        .fetch_one(&mut *conn)
                        .await
                        .db()?;
                        Ok(n > 0)
                    }
                    for (sid, _, _) in &actuelles {
                        if sessions.iter().any(|s| s.id == Some(*sid)) {
                            continue;
                        }
                        if occupee(&mut tx, *sid).await? {
                            return Err(RefusModification::SessionOccupee(*sid).en_erreur());
                        }
                        ::sqlx::query!("DELETE FROM evenements_sessions WHERE id = $1", sid)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                    }
                    let mut pools: Vec<(String, i64)> = Vec::with_capacity(e.jauges.len());
                    for j in &e.jauges {
                        let existante = ::sqlx::query_scalar!(
                            r#"SELECT id AS "id!: i64" FROM evenements_jauges
                               WHERE evenement_id = $1 AND nom = $2"#,
                            id,
                            j.nom
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                        let jid = match existante {
                            Some(jid) => {
                                ::sqlx::query!(
                                    "UPDATE evenements_jauges SET capacite = $1 WHERE id = $2",
                                    j.capacite,
                                    jid
                                )
                                .execute(&mut *tx)
                                .await
                                .db()?;
                                jid
                            }
                            None => ::sqlx::query_scalar!(
                                r#"INSERT INTO evenements_jauges (evenement_id, nom, capacite)
                                   VALUES ($1, $2, $3) RETURNING id AS "id!: i64""#,
                                id,
                                j.nom,
                                j.capacite
                            )
                            .fetch_one(&mut *tx)
                            .await
                            .db()?,
                        };
                        pools.push((j.nom.clone(), jid));
                    }
                    let mut touchees: Vec<i64> = pools.iter().map(|(_, j)| *j).collect();
                    for s in sessions {
                        let n = &s.session;
                        let partagee = n
                            .jauge
                            .as_deref()
                            .and_then(|nom| pools.iter().find(|(p, _)| p == nom))
                            .map(|(_, jid)| *jid);
                        let avant = s
                            .id
                            .and_then(|sid| actuelles.iter().find(|(a, _, _)| *a == sid));
                        let jauge_id = match (partagee, avant) {
                            (Some(jid), _) => jid,
                            (None, Some((_, jid, None))) => {
                                ::sqlx::query!(
                                    "UPDATE evenements_jauges SET capacite = $1 WHERE id = $2",
                                    n.capacite,
                                    jid
                                )
                                .execute(&mut *tx)
                                .await
                                .db()?;
                                *jid
                            }
                            _ => ::sqlx::query_scalar!(
                                r#"INSERT INTO evenements_jauges (evenement_id, nom, capacite)
                                   VALUES ($1, NULL, $2) RETURNING id AS "id!: i64""#,
                                id,
                                n.capacite
                            )
                            .fetch_one(&mut *tx)
                            .await
                            .db()?,
                        };
                        touchees.push(jauge_id);
                        match avant {
                            Some((sid, ancienne, _)) => {
                                if *ancienne != jauge_id && occupee(&mut tx, *sid).await? {
                                    return Err(RefusModification::SessionOccupee(*sid).en_erreur());
                                }
                                ::sqlx::query!(
                                    "UPDATE evenements_sessions SET jauge_id = $1, titre = $2,
                                         type_session = $3, debut = $4, fin = $5, salle = $6
                                     WHERE id = $7",
                                    jauge_id,
                                    n.titre,
                                    n.type_session,
                                    n.debut,
                                    n.fin,
                                    n.salle,
                                    sid
                                )
                                .execute(&mut *tx)
                                .await
                                .db()?;
                            }
                            None => {
                                ::sqlx::query!(
                                    "INSERT INTO evenements_sessions (evenement_id, jauge_id, titre,
                                         type_session, debut, fin, salle)
                                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                    id,
                                    jauge_id,
                                    n.titre,
                                    n.type_session,
                                    n.debut,
                                    n.fin,
                                    n.salle
                                )
                                .execute(&mut *tx)
                                .await
                                .db()?;
                            }
                        }
                    }
                    // Pools no session uses any more (and nothing refers to) go.
                    ::sqlx::query!(
                        "DELETE FROM evenements_jauges
                         WHERE evenement_id = $1
                           AND NOT EXISTS (SELECT 1 FROM evenements_sessions s
                                           WHERE s.jauge_id = evenements_jauges.id)
                           AND NOT EXISTS (SELECT 1 FROM inscriptions i
                                           WHERE i.jauge_id = evenements_jauges.id)
                           AND NOT EXISTS (SELECT 1 FROM evenements_pointages p
                                           WHERE p.jauge_id = evenements_jauges.id)
                           AND NOT EXISTS (SELECT 1 FROM evenements_allocations a
                                           WHERE a.jauge_id = evenements_jauges.id)",
                        id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    touchees.sort_unstable();
                    touchees.dedup();
                    for jid in touchees {
                        let (prises, capacite) = occupation(&mut tx, jid).await?;
                        if prises > capacite {
                            return Err(RefusModification::CapaciteInsuffisante {
                                jauge_id: jid,
                                prises,
                                capacite,
                            }
                            .en_erreur());
                        }
                        let libres = capacite - prises;
                        if libres > 0 {
                            ::sqlx::query!(
                                "UPDATE inscriptions SET statut = 'inscrit', updated_at = $1
                                 WHERE id IN (SELECT id FROM inscriptions
                                              WHERE jauge_id = $2 AND statut = 'liste_attente'
                                                AND offre_jusqu_a IS NULL
                                              ORDER BY id LIMIT $3)",
                                at,
                                jid,
                                libres
                            )
                            .execute(&mut *tx)
                            .await
                            .db()?;
                        }
                    }
                    tx.commit().await.db()?;
                    Ok(())
                }

                async fn sessions_of_evenement(
                    &self,
                    evenement_id: i64,
                ) -> StoreResult<Vec<SessionEvenementRow>> {
                    $crate::__select_sessions_evenement!(
                        "WHERE s.evenement_id = $1 ORDER BY s.debut, s.id",
                        evenement_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn session_evenement(
                    &self,
                    id: i64,
                ) -> StoreResult<Option<SessionEvenementRow>> {
                    $crate::__select_sessions_evenement!("WHERE s.id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn create_inscription(
                    &self,
                    i: &NewInscription,
                    garde: GardeCapacite,
                ) -> StoreResult<InscriptionCreee> {
                    if garde == GardeCapacite::DesactiveePourEssai {
                        let jauge_id = self.jauge_de_session(i.session_id).await?;
                        return self.inscrire_sans_garde(i, jauge_id).await;
                    }
                    // A batch of one: the same rule, written once.
                    self.create_inscriptions(::std::slice::from_ref(i))
                        .await?
                        .pop()
                        .unwrap_or(Err(StoreError::NotFound))
                }

                async fn create_inscriptions(
                    &self,
                    lot: &[NewInscription],
                ) -> StoreResult<Vec<StoreResult<InscriptionCreee>>> {
                    use ::std::collections::BTreeMap;
                    let mut de_session: BTreeMap<i64, Option<i64>> = BTreeMap::new();
                    let mut jauges: Vec<Option<i64>> = Vec::with_capacity(lot.len());
                    for i in lot {
                        let jauge = match de_session.get(&i.session_id) {
                            Some(j) => *j,
                            None => {
                                let j = match self.jauge_de_session(i.session_id).await {
                                    Ok(j) => Some(j),
                                    Err(StoreError::NotFound) => None,
                                    Err(e) => return Err(e),
                                };
                                de_session.insert(i.session_id, j);
                                j
                            }
                        };
                        jauges.push(jauge);
                    }
                    let mut ids: Vec<i64> = jauges.iter().flatten().copied().collect();
                    ids.sort_unstable();
                    ids.dedup();
                    if ids.is_empty() {
                        return Ok(lot.iter().map(|_| Err(StoreError::NotFound)).collect());
                    }
                    let mut tx = self.lock_jauges(&ids).await?;
                    // (inscrits, capacité) per jauge, counted once under the lock, then kept
                    // up to date as the batch takes seats.
                    let mut occupations: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
                    for &j in &ids {
                        occupations.insert(j, occupation(&mut tx, j).await?);
                    }
                    // Each registration's statut, decided in arrival order, then the batch
                    // inserted at once.
                    let mut lignes: Vec<(&NewInscription, i64, &str)> =
                        Vec::with_capacity(lot.len());
                    for (i, jauge) in lot.iter().zip(&jauges) {
                        let Some(jauge) = *jauge else {
                            continue;
                        };
                        let occupation = occupations
                            .get_mut(&jauge)
                            .ok_or_else(|| StoreError::Database("jauge not locked".into()))?;
                        let statut = statut_pour(occupation.0, occupation.1);
                        if statut != STATUT_ATTENTE {
                            occupation.0 += 1;
                        }
                        lignes.push((i, jauge, statut));
                    }
                    let ids = Self::inserer_inscriptions(&mut tx, &lignes).await?;
                    if ids.len() != lignes.len() {
                        return Err(StoreError::Database(format!(
                            "{} registrations inserted for {}",
                            ids.len(),
                            lignes.len()
                        )));
                    }
                    tx.commit().await.db()?;
                    let mut faites = lignes.into_iter().zip(ids);
                    let mut sorties = Vec::with_capacity(lot.len());
                    for jauge in &jauges {
                        if jauge.is_none() {
                            sorties.push(Err(StoreError::NotFound));
                            continue;
                        }
                        let ((i, _, statut), id) = faites
                            .next()
                            .ok_or_else(|| StoreError::Database("batch row missing".into()))?;
                        sorties.push(Ok(InscriptionCreee {
                            id,
                            uuid: i.uuid.clone(),
                            statut: statut.to_string(),
                        }));
                    }
                    Ok(sorties)
                }

                async fn inscription_by_jeton(
                    &self,
                    jeton_hash: &str,
                ) -> StoreResult<Option<InscriptionRow>> {
                    $crate::__select_inscriptions!("WHERE jeton_hash = $1", jeton_hash)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn inscription_by_uuid(
                    &self,
                    uuid: &str,
                ) -> StoreResult<Option<InscriptionRow>> {
                    $crate::__select_inscriptions!("WHERE uuid = $1", uuid)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn inscriptions_of_personne(
                    &self,
                    personne_id: i64,
                ) -> StoreResult<Vec<InscriptionRow>> {
                    $crate::__select_inscriptions!(
                        "WHERE personne_id = $1 ORDER BY id DESC",
                        personne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn inscriptions_of_session(
                    &self,
                    session_id: i64,
                ) -> StoreResult<Vec<InscriptionRow>> {
                    $crate::__select_inscriptions!(
                        "WHERE session_id = $1 ORDER BY id",
                        session_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn cancel_inscription(
                    &self,
                    id: i64,
                    at: DateTime<Utc>,
                    offre_jusqu_a: DateTime<Utc>,
                ) -> StoreResult<Annulation> {
                    let jauge_id = ::sqlx::query_scalar!(
                        r#"SELECT jauge_id AS "j!: i64" FROM inscriptions WHERE id = $1"#,
                        id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)?;
                    let mut tx = self.lock_jauge(jauge_id).await?;
                    let ancien = ::sqlx::query_scalar!(
                        r#"SELECT statut AS "s!: String" FROM inscriptions WHERE id = $1"#,
                        id
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    if ancien == STATUT_ANNULE {
                        tx.commit().await.db()?;
                        return Ok(Annulation {
                            ancien_statut: ancien,
                            offerte: None,
                        });
                    }
                    ::sqlx::query!(
                        "UPDATE inscriptions SET statut = 'annule', offre_jusqu_a = NULL,
                             updated_at = $1 WHERE id = $2",
                        at,
                        id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    // The seat it held (« inscrit », or a seat offered to it) goes to the
                    // next person waiting, as an offer.
                    let offerte = offrir(&mut tx, jauge_id, at, offre_jusqu_a)
                        .await?
                        .first()
                        .copied();
                    tx.commit().await.db()?;
                    Ok(Annulation {
                        ancien_statut: ancien,
                        offerte,
                    })
                }

                async fn inscription(&self, id: i64) -> StoreResult<Option<InscriptionRow>> {
                    $crate::__select_inscriptions!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn inscriptions_a_prevenir(
                    &self,
                    nature: &str,
                    de: DateTime<Utc>,
                    a: DateTime<Utc>,
                ) -> StoreResult<Vec<InscriptionRow>> {
                    $crate::__select_inscriptions!(
                        "WHERE contact IS NOT NULL
                           AND (statut = 'inscrit' OR ($1 = 'apres' AND statut = 'present'))
                           AND NOT EXISTS (SELECT 1 FROM evenements_rappels r
                                           WHERE r.inscription_id = inscriptions.id
                                             AND r.nature = $1)
                           AND session_id IN (
                               SELECT s.id FROM evenements_sessions s
                               JOIN evenements e ON e.id = s.evenement_id
                               WHERE e.statut IN ('publie', 'termine')
                                 AND CASE WHEN $1 = 'veille' THEN s.debut ELSE s.fin END > $2
                                 AND CASE WHEN $1 = 'veille' THEN s.debut ELSE s.fin END <= $3)
                         ORDER BY id",
                        nature,
                        de,
                        a
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn marquer_rappel(
                    &self,
                    inscription_id: i64,
                    nature: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let n = ::sqlx::query!(
                        "INSERT INTO evenements_rappels (inscription_id, nature, envoye_at)
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        inscription_id,
                        nature,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn confirmer_offre(
                    &self,
                    id: i64,
                    at: DateTime<Utc>,
                ) -> StoreResult<ConfirmationOffre> {
                    let jauge_id = ::sqlx::query_scalar!(
                        r#"SELECT jauge_id AS "j!: i64" FROM inscriptions WHERE id = $1"#,
                        id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)?;
                    let mut tx = self.lock_jauge(jauge_id).await?;
                    let ligne = ::sqlx::query!(
                        r#"SELECT statut AS "statut!: String",
                                  offre_jusqu_a AS "offre_jusqu_a?: DateTime<Utc>"
                           FROM inscriptions WHERE id = $1"#,
                        id
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    let etat = match ligne.offre_jusqu_a {
                        Some(_) if ligne.statut != STATUT_ATTENTE => ConfirmationOffre::SansOffre,
                        None => ConfirmationOffre::SansOffre,
                        Some(fin) if fin <= at => ConfirmationOffre::Expiree,
                        Some(_) => {
                            ::sqlx::query!(
                                "UPDATE inscriptions SET statut = 'inscrit', offre_jusqu_a = NULL,
                                     updated_at = $1 WHERE id = $2",
                                at,
                                id
                            )
                            .execute(&mut *tx)
                            .await
                            .db()?;
                            ConfirmationOffre::Confirmee
                        }
                    };
                    tx.commit().await.db()?;
                    Ok(etat)
                }

                async fn expirer_offres(
                    &self,
                    at: DateTime<Utc>,
                    offre_jusqu_a: DateTime<Utc>,
                ) -> StoreResult<OffresTraitees> {
                    let jauges = ::sqlx::query_scalar!(
                        r#"SELECT DISTINCT jauge_id AS "j!: i64" FROM inscriptions
                           WHERE statut = 'liste_attente' AND offre_jusqu_a IS NOT NULL
                             AND offre_jusqu_a <= $1
                           ORDER BY jauge_id"#,
                        at
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    let mut faites = OffresTraitees::default();
                    for jauge_id in jauges {
                        let mut tx = self.lock_jauge(jauge_id).await?;
                        // Read again under the lock: a confirmation may have come first.
                        let expirees = ::sqlx::query_scalar!(
                            r#"SELECT id AS "id!: i64" FROM inscriptions
                               WHERE jauge_id = $1 AND statut = 'liste_attente'
                                 AND offre_jusqu_a IS NOT NULL AND offre_jusqu_a <= $2
                               ORDER BY id"#,
                            jauge_id,
                            at
                        )
                        .fetch_all(&mut *tx)
                        .await
                        .db()?;
                        for id in &expirees {
                            ::sqlx::query!(
                                "UPDATE inscriptions SET statut = 'annule', offre_jusqu_a = NULL,
                                     updated_at = $1 WHERE id = $2",
                                at,
                                id
                            )
                            .execute(&mut *tx)
                            .await
                            .db()?;
                        }
                        let offertes = offrir(&mut tx, jauge_id, at, offre_jusqu_a).await?;
                        tx.commit().await.db()?;
                        faites.expirees.extend(expirees);
                        faites.offertes.extend(offertes);
                    }
                    Ok(faites)
                }

                async fn evenements_of_structure(
                    &self,
                    structure_id: Option<i64>,
                    limite: i64,
                ) -> StoreResult<Vec<EvenementRow>> {
                    let limite = limite.max(0);
                    Ok($crate::__select_evenements!(
                        "WHERE (CAST($1 AS BIGINT) IS NULL OR structure_id = $1)
                         ORDER BY debut DESC, id DESC LIMIT $2",
                        structure_id,
                        limite
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?
                    .into_iter()
                    .map(EvenementRow::from)
                    .collect())
                }

                async fn enregistrer_pointages(
                    &self,
                    evenement_id: i64,
                    appareil: &str,
                    compte_id: i64,
                    pointages: &[NewPointage],
                    rendre: bool,
                    recu_at: DateTime<Utc>,
                ) -> StoreResult<BilanPointages> {
                    if pointages.len() > ::maillage_store::evenements::POINTAGES_PAR_LOT_MAX {
                        return Err(StoreError::Invalid("too many check-ins in one batch".into()));
                    }
                    let mut tx = self.lock_jauges_evenement(evenement_id).await?;
                    let sessions: Vec<(i64, i64)> = ::sqlx::query!(
                        r#"SELECT id AS "id!: i64", jauge_id AS "jauge_id!: i64"
                           FROM evenements_sessions WHERE evenement_id = $1"#,
                        evenement_id
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .db()?
                    .into_iter()
                    .map(|r| (r.id, r.jauge_id))
                    .collect();
                    let mut etats = Vec::with_capacity(pointages.len());
                    for p in pointages {
                        let Some(&(_, jauge_id)) =
                            sessions.iter().find(|(id, _)| *id == p.session_id)
                        else {
                            etats.push((
                                p.uuid.clone(),
                                EtatPointage::Refuse(
                                    "cette session n’est pas de cet événement".into(),
                                ),
                            ));
                            continue;
                        };
                        let mut inscription_id = None;
                        if let Some(u) = &p.inscription_uuid {
                            let trouvee = ::sqlx::query!(
                                r#"SELECT id AS "id!: i64", session_id AS "session_id!: i64"
                                   FROM inscriptions WHERE uuid = $1"#,
                                u
                            )
                            .fetch_optional(&mut *tx)
                            .await
                            .db()?;
                            match trouvee {
                                Some(r) if r.session_id == p.session_id => {
                                    inscription_id = Some(r.id)
                                }
                                _ => {
                                    etats.push((
                                        p.uuid.clone(),
                                        EtatPointage::Refuse(
                                            "inscription inconnue pour cette session".into(),
                                        ),
                                    ));
                                    continue;
                                }
                            }
                        }
                        let cree = ::sqlx::query_scalar!(
                            r#"INSERT INTO evenements_pointages (uuid, session_id, jauge_id,
                                   inscription_id, appareil, compte_id, tranche_age,
                                   statut_social, besoin, pointe_at, recu_at)
                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                               ON CONFLICT DO NOTHING
                               RETURNING id AS "id!: i64""#,
                            p.uuid,
                            p.session_id,
                            jauge_id,
                            inscription_id,
                            appareil,
                            compte_id,
                            p.tranche_age,
                            p.statut_social,
                            p.besoin,
                            p.pointe_at,
                            recu_at
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                        if cree.is_some() {
                            match inscription_id {
                                Some(iid) => {
                                    ::sqlx::query!(
                                        "UPDATE inscriptions SET statut = 'present', updated_at = $1
                                         WHERE id = $2",
                                        recu_at,
                                        iid
                                    )
                                    .execute(&mut *tx)
                                    .await
                                    .db()?;
                                }
                                None => {
                                    ::sqlx::query!(
                                        "UPDATE evenements_allocations
                                         SET places = places - 1, updated_at = $1
                                         WHERE session_id = $2 AND appareil = $3 AND places > 0",
                                        recu_at,
                                        p.session_id,
                                        appareil
                                    )
                                    .execute(&mut *tx)
                                    .await
                                    .db()?;
                                }
                            }
                            etats.push((p.uuid.clone(), EtatPointage::Cree));
                            continue;
                        }
                        let deja = ::sqlx::query_scalar!(
                            r#"SELECT id AS "id!: i64" FROM evenements_pointages WHERE uuid = $1"#,
                            p.uuid
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                        if deja.is_some() {
                            etats.push((p.uuid.clone(), EtatPointage::DejaRecu));
                            continue;
                        }
                        // The registration was checked in by another check-in.
                        let premier = ::sqlx::query!(
                            r#"SELECT id AS "id!: i64", appareil AS "appareil!: String",
                                      pointe_at AS "pointe_at!: DateTime<Utc>"
                               FROM evenements_pointages WHERE inscription_id = $1"#,
                            inscription_id
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?
                        .ok_or_else(|| StoreError::Invalid("check-in conflict without a row".into()))?;
                        ::sqlx::query!(
                            "INSERT INTO evenements_pointages_doublons
                                 (uuid, pointage_id, appareil, pointe_at)
                             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            p.uuid,
                            premier.id,
                            appareil,
                            p.pointe_at
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                        etats.push((
                            p.uuid.clone(),
                            EtatPointage::DejaPointe {
                                par_appareil: premier.appareil,
                                a: premier.pointe_at,
                            },
                        ));
                    }
                    if rendre {
                        ::sqlx::query!(
                            "DELETE FROM evenements_allocations
                             WHERE appareil = $1 AND session_id IN
                                 (SELECT id FROM evenements_sessions WHERE evenement_id = $2)",
                            appareil,
                            evenement_id
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    let allocations = allocations_de(&mut tx, evenement_id, appareil).await?;
                    let doublons_vus_ailleurs = ::sqlx::query!(
                        r#"SELECT i.uuid AS "uuid!: String", d.appareil AS "appareil!: String",
                                  d.pointe_at AS "pointe_at!: DateTime<Utc>"
                           FROM evenements_pointages_doublons d
                           JOIN evenements_pointages p ON p.id = d.pointage_id
                           JOIN inscriptions i ON i.id = p.inscription_id
                           JOIN evenements_sessions s ON s.id = p.session_id
                           WHERE p.appareil = $1 AND d.appareil <> $1 AND s.evenement_id = $2
                           ORDER BY d.pointe_at, d.uuid"#,
                        appareil,
                        evenement_id
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .db()?
                    .into_iter()
                    .map(|r| (r.uuid, r.appareil, r.pointe_at))
                    .collect();
                    tx.commit().await.db()?;
                    Ok(BilanPointages {
                        etats,
                        allocations,
                        doublons_vus_ailleurs,
                    })
                }

                async fn allouer(
                    &self,
                    evenement_id: i64,
                    appareil: &str,
                    demandes: &[(i64, i64)],
                    at: DateTime<Utc>,
                ) -> StoreResult<Vec<(i64, i64)>> {
                    let mut tx = self.lock_jauges_evenement(evenement_id).await?;
                    for &(session_id, voulu) in demandes {
                        let jauge_id = ::sqlx::query_scalar!(
                            r#"SELECT jauge_id AS "j!: i64" FROM evenements_sessions
                               WHERE id = $1 AND evenement_id = $2"#,
                            session_id,
                            evenement_id
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?
                        .ok_or(StoreError::NotFound)?;
                        let tenu = ::sqlx::query_scalar!(
                            r#"SELECT places AS "p!: i64" FROM evenements_allocations
                               WHERE session_id = $1 AND appareil = $2"#,
                            session_id,
                            appareil
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?
                        .unwrap_or(0);
                        let (pris, capacite) = occupation(&mut tx, jauge_id).await?;
                        let libres = (capacite - pris).max(0);
                        let accorde = voulu.max(0).min(libres + tenu);
                        ::sqlx::query!(
                            "INSERT INTO evenements_allocations
                                 (session_id, jauge_id, appareil, places, updated_at)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (session_id, appareil)
                             DO UPDATE SET places = excluded.places, updated_at = excluded.updated_at",
                            session_id,
                            jauge_id,
                            appareil,
                            accorde,
                            at
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    let a = allocations_de(&mut tx, evenement_id, appareil).await?;
                    tx.commit().await.db()?;
                    Ok(a)
                }

                async fn pointages_of_session(
                    &self,
                    session_id: i64,
                ) -> StoreResult<Vec<PointageRow>> {
                    ::sqlx::query_as!(
                        PointageRow,
                        r#"SELECT id AS "id!: i64", uuid AS "uuid!: String",
                                  session_id AS "session_id!: i64",
                                  inscription_id AS "inscription_id?: i64",
                                  appareil AS "appareil!: String",
                                  tranche_age AS "tranche_age?: String",
                                  statut_social AS "statut_social?: String",
                                  besoin AS "besoin?: String",
                                  pointe_at AS "pointe_at!: DateTime<Utc>",
                                  recu_at AS "recu_at!: DateTime<Utc>"
                           FROM evenements_pointages WHERE session_id = $1 ORDER BY id"#,
                        session_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn noter_cle_remise(
                    &self,
                    session_id: i64,
                    personne_id: i64,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO evenements_cles_remises (session_id, personne_id, created_at)
                         VALUES ($1, $2, $3)",
                        session_id,
                        personne_id,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn cles_remises_of_session(&self, session_id: i64) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT CAST(COUNT(*) AS BIGINT) AS "n!: i64"
                           FROM evenements_cles_remises WHERE session_id = $1"#,
                        session_id
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn reserve_activite_of_session(
                    &self,
                    session_id: i64,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let n = ::sqlx::query!(
                        "INSERT INTO evenements_sessions_activites (session_id, activite_id, created_at)
                         VALUES ($1, 0, $2) ON CONFLICT DO NOTHING",
                        session_id,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn activite_of_session(&self, session_id: i64) -> StoreResult<Option<i64>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT activite_id AS "a!: i64" FROM evenements_sessions_activites
                           WHERE session_id = $1"#,
                        session_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn set_activite_of_session(
                    &self,
                    session_id: i64,
                    activite_id: Option<i64>,
                ) -> StoreResult<()> {
                    match activite_id {
                        Some(a) => {
                            ::sqlx::query!(
                                "UPDATE evenements_sessions_activites SET activite_id = $1
                                 WHERE session_id = $2",
                                a,
                                session_id
                            )
                            .execute(&self.pool)
                            .await
                            .db()?;
                        }
                        None => {
                            ::sqlx::query!(
                                "DELETE FROM evenements_sessions_activites
                                 WHERE session_id = $1 AND activite_id = 0",
                                session_id
                            )
                            .execute(&self.pool)
                            .await
                            .db()?;
                        }
                    }
                    Ok(())
                }
            }
        };
    };
}
