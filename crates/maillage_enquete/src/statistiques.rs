//! Rates with 95 % confidence intervals (Wilson score interval), per commune and per EPCI,
//! weighted against the census where the data allows, with the cells of fewer than
//! [`SEUIL_SECRET`] answers suppressed.
//!
//! # Weighting (see `docs/ENQUETE.md` § 4)
//!
//! - **Commune**: post-stratification by household size. The two strata are one-person
//!   households and households of two people or more; the commune's census share of
//!   one-person households `s` (INSEE RP 2017, `part_menages_une_personne` of the bundled
//!   indicators) weighs them: `p = s × p₁ + (1 − s) × p₂`. Used when both strata have
//!   answers and `s` is known; otherwise the plain rate `k ÷ n`, said so (`pondere =
//!   false`). The interval is Wilson's at the effective sample size: the plain sample
//!   that would have the post-stratified rate's variance, `n_eff = q(1 − q) ÷ Σ s_h²
//!   q_h(1 − q_h) ÷ n_h`, each stratum's rate `q_h = (k_h + ½) ÷ (n_h + 1)` kept half an
//!   answer away from 0 and 1, at most the number of answers.
//! - **EPCI**: the surveyed communes of the EPCI, each weighted by its population (the
//!   campaign visits more households where fragility is high, so the plain pooled rate
//!   would lean towards fragile communes): `p = Σ W_c p_c`, `n_eff = 1 ÷ Σ W_c² ÷ n_eff,c`.
//! - **Not weighted**: the age of the person who answers. The questionnaire's age bands
//!   (15–29 … 60–74, 75 or more) do not meet the census shares we bundle (65 or more among
//!   people aged 15 or more), so no age stratum can be formed without inventing a split.

use maillage_store::enquete::CompteCommuneRow;
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
    wilson_effectif(k as f64 / n as f64, n as f64, z)
}

/// The Wilson interval of a proportion `p` estimated with the (possibly fractional)
/// effective sample size `n` (Kish): the weighted form of [`wilson`].
pub fn wilson_effectif(p: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n.is_nan() || n <= 0.0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
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
    /// The estimate (weighted when [`Taux::pondere`]); `None` when the cell is suppressed
    /// (fewer than [`SEUIL_SECRET`] answers).
    pub taux: Option<f64>,
    pub intervalle: Option<(f64, f64)>,
    /// The plain rate `k ÷ n` (`None` when suppressed).
    pub brut: Option<f64>,
    /// Whether [`Taux::taux`] is weighted against the census.
    pub pondere: bool,
    /// The effective sample size behind the interval (`None` when suppressed).
    pub effectif_efficace: Option<f64>,
}

/// An estimate before secrecy: the rate, its effective sample size, whether weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimation {
    pub taux: f64,
    pub effectif_efficace: f64,
    pub pondere: bool,
}

impl Taux {
    /// A plain (unweighted) cell of `k` successes among `n`.
    pub fn nouveau(code: &str, k: i64, n: i64) -> Taux {
        let e = (n > 0).then(|| Estimation {
            taux: k as f64 / n as f64,
            effectif_efficace: n as f64,
            pondere: false,
        });
        Taux::estime(code, k, n, e)
    }

    /// A cell from an estimate, suppressed under [`SEUIL_SECRET`] answers.
    pub fn estime(code: &str, k: i64, n: i64, e: Option<Estimation>) -> Taux {
        let e = e.filter(|_| n >= SEUIL_SECRET);
        Taux {
            code: code.to_string(),
            effectif: n,
            taux: e.map(|e| e.taux),
            intervalle: e.and_then(|e| wilson_effectif(e.taux, e.effectif_efficace, Z_95)),
            brut: e.map(|_| k as f64 / n as f64),
            pondere: e.is_some_and(|e| e.pondere),
            effectif_efficace: e.map(|e| e.effectif_efficace),
        }
    }

    pub fn secret(&self) -> bool {
        self.taux.is_none()
    }
}

/// What the census says of a commune, for the weighting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recensement {
    /// Share of one-person households, in [0, 1].
    pub part_seuls: Option<f64>,
    /// Population (municipale): the weight of the commune in its EPCI.
    pub population: f64,
    pub epci: Option<String>,
}

/// The estimate of one commune: post-stratified by household size when both strata have
/// answers and the census share is known, the plain rate otherwise.
pub fn estimer_commune(c: &CompteCommuneRow, part_seuls: Option<f64>) -> Option<Estimation> {
    if c.reponses <= 0 {
        return None;
    }
    if let Some(s) = part_seuls.filter(|s| (0.0..=1.0).contains(s)) {
        if c.seuls > 0 && c.plusieurs > 0 {
            let p1 = c.seuls_illectronisme as f64 / c.seuls as f64;
            let p2 = c.plusieurs_illectronisme as f64 / c.plusieurs as f64;
            // The variance of the post-stratified rate, each stratum's rate taken a half
            // answer away from 0 and 1 (so that a stratum of all-yes or all-no still has
            // one); the effective size is the plain sample that would have it.
            let lisse = |k: i64, n: i64| (k as f64 + 0.5) / (n as f64 + 1.0);
            let (q1, q2) = (
                lisse(c.seuls_illectronisme, c.seuls),
                lisse(c.plusieurs_illectronisme, c.plusieurs),
            );
            let variance = s * s * q1 * (1.0 - q1) / c.seuls as f64
                + (1.0 - s) * (1.0 - s) * q2 * (1.0 - q2) / c.plusieurs as f64;
            let q = s * q1 + (1.0 - s) * q2;
            let n = (c.seuls + c.plusieurs) as f64;
            return Some(Estimation {
                taux: s * p1 + (1.0 - s) * p2,
                effectif_efficace: (q * (1.0 - q) / variance).min(n),
                pondere: true,
            });
        }
    }
    Some(Estimation {
        taux: c.illectronisme as f64 / c.reponses as f64,
        effectif_efficace: c.reponses as f64,
        pondere: false,
    })
}

/// Rates per commune (weighted by household size), and per EPCI (the communes weighted
/// by population). `recensement` gives a commune's census facts.
pub fn taux_par_territoire(
    comptes: &[CompteCommuneRow],
    recensement: impl Fn(&str) -> Recensement,
) -> (Vec<Taux>, Vec<Taux>) {
    let mut communes = Vec::with_capacity(comptes.len());
    // Per EPCI: answers, successes, Σ pop × p, Σ pop, Σ pop² ÷ n_eff, all weighted.
    let mut epcis: std::collections::BTreeMap<String, (i64, i64, f64, f64, f64, bool)> =
        Default::default();
    for c in comptes {
        let r = recensement(&c.commune);
        let e = estimer_commune(c, r.part_seuls.map(|s| s.clamp(0.0, 1.0)));
        communes.push(Taux::estime(&c.commune, c.illectronisme, c.reponses, e));
        if let Some(code) = r.epci {
            let t = epcis.entry(code).or_insert((0, 0, 0.0, 0.0, 0.0, true));
            t.0 += c.reponses;
            t.1 += c.illectronisme;
            if let Some(e) = e {
                let w = r.population.max(1.0);
                t.2 += w * e.taux;
                t.3 += w;
                t.4 += w * w / e.effectif_efficace;
                t.5 &= e.pondere;
            }
        }
    }
    let epcis = epcis
        .into_iter()
        .map(|(code, (n, k, somme, poids, inverse, tous_ponderes))| {
            let e = (poids > 0.0 && inverse > 0.0).then(|| Estimation {
                taux: somme / poids,
                effectif_efficace: poids * poids / inverse,
                pondere: tous_ponderes,
            });
            Taux::estime(&code, k, n, e)
        })
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

    fn compte(commune: &str, n: i64, k: i64) -> CompteCommuneRow {
        CompteCommuneRow {
            commune: commune.into(),
            reponses: n,
            illectronisme: k,
            seuls: 0,
            seuls_illectronisme: 0,
            plusieurs: 0,
            plusieurs_illectronisme: 0,
        }
    }

    #[test]
    fn small_cells_are_suppressed_but_their_size_is_shown() {
        let comptes = vec![
            compte("31001", 4, 2),
            compte("31002", 20, 5),
            compte("31003", 3, 1),
        ];
        let (c, e) = taux_par_territoire(&comptes, |code| Recensement {
            part_seuls: None,
            population: 100.0,
            epci: (code != "31003").then(|| "243100633".to_string()),
        });
        assert!(c[0].secret());
        assert_eq!(c[0].effectif, 4);
        assert_eq!(c[0].brut, None);
        assert_eq!(c[1].taux, Some(0.25));
        assert!(!c[1].pondere, "no household sizes: plain rate");
        assert_eq!(c[1].intervalle, wilson(5, 20, Z_95));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].effectif, 24);
        // Same population: the mean of the communes' rates, 31001's (secret) included.
        assert_eq!(e[0].taux, Some((0.5 + 0.25) / 2.0));
    }

    #[test]
    fn households_are_weighted_against_the_census_share_of_people_alone() {
        // 10 people alone (6 in illectronisme), 30 in larger households (3): the sample
        // over-represents people alone (25 %) against a census share of 40 %... and the
        // reverse case: the weighting moves the rate towards the census.
        let mut c = compte("31555", 40, 9);
        c.seuls = 10;
        c.seuls_illectronisme = 6;
        c.plusieurs = 30;
        c.plusieurs_illectronisme = 3;
        let e = estimer_commune(&c, Some(0.4)).expect("estimate");
        assert!(e.pondere);
        assert!(
            (e.taux - (0.4 * 0.6 + 0.6 * 0.1)).abs() < 1e-12,
            "{}",
            e.taux
        );
        // Strata rates taken half an answer from 0 and 1: 6.5/11 and 3.5/31. Here the
        // strata differ so much that the weighted rate is as precise as 41.7 plain
        // answers: capped at the 40 answers there are.
        let n_eff = |s: f64| {
            let (q1, q2) = (6.5 / 11.0, 3.5 / 31.0);
            let variance =
                s * s * q1 * (1.0 - q1) / 10.0 + (1.0 - s).powi(2) * q2 * (1.0 - q2) / 30.0;
            let q = s * q1 + (1.0 - s) * q2;
            q * (1.0 - q) / variance
        };
        assert!(n_eff(0.4) > 40.0);
        assert_eq!(e.effectif_efficace, 40.0);
        // A census share of 80 %: the 10 people alone weigh 80 %, precision is lost.
        let e8 = estimer_commune(&c, Some(0.8)).expect("estimate");
        assert!((e8.effectif_efficace - n_eff(0.8)).abs() < 1e-9);
        assert!(e8.effectif_efficace < 20.0, "{}", e8.effectif_efficace);
        // Census share unknown, or a stratum empty: the plain rate.
        let brut = estimer_commune(&c, None).expect("estimate");
        assert!(!brut.pondere);
        assert_eq!(brut.taux, 9.0 / 40.0);
        c.plusieurs = 0;
        c.plusieurs_illectronisme = 0;
        assert!(!estimer_commune(&c, Some(0.4)).expect("estimate").pondere);
    }

    #[test]
    fn epci_rates_weigh_communes_by_population_not_by_answers() {
        // A small fragile commune visited a lot, a large one visited little.
        let comptes = vec![compte("31001", 90, 45), compte("31002", 10, 1)];
        let (_, e) = taux_par_territoire(&comptes, |code| Recensement {
            part_seuls: None,
            population: if code == "31001" { 100.0 } else { 900.0 },
            epci: Some("243100633".into()),
        });
        let t = e[0].taux.expect("shown");
        assert!((t - (0.1 * 0.5 + 0.9 * 0.1)).abs() < 1e-12, "{t}");
        assert_eq!(
            e[0].brut,
            Some(0.46),
            "the plain pooled rate, for comparison"
        );
        let n_eff = 1.0 / (0.01 / 90.0 + 0.81 / 10.0);
        assert!((e[0].effectif_efficace.expect("n") - n_eff).abs() < 1e-9);
    }
}
