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
use maillage_store::pass::UtilisationRow;
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
