//! SQLite side of [`EnqueteStore`](maillage_store::enquete::EnqueteStore): the queries are
//! shared with PostgreSQL (`maillage_store_sql`). Writes run in `BEGIN IMMEDIATE`
//! transactions; the unique index on each UUID makes sync idempotent.

use crate::{DbResult, SqliteStore};

maillage_store_sql::enquete_store!(SqliteStore, sqlx::Sqlite);
