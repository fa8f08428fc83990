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
                      u.utilise_at AS "at!: DateTime<Utc>", u.journal_seq AS "journal_seq!: i64",
                      u.forcee AS "forcee!: bool", i.decision AS "decision?: String",
                      i.decision_seq AS "decision_seq?: i64"
               FROM pass_utilisations u JOIN pass p ON p.id = u.pass_id
                    LEFT JOIN pass_incidents i ON i.utilisation_id = u.id "# + $where $(, $arg)*
        )
    };
}

/// The incidents' `SELECT` (`i`, joined to its redemption `u` and pass `p`). Used by
/// [`pass_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_incidents {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            IncidentRow,
            r#"SELECT i.id AS "id!: i64", i.utilisation_id AS "utilisation_id!: i64",
                      u.pass_id AS "pass_id!: i64", p.code AS "code!: String",
                      p.programme_id AS "programme_id!: i64",
                      u.structure_id AS "structure_id!: i64",
                      u.valeur_centimes AS "valeur_centimes!: i64",
                      u.hors_ligne_at AS "hors_ligne_at?: DateTime<Utc>",
                      u.utilise_at AS "utilise_at!: DateTime<Utc>", i.motif AS "motif!: String",
                      i.created_at AS "created_at!: DateTime<Utc>",
                      i.decision AS "decision?: String", i.decide_par AS "decide_par?: String",
                      i.decide_at AS "decide_at?: DateTime<Utc>",
                      i.commentaire AS "commentaire?: String",
                      i.decision_seq AS "decision_seq?: i64"
               FROM pass_incidents i JOIN pass_utilisations u ON u.id = i.utilisation_id
                    JOIN pass p ON p.id = u.pass_id "# + $where $(, $arg)*
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
///   transaction that holds the pass journal's lock until it ends, waiting for it
///   (PostgreSQL: a transaction-level advisory lock; SQLite: `BEGIN IMMEDIATE`);
/// - `async fn begin_pass_tx(&self) -> StoreResult<sqlx::Transaction<'static, $db>>`: a
///   write transaction that does not take the journal's lock (SQLite: `BEGIN IMMEDIATE`,
///   which holds it anyway);
/// - `async fn essayer_verrou_pass(conn: &mut <$db as Database>::Connection) ->
///   StoreResult<bool>`: takes the journal's lock for the rest of the transaction if it is
///   free, without waiting (PostgreSQL: `pg_try_advisory_xact_lock`; SQLite: always held);
/// - `async fn pass_journal_page(&self, apres: i64, limite: i64) ->
///   StoreResult<Vec<Entree>>`: a page of the pass stream (PostgreSQL: binary `COPY`;
///   SQLite: one aggregated JSON row), as the Mandats journal reads its pages;
/// - `async fn lire_utilisations_du_lieu(&self, structure_id: i64, debut: DateTime<Utc>,
///   fin: DateTime<Utc>) -> StoreResult<Vec<UtilisationRow>>`: a place's redemptions in
///   `[debut, fin)`, by time then id (the monthly statement; PostgreSQL: binary `COPY`,
///   parsed as it arrives; SQLite: the rows);
/// - `async fn inserer_entrees_pass(conn, entrees: &[Entree]) -> StoreResult<()>` and
///   `async fn noter_seqs_pass(conn, seqs: &[(i64, i64)]) -> StoreResult<()>`: write
///   entries just chained (every entry of the stream goes through it) and the waiting
///   redemptions' seqs (PostgreSQL: one `UNNEST` statement each; SQLite: one row at a
///   time);
/// - the group commit's reads and writes, on a transaction holding the journal's lock
///   (`PassStore::utiliser_lot`; PostgreSQL: one statement each, with arrays; SQLite: one
///   statement per row, in-process and under its one write lock):
///   `async fn lire_pass_par_codes(&self, codes: &[String]) -> StoreResult<Vec<PassRow>>` (the
///   passes of a batch of redemptions, read before its transaction),
///   `async fn lire_pass_lot(conn, ids: &[i64]) -> StoreResult<Vec<PassRow>>` (the passes
///   that exist, locked until the transaction ends: PostgreSQL `FOR UPDATE` in id order),
///   `async fn utilisations_des_pass(conn, ids: &[i64]) -> StoreResult<Vec<UtilisationRow>>`
///   (at least the first redemption of each), `async fn nonces_pris(conn, paires: &[(i64,
///   String)]) -> StoreResult<Vec<(i64, String)>>` (the (place, nonce) pairs already used),
///   `async fn marquer_utilises(conn, passes: &[(i64, DateTime<Utc>)]) -> StoreResult<u64>`
///   (`distribue` → `utilise`, conditional: how many rows changed) and
///   `async fn inserer_utilisations(conn, lignes: &[(UtilisationRow, Option<DateTime<Utc>>)])
///   -> StoreResult<Vec<i64>>` (the rows with their `hors_ligne_at`; their ids, in order;
///   a unique index's refusal is `Conflict`).
///
/// # The ledger off the redemption's path
///
/// A redemption does not wait for the journal's lock: its transaction changes the pass's
/// row (the guard), inserts the redemption, then takes the lock only if it is free; if so,
/// it chains up to `ATTENTE_PAR_ECRITURE` (128) waiting entries and its own, else it leaves its
/// entry in `pass_journal_attente`, committed with the redemption. Whoever holds the lock
/// next (a redemption, any other pass write, `PassStore::chainer_registre`) chains the
/// waiting entries, oldest first, and deletes them in the same transaction: the chain has
/// one head, no gap and no fork, and no redemption queues behind another's commit.
///
/// The invoking module imports the backend's `DbResult` (for `.db()`).
#[macro_export]
macro_rules! pass_store {
    ($store:ty, $db:ty) => {
        const _: () = {
            use ::chrono::{DateTime, NaiveDate, Utc};
            use ::maillage_domain::journal::{Chaine, Entree, Flux, NouvelleEntree, Sceau};
            use ::maillage_store::pass::{
                entree_pass, CleApiRow, CompteEtats, EtapeFinRow, GardePass, IncidentRow,
                LieuQualifieRow, NewCarnet, NewCleApi, NewDistribution, NewProgramme,
                NewUtilisation, PassRow, ProgrammeRow, Utilisation, UtilisationRow,
                ACTION_ALERTE_FIN, ACTION_AVOIR, ACTION_BLOCAGE, ACTION_BLOCAGE_FIN,
                ACTION_DISTRIBUTION, ACTION_EMISSION, ACTION_EXPIRATION, ACTION_INCIDENT,
                ACTION_PROGRAMME, ACTION_UTILISATION, ETAPE_ALERTE, ETAPE_AVOIR, ETAPE_BLOCAGE,
                ETAT_DISTRIBUE, ETAT_EMIS, ETAT_UTILISE, FENETRE_COURSE_ESSAI,
            };
            use ::maillage_store::{StoreError, StoreResult};

            type Connexion = <$db as ::sqlx::Database>::Connection;

            fn octets32(v: &[u8]) -> [u8; 32] {
                <[u8; 32]>::try_from(v).unwrap_or([0xff; 32])
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
                let seq = e.seq;
                <$store>::inserer_entrees_pass(conn, &[e]).await?;
                Ok(seq)
            }

            async fn pass_par_id(conn: &mut Connexion, id: i64) -> StoreResult<PassRow> {
                $crate::__select_pass!("WHERE id = $1", id)
                    .fetch_one(&mut *conn)
                    .await
                    .db()
            }

            /// How many waiting entries a write that holds the lock chains before its own:
            /// bounds what one redemption spends on others' entries.
            const ATTENTE_PAR_ECRITURE: i64 = 128;

            /// The pass stream as one write transaction appends to it: `Some(head)` when the
            /// transaction holds the pass journal's lock (entries are chained now, after the
            /// waiting ones), `None` when it does not (entries wait in
            /// `pass_journal_attente`, committed with the rows they describe).
            struct Registre {
                chaine: Option<Chaine>,
                tampon: Vec<u8>,
            }

            impl Registre {
                /// On a transaction holding the lock: chains up to `limite` waiting entries,
                /// oldest first.
                async fn verrouille_apres(conn: &mut Connexion, limite: i64) -> StoreResult<Self> {
                    let mut r = Registre {
                        chaine: Some(tete(&mut *conn).await?),
                        tampon: Vec::with_capacity(256),
                    };
                    r.chainer_attente(conn, limite).await?;
                    Ok(r)
                }

                async fn verrouille(conn: &mut Connexion) -> StoreResult<Self> {
                    Registre::verrouille_apres(conn, ATTENTE_PAR_ECRITURE).await
                }

                fn sans_verrou() -> Self {
                    Registre {
                        chaine: None,
                        tampon: Vec::new(),
                    }
                }

                /// Chains up to `limite` waiting entries, oldest first; how many. One
                /// statement takes them out of the queue (`DELETE … RETURNING`), the backend
                /// writes the entries and the redemptions' seqs in one batch each
                /// (`inserer_entrees_pass`, `noter_seqs_pass`).
                async fn chainer_attente(
                    &mut self,
                    conn: &mut Connexion,
                    limite: i64,
                ) -> StoreResult<usize> {
                    let Some(chaine) = self.chaine.as_mut() else {
                        return Ok(0);
                    };
                    if limite <= 0 {
                        return Ok(0);
                    }
                    let mut lignes = ::sqlx::query!(
                        r#"DELETE FROM pass_journal_attente
                           WHERE id IN (SELECT id FROM pass_journal_attente ORDER BY id LIMIT $1)
                           RETURNING id AS "id!: i64", at_us AS "at_us!: i64",
                                  action AS "action!: String", acteur AS "acteur!: String",
                                  structure_id AS "structure_id?: i64",
                                  objet_id AS "objet_id?: i64", usager AS "usager?: String",
                                  demarches AS "demarches!: String",
                                  details AS "details!: String",
                                  utilisation_id AS "utilisation_id?: i64""#,
                        limite
                    )
                    .fetch_all(&mut *conn)
                    .await
                    .db()?;
                    lignes.sort_by_key(|l| l.id);
                    let n = lignes.len();
                    let mut entrees = Vec::with_capacity(n);
                    let mut seqs = Vec::new();
                    for l in lignes {
                        let contenu = NouvelleEntree {
                            at_us: l.at_us,
                            action: l.action,
                            acteur: l.acteur,
                            structure_id: l.structure_id,
                            mandat_id: l.objet_id,
                            usager: l.usager,
                            demarches: l.demarches,
                            details: l.details,
                        };
                        let e = chaine.ajouter_flux(Flux::Pass, contenu, &mut self.tampon);
                        if let Some(u) = l.utilisation_id {
                            seqs.push((u, e.seq));
                        }
                        entrees.push(e);
                    }
                    <$store>::inserer_entrees_pass(&mut *conn, &entrees).await?;
                    <$store>::noter_seqs_pass(&mut *conn, &seqs).await?;
                    Ok(n)
                }

                /// Chains `contenu` now when the lock is held (the entry, to insert with
                /// [`inserer_entree`]), else `None`.
                fn chainer(&mut self, contenu: &NouvelleEntree) -> Option<Entree> {
                    let chaine = self.chaine.as_mut()?;
                    Some(chaine.ajouter_flux(Flux::Pass, contenu.clone(), &mut self.tampon))
                }

                /// Appends `contenu` (the entry of the redemption `utilisation_id`, if it is
                /// one): its seq when chained now, `None` when it waits.
                async fn ajouter(
                    &mut self,
                    conn: &mut Connexion,
                    contenu: NouvelleEntree,
                    utilisation_id: Option<i64>,
                ) -> StoreResult<Option<i64>> {
                    match self.chaine.as_mut() {
                        Some(chaine) => {
                            let seq = ajouter(&mut *conn, chaine, contenu, &mut self.tampon).await?;
                            if let Some(u) = utilisation_id {
                                ::sqlx::query!(
                                    "UPDATE pass_utilisations SET journal_seq = $2 WHERE id = $1",
                                    u,
                                    seq
                                )
                                .execute(&mut *conn)
                                .await
                                .db()?;
                            }
                            Ok(Some(seq))
                        }
                        None => {
                            ::sqlx::query!(
                                "INSERT INTO pass_journal_attente (at_us, action, acteur,
                                     structure_id, objet_id, usager, demarches, details,
                                     utilisation_id)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                contenu.at_us,
                                contenu.action,
                                contenu.acteur,
                                contenu.structure_id,
                                contenu.mandat_id,
                                contenu.usager,
                                contenu.demarches,
                                contenu.details,
                                utilisation_id
                            )
                            .execute(&mut *conn)
                            .await
                            .db()?;
                            Ok(None)
                        }
                    }
                }
            }

            /// The ledger entry of the redemption `u` of `pass`.
            fn contenu_utilisation(u: &NewUtilisation, pass: &PassRow) -> NouvelleEntree {
                let mut details = ::maillage_store::pass::serde_json::json!({
                    "code": pass.code,
                    "lieu": u.structure_id,
                    "valeur_centimes": pass.valeur_centimes,
                    "nonce": u.nonce,
                    "activite": u.activite_id,
                });
                if let Some(f) = &u.forcee {
                    details["forcee"] = true.into();
                    details["hors_ligne_le"] = f.hors_ligne_at.to_rfc3339().into();
                }
                entree_pass(
                    u.at,
                    ACTION_UTILISATION,
                    &u.acteur,
                    Some(u.structure_id),
                    Some(pass.id),
                    pass.programme_id,
                    details,
                )
            }

            /// The first redemption of a pass, as a batch sees it: in the database before
            /// the batch, or the batch's `k`-th new one.
            #[derive(Clone)]
            enum Premiere {
                Existante(UtilisationRow),
                Nouvelle(usize),
            }

            /// What a batch decided for one request, before writing.
            enum Decision {
                Creee(usize),
                Rejouee(Premiere),
                DejaUtilise(Premiere),
                NonceDejaServi,
                EtatRefuse(String),
                Introuvable,
            }

            /// Inserts the redemption and appends its ledger entry through `registre`;
            /// `sans_garde` flags the control run's rows. A nonce the place already used
            /// (the unique index, when two requests race) is `Conflict`.
            async fn inserer_utilisation(
                conn: &mut Connexion,
                registre: &mut Registre,
                u: &NewUtilisation,
                pass: &PassRow,
                sans_garde: bool,
            ) -> StoreResult<UtilisationRow> {
                let forcee = u.forcee.is_some();
                let hors_ligne_at = u.forcee.as_ref().map(|f| f.hors_ligne_at);
                let contenu = contenu_utilisation(u, pass);
                // Chained now when the journal's lock is held: the redemption is inserted
                // with its seq (no second write of the row).
                let entree = registre.chainer(&contenu);
                let journal_seq = entree.as_ref().map_or(0, |e| e.seq);
                let id = ::sqlx::query_scalar!(
                    r#"INSERT INTO pass_utilisations (pass_id, structure_id, nonce, cle_api_id,
                                                     compte_id, activite_id, valeur_centimes,
                                                     utilise_at, journal_seq, controle_sans_garde,
                                                     forcee, hors_ligne_at, code)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                       RETURNING id AS "id!: i64""#,
                    pass.id,
                    u.structure_id,
                    u.nonce,
                    u.cle_api_id,
                    u.compte_id,
                    u.activite_id,
                    pass.valeur_centimes,
                    u.at,
                    journal_seq,
                    sans_garde,
                    forcee,
                    hors_ligne_at,
                    pass.code
                )
                .fetch_one(&mut *conn)
                .await
                .db()?;
                if let Some(f) = &u.forcee {
                    ::sqlx::query!(
                        "INSERT INTO pass_incidents (utilisation_id, motif, created_at)
                         VALUES ($1, $2, $3)",
                        id,
                        f.motif,
                        u.at
                    )
                    .execute(&mut *conn)
                    .await
                    .db()?;
                }
                match &entree {
                    Some(e) => <$store>::inserer_entrees_pass(&mut *conn, std::slice::from_ref(e)).await?,
                    None => {
                        registre.ajouter(&mut *conn, contenu, Some(id)).await?;
                    }
                }
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
                    journal_seq,
                    forcee,
                    decision: None,
                    decision_seq: None,
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
                    let mut registre = Registre::verrouille(&mut tx).await?;
                    let ligne = inserer_utilisation(&mut tx, &mut registre, u, &pass, true).await?;
                    tx.commit().await.db()?;
                    Ok(Utilisation::Creee(ligne))
                }

                /// The group commit (see `PassStore::utiliser_lot`): one transaction holding
                /// the journal's lock; the batch's passes locked and read, every request
                /// decided in order as one after the other would be, then written in a few
                /// statements. `Conflict` when a unique index or the conditional update
                /// refuses a row all the same (the caller then goes one by one).
                async fn utiliser_lot_en_une_fois(
                    &self,
                    lot: &[NewUtilisation],
                ) -> StoreResult<Vec<StoreResult<Utilisation>>> {
                    use ::std::collections::{HashMap, HashSet};
                    // As a single redemption: the ledger's lock taken once for the batch if
                    // it is free (every entry chained now), never waited for (else every
                    // entry waits for the next holder).
                    let mut tx = self.begin_pass_tx().await?;
                    let mut registre = if Self::essayer_verrou_pass(&mut tx).await? {
                        Registre::verrouille(&mut tx).await?
                    } else {
                        Registre::sans_verrou()
                    };
                    let mut ids: Vec<i64> = lot.iter().map(|u| u.pass_id).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    let passes: HashMap<i64, PassRow> = <$store>::lire_pass_lot(&mut tx, &ids)
                        .await?
                        .into_iter()
                        .map(|p| (p.id, p))
                        .collect();
                    let mut premieres: HashMap<i64, Premiere> = HashMap::new();
                    for r in <$store>::utilisations_des_pass(&mut tx, &ids).await? {
                        match premieres.get(&r.pass_id) {
                            Some(Premiere::Existante(e)) if e.id <= r.id => {}
                            _ => {
                                premieres.insert(r.pass_id, Premiere::Existante(r));
                            }
                        }
                    }
                    let mut paires: Vec<(i64, String)> =
                        lot.iter().map(|u| (u.structure_id, u.nonce.clone())).collect();
                    paires.sort_unstable();
                    paires.dedup();
                    let mut pris: HashSet<(i64, String)> =
                        <$store>::nonces_pris(&mut tx, &paires).await?.into_iter().collect();
                    // Each request decided in arrival order, on the state the previous ones
                    // left: exactly what `utiliser` would answer one after the other.
                    let mut etats: HashMap<i64, String> =
                        passes.values().map(|p| (p.id, p.etat.clone())).collect();
                    let mut nouvelles: Vec<usize> = Vec::new();
                    let mut decisions = Vec::with_capacity(lot.len());
                    for (i, u) in lot.iter().enumerate() {
                        let Some(etat) = etats.get_mut(&u.pass_id) else {
                            decisions.push(Decision::Introuvable);
                            continue;
                        };
                        let cle = (u.structure_id, u.nonce.clone());
                        if etat == ETAT_DISTRIBUE && !pris.contains(&cle) {
                            *etat = ETAT_UTILISE.to_string();
                            pris.insert(cle);
                            premieres
                                .entry(u.pass_id)
                                .or_insert(Premiere::Nouvelle(nouvelles.len()));
                            decisions.push(Decision::Creee(nouvelles.len()));
                            nouvelles.push(i);
                            continue;
                        }
                        decisions.push(match premieres.get(&u.pass_id) {
                            Some(p) => {
                                let (structure_id, nonce) = match p {
                                    Premiere::Existante(e) => (e.structure_id, e.nonce.as_str()),
                                    Premiere::Nouvelle(k) => {
                                        let n = &lot[nouvelles[*k]];
                                        (n.structure_id, n.nonce.as_str())
                                    }
                                };
                                if nonce == u.nonce && structure_id == u.structure_id {
                                    Decision::Rejouee(p.clone())
                                } else {
                                    Decision::DejaUtilise(p.clone())
                                }
                            }
                            // Still « distribue »: the nonce stopped it.
                            None if etat == ETAT_DISTRIBUE => Decision::NonceDejaServi,
                            None => Decision::EtatRefuse(etat.clone()),
                        });
                    }
                    // The new redemptions and their ledger entries, chained now when the
                    // lock is held (each row inserted with its entry's seq), else left to
                    // wait (seq 0 until chained).
                    let mut lignes = Vec::with_capacity(nouvelles.len());
                    let mut entrees = Vec::with_capacity(nouvelles.len());
                    let mut en_attente = Vec::new();
                    let mut changes = Vec::with_capacity(nouvelles.len());
                    for &i in &nouvelles {
                        let u = &lot[i];
                        let pass = passes
                            .get(&u.pass_id)
                            .ok_or_else(|| StoreError::Database("batch pass missing".into()))?;
                        let contenu = contenu_utilisation(u, pass);
                        let journal_seq = match registre.chainer(&contenu) {
                            Some(e) => {
                                let seq = e.seq;
                                entrees.push(e);
                                seq
                            }
                            None => {
                                en_attente.push(contenu);
                                0
                            }
                        };
                        lignes.push((
                            UtilisationRow {
                                id: 0,
                                pass_id: pass.id,
                                code: pass.code.clone(),
                                structure_id: u.structure_id,
                                nonce: u.nonce.clone(),
                                cle_api_id: u.cle_api_id,
                                compte_id: u.compte_id,
                                activite_id: u.activite_id,
                                valeur_centimes: pass.valeur_centimes,
                                at: u.at,
                                journal_seq,
                                forcee: u.forcee.is_some(),
                                decision: None,
                                decision_seq: None,
                            },
                            u.forcee.as_ref().map(|f| f.hors_ligne_at),
                        ));
                        changes.push((pass.id, u.at));
                    }
                    if !lignes.is_empty() {
                        let n = <$store>::marquer_utilises(&mut tx, &changes).await?;
                        if n != changes.len() as u64 {
                            return Err(StoreError::Conflict(format!(
                                "{n} passes changed for {} redemptions",
                                changes.len()
                            )));
                        }
                        let ids = <$store>::inserer_utilisations(&mut tx, &lignes).await?;
                        if ids.len() != lignes.len() {
                            return Err(StoreError::Database(format!(
                                "{} redemptions inserted for {}",
                                ids.len(),
                                lignes.len()
                            )));
                        }
                        for ((ligne, _), id) in lignes.iter_mut().zip(ids) {
                            ligne.id = id;
                        }
                        for (&i, (ligne, _)) in nouvelles.iter().zip(&lignes) {
                            if let Some(f) = &lot[i].forcee {
                                ::sqlx::query!(
                                    "INSERT INTO pass_incidents (utilisation_id, motif, created_at)
                                     VALUES ($1, $2, $3)",
                                    ligne.id,
                                    f.motif,
                                    lot[i].at
                                )
                                .execute(&mut *tx)
                                .await
                                .db()?;
                            }
                        }
                        <$store>::inserer_entrees_pass(&mut tx, &entrees).await?;
                        // Without the lock: one waiting entry per redemption (rare: another
                        // pass write or another node's batch holds the lock).
                        for (contenu, (ligne, _)) in en_attente.into_iter().zip(&lignes) {
                            registre.ajouter(&mut tx, contenu, Some(ligne.id)).await?;
                        }
                    }
                    tx.commit().await.db()?;
                    let ligne = |p: Premiere| -> StoreResult<UtilisationRow> {
                        match p {
                            Premiere::Existante(e) => Ok(e),
                            Premiere::Nouvelle(k) => lignes
                                .get(k)
                                .map(|(l, _)| l.clone())
                                .ok_or_else(|| StoreError::Database("batch row missing".into())),
                        }
                    };
                    Ok(decisions
                        .into_iter()
                        .map(|d| match d {
                            Decision::Creee(k) => ligne(Premiere::Nouvelle(k)).map(Utilisation::Creee),
                            Decision::Rejouee(p) => ligne(p).map(Utilisation::Rejouee),
                            Decision::DejaUtilise(p) => ligne(p).map(Utilisation::DejaUtilise),
                            Decision::NonceDejaServi => Ok(Utilisation::NonceDejaServi),
                            Decision::EtatRefuse(etat) => Ok(Utilisation::EtatRefuse { etat }),
                            Decision::Introuvable => Err(StoreError::NotFound),
                        })
                        .collect())
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
                    let mut registre = Registre::verrouille(&mut tx).await?;
                    registre.ajouter(
                        &mut tx,
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
                        None,
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
                    let mut registre = Registre::verrouille(&mut tx).await?;
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
                        registre.ajouter(
                            &mut tx,
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
                            None,
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

                async fn pass_par_codes(&self, codes: &[String]) -> StoreResult<Vec<PassRow>> {
                    <$store>::lire_pass_par_codes(self, codes).await
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
                    let mut registre = Registre::verrouille(&mut tx).await?;
                    registre.ajouter(
                        &mut tx,
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
                        None,
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
                    let mut registre = Registre::verrouille(&mut tx).await?;
                    registre.ajouter(
                        &mut tx,
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
                        None,
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
                    // No journal lock here: the guard is the row's.
                    let mut tx = self.begin_pass_tx().await?;
                    // The guard: only one transaction changes the row, and only if this
                    // place has not used the nonce (the unique index stays the last guard).
                    let changee = ::sqlx::query_as!(
                        PassRow,
                        r#"UPDATE pass SET etat = 'utilise', updated_at = $2
                           WHERE id = $1 AND etat = 'distribue'
                             AND NOT EXISTS (SELECT 1 FROM pass_utilisations
                                             WHERE structure_id = $3 AND nonce = $4)
                           RETURNING id AS "id!: i64", carnet_id AS "carnet_id!: i64",
                                  programme_id AS "programme_id!: i64", code AS "code!: String",
                                  valeur_centimes AS "valeur_centimes!: i64",
                                  etat AS "etat!: String",
                                  distribue_par AS "distribue_par?: i64",
                                  distribue_at AS "distribue_at?: DateTime<Utc>",
                                  personne_commune AS "personne_commune?: String",
                                  personne_tranche_age AS "personne_tranche_age?: String",
                                  personne_statut AS "personne_statut?: String",
                                  personne_id AS "personne_id?: i64",
                                  updated_at AS "updated_at!: DateTime<Utc>""#,
                        u.pass_id,
                        u.at,
                        u.structure_id,
                        u.nonce
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?;
                    let Some(pass) = changee else {
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
                            // Still « distribue »: the nonce stopped it.
                            None if pass.etat == ETAT_DISTRIBUE => Utilisation::NonceDejaServi,
                            None => Utilisation::EtatRefuse { etat: pass.etat },
                        });
                    };
                    // The ledger entry: chained now if the journal's lock is free, else
                    // left for the next holder (never waited for).
                    let mut registre = if Self::essayer_verrou_pass(&mut tx).await? {
                        Registre::verrouille(&mut tx).await?
                    } else {
                        Registre::sans_verrou()
                    };
                    let ligne =
                        match inserer_utilisation(&mut tx, &mut registre, u, &pass, false).await {
                            // Another request of this place took the nonce meanwhile (the
                            // unique index): rolled back, the pass stays « distribue ».
                            Err(StoreError::Conflict(_)) => {
                                return Ok(Utilisation::NonceDejaServi)
                            }
                            r => r?,
                        };
                    tx.commit().await.db()?;
                    Ok(Utilisation::Creee(ligne))
                }

                async fn utiliser_lot(
                    &self,
                    lot: &[NewUtilisation],
                    garde: GardePass,
                ) -> StoreResult<Vec<StoreResult<Utilisation>>> {
                    if garde == GardePass::Active && !lot.is_empty() {
                        match self.utiliser_lot_en_une_fois(lot).await {
                            Err(StoreError::Conflict(raison)) => {
                                ::tracing::warn!(
                                    %raison,
                                    n = lot.len(),
                                    "a redemption batch was refused by a unique index: its requests go one by one"
                                );
                            }
                            r => return r,
                        }
                    }
                    let mut sorties = Vec::with_capacity(lot.len());
                    for u in lot {
                        sorties.push(self.utiliser(u, garde).await);
                    }
                    Ok(sorties)
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
                    self.lire_utilisations_du_lieu(structure_id, debut, fin).await
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

                async fn etapes_fin(&self, programme_id: i64) -> StoreResult<Vec<EtapeFinRow>> {
                    ::sqlx::query_as!(
                        EtapeFinRow,
                        r#"SELECT programme_id AS "programme_id!: i64", etape AS "etape!: String",
                                  acteur AS "acteur!: String", fait_at AS "at!: DateTime<Utc>",
                                  nombre AS "nombre!: i64",
                                  montant_centimes AS "montant_centimes!: i64"
                           FROM pass_fin_validite WHERE programme_id = $1 ORDER BY fait_at"#,
                        programme_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn etape_fin(
                    &self,
                    programme_id: i64,
                    etape: &str,
                    acteur: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<EtapeFinRow> {
                    let mut tx = self.begin_pass_write().await?;
                    let deja = ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM pass_fin_validite
                           WHERE programme_id = $1 AND etape = $2"#,
                        programme_id,
                        etape
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    if deja > 0 {
                        return Err(StoreError::Conflict(format!(
                            "step {etape} of programme {programme_id} already done"
                        )));
                    }
                    let mut registre = Registre::verrouille(&mut tx).await?;
                    // The passes the step changes: (state after, ledger action).
                    let changement = match etape {
                        ETAPE_ALERTE => None,
                        ETAPE_BLOCAGE => Some(("bloque", ACTION_BLOCAGE)),
                        ETAPE_AVOIR => Some(("expire", ACTION_EXPIRATION)),
                        autre => {
                            return Err(StoreError::Invalid(format!(
                                "unknown end of validity step {autre}"
                            )))
                        }
                    };
                    let mut changes = (0i64, 0i64);
                    if let Some((apres, action)) = changement {
                        let bloquer = etape == ETAPE_BLOCAGE;
                        let passes = ::sqlx::query!(
                            r#"SELECT id AS "id!: i64", code AS "code!: String",
                                      etat AS "etat!: String",
                                      valeur_centimes AS "valeur_centimes!: i64"
                               FROM pass WHERE programme_id = $1
                                 AND (etat = 'emis'
                                      OR (NOT $2 AND etat IN ('distribue', 'bloque')))
                               ORDER BY id"#,
                            programme_id,
                            bloquer
                        )
                        .fetch_all(&mut *tx)
                        .await
                        .db()?;
                        for p in passes {
                            changes = (changes.0 + 1, changes.1 + p.valeur_centimes);
                            ::sqlx::query!(
                                "UPDATE pass SET etat = $2, updated_at = $3 WHERE id = $1",
                                p.id,
                                apres,
                                at
                            )
                            .execute(&mut *tx)
                            .await
                            .db()?;
                            registre
                                .ajouter(
                                    &mut tx,
                                    entree_pass(
                                        at,
                                        action,
                                        acteur,
                                        None,
                                        Some(p.id),
                                        programme_id,
                                        ::maillage_store::pass::serde_json::json!({
                                            "code": p.code,
                                            "avant": p.etat,
                                            "apres": apres,
                                            "valeur_centimes": p.valeur_centimes,
                                            "fin_de_validite": true,
                                        }),
                                    ),
                                    None,
                                )
                                .await?;
                        }
                    }
                    // What the step concerns: not yet redeemed (alert), blocked now
                    // (blocking), not redeemed at all (credit note).
                    let compte = if etape == ETAPE_BLOCAGE {
                        changes
                    } else {
                        let alerte = etape == ETAPE_ALERTE;
                        let c = ::sqlx::query!(
                            r#"SELECT COUNT(*) AS "n!: i64",
                                      CAST(COALESCE(SUM(valeur_centimes), 0) AS BIGINT) AS "v!: i64"
                               FROM pass WHERE programme_id = $1
                                 AND (($2 AND etat IN ('emis', 'distribue'))
                                   OR (NOT $2 AND etat IN ('expire', 'bloque', 'annule')))"#,
                            programme_id,
                            alerte
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        (c.n, c.v)
                    };
                    let action = match etape {
                        ETAPE_ALERTE => ACTION_ALERTE_FIN,
                        ETAPE_BLOCAGE => ACTION_BLOCAGE_FIN,
                        _ => ACTION_AVOIR,
                    };
                    registre
                        .ajouter(
                            &mut tx,
                            entree_pass(
                                at,
                                action,
                                acteur,
                                None,
                                None,
                                programme_id,
                                ::maillage_store::pass::serde_json::json!({
                                    "etape": etape,
                                    "nombre": compte.0,
                                    "montant_centimes": compte.1,
                                }),
                            ),
                            None,
                        )
                        .await?;
                    ::sqlx::query!(
                        "INSERT INTO pass_fin_validite (programme_id, etape, acteur, fait_at,
                                                        nombre, montant_centimes)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        programme_id,
                        etape,
                        acteur,
                        at,
                        compte.0,
                        compte.1
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    tx.commit().await.db()?;
                    Ok(EtapeFinRow {
                        programme_id,
                        etape: etape.to_string(),
                        acteur: acteur.to_string(),
                        at,
                        nombre: compte.0,
                        montant_centimes: compte.1,
                    })
                }

                async fn incidents_du_programme(
                    &self,
                    programme_id: i64,
                ) -> StoreResult<Vec<IncidentRow>> {
                    $crate::__select_incidents!(
                        "WHERE p.programme_id = $1 ORDER BY i.id",
                        programme_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn incident(&self, id: i64) -> StoreResult<Option<IncidentRow>> {
                    $crate::__select_incidents!("WHERE i.id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn decider_incident(
                    &self,
                    id: i64,
                    decision: &str,
                    par: &str,
                    at: DateTime<Utc>,
                    commentaire: Option<&str>,
                ) -> StoreResult<IncidentRow> {
                    let mut tx = self.begin_pass_write().await?;
                    let i = $crate::__select_incidents!("WHERE i.id = $1", id)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?
                        .ok_or(StoreError::NotFound)?;
                    if i.decision.is_some() {
                        return Err(StoreError::Invalid(format!("incident {id} already decided")));
                    }
                    let mut registre = Registre::verrouille(&mut tx).await?;
                    let seq = registre
                        .ajouter(
                            &mut tx,
                            entree_pass(
                                at,
                                ACTION_INCIDENT,
                                par,
                                Some(i.structure_id),
                                Some(i.pass_id),
                                i.programme_id,
                                ::maillage_store::pass::serde_json::json!({
                                    "incident": id,
                                    "code": i.code,
                                    "lieu": i.structure_id,
                                    "valeur_centimes": i.valeur_centimes,
                                    "decision": decision,
                                }),
                            ),
                            None,
                        )
                        .await?;
                    ::sqlx::query!(
                        "UPDATE pass_incidents SET decision = $2, decide_par = $3, decide_at = $4,
                                                   commentaire = $5, decision_seq = $6
                         WHERE id = $1 AND decision IS NULL",
                        id,
                        decision,
                        par,
                        at,
                        commentaire,
                        seq
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    let apres = $crate::__select_incidents!("WHERE i.id = $1", id)
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                    tx.commit().await.db()?;
                    Ok(apres)
                }

                async fn contact_personne(&self, personne_id: i64) -> StoreResult<Option<String>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT contact AS "contact!: String" FROM pass_contacts
                           WHERE personne_id = $1"#,
                        personne_id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn definir_contact_personne(
                    &self,
                    personne_id: i64,
                    contact: Option<&str>,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    match contact {
                        Some(c) => ::sqlx::query!(
                            "INSERT INTO pass_contacts (personne_id, contact, created_at)
                             VALUES ($1, $2, $3)
                             ON CONFLICT (personne_id)
                             DO UPDATE SET contact = excluded.contact,
                                           created_at = excluded.created_at",
                            personne_id,
                            c,
                            at
                        )
                        .execute(&self.pool)
                        .await
                        .db()?,
                        None => ::sqlx::query!(
                            "DELETE FROM pass_contacts WHERE personne_id = $1",
                            personne_id
                        )
                        .execute(&self.pool)
                        .await
                        .db()?,
                    };
                    Ok(())
                }

                async fn pass_a_aviser(
                    &self,
                    programme_id: i64,
                ) -> StoreResult<Vec<::maillage_store::pass::PassAAviser>> {
                    ::sqlx::query_as!(
                        ::maillage_store::pass::PassAAviser,
                        r#"SELECT p.id AS "pass_id!: i64", p.code AS "code!: String",
                                  p.valeur_centimes AS "valeur_centimes!: i64",
                                  p.personne_id AS "personne_id!: i64",
                                  p.distribue_at AS "distribue_at?: DateTime<Utc>",
                                  c.contact AS "contact!: String"
                           FROM pass p JOIN pass_contacts c ON c.personne_id = p.personne_id
                           WHERE p.programme_id = $1 AND p.etat = 'distribue'
                             AND NOT EXISTS (SELECT 1 FROM pass_avis_fin a WHERE a.pass_id = p.id)
                           ORDER BY p.id"#,
                        programme_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn marquer_avise(&self, pass_id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
                    let n = ::sqlx::query!(
                        "INSERT INTO pass_avis_fin (pass_id, avise_at) VALUES ($1, $2)
                         ON CONFLICT (pass_id) DO NOTHING",
                        pass_id,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn pass_journal_head(&self) -> StoreResult<Chaine> {
                    let mut conn = self.pool.acquire().await.db()?;
                    tete(&mut conn).await
                }

                async fn pass_journal(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
                    self.pass_journal_page(apres, limite).await
                }

                async fn chainer_registre(&self) -> StoreResult<u64> {
                    let mut total = 0u64;
                    loop {
                        let mut tx = self.begin_pass_write().await?;
                        let mut registre = Registre::verrouille_apres(&mut tx, 0).await?;
                        let n = registre.chainer_attente(&mut tx, 1_000).await?;
                        tx.commit().await.db()?;
                        total += n as u64;
                        if n < 1_000 {
                            return Ok(total);
                        }
                    }
                }

                async fn add_sceau_pass(&self, s: &Sceau) -> StoreResult<()> {
                    let (hash, signature) = (&s.hash[..], &s.signature[..]);
                    ::sqlx::query!(
                        "INSERT INTO pass_journal_sceaux (seq, hash, at_us, signature)
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

                async fn sceaux_pass(&self) -> StoreResult<Vec<Sceau>> {
                    let lignes = ::sqlx::query!(
                        r#"SELECT seq AS "seq!: i64", hash AS "hash!: Vec<u8>",
                                  at_us AS "at_us!: i64", signature AS "signature!: Vec<u8>"
                           FROM pass_journal_sceaux ORDER BY seq"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()?;
                    Ok(lignes
                        .into_iter()
                        .map(|l| Sceau {
                            seq: l.seq,
                            hash: octets32(&l.hash),
                            at_us: l.at_us,
                            signature: <[u8; 64]>::try_from(&l.signature[..]).unwrap_or([0; 64]),
                        })
                        .collect())
                }

                async fn registre_en_attente(&self) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM pass_journal_attente"#
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }
            }
        };
    };
}
