//! PostgreSQL side of [`PassStore`](maillage_store::pass::PassStore).
//!
//! Appends to the pass journal are serialised across every app node on the database by a
//! transaction-level advisory lock ([`VERROU_JOURNAL_PASS`]): no gap, no fork. A redemption
//! does not wait for it (`pg_try_advisory_xact_lock` after its conditional update: when the
//! lock is taken, its entry waits in `pass_journal_attente` for the next holder, see
//! `maillage_store_sql::pass_store!`); the other writes take it first. The unique indexes of
//! `pass_utilisations` stay the last guard. The queries are shared with SQLite
//! (`maillage_store_sql`); this file holds the lock and the page reader.

use chrono::{DateTime, Utc};
use maillage_domain::journal::Entree;
use maillage_store::pass::UtilisationRow;
use maillage_store::StoreResult;
use sqlx::{PgConnection, Postgres, Transaction};

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

    /// A write transaction without the pass journal's lock.
    async fn begin_pass_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin_write().await
    }

    /// Takes the pass journal's lock for the rest of the transaction if no one holds it.
    async fn essayer_verrou_pass(conn: &mut PgConnection) -> StoreResult<bool> {
        sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_xact_lock($1) AS "pris!: bool""#,
            VERROU_JOURNAL_PASS
        )
        .fetch_one(&mut *conn)
        .await
        .db()
    }

    async fn pass_journal_page(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
        crate::copie::page(&self.pool, crate::copie::Table::Pass, apres, limite).await
    }

    /// A place's redemptions in `[debut, fin)` by binary `COPY` (the monthly statement of
    /// 1,000,000 redemptions: see `docs/PERFORMANCE.md`).
    async fn lire_utilisations_du_lieu(
        &self,
        structure_id: i64,
        debut: DateTime<Utc>,
        fin: DateTime<Utc>,
    ) -> StoreResult<Vec<UtilisationRow>> {
        crate::copie::utilisations_du_lieu(&self.pool, structure_id, debut, fin).await
    }
}
