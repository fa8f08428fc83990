//! `CorrectionsStore`: corrections of published places, campaigns and the places' links.

/// The corrections' `SELECT`, completed by a `WHERE …` literal, ordered by id.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_corrections {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            CorrectionRow,
            r#"SELECT id AS "id!: i64", lieu_id AS "lieu_id!: String", champ AS "champ!: String",
                      valeur AS "valeur!: String", origine AS "origine!: String",
                      auteur_id AS "auteur_id?: i64", auteur AS "auteur!: String",
                      code_insee AS "code_insee?: String",
                      created_at AS "created_at!: DateTime<Utc>",
                      annulee_at AS "annulee_at?: DateTime<Utc>",
                      annulee_par AS "annulee_par?: String"
               FROM lieux_corrections "# + $where + " ORDER BY id" $(, $arg)*
        )
    };
}

/// The links' `SELECT`, completed by a `WHERE …` literal, ordered by id.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_liens_lieux {
    ($where:literal $(, $arg:expr)*) => {
        ::sqlx::query_as!(
            LienLieuRow,
            r#"SELECT id AS "id!: i64", lieu_id AS "lieu_id!: String",
                      lieu_nom AS "lieu_nom!: String", code_insee AS "code_insee?: String",
                      campagne_id AS "campagne_id?: i64", courriel AS "courriel?: String",
                      created_at AS "created_at!: DateTime<Utc>",
                      expire_at AS "expire_at!: DateTime<Utc>",
                      ouvert_at AS "ouvert_at?: DateTime<Utc>",
                      repondu_at AS "repondu_at?: DateTime<Utc>",
                      reponse AS "reponse?: String"
               FROM lieux_liens "# + $where + " ORDER BY id" $(, $arg)*
        )
    };
}

/// Implements `maillage_store::corrections::CorrectionsStore` for the backend `$store`.
///
/// The backend provides nothing beyond `begin_write`, `pool` and `DbResult` (see the
/// crate's documentation): every query is portable.
#[macro_export]
macro_rules! corrections_store {
    ($store:ty) => {
        const _: () = {
            use ::chrono::{DateTime, Utc};
            use ::maillage_store::corrections::{
                valider_correction, valider_reponse, CampagneLieuxRow, CorrectionRow,
                LienLieuRow, NewCampagneLieux, NewCorrection, NewLienLieu,
            };
            use ::maillage_store::StoreResult;

            #[::async_trait::async_trait]
            impl ::maillage_store::corrections::CorrectionsStore for $store {
                async fn add_corrections(
                    &self,
                    corrections: Vec<NewCorrection>,
                ) -> StoreResult<Vec<i64>> {
                    for c in &corrections {
                        valider_correction(c)?;
                    }
                    let mut tx = self.begin_write().await?;
                    let mut ids = Vec::with_capacity(corrections.len());
                    for c in &corrections {
                        let id = ::sqlx::query_scalar!(
                            r#"INSERT INTO lieux_corrections (lieu_id, champ, valeur, origine,
                                   auteur_id, auteur, code_insee, created_at)
                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                               RETURNING id AS "id!: i64""#,
                            c.lieu_id,
                            c.champ,
                            c.valeur,
                            c.origine,
                            c.auteur_id,
                            c.auteur,
                            c.code_insee,
                            c.created_at
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        ids.push(id);
                    }
                    tx.commit().await.db()?;
                    Ok(ids)
                }

                async fn corrections_du_lieu(
                    &self,
                    lieu_id: &str,
                ) -> StoreResult<Vec<CorrectionRow>> {
                    $crate::__select_corrections!("WHERE lieu_id = $1", lieu_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn correction(&self, id: i64) -> StoreResult<Option<CorrectionRow>> {
                    $crate::__select_corrections!("WHERE id = $1", id)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn corrections_actives(&self) -> StoreResult<Vec<CorrectionRow>> {
                    $crate::__select_corrections!("WHERE annulee_at IS NULL")
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn annuler_correction(
                    &self,
                    id: i64,
                    par: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let r = ::sqlx::query!(
                        "UPDATE lieux_corrections SET annulee_at = $1, annulee_par = $2
                         WHERE id = $3 AND annulee_at IS NULL",
                        at,
                        par,
                        id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(r.rows_affected() == 1)
                }

                async fn version_corrections(&self) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"SELECT CAST(COUNT(*) + COUNT(annulee_at) AS BIGINT) AS "n!: i64"
                           FROM lieux_corrections"#
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn add_campagne_lieux(&self, c: NewCampagneLieux) -> StoreResult<i64> {
                    ::sqlx::query_scalar!(
                        r#"INSERT INTO lieux_campagnes (nom, territoire, compte_id, cree_par,
                               created_at)
                           VALUES ($1, $2, $3, $4, $5)
                           RETURNING id AS "id!: i64""#,
                        c.nom,
                        c.territoire,
                        c.compte_id,
                        c.cree_par,
                        c.created_at
                    )
                    .fetch_one(&self.pool)
                    .await
                    .db()
                }

                async fn campagnes_lieux(&self) -> StoreResult<Vec<CampagneLieuxRow>> {
                    ::sqlx::query_as!(
                        CampagneLieuxRow,
                        r#"SELECT id AS "id!: i64", nom AS "nom!: String",
                                  territoire AS "territoire!: String",
                                  compte_id AS "compte_id?: i64", cree_par AS "cree_par!: String",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM lieux_campagnes ORDER BY id DESC"#
                    )
                    .fetch_all(&self.pool)
                    .await
                    .db()
                }

                async fn campagne_lieux(&self, id: i64) -> StoreResult<Option<CampagneLieuxRow>> {
                    ::sqlx::query_as!(
                        CampagneLieuxRow,
                        r#"SELECT id AS "id!: i64", nom AS "nom!: String",
                                  territoire AS "territoire!: String",
                                  compte_id AS "compte_id?: i64", cree_par AS "cree_par!: String",
                                  created_at AS "created_at!: DateTime<Utc>"
                           FROM lieux_campagnes WHERE id = $1"#,
                        id
                    )
                    .fetch_optional(&self.pool)
                    .await
                    .db()
                }

                async fn add_liens_lieux(&self, liens: Vec<NewLienLieu>) -> StoreResult<Vec<i64>> {
                    let mut tx = self.begin_write().await?;
                    let mut ids = Vec::with_capacity(liens.len());
                    for l in &liens {
                        let id = ::sqlx::query_scalar!(
                            r#"INSERT INTO lieux_liens (lieu_id, lieu_nom, code_insee,
                                   campagne_id, jeton_hash, courriel, created_at, expire_at)
                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                               RETURNING id AS "id!: i64""#,
                            l.lieu_id,
                            l.lieu_nom,
                            l.code_insee,
                            l.campagne_id,
                            l.jeton_hash,
                            l.courriel,
                            l.created_at,
                            l.expire_at
                        )
                        .fetch_one(&mut *tx)
                        .await
                        .db()?;
                        ids.push(id);
                    }
                    tx.commit().await.db()?;
                    Ok(ids)
                }

                async fn lien_lieu_par_hash(
                    &self,
                    jeton_hash: &str,
                ) -> StoreResult<Option<LienLieuRow>> {
                    $crate::__select_liens_lieux!("WHERE jeton_hash = $1", jeton_hash)
                        .fetch_optional(&self.pool)
                        .await
                        .db()
                }

                async fn ouvrir_lien_lieu(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
                    ::sqlx::query!(
                        "UPDATE lieux_liens SET ouvert_at = $1 WHERE id = $2 AND ouvert_at IS NULL",
                        at,
                        id
                    )
                    .execute(&self.pool)
                    .await
                    .db()?;
                    Ok(())
                }

                async fn repondre_lien_lieu(
                    &self,
                    id: i64,
                    reponse: &str,
                    at: DateTime<Utc>,
                    corrections: Vec<NewCorrection>,
                ) -> StoreResult<bool> {
                    valider_reponse(reponse)?;
                    for c in &corrections {
                        valider_correction(c)?;
                    }
                    let mut tx = self.begin_write().await?;
                    let r = ::sqlx::query!(
                        "UPDATE lieux_liens SET repondu_at = $1, reponse = $2,
                                ouvert_at = COALESCE(ouvert_at, $1)
                         WHERE id = $3 AND repondu_at IS NULL",
                        at,
                        reponse,
                        id
                    )
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    if r.rows_affected() != 1 {
                        tx.rollback().await.db()?;
                        return Ok(false);
                    }
                    for c in &corrections {
                        ::sqlx::query!(
                            r#"INSERT INTO lieux_corrections (lieu_id, champ, valeur, origine,
                                   auteur_id, auteur, code_insee, created_at)
                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
                            c.lieu_id,
                            c.champ,
                            c.valeur,
                            c.origine,
                            c.auteur_id,
                            c.auteur,
                            c.code_insee,
                            c.created_at
                        )
                        .execute(&mut *tx)
                        .await
                        .db()?;
                    }
                    tx.commit().await.db()?;
                    Ok(true)
                }

                async fn liens_de_campagne(
                    &self,
                    campagne_id: i64,
                ) -> StoreResult<Vec<LienLieuRow>> {
                    $crate::__select_liens_lieux!("WHERE campagne_id = $1", campagne_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }

                async fn liens_du_lieu(&self, lieu_id: &str) -> StoreResult<Vec<LienLieuRow>> {
                    $crate::__select_liens_lieux!("WHERE lieu_id = $1", lieu_id)
                        .fetch_all(&self.pool)
                        .await
                        .db()
                }
            }
        };
    };
}
