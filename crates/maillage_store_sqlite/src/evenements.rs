//! SQLite side of [`EvenementsStore`](maillage_store::evenements::EvenementsStore).
//!
//! A registration (and a cancellation) runs in a `BEGIN IMMEDIATE` transaction: SQLite has
//! one writer at a time, so counting a jauge's seats and inserting cannot interleave with
//! another registration, from this process or another one on the same file. The queries
//! are shared with PostgreSQL (`maillage_store_sql`); this file holds what SQLite does its
//! own way: the lock.

use maillage_store::evenements::NewInscription;
use maillage_store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::{DbResult, SqliteStore};

maillage_store_sql::evenements_store!(SqliteStore, Sqlite);

impl SqliteStore {
    /// SQLite's one write lock covers every jauge.
    async fn lock_jauge(&self, _jauge_id: i64) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }
}

impl SqliteStore {
    /// A batch of registrations: the same one write lock.
    async fn lock_jauges(&self, _ids: &[i64]) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    /// The check-in batches and allotments: the same one write lock.
    async fn lock_jauges_evenement(
        &self,
        _evenement_id: i64,
    ) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }
}

impl SqliteStore {
    /// A batch's registrations, row by row: SQLite is in this process, a statement costs no
    /// round trip.
    async fn inserer_inscriptions(
        conn: &mut SqliteConnection,
        lignes: &[(&NewInscription, i64, &str)],
    ) -> StoreResult<Vec<i64>> {
        let mut ids = Vec::with_capacity(lignes.len());
        for &(i, jauge_id, statut) in lignes {
            let id = sqlx::query_scalar!(
                r#"INSERT INTO inscriptions (session_id, jauge_id, uuid, prenom, contact,
                                            statut, cle, jeton_hash, created_at, updated_at,
                                            personne_id)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
                   RETURNING id AS "id!: i64""#,
                i.session_id,
                jauge_id,
                i.uuid,
                i.prenom,
                i.contact,
                statut,
                i.cle,
                i.jeton_hash,
                i.created_at,
                i.personne_id
            )
            .fetch_one(&mut *conn)
            .await
            .db()?;
            ids.push(id);
        }
        Ok(ids)
    }
}
