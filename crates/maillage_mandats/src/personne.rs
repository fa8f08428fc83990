//! The person's personal code (given at signature, printed on their copy) and the short
//! session of their space.
//!
//! A code reads `ABCDE-FGHJK-MNPQR-STUV` (alphabet without 0/O, 1/I/L, U): the first five
//! characters find the person (stored as is), the other fifteen (75 bits) are the secret,
//! stored as a SHA-256. Attempts are throttled per code and per address.
//!
//! The space's session is a cookie `usager_id.expiry.epoch.mac` (HMAC-SHA-256 with a key
//! derived from the instance's journal key): it lasts 20 minutes and carries no personal
//! data. The epoch is the person's session generation stored in the database: « Fermer »
//! increments it, so the cookie is refused afterwards on every node.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use maillage_domain::mandats::{journal::hex, SigningKey};
use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 30] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const LONGUEUR: usize = 20;
const CLE: usize = 5;

/// A personal code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePersonnel(String);

impl CodePersonnel {
    pub fn nouveau() -> Result<CodePersonnel, String> {
        let mut octets = [0u8; LONGUEUR];
        getrandom::getrandom(&mut octets).map_err(|e| format!("aléa indisponible : {e}"))?;
        // 256 is not a multiple of 30: reject the top values to keep the draw uniform.
        let mut s = String::with_capacity(LONGUEUR);
        let mut reserve = [0u8; 1];
        for b in octets {
            let mut b = b;
            while b >= 240 {
                getrandom::getrandom(&mut reserve).map_err(|e| e.to_string())?;
                b = reserve[0];
            }
            s.push(ALPHABET[(b % 30) as usize] as char);
        }
        Ok(CodePersonnel(s))
    }

    /// Reads what a person typed: case, spaces and dashes do not matter; `O`, `I`, `L` are
    /// read as the digits they look like.
    pub fn lire(saisie: &str) -> Option<CodePersonnel> {
        let s: String = saisie
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        (s.len() == LONGUEUR && s.bytes().all(|b| ALPHABET.contains(&b)))
            .then_some(CodePersonnel(s))
    }

    pub fn cle(&self) -> &str {
        &self.0[..CLE]
    }

    pub fn hash_secret(&self) -> String {
        hex(&Sha256::digest(&self.0.as_bytes()[CLE..]))
    }

    pub fn verifier(&self, hash: &str) -> bool {
        maillage_comptes::securite::egal_temps_constant(&self.hash_secret(), hash)
    }

    /// Grouped for reading aloud and printing: `ABCDE-FGHJK-MNPQR-STVW`.
    pub fn texte(&self) -> String {
        self.0
            .as_bytes()
            .chunks(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// A random pseudonymous id for the journal.
pub fn pseudonyme() -> Result<String, String> {
    let mut octets = [0u8; 12];
    getrandom::getrandom(&mut octets).map_err(|e| format!("aléa indisponible : {e}"))?;
    Ok(format!("p-{}", hex(&octets)))
}

/// A person's open space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPersonne {
    pub usager_id: i64,
    pub expire_at: DateTime<Utc>,
    /// The person's session generation when it was opened.
    pub epoque: i64,
    mac: String,
}

fn cle_session(cle: &SigningKey) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"maillage-session-personne-v1");
    h.update(cle.to_bytes());
    h.finalize().to_vec()
}

fn mac(cle: &SigningKey, usager_id: i64, expire: i64, epoque: i64) -> String {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(&cle_session(cle)) else {
        return String::new();
    };
    m.update(format!("{usager_id}.{expire}.{epoque}").as_bytes());
    hex(&m.finalize().into_bytes())
}

impl SessionPersonne {
    pub fn signer(cle: &SigningKey, usager_id: i64, expire_at: DateTime<Utc>, epoque: i64) -> Self {
        SessionPersonne {
            usager_id,
            expire_at,
            epoque,
            mac: mac(cle, usager_id, expire_at.timestamp(), epoque),
        }
    }

    /// Signature and expiry only; the epoch is compared with the database's by
    /// [`crate::Mandats::usager_de_session`].
    pub fn valide(&self, cle: &SigningKey, maintenant: DateTime<Utc>) -> bool {
        maintenant < self.expire_at
            && maillage_comptes::securite::egal_temps_constant(
                &mac(cle, self.usager_id, self.expire_at.timestamp(), self.epoque),
                &self.mac,
            )
    }

    /// The cookie value.
    pub fn cookie(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.usager_id,
            self.expire_at.timestamp(),
            self.epoque,
            self.mac
        )
    }

    pub fn depuis_cookie(valeur: &str) -> Option<SessionPersonne> {
        let mut parties = valeur.split('.');
        let usager_id = parties.next()?.parse().ok()?;
        let expire = parties.next()?.parse().ok()?;
        let epoque = parties.next()?.parse().ok()?;
        let mac = parties.next()?.to_string();
        if parties.next().is_some() {
            return None;
        }
        Some(SessionPersonne {
            usager_id,
            expire_at: DateTime::from_timestamp(expire, 0)?,
            epoque,
            mac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn codes_read_back_loosely_and_verify() {
        let c = CodePersonnel::nouveau().unwrap();
        let t = c.texte();
        assert_eq!(t.len(), 23);
        assert_eq!(
            CodePersonnel::lire(&t.to_lowercase().replace('-', " ")),
            Some(c.clone())
        );
        assert!(c.verifier(&c.hash_secret()));
        let autre = CodePersonnel::nouveau().unwrap();
        assert!(!autre.verifier(&c.hash_secret()));
        assert_eq!(CodePersonnel::lire("trop-court"), None);
    }

    #[test]
    fn session_cookie_is_bound_to_the_key_and_expires() {
        let cle = SigningKey::from_bytes(&[3; 32]);
        let t = Utc::now();
        let s = SessionPersonne::signer(&cle, 12, t + Duration::minutes(20), 0);
        let relue = SessionPersonne::depuis_cookie(&s.cookie()).unwrap();
        assert!(relue.valide(&cle, t));
        assert!(!relue.valide(&cle, t + Duration::minutes(21)));
        assert!(!relue.valide(&SigningKey::from_bytes(&[4; 32]), t));
        let forge = SessionPersonne::depuis_cookie(&s.cookie().replacen("12.", "13.", 1)).unwrap();
        assert!(!forge.valide(&cle, t));
        // The epoch is signed: a closed session cannot be revived by editing it.
        let ravivee =
            SessionPersonne::depuis_cookie(&s.cookie().replacen(".0.", ".1.", 1)).unwrap();
        assert_eq!(ravivee.epoque, 1);
        assert!(!ravivee.valide(&cle, t));
    }
}
