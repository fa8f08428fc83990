//! The shared contract suite of `maillage_store`, run against SQLite.
//!
//! Every case gets its own in-memory database.

use std::sync::Arc;

use maillage_store::contract::TestStore;
use maillage_store::contract_mandats::AccesBrut;
use maillage_store_sqlite::SqliteStore;
use sqlx::SqlitePool;

/// An attacker's direct access to the database file.
struct Brut(SqlitePool);

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
            "DROP TRIGGER journal_sans_modification",
            "DROP TRIGGER journal_sans_suppression",
            "DROP TRIGGER journal_sceaux_sans_modification",
            "DROP TRIGGER journal_sceaux_sans_suppression",
        ]
    }

    fn octets(&self, b: &[u8]) -> String {
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("X'{hex}'")
    }
}

async fn fresh_store() -> TestStore {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite store");
    let brut = Arc::new(Brut(store.pool().clone()));
    TestStore::new(Arc::new(store)).with_brut(brut)
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
