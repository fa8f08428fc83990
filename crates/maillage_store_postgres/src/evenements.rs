//! PostgreSQL side of [`EvenementsStore`](maillage_store::evenements::EvenementsStore).
//!
//! A registration (and a cancellation) runs in one transaction whose first statement locks
//! the jauge's row (`SELECT … FOR UPDATE`): registrations to the same jauge are serialised
//! across every app node on the database, those to other jauges do not wait. Transactions
//! run at READ COMMITTED, so the count that follows the lock sees every registration the
//! previous holder committed. The queries are shared with SQLite (`maillage_store_sql`);
//! this file holds what PostgreSQL does its own way: the lock.

use maillage_store::{StoreError, StoreResult};
use sqlx::{Postgres, Transaction};

use crate::{DbResult, PgStore};

maillage_store_sql::evenements_store!(PgStore, Postgres);

impl PgStore {
    /// Begins a transaction holding the jauge's row lock until it ends.
    async fn lock_jauge(&self, jauge_id: i64) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM evenements_jauges WHERE id = $1 FOR UPDATE"#,
            jauge_id
        )
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound)?;
        Ok(tx)
    }
}

impl PgStore {
    /// Several jauges (sorted, distinct), their rows locked in id order like
    /// [`lock_jauges_evenement`](Self::lock_jauges_evenement): no cycle, no deadlock.
    async fn lock_jauges(&self, ids: &[i64]) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        for &jauge_id in ids {
            sqlx::query_scalar!(
                r#"SELECT id AS "id!: i64" FROM evenements_jauges WHERE id = $1 FOR UPDATE"#,
                jauge_id
            )
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound)?;
        }
        Ok(tx)
    }

    /// Every jauge of the event, locked in id order (a registration locks one of them: no
    /// cycle, no deadlock), for the check-in batches and the devices' allotments.
    async fn lock_jauges_evenement(
        &self,
        evenement_id: i64,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM evenements_jauges WHERE evenement_id = $1
               ORDER BY id FOR UPDATE"#,
            evenement_id
        )
        .fetch_all(&mut *tx)
        .await
        .db()?;
        Ok(tx)
    }
}
