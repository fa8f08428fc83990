//! Enquête de besoins, the surveyors' and coordinators' pages (`/espace/enquete…`): the
//! campaigns of the signed-in account, the offline collection page
//! (`/espace/enquete/{id}/collecte`: the shared offline module `assets/hors-ligne.js` and
//! its service worker, the page script `assets/collecte.js`), the results page; and the
//! JSON the page uses (`/api/v1/enquete/{id}/dossier|synchro`).
//!
//! Who may do what is decided by `maillage_enquete`: a campaign one does not survey (nor
//! manage) is « introuvable » on the pages and 403 in the API. The JSON routes read the
//! session cookie; the one that writes also wants the session's CSRF token in `X-CSRF` and
//! a JSON body.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_enquete::statistiques::Taux;
use maillage_enquete::stockage::{AdresseRow, CampagneRow};
use maillage_enquete::{ErreurEnquete, LotSynchro, QuestionnaireSaisi, VisiteSaisie};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::erreur::{ApiError, ErreurWeb};
use crate::espace::pages::Menu;
use crate::espace::{rendre, Connecte};
use crate::evenements_espace::{acteur_api, fichier, no_store};
use crate::formulaires::FormulaireConnecte;
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;
use maillage_annuaire::tableur::{Tableau, Valeur};

/// The shared offline module (IndexedDB queue, client UUIDs, idempotent upload, service
/// worker registration), used by the check-in page and the collection page.
pub(crate) const HORS_LIGNE: &[u8] = include_bytes!("../assets/hors-ligne.js");
/// The shared service worker (network first, the cached copy offline).
pub(crate) const SERVICE_WORKER: &[u8] = include_bytes!("../assets/hors-ligne-sw.js");
const SCRIPT_COLLECTE: &[u8] = include_bytes!("../assets/collecte.js");

/// The routes of Enquête.
pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Enquete)
        .get("/espace/enquete", liste)
        .get("/espace/hors-ligne.js", script_hors_ligne)
        .get("/espace/enquete/collecte.js", script_collecte)
        .get("/espace/enquete/hors-ligne-sw.js", service_worker)
        .get("/espace/enquete/nouvelle", page_nouvelle)
        .post("/espace/enquete/nouvelle", creer)
        .get("/espace/enquete/{id}/gestion", page_gestion)
        .post("/espace/enquete/{id}/gestion", modifier)
        .post("/espace/enquete/{id}/enqueteurs", ajouter_enqueteur)
        .post("/espace/enquete/{id}/adresses", ajouter_adresses)
        .post("/espace/enquete/{id}/questions", ajouter_question)
        .get("/espace/enquete/{id}/collecte", page_collecte)
        .post("/espace/enquete/{id}/coup-de-main", coup_de_main)
        .get("/espace/enquete/{id}/resultats", page_resultats)
        .get("/espace/enquete/{id}/agregats.csv", agregats_csv)
        .get("/espace/enquete/{id}/agregats.xlsx", agregats_xlsx)
        .get("/espace/enquete/{id}/reponses.csv", reponses_csv)
        .get("/espace/enquete/{id}/reponses.xlsx", reponses_xlsx)
        .get("/enquetes/{id}", page_publique)
        .api(utoipa_axum::routes!(api_dossier))
        .api(utoipa_axum::routes!(api_synchro))
        .api(utoipa_axum::routes!(api_resultats))
}

impl From<ErreurEnquete> for ApiError {
    fn from(e: ErreurEnquete) -> Self {
        let (status, parametre) = match &e {
            ErreurEnquete::Invalide { champ, .. } => (400, Some(champ.clone())),
            ErreurEnquete::Introuvable => (404, None),
            ErreurEnquete::Interdit | ErreurEnquete::Comptes(_) => (403, None),
            ErreurEnquete::Conflit(_) => (409, None),
            ErreurEnquete::Interne(m) => return ApiError::interne(format_args!("Enquête: {m}")),
        };
        ApiError {
            erreur: e.to_string(),
            parametre,
            status,
        }
    }
}

/// A page's error: a campaign one may not see is « introuvable ».
fn erreur_page(e: ErreurEnquete) -> ErreurWeb {
    match e {
        ErreurEnquete::Introuvable | ErreurEnquete::Interdit => {
            ErreurWeb::Introuvable("Cette campagne est introuvable.".into())
        }
        ErreurEnquete::Invalide { .. } | ErreurEnquete::Conflit(_) => {
            ErreurWeb::Requete(e.to_string())
        }
        ErreurEnquete::Comptes(c) => ErreurWeb::interne(c),
        ErreurEnquete::Interne(m) => ErreurWeb::interne(std::io::Error::other(m)),
    }
}

fn id_page(texte: &str) -> Result<i64, ErreurWeb> {
    texte
        .parse()
        .map_err(|_| ErreurWeb::Introuvable("Cette campagne est introuvable.".into()))
}

fn javascript(octets: &'static [u8]) -> Response {
    let mut r = octets.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// `GET /espace/hors-ligne.js`: the shared offline module.
pub async fn script_hors_ligne() -> Response {
    javascript(HORS_LIGNE)
}

/// `GET /espace/enquete/collecte.js`: the collection page's script.
pub async fn script_collecte() -> Response {
    javascript(SCRIPT_COLLECTE)
}

/// `GET /espace/enquete/hors-ligne-sw.js`: the shared service worker, scope
/// `/espace/enquete/`.
pub async fn service_worker() -> Response {
    javascript(SERVICE_WORKER)
}

fn date_fr(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

struct LigneCampagne {
    id: i64,
    intitule: String,
    periode: String,
}

fn ligne(c: &CampagneRow) -> LigneCampagne {
    LigneCampagne {
        id: c.id,
        intitule: c.intitule.clone(),
        periode: format!("du {} au {}", date_fr(c.debut), date_fr(c.fin)),
    }
}

#[derive(Template)]
#[template(path = "espace/enquetes.html")]
struct PageListe {
    site: Arc<Site>,
    menu: Menu,
    campagnes: Vec<LigneCampagne>,
    gestionnaire: bool,
}

/// `GET /espace/enquete`: the campaigns the account surveys (all of them for a manager).
pub async fn liste(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let campagnes = state
        .instance
        .enquete()
        .campagnes_de(&a)
        .await
        .map_err(erreur_page)?;
    rendre(&PageListe {
        site: state.site.clone(),
        menu: Menu::de(&a),
        campagnes: campagnes.iter().map(ligne).collect(),
        gestionnaire: maillage_enquete::Enquete::exiger_gestionnaire(&a).is_ok(),
    })
}

#[derive(Template)]
#[template(path = "espace/enquete_collecte.html")]
struct PageCollecte {
    site: Arc<Site>,
    menu: Menu,
    c: LigneCampagne,
    consentement: String,
    adresses: Vec<AdresseRow>,
    /// The perimeter's communes `(code, name)`, for « un coup de main ».
    communes: Vec<(String, String)>,
    /// The needs of the places' schema, for the orientation sheet.
    besoins: Vec<&'static str>,
}

/// `GET /espace/enquete/{id}/collecte`: the surveyor's page (works offline once opened).
pub async fn page_collecte(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let d = state
        .instance
        .enquete()
        .dossier(&a, id)
        .await
        .map_err(erreur_page)?;
    let communes = state
        .instance
        .enquete()
        .cibles(id)
        .await
        .map_err(erreur_page)?
        .into_iter()
        .map(|c| {
            let nom = nom_territoire(&state, &c.commune, false);
            (c.commune, nom)
        })
        .collect();
    rendre(&PageCollecte {
        site: state.site.clone(),
        menu: Menu::de(&a),
        c: ligne(&d.campagne),
        consentement: d.campagne.consentement.clone(),
        adresses: d.adresses,
        communes,
        besoins: {
            use maillage_domain::Vocabulary;
            maillage_domain::Service::ALL
                .iter()
                .map(|s| s.label())
                .collect()
        },
    })
}

struct LigneTaux {
    code: String,
    nom: String,
    effectif: i64,
    taux: String,
    intervalle: String,
    brut: String,
    pondere: &'static str,
    effectif_efficace: String,
}

fn pourcent(x: f64) -> String {
    format!("{:.1} %", x * 100.0).replace('.', ",")
}

fn nom_territoire(state: &AppState, code: &str, epci: bool) -> String {
    let referentiel = state.instance.comptes().referentiel();
    if epci {
        referentiel.epci(code).map(|e| e.nom.clone())
    } else {
        referentiel.commune(code).map(|c| c.nom.clone())
    }
    .unwrap_or_else(|| code.to_string())
}

/// The words of a rate with its interval (« secret » under five answers).
fn textes_taux(t: &Taux) -> (String, String) {
    match (t.taux, t.intervalle) {
        (Some(x), Some((b, h))) => (pourcent(x), format!("{} – {}", pourcent(b), pourcent(h))),
        _ => ("secret (moins de 5 réponses)".to_string(), "—".to_string()),
    }
}

fn ligne_taux(state: &AppState, t: &Taux, epci: bool) -> LigneTaux {
    let (taux, intervalle) = textes_taux(t);
    LigneTaux {
        code: t.code.clone(),
        nom: nom_territoire(state, &t.code, epci),
        effectif: t.effectif,
        taux,
        intervalle,
        brut: t.brut.map(pourcent).unwrap_or_else(|| "—".into()),
        pondere: match (t.secret(), t.pondere) {
            (true, _) => "—",
            (false, true) => "oui",
            (false, false) => "non",
        },
        effectif_efficace: t
            .effectif_efficace
            .map(|n| format!("{n:.0}"))
            .unwrap_or_else(|| "—".into()),
    }
}

/// Progress of one commune of the perimeter.
struct LigneAvancement {
    code: String,
    nom: String,
    cible: i64,
    faits: i64,
    refus: i64,
    absents: i64,
    part_cible: String,
}

/// What the campaign's results show, on the surveyors' page and on the public one.
struct VueResultats {
    c: LigneCampagne,
    absents: i64,
    refus: i64,
    faits: i64,
    questionnaires: i64,
    taux_reponse: String,
    cible: i64,
    communes: Vec<LigneTaux>,
    epcis: Vec<LigneTaux>,
    avancement: Vec<LigneAvancement>,
    carte: crate::territoire::Carte,
    legende: Vec<(usize, String)>,
}

/// Questionnaires received per commune (the answers, whether or not a visit was sent).
fn reponses_par_commune(r: &maillage_enquete::Resultats) -> std::collections::HashMap<&str, i64> {
    r.communes
        .iter()
        .map(|t| (t.code.as_str(), t.effectif))
        .collect()
}

/// Colour class of a commune's progress: 0 without any questionnaire, then 1 to 10 by
/// tenths of the target reached (10: 90 % or more).
fn classe_avancement(faits: i64, cible: i64) -> usize {
    if faits <= 0 {
        return 0;
    }
    if cible <= 0 {
        return 10;
    }
    (1 + (10 * faits / cible) as usize).min(10)
}

fn vue_resultats(state: &AppState, r: &maillage_enquete::Resultats) -> VueResultats {
    let referentiel = state.instance.comptes().referentiel();
    let visites: std::collections::HashMap<&str, [i64; 3]> = r
        .visites_par_commune
        .iter()
        .map(|(c, v)| (c.as_str(), *v))
        .collect();
    let mut avancement = Vec::with_capacity(r.cibles.len());
    let mut points = Vec::with_capacity(r.cibles.len());
    let reponses = reponses_par_commune(r);
    for c in &r.cibles {
        let mut v = visites.get(c.commune.as_str()).copied().unwrap_or_default();
        v[2] = reponses.get(c.commune.as_str()).copied().unwrap_or(0);
        let nom = nom_territoire(state, &c.commune, false);
        let part = if c.cible_menages > 0 {
            pourcent(v[2] as f64 / c.cible_menages as f64)
        } else {
            "—".into()
        };
        if let Some(commune) = referentiel.commune(&c.commune) {
            if let Some(centre) = commune.centre {
                points.push(crate::territoire::Point2 {
                    point: centre,
                    population: commune.population,
                    decile: classe_avancement(v[2], c.cible_menages),
                    titre: format!(
                        "{nom} : {} questionnaires sur {} foyers visés",
                        v[2], c.cible_menages
                    ),
                });
            }
        }
        avancement.push(LigneAvancement {
            code: c.commune.clone(),
            nom,
            cible: c.cible_menages,
            faits: v[2],
            refus: v[1],
            absents: v[0],
            part_cible: part,
        });
    }
    let carte = crate::territoire::dessiner_carte(
        &format!("Avancement de la campagne « {} »", r.campagne.intitule),
        &points,
        &[],
        &[],
        None,
        "communes",
        "couleur selon la part des foyers visés déjà interrogés, du plus clair, moins de 10 %, au plus foncé, 90 % ou plus ; cercle blanc : aucun questionnaire",
    );
    let legende = (1..=10)
        .map(|d| {
            let texte = if d == 10 {
                "90 % ou plus des foyers visés interrogés".to_string()
            } else {
                format!(
                    "de {} à {} % des foyers visés interrogés",
                    10 * (d - 1),
                    10 * d
                )
            };
            (d, texte)
        })
        .chain(std::iter::once((0, "aucun questionnaire".to_string())))
        .collect();
    VueResultats {
        c: ligne(&r.campagne),
        absents: r.visites[0],
        refus: r.visites[1],
        faits: r.visites[2],
        questionnaires: r.questionnaires,
        taux_reponse: r.taux_reponse().map(pourcent).unwrap_or_else(|| "—".into()),
        cible: r.cibles.iter().map(|c| c.cible_menages).sum(),
        communes: r
            .communes
            .iter()
            .map(|t| ligne_taux(state, t, false))
            .collect(),
        epcis: r.epcis.iter().map(|t| ligne_taux(state, t, true)).collect(),
        avancement,
        carte,
        legende,
    }
}

#[derive(Template)]
#[template(path = "espace/enquete_resultats.html")]
struct PageResultats {
    site: Arc<Site>,
    menu: Menu,
    v: VueResultats,
    /// Coordinators and administrators may download the answers.
    gestionnaire: bool,
    /// Helps given at the door: orientation sheets, registrations, keys.
    coups: [i64; 3],
}

/// `GET /espace/enquete/{id}/resultats`: progress (map and table) and measured
/// illectronisme.
pub async fn page_resultats(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let r = state
        .instance
        .enquete()
        .resultats(&a, id)
        .await
        .map_err(erreur_page)?;
    let coups = state
        .instance
        .enquete()
        .coups_de_main(&a, id)
        .await
        .map_err(erreur_page)?;
    rendre(&PageResultats {
        site: state.site.clone(),
        menu: Menu::de(&a),
        v: vue_resultats(&state, &r),
        gestionnaire: maillage_enquete::Enquete::exiger_gestionnaire(&a).is_ok(),
        coups,
    })
}

#[derive(Template)]
#[template(path = "enquete_publique.html")]
struct PagePublique {
    site: Arc<Site>,
    v: VueResultats,
}

/// `GET /enquetes/{id}`: the campaign's public aggregate page (counts and rates only, cells
/// under five suppressed; no JavaScript).
pub async fn page_publique(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let r = state
        .instance
        .enquete()
        .resultats_publics(id)
        .await
        .map_err(erreur_page)?;
    rendre(&PagePublique {
        site: state.site.clone(),
        v: vue_resultats(&state, &r),
    })
}

// ---------------------------------------------------------------------------------------
// Exports (CSV with `;` and French headers, XLSX beside it).

fn tableau_agregats(state: &AppState, r: &maillage_enquete::Resultats) -> Tableau {
    let mut t = Tableau::new([
        "Niveau",
        "Code",
        "Territoire",
        "Réponses",
        "Taux d’illectronisme (%)",
        "Borne basse à 95 % (%)",
        "Borne haute à 95 % (%)",
        "Taux brut (%)",
        "Pondéré (recensement)",
        "Effectif efficace",
        "Foyers visés",
        "Questionnaires",
        "Refus",
        "Absents",
    ]);
    let cent = |x: Option<f64>| Valeur::nombre(x.map(|x| 100.0 * x), 1);
    let visites: std::collections::HashMap<&str, [i64; 3]> = r
        .visites_par_commune
        .iter()
        .map(|(c, v)| (c.as_str(), *v))
        .collect();
    let cibles: std::collections::HashMap<&str, i64> = r
        .cibles
        .iter()
        .map(|c| (c.commune.as_str(), c.cible_menages))
        .collect();
    let mut ajouter = |niveau: &str, x: &Taux, epci: bool| {
        let v = (!epci).then(|| {
            let mut v = visites.get(x.code.as_str()).copied().unwrap_or_default();
            v[2] = x.effectif;
            v
        });
        let cible = cibles.get(x.code.as_str()).copied();
        t.lignes.push(vec![
            Valeur::texte(niveau),
            Valeur::texte(x.code.clone()),
            Valeur::texte(nom_territoire(state, &x.code, epci)),
            Valeur::entier(x.effectif as f64),
            cent(x.taux),
            cent(x.intervalle.map(|i| i.0)),
            cent(x.intervalle.map(|i| i.1)),
            cent(x.brut),
            Valeur::texte(match (x.secret(), x.pondere) {
                (true, _) => "",
                (false, true) => "oui",
                (false, false) => "non",
            }),
            Valeur::nombre(x.effectif_efficace, 1),
            Valeur::nombre(cible.map(|c| c as f64), 0),
            Valeur::nombre(v.map(|v| v[2] as f64), 0),
            Valeur::nombre(v.map(|v| v[1] as f64), 0),
            Valeur::nombre(v.map(|v| v[0] as f64), 0),
        ]);
    };
    for x in &r.epcis {
        ajouter("intercommunalité", x, true);
    }
    for x in &r.communes {
        ajouter("commune", x, false);
    }
    t
}

/// One row per questionnaire: commune, IRIS, day, household size, every answer (short
/// texts left out: a surveyor might have written a name in one), the four domain scores
/// and the illectronisme flag. No UUID, no time of day.
fn tableau_reponses(
    questionnaire: &maillage_enquete::questionnaire::Questionnaire,
    reponses: &[maillage_enquete::stockage::ReponseRow],
) -> Tableau {
    use maillage_enquete::questionnaire::TypeQuestion;
    let questions: Vec<_> = questionnaire
        .questions
        .iter()
        .filter(|q| q.genre != TypeQuestion::TexteCourt)
        .collect();
    let mut colonnes: Vec<String> = ["Commune", "IRIS", "Jour", "Personnes du foyer"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    colonnes.extend(questions.iter().map(|q| q.code.clone()));
    colonnes.extend(
        [
            "Score information",
            "Score communication",
            "Score résolution de problèmes",
            "Score logiciels",
            "Internet ces 3 derniers mois",
            "Illectronisme",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let mut t = Tableau::new(colonnes);
    let oui_non = |b: bool| Valeur::texte(if b { "oui" } else { "non" });
    for r in reponses {
        let valeurs: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&r.reponses).unwrap_or_default();
        let foyer = maillage_enquete::questionnaire::personnes_foyer_de(questionnaire, &valeurs);
        let mut ligne = vec![
            Valeur::texte(r.commune.clone()),
            Valeur::texte(r.iris.clone().unwrap_or_default()),
            Valeur::texte(r.collecte_at.date_naive().format("%d/%m/%Y").to_string()),
            Valeur::nombre(foyer.map(|n| n as f64), 0),
        ];
        for q in &questions {
            ligne.push(Valeur::texte(match valeurs.get(&q.code) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::Bool(b)) => (if *b { "oui" } else { "non" }).to_string(),
                Some(serde_json::Value::Array(v)) => v
                    .iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("|"),
                Some(serde_json::Value::String(x)) => x.clone(),
                Some(x) => x.to_string(),
            }));
        }
        ligne.extend([
            Valeur::entier(r.score_information as f64),
            Valeur::entier(r.score_communication as f64),
            Valeur::entier(r.score_resolution as f64),
            Valeur::entier(r.score_logiciels as f64),
            oui_non(r.internet_3mois),
            oui_non(r.illectronisme),
        ]);
        t.lignes.push(ligne);
    }
    t
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn agregats(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
) -> Result<(i64, Tableau), ErreurWeb> {
    let id = id_page(id)?;
    let r = state
        .instance
        .enquete()
        .resultats(a, id)
        .await
        .map_err(erreur_page)?;
    Ok((id, tableau_agregats(state, &r)))
}

async fn reponses(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
) -> Result<(i64, Tableau), ErreurWeb> {
    let id = id_page(id)?;
    let (q, r) = state
        .instance
        .enquete()
        .reponses_a_exporter(a, id)
        .await
        .map_err(erreur_page)?;
    Ok((id, tableau_reponses(&q, &r)))
}

/// `GET /espace/enquete/{id}/agregats.csv`: rates and progress per EPCI and commune.
pub async fn agregats_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, t) = agregats(&state, &a, &id).await?;
    Ok(fichier(
        t.csv()?,
        CSV,
        &format!("enquete-{id}-agregats.csv"),
    ))
}

/// `GET /espace/enquete/{id}/agregats.xlsx`: the same as a spreadsheet.
pub async fn agregats_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, t) = agregats(&state, &a, &id).await?;
    Ok(fichier(
        t.xlsx("Agrégats")?,
        XLSX,
        &format!("enquete-{id}-agregats.xlsx"),
    ))
}

/// `GET /espace/enquete/{id}/reponses.csv`: the anonymous answers, one row per
/// questionnaire (coordinators and administrators).
pub async fn reponses_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, t) = reponses(&state, &a, &id).await?;
    Ok(fichier(
        t.csv()?,
        CSV,
        &format!("enquete-{id}-reponses.csv"),
    ))
}

/// `GET /espace/enquete/{id}/reponses.xlsx`: the same as a spreadsheet.
pub async fn reponses_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, t) = reponses(&state, &a, &id).await?;
    Ok(fichier(
        t.xlsx("Réponses")?,
        XLSX,
        &format!("enquete-{id}-reponses.xlsx"),
    ))
}

// ---------------------------------------------------------------------------------------
// JSON: the device's download and upload.

fn id_api(texte: &str) -> Result<i64, ApiError> {
    texte
        .parse::<i64>()
        .map_err(|_| ApiError::introuvable("Cette campagne est introuvable."))
}

/// An address of the visit list, as the device keeps it.
#[derive(Serialize, ToSchema)]
pub struct AdresseApi {
    pub id: i64,
    pub commune: String,
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iris: Option<String>,
    pub adresse: String,
}

/// A visit already received.
#[derive(Serialize, ToSchema)]
pub struct VisiteApi {
    pub uuid: String,
    pub adresse_id: i64,
    /// `absent`, `refus`, `fait`.
    pub issue: String,
    /// The planned revisit (`AAAA-MM-JJ`), for `absent`.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisite: Option<String>,
}

/// What the device downloads to work offline.
#[derive(Serialize, ToSchema)]
pub struct DossierApi {
    pub campagne: i64,
    pub intitule: String,
    pub consentement: String,
    /// The questionnaire version answers must follow.
    pub questionnaire_id: i64,
    /// The questionnaire (`data/enquete/questionnaire_standard.json` and the territory's
    /// additions).
    #[schema(value_type = Object)]
    pub questionnaire: serde_json::Value,
    pub adresses: Vec<AdresseApi>,
    pub visites: Vec<VisiteApi>,
    /// When it was read (RFC 3339).
    pub lu_a: String,
}

/// The campaign's file for the surveyor's device: campaign, questionnaire, the addresses
/// they cover and the visits already received.
#[utoipa::path(
    get,
    path = "/api/v1/enquete/{id}/dossier",
    tag = "enquete",
    security(("session_accueil" = [])),
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses(
        (status = 200, description = "Dossier de collecte", body = DossierApi),
        (status = 401, description = "Pas de session", body = ApiError),
        (status = 403, description = "Ni enquêteur ni gestionnaire de la campagne", body = ApiError),
        (status = 404, description = "Campagne introuvable", body = ApiError),
    )
)]
pub async fn api_dossier(
    State(state): State<AppState>,
    Path(id): Path<String>,
    entetes: HeaderMap,
) -> Result<Response, ApiError> {
    let a = acteur_api(&state, &entetes, false).await?;
    let id = id_api(&id)?;
    let module = state.instance.enquete();
    let d = module.dossier(&a, id).await?;
    Ok(no_store(
        Json(DossierApi {
            campagne: d.campagne.id,
            intitule: d.campagne.intitule.clone(),
            consentement: d.campagne.consentement.clone(),
            questionnaire_id: d.questionnaire_id,
            questionnaire: serde_json::to_value(&d.questionnaire).map_err(ApiError::interne)?,
            adresses: d
                .adresses
                .into_iter()
                .map(|a| AdresseApi {
                    id: a.id,
                    commune: a.commune,
                    iris: a.iris,
                    adresse: a.adresse,
                })
                .collect(),
            visites: d
                .visites
                .into_iter()
                .map(|v| VisiteApi {
                    uuid: v.uuid,
                    adresse_id: v.adresse_id,
                    issue: v.issue,
                    revisite: v.revisite.map(|d| d.to_string()),
                })
                .collect(),
            lu_a: module.maintenant().to_rfc3339(),
        })
        .into_response(),
    ))
}

/// A visit recorded on the device.
#[derive(Deserialize, ToSchema)]
pub struct VisiteEnvoyee {
    /// Drawn on the device (`crypto.randomUUID()`).
    pub uuid: String,
    pub adresse_id: i64,
    /// `absent`, `refus` or `fait`.
    pub issue: String,
    /// For `absent`: the day of the revisit (`AAAA-MM-JJ`; 7 days later by default).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub revisite: Option<chrono::NaiveDate>,
    /// When (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A questionnaire answered on the device: the commune (and IRIS) of the address, never
/// the address.
#[derive(Deserialize, ToSchema)]
pub struct QuestionnaireEnvoye {
    pub uuid: String,
    pub questionnaire_id: i64,
    pub commune: String,
    #[serde(default)]
    pub iris: Option<String>,
    /// `{code de question: réponse}`.
    #[schema(value_type = Object)]
    pub reponses: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::DateTime<chrono::Utc>,
}

/// One upload from a device.
#[derive(Deserialize, ToSchema)]
pub struct CorpsSynchro {
    #[serde(default)]
    pub visites: Vec<VisiteEnvoyee>,
    #[serde(default)]
    pub questionnaires: Vec<QuestionnaireEnvoye>,
}

/// An item refused, and why.
#[derive(Serialize, ToSchema)]
pub struct RejetApi {
    pub uuid: String,
    pub message: String,
}

/// What the server kept: every UUID it holds now (new or already there), and the refused.
#[derive(Serialize, ToSchema)]
pub struct ReponseSynchro {
    /// UUIDs stored by this upload.
    pub nouveaux: Vec<String>,
    /// UUIDs the server already had (a re-upload, or another device): nothing was added.
    pub deja_recus: Vec<String>,
    pub rejets: Vec<RejetApi>,
}

/// Uploads visits and questionnaires. Idempotent: each UUID is stored once whatever the
/// number of uploads or devices (a unique index, insert-or-ignore); the device forgets an
/// item only once the answer lists it.
#[utoipa::path(
    post,
    path = "/api/v1/enquete/{id}/synchro",
    tag = "enquete",
    security(("session_accueil" = [])),
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    request_body(content = CorpsSynchro, content_type = "application/json"),
    responses(
        (status = 200, description = "Ce que le serveur a gardé", body = ReponseSynchro),
        (status = 400, description = "Champ invalide (le champ est nommé)", body = ApiError),
        (status = 401, description = "Pas de session", body = ApiError),
        (status = 403, description = "En-tête X-CSRF absent ou faux, ou pas enquêteur de la campagne", body = ApiError),
        (status = 404, description = "Campagne introuvable", body = ApiError),
    )
)]
pub async fn api_synchro(
    State(state): State<AppState>,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: Bytes,
) -> Result<Response, ApiError> {
    let a = acteur_api(&state, &entetes, true).await?;
    let id = id_api(&id)?;
    let c: CorpsSynchro = serde_json::from_slice(&corps).map_err(|e| {
        ApiError::requete(
            None,
            format!(
                "JSON illisible à la ligne {}, colonne {} : {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let lot = LotSynchro {
        visites: c
            .visites
            .into_iter()
            .map(|v| VisiteSaisie {
                uuid: v.uuid,
                adresse_id: v.adresse_id,
                issue: v.issue,
                revisite: v.revisite,
                at: v.at,
            })
            .collect(),
        questionnaires: c
            .questionnaires
            .into_iter()
            .map(|q| QuestionnaireSaisi {
                uuid: q.uuid,
                questionnaire_id: q.questionnaire_id,
                commune: q.commune,
                iris: q.iris,
                reponses: q.reponses,
                at: q.at,
            })
            .collect(),
    };
    let r = state.instance.enquete().synchroniser(&a, id, lot).await?;
    let mut nouveaux = r.visites.nouveaux;
    nouveaux.extend(r.questionnaires.nouveaux);
    let mut deja_recus = r.visites.deja_recus;
    deja_recus.extend(r.questionnaires.deja_recus);
    Ok(no_store(
        Json(ReponseSynchro {
            nouveaux,
            deja_recus,
            rejets: r
                .rejets
                .into_iter()
                .map(|x| RejetApi {
                    uuid: x.uuid,
                    message: x.message,
                })
                .collect(),
        })
        .into_response(),
    ))
}

// ---------------------------------------------------------------------------------------
// JSON: the public aggregates.

/// Illectronisme measured in a territory (a commune or an EPCI).
#[derive(Serialize, ToSchema)]
pub struct TauxApi {
    /// INSEE code of the commune, or SIREN of the EPCI.
    pub code: String,
    pub nom: String,
    /// Answers (always given).
    pub reponses: i64,
    /// The rate (0 to 1), weighted against the census when `pondere`; absent under 5
    /// answers.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taux: Option<f64>,
    /// The 95 % interval (Wilson, at the effective sample size): `[bas, haut]`.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervalle: Option<[f64; 2]>,
    /// The plain rate (answers in illectronisme over answers).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taux_brut: Option<f64>,
    pub pondere: bool,
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effectif_efficace: Option<f64>,
}

/// Progress of a commune of the perimeter.
#[derive(Serialize, ToSchema)]
pub struct AvancementApi {
    pub commune: String,
    pub cible_menages: i64,
    pub questionnaires: i64,
    pub refus: i64,
    pub absents: i64,
}

/// A campaign's public results.
#[derive(Serialize, ToSchema)]
pub struct ResultatsApi {
    pub campagne: i64,
    pub intitule: String,
    /// `AAAA-MM-JJ`.
    pub debut: String,
    pub fin: String,
    pub questionnaires: i64,
    /// Visits by outcome.
    pub visites_absent: i64,
    pub visites_refus: i64,
    pub visites_fait: i64,
    /// Questionnaires over households met (done and refusals).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taux_reponse: Option<f64>,
    pub epcis: Vec<TauxApi>,
    pub communes: Vec<TauxApi>,
    pub avancement: Vec<AvancementApi>,
}

fn taux_api(state: &AppState, t: &Taux, epci: bool) -> TauxApi {
    TauxApi {
        code: t.code.clone(),
        nom: nom_territoire(state, &t.code, epci),
        reponses: t.effectif,
        taux: t.taux,
        intervalle: t.intervalle.map(|(b, h)| [b, h]),
        taux_brut: t.brut,
        pondere: t.pondere,
        effectif_efficace: t.effectif_efficace,
    }
}

/// A campaign's public results: progress per commune, measured illectronisme per EPCI and
/// commune (cells under 5 answers without rate). No session needed: aggregates only.
#[utoipa::path(
    get,
    path = "/api/v1/enquete/{id}/resultats",
    tag = "enquete",
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses(
        (status = 200, description = "Résultats publics de la campagne", body = ResultatsApi),
        (status = 404, description = "Campagne introuvable", body = ApiError),
    )
)]
pub async fn api_resultats(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_api(&id)?;
    let r = state.instance.enquete().resultats_publics(id).await?;
    let reponses = reponses_par_commune(&r);
    let visites: std::collections::HashMap<&str, [i64; 3]> = r
        .visites_par_commune
        .iter()
        .map(|(c, v)| (c.as_str(), *v))
        .collect();
    Ok(Json(ResultatsApi {
        campagne: r.campagne.id,
        intitule: r.campagne.intitule.clone(),
        debut: r.campagne.debut.to_string(),
        fin: r.campagne.fin.to_string(),
        questionnaires: r.questionnaires,
        visites_absent: r.visites[0],
        visites_refus: r.visites[1],
        visites_fait: r.visites[2],
        taux_reponse: r.taux_reponse(),
        epcis: r.epcis.iter().map(|t| taux_api(&state, t, true)).collect(),
        communes: r
            .communes
            .iter()
            .map(|t| taux_api(&state, t, false))
            .collect(),
        avancement: r
            .cibles
            .iter()
            .map(|c| {
                let v = visites.get(c.commune.as_str()).copied().unwrap_or_default();
                let questionnaires = reponses.get(c.commune.as_str()).copied().unwrap_or(0);
                AvancementApi {
                    commune: c.commune.clone(),
                    cible_menages: c.cible_menages,
                    questionnaires,
                    refus: v[1],
                    absents: v[0],
                }
            })
            .collect(),
    })
    .into_response())
}

// ---------------------------------------------------------------------------------------
// The territory page: measured illectronisme beside the predicted and calibrated index.

/// A surveyed commune of the territory.
pub struct LigneMesure {
    pub code: String,
    pub nom: String,
    pub reponses: i64,
    pub mesure: String,
    pub intervalle: String,
    pub predit: String,
    pub calibre: String,
}

/// Measured illectronisme in a territory, beside what the index predicts.
#[derive(Default)]
pub struct VueIllectronisme {
    /// The surveyed communes of the territory (at most [`LIGNES_MESURES`]).
    pub lignes: Vec<LigneMesure>,
    pub tronque: bool,
    /// The territory's measured rate, its interval and answers (a commune or an EPCI).
    pub mesure: Option<(String, String, i64)>,
    /// Share predicted by the index alone (17 % × index ÷ national mean), weighted by
    /// population over the communes with an index.
    pub predit: String,
    /// Share predicted by the calibrated index, and its cross-validated error.
    pub calibre: Option<String>,
    pub erreur: String,
    pub erreur_non_calibre: String,
    pub communes_modele: usize,
}

/// Most surveyed communes listed on a territory page.
pub const LIGNES_MESURES: usize = 100;

fn points(x: f64) -> String {
    format!("{:.1} points", 100.0 * x).replace('.', ",")
}

pub(crate) async fn illectronisme_territoire(
    state: &AppState,
    territoire: &maillage_territoire::Territoire,
) -> Result<VueIllectronisme, ErreurEnquete> {
    let mesures = state.instance.enquete().mesures().await?;
    let indice = maillage_enquete::indice_national();
    let referentiel = state.instance.comptes().referentiel();
    let communes = referentiel.communes_of_territoire(territoire);
    let (mut somme_p, mut poids_p, mut somme_c, mut poids_c) = (0.0, 0.0, 0.0, 0.0);
    let mut lignes = Vec::new();
    let mut surveyees = 0;
    for c in &communes {
        let ic = indice.commune(&c.code_insee);
        let predit = ic.and_then(|ic| indice.part_fragile(ic));
        let calibre = match (&mesures.modele, ic) {
            (Some(m), Some(ic)) => m.predire_commune(ic),
            _ => None,
        };
        let pop = f64::from(c.population);
        if let Some(p) = predit {
            somme_p += pop * p;
            poids_p += pop;
        }
        if let Some(p) = calibre {
            somme_c += pop * p;
            poids_c += pop;
        }
        if let Some(t) = mesures.commune(&c.code_insee) {
            surveyees += 1;
            if lignes.len() < LIGNES_MESURES {
                let (mesure, intervalle) = textes_taux(t);
                lignes.push(LigneMesure {
                    code: c.code_insee.clone(),
                    nom: c.nom.clone(),
                    reponses: t.effectif,
                    mesure,
                    intervalle,
                    predit: predit.map(pourcent).unwrap_or_else(|| "—".into()),
                    calibre: calibre.map(pourcent).unwrap_or_else(|| "—".into()),
                });
            }
        }
    }
    let mesure = match territoire {
        maillage_territoire::Territoire::Commune { code, .. } => mesures.commune(code),
        maillage_territoire::Territoire::Epci { code, .. } => mesures.epci(code),
        _ => None,
    }
    .map(|t| {
        let (taux, intervalle) = textes_taux(t);
        (taux, intervalle, t.effectif)
    });
    Ok(VueIllectronisme {
        tronque: surveyees > lignes.len(),
        lignes,
        mesure,
        predit: if poids_p > 0.0 {
            pourcent(somme_p / poids_p)
        } else {
            "non calculable".into()
        },
        calibre: (poids_c > 0.0).then(|| pourcent(somme_c / poids_c)),
        erreur: mesures
            .modele
            .as_ref()
            .map(|m| points(m.erreur_cv))
            .unwrap_or_default(),
        erreur_non_calibre: mesures
            .modele
            .as_ref()
            .and_then(|m| m.erreur_non_calibre)
            .map(points)
            .unwrap_or_else(|| "—".into()),
        communes_modele: mesures.modele.as_ref().map(|m| m.communes).unwrap_or(0),
    })
}

// ---------------------------------------------------------------------------------------
// Creating and managing a campaign (coordinators and administrators).

/// The creation form, as typed.
#[derive(Deserialize, Default)]
pub struct FormulaireCampagne {
    #[serde(default)]
    intitule: String,
    #[serde(default)]
    territoire: String,
    #[serde(default)]
    debut: String,
    #[serde(default)]
    fin: String,
    #[serde(default)]
    menages: String,
    #[serde(default)]
    minimum: String,
    #[serde(default)]
    consentement: String,
}

const CONSENTEMENT_PROPOSE: &str = "Bonjour, nous menons pour votre commune une enquête sur les besoins en numérique. Elle dure dix minutes. Vos réponses sont anonymes : ni votre nom ni votre adresse ne sont gardés avec elles. Vous pouvez refuser ou arrêter à tout moment. Acceptez-vous de répondre ?";

#[derive(Template)]
#[template(path = "espace/enquete_nouvelle.html")]
struct PageNouvelle {
    site: Arc<Site>,
    menu: Menu,
    f: FormulaireCampagne,
    erreur: Option<String>,
}

fn page_nouvelle_rendue(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    f: FormulaireCampagne,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let statut = if erreur.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        statut,
        rendre(&PageNouvelle {
            site: state.site.clone(),
            menu: Menu::de(a),
            f,
            erreur,
        })?,
    )
        .into_response())
}

/// Coordinators and administrators only: anyone else is refused (403).
fn exiger_gestionnaire(a: &maillage_comptes::Acteur) -> Result<(), ErreurWeb> {
    maillage_enquete::Enquete::exiger_gestionnaire(a)
        .map_err(|_| ErreurWeb::from(maillage_mediation::ErreurMediation::Interdit))
}

/// `GET /espace/enquete/nouvelle`: the creation form.
pub async fn page_nouvelle(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    exiger_gestionnaire(&a)?;
    let f = FormulaireCampagne {
        menages: "400".into(),
        minimum: "20".into(),
        consentement: CONSENTEMENT_PROPOSE.into(),
        ..Default::default()
    };
    page_nouvelle_rendue(&state, &a, f, None)
}

fn lire_date(champ: &str, texte: &str) -> Result<chrono::NaiveDate, ErreurEnquete> {
    chrono::NaiveDate::parse_from_str(texte.trim(), "%Y-%m-%d")
        .map_err(|_| ErreurEnquete::invalide(champ, "date attendue (jj/mm/aaaa)"))
}

fn lire_nombre(champ: &str, texte: &str) -> Result<i64, ErreurEnquete> {
    texte
        .trim()
        .parse()
        .map_err(|_| ErreurEnquete::invalide(champ, "nombre entier attendu"))
}

/// The words of a field's code, for an error message.
fn champ_en_mots(champ: &str) -> &str {
    match champ {
        "intitule" => "Intitulé",
        "territoire" => "Périmètre",
        "debut" => "Début",
        "fin" => "Fin",
        "menages" => "Foyers à visiter",
        "minimum" => "Minimum par commune",
        "consentement" => "Texte de consentement",
        "courriel" => "Adresse électronique",
        "communes" => "Communes",
        "adresses" => "Adresses",
        autre => autre,
    }
}

/// A module error as one sentence for a form, or the error page for the others.
fn message_formulaire(e: ErreurEnquete) -> Result<String, ErreurWeb> {
    match e {
        ErreurEnquete::Invalide { champ, message } => {
            Ok(format!("{} : {message}", champ_en_mots(&champ)))
        }
        ErreurEnquete::Conflit(m) => Ok(m),
        autre => Err(erreur_page(autre)),
    }
}

/// `POST /espace/enquete/nouvelle`: creates the campaign (targets per commune drawn from
/// the index) and opens its management page.
pub async fn creer(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireCampagne>,
) -> Result<Response, ErreurWeb> {
    exiger_gestionnaire(&a)?;
    let demande = (|| {
        Ok::<_, ErreurEnquete>(maillage_enquete::DemandeCampagne {
            intitule: f.intitule.clone(),
            territoire: f.territoire.clone(),
            debut: lire_date("debut", &f.debut)?,
            fin: lire_date("fin", &f.fin)?,
            consentement: f.consentement.clone(),
            menages: lire_nombre("menages", &f.menages)?,
            minimum_par_commune: lire_nombre("minimum", &f.minimum)?,
        })
    })();
    let resultat = match demande {
        Ok(d) => state.instance.enquete().creer_campagne(&a, d).await,
        Err(e) => Err(e),
    };
    match resultat {
        Ok(id) => Ok(axum::response::Redirect::to(&format!(
            "/espace/enquete/{id}/gestion?fait=creee"
        ))
        .into_response()),
        Err(e) => {
            let m = message_formulaire(e)?;
            page_nouvelle_rendue(&state, &a, f, Some(m))
        }
    }
}

struct LigneCible {
    code: String,
    nom: String,
    indice: String,
    cible: i64,
    adresses: usize,
}

struct LigneEnqueteur {
    nom: String,
    compte_id: i64,
    communes: String,
}

#[derive(Template)]
#[template(path = "espace/enquete_gestion.html")]
struct PageGestion {
    site: Arc<Site>,
    menu: Menu,
    c: LigneCampagne,
    intitule: String,
    territoire: String,
    debut: String,
    fin: String,
    consentement: String,
    /// When collection started (the questionnaire and the consent are frozen).
    commencee: Option<String>,
    questionnaire: String,
    questions: Vec<(String, String)>,
    cibles: Vec<LigneCible>,
    enqueteurs: Vec<LigneEnqueteur>,
    message: Option<String>,
    erreur: Option<String>,
}

#[derive(Deserialize)]
pub struct QueryGestion {
    fait: Option<String>,
}

async fn page_gestion_rendue(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: i64,
    message: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let g = state
        .instance
        .enquete()
        .fiche_gestion(a, id)
        .await
        .map_err(erreur_page)?;
    let indice = maillage_enquete::indice_national();
    let adresses: std::collections::HashMap<&str, usize> =
        g.adresses.iter().map(|(c, n)| (c.as_str(), *n)).collect();
    let statut = if erreur.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    let page = PageGestion {
        site: state.site.clone(),
        menu: Menu::de(a),
        c: ligne(&g.campagne),
        intitule: g.campagne.intitule.clone(),
        territoire: g.campagne.territoire.clone(),
        debut: g.campagne.debut.to_string(),
        fin: g.campagne.fin.to_string(),
        consentement: g.campagne.consentement.clone(),
        commencee: g
            .campagne
            .collecte_commencee_at
            .map(|t| date_fr(t.date_naive())),
        questionnaire: format!(
            "« {} », version {} ({} questions)",
            g.questionnaire.titre,
            g.questionnaire.version,
            g.questionnaire.questions.len()
        ),
        questions: g
            .questionnaire
            .questions
            .iter()
            .map(|q| (q.code.clone(), q.libelle.clone()))
            .collect(),
        cibles: g
            .cibles
            .iter()
            .map(|c| LigneCible {
                code: c.commune.clone(),
                nom: nom_territoire(state, &c.commune, false),
                indice: indice
                    .commune(&c.commune)
                    .and_then(|i| i.indice)
                    .map(|v| format!("{v:.2}").replace('.', ","))
                    .unwrap_or_else(|| "—".into()),
                cible: c.cible_menages,
                adresses: adresses.get(c.commune.as_str()).copied().unwrap_or(0),
            })
            .collect(),
        enqueteurs: g
            .enqueteurs
            .iter()
            .map(|e| LigneEnqueteur {
                nom: e.nom.clone(),
                compte_id: e.compte_id,
                communes: if e.communes.is_empty() {
                    "tout le périmètre".into()
                } else {
                    e.communes
                        .iter()
                        .map(|c| nom_territoire(state, c, false))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })
            .collect(),
        message,
        erreur,
    };
    Ok((statut, rendre(&page)?).into_response())
}

/// `GET /espace/enquete/{id}/gestion`: the campaign's management page.
pub async fn page_gestion(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<QueryGestion>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let message = q.fait.as_deref().map(|f| {
        match f {
            "creee" => "La campagne est créée : les foyers à visiter par commune viennent de l’indice de fragilité.",
            "modifiee" => "La campagne est modifiée.",
            "enqueteur" => "L’enquêteur est ajouté.",
            "adresses" => "Les adresses sont ajoutées à la liste de visite.",
            "question" => "La question est ajoutée : le questionnaire a une nouvelle version.",
            _ => "C’est fait.",
        }
        .to_string()
    });
    page_gestion_rendue(&state, &a, id, message, None).await
}

/// After a form: back to the management page with its message, or the page with the
/// error.
async fn apres(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: i64,
    r: Result<(), ErreurEnquete>,
    fait: &str,
) -> Result<Response, ErreurWeb> {
    match r {
        Ok(()) => Ok(axum::response::Redirect::to(&format!(
            "/espace/enquete/{id}/gestion?fait={fait}"
        ))
        .into_response()),
        Err(e) => {
            let m = message_formulaire(e)?;
            page_gestion_rendue(state, a, id, None, Some(m)).await
        }
    }
}

#[derive(Deserialize)]
pub struct FormulaireModification {
    #[serde(default)]
    intitule: String,
    #[serde(default)]
    debut: String,
    #[serde(default)]
    fin: String,
    #[serde(default)]
    consentement: String,
}

/// `POST /espace/enquete/{id}/gestion`: title, dates, consent (until collection starts).
pub async fn modifier(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireModification>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let r = async {
        let debut = lire_date("debut", &f.debut)?;
        let fin = lire_date("fin", &f.fin)?;
        state
            .instance
            .enquete()
            .modifier_campagne(&a, id, &f.intitule, debut, fin, &f.consentement)
            .await
    }
    .await;
    apres(&state, &a, id, r, "modifiee").await
}

#[derive(Deserialize)]
pub struct FormulaireEnqueteur {
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    communes: String,
}

/// `POST /espace/enquete/{id}/enqueteurs`: adds a surveyor (an account, by its e-mail
/// address) and what they cover.
pub async fn ajouter_enqueteur(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireEnqueteur>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let communes: Vec<String> = f
        .communes
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let r = state
        .instance
        .enquete()
        .ajouter_enqueteur_par_courriel(&a, id, &f.courriel, &communes)
        .await
        .map(|_| ());
    apres(&state, &a, id, r, "enqueteur").await
}

#[derive(Deserialize)]
pub struct FormulaireAdresses {
    #[serde(default)]
    adresses: String,
}

/// `POST /espace/enquete/{id}/adresses`: adds lines `commune;adresse[;iris[;compte]]` to
/// the visit list.
pub async fn ajouter_adresses(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireAdresses>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let r = state
        .instance
        .enquete()
        .importer_adresses(&a, id, &f.adresses)
        .await
        .map(|_| ());
    apres(&state, &a, id, r, "adresses").await
}

#[derive(Deserialize)]
pub struct FormulaireQuestion {
    #[serde(default)]
    code: String,
    #[serde(default)]
    libelle: String,
    #[serde(default)]
    genre: String,
    /// One option a line: `code;libellé` (or the label alone: its code is derived).
    #[serde(default)]
    options: String,
    requise: Option<String>,
}

/// An option's code from its label: lower case ASCII letters, digits and `_`.
fn code_option(libelle: &str) -> String {
    let mut code = String::new();
    for c in libelle.to_lowercase().chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        };
        if !(c == '_' && (code.is_empty() || code.ends_with('_'))) {
            code.push(c);
        }
    }
    code.trim_end_matches('_').chars().take(60).collect()
}

/// `POST /espace/enquete/{id}/questions`: adds a question of the territory (a new version
/// of the questionnaire; refused once collection has started).
pub async fn ajouter_question(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireQuestion>,
) -> Result<Response, ErreurWeb> {
    use maillage_enquete::questionnaire::{Choix, Question, TypeQuestion};
    let id = id_page(&id)?;
    let genre = match f.genre.as_str() {
        "choix_unique" => Some(TypeQuestion::ChoixUnique),
        "choix_multiple" => Some(TypeQuestion::ChoixMultiple),
        "nombre" => Some(TypeQuestion::Nombre),
        "texte_court" => Some(TypeQuestion::TexteCourt),
        "oui_non" => Some(TypeQuestion::OuiNon),
        _ => None,
    };
    let r = match genre {
        None => Err(ErreurEnquete::invalide(
            "type",
            "choisissez le type de la question",
        )),
        Some(genre) => {
            let options = f
                .options
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| match l.split_once(';') {
                    Some((code, libelle)) => Choix {
                        code: code.trim().to_string(),
                        libelle: libelle.trim().to_string(),
                    },
                    None => Choix {
                        code: code_option(l),
                        libelle: l.to_string(),
                    },
                })
                .collect();
            state
                .instance
                .enquete()
                .ajouter_questions(
                    &a,
                    id,
                    vec![Question {
                        code: f.code.trim().to_string(),
                        libelle: f.libelle.trim().to_string(),
                        genre,
                        theme: "territoire".into(),
                        requise: f.requise.is_some(),
                        options,
                        min: None,
                        max: None,
                        domaine: None,
                        role: None,
                    }],
                )
                .await
                .map(|_| ())
        }
    };
    apres(&state, &a, id, r, "question").await
}

// ---------------------------------------------------------------------------------------
// « Un coup de main à la porte ».

#[derive(Deserialize)]
pub struct FormulaireCoupDeMain {
    #[serde(default)]
    commune: String,
    #[serde(default)]
    genre: String,
    /// For the orientation sheet: the need named (a service of the places' schema).
    #[serde(default)]
    besoin: String,
    accord: Option<String>,
}

#[derive(Template)]
#[template(path = "espace/enquete_cle.html")]
struct PageCle {
    site: Arc<Site>,
    menu: Menu,
    c: LigneCampagne,
    code: String,
}

/// `POST /espace/enquete/{id}/coup-de-main`: counts a help given with the person's consent,
/// then leads to it: the places offering the need named near the commune (to tick and
/// print the orientation sheet), the coming events of the commune (to register), or the
/// new « Mon espace » key to give (a page to show or print). Needs the network.
pub async fn coup_de_main(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireCoupDeMain>,
) -> Result<Response, ErreurWeb> {
    let id = id_page(&id)?;
    let module = state.instance.enquete();
    let besoin = if f.genre == "fiche" {
        match crate::parametres::valeur::<maillage_domain::Service>(&f.besoin) {
            Some(s) => Some(s),
            None => {
                return Err(ErreurWeb::Requete(
                    "Besoin : choisissez le besoin que la personne a nommé.".into(),
                ))
            }
        }
    } else {
        None
    };
    let code = match module
        .coup_de_main(&a, id, f.commune.trim(), &f.genre, f.accord.is_some())
        .await
    {
        Ok(code) => code,
        Err(e) => return Err(ErreurWeb::Requete(message_formulaire(e)?)),
    };
    let referentiel = state.instance.comptes().referentiel();
    let commune = referentiel.commune(f.commune.trim());
    match (f.genre.as_str(), code) {
        ("cle", Some(code)) => {
            let c = module.campagne(id).await.map_err(erreur_page)?;
            rendre(&PageCle {
                site: state.site.clone(),
                menu: Menu::de(&a),
                c: ligne(&c),
                code,
            })
        }
        ("fiche", _) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            if let Some(b) = besoin {
                q.append_pair("besoin", b.label());
            }
            if let Some(c) = commune {
                q.append_pair("ou", &crate::parametres::saisie_commune(c));
            }
            Ok(axum::response::Redirect::to(&format!("/lieux?{}", q.finish())).into_response())
        }
        _ => Ok(
            axum::response::Redirect::to(&format!("/evenements?commune={}", f.commune.trim()))
                .into_response(),
        ),
    }
}
