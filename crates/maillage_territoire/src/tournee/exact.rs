//! Exact solution of small instances by integer programming (`microlp`,
//! pure Rust branch and bound).

use std::collections::HashMap;
use std::time::Duration;

use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOptions, TerminationReason};
use serde::Serialize;

use super::{resoudre, Options, Probleme};

/// Why the exact solver gave no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErreurExact {
    /// The time limit was reached before any solution was found.
    #[error("le solveur exact n'a trouvé aucune solution dans le temps imparti")]
    TempsEcoule,
    /// The solver failed.
    #[error("échec du solveur exact : {0}")]
    Solveur(String),
}

/// A solution of [`resoudre_exact`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SolutionExacte {
    /// Chosen candidates, sorted.
    pub sites: Vec<usize>,
    /// Weight covered (recomputed from the sites).
    pub couvert: f64,
    /// Whether the branch and bound proved the solution optimal.
    pub optimal: bool,
    /// Best upper bound proved by the solver (the optimum when `optimal`).
    pub borne_sup: f64,
    /// Size of the integer programme after reduction: binary site
    /// variables, coverage variables (classes of demand points covered by
    /// the same candidates).
    pub variables_sites: usize,
    pub variables_couverture: usize,
}

/// Solves the MCLP with `p` sites exactly, within `duree_max` if given.
///
/// The programme is `max Σ w_c y_c` subject to `y_c ≤ Σ_{j covers c} x_j`,
/// `Σ x_j = p`, `x ∈ {0, 1}`, `0 ≤ y ≤ 1`, after two reductions that keep
/// the optimum: demand points covered by no candidate are dropped, and
/// demand points covered by exactly the same candidates are merged into one
/// class whose weight is their sum. The heuristic solution of [`resoudre`]
/// seeds the search. When the time runs out, the best solution found is
/// returned with `optimal = false` and the solver's bound.
pub fn resoudre_exact(
    probleme: &Probleme,
    p: usize,
    duree_max: Option<Duration>,
) -> Result<SolutionExacte, ErreurExact> {
    let heuristique = resoudre(
        probleme,
        p,
        &Options {
            iterations: 200,
            duree_max: Some(Duration::from_secs(1)),
            iterations_borne: 0,
            ..Options::default()
        },
    );
    resoudre_exact_depuis(probleme, p, duree_max, &heuristique.sites)
}

/// [`resoudre_exact`] seeded with the sites `depart` (a known solution).
pub(crate) fn resoudre_exact_depuis(
    probleme: &Probleme,
    p: usize,
    duree_max: Option<Duration>,
    depart_sites: &[usize],
) -> Result<SolutionExacte, ErreurExact> {
    let m = probleme.nombre_candidats();
    let p = p.min(m);
    // Classes of demand points by their set of covering candidates.
    let mut classes: HashMap<&[u32], f64> = HashMap::new();
    for d in 0..probleme.nombre_demandes() {
        let couvrants = probleme.couvrants(d);
        if !couvrants.is_empty() && probleme.poids[d] > 0.0 {
            *classes.entry(couvrants).or_insert(0.0) += probleme.poids[d];
        }
    }
    let mut classes: Vec<(&[u32], f64)> = classes.into_iter().collect();
    classes.sort_unstable_by(|a, b| a.0.cmp(b.0));

    let mut programme = Problem::new(OptimizationDirection::Maximize);
    let x: Vec<_> = (0..m).map(|_| programme.add_binary_var(0.0)).collect();
    let y: Vec<_> = classes
        .iter()
        .map(|(_, w)| programme.add_var(*w, (0.0, 1.0)))
        .collect();
    programme.add_constraint(
        x.iter().map(|&v| (v, 1.0)).collect::<Vec<_>>(),
        ComparisonOp::Eq,
        p as f64,
    );
    for ((couvrants, _), &yc) in classes.iter().zip(&y) {
        let mut terme = vec![(yc, 1.0)];
        terme.extend(couvrants.iter().map(|&j| (x[j as usize], -1.0)));
        programme.add_constraint(terme, ComparisonOp::Le, 0.0);
    }

    // Seed with the known solution.
    let mut ouverts = vec![false; m];
    for &j in depart_sites.iter().filter(|&&j| j < m) {
        ouverts[j] = true;
    }
    let mut depart: Vec<(microlp::Variable, f64)> = x
        .iter()
        .zip(&ouverts)
        .map(|(&v, &o)| (v, if o { 1.0 } else { 0.0 }))
        .collect();
    depart.extend(classes.iter().zip(&y).map(|((couvrants, _), &yc)| {
        let couvert = couvrants.iter().any(|&j| ouverts[j as usize]);
        (yc, if couvert { 1.0 } else { 0.0 })
    }));
    let mut options = SolveOptions::default();
    options.time_limit = duree_max;
    options.warm_start = Some(depart);
    let issue = programme
        .solve_with(options)
        .map_err(|e| ErreurExact::Solveur(e.to_string()))?;
    let optimal = issue.is_optimal();
    let borne = issue.stats().best_bound;
    let solution = match issue.into_solution() {
        Ok(solution) => solution,
        Err(_) => return Err(ErreurExact::TempsEcoule),
    };
    if !optimal && solution.termination_reason() == TerminationReason::ProvenOptimal {
        return Err(ErreurExact::Solveur("statut incohérent".to_owned()));
    }
    let sites: Vec<usize> = (0..m)
        .filter(|&j| solution.var_value_raw(x[j]) > 0.5)
        .collect();
    let couvert = probleme.couvert(&sites);
    let borne_sup = if optimal {
        couvert.max(solution.objective())
    } else {
        borne.unwrap_or(probleme.poids_total()).max(couvert)
    };
    Ok(SolutionExacte {
        sites,
        couvert,
        optimal,
        borne_sup,
        variables_sites: m,
        variables_couverture: classes.len(),
    })
}
