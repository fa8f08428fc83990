//! The journal of the instance: append-only entries, each chained to the previous one by
//! SHA-256, and seals (checkpoints) signed with the instance's Ed25519 key — one chain per
//! module, its [`Flux`] (stream): Mandats (`journal`, `journal_sceaux`) and Pass numérique
//! (`pass_journal`). The chaining, signing and verification below are the same for every
//! stream; a stream only changes the domain prefixes of the entry hash and of the seal's
//! signed message, so that an entry or a seal of one stream is never valid in another.
//! Mandats keeps the prefixes it was written with (`MJ1`, `maillage-journal-sceau-v1\0`):
//! its existing chains and seals verify unchanged. [`Action`] is the Mandats stream's
//! vocabulary; the Pass stream's actions are `maillage_store::pass::ACTION_*`.
//!
//! # Canonical serialisation
//!
//! An entry's hash is `SHA-256("MJ1" ‖ prev_hash ‖ body)` where `body` is, in this order:
//! `seq` and `at_us` (microseconds since the Unix epoch) as big-endian `i64`; `action`,
//! `acteur` as length-prefixed UTF-8 (big-endian `u32` length); `structure_id`, `mandat_id`
//! as a presence byte (`0`/`1`) followed by a big-endian `i64` when present; `usager`
//! (pseudonymous id, presence byte then length-prefixed text); `demarches`, `details` as
//! length-prefixed UTF-8. The first entry (`seq = 1`) chains to 32 zero bytes. Nothing is
//! read from a stored hash to compute another: verification recomputes every hash from the
//! stored fields.
//!
//! # Seals
//!
//! A seal signs `"maillage-journal-sceau-v1\0" ‖ seq ‖ hash ‖ at_us` (big-endian integers):
//! anyone holding the public key can check that the chain up to `seq` is the one the
//! instance sealed, so rewriting the whole chain after a change is detected at the next seal.
//!
//! Personal data never enters an entry: the person is named by a pseudonymous id.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry.
pub const HASH_INITIAL: [u8; 32] = [0; 32];

/// A stream of the journal: one module's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flux {
    /// Mandates (`journal`, `journal_sceaux`).
    Mandats,
    /// Pass numérique (`pass_journal`).
    Pass,
}

impl Flux {
    pub const TOUS: [Flux; 2] = [Flux::Mandats, Flux::Pass];

    pub fn code(self) -> &'static str {
        match self {
            Flux::Mandats => "mandats",
            Flux::Pass => "pass",
        }
    }

    /// The domain prefix of an entry's hash.
    fn prefixe_entree(self) -> &'static [u8] {
        match self {
            Flux::Mandats => b"MJ1",
            Flux::Pass => b"MJ1/pass",
        }
    }

    /// The domain prefix of a seal's signed message.
    fn prefixe_sceau(self) -> &'static [u8] {
        match self {
            Flux::Mandats => b"maillage-journal-sceau-v1\0",
            Flux::Pass => b"maillage-journal-sceau-v1/pass\0",
        }
    }
}
/// How many recent hashes verification keeps to recognise an inserted entry.
const MEMOIRE_INSERTION: usize = 16;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    CreationMandat,
    Utilisation,
    RefusUtilisation,
    Renouvellement,
    RevocationDemarche,
    RevocationMandat,
    Consultation,
    Transfert,
    RappelExpiration,
}

impl Action {
    pub const TOUTES: [Action; 9] = [
        Action::CreationMandat,
        Action::Utilisation,
        Action::RefusUtilisation,
        Action::Renouvellement,
        Action::RevocationDemarche,
        Action::RevocationMandat,
        Action::Consultation,
        Action::Transfert,
        Action::RappelExpiration,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::CreationMandat => "creation_mandat",
            Action::Utilisation => "utilisation",
            Action::RefusUtilisation => "refus_utilisation",
            Action::Renouvellement => "renouvellement",
            Action::RevocationDemarche => "revocation_demarche",
            Action::RevocationMandat => "revocation_mandat",
            Action::Consultation => "consultation",
            Action::Transfert => "transfert",
            Action::RappelExpiration => "rappel_expiration",
        }
    }

    /// Plain French, as shown to the person and to auditors.
    pub fn libelle(self) -> &'static str {
        match self {
            Action::CreationMandat => "Signature du mandat",
            Action::Utilisation => "Démarche faite en votre nom",
            Action::RefusUtilisation => "Démarche refusée (hors mandat)",
            Action::Renouvellement => "Renouvellement du mandat",
            Action::RevocationDemarche => "Révocation d'une démarche",
            Action::RevocationMandat => "Révocation du mandat",
            Action::Consultation => "Consultation du mandat",
            Action::Transfert => "Transfert à une autre structure",
            Action::RappelExpiration => "Rappel avant expiration",
        }
    }

    pub fn depuis_code(code: &str) -> Option<Action> {
        Action::TOUTES.into_iter().find(|a| a.code() == code)
    }
}

/// An entry before it is chained: what the caller knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NouvelleEntree {
    /// Microseconds since the Unix epoch.
    pub at_us: i64,
    pub action: String,
    /// `aidant:<id>`, `usager:<pseudonyme>`, `admin:<id>` or `systeme`.
    pub acteur: String,
    pub structure_id: Option<i64>,
    pub mandat_id: Option<i64>,
    /// The person's pseudonymous id.
    pub usager: Option<String>,
    /// Comma-separated démarche codes concerned.
    pub demarches: String,
    /// Non-personal details (compact JSON written by the caller).
    pub details: String,
}

/// A chained entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entree {
    pub seq: i64,
    #[serde(flatten)]
    pub contenu: NouvelleEntree,
    #[serde(with = "hex32")]
    pub prev_hash: [u8; 32],
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
}

impl Entree {
    /// Recomputes this entry's hash from its fields and `prev_hash`.
    pub fn calculer_hash(&self, tampon: &mut Vec<u8>) -> [u8; 32] {
        hash_entree(self.seq, &self.prev_hash, &self.contenu, tampon)
    }

    /// Recomputes this entry's hash as an entry of the stream `flux`.
    pub fn calculer_hash_flux(&self, flux: Flux, tampon: &mut Vec<u8>) -> [u8; 32] {
        hash_entree_flux(flux, self.seq, &self.prev_hash, &self.contenu, tampon)
    }
}

/// The SHA-256 of one entry of the Mandats stream (see the module documentation). `tampon`
/// is reused scratch.
pub fn hash_entree(
    seq: i64,
    prev_hash: &[u8; 32],
    e: &NouvelleEntree,
    tampon: &mut Vec<u8>,
) -> [u8; 32] {
    hash_entree_flux(Flux::Mandats, seq, prev_hash, e, tampon)
}

/// The SHA-256 of one entry of the stream `flux`.
pub fn hash_entree_flux(
    flux: Flux,
    seq: i64,
    prev_hash: &[u8; 32],
    e: &NouvelleEntree,
    tampon: &mut Vec<u8>,
) -> [u8; 32] {
    tampon.clear();
    tampon.extend_from_slice(flux.prefixe_entree());
    tampon.extend_from_slice(prev_hash);
    tampon.extend_from_slice(&seq.to_be_bytes());
    tampon.extend_from_slice(&e.at_us.to_be_bytes());
    texte(tampon, &e.action);
    texte(tampon, &e.acteur);
    entier(tampon, e.structure_id);
    entier(tampon, e.mandat_id);
    match &e.usager {
        Some(u) => {
            tampon.push(1);
            texte(tampon, u);
        }
        None => tampon.push(0),
    }
    texte(tampon, &e.demarches);
    texte(tampon, &e.details);
    Sha256::digest(&tampon[..]).into()
}

fn texte(tampon: &mut Vec<u8>, s: &str) {
    // Lengths beyond u32 cannot be stored anyway; saturate rather than wrap.
    let n = u32::try_from(s.len()).unwrap_or(u32::MAX);
    tampon.extend_from_slice(&n.to_be_bytes());
    tampon.extend_from_slice(s.as_bytes());
}

fn entier(tampon: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            tampon.push(1);
            tampon.extend_from_slice(&v.to_be_bytes());
        }
        None => tampon.push(0),
    }
}

/// The head of the chain and how to extend it (used by the stores inside the transaction
/// that writes the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chaine {
    /// Seq of the last entry (`0` when empty).
    pub seq: i64,
    pub hash: [u8; 32],
}

impl Chaine {
    pub const VIDE: Chaine = Chaine {
        seq: 0,
        hash: HASH_INITIAL,
    };

    /// Chains `contenu` after the head (Mandats stream) and moves the head to it.
    pub fn ajouter(&mut self, contenu: NouvelleEntree, tampon: &mut Vec<u8>) -> Entree {
        self.ajouter_flux(Flux::Mandats, contenu, tampon)
    }

    /// Chains `contenu` after the head of the stream `flux` and moves the head to it.
    pub fn ajouter_flux(
        &mut self,
        flux: Flux,
        contenu: NouvelleEntree,
        tampon: &mut Vec<u8>,
    ) -> Entree {
        let seq = self.seq + 1;
        let hash = hash_entree_flux(flux, seq, &self.hash, &contenu, tampon);
        let e = Entree {
            seq,
            contenu,
            prev_hash: self.hash,
            hash,
        };
        *self = Chaine { seq, hash };
        e
    }
}

/// A signed checkpoint: the instance vouches that entry `seq` has hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sceau {
    pub seq: i64,
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
    pub at_us: i64,
    #[serde(with = "hex64")]
    pub signature: [u8; 64],
}

impl Sceau {
    fn message(flux: Flux, seq: i64, hash: &[u8; 32], at_us: i64) -> Vec<u8> {
        let prefixe = flux.prefixe_sceau();
        let mut m = Vec::with_capacity(prefixe.len() + 48);
        m.extend_from_slice(prefixe);
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(hash);
        m.extend_from_slice(&at_us.to_be_bytes());
        m
    }

    /// A seal of the Mandats stream.
    pub fn signer(cle: &SigningKey, seq: i64, hash: [u8; 32], at_us: i64) -> Sceau {
        Sceau::signer_flux(Flux::Mandats, cle, seq, hash, at_us)
    }

    /// A seal of the stream `flux`.
    pub fn signer_flux(
        flux: Flux,
        cle: &SigningKey,
        seq: i64,
        hash: [u8; 32],
        at_us: i64,
    ) -> Sceau {
        let signature = cle
            .sign(&Sceau::message(flux, seq, &hash, at_us))
            .to_bytes();
        Sceau {
            seq,
            hash,
            at_us,
            signature,
        }
    }

    /// Whether this is a valid seal of the Mandats stream.
    pub fn signature_valide(&self, cle: &VerifyingKey) -> bool {
        self.signature_valide_flux(Flux::Mandats, cle)
    }

    /// Whether this is a valid seal of the stream `flux`.
    pub fn signature_valide_flux(&self, flux: Flux, cle: &VerifyingKey) -> bool {
        cle.verify_strict(
            &Sceau::message(flux, self.seq, &self.hash, self.at_us),
            &Signature::from_bytes(&self.signature),
        )
        .is_ok()
    }
}

/// Why verification stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RaisonRupture {
    /// The entry's fields no longer give its hash.
    ContenuModifie,
    /// The entry does not chain to the previous one.
    ChainageRompu,
    /// The entries before this one were inserted: this one chains to an older entry.
    Inseree,
    /// Entries are missing: the next one found has a higher number.
    Manquante { suivante: i64 },
    /// The same number again, or numbers going backwards.
    EnDouble,
    /// The chain up to a signed seal is not the one that was sealed (rewritten).
    DifferenteDuSceau { sceau_at_us: i64 },
    /// A seal's signature is not the instance's.
    SceauFalsifie,
    /// A seal covers an entry that is no longer there (entries deleted at the end).
    Tronque,
}

/// The first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rupture {
    pub seq: i64,
    pub raison: RaisonRupture,
}

impl Rupture {
    /// Plain French, naming the entry.
    pub fn message(&self) -> String {
        let n = self.seq;
        match &self.raison {
            RaisonRupture::ContenuModifie => format!(
                "Entrée n° {n} : son contenu a été modifié (l'empreinte recalculée ne \
                 correspond plus)."
            ),
            RaisonRupture::ChainageRompu => format!(
                "Entrée n° {n} : elle ne suit pas l'entrée précédente (entrées déplacées, \
                 remplacées ou modifiées)."
            ),
            RaisonRupture::Inseree => format!(
                "Entrée n° {n} : elle a été insérée (l'entrée suivante est chaînée à celle \
                 qui la précède)."
            ),
            RaisonRupture::Manquante { suivante } if *suivante == n + 1 => {
                format!("Entrée n° {n} : elle a été supprimée.")
            }
            RaisonRupture::Manquante { suivante } => format!(
                "Entrées n° {n} à {} : elles ont été supprimées.",
                suivante - 1
            ),
            RaisonRupture::EnDouble => {
                format!("Entrée n° {n} : numéro en double ou dans le désordre.")
            }
            RaisonRupture::DifferenteDuSceau { .. } => format!(
                "Entrée n° {n} : la chaîne jusqu'à cette entrée n'est plus celle qui a été \
                 scellée (réécrite depuis le sceau précédent)."
            ),
            RaisonRupture::SceauFalsifie => {
                format!("Sceau de l'entrée n° {n} : sa signature n'est pas celle de l'instance.")
            }
            RaisonRupture::Tronque => format!(
                "Entrée n° {n} : elle a été scellée mais n'existe plus (fin du journal \
                 supprimée)."
            ),
        }
    }
}

impl fmt::Display for Rupture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rapport {
    /// Entries read (up to the first rupture, included).
    pub entrees: u64,
    /// Seals whose signature and hash were checked.
    pub sceaux: u64,
    /// Last entry number of an intact chain.
    pub derniere: i64,
    /// Entries after the last seal (intact chain, but not yet signed).
    pub non_scellees: i64,
    pub rupture: Option<Rupture>,
}

impl Rapport {
    pub fn intact(&self) -> bool {
        self.rupture.is_none()
    }
}

/// Streaming verification: feed entries in `seq` order with [`Verificateur::entree`], then
/// call [`Verificateur::fin`]. Stops at the first rupture.
pub struct Verificateur {
    flux: Flux,
    attendu: i64,
    precedent: [u8; 32],
    recents: VecDeque<(i64, [u8; 32])>,
    sceaux: BTreeMap<i64, Sceau>,
    sceau_falsifie: Option<i64>,
    sceaux_verifies: u64,
    dernier_sceau: i64,
    entrees: u64,
    rupture: Option<Rupture>,
    tampon: Vec<u8>,
}

impl Verificateur {
    /// Checks the seals' signatures now (Mandats stream); their hashes are compared as
    /// entries come.
    pub fn new(sceaux: Vec<Sceau>, cle: &VerifyingKey) -> Verificateur {
        Verificateur::pour_flux(Flux::Mandats, sceaux, cle)
    }

    /// The verifier of the stream `flux`.
    pub fn pour_flux(flux: Flux, sceaux: Vec<Sceau>, cle: &VerifyingKey) -> Verificateur {
        let mut falsifie = None;
        let mut par_seq = BTreeMap::new();
        for s in sceaux {
            if !s.signature_valide_flux(flux, cle) {
                falsifie = Some(falsifie.map_or(s.seq, |f: i64| f.min(s.seq)));
                continue;
            }
            par_seq.insert(s.seq, s);
        }
        Verificateur {
            flux,
            attendu: 1,
            precedent: HASH_INITIAL,
            recents: VecDeque::with_capacity(MEMOIRE_INSERTION),
            sceaux: par_seq,
            sceau_falsifie: falsifie,
            sceaux_verifies: 0,
            dernier_sceau: 0,
            entrees: 0,
            rupture: None,
            tampon: Vec::with_capacity(256),
        }
    }

    /// `false` once a rupture was found (later entries are not looked at).
    pub fn continuer(&self) -> bool {
        self.rupture.is_none()
    }

    pub fn entree(&mut self, e: &Entree) -> bool {
        if self.rupture.is_some() {
            return false;
        }
        self.entrees += 1;
        let n = self.attendu;
        if e.seq != n {
            let raison = if e.seq > n {
                RaisonRupture::Manquante { suivante: e.seq }
            } else {
                RaisonRupture::EnDouble
            };
            let seq = if e.seq > n { n } else { e.seq };
            return self.rompre(seq, raison);
        }
        if e.prev_hash != self.precedent {
            // Chained to an older entry: the ones after that one were inserted.
            let plus_ancienne = self
                .recents
                .iter()
                .rev()
                .skip(1)
                .find(|(_, h)| *h == e.prev_hash)
                .map(|(s, _)| *s);
            return match plus_ancienne {
                Some(s) => self.rompre(s + 1, RaisonRupture::Inseree),
                None => self.rompre(n, RaisonRupture::ChainageRompu),
            };
        }
        let hash = e.calculer_hash_flux(self.flux, &mut self.tampon);
        if hash != e.hash {
            return self.rompre(n, RaisonRupture::ContenuModifie);
        }
        if let Some(s) = self.sceaux.get(&n) {
            if s.hash != hash {
                let at = s.at_us;
                return self.rompre(n, RaisonRupture::DifferenteDuSceau { sceau_at_us: at });
            }
            self.sceaux_verifies += 1;
            self.dernier_sceau = n;
        }
        if self.recents.len() == MEMOIRE_INSERTION {
            self.recents.pop_front();
        }
        self.recents.push_back((n, hash));
        self.precedent = hash;
        self.attendu = n + 1;
        true
    }

    fn rompre(&mut self, seq: i64, raison: RaisonRupture) -> bool {
        self.rupture = Some(Rupture { seq, raison });
        false
    }

    pub fn fin(self) -> Rapport {
        let derniere = self.attendu - 1;
        let mut candidates: Vec<Rupture> = self.rupture.into_iter().collect();
        if let Some(s) = self.sceau_falsifie {
            candidates.push(Rupture {
                seq: s,
                raison: RaisonRupture::SceauFalsifie,
            });
        }
        if candidates.is_empty() {
            // A seal beyond the last entry: the end of the journal was deleted.
            if let Some((&s, _)) = self.sceaux.range(derniere + 1..).next() {
                candidates.push(Rupture {
                    seq: derniere + 1,
                    raison: if s == derniere + 1 {
                        RaisonRupture::Tronque
                    } else {
                        RaisonRupture::Manquante { suivante: s + 1 }
                    },
                });
            }
        }
        let rupture = candidates.into_iter().min_by_key(|r| r.seq);
        Rapport {
            entrees: self.entrees,
            sceaux: self.sceaux_verifies,
            derniere: rupture
                .as_ref()
                .map_or(derniere, |r| (r.seq - 1).min(derniere)),
            non_scellees: derniere - self.dernier_sceau,
            rupture,
        }
    }
}

/// Verifies a whole journal held in memory.
pub fn verifier<'a>(
    entrees: impl IntoIterator<Item = &'a Entree>,
    sceaux: Vec<Sceau>,
    cle: &VerifyingKey,
) -> Rapport {
    let mut v = Verificateur::new(sceaux, cle);
    for e in entrees {
        if !v.entree(e) {
            break;
        }
    }
    v.fin()
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        super::depuis_hex::<32>(&s).ok_or_else(|| serde::de::Error::custom("hex of 32 bytes"))
    }
}

mod hex64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let s = String::deserialize(d)?;
        super::depuis_hex::<64>(&s).ok_or_else(|| serde::de::Error::custom("hex of 64 bytes"))
    }
}

/// Lower-case hexadecimal.
pub fn hex(octets: &[u8]) -> String {
    const CHIFFRES: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(octets.len() * 2);
    for b in octets {
        s.push(CHIFFRES[(b >> 4) as usize] as char);
        s.push(CHIFFRES[(b & 15) as usize] as char);
    }
    s
}

/// Parses exactly `N` bytes of hexadecimal (either case).
pub fn depuis_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let val = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (val(b[2 * i])? << 4) | val(b[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cle() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn contenu(i: i64) -> NouvelleEntree {
        NouvelleEntree {
            at_us: 1_790_000_000_000_000 + i,
            action: Action::Utilisation.code().into(),
            acteur: format!("aidant:{}", i % 3),
            structure_id: Some(4),
            mandat_id: Some(i / 2),
            usager: Some("u-abc".into()),
            demarches: "social".into(),
            details: "{}".into(),
        }
    }

    fn journal(n: i64) -> Vec<Entree> {
        let mut c = Chaine::VIDE;
        let mut t = Vec::new();
        (1..=n).map(|i| c.ajouter(contenu(i), &mut t)).collect()
    }

    fn sceller(j: &[Entree], seqs: &[i64]) -> Vec<Sceau> {
        seqs.iter()
            .map(|&s| {
                let e = &j[(s - 1) as usize];
                Sceau::signer(&cle(), s, e.hash, 5)
            })
            .collect()
    }

    fn rupture(j: &[Entree], sceaux: Vec<Sceau>) -> Option<Rupture> {
        verifier(j, sceaux, &cle().verifying_key()).rupture
    }

    #[test]
    fn intact_chain_verifies_with_its_seals() {
        let j = journal(20);
        let r = verifier(&j, sceller(&j, &[10, 15]), &cle().verifying_key());
        assert!(r.intact(), "{r:?}");
        assert_eq!(
            (r.entrees, r.sceaux, r.derniere, r.non_scellees),
            (20, 2, 20, 5)
        );
        // Canonical form: any field change changes the hash.
        let mut t = Vec::new();
        let mut e = j[3].clone();
        let h = e.calculer_hash(&mut t);
        assert_eq!(h, e.hash);
        e.contenu.structure_id = None;
        assert_ne!(e.calculer_hash(&mut t), h);
    }

    #[test]
    fn each_kind_of_tampering_names_the_entry() {
        let j = journal(12);
        // Modified field.
        let mut m = j.clone();
        m[4].contenu.demarches = "logement".into();
        assert_eq!(
            rupture(&m, vec![]),
            Some(Rupture {
                seq: 5,
                raison: RaisonRupture::ContenuModifie
            })
        );
        // Deleted entry.
        let mut d = j.clone();
        d.remove(6);
        assert_eq!(rupture(&d, vec![]).map(|r| r.seq), Some(7));
        assert_eq!(
            rupture(&d, vec![]).map(|r| r.message()),
            Some("Entrée n° 7 : elle a été supprimée.".into())
        );
        // Swapped contents.
        let mut s = j.clone();
        s.swap(3, 4);
        s[3].seq = 4;
        s[4].seq = 5;
        assert_eq!(
            rupture(&s, vec![]),
            Some(Rupture {
                seq: 4,
                raison: RaisonRupture::ChainageRompu
            })
        );
        // Inserted entry, chained properly to its predecessor and the rest renumbered.
        let mut ins = j[..5].to_vec();
        let mut c = Chaine {
            seq: 5,
            hash: j[4].hash,
        };
        ins.push(c.ajouter(contenu(99), &mut Vec::new()));
        for e in &j[5..] {
            let mut e = e.clone();
            e.seq += 1;
            ins.push(e);
        }
        assert_eq!(
            rupture(&ins, vec![]),
            Some(Rupture {
                seq: 6,
                raison: RaisonRupture::Inseree
            })
        );
        // Whole chain rewritten after a change: caught by the next seal.
        let mut re = journal(4);
        let mut c = Chaine {
            seq: 4,
            hash: re[3].hash,
        };
        let mut autre = contenu(5);
        autre.demarches = "argent".into();
        re.push(c.ajouter(autre, &mut Vec::new()));
        for i in 6..=12 {
            re.push(c.ajouter(contenu(i), &mut Vec::new()));
        }
        assert_eq!(rupture(&re, vec![]), None);
        assert_eq!(
            rupture(&re, sceller(&j, &[3, 8])).map(|r| (r.seq, r.raison)),
            Some((8, RaisonRupture::DifferenteDuSceau { sceau_at_us: 5 }))
        );
        // End deleted: caught by a seal beyond the last entry.
        let tronque = j[..9].to_vec();
        assert_eq!(
            rupture(&tronque, sceller(&j, &[10])),
            Some(Rupture {
                seq: 10,
                raison: RaisonRupture::Tronque
            })
        );
        // Forged seal.
        let mut faux = sceller(&j, &[6]);
        faux[0].hash[0] ^= 1;
        assert_eq!(
            rupture(&j, faux).map(|r| r.raison),
            Some(RaisonRupture::SceauFalsifie)
        );
    }

    #[test]
    fn hex_round_trip() {
        let h = [0xabu8; 32];
        assert_eq!(depuis_hex::<32>(&hex(&h)), Some(h));
        assert_eq!(depuis_hex::<32>("zz"), None);
    }

    #[test]
    fn streams_are_separate_and_mandats_keeps_its_format() {
        let contenu = NouvelleEntree {
            at_us: 1_790_000_000_000_000,
            action: "pass_utilisation".into(),
            acteur: "cle_api:1".into(),
            structure_id: Some(2),
            mandat_id: Some(3),
            usager: None,
            demarches: "programme:1".into(),
            details: "{}".into(),
        };
        let mut t = Vec::new();
        let mut m = Chaine::VIDE;
        let em = m.ajouter(contenu.clone(), &mut t);
        // The Mandats stream is the historical format.
        assert_eq!(em.hash, hash_entree(1, &HASH_INITIAL, &contenu, &mut t));
        let mut p = Chaine::VIDE;
        let ep = p.ajouter_flux(Flux::Pass, contenu, &mut t);
        assert_ne!(em.hash, ep.hash, "an entry is valid in one stream only");
        let cle = SigningKey::from_bytes(&[9; 32]);
        let mut v = Verificateur::pour_flux(Flux::Pass, Vec::new(), &cle.verifying_key());
        assert!(v.entree(&ep));
        let mut v = Verificateur::pour_flux(Flux::Pass, Vec::new(), &cle.verifying_key());
        assert!(!v.entree(&em), "a Mandats entry is not a Pass entry");
        let sceau = Sceau::signer_flux(Flux::Pass, &cle, 1, ep.hash, 5);
        assert!(sceau.signature_valide_flux(Flux::Pass, &cle.verifying_key()));
        assert!(
            !sceau.signature_valide(&cle.verifying_key()),
            "nor its seal"
        );
    }
}
