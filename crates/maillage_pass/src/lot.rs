//! Group commit of redemptions.
//!
//! One redemption is one transaction, and a transaction waits for its commit to reach the
//! disk (SQLite at `synchronous = FULL`: one `fsync`, about 4 ms here; PostgreSQL: one WAL
//! flush). A hundred tills at once then wait for a hundred commits in a row. Here,
//! redemptions that arrive while a batch is being written wait together and go into the
//! next batch: one transaction ([`PassStore::utiliser_lot`]) that decides each of them in
//! arrival order exactly as one after the other would be, under the same guards (the
//! conditional update, the unique indexes), and chains all their ledger entries under one
//! take of the journal's lock. Double spend stays the database's to prevent, across app
//! nodes: a batch is one more holder of the same row locks.
//!
//! Who writes: the first waiter to get the turn takes every pending request and writes
//! them in a spawned task (a client going away does not cancel the others' batch); the
//! next turn starts when that task ends. A request answered while it waited for the turn
//! leaves the line at once. A request whose client is already gone when its
//! batch starts is dropped, as if it had never arrived.
//!
//! Only the guarded path goes through here: the control run of the tests
//! ([`GardePass::DesactiveePourEssai`]) stays one request, one transaction, so that its
//! race window exists.

use std::sync::{Arc, Mutex};

use maillage_store::pass::{GardePass, NewUtilisation, Utilisation};
use maillage_store::{PassStore, StoreError, StoreResult};
use tokio::sync::oneshot;

/// Most redemptions written in one transaction.
pub const LOT_MAX: usize = 256;

struct Attente {
    utilisation: NewUtilisation,
    reponse: oneshot::Sender<StoreResult<Utilisation>>,
}

/// The redemptions waiting for the next batch, and the turn to write one.
#[derive(Default)]
pub(crate) struct FileUtilisations {
    attente: Mutex<Vec<Attente>>,
    tour: Arc<tokio::sync::Mutex<()>>,
}

fn interne(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

impl FileUtilisations {
    fn prendre(&self) -> StoreResult<Vec<Attente>> {
        let mut attente = self
            .attente
            .lock()
            .map_err(|_| interne("redemption queue poisoned"))?;
        Ok(std::mem::take(&mut *attente))
    }

    /// Waits for `utilisation` to be written in a batch: what
    /// [`PassStore::utiliser`] would have answered.
    pub(crate) async fn soumettre(
        &self,
        store: &Arc<dyn PassStore>,
        utilisation: NewUtilisation,
    ) -> StoreResult<Utilisation> {
        let (reponse, mut recu) = oneshot::channel();
        self.attente
            .lock()
            .map_err(|_| interne("redemption queue poisoned"))?
            .push(Attente {
                utilisation,
                reponse,
            });
        // The answer, or the turn: a request written by a batch while it waited for the
        // turn returns at once (it does not wait, behind the turn, for the next batch).
        let tour = tokio::select! {
            r = &mut recu => {
                return r.map_err(|_| interne("redemption batch ended without an answer"))?;
            }
            tour = self.tour.clone().lock_owned() => tour,
        };
        let lot = self.prendre()?;
        if lot.is_empty() {
            // An earlier batch took this request: its answer is on its way.
            drop(tour);
        } else {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                let _tour = tour;
                for morceau in decouper(lot) {
                    ecrire_lot(store.as_ref(), morceau).await;
                }
            });
        }
        recu.await
            .map_err(|_| interne("redemption batch ended without an answer"))?
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

/// Writes one batch and answers each of its requests.
async fn ecrire_lot(store: &dyn PassStore, lot: Vec<Attente>) {
    let (utilisations, reponses): (Vec<NewUtilisation>, Vec<_>) = lot
        .into_iter()
        .filter(|a| !a.reponse.is_closed())
        .map(|a| (a.utilisation, a.reponse))
        .unzip();
    if utilisations.is_empty() {
        return;
    }
    match store.utiliser_lot(&utilisations, GardePass::Active).await {
        Ok(resultats) if resultats.len() == reponses.len() => {
            for (resultat, reponse) in resultats.into_iter().zip(reponses) {
                let _ = reponse.send(resultat);
            }
        }
        Ok(resultats) => {
            tracing::error!(
                n = reponses.len(),
                answers = resultats.len(),
                "a redemption batch gave a wrong number of answers"
            );
            for reponse in reponses {
                let _ = reponse.send(Err(interne("redemption batch answer missing")));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, n = reponses.len(), "a redemption batch failed");
            for reponse in reponses {
                let _ = reponse.send(Err(e.clone()));
            }
        }
    }
}
