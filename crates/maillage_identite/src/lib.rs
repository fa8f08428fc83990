//! Identity verification of a person (usager) when an aidant signs a mandate on their behalf.
//!
//! Two methods:
//! - the aidant saw an identity document: [`declaration`];
//! - an OpenID Connect provider (FranceConnect) authenticated the person: a
//!   [`FournisseurIdentite`], implemented by [`Oidc`].
//!
//! User-facing messages ([`ErreurIdentite`]'s `Display`) are in French; technical details go to
//! `tracing` logs.

mod erreur;
mod fournisseur;
mod identite;
mod oidc;

pub use erreur::{ErreurIdentite, Etape};
pub use fournisseur::{DemandeAutorisation, FournisseurIdentite, DUREE_VALIDITE_DEMANDE};
pub use identite::{
    declaration, declaration_au, lire_date_naissance, IdentiteVerifiee, Methode, PieceIdentite,
    LONGUEUR_MAX,
};
pub use oidc::{ConfigOidc, Oidc};
