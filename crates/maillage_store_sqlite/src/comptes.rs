//! SQLite side of [`ComptesStore`](maillage_store::comptes::ComptesStore): the accounts
//! kernel's tables. The queries are shared with PostgreSQL (`maillage_store_sql`); this
//! file holds what SQLite does its own way.

use chrono::{DateTime, Utc};
use maillage_store::StoreResult;
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::mediation::json_ids;
use crate::{DbResult, SqliteStore};

maillage_store_sql::comptes_store!(SqliteStore);

impl SqliteStore {
    /// Claims unsent e-mails: one statement under SQLite's one write lock, so a claimed row
    /// is never returned twice.
    async fn claim_courriels(
        &self,
        maintenant: DateTime<Utc>,
        jusqu_a: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<maillage_store::comptes::CourrielRow>> {
        sqlx::query_as!(
            maillage_store::comptes::CourrielRow,
            r#"UPDATE courriels SET reserve_jusqu_a = $2
               WHERE id IN (SELECT id FROM courriels
                            WHERE envoye_at IS NULL
                              AND (reserve_jusqu_a IS NULL OR reserve_jusqu_a <= $1)
                            ORDER BY id LIMIT $3)
                 AND envoye_at IS NULL
                 AND (reserve_jusqu_a IS NULL OR reserve_jusqu_a <= $1)
               RETURNING id AS "id!: i64", destinataire AS "destinataire!: String",
                     sujet AS "sujet!: String", corps AS "corps!: String",
                     created_at AS "created_at!: DateTime<Utc>",
                     envoye_at AS "envoye_at?: DateTime<Utc>""#,
            maintenant,
            jusqu_a,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    /// Nothing more to lock: [`SqliteStore::begin_write`] holds SQLite's one write lock, so
    /// no other reservation can slip in between the count and the insert.
    async fn lock_attempt_keys(
        _tx: &mut Transaction<'_, Sqlite>,
        _cles: &[&str],
    ) -> StoreResult<()> {
        Ok(())
    }

    async fn insert_attempt(
        tx: &mut Transaction<'_, Sqlite>,
        cle: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"INSERT INTO echecs_connexion (cle, at) VALUES ($1, $2)
               RETURNING rowid AS "id!: i64""#,
            cle,
            at
        )
        .fetch_one(&mut **tx)
        .await
        .db()
    }

    async fn delete_attempts(&self, ids: &[i64]) -> StoreResult<()> {
        let ids = json_ids(ids);
        sqlx::query!(
            "DELETE FROM echecs_connexion WHERE rowid IN (SELECT value FROM json_each($1))",
            ids
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }
}

impl SqliteStore {
    /// New keys, row by row (no round trip between SQLite's statements); `None` where the
    /// public part is taken.
    async fn inserer_personnes(
        conn: &mut SqliteConnection,
        cles: &[(String, String)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Option<i64>>> {
        let mut ids = Vec::with_capacity(cles.len());
        for (cle, code_hash) in cles {
            let id = sqlx::query_scalar!(
                r#"INSERT INTO personnes (cle, code_hash, created_at) VALUES ($1, $2, $3)
                   ON CONFLICT (cle) DO NOTHING
                   RETURNING id AS "id!: i64""#,
                cle,
                code_hash,
                at
            )
            .fetch_optional(&mut *conn)
            .await
            .db()?;
            ids.push(id);
        }
        Ok(ids)
    }
}
