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
//! The queue itself (who writes, when a request leaves the line) is the generic one of
//! [`maillage_store::lot`]; this module is what a batch of redemptions does.
//!
//! Only the guarded path goes through here: the control run of the tests
//! ([`GardePass::DesactiveePourEssai`]) stays one request, one transaction, so that its
//! race window exists.

use std::sync::Arc;

use maillage_store::lot::{Attente, FileLots};
use maillage_store::pass::{GardePass, NewUtilisation, Utilisation};
use maillage_store::{PassStore, StoreError, StoreResult};

/// Most redemptions written in one transaction.
pub const LOT_MAX: usize = 256;

/// The redemptions waiting for the next batch.
pub(crate) type FileUtilisations = FileLots<NewUtilisation, StoreResult<Utilisation>>;

fn interne(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

/// Waits for `utilisation` to be written in a batch: what [`PassStore::utiliser`] would have
/// answered.
pub(crate) async fn soumettre(
    file: &FileUtilisations,
    store: &Arc<dyn PassStore>,
    utilisation: NewUtilisation,
) -> StoreResult<Utilisation> {
    let store = Arc::clone(store);
    file.soumettre(utilisation, move |lot| {
        let store = Arc::clone(&store);
        async move { ecrire_lot(store.as_ref(), lot).await }
    })
    .await
    .map_err(|e| interne(format!("redemption {e}")))?
}

/// Writes one batch and answers each of its requests.
async fn ecrire_lot(
    store: &dyn PassStore,
    lot: Vec<Attente<NewUtilisation, StoreResult<Utilisation>>>,
) {
    let (utilisations, reponses): (Vec<NewUtilisation>, Vec<_>) =
        lot.into_iter().map(Attente::separer).unzip();
    match store.utiliser_lot(&utilisations, GardePass::Active).await {
        Ok(resultats) if resultats.len() == reponses.len() => {
            for (resultat, reponse) in resultats.into_iter().zip(reponses) {
                reponse.repondre(resultat);
            }
        }
        Ok(resultats) => {
            tracing::error!(
                n = reponses.len(),
                answers = resultats.len(),
                "a redemption batch gave a wrong number of answers"
            );
            for reponse in reponses {
                reponse.repondre(Err(interne("redemption batch answer missing")));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, n = reponses.len(), "a redemption batch failed");
            for reponse in reponses {
                reponse.repondre(Err(e.clone()));
            }
        }
    }
}
