//! PostgreSQL side of [`EnqueteStore`](maillage_store::enquete::EnqueteStore): the queries
//! are shared with SQLite (`maillage_store_sql`). Concurrent syncs of the same UUID meet on
//! the unique index (`ON CONFLICT (uuid) DO NOTHING`): the second waits for the first to
//! commit, then inserts nothing.

use crate::{DbResult, PgStore};

maillage_store_sql::enquete_store!(PgStore, sqlx::Postgres);
