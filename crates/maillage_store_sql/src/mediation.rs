//! `MediationStore`: beneficiaries, consultations, activity records and their statistics.

/// The beneficiaries' `SELECT` into `BeneficiaireRow`, completed by a `WHERE …` literal: used
/// by [`mediation_store!`] and by each backend's `beneficiaires_de` (whose list parameter is
/// its dialect's), so the columns and their types are written once.
#[macro_export]
macro_rules! select_beneficiaires {
    ($suite:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            ::maillage_store::mediation::BeneficiaireRow,
            r#"SELECT id AS "id!: i64", mediateur_id AS "mediateur_id!: i64",
                      data AS "data?: String", cle_doublon AS "cle_doublon?: String",
                      partage_equipe AS "partage_equipe!: bool",
                      consentement_at AS "consentement_at?: ::chrono::DateTime<::chrono::Utc>",
                      created_at AS "created_at!: ::chrono::DateTime<::chrono::Utc>",
                      derniere_activite AS "derniere_activite!: ::chrono::DateTime<::chrono::Utc>",
                      purge_at AS "purge_at?: ::chrono::DateTime<::chrono::Utc>",
                      fusionne_dans AS "fusionne_dans?: i64"
               FROM beneficiaires "# + $suite $(, $arg)*
        )
    };
}

/// Implements `maillage_store::mediation::MediationStore` for the backend `$store`.
///
/// The beneficiaries' files, the consultations log, the writing of a batch of records (the
/// rules: what a replaced record takes out of the roll-ups, its new version and history
/// entry, the ids in input order), the history of a record and the frequent durations, the
/// deletion of a record and the merge of two files are written here once.
/// What each backend does its own way (PostgreSQL batches a whole import in one statement
/// per table with `UNNEST` and locks rows explicitly, SQLite writes row by row under its one
/// write lock and passes lists as JSON) is of two kinds:
/// - reads the macro declares in the trait `MediationDialecte`, which the backend implements
///   beside the invocation, in the same module: `beneficiaires_de`, `consultations`,
///   `activite`, `activites_de`, `activites_du_beneficiaire`, `stats` (same signatures as in
///   `MediationStore`);
/// - primitives run inside the write transaction, free functions of the invoking module:
///   `lock_activites(conn, ids: &[i64])` (locks the records a batch replaces, ids sorted),
///   `insert_activites(conn, Vec<ActiviteWrite>) -> StoreResult<Vec<i64>>` (writes new
///   records and their « creation » history entry, returns their ids in input order),
///   `insert_participations(conn, &[(activite, beneficiaire, at)])` (the participations and
///   each beneficiary's latest activity), `apply_deltas(conn, deltas: StatDeltas)` (summed
///   roll-up deltas).
///
/// `verrou` is the clause that locks the rows a `SELECT` reads for the rest of the
/// transaction (`"FOR UPDATE"` on PostgreSQL, `""` on SQLite, whose write transaction holds
/// its one lock already).
///
/// The invoking module imports the backend's `DbResult` (for `.db()`).
#[macro_export]
macro_rules! mediation_store {
    ($store:ty, verrou = $verrou:literal) => {
        /// What this backend's dialect does its own way in `MediationStore` (see
        /// `maillage_store_sql::mediation_store!`).
        trait MediationDialecte {
            async fn beneficiaires_de(
                &self,
                mediateur_ids: &[i64],
            ) -> ::maillage_store::StoreResult<Vec<::maillage_store::mediation::BeneficiaireRow>>;
            async fn consultations(
                &self,
                beneficiaire_id: i64,
            ) -> ::maillage_store::StoreResult<Vec<::maillage_store::mediation::ConsultationRow>>;
            async fn activite(
                &self,
                id: i64,
            ) -> ::maillage_store::StoreResult<Option<::maillage_store::mediation::ActiviteRow>>;
            async fn activites_de(
                &self,
                mediateur_ids: &[i64],
                page: ::maillage_store::Page,
            ) -> ::maillage_store::StoreResult<Vec<::maillage_store::mediation::ActiviteRow>>;
            async fn activites_du_beneficiaire(
                &self,
                beneficiaire_id: i64,
            ) -> ::maillage_store::StoreResult<Vec<::maillage_store::mediation::ActiviteRow>>;
            async fn stats(
                &self,
                filtre: &::maillage_store::mediation::StatFiltre,
            ) -> ::maillage_store::StoreResult<Vec<::maillage_store::mediation::StatRow>>;
        }

        const _: () = {
            use ::chrono::{DateTime, NaiveDate, Utc};
            use ::maillage_store::mediation::{
                ActiviteRow, ActiviteWrite, BeneficiaireRow, ConsultationRow, HistoriqueRow,
                NewBeneficiaire, StatDeltas, StatFiltre, StatRow,
            };
            use ::maillage_store::{validate_limit, StoreError, StoreResult};

            #[::async_trait::async_trait]
            impl ::maillage_store::mediation::MediationStore for $store {
                async fn create_beneficiaire(&self, b: NewBeneficiaire) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO beneficiaires (mediateur_id, data, cle_doublon,
                               partage_equipe, consentement_at, created_at, derniere_activite)
                           VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id AS "id!: i64""#,
                        b.mediateur_id,
                        b.data,
                        b.cle_doublon,
                        b.partage_equipe,
                        b.consentement_at,
                        b.created_at
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn beneficiaire(&self, id: i64) -> StoreResult<Option<BeneficiaireRow>> {
                    $crate::select_beneficiaires!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn beneficiaires_de(
                    &self,
                    mediateur_ids: &[i64],
                ) -> StoreResult<Vec<BeneficiaireRow>> {
                    <$store as MediationDialecte>::beneficiaires_de(self, mediateur_ids).await
                }

                async fn update_beneficiaire(&self, b: &BeneficiaireRow) -> StoreResult<()> {
                    let done = ::sqlx::query!(
                        "UPDATE beneficiaires SET data = $2, cle_doublon = $3,
                             partage_equipe = $4, consentement_at = $5
                         WHERE id = $1",
                        b.id,
                        b.data,
                        b.cle_doublon,
                        b.partage_equipe,
                        b.consentement_at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn merge_beneficiaires(&self, garde: i64, absorbe: i64) -> StoreResult<()> {
                    if garde == absorbe {
                        return Err(StoreError::Invalid(
                            "cannot merge a beneficiary into itself".into(),
                        ));
                    }
                    let mut tx = self.begin_write().await?;
                    // Both files locked (in id order where the dialect locks rows); merged
                    // files count as missing.
                    // `$verrou` is the dialect's row lock (PostgreSQL: `FOR UPDATE`; SQLite's
                    // write transaction already holds its one lock).
                    let vivants = ::sqlx::query_scalar!(
                        r#"SELECT id AS "id!: i64" FROM beneficiaires
                           WHERE id IN ($1, $2) AND fusionne_dans IS NULL
                           ORDER BY id "# + $verrou,
                        garde,
                        absorbe
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .db()?;
                    if vivants.len() != 2 {
                        return Err(StoreError::NotFound);
                    }
                    ::sqlx::query!(
                        "DELETE FROM participations
                         WHERE beneficiaire_id = $2
                           AND activite_id IN (SELECT activite_id FROM participations
                                               WHERE beneficiaire_id = $1)",
                        garde,
                        absorbe
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    ::sqlx::query!(
                        "UPDATE participations SET beneficiaire_id = $1 WHERE beneficiaire_id = $2",
                        garde,
                        absorbe
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    let derniere = ::sqlx::query_scalar!(
                        r#"SELECT derniere_activite AS "d!: DateTime<Utc>" FROM beneficiaires
                           WHERE id = $1"#,
                        absorbe
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    ::sqlx::query!(
                        "UPDATE beneficiaires SET derniere_activite = $2
                         WHERE id = $1 AND derniere_activite < $2",
                        garde,
                        derniere
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    ::sqlx::query!(
                        "UPDATE beneficiaires SET data = NULL, cle_doublon = NULL, fusionne_dans = $1
                         WHERE id = $2",
                        garde,
                        absorbe
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    tx.commit().await.db()
                }

                async fn purge_beneficiaires(
                    &self,
                    avant: DateTime<Utc>,
                    at: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let done = ::sqlx::query!(
                        "UPDATE beneficiaires SET data = NULL, cle_doublon = NULL, purge_at = $2
                         WHERE purge_at IS NULL AND fusionne_dans IS NULL
                           AND derniere_activite < $1",
                        avant,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(done.rows_affected())
                }

                async fn add_consultation(&self, c: &ConsultationRow) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO consultations (beneficiaire_id, compte_id, action, at)
                         VALUES ($1, $2, $3, $4)",
                        c.beneficiaire_id,
                        c.compte_id,
                        c.action,
                        c.at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn consultations(
                    &self,
                    beneficiaire_id: i64,
                ) -> StoreResult<Vec<ConsultationRow>> {
                    <$store as MediationDialecte>::consultations(self, beneficiaire_id).await
                }

                async fn count_participations(&self, beneficiaire_id: i64) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM participations AS p
                           JOIN activites AS a ON a.id = p.activite_id
                           WHERE p.beneficiaire_id = $1 AND a.deleted_at IS NULL"#,
                        beneficiaire_id
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn save_activites(
                    &self,
                    activites: Vec<ActiviteWrite>,
                ) -> StoreResult<Vec<i64>> {
                    ::maillage_store::mediation::validate_activites(&activites)?;
                    let mut tx = self.begin_write().await?;
                    // The records to replace are locked first, in id order (no deadlock
                    // between two batches replacing the same records).
                    let mut remplaces: Vec<i64> = activites.iter().filter_map(|a| a.id).collect();
                    remplaces.sort_unstable();
                    remplaces.dedup();
                    lock_activites(&mut tx, &remplaces).await?;
                    let mut deltas = StatDeltas::default();
                    // Each record's id, known at once for a replaced one, after the batch
                    // insert for a new one (`None` here).
                    let mut ids: Vec<Option<i64>> = Vec::with_capacity(activites.len());
                    let mut nouveaux: Vec<ActiviteWrite> = Vec::new();
                    // Every (record, beneficiary, time) pair, the new records' by rank.
                    let mut participants: Vec<(i64, i64, DateTime<Utc>)> = Vec::new();
                    let mut participants_nouveaux: Vec<(usize, i64, DateTime<Utc>)> = Vec::new();
                    for mut a in activites {
                        deltas.record_write(&a)?;
                        let beneficiaires = ::std::mem::take(&mut a.beneficiaires);
                        let at = a.at;
                        let Some(id) = a.id else {
                            let rang = nouveaux.len();
                            participants_nouveaux
                                .extend(beneficiaires.into_iter().map(|b| (rang, b, at)));
                            nouveaux.push(a);
                            ids.push(None);
                            continue;
                        };
                        // A record can be replaced only while it is not deleted; what it had
                        // added to the roll-ups is taken out.
                        let old = ::sqlx::query!(
                            r#"SELECT mediateur_id AS "mediateur_id!: i64",
                                      structure_id AS "structure_id?: i64",
                                      lieu_activite_id AS "lieu_activite_id?: i64",
                                      commune AS "commune!: String", date AS "date!: NaiveDate",
                                      compteurs AS "compteurs!: Vec<u8>"
                               FROM activites WHERE id = $1 AND deleted_at IS NULL"#,
                            id
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?
                        .ok_or(StoreError::NotFound)?;
                        deltas.record(
                            old.mediateur_id,
                            old.lieu_activite_id,
                            old.structure_id,
                            &old.commune,
                            old.date,
                            &old.compteurs,
                            -1,
                        )?;
                        let version = ::sqlx::query_scalar!(
                            r#"UPDATE activites SET mediateur_id = $2, structure_id = $3,
                                   lieu_activite_id = $4, commune = $5, date = $6,
                                   type_activite = $7, duree = $8, data = $9, compteurs = $10,
                                   version = version + 1, updated_at = $11
                               WHERE id = $1
                               RETURNING version AS "version!: i32""#,
                            id,
                            a.mediateur_id,
                            a.structure_id,
                            a.lieu_activite_id,
                            a.commune,
                            a.date,
                            a.type_activite,
                            a.duree,
                            a.data,
                            a.compteurs,
                            a.at
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        ::sqlx::query!("DELETE FROM participations WHERE activite_id = $1", id)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                        ::sqlx::query!(
                            "INSERT INTO activites_historique (activite_id, version, action, data,
                                 auteur_id, at)
                             VALUES ($1, $2, 'modification', $3, $4, $5)",
                            id,
                            version,
                            a.data,
                            a.auteur_id,
                            a.at
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                        participants.extend(beneficiaires.into_iter().map(|b| (id, b, at)));
                        ids.push(Some(id));
                    }
                    // New records are written together (the dialect decides how: one
                    // statement per table, or row by row), with their first history entry.
                    let n_nouveaux = nouveaux.len();
                    let ids_nouveaux = insert_activites(&mut tx, nouveaux).await?;
                    if ids_nouveaux.len() != n_nouveaux {
                        return Err(StoreError::Database("fewer ids than new records".into()));
                    }
                    participants.extend(
                        participants_nouveaux
                            .into_iter()
                            .filter_map(|(rang, b, at)| ids_nouveaux.get(rang).map(|id| (*id, b, at))),
                    );
                    // A beneficiary listed twice in a record is a `Conflict`.
                    insert_participations(&mut tx, &participants).await?;
                    apply_deltas(&mut tx, deltas).await?;
                    tx.commit().await.db()?;
                    let mut nouveaux = ids_nouveaux.into_iter();
                    Ok(ids.into_iter().filter_map(|id| id.or_else(|| nouveaux.next())).collect())
                }

                async fn delete_activite(
                    &self,
                    id: i64,
                    auteur_id: i64,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let mut tx = self.begin_write().await?;
                    // The UPDATE locks the row (PostgreSQL; SQLite's transaction holds its one
                    // write lock): a concurrent deletion makes it match nothing.
                    let old = ::sqlx::query!(
                        r#"UPDATE activites SET deleted_at = $2, updated_at = $2,
                               version = version + 1
                           WHERE id = $1 AND deleted_at IS NULL
                           RETURNING mediateur_id AS "mediateur_id!: i64",
                                     structure_id AS "structure_id?: i64",
                                     lieu_activite_id AS "lieu_activite_id?: i64",
                                     commune AS "commune!: String", date AS "date!: NaiveDate",
                                     compteurs AS "compteurs!: Vec<u8>",
                                     version AS "version!: i32""#,
                        id,
                        at
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                    let Some(old) = old else {
                        return Ok(false);
                    };
                    ::sqlx::query!(
                        "INSERT INTO activites_historique (activite_id, version, action, data,
                             auteur_id, at)
                         VALUES ($1, $2, 'suppression', NULL, $3, $4)",
                        id,
                        old.version,
                        auteur_id,
                        at
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    let mut deltas = StatDeltas::default();
                    deltas.record(
                        old.mediateur_id,
                        old.lieu_activite_id,
                        old.structure_id,
                        &old.commune,
                        old.date,
                        &old.compteurs,
                        -1,
                    )?;
                    apply_deltas(&mut tx, deltas).await?;
                    tx.commit().await.db()?;
                    Ok(true)
                }

                async fn activite(&self, id: i64) -> StoreResult<Option<ActiviteRow>> {
                    <$store as MediationDialecte>::activite(self, id).await
                }

                async fn activites_de(
                    &self,
                    mediateur_ids: &[i64],
                    limit: i64,
                    offset: i64,
                ) -> StoreResult<Vec<ActiviteRow>> {
                    let page = ::maillage_store::Page::new(limit, offset)?;
                    <$store as MediationDialecte>::activites_de(self, mediateur_ids, page).await
                }

                async fn activites_du_beneficiaire(
                    &self,
                    beneficiaire_id: i64,
                ) -> StoreResult<Vec<ActiviteRow>> {
                    <$store as MediationDialecte>::activites_du_beneficiaire(self, beneficiaire_id)
                        .await
                }

                async fn historique_activite(
                    &self,
                    activite_id: i64,
                ) -> StoreResult<Vec<HistoriqueRow>> {
                    ::sqlx::query_as!(
                        HistoriqueRow,
                        r#"SELECT activite_id AS "activite_id!: i64", version AS "version!: i32",
                                  action AS "action!: String", data AS "data?: String",
                                  auteur_id AS "auteur_id!: i64", at AS "at!: DateTime<Utc>"
                           FROM activites_historique WHERE activite_id = $1 ORDER BY version"#,
                        activite_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn durees_frequentes(
                    &self,
                    mediateur_id: i64,
                    min_uses: i64,
                    limit: i64,
                ) -> StoreResult<Vec<(i32, i64)>> {
                    validate_limit(limit)?;
                    let rows = ::sqlx::query!(
                        r#"SELECT duree AS "duree!: i32", COUNT(*) AS "n!: i64" FROM activites
                           WHERE mediateur_id = $1 AND deleted_at IS NULL
                           GROUP BY duree HAVING COUNT(*) >= $2
                           ORDER BY COUNT(*) DESC, duree LIMIT $3"#,
                        mediateur_id,
                        min_uses,
                        limit
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(rows.into_iter().map(|r| (r.duree, r.n)).collect())
                }

                async fn stats(&self, filtre: &StatFiltre) -> StoreResult<Vec<StatRow>> {
                    <$store as MediationDialecte>::stats(self, filtre).await
                }
            }
        };
    };
}
