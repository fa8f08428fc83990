//! Candidate pairs by blocking: only records that share something are compared.
//!
//! Two mechanisms, both bounded per record so that the number of pairs grows linearly with
//! the number of records, whatever the density (Paris, or 20,000 places of one commune):
//!
//! 1. **Space**: each record with a non-approximate point is paired with its
//!    `voisins_max` nearest neighbours (k-nearest in an R-tree) that are within `rayon_m`.
//!    A plain "every pair within 300 m" (`maillage_geo::GridIndex::pairs_within`) would be
//!    quadratic where places are dense or share one geocoded point (a commune centroid, a
//!    town hall); the k nearest are where the duplicates are, and the key blocks below catch
//!    a duplicate lost in a crowd. Approximate points (centroids filled in) are left out.
//! 2. **Keys** (sorted blocks): records are grouped by
//!    - `nom`: postal code + each of the two longest distinctive words of the name; a name
//!      with none (`"Mairie de X"`) gives postal code + kind of structure;
//!    - `voie`: postal code + normalised street name;
//!    - `siret` / `rna`, `telephone`, `courriel`: the value alone, nationwide (the same place
//!      geocoded kilometres apart, or in another commune by a wrong postal code);
//!    - `reprise`: an id built from another record's id (`{id}-mediation-numerique-{source}`)
//!      with the record it names.
//!
//!    Within a block, records are sorted by a secondary key (house number for a street,
//!    name for a word, postal code then name for an identifier) and each record is paired
//!    with the next `fenetre` records only (sorted neighbourhood). A block of at most
//!    `fenetre + 1` records is thus compared in full; a bigger one — a generic e-mail shared
//!    by 200 places, a city council's SIRET, "jean" in Paris — costs `fenetre` comparisons
//!    per record instead of all pairs, and still meets the records most alike on the
//!    secondary key. Such blocks are counted in [`StatsBlocage::blocs_plafonnes`].
//!
//! Per record: at most `voisins_max` spatial pairs, and at most `fenetre` pairs per block it
//! belongs to (two name words, one street, SIRET, phone, e-mails): with the defaults (6 and
//! 6), a few dozen comparisons per record at worst, about 9 on average for a million
//! synthetic places, 1 on the real sources.

use super::normalisation::{hacher, Empreinte, PivotCle};
use super::parallele::en_parallele_vers;
use maillage_domain::texte::mots;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

/// Counts of candidate generation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StatsBlocage {
    /// Pairs emitted by all mechanisms, counting a pair once per mechanism that found it:
    /// the number of comparisons blocking asked for before deduplication.
    pub comparaisons: usize,
    pub paires_espace: usize,
    pub paires_nom: usize,
    pub paires_voie: usize,
    /// SIRET, RNA, phone, e-mail, copied ids.
    pub paires_identifiants: usize,
    /// Blocks larger than the window (compared by sorted neighbourhood only).
    pub blocs_plafonnes: usize,
    /// Size of the largest block.
    pub plus_grand_bloc: usize,
    /// Distinct pairs to score.
    pub paires_uniques: usize,
}

/// Kinds of blocking keys, stored in the top 3 bits of a key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum TypeCle {
    Nom = 1,
    Voie = 2,
    Pivot = 3,
    Telephone = 4,
    Courriel = 5,
    Reprise = 6,
}

const MASQUE: u64 = (1 << 61) - 1;

pub(crate) fn cle(t: TypeCle, h: u64) -> u64 {
    (h & MASQUE) | ((t as u64) << 61)
}

fn type_de(cle: u64) -> u8 {
    (cle >> 61) as u8
}

/// A record in a block: key, secondary sort key, record.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entree {
    pub cle: u64,
    pub tri: u32,
    pub rec: u32,
}

/// First bytes of a text as a number, to sort alphabetically.
fn prefixe(s: &str, octets: usize) -> u32 {
    let mut v = 0u32;
    for k in 0..octets {
        v = (v << 8) | u32::from(s.as_bytes().get(k).copied().unwrap_or(0));
    }
    v
}

/// Postal code then name: neighbours in an identifier block are in the same commune.
fn tri_commune_nom(e: &Empreinte) -> u32 {
    (e.code_postal << 15) | (prefixe(&e.nom.coeur, 2) >> 1)
}

/// The entries of the identifier blocks (SIRET/RNA, phone, e-mails), also used to count how
/// many records share each value.
pub(crate) fn entrees_identifiants(emp: &[Empreinte]) -> Vec<Entree> {
    let mut v = Vec::new();
    for (rec, e) in emp.iter().enumerate() {
        let rec = rec as u32;
        let tri = tri_commune_nom(e);
        match e.pivot() {
            PivotCle::Siret(s) => v.push(Entree {
                cle: cle(TypeCle::Pivot, s),
                tri,
                rec,
            }),
            PivotCle::Rna(h) => v.push(Entree {
                cle: cle(TypeCle::Pivot, h ^ 0x5bd1_e995),
                tri,
                rec,
            }),
            PivotCle::Aucun => {}
        }
        if let Some(t) = e.telephone() {
            v.push(Entree {
                cle: cle(TypeCle::Telephone, hacher(&[&t.to_le_bytes()])),
                tri,
                rec,
            });
        }
        for (c, _) in e.courriels() {
            v.push(Entree {
                cle: cle(TypeCle::Courriel, c),
                tri,
                rec,
            });
        }
    }
    v
}

/// Sets the frequencies of SIRETs, phones and e-mails from the identifier blocks.
pub(crate) fn compter_frequences(emp: &mut [Empreinte]) {
    let mut v = entrees_identifiants(emp);
    v.sort_unstable_by_key(|e| e.cle);
    for bloc in v.chunk_by(|x, y| x.cle == y.cle) {
        let n = bloc.len() as u32;
        for x in bloc {
            let e = &mut emp[x.rec as usize];
            match type_de(x.cle) {
                t if t == TypeCle::Pivot as u8 => e.freq_siret = n,
                t if t == TypeCle::Telephone as u8 => e.freq_telephone = n,
                _ => {
                    let h = e
                        .courriels()
                        .map(|(c, _)| c)
                        .find(|c| cle(TypeCle::Courriel, *c) == x.cle);
                    if let Some(h) = h {
                        e.noter_frequence_courriel(h, n);
                    }
                }
            }
        }
    }
}

/// Entries of the name blocks: postal code + each of the two longest distinctive words of
/// the name, or postal code + kind of structure for a name with none.
fn entrees_nom(emp: &[Empreinte]) -> Vec<Entree> {
    let mut v = Vec::with_capacity(emp.len() * 2);
    for (rec, e) in emp.iter().enumerate() {
        let rec = rec as u32;
        // One commune key, the postal code: every source gives it (the INSEE code is often
        // missing), and a second key would double the blocks for little gain (the spatial
        // and identifier blocks catch the rest).
        let c = e.code_postal.to_le_bytes();
        // Name: the two longest distinctive words (long words are the rare ones).
        let commune_mots: Vec<&str> = mots(e.commune()).collect();
        let mut distinctifs: Vec<&str> = mots(&e.nom.coeur)
            .filter(|w| {
                w.len() >= 3 && !commune_mots.contains(w) && !w.bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        distinctifs.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        distinctifs.dedup();
        let tri_nom = prefixe(&e.nom.coeur, 4);
        if distinctifs.is_empty() {
            let cat = [
                e.nom.categorie.map_or(0u8, |c| c as u8 + 1),
                u8::from(e.itinerant),
            ];
            v.push(Entree {
                cle: cle(TypeCle::Nom, hacher(&[b"c", &c, &cat])),
                tri: tri_nom,
                rec,
            });
        } else {
            for w in distinctifs.iter().take(2) {
                v.push(Entree {
                    cle: cle(TypeCle::Nom, hacher(&[b"n", &c, w.as_bytes()])),
                    tri: tri_nom,
                    rec,
                });
            }
        }
    }
    v
}

/// Entries of the street blocks: postal code + normalised street name.
fn entrees_voie(emp: &[Empreinte]) -> Vec<Entree> {
    let mut v = Vec::with_capacity(emp.len());
    for (rec, e) in emp.iter().enumerate() {
        if e.adresse.voie.is_empty() {
            continue;
        }
        let c = e.code_postal.to_le_bytes();
        let tri = e.adresse.numero.map_or(0, |(a, _)| a.min(0xFFFF) << 16)
            | (prefixe(&e.nom.coeur, 2) & 0xFFFF);
        v.push(Entree {
            cle: cle(TypeCle::Voie, hacher(&[&c, e.adresse.voie.as_bytes()])),
            tri,
            rec: rec as u32,
        });
    }
    v
}

/// Entries of the copied-id blocks: each copied record with the record it names.
/// `references` lists the records that another record's id names, with the key it names
/// them by.
fn entrees_reprise(emp: &[Empreinte], references: &[(u32, u64)]) -> Vec<Entree> {
    let mut v = Vec::with_capacity(references.len());
    for &(rec, k) in references {
        v.push(Entree {
            cle: cle(TypeCle::Reprise, k),
            tri: 1,
            rec,
        });
    }
    for (rec, e) in emp.iter().enumerate() {
        if let Some(r) = e.reprise_de() {
            v.push(Entree {
                cle: cle(TypeCle::Reprise, r),
                tri: 0,
                rec: rec as u32,
            });
        }
    }
    v
}

/// Pairs of a set of entries, by sorted neighbourhood within each block.
fn paires_blocs(
    mut v: Vec<Entree>,
    fenetre: usize,
    stats: &mut StatsBlocage,
    paires: &mut Vec<u64>,
) {
    v.sort_unstable();
    // A record never appears twice in a block (its keys are distinct), but skip self-pairs
    // anyway.
    for bloc in v.chunk_by(|x, y| x.cle == y.cle) {
        if bloc.len() < 2 {
            continue;
        }
        stats.plus_grand_bloc = stats.plus_grand_bloc.max(bloc.len());
        if bloc.len() > fenetre + 1 {
            stats.blocs_plafonnes += 1;
        }
        let t = type_de(bloc[0].cle);
        for p in 0..bloc.len() {
            for q in p + 1..bloc.len().min(p + 1 + fenetre) {
                let (i, j) = (bloc[p].rec, bloc[q].rec);
                if i == j {
                    continue;
                }
                paires.push(paquet(i, j));
                stats.comparaisons += 1;
                match t {
                    x if x == TypeCle::Nom as u8 => stats.paires_nom += 1,
                    x if x == TypeCle::Voie as u8 => stats.paires_voie += 1,
                    _ => stats.paires_identifiants += 1,
                }
            }
        }
    }
}

pub(crate) fn paquet(i: u32, j: u32) -> u64 {
    let (a, b) = if i < j { (i, j) } else { (j, i) };
    (u64::from(a) << 32) | u64::from(b)
}

pub(crate) fn depaqueter(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

type PointArbre = GeomWithData<[f64; 3], u32>;

/// Earth-centred coordinates in metres: the chord between two points is within 1 mm of the
/// great-circle distance below 10 km.
fn cartesien(lat: f64, lon: f64) -> [f64; 3] {
    const R: f64 = maillage_geo::EARTH_RADIUS_M;
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [
        R * la.cos() * lo.cos(),
        R * la.cos() * lo.sin(),
        R * la.sin(),
    ]
}

/// Spatial pairs: each point with its `k` nearest neighbours within `rayon_m`, appended to
/// `paires` (not sorted; a pair may be there twice); gives how many were emitted, counting
/// a pair found from both of its points twice.
///
/// Each chunk of points (in the tree's order, so neighbours in space) drops its own
/// duplicates before it is appended: a pair usually comes twice, from each of its points,
/// and mostly within one chunk, so the pairs held are about half of those emitted.
fn paires_espace(
    emp: &[Empreinte],
    rayon_m: f64,
    k: usize,
    threads: usize,
    paires: &mut Vec<u64>,
) -> usize {
    let points: Vec<PointArbre> = emp
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            e.point()
                .map(|(la, lo)| GeomWithData::new(cartesien(la, lo), i as u32))
        })
        .collect();
    if points.len() < 2 || k == 0 {
        return 0;
    }
    let arbre = RTree::bulk_load(points);
    // Queries in the tree's own order: neighbours in space are neighbours in memory.
    let points: Vec<&PointArbre> = arbre.iter().collect();
    let r2 = rayon_m * rayon_m;
    let emises = std::sync::atomic::AtomicUsize::new(0);
    en_parallele_vers(
        points.len(),
        threads,
        |plage| {
            let mut out = Vec::with_capacity(plage.len() * k);
            for p in points[plage].iter().copied() {
                let moi = p.data;
                let voisins = arbre
                    .nearest_neighbor_iter_with_distance_2(p.geom())
                    .take_while(|(_, d2)| *d2 <= r2)
                    .filter(|(q, _)| q.data != moi)
                    .take(k);
                for (q, _) in voisins {
                    out.push(paquet(moi, q.data));
                }
            }
            emises.fetch_add(out.len(), std::sync::atomic::Ordering::Relaxed);
            out.sort_unstable();
            out.dedup();
            out
        },
        paires,
    );
    emises.into_inner()
}

/// At least as many pairs as [`candidats`] emits before deduplication: `k` per point, and
/// `fenetre` per block entry.
fn borne_paires(emp: &[Empreinte], references: &[(u32, u64)], k: usize, fenetre: usize) -> usize {
    let mut points = 0usize;
    let mut entrees = references.len();
    for e in emp {
        points += usize::from(e.point().is_some());
        // Identifiers, two name words, one street, one copied id.
        entrees += usize::from(e.pivot() != PivotCle::Aucun)
            + usize::from(e.telephone().is_some())
            + e.courriels().count()
            + 2
            + 1
            + usize::from(e.reprise_de().is_some());
    }
    points
        .saturating_mul(k)
        .saturating_add(entrees.saturating_mul(fenetre))
}

/// All candidate pairs (packed, sorted, distinct) over records in internal order.
///
/// The pairs go into one vector reserved once at a bound of what the steps emit
/// ([`borne_paires`]): the system backs only the pages written, and the vector is never
/// copied to grow (a copy would hold both buffers at the peak of the re-merge of a large
/// directory). Each step's duplicates are dropped before the next step, and the pages past
/// the final pairs are given back ([`super::rendre_memoire`]).
pub(crate) fn candidats(
    emp: &[Empreinte],
    references: &[(u32, u64)],
    rayon_m: f64,
    voisins_max: usize,
    fenetre: usize,
    threads: usize,
) -> (Vec<u64>, StatsBlocage) {
    let mut stats = StatsBlocage::default();
    let mut paires: Vec<u64> =
        Vec::with_capacity(borne_paires(emp, references, voisins_max, fenetre));
    let emises = paires_espace(emp, rayon_m, voisins_max, threads, &mut paires);
    stats.paires_espace = emises;
    stats.comparaisons = emises;
    // Duplicates dropped between the steps (the result is the same sorted set): the pairs
    // of the next step reuse the room of the duplicates instead of growing the vector (a
    // spatial pair usually comes twice, once from each point).
    paires.sort_unstable();
    paires.dedup();
    paires_blocs(entrees_identifiants(emp), fenetre, &mut stats, &mut paires);
    paires.sort_unstable();
    paires.dedup();
    // One kind of key at a time (keys of two kinds never meet in a block, so the blocks
    // are the same as with all the entries at once): the entries of one kind only are held.
    paires_blocs(entrees_nom(emp), fenetre, &mut stats, &mut paires);
    paires.sort_unstable();
    paires.dedup();
    paires_blocs(entrees_voie(emp), fenetre, &mut stats, &mut paires);
    paires_blocs(
        entrees_reprise(emp, references),
        fenetre,
        &mut stats,
        &mut paires,
    );
    paires.sort_unstable();
    paires.dedup();
    super::rendre_memoire(&paires, paires.capacity());
    stats.paires_uniques = paires.len();
    (paires, stats)
}
