//! Pages for coordinators (issue 4, item 4): a territory's fragility index, its coverage by
//! the published directory, its zones blanches and the planning of the stops of a tour, with
//! CSV / XLSX downloads and the same data in the JSON API.
//!
//! ## Territories in URLs
//!
//! `/territoires/{code}` where `code` is the form of [`Territoire`]'s `Display`: `fr`,
//! `reg:76`, `dep:31`, `epci:243100633`, `commune:31555` (the colon may be written `%3A`).
//! A hyphen is accepted in place of the colon (`dep-31`, `reg-76`), for tools that dislike
//! colons; links always use the colon form.
//!
//! ## Query parameters (pages, downloads and API alike)
//!
//! - `rayon_km`: distance beyond which a commune is a zone blanche (and, for `plan.csv`,
//!   `plan.xlsx` and the API's `/plan`, the reach of a stop); 1 to 50, default 10;
//! - `rayon_tournee_km` (page only): the reach of a stop, the tour form's own field, so that
//!   the zones blanches and the tour keep their own radius; 1 to 50, default 10;
//! - `population_min`, `population_max`: population range of the planner's candidate
//!   communes, default 2,000 to 8,000 (the Numérique Tour's);
//! - `service`: the code of a coverage criterion (`demarches_administratives`, …,
//!   `gratuit`, `ouvert_samedi`, `permanent`, see [`t::criteres`]): zones blanches are then
//!   the communes farther than `rayon_km` from every place meeting it;
//! - `arrets`: number of stops of the planner, 1 to [`ARRETS_MAX`]; the planner runs only on
//!   territories of at most [`COMMUNES_MAX_PLAN`] communes (every région, not France), so a
//!   request stays under about 2 s;
//! - `tri` (page only): order of the zones blanches, `population_fragile` (default),
//!   `population`, `distance` or `nom`.
//!
//! ## What is computed when
//!
//! The index (deciles method) is computed once per process. The coverage of every commune
//! of France by the places of the search engine (all criteria) is computed once per engine:
//! the cache holds a [`Weak`] on the engine it was computed from and is rebuilt when
//! [`AppState::moteur`] returns another one (the engine is swapped when the directory
//! changes). Plans are kept for the last [`PLANS_EN_CACHE`] requests of the same engine, so
//! the page and its CSV download show the same stops.

use crate::erreur::{rendre, ApiError, ErreurWeb};
use crate::formulaires::{Params, Repete};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_annuaire::recherche::Moteur;
use maillage_annuaire::territoire as t;
use maillage_geo::Point;
use maillage_territoire::couverture::{CouvertureCommune, ResumeCouverture, ZoneBlanche};
use maillage_territoire::indice::{Configuration, Echelon, Indicateur, Indice, IndiceCommune};
use maillage_territoire::tournee::{Options, OptionsPlan, Plan};
use maillage_territoire::{normaliser_nom, Commune, Referentiel, Territoire, Zone};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::routes;

/// Most stops the planner accepts.
pub const ARRETS_MAX: usize = 50;
/// Largest territory, in communes, the planner runs on (Grand Est, the largest région, has
/// 5,121).
pub const COMMUNES_MAX_PLAN: usize = 6_000;
/// Radius bounds, km.
const RAYON_MIN: f64 = 1.0;
const RAYON_MAX: f64 = 50.0;
const RAYON_DEFAUT: f64 = 10.0;
/// Default population range of the planner's candidate communes (the Numérique Tour's), and
/// the largest value accepted.
const POPULATION_MIN_DEFAUT: u32 = 2_000;
const POPULATION_MAX_DEFAUT: u32 = 8_000;
const POPULATION_MAX: u32 = 10_000_000;
/// Zones blanches shown on the page (the downloads have them all).
const ZONES_AFFICHEES: usize = 50;
/// Communes listed in the page's table; beyond, the most fragile ones.
const COMMUNES_TABLEAU_MAX: usize = 1_000;
const COMMUNES_TABLEAU_TRONQUE: usize = 200;
/// A tooltip per dot up to this many dots (page weight).
const TITRES_MAX: usize = 1_000;
pub const PLANS_EN_CACHE: usize = 16;

/// The 18 régions (13 metropolitan, 5 overseas).
const REGIONS: [&str; 18] = [
    "01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84",
    "93", "94",
];

// ---------------------------------------------------------------------------------------
// Territory codes
// ---------------------------------------------------------------------------------------

/// Reads the territory of a URL: `fr`, `reg:76`, `dep:31`, `epci:…`, `commune:…`, or the
/// same with `-` for `:`. The error is a French sentence (a 404).
pub fn lire_territoire(code: &str) -> Result<Territoire, String> {
    let code = code.trim();
    let referentiel = Referentiel::embedded();
    let texte = match code.split_once('-') {
        Some((genre, reste))
            if !code.contains(':')
                && ["reg", "dep", "epci", "commune"]
                    .contains(&genre.to_ascii_lowercase().as_str()) =>
        {
            format!("{genre}:{reste}")
        }
        _ => code.to_string(),
    };
    referentiel.territoire(&texte).map_err(|_| {
        format!(
            "Le territoire « {code} » n'existe pas. Écrivez fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE, ou cherchez-le depuis la page Territoires."
        )
    })
}

/// `/territoires/dep:31`.
fn chemin(territoire: &Territoire) -> String {
    format!("/territoires/{territoire}")
}

/// `dep-31`, for file names.
fn nom_fichier(territoire: &Territoire) -> String {
    territoire.to_string().replace(':', "-")
}

fn genre(territoire: &Territoire) -> &'static str {
    match territoire {
        Territoire::France => "pays",
        Territoire::Region { .. } => "région",
        Territoire::Departement { .. } => "département",
        Territoire::Epci { .. } => "intercommunalité",
        Territoire::Commune { .. } => "commune",
    }
}

/// `Haute-Garonne (département 31)`.
fn titre_territoire(territoire: &Territoire) -> String {
    match territoire {
        Territoire::France => "France entière".to_string(),
        _ => format!(
            "{} ({} {})",
            territoire.nom(),
            genre(territoire),
            territoire.code().unwrap_or_default()
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Numbers in French
// ---------------------------------------------------------------------------------------

/// `12 345` (narrow no-break space between thousands).
pub fn entier(v: f64) -> String {
    let v = if v.is_finite() { v.round() } else { 0.0 };
    let negatif = v < 0.0;
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    if negatif {
        out.push('−');
    }
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// `6,21` with `decimales` digits after the comma; never `-0` (a tiny negative value rounds
/// to `0`, not `-0,0`), and a minus sign for a negative value.
pub fn decimal(v: f64, decimales: usize) -> String {
    let s = format!("{v:.decimales$}");
    match s.strip_prefix('-') {
        Some(reste) if reste.chars().all(|c| c == '0' || c == '.') => reste.replace('.', ","),
        Some(reste) => format!("−{}", reste.replace('.', ",")),
        None => s.replace('.', ","),
    }
}

/// A radius for people: `10`, `7,5`.
fn km_texte(v: f64) -> String {
    decimal(v, if v.fract() == 0.0 { 0 } else { 1 })
}

fn pourcent(part: f64, total: f64) -> String {
    if total > 0.0 {
        format!("{} %", decimal(100.0 * part / total, 1))
    } else {
        "—".to_string()
    }
}

fn distance_km(d: Option<f64>) -> String {
    match d {
        Some(d) if d.is_finite() => format!("{} km", decimal(d, 1)),
        _ => "aucun lieu".to_string(),
    }
}

/// Escapes text for SVG / HTML built by hand.
fn echapper(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The national index, computed once
// ---------------------------------------------------------------------------------------

/// The index of every commune (deciles method) and the national deciles of its value.
pub struct IndiceNational {
    pub indice: Indice<'static>,
    /// The nine values cutting the communes' index into ten classes of equal count.
    pub bornes: [f64; 9],
}

fn quantile(tries: &[f64], q: f64) -> f64 {
    if tries.is_empty() {
        return 0.0;
    }
    let rang = ((q * tries.len() as f64).ceil() as usize).clamp(1, tries.len());
    tries[rang - 1]
}

/// The national index (first call ~0.15 s: reads the indicators).
pub fn indice_national() -> &'static IndiceNational {
    static INDICE: OnceLock<IndiceNational> = OnceLock::new();
    INDICE.get_or_init(|| {
        let indice = t::indice(&Territoire::France, &Configuration::deciles()).indice;
        let mut valeurs: Vec<f64> = indice
            .communes
            .iter()
            .filter_map(|c| c.indice)
            .filter(|v| v.is_finite())
            .collect();
        valeurs.sort_by(f64::total_cmp);
        let bornes = std::array::from_fn(|k| quantile(&valeurs, (k + 1) as f64 / 10.0));
        IndiceNational { indice, bornes }
    })
}

impl IndiceNational {
    /// National decile (1 to 10) of an index value.
    pub fn decile(&self, valeur: f64) -> usize {
        1 + self.bornes.iter().filter(|b| valeur > **b).count()
    }

    /// Range of index values of decile `d` (1 to 10), for people.
    fn intervalle(&self, d: usize) -> String {
        match d {
            1 => format!("≤ {}", decimal(self.bornes[0], 2)),
            10 => format!("> {}", decimal(self.bornes[8], 2)),
            d => format!(
                "{} à {}",
                decimal(self.bornes[d - 2], 2),
                decimal(self.bornes[d - 1], 2)
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// What is computed once per engine
// ---------------------------------------------------------------------------------------

/// The places of one engine as the coverage sees them, and the coverage of every commune of
/// France by them.
pub struct DonneesMoteur {
    moteur: Weak<Moteur>,
    pub lieux: t::LieuxCouverture,
    pub couverture: t::ResultatCouverture,
}

impl DonneesMoteur {
    fn de(&self, moteur: &Arc<Moteur>) -> bool {
        Weak::as_ptr(&self.moteur) == Arc::as_ptr(moteur)
    }

    /// Zones blanches of `territoire` beyond `rayon_km`, overall or for criterion `service`
    /// (position in the criteria), most fragile population first.
    fn zones_blanches(
        &self,
        territoire: &Territoire,
        rayon_km: f64,
        service: Option<usize>,
    ) -> Vec<ZoneBlanche<'static>> {
        let c = &self.couverture.couverture;
        let Some(k) = service else {
            return c.zones_blanches(territoire, rayon_km);
        };
        let mut zones: Vec<ZoneBlanche<'static>> = c
            .communes_de(territoire)
            .filter(|x| x.centre.is_some())
            .filter_map(|x| {
                let d = x
                    .par_critere
                    .get(k)
                    .copied()
                    .flatten()
                    .unwrap_or(f64::INFINITY);
                (d > rayon_km).then_some(ZoneBlanche {
                    code_insee: x.code_insee,
                    nom: x.nom,
                    population: x.population,
                    population_fragile: x.population_fragile,
                    distance_km: d,
                    route_km: d * c.facteur_detour,
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
}

static CACHE: tokio::sync::Mutex<Option<Arc<DonneesMoteur>>> = tokio::sync::Mutex::const_new(None);

/// The territory's routes: coordinators' pages, their downloads and the JSON API.
pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Territoire)
        .get("/territoires", accueil)
        .get("/territoires/{code}", page)
        .get("/territoires/{code}/indice.csv", indice_csv)
        .get("/territoires/{code}/indice.xlsx", indice_xlsx)
        .get("/territoires/{code}/zones-blanches.csv", zones_blanches_csv)
        .get(
            "/territoires/{code}/zones-blanches.xlsx",
            zones_blanches_xlsx,
        )
        .get("/territoires/{code}/plan.csv", plan_csv)
        .get("/territoires/{code}/plan.xlsx", plan_xlsx)
        .get("/territoires/{code}/tournee", crate::tournees::nouvelle)
        .api(routes!(api_indice))
        .api(routes!(api_couverture))
        .api(routes!(api_zones_blanches))
        .api(routes!(api_plan))
}

/// The data of the engine in use, computed on first use after each swap.
pub async fn donnees(state: &AppState) -> Result<Arc<DonneesMoteur>, String> {
    let moteur = state.moteur();
    let mut garde = CACHE.lock().await;
    if let Some(d) = garde.as_ref().filter(|d| d.de(&moteur)) {
        return Ok(Arc::clone(d));
    }
    let m = Arc::clone(&moteur);
    let d = tokio::task::spawn_blocking(move || {
        let lieux = t::points_lieux(m.lieux());
        let couverture = t::couverture(&Territoire::France, &lieux, &indice_national().indice);
        DonneesMoteur {
            moteur: Arc::downgrade(&m),
            lieux,
            couverture,
        }
    })
    .await
    .map_err(|e| format!("calcul de la couverture : {e}"))?;
    let d = Arc::new(d);
    *garde = Some(Arc::clone(&d));
    Ok(d)
}

// ---------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------

struct PlanEnCache {
    moteur: Weak<Moteur>,
    territoire: String,
    arrets: usize,
    rayon_bits: u64,
    population: (u32, u32),
    plan: Arc<Plan>,
}

static PLANS: Mutex<VecDeque<PlanEnCache>> = Mutex::new(VecDeque::new());

/// Options of the planner for a web request: bounded work, the exact solver for a short
/// while, a visiting order.
fn options_plan(arrets: usize, rayon_km: f64, population: (u32, u32)) -> OptionsPlan {
    OptionsPlan {
        arrets,
        rayon_km,
        population_min: population.0,
        population_max: population.1,
        ordre_de_visite: true,
        recherche: Options {
            iterations: 300,
            duree_max: Some(Duration::from_millis(600)),
            ..Options::default()
        },
        exact: Some(Duration::from_millis(600)),
        ..OptionsPlan::default()
    }
}

/// Plans `arrets` stops within `rayon_km` for `territoire`, among the communes of
/// `population.0..=population.1` inhabitants (cached per engine).
pub async fn planifier(
    state: &AppState,
    donnees: &Arc<DonneesMoteur>,
    territoire: &Territoire,
    arrets: usize,
    rayon_km: f64,
    population: (u32, u32),
) -> Result<Arc<Plan>, ErreurReglage> {
    let communes = Referentiel::embedded()
        .communes_of_territoire(territoire)
        .len();
    if communes > COMMUNES_MAX_PLAN {
        return Err(ErreurReglage::new(
            "arrets",
            format!(
                "Le calcul d'une tournée est limité aux territoires d'au plus {} communes ({} en a {}) : choisissez une région, un département ou une intercommunalité.",
                entier(COMMUNES_MAX_PLAN as f64),
                territoire.nom(),
                entier(communes as f64)
            ),
        ));
    }
    let moteur = state.moteur();
    let cle = territoire.to_string();
    let bits = rayon_km.to_bits();
    if let Ok(plans) = PLANS.lock() {
        if let Some(p) = plans.iter().find(|p| {
            Weak::as_ptr(&p.moteur) == Arc::as_ptr(&moteur)
                && p.territoire == cle
                && p.arrets == arrets
                && p.rayon_bits == bits
                && p.population == population
        }) {
            return Ok(Arc::clone(&p.plan));
        }
    }
    let d = Arc::clone(donnees);
    let tt = territoire.clone();
    let plan = tokio::task::spawn_blocking(move || {
        t::plan(
            &tt,
            &d.lieux,
            &indice_national().indice,
            &options_plan(arrets, rayon_km, population),
        )
    })
    .await
    .map_err(|e| ErreurReglage::new("arrets", format!("calcul interrompu : {e}")))?
    .map_err(|e| ErreurReglage::new("arrets", format!("Tournée impossible : {e}.")))?;
    let plan = Arc::new(plan);
    if let Ok(mut plans) = PLANS.lock() {
        if plans.len() >= PLANS_EN_CACHE {
            plans.pop_front();
        }
        plans.push_back(PlanEnCache {
            moteur: Arc::downgrade(&moteur),
            territoire: cle,
            arrets,
            rayon_bits: bits,
            population,
            plan: Arc::clone(&plan),
        });
    }
    Ok(plan)
}

// ---------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------

/// A parameter people can fix.
#[derive(Clone, Debug)]
pub struct ErreurReglage {
    pub parametre: &'static str,
    pub message: String,
}

impl ErreurReglage {
    fn new(parametre: &'static str, message: impl Into<String>) -> ErreurReglage {
        ErreurReglage {
            parametre,
            message: message.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tri {
    PopulationFragile,
    Population,
    Distance,
    Nom,
}

impl Tri {
    const TOUS: [(Tri, &'static str); 4] = [
        (Tri::PopulationFragile, "population_fragile"),
        (Tri::Population, "population"),
        (Tri::Distance, "distance"),
        (Tri::Nom, "nom"),
    ];
    fn code(self) -> &'static str {
        Tri::TOUS
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, c)| *c)
            .unwrap_or("population_fragile")
    }
}

/// The query of the territory pages, their downloads and their API: the settings of the
/// computations and a page of the answer. A parameter may be given several times (a form
/// and a link): its first value that is not empty counts ([`Repete::premier`]; the page's
/// numbers as sent, [`Repete::premier_brut`]).
#[derive(Debug, Default, Deserialize)]
pub struct ParamsTerritoire {
    #[serde(default)]
    rayon_km: Repete,
    #[serde(default)]
    rayon_tournee_km: Repete,
    #[serde(default)]
    population_min: Repete,
    #[serde(default)]
    population_max: Repete,
    #[serde(default)]
    service: Repete,
    #[serde(default)]
    arrets: Repete,
    #[serde(default)]
    tri: Repete,
    #[serde(default)]
    limit: Repete,
    #[serde(default)]
    offset: Repete,
}

/// The query of `/territoires`: what was typed to find a territory.
#[derive(Debug, Default, Deserialize)]
pub struct ParamsRecherche {
    #[serde(default)]
    q: Repete,
}

/// The settings of a request, read from its query string.
#[derive(Clone, Debug)]
struct Reglages {
    /// Zones blanches (and, for the downloads and the API, the reach of a stop).
    rayon_km: f64,
    /// Reach of a stop on the page (`rayon_tournee_km`, its own field of the tour form).
    rayon_tournee_km: f64,
    /// Candidate communes' population range of the planner.
    population_min: u32,
    population_max: u32,
    /// Position of the criterion in [`t::criteres`].
    service: Option<usize>,
    arrets: Option<usize>,
    tri: Tri,
}

pub(crate) fn codes_criteres() -> &'static [(String, String)] {
    static CODES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CODES.get_or_init(|| {
        t::criteres()
            .into_iter()
            .map(|(code, c)| (code, libelle_critere(&c.nom)))
            .collect()
    })
}

fn libelle_critere(nom: &str) -> String {
    match nom {
        "gratuit" => "Lieu gratuit".to_string(),
        "ouvert le samedi" => "Lieu ouvert le samedi".to_string(),
        "permanent" => "Lieu permanent (hors itinérant)".to_string(),
        autre => autre.to_string(),
    }
}

fn lire_reglages(
    p: &ParamsTerritoire,
    arrets_par_defaut: Option<usize>,
) -> (Reglages, Vec<ErreurReglage>) {
    let mut erreurs = Vec::new();
    let rayon_km = match p.rayon_km.premier() {
        None => RAYON_DEFAUT,
        Some(v) => match v.replace(',', ".").parse::<f64>() {
            Ok(r) if r.is_finite() && (RAYON_MIN..=RAYON_MAX).contains(&r) => r,
            _ => {
                erreurs.push(ErreurReglage::new(
                    "rayon_km",
                    format!(
                        "Le rayon « {v} » n'est pas valable : écrivez un nombre de kilomètres entre {} et {} (par exemple 10).",
                        RAYON_MIN, RAYON_MAX
                    ),
                ));
                RAYON_DEFAUT
            }
        },
    };
    let rayon_tournee_km = match p.rayon_tournee_km.premier() {
        None => RAYON_DEFAUT,
        Some(v) => match v.replace(',', ".").parse::<f64>() {
            Ok(r) if r.is_finite() && (RAYON_MIN..=RAYON_MAX).contains(&r) => r,
            _ => {
                erreurs.push(ErreurReglage::new(
                    "arrets",
                    format!(
                        "Le rayon d'action d'un arrêt « {v} » n'est pas valable : écrivez un nombre de kilomètres entre {} et {} (par exemple 10).",
                        RAYON_MIN, RAYON_MAX
                    ),
                ));
                RAYON_DEFAUT
            }
        },
    };
    let mut population = |nom: &'static str, valeur: &Repete, defaut: u32, quoi: &str| match valeur
        .premier()
    {
        None => defaut,
        Some(v) => match v
            .trim()
            .replace(['\u{202f}', '\u{a0}', ' '], "")
            .parse::<u32>()
        {
            Ok(n) if n <= POPULATION_MAX => n,
            _ => {
                erreurs.push(ErreurReglage::new(
                    nom,
                    format!(
                        "La population {quoi} des communes candidates « {v} » n'est pas valable : écrivez un nombre entier d'habitants entre 0 et {} (par exemple {}).",
                        entier(f64::from(POPULATION_MAX)),
                        entier(f64::from(defaut))
                    ),
                ));
                defaut
            }
        },
    };
    let mut population_min = population(
        "population_min",
        &p.population_min,
        POPULATION_MIN_DEFAUT,
        "minimale",
    );
    let mut population_max = population(
        "population_max",
        &p.population_max,
        POPULATION_MAX_DEFAUT,
        "maximale",
    );
    if population_min > population_max {
        erreurs.push(ErreurReglage::new(
            "population_min",
            format!(
                "La population minimale des communes candidates ({}) dépasse la maximale ({}) : inversez-les.",
                entier(f64::from(population_min)),
                entier(f64::from(population_max))
            ),
        ));
        population_min = POPULATION_MIN_DEFAUT;
        population_max = POPULATION_MAX_DEFAUT;
    }
    let service = match p.service.premier() {
        None => None,
        Some(v) => match codes_criteres().iter().position(|(c, _)| c == v) {
            Some(k) => Some(k),
            None => {
                erreurs.push(ErreurReglage::new(
                    "service",
                    format!(
                        "Le service « {v} » est inconnu. Services possibles : {}.",
                        codes_criteres()
                            .iter()
                            .map(|(c, _)| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                None
            }
        },
    };
    let arrets = match p.arrets.premier() {
        None => arrets_par_defaut,
        Some(v) => match v.parse::<usize>() {
            Ok(0) => {
                erreurs.push(ErreurReglage::new(
                    "arrets",
                    "Il faut au moins un arrêt : indiquez un nombre d'arrêts entre 1 et 50.",
                ));
                None
            }
            Ok(k) if k <= ARRETS_MAX => Some(k),
            Ok(k) => {
                erreurs.push(ErreurReglage::new(
                    "arrets",
                    format!("{k} arrêts, c'est trop : le calcul en ligne accepte au plus {ARRETS_MAX} arrêts (la commande maillage tournee plan n'a pas cette limite)."),
                ));
                None
            }
            Err(_) => {
                erreurs.push(ErreurReglage::new(
                    "arrets",
                    format!("Le nombre d'arrêts « {v} » n'est pas valable : écrivez un nombre entier entre 1 et {ARRETS_MAX}."),
                ));
                None
            }
        },
    };
    let tri = match p.tri.premier() {
        None => Tri::PopulationFragile,
        Some(v) => match Tri::TOUS.iter().find(|(_, c)| *c == v) {
            Some((t, _)) => *t,
            None => {
                erreurs.push(ErreurReglage::new(
                    "tri",
                    format!("Le tri « {v} » est inconnu : population_fragile, population, distance ou nom."),
                ));
                Tri::PopulationFragile
            }
        },
    };
    (
        Reglages {
            rayon_km,
            rayon_tournee_km,
            population_min,
            population_max,
            service,
            arrets,
            tri,
        },
        erreurs,
    )
}

// ---------------------------------------------------------------------------------------
// The map
// ---------------------------------------------------------------------------------------

/// Equirectangular projection of a bounding box onto a viewBox.
struct Projection {
    lon0: f64,
    lat1: f64,
    kx: f64,
    echelle: f64,
    marge: f64,
    largeur: f64,
    hauteur: f64,
}

impl Projection {
    fn new(points: &[Point], largeur_max: f64, hauteur_max: f64) -> Projection {
        let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for p in points {
            lat0 = lat0.min(p.lat);
            lat1 = lat1.max(p.lat);
            lon0 = lon0.min(p.lon);
            lon1 = lon1.max(p.lon);
        }
        if points.is_empty() {
            (lat0, lat1, lon0, lon1) = (46.0, 47.0, 2.0, 3.0);
        }
        // A single commune: a few km around it.
        let min_deg = 0.08;
        if lat1 - lat0 < min_deg {
            let m = (lat0 + lat1) / 2.0;
            (lat0, lat1) = (m - min_deg / 2.0, m + min_deg / 2.0);
        }
        let kx = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.2);
        if (lon1 - lon0) * kx < min_deg {
            let m = (lon0 + lon1) / 2.0;
            (lon0, lon1) = (m - min_deg / kx / 2.0, m + min_deg / kx / 2.0);
        }
        let marge = 18.0;
        let largeur_deg = (lon1 - lon0) * kx;
        let hauteur_deg = lat1 - lat0;
        let echelle = ((largeur_max - 2.0 * marge) / largeur_deg)
            .min((hauteur_max - 2.0 * marge) / hauteur_deg);
        Projection {
            lon0,
            lat1,
            kx,
            echelle,
            marge,
            largeur: (2.0 * marge + largeur_deg * echelle).ceil(),
            hauteur: (2.0 * marge + hauteur_deg * echelle).ceil(),
        }
    }

    fn xy(&self, p: Point) -> (f64, f64) {
        (
            self.marge + (p.lon - self.lon0) * self.kx * self.echelle,
            self.marge + (self.lat1 - p.lat) * self.echelle,
        )
    }

    fn contient(&self, (x, y): (f64, f64)) -> bool {
        (0.0..=self.largeur).contains(&x) && (0.0..=self.hauteur).contains(&y)
    }

    /// A distance on the ground, in viewBox units.
    fn km(&self, km: f64) -> f64 {
        km / 111.2 * self.echelle
    }
}

/// A dot of the map: a commune, or a département for France.
pub(crate) struct Point2 {
    pub(crate) point: Point,
    pub(crate) population: u32,
    /// Colour class 1 to 10 (`d1`…`d10`, light to dark): the national decile of its index
    /// on the territory pages, the campaign's progress on the survey's; 0 for none.
    pub(crate) decile: usize,
    pub(crate) titre: String,
}

/// What the colours of the fragility map say, for its summary in words.
const COULEURS_INDICE: &str = "couleur selon le décile national de l'indice de fragilité, du plus clair, D1, au plus foncé, D10";

/// The SVG of the map, and what it shows in words.
pub struct Carte {
    pub svg: String,
    pub resume: String,
}

fn rayons(n: usize) -> (f64, f64) {
    if n <= 100 {
        (4.0, 18.0)
    } else if n <= 1_200 {
        (2.0, 13.0)
    } else {
        (1.3, 9.0)
    }
}

/// The map: dots (size by population, colour class `d0`…`d10` explained by `couleurs`),
/// insets, places and the stops of a plan.
pub(crate) fn dessiner_carte(
    titre: &str,
    points: &[Point2],
    encarts: &[Point2],
    lieux: &[Point],
    plan: Option<&Plan>,
    unite: &str,
    couleurs: &str,
) -> Carte {
    let centres: Vec<Point> = points.iter().map(|p| p.point).collect();
    let hauteur_encarts = if encarts.is_empty() { 0.0 } else { 80.0 };
    let proj = Projection::new(&centres, 800.0, 760.0);
    let (largeur, hauteur_carte) = (proj.largeur, proj.hauteur);
    let hauteur = hauteur_carte + hauteur_encarts;
    let mut svg = String::with_capacity(64 * points.len() + 32 * lieux.len() + 2048);
    let _ = write!(
        svg,
        r##"<svg class="carte-territoire" viewBox="0 0 {largeur:.0} {hauteur:.0}" role="img" aria-labelledby="carte-titre" aria-describedby="carte-resume" focusable="false"><title id="carte-titre">{}</title><rect class="fond" width="{largeur:.0}" height="{hauteur:.0}"/>"##,
        echapper(titre)
    );
    // Dots: largest first so small ones stay visible.
    let (rmin, rmax) = rayons(points.len() + encarts.len());
    let pop_max = points
        .iter()
        .chain(encarts)
        .map(|p| p.population)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let rayon = |pop: u32| rmin + (rmax - rmin) * (f64::from(pop) / pop_max).sqrt();
    let mut ordre: Vec<&Point2> = points.iter().collect();
    ordre.sort_by_key(|p| std::cmp::Reverse(p.population));
    let titres = points.len() <= TITRES_MAX;
    // Places: one path of diamonds, one per cell. With département dots (France), small
    // diamonds under the dots; otherwise over them.
    let sous = !encarts.is_empty();
    let (cote, cellule) = if sous { (1.6, 3.0) } else { (3.0, 2.0) };
    let mut cellules = HashSet::new();
    let mut d = String::with_capacity(24 * lieux.len());
    let mut nb_lieux = 0;
    for l in lieux {
        let (x, y) = proj.xy(*l);
        if !proj.contient((x, y)) {
            continue;
        }
        nb_lieux += 1;
        if cellules.insert(((x / cellule) as i64, (y / cellule) as i64)) {
            let _ = write!(
                d,
                "M{x:.1} {:.1}l{cote} {cote}-{cote} {cote}-{cote}-{cote}z",
                y - cote
            );
        }
    }
    let chemin_lieux = if d.is_empty() {
        String::new()
    } else {
        format!(
            r#"<path class="lieux{}" d="{d}"/>"#,
            if sous { " petits" } else { "" }
        )
    };
    if sous {
        svg.push_str(&chemin_lieux);
    }
    svg.push_str(r#"<g class="communes">"#);
    for p in &ordre {
        let (x, y) = proj.xy(p.point);
        let _ = write!(
            svg,
            r#"<circle class="d{}" cx="{x:.1}" cy="{y:.1}" r="{:.1}""#,
            p.decile,
            rayon(p.population)
        );
        if titres {
            let _ = write!(svg, "><title>{}</title></circle>", echapper(&p.titre));
        } else {
            svg.push_str("/>");
        }
    }
    svg.push_str("</g>");
    if !sous {
        svg.push_str(&chemin_lieux);
    }
    // Insets (overseas départements for France).
    if !encarts.is_empty() {
        let n = encarts.len() as f64;
        let pas = largeur / n;
        let y0 = hauteur_carte;
        for (i, e) in encarts.iter().enumerate() {
            let x0 = pas * i as f64;
            let _ = write!(
                svg,
                r#"<rect class="encart" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}"/><circle class="d{}" cx="{:.1}" cy="{:.1}" r="{:.1}"><title>{}</title></circle><text class="etiquette" x="{:.1}" y="{:.1}">{}</text>"#,
                x0 + 4.0,
                y0 + 4.0,
                pas - 8.0,
                hauteur_encarts - 8.0,
                e.decile,
                x0 + pas / 2.0,
                y0 + 30.0,
                rayon(e.population).min(16.0),
                echapper(&e.titre),
                x0 + pas / 2.0,
                y0 + hauteur_encarts - 14.0,
                echapper(e.titre.split(" :").next().unwrap_or_default())
            );
        }
    }
    // Stops of the plan: reach, then numbered circles.
    let mut nb_arrets = 0;
    if let Some(plan) = plan {
        let arrets: Vec<(Point, &str)> = plan
            .arrets
            .iter()
            .map(|a| (a.point, a.nom.as_str()))
            .collect();
        nb_arrets = arrets.len();
        dessiner_arrets(&mut svg, &proj, &arrets, Some(plan.rayon_km));
    }
    svg.push_str("</svg>");
    let mut resume = format!(
        "{} {} (points, taille selon la population, {couleurs})",
        entier((points.len() + encarts.len()) as f64),
        unite,
    );
    if !lieux.is_empty() {
        let _ = write!(
            resume,
            " et {} lieux d'aide au numérique de l'annuaire dans le cadre de la carte (losanges)",
            entier(nb_lieux as f64)
        );
    }
    resume.push('.');
    if nb_arrets > 0 {
        let _ = write!(
            resume,
            " Les {nb_arrets} arrêts proposés sont des cercles blancs numérotés, entourés de leur rayon d'action."
        );
    }
    Carte { svg, resume }
}

/// Numbered stops (in the order given) on a map, with their reach when it is known.
fn dessiner_arrets(
    svg: &mut String,
    proj: &Projection,
    arrets: &[(Point, &str)],
    rayon_km: Option<f64>,
) {
    svg.push_str(r#"<g class="arrets">"#);
    if let Some(rayon) = rayon_km {
        let r = proj.km(rayon);
        for (point, _) in arrets {
            let (x, y) = proj.xy(*point);
            let _ = write!(
                svg,
                r#"<circle class="portee" cx="{x:.1}" cy="{y:.1}" r="{r:.1}"/>"#
            );
        }
    }
    for (i, (point, nom)) in arrets.iter().enumerate() {
        let (x, y) = proj.xy(*point);
        let _ = write!(
            svg,
            r#"<g class="arret"><circle cx="{x:.1}" cy="{y:.1}" r="10"/><text x="{x:.1}" y="{:.1}">{}</text><title>Arrêt {} : {}</title></g>"#,
            y + 4.5,
            i + 1,
            i + 1,
            echapper(nom)
        );
    }
    svg.push_str("</g>");
}

/// The map of a tour: its stops numbered in date order, joined by the route in that order
/// (straight lines). Stops whose commune has no known centre are left out.
pub(crate) fn carte_tournee(titre: &str, arrets: &[(Point, &str)]) -> String {
    let centres: Vec<Point> = arrets.iter().map(|(p, _)| *p).collect();
    let proj = Projection::new(&centres, 800.0, 560.0);
    let (largeur, hauteur) = (proj.largeur, proj.hauteur);
    let mut svg = format!(
        r##"<svg class="carte-territoire" viewBox="0 0 {largeur:.0} {hauteur:.0}" role="img" aria-labelledby="carte-tournee-titre" focusable="false"><title id="carte-tournee-titre">{}</title><rect class="fond" width="{largeur:.0}" height="{hauteur:.0}"/>"##,
        echapper(titre)
    );
    if arrets.len() > 1 {
        let points: Vec<String> = centres
            .iter()
            .map(|p| {
                let (x, y) = proj.xy(*p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="trajet" points="{}"/>"#,
            points.join(" ")
        );
    }
    dessiner_arrets(&mut svg, &proj, arrets, None);
    svg.push_str("</svg>");
    svg
}

// ---------------------------------------------------------------------------------------
// The territory page
// ---------------------------------------------------------------------------------------

pub struct Lien {
    pub texte: String,
    pub href: String,
}

pub struct Barre {
    pub decile: usize,
    pub intervalle: String,
    pub communes: usize,
    pub population: String,
    pub x: f64,
    pub y: f64,
    pub hauteur: f64,
    pub etiquette_y: f64,
}

pub struct LigneCommune {
    pub code: String,
    pub nom: String,
    pub href: String,
    pub population: String,
    pub indice: String,
    pub decile: String,
    pub fragile: String,
    pub distance: String,
    pub moteurs: String,
}

pub struct LigneSeuil {
    pub seuil: String,
    pub communes: String,
    pub population: String,
    pub part_population: String,
    pub fragile: String,
    pub part_fragile: String,
    pub largeur_population: f64,
    pub largeur_fragile: f64,
    pub y: f64,
}

pub struct LigneCritere {
    pub nom: String,
    pub href: String,
    pub valeurs: Vec<String>,
    pub choisi: bool,
}

pub struct LigneZone {
    pub rang: usize,
    pub code: String,
    pub nom: String,
    pub href: String,
    pub population: String,
    pub fragile: String,
    pub distance: String,
    pub route: String,
}

pub struct EnteteTri {
    pub texte: &'static str,
    pub href: String,
    pub trie: bool,
}

pub struct LigneArret {
    pub rang: usize,
    pub nom: String,
    pub href: String,
    pub code: String,
    pub gain: String,
    pub cumul: String,
    pub communes: usize,
    pub visite: String,
}

pub struct VuePlan {
    pub arrets: Vec<LigneArret>,
    pub total: String,
    pub demande: String,
    pub part: String,
    pub candidats: String,
    pub communes_demande: String,
    pub ecart: String,
    pub boucle: String,
    /// Why fewer stops than asked for (none adds anyone more), if so.
    pub explication: Option<String>,
    /// What « already within reach of a permanent place » means here.
    pub deja_explication: String,
    pub demandes: usize,
    pub rayon: String,
    pub csv: String,
    pub xlsx: String,
    /// « Créer cette tournée » (organisers, signed in).
    pub tournee: String,
}

pub struct LigneScore {
    pub libelle: &'static str,
    pub score: String,
}

pub struct LigneSousTerritoire {
    pub nom: String,
    pub href: String,
    pub communes: String,
    pub population: String,
    pub indice: String,
    pub decile: String,
}

#[derive(Template)]
#[template(path = "territoire.html")]
pub struct TerritoirePage {
    pub site: Arc<Site>,
    pub titre: String,
    pub code: String,
    pub chemin: String,
    pub ariane: Vec<Lien>,
    pub erreurs: Vec<ErreurReglage>,
    // Summary
    pub communes: String,
    pub population: String,
    pub indice: String,
    pub decile: String,
    pub fragile: String,
    pub sans_indice: usize,
    pub lieux: String,
    pub distance_moyenne: String,
    // Map
    pub carte: Carte,
    pub legende: Vec<(usize, String)>,
    pub carte_departements: bool,
    // Distribution
    pub barres: Vec<Barre>,
    pub hauteur_histo: f64,
    pub scores: Vec<LigneScore>,
    // Table of communes or départements
    pub sous_titre_tableau: String,
    pub lignes_communes: Vec<LigneCommune>,
    pub communes_tronquees: bool,
    pub sous_territoires_titre: String,
    pub sous_territoires: Vec<LigneSousTerritoire>,
    // Coverage
    pub seuils: Vec<LigneSeuil>,
    pub criteres: Vec<LigneCritere>,
    pub service: String,
    pub service_libelle: String,
    pub services: Vec<(String, String)>,
    // Zones blanches
    pub rayon: String,
    pub rayon_valeur: String,
    pub rayon_defaut: bool,
    /// The tour form's own radius.
    pub rayon_tournee_valeur: String,
    pub rayon_tournee_defaut: bool,
    pub population_min: String,
    pub population_max: String,
    pub population_min_texte: String,
    pub population_max_texte: String,
    pub population_defaut: bool,
    pub nb_zones: String,
    pub population_zones: String,
    pub fragile_zones: String,
    pub zones: Vec<LigneZone>,
    pub entetes_zones: Vec<EnteteTri>,
    pub zones_tronquees: bool,
    pub tri: &'static str,
    pub telechargements: Vec<Lien>,
    // Planner
    pub arrets_valeur: String,
    pub erreur_plan: Option<String>,
    pub plan: Option<VuePlan>,
    pub plan_possible: bool,
    pub api: String,
    /// Measured needs (Compétences' anonymous aggregates).
    pub besoins: crate::competences::VueBesoins,
    /// Measured illectronisme (Enquête) beside the predicted and calibrated index.
    pub illectronisme: crate::enquete::VueIllectronisme,
}

/// The query string of a link from the page, keeping the settings.
fn requete(reglages: &Reglages, remplace: &[(&str, String)]) -> String {
    let mut paires: Vec<(&str, String)> = Vec::new();
    if reglages.rayon_km != RAYON_DEFAUT {
        paires.push(("rayon_km", reglages.rayon_km.to_string()));
    }
    if let Some(k) = reglages.service {
        if let Some((c, _)) = codes_criteres().get(k) {
            paires.push(("service", c.clone()));
        }
    }
    if let Some(a) = reglages.arrets {
        paires.push(("arrets", a.to_string()));
    }
    if reglages.rayon_tournee_km != RAYON_DEFAUT {
        paires.push(("rayon_tournee_km", reglages.rayon_tournee_km.to_string()));
    }
    if reglages.population_min != POPULATION_MIN_DEFAUT {
        paires.push(("population_min", reglages.population_min.to_string()));
    }
    if reglages.population_max != POPULATION_MAX_DEFAUT {
        paires.push(("population_max", reglages.population_max.to_string()));
    }
    if reglages.tri != Tri::PopulationFragile {
        paires.push(("tri", reglages.tri.code().to_string()));
    }
    for (k, v) in remplace {
        paires.retain(|(p, _)| p != k);
        if !v.is_empty() {
            paires.push((k, v.clone()));
        }
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &paires {
        s.append_pair(k, v);
    }
    let s = s.finish();
    if s.is_empty() {
        s
    } else {
        format!("?{s}")
    }
}

fn ariane(territoire: &Territoire) -> Vec<Lien> {
    let r = Referentiel::embedded();
    let mut liens = vec![Lien {
        texte: "Territoires".into(),
        href: "/territoires".into(),
    }];
    if *territoire != Territoire::France {
        liens.push(Lien {
            texte: "France".into(),
            href: "/territoires/fr".into(),
        });
    }
    // The commune that tells the parents.
    let repere: Option<&Commune> = match territoire {
        Territoire::France | Territoire::Region { .. } => None,
        Territoire::Departement { code, .. } => r.communes_of_departement(code).into_iter().next(),
        Territoire::Epci { code, .. } => r
            .communes_of_epci(code)
            .into_iter()
            .max_by_key(|c| c.population),
        Territoire::Commune { code, .. } => r.commune(code),
    };
    let region = match territoire {
        Territoire::Region { .. } => None,
        _ => repere.and_then(|c| r.region(&c.code_region)),
    };
    if let Some(reg) = region {
        liens.push(Lien {
            texte: reg.nom.clone(),
            href: format!("/territoires/reg:{}", reg.code),
        });
    }
    if matches!(
        territoire,
        Territoire::Epci { .. } | Territoire::Commune { .. }
    ) {
        if let Some(dep) = repere.and_then(|c| r.departement(&c.code_departement)) {
            liens.push(Lien {
                texte: dep.nom.clone(),
                href: format!("/territoires/dep:{}", dep.code),
            });
        }
    }
    if let Territoire::Commune { .. } = territoire {
        if let Some(epci) = repere
            .and_then(|c| c.code_epci.as_deref())
            .and_then(|e| r.epci(e))
        {
            liens.push(Lien {
                texte: epci.nom.clone(),
                href: format!("/territoires/epci:{}", epci.code),
            });
        }
    }
    liens
}

fn ligne_commune(
    nat: &IndiceNational,
    ic: Option<&IndiceCommune<'_>>,
    cc: &CouvertureCommune<'_>,
) -> LigneCommune {
    let valeur = ic.and_then(|i| i.indice);
    LigneCommune {
        code: cc.code_insee.to_string(),
        nom: cc.nom.to_string(),
        href: format!("/territoires/commune:{}", cc.code_insee),
        population: entier(f64::from(cc.population)),
        indice: valeur.map(|v| decimal(v, 2)).unwrap_or_else(|| "—".into()),
        decile: valeur
            .map(|v| format!("D{}", nat.decile(v)))
            .unwrap_or_else(|| "sans indice".into()),
        fragile: if cc.avec_indice {
            entier(cc.population_fragile)
        } else {
            "non calculable".into()
        },
        distance: distance_km(cc.distance_km),
        moteurs: ic
            .map(|i| {
                i.moteurs
                    .iter()
                    .map(|m| m.libelle())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
    }
}

/// Builds the page (pure computation over cached data).
fn vue_territoire(
    site: Arc<Site>,
    territoire: &Territoire,
    donnees: &DonneesMoteur,
    reglages: &Reglages,
    erreurs: Vec<ErreurReglage>,
    plan: Option<&Plan>,
) -> TerritoirePage {
    let nat = indice_national();
    let indice = &nat.indice;
    let couverture = &donnees.couverture.couverture;
    let r = Referentiel::embedded();
    let base = chemin(territoire);
    let communes: Vec<&CouvertureCommune<'static>> = couverture.communes_de(territoire).collect();
    let agregat = indice.agregat_territoire(territoire);
    let resume: ResumeCouverture = couverture.resume(territoire);

    // --- Map and its table
    let titre_point = |nom: &str, valeur: Option<f64>, population: f64| match valeur {
        Some(v) => format!(
            "{nom} : indice {} (D{}), {} hab.",
            decimal(v, 2),
            nat.decile(v),
            entier(population)
        ),
        None => format!("{nom} : sans indice, {} hab.", entier(population)),
    };
    let france = *territoire == Territoire::France;
    let mut points = Vec::new();
    let mut encarts = Vec::new();
    let mut sous_territoires = Vec::new();
    let sous_territoires_titre;
    if france {
        // One dot per département, at the population-weighted centre of its communes.
        let agregats: HashMap<String, _> = indice
            .agreger(Echelon::Departement)
            .into_iter()
            .filter_map(|a| a.code.clone().map(|c| (c, a)))
            .collect();
        let mut centres: HashMap<&str, (f64, f64, f64, u32)> = HashMap::new();
        for c in &communes {
            if let Some(p) = c.centre {
                let e = centres.entry(c.code_departement).or_default();
                let w = f64::from(c.population.max(1));
                e.0 += w * p.lat;
                e.1 += w * p.lon;
                e.2 += w;
                e.3 += c.population;
            }
        }
        for dep in r.departements() {
            let Some(&(la, lo, w, population)) = centres.get(dep.code.as_str()) else {
                continue;
            };
            let Some(point) = Point::new(la / w, lo / w) else {
                continue;
            };
            let valeur = agregats.get(&dep.code).and_then(|a| a.indice);
            let p = Point2 {
                point,
                population,
                decile: valeur.map(|v| nat.decile(v)).unwrap_or(0),
                titre: titre_point(&dep.nom, valeur, f64::from(population)),
            };
            if dep.zone == Zone::Metro {
                points.push(p);
            } else {
                encarts.push(p);
            }
            let a = agregats.get(&dep.code);
            sous_territoires.push(LigneSousTerritoire {
                nom: format!("{} ({})", dep.nom, dep.code),
                href: format!("/territoires/dep:{}", dep.code),
                communes: a
                    .map(|a| entier(a.nombre_communes as f64))
                    .unwrap_or_default(),
                population: entier(f64::from(population)),
                indice: valeur.map(|v| decimal(v, 2)).unwrap_or_else(|| "—".into()),
                decile: valeur
                    .map(|v| format!("D{}", nat.decile(v)))
                    .unwrap_or_else(|| "sans indice".into()),
            });
        }
        sous_territoires_titre = "Départements".to_string();
    } else {
        for c in &communes {
            let Some(point) = c.centre else { continue };
            let valeur = indice.commune(c.code_insee).and_then(|i| i.indice);
            points.push(Point2 {
                point,
                population: c.population,
                decile: valeur.map(|v| nat.decile(v)).unwrap_or(0),
                titre: titre_point(c.nom, valeur, f64::from(c.population)),
            });
        }
        let (titre, liste): (&str, Vec<(String, String, Territoire)>) = match territoire {
            Territoire::Region { code, .. } => (
                "Départements de la région",
                r.departements()
                    .iter()
                    .filter(|d| &d.code_region == code)
                    .map(|d| {
                        (
                            format!("{} ({})", d.nom, d.code),
                            format!("dep:{}", d.code),
                            Territoire::Departement {
                                code: d.code.clone(),
                                nom: d.nom.clone(),
                            },
                        )
                    })
                    .collect(),
            ),
            Territoire::Departement { .. } => {
                let mut vus: Vec<&str> = communes.iter().filter_map(|c| c.code_epci).collect();
                vus.sort_unstable();
                vus.dedup();
                (
                    "Intercommunalités du département",
                    vus.into_iter()
                        .filter_map(|e| r.epci(e))
                        .map(|e| {
                            (
                                e.nom.clone(),
                                format!("epci:{}", e.code),
                                Territoire::Epci {
                                    code: e.code.clone(),
                                    nom: e.nom.clone(),
                                },
                            )
                        })
                        .collect(),
                )
            }
            _ => ("", Vec::new()),
        };
        sous_territoires_titre = titre.to_string();
        for (nom, code, tt) in liste {
            let a = indice.agregat_territoire(&tt);
            sous_territoires.push(LigneSousTerritoire {
                nom,
                href: format!("/territoires/{code}"),
                communes: entier(a.nombre_communes as f64),
                population: entier(a.population as f64),
                indice: a
                    .indice
                    .map(|v| decimal(v, 2))
                    .unwrap_or_else(|| "—".into()),
                decile: a
                    .indice
                    .map(|v| format!("D{}", nat.decile(v)))
                    .unwrap_or_else(|| "sans indice".into()),
            });
        }
    }
    let lieux: Vec<Point> = donnees.lieux.lieux.iter().map(|l| l.point).collect();
    let titre_carte = format!(
        "Carte de {} : {}, indice de fragilité numérique et lieux d'aide",
        territoire.nom(),
        if france { "départements" } else { "communes" }
    );
    let carte = dessiner_carte(
        &titre_carte,
        &points,
        &encarts,
        &lieux,
        plan,
        if france { "départements" } else { "communes" },
        COULEURS_INDICE,
    );
    let legende = (1..=10)
        .map(|d| (d, format!("D{d} : indice {}", nat.intervalle(d))))
        .chain(std::iter::once((0, "sans indice".to_string())))
        .collect();

    // --- Distribution of the index among the communes
    let mut par_decile = [(0usize, 0u64); 10];
    for c in &communes {
        if let Some(v) = indice.commune(c.code_insee).and_then(|i| i.indice) {
            let d = nat.decile(v);
            par_decile[d - 1].0 += 1;
            par_decile[d - 1].1 += u64::from(c.population);
        }
    }
    let max = par_decile.iter().map(|x| x.0).max().unwrap_or(0).max(1) as f64;
    let hauteur_histo = 160.0;
    let barres = par_decile
        .iter()
        .enumerate()
        .map(|(i, (n, pop))| {
            let h = hauteur_histo * (*n as f64) / max;
            Barre {
                decile: i + 1,
                intervalle: nat.intervalle(i + 1),
                communes: *n,
                population: entier(*pop as f64),
                x: 40.0 + 54.0 * i as f64,
                y: 20.0 + hauteur_histo - h,
                hauteur: h,
                etiquette_y: 20.0 + hauteur_histo - h - 4.0,
            }
        })
        .collect();
    let scores = Indicateur::TOUS
        .iter()
        .filter(|&&i| indice.configuration.poids[i] > 0.0)
        .map(|&i| LigneScore {
            libelle: i.libelle(),
            score: agregat.scores[i]
                .map(|s| decimal(s, 2))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();

    // --- Table of communes
    let mut lignes: Vec<(Option<f64>, LigneCommune)> = communes
        .iter()
        .map(|c| {
            let ic = indice.commune(c.code_insee);
            (ic.and_then(|i| i.indice), ligne_commune(nat, ic, c))
        })
        .collect();
    lignes.sort_by(|a, b| {
        b.0.unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.0.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.1.code.cmp(&b.1.code))
    });
    let communes_tronquees = lignes.len() > COMMUNES_TABLEAU_MAX;
    if communes_tronquees {
        lignes.truncate(COMMUNES_TABLEAU_TRONQUE);
    }
    let lignes_communes: Vec<LigneCommune> = lignes.into_iter().map(|(_, l)| l).collect();
    let sous_titre_tableau = if communes_tronquees {
        format!(
            "Les {} communes à l'indice le plus élevé, sur {} (toutes dans le téléchargement)",
            COMMUNES_TABLEAU_TRONQUE,
            entier(communes.len() as f64)
        )
    } else {
        format!(
            "Les {} communes, de l'indice le plus élevé au plus faible",
            entier(communes.len() as f64)
        )
    };

    // --- Coverage
    let pop_total = resume.population as f64;
    let seuils = resume
        .au_dela
        .iter()
        .enumerate()
        .map(|(i, a)| LigneSeuil {
            seuil: format!("{} km", decimal(a.seuil_km, 0)),
            communes: entier(a.communes as f64),
            population: entier(a.population as f64),
            part_population: pourcent(a.population as f64, pop_total),
            fragile: entier(a.population_fragile),
            part_fragile: pourcent(a.population_fragile, resume.population_fragile),
            largeur_population: if pop_total > 0.0 {
                230.0 * a.population as f64 / pop_total
            } else {
                0.0
            },
            largeur_fragile: if resume.population_fragile > 0.0 {
                230.0 * a.population_fragile / resume.population_fragile
            } else {
                0.0
            },
            y: 10.0 + 60.0 * i as f64,
        })
        .collect();
    let mut criteres = vec![LigneCritere {
        nom: "Tout lieu".to_string(),
        href: format!(
            "{base}{}#zones-blanches",
            requete(
                reglages,
                &[("service", String::new()), ("tri", String::new())]
            )
        ),
        valeurs: resume
            .au_dela
            .iter()
            .map(|a| {
                format!(
                    "{} ({})",
                    entier(a.population as f64),
                    pourcent(a.population as f64, pop_total)
                )
            })
            .collect(),
        choisi: reglages.service.is_none(),
    }];
    for (k, ((code, libelle), au_dela)) in codes_criteres()
        .iter()
        .zip(&resume.au_dela_par_critere)
        .enumerate()
    {
        criteres.push(LigneCritere {
            nom: libelle.clone(),
            href: format!(
                "{base}{}#zones-blanches",
                requete(
                    reglages,
                    &[("service", code.clone()), ("tri", String::new())]
                )
            ),
            valeurs: au_dela
                .iter()
                .map(|a| {
                    format!(
                        "{} ({})",
                        entier(a.population as f64),
                        pourcent(a.population as f64, pop_total)
                    )
                })
                .collect(),
            choisi: reglages.service == Some(k),
        });
    }
    let (service, service_libelle) = reglages
        .service
        .and_then(|k| codes_criteres().get(k))
        .map(|(c, l)| (c.clone(), l.clone()))
        .unwrap_or_default();

    // --- Zones blanches
    let mut zones = donnees.zones_blanches(territoire, reglages.rayon_km, reglages.service);
    let nb_zones = zones.len();
    let population_zones: u64 = zones.iter().map(|z| u64::from(z.population)).sum();
    let fragile_zones: f64 = zones.iter().map(|z| z.population_fragile).sum();
    match reglages.tri {
        Tri::PopulationFragile => {}
        Tri::Population => zones.sort_by_key(|z| std::cmp::Reverse(z.population)),
        Tri::Distance => zones.sort_by(|a, b| b.distance_km.total_cmp(&a.distance_km)),
        Tri::Nom => zones.sort_by(|a, b| {
            normaliser_nom(a.nom)
                .cmp(&normaliser_nom(b.nom))
                .then(a.code_insee.cmp(b.code_insee))
        }),
    }
    let zones_tronquees = zones.len() > ZONES_AFFICHEES;
    let lignes_zones = zones
        .iter()
        .take(ZONES_AFFICHEES)
        .enumerate()
        .map(|(i, z)| LigneZone {
            rang: i + 1,
            code: z.code_insee.to_string(),
            nom: z.nom.to_string(),
            href: format!("/territoires/commune:{}", z.code_insee),
            population: entier(f64::from(z.population)),
            fragile: entier(z.population_fragile),
            distance: distance_km(Some(z.distance_km)),
            route: distance_km(Some(z.route_km)),
        })
        .collect();
    let entetes_zones = [
        ("Commune", Tri::Nom),
        ("Population", Tri::Population),
        ("Population fragile estimée", Tri::PopulationFragile),
        (
            "Distance au lieu le plus proche (vol d'oiseau)",
            Tri::Distance,
        ),
    ]
    .into_iter()
    .map(|(texte, tri)| EnteteTri {
        texte,
        href: format!(
            "{base}{}#zones-blanches",
            requete(reglages, &[("tri", tri.code().to_string())])
        ),
        trie: reglages.tri == tri,
    })
    .collect();
    let q_fichiers = requete(
        &Reglages {
            arrets: None,
            tri: Tri::PopulationFragile,
            ..reglages.clone()
        },
        &[],
    );
    let mut telechargements = vec![
        Lien {
            texte: "Indice et couverture par commune (CSV)".into(),
            href: format!("{base}/indice.csv"),
        },
        Lien {
            texte: "Indice et couverture par commune (tableur XLSX)".into(),
            href: format!("{base}/indice.xlsx"),
        },
        Lien {
            texte: "Zones blanches (CSV)".into(),
            href: format!("{base}/zones-blanches.csv{q_fichiers}"),
        },
        Lien {
            texte: "Zones blanches (tableur XLSX)".into(),
            href: format!("{base}/zones-blanches.xlsx{q_fichiers}"),
        },
    ];

    // --- Planner
    let plan_possible = communes.len() <= COMMUNES_MAX_PLAN;
    let erreur_plan = erreurs
        .iter()
        .find(|e| e.parametre == "arrets")
        .map(|e| e.message.clone());
    let vue_plan = plan.map(|plan| {
        let mut visites = vec![String::new(); plan.arrets.len()];
        if let Some(ordre) = &plan.ordre_de_visite {
            for (rang, &position) in ordre.iter().enumerate() {
                if let Some(v) = visites.get_mut(position) {
                    *v = (rang + 1).to_string();
                }
            }
        }
        let mut q = format!(
            "?arrets={}&rayon_km={}",
            reglages.arrets.unwrap_or(plan.arrets_demandes),
            plan.rayon_km
        );
        if (plan.population_min, plan.population_max)
            != (POPULATION_MIN_DEFAUT, POPULATION_MAX_DEFAUT)
        {
            let _ = write!(
                q,
                "&population_min={}&population_max={}",
                plan.population_min, plan.population_max
            );
        }
        VuePlan {
            arrets: plan
                .arrets
                .iter()
                .enumerate()
                .map(|(i, a)| LigneArret {
                    rang: i + 1,
                    nom: a.nom.clone(),
                    href: format!("/territoires/commune:{}", a.code_insee),
                    code: a.code_insee.clone(),
                    gain: entier(a.gain),
                    cumul: entier(a.cumul),
                    communes: a.communes_atteintes,
                    visite: visites.get(i).cloned().unwrap_or_default(),
                })
                .collect(),
            total: entier(plan.total_couvert),
            demande: entier(plan.demande_totale),
            part: pourcent(plan.total_couvert, plan.demande_totale),
            deja_explication: t::explication_deja_couvert(plan),
            explication: t::explication_arrets(plan),
            demandes: plan.arrets_demandes,
            rayon: km_texte(plan.rayon_km),
            candidats: entier(plan.candidats as f64),
            communes_demande: entier(plan.communes_demande as f64),
            ecart: match (plan.optimal, plan.ecart) {
                _ if plan.arrets.is_empty() => "sans objet (aucun arrêt)".to_string(),
                (true, _) => "0 % : optimum prouvé par le solveur exact".to_string(),
                (false, Some(e)) => format!(
                    "au plus {} (borne supérieure : {} personnes)",
                    pourcent(e, 1.0),
                    plan.borne_sup.map(entier).unwrap_or_default()
                ),
                _ => "non calculé".to_string(),
            },
            boucle: plan
                .longueur_km
                .map(|l| format!("{} km à vol d'oiseau", entier(l)))
                .unwrap_or_default(),
            csv: format!("{base}/plan.csv{q}"),
            xlsx: format!("{base}/plan.xlsx{q}"),
            tournee: format!("{base}/tournee{q}"),
        }
    });
    if let Some(v) = &vue_plan {
        telechargements.push(Lien {
            texte: "Arrêts de la tournée (CSV)".into(),
            href: v.csv.clone(),
        });
    }

    TerritoirePage {
        site,
        titre: titre_territoire(territoire),
        code: territoire.to_string(),
        chemin: base.clone(),
        ariane: ariane(territoire),
        erreurs,
        communes: entier(agregat.nombre_communes as f64),
        population: entier(agregat.population as f64),
        indice: agregat
            .indice
            .map(|v| decimal(v, 2))
            .unwrap_or_else(|| "non calculable".into()),
        decile: agregat
            .indice
            .map(|v| format!("D{}", nat.decile(v)))
            .unwrap_or_default(),
        fragile: agregat
            .population_fragile
            .map(entier)
            .unwrap_or_else(|| "non calculable".into()),
        sans_indice: agregat.communes_sans_indice,
        lieux: String::new(),
        distance_moyenne: resume
            .distance_moyenne_km
            .map(|d| format!("{} km", decimal(d, 1)))
            .unwrap_or_else(|| "inconnue".into()),
        carte,
        legende,
        carte_departements: france,
        barres,
        hauteur_histo: hauteur_histo + 60.0,
        scores,
        sous_titre_tableau,
        lignes_communes: if france { Vec::new() } else { lignes_communes },
        communes_tronquees,
        sous_territoires_titre,
        sous_territoires,
        seuils,
        criteres,
        service,
        service_libelle,
        services: codes_criteres().to_vec(),
        rayon_valeur: reglages.rayon_km.to_string(),
        rayon_tournee_valeur: reglages.rayon_tournee_km.to_string(),
        rayon_tournee_defaut: reglages.rayon_tournee_km == RAYON_DEFAUT,
        rayon_defaut: reglages.rayon_km == RAYON_DEFAUT,
        population_min: reglages.population_min.to_string(),
        population_max: reglages.population_max.to_string(),
        population_min_texte: entier(f64::from(reglages.population_min)),
        population_max_texte: entier(f64::from(reglages.population_max)),
        population_defaut: (reglages.population_min, reglages.population_max)
            == (POPULATION_MIN_DEFAUT, POPULATION_MAX_DEFAUT),
        rayon: decimal(
            reglages.rayon_km,
            if reglages.rayon_km.fract() == 0.0 {
                0
            } else {
                1
            },
        ),
        nb_zones: entier(nb_zones as f64),
        population_zones: entier(population_zones as f64),
        fragile_zones: entier(fragile_zones),
        zones: lignes_zones,
        entetes_zones,
        zones_tronquees,
        tri: reglages.tri.code(),
        telechargements,
        arrets_valeur: reglages
            .arrets
            .map(|k| k.to_string())
            .unwrap_or_else(|| "10".into()),
        erreur_plan,
        plan: vue_plan,
        plan_possible,
        api: format!("/api/v1/territoires/{territoire}/indice"),
        besoins: Default::default(),
        illectronisme: Default::default(),
    }
}

/// `/territoires/{code}`: the territory page.
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    uri: Uri,
    entetes: axum::http::HeaderMap,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ErreurWeb> {
    let gzip = crate::assets::accepte_gzip(&entetes);
    let territoire = lire_territoire(&code).map_err(ErreurWeb::Introuvable)?;
    let canonique = territoire.to_string();
    if code != canonique {
        // The same query on the canonical address.
        let q = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(Redirect::permanent(&format!("/territoires/{canonique}{q}")).into_response());
    }
    // The page as sent before, if nothing it shows has changed since (see [`PageEnCache`]).
    let cle = format!("{canonique}?{}", uri.query().unwrap_or_default());
    let moteur = state.moteur();
    let generations = (
        state.instance.competences().generation(),
        state.instance.enquete().generation(),
    );
    if let Some(faite) = page_en_cache(&cle, &moteur, generations) {
        return Ok(reponse_page(&faite, gzip));
    }
    let (reglages, mut erreurs) = lire_reglages(&p, None);
    let donnees = donnees(&state).await.map_err(ErreurWeb::interne)?;
    let mut plan = None;
    if let Some(k) = reglages.arrets {
        if erreurs.is_empty() {
            match planifier(
                &state,
                &donnees,
                &territoire,
                k,
                reglages.rayon_tournee_km,
                (reglages.population_min, reglages.population_max),
            )
            .await
            {
                Ok(p) => plan = Some(p),
                Err(e) => erreurs.push(e),
            }
        }
    }
    let statut = if erreurs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let site = Arc::clone(&state.site);
    let lieux_territoire = moteur
        .lieux()
        .iter()
        .filter(|f| {
            f.lieu
                .code_insee
                .as_ref()
                .is_some_and(|c| territoire.contient(c.as_str()))
        })
        .count();
    let besoins = crate::competences::besoins_mesures(&state, &territoire)
        .await
        .map_err(|e| ErreurWeb::interne(e.to_string()))?;
    let illectronisme = crate::enquete::illectronisme_territoire(&state, &territoire)
        .await
        .map_err(|e| ErreurWeb::interne(std::io::Error::other(e.to_string())))?;
    let tuiles = crate::securite::origine_tuiles(&state.site.tuiles_url);
    let faite = tokio::task::spawn_blocking(move || {
        let mut v = vue_territoire(
            site,
            &territoire,
            &donnees,
            &reglages,
            erreurs,
            plan.as_deref(),
        );
        v.lieux = entier(lieux_territoire as f64);
        v.besoins = crate::competences::vue_besoins(&besoins);
        v.illectronisme = illectronisme;
        PageFaite::new(statut, v.render()?, tuiles.as_deref())
    })
    .await
    .map_err(ErreurWeb::interne)??;
    if statut == StatusCode::OK {
        mettre_page_en_cache(cle, &moteur, generations, faite.clone());
    }
    Ok(reponse_page(&faite, gzip))
}

/// A territory page ready to send: its HTML, the same gzipped once at the default level
/// (a département's 260 KB page is ~57 KB), and its Content-Security-Policy.
#[derive(Clone)]
struct PageFaite {
    statut: StatusCode,
    html: axum::body::Bytes,
    gzip: axum::body::Bytes,
    csp: HeaderValue,
}

impl PageFaite {
    fn new(statut: StatusCode, html: String, tuiles: Option<&str>) -> Result<Self, ErreurWeb> {
        use std::io::Write as _;
        let csp = HeaderValue::from_str(&crate::securite::politique(&html, tuiles, "'none'"))
            .map_err(ErreurWeb::interne)?;
        let mut e = flate2::write::GzEncoder::new(
            Vec::with_capacity(html.len() / 4),
            flate2::Compression::default(),
        );
        e.write_all(html.as_bytes()).map_err(ErreurWeb::interne)?;
        let gzip = e.finish().map_err(ErreurWeb::interne)?;
        Ok(PageFaite {
            statut,
            html: html.into(),
            gzip: gzip.into(),
            csp,
        })
    }
}

/// The page, gzipped when the client accepts it. Its policy is set here
/// ([`crate::securite::PolitiqueFaite`]): the security layer does not read it again.
fn reponse_page(faite: &PageFaite, gzip: bool) -> Response {
    let mut r = if gzip {
        (
            [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))],
            faite.gzip.clone(),
        )
            .into_response()
    } else {
        faite.html.clone().into_response()
    };
    *r.status_mut() = faite.statut;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CONTENT_SECURITY_POLICY, faite.csp.clone());
    r.extensions_mut().insert(crate::securite::PolitiqueFaite);
    r
}

/// A territory page as it was sent, by its address (territory and query). It is served
/// again while the search engine it was computed from is the one in use, this process has
/// stored no self-assessment result and no survey answer since (the generations of
/// `Competences` and `Enquete`), and it is younger than [`PAGE_DUREE`] — the bound on how
/// long a write made by another node (or the command line) can go unseen here. Everything
/// else on the page (the referential, the index, the site's look) does not change while
/// the process runs.
struct PageEnCache {
    cle: String,
    moteur: Weak<Moteur>,
    generations: (u64, u64),
    le: std::time::Instant,
    page: PageFaite,
}

/// Pages kept, at most, and their bytes in all (a département's page is ~260 KB, a
/// région's ~350 KB).
const PAGES_EN_CACHE: usize = 64;
const OCTETS_PAGES_EN_CACHE: usize = 24 << 20;
/// Longest time a kept page is served again.
pub const PAGE_DUREE: Duration = Duration::from_secs(30);
static PAGES: Mutex<VecDeque<PageEnCache>> = Mutex::new(VecDeque::new());

fn page_en_cache(cle: &str, moteur: &Arc<Moteur>, generations: (u64, u64)) -> Option<PageFaite> {
    let pages = PAGES.lock().ok()?;
    pages
        .iter()
        .find(|p| {
            p.cle == cle
                && Weak::as_ptr(&p.moteur) == Arc::as_ptr(moteur)
                && p.generations == generations
                && p.le.elapsed() < PAGE_DUREE
        })
        .map(|p| p.page.clone())
}

fn mettre_page_en_cache(
    cle: String,
    moteur: &Arc<Moteur>,
    generations: (u64, u64),
    page: PageFaite,
) {
    let Ok(mut pages) = PAGES.lock() else {
        return;
    };
    // Pages that can never be served again go first: same address, another engine or
    // other generations, or too old.
    pages.retain(|p| {
        p.cle != cle
            && p.moteur.strong_count() > 0
            && p.generations == generations
            && p.le.elapsed() < PAGE_DUREE
    });
    pages.push_back(PageEnCache {
        cle,
        moteur: Arc::downgrade(moteur),
        generations,
        le: std::time::Instant::now(),
        page,
    });
    let taille = |p: &PageEnCache| p.page.html.len() + p.page.gzip.len();
    let mut total: usize = pages.iter().map(taille).sum();
    while pages.len() > PAGES_EN_CACHE || total > OCTETS_PAGES_EN_CACHE {
        match pages.pop_front() {
            Some(p) => total -= taille(&p),
            None => break,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Choosing a territory
// ---------------------------------------------------------------------------------------

pub struct LigneRegion {
    pub nom: String,
    pub href: String,
    pub communes: String,
    pub population: String,
    pub indice: String,
}

#[derive(Template)]
#[template(path = "territoires.html")]
pub struct TerritoiresPage {
    pub site: Arc<Site>,
    pub q: String,
    pub cherche: bool,
    pub resultats: Vec<(String, Vec<Lien>)>,
    pub regions: Vec<LigneRegion>,
}

/// Territories matching what people typed: régions, départements, EPCI, communes.
fn chercher(q: &str) -> Vec<(String, Vec<Lien>)> {
    let r = Referentiel::embedded();
    let n = normaliser_nom(q);
    let code = q.trim().to_ascii_uppercase();
    let correspond = |nom: &str| {
        let m = normaliser_nom(nom);
        !n.is_empty() && (m == n || m.starts_with(&n) || (n.len() >= 3 && m.contains(&n)))
    };
    let mut groupes = Vec::new();
    let regions: Vec<Lien> = r
        .regions()
        .iter()
        .filter(|x| REGIONS.contains(&x.code.as_str()))
        .filter(|x| x.code == code || correspond(&x.nom))
        .map(|x| Lien {
            texte: format!("{} (région {})", x.nom, x.code),
            href: format!("/territoires/reg:{}", x.code),
        })
        .collect();
    let departements: Vec<Lien> = r
        .departements()
        .iter()
        .filter(|x| x.code == code || correspond(&x.nom))
        .map(|x| Lien {
            texte: format!("{} (département {})", x.nom, x.code),
            href: format!("/territoires/dep:{}", x.code),
        })
        .collect();
    let epcis: Vec<Lien> = r
        .epcis()
        .iter()
        .filter(|x| x.code == code || (n.len() >= 3 && correspond(&x.nom)))
        .take(20)
        .map(|x| Lien {
            texte: format!("{} ({}, {})", x.nom, x.kind.libelle(), x.code),
            href: format!("/territoires/epci:{}", x.code),
        })
        .collect();
    let communes: Vec<Lien> = r
        .rechercher(q, 10)
        .into_iter()
        .map(|c| Lien {
            texte: format!("{} ({}, {})", c.nom, c.code_insee, c.code_departement),
            href: format!("/territoires/commune:{}", c.code_insee),
        })
        .collect();
    for (titre, liste) in [
        ("Régions", regions),
        ("Départements", departements),
        ("Intercommunalités", epcis),
        ("Communes", communes),
    ] {
        if !liste.is_empty() {
            groupes.push((titre.to_string(), liste));
        }
    }
    groupes
}

/// The territories whose name or code is exactly what people typed (accents and case
/// aside): one of them is shown at once.
fn exacts(q: &str) -> Vec<String> {
    let r = Referentiel::embedded();
    let n = normaliser_nom(q);
    let code = q.trim().to_ascii_uppercase();
    if n.is_empty() {
        return Vec::new();
    }
    let egal = |nom: &str, c: &str| c == code || normaliser_nom(nom) == n;
    let mut hrefs: Vec<String> = Vec::new();
    hrefs.extend(
        r.regions()
            .iter()
            .filter(|x| REGIONS.contains(&x.code.as_str()) && egal(&x.nom, &x.code))
            .map(|x| format!("/territoires/reg:{}", x.code)),
    );
    hrefs.extend(
        r.departements()
            .iter()
            .filter(|x| egal(&x.nom, &x.code))
            .map(|x| format!("/territoires/dep:{}", x.code)),
    );
    hrefs.extend(
        r.epcis()
            .iter()
            .filter(|x| egal(&x.nom, &x.code))
            .map(|x| format!("/territoires/epci:{}", x.code)),
    );
    hrefs.extend(
        r.rechercher(q, 50)
            .into_iter()
            .filter(|c| egal(&c.nom, &c.code_insee))
            .map(|c| format!("/territoires/commune:{}", c.code_insee)),
    );
    hrefs
}

/// `/territoires`: choose a territory.
pub async fn accueil(
    State(state): State<AppState>,
    Params(p): Params<ParamsRecherche>,
) -> Result<Response, ErreurWeb> {
    let texte = p.q.premier().unwrap_or("").to_string();
    let mut resultats = Vec::new();
    if !texte.is_empty() {
        if let Ok(t) = lire_territoire(&texte) {
            return Ok(Redirect::to(&chemin(&t)).into_response());
        }
        if let [seul] = &exacts(&texte)[..] {
            return Ok(Redirect::to(seul).into_response());
        }
        resultats = chercher(&texte);
        let liens: Vec<&Lien> = resultats.iter().flat_map(|(_, l)| l).collect();
        if let [seul] = liens[..] {
            return Ok(Redirect::to(&seul.href).into_response());
        }
    }
    let regions = tokio::task::spawn_blocking(|| {
        let nat = indice_national();
        let agregats = nat.indice.agreger(Echelon::Region);
        let r = Referentiel::embedded();
        let mut lignes: Vec<LigneRegion> = REGIONS
            .iter()
            .filter_map(|code| r.region(code))
            .map(|reg| {
                let a = agregats
                    .iter()
                    .find(|a| a.code.as_deref() == Some(reg.code.as_str()));
                LigneRegion {
                    nom: reg.nom.clone(),
                    href: format!("/territoires/reg:{}", reg.code),
                    communes: a
                        .map(|a| entier(a.nombre_communes as f64))
                        .unwrap_or_default(),
                    population: a.map(|a| entier(a.population as f64)).unwrap_or_default(),
                    indice: a
                        .and_then(|a| a.indice)
                        .map(|v| format!("{} (D{})", decimal(v, 2), nat.decile(v)))
                        .unwrap_or_else(|| "—".into()),
                }
            })
            .collect();
        lignes.sort_by_key(|l| normaliser_nom(&l.nom));
        lignes
    })
    .await
    .map_err(ErreurWeb::interne)?;
    let page = TerritoiresPage {
        site: Arc::clone(&state.site),
        cherche: !texte.is_empty(),
        q: texte,
        resultats,
        regions,
    };
    Ok(rendre(&page)?.into_response())
}

// ---------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------

use maillage_annuaire::tableur::Tableau;

/// The commune-level table: the index joined with the coverage columns (French convention,
/// see [`maillage_annuaire::tableur`]).
fn tableau_indice(territoire: &Territoire, donnees: &DonneesMoteur) -> Tableau {
    t::tableau_communes(
        &indice_national().indice,
        &donnees.couverture.couverture,
        territoire,
    )
}

fn fichier(contenu: Vec<u8>, type_mime: &'static str, nom: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{nom}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(type_mime)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        contenu,
    )
        .into_response()
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

fn reponse_tableau(
    t: &Tableau,
    format: Format,
    feuille: &str,
    nom: &str,
) -> Result<Response, ErreurWeb> {
    let interne = |e: maillage_annuaire::tableur::ErreurTableur| ErreurWeb::interne(e);
    Ok(match format {
        Format::Csv => fichier(t.csv().map_err(interne)?, CSV, &format!("{nom}.csv")),
        Format::Xlsx => fichier(
            t.xlsx(feuille).map_err(interne)?,
            XLSX,
            &format!("{nom}.xlsx"),
        ),
    })
}

fn erreur_page(erreurs: Vec<ErreurReglage>) -> Result<(), ErreurWeb> {
    match erreurs.into_iter().next() {
        Some(e) => Err(ErreurWeb::Requete(e.message)),
        None => Ok(()),
    }
}

async fn telecharger_indice(
    state: AppState,
    code: String,
    format: Format,
) -> Result<Response, ErreurWeb> {
    let territoire = lire_territoire(&code).map_err(ErreurWeb::Introuvable)?;
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_page());
    };
    let donnees = donnees(&state).await.map_err(ErreurWeb::interne)?;
    let tt = territoire.clone();
    let tableau = tokio::task::spawn_blocking(move || tableau_indice(&tt, &donnees))
        .await
        .map_err(ErreurWeb::interne)?;
    reponse_tableau(
        &tableau,
        format,
        "Indice",
        &format!("indice-{}", nom_fichier(&territoire)),
    )
}

async fn telecharger_zones(
    state: AppState,
    code: String,
    p: ParamsTerritoire,
    format: Format,
) -> Result<Response, ErreurWeb> {
    let territoire = lire_territoire(&code).map_err(ErreurWeb::Introuvable)?;
    let (reglages, erreurs) = lire_reglages(&p, None);
    erreur_page(erreurs)?;
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_page());
    };
    let donnees = donnees(&state).await.map_err(ErreurWeb::interne)?;
    let zones = donnees.zones_blanches(&territoire, reglages.rayon_km, reglages.service);
    let tableau = t::tableau_zones_blanches(&zones);
    let service = reglages
        .service
        .and_then(|k| codes_criteres().get(k))
        .map(|(c, _)| format!("-{c}"))
        .unwrap_or_default();
    reponse_tableau(
        &tableau,
        format,
        "Zones blanches",
        &format!(
            "zones-blanches-{}-{}km{service}",
            nom_fichier(&territoire),
            reglages.rayon_km
        ),
    )
}

/// The plan that `plan.csv` gives for these settings (the start of « Créer cette tournée »):
/// the territory, the plan and the stops' reach in km.
pub(crate) async fn plan_pour_tournee(
    state: &AppState,
    code: &str,
    p: &ParamsTerritoire,
) -> Result<(Territoire, Arc<Plan>, f64), ErreurWeb> {
    let territoire = lire_territoire(code).map_err(ErreurWeb::Introuvable)?;
    let (reglages, erreurs) = lire_reglages(p, Some(10));
    erreur_page(erreurs)?;
    let arrets = reglages.arrets.unwrap_or(10);
    let Some(_permis) = permis_calcul() else {
        return Err(ErreurWeb::Requete(
            "Le serveur calcule déjà d’autres tournées : réessayez dans un moment.".into(),
        ));
    };
    let donnees = donnees(state).await.map_err(ErreurWeb::interne)?;
    let plan = planifier(
        state,
        &donnees,
        &territoire,
        arrets,
        reglages.rayon_tournee_km,
        (reglages.population_min, reglages.population_max),
    )
    .await
    .map_err(|e| ErreurWeb::Requete(e.message))?;
    Ok((territoire, plan, reglages.rayon_tournee_km))
}

async fn telecharger_plan(
    state: AppState,
    code: String,
    p: ParamsTerritoire,
    format: Format,
) -> Result<Response, ErreurWeb> {
    let territoire = lire_territoire(&code).map_err(ErreurWeb::Introuvable)?;
    let (reglages, erreurs) = lire_reglages(&p, Some(10));
    erreur_page(erreurs)?;
    let arrets = reglages.arrets.unwrap_or(10);
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_page());
    };
    let donnees = donnees(&state).await.map_err(ErreurWeb::interne)?;
    let plan = planifier(
        &state,
        &donnees,
        &territoire,
        arrets,
        reglages.rayon_km,
        (reglages.population_min, reglages.population_max),
    )
    .await
    .map_err(|e| ErreurWeb::Requete(e.message))?;
    let nom = format!(
        "tournee-{}-{}-arrets-{}km",
        nom_fichier(&territoire),
        arrets,
        reglages.rayon_km
    );
    reponse_tableau(&t::tableau_plan(&plan), format, "Tournée", &nom)
}

/// `/territoires/{code}/indice.csv`
pub async fn indice_csv(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ErreurWeb> {
    telecharger_indice(state, code, Format::Csv).await
}

/// `/territoires/{code}/indice.xlsx`
pub async fn indice_xlsx(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ErreurWeb> {
    telecharger_indice(state, code, Format::Xlsx).await
}

/// `/territoires/{code}/zones-blanches.csv?rayon_km=&service=`
pub async fn zones_blanches_csv(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ErreurWeb> {
    telecharger_zones(state, code, p, Format::Csv).await
}

/// `/territoires/{code}/zones-blanches.xlsx?rayon_km=&service=`
pub async fn zones_blanches_xlsx(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ErreurWeb> {
    telecharger_zones(state, code, p, Format::Xlsx).await
}

/// `/territoires/{code}/plan.csv?arrets=&rayon_km=`
pub async fn plan_csv(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ErreurWeb> {
    telecharger_plan(state, code, p, Format::Csv).await
}

/// `/territoires/{code}/plan.xlsx?arrets=&rayon_km=`
pub async fn plan_xlsx(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ErreurWeb> {
    telecharger_plan(state, code, p, Format::Xlsx).await
}

// ---------------------------------------------------------------------------------------
// JSON API
// ---------------------------------------------------------------------------------------

/// The index of the communes of a territory (JSON of `maillage territoire indice`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the JSON written by maillage_annuaire::territoire
pub struct IndiceTerritoireApi {
    /// `fr`, `reg:76`, `dep:31`, `epci:…`, `commune:…`
    pub territoire: String,
    pub nom: String,
    /// Method, weights and settings of the index.
    #[schema(value_type = Object)]
    pub configuration: serde_json::Value,
    /// The index of the territory: mean of its communes' index weighted by population,
    /// per-indicator scores, fragile population.
    #[schema(value_type = Object)]
    pub agregat: serde_json::Value,
    /// Communes (or zones) of the territory in all; the page holds those from `offset`, at
    /// most `limit`.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// One entry per commune of the page: `code_insee`, `nom`, `population`, `valeurs`, `imputees`,
    /// `scores`, `indice`, `moteurs`, `statut`…
    #[schema(value_type = Vec<Object>)]
    pub communes: Vec<serde_json::Value>,
}

/// The coverage of a territory (JSON of `maillage territoire couverture`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the JSON written by maillage_annuaire::territoire
pub struct CouvertureTerritoireApi {
    pub territoire: String,
    pub nom: String,
    /// Places of the directory with a position.
    pub lieux: usize,
    pub lieux_sans_localisation: usize,
    /// Road distance estimate = great-circle distance × this factor.
    pub facteur_detour: f64,
    /// Names of the criteria (services, free, open on Saturday, permanent).
    pub criteres: Vec<String>,
    pub codes_criteres: Vec<String>,
    /// Population and fragile population beyond 5, 10 and 20 km, overall and per criterion.
    #[schema(value_type = Object)]
    pub resume: serde_json::Value,
    /// Communes (or zones) of the territory in all; the page holds those from `offset`, at
    /// most `limit`.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// One entry per commune of the page: `distance_km`, `route_km`, `par_critere`, `population_fragile`…
    #[schema(value_type = Vec<Object>)]
    pub communes: Vec<serde_json::Value>,
}

/// A commune farther than `rayon_km` from every place.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the JSON written by maillage_annuaire::territoire
pub struct ZoneBlancheApi {
    pub rang: usize,
    pub code_insee: String,
    pub nom: String,
    pub population: u32,
    pub population_fragile: f64,
    /// `null` when no place at all.
    pub distance_km: Option<f64>,
    pub route_km: Option<f64>,
}

/// The zones blanches of a territory, most fragile population first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the JSON written by maillage_annuaire::territoire
pub struct ZonesBlanchesApi {
    pub territoire: String,
    pub nom: String,
    pub rayon_km: f64,
    /// Communes (or zones) of the territory in all; the page holds those from `offset`, at
    /// most `limit`.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub zones_blanches: Vec<ZoneBlancheApi>,
}

/// A plan of stops (JSON of `maillage tournee plan`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the JSON written by maillage_annuaire::territoire
pub struct PlanApi {
    pub territoire: String,
    pub rayon_km: f64,
    /// Stops by decreasing gain: `code_insee`, `nom`, `point`, `gain`, `cumul`,
    /// `communes_atteintes`, `date`.
    #[schema(value_type = Vec<Object>)]
    pub arrets: Vec<serde_json::Value>,
    pub total_couvert: f64,
    pub demande_totale: f64,
    pub deja_couvert: f64,
    /// Communes already within `rayon_km` of a permanent place (left out of the demand).
    pub communes_deja_couvertes: usize,
    /// Stops asked for; `arrets` holds fewer when more would reach nobody more.
    pub arrets_demandes: usize,
    /// Fragile population of the demand within reach of at least one candidate.
    pub demande_atteignable: f64,
    /// Demand communes no candidate reaches.
    pub communes_hors_portee: usize,
    pub population_min: u32,
    pub population_max: u32,
    pub borne_sup: Option<f64>,
    /// `(borne_sup − total_couvert) ÷ borne_sup`
    pub ecart: Option<f64>,
    pub optimal: bool,
    pub communes_demande: usize,
    pub communes_sans_indice: usize,
    pub communes_sans_coordonnees: usize,
    pub candidats: usize,
    pub ordre_de_visite: Option<Vec<usize>>,
    pub longueur_km: Option<f64>,
}

fn json(octets: impl Into<axum::body::Bytes>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], octets.into()).into_response()
}

// --- Bounds on the heavy answers (issue « Failles », item 3)

/// Communes (or zones blanches) per page of the JSON API by default, and at most.
pub const LIMITE_API_DEFAUT: usize = 1_000;
pub const LIMITE_API_MAX: usize = 5_000;

/// Heavy territory answers (JSON API, CSV and XLSX downloads) computed at the same time, at
/// most: the machine has few cores, and each answer takes memory while it is built. Beyond,
/// the request gets a 503 with `Retry-After` at once rather than queueing (answers already
/// in the cache are served without waiting).
pub const CALCULS_LOURDS_MAX: usize = 4;
static CALCULS_LOURDS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(CALCULS_LOURDS_MAX);
/// Seconds the client is asked to wait when the heavy computations are all busy.
const REESSAYER_APRES_S: u64 = 2;

/// A permit to compute a heavy answer, or `None` when [`CALCULS_LOURDS_MAX`] are running.
fn permis_calcul() -> Option<tokio::sync::SemaphorePermit<'static>> {
    CALCULS_LOURDS.try_acquire().ok()
}

/// Holds every heavy-computation permit while the guard lives (tests of the 503 only).
#[doc(hidden)]
pub async fn occuper_calculs_lourds_pour_tests() -> tokio::sync::SemaphorePermit<'static> {
    // The semaphore is never closed.
    #[allow(clippy::expect_used)]
    CALCULS_LOURDS
        .acquire_many(CALCULS_LOURDS_MAX as u32)
        .await
        .expect("semaphore open")
}

const MESSAGE_OCCUPE: &str = "Le serveur calcule déjà plusieurs réponses lourdes sur les territoires : réessayez dans quelques secondes.";

/// 503 of the JSON API when the heavy computations are all busy.
fn occupe_api() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, REESSAYER_APRES_S.to_string())],
        axum::Json(ApiError {
            erreur: MESSAGE_OCCUPE.to_string(),
            parametre: None,
            status: 503,
        }),
    )
        .into_response()
}

/// 503 of a download when the heavy computations are all busy.
fn occupe_page() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::RETRY_AFTER, REESSAYER_APRES_S.to_string()),
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
        ],
        MESSAGE_OCCUPE,
    )
        .into_response()
}

/// Serialised answers of the JSON API, by request, newest last: at most
/// [`REPONSES_EN_CACHE`] of them and [`OCTETS_EN_CACHE`] bytes in all. Answers that depend on
/// the directory are tied to the engine they were computed from.
struct ReponseEnCache {
    cle: String,
    moteur: Option<Weak<Moteur>>,
    octets: axum::body::Bytes,
}

const REPONSES_EN_CACHE: usize = 64;
const OCTETS_EN_CACHE: usize = 48 << 20;
static REPONSES: Mutex<VecDeque<ReponseEnCache>> = Mutex::new(VecDeque::new());

fn reponse_en_cache(cle: &str, moteur: Option<&Arc<Moteur>>) -> Option<axum::body::Bytes> {
    let reponses = REPONSES.lock().ok()?;
    reponses
        .iter()
        .find(|r| {
            r.cle == cle
                && match (&r.moteur, moteur) {
                    (None, None) => true,
                    (Some(w), Some(m)) => Weak::as_ptr(w) == Arc::as_ptr(m),
                    _ => false,
                }
        })
        .map(|r| r.octets.clone())
}

fn mettre_en_cache(cle: String, moteur: Option<&Arc<Moteur>>, octets: axum::body::Bytes) {
    if octets.len() > OCTETS_EN_CACHE / 4 {
        return;
    }
    let Ok(mut reponses) = REPONSES.lock() else {
        return;
    };
    // Answers of an engine no longer in use can never be served again.
    reponses.retain(|r| r.cle != cle && r.moteur.as_ref().is_none_or(|w| w.strong_count() > 0));
    reponses.push_back(ReponseEnCache {
        cle,
        moteur: moteur.map(Arc::downgrade),
        octets,
    });
    let mut total: usize = reponses.iter().map(|r| r.octets.len()).sum();
    while reponses.len() > REPONSES_EN_CACHE || total > OCTETS_EN_CACHE {
        match reponses.pop_front() {
            Some(r) => total -= r.octets.len(),
            None => break,
        }
    }
}

/// Reads `limit` (1 to [`LIMITE_API_MAX`], default [`LIMITE_API_DEFAUT`]) and `offset` (default
/// 0; past the end, an empty page).
impl TryFrom<&ParamsTerritoire> for t::Tranche {
    type Error = ApiError;

    fn try_from(p: &ParamsTerritoire) -> Result<t::Tranche, ApiError> {
        let limit = match p.limit.premier_brut() {
            None => LIMITE_API_DEFAUT,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=LIMITE_API_MAX).contains(&n) => n,
                _ => {
                    return Err(ApiError::requete(
                        Some("limit"),
                        format!("La limite « {v} » n'est pas valable : écrivez un nombre entier de 1 à {LIMITE_API_MAX} (par défaut {LIMITE_API_DEFAUT}) ; pour la suite, utilisez offset."),
                    ))
                }
            },
        };
        let offset = match p.offset.premier_brut() {
            None => 0,
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                v.parse::<usize>().unwrap_or(usize::MAX)
            }
            Some(v) => {
                return Err(ApiError::requete(
                    Some("offset"),
                    format!("Le décalage « {v} » n'est pas valable : écrivez un nombre entier positif ou nul (0 pour le début)."),
                ))
            }
        };
        Ok(t::Tranche { offset, limit })
    }
}

fn territoire_api(code: &str) -> Result<Territoire, ApiError> {
    lire_territoire(code).map_err(ApiError::introuvable)
}

fn reglages_api(p: &ParamsTerritoire, arrets: Option<usize>) -> Result<Reglages, ApiError> {
    let (reglages, erreurs) = lire_reglages(p, arrets);
    match erreurs.into_iter().next() {
        Some(e) => Err(ApiError::requete(Some(e.parametre), e.message)),
        None => Ok(reglages),
    }
}

/// Fragility index of the communes of a territory.
#[utoipa::path(
    get,
    path = "/api/v1/territoires/{code}/indice",
    tag = "territoires",
    params(
        ("code" = String, Path, description = "fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE (ou reg-76, dep-31…)", example = "dep:31"),
        ("limit" = Option<usize>, Query, description = "Nombre d'entrées de la page (de 1 à 5000, défaut 1000)", minimum = 1, maximum = 5000),
        ("offset" = Option<usize>, Query, description = "Rang de la première entrée de la page, à partir de 0 (défaut 0)", minimum = 0),
    ),
    responses(
        (status = 200, description = "Indice de fragilité numérique (méthode des déciles) par commune, une page à la fois, et son agrégat pondéré par la population", body = IndiceTerritoireApi),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 404, description = "Territoire inconnu", body = ApiError),
        (status = 503, description = "Trop de calculs lourds en cours : réessayer après le délai de l'en-tête Retry-After", body = ApiError, headers(("Retry-After" = u64, description = "Secondes à attendre"))),
    )
)]
pub async fn api_indice(
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ApiError> {
    let territoire = territoire_api(&code)?;
    let tranche = t::Tranche::try_from(&p)?;
    let cle = format!("indice|{territoire}|{}|{}", tranche.offset, tranche.limit);
    if let Some(octets) = reponse_en_cache(&cle, None) {
        return Ok(json(octets));
    }
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_api());
    };
    let octets = tokio::task::spawn_blocking(move || {
        t::indice_json_tranche(&indice_national().indice, &territoire, tranche)
    })
    .await
    .map_err(ApiError::interne)?
    .map_err(ApiError::interne)?;
    let octets = axum::body::Bytes::from(octets);
    mettre_en_cache(cle, None, octets.clone());
    Ok(json(octets))
}

/// Distance from every commune of a territory to the nearest place, overall and per
/// criterion; population beyond 5, 10 and 20 km.
#[utoipa::path(
    get,
    path = "/api/v1/territoires/{code}/couverture",
    tag = "territoires",
    params(
        ("code" = String, Path, description = "fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE", example = "dep:31"),
        ("limit" = Option<usize>, Query, description = "Nombre d'entrées de la page (de 1 à 5000, défaut 1000)", minimum = 1, maximum = 5000),
        ("offset" = Option<usize>, Query, description = "Rang de la première entrée de la page, à partir de 0 (défaut 0)", minimum = 0),
    ),
    responses(
        (status = 200, description = "Couverture du territoire par les lieux de l'annuaire, une page de communes à la fois", body = CouvertureTerritoireApi),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 404, description = "Territoire inconnu", body = ApiError),
        (status = 503, description = "Trop de calculs lourds en cours : réessayer après le délai de l'en-tête Retry-After", body = ApiError, headers(("Retry-After" = u64, description = "Secondes à attendre"))),
    )
)]
pub async fn api_couverture(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ApiError> {
    let territoire = territoire_api(&code)?;
    let tranche = t::Tranche::try_from(&p)?;
    let moteur = state.moteur();
    let cle = format!(
        "couverture|{territoire}|{}|{}",
        tranche.offset, tranche.limit
    );
    if let Some(octets) = reponse_en_cache(&cle, Some(&moteur)) {
        return Ok(json(octets));
    }
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_api());
    };
    let donnees = donnees(&state).await.map_err(ApiError::interne)?;
    let octets = tokio::task::spawn_blocking(move || {
        t::couverture_json_tranche(&donnees.couverture, &territoire, tranche)
    })
    .await
    .map_err(ApiError::interne)?
    .map_err(ApiError::interne)?;
    let octets = axum::body::Bytes::from(octets);
    mettre_en_cache(cle, Some(&moteur), octets.clone());
    Ok(json(octets))
}

/// Communes of a territory farther than `rayon_km` from every place (or every place
/// meeting `service`), most fragile population first.
#[utoipa::path(
    get,
    path = "/api/v1/territoires/{code}/zones-blanches",
    tag = "territoires",
    params(
        ("code" = String, Path, description = "fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE", example = "dep:31"),
        ("rayon_km" = Option<f64>, Query, description = "Distance à vol d'oiseau au-delà de laquelle une commune est en zone blanche (défaut 10)", minimum = 1, maximum = 50),
        ("service" = Option<String>, Query, description = "Critère : demarches_administratives, outils_du_quotidien, acces_internet_materiel, materiel_prix_solidaire, insertion_professionnelle, utilisation_securisee, parentalite_education, loisirs_creations, comprehension_numerique, gratuit, ouvert_samedi ou permanent"),
        ("limit" = Option<usize>, Query, description = "Nombre d'entrées de la page (de 1 à 5000, défaut 1000)", minimum = 1, maximum = 5000),
        ("offset" = Option<usize>, Query, description = "Rang de la première entrée de la page, à partir de 0 (défaut 0)", minimum = 0),
    ),
    responses(
        (status = 200, description = "Les zones blanches, une page à la fois", body = ZonesBlanchesApi),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 404, description = "Territoire inconnu", body = ApiError),
        (status = 503, description = "Trop de calculs lourds en cours : réessayer après le délai de l'en-tête Retry-After", body = ApiError, headers(("Retry-After" = u64, description = "Secondes à attendre"))),
    )
)]
pub async fn api_zones_blanches(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ApiError> {
    let territoire = territoire_api(&code)?;
    let reglages = reglages_api(&p, None)?;
    let tranche = t::Tranche::try_from(&p)?;
    let moteur = state.moteur();
    let cle = format!(
        "zones|{territoire}|{}|{:?}|{}|{}",
        reglages.rayon_km, reglages.service, tranche.offset, tranche.limit
    );
    if let Some(octets) = reponse_en_cache(&cle, Some(&moteur)) {
        return Ok(json(octets));
    }
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_api());
    };
    let donnees = donnees(&state).await.map_err(ApiError::interne)?;
    let octets = tokio::task::spawn_blocking(move || {
        let zones = donnees.zones_blanches(&territoire, reglages.rayon_km, reglages.service);
        t::zones_blanches_json_tranche(&territoire, reglages.rayon_km, &zones, tranche)
    })
    .await
    .map_err(ApiError::interne)?
    .map_err(ApiError::interne)?;
    let octets = axum::body::Bytes::from(octets);
    mettre_en_cache(cle, Some(&moteur), octets.clone());
    Ok(json(octets))
}

/// Plans the stops of an itinerant tour (bus, caravan): at most K stops among the communes of
/// `population_min` to `population_max` (default 2,000 to 8,000) inhabitants of the territory
/// maximising the fragile population reached within `rayon_km` and not already within
/// `rayon_km` of a permanent place. A stop that would reach nobody more is left out
/// (`arrets_demandes` is K).
#[utoipa::path(
    get,
    path = "/api/v1/territoires/{code}/plan",
    tag = "territoires",
    params(
        ("code" = String, Path, description = "reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE (au plus 6 000 communes)", example = "epci:243100633"),
        ("arrets" = Option<usize>, Query, description = "Nombre d'arrêts (défaut 10)", minimum = 1, maximum = 50),
        ("rayon_km" = Option<f64>, Query, description = "Rayon d'action d'un arrêt et d'un lieu permanent, à vol d'oiseau (défaut 10)", minimum = 1, maximum = 50),
        ("population_min" = Option<u32>, Query, description = "Population minimale d'une commune candidate (défaut 2000)", minimum = 0, maximum = 10000000),
        ("population_max" = Option<u32>, Query, description = "Population maximale d'une commune candidate (défaut 8000, au moins population_min)", minimum = 0, maximum = 10000000),
    ),
    responses(
        (status = 200, description = "Les arrêts, par apport décroissant, avec les totaux et l'écart d'optimalité", body = PlanApi),
        (status = 400, description = "Paramètre invalide ou territoire trop grand", body = ApiError),
        (status = 404, description = "Territoire inconnu", body = ApiError),
        (status = 503, description = "Trop de calculs lourds en cours : réessayer après le délai de l'en-tête Retry-After", body = ApiError, headers(("Retry-After" = u64, description = "Secondes à attendre"))),
    )
)]
pub async fn api_plan(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ApiError> {
    let territoire = territoire_api(&code)?;
    let reglages = reglages_api(&p, Some(10))?;
    let Some(_permis) = permis_calcul() else {
        return Ok(occupe_api());
    };
    let donnees = donnees(&state).await.map_err(ApiError::interne)?;
    let plan = planifier(
        &state,
        &donnees,
        &territoire,
        reglages.arrets.unwrap_or(10),
        reglages.rayon_km,
        (reglages.population_min, reglages.population_max),
    )
    .await
    .map_err(|e| ApiError::requete(Some(e.parametre), e.message))?;
    Ok(json(serde_json::to_vec(&*plan).map_err(ApiError::interne)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_in_urls() {
        for (code, attendu) in [
            ("fr", "fr"),
            ("dep:31", "dep:31"),
            ("dep-31", "dep:31"),
            ("reg-76", "reg:76"),
            ("DEP:2a", "dep:2A"),
            ("epci-243100633", "epci:243100633"),
            ("commune:31555", "commune:31555"),
        ] {
            assert_eq!(
                lire_territoire(code).map(|t| t.to_string()).as_deref(),
                Ok(attendu)
            );
        }
        assert!(lire_territoire("dep:999").is_err());
        assert!(lire_territoire("toulouse").is_err());
    }

    #[test]
    fn the_api_paths_are_documented() {
        let (routeur, routes) = routeur().en_parties();
        let v = serde_json::to_value(routeur.into_openapi()).unwrap_or_default();
        for chemin in ["indice", "couverture", "zones-blanches", "plan"] {
            let chemin = format!("/api/v1/territoires/{{code}}/{chemin}");
            assert!(v["paths"][&chemin]["get"].is_object(), "{chemin}");
            assert!(
                routes.iter().any(|r| r.chemin == chemin),
                "{chemin} in the module's routes"
            );
        }
        for schema in [
            "IndiceTerritoireApi",
            "CouvertureTerritoireApi",
            "ZonesBlanchesApi",
            "PlanApi",
            "ApiError",
        ] {
            assert!(v["components"]["schemas"][schema].is_object(), "{schema}");
        }
    }

    #[test]
    fn numbers_in_french() {
        assert_eq!(entier(1234567.4), "1\u{202f}234\u{202f}567");
        assert_eq!(entier(12.0), "12");
        assert_eq!(decimal(6.214, 2), "6,21");
    }

    #[test]
    fn national_deciles_split_the_communes() {
        let nat = indice_national();
        assert!(nat.bornes.windows(2).all(|w| w[0] <= w[1]));
        let mut n = [0usize; 10];
        for c in &nat.indice.communes {
            if let Some(v) = c.indice {
                n[nat.decile(v) - 1] += 1;
            }
        }
        let total: usize = n.iter().sum();
        for k in n {
            assert!(k * 10 > total * 7 / 10 && k * 10 < total * 13 / 10, "{n:?}");
        }
    }
}
