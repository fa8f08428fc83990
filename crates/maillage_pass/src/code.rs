//! The codes of passes: eleven characters drawn at random from an alphabet without
//! look-alikes (no `I`, `L`, `O`, `U`, `0`, `1`) and a check character (Luhn mod 30), shown
//! in groups of four (`ABCD-EFGH-JKLM`). 30¹¹ ≈ 1.8 × 10¹⁶ codes (54 bits): nothing is
//! derived from a sequence, so knowing some codes tells nothing of the others, and a typo
//! of one character or a swap of two neighbours (but `A9`) is caught by the check character before
//! anything is asked of the store.

/// The alphabet of codes (30 characters).
pub const ALPHABET: &[u8; 30] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
/// Random characters in a code.
pub const ALEATOIRES: usize = 11;
/// Characters in a code, check character included.
pub const LONGUEUR: usize = ALEATOIRES + 1;

fn valeur(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == c)
}

/// The Luhn mod 30 check character of `corps` (characters of [`ALPHABET`]).
pub fn caractere_de_controle(corps: &[u8]) -> Option<u8> {
    let n = ALPHABET.len();
    let mut facteur = 2;
    let mut somme = 0;
    for &c in corps.iter().rev() {
        let v = valeur(c)? * facteur;
        somme += v / n + v % n;
        facteur = if facteur == 2 { 1 } else { 2 };
    }
    Some(ALPHABET[(n - somme % n) % n])
}

/// A new code (canonical form: twelve characters, no hyphen) from `aleatoire`, which fills
/// a buffer with random bytes.
pub fn nouveau_code<E>(mut aleatoire: impl FnMut(&mut [u8]) -> Result<(), E>) -> Result<String, E> {
    let mut corps = Vec::with_capacity(LONGUEUR);
    while corps.len() < ALEATOIRES {
        let mut octets = [0u8; 16];
        aleatoire(&mut octets)?;
        for b in octets {
            // 256 is not a multiple of 30: the top values are dropped (uniform draw).
            if b < 240 && corps.len() < ALEATOIRES {
                corps.push(ALPHABET[(b % 30) as usize]);
            }
        }
    }
    if let Some(c) = caractere_de_controle(&corps) {
        corps.push(c);
    }
    Ok(String::from_utf8_lossy(&corps).into_owned())
}

/// Why a typed code is refused (French, for people).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeInvalide {
    #[error("un code de pass a 12 caractères (ici {0})")]
    Longueur(usize),
    #[error("le caractère « {0} » n’existe pas dans les codes de pass (ni I, L, O, U, 0 ou 1)")]
    Caractere(char),
    #[error("ce code ne peut pas exister : un caractère a sans doute été mal recopié")]
    Controle,
}

/// A code as typed (any case, spaces and hyphens ignored) in its canonical form, checked.
pub fn normaliser(saisie: &str) -> Result<String, CodeInvalide> {
    let t: String = saisie
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if let Some(c) = t
        .chars()
        .find(|c| !c.is_ascii() || valeur(*c as u8).is_none())
    {
        return Err(CodeInvalide::Caractere(c));
    }
    if t.len() != LONGUEUR {
        return Err(CodeInvalide::Longueur(t.chars().count()));
    }
    let b = t.as_bytes();
    if caractere_de_controle(&b[..ALEATOIRES]) != Some(b[ALEATOIRES]) {
        return Err(CodeInvalide::Controle);
    }
    Ok(t)
}

/// `ABCD-EFGH-JKLM`.
pub fn afficher(code: &str) -> String {
    let mut s = String::with_capacity(code.len() + 3);
    for (i, c) in code.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        s.push(c);
    }
    s
}

/// [`afficher`] appended to a byte buffer (the statement's CSV).
pub fn ecrire_affiche(sortie: &mut Vec<u8>, code: &str) {
    if code.is_ascii() {
        for (i, morceau) in code.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                sortie.push(b'-');
            }
            sortie.extend_from_slice(morceau);
        }
    } else {
        sortie.extend_from_slice(afficher(code).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn octets(seed: &mut u64) -> impl FnMut(&mut [u8]) -> Result<(), ()> + '_ {
        move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = (*seed >> 33) as u8;
            }
            Ok(())
        }
    }

    #[test]
    fn a_new_code_is_valid_and_typed_back_in_any_form() {
        let mut seed = 7;
        for _ in 0..1000 {
            let code = nouveau_code(octets(&mut seed)).expect("code");
            assert_eq!(code.len(), LONGUEUR);
            assert_eq!(normaliser(&code), Ok(code.clone()));
            let tape = afficher(&code).to_lowercase().replace('-', " - ");
            assert_eq!(normaliser(&tape), Ok(code.clone()));
        }
    }

    #[test]
    fn every_single_substitution_and_adjacent_swap_is_caught() {
        let mut seed = 11;
        let code = nouveau_code(octets(&mut seed)).expect("code");
        let b = code.as_bytes();
        for i in 0..LONGUEUR {
            for &a in ALPHABET {
                if a == b[i] {
                    continue;
                }
                let mut m = b.to_vec();
                m[i] = a;
                let m = String::from_utf8(m).expect("ascii");
                assert_eq!(normaliser(&m), Err(CodeInvalide::Controle), "{m}");
            }
        }
        for i in 0..LONGUEUR - 1 {
            // Luhn mod N misses one swap: its first and last characters (A and 9).
            let paire = [b[i].min(b[i + 1]), b[i].max(b[i + 1])];
            if b[i] == b[i + 1] || paire == [b'9', b'A'] {
                continue;
            }
            let mut m = b.to_vec();
            m.swap(i, i + 1);
            let m = String::from_utf8(m).expect("ascii");
            assert!(normaliser(&m).is_err(), "swap at {i}: {m}");
        }
    }

    #[test]
    fn look_alikes_and_lengths_are_refused_in_french() {
        assert_eq!(
            normaliser("ABCD-EFGH-JKM0"),
            Err(CodeInvalide::Caractere('0'))
        );
        assert_eq!(
            normaliser("ABCD-EFGH-JKLM"),
            Err(CodeInvalide::Caractere('L'))
        );
        assert_eq!(normaliser("ABCD"), Err(CodeInvalide::Longueur(4)));
        assert!(CodeInvalide::Controle.to_string().contains("mal recopié"));
    }

    #[test]
    fn codes_do_not_follow_each_other() {
        let mut seed = 3;
        let a = nouveau_code(octets(&mut seed)).expect("code");
        let b = nouveau_code(octets(&mut seed)).expect("code");
        let communs = a.bytes().zip(b.bytes()).filter(|(x, y)| x == y).count();
        assert!(communs < 6, "{a} {b}");
    }
}
