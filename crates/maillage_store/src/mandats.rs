//! Storage of the Mandats module: persons (usagers), mandates and their démarches, aidants'
//! habilitations, and the journal with its seals.
//!
//! Every change to a mandate is written in the same transaction as the journal entry that
//! describes it. Appends are serialised (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a
//! transaction-level advisory lock) so the chain has no gap and no fork, and the state of a
//! mandate read inside that transaction is the state the entry describes. Both backends
//! refuse `UPDATE` and `DELETE` on the journal and its seals with triggers.
//!
//! The store shapes the entries it derives itself (a refusal, the démarches revoked by a
//! newer mandate); the caller gives everything else.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maillage_domain::mandats::{
    Chaine, Demarche, Entree, EtatAutorisation, MotifRefus, NouvelleEntree, PorteeMandat, Rapport,
    Sceau, Verificateur, VerifyingKey,
};
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// A person for whom mandates are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUsager {
    /// Random id that names the person in the journal.
    pub pseudonyme: String,
    pub structure_id: i64,
    /// JSON of the personal fields (identity as checked).
    pub data: String,
    /// Public part of the personal code (lookup key).
    pub code_cle: String,
    /// Hash of the secret part of the personal code.
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    /// The person's key in the accounts kernel (« Mon espace »); the code above is a copy
    /// of its code, no longer read.
    pub personne_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsagerRow {
    pub id: i64,
    pub pseudonyme: String,
    pub structure_id: i64,
    /// `None` once purged.
    pub data: Option<String>,
    pub code_cle: String,
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    pub purge_at: Option<DateTime<Utc>>,
    /// The person's key in the accounts kernel.
    pub personne_id: Option<i64>,
}

/// The person a new mandate is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsagerCible {
    Existant(i64),
    Nouveau(NewUsager),
}

/// A mandate to create (with its démarches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMandat {
    pub usager: UsagerCible,
    pub structure_id: i64,
    pub aidant_id: i64,
    /// `1j`, `1m`, `6m`, `12m`.
    pub duree: String,
    pub created_at: DateTime<Utc>,
    pub expire_at: DateTime<Utc>,
    pub demarches: Vec<Demarche>,
    /// SHA-256 (hex) of the printed document.
    pub empreinte: String,
    /// Version of the template the document was printed from.
    pub modele: String,
    /// Canonical JSON of the printed document (personal data: purged with the person).
    pub document: String,
    /// The mandate this one renews (revoked as a whole by this one).
    pub renouvelle: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutorisationRow {
    pub demarche: Demarche,
    pub revoquee_at: Option<DateTime<Utc>>,
    /// `aidant`, `usager`, `remplacee` (by a newer mandate) or `renouvellement`.
    pub revoquee_par: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandatRow {
    pub id: i64,
    pub usager_id: i64,
    pub structure_id: i64,
    pub aidant_id: i64,
    pub duree: String,
    pub created_at: DateTime<Utc>,
    pub expire_at: DateTime<Utc>,
    pub revoque_at: Option<DateTime<Utc>>,
    pub revoque_par: Option<String>,
    pub empreinte: String,
    pub modele: String,
    pub document: Option<String>,
    pub renouvelle: Option<i64>,
    pub rappel_at: Option<DateTime<Utc>>,
    pub autorisations: Vec<AutorisationRow>,
}

impl MandatRow {
    pub fn etats(&self) -> Vec<EtatAutorisation> {
        self.autorisations
            .iter()
            .map(|a| EtatAutorisation {
                demarche: a.demarche,
                revoquee_at: a.revoquee_at,
            })
            .collect()
    }

    /// Applies the domain rules to this mandate.
    pub fn controler(
        &self,
        habilite: bool,
        structure_aidant: Option<i64>,
        demarche: Demarche,
        maintenant: DateTime<Utc>,
    ) -> Result<(), MotifRefus> {
        let etats = self.etats();
        PorteeMandat {
            structure_id: self.structure_id,
            expire_at: self.expire_at,
            revoque_at: self.revoque_at,
            autorisations: &etats,
        }
        .controler(habilite, structure_aidant, demarche, maintenant)
    }

    pub fn actif(&self, maintenant: DateTime<Utc>) -> bool {
        let etats = self.etats();
        PorteeMandat {
            structure_id: self.structure_id,
            expire_at: self.expire_at,
            revoque_at: self.revoque_at,
            autorisations: &etats,
        }
        .actif(maintenant)
    }
}

/// The result of creating a mandate: its id, the person's, and the entries appended
/// (the creation first, then one revocation per older mandate it replaced démarches of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandatCree {
    pub id: i64,
    pub usager_id: i64,
    pub entrees: Vec<Entree>,
}

/// A declared use of a mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utilisation {
    pub mandat_id: i64,
    pub demarche: Demarche,
    pub habilite: bool,
    pub structure_aidant: Option<i64>,
    pub at: DateTime<Utc>,
    /// A short note of the aidant, kept (with the entry's number) only if the use is
    /// allowed; personal data, so not in the journal (the caller puts its hash there).
    pub note: Option<String>,
}

/// An aidant's habilitation to act under mandates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HabilitationRow {
    pub compte_id: i64,
    pub habilite_at: DateTime<Utc>,
    pub habilite_par: i64,
}

/// What an aidant's identity verification through a provider keeps between two requests
/// (which may reach two app nodes): see [`MandatsStore::put_identification`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatureIdentification {
    /// The pending authorization request (state, nonce, PKCE verifier…), as JSON.
    Demande,
    /// The identity the provider returned, waiting for the mandate to be signed, as JSON.
    Verifiee,
}

impl NatureIdentification {
    /// The stored code (`identifications_en_cours.nature`).
    pub fn code(self) -> &'static str {
        match self {
            NatureIdentification::Demande => "demande",
            NatureIdentification::Verifiee => "verifiee",
        }
    }
}

/// The Mandats storage. Object safe.
#[async_trait]
pub trait MandatsStore: Send + Sync {
    // --- habilitations ---
    /// Habilitates an account (idempotent: the first habilitation is kept).
    async fn add_habilitation(
        &self,
        compte_id: i64,
        par: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn remove_habilitation(&self, compte_id: i64) -> StoreResult<bool>;
    async fn habilitation(&self, compte_id: i64) -> StoreResult<Option<HabilitationRow>>;

    // --- persons ---
    async fn usager(&self, id: i64) -> StoreResult<Option<UsagerRow>>;
    async fn usager_by_cle(&self, code_cle: &str) -> StoreResult<Option<UsagerRow>>;
    /// The persons (one per structure that signed a mandate for them) under a key of the
    /// kernel, newest first.
    async fn usagers_of_personne(&self, personne_id: i64) -> StoreResult<Vec<UsagerRow>>;
    /// Persons with a mandate (active or not) held by a structure, or created by it.
    async fn usagers_of_structure(&self, structure_id: i64) -> StoreResult<Vec<UsagerRow>>;
    /// Replaces the personal code (the old one stops working).
    async fn set_usager_code(
        &self,
        usager_id: i64,
        code_cle: &str,
        code_hash: &str,
    ) -> StoreResult<()>;
    /// The generation of the person's space sessions: a session carries it and is refused
    /// once it changed. `NotFound` if the person is unknown.
    async fn usager_session_epoch(&self, usager_id: i64) -> StoreResult<i64>;
    /// Ends every open session of the person's space (« Fermer ») by incrementing the
    /// generation; returns the new one. `NotFound` if the person is unknown.
    async fn close_usager_sessions(&self, usager_id: i64) -> StoreResult<i64>;
    /// The notes kept with the allowed uses of a mandate: `(entry number, note)`, in order.
    async fn utilisation_notes(&self, mandat_id: i64) -> StoreResult<Vec<(i64, String)>>;
    /// Erases a person's personal fields, the documents of their mandates and the notes of
    /// their uses; the journal is untouched. `false` if already purged or unknown.
    async fn purge_usager(&self, usager_id: i64, at: DateTime<Utc>) -> StoreResult<bool>;

    // --- mandates (each write appends to the journal in the same transaction) ---
    /// Creates a mandate (and its person if new). Démarches of the person's other active
    /// mandates in the same structure that this one covers are revoked (`remplacee`), one
    /// `revocation_demarche` entry per mandate touched; a renewed mandate is revoked as a
    /// whole. `entree` is the creation (or renewal) entry; its `mandat_id` and `usager` are
    /// filled in here.
    async fn create_mandat(
        &self,
        mandat: NewMandat,
        entree: NouvelleEntree,
    ) -> StoreResult<MandatCree>;
    /// Checks a use against the mandate's state inside the transaction: appends `entree`
    /// if allowed, otherwise a `refus_utilisation` entry with the reason in `details`.
    /// `NotFound` (nothing written) if the mandate does not exist.
    ///
    /// Here and in the other writes about one mandate, the store fills in the entry's
    /// `mandat_id`, `usager` (pseudonymous id) and, unless given, `structure_id`.
    async fn record_utilisation(
        &self,
        utilisation: Utilisation,
        entree: NouvelleEntree,
    ) -> StoreResult<Result<Entree, (MotifRefus, Entree)>>;
    /// Revokes the given démarches (all if `None`) still active; the mandate is revoked
    /// once none is left. Appends one entry (`revocation_mandat` when the whole mandate
    /// ends, else `revocation_demarche`) naming what was revoked; `None`, nothing written,
    /// if nothing was active.
    async fn revoke(
        &self,
        mandat_id: i64,
        demarches: Option<Vec<Demarche>>,
        par: &str,
        entree: NouvelleEntree,
    ) -> StoreResult<Option<Entree>>;
    /// Moves a mandate (and its person) to another structure.
    async fn transfer_mandat(
        &self,
        mandat_id: i64,
        vers_structure: i64,
        entree: NouvelleEntree,
    ) -> StoreResult<Entree>;
    /// Marks the expiry reminder sent; `None`, nothing written, if it already was.
    async fn mark_rappel(
        &self,
        mandat_id: i64,
        entree: NouvelleEntree,
    ) -> StoreResult<Option<Entree>>;
    /// Appends an entry that changes no record (a view).
    async fn append_entree(&self, entree: NouvelleEntree) -> StoreResult<Entree>;

    async fn mandat(&self, id: i64) -> StoreResult<Option<MandatRow>>;
    async fn mandat_by_empreinte(&self, empreinte: &str) -> StoreResult<Option<MandatRow>>;
    /// Latest first.
    async fn mandats_of_usager(&self, usager_id: i64) -> StoreResult<Vec<MandatRow>>;
    /// Latest first.
    async fn mandats_of_structure(&self, structure_id: i64) -> StoreResult<Vec<MandatRow>>;
    /// Mandates not revoked, not reminded, expiring in `[apres, avant)`.
    async fn mandats_due_rappel(
        &self,
        apres: DateTime<Utc>,
        avant: DateTime<Utc>,
    ) -> StoreResult<Vec<MandatRow>>;

    // --- journal ---
    async fn journal_head(&self) -> StoreResult<Chaine>;
    /// Entries with `seq > apres`, in order, at most `limite`.
    async fn journal(&self, apres: i64, limite: i64) -> StoreResult<Vec<Entree>>;
    async fn journal_of_mandat(&self, mandat_id: i64) -> StoreResult<Vec<Entree>>;
    async fn journal_of_usager(&self, pseudonyme: &str) -> StoreResult<Vec<Entree>>;
    /// `Conflict` if a seal already exists for that entry.
    async fn add_sceau(&self, sceau: &Sceau) -> StoreResult<()>;
    async fn sceaux(&self) -> StoreResult<Vec<Sceau>>;

    // --- identity verifications through a provider, per aidant account ---
    /// Keeps `donnees` (JSON) under the account and `nature`, made at `at`, replacing what
    /// was kept there.
    async fn put_identification(
        &self,
        compte_id: i64,
        nature: NatureIdentification,
        donnees: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// What is kept under the account and `nature`, and when it was made, without taking it.
    async fn identification(
        &self,
        compte_id: i64,
        nature: NatureIdentification,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>>;
    /// Takes what is kept (one `DELETE … RETURNING`: of two nodes taking it at once, one
    /// gets it), and when it was made.
    async fn take_identification(
        &self,
        compte_id: i64,
        nature: NatureIdentification,
    ) -> StoreResult<Option<(String, DateTime<Utc>)>>;
    /// Forgets what was made before `avant`; returns how many rows went.
    async fn purge_identifications(&self, avant: DateTime<Utc>) -> StoreResult<u64>;
}

/// Compact JSON object of string/integer pairs (this crate has no serde_json).
pub fn details(paires: &[(&str, DetailValeur<'_>)]) -> String {
    let mut s = String::from("{");
    for (i, (k, v)) in paires.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        chaine_json(&mut s, k);
        s.push(':');
        match v {
            DetailValeur::Texte(t) => chaine_json(&mut s, t),
            DetailValeur::Entier(n) => s.push_str(&n.to_string()),
        }
    }
    s.push('}');
    s
}

/// A value in [`details`].
#[derive(Debug, Clone, Copy)]
pub enum DetailValeur<'a> {
    Texte(&'a str),
    Entier(i64),
}

fn chaine_json(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
}

/// What a revocation ends, given the mandate's current démarches: the démarches to revoke
/// (still active, asked for) and whether the mandate then has none left.
pub fn a_revoquer(mandat: &MandatRow, demarches: Option<&[Demarche]>) -> (Vec<Demarche>, bool) {
    let actives: Vec<Demarche> = mandat
        .autorisations
        .iter()
        .filter(|a| a.revoquee_at.is_none())
        .map(|a| a.demarche)
        .collect();
    let cibles: Vec<Demarche> = match demarches {
        None => actives.clone(),
        Some(d) => actives.iter().copied().filter(|a| d.contains(a)).collect(),
    };
    let tout = mandat.revoque_at.is_none() && !cibles.is_empty() && cibles.len() == actives.len();
    (cibles, tout)
}

/// Checks a new mandate before anything is written.
pub fn valider_mandat(m: &NewMandat) -> StoreResult<()> {
    if m.demarches.is_empty() {
        return Err(StoreError::Invalid(
            "a mandate needs at least one démarche".into(),
        ));
    }
    if m.expire_at <= m.created_at {
        return Err(StoreError::Invalid(
            "a mandate must expire after it starts".into(),
        ));
    }
    if m.empreinte.len() != 64 {
        return Err(StoreError::Invalid(
            "the mandate's fingerprint is a SHA-256".into(),
        ));
    }
    Ok(())
}

/// Recomputes the whole chain and checks the seals, reading the journal `page` entries at
/// a time (memory stays flat whatever its length). Names the first broken entry.
pub async fn verifier_journal(
    store: &(impl MandatsStore + ?Sized),
    sceaux: Vec<Sceau>,
    cle: &VerifyingKey,
    page: i64,
) -> StoreResult<Rapport> {
    verifier_journal_suivi(store, sceaux, cle, page, |_| {}).await
}

/// [`verifier_journal`], calling `progression` with the last entry read after each page.
pub async fn verifier_journal_suivi(
    store: &(impl MandatsStore + ?Sized),
    sceaux: Vec<Sceau>,
    cle: &VerifyingKey,
    page: i64,
    mut progression: impl FnMut(i64),
) -> StoreResult<Rapport> {
    let mut v = Verificateur::new(sceaux, cle);
    let mut apres = 0;
    'pages: loop {
        let lot = store.journal(apres, page.max(1)).await?;
        let Some(derniere) = lot.last() else { break };
        apres = derniere.seq;
        let complet = lot.len() as i64 >= page.max(1);
        for e in &lot {
            if !v.entree(e) {
                break 'pages;
            }
        }
        progression(apres);
        if !complet {
            break;
        }
    }
    Ok(v.fin())
}

/// One entry of a journal page aggregated by the database as a JSON array of arrays:
/// `[seq, at_us, action, acteur, structure_id, mandat_id, usager, demarches, details,
/// hex(prev_hash), hex(hash)]`. Drivers cost far more per row returned than this parsing.
/// (SQLite reads its pages so; PostgreSQL by binary `COPY`, faster still.)
type LignePage = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
    String,
);

/// Parses an aggregated journal page. A malformed hash (tampered) becomes a value no
/// SHA-256 equals, so verification names the entry instead of failing to read.
pub fn lire_page_json(page: &str) -> StoreResult<Vec<Entree>> {
    let lignes: Vec<LignePage> = serde_json::from_str(page)
        .map_err(|e| StoreError::Database(format!("journal page: {e}")))?;
    let hash =
        |h: &str| maillage_domain::mandats::journal::depuis_hex::<32>(h).unwrap_or([0xff; 32]);
    Ok(lignes
        .into_iter()
        .map(|l| Entree {
            seq: l.0,
            contenu: NouvelleEntree {
                at_us: l.1,
                action: l.2,
                acteur: l.3,
                structure_id: l.4,
                mandat_id: l.5,
                usager: l.6,
                demarches: l.7,
                details: l.8,
            },
            prev_hash: hash(&l.9),
            hash: hash(&l.10),
        })
        .collect())
}
