//! Duplicates: finding the records of one place across and within sources, and merging them
//! into published places.
//!
//! Pipeline ([`dedupliquer`]), near-linear in the number of records (no all-pairs loop):
//!
//! 1. records are put in an order of their own (postal code, then ref `SOURCE#ID`) so that
//!    nothing depends on input order, and
//!    each gets a fingerprint (normalised name, kind of structure, address, identifiers —
//!    module `normalisation`); how many records share each SIRET, phone and e-mail is
//!    counted (a value shared by many is weak evidence);
//! 2. candidate pairs come from blocking ([`blocage`](self::blocage)): k nearest neighbours
//!    within 300 m, plus sorted-neighbourhood blocks on commune + name word, commune +
//!    street, SIRET/RNA, phone, e-mail and copied ids;
//! 3. each candidate is scored ([`expliquer`] gives the same score with its reasons; the
//!    scale is documented in `score`);
//! 4. accepted pairs (score ≥ `seuil`) and coordinators' decisions build groups by
//!    union-find with refusals as group constraints and an anti-chaining rule (`groupes`);
//! 5. each group, singletons included, becomes a [`LieuFusionne`] (`fusion`).
//!
//! Scoring reads the fingerprints only; the records are needed again only to merge. The
//! re-merge of the directory ([`flux`]) uses this to run the same pipeline in two passes
//! over the records read from the store, without holding them.

mod blocage;
mod court;
mod evaluation;
pub mod flux;
mod fusion;
mod groupes;
pub(crate) mod normalisation;
mod parallele;
mod score;
mod similarite;

#[cfg(test)]
mod tests;

pub use blocage::StatsBlocage;
pub use evaluation::{evaluer, ErreurEvaluation, Evaluation};
pub use flux::{dedupliquer_en_deux_passes, Assemblage, Detection, ErreurRelecture, Preparation};
pub use fusion::identifiant;
pub use groupes::StatsGroupes;
pub use normalisation::Categorie;
pub use score::{Critere, Explication};

use crate::lieux::LieuSource;
use crate::tableur::{Tableau, Valeur};
use maillage_domain::Lieu;
use normalisation::{empreinte, Empreinte};
use parallele::{en_parallele, nombre_threads};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// A coordinator's decision on an unordered pair of refs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum Decision {
    /// Same place: always merged.
    Confirmee,
    /// Two places: never in the same group, not even through a chain.
    Refusee,
}

/// Settings of duplicate detection. `Default` gives the values the scale was tuned for.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionsDoublons {
    /// Minimum score for a pair to be the same place (3.0).
    pub seuil: f64,
    /// Spatial blocking radius, in metres (300).
    pub rayon_m: f64,
    /// Nearest neighbours paired per point within the radius (6).
    pub voisins_max: usize,
    /// Sorted-neighbourhood window within a key block (6): blocks of at most 7 records are
    /// compared in full.
    pub fenetre: usize,
    /// Maximum size of a group built from scores (12).
    pub taille_groupe_max: usize,
    /// Minimum mean score between the members of two groups to unite them (1.5).
    pub liaison_moyenne_min: f64,
    /// No cross pair of two groups may score below this to unite them (-2.0).
    pub liaison_min: f64,
    /// Sources by decreasing priority, to break ties between equally recent records when
    /// merging. Unlisted sources come after the listed ones, then by ref.
    pub priorite_sources: Vec<String>,
    /// Threads (0 = the machine's parallelism).
    pub threads: usize,
}

impl Default for OptionsDoublons {
    fn default() -> Self {
        Self {
            seuil: 3.0,
            rayon_m: 300.0,
            voisins_max: 6,
            fenetre: 6,
            taille_groupe_max: 12,
            liaison_moyenne_min: 1.5,
            liaison_min: -2.0,
            priorite_sources: Vec::new(),
            threads: 0,
        }
    }
}

/// A published place: one group of records merged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LieuFusionne {
    /// `"lieu-"` + 16 hex digits of sha256 of the smallest member ref (see [`identifiant`]).
    pub id: String,
    /// The merged place; `lieu.id` is `id`, `lieu.source` the members' sources joined by `|`.
    pub lieu: Lieu,
    /// Refs (`SOURCE#ID`) of the members, sorted.
    pub membres: Vec<String>,
    /// Schema field name → ref the value came from (refs joined by `|` for united lists).
    /// Empty for a singleton, whose every field comes from `membres[0]`.
    pub provenance: BTreeMap<String, String>,
}

impl LieuFusionne {
    /// Where a field's value came from, singletons included (`None` for a field no member
    /// filled in a merged group).
    /// A field overridden by a correction says so (see
    /// [`crate::corrections::Provenance`]) in both cases.
    pub fn provenance_de(&self, champ: &str) -> Option<&str> {
        if let Some(p) = self.provenance.get(champ) {
            return Some(p);
        }
        if self.membres.len() == 1 {
            return self.membres.first().map(String::as_str);
        }
        self.provenance.get(champ).map(String::as_str)
    }
}

/// Counts and timings of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StatsDoublons {
    pub lieux: usize,
    pub blocage: StatsBlocage,
    pub groupes: StatsGroupes,
    /// Pairs scored in total: candidates plus the cross pairs of the anti-chaining check.
    pub paires_evaluees: usize,
    /// Decisions naming a ref absent from the input (ignored).
    pub decisions_inconnues: usize,
    pub duree_preparation_ms: u128,
    pub duree_candidats_ms: u128,
    pub duree_scores_ms: u128,
    pub duree_groupes_ms: u128,
    pub duree_fusion_ms: u128,
}

/// Outcome of [`dedupliquer`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultatDoublons {
    /// Every published place, singletons included, sorted by id.
    pub fusionnes: Vec<LieuFusionne>,
    /// Indexes into the input of each group of at least two records, each sorted, in the
    /// order of their place in `fusionnes`.
    pub groupes: Vec<Vec<usize>>,
    /// Distinct candidate pairs scored.
    pub paires_candidates: usize,
    /// Candidate pairs whose score reached the threshold.
    pub paires_retenues: usize,
    pub stats: StatsDoublons,
}

/// What scoring and grouping need, and nothing else: the fingerprints in internal order
/// (postal code, ref) with the corpus frequencies, the rank of each record's ref (to orient
/// pairs) and the copied-id references. The records themselves are not needed: a re-merge
/// can drop each one once fingerprinted ([`flux`]).
pub(crate) struct Noyau {
    empreintes: Vec<Empreinte>,
    /// Internal order → rank of (ref, internal index) among all records.
    rang_ref: Vec<u32>,
    /// Records named by another record's id, with the key they are named by.
    references: Vec<(u32, u64)>,
    seuil: f64,
}

impl Noyau {
    /// From fingerprints in internal order (frequencies still at 1) and the rank of each
    /// record's ref: counts shared identifiers and finds the records that copied ids name.
    fn nouveau(
        mut empreintes: Vec<Empreinte>,
        rang_ref: Vec<u32>,
        options: &OptionsDoublons,
    ) -> Self {
        blocage::compter_frequences(&mut empreintes);
        // Records that another record's id names ("{id}-mediation-numerique-{source}").
        let cites: std::collections::HashSet<u64> = empreintes
            .iter()
            .filter_map(Empreinte::reprise_de)
            .collect();
        let references: Vec<(u32, u64)> = if cites.is_empty() {
            Vec::new()
        } else {
            empreintes
                .iter()
                .enumerate()
                .flat_map(|(k, e)| {
                    e.cles_propres()
                        .into_iter()
                        .filter(|c| cites.contains(c))
                        .map(move |c| (k as u32, c))
                })
                .collect()
        };
        Self {
            empreintes,
            rang_ref,
            references,
            seuil: options.seuil,
        }
    }

    /// Orders two records by ref, as [`expliquer`] does, so that a pair is always scored the
    /// same way.
    fn orienter(&self, x: u32, y: u32) -> (u32, u32) {
        if self.rang_ref[x as usize] <= self.rang_ref[y as usize] {
            (x, y)
        } else {
            (y, x)
        }
    }

    /// Score of two records in internal order (fast path: fingerprints only).
    fn score(&self, x: u32, y: u32) -> f64 {
        let (x, y) = self.orienter(x, y);
        score::noter(
            &self.empreintes[x as usize],
            &self.empreintes[y as usize],
            &mut score::Muet,
        )
    }
}

/// Records prepared for comparison: fingerprints in internal order (postal code, ref), with
/// corpus frequencies.
/// Use it to explain pairs as [`dedupliquer`] scored them ([`Corpus::expliquer`]).
pub struct Corpus<'a> {
    lieux: &'a [LieuSource],
    /// Internal order (postal code, ref) → input index.
    ordre: Vec<u32>,
    /// Input index → internal order.
    rang: Vec<u32>,
    refs: Vec<String>,
    noyau: Noyau,
}

/// `rang[k]`: the place of `k` in the order of `(cle(k), k)`.
fn rang_selon<'c>(n: usize, cle: impl Fn(usize) -> &'c str) -> Vec<u32> {
    let mut par_cle: Vec<u32> = (0..n as u32).collect();
    par_cle.sort_unstable_by(|&a, &b| cle(a as usize).cmp(cle(b as usize)).then(a.cmp(&b)));
    let mut rang = vec![0u32; n];
    for (r, &k) in par_cle.iter().enumerate() {
        rang[k as usize] = r as u32;
    }
    rang
}

impl<'a> Corpus<'a> {
    /// Fingerprints every record and counts shared identifiers.
    pub fn preparer(lieux: &'a [LieuSource], options: &OptionsDoublons) -> Self {
        let threads = nombre_threads(options.threads);
        let refs_entree: Vec<String> = lieux.iter().map(LieuSource::reference).collect();
        let mut ordre: Vec<u32> = (0..lieux.len() as u32).collect();
        // Internal order: by postal code, then ref. It depends only on the records, not on
        // their input order, and puts the records of a commune side by side in memory (most
        // candidate pairs are within a commune: fewer cache misses when scoring).
        ordre.sort_unstable_by(|&a, &b| {
            let (la, lb) = (&lieux[a as usize].lieu, &lieux[b as usize].lieu);
            la.code_postal
                .cmp(&lb.code_postal)
                .then_with(|| refs_entree[a as usize].cmp(&refs_entree[b as usize]))
                .then(a.cmp(&b))
        });
        let mut rang = vec![0u32; lieux.len()];
        for (k, &i) in ordre.iter().enumerate() {
            rang[i as usize] = k as u32;
        }
        let mut refs_entree: Vec<Option<String>> = refs_entree.into_iter().map(Some).collect();
        let refs: Vec<String> = ordre
            .iter()
            .map(|&i| refs_entree[i as usize].take().unwrap_or_default())
            .collect();
        let empreintes = en_parallele(lieux.len(), threads, |r| {
            let mut memo = normalisation::Memo::default();
            r.map(|k| normalisation::empreinte_avec(&lieux[ordre[k] as usize], &mut memo))
                .collect()
        });
        let rang_ref = rang_selon(refs.len(), |k| refs[k].as_str());
        let noyau = Noyau::nouveau(empreintes, rang_ref, options);
        Self {
            lieux,
            ordre,
            rang,
            refs,
            noyau,
        }
    }

    fn lieu(&self, k: u32) -> &LieuSource {
        &self.lieux[self.ordre[k as usize] as usize]
    }

    /// Explains the score of input records `i` and `j` with the corpus frequencies, exactly
    /// as [`dedupliquer`] scored them. `None` if an index is out of range.
    pub fn expliquer(&self, i: usize, j: usize) -> Option<Explication> {
        let (x, y) = (*self.rang.get(i)?, *self.rang.get(j)?);
        let (x, y) = self.noyau.orienter(x, y);
        let mut detail = score::Detail {
            la: &self.lieu(x).lieu,
            lb: &self.lieu(y).lieu,
            criteres: Vec::new(),
        };
        let s = score::noter(
            &self.noyau.empreintes[x as usize],
            &self.noyau.empreintes[y as usize],
            &mut detail,
        );
        Some(Explication {
            score: s,
            decision: s >= self.noyau.seuil,
            criteres: detail.criteres,
        })
    }
}

/// Explains the score of two records on their own (every identifier counted as unique) with
/// the default threshold.
pub fn expliquer(a: &LieuSource, b: &LieuSource) -> Explication {
    expliquer_avec(a, b, &OptionsDoublons::default())
}

/// [`expliquer`] with a given threshold.
pub fn expliquer_avec(a: &LieuSource, b: &LieuSource, options: &OptionsDoublons) -> Explication {
    // Same orientation as in `dedupliquer`: by ref.
    let (a, b) = if a.reference() <= b.reference() {
        (a, b)
    } else {
        (b, a)
    };
    // Frequencies stay at 1: every identifier is taken as unique.
    let ea = empreinte(a);
    let eb = empreinte(b);
    let mut detail = score::Detail {
        la: &a.lieu,
        lb: &b.lieu,
        criteres: Vec::new(),
    };
    let s = score::noter(&ea, &eb, &mut detail);
    Explication {
        score: s,
        decision: s >= options.seuil,
        criteres: detail.criteres,
    }
}

/// Candidate pairs of the input: indexes into `lieux`, `i < j`, sorted. Every pair
/// [`dedupliquer`] scores is here (plus, in `dedupliquer`, the cross pairs of the
/// anti-chaining check).
pub fn candidats(lieux: &[LieuSource], options: &OptionsDoublons) -> Vec<(usize, usize)> {
    candidats_avec_stats(lieux, options).0
}

/// [`candidats`] with the blocking counts.
pub fn candidats_avec_stats(
    lieux: &[LieuSource],
    options: &OptionsDoublons,
) -> (Vec<(usize, usize)>, StatsBlocage) {
    let corpus = Corpus::preparer(lieux, options);
    let (paires, stats) = blocage::candidats(
        &corpus.noyau.empreintes,
        &corpus.noyau.references,
        options.rayon_m,
        options.voisins_max,
        options.fenetre,
        nombre_threads(options.threads),
    );
    let mut v: Vec<(usize, usize)> = paires
        .into_iter()
        .map(|p| {
            let (x, y) = blocage::depaqueter(p);
            let (i, j) = (
                corpus.ordre[x as usize] as usize,
                corpus.ordre[y as usize] as usize,
            );
            if i < j {
                (i, j)
            } else {
                (j, i)
            }
        })
        .collect();
    v.sort_unstable();
    (v, stats)
}

/// What grouping produced, before merging.
struct Groupage {
    /// Refs in internal order.
    refs: Vec<String>,
    /// Internal order → input index.
    ordre: Vec<u32>,
    /// Groups of at least two records, in internal indexes, each sorted.
    groupes: Vec<Vec<u32>>,
    paires_candidates: usize,
    paires_retenues: usize,
    stats: StatsDoublons,
}

/// Steps 1–4: fingerprints, candidates, scores, groups.
fn grouper(
    lieux: &[LieuSource],
    decisions: &[(String, String, Decision)],
    options: &OptionsDoublons,
) -> Groupage {
    let mut stats = StatsDoublons {
        lieux: lieux.len(),
        ..Default::default()
    };

    let t = Instant::now();
    let corpus = Corpus::preparer(lieux, options);
    stats.duree_preparation_ms = t.elapsed().as_millis();

    let index = |decisions: &[(String, String, Decision)]| -> HashMap<&str, u32> {
        if decisions.is_empty() {
            return HashMap::new();
        }
        corpus
            .refs
            .iter()
            .enumerate()
            .rev() // the first record wins for a duplicated ref
            .map(|(k, r)| (r.as_str(), k as u32))
            .collect()
    };
    let index = index(decisions);
    let (groupes, paires_candidates, paires_retenues) =
        grouper_noyau(&corpus.noyau, decisions, &index, options, &mut stats);
    drop(index);
    let Corpus { refs, ordre, .. } = corpus;
    Groupage {
        refs,
        ordre,
        groupes,
        paires_candidates,
        paires_retenues,
        stats,
    }
}

/// Steps 2–4 on prepared fingerprints: candidates, scores, groups (in internal indexes,
/// each sorted). `index` maps the refs named by `decisions` to internal indexes. Returns
/// the groups, the candidate pairs and the pairs whose score reached the threshold.
fn grouper_noyau(
    noyau: &Noyau,
    decisions: &[(String, String, Decision)],
    index: &HashMap<&str, u32>,
    options: &OptionsDoublons,
    stats: &mut StatsDoublons,
) -> (Vec<Vec<u32>>, usize, usize) {
    let threads = nombre_threads(options.threads);
    let t = Instant::now();
    let (paires, stats_blocage) = blocage::candidats(
        &noyau.empreintes,
        &noyau.references,
        options.rayon_m,
        options.voisins_max,
        options.fenetre,
        threads,
    );
    stats.blocage = stats_blocage;
    stats.duree_candidats_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let retenues: Vec<(f64, u32, u32)> = en_parallele(paires.len(), threads, |r| {
        paires[r]
            .iter()
            .filter_map(|&p| {
                let (x, y) = blocage::depaqueter(p);
                let s = noyau.score(x, y);
                (s >= options.seuil).then_some((s, x, y))
            })
            .collect()
    });
    let paires_candidates = paires.len();
    drop(paires);
    let paires_retenues = retenues.len();
    stats.duree_scores_ms = t.elapsed().as_millis();

    // Decisions, by ref.
    let t = Instant::now();
    let mut confirmees = Vec::new();
    let mut refusees = Vec::new();
    for (a, b, d) in decisions {
        match (index.get(a.as_str()), index.get(b.as_str())) {
            (Some(&x), Some(&y)) => match d {
                Decision::Confirmee => confirmees.push((x, y)),
                Decision::Refusee => refusees.push((x, y)),
            },
            _ => stats.decisions_inconnues += 1,
        }
    }
    let regles = groupes::Regles {
        taille_max: options.taille_groupe_max,
        liaison_moyenne_min: options.liaison_moyenne_min,
        liaison_min: options.liaison_min,
    };
    let (groupes, stats_groupes) = groupes::construire(
        noyau.empreintes.len(),
        retenues,
        &confirmees,
        &refusees,
        &regles,
        |x, y| noyau.score(x, y),
    );
    stats.paires_evaluees = paires_candidates + stats_groupes.liaisons_evaluees;
    stats.groupes = stats_groupes;
    stats.duree_groupes_ms = t.elapsed().as_millis();
    (groupes, paires_candidates, paires_retenues)
}

/// A published place to build: a group, or a record alone.
enum Unite {
    Groupe(usize),
    Seul(u32),
}

/// The published places to build, with their ids, sorted by id. A group is named by its
/// smallest ref.
fn unites(g: &Groupage) -> Vec<(String, Unite)> {
    let mut dans_groupe = vec![false; g.refs.len()];
    for membres in &g.groupes {
        for &x in membres {
            dans_groupe[x as usize] = true;
        }
    }
    let mut unites: Vec<(String, Unite)> = Vec::with_capacity(g.refs.len());
    for (k, membres) in g.groupes.iter().enumerate() {
        let ancre = membres
            .iter()
            .map(|&x| g.refs[x as usize].as_str())
            .min()
            .unwrap_or("");
        unites.push((fusion::identifiant(ancre), Unite::Groupe(k)));
    }
    for (x, &dedans) in dans_groupe.iter().enumerate() {
        if !dedans {
            unites.push((fusion::identifiant(&g.refs[x]), Unite::Seul(x as u32)));
        }
    }
    unites.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    unites
}

fn priorite<'o>(options: &'o OptionsDoublons) -> impl Fn(&str) -> usize + Sync + 'o {
    move |source: &str| {
        options
            .priorite_sources
            .iter()
            .position(|s| s == source)
            .unwrap_or(options.priorite_sources.len())
    }
}

/// The groups as input indexes, in the order of `unites`.
fn groupes_entree(g: &Groupage, unites: &[(String, Unite)]) -> Vec<Vec<usize>> {
    unites
        .iter()
        .filter_map(|(_, u)| match u {
            Unite::Groupe(k) => {
                let mut v: Vec<usize> = g.groupes[*k]
                    .iter()
                    .map(|&x| g.ordre[x as usize] as usize)
                    .collect();
                v.sort_unstable();
                Some(v)
            }
            Unite::Seul(_) => None,
        })
        .collect()
}

/// Finds duplicates among `lieux` and merges them. `decisions` are coordinators' decisions
/// on pairs of refs (`SOURCE#ID`), in either order.
///
/// Every record is copied into the result (singletons included). For very large inputs,
/// [`dedupliquer_possede`] gives the same result without holding two copies.
pub fn dedupliquer(
    lieux: &[LieuSource],
    decisions: &[(String, String, Decision)],
    options: &OptionsDoublons,
) -> ResultatDoublons {
    let mut g = grouper(lieux, decisions, options);
    let t = Instant::now();
    let unites = unites(&g);
    let priorite = priorite(options);
    let threads = nombre_threads(options.threads);
    let fusionnes: Vec<LieuFusionne> = en_parallele(unites.len(), threads, |r| {
        unites[r]
            .iter()
            .map(|(id, u)| match u {
                Unite::Seul(x) => {
                    let ls = &lieux[g.ordre[*x as usize] as usize];
                    fusion::singleton(ls.clone(), g.refs[*x as usize].clone(), id.clone())
                }
                Unite::Groupe(k) => {
                    let membres: Vec<&LieuSource> = g.groupes[*k]
                        .iter()
                        .map(|&x| &lieux[g.ordre[x as usize] as usize])
                        .collect();
                    let refs: Vec<String> = g.groupes[*k]
                        .iter()
                        .map(|&x| g.refs[x as usize].clone())
                        .collect();
                    fusion::fusionner(&membres, &refs, &priorite)
                }
            })
            .collect()
    });
    let groupes = groupes_entree(&g, &unites);
    g.stats.duree_fusion_ms = t.elapsed().as_millis();
    ResultatDoublons {
        fusionnes,
        groupes,
        paires_candidates: g.paires_candidates,
        paires_retenues: g.paires_retenues,
        stats: g.stats,
    }
}

/// [`dedupliquer`] taking the records by value: each record is moved into its published
/// place instead of being copied, and the input's memory is given back as it is consumed,
/// so memory holds one copy of the places, not two (for a million places, about 0.8 GB
/// less at the peak). Same result as [`dedupliquer`]; `groupes` still indexes the input.
pub fn dedupliquer_possede(
    lieux: Vec<LieuSource>,
    decisions: &[(String, String, Decision)],
    options: &OptionsDoublons,
) -> ResultatDoublons {
    let mut g = grouper(&lieux, decisions, options);
    let t = Instant::now();
    let n = lieux.len();
    let priorite = priorite(options);
    let mut rang = vec![0u32; n];
    for (k, &i) in g.ordre.iter().enumerate() {
        rang[i as usize] = k as u32;
    }
    const SEUL: u32 = u32::MAX;
    let mut groupe_de = vec![SEUL; n];
    for (k, membres) in g.groupes.iter().enumerate() {
        for &x in membres {
            groupe_de[x as usize] = k as u32;
        }
    }
    let mut refs: Vec<String> = std::mem::take(&mut g.refs);
    let mut en_attente: HashMap<u32, Vec<(LieuSource, String)>> = HashMap::new();
    // Reserved at its final size: growing a vector of a million places by doubling would hold
    // the old and the new buffer at once.
    let nombre_sortie = n - g.groupes.iter().map(|m| m.len() - 1).sum::<usize>();
    let mut sortie: Vec<LieuFusionne> = Vec::with_capacity(nombre_sortie);
    // Group number of each place of `sortie` (SEUL for a record alone).
    let mut groupe_sortie: Vec<u32> = Vec::with_capacity(nombre_sortie);
    // Consume the input from its end, giving the memory of the records already taken back to
    // the system every 64k records, so that the input shrinks while the output grows.
    let mut lieux = lieux;
    let mut rendu_jusqua = lieux.len();
    while let Some(ls) = lieux.pop() {
        let i = lieux.len();
        if i & 0xFFFF == 0 {
            rendre_memoire(&lieux, rendu_jusqua);
            rendu_jusqua = i;
        }
        let x = rang[i] as usize;
        let reference = std::mem::take(&mut refs[x]);
        let k = groupe_de[x];
        if k == SEUL {
            let id = fusion::identifiant(&reference);
            sortie.push(fusion::singleton(ls, reference, id));
            groupe_sortie.push(SEUL);
            continue;
        }
        let attente = en_attente.entry(k).or_default();
        attente.push((ls, reference));
        if attente.len() == g.groupes[k as usize].len() {
            let membres = en_attente.remove(&k).unwrap_or_default();
            let refs_groupe: Vec<String> = membres.iter().map(|(_, r)| r.clone()).collect();
            let lieux_groupe: Vec<&LieuSource> = membres.iter().map(|(l, _)| l).collect();
            sortie.push(fusion::fusionner(&lieux_groupe, &refs_groupe, &priorite));
            groupe_sortie.push(k);
        }
    }
    drop(refs);
    // Sort by id in place: a permutation applied cycle by cycle.
    let mut perm: Vec<u32> = (0..sortie.len() as u32).collect();
    perm.sort_unstable_by(|&a, &b| sortie[a as usize].id.cmp(&sortie[b as usize].id));
    appliquer_permutation(&mut sortie, &perm);
    let groupe_sortie: Vec<u32> = perm.iter().map(|&p| groupe_sortie[p as usize]).collect();
    let groupes: Vec<Vec<usize>> = groupe_sortie
        .iter()
        .filter(|&&k| k != SEUL)
        .map(|&k| {
            let mut v: Vec<usize> = g.groupes[k as usize]
                .iter()
                .map(|&x| g.ordre[x as usize] as usize)
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    g.stats.duree_fusion_ms = t.elapsed().as_millis();
    ResultatDoublons {
        fusionnes: sortie,
        groupes,
        paires_candidates: g.paires_candidates,
        paires_retenues: g.paires_retenues,
        stats: g.stats,
    }
}

/// Gives back to the system the memory of the slots `v.len()..fin` of `v` (elements already
/// moved out). On Unix the pages are dropped in place (`madvise`), whatever the allocator: a
/// `shrink_to_fit` would copy the rest of a large vector with allocators that do not shrink
/// in place, and hold both copies meanwhile. Elsewhere, nothing is done.
#[cfg_attr(
    unix,
    expect(unsafe_code, reason = "madvise(MADV_DONTNEED) on moved-out slots")
)]
fn rendre_memoire<T>(v: &Vec<T>, fin: usize) {
    #[cfg(unix)]
    {
        let taille = std::mem::size_of::<T>();
        // SAFETY: sysconf has no precondition.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let base = v.as_ptr() as usize;
        let debut = (base + v.len() * taille).next_multiple_of(page);
        let fin = (base + fin.min(v.capacity()) * taille) / page * page;
        if fin > debut {
            // SAFETY: [debut, fin) lies inside the vector's allocation, past its length: the
            // elements there were moved out and are never read again; nothing is pushed to
            // `v` afterwards. MADV_DONTNEED only replaces those pages with zero pages on the
            // next access; the allocation itself is untouched and freed normally.
            unsafe {
                libc::madvise(debut as *mut libc::c_void, fin - debut, libc::MADV_DONTNEED);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (v, fin);
}

/// Reorders `v` so that `v[k]` becomes the old `v[perm[k]]`, in place (swaps along cycles).
fn appliquer_permutation<T>(v: &mut [T], perm: &[u32]) {
    let mut vu = vec![false; v.len()];
    for debut in 0..v.len() {
        if vu[debut] {
            continue;
        }
        let mut courant = debut;
        loop {
            vu[courant] = true;
            let suivant = perm[courant] as usize;
            if suivant == debut || vu[suivant] {
                break;
            }
            v.swap(courant, suivant);
            courant = suivant;
        }
    }
}

/// The groups of at least two records, as a table of the product's convention (see
/// [`crate::tableur`]): one row per member, the group named by its published id, then the
/// member's reference (`SOURCE#ID`), its source and its name; groups by id, members by ref.
pub fn groupes_tableau(resultat: &ResultatDoublons, lieux: &[LieuSource]) -> Tableau {
    let noms: std::collections::HashMap<String, &str> = lieux
        .iter()
        .map(|l| (l.reference(), l.lieu.nom.as_str()))
        .collect();
    let mut lignes: Vec<(&str, &str)> = Vec::new();
    for f in resultat.fusionnes.iter().filter(|f| f.membres.len() >= 2) {
        for m in &f.membres {
            lignes.push((f.id.as_str(), m.as_str()));
        }
    }
    lignes.sort_unstable();
    let mut t = Tableau::new(["Groupe (identifiant publié)", "Référence", "Source", "Nom"]);
    for (g, r) in lignes {
        let source = r.split_once('#').map(|(s, _)| s).unwrap_or_default();
        t.lignes.push(vec![
            Valeur::texte(g),
            Valeur::texte(r),
            Valeur::texte(source),
            Valeur::texte(noms.get(r).copied().unwrap_or_default()),
        ]);
    }
    t
}
