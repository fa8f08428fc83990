//! Storage of the Pass numérique module: programmes (`pass_programmes`, their communes,
//! qualified places and prescribers), carnets and passes (`pass_carnets`, `pass`), place API
//! keys (`pass_cles_api`), redemptions (`pass_utilisations`) and the pass stream of the
//! journal (`pass_journal`, the same chained entries as the Mandats journal).
//!
//! # No double spend
//!
//! A redemption is one write transaction that never waits for the pass journal's lock:
//!
//! 1. `UPDATE pass SET etat = 'utilise' … WHERE id = $1 AND etat = 'distribue'`: only one
//!    transaction can change the row (the others wait for the row, then change nothing);
//! 2. when nothing changed: the existing redemption of the pass is read; the same nonce from
//!    the same place is the same request again ([`Utilisation::Rejouee`]), anything else a
//!    conflict ([`Utilisation::DejaUtilise`]);
//! 3. else inserts the redemption, whose unique indexes (one redemption per pass, one nonce
//!    per place) are the last guard, and its ledger entry, in the same transaction.
//!
//! # The ledger off the redemption's path
//!
//! The ledger entry of step 3 is chained at once only if the journal's lock is free
//! (PostgreSQL: `pg_try_advisory_xact_lock`; SQLite: always, `BEGIN IMMEDIATE` holds the
//! one write lock); otherwise it waits in `pass_journal_attente`, committed with the
//! redemption, and the next holder of the lock chains it (oldest first, deleted from the
//! queue in the same transaction). Every other pass write waits for the lock and chains the
//! waiting entries before its own. [`PassStore::chainer_registre`] chains all of them (what
//! a reader of the ledger calls first). So the chain keeps one head, no gap and no fork,
//! and redemptions no longer queue behind each other's commit.
//!
//! # Group commit
//!
//! [`PassStore::utiliser_lot`] writes many redemptions in one transaction (one commit, one
//! `fsync`): it takes the journal's lock once if it is free (never waits for it: else every
//! entry of the batch waits, as above), locks the batch's passes (PostgreSQL: `SELECT … FOR
//! UPDATE` in id order), reads their state, their redemptions and the nonces already used,
//! decides every request in arrival order as steps 1–2 above would one after the other,
//! then changes the passes (the same conditional update: every row must still be
//! `distribue`), inserts the redemptions and appends all their ledger entries, each a
//! single statement on PostgreSQL. Should a unique index refuse a row all the same (a request
//! written outside the batch, e.g. by another app node's single path, took the nonce
//! meanwhile), the batch is rolled back and its requests go through
//! [`PassStore::utiliser`] one by one: the answers stay those of sequential redemptions.
//!
//! [`GardePass::DesactiveePourEssai`] is the test-only switch of the control run: it reads
//! the pass's state outside any transaction, waits [`FENETRE_COURSE_ESSAI`], then writes the
//! redemption flagged `controle_sans_garde` (outside the unique indexes) and its ledger
//! entry, so that concurrent redemptions of one pass all succeed. Never the default.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use maillage_domain::journal::{Chaine, Entree, NouvelleEntree, Sceau};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// Re-exported for the SQL macros (`maillage_store_sql::pass_store!`) to build ledger details.
pub use serde_json;

/// How long the unguarded path waits between its read and its write.
pub const FENETRE_COURSE_ESSAI: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether redemptions are guarded (always, except in the control run of the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GardePass {
    #[default]
    Active,
    /// TEST ONLY: read, wait [`FENETRE_COURSE_ESSAI`], write without the guards. Spends a
    /// pass several times under concurrency, by design.
    DesactiveePourEssai,
}

pub const ETAT_EMIS: &str = "emis";
pub const ETAT_DISTRIBUE: &str = "distribue";
pub const ETAT_UTILISE: &str = "utilise";
pub const ETAT_EXPIRE: &str = "expire";
pub const ETAT_BLOQUE: &str = "bloque";
pub const ETAT_ANNULE: &str = "annule";

/// The ledger's action codes (the `action` of a `pass_journal` entry).
pub const ACTION_PROGRAMME: &str = "pass_programme";
pub const ACTION_EMISSION: &str = "pass_emission";
pub const ACTION_DISTRIBUTION: &str = "pass_distribution";
pub const ACTION_UTILISATION: &str = "pass_utilisation";
pub const ACTION_ANNULATION: &str = "pass_annulation";
pub const ACTION_BLOCAGE: &str = "pass_blocage";
pub const ACTION_AVOIR: &str = "pass_avoir";
/// The J−30 alert of a programme's end of validity.
pub const ACTION_ALERTE_FIN: &str = "pass_alerte_fin";
/// The J−15 blocking validated by the funder (then one `pass_blocage` per pass).
pub const ACTION_BLOCAGE_FIN: &str = "pass_blocage_fin";
/// A pass expired after the tolerance date.
pub const ACTION_EXPIRATION: &str = "pass_expiration";
/// The funder's decision on the incident of a forced redemption.
pub const ACTION_INCIDENT: &str = "pass_incident";

/// The steps of a programme's end of validity.
pub const ETAPE_ALERTE: &str = "alerte";
pub const ETAPE_BLOCAGE: &str = "blocage";
pub const ETAPE_AVOIR: &str = "avoir";

/// An incident's decisions.
pub const DECISION_ACCEPTEE: &str = "acceptee";
pub const DECISION_REFUSEE: &str = "refusee";

/// A step of a programme's end of validity, done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtapeFinRow {
    pub programme_id: i64,
    /// [`ETAPE_ALERTE`], [`ETAPE_BLOCAGE`] or [`ETAPE_AVOIR`].
    pub etape: String,
    pub acteur: String,
    pub at: DateTime<Utc>,
    /// The passes it concerns: not yet redeemed (alert), blocked (blocking), credited
    /// (credit note: every pass of the programme not redeemed).
    pub nombre: i64,
    pub montant_centimes: i64,
}

/// The incident of a forced redemption, and the funder's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: i64,
    pub utilisation_id: i64,
    pub pass_id: i64,
    pub code: String,
    pub programme_id: i64,
    pub structure_id: i64,
    pub valeur_centimes: i64,
    /// When the place says it redeemed the pass offline.
    pub hors_ligne_at: Option<DateTime<Utc>>,
    /// When the redemption reached the server.
    pub utilise_at: DateTime<Utc>,
    pub motif: String,
    pub created_at: DateTime<Utc>,
    /// `None` while the funder has not decided.
    pub decision: Option<String>,
    pub decide_par: Option<String>,
    pub decide_at: Option<DateTime<Utc>>,
    pub commentaire: Option<String>,
    pub decision_seq: Option<i64>,
}

/// A programme to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgramme {
    pub financeur_structure_id: i64,
    pub nom: String,
    pub budget_centimes: i64,
    pub valeur_centimes: i64,
    pub fin_validite: NaiveDate,
    pub tolerance: NaiveDate,
    /// The territory as given (`dep:31`, `epci:…`, `commune:…`).
    pub territoire: String,
    /// Its INSEE communes (already expanded by the caller).
    pub communes: Vec<String>,
    /// Comma-separated codes of target publics.
    pub publics: String,
    pub acteur: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeRow {
    pub id: i64,
    pub financeur_structure_id: i64,
    pub nom: String,
    pub budget_centimes: i64,
    pub valeur_centimes: i64,
    pub fin_validite: NaiveDate,
    pub tolerance: NaiveDate,
    pub territoire: String,
    pub publics: String,
    pub created_at: DateTime<Utc>,
}

/// A place qualified for a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LieuQualifieRow {
    pub programme_id: i64,
    pub structure_id: i64,
    pub siret: String,
    /// INSEE code of the place's commune.
    pub commune: String,
    /// Who approved it (`admin:<id>`, `compte:<id>`…).
    pub approuve_par: String,
    pub approuve_at: DateTime<Utc>,
}

/// A carnet to issue: its passes' codes (drawn by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCarnet {
    pub programme_id: i64,
    pub codes: Vec<String>,
    pub acteur: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassRow {
    pub id: i64,
    pub carnet_id: i64,
    pub programme_id: i64,
    pub code: String,
    pub valeur_centimes: i64,
    pub etat: String,
    pub distribue_par: Option<i64>,
    pub distribue_at: Option<DateTime<Utc>>,
    pub personne_commune: Option<String>,
    pub personne_tranche_age: Option<String>,
    pub personne_statut: Option<String>,
    /// The person's key (« Mon espace »), when the pass was attached to it.
    pub personne_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A distribution by a prescriber to a pseudonymous person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDistribution {
    pub code: String,
    pub prescripteur_structure_id: i64,
    pub commune: String,
    pub tranche_age: String,
    pub statut: String,
    pub personne_id: Option<i64>,
    pub acteur: String,
    pub at: DateTime<Utc>,
}

/// A place API key (the secret is kept as its SHA-256 only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleApiRow {
    pub id: i64,
    pub structure_id: i64,
    pub nom: String,
    /// Public part of the key, to find it.
    pub prefixe: String,
    /// SHA-256 (hex) of the secret part.
    pub secret_hash: String,
    /// Comma-separated scopes (`pass:utiliser`).
    pub scopes: String,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub revoquee_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCleApi {
    pub structure_id: i64,
    pub nom: String,
    pub prefixe: String,
    pub secret_hash: String,
    pub scopes: String,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A redemption to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUtilisation {
    pub pass_id: i64,
    /// The qualified place (structure) that delivered the accompaniment.
    pub structure_id: i64,
    /// The client's idempotency key.
    pub nonce: String,
    pub cle_api_id: Option<i64>,
    pub compte_id: Option<i64>,
    /// The activity record the pass pays for.
    pub activite_id: Option<i64>,
    pub acteur: String,
    pub at: DateTime<Utc>,
    /// « Utilisation forcée »: when the place redeemed the pass offline; the redemption is
    /// flagged and an incident opened with `motif`, for the funder to decide.
    pub forcee: Option<Forcee>,
}

/// What a forced redemption adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forcee {
    pub hors_ligne_at: DateTime<Utc>,
    pub motif: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtilisationRow {
    pub id: i64,
    pub pass_id: i64,
    pub code: String,
    pub structure_id: i64,
    pub nonce: String,
    pub cle_api_id: Option<i64>,
    pub compte_id: Option<i64>,
    pub activite_id: Option<i64>,
    pub valeur_centimes: i64,
    pub at: DateTime<Utc>,
    /// The seq of its ledger entry (`0` while the entry waits to be chained).
    pub journal_seq: i64,
    /// A forced (offline) redemption, paid only when its incident is accepted.
    pub forcee: bool,
    /// Its incident's decision ([`DECISION_ACCEPTEE`], [`DECISION_REFUSEE`]), if decided.
    pub decision: Option<String>,
    /// The seq of that decision's ledger entry.
    pub decision_seq: Option<i64>,
}

impl UtilisationRow {
    /// Whether the place is paid for it: a redemption, or a forced one the funder accepted.
    pub fn payee(&self) -> bool {
        !self.forcee || self.decision.as_deref() == Some(DECISION_ACCEPTEE)
    }
}

/// What a redemption attempt became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Utilisation {
    /// Recorded now.
    Creee(UtilisationRow),
    /// The same request again (same nonce, same place): the redemption already recorded.
    Rejouee(UtilisationRow),
    /// The pass was already redeemed by another request.
    DejaUtilise(UtilisationRow),
    /// The nonce already served this place for another pass.
    NonceDejaServi,
    /// The pass is not in the state `distribue` (`etat` says which).
    EtatRefuse { etat: String },
}

/// Counts of passes per state, for a programme.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompteEtats {
    pub emis: i64,
    pub distribues: i64,
    pub utilises: i64,
    pub expires: i64,
    pub bloques: i64,
    pub annules: i64,
}

/// A distributed pass attached to a key whose holder left an e-mail address to be told
/// before the end of validity, not told yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassAAviser {
    pub pass_id: i64,
    pub code: String,
    pub valeur_centimes: i64,
    pub personne_id: i64,
    pub distribue_at: Option<DateTime<Utc>>,
    pub contact: String,
}

/// The ledger entry of a write, built by the store inside its transaction.
pub fn entree_pass(
    at: DateTime<Utc>,
    action: &str,
    acteur: &str,
    structure_id: Option<i64>,
    pass_id: Option<i64>,
    programme_id: i64,
    details: serde_json::Value,
) -> NouvelleEntree {
    NouvelleEntree {
        at_us: at.timestamp_micros(),
        action: action.to_string(),
        acteur: acteur.to_string(),
        structure_id,
        mandat_id: pass_id,
        usager: None,
        demarches: format!("programme:{programme_id}"),
        details: details.to_string(),
    }
}

/// The Pass storage.
#[async_trait]
pub trait PassStore: Send + Sync {
    /// Creates the programme and its communes; appends its ledger entry.
    async fn create_programme(&self, p: &NewProgramme) -> StoreResult<i64>;

    async fn programme(&self, id: i64) -> StoreResult<Option<ProgrammeRow>>;

    async fn programmes(&self) -> StoreResult<Vec<ProgrammeRow>>;

    /// Whether `code_insee` is in the programme's territory.
    async fn programme_couvre(&self, programme_id: i64, code_insee: &str) -> StoreResult<bool>;

    /// Qualifies a place. `Conflict` when its SIRET (or the structure) is already qualified
    /// for this programme.
    async fn qualifier_lieu(&self, l: &LieuQualifieRow) -> StoreResult<()>;

    async fn lieu_qualifie(
        &self,
        programme_id: i64,
        structure_id: i64,
    ) -> StoreResult<Option<LieuQualifieRow>>;

    async fn lieux_qualifies(&self, programme_id: i64) -> StoreResult<Vec<LieuQualifieRow>>;

    /// Allows a structure to distribute the programme's passes (idempotent).
    async fn ajouter_prescripteur(&self, programme_id: i64, structure_id: i64) -> StoreResult<()>;

    async fn est_prescripteur(&self, programme_id: i64, structure_id: i64) -> StoreResult<bool>;

    /// Issues a carnet: one pass per code in state `emis`, one ledger entry per pass, one
    /// transaction. Returns the carnet's id and the passes' ids in order.
    async fn emettre_carnet(&self, c: &NewCarnet) -> StoreResult<(i64, Vec<i64>)>;

    async fn pass_par_code(&self, code: &str) -> StoreResult<Option<PassRow>>;

    /// The passes of these codes that exist (a batch of redemptions reads its passes at
    /// once: one statement on PostgreSQL), in no particular order.
    async fn pass_par_codes(&self, codes: &[String]) -> StoreResult<Vec<PassRow>>;

    async fn pass_du_carnet(&self, carnet_id: i64) -> StoreResult<Vec<PassRow>>;

    /// `emis` → `distribue` with the person's pseudonymous profile; `Invalid` when the pass
    /// is in another state, `NotFound` when unknown.
    async fn distribuer(&self, d: &NewDistribution) -> StoreResult<PassRow>;

    /// Changes a pass to `bloque`, `expire` or `annule` from `emis` or `distribue`
    /// (`Invalid` otherwise), with its ledger entry (`action`).
    async fn changer_etat(
        &self,
        pass_id: i64,
        etat: &str,
        action: &str,
        acteur: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<PassRow>;

    async fn create_cle_api(&self, c: &NewCleApi) -> StoreResult<i64>;

    async fn cle_api_par_prefixe(&self, prefixe: &str) -> StoreResult<Option<CleApiRow>>;

    async fn cles_api(&self, structure_id: i64) -> StoreResult<Vec<CleApiRow>>;

    /// Revokes a key; `false` when unknown or already revoked.
    async fn revoquer_cle_api(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Redeems a pass (see the module's doc).
    async fn utiliser(&self, u: &NewUtilisation, garde: GardePass) -> StoreResult<Utilisation>;

    /// Redeems a batch of passes in ONE transaction (the group commit of redemptions, see
    /// the module's doc): one answer per request, in order, each exactly what
    /// [`PassStore::utiliser`] would have answered had the requests come one after the
    /// other in this order (two requests for one pass: the first wins, the second is
    /// [`Utilisation::Rejouee`] or [`Utilisation::DejaUtilise`]); an unknown pass is
    /// `Err(NotFound)` for its request alone. The journal's lock is taken once, if free, and
    /// every entry of the batch chained at once. `Err` for the whole batch only when the
    /// database fails. [`GardePass::DesactiveePourEssai`]: each request through
    /// [`PassStore::utiliser`], one after the other.
    async fn utiliser_lot(
        &self,
        lot: &[NewUtilisation],
        garde: GardePass,
    ) -> StoreResult<Vec<StoreResult<Utilisation>>>;

    async fn utilisation_du_pass(&self, pass_id: i64) -> StoreResult<Option<UtilisationRow>>;

    /// The redemption that paid for an activity record, if any.
    async fn utilisation_de_activite(
        &self,
        activite_id: i64,
    ) -> StoreResult<Option<UtilisationRow>>;

    /// The passes attached to a person's key (« Mon espace »), latest distribution first.
    async fn pass_de_personne(&self, personne_id: i64) -> StoreResult<Vec<PassRow>>;

    /// Every pass of a programme, by id (the funder's dashboard).
    async fn pass_du_programme(&self, programme_id: i64) -> StoreResult<Vec<PassRow>>;

    /// Every redemption of a programme's passes, by time then id.
    async fn utilisations_du_programme(
        &self,
        programme_id: i64,
    ) -> StoreResult<Vec<UtilisationRow>>;

    /// Every redemption row of a pass (more than one only in the control run).
    async fn utilisations_du_pass(&self, pass_id: i64) -> StoreResult<Vec<UtilisationRow>>;

    /// Redemptions by a place in `[debut, fin)`, by time then id.
    async fn utilisations_du_lieu(
        &self,
        structure_id: i64,
        debut: DateTime<Utc>,
        fin: DateTime<Utc>,
    ) -> StoreResult<Vec<UtilisationRow>>;

    async fn compte_etats(&self, programme_id: i64) -> StoreResult<CompteEtats>;

    // --- end of validity ---
    /// The steps of the programme's end of validity already done.
    async fn etapes_fin(&self, programme_id: i64) -> StoreResult<Vec<EtapeFinRow>>;

    /// Does one step, once (`Conflict` when it was done), in one transaction with its
    /// ledger entries: [`ETAPE_ALERTE`] counts the passes not yet redeemed;
    /// [`ETAPE_BLOCAGE`] blocks the passes still `emis` (one `pass_blocage` entry each);
    /// [`ETAPE_AVOIR`] expires the passes still `emis`, `distribue` or `bloque` (one
    /// `pass_expiration` each) and credits every pass of the programme not redeemed.
    async fn etape_fin(
        &self,
        programme_id: i64,
        etape: &str,
        acteur: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<EtapeFinRow>;

    // --- incidents of forced redemptions ---
    async fn incidents_du_programme(&self, programme_id: i64) -> StoreResult<Vec<IncidentRow>>;

    async fn incident(&self, id: i64) -> StoreResult<Option<IncidentRow>>;

    /// Records the funder's decision and its ledger entry; `Invalid` when already decided.
    async fn decider_incident(
        &self,
        id: i64,
        decision: &str,
        par: &str,
        at: DateTime<Utc>,
        commentaire: Option<&str>,
    ) -> StoreResult<IncidentRow>;

    // --- telling the holders before the end of validity ---
    /// The e-mail address the person left in « Mon espace » to be told about their passes.
    async fn contact_personne(&self, personne_id: i64) -> StoreResult<Option<String>>;

    /// Sets that address, or removes it (`None`).
    async fn definir_contact_personne(
        &self,
        personne_id: i64,
        contact: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The programme's passes still `distribue`, attached to a key that left an address,
    /// whose holder was not told yet (by pass id).
    async fn pass_a_aviser(&self, programme_id: i64) -> StoreResult<Vec<PassAAviser>>;

    /// Records that the holder of `pass_id` is being told: `true` for the one call that
    /// recorded it (`INSERT … ON CONFLICT DO NOTHING`), `false` for every later one, from
    /// any node.
    async fn marquer_avise(&self, pass_id: i64, at: DateTime<Utc>) -> StoreResult<bool>;

    // --- the pass stream of the journal ---
    async fn pass_journal_head(&self) -> StoreResult<Chaine>;

    /// Chains every entry waiting in the queue (see the module's doc), waiting for the
    /// journal's lock; returns how many.
    async fn chainer_registre(&self) -> StoreResult<u64>;

    /// How many entries wait to be chained.
    async fn registre_en_attente(&self) -> StoreResult<i64>;

    /// Adds a signed seal of the pass stream (`Conflict` when that seq is sealed).
    async fn add_sceau_pass(&self, sceau: &Sceau) -> StoreResult<()>;

    /// The pass stream's seals, by seq.
    async fn sceaux_pass(&self) -> StoreResult<Vec<Sceau>>;

    /// Entries with `seq > apres`, at most `limite`, by seq.
    async fn pass_journal(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>>;
}
