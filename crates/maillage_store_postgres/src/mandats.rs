//! PostgreSQL side of [`MandatsStore`](maillage_store::mandats::MandatsStore).
//!
//! Every write that appends to the journal runs in one transaction whose first statement
//! takes a transaction-level advisory lock ([`VERROU_JOURNAL`]): appends are serialised, so
//! reading the journal's head, checking the mandate and appending the entry cannot be
//! interleaved with another append (no gap, no fork), and the entry commits or rolls back
//! with the record it describes. Transactions run at READ COMMITTED: each statement after
//! the lock sees what the previous holder committed (its commit is visible before its lock
//! is released). The queries are shared with SQLite (`maillage_store_sql`), the rules of
//! each write too (`maillage_store::mandats_ecriture`); this file holds what PostgreSQL
//! does its own way.

use maillage_domain::mandats::Entree;
use maillage_store::StoreResult;
use sqlx::{Postgres, Transaction};

use crate::{DbResult, PgStore};

/// Key of the advisory lock that serialises the writes of the journal.
const VERROU_JOURNAL: i64 = 7_236_155;

maillage_store_sql::mandats_store!(PgStore, Postgres);

impl PgStore {
    /// Begins a transaction that holds the journal's lock until it ends.
    async fn begin_journal_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", VERROU_JOURNAL)
            .execute(&mut *tx)
            .await
            .db()?;
        Ok(tx)
    }

    async fn journal_page(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
        // Binary COPY (see `copie`): the server sends a page of 10,000 entries about five
        // times faster than as rows or as one `json_agg` row.
        crate::copie::page(&self.pool, crate::copie::Table::Mandats, apres, limite).await
    }
}
