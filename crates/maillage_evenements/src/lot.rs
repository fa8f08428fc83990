//! Group commit of registrations.
//!
//! A burst of registrations to one session is serialised by the jauge's lock: one after
//! the other, each in its own transaction (two, with the new person's key), each waiting for
//! its commit to reach the disk. Two hundred people at once then wait for four hundred
//! commits. Here, requests that arrive while a batch is being written wait together and go
//! into the next batch: one transaction for their keys (the accounts kernel's), one for
//! their registrations (under the jauges' locks, decided in arrival order exactly as one
//! after another would be). Capacity stays a database guarantee across app nodes: a batch
//! is just a longer holder of the same lock.
//!
//! Who writes: the first waiter to take the turn takes every pending request and writes
//! them in a spawned task (so that a client going away does not cancel the others'
//! batch); the next turn starts when that task ends. A request whose client is already gone
//! when its batch starts is dropped, as if it had never arrived.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use maillage_comptes::personnes::NouvelleCle;
use maillage_store::evenements::{InscriptionCreee, NewInscription};
use tokio::sync::oneshot;

use crate::{ErreurEvenements, Evenements, Resultat};

/// What a batch gives back to one request: the registration, and the key it made.
pub(crate) type Reponse = Resultat<(InscriptionCreee, Option<NouvelleCle>)>;

pub(crate) struct Attente {
    /// `personne_id: None`: a new key is made for this registration in the batch.
    nouvelle: NewInscription,
    reponse: oneshot::Sender<Reponse>,
}

/// The registrations waiting for the next batch, and the turn to write one.
#[derive(Default)]
pub(crate) struct FileInscriptions {
    attente: Mutex<Vec<Attente>>,
    tour: Arc<tokio::sync::Mutex<()>>,
}

/// Most registrations written in one transaction.
const LOT_MAX: usize = 512;

fn interne(e: impl std::fmt::Display) -> ErreurEvenements {
    ErreurEvenements::Interne(e.to_string())
}

impl FileInscriptions {
    fn prendre(&self) -> Resultat<Vec<Attente>> {
        let mut attente = self
            .attente
            .lock()
            .map_err(|_| interne("registration queue poisoned"))?;
        Ok(std::mem::take(&mut *attente))
    }

    /// Waits for `nouvelle` to be written in a batch.
    pub(crate) async fn soumettre(&self, module: &Evenements, nouvelle: NewInscription) -> Reponse {
        let (reponse, mut recu) = oneshot::channel();
        self.attente
            .lock()
            .map_err(|_| interne("registration queue poisoned"))?
            .push(Attente { nouvelle, reponse });
        // The answer, or the turn: a request written by a batch while it waited for the
        // turn returns at once, instead of waiting behind the turn (the lock is fair) for the
        // batches that other waiters start meanwhile.
        let tour = tokio::select! {
            r = &mut recu => {
                return r.map_err(|_| interne("registration batch ended without an answer"))?;
            }
            tour = self.tour.clone().lock_owned() => tour,
        };
        let lot = self.prendre()?;
        if lot.is_empty() {
            // An earlier batch took this request: its answer is on its way.
            drop(tour);
        } else {
            let module = module.clone();
            tokio::spawn(async move {
                let _tour = tour;
                for morceau in decouper(lot) {
                    module.ecrire_lot(morceau).await;
                }
            });
        }
        recu.await
            .map_err(|_| interne("registration batch ended without an answer"))?
    }
}

/// The same refusal again, for every request of a session that does not take
/// registrations.
fn meme_refus(e: &ErreurEvenements) -> ErreurEvenements {
    match e {
        ErreurEvenements::Introuvable => ErreurEvenements::Introuvable,
        ErreurEvenements::EvenementAnnule => ErreurEvenements::EvenementAnnule,
        ErreurEvenements::InscriptionsFermees => ErreurEvenements::InscriptionsFermees,
        autre => interne(autre),
    }
}

fn decouper(mut lot: Vec<Attente>) -> Vec<Vec<Attente>> {
    let mut morceaux = Vec::new();
    while lot.len() > LOT_MAX {
        let reste = lot.split_off(LOT_MAX);
        morceaux.push(std::mem::replace(&mut lot, reste));
    }
    morceaux.push(lot);
    morceaux
}

impl Evenements {
    /// Writes one batch and answers each of its requests.
    async fn ecrire_lot(&self, lot: Vec<Attente>) {
        let lot: Vec<Attente> = lot.into_iter().filter(|a| !a.reponse.is_closed()).collect();
        if lot.is_empty() {
            return;
        }
        // Whether each session takes registrations: read once per session of the batch, not
        // once per request. A session that does not answers its requests here.
        let maintenant = self.maintenant();
        let mut ouvertes: HashMap<i64, Resultat<()>> = HashMap::new();
        for a in &lot {
            let id = a.nouvelle.session_id;
            if let Entry::Vacant(e) = ouvertes.entry(id) {
                e.insert(self.session_ouverte(id, maintenant).await);
            }
        }
        let lot: Vec<Attente> = lot
            .into_iter()
            .filter_map(|a| match ouvertes.get(&a.nouvelle.session_id) {
                Some(Ok(())) => Some(a),
                Some(Err(e)) => {
                    let _ = a.reponse.send(Err(meme_refus(e)));
                    None
                }
                None => {
                    let _ = a.reponse.send(Err(interne("session not checked")));
                    None
                }
            })
            .collect();
        if lot.is_empty() {
            return;
        }
        let a_creer = lot
            .iter()
            .filter(|a| a.nouvelle.personne_id.is_none())
            .count();
        let cles = match self.comptes.nouvelles_personnes(a_creer).await {
            Ok(cles) => cles,
            Err(e) => {
                tracing::error!(error = %e, "could not make the keys of a registration batch");
                for a in lot {
                    let _ = a.reponse.send(Err(interne(&e)));
                }
                return;
            }
        };
        let mut cles = cles.into_iter();
        let mut nouvelles = Vec::with_capacity(lot.len());
        let mut suites = Vec::with_capacity(lot.len());
        for Attente {
            mut nouvelle,
            reponse,
        } in lot
        {
            let cle = if nouvelle.personne_id.is_none() {
                match cles.next() {
                    Some(c) => {
                        nouvelle.personne_id = Some(c.personne_id);
                        nouvelle.cle = c.code.cle().to_string();
                        Some(c)
                    }
                    None => {
                        let _ = reponse.send(Err(interne("a batch key is missing")));
                        continue;
                    }
                }
            } else {
                None
            };
            nouvelles.push(nouvelle);
            suites.push((reponse, cle));
        }
        match self.store.create_inscriptions(&nouvelles).await {
            Ok(resultats) => {
                for (resultat, (reponse, cle)) in resultats.into_iter().zip(suites) {
                    let _ = reponse.send(resultat.map(|c| (c, cle)).map_err(Into::into));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, n = nouvelles.len(), "a registration batch failed");
                for (reponse, _) in suites {
                    let _ = reponse.send(Err(interne(&e)));
                }
            }
        }
    }
}
