//! Periodic jobs that run once per period for the whole instance, however many app nodes
//! serve it: before each run a node claims the period in the database
//! ([`ComptesStore::reserver_tache`](maillage_store::ComptesStore::reserver_tache), one
//! conditional upsert); the nodes that lose the claim skip that period.

use std::future::Future;
use std::time::Duration;

use crate::{Comptes, Resultat};

impl Comptes {
    /// Claims the job `nom` for the period starting now: `true` if this node runs it.
    /// The next period may be claimed after nine tenths of `periode`, so that the node that
    /// ran it, ticking every `periode`, is not beaten by its own timer's jitter.
    pub async fn reserver_tache(&self, nom: &str, periode: Duration) -> Resultat<bool> {
        let maintenant = self.maintenant();
        let pas = chrono::Duration::from_std(periode.mul_f64(0.9))
            .unwrap_or_else(|_| chrono::Duration::hours(1));
        Ok(self
            .store
            .reserver_tache(nom, maintenant, maintenant + pas)
            .await?)
    }
}

/// Runs `tache` now and then every `periode`, once per period across the instance's nodes;
/// every run (and failure) is counted for `/metrics`.
pub fn planifier<F, Fut, E>(comptes: Comptes, nom: &'static str, periode: Duration, tache: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(periode);
        loop {
            tick.tick().await;
            match comptes.reserver_tache(nom, periode).await {
                Ok(true) => {}
                Ok(false) => {
                    maillage_store::exploitation::noter_tache_cedee(nom);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(tache = nom, "claiming the periodic job failed: {e}");
                    continue;
                }
            }
            let resultat = tache().await;
            maillage_store::exploitation::noter_tache(nom, resultat.is_ok());
            if let Err(e) = resultat {
                tracing::warn!(tache = nom, "periodic job failed: {e}");
            }
        }
    });
}
