//! The instance's Ed25519 journal key: kept in a file outside the database (so someone
//! with database access alone cannot forge seals), published as a PEM public key at
//! `/.well-known/maillage-journal.pub`.
//!
//! The key is created only on purpose: `maillage journal cle --creer`, or the first `serve`
//! of an empty instance (no journal entry, no seal), said loudly. Reading it ([`charger`])
//! never creates one, and [`controler`] refuses a key that did not sign the database's
//! seals: every node of an instance shares one key file, backed up apart from the database.

use std::path::Path;

use data_encoding::BASE64;
use maillage_domain::mandats::{Sceau, SigningKey, VerifyingKey};

/// Reads the key file; `None` if there is none (nothing is created).
pub fn charger(chemin: &Path) -> Result<Option<SigningKey>, String> {
    match std::fs::read_to_string(chemin) {
        Ok(texte) => {
            let graine = maillage_domain::mandats::journal::depuis_hex::<32>(texte.trim())
                .ok_or_else(|| {
                    format!(
                        "clé du journal illisible dans {} (64 chiffres hexadécimaux attendus)",
                        chemin.display()
                    )
                })?;
            Ok(Some(SigningKey::from_bytes(&graine)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "clé du journal illisible ({}) : {e}",
            chemin.display()
        )),
    }
}

/// Creates a new key file (mode 0600); refuses to overwrite an existing one.
pub fn creer(chemin: &Path) -> Result<SigningKey, String> {
    if chemin.exists() {
        return Err(format!(
            "la clé du journal {} existe déjà : elle n’est jamais remplacée",
            chemin.display()
        ));
    }
    let cle = nouvelle()?;
    ecrire(chemin, &cle)?;
    tracing::warn!(path = %chemin.display(), "created a new journal signing key: back it up apart from the database");
    Ok(cle)
}

/// Checks that `cle` signed the seals already in the database (the last one, and the
/// first). Without seals any key is accepted.
pub fn controler(cle: &VerifyingKey, sceaux: &[Sceau], chemin: &str) -> Result<(), String> {
    let (Some(premier), Some(dernier)) = (sceaux.first(), sceaux.last()) else {
        return Ok(());
    };
    for s in [dernier, premier] {
        if !s.signature_valide(cle) {
            return Err(format!(
                "la clé du journal ({chemin}) ne correspond pas aux {} sceau(x) déjà inscrits dans la base : \
                 le sceau de l’entrée n° {} a été signé par une autre clé. Tous les nœuds et toutes \
                 les commandes d’une instance doivent utiliser le même fichier de clé : copiez-le depuis \
                 le nœud d’origine ou restaurez-le depuis sa sauvegarde (voir docs/MANDATS.md).",
                sceaux.len(),
                s.seq
            ));
        }
    }
    Ok(())
}

/// The message when the key file is missing although the journal is not empty.
pub fn absente(chemin: &str, entrees: i64, sceaux: usize) -> String {
    format!(
        "aucune clé du journal dans {chemin}, alors que la base contient déjà {entrees} entrée(s) \
         du journal et {sceaux} sceau(x). Restaurez le fichier de clé depuis sa sauvegarde (ou \
         copiez-le depuis un autre nœud, ou indiquez-le avec --cle-journal / MAILLAGE_JOURNAL_CLE). \
         Si l’instance n’a jamais eu de sceau, créez-en une avec : maillage journal cle --creer"
    )
}

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const SPKI_ED25519: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Reads the key file (64 hex digits of the private seed), or creates it (mode 0600).
/// For tests and development servers only: the product uses [`charger`] and [`creer`].
pub fn charger_ou_creer(chemin: &Path) -> Result<SigningKey, String> {
    match std::fs::read_to_string(chemin) {
        Ok(texte) => {
            let graine = maillage_domain::mandats::journal::depuis_hex::<32>(texte.trim())
                .ok_or_else(|| {
                    format!(
                        "clé du journal illisible dans {} (64 chiffres hexadécimaux attendus)",
                        chemin.display()
                    )
                })?;
            Ok(SigningKey::from_bytes(&graine))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let cle = nouvelle()?;
            ecrire(chemin, &cle)?;
            tracing::info!(path = %chemin.display(), "created the journal signing key");
            Ok(cle)
        }
        Err(e) => Err(format!(
            "clé du journal illisible ({}) : {e}",
            chemin.display()
        )),
    }
}

pub fn nouvelle() -> Result<SigningKey, String> {
    let mut graine = [0u8; 32];
    getrandom::getrandom(&mut graine).map_err(|e| format!("aléa indisponible : {e}"))?;
    Ok(SigningKey::from_bytes(&graine))
}

fn ecrire(chemin: &Path, cle: &SigningKey) -> Result<(), String> {
    use std::io::Write;
    if let Some(dossier) = chemin.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dossier).map_err(|e| format!("{}: {e}", dossier.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(chemin).map_err(|e| {
        format!(
            "impossible de créer la clé du journal {} : {e}",
            chemin.display()
        )
    })?;
    let texte = maillage_domain::mandats::journal::hex(&cle.to_bytes());
    f.write_all(format!("{texte}\n").as_bytes())
        .map_err(|e| format!("{}: {e}", chemin.display()))
}

/// The public key as PEM (SubjectPublicKeyInfo), readable by `openssl pkey -pubin`.
pub fn pem_publique(cle: &VerifyingKey) -> String {
    let mut der = SPKI_ED25519.to_vec();
    der.extend_from_slice(cle.as_bytes());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        BASE64.encode(&der)
    )
}

/// Reads a PEM public key written by [`pem_publique`].
pub fn lire_pem_publique(pem: &str) -> Option<VerifyingKey> {
    let corps: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("");
    let der = BASE64.decode(corps.trim().as_bytes()).ok()?;
    let brut = der.strip_prefix(&SPKI_ED25519[..])?;
    let octets: [u8; 32] = brut.try_into().ok()?;
    VerifyingKey::from_bytes(&octets).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_then_read_back_and_pem_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let chemin = dir.path().join("sous/journal.key");
        let a = charger_ou_creer(&chemin).unwrap();
        let b = charger_ou_creer(&chemin).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&chemin).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let pem = pem_publique(&a.verifying_key());
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
        assert_eq!(lire_pem_publique(&pem), Some(a.verifying_key()));
        std::fs::write(&chemin, "pas une clé").unwrap();
        assert!(charger_ou_creer(&chemin).unwrap_err().contains("illisible"));
    }
}
