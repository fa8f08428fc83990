//! Normalisation of place names for comparison and search.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Normalises a commune name, or any text met where one is expected, so that
/// spellings of the same name compare equal.
///
/// - compatibility decomposition (as NFKD), then removal of diacritics:
///   `Évry` → `evry`, `L'Haÿ` → `l hay`, `3ᵉ` → `3e`;
/// - lower case; `œ` → `oe`, `æ` → `ae`, `ß` → `ss`;
/// - every run of characters other than letters and digits (hyphens,
///   apostrophes, spaces, punctuation) becomes one space, none at the ends;
/// - the words `st` and `ste` become `saint` and `sainte`.
///
/// ```
/// use maillage_territoire::normaliser_nom;
/// assert_eq!(normaliser_nom("ST-ÉTIENNE"), "saint etienne");
/// assert_eq!(normaliser_nom("  Ste. Marie aux Chênes "), "sainte marie aux chenes");
/// assert_eq!(normaliser_nom("L’Abergement-Clémenciat"), "l abergement clemenciat");
/// assert_eq!(normaliser_nom("Œuilly"), "oeuilly");
/// ```
pub fn normaliser_nom(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut separator = false;
    let mut push = |out: &mut String, c: char| {
        if c.is_alphanumeric() {
            if separator && !out.is_empty() {
                out.push(' ');
            }
            separator = false;
            out.extend(c.to_lowercase().filter(|&lower| !is_combining_mark(lower)));
        } else {
            separator = true;
        }
    };
    for c in s.chars() {
        if c.is_ascii() {
            push(&mut out, c);
        } else if let Some(folded) = fold_latin1(c) {
            folded.chars().for_each(|c| push(&mut out, c));
        } else {
            // Diacritics are dropped, so the canonical reordering of a full
            // NFKD is useless: decomposing each character is enough.
            decompose_compatible(c, |d| match d {
                d if is_combining_mark(d) => {}
                'œ' | 'Œ' => "oe".chars().for_each(|c| push(&mut out, c)),
                'æ' | 'Æ' => "ae".chars().for_each(|c| push(&mut out, c)),
                'ß' => "ss".chars().for_each(|c| push(&mut out, c)),
                d => push(&mut out, d),
            });
        }
    }
    expand_saint(out)
}

/// The letters of Latin-1 and the French ligatures, lower-cased and without
/// diacritics: a shortcut for the characters of nearly every French name,
/// giving what the general path would.
fn fold_latin1(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'à'..='å' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' => "c",
        'È'..='Ë' | 'è'..='ë' => "e",
        'Ì'..='Ï' | 'ì'..='ï' => "i",
        'Ñ' | 'ñ' => "n",
        'Ò'..='Ö' | 'ò'..='ö' => "o",
        'Ù'..='Ü' | 'ù'..='ü' => "u",
        'Ý' | 'ý' | 'ÿ' => "y",
        'Œ' | 'œ' => "oe",
        'ß' => "ss",
        _ => return None,
    })
}

/// Replaces the words `st` and `ste` by `saint` and `sainte`.
fn expand_saint(normalised: String) -> String {
    if !normalised
        .split(' ')
        .any(|word| word == "st" || word == "ste")
    {
        return normalised;
    }
    let words: Vec<&str> = normalised
        .split(' ')
        .map(|word| match word {
            "st" => "saint",
            "ste" => "sainte",
            other => other,
        })
        .collect();
    words.join(" ")
}

/// Whether the last word of `query` is `st` or `ste` that the user may still
/// be typing (`ST` could become `Strasbourg`): true when the normalised query
/// ends with a word expanded from `st`/`ste` and the raw query does not end
/// with a separator.
pub(crate) fn ends_with_open_abbreviation(raw: &str) -> bool {
    let Some(last) = raw.chars().last() else {
        return false;
    };
    if !last.is_alphanumeric() {
        return false;
    }
    let lower = raw.to_lowercase();
    let last_word = lower
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default();
    last_word == "st" || last_word == "ste"
}

/// The key under which names are matched when resolving dirty input: the
/// normalised name without leading article (`le`, `la`, `les`, `l`), with
/// `lez` read as `les`, and without spaces, so that `La Plume` and
/// `LAPLUME`, `Le Grand-Lucé` and `GRAND LUCE` share a key.
pub(crate) fn match_key(normalised: &str) -> String {
    let mut words = normalised
        .split(' ')
        .filter(|word| !word.is_empty())
        .peekable();
    if let Some(&first) = words.peek() {
        // Keep a lone article ("Les" is no commune name, but stay total).
        if ARTICLES.contains(&first) && normalised.contains(' ') {
            words.next();
        }
    }
    let mut key = String::with_capacity(normalised.len());
    for word in words {
        key.push_str(if word == "lez" { "les" } else { word });
    }
    key
}

const ARTICLES: [&str; 4] = ["le", "la", "les", "l"];

/// Words that say little about which commune is meant.
pub(crate) fn is_weak_word(word: &str) -> bool {
    matches!(
        word,
        "le" | "la"
            | "les"
            | "l"
            | "saint"
            | "sainte"
            | "sur"
            | "sous"
            | "en"
            | "de"
            | "des"
            | "du"
            | "d"
            | "et"
            | "aux"
            | "au"
            | "lez"
            | "pres"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(normaliser_nom("Saint-Étienne"), "saint etienne");
        assert_eq!(normaliser_nom("st etienne"), "saint etienne");
        assert_eq!(normaliser_nom("St. Étienne"), "saint etienne");
        assert_eq!(normaliser_nom("STE-FOY-LES-LYON"), "sainte foy les lyon");
        assert_eq!(normaliser_nom("Évry"), "evry");
        assert_eq!(normaliser_nom("EVRY"), "evry");
        assert_eq!(normaliser_nom("L'Haÿ-les-Roses"), "l hay les roses");
        assert_eq!(normaliser_nom("Cœuvres-et-Valsery"), "coeuvres et valsery");
        assert_eq!(normaliser_nom("Lyon 3ᵉ"), "lyon 3e");
        assert_eq!(normaliser_nom("MARSEILLE 11"), "marseille 11");
        assert_eq!(
            normaliser_nom("Château-Chinon (Ville)"),
            "chateau chinon ville"
        );
        assert_eq!(normaliser_nom("  --  "), "");
        assert_eq!(normaliser_nom(""), "");
        // Words that merely start with "st" are left alone.
        assert_eq!(normaliser_nom("Stenay"), "stenay");
        assert_eq!(normaliser_nom("Strasbourg"), "strasbourg");
    }

    #[test]
    fn open_abbreviation() {
        assert!(ends_with_open_abbreviation("st"));
        assert!(ends_with_open_abbreviation("ST"));
        assert!(ends_with_open_abbreviation("Ste"));
        assert!(ends_with_open_abbreviation("aix st"));
        assert!(!ends_with_open_abbreviation("st "));
        assert!(!ends_with_open_abbreviation("st."));
        assert!(!ends_with_open_abbreviation("st etienne"));
        assert!(!ends_with_open_abbreviation(""));
    }

    #[test]
    fn match_keys() {
        assert_eq!(match_key("la plume"), "plume");
        assert_eq!(match_key("laplume"), "laplume");
        assert_eq!(match_key("le grand luce"), "grandluce");
        assert_eq!(match_key("saint andre lez lille"), "saintandreleslille");
        assert_eq!(match_key("les"), "les");
        assert_eq!(match_key(""), "");
    }

    #[test]
    fn latin1_shortcut_agrees_with_decomposition() {
        for c in ('\u{c0}'..='\u{ff}').chain(['Œ', 'œ']) {
            let Some(folded) = fold_latin1(c) else {
                continue;
            };
            let mut general = String::new();
            decompose_compatible(c, |d| {
                if !is_combining_mark(d) {
                    general.extend(d.to_lowercase());
                }
            });
            let general = match general.as_str() {
                "æ" => "ae".to_owned(),
                "œ" => "oe".to_owned(),
                "ß" => "ss".to_owned(),
                _ => general,
            };
            assert_eq!(folded, general, "{c}");
        }
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent_and_clean(s in "\\PC{0,40}") {
            let once = normaliser_nom(&s);
            prop_assert_eq!(normaliser_nom(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.contains("  "));
            prop_assert!(once.chars().all(|c| c == ' ' || c.is_alphanumeric()));
        }
    }
}
