//! The SQL both storage backends share, written once.
//!
//! Most queries of Maillage read the same in SQLite and in PostgreSQL. Each macro of this
//! crate holds the portable part of one store trait: invoked in a backend crate
//! (`maillage_store_sqlite`, `maillage_store_postgres`), it expands to that backend's
//! implementation of the trait, and the `sqlx` macros inside check every query at compile
//! time against *that* backend's schema (its `.sqlx/` offline data). One text, two checks.
//!
//! What a query must do to be portable:
//! - placeholders `$1`, `$2`… (SQLite binds `$N` to the N-th argument);
//! - every selected column says its Rust type and whether it may be null
//!   (`id AS "id!: i64"`, `fin AS "fin?: chrono::NaiveDate"`): SQLite's inference is weak;
//! - `TRUE`/`FALSE`, `CAST($1 AS BIGINT)`, `ON CONFLICT … DO …`, `RETURNING`: both have them.
//!
//! What differs (batching with `UNNEST`, `json_each`, advisory locks, `BEGIN IMMEDIATE`)
//! stays in the backend, as inherent methods the macro calls; each macro lists them.
//! Every backend provides, besides:
//! - `async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'_, DB>>`: a transaction
//!   that will write (SQLite takes the write lock at once: `BEGIN IMMEDIATE`);
//! - a `pool` field, and a `DbResult` trait whose `db()` turns a `sqlx::Error` into a
//!   `StoreError`, imported where the macro is invoked.
//!
//! This crate depends on nothing: it is text until a backend expands it.

mod competences;
mod comptes;
mod corrections;
mod enquete;
mod evenements;
mod mandats;
mod mediation;
mod pass;
