//! PostgreSQL implementation of [`LieuxStore`],
//! [`MediationStore`](maillage_store::mediation::MediationStore) (in `mediation`) and
//! [`MandatsStore`](maillage_store::mandats::MandatsStore) (in `mandats`), the production
//! backend of Maillage.
//!
//! Every query is checked at compile time against the offline data in this crate's
//! `.sqlx/` directory (regenerate it with `scripts/sqlx-prepare.sh` after changing a query
//! or a migration). The schema lives in `migrations/` and is applied by
//! [`PgStore::connect`].
//!
//! Bulk writes bind whole columns as arrays and expand them with `UNNEST`, in chunks of
//! [`CHUNK`] rows.

mod competences;
mod comptes;
mod copie;
mod corrections;
mod enquete;
mod evenements;
mod mandats;
mod mediation;
mod pass;
#[cfg(feature = "testing")]
pub mod testing;

/// The binary `COPY` page parser of the journal, pure (fuzzed: `fuzz/`).
pub use copie::lire_page as lire_page_copie;

use async_trait::async_trait;
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
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
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions, Postgres};
use sqlx::Transaction;

/// The migrations of this backend (`migrations/`), embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!();

/// Rows written per statement by bulk writes.
pub const CHUNK: usize = 5_000;

/// Connections of the pool.
const MAX_CONNECTIONS: u32 = 10;

/// A [`LieuxStore`] backed by PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Begins a transaction that will write (READ COMMITTED: what must not interleave is
    /// locked explicitly by the caller, see each module's doc).
    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.db()
    }

    /// Connects to the database at `url` (e.g. `postgres://user@host:5432/maillage`) and
    /// applies the migrations.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect(url)
            .await
            .db()?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("PostgreSQL migration failed: {e}")))?;
        Ok(PgStore { pool })
    }

    /// The connection pool, for modules that keep their own tables in the same database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
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

/// The columns of a chunk of source records, to bind as arrays.
#[derive(Default)]
struct RecordColumns {
    source_id: Vec<String>,
    content_hash: Vec<String>,
    data: Vec<String>,
    code_insee: Vec<Option<String>>,
    latitude: Vec<Option<f64>>,
    longitude: Vec<Option<f64>>,
    date_maj: Vec<Option<NaiveDate>>,
}

impl RecordColumns {
    fn chunks(records: Vec<SourceRecord>) -> Vec<RecordColumns> {
        let mut chunks = Vec::with_capacity(records.len().div_ceil(CHUNK));
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let mut c = RecordColumns::default();
            for r in records.by_ref().take(CHUNK) {
                c.source_id.push(r.source_id);
                c.content_hash.push(r.content_hash);
                c.data.push(r.data);
                c.code_insee.push(r.code_insee);
                c.latitude.push(r.latitude);
                c.longitude.push(r.longitude);
                c.date_maj.push(r.date_maj);
            }
            chunks.push(c);
        }
        chunks
    }
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

/// Builds a [`MergedLieuRow`] from a row of any query selecting all its columns.
macro_rules! merged_lieu {
    ($row:expr) => {{
        let row = $row;
        MergedLieuRow {
            id: row.id,
            data: row.data,
            members: row.members,
            provenance: row.provenance,
            code_insee: row.code_insee,
            latitude: row.latitude,
            longitude: row.longitude,
        }
    }};
}

/// An import under way (see [`LieuxStore::begin_import`]).
struct PgImport {
    tx: Transaction<'static, Postgres>,
    tracker: ImportTracker,
    guard: ImportGuard,
    now: DateTime<Utc>,
}

#[async_trait]
impl ImportSession for PgImport {
    async fn add(&mut self, records: Vec<SourceRecord>) -> StoreResult<()> {
        let (inserts, updates) = self.tracker.classify(records)?;
        let source = self.tracker.source();
        let now = self.now;
        let tx: &mut PgConnection = &mut self.tx;
        for c in RecordColumns::chunks(inserts) {
            sqlx::query!(
                r#"INSERT INTO source_records
                       (source, source_id, content_hash, data, code_insee, latitude, longitude,
                        date_maj, active, first_seen_at, updated_at, retired_at)
                   SELECT $1::text, u.source_id, u.content_hash, u.data, u.code_insee,
                          u.latitude, u.longitude, u.date_maj, TRUE, $2, $2, NULL
                   FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[],
                               $7::float8[], $8::float8[], $9::date[])
                        AS u(source_id, content_hash, data, code_insee, latitude, longitude,
                             date_maj)"#,
                source,
                now,
                &c.source_id,
                &c.content_hash,
                &c.data,
                c.code_insee.as_slice() as &[Option<String>],
                c.latitude.as_slice() as &[Option<f64>],
                c.longitude.as_slice() as &[Option<f64>],
                c.date_maj.as_slice() as &[Option<NaiveDate>],
            )
            .execute(&mut *tx)
            .await
            .db()?;
        }
        for c in RecordColumns::chunks(updates) {
            sqlx::query!(
                r#"UPDATE source_records AS s
                   SET content_hash = u.content_hash, data = u.data, code_insee = u.code_insee,
                       latitude = u.latitude, longitude = u.longitude, date_maj = u.date_maj,
                       active = TRUE, updated_at = $2, retired_at = NULL
                   FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[],
                               $7::float8[], $8::float8[], $9::date[])
                        AS u(source_id, content_hash, data, code_insee, latitude, longitude,
                             date_maj)
                   WHERE s.source = $1 AND s.source_id = u.source_id"#,
                source,
                now,
                &c.source_id,
                &c.content_hash,
                &c.data,
                c.code_insee.as_slice() as &[Option<String>],
                c.latitude.as_slice() as &[Option<f64>],
                c.longitude.as_slice() as &[Option<f64>],
                c.date_maj.as_slice() as &[Option<NaiveDate>],
            )
            .execute(&mut *tx)
            .await
            .db()?;
        }
        Ok(())
    }

    async fn finish(self: Box<Self>, report: NewImportReport) -> StoreResult<ImportSummary> {
        let PgImport {
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
        for ids in retire.chunks(CHUNK) {
            sqlx::query!(
                r#"UPDATE source_records SET active = FALSE, retired_at = $2
                   WHERE source = $1 AND source_id = ANY($3::text[])"#,
                source,
                now,
                ids,
            )
            .execute(&mut *tx)
            .await
            .db()?;
        }

        let import_id = sqlx::query_scalar!(
            r#"INSERT INTO import_reports
                   (created_at, source, format, file_name, rows_read, accepted, corrected,
                    rejected, details_json, added, updated, unchanged, retired)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
               RETURNING id"#,
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
        // Last, so that concurrent imports of other sources wait on this row only briefly.
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
async fn read_merge_state(conn: &mut PgConnection) -> StoreResult<MergeState> {
    let row = sqlx::query!("SELECT wanted, done FROM lieux_merge_state WHERE id = 1")
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
    conn: &mut PgConnection,
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
            r#"SELECT source, source_id, content_hash, data, code_insee, latitude, longitude,
                      date_maj
               FROM source_records
               WHERE active
               ORDER BY source, source_id
               LIMIT $1"#,
            limit
        )
        .fetch_all(&mut *conn)
        .await
        .db()?
        .into_iter()
        .map(|row| record!(row))
        .collect(),
        Some((source, source_id)) => sqlx::query!(
            r#"SELECT source, source_id, content_hash, data, code_insee, latitude, longitude,
                      date_maj
               FROM source_records
               WHERE active AND (source, source_id) > ($1, $2)
               ORDER BY source, source_id
               LIMIT $3"#,
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
async fn delete_merged(tx: &mut PgConnection, ids: &[String]) -> StoreResult<()> {
    for ids in ids.chunks(CHUNK) {
        // The members go with their place (ON DELETE CASCADE).
        sqlx::query!("DELETE FROM merged_lieux WHERE id = ANY($1::text[])", ids)
            .execute(&mut *tx)
            .await
            .db()?;
    }
    Ok(())
}

/// Inserts merged places `(row, hash)` and their members.
async fn insert_merged(
    tx: &mut PgConnection,
    write: &[(MergedLieuRow, String)],
) -> StoreResult<()> {
    for chunk in write.chunks(CHUNK) {
        let mut id = Vec::with_capacity(chunk.len());
        let mut data = Vec::with_capacity(chunk.len());
        let mut provenance = Vec::with_capacity(chunk.len());
        let mut code_insee = Vec::with_capacity(chunk.len());
        let mut latitude = Vec::with_capacity(chunk.len());
        let mut longitude = Vec::with_capacity(chunk.len());
        let mut hash = Vec::with_capacity(chunk.len());
        let mut member_lieu = Vec::new();
        let mut member_position = Vec::new();
        let mut member_ref = Vec::new();
        for (lieu, h) in chunk {
            id.push(lieu.id.as_str());
            data.push(lieu.data.as_str());
            provenance.push(lieu.provenance.as_str());
            code_insee.push(lieu.code_insee.as_deref());
            latitude.push(lieu.latitude);
            longitude.push(lieu.longitude);
            hash.push(h.as_str());
            for (position, member) in (0_i32..).zip(&lieu.members) {
                member_lieu.push(lieu.id.as_str());
                member_position.push(position);
                member_ref.push(member.as_str());
            }
        }
        sqlx::query!(
            r#"INSERT INTO merged_lieux
                       (id, data, provenance, code_insee, latitude, longitude, content_hash)
                   SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[],
                                        $5::float8[], $6::float8[], $7::text[])"#,
            id.as_slice() as &[&str],
            data.as_slice() as &[&str],
            provenance.as_slice() as &[&str],
            code_insee.as_slice() as &[Option<&str>],
            latitude.as_slice() as &[Option<f64>],
            longitude.as_slice() as &[Option<f64>],
            hash.as_slice() as &[&str],
        )
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query!(
            r#"INSERT INTO merged_lieu_members (lieu_id, position, member_ref)
                   SELECT * FROM UNNEST($1::text[], $2::int4[], $3::text[])"#,
            member_lieu.as_slice() as &[&str],
            member_position.as_slice() as &[i32],
            member_ref.as_slice() as &[&str],
        )
        .execute(&mut *tx)
        .await
        .db()?;
    }
    Ok(())
}

/// A publication under way (see [`LieuxStore::begin_publish`]).
struct PgPublish {
    tx: Transaction<'static, Postgres>,
    tracker: PublishTracker,
}

#[async_trait]
impl PublishSession for PgPublish {
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
        let tx: &mut PgConnection = &mut self.tx;
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
            for refs in refs.chunks(CHUNK) {
                let rows = sqlx::query_scalar!(
                    r#"SELECT DISTINCT lieu_id AS "lieu_id!" FROM merged_lieu_members
                       WHERE member_ref = ANY($1::text[])"#,
                    refs as &[&str]
                )
                .fetch_all(&mut *tx)
                .await
                .db()?;
                holders.extend(rows);
            }
            holders.sort_unstable();
            holders.dedup();
            let delete = self.tracker.holders(holders)?;
            delete_merged(tx, &delete).await?;
        }
        insert_merged(tx, &batch.write).await
    }

    async fn finish(self: Box<Self>, generation: Option<i64>) -> StoreResult<PublishSummary> {
        let PgPublish { mut tx, tracker } = *self;
        let (delete, summary) = tracker.finish();
        delete_merged(&mut tx, &delete).await?;
        if let Some(generation) = generation {
            sqlx::query!(
                "UPDATE lieux_merge_state SET done = GREATEST(done, $1) WHERE id = 1",
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

/// The stable ids as stored (see [`PublishSession::lieu_ids`]).
async fn read_lieu_ids(conn: &mut PgConnection) -> StoreResult<LieuIdsState> {
    let ids = sqlx::query_as!(
        LieuIdRow,
        r#"SELECT id AS "id!", main_ref AS "main_ref!", first_given AS "first_given!"
           FROM lieu_ids ORDER BY id"#
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let members = sqlx::query!(
        r#"SELECT member_ref AS "member_ref!", lieu_id AS "lieu_id!"
           FROM lieu_id_members ORDER BY member_ref"#
    )
    .fetch_all(&mut *conn)
    .await
    .db()?
    .into_iter()
    .map(|r| (r.member_ref, r.lieu_id))
    .collect();
    let redirects = sqlx::query!(
        r#"SELECT old_id AS "old_id!", current_id AS "current_id!"
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
async fn write_lieu_ids(conn: &mut PgConnection, changes: LieuIdsChanges) -> StoreResult<()> {
    maillage_store::validate_lieu_ids_changes(&changes)?;
    let at = changes.at;
    for rows in changes.new_ids.chunks(CHUNK) {
        let (id, main_ref): (Vec<&str>, Vec<&str>) =
            rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).unzip();
        sqlx::query!(
            r#"INSERT INTO lieu_ids (id, main_ref, first_given)
                   SELECT i, m, $3 FROM UNNEST($1::text[], $2::text[]) AS t (i, m)"#,
            id.as_slice() as &[&str],
            main_ref.as_slice() as &[&str],
            at
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for ids in changes.unredirect.chunks(CHUNK) {
        sqlx::query!(
            "DELETE FROM lieu_id_redirects WHERE old_id = ANY($1::text[])",
            ids as &[String]
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for rows in changes.redirects.chunks(CHUNK) {
        let (old, current): (Vec<&str>, Vec<&str>) =
            rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).unzip();
        sqlx::query!(
            r#"INSERT INTO lieu_id_redirects (old_id, current_id, since)
                   SELECT o, c, $3 FROM UNNEST($1::text[], $2::text[]) AS t (o, c)
               ON CONFLICT (old_id) DO UPDATE SET current_id = excluded.current_id,
                                                  since = excluded.since"#,
            old.as_slice() as &[&str],
            current.as_slice() as &[&str],
            at
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for rows in changes.members.chunks(CHUNK) {
        let (member, id): (Vec<&str>, Vec<&str>) =
            rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).unzip();
        sqlx::query!(
            r#"INSERT INTO lieu_id_members (member_ref, lieu_id)
                   SELECT m, i FROM UNNEST($1::text[], $2::text[]) AS t (m, i)
               ON CONFLICT (member_ref) DO UPDATE SET lieu_id = excluded.lieu_id"#,
            member.as_slice() as &[&str],
            id.as_slice() as &[&str],
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

#[async_trait]
impl LieuxStore for PgStore {
    async fn begin_import(
        &self,
        source: &str,
        guard: ImportGuard,
    ) -> StoreResult<Box<dyn ImportSession>> {
        let mut tracker = ImportTracker::new(source)?;
        let mut tx = self.pool.begin().await.db()?;
        // Imports of the same source run one after the other, so that the plan made from
        // what we read stays valid until commit.
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtext($1))", source)
            .execute(&mut *tx)
            .await
            .db()?;
        {
            let mut rows = sqlx::query!(
                "SELECT source_id, content_hash, active FROM source_records WHERE source = $1",
                source
            )
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.db()? {
                tracker.know(row.source_id, &row.content_hash, row.active);
            }
        }
        Ok(Box::new(PgImport {
            tx,
            tracker,
            guard,
            now: now_micros(),
        }))
    }

    async fn source_records(&self, active_only: bool) -> StoreResult<Vec<StoredSourceRecord>> {
        let rows = sqlx::query!(
            r#"SELECT source, source_id, content_hash, data, code_insee, latitude, longitude,
                      date_maj, active, first_seen_at, updated_at, retired_at
               FROM source_records
               WHERE active OR NOT $1
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
            r#"SELECT source, source_id, content_hash, data, code_insee, latitude, longitude,
                      date_maj, active, first_seen_at, updated_at, retired_at
               FROM source_records
               WHERE source = $1 AND source_id = $2"#,
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
            r#"SELECT source, COUNT(*) FILTER (WHERE active) AS "active_count!"
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
        let mut tx = self.pool.begin().await.db()?;
        // Concurrent publications run one after the other (readers are not blocked).
        sqlx::query!("LOCK TABLE merged_lieux IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .db()?;
        // An import updates this row last, just before it commits: holding it keeps the
        // source records as they are while the session is open (see
        // `PublishSession::merge_state`); an import that already updated it is waited for.
        sqlx::query!("SELECT wanted FROM lieux_merge_state WHERE id = 1 FOR SHARE")
            .fetch_optional(&mut *tx)
            .await
            .db()?;
        let mut tracker = PublishTracker::new();
        {
            let mut rows =
                sqlx::query!("SELECT id, content_hash FROM merged_lieux").fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.db()? {
                tracker.know(row.id, row.content_hash.as_deref());
            }
        }
        Ok(Box::new(PgPublish { tx, tracker }))
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
        sqlx::query_scalar!("SELECT MAX(id) FROM import_reports")
            .fetch_one(&self.pool)
            .await
            .db()
    }

    async fn merged_lieux(&self) -> StoreResult<Vec<MergedLieuRow>> {
        let rows = sqlx::query!(
            r#"SELECT l.id, l.data, l.provenance, l.code_insee, l.latitude, l.longitude,
                      ARRAY(SELECT m.member_ref FROM merged_lieu_members AS m
                            WHERE m.lieu_id = l.id ORDER BY m.position) AS "members!"
               FROM merged_lieux AS l
               ORDER BY l.id"#
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(|row| merged_lieu!(row)).collect())
    }

    async fn merged_lieu(&self, id: &str) -> StoreResult<Option<MergedLieuRow>> {
        let row = sqlx::query!(
            r#"SELECT l.id, l.data, l.provenance, l.code_insee, l.latitude, l.longitude,
                      ARRAY(SELECT m.member_ref FROM merged_lieu_members AS m
                            WHERE m.lieu_id = l.id ORDER BY m.position) AS "members!"
               FROM merged_lieux AS l
               WHERE l.id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|row| merged_lieu!(row)))
    }

    async fn merged_lieu_by_member(&self, member_ref: &str) -> StoreResult<Option<MergedLieuRow>> {
        let row = sqlx::query!(
            r#"SELECT l.id, l.data, l.provenance, l.code_insee, l.latitude, l.longitude,
                      ARRAY(SELECT m.member_ref FROM merged_lieu_members AS m
                            WHERE m.lieu_id = l.id ORDER BY m.position) AS "members!"
               FROM merged_lieux AS l
               WHERE l.id = (SELECT lieu_id FROM merged_lieu_members WHERE member_ref = $1)"#,
            member_ref
        )
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row.map(|row| merged_lieu!(row)))
    }

    async fn count_merged_lieux(&self) -> StoreResult<i64> {
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "count!" FROM merged_lieux"#)
            .fetch_one(&self.pool)
            .await
            .db()
    }

    async fn lieu_id_redirect(&self, old_id: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar!(
            r#"SELECT current_id AS "current_id!" FROM lieu_id_redirects WHERE old_id = $1"#,
            old_id
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn set_pair_decision(&self, decision: PairDecision) -> StoreResult<()> {
        let d = decision.normalised()?;
        let mut tx = self.begin_write().await?;
        sqlx::query!(
            r#"INSERT INTO pair_decisions (ref_a, ref_b, decision, decided_by, decided_at, note)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (ref_a, ref_b) DO UPDATE
               SET decision = excluded.decision, decided_by = excluded.decided_by,
                   decided_at = excluded.decided_at, note = excluded.note"#,
            d.ref_a,
            d.ref_b,
            d.decision.as_db_str(),
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
               VALUES ($1, $2, $3, $4, $5, $6)"#,
            d.ref_a,
            d.ref_b,
            d.decision.as_db_str(),
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
            "DELETE FROM pair_decisions WHERE ref_a = $1 AND ref_b = $2",
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
               VALUES ($1, $2, 'annule', $3, $4, $5)"#,
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
        let rows = sqlx::query_as!(
            PairDecisionEvent,
            r#"SELECT id, ref_a, ref_b, decision, decided_by, decided_at, note
               FROM pair_decisions_historique ORDER BY id DESC LIMIT $1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows)
    }

    async fn add_import_en_attente(&self, i: NewImportEnAttente) -> StoreResult<()> {
        let now = now_micros();
        sqlx::query!(
            r#"INSERT INTO imports_en_attente (jeton, compte_id, territoires, source, format,
                   nom_fichier, contenu, retirer_absents, created_at, correspondance)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
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
        let row = sqlx::query_as!(
            ImportEnAttenteRow,
            r#"SELECT jeton, compte_id, territoires, source, format, nom_fichier, contenu,
                      retirer_absents, created_at, applique_at, import_id, rapport_json,
                      correspondance
               FROM imports_en_attente WHERE jeton = $1"#,
            jeton
        )
        .fetch_optional(&self.pool)
        .await
        .db()?;
        Ok(row)
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
             SET contenu = NULL, applique_at = $2, import_id = $3, rapport_json = $4
             WHERE jeton = $1",
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
            "DELETE FROM imports_en_attente WHERE applique_at IS NULL AND created_at < $1",
            avant
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected())
    }

    async fn pair_decisions(&self) -> StoreResult<Vec<PairDecision>> {
        let rows = sqlx::query!(
            r#"SELECT ref_a, ref_b, decision, decided_by, decided_at, note
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
            r#"SELECT id, created_at, source, format, file_name, rows_read, accepted, corrected,
                      rejected, details_json, added, updated, unchanged, retired
               FROM import_reports ORDER BY id DESC LIMIT $1"#,
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
               VALUES ($1, $2, $3, $4, $5, FALSE)
               RETURNING id"#,
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
        let rows = sqlx::query_as!(
            SignalementRow,
            r#"SELECT id, lieu_id, categorie, message, contact, created_at, traite, decision,
                      decide_par, decide_at, decision_note
               FROM signalements
               WHERE ($1::text IS NULL OR lieu_id = $1) AND (NOT traite OR NOT $2)
               ORDER BY created_at DESC, id DESC
               LIMIT $3"#,
            lieu_id,
            only_open,
            limit,
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows)
    }

    async fn set_signalement_traite(&self, id: i64, traite: bool) -> StoreResult<bool> {
        // Opening a report again clears its decision.
        let done = sqlx::query!(
            "UPDATE signalements
             SET traite = $2,
                 decision = CASE WHEN $2 THEN decision END,
                 decide_par = CASE WHEN $2 THEN decide_par END,
                 decide_at = CASE WHEN $2 THEN decide_at END,
                 decision_note = CASE WHEN $2 THEN decision_note END
             WHERE id = $1",
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
            "UPDATE signalements SET traite = TRUE, decision = $2, decide_par = $3, decide_at = $4,
                 decision_note = $5
             WHERE id = $1",
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
impl maillage_store::ExploitationStore for PgStore {
    async fn etat_base(&self) -> StoreResult<maillage_store::EtatBase> {
        // Not a compile-time checked query: `_sqlx_migrations` belongs to sqlx, not to our
        // schema.
        let appliquees: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .db()?;
        Ok(maillage_store::EtatBase {
            moteur: "postgresql",
            migrations_connues: MIGRATOR.iter().count(),
            migrations_appliquees: usize::try_from(appliquees).unwrap_or(0),
            connexions: self.pool.size(),
            connexions_inactives: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            connexions_max: self.pool.options().get_max_connections(),
        })
    }

    async fn signal_publication(&self) -> StoreResult<Option<maillage_store::SignalPublication>> {
        let mut ecoute = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .db()?;
        ecoute.listen(CANAL_PUBLICATION).await.db()?;
        let (envoi, signal) = tokio::sync::watch::channel(0u64);
        tokio::spawn(async move {
            let mut n = 0u64;
            loop {
                match ecoute.try_recv().await {
                    Ok(Some(_)) => {}
                    // The connection was lost: the next call reconnects and listens again;
                    // what was notified meanwhile is lost, so say « changed ».
                    Ok(None) => tracing::warn!("publication listener: connection lost"),
                    Err(e) => {
                        tracing::warn!("publication listener: {e}");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                }
                n += 1;
                if envoi.send(n).is_err() {
                    // Nobody listens any more.
                    break;
                }
            }
        });
        Ok(Some(signal))
    }
}

/// The channel notified by the triggers of migration `20270206000200_noeuds` whenever the
/// published directory changes (published places, pair decisions, corrections).
pub const CANAL_PUBLICATION: &str = "maillage_publication";
