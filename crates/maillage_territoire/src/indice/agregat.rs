//! Aggregation of the communal index to EPCI, département, région, France.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Echelon, Indicateur, Indice, IndiceCommune, ParIndicateur};
use crate::Territoire;

/// The index of a territory: the mean of its communes' index weighted by
/// their population.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agregat {
    pub echelon: Echelon,
    /// Code of the territory (`None` for France).
    pub code: Option<String>,
    pub nombre_communes: usize,
    /// Communes of the territory without index.
    pub communes_sans_indice: usize,
    /// Population of every commune of the territory.
    pub population: u64,
    /// Population of the communes that have an index: the weight of the
    /// mean.
    pub population_avec_indice: u64,
    /// `Σ population × indice ÷ Σ population` over the communes with an
    /// index (plain mean when they all have population 0).
    pub indice: Option<f64>,
    /// Same weighted mean, of each indicator's score.
    pub scores: ParIndicateur<Option<f64>>,
    /// Fragile population: `Σ population × part fragile` over the communes
    /// with an index (see [`Indice::part_fragile`]); `None` (« non
    /// calculable ») when no commune of the territory has one.
    pub population_fragile: Option<f64>,
}

/// Running sums of an aggregate.
#[derive(Default)]
struct Cumul {
    nombre: usize,
    sans_indice: usize,
    population: u64,
    population_avec_indice: u64,
    somme: f64,
    poids: f64,
    somme_simple: f64,
    nombre_avec_indice: usize,
    scores: [(f64, f64); 7],
    fragile: f64,
}

impl Cumul {
    fn ajouter(&mut self, indice: &Indice<'_>, commune: &IndiceCommune<'_>) {
        self.nombre += 1;
        let population = u64::from(commune.population);
        self.population += population;
        let Some(valeur) = commune.indice else {
            self.sans_indice += 1;
            return;
        };
        let w = f64::from(commune.population);
        self.population_avec_indice += population;
        self.somme += w * valeur;
        self.poids += w;
        self.somme_simple += valeur;
        self.nombre_avec_indice += 1;
        for k in Indicateur::TOUS {
            if let Some(s) = commune.scores[k] {
                self.scores[k.rang()].0 += w * s;
                self.scores[k.rang()].1 += w;
            }
        }
        self.fragile += indice.population_fragile(commune).unwrap_or(0.0);
    }

    fn agregat(self, echelon: Echelon, code: Option<String>) -> Agregat {
        let indice = if self.poids > 0.0 {
            Some(self.somme / self.poids)
        } else if self.nombre_avec_indice > 0 {
            Some(self.somme_simple / self.nombre_avec_indice as f64)
        } else {
            None
        };
        Agregat {
            echelon,
            code,
            nombre_communes: self.nombre,
            communes_sans_indice: self.sans_indice,
            population: self.population,
            population_avec_indice: self.population_avec_indice,
            indice,
            scores: ParIndicateur(self.scores.map(|(s, w)| (w > 0.0).then(|| s / w))),
            population_fragile: (self.nombre_avec_indice > 0).then_some(self.fragile),
        }
    }
}

impl<'a> Indice<'a> {
    /// One aggregate per territory of `echelon`, sorted by code (a single
    /// one for France). Communes without EPCI are left out of the EPCI
    /// aggregates.
    pub fn agreger(&self, echelon: Echelon) -> Vec<Agregat> {
        let mut cumuls: BTreeMap<Option<&str>, Cumul> = BTreeMap::new();
        for commune in &self.communes {
            let code = match echelon {
                Echelon::Commune => Some(commune.code_insee),
                Echelon::Epci => match commune.code_epci {
                    Some(code) => Some(code),
                    None => continue,
                },
                Echelon::Departement => Some(commune.code_departement),
                Echelon::Region => Some(commune.code_region),
                Echelon::France => None,
            };
            cumuls.entry(code).or_default().ajouter(self, commune);
        }
        cumuls
            .into_iter()
            .map(|(code, cumul)| cumul.agregat(echelon, code.map(str::to_owned)))
            .collect()
    }

    /// The aggregate of one territory (for a commune, its own index).
    pub fn agregat_territoire(&self, territoire: &Territoire) -> Agregat {
        let (echelon, code) = match territoire {
            Territoire::France => (Echelon::France, None),
            Territoire::Region { code, .. } => (Echelon::Region, Some(code)),
            Territoire::Departement { code, .. } => (Echelon::Departement, Some(code)),
            Territoire::Epci { code, .. } => (Echelon::Epci, Some(code)),
            Territoire::Commune { code, .. } => (Echelon::Commune, Some(code)),
        };
        let mut cumul = Cumul::default();
        for commune in self.communes_de(territoire) {
            cumul.ajouter(self, commune);
        }
        cumul.agregat(echelon, code.cloned())
    }

    /// The communes of a territory, by INSEE code.
    pub fn communes_de<'b>(
        &'b self,
        territoire: &'b Territoire,
    ) -> impl Iterator<Item = &'b IndiceCommune<'a>> + 'b {
        self.communes.iter().filter(move |c| match territoire {
            Territoire::France => true,
            Territoire::Region { code, .. } => c.code_region == code,
            Territoire::Departement { code, .. } => c.code_departement == code,
            Territoire::Epci { code, .. } => c.code_epci == Some(code.as_str()),
            Territoire::Commune { code, .. } => c.code_insee == code,
        })
    }
}
