//! PostgreSQL side of [`ComptesStore`](maillage_store::comptes::ComptesStore): the accounts
//! kernel's tables. The queries are shared with SQLite (`maillage_store_sql`); this file
//! holds what PostgreSQL does its own way.
//!
//! Each throttling key is locked while an attempt is reserved under it (transaction-level
//! advisory lock in the two-integer key space, class [`VERROU_TENTATIVES`], keys in sorted
//! order), so that concurrent attempts are counted one after the other.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use maillage_store::{StoreError, StoreResult};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{DbResult, PgStore};

/// Class of the advisory locks on throttling keys (first half of the two-integer key).
const VERROU_TENTATIVES: i32 = 0x4d41_494c;

maillage_store_sql::comptes_store!(PgStore);

impl PgStore {
    /// Claims unsent e-mails: the rows another node is claiming at this moment are skipped
    /// (`FOR UPDATE SKIP LOCKED`); a row locked after another node's claim committed is
    /// checked again against the condition (READ COMMITTED re-reads it), so a claimed row is
    /// never returned twice.
    async fn claim_courriels(
        &self,
        maintenant: DateTime<Utc>,
        jusqu_a: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<maillage_store::comptes::CourrielRow>> {
        // The rows are chosen and locked once, in the CTE (a `LIMIT` subquery under `IN`
        // may be evaluated again and return more rows than the limit).
        sqlx::query_as!(
            maillage_store::comptes::CourrielRow,
            r#"WITH choisis AS (
                   SELECT id FROM courriels
                   WHERE envoye_at IS NULL
                     AND (reserve_jusqu_a IS NULL OR reserve_jusqu_a <= $1)
                   ORDER BY id LIMIT $3
                   FOR UPDATE SKIP LOCKED)
               UPDATE courriels c SET reserve_jusqu_a = $2
               FROM choisis WHERE c.id = choisis.id
               RETURNING c.id AS "id!: i64", c.destinataire AS "destinataire!: String",
                         c.sujet AS "sujet!: String", c.corps AS "corps!: String",
                         c.created_at AS "created_at!: DateTime<Utc>",
                         c.envoye_at AS "envoye_at?: DateTime<Utc>""#,
            maintenant,
            jusqu_a,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    /// Takes the advisory lock of each key (sorted, without repeats: no deadlock) until the
    /// transaction ends.
    async fn lock_attempt_keys(
        tx: &mut Transaction<'_, Postgres>,
        cles: &[&str],
    ) -> StoreResult<()> {
        for &cle in cles {
            sqlx::query!(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                VERROU_TENTATIVES,
                cle
            )
            .execute(&mut **tx)
            .await
            .db()?;
        }
        Ok(())
    }

    async fn insert_attempt(
        tx: &mut Transaction<'_, Postgres>,
        cle: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        sqlx::query_scalar!(
            "INSERT INTO echecs_connexion (cle, at) VALUES ($1, $2) RETURNING id",
            cle,
            at
        )
        .fetch_one(&mut **tx)
        .await
        .db()
    }

    async fn delete_attempts(&self, ids: &[i64]) -> StoreResult<()> {
        sqlx::query!("DELETE FROM echecs_connexion WHERE id = ANY($1)", ids)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
}

impl PgStore {
    /// New keys in one statement (`INSERT … SELECT … FROM UNNEST … ON CONFLICT DO
    /// NOTHING`); ids matched back by public part (unique), not by the order `RETURNING`
    /// happens to give; `None` where the public part was taken.
    async fn inserer_personnes(
        conn: &mut PgConnection,
        cles: &[(String, String)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Option<i64>>> {
        if cles.is_empty() {
            return Ok(Vec::new());
        }
        let (publiques, empreintes): (Vec<String>, Vec<String>) = cles.iter().cloned().unzip();
        let distinctes: std::collections::HashSet<&String> = publiques.iter().collect();
        if distinctes.len() != publiques.len() {
            return Err(StoreError::Invalid(
                "the public parts of one batch of keys must be distinct".into(),
            ));
        }
        let faites = sqlx::query!(
            r#"INSERT INTO personnes (cle, code_hash, created_at)
               SELECT c, h, $3 FROM UNNEST($1::text[], $2::text[]) AS l(c, h)
               ON CONFLICT (cle) DO NOTHING
               RETURNING cle AS "cle!: String", id AS "id!: i64""#,
            &publiques,
            &empreintes,
            at
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let par_cle: HashMap<String, i64> = faites.into_iter().map(|r| (r.cle, r.id)).collect();
        Ok(publiques.iter().map(|c| par_cle.get(c).copied()).collect())
    }
}
