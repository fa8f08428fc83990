//! String and token-set similarities used to compare names and streets.
//!
//! All inputs are already normalised (lowercase, no diacritics, single spaces: see
//! [`maillage_domain::texte::normaliser`]), so comparing bytes is enough: the rare non-ASCII
//! letters left (other scripts) are compared byte by byte, which only lowers their similarity.

/// Jaro–Winkler similarity in `[0, 1]` (prefix scale 0.1, prefix of at most 4 bytes).
/// Symmetric; 1 for equal strings, 0 when one is empty and not the other.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    jaro_winkler_octets(a.as_bytes(), b.as_bytes())
}

fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    // Jaro is symmetric; work with `a` the shorter one.
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let window = (b.len() / 2).saturating_sub(1);
    // Names are short: flags on the stack for up to 128 bytes, on the heap beyond.
    let mut a_flags_small = [false; 128];
    let mut b_flags_small = [false; 128];
    let mut a_flags_big;
    let mut b_flags_big;
    let (a_flags, b_flags): (&mut [bool], &mut [bool]) = if b.len() <= 128 {
        (&mut a_flags_small[..a.len()], &mut b_flags_small[..b.len()])
    } else {
        a_flags_big = vec![false; a.len()];
        b_flags_big = vec![false; b.len()];
        (&mut a_flags_big[..], &mut b_flags_big[..])
    };
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_flags[j] && b[j] == ca {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if a_flags[i] {
            while !b_flags[k] {
                k += 1;
            }
            if ca != b[k] {
                transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64 / 2.0) / m) / 3.0
}

/// Whether two words are the same word up to a typo: equal, or both of at least 5 letters
/// with a Jaro–Winkler similarity of at least 0.92 (`"mediatheque"`/`"mediateque"`), or one a
/// prefix abbreviation of at least 4 letters of the other (`"inter"`/`"intercommunal"`) —
/// the latter only for words of 4 letters or more, so `"st"` is not `"strasbourg"`.
pub fn meme_mot(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la >= 5 && lb >= 5 && la.abs_diff(lb) <= 2 && jaro_winkler(a, b) >= 0.92 {
        return true;
    }
    let (court, long) = if la <= lb { (a, b) } else { (b, a) };
    court.len() >= 4 && long.len() > court.len() + 1 && long.starts_with(court)
}

/// Similarity of two sets of words in `[0, 1]`: a blend of the overlap coefficient
/// (shared words over the smaller set, so a name that only adds words is still close) and of
/// the Jaccard index (shared words over all words, so it still counts), words matched up to a
/// typo ([`meme_mot`]). `0.6 × overlap + 0.4 × Jaccard`; 0 when a set is empty.
pub fn similarite_mots(a: &[&str], b: &[&str]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    // Count the words of the smaller set found in the larger one, each word of the larger
    // one used once. Sets are tiny (a name has a handful of words): quadratic is fine.
    let (petit, grand) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut utilise = [false; 64];
    let mut communs = 0usize;
    for w in petit {
        for (j, v) in grand.iter().enumerate().take(64) {
            if !utilise[j] && meme_mot(w, v) {
                utilise[j] = true;
                communs += 1;
                break;
            }
        }
    }
    let c = communs as f64;
    let overlap = c / petit.len() as f64;
    let jaccard = c / (a.len() + b.len() - communs) as f64;
    0.6 * overlap + 0.4 * jaccard
}

/// Similarity of two names given as word lists: the best of the word-set similarity and of
/// the Jaro–Winkler similarity of the words joined in sorted order (which catches words
/// glued or split differently: `"cyber base"` / `"cyberbase"`). Stops at the word-set
/// similarity when it already reaches `assez` (the caller only needs to know it is that
/// high). No heap allocation.
pub fn similarite_noms_jusqua(a: &[&str], b: &[&str], assez: f64) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let ensembles = similarite_mots(a, b);
    if ensembles >= assez {
        return ensembles;
    }
    let mut tampon_a = [0u8; 160];
    let mut tampon_b = [0u8; 160];
    let ja = joindre_tries(a, true, &mut tampon_a);
    let jb = joindre_tries(b, true, &mut tampon_b);
    let jw = jaro_winkler_octets(ja, jb);
    // Concatenations without spaces, in the names' own order.
    let ca = joindre_tries(a, false, &mut tampon_a);
    let cb = joindre_tries(b, false, &mut tampon_b);
    let jw_sans_espaces = jaro_winkler_octets(ca, cb);
    let jw = jw.max(jw_sans_espaces);
    // Jaro–Winkler is generous on short strings: only trust it when it is very high.
    let jw = if jw >= 0.93 { jw } else { jw * 0.8 };
    ensembles.max(jw)
}

/// [`similarite_noms_jusqua`] computed in full.
#[cfg(test)]
pub fn similarite_noms(a: &[&str], b: &[&str]) -> f64 {
    similarite_noms_jusqua(a, b, 0.999)
}

/// Words joined into `tampon` (truncated to its size): sorted and separated by spaces, or
/// in their order and glued.
fn joindre_tries<'t>(mots: &[&str], tries: bool, tampon: &'t mut [u8; 160]) -> &'t [u8] {
    let mut ordre = [""; 32];
    let n = mots.len().min(32);
    ordre[..n].copy_from_slice(&mots[..n]);
    if tries {
        ordre[..n].sort_unstable();
    }
    let mut k = 0;
    for (i, m) in ordre[..n].iter().enumerate() {
        if tries && i > 0 && k < tampon.len() {
            tampon[k] = b' ';
            k += 1;
        }
        let octets = m.as_bytes();
        let l = octets.len().min(tampon.len() - k);
        tampon[k..k + l].copy_from_slice(&octets[..l]);
        k += l;
    }
    &tampon[..k]
}

/// Jaro–Winkler over bytes.
fn jaro_winkler_octets(a: &[u8], b: &[u8]) -> f64 {
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    j + prefix as f64 * 0.1 * (1.0 - j)
}

/// Up to 16 words of a text, on the stack (further words are ignored).
#[derive(Clone, Copy)]
pub struct Mots<'a> {
    n: usize,
    m: [&'a str; 16],
}

impl<'a> Mots<'a> {
    /// The words of a normalised text (single spaces).
    pub fn de(texte: &'a str) -> Self {
        let mut r = Self { n: 0, m: [""; 16] };
        for w in texte.split(' ').filter(|w| !w.is_empty()) {
            if r.n == 16 {
                break;
            }
            r.m[r.n] = w;
            r.n += 1;
        }
        r
    }

    /// The words for which `garder` holds.
    pub fn filtrer(&self, garder: impl Fn(&str) -> bool) -> Self {
        let mut r = Self { n: 0, m: [""; 16] };
        for w in self.tranche() {
            if garder(w) {
                r.m[r.n] = w;
                r.n += 1;
            }
        }
        r
    }

    pub fn tranche(&self) -> &[&'a str] {
        &self.m[..self.n]
    }

    pub fn contient(&self, w: &str) -> bool {
        self.tranche().contains(&w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_winkler_known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-3);
        assert!((jaro_winkler("dixon", "dicksonx") - 0.8133).abs() < 1e-3);
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
        assert_eq!(jaro_winkler("abc", "abc"), 1.0);
        assert_eq!(jaro_winkler("abc", "xyz"), 0.0);
        // Symmetric.
        assert_eq!(
            jaro_winkler("mediatheque", "mediateque"),
            jaro_winkler("mediateque", "mediatheque")
        );
        // Long strings use the heap path.
        let long_a = "a".repeat(200) + "b";
        let long_b = "a".repeat(200) + "c";
        assert!(jaro_winkler(&long_a, &long_b) > 0.99);
    }

    #[test]
    fn words_up_to_a_typo_or_an_abbreviation() {
        assert!(meme_mot("mediatheque", "mediateque"));
        assert!(meme_mot("inter", "intercommunale"));
        assert!(!meme_mot("st", "strasbourg"));
        assert!(!meme_mot("lille", "lilas"));
        assert!(!meme_mot("nord", "sud"));
    }

    #[test]
    fn word_sets() {
        assert_eq!(
            similarite_mots(&["jean", "moulin"], &["moulin", "jean"]),
            1.0
        );
        let s = similarite_mots(&["brassens"], &["brassens", "annexe"]);
        assert!(s > 0.75 && s < 1.0, "{s}");
        assert_eq!(similarite_mots(&["tilleuls"], &["jean", "moulin"]), 0.0);
        assert_eq!(similarite_mots(&[], &["jean"]), 0.0);
        assert!(similarite_noms(&["cyber", "base"], &["cyberbase"]) > 0.93);
    }
}
