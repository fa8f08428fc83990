//! PostgreSQL implementation of [`MediationStore`].
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

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use maillage_store::mediation::{
    add_counters, counter_totals, validate_activites, ActiviteRow, ActiviteWrite, AffectationRow,
    BeneficiaireRow, CompteRow, ConsultationRow, CourrielRow, HistoriqueRow, InvitationRow,
    LieuActiviteRow, MediationStore, NewBeneficiaire, NewCompte, NewCourriel, SessionRow,
    StatDeltas, StatFiltre, StatRow, StructureRow,
};
use maillage_store::{now_micros, validate_limit, StoreError, StoreResult};
use sqlx::PgConnection;

use crate::{DbResult, PgStore};

/// What the roll-ups need of a stored record.
struct StatSource {
    mediateur_id: i64,
    structure_id: Option<i64>,
    lieu_activite_id: Option<i64>,
    commune: String,
    date: NaiveDate,
    compteurs: Vec<u8>,
}

impl StatSource {
    fn record(&self, deltas: &mut StatDeltas, signe: i64) -> StoreResult<()> {
        deltas.record(
            self.mediateur_id,
            self.lieu_activite_id,
            self.structure_id,
            &self.commune,
            self.date,
            &self.compteurs,
            signe,
        )
    }
}

/// Applies summed roll-up deltas inside the caller's transaction (see the module doc for
/// the locking).
async fn apply_deltas(conn: &mut PgConnection, deltas: StatDeltas) -> StoreResult<()> {
    let mut par_mediateur: Vec<_> = deltas.par_mediateur.into_iter().collect();
    par_mediateur.sort_by(|a, b| a.0.cmp(&b.0));
    for (cle, delta) in par_mediateur {
        let mut blob = sqlx::query_scalar!(
            r#"INSERT INTO stat_mediateur (mediateur_id, lieu_activite_id, structure_id, commune,
                   mois, activites, accompagnements, minutes, compteurs)
               VALUES ($1, $2, $3, $4, $5, 0, 0, 0, ''::bytea)
               ON CONFLICT (mediateur_id, lieu_activite_id, commune, mois)
               DO UPDATE SET mois = excluded.mois
               RETURNING compteurs"#,
            cle.mediateur_id,
            cle.lieu_activite_id,
            cle.structure_id,
            cle.commune,
            cle.mois,
        )
        .fetch_one(&mut *conn)
        .await
        .db()?;
        add_counters(&mut blob, &delta, 1)?;
        let (activites, accompagnements, minutes) = counter_totals(&blob);
        sqlx::query!(
            r#"UPDATE stat_mediateur
               SET structure_id = $5, activites = $6, accompagnements = $7, minutes = $8,
                   compteurs = $9
               WHERE mediateur_id = $1 AND lieu_activite_id = $2 AND commune = $3
                 AND mois = $4"#,
            cle.mediateur_id,
            cle.lieu_activite_id,
            cle.commune,
            cle.mois,
            cle.structure_id,
            activites,
            accompagnements,
            minutes,
            blob,
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    let mut par_commune: Vec<_> = deltas.par_commune.into_iter().collect();
    par_commune.sort_by(|a, b| a.0.cmp(&b.0));
    for ((commune, mois), delta) in par_commune {
        let mut blob = sqlx::query_scalar!(
            r#"INSERT INTO stat_commune (commune, mois, activites, accompagnements, minutes,
                   compteurs)
               VALUES ($1, $2, 0, 0, 0, ''::bytea)
               ON CONFLICT (commune, mois) DO UPDATE SET mois = excluded.mois
               RETURNING compteurs"#,
            commune,
            mois,
        )
        .fetch_one(&mut *conn)
        .await
        .db()?;
        add_counters(&mut blob, &delta, 1)?;
        let (activites, accompagnements, minutes) = counter_totals(&blob);
        sqlx::query!(
            r#"UPDATE stat_commune
               SET activites = $3, accompagnements = $4, minutes = $5, compteurs = $6
               WHERE commune = $1 AND mois = $2"#,
            commune,
            mois,
            activites,
            accompagnements,
            minutes,
            blob,
        )
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}

#[async_trait]
impl MediationStore for PgStore {
    async fn create_compte(&self, c: NewCompte) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"INSERT INTO comptes (email, nom, role, structure_id, password_hash, created_at,
                   derniere_activite)
               VALUES ($1, $2, $3, $4, $5, $6, $6)
               RETURNING id"#,
            c.email,
            c.nom,
            c.role,
            c.structure_id,
            c.password_hash,
            c.created_at,
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn compte(&self, id: i64) -> StoreResult<Option<CompteRow>> {
        sqlx::query_as!(
            CompteRow,
            r#"SELECT id, email, nom, role, structure_id, password_hash, totp_secret, totp_actif,
                      totp_dernier_pas, codes_secours, actif, created_at, derniere_activite
               FROM comptes WHERE id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn compte_par_email(&self, email: &str) -> StoreResult<Option<CompteRow>> {
        sqlx::query_as!(
            CompteRow,
            r#"SELECT id, email, nom, role, structure_id, password_hash, totp_secret, totp_actif,
                      totp_dernier_pas, codes_secours, actif, created_at, derniere_activite
               FROM comptes WHERE email = $1"#,
            email
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn comptes(&self) -> StoreResult<Vec<CompteRow>> {
        sqlx::query_as!(
            CompteRow,
            r#"SELECT id, email, nom, role, structure_id, password_hash, totp_secret, totp_actif,
                      totp_dernier_pas, codes_secours, actif, created_at, derniere_activite
               FROM comptes ORDER BY id"#
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn update_compte(&self, c: &CompteRow) -> StoreResult<()> {
        let done = sqlx::query!(
            r#"UPDATE comptes SET nom = $2, role = $3, structure_id = $4, password_hash = $5,
                   totp_secret = $6, totp_actif = $7, totp_dernier_pas = $8, codes_secours = $9,
                   actif = $10, derniere_activite = $11
               WHERE id = $1"#,
            c.id,
            c.nom,
            c.role,
            c.structure_id,
            c.password_hash,
            c.totp_secret,
            c.totp_actif,
            c.totp_dernier_pas,
            c.codes_secours,
            c.actif,
            c.derniere_activite,
        )
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn deactivate_dormant(&self, avant: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query!(
            "UPDATE comptes SET actif = FALSE WHERE actif AND derniere_activite < $1",
            avant
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected())
    }

    async fn put_session(&self, s: &SessionRow) -> StoreResult<()> {
        sqlx::query!(
            r#"INSERT INTO sessions (token_hash, compte_id, created_at, last_seen_at, mfa_at, csrf,
                   expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (token_hash) DO UPDATE SET compte_id = excluded.compte_id,
                   last_seen_at = excluded.last_seen_at, mfa_at = excluded.mfa_at,
                   csrf = excluded.csrf, expires_at = excluded.expires_at"#,
            s.token_hash,
            s.compte_id,
            s.created_at,
            s.last_seen_at,
            s.mfa_at,
            s.csrf,
            s.expires_at,
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        sqlx::query_as!(
            SessionRow,
            r#"SELECT token_hash, compte_id, created_at, last_seen_at, mfa_at, csrf, expires_at
               FROM sessions WHERE token_hash = $1"#,
            token_hash
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn delete_sessions_of(&self, compte_id: i64) -> StoreResult<u64> {
        let done = sqlx::query!("DELETE FROM sessions WHERE compte_id = $1", compte_id)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn add_login_failure(&self, cle: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query!(
            "INSERT INTO echecs_connexion (cle, at) VALUES ($1, $2)",
            cle,
            at
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn count_login_failures(&self, cle: &str, depuis: DateTime<Utc>) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!" FROM echecs_connexion WHERE cle = $1 AND at >= $2"#,
            cle,
            depuis
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn clear_login_failures(&self, cle: &str) -> StoreResult<()> {
        sqlx::query!("DELETE FROM echecs_connexion WHERE cle = $1", cle)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn create_invitation(&self, i: &InvitationRow) -> StoreResult<()> {
        sqlx::query!(
            r#"INSERT INTO invitations (token_hash, email, role, structure_id, coordinateur_id,
                   invite_par, created_at, expires_at, used_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
            i.token_hash,
            i.email,
            i.role,
            i.structure_id,
            i.coordinateur_id,
            i.invite_par,
            i.created_at,
            i.expires_at,
            i.used_at,
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn invitation(&self, token_hash: &str) -> StoreResult<Option<InvitationRow>> {
        sqlx::query_as!(
            InvitationRow,
            r#"SELECT token_hash, email, role, structure_id, coordinateur_id, invite_par,
                      created_at, expires_at, used_at
               FROM invitations WHERE token_hash = $1"#,
            token_hash
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn use_invitation(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query!(
            "UPDATE invitations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
            token_hash,
            at
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() > 0)
    }

    async fn add_courriel(&self, c: NewCourriel) -> StoreResult<i64> {
        let now = now_micros();
        sqlx::query_scalar!(
            r#"INSERT INTO courriels (destinataire, sujet, corps, created_at)
               VALUES ($1, $2, $3, $4) RETURNING id"#,
            c.destinataire,
            c.sujet,
            c.corps,
            now,
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn courriels(&self, limit: i64) -> StoreResult<Vec<CourrielRow>> {
        validate_limit(limit)?;
        sqlx::query_as!(
            CourrielRow,
            r#"SELECT id, destinataire, sujet, corps, created_at, envoye_at
               FROM courriels ORDER BY id DESC LIMIT $1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn mark_courriel_envoye(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query!("UPDATE courriels SET envoye_at = $2 WHERE id = $1", id, at)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn create_structure(
        &self,
        nom: &str,
        siret: Option<&str>,
        code_insee: Option<&str>,
    ) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"INSERT INTO structures (nom, siret, code_insee) VALUES ($1, $2, $3)
               RETURNING id"#,
            nom,
            siret,
            code_insee,
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn structures(&self) -> StoreResult<Vec<StructureRow>> {
        sqlx::query_as!(
            StructureRow,
            "SELECT id, nom, siret, code_insee FROM structures ORDER BY id"
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn create_lieu_activite(
        &self,
        structure_id: i64,
        nom: &str,
        lieu_id: Option<&str>,
        code_insee: &str,
    ) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"INSERT INTO lieux_activite (structure_id, nom, lieu_id, code_insee)
               VALUES ($1, $2, $3, $4) RETURNING id"#,
            structure_id,
            nom,
            lieu_id,
            code_insee,
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn lieux_activite(&self, structure_id: Option<i64>) -> StoreResult<Vec<LieuActiviteRow>> {
        sqlx::query_as!(
            LieuActiviteRow,
            r#"SELECT id, structure_id, nom, lieu_id, code_insee
               FROM lieux_activite
               WHERE $1::bigint IS NULL OR structure_id = $1
               ORDER BY id"#,
            structure_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn add_affectation(&self, a: &AffectationRow) -> StoreResult<()> {
        sqlx::query!(
            r#"INSERT INTO affectations (compte_id, lieu_activite_id, debut, fin)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (compte_id, lieu_activite_id, debut) DO UPDATE SET fin = excluded.fin"#,
            a.compte_id,
            a.lieu_activite_id,
            a.debut,
            a.fin,
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn affectations(&self, compte_id: i64) -> StoreResult<Vec<AffectationRow>> {
        sqlx::query_as!(
            AffectationRow,
            r#"SELECT compte_id, lieu_activite_id, debut, fin
               FROM affectations WHERE compte_id = $1 ORDER BY debut, lieu_activite_id"#,
            compte_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn add_equipe_membre(&self, coordinateur_id: i64, mediateur_id: i64) -> StoreResult<()> {
        sqlx::query!(
            r#"INSERT INTO equipes (coordinateur_id, mediateur_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING"#,
            coordinateur_id,
            mediateur_id
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn equipe(&self, coordinateur_id: i64) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar!(
            r#"SELECT mediateur_id FROM equipes WHERE coordinateur_id = $1
               ORDER BY mediateur_id"#,
            coordinateur_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn coordinateurs_de(&self, mediateur_id: i64) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar!(
            r#"SELECT coordinateur_id FROM equipes WHERE mediateur_id = $1
               ORDER BY coordinateur_id"#,
            mediateur_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn add_territoire_coordonne(&self, compte_id: i64, territoire: &str) -> StoreResult<()> {
        sqlx::query!(
            r#"INSERT INTO territoires_coordonnes (compte_id, territoire) VALUES ($1, $2)
               ON CONFLICT DO NOTHING"#,
            compte_id,
            territoire
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn territoires_coordonnes(&self, compte_id: i64) -> StoreResult<Vec<String>> {
        sqlx::query_scalar!(
            r#"SELECT territoire FROM territoires_coordonnes
               WHERE compte_id = $1 ORDER BY territoire"#,
            compte_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn create_beneficiaire(&self, b: NewBeneficiaire) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"INSERT INTO beneficiaires (mediateur_id, data, cle_doublon, partage_equipe,
                   consentement_at, created_at, derniere_activite)
               VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id"#,
            b.mediateur_id,
            b.data,
            b.cle_doublon,
            b.partage_equipe,
            b.consentement_at,
            b.created_at,
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn beneficiaire(&self, id: i64) -> StoreResult<Option<BeneficiaireRow>> {
        sqlx::query_as!(
            BeneficiaireRow,
            r#"SELECT id, mediateur_id, data, cle_doublon, partage_equipe, consentement_at,
                      created_at, derniere_activite, purge_at, fusionne_dans
               FROM beneficiaires WHERE id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await
        .db()
    }

    async fn beneficiaires_de(&self, mediateur_ids: &[i64]) -> StoreResult<Vec<BeneficiaireRow>> {
        sqlx::query_as!(
            BeneficiaireRow,
            r#"SELECT id, mediateur_id, data, cle_doublon, partage_equipe, consentement_at,
                      created_at, derniere_activite, purge_at, fusionne_dans
               FROM beneficiaires
               WHERE mediateur_id = ANY($1) AND fusionne_dans IS NULL
               ORDER BY id"#,
            mediateur_ids
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn update_beneficiaire(&self, b: &BeneficiaireRow) -> StoreResult<()> {
        let done = sqlx::query!(
            r#"UPDATE beneficiaires SET data = $2, cle_doublon = $3, partage_equipe = $4,
                   consentement_at = $5
               WHERE id = $1"#,
            b.id,
            b.data,
            b.cle_doublon,
            b.partage_equipe,
            b.consentement_at,
        )
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn merge_beneficiaires(&self, garde: i64, absorbe: i64) -> StoreResult<()> {
        if garde == absorbe {
            return Err(StoreError::Invalid(
                "cannot merge a beneficiary into itself".into(),
            ));
        }
        let mut tx = self.pool.begin().await.db()?;
        // Both files locked, in id order; merged files count as missing.
        let found = sqlx::query_scalar!(
            r#"SELECT id FROM beneficiaires
               WHERE id = ANY($1) AND fusionne_dans IS NULL
               ORDER BY id FOR UPDATE"#,
            &[garde, absorbe][..]
        )
        .fetch_all(&mut *tx)
        .await
        .db()?;
        if found.len() != 2 {
            return Err(StoreError::NotFound);
        }
        sqlx::query!(
            r#"DELETE FROM participations
               WHERE beneficiaire_id = $2
                 AND activite_id IN (SELECT activite_id FROM participations
                                     WHERE beneficiaire_id = $1)"#,
            garde,
            absorbe
        )
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query!(
            "UPDATE participations SET beneficiaire_id = $1 WHERE beneficiaire_id = $2",
            garde,
            absorbe
        )
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query!(
            r#"UPDATE beneficiaires AS g
               SET derniere_activite = GREATEST(g.derniere_activite, a.derniere_activite)
               FROM beneficiaires AS a
               WHERE g.id = $1 AND a.id = $2"#,
            garde,
            absorbe
        )
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query!(
            r#"UPDATE beneficiaires SET data = NULL, cle_doublon = NULL, fusionne_dans = $1
               WHERE id = $2"#,
            garde,
            absorbe
        )
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()
    }

    async fn purge_beneficiaires(
        &self,
        avant: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let done = sqlx::query!(
            r#"UPDATE beneficiaires SET data = NULL, cle_doublon = NULL, purge_at = $2
               WHERE purge_at IS NULL AND fusionne_dans IS NULL AND derniere_activite < $1"#,
            avant,
            at
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected())
    }

    async fn add_consultation(&self, c: &ConsultationRow) -> StoreResult<()> {
        sqlx::query!(
            r#"INSERT INTO consultations (beneficiaire_id, compte_id, action, at)
               VALUES ($1, $2, $3, $4)"#,
            c.beneficiaire_id,
            c.compte_id,
            c.action,
            c.at,
        )
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
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

    async fn count_participations(&self, beneficiaire_id: i64) -> StoreResult<i64> {
        sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!" FROM participations AS p
               JOIN activites AS a ON a.id = p.activite_id
               WHERE p.beneficiaire_id = $1 AND a.deleted_at IS NULL"#,
            beneficiaire_id
        )
        .fetch_one(&self.pool)
        .await
        .db()
    }

    async fn save_activites(&self, activites: Vec<ActiviteWrite>) -> StoreResult<Vec<i64>> {
        validate_activites(&activites)?;
        let mut tx = self.pool.begin().await.db()?;
        // The records to replace are locked first, in id order (no deadlock between two
        // batches replacing the same records).
        let mut remplaces: Vec<i64> = activites.iter().filter_map(|a| a.id).collect();
        remplaces.sort_unstable();
        remplaces.dedup();
        if !remplaces.is_empty() {
            sqlx::query_scalar!(
                "SELECT id FROM activites WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                &remplaces
            )
            .fetch_all(&mut *tx)
            .await
            .db()?;
        }
        let mut deltas = StatDeltas::default();
        let mut ids = Vec::with_capacity(activites.len());
        for a in activites {
            let (id, version, action) = match a.id {
                Some(id) => {
                    let old = sqlx::query_as!(
                        StatSource,
                        r#"SELECT mediateur_id, structure_id, lieu_activite_id, commune, date,
                                  compteurs
                           FROM activites WHERE id = $1 AND deleted_at IS NULL"#,
                        id
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .db()?
                    .ok_or(StoreError::NotFound)?;
                    old.record(&mut deltas, -1)?;
                    let version = sqlx::query_scalar!(
                        r#"UPDATE activites SET mediateur_id = $2, structure_id = $3,
                               lieu_activite_id = $4, commune = $5, date = $6,
                               type_activite = $7, duree = $8, data = $9, compteurs = $10,
                               version = version + 1, updated_at = $11
                           WHERE id = $1
                           RETURNING version"#,
                        id,
                        a.mediateur_id,
                        a.structure_id,
                        a.lieu_activite_id,
                        a.commune,
                        a.date,
                        a.type_activite,
                        a.duree,
                        a.data,
                        a.compteurs,
                        a.at,
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    sqlx::query!("DELETE FROM participations WHERE activite_id = $1", id)
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    (id, version, "modification")
                }
                None => {
                    let id = sqlx::query_scalar!(
                        r#"INSERT INTO activites (mediateur_id, structure_id, lieu_activite_id,
                               commune, date, type_activite, duree, data, compteurs, version,
                               created_at, updated_at)
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)
                           RETURNING id"#,
                        a.mediateur_id,
                        a.structure_id,
                        a.lieu_activite_id,
                        a.commune,
                        a.date,
                        a.type_activite,
                        a.duree,
                        a.data,
                        a.compteurs,
                        a.at,
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    (id, 1, "creation")
                }
            };
            if !a.beneficiaires.is_empty() {
                // A beneficiary listed twice is a `Conflict`, as with SQLite.
                sqlx::query!(
                    r#"INSERT INTO participations (activite_id, beneficiaire_id)
                       SELECT $1, b FROM UNNEST($2::bigint[]) AS b"#,
                    id,
                    &a.beneficiaires,
                )
                .execute(&mut *tx)
                .await
                .db()?;
                sqlx::query!(
                    r#"UPDATE beneficiaires
                       SET derniere_activite = GREATEST(derniere_activite, $2)
                       WHERE id = ANY($1)"#,
                    &a.beneficiaires,
                    a.at,
                )
                .execute(&mut *tx)
                .await
                .db()?;
            }
            sqlx::query!(
                r#"INSERT INTO activites_historique (activite_id, version, action, data,
                       auteur_id, at)
                   VALUES ($1, $2, $3, $4, $5, $6)"#,
                id,
                version,
                action,
                a.data,
                a.auteur_id,
                a.at,
            )
            .execute(&mut *tx)
            .await
            .db()?;
            deltas.record(
                a.mediateur_id,
                a.lieu_activite_id,
                a.structure_id,
                &a.commune,
                a.date,
                &a.compteurs,
                1,
            )?;
            ids.push(id);
        }
        apply_deltas(&mut tx, deltas).await?;
        tx.commit().await.db()?;
        Ok(ids)
    }

    async fn delete_activite(
        &self,
        id: i64,
        auteur_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.db()?;
        // The UPDATE locks the row; a concurrent deletion makes it match nothing.
        let old = sqlx::query!(
            r#"UPDATE activites SET deleted_at = $2, updated_at = $2, version = version + 1
               WHERE id = $1 AND deleted_at IS NULL
               RETURNING mediateur_id, structure_id, lieu_activite_id, commune, date, compteurs,
                         version"#,
            id,
            at
        )
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let Some(old) = old else {
            return Ok(false);
        };
        sqlx::query!(
            r#"INSERT INTO activites_historique (activite_id, version, action, data, auteur_id, at)
               VALUES ($1, $2, 'suppression', NULL, $3, $4)"#,
            id,
            old.version,
            auteur_id,
            at
        )
        .execute(&mut *tx)
        .await
        .db()?;
        let mut deltas = StatDeltas::default();
        StatSource {
            mediateur_id: old.mediateur_id,
            structure_id: old.structure_id,
            lieu_activite_id: old.lieu_activite_id,
            commune: old.commune,
            date: old.date,
            compteurs: old.compteurs,
        }
        .record(&mut deltas, -1)?;
        apply_deltas(&mut tx, deltas).await?;
        tx.commit().await.db()?;
        Ok(true)
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
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<ActiviteRow>> {
        validate_limit(limit)?;
        // PostgreSQL rejects a negative offset; SQLite takes it as 0.
        let offset = offset.max(0);
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
            limit,
            offset
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

    async fn historique_activite(&self, activite_id: i64) -> StoreResult<Vec<HistoriqueRow>> {
        sqlx::query_as!(
            HistoriqueRow,
            r#"SELECT activite_id, version, action, data, auteur_id, at
               FROM activites_historique WHERE activite_id = $1 ORDER BY version"#,
            activite_id
        )
        .fetch_all(&self.pool)
        .await
        .db()
    }

    async fn durees_frequentes(
        &self,
        mediateur_id: i64,
        min_uses: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i32, i64)>> {
        validate_limit(limit)?;
        let rows = sqlx::query!(
            r#"SELECT duree, COUNT(*) AS "n!" FROM activites
               WHERE mediateur_id = $1 AND deleted_at IS NULL
               GROUP BY duree HAVING COUNT(*) >= $2
               ORDER BY COUNT(*) DESC, duree LIMIT $3"#,
            mediateur_id,
            min_uses,
            limit
        )
        .fetch_all(&self.pool)
        .await
        .db()?;
        Ok(rows.into_iter().map(|r| (r.duree, r.n)).collect())
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
