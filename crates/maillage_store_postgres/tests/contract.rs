//! The shared contract suite of `maillage_store`, run against PostgreSQL.
//!
//! Every case gets its own database (see `common`), dropped afterwards.

mod common;

use std::sync::Arc;

use maillage_store::contract::TestStore;
use maillage_store::contract_mandats::AccesBrut;
use sqlx::PgPool;

/// An attacker's direct access to the test database (same pool as the store).
struct Brut(PgPool);

#[async_trait::async_trait]
impl AccesBrut for Brut {
    async fn executer(&self, sql: &str) -> Result<u64, String> {
        sqlx::query(sql)
            .execute(&self.0)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    fn sans_declencheurs(&self) -> Vec<&'static str> {
        vec![
            "DROP TRIGGER journal_sans_modification ON journal",
            "DROP TRIGGER journal_sans_troncature ON journal",
            "DROP TRIGGER journal_sceaux_sans_modification ON journal_sceaux",
            "DROP TRIGGER journal_sceaux_sans_troncature ON journal_sceaux",
        ]
    }

    fn octets(&self, b: &[u8]) -> String {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("'\\x{hex}'::bytea")
    }
}

async fn fresh_store() -> TestStore {
    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    let brut = Arc::new(Brut(pool.clone()));
    TestStore::new(Arc::new(store))
        .with_brut(brut)
        .with_teardown(move || async move {
            pool.close().await;
            db.drop_database().await;
        })
}

maillage_store::contract_tests!(fresh_store());
maillage_store::comptes_contract_tests!(fresh_store());
maillage_store::mediation_contract_tests!(fresh_store());
maillage_store::mandats_contract_tests!(fresh_store());
maillage_store::evenements_contract_tests!(fresh_store());
maillage_store::competences_contract_tests!(fresh_store());
maillage_store::pass_contract_tests!(fresh_store());
maillage_store::enquete_contract_tests!(fresh_store());
maillage_store::corrections_contract_tests!(fresh_store());
