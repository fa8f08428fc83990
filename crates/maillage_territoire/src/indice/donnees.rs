//! Reading `indicateurs_communes.csv` and mapping its rows (geography of
//! about 2019) onto the current communes of the referential.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

use serde::Serialize;

use super::calcul::Medianes;
use super::{Indicateur, ParIndicateur};
use crate::{embedded_indicateurs_communes_csv, Referentiel};

/// Why the indicators file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ErreurIndicateurs {
    /// Not valid CSV, not UTF-8, or unreadable.
    #[error("fichier des indicateurs illisible : {0}")]
    Csv(#[from] csv::Error),
    /// A required column is missing from the header line.
    #[error("fichier des indicateurs : colonne « {0} » absente")]
    ColonneAbsente(&'static str),
    /// A value is not a number (line numbers count the header as line 1).
    #[error("fichier des indicateurs, ligne {ligne} : « {valeur} » n'est pas un nombre (colonne {colonne})")]
    ValeurInvalide {
        ligne: u64,
        colonne: &'static str,
        valeur: String,
    },
    /// Two rows share a code.
    #[error("fichier des indicateurs : code commune « {0} » en double")]
    CodeEnDouble(String),
}

/// How the rows of several former communes were combined into one current
/// commune.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ponderation {
    /// One row only: nothing to combine.
    Unique,
    /// Mean weighted by the population of each former code (known for the
    /// arrondissements municipaux of Paris, Lyon and Marseille).
    Population,
    /// Plain mean: the population of the former communes is not in the
    /// bundled data.
    Egale,
}

/// The raw indicators of one current commune, with the facts of the
/// referential the computation needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DonneesCommune {
    pub code_insee: String,
    pub nom: String,
    pub population: u32,
    pub code_epci: Option<String>,
    pub code_departement: String,
    pub code_region: String,
    /// Observed values, in percent, oriented towards fragility
    /// (`100 − couverture_thd` for [`Indicateur::NonCouvertureThd`]).
    pub valeurs: ParIndicateur<Option<f64>>,
    /// Codes of the rows mapped to this commune (its own code, former
    /// communes merged into it, arrondissements municipaux); empty when no
    /// row maps to it.
    pub codes_sources: Vec<String>,
    pub ponderation: Ponderation,
}

/// The indicators of every commune of a referential, in its order.
#[derive(Clone, Debug)]
pub struct DonneesIndicateurs {
    pub(super) communes: Vec<DonneesCommune>,
    /// Group number of each commune's EPCI, département and région (EPCI:
    /// `u32::MAX` without EPCI), for medians by territory.
    pub(super) groupes: Vec<[u32; 3]>,
    /// Codes of each group, by level (EPCI, département, région).
    pub(super) codes_groupes: [Vec<String>; 3],
    /// Per indicator, the observed values with their commune's position,
    /// sorted by value (the reference distribution of the deciles).
    pub(super) triees: [Vec<(f64, u32)>; 7],
    /// Per indicator, the medians of the observed values by territory.
    pub(super) medianes: Vec<Medianes>,
    sans_correspondance: Vec<String>,
}

static EMBEDDED: OnceLock<DonneesIndicateurs> = OnceLock::new();

impl DonneesIndicateurs {
    /// The bundled indicators mapped onto [`Referentiel::embedded`], read on
    /// first call (a few tens of milliseconds).
    ///
    /// # Panics
    ///
    /// Never with the bundled file, which the tests read: a failure would be
    /// a build defect, not a data error.
    pub fn embedded() -> &'static DonneesIndicateurs {
        EMBEDDED.get_or_init(|| {
            DonneesIndicateurs::lire(embedded_indicateurs_communes_csv(), Referentiel::embedded())
                .expect("bundled indicateurs_communes.csv is valid")
        })
    }

    /// Reads an `indicateurs_communes.csv` (columns `code_insee`,
    /// `code_insee_actuel` and the indicator columns, see
    /// [`Indicateur::colonne`]; extra columns ignored; empty cells are
    /// missing values) and maps its rows onto the communes of `referentiel`.
    ///
    /// A row goes to the commune of its `code_insee_actuel`, or of its
    /// `code_insee` when that column is empty or absent; when that code is
    /// an arrondissement municipal, to its commune. Rows whose code is no
    /// current commune are listed by
    /// [`DonneesIndicateurs::codes_sans_correspondance`]. When several rows
    /// go to one commune, each indicator is the mean of the rows that have
    /// it, weighted by their population when it is known for all of them
    /// (arrondissements municipaux), else with equal weights.
    pub fn lire<R: Read>(
        reader: R,
        referentiel: &Referentiel,
    ) -> Result<DonneesIndicateurs, ErreurIndicateurs> {
        let mut csv = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(reader);
        let headers = csv.headers()?.clone();
        let column = |name: &'static str| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or(ErreurIndicateurs::ColonneAbsente(name))
        };
        let col_code = column("code_insee")?;
        let col_actuel = headers.iter().position(|h| h.trim() == "code_insee_actuel");
        let mut cols = [0usize; 7];
        for indicateur in Indicateur::TOUS {
            cols[indicateur.rang()] = column(indicateur.colonne())?;
        }

        let communes = referentiel.communes();
        // Rows of each commune: (code, population if known, values).
        let mut rows: Vec<Vec<LigneSource>> = vec![Vec::new(); communes.len()];
        let mut seen: HashSet<String> = HashSet::new();
        let mut sans_correspondance = Vec::new();
        let mut record = csv::StringRecord::new();
        while csv.read_record(&mut record)? {
            let ligne = record.position().map_or(0, |p| p.line());
            let code = record.get(col_code).unwrap_or("").trim().to_owned();
            if code.is_empty() {
                continue;
            }
            if !seen.insert(code.clone()) {
                return Err(ErreurIndicateurs::CodeEnDouble(code));
            }
            let actuel = col_actuel
                .and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or("");
            let cible = if actuel.is_empty() {
                if col_actuel.is_some() {
                    // The file says this former code has no current match.
                    sans_correspondance.push(code);
                    continue;
                }
                code.as_str()
            } else {
                actuel
            };
            let commune = referentiel
                .commune(cible)
                .or_else(|| referentiel.commune_or_parent(cible));
            let Some(commune) = commune else {
                sans_correspondance.push(code);
                continue;
            };
            let Ok(index) = communes.binary_search_by(|c| c.code_insee.cmp(&commune.code_insee))
            else {
                sans_correspondance.push(code);
                continue;
            };
            let mut valeurs = [None; 7];
            for indicateur in Indicateur::TOUS {
                let colonne = indicateur.colonne();
                let text = record.get(cols[indicateur.rang()]).unwrap_or("").trim();
                if text.is_empty() {
                    continue;
                }
                let valeur: f64 = text
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| ErreurIndicateurs::ValeurInvalide {
                        ligne,
                        colonne,
                        valeur: text.to_owned(),
                    })?;
                valeurs[indicateur.rang()] = Some(match indicateur {
                    Indicateur::NonCouvertureThd => 100.0 - valeur,
                    _ => valeur,
                });
            }
            let population = referentiel
                .arrondissement(&code)
                .map(|a| a.population)
                .or_else(|| (code == commune.code_insee).then_some(commune.population));
            rows[index].push((code, population, valeurs));
        }

        let mut codes_groupes: [Vec<String>; 3] = Default::default();
        let mut index_groupes: [HashMap<String, u32>; 3] = Default::default();
        let mut groupe = |niveau: usize, code: Option<&String>| -> u32 {
            let Some(code) = code else {
                return u32::MAX;
            };
            if let Some(&g) = index_groupes[niveau].get(code) {
                return g;
            }
            let g = codes_groupes[niveau].len() as u32;
            codes_groupes[niveau].push(code.clone());
            index_groupes[niveau].insert(code.clone(), g);
            g
        };
        let mut groupes = Vec::with_capacity(communes.len());
        let mut resultat = Vec::with_capacity(communes.len());
        for (commune, rows) in communes.iter().zip(rows) {
            groupes.push([
                groupe(0, commune.code_epci.as_ref()),
                groupe(1, Some(&commune.code_departement)),
                groupe(2, Some(&commune.code_region)),
            ]);
            let (valeurs, ponderation) = combiner(&rows);
            resultat.push(DonneesCommune {
                code_insee: commune.code_insee.clone(),
                nom: commune.nom.clone(),
                population: commune.population,
                code_epci: commune.code_epci.clone(),
                code_departement: commune.code_departement.clone(),
                code_region: commune.code_region.clone(),
                valeurs: ParIndicateur(valeurs),
                codes_sources: rows.into_iter().map(|(code, _, _)| code).collect(),
                ponderation,
            });
        }
        sans_correspondance.sort_unstable();
        let triees = Indicateur::TOUS.map(|k| {
            let mut observees: Vec<(f64, u32)> = resultat
                .iter()
                .zip(0u32..)
                .filter_map(|(c, i)| c.valeurs[k].map(|v| (v, i)))
                .collect();
            observees.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            observees
        });
        let mut donnees = DonneesIndicateurs {
            communes: resultat,
            groupes,
            codes_groupes,
            triees,
            medianes: Vec::new(),
            sans_correspondance,
        };
        donnees.medianes = Indicateur::TOUS
            .iter()
            .map(|&k| Medianes::calculer(&donnees, k))
            .collect();
        Ok(donnees)
    }

    /// Every commune of the referential, by INSEE code.
    pub fn communes(&self) -> &[DonneesCommune] {
        &self.communes
    }

    /// The data of the commune of INSEE code `code`.
    pub fn commune(&self, code: &str) -> Option<&DonneesCommune> {
        let code = code.trim();
        self.communes
            .binary_search_by(|c| c.code_insee.as_str().cmp(code))
            .ok()
            .map(|i| &self.communes[i])
    }

    /// Codes of the file's rows that map to no current commune, sorted.
    pub fn codes_sans_correspondance(&self) -> &[String] {
        &self.sans_correspondance
    }
}

/// A row mapped to a commune: its code, its population when known, its
/// values.
type LigneSource = (String, Option<u32>, [Option<f64>; 7]);

/// Combines the rows of one commune: per indicator, the mean of the rows
/// that have it, weighted by population when every such row has one.
fn combiner(rows: &[LigneSource]) -> ([Option<f64>; 7], Ponderation) {
    if rows.len() <= 1 {
        let valeurs = rows.first().map_or([None; 7], |(_, _, v)| *v);
        return (valeurs, Ponderation::Unique);
    }
    let par_population = rows
        .iter()
        .all(|(_, population, _)| population.is_some_and(|p| p > 0));
    let mut valeurs = [None; 7];
    for (rang, valeur) in valeurs.iter_mut().enumerate() {
        let mut somme = 0.0;
        let mut poids = 0.0;
        for (_, population, v) in rows {
            if let Some(v) = v[rang] {
                let w = if par_population {
                    population.map_or(1.0, f64::from)
                } else {
                    1.0
                };
                somme += w * v;
                poids += w;
            }
        }
        if poids > 0.0 {
            *valeur = Some(somme / poids);
        }
    }
    let ponderation = if par_population {
        Ponderation::Population
    } else {
        Ponderation::Egale
    };
    (valeurs, ponderation)
}
