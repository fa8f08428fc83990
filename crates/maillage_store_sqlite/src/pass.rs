//! SQLite side of [`PassStore`](maillage_store::pass::PassStore).
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction: SQLite has one writer at a time, so
//! the conditional update of a redemption, the insert and the ledger entry cannot interleave
//! with another write, from this process or another one on the same file. The queries are
//! shared with PostgreSQL (`maillage_store_sql`); this file holds the lock (so the queue of
//! waiting ledger entries, `pass_journal_attente`, stays empty here) and the page reader.

use chrono::{DateTime, Utc};
use maillage_domain::journal::Entree;
use maillage_store::mandats::lire_page_json;
use maillage_store::pass::{PassRow, UtilisationRow};
use maillage_store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::{DbResult, SqliteStore};

maillage_store_sql::pass_store!(SqliteStore, Sqlite);

impl SqliteStore {
    /// SQLite's one write lock is the pass journal's.
    async fn begin_pass_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    async fn begin_pass_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    /// Held already: `BEGIN IMMEDIATE` took the one write lock.
    async fn essayer_verrou_pass(_conn: &mut SqliteConnection) -> StoreResult<bool> {
        Ok(true)
    }

    /// Inserts entries already chained, one statement each (every entry of the pass
    /// stream is written here, the one just chained as the waiting ones).
    async fn inserer_entrees_pass(
        conn: &mut SqliteConnection,
        entrees: &[Entree],
    ) -> StoreResult<()> {
        for e in entrees {
            let (prev, hash) = (&e.prev_hash[..], &e.hash[..]);
            sqlx::query!(
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
        }
        Ok(())
    }

    /// Writes the seqs of redemptions whose entries were just chained.
    async fn noter_seqs_pass(conn: &mut SqliteConnection, seqs: &[(i64, i64)]) -> StoreResult<()> {
        for &(u, seq) in seqs {
            sqlx::query!(
                "UPDATE pass_utilisations SET journal_seq = $2 WHERE id = $1",
                u,
                seq
            )
            .execute(&mut *conn)
            .await
            .db()?;
        }
        Ok(())
    }

    async fn pass_journal_page(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
        // One aggregated row per page, as the Mandats journal reads its pages.
        let page = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_array(seq, at_us, action, acteur, structure_id,
                          objet_id, usager, demarches, details, hex(prev_hash), hex(hash)))
                      AS "page!: String"
               FROM (SELECT * FROM pass_journal WHERE seq > ?1 ORDER BY seq LIMIT ?2)"#,
            apres,
            limite
        )
        .fetch_one(&self.pool)
        .await
        .db()?;
        lire_page_json(&page)
    }

    /// The passes of a batch of redemptions by their codes: one statement each, on one
    /// pooled connection (in-process, no network between them).
    async fn lire_pass_par_codes(&self, codes: &[String]) -> StoreResult<Vec<PassRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let mut passes = Vec::with_capacity(codes.len());
        for code in codes {
            if let Some(p) = maillage_store_sql::__select_pass!("WHERE code = $1", code)
                .fetch_optional(&mut *conn)
                .await
                .db()?
            {
                passes.push(p);
            }
        }
        Ok(passes)
    }

    /// The group commit's passes (one statement each: in-process, under the one write lock
    /// `BEGIN IMMEDIATE` took, nothing else can change them).
    async fn lire_pass_lot(conn: &mut SqliteConnection, ids: &[i64]) -> StoreResult<Vec<PassRow>> {
        let mut passes = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(p) = maillage_store_sql::__select_pass!("WHERE id = $1", id)
                .fetch_optional(&mut *conn)
                .await
                .db()?
            {
                passes.push(p);
            }
        }
        Ok(passes)
    }

    /// The first redemption of each of these passes, if any.
    async fn utilisations_des_pass(
        conn: &mut SqliteConnection,
        ids: &[i64],
    ) -> StoreResult<Vec<UtilisationRow>> {
        let mut lignes = Vec::new();
        for &id in ids {
            if let Some(u) = maillage_store_sql::__select_utilisations!(
                "WHERE u.pass_id = $1 ORDER BY u.id LIMIT 1",
                id
            )
            .fetch_optional(&mut *conn)
            .await
            .db()?
            {
                lignes.push(u);
            }
        }
        Ok(lignes)
    }

    /// The (place, nonce) pairs among `paires` already used.
    async fn nonces_pris(
        conn: &mut SqliteConnection,
        paires: &[(i64, String)],
    ) -> StoreResult<Vec<(i64, String)>> {
        let mut pris = Vec::new();
        for (structure_id, nonce) in paires {
            let n = sqlx::query_scalar!(
                r#"SELECT COUNT(*) AS "n!: i64" FROM pass_utilisations
                   WHERE structure_id = $1 AND nonce = $2"#,
                structure_id,
                nonce
            )
            .fetch_one(&mut *conn)
            .await
            .db()?;
            if n > 0 {
                pris.push((*structure_id, nonce.clone()));
            }
        }
        Ok(pris)
    }

    /// `distribue` → `utilise`, one row at a time; how many changed.
    async fn marquer_utilises(
        conn: &mut SqliteConnection,
        passes: &[(i64, DateTime<Utc>)],
    ) -> StoreResult<u64> {
        let mut n = 0;
        for (id, at) in passes {
            n += sqlx::query!(
                "UPDATE pass SET etat = 'utilise', updated_at = $2
                 WHERE id = $1 AND etat = 'distribue'",
                id,
                at
            )
            .execute(&mut *conn)
            .await
            .db()?
            .rows_affected();
        }
        Ok(n)
    }

    /// Inserts the group commit's redemptions, one statement each; their ids, in order.
    async fn inserer_utilisations(
        conn: &mut SqliteConnection,
        lignes: &[(UtilisationRow, Option<DateTime<Utc>>)],
    ) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(lignes.len());
        for (u, hors_ligne_at) in lignes {
            ids.push(
                sqlx::query_scalar!(
                    r#"INSERT INTO pass_utilisations (pass_id, structure_id, nonce, cle_api_id,
                           compte_id, activite_id, valeur_centimes, utilise_at, journal_seq,
                           controle_sans_garde, forcee, hors_ligne_at, code)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE, $10, $11, $12)
                       RETURNING id AS "id!: i64""#,
                    u.pass_id,
                    u.structure_id,
                    u.nonce,
                    u.cle_api_id,
                    u.compte_id,
                    u.activite_id,
                    u.valeur_centimes,
                    u.at,
                    u.journal_seq,
                    u.forcee,
                    hors_ligne_at,
                    u.code
                )
                .fetch_one(&mut *conn)
                .await
                .db()?,
            );
        }
        Ok(ids)
    }

    /// A place's redemptions in `[debut, fin)` (the monthly statement).
    async fn lire_utilisations_du_lieu(
        &self,
        structure_id: i64,
        debut: DateTime<Utc>,
        fin: DateTime<Utc>,
    ) -> StoreResult<Vec<UtilisationRow>> {
        maillage_store_sql::__select_utilisations!(
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
}
