//! PostgreSQL side of [`PassStore`](maillage_store::pass::PassStore).
//!
//! Appends to the pass journal are serialised across every app node on the database by a
//! transaction-level advisory lock ([`VERROU_JOURNAL_PASS`]): no gap, no fork. A redemption
//! does not wait for it (`pg_try_advisory_xact_lock` after its conditional update: when the
//! lock is taken, its entry waits in `pass_journal_attente` for the next holder, see
//! `maillage_store_sql::pass_store!`); the other writes take it first. The unique indexes of
//! `pass_utilisations` stay the last guard. The queries are shared with SQLite
//! (`maillage_store_sql`); this file holds the lock and the page reader.

use chrono::{DateTime, Utc};
use maillage_domain::journal::Entree;
use maillage_store::pass::{PassRow, UtilisationRow};
use maillage_store::StoreResult;
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{DbResult, PgStore};

/// Key of the advisory lock that serialises the writes of the pass journal (the Mandats
/// journal's is another).
const VERROU_JOURNAL_PASS: i64 = 7_236_156;

maillage_store_sql::pass_store!(PgStore, Postgres);

impl PgStore {
    /// Begins a transaction that holds the pass journal's lock until it ends.
    async fn begin_pass_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", VERROU_JOURNAL_PASS)
            .execute(&mut *tx)
            .await
            .db()?;
        Ok(tx)
    }

    /// A write transaction without the pass journal's lock.
    async fn begin_pass_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin_write().await
    }

    /// Takes the pass journal's lock for the rest of the transaction if no one holds it.
    async fn essayer_verrou_pass(conn: &mut PgConnection) -> StoreResult<bool> {
        sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_xact_lock($1) AS "pris!: bool""#,
            VERROU_JOURNAL_PASS
        )
        .fetch_one(&mut *conn)
        .await
        .db()
    }

    /// Inserts entries already chained, in one statement (`INSERT … SELECT FROM UNNEST`):
    /// what the holder of the lock does with the entries that waited. Not a `query!`:
    /// arrays of nullable values (`structure_id`, `objet_id`, `usager`) are bound as is.
    async fn inserer_entrees_pass(conn: &mut PgConnection, entrees: &[Entree]) -> StoreResult<()> {
        if entrees.is_empty() {
            return Ok(());
        }
        let n = entrees.len();
        let mut seq = Vec::with_capacity(n);
        let mut at_us = Vec::with_capacity(n);
        let mut action = Vec::with_capacity(n);
        let mut acteur = Vec::with_capacity(n);
        let mut structure_id = Vec::with_capacity(n);
        let mut objet_id = Vec::with_capacity(n);
        let mut usager = Vec::with_capacity(n);
        let mut demarches = Vec::with_capacity(n);
        let mut details = Vec::with_capacity(n);
        let mut prev_hash = Vec::with_capacity(n);
        let mut hash = Vec::with_capacity(n);
        for e in entrees {
            let c = &e.contenu;
            seq.push(e.seq);
            at_us.push(c.at_us);
            action.push(c.action.as_str());
            acteur.push(c.acteur.as_str());
            structure_id.push(c.structure_id);
            objet_id.push(c.mandat_id);
            usager.push(c.usager.as_deref());
            demarches.push(c.demarches.as_str());
            details.push(c.details.as_str());
            prev_hash.push(&e.prev_hash[..]);
            hash.push(&e.hash[..]);
        }
        sqlx::query(
            "INSERT INTO pass_journal (seq, at_us, action, acteur, structure_id, objet_id,
                                       usager, demarches, details, prev_hash, hash)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                                  $5::bigint[], $6::bigint[], $7::text[], $8::text[],
                                  $9::text[], $10::bytea[], $11::bytea[])",
        )
        .bind(&seq)
        .bind(&at_us)
        .bind(&action)
        .bind(&acteur)
        .bind(&structure_id)
        .bind(&objet_id)
        .bind(&usager)
        .bind(&demarches)
        .bind(&details)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *conn)
        .await
        .db()?;
        Ok(())
    }

    /// Writes the seqs of redemptions whose entries were just chained, in one statement.
    async fn noter_seqs_pass(conn: &mut PgConnection, seqs: &[(i64, i64)]) -> StoreResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let (ids, nums): (Vec<i64>, Vec<i64>) = seqs.iter().copied().unzip();
        sqlx::query!(
            "UPDATE pass_utilisations AS u SET journal_seq = v.seq
             FROM UNNEST($1::bigint[], $2::bigint[]) AS v(id, seq) WHERE u.id = v.id",
            &ids,
            &nums
        )
        .execute(&mut *conn)
        .await
        .db()?;
        Ok(())
    }

    /// The passes of a batch of redemptions by their codes, in one statement.
    async fn lire_pass_par_codes(&self, codes: &[String]) -> StoreResult<Vec<PassRow>> {
        maillage_store_sql::__select_pass!("WHERE code = ANY($1)", codes)
            .fetch_all(&self.pool)
            .await
            .db()
    }

    /// The group commit's passes, locked in id order until the transaction ends (two
    /// batches, or a batch and a single redemption, never wait for each other in a cycle).
    async fn lire_pass_lot(conn: &mut PgConnection, ids: &[i64]) -> StoreResult<Vec<PassRow>> {
        maillage_store_sql::__select_pass!("WHERE id = ANY($1) ORDER BY id FOR UPDATE", ids)
            .fetch_all(&mut *conn)
            .await
            .db()
    }

    /// Every redemption of these passes, by id.
    async fn utilisations_des_pass(
        conn: &mut PgConnection,
        ids: &[i64],
    ) -> StoreResult<Vec<UtilisationRow>> {
        maillage_store_sql::__select_utilisations!("WHERE u.pass_id = ANY($1) ORDER BY u.id", ids)
            .fetch_all(&mut *conn)
            .await
            .db()
    }

    /// The (place, nonce) pairs among `paires` already used, in one statement.
    async fn nonces_pris(
        conn: &mut PgConnection,
        paires: &[(i64, String)],
    ) -> StoreResult<Vec<(i64, String)>> {
        if paires.is_empty() {
            return Ok(Vec::new());
        }
        let (lieux, nonces): (Vec<i64>, Vec<String>) = paires.iter().cloned().unzip();
        let lignes = sqlx::query!(
            r#"SELECT u.structure_id AS "structure_id!: i64", u.nonce AS "nonce!: String"
               FROM pass_utilisations u
               JOIN UNNEST($1::bigint[], $2::text[]) AS v(structure_id, nonce)
                 ON u.structure_id = v.structure_id AND u.nonce = v.nonce"#,
            &lieux,
            &nonces
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        Ok(lignes
            .into_iter()
            .map(|l| (l.structure_id, l.nonce))
            .collect())
    }

    /// `distribue` → `utilise` in one statement; how many rows changed.
    async fn marquer_utilises(
        conn: &mut PgConnection,
        passes: &[(i64, DateTime<Utc>)],
    ) -> StoreResult<u64> {
        if passes.is_empty() {
            return Ok(0);
        }
        let (ids, ats): (Vec<i64>, Vec<DateTime<Utc>>) = passes.iter().copied().unzip();
        Ok(sqlx::query!(
            "UPDATE pass AS p SET etat = 'utilise', updated_at = v.at
             FROM UNNEST($1::bigint[], $2::timestamptz[]) AS v(id, at)
             WHERE p.id = v.id AND p.etat = 'distribue'",
            &ids,
            &ats
        )
        .execute(&mut *conn)
        .await
        .db()?
        .rows_affected())
    }

    /// Inserts the group commit's redemptions in one statement (`INSERT … SELECT FROM
    /// UNNEST`); their ids, in order. Not a `query!`: arrays of nullable values
    /// (`cle_api_id`, `compte_id`, `activite_id`, `hors_ligne_at`) are bound as is.
    async fn inserer_utilisations(
        conn: &mut PgConnection,
        lignes: &[(UtilisationRow, Option<DateTime<Utc>>)],
    ) -> StoreResult<Vec<i64>> {
        if lignes.is_empty() {
            return Ok(Vec::new());
        }
        let n = lignes.len();
        let mut rang = Vec::with_capacity(n);
        let mut pass_id = Vec::with_capacity(n);
        let mut structure_id = Vec::with_capacity(n);
        let mut nonce = Vec::with_capacity(n);
        let mut cle_api_id = Vec::with_capacity(n);
        let mut compte_id = Vec::with_capacity(n);
        let mut activite_id = Vec::with_capacity(n);
        let mut valeur = Vec::with_capacity(n);
        let mut at = Vec::with_capacity(n);
        let mut journal_seq = Vec::with_capacity(n);
        let mut forcee = Vec::with_capacity(n);
        let mut hors_ligne_at = Vec::with_capacity(n);
        let mut code = Vec::with_capacity(n);
        for (i, (u, h)) in lignes.iter().enumerate() {
            rang.push(i as i64);
            pass_id.push(u.pass_id);
            structure_id.push(u.structure_id);
            nonce.push(u.nonce.as_str());
            cle_api_id.push(u.cle_api_id);
            compte_id.push(u.compte_id);
            activite_id.push(u.activite_id);
            valeur.push(u.valeur_centimes);
            at.push(u.at);
            journal_seq.push(u.journal_seq);
            forcee.push(u.forcee);
            hors_ligne_at.push(*h);
            code.push(u.code.as_str());
        }
        // Inserted in rank order (ids follow it); the ranks come back with the ids.
        let mut ids: Vec<(i64, i64)> = sqlx::query_as(
            "WITH v AS (
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                                      $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
                                      $9::timestamptz[], $10::bigint[], $11::boolean[],
                                      $12::timestamptz[], $13::text[])
                     AS v(rang, pass_id, structure_id, nonce, cle_api_id, compte_id,
                          activite_id, valeur_centimes, utilise_at, journal_seq, forcee,
                          hors_ligne_at, code)
             ), i AS (
                 INSERT INTO pass_utilisations (pass_id, structure_id, nonce, cle_api_id,
                                                compte_id, activite_id, valeur_centimes,
                                                utilise_at, journal_seq, controle_sans_garde,
                                                forcee, hors_ligne_at, code)
                 SELECT pass_id, structure_id, nonce, cle_api_id, compte_id, activite_id,
                        valeur_centimes, utilise_at, journal_seq, FALSE, forcee,
                        hors_ligne_at, code
                 FROM v ORDER BY rang
                 RETURNING id, pass_id
             )
             SELECT v.rang, i.id FROM i JOIN v ON v.pass_id = i.pass_id",
        )
        .bind(&rang)
        .bind(&pass_id)
        .bind(&structure_id)
        .bind(&nonce)
        .bind(&cle_api_id)
        .bind(&compte_id)
        .bind(&activite_id)
        .bind(&valeur)
        .bind(&at)
        .bind(&journal_seq)
        .bind(&forcee)
        .bind(&hors_ligne_at)
        .bind(&code)
        .fetch_all(&mut *conn)
        .await
        .db()?;
        ids.sort_unstable();
        Ok(ids.into_iter().map(|(_, id)| id).collect())
    }

    async fn pass_journal_page(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>> {
        crate::copie::page(&self.pool, crate::copie::Table::Pass, apres, limite).await
    }

    /// A place's redemptions in `[debut, fin)` by binary `COPY` (the monthly statement of
    /// 1,000,000 redemptions: see `docs/PERFORMANCE.md`).
    async fn lire_utilisations_du_lieu(
        &self,
        structure_id: i64,
        debut: DateTime<Utc>,
        fin: DateTime<Utc>,
    ) -> StoreResult<Vec<UtilisationRow>> {
        crate::copie::utilisations_du_lieu(&self.pool, structure_id, debut, fin).await
    }
}
