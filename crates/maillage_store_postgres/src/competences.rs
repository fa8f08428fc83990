//! PostgreSQL side of [`CompetencesStore`](maillage_store::competences::CompetencesStore):
//! every query is shared (`maillage_store_sql::competences_store!`).

use crate::{DbResult, PgStore};

maillage_store_sql::competences_store!(PgStore);
