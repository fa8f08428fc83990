//! The contract test suite every [`LieuxStore`] backend must pass.
//!
//! In a backend's `tests/contract.rs`:
//!
//! ```ignore
//! async fn fresh_store() -> maillage_store::contract::TestStore {
//!     let store = MyStore::connect("...").await.expect("store");
//!     maillage_store::contract::TestStore::new(std::sync::Arc::new(store))
//! }
//!
//! maillage_store::contract_tests!(fresh_store());
//! ```
//!
//! The macro expands to one `#[tokio::test]` per case, named after the case, and evaluates
//! the given expression (a future of [`TestStore`]) once per case: every case starts with a
//! fresh, empty store. The backend's tests need `tokio` (with `macros` and `rt`).
//!
//! Each case is also a public `async fn(Arc<dyn LieuxStore>)` that can be run directly.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    ImportSummary, LieuxStore, MergedLieuRow, NewImportReport, NewSignalement, PairDecision,
    PairDecisionKind, SignalementRow, SourceRecord, StoreError, StoredSourceRecord,
};

type Teardown = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A fresh, empty store for one contract case, and how to dispose of it afterwards.
pub struct TestStore {
    store: Arc<dyn crate::Store>,
    teardown: Option<Teardown>,
    brut: Option<Arc<dyn crate::contract_mandats::AccesBrut>>,
}

impl TestStore {
    /// A store that needs no clean-up.
    pub fn new(store: Arc<dyn crate::Store>) -> Self {
        TestStore {
            store,
            teardown: None,
            brut: None,
        }
    }

    /// Gives the tamper tests SQL access that bypasses the store.
    pub fn with_brut(mut self, brut: Arc<dyn crate::contract_mandats::AccesBrut>) -> Self {
        self.brut = Some(brut);
        self
    }

    /// Runs `teardown` after the case, whether it passed or panicked (e.g. drops the test
    /// database). The case's handle on the store has been dropped by then.
    pub fn with_teardown<F, Fut>(mut self, teardown: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.teardown = Some(Box::new(move || Box::pin(teardown())));
        self
    }

    /// The store under test.
    pub fn store(&self) -> Arc<dyn LieuxStore> {
        Arc::clone(&self.store) as Arc<dyn LieuxStore>
    }
}

/// Runs one case on the store made by `make`, then its teardown, then re-raises the
/// case's panic if any.
pub async fn run_case<M, C, F>(make: M, case: C)
where
    M: Future<Output = TestStore>,
    C: FnOnce(Arc<dyn LieuxStore>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    run_any_case(make, |store| case(store as Arc<dyn LieuxStore>)).await
}

/// Same as [`run_case`] for the cases of the Médiation store.
pub async fn run_mediation_case<M, C, F>(make: M, case: C)
where
    M: Future<Output = TestStore>,
    C: FnOnce(Arc<dyn crate::Store>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    run_any_case(make, case).await
}

/// Same as [`run_case`] for the cases of the Événements store.
pub async fn run_evenements_case<M, C, F>(make: M, case: C)
where
    M: Future<Output = TestStore>,
    C: FnOnce(Arc<dyn crate::Store>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    run_any_case(make, case).await
}

/// Same as [`run_case`] for the cases of the accounts kernel's store.
pub async fn run_comptes_case<M, C, F>(make: M, case: C)
where
    M: Future<Output = TestStore>,
    C: FnOnce(Arc<dyn crate::ComptesStore>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    run_any_case(make, |store| case(store as Arc<dyn crate::ComptesStore>)).await
}

/// Same as [`run_case`] for the cases of the Mandats store, which also get raw SQL access
/// (the store under test must have been given one with [`TestStore::with_brut`]).
pub async fn run_mandats_case<M, C, F>(make: M, case: C)
where
    M: Future<Output = TestStore>,
    C: FnOnce(Arc<dyn crate::Store>, Arc<dyn crate::contract_mandats::AccesBrut>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let make = async move {
        let t = make.await;
        let brut = t
            .brut
            .clone()
            .expect("the Mandats cases need TestStore::with_brut");
        (t, brut)
    };
    let (t, brut) = make.await;
    run_any_case(async move { t }, move |store| case(store, brut)).await
}

async fn run_any_case<M, C, F>(make: M, case: C)
where
    M: Future<Output = TestStore>,
    C: FnOnce(Arc<dyn crate::Store>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let TestStore {
        store,
        teardown,
        brut,
    } = make.await;
    drop(brut);
    let outcome = tokio::spawn(case(store)).await;
    if let Some(teardown) = teardown {
        teardown().await;
    }
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("contract case did not complete: {error}"),
        }
    }
}

/// Expands to one `#[tokio::test]` per contract case. The argument is an expression
/// evaluating to a `Future<Output = maillage_store::contract::TestStore>`; it is evaluated
/// once per case.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@cases $make;
            import_adds_new_records,
            reimport_of_same_batch_changes_nothing,
            import_updates_changed_records,
            import_retires_missing_records,
            import_reactivates_retired_records,
            import_only_touches_its_own_source,
            empty_import_retires_whole_source,
            duplicate_source_id_writes_nothing,
            foreign_source_writes_nothing,
            failed_import_leaves_previous_state_intact,
            source_record_lookup,
            records_are_ordered_by_source_then_id,
            import_reports_newest_first_with_summary,
            replace_merged_lieux_replaces_directory,
            merged_lieux_round_trip_all_fields,
            merged_lieu_by_member_finds_its_place,
            invalid_merged_lieux_write_nothing,
            pair_decisions_are_normalised_and_upserted,
            unicode_text_round_trips,
            coordinates_round_trip_exactly,
            signalements_newest_first,
            signalements_filtered_by_lieu_and_state,
            signalement_traite_set_and_unset,
            signalement_decision_recorded_and_cleared,
            pair_decision_history_and_undo,
            import_en_attente_round_trip,
            signalement_text_round_trips,
            invalid_signalement_writes_nothing,
            large_batch,
            import_guard_refuses_excess_retirement,
            merge_state_follows_imports_and_merges,
            faille_import_session_by_batches,
            faille_import_session_failures_write_nothing,
            faille_publish_rewrites_only_changed_places,
            faille_source_records_by_pages,
            faille_publish_session_equals_publish,
            faille_publish_session_failures_write_nothing,
            lieu_ids_round_trip_in_the_publication,
            lieu_ids_not_committed_write_nothing,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $case() {
                $crate::contract::run_case($make, $crate::contract::$case).await;
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------
// Helpers

const SOURCE: &str = "france-services";

fn record(source: &str, id: &str, version: u32) -> SourceRecord {
    SourceRecord {
        source: source.to_string(),
        source_id: id.to_string(),
        content_hash: format!("hash-{source}-{id}-v{version}"),
        data: format!(r#"{{"nom":"Lieu {id}","version":{version}}}"#),
        code_insee: Some(format!("{:05}", 29_000 + version)),
        latitude: Some(48.0 + f64::from(version) / 1000.0),
        longitude: Some(-4.0 - f64::from(version) / 1000.0),
        date_maj: NaiveDate::from_ymd_opt(2024, 1, 1 + version % 28),
    }
}

fn batch(source: &str, ids: &[&str], version: u32) -> Vec<SourceRecord> {
    ids.iter().map(|id| record(source, id, version)).collect()
}

fn report(source: &str, file_name: &str) -> NewImportReport {
    NewImportReport {
        source: source.to_string(),
        format: "csv".to_string(),
        file_name: file_name.to_string(),
        rows_read: 10,
        accepted: 8,
        corrected: 1,
        rejected: 1,
        details_json: format!(r#"[{{"ligne":3,"fichier":"{file_name}"}}]"#),
    }
}

async fn import(
    store: &Arc<dyn LieuxStore>,
    records: Vec<SourceRecord>,
    source: &str,
) -> ImportSummary {
    store
        .apply_import(records, report(source, "import.csv"))
        .await
        .expect("import succeeds")
}

fn counts(summary: &ImportSummary) -> (i64, i64, i64, i64) {
    (
        summary.added,
        summary.updated,
        summary.unchanged,
        summary.retired,
    )
}

async fn all_records(store: &Arc<dyn LieuxStore>) -> Vec<StoredSourceRecord> {
    store.source_records(false).await.expect("source_records")
}

async fn get(store: &Arc<dyn LieuxStore>, source: &str, id: &str) -> StoredSourceRecord {
    store
        .source_record(source, id)
        .await
        .expect("source_record")
        .unwrap_or_else(|| panic!("record {source}/{id} exists"))
}

/// Lets the clock move so that a later write gets a later timestamp.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

fn lieu(id: &str, members: &[&str]) -> MergedLieuRow {
    MergedLieuRow {
        id: id.to_string(),
        data: format!(r#"{{"nom":"Lieu fusionné {id}"}}"#),
        members: members.iter().map(|m| m.to_string()).collect(),
        provenance: format!(r#"{{"nom":"{}"}}"#, members.first().copied().unwrap_or("")),
        code_insee: Some("29019".to_string()),
        latitude: Some(48.39),
        longitude: Some(-4.49),
    }
}

async fn state(
    store: &Arc<dyn LieuxStore>,
) -> (
    Vec<StoredSourceRecord>,
    Vec<(String, i64)>,
    Vec<crate::ImportReportRow>,
) {
    (
        all_records(store).await,
        store.sources().await.expect("sources"),
        store.import_reports(1000).await.expect("import_reports"),
    )
}

// ---------------------------------------------------------------------------------------
// Imports

/// New records are inserted, active, with their fields as given.
pub async fn import_adds_new_records(store: Arc<dyn LieuxStore>) {
    let records = batch(SOURCE, &["b", "a", "c"], 1);
    let before = crate::now_micros();
    let summary = import(&store, records.clone(), SOURCE).await;
    assert_eq!(counts(&summary), (3, 0, 0, 0));
    assert!(summary.import_id > 0);

    let stored = all_records(&store).await;
    let mut expected = records;
    expected.sort_by(|x, y| x.source_id.cmp(&y.source_id));
    assert_eq!(
        stored.iter().map(|s| s.record.clone()).collect::<Vec<_>>(),
        expected
    );
    for s in &stored {
        assert!(s.active);
        assert_eq!(s.retired_at, None);
        assert_eq!(s.first_seen_at, s.updated_at);
        assert!(s.first_seen_at >= before);
    }
    assert_eq!(
        store.sources().await.expect("sources"),
        vec![(SOURCE.to_string(), 3)]
    );
    assert_eq!(store.source_records(true).await.expect("active"), stored);
}

/// Importing the same batch twice writes nothing the second time.
pub async fn reimport_of_same_batch_changes_nothing(store: Arc<dyn LieuxStore>) {
    let records = batch(SOURCE, &["1", "2", "3", "4"], 1);
    let first = import(&store, records.clone(), SOURCE).await;
    let after_first = all_records(&store).await;
    tick().await;
    let second = import(&store, records, SOURCE).await;
    assert_eq!(counts(&second), (0, 0, 4, 0));
    assert_ne!(first.import_id, second.import_id);
    assert_eq!(all_records(&store).await, after_first, "no row may change");
    assert_eq!(store.import_reports(10).await.expect("reports").len(), 2);
}

/// A record whose hash changed is updated; its first_seen_at is kept, updated_at bumped.
pub async fn import_updates_changed_records(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["a", "b", "c"], 1), SOURCE).await;
    let a1 = get(&store, SOURCE, "a").await;
    let b1 = get(&store, SOURCE, "b").await;
    tick().await;

    let mut c2 = record(SOURCE, "c", 1);
    c2.content_hash = "hash-c-other".into();
    c2.code_insee = None;
    c2.latitude = None;
    c2.longitude = None;
    c2.date_maj = None;
    let summary = import(
        &store,
        vec![record(SOURCE, "a", 2), record(SOURCE, "b", 1), c2.clone()],
        SOURCE,
    )
    .await;
    assert_eq!(counts(&summary), (0, 2, 1, 0));

    let a2 = get(&store, SOURCE, "a").await;
    assert_eq!(a2.record, record(SOURCE, "a", 2));
    assert_eq!(a2.first_seen_at, a1.first_seen_at);
    assert!(a2.updated_at > a1.updated_at, "updated_at is bumped");
    assert!(a2.active);
    assert_eq!(
        get(&store, SOURCE, "b").await,
        b1,
        "unchanged record untouched"
    );
    let c = get(&store, SOURCE, "c").await;
    assert_eq!(c.record, c2, "optional columns can be cleared");
}

/// Active records missing from the batch are retired, once.
pub async fn import_retires_missing_records(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["a", "b", "c"], 1), SOURCE).await;
    let b1 = get(&store, SOURCE, "b").await;
    tick().await;
    let before = crate::now_micros();
    let summary = import(&store, batch(SOURCE, &["a"], 1), SOURCE).await;
    assert_eq!(counts(&summary), (0, 0, 1, 2));

    let b = get(&store, SOURCE, "b").await;
    assert!(!b.active);
    let retired_at = b.retired_at.expect("retired_at is set");
    assert!(retired_at >= before);
    assert_eq!(b.record, b1.record, "data is kept");
    assert_eq!(b.first_seen_at, b1.first_seen_at);

    let active: Vec<String> = store
        .source_records(true)
        .await
        .expect("active")
        .into_iter()
        .map(|s| s.record.source_id)
        .collect();
    assert_eq!(active, ["a"]);
    assert_eq!(all_records(&store).await.len(), 3, "retired rows are kept");
    assert_eq!(
        store.sources().await.expect("sources"),
        vec![(SOURCE.to_string(), 1)]
    );

    tick().await;
    let again = import(&store, batch(SOURCE, &["a"], 1), SOURCE).await;
    assert_eq!(
        counts(&again),
        (0, 0, 1, 0),
        "already retired: not counted again"
    );
    assert_eq!(get(&store, SOURCE, "b").await.retired_at, Some(retired_at));
}

/// A retired record that comes back is reactivated, even with the same hash.
pub async fn import_reactivates_retired_records(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["a", "b"], 1), SOURCE).await;
    import(&store, batch(SOURCE, &["a"], 1), SOURCE).await;
    let retired = get(&store, SOURCE, "b").await;
    assert!(!retired.active);
    tick().await;

    let summary = import(&store, batch(SOURCE, &["a", "b"], 1), SOURCE).await;
    assert_eq!(counts(&summary), (0, 1, 1, 0));
    let b = get(&store, SOURCE, "b").await;
    assert!(b.active);
    assert_eq!(b.retired_at, None);
    assert!(b.updated_at > retired.updated_at);
    assert_eq!(b.first_seen_at, retired.first_seen_at);
    assert_eq!(
        store.sources().await.expect("sources"),
        vec![(SOURCE.to_string(), 2)]
    );
}

/// Importing one source never touches another, even with the same source ids.
pub async fn import_only_touches_its_own_source(store: Arc<dyn LieuxStore>) {
    import(&store, batch("source-a", &["1", "2"], 1), "source-a").await;
    let before = all_records(&store).await;
    let summary = import(&store, batch("source-b", &["1"], 7), "source-b").await;
    assert_eq!(counts(&summary), (1, 0, 0, 0));
    assert_eq!(
        store.sources().await.expect("sources"),
        vec![("source-a".to_string(), 2), ("source-b".to_string(), 1)]
    );
    let after = all_records(&store).await;
    assert_eq!(after.len(), 3);
    assert_eq!(&after[..2], &before[..]);
    assert_eq!(
        get(&store, "source-b", "1").await.record,
        record("source-b", "1", 7)
    );
}

/// An empty batch retires every record of its source; the source stays listed with 0.
pub async fn empty_import_retires_whole_source(store: Arc<dyn LieuxStore>) {
    import(&store, batch("source-a", &["1", "2"], 1), "source-a").await;
    import(&store, batch("source-b", &["1"], 1), "source-b").await;
    let summary = import(&store, Vec::new(), "source-a").await;
    assert_eq!(counts(&summary), (0, 0, 0, 2));
    assert_eq!(
        store.sources().await.expect("sources"),
        vec![("source-a".to_string(), 0), ("source-b".to_string(), 1)]
    );
    assert!(get(&store, "source-b", "1").await.active);
}

/// A batch with a duplicate source id is rejected as a whole.
pub async fn duplicate_source_id_writes_nothing(store: Arc<dyn LieuxStore>) {
    let mut records = batch(SOURCE, &["1", "2", "3"], 1);
    records.push(record(SOURCE, "2", 2));
    let result = store.apply_import(records, report(SOURCE, "dup.csv")).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert!(all_records(&store).await.is_empty());
    assert!(store.sources().await.expect("sources").is_empty());
    assert!(store.import_reports(10).await.expect("reports").is_empty());
}

/// A batch with a record of another source is rejected as a whole.
pub async fn foreign_source_writes_nothing(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["1", "2"], 1), SOURCE).await;
    let before = state(&store).await;
    let mut records = batch(SOURCE, &["1", "3"], 2);
    records.push(record("autre-source", "9", 1));
    let result = store
        .apply_import(records, report(SOURCE, "mixed.csv"))
        .await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert_eq!(state(&store).await, before);
}

/// An import that fails (here: a duplicate at the very end of a batch that would add,
/// update and retire records) leaves the previous state exactly as it was.
pub async fn failed_import_leaves_previous_state_intact(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["1", "2", "3", "4", "5"], 1), SOURCE).await;
    import(&store, batch(SOURCE, &["1", "2", "3", "4"], 1), SOURCE).await;
    let before = state(&store).await;
    tick().await;

    let mut records = vec![
        record(SOURCE, "1", 1),
        record(SOURCE, "2", 2),
        record(SOURCE, "5", 1),
        record(SOURCE, "6", 1),
    ];
    records.extend((0..500).map(|i| record(SOURCE, &format!("n{i}"), 1)));
    records.push(record(SOURCE, "1", 3));
    let result = store.apply_import(records, report(SOURCE, "bad.csv")).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    assert_eq!(state(&store).await, before);
}

/// `source_record` finds active and retired records, and nothing else.
pub async fn source_record_lookup(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["a", "b"], 1), SOURCE).await;
    import(&store, batch(SOURCE, &["a"], 1), SOURCE).await;
    let a = get(&store, SOURCE, "a").await;
    assert!(a.active);
    assert_eq!(a.record, record(SOURCE, "a", 1));
    assert!(!get(&store, SOURCE, "b").await.active);
    assert_eq!(store.source_record(SOURCE, "zz").await, Ok(None));
    assert_eq!(store.source_record("autre", "a").await, Ok(None));
}

/// Records are listed by source then source id, in byte order.
pub async fn records_are_ordered_by_source_then_id(store: Arc<dyn LieuxStore>) {
    let ids = ["b", "a", "B", "10", "9", "é", "e", "a-1", "a_1", "A"];
    for source in ["zeta", "Alpha", "mu"] {
        import(&store, batch(source, &ids, 1), source).await;
    }
    let listed: Vec<(String, String)> = all_records(&store)
        .await
        .into_iter()
        .map(|s| (s.record.source, s.record.source_id))
        .collect();
    let mut expected = listed.clone();
    expected.sort();
    assert_eq!(listed.len(), 30);
    assert_eq!(listed, expected);
    let sources: Vec<String> = store
        .sources()
        .await
        .expect("sources")
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(sources, ["Alpha", "mu", "zeta"]);
}

/// Reports are stored with their summary and listed newest first.
pub async fn import_reports_newest_first_with_summary(store: Arc<dyn LieuxStore>) {
    let before = crate::now_micros();
    let mut summaries = Vec::new();
    for (n, ids) in [vec!["1", "2"], vec!["2", "3"], vec!["3"]]
        .iter()
        .enumerate()
    {
        let mut r = report(SOURCE, &format!("fichier-{n}.csv"));
        r.rows_read = 100 + n as i64;
        r.accepted = 90 + n as i64;
        r.corrected = 5;
        r.rejected = n as i64;
        let summary = store
            .apply_import(batch(SOURCE, ids, 1), r.clone())
            .await
            .expect("import");
        summaries.push((r, summary));
        tick().await;
    }
    assert_eq!(counts(&summaries[1].1), (1, 0, 1, 1));

    let rows = store.import_reports(10).await.expect("reports");
    assert_eq!(rows.len(), 3);
    for (row, (r, summary)) in rows.iter().zip(summaries.iter().rev()) {
        assert_eq!(&row.report, r);
        assert_eq!(&row.summary, summary);
        assert_eq!(row.id, summary.import_id);
        assert!(row.created_at >= before);
    }
    assert!(rows[0].created_at > rows[2].created_at);

    let two = store.import_reports(2).await.expect("reports");
    assert_eq!(two, rows[..2].to_vec());
    assert_eq!(store.import_reports(0).await, Ok(Vec::new()));
    assert!(matches!(
        store.import_reports(-1).await,
        Err(StoreError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Merged directory

/// Replacing the directory removes the places that are not in the new one.
pub async fn replace_merged_lieux_replaces_directory(store: Arc<dyn LieuxStore>) {
    assert_eq!(store.count_merged_lieux().await, Ok(0));
    assert_eq!(store.merged_lieux().await, Ok(Vec::new()));

    let first = vec![
        lieu("x", &["s#1"]),
        lieu("y", &["s#2", "t#2"]),
        lieu("z", &["s#3"]),
    ];
    store
        .replace_merged_lieux(first.clone())
        .await
        .expect("replace");
    assert_eq!(store.merged_lieux().await, Ok(first));
    assert_eq!(store.count_merged_lieux().await, Ok(3));

    let mut y2 = lieu("y", &["t#2", "s#1"]);
    y2.data = r#"{"nom":"autre"}"#.into();
    let second = vec![y2.clone(), lieu("w", &["s#3", "s#2"])];
    store
        .replace_merged_lieux(second.clone())
        .await
        .expect("replace");
    assert_eq!(
        store.merged_lieux().await,
        Ok(vec![second[1].clone(), y2.clone()])
    );
    assert_eq!(store.count_merged_lieux().await, Ok(2));
    assert_eq!(store.merged_lieu("x").await, Ok(None));
    assert_eq!(store.merged_lieu("y").await, Ok(Some(y2.clone())));
    assert_eq!(store.merged_lieu_by_member("s#1").await, Ok(Some(y2)));
    assert_eq!(
        store.merged_lieu_by_member("s#2").await,
        Ok(Some(second[1].clone()))
    );
    assert_eq!(store.merged_lieu_by_member("x#9").await, Ok(None));

    store
        .replace_merged_lieux(Vec::new())
        .await
        .expect("replace");
    assert_eq!(store.count_merged_lieux().await, Ok(0));
    assert_eq!(store.merged_lieu_by_member("s#1").await, Ok(None));
}

/// Every field survives the round trip, including absent values and members order.
pub async fn merged_lieux_round_trip_all_fields(store: Arc<dyn LieuxStore>) {
    let mut full = lieu("a-full", &["s2#9", "s1#10", "s1#2", "s0#1"]);
    full.latitude = Some(-21.115_141);
    full.longitude = Some(55.536_384);
    let mut bare = lieu("b-bare", &[]);
    bare.code_insee = None;
    bare.latitude = None;
    bare.longitude = None;
    bare.data = "{}".into();
    bare.provenance = "{}".into();
    let mut half = lieu("c-half", &["s1#1"]);
    half.latitude = Some(0.0);
    half.longitude = None;
    let lieux = vec![full, bare, half];
    store
        .replace_merged_lieux(lieux.clone())
        .await
        .expect("replace");
    assert_eq!(store.merged_lieux().await, Ok(lieux.clone()));
    for l in &lieux {
        assert_eq!(store.merged_lieu(&l.id).await, Ok(Some(l.clone())));
    }
}

/// `merged_lieu_by_member` finds the place whatever the member's position.
pub async fn merged_lieu_by_member_finds_its_place(store: Arc<dyn LieuxStore>) {
    let lieux: Vec<MergedLieuRow> = (0..50)
        .map(|i| {
            let members: Vec<String> = (0..3).map(|j| format!("src{j}#{i}")).collect();
            let refs: Vec<&str> = members.iter().map(String::as_str).collect();
            lieu(&format!("lieu-{i:03}"), &refs)
        })
        .collect();
    store
        .replace_merged_lieux(lieux.clone())
        .await
        .expect("replace");
    assert_eq!(store.count_merged_lieux().await, Ok(50));
    for l in &lieux {
        for m in &l.members {
            assert_eq!(store.merged_lieu_by_member(m).await, Ok(Some(l.clone())));
        }
    }
    assert_eq!(store.merged_lieu_by_member("src9#1").await, Ok(None));
    assert_eq!(store.merged_lieu_by_member("lieu-001").await, Ok(None));
}

/// Duplicate ids or a member in two places are rejected and the directory kept.
pub async fn invalid_merged_lieux_write_nothing(store: Arc<dyn LieuxStore>) {
    let good = vec![lieu("1", &["s#1"]), lieu("2", &["s#2"])];
    store
        .replace_merged_lieux(good.clone())
        .await
        .expect("replace");

    let dup_id = vec![lieu("3", &["s#3"]), lieu("3", &["s#4"])];
    assert!(matches!(
        store.replace_merged_lieux(dup_id).await,
        Err(StoreError::Invalid(_))
    ));
    let shared_member = vec![lieu("3", &["s#3"]), lieu("4", &["s#5", "s#3"])];
    assert!(matches!(
        store.replace_merged_lieux(shared_member).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.merged_lieux().await, Ok(good));
}

// ---------------------------------------------------------------------------------------
// Pair decisions

/// Pairs are unordered: stored with `ref_a < ref_b`, a later decision replaces the earlier.
pub async fn pair_decisions_are_normalised_and_upserted(store: Arc<dyn LieuxStore>) {
    assert_eq!(store.pair_decisions().await, Ok(Vec::new()));
    let t1 = crate::now_micros();
    let first = PairDecision {
        ref_a: "s#1".into(),
        ref_b: "t#1".into(),
        decision: PairDecisionKind::Confirmed,
        decided_by: "alice".into(),
        decided_at: t1,
        note: None,
    };
    store
        .set_pair_decision(first.clone())
        .await
        .expect("decision");
    assert_eq!(store.pair_decisions().await, Ok(vec![first.clone()]));

    let t2 = t1 + chrono::Duration::seconds(60);
    store
        .set_pair_decision(PairDecision {
            ref_a: "t#1".into(),
            ref_b: "s#1".into(),
            decision: PairDecisionKind::Refused,
            decided_by: "bob".into(),
            decided_at: t2,
            note: Some("adresses différentes".into()),
        })
        .await
        .expect("decision");
    let replaced = PairDecision {
        ref_a: "s#1".into(),
        ref_b: "t#1".into(),
        decision: PairDecisionKind::Refused,
        decided_by: "bob".into(),
        decided_at: t2,
        note: Some("adresses différentes".into()),
    };
    assert_eq!(store.pair_decisions().await, Ok(vec![replaced.clone()]));

    store
        .set_pair_decision(PairDecision {
            ref_a: "s#2".into(),
            ref_b: "a#9".into(),
            ..first.clone()
        })
        .await
        .expect("decision");
    let listed = store.pair_decisions().await.expect("decisions");
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[0].ref_a.as_str(), listed[0].ref_b.as_str()),
        ("a#9", "s#2")
    );
    assert_eq!(listed[1], replaced);

    let same = PairDecision {
        ref_b: "s#1".into(),
        ..first
    };
    assert!(matches!(
        store.set_pair_decision(same).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.pair_decisions().await.expect("decisions").len(), 2);
}

// ---------------------------------------------------------------------------------------
// Values

/// Accents, guillemets, emoji and other scripts survive every text column.
pub async fn unicode_text_round_trips(store: Arc<dyn LieuxStore>) {
    let source = "réseau-numérique-€";
    let text = "Espace « Numérique » d'Éléonore — café 🏠☕ 日本語 Ω ẞ \u{301}e\u{301}";
    let mut r = record(source, "Ñ°1 «test» 🚀", 1);
    r.data = format!(r#"{{"nom":"{text}","tab":"\t","quote":"\""}}"#);
    r.code_insee = Some("2A004".into());
    let mut rep = report(source, "fichier « été » 📄.csv");
    rep.details_json = format!(r#"[{{"message":"{text}"}}]"#);
    rep.format = "géojson".into();
    let summary = store
        .apply_import(vec![r.clone()], rep.clone())
        .await
        .expect("import");
    assert_eq!(get(&store, source, &r.source_id).await.record, r);
    assert_eq!(store.sources().await, Ok(vec![(source.to_string(), 1)]));
    let reports = store.import_reports(1).await.expect("reports");
    assert_eq!(reports[0].report, rep);
    assert_eq!(reports[0].summary, summary);

    let mut l = lieu("lieu-é-🏠", &["réseau-numérique-€#Ñ°1 «test» 🚀", "ß#«2»"]);
    l.data = format!(r#"{{"nom":"{text}"}}"#);
    l.provenance = format!(r#"{{"source":"{text}"}}"#);
    store
        .replace_merged_lieux(vec![l.clone()])
        .await
        .expect("replace");
    assert_eq!(store.merged_lieu(&l.id).await, Ok(Some(l.clone())));
    assert_eq!(
        store.merged_lieu_by_member("ß#«2»").await,
        Ok(Some(l.clone()))
    );

    let d = PairDecision {
        ref_a: "é#1".into(),
        ref_b: "e#1".into(),
        decision: PairDecisionKind::Confirmed,
        decided_by: "Zoë « admin »".into(),
        decided_at: crate::now_micros(),
        note: Some(text.into()),
    };
    store.set_pair_decision(d.clone()).await.expect("decision");
    let stored = store.pair_decisions().await.expect("decisions");
    assert_eq!(stored, vec![d.normalised().expect("valid")]);
}

/// Coordinates come back bit for bit.
pub async fn coordinates_round_trip_exactly(store: Arc<dyn LieuxStore>) {
    let values = [
        48.856_613_999_999_99,
        -4.486_076_1,
        0.1 + 0.2,
        1.0 / 3.0,
        f64::MIN_POSITIVE,
        1e-300,
        -179.999_999_999_999_97,
        45.0,
        -0.000_001,
        2.220_446_049_250_313e-16,
    ];
    let records: Vec<SourceRecord> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut r = record(SOURCE, &format!("{i:02}"), 1);
            r.latitude = Some(*v);
            r.longitude = Some(-v / 7.0);
            r
        })
        .collect();
    import(&store, records.clone(), SOURCE).await;
    let stored = all_records(&store).await;
    for (r, s) in records.iter().zip(&stored) {
        assert_eq!(
            s.record.latitude.map(f64::to_bits),
            r.latitude.map(f64::to_bits)
        );
        assert_eq!(
            s.record.longitude.map(f64::to_bits),
            r.longitude.map(f64::to_bits)
        );
    }

    let lieux: Vec<MergedLieuRow> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let member = format!("s#{i}");
            let mut l = lieu(&format!("{i:02}"), &[member.as_str()]);
            l.latitude = Some(-v);
            l.longitude = Some(v * 3.0);
            l
        })
        .collect();
    store
        .replace_merged_lieux(lieux.clone())
        .await
        .expect("replace");
    let stored = store.merged_lieux().await.expect("merged");
    for (l, s) in lieux.iter().zip(&stored) {
        assert_eq!(s.latitude.map(f64::to_bits), l.latitude.map(f64::to_bits));
        assert_eq!(s.longitude.map(f64::to_bits), l.longitude.map(f64::to_bits));
    }
}

// ---------------------------------------------------------------------------------------
// Error reports (signalements)

fn signalement(lieu_id: &str, categorie: &str, message: &str) -> NewSignalement {
    NewSignalement {
        lieu_id: lieu_id.to_string(),
        categorie: categorie.to_string(),
        message: message.to_string(),
        contact: None,
    }
}

async fn add(store: &Arc<dyn LieuxStore>, s: &NewSignalement) -> i64 {
    store
        .add_signalement(s.clone())
        .await
        .expect("add_signalement")
}

async fn listed(
    store: &Arc<dyn LieuxStore>,
    lieu_id: Option<&str>,
    only_open: bool,
) -> Vec<SignalementRow> {
    store
        .signalements(lieu_id, only_open, 1000)
        .await
        .expect("signalements")
}

fn ids(rows: &[SignalementRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

/// Reports are stored open, stamped, with every field, and listed newest first; `limit`
/// keeps the newest.
pub async fn signalements_newest_first(store: Arc<dyn LieuxStore>) {
    assert_eq!(store.signalements(None, false, 10).await, Ok(Vec::new()));
    let before = crate::now_micros();
    let mut sent = Vec::new();
    for (n, categorie) in ["horaires", "adresse", "contacts"].iter().enumerate() {
        let mut s = signalement("lieu-1", categorie, &format!("message {n}"));
        if n == 1 {
            s.contact = Some("zoe@example.org".into());
        }
        let id = add(&store, &s).await;
        assert!(id > 0);
        sent.push((id, s));
        tick().await;
    }
    let rows = listed(&store, None, false).await;
    assert_eq!(rows.len(), 3);
    for (row, (id, s)) in rows.iter().zip(sent.iter().rev()) {
        assert_eq!(row.id, *id);
        assert_eq!(row.lieu_id, s.lieu_id);
        assert_eq!(row.categorie, s.categorie);
        assert_eq!(row.message, s.message);
        assert_eq!(row.contact, s.contact);
        assert!(!row.traite, "a new report is open");
        assert!(row.created_at >= before);
    }
    assert!(rows[0].created_at > rows[1].created_at);
    assert!(rows[1].created_at > rows[2].created_at);
    let mut distinct = ids(&rows);
    distinct.dedup();
    assert_eq!(distinct.len(), 3);

    assert_eq!(
        store.signalements(None, false, 2).await,
        Ok(rows[..2].to_vec())
    );
    assert_eq!(store.signalements(None, false, 0).await, Ok(Vec::new()));
    assert!(matches!(
        store.signalements(None, false, -1).await,
        Err(StoreError::Invalid(_))
    ));

    // Reports added within the same instant still come newest first.
    let a = add(&store, &signalement("lieu-2", "services", "a")).await;
    let b = add(&store, &signalement("lieu-2", "services", "b")).await;
    assert_eq!(ids(&listed(&store, Some("lieu-2"), false).await), [b, a]);

    // Reports are not tied to the published directory: a re-merge keeps them.
    store
        .replace_merged_lieux(vec![lieu("lieu-1", &["s#1"])])
        .await
        .expect("replace");
    store
        .replace_merged_lieux(Vec::new())
        .await
        .expect("replace");
    assert_eq!(listed(&store, Some("lieu-1"), false).await, rows);
}

/// Reports can be listed for one place (exact id), and only the open ones.
pub async fn signalements_filtered_by_lieu_and_state(store: Arc<dyn LieuxStore>) {
    let a1 = add(&store, &signalement("lieu-a", "horaires", "1")).await;
    let b1 = add(&store, &signalement("lieu-b", "adresse", "2")).await;
    let a2 = add(&store, &signalement("lieu-a", "services", "3")).await;
    let other_case = add(&store, &signalement("Lieu-A", "services", "4")).await;
    let accent = add(&store, &signalement("lieu-á", "services", "5")).await;

    assert_eq!(
        ids(&listed(&store, None, false).await),
        [accent, other_case, a2, b1, a1]
    );
    assert_eq!(ids(&listed(&store, Some("lieu-a"), false).await), [a2, a1]);
    assert_eq!(ids(&listed(&store, Some("lieu-b"), false).await), [b1]);
    assert_eq!(
        ids(&listed(&store, Some("Lieu-A"), false).await),
        [other_case]
    );
    assert_eq!(ids(&listed(&store, Some("lieu-á"), false).await), [accent]);
    assert!(listed(&store, Some("lieu-z"), false).await.is_empty());
    assert!(listed(&store, Some(""), false).await.is_empty());

    assert_eq!(store.set_signalement_traite(a2, true).await, Ok(true));
    assert_eq!(ids(&listed(&store, Some("lieu-a"), true).await), [a1]);
    assert_eq!(ids(&listed(&store, Some("lieu-a"), false).await), [a2, a1]);
    assert_eq!(
        ids(&listed(&store, None, true).await),
        [accent, other_case, b1, a1]
    );
    assert_eq!(
        store
            .signalements(Some("lieu-a"), true, 1)
            .await
            .map(|r| ids(&r)),
        Ok(vec![a1])
    );
}

/// A report can be marked dealt with and opened again; unknown ids give `false`.
pub async fn signalement_traite_set_and_unset(store: Arc<dyn LieuxStore>) {
    let id = add(&store, &signalement("lieu-1", "horaires", "fermé le lundi")).await;
    let other = add(&store, &signalement("lieu-1", "adresse", "rue")).await;
    let original = listed(&store, None, false).await;

    assert_eq!(store.set_signalement_traite(id, true).await, Ok(true));
    let rows = listed(&store, None, false).await;
    let row = rows.iter().find(|r| r.id == id).expect("still listed");
    assert!(row.traite);
    let before = original.iter().find(|r| r.id == id).expect("listed");
    assert_eq!(
        SignalementRow {
            traite: false,
            ..row.clone()
        },
        *before,
        "only traite changes"
    );
    assert!(!rows.iter().find(|r| r.id == other).expect("listed").traite);
    assert_eq!(ids(&listed(&store, None, true).await), [other]);

    // Idempotent.
    assert_eq!(store.set_signalement_traite(id, true).await, Ok(true));
    assert_eq!(ids(&listed(&store, None, true).await), [other]);

    assert_eq!(store.set_signalement_traite(id, false).await, Ok(true));
    assert_eq!(listed(&store, None, false).await, original);
    assert_eq!(ids(&listed(&store, None, true).await), [other, id]);

    for unknown in [other + 1000, 0, -1, i64::MAX] {
        assert_eq!(
            store.set_signalement_traite(unknown, true).await,
            Ok(false),
            "id {unknown}"
        );
    }
    assert_eq!(listed(&store, None, false).await, original);
}

/// A report is closed with a decision (« traité » or « rejeté »), who decided and when;
/// deciding again replaces it, opening it again clears it; an unknown decision writes
/// nothing; unknown ids give `false`.
pub async fn signalement_decision_recorded_and_cleared(store: Arc<dyn LieuxStore>) {
    let id = add(&store, &signalement("lieu-1", "horaires", "fermé le lundi")).await;
    let other = add(&store, &signalement("lieu-2", "adresse", "rue")).await;
    let avant = crate::now_micros();
    assert_eq!(
        store
            .decide_signalement(id, "rejete", Some(7), Some("doublon"))
            .await,
        Ok(true)
    );
    let rows = listed(&store, None, false).await;
    let row = rows.iter().find(|r| r.id == id).expect("listed");
    assert!(row.traite);
    assert_eq!(row.decision.as_deref(), Some("rejete"));
    assert_eq!(row.decide_par, Some(7));
    assert_eq!(row.decision_note.as_deref(), Some("doublon"));
    assert!(row.decide_at.is_some_and(|t| t >= avant));
    assert_eq!(ids(&listed(&store, None, true).await), [other]);
    let autre = rows.iter().find(|r| r.id == other).expect("listed");
    assert_eq!((autre.decision.as_deref(), autre.decide_par), (None, None));

    assert_eq!(
        store.decide_signalement(id, "traite", None, None).await,
        Ok(true)
    );
    let rows = listed(&store, None, false).await;
    let row = rows.iter().find(|r| r.id == id).expect("listed");
    assert_eq!(row.decision.as_deref(), Some("traite"));
    assert_eq!(row.decide_par, None);
    assert_eq!(row.decision_note, None, "deciding again replaces the note");

    assert!(matches!(
        store
            .decide_signalement(other, "peut-etre", Some(1), None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(ids(&listed(&store, None, true).await), [other]);

    assert_eq!(store.set_signalement_traite(id, false).await, Ok(true));
    let rows = listed(&store, None, false).await;
    let row = rows.iter().find(|r| r.id == id).expect("listed");
    assert!(!row.traite);
    assert_eq!(
        (row.decision.as_deref(), row.decide_par, row.decide_at),
        (None, None, None)
    );
    assert_eq!(
        store
            .decide_signalement(other + 1000, "traite", None, None)
            .await,
        Ok(false)
    );
}

/// Accents, quotes, emoji, line breaks and SQL-looking text survive every column.
pub async fn signalement_text_round_trips(store: Arc<dyn LieuxStore>) {
    let messages = [
        "Les horaires ont changé : ouvert « le mercredi » l'après-midi — merci ! 🙏🏽",
        r#"Il manque l'étage ; "bâtiment B", porte 2 \ 'escalier' %_ ?1 $1"#,
        "Ligne 1\nLigne 2\n\tindentée\r\nfin ",
        "'); DROP TABLE signalements; --",
        "日本語 Ω ẞ e\u{301} 👩‍👩‍👧 \u{200b}",
        "",
    ];
    let mut sent = Vec::new();
    for (n, message) in messages.iter().enumerate() {
        let s = NewSignalement {
            lieu_id: format!("lieu-é-🏠-{n}"),
            categorie: "n-existe-plus".into(),
            message: message.to_string(),
            contact: (n % 2 == 0)
                .then(|| format!("Zoë « {n} » <zoë@exemple.fr> ☎ 06 00 00 00 0{n}")),
        };
        sent.push((add(&store, &s).await, s));
    }
    for (id, s) in &sent {
        let rows = listed(&store, Some(&s.lieu_id), false).await;
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.id, *id);
        assert_eq!(
            NewSignalement {
                lieu_id: row.lieu_id.clone(),
                categorie: row.categorie.clone(),
                message: row.message.clone(),
                contact: row.contact.clone(),
            },
            *s
        );
    }
    let long = "é".repeat(10_000);
    let id = add(&store, &signalement("lieu-long", "services", &long)).await;
    let rows = listed(&store, Some("lieu-long"), false).await;
    assert_eq!((rows[0].id, rows[0].message.as_str()), (id, long.as_str()));
}

/// An empty place id or a NUL character is rejected, by every backend alike.
pub async fn invalid_signalement_writes_nothing(store: Arc<dyn LieuxStore>) {
    let bad = [
        signalement("", "horaires", "message"),
        signalement("lieu-1", "horaires", "avant\0après"),
        signalement("lieu\0", "horaires", "message"),
        signalement("lieu-1", "hor\0aires", "message"),
        NewSignalement {
            contact: Some("a\0b".into()),
            ..signalement("lieu-1", "horaires", "message")
        },
    ];
    for s in bad {
        let result = store.add_signalement(s.clone()).await;
        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "{s:?}: {result:?}"
        );
    }
    assert!(listed(&store, None, false).await.is_empty());
    // The store still works afterwards.
    let id = add(&store, &signalement("lieu-1", "horaires", "ok")).await;
    assert_eq!(ids(&listed(&store, None, false).await), [id]);
}

// ---------------------------------------------------------------------------------------
// Volume

/// Number of records of [`large_batch`].
pub const LARGE_BATCH: usize = 20_000;

/// 20,000 records: first import, an identical re-import, and an import that changes,
/// adds and drops some; then a directory of as many places. Prints the timings.
pub async fn large_batch(store: Arc<dyn LieuxStore>) {
    let make = |version_of: fn(usize) -> u32, range: std::ops::Range<usize>| {
        range
            .map(|i| {
                let mut r = record(SOURCE, &format!("{i:06}"), version_of(i));
                r.data = format!(
                    r#"{{"nom":"Lieu numéro {i}","adresse":"{i} rue de la République","v":{}}}"#,
                    version_of(i)
                );
                r
            })
            .collect::<Vec<_>>()
    };

    let first = make(|_| 1, 0..LARGE_BATCH);
    let started = Instant::now();
    let summary = import(&store, first.clone(), SOURCE).await;
    let first_time = started.elapsed();
    assert_eq!(counts(&summary), (LARGE_BATCH as i64, 0, 0, 0));

    let started = Instant::now();
    let summary = import(&store, first, SOURCE).await;
    let same_time = started.elapsed();
    assert_eq!(counts(&summary), (0, 0, LARGE_BATCH as i64, 0));

    // Drop the first 1,000, change every 10th, add 1,000 new ones.
    let third = make(
        |i| if i % 10 == 0 { 2 } else { 1 },
        1_000..LARGE_BATCH + 1_000,
    );
    let started = Instant::now();
    let summary = import(&store, third.clone(), SOURCE).await;
    let mixed_time = started.elapsed();
    let changed = (1_000..LARGE_BATCH).filter(|i| i % 10 == 0).count() as i64;
    assert_eq!(
        counts(&summary),
        (
            1_000,
            changed,
            (LARGE_BATCH - 1_000) as i64 - changed,
            1_000
        )
    );

    let started = Instant::now();
    let active = store.source_records(true).await.expect("active");
    let read_time = started.elapsed();
    assert_eq!(active.len(), LARGE_BATCH);
    assert_eq!(
        active.iter().map(|s| s.record.clone()).collect::<Vec<_>>(),
        third
    );
    assert_eq!(all_records(&store).await.len(), LARGE_BATCH + 1_000);
    assert_eq!(
        store.sources().await,
        Ok(vec![(SOURCE.to_string(), LARGE_BATCH as i64)])
    );

    let lieux: Vec<MergedLieuRow> = (0..LARGE_BATCH)
        .map(|i| {
            let a = format!("{SOURCE}#{i:06}");
            let b = format!("autre#{i:06}");
            lieu(&format!("L{i:06}"), &[a.as_str(), b.as_str()])
        })
        .collect();
    let started = Instant::now();
    store
        .replace_merged_lieux(lieux.clone())
        .await
        .expect("replace");
    let merged_write = started.elapsed();
    let started = Instant::now();
    let stored = store.merged_lieux().await.expect("merged");
    let merged_read = started.elapsed();
    assert_eq!(stored, lieux);
    assert_eq!(store.count_merged_lieux().await, Ok(LARGE_BATCH as i64));

    eprintln!(
        "contract large_batch ({LARGE_BATCH} records): first import {first_time:?}, \
         identical re-import {same_time:?}, mixed import {mixed_time:?}, \
         read active {read_time:?}, replace merged {merged_write:?}, read merged {merged_read:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Failures inside the database

/// File name of an import report that the database under test must reject (see
/// [`rollback_after_database_failure`]).
pub const SABOTAGED_FILE_NAME: &str = "sabotage.csv";

/// Member reference of a merged place that the database under test must reject (see
/// [`rollback_after_database_failure`]).
pub const SABOTAGED_MEMBER: &str = "sabotage#1";

/// Not part of [`contract_tests!`]: needs a store whose database was sabotaged (e.g. with
/// triggers) to fail when inserting an import report with file name
/// [`SABOTAGED_FILE_NAME`] or a merged place member [`SABOTAGED_MEMBER`]. Those inserts
/// come after every other write of their transaction, so this checks that a failure deep
/// inside the transaction rolls back everything already written.
pub async fn rollback_after_database_failure(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["1", "2", "3", "4"], 1), SOURCE).await;
    let good = vec![lieu("a", &["s#1"]), lieu("b", &["s#2"])];
    store
        .replace_merged_lieux(good.clone())
        .await
        .expect("replace");
    let before = state(&store).await;
    tick().await;

    // Adds, updates, reactivates nothing, retires: every kind of write, then fails.
    let mut records = batch(SOURCE, &["1", "5", "6"], 1);
    records.push(record(SOURCE, "2", 2));
    records.extend((0..CHUNK_PROBE).map(|i| record(SOURCE, &format!("n{i:05}"), 1)));
    let result = store
        .apply_import(records, report(SOURCE, SABOTAGED_FILE_NAME))
        .await;
    assert!(
        matches!(result, Err(StoreError::Database(_))),
        "the sabotaged import must fail in the database: {result:?}"
    );
    assert_eq!(state(&store).await, before);

    let bad = vec![
        lieu("c", &["s#3"]),
        lieu("d", &["s#4"]),
        lieu("e", &["s#5", SABOTAGED_MEMBER]),
    ];
    let result = store.replace_merged_lieux(bad).await;
    assert!(
        matches!(result, Err(StoreError::Database(_))),
        "the sabotaged replacement must fail in the database: {result:?}"
    );
    assert_eq!(store.merged_lieux().await, Ok(good));

    // The store still works afterwards.
    let summary = import(&store, batch(SOURCE, &["1", "2"], 1), SOURCE).await;
    assert_eq!(counts(&summary), (0, 0, 2, 2));
}

/// Enough records to span several bulk statements in backends that chunk their writes.
const CHUNK_PROBE: usize = 12_000;

// ---------------------------------------------------------------------------------------
// Benchmark

/// Not part of [`contract_tests!`] (slow): imports `n` records into an empty store, then
/// re-imports them with every 10th record changed and the first 1% dropped, and prints
/// the timings. Backends run it from an `#[ignore]`d test.
pub async fn bulk_import(store: Arc<dyn LieuxStore>, n: usize) {
    let make = |version_of: &dyn Fn(usize) -> u32, range: std::ops::Range<usize>| {
        range
            .map(|i| {
                let mut r = record(SOURCE, &format!("{i:08}"), version_of(i));
                r.data = format!(
                    r#"{{"nom":"Lieu numéro {i}","adresse":"{i} rue de la République","horaires":"Mo-Fr 09:00-12:00,14:00-17:30","services":["aide-demarches","formation-numerique"]}}"#
                );
                r
            })
            .collect::<Vec<_>>()
    };
    let batch = make(&|_| 1, 0..n);
    let started = Instant::now();
    let summary = import(&store, batch, SOURCE).await;
    let first = started.elapsed();
    assert_eq!(summary.added, n as i64);

    let dropped = n / 100;
    let batch = make(&|i| if i % 10 == 0 { 2 } else { 1 }, dropped..n);
    let started = Instant::now();
    let summary = import(&store, batch, SOURCE).await;
    let second = started.elapsed();
    assert_eq!(summary.retired, dropped as i64);

    let started = Instant::now();
    let active = store.source_records(true).await.expect("read");
    let read = started.elapsed();
    assert_eq!(active.len(), n - dropped);
    eprintln!(
        "bulk_import of {n} records: first import {first:?}, re-import with 10% changed \
         and 1% dropped {second:?}, read active {read:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Import guard and re-merge bookkeeping

/// An import retiring more than the guard's share of its source fails and writes nothing;
/// at the share exactly, it passes.
pub async fn import_guard_refuses_excess_retirement(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["1", "2", "3", "4", "5"], 1), SOURCE).await;
    let guard = crate::ImportGuard {
        max_retired_share: Some(0.2),
    };
    let before = state(&store).await;
    let merge_before = store.merge_state().await.expect("merge_state");
    let result = store
        .apply_import_guarded(
            batch(SOURCE, &["1"], 2),
            report(SOURCE, "tronque.csv"),
            guard,
        )
        .await;
    assert_eq!(
        result,
        Err(StoreError::TooManyRetired {
            active: 5,
            retired: 4
        })
    );
    assert_eq!(state(&store).await, before, "nothing may be written");
    assert_eq!(
        store.merge_state().await.expect("merge_state"),
        merge_before
    );
    let summary = store
        .apply_import_guarded(
            batch(SOURCE, &["1", "2", "3", "4"], 1),
            report(SOURCE, "moins-un.csv"),
            guard,
        )
        .await
        .expect("one of five is within 20 %");
    assert_eq!(counts(&summary), (0, 0, 4, 1));
    // No guard: the whole source may go.
    let summary = store
        .apply_import_guarded(
            Vec::new(),
            report(SOURCE, "vide.csv"),
            crate::ImportGuard::default(),
        )
        .await
        .expect("unguarded");
    assert_eq!(summary.retired, 4);
}

/// Every import makes a re-merge pending; publishing at the generation read before clears
/// it, and a publication from an older generation never lowers `done`.
pub async fn merge_state_follows_imports_and_merges(store: Arc<dyn LieuxStore>) {
    let initial = store.merge_state().await.expect("merge_state");
    assert!(!initial.pending(), "{initial:?}");
    assert_eq!(store.latest_import_id().await.expect("latest"), None);
    let first = import(&store, batch(SOURCE, &["a"], 1), SOURCE).await;
    let s1 = store.merge_state().await.expect("merge_state");
    assert!(s1.pending(), "{s1:?}");
    assert_eq!(s1.wanted, initial.wanted + 1);
    let second = import(&store, batch("autre", &["b"], 1), "autre").await;
    assert_eq!(
        store.latest_import_id().await.expect("latest"),
        Some(second.import_id)
    );
    assert!(second.import_id > first.import_id);
    let s2 = store.merge_state().await.expect("merge_state");
    assert_eq!(s2.wanted, s1.wanted + 1);
    // A merge computed from the state after the first import only: still pending.
    store
        .replace_merged_lieux_at(vec![lieu("m1", &["france-services#a"])], s1.wanted)
        .await
        .expect("publish");
    let s3 = store.merge_state().await.expect("merge_state");
    assert!(s3.pending(), "{s3:?}");
    assert_eq!(s3.done, s1.wanted);
    store
        .replace_merged_lieux_at(
            vec![lieu("m1", &["france-services#a"]), lieu("m2", &["autre#b"])],
            s2.wanted,
        )
        .await
        .expect("publish");
    let s4 = store.merge_state().await.expect("merge_state");
    assert!(!s4.pending(), "{s4:?}");
    // A late publication from an older generation does not make it look newer or older.
    store
        .replace_merged_lieux_at(vec![lieu("m1", &["france-services#a"])], s1.wanted)
        .await
        .expect("publish");
    assert_eq!(store.merge_state().await.expect("merge_state"), s4);
    // A publication without generation leaves the bookkeeping alone.
    store
        .replace_merged_lieux(Vec::new())
        .await
        .expect("publish");
    assert_eq!(store.merge_state().await.expect("merge_state"), s4);
    // A failed import does not make a merge pending.
    let mut dup = batch(SOURCE, &["x"], 1);
    dup.push(record(SOURCE, "x", 2));
    assert!(store
        .apply_import(dup, report(SOURCE, "dup.csv"))
        .await
        .is_err());
    assert_eq!(store.merge_state().await.expect("merge_state"), s4);
}

// ---------------------------------------------------------------------------------------
// Imports by batches and partial publication (issue 14, items 11 and 14)

async fn session_import(
    store: &Arc<dyn LieuxStore>,
    batches: Vec<Vec<SourceRecord>>,
    source: &str,
    guard: crate::ImportGuard,
) -> Result<ImportSummary, StoreError> {
    let mut session = store.begin_import(source, guard).await?;
    for b in batches {
        session.add(b).await?;
    }
    session.finish(report(source, "lots.csv")).await
}

/// An import fed by several batches does exactly what one `apply_import` of their
/// concatenation does: new, changed, unchanged and retired records across batches.
pub async fn faille_import_session_by_batches(store: Arc<dyn LieuxStore>) {
    let guard = crate::ImportGuard::default();
    let first = session_import(
        &store,
        vec![
            batch(SOURCE, &["a", "b"], 1),
            Vec::new(),
            batch(SOURCE, &["c", "d"], 1),
        ],
        SOURCE,
        guard,
    )
    .await
    .expect("first import");
    assert_eq!(counts(&first), (4, 0, 0, 0));
    let mut second = batch(SOURCE, &["a"], 1);
    second.push(record(SOURCE, "b", 2));
    let summary = session_import(
        &store,
        vec![second, batch(SOURCE, &["e"], 1), batch(SOURCE, &["c"], 1)],
        SOURCE,
        guard,
    )
    .await
    .expect("second import");
    assert_eq!(counts(&summary), (1, 1, 2, 1));
    assert!(summary.import_id > first.import_id);
    let records = all_records(&store).await;
    let ids: Vec<(&str, bool)> = records
        .iter()
        .map(|r| (r.record.source_id.as_str(), r.active))
        .collect();
    assert_eq!(
        ids,
        [
            ("a", true),
            ("b", true),
            ("c", true),
            ("d", false),
            ("e", true)
        ]
    );
    assert_eq!(
        get(&store, SOURCE, "b").await.record,
        record(SOURCE, "b", 2)
    );
    // The same through apply_import gives the same summary.
    let again = store
        .apply_import(
            vec![
                record(SOURCE, "a", 1),
                record(SOURCE, "b", 2),
                record(SOURCE, "e", 1),
                record(SOURCE, "c", 1),
            ],
            report(SOURCE, "tout.csv"),
        )
        .await
        .expect("apply_import");
    assert_eq!(counts(&again), (0, 0, 4, 0));
    let merge = store.merge_state().await.expect("merge_state");
    assert_eq!(merge.wanted, 3);
}

/// Whatever ends a batched import early — a duplicate id across batches, a foreign
/// source, the retire guard, a report of another source, an abort or a dropped session —
/// nothing is written and the store stays usable.
pub async fn faille_import_session_failures_write_nothing(store: Arc<dyn LieuxStore>) {
    let guard = crate::ImportGuard {
        max_retired_share: Some(0.2),
    };
    import(&store, batch(SOURCE, &["1", "2", "3", "4", "5"], 1), SOURCE).await;
    let before = state(&store).await;
    let merge_before = store.merge_state().await.expect("merge_state");

    let dup = session_import(
        &store,
        vec![batch(SOURCE, &["1", "9"], 2), batch(SOURCE, &["9"], 3)],
        SOURCE,
        guard,
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Invalid(_))), "{dup:?}");
    assert_eq!(state(&store).await, before);
    let dup_known = session_import(
        &store,
        vec![batch(SOURCE, &["1", "2"], 2), batch(SOURCE, &["2"], 3)],
        SOURCE,
        guard,
    )
    .await;
    assert!(
        matches!(dup_known, Err(StoreError::Invalid(_))),
        "{dup_known:?}"
    );
    assert_eq!(state(&store).await, before);

    let foreign = session_import(
        &store,
        vec![batch(SOURCE, &["1"], 2), batch("autre", &["2"], 2)],
        SOURCE,
        guard,
    )
    .await;
    assert!(
        matches!(foreign, Err(StoreError::Invalid(_))),
        "{foreign:?}"
    );
    assert_eq!(state(&store).await, before);

    let too_many = session_import(
        &store,
        vec![batch(SOURCE, &["1"], 2), batch(SOURCE, &["new"], 1)],
        SOURCE,
        guard,
    )
    .await;
    assert_eq!(
        too_many,
        Err(StoreError::TooManyRetired {
            active: 5,
            retired: 4
        })
    );
    assert_eq!(state(&store).await, before);

    let mut session = store.begin_import(SOURCE, guard).await.expect("begin");
    session
        .add(batch(SOURCE, &["1", "2", "3", "4", "5"], 7))
        .await
        .expect("add");
    let wrong = session.finish(report("autre", "autre.csv")).await;
    assert!(matches!(wrong, Err(StoreError::Invalid(_))), "{wrong:?}");
    assert_eq!(state(&store).await, before);

    let mut session = store.begin_import(SOURCE, guard).await.expect("begin");
    session
        .add(batch(SOURCE, &["1", "2", "3", "4", "5", "6"], 8))
        .await
        .expect("add");
    session.abort().await.expect("abort");
    assert_eq!(state(&store).await, before);

    let mut session = store.begin_import(SOURCE, guard).await.expect("begin");
    session
        .add(batch(SOURCE, &["1", "2", "3", "4", "5", "6"], 9))
        .await
        .expect("add");
    drop(session);
    assert_eq!(state(&store).await, before);
    assert_eq!(
        store.merge_state().await.expect("merge_state"),
        merge_before
    );
    assert!(matches!(
        store.begin_import("", guard).await.err(),
        Some(StoreError::Invalid(_))
    ));
    // Still usable, and the session path gives the right summary.
    let ok = session_import(
        &store,
        vec![batch(SOURCE, &["1", "2", "3"], 1), batch(SOURCE, &["4"], 2)],
        SOURCE,
        guard,
    )
    .await
    .expect("within the guard");
    assert_eq!(counts(&ok), (0, 1, 3, 1));
}

/// Publishing a directory writes only the places that changed, with the same result as a
/// full replacement: unchanged places are kept, changed ones rewritten, gone ones deleted,
/// members may move from one place to another.
pub async fn faille_publish_rewrites_only_changed_places(store: Arc<dyn LieuxStore>) {
    let initial = vec![
        lieu("m1", &["s#a", "s#b"]),
        lieu("m2", &["s#c"]),
        lieu("m3", &["s#d"]),
        lieu("m4", &["s#e"]),
    ];
    let first = store
        .publish_merged_lieux(initial.clone(), None)
        .await
        .expect("publish");
    assert_eq!((first.written, first.deleted, first.kept), (4, 0, 0));
    let same = store
        .publish_merged_lieux(initial.clone(), None)
        .await
        .expect("publish");
    assert_eq!((same.written, same.deleted, same.kept), (0, 0, 4));
    assert_eq!(store.merged_lieux().await.expect("merged"), initial);

    // m1 loses s#b to a new place m5, m3's data changes, m4 goes, m2 stays.
    let mut m3 = lieu("m3", &["s#d"]);
    m3.data = r#"{"nom":"Lieu renommé"}"#.to_string();
    m3.latitude = None;
    let next = vec![
        lieu("m1", &["s#a"]),
        lieu("m2", &["s#c"]),
        m3,
        lieu("m5", &["s#b", "s#f"]),
    ];
    let merge = store.merge_state().await.expect("merge_state");
    let summary = store
        .publish_merged_lieux(next.clone(), Some(merge.wanted))
        .await
        .expect("publish");
    assert_eq!(
        (summary.written, summary.deleted, summary.kept),
        (3, 3, 1),
        "m1 and m3 rewritten, m5 new; m1, m3 and m4 deleted; m2 kept"
    );
    assert_eq!(store.merged_lieux().await.expect("merged"), next);
    assert_eq!(store.count_merged_lieux().await.expect("count"), 4);
    assert_eq!(
        store
            .merged_lieu_by_member("s#b")
            .await
            .expect("by member")
            .map(|l| l.id),
        Some("m5".to_string())
    );
    assert_eq!(
        store.merged_lieu_by_member("s#e").await.expect("by member"),
        None
    );
    // A change of member order alone is a change.
    let reordered = vec![
        lieu("m1", &["s#a"]),
        lieu("m2", &["s#c"]),
        next[2].clone(),
        lieu("m5", &["s#f", "s#b"]),
    ];
    let summary = store
        .publish_merged_lieux(reordered.clone(), None)
        .await
        .expect("publish");
    assert_eq!((summary.written, summary.kept), (1, 3));
    assert_eq!(store.merged_lieux().await.expect("merged"), reordered);
    // Invalid input writes nothing.
    let bad = vec![lieu("m1", &["s#a"]), lieu("m9", &["s#a"])];
    assert!(matches!(
        store.publish_merged_lieux(bad, None).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.merged_lieux().await.expect("merged"), reordered);
    // Emptying works.
    let gone = store
        .publish_merged_lieux(Vec::new(), None)
        .await
        .expect("publish");
    assert_eq!((gone.written, gone.deleted, gone.kept), (0, 4, 0));
    assert_eq!(store.count_merged_lieux().await.expect("count"), 0);
}

// ---------------------------------------------------------------------------------------
// The re-merge in bounded memory: records by pages, publication by batches (issue 14,
// item 11)

/// Every page of active records, each read after the last key of the previous one.
async fn all_pages(
    store: &Arc<dyn LieuxStore>,
    session: Option<&mut Box<dyn crate::PublishSession>>,
    limit: i64,
) -> Vec<SourceRecord> {
    let mut out: Vec<SourceRecord> = Vec::new();
    let mut session = session;
    loop {
        let after = out.last().map(|r| (r.source.clone(), r.source_id.clone()));
        let key = after.as_ref().map(|(s, i)| (s.as_str(), i.as_str()));
        let page = match session.as_mut() {
            Some(session) => session.active_source_records_page(key, limit).await,
            None => store.active_source_records_page(key, limit).await,
        }
        .expect("page");
        assert!(page.len() as i64 <= limit);
        let done = (page.len() as i64) < limit;
        out.extend(page);
        if done {
            return out;
        }
    }
}

/// Active records read by pages, in the store or in a publication session, are exactly
/// `source_records(true)`, in its order, whatever the page size; retired records are not
/// read; ids that sort oddly (a prefix, a `#`, accents, digits) keep a stable order.
pub async fn faille_source_records_by_pages(store: Arc<dyn LieuxStore>) {
    assert_eq!(
        store.active_source_records_page(None, 10).await,
        Ok(Vec::new())
    );
    let ids = ["b", "a", "a#1", "ab", "10", "9", "é", "a-b", "B", "z"];
    import(&store, batch("s", &ids, 1), "s").await;
    import(&store, batch("s-2", &["x", "y"], 1), "s-2").await;
    import(&store, batch("r", &["1", "2", "3"], 1), "r").await;
    // Retire two records of `s`.
    store
        .apply_import_guarded(
            batch("s", &ids[2..], 1),
            report("s", "again.csv"),
            crate::ImportGuard {
                max_retired_share: None,
            },
        )
        .await
        .expect("retire");
    let expected: Vec<SourceRecord> = store
        .source_records(true)
        .await
        .expect("records")
        .into_iter()
        .map(|r| r.record)
        .collect();
    assert_eq!(expected.len(), 13);
    for limit in [1, 2, 3, 5, 13, 100] {
        assert_eq!(
            all_pages(&store, None, limit).await,
            expected,
            "limit {limit}"
        );
    }
    assert_eq!(
        store.active_source_records_page(None, 0).await,
        Ok(Vec::new())
    );
    assert!(matches!(
        store.active_source_records_page(None, -1).await,
        Err(StoreError::Invalid(_))
    ));
    let last = expected.last().expect("records");
    assert_eq!(
        store
            .active_source_records_page(Some((&last.source, &last.source_id)), 10)
            .await,
        Ok(Vec::new())
    );
    let mut session = store.begin_publish().await.expect("session");
    for limit in [1, 4, 100] {
        assert_eq!(
            all_pages(&store, Some(&mut session), limit).await,
            expected,
            "limit {limit}, in a session"
        );
    }
    session.abort().await.expect("abort");
}

/// A compact id, as the re-merge makes them.
fn lieu_id(n: u64) -> String {
    format!("lieu-{n:016x}")
}

/// The publication session, fed in batches in any order, gives the directory and the
/// summary of one batch (`publish_merged_lieux`, itself checked against a full rewrite by
/// `faille_publish_rewrites_only_changed_places`) with the same places, step after step: places
/// kept, changed, gone, new; members moving from one place to another (also to a place
/// given before the one that loses them); member order; compact and other ids; emptying.
pub async fn faille_publish_session_equals_publish(store: Arc<dyn LieuxStore>) {
    let mut m3 = lieu(&lieu_id(3), &["s#d"]);
    m3.data = r#"{"nom":"Lieu renommé"}"#.to_string();
    m3.latitude = None;
    let steps: Vec<Vec<MergedLieuRow>> = vec![
        vec![
            lieu(&lieu_id(1), &["s#a", "s#b"]),
            lieu(&lieu_id(2), &["s#c"]),
            lieu(&lieu_id(3), &["s#d"]),
            lieu("autre-4", &["s#e"]),
            lieu(&lieu_id(0xfedc_ba98_7654_3210), &["t#1", "t#2"]),
        ],
        // The same again: all kept.
        vec![
            lieu(&lieu_id(0xfedc_ba98_7654_3210), &["t#1", "t#2"]),
            lieu(&lieu_id(1), &["s#a", "s#b"]),
            lieu(&lieu_id(2), &["s#c"]),
            lieu(&lieu_id(3), &["s#d"]),
            lieu("autre-4", &["s#e"]),
        ],
        // s#b moves to a new place given first, t#2 to an existing one given before its
        // old place; m3 changes, autre-4 goes.
        vec![
            lieu(&lieu_id(5), &["s#b", "s#f"]),
            lieu(&lieu_id(2), &["s#c", "t#2"]),
            lieu(&lieu_id(1), &["s#a"]),
            m3.clone(),
            lieu(&lieu_id(0xfedc_ba98_7654_3210), &["t#1"]),
        ],
        // Member order alone; a place gone whose members all go elsewhere.
        vec![
            lieu(&lieu_id(5), &["s#f", "s#b"]),
            lieu(&lieu_id(2), &["s#c", "t#2", "t#1"]),
            lieu(&lieu_id(1), &["s#a"]),
            m3,
            lieu("autre-6", &["u#1"]),
        ],
        Vec::new(),
    ];
    // Reference: the whole directory in one batch.
    let mut reference = Vec::new();
    for step in &steps {
        let summary = store
            .publish_merged_lieux(step.clone(), None)
            .await
            .expect("publish");
        reference.push((summary, store.merged_lieux().await.expect("merged")));
    }
    assert!(reference.last().expect("steps").1.is_empty());
    for batch_size in [1, 2, 100] {
        for (k, step) in steps.iter().enumerate() {
            let mut session = store.begin_publish().await.expect("session");
            for batch in step.chunks(batch_size) {
                session.add(batch.to_vec()).await.expect("add");
            }
            let summary = session.finish(None).await.expect("finish");
            let directory = store.merged_lieux().await.expect("merged");
            assert_eq!(
                (summary, directory),
                reference[k],
                "step {k}, batches of {batch_size}"
            );
            for lieu in step {
                for m in &lieu.members {
                    assert_eq!(
                        store
                            .merged_lieu_by_member(m)
                            .await
                            .expect("by member")
                            .map(|l| l.id),
                        Some(lieu.id.clone()),
                        "step {k}: member {m}"
                    );
                }
            }
        }
    }
    // A session with no batch empties the directory, as an empty publication does.
    store
        .publish_merged_lieux(steps[0].clone(), None)
        .await
        .expect("publish");
    let session = store.begin_publish().await.expect("session");
    let summary = session.finish(None).await.expect("finish");
    assert_eq!((summary.written, summary.deleted, summary.kept), (0, 5, 0));
    assert_eq!(store.count_merged_lieux().await, Ok(0));
}

/// A publication session writes nothing unless it finishes: an error (an id or a member
/// given twice, even in two batches), an abort or a session dropped leave the directory
/// and the re-merge bookkeeping as they were, so a re-merge interrupted during its
/// publication stays pending. `finish` with a generation records it as
/// `publish_merged_lieux` does, and the session sees the bookkeeping of the store.
pub async fn faille_publish_session_failures_write_nothing(store: Arc<dyn LieuxStore>) {
    import(&store, batch(SOURCE, &["a", "b"], 1), SOURCE).await;
    let initial = vec![
        lieu(&lieu_id(1), &["france-services#a"]),
        lieu(&lieu_id(2), &["france-services#b"]),
    ];
    store
        .publish_merged_lieux(initial.clone(), None)
        .await
        .expect("publish");
    let pending = store.merge_state().await.expect("merge_state");
    assert!(pending.pending(), "{pending:?}");

    // An id given twice, in two batches.
    let mut session = store.begin_publish().await.expect("session");
    assert_eq!(session.merge_state().await.expect("state"), pending);
    session
        .add(vec![lieu(&lieu_id(9), &["x#1"])])
        .await
        .expect("first batch");
    let twice = session.add(vec![lieu(&lieu_id(9), &["x#2"])]).await;
    assert!(matches!(twice, Err(StoreError::Invalid(_))), "{twice:?}");
    drop(session);
    assert_eq!(store.merged_lieux().await.expect("merged"), initial);

    // A member given twice, in two batches (to a new place, then to another).
    let mut session = store.begin_publish().await.expect("session");
    session
        .add(vec![lieu(&lieu_id(7), &["x#1", "france-services#a"])])
        .await
        .expect("first batch");
    let twice = session.add(vec![lieu(&lieu_id(8), &["x#1"])]).await;
    assert!(
        matches!(twice, Err(StoreError::Invalid(_) | StoreError::Conflict(_))),
        "{twice:?}"
    );
    drop(session);
    assert_eq!(store.merged_lieux().await.expect("merged"), initial);

    // A member of a place kept given again to another place.
    let mut session = store.begin_publish().await.expect("session");
    session.add(vec![initial[0].clone()]).await.expect("kept");
    let twice = session
        .add(vec![lieu(&lieu_id(8), &["france-services#a"])])
        .await;
    assert!(matches!(twice, Err(StoreError::Invalid(_))), "{twice:?}");
    drop(session);

    // Within one batch.
    let mut session = store.begin_publish().await.expect("session");
    let bad = vec![lieu(&lieu_id(3), &["s#a"]), lieu(&lieu_id(4), &["s#a"])];
    assert!(matches!(
        session.add(bad).await,
        Err(StoreError::Invalid(_))
    ));
    drop(session);

    // Abort, and a session dropped after its batches (a process killed before the commit).
    let mut session = store.begin_publish().await.expect("session");
    session
        .add(vec![lieu(
            &lieu_id(5),
            &["france-services#a", "france-services#b"],
        )])
        .await
        .expect("batch");
    session.abort().await.expect("abort");
    let mut session = store.begin_publish().await.expect("session");
    session
        .add(vec![lieu(
            &lieu_id(5),
            &["france-services#a", "france-services#b"],
        )])
        .await
        .expect("batch");
    drop(session);
    assert_eq!(store.merged_lieux().await.expect("merged"), initial);
    assert_eq!(store.merge_state().await.expect("merge_state"), pending);

    // Finished with the generation read before: no longer pending.
    let merged = vec![lieu(
        &lieu_id(5),
        &["france-services#a", "france-services#b"],
    )];
    let mut session = store.begin_publish().await.expect("session");
    session.add(merged.clone()).await.expect("batch");
    let summary = session.finish(Some(pending.wanted)).await.expect("finish");
    assert_eq!((summary.written, summary.deleted, summary.kept), (1, 2, 0));
    assert_eq!(store.merged_lieux().await.expect("merged"), merged);
    let done = store.merge_state().await.expect("merge_state");
    assert!(!done.pending(), "{done:?}");
    assert_eq!(done.done, pending.wanted);
}

// ---------------------------------------------------------------------------------------
// Stable ids of the published places (issue 20, item 3)

fn changes(at_s: i64) -> crate::LieuIdsChanges {
    crate::LieuIdsChanges {
        at: DateTime::<Utc>::from_timestamp(1_800_000_000 + at_s, 123_456_000).expect("time"),
        ..Default::default()
    }
}

/// What a publication session writes of the stable ids is read back by the next one, in
/// the order documented; redirects are found by old id; an upsert replaces.
pub async fn lieu_ids_round_trip_in_the_publication(store: Arc<dyn LieuxStore>) {
    let mut session = store.begin_publish().await.expect("session");
    assert_eq!(
        session.lieu_ids().await.expect("read"),
        crate::LieuIdsState::default()
    );
    let mut c = changes(0);
    c.new_ids = vec![
        ("lieu-b".into(), "src#2".into()),
        ("lieu-a".into(), "src#1".into()),
    ];
    c.members = vec![
        ("src#2".into(), "lieu-b".into()),
        ("src#1".into(), "lieu-a".into()),
        ("src#3".into(), "lieu-a".into()),
    ];
    session.save_lieu_ids(c.clone()).await.expect("save");
    session
        .add(vec![
            lieu("lieu-a", &["src#1", "src#3"]),
            lieu("lieu-b", &["src#2"]),
        ])
        .await
        .expect("add");
    session.finish(None).await.expect("commit");
    assert_eq!(store.lieu_id_redirect("lieu-b").await.expect("read"), None);

    // Merge: lieu-b redirects to lieu-a, src#2 now published under lieu-a; a new id.
    let mut session = store.begin_publish().await.expect("session");
    let lu = session.lieu_ids().await.expect("read");
    assert_eq!(
        lu.ids
            .iter()
            .map(|r| (r.id.as_str(), r.main_ref.as_str(), r.first_given))
            .collect::<Vec<_>>(),
        vec![("lieu-a", "src#1", c.at), ("lieu-b", "src#2", c.at)]
    );
    assert_eq!(
        lu.members,
        vec![
            ("src#1".to_string(), "lieu-a".to_string()),
            ("src#2".to_string(), "lieu-b".to_string()),
            ("src#3".to_string(), "lieu-a".to_string()),
        ]
    );
    assert!(lu.redirects.is_empty());
    let mut d = changes(60);
    d.new_ids = vec![("lieu-c".into(), "src#4".into())];
    d.members = vec![
        ("src#2".into(), "lieu-a".into()),
        ("src#4".into(), "lieu-c".into()),
    ];
    d.redirects = vec![("lieu-b".into(), "lieu-a".into())];
    session.save_lieu_ids(d.clone()).await.expect("save");
    session
        .add(vec![
            lieu("lieu-a", &["src#1", "src#2", "src#3"]),
            lieu("lieu-c", &["src#4"]),
        ])
        .await
        .expect("add");
    session.finish(None).await.expect("commit");
    assert_eq!(
        store
            .lieu_id_redirect("lieu-b")
            .await
            .expect("read")
            .as_deref(),
        Some("lieu-a")
    );
    assert_eq!(store.lieu_id_redirect("lieu-a").await.expect("read"), None);
    assert_eq!(store.lieu_id_redirect("inconnu").await.expect("read"), None);

    // Split again: lieu-b names a place again (its redirect goes), another redirect is
    // replaced.
    let mut session = store.begin_publish().await.expect("session");
    let lu = session.lieu_ids().await.expect("read");
    assert_eq!(lu.ids.len(), 3);
    assert_eq!(lu.ids[2].first_given, d.at);
    assert_eq!(
        lu.redirects,
        vec![("lieu-b".to_string(), "lieu-a".to_string())]
    );
    let mut e = changes(120);
    e.unredirect = vec!["lieu-b".into()];
    e.redirects = vec![("lieu-c".into(), "lieu-a".into())];
    e.members = vec![("src#2".into(), "lieu-b".into())];
    session.save_lieu_ids(e).await.expect("save");
    let mut f = changes(121);
    f.redirects = vec![("lieu-c".into(), "lieu-b".into())];
    session.save_lieu_ids(f).await.expect("save again");
    session.finish(None).await.expect("commit");
    assert_eq!(store.lieu_id_redirect("lieu-b").await.expect("read"), None);
    assert_eq!(
        store
            .lieu_id_redirect("lieu-c")
            .await
            .expect("read")
            .as_deref(),
        Some("lieu-b")
    );
    let mut session = store.begin_publish().await.expect("session");
    let lu = session.lieu_ids().await.expect("read");
    session.abort().await.expect("abort");
    assert_eq!(
        lu.redirects,
        vec![("lieu-c".to_string(), "lieu-b".to_string())]
    );
    assert_eq!(lu.members[1], ("src#2".to_string(), "lieu-b".to_string()));
}

/// Stable ids written in a session that is aborted, or whose changes are invalid, are not
/// stored; the places of a session are committed with its ids or not at all.
pub async fn lieu_ids_not_committed_write_nothing(store: Arc<dyn LieuxStore>) {
    let mut session = store.begin_publish().await.expect("session");
    let mut c = changes(0);
    c.new_ids = vec![("lieu-a".into(), "src#1".into())];
    c.members = vec![("src#1".into(), "lieu-a".into())];
    session.save_lieu_ids(c).await.expect("save");
    session.abort().await.expect("abort");
    let mut session = store.begin_publish().await.expect("session");
    assert_eq!(
        session.lieu_ids().await.expect("read"),
        crate::LieuIdsState::default()
    );
    // A redirect of an id to itself, an id given twice: refused, nothing written.
    let mut bad = changes(0);
    bad.new_ids = vec![("lieu-a".into(), "src#1".into())];
    bad.redirects = vec![("lieu-a".into(), "lieu-a".into())];
    assert!(matches!(
        session.save_lieu_ids(bad).await,
        Err(StoreError::Invalid(_))
    ));
    let mut bad = changes(0);
    bad.new_ids = vec![
        ("lieu-a".into(), "src#1".into()),
        ("lieu-a".into(), "src#2".into()),
    ];
    assert!(matches!(
        session.save_lieu_ids(bad).await,
        Err(StoreError::Invalid(_))
    ));
    session.abort().await.expect("abort");
    // A member naming an unknown id: the database refuses it (foreign key).
    let mut session = store.begin_publish().await.expect("session");
    let mut bad = changes(0);
    bad.members = vec![("src#1".into(), "lieu-inconnu".into())];
    assert!(session.save_lieu_ids(bad).await.is_err());
    drop(session);
    let mut session = store.begin_publish().await.expect("session");
    assert_eq!(
        session.lieu_ids().await.expect("read"),
        crate::LieuIdsState::default()
    );
    session.abort().await.expect("abort");
    assert_eq!(store.lieu_id_redirect("lieu-a").await.expect("read"), None);
}

/// Every pair decision and every undoing is kept in the history, newest first; undoing
/// deletes the decision (either order of the refs) and an unknown pair writes nothing.
pub async fn pair_decision_history_and_undo(store: Arc<dyn LieuxStore>) {
    let d = |decision, by: &str| PairDecision {
        ref_a: "b#2".into(),
        ref_b: "a#1".into(),
        decision,
        decided_by: by.into(),
        decided_at: crate::now_micros(),
        note: Some("vu sur place".into()),
    };
    store
        .set_pair_decision(d(PairDecisionKind::Confirmed, "alice"))
        .await
        .expect("decision");
    store
        .set_pair_decision(d(PairDecisionKind::Refused, "bob"))
        .await
        .expect("decision");
    assert_eq!(store.pair_decisions().await.expect("read").len(), 1);
    let at = crate::now_micros();
    assert_eq!(
        store
            .remove_pair_decision("b#2", "a#1", "carole", at, None)
            .await,
        Ok(true)
    );
    assert!(store.pair_decisions().await.expect("read").is_empty());
    assert_eq!(
        store
            .remove_pair_decision("a#1", "b#2", "carole", at, None)
            .await,
        Ok(false),
        "nothing left to undo"
    );
    let h = store.pair_decisions_history(10).await.expect("history");
    let vu: Vec<(&str, &str, &str, &str)> = h
        .iter()
        .map(|e| {
            (
                e.ref_a.as_str(),
                e.ref_b.as_str(),
                e.decision.as_str(),
                e.decided_by.as_str(),
            )
        })
        .collect();
    assert_eq!(
        vu,
        [
            ("a#1", "b#2", "annule", "carole"),
            ("a#1", "b#2", "refuse", "bob"),
            ("a#1", "b#2", "confirme", "alice"),
        ]
    );
    assert_eq!(h[0].decided_at, at);
    assert_eq!(h[1].note.as_deref(), Some("vu sur place"));
    assert_eq!(
        store
            .pair_decisions_history(1)
            .await
            .expect("history")
            .len(),
        1
    );
}

/// An uploaded file is kept with its content until applied, then only its report; the
/// purge deletes only old files never applied.
pub async fn import_en_attente_round_trip(store: Arc<dyn LieuxStore>) {
    let nouveau = |jeton: &str| crate::NewImportEnAttente {
        jeton: jeton.into(),
        compte_id: 7,
        territoires: "dep:31".into(),
        source: "toulouse".into(),
        format: None,
        nom_fichier: "lieux « 31 ».csv".into(),
        contenu: vec![0, 1, 2, 255, b';'],
        retirer_absents: true,
        correspondance: (jeton == "jeton-1").then(|| "[colonnes]\nnom = \"Nom\"\n".into()),
    };
    let avant = crate::now_micros();
    store
        .add_import_en_attente(nouveau("jeton-1"))
        .await
        .expect("kept");
    store
        .add_import_en_attente(nouveau("jeton-2"))
        .await
        .expect("kept");
    assert!(store
        .add_import_en_attente(nouveau("jeton-1"))
        .await
        .is_err());
    let row = store
        .import_en_attente("jeton-1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(row.contenu.as_deref(), Some(&[0u8, 1, 2, 255, b';'][..]));
    assert_eq!(
        (row.compte_id, row.territoires.as_str(), row.source.as_str()),
        (7, "dep:31", "toulouse")
    );
    assert_eq!(row.nom_fichier, "lieux « 31 ».csv");
    assert_eq!(
        row.correspondance.as_deref(),
        Some("[colonnes]\nnom = \"Nom\"\n")
    );
    assert!(row.retirer_absents && row.format.is_none() && row.applique_at.is_none());
    assert!(row.created_at >= avant);
    assert_eq!(store.import_en_attente("autre").await, Ok(None));

    assert_eq!(
        store
            .marquer_import_applique("jeton-1", Some(42), "{\"lus\":1}")
            .await,
        Ok(true)
    );
    assert_eq!(
        store.marquer_import_applique("inconnu", None, "{}").await,
        Ok(false)
    );
    let row = store
        .import_en_attente("jeton-1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(row.contenu, None, "the file is dropped once applied");
    assert_eq!(row.import_id, Some(42));
    assert_eq!(row.rapport_json.as_deref(), Some("{\"lus\":1}"));
    assert!(row.applique_at.is_some());

    let plus_tard = crate::now_micros() + chrono::Duration::seconds(1);
    assert_eq!(store.purger_imports_en_attente(avant).await, Ok(0));
    assert_eq!(store.purger_imports_en_attente(plus_tard).await, Ok(1));
    assert_eq!(store.import_en_attente("jeton-2").await, Ok(None));
    assert!(store
        .import_en_attente("jeton-1")
        .await
        .expect("read")
        .is_some());
}
