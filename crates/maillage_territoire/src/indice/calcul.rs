//! The computation of the index: imputation, scores, axes, moteurs.

use super::donnees::DonneesIndicateurs;
use super::{
    Axe, Configuration, Echelon, Indicateur, Indice, IndiceCommune, Methode, Moteurs,
    ParIndicateur, Statut,
};

/// Medians of one indicator by territory: for each level (EPCI,
/// département, région), by group number, the median of the observed values
/// and their count; and the national median.
#[derive(Clone, Debug)]
pub(super) struct Medianes {
    par_groupe: [Vec<Option<(f64, usize)>>; 3],
    france: Option<(f64, usize)>,
}

impl Medianes {
    pub(super) fn calculer(donnees: &DonneesIndicateurs, indicateur: Indicateur) -> Medianes {
        let par_groupe = [0, 1, 2].map(|niveau| {
            medianes_par_groupe(
                donnees,
                indicateur,
                niveau,
                donnees.codes_groupes[niveau].len(),
            )
        });
        let mut toutes: Vec<f64> = donnees
            .communes
            .iter()
            .filter_map(|c| c.valeurs[indicateur])
            .collect();
        let france = mediane(&mut toutes).map(|m| (m, toutes.len()));
        Medianes { par_groupe, france }
    }

    /// The median of `echelon` for commune `i`.
    fn de(&self, donnees: &DonneesIndicateurs, i: usize, echelon: Echelon) -> Option<f64> {
        let niveau = match echelon {
            Echelon::Commune => return None,
            Echelon::Epci => 0,
            Echelon::Departement => 1,
            Echelon::Region => 2,
            Echelon::France => return self.france.map(|(m, _)| m),
        };
        let groupe = donnees.groupes[i][niveau];
        self.par_groupe[niveau]
            .get(groupe as usize)
            .copied()
            .flatten()
            .map(|(m, _)| m)
    }
}

/// Median of each group of a level, over the observed values.
fn medianes_par_groupe(
    donnees: &DonneesIndicateurs,
    indicateur: Indicateur,
    niveau: usize,
    groupes: usize,
) -> Vec<Option<(f64, usize)>> {
    // Counting sort of the values by group, then one selection per group.
    let mut debut = vec![0usize; groupes + 1];
    for (commune, g) in donnees.communes.iter().zip(&donnees.groupes) {
        let g = g[niveau] as usize;
        if g < groupes && commune.valeurs[indicateur].is_some() {
            debut[g + 1] += 1;
        }
    }
    for g in 0..groupes {
        debut[g + 1] += debut[g];
    }
    let mut suivant = debut.clone();
    let mut valeurs = vec![0.0; debut[groupes]];
    for (commune, g) in donnees.communes.iter().zip(&donnees.groupes) {
        let g = g[niveau] as usize;
        if let (true, Some(v)) = (g < groupes, commune.valeurs[indicateur]) {
            valeurs[suivant[g]] = v;
            suivant[g] += 1;
        }
    }
    (0..groupes)
        .map(|g| {
            let tranche = &mut valeurs[debut[g]..debut[g + 1]];
            let n = tranche.len();
            mediane(tranche).map(|m| (m, n))
        })
        .collect()
}

/// Median of `values` (mean of the two middle values for an even count),
/// reordering them; `None` when empty.
pub(super) fn mediane(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (bas, milieu, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let milieu = *milieu;
    if n % 2 == 1 {
        return Some(milieu);
    }
    let sous = bas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((sous + milieu) / 2.0)
}

/// Computes the index of every commune of `donnees` with `configuration`.
///
/// Pure: same inputs, same result. See `docs/INDICE.md` for the formulas.
pub fn calculer<'a>(donnees: &'a DonneesIndicateurs, configuration: &Configuration) -> Indice<'a> {
    let poids = configuration.poids.0.map(|w| if w > 0.0 { w } else { 0.0 });
    let actifs: Vec<Indicateur> = Indicateur::TOUS
        .into_iter()
        .filter(|i| poids[i.rang()] > 0.0)
        .collect();
    let poids_total: f64 = poids.iter().sum();
    let medianes: Vec<Option<&Medianes>> = Indicateur::TOUS
        .iter()
        .map(|&i| {
            (poids[i.rang()] > 0.0)
                .then(|| donnees.medianes.get(i.rang()))
                .flatten()
        })
        .collect();

    // Values, imputations and status.
    let mut communes: Vec<IndiceCommune> = Vec::with_capacity(donnees.communes.len());
    for (i, commune) in donnees.communes.iter().enumerate() {
        let observe: f64 = actifs
            .iter()
            .filter(|k| commune.valeurs[**k].is_some())
            .map(|k| poids[k.rang()])
            .sum();
        let statut = if commune.codes_sources.is_empty() {
            Statut::SansDonnees
        } else if poids_total > 0.0 && observe / poids_total >= configuration.part_observee_minimale
        {
            Statut::Calcule
        } else {
            Statut::DonneesInsuffisantes
        };
        let mut valeurs = commune.valeurs;
        let mut imputees = ParIndicateur([None; 7]);
        if statut == Statut::Calcule {
            for &k in &actifs {
                if valeurs[k].is_some() {
                    continue;
                }
                let Some(medianes) = medianes[k.rang()] else {
                    continue;
                };
                let source = [Echelon::Epci, Echelon::Departement, Echelon::France]
                    .into_iter()
                    .find_map(|e| medianes.de(donnees, i, e).map(|m| (e, m)));
                if let Some((echelon, valeur)) = source {
                    valeurs[k] = Some(valeur);
                    imputees[k] = Some(echelon);
                }
            }
        }
        communes.push(IndiceCommune {
            code_insee: &commune.code_insee,
            nom: &commune.nom,
            population: commune.population,
            code_epci: commune.code_epci.as_deref(),
            code_departement: &commune.code_departement,
            code_region: &commune.code_region,
            valeurs,
            imputees,
            scores: ParIndicateur([None; 7]),
            axes: None,
            indice: None,
            moteurs: Moteurs::new([]),
            statut,
        });
    }

    let mut bornes_deciles: ParIndicateur<Vec<f64>> = ParIndicateur::default();
    match configuration.methode {
        Methode::Deciles => {
            for &k in &actifs {
                bornes_deciles[k] = scores_deciles(donnees, &mut communes, k);
            }
            for commune in &mut communes {
                if commune.statut != Statut::Calcule {
                    continue;
                }
                let (mut somme, mut total) = (0.0, 0.0);
                for &k in &actifs {
                    if let Some(s) = commune.scores[k] {
                        somme += poids[k.rang()] * s;
                        total += poids[k.rang()];
                    }
                }
                commune.indice = (total > 0.0).then(|| somme / total);
            }
        }
        Methode::Reference2019 { reference, plafond } => {
            for (i, commune) in communes.iter_mut().enumerate() {
                for &k in &actifs {
                    let (Some(v), Some(medianes)) = (commune.valeurs[k], medianes[k.rang()]) else {
                        continue;
                    };
                    // The reference median, widened to the next level while
                    // it is missing or zero (a ratio to 0 means nothing).
                    let mut echelon = Some(reference);
                    let mut m = None;
                    while let Some(e) = echelon {
                        if let Some(mediane) = medianes.de(donnees, i, e) {
                            if mediane > 0.0 {
                                m = Some(mediane);
                                break;
                            }
                        }
                        echelon = e.superieur();
                    }
                    if let Some(m) = m {
                        let s = 100.0 * v / m;
                        commune.scores[k] = Some(plafond.map_or(s, |p| s.min(p)));
                    }
                }
                if commune.statut != Statut::Calcule {
                    continue;
                }
                let axes = Axe::TOUS.map(|axe| {
                    let (mut somme, mut total) = (0.0, 0.0);
                    for &k in actifs.iter().filter(|k| k.axe_2019() == axe) {
                        if let Some(s) = commune.scores[k] {
                            somme += poids[k.rang()] * s;
                            total += poids[k.rang()];
                        }
                    }
                    (total > 0.0).then(|| somme / total)
                });
                let presents: Vec<f64> = axes.iter().flatten().copied().collect();
                commune.indice = (!presents.is_empty())
                    .then(|| presents.iter().sum::<f64>() / presents.len() as f64);
                commune.axes = Some(axes);
            }
        }
    }

    let neutre = configuration.score_neutre();
    for commune in communes.iter_mut() {
        if commune.indice.is_none() {
            continue;
        }
        let mut contributions = [(0.0, Indicateur::SansDiplome); 7];
        let mut nombre = 0;
        for &k in &actifs {
            if let Some(s) = commune.scores[k] {
                let c = poids[k.rang()] * (s - neutre);
                if c > 0.0 {
                    contributions[nombre] = (c, k);
                    nombre += 1;
                }
            }
        }
        let contributions = &mut contributions[..nombre];
        contributions.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        commune.moteurs = Moteurs::new(
            contributions
                .iter()
                .take(configuration.nombre_moteurs)
                .map(|&(_, k)| k),
        );
    }

    let moyenne_nationale = super::moyenne_ponderee(&communes);
    Indice {
        configuration: configuration.clone(),
        communes,
        bornes_deciles,
        moyenne_nationale,
    }
}

/// Scores an indicator 1–10 by its national decile and returns the nine
/// decile boundaries.
///
/// The reference distribution is the observed values of every commune
/// (imputed values are scored against it but do not enter it). A value `v`
/// has the mid-rank percentile `p = (nombre < v + nombre = v ÷ 2) ÷ n` and
/// the score `1 + ⌊10 p⌋` (at most 10): ties share a score.
fn scores_deciles(
    donnees: &DonneesIndicateurs,
    communes: &mut [IndiceCommune<'_>],
    k: Indicateur,
) -> Vec<f64> {
    let observees = &donnees.triees[k.rang()];
    let n = observees.len();
    if n == 0 {
        return Vec::new();
    }
    let score = |inferieurs: usize, egaux: usize| -> f64 {
        let p = (inferieurs as f64 + egaux as f64 / 2.0) / n as f64;
        ((10.0 * p).floor() + 1.0).clamp(1.0, 10.0)
    };
    // Observed values: walk the groups of ties.
    let mut debut = 0;
    while debut < n {
        let v = observees[debut].0;
        let mut fin = debut + 1;
        while fin < n && observees[fin].0 == v {
            fin += 1;
        }
        let s = score(debut, fin - debut);
        for &(_, i) in &observees[debut..fin] {
            communes[i as usize].scores[k] = Some(s);
        }
        debut = fin;
    }
    // Imputed values: placed among the observed ones.
    for commune in communes.iter_mut() {
        if commune.scores[k].is_some() {
            continue;
        }
        if let Some(v) = commune.valeurs[k] {
            let inferieurs = observees.partition_point(|(x, _)| *x < v);
            let egaux = observees[inferieurs..].partition_point(|(x, _)| *x <= v);
            commune.scores[k] = Some(score(inferieurs, egaux));
        }
    }
    (1..10).map(|d| observees[d * n / 10].0).collect()
}
