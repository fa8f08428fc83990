//! [`ComptesStore`](../maillage_store/comptes/trait.ComptesStore.html): the accounts
//! kernel's tables.

/// The accounts' `SELECT`, completed by a literal (`WHERE …`, `ORDER BY …`). Used by
/// [`comptes_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_comptes {
    ($suite:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            CompteRow,
            r#"SELECT id AS "id!: i64", email AS "email!: String", nom AS "nom!: String",
                      role AS "role!: String", structure_id AS "structure_id?: i64",
                      password_hash AS "password_hash!: String",
                      totp_secret AS "totp_secret?: String", totp_actif AS "totp_actif!: bool",
                      totp_dernier_pas AS "totp_dernier_pas?: i64",
                      codes_secours AS "codes_secours!: String", actif AS "actif!: bool",
                      created_at AS "created_at!: DateTime<Utc>",
                      derniere_activite AS "derniere_activite!: DateTime<Utc>"
               FROM comptes "# + $suite $(, $arg)*
        )
    };
}

/// The memberships' `SELECT`, completed by a `WHERE …` literal. Used by [`comptes_store!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __select_rattachements {
    ($suite:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            RattachementRow,
            r#"SELECT compte_id AS "compte_id!: i64", structure_id AS "structure_id!: i64",
                      debut AS "debut!: NaiveDate", fin AS "fin?: NaiveDate"
               FROM rattachements "# + $suite $(, $arg)*
        )
    };
}

/// Implements `maillage_store::comptes::ComptesStore` for the backend `$store`.
///
/// The backend provides, besides `begin_write`:
/// - `async fn lock_attempt_keys(tx, cles: &[&str]) -> StoreResult<()>`: excludes any other
///   reservation on these keys until `tx` ends (keys sorted, without repeats);
/// - `async fn insert_attempt(tx, cle: &str, at) -> StoreResult<i64>`: records one attempt,
///   returns its id;
/// - `async fn delete_attempts(&self, ids: &[i64]) -> StoreResult<()>`.
/// - `async fn inserer_personnes(tx, cles: &[(String, String)], at) -> StoreResult<Vec<Option<i64>>>`:
///   inserts new keys `(cle, code_hash)` and returns their ids in the same order, `None`
///   where the public part is taken (`ON CONFLICT DO NOTHING`; PostgreSQL: one statement
///   over `UNNEST`; SQLite: row by row).
///
/// The invoking module imports the backend's `DbResult` (for `.db()`).
#[macro_export]
macro_rules! comptes_store {
    ($store:ty) => {
        const _: () = {
            use ::chrono::{DateTime, NaiveDate, Utc};
            use ::maillage_store::comptes::{
                evaluer_limites, fenetres_a_compter, AffectationRow, CompteRow, CourrielRow,
                InvitationRow, IssueReservation, LieuActiviteRow, NewCompte, NewCourriel,
                PersonneRow, RattachementRow, Reservation, Reservee, SessionRow, StructureRow,
            };
            use ::maillage_store::{validate_limit, StoreError, StoreResult};

            #[::async_trait::async_trait]
            impl ::maillage_store::comptes::ComptesStore for $store {
                async fn create_compte(&self, c: NewCompte) -> StoreResult<i64> {
                    let mut tx = self.begin_write().await?;
                    let id = ::sqlx::query_scalar!(
                        r#"INSERT INTO comptes (email, nom, role, structure_id, password_hash,
                               created_at, derniere_activite)
                           VALUES ($1, $2, $3, $4, $5, $6, $6)
                           RETURNING id AS "id!: i64""#,
                        c.email,
                        c.nom,
                        c.role,
                        c.structure_id,
                        c.password_hash,
                        c.created_at
                    )
                    .fetch_one(&mut *tx)
                    .await
                    .db()?;
                    if let Some(structure_id) = c.structure_id {
                        let debut = c.created_at.date_naive();
                        ::sqlx::query!(
                            "INSERT INTO rattachements (compte_id, structure_id, debut)
                             VALUES ($1, $2, $3)",
                            id,
                            structure_id,
                            debut
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(id)
                }

                async fn compte(&self, id: i64) -> StoreResult<Option<CompteRow>> {
                    $crate::__select_comptes!("WHERE id = $1", id)
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn compte_par_email(&self, email: &str) -> StoreResult<Option<CompteRow>> {
                    $crate::__select_comptes!("WHERE email = $1", email)
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn comptes(&self) -> StoreResult<Vec<CompteRow>> {
                    $crate::__select_comptes!("ORDER BY id")
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn update_compte(&self, c: &CompteRow) -> StoreResult<()> {
                    let done = ::sqlx::query!(
                        "UPDATE comptes SET nom = $2, role = $3, structure_id = $4,
                             password_hash = $5, totp_secret = $6, totp_actif = $7,
                             totp_dernier_pas = $8, codes_secours = $9, actif = $10,
                             derniere_activite = $11
                         WHERE id = $1",
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
                        c.derniere_activite
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
                    let done = ::sqlx::query!(
                        "UPDATE comptes SET actif = FALSE
                         WHERE actif = TRUE AND derniere_activite < $1",
                        avant
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(done.rows_affected())
                }

                async fn put_session(&self, s: &SessionRow) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO sessions (token_hash, compte_id, created_at, last_seen_at,
                             mfa_at, csrf, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (token_hash) DO UPDATE SET compte_id = excluded.compte_id,
                             last_seen_at = excluded.last_seen_at, mfa_at = excluded.mfa_at,
                             csrf = excluded.csrf, expires_at = excluded.expires_at",
                        s.token_hash,
                        s.compte_id,
                        s.created_at,
                        s.last_seen_at,
                        s.mfa_at,
                        s.csrf,
                        s.expires_at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
                    ::sqlx::query_as!(
                        SessionRow,
                        r#"SELECT token_hash AS "token_hash!: String",
                                  compte_id AS "compte_id!: i64",
                                  created_at AS "created_at!: DateTime<Utc>",
                                  last_seen_at AS "last_seen_at!: DateTime<Utc>",
                                  mfa_at AS "mfa_at?: DateTime<Utc>", csrf AS "csrf!: String",
                                  expires_at AS "expires_at!: DateTime<Utc>"
                           FROM sessions WHERE token_hash = $1"#,
                        token_hash
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                    ::sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash)
                        .execute(&self.pool)
                        .await
                        .db()?;
                    Ok(())
                }

                async fn delete_sessions_of(&self, compte_id: i64) -> StoreResult<u64> {
                    let done =
                        ::sqlx::query!("DELETE FROM sessions WHERE compte_id = $1", compte_id)
                            .execute(&self.pool)
                            .await
                            .db()?;
                    Ok(done.rows_affected())
                }

                async fn add_login_failure(&self, cle: &str, at: DateTime<Utc>) -> StoreResult<()> {
                    ::sqlx::query!("INSERT INTO echecs_connexion (cle, at) VALUES ($1, $2)", cle, at)
                        .execute(&self.pool)
                        .await
                        .db()?;
                    Ok(())
                }

                async fn count_login_failures(
                    &self,
                    cle: &str,
                    depuis: DateTime<Utc>,
                ) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM echecs_connexion
                           WHERE cle = $1 AND at >= $2"#,
                        cle,
                        depuis
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn clear_login_failures(&self, cle: &str) -> StoreResult<()> {
                    ::sqlx::query!("DELETE FROM echecs_connexion WHERE cle = $1", cle)
                        .execute(&self.pool)
                        .await
                        .db()?;
                    Ok(())
                }

                async fn reserve_login_attempts(
                    &self,
                    reservations: &[Reservation],
                    at: DateTime<Utc>,
                ) -> StoreResult<IssueReservation> {
                    let mut tx = self.begin_write().await?;
                    let mut cles: Vec<&str> = reservations.iter().map(|r| r.cle.as_str()).collect();
                    cles.sort_unstable();
                    cles.dedup();
                    Self::lock_attempt_keys(&mut tx, &cles).await?;
                    let mut avant = Vec::with_capacity(reservations.len());
                    for (i, r) in reservations.iter().enumerate() {
                        let mut comptes = Vec::new();
                        for depuis in fenetres_a_compter(&r.limites) {
                            comptes.push(
                                ::sqlx::query_scalar!(
                                    r#"SELECT COUNT(*) AS "n!: i64" FROM echecs_connexion
                                       WHERE cle = $1 AND at >= $2"#,
                                    r.cle,
                                    depuis
                                )
                                .fetch_one(&mut *tx)
                                .await
                                .db()?,
                            );
                        }
                        match evaluer_limites(&r.limites, comptes) {
                            Some(n) => avant.push(n),
                            None => {
                                tx.rollback().await.db()?;
                                return Ok(IssueReservation::Refusee(i));
                            }
                        }
                    }
                    let mut reservees = Vec::with_capacity(reservations.len());
                    for (r, n) in reservations.iter().zip(avant) {
                        let id = Self::insert_attempt(&mut tx, &r.cle, at).await?;
                        reservees.push(Reservee { id, nombre: n + 1 });
                    }
                    tx.commit().await.db()?;
                    Ok(IssueReservation::Acceptee(reservees))
                }

                async fn release_login_attempts(&self, ids: &[i64]) -> StoreResult<()> {
                    self.delete_attempts(ids).await
                }

                async fn remember_address(
                    &self,
                    cle: &str,
                    adresse: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO adresses_connues (cle, adresse, vue_at) VALUES ($1, $2, $3)
                         ON CONFLICT (cle, adresse) DO UPDATE SET vue_at = excluded.vue_at",
                        cle,
                        adresse,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn known_address(
                    &self,
                    cle: &str,
                    adresse: &str,
                    depuis: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let n = ::sqlx::query_scalar!(
                        r#"SELECT COUNT(*) AS "n!: i64" FROM adresses_connues
                           WHERE cle = $1 AND adresse = $2 AND vue_at >= $3"#,
                        cle,
                        adresse,
                        depuis
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()?;
                    Ok(n > 0)
                }

                async fn purge_login_attempts(
                    &self,
                    echecs_avant: DateTime<Utc>,
                    adresses_avant: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let mut tx = self.begin_write().await?;
                    let echecs =
                        ::sqlx::query!("DELETE FROM echecs_connexion WHERE at < $1", echecs_avant)
                            .execute(&mut *tx)
                            .await
                            .db()?
                            .rows_affected();
                    let adresses = ::sqlx::query!(
                        "DELETE FROM adresses_connues WHERE vue_at < $1",
                        adresses_avant
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?
                    .rows_affected();
                    tx.commit().await.db()?;
                    Ok(echecs + adresses)
                }

                async fn create_invitation(&self, i: &InvitationRow) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO invitations (token_hash, email, role, structure_id,
                             coordinateur_id, invite_par, created_at, expires_at, used_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        i.token_hash,
                        i.email,
                        i.role,
                        i.structure_id,
                        i.coordinateur_id,
                        i.invite_par,
                        i.created_at,
                        i.expires_at,
                        i.used_at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn invitation(&self, token_hash: &str) -> StoreResult<Option<InvitationRow>> {
                    ::sqlx::query_as!(
                        InvitationRow,
                        r#"SELECT token_hash AS "token_hash!: String", email AS "email!: String",
                                  role AS "role!: String", structure_id AS "structure_id?: i64",
                                  coordinateur_id AS "coordinateur_id?: i64",
                                  invite_par AS "invite_par!: i64",
                                  created_at AS "created_at!: DateTime<Utc>",
                                  expires_at AS "expires_at!: DateTime<Utc>",
                                  used_at AS "used_at?: DateTime<Utc>"
                           FROM invitations WHERE token_hash = $1"#,
                        token_hash
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn use_invitation(
                    &self,
                    token_hash: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let done = ::sqlx::query!(
                        "UPDATE invitations SET used_at = $2
                         WHERE token_hash = $1 AND used_at IS NULL",
                        token_hash,
                        at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(done.rows_affected() > 0)
                }

                async fn add_courriel(&self, c: NewCourriel) -> StoreResult<i64> {
                    let now = ::maillage_store::now_micros();
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO courriels (destinataire, sujet, corps, created_at)
                           VALUES ($1, $2, $3, $4) RETURNING id AS "id!: i64""#,
                        c.destinataire,
                        c.sujet,
                        c.corps,
                        now
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn courriels(&self, limit: i64) -> StoreResult<Vec<CourrielRow>> {
                    validate_limit(limit)?;
                    ::sqlx::query_as!(
                        CourrielRow,
                        r#"SELECT id AS "id!: i64", destinataire AS "destinataire!: String",
                                  sujet AS "sujet!: String", corps AS "corps!: String",
                                  created_at AS "created_at!: DateTime<Utc>",
                                  envoye_at AS "envoye_at?: DateTime<Utc>"
                           FROM courriels ORDER BY id DESC LIMIT $1"#,
                        limit
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn mark_courriel_envoye(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
                    ::sqlx::query!("UPDATE courriels SET envoye_at = $2 WHERE id = $1", id, at)
                        .execute(&self.pool)
                        .await
                        .db()?;
                    Ok(())
                }

                async fn reserver_courriels(
                    &self,
                    maintenant: DateTime<Utc>,
                    jusqu_a: DateTime<Utc>,
                    limit: i64,
                ) -> StoreResult<Vec<CourrielRow>> {
                    validate_limit(limit)?;
                    // Each backend's own claim (PostgreSQL skips the rows another node is
                    // claiming; SQLite has one writer).
                    let mut v = self.claim_courriels(maintenant, jusqu_a, limit).await?;
                    v.sort_by_key(|c| c.id);
                    Ok(v)
                }

                async fn reserver_tache(
                    &self,
                    nom: &str,
                    maintenant: DateTime<Utc>,
                    prochaine: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let r = ::sqlx::query_scalar!(
                        r#"INSERT INTO taches_planifiees (nom, prochaine_at) VALUES ($1, $3)
                           ON CONFLICT (nom) DO UPDATE SET prochaine_at = excluded.prochaine_at
                           WHERE taches_planifiees.prochaine_at <= $2
                           RETURNING nom AS "nom!: String""#,
                        nom,
                        maintenant,
                        prochaine
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()?;
                    Ok(r.is_some())
                }

                async fn create_structure(
                    &self,
                    nom: &str,
                    siret: Option<&str>,
                    code_insee: Option<&str>,
                ) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO structures (nom, siret, code_insee) VALUES ($1, $2, $3)
                           RETURNING id AS "id!: i64""#,
                        nom,
                        siret,
                        code_insee
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn structures(&self) -> StoreResult<Vec<StructureRow>> {
                    ::sqlx::query_as!(
                        StructureRow,
                        r#"SELECT id AS "id!: i64", nom AS "nom!: String",
                                  siret AS "siret?: String", code_insee AS "code_insee?: String"
                           FROM structures ORDER BY id"#
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
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO lieux_activite (structure_id, nom, lieu_id, code_insee)
                           VALUES ($1, $2, $3, $4) RETURNING id AS "id!: i64""#,
                        structure_id,
                        nom,
                        lieu_id,
                        code_insee
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn lieux_activite(
                    &self,
                    structure_id: Option<i64>,
                ) -> StoreResult<Vec<LieuActiviteRow>> {
                    ::sqlx::query_as!(
                        LieuActiviteRow,
                        r#"SELECT id AS "id!: i64", structure_id AS "structure_id!: i64",
                                  nom AS "nom!: String", lieu_id AS "lieu_id?: String",
                                  code_insee AS "code_insee!: String"
                           FROM lieux_activite
                           WHERE CAST($1 AS BIGINT) IS NULL OR structure_id = $1
                           ORDER BY id"#,
                        structure_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn add_affectation(&self, a: &AffectationRow) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO affectations (compte_id, lieu_activite_id, debut, fin)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (compte_id, lieu_activite_id, debut)
                         DO UPDATE SET fin = excluded.fin",
                        a.compte_id,
                        a.lieu_activite_id,
                        a.debut,
                        a.fin
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn affectations(&self, compte_id: i64) -> StoreResult<Vec<AffectationRow>> {
                    ::sqlx::query_as!(
                        AffectationRow,
                        r#"SELECT compte_id AS "compte_id!: i64",
                                  lieu_activite_id AS "lieu_activite_id!: i64",
                                  debut AS "debut!: NaiveDate", fin AS "fin?: NaiveDate"
                           FROM affectations WHERE compte_id = $1
                           ORDER BY debut, lieu_activite_id"#,
                        compte_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn add_rattachement(&self, r: &RattachementRow) -> StoreResult<()> {
                    if r.fin.is_some_and(|f| f < r.debut) {
                        return Err(StoreError::Invalid(
                            "a membership cannot end before it starts".into(),
                        ));
                    }
                    ::sqlx::query!(
                        "INSERT INTO rattachements (compte_id, structure_id, debut, fin)
                         VALUES ($1, $2, $3, $4)
                         ON CONFLICT (compte_id, structure_id, debut)
                         DO UPDATE SET fin = excluded.fin",
                        r.compte_id,
                        r.structure_id,
                        r.debut,
                        r.fin
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn fin_rattachement(
                    &self,
                    compte_id: i64,
                    structure_id: i64,
                    fin: NaiveDate,
                ) -> StoreResult<u64> {
                    let r = ::sqlx::query!(
                        "UPDATE rattachements SET fin = $3
                         WHERE compte_id = $1 AND structure_id = $2 AND fin IS NULL
                           AND debut <= $3",
                        compte_id,
                        structure_id,
                        fin
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected())
                }

                async fn rattachements(&self, compte_id: i64) -> StoreResult<Vec<RattachementRow>> {
                    $crate::__select_rattachements!(
                        "WHERE compte_id = $1 ORDER BY debut, structure_id",
                        compte_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn rattachements_de_structure(
                    &self,
                    structure_id: i64,
                ) -> StoreResult<Vec<RattachementRow>> {
                    $crate::__select_rattachements!(
                        "WHERE structure_id = $1 ORDER BY debut, compte_id",
                        structure_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn add_equipe_membre(
                    &self,
                    coordinateur_id: i64,
                    mediateur_id: i64,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO equipes (coordinateur_id, mediateur_id) VALUES ($1, $2)
                         ON CONFLICT DO NOTHING",
                        coordinateur_id,
                        mediateur_id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn equipe(&self, coordinateur_id: i64) -> StoreResult<Vec<i64>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT mediateur_id AS "m!: i64" FROM equipes
                           WHERE coordinateur_id = $1 ORDER BY mediateur_id"#,
                        coordinateur_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn coordinateurs_de(&self, mediateur_id: i64) -> StoreResult<Vec<i64>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT coordinateur_id AS "c!: i64" FROM equipes
                           WHERE mediateur_id = $1 ORDER BY coordinateur_id"#,
                        mediateur_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn add_territoire_coordonne(
                    &self,
                    compte_id: i64,
                    territoire: &str,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO territoires_coordonnes (compte_id, territoire)
                         VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        compte_id,
                        territoire
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn territoires_coordonnes(&self, compte_id: i64) -> StoreResult<Vec<String>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT territoire AS "t!: String" FROM territoires_coordonnes
                           WHERE compte_id = $1 ORDER BY territoire"#,
                        compte_id
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn create_personne(
                    &self,
                    cle: &str,
                    code_hash: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO personnes (cle, code_hash, created_at) VALUES ($1, $2, $3)
                           RETURNING id AS "id!: i64""#,
                        cle,
                        code_hash,
                        at
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn create_personnes(
                    &self,
                    cles: &[(String, String)],
                    at: DateTime<Utc>,
                ) -> StoreResult<Vec<Option<i64>>> {
                    let mut tx = self.begin_write().await?;
                    let ids = Self::inserer_personnes(&mut tx, cles, at).await?;
                    tx.commit().await.db()?;
                    Ok(ids)
                }

                async fn personne(&self, id: i64) -> StoreResult<Option<PersonneRow>> {
                    ::sqlx::query_as!(
                        PersonneRow,
                        r#"SELECT id AS "id!: i64", cle AS "cle!: String",
                                  code_hash AS "code_hash!: String",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM personnes WHERE id = $1"#,
                        id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn personne_by_cle(&self, cle: &str) -> StoreResult<Option<PersonneRow>> {
                    ::sqlx::query_as!(
                        PersonneRow,
                        r#"SELECT id AS "id!: i64", cle AS "cle!: String",
                                  code_hash AS "code_hash!: String",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM personnes WHERE cle = $1"#,
                        cle
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn set_personne_code(
                    &self,
                    id: i64,
                    cle: &str,
                    code_hash: &str,
                ) -> StoreResult<()> {
                    let r = ::sqlx::query!(
                        "UPDATE personnes SET cle = $2, code_hash = $3 WHERE id = $1",
                        id,
                        cle,
                        code_hash
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    if r.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                }

                async fn put_personne_session(
                    &self,
                    token_hash: &str,
                    personne_id: i64,
                    expires_at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    ::sqlx::query!(
                        "INSERT INTO personne_sessions (token_hash, personne_id, expires_at)
                         VALUES ($1, $2, $3)",
                        token_hash,
                        personne_id,
                        expires_at
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn personne_of_session(
                    &self,
                    token_hash: &str,
                    now: DateTime<Utc>,
                ) -> StoreResult<Option<i64>> {
                    ::sqlx::query_scalar!(
                        r#"SELECT personne_id AS "p!: i64" FROM personne_sessions
                           WHERE token_hash = $1 AND expires_at > $2"#,
                        token_hash,
                        now
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn delete_personne_sessions(&self, personne_id: i64) -> StoreResult<u64> {
                    let r = ::sqlx::query!(
                        "DELETE FROM personne_sessions WHERE personne_id = $1",
                        personne_id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected())
                }

                async fn purge_personne_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
                    let r = ::sqlx::query!(
                        "DELETE FROM personne_sessions WHERE expires_at <= $1",
                        now
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected())
                }

                async fn count_hits(
                    &self,
                    demandes: &[Vec<::maillage_store::comptes::Coup>],
                ) -> StoreResult<Vec<Result<(), (usize, i64)>>> {
                    let mut tx = self.begin_write().await?;
                    let mut resultats = Vec::with_capacity(demandes.len());
                    for coups in demandes {
                        let mut refus = None;
                        let mut comptes: Vec<&str> = Vec::with_capacity(coups.len());
                        for (index, c) in coups.iter().enumerate() {
                            let fin_ms = c.maintenant_ms.saturating_add(c.fenetre_ms);
                            let r = ::sqlx::query!(
                        r#"INSERT INTO compteurs_limites (cle, fin_ms, nombre) VALUES ($1, $2, 1)
                           ON CONFLICT (cle) DO UPDATE SET
                               nombre = CASE WHEN compteurs_limites.fin_ms <= $3 THEN 1
                                             WHEN compteurs_limites.nombre <= $4
                                                 THEN compteurs_limites.nombre + 1
                                             ELSE compteurs_limites.nombre END,
                               fin_ms = CASE WHEN compteurs_limites.fin_ms <= $3
                                             THEN excluded.fin_ms
                                             ELSE compteurs_limites.fin_ms END
                           RETURNING nombre AS "nombre!: i64", fin_ms AS "fin_ms!: i64""#,
                        c.cle,
                        fin_ms,
                        c.maintenant_ms,
                        c.max
                    )
                            .fetch_one(&mut *tx)
                            .await
                            .db()?;
                            if r.nombre > c.max {
                                refus = Some((index, r.fin_ms));
                                break;
                            }
                            comptes.push(&c.cle);
                        }
                        match refus {
                            Some(r) => {
                                for cle in comptes {
                                    ::sqlx::query!(
                        "UPDATE compteurs_limites SET nombre = nombre - 1
                         WHERE cle = $1 AND nombre > 0",
                        cle
                    )
                                    .execute(&mut *tx)
                                    .await
                                    .db()?;
                                }
                                resultats.push(Err(r));
                            }
                            None => resultats.push(Ok(())),
                        }
                    }
                    tx.commit().await.db()?;
                    Ok(resultats)
                }

                async fn purge_counters(&self, avant_ms: i64) -> StoreResult<u64> {
                    let r = ::sqlx::query!(
                        "DELETE FROM compteurs_limites WHERE fin_ms < $1",
                        avant_ms
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected())
                }

                async fn instance_secret(&self, nom: &str, propose: &str) -> StoreResult<String> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO secrets_instance (nom, valeur) VALUES ($1, $2)
                           ON CONFLICT (nom) DO UPDATE SET nom = excluded.nom
                           RETURNING valeur AS "valeur!: String""#,
                        nom,
                        propose
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }
            }
        };
    };
}
