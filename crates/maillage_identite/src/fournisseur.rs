//! The pluggable identity provider and its pending authorization request.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::{ErreurIdentite, IdentiteVerifiee};

/// How long a [`DemandeAutorisation`] stays usable: the person may need time to log in at the
/// provider (password forgotten, code received by SMS…).
pub const DUREE_VALIDITE_DEMANDE: TimeDelta = TimeDelta::minutes(30);

/// A remote identity provider (FranceConnect or any OpenID Connect provider).
///
/// The flow is: [`demarrer`](Self::demarrer), keep the returned [`DemandeAutorisation`]
/// server-side, redirect the browser to its `url`; on the callback, call
/// [`terminer`](Self::terminer) with the kept request and the `code` and `state` query
/// parameters, then forget the request (it is single use).
#[async_trait]
pub trait FournisseurIdentite: Send + Sync {
    /// Short stable identifier (`franceconnect`), usable in a URL.
    fn identifiant(&self) -> &str;

    /// Name shown to people ("FranceConnect").
    fn libelle(&self) -> &str;

    /// Starts a verification: authorization URL and the secrets the caller keeps server-side.
    fn demarrer(&self) -> Result<DemandeAutorisation, ErreurIdentite>;

    /// Ends a verification from the callback's `code` and `state` parameters.
    async fn terminer(
        &self,
        demande: &DemandeAutorisation,
        code: &str,
        state: &str,
    ) -> Result<IdentiteVerifiee, ErreurIdentite>;
}

/// A started verification. `state`, `nonce` and `code_verifier` are secrets: keep the whole
/// value server-side (session row, database), never in a readable cookie or a page.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandeAutorisation {
    /// [`FournisseurIdentite::identifiant`] of the provider that made it.
    pub fournisseur: String,
    /// Where to redirect the browser.
    pub url: String,
    /// Anti-CSRF value, sent back by the provider on the callback.
    pub state: String,
    /// Value the id_token must carry (replay protection).
    pub nonce: String,
    /// PKCE secret, sent only to the token endpoint.
    pub code_verifier: String,
    /// When it was made; refused after [`DUREE_VALIDITE_DEMANDE`].
    pub creee_le: DateTime<Utc>,
}

impl DemandeAutorisation {
    /// Whether the request is older than [`DUREE_VALIDITE_DEMANDE`] at `maintenant`.
    pub fn est_expiree(&self, maintenant: DateTime<Utc>) -> bool {
        maintenant - self.creee_le > DUREE_VALIDITE_DEMANDE
    }
}

impl fmt::Debug for DemandeAutorisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemandeAutorisation")
            .field("fournisseur", &self.fournisseur)
            .field("creee_le", &self.creee_le)
            .finish_non_exhaustive()
    }
}
