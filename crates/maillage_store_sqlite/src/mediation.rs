//! SQLite side of [`MediationStore`](maillage_store::mediation::MediationStore): what
//! SQLite does its own way; the queries both backends share are
//! `maillage_store_sql::mediation_store!`'s.
//!
//! Writes that touch the statistics roll-ups run in `BEGIN IMMEDIATE` transactions: SQLite
//! has one writer at a time, and taking the write lock first means the read-modify-write
//! of a roll-up row can never be interleaved with another writer's.

use chrono::{DateTime, NaiveDate, Utc};
use maillage_store::mediation::{
    counter_totals, ActiviteRow, ActiviteWrite, BeneficiaireRow, ConsultationRow, StatDeltas,
    StatFiltre, StatRow,
};
use maillage_store::{Page, StoreResult};
use sqlx::SqliteConnection;

use crate::{DbResult, SqliteStore};

pub(crate) fn json_ids(ids: &[i64]) -> String {
    let mut s = String::from("[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

/// JSON array of strings (this crate has no serde_json: escaped by hand).
fn json_strings(values: &[String]) -> StoreResult<String> {
    let mut s = String::from("[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        for c in v.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push(']');
    Ok(s)
}

/// A row of `stat_mediateur` as read.
struct RollupMediateur {
    mediateur_id: i64,
    lieu_activite_id: i64,
    commune: String,
    mois: i64,
    activites: i64,
    accompagnements: i64,
    minutes: i64,
    compteurs: Vec<u8>,
}

impl RollupMediateur {
    fn ligne(self) -> StatRow {
        StatRow {
            mediateur_id: Some(self.mediateur_id),
            lieu_activite_id: (self.lieu_activite_id != 0).then_some(self.lieu_activite_id),
            commune: self.commune,
            mois: self.mois as i32,
            activites: self.activites,
            accompagnements: self.accompagnements,
            minutes: self.minutes,
            compteurs: self.compteurs,
        }
    }
}

/// A row of `stat_commune` as read.
struct RollupCommune {
    commune: String,
    mois: i64,
    activites: i64,
    accompagnements: i64,
    minutes: i64,
    compteurs: Vec<u8>,
}

impl RollupCommune {
    fn ligne(self) -> StatRow {
        StatRow {
            mediateur_id: None,
            lieu_activite_id: None,
            commune: self.commune,
            mois: self.mois as i32,
            activites: self.activites,
            accompagnements: self.accompagnements,
            minutes: self.minutes,
            compteurs: self.compteurs,
        }
    }
}

struct ActiviteBase {
    id: i64,
    mediateur_id: i64,
    structure_id: Option<i64>,
    lieu_activite_id: Option<i64>,
    commune: String,
    date: NaiveDate,
    type_activite: String,
    duree: i64,
    data: String,
    compteurs: Vec<u8>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

async fn participants(conn: &mut SqliteConnection, activite_id: i64) -> StoreResult<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT beneficiaire_id AS "b!: i64" FROM participations
           WHERE activite_id = ?1 ORDER BY beneficiaire_id"#,
        activite_id
    )
    .fetch_all(conn)
    .await
    .db()
}

async fn with_participants(
    conn: &mut SqliteConnection,
    rows: Vec<ActiviteBase>,
) -> StoreResult<Vec<ActiviteRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let beneficiaires = participants(conn, r.id).await?;
        out.push(ActiviteRow {
            id: r.id,
            mediateur_id: r.mediateur_id,
            structure_id: r.structure_id,
            lieu_activite_id: r.lieu_activite_id,
            commune: r.commune,
            date: r.date,
            type_activite: r.type_activite,
            duree: r.duree as i32,
            data: r.data,
            compteurs: r.compteurs,
            beneficiaires,
            version: r.version as i32,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        });
    }
    Ok(out)
}

async fn activite_base(conn: &mut SqliteConnection, id: i64) -> StoreResult<Option<ActiviteBase>> {
    sqlx::query_as!(
        ActiviteBase,
        r#"SELECT id AS "id!: i64", mediateur_id AS "mediateur_id!: i64",
                  structure_id AS "structure_id?: i64", lieu_activite_id AS "lieu_activite_id?: i64",
                  commune AS "commune!: String", date AS "date!: NaiveDate",
                  type_activite AS "type_activite!: String", duree AS "duree!: i64",
                  data AS "data!: String", compteurs AS "compteurs!: Vec<u8>",
                  version AS "version!: i64", created_at AS "created_at!: DateTime<Utc>",
                  updated_at AS "updated_at!: DateTime<Utc>", deleted_at AS "deleted_at?: DateTime<Utc>"
           FROM activites WHERE id = ?1"#,
        id
    )
    .fetch_optional(conn)
    .await
    .db()
}

/// Applies summed roll-up deltas (inside the caller's write transaction).
async fn apply_deltas(conn: &mut SqliteConnection, deltas: StatDeltas) -> StoreResult<()> {
    let mut par_mediateur: Vec<_> = deltas.par_mediateur.into_iter().collect();
    par_mediateur.sort_by(|a, b| a.0.cmp(&b.0));
    for (cle, delta) in par_mediateur {
        let existing = sqlx::query_scalar!(
            r#"SELECT compteurs AS "c!: Vec<u8>" FROM stat_mediateur
               WHERE mediateur_id = ?1 AND lieu_activite_id = ?2 AND commune = ?3 AND mois = ?4"#,
            cle.mediateur_id,
            cle.lieu_activite_id,
            cle.commune,
            cle.mois
        )
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        let mut blob = existing.unwrap_or_default();
        maillage_store::mediation::add_counters(&mut blob, &delta, 1)?;
        let (activites, accompagnements, minutes) = counter_totals(&blob);
        sqlx::query!(
            r#"INSERT INTO stat_mediateur (mediateur_id, lieu_activite_id, structure_id, commune,
                   mois, activites, accompagnements, minutes, compteurs)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
               ON CONFLICT (mediateur_id, lieu_activite_id, commune, mois) DO UPDATE SET
                   structure_id = excluded.structure_id, activites = excluded.activites,
                   accompagnements = excluded.accompagnements, minutes = excluded.minutes,
                   compteurs = excluded.compteurs"#,
            cle.mediateur_id,
            cle.lieu_activite_id,
            cle.structure_id,
            cle.commune,
            cle.mois,
            activites,
            accompagnements,
            minutes,
            blob
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    let mut par_commune: Vec<_> = deltas.par_commune.into_iter().collect();
    par_commune.sort_by(|a, b| a.0.cmp(&b.0));
    for ((commune, mois), delta) in par_commune {
        let existing = sqlx::query_scalar!(
            r#"SELECT compteurs AS "c!: Vec<u8>" FROM stat_commune WHERE commune = ?1 AND mois = ?2"#,
            commune,
            mois
        )
        .fetch_optional(&mut *conn)
        .await
        .db()?;
        let mut blob = existing.unwrap_or_default();
        maillage_store::mediation::add_counters(&mut blob, &delta, 1)?;
        let (activites, accompagnements, minutes) = counter_totals(&blob);
        sqlx::query!(
            r#"INSERT INTO stat_commune (commune, mois, activites, accompagnements, minutes, compteurs)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6)
               ON CONFLICT (commune, mois) DO UPDATE SET
                   activites = excluded.activites, accompagnements = excluded.accompagnements,
                   minutes = excluded.minutes, compteurs = excluded.compteurs"#,
            commune,
            mois,
            activites,
            accompagnements,
            minutes,
            blob
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

/// SQLite takes no row lock: the write transaction (`BEGIN IMMEDIATE`) already holds the
/// one write lock, so no other writer can replace or delete these records meanwhile.
async fn lock_activites(_conn: &mut SqliteConnection, _ids: &[i64]) -> StoreResult<()> {
    Ok(())
}

/// Writes new records one by one with their « creation » history entry; their ids in
/// input order.
async fn insert_activites(
    conn: &mut SqliteConnection,
    activites: Vec<ActiviteWrite>,
) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(activites.len());
    for a in activites {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO activites (mediateur_id, structure_id, lieu_activite_id,
                   commune, date, type_activite, duree, data, compteurs, version,
                   created_at, updated_at)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10)
               RETURNING id AS "id!: i64""#,
            a.mediateur_id,
            a.structure_id,
            a.lieu_activite_id,
            a.commune,
            a.date,
            a.type_activite,
            a.duree,
            a.data,
            a.compteurs,
            a.at
        )
        .fetch_one(&mut *conn)
        .await
        .db()?;
        sqlx::query!(
            r#"INSERT INTO activites_historique (activite_id, version, action, data, auteur_id, at)
               VALUES (?1, 1, 'creation', ?2, ?3, ?4)"#,
            id,
            a.data,
            a.auteur_id,
            a.at
        )
        .execute(&mut *conn)
        .await
        .db()?;
        ids.push(id);
    }
    Ok(ids)
}

/// Writes each (record, beneficiary) pair and moves the beneficiary's latest activity
/// forward, row by row.
async fn insert_participations(
    conn: &mut SqliteConnection,
    participants: &[(i64, i64, DateTime<Utc>)],
) -> StoreResult<()> {
    for (activite, beneficiaire, at) in participants {
        sqlx::query!(
            "INSERT INTO participations (activite_id, beneficiaire_id) VALUES (?1, ?2)",
            activite,
            beneficiaire
        )
        .execute(&mut *conn)
        .await
        .db()?;
        sqlx::query!(
            r#"UPDATE beneficiaires SET derniere_activite = MAX(derniere_activite, ?2)
               WHERE id = ?1"#,
            beneficiaire,
            at
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

maillage_store_sql::mediation_store!(SqliteStore, verrou = "");

impl MediationDialecte for SqliteStore {
    async fn beneficiaires_de(&self, mediateur_ids: &[i64]) -> StoreResult<Vec<BeneficiaireRow>> {
        let ids = json_ids(mediateur_ids);
        maillage_store_sql::select_beneficiaires!(
            "WHERE mediateur_id IN (SELECT value FROM json_each($1)) AND fusionne_dans IS NULL ORDER BY id",
            ids
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn consultations(&self, beneficiaire_id: i64) -> StoreResult<Vec<ConsultationRow>> {
        sqlx::query_as!(
            ConsultationRow,
            r#"SELECT beneficiaire_id AS "beneficiaire_id!: i64", compte_id AS "compte_id!: i64",
                      action AS "action!: String", at AS "at!: DateTime<Utc>"
               FROM consultations WHERE beneficiaire_id = ?1 ORDER BY at, rowid"#,
            beneficiaire_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn activite(&self, id: i64) -> StoreResult<Option<ActiviteRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let Some(base) = activite_base(&mut conn, id).await? else {
            return Ok(None);
        };
        Ok(with_participants(&mut conn, vec![base]).await?.pop())
    }

    async fn activites_de(
        &self,
        mediateur_ids: &[i64],
        page: Page,
    ) -> StoreResult<Vec<ActiviteRow>> {
        let ids = json_ids(mediateur_ids);
        let mut conn = self.pool.acquire().await.db()?;
        let rows = sqlx::query_as!(
            ActiviteBase,
            r#"SELECT id AS "id!: i64", mediateur_id AS "mediateur_id!: i64",
                      structure_id AS "structure_id?: i64", lieu_activite_id AS "lieu_activite_id?: i64",
                      commune AS "commune!: String", date AS "date!: NaiveDate",
                      type_activite AS "type_activite!: String", duree AS "duree!: i64",
                      data AS "data!: String", compteurs AS "compteurs!: Vec<u8>",
                      version AS "version!: i64", created_at AS "created_at!: DateTime<Utc>",
                      updated_at AS "updated_at!: DateTime<Utc>", deleted_at AS "deleted_at?: DateTime<Utc>"
               FROM activites
               WHERE mediateur_id IN (SELECT value FROM json_each(?1)) AND deleted_at IS NULL
               ORDER BY date DESC, id DESC LIMIT ?2 OFFSET ?3"#,
            ids,
            page.limit,
            page.offset
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        with_participants(&mut conn, rows).await
    }

    async fn activites_du_beneficiaire(
        &self,
        beneficiaire_id: i64,
    ) -> StoreResult<Vec<ActiviteRow>> {
        let mut conn = self.pool.acquire().await.db()?;
        let rows = sqlx::query_as!(
            ActiviteBase,
            r#"SELECT a.id AS "id!: i64", a.mediateur_id AS "mediateur_id!: i64",
                      a.structure_id AS "structure_id?: i64", a.lieu_activite_id AS "lieu_activite_id?: i64",
                      a.commune AS "commune!: String", a.date AS "date!: NaiveDate",
                      a.type_activite AS "type_activite!: String", a.duree AS "duree!: i64",
                      a.data AS "data!: String", a.compteurs AS "compteurs!: Vec<u8>",
                      a.version AS "version!: i64", a.created_at AS "created_at!: DateTime<Utc>",
                      a.updated_at AS "updated_at!: DateTime<Utc>", a.deleted_at AS "deleted_at?: DateTime<Utc>"
               FROM activites a JOIN participations p ON p.activite_id = a.id
               WHERE p.beneficiaire_id = ?1 AND a.deleted_at IS NULL
               ORDER BY a.date DESC, a.id DESC"#,
            beneficiaire_id
        )
        .fetch_all(&mut *conn)
        .await
        .db()?;
        with_participants(&mut conn, rows).await
    }

    async fn stats(&self, f: &StatFiltre) -> StoreResult<Vec<StatRow>> {
        // One query per filter shape, so that each can use its index (an `?n IS NULL OR …`
        // condition would make SQLite scan the whole roll-up).
        let communes = f.communes.as_deref().map(json_strings).transpose()?;
        let lieux = f.lieux.as_deref().map(json_ids);
        if let Some(mediateurs) = f.mediateurs.as_deref() {
            let mediateurs = json_ids(mediateurs);
            let rows = sqlx::query_as!(
                RollupMediateur,
                r#"SELECT mediateur_id AS "mediateur_id!: i64",
                          lieu_activite_id AS "lieu_activite_id!: i64", commune AS "commune!: String",
                          mois AS "mois!: i64", activites AS "activites!: i64",
                          accompagnements AS "accompagnements!: i64", minutes AS "minutes!: i64",
                          compteurs AS "compteurs!: Vec<u8>"
                   FROM stat_mediateur
                   WHERE mediateur_id IN (SELECT value FROM json_each(?3))
                     AND mois BETWEEN ?1 AND ?2 AND activites > 0
                     AND (?4 IS NULL OR lieu_activite_id IN (SELECT value FROM json_each(?4)))
                     AND (?5 IS NULL OR commune IN (SELECT value FROM json_each(?5)))"#,
                f.mois_debut,
                f.mois_fin,
                mediateurs,
                lieux,
                communes
            )
            .fetch_all(&self.pool)
            .await
            .db()?;
            return Ok(rows.into_iter().map(RollupMediateur::ligne).collect());
        }
        if let Some(lieux) = lieux {
            let rows = sqlx::query_as!(
                RollupMediateur,
                r#"SELECT mediateur_id AS "mediateur_id!: i64",
                          lieu_activite_id AS "lieu_activite_id!: i64", commune AS "commune!: String",
                          mois AS "mois!: i64", activites AS "activites!: i64",
                          accompagnements AS "accompagnements!: i64", minutes AS "minutes!: i64",
                          compteurs AS "compteurs!: Vec<u8>"
                   FROM stat_mediateur
                   WHERE lieu_activite_id IN (SELECT value FROM json_each(?3))
                     AND mois BETWEEN ?1 AND ?2 AND activites > 0
                     AND (?4 IS NULL OR commune IN (SELECT value FROM json_each(?4)))"#,
                f.mois_debut,
                f.mois_fin,
                lieux,
                communes
            )
            .fetch_all(&self.pool)
            .await
            .db()?;
            return Ok(rows.into_iter().map(RollupMediateur::ligne).collect());
        }
        let rows = match communes {
            Some(communes) => sqlx::query_as!(
                RollupCommune,
                r#"SELECT commune AS "commune!: String", mois AS "mois!: i64",
                          activites AS "activites!: i64", accompagnements AS "accompagnements!: i64",
                          minutes AS "minutes!: i64", compteurs AS "compteurs!: Vec<u8>"
                   FROM stat_commune
                   WHERE commune IN (SELECT value FROM json_each(?3))
                     AND mois BETWEEN ?1 AND ?2 AND activites > 0"#,
                f.mois_debut,
                f.mois_fin,
                communes
            )
            .fetch_all(&self.pool)
            .await
            .db()?,
            None => sqlx::query_as!(
                RollupCommune,
                r#"SELECT commune AS "commune!: String", mois AS "mois!: i64",
                          activites AS "activites!: i64", accompagnements AS "accompagnements!: i64",
                          minutes AS "minutes!: i64", compteurs AS "compteurs!: Vec<u8>"
                   FROM stat_commune
                   WHERE mois BETWEEN ?1 AND ?2 AND activites > 0"#,
                f.mois_debut,
                f.mois_fin
            )
            .fetch_all(&self.pool)
            .await
            .db()?,
        };
        Ok(rows.into_iter().map(RollupCommune::ligne).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_helpers_escape() {
        assert_eq!(super::json_ids(&[1, 22]), "[1,22]");
        assert_eq!(
            super::json_strings(&["a\"b".into(), "31555".into()]).unwrap(),
            r#"["a\"b","31555"]"#
        );
    }
}
