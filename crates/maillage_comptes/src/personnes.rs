//! « Mon espace »: one key per person across modules.
//!
//! A person gets a personal code when a mandate is signed for them, when they register to
//! an event, or when they save a self-assessment; they give it again to attach anything
//! else to the same key. The code reads `ABCDE-FGHJK-MNPQR-STVW` (alphabet without 0/O,
//! 1/I/L, U): the first five characters find the person (stored as is), the other fifteen
//! (75 bits) are the secret, stored as a SHA-256. Attempts are throttled per code prefix
//! and per address ([`crate::limitation`]), and nothing says whether a code exists.
//!
//! The space's session is a random token in a cookie, stored hashed with its expiry in the
//! database: « Fermer » deletes every session of the person, so that every node refuses the
//! cookie afterwards, even a copy of it. Modules get a [`SessionEspace`] (only this module
//! makes one, after checking the token) and keep what they hold about the person under its
//! `personne_id`; no module reads the keys' tables.

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::limitation::Sujet;
use crate::securite::{empreinte, jeton_aleatoire};
use crate::{Comptes, ErreurComptes, Resultat};
use maillage_store::StoreError;

const ALPHABET: &[u8; 30] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const LONGUEUR: usize = 20;
const CLE: usize = 5;
/// How long a space stays open without being closed.
pub const DUREE_SESSION_MINUTES: i64 = 20;

fn hex(octets: &[u8]) -> String {
    octets.iter().map(|b| format!("{b:02x}")).collect()
}

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
        crate::securite::egal_temps_constant(&self.hash_secret(), hash)
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

/// An open space: the person it belongs to. Made only by [`Comptes::personne_de_session`]
/// and [`Comptes::ouvrir_espace`], after the token was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEspace {
    personne_id: i64,
}

impl SessionEspace {
    pub fn personne_id(&self) -> i64 {
        self.personne_id
    }
}

/// A key just made: the person's id and the code to give them (shown once).
#[derive(Debug, Clone)]
pub struct NouvelleCle {
    pub personne_id: i64,
    pub code: CodePersonnel,
}

/// Keys made ahead of need by a server (see [`Comptes::avec_reserve_de_cles`]).
#[derive(Default)]
pub(crate) struct ReserveCles {
    cles: std::sync::Mutex<Vec<NouvelleCle>>,
    /// A refill is under way.
    en_cours: std::sync::atomic::AtomicBool,
}

impl Comptes {
    /// Keeps up to `cible` keys made ahead, in memory, refilled in the background when half
    /// of them are handed out: a burst of registrations then takes its keys without a write
    /// (on SQLite, one commit and its `fsync` fewer in each batch). Each key of the reserve
    /// is a complete record, committed before it is handed out; a key never handed out (the
    /// server stopped) is a person nobody holds the code of: it opens nothing and holds
    /// nothing. `maillage serve` keeps 512 (`MAILLAGE_RESERVE_CLES`, 0 = none); the command
    /// line keeps none. 0: every key is made when asked for.
    pub fn avec_reserve_de_cles(mut self, cible: usize) -> Self {
        self.reserve_cible = cible;
        self
    }

    /// Takes up to `n` keys of the reserve.
    fn prendre_en_reserve(&self, n: usize) -> Vec<NouvelleCle> {
        if self.reserve_cible == 0 || n == 0 {
            return Vec::new();
        }
        match self.reserve.cles.lock() {
            Ok(mut cles) => {
                let debut = cles.len().saturating_sub(n);
                cles.split_off(debut)
            }
            Err(_) => Vec::new(),
        }
    }

    /// Refills the reserve in the background when it is under half its size (one refill at
    /// a time; none outside a Tokio runtime).
    fn relancer_reserve(&self) {
        if self.reserve_cible == 0 {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let presentes = self
            .reserve
            .cles
            .lock()
            .map(|c| c.len())
            .unwrap_or(usize::MAX);
        if presentes >= self.reserve_cible / 2
            || self
                .reserve
                .en_cours
                .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            return;
        }
        let comptes = self.clone();
        runtime.spawn(async move {
            let manque = comptes.reserve_cible.saturating_sub(presentes);
            match comptes.creer_personnes(manque).await {
                Ok(cles) => {
                    if let Ok(mut reserve) = comptes.reserve.cles.lock() {
                        reserve.extend(cles);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not refill the reserve of keys"),
            }
            comptes
                .reserve
                .en_cours
                .store(false, std::sync::atomic::Ordering::Release);
        });
    }

    /// Makes a new key (a new person), drawing again in the rare case its public part is
    /// taken (or takes one of the reserve).
    pub async fn nouvelle_personne(&self) -> Resultat<NouvelleCle> {
        if let Some(cle) = self.prendre_en_reserve(1).pop() {
            self.relancer_reserve();
            return Ok(cle);
        }
        let cle = self.creer_personne().await;
        self.relancer_reserve();
        cle
    }

    async fn creer_personne(&self) -> Resultat<NouvelleCle> {
        for _ in 0..8 {
            let code = CodePersonnel::nouveau().map_err(ErreurComptes::Interne)?;
            match self
                .store
                .create_personne(code.cle(), &code.hash_secret(), self.maintenant())
                .await
            {
                Ok(personne_id) => return Ok(NouvelleCle { personne_id, code }),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ErreurComptes::Interne(
            "no free personal code after 8 draws".into(),
        ))
    }

    /// `n` new keys: those of the reserve first, the rest made in one transaction (the
    /// group commit of a burst of registrations: one write instead of `n`).
    pub async fn nouvelles_personnes(&self, n: usize) -> Resultat<Vec<NouvelleCle>> {
        let mut cles = self.prendre_en_reserve(n);
        if cles.len() < n {
            let faites = self.creer_personnes(n - cles.len()).await;
            self.relancer_reserve();
            cles.extend(faites?);
        } else {
            self.relancer_reserve();
        }
        Ok(cles)
    }

    /// Makes `n` new keys in one transaction, drawing again, key by key, in the rare case a
    /// public part is taken.
    async fn creer_personnes(&self, n: usize) -> Resultat<Vec<NouvelleCle>> {
        let mut faites: Vec<Option<NouvelleCle>> = (0..n).map(|_| None).collect();
        // A public part already taken is drawn again for that key alone: one collision
        // does not redo the batch (with many keys in the base, some key of a large batch
        // would collide at almost every draw).
        for _ in 0..8 {
            let manquantes: Vec<usize> = (0..n).filter(|&i| faites[i].is_none()).collect();
            if manquantes.is_empty() {
                break;
            }
            let mut vues = std::collections::HashSet::new();
            let mut codes = Vec::with_capacity(manquantes.len());
            while codes.len() < manquantes.len() {
                let code = CodePersonnel::nouveau().map_err(ErreurComptes::Interne)?;
                if vues.insert(code.cle().to_string()) {
                    codes.push(code);
                }
            }
            let cles: Vec<(String, String)> = codes
                .iter()
                .map(|c| (c.cle().to_string(), c.hash_secret()))
                .collect();
            let ids = self
                .store
                .create_personnes(&cles, self.maintenant())
                .await?;
            for ((i, code), id) in manquantes.into_iter().zip(codes).zip(ids) {
                if let Some(personne_id) = id {
                    faites[i] = Some(NouvelleCle { personne_id, code });
                }
            }
        }
        faites
            .into_iter()
            .map(|f| {
                f.ok_or_else(|| {
                    ErreurComptes::Interne("no free personal codes after 8 draws".into())
                })
            })
            .collect()
    }

    /// The person of a code a person typed (throttled like the space's opening; no hint
    /// whether the code exists): `CodePersonnelIncorrect` or `TropDeTentatives` otherwise.
    pub async fn verifier_cle(&self, saisie: &str, adresse: &str) -> Resultat<i64> {
        let code = CodePersonnel::lire(saisie);
        let sujet = Sujet::Personne {
            prefixe: code.as_ref().map(|c| c.cle()),
        };
        let Some(tentative) = self.reserver_tentative(sujet, adresse).await? else {
            return Err(ErreurComptes::TropDeTentatives);
        };
        let personne = match &code {
            Some(c) => self
                .store
                .personne_by_cle(c.cle())
                .await?
                .filter(|p| c.verifier(&p.code_hash)),
            None => None,
        };
        let Some(personne) = personne else {
            return Err(ErreurComptes::CodePersonnelIncorrect);
        };
        self.tentative_reussie(&tentative).await?;
        Ok(personne.id)
    }

    /// Opens the person's space with their code: the cookie's token and the session.
    pub async fn ouvrir_espace(
        &self,
        saisie: &str,
        adresse: &str,
    ) -> Resultat<(String, SessionEspace)> {
        let personne_id = self.verifier_cle(saisie, adresse).await?;
        self.ouvrir_session_espace(personne_id).await
    }

    /// Opens the space of a person whose key was just made or checked by a module (a
    /// registration that made the key opens the space at once).
    pub async fn ouvrir_session_espace(
        &self,
        personne_id: i64,
    ) -> Resultat<(String, SessionEspace)> {
        let jeton = jeton_aleatoire();
        self.store
            .put_personne_session(
                &empreinte(&jeton),
                personne_id,
                self.maintenant() + Duration::minutes(DUREE_SESSION_MINUTES),
            )
            .await?;
        Ok((jeton, SessionEspace { personne_id }))
    }

    /// The space of a cookie's token, if still open.
    pub async fn personne_de_session(&self, jeton: &str) -> Resultat<Option<SessionEspace>> {
        if jeton.is_empty() || jeton.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .store
            .personne_of_session(&empreinte(jeton), self.maintenant())
            .await?
            .map(|personne_id| SessionEspace { personne_id }))
    }

    /// « Fermer mon espace »: ends this session and every other open one of the person.
    pub async fn fermer_espace(&self, session: &SessionEspace) -> Resultat<u64> {
        Ok(self
            .store
            .delete_personne_sessions(session.personne_id)
            .await?)
    }

    /// A new code for a person (the old one stops working, open spaces are closed): for a
    /// module's trusted use (an aidant giving a new code to a person who lost theirs).
    pub async fn nouveau_code_personne(&self, personne_id: i64) -> Resultat<CodePersonnel> {
        for _ in 0..8 {
            let code = CodePersonnel::nouveau().map_err(ErreurComptes::Interne)?;
            match self
                .store
                .set_personne_code(personne_id, code.cle(), &code.hash_secret())
                .await
            {
                Ok(()) => {
                    self.store.delete_personne_sessions(personne_id).await?;
                    return Ok(code);
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ErreurComptes::Interne(
            "no free personal code after 8 draws".into(),
        ))
    }

    /// Removes expired spaces' sessions (daily job).
    pub async fn purger_sessions_espace(&self) -> Resultat<u64> {
        Ok(self
            .store
            .purge_personne_sessions(self.maintenant())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
