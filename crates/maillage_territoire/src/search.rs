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
        let normalised = normaliser_nom(query);
        if normalised.is_empty() {
            return Vec::new();
        }
        let mut ranked = self.ranked_prefix_matches(&normalised);
        if ends_with_open_abbreviation(typed) {
            let literal = literal_abbreviation(&normalised);
            ranked.extend(self.ranked_prefix_matches(&literal));
        }
        top(ranked, limit)
            .into_iter()
            .map(|index| self.commune_at(index))
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
