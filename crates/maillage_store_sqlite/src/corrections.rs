//! SQLite side of [`CorrectionsStore`](maillage_store::corrections::CorrectionsStore):
//! every query is shared (`maillage_store_sql::corrections_store!`).

use crate::{DbResult, SqliteStore};

maillage_store_sql::corrections_store!(SqliteStore);
