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
//! A request joins the batch with its typed code only: the batch reads its passes in one
//! statement ([`PassStore::pass_par_codes`]) and checks each programme, place qualification
//! and territory once per batch ([`Verifications`]), not once per request (a burst of a
//! hundred tills made four hundred reads before, each waiting for a pooled connection).
//!
//! The queue itself (who writes, when a request leaves the line) is the generic one of
//! [`maillage_store::lot`]; this module is what a batch of redemptions does.
//!
//! Only the guarded path goes through here: the control run of the tests
//! ([`GardePass::DesactiveePourEssai`]) stays one request, one transaction, so that its
//! race window exists.

use std::collections::HashMap;

use chrono::NaiveDate;
use maillage_store::lot::{Attente, FileLots};
use maillage_store::pass::{GardePass, NewUtilisation, PassRow, Utilisation, ETAT_UTILISE};

use crate::{ErreurPass, Pass, Resultat, Verifications};

/// Most redemptions written in one transaction.
pub const LOT_MAX: usize = 256;

/// One redemption waiting for its batch: the normalised code, the day (Paris) it is checked
/// for, and the redemption (its `pass_id` filled in by the batch).
pub(crate) struct Demande {
    pub(crate) code: String,
    pub(crate) jour: NaiveDate,
    pub(crate) utilisation: NewUtilisation,
}

/// What a batch answers one request: the store's decision and the pass as read.
pub(crate) type Reponse = Resultat<(Utilisation, PassRow)>;

/// The redemptions waiting for the next batch.
pub(crate) type FileUtilisations = FileLots<Demande, Reponse>;

fn interne(e: impl std::fmt::Display) -> ErreurPass {
    ErreurPass::Interne(e.to_string())
}

/// Waits for `demande` to be checked and written in a batch.
pub(crate) async fn soumettre(pass: &Pass, demande: Demande) -> Reponse {
    let ecrivain = pass.clone();
    pass.file
        .soumettre(demande, move |lot| {
            let pass = ecrivain.clone();
            async move { ecrire_lot(&pass, lot).await }
        })
        .await
        .map_err(|e| interne(format!("redemption {e}")))?
}

/// Checks and writes one batch, and answers each of its requests.
async fn ecrire_lot(pass: &Pass, lot: Vec<Attente<Demande, Reponse>>) {
    let mut codes: Vec<String> = lot.iter().map(|a| a.demande.code.clone()).collect();
    codes.sort_unstable();
    codes.dedup();
    let lus: HashMap<String, PassRow> = match pass.store.pass_par_codes(&codes).await {
        Ok(lus) => lus.into_iter().map(|p| (p.code.clone(), p)).collect(),
        Err(e) => {
            tracing::error!(error = %e, n = lot.len(), "the passes of a redemption batch could not be read");
            for a in lot {
                a.repondre(Err(interne(&e)));
            }
            return;
        }
    };
    // Each request checked as alone (the same reasons, in French), each programme, place
    // and territory read once for the batch.
    let mut verifications = Verifications::default();
    let mut retenues = Vec::with_capacity(lot.len());
    for a in lot {
        let (mut demande, reponse) = a.separer();
        let Some(row) = lus.get(&demande.code) else {
            reponse.repondre(Err(ErreurPass::Introuvable));
            continue;
        };
        if row.etat != ETAT_UTILISE {
            if let Err(e) = verifications
                .verifier(pass, row, demande.utilisation.structure_id, demande.jour)
                .await
            {
                reponse.repondre(Err(e));
                continue;
            }
        }
        demande.utilisation.pass_id = row.id;
        retenues.push((demande.utilisation, reponse, row.clone()));
    }
    if retenues.is_empty() {
        return;
    }
    let utilisations: Vec<NewUtilisation> = retenues.iter().map(|(u, _, _)| u.clone()).collect();
    match pass
        .store
        .utiliser_lot(&utilisations, GardePass::Active)
        .await
    {
        Ok(resultats) if resultats.len() == retenues.len() => {
            for (resultat, (_, reponse, row)) in resultats.into_iter().zip(retenues) {
                reponse.repondre(resultat.map(|u| (u, row)).map_err(Into::into));
            }
        }
        Ok(resultats) => {
            tracing::error!(
                n = retenues.len(),
                answers = resultats.len(),
                "a redemption batch gave a wrong number of answers"
            );
            for (_, reponse, _) in retenues {
                reponse.repondre(Err(interne("redemption batch answer missing")));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, n = retenues.len(), "a redemption batch failed");
            for (_, reponse, _) in retenues {
                reponse.repondre(Err(e.clone().into()));
            }
        }
    }
}
