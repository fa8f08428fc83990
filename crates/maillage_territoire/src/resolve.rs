//! Resolution of the commune of a place from the postal code and commune
//! name found in its source file, however dirty.

use crate::load::postal_prefix;
use crate::normalize::{is_weak_word, match_key, normaliser_nom};
use crate::{Commune, Referentiel};

/// Words after which a commune field holds no more of the commune's name
/// (`CAHORS CEDEX 9`, `DOUAI CEDEX BP 80809`).
const TRAILING_NOISE: [&str; 2] = ["cedex", "bp"];

/// Words that, followed by `de`, come before a commune's name in a commune
/// field (`MAIRIE DE THEROUANNE`).
const LEADING_NOISE: [&str; 3] = ["mairie", "ville", "commune"];

/// What is left of a postal code field once cleaned.
#[derive(Debug, PartialEq)]
enum PostalInput {
    /// A well-formed postal code (it may still be unknown, like CEDEX codes).
    Code(String),
    /// Only the département part can be trusted (`380000`).
    Prefix(String),
}

/// What a commune name field says, once cleaned.
#[derive(Debug)]
struct NameQuery {
    /// Normalised name without noise, and without the arrondissement
    /// number for Paris, Lyon and Marseille (`marseille`).
    normalised: String,
    /// [`match_key`] of `normalised`.
    key: String,
    /// (parent commune index, arrondissement index) when the name gives
    /// an arrondissement (`MARSEILLE 11`, `Lyon 3e`, `Paris 15ème`).
    arrondissement: Option<(u32, u32)>,
}

/// A resolved commune, and its arrondissement when one can be told.
struct Resolution {
    commune: u32,
    arrondissement: Option<u32>,
}

impl Referentiel {
    /// The INSEE code of a commune as a person types it: its name (« Muret », « saint
    /// gaudens »), its name and postal code (« Saint-Gaudens (31800) », « 31000 Toulouse »),
    /// a postal code serving one commune, or its INSEE code. A name that fits several
    /// communes, or none, is refused with suggestions (the message, in French, is for
    /// people). The one resolver of what people type (structures, places of activity,
    /// activity records); imports use [`Referentiel::resoudre_code_insee`] (postal code and
    /// name columns) and the public search ranks candidates (`rechercher`).
    pub fn commune_saisie(&self, texte: &str) -> Result<&Commune, String> {
        let texte = texte.trim();
        let r = self;
        if let Some(c) = r.commune(&texte.to_ascii_uppercase()) {
            return Ok(c);
        }
        let cp: Option<String> = texte
            .split(|c: char| !c.is_ascii_digit())
            .find(|m| m.len() == 5)
            .map(String::from);
        let nom: String = texte
            .chars()
            .filter(|c| !c.is_ascii_digit() && *c != '(' && *c != ')')
            .collect::<String>()
            .trim()
            .trim_matches(',')
            .trim()
            .to_string();
        let erreur = |message: String| message;
        if nom.is_empty() {
            let Some(cp) = cp else {
                return Err(erreur("indiquez le nom de la commune".into()));
            };
            let trouvees = r.rechercher(&cp, 6);
            return match trouvees.as_slice() {
                [seule] => Ok(*seule),
                [] => Err(erreur(format!("aucune commune n’a le code postal {cp}"))),
                plusieurs => Err(erreur(format!(
                    "plusieurs communes ont le code postal {cp} ({}) : indiquez aussi le nom",
                    plusieurs
                        .iter()
                        .map(|c| c.nom.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            };
        }
        // Exactly this name (the most populated commune of that name when several share
        // it and no postal code tells which would be a guess: refused below).
        let memes: Vec<_> = r
            .rechercher(&nom, 20)
            .into_iter()
            .filter(|c| normaliser_nom(&c.nom) == normaliser_nom(&nom))
            .filter(|c| {
                cp.as_deref()
                    .is_none_or(|cp| c.codes_postaux.iter().any(|x| x == cp))
            })
            .collect();
        if let [seule] = memes.as_slice() {
            return Ok(*seule);
        }
        if memes.is_empty() {
            if let Some(c) = r.resoudre(cp.as_deref(), Some(&nom)) {
                return Ok(c);
            }
        }
        let proposees: Vec<String> = if memes.len() > 1 {
            memes
                .iter()
                .take(5)
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.nom,
                        c.codes_postaux
                            .first()
                            .map(String::as_str)
                            .unwrap_or(&c.code_departement)
                    )
                })
                .collect()
        } else {
            let proches = r.rechercher(&nom, 3);
            // Nothing starts like that: names spelt nearly the same (« Saint-Gaudins »).
            let proches = if proches.is_empty() {
                r.suggerer(&nom, 3)
            } else {
                proches
            };
            proches
                .into_iter()
                .map(|c| {
                    format!(
                        "{} ({})",
                        c.nom,
                        c.codes_postaux
                            .first()
                            .map(String::as_str)
                            .unwrap_or(&c.code_departement)
                    )
                })
                .collect()
        };
        Err(erreur(if memes.len() > 1 {
            format!(
                "plusieurs communes s’appellent {nom} : ajoutez le code postal, par exemple {}",
                proposees.join(", ")
            )
        } else if proposees.is_empty() {
            format!("nous ne trouvons pas la commune « {nom} »")
        } else {
            format!(
                "nous ne trouvons pas la commune « {nom} ». Vouliez-vous dire {} ?",
                proposees.join(", ")
            )
        }))
    }

    /// The commune a place is in, from the postal code and the commune name
    /// of its source file, either of which may be missing or dirty.
    ///
    /// Copes with: case, accents, hyphens, `ST`/`STE`, articles
    /// (`GRAND LUCE`); CEDEX and BP suffixes (`CAHORS CEDEX 9`), CEDEX
    /// postal codes and `MAIRIE DE`; arrondissements (`MARSEILLE 11`,
    /// `Lyon 3e` give the commune: see [`Referentiel::resoudre_code_insee`]);
    /// a postal code serving several communes (the name tells which); a
    /// postal code that lost its leading zero (`1000`) or has a digit too
    /// many; a wrong postal code, when the name is unique in the département
    /// the postal code points to; a typo of a letter or two; a former
    /// commune or a hamlet whose postal code serves a single commune; a
    /// missing or non-existent postal code, when the name is unique in
    /// France.
    ///
    /// The postal code is read first, the name then picks among its
    /// communes, looking further (its département, then France) only when
    /// it has to. Returns `None` when the inputs fit no commune, or several
    /// equally well.
    pub fn resoudre(
        &self,
        code_postal: Option<&str>,
        nom_commune: Option<&str>,
    ) -> Option<&Commune> {
        self.resolve(code_postal, nom_commune)
            .map(|resolution| self.commune_at(resolution.commune))
    }

    /// Like [`Referentiel::resoudre`], but gives the code of the
    /// arrondissement municipal of Paris, Lyon or Marseille when the name
    /// (`MARSEILLE 11`) or the postal code (`75015`) tells it, and the
    /// commune's INSEE code otherwise.
    pub fn resoudre_code_insee(
        &self,
        code_postal: Option<&str>,
        nom_commune: Option<&str>,
    ) -> Option<&str> {
        let resolution = self.resolve(code_postal, nom_commune)?;
        Some(match resolution.arrondissement {
            Some(index) => &self.arrondissements[index as usize].code_insee,
            None => &self.commune_at(resolution.commune).code_insee,
        })
    }

    fn resolve(&self, code_postal: Option<&str>, nom_commune: Option<&str>) -> Option<Resolution> {
        let postal = code_postal.and_then(parse_postal_code);
        let name = nom_commune.and_then(|raw| self.name_query(raw));
        let commune = self.resolve_commune(postal.as_ref(), name.as_ref())?;
        let from_name = name
            .as_ref()
            .and_then(|name| name.arrondissement)
            .filter(|&(parent, _)| parent == commune)
            .map(|(_, arrondissement)| arrondissement);
        let from_postal_code = || match &postal {
            Some(PostalInput::Code(code)) => {
                let parent = &self.commune_at(commune).code_insee;
                let mut matching = self
                    .arrondissements_by_postal_code
                    .get(code)?
                    .iter()
                    .filter(|&&i| &self.arrondissements[i as usize].code_commune_parente == parent);
                let first = *matching.next()?;
                matching.next().is_none().then_some(first)
            }
            _ => None,
        };
        Some(Resolution {
            commune,
            arrondissement: from_name.or_else(from_postal_code),
        })
    }

    fn resolve_commune(
        &self,
        postal: Option<&PostalInput>,
        name: Option<&NameQuery>,
    ) -> Option<u32> {
        let by_code: &[u32] = match postal {
            Some(PostalInput::Code(code)) => {
                self.by_postal_code.get(code).map_or(&[], Vec::as_slice)
            }
            _ => &[],
        };
        let Some(name) = name else {
            return single(by_code);
        };
        // The départements the postal code points to, to look further when
        // the postal code is wrong, or a CEDEX one.
        let prefix = match postal {
            Some(PostalInput::Code(code)) => Some(postal_prefix(code)),
            Some(PostalInput::Prefix(prefix)) => Some(prefix.as_str()),
            None => None,
        };
        let departements = prefix
            .and_then(|prefix| self.departements_by_postal_prefix.get(prefix))
            .map_or(&[][..], Vec::as_slice);
        let in_departements =
            |index: &u32| departements.contains(&self.commune_at(*index).code_departement);

        // From the surest evidence to the weakest, among the communes of the
        // postal code (few) and those of its départements (hundreds, so
        // with stricter tests). Each level needs exactly one commune.
        let levels: [&dyn Fn() -> Option<u32>; 9] = [
            // The same name, but for articles, spaces and `lez`.
            &|| self.same_name(by_code, name),
            &|| self.name_matches(name).filter(in_departements).single(),
            // One name is the other followed by more words.
            &|| self.prefix_words(by_code, name),
            &|| {
                self.shorter_name_matches(name)
                    .filter(in_departements)
                    .single()
            },
            &|| {
                self.longer_name_matches(name)
                    .filter(in_departements)
                    .single()
            },
            // A typo.
            &|| self.closest(by_code.iter().copied(), name, typo_budget(&name.key)),
            &|| {
                let communes = departements
                    .iter()
                    .filter_map(|code| self.by_departement.get(code))
                    .flatten()
                    .copied();
                self.closest(communes, name, strict_typo_budget(&name.key))
            },
            // The same distinctive first word.
            &|| self.same_first_word(by_code, name),
            // The name is no commune near the postal code: a hamlet, a
            // former commune. Trust a postal code that serves one commune.
            &|| single(by_code),
        ];
        if let Some(found) = levels.iter().find_map(|level| level()) {
            return Some(found);
        }
        // No postal code, or one that serves no commune: a name unique in
        // France will do.
        if by_code.is_empty() {
            return self.name_matches(name).single();
        }
        None
    }

    /// The candidate with the same name as `name` but for articles, spaces
    /// and `lez`; with the very same normalised name if several.
    fn same_name(&self, candidates: &[u32], name: &NameQuery) -> Option<u32> {
        let same_key: Vec<u32> = candidates
            .iter()
            .copied()
            .filter(|&i| match_key(self.normalised_name(i)) == name.key)
            .collect();
        match same_key.as_slice() {
            [one] => Some(*one),
            several => several
                .iter()
                .copied()
                .filter(|&i| self.normalised_name(i) == name.normalised)
                .single(),
        }
    }

    /// The candidate whose name is `name` followed by more words, or the
    /// first words of `name` ("ANNECY LE VIEUX" for Annecy, "SAINT GERMAIN"
    /// for Saint-Germain-Lembron), or whose name `name` holds with other
    /// words ("HELLEMMES LILLE" for Lille).
    fn prefix_words(&self, candidates: &[u32], name: &NameQuery) -> Option<u32> {
        let words = significant_words(&name.normalised);
        let prefixes = candidates.iter().copied().filter(|&i| {
            let theirs = significant_words(self.normalised_name(i));
            theirs.starts_with(&words) || words.starts_with(&theirs)
        });
        if let Some(found) = prefixes.single() {
            return Some(found);
        }
        candidates
            .iter()
            .copied()
            .filter(|&i| contains_distinctive(&words, &significant_words(self.normalised_name(i))))
            .single()
    }

    /// The candidate with the same distinctive first word as `name`
    /// ("CHERBOURG OCTEVILLE" for Cherbourg-en-Cotentin).
    fn same_first_word(&self, candidates: &[u32], name: &NameQuery) -> Option<u32> {
        let first = distinctive_word(&name.normalised)?;
        candidates
            .iter()
            .copied()
            .filter(|&i| distinctive_word(self.normalised_name(i)) == Some(first))
            .single()
    }

    /// The candidate whose name's [`match_key`] is nearest to the query's in
    /// edit distance, if it is within `budget` and no other candidate is as
    /// near.
    fn closest(
        &self,
        candidates: impl Iterator<Item = u32>,
        name: &NameQuery,
        budget: usize,
    ) -> Option<u32> {
        if budget == 0 {
            return None;
        }
        let query: Vec<char> = name.key.chars().collect();
        let mut best: Option<(usize, u32)> = None;
        let mut tie = false;
        for index in candidates {
            let key: Vec<char> = match_key(self.normalised_name(index)).chars().collect();
            let Some(distance) = bounded_edit_distance(&query, &key, budget) else {
                continue;
            };
            match best {
                Some((best_distance, best_index)) if distance == best_distance => {
                    tie |= best_index != index;
                }
                Some((best_distance, _)) if distance > best_distance => {}
                _ => {
                    best = Some((distance, index));
                    tie = false;
                }
            }
        }
        best.filter(|_| !tie).map(|(_, index)| index)
    }

    /// Communes whose name has the same [`match_key`] as `name`.
    fn name_matches<'a>(&'a self, name: &NameQuery) -> impl Iterator<Item = u32> + 'a {
        self.by_match_key
            .get(&name.key)
            .into_iter()
            .flatten()
            .copied()
    }

    /// Communes whose name is the first words of `name` ("ANNECY LE VIEUX"
    /// → Annecy).
    fn shorter_name_matches<'a>(&'a self, name: &NameQuery) -> impl Iterator<Item = u32> + 'a {
        let words: Vec<&str> = name.normalised.split(' ').collect();
        let keys: Vec<String> = (1..words.len())
            .map(|n| match_key(&words[..n].join(" ")))
            .collect();
        keys.into_iter()
            .filter_map(|key| self.by_match_key.get(&key))
            .flatten()
            .copied()
    }

    /// Communes whose name is `name` followed by more words
    /// ("LE MERLERAULT" → Merlerault-le-Pin), articles aside.
    fn longer_name_matches<'a>(&'a self, name: &NameQuery) -> impl Iterator<Item = u32> + 'a {
        let words = significant_words(&name.normalised);
        let prefixes = [name.normalised.clone(), words.join(" ")];
        let mut found = Vec::new();
        for prefix in prefixes {
            let prefix = format!("{prefix} ");
            let start = self
                .names
                .partition_point(|&index| self.normalised_name(index) < prefix.as_str());
            found.extend(
                self.names[start..]
                    .iter()
                    .take_while(|&&index| self.normalised_name(index).starts_with(&prefix))
                    .copied(),
            );
        }
        found.into_iter()
    }

    /// Cleans a commune name field; `None` if nothing is left.
    fn name_query(&self, raw: &str) -> Option<NameQuery> {
        let normalised = normaliser_nom(raw);
        let mut all_words: &[&str] = &normalised.split(' ').collect::<Vec<_>>();
        // "MAIRIE DE THEROUANNE", "Ville de Lyon".
        if let [first, "de" | "d" | "du", rest @ ..] = all_words {
            if LEADING_NOISE.contains(first) && !rest.is_empty() {
                all_words = rest;
            }
        }
        let mut words: Vec<&str> = Vec::new();
        for (position, &word) in all_words.iter().enumerate() {
            if position > 0 && TRAILING_NOISE.contains(&word) {
                break;
            }
            // A postal code repeated in the name field.
            if word.len() == 5 && word.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            words.push(word);
        }
        let mut normalised = words.join(" ");
        if normalised.is_empty() {
            return None;
        }
        let mut arrondissement = None;
        for (parent_name, &parent) in &self.arrondissement_parents {
            let number = normalised
                .strip_prefix(parent_name.as_str())
                .and_then(parse_arrondissement_number);
            if let Some(number) = number {
                arrondissement = self
                    .arrondissement_numbers
                    .get(&(parent, number))
                    .map(|&index| (parent, index));
                normalised = parent_name.clone();
                break;
            }
        }
        Some(NameQuery {
            key: match_key(&normalised),
            normalised,
            arrondissement,
        })
    }
}

/// Reads the arrondissement number in what follows the name of Paris, Lyon
/// or Marseille in a normalised name: ` 11`, ` 3e`, ` 1er`, ` 15eme`,
/// ` 15e arrondissement`, ` 03`.
pub(crate) fn parse_arrondissement_number(rest: &str) -> Option<u32> {
    let mut words = rest.strip_prefix(' ')?.split(' ');
    let first = words.next()?;
    let digits_end = first
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(first.len());
    let (digits, suffix) = first.split_at(digits_end);
    const ORDINALS: [&str; 8] = ["", "e", "er", "ere", "re", "eme", "ieme", "em"];
    const ALLOWED_AFTER: [&str; 10] = [
        "e",
        "er",
        "eme",
        "ieme",
        "arrondissement",
        "arrondissements",
        "arr",
        "arrt",
        "arrdt",
        "ardt",
    ];
    if digits.is_empty() || !ORDINALS.contains(&suffix) {
        return None;
    }
    if !words.all(|word| ALLOWED_AFTER.contains(&word)) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0)
}

/// Cleans a postal code field: spaces removed, the first run of digits
/// kept (`30252Cedex`, `F-31000`), a leading zero restored on a field of
/// 4 digits (`1000`, as spreadsheets write 01000), and only the département
/// part of a run of another length (`380000`).
fn parse_postal_code(raw: &str) -> Option<PostalInput> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits: String = compact
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.len() {
        5 => Some(PostalInput::Code(digits)),
        4 if digits.len() == compact.len() => Some(PostalInput::Code(format!("0{digits}"))),
        n if n >= 2 => Some(PostalInput::Prefix(postal_prefix(&digits).to_owned())),
        _ => None,
    }
}

/// The words of a normalised name after a leading article.
fn significant_words(normalised: &str) -> Vec<&str> {
    let mut words: Vec<&str> = normalised.split(' ').collect();
    if words.len() > 1 && matches!(words[0], "le" | "la" | "les" | "l") {
        words.remove(0);
    }
    words
}

/// The first word of a name that is not an article, a `saint`, a
/// preposition.
fn distinctive_word(normalised: &str) -> Option<&str> {
    normalised
        .split(' ')
        .find(|word| !is_weak_word(word) && word.len() > 2)
}

/// Whether `words` holds `part` as consecutive words, `part` having a
/// distinctive word (not only articles and `saint`).
fn contains_distinctive(words: &[&str], part: &[&str]) -> bool {
    !part.is_empty()
        && part.len() < words.len()
        && part
            .iter()
            .any(|word| !is_weak_word(word) && word.len() > 2)
        && words.windows(part.len()).any(|window| window == part)
}

/// Edits allowed between a dirty name and a commune's name among the
/// communes of its postal code: 1 per 5 letters.
fn typo_budget(key: &str) -> usize {
    key.chars().count() / 5
}

/// Edits allowed among the communes of whole départements: 1 per 8 letters,
/// none below 6.
fn strict_typo_budget(key: &str) -> usize {
    let length = key.chars().count();
    if length < 6 {
        0
    } else {
        (length / 8).max(1)
    }
}

/// Optimal string alignment distance (Levenshtein with transpositions of
/// adjacent letters) between `a` and `b`, if at most `budget`.
pub(crate) fn bounded_edit_distance(a: &[char], b: &[char], budget: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > budget {
        return None;
    }
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(before[j - 2] + 1);
            }
            current[j] = value;
            row_min = row_min.min(value);
        }
        if row_min > budget {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    Some(previous[b.len()]).filter(|&distance| distance <= budget)
}

/// The only element of a slice.
fn single(items: &[u32]) -> Option<u32> {
    match items {
        [one] => Some(*one),
        _ => None,
    }
}

/// The only distinct element of an iterator.
trait Single: Iterator<Item = u32> + Sized {
    fn single(mut self) -> Option<u32> {
        let first = self.next()?;
        self.all(|other| other == first).then_some(first)
    }
}

impl<I: Iterator<Item = u32>> Single for I {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrondissement_numbers() {
        assert_eq!(parse_arrondissement_number(" 11"), Some(11));
        assert_eq!(parse_arrondissement_number(" 3e"), Some(3));
        assert_eq!(parse_arrondissement_number(" 1er"), Some(1));
        assert_eq!(parse_arrondissement_number(" 15eme"), Some(15));
        assert_eq!(parse_arrondissement_number(" 15e arrondissement"), Some(15));
        assert_eq!(parse_arrondissement_number(" 03"), Some(3));
        assert_eq!(parse_arrondissement_number(" 1 er"), Some(1));
        assert_eq!(parse_arrondissement_number(""), None);
        assert_eq!(parse_arrondissement_number(" 0"), None);
        assert_eq!(parse_arrondissement_number(" nord"), None);
        assert_eq!(parse_arrondissement_number(" 3e gare"), None);
        assert_eq!(parse_arrondissement_number("ien"), None);
    }

    #[test]
    fn postal_codes() {
        let code = |s: &str| Some(PostalInput::Code(s.to_owned()));
        let prefix = |s: &str| Some(PostalInput::Prefix(s.to_owned()));
        assert_eq!(parse_postal_code("31000"), code("31000"));
        assert_eq!(parse_postal_code(" 31 000 "), code("31000"));
        assert_eq!(parse_postal_code("30252Cedex"), code("30252"));
        assert_eq!(parse_postal_code("F-31000"), code("31000"));
        assert_eq!(parse_postal_code("1000"), code("01000"));
        assert_eq!(parse_postal_code("380000"), prefix("38"));
        assert_eq!(parse_postal_code("974000"), prefix("974"));
        assert_eq!(parse_postal_code("A1000"), prefix("10"));
        assert_eq!(parse_postal_code("7"), None);
        assert_eq!(parse_postal_code(""), None);
    }

    #[test]
    fn edit_distance() {
        let d = |a: &str, b: &str, budget| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            bounded_edit_distance(&a, &b, budget)
        };
        assert_eq!(d("isbergue", "isbergues", 1), Some(1));
        assert_eq!(d("rambervilelrs", "rambervillers", 2), Some(1));
        assert_eq!(d("0netlechateau", "onetlechateau", 2), Some(1));
        assert_eq!(d("abc", "abc", 0), Some(0));
        assert_eq!(d("", "ab", 2), Some(2));
        assert_eq!(d("lille", "lyon", 1), None);
        assert_eq!(d("abcdef", "badcfe", 3), Some(3));
        assert_eq!(d("abcdef", "badcfe", 2), None);
    }

    #[test]
    fn containment() {
        assert!(contains_distinctive(
            &["lignieres", "ambleville"],
            &["ambleville"]
        ));
        assert!(contains_distinctive(&["hellemmes", "lille"], &["lille"]));
        assert!(!contains_distinctive(&["saint", "denis"], &["saint"]));
        assert!(!contains_distinctive(&["lille"], &["lille"]));
        assert!(!contains_distinctive(&["lille"], &[]));
    }

    #[test]
    fn words() {
        assert_eq!(significant_words("le grand luce"), vec!["grand", "luce"]);
        assert_eq!(significant_words("les"), vec!["les"]);
        assert_eq!(distinctive_word("saint germain lembron"), Some("germain"));
        assert_eq!(distinctive_word("le mans"), Some("mans"));
        assert_eq!(distinctive_word("y"), None);
    }
}
