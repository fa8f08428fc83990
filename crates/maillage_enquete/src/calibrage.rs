//! The calibrated index: a model fitted on the surveyed communes (territory indicators →
//! measured illectronisme rate) that predicts the rate of the others, with its error
//! measured by cross-validation (`docs/INDICE.md` § 11).
//!
//! The model is a weighted ridge regression, kept simple on purpose:
//!
//! - **Variables**: the six indicators of the deciles index ([`VARIABLES`], the values the
//!   index uses, imputed ones included), standardised on the surveyed communes.
//! - **Target**: the measured rate of each surveyed commune (weighted against the census,
//!   [`crate::statistiques::estimer_commune`]), each commune weighing its effective sample
//!   size: a commune of 80 answers counts more than one of 6.
//! - **Penalty**: `λ × Σ β²` on the standardised coefficients (the intercept is not
//!   penalised), `λ` chosen among [`LAMBDAS`] by k-fold cross-validation (k = 10, or the
//!   number of communes when fewer). A few tens of communes cannot carry six free slopes:
//!   the penalty pulls them towards 0, and with a large `λ` the model predicts the mean
//!   measured rate.
//! - **Prediction**: clamped to [0, 1].
//!
//! The **uncalibrated** prediction it is compared with is the share the index alone
//! implies ([`Indice::part_fragile`]: 17 % × index ÷ national mean).

use maillage_territoire::indice::{Indicateur, Indice, IndiceCommune};
use serde::Serialize;

/// The model's variables: the indicators of the deciles index.
pub const VARIABLES: [Indicateur; 6] = [
    Indicateur::SansDiplome,
    Indicateur::Plus65Ans,
    Indicateur::MenagesUnePersonne,
    Indicateur::FamillesMonoparentales,
    Indicateur::NonCouvertureThd,
    Indicateur::Pauvrete,
];
const P: usize = VARIABLES.len();
/// The penalties tried.
pub const LAMBDAS: [f64; 6] = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0];
/// Fewest surveyed communes to fit a model.
pub const COMMUNES_MIN: usize = 8;
/// Folds of the cross-validation.
pub const PLIS: usize = 10;

/// A surveyed commune: its variables, its measured rate and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub code: String,
    pub x: [f64; P],
    pub taux: f64,
    /// The effective sample size of the measured rate.
    pub poids: f64,
}

/// The variables of a commune, `None` when one is missing (communes without index).
pub fn variables(c: &IndiceCommune<'_>) -> Option<[f64; P]> {
    let mut x = [0.0; P];
    for (i, v) in VARIABLES.iter().enumerate() {
        x[i] = c.valeurs[*v].filter(|v| v.is_finite())?;
    }
    Some(x)
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Modele {
    moyennes: [f64; P],
    ecarts: [f64; P],
    pub constante: f64,
    /// Per standardised variable, in the order of [`VARIABLES`].
    pub coefficients: [f64; P],
    pub lambda: f64,
    /// Surveyed communes it was fitted on.
    pub communes: usize,
    /// Root mean squared error of the cross-validated predictions against the measured
    /// rates (as a share: 0.04 = 4 points).
    pub erreur_cv: f64,
    /// The same for the uncalibrated prediction on the same communes (`None` when the
    /// index gives no share).
    pub erreur_non_calibre: Option<f64>,
}

impl Modele {
    /// The predicted rate of a commune from its variables, in [0, 1].
    pub fn predire(&self, x: &[f64; P]) -> f64 {
        let y: f64 = self.constante
            + (0..P)
                .map(|i| self.coefficients[i] * (x[i] - self.moyennes[i]) / self.ecarts[i])
                .sum::<f64>();
        y.clamp(0.0, 1.0)
    }

    /// The predicted rate of a commune of the index.
    pub fn predire_commune(&self, c: &IndiceCommune<'_>) -> Option<f64> {
        variables(c).map(|x| self.predire(&x))
    }
}

/// Fits the model with penalty `lambda` (no cross-validation).
pub fn ajuster_avec(observations: &[Observation], lambda: f64) -> Option<Modele> {
    if observations.is_empty() {
        return None;
    }
    let poids_total: f64 = observations.iter().map(|o| o.poids.max(0.0)).sum();
    if poids_total <= 0.0 {
        return None;
    }
    // Weights normalised to a mean of 1: λ is then per commune.
    let n = observations.len() as f64;
    let w: Vec<f64> = observations
        .iter()
        .map(|o| o.poids.max(0.0) * n / poids_total)
        .collect();
    let mut moyennes = [0.0; P];
    let mut ecarts = [1.0; P];
    for i in 0..P {
        moyennes[i] = observations.iter().map(|o| o.x[i]).sum::<f64>() / n;
        let var = observations
            .iter()
            .map(|o| (o.x[i] - moyennes[i]).powi(2))
            .sum::<f64>()
            / n;
        ecarts[i] = if var > 1e-12 { var.sqrt() } else { 1.0 };
    }
    let z: Vec<[f64; P]> = observations
        .iter()
        .map(|o| std::array::from_fn(|i| (o.x[i] - moyennes[i]) / ecarts[i]))
        .collect();
    // Weighted centring: the intercept is the weighted mean once the variables are
    // centred on their weighted means.
    let somme_w: f64 = w.iter().sum();
    let zbar: [f64; P] =
        std::array::from_fn(|i| z.iter().zip(&w).map(|(z, w)| w * z[i]).sum::<f64>() / somme_w);
    let ybar = observations
        .iter()
        .zip(&w)
        .map(|(o, w)| w * o.taux)
        .sum::<f64>()
        / somme_w;
    let mut a = [[0.0; P]; P];
    let mut b = [0.0; P];
    for ((zk, wk), o) in z.iter().zip(&w).zip(observations) {
        for i in 0..P {
            let zi = zk[i] - zbar[i];
            b[i] += wk * zi * (o.taux - ybar);
            for j in 0..P {
                a[i][j] += wk * zi * (zk[j] - zbar[j]);
            }
        }
    }
    for (i, ligne) in a.iter_mut().enumerate() {
        ligne[i] += lambda * n;
    }
    let beta = resoudre(a, b)?;
    let constante = ybar - (0..P).map(|i| beta[i] * zbar[i]).sum::<f64>();
    Some(Modele {
        moyennes,
        ecarts,
        constante,
        coefficients: beta,
        lambda,
        communes: observations.len(),
        erreur_cv: f64::NAN,
        erreur_non_calibre: None,
    })
}

/// Solves `a × x = b` (symmetric positive definite after the penalty) by Gaussian
/// elimination with partial pivoting.
fn resoudre(mut a: [[f64; P]; P], mut b: [f64; P]) -> Option<[f64; P]> {
    for k in 0..P {
        let pivot = (k..P).max_by(|i, j| a[*i][k].abs().total_cmp(&a[*j][k].abs()))?;
        if a[pivot][k].abs() < 1e-12 {
            return None;
        }
        a.swap(k, pivot);
        b.swap(k, pivot);
        let (haut, bas) = a.split_at_mut(k + 1);
        let ligne_k = &haut[k];
        for (d, ligne) in bas.iter_mut().enumerate() {
            let f = ligne[k] / ligne_k[k];
            for (v, vk) in ligne.iter_mut().zip(ligne_k.iter()).skip(k) {
                *v -= f * vk;
            }
            b[k + 1 + d] -= f * b[k];
        }
    }
    let mut x = [0.0; P];
    for k in (0..P).rev() {
        let s: f64 = (k + 1..P).map(|j| a[k][j] * x[j]).sum();
        x[k] = (b[k] - s) / a[k][k];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The cross-validated predictions (each commune predicted by the model fitted without
/// its fold), in the order of `observations`. Folds: commune `i` in fold `i mod k`.
pub fn predictions_croisees(observations: &[Observation], lambda: f64) -> Option<Vec<f64>> {
    let k = PLIS.min(observations.len());
    if k < 2 {
        return None;
    }
    let mut predites = vec![f64::NAN; observations.len()];
    for pli in 0..k {
        let apprentissage: Vec<Observation> = observations
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != pli)
            .map(|(_, o)| o.clone())
            .collect();
        let m = ajuster_avec(&apprentissage, lambda)?;
        for (i, o) in observations.iter().enumerate() {
            if i % k == pli {
                predites[i] = m.predire(&o.x);
            }
        }
    }
    Some(predites)
}

/// Root mean squared error between predictions and measured rates.
pub fn erreur_quadratique(predites: &[f64], mesurees: &[f64]) -> f64 {
    let n = predites.len().min(mesurees.len());
    if n == 0 {
        return f64::NAN;
    }
    let s: f64 = predites
        .iter()
        .zip(mesurees)
        .map(|(p, m)| (p - m).powi(2))
        .sum();
    (s / n as f64).sqrt()
}

/// Fits the calibrated model: `λ` chosen by cross-validation, the error of the chosen
/// one reported, with the uncalibrated prediction's error on the same communes.
/// `None` under [`COMMUNES_MIN`] communes.
pub fn ajuster(observations: &[Observation], indice: &Indice<'_>) -> Option<Modele> {
    if observations.len() < COMMUNES_MIN {
        return None;
    }
    let mesurees: Vec<f64> = observations.iter().map(|o| o.taux).collect();
    let (lambda, erreur) = LAMBDAS
        .iter()
        .filter_map(|l| {
            predictions_croisees(observations, *l).map(|p| (*l, erreur_quadratique(&p, &mesurees)))
        })
        .filter(|(_, e)| e.is_finite())
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let mut m = ajuster_avec(observations, lambda)?;
    m.erreur_cv = erreur;
    let non_calibre: Option<Vec<f64>> = observations
        .iter()
        .map(|o| indice.commune(&o.code).and_then(|c| indice.part_fragile(c)))
        .collect();
    m.erreur_non_calibre = non_calibre.map(|p| erreur_quadratique(&p, &mesurees));
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(i: usize, x: [f64; P], taux: f64) -> Observation {
        Observation {
            code: format!("{i:05}"),
            x,
            taux,
            poids: 30.0,
        }
    }

    #[test]
    fn a_linear_rate_is_found_back_with_a_small_penalty() {
        // taux = 0.1 + 0.004 × (sans diplôme − 40) + 0.002 × (65+ − 25)
        let observations: Vec<Observation> = (0..40)
            .map(|i| {
                let a = 30.0 + (i * 7 % 23) as f64;
                let b = 15.0 + (i * 5 % 19) as f64;
                let x = [a, b, 30.0 + (i % 3) as f64, 8.0, (i % 5) as f64, 12.0];
                obs(i, x, 0.1 + 0.004 * (a - 40.0) + 0.002 * (b - 25.0))
            })
            .collect();
        let m = ajuster_avec(&observations, 1e-9).expect("fitted");
        for o in &observations {
            assert!((m.predire(&o.x) - o.taux).abs() < 1e-6);
        }
        let p = predictions_croisees(&observations, 1e-9).expect("cv");
        let mesurees: Vec<f64> = observations.iter().map(|o| o.taux).collect();
        assert!(erreur_quadratique(&p, &mesurees) < 1e-6);
    }

    #[test]
    fn a_large_penalty_predicts_the_weighted_mean() {
        let mut observations: Vec<Observation> = (0..10)
            .map(|i| {
                obs(
                    i,
                    [i as f64, 0.0, 1.0, 2.0, 3.0, (i * i) as f64],
                    0.1 + 0.01 * i as f64,
                )
            })
            .collect();
        observations[0].poids = 90.0; // rate 0.10, three times the weight of the others
        let m = ajuster_avec(&observations, 1e9).expect("fitted");
        let moyenne = (0.1 * 90.0 + (1..10).map(|i| 0.1 + 0.01 * i as f64).sum::<f64>() * 30.0)
            / (90.0 + 9.0 * 30.0);
        assert!((m.predire(&observations[5].x) - moyenne).abs() < 1e-6);
        assert!(m.predire(&[1e6; P]) <= 1.0, "clamped");
    }
}
