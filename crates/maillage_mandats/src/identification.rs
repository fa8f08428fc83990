//! The identity step through a provider (OpenID Connect, e.g. FranceConnect), as an
//! alternative to the identity document seen by the aidant.
//!
//! The provider is pluggable ([`maillage_identite::FournisseurIdentite`]). The pending
//! authorization request (state, nonce, PKCE verifier) and the identity it returns are kept
//! server-side, in the database (`MandatsStore::put_identification`), per aidant account,
//! for 30 minutes, and used once (taken with one `DELETE … RETURNING`): the browser only
//! carries the provider's `code` and `state`, and the callback may reach any node of the
//! instance. The hourly job forgets what is older ([`Mandats::taches`]).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use maillage_identite::{DemandeAutorisation, FournisseurIdentite, IdentiteVerifiee, Methode};
use maillage_store::mandats::NatureIdentification;

use super::{ErreurMandat, Identite, Mandats, Resultat};
use maillage_comptes::Acteur;

/// How long a verified identity waits for the mandate to be signed (minutes).
const VALIDITE: i64 = 30;

/// Rows older than this are forgotten by the hourly job (both natures are valid 30 min).
pub(crate) fn purge_avant(maintenant: DateTime<Utc>) -> DateTime<Utc> {
    maintenant
        - Duration::minutes(VALIDITE.max(maillage_identite::DUREE_VALIDITE_DEMANDE.num_minutes()))
}

fn erreur(e: impl std::fmt::Display) -> ErreurMandat {
    ErreurMandat::invalide("identité", e.to_string())
}

/// The app's identity from a provider's.
pub fn depuis_verifiee(v: IdentiteVerifiee) -> Identite {
    Identite {
        nom: v.nom,
        prenoms: v.prenoms,
        date_naissance: v.date_naissance,
        verification: match v.methode {
            Methode::Oidc { fournisseur, .. } => format!("oidc:{fournisseur}"),
            Methode::Document { piece } => format!("document:{}", piece.code()),
        },
    }
}

impl Mandats {
    /// Plugs an identity provider in.
    pub fn avec_fournisseur(mut self, fournisseur: Arc<dyn FournisseurIdentite>) -> Self {
        self.fournisseur = Some(fournisseur);
        self
    }

    /// The provider's name for people (« FranceConnect »), if one is configured.
    pub fn fournisseur_libelle(&self) -> Option<String> {
        self.fournisseur.as_ref().map(|f| f.libelle().to_string())
    }

    /// Starts a verification: returns the provider's URL to send the browser to. The
    /// pending request replaces any other of this aidant.
    pub async fn demarrer_identification(&self, acteur: &Acteur) -> Resultat<String> {
        self.exiger_habilite(acteur).await?;
        let f = self.fournisseur.as_ref().ok_or_else(|| {
            erreur("aucun fournisseur d’identité n’est configuré sur cette instance")
        })?;
        let demande = f.demarrer().map_err(erreur)?;
        let url = demande.url.clone();
        let donnees =
            serde_json::to_string(&demande).map_err(|e| ErreurMandat::Interne(e.to_string()))?;
        self.store
            .put_identification(
                acteur.id().get(),
                NatureIdentification::Demande,
                &donnees,
                self.maintenant(),
            )
            .await?;
        Ok(url)
    }

    /// The provider's callback: checks it against the pending request (used once, taken
    /// atomically: on any node) and keeps the verified identity for the mandate about to be
    /// signed.
    pub async fn terminer_identification(
        &self,
        acteur: &Acteur,
        code: &str,
        state: &str,
    ) -> Resultat<Identite> {
        self.exiger_habilite(acteur).await?;
        let f = self
            .fournisseur
            .as_ref()
            .ok_or_else(|| erreur("aucun fournisseur d’identité n’est configuré"))?;
        let recommencer = || erreur("aucune vérification en cours : recommencez");
        let (donnees, _) = self
            .store
            .take_identification(acteur.id().get(), NatureIdentification::Demande)
            .await?
            .ok_or_else(recommencer)?;
        let demande: DemandeAutorisation = serde_json::from_str(&donnees).map_err(|e| {
            tracing::error!("unreadable pending identity request: {e}");
            recommencer()
        })?;
        let verifiee = f.terminer(&demande, code, state).await.map_err(erreur)?;
        let identite = depuis_verifiee(verifiee);
        let donnees =
            serde_json::to_string(&identite).map_err(|e| ErreurMandat::Interne(e.to_string()))?;
        self.store
            .put_identification(
                acteur.id().get(),
                NatureIdentification::Verifiee,
                &donnees,
                self.maintenant(),
            )
            .await?;
        Ok(identite)
    }

    fn encore_valide(&self, ligne: Option<(String, DateTime<Utc>)>) -> Option<Identite> {
        let now = self.maintenant();
        ligne
            .filter(|(_, t)| now - *t < Duration::minutes(VALIDITE))
            .and_then(|(d, _)| serde_json::from_str(&d).ok())
    }

    /// The identity verified by the provider for this aidant, still waiting (30 min).
    pub async fn identite_verifiee(&self, acteur: &Acteur) -> Resultat<Option<Identite>> {
        let ligne = self
            .store
            .identification(acteur.id().get(), NatureIdentification::Verifiee)
            .await?;
        Ok(self.encore_valide(ligne))
    }

    /// Takes it (a verified identity signs one mandate): `None` if it is gone (taken by
    /// another signature, or expired).
    pub(crate) async fn prendre_identite_verifiee(
        &self,
        acteur: &Acteur,
    ) -> Resultat<Option<Identite>> {
        let ligne = self
            .store
            .take_identification(acteur.id().get(), NatureIdentification::Verifiee)
            .await?;
        Ok(self.encore_valide(ligne))
    }
}
