//! SQLite implementation of [`LieuxStore`], the default backend of Maillage.
//!
//! Every query is checked at compile time against the offline data in this crate's
//! `.sqlx/` directory (regenerate it with `scripts/sqlx-prepare.sh` after changing a query
//! or a migration). The schema lives in `migrations/` and is applied by
//! [`SqliteStore::connect`].

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use maillage_store::{
    now_micros, validate_decision_signalement, validate_limit, validate_signalement,
    ImportEnAttenteRow, ImportGuard, ImportReportRow, ImportSession, ImportSummary, ImportTracker,
    LieuIdRow, LieuIdsChanges, LieuIdsState, LieuxStore, MergeState, MergedLieuRow,
    NewImportEnAttente, NewImportReport, NewSignalement, PairDecision, PairDecisionEvent,
    PairDecisionKind, PublishSession, PublishSummary, PublishTracker, SignalementRow, SourceRecord,
    StoreError, StoreResult, StoredSourceRecord,
};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Transaction;

mod competences;
mod comptes;
mod corrections;
mod enquete;
mod evenements;
mod mandats;
mod mediation;
mod pass;

/// The migrations of this backend (`migrations/`), embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// How long a connection waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections of a file database (SQLite has one writer at a time anyway).
const MAX_FILE_CONNECTIONS: u32 = 4;

/// How far a commit is on the disk when the store answers (`PRAGMA synchronous` of a WAL
/// file database; docs/EXPLOITATION.md « Durabilité »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durabilite {
    /// `synchronous = FULL`: the WAL is synced at each commit, so an acknowledged write
    /// survives a power loss or a crash of the host as well as a crash of the process. The
    /// default: mandates and pass are legal and financial records. Costs one `fsync` per
    /// write transaction (docs/PERFORMANCE.md « Durabilité SQLite »).
    #[default]
    Totale,
    /// `synchronous = NORMAL`: survives a crash (or `kill -9`) of the process, but the last
    /// commits before a power loss may be lost; the WAL is synced only at checkpoints.
    Processus,
}

/// A [`LieuxStore`] backed by SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for the write transactions of [`begin_write`](Self::begin_write):
    /// writers queue for it in arrival order (the pool's fair semaphore), instead of
    /// contending for SQLite's write lock from several connections, where the losers sleep
    /// in SQLite's busy handler (1, 2, 5 … 100 ms) and the lock stays idle meanwhile. The
    /// same pool as `pool` for an in-memory database.
    ecriture: SqlitePool,
}

impl SqliteStore {
    /// Begins a transaction that will write. SQLite has one writer at a time; `IMMEDIATE`
    /// takes the write lock at once, so nothing can change between this transaction's
    /// reads and its writes (and it never fails later on a lock upgrade).
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.ecriture.begin_with("BEGIN IMMEDIATE").await.db()
    }

    /// Opens (creating it and its parent directories if missing) the database at `url`,
    /// e.g. `sqlite://data/maillage.db`, or an in-memory database with `sqlite::memory:`,
    /// and applies the migrations.
    ///
    /// File databases use WAL journaling with `synchronous = FULL` (see [`Durabilite`]);
    /// foreign keys are enforced. An in-memory database lives as long as the store (one
    /// connection).
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        Self::connect_avec(url, Durabilite::default()).await
    }

    /// [`connect`](Self::connect) with a chosen [`Durabilite`] of the commits.
    pub async fn connect_avec(url: &str, durabilite: Durabilite) -> StoreResult<SqliteStore> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::Invalid(format!(
                "not a SQLite URL (expected sqlite://PATH or sqlite::memory:): {url:?}"
            )));
        }
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("invalid SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durabilite {
                Durabilite::Totale => SqliteSynchronous::Full,
                Durabilite::Processus => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        let options_ecriture = options.clone();
        let pool_options = if in_memory {
            // Each connection to `:memory:` would otherwise risk seeing its own database
            // or losing it when idle: keep exactly one, forever.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            create_parent_dir(options.get_filename())?;
            SqlitePoolOptions::new().max_connections(MAX_FILE_CONNECTIONS)
        };

        let pool = pool_options.connect_with(options).await.db()?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("SQLite migration failed: {e}")))?;
        let ecriture = if in_memory {
            pool.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options_ecriture)
                .await
                .db()?
        };
        Ok(SqliteStore { pool, ecriture })
    }

    /// The connection pool, for modules that keep their own tables in the same database.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.ecriture.close().await;
        self.pool.close().await;
    }
}

fn create_parent_dir(file: &Path) -> StoreResult<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Database(format!("cannot create directory {}: {e}", dir.display()))
        }),
        _ => Ok(()),
    }
}

/// Maps sqlx errors into [`StoreError`].
trait DbResult<T> {
    fn db(self) -> StoreResult<T>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> StoreResult<T> {
        self.map_err(|error| match error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(e) if e.is_unique_violation() => {
                StoreError::Conflict(e.message().to_string())
            }
            other => StoreError::Database(other.to_string()),
        })
    }
}

/// Rows per multi-row statement of bulk writes: a statement costs far more than a row
/// (about 15 µs through sqlx's SQLite worker), so bulk writes go [`ROWS`] rows at a time
/// and only the remainder row by row. Must match the indices of [`for_row_indices!`].
pub const ROWS: usize = 32;

/// Calls `$m!(ARGS; 0 1 … 31)`, the row indices of one multi-row statement.
macro_rules! for_row_indices {
    ($m:ident!($($args:tt)*)) => {
        $m!($($args)*;
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
    };
}

/// `sqlx::query!` whose SQL is `$head`, then `$row` once per index separated by commas,
/// then `$tail`; the rows are written once in the source, the macro repeats them.
macro_rules! multi_row_query {
    ($head:tt, $row:tt, $tail:tt, [$first:tt $($i:tt)*], $($args:tt)*) => {
        multi_row_query!(@acc [$head + $row] $row $tail [$($i)*] [$($args)*])
    };
    (@acc [$($sql:tt)*] $row:tt $tail:tt [$next:tt $($i:tt)*] $args:tt) => {
        multi_row_query!(@acc [$($sql)* + "," + $row] $row $tail [$($i)*] $args)
    };
    (@acc [$($sql:tt)*] $row:tt $tail:tt [] [$($args:tt)*]) => {
        sqlx::query!($($sql)* + $tail, $($args)*)
    };
}

/// Inserts or updates (reactivating) [`ROWS`] source records.
macro_rules! upsert_records {
    ($tx:ident, $rows:ident, $now:ident; $($i:tt)*) => {
        multi_row_query!(
            "INSERT INTO source_records
                 (source, source_id, content_hash, data, code_insee, latitude, longitude,
                  date_maj, active, first_seen_at, updated_at, retired_at)
             VALUES ",
            "(?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, NULL)",
            " ON CONFLICT (source, source_id) DO UPDATE
              SET content_hash = excluded.content_hash, data = excluded.data,
                  code_insee = excluded.code_insee, latitude = excluded.latitude,
                  longitude = excluded.longitude, date_maj = excluded.date_maj, active = 1,
                  updated_at = excluded.updated_at, retired_at = NULL",
            [$($i)*],
            $(
                $rows[$i].source, $rows[$i].source_id, $rows[$i].content_hash,
                $rows[$i].data, $rows[$i].code_insee, $rows[$i].latitude,
                $rows[$i].longitude, $rows[$i].date_maj, $now, $now,
            )*
        )
        .execute(&mut *$tx)
        .await
        .db()?
    };
}

/// Retires [`ROWS`] source records of one source.
macro_rules! retire_records {
    ($tx:ident, $source:ident, $ids:ident, $now:ident; $($i:tt)*) => {
        multi_row_query!(
            "UPDATE source_records SET active = 0, retired_at = ?
             WHERE source = ? AND source_id IN (",
            "?",
            ")",
            [$($i)*],
            $now, $source, $( $ids[$i], )*
        )
        .execute(&mut *$tx)
        .await
        .db()?
    };
}

/// Inserts [`ROWS`] merged places `(row, hash)` (without their members).
macro_rules! insert_lieux {
    ($tx:ident, $rows:ident; $($i:tt)*) => {
        multi_row_query!(
            "INSERT INTO merged_lieux
                 (id, data, provenance, code_insee, latitude, longitude, content_hash)
             VALUES ",
            "(?, ?, ?, ?, ?, ?, ?)",
            "",
            [$($i)*],
            $(
                $rows[$i].0.id, $rows[$i].0.data, $rows[$i].0.provenance,
                $rows[$i].0.code_insee, $rows[$i].0.latitude, $rows[$i].0.longitude,
                $rows[$i].1,
            )*
        )
        .execute(&mut *$tx)
        .await
        .db()?
    };
}

/// Inserts [`ROWS`] members `(lieu_id, position, member_ref)` of merged places.
macro_rules! insert_members {
    ($tx:ident, $rows:ident; $($i:tt)*) => {
        multi_row_query!(
            "INSERT INTO merged_lieu_members (lieu_id, position, member_ref) VALUES ",
            "(?, ?, ?)",
            "",
            [$($i)*],
            $( $rows[$i].0, $rows[$i].1, $rows[$i].2, )*
        )
        .execute(&mut *$tx)
        .await
        .db()?
    };
}

/// Deletes [`ROWS`] merged places (their members go with them: ON DELETE CASCADE).
macro_rules! delete_lieux {
    ($tx:ident, $ids:ident; $($i:tt)*) => {
        multi_row_query!(
            "DELETE FROM merged_lieux WHERE id IN (",
            "?",
            ")",
            [$($i)*],
            $( $ids[$i], )*
        )
        .execute(&mut *$tx)
        .await
        .db()?
    };
}

/// The merged places holding any of [`ROWS`] member refs.
macro_rules! member_holders {
    ($tx:ident, $refs:ident; $($i:tt)*) => {
        multi_row_query!(
            r#"SELECT DISTINCT lieu_id AS "lieu_id!: String" FROM merged_lieu_members
               WHERE member_ref IN ("#,
            "?",
            ")",
            [$($i)*],
            $( $refs[$i], )*
        )
        .fetch_all(&mut *$tx)
        .await
        .db()?
    };
}

/// Builds a [`StoredSourceRecord`] from a row of any query selecting all its columns.
macro_rules! stored_record {
    ($row:expr) => {{
        let row = $row;
        StoredSourceRecord {
            record: SourceRecord {
                source: row.source,
                source_id: row.source_id,
                content_hash: row.content_hash,
                data: row.data,
                code_insee: row.code_insee,
                latitude: row.latitude,
                longitude: row.longitude,
                date_maj: row.date_maj,
            },
            active: row.active,
            first_seen_at: row.first_seen_at,
            updated_at: row.updated_at,
            retired_at: row.retired_at,
        }
    }};
}

/// An import under way (see [`LieuxStore::begin_import`]).
struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    tracker: ImportTracker,
    guard: ImportGuard,
    now: DateTime<Utc>,
}

/// Inserts or updates (reactivating) source records.
async fn upsert_source_records(
    tx: &mut SqliteConnection,
    records: &[SourceRecord],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut chunks = records.chunks_exact(ROWS);
    for rows in chunks.by_ref() {
        for_row_indices!(upsert_records!(tx, rows, now));
    }
    for r in chunks.remainder() {
        sqlx::query!(
            r#"INSERT INTO source_records
                       (source, source_id, content_hash, data, code_insee, latitude, longitude,
                        date_maj, active, first_seen_at, updated_at, retired_at)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, NULL)
                   ON CONFLICT (source, source_id) DO UPDATE
                   SET content_hash = excluded.content_hash, data = excluded.data,
                       code_insee = excluded.code_insee, latitude = excluded.latitude,
                       longitude = excluded.longitude, date_maj = excluded.date_maj, active = 1,
                       updated_at = excluded.updated_at, retired_at = NULL"#,
            r.source,
            r.source_id,
            r.content_hash,
            r.data,
            r.code_insee,
            r.latitude,
            r.longitude,
            r.date_maj,
            now,
        )
        .execute(&mut *tx)
        .await
        .db()?;
    }
    Ok(())
}

#[async_trait]
impl ImportSession for SqliteImport {
    async fn add(&mut self, records: Vec<SourceRecord>) -> StoreResult<()> {
        let (mut inserts, updates) = self.tracker.classify(records)?;
        // New and changed records alike: an upsert keeps first_seen_at of known ones.
        inserts.extend(updates);
        upsert_source_records(&mut self.tx, &inserts, self.now).await
    }

    async fn finish(self: Box<Self>, report: NewImportReport) -> StoreResult<ImportSummary> {
        let SqliteImport {
            mut tx,
            tracker,
            guard,
            now,
        } = *self;
        if report.source != tracker.source() {
            return Err(StoreError::Invalid(format!(
                "the report is about source {:?}, the import about {:?}",
                report.source,
                tracker.source()
            )));
        }
        let source = report.source.as_str();
        let (retire, summary) = tracker.finish(&guard)?;
        let mut chunks = retire.chunks_exact(ROWS);
        for ids in chunks.by_ref() {
            for_row_indices!(retire_records!(tx, source, ids, now));
        }
        for source_id in chunks.remainder() {
            sqlx::query!(
                r#"UPDATE source_records SET active = 0, retired_at = ?3
                   WHERE source = ?1 AND source_id = ?2"#,
                source,
                source_id,
                now,
            )
            .execute(&mut *tx)
            .await
            .db()?;
        }

        let import_id = sqlx::query_scalar!(
            r#"INSERT INTO import_reports
                   (created_at, source, format, file_name, rows_read, accepted, corrected,
                    rejected, details_json, added, updated, unchanged, retired)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
               RETURNING id AS "id!: i64""#,
            now,
            report.source,
            report.format,
            report.file_name,
            report.rows_read,
            report.accepted,
            report.corrected,
            report.rejected,
            report.details_json,
            summary.added,
            summary.updated,
            summary.unchanged,
            summary.retired,
        )
        .fetch_one(&mut *tx)
        .await
        .db()?;
        sqlx::query!("UPDATE lieux_merge_state SET wanted = wanted + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(ImportSummary {
            import_id,
            ..summary
        })
    }

    async fn abort(self: Box<Self>) -> StoreResult<()> {
        self.tx.rollback().await.db()
    }
}

/// The re-merge bookkeeping, read on `conn`.
async fn read_merge_state(conn: &mut SqliteConnection) -> StoreResult<MergeState> {
    let row = sqlx::query!(
        r#"SELECT wanted AS "wanted!: i64", done AS "done!: i64"
           FROM lieux_merge_state WHERE id = 1"#
    )
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    Ok(row.map_or_else(MergeState::default, |r| MergeState {
        wanted: r.wanted,
        done: r.done,
    }))
}

/// One page of active source records (see [`LieuxStore::active_source_records_page`]).
async fn records_page(
    conn: &mut SqliteConnection,
    after: Option<(&str, &str)>,
    limit: i64,
) -> StoreResult<Vec<SourceRecord>> {
    validate_limit(limit)?;
    macro_rules! record {
        ($row:expr) => {{
            let row = $row;
            SourceRecord {
                source: row.source,
                source_id: row.source_id,
                content_hash: row.content_hash,
                data: row.data,
                code_insee: row.code_insee,
                latitude: row.latitude,
                longitude: row.longitude,
                date_maj: row.date_maj,
            }
        }};
    }
    Ok(match after {
        None => sqlx::query!(
            r#"SELECT source AS "source!: String", source_id AS "source_id!: String",
                      content_hash AS "content_hash!: String", data AS "data!: String",
                      code_insee AS "code_insee?: String", latitude AS "latitude?: f64",
                      longitude AS "longitude?: f64", date_maj AS "date_maj?: NaiveDate"
               FROM source_records
               WHERE active = 1
               ORDER BY source, source_id
               LIMIT ?1"#,
            limit
        )
        .fetch_all(&mut *conn)
        .await
        .db()?
        .into_iter()
        .map(|row| record!(row))
        .collect(),
        Some((source, source_id)) => sqlx::query!(
            r#"SELECT source AS "source!: String", source_id AS "source_id!: String",
                      content_hash AS "content_hash!: String", data AS "data!: String",
                      code_insee AS "code_insee?: String", latitude AS "latitude?: f64",
                      longitude AS "longitude?: f64", date_maj AS "date_maj?: NaiveDate"
               FROM source_records
               WHERE active = 1 AND (source, source_id) > (?1, ?2)
               ORDER BY source, source_id
               LIMIT ?3"#,
            source,
            source_id,
            limit
        )
        .fetch_all(&mut *conn)
        .await
        .db()?
        .into_iter()
        .map(|row| record!(row))
        .collect(),
    })
}

/// Deletes merged places by id (their members go with them).
async fn delete_merged(tx: &mut SqliteConnection, ids: &[String]) -> StoreResult<()> {
    let mut chunks = ids.chunks_exact(ROWS);
    for ids in chunks.by_ref() {
        for_row_indices!(delete_lieux!(tx, ids));
    }
    for id in chunks.remainder() {
        sqlx::query!("DELETE FROM merged_lieux WHERE id = ?1", id)
            .execute(&mut *tx)
            .await
            .db()?;
    }
    Ok(())
}

/// Inserts merged places `(row, hash)` and their members.
async fn insert_merged(
    tx: &mut SqliteConnection,
    write: &[(MergedLieuRow, String)],
) -> StoreResult<()> {
    let rows: Vec<(&MergedLieuRow, &str)> = write.iter().map(|(r, h)| (r, h.as_str())).collect();
    let mut chunks = rows.chunks_exact(ROWS);
    for rows in chunks.by_ref() {
        for_row_indices!(insert_lieux!(tx, rows));
    }
    for (lieu, hash) in chunks.remainder() {
        sqlx::query!(
            r#"INSERT INTO merged_lieux
                   (id, data, provenance, code_insee, latitude, longitude, content_hash)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#,
            lieu.id,
            lieu.data,
            lieu.provenance,
            lieu.code_insee,
            lieu.latitude,
            lieu.longitude,
            hash,
        )
        .execute(&mut *tx)
        .await
        .db()?;
    }

    let members: Vec<(&str, i64, &str)> = write
        .iter()
        .flat_map(|(lieu, _)| {
            (0_i64..)
                .zip(&lieu.members)
                .map(|(position, member)| (lieu.id.as_str(), position, member.as_str()))
        })
        .collect();
    let mut chunks = members.chunks_exact(ROWS);
    for rows in chunks.by_ref() {
        for_row_indices!(insert_members!(tx, rows));
    }
    for (lieu_id, position, member) in chunks.remainder() {
        sqlx::query!(
            r#"INSERT INTO merged_lieu_members (lieu_id, position, member_ref)
               VALUES (?1, ?2, ?3)"#,
            lieu_id,
            position,
            member,
        )
        .execute(&mut *tx)
        .await
        .db()?;
    }
    Ok(())
}

/// A publication under way (see [`LieuxStore::begin_publish`]).
struct SqlitePublish {
    tx: Transaction<'static, Sqlite>,
    tracker: PublishTracker,
}

#[async_trait]
impl PublishSession for SqlitePublish {
    async fn merge_state(&mut self) -> StoreResult<MergeState> {
        read_merge_state(&mut self.tx).await
    }

    async fn active_source_records_page(
        &mut self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<SourceRecord>> {
        records_page(&mut self.tx, after, limit).await
    }

    async fn add(&mut self, lieux: Vec<MergedLieuRow>) -> StoreResult<()> {
        let batch = self.tracker.classify(lieux)?;
        let tx: &mut SqliteConnection = &mut self.tx;
        delete_merged(tx, &batch.delete).await?;
        if self.tracker.unseen() > 0 {
            // Published places not given yet may hold members of the places written now:
            // those places changed or are gone, delete them first (unique member refs).
            let refs: Vec<&str> = batch
                .write
                .iter()
                .flat_map(|(lieu, _)| lieu.members.iter().map(String::as_str))
                .collect();
            let mut holders: Vec<String> = Vec::new();
            let mut chunks = refs.chunks_exact(ROWS);
            for refs in chunks.by_ref() {
                let rows = for_row_indices!(member_holders!(tx, refs));
                holders.extend(rows.into_iter().map(|r| r.lieu_id));
            }
            for member in chunks.remainder() {
                let row = sqlx::query_scalar!(
                    r#"SELECT lieu_id AS "lieu_id!: String" FROM merged_lieu_members
                       WHERE member_ref = ?1"#,
                    member
                )
                .fetch_optional(&mut *tx)
                .await
                .db()?;
                holders.extend(row);
            }
            holders.sort_unstable();
            holders.dedup();
            let delete = self.tracker.holders(holders)?;
            delete_merged(tx, &delete).await?;
        }
        insert_merged(tx, &batch.write).await
    }

    async fn finish(self: Box<Self>, generation: Option<i64>) -> StoreResult<PublishSummary> {
        let SqlitePublish { mut tx, tracker } = *self;
        let (delete, summary) = tracker.finish();
        delete_merged(&mut tx, &delete).await?;
        if let Some(generation) = generation {
            sqlx::query!(
                "UPDATE lieux_merge_state SET done = MAX(done, ?1) WHERE id = 1",
                generation
            )
            .execute(&mut *tx)
            .await
            .db()?;
        }
        tx.commit().await.db()?;
        Ok(summary)
    }

    async fn abort(self: Box<Self>) -> StoreResult<()> {
        self.tx.rollback().await.db()
    }

    async fn lieu_ids(&mut self) -> StoreResult<LieuIdsState> {
        read_lieu_ids(&mut self.tx).await
    }

    async fn save_lieu_ids(&mut self, changes: LieuIdsChanges) -> StoreResult<()> {
        write_lieu_ids(&mut self.tx, changes).await
    }
}

/// Upserts [`ROWS`] `(member_ref, lieu_id)` of the stable ids.
macro_rules! upsert_id_members {
    ($tx:ident, $rows:ident; $($i:tt)*) => {
        multi_row_query!(
            "INSERT INTO lieu_id_members (member_ref, lieu_id) VALUES ",
            "(?, ?)",
            " ON CONFLICT (member_ref) DO UPDATE SET lieu_id = excluded.lieu_id",
            [$($i)*],
            $( $rows[$i].0, $rows[$i].1, )*
        )
        .execute(&mut *$tx)
        .await
        .db()?
    };
}

/// The stable ids as stored (see [`PublishSession::lieu_ids`]).
async fn read_lieu_ids(conn: &mut SqliteConnection) -> StoreResult<LieuIdsState> {
    let ids = sqlx::query_as!(
        LieuIdRow,
        r#"SELECT id AS "id!: String", main_ref AS "main_ref!: String",
                  first_given AS "first_given!: DateTime<Utc>"
           FROM lieu_ids ORDER BY id"#
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let members = sqlx::query!(
        r#"SELECT member_ref AS "member_ref!: String", lieu_id AS "lieu_id!: String"
           FROM lieu_id_members ORDER BY member_ref"#
    )
    .fetch_all(&mut *conn)
    .await
    .db()?
    .into_iter()
    .map(|r| (r.member_ref, r.lieu_id))
    .collect();
    let redirects = sqlx::query!(
        r#"SELECT old_id AS "old_id!: String", current_id AS "current_id!: String"
           FROM lieu_id_redirects ORDER BY old_id"#
    )
    .fetch_all(&mut *conn)
    .await
    .db()?
    .into_iter()
    .map(|r| (r.old_id, r.current_id))
    .collect();
    Ok(LieuIdsState {
        ids,
        members,
        redirects,
    })
}

/// Writes what a re-merge changed in the stable ids (see [`PublishSession::save_lieu_ids`]).
async fn write_lieu_ids(conn: &mut SqliteConnection, changes: LieuIdsChanges) -> StoreResult<()> {
    maillage_store::validate_lieu_ids_changes(&changes)?;
    let at = changes.at;
    for (id, main_ref) in &changes.new_ids {
        sqlx::query!(
            "INSERT INTO lieu_ids (id, main_ref, first_given) VALUES (?1, ?2, ?3)",
            id,
            main_ref,
            at
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for id in &changes.unredirect {
        sqlx::query!("DELETE FROM lieu_id_redirects WHERE old_id = ?1", id)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    for (old, current) in &changes.redirects {
        sqlx::query!(
            r#"INSERT INTO lieu_id_redirects (old_id, current_id, since) VALUES (?1, ?2, ?3)
               ON CONFLICT (old_id) DO UPDATE SET current_id = excluded.current_id,
                                                  since = excluded.since"#,
            old,
            current,
            at
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    let tx = conn;
    let mut chunks = changes.members.chunks_exact(ROWS);
    for rows in chunks.by_ref() {
        for_row_indices!(upsert_id_members!(tx, rows));
    }
    for (member, id) in chunks.remainder() {
        sqlx::query!(
            r#"INSERT INTO lieu_id_members (member_ref, lieu_id) VALUES (?1, ?2)
               ON CONFLICT (member_ref) DO UPDATE SET lieu_id = excluded.lieu_id"#,
            member,
            id
        )
        .execute(&mut *tx)
        .await
        .db()?;
    }
    Ok(())
}

/// Loads one merged place and its members.
async fn load_lieu(conn: &mut SqliteConnection, id: &str) -> StoreResult<Option<MergedLieuRow>> {
    let Some(row) = sqlx::query!(
        r#"SELECT id AS "id!: String", data AS "data!: String", provenance AS "provenance!: String",
                  code_insee AS "code_insee?: String", latitude AS "latitude?: f64",
                  longitude AS "longitude?: f64"
           FROM merged_lieux WHERE id = ?1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await
    .db()?
    else {
        return Ok(None);
    };
    let members = sqlx::query_scalar!(
        r#"SELECT member_ref AS "member_ref!: String"
           FROM merged_lieu_members WHERE lieu_id = ?1 ORDER BY position"#,
        id
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    Ok(Some(MergedLieuRow {
        id: row.id,
        data: row.data,
        members,
        provenance: row.provenance,
        code_insee: row.code_insee,
        latitude: row.latitude,
        longitude: row.longitude,
    }))
}

#[async_trait]
impl LieuxStore for SqliteStore {
    async fn begin_import(
        &self,
        source: &str,
        guard: ImportGuard,
    ) -> StoreResult<Box<dyn ImportSession>> {
        let mut tracker = ImportTracker::new(source)?;
        // IMMEDIATE: take the write lock now, so that the plan made from what we read
        // cannot be invalidated by a concurrent writer before the commit.
        let mut tx = self.begin_write().await?;
        {
            let mut rows = sqlx::query!(
                r#"SELECT source_id AS "source_id!: String", content_hash AS "content_hash!: String",
                      active AS "active!: bool"
               FROM source_records WHERE source = ?1"#,
                source
            )
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.db()? {
                tracker.know(row.source_id, &row.content_hash, row.active);
            }
        }
        Ok(Box::new(SqliteImport {
            tx,
            tracker,
            guard,
            now: now_micros(),
        }))
    }

    async fn source_records(&self, active_only: bool) -> StoreResult<Vec<StoredSourceRecord>> {
        let rows = sqlx::query!(
            r#"SELECT source AS "source!: String", source_id AS "source_id!: String",
                      content_hash AS "content_hash!: String", data AS "data!: String",
                      code_insee AS "code_insee?: String", latitude AS "latitude?: f64",
                      longitude AS "longitude?: f64", date_maj AS "date_maj?: NaiveDate",
                      active AS "active!: bool", first_seen_at AS "first_seen_at!: DateTime<Utc>",
                      updated_at AS "updated_at!: DateTime<Utc>",
                      retired_at AS "retired_at?: DateTime<Utc>"
               FROM source_records
               WHERE active = 1 OR ?1 = 0
               ORDER BY source, source_id"#,
            active_only
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(|row| stored_record!(row)).collect())
    }

    async fn source_record(
        &self,
        source: &str,
        source_id: &str,
    ) -> StoreResult<Option<StoredSourceRecord>> {
        let row = sqlx::query!(
            r#"SELECT source AS "source!: String", source_id AS "source_id!: String",
                      content_hash AS "content_hash!: String", data AS "data!: String",
                      code_insee AS "code_insee?: String", latitude AS "latitude?: f64",
                      longitude AS "longitude?: f64", date_maj AS "date_maj?: NaiveDate",
                      active AS "active!: bool", first_seen_at AS "first_seen_at!: DateTime<Utc>",
                      updated_at AS "updated_at!: DateTime<Utc>",
                      retired_at AS "retired_at?: DateTime<Utc>"
               FROM source_records
               WHERE source = ?1 AND source_id = ?2"#,
            source,
            source_id
        )
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|row| stored_record!(row)))
    }

    async fn sources(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query!(
            r#"SELECT source AS "source!: String", SUM(active) AS "active_count!: i64"
               FROM source_records
               GROUP BY source
               ORDER BY source"#
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|row| (row.source, row.active_count))
            .collect())
    }

    async fn merge_state(&self) -> StoreResult<MergeState> {
        let mut conn = self.pool.acquire().await.db()?;
        read_merge_state(&mut conn).await
    }

    async fn begin_publish(&self) -> StoreResult<Box<dyn PublishSession>> {
        // IMMEDIATE: the write lock now, so that no import commits while the session reads
        // the records and publishes (see `PublishSession::merge_state`).
        let mut tx = self.begin_write().await?;
        let mut tracker = PublishTracker::new();
        {
            let mut rows = sqlx::query!(
                r#"SELECT id AS "id!: String", content_hash AS "content_hash?: String"
                   FROM merged_lieux"#
            )
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.db()? {
                tracker.know(row.id, row.content_hash.as_deref());
            }
        }
        Ok(Box::new(SqlitePublish { tx, tracker }))
    }

    async fn active_source_records_page(
        &self,
        after: Option<(&str, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<SourceRecord>> {
        let mut conn = self.pool.acquire().await.db()?;
        records_page(&mut conn, after, limit).await
    }

    async fn latest_import_id(&self) -> StoreResult<Option<i64>> {
        sqlx::query_scalar!(r#"SELECT MAX(id) AS "id?: i64" FROM import_reports"#)
            .fetch_one(&self.pool)
            .await
            .db()
    }

    async fn merged_lieux(&self) -> StoreResult<Vec<MergedLieuRow>> {
        // One read transaction: both queries see the same snapshot.
        let mut tx = self.pool.begin().await.db()?;
        let rows = sqlx::query!(
            r#"SELECT id AS "id!: String", data AS "data!: String", provenance AS "provenance!: String",
                      code_insee AS "code_insee?: String", latitude AS "latitude?: f64",
                      longitude AS "longitude?: f64"
               FROM merged_lieux ORDER BY id"#
        )
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let member_rows = sqlx::query!(
            r#"SELECT lieu_id AS "lieu_id!: String", member_ref AS "member_ref!: String"
               FROM merged_lieu_members ORDER BY lieu_id, position"#
        )
        .fetch_all(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;

        let mut members: HashMap<String, Vec<String>> = HashMap::with_capacity(rows.len());
        for m in member_rows {
            members.entry(m.lieu_id).or_default().push(m.member_ref);
        }
        Ok(rows
            .into_iter()
            .map(|row| MergedLieuRow {
                members: members.remove(&row.id).unwrap_or_default(),
                id: row.id,
                data: row.data,
                provenance: row.provenance,
                code_insee: row.code_insee,
                latitude: row.latitude,
                longitude: row.longitude,
            })
            .collect())
    }

    async fn merged_lieu(&self, id: &str) -> StoreResult<Option<MergedLieuRow>> {
        let mut tx = self.pool.begin().await.db()?;
        let lieu = load_lieu(&mut tx, id).await?;
        tx.commit().await.db()?;
        Ok(lieu)
    }

    async fn merged_lieu_by_member(&self, member_ref: &str) -> StoreResult<Option<MergedLieuRow>> {
        let mut tx = self.pool.begin().await.db()?;
        let lieu_id = sqlx::query_scalar!(
            r#"SELECT lieu_id AS "lieu_id!: String" FROM merged_lieu_members WHERE member_ref = ?1"#,
            member_ref
        )
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let lieu = match lieu_id {
            Some(id) => load_lieu(&mut tx, &id).await?,
            None => None,
        };
        tx.commit().await.db()?;
        Ok(lieu)
    }

    async fn count_merged_lieux(&self) -> StoreResult<i64> {
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "count!: i64" FROM merged_lieux"#)
            .fetch_one(&self.pool)
            .await
            .db()
    }

    async fn lieu_id_redirect(&self, old_id: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar!(
            r#"SELECT current_id AS "current_id!: String" FROM lieu_id_redirects
               WHERE old_id = ?1"#,
            old_id
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn set_pair_decision(&self, decision: PairDecision) -> StoreResult<()> {
        let d = decision.normalised()?;
        let kind = d.decision.as_db_str();
        let mut tx = self.begin_write().await?;
        sqlx::query!(
            r#"INSERT INTO pair_decisions (ref_a, ref_b, decision, decided_by, decided_at, note)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6)
               ON CONFLICT (ref_a, ref_b) DO UPDATE
               SET decision = excluded.decision, decided_by = excluded.decided_by,
                   decided_at = excluded.decided_at, note = excluded.note"#,
            d.ref_a,
            d.ref_b,
            kind,
            d.decided_by,
            d.decided_at,
            d.note,
        )
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query!(
            r#"INSERT INTO pair_decisions_historique
                   (ref_a, ref_b, decision, decided_by, decided_at, note)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6)"#,
            d.ref_a,
            d.ref_b,
            kind,
            d.decided_by,
            d.decided_at,
            d.note,
        )
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn remove_pair_decision(
        &self,
        ref_a: &str,
        ref_b: &str,
        by: &str,
        at: DateTime<Utc>,
        note: Option<String>,
    ) -> StoreResult<bool> {
        let (a, b) = if ref_a <= ref_b {
            (ref_a, ref_b)
        } else {
            (ref_b, ref_a)
        };
        let mut tx = self.begin_write().await?;
        let done = sqlx::query!(
            "DELETE FROM pair_decisions WHERE ref_a = ?1 AND ref_b = ?2",
            a,
            b
        )
        .execute(&mut *tx)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            tx.rollback().await.db()?;
            return Ok(false);
        }
        sqlx::query!(
            r#"INSERT INTO pair_decisions_historique
                   (ref_a, ref_b, decision, decided_by, decided_at, note)
               VALUES (?1, ?2, 'annule', ?3, ?4, ?5)"#,
            a,
            b,
            by,
            at,
            note,
        )
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn pair_decisions_history(&self, limit: i64) -> StoreResult<Vec<PairDecisionEvent>> {
        validate_limit(limit)?;
        let rows = sqlx::query!(
            r#"SELECT id AS "id!: i64", ref_a AS "ref_a!: String", ref_b AS "ref_b!: String",
                      decision AS "decision!: String", decided_by AS "decided_by!: String",
                      decided_at AS "decided_at!: DateTime<Utc>", note AS "note?: String"
               FROM pair_decisions_historique ORDER BY id DESC LIMIT ?1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|row| PairDecisionEvent {
                id: row.id,
                ref_a: row.ref_a,
                ref_b: row.ref_b,
                decision: row.decision,
                decided_by: row.decided_by,
                decided_at: row.decided_at,
                note: row.note,
            })
            .collect())
    }

    async fn add_import_en_attente(&self, i: NewImportEnAttente) -> StoreResult<()> {
        let now = now_micros();
        sqlx::query!(
            r#"INSERT INTO imports_en_attente (jeton, compte_id, territoires, source, format,
                   nom_fichier, contenu, retirer_absents, created_at, correspondance)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"#,
            i.jeton,
            i.compte_id,
            i.territoires,
            i.source,
            i.format,
            i.nom_fichier,
            i.contenu,
            i.retirer_absents,
            now,
            i.correspondance,
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn import_en_attente(&self, jeton: &str) -> StoreResult<Option<ImportEnAttenteRow>> {
        let row = sqlx::query!(
            r#"SELECT jeton AS "jeton!: String", compte_id AS "compte_id!: i64",
                      territoires AS "territoires!: String", source AS "source!: String",
                      format AS "format?: String", nom_fichier AS "nom_fichier!: String",
                      contenu AS "contenu?: Vec<u8>", retirer_absents AS "retirer_absents!: bool",
                      created_at AS "created_at!: DateTime<Utc>",
                      applique_at AS "applique_at?: DateTime<Utc>",
                      import_id AS "import_id?: i64", rapport_json AS "rapport_json?: String",
                      correspondance AS "correspondance?: String"
               FROM imports_en_attente WHERE jeton = ?1"#,
            jeton
        )
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|row| ImportEnAttenteRow {
            jeton: row.jeton,
            compte_id: row.compte_id,
            territoires: row.territoires,
            source: row.source,
            format: row.format,
            nom_fichier: row.nom_fichier,
            contenu: row.contenu,
            retirer_absents: row.retirer_absents,
            created_at: row.created_at,
            applique_at: row.applique_at,
            import_id: row.import_id,
            rapport_json: row.rapport_json,
            correspondance: row.correspondance,
        }))
    }

    async fn marquer_import_applique(
        &self,
        jeton: &str,
        import_id: Option<i64>,
        rapport_json: &str,
    ) -> StoreResult<bool> {
        let now = now_micros();
        let done = sqlx::query!(
            "UPDATE imports_en_attente
             SET contenu = NULL, applique_at = ?2, import_id = ?3, rapport_json = ?4
             WHERE jeton = ?1",
            jeton,
            now,
            import_id,
            rapport_json
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() > 0)
    }

    async fn purger_imports_en_attente(&self, avant: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query!(
            "DELETE FROM imports_en_attente WHERE applique_at IS NULL AND created_at < ?1",
            avant
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected())
    }

    async fn pair_decisions(&self) -> StoreResult<Vec<PairDecision>> {
        let rows = sqlx::query!(
            r#"SELECT ref_a AS "ref_a!: String", ref_b AS "ref_b!: String",
                      decision AS "decision!: String", decided_by AS "decided_by!: String",
                      decided_at AS "decided_at!: DateTime<Utc>", note AS "note?: String"
               FROM pair_decisions ORDER BY ref_a, ref_b"#
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(|row| {
                Ok(PairDecision {
                    decision: PairDecisionKind::from_db_str(&row.decision)?,
                    ref_a: row.ref_a,
                    ref_b: row.ref_b,
                    decided_by: row.decided_by,
                    decided_at: row.decided_at,
                    note: row.note,
                })
            })
            .collect()
    }

    async fn import_reports(&self, limit: i64) -> StoreResult<Vec<ImportReportRow>> {
        validate_limit(limit)?;
        let rows = sqlx::query!(
            r#"SELECT id AS "id!: i64", created_at AS "created_at!: DateTime<Utc>",
                      source AS "source!: String", format AS "format!: String",
                      file_name AS "file_name!: String", rows_read AS "rows_read!: i64",
                      accepted AS "accepted!: i64", corrected AS "corrected!: i64",
                      rejected AS "rejected!: i64", details_json AS "details_json!: String",
                      added AS "added!: i64", updated AS "updated!: i64",
                      unchanged AS "unchanged!: i64", retired AS "retired!: i64"
               FROM import_reports ORDER BY id DESC LIMIT ?1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|row| ImportReportRow {
                id: row.id,
                created_at: row.created_at,
                report: NewImportReport {
                    source: row.source,
                    format: row.format,
                    file_name: row.file_name,
                    rows_read: row.rows_read,
                    accepted: row.accepted,
                    corrected: row.corrected,
                    rejected: row.rejected,
                    details_json: row.details_json,
                },
                summary: ImportSummary {
                    import_id: row.id,
                    added: row.added,
                    updated: row.updated,
                    unchanged: row.unchanged,
                    retired: row.retired,
                },
            })
            .collect())
    }

    async fn add_signalement(&self, signalement: NewSignalement) -> StoreResult<i64> {
        validate_signalement(&signalement)?;
        let now = now_micros();
        sqlx::query_scalar!(
            r#"INSERT INTO signalements (lieu_id, categorie, message, contact, created_at, traite)
               VALUES (?1, ?2, ?3, ?4, ?5, 0)
               RETURNING id AS "id!: i64""#,
            signalement.lieu_id,
            signalement.categorie,
            signalement.message,
            signalement.contact,
            now,
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn signalements(
        &self,
        lieu_id: Option<&str>,
        only_open: bool,
        limit: i64,
    ) -> StoreResult<Vec<SignalementRow>> {
        validate_limit(limit)?;
        let rows = sqlx::query!(
            r#"SELECT id AS "id!: i64", lieu_id AS "lieu_id!: String",
                      categorie AS "categorie!: String", message AS "message!: String",
                      contact AS "contact?: String", created_at AS "created_at!: DateTime<Utc>",
                      traite AS "traite!: bool", decision AS "decision?: String",
                      decide_par AS "decide_par?: i64",
                      decide_at AS "decide_at?: DateTime<Utc>",
                      decision_note AS "decision_note?: String"
               FROM signalements
               WHERE (?1 IS NULL OR lieu_id = ?1) AND (traite = 0 OR ?2 = 0)
               ORDER BY created_at DESC, id DESC
               LIMIT ?3"#,
            lieu_id,
            only_open,
            limit,
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows
            .into_iter()
            .map(|row| SignalementRow {
                id: row.id,
                lieu_id: row.lieu_id,
                categorie: row.categorie,
                message: row.message,
                contact: row.contact,
                created_at: row.created_at,
                traite: row.traite,
                decision: row.decision,
                decide_par: row.decide_par,
                decide_at: row.decide_at,
                decision_note: row.decision_note,
            })
            .collect())
    }

    async fn set_signalement_traite(&self, id: i64, traite: bool) -> StoreResult<bool> {
        // Opening a report again clears its decision.
        let done = sqlx::query!(
            "UPDATE signalements
             SET traite = ?2,
                 decision = CASE WHEN ?2 THEN decision END,
                 decide_par = CASE WHEN ?2 THEN decide_par END,
                 decide_at = CASE WHEN ?2 THEN decide_at END,
                 decision_note = CASE WHEN ?2 THEN decision_note END
             WHERE id = ?1",
            id,
            traite
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() > 0)
    }

    async fn decide_signalement(
        &self,
        id: i64,
        decision: &str,
        par: Option<i64>,
        note: Option<&str>,
    ) -> StoreResult<bool> {
        validate_decision_signalement(decision)?;
        let now = now_micros();
        let done = sqlx::query!(
            "UPDATE signalements SET traite = 1, decision = ?2, decide_par = ?3, decide_at = ?4,
                 decision_note = ?5
             WHERE id = ?1",
            id,
            decision,
            par,
            now,
            note
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl maillage_store::ExploitationStore for SqliteStore {
    async fn etat_base(&self) -> StoreResult<maillage_store::EtatBase> {
        // Not a compile-time checked query: `_sqlx_migrations` belongs to sqlx, not to our
        // schema.
        let appliquees: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .db()?;
        Ok(maillage_store::EtatBase {
            moteur: "sqlite",
            migrations_connues: MIGRATOR.iter().count(),
            migrations_appliquees: usize::try_from(appliquees).unwrap_or(0),
            connexions: self.pool.size(),
            connexions_inactives: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            connexions_max: self.pool.options().get_max_connections(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn row_indices_match_rows() {
        macro_rules! count {
            (; $($i:tt)*) => {
                [$($i),*].len()
            };
        }
        assert_eq!(for_row_indices!(count!()), super::ROWS);
    }
}
