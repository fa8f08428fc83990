//! SQLite side of [`PassStore`](maillage_store::pass::PassStore).
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction: SQLite has one writer at a time, so
//! the conditional update of a redemption, the insert and the ledger entry cannot interleave
//! with another write, from this process or another one on the same file. The queries are
//! shared with PostgreSQL (`maillage_store_sql`); this file holds the lock.

use maillage_store::StoreResult;
use sqlx::{Sqlite, Transaction};

use crate::{DbResult, SqliteStore};

maillage_store_sql::pass_store!(SqliteStore, Sqlite);

impl SqliteStore {
    /// SQLite's one write lock is the pass journal's.
    async fn begin_pass_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }
}
