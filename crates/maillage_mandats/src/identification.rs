//! The identity step through a provider (OpenID Connect, e.g. FranceConnect), as an
//! alternative to the identity document seen by the aidant.
//!
//! The provider is pluggable ([`maillage_identite::FournisseurIdentite`]). The pending
//! authorization request (state, nonce, PKCE verifier) and the identity it returns are kept
//! server-side, in memory, per aidant account, for 30 minutes, and used once: the browser
//! only carries the provider's `code` and `state`. (One application node: with several
//! nodes, the provider's callback must reach the node that started the request.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use maillage_identite::{DemandeAutorisation, FournisseurIdentite, IdentiteVerifiee, Methode};

use super::{ErreurMandat, Identite, Mandats, Resultat};
use maillage_comptes::Acteur;
use maillage_domain::CompteId;

/// How long a verified identity waits for the mandate to be signed.
const VALIDITE: i64 = 30;

#[derive(Default)]
pub(crate) struct EnCours {
    demandes: Mutex<HashMap<CompteId, DemandeAutorisation>>,
    verifiees: Mutex<HashMap<CompteId, (Identite, DateTime<Utc>)>>,
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

    /// Starts a verification: returns the provider's URL to send the browser to.
    pub async fn demarrer_identification(&self, acteur: &Acteur) -> Resultat<String> {
        self.exiger_habilite(acteur).await?;
        let f = self.fournisseur.as_ref().ok_or_else(|| {
            erreur("aucun fournisseur d’identité n’est configuré sur cette instance")
        })?;
        let demande = f.demarrer().map_err(erreur)?;
        let url = demande.url.clone();
        if let Ok(mut d) = self.en_cours.demandes.lock() {
            d.insert(acteur.id(), demande);
        }
        Ok(url)
    }

    /// The provider's callback: checks it against the pending request (used once) and keeps
    /// the verified identity for the mandate about to be signed.
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
        let demande = self
            .en_cours
            .demandes
            .lock()
            .ok()
            .and_then(|mut d| d.remove(&acteur.id()))
            .ok_or_else(|| erreur("aucune vérification en cours : recommencez"))?;
        let verifiee = f.terminer(&demande, code, state).await.map_err(erreur)?;
        let identite = depuis_verifiee(verifiee);
        if let Ok(mut v) = self.en_cours.verifiees.lock() {
            v.insert(acteur.id(), (identite.clone(), self.maintenant()));
        }
        Ok(identite)
    }

    /// The identity verified by the provider for this aidant, still waiting (30 min).
    pub fn identite_verifiee(&self, acteur: &Acteur) -> Option<Identite> {
        let now = self.maintenant();
        self.en_cours
            .verifiees
            .lock()
            .ok()?
            .get(&acteur.id())
            .filter(|(_, t)| now - *t < Duration::minutes(VALIDITE))
            .map(|(i, _)| i.clone())
    }

    /// Takes it (a verified identity signs one mandate).
    pub(crate) fn prendre_identite_verifiee(&self, acteur: &Acteur) -> Option<Identite> {
        let i = self.identite_verifiee(acteur);
        if let Ok(mut v) = self.en_cours.verifiees.lock() {
            v.remove(&acteur.id());
        }
        i
    }
}
