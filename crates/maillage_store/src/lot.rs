//! Group commit: one queue for every kind of write that a burst makes at once.
//!
//! A write is one transaction, and a transaction waits for its commit to reach the disk
//! (SQLite at `synchronous = FULL`: one `fsync`; PostgreSQL: one WAL flush). A burst of N
//! requests then waits for N commits in a row. Through a [`FileLots`], the requests that
//! arrive while a batch is being written wait together and go into the next batch, which
//! its writer commits as one transaction, deciding each request exactly as one after the
//! other would be (registrations in arrival order under the jauges' locks, redemptions under
//! the same conditional updates, the forms' counters in order).
//!
//! Who writes: the first waiter to get the turn takes every pending request and hands them to
//! the writer in a spawned task, so that a client going away does not cancel the others'
//! batch; the next turn starts when that task ends. A request answered by a batch while it
//! waited for the turn leaves the line at once (it does not wait, behind the fair lock, for
//! the batches started meanwhile). A request whose client is already gone when its batch
//! starts is dropped, as if it had never arrived.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// One request waiting in a batch: what it asks, and where its answer goes.
pub struct Attente<D, R> {
    pub demande: D,
    reponse: oneshot::Sender<R>,
}

impl<D, R> Attente<D, R> {
    /// Answers the request (a request whose client went away ignores it).
    pub fn repondre(self, reponse: R) {
        let _ = self.reponse.send(reponse);
    }

    /// The request, and what answers it.
    pub fn separer(self) -> (D, Repondeur<R>) {
        (self.demande, Repondeur(self.reponse))
    }
}

/// What answers one request once its demand has been taken out ([`Attente::separer`]).
pub struct Repondeur<R>(oneshot::Sender<R>);

impl<R> Repondeur<R> {
    pub fn repondre(self, reponse: R) {
        let _ = self.0.send(reponse);
    }
}

/// Why a request got no answer from its batch: an internal fault, never the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LotInterrompu {
    #[error("batch queue poisoned")]
    Empoisonnee,
    #[error("batch ended without an answer")]
    SansReponse,
}

/// The requests waiting for the next batch, and the turn to write one.
pub struct FileLots<D, R> {
    attente: Mutex<Vec<Attente<D, R>>>,
    tour: Arc<tokio::sync::Mutex<()>>,
    taille_max: usize,
}

impl<D, R> FileLots<D, R> {
    /// A queue whose writer gets at most `taille_max` requests at a time (a longer batch is
    /// written as several, one after the other, in the same turn).
    pub fn new(taille_max: usize) -> Self {
        FileLots {
            attente: Mutex::new(Vec::new()),
            tour: Arc::new(tokio::sync::Mutex::new(())),
            taille_max: taille_max.max(1),
        }
    }
}

impl<D: Send + 'static, R: Send + 'static> FileLots<D, R> {
    /// Waits for `demande` to be written in a batch by `ecrire`, and returns its answer.
    ///
    /// `ecrire` gets each batch (at most `taille_max` requests, those whose client is gone
    /// already removed) and must answer every request of it ([`Attente::repondre`]); a
    /// request it drops unanswered gets [`LotInterrompu::SansReponse`].
    pub async fn soumettre<F, Fut>(&self, demande: D, ecrire: F) -> Result<R, LotInterrompu>
    where
        F: Fn(Vec<Attente<D, R>>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (reponse, mut recu) = oneshot::channel();
        self.attente
            .lock()
            .map_err(|_| LotInterrompu::Empoisonnee)?
            .push(Attente { demande, reponse });
        // The answer, or the turn.
        let tour = tokio::select! {
            r = &mut recu => return r.map_err(|_| LotInterrompu::SansReponse),
            tour = Arc::clone(&self.tour).lock_owned() => tour,
        };
        let lot = std::mem::take(
            &mut *self
                .attente
                .lock()
                .map_err(|_| LotInterrompu::Empoisonnee)?,
        );
        if lot.is_empty() {
            // An earlier batch took this request: its answer is on its way.
            drop(tour);
        } else {
            let taille_max = self.taille_max;
            tokio::spawn(async move {
                let _tour = tour;
                for morceau in decouper(lot, taille_max) {
                    let morceau: Vec<_> = morceau
                        .into_iter()
                        .filter(|a| !a.reponse.is_closed())
                        .collect();
                    if !morceau.is_empty() {
                        ecrire(morceau).await;
                    }
                }
            });
        }
        recu.await.map_err(|_| LotInterrompu::SansReponse)
    }
}

fn decouper<T>(mut lot: Vec<T>, taille_max: usize) -> Vec<Vec<T>> {
    let mut morceaux = Vec::new();
    while lot.len() > taille_max {
        let reste = lot.split_off(taille_max);
        morceaux.push(std::mem::replace(&mut lot, reste));
    }
    morceaux.push(lot);
    morceaux
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn decouper_garde_l_ordre_et_la_taille() {
        let morceaux = decouper((0..7).collect::<Vec<_>>(), 3);
        assert_eq!(morceaux, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        assert_eq!(decouper(Vec::<u8>::new(), 3), vec![Vec::<u8>::new()]);
    }

    /// A burst of 200 is written in far fewer batches than requests, each request gets its
    /// own answer, and no batch is larger than the maximum.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn une_rafale_ecrite_en_peu_de_lots_chacun_sa_reponse() {
        let file: Arc<FileLots<u32, u32>> = Arc::new(FileLots::new(64));
        let lots = Arc::new(AtomicUsize::new(0));
        let plus_grand = Arc::new(AtomicUsize::new(0));
        let barriere = Arc::new(tokio::sync::Barrier::new(200));
        let mut taches = Vec::new();
        for i in 0..200u32 {
            let (file, lots, plus_grand, barriere) = (
                Arc::clone(&file),
                Arc::clone(&lots),
                Arc::clone(&plus_grand),
                Arc::clone(&barriere),
            );
            taches.push(tokio::spawn(async move {
                barriere.wait().await;
                let r = file
                    .soumettre(i, move |lot| {
                        let (lots, plus_grand) = (Arc::clone(&lots), Arc::clone(&plus_grand));
                        async move {
                            lots.fetch_add(1, Ordering::SeqCst);
                            plus_grand.fetch_max(lot.len(), Ordering::SeqCst);
                            // One "commit" per batch.
                            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                            for a in lot {
                                let d = a.demande;
                                a.repondre(d * 2);
                            }
                        }
                    })
                    .await;
                (i, r)
            }));
        }
        for t in taches {
            let (i, r) = t.await.expect("task");
            assert_eq!(r, Ok(i * 2));
        }
        let n = lots.load(Ordering::SeqCst);
        assert!((1..100).contains(&n), "{n} batches for 200 requests");
        assert!(plus_grand.load(Ordering::SeqCst) <= 64);
    }

    /// A writer that forgets a request: that request gets an error, not a hang.
    #[tokio::test]
    async fn une_demande_sans_reponse_est_une_erreur() {
        let file: FileLots<u32, u32> = FileLots::new(8);
        let r = file.soumettre(1, |lot| async move { drop(lot) }).await;
        assert_eq!(r, Err(LotInterrompu::SansReponse));
        let r = file
            .soumettre(2, |lot| async move {
                for a in lot {
                    a.repondre(7);
                }
            })
            .await;
        assert_eq!(r, Ok(7));
    }
}
