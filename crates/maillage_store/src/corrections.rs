//! Storage of the corrections of published places and of the places' own updates:
//!
//! - `lieux_corrections`: field-level overrides of a published place, keyed by its published
//!   id, each with its origin (`coordination`: a coordinator's edit; `lieu`: the place's own
//!   answer), author, time, and revocation. Nothing is deleted: undoing one sets
//!   `annulee_at` / `annulee_par` (the history keeps both events).
//! - `lieux_campagnes`: a coordinator's campaign asking the places of a territory to check
//!   their entry.
//! - `lieux_liens`: the personal links sent to the places (only the SHA-256 of their random
//!   token is kept), with when each was opened and answered. A link is answered once: the
//!   answer and its corrections are written in one transaction that fails on a link already
//!   answered.
//!
//! The directory module (`maillage_annuaire::corrections`) decides who may write what and
//! applies the overrides when the directory is merged; the store keeps what it is given.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// Origin of a coordinator's edit.
pub const ORIGINE_COORDINATION: &str = "coordination";
/// Origin of the place's own answer.
pub const ORIGINE_LIEU: &str = "lieu";
/// A link's answer: « Tout est juste ».
pub const REPONSE_CONFIRME: &str = "confirme";
/// A link's answer with corrections.
pub const REPONSE_CORRIGE: &str = "corrige";

/// A field-level override to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCorrection {
    /// The published place's id.
    pub lieu_id: String,
    /// A schema field (`telephone`, `horaires`…) or `retrait` (the place leaves the public
    /// directory).
    pub champ: String,
    /// The field's value as written in the schema's CSV.
    pub valeur: String,
    /// [`ORIGINE_COORDINATION`] or [`ORIGINE_LIEU`].
    pub origine: String,
    /// The coordinator's account, for an edit.
    pub auteur_id: Option<i64>,
    /// The account's name, or the place's name.
    pub auteur: String,
    /// The place's commune when written (territory of the coordinators who may see it).
    pub code_insee: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A stored [`NewCorrection`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectionRow {
    pub id: i64,
    pub lieu_id: String,
    pub champ: String,
    pub valeur: String,
    pub origine: String,
    pub auteur_id: Option<i64>,
    pub auteur: String,
    pub code_insee: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was undone, and by whom.
    pub annulee_at: Option<DateTime<Utc>>,
    pub annulee_par: Option<String>,
}

/// A campaign to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCampagneLieux {
    pub nom: String,
    /// The territory's code (`dep:31`, `commune:31555`…).
    pub territoire: String,
    pub compte_id: Option<i64>,
    pub cree_par: String,
    pub created_at: DateTime<Utc>,
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampagneLieuxRow {
    pub id: i64,
    pub nom: String,
    pub territoire: String,
    pub compte_id: Option<i64>,
    pub cree_par: String,
    pub created_at: DateTime<Utc>,
}

/// A personal link to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLienLieu {
    pub lieu_id: String,
    pub lieu_nom: String,
    pub code_insee: Option<String>,
    pub campagne_id: Option<i64>,
    /// Hex SHA-256 of the token (the token itself is never stored).
    pub jeton_hash: String,
    /// The address it was sent to; `None` for a printed letter.
    pub courriel: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expire_at: DateTime<Utc>,
}

/// A stored link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LienLieuRow {
    pub id: i64,
    pub lieu_id: String,
    pub lieu_nom: String,
    pub code_insee: Option<String>,
    pub campagne_id: Option<i64>,
    pub courriel: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expire_at: DateTime<Utc>,
    pub ouvert_at: Option<DateTime<Utc>>,
    pub repondu_at: Option<DateTime<Utc>>,
    /// [`REPONSE_CONFIRME`] or [`REPONSE_CORRIGE`].
    pub reponse: Option<String>,
}

/// Checks a correction before it is written.
pub fn valider_correction(c: &NewCorrection) -> StoreResult<()> {
    if c.lieu_id.trim().is_empty() || c.champ.trim().is_empty() {
        return Err(StoreError::Invalid(
            "correction sans lieu ou sans champ".into(),
        ));
    }
    if c.origine != ORIGINE_COORDINATION && c.origine != ORIGINE_LIEU {
        return Err(StoreError::Invalid(format!(
            "origine de correction inconnue : {}",
            c.origine
        )));
    }
    Ok(())
}

/// Checks a link's answer before it is written.
pub fn valider_reponse(reponse: &str) -> StoreResult<()> {
    if reponse != REPONSE_CONFIRME && reponse != REPONSE_CORRIGE {
        return Err(StoreError::Invalid(format!("réponse inconnue : {reponse}")));
    }
    Ok(())
}

#[async_trait]
pub trait CorrectionsStore: Send + Sync {
    /// Writes corrections in one transaction (all or none); their ids in input order.
    async fn add_corrections(&self, corrections: Vec<NewCorrection>) -> StoreResult<Vec<i64>>;

    /// Every correction of a place, undone ones included, oldest first.
    async fn corrections_du_lieu(&self, lieu_id: &str) -> StoreResult<Vec<CorrectionRow>>;

    /// One correction.
    async fn correction(&self, id: i64) -> StoreResult<Option<CorrectionRow>>;

    /// The corrections not undone, of every place, oldest first.
    async fn corrections_actives(&self) -> StoreResult<Vec<CorrectionRow>>;

    /// Undoes a correction; `false` when it does not exist or was already undone.
    async fn annuler_correction(&self, id: i64, par: &str, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Grows with every correction written or undone (tells a server the directory
    /// changed).
    async fn version_corrections(&self) -> StoreResult<i64>;

    async fn add_campagne_lieux(&self, campagne: NewCampagneLieux) -> StoreResult<i64>;

    /// Every campaign, newest first.
    async fn campagnes_lieux(&self) -> StoreResult<Vec<CampagneLieuxRow>>;

    async fn campagne_lieux(&self, id: i64) -> StoreResult<Option<CampagneLieuxRow>>;

    /// Writes links in one transaction; their ids in input order. A token hash already
    /// stored is refused (`Conflict`).
    async fn add_liens_lieux(&self, liens: Vec<NewLienLieu>) -> StoreResult<Vec<i64>>;

    async fn lien_lieu_par_hash(&self, jeton_hash: &str) -> StoreResult<Option<LienLieuRow>>;

    /// Notes the first opening of a link (a later one changes nothing).
    async fn ouvrir_lien_lieu(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;

    /// Records a link's answer and its corrections in one transaction; `false` (nothing
    /// written) when the link does not exist or was already answered.
    async fn repondre_lien_lieu(
        &self,
        id: i64,
        reponse: &str,
        at: DateTime<Utc>,
        corrections: Vec<NewCorrection>,
    ) -> StoreResult<bool>;

    /// The links of a campaign, oldest first.
    async fn liens_de_campagne(&self, campagne_id: i64) -> StoreResult<Vec<LienLieuRow>>;

    /// The links sent to one place, oldest first.
    async fn liens_du_lieu(&self, lieu_id: &str) -> StoreResult<Vec<LienLieuRow>>;
}
