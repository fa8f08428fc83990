//! Storage of the accounts kernel (`maillage_comptes`): accounts, sessions, sign-in
//! throttling, invitations, the outbox, structures with their places of activity and members,
//! coordinators' teams and territories. The [`ComptesStore`] trait is implemented by both
//! backends and checked by the same contract suite (`contract_comptes`). Only
//! `maillage_comptes` uses it: modules ask that crate, never these tables.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompte {
    /// Lower-cased by the caller.
    pub email: String,
    pub nom: String,
    /// `mediateur`, `coordinateur` or `administrateur`.
    pub role: String,
    pub structure_id: Option<i64>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A stored account. Every field but `id`, `email` and `created_at` is written back by
/// [`ComptesStore::update_compte`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompteRow {
    pub id: i64,
    pub email: String,
    pub nom: String,
    pub role: String,
    pub structure_id: Option<i64>,
    pub password_hash: String,
    /// Base32 TOTP secret (set while enrolling, kept once confirmed).
    pub totp_secret: Option<String>,
    /// `true` once the second factor was confirmed.
    pub totp_actif: bool,
    /// Last TOTP time step accepted (a code is never accepted twice).
    pub totp_dernier_pas: Option<i64>,
    /// Hashes of the unused recovery codes (JSON array).
    pub codes_secours: String,
    pub actif: bool,
    pub created_at: DateTime<Utc>,
    pub derniere_activite: DateTime<Utc>,
}

/// A server-side session, keyed by the hash of its cookie token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub token_hash: String,
    pub compte_id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When the second factor (or a re-authentication) was last passed; `None` while the
    /// session has only the password.
    pub mfa_at: Option<DateTime<Utc>>,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// An invitation to create an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub token_hash: String,
    pub email: String,
    pub role: String,
    pub structure_id: Option<i64>,
    /// The coordinator whose team the new mediator joins.
    pub coordinateur_id: Option<i64>,
    pub invite_par: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// An e-mail waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCourriel {
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourrielRow {
    pub id: i64,
    pub destinataire: String,
    pub sujet: String,
    pub corps: String,
    pub created_at: DateTime<Utc>,
    pub envoye_at: Option<DateTime<Utc>>,
}

/// An employer structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructureRow {
    pub id: i64,
    pub nom: String,
    pub siret: Option<String>,
    pub code_insee: Option<String>,
}

/// A place where a structure's mediators work, linked to the directory when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LieuActiviteRow {
    pub id: i64,
    pub structure_id: i64,
    pub nom: String,
    /// Id of the place in the published directory.
    pub lieu_id: Option<String>,
    pub code_insee: String,
}

/// A mediator works at a place of activity from `debut` to `fin` (open-ended if `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectationRow {
    pub compte_id: i64,
    pub lieu_activite_id: i64,
    pub debut: NaiveDate,
    pub fin: Option<NaiveDate>,
}

/// An account belongs to a structure from `debut` to `fin` included (open-ended if `None`).
/// An aidant may belong to several structures at once; the account's `structure_id` is the
/// one it acts for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RattachementRow {
    pub compte_id: i64,
    pub structure_id: i64,
    pub debut: NaiveDate,
    pub fin: Option<NaiveDate>,
}

impl RattachementRow {
    /// `true` if the account belongs to the structure on this day.
    pub fn actif_le(&self, jour: NaiveDate) -> bool {
        self.debut <= jour && self.fin.is_none_or(|f| jour <= f)
    }
}
/// A rule on the attempts recorded under a throttling key (see
/// [`ComptesStore::reserve_login_attempts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limite {
    /// Fewer than `max` attempts since `depuis` (a hard limit: refused until they age out).
    AuPlus { depuis: DateTime<Utc>, max: i64 },
    /// Once `seuil` attempts are recorded since `depuis`, one attempt per spacing: refused
    /// if any was recorded since `espacement`. Slows down, never closes.
    Ralentir {
        depuis: DateTime<Utc>,
        seuil: i64,
        espacement: DateTime<Utc>,
    },
}

impl Limite {
    /// The instants since which attempts must be counted to evaluate the rule.
    pub fn fenetres(&self) -> Vec<DateTime<Utc>> {
        match *self {
            Limite::AuPlus { depuis, .. } => vec![depuis],
            Limite::Ralentir {
                depuis, espacement, ..
            } => vec![depuis, espacement],
        }
    }

    /// Whether one more attempt is allowed, given the counts since each of
    /// [`Limite::fenetres`] (same order).
    pub fn admet(&self, nombres: &[i64]) -> bool {
        let n = |i: usize| nombres.get(i).copied().unwrap_or(0);
        match *self {
            Limite::AuPlus { max, .. } => n(0) < max,
            Limite::Ralentir { seuil, .. } => n(0) < seuil || n(1) == 0,
        }
    }
}

/// One key to reserve an attempt under, and the rules it must respect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub cle: String,
    pub limites: Vec<Limite>,
}

/// An attempt reserved under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservee {
    /// The row, to release it if the secret was right.
    pub id: i64,
    /// Attempts under the key since its first rule's first window, this one included.
    pub nombre: i64,
}

/// What [`ComptesStore::reserve_login_attempts`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueReservation {
    /// Every key had room: one attempt reserved under each (same order).
    Acceptee(Vec<Reservee>),
    /// The key at this index refused; nothing was written.
    Refusee(usize),
}

/// Evaluates the rules of one key given the attempts recorded since each instant of
/// [`fenetres_a_compter`] (same order); returns the count since the first one (before this
/// attempt), or `None` if a rule refuses. Shared by both backends, inside their transaction.
pub fn evaluer_limites(limites: &[Limite], mut comptes: Vec<i64>) -> Option<i64> {
    let mut debut = 0;
    for l in limites {
        let k = l.fenetres().len();
        let fin = (debut + k).min(comptes.len());
        if !l.admet(&comptes[debut..fin]) {
            return None;
        }
        debut = fin;
    }
    Some(if comptes.is_empty() {
        0
    } else {
        comptes.swap_remove(0)
    })
}

/// Every window to count, in the order [`evaluer_limites`] expects.
pub fn fenetres_a_compter(limites: &[Limite]) -> Vec<DateTime<Utc>> {
    limites.iter().flat_map(Limite::fenetres).collect()
}
/// A person's key (« Mon espace »): the public part of their personal code finds them,
/// the hash of its secret part checks it. Nothing else about the person lives here: each
/// module keeps what it holds about them under `personne_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonneRow {
    pub id: i64,
    /// Public part of the personal code (lookup key).
    pub cle: String,
    /// SHA-256 of the secret part.
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
}

/// The accounts' storage. Object safe: use it as `Arc<dyn ComptesStore>`.
#[async_trait]
pub trait ComptesStore: Send + Sync {
    /// Creates an account; `Conflict` if the e-mail is taken. With a `structure_id`, the
    /// account belongs to that structure from the day of `created_at` (UTC), written in the
    /// same transaction.
    async fn create_compte(&self, compte: NewCompte) -> StoreResult<i64>;
    async fn compte(&self, id: i64) -> StoreResult<Option<CompteRow>>;
    async fn compte_par_email(&self, email: &str) -> StoreResult<Option<CompteRow>>;
    /// Every account, by id.
    async fn comptes(&self) -> StoreResult<Vec<CompteRow>>;
    /// Writes back the mutable fields; `NotFound` if the account does not exist.
    async fn update_compte(&self, compte: &CompteRow) -> StoreResult<()>;
    /// Deactivates active accounts whose last activity is before `avant`; returns how many.
    async fn deactivate_dormant(&self, avant: DateTime<Utc>) -> StoreResult<u64>;

    /// Creates or replaces a session.
    async fn put_session(&self, session: &SessionRow) -> StoreResult<()>;
    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of an account (password change, deactivation).
    async fn delete_sessions_of(&self, compte_id: i64) -> StoreResult<u64>;

    async fn add_login_failure(&self, cle: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn count_login_failures(&self, cle: &str, depuis: DateTime<Utc>) -> StoreResult<i64>;
    async fn clear_login_failures(&self, cle: &str) -> StoreResult<()>;
    /// Reserves one attempt under each key of `reservations`, all or nothing, before the
    /// secret is checked: every rule of every key is evaluated on the attempts already
    /// recorded, and the new rows are written, in one transaction that excludes any other
    /// reservation on the same keys (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: advisory locks
    /// taken in key order). So N concurrent attempts against a limit of 5 let exactly 5 in.
    async fn reserve_login_attempts(
        &self,
        reservations: &[Reservation],
        at: DateTime<Utc>,
    ) -> StoreResult<IssueReservation>;
    /// Forgets reserved attempts (the secret was right: they were not failures).
    async fn release_login_attempts(&self, ids: &[i64]) -> StoreResult<()>;
    /// Remembers that `adresse` signed in successfully under `cle` (an account, a person).
    async fn remember_address(
        &self,
        cle: &str,
        adresse: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Whether `adresse` signed in successfully under `cle` at or after `depuis`.
    async fn known_address(
        &self,
        cle: &str,
        adresse: &str,
        depuis: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes failed attempts recorded before `echecs_avant` and known addresses last seen
    /// before `adresses_avant`; returns how many rows went.
    async fn purge_login_attempts(
        &self,
        echecs_avant: DateTime<Utc>,
        adresses_avant: DateTime<Utc>,
    ) -> StoreResult<u64>;

    async fn create_invitation(&self, invitation: &InvitationRow) -> StoreResult<()>;
    async fn invitation(&self, token_hash: &str) -> StoreResult<Option<InvitationRow>>;
    /// Marks an unused invitation used; `false` if it was already used or does not exist.
    async fn use_invitation(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<bool>;

    async fn add_courriel(&self, courriel: NewCourriel) -> StoreResult<i64>;
    /// The latest e-mails first.
    async fn courriels(&self, limit: i64) -> StoreResult<Vec<CourrielRow>>;
    async fn mark_courriel_envoye(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;
    /// Claims at most `limit` unsent e-mails, oldest first, that no other node holds at
    /// `maintenant`, until `jusqu_a`: one conditional update, so that two nodes claiming at
    /// once never get the same e-mail.
    async fn reserver_courriels(
        &self,
        maintenant: DateTime<Utc>,
        jusqu_a: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<CourrielRow>>;
    /// Claims the periodic job `nom` for its current period: `true` (and the next period
    /// starts at `prochaine`) if no node has claimed it since its last period ended at or
    /// before `maintenant`; `false` otherwise. One row per job, one conditional upsert.
    async fn reserver_tache(
        &self,
        nom: &str,
        maintenant: DateTime<Utc>,
        prochaine: DateTime<Utc>,
    ) -> StoreResult<bool>;

    // --- structures, places of activity, teams ---

    async fn create_structure(
        &self,
        nom: &str,
        siret: Option<&str>,
        code_insee: Option<&str>,
    ) -> StoreResult<i64>;
    async fn structures(&self) -> StoreResult<Vec<StructureRow>>;
    async fn create_lieu_activite(
        &self,
        structure_id: i64,
        nom: &str,
        lieu_id: Option<&str>,
        code_insee: &str,
    ) -> StoreResult<i64>;
    /// Places of activity of one structure, or of all.
    async fn lieux_activite(&self, structure_id: Option<i64>) -> StoreResult<Vec<LieuActiviteRow>>;
    async fn add_affectation(&self, affectation: &AffectationRow) -> StoreResult<()>;
    async fn affectations(&self, compte_id: i64) -> StoreResult<Vec<AffectationRow>>;
    /// Attaches an account to a structure (idempotent on account, structure and start: a
    /// second call replaces the end date). `Invalid` if `fin` is before `debut`.
    async fn add_rattachement(&self, rattachement: &RattachementRow) -> StoreResult<()>;
    /// Ends the open memberships (no end date) of an account in a structure on `fin`;
    /// returns how many were ended. Memberships starting after `fin` are left alone.
    async fn fin_rattachement(
        &self,
        compte_id: i64,
        structure_id: i64,
        fin: NaiveDate,
    ) -> StoreResult<u64>;
    /// Memberships of an account, oldest first.
    async fn rattachements(&self, compte_id: i64) -> StoreResult<Vec<RattachementRow>>;
    /// Memberships of a structure's accounts, oldest first.
    async fn rattachements_de_structure(
        &self,
        structure_id: i64,
    ) -> StoreResult<Vec<RattachementRow>>;
    /// Adds a mediator to a coordinator's team (idempotent).
    async fn add_equipe_membre(&self, coordinateur_id: i64, mediateur_id: i64) -> StoreResult<()>;
    /// The mediators of a coordinator's team.
    async fn equipe(&self, coordinateur_id: i64) -> StoreResult<Vec<i64>>;
    /// The coordinators whose team a mediator belongs to.
    async fn coordinateurs_de(&self, mediateur_id: i64) -> StoreResult<Vec<i64>>;
    /// Gives a coordinator a territory (code such as `dep:31`; idempotent).
    async fn add_territoire_coordonne(&self, compte_id: i64, territoire: &str) -> StoreResult<()>;
    async fn territoires_coordonnes(&self, compte_id: i64) -> StoreResult<Vec<String>>;

    // --- persons' keys and their spaces' sessions ---
    /// A new person's key; `Conflict` if the public part is taken (draw another).
    async fn create_personne(
        &self,
        cle: &str,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Several new persons' keys `(cle, code_hash)` in one transaction, in input order:
    /// the new id, or `None` where the public part is already taken (that key is not
    /// written; the others are). The public parts of one call must be distinct.
    async fn create_personnes(
        &self,
        cles: &[(String, String)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Option<i64>>>;
    async fn personne(&self, id: i64) -> StoreResult<Option<PersonneRow>>;
    async fn personne_by_cle(&self, cle: &str) -> StoreResult<Option<PersonneRow>>;
    /// A new code for the person (the old one stops working); `Conflict` if the public
    /// part is taken, `NotFound` without such a person.
    async fn set_personne_code(&self, id: i64, cle: &str, code_hash: &str) -> StoreResult<()>;
    async fn put_personne_session(
        &self,
        token_hash: &str,
        personne_id: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The person of a session still valid at `now`.
    async fn personne_of_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>>;
    /// Ends every session of a person (on every node); returns how many.
    async fn delete_personne_sessions(&self, personne_id: i64) -> StoreResult<u64>;
    /// Removes sessions expired before `now`.
    async fn purge_personne_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    // --- counters of the public forms' limits, instance-wide secrets ---
    /// The hits of many requests in one transaction (the group commit of a burst of public
    /// forms: one commit instead of one per request), each request's limits in order. One
    /// hit under `cle` at `maintenant_ms` (Unix milliseconds) is one statement: a window
    /// that has ended (`fin_ms <= maintenant_ms`) or none starts again at this hit (1,
    /// ending at `maintenant_ms + fenetre_ms`); otherwise the count grows while it is at
    /// most `max`, and stays at `max + 1` once over. A hit is refused when the count is then
    /// over `max`: the hits already counted for that request are taken back. Returns, per
    /// request, `Ok(())`, or the index of the refusing limit and the end of its window.
    async fn count_hits(
        &self,
        demandes: &[Vec<Coup>],
    ) -> StoreResult<Vec<Result<(), (usize, i64)>>>;
    /// Deletes the counters whose window ended before `avant_ms`; returns how many.
    async fn purge_counters(&self, avant_ms: i64) -> StoreResult<u64>;
    /// The instance-wide secret `nom`: the one stored, or `propose` stored now if there is
    /// none (one statement: two nodes asking at once get the same value).
    async fn instance_secret(&self, nom: &str, propose: &str) -> StoreResult<String>;
}

/// One hit of [`ComptesStore::count_hits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coup {
    pub cle: String,
    pub maintenant_ms: i64,
    pub fenetre_ms: i64,
    pub max: i64,
}
