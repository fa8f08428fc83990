//! PostgreSQL-specific behaviour: rollback after a failure inside the database, and
//! concurrent imports.

mod common;

use std::sync::Arc;

use maillage_store::contract::{self, SABOTAGED_FILE_NAME, SABOTAGED_MEMBER};
use maillage_store::{LieuxStore, NewImportReport, SourceRecord};

#[tokio::test]
async fn rollback_after_database_failure() {
    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let sabotage = format!(
        "CREATE FUNCTION sabotage() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'sabotaged %', TG_TABLE_NAME; END $$;
         CREATE TRIGGER sabotage_report BEFORE INSERT ON import_reports FOR EACH ROW
             WHEN (NEW.file_name = '{SABOTAGED_FILE_NAME}') EXECUTE FUNCTION sabotage();
         CREATE TRIGGER sabotage_member BEFORE INSERT ON merged_lieu_members FOR EACH ROW
             WHEN (NEW.member_ref = '{SABOTAGED_MEMBER}') EXECUTE FUNCTION sabotage();"
    );
    sqlx::raw_sql(&sabotage)
        .execute(store.pool())
        .await
        .expect("sabotage");
    let pool = store.pool().clone();
    let outcome = tokio::spawn(contract::rollback_after_database_failure(Arc::new(store))).await;
    pool.close().await;
    db.drop_database().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn record(source: &str, id: usize, version: u32) -> SourceRecord {
    SourceRecord {
        source: source.into(),
        source_id: format!("{id:05}"),
        content_hash: format!("h{id}-{version}"),
        data: format!(r#"{{"v":{version}}}"#),
        code_insee: None,
        latitude: None,
        longitude: None,
        date_maj: None,
    }
}

fn report(source: &str) -> NewImportReport {
    NewImportReport {
        source: source.into(),
        format: "csv".into(),
        file_name: "f.csv".into(),
        rows_read: 0,
        accepted: 0,
        corrected: 0,
        rejected: 0,
        details_json: "[]".into(),
    }
}

/// Concurrent imports of the same source are serialised: each sees the other's result.
#[tokio::test]
async fn concurrent_imports_of_one_source_are_serialised() {
    let db = common::TestDatabase::create().await;
    let store = Arc::new(db.store().await);
    let mut tasks = Vec::new();
    for version in 0..4_u32 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let records = (0..2_000).map(|i| record("s", i, version)).collect();
            store.apply_import(records, report("s")).await
        }));
    }
    let mut added = 0;
    let mut updated = 0;
    for task in tasks {
        let summary = task.await.expect("task").expect("import");
        added += summary.added;
        updated += summary.updated;
    }
    assert_eq!(added, 2_000, "only the first import adds");
    assert_eq!(updated, 3 * 2_000, "every later import updates");
    assert_eq!(store.sources().await, Ok(vec![("s".to_string(), 2_000)]));
    store.pool().close().await;
    db.drop_database().await;
}

/// `cargo test -p maillage_store_postgres --release --test postgres -- --ignored --nocapture`
#[tokio::test]
#[ignore = "benchmark: one million records"]
async fn bulk_import_one_million() {
    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    let outcome = tokio::spawn(contract::bulk_import(Arc::new(store), 1_000_000)).await;
    pool.close().await;
    db.drop_database().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
