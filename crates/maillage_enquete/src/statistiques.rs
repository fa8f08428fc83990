//! Rates with 95 % confidence intervals (Wilson score interval), per commune and per EPCI,
//! with the cells of fewer than [`SEUIL_SECRET`] answers suppressed.

use serde::Serialize;

/// The normal quantile of a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;
/// Cells with fewer answers than this are not shown (statistical secrecy).
pub const SEUIL_SECRET: i64 = 5;

/// The Wilson score interval of `k` successes among `n` at the normal quantile `z`:
/// `(low, high)`, in [0, 1]. `None` when `n` is 0.
pub fn wilson(k: i64, n: i64, z: f64) -> Option<(f64, f64)> {
    if n <= 0 || k < 0 || k > n {
        return None;
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let demi = z * ((p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()) / (1.0 + z2 / n);
    Some(((centre - demi).max(0.0), (centre + demi).min(1.0)))
}

/// One cell of results: a commune or an EPCI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Taux {
    pub code: String,
    /// Number of answers (always shown).
    pub effectif: i64,
    /// `None` when the cell is suppressed (fewer than [`SEUIL_SECRET`] answers).
    pub taux: Option<f64>,
    pub intervalle: Option<(f64, f64)>,
}

impl Taux {
    pub fn nouveau(code: &str, k: i64, n: i64) -> Taux {
        let montre = n >= SEUIL_SECRET;
        Taux {
            code: code.to_string(),
            effectif: n,
            taux: (montre && n > 0).then(|| k as f64 / n as f64),
            intervalle: if montre { wilson(k, n, Z_95) } else { None },
        }
    }

    pub fn secret(&self) -> bool {
        self.taux.is_none()
    }
}

/// Rates per commune, and per EPCI by summing the communes' counts.
/// `comptes`: `(commune, answers, successes)`; `epci_de` gives a commune's EPCI.
pub fn taux_par_territoire(
    comptes: &[(String, i64, i64)],
    epci_de: impl Fn(&str) -> Option<String>,
) -> (Vec<Taux>, Vec<Taux>) {
    let communes: Vec<Taux> = comptes
        .iter()
        .map(|(c, n, k)| Taux::nouveau(c, *k, *n))
        .collect();
    let mut epcis: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for (c, n, k) in comptes {
        if let Some(e) = epci_de(c) {
            let t = epcis.entry(e).or_default();
            t.0 += n;
            t.1 += k;
        }
    }
    let epcis = epcis
        .into_iter()
        .map(|(e, (n, k))| Taux::nouveau(&e, k, n))
        .collect();
    (communes, epcis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_hand_computed_values() {
        // 10 successes out of 50: Wilson 95 % interval ≈ [0.1124, 0.3304].
        let (b, h) = wilson(10, 50, Z_95).expect("interval");
        assert!((b - 0.1124).abs() < 1e-3, "{b}");
        assert!((h - 0.3304).abs() < 1e-3, "{h}");
        // 0 out of 20: starts at 0, ends ≈ 0.1611.
        let (b, h) = wilson(0, 20, Z_95).expect("interval");
        assert_eq!(b, 0.0);
        assert!((h - 0.1611).abs() < 1e-3, "{h}");
        assert_eq!(wilson(1, 0, Z_95), None);
        assert_eq!(wilson(3, 2, Z_95), None);
    }

    #[test]
    fn small_cells_are_suppressed_but_their_size_is_shown() {
        let comptes = vec![
            ("31001".to_string(), 4, 2),
            ("31002".to_string(), 20, 5),
            ("31003".to_string(), 3, 1),
        ];
        let (c, e) = taux_par_territoire(&comptes, |code| {
            (code != "31003").then(|| "243100633".to_string())
        });
        assert!(c[0].secret());
        assert_eq!(c[0].effectif, 4);
        assert_eq!(c[1].taux, Some(0.25));
        assert!(c[1].intervalle.is_some());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].effectif, 24);
        assert_eq!(e[0].taux, Some(7.0 / 24.0));
    }
}
