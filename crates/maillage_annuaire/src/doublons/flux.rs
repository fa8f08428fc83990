//! Duplicates over records read as a stream, in two passes, for the re-merge of a large
//! directory: the records are never all in memory at once.
//!
//! 1. [`Preparation`]: each record is fingerprinted as it is read and dropped; what is kept
//!    is its fingerprint (which carries what the `reprise` check and the typology check
//!    need, so that scoring reads no record), its ref (in one text buffer) and its postal
//!    code (interned). [`Preparation::detecter`] puts them in the internal order of
//!    [`dedupliquer`](super::dedupliquer) (postal code, ref), counts the identifiers and
//!    runs the same candidates, scores and groups; then everything but the group of each
//!    record is dropped ([`Detection`]).
//! 2. [`Assemblage`]: the records are read again, in the same order; a record alone becomes
//!    its published place at once, the members of a group are held until the last one is
//!    read, then merged.
//!
//! The published places, their ids, members, provenance and content are exactly those of
//! [`dedupliquer`](super::dedupliquer) on the same records (tests
//! `faille_fusion_en_flux_*`).

use super::normalisation::{empreinte_avec, hacher, Empreinte, Memo};
use super::{
    fusion, grouper_noyau, priorite, rang_selon, Decision, LieuFusionne, Noyau, OptionsDoublons,
    StatsDoublons,
};
use crate::lieux::LieuSource;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// The first pass: fingerprints of the records read so far, in reading order.
pub struct Preparation {
    options: OptionsDoublons,
    memo: Memo,
    empreintes: Vec<Empreinte>,
    /// The refs (`SOURCE#ID`) of the records, one after the other.
    refs: String,
    /// End of each record's ref in `refs`.
    fins: Vec<usize>,
    /// Postal code → its number in `codes_lus` order.
    codes: HashMap<String, u32>,
    /// Each record's postal code (number from `codes`).
    code_de: Vec<u32>,
    debut: Instant,
}

/// What the first pass decided: the group of each record, and nothing of the records but a
/// hash of each ref (to check that the second pass reads the same records in the same
/// order).
pub struct Detection {
    options: OptionsDoublons,
    /// Reading order → internal order.
    rang: Vec<u32>,
    /// Internal order → group number, or [`SEUL`].
    groupe_de: Vec<u32>,
    /// Members of each group, as reading indexes, sorted.
    groupes: Vec<Vec<usize>>,
    /// Reading order → hash of the ref.
    empreintes_refs: Vec<u64>,
    /// Distinct candidate pairs scored.
    pub paires_candidates: usize,
    /// Candidate pairs whose score reached the threshold.
    pub paires_retenues: usize,
    pub stats: StatsDoublons,
}

const SEUL: u32 = u32::MAX;

/// The ref of record `i` in the text buffer of the refs.
fn tranche<'a>(refs: &'a str, fins: &[usize], i: usize) -> &'a str {
    let debut = if i == 0 { 0 } else { fins[i - 1] };
    &refs[debut..fins[i]]
}

/// The records of the second pass are not those of the first (a change between the two
/// reads that the caller did not rule out).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("les fiches relues ne sont plus celles de la détection des doublons ({0})")]
pub struct ErreurRelecture(pub String);

impl Preparation {
    pub fn new(options: &OptionsDoublons) -> Self {
        Self::avec_capacite(options, 0)
    }

    /// [`Preparation::new`] for about `n` records: the fingerprints are reserved at once
    /// (growing a vector of two million by doubling would hold both buffers meanwhile, and
    /// up to twice the room needed).
    pub fn avec_capacite(options: &OptionsDoublons, n: usize) -> Self {
        Self {
            options: options.clone(),
            memo: Memo::default(),
            empreintes: Vec::with_capacity(n),
            refs: String::new(),
            fins: Vec::with_capacity(n),
            codes: HashMap::new(),
            code_de: Vec::with_capacity(n),
            debut: Instant::now(),
        }
    }

    /// Records read so far.
    pub fn len(&self) -> usize {
        self.empreintes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.empreintes.is_empty()
    }

    /// Fingerprints one record (the record itself is not kept).
    pub fn ajouter(&mut self, ls: &LieuSource) {
        self.empreintes.push(empreinte_avec(ls, &mut self.memo));
        self.refs.push_str(&ls.source);
        self.refs.push('#');
        self.refs.push_str(&ls.lieu.id);
        self.fins.push(self.refs.len());
        let code = ls.lieu.code_postal.as_str();
        let n = match self.codes.get(code) {
            Some(&n) => n,
            None => {
                let n = self.codes.len() as u32;
                self.codes.insert(code.to_string(), n);
                n
            }
        };
        self.code_de.push(n);
    }

    /// Steps 1–4 of [`dedupliquer`](super::dedupliquer) on the records read: the same
    /// internal order, frequencies, candidates, scores and groups.
    pub fn detecter(self, decisions: &[(String, String, Decision)]) -> Detection {
        let Preparation {
            options,
            memo,
            mut empreintes,
            refs,
            fins,
            codes,
            code_de,
            debut,
        } = self;
        drop(memo);
        let n = empreintes.len();
        let mut stats = StatsDoublons {
            lieux: n,
            ..Default::default()
        };
        let reference = |i: usize| tranche(&refs, &fins, i);
        // Postal codes ranked in their own order (that of `CodePostal`: the text's).
        let mut codes: Vec<(String, u32)> = codes.into_iter().collect();
        codes.sort_unstable();
        let mut rang_code = vec![0u32; codes.len()];
        for (r, (_, n)) in codes.iter().enumerate() {
            rang_code[*n as usize] = r as u32;
        }
        drop(codes);
        // Internal order: by postal code, then ref (as `Corpus::preparer`).
        let mut ordre: Vec<u32> = (0..n as u32).collect();
        ordre.sort_unstable_by(|&a, &b| {
            rang_code[code_de[a as usize] as usize]
                .cmp(&rang_code[code_de[b as usize] as usize])
                .then_with(|| reference(a as usize).cmp(reference(b as usize)))
                .then(a.cmp(&b))
        });
        drop(code_de);
        drop(rang_code);
        let mut rang = vec![0u32; n];
        for (k, &i) in ordre.iter().enumerate() {
            rang[i as usize] = k as u32;
        }
        super::appliquer_permutation(&mut empreintes, &ordre);
        let rang_ref = rang_selon(n, |k| reference(ordre[k] as usize));
        // The refs the decisions name, in internal indexes (the first record wins for a
        // duplicated ref, as in `dedupliquer`).
        let mut nommes: HashMap<String, u32> = HashMap::new();
        if !decisions.is_empty() {
            let nommees: HashSet<&str> = decisions
                .iter()
                .flat_map(|(a, b, _)| [a.as_str(), b.as_str()])
                .collect();
            for (k, &i) in ordre.iter().enumerate() {
                let r = reference(i as usize);
                if nommees.contains(r) && !nommes.contains_key(r) {
                    nommes.insert(r.to_string(), k as u32);
                }
            }
        }
        let empreintes_refs: Vec<u64> =
            (0..n).map(|i| hacher(&[reference(i).as_bytes()])).collect();
        // The refs are not needed any more: only the fingerprints go on. Nor the order
        // until the groups are found: it is the inverse of `rang`, rebuilt then.
        drop(fins);
        drop(refs);
        drop(ordre);
        let noyau = Noyau::nouveau(empreintes, rang_ref, &options);
        stats.duree_preparation_ms = debut.elapsed().as_millis();
        let index: HashMap<&str, u32> = nommes.iter().map(|(r, &k)| (r.as_str(), k)).collect();
        let (groupes_internes, paires_candidates, paires_retenues) =
            grouper_noyau(&noyau, decisions, &index, &options, &mut stats);
        drop(index);
        drop(noyau);
        let mut ordre = vec![0u32; n];
        for (i, &k) in rang.iter().enumerate() {
            ordre[k as usize] = i as u32;
        }
        let mut groupe_de = vec![SEUL; n];
        let mut groupes = Vec::with_capacity(groupes_internes.len());
        for (k, membres) in groupes_internes.into_iter().enumerate() {
            let mut entree: Vec<usize> = membres
                .iter()
                .map(|&x| {
                    groupe_de[x as usize] = k as u32;
                    ordre[x as usize] as usize
                })
                .collect();
            entree.sort_unstable();
            groupes.push(entree);
        }
        Detection {
            options,
            rang,
            groupe_de,
            groupes,
            empreintes_refs,
            paires_candidates,
            paires_retenues,
            stats,
        }
    }
}

impl Detection {
    /// Records of the first pass.
    pub fn len(&self) -> usize {
        self.rang.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rang.is_empty()
    }

    /// Groups of at least two records, as reading indexes, each sorted (in no particular
    /// order between groups).
    pub fn groupes(&self) -> &[Vec<usize>] {
        &self.groupes
    }

    /// Starts the second pass.
    pub fn assembler(&self) -> Assemblage<'_> {
        Assemblage {
            detection: self,
            suivant: 0,
            en_attente: HashMap::new(),
        }
    }
}

/// The second pass: the records read again, in the order of the first.
pub struct Assemblage<'d> {
    detection: &'d Detection,
    /// Reading index of the next record.
    suivant: usize,
    /// Members read of the groups not complete yet.
    en_attente: HashMap<u32, Vec<(LieuSource, String)>>,
}

impl Assemblage<'_> {
    /// Takes the next record; gives the published place it completes, if any (a record
    /// alone, or the last member of a group read).
    pub fn ajouter(&mut self, ls: LieuSource) -> Result<Option<LieuFusionne>, ErreurRelecture> {
        let d = self.detection;
        let i = self.suivant;
        let reference = ls.reference();
        if d.empreintes_refs.get(i) != Some(&hacher(&[reference.as_bytes()])) {
            return Err(ErreurRelecture(format!(
                "fiche {} lue en position {} sur {}",
                reference,
                i + 1,
                d.len()
            )));
        }
        self.suivant += 1;
        let x = d.rang[i] as usize;
        let k = d.groupe_de[x];
        if k == SEUL {
            let id = fusion::identifiant(&reference);
            return Ok(Some(fusion::singleton(ls, reference, id)));
        }
        let attente = self.en_attente.entry(k).or_default();
        attente.push((ls, reference));
        if attente.len() < d.groupes[k as usize].len() {
            return Ok(None);
        }
        let membres = self.en_attente.remove(&k).unwrap_or_default();
        let refs: Vec<String> = membres.iter().map(|(_, r)| r.clone()).collect();
        let lieux: Vec<&LieuSource> = membres.iter().map(|(l, _)| l).collect();
        let priorite = priorite(&d.options);
        Ok(Some(fusion::fusionner(&lieux, &refs, &priorite)))
    }

    /// Members held, waiting for the rest of their group.
    pub fn en_attente(&self) -> usize {
        self.en_attente.values().map(Vec::len).sum()
    }

    /// Checks that every record of the first pass was read again.
    pub fn terminer(self) -> Result<(), ErreurRelecture> {
        let n = self.detection.len();
        if self.suivant != n || !self.en_attente.is_empty() {
            return Err(ErreurRelecture(format!(
                "{} fiches relues sur {n}",
                self.suivant
            )));
        }
        Ok(())
    }
}

/// [`dedupliquer`](super::dedupliquer) in two passes over `lieux`, as the re-merge runs it
/// over the store: the published places sorted by id, and the groups (input indexes, each
/// sorted) in the order of their places.
pub fn dedupliquer_en_deux_passes(
    lieux: &[LieuSource],
    decisions: &[(String, String, Decision)],
    options: &OptionsDoublons,
) -> Result<(Vec<LieuFusionne>, Vec<Vec<usize>>), ErreurRelecture> {
    let mut preparation = Preparation::new(options);
    for ls in lieux {
        preparation.ajouter(ls);
    }
    let detection = preparation.detecter(decisions);
    let mut assemblage = detection.assembler();
    let mut fusionnes = Vec::new();
    for ls in lieux {
        if let Some(f) = assemblage.ajouter(ls.clone())? {
            fusionnes.push(f);
        }
    }
    assemblage.terminer()?;
    fusionnes.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let index: HashMap<String, usize> = lieux
        .iter()
        .enumerate()
        .map(|(i, l)| (l.reference(), i))
        .collect();
    let groupes = fusionnes
        .iter()
        .filter(|f| f.membres.len() >= 2)
        .map(|f| {
            let mut v: Vec<usize> = f
                .membres
                .iter()
                .filter_map(|m| index.get(m).copied())
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    Ok((fusionnes, groupes))
}
