//! Storage of the Événements module: tours (`tournees`), events (`evenements`), their
//! sessions (`evenements_sessions`), the capacity pools the sessions count against
//! (`evenements_jauges`), and registrations (`inscriptions`).
//!
//! # Capacity
//!
//! Every session counts against one *jauge* (capacity pool): its own, or one shared with
//! other sessions of the same event. A registration is one transaction that first takes the
//! jauge's lock — PostgreSQL: `SELECT … FOR UPDATE` on the jauge's row; SQLite: the
//! database's one write lock (`BEGIN IMMEDIATE`) — then counts the « inscrit » rows of the
//! jauge and inserts the new one as « inscrit » while seats remain, else « liste_attente ».
//! Whatever the concurrency and whichever app node runs it, a jauge never holds more
//! « inscrit » than its capacity, and the waiting list is in the order the locks were taken
//! (the row ids, given under the lock, say that order).
//!
//! Cancelling an « inscrit » in the same kind of transaction offers the seat to the first
//! person waiting in the jauge (lowest id) for a limited time: the seat is held for them
//! (`offre_jusqu_a`, counted as taken) until they confirm or the offer lapses and goes to
//! the next person ([`EvenementsStore::expirer_offres`]).
//!
//! [`GardeCapacite::DesactiveePourEssai`] is the test-only switch of the concurrency
//! tests' control run (pretix does the same): it reads the count outside any lock, waits
//! [`FENETRE_COURSE_ESSAI`], then inserts, so that concurrent registrations overbook. It is
//! never the default; see `docs/EVENEMENTS.md`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// How long the unguarded path waits between its count and its insert (the race window of
/// the control run).
pub const FENETRE_COURSE_ESSAI: std::time::Duration = std::time::Duration::from_millis(20);

/// Whether registrations take the jauge's lock (always, except in the control run of the
/// concurrency tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GardeCapacite {
    /// Count and insert under the jauge's lock, in one transaction.
    #[default]
    Active,
    /// TEST ONLY: count outside any lock, wait [`FENETRE_COURSE_ESSAI`], insert. Overbooks
    /// under concurrency, by design.
    DesactiveePourEssai,
}

/// A tour (itinerary) that groups events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTournee {
    pub titre: String,
    pub structure_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourneeRow {
    pub id: i64,
    pub titre: String,
    pub structure_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A shared capacity pool of an event, named so that its sessions can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJauge {
    pub nom: String,
    pub capacite: i64,
}

/// A session of an event's programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionEvenement {
    pub titre: String,
    /// Code of `TypeSession` (`atelier`, `conference`…).
    pub type_session: String,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub salle: Option<String>,
    /// The session's own capacity; ignored when `jauge` names a shared pool.
    pub capacite: i64,
    /// The name of one of the event's [`NewJauge`]s.
    pub jauge: Option<String>,
}

/// An event to create, with its shared pools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvenement {
    pub tournee_id: Option<i64>,
    /// Code of `TypeEvenement` (`etape_tournee`, `journee_locale`, `atelier`).
    pub type_evenement: String,
    pub titre: String,
    pub description: Option<String>,
    /// INSEE code of the commune.
    pub commune: String,
    pub adresse: Option<String>,
    /// A published place of the directory (`lieu-…`).
    pub lieu_id: Option<String>,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    /// Code of `StatutEvenement`.
    pub statut: String,
    pub accessibilite: Accessibilite,
    pub structure_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub jauges: Vec<NewJauge>,
}

/// The accessibility of an event, in words (free text per aspect).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Accessibilite {
    pub mobilite: Option<String>,
    pub auditif: Option<String>,
    pub visuel: Option<String>,
    pub mental: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvenementRow {
    pub id: i64,
    pub tournee_id: Option<i64>,
    pub type_evenement: String,
    pub titre: String,
    pub description: Option<String>,
    pub commune: String,
    pub adresse: Option<String>,
    pub lieu_id: Option<String>,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub statut: String,
    pub accessibilite: Accessibilite,
    pub structure_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A session with its jauge's figures at the time of reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEvenementRow {
    pub id: i64,
    pub evenement_id: i64,
    pub titre: String,
    pub type_session: String,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub salle: Option<String>,
    pub jauge_id: i64,
    /// The shared pool's name, `None` for a session's own jauge.
    pub jauge: Option<String>,
    /// The jauge's capacity.
    pub capacite: i64,
    /// « inscrit » rows in the jauge (every session of a shared pool).
    pub inscrits: i64,
    /// « liste_attente » rows in the jauge.
    pub en_attente: i64,
}

impl SessionEvenementRow {
    /// Seats left in the jauge.
    pub fn places_libres(&self) -> i64 {
        (self.capacite - self.inscrits).max(0)
    }
}

/// Which events to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FiltreEvenements {
    /// INSEE codes; empty: every commune.
    pub communes: Vec<String>,
    /// Events that end at or after this instant.
    pub depuis: Option<DateTime<Utc>>,
    pub type_evenement: Option<String>,
    /// Statut codes; empty: every statut.
    pub statuts: Vec<String>,
    /// Only the stops of this tour.
    pub tournee: Option<i64>,
    pub limite: i64,
}

/// A registration to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInscription {
    pub session_id: i64,
    /// Client-facing id (UUID v4, lowercase text).
    pub uuid: String,
    pub prenom: String,
    pub contact: Option<String>,
    /// The public part of the person's key (for display; the key is the kernel's).
    pub cle: String,
    /// SHA-256 (hex) of the secret of the cancellation link.
    pub jeton_hash: String,
    pub created_at: DateTime<Utc>,
    /// The person's key in the accounts kernel (« Mon espace »).
    pub personne_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InscriptionRow {
    pub id: i64,
    pub session_id: i64,
    pub uuid: String,
    pub prenom: String,
    pub contact: Option<String>,
    /// `inscrit`, `liste_attente`, `annule`, `present`.
    pub statut: String,
    pub cle: String,
    pub jeton_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub personne_id: Option<i64>,
    /// A person waiting (`liste_attente`) to whom a freed seat is offered: the seat is held
    /// for them until then (it counts as taken); they confirm before, or it goes to the next.
    pub offre_jusqu_a: Option<DateTime<Utc>>,
}

/// What a registration became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InscriptionCreee {
    pub id: i64,
    pub uuid: String,
    /// `inscrit` or `liste_attente`.
    pub statut: String,
}

/// What a cancellation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annulation {
    /// The statut before: `inscrit`, `liste_attente` (or `annule` when it already was:
    /// nothing changed).
    pub ancien_statut: String,
    /// The waiting registration the freed seat is now offered to (until the deadline
    /// given to [`EvenementsStore::cancel_inscription`]).
    pub offerte: Option<i64>,
}

/// What [`EvenementsStore::expirer_offres`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffresTraitees {
    /// Offers past their deadline: those registrations are now « annule ».
    pub expirees: Vec<i64>,
    /// The waiting registrations the seats were offered to next.
    pub offertes: Vec<i64>,
}

/// What [`EvenementsStore::confirmer_offre`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationOffre {
    /// The seat was offered and still held: the registration is « inscrit » now.
    Confirmee,
    /// The offer's deadline has passed (the seat may have gone to the next person).
    Expiree,
    /// No seat is offered to this registration (already « inscrit », cancelled, or still
    /// waiting without an offer).
    SansOffre,
}

/// What an edit of an event in the organisers' space changes (its tour, structure, statut
/// and creation time stay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifEvenement {
    pub type_evenement: String,
    pub titre: String,
    pub description: Option<String>,
    pub commune: String,
    pub adresse: Option<String>,
    pub lieu_id: Option<String>,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub accessibilite: Accessibilite,
    /// The shared pools the sessions name (created when new, their capacity set when not).
    pub jauges: Vec<NewJauge>,
}

/// A session of an edited programme: `id` names an existing session of the event, `None`
/// adds one. The event's sessions an edit does not list are removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionModifiee {
    pub id: Option<i64>,
    pub session: NewSessionEvenement,
}

/// Why an edit was refused under the lock (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusModification {
    /// A session to remove, or to move to another pool, has registrations, check-ins, an
    /// allotment or an activity record.
    SessionOccupee(i64),
    /// A jauge's capacity would be below its seats taken `(jauge, taken, capacity)`.
    CapaciteInsuffisante {
        jauge_id: i64,
        prises: i64,
        capacite: i64,
    },
    /// A session id is not one of the event's.
    SessionEtrangere(i64),
}

impl RefusModification {
    /// The refusal as the message of a [`StoreError::Conflict`] (read back by
    /// [`RefusModification::lire`]).
    pub fn en_erreur(&self) -> StoreError {
        StoreError::Conflict(match self {
            RefusModification::SessionOccupee(s) => format!("session-occupee:{s}"),
            RefusModification::CapaciteInsuffisante {
                jauge_id,
                prises,
                capacite,
            } => format!("capacite:{jauge_id}:{prises}:{capacite}"),
            RefusModification::SessionEtrangere(s) => format!("session-etrangere:{s}"),
        })
    }

    /// The refusal a [`StoreError::Conflict`] of an edit carries.
    pub fn lire(e: &StoreError) -> Option<RefusModification> {
        let StoreError::Conflict(m) = e else {
            return None;
        };
        let parties: Vec<&str> = m.split(':').collect();
        let n = |i: usize| parties.get(i).and_then(|x| x.parse::<i64>().ok());
        match parties.first().copied() {
            Some("session-occupee") => n(1).map(RefusModification::SessionOccupee),
            Some("session-etrangere") => n(1).map(RefusModification::SessionEtrangere),
            Some("capacite") => Some(RefusModification::CapaciteInsuffisante {
                jauge_id: n(1)?,
                prises: n(2)?,
                capacite: n(3)?,
            }),
            _ => None,
        }
    }
}

pub const STATUT_INSCRIT: &str = "inscrit";
pub const STATUT_ATTENTE: &str = "liste_attente";
pub const STATUT_ANNULE: &str = "annule";
pub const STATUT_PRESENT: &str = "present";

/// The reminder the day before a session (outbox).
pub const RAPPEL_VEILLE: &str = "veille";
/// The message after a session (outbox).
pub const RAPPEL_APRES: &str = "apres";

/// The statut a new registration gets when `inscrits` seats of `capacite` are taken.
pub fn statut_pour(inscrits: i64, capacite: i64) -> &'static str {
    if inscrits < capacite {
        STATUT_INSCRIT
    } else {
        STATUT_ATTENTE
    }
}

/// Checks an event's pools and its sessions' references to them before anything is
/// written: both backends call it first.
pub fn valider_evenement(e: &NewEvenement, sessions: &[NewSessionEvenement]) -> StoreResult<()> {
    for (i, j) in e.jauges.iter().enumerate() {
        if j.capacite < 0 {
            return Err(StoreError::Invalid(format!(
                "jauge {:?}: negative capacity",
                j.nom
            )));
        }
        if e.jauges[..i].iter().any(|k| k.nom == j.nom) {
            return Err(StoreError::Invalid(format!(
                "jauge {:?} given twice",
                j.nom
            )));
        }
    }
    for s in sessions {
        if s.capacite < 0 {
            return Err(StoreError::Invalid(format!(
                "session {:?}: negative capacity",
                s.titre
            )));
        }
        if let Some(nom) = &s.jauge {
            if !e.jauges.iter().any(|j| &j.nom == nom) {
                return Err(StoreError::Invalid(format!(
                    "session {:?}: unknown jauge {nom:?}",
                    s.titre
                )));
            }
        }
    }
    Ok(())
}

/// The Événements storage.
#[async_trait]
pub trait EvenementsStore: Send + Sync {
    async fn create_tournee(&self, t: &NewTournee) -> StoreResult<i64>;

    async fn tournee(&self, id: i64) -> StoreResult<Option<TourneeRow>>;

    /// Creates the event, its pools and its sessions in one transaction; returns the
    /// event's id and the sessions' ids in the order given. Nothing is written on error.
    async fn create_evenement(
        &self,
        e: &NewEvenement,
        sessions: &[NewSessionEvenement],
    ) -> StoreResult<(i64, Vec<i64>)>;

    async fn evenement(&self, id: i64) -> StoreResult<Option<EvenementRow>>;

    /// Events matching `filtre`, by start then id.
    async fn evenements(&self, filtre: &FiltreEvenements) -> StoreResult<Vec<EvenementRow>>;

    async fn set_statut_evenement(&self, id: i64, statut: &str) -> StoreResult<()>;

    /// The local actors of an event, in their order.
    async fn acteurs_of_evenement(&self, evenement_id: i64) -> StoreResult<Vec<ActeurLocal>>;

    /// Replaces the local actors of an event (in one transaction).
    async fn set_acteurs_evenement(
        &self,
        evenement_id: i64,
        acteurs: &[ActeurLocal],
    ) -> StoreResult<()>;

    /// Edits an event and its programme in one transaction holding every jauge of the event
    /// (as the check-in batches do): the event's fields; the sessions listed are updated
    /// (`id`) or added (`None`), the others removed; a session's own jauge takes its new
    /// capacity, a shared pool the capacity given with it. Refused with a
    /// [`RefusModification`] (as a `Conflict`, nothing written) when a session to remove or
    /// to move to another pool has registrations, check-ins, an allotment or an activity
    /// record, or when a capacity would fall below the seats taken. When a capacity grows,
    /// the first people waiting in the jauge take the new seats (« inscrit »). Pools no
    /// session uses any more are removed.
    async fn modifier_evenement(
        &self,
        id: i64,
        e: &ModifEvenement,
        sessions: &[SessionModifiee],
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The events a structure organises (`None`: every event), latest start first.
    async fn evenements_of_structure(
        &self,
        structure_id: Option<i64>,
        limite: i64,
    ) -> StoreResult<Vec<EvenementRow>>;

    /// The sessions of an event with their jauges' figures, by start then id.
    async fn sessions_of_evenement(
        &self,
        evenement_id: i64,
    ) -> StoreResult<Vec<SessionEvenementRow>>;

    async fn session_evenement(&self, id: i64) -> StoreResult<Option<SessionEvenementRow>>;

    /// Registers in one transaction under the jauge's lock (see the module's doc), unless
    /// `garde` is the test-only [`GardeCapacite::DesactiveePourEssai`]. `NotFound` when the
    /// session does not exist.
    async fn create_inscription(
        &self,
        i: &NewInscription,
        garde: GardeCapacite,
    ) -> StoreResult<InscriptionCreee>;

    /// Several registrations in ONE transaction (group commit), decided in slice order
    /// exactly as one [`create_inscription`](Self::create_inscription) after another would be:
    /// the jauges involved are locked (in id order) for the whole transaction, then each
    /// registration takes a seat while one is free, else goes to the waiting list. One
    /// result per registration, in order: `NotFound` for an unknown session. An error of the
    /// transaction itself (outer `Err`) means none was written.
    async fn create_inscriptions(
        &self,
        lot: &[NewInscription],
    ) -> StoreResult<Vec<StoreResult<InscriptionCreee>>>;

    async fn inscription_by_jeton(&self, jeton_hash: &str) -> StoreResult<Option<InscriptionRow>>;

    async fn inscription_by_uuid(&self, uuid: &str) -> StoreResult<Option<InscriptionRow>>;

    /// Registrations of a session, by id (arrival order).
    async fn inscriptions_of_session(&self, session_id: i64) -> StoreResult<Vec<InscriptionRow>>;
    /// The registrations under a person's key, newest first.
    async fn inscriptions_of_personne(&self, personne_id: i64) -> StoreResult<Vec<InscriptionRow>>;

    /// Cancels a registration under its jauge's lock; a freed seat is offered to the first
    /// person waiting in the jauge without an offer, held for them until `offre_jusqu_a`
    /// (it counts as taken meanwhile). Cancelling twice changes nothing.
    async fn cancel_inscription(
        &self,
        id: i64,
        at: DateTime<Utc>,
        offre_jusqu_a: DateTime<Utc>,
    ) -> StoreResult<Annulation>;

    async fn inscription(&self, id: i64) -> StoreResult<Option<InscriptionRow>>;

    /// Registrations to tell something through the outbox, by id: those with a contact,
    /// of a published (or finished) event, not yet told this `nature` (see
    /// [`EvenementsStore::marquer_rappel`]). [`RAPPEL_VEILLE`]: « inscrit » to a session
    /// starting in `(de, a]`; [`RAPPEL_APRES`]: « inscrit » or « present » to a session
    /// that ended in `(de, a]`.
    async fn inscriptions_a_prevenir(
        &self,
        nature: &str,
        de: DateTime<Utc>,
        a: DateTime<Utc>,
    ) -> StoreResult<Vec<InscriptionRow>>;

    /// Records that the registration was told `nature`: `true` the first time, `false` when
    /// it already was (nothing written). The job calls it before queueing the message, so
    /// that a message is sent at most once.
    async fn marquer_rappel(
        &self,
        inscription_id: i64,
        nature: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Under the jauge's lock: a registration whose offer still holds at `at` becomes
    /// « inscrit »; otherwise nothing changes.
    async fn confirmer_offre(&self, id: i64, at: DateTime<Utc>) -> StoreResult<ConfirmationOffre>;

    /// The waiting-list job: every offer whose deadline is at or before `at` lapses (that
    /// registration becomes « annule »), and each seat it held is offered to the next
    /// person waiting, until `offre_jusqu_a`. One jauge at a time, under its lock; running
    /// it again at the same instant changes nothing.
    async fn expirer_offres(
        &self,
        at: DateTime<Utc>,
        offre_jusqu_a: DateTime<Utc>,
    ) -> StoreResult<OffresTraitees>;

    // Check-in on the day.
    //
    // A batch runs in one write transaction that holds every jauge of the event (PostgreSQL:
    // their rows `FOR UPDATE` in id order; SQLite: its one write lock). Each check-in is
    // inserted with `ON CONFLICT DO NOTHING` against two unique constraints: its `uuid`, and
    // the registration it names (one presence per registration). A walk-in uses one seat of
    // the device's allotment when it has one. An allotment is taken from the free seats of
    // the jauge under the same lock as registrations, and counts as taken for them.

    /// Records a batch from `appareil` for the event (see the trait's doc); with `rendre`,
    /// the device's unused allotments are given back afterwards.
    async fn enregistrer_pointages(
        &self,
        evenement_id: i64,
        appareil: &str,
        compte_id: i64,
        pointages: &[NewPointage],
        rendre: bool,
        recu_at: DateTime<Utc>,
    ) -> StoreResult<BilanPointages>;

    /// Sets the device's allotment of each `(session, places wanted)` to at most the seats
    /// still free in its jauge (plus what the device already held); returns what it got.
    async fn allouer(
        &self,
        evenement_id: i64,
        appareil: &str,
        demandes: &[(i64, i64)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, i64)>>;

    /// The check-ins of a session, by id.
    async fn pointages_of_session(&self, session_id: i64) -> StoreResult<Vec<PointageRow>>;

    /// Records that a key (« Mon espace », the person `personne_id` just made) was given at
    /// the check-in of a session.
    async fn noter_cle_remise(
        &self,
        session_id: i64,
        personne_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// How many keys were given at the check-in of a session.
    async fn cles_remises_of_session(&self, session_id: i64) -> StoreResult<i64>;

    /// Reserves the session's collective activity record (one per session): `true` when
    /// this call reserved it (the caller then writes the record and
    /// [`EvenementsStore::set_activite_of_session`]), `false` when it was already there.
    async fn reserve_activite_of_session(
        &self,
        session_id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The Médiation record made from the session (0 while reserved).
    async fn activite_of_session(&self, session_id: i64) -> StoreResult<Option<i64>>;

    /// Sets the record of a reserved session (`None`: gives the reservation up).
    async fn set_activite_of_session(
        &self,
        session_id: i64,
        activite_id: Option<i64>,
    ) -> StoreResult<()>;
}

// ---------------------------------------------------------------------------------------
// Check-in on the day (« accueil »): check-ins, walk-ins and the devices' allotments.
// ---------------------------------------------------------------------------------------

/// A local actor of an event: a place of the directory (`lieu_id`, `nom` its name) or a
/// named partner (`lieu_id` empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActeurLocal {
    pub nom: String,
    pub lieu_id: Option<String>,
}

/// A check-in sent by a device: a registered person (`inscription_uuid`) or a walk-in
/// (`None`, anonymous: an age band and a status of the Coop's vocabularies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPointage {
    /// Client-generated id (UUID): a re-upload of the same id creates nothing.
    pub uuid: String,
    pub session_id: i64,
    /// The registration checked in; `None` for a walk-in.
    pub inscription_uuid: Option<String>,
    /// Walk-ins: code of `TrancheAge`.
    pub tranche_age: Option<String>,
    /// Walk-ins: code of `StatutSocial`.
    pub statut_social: Option<String>,
    /// The need the person was oriented for (a label of the Lieux services vocabulary);
    /// `None`: not oriented.
    pub besoin: Option<String>,
    /// When the device checked the person in (its clock).
    pub pointe_at: DateTime<Utc>,
}

/// What became of one check-in of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EtatPointage {
    /// Recorded now.
    Cree,
    /// This id was already received (a re-upload): nothing created.
    DejaRecu,
    /// The person was already checked in by another check-in (`par_appareil` at `a`):
    /// nothing created, the attempt is kept so that both devices are told.
    DejaPointe {
        par_appareil: String,
        a: DateTime<Utc>,
    },
    /// Refused (unknown registration or session, another event's session…): the reason.
    Refuse(String),
}

/// The answer to a batch, in the batch's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilanPointages {
    pub etats: Vec<(String, EtatPointage)>,
    /// The device's allotments after the batch `(session_id, places)`.
    pub allocations: Vec<(i64, i64)>,
    /// Another device's attempts on persons this device checked in: `(inscription uuid,
    /// other device, when)`.
    pub doublons_vus_ailleurs: Vec<(String, String, DateTime<Utc>)>,
}

/// A check-in as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointageRow {
    pub id: i64,
    pub uuid: String,
    pub session_id: i64,
    pub inscription_id: Option<i64>,
    pub appareil: String,
    pub tranche_age: Option<String>,
    pub statut_social: Option<String>,
    /// The need the person was oriented for; `None`: not oriented.
    pub besoin: Option<String>,
    pub pointe_at: DateTime<Utc>,
    pub recu_at: DateTime<Utc>,
}

/// Most check-ins in one batch.
pub const POINTAGES_PAR_LOT_MAX: usize = 10_000;
