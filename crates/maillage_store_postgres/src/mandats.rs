//! PostgreSQL implementation of [`MandatsStore`].
//!
//! Every write that appends to the journal runs in one transaction whose first statement
//! takes a transaction-level advisory lock ([`VERROU_JOURNAL`]): appends are serialised, so
//! reading the journal's head, checking the mandate and appending the entry cannot be
//! interleaved with another append (no gap, no fork), and the entry commits or rolls back
//! with the record it describes. Transactions run at READ COMMITTED: each statement after
//! the lock sees what the previous holder committed (its commit is visible before its lock
//! is released).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use maillage_domain::mandats::{
    Action, Chaine, Demarche, Entree, MotifRefus, NouvelleEntree, Sceau,
};
use maillage_store::mandats::{
    a_revoquer, details, valider_mandat, AutorisationRow, DetailValeur, HabilitationRow,
    MandatCree, MandatRow, MandatsStore, NewMandat, UsagerCible, UsagerRow, Utilisation,
};
use maillage_store::{StoreError, StoreResult};
use sqlx::postgres::PgPoolCopyExt;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::{DbResult, PgStore};

/// Key of the advisory lock that serialises the writes of the journal.
const VERROU_JOURNAL: i64 = 7_236_155;

/// Lenient conversion: a stored hash of the wrong length (tampered) becomes a value no
/// SHA-256 can equal, so verification reports the entry instead of failing to read it.
fn octets32(v: &[u8]) -> [u8; 32] {
    <[u8; 32]>::try_from(v).unwrap_or([0xff; 32])
}

fn octets64(v: &[u8]) -> [u8; 64] {
    <[u8; 64]>::try_from(v).unwrap_or([0; 64])
}

/// Begins a transaction that holds the journal's lock until it ends.
async fn ecriture(pool: &PgPool) -> StoreResult<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await.db()?;
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", VERROU_JOURNAL)
        .execute(&mut *tx)
        .await
        .db()?;
    Ok(tx)
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

async fn tete(conn: &mut PgConnection) -> StoreResult<Chaine> {
    let row = sqlx::query!("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    Ok(row.map_or(Chaine::VIDE, |r| Chaine {
        seq: r.seq,
        hash: octets32(&r.hash),
    }))
}

/// Appends entries after the head, in order (the caller holds the journal's lock).
async fn ajouter(
    conn: &mut PgConnection,
    entrees: Vec<NouvelleEntree>,
) -> StoreResult<Vec<Entree>> {
    let mut chaine = tete(conn).await?;
    let mut tampon = Vec::with_capacity(256);
    let mut out = Vec::with_capacity(entrees.len());
    for contenu in entrees {
        let e = chaine.ajouter(contenu, &mut tampon);
        sqlx::query!(
            "INSERT INTO journal (seq, at_us, action, acteur, structure_id, mandat_id, usager,
                                  demarches, details, prev_hash, hash)
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
            &e.prev_hash[..],
            &e.hash[..],
        )
        .execute(&mut *conn)
        .await
        .db()?;
        out.push(e);
    }
    Ok(out)
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

macro_rules! select_mandats {
    ($where:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            LigneMandat,
            r#"SELECT id, usager_id, structure_id, aidant_id, duree, created_at, expire_at,
                      revoque_at, revoque_par, empreinte, modele, document, renouvelle,
                      rappel_at
               FROM mandats "# + $where $(, $arg)*
        )
    };
}

macro_rules! select_usagers {
    ($where:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            UsagerRow,
            r#"SELECT id, pseudonyme, structure_id, data, code_cle, code_hash, created_at,
                      purge_at
               FROM usagers "# + $where $(, $arg)*
        )
    };
}

macro_rules! select_journal {
    ($where:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            LigneJournal,
            r#"SELECT seq, at_us, action, acteur, structure_id, mandat_id, usager, demarches,
                      details, prev_hash, hash
               FROM journal "# + $where $(, $arg)*
        )
    };
}

async fn autorisations(
    conn: &mut PgConnection,
    mandat_id: i64,
) -> StoreResult<Vec<AutorisationRow>> {
    let rows = sqlx::query!(
        "SELECT demarche, revoquee_at, revoquee_par
         FROM autorisations WHERE mandat_id = $1 ORDER BY demarche",
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
    conn: &mut PgConnection,
    lignes: Vec<LigneMandat>,
) -> StoreResult<Vec<MandatRow>> {
    let mut out = Vec::with_capacity(lignes.len());
    for l in lignes {
        let a = autorisations(conn, l.id).await?;
        out.push(l.avec(a));
    }
    Ok(out)
}

async fn charger(conn: &mut PgConnection, id: i64) -> StoreResult<Option<MandatRow>> {
    let l = select_mandats!("WHERE id = $1", id)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    Ok(completer(conn, l.into_iter().collect()).await?.pop())
}

async fn revoquer_demarches(
    conn: &mut PgConnection,
    mandat_id: i64,
    demarches: &[Demarche],
    tout: bool,
    par: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    for d in demarches {
        sqlx::query!(
            "UPDATE autorisations SET revoquee_at = $1, revoquee_par = $2
             WHERE mandat_id = $3 AND demarche = $4 AND revoquee_at IS NULL",
            at,
            par,
            mandat_id,
            d.code()
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    if tout {
        sqlx::query!(
            "UPDATE mandats SET revoque_at = $1, revoque_par = $2
             WHERE id = $3 AND revoque_at IS NULL",
            at,
            par,
            mandat_id
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

/// Fills in what the store knows about the mandate an entry is about: its id, the
/// person's pseudonymous id, and (unless given) the structure holding it.
async fn rattacher(
    conn: &mut PgConnection,
    mandat: &MandatRow,
    mut e: NouvelleEntree,
) -> StoreResult<NouvelleEntree> {
    let pseudonyme = sqlx::query_scalar!(
        "SELECT pseudonyme FROM usagers WHERE id = $1",
        mandat.usager_id
    )
    .fetch_one(&mut *conn)
    .await
    .db()?;
    e.mandat_id = Some(mandat.id);
    e.usager = Some(pseudonyme);
    e.structure_id = e.structure_id.or(Some(mandat.structure_id));
    Ok(e)
}

fn instant(at_us: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(at_us)
        .ok_or_else(|| StoreError::Invalid(format!("timestamp out of range: {at_us}")))
}

#[async_trait]
impl MandatsStore for PgStore {
    async fn habiliter(&self, compte_id: i64, par: i64, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query!(
            "INSERT INTO habilitations (compte_id, habilite_at, habilite_par) VALUES ($1, $2, $3)
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

    async fn retirer_habilitation(&self, compte_id: i64) -> StoreResult<bool> {
        let n = sqlx::query!("DELETE FROM habilitations WHERE compte_id = $1", compte_id)
            .execute(&self.pool)
            .await
            .db()?
            .rows_affected();
        Ok(n > 0)
    }

    async fn habilitation(&self, compte_id: i64) -> StoreResult<Option<HabilitationRow>> {
        sqlx::query_as!(
            HabilitationRow,
            "SELECT compte_id, habilite_at, habilite_par FROM habilitations WHERE compte_id = $1",
            compte_id
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn usager(&self, id: i64) -> StoreResult<Option<UsagerRow>> {
        select_usagers!("WHERE id = $1", id)
            .fetch_optional(&self.pool)
            .await
            .db()
    }

    async fn usager_par_cle(&self, code_cle: &str) -> StoreResult<Option<UsagerRow>> {
        select_usagers!("WHERE code_cle = $1", code_cle)
            .fetch_optional(&self.pool)
            .await
            .db()
    }

    async fn usagers_de_structure(&self, structure_id: i64) -> StoreResult<Vec<UsagerRow>> {
        select_usagers!(
            "WHERE structure_id = $1
                OR id IN (SELECT usager_id FROM mandats WHERE structure_id = $1)
             ORDER BY id",
            structure_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn changer_code_usager(
        &self,
        usager_id: i64,
        code_cle: &str,
        code_hash: &str,
    ) -> StoreResult<()> {
        let n = sqlx::query!(
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

    async fn epoque_session_usager(&self, usager_id: i64) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"SELECT session_epoque AS "e!" FROM usagers WHERE id = $1"#,
            usager_id
        )
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(StoreError::NotFound)
    }

    async fn fermer_sessions_usager(&self, usager_id: i64) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"UPDATE usagers SET session_epoque = session_epoque + 1 WHERE id = $1
               RETURNING session_epoque AS "e!""#,
            usager_id
        )
        .fetch_optional(&self.pool)
        .await
        .db()?
        .ok_or(StoreError::NotFound)
    }

    async fn notes_utilisation(&self, mandat_id: i64) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query!(
            r#"SELECT seq AS "seq!", note AS "note!" FROM notes_utilisation WHERE mandat_id = $1 ORDER BY seq"#,
            mandat_id
        )
        .fetch_all(&self.pool)
        .await
        .db()?
        .into_iter()
        .map(|r| (r.seq, r.note))
        .collect())
    }

    async fn purger_usager(&self, usager_id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
        // Serialised with the journal's writers, like every multi-statement write of
        // the SQLite backend (`BEGIN IMMEDIATE`).
        let mut tx = ecriture(&self.pool).await?;
        let n = sqlx::query!(
            "UPDATE usagers SET data = NULL, purge_at = $1 WHERE id = $2 AND purge_at IS NULL",
            at,
            usager_id
        )
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
        sqlx::query!(
            "UPDATE mandats SET document = NULL WHERE usager_id = $1",
            usager_id
        )
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query!(
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

    async fn creer_mandat(
        &self,
        m: NewMandat,
        mut entree: NouvelleEntree,
    ) -> StoreResult<MandatCree> {
        valider_mandat(&m)?;
        let mut tx = ecriture(&self.pool).await?;
        let (usager_id, pseudonyme) = match &m.usager {
            UsagerCible::Existant(id) => {
                let p = sqlx::query_scalar!("SELECT pseudonyme FROM usagers WHERE id = $1", id)
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)?;
                (*id, p)
            }
            UsagerCible::Nouveau(u) => {
                let id = sqlx::query_scalar!(
                    "INSERT INTO usagers (pseudonyme, structure_id, data, code_cle, code_hash,
                                          created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    u.pseudonyme,
                    u.structure_id,
                    u.data,
                    u.code_cle,
                    u.code_hash,
                    u.created_at
                )
                .fetch_one(&mut *tx)
                .await
                .db()?;
                (id, u.pseudonyme.clone())
            }
        };
        if let Some(ancien) = m.renouvelle {
            let a = charger(&mut tx, ancien)
                .await?
                .ok_or(StoreError::NotFound)?;
            if a.usager_id != usager_id || a.structure_id != m.structure_id {
                return Err(StoreError::Invalid(
                    "a renewal is for the same person in the same structure".into(),
                ));
            }
        }
        let id = sqlx::query_scalar!(
            "INSERT INTO mandats (usager_id, structure_id, aidant_id, duree, created_at,
                                  expire_at, empreinte, modele, document, renouvelle)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
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
        .fetch_one(&mut *tx)
        .await
        .db()?;
        for d in &m.demarches {
            sqlx::query!(
                "INSERT INTO autorisations (mandat_id, demarche) VALUES ($1, $2)",
                id,
                d.code()
            )
            .execute(&mut *tx)
            .await
            .db()?;
        }
        entree.mandat_id = Some(id);
        entree.usager = Some(pseudonyme);
        if entree.structure_id.is_none() {
            entree.structure_id = Some(m.structure_id);
        }
        let mut entrees = vec![entree.clone()];
        // The person's other active mandates in this structure lose the démarches this one
        // covers (a renewed one loses everything).
        let autres = select_mandats!(
            "WHERE usager_id = $1 AND structure_id = $2 AND id <> $3 AND revoque_at IS NULL
             ORDER BY id",
            usager_id,
            m.structure_id,
            id
        )
        .fetch_all(&mut *tx)
        .await
        .db()?;
        for autre in completer(&mut tx, autres).await? {
            let renouvele = m.renouvelle == Some(autre.id);
            let cibles: Option<&[Demarche]> = if renouvele { None } else { Some(&m.demarches) };
            let (demarches, tout) = a_revoquer(&autre, cibles);
            if demarches.is_empty() {
                continue;
            }
            let par = if renouvele {
                "renouvellement"
            } else {
                "remplacee"
            };
            revoquer_demarches(&mut tx, autre.id, &demarches, tout, par, m.created_at).await?;
            entrees.push(NouvelleEntree {
                action: if tout {
                    Action::RevocationMandat
                } else {
                    Action::RevocationDemarche
                }
                .code()
                .into(),
                mandat_id: Some(autre.id),
                demarches: Demarche::codes(&demarches),
                details: details(&[
                    ("motif", DetailValeur::Texte(par)),
                    ("par_mandat", DetailValeur::Entier(id)),
                ]),
                ..entree.clone()
            });
        }
        let entrees = ajouter(&mut tx, entrees).await?;
        tx.commit().await.db()?;
        Ok(MandatCree {
            id,
            usager_id,
            entrees,
        })
    }

    async fn utiliser(
        &self,
        u: Utilisation,
        entree: NouvelleEntree,
    ) -> StoreResult<Result<Entree, (MotifRefus, Entree)>> {
        let mut tx = ecriture(&self.pool).await?;
        let mandat = charger(&mut tx, u.mandat_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let verdict = mandat.controler(u.habilite, u.structure_aidant, u.demarche, u.at);
        let entree = rattacher(&mut tx, &mandat, entree).await?;
        let resultat = match verdict {
            Ok(()) => {
                let e = ajouter(&mut tx, vec![entree]).await?.remove(0);
                if let Some(note) = &u.note {
                    sqlx::query!(
                        "INSERT INTO notes_utilisation (seq, mandat_id, note) VALUES ($1, $2, $3)",
                        e.seq,
                        mandat.id,
                        note
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                }
                Ok(e)
            }
            Err(motif) => {
                let refus = NouvelleEntree {
                    action: Action::RefusUtilisation.code().into(),
                    demarches: u.demarche.code().into(),
                    details: details(&[("motif", DetailValeur::Texte(motif.code()))]),
                    ..entree
                };
                Err((motif, ajouter(&mut tx, vec![refus]).await?.remove(0)))
            }
        };
        tx.commit().await.db()?;
        Ok(resultat)
    }

    async fn revoquer(
        &self,
        mandat_id: i64,
        demarches: Option<Vec<Demarche>>,
        par: &str,
        entree: NouvelleEntree,
    ) -> StoreResult<Option<Entree>> {
        let mut tx = ecriture(&self.pool).await?;
        let mandat = charger(&mut tx, mandat_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (cibles, tout) = a_revoquer(&mandat, demarches.as_deref());
        if cibles.is_empty() {
            return Ok(None);
        }
        let at = instant(entree.at_us)?;
        revoquer_demarches(&mut tx, mandat_id, &cibles, tout, par, at).await?;
        let entree = rattacher(&mut tx, &mandat, entree).await?;
        let e = NouvelleEntree {
            action: if tout {
                Action::RevocationMandat
            } else {
                Action::RevocationDemarche
            }
            .code()
            .into(),
            mandat_id: Some(mandat_id),
            demarches: Demarche::codes(&cibles),
            ..entree
        };
        let e = ajouter(&mut tx, vec![e]).await?.remove(0);
        tx.commit().await.db()?;
        Ok(Some(e))
    }

    async fn transferer(
        &self,
        mandat_id: i64,
        vers_structure: i64,
        entree: NouvelleEntree,
    ) -> StoreResult<Entree> {
        let mut tx = ecriture(&self.pool).await?;
        let mandat = charger(&mut tx, mandat_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query!(
            "UPDATE mandats SET structure_id = $1 WHERE id = $2",
            vers_structure,
            mandat_id
        )
        .execute(&mut *tx)
        .await
        .db()?;
        let entree = rattacher(&mut tx, &mandat, entree).await?;
        let e = ajouter(
            &mut tx,
            vec![NouvelleEntree {
                action: Action::Transfert.code().into(),
                mandat_id: Some(mandat_id),
                ..entree
            }],
        )
        .await?
        .remove(0);
        tx.commit().await.db()?;
        Ok(e)
    }

    async fn marquer_rappel(
        &self,
        mandat_id: i64,
        entree: NouvelleEntree,
    ) -> StoreResult<Option<Entree>> {
        let mut tx = ecriture(&self.pool).await?;
        let mandat = charger(&mut tx, mandat_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let entree = rattacher(&mut tx, &mandat, entree).await?;
        let at = instant(entree.at_us)?;
        let n = sqlx::query!(
            "UPDATE mandats SET rappel_at = $1 WHERE id = $2 AND rappel_at IS NULL",
            at,
            mandat_id
        )
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        let e = ajouter(
            &mut tx,
            vec![NouvelleEntree {
                action: Action::RappelExpiration.code().into(),
                mandat_id: Some(mandat_id),
                ..entree
            }],
        )
        .await?
        .remove(0);
        tx.commit().await.db()?;
        Ok(Some(e))
    }

    async fn journaliser(&self, entree: NouvelleEntree) -> StoreResult<Entree> {
        let mut tx = ecriture(&self.pool).await?;
        let e = ajouter(&mut tx, vec![entree]).await?.remove(0);
        tx.commit().await.db()?;
        Ok(e)
    }

    async fn mandat(&self, id: i64) -> StoreResult<Option<MandatRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        charger(&mut conn, id).await
    }

    async fn mandat_par_empreinte(&self, empreinte: &str) -> StoreResult<Option<MandatRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let l = select_mandats!("WHERE empreinte = $1", empreinte)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
        Ok(completer(&mut conn, l.into_iter().collect()).await?.pop())
    }

    async fn mandats_de_usager(&self, usager_id: i64) -> StoreResult<Vec<MandatRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let l = select_mandats!("WHERE usager_id = $1 ORDER BY id DESC", usager_id)
            .fetch_all(&mut *conn)
            .await
            .db()?;
        completer(&mut conn, l).await
    }

    async fn mandats_de_structure(&self, structure_id: i64) -> StoreResult<Vec<MandatRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let l = select_mandats!("WHERE structure_id = $1 ORDER BY id DESC", structure_id)
            .fetch_all(&mut *conn)
            .await
            .db()?;
        completer(&mut conn, l).await
    }

    async fn mandats_a_rappeler(
        &self,
        apres: DateTime<Utc>,
        avant: DateTime<Utc>,
    ) -> StoreResult<Vec<MandatRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let l = select_mandats!(
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

    async fn tete_journal(&self) -> StoreResult<Chaine> {
        let mut conn = self.pool.acquire().await.db()?;
        tete(&mut conn).await
    }

    async fn journal(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
        // Binary COPY (see `copie`): the server sends a page of 10,000 entries about five
        // times faster than as rows or as one `json_agg` row.
        let requete = crate::copie::requete_page(apres, limite.max(0));
        let mut flux = self.pool.copy_out_raw(&requete).await.db()?;
        let mut octets = Vec::new();
        while let Some(morceau) = flux.next().await {
            octets.extend_from_slice(&morceau.db()?);
        }
        crate::copie::lire_page(&octets)
    }

    async fn journal_du_mandat(&self, mandat_id: i64) -> StoreResult<Vec<Entree>> {
        let rows = select_journal!("WHERE mandat_id = $1 ORDER BY seq", mandat_id)
            .fetch_all(&self.pool)
            .await
            .db()?;
        Ok(rows.into_iter().map(LigneJournal::entree).collect())
    }

    async fn journal_de_usager(&self, pseudonyme: &str) -> StoreResult<Vec<Entree>> {
        let rows = select_journal!("WHERE usager = $1 ORDER BY seq", pseudonyme)
            .fetch_all(&self.pool)
            .await
            .db()?;
        Ok(rows.into_iter().map(LigneJournal::entree).collect())
    }

    async fn ajouter_sceau(&self, s: &Sceau) -> StoreResult<()> {
        sqlx::query!(
            "INSERT INTO journal_sceaux (seq, hash, at_us, signature) VALUES ($1, $2, $3, $4)",
            s.seq,
            &s.hash[..],
            s.at_us,
            &s.signature[..],
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn sceaux(&self) -> StoreResult<Vec<Sceau>> {
        let rows =
            sqlx::query!("SELECT seq, hash, at_us, signature FROM journal_sceaux ORDER BY seq")
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
}
