//! Indice de fragilité numérique per commune.
//!
//! Two methods, documented with their formulas in `docs/INDICE.md`:
//!
//! - [`Methode::Deciles`], La MedNum's current method: each indicator is
//!   scored 1 to 10 by its national decile (10 = the most fragile tenth of
//!   communes) and the index is the weighted mean of the scores;
//! - [`Methode::Reference2019`], the original 2019 method: each indicator is
//!   `100 × valeur ÷ médiane` over a reference territory (EPCI, département,
//!   région or France), the scores are averaged within four axes and the
//!   index is the mean of the axes.
//!
//! The raw data ([`DonneesIndicateurs`]) is read once from
//! `indicateurs_communes.csv` (geography of about 2019) and mapped onto the
//! current communes of the referential through `code_insee_actuel`. The
//! computation ([`calculer`]) is pure and takes a few milliseconds for the
//! 34,969 communes.
//!
//! ```
//! use maillage_territoire::indice::{calculer, Configuration, DonneesIndicateurs, Indicateur};
//!
//! let donnees = DonneesIndicateurs::embedded();
//! let indice = calculer(donnees, &Configuration::deciles());
//! let toulouse = indice.commune("31555").unwrap();
//! let valeur = toulouse.indice.unwrap();
//! assert!((1.0..=10.0).contains(&valeur));
//! assert!(toulouse.scores[Indicateur::MenagesUnePersonne].unwrap() >= 9.0);
//! ```

mod agregat;
mod calcul;
mod donnees;

use std::fmt;
use std::ops::{Index, IndexMut};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub use agregat::Agregat;
pub use calcul::calculer;
pub use donnees::{DonneesCommune, DonneesIndicateurs, ErreurIndicateurs, Ponderation};

/// An indicator of the index, oriented so that a higher value means a more
/// fragile commune.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicateur {
    /// Share of people aged 15 or more, out of school, without a diploma
    /// (`part_sans_diplome_15_plus`, census 2017).
    SansDiplome,
    /// Share of people aged 65 or more among people aged 15 or more
    /// (`part_65_plus_parmi_15_plus`).
    #[serde(rename = "plus_65_ans")]
    Plus65Ans,
    /// Share of single-person households (`part_menages_une_personne`).
    MenagesUnePersonne,
    /// Share of single-parent families (`part_familles_monoparentales`).
    FamillesMonoparentales,
    /// Share of premises NOT eligible to ≥ 30 Mbit/s: `100 − couverture_thd`
    /// (ARCEP, September 2019).
    NonCouvertureThd,
    /// Poverty rate (`taux_pauvrete`, Filosofi 2017), published for about
    /// 5,600 communes only.
    Pauvrete,
    /// Share of people under 25 among people aged 15 or more
    /// (`part_moins_25_parmi_15_plus`); used by the 2019 method only (weight
    /// 0 by default in the deciles method).
    #[serde(rename = "moins_25_ans")]
    Moins25Ans,
}

impl Indicateur {
    /// Every indicator, in the order of [`ParIndicateur`].
    pub const TOUS: [Indicateur; 7] = [
        Indicateur::SansDiplome,
        Indicateur::Plus65Ans,
        Indicateur::MenagesUnePersonne,
        Indicateur::FamillesMonoparentales,
        Indicateur::NonCouvertureThd,
        Indicateur::Pauvrete,
        Indicateur::Moins25Ans,
    ];

    /// Position in [`Indicateur::TOUS`].
    pub fn rang(self) -> usize {
        self as usize
    }

    /// Short code, used as a column name (`sans_diplome`, `non_couverture_thd`).
    pub fn code(self) -> &'static str {
        match self {
            Indicateur::SansDiplome => "sans_diplome",
            Indicateur::Plus65Ans => "plus_65_ans",
            Indicateur::MenagesUnePersonne => "menages_une_personne",
            Indicateur::FamillesMonoparentales => "familles_monoparentales",
            Indicateur::NonCouvertureThd => "non_couverture_thd",
            Indicateur::Pauvrete => "pauvrete",
            Indicateur::Moins25Ans => "moins_25_ans",
        }
    }

    /// Label for people, in French.
    pub fn libelle(self) -> &'static str {
        match self {
            Indicateur::SansDiplome => "Personnes de 15 ans ou plus sans diplôme",
            Indicateur::Plus65Ans => "Personnes de 65 ans ou plus",
            Indicateur::MenagesUnePersonne => "Ménages d'une personne",
            Indicateur::FamillesMonoparentales => "Familles monoparentales",
            Indicateur::NonCouvertureThd => "Locaux sans accès à 30 Mbit/s ou plus",
            Indicateur::Pauvrete => "Taux de pauvreté",
            Indicateur::Moins25Ans => "Jeunes de moins de 25 ans",
        }
    }

    /// Column of `indicateurs_communes.csv` the indicator is read from.
    pub fn colonne(self) -> &'static str {
        match self {
            Indicateur::SansDiplome => "part_sans_diplome_15_plus",
            Indicateur::Plus65Ans => "part_65_plus_parmi_15_plus",
            Indicateur::MenagesUnePersonne => "part_menages_une_personne",
            Indicateur::FamillesMonoparentales => "part_familles_monoparentales",
            Indicateur::NonCouvertureThd => "couverture_thd",
            Indicateur::Pauvrete => "taux_pauvrete",
            Indicateur::Moins25Ans => "part_moins_25_parmi_15_plus",
        }
    }

    /// Axis of the 2019 method the indicator belongs to.
    pub fn axe_2019(self) -> Axe {
        match self {
            Indicateur::NonCouvertureThd | Indicateur::Pauvrete => Axe::AccesInterfaces,
            Indicateur::MenagesUnePersonne | Indicateur::FamillesMonoparentales => {
                Axe::AccesInformation
            }
            Indicateur::Moins25Ans => Axe::CompetencesAdministratives,
            Indicateur::SansDiplome | Indicateur::Plus65Ans => Axe::CompetencesNumeriques,
        }
    }

    /// The indicator of code `code` (see [`Indicateur::code`]).
    pub fn depuis_code(code: &str) -> Option<Indicateur> {
        Indicateur::TOUS.into_iter().find(|i| i.code() == code)
    }
}

impl fmt::Display for Indicateur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An axis of the 2019 method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Axe {
    /// Accès aux interfaces numériques.
    AccesInterfaces,
    /// Accès à l'information.
    AccesInformation,
    /// Compétences administratives.
    CompetencesAdministratives,
    /// Compétences numériques / scolaires.
    CompetencesNumeriques,
}

impl Axe {
    /// Every axis.
    pub const TOUS: [Axe; 4] = [
        Axe::AccesInterfaces,
        Axe::AccesInformation,
        Axe::CompetencesAdministratives,
        Axe::CompetencesNumeriques,
    ];

    /// Label for people, in French.
    pub fn libelle(self) -> &'static str {
        match self {
            Axe::AccesInterfaces => "Accès aux interfaces numériques",
            Axe::AccesInformation => "Accès à l'information",
            Axe::CompetencesAdministratives => "Compétences administratives",
            Axe::CompetencesNumeriques => "Compétences numériques",
        }
    }
}

/// One value per [`Indicateur`], indexed by indicator; serialised as a map
/// from [`Indicateur::code`] to the value.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ParIndicateur<T>(pub [T; 7]);

impl<T> ParIndicateur<T> {
    /// `(indicator, value)` pairs, in the order of [`Indicateur::TOUS`].
    pub fn iter(&self) -> impl Iterator<Item = (Indicateur, &T)> {
        Indicateur::TOUS.into_iter().zip(self.0.iter())
    }
}

impl<T> Index<Indicateur> for ParIndicateur<T> {
    type Output = T;
    fn index(&self, indicateur: Indicateur) -> &T {
        &self.0[indicateur.rang()]
    }
}

impl<T> IndexMut<Indicateur> for ParIndicateur<T> {
    fn index_mut(&mut self, indicateur: Indicateur) -> &mut T {
        &mut self.0[indicateur.rang()]
    }
}

impl<T: Serialize> Serialize for ParIndicateur<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(7))?;
        for (indicateur, valeur) in self.iter() {
            map.serialize_entry(indicateur.code(), valeur)?;
        }
        map.end()
    }
}

/// Level of a territory, for the reference of the 2019 method, the
/// imputation of missing values and the aggregation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Echelon {
    /// A single commune (aggregation only).
    Commune,
    Epci,
    Departement,
    Region,
    France,
}

impl Echelon {
    /// The next larger level (`None` for France).
    pub fn superieur(self) -> Option<Echelon> {
        match self {
            Echelon::Commune => Some(Echelon::Epci),
            Echelon::Epci => Some(Echelon::Departement),
            Echelon::Departement => Some(Echelon::Region),
            Echelon::Region => Some(Echelon::France),
            Echelon::France => None,
        }
    }

    /// Name in French (`EPCI`, `département`, `région`, `France`).
    pub fn libelle(self) -> &'static str {
        match self {
            Echelon::Commune => "commune",
            Echelon::Epci => "EPCI",
            Echelon::Departement => "département",
            Echelon::Region => "région",
            Echelon::France => "France",
        }
    }
}

/// How indicators are turned into scores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "methode", rename_all = "snake_case")]
pub enum Methode {
    /// Score 1–10 by national decile (mid-rank percentile), index = weighted
    /// mean of the scores. La MedNum's current method.
    Deciles,
    /// Score `100 × valeur ÷ médiane de référence`, index = mean of the four
    /// axes. The original 2019 method.
    #[serde(rename = "reference_2019")]
    Reference2019 {
        /// Territory whose median is the reference (the commune's EPCI,
        /// département, région, or France).
        reference: Echelon,
        /// Highest score an indicator may get, if any: a reference median
        /// near 0 (THD non-coverage in a well-served département) makes the
        /// ratio explode. `None` keeps the original formula; the default is
        /// [`PLAFOND_2019`].
        plafond: Option<f64>,
    },
}

/// Default cap of an indicator's score in the 2019 method: five times the
/// reference median (see [`Methode::Reference2019`]).
pub const PLAFOND_2019: f64 = 500.0;

/// Settings of the computation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Configuration {
    pub methode: Methode,
    /// Weight of each indicator, ≥ 0 (0 leaves it out).
    pub poids: ParIndicateur<f64>,
    /// Number of "moteurs" (indicators driving the index) listed per commune.
    pub nombre_moteurs: usize,
    /// Least share of the total weight that must be observed (not imputed)
    /// for a commune to get an index; below it the index is absent and the
    /// commune is flagged [`Statut::DonneesInsuffisantes`].
    pub part_observee_minimale: f64,
}

impl Configuration {
    /// The deciles method with equal weights on the six indicators of the
    /// index (no diploma, 65+, single-person households, single-parent
    /// families, premises without ≥ 30 Mbit/s, poverty), 3 moteurs.
    pub fn deciles() -> Configuration {
        let mut poids = ParIndicateur([1.0; 7]);
        poids[Indicateur::Moins25Ans] = 0.0;
        Configuration {
            methode: Methode::Deciles,
            poids,
            nombre_moteurs: 3,
            part_observee_minimale: 0.5,
        }
    }

    /// The 2019 method against the median of `reference`, with every one of
    /// the seven indicators weighted 1 within its axis, scores capped at
    /// [`PLAFOND_2019`].
    pub fn methode_2019(reference: Echelon) -> Configuration {
        Configuration {
            methode: Methode::Reference2019 {
                reference,
                plafond: Some(PLAFOND_2019),
            },
            poids: ParIndicateur([1.0; 7]),
            nombre_moteurs: 3,
            part_observee_minimale: 0.5,
        }
    }

    /// Score of a commune that is exactly typical: 5.5 for the deciles (the
    /// mean of 1..=10), 100 for the 2019 method (the reference median).
    pub fn score_neutre(&self) -> f64 {
        match self.methode {
            Methode::Deciles => 5.5,
            Methode::Reference2019 { .. } => 100.0,
        }
    }
}

impl Default for Configuration {
    fn default() -> Self {
        Configuration::deciles()
    }
}

/// Where an imputed value comes from (see [`IndiceCommune::imputations`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Imputation<'a> {
    pub indicateur: Indicateur,
    /// Level of the territory whose median was taken: the commune's EPCI,
    /// else its département, else France.
    pub echelon: Echelon,
    /// Code of that territory (`None` for France).
    pub code: Option<&'a str>,
    /// Median used as the commune's value.
    pub valeur: f64,
}

/// Whether a commune got an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statut {
    /// The index is computed.
    Calcule,
    /// No row of `indicateurs_communes.csv` maps to the commune (communes
    /// of the overseas collectivities, communes re-created after 2019).
    SansDonnees,
    /// Rows map to the commune but too few indicators are observed (see
    /// [`Configuration::part_observee_minimale`]): Mayotte, the villages of
    /// the Meuse that died for France.
    DonneesInsuffisantes,
}

impl Statut {
    /// Explanation for people, in French.
    pub fn libelle(self) -> &'static str {
        match self {
            Statut::Calcule => "indice calculé",
            Statut::SansDonnees => "aucune donnée pour cette commune",
            Statut::DonneesInsuffisantes => "trop peu d'indicateurs publiés pour cette commune",
        }
    }
}

/// The indicators pushing the index of a commune up, strongest first (at
/// most seven); dereferences to a slice.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Moteurs {
    liste: [Indicateur; 7],
    nombre: u8,
}

impl Moteurs {
    fn new(moteurs: impl IntoIterator<Item = Indicateur>) -> Moteurs {
        let mut liste = [Indicateur::SansDiplome; 7];
        let mut nombre = 0;
        for (place, moteur) in liste.iter_mut().zip(moteurs) {
            *place = moteur;
            nombre += 1;
        }
        Moteurs { liste, nombre }
    }
}

impl std::ops::Deref for Moteurs {
    type Target = [Indicateur];
    fn deref(&self) -> &[Indicateur] {
        &self.liste[..usize::from(self.nombre)]
    }
}

impl fmt::Debug for Moteurs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Moteurs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The index of one commune, with what it is made of. Borrows the names and
/// codes of the [`DonneesIndicateurs`] it was computed from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndiceCommune<'a> {
    pub code_insee: &'a str,
    pub nom: &'a str,
    pub population: u32,
    pub code_epci: Option<&'a str>,
    pub code_departement: &'a str,
    pub code_region: &'a str,
    /// Values used, in percent, oriented towards fragility (observed or
    /// imputed; `None` when neither).
    pub valeurs: ParIndicateur<Option<f64>>,
    /// For each imputed value, the level of the territory whose median it
    /// is (see [`IndiceCommune::imputations`]); `None` for an observed value.
    pub imputees: ParIndicateur<Option<Echelon>>,
    /// Score of each indicator (1–10 for the deciles, around 100 for the
    /// 2019 method); `None` for an indicator without value or of weight 0.
    pub scores: ParIndicateur<Option<f64>>,
    /// Score of each axis, in the order of [`Axe::TOUS`] (2019 method only).
    pub axes: Option<[Option<f64>; 4]>,
    /// The index; `None` unless [`Statut::Calcule`].
    pub indice: Option<f64>,
    /// Indicators pushing the index up, strongest first: those whose
    /// weighted score exceeds the neutral score (see
    /// [`Configuration::score_neutre`]), at most
    /// [`Configuration::nombre_moteurs`].
    pub moteurs: Moteurs,
    pub statut: Statut,
}

impl<'a> IndiceCommune<'a> {
    /// Whether the value of `indicateur` was imputed.
    pub fn est_impute(&self, indicateur: Indicateur) -> bool {
        self.imputees[indicateur].is_some()
    }

    /// The imputed values, with the territory each comes from.
    pub fn imputations(&self) -> Vec<Imputation<'a>> {
        self.imputees
            .iter()
            .filter_map(|(indicateur, echelon)| {
                let echelon = (*echelon)?;
                let code = match echelon {
                    Echelon::Commune => Some(self.code_insee),
                    Echelon::Epci => self.code_epci,
                    Echelon::Departement => Some(self.code_departement),
                    Echelon::Region => Some(self.code_region),
                    Echelon::France => None,
                };
                Some(Imputation {
                    indicateur,
                    echelon,
                    code,
                    valeur: self.valeurs[indicateur]?,
                })
            })
            .collect()
    }
}

/// The index of every commune of the referential, in its order (by INSEE
/// code).
#[derive(Clone, Debug, Serialize)]
pub struct Indice<'a> {
    pub configuration: Configuration,
    pub communes: Vec<IndiceCommune<'a>>,
    /// Deciles method: for each indicator, the nine values cutting the
    /// observed values into ten bins of equal count (the k-th tenth quantile,
    /// k = 1..9), for display; empty for an indicator without values or with
    /// the 2019 method.
    pub bornes_deciles: ParIndicateur<Vec<f64>>,
    /// Mean of the index of every commune of the computation (all of
    /// France) weighted by population; `None` when no commune has an index.
    /// The reference of [`Indice::part_fragile`].
    pub moyenne_nationale: Option<f64>,
}

/// Share of the people of France counted as fragile on average: 17 % of
/// the people aged 15 or more were in a situation of « illectronisme » in
/// 2019 (no use of the internet in the year, or lacking basic skills; Insee
/// Première n° 1780, October 2019). [`Indice::part_fragile`] spreads this
/// national share over the communes in proportion to their index.
pub const TAUX_FRAGILE_NATIONAL: f64 = 0.17;

/// Population-weighted mean of the index of `communes` (plain mean when
/// they all have population 0); `None` without any index.
pub(crate) fn moyenne_ponderee(communes: &[IndiceCommune<'_>]) -> Option<f64> {
    let (mut somme, mut poids, mut simple, mut n) = (0.0, 0.0, 0.0, 0usize);
    for c in communes {
        if let Some(v) = c.indice.filter(|v| v.is_finite()) {
            let w = f64::from(c.population);
            somme += w * v;
            poids += w;
            simple += v;
            n += 1;
        }
    }
    if poids > 0.0 {
        Some(somme / poids)
    } else if n > 0 {
        Some(simple / n as f64)
    } else {
        None
    }
}

impl<'a> Indice<'a> {
    /// The index of the commune of INSEE code `code`.
    pub fn commune(&self, code: &str) -> Option<&IndiceCommune<'a>> {
        let code = code.trim();
        self.communes
            .binary_search_by(|c| c.code_insee.cmp(code))
            .ok()
            .map(|i| &self.communes[i])
    }

    /// Share of the population of a commune counted as fragile, in \[0, 1\]:
    /// the national share [`TAUX_FRAGILE_NATIONAL`] (17 %) × the commune's
    /// index ÷ the national population-weighted mean of the index
    /// ([`Indice::moyenne_nationale`]). A commune as fragile as the average
    /// of France gets 17 %, one twice as fragile 34 %; summed over France
    /// the fragile population is 17 % of the population of the communes
    /// with an index. `None` without index (« non calculable »).
    pub fn part_fragile(&self, commune: &IndiceCommune<'_>) -> Option<f64> {
        let moyenne = self.moyenne_nationale.filter(|m| *m > 0.0)?;
        commune
            .indice
            .filter(|v| v.is_finite())
            .map(|indice| (TAUX_FRAGILE_NATIONAL * indice / moyenne).clamp(0.0, 1.0))
    }

    /// Fragile population of a commune: population × [`Indice::part_fragile`].
    pub fn population_fragile(&self, commune: &IndiceCommune<'_>) -> Option<f64> {
        self.part_fragile(commune)
            .map(|part| part * f64::from(commune.population))
    }
}
