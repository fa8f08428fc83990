//! Planning the stops of an itinerant tour: a maximal covering location
//! problem (MCLP).
//!
//! Choose `p` sites among candidates so as to maximise the weight of the
//! demand points within a radius of a chosen site. The solver works on a
//! [`Probleme`]: the weight of each demand point and, for each candidate,
//! the demand points it covers. It is built from points and a radius
//! ([`Instance::probleme`], near-linear through a grid) or from explicit
//! coverage lists ([`Probleme::depuis_couvertures`], e.g. from network
//! distances).
//!
//! - [`resoudre`]: lazy greedy, then swap local search and iterated local
//!   search (perturbation + local search) within an iteration and time
//!   budget; optionally a Lagrangian upper bound and the gap.
//! - [`borne_lagrangienne`]: an upper bound on the optimum by subgradient
//!   optimisation of the Lagrangian relaxation of the coverage constraints.
//! - [`resoudre_exact`]: an exact integer programme solved by `microlp`
//!   (pure Rust branch and bound), for small instances.
//! - [`lire_instance`]: the benchmark format of AILS-MCLP
//!   (`data/benchmarks/mclp/`).
//! - [`planifier`]: the territorial wrapper: stops among communes, demand =
//!   population × fragility of the communes not already within reach of a
//!   permanent place; visiting order and calendar.
//!
//! ```
//! use maillage_territoire::tournee::{resoudre, Options, Probleme};
//!
//! // Three demand points; candidate 0 covers {0, 1}, candidate 1 covers {2}.
//! let probleme = Probleme::depuis_couvertures(vec![5.0, 3.0, 4.0], &[vec![0, 1], vec![2]]).unwrap();
//! let solution = resoudre(&probleme, 1, &Options::default());
//! assert_eq!(solution.sites, vec![0]);
//! assert_eq!(solution.couvert, 8.0);
//! ```

mod borne;
mod exact;
mod instance;
mod plan;
mod recherche;

use std::time::Duration;

use serde::Serialize;

pub use borne::borne_lagrangienne;
pub use exact::{resoudre_exact, ErreurExact, SolutionExacte};
pub use instance::{lire_instance, Distance, ErreurInstance, Instance};
pub use plan::{
    calendrier, ordre_de_visite, planifier, Arret, ErreurPlan, LieuPermanent, OptionsPlan, Plan,
    APPORT_MINIMAL,
};
pub use recherche::glouton;

/// Weights of the demand points and coverage sets of the candidates, in
/// compressed sparse rows both ways.
#[derive(Clone, Debug)]
pub struct Probleme {
    poids: Vec<f64>,
    /// Candidate `j` covers `demandes[debut_candidat[j]..debut_candidat[j + 1]]`.
    debut_candidat: Vec<u32>,
    demandes: Vec<u32>,
    /// Demand `d` is covered by `candidats[debut_demande[d]..debut_demande[d + 1]]`.
    debut_demande: Vec<u32>,
    candidats: Vec<u32>,
}

impl Probleme {
    /// A problem from the weight of each demand point and, for each
    /// candidate, the demand points it covers (duplicates are ignored).
    ///
    /// Fails on a negative or non-finite weight, or a demand index out of
    /// range.
    pub fn depuis_couvertures(
        poids: Vec<f64>,
        couvertures: &[Vec<usize>],
    ) -> Result<Probleme, ErreurInstance> {
        if let Some((d, w)) = poids
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(ErreurInstance::PoidsInvalide {
                demande: d,
                poids: *w,
            });
        }
        let n = poids.len();
        let mut listes = Vec::with_capacity(couvertures.len());
        for (j, couverture) in couvertures.iter().enumerate() {
            let mut liste: Vec<u32> = Vec::with_capacity(couverture.len());
            for &d in couverture {
                if d >= n {
                    return Err(ErreurInstance::DemandeInconnue {
                        candidat: j,
                        demande: d,
                        demandes: n,
                    });
                }
                liste.push(d as u32);
            }
            liste.sort_unstable();
            liste.dedup();
            listes.push(liste);
        }
        Ok(Probleme::depuis_listes(poids, listes))
    }

    /// Builds both CSR directions from sorted, deduplicated, in-range lists.
    pub(crate) fn depuis_listes(poids: Vec<f64>, listes: Vec<Vec<u32>>) -> Probleme {
        let n = poids.len();
        let mut debut_candidat = Vec::with_capacity(listes.len() + 1);
        debut_candidat.push(0u32);
        let total: usize = listes.iter().map(Vec::len).sum();
        let mut demandes = Vec::with_capacity(total);
        let mut compte = vec![0u32; n + 1];
        for liste in &listes {
            demandes.extend_from_slice(liste);
            debut_candidat.push(demandes.len() as u32);
            for &d in liste {
                compte[d as usize + 1] += 1;
            }
        }
        for d in 0..n {
            compte[d + 1] += compte[d];
        }
        let debut_demande = compte.clone();
        let mut suivant = compte;
        let mut candidats = vec![0u32; total];
        for (j, liste) in listes.iter().enumerate() {
            for &d in liste {
                candidats[suivant[d as usize] as usize] = j as u32;
                suivant[d as usize] += 1;
            }
        }
        Probleme {
            poids,
            debut_candidat,
            demandes,
            debut_demande,
            candidats,
        }
    }

    /// Number of demand points.
    pub fn nombre_demandes(&self) -> usize {
        self.poids.len()
    }

    /// Number of candidate sites.
    pub fn nombre_candidats(&self) -> usize {
        self.debut_candidat.len() - 1
    }

    /// Weight of each demand point.
    pub fn poids(&self) -> &[f64] {
        &self.poids
    }

    /// Sum of the weights.
    pub fn poids_total(&self) -> f64 {
        self.poids.iter().sum()
    }

    /// Number of (candidate, demand) coverage pairs.
    pub fn nombre_couples(&self) -> usize {
        self.demandes.len()
    }

    /// Demand points covered by candidate `j`, sorted.
    pub fn couverture(&self, j: usize) -> &[u32] {
        let (a, b) = (self.debut_candidat[j], self.debut_candidat[j + 1]);
        &self.demandes[a as usize..b as usize]
    }

    /// Candidates covering demand point `d`, sorted.
    pub fn couvrants(&self, d: usize) -> &[u32] {
        let (a, b) = (self.debut_demande[d], self.debut_demande[d + 1]);
        &self.candidats[a as usize..b as usize]
    }

    /// Weight covered by the sites `sites` (indices of candidates; out of
    /// range ones are ignored).
    pub fn couvert(&self, sites: &[usize]) -> f64 {
        let mut vu = vec![false; self.nombre_demandes()];
        let mut total = 0.0;
        for &j in sites.iter().filter(|&&j| j < self.nombre_candidats()) {
            for &d in self.couverture(j) {
                if !vu[d as usize] {
                    vu[d as usize] = true;
                    total += self.poids[d as usize];
                }
            }
        }
        total
    }

    /// Orders `sites` greedily: at each step the site adding the most
    /// weight to those before it. Returns `(site, gain)` pairs.
    pub fn ordre_glouton(&self, sites: &[usize]) -> Vec<(usize, f64)> {
        let mut vu = vec![false; self.nombre_demandes()];
        let mut restants: Vec<usize> = sites
            .iter()
            .copied()
            .filter(|&j| j < self.nombre_candidats())
            .collect();
        let mut ordre = Vec::with_capacity(restants.len());
        while !restants.is_empty() {
            let (position, gain) = restants
                .iter()
                .enumerate()
                .map(|(position, &j)| {
                    let gain: f64 = self
                        .couverture(j)
                        .iter()
                        .filter(|&&d| !vu[d as usize])
                        .map(|&d| self.poids[d as usize])
                        .sum();
                    (position, gain)
                })
                .fold(
                    (0, f64::NEG_INFINITY),
                    |best, x| {
                        if x.1 > best.1 {
                            x
                        } else {
                            best
                        }
                    },
                );
            let j = restants.swap_remove(position);
            for &d in self.couverture(j) {
                vu[d as usize] = true;
            }
            ordre.push((j, gain));
        }
        ordre
    }
}

/// Settings of [`resoudre`].
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Rounds of iterated local search (perturbation, then local search)
    /// after the first local search; 0 for greedy + swaps only.
    pub iterations: usize,
    /// Stop the iterated local search after this long, if set.
    pub duree_max: Option<Duration>,
    /// Seed of the pseudo-random perturbations: the same seed gives the same
    /// result.
    pub graine: u64,
    /// Subgradient iterations of the Lagrangian upper bound; 0 for no bound.
    pub iterations_borne: usize,
}

impl Default for Options {
    /// 2,000 rounds of iterated local search, at most 5 s, 300 iterations of
    /// Lagrangian bound.
    fn default() -> Self {
        Options {
            iterations: 2_000,
            duree_max: Some(Duration::from_secs(5)),
            graine: 0x6d61_696c_6c61_6765,
            iterations_borne: 300,
        }
    }
}

/// A solution of [`resoudre`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Solution {
    /// Chosen candidates, sorted.
    pub sites: Vec<usize>,
    /// Weight covered.
    pub couvert: f64,
    /// Weight covered by the lazy greedy alone.
    pub couvert_glouton: f64,
    /// Upper bound on the optimum, if computed: Lagrangian, or the total
    /// weight, whichever is smaller.
    pub borne_sup: Option<f64>,
    /// Relative gap `(borne_sup − couvert) ÷ borne_sup`, if a bound was
    /// computed.
    pub ecart: Option<f64>,
    /// Rounds of iterated local search done.
    pub iterations: usize,
}

/// Solves the MCLP with `p` sites heuristically: lazy greedy, swap local
/// search, iterated local search within the budget of `options`; then the
/// Lagrangian bound if asked.
pub fn resoudre(probleme: &Probleme, p: usize, options: &Options) -> Solution {
    let (sites, couvert, couvert_glouton, iterations) = recherche::recherche_iteree(
        probleme,
        p,
        options.iterations,
        options.duree_max,
        options.graine,
    );
    let borne_sup = (options.iterations_borne > 0)
        .then(|| borne_lagrangienne(probleme, p, options.iterations_borne, couvert));
    let ecart = borne_sup.map(|b| if b > 0.0 { (b - couvert) / b } else { 0.0 });
    Solution {
        sites,
        couvert,
        couvert_glouton,
        borne_sup,
        ecart,
        iterations,
    }
}

/// A small, fast, seedable pseudo-random generator (SplitMix64).
#[derive(Clone, Debug)]
pub(crate) struct Alea(u64);

impl Alea {
    pub(crate) fn new(graine: u64) -> Alea {
        Alea(graine)
    }

    pub(crate) fn suivant(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn sous(&mut self, n: usize) -> usize {
        ((u128::from(self.suivant()) * n as u128) >> 64) as usize
    }
}
