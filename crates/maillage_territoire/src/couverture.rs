//! Coverage: how far every commune is from the nearest place of digital
//! help, overall and per criterion (a service, free places, places open on
//! Saturday…), the population and fragile population beyond 5, 10 and
//! 20 km by territory, and the "zones blanches".
//!
//! Pure computation over a list of places given by the caller
//! ([`PointLieu`]: a point and a few tags), against the centres of the
//! communes of the referential. One R-tree ([`NearestIndex`]) is built per
//! criterion and queried once per commune.
//!
//! ```
//! use maillage_geo::Point;
//! use maillage_territoire::couverture::{calculer_couverture, Critere, OptionsCouverture, PointLieu};
//! use maillage_territoire::Referentiel;
//!
//! let referentiel = Referentiel::embedded();
//! let capitole = Point::new(43.6045, 1.4440).unwrap();
//! let lieux = [PointLieu { point: capitole, services: 0b1, gratuit: true, ouvert_samedi: false, itinerant: false }];
//! let criteres = [Critere::service("démarches administratives", 0)];
//! let couverture = calculer_couverture(referentiel, &lieux, &criteres, None, &OptionsCouverture::default());
//! let toulouse = couverture.commune("31555").unwrap();
//! assert!(toulouse.distance_km.unwrap() < 2.0);
//! assert_eq!(toulouse.route_km, toulouse.distance_km.map(|d| d * 1.3));
//! ```

use std::fmt;

use maillage_geo::{NearestIndex, Point};
use serde::Serialize;

use crate::indice::Indice;
use crate::{Referentiel, Territoire};

/// Average ratio of road distance to great-circle distance used by default
/// (see `docs/INDICE.md`).
pub const FACTEUR_DETOUR: f64 = 1.3;

/// A place, as the caller sees it: its position and the tags the criteria
/// test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PointLieu {
    pub point: Point,
    /// Services offered, as a bit set: bit `k` set when the place offers
    /// service `k` of the caller's list (at most 64 services).
    pub services: u64,
    pub gratuit: bool,
    pub ouvert_samedi: bool,
    /// An itinerant place (a bus): its point is one of its stops.
    pub itinerant: bool,
}

/// A criterion selecting places: "nearest place offering X".
pub struct Critere {
    pub nom: String,
    filtre: Box<dyn Fn(&PointLieu) -> bool + Send + Sync>,
}

impl Critere {
    /// A criterion of name `nom` keeping the places `filtre` accepts.
    pub fn new(
        nom: impl Into<String>,
        filtre: impl Fn(&PointLieu) -> bool + Send + Sync + 'static,
    ) -> Critere {
        Critere {
            nom: nom.into(),
            filtre: Box::new(filtre),
        }
    }

    /// Places offering service `bit` (0 to 63; beyond, no place matches).
    pub fn service(nom: impl Into<String>, bit: u32) -> Critere {
        let masque = 1u64.checked_shl(bit).unwrap_or(0);
        Critere::new(nom, move |l| l.services & masque != 0)
    }

    /// Free places.
    pub fn gratuit() -> Critere {
        Critere::new("gratuit", |l| l.gratuit)
    }

    /// Places open on Saturday.
    pub fn ouvert_samedi() -> Critere {
        Critere::new("ouvert le samedi", |l| l.ouvert_samedi)
    }

    /// Permanent (not itinerant) places.
    pub fn permanent() -> Critere {
        Critere::new("permanent", |l| !l.itinerant)
    }

    /// Whether `lieu` meets the criterion.
    pub fn accepte(&self, lieu: &PointLieu) -> bool {
        (self.filtre)(lieu)
    }
}

impl fmt::Debug for Critere {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Critere")
            .field("nom", &self.nom)
            .finish_non_exhaustive()
    }
}

/// How the fragile population of a commune is counted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeFragile {
    /// `population × part fragile` (population × 17 % × indice ÷ national
    /// mean index, see [`Indice::part_fragile`]).
    Proportionnel,
    /// The whole population of the communes whose index is at least this
    /// threshold, 0 for the others.
    Seuil(f64),
}

/// Settings of [`calculer_couverture`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionsCouverture {
    /// Road distance estimate = great-circle distance × this factor.
    pub facteur_detour: f64,
    /// Distances, in km, beyond which population is counted by territory
    /// (great-circle distance to the nearest place).
    pub seuils_km: Vec<f64>,
    pub mode_fragile: ModeFragile,
}

impl Default for OptionsCouverture {
    /// Detour factor 1.3, thresholds 5, 10 and 20 km, proportional fragile
    /// population.
    fn default() -> Self {
        OptionsCouverture {
            facteur_detour: FACTEUR_DETOUR,
            seuils_km: vec![5.0, 10.0, 20.0],
            mode_fragile: ModeFragile::Proportionnel,
        }
    }
}

/// The distances of one commune.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CouvertureCommune<'r> {
    pub code_insee: &'r str,
    pub nom: &'r str,
    pub population: u32,
    pub code_epci: Option<&'r str>,
    pub code_departement: &'r str,
    pub code_region: &'r str,
    /// Centre of the commune; `None` for the few communes without
    /// coordinates, which get no distance.
    pub centre: Option<Point>,
    /// Great-circle distance from the commune's centre to the nearest
    /// place, in km; `None` without centre or without any place.
    pub distance_km: Option<f64>,
    /// Estimated road distance: `distance_km × facteur_detour`.
    pub route_km: Option<f64>,
    /// Great-circle distance to the nearest place meeting each criterion,
    /// in km, in the order of the criteria.
    pub par_critere: Vec<Option<f64>>,
    /// Fragile population (see [`ModeFragile`]); 0 without index.
    pub population_fragile: f64,
    /// Whether the commune has an index (its fragile population counts).
    pub avec_indice: bool,
}

/// Population beyond a distance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuDela {
    pub seuil_km: f64,
    pub communes: usize,
    pub population: u64,
    pub population_fragile: f64,
}

/// Coverage figures of a territory.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResumeCouverture {
    pub territoire: String,
    pub communes: usize,
    pub population: u64,
    pub population_fragile: f64,
    /// Communes without centre: no distance, left out of the figures below.
    pub communes_sans_coordonnees: usize,
    /// Population-weighted mean distance to the nearest place, in km.
    pub distance_moyenne_km: Option<f64>,
    /// Beyond each threshold, overall.
    pub au_dela: Vec<AuDela>,
    /// Beyond each threshold, for each criterion (same order as the
    /// criteria).
    pub au_dela_par_critere: Vec<Vec<AuDela>>,
}

/// A commune farther than a radius from every place.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ZoneBlanche<'r> {
    pub code_insee: &'r str,
    pub nom: &'r str,
    pub population: u32,
    pub population_fragile: f64,
    pub distance_km: f64,
    pub route_km: f64,
}

/// Distances from every commune of the referential to the places.
#[derive(Clone, Debug, Serialize)]
pub struct Couverture<'r> {
    pub criteres: Vec<String>,
    pub facteur_detour: f64,
    pub seuils_km: Vec<f64>,
    pub lieux: usize,
    /// Every commune, by INSEE code.
    pub communes: Vec<CouvertureCommune<'r>>,
}

/// Computes, for every commune of `referentiel`, the distance from its
/// centre to the nearest place of `lieux` overall and for each criterion,
/// and its fragile population from `indice` (0 everywhere without index).
pub fn calculer_couverture<'r>(
    referentiel: &'r Referentiel,
    lieux: &[PointLieu],
    criteres: &[Critere],
    indice: Option<&Indice<'_>>,
    options: &OptionsCouverture,
) -> Couverture<'r> {
    let tous: NearestIndex<()> = lieux.iter().map(|l| (l.point, ())).collect();
    let index_criteres: Vec<NearestIndex<()>> = criteres
        .iter()
        .map(|c| {
            lieux
                .iter()
                .filter(|l| c.accepte(l))
                .map(|l| (l.point, ()))
                .collect()
        })
        .collect();
    let communes_indice = indice.map(|i| i.communes.as_slice()).unwrap_or(&[]);
    let communes = referentiel
        .communes()
        .iter()
        .enumerate()
        .map(|(position, commune)| {
            let distance = |index: &NearestIndex<()>| -> Option<f64> {
                let centre = commune.centre?;
                index.nearest(centre).map(|(_, d)| d / 1_000.0)
            };
            let distance_km = distance(&tous);
            // The index is usually in the referential's order: look it up
            // by position first.
            let ic = communes_indice
                .get(position)
                .filter(|c| c.code_insee == commune.code_insee)
                .or_else(|| {
                    communes_indice
                        .binary_search_by(|c| c.code_insee.cmp(commune.code_insee.as_str()))
                        .ok()
                        .map(|i| &communes_indice[i])
                });
            let (population_fragile, avec_indice) = match (indice, ic) {
                (Some(indice), Some(ic)) if ic.indice.is_some() => {
                    let population = f64::from(commune.population);
                    let fragile = match options.mode_fragile {
                        ModeFragile::Proportionnel => {
                            indice.part_fragile(ic).unwrap_or(0.0) * population
                        }
                        ModeFragile::Seuil(seuil) => {
                            if ic.indice.is_some_and(|v| v >= seuil) {
                                population
                            } else {
                                0.0
                            }
                        }
                    };
                    (fragile, true)
                }
                _ => (0.0, false),
            };
            CouvertureCommune {
                code_insee: &commune.code_insee,
                nom: &commune.nom,
                population: commune.population,
                code_epci: commune.code_epci.as_deref(),
                code_departement: &commune.code_departement,
                code_region: &commune.code_region,
                centre: commune.centre,
                distance_km,
                route_km: distance_km.map(|d| d * options.facteur_detour),
                par_critere: index_criteres.iter().map(distance).collect(),
                population_fragile,
                avec_indice,
            }
        })
        .collect();
    Couverture {
        criteres: criteres.iter().map(|c| c.nom.clone()).collect(),
        facteur_detour: options.facteur_detour,
        seuils_km: options.seuils_km.clone(),
        lieux: lieux.len(),
        communes,
    }
}

impl<'r> Couverture<'r> {
    /// The distances of the commune of INSEE code `code`.
    pub fn commune(&self, code: &str) -> Option<&CouvertureCommune<'r>> {
        let code = code.trim();
        self.communes
            .binary_search_by(|c| c.code_insee.cmp(code))
            .ok()
            .map(|i| &self.communes[i])
    }

    /// The communes of a territory.
    pub fn communes_de<'a>(
        &'a self,
        territoire: &'a Territoire,
    ) -> impl Iterator<Item = &'a CouvertureCommune<'r>> + 'a {
        self.communes.iter().filter(move |c| match territoire {
            Territoire::France => true,
            Territoire::Region { code, .. } => c.code_region == code,
            Territoire::Departement { code, .. } => c.code_departement == code,
            Territoire::Epci { code, .. } => c.code_epci == Some(code.as_str()),
            Territoire::Commune { code, .. } => c.code_insee == code,
        })
    }

    /// Coverage figures of `territoire`: population and fragile population
    /// beyond each threshold, overall and per criterion. A commune with no
    /// place at all (or none meeting the criterion) is beyond every
    /// threshold.
    pub fn resume(&self, territoire: &Territoire) -> ResumeCouverture {
        let mut resume = ResumeCouverture {
            territoire: territoire.to_string(),
            communes: 0,
            population: 0,
            population_fragile: 0.0,
            communes_sans_coordonnees: 0,
            distance_moyenne_km: None,
            au_dela: self.seuils_vides(),
            au_dela_par_critere: vec![self.seuils_vides(); self.criteres.len()],
        };
        let (mut somme, mut poids) = (0.0, 0.0);
        let ajouter = |au_dela: &mut [AuDela], distance: Option<f64>, c: &CouvertureCommune| {
            for seuil in au_dela.iter_mut() {
                if distance.is_none_or(|d| d > seuil.seuil_km) {
                    seuil.communes += 1;
                    seuil.population += u64::from(c.population);
                    seuil.population_fragile += c.population_fragile;
                }
            }
        };
        for commune in self.communes_de(territoire) {
            resume.communes += 1;
            resume.population += u64::from(commune.population);
            resume.population_fragile += commune.population_fragile;
            if commune.centre.is_none() {
                resume.communes_sans_coordonnees += 1;
                continue;
            }
            if let Some(d) = commune.distance_km {
                somme += d * f64::from(commune.population);
                poids += f64::from(commune.population);
            }
            ajouter(&mut resume.au_dela, commune.distance_km, commune);
            for (au_dela, distance) in resume
                .au_dela_par_critere
                .iter_mut()
                .zip(&commune.par_critere)
            {
                ajouter(au_dela, *distance, commune);
            }
        }
        resume.distance_moyenne_km = (poids > 0.0).then(|| somme / poids);
        resume
    }

    /// The communes of `territoire` farther than `rayon_km` (great-circle)
    /// from every place, most fragile population first (then most
    /// population, then by code). Communes without centre are not listed.
    pub fn zones_blanches(&self, territoire: &Territoire, rayon_km: f64) -> Vec<ZoneBlanche<'r>> {
        let mut zones: Vec<ZoneBlanche<'r>> = self
            .communes_de(territoire)
            .filter(|c| c.centre.is_some())
            .filter_map(|c| {
                let distance = c.distance_km.unwrap_or(f64::INFINITY);
                (distance > rayon_km).then_some(ZoneBlanche {
                    code_insee: c.code_insee,
                    nom: c.nom,
                    population: c.population,
                    population_fragile: c.population_fragile,
                    distance_km: distance,
                    route_km: distance * self.facteur_detour,
                })
            })
            .collect();
        zones.sort_by(|a, b| {
            b.population_fragile
                .total_cmp(&a.population_fragile)
                .then(b.population.cmp(&a.population))
                .then(a.code_insee.cmp(b.code_insee))
        });
        zones
    }

    fn seuils_vides(&self) -> Vec<AuDela> {
        self.seuils_km
            .iter()
            .map(|&seuil_km| AuDela {
                seuil_km,
                communes: 0,
                population: 0,
                population_fragile: 0.0,
            })
            .collect()
    }
}
