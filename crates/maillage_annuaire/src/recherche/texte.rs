//! Accent-insensitive word-prefix search: an inverted index of normalised words.

use super::bitset::Bitset;
use maillage_domain::texte::{mots, normaliser};
use std::collections::HashMap;

/// Short words left out of the index, and of a query unless last (where they are read as the
/// beginning of a word: "la" finds "Laval").
const MOTS_VIDES: [&str; 19] = [
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "un", "une",
    "sur", "pour", "par", "s",
];

fn est_vide(mot: &str) -> bool {
    mot.chars().count() < 2 || MOTS_VIDES.contains(&mot)
}

/// Inverted index: sorted words, each with the increasing list of the places that have it,
/// or, for a word that more than one place in 32 has, a bitset (smaller, and OR-ed 64 places
/// at a time).
pub(crate) struct IndexTexte {
    mots: Vec<Box<str>>,
    /// `debuts[k]..debuts[k + 1]` are the places of `mots[k]` in `lieux` (none for a dense
    /// word).
    debuts: Vec<u32>,
    lieux: Vec<u32>,
    /// Bitset of each dense word, by word.
    denses: HashMap<u32, Bitset>,
    n: usize,
}

/// Builds an [`IndexTexte`] from the texts of places given in index order.
#[derive(Default)]
pub(crate) struct ConstructeurTexte {
    numeros: HashMap<Box<str>, u32>,
    listes: Vec<Vec<u32>>,
    n: usize,
    tampon: Vec<u32>,
}

impl ConstructeurTexte {
    /// Adds place number `self.n` with its texts (each normalised here).
    #[cfg(test)]
    pub(crate) fn ajouter<'a>(&mut self, textes: impl IntoIterator<Item = &'a str>) {
        let normalises: Vec<String> = textes.into_iter().map(normaliser).collect();
        self.ajouter_normalises(normalises.iter().map(String::as_str));
    }

    /// Adds place number `self.n` with its texts, already normalised
    /// ([`maillage_domain::texte::normaliser`]).
    pub(crate) fn ajouter_normalises<'a>(&mut self, textes: impl IntoIterator<Item = &'a str>) {
        let lieu = self.n as u32;
        self.n += 1;
        self.tampon.clear();
        for normalise in textes {
            for mot in mots(normalise) {
                if est_vide(mot) {
                    continue;
                }
                let numero = match self.numeros.get(mot) {
                    Some(&k) => k,
                    None => {
                        let k = self.listes.len() as u32;
                        self.numeros.insert(mot.into(), k);
                        self.listes.push(Vec::new());
                        k
                    }
                };
                self.tampon.push(numero);
            }
        }
        self.tampon.sort_unstable();
        self.tampon.dedup();
        for &k in &self.tampon {
            self.listes[k as usize].push(lieu);
        }
    }

    pub(crate) fn terminer(self) -> IndexTexte {
        let mut par_mot: Vec<(Box<str>, u32)> = self.numeros.into_iter().collect();
        par_mot.sort_unstable();
        let mut listes = self.listes;
        let total: usize = listes.iter().map(Vec::len).sum();
        let mut mots = Vec::with_capacity(par_mot.len());
        let mut debuts = Vec::with_capacity(par_mot.len() + 1);
        let mut lieux = Vec::with_capacity(total);
        let mut denses = HashMap::new();
        for (rang, (mot, k)) in par_mot.into_iter().enumerate() {
            debuts.push(lieux.len() as u32);
            let liste = &mut listes[k as usize];
            if liste.len() * 32 > self.n {
                let mut b = Bitset::vide(self.n);
                for &i in liste.iter() {
                    b.inserer(i as usize);
                }
                denses.insert(rang as u32, b);
                *liste = Vec::new();
            } else {
                lieux.append(liste);
            }
            mots.push(mot);
        }
        debuts.push(lieux.len() as u32);
        IndexTexte {
            mots,
            debuts,
            lieux,
            denses,
            n: self.n,
        }
    }
}

impl IndexTexte {
    /// The places whose words start with every word of `requete` (accents, case and
    /// punctuation ignored). `None` when the query has no word to look for.
    pub(crate) fn chercher(&self, requete: &str) -> Option<Bitset> {
        let normalise = normaliser(requete);
        let tous: Vec<&str> = mots(&normalise).collect();
        let dernier = tous.len().checked_sub(1)?;
        let mut retenus: Vec<&str> = tous
            .iter()
            .enumerate()
            .filter(|&(i, m)| i == dernier || !est_vide(m))
            .map(|(_, m)| *m)
            .collect();
        retenus.sort_unstable();
        retenus.dedup();
        // A word that is the prefix of another query word adds nothing.
        let retenus: Vec<&str> = retenus
            .iter()
            .filter(|m| {
                !retenus
                    .iter()
                    .any(|autre| autre != *m && autre.starts_with(**m))
            })
            .copied()
            .collect();
        let mut resultat: Option<Bitset> = None;
        for mot in retenus {
            let ensemble = self.prefixe(mot);
            match &mut resultat {
                None => resultat = Some(ensemble),
                Some(r) => r.et(&ensemble),
            }
        }
        resultat
    }

    /// Places with a word starting with `prefixe`.
    fn prefixe(&self, prefixe: &str) -> Bitset {
        let debut = self.mots.partition_point(|m| &**m < prefixe);
        let fin = debut + self.mots[debut..].partition_point(|m| m.starts_with(prefixe));
        let mut ensemble = Bitset::vide(self.n);
        let (a, b) = (self.debuts[debut] as usize, self.debuts[fin] as usize);
        for &lieu in &self.lieux[a..b] {
            ensemble.inserer(lieu as usize);
        }
        if !self.denses.is_empty() {
            for rang in debut..fin {
                if let Some(dense) = self.denses.get(&(rang as u32)) {
                    ensemble.ou(dense);
                }
            }
        }
        ensemble
    }

    /// Bytes used, roughly.
    pub(crate) fn octets(&self) -> usize {
        self.lieux.len() * 4
            + self.denses.values().map(Bitset::octets).sum::<usize>()
            + self.debuts.len() * 4
            + self.mots.iter().map(|m| m.len() + 16).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(textes: &[&[&str]]) -> IndexTexte {
        let mut c = ConstructeurTexte::default();
        for t in textes {
            c.ajouter(t.iter().copied());
        }
        c.terminer()
    }

    fn trouves(i: &IndexTexte, q: &str) -> Option<Vec<usize>> {
        i.chercher(q).map(|b| b.iter().collect())
    }

    #[test]
    fn accent_insensitive_prefixes_all_words_required() {
        let i = index(&[
            &["Médiathèque François Mitterrand", "Évry-Courcouronnes"],
            &["Espace public numérique", "Lyon"],
            &["La Poste", "Laval"],
            &["Mairie", "Saint-Étienne", "12 rue de la Paix"],
        ]);
        assert_eq!(trouves(&i, "medi"), Some(vec![0]));
        assert_eq!(trouves(&i, "MÉDIATHÈQUE evry"), Some(vec![0]));
        assert_eq!(trouves(&i, "mediatheque lyon"), Some(vec![]));
        assert_eq!(trouves(&i, "la"), Some(vec![2]));
        assert_eq!(trouves(&i, "la poste"), Some(vec![2]));
        assert_eq!(trouves(&i, "st etienne"), Some(vec![]));
        assert_eq!(trouves(&i, "saint-etienne"), Some(vec![3]));
        assert_eq!(trouves(&i, "e"), Some(vec![0, 1, 3]));
        assert_eq!(trouves(&i, "rue de la paix"), Some(vec![3]));
        assert_eq!(trouves(&i, "  !! "), None);
        assert_eq!(trouves(&i, "zzz"), Some(vec![]));
        assert_eq!(trouves(&i, "numer numerique"), Some(vec![1]));
    }

    #[test]
    fn dense_words_are_found_as_sparse_ones() {
        let mut textes: Vec<Vec<String>> = Vec::new();
        for k in 0..500 {
            let mut t = vec![format!("Lieu {k}")];
            if k % 3 == 0 {
                t.push("Médiathèque".into());
            }
            if k % 97 == 0 {
                t.push("médiation".into());
            }
            textes.push(t);
        }
        let mut c = ConstructeurTexte::default();
        for t in &textes {
            c.ajouter(t.iter().map(String::as_str));
        }
        let i = c.terminer();
        assert!(!i.denses.is_empty());
        let attendu: Vec<usize> = (0..500).filter(|k| k % 3 == 0 || k % 97 == 0).collect();
        assert_eq!(trouves(&i, "medi"), Some(attendu));
        let attendu: Vec<usize> = (0..500).filter(|k| k % 97 == 0).collect();
        assert_eq!(trouves(&i, "mediation"), Some(attendu));
        assert_eq!(trouves(&i, "lieu 498 mediath"), Some(vec![498]));
    }
}
