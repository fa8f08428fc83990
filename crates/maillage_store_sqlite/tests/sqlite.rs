//! SQLite-specific behaviour: file databases, and rollback after a failure inside the
//! database.

use std::path::PathBuf;
use std::sync::Arc;

use maillage_store::contract::{self, SABOTAGED_FILE_NAME, SABOTAGED_MEMBER};
use maillage_store::{LieuxStore, NewImportReport, SourceRecord, StoreError};
use maillage_store_sqlite::SqliteStore;

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    std::env::temp_dir().join(format!(
        "maillage-sqlite-{name}-{}-{nanos}",
        std::process::id()
    ))
}

fn record(id: &str) -> SourceRecord {
    SourceRecord {
        source: "s".into(),
        source_id: id.into(),
        content_hash: format!("h{id}"),
        data: "{}".into(),
        code_insee: None,
        latitude: Some(48.1),
        longitude: None,
        date_maj: None,
    }
}

fn report() -> NewImportReport {
    NewImportReport {
        source: "s".into(),
        format: "csv".into(),
        file_name: "f.csv".into(),
        rows_read: 1,
        accepted: 1,
        corrected: 0,
        rejected: 0,
        details_json: "[]".into(),
    }
}

#[tokio::test]
async fn file_database_is_created_with_its_directories_and_persists() {
    let dir = temp_dir("file");
    let path = dir.join("nested/deeper/maillage.db");
    let url = format!("sqlite://{}", path.display());
    {
        let store = SqliteStore::connect(&url).await.expect("connect");
        assert!(path.exists());
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await
            .expect("foreign_keys");
        assert_eq!(fk, 1);
        store
            .apply_import(vec![record("1"), record("2")], report())
            .await
            .expect("import");
        store.close().await;
    }
    // Reopening runs the (already applied) migrations again and keeps the data.
    let store = SqliteStore::connect(&url).await.expect("reconnect");
    assert_eq!(store.sources().await, Ok(vec![("s".to_string(), 2)]));
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn relative_file_urls_work() {
    let dir = temp_dir("relative");
    std::fs::create_dir_all(&dir).expect("dir");
    // A path relative to the current directory, as in `sqlite://data/maillage.db`.
    let cwd = std::env::current_dir().expect("cwd");
    let relative = pathdiff(&dir.join("data/maillage.db"), &cwd);
    let store = SqliteStore::connect(&format!("sqlite://{relative}"))
        .await
        .expect("connect");
    assert!(dir.join("data/maillage.db").exists());
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `target` relative to `base` (both absolute), with `..` as needed.
fn pathdiff(target: &std::path::Path, base: &std::path::Path) -> String {
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[tokio::test]
async fn invalid_url_is_rejected() {
    let result = SqliteStore::connect("postgres://nope").await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
}

#[tokio::test]
async fn in_memory_stores_are_independent() {
    let a = SqliteStore::connect("sqlite::memory:").await.expect("a");
    let b = SqliteStore::connect("sqlite::memory:").await.expect("b");
    a.apply_import(vec![record("1")], report())
        .await
        .expect("import");
    assert_eq!(a.sources().await.expect("a").len(), 1);
    assert_eq!(b.sources().await.expect("b").len(), 0);
}

#[tokio::test]
async fn rollback_after_database_failure() {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("store");
    let sabotage = format!(
        "CREATE TRIGGER sabotage_report BEFORE INSERT ON import_reports
             WHEN NEW.file_name = '{SABOTAGED_FILE_NAME}'
             BEGIN SELECT RAISE(ABORT, 'sabotaged import report'); END;
         CREATE TRIGGER sabotage_member BEFORE INSERT ON merged_lieu_members
             WHEN NEW.member_ref = '{SABOTAGED_MEMBER}'
             BEGIN SELECT RAISE(ABORT, 'sabotaged member'); END;"
    );
    sqlx::raw_sql(&sabotage)
        .execute(store.pool())
        .await
        .expect("sabotage");
    contract::rollback_after_database_failure(Arc::new(store)).await;
}

/// `cargo test -p maillage_store_sqlite --release --test sqlite -- --ignored --nocapture`
#[tokio::test]
#[ignore = "benchmark: one million records"]
async fn bulk_import_one_million() {
    let dir = temp_dir("bulk");
    let url = format!("sqlite://{}", dir.join("bulk.db").display());
    let store = SqliteStore::connect(&url).await.expect("store");
    contract::bulk_import(Arc::new(store.clone()), 1_000_000).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
