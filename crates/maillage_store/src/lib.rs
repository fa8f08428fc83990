//! Storage layer of Maillage: the records kept about places, the [`LieuxStore`] trait every
//! backend implements, its errors, and (behind the `contract` feature) the contract test
//! suite that every backend must pass.
//!
//! Two backends exist: `maillage_store_sqlite` (default) and `maillage_store_postgres`.
//! Both are used through `Arc<dyn LieuxStore>`. The helpers below ([`validate_import`],
//! [`ImportPlan`], [`validate_merged_lieux`], …) hold the logic both backends share, so
//! that they decide exactly alike.
//!
//! # Contract tests
//!
//! Both backends run the same suite, [`contract`] (feature `contract`), from their
//! `tests/contract.rs`, one named `#[tokio::test]` per case, each on a fresh store:
//!
//! ```text
//! cargo test -p maillage_store_sqlite -p maillage_store_postgres
//! cargo test -p maillage_store_postgres --test contract large_batch -- --nocapture
//! ```
//!
//! The PostgreSQL tests create (and drop) one database per test on the server of
//! `MAILLAGE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and fail
//! if it is unreachable. A one-million-record benchmark is `#[ignore]`d in each backend's
//! `tests/sqlite.rs` / `tests/postgres.rs` (run with `--release -- --ignored --nocapture`).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

pub mod competences;
pub mod comptes;
#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "contract")]
pub mod contract_competences;
#[cfg(feature = "contract")]
pub mod contract_comptes;
#[cfg(feature = "contract")]
pub mod contract_corrections;
#[cfg(feature = "contract")]
pub mod contract_enquete;
#[cfg(feature = "contract")]
pub mod contract_evenements;
#[cfg(feature = "contract")]
pub mod contract_mandats;
#[cfg(feature = "contract")]
pub mod contract_mediation;
#[cfg(feature = "contract")]
pub mod contract_pass;
pub mod corrections;
pub mod enquete;
pub mod evenements;
pub mod exploitation;
pub mod lot;
pub mod mandats;
pub mod mandats_ecriture;
pub mod mediation;
pub mod pass;

pub use competences::CompetencesStore;
pub use comptes::ComptesStore;
pub use corrections::CorrectionsStore;
pub use enquete::EnqueteStore;
pub use evenements::EvenementsStore;
pub use exploitation::{EtatBase, ExploitationStore, SignalPublication};
pub use mandats::MandatsStore;
pub use mediation::MediationStore;
pub use pass::PassStore;

/// A whole storage backend: the places directory and the Médiation, Mandats, Événements,
/// Compétences, Pass and Enquête modules, in one database. `Arc<dyn Store>` coerces to each of the
/// module traits.
pub trait Store:
    LieuxStore
    + ComptesStore
    + MediationStore
    + MandatsStore
    + EvenementsStore
    + CompetencesStore
    + PassStore
    + EnqueteStore
    + ExploitationStore
    + CorrectionsStore
{
}

impl<
        T: LieuxStore
            + ComptesStore
            + MediationStore
            + MandatsStore
            + EvenementsStore
            + CompetencesStore
            + PassStore
            + EnqueteStore
            + ExploitationStore
            + CorrectionsStore,
    > Store for T
{
}

/// One place as read from one source file, already normalised by the importer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// The `--source` name given at import, e.g. `"france-services"`.
    pub source: String,
    /// The record's own id in its file.
    pub source_id: String,
    /// Hex sha256 of the canonical JSON (computed by the caller).
    pub content_hash: String,
    /// JSON of the normalised place (opaque to the store).
    pub data: String,
    pub code_insee: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub date_maj: Option<NaiveDate>,
}

/// A [`SourceRecord`] as kept by the store, with its life cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSourceRecord {
    pub record: SourceRecord,
    /// `false` once the record is missing from a later import of its source.
    pub active: bool,
    pub first_seen_at: DateTime<Utc>,
    /// Last time the record was inserted, changed or reactivated.
    pub updated_at: DateTime<Utc>,
    /// Set while the record is retired (`active == false`).
    pub retired_at: Option<DateTime<Utc>>,
}

/// The report of one import, as produced by the importer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewImportReport {
    pub source: String,
    pub format: String,
    pub file_name: String,
    pub rows_read: i64,
    pub accepted: i64,
    pub corrected: i64,
    pub rejected: i64,
    /// The line-by-line report (opaque to the store).
    pub details_json: String,
}

/// What an import changed in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// Id of the stored import report.
    pub import_id: i64,
    pub added: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub retired: i64,
}

/// A stored import report with its summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReportRow {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub report: NewImportReport,
    pub summary: ImportSummary,
}

/// An id ever given to a published place (table `lieu_ids`): see [`LieuIdsState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LieuIdRow {
    pub id: String,
    /// The main record (`"SOURCE#ID"`): after a split, the id stays with its group.
    pub main_ref: String,
    pub first_given: DateTime<Utc>,
}

/// The stable ids of the published places as stored: every id ever given, the id each
/// source record was last published under, and the redirects of the ids that no longer
/// name a place. Read and written by the re-merge in its publication session
/// ([`PublishSession::lieu_ids`], [`PublishSession::save_lieu_ids`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LieuIdsState {
    /// Ordered by id.
    pub ids: Vec<LieuIdRow>,
    /// `(member_ref, lieu_id)`, ordered by member ref.
    pub members: Vec<(String, String)>,
    /// `(old_id, current_id)`, ordered by old id.
    pub redirects: Vec<(String, String)>,
}

/// What a re-merge changes in the stable ids ([`PublishSession::save_lieu_ids`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LieuIdsChanges {
    /// Ids given for the first time: `(id, main_ref)`, stamped `at`.
    pub new_ids: Vec<(String, String)>,
    /// `(member_ref, lieu_id)`: the record's id now (inserted or replaced).
    pub members: Vec<(String, String)>,
    /// `(old_id, current_id)`: inserted or replaced, stamped `at`.
    pub redirects: Vec<(String, String)>,
    /// Ids that name a place again: their redirect is deleted.
    pub unredirect: Vec<String>,
    pub at: DateTime<Utc>,
}

impl LieuIdsChanges {
    pub fn is_empty(&self) -> bool {
        self.new_ids.is_empty()
            && self.members.is_empty()
            && self.redirects.is_empty()
            && self.unredirect.is_empty()
    }
}

/// One place of the published (merged) directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedLieuRow {
    pub id: String,
    /// JSON of the merged place (opaque to the store).
    pub data: String,
    /// References `"SOURCE#ID"` of the source records merged into this place, in order.
    /// A reference belongs to at most one merged place.
    pub members: Vec<String>,
    /// JSON (opaque to the store).
    pub provenance: String,
    pub code_insee: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A human decision about whether two source records describe the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PairDecisionKind {
    /// Same place (stored as `'confirme'`).
    Confirmed,
    /// Different places (stored as `'refuse'`).
    Refused,
}

impl PairDecisionKind {
    /// The value stored in the database.
    pub fn as_db_str(self) -> &'static str {
        match self {
            PairDecisionKind::Confirmed => "confirme",
            PairDecisionKind::Refused => "refuse",
        }
    }

    /// Parses the value stored in the database.
    pub fn from_db_str(value: &str) -> StoreResult<Self> {
        match value {
            "confirme" => Ok(PairDecisionKind::Confirmed),
            "refuse" => Ok(PairDecisionKind::Refused),
            other => Err(StoreError::Database(format!(
                "unknown pair decision in database: {other:?}"
            ))),
        }
    }
}

/// A decision about an unordered pair of source records (`ref_a < ref_b` once stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairDecision {
    pub ref_a: String,
    pub ref_b: String,
    pub decision: PairDecisionKind,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    pub note: Option<String>,
}

impl PairDecision {
    /// Returns the decision with its references ordered so that `ref_a < ref_b`
    /// (byte order), or `Invalid` if both references are equal or one is empty.
    pub fn normalised(mut self) -> StoreResult<Self> {
        if self.ref_a.is_empty() || self.ref_b.is_empty() {
            return Err(StoreError::Invalid(
                "a pair decision needs two non-empty references".into(),
            ));
        }
        match self.ref_a.cmp(&self.ref_b) {
            std::cmp::Ordering::Equal => Err(StoreError::Invalid(format!(
                "a pair decision needs two different references, got {:?} twice",
                self.ref_a
            ))),
            std::cmp::Ordering::Greater => {
                std::mem::swap(&mut self.ref_a, &mut self.ref_b);
                Ok(self)
            }
            std::cmp::Ordering::Less => Ok(self),
        }
    }
}

/// An error report sent by the public from a place's page ("signaler une erreur").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSignalement {
    /// Id of the published place the report is about (not checked by the store: places
    /// are replaced as a whole at each merge, reports stay).
    pub lieu_id: String,
    /// Code of the category (validated by the caller; opaque to the store).
    pub categorie: String,
    /// The reporter's message (may be empty).
    pub message: String,
    /// How to reach the reporter, if given.
    pub contact: Option<String>,
}

/// A stored [`NewSignalement`]. `created_at` is set by the store when it is added, as for
/// import reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalementRow {
    pub id: i64,
    pub lieu_id: String,
    pub categorie: String,
    pub message: String,
    pub contact: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `true` once a coordinator has dealt with it.
    pub traite: bool,
    /// What was decided when it was closed: `traite` or `rejete` (see
    /// [`DECISIONS_SIGNALEMENT`]); `None` while open, or closed without a decision.
    pub decision: Option<String>,
    /// Account that decided (`None` from the command line or without a decision).
    pub decide_par: Option<i64>,
    /// When it was decided.
    pub decide_at: Option<DateTime<Utc>>,
    /// The note written with the decision, if any.
    pub decision_note: Option<String>,
}

/// A file uploaded in the directory's back office, kept until « Appliquer » (or after, as
/// the import's report): the next request may reach another node, so it lives in the
/// database, keyed by a random token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewImportEnAttente {
    pub jeton: String,
    /// The account that uploaded it.
    pub compte_id: i64,
    /// Codes of the uploader's territories (`dep:31`), comma-separated; empty for an
    /// administrator.
    pub territoires: String,
    pub source: String,
    /// `None`: detected.
    pub format: Option<String>,
    pub nom_fichier: String,
    pub contenu: Vec<u8>,
    pub retirer_absents: bool,
    /// The column mapping to read the file with (TOML text), if one was uploaded.
    pub correspondance: Option<String>,
}

/// A stored [`NewImportEnAttente`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportEnAttenteRow {
    pub jeton: String,
    pub compte_id: i64,
    pub territoires: String,
    pub source: String,
    pub format: Option<String>,
    pub nom_fichier: String,
    /// `None` once applied (the file is dropped).
    pub contenu: Option<Vec<u8>>,
    pub retirer_absents: bool,
    pub created_at: DateTime<Utc>,
    pub applique_at: Option<DateTime<Utc>>,
    /// The import's report id once applied.
    pub import_id: Option<i64>,
    /// The import's line-by-line report (JSON, opaque to the store) once applied.
    pub rapport_json: Option<String>,
    /// The column mapping (TOML text), if one was uploaded with the file.
    pub correspondance: Option<String>,
}

/// One entry of the history of the pair decisions: a decision (`confirme`, `refuse`) or
/// its undoing (`annule`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairDecisionEvent {
    pub id: i64,
    pub ref_a: String,
    pub ref_b: String,
    pub decision: String,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The decisions a coordinator may record about an error report: dealt with (the listing was
/// corrected, or its source told), or rejected (nothing to change).
pub const DECISIONS_SIGNALEMENT: [&str; 2] = ["traite", "rejete"];

/// Errors of the storage layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database failed (message from the backend).
    #[error("database error: {0}")]
    Database(String),
    /// The requested row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint was violated.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input was rejected before anything was written.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// An import would retire more of its source's active records than its
    /// [`ImportGuard`] allows; nothing was written.
    #[error("the import would retire {retired} of the {active} active records of its source")]
    TooManyRetired { active: i64, retired: i64 },
}

/// Limits an import must respect, checked inside its transaction: when one is exceeded the
/// import fails with [`StoreError::TooManyRetired`] and nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImportGuard {
    /// Largest share (0 to 1) of the source's active records the import may retire;
    /// `None`: no limit.
    pub max_retired_share: Option<f64>,
}

impl ImportGuard {
    /// Checks a plan against the guard; `active` is the number of active records of the
    /// source before the import.
    pub fn check(&self, active: i64, plan: &ImportPlan) -> StoreResult<()> {
        let retired = count(plan.retire.len());
        match self.max_retired_share {
            Some(share) if retired > 0 && (retired as f64) > share * (active as f64) => {
                Err(StoreError::TooManyRetired { active, retired })
            }
            _ => Ok(()),
        }
    }
}

/// Whether the published directory is up to date with the source records: `wanted` grows
/// by one with every import (in the import's transaction), `done` is the highest `wanted`
/// value a published directory was computed from. The re-merge reads `wanted` before it
/// reads the records and publishes with it, so an import that commits meanwhile keeps the
/// directory pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MergeState {
    pub wanted: i64,
    pub done: i64,
}

impl MergeState {
    /// `true` when a change of the source records is not yet published (a re-merge was
    /// interrupted, or is under way).
    pub fn pending(&self) -> bool {
        self.wanted > self.done
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What [`LieuxStore::publish_merged_lieux`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PublishSummary {
    /// Places inserted or rewritten (new or changed).
    pub written: i64,
    /// Published places deleted (absent from the new directory, or changed: a changed
    /// place counts once here and once in `written`).
    pub deleted: i64,
    /// Places left as they were.
    pub kept: i64,
}

/// An import under way in one transaction, fed by batches (see
/// [`LieuxStore::begin_import`]). Dropping it without [`ImportSession::finish`] writes
/// nothing.
#[async_trait]
pub trait ImportSession: Send {
    /// Writes (in the open transaction) a batch of records, checked and sorted as by
    /// [`LieuxStore::apply_import`]: each must belong to the session's source and have a
    /// `source_id` not given before in this import, else `Invalid`. After an error the
    /// session is spent: drop it (nothing is written).
    async fn add(&mut self, records: Vec<SourceRecord>) -> StoreResult<()>;

    /// Retires the active records of the source that were not given, checks the
    /// [`ImportGuard`] ([`StoreError::TooManyRetired`], nothing written), stores the report
    /// (its `source` must be the session's, else `Invalid`) with the summary, marks the
    /// directory for a re-merge, and commits.
    async fn finish(self: Box<Self>, report: NewImportReport) -> StoreResult<ImportSummary>;

    /// Gives up: nothing is written.
    async fn abort(self: Box<Self>) -> StoreResult<()>;
}

/// A content hash kept compactly: 32 bytes when it is 64 hex digits (a sha256, as the
/// importer computes), else the text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CompactHash {
    Sha256([u8; 32]),
    Text(Box<str>),
}

impl CompactHash {
    fn of(hash: &str) -> Self {
        let mut bytes = [0u8; 32];
        let lower = hash.len() == 64 && !hash.bytes().any(|b| b.is_ascii_uppercase());
        if lower && hex::decode_to_slice(hash, &mut bytes).is_ok() {
            CompactHash::Sha256(bytes)
        } else {
            CompactHash::Text(hash.into())
        }
    }
}

/// The bookkeeping of an [`ImportSession`], shared by the backends so that they decide
/// exactly alike: which records of a batch are new, changed or unchanged, which records of
/// the source were not given, and the [`ImportGuard`]. Memory: one entry per known record
/// of the source (its id, a compact hash) and the ids of the new ones, not the records.
#[derive(Debug)]
pub struct ImportTracker {
    source: String,
    /// Known records of the source: id → (hash, active, given by this import).
    existing: HashMap<String, (CompactHash, bool, bool)>,
    /// Ids of records given by this import that were not known.
    new_ids: HashSet<String>,
    active: i64,
    added: i64,
    updated: i64,
    unchanged: i64,
}

impl ImportTracker {
    /// Starts from the known records of `source`: `(source_id, content_hash, active)`.
    pub fn new(source: &str) -> StoreResult<Self> {
        if source.is_empty() {
            return Err(StoreError::Invalid(
                "the import source name is empty".into(),
            ));
        }
        Ok(Self {
            source: source.to_string(),
            existing: HashMap::new(),
            new_ids: HashSet::new(),
            active: 0,
            added: 0,
            updated: 0,
            unchanged: 0,
        })
    }

    /// Adds one known record of the source (read at the start of the transaction).
    pub fn know(&mut self, source_id: String, content_hash: &str, active: bool) {
        if active {
            self.active += 1;
        }
        self.existing
            .insert(source_id, (CompactHash::of(content_hash), active, false));
    }

    /// The session's source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Checks a batch and splits it into records to insert and records to update (changed
    /// or reactivated); unchanged ones are counted and dropped.
    pub fn classify(
        &mut self,
        records: Vec<SourceRecord>,
    ) -> StoreResult<(Vec<SourceRecord>, Vec<SourceRecord>)> {
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for record in records {
            if record.source != self.source {
                return Err(StoreError::Invalid(format!(
                    "record {:?} belongs to source {:?}, not to the imported source {:?}",
                    record.source_id, record.source, self.source
                )));
            }
            let duplicate = || {
                StoreError::Invalid(format!(
                    "source id {:?} appears more than once in the import of {:?}",
                    record.source_id, record.source
                ))
            };
            match self.existing.get_mut(&record.source_id) {
                Some((_, _, true)) => return Err(duplicate()),
                Some((hash, active, given)) => {
                    *given = true;
                    if *active && *hash == CompactHash::of(&record.content_hash) {
                        self.unchanged += 1;
                    } else {
                        self.updated += 1;
                        updates.push(record);
                    }
                }
                None => {
                    if self.new_ids.contains(&record.source_id) {
                        return Err(duplicate());
                    }
                    self.new_ids.insert(record.source_id.clone());
                    self.added += 1;
                    inserts.push(record);
                }
            }
        }
        Ok((inserts, updates))
    }

    /// Ends the import: the ids of the active records to retire (sorted), checked against
    /// `guard`, and the summary (with `import_id` 0).
    pub fn finish(self, guard: &ImportGuard) -> StoreResult<(Vec<String>, ImportSummary)> {
        let mut retire: Vec<String> = self
            .existing
            .into_iter()
            .filter_map(|(id, (_, active, given))| (active && !given).then_some(id))
            .collect();
        retire.sort_unstable();
        let plan = ImportPlan {
            retire,
            ..ImportPlan::default()
        };
        guard.check(self.active, &plan)?;
        let summary = ImportSummary {
            import_id: 0,
            added: self.added,
            updated: self.updated,
            unchanged: self.unchanged,
            retired: count(plan.retire.len()),
        };
        Ok((plan.retire, summary))
    }
}

/// The fingerprint of a published place as stored (hex sha256 of its id, columns and
/// members), to tell a changed place from one already published.
pub fn merged_row_hash(row: &MergedLieuRow) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut text = |t: &str| {
        h.update((t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    };
    text(&row.id);
    text(&row.data);
    text(&row.provenance);
    text(row.code_insee.as_deref().unwrap_or("\u{0}none"));
    for m in &row.members {
        text(m);
    }
    for c in [row.latitude, row.longitude] {
        match c {
            Some(v) => {
                h.update([1u8]);
                h.update(v.to_bits().to_le_bytes());
            }
            None => h.update([0u8]),
        }
    }
    h.update((row.members.len() as u64).to_le_bytes());
    hex::encode(h.finalize())
}

/// A publication of the whole directory under way in one transaction, fed by batches (see
/// [`LieuxStore::begin_publish`]): [`LieuxStore::publish_merged_lieux`] for a directory too
/// large to hold. Dropping it without [`PublishSession::finish`] writes nothing.
#[async_trait]
pub trait PublishSession: Send {
    /// The re-merge bookkeeping as seen by the session's transaction. While the session is
    /// open no import commits (SQLite: the session holds the write lock; PostgreSQL: it
    /// holds `lieux_merge_state`'s row, which an import updates last), so `wanted` equal
    /// to the value read before a first reading of the records means that the records read
    /// then are those the session reads.
    async fn merge_state(&mut self) -> StoreResult<MergeState>;

    /// [`LieuxStore::active_source_records_page`], read in the session's transaction.
    async fn active_source_records_page(
        &mut self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<SourceRecord>>;

    /// Publishes (in the open transaction) a batch of places: a place already published
    /// with the same hash ([`merged_row_hash`]) is left alone, a new or changed one is
    /// (re)written; a published place that held a member of a written one is deleted. Ids
    /// and members must be unique over the whole session (else `Invalid`, or `Conflict`
    /// from the database; the session is then spent: drop it, nothing is written).
    async fn add(&mut self, lieux: Vec<MergedLieuRow>) -> StoreResult<()>;

    /// Deletes the published places no batch gave, records `generation` as
    /// [`LieuxStore::publish_merged_lieux`] does, and commits. The directory is then the
    /// places given, exactly as [`LieuxStore::publish_merged_lieux`] with all of them would
    /// have made it, with the same summary.
    async fn finish(self: Box<Self>, generation: Option<i64>) -> StoreResult<PublishSummary>;

    /// Gives up: nothing is written.
    async fn abort(self: Box<Self>) -> StoreResult<()>;

    /// The stable ids as stored, read in the session's transaction (no other publication
    /// writes them meanwhile).
    async fn lieu_ids(&mut self) -> StoreResult<LieuIdsState>;

    /// Writes what a re-merge changed in the stable ids, in the session's transaction
    /// (committed by [`PublishSession::finish`] with the places, or not at all). Every id
    /// named must be known or in `new_ids` (else `Invalid` or a database error; the session
    /// is then spent).
    async fn save_lieu_ids(&mut self, changes: LieuIdsChanges) -> StoreResult<()>;
}

/// What the publication of one batch must do (see [`PublishTracker::classify`]).
#[derive(Debug, Default)]
pub struct PublishBatch {
    /// Published places to delete first (changed).
    pub delete: Vec<String>,
    /// Places to write, with their hashes.
    pub write: Vec<(MergedLieuRow, String)>,
}

/// Where a published place stands in a [`PublishSession`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PublishedState {
    /// Not given yet: deleted at the end unless given.
    Unseen,
    /// Given with the published hash: left alone.
    Kept,
    /// Given changed: deleted and written again.
    Rewritten,
    /// Deleted because one of its members went to another place, not given yet.
    Deleted,
}

/// A published place as a [`PublishTracker`] keeps it: its hash as 32 bytes (`None`: no
/// hash or not a sha256, rewritten when given).
#[derive(Debug, Clone, Copy)]
struct Published {
    hash: Option<[u8; 32]>,
    state: PublishedState,
}

/// A published place id as a number when it is `"lieu-"` + 16 lowercase hex digits (every
/// id the re-merge makes), so that a large directory costs a few bytes per place.
fn compact_lieu_id(id: &str) -> Option<u64> {
    let hex = id.strip_prefix("lieu-")?;
    if hex.len() != 16
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

fn lieu_id_of(n: u64) -> String {
    format!("lieu-{n:016x}")
}

fn duplicate_id(id: &str) -> StoreError {
    StoreError::Invalid(format!("merged place id {id:?} appears more than once"))
}

fn sha256_bytes(hash: &str) -> Option<[u8; 32]> {
    match CompactHash::of(hash) {
        CompactHash::Sha256(b) => Some(b),
        CompactHash::Text(_) => None,
    }
}

/// The bookkeeping of a [`PublishSession`], shared by the backends so that they decide
/// exactly alike: which places of a batch are new, changed
/// or unchanged, which published places hold members of written ones, which were not given.
/// Memory: about 48 bytes per published place and 8 per new one, not the places.
#[derive(Debug, Default)]
pub struct PublishTracker {
    /// Published places with a compact id, sorted by id once [`PublishTracker::know`] is done.
    known: Vec<(u64, Published)>,
    sorted: bool,
    /// Published places with another id.
    known_other: HashMap<String, Published>,
    /// Ids given that were not published.
    new_ids: HashSet<u64>,
    new_other: HashSet<String>,
    /// Published places not given yet (and not deleted).
    unseen: usize,
    summary: PublishSummary,
}

impl PublishTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one published place (read at the start of the transaction).
    pub fn know(&mut self, id: String, content_hash: Option<&str>) {
        let p = Published {
            hash: content_hash.and_then(sha256_bytes),
            state: PublishedState::Unseen,
        };
        self.sorted = false;
        match compact_lieu_id(&id) {
            Some(n) => self.known.push((n, p)),
            None => {
                self.known_other.insert(id, p);
            }
        }
    }

    /// Sorts the published places once they are all known.
    fn ready(&mut self) {
        if !self.sorted {
            self.known.sort_unstable_by_key(|(n, _)| *n);
            self.known.dedup_by_key(|(n, _)| *n);
            self.unseen = self.known.len() + self.known_other.len();
            self.sorted = true;
        }
    }

    fn published(&mut self, id: &str) -> Option<&mut Published> {
        self.ready();
        match compact_lieu_id(id) {
            Some(n) => self
                .known
                .binary_search_by_key(&n, |(k, _)| *k)
                .ok()
                .map(|i| &mut self.known[i].1),
            None => self.known_other.get_mut(id),
        }
    }

    /// Published places not given yet that may still hold members: when 0, the backend
    /// need not look for the holders of written members.
    pub fn unseen(&mut self) -> usize {
        self.ready();
        self.unseen
    }

    /// Checks a batch (ids and members unique within it, ids not given before) and splits
    /// it into places to delete first (changed) and places to write (new or changed);
    /// unchanged ones are counted and dropped.
    pub fn classify(&mut self, lieux: Vec<MergedLieuRow>) -> StoreResult<PublishBatch> {
        validate_merged_lieux(&lieux)?;
        let mut batch = PublishBatch::default();
        for row in lieux {
            let hash = merged_row_hash(&row);
            // The state before this row, updated in place.
            let before = self.published(&row.id).map(|p| {
                let before = p.state;
                p.state = match before {
                    PublishedState::Unseen if p.hash.is_some() && p.hash == sha256_bytes(&hash) => {
                        PublishedState::Kept
                    }
                    PublishedState::Unseen | PublishedState::Deleted => PublishedState::Rewritten,
                    given => given,
                };
                (before, p.state)
            });
            match before {
                Some((PublishedState::Unseen, PublishedState::Kept)) => {
                    self.unseen -= 1;
                    self.summary.kept += 1;
                }
                Some((PublishedState::Unseen, _)) => {
                    self.unseen -= 1;
                    self.summary.deleted += 1;
                    batch.delete.push(row.id.clone());
                    batch.write.push((row, hash));
                }
                Some((PublishedState::Deleted, _)) => batch.write.push((row, hash)),
                Some(_) => return Err(duplicate_id(&row.id)),
                None => {
                    let fresh = match compact_lieu_id(&row.id) {
                        Some(n) => self.new_ids.insert(n),
                        None => self.new_other.insert(row.id.clone()),
                    };
                    if !fresh {
                        return Err(duplicate_id(&row.id));
                    }
                    batch.write.push((row, hash));
                }
            }
        }
        self.summary.written += count(batch.write.len());
        Ok(batch)
    }

    /// The published places found holding members of places about to be written (after
    /// the batch's deletions): those not given yet are to be deleted now (returned); one
    /// already given means a member given twice (`Invalid`).
    pub fn holders(&mut self, ids: Vec<String>) -> StoreResult<Vec<String>> {
        let mut delete = Vec::new();
        for id in ids {
            let before = self.published(&id).map(|p| {
                let before = p.state;
                if before == PublishedState::Unseen {
                    p.state = PublishedState::Deleted;
                }
                before
            });
            match before {
                Some(PublishedState::Unseen) => {
                    self.unseen -= 1;
                    self.summary.deleted += 1;
                    delete.push(id);
                }
                Some(PublishedState::Deleted) => {}
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "a member of a merged place already belongs to merged place {id:?}"
                    )))
                }
            }
        }
        Ok(delete)
    }

    /// Ends the publication: the published places never given (to delete, sorted) and the
    /// summary.
    pub fn finish(mut self) -> (Vec<String>, PublishSummary) {
        self.ready();
        let mut delete: Vec<String> = self
            .known
            .iter()
            .filter(|(_, p)| p.state == PublishedState::Unseen)
            .map(|(n, _)| lieu_id_of(*n))
            .chain(
                self.known_other
                    .into_iter()
                    .filter(|(_, p)| p.state == PublishedState::Unseen)
                    .map(|(id, _)| id),
            )
            .collect();
        delete.sort_unstable();
        self.summary.deleted += count(delete.len());
        (delete, self.summary)
    }
}

/// The storage of the places directory. Object safe: use it as `Arc<dyn LieuxStore>`.
#[async_trait]
pub trait LieuxStore: Send + Sync {
    /// Applies the import of one source file, in one transaction.
    ///
    /// All records must have `source == report.source` and distinct `source_id`s, else
    /// `Invalid` is returned and nothing is written. Records are keyed by
    /// `(source, source_id)`:
    /// - new: inserted (`added`);
    /// - known, active, same `content_hash`: nothing is written (`unchanged`);
    /// - known with another hash, or retired: data replaced, reactivated, `updated_at`
    ///   bumped (`updated`);
    /// - every active record of the source missing from the batch is retired (`retired`).
    ///
    /// The report is stored with the summary. On any error nothing is written.
    ///
    /// The import also marks the directory as needing a re-merge ([`MergeState::wanted`]
    /// grows by one), in the same transaction.
    async fn apply_import(
        &self,
        records: Vec<SourceRecord>,
        report: NewImportReport,
    ) -> StoreResult<ImportSummary> {
        self.apply_import_guarded(records, report, ImportGuard::default())
            .await
    }

    /// [`LieuxStore::apply_import`], refused ([`StoreError::TooManyRetired`], nothing
    /// written) when the plan exceeds `guard`, checked in the transaction.
    ///
    /// The records are validated as a whole first, then written through one
    /// [`ImportSession`] (see [`LieuxStore::begin_import`]).
    async fn apply_import_guarded(
        &self,
        records: Vec<SourceRecord>,
        report: NewImportReport,
        guard: ImportGuard,
    ) -> StoreResult<ImportSummary> {
        validate_import(&records, &report)?;
        let mut session = self.begin_import(&report.source, guard).await?;
        // On error the session is dropped: its transaction is rolled back.
        session.add(records).await?;
        session.finish(report).await
    }

    /// Starts the import of one source file in one transaction, fed by batches
    /// ([`ImportSession::add`]) so that a large file never has to be held in memory as a
    /// whole: [`LieuxStore::apply_import_guarded`] in several steps, with the same result.
    ///
    /// Nothing is visible to others before [`ImportSession::finish`] commits; an error, an
    /// [`ImportSession::abort`] or dropping the session writes nothing. While a session is
    /// open it holds the backend's write lock for its source (SQLite: the database), so
    /// other writes of that source wait: do not call the store for writes from the task
    /// that feeds the session.
    async fn begin_import(
        &self,
        source: &str,
        guard: ImportGuard,
    ) -> StoreResult<Box<dyn ImportSession>>;

    /// The re-merge bookkeeping (see [`MergeState`]).
    async fn merge_state(&self) -> StoreResult<MergeState>;

    /// [`LieuxStore::replace_merged_lieux`], recording in the same transaction that the
    /// directory was computed from the records as of `generation` (a [`MergeState::wanted`]
    /// value read before the records were): `done` becomes `max(done, generation)`.
    async fn replace_merged_lieux_at(
        &self,
        lieux: Vec<MergedLieuRow>,
        generation: i64,
    ) -> StoreResult<()> {
        self.publish_merged_lieux(lieux, Some(generation))
            .await
            .map(|_| ())
    }

    /// Id of the newest import report, without reading it (a cheap change check).
    async fn latest_import_id(&self) -> StoreResult<Option<i64>>;

    /// All source records (or only the active ones), ordered by source then source_id.
    async fn source_records(&self, active_only: bool) -> StoreResult<Vec<StoredSourceRecord>>;

    /// Active source records by pages, ordered by source then source_id (the order of
    /// [`LieuxStore::source_records`]): at most `limit` records after the key `after`
    /// (`(source, source_id)`; `None`: from the first). Reading every page, each from the
    /// last key of the previous one, gives `source_records(true)` when nothing changes
    /// meanwhile.
    async fn active_source_records_page(
        &self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<SourceRecord>>;

    /// One source record, active or not.
    async fn source_record(
        &self,
        source: &str,
        source_id: &str,
    ) -> StoreResult<Option<StoredSourceRecord>>;

    /// Every source ever imported with its number of active records (possibly 0),
    /// ordered by source name.
    async fn sources(&self) -> StoreResult<Vec<(String, i64)>>;

    /// Replaces the whole published directory, in one transaction. Ids and member
    /// references must be unique (else `Invalid`, nothing written).
    async fn replace_merged_lieux(&self, lieux: Vec<MergedLieuRow>) -> StoreResult<()> {
        self.publish_merged_lieux(lieux, None).await.map(|_| ())
    }

    /// Makes `lieux` the whole published directory, in one transaction, writing only what
    /// differs: a place whose id, columns and members (see [`merged_row_hash`]) are those
    /// already published is left alone, a changed or new one is (re)written, a published
    /// place absent from `lieux` is deleted. The result is the same as
    /// [`LieuxStore::replace_merged_lieux`]; the summary says how many rows were written.
    ///
    /// With `generation`, records that the directory was computed from the records as of
    /// that [`MergeState::wanted`] value (see [`LieuxStore::replace_merged_lieux_at`]).
    /// Ids and member references must be unique (else `Invalid`, nothing written).
    ///
    /// One publication session fed with one batch: the same code as a re-merge that
    /// publishes by batches ([`LieuxStore::begin_publish`]).
    async fn publish_merged_lieux(
        &self,
        lieux: Vec<MergedLieuRow>,
        generation: Option<i64>,
    ) -> StoreResult<PublishSummary> {
        validate_merged_lieux(&lieux)?;
        let mut session = self.begin_publish().await?;
        if let Err(e) = session.add(lieux).await {
            session.abort().await?;
            return Err(e);
        }
        session.finish(generation).await
    }

    /// Starts the publication of the whole directory in one transaction, fed by batches
    /// ([`PublishSession::add`]) so that a large directory never has to be held in memory:
    /// [`LieuxStore::publish_merged_lieux`] in several steps, with the same result. The
    /// session can also read the source records ([`PublishSession::active_source_records_page`])
    /// in its transaction. Nothing is visible to others before [`PublishSession::finish`];
    /// while it is open, imports and other publications wait (see
    /// [`PublishSession::merge_state`]): do not call the store for writes from the task that
    /// feeds the session.
    async fn begin_publish(&self) -> StoreResult<Box<dyn PublishSession>>;

    /// The published directory, ordered by id.
    async fn merged_lieux(&self) -> StoreResult<Vec<MergedLieuRow>>;

    /// One merged place by id.
    async fn merged_lieu(&self, id: &str) -> StoreResult<Option<MergedLieuRow>>;

    /// The merged place whose members contain `member_ref` (`"SOURCE#ID"`).
    async fn merged_lieu_by_member(&self, member_ref: &str) -> StoreResult<Option<MergedLieuRow>>;

    /// Number of merged places.
    async fn count_merged_lieux(&self) -> StoreResult<i64>;

    /// The id a former place id redirects to (see [`LieuIdsState::redirects`]), if any.
    async fn lieu_id_redirect(&self, old_id: &str) -> StoreResult<Option<String>>;

    /// Records a decision about an unordered pair; the pair is normalised so that
    /// `ref_a < ref_b`, and a later decision on the same pair replaces the earlier one.
    /// The decision is also appended to the history ([`LieuxStore::pair_decisions_history`])
    /// in the same transaction.
    async fn set_pair_decision(&self, decision: PairDecision) -> StoreResult<()>;

    /// Undoes the decision on a pair (either order): it is deleted and an `annule` entry by
    /// `by` at `at` (with `note`) is appended to the history, in one transaction; `false`
    /// (nothing written) if the pair has no decision.
    async fn remove_pair_decision(
        &self,
        ref_a: &str,
        ref_b: &str,
        by: &str,
        at: DateTime<Utc>,
        note: Option<String>,
    ) -> StoreResult<bool>;

    /// The newest `limit` entries of the pair decisions' history, newest first.
    async fn pair_decisions_history(&self, limit: i64) -> StoreResult<Vec<PairDecisionEvent>>;

    /// Keeps a file uploaded for an import until it is applied, stamped with the current
    /// time (an error if the token is taken).
    async fn add_import_en_attente(&self, import: NewImportEnAttente) -> StoreResult<()>;

    /// An uploaded file by its token, with its content while not applied.
    async fn import_en_attente(&self, jeton: &str) -> StoreResult<Option<ImportEnAttenteRow>>;

    /// Marks an uploaded file applied now: drops its content, keeps the import's id and
    /// report; `false` if there is no such token.
    async fn marquer_import_applique(
        &self,
        jeton: &str,
        import_id: Option<i64>,
        rapport_json: &str,
    ) -> StoreResult<bool>;

    /// Deletes the uploaded files never applied and older than `avant`; returns how many.
    async fn purger_imports_en_attente(&self, avant: DateTime<Utc>) -> StoreResult<u64>;

    /// All pair decisions, ordered by `(ref_a, ref_b)`.
    async fn pair_decisions(&self) -> StoreResult<Vec<PairDecision>>;

    /// The latest `limit` import reports, newest first.
    async fn import_reports(&self, limit: i64) -> StoreResult<Vec<ImportReportRow>>;

    /// Stores an error report about a place, stamped with the current time, open
    /// (`traite == false`); returns its id. `Invalid` (nothing written) if
    /// [`validate_signalement`] rejects it.
    async fn add_signalement(&self, signalement: NewSignalement) -> StoreResult<i64>;

    /// At most `limit` error reports, newest first (by `created_at`, then id), about one
    /// place or all (`lieu_id == None`), only the open ones if `only_open`.
    async fn signalements(
        &self,
        lieu_id: Option<&str>,
        only_open: bool,
        limit: i64,
    ) -> StoreResult<Vec<SignalementRow>>;

    /// Marks an error report as dealt with (or open again); `false` if there is no report
    /// `id`. Setting the value it already has is not an error (returns `true`).
    async fn set_signalement_traite(&self, id: i64, traite: bool) -> StoreResult<bool>;

    /// Closes an error report with `decision` (one of [`DECISIONS_SIGNALEMENT`], else
    /// `Invalid` and nothing written), by account `par` (`None` from the command line),
    /// stamped with the current time; `false` if there is no report `id`. Deciding again
    /// replaces the decision. Opening a report again ([`LieuxStore::set_signalement_traite`]
    /// with `false`) clears it.
    async fn decide_signalement(
        &self,
        id: i64,
        decision: &str,
        par: Option<i64>,
        note: Option<&str>,
    ) -> StoreResult<bool>;
}

/// The current time, truncated to the microsecond so that every backend stores and
/// returns exactly the same value.
pub fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Checks an import before anything is written: every record belongs to the report's
/// source and source ids are unique in the batch.
pub fn validate_import(records: &[SourceRecord], report: &NewImportReport) -> StoreResult<()> {
    if report.source.is_empty() {
        return Err(StoreError::Invalid(
            "the import source name is empty".into(),
        ));
    }
    let mut seen: HashSet<&str> = HashSet::with_capacity(records.len());
    for record in records {
        if record.source != report.source {
            return Err(StoreError::Invalid(format!(
                "record {:?} belongs to source {:?}, not to the imported source {:?}",
                record.source_id, record.source, report.source
            )));
        }
        if !seen.insert(record.source_id.as_str()) {
            return Err(StoreError::Invalid(format!(
                "source id {:?} appears more than once in the import of {:?}",
                record.source_id, report.source
            )));
        }
    }
    Ok(())
}

/// What an import must do, decided in memory from the existing records of its source.
#[derive(Debug, Default)]
pub struct ImportPlan {
    /// Records to insert.
    pub inserts: Vec<SourceRecord>,
    /// Records to update (changed or reactivated).
    pub updates: Vec<SourceRecord>,
    /// Number of records left untouched.
    pub unchanged: i64,
    /// Source ids of active records to retire.
    pub retire: Vec<String>,
}

impl ImportPlan {
    /// Builds the plan. `existing` maps each known source id of the source to its
    /// `(content_hash, active)`. Records must have been checked by [`validate_import`].
    pub fn build(
        records: Vec<SourceRecord>,
        mut existing: HashMap<String, (String, bool)>,
    ) -> Self {
        let mut plan = ImportPlan::default();
        for record in records {
            match existing.remove(&record.source_id) {
                None => plan.inserts.push(record),
                Some((hash, true)) if hash == record.content_hash => plan.unchanged += 1,
                Some(_) => plan.updates.push(record),
            }
        }
        plan.retire = existing
            .into_iter()
            .filter_map(|(source_id, (_, active))| active.then_some(source_id))
            .collect();
        plan.retire.sort_unstable();
        plan
    }

    /// The summary of this plan once stored as import `import_id`.
    pub fn summary(&self, import_id: i64) -> ImportSummary {
        ImportSummary {
            import_id,
            added: count(self.inserts.len()),
            updated: count(self.updates.len()),
            unchanged: self.unchanged,
            retired: count(self.retire.len()),
        }
    }
}

/// Checks what a re-merge changes in the stable ids before anything is written: no empty
/// id or ref, no id given twice, no redirect of an id to itself, no id both redirected and
/// named again.
pub fn validate_lieu_ids_changes(changes: &LieuIdsChanges) -> StoreResult<()> {
    let invalide = |m: String| Err(StoreError::Invalid(m));
    let mut nouveaux: HashSet<&str> = HashSet::with_capacity(changes.new_ids.len());
    for (id, main_ref) in &changes.new_ids {
        if id.is_empty() || main_ref.is_empty() {
            return invalide(format!("empty place id or main ref ({id:?}, {main_ref:?})"));
        }
        if !nouveaux.insert(id) {
            return invalide(format!("place id {id:?} given twice"));
        }
    }
    let liberes: HashSet<&str> = changes.unredirect.iter().map(String::as_str).collect();
    for (old, current) in &changes.redirects {
        if old.is_empty() || current.is_empty() || old == current {
            return invalide(format!("invalid redirect {old:?} → {current:?}"));
        }
        if liberes.contains(old.as_str()) {
            return invalide(format!("place id {old:?} both redirected and named again"));
        }
    }
    for (member, id) in &changes.members {
        if member.is_empty() || id.is_empty() {
            return invalide(format!("empty member ref or place id ({member:?}, {id:?})"));
        }
    }
    Ok(())
}

/// Checks a new published directory: ids and member references are unique.
pub fn validate_merged_lieux(lieux: &[MergedLieuRow]) -> StoreResult<()> {
    let mut ids: HashSet<&str> = HashSet::with_capacity(lieux.len());
    let mut members: HashSet<&str> = HashSet::new();
    for lieu in lieux {
        if !ids.insert(lieu.id.as_str()) {
            return Err(StoreError::Invalid(format!(
                "merged place id {:?} appears more than once",
                lieu.id
            )));
        }
        for member in &lieu.members {
            if !members.insert(member.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "member {:?} belongs to more than one merged place (found again in {:?})",
                    member, lieu.id
                )));
            }
        }
    }
    Ok(())
}

/// Checks a decision about an error report (one of [`DECISIONS_SIGNALEMENT`]).
pub fn validate_decision_signalement(decision: &str) -> StoreResult<()> {
    if DECISIONS_SIGNALEMENT.contains(&decision) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "decision must be one of {DECISIONS_SIGNALEMENT:?}, got {decision:?}"
        )))
    }
}

/// Checks an error report before it is written: the place id is not empty, and no text
/// contains a NUL character (PostgreSQL cannot store it in `TEXT`; rejected by both
/// backends so that they accept exactly the same reports).
pub fn validate_signalement(signalement: &NewSignalement) -> StoreResult<()> {
    if signalement.lieu_id.is_empty() {
        return Err(StoreError::Invalid(
            "an error report needs a place id".into(),
        ));
    }
    let texts = [
        ("lieu_id", Some(signalement.lieu_id.as_str())),
        ("categorie", Some(signalement.categorie.as_str())),
        ("message", Some(signalement.message.as_str())),
        ("contact", signalement.contact.as_deref()),
    ];
    for (field, text) in texts {
        if text.is_some_and(|t| t.contains('\0')) {
            return Err(StoreError::Invalid(format!(
                "the {field} of an error report contains a NUL character"
            )));
        }
    }
    Ok(())
}

/// Rejects a negative `limit`.
pub fn validate_limit(limit: i64) -> StoreResult<()> {
    if limit < 0 {
        return Err(StoreError::Invalid(format!(
            "limit must not be negative, got {limit}"
        )));
    }
    Ok(())
}

/// A page of a list, checked once for both backends: `limit` not negative, and a negative
/// `offset` taken as 0 (PostgreSQL would reject it, SQLite takes it as 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(limit: i64, offset: i64) -> StoreResult<Page> {
        validate_limit(limit)?;
        Ok(Page {
            limit,
            offset: offset.max(0),
        })
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(source: &str, id: &str, hash: &str) -> SourceRecord {
        SourceRecord {
            source: source.into(),
            source_id: id.into(),
            content_hash: hash.into(),
            data: "{}".into(),
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

    #[test]
    fn validate_rejects_duplicates_and_foreign_sources() {
        let ok = vec![record("s", "1", "h"), record("s", "2", "h")];
        assert_eq!(validate_import(&ok, &report("s")), Ok(()));
        let dup = vec![record("s", "1", "h"), record("s", "1", "h2")];
        assert!(matches!(
            validate_import(&dup, &report("s")),
            Err(StoreError::Invalid(_))
        ));
        let foreign = vec![record("s", "1", "h"), record("t", "2", "h")];
        assert!(matches!(
            validate_import(&foreign, &report("s")),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn plan_sorts_records() {
        let existing: HashMap<String, (String, bool)> = [
            ("same".to_string(), ("h".to_string(), true)),
            ("changed".to_string(), ("old".to_string(), true)),
            ("retired".to_string(), ("h".to_string(), false)),
            ("gone".to_string(), ("h".to_string(), true)),
            ("gone-already".to_string(), ("h".to_string(), false)),
        ]
        .into_iter()
        .collect();
        let records = vec![
            record("s", "same", "h"),
            record("s", "changed", "new"),
            record("s", "retired", "h"),
            record("s", "new", "h"),
        ];
        let plan = ImportPlan::build(records, existing);
        assert_eq!(plan.inserts.len(), 1);
        assert_eq!(plan.inserts[0].source_id, "new");
        let mut updated: Vec<_> = plan.updates.iter().map(|r| r.source_id.as_str()).collect();
        updated.sort_unstable();
        assert_eq!(updated, ["changed", "retired"]);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.retire, ["gone"]);
        let summary = plan.summary(7);
        assert_eq!(
            summary,
            ImportSummary {
                import_id: 7,
                added: 1,
                updated: 2,
                unchanged: 1,
                retired: 1
            }
        );
    }

    #[test]
    fn pair_normalisation() {
        let d = PairDecision {
            ref_a: "b#1".into(),
            ref_b: "a#2".into(),
            decision: PairDecisionKind::Confirmed,
            decided_by: "x".into(),
            decided_at: now_micros(),
            note: None,
        };
        let n = d.clone().normalised().expect("valid pair");
        assert_eq!((n.ref_a.as_str(), n.ref_b.as_str()), ("a#2", "b#1"));
        let same = PairDecision {
            ref_b: "b#1".into(),
            ..d
        };
        assert!(matches!(same.normalised(), Err(StoreError::Invalid(_))));
    }

    #[test]
    fn merged_validation() {
        let lieu = |id: &str, members: &[&str]| MergedLieuRow {
            id: id.into(),
            data: "{}".into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            provenance: "{}".into(),
            code_insee: None,
            latitude: None,
            longitude: None,
        };
        assert_eq!(
            validate_merged_lieux(&[lieu("1", &["a"]), lieu("2", &["b"])]),
            Ok(())
        );
        assert!(validate_merged_lieux(&[lieu("1", &["a"]), lieu("1", &["b"])]).is_err());
        assert!(validate_merged_lieux(&[lieu("1", &["a"]), lieu("2", &["a"])]).is_err());
    }
}
