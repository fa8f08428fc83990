//! `MandatsStore`: mandates, the people they name, and the signed journal.

/// The mandates' `SELECT`, completed by a `WHERE …` literal. Used by [`mandats_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_mandats {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            LigneMandat,
            r#"SELECT id AS "id!: i64", usager_id AS "usager_id!: i64",
                      structure_id AS "structure_id!: i64", aidant_id AS "aidant_id!: i64",
                      duree AS "duree!: String", created_at AS "created_at!: DateTime<Utc>",
                      expire_at AS "expire_at!: DateTime<Utc>",
                      revoque_at AS "revoque_at?: DateTime<Utc>",
                      revoque_par AS "revoque_par?: String", empreinte AS "empreinte!: String",
                      modele AS "modele!: String", document AS "document?: String",
                      renouvelle AS "renouvelle?: i64", rappel_at AS "rappel_at?: DateTime<Utc>"
               FROM mandats "# + $where $(, $arg)*
        )
    };
}

/// The persons' `SELECT`, completed by a `WHERE …` literal. Used by [`mandats_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_usagers {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            UsagerRow,
            r#"SELECT id AS "id!: i64", pseudonyme AS "pseudonyme!: String",
                      structure_id AS "structure_id!: i64", data AS "data?: String",
                      code_cle AS "code_cle!: String", code_hash AS "code_hash!: String",
                      created_at AS "created_at!: DateTime<Utc>",
                      purge_at AS "purge_at?: DateTime<Utc>",
                      personne_id AS "personne_id?: i64"
               FROM usagers "# + $where $(, $arg)*
        )
    };
}

/// The journal's `SELECT`, completed by a `WHERE …` literal. Used by [`mandats_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_journal {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            LigneJournal,
            r#"SELECT seq AS "seq!: i64", at_us AS "at_us!: i64", action AS "action!: String",
                      acteur AS "acteur!: String", structure_id AS "structure_id?: i64",
                      mandat_id AS "mandat_id?: i64", usager AS "usager?: String",
                      demarches AS "demarches!: String", details AS "details!: String",
                      prev_hash AS "prev_hash!: Vec<u8>", hash AS "hash!: Vec<u8>"
               FROM journal "# + $where $(, $arg)*
        )
    };
}

/// Implements `maillage_store::mandats::MandatsStore` for the backend `$store` whose
/// `sqlx::Database` is `$db`. The write rules are `maillage_store::mandats_ecriture`'s, run
/// over the transaction type this macro defines.
///
/// The backend provides:
/// - `async fn begin_journal_write(&self) -> StoreResult<sqlx::Transaction<'static, $db>>`:
///   a transaction that excludes every other writer of the journal until it ends;
/// - `async fn journal_page(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>>`:
///   the entries after `apres`, at most `limite` (each backend has its fastest way).
///
/// The invoking module imports the backend's `DbResult` (for `.db()`).
#[macro_export]
macro_rules! mandats_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use ::chrono::{DateTime, Utc};
            use ::maillage_domain::mandats::{
                Chaine, Demarche, Entree, MotifRefus, NouvelleEntree, Sceau,
            };
            use ::maillage_store::mandats::{
                AutorisationRow, HabilitationRow, MandatCree, MandatRow, NatureIdentification,
                NewMandat, NewUsager, UsagerRow, Utilisation,
            };
            use ::maillage_store::mandats_ecriture as ecriture;
            use ::maillage_store::{StoreError, StoreResult};

            type Connexion = <$db as ::sqlx::Database>::Connection;

            /// Lenient conversion: a stored hash of the wrong length (tampered) becomes a
            /// value no SHA-256 can equal, so verification reports the entry instead of
            /// failing to read it.
            fn octets32(v: &[u8]) -> [u8; 32] {
                <[u8; 32]>::try_from(v).unwrap_or([0xff; 32])
            }

            fn octets64(v: &[u8]) -> [u8; 64] {
                <[u8; 64]>::try_from(v).unwrap_or([0; 64])
            }

            struct LigneJournal {
                seq: i64,
                at_us: i64,
                action: String,
                acteur: String,
                structure_id: Option<i64>,
                mandat_id: Option<i64>,
                usager: Option<String>,
                demarches: String,
                details: String,
                prev_hash: Vec<u8>,
                hash: Vec<u8>,
            }

            impl LigneJournal {
                fn entree(self) -> Entree {
                    Entree {
                        seq: self.seq,
                        contenu: NouvelleEntree {
                            at_us: self.at_us,
                            action: self.action,
                            acteur: self.acteur,
                            structure_id: self.structure_id,
                            mandat_id: self.mandat_id,
                            usager: self.usager,
                            demarches: self.demarches,
                            details: self.details,
                        },
                        prev_hash: octets32(&self.prev_hash),
                        hash: octets32(&self.hash),
                    }
                }
            }

            struct LigneMandat {
                id: i64,
                usager_id: i64,
                structure_id: i64,
                aidant_id: i64,
                duree: String,
                created_at: DateTime<Utc>,
                expire_at: DateTime<Utc>,
                revoque_at: Option<DateTime<Utc>>,
                revoque_par: Option<String>,
                empreinte: String,
                modele: String,
                document: Option<String>,
                renouvelle: Option<i64>,
                rappel_at: Option<DateTime<Utc>>,
            }

            impl LigneMandat {
                fn avec(self, autorisations: Vec<AutorisationRow>) -> MandatRow {
                    MandatRow {
                        id: self.id,
                        usager_id: self.usager_id,
                        structure_id: self.structure_id,
                        aidant_id: self.aidant_id,
                        duree: self.duree,
                        created_at: self.created_at,
                        expire_at: self.expire_at,
                        revoque_at: self.revoque_at,
                        revoque_par: self.revoque_par,
                        empreinte: self.empreinte,
                        modele: self.modele,
                        document: self.document,
                        renouvelle: self.renouvelle,
                        rappel_at: self.rappel_at,
                        autorisations,
                    }
                }
            }

            async fn tete(conn: &mut Connexion) -> StoreResult<Chaine> {
                let row = ::sqlx::query!(
                    r#"SELECT seq AS "seq!: i64", hash AS "hash!: Vec<u8>" FROM journal
                       ORDER BY seq DESC LIMIT 1"#
                )
                .fetch_optional(&mut *conn)
                .await
                .db()?;
                Ok(row.map_or(Chaine::VIDE, |r| Chaine {
                    seq: r.seq,
                    hash: octets32(&r.hash),
                }))
            }

            async fn autorisations(
                conn: &mut Connexion,
                mandat_id: i64,
            ) -> StoreResult<Vec<AutorisationRow>> {
                let rows = ::sqlx::query!(
                    r#"SELECT demarche AS "demarche!: String",
                              revoquee_at AS "revoquee_at?: DateTime<Utc>",
                              revoquee_par AS "revoquee_par?: String"
                       FROM autorisations WHERE mandat_id = $1 ORDER BY demarche"#,
                    mandat_id
                )
                .fetch_all(&mut *conn)
                .await
                .db()?;
                let mut out = rows
                    .into_iter()
                    .map(|r| {
                        Ok(AutorisationRow {
                            demarche: r
                                .demarche
                                .parse::<Demarche>()
                                .map_err(|e| StoreError::Database(e.to_string()))?,
                            revoquee_at: r.revoquee_at,
                            revoquee_par: r.revoquee_par,
                        })
                    })
                    .collect::<StoreResult<Vec<_>>>()?;
                out.sort_by_key(|a| a.demarche);
                Ok(out)
            }

            async fn completer(
                conn: &mut Connexion,
                lignes: Vec<LigneMandat>,
            ) -> StoreResult<Vec<MandatRow>> {
                let mut out = Vec::with_capacity(lignes.len());
                for l in lignes {
                    let a = autorisations(conn, l.id).await?;
                    out.push(l.avec(a));
                }
                Ok(out)
            }

            async fn charger(conn: &mut Connexion, id: i64) -> StoreResult<Option<MandatRow>> {
                let l = $crate::__select_mandats!("WHERE id = $1", id)
                    .fetch_optional(&mut *conn)
                    .await
                    .db()?;
                Ok(completer(conn, l.into_iter().collect()).await?.pop())
            }

            /// A Mandats write transaction of this backend: it holds the journal (see
            /// `begin_journal_write`) until it commits or rolls back.
            struct Ecriture(::sqlx::Transaction<'static, $db>);

            impl Ecriture {
                async fn ouvrir(store: &$store) -> StoreResult<Self> {
                    Ok(Ecriture(store.begin_journal_write().await?))
                }

                async fn valider(self) -> StoreResult<()> {
                    self.0.commit().await.db()
                }
            }

            #[::async_trait::async_trait]
            impl ecriture::TransactionMandats for Ecriture {
                async fn journal_head(&mut self) -> StoreResult<Chaine> {
                    tete(&mut self.0).await
                }

                async fn insert_entree(&mut self, e: &Entree) -> StoreResult<()> {
                    let (prev, hash) = (&e.prev_hash[..], &e.hash[..]);
                    ::sqlx::query!(
                        "INSERT INTO journal (seq, at_us, action, acteur, structure_id, mandat_id,
                                              usager, demarches, details, prev_hash, hash)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        e.seq,
                        e.contenu.at_us,
                        e.contenu.action,
                        e.contenu.acteur,
                        e.contenu.structure_id,
                        e.contenu.mandat_id,
                        e.contenu.usager,
                        e.contenu.demarches,
                        e.contenu.details,
                        prev,
                        hash
                    )
                    .execute(&mut *self.0)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn pseudonyme(&mut self, id: i64) -> StoreResult<Option<String>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT pseudonyme AS "p!: String" FROM usagers WHERE id = $1"#,
                        id
                    )
                    .fetch_optional(&mut *self.0)
                    .await
                    .db()
                }

                async fn insert_usager(&mut self, u: &NewUsager) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO usagers (pseudonyme, structure_id, data, code_cle,
                                                code_hash, created_at, personne_id)
                           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id AS "id!: i64""#,
                        u.pseudonyme,
                        u.structure_id,
                        u.data,
                        u.code_cle,
                        u.code_hash,
                        u.created_at,
                        u.personne_id
                    )
                    .fetch_one(&mut *self.0)
                    .await
                    .db()
                }

                async fn insert_mandat(&mut self, usager_id: i64, m: &NewMandat) -> StoreResult<i64> {
                    let id = ::sqlx::query_scalar!(
                        r#"INSERT INTO mandats (usager_id, structure_id, aidant_id, duree,
                                                created_at, expire_at, empreinte, modele,
                                                document, renouvelle)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                           RETURNING id AS "id!: i64""#,
                        usager_id,
                        m.structure_id,
                        m.aidant_id,
                        m.duree,
                        m.created_at,
                        m.expire_at,
                        m.empreinte,
                        m.modele,
                        m.document,
                        m.renouvelle
                    )
                    .fetch_one(&mut *self.0)
                    .await
                    .db()?;
                    for d in &m.demarches {
                        let code = d.code();
                        ::sqlx::query!(
                            "INSERT INTO autorisations (mandat_id, demarche) VALUES ($1, $2)",
                            id,
                            code
                        )
                        .execute(&mut *self.0)
                        .await
                        .db()?;
                    }
                    Ok(id)
                }

                async fn mandat(&mut self, id: i64) -> StoreResult<Option<MandatRow>> {
                    charger(&mut self.0, id).await
                }

                async fn unrevoked_mandats(
                    &mut self,
                    usager_id: i64,
                    structure_id: i64,
                    id: i64,
                ) -> StoreResult<Vec<MandatRow>> {
                    let autres = $crate::__select_mandats!(
                        "WHERE usager_id = $1 AND structure_id = $2 AND id <> $3
                           AND revoque_at IS NULL
                         ORDER BY id",
                        usager_id,
                        structure_id,
                        id
                    )
                    .fetch_all(&mut *self.0)
                    .await
                    .db()?;
                    completer(&mut self.0, autres).await
                }

                async fn revoke_demarches(
                    &mut self,
                    mandat_id: i64,
                    demarches: &[Demarche],
                    tout: bool,
                    par: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    for d in demarches {
                        let code = d.code();
                        ::sqlx::query!(
                            "UPDATE autorisations SET revoquee_at = $1, revoquee_par = $2
                             WHERE mandat_id = $3 AND demarche = $4 AND revoquee_at IS NULL",
                            at,
                            par,
                            mandat_id,
                            code
                        )
                        .execute(&mut *self.0)
                        .await
                        .db()?;
                    }
                    if tout {
                        ::sqlx::query!(
                            "UPDATE mandats SET revoque_at = $1, revoque_par = $2
                             WHERE id = $3 AND revoque_at IS NULL",
                            at,
                            par,
                            mandat_id
                        )
                        .execute(&mut *self.0)
                        .await
                        .db()?;
                    }
                    Ok(())
                }

                async fn add_utilisation_note(
                    &mut self,
                    seq: i64,
                    mandat_id: i64,
                    note: &str,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO notes_utilisation (seq, mandat_id, note) VALUES ($1, $2, $3)",
                        seq,
                        mandat_id,
                        note
                    )
                    .execute(&mut *self.0)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn set_structure(&mut self, mandat_id: i64, vers_structure: i64) -> StoreResult<()> {
                    ::sqlx::query!(
                        "UPDATE mandats SET structure_id = $1 WHERE id = $2",
                        vers_structure,
                        mandat_id
                    )
                    .execute(&mut *self.0)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn set_rappel(&mut self, mandat_id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
                    let n = ::sqlx::query!(
                        "UPDATE mandats SET rappel_at = $1 WHERE id = $2 AND rappel_at IS NULL",
                        at,
                        mandat_id
                    )
                    .execute(&mut *self.0)
                    .await
                    .db()?
                    .rows_affected();
                    Ok(n > 0)
                }
            }

            #[::async_trait::async_trait]
            impl ::maillage_store::mandats::MandatsStore for $store {
                async fn add_habilitation(
                    &self,
                    compte_id: i64,
                    par: i64,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO habilitations (compte_id, habilite_at, habilite_par)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (compte_id) DO NOTHING",
                        compte_id,
                        at,
                        par
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn remove_habilitation(&self, compte_id: i64) -> StoreResult<bool> {
                    let n =
                        ::sqlx::query!("DELETE FROM habilitations WHERE compte_id = $1", compte_id)
                            .execute(&self.pool)
                            .await
                            .db()?
                            .rows_affected();
                    Ok(n > 0)
                }

                async fn habilitation(&self, compte_id: i64) -> StoreResult<Option<HabilitationRow>> {
                    ::sqlx::query_as!(
                        HabilitationRow,
                        r#"SELECT compte_id AS "compte_id!: i64",
                                  habilite_at AS "habilite_at!: DateTime<Utc>",
                                  habilite_par AS "habilite_par!: i64"
                           FROM habilitations WHERE compte_id = $1"#,
                        compte_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn usager(&self, id: i64) -> StoreResult<Option<UsagerRow>> {
                    $crate::__select_usagers!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn usagers_of_personne(
                    &self,
                    personne_id: i64,
                ) -> StoreResult<Vec<UsagerRow>> {
                    $crate::__select_usagers!(
                        "WHERE personne_id = $1 ORDER BY id DESC",
                        personne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn usager_by_cle(&self, code_cle: &str) -> StoreResult<Option<UsagerRow>> {
                    $crate::__select_usagers!("WHERE code_cle = $1", code_cle)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn usagers_of_structure(&self, structure_id: i64) -> StoreResult<Vec<UsagerRow>> {
                    $crate::__select_usagers!(
                        "WHERE structure_id = $1
                            OR id IN (SELECT usager_id FROM mandats WHERE structure_id = $1)
                         ORDER BY id",
                        structure_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn set_usager_code(
                    &self,
                    usager_id: i64,
                    code_cle: &str,
                    code_hash: &str,
                ) -> StoreResult<()> {
                    let n = ::sqlx::query!(
                        "UPDATE usagers SET code_cle = $1, code_hash = $2 WHERE id = $3",
                        code_cle,
                        code_hash,
                        usager_id
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

                async fn usager_session_epoch(&self, usager_id: i64) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT session_epoque AS "e!: i64" FROM usagers WHERE id = $1"#,
                        usager_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)
                }

                async fn close_usager_sessions(&self, usager_id: i64) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"UPDATE usagers SET session_epoque = session_epoque + 1 WHERE id = $1
                           RETURNING session_epoque AS "e!: i64""#,
                        usager_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)
                }

                async fn utilisation_notes(&self, mandat_id: i64) -> StoreResult<Vec<(i64, String)>> {
                    Ok(::sqlx::query!(
                        r#"SELECT seq AS "seq!: i64", note AS "note!: String"
                           FROM notes_utilisation WHERE mandat_id = $1 ORDER BY seq"#,
                        mandat_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?
                    .into_iter()
                    .map(|r| (r.seq, r.note))
                    .collect())
                }

                async fn purge_usager(&self, usager_id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
                    // Serialised with the journal's writers.
                    let mut tx = self.begin_journal_write().await?;
                    let n = ::sqlx::query!(
                        "UPDATE usagers SET data = NULL, purge_at = $1
                         WHERE id = $2 AND purge_at IS NULL",
                        at,
                        usager_id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    ::sqlx::query!("UPDATE mandats SET document = NULL WHERE usager_id = $1", usager_id)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    ::sqlx::query!(
                        "DELETE FROM notes_utilisation
                         WHERE mandat_id IN (SELECT id FROM mandats WHERE usager_id = $1)",
                        usager_id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    tx.commit().await.db()?;
                    Ok(n > 0)
                }

                async fn create_mandat(
                    &self,
                    m: NewMandat,
                    entree: NouvelleEntree,
                ) -> StoreResult<MandatCree> {
                    let mut tx = Ecriture::ouvrir(self).await?;
                    let cree = ecriture::create_mandat(&mut tx, m, entree).await?;
                    tx.valider().await?;
                    Ok(cree)
                }

                async fn record_utilisation(
                    &self,
                    u: Utilisation,
                    entree: NouvelleEntree,
                ) -> StoreResult<Result<Entree, (MotifRefus, Entree)>> {
                    let mut tx = Ecriture::ouvrir(self).await?;
                    let r = ecriture::record_utilisation(&mut tx, u, entree).await?;
                    tx.valider().await?;
                    Ok(r)
                }

                async fn revoke(
                    &self,
                    mandat_id: i64,
                    demarches: Option<Vec<Demarche>>,
                    par: &str,
                    entree: NouvelleEntree,
                ) -> StoreResult<Option<Entree>> {
                    let mut tx = Ecriture::ouvrir(self).await?;
                    let e =
                        ecriture::revoke(&mut tx, mandat_id, demarches.as_deref(), par, entree).await?;
                    tx.valider().await?;
                    Ok(e)
                }

                async fn transfer_mandat(
                    &self,
                    mandat_id: i64,
                    vers_structure: i64,
                    entree: NouvelleEntree,
                ) -> StoreResult<Entree> {
                    let mut tx = Ecriture::ouvrir(self).await?;
                    let e = ecriture::transfer_mandat(&mut tx, mandat_id, vers_structure, entree)
                        .await?;
                    tx.valider().await?;
                    Ok(e)
                }

                async fn mark_rappel(
                    &self,
                    mandat_id: i64,
                    entree: NouvelleEntree,
                ) -> StoreResult<Option<Entree>> {
                    let mut tx = Ecriture::ouvrir(self).await?;
                    let e = ecriture::mark_rappel(&mut tx, mandat_id, entree).await?;
                    tx.valider().await?;
                    Ok(e)
                }

                async fn append_entree(&self, entree: NouvelleEntree) -> StoreResult<Entree> {
                    let mut tx = Ecriture::ouvrir(self).await?;
                    let e = ecriture::append_one(&mut tx, entree).await?;
                    tx.valider().await?;
                    Ok(e)
                }

                async fn mandat(&self, id: i64) -> StoreResult<Option<MandatRow>> {
                    let mut conn = self.pool.acquire().await.db()?;
                    charger(&mut conn, id).await
                }

                async fn mandat_by_empreinte(&self, empreinte: &str) -> StoreResult<Option<MandatRow>> {
                    let mut conn = self.pool.acquire().await.db()?;
                    let l = $crate::__select_mandats!("WHERE empreinte = $1", empreinte)
                        .fetch_optional(&mut *conn)
                        .await
                        .db()?;
                    Ok(completer(&mut conn, l.into_iter().collect()).await?.pop())
                }

                async fn mandats_of_usager(&self, usager_id: i64) -> StoreResult<Vec<MandatRow>> {
                    let mut conn = self.pool.acquire().await.db()?;
                    let l = $crate::__select_mandats!("WHERE usager_id = $1 ORDER BY id DESC", usager_id)
                        .fetch_all(&mut *conn)
                        .await
                        .db()?;
                    completer(&mut conn, l).await
                }

                async fn mandats_of_structure(&self, structure_id: i64) -> StoreResult<Vec<MandatRow>> {
                    let mut conn = self.pool.acquire().await.db()?;
                    let l = $crate::__select_mandats!(
                        "WHERE structure_id = $1 ORDER BY id DESC",
                        structure_id
                    )
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                    completer(&mut conn, l).await
                }

                async fn mandats_due_rappel(
                    &self,
                    apres: DateTime<Utc>,
                    avant: DateTime<Utc>,
                ) -> StoreResult<Vec<MandatRow>> {
                    let mut conn = self.pool.acquire().await.db()?;
                    let l = $crate::__select_mandats!(
                        "WHERE revoque_at IS NULL AND rappel_at IS NULL AND expire_at >= $1
                           AND expire_at < $2 ORDER BY expire_at",
                        apres,
                        avant
                    )
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                    completer(&mut conn, l).await
                }

                async fn journal_head(&self) -> StoreResult<Chaine> {
                    let mut conn = self.pool.acquire().await.db()?;
                    tete(&mut conn).await
                }

                async fn journal(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
                    self.journal_page(apres, limite).await
                }

                async fn journal_of_mandat(&self, mandat_id: i64) -> StoreResult<Vec<Entree>> {
                    let rows = $crate::__select_journal!("WHERE mandat_id = $1 ORDER BY seq", mandat_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()?;
                    Ok(rows.into_iter().map(LigneJournal::entree).collect())
                }

                async fn journal_of_usager(&self, pseudonyme: &str) -> StoreResult<Vec<Entree>> {
                    let rows = $crate::__select_journal!("WHERE usager = $1 ORDER BY seq", pseudonyme)
                        .fetch_all(&self.pool)
                        .await
                        .db()?;
                    Ok(rows.into_iter().map(LigneJournal::entree).collect())
                }

                async fn add_sceau(&self, s: &Sceau) -> StoreResult<()> {
                    let (hash, signature) = (&s.hash[..], &s.signature[..]);
                    ::sqlx::query!(
                        "INSERT INTO journal_sceaux (seq, hash, at_us, signature)
                         VALUES ($1, $2, $3, $4)",
                        s.seq,
                        hash,
                        s.at_us,
                        signature
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn sceaux(&self) -> StoreResult<Vec<Sceau>> {
                    let rows = ::sqlx::query!(
                        r#"SELECT seq AS "seq!: i64", hash AS "hash!: Vec<u8>",
                                  at_us AS "at_us!: i64", signature AS "signature!: Vec<u8>"
                           FROM journal_sceaux ORDER BY seq"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(rows
                        .into_iter()
                        .map(|r| Sceau {
                            seq: r.seq,
                            hash: octets32(&r.hash),
                            at_us: r.at_us,
                            signature: octets64(&r.signature),
                        })
                        .collect())
                }

                async fn put_identification(
                    &self,
                    compte_id: i64,
                    nature: NatureIdentification,
                    donnees: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    let nature = nature.code();
                    ::sqlx::query!(
                        "INSERT INTO identifications_en_cours (compte_id, nature, donnees, created_at)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (compte_id, nature)
                         DO UPDATE SET donnees = excluded.donnees, created_at = excluded.created_at",
                        compte_id,
                        nature,
                        donnees,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn identification(
                    &self,
                    compte_id: i64,
                    nature: NatureIdentification,
                ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
                    let nature = nature.code();
                    let r = ::sqlx::query!(
                        r#"SELECT donnees AS "donnees!: String",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM identifications_en_cours WHERE compte_id = $1 AND nature = $2"#,
                        compte_id,
                        nature
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?;
                    Ok(r.map(|r| (r.donnees, r.created_at)))
                }

                async fn take_identification(
                    &self,
                    compte_id: i64,
                    nature: NatureIdentification,
                ) -> StoreResult<Option<(String, DateTime<Utc>)>> {
                    let nature = nature.code();
                    let r = ::sqlx::query!(
                        r#"DELETE FROM identifications_en_cours WHERE compte_id = $1 AND nature = $2
                           RETURNING donnees AS "donnees!: String",
                                     created_at AS "created_at!: DateTime<Utc>""#,
                        compte_id,
                        nature
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?;
                    Ok(r.map(|r| (r.donnees, r.created_at)))
                }

                async fn purge_identifications(&self, avant: DateTime<Utc>) -> StoreResult<u64> {
                    let r = ::sqlx::query!(
                        "DELETE FROM identifications_en_cours WHERE created_at < $1",
                        avant
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected())
                }
            }
        };
    };
}
