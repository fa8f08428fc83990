//! Médiation: the daily tool of mediators and coordinators — activity records (CRA),
//! beneficiaries, statistics — over the accounts kernel (`maillage_comptes`: accounts,
//! sessions, structures, teams).
//!
//! [`Mediation`] is the one entry point used by the web pages and the command line. Every
//! use case takes the [`Acteur`] (the signed-in account, from the kernel) and decides here,
//! and only here, what that account may do ([`regles`] and the kernel's `acces`).
//!
//! - [`regles`]: who may read and change records and files;
//! - [`activites`]: activity records;
//! - [`beneficiaires`]: beneficiaries' files, their access log, merge, retention, export;
//! - [`statistiques`]: dashboards and exports;
//! - [`import_coop`]: import of a CRA history exported by La Coop.

pub mod activites;
pub mod beneficiaires;
pub mod import_coop;
pub mod regles;
pub mod statistiques;
#[cfg(feature = "synthetique")]
pub mod synthetique;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use maillage_comptes::Comptes;
use maillage_store::mediation::MediationStore;
use maillage_territoire::Referentiel;

pub use maillage_comptes::{Acteur, Compte, Horloge, HorlogeManuelle, HorlogeSysteme};
/// The stored rows, for the web layer.
pub use maillage_store::mediation as stockage;
pub use regles::DroitsMediation;

/// Settings of the module (environment variables in `maillage_web::Site`).
#[derive(Debug, Clone)]
pub struct Reglages {
    /// Months without activity after which a beneficiary's personal fields are purged.
    pub retention_mois: u32,
}

impl Default for Reglages {
    fn default() -> Self {
        Reglages { retention_mois: 24 }
    }
}

/// Médiation answers with the kernel's errors (not signed in, forbidden, not found, a
/// field at fault): it has none of its own.
pub type ErreurMediation = maillage_comptes::ErreurComptes;

pub type Resultat<T> = Result<T, ErreurMediation>;

/// The Médiation module of one instance.
#[derive(Clone)]
pub struct Mediation {
    comptes: Comptes,
    store: Arc<dyn MediationStore>,
    reglages: Reglages,
}

impl Mediation {
    pub fn new(comptes: Comptes, store: Arc<dyn MediationStore>) -> Self {
        Mediation {
            comptes,
            store,
            reglages: Reglages::default(),
        }
    }

    /// The same module over other accounts (another clock or other settings).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    pub fn avec_reglages(mut self, reglages: Reglages) -> Self {
        self.reglages = reglages;
        self
    }

    /// The accounts kernel this module asks.
    pub fn comptes(&self) -> &Comptes {
        &self.comptes
    }

    /// Médiation's own tables (tests and benchmarks; pages and commands ask use cases).
    pub fn store(&self) -> &Arc<dyn MediationStore> {
        &self.store
    }

    pub fn reglages(&self) -> &Reglages {
        &self.reglages
    }

    /// The territorial referential (the kernel's).
    pub fn referentiel(&self) -> &'static Referentiel {
        self.comptes.referentiel()
    }

    pub fn maintenant(&self) -> DateTime<Utc> {
        self.comptes.maintenant()
    }

    /// Today in France (dates of activity records are French dates).
    pub fn aujourdhui(&self) -> NaiveDate {
        self.comptes.aujourdhui()
    }

    /// The daily jobs: purge beneficiaries without activity for the retention period, then
    /// the accounts' jobs (dormant accounts, old sign-in attempts:
    /// [`Comptes::taches_quotidiennes`]). Returns (purged files, deactivated accounts).
    pub async fn taches_quotidiennes(&self) -> Resultat<(u64, u64)> {
        let now = self.maintenant();
        let purge_avant = now
            .checked_sub_months(chrono::Months::new(self.reglages.retention_mois))
            .unwrap_or(now);
        let purges = self.store.purge_beneficiaires(purge_avant, now).await?;
        if purges > 0 {
            tracing::info!(purges, "daily médiation jobs");
        }
        let desactives = self.comptes.taches_quotidiennes().await?;
        Ok((purges, desactives))
    }
}

/// Runs [`Mediation::taches_quotidiennes`] now and then every `periode`, once per period
/// across the instance's nodes.
pub fn planifier_taches(mediation: Mediation, periode: std::time::Duration) {
    let comptes = mediation.comptes().clone();
    maillage_comptes::taches::planifier(comptes, "mediation", periode, move || {
        let mediation = mediation.clone();
        async move { mediation.taches_quotidiennes().await.map(|_| ()) }
    });
}
