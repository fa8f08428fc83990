//! Storage of the Enquête de besoins module: questionnaire versions
//! (`enquete_questionnaires`), campaigns (`enquete_campagnes`) with their target households
//! per commune (`enquete_cibles`) and surveyors (`enquete_enqueteurs`), the visit list
//! (`enquete_adresses`), visits (`enquete_visites`) and answers (`enquete_reponses`).
//!
//! # No name, no address in answers
//!
//! An answer holds the campaign, the questionnaire version, the commune (and the IRIS when
//! known), the answers themselves and their derived scores. It has no key to a visit, an
//! address or an account: the visit list and the visits are the only tables with
//! addresses, and nothing leads from an answer to them.
//!
//! # Idempotent sync
//!
//! Every visit and every answer carries the UUID its device drew when it was recorded.
//! Sync inserts with `INSERT … ON CONFLICT (uuid) DO NOTHING` under the unique index on
//! `uuid`: a re-upload, or two devices sending the same UUID at once, leaves one row, and
//! the loser learns it was already there ([`Synchro::deja_recus`]). There is no
//! check-then-insert anywhere on this path.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

pub const ISSUE_ABSENT: &str = "absent";
pub const ISSUE_REFUS: &str = "refus";
pub const ISSUE_FAIT: &str = "fait";
pub const ISSUES: [&str; 3] = [ISSUE_ABSENT, ISSUE_REFUS, ISSUE_FAIT];

/// A questionnaire version to record (immutable once stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestionnaire {
    pub code: String,
    pub version: i64,
    /// The questionnaire as JSON (see `maillage_enquete::questionnaire`).
    pub contenu: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionnaireRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub contenu: String,
    pub created_at: DateTime<Utc>,
}

/// A campaign to create, with its target households per commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampagne {
    pub intitule: String,
    /// The perimeter as given (`epci:…`, `commune:…`, several separated by commas).
    pub territoire: String,
    pub debut: NaiveDate,
    pub fin: NaiveDate,
    pub questionnaire_id: i64,
    pub consentement: String,
    /// `(commune, target households)`, one per commune of the perimeter.
    pub cibles: Vec<(String, i64)>,
    pub cree_par: String,
    pub created_at: DateTime<Utc>,
}

/// What a coordinator may change of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModificationCampagne {
    pub intitule: String,
    pub debut: NaiveDate,
    pub fin: NaiveDate,
    /// Kept only while collection has not started.
    pub consentement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampagneRow {
    pub id: i64,
    pub intitule: String,
    pub territoire: String,
    pub debut: NaiveDate,
    pub fin: NaiveDate,
    pub questionnaire_id: i64,
    pub consentement: String,
    pub cree_par: String,
    pub created_at: DateTime<Utc>,
    /// When the first visit or answer was received: the questionnaire is frozen from then.
    pub collecte_commencee_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CibleRow {
    pub commune: String,
    pub cible_menages: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnqueteurRow {
    pub campagne_id: i64,
    pub compte_id: i64,
    /// The INSEE codes this surveyor covers, comma-separated (empty: the whole perimeter).
    pub communes: String,
}

/// An address of the visit list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdresse {
    pub commune: String,
    pub iris: Option<String>,
    pub adresse: String,
    pub enqueteur_compte_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdresseRow {
    pub id: i64,
    pub campagne_id: i64,
    pub commune: String,
    pub iris: Option<String>,
    pub adresse: String,
    pub enqueteur_compte_id: Option<i64>,
}

/// A visit as recorded on the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVisite {
    pub uuid: String,
    pub campagne_id: i64,
    pub adresse_id: i64,
    /// One of [`ISSUES`].
    pub issue: String,
    /// For `absent`: the day of the planned revisit.
    pub revisite: Option<NaiveDate>,
    pub enqueteur_compte_id: i64,
    pub visite_at: DateTime<Utc>,
    pub recu_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisiteRow {
    pub id: i64,
    pub uuid: String,
    pub campagne_id: i64,
    pub adresse_id: i64,
    pub issue: String,
    pub revisite: Option<NaiveDate>,
    pub enqueteur_compte_id: i64,
    pub visite_at: DateTime<Utc>,
    pub recu_at: DateTime<Utc>,
}

/// An answered questionnaire, anonymous: commune and IRIS only, with its derived scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReponse {
    pub uuid: String,
    pub campagne_id: i64,
    pub questionnaire_id: i64,
    pub commune: String,
    pub iris: Option<String>,
    /// The answers as a JSON object `{question code: value}`.
    pub reponses: String,
    pub score_information: i64,
    pub score_communication: i64,
    pub score_resolution: i64,
    pub score_logiciels: i64,
    pub internet_3mois: bool,
    pub illectronisme: bool,
    /// People in the household (the sum of the household questions), `None` when not
    /// answered: the stratum of the census weighting (one person, or more).
    pub personnes_foyer: Option<i64>,
    pub collecte_at: DateTime<Utc>,
    pub recu_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReponseRow {
    pub id: i64,
    pub uuid: String,
    pub campagne_id: i64,
    pub questionnaire_id: i64,
    pub commune: String,
    pub iris: Option<String>,
    pub reponses: String,
    pub score_information: i64,
    pub score_communication: i64,
    pub score_resolution: i64,
    pub score_logiciels: i64,
    pub internet_3mois: bool,
    pub illectronisme: bool,
    pub collecte_at: DateTime<Utc>,
    pub recu_at: DateTime<Utc>,
}

/// What one sync did: the UUIDs stored now, and those that were already there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synchro {
    pub nouveaux: Vec<String>,
    pub deja_recus: Vec<String>,
}

/// Answers of one commune of a campaign: how many, how many in illectronisme, and the
/// same by household size (the strata of the census weighting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompteCommuneRow {
    pub commune: String,
    pub reponses: i64,
    pub illectronisme: i64,
    /// Answers from one-person households, and among them in illectronisme.
    pub seuls: i64,
    pub seuls_illectronisme: i64,
    /// Answers from households of two people or more, and among them in illectronisme.
    /// `reponses − seuls − plusieurs` answers did not give the household's size.
    pub plusieurs: i64,
    pub plusieurs_illectronisme: i64,
}

/// Visits of one commune of a campaign, by outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvancementRow {
    pub commune: String,
    pub issue: String,
    pub visites: i64,
}

/// What a surveyor may give at the door, with the person's consent.
pub const COUPS_DE_MAIN: [&str; 3] = ["fiche", "inscription", "cle"];

/// How many of one kind of help were given during a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoupDeMainRow {
    pub genre: String,
    pub nombre: i64,
}

#[async_trait]
pub trait EnqueteStore: Send + Sync {
    /// Records a questionnaire version; `Conflict` when `(code, version)` exists.
    async fn creer_questionnaire(&self, q: &NewQuestionnaire) -> StoreResult<i64>;
    async fn questionnaire(&self, id: i64) -> StoreResult<Option<QuestionnaireRow>>;
    async fn questionnaires(&self) -> StoreResult<Vec<QuestionnaireRow>>;

    /// Creates a campaign and its targets in one transaction.
    async fn creer_campagne(&self, c: &NewCampagne) -> StoreResult<i64>;
    async fn campagne(&self, id: i64) -> StoreResult<Option<CampagneRow>>;
    async fn campagnes(&self) -> StoreResult<Vec<CampagneRow>>;
    async fn cibles(&self, campagne_id: i64) -> StoreResult<Vec<CibleRow>>;
    /// Points the campaign at another questionnaire version, only while collection has not
    /// started (one conditional update): `false` when it has (or no such campaign).
    async fn changer_questionnaire(
        &self,
        campagne_id: i64,
        questionnaire_id: i64,
    ) -> StoreResult<bool>;

    /// Changes the title, the dates and, while collection has not started, the consent
    /// wording (one update: the consent read to the first households stays the one of
    /// the campaign). `false` when there is no such campaign.
    async fn modifier_campagne(&self, id: i64, m: &ModificationCampagne) -> StoreResult<bool>;

    /// Adds (or replaces the communes of) a surveyor of the campaign.
    async fn ajouter_enqueteur(
        &self,
        campagne_id: i64,
        compte_id: i64,
        communes: &str,
    ) -> StoreResult<()>;
    async fn enqueteurs(&self, campagne_id: i64) -> StoreResult<Vec<EnqueteurRow>>;

    /// Adds addresses to the visit list in one transaction; returns their ids in order.
    async fn ajouter_adresses(
        &self,
        campagne_id: i64,
        adresses: &[NewAdresse],
    ) -> StoreResult<Vec<i64>>;
    async fn adresses(&self, campagne_id: i64) -> StoreResult<Vec<AdresseRow>>;

    /// Stores visits (insert-or-ignore on the UUID) and marks the campaign's collection as
    /// started, in one transaction.
    async fn enregistrer_visites(&self, visites: &[NewVisite]) -> StoreResult<Synchro>;
    async fn visites(&self, campagne_id: i64) -> StoreResult<Vec<VisiteRow>>;

    /// Stores answers (insert-or-ignore on the UUID) and marks the campaign's collection as
    /// started, in one transaction.
    async fn enregistrer_reponses(&self, reponses: &[NewReponse]) -> StoreResult<Synchro>;
    async fn reponses(&self, campagne_id: i64) -> StoreResult<Vec<ReponseRow>>;

    /// Answers and illectronisme per commune (counted by the database).
    async fn comptes_par_commune(&self, campagne_id: i64) -> StoreResult<Vec<CompteCommuneRow>>;
    /// Visits per commune and outcome (counted by the database).
    async fn avancement(&self, campagne_id: i64) -> StoreResult<Vec<AvancementRow>>;

    /// Counts one help given at the door (`genre`: one of [`COUPS_DE_MAIN`]).
    async fn compter_coup_de_main(
        &self,
        campagne_id: i64,
        commune: &str,
        genre: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Helps given during a campaign, per kind.
    async fn coups_de_main(&self, campagne_id: i64) -> StoreResult<Vec<CoupDeMainRow>>;
}
