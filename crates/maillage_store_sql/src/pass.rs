//! `PassStore`: programmes, carnets, passes, place API keys, redemptions and the pass
//! stream of the journal.

/// The passes' `SELECT`, completed by a `WHERE …` literal. Used by [`pass_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_pass {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            PassRow,
            r#"SELECT id AS "id!: i64", carnet_id AS "carnet_id!: i64",
                      programme_id AS "programme_id!: i64", code AS "code!: String",
                      valeur_centimes AS "valeur_centimes!: i64", etat AS "etat!: String",
                      distribue_par AS "distribue_par?: i64",
                      distribue_at AS "distribue_at?: DateTime<Utc>",
                      personne_commune AS "personne_commune?: String",
                      personne_tranche_age AS "personne_tranche_age?: String",
                      personne_statut AS "personne_statut?: String",
                      personne_id AS "personne_id?: i64",
                      updated_at AS "updated_at!: DateTime<Utc>"
               FROM pass "# + $where $(, $arg)*
        )
    };
}

/// The programmes' `SELECT`. Used by [`pass_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_programmes {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            ProgrammeRow,
            r#"SELECT id AS "id!: i64", financeur_structure_id AS "financeur_structure_id!: i64",
                      nom AS "nom!: String", budget_centimes AS "budget_centimes!: i64",
                      valeur_centimes AS "valeur_centimes!: i64",
                      fin_validite AS "fin_validite!: NaiveDate",
                      tolerance AS "tolerance!: NaiveDate", territoire AS "territoire!: String",
                      publics AS "publics!: String", created_at AS "created_at!: DateTime<Utc>"
               FROM pass_programmes "# + $where $(, $arg)*
        )
    };
}

/// The redemptions' `SELECT` (`u`, joined to its pass `p`). Used by [`pass_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_utilisations {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            UtilisationRow,
            r#"SELECT u.id AS "id!: i64", u.pass_id AS "pass_id!: i64", p.code AS "code!: String",
                      u.structure_id AS "structure_id!: i64", u.nonce AS "nonce!: String",
                      u.cle_api_id AS "cle_api_id?: i64", u.compte_id AS "compte_id?: i64",
                      u.activite_id AS "activite_id?: i64",
                      u.valeur_centimes AS "valeur_centimes!: i64",
                      u.utilise_at AS "at!: DateTime<Utc>", u.journal_seq AS "journal_seq!: i64"
               FROM pass_utilisations u JOIN pass p ON p.id = u.pass_id "# + $where $(, $arg)*
        )
    };
}

/// The place API keys' `SELECT`. Used by [`pass_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_cles_api {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            CleApiRow,
            r#"SELECT id AS "id!: i64", structure_id AS "structure_id!: i64", nom AS "nom!: String",
                      prefixe AS "prefixe!: String", secret_hash AS "secret_hash!: String",
                      scopes AS "scopes!: String", debut AS "debut!: DateTime<Utc>",
                      fin AS "fin!: DateTime<Utc>", revoquee_at AS "revoquee_at?: DateTime<Utc>",
                      created_at AS "created_at!: DateTime<Utc>"
               FROM pass_cles_api "# + $where $(, $arg)*
        )
    };
}

/// Implements `maillage_store::pass::PassStore` for the backend `$store` whose
/// `sqlx::Database` is `$db`.
///
/// The backend provides:
/// - `async fn begin_pass_write(&self) -> StoreResult<sqlx::Transaction<'static, $db>>`: a
///   transaction that excludes every other writer of the pass journal until it ends
///   (PostgreSQL: a transaction-level advisory lock; SQLite: `BEGIN IMMEDIATE`).
///
/// The invoking module imports the backend's `DbResult` (for `.db()`).
#[macro_export]
macro_rules! pass_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use ::chrono::{DateTime, NaiveDate, Utc};
            use ::maillage_domain::journal::{Chaine, Entree, Flux, NouvelleEntree};
            use ::maillage_store::pass::{
                entree_pass, CleApiRow, CompteEtats, GardePass, LieuQualifieRow, NewCarnet,
                NewCleApi, NewDistribution, NewProgramme, NewUtilisation, PassRow, ProgrammeRow,
                Utilisation, UtilisationRow, ACTION_DISTRIBUTION, ACTION_EMISSION,
                ACTION_PROGRAMME, ACTION_UTILISATION, ETAT_DISTRIBUE, ETAT_EMIS,
                FENETRE_COURSE_ESSAI,
            };
            use ::maillage_store::{StoreError, StoreResult};

            type Connexion = <$db as ::sqlx::Database>::Connection;

            struct LigneJournalPass {
                seq: i64,
                at_us: i64,
                action: String,
                acteur: String,
                structure_id: Option<i64>,
                objet_id: Option<i64>,
                usager: Option<String>,
                demarches: String,
                details: String,
                prev_hash: Vec<u8>,
                hash: Vec<u8>,
            }

            fn octets32(v: &[u8]) -> [u8; 32] {
                <[u8; 32]>::try_from(v).unwrap_or([0xff; 32])
            }

            impl LigneJournalPass {
                fn entree(self) -> Entree {
                    Entree {
                        seq: self.seq,
                        contenu: NouvelleEntree {
                            at_us: self.at_us,
                            action: self.action,
                            acteur: self.acteur,
                            structure_id: self.structure_id,
                            mandat_id: self.objet_id,
                            usager: self.usager,
                            demarches: self.demarches,
                            details: self.details,
                        },
                        prev_hash: octets32(&self.prev_hash),
                        hash: octets32(&self.hash),
                    }
                }
            }

            /// The head of the pass stream, read on `conn`.
            async fn tete(conn: &mut Connexion) -> StoreResult<Chaine> {
                let ligne = ::sqlx::query!(
                    r#"SELECT seq AS "seq!: i64", hash AS "hash!: Vec<u8>" FROM pass_journal
                       ORDER BY seq DESC LIMIT 1"#
                )
                .fetch_optional(&mut *conn)
                .await
                .db()?;
                Ok(match ligne {
                    Some(l) => Chaine {
                        seq: l.seq,
                        hash: octets32(&l.hash),
                    },
                    None => Chaine::VIDE,
                })
            }

            /// Chains `contenu` after `chaine` and inserts it on `conn`; returns its seq.
            async fn ajouter(
                conn: &mut Connexion,
                chaine: &mut Chaine,
                contenu: NouvelleEntree,
                tampon: &mut Vec<u8>,
            ) -> StoreResult<i64> {
                let e = chaine.ajouter_flux(Flux::Pass, contenu, tampon);
                let (prev, hash) = (&e.prev_hash[..], &e.hash[..]);
                ::sqlx::query!(
                    "INSERT INTO pass_journal (seq, at_us, action, acteur, structure_id, objet_id,
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
                .execute(&mut *conn)
                .await
                .db()?;
                Ok(e.seq)
            }

            async fn pass_par_id(conn: &mut Connexion, id: i64) -> StoreResult<PassRow> {
                $crate::__select_pass!("WHERE id = $1", id)
                    .fetch_one(&mut *conn)
                    .await
                    .db()
            }

            /// Inserts the redemption and its ledger entry on `conn` (under the journal's
            /// lock); `sans_garde` flags the control run's rows.
            async fn inserer_utilisation(
                conn: &mut Connexion,
                u: &NewUtilisation,
                pass: &PassRow,
                sans_garde: bool,
            ) -> StoreResult<UtilisationRow> {
                let mut chaine = tete(&mut *conn).await?;
                let mut tampon = Vec::with_capacity(256);
                let seq = ajouter(
                    &mut *conn,
                    &mut chaine,
                    entree_pass(
                        u.at,
                        ACTION_UTILISATION,
                        &u.acteur,
                        Some(u.structure_id),
                        Some(pass.id),
                        pass.programme_id,
                        ::maillage_store::pass::serde_json::json!({
                            "code": pass.code,
                            "lieu": u.structure_id,
                            "valeur_centimes": pass.valeur_centimes,
                            "nonce": u.nonce,
                            "activite": u.activite_id,
                        }),
                    ),
                    &mut tampon,
                )
                .await?;
                let id = ::sqlx::query_scalar!(
                    r#"INSERT INTO pass_utilisations (pass_id, structure_id, nonce, cle_api_id,
                                                     compte_id, activite_id, valeur_centimes,
                                                     utilise_at, journal_seq, controle_sans_garde)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                       RETURNING id AS "id!: i64""#,
                    pass.id,
                    u.structure_id,
                    u.nonce,
                    u.cle_api_id,
                    u.compte_id,
                    u.activite_id,
                    pass.valeur_centimes,
                    u.at,
                    seq,
                    sans_garde
                )
                .fetch_one(&mut *conn)
                .await
                .db()?;
                Ok(UtilisationRow {
                    id,
                    pass_id: pass.id,
                    code: pass.code.clone(),
                    structure_id: u.structure_id,
                    nonce: u.nonce.clone(),
                    cle_api_id: u.cle_api_id,
                    compte_id: u.compte_id,
                    activite_id: u.activite_id,
                    valeur_centimes: pass.valeur_centimes,
                    at: u.at,
                    journal_seq: seq,
                })
            }

            impl $store {
                /// The control run's path: read outside any transaction, wait, write.
                async fn utiliser_sans_garde(
                    &self,
                    u: &NewUtilisation,
                ) -> StoreResult<Utilisation> {
                    let mut conn = self.pool.acquire().await.db()?;
                    let pass = pass_par_id(&mut conn, u.pass_id).await?;
                    drop(conn);
                    if pass.etat != ETAT_DISTRIBUE {
                        return Ok(Utilisation::EtatRefuse { etat: pass.etat });
                    }
                    ::tokio::time::sleep(FENETRE_COURSE_ESSAI).await;
                    let mut tx = self.begin_pass_write().await?;
                    ::sqlx::query!(
                        "UPDATE pass SET etat = 'utilise', updated_at = $2 WHERE id = $1",
                        pass.id,
                        u.at
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    let ligne = inserer_utilisation(&mut tx, u, &pass, true).await?;
                    tx.commit().await.db()?;
                    Ok(Utilisation::Creee(ligne))
                }
            }

            #[::async_trait::async_trait]
            impl ::maillage_store::pass::PassStore for $store {
                async fn create_programme(&self, p: &NewProgramme) -> StoreResult<i64> {
                    let mut tx = self.begin_pass_write().await?;
                    let id = ::sqlx::query_scalar!(
                        r#"INSERT INTO pass_programmes (financeur_structure_id, nom, budget_centimes,
                                                       valeur_centimes, fin_validite, tolerance,
                                                       territoire, publics, created_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                           RETURNING id AS "id!: i64""#,
                        p.financeur_structure_id,
                        p.nom,
                        p.budget_centimes,
                        p.valeur_centimes,
                        p.fin_validite,
                        p.tolerance,
                        p.territoire,
                        p.publics,
                        p.created_at
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    for c in &p.communes {
                        ::sqlx::query!(
                            "INSERT INTO pass_programme_communes (programme_id, code_insee)
                             VALUES ($1, $2)",
                            id,
                            c
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    let mut chaine = tete(&mut tx).await?;
                    let mut tampon = Vec::new();
                    ajouter(
                        &mut tx,
                        &mut chaine,
                        entree_pass(
                            p.created_at,
                            ACTION_PROGRAMME,
                            &p.acteur,
                            Some(p.financeur_structure_id),
                            None,
                            id,
                            ::maillage_store::pass::serde_json::json!({
                                "nom": p.nom,
                                "budget_centimes": p.budget_centimes,
                                "valeur_centimes": p.valeur_centimes,
                                "fin_validite": p.fin_validite.to_string(),
                                "tolerance": p.tolerance.to_string(),
                                "territoire": p.territoire,
                                "communes": p.communes.len(),
                            }),
                        ),
                        &mut tampon,
                    )
                    .await?;
                    tx.commit().await.db()?;
                    Ok(id)
                }

                async fn programme(&self, id: i64) -> StoreResult<Option<ProgrammeRow>> {
                    $crate::__select_programmes!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn programmes(&self) -> StoreResult<Vec<ProgrammeRow>> {
                    $crate::__select_programmes!("ORDER BY id")
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn programme_couvre(
                    &self,
                    programme_id: i64,
                    code_insee: &str,
                ) -> StoreResult<bool> {
                    let n = ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM pass_programme_communes
                           WHERE programme_id = $1 AND code_insee = $2"#,
                        programme_id,
                        code_insee
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()?;
                    Ok(n > 0)
                }

                async fn qualifier_lieu(&self, l: &LieuQualifieRow) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO pass_lieux_qualifies (programme_id, structure_id, siret,
                                                           commune, approuve_par, approuve_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        l.programme_id,
                        l.structure_id,
                        l.siret,
                        l.commune,
                        l.approuve_par,
                        l.approuve_at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn lieu_qualifie(
                    &self,
                    programme_id: i64,
                    structure_id: i64,
                ) -> StoreResult<Option<LieuQualifieRow>> {
                    ::sqlx::query_as!(
                        LieuQualifieRow,
                        r#"SELECT programme_id AS "programme_id!: i64",
                                  structure_id AS "structure_id!: i64", siret AS "siret!: String",
                                  commune AS "commune!: String",
                                  approuve_par AS "approuve_par!: String",
                                  approuve_at AS "approuve_at!: DateTime<Utc>"
                           FROM pass_lieux_qualifies
                           WHERE programme_id = $1 AND structure_id = $2"#,
                        programme_id,
                        structure_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn lieux_qualifies(
                    &self,
                    programme_id: i64,
                ) -> StoreResult<Vec<LieuQualifieRow>> {
                    ::sqlx::query_as!(
                        LieuQualifieRow,
                        r#"SELECT programme_id AS "programme_id!: i64",
                                  structure_id AS "structure_id!: i64", siret AS "siret!: String",
                                  commune AS "commune!: String",
                                  approuve_par AS "approuve_par!: String",
                                  approuve_at AS "approuve_at!: DateTime<Utc>"
                           FROM pass_lieux_qualifies WHERE programme_id = $1
                           ORDER BY structure_id"#,
                        programme_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn ajouter_prescripteur(
                    &self,
                    programme_id: i64,
                    structure_id: i64,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO pass_prescripteurs (programme_id, structure_id)
                         VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        programme_id,
                        structure_id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn est_prescripteur(
                    &self,
                    programme_id: i64,
                    structure_id: i64,
                ) -> StoreResult<bool> {
                    let n = ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM pass_prescripteurs
                           WHERE programme_id = $1 AND structure_id = $2"#,
                        programme_id,
                        structure_id
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()?;
                    Ok(n > 0)
                }

                async fn emettre_carnet(&self, c: &NewCarnet) -> StoreResult<(i64, Vec<i64>)> {
                    let mut tx = self.begin_pass_write().await?;
                    let valeur = ::sqlx::query_scalar!(
                        r#"SELECT valeur_centimes AS "v!: i64" FROM pass_programmes WHERE id = $1"#,
                        c.programme_id
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)?;
                    let nombre = c.codes.len() as i64;
                    let carnet = ::sqlx::query_scalar!(
                        r#"INSERT INTO pass_carnets (programme_id, nombre, created_at)
                           VALUES ($1, $2, $3) RETURNING id AS "id!: i64""#,
                        c.programme_id,
                        nombre,
                        c.created_at
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    let mut chaine = tete(&mut tx).await?;
                    let mut tampon = Vec::with_capacity(256);
                    let mut ids = Vec::with_capacity(c.codes.len());
                    for code in &c.codes {
                        let id = ::sqlx::query_scalar!(
                            r#"INSERT INTO pass (carnet_id, programme_id, code, valeur_centimes,
                                                 etat, updated_at)
                               VALUES ($1, $2, $3, $4, 'emis', $5) RETURNING id AS "id!: i64""#,
                            carnet,
                            c.programme_id,
                            code,
                            valeur,
                            c.created_at
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        ajouter(
                            &mut tx,
                            &mut chaine,
                            entree_pass(
                                c.created_at,
                                ACTION_EMISSION,
                                &c.acteur,
                                None,
                                Some(id),
                                c.programme_id,
                                ::maillage_store::pass::serde_json::json!({
                                    "code": code,
                                    "carnet": carnet,
                                    "valeur_centimes": valeur,
                                }),
                            ),
                            &mut tampon,
                        )
                        .await?;
                        ids.push(id);
                    }
                    tx.commit().await.db()?;
                    Ok((carnet, ids))
                }

                async fn pass_par_code(&self, code: &str) -> StoreResult<Option<PassRow>> {
                    $crate::__select_pass!("WHERE code = $1", code)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn pass_du_carnet(&self, carnet_id: i64) -> StoreResult<Vec<PassRow>> {
                    $crate::__select_pass!("WHERE carnet_id = $1 ORDER BY id", carnet_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn distribuer(&self, d: &NewDistribution) -> StoreResult<PassRow> {
                    let mut tx = self.begin_pass_write().await?;
                    let pass = $crate::__select_pass!("WHERE code = $1", d.code)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?
                        .ok_or(StoreError::NotFound)?;
                    let n = ::sqlx::query!(
                        "UPDATE pass SET etat = 'distribue', distribue_par = $2, distribue_at = $3,
                                         personne_commune = $4, personne_tranche_age = $5,
                                         personne_statut = $6, personne_id = $7, updated_at = $3
                         WHERE id = $1 AND etat = 'emis'",
                        pass.id,
                        d.prescripteur_structure_id,
                        d.at,
                        d.commune,
                        d.tranche_age,
                        d.statut,
                        d.personne_id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    if n != 1 {
                        return Err(StoreError::Invalid(format!(
                            "pass {} is {}, not {ETAT_EMIS}",
                            pass.code, pass.etat
                        )));
                    }
                    let mut chaine = tete(&mut tx).await?;
                    let mut tampon = Vec::new();
                    ajouter(
                        &mut tx,
                        &mut chaine,
                        entree_pass(
                            d.at,
                            ACTION_DISTRIBUTION,
                            &d.acteur,
                            Some(d.prescripteur_structure_id),
                            Some(pass.id),
                            pass.programme_id,
                            ::maillage_store::pass::serde_json::json!({
                                "code": pass.code,
                                "commune": d.commune,
                                "tranche_age": d.tranche_age,
                                "statut": d.statut,
                            }),
                        ),
                        &mut tampon,
                    )
                    .await?;
                    let apres = pass_par_id(&mut tx, pass.id).await?;
                    tx.commit().await.db()?;
                    Ok(apres)
                }

                async fn changer_etat(
                    &self,
                    pass_id: i64,
                    etat: &str,
                    action: &str,
                    acteur: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<PassRow> {
                    let mut tx = self.begin_pass_write().await?;
                    let avant = pass_par_id(&mut tx, pass_id).await?;
                    let n = ::sqlx::query!(
                        "UPDATE pass SET etat = $2, updated_at = $3
                         WHERE id = $1 AND etat IN ('emis', 'distribue')",
                        pass_id,
                        etat,
                        at
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    if n != 1 {
                        return Err(StoreError::Invalid(format!(
                            "pass {} is {}: it cannot become {etat}",
                            avant.code, avant.etat
                        )));
                    }
                    let mut chaine = tete(&mut tx).await?;
                    let mut tampon = Vec::new();
                    ajouter(
                        &mut tx,
                        &mut chaine,
                        entree_pass(
                            at,
                            action,
                            acteur,
                            None,
                            Some(pass_id),
                            avant.programme_id,
                            ::maillage_store::pass::serde_json::json!({
                                "code": avant.code,
                                "avant": avant.etat,
                                "apres": etat,
                                "valeur_centimes": avant.valeur_centimes,
                            }),
                        ),
                        &mut tampon,
                    )
                    .await?;
                    let apres = pass_par_id(&mut tx, pass_id).await?;
                    tx.commit().await.db()?;
                    Ok(apres)
                }

                async fn create_cle_api(&self, c: &NewCleApi) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO pass_cles_api (structure_id, nom, prefixe, secret_hash,
                                                     scopes, debut, fin, created_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id AS "id!: i64""#,
                        c.structure_id,
                        c.nom,
                        c.prefixe,
                        c.secret_hash,
                        c.scopes,
                        c.debut,
                        c.fin,
                        c.created_at
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn cle_api_par_prefixe(
                    &self,
                    prefixe: &str,
                ) -> StoreResult<Option<CleApiRow>> {
                    $crate::__select_cles_api!("WHERE prefixe = $1", prefixe)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn cles_api(&self, structure_id: i64) -> StoreResult<Vec<CleApiRow>> {
                    $crate::__select_cles_api!("WHERE structure_id = $1 ORDER BY id", structure_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn revoquer_cle_api(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
                    let n = ::sqlx::query!(
                        "UPDATE pass_cles_api SET revoquee_at = $2
                         WHERE id = $1 AND revoquee_at IS NULL",
                        id,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn utiliser(
                    &self,
                    u: &NewUtilisation,
                    garde: GardePass,
                ) -> StoreResult<Utilisation> {
                    if garde == GardePass::DesactiveePourEssai {
                        return self.utiliser_sans_garde(u).await;
                    }
                    let mut tx = self.begin_pass_write().await?;
                    // The guard: only one transaction changes the row.
                    let n = ::sqlx::query!(
                        "UPDATE pass SET etat = 'utilise', updated_at = $2
                         WHERE id = $1 AND etat = 'distribue'",
                        u.pass_id,
                        u.at
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    if n != 1 {
                        let pass = pass_par_id(&mut tx, u.pass_id).await?;
                        let existante = $crate::__select_utilisations!(
                            "WHERE u.pass_id = $1 ORDER BY u.id LIMIT 1",
                            u.pass_id
                        )
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                        return Ok(match existante {
                            Some(e) if e.nonce == u.nonce && e.structure_id == u.structure_id => {
                                Utilisation::Rejouee(e)
                            }
                            Some(e) => Utilisation::DejaUtilise(e),
                            None => Utilisation::EtatRefuse { etat: pass.etat },
                        });
                    }
                    let nonce_pris = ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM pass_utilisations
                           WHERE structure_id = $1 AND nonce = $2"#,
                        u.structure_id,
                        u.nonce
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    if nonce_pris > 0 {
                        // Rolled back: the pass stays « distribue ».
                        return Ok(Utilisation::NonceDejaServi);
                    }
                    let pass = pass_par_id(&mut tx, u.pass_id).await?;
                    let ligne = inserer_utilisation(&mut tx, u, &pass, false).await?;
                    tx.commit().await.db()?;
                    Ok(Utilisation::Creee(ligne))
                }

                async fn utilisation_du_pass(
                    &self,
                    pass_id: i64,
                ) -> StoreResult<Option<UtilisationRow>> {
                    $crate::__select_utilisations!(
                        "WHERE u.pass_id = $1 ORDER BY u.id LIMIT 1",
                        pass_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn utilisation_de_activite(
                    &self,
                    activite_id: i64,
                ) -> StoreResult<Option<UtilisationRow>> {
                    $crate::__select_utilisations!(
                        "WHERE u.activite_id = $1 ORDER BY u.id LIMIT 1",
                        activite_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn pass_de_personne(&self, personne_id: i64) -> StoreResult<Vec<PassRow>> {
                    $crate::__select_pass!(
                        "WHERE personne_id = $1 ORDER BY distribue_at DESC, id DESC",
                        personne_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn pass_du_programme(&self, programme_id: i64) -> StoreResult<Vec<PassRow>> {
                    $crate::__select_pass!("WHERE programme_id = $1 ORDER BY id", programme_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn utilisations_du_programme(
                    &self,
                    programme_id: i64,
                ) -> StoreResult<Vec<UtilisationRow>> {
                    $crate::__select_utilisations!(
                        "WHERE p.programme_id = $1 ORDER BY u.utilise_at, u.id",
                        programme_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn utilisations_du_pass(
                    &self,
                    pass_id: i64,
                ) -> StoreResult<Vec<UtilisationRow>> {
                    $crate::__select_utilisations!("WHERE u.pass_id = $1 ORDER BY u.id", pass_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn utilisations_du_lieu(
                    &self,
                    structure_id: i64,
                    debut: DateTime<Utc>,
                    fin: DateTime<Utc>,
                ) -> StoreResult<Vec<UtilisationRow>> {
                    $crate::__select_utilisations!(
                        "WHERE u.structure_id = $1 AND u.utilise_at >= $2 AND u.utilise_at < $3
                         ORDER BY u.utilise_at, u.id",
                        structure_id,
                        debut,
                        fin
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn compte_etats(&self, programme_id: i64) -> StoreResult<CompteEtats> {
                    let lignes = ::sqlx::query!(
                        r#"SELECT etat AS "etat!: String", COUNT(*) AS "n!: i64" FROM pass
                           WHERE programme_id = $1 GROUP BY etat"#,
                        programme_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    let mut c = CompteEtats::default();
                    for l in lignes {
                        match l.etat.as_str() {
                            "emis" => c.emis = l.n,
                            "distribue" => c.distribues = l.n,
                            "utilise" => c.utilises = l.n,
                            "expire" => c.expires = l.n,
                            "bloque" => c.bloques = l.n,
                            _ => c.annules = l.n,
                        }
                    }
                    Ok(c)
                }

                async fn pass_journal_head(&self) -> StoreResult<Chaine> {
                    let mut conn = self.pool.acquire().await.db()?;
                    tete(&mut conn).await
                }

                async fn pass_journal(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
                    let lignes = ::sqlx::query_as!(
                        LigneJournalPass,
                        r#"SELECT seq AS "seq!: i64", at_us AS "at_us!: i64",
                                  action AS "action!: String", acteur AS "acteur!: String",
                                  structure_id AS "structure_id?: i64",
                                  objet_id AS "objet_id?: i64", usager AS "usager?: String",
                                  demarches AS "demarches!: String", details AS "details!: String",
                                  prev_hash AS "prev_hash!: Vec<u8>", hash AS "hash!: Vec<u8>"
                           FROM pass_journal WHERE seq > $1 ORDER BY seq LIMIT $2"#,
                        apres,
                        limite
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(lignes.into_iter().map(LigneJournalPass::entree).collect())
                }
            }
        };
    };
}
