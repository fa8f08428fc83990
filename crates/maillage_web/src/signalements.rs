//! What guards the public form « Signaler une erreur » (`POST /lieux/{id}/signalement`),
//! which has no account and no session behind it:
//!
//! - a **signed token** in the form (HMAC-SHA-256 of the place and an expiry, valid
//!   [`DUREE_JETON_S`]): a page of another site cannot read it, so it cannot make its visitors'
//!   browsers send reports; it works without JavaScript;
//! - the **origin** of the request: refused when the browser says it comes from another site
//!   (`Sec-Fetch-Site`, or else `Origin` compared with `Host` and the public address);
//! - **limits** per network address (an IPv6 address counts for its /64) and per place, over
//!   sliding windows, kept **in memory**: each node counts for itself and a restart forgets.
//!   Behind several nodes the limits are per node.
//!
//! The signing key comes from `MAILLAGE_CLE_FORMULAIRES` (any text, the same on every node),
//! else it is drawn at start: then a form loaded before a restart, or from another node, is
//! refused once (the page comes back with a fresh token and says so).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// How long a form's token is accepted (seconds).
pub const DUREE_JETON_S: i64 = 24 * 3600;

/// How many addresses (or places) are remembered at most; past that, new ones are refused
/// until old windows expire (the memory stays bounded).
const ENTREES_MAX: usize = 100_000;

/// The limits: `(count, window)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitesSignalement {
    /// Reports per network address (`MAILLAGE_SIGNALEMENTS_PAR_ADRESSE`, default 10 an
    /// hour).
    pub par_adresse: (usize, Duration),
    /// Reports per place (`MAILLAGE_SIGNALEMENTS_PAR_LIEU`, default 20 a day).
    pub par_lieu: (usize, Duration),
}

impl Default for LimitesSignalement {
    fn default() -> Self {
        LimitesSignalement {
            par_adresse: (10, Duration::from_secs(3600)),
            par_lieu: (20, Duration::from_secs(24 * 3600)),
        }
    }
}

/// Why a report was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refus {
    /// Too many from this address; retry after this many seconds.
    Adresse(u64),
    /// Too many for this place; retry after this many seconds.
    Lieu(u64),
}

#[derive(Default)]
struct Fenetres {
    par_adresse: HashMap<String, VecDeque<Instant>>,
    par_lieu: HashMap<String, VecDeque<Instant>>,
}

/// The token key and the counters of one server.
pub struct GardeSignalements {
    cle: [u8; 32],
    limites: LimitesSignalement,
    fenetres: Mutex<Fenetres>,
}

impl GardeSignalements {
    /// With a key derived from `secret` (any text).
    pub fn new(secret: &str, limites: LimitesSignalement) -> Self {
        let mut h = Sha256::new();
        h.update(b"maillage/signalement/v1\0");
        h.update(secret.as_bytes());
        GardeSignalements {
            cle: h.finalize().into(),
            limites,
            fenetres: Mutex::new(Fenetres::default()),
        }
    }

    /// From the environment (see the module's documentation and the README); a random key
    /// when `MAILLAGE_CLE_FORMULAIRES` is not set.
    pub fn depuis_env() -> Self {
        let secret = std::env::var("MAILLAGE_CLE_FORMULAIRES")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(maillage_comptes::securite::jeton_aleatoire);
        let d = LimitesSignalement::default();
        let nombre = |nom: &str, defaut: usize| {
            std::env::var(nom)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(defaut)
        };
        let limites = LimitesSignalement {
            par_adresse: (
                nombre("MAILLAGE_SIGNALEMENTS_PAR_ADRESSE", d.par_adresse.0),
                d.par_adresse.1,
            ),
            par_lieu: (
                nombre("MAILLAGE_SIGNALEMENTS_PAR_LIEU", d.par_lieu.0),
                d.par_lieu.1,
            ),
        };
        Self::new(&secret, limites)
    }

    fn signature(&self, lieu: &str, expiration: i64) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.cle) else {
            return String::new();
        };
        mac.update(lieu.as_bytes());
        mac.update(b"\0");
        mac.update(expiration.to_string().as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..20])
    }

    /// The token of the form of place `lieu`, at `maintenant` (Unix seconds).
    pub fn jeton(&self, lieu: &str, maintenant: i64) -> String {
        let expiration = maintenant + DUREE_JETON_S;
        format!("{expiration}.{}", self.signature(lieu, expiration))
    }

    /// Whether `jeton` was made by [`GardeSignalements::jeton`] for `lieu` and has not
    /// expired.
    pub fn jeton_valide(&self, lieu: &str, jeton: &str, maintenant: i64) -> bool {
        let Some((exp, sig)) = jeton.split_once('.') else {
            return false;
        };
        let Ok(expiration) = exp.parse::<i64>() else {
            return false;
        };
        expiration >= maintenant
            && expiration <= maintenant + DUREE_JETON_S
            && maillage_comptes::securite::egal_temps_constant(
                sig,
                &self.signature(lieu, expiration),
            )
    }

    /// Counts a report from `adresse` about `lieu`, or says which limit it is over (nothing
    /// counted then). Both limits are checked and counted under one lock. `adresse` is the
    /// client's counting key as [`crate::espace::connexion::AdresseClient`] gives it (an IPv6
    /// address already reduced to its /64 by `adresse_client::cle_adresse`).
    pub fn compter(&self, adresse: &str, lieu: &str, maintenant: Instant) -> Result<(), Refus> {
        let adresse = adresse.to_string();
        let mut garde = self
            .fenetres
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let f = &mut *garde;
        let (max_a, fen_a) = self.limites.par_adresse;
        let (max_l, fen_l) = self.limites.par_lieu;
        for (carte, fenetre) in [(&mut f.par_adresse, fen_a), (&mut f.par_lieu, fen_l)] {
            if carte.len() >= ENTREES_MAX {
                carte.retain(|_, v| {
                    purger(v, maintenant, fenetre);
                    !v.is_empty()
                });
            }
        }
        let attente = |v: &VecDeque<Instant>, fenetre: Duration| {
            v.front()
                .map(|debut| {
                    (fenetre.saturating_sub(maintenant - *debut))
                        .as_secs()
                        .max(1)
                })
                .unwrap_or(fenetre.as_secs())
        };
        let deja_a = f.par_adresse.get_mut(&adresse).map(|v| {
            purger(v, maintenant, fen_a);
            (v.len(), attente(v, fen_a))
        });
        if let Some((n, s)) = deja_a {
            if n >= max_a {
                return Err(Refus::Adresse(s));
            }
        } else if f.par_adresse.len() >= ENTREES_MAX {
            return Err(Refus::Adresse(fen_a.as_secs()));
        }
        let deja_l = f.par_lieu.get_mut(lieu).map(|v| {
            purger(v, maintenant, fen_l);
            (v.len(), attente(v, fen_l))
        });
        if let Some((n, s)) = deja_l {
            if n >= max_l {
                return Err(Refus::Lieu(s));
            }
        } else if f.par_lieu.len() >= ENTREES_MAX {
            return Err(Refus::Lieu(fen_l.as_secs()));
        }
        f.par_adresse
            .entry(adresse)
            .or_default()
            .push_back(maintenant);
        f.par_lieu
            .entry(lieu.to_string())
            .or_default()
            .push_back(maintenant);
        Ok(())
    }
}

fn purger(v: &mut VecDeque<Instant>, maintenant: Instant, fenetre: Duration) {
    while v
        .front()
        .is_some_and(|t| maintenant.duration_since(*t) >= fenetre)
    {
        v.pop_front();
    }
}

/// Whether the browser says the form was sent from this site. `Sec-Fetch-Site` decides when
/// present (`same-origin`, or `none` for a request the person made themselves); otherwise an
/// `Origin` must name the `Host` of the request or the public address; a request with
/// neither (an old browser, a script) is left to the token.
pub fn origine_acceptee(entetes: &HeaderMap, adresse_publique: Option<&str>) -> bool {
    let valeur = |nom: &str| entetes.get(nom).and_then(|v| v.to_str().ok());
    if let Some(site) = valeur("sec-fetch-site") {
        return matches!(site.trim(), "same-origin" | "none");
    }
    let Some(origine) = valeur(header::ORIGIN.as_str()) else {
        return true;
    };
    let hote_origine = hote(origine);
    let Some(hote_origine) = hote_origine else {
        // `Origin: null` (sandboxed frame, privacy redirect) or unreadable.
        return false;
    };
    let hote_requete = valeur(header::HOST.as_str()).map(|h| h.trim().to_ascii_lowercase());
    let hote_public = adresse_publique.and_then(hote);
    Some(&hote_origine) == hote_requete.as_ref() || Some(&hote_origine) == hote_public.as_ref()
}

/// `host[:port]` of an absolute URL, lower-cased.
fn hote(url: &str) -> Option<String> {
    let (_, reste) = url.trim().split_once("://")?;
    let h = reste.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    (!h.is_empty()).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_the_place_and_expire() {
        let g = GardeSignalements::new("secret", LimitesSignalement::default());
        let t = g.jeton("lieu-1", 1_000);
        assert!(g.jeton_valide("lieu-1", &t, 1_000));
        assert!(g.jeton_valide("lieu-1", &t, 1_000 + DUREE_JETON_S));
        assert!(!g.jeton_valide("lieu-1", &t, 1_001 + DUREE_JETON_S));
        assert!(!g.jeton_valide("lieu-2", &t, 1_000));
        let autre = GardeSignalements::new("autre", LimitesSignalement::default());
        assert!(!autre.jeton_valide("lieu-1", &t, 1_000));
        assert!(!g.jeton_valide("lieu-1", "", 1_000));
        assert!(!g.jeton_valide("lieu-1", "99999999999.abc", 1_000));
    }

    #[test]
    fn limits_per_address_and_per_place() {
        let g = GardeSignalements::new(
            "s",
            LimitesSignalement {
                par_adresse: (2, Duration::from_secs(60)),
                par_lieu: (3, Duration::from_secs(60)),
            },
        );
        let t0 = Instant::now();
        assert!(g.compter("1.2.3.4", "a", t0).is_ok());
        assert!(g.compter("1.2.3.4", "b", t0).is_ok());
        assert!(matches!(
            g.compter("1.2.3.4", "c", t0),
            Err(Refus::Adresse(_))
        ));
        // Same /64: the same subscriber (keys made as the extractor makes them).
        let cle = |ip: &str| {
            crate::espace::adresse_client::cle_adresse(ip.parse().expect("test address"))
        };
        assert!(g.compter(&cle("2001:db8::1"), "a", t0).is_ok());
        assert!(g.compter(&cle("2001:db8::2"), "a", t0).is_ok());
        assert!(matches!(
            g.compter(&cle("2001:db8::3"), "d", t0),
            Err(Refus::Adresse(_))
        ));
        assert!(matches!(g.compter("5.6.7.8", "a", t0), Err(Refus::Lieu(_))));
        // The window slides.
        let plus_tard = t0 + Duration::from_secs(61);
        assert!(g.compter("1.2.3.4", "c", plus_tard).is_ok());
    }

    #[test]
    fn origin_of_the_form() {
        let h = |paires: &[(&str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in paires {
                if let (Ok(k), Ok(v)) = (
                    axum::http::HeaderName::from_bytes(k.as_bytes()),
                    axum::http::HeaderValue::from_str(v),
                ) {
                    m.insert(k, v);
                }
            }
            m
        };
        assert!(origine_acceptee(
            &h(&[("sec-fetch-site", "same-origin")]),
            None
        ));
        assert!(!origine_acceptee(
            &h(&[("sec-fetch-site", "cross-site")]),
            None
        ));
        assert!(!origine_acceptee(
            &h(&[("sec-fetch-site", "same-site")]),
            None
        ));
        assert!(origine_acceptee(
            &h(&[
                ("origin", "http://localhost:8080"),
                ("host", "localhost:8080")
            ]),
            None
        ));
        assert!(!origine_acceptee(
            &h(&[
                ("origin", "https://evil.example"),
                ("host", "localhost:8080")
            ]),
            None
        ));
        assert!(origine_acceptee(
            &h(&[
                ("origin", "https://maillage.example"),
                ("host", "127.0.0.1:8080")
            ]),
            Some("https://maillage.example/")
        ));
        assert!(!origine_acceptee(&h(&[("origin", "null")]), None));
        assert!(origine_acceptee(&HeaderMap::new(), None));
    }
}
