//! PostgreSQL side of [`MediationStore`](maillage_store::mediation::MediationStore): what
//! PostgreSQL does its own way; the queries both backends share are
//! `maillage_store_sql::mediation_store!`'s.
//!
//! Transactions run at READ COMMITTED; what must not interleave is locked explicitly:
//! - the activity records a write replaces or deletes (`FOR UPDATE`, in id order), so that
//!   two writers never take the same version's counters out of the roll-ups twice;
//! - each roll-up row before its read-modify-write: an `INSERT … ON CONFLICT DO UPDATE`
//!   creates the row if needed and locks it, returning the latest committed counters
//!   (a plain `SELECT … FOR UPDATE` would not lock a row that does not exist yet, and two
//!   first writers of the same key would lose one update). Keys are locked in sorted
//!   order, so concurrent writers cannot deadlock on them;
//! - both files of a merge (in id order).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use maillage_store::mediation::{
    add_counters, counter_totals, ActiviteRow, ActiviteWrite, BeneficiaireRow, ConsultationRow,
    StatDeltas, StatFiltre, StatRow,
};
use maillage_store::{Page, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::{DbResult, PgStore};

/// New records of one batch, column by column (the arrays one `INSERT … UNNEST` takes).
#[derive(Default)]
struct LotNouveaux {
    id: Vec<i64>,
    mediateur_id: Vec<i64>,
    structure_id: Vec<Option<i64>>,
    lieu_activite_id: Vec<Option<i64>>,
    commune: Vec<String>,
    date: Vec<NaiveDate>,
    type_activite: Vec<String>,
    duree: Vec<i32>,
    data: Vec<String>,
    compteurs: Vec<Vec<u8>>,
    auteur_id: Vec<i64>,
    at: Vec<DateTime<Utc>>,
}

impl LotNouveaux {
    fn push(&mut self, id: i64, a: ActiviteWrite) {
        self.id.push(id);
        self.mediateur_id.push(a.mediateur_id);
        self.structure_id.push(a.structure_id);
        self.lieu_activite_id.push(a.lieu_activite_id);
        self.commune.push(a.commune);
        self.date.push(a.date);
        self.type_activite.push(a.type_activite);
        self.duree.push(a.duree);
        self.data.push(a.data);
        self.compteurs.push(a.compteurs);
        self.auteur_id.push(a.auteur_id);
        self.at.push(a.at);
    }
}

/// The new counters of the roll-up rows of one upsert, in key order: each row's current
/// counters (as the upsert returned them, locked) plus its delta, and their totals.
struct Sommes {
    activites: Vec<i64>,
    accompagnements: Vec<i64>,
    minutes: Vec<i64>,
    compteurs: Vec<Vec<u8>>,
}

impl Sommes {
    fn calculer<'a, K: Ord + 'a>(
        courants: impl IntoIterator<Item = (K, Vec<u8>)>,
        deltas: impl ExactSizeIterator<Item = (&'a K, &'a Vec<u8>)>,
    ) -> StoreResult<Sommes> {
        let mut courants: BTreeMap<K, Vec<u8>> = courants.into_iter().collect();
        let n = deltas.len();
        let mut s = Sommes {
            activites: Vec::with_capacity(n),
            accompagnements: Vec::with_capacity(n),
            minutes: Vec::with_capacity(n),
            compteurs: Vec::with_capacity(n),
        };
        for (cle, delta) in deltas {
            let mut blob = courants.remove(cle).ok_or_else(|| {
                StoreError::Database("a roll-up row was not returned by its upsert".into())
            })?;
            add_counters(&mut blob, delta, 1)?;
            let (a, b, c) = counter_totals(&blob);
            s.activites.push(a);
            s.accompagnements.push(b);
            s.minutes.push(c);
            s.compteurs.push(blob);
        }
        Ok(s)
    }
}

/// The key of a `stat_mediateur` row: mediator, place of activity (0: none), commune, month.
type CleLigne = (i64, i64, String, i32);

/// Applies summed roll-up deltas inside the caller's transaction (see the module doc for
/// the locking), in four statements whatever the number of rows: one upsert per table
/// creates the missing rows, locks them in key order and returns their counters; the
/// sums are made here; one `UPDATE … FROM UNNEST` per table writes them back.
async fn apply_deltas(conn: &mut PgConnection, deltas: StatDeltas) -> StoreResult<()> {
    // Several keys of the deltas can share one row (the structure is not part of the
    // row's key): their counters are summed, and the row keeps the greatest structure,
    // as writing them one after the other in key order did.
    let mut par_mediateur: BTreeMap<CleLigne, (i64, Vec<u8>)> = BTreeMap::new();
    for (cle, delta) in deltas.par_mediateur {
        let ligne = par_mediateur
            .entry((
                cle.mediateur_id,
                cle.lieu_activite_id,
                cle.commune,
                cle.mois,
            ))
            .or_insert((cle.structure_id, Vec::new()));
        ligne.0 = ligne.0.max(cle.structure_id);
        add_counters(&mut ligne.1, &delta, 1)?;
    }
    if !par_mediateur.is_empty() {
        let n = par_mediateur.len();
        let (mut med, mut lieu, mut st, mut com, mut mois) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for ((m, l, c, mo), (s, _)) in &par_mediateur {
            med.push(*m);
            lieu.push(*l);
            com.push(c.clone());
            mois.push(*mo);
            st.push(*s);
        }
        let existants = sqlx::query!(
            r#"INSERT INTO stat_mediateur (mediateur_id, lieu_activite_id, structure_id, commune,
                   mois, activites, accompagnements, minutes, compteurs)
               SELECT m, l, s, c, mo, 0, 0, 0, ''::bytea
               FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::int[])
                    WITH ORDINALITY AS u(m, l, s, c, mo, rang)
               ORDER BY rang
               ON CONFLICT (mediateur_id, lieu_activite_id, commune, mois)
               DO UPDATE SET mois = excluded.mois
               RETURNING mediateur_id, lieu_activite_id, commune, mois, compteurs"#,
            &med,
            &lieu,
            &st,
            &com,
            &mois,
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let s = Sommes::calculer(
            existants.into_iter().map(|r| {
                (
                    (r.mediateur_id, r.lieu_activite_id, r.commune, r.mois),
                    r.compteurs,
                )
            }),
            par_mediateur.iter().map(|(cle, (_, delta))| (cle, delta)),
        )?;
        sqlx::query!(
            r#"UPDATE stat_mediateur AS s
               SET structure_id = u.st, activites = u.a, accompagnements = u.acc,
                   minutes = u.mi, compteurs = u.blob
               FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::bigint[],
                           $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[])
                    AS u(m, l, c, mo, st, a, acc, mi, blob)
               WHERE s.mediateur_id = u.m AND s.lieu_activite_id = u.l AND s.commune = u.c
                 AND s.mois = u.mo"#,
            &med,
            &lieu,
            &com,
            &mois,
            &st,
            &s.activites,
            &s.accompagnements,
            &s.minutes,
            &s.compteurs,
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }

    let par_commune: BTreeMap<(String, i32), Vec<u8>> = deltas.par_commune.into_iter().collect();
    if !par_commune.is_empty() {
        let n = par_commune.len();
        let (mut com, mut mois) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (c, mo) in par_commune.keys() {
            com.push(c.clone());
            mois.push(*mo);
        }
        let existants = sqlx::query!(
            r#"INSERT INTO stat_commune (commune, mois, activites, accompagnements, minutes,
                   compteurs)
               SELECT c, mo, 0, 0, 0, ''::bytea
               FROM UNNEST($1::text[], $2::int[]) WITH ORDINALITY AS u(c, mo, rang)
               ORDER BY rang
               ON CONFLICT (commune, mois) DO UPDATE SET mois = excluded.mois
               RETURNING commune, mois, compteurs"#,
            &com,
            &mois,
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        let s = Sommes::calculer(
            existants
                .into_iter()
                .map(|r| ((r.commune, r.mois), r.compteurs)),
            par_commune.iter(),
        )?;
        sqlx::query!(
            r#"UPDATE stat_commune AS s
               SET activites = u.a, accompagnements = u.acc, minutes = u.mi, compteurs = u.blob
               FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[],
                           $6::bytea[]) AS u(c, mo, a, acc, mi, blob)
               WHERE s.commune = u.c AND s.mois = u.mo"#,
            &com,
            &mois,
            &s.activites,
            &s.accompagnements,
            &s.minutes,
            &s.compteurs,
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

/// Locks the records a batch replaces (ids sorted: no deadlock between two batches
/// replacing the same records).
async fn lock_activites(conn: &mut PgConnection, ids: &[i64]) -> StoreResult<()> {
    if !ids.is_empty() {
        sqlx::query_scalar!(
            "SELECT id FROM activites WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            ids
        )
        .fetch_all(conn)
        .await
        .db()?;
    }
    Ok(())
}

/// Writes new records with their « creation » history entry in one statement, whatever
/// their number (an import or a generated history of thousands of records does not pay a
/// round trip per record): their ids are drawn first, in input order.
async fn insert_activites(
    conn: &mut PgConnection,
    activites: Vec<ActiviteWrite>,
) -> StoreResult<Vec<i64>> {
    if activites.is_empty() {
        return Ok(Vec::new());
    }
    let ids = sqlx::query_scalar!(
        r#"SELECT nextval(pg_get_serial_sequence('activites', 'id')) AS "id!"
           FROM generate_series(1, $1::int)"#,
        i32::try_from(activites.len())
            .map_err(|_| StoreError::Invalid("too many records in one batch".into()))?
    )
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut lot = LotNouveaux::default();
    for (id, a) in ids.iter().zip(activites) {
        lot.push(*id, a);
    }
    sqlx::query!(
        r#"WITH u AS (
               SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[],
                                    $4::bigint[], $5::text[], $6::date[], $7::text[],
                                    $8::int[], $9::text[], $10::bytea[], $11::bigint[],
                                    $12::timestamptz[])
                   AS u(id, mediateur_id, structure_id, lieu_activite_id, commune,
                        date, type_activite, duree, data, compteurs, auteur_id, at)
           ), ecrites AS (
               INSERT INTO activites (id, mediateur_id, structure_id, lieu_activite_id,
                   commune, date, type_activite, duree, data, compteurs, version,
                   created_at, updated_at)
               OVERRIDING SYSTEM VALUE
               SELECT id, mediateur_id, structure_id, lieu_activite_id, commune, date,
                      type_activite, duree, data, compteurs, 1, at, at
               FROM u
           )
           INSERT INTO activites_historique (activite_id, version, action, data,
               auteur_id, at)
           SELECT id, 1, 'creation', data, auteur_id, at FROM u"#,
        &lot.id,
        &lot.mediateur_id,
        &lot.structure_id as &[Option<i64>],
        &lot.lieu_activite_id as &[Option<i64>],
        &lot.commune,
        &lot.date,
        &lot.type_activite,
        &lot.duree,
        &lot.data,
        &lot.compteurs,
        &lot.auteur_id,
        &lot.at,
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(ids)
}

/// Writes every (record, beneficiary) pair and moves each beneficiary's latest activity
/// forward: two statements, whatever the number of pairs.
async fn insert_participations(
    conn: &mut PgConnection,
    participants: &[(i64, i64, DateTime<Utc>)],
) -> StoreResult<()> {
    if participants.is_empty() {
        return Ok(());
    }
    let activite_ids: Vec<i64> = participants.iter().map(|p| p.0).collect();
    let beneficiaire_ids: Vec<i64> = participants.iter().map(|p| p.1).collect();
    let ats: Vec<DateTime<Utc>> = participants.iter().map(|p| p.2).collect();
    sqlx::query!(
        r#"INSERT INTO participations (activite_id, beneficiaire_id)
           SELECT * FROM UNNEST($1::bigint[], $2::bigint[])"#,
        &activite_ids,
        &beneficiaire_ids,
    )
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query!(
        r#"UPDATE beneficiaires AS b
           SET derniere_activite = GREATEST(b.derniere_activite, u.at)
           FROM (SELECT id, MAX(at) AS at
                 FROM UNNEST($1::bigint[], $2::timestamptz[]) AS p(id, at)
                 GROUP BY id) AS u
           WHERE b.id = u.id"#,
        &beneficiaire_ids,
        &ats,
    )
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

maillage_store_sql::mediation_store!(PgStore, verrou = "FOR UPDATE");

impl MediationDialecte for PgStore {
    async fn beneficiaires_de(&self, mediateur_ids: &[i64]) -> StoreResult<Vec<BeneficiaireRow>> {
        maillage_store_sql::select_beneficiaires!(
            "WHERE mediateur_id = ANY($1) AND fusionne_dans IS NULL ORDER BY id",
            mediateur_ids
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn consultations(&self, beneficiaire_id: i64) -> StoreResult<Vec<ConsultationRow>> {
        // No id column: ties on `at` come in physical order, which is insertion order for
        // this append-only table.
        sqlx::query_as!(
            ConsultationRow,
            r#"SELECT beneficiaire_id, compte_id, action, at
               FROM consultations WHERE beneficiaire_id = $1 ORDER BY at, ctid"#,
            beneficiaire_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn activite(&self, id: i64) -> StoreResult<Option<ActiviteRow>> {
        sqlx::query_as!(
            ActiviteRow,
            r#"SELECT a.id, a.mediateur_id, a.structure_id, a.lieu_activite_id, a.commune, a.date,
                      a.type_activite, a.duree, a.data, a.compteurs,
                      ARRAY(SELECT p.beneficiaire_id FROM participations AS p
                            WHERE p.activite_id = a.id ORDER BY p.beneficiaire_id)
                          AS "beneficiaires!",
                      a.version, a.created_at, a.updated_at, a.deleted_at
               FROM activites AS a WHERE a.id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn activites_de(
        &self,
        mediateur_ids: &[i64],
        page: Page,
    ) -> StoreResult<Vec<ActiviteRow>> {
        sqlx::query_as!(
            ActiviteRow,
            r#"SELECT a.id, a.mediateur_id, a.structure_id, a.lieu_activite_id, a.commune, a.date,
                      a.type_activite, a.duree, a.data, a.compteurs,
                      ARRAY(SELECT p.beneficiaire_id FROM participations AS p
                            WHERE p.activite_id = a.id ORDER BY p.beneficiaire_id)
                          AS "beneficiaires!",
                      a.version, a.created_at, a.updated_at, a.deleted_at
               FROM activites AS a
               WHERE a.mediateur_id = ANY($1) AND a.deleted_at IS NULL
               ORDER BY a.date DESC, a.id DESC
               LIMIT $2 OFFSET $3"#,
            mediateur_ids,
            page.limit,
            page.offset
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn activites_du_beneficiaire(
        &self,
        beneficiaire_id: i64,
    ) -> StoreResult<Vec<ActiviteRow>> {
        sqlx::query_as!(
            ActiviteRow,
            r#"SELECT a.id, a.mediateur_id, a.structure_id, a.lieu_activite_id, a.commune, a.date,
                      a.type_activite, a.duree, a.data, a.compteurs,
                      ARRAY(SELECT q.beneficiaire_id FROM participations AS q
                            WHERE q.activite_id = a.id ORDER BY q.beneficiaire_id)
                          AS "beneficiaires!",
                      a.version, a.created_at, a.updated_at, a.deleted_at
               FROM activites AS a
               JOIN participations AS p ON p.activite_id = a.id
               WHERE p.beneficiaire_id = $1 AND a.deleted_at IS NULL
               ORDER BY a.date DESC, a.id DESC"#,
            beneficiaire_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn stats(&self, f: &StatFiltre) -> StoreResult<Vec<StatRow>> {
        // One query per filter shape, so that each can use its index (with
        // `$n IS NULL OR col = ANY($n)` PostgreSQL scans the roll-up and compares every row
        // with the whole array: 2.5 s for a région's 4,500 communes at 1M records).
        let communes = f.communes.as_deref();
        if let Some(mediateurs) = f.mediateurs.as_deref() {
            return sqlx::query_as!(
                StatRow,
                r#"SELECT mediateur_id AS "mediateur_id?",
                          NULLIF(lieu_activite_id, 0) AS lieu_activite_id,
                          commune, mois, activites, accompagnements, minutes, compteurs
                   FROM stat_mediateur
                   WHERE mediateur_id = ANY($3)
                     AND mois BETWEEN $1 AND $2 AND activites > 0
                     AND ($4::bigint[] IS NULL OR lieu_activite_id = ANY($4))
                     AND ($5::text[] IS NULL OR commune = ANY($5))
                   ORDER BY mediateur_id, lieu_activite_id, commune, mois"#,
                f.mois_debut,
                f.mois_fin,
                mediateurs,
                f.lieux.as_deref(),
                communes,
            )
            .fetch_all(&self.pool)
            .await
            .db();
        }
        if let Some(lieux) = f.lieux.as_deref() {
            return sqlx::query_as!(
                StatRow,
                r#"SELECT mediateur_id AS "mediateur_id?",
                          NULLIF(lieu_activite_id, 0) AS lieu_activite_id,
                          commune, mois, activites, accompagnements, minutes, compteurs
                   FROM stat_mediateur
                   WHERE lieu_activite_id = ANY($3)
                     AND mois BETWEEN $1 AND $2 AND activites > 0
                     AND ($4::text[] IS NULL OR commune = ANY($4))
                   ORDER BY mediateur_id, lieu_activite_id, commune, mois"#,
                f.mois_debut,
                f.mois_fin,
                lieux,
                communes,
            )
            .fetch_all(&self.pool)
            .await
            .db();
        }
        match communes {
            Some(communes) => sqlx::query_as!(
                StatRow,
                r#"SELECT NULL::bigint AS "mediateur_id?", NULL::bigint AS "lieu_activite_id?",
                          s.commune, s.mois, s.activites, s.accompagnements, s.minutes, s.compteurs
                   FROM UNNEST($3::text[]) AS t(code)
                   JOIN stat_commune s ON s.commune = t.code
                   WHERE s.mois BETWEEN $1 AND $2 AND s.activites > 0
                   ORDER BY s.commune, s.mois"#,
                f.mois_debut,
                f.mois_fin,
                communes,
            )
            .fetch_all(&self.pool)
            .await
            .db(),
            None => sqlx::query_as!(
                StatRow,
                r#"SELECT NULL::bigint AS "mediateur_id?", NULL::bigint AS "lieu_activite_id?",
                          commune, mois, activites, accompagnements, minutes, compteurs
                   FROM stat_commune
                   WHERE mois BETWEEN $1 AND $2 AND activites > 0
                   ORDER BY commune, mois"#,
                f.mois_debut,
                f.mois_fin,
            )
            .fetch_all(&self.pool)
            .await
            .db(),
        }
    }
}
