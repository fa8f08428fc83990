//! Heuristics: lazy greedy, swap local search, iterated local search.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use super::{Alea, Probleme};

/// Lazy greedy (CELF): `p` candidates (fewer if there are fewer), each
/// adding the most uncovered weight. Marginal gains only decrease as sites
/// are added, so a candidate popped from the priority queue whose gain,
/// recomputed, still tops the queue is the best one: most gains are never
/// recomputed.
///
/// Returns the chosen candidates in the order they were chosen, with the
/// weight each one added.
pub fn glouton(probleme: &Probleme, p: usize) -> Vec<(usize, f64)> {
    #[derive(PartialEq)]
    struct Entree {
        gain: f64,
        candidat: usize,
        etape: usize,
    }
    impl Eq for Entree {}
    impl Ord for Entree {
        fn cmp(&self, other: &Self) -> Ordering {
            self.gain
                .total_cmp(&other.gain)
                // Lower index first among equal gains, for determinism.
                .then(other.candidat.cmp(&self.candidat))
        }
    }
    impl PartialOrd for Entree {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    let mut couvert = vec![false; probleme.nombre_demandes()];
    let gain = |j: usize, couvert: &[bool]| -> f64 {
        probleme
            .couverture(j)
            .iter()
            .filter(|&&d| !couvert[d as usize])
            .map(|&d| probleme.poids[d as usize])
            .sum()
    };
    let mut tas: BinaryHeap<Entree> = (0..probleme.nombre_candidats())
        .map(|j| Entree {
            gain: gain(j, &couvert),
            candidat: j,
            etape: 0,
        })
        .collect();
    let mut choisis = Vec::with_capacity(p);
    while choisis.len() < p {
        let Some(entree) = tas.pop() else {
            break;
        };
        let etape = choisis.len();
        if entree.etape == etape {
            for &d in probleme.couverture(entree.candidat) {
                couvert[d as usize] = true;
            }
            choisis.push((entree.candidat, entree.gain));
        } else {
            tas.push(Entree {
                gain: gain(entree.candidat, &couvert),
                candidat: entree.candidat,
                etape,
            });
        }
    }
    choisis
}

/// Current solution with the counters that make a swap cheap to evaluate.
#[derive(Clone)]
pub(crate) struct Etat<'a> {
    pb: &'a Probleme,
    ouvert: Vec<bool>,
    sites: Vec<u32>,
    /// Per demand point: number of open sites covering it, and the sum of
    /// their indices (the only one's index when the number is 1).
    nombre: Vec<u32>,
    somme: Vec<u64>,
    /// Per candidate: uncovered weight it would add if opened.
    gain: Vec<f64>,
    /// Per open site: weight covered by it alone (lost if it closed).
    perte: Vec<f64>,
    valeur: f64,
    /// Sites opened (`true`) and closed (`false`), in order, for undoing.
    journal: Vec<(bool, u32)>,
}

impl<'a> Etat<'a> {
    pub(crate) fn new(pb: &'a Probleme) -> Etat<'a> {
        let m = pb.nombre_candidats();
        let gain = (0..m)
            .map(|j| pb.couverture(j).iter().map(|&d| pb.poids[d as usize]).sum())
            .collect();
        Etat {
            pb,
            ouvert: vec![false; m],
            sites: Vec::new(),
            nombre: vec![0; pb.nombre_demandes()],
            somme: vec![0; pb.nombre_demandes()],
            gain,
            perte: vec![0.0; m],
            valeur: 0.0,
            journal: Vec::new(),
        }
    }

    pub(crate) fn ouvrir(&mut self, i: usize) {
        if self.ouvert[i] {
            return;
        }
        self.ouvert[i] = true;
        self.sites.push(i as u32);
        self.journal.push((true, i as u32));
        for &d in self.pb.couverture(i) {
            let d = d as usize;
            let w = self.pb.poids[d];
            match self.nombre[d] {
                0 => {
                    self.valeur += w;
                    self.perte[i] += w;
                    for &k in self.pb.couvrants(d) {
                        self.gain[k as usize] -= w;
                    }
                }
                1 => self.perte[self.somme[d] as usize] -= w,
                _ => {}
            }
            self.nombre[d] += 1;
            self.somme[d] += i as u64;
        }
    }

    pub(crate) fn fermer(&mut self, j: usize) {
        if !self.ouvert[j] {
            return;
        }
        self.ouvert[j] = false;
        self.journal.push((false, j as u32));
        if let Some(position) = self.sites.iter().position(|&s| s as usize == j) {
            self.sites.swap_remove(position);
        }
        for &d in self.pb.couverture(j) {
            let d = d as usize;
            let w = self.pb.poids[d];
            self.nombre[d] -= 1;
            self.somme[d] -= j as u64;
            match self.nombre[d] {
                0 => {
                    self.valeur -= w;
                    self.perte[j] -= w;
                    for &k in self.pb.couvrants(d) {
                        self.gain[k as usize] += w;
                    }
                }
                1 => self.perte[self.somme[d] as usize] += w,
                _ => {}
            }
        }
        self.perte[j] = 0.0;
    }

    /// Undoes the changes made since the journal had `longueur` entries.
    fn annuler_jusqu_a(&mut self, longueur: usize) {
        while self.journal.len() > longueur {
            let Some((ouvert, site)) = self.journal.pop() else {
                break;
            };
            if ouvert {
                self.fermer(site as usize);
            } else {
                self.ouvrir(site as usize);
            }
            // The inverse change logged itself: drop it.
            self.journal.pop();
        }
    }

    /// Resets to the sites `sites`.
    fn reprendre(&mut self, sites: &[u32]) {
        let pb = self.pb;
        *self = Etat::new(pb);
        for &j in sites {
            self.ouvrir(j as usize);
        }
    }

    fn sites_tries(&self) -> Vec<usize> {
        let mut sites: Vec<usize> = self.sites.iter().map(|&s| s as usize).collect();
        sites.sort_unstable();
        sites
    }
}

/// Buffers of the swap search, kept across calls.
struct Tampons {
    supplement: Vec<f64>,
    marque: Vec<u32>,
    tour: u32,
    touches: Vec<usize>,
    par_perte: Vec<usize>,
    /// Candidates to evaluate, and whether each is in the queue.
    file: std::collections::VecDeque<usize>,
    en_file: Vec<bool>,
}

impl Tampons {
    fn new(m: usize) -> Tampons {
        Tampons {
            supplement: vec![0.0; m],
            marque: vec![0; m],
            tour: 0,
            touches: Vec::new(),
            par_perte: Vec::new(),
            file: std::collections::VecDeque::new(),
            en_file: vec![false; m],
        }
    }

    fn pousser(&mut self, i: usize) {
        if !self.en_file[i] {
            self.en_file[i] = true;
            self.file.push_back(i);
        }
    }

    /// Queues every candidate sharing a demand point with site `s`.
    fn pousser_voisins(&mut self, pb: &Probleme, s: usize) {
        for &d in pb.couverture(s) {
            for &k in pb.couvrants(d as usize) {
                self.pousser(k as usize);
            }
        }
    }
}

/// Seuil of improvement: relative to the covered weight.
fn seuil(valeur: f64) -> f64 {
    1e-9 * (1.0 + valeur.abs())
}

/// The best swap for closed candidate `i`: `(gain, site to close)`.
///
/// The swap gains `gain[i] − perte[j] + supplement[j]`, where
/// `supplement[j]` is the weight covered by both `i` and `j` alone: found
/// in time linear in the coverage of `i`, the best site not sharing such
/// weight being the first of the sites sorted by `perte`.
fn meilleur_echange(etat: &Etat<'_>, tampons: &mut Tampons, i: usize) -> Option<(f64, usize)> {
    tampons.tour = tampons.tour.wrapping_add(1);
    if tampons.tour == 0 {
        tampons.marque.iter_mut().for_each(|x| *x = 0);
        tampons.tour = 1;
    }
    let tour = tampons.tour;
    tampons.touches.clear();
    for &d in etat.pb.couverture(i) {
        let d = d as usize;
        if etat.nombre[d] == 1 {
            let j = etat.somme[d] as usize;
            if tampons.marque[j] != tour {
                tampons.marque[j] = tour;
                tampons.supplement[j] = 0.0;
                tampons.touches.push(j);
            }
            tampons.supplement[j] += etat.pb.poids[d];
        }
    }
    let gain = etat.gain[i];
    let mut meilleur: Option<(f64, usize)> = None;
    for &j in &tampons.touches {
        let delta = gain - etat.perte[j] + tampons.supplement[j];
        if meilleur.is_none_or(|(b, _)| delta > b) {
            meilleur = Some((delta, j));
        }
    }
    if let Some(&j) = tampons
        .par_perte
        .iter()
        .find(|&&j| tampons.marque[j] != tour)
    {
        let delta = gain - etat.perte[j];
        if meilleur.is_none_or(|(b, _)| delta > b) {
            meilleur = Some((delta, j));
        }
    }
    meilleur
}

fn trier_par_perte(etat: &Etat<'_>, par_perte: &mut Vec<usize>) {
    par_perte.clear();
    par_perte.extend(etat.sites.iter().map(|&s| s as usize));
    par_perte.sort_unstable_by(|&a, &b| etat.perte[a].total_cmp(&etat.perte[b]));
}

/// Swap local search over the queued candidates: each is evaluated once;
/// an improving swap is made at once and queues the candidates sharing
/// demand with the two sites changed (their gains and shared weights
/// changed). With every candidate queued, the search ends at a local
/// optimum of the swap neighbourhood.
fn recherche_locale(etat: &mut Etat<'_>, tampons: &mut Tampons) {
    if etat.sites.is_empty() {
        tampons.file.clear();
        tampons.en_file.iter_mut().for_each(|x| *x = false);
        return;
    }
    trier_par_perte(etat, &mut tampons.par_perte);
    while let Some(i) = tampons.file.pop_front() {
        tampons.en_file[i] = false;
        if etat.ouvert[i] || etat.gain[i] <= seuil(etat.valeur) {
            continue;
        }
        if let Some((delta, j)) = meilleur_echange(etat, tampons, i) {
            if delta > seuil(etat.valeur) {
                etat.fermer(j);
                etat.ouvrir(i);
                trier_par_perte(etat, &mut tampons.par_perte);
                tampons.pousser_voisins(etat.pb, i);
                tampons.pousser_voisins(etat.pb, j);
            }
        }
    }
}

/// Full swap local search: every candidate queued, until no swap improves.
fn recherche_locale_complete(etat: &mut Etat<'_>, tampons: &mut Tampons) {
    loop {
        let avant = etat.valeur;
        for i in 0..etat.pb.nombre_candidats() {
            tampons.pousser(i);
        }
        recherche_locale(etat, tampons);
        if etat.valeur <= avant + seuil(avant) {
            break;
        }
    }
}

/// Iterated local search accepts a solution within this share of the best
/// one (record-to-record travel), to leave the basin of a local optimum.
const TOLERANCE: f64 = 0.001;

/// Lazy greedy, swap local search, then `iterations` rounds of iterated
/// local search within `duree_max`. Returns the sorted sites, their
/// covered weight, the greedy's covered weight and the rounds done.
pub(crate) fn recherche_iteree(
    probleme: &Probleme,
    p: usize,
    iterations: usize,
    duree_max: Option<Duration>,
    graine: u64,
) -> (Vec<usize>, f64, f64, usize) {
    let debut = Instant::now();
    let m = probleme.nombre_candidats();
    let p = p.min(m);
    let initial = glouton(probleme, p);
    let couvert_glouton: f64 = initial.iter().map(|(_, g)| g).sum();
    let mut etat = Etat::new(probleme);
    for &(j, _) in &initial {
        etat.ouvrir(j);
    }
    if p == 0 || p == m {
        let sites = etat.sites_tries();
        let couvert = probleme.couvert(&sites);
        return (sites, couvert, couvert_glouton, 0);
    }
    let mut tampons = Tampons::new(m);
    let mut alea = Alea::new(graine);
    recherche_locale_complete(&mut etat, &mut tampons);
    let mut meilleur = (etat.sites.clone(), etat.valeur);
    let mut courant = meilleur.clone();
    let mut faites = 0;
    let mut depuis_meilleur = 0;
    let mut interdits = vec![u32::MAX; m];
    for iteration in 0..iterations {
        if duree_max.is_some_and(|d| debut.elapsed() >= d) {
            break;
        }
        faites += 1;
        etat.journal.clear();
        // Perturbation: k times, close a random site and open either a
        // candidate sharing demand with it (a local move) or the best by
        // gain among a few random candidates (a jump); never one just
        // closed.
        let k = 1 + alea.sous(p.clamp(1, 3));
        let mut changes = Vec::with_capacity(2 * k);
        for _ in 0..k {
            let j = etat.sites[alea.sous(etat.sites.len())] as usize;
            etat.fermer(j);
            interdits[j] = iteration as u32;
            changes.push(j);
            let libre =
                |etat: &Etat<'_>, i: usize| !etat.ouvert[i] && interdits[i] != iteration as u32;
            let mut choix: Option<usize> = None;
            if alea.sous(2) == 0 {
                let couverture = probleme.couverture(j);
                if !couverture.is_empty() {
                    let d = couverture[alea.sous(couverture.len())] as usize;
                    let couvrants = probleme.couvrants(d);
                    let i = couvrants[alea.sous(couvrants.len())] as usize;
                    if libre(&etat, i) {
                        choix = Some(i);
                    }
                }
            }
            if choix.is_none() {
                for _ in 0..8 {
                    let i = alea.sous(m);
                    if libre(&etat, i) && choix.is_none_or(|c| etat.gain[i] > etat.gain[c]) {
                        choix = Some(i);
                    }
                }
            }
            if let Some(i) = choix {
                etat.ouvrir(i);
                changes.push(i);
            }
        }
        // Keep p sites even if the draws failed.
        while etat.sites.len() < p {
            let Some(i) = (0..m)
                .filter(|&i| !etat.ouvert[i])
                .max_by(|&a, &b| etat.gain[a].total_cmp(&etat.gain[b]))
            else {
                break;
            };
            etat.ouvrir(i);
            changes.push(i);
        }
        // Local search around the changes, and from the candidates whose
        // gain alone beats the cheapest site.
        for &s in &changes {
            tampons.pousser_voisins(probleme, s);
        }
        let perte_min = etat
            .sites
            .iter()
            .map(|&s| etat.perte[s as usize])
            .fold(f64::INFINITY, f64::min);
        for i in 0..m {
            if !etat.ouvert[i] && etat.gain[i] > perte_min {
                tampons.pousser(i);
            }
        }
        recherche_locale(&mut etat, &mut tampons);
        let seuil = 1e-9 * (1.0 + courant.1.abs());
        if etat.valeur > meilleur.1 + seuil {
            meilleur = (etat.sites.clone(), etat.valeur);
            depuis_meilleur = 0;
        } else {
            depuis_meilleur += 1;
        }
        if etat.valeur >= courant.1 - seuil || etat.valeur >= meilleur.1 * (1.0 - TOLERANCE) {
            courant = (etat.sites.clone(), etat.valeur);
        } else if depuis_meilleur > 200 {
            // Long without progress: restart from the best.
            etat.reprendre(&meilleur.0);
            courant = meilleur.clone();
            depuis_meilleur = 0;
        } else {
            etat.annuler_jusqu_a(0);
        }
    }
    // The best solution, made a local optimum of the full neighbourhood.
    etat.reprendre(&meilleur.0);
    recherche_locale_complete(&mut etat, &mut tampons);
    let mut sites: Vec<usize> = etat.sites.iter().map(|&s| s as usize).collect();
    sites.sort_unstable();
    // Recomputed from scratch: no rounding drift in the reported value.
    let couvert = probleme.couvert(&sites);
    (sites, couvert, couvert_glouton, faites)
}
