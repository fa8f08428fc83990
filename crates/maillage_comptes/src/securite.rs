//! Security primitives of the Médiation accounts: password hashing, random tokens and their
//! fingerprints, TOTP second factor (RFC 6238), its enrolment QR code, and recovery codes.
//!
//! Everything here is a pure function (the only input from outside is the operating system's
//! random number generator), except the `…_hors_travailleurs` wrappers that run Argon2 on
//! tokio's blocking pool, at most [`calculs_simultanes_max`] at a time. Storage, rate
//! limiting and sessions live in [`super::comptes`] and [`super::limitation`].
//!
//! Choices:
//! - passwords: Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), stored as a
//!   PHC string, so that the parameters travel with each hash and can be raised later;
//! - session, invitation and CSRF tokens: 256 random bits, base64url; only their SHA-256
//!   ([`empreinte`]) is stored, so a leaked database does not give live sessions;
//! - TOTP: the parameters every authenticator app understands (HMAC-SHA1, 6 digits, 30 s),
//!   ±1 step of clock drift, and the last accepted step is remembered to refuse replays;
//! - recovery codes: 12 random characters (60 bits) from an alphabet without look-alike
//!   characters, stored as SHA-256 fingerprints, each usable once.
//!
//! Messages meant for people are in French.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Minimum length of a password, in characters (not bytes).
pub const LONGUEUR_MIN_MOT_DE_PASSE: usize = 12;
/// Maximum length of a password, in characters: bounds the hashing work an attacker can ask for.
pub const LONGUEUR_MAX_MOT_DE_PASSE: usize = 200;

/// Argon2 memory cost in KiB (OWASP: 19 MiB).
pub const ARGON2_M_COST: u32 = 19_456;
/// Argon2 number of passes (OWASP: 2).
pub const ARGON2_T_COST: u32 = 2;
/// Argon2 degree of parallelism (OWASP: 1).
pub const ARGON2_P_COST: u32 = 1;

/// Number of digits of a TOTP code.
pub const TOTP_CHIFFRES: u32 = 6;
/// Length of a TOTP time step, in seconds.
pub const TOTP_PERIODE: i64 = 30;
/// Accepted clock drift, in time steps on each side of the current one.
pub const TOTP_TOLERANCE: i64 = 1;

/// Number of recovery codes handed out at enrolment.
pub const NOMBRE_CODES_DE_SECOURS: usize = 10;

/// The 32 characters of recovery codes: digits and capital letters minus the look-alikes
/// `0`/`O` and `1`/`I`. Exactly 32 symbols, so one random byte modulo 32 is unbiased.
const ALPHABET_SECOURS: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// An error of the security primitives. The messages are meant to be shown to people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurSecurite {
    /// The password has fewer than [`LONGUEUR_MIN_MOT_DE_PASSE`] characters.
    #[error("le mot de passe doit contenir au moins {min} caractères", min = LONGUEUR_MIN_MOT_DE_PASSE)]
    MotDePasseTropCourt,
    /// The password has more than [`LONGUEUR_MAX_MOT_DE_PASSE`] characters.
    #[error("le mot de passe ne peut pas dépasser {max} caractères", max = LONGUEUR_MAX_MOT_DE_PASSE)]
    MotDePasseTropLong,
    /// The TOTP secret is not valid base32 (or is empty).
    #[error("la clé secrète de double authentification est invalide")]
    SecretInvalide,
    /// An unexpected failure (random generator, hashing library).
    #[error("erreur interne de sécurité : {0}")]
    Interne(String),
}

// ---------------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------------

/// `N` bytes from the operating system's random generator.
fn octets_aleatoires_ou_erreur<const N: usize>() -> Result<[u8; N], ErreurSecurite> {
    let mut octets = [0u8; N];
    getrandom::getrandom(&mut octets)
        .map_err(|e| ErreurSecurite::Interne(format!("générateur aléatoire indisponible ({e})")))?;
    Ok(octets)
}

/// `N` bytes from the operating system's random generator.
///
/// # Panics
///
/// If the operating system cannot provide randomness. This does not happen on a working
/// Linux system; if it does, refusing to go on is the only safe behaviour: a token or
/// secret made without real randomness would be guessable.
fn octets_aleatoires<const N: usize>() -> [u8; N] {
    match octets_aleatoires_ou_erreur::<N>() {
        Ok(octets) => octets,
        Err(e) => panic!("{e}: refus de produire un jeton ou un secret prévisible"),
    }
}

// ---------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------

/// The Argon2id hasher with the OWASP parameters.
fn argon2id() -> Result<Argon2<'static>, ErreurSecurite> {
    let params = Params::new(ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST, None)
        .map_err(|e| ErreurSecurite::Interne(format!("paramètres Argon2 : {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with Argon2id and the OWASP parameters (m=19456 KiB, t=2, p=1) and a
/// random 128-bit salt; returns the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
///
/// Does not check the password policy: call [`valider_mot_de_passe`] first.
pub fn hacher_mot_de_passe(mot_de_passe: &str) -> Result<String, ErreurSecurite> {
    let sel = octets_aleatoires_ou_erreur::<16>()?;
    let sel = SaltString::encode_b64(&sel)
        .map_err(|e| ErreurSecurite::Interne(format!("sel Argon2 : {e}")))?;
    let hash = argon2id()?
        .hash_password(mot_de_passe.as_bytes(), &sel)
        .map_err(|e| ErreurSecurite::Interne(format!("hachage Argon2 : {e}")))?;
    Ok(hash.to_string())
}

/// Checks a password against a PHC hash made by [`hacher_mot_de_passe`], comparing the
/// digests in constant time. The parameters are read from the hash itself, so hashes made
/// with older parameters still verify. Returns `false` on a malformed hash.
pub fn verifier_mot_de_passe(mot_de_passe: &str, hash: &str) -> bool {
    let Ok(hash) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(mot_de_passe.as_bytes(), &hash)
        .is_ok()
}

/// Used by [`hash_leurre`] only if the random generator fails: a valid Argon2id hash with
/// the same parameters (of a password nobody knows), so verification costs the same time.
const HASH_LEURRE_DE_SECOURS: &str = "$argon2id$v=19$m=19456,t=2,p=1$\
    0zggDgSh3njbYSBGT+R+dQ$4NDDvFqnG3bSltVs/fRXoTCvSQQuzMwlDqR5LOvtvyM";

/// A PHC hash of a random password, with the same parameters as real hashes, to verify
/// against when the account does not exist: sign-in then takes the same time whether the
/// e-mail address is known or not, so accounts cannot be enumerated by timing.
///
/// Computed once per process (the first call pays one hashing).
pub fn hash_leurre() -> &'static str {
    static LEURRE: OnceLock<String> = OnceLock::new();
    LEURRE.get_or_init(|| {
        hacher_mot_de_passe(&jeton_aleatoire())
            .unwrap_or_else(|_| HASH_LEURRE_DE_SECOURS.to_owned())
    })
}

// ---------------------------------------------------------------------------------------------
// Argon2 off the async workers
// ---------------------------------------------------------------------------------------------

/// Hashes being computed now, and the most ever computed at once (see [`pic_calculs`]).
static CALCULS_EN_COURS: AtomicUsize = AtomicUsize::new(0);
static PIC_CALCULS: AtomicUsize = AtomicUsize::new(0);

/// How many Argon2 computations may run at once: one per core. More would only queue on the
/// cores while holding 19 MiB each; the others wait (asynchronously) for a permit.
pub fn calculs_simultanes_max() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

fn permis_calcul() -> &'static tokio::sync::Semaphore {
    static PERMIS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMIS.get_or_init(|| tokio::sync::Semaphore::new(calculs_simultanes_max()))
}

/// The most Argon2 computations that ever ran at the same time in this process (never above
/// [`calculs_simultanes_max`]).
pub fn pic_calculs() -> usize {
    PIC_CALCULS.load(Ordering::Relaxed)
}

/// Runs `calcul` (an Argon2 hash or check: tens of milliseconds of CPU) on tokio's blocking
/// pool once a permit is free, so that the async workers keep answering other requests.
async fn hors_travailleurs<T: Send + 'static>(
    calcul: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ErreurSecurite> {
    let _permis = permis_calcul()
        .acquire()
        .await
        .map_err(|e| ErreurSecurite::Interne(format!("file des calculs fermée ({e})")))?;
    tokio::task::spawn_blocking(move || {
        let n = CALCULS_EN_COURS.fetch_add(1, Ordering::SeqCst) + 1;
        PIC_CALCULS.fetch_max(n, Ordering::SeqCst);
        let r = calcul();
        CALCULS_EN_COURS.fetch_sub(1, Ordering::SeqCst);
        r
    })
    .await
    .map_err(|e| ErreurSecurite::Interne(format!("calcul interrompu ({e})")))
}

/// [`hacher_mot_de_passe`] on the bounded blocking pool.
pub async fn hacher_mot_de_passe_hors_travailleurs(
    mot_de_passe: &str,
) -> Result<String, ErreurSecurite> {
    let mot_de_passe = mot_de_passe.to_owned();
    hors_travailleurs(move || hacher_mot_de_passe(&mot_de_passe)).await?
}

/// [`verifier_mot_de_passe`] on the bounded blocking pool, against `hash`, or against the
/// decoy [`hash_leurre`] when there is no account (same cost: no account enumeration by
/// timing; always `false`). `false` too if the computation could not run.
pub async fn verifier_mot_de_passe_ou_leurre(mot_de_passe: &str, hash: Option<String>) -> bool {
    let mot_de_passe = mot_de_passe.to_owned();
    hors_travailleurs(move || match hash {
        Some(h) => verifier_mot_de_passe(&mot_de_passe, &h),
        None => {
            let _ = verifier_mot_de_passe(&mot_de_passe, hash_leurre());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// The password policy: at least [`LONGUEUR_MIN_MOT_DE_PASSE`] characters and at most
/// [`LONGUEUR_MAX_MOT_DE_PASSE`] (counted in characters, not bytes, so accented letters count
/// once). Length is what makes a password strong; no composition rule is imposed (NIST SP
/// 800-63B, ANSSI).
pub fn valider_mot_de_passe(mot_de_passe: &str) -> Result<(), ErreurSecurite> {
    let longueur = mot_de_passe.chars().count();
    if longueur < LONGUEUR_MIN_MOT_DE_PASSE {
        Err(ErreurSecurite::MotDePasseTropCourt)
    } else if longueur > LONGUEUR_MAX_MOT_DE_PASSE {
        Err(ErreurSecurite::MotDePasseTropLong)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// A fresh random token: 32 bytes (256 bits) from the operating system, base64url without
/// padding (43 characters, safe in URLs and cookies). Used for sessions, invitations and
/// CSRF protection.
///
/// # Panics
///
/// If the operating system cannot provide randomness (see the module's randomness helper):
/// no predictable token is ever returned.
pub fn jeton_aleatoire() -> String {
    BASE64URL_NOPAD.encode(&octets_aleatoires::<32>())
}

/// The SHA-256 of a token, in lowercase hexadecimal (64 characters): what the database
/// stores for sessions and invitations instead of the token itself.
pub fn empreinte(jeton: &str) -> String {
    hex::encode(Sha256::digest(jeton.as_bytes()))
}

/// Equality of two strings in time independent of their contents (only of their lengths):
/// for comparing CSRF tokens and other secrets.
pub fn egal_temps_constant(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238)
// ---------------------------------------------------------------------------------------------

/// Normalises a base32 secret as people or apps may write it: no spaces, dashes or padding,
/// capital letters.
fn normaliser_secret(secret_base32: &str) -> String {
    secret_base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Decodes a base32 secret (RFC 4648, padding optional, case-insensitive).
fn decoder_secret(secret_base32: &str) -> Result<Vec<u8>, ErreurSecurite> {
    let cle = BASE32_NOPAD
        .decode(normaliser_secret(secret_base32).as_bytes())
        .map_err(|_| ErreurSecurite::SecretInvalide)?;
    if cle.is_empty() {
        return Err(ErreurSecurite::SecretInvalide);
    }
    Ok(cle)
}

/// HOTP (RFC 4226) of a decoded key at a counter: HMAC-SHA1, dynamic truncation, 6 digits.
fn hotp(cle: &[u8], compteur: u64) -> Result<String, ErreurSecurite> {
    let mut mac = Hmac::<Sha1>::new_from_slice(cle)
        .map_err(|e| ErreurSecurite::Interne(format!("HMAC-SHA1 : {e}")))?;
    mac.update(&compteur.to_be_bytes());
    let resume = mac.finalize().into_bytes();
    let decalage = usize::from(resume[resume.len() - 1] & 0x0f);
    let binaire = u32::from_be_bytes([
        resume[decalage] & 0x7f,
        resume[decalage + 1],
        resume[decalage + 2],
        resume[decalage + 3],
    ]);
    let code = binaire % 10u32.pow(TOTP_CHIFFRES);
    Ok(format!("{code:0width$}", width = TOTP_CHIFFRES as usize))
}

/// A new TOTP secret: 20 random bytes (160 bits, the size RFC 4226 recommends for
/// HMAC-SHA1), base32 without padding (32 characters).
///
/// # Panics
///
/// If the operating system cannot provide randomness.
pub fn nouveau_secret_totp() -> String {
    BASE32_NOPAD.encode(&octets_aleatoires::<20>())
}

/// The 6-digit TOTP code (zero-padded) of a base32 secret for the time step `pas`.
///
/// Errors: [`ErreurSecurite::SecretInvalide`] if the secret is not base32 or the step is
/// negative.
pub fn code_totp(secret_base32: &str, pas: i64) -> Result<String, ErreurSecurite> {
    let cle = decoder_secret(secret_base32)?;
    let compteur = u64::try_from(pas).map_err(|_| ErreurSecurite::SecretInvalide)?;
    hotp(&cle, compteur)
}

/// The TOTP time step of an instant: Unix seconds divided by 30 (rounded down).
pub fn pas_totp(instant: DateTime<Utc>) -> i64 {
    instant.timestamp().div_euclid(TOTP_PERIODE)
}

/// Checks a 6-digit `code` at `instant`, accepting the current time step and one step on
/// each side (clock drift). Steps up to `dernier_pas` (the last accepted one, if any) are
/// refused, so a code cannot be used twice, nor an older one after a newer one.
///
/// Returns the accepted step, to be stored as the new `dernier_pas`; `None` if the code is
/// wrong, malformed, replayed, or the secret is invalid. All candidate steps are computed and
/// compared in constant time.
pub fn verifier_totp(
    secret_base32: &str,
    code: &str,
    instant: DateTime<Utc>,
    dernier_pas: Option<i64>,
) -> Option<i64> {
    if code.len() != TOTP_CHIFFRES as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cle = decoder_secret(secret_base32).ok()?;
    let courant = pas_totp(instant);
    let mut accepte = None;
    for pas in (courant - TOTP_TOLERANCE)..=(courant + TOTP_TOLERANCE) {
        let Ok(compteur) = u64::try_from(pas) else {
            continue;
        };
        let Ok(attendu) = hotp(&cle, compteur) else {
            return None;
        };
        let egal = egal_temps_constant(&attendu, code);
        if egal && dernier_pas.is_none_or(|dernier| pas > dernier) {
            accepte = Some(pas);
        }
    }
    accepte
}

/// Percent-encodes everything but the RFC 3986 unreserved characters.
fn encoder_pourcent(texte: &str) -> String {
    let mut sortie = String::with_capacity(texte.len());
    for octet in texte.bytes() {
        if octet.is_ascii_alphanumeric() || matches!(octet, b'-' | b'.' | b'_' | b'~') {
            sortie.push(char::from(octet));
        } else {
            sortie.push_str(&format!("%{octet:02X}"));
        }
    }
    sortie
}

/// The `otpauth://` URI that authenticator apps read from the enrolment QR code
/// (Key URI Format):
/// `otpauth://totp/{emetteur}:{email}?secret=…&issuer={emetteur}&algorithm=SHA1&digits=6&period=30`,
/// with the label parts and the issuer percent-encoded (`@` becomes `%40`, a space `%20`).
pub fn uri_totp(secret_base32: &str, email: &str, emetteur: &str) -> String {
    let emetteur = encoder_pourcent(emetteur);
    format!(
        "otpauth://totp/{emetteur}:{compte}?secret={secret}&issuer={emetteur}\
         &algorithm=SHA1&digits={TOTP_CHIFFRES}&period={TOTP_PERIODE}",
        compte = encoder_pourcent(email),
        secret = encoder_pourcent(&normaliser_secret(secret_base32)),
    )
}

/// Accessible name of the enrolment QR code.
const LIBELLE_QR: &str = "Code QR à scanner avec votre application d’authentification";

/// Shown instead of the QR code when the text cannot be encoded (far too long).
const QR_INDISPONIBLE: &str = concat!(
    r#"<svg xmlns="http://www.w3.org/2000/svg" role="img""#,
    r#" aria-label="Code QR indisponible : saisissez la clé à la main""#,
    r#" width="200" height="200" viewBox="0 0 200 200"></svg>"#,
);

/// `texte` (the `otpauth://` URI) as an inline SVG QR code, at least 200 px wide, with
/// `role="img"` and a French `aria-label` on the `<svg>` element, and no XML declaration, so
/// it can be put as is into an HTML page.
///
/// If the text is too long for a QR code, returns an empty SVG whose label says so (the page
/// also shows the secret to type by hand).
pub fn qr_svg(texte: &str) -> String {
    qr_svg_avec(texte, LIBELLE_QR)
}

/// The modules of a QR code (medium error correction): its width and the dark modules,
/// row by row. `None` if the text is too long for a QR code.
pub fn qr_modules(texte: &str) -> Option<(usize, Vec<bool>)> {
    let code = qrcode::QrCode::with_error_correction_level(texte, qrcode::EcLevel::M).ok()?;
    let largeur = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((largeur, modules))
}

/// A QR code as inline SVG with its own accessible label.
pub fn qr_svg_avec(texte: &str, libelle: &str) -> String {
    let libelle = libelle.replace('"', "&quot;");
    let attributs = format!(r#"<svg role="img" aria-label="{libelle}" focusable="false" "#);
    match qrcode::QrCode::with_error_correction_level(texte, qrcode::EcLevel::M) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            let debut = svg.find("<svg").unwrap_or(0);
            svg[debut..].replacen("<svg ", &attributs, 1)
        }
        Err(_) => QR_INDISPONIBLE.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Recovery codes
// ---------------------------------------------------------------------------------------------

/// A recovery code as compared: capital letters, without dashes or spaces.
fn normaliser_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// One recovery code, `XXXX-XXXX-XXXX` over [`ALPHABET_SECOURS`] (60 random bits).
fn code_de_secours() -> String {
    let octets = octets_aleatoires::<12>();
    let mut code = String::with_capacity(14);
    for (i, octet) in octets.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET_SECOURS[usize::from(octet % 32)]));
    }
    code
}

/// Ten fresh recovery codes like `7KQ4-M2XP-9D3T`, to show once, and the JSON array of their
/// fingerprints (SHA-256 hex of the normalised code) to store.
///
/// # Panics
///
/// If the operating system cannot provide randomness.
pub fn codes_de_secours() -> (Vec<String>, String) {
    let codes: Vec<String> = (0..NOMBRE_CODES_DE_SECOURS)
        .map(|_| code_de_secours())
        .collect();
    let empreintes: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| serde_json::Value::String(empreinte(&normaliser_code(c))))
        .collect();
    (codes, serde_json::Value::Array(empreintes).to_string())
}

/// Uses a recovery code: if `code` (case, dashes and spaces ignored) matches one of the
/// fingerprints of the JSON array `codes_json`, returns the array without it, as JSON, to
/// store in its place; otherwise `None` (also for malformed JSON or an empty code). Every
/// fingerprint is compared, in constant time.
pub fn utiliser_code_de_secours(codes_json: &str, code: &str) -> Option<String> {
    let normalise = normaliser_code(code);
    if normalise.is_empty() {
        return None;
    }
    let mut empreintes: Vec<String> = serde_json::from_str(codes_json).ok()?;
    let cherchee = empreinte(&normalise);
    let mut trouvee = None;
    for (i, e) in empreintes.iter().enumerate() {
        if egal_temps_constant(e, &cherchee) && trouvee.is_none() {
            trouvee = Some(i);
        }
    }
    empreintes.remove(trouvee?);
    Some(serde_json::Value::from(empreintes).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 Appendix B: the SHA1 seed, ASCII "12345678901234567890".
    const SECRET_RFC: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn a(secondes: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secondes, 0).unwrap()
    }

    #[test]
    fn secret_rfc_est_la_graine_ascii() {
        assert_eq!(BASE32_NOPAD.encode(b"12345678901234567890"), SECRET_RFC);
    }

    #[test]
    fn vecteurs_rfc_6238_sha1() {
        // The RFC gives 8 digits; the 6-digit code is its last six.
        for (t, attendu) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(
                code_totp(SECRET_RFC, pas_totp(a(t))).unwrap(),
                attendu,
                "T={t}"
            );
            assert_eq!(verifier_totp(SECRET_RFC, attendu, a(t), None), Some(t / 30));
        }
    }

    #[test]
    fn secret_accepte_minuscules_espaces_et_bourrage() {
        let libre = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq====";
        assert_eq!(code_totp(libre, 1).unwrap(), "287082");
    }

    #[test]
    fn secret_invalide() {
        assert!(matches!(
            code_totp("pas du base32 !", 1),
            Err(ErreurSecurite::SecretInvalide)
        ));
        assert!(matches!(
            code_totp("", 1),
            Err(ErreurSecurite::SecretInvalide)
        ));
        assert!(matches!(
            code_totp(SECRET_RFC, -1),
            Err(ErreurSecurite::SecretInvalide)
        ));
        assert_eq!(verifier_totp("!!!", "287082", a(59), None), None);
    }

    #[test]
    fn pas_totp_arrondit_vers_le_bas() {
        assert_eq!(pas_totp(a(0)), 0);
        assert_eq!(pas_totp(a(29)), 0);
        assert_eq!(pas_totp(a(30)), 1);
        assert_eq!(pas_totp(a(59)), 1);
        assert_eq!(pas_totp(a(-1)), -1);
    }

    #[test]
    fn rejeu_refuse() {
        let t = 1_111_111_111;
        let pas = verifier_totp(SECRET_RFC, "050471", a(t), None).unwrap();
        assert_eq!(pas, t / 30);
        // Same code, same step: refused.
        assert_eq!(verifier_totp(SECRET_RFC, "050471", a(t), Some(pas)), None);
        // Same code a step later (still within the window): refused too.
        assert_eq!(
            verifier_totp(SECRET_RFC, "050471", a(t + 30), Some(pas)),
            None
        );
        // An older step after a newer one: refused.
        let precedent = code_totp(SECRET_RFC, pas - 1).unwrap();
        assert_eq!(verifier_totp(SECRET_RFC, &precedent, a(t), Some(pas)), None);
        // The next step's code is accepted.
        let suivant = code_totp(SECRET_RFC, pas + 1).unwrap();
        assert_eq!(
            verifier_totp(SECRET_RFC, &suivant, a(t + 30), Some(pas)),
            Some(pas + 1)
        );
    }

    #[test]
    fn fenetre_plus_ou_moins_un_pas() {
        let t = 1_234_567_890;
        let pas = pas_totp(a(t));
        let code = code_totp(SECRET_RFC, pas).unwrap();
        assert_eq!(verifier_totp(SECRET_RFC, &code, a(t - 30), None), Some(pas));
        assert_eq!(verifier_totp(SECRET_RFC, &code, a(t + 30), None), Some(pas));
        assert_eq!(verifier_totp(SECRET_RFC, &code, a(t - 60), None), None);
        assert_eq!(verifier_totp(SECRET_RFC, &code, a(t + 60), None), None);
    }

    #[test]
    fn code_faux_ou_malforme_refuse() {
        let t = 1_234_567_890;
        assert_eq!(verifier_totp(SECRET_RFC, "005925", a(t), None), None);
        assert_eq!(verifier_totp(SECRET_RFC, "5924", a(t), None), None);
        assert_eq!(verifier_totp(SECRET_RFC, "0059240", a(t), None), None);
        assert_eq!(verifier_totp(SECRET_RFC, "00592a", a(t), None), None);
        assert_eq!(verifier_totp(SECRET_RFC, "", a(t), None), None);
        // Right code, another secret.
        assert_eq!(
            verifier_totp("JBSWY3DPEHPK3PXP", "005924", a(t), None),
            None
        );
    }

    #[test]
    fn temps_proche_de_l_epoque() {
        // Step 0: the step before it (-1) is skipped, not an error.
        let code = code_totp(SECRET_RFC, 0).unwrap();
        assert_eq!(verifier_totp(SECRET_RFC, &code, a(5), None), Some(0));
    }

    #[test]
    fn nouveau_secret_totp_20_octets() {
        let s = nouveau_secret_totp();
        assert_eq!(s.len(), 32);
        assert_eq!(BASE32_NOPAD.decode(s.as_bytes()).unwrap().len(), 20);
        assert_ne!(s, nouveau_secret_totp());
        assert_eq!(code_totp(&s, 42).unwrap().len(), 6);
    }

    #[test]
    fn uri_totp_encode_libelle_et_emetteur() {
        let uri = uri_totp(SECRET_RFC, "jean.dupont+test@exemple.fr", "Maillage");
        assert_eq!(
            uri,
            "otpauth://totp/Maillage:jean.dupont%2Btest%40exemple.fr\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Maillage\
             &algorithm=SHA1&digits=6&period=30"
        );
        let uri = uri_totp("gezd gnbv", "élise@exemple.fr", "Conseil départemental");
        assert!(uri.starts_with(
            "otpauth://totp/Conseil%20d%C3%A9partemental:%C3%A9lise%40exemple.fr?secret=GEZDGNBV&"
        ));
        assert!(uri.contains("&issuer=Conseil%20d%C3%A9partemental&"));
    }

    #[test]
    fn qr_svg_accessible_sans_declaration_xml() {
        let svg = qr_svg(&uri_totp(SECRET_RFC, "jean.dupont@exemple.fr", "Maillage"));
        assert!(svg.starts_with("<svg "), "{}", &svg[..60]);
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"aria-label="Code QR"#));
        assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        let largeur: u32 = svg
            .split(r#"width=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(largeur >= 200, "largeur {largeur}");
        // Too long for any QR code: still an accessible SVG.
        let trop = qr_svg(&"x".repeat(10_000));
        assert!(trop.starts_with("<svg ") && trop.contains(r#"role="img""#));
    }

    #[test]
    fn jetons_distincts_43_caracteres() {
        let jetons: std::collections::HashSet<String> =
            (0..100).map(|_| jeton_aleatoire()).collect();
        assert_eq!(jetons.len(), 100);
        for j in &jetons {
            assert_eq!(j.len(), 43);
            assert!(j
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(BASE64URL_NOPAD.decode(j.as_bytes()).unwrap().len(), 32);
        }
    }

    #[test]
    fn empreinte_sha256_hex() {
        assert_eq!(
            empreinte("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(empreinte("").len(), 64);
    }

    #[test]
    fn egalite_temps_constant() {
        assert!(egal_temps_constant("jeton", "jeton"));
        assert!(egal_temps_constant("", ""));
        assert!(!egal_temps_constant("jeton", "jetoN"));
        assert!(!egal_temps_constant("jeton", "jeton2"));
        assert!(!egal_temps_constant("", "x"));
    }

    #[test]
    fn mot_de_passe_aller_retour() {
        let hash = hacher_mot_de_passe("correct horse battery staple").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verifier_mot_de_passe("correct horse battery staple", &hash));
        assert!(!verifier_mot_de_passe("correct horse battery stapl", &hash));
        assert!(!verifier_mot_de_passe("", &hash));
        // Random salt: two hashes of the same password differ.
        let autre = hacher_mot_de_passe("correct horse battery staple").unwrap();
        assert_ne!(hash, autre);
        assert!(verifier_mot_de_passe(
            "correct horse battery staple",
            &autre
        ));
    }

    #[test]
    fn faille_argon2_sur_un_pool_borne_hors_des_travailleurs() {
        // A single-threaded runtime: if the hash ran on its only worker, the check's future
        // would complete on its first poll and the ticker could not run meanwhile.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let hash = hacher_mot_de_passe("correct horse battery staple").unwrap();
        rt.block_on(async {
            let n = calculs_simultanes_max() * 3;
            let verifs: Vec<_> = (0..n)
                .map(|i| {
                    let h = hash.clone();
                    tokio::spawn(async move {
                        let mdp = if i % 2 == 0 {
                            "correct horse battery staple"
                        } else {
                            "non"
                        };
                        (i, verifier_mot_de_passe_ou_leurre(mdp, Some(h)).await)
                    })
                })
                .collect();
            let mut f = std::pin::pin!(verifier_mot_de_passe_ou_leurre(
                "correct horse battery staple",
                Some(hash.clone())
            ));
            let premier = futures_poll_once(f.as_mut()).await;
            assert!(premier.is_none(), "the check completed on the async worker");
            assert!(f.await);
            for v in verifs {
                let (i, ok) = v.await.unwrap();
                assert_eq!(ok, i % 2 == 0);
            }
        });
        assert!(pic_calculs() >= 1);
        assert!(
            pic_calculs() <= calculs_simultanes_max(),
            "{} computations at once, bound {}",
            pic_calculs(),
            calculs_simultanes_max()
        );
    }

    /// Polls a future once: its output if it is ready right away.
    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(
                match std::future::Future::poll(std::pin::Pin::new(&mut f), cx) {
                    std::task::Poll::Ready(v) => Some(v),
                    std::task::Poll::Pending => None,
                },
            )
        })
        .await
    }

    #[test]
    fn hash_malforme_refuse() {
        assert!(!verifier_mot_de_passe("un mot de passe", ""));
        assert!(!verifier_mot_de_passe("un mot de passe", "pas un hash"));
        assert!(!verifier_mot_de_passe(
            "un mot de passe",
            "$argon2id$v=19$m=19456"
        ));
        assert!(!verifier_mot_de_passe(
            "un mot de passe",
            "$argon2id$v=19$m=19456,t=2,p=1$!!!$!!!"
        ));
        assert!(!verifier_mot_de_passe("un mot de passe", &empreinte("x")));
    }

    #[test]
    fn hash_leurre_valide_et_stable() {
        let leurre = hash_leurre();
        assert!(leurre.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(PasswordHash::new(leurre).is_ok());
        assert!(std::ptr::eq(leurre, hash_leurre()));
        assert!(!verifier_mot_de_passe("", leurre));
        assert!(!verifier_mot_de_passe(
            "correct horse battery staple",
            leurre
        ));
    }

    #[test]
    fn hash_leurre_de_secours_bien_forme() {
        let h = PasswordHash::new(HASH_LEURRE_DE_SECOURS).unwrap();
        assert_eq!(h.algorithm.as_str(), "argon2id");
        assert!(HASH_LEURRE_DE_SECOURS.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!verifier_mot_de_passe(
            "correct horse battery staple",
            HASH_LEURRE_DE_SECOURS
        ));
    }

    #[test]
    fn politique_de_mot_de_passe() {
        assert!(matches!(
            valider_mot_de_passe("onze caract"),
            Err(ErreurSecurite::MotDePasseTropCourt)
        ));
        assert!(valider_mot_de_passe("douze caract").is_ok());
        // Characters, not bytes: 11 accented letters are 22 bytes but too short.
        assert!(matches!(
            valider_mot_de_passe(&"é".repeat(11)),
            Err(ErreurSecurite::MotDePasseTropCourt)
        ));
        assert!(valider_mot_de_passe(&"é".repeat(12)).is_ok());
        assert!(valider_mot_de_passe(&"é".repeat(200)).is_ok());
        assert!(matches!(
            valider_mot_de_passe(&"a".repeat(201)),
            Err(ErreurSecurite::MotDePasseTropLong)
        ));
        assert_eq!(
            ErreurSecurite::MotDePasseTropCourt.to_string(),
            "le mot de passe doit contenir au moins 12 caractères"
        );
        assert_eq!(
            ErreurSecurite::MotDePasseTropLong.to_string(),
            "le mot de passe ne peut pas dépasser 200 caractères"
        );
    }

    #[test]
    fn codes_de_secours_format() {
        let (codes, json) = codes_de_secours();
        assert_eq!(codes.len(), 10);
        let uniques: std::collections::HashSet<&String> = codes.iter().collect();
        assert_eq!(uniques.len(), 10);
        for c in &codes {
            assert_eq!(c.len(), 14, "{c}");
            let parties: Vec<&str> = c.split('-').collect();
            assert_eq!(parties.len(), 3, "{c}");
            for p in parties {
                assert_eq!(p.len(), 4);
                assert!(p.bytes().all(|b| ALPHABET_SECOURS.contains(&b)), "{c}");
            }
        }
        let empreintes: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(empreintes.len(), 10);
        assert_eq!(empreintes[0], empreinte(&codes[0].replace('-', "")));
    }

    #[test]
    fn code_de_secours_usage_unique() {
        let (codes, json) = codes_de_secours();
        let apres = utiliser_code_de_secours(&json, &codes[3]).unwrap();
        let restantes: Vec<String> = serde_json::from_str(&apres).unwrap();
        assert_eq!(restantes.len(), 9);
        // Used once: refused the second time, in any spelling.
        assert_eq!(utiliser_code_de_secours(&apres, &codes[3]), None);
        assert_eq!(
            utiliser_code_de_secours(&apres, &codes[3].to_lowercase().replace('-', " ")),
            None
        );
        // The others still work, typed loosely.
        let libre = codes[7].to_lowercase().replace('-', " ");
        let apres2 = utiliser_code_de_secours(&apres, &format!(" {libre} ")).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<String>>(&apres2).unwrap().len(),
            8
        );
        // The original array is untouched by the caller's choice to keep it.
        assert!(utiliser_code_de_secours(&json, &codes[0]).is_some());
    }

    #[test]
    fn code_de_secours_faux_ou_json_malforme() {
        let (codes, json) = codes_de_secours();
        assert_eq!(utiliser_code_de_secours(&json, "2222-2222-2222"), None);
        assert_eq!(utiliser_code_de_secours(&json, ""), None);
        assert_eq!(utiliser_code_de_secours(&json, " - "), None);
        assert_eq!(utiliser_code_de_secours("pas du json", &codes[0]), None);
        assert_eq!(utiliser_code_de_secours("{}", &codes[0]), None);
        assert_eq!(utiliser_code_de_secours("[1, 2]", &codes[0]), None);
        assert_eq!(utiliser_code_de_secours("[]", &codes[0]), None);
        // The last code leaves an empty array.
        let seul = serde_json::Value::from(vec![empreinte(&codes[0].replace('-', ""))]).to_string();
        assert_eq!(
            utiliser_code_de_secours(&seul, &codes[0]).as_deref(),
            Some("[]")
        );
    }
}
