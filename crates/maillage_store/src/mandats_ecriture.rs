//! The Mandats write rules, written once for both backends: chaining journal entries, what
//! a new mandate revokes in the person's older ones, what a refused use writes, the entries
//! of a revocation, a transfer and a reminder.
//!
//! Each backend gives the SQL of its write transaction as a [`TransactionMandats`] (the
//! journal's lock held for the whole transaction: `BEGIN IMMEDIATE` in SQLite, a
//! transaction-level advisory lock in PostgreSQL) and calls these functions between
//! `BEGIN` and `COMMIT`. A function that returns an error leaves the transaction to be
//! rolled back: nothing is half-written.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use maillage_domain::mandats::{Action, Chaine, Demarche, Entree, MotifRefus, NouvelleEntree};

use crate::mandats::{
    a_revoquer, details, valider_mandat, DetailValeur, MandatCree, MandatRow, NewMandat, NewUsager,
    UsagerCible, Utilisation,
};
use crate::{StoreError, StoreResult};

/// The statements one backend runs inside a Mandats write transaction: SQL only, no rule.
#[async_trait]
pub trait TransactionMandats: Send {
    /// The last entry of the journal ([`Chaine::VIDE`] when empty).
    async fn journal_head(&mut self) -> StoreResult<Chaine>;
    /// Inserts one chained entry.
    async fn insert_entree(&mut self, entree: &Entree) -> StoreResult<()>;
    /// The pseudonym naming a person in the journal.
    async fn pseudonyme(&mut self, usager_id: i64) -> StoreResult<Option<String>>;
    async fn insert_usager(&mut self, usager: &NewUsager) -> StoreResult<i64>;
    /// Inserts a mandate for this person and one authorisation per démarche.
    async fn insert_mandat(&mut self, usager_id: i64, mandat: &NewMandat) -> StoreResult<i64>;
    async fn mandat(&mut self, id: i64) -> StoreResult<Option<MandatRow>>;
    /// The person's mandates in a structure not revoked as a whole, but `sauf`, by id.
    async fn unrevoked_mandats(
        &mut self,
        usager_id: i64,
        structure_id: i64,
        sauf: i64,
    ) -> StoreResult<Vec<MandatRow>>;
    /// Revokes these démarches of a mandate (those still active), and the mandate itself
    /// when `tout`.
    async fn revoke_demarches(
        &mut self,
        mandat_id: i64,
        demarches: &[Demarche],
        tout: bool,
        par: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Keeps an aidant's note on an allowed use, by the entry's number.
    async fn add_utilisation_note(
        &mut self,
        seq: i64,
        mandat_id: i64,
        note: &str,
    ) -> StoreResult<()>;
    async fn set_structure(&mut self, mandat_id: i64, structure_id: i64) -> StoreResult<()>;
    /// Sets the reminder time if none is set; `false` if one was.
    async fn set_rappel(&mut self, mandat_id: i64, at: DateTime<Utc>) -> StoreResult<bool>;
}

fn instant(at_us: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(at_us)
        .ok_or_else(|| StoreError::Invalid(format!("timestamp out of range: {at_us}")))
}

/// Appends entries after the head of the journal, in order.
pub async fn append<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    entrees: Vec<NouvelleEntree>,
) -> StoreResult<Vec<Entree>> {
    let mut chaine = tx.journal_head().await?;
    let mut tampon = Vec::with_capacity(256);
    let mut out = Vec::with_capacity(entrees.len());
    for contenu in entrees {
        let e = chaine.ajouter(contenu, &mut tampon);
        tx.insert_entree(&e).await?;
        out.push(e);
    }
    Ok(out)
}

/// Appends one entry.
pub async fn append_one<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    entree: NouvelleEntree,
) -> StoreResult<Entree> {
    append(tx, vec![entree])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Database("no entry appended".into()))
}

/// Fills in what the store knows about the mandate an entry is about: its id, the
/// person's pseudonymous id, and (unless given) the structure holding it.
async fn attach_to_mandat<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    mandat: &MandatRow,
    mut e: NouvelleEntree,
) -> StoreResult<NouvelleEntree> {
    let pseudonyme = tx
        .pseudonyme(mandat.usager_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    e.mandat_id = Some(mandat.id);
    e.usager = Some(pseudonyme);
    e.structure_id = e.structure_id.or(Some(mandat.structure_id));
    Ok(e)
}

async fn load<T: TransactionMandats + ?Sized>(tx: &mut T, id: i64) -> StoreResult<MandatRow> {
    tx.mandat(id).await?.ok_or(StoreError::NotFound)
}

fn revocation(tout: bool) -> String {
    if tout {
        Action::RevocationMandat
    } else {
        Action::RevocationDemarche
    }
    .code()
    .into()
}

/// [`crate::MandatsStore::create_mandat`]: the person (new or known), the mandate and its
/// démarches, its entry, then the démarches it takes over from the person's other active
/// mandates in the structure (all of a renewed one), each revocation with its entry.
pub async fn create_mandat<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    m: NewMandat,
    mut entree: NouvelleEntree,
) -> StoreResult<MandatCree> {
    valider_mandat(&m)?;
    let (usager_id, pseudonyme) = match &m.usager {
        UsagerCible::Existant(id) => {
            let p = tx.pseudonyme(*id).await?.ok_or(StoreError::NotFound)?;
            (*id, p)
        }
        UsagerCible::Nouveau(u) => (tx.insert_usager(u).await?, u.pseudonyme.clone()),
    };
    if let Some(ancien) = m.renouvelle {
        let a = load(tx, ancien).await?;
        if a.usager_id != usager_id || a.structure_id != m.structure_id {
            return Err(StoreError::Invalid(
                "a renewal is for the same person in the same structure".into(),
            ));
        }
    }
    let id = tx.insert_mandat(usager_id, &m).await?;
    entree.mandat_id = Some(id);
    entree.usager = Some(pseudonyme);
    if entree.structure_id.is_none() {
        entree.structure_id = Some(m.structure_id);
    }
    let mut entrees = vec![entree.clone()];
    // The person's other active mandates in this structure lose the démarches this one
    // covers (a renewed one loses everything).
    for autre in tx.unrevoked_mandats(usager_id, m.structure_id, id).await? {
        let renouvele = m.renouvelle == Some(autre.id);
        let cibles: Option<&[Demarche]> = if renouvele { None } else { Some(&m.demarches) };
        let (demarches, tout) = a_revoquer(&autre, cibles);
        if demarches.is_empty() {
            continue;
        }
        let par = if renouvele {
            "renouvellement"
        } else {
            "remplacee"
        };
        tx.revoke_demarches(autre.id, &demarches, tout, par, m.created_at)
            .await?;
        entrees.push(NouvelleEntree {
            action: revocation(tout),
            mandat_id: Some(autre.id),
            demarches: Demarche::codes(&demarches),
            details: details(&[
                ("motif", DetailValeur::Texte(par)),
                ("par_mandat", DetailValeur::Entier(id)),
            ]),
            ..entree.clone()
        });
    }
    let entrees = append(tx, entrees).await?;
    Ok(MandatCree {
        id,
        usager_id,
        entrees,
    })
}

/// [`crate::MandatsStore::record_utilisation`]: the mandate is checked in the transaction; an allowed
/// use appends its entry (and keeps the note), a refused one appends a refusal.
pub async fn record_utilisation<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    u: Utilisation,
    entree: NouvelleEntree,
) -> StoreResult<Result<Entree, (MotifRefus, Entree)>> {
    let mandat = load(tx, u.mandat_id).await?;
    let verdict = mandat.controler(u.habilite, u.structure_aidant, u.demarche, u.at);
    let entree = attach_to_mandat(tx, &mandat, entree).await?;
    Ok(match verdict {
        Ok(()) => {
            let e = append_one(tx, entree).await?;
            if let Some(note) = &u.note {
                tx.add_utilisation_note(e.seq, mandat.id, note).await?;
            }
            Ok(e)
        }
        Err(motif) => {
            let refus = NouvelleEntree {
                action: Action::RefusUtilisation.code().into(),
                demarches: u.demarche.code().into(),
                details: details(&[("motif", DetailValeur::Texte(motif.code()))]),
                ..entree
            };
            Err((motif, append_one(tx, refus).await?))
        }
    })
}

/// [`crate::MandatsStore::revoke`]: `None` when nothing was left to revoke.
pub async fn revoke<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    mandat_id: i64,
    demarches: Option<&[Demarche]>,
    par: &str,
    entree: NouvelleEntree,
) -> StoreResult<Option<Entree>> {
    let mandat = load(tx, mandat_id).await?;
    let (cibles, tout) = a_revoquer(&mandat, demarches);
    if cibles.is_empty() {
        return Ok(None);
    }
    let at = instant(entree.at_us)?;
    tx.revoke_demarches(mandat_id, &cibles, tout, par, at)
        .await?;
    let entree = attach_to_mandat(tx, &mandat, entree).await?;
    let e = NouvelleEntree {
        action: revocation(tout),
        mandat_id: Some(mandat_id),
        demarches: Demarche::codes(&cibles),
        ..entree
    };
    Ok(Some(append_one(tx, e).await?))
}

/// [`crate::MandatsStore::transfer_mandat`].
pub async fn transfer_mandat<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    mandat_id: i64,
    vers_structure: i64,
    entree: NouvelleEntree,
) -> StoreResult<Entree> {
    let mandat = load(tx, mandat_id).await?;
    tx.set_structure(mandat_id, vers_structure).await?;
    let entree = attach_to_mandat(tx, &mandat, entree).await?;
    append_one(
        tx,
        NouvelleEntree {
            action: Action::Transfert.code().into(),
            mandat_id: Some(mandat_id),
            ..entree
        },
    )
    .await
}

/// [`crate::MandatsStore::mark_rappel`]: `None` when the reminder was already marked.
pub async fn mark_rappel<T: TransactionMandats + ?Sized>(
    tx: &mut T,
    mandat_id: i64,
    entree: NouvelleEntree,
) -> StoreResult<Option<Entree>> {
    let mandat = load(tx, mandat_id).await?;
    let entree = attach_to_mandat(tx, &mandat, entree).await?;
    let at = instant(entree.at_us)?;
    if !tx.set_rappel(mandat_id, at).await? {
        return Ok(None);
    }
    Ok(Some(
        append_one(
            tx,
            NouvelleEntree {
                action: Action::RappelExpiration.code().into(),
                mandat_id: Some(mandat_id),
                ..entree
            },
        )
        .await?,
    ))
}
