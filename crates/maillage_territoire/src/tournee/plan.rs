//! The territorial planner: where should the bus, the village or the
//! caravan stop next?

use std::time::Duration;

use chrono::{Days, NaiveDate};
use maillage_geo::{haversine_m, NearestIndex, Point};
use serde::Serialize;

use super::exact::resoudre_exact_depuis;
use super::{resoudre, Distance, Instance, Options, Probleme};
use crate::indice::Indice;
use crate::{Commune, Referentiel, Territoire};

/// A permanent place of digital help (already serving the people around it).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LieuPermanent {
    pub point: Point,
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErreurPlan {
    #[error("commune candidate inconnue : « {0} »")]
    CandidatInconnu(String),
    #[error("la commune candidate « {0} » n'a pas de coordonnées")]
    CandidatSansCoordonnees(String),
    #[error("rayon invalide ({0} km) : il doit être positif")]
    RayonInvalide(f64),
    #[error("aucune commune candidate dans ce territoire (communes de {min} à {max} habitants)")]
    AucunCandidat { min: u32, max: u32 },
    #[error("population candidate invalide : le minimum ({min}) dépasse le maximum ({max})")]
    PopulationInvalide { min: u32, max: u32 },
    #[error("population fragile non calculable : aucune commune de ce territoire n'a d'indice de fragilité (indicateurs non publiés)")]
    SansIndice,
}

/// A stop must add at least this many fragile people (a stop adding less
/// would be shown as adding 0): stops adding less are left out of a plan.
pub const APPORT_MINIMAL: f64 = 0.5;

/// Settings of [`planifier`].
#[derive(Clone, Debug, PartialEq)]
pub struct OptionsPlan {
    /// Number of stops.
    pub arrets: usize,
    /// A commune is reached by a stop (or a permanent place) whose centre is
    /// at most this far from its centre, great-circle.
    pub rayon_km: f64,
    /// Candidate communes by INSEE code; `None` for the communes of the
    /// territory with `population_min..=population_max` inhabitants.
    pub candidats: Option<Vec<String>>,
    pub population_min: u32,
    pub population_max: u32,
    /// Compute a visiting order (a short round trip).
    pub ordre_de_visite: bool,
    /// Date of the first stop: one stop per week from it, in visiting order
    /// when computed, else in the order of the stops.
    pub debut: Option<NaiveDate>,
    /// Settings of the heuristic and of the Lagrangian bound.
    pub recherche: Options,
    /// After the heuristic, try the exact solver within this time (`None`
    /// to skip it): when it proves the optimum, the plan is optimal and the
    /// gap 0; otherwise its best solution and bound are kept if better.
    pub exact: Option<Duration>,
}

impl Default for OptionsPlan {
    /// 10 stops within 10 km, candidates of 2,000 to 8,000 inhabitants (the
    /// Numérique Tour's), no order, no calendar, exact solver tried for 2 s.
    fn default() -> Self {
        OptionsPlan {
            arrets: 10,
            rayon_km: 10.0,
            candidats: None,
            population_min: 2_000,
            population_max: 8_000,
            ordre_de_visite: false,
            debut: None,
            recherche: Options::default(),
            exact: Some(Duration::from_secs(2)),
        }
    }
}

/// One stop of a plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arret {
    pub code_insee: String,
    pub nom: String,
    pub point: Point,
    /// Fragile population newly reached by this stop, given the stops
    /// before it (stops are listed by decreasing gain, greedily).
    pub gain: f64,
    /// Fragile population reached by this stop and those before it.
    pub cumul: f64,
    /// Number of demand communes newly reached.
    pub communes_atteintes: usize,
    /// Date of the stop, when a calendar was asked for.
    pub date: Option<NaiveDate>,
}

/// A plan of stops.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub territoire: String,
    pub rayon_km: f64,
    pub arrets: Vec<Arret>,
    /// Fragile population reached by the stops.
    pub total_couvert: f64,
    /// Fragile population of the territory not already within reach of a
    /// permanent place: the demand.
    pub demande_totale: f64,
    /// Fragile population already within reach of a permanent place (left
    /// out of the demand).
    pub deja_couvert: f64,
    /// Communes already within reach of a permanent place.
    pub communes_deja_couvertes: usize,
    /// Number of stops asked for. `arrets` may hold fewer: a stop adding
    /// less than [`APPORT_MINIMAL`] is never proposed (see
    /// [`Plan::demande_atteignable`] for why more stops would add nothing).
    pub arrets_demandes: usize,
    /// Fragile population of the demand within reach of at least one
    /// candidate: what any number of stops could reach at most.
    pub demande_atteignable: f64,
    /// Demand communes no candidate reaches (too far from every candidate).
    pub communes_hors_portee: usize,
    /// Candidate population range used (when the candidates were not
    /// given by code).
    pub population_min: u32,
    pub population_max: u32,
    /// Upper bound on what any `k` stops among the candidates could reach.
    pub borne_sup: Option<f64>,
    /// `(borne_sup − total_couvert) ÷ borne_sup`.
    pub ecart: Option<f64>,
    /// Whether the exact solver proved the stops optimal.
    pub optimal: bool,
    pub communes_demande: usize,
    /// Communes of the territory without index, weighted by the mean
    /// fragile share of the others.
    pub communes_sans_indice: usize,
    /// Communes without coordinates, left out.
    pub communes_sans_coordonnees: usize,
    pub candidats: usize,
    /// Visiting order, as positions in `arrets`, when asked for.
    pub ordre_de_visite: Option<Vec<usize>>,
    /// Length of the round trip in that order, great-circle, in km.
    pub longueur_km: Option<f64>,
}

/// Plans `options.arrets` stops for `territoire`: a maximal covering
/// location problem whose demand points are the centres of the communes of
/// the territory weighted by their fragile population (population × fragile
/// share, see [`Indice::part_fragile`]), less the communes already within
/// `rayon_km` of a permanent place, and whose candidate sites are the
/// candidate communes' centres.
pub fn planifier(
    referentiel: &Referentiel,
    territoire: &Territoire,
    indice: &Indice<'_>,
    lieux_permanents: &[LieuPermanent],
    options: &OptionsPlan,
) -> Result<Plan, ErreurPlan> {
    let rayon_m = options.rayon_km * 1_000.0;
    if !(rayon_m.is_finite() && rayon_m > 0.0) {
        return Err(ErreurPlan::RayonInvalide(options.rayon_km));
    }
    if options.candidats.is_none() && options.population_min > options.population_max {
        return Err(ErreurPlan::PopulationInvalide {
            min: options.population_min,
            max: options.population_max,
        });
    }
    let communes = referentiel.communes_of_territoire(territoire);
    // Fragile share of each commune; without index, the mean of the others.
    let parts: Vec<Option<f64>> = communes
        .iter()
        .map(|c| {
            indice
                .commune(&c.code_insee)
                .and_then(|i| indice.part_fragile(i))
        })
        .collect();
    let connues: Vec<f64> = parts.iter().flatten().copied().collect();
    if connues.is_empty() {
        return Err(ErreurPlan::SansIndice);
    }
    let moyenne = connues.iter().sum::<f64>() / connues.len() as f64;
    let permanents: NearestIndex<()> = lieux_permanents.iter().map(|l| (l.point, ())).collect();
    let mut demandes: Vec<(Point, f64)> = Vec::new();
    let mut deja_couvert = 0.0;
    let mut communes_deja_couvertes = 0;
    let mut sans_coordonnees = 0;
    for (commune, part) in communes.iter().zip(&parts) {
        let Some(centre) = commune.centre else {
            sans_coordonnees += 1;
            continue;
        };
        let poids = f64::from(commune.population) * part.unwrap_or(moyenne);
        let atteinte = permanents
            .nearest(centre)
            .is_some_and(|(_, distance)| distance <= rayon_m);
        if atteinte {
            deja_couvert += poids;
            communes_deja_couvertes += 1;
        } else {
            demandes.push((centre, poids));
        }
    }
    let candidats: Vec<&Commune> = match &options.candidats {
        Some(codes) => codes
            .iter()
            .map(|code| {
                let commune = referentiel
                    .commune_or_parent(code)
                    .ok_or_else(|| ErreurPlan::CandidatInconnu(code.clone()))?;
                if commune.centre.is_none() {
                    return Err(ErreurPlan::CandidatSansCoordonnees(code.clone()));
                }
                Ok(commune)
            })
            .collect::<Result<_, _>>()?,
        None => communes
            .iter()
            .copied()
            .filter(|c| {
                c.centre.is_some()
                    && (options.population_min..=options.population_max).contains(&c.population)
            })
            .collect(),
    };
    if candidats.is_empty() {
        return Err(ErreurPlan::AucunCandidat {
            min: options.population_min,
            max: options.population_max,
        });
    }
    let instance = Instance {
        nom: Some(territoire.to_string()),
        demandes,
        candidats: candidats.iter().filter_map(|c| c.centre).collect(),
        rayon_m,
        distance: Distance::Haversine,
    };
    let probleme = instance
        .probleme()
        .map_err(|_| ErreurPlan::RayonInvalide(options.rayon_km))?;
    // Demand no candidate reaches, and what any number of stops could reach.
    let mut demande_atteignable = 0.0;
    let mut communes_hors_portee = 0;
    for d in 0..probleme.nombre_demandes() {
        if probleme.couvrants(d).is_empty() {
            communes_hors_portee += 1;
        } else {
            demande_atteignable += probleme.poids()[d];
        }
    }
    // Nothing to reach: no stop is worth making (not even a "proved" one).
    let p = if demande_atteignable < APPORT_MINIMAL {
        0
    } else {
        options.arrets
    };
    let mut solution = resoudre(&probleme, p, &options.recherche);
    let mut optimal = p == 0;
    if let (Some(duree), true) = (options.exact, p > 0) {
        if let Ok(exacte) = resoudre_exact_depuis(&probleme, p, Some(duree), &solution.sites) {
            if exacte.couvert > solution.couvert {
                solution.sites = exacte.sites;
                solution.couvert = exacte.couvert;
            }
            optimal = exacte.optimal;
            let borne = if optimal {
                exacte.couvert.max(solution.couvert)
            } else {
                solution
                    .borne_sup
                    .map_or(exacte.borne_sup, |b| b.min(exacte.borne_sup))
            };
            solution.borne_sup = Some(borne.max(solution.couvert));
        }
        solution.ecart = solution.borne_sup.map(|b| {
            if b > 0.0 {
                ((b - solution.couvert) / b).max(0.0)
            } else {
                0.0
            }
        });
    }
    // Only the stops that add someone: in the greedy order, a stop adding
    // nothing comes after every stop adding something, and every candidate
    // not chosen adds nothing either (else the search would have swapped
    // it in), so the stops kept reach all the demand the candidates can.
    let mut arrets: Vec<Arret> = arrets_de(&probleme, &candidats, &solution.sites)
        .into_iter()
        .filter(|a| a.gain >= APPORT_MINIMAL)
        .collect();
    let total_couvert = arrets.last().map_or(0.0, |a| a.cumul);
    let mut plan_ordre = None;
    let mut longueur_km = None;
    if options.ordre_de_visite {
        let points: Vec<Point> = arrets.iter().map(|a| a.point).collect();
        let (ordre, longueur) = ordre_de_visite(&points);
        plan_ordre = Some(ordre);
        longueur_km = Some(longueur / 1_000.0);
    }
    if let Some(debut) = options.debut {
        let dates = calendrier(debut, arrets.len());
        let ordre: Vec<usize> = plan_ordre
            .clone()
            .unwrap_or_else(|| (0..arrets.len()).collect());
        for (position, date) in ordre.into_iter().zip(dates) {
            if let Some(arret) = arrets.get_mut(position) {
                arret.date = Some(date);
            }
        }
    }
    Ok(Plan {
        territoire: territoire.to_string(),
        rayon_km: options.rayon_km,
        total_couvert,
        demande_totale: probleme.poids_total(),
        deja_couvert,
        communes_deja_couvertes,
        arrets_demandes: options.arrets,
        demande_atteignable,
        communes_hors_portee,
        population_min: options.population_min,
        population_max: options.population_max,
        // Proved optimal: the stops kept reach the optimum (those left out added nothing).
        borne_sup: if optimal {
            Some(total_couvert)
        } else {
            solution.borne_sup.map(|b| b.max(total_couvert))
        },
        ecart: if optimal {
            Some(0.0)
        } else {
            solution.borne_sup.map(|b| {
                let b = b.max(total_couvert);
                if b > 0.0 {
                    ((b - total_couvert) / b).max(0.0)
                } else {
                    0.0
                }
            })
        },
        optimal,
        communes_demande: probleme.nombre_demandes(),
        communes_sans_indice: parts.iter().filter(|p| p.is_none()).count(),
        communes_sans_coordonnees: sans_coordonnees,
        candidats: candidats.len(),
        arrets: std::mem::take(&mut arrets),
        ordre_de_visite: plan_ordre,
        longueur_km,
    })
}

/// The stops of `sites`, greedily ordered, with gains and running totals.
fn arrets_de(probleme: &Probleme, candidats: &[&Commune], sites: &[usize]) -> Vec<Arret> {
    let mut cumul = 0.0;
    let mut atteintes = vec![false; probleme.nombre_demandes()];
    probleme
        .ordre_glouton(sites)
        .into_iter()
        .filter_map(|(j, gain)| {
            let commune = candidats.get(j)?;
            let point = commune.centre?;
            let mut nouvelles = 0;
            for &d in probleme.couverture(j) {
                if !atteintes[d as usize] {
                    atteintes[d as usize] = true;
                    nouvelles += 1;
                }
            }
            cumul += gain;
            Some(Arret {
                code_insee: commune.code_insee.clone(),
                nom: commune.nom.clone(),
                point,
                gain,
                cumul,
                communes_atteintes: nouvelles,
                date: None,
            })
        })
        .collect()
}

/// A short round trip through `points`: nearest neighbour from the first
/// point, then 2-opt (reversing a segment while it shortens the trip).
/// Returns the positions in visiting order, starting with 0, and the length
/// of the round trip in metres (great-circle).
pub fn ordre_de_visite(points: &[Point]) -> (Vec<usize>, f64) {
    let n = points.len();
    if n == 0 {
        return (Vec::new(), 0.0);
    }
    let d = |a: usize, b: usize| haversine_m(points[a], points[b]);
    let mut ordre = Vec::with_capacity(n);
    let mut visite = vec![false; n];
    let mut courant = 0;
    visite[0] = true;
    ordre.push(0);
    for _ in 1..n {
        let suivant = (0..n)
            .filter(|&j| !visite[j])
            .min_by(|&a, &b| d(courant, a).total_cmp(&d(courant, b)));
        let Some(suivant) = suivant else {
            break;
        };
        visite[suivant] = true;
        ordre.push(suivant);
        courant = suivant;
    }
    // 2-opt on the closed tour, the start kept first.
    let mut ameliore = n > 3;
    let mut passes = 0;
    while ameliore && passes < 100 {
        ameliore = false;
        passes += 1;
        for i in 1..n - 1 {
            for k in i + 1..n {
                let (a, b) = (ordre[i - 1], ordre[i]);
                let (c, e) = (ordre[k], ordre[(k + 1) % n]);
                let delta = d(a, c) + d(b, e) - d(a, b) - d(c, e);
                if delta < -1e-6 {
                    ordre[i..=k].reverse();
                    ameliore = true;
                }
            }
        }
    }
    let longueur = (0..n).map(|i| d(ordre[i], ordre[(i + 1) % n])).sum();
    (ordre, longueur)
}

/// One date per week from `debut`: `debut`, `debut + 7 days`, … (`n`
/// dates; fewer past the end of the calendar).
pub fn calendrier(debut: NaiveDate, n: usize) -> Vec<NaiveDate> {
    (0..n as u64)
        .map_while(|i| debut.checked_add_days(Days::new(7 * i)))
        .collect()
}
