//! Text normalisation for matching names and addresses.

use unicode_normalization::UnicodeNormalization;

/// Lowercase, without diacritics, `œ`→`oe`, every run of non-alphanumeric characters turned
/// into one space, trimmed. `"Saint-Étienne  (Loire)"` → `"saint etienne loire"`.
pub fn normaliser(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let lower: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !lower.is_empty() {
            out.push_str(lower);
            space = false;
            continue;
        }
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                out.push(l);
            }
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The words of a normalised text.
pub fn mots(s: &str) -> impl Iterator<Item = &str> {
    s.split(' ').filter(|w| !w.is_empty())
}

/// French month names, January first (dates written for people).
pub const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_accents_case_and_punctuation() {
        assert_eq!(normaliser("Saint-Étienne  (Loire)"), "saint etienne loire");
        assert_eq!(normaliser("L'ŒUVRE d’Évry"), "l oeuvre d evry");
        assert_eq!(normaliser("  --  "), "");
        assert_eq!(normaliser("Bâtiment n°3"), "batiment n 3");
    }
}
