//! Compétences: « connaître son niveau » without an account, and the way from each gap to
//! help near home.
//!
//! - [`referentiel`]: the CRCN framework (5 domains, 16 competences; both wordings of 4.3),
//!   each competence with a plain-French description and its crosswalk to the services of
//!   the places schema, the Coop's thématiques and the Aidants Connect démarches;
//! - [`banque`]: the item bank (can-do statements and short practical questions), each item
//!   with its CRCN level, difficulty, discrimination and calibration version;
//! - [`modele`]: the response model (graded response for statements, 3-parameter logistic
//!   with a fixed guessing rate for practical items) over a grid of abilities;
//! - [`evaluation`]: the adaptive self-assessment (which question next, when to stop, the
//!   result per domain as a band with its confidence), as a pure state that can travel in
//!   a page;
//! - [`calibration`]: re-estimating the items' difficulties from collected answers (1PL
//!   location by marginal maximum likelihood, EM over the grid) into a new version, past
//!   results keeping the version they were scored with;
//! - `simulation` (feature `simulation`): people with known levels answering by the model.
//!
//! - [`resultats`]: the use cases over the store (`maillage_store::CompetencesStore`):
//!   storing a result by the person's explicit choice or by a mediator with a
//!   beneficiary's consent, history and progress, the impact indicator, the coordinators'
//!   anonymous aggregates, recalibration into a new version.
//!
//! The bundled data is embedded (`data/competences/`); the stored results and
//! calibrations are reached through the store trait only (never a driver).

pub mod banque;
pub mod calibration;
pub mod evaluation;
pub mod modele;
pub mod quiz;
pub mod referentiel;
pub mod resultats;
#[cfg(feature = "simulation")]
pub mod simulation;

pub use banque::{Banque, Genre, Item, Reponse};
pub use evaluation::{Bande, Evaluation, Resultat, ResultatDomaine};
pub use referentiel::{Competence, Domaine, Referentiel};
pub use resultats::Competences;

/// What can be wrong with the bundled data, a calibration or a travelling state.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ErreurCompetences {
    /// The bundled data does not hold together (a bug of the data, caught by the tests).
    #[error("données des compétences invalides : {0}")]
    Donnees(String),
    /// A state or an answer that does not come from this bank (an old or altered page).
    #[error("réponse non reconnue : {0}")]
    Reponse(String),
    /// An unknown calibration version.
    #[error("version d'étalonnage inconnue : {0}")]
    Calibration(u32),
}
