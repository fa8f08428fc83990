//! The shared contract suite of `maillage_store`, run against PostgreSQL.
//!
//! Every case gets its own database (see `common`), dropped afterwards.

mod common;

use std::sync::Arc;

use maillage_store::contract::TestStore;

async fn fresh_store() -> TestStore {
    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    TestStore::new(Arc::new(store)).with_teardown(move || async move {
        pool.close().await;
        db.drop_database().await;
    })
}

maillage_store::contract_tests!(fresh_store());
maillage_store::mediation_contract_tests!(fresh_store());
