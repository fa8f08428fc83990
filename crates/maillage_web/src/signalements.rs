//! What guards the public form « Signaler une erreur » (`POST /lieux/{id}/signalement`),
//! which has no account and no session behind it:
//!
//! - a **signed token** in the form (HMAC-SHA-256 of the place and an expiry, valid
//!   [`DUREE_JETON_S`]): a page of another site cannot read it, so it cannot make its visitors'
//!   browsers send reports; it works without JavaScript;
//! - the **origin** of the request: refused when the browser says it comes from another site
//!   (`Sec-Fetch-Site`, or else `Origin` compared with `Host` and the public address);
//! - **limits** per network address (an IPv6 address counts for its /64) and per place,
//!   counted **in the database** by the accounts kernel (`Comptes::compter`): every node of
//!   the instance counts together and a restart forgets nothing. Each limit's window opens
//!   at the first report it counts.
//!
//! The signing key comes from `MAILLAGE_CLE_FORMULAIRES` (any text); when it is not set, it
//! is drawn once for the instance and kept in the database (`secrets_instance`), so every
//! node signs and checks with the same key and a restart keeps it.

use std::time::Duration;

use axum::http::{header, HeaderMap};
use hmac::{Hmac, Mac};
use maillage_comptes::limitation::Plafond;
use maillage_comptes::Comptes;
use sha2::{Digest, Sha256};

/// The name of the forms' key in the instance's secrets, when the operator did not set one.
pub const SECRET_FORMULAIRES: &str = "cle_formulaires";

/// How long a form's token is accepted (seconds).
pub const DUREE_JETON_S: i64 = 24 * 3600;

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

/// The token key and the limits (counted in the database).
pub struct GardeSignalements {
    cle: [u8; 32],
    limites: LimitesSignalement,
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
        }
    }

    /// From the environment (see the module's documentation and the README): the key of
    /// `MAILLAGE_CLE_FORMULAIRES`, else the instance's, drawn once and kept in the database.
    pub async fn depuis_env(comptes: &Comptes) -> maillage_comptes::Resultat<Self> {
        let secret = match std::env::var("MAILLAGE_CLE_FORMULAIRES")
            .ok()
            .filter(|s| !s.trim().is_empty())
        {
            Some(s) => s,
            None => comptes.secret_instance(SECRET_FORMULAIRES).await?,
        };
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
        Ok(Self::new(&secret, limites))
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
    /// counted then), in the database (both limits, one statement each). `adresse` is the
    /// client's counting key as [`crate::espace::connexion::AdresseClient`] gives it (an IPv6
    /// address already reduced to its /64 by `adresse_client::cle_adresse`).
    pub async fn compter(
        &self,
        comptes: &Comptes,
        adresse: &str,
        lieu: &str,
    ) -> maillage_comptes::Resultat<Result<(), Refus>> {
        let (cle_a, cle_l) = cles(adresse, lieu);
        let plafond = |cle, (max, fenetre): (usize, Duration)| Plafond {
            cle,
            max: u32::try_from(max).unwrap_or(u32::MAX),
            fenetre,
        };
        let r = comptes
            .compter(&[
                plafond(&cle_a, self.limites.par_adresse),
                plafond(&cle_l, self.limites.par_lieu),
            ])
            .await?;
        Ok(r.map_err(|r| match r.index {
            0 => Refus::Adresse(r.attente_s),
            _ => Refus::Lieu(r.attente_s),
        }))
    }
}

/// The counters' keys of a report from `adresse` about `lieu` (a place id is at most a few
/// dozen characters: it was found in the engine).
fn cles(adresse: &str, lieu: &str) -> (String, String) {
    (
        format!("signalement:adresse:{adresse}"),
        format!("signalement:lieu:{lieu}"),
    )
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
    fn counter_keys_keep_addresses_and_places_apart() {
        let (a, l) = cles("1.2.3.4", "lieu-1");
        assert_ne!(a, l);
        let (a2, l2) = cles("lieu-1", "1.2.3.4");
        assert_ne!(a, l2);
        assert_ne!(l, a2);
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
