//! SQLite side of [`ComptesStore`](maillage_store::comptes::ComptesStore): the accounts
//! kernel's tables. The queries are shared with PostgreSQL (`maillage_store_sql`); this
//! file holds what SQLite does its own way.

use chrono::{DateTime, Utc};
use maillage_store::StoreResult;
use sqlx::{Sqlite, Transaction};

use crate::mediation::json_ids;
use crate::{DbResult, SqliteStore};

maillage_store_sql::comptes_store!(SqliteStore);

impl SqliteStore {
    /// Nothing more to lock: [`SqliteStore::begin_write`] holds SQLite's one write lock, so
    /// no other reservation can slip in between the count and the insert.
    async fn lock_attempt_keys(
        _tx: &mut Transaction<'_, Sqlite>,
        _cles: &[&str],
    ) -> StoreResult<()> {
        Ok(())
    }

    async fn insert_attempt(
        tx: &mut Transaction<'_, Sqlite>,
        cle: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"INSERT INTO echecs_connexion (cle, at) VALUES ($1, $2)
               RETURNING rowid AS "id!: i64""#,
            cle,
            at
        )
        .fetch_one(&mut **tx)
        .await
        .db()
    }

    async fn delete_attempts(&self, ids: &[i64]) -> StoreResult<()> {
        let ids = json_ids(ids);
        sqlx::query!(
            "DELETE FROM echecs_connexion WHERE rowid IN (SELECT value FROM json_each($1))",
            ids
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }
}
