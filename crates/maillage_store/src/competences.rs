//! Storage of the Compétences module: assessment results (`competences_resultats`, one row
//! per assessment, with its per-domain estimates in `competences_domaines`), the anonymised
//! answers kept for recalibration (`competences_reponses`), and the calibration versions
//! with their item parameters (`competences_calibrations`, `competences_parametres`).
//!
//! A result is stored only by an explicit choice of the person (« Enregistrer mon
//! résultat ») or when a mediator records it with a beneficiary's consent; the module's use
//! cases decide that, the store keeps what it is given.
//!
//! Anonymised answers are not linked to the result they come from: they carry a random
//! `passation` key drawn by the use case (so that calibration groups the answers of one
//! assessment) and nothing else about the person, and are written in the same transaction
//! as the result.
//!
//! Results never change once written: they keep the calibration version they were scored
//! with and their stored estimates, whatever calibration is added later.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// One domain's estimate in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomaineResultatRow {
    /// CRCN domain code (`1` … `5`).
    pub domaine: String,
    /// Ability estimate (logits, posterior mean).
    pub theta: f64,
    /// Its standard error (posterior standard deviation).
    pub ecart: f64,
    /// Band code: `debutant`, `a_l_aise`, `autonome`, `au_dela`.
    pub bande: String,
    /// Questions asked in the domain.
    pub questions: i64,
}

/// One anonymised answer (what recalibration needs and nothing else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReponseAnonymeRow {
    /// Random key shared by the answers of one assessment, not linked to its result.
    pub passation: String,
    /// Item id (`e2.1-3`).
    pub item: String,
    /// One-character answer code (`f`, `a`, `n`, `i`, `0`–`9`, `x`).
    pub reponse: String,
    /// The calibration version the answer was scored with.
    pub calibration: i64,
}

/// A result to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResultatCompetences {
    pub calibration: i64,
    pub questions: i64,
    /// INSEE code of the commune given by the person, if any.
    pub commune: Option<String>,
    /// Médiation's beneficiary the result is attached to (mediator path).
    pub beneficiaire_id: Option<i64>,
    /// The person's key (« Mon espace »), wired by the lead.
    pub personne_id: Option<i64>,
    /// The mediator who ran the assessment, and the structure they acted for.
    pub mediateur_id: Option<i64>,
    pub structure_id: Option<i64>,
    /// The consent wording the person agreed to, as shown.
    pub consentement: Option<String>,
    pub created_at: DateTime<Utc>,
    pub domaines: Vec<DomaineResultatRow>,
    /// The anonymised answers, written in the same transaction (all with one `passation`).
    pub reponses: Vec<ReponseAnonymeRow>,
}

/// A stored result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultatCompetencesRow {
    pub id: i64,
    pub calibration: i64,
    pub questions: i64,
    pub commune: Option<String>,
    pub beneficiaire_id: Option<i64>,
    pub personne_id: Option<i64>,
    pub mediateur_id: Option<i64>,
    pub structure_id: Option<i64>,
    pub consentement: Option<String>,
    pub created_at: DateTime<Utc>,
    /// In domain code order.
    pub domaines: Vec<DomaineResultatRow>,
}

/// One item's parameters in a calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParametreItemRow {
    pub item: String,
    pub difficulte: f64,
    pub discrimination: f64,
}

/// A calibration version with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    pub version: i64,
    pub methode: String,
    pub created_at: DateTime<Utc>,
    /// Sorted by item id.
    pub parametres: Vec<ParametreItemRow>,
}

/// One cell of the aggregates: results of a commune in a domain and band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CelluleAgregat {
    pub commune: String,
    pub domaine: String,
    pub bande: String,
    pub nombre: i64,
}

/// The band codes a domain's estimate may have.
pub const BANDES: [&str; 4] = ["debutant", "a_l_aise", "autonome", "au_dela"];

/// Checks a result before anything is written.
pub fn valider_resultat(r: &NewResultatCompetences) -> StoreResult<()> {
    if r.domaines.is_empty() {
        return Err(StoreError::Invalid("a result needs its domains".into()));
    }
    for d in &r.domaines {
        if !BANDES.contains(&d.bande.as_str()) {
            return Err(StoreError::Invalid(format!("unknown band {}", d.bande)));
        }
        if !(d.theta.is_finite() && d.ecart.is_finite()) {
            return Err(StoreError::Invalid("estimates must be finite".into()));
        }
    }
    if let Some(p) = r.reponses.first() {
        if r.reponses.iter().any(|x| x.passation != p.passation) {
            return Err(StoreError::Invalid(
                "the answers of a result share one passation key".into(),
            ));
        }
    }
    Ok(())
}

/// Checks a calibration before anything is written.
pub fn valider_calibration(c: &CalibrationRow) -> StoreResult<()> {
    if c.version < 1 {
        return Err(StoreError::Invalid("a version is 1 or more".into()));
    }
    if c.parametres
        .iter()
        .any(|p| !(p.difficulte.is_finite() && p.discrimination > 0.0))
    {
        return Err(StoreError::Invalid("invalid item parameters".into()));
    }
    Ok(())
}

#[async_trait]
pub trait CompetencesStore: Send + Sync {
    /// Stores a result, its domains and its anonymised answers in one transaction.
    async fn create_resultat_competences(&self, r: &NewResultatCompetences) -> StoreResult<i64>;

    async fn resultat_competences(&self, id: i64) -> StoreResult<Option<ResultatCompetencesRow>>;

    /// A beneficiary's results, oldest first.
    async fn resultats_du_beneficiaire(
        &self,
        beneficiaire_id: i64,
    ) -> StoreResult<Vec<ResultatCompetencesRow>>;

    /// Moves the results of the file `absorbe` to the file `garde` once Médiation has
    /// merged the two (the assessments follow the person's file). Returns how many moved.
    async fn deplacer_resultats_beneficiaire(&self, absorbe: i64, garde: i64) -> StoreResult<u64>;

    /// The results under a person's key (« Mon espace »), oldest first.
    async fn resultats_de_personne(
        &self,
        personne_id: i64,
    ) -> StoreResult<Vec<ResultatCompetencesRow>>;

    /// Every result attached to a beneficiary, oldest first (the impact indicator; the
    /// use case keeps those the reader may see).
    async fn resultats_avec_beneficiaire(&self) -> StoreResult<Vec<ResultatCompetencesRow>>;

    /// Counts of results with a commune, per commune, domain and band.
    async fn agregats_competences(&self) -> StoreResult<Vec<CelluleAgregat>>;

    /// Every anonymised answer, in the order written.
    async fn reponses_anonymes(&self) -> StoreResult<Vec<ReponseAnonymeRow>>;

    /// Adds a calibration version; `Conflict` if the version exists.
    async fn create_calibration(&self, c: &CalibrationRow) -> StoreResult<()>;

    /// Every stored calibration, oldest first (the bundled one is not stored).
    async fn calibrations(&self) -> StoreResult<Vec<CalibrationRow>>;
}
