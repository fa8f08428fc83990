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
//! The queue itself (who writes, when a request leaves the line) is the generic one of
//! [`maillage_store::lot`]; this module is what a batch of registrations does.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use maillage_comptes::personnes::NouvelleCle;
use maillage_store::evenements::{InscriptionCreee, NewInscription};
use maillage_store::lot::{Attente, FileLots};

use crate::{ErreurEvenements, Evenements, Resultat};

/// What a batch gives back to one request: the registration, and the key it made.
pub(crate) type Reponse = Resultat<(InscriptionCreee, Option<NouvelleCle>)>;

/// The registrations waiting for the next batch (`personne_id: None`: a new key is made for
/// that registration in the batch).
pub(crate) type FileInscriptions = FileLots<NewInscription, Reponse>;

/// Most registrations written in one transaction.
pub(crate) const LOT_MAX: usize = 512;

fn interne(e: impl std::fmt::Display) -> ErreurEvenements {
    ErreurEvenements::Interne(e.to_string())
}

/// Waits for `nouvelle` to be written in a batch.
pub(crate) async fn soumettre(module: &Evenements, nouvelle: NewInscription) -> Reponse {
    let ecrivain = module.clone();
    module
        .file
        .soumettre(nouvelle, move |lot| {
            let module = ecrivain.clone();
            async move { module.ecrire_lot(lot).await }
        })
        .await
        .map_err(|e| interne(format!("registration {e}")))?
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

impl Evenements {
    /// Writes one batch and answers each of its requests.
    async fn ecrire_lot(&self, lot: Vec<Attente<NewInscription, Reponse>>) {
        // Whether each session takes registrations: read once per session of the batch, not
        // once per request. A session that does not answers its requests here.
        let maintenant = self.maintenant();
        let mut ouvertes: HashMap<i64, Resultat<()>> = HashMap::new();
        for a in &lot {
            let id = a.demande.session_id;
            if let Entry::Vacant(e) = ouvertes.entry(id) {
                e.insert(self.session_ouverte(id, maintenant).await);
            }
        }
        let lot: Vec<_> = lot
            .into_iter()
            .filter_map(|a| match ouvertes.get(&a.demande.session_id) {
                Some(Ok(())) => Some(a),
                Some(Err(e)) => {
                    let refus = meme_refus(e);
                    a.repondre(Err(refus));
                    None
                }
                None => {
                    a.repondre(Err(interne("session not checked")));
                    None
                }
            })
            .collect();
        if lot.is_empty() {
            return;
        }
        let a_creer = lot
            .iter()
            .filter(|a| a.demande.personne_id.is_none())
            .count();
        let cles = match self.comptes.nouvelles_personnes(a_creer).await {
            Ok(cles) => cles,
            Err(e) => {
                tracing::error!(error = %e, "could not make the keys of a registration batch");
                for a in lot {
                    a.repondre(Err(interne(&e)));
                }
                return;
            }
        };
        let mut cles = cles.into_iter();
        let mut nouvelles = Vec::with_capacity(lot.len());
        let mut suites = Vec::with_capacity(lot.len());
        for a in lot {
            let (mut nouvelle, reponse) = a.separer();
            let cle = if nouvelle.personne_id.is_none() {
                match cles.next() {
                    Some(c) => {
                        nouvelle.personne_id = Some(c.personne_id);
                        nouvelle.cle = c.code.cle().to_string();
                        Some(c)
                    }
                    None => {
                        reponse.repondre(Err(interne("a batch key is missing")));
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
                    reponse.repondre(resultat.map(|c| (c, cle)).map_err(Into::into));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, n = nouvelles.len(), "a registration batch failed");
                for (reponse, _) in suites {
                    reponse.repondre(Err(interne(&e)));
                }
            }
        }
    }
}
