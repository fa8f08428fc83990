//! Mandats: procedures done on a person's behalf by a habilitated aidant, and the journal
//! nobody can rewrite.
//!
//! - [`demarches`]: the ten scopes of a mandate (Aidants Connect's `DEMARCHES`);
//! - [`mandat`]: durations, the rules deciding whether a use is allowed, refusal reasons;
//! - [`journal`]: the journal's entries, their canonical serialisation, the SHA-256 chain,
//!   the Ed25519-signed seals (checkpoints) and the verification naming the first broken
//!   entry.

pub mod demarches;
/// The journal (shared by every module's stream, see [`crate::journal`]).
pub use crate::journal;
pub mod mandat;

pub use crate::journal::{
    verifier, Action, Chaine, Entree, Flux, NouvelleEntree, RaisonRupture, Rapport, Rupture, Sceau,
    Verificateur, HASH_INITIAL,
};
pub use demarches::{Demarche, DemarcheInconnue};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use mandat::{DureeMandat, EtatAutorisation, MotifRefus, PorteeMandat};
