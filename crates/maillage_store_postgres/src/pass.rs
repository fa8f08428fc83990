//! PostgreSQL side of [`PassStore`](maillage_store::pass::PassStore).
//!
//! Every write runs in one transaction whose first statement takes a transaction-level
//! advisory lock ([`VERROU_JOURNAL_PASS`]): appends to the pass journal are serialised across
//! every app node on the database (no gap, no fork), and a redemption's conditional update,
//! insert and ledger entry commit or roll back together. The unique indexes of
//! `pass_utilisations` stay the last guard. The queries are shared with SQLite
//! (`maillage_store_sql`); this file holds the lock.

use maillage_store::StoreResult;
use sqlx::{Postgres, Transaction};

use crate::{DbResult, PgStore};

/// Key of the advisory lock that serialises the writes of the pass journal (the Mandats
/// journal's is another).
const VERROU_JOURNAL_PASS: i64 = 7_236_156;

maillage_store_sql::pass_store!(PgStore, Postgres);

impl PgStore {
    /// Begins a transaction that holds the pass journal's lock until it ends.
    async fn begin_pass_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", VERROU_JOURNAL_PASS)
            .execute(&mut *tx)
            .await
            .db()?;
        Ok(tx)
    }
}
