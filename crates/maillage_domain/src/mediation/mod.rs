//! Médiation: activity records (CRA) of mediators, their beneficiaries, and the
//! statistics counters, with the vocabularies of La Coop de la médiation numérique.
//!
//! - [`referentiels`]: the Coop's closed lists (thématiques, matériel, tranches d'âge…);
//! - [`cra`]: an activity record and its rules;
//! - [`beneficiaire`]: a beneficiary's file;
//! - [`statistiques`]: the counters a record adds to the dashboards.

pub mod beneficiaire;
pub mod cra;
pub mod referentiels;
pub mod statistiques;

pub use beneficiaire::{Beneficiaire, BeneficiaireInvalide};
pub use cra::{duree_lisible, Cra, CraInvalide, GroupeAnonyme, DUREES_PROPOSEES};
pub use referentiels::*;
pub use statistiques::{Compteurs, Dimension, ProfilParticipant, NB_COMPTEURS};
