//! PostgreSQL side of [`EvenementsStore`](maillage_store::evenements::EvenementsStore).
//!
//! A registration (and a cancellation) runs in one transaction whose first statement locks
//! the jauge's row (`SELECT … FOR UPDATE`): registrations to the same jauge are serialised
//! across every app node on the database, those to other jauges do not wait. Transactions
//! run at READ COMMITTED, so the count that follows the lock sees every registration the
//! previous holder committed. The queries are shared with SQLite (`maillage_store_sql`);
//! this file holds what PostgreSQL does its own way: the lock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maillage_store::evenements::NewInscription;
use maillage_store::{StoreError, StoreResult};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{DbResult, PgStore};

maillage_store_sql::evenements_store!(PgStore, Postgres);

impl PgStore {
    /// Begins a transaction holding the jauge's row lock until it ends.
    async fn lock_jauge(&self, jauge_id: i64) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM evenements_jauges WHERE id = $1 FOR UPDATE"#,
            jauge_id
        )
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound)?;
        Ok(tx)
    }
}

impl PgStore {
    /// Several jauges (sorted, distinct), their rows locked in id order like
    /// [`lock_jauges_evenement`](Self::lock_jauges_evenement): no cycle, no deadlock.
    async fn lock_jauges(&self, ids: &[i64]) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        for &jauge_id in ids {
            sqlx::query_scalar!(
                r#"SELECT id AS "id!: i64" FROM evenements_jauges WHERE id = $1 FOR UPDATE"#,
                jauge_id
            )
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound)?;
        }
        Ok(tx)
    }

    /// Every jauge of the event, locked in id order (a registration locks one of them: no
    /// cycle, no deadlock), for the check-in batches and the devices' allotments.
    async fn lock_jauges_evenement(
        &self,
        evenement_id: i64,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM evenements_jauges WHERE evenement_id = $1
               ORDER BY id FOR UPDATE"#,
            evenement_id
        )
        .fetch_all(&mut *tx)
        .await
        .db()?;
        Ok(tx)
    }
}

impl PgStore {
    /// A batch's registrations in one statement (`INSERT … SELECT … FROM UNNEST`): one round
    /// trip for the batch instead of one per registration. Ids are matched back by uuid
    /// (unique), not by the order `RETURNING` happens to give.
    async fn inserer_inscriptions(
        conn: &mut PgConnection,
        lignes: &[(&NewInscription, i64, &str)],
    ) -> StoreResult<Vec<i64>> {
        if lignes.is_empty() {
            return Ok(Vec::new());
        }
        let n = lignes.len();
        let mut sessions: Vec<i64> = Vec::with_capacity(n);
        let mut jauges: Vec<i64> = Vec::with_capacity(n);
        let mut uuids: Vec<String> = Vec::with_capacity(n);
        let mut prenoms: Vec<String> = Vec::with_capacity(n);
        let mut contacts: Vec<Option<String>> = Vec::with_capacity(n);
        let mut statuts: Vec<String> = Vec::with_capacity(n);
        let mut cles: Vec<String> = Vec::with_capacity(n);
        let mut jetons: Vec<String> = Vec::with_capacity(n);
        let mut dates: Vec<DateTime<Utc>> = Vec::with_capacity(n);
        let mut personnes: Vec<Option<i64>> = Vec::with_capacity(n);
        for &(i, jauge_id, statut) in lignes {
            sessions.push(i.session_id);
            jauges.push(jauge_id);
            uuids.push(i.uuid.clone());
            prenoms.push(i.prenom.clone());
            contacts.push(i.contact.clone());
            statuts.push(statut.to_string());
            cles.push(i.cle.clone());
            jetons.push(i.jeton_hash.clone());
            dates.push(i.created_at);
            personnes.push(i.personne_id);
        }
        let faites = sqlx::query!(
            r#"INSERT INTO inscriptions (session_id, jauge_id, uuid, prenom, contact, statut, cle,
                                        jeton_hash, created_at, updated_at, personne_id)
               SELECT l.session_id, l.jauge_id, l.uuid, l.prenom, l.contact, l.statut, l.cle,
                      l.jeton_hash, l.created_at, l.created_at, l.personne_id
               FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                           $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bigint[])
                    AS l(session_id, jauge_id, uuid, prenom, contact, statut, cle, jeton_hash,
                         created_at, personne_id)
               RETURNING uuid AS "uuid!: String", id AS "id!: i64""#,
            &sessions,
            &jauges,
            &uuids,
            &prenoms,
            &contacts as &[Option<String>],
            &statuts,
            &cles,
            &jetons,
            &dates,
            &personnes as &[Option<i64>]
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let par_uuid: HashMap<String, i64> = faites.into_iter().map(|r| (r.uuid, r.id)).collect();
        lignes
            .iter()
            .map(|(i, _, _)| {
                par_uuid.get(&i.uuid).copied().ok_or_else(|| {
                    StoreError::Database(format!("registration {} not inserted", i.uuid))
                })
            })
            .collect()
    }
}
