//! The French territorial referential, embedded in the binary.
//!
//! Communes (COG 2025, with population, postal codes and centroid),
//! arrondissements municipaux of Paris, Lyon and Marseille, EPCI,
//! départements and régions, including the overseas départements (DROM) and
//! collectivities (COM: Saint-Pierre-et-Miquelon, Saint-Barthélemy,
//! Saint-Martin, TAAF, Wallis-et-Futuna, Polynésie française,
//! Nouvelle-Calédonie, Clipperton). Sources and licences:
//! `data/SOURCES.md` at the root of the repository.
//!
//! [`Referentiel::embedded`] parses the compressed CSV files bundled at
//! compile time on first use (a few tens of milliseconds) and keeps the
//! result for the life of the process. Lookups by code, postal code and name
//! use indexes built once; the spatial index behind
//! [`Referentiel::commune_la_plus_proche`] is built on first use.
//!
//! ```
//! use maillage_territoire::Referentiel;
//!
//! let referentiel = Referentiel::embedded();
//! let toulouse = referentiel.commune("31555").unwrap();
//! assert_eq!(toulouse.nom, "Toulouse");
//! let found = referentiel.resoudre(Some("13011"), Some("MARSEILLE 11")).unwrap();
//! assert_eq!(found.code_insee, "13055");
//! assert_eq!(referentiel.resoudre_code_insee(Some("13011"), Some("MARSEILLE 11")), Some("13211"));
//! let territoire = referentiel.territoire("dep:31").unwrap();
//! assert!(territoire.contient("31555"));
//! ```

pub mod couverture;
pub mod indice;
mod load;
mod normalize;
mod resolve;
mod search;
mod territoire;
pub mod tournee;

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use maillage_geo::{NearestIndex, Point};
use serde::Serialize;

pub use load::{embedded_indicateurs_communes_csv, CsvSources, ReferentielError};
pub use normalize::normaliser_nom;
pub use territoire::{Territoire, TerritoireError};

/// Farthest a point may be from the centroid of a commune for
/// [`Referentiel::commune_la_plus_proche`] to return it, in metres.
///
/// Communes of the overseas collectivities have no centroid in the bundled
/// data: without this bound, a point in Nouméa would get a commune of La
/// Réunion. The largest communes (in Guyane) have no point farther than this
/// from a centroid.
pub const NEAREST_COMMUNE_MAX_DISTANCE_M: f64 = 100_000.0;

/// Kind of territory a département, a région or a commune belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    /// Metropolitan France, Corsica included.
    Metro,
    /// Overseas départements and régions: Guadeloupe, Martinique, Guyane,
    /// La Réunion, Mayotte.
    Drom,
    /// Overseas collectivities and Nouvelle-Calédonie: Saint-Pierre-et-
    /// Miquelon, Saint-Barthélemy, Saint-Martin, TAAF, Wallis-et-Futuna,
    /// Polynésie française, Nouvelle-Calédonie, Clipperton.
    Com,
}

impl Zone {
    /// The code used in the data files: `metro`, `drom` or `com`.
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Metro => "metro",
            Zone::Drom => "drom",
            Zone::Com => "com",
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Legal form of an EPCI à fiscalité propre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum EpciKind {
    /// Communauté de communes.
    #[serde(rename = "CC")]
    Cc,
    /// Communauté d'agglomération.
    #[serde(rename = "CA")]
    Ca,
    /// Communauté urbaine.
    #[serde(rename = "CU")]
    Cu,
    /// Métropole.
    #[serde(rename = "METRO")]
    Metro,
    /// Métropole de Lyon, a collectivity with special status that the COG
    /// lists among EPCI (code `MET69`).
    #[serde(rename = "MET69")]
    MetropoleDeLyon,
}

impl EpciKind {
    /// The code used in the data files: `CC`, `CA`, `CU`, `METRO`, `MET69`.
    pub fn as_str(self) -> &'static str {
        match self {
            EpciKind::Cc => "CC",
            EpciKind::Ca => "CA",
            EpciKind::Cu => "CU",
            EpciKind::Metro => "METRO",
            EpciKind::MetropoleDeLyon => "MET69",
        }
    }

    /// Full French name of the legal form.
    pub fn libelle(self) -> &'static str {
        match self {
            EpciKind::Cc => "communauté de communes",
            EpciKind::Ca => "communauté d'agglomération",
            EpciKind::Cu => "communauté urbaine",
            EpciKind::Metro => "métropole",
            EpciKind::MetropoleDeLyon => "Métropole de Lyon",
        }
    }
}

impl fmt::Display for EpciKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A commune of the Code officiel géographique.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Commune {
    /// INSEE code, 5 characters (`31555`, `2A004`, `98818`).
    pub code_insee: String,
    /// Official name (`Saint-Étienne`).
    pub nom: String,
    pub code_departement: String,
    pub code_region: String,
    /// SIREN of the EPCI; `None` for the communes of the overseas
    /// collectivities and the four single-commune islands (Île-de-Bréhat,
    /// Île-de-Sein, Ouessant, L'Île-d'Yeu).
    pub code_epci: Option<String>,
    pub zone: Zone,
    /// Population municipale; 0 for the six villages of the Meuse that died
    /// for France in 1916 and for the uninhabited TAAF and Clipperton.
    pub population: u32,
    /// Postal codes serving the commune, in the source's order (a postal
    /// code may serve several communes).
    pub codes_postaux: Vec<String>,
    /// Centroid of the commune's polygon; `None` for the communes of the
    /// overseas collectivities and a few metropolitan communes (see
    /// `data/SOURCES.md`).
    pub centre: Option<Point>,
}

/// An arrondissement municipal of Paris, Lyon or Marseille.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArrondissementMunicipal {
    /// INSEE code (`75115`, `69383`, `13211`).
    pub code_insee: String,
    /// Official name (`Paris 15e Arrondissement`).
    pub nom: String,
    /// INSEE code of the commune (`75056`, `69123`, `13055`).
    pub code_commune_parente: String,
    pub population: u32,
    pub codes_postaux: Vec<String>,
}

/// An EPCI à fiscalité propre (intercommunality).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Epci {
    /// SIREN, 9 digits.
    pub code: String,
    pub nom: String,
    pub kind: EpciKind,
    pub population: u32,
}

/// A département, or an overseas collectivity in that role (975 to 989).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Departement {
    /// `01` to `95`, `2A`, `2B`, `971` to `976`, and `975`, `977`, `978`,
    /// `984`, `986`, `987`, `988`, `989` for the overseas collectivities.
    pub code: String,
    pub nom: String,
    pub code_region: String,
    pub zone: Zone,
}

/// A région, or an overseas collectivity in that role (same code as its
/// département).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Region {
    pub code: String,
    pub nom: String,
    pub zone: Zone,
}

/// The territorial referential: every commune, arrondissement municipal,
/// EPCI, département and région, with indexes for lookups.
///
/// Build it with [`Referentiel::embedded`] (the bundled data, parsed once
/// per process) or [`Referentiel::from_csv`].
pub struct Referentiel {
    /// Sorted by code.
    communes: Vec<Commune>,
    arrondissements: Vec<ArrondissementMunicipal>,
    epcis: Vec<Epci>,
    departements: Vec<Departement>,
    regions: Vec<Region>,
    /// Commune indices by postal code, most populated first.
    by_postal_code: HashMap<String, Vec<u32>>,
    /// Every postal code, sorted, for postal code prefixes.
    postal_codes: Vec<String>,
    /// Arrondissement indices by postal code.
    arrondissements_by_postal_code: HashMap<String, Vec<u32>>,
    /// Commune indices by EPCI, département and région code, by code.
    by_epci: HashMap<String, Vec<u32>>,
    by_departement: HashMap<String, Vec<u32>>,
    by_region: HashMap<String, Vec<u32>>,
    /// Normalised name of each commune, by commune index.
    normalised_names: Vec<String>,
    /// Commune indices sorted by normalised name, for prefix search.
    names: Vec<u32>,
    /// Commune indices by [`normalize::match_key`] of their name.
    by_match_key: HashMap<String, Vec<u32>>,
    /// Arrondissement index by (parent commune index, number).
    arrondissement_numbers: HashMap<(u32, u32), u32>,
    /// Parent commune index by normalised parent name (`paris`, `lyon`,
    /// `marseille`).
    arrondissement_parents: HashMap<String, u32>,
    /// Départements of the communes whose postal codes start with a prefix
    /// (2 digits, 3 for 97 and 98): `20` → `2A`, `2B`.
    departements_by_postal_prefix: HashMap<String, Vec<String>>,
    nearest: OnceLock<NearestIndex<u32>>,
}

impl fmt::Debug for Referentiel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Referentiel")
            .field("communes", &self.communes.len())
            .field("arrondissements", &self.arrondissements.len())
            .field("epcis", &self.epcis.len())
            .field("departements", &self.departements.len())
            .field("regions", &self.regions.len())
            .finish_non_exhaustive()
    }
}

static EMBEDDED: OnceLock<Referentiel> = OnceLock::new();

impl Referentiel {
    /// The referential bundled in the binary, parsed on first call.
    ///
    /// # Panics
    ///
    /// Never with the bundled files, which the tests load: a failure would
    /// be a build defect, not a data error.
    pub fn embedded() -> &'static Referentiel {
        EMBEDDED
            .get_or_init(|| Referentiel::load_embedded().expect("embedded referential is valid"))
    }

    /// Parses the bundled files again, without caching: for benchmarks and
    /// tests. Use [`Referentiel::embedded`] otherwise.
    pub fn load_embedded() -> Result<Referentiel, ReferentielError> {
        load::load_embedded()
    }

    /// Every commune, sorted by INSEE code.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// Every arrondissement municipal, sorted by INSEE code.
    pub fn arrondissements(&self) -> &[ArrondissementMunicipal] {
        &self.arrondissements
    }

    /// Every EPCI, sorted by SIREN.
    pub fn epcis(&self) -> &[Epci] {
        &self.epcis
    }

    /// Every département, sorted by code.
    pub fn departements(&self) -> &[Departement] {
        &self.departements
    }

    /// Every région, sorted by code.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The commune of INSEE code `code` (not an arrondissement: see
    /// [`Referentiel::commune_or_parent`]).
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_index(code).map(|index| self.commune_at(index))
    }

    /// The arrondissement municipal of INSEE code `code`.
    pub fn arrondissement(&self, code: &str) -> Option<&ArrondissementMunicipal> {
        find_by(&self.arrondissements, code, |a| &a.code_insee)
    }

    /// The commune of INSEE code `code`, or the commune an arrondissement
    /// municipal of that code belongs to (`13211` → Marseille).
    pub fn commune_or_parent(&self, code: &str) -> Option<&Commune> {
        let code = code.trim();
        self.commune(code).or_else(|| {
            self.arrondissement(code)
                .and_then(|a| self.commune(&a.code_commune_parente))
        })
    }

    /// The EPCI of SIREN `code`.
    pub fn epci(&self, code: &str) -> Option<&Epci> {
        find_by(&self.epcis, code, |e| &e.code)
    }

    /// The département of code `code` (`31`, `2A`, `974`).
    pub fn departement(&self, code: &str) -> Option<&Departement> {
        find_by(&self.departements, code, |d| &d.code)
    }

    /// The région of code `code` (`76`, `04`).
    pub fn region(&self, code: &str) -> Option<&Region> {
        find_by(&self.regions, code, |r| &r.code)
    }

    /// The communes of an EPCI, by INSEE code; empty for an unknown code.
    pub fn communes_of_epci(&self, code: &str) -> Vec<&Commune> {
        self.communes_at(self.by_epci.get(code))
    }

    /// The communes of a département, by INSEE code; empty for an unknown
    /// code.
    pub fn communes_of_departement(&self, code: &str) -> Vec<&Commune> {
        self.communes_at(self.by_departement.get(code))
    }

    /// The communes of a région, by INSEE code; empty for an unknown code.
    pub fn communes_of_region(&self, code: &str) -> Vec<&Commune> {
        self.communes_at(self.by_region.get(code))
    }

    /// The communes a postal code serves, most populated first; empty for
    /// an unknown postal code (CEDEX codes are not listed).
    pub fn communes_par_code_postal(&self, code_postal: &str) -> Vec<&Commune> {
        self.communes_at(self.by_postal_code.get(code_postal.trim()))
    }

    /// The commune whose centroid is nearest to `point`, if one is within
    /// [`NEAREST_COMMUNE_MAX_DISTANCE_M`].
    ///
    /// An approximation of the commune containing the point: near a border,
    /// the neighbouring commune's centroid may be nearer. Communes without
    /// a centroid (overseas collectivities, 7 metropolitan communes) are
    /// never returned.
    pub fn commune_la_plus_proche(&self, point: Point) -> Option<&Commune> {
        self.nearest_index()
            .nearest(point)
            .filter(|(_, distance)| *distance <= NEAREST_COMMUNE_MAX_DISTANCE_M)
            .map(|(&index, _)| self.commune_at(index))
    }

    /// The `k` communes whose centroids are nearest to `point`, nearest
    /// first, with the distance in metres (no distance limit).
    pub fn communes_les_plus_proches(&self, point: Point, k: usize) -> Vec<(&Commune, f64)> {
        self.nearest_index()
            .nearest_k(point, k)
            .into_iter()
            .map(|(&index, distance)| (self.commune_at(index), distance))
            .collect()
    }

    fn nearest_index(&self) -> &NearestIndex<u32> {
        self.nearest.get_or_init(|| {
            self.communes
                .iter()
                .zip(0u32..)
                .filter_map(|(commune, index)| commune.centre.map(|centre| (centre, index)))
                .collect()
        })
    }

    fn commune_index(&self, code: &str) -> Option<u32> {
        self.communes
            .binary_search_by(|c| c.code_insee.as_str().cmp(code.trim()))
            .ok()
            .map(|index| index as u32)
    }

    fn commune_at(&self, index: u32) -> &Commune {
        &self.communes[index as usize]
    }

    fn normalised_name(&self, index: u32) -> &str {
        &self.normalised_names[index as usize]
    }

    fn communes_at(&self, indices: Option<&Vec<u32>>) -> Vec<&Commune> {
        indices
            .map(|indices| indices.iter().map(|&i| self.commune_at(i)).collect())
            .unwrap_or_default()
    }
}

/// Binary search in a slice sorted by `key`.
fn find_by<'a, T>(items: &'a [T], code: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    let code = code.trim();
    items
        .binary_search_by(|item| key(item).as_str().cmp(code))
        .ok()
        .map(|index| &items[index])
}
