//! One Maillage instance: the directory, Médiation and Mandats built once over one store.
//!
//! The binary (`maillage_cli`) is the composition root: it opens the store named by the
//! configuration (`maillage_stockage::ouvrir_store`), loads the journal key, and builds the
//! [`Instance`] the web server and the commands share. This crate links no database driver.
//!
//! Every module is built from the same store; replacing a module (a fake clock for
//! Médiation, other settings for Mandats) keeps the others consistent, in any order:
//! [`Instance::avec_mediation`] also gives the new Médiation to Mandats.

use std::sync::Arc;

use maillage_app::annuaire::Annuaire;
use maillage_domain::mandats::SigningKey;
use maillage_mandats::Mandats;
use maillage_mediation::Mediation;
use maillage_store::{LieuxStore, MediationStore, Store};

/// What an instance cannot give; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurInstance {
    #[error(
        "le module Mandats n’est pas activé (clé du journal absente : voir maillage journal cle)"
    )]
    MandatsInactif,
}

/// Every module of one instance, over one store.
#[derive(Clone)]
pub struct Instance {
    store: Arc<dyn Store>,
    annuaire: Annuaire,
    mediation: Mediation,
    /// Present once the instance's journal key is given.
    mandats: Option<Mandats>,
}

impl Instance {
    /// The directory and Médiation over `store`; Mandats waits for the journal key
    /// ([`Instance::avec_cle_journal`]).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            annuaire: Annuaire::new(Arc::clone(&store) as Arc<dyn LieuxStore>),
            mediation: Mediation::new(Arc::clone(&store) as Arc<dyn MediationStore>),
            mandats: None,
            store,
        }
    }

    /// Replaces the Médiation module (a fake clock or other settings); Mandats, if enabled,
    /// uses the new one too.
    pub fn avec_mediation(mut self, mediation: Mediation) -> Self {
        self.mandats = self
            .mandats
            .take()
            .map(|m| m.avec_mediation(Some(mediation.clone())));
        self.mediation = mediation;
        self
    }

    /// Enables Mandats with the instance's journal key (see
    /// [`maillage_mandats::cle::charger_ou_creer`]), on the current Médiation.
    pub fn avec_cle_journal(mut self, cle: SigningKey) -> Self {
        self.mandats = Some(Mandats::new(
            Arc::clone(&self.store),
            self.mediation.clone(),
            cle,
        ));
        self
    }

    /// Replaces the Mandats module (other settings, an identity provider).
    pub fn avec_mandats(mut self, mandats: Mandats) -> Self {
        self.mandats = Some(mandats);
        self
    }

    /// The directory of places.
    pub fn annuaire(&self) -> &Annuaire {
        &self.annuaire
    }

    /// The Médiation module.
    pub fn mediation(&self) -> &Mediation {
        &self.mediation
    }

    /// The Mandats module, when the journal key is loaded.
    pub fn mandats(&self) -> Result<&Mandats, ErreurInstance> {
        self.mandats.as_ref().ok_or(ErreurInstance::MandatsInactif)
    }

    /// The whole store (the journal can be read without the Mandats module, e.g. to verify
    /// it with a public key only).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
