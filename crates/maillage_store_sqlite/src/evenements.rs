//! SQLite side of [`EvenementsStore`](maillage_store::evenements::EvenementsStore).
//!
//! A registration (and a cancellation) runs in a `BEGIN IMMEDIATE` transaction: SQLite has
//! one writer at a time, so counting a jauge's seats and inserting cannot interleave with
//! another registration, from this process or another one on the same file. The queries
//! are shared with PostgreSQL (`maillage_store_sql`); this file holds what SQLite does its
//! own way: the lock.

use maillage_store::StoreResult;
use sqlx::{Sqlite, Transaction};

use crate::{DbResult, SqliteStore};

maillage_store_sql::evenements_store!(SqliteStore, Sqlite);

impl SqliteStore {
    /// SQLite's one write lock covers every jauge.
    async fn lock_jauge(&self, _jauge_id: i64) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }
}

impl SqliteStore {
    /// A batch of registrations: the same one write lock.
    async fn lock_jauges(&self, _ids: &[i64]) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    /// The check-in batches and allotments: the same one write lock.
    async fn lock_jauges_evenement(
        &self,
        _evenement_id: i64,
    ) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }
}
