//! Pure types and rules of Maillage: no I/O, no async.
//!
//! - [`lieu`]: the place model of the national schema v1.0.2 (all 32 fields);
//! - [`enums`]: every enumeration of that schema as a Rust type;
//! - [`ids`]: `CompteId`, `StructureId`, `LieuActiviteId`, `MandatId`, typed ids of rows that
//!   cannot be swapped for one another;
//! - [`identifiants`]: `CodeInsee`, `CodePostal`, `Siret` (with Luhn check), `Rna`, `Pivot`;
//! - [`telephone`]: phone numbers normalised to the schema's `+33…` form;
//! - [`horaires`]: OSM opening hours, kept raw when they do not parse;
//! - [`texte`]: text normalisation used for matching;
//! - [`mediation`]: activity records, beneficiaries and statistics counters;
//! - [`mandats`]: démarches, mandate rules, and the chained, sealed journal.

#[macro_use]
mod vocabulary;

pub mod alea;
pub mod enums;
pub mod horaires;
pub mod identifiants;
pub mod ids;
pub mod journal;
pub mod lieu;
pub mod mandats;
pub mod mediation;
pub mod telephone;
pub mod texte;

pub use enums::*;
pub use horaires::Horaires;
pub use identifiants::{CodeInsee, CodePostal, Pivot, Rna, Siret};
pub use ids::{CompteId, LieuActiviteId, MandatId, StructureId};
pub use lieu::{Lieu, Localisation};
pub use telephone::Telephone;
pub use vocabulary::Vocabulary;
