//! Médiation: the daily tool of mediators and coordinators — accounts with a second factor,
//! structures and places of activity, activity records (CRA), beneficiaries, statistics.
//!
//! [`Mediation`] is the one entry point used by the web pages and the command line. Every
//! use case takes the [`Acteur`] (the signed-in account) and decides here, and only here,
//! what that account may do ([`acces`]).
//!
//! - [`securite`]: password hashing, TOTP, tokens, recovery codes;
//! - [`comptes`]: sign-in, second factor, sessions, invitations, dormant accounts;
//! - [`acces`]: the signed-in actor and the permission rules;
//! - [`rattachements`]: members of structures (with dates), the structure one acts for;
//! - [`activites`]: activity records;
//! - [`beneficiaires`]: beneficiaries' files, their access log, merge, retention, export;
//! - [`statistiques`]: dashboards and exports;
//! - [`import_coop`]: import of a CRA history exported by La Coop.

pub mod acces;
pub mod activites;
pub mod beneficiaires;
pub mod comptes;
pub mod courrier;
pub mod import_coop;
pub mod limitation;
pub mod rattachements;
pub mod securite;
pub mod statistiques;
#[cfg(feature = "synthetique")]
pub mod synthetique;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use maillage_store::mediation::MediationStore;
use maillage_store::StoreError;
use maillage_territoire::Referentiel;

pub use acces::{Acteur, Compte};
/// The stored rows, for the web layer.
pub use maillage_store::mediation as stockage;

/// The time, injectable so that retention and expiry can be tested with a fake clock.
pub trait Horloge: Send + Sync {
    fn maintenant(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct HorlogeSysteme;

impl Horloge for HorlogeSysteme {
    fn maintenant(&self) -> DateTime<Utc> {
        maillage_store::now_micros()
    }
}

/// A clock set by hand (tests, simulations).
#[derive(Debug, Default)]
pub struct HorlogeManuelle(std::sync::Mutex<Option<DateTime<Utc>>>);

impl HorlogeManuelle {
    pub fn new(instant: DateTime<Utc>) -> Self {
        HorlogeManuelle(std::sync::Mutex::new(Some(instant)))
    }
    pub fn regler(&self, instant: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(instant);
        }
    }
    pub fn avancer(&self, duree: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g = g.map(|t| t + duree);
        }
    }
}

impl Horloge for HorlogeManuelle {
    fn maintenant(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .ok()
            .and_then(|g| *g)
            .unwrap_or_else(maillage_store::now_micros)
    }
}

/// Settings of the module (environment variables in `maillage_web::Site`).
#[derive(Debug, Clone)]
pub struct Reglages {
    /// Months without activity after which a beneficiary's personal fields are purged.
    pub retention_mois: u32,
    /// Months without sign-in after which an account is deactivated.
    pub dormance_mois: u32,
    /// A session ends after this much inactivity.
    pub inactivite_session: Duration,
    /// A session ends after this long whatever happens.
    pub duree_session: Duration,
    /// Sensitive actions need a second factor passed less than this long ago.
    pub reauthentification: Duration,
    /// Failed sign-ins per address (and ten times as many per network address) in
    /// [`Reglages::fenetre_echecs`] before sign-in is refused.
    pub echecs_max: i64,
    pub fenetre_echecs: Duration,
    /// Public address of the instance, for links in e-mails.
    pub adresse_publique: String,
}

impl Default for Reglages {
    fn default() -> Self {
        Reglages {
            retention_mois: 24,
            dormance_mois: 6,
            inactivite_session: Duration::minutes(30),
            duree_session: Duration::hours(12),
            reauthentification: Duration::minutes(15),
            echecs_max: 5,
            fenetre_echecs: Duration::minutes(15),
            adresse_publique: "http://localhost:8080".into(),
        }
    }
}

/// What went wrong, in words for people (French).
#[derive(Debug, thiserror::Error)]
pub enum ErreurMediation {
    /// Sign-in failed (the same message whatever the cause: no account enumeration).
    #[error("Adresse électronique ou mot de passe incorrect.")]
    Identifiants,
    #[error("Code incorrect ou déjà utilisé.")]
    CodeIncorrect,
    #[error("Trop de tentatives : patientez quelques minutes avant de réessayer.")]
    TropDeTentatives,
    /// No valid session.
    #[error("Votre session a expiré : connectez-vous à nouveau.")]
    NonConnecte,
    /// The second factor must be passed again before this action.
    #[error("Par sécurité, confirmez votre identité avec votre code à usage unique.")]
    ReauthRequise,
    #[error("Vous n’avez pas accès à cette page.")]
    Interdit,
    #[error("Introuvable.")]
    Introuvable,
    #[error("{champ} : {message}")]
    Invalide { champ: String, message: String },
    #[error("Cette adresse électronique a déjà un compte.")]
    DejaInscrit,
    #[error("Lien d’invitation invalide, expiré ou déjà utilisé.")]
    InvitationInvalide,
    #[error("erreur interne ({0})")]
    Interne(String),
}

impl ErreurMediation {
    pub fn invalide(champ: &str, message: impl Into<String>) -> Self {
        ErreurMediation::Invalide {
            champ: champ.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ErreurMediation {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ErreurMediation::Introuvable,
            other => ErreurMediation::Interne(other.to_string()),
        }
    }
}

pub type Resultat<T> = Result<T, ErreurMediation>;

/// The Médiation module of one instance.
#[derive(Clone)]
pub struct Mediation {
    store: Arc<dyn MediationStore>,
    horloge: Arc<dyn Horloge>,
    reglages: Reglages,
    referentiel: &'static Referentiel,
}

impl Mediation {
    pub fn new(store: Arc<dyn MediationStore>) -> Self {
        Mediation {
            store,
            horloge: Arc::new(HorlogeSysteme),
            reglages: Reglages::default(),
            referentiel: Referentiel::embedded(),
        }
    }

    pub fn avec_horloge(mut self, horloge: Arc<dyn Horloge>) -> Self {
        self.horloge = horloge;
        self
    }

    pub fn avec_reglages(mut self, reglages: Reglages) -> Self {
        self.reglages = reglages;
        self
    }

    pub fn store(&self) -> &Arc<dyn MediationStore> {
        &self.store
    }

    pub fn reglages(&self) -> &Reglages {
        &self.reglages
    }

    pub fn referentiel(&self) -> &'static Referentiel {
        self.referentiel
    }

    pub fn maintenant(&self) -> DateTime<Utc> {
        self.horloge.maintenant()
    }

    /// Today in France (dates of activity records are French dates).
    pub fn aujourdhui(&self) -> NaiveDate {
        self.maintenant().with_timezone(&Paris).date_naive()
    }

    /// The daily jobs: purge beneficiaries without activity for the retention period,
    /// deactivate dormant accounts, purge old failed sign-in attempts and known addresses
    /// ([`Mediation::purger_tentatives`]). Returns (purged files, deactivated accounts).
    pub async fn taches_quotidiennes(&self) -> Resultat<(u64, u64)> {
        let now = self.maintenant();
        let purge_avant = now
            .checked_sub_months(chrono::Months::new(self.reglages.retention_mois))
            .unwrap_or(now);
        let purges = self.store.purge_beneficiaires(purge_avant, now).await?;
        let dormance_avant = now
            .checked_sub_months(chrono::Months::new(self.reglages.dormance_mois))
            .unwrap_or(now);
        let desactives = self.store.deactivate_dormant(dormance_avant).await?;
        let tentatives = self.purger_tentatives().await?;
        if purges > 0 || desactives > 0 || tentatives > 0 {
            tracing::info!(purges, desactives, tentatives, "daily médiation jobs");
        }
        Ok((purges, desactives))
    }
}

/// Runs [`Mediation::taches_quotidiennes`] now and then every `periode`.
pub fn planifier_taches(mediation: Mediation, periode: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(periode);
        loop {
            tick.tick().await;
            if let Err(e) = mediation.taches_quotidiennes().await {
                tracing::warn!("daily médiation jobs failed: {e}");
            }
        }
    });
}
