//! Search of communes by name, postal code or INSEE code, as typed in a
//! search box.

use std::cmp::Reverse;

use crate::normalize::{ends_with_open_abbreviation, normaliser_nom};
use crate::{Commune, Referentiel};

impl Referentiel {
    /// Communes matching what a user typed, best first, at most `limit`.
    ///
    /// - Digits only: 5 digits are a postal code (its communes, most
    ///   populated first), followed by the commune of that INSEE code if
    ///   there is one (an arrondissement code gives its commune); 2 to 4
    ///   digits are the start of a postal code.
    /// - An INSEE code of Corsica (`2A004`) gives that commune.
    /// - Anything else is the start of a commune name, compared after
    ///   [`normaliser_nom`] (accents, case, hyphens,
    ///   apostrophes, `st`/`ste` for `saint`/`sainte`). Communes whose name
    ///   equals the query come first, then those whose name starts with
    ///   it, each group most populated first. A trailing `st` or `ste` being
    ///   typed also matches names starting with those letters (`st` finds
    ///   Saint-Denis and Strasbourg).
    ///
    /// Each query costs a binary search in the sorted names plus the
    /// ranking of the matches, never a scan of every commune.
    pub fn rechercher(&self, query: &str, limit: usize) -> Vec<&Commune> {
        // A trailing space tells that the last word is complete.
        let typed = query.trim_start();
        let query = query.trim();
        if limit == 0 || query.is_empty() {
            return Vec::new();
        }
        if query.bytes().all(|b| b.is_ascii_digit()) {
            return self.search_digits(query, limit);
        }
        if is_corsican_insee_code(query) {
            return self
                .commune_or_parent(&query.to_ascii_uppercase())
                .into_iter()
                .collect();
        }
        if let Some((code, name)) = split_code_and_name(query) {
            return self.search_code_and_name(&code, &name, limit);
        }
        let normalised = normaliser_nom(query);
        if normalised.is_empty() {
            return Vec::new();
        }
        let mut ranked = self.ranked_prefix_matches(&normalised);
        if ends_with_open_abbreviation(typed) {
            let literal = literal_abbreviation(&normalised);
            ranked.extend(self.ranked_prefix_matches(&literal));
        }
        ranked.extend(self.ranked_other_names(&normalised));
        top(ranked, limit)
            .into_iter()
            .map(|index| self.commune_at(index))
            .collect()
    }

    /// A name given with a postal code, an INSEE code or a département code, in either
    /// order (`Saint-Gaudens (31800)`, `31000 Toulouse`, `Saint-Denis (974)`): the communes
    /// of that code whose name starts with the name; else the commune the two designate
    /// together ([`Referentiel::resoudre`]); else the communes of that name.
    fn search_code_and_name(&self, code: &str, name: &str, limit: usize) -> Vec<&Commune> {
        let normalised = normaliser_nom(name);
        let by_name = self.rechercher(name, 50);
        let found: Vec<&Commune> = if code.len() <= 3 {
            by_name
                .iter()
                .copied()
                .filter(|c| c.code_departement.eq_ignore_ascii_case(code))
                .collect()
        } else {
            let key = crate::normalize::match_key(&normalised);
            let mut found: Vec<&Commune> = self
                .search_digits(code, 50)
                .into_iter()
                .filter(|c| {
                    let theirs = self
                        .commune_index(&c.code_insee)
                        .map(|i| self.normalised_name(i))
                        .unwrap_or_default();
                    theirs.starts_with(&normalised) || crate::normalize::match_key(theirs) == key
                })
                .collect();
            if found.is_empty() {
                found.extend(self.resoudre(Some(code), Some(name)));
            }
            found
        };
        let mut found = if found.is_empty() { by_name } else { found };
        found.truncate(limit);
        found
    }

    /// The communes that another name people use designates (the chef-lieu of a
    /// circonscription of Wallis-et-Futuna, of an overseas collectivity) starting with
    /// `prefix`, ranked as [`Referentiel::rechercher`] ranks names.
    fn ranked_other_names(&self, prefix: &str) -> Vec<(RankKey, u32)> {
        AUTRES_NOMS
            .iter()
            .filter_map(|(name, code)| {
                let theirs = normaliser_nom(name);
                if !theirs.starts_with(prefix) {
                    return None;
                }
                let index = self.commune_index(code)?;
                let population = self.commune_at(index).population;
                Some(((theirs != prefix, Reverse(population), index), index))
            })
            .collect()
    }

    /// Communes whose name is close to `query` in spelling, for « Vouliez-vous dire … ? »
    /// when [`Referentiel::rechercher`] finds nothing (`Saint-Gaudins` → Saint-Gaudens,
    /// `Marseile` → Marseille, `lile` → Lille).
    ///
    /// Names are compared without accents, case, spaces, hyphens and leading article, by
    /// edit distance (a letter added, removed, replaced, or two swapped): at most 1 edit for
    /// a name of 4 letters or less, 2 up to 8 letters, 3 beyond. The nearest come first,
    /// then the most populated. Postal codes and other digits in `query` are ignored. This
    /// scans every name once (a few milliseconds): call it only when the search failed.
    pub fn suggerer(&self, query: &str, limit: usize) -> Vec<&Commune> {
        let letters: String = query
            .split(|c: char| c.is_ascii_digit() || c == '(' || c == ')')
            .collect::<Vec<_>>()
            .join(" ");
        let normalised = normaliser_nom(&letters);
        let key: Vec<char> = crate::normalize::match_key(&normalised).chars().collect();
        if limit == 0 || key.len() < 3 {
            return Vec::new();
        }
        let budget = match key.len() {
            0..=4 => 1,
            5..=8 => 2,
            _ => 3,
        };
        let mut ranked: Vec<(SuggestionKey, u32)> = Vec::new();
        let mut consider = |theirs: &str, indices: &[u32]| {
            let theirs: Vec<char> = theirs.chars().collect();
            if let Some(distance) = crate::resolve::bounded_edit_distance(&key, &theirs, budget) {
                for &index in indices {
                    let population = self.commune_at(index).population;
                    ranked.push(((distance, Reverse(population), index), index));
                }
            }
        };
        for (theirs, indices) in &self.by_match_key {
            consider(theirs, indices);
        }
        for (name, code) in AUTRES_NOMS {
            if let Some(index) = self.commune_index(code) {
                consider(
                    &crate::normalize::match_key(&normaliser_nom(name)),
                    &[index],
                );
            }
        }
        ranked.sort_unstable_by_key(|(key, _)| *key);
        let mut seen = Vec::new();
        ranked
            .into_iter()
            .filter(|(_, index)| {
                let new = !seen.contains(index);
                seen.push(*index);
                new
            })
            .take(limit)
            .map(|(_, index)| self.commune_at(index))
            .collect()
    }

    fn search_digits(&self, digits: &str, limit: usize) -> Vec<&Commune> {
        match digits.len() {
            5 => {
                let mut found = self.communes_par_code_postal(digits);
                if let Some(commune) = self.commune_or_parent(digits) {
                    if !found.iter().any(|c| c.code_insee == commune.code_insee) {
                        found.push(commune);
                    }
                }
                found.truncate(limit);
                found
            }
            2..=4 => {
                let start = self
                    .postal_codes
                    .partition_point(|code| code.as_str() < digits);
                let mut indices: Vec<u32> = self.postal_codes[start..]
                    .iter()
                    .take_while(|code| code.starts_with(digits))
                    .filter_map(|code| self.by_postal_code.get(code))
                    .flatten()
                    .copied()
                    .collect();
                indices.sort_unstable();
                indices.dedup();
                let ranked = indices
                    .into_iter()
                    .map(|index| {
                        let commune = self.commune_at(index);
                        ((false, Reverse(commune.population), index), index)
                    })
                    .collect();
                top(ranked, limit)
                    .into_iter()
                    .map(|index| self.commune_at(index))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Communes whose normalised name starts with `prefix`, with their rank
    /// key: exact match first, then by population, then by code.
    fn ranked_prefix_matches(&self, prefix: &str) -> Vec<(RankKey, u32)> {
        let start = self
            .names
            .partition_point(|&index| self.normalised_name(index) < prefix);
        self.names[start..]
            .iter()
            .take_while(|&&index| self.normalised_name(index).starts_with(prefix))
            .map(|&index| {
                let exact = self.normalised_name(index) == prefix;
                let population = self.commune_at(index).population;
                ((!exact, Reverse(population), index), index)
            })
            .collect()
    }
}

/// (not an exact match, population descending, commune index).
type RankKey = (bool, Reverse<u32>, u32);

/// (edit distance, population descending, commune index).
type SuggestionKey = (usize, Reverse<u32>, u32);

/// Names people use for a commune of the overseas collectivities that is not its official
/// name: the chef-lieu of a circonscription or of a collectivity, by INSEE code of the
/// commune it lies in. Mata-Utu is the chef-lieu of Uvea (the island of Wallis), Leava of
/// Sigave, Gustavia of Saint-Barthélemy, Marigot of Saint-Martin, Port-aux-Français of the
/// Kerguelen.
pub(crate) const AUTRES_NOMS: [(&str, &str); 6] = [
    ("Mata-Utu", "98613"),
    ("Wallis", "98613"),
    ("Leava", "98612"),
    ("Gustavia", "97701"),
    ("Marigot", "97801"),
    ("Port-aux-Français", "98412"),
];

/// `Saint-Gaudens (31800)`, `31000 Toulouse`, `Saint-Denis (974)`, `Ajaccio 2A004`: the
/// code (a 5-digit postal or INSEE code, or a 2- or 3-character département code in
/// parentheses) and the name around it. `None` when the text has no such code, or no
/// letters besides (`Lyon 3e`, `Marseille 11` are names).
fn split_code_and_name(query: &str) -> Option<(String, String)> {
    let tokens: Vec<&str> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let five = |t: &str| {
        t.len() == 5 && (t.bytes().all(|b| b.is_ascii_digit()) || is_corsican_insee_code(t))
    };
    let code = match tokens.iter().copied().find(|t| five(t)) {
        Some(code) => code.to_ascii_uppercase(),
        None => {
            // A département only in parentheses: `Saint-Denis (974)`, `Bastia (2B)`.
            let inside = query.rsplit_once('(')?.1.split_once(')')?.0.trim();
            let departement = inside.len() <= 3
                && inside.len() >= 2
                && (inside.bytes().all(|b| b.is_ascii_digit())
                    || matches!(inside.to_ascii_uppercase().as_str(), "2A" | "2B"));
            if !departement {
                return None;
            }
            inside.to_ascii_uppercase()
        }
    };
    // The name: what is outside parentheses, but the code.
    let mut outside = String::with_capacity(query.len());
    let mut depth = 0usize;
    for c in query.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    let name: Vec<&str> = outside
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(&code))
        .collect();
    let name = name.join(" ");
    if !name.chars().any(char::is_alphabetic) {
        return None;
    }
    Some((code, name))
}

/// The `limit` best of `ranked`, in order, without sorting all of them.
fn top(mut ranked: Vec<(RankKey, u32)>, limit: usize) -> Vec<u32> {
    if limit == 0 {
        return Vec::new();
    }
    if ranked.len() > limit {
        ranked.select_nth_unstable_by_key(limit - 1, |(key, _)| *key);
        ranked.truncate(limit);
    }
    ranked.sort_unstable_by_key(|(key, _)| *key);
    ranked.into_iter().map(|(_, index)| index).collect()
}

/// `2A004`, `2b033` (the check of existence is left to the lookup).
fn is_corsican_insee_code(query: &str) -> bool {
    let bytes = query.as_bytes();
    bytes.len() == 5
        && bytes[0] == b'2'
        && matches!(bytes[1], b'A' | b'B' | b'a' | b'b')
        && bytes[2..].iter().all(u8::is_ascii_digit)
}

/// The normalised query with its last word, expanded from `st`/`ste`, put
/// back as typed.
fn literal_abbreviation(normalised: &str) -> String {
    let (head, last) = match normalised.rsplit_once(' ') {
        Some((head, last)) => (Some(head), last),
        None => (None, normalised),
    };
    let last = match last {
        "saint" => "st",
        "sainte" => "ste",
        other => other,
    };
    match head {
        Some(head) => format!("{head} {last}"),
        None => last.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corsican_codes() {
        assert!(is_corsican_insee_code("2A004"));
        assert!(is_corsican_insee_code("2b033"));
        assert!(!is_corsican_insee_code("2C004"));
        assert!(!is_corsican_insee_code("2A04"));
    }

    #[test]
    fn codes_beside_names() {
        let split = |q: &str| split_code_and_name(q);
        assert_eq!(
            split("Saint-Gaudens (31800)"),
            Some(("31800".into(), "Saint Gaudens".into()))
        );
        assert_eq!(
            split("31000 Toulouse"),
            Some(("31000".into(), "Toulouse".into()))
        );
        assert_eq!(
            split("Nouméa 98800 (988)"),
            Some(("98800".into(), "Nouméa".into()))
        );
        assert_eq!(split("Bastia (2b)"), Some(("2B".into(), "Bastia".into())));
        assert_eq!(split("Marseille 11"), None);
        assert_eq!(split("Lyon 3e"), None);
        assert_eq!(split("31000"), None);
        assert_eq!(split("(31)"), None);
    }

    #[test]
    fn literal_abbreviations() {
        assert_eq!(literal_abbreviation("saint"), "st");
        assert_eq!(literal_abbreviation("aix sainte"), "aix ste");
        assert_eq!(literal_abbreviation("paris"), "paris");
    }

    #[test]
    fn top_keeps_the_best_in_order() {
        let ranked = vec![
            ((true, Reverse(10), 1), 1),
            ((false, Reverse(5), 2), 2),
            ((true, Reverse(100), 3), 3),
            ((true, Reverse(50), 4), 4),
        ];
        assert_eq!(top(ranked.clone(), 3), vec![2, 3, 4]);
        assert_eq!(top(ranked.clone(), 10), vec![2, 3, 4, 1]);
        assert_eq!(top(ranked.clone(), 1), vec![2]);
        assert!(top(ranked, 0).is_empty());
    }
}
