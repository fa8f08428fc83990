//! PostgreSQL side of [`CorrectionsStore`](maillage_store::corrections::CorrectionsStore):
//! every query is shared (`maillage_store_sql::corrections_store!`).

use crate::{DbResult, PgStore};

maillage_store_sql::corrections_store!(PgStore);
