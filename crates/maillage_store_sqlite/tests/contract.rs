//! The shared contract suite of `maillage_store`, run against SQLite.
//!
//! Every case gets its own in-memory database.

use std::sync::Arc;

use maillage_store::contract::TestStore;
use maillage_store_sqlite::SqliteStore;

async fn fresh_store() -> TestStore {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite store");
    TestStore::new(Arc::new(store))
}

maillage_store::contract_tests!(fresh_store());
maillage_store::mediation_contract_tests!(fresh_store());
