//! Lagrangian upper bound of the MCLP.

use super::Probleme;

/// An upper bound on the weight `p` sites can cover, by subgradient
/// optimisation of the Lagrangian relaxation of the coverage constraints.
///
/// The MCLP is `max Σ w_d y_d` subject to `y_d ≤ Σ_{j covers d} x_j`,
/// `Σ x_j = p`, `x, y ∈ {0, 1}`. Relaxing the coverage constraints with
/// multipliers `0 ≤ λ_d ≤ w_d` gives
/// `L(λ) = Σ_d (w_d − λ_d)⁺ + (sum of the p largest Σ_{d covered by j} λ_d)`,
/// an upper bound for every `λ`. The subgradient method lowers it (Polyak
/// steps towards `valeur_connue`, the weight of a known solution, with a
/// step factor halved after 20 iterations without progress). The result is
/// also capped by the total weight. `iterations` = 0 gives the total weight.
pub fn borne_lagrangienne(
    probleme: &Probleme,
    p: usize,
    iterations: usize,
    valeur_connue: f64,
) -> f64 {
    let n = probleme.nombre_demandes();
    let m = probleme.nombre_candidats();
    let total = probleme.poids_total();
    if p >= m {
        return probleme.couvert(&(0..m).collect::<Vec<_>>());
    }
    if p == 0 {
        return 0.0;
    }
    // Demand covered by no candidate can never count.
    let atteignable: f64 = (0..n)
        .filter(|&d| !probleme.couvrants(d).is_empty())
        .map(|d| probleme.poids[d])
        .sum();
    let mut meilleure = total.min(atteignable);
    if iterations == 0 {
        return meilleure;
    }
    let mut lambda: Vec<f64> = probleme.poids.iter().map(|w| w / 2.0).collect();
    let mut valeurs = vec![0.0; m];
    let mut ordre: Vec<usize> = (0..m).collect();
    let mut couverture = vec![0u32; n];
    let mut theta = 2.0;
    let mut sans_progres = 0;
    let atteint: Vec<bool> = (0..n).map(|d| !probleme.couvrants(d).is_empty()).collect();
    for _ in 0..iterations {
        // L(λ) and the relaxed solution.
        let mut l: f64 = probleme
            .poids
            .iter()
            .zip(&lambda)
            .zip(&atteint)
            .filter(|(_, a)| **a)
            .map(|((w, l), _)| (w - l).max(0.0))
            .sum();
        for (j, v) in valeurs.iter_mut().enumerate() {
            *v = probleme
                .couverture(j)
                .iter()
                .map(|&d| lambda[d as usize])
                .sum();
        }
        ordre.select_nth_unstable_by(p - 1, |&a, &b| valeurs[b].total_cmp(&valeurs[a]));
        l += ordre[..p].iter().map(|&j| valeurs[j]).sum::<f64>();
        if l < meilleure - 1e-12 * meilleure.abs() {
            meilleure = l;
            sans_progres = 0;
        } else {
            sans_progres += 1;
            if sans_progres >= 20 {
                theta /= 2.0;
                sans_progres = 0;
            }
        }
        if theta < 1e-6 || meilleure <= valeur_connue {
            break;
        }
        // Subgradient s_d = y_d − (number of chosen sites covering d).
        couverture.iter_mut().for_each(|c| *c = 0);
        for &j in &ordre[..p] {
            for &d in probleme.couverture(j) {
                couverture[d as usize] += 1;
            }
        }
        let sous_gradient = |d: usize, lambda: f64| -> f64 {
            let y = if probleme.poids[d] - lambda > 0.0 {
                1.0
            } else {
                0.0
            };
            y - f64::from(couverture[d])
        };
        let norme: f64 = (0..n)
            .filter(|&d| atteint[d])
            .map(|d| sous_gradient(d, lambda[d]).powi(2))
            .sum();
        if norme == 0.0 {
            // λ is optimal for the relaxation and the relaxed solution is
            // feasible: the bound is reached.
            break;
        }
        let pas = theta * (l - valeur_connue).max(1e-9 * (1.0 + l.abs())) / norme;
        for (d, l) in lambda.iter_mut().enumerate() {
            if atteint[d] {
                *l = (*l + pas * sous_gradient(d, *l)).clamp(0.0, probleme.poids[d]);
            }
        }
    }
    meilleure.max(valeur_connue.min(total))
}
