//! The accounts kernel: accounts with a second factor, sessions, invitations, structures and
//! their members (with dates), places of activity and assignments, coordinators' teams and
//! territories, the outbox, sign-in throttling — and the permission rules every module asks.
//!
//! [`Comptes`] is the only owner of these tables ([`maillage_store::comptes`]): modules
//! (Médiation, Mandats, …) take an [`Acteur`] from it and ask its use cases, never the
//! tables. An [`Acteur`] holds no secret of the account (no password hash, second-factor
//! secret or recovery codes) and its `Debug` leaves out the session's tokens.
//!
//! - [`securite`]: password hashing, TOTP, tokens, recovery codes;
//! - [`comptes`]: sign-in, second factor, sessions, invitations, dormant accounts;
//! - [`acces`]: the signed-in actor and the permission rules;
//! - [`rattachements`]: members of structures (with dates), the structure one acts for;
//! - [`limitation`]: sign-in throttling;
//! - [`personnes`]: the person's key and « Mon espace » (one key across modules);
//! - [`courrier`]: the outbox and its SMTP sender.

pub mod acces;
pub mod comptes;
pub mod courrier;
pub mod limitation;
pub mod personnes;
pub mod rattachements;
pub mod securite;
pub mod taches;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use maillage_domain::{CompteId, StructureId};
use maillage_store::comptes::ComptesStore;
use maillage_store::StoreError;
use maillage_territoire::Referentiel;

pub use acces::{Acteur, Compte};
/// The stored rows, for the web layer.
pub use maillage_store::comptes as stockage;

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

/// Settings of the accounts (environment variables in `maillage_web::Site`).
#[derive(Debug, Clone)]
pub struct Reglages {
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

/// What went wrong, in words for people (French). The modules' use cases answer with
/// these too when the cause is the same (not signed in, forbidden, not found, a field).
#[derive(Debug, thiserror::Error)]
pub enum ErreurComptes {
    /// Sign-in failed (the same message whatever the cause: no account enumeration).
    #[error("Adresse électronique ou mot de passe incorrect.")]
    Identifiants,
    #[error("Code incorrect ou déjà utilisé.")]
    CodeIncorrect,
    #[error("Trop de tentatives : patientez quelques minutes avant de réessayer.")]
    TropDeTentatives,
    /// A person's code that opens nothing (the same message whether it exists or not).
    #[error("Code personnel incorrect.")]
    CodePersonnelIncorrect,
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

impl ErreurComptes {
    pub fn invalide(champ: &str, message: impl Into<String>) -> Self {
        ErreurComptes::Invalide {
            champ: champ.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for ErreurComptes {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ErreurComptes::Introuvable,
            other => ErreurComptes::Interne(other.to_string()),
        }
    }
}

pub type Resultat<T> = Result<T, ErreurComptes>;

/// The accounts of one instance.
#[derive(Clone)]
pub struct Comptes {
    store: Arc<dyn ComptesStore>,
    horloge: Arc<dyn Horloge>,
    /// Shared by every clone (a clone is made per request: no allocation).
    reglages: Arc<Reglages>,
    referentiel: &'static Referentiel,
    /// Keys drawn ahead, shared by every clone (see [`Comptes::avec_reserve_de_cles`]).
    reserve: Arc<personnes::ReserveCles>,
    reserve_cible: usize,
    /// The public forms' counters waiting to be written together ([`Comptes::compter`]).
    compteurs: Arc<limitation::FileCompteurs>,
}

impl Comptes {
    pub fn new(store: Arc<dyn ComptesStore>) -> Self {
        Comptes {
            store,
            horloge: Arc::new(HorlogeSysteme),
            reglages: Arc::new(Reglages::default()),
            referentiel: Referentiel::embedded(),
            reserve: Arc::default(),
            reserve_cible: 0,
            compteurs: Arc::new(limitation::FileCompteurs::new(limitation::GROUPE_MAX)),
        }
    }

    pub fn avec_horloge(mut self, horloge: Arc<dyn Horloge>) -> Self {
        self.horloge = horloge;
        self
    }

    pub fn avec_reglages(mut self, reglages: Reglages) -> Self {
        self.reglages = Arc::new(reglages);
        self
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

    /// Today in France.
    pub fn aujourdhui(&self) -> NaiveDate {
        self.maintenant().with_timezone(&Paris).date_naive()
    }

    /// The daily jobs of the accounts: deactivate dormant accounts, purge old failed
    /// sign-in attempts and known addresses ([`Comptes::purger_tentatives`]). Returns the
    /// number of deactivated accounts.
    pub async fn taches_quotidiennes(&self) -> Resultat<u64> {
        let now = self.maintenant();
        let dormance_avant = now
            .checked_sub_months(chrono::Months::new(self.reglages.dormance_mois))
            .unwrap_or(now);
        let desactives = self.store.deactivate_dormant(dormance_avant).await?;
        let tentatives = self.purger_tentatives().await?;
        if desactives > 0 || tentatives > 0 {
            tracing::info!(desactives, tentatives, "daily accounts jobs");
        }
        Ok(desactives)
    }

    /// The name of an account, for the journals and lists shown to signed-in people (`None`
    /// when the account no longer exists): every signed-in account may see names.
    pub async fn nom_du_compte(&self, id: CompteId) -> Resultat<Option<String>> {
        Ok(self.store.compte(id.get()).await?.map(|c| c.nom))
    }

    /// An account without its secrets, for trusted callers (modules, command line).
    pub async fn compte_par_id(&self, id: CompteId) -> Resultat<Option<Compte>> {
        Ok(self.store.compte(id.get()).await?.map(Compte::from))
    }

    /// An account by its e-mail address (lower-cased here), without its secrets, for
    /// trusted callers (command line, tests).
    pub async fn compte_par_email(&self, email: &str) -> Resultat<Option<Compte>> {
        Ok(self
            .store
            .compte_par_email(&email.trim().to_lowercase())
            .await?
            .map(Compte::from))
    }

    /// The places of activity (of one structure, or all), for trusted callers: a module
    /// naming the places in what it already decided the actor may see.
    pub async fn lieux_activite(
        &self,
        structure_id: Option<StructureId>,
    ) -> Resultat<Vec<stockage::LieuActiviteRow>> {
        Ok(self
            .store
            .lieux_activite(structure_id.map(StructureId::get))
            .await?)
    }

    /// Every structure, by name: every signed-in account sees them (names beside accounts,
    /// the structures a mandate can be transferred to), and modules name structures or check
    /// one exists with it.
    pub async fn toutes_les_structures(&self) -> Resultat<Vec<stockage::StructureRow>> {
        Ok(self.store.structures().await?)
    }

    /// Puts an e-mail in the outbox (sent by [`courrier::planifier_envois`]).
    pub async fn mettre_en_file(&self, courriel: stockage::NewCourriel) -> Resultat<i64> {
        Ok(self.store.add_courriel(courriel).await?)
    }
}
