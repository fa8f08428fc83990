//! Throttling of secret guesses: the password at sign-in, a person's personal code on
//! `/mon-mandat`; and the counters of the public forms' limits ([`Comptes::compter`]: error
//! reports, registrations), kept in the database so that all the nodes count together.
//!
//! Knowing someone's e-mail address (or the five first characters of their code) must not be
//! enough to keep them out, and many addresses together must not be able to guess freely:
//!
//! - **per (account, address)**: a few failures, then a backoff: at most `max` failures in
//!   the window (15 min), `2 × max` in four windows (1 h), `4 × max` in 96 windows (24 h).
//!   Only that address is slowed for that account;
//! - **per address** (every account together): a higher limit, with the same backoff;
//! - **per account** (every address together): above `10 × max` failures in the window, a
//!   distributed attack is assumed: a warning is logged and the account accepts one attempt
//!   every [`ESPACEMENT_RALENTI`] from unknown addresses. Slowed, never closed;
//! - an address from which the account (the person) signed in successfully in the last
//!   [`DUREE_ADRESSE_CONNUE_JOURS`] days is **known**: only its own (account, address) limit
//!   applies to it, so an attack from elsewhere never keeps the right secret out from there.
//!
//! Every attempt is reserved in the store **before** the secret is checked, atomically (see
//! [`MediationStore::reserve_login_attempts`]): concurrent attempts cannot overshoot a limit.
//! A right secret releases its reservations. Rows older than the longest window are purged by
//! the periodic tasks ([`Comptes::purger_tentatives`]).
//!
//! [`MediationStore::reserve_login_attempts`]: maillage_store::comptes::MediationStore::reserve_login_attempts

use chrono::{DateTime, Duration, Utc};
use maillage_store::comptes::{Coup, IssueReservation, Limite, Reservation};
use maillage_store::lot::{Attente, FileLots};
use maillage_store::StoreResult;

use super::Comptes;

/// Once an account is under distributed attack, one attempt from unknown addresses per this
/// many seconds.
pub const ESPACEMENT_RALENTI: i64 = 30;
/// An address stays known this long after its last successful sign-in.
pub const DUREE_ADRESSE_CONNUE_JOURS: i64 = 180;
/// The per-account slowdown starts at this many times the per-address limit.
pub const FACTEUR_GLOBAL: i64 = 10;
/// Backoff: (windows, multiple of the limit). The last one is the longest memory of failures.
const PALIERS: [(i32, i64); 3] = [(1, 1), (4, 2), (96, 4)];

/// Who is guessing at what.
#[derive(Debug, Clone, Copy)]
pub enum Sujet<'a> {
    /// An account, by its (normalised) e-mail address: whether it exists or not.
    Compte { email: &'a str },
    /// A person's space, by the first characters of their code (`None`: unreadable code).
    Personne { prefixe: Option<&'a str> },
}

/// An attempt reserved by [`Comptes::reserver_tentative`]: keep it, and give it to
/// [`Comptes::tentative_reussie`] if the secret was right.
#[derive(Debug, Clone)]
pub struct Tentative {
    /// Key of the account or person (known addresses are remembered under it).
    cle_sujet: Option<String>,
    /// Key of (account, address).
    cle_paire: Option<String>,
    adresse: String,
    /// Reservations under the shared keys (address, account), released on success.
    partagees: Vec<i64>,
}

fn paliers(maintenant: DateTime<Utc>, fenetre: Duration, max: i64) -> Vec<Limite> {
    PALIERS
        .iter()
        .map(|&(fenetres, facteur)| Limite::AuPlus {
            depuis: maintenant - fenetre * fenetres,
            max: max * facteur,
        })
        .collect()
}

impl Comptes {
    /// How long failed attempts are kept (the longest backoff window).
    pub fn conservation_tentatives(&self) -> Duration {
        self.reglages.fenetre_echecs * PALIERS[PALIERS.len() - 1].0
    }

    /// Reserves an attempt of `sujet` from `adresse`; `None` if it must wait (throttled).
    pub async fn reserver_tentative(
        &self,
        sujet: Sujet<'_>,
        adresse: &str,
    ) -> StoreResult<Option<Tentative>> {
        let now = self.maintenant();
        let fenetre = self.reglages.fenetre_echecs;
        let (cle_sujet, prefixe_paire, cle_adresse, max, max_adresse) = match sujet {
            Sujet::Compte { email } => {
                let max = self.reglages.echecs_max;
                (
                    Some(format!("email:{email}")),
                    Some(format!("email:{email}")),
                    format!("ip:{adresse}"),
                    max,
                    max * 10,
                )
            }
            Sujet::Personne { prefixe } => {
                let max = self.reglages.echecs_max * 2;
                let cle = prefixe.map(|p| format!("personne:{p}"));
                (cle.clone(), cle, format!("personne-ip:{adresse}"), max, max)
            }
        };
        let cle_paire = prefixe_paire.map(|p| format!("{p}|ip:{adresse}"));
        let connue = match &cle_sujet {
            Some(cle) => {
                self.store
                    .known_address(
                        cle,
                        adresse,
                        now - Duration::days(DUREE_ADRESSE_CONNUE_JOURS),
                    )
                    .await?
            }
            None => false,
        };
        let mut reservations = Vec::with_capacity(3);
        if let Some(cle) = &cle_paire {
            reservations.push(Reservation {
                cle: cle.clone(),
                limites: paliers(now, fenetre, max),
            });
        }
        let seuil = max * FACTEUR_GLOBAL;
        if !connue {
            reservations.push(Reservation {
                cle: cle_adresse,
                limites: paliers(now, fenetre, max_adresse),
            });
            if let Some(cle) = &cle_sujet {
                reservations.push(Reservation {
                    cle: cle.clone(),
                    limites: vec![Limite::Ralentir {
                        depuis: now - fenetre,
                        seuil,
                        espacement: now - Duration::seconds(ESPACEMENT_RALENTI),
                    }],
                });
            }
        }
        match self
            .store
            .reserve_login_attempts(&reservations, now)
            .await?
        {
            IssueReservation::Refusee(i) => {
                if cle_sujet.is_some() && !connue && i == reservations.len() - 1 {
                    tracing::debug!(cle = %reservations[i].cle, "attempt slowed down (distributed guessing)");
                }
                Ok(None)
            }
            IssueReservation::Acceptee(reservees) => {
                let partagees: Vec<i64> = reservees
                    .iter()
                    .skip(usize::from(cle_paire.is_some()))
                    .map(|r| r.id)
                    .collect();
                if let (Some(cle), false, Some(r)) = (&cle_sujet, connue, reservees.last()) {
                    if r.nombre > 0 && r.nombre % seuil == 0 {
                        tracing::warn!(
                            cle = %cle,
                            tentatives = r.nombre,
                            minutes = fenetre.num_minutes(),
                            "many failed attempts on one account from unknown addresses: \
                             distributed guessing suspected, slowing them down to one every \
                             {ESPACEMENT_RALENTI} s (known addresses are not affected)"
                        );
                    }
                }
                Ok(Some(Tentative {
                    cle_sujet,
                    cle_paire,
                    adresse: adresse.to_string(),
                    partagees,
                }))
            }
        }
    }

    /// The secret was right: the attempt was not a failure, and the address becomes known.
    pub async fn tentative_reussie(&self, tentative: &Tentative) -> StoreResult<()> {
        self.store
            .release_login_attempts(&tentative.partagees)
            .await?;
        if let Some(cle) = &tentative.cle_paire {
            self.store.clear_login_failures(cle).await?;
        }
        if let Some(cle) = &tentative.cle_sujet {
            self.store
                .remember_address(cle, &tentative.adresse, self.maintenant())
                .await?;
        }
        Ok(())
    }

    /// Reserves an attempt under one key with a plain limit (the second factor, whose page
    /// is only reachable with the password).
    pub(crate) async fn reserver_simple(&self, cle: &str) -> StoreResult<bool> {
        let now = self.maintenant();
        let r = Reservation {
            cle: cle.to_string(),
            limites: paliers(now, self.reglages.fenetre_echecs, self.reglages.echecs_max),
        };
        Ok(matches!(
            self.store.reserve_login_attempts(&[r], now).await?,
            IssueReservation::Acceptee(_)
        ))
    }

    /// Deletes failed attempts older than the longest backoff window, addresses not seen
    /// for [`DUREE_ADRESSE_CONNUE_JOURS`] and the counters of [`Comptes::compter`] whose
    /// window has ended. Returns how many rows went.
    pub async fn purger_tentatives(&self) -> StoreResult<u64> {
        let now = self.maintenant();
        let tentatives = self
            .store
            .purge_login_attempts(
                now - self.conservation_tentatives(),
                now - Duration::days(DUREE_ADRESSE_CONNUE_JOURS),
            )
            .await?;
        let compteurs = self.store.purge_counters(now.timestamp_millis()).await?;
        Ok(tentatives + compteurs)
    }

    /// Counts one hit under each key of `plafonds` (a public form's limits: per address, per
    /// place…), in the database so that every node of the instance counts together: each key
    /// admits `max` hits in a window of `fenetre` that opens at its first hit. All or
    /// nothing: when a key refuses, the hits already counted under the keys before it are
    /// taken back, and the refusal says which key (its index) and how many seconds to wait.
    /// A `max` of 0 is no limit (nothing is written). One statement per key.
    pub async fn compter(&self, plafonds: &[Plafond<'_>]) -> crate::Resultat<Result<(), Refus>> {
        let now = self.maintenant().timestamp_millis();
        // The limits that count, with their index among `plafonds`.
        let (index, coups): (Vec<usize>, Vec<Coup>) = plafonds
            .iter()
            .enumerate()
            .filter(|(_, p)| p.max > 0)
            .map(|(i, p)| {
                (
                    i,
                    Coup {
                        cle: p.cle.to_string(),
                        maintenant_ms: now,
                        fenetre_ms: i64::try_from(p.fenetre.as_millis()).unwrap_or(i64::MAX),
                        max: i64::from(p.max),
                    },
                )
            })
            .unzip();
        if coups.is_empty() {
            return Ok(Ok(()));
        }
        let resultat = soumettre(&self.compteurs, &self.store, coups).await?;
        Ok(resultat.map_err(|(k, fin_ms)| {
            let attente_ms = fin_ms.saturating_sub(now).max(0);
            Refus {
                index: index.get(k).copied().unwrap_or(k),
                attente_s: u64::try_from(attente_ms).unwrap_or(0).div_ceil(1000).max(1),
            }
        }))
    }

    /// The instance-wide secret `nom` (e.g. the public forms' key when the operator did not
    /// set one): drawn by the first node that asks, then the same for every node.
    pub async fn secret_instance(&self, nom: &str) -> crate::Resultat<String> {
        Ok(self
            .store
            .instance_secret(nom, &crate::securite::jeton_aleatoire())
            .await?)
    }
}

/// One limit of a public form for [`Comptes::compter`]: at most `max` hits under `cle` in a
/// window of `fenetre` (0: no limit).
#[derive(Debug, Clone, Copy)]
pub struct Plafond<'a> {
    pub cle: &'a str,
    pub max: u32,
    pub fenetre: std::time::Duration,
}

/// Which limit of [`Comptes::compter`] refused, and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refus {
    /// Index of the refusing [`Plafond`].
    pub index: usize,
    /// Seconds until its window ends (at least 1).
    pub attente_s: u64,
}

/// What a group of counted requests gives back to one of them.
type Decompte = Result<(), (usize, i64)>;

/// The hits waiting for the next group: requests that arrive while a group is written go
/// together into the next (one transaction, one commit on SQLite's disk instead of one per
/// request), through the same queue as registrations and redemptions
/// ([`maillage_store::lot`]).
pub(crate) type FileCompteurs = FileLots<Vec<Coup>, Result<Decompte, String>>;

/// Most requests' hits written in one transaction.
pub(crate) const GROUPE_MAX: usize = 512;

async fn soumettre(
    file: &FileCompteurs,
    store: &std::sync::Arc<dyn maillage_store::comptes::ComptesStore>,
    coups: Vec<Coup>,
) -> crate::Resultat<Decompte> {
    let store = std::sync::Arc::clone(store);
    file.soumettre(coups, move |lot| {
        let store = std::sync::Arc::clone(&store);
        async move {
            let (demandes, reponses): (Vec<Vec<Coup>>, Vec<_>) =
                lot.into_iter().map(Attente::separer).unzip();
            match store.count_hits(&demandes).await {
                Ok(resultats) => {
                    for (r, reponse) in resultats.into_iter().zip(reponses) {
                        reponse.repondre(Ok(r));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, n = demandes.len(), "a group of limit counters failed");
                    for reponse in reponses {
                        reponse.repondre(Err(e.to_string()));
                    }
                }
            }
        }
    })
    .await
    .map_err(|e| crate::ErreurComptes::Interne(format!("counters {e}")))?
    .map_err(crate::ErreurComptes::Interne)
}
