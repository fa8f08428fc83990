//! Territorial use cases behind `maillage territoire …` and `maillage tournee …`: the
//! fragility index of the communes of a territory, their coverage by the published
//! directory, the "zones blanches", and the planning of the stops of an itinerant tour.
//!
//! The computations are those of [`maillage_territoire`] (`indice`, `couverture`, `tournee`,
//! see `docs/INDICE.md`); this module feeds them with the embedded referential and the
//! published directory, and writes their results as CSV or JSON.
//!
//! ## From a published place to a [`PointLieu`]
//!
//! - position: `localisation` (approximate positions included); places without one are left
//!   out (counted in [`LieuxCouverture::sans_localisation`]);
//! - services: bit `k` is set when the place offers the `k`-th service of the schema, in the
//!   order of [`Service::ALL`] (see [`criteres`]);
//! - free: `frais_a_charge` contains « Gratuit » (« Gratuit sous condition » does not count);
//! - open on Saturday: the opening hours are valid OSM syntax and have an open range on the
//!   reference Saturday [`SAMEDI_DE_REFERENCE`] (15 March 2025, in term time and not a public
//!   holiday); hours missing or not in OSM syntax count as not open;
//! - itinerant: `itinerance` contains « Itinérant » (a bus: its position is one of its
//!   stops). Itinerant places count in the coverage; the tour planner counts only permanent
//!   places as already serving the people around them.

use crate::annuaire::{Annuaire, AppError};
use crate::doublons::LieuFusionne;
use crate::tableur::{Tableau, Valeur};
use chrono::NaiveDate;
use maillage_domain::{Frais, Itinerance, Lieu, Service, Vocabulary};
use maillage_geo::Point;
use maillage_territoire::couverture::{
    calculer_couverture, Couverture, CouvertureCommune, Critere, OptionsCouverture, PointLieu,
    ResumeCouverture, ZoneBlanche,
};
use maillage_territoire::indice::{
    calculer, Agregat, Configuration, DonneesIndicateurs, Echelon, Indicateur, Indice,
    IndiceCommune, Methode,
};
use maillage_territoire::tournee::{
    lire_instance, planifier, resoudre, resoudre_exact, ErreurInstance, ErreurPlan, LieuPermanent,
    Options, OptionsPlan, Plan, Solution, APPORT_MINIMAL,
};
use maillage_territoire::{Referentiel, Territoire};
use opening_hours::{OpeningHours, RuleKind};
use serde::Serialize;
use std::time::Duration;

/// The Saturday on which opening hours are evaluated for "open on Saturday".
pub const SAMEDI_DE_REFERENCE: (i32, u32, u32) = (2025, 3, 15);

/// Errors of the territorial use cases; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurTerritoire {
    #[error(transparent)]
    Annuaire(#[from] AppError),
    #[error(transparent)]
    Territoire(#[from] maillage_territoire::TerritoireError),
    #[error("méthode inconnue « {0} » (attendu : deciles, 2019, 2019:epci, 2019:dep, 2019:reg ou 2019:fr)")]
    Methode(String),
    #[error(transparent)]
    Plan(#[from] ErreurPlan),
    /// Not a `source`: the message already includes it (with its line).
    #[error("{0}")]
    Instance(ErreurInstance),
    #[error("nombre de sites invalide ({p}) : il en faut entre 1 et {candidats}")]
    NombreDeSites { p: usize, candidats: usize },
    #[error("écriture CSV : {0}")]
    Csv(String),
    #[error("écriture JSON : {0}")]
    Json(#[from] serde_json::Error),
}

impl From<ErreurInstance> for ErreurTerritoire {
    fn from(e: ErreurInstance) -> Self {
        ErreurTerritoire::Instance(e)
    }
}

/// Reads a territory (`fr`, `reg:76`, `dep:31`, `epci:243100633`, `commune:31555`) against
/// the embedded referential.
pub fn territoire(texte: &str) -> Result<Territoire, ErreurTerritoire> {
    Ok(Referentiel::embedded().territoire(texte)?)
}

/// The configuration of the index named `texte`: `deciles` (La MedNum's current method, the
/// default), `2019` (the original method against the département's median), or
/// `2019:epci|dep|reg|fr` for another reference.
pub fn configuration(texte: &str) -> Result<Configuration, ErreurTerritoire> {
    let t = texte.trim().to_lowercase();
    let reference = match t.as_str() {
        "deciles" | "déciles" => return Ok(Configuration::deciles()),
        "2019" | "2019:dep" | "2019:departement" => Echelon::Departement,
        "2019:epci" => Echelon::Epci,
        "2019:reg" | "2019:region" => Echelon::Region,
        "2019:fr" | "2019:france" => Echelon::France,
        _ => return Err(ErreurTerritoire::Methode(texte.to_string())),
    };
    Ok(Configuration::methode_2019(reference))
}

/// Name of the method of a configuration, for people.
pub fn libelle_methode(configuration: &Configuration) -> String {
    match configuration.methode {
        Methode::Deciles => "déciles nationaux".to_string(),
        Methode::Reference2019 { reference, .. } => {
            format!("2019, médiane de référence : {}", reference.libelle())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Index
// ---------------------------------------------------------------------------------------

/// The index of the communes of a territory (computed for all of France: the deciles are
/// national).
#[derive(Debug, Clone)]
pub struct ResultatIndice {
    pub territoire: Territoire,
    pub indice: Indice<'static>,
}

impl ResultatIndice {
    /// The communes of the territory, by INSEE code.
    pub fn communes(&self) -> impl Iterator<Item = &IndiceCommune<'static>> + '_ {
        self.indice.communes_de(&self.territoire)
    }

    /// The aggregate of the territory, weighted by population.
    pub fn agregat(&self) -> Agregat {
        self.indice.agregat_territoire(&self.territoire)
    }
}

/// Computes the index with `configuration` (see [`configuration`]).
pub fn indice(territoire: &Territoire, configuration: &Configuration) -> ResultatIndice {
    ResultatIndice {
        territoire: territoire.clone(),
        indice: calculer(DonneesIndicateurs::embedded(), configuration),
    }
}

fn csv_err(e: impl std::fmt::Display) -> ErreurTerritoire {
    ErreurTerritoire::Csv(e.to_string())
}

/// The level an imputed value comes from, for people.
fn libelle_echelon(e: Echelon) -> &'static str {
    e.libelle()
}

/// Columns of [`tableau_indice`] (French, see [`crate::tableur`]).
pub fn colonnes_indice() -> Vec<String> {
    let mut c: Vec<String> = [
        "Code INSEE",
        "Commune",
        "Population",
        "Code EPCI",
        "Code département",
        "Code région",
        "Indice de fragilité numérique",
        "Statut de l'indice",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in Indicateur::TOUS {
        c.push(format!("Score : {}", i.libelle()));
    }
    for i in Indicateur::TOUS {
        c.push(format!("Valeur (%) : {}", i.libelle()));
    }
    for i in Indicateur::TOUS {
        c.push(format!("Valeur estimée d'après : {}", i.libelle()));
    }
    c.push("Indicateurs qui pèsent le plus".to_string());
    c
}

fn ligne_indice(c: &IndiceCommune<'_>) -> Vec<Valeur> {
    let mut ligne = vec![
        Valeur::texte(c.code_insee),
        Valeur::texte(c.nom),
        Valeur::entier(c.population),
        Valeur::texte(c.code_epci.unwrap_or_default()),
        Valeur::texte(c.code_departement),
        Valeur::texte(c.code_region),
        Valeur::nombre(c.indice, 3),
        Valeur::texte(c.statut.libelle()),
    ];
    ligne.extend(c.scores.iter().map(|(_, s)| Valeur::nombre(*s, 3)));
    ligne.extend(c.valeurs.iter().map(|(_, v)| Valeur::nombre(*v, 2)));
    ligne.extend(c.imputees.iter().map(|(_, e)| match e {
        Some(e) => Valeur::texte(libelle_echelon(*e)),
        None => Valeur::Vide,
    }));
    ligne.push(Valeur::texte(
        c.moteurs
            .iter()
            .map(|m| m.libelle())
            .collect::<Vec<_>>()
            .join(", "),
    ));
    ligne
}

/// The commune-level table of the index: one row per commune of the territory; « Score : X »
/// the score of indicator X (empty without value or of weight 0), « Valeur (%) : X » the
/// value used (percent, oriented towards fragility), « Valeur estimée d'après : X » the level
/// whose median was imputed (EPCI, département, France; empty when observed), and the
/// indicators driving the index, strongest first.
pub fn tableau_indice(resultat: &ResultatIndice) -> Tableau {
    let mut t = Tableau::new(colonnes_indice());
    t.lignes = resultat.communes().map(ligne_indice).collect();
    t
}

/// [`tableau_indice`] as CSV (French convention, see [`crate::tableur`]).
pub fn indice_csv(resultat: &ResultatIndice) -> Result<Vec<u8>, ErreurTerritoire> {
    tableau_indice(resultat).csv().map_err(csv_err)
}

/// The JSON of the index: territory, configuration, aggregate and communes.
pub fn indice_json(resultat: &ResultatIndice) -> Result<Vec<u8>, ErreurTerritoire> {
    #[derive(Serialize)]
    struct Sortie<'a> {
        territoire: String,
        nom: &'a str,
        configuration: &'a Configuration,
        agregat: Agregat,
        communes: Vec<&'a IndiceCommune<'static>>,
    }
    let sortie = Sortie {
        territoire: resultat.territoire.to_string(),
        nom: resultat.territoire.nom(),
        configuration: &resultat.indice.configuration,
        agregat: resultat.agregat(),
        communes: resultat.communes().collect(),
    };
    Ok(serde_json::to_vec_pretty(&sortie)?)
}

/// A page of a long list: the items from `offset`, at most `limit` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tranche {
    pub offset: usize,
    pub limit: usize,
}

/// Compact JSON of one page of the index of `territoire` (for the API): territory,
/// configuration, aggregate, `total` (communes of the territory), `offset`, `limit`, and the
/// communes of the page. Reads the national `indice` in place (nothing is copied).
pub fn indice_json_tranche(
    indice: &Indice<'_>,
    territoire: &Territoire,
    tranche: Tranche,
) -> Result<Vec<u8>, ErreurTerritoire> {
    #[derive(Serialize)]
    struct Sortie<'a, 'b> {
        territoire: String,
        nom: &'a str,
        configuration: &'a Configuration,
        agregat: Agregat,
        total: usize,
        offset: usize,
        limit: usize,
        communes: Vec<&'a IndiceCommune<'b>>,
    }
    let sortie = Sortie {
        territoire: territoire.to_string(),
        nom: territoire.nom(),
        configuration: &indice.configuration,
        agregat: indice.agregat_territoire(territoire),
        total: indice.communes_de(territoire).count(),
        offset: tranche.offset,
        limit: tranche.limit,
        communes: indice
            .communes_de(territoire)
            .skip(tranche.offset)
            .take(tranche.limit)
            .collect(),
    };
    Ok(serde_json::to_vec(&sortie)?)
}

// ---------------------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------------------

/// The places of the directory, as the coverage sees them.
#[derive(Debug, Clone, Default)]
pub struct LieuxCouverture {
    pub lieux: Vec<PointLieu>,
    /// Published places left out for lack of a position.
    pub sans_localisation: usize,
}

/// Short code of a service, for CSV columns.
pub fn code_service(service: Service) -> &'static str {
    match service {
        Service::MaterielInformatiqueAPrixSolidaire => "materiel_prix_solidaire",
        Service::AideAuxDemarchesAdministratives => "demarches_administratives",
        Service::MaitriseDesOutilsNumeriquesDuQuotidien => "outils_du_quotidien",
        Service::InsertionProfessionnelleViaLeNumerique => "insertion_professionnelle",
        Service::UtilisationSecuriseeDuNumerique => "utilisation_securisee",
        Service::ParentaliteEtEducationAvecLeNumerique => "parentalite_education",
        Service::LoisirsEtCreationsNumeriques => "loisirs_creations",
        Service::ComprehensionDuMondeNumerique => "comprehension_numerique",
        Service::AccesInternetEtMaterielInformatique => "acces_internet_materiel",
    }
}

fn samedi_de_reference() -> Option<NaiveDate> {
    let (a, m, j) = SAMEDI_DE_REFERENCE;
    NaiveDate::from_ymd_opt(a, m, j)
}

/// Whether OSM opening hours `brut` have an open range on the reference Saturday.
pub fn ouvert_le_samedi(brut: &str) -> bool {
    let Some(samedi) = samedi_de_reference() else {
        return false;
    };
    match brut.parse::<OpeningHours>() {
        Ok(oh) => oh
            .schedule_at(samedi)
            .into_iter()
            .any(|r| r.kind == RuleKind::Open),
        Err(_) => false,
    }
}

/// One published place as a [`PointLieu`] (see the module documentation); `None` without
/// position.
pub fn point_lieu(lieu: &Lieu) -> Option<PointLieu> {
    point_lieu_avec(lieu, ouvert_le_samedi)
}

fn point_lieu_avec(lieu: &Lieu, samedi: impl FnOnce(&str) -> bool) -> Option<PointLieu> {
    let loc = lieu.localisation.as_ref()?;
    let point = Point::new(loc.latitude, loc.longitude)?;
    let mut services = 0u64;
    for (k, s) in Service::ALL.iter().enumerate() {
        if lieu.services.contains(s) {
            services |= 1u64.checked_shl(k as u32).unwrap_or(0);
        }
    }
    Some(PointLieu {
        point,
        services,
        gratuit: lieu.frais_a_charge.contains(&Frais::Gratuit),
        ouvert_samedi: lieu
            .horaires
            .as_ref()
            .is_some_and(|h| h.valide && samedi(&h.brut)),
        itinerant: lieu.itinerance.contains(&Itinerance::Itinerant),
    })
}

/// The published places as [`PointLieu`]s. Opening hours are parsed once per distinct string.
pub fn points_lieux(lieux: &[LieuFusionne]) -> LieuxCouverture {
    let mut cache: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut out = LieuxCouverture::default();
    for f in lieux {
        let samedi = |brut: &str| {
            if let Some(v) = cache.get(brut) {
                return *v;
            }
            let v = ouvert_le_samedi(brut);
            cache.insert(brut.to_string(), v);
            v
        };
        match point_lieu_avec(&f.lieu, samedi) {
            Some(p) => out.lieux.push(p),
            None => out.sans_localisation += 1,
        }
    }
    out
}

/// Every published place of the directory (all of France: the nearest place of a commune may
/// lie across a border).
pub async fn lieux_de_l_annuaire(annuaire: &Annuaire) -> Result<LieuxCouverture, ErreurTerritoire> {
    let lieux = annuaire.lieux_publies(None).await?;
    Ok(points_lieux(&lieux))
}

// ---------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------

/// The criteria of the coverage, with their CSV code: one per service of the schema (bit `k`
/// = `k`-th service of [`Service::ALL`]), then free places, places open on Saturday,
/// permanent places.
pub fn criteres() -> Vec<(String, Critere)> {
    let mut c: Vec<(String, Critere)> = Service::ALL
        .iter()
        .enumerate()
        .map(|(k, s)| {
            (
                code_service(*s).to_string(),
                Critere::service(s.label(), k as u32),
            )
        })
        .collect();
    c.push(("gratuit".to_string(), Critere::gratuit()));
    c.push(("ouvert_samedi".to_string(), Critere::ouvert_samedi()));
    c.push(("permanent".to_string(), Critere::permanent()));
    c
}

/// The coverage of a territory.
#[derive(Debug)]
pub struct ResultatCouverture {
    pub territoire: Territoire,
    /// CSV codes of the criteria, in the order of `couverture.criteres`.
    pub codes_criteres: Vec<String>,
    /// Computed for every commune of France; see [`ResultatCouverture::communes`].
    pub couverture: Couverture<'static>,
    pub resume: ResumeCouverture,
    pub sans_localisation: usize,
}

impl ResultatCouverture {
    /// The communes of the territory, by INSEE code.
    pub fn communes(&self) -> impl Iterator<Item = &CouvertureCommune<'static>> + '_ {
        self.couverture.communes_de(&self.territoire)
    }

    /// The communes farther than `rayon_km` from every place, most fragile population first.
    pub fn zones_blanches(&self, rayon_km: f64) -> Vec<ZoneBlanche<'static>> {
        self.couverture.zones_blanches(&self.territoire, rayon_km)
    }
}

/// The coverage of `territoire` by `lieux`, fragile population from `indice` (population ×
/// fragile share).
pub fn couverture(
    territoire: &Territoire,
    lieux: &LieuxCouverture,
    indice: &Indice<'_>,
) -> ResultatCouverture {
    let (codes, criteres): (Vec<String>, Vec<Critere>) = criteres().into_iter().unzip();
    let couverture = calculer_couverture(
        Referentiel::embedded(),
        &lieux.lieux,
        &criteres,
        Some(indice),
        &OptionsCouverture::default(),
    );
    let resume = couverture.resume(territoire);
    ResultatCouverture {
        territoire: territoire.clone(),
        codes_criteres: codes,
        couverture,
        resume,
        sans_localisation: lieux.sans_localisation,
    }
}

/// The zones blanches of `territoire` at `rayon_km` (see [`ResultatCouverture::zones_blanches`]).
pub fn zones_blanches(
    territoire: &Territoire,
    lieux: &LieuxCouverture,
    indice: &Indice<'_>,
    rayon_km: f64,
) -> (ResultatCouverture, Vec<ZoneBlanche<'static>>) {
    let resultat = couverture(territoire, lieux, indice);
    let zones = resultat.zones_blanches(rayon_km);
    (resultat, zones)
}

/// A coverage criterion's name for a column header: « lieu gratuit », « Aide aux démarches
/// administratives ».
fn libelle_critere(nom: &str) -> String {
    match nom {
        "gratuit" => "lieu gratuit".to_string(),
        "ouvert le samedi" => "lieu ouvert le samedi".to_string(),
        "permanent" => "lieu permanent (hors itinérant)".to_string(),
        autre => format!("lieu « {autre} »"),
    }
}

/// The coverage columns of [`tableau_couverture`] after the commune's identity.
fn colonnes_distances(criteres: &[String]) -> Vec<String> {
    let mut c: Vec<String> = [
        "Population fragile estimée",
        "Latitude",
        "Longitude",
        "Distance au lieu le plus proche (km, à vol d'oiseau)",
        "Distance par la route (km, estimation)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for nom in criteres {
        c.push(format!(
            "Distance (km, à vol d'oiseau) au {} le plus proche",
            libelle_critere(nom)
        ));
    }
    c
}

fn distances(c: &CouvertureCommune<'_>) -> Vec<Valeur> {
    let mut ligne = vec![
        if c.avec_indice {
            Valeur::Nombre(c.population_fragile, 0)
        } else {
            Valeur::Vide
        },
        Valeur::nombre(c.centre.map(|p| p.lat), 5),
        Valeur::nombre(c.centre.map(|p| p.lon), 5),
        Valeur::nombre(c.distance_km, 2),
        Valeur::nombre(c.route_km, 2),
    ];
    ligne.extend(c.par_critere.iter().map(|d| Valeur::nombre(*d, 2)));
    ligne
}

/// One row per commune of the territory: fragile population (empty without index),
/// great-circle distance from its centre to the nearest place, estimated road distance (× the
/// detour factor), and the great-circle distance to the nearest place meeting each criterion
/// (empty when no place meets it or the commune has no centre).
pub fn tableau_couverture(resultat: &ResultatCouverture) -> Tableau {
    let mut colonnes: Vec<String> = [
        "Code INSEE",
        "Commune",
        "Population",
        "Code EPCI",
        "Code département",
        "Code région",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    colonnes.extend(colonnes_distances(&resultat.couverture.criteres));
    let mut t = Tableau::new(colonnes);
    t.lignes = resultat
        .communes()
        .map(|c| {
            let mut ligne = vec![
                Valeur::texte(c.code_insee),
                Valeur::texte(c.nom),
                Valeur::entier(c.population),
                Valeur::texte(c.code_epci.unwrap_or_default()),
                Valeur::texte(c.code_departement),
                Valeur::texte(c.code_region),
            ];
            ligne.extend(distances(c));
            ligne
        })
        .collect();
    t
}

/// [`tableau_couverture`] as CSV (French convention).
pub fn couverture_csv(resultat: &ResultatCouverture) -> Result<Vec<u8>, ErreurTerritoire> {
    tableau_couverture(resultat).csv().map_err(csv_err)
}

/// The index and the coverage of the communes of `territoire` in one table (the territory
/// pages' download): the columns of [`tableau_indice`] then the coverage columns of
/// [`tableau_couverture`], read in place from the national index and coverage.
pub fn tableau_communes(
    indice: &Indice<'_>,
    couverture: &Couverture<'_>,
    territoire: &Territoire,
) -> Tableau {
    let mut colonnes = colonnes_indice();
    colonnes.extend(colonnes_distances(&couverture.criteres));
    let vides = colonnes.len() - colonnes_indice().len();
    let mut t = Tableau::new(colonnes);
    t.lignes = indice
        .communes_de(territoire)
        .map(|c| {
            let mut ligne = ligne_indice(c);
            match couverture.commune(c.code_insee) {
                Some(cc) => ligne.extend(distances(cc)),
                None => ligne.extend(std::iter::repeat_n(Valeur::Vide, vides)),
            }
            ligne
        })
        .collect();
    t
}

/// The JSON of the coverage: summary, criteria, and one entry per commune.
pub fn couverture_json(resultat: &ResultatCouverture) -> Result<Vec<u8>, ErreurTerritoire> {
    #[derive(Serialize)]
    struct Sortie<'a> {
        territoire: String,
        nom: &'a str,
        lieux: usize,
        lieux_sans_localisation: usize,
        facteur_detour: f64,
        criteres: &'a [String],
        codes_criteres: &'a [String],
        resume: &'a ResumeCouverture,
        communes: Vec<&'a CouvertureCommune<'static>>,
    }
    let sortie = Sortie {
        territoire: resultat.territoire.to_string(),
        nom: resultat.territoire.nom(),
        lieux: resultat.couverture.lieux,
        lieux_sans_localisation: resultat.sans_localisation,
        facteur_detour: resultat.couverture.facteur_detour,
        criteres: &resultat.couverture.criteres,
        codes_criteres: &resultat.codes_criteres,
        resume: &resultat.resume,
        communes: resultat.communes().collect(),
    };
    Ok(serde_json::to_vec_pretty(&sortie)?)
}

/// Compact JSON of one page of the coverage of `territoire` (for the API), read in place from
/// `national`, the coverage of every commune of France: as [`couverture_json`], plus `total`,
/// `offset` and `limit`.
pub fn couverture_json_tranche(
    national: &ResultatCouverture,
    territoire: &Territoire,
    tranche: Tranche,
) -> Result<Vec<u8>, ErreurTerritoire> {
    #[derive(Serialize)]
    struct Sortie<'a> {
        territoire: String,
        nom: &'a str,
        lieux: usize,
        lieux_sans_localisation: usize,
        facteur_detour: f64,
        criteres: &'a [String],
        codes_criteres: &'a [String],
        resume: ResumeCouverture,
        total: usize,
        offset: usize,
        limit: usize,
        communes: Vec<&'a CouvertureCommune<'static>>,
    }
    let c = &national.couverture;
    let sortie = Sortie {
        territoire: territoire.to_string(),
        nom: territoire.nom(),
        lieux: c.lieux,
        lieux_sans_localisation: national.sans_localisation,
        facteur_detour: c.facteur_detour,
        criteres: &c.criteres,
        codes_criteres: &national.codes_criteres,
        resume: c.resume(territoire),
        total: c.communes_de(territoire).count(),
        offset: tranche.offset,
        limit: tranche.limit,
        communes: c
            .communes_de(territoire)
            .skip(tranche.offset)
            .take(tranche.limit)
            .collect(),
    };
    Ok(serde_json::to_vec(&sortie)?)
}

/// The zones blanches as a table: rank, INSEE code, commune, population, fragile population,
/// great-circle and estimated road distances to the nearest place (empty when none).
pub fn tableau_zones_blanches(zones: &[ZoneBlanche<'_>]) -> Tableau {
    let mut t = Tableau::new([
        "Rang",
        "Code INSEE",
        "Commune",
        "Population",
        "Population fragile estimée",
        "Distance au lieu le plus proche (km, à vol d'oiseau)",
        "Distance par la route (km, estimation)",
    ]);
    t.lignes = zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            vec![
                Valeur::entier(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                Valeur::texte(z.code_insee),
                Valeur::texte(z.nom),
                Valeur::entier(z.population),
                Valeur::Nombre(z.population_fragile, 0),
                Valeur::nombre(Some(z.distance_km), 2),
                Valeur::nombre(Some(z.route_km), 2),
            ]
        })
        .collect();
    t
}

/// [`tableau_zones_blanches`] as CSV (French convention).
pub fn zones_blanches_csv(zones: &[ZoneBlanche<'_>]) -> Result<Vec<u8>, ErreurTerritoire> {
    tableau_zones_blanches(zones).csv().map_err(csv_err)
}

/// The zones blanches as JSON (an infinite distance, no place at all, is `null`).
pub fn zones_blanches_json(
    territoire: &Territoire,
    rayon_km: f64,
    zones: &[ZoneBlanche<'_>],
) -> Result<Vec<u8>, ErreurTerritoire> {
    #[derive(Serialize)]
    struct Zone<'a> {
        rang: usize,
        code_insee: &'a str,
        nom: &'a str,
        population: u32,
        population_fragile: f64,
        distance_km: Option<f64>,
        route_km: Option<f64>,
    }
    #[derive(Serialize)]
    struct Sortie<'a> {
        territoire: String,
        nom: &'a str,
        rayon_km: f64,
        zones_blanches: Vec<Zone<'a>>,
    }
    let fini = |d: f64| d.is_finite().then_some(d);
    let sortie = Sortie {
        territoire: territoire.to_string(),
        nom: territoire.nom(),
        rayon_km,
        zones_blanches: zones
            .iter()
            .enumerate()
            .map(|(i, z)| Zone {
                rang: i + 1,
                code_insee: z.code_insee,
                nom: z.nom,
                population: z.population,
                population_fragile: z.population_fragile,
                distance_km: fini(z.distance_km),
                route_km: fini(z.route_km),
            })
            .collect(),
    };
    Ok(serde_json::to_vec_pretty(&sortie)?)
}

/// Compact JSON of one page of the zones blanches (for the API): as [`zones_blanches_json`],
/// plus `total`, `offset` and `limit`; `rang` stays the rank in the whole list.
pub fn zones_blanches_json_tranche(
    territoire: &Territoire,
    rayon_km: f64,
    zones: &[ZoneBlanche<'_>],
    tranche: Tranche,
) -> Result<Vec<u8>, ErreurTerritoire> {
    #[derive(Serialize)]
    struct Zone<'a> {
        rang: usize,
        code_insee: &'a str,
        nom: &'a str,
        population: u32,
        population_fragile: f64,
        distance_km: Option<f64>,
        route_km: Option<f64>,
    }
    #[derive(Serialize)]
    struct Sortie<'a> {
        territoire: String,
        nom: &'a str,
        rayon_km: f64,
        total: usize,
        offset: usize,
        limit: usize,
        zones_blanches: Vec<Zone<'a>>,
    }
    let fini = |d: f64| d.is_finite().then_some(d);
    let sortie = Sortie {
        territoire: territoire.to_string(),
        nom: territoire.nom(),
        rayon_km,
        total: zones.len(),
        offset: tranche.offset,
        limit: tranche.limit,
        zones_blanches: zones
            .iter()
            .enumerate()
            .skip(tranche.offset)
            .take(tranche.limit)
            .map(|(i, z)| Zone {
                rang: i + 1,
                code_insee: z.code_insee,
                nom: z.nom,
                population: z.population,
                population_fragile: z.population_fragile,
                distance_km: fini(z.distance_km),
                route_km: fini(z.route_km),
            })
            .collect(),
    };
    Ok(serde_json::to_vec(&sortie)?)
}

// ---------------------------------------------------------------------------------------
// Tour planner
// ---------------------------------------------------------------------------------------

/// Plans the stops of a tour in `territoire` (see [`planifier`]): the permanent (not
/// itinerant) places of `lieux` already serve the communes within `options.rayon_km`.
pub fn plan(
    territoire: &Territoire,
    lieux: &LieuxCouverture,
    indice: &Indice<'_>,
    options: &OptionsPlan,
) -> Result<Plan, ErreurTerritoire> {
    let permanents: Vec<LieuPermanent> = lieux
        .lieux
        .iter()
        .filter(|l| !l.itinerant)
        .map(|l| LieuPermanent { point: l.point })
        .collect();
    Ok(planifier(
        Referentiel::embedded(),
        territoire,
        indice,
        &permanents,
        options,
    )?)
}

/// Position of each stop in the visiting order (1 = first), when computed.
fn rangs_de_visite(plan: &Plan) -> Vec<Option<usize>> {
    let mut rangs = vec![None; plan.arrets.len()];
    if let Some(ordre) = &plan.ordre_de_visite {
        for (rang, &position) in ordre.iter().enumerate() {
            if let Some(r) = rangs.get_mut(position) {
                *r = Some(rang + 1);
            }
        }
    }
    rangs
}

/// The stops as a table: rank (by decreasing gain), INSEE code, commune, latitude,
/// longitude, fragile people newly reached, running total, communes newly reached, position
/// in the visiting order, week of the stop (`JJ/MM/AAAA`).
pub fn tableau_plan(plan: &Plan) -> Tableau {
    let mut t = Tableau::new([
        "Rang",
        "Code INSEE",
        "Commune",
        "Latitude",
        "Longitude",
        "Habitants fragiles atteints en plus",
        "Cumul",
        "Communes atteintes en plus",
        "Ordre de visite",
        "Semaine du",
    ]);
    let rangs = rangs_de_visite(plan);
    t.lignes = plan
        .arrets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![
                Valeur::entier(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                Valeur::texte(a.code_insee.clone()),
                Valeur::texte(a.nom.clone()),
                Valeur::Nombre(a.point.lat, 5),
                Valeur::Nombre(a.point.lon, 5),
                Valeur::Nombre(a.gain, 0),
                Valeur::Nombre(a.cumul, 0),
                Valeur::entier(u32::try_from(a.communes_atteintes).unwrap_or(u32::MAX)),
                match rangs.get(i).copied().flatten() {
                    Some(r) => Valeur::entier(u32::try_from(r).unwrap_or(u32::MAX)),
                    None => Valeur::Vide,
                },
                match a.date {
                    Some(d) => Valeur::texte(d.format("%d/%m/%Y").to_string()),
                    None => Valeur::Vide,
                },
            ]
        })
        .collect();
    t
}

/// [`tableau_plan`] as CSV (French convention).
pub fn plan_csv(plan: &Plan) -> Result<Vec<u8>, ErreurTerritoire> {
    tableau_plan(plan).csv().map_err(csv_err)
}

/// The plan as JSON.
pub fn plan_json(plan: &Plan) -> Result<Vec<u8>, ErreurTerritoire> {
    Ok(serde_json::to_vec_pretty(plan)?)
}

fn milliers(v: f64) -> String {
    let s = format!("{:.0}", if v > 0.5 { v } else { 0.0 });
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A number of km for people: `10`, `7,5`.
fn km(v: f64) -> String {
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s).replace('.', ",");
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// Why the plan has fewer stops than asked for, in French (`None` when it has them all).
pub fn explication_arrets(plan: &Plan) -> Option<String> {
    let k = plan.arrets.len();
    if k >= plan.arrets_demandes {
        return None;
    }
    let rayon = km(plan.rayon_km);
    let fourchette = format!(
        "de {} à {} habitants",
        milliers(f64::from(plan.population_min)),
        milliers(f64::from(plan.population_max))
    );
    if plan.demande_totale < APPORT_MINIMAL {
        return Some(format!(
            "Aucun arrêt n'est utile : toutes les communes du territoire sont déjà à moins de {rayon} km d'un lieu permanent de l'annuaire, une tournée n'y atteindrait personne de plus."
        ));
    }
    if plan.demande_atteignable < APPORT_MINIMAL {
        return Some(format!(
            "Aucun arrêt n'est utile : les {} communes encore loin d'un lieu permanent sont toutes à plus de {rayon} km de chaque commune candidate ({fourchette}). Élargissez la population des communes candidates ou le rayon.",
            plan.communes_demande
        ));
    }
    if k >= plan.candidats {
        return Some(format!(
            "Il n'y a que {} communes candidates ({fourchette}) : toutes celles qui atteignent quelqu'un sont retenues.",
            plan.candidats
        ));
    }
    let hors = if plan.communes_hors_portee > 0 {
        format!(
            " Les {} habitants fragiles restants vivent dans {} communes à plus de {rayon} km de toute commune candidate.",
            milliers(plan.demande_totale - plan.total_couvert),
            plan.communes_hors_portee
        )
    } else {
        String::new()
    };
    Some(format!(
        "{k} arrêt{pluriel} suffi{verbe} : {ils} atteigne{nt} déjà tous les habitants fragiles que les communes candidates ({fourchette}) peuvent atteindre à moins de {rayon} km ; un arrêt de plus n'ajouterait personne, il n'est donc pas proposé.{hors}",
        pluriel = if k > 1 { "s" } else { "" },
        verbe = if k > 1 { "sent" } else { "t" },
        ils = if k > 1 { "ils" } else { "il" },
        nt = if k > 1 { "nt" } else { "" },
    ))
}

/// What « already within reach of a permanent place » means for this plan, in French.
pub fn explication_deja_couvert(plan: &Plan) -> String {
    format!(
        "{} habitants fragiles ({} communes) vivent déjà à moins de {} km d'un lieu permanent de l'annuaire (un lieu fixe, pas un bus) : ils ne comptent pas dans le calcul, car un arrêt ne leur apporterait pas d'aide qu'ils n'aient déjà à proximité.",
        milliers(plan.deja_couvert),
        plan.communes_deja_couvertes,
        km(plan.rayon_km)
    )
}

/// The plan as text, for people: stops with what each adds, totals, the gap, then the
/// visiting order and the weekly calendar when computed.
pub fn plan_texte(plan: &Plan, nom_territoire: &str) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Tournée {} ({}) : {} arrêts, rayon {} km, communes candidates de {} à {} habitants",
        nom_territoire,
        plan.territoire,
        plan.arrets.len(),
        km(plan.rayon_km),
        milliers(f64::from(plan.population_min)),
        milliers(f64::from(plan.population_max))
    );
    if let Some(e) = explication_arrets(plan) {
        let _ = writeln!(s, "{e}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Arrêts, par apport décroissant :");
    for (i, a) in plan.arrets.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:>3}. {} ({}) : +{} personnes fragiles, {} communes atteintes (cumul {})",
            i + 1,
            a.nom,
            a.code_insee,
            milliers(a.gain),
            a.communes_atteintes,
            milliers(a.cumul)
        );
    }
    let _ = writeln!(s);
    let part = if plan.demande_totale > 0.0 {
        100.0 * plan.total_couvert / plan.demande_totale
    } else {
        0.0
    };
    let _ = writeln!(
        s,
        "Total atteint : {} personnes fragiles sur {} hors de portée d'un lieu permanent ({}).",
        milliers(plan.total_couvert),
        milliers(plan.demande_totale),
        if plan.demande_totale > 0.0 {
            format!("{} %", km(part))
        } else {
            "aucune".to_string()
        },
    );
    let _ = writeln!(s, "{}", explication_deja_couvert(plan));
    let _ = writeln!(
        s,
        "{} communes à desservir, {} communes candidates{}{}.",
        plan.communes_demande,
        plan.candidats,
        if plan.communes_sans_indice > 0 {
            format!(
                ", {} communes sans indice (part fragile moyenne)",
                plan.communes_sans_indice
            )
        } else {
            String::new()
        },
        if plan.communes_sans_coordonnees > 0 {
            format!(
                ", {} communes sans coordonnées écartées",
                plan.communes_sans_coordonnees
            )
        } else {
            String::new()
        }
    );
    match (plan.optimal, plan.borne_sup, plan.ecart) {
        (true, _, _) => {
            let _ = writeln!(s, "Optimalité : prouvée (écart 0 %).");
        }
        (false, Some(b), Some(e)) => {
            let _ = writeln!(
                s,
                "Écart d'optimalité : au plus {} % (borne supérieure {}).",
                format!("{:.2}", (100.0 * e).max(0.0)).replace('.', ","),
                milliers(b)
            );
        }
        _ => {
            let _ = writeln!(s, "Écart d'optimalité : non calculé.");
        }
    }
    if let Some(ordre) = &plan.ordre_de_visite {
        let _ = writeln!(s);
        let longueur = plan
            .longueur_km
            .map(|l| format!(" (boucle de {l:.0} km à vol d'oiseau)"))
            .unwrap_or_default();
        let _ = writeln!(s, "Ordre de visite{longueur} :");
        for (rang, &position) in ordre.iter().enumerate() {
            if let Some(a) = plan.arrets.get(position) {
                let date = a
                    .date
                    .map(|d| format!("semaine du {} : ", d.format("%d/%m/%Y")))
                    .unwrap_or_default();
                let _ = writeln!(s, "{:>3}. {}{} ({})", rang + 1, date, a.nom, a.code_insee);
            }
        }
    } else if plan.arrets.iter().any(|a| a.date.is_some()) {
        let _ = writeln!(s);
        let _ = writeln!(s, "Calendrier :");
        for a in &plan.arrets {
            if let Some(d) = a.date {
                let _ = writeln!(
                    s,
                    "  {} : {} ({})",
                    d.format("%d/%m/%Y"),
                    a.nom,
                    a.code_insee
                );
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------------------
// Benchmark instances
// ---------------------------------------------------------------------------------------

/// A benchmark instance solved.
#[derive(Debug, Clone, Serialize)]
pub struct ResultatInstance {
    pub nom: Option<String>,
    pub points: usize,
    pub demande_totale: f64,
    pub p: usize,
    pub rayon_m: f64,
    /// Heuristic solution (sites as 0-based positions in the file's order).
    pub solution: Solution,
    /// Sites with their coordinates (latitude, longitude).
    pub coordonnees: Vec<(usize, f64, f64)>,
    /// Whether the exact solver, when asked, proved the solution optimal.
    pub optimal: Option<bool>,
}

/// Reads an instance in the format of `data/benchmarks/mclp/` and solves it for `p` sites
/// within `rayon_m` metres: heuristic with `options`, then, when `exact` is given, the exact
/// solver within that time (its solution is kept when better).
pub fn resoudre_instance(
    texte: &str,
    p: usize,
    rayon_m: f64,
    options: &Options,
    exact: Option<Duration>,
) -> Result<ResultatInstance, ErreurTerritoire> {
    let mut instance = lire_instance(texte)?;
    instance.rayon_m = rayon_m;
    let probleme = instance.probleme()?;
    if p == 0 || p > probleme.nombre_candidats() {
        return Err(ErreurTerritoire::NombreDeSites {
            p,
            candidats: probleme.nombre_candidats(),
        });
    }
    let mut solution = resoudre(&probleme, p, options);
    let mut optimal = None;
    if let Some(duree) = exact {
        if let Ok(e) = resoudre_exact(&probleme, p, Some(duree)) {
            if e.couvert > solution.couvert {
                solution.sites = e.sites.clone();
                solution.sites.sort_unstable();
                solution.couvert = e.couvert;
            }
            optimal = Some(e.optimal);
            let borne = if e.optimal {
                solution.couvert
            } else {
                solution
                    .borne_sup
                    .map_or(e.borne_sup, |b| b.min(e.borne_sup))
            };
            solution.borne_sup = Some(borne.max(solution.couvert));
            solution.ecart = solution.borne_sup.map(|b| {
                if b > 0.0 {
                    ((b - solution.couvert) / b).max(0.0)
                } else {
                    0.0
                }
            });
        } else {
            optimal = Some(false);
        }
    }
    let coordonnees = solution
        .sites
        .iter()
        .filter_map(|&j| instance.candidats.get(j).map(|c| (j, c.lat, c.lon)))
        .collect();
    Ok(ResultatInstance {
        nom: instance.nom.clone(),
        points: instance.demandes.len(),
        demande_totale: probleme.poids_total(),
        p,
        rayon_m,
        solution,
        coordonnees,
        optimal,
    })
}
