//! SQLite side of [`MandatsStore`](maillage_store::mandats::MandatsStore).
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction: SQLite has one writer at a time, so
//! reading the journal's head, checking the mandate and appending the entry cannot be
//! interleaved with another append (no gap, no fork), and the entry commits or rolls back
//! with the record it describes. The queries are shared with PostgreSQL
//! (`maillage_store_sql`), the rules of each write too (`maillage_store::mandats_ecriture`);
//! this file holds what SQLite does its own way.

use maillage_domain::mandats::Entree;
use maillage_store::mandats::lire_page_json;
use maillage_store::StoreResult;
use sqlx::{Sqlite, Transaction};

use crate::{DbResult, SqliteStore};

maillage_store_sql::mandats_store!(SqliteStore, Sqlite);

impl SqliteStore {
    /// SQLite's one write lock is the journal's.
    async fn begin_journal_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    async fn journal_page(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
        // One aggregated row per page: sqlx's SQLite driver costs ~10 µs per row returned,
        // far more than building and parsing the page's JSON here.
        let page = sqlx::query_scalar!(
            r#"SELECT json_group_array(json_array(seq, at_us, action, acteur, structure_id,
                          mandat_id, usager, demarches, details, hex(prev_hash), hex(hash)))
                      AS "page!: String"
               FROM (SELECT * FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2)"#,
            apres,
            limite
        )
        .fetch_one(&self.pool)
        .await
        .db()?;
        lire_page_json(&page)
    }
}
