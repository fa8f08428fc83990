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
use crate::evenements_espace::{acteur_api, no_store};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;

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
        .get("/espace/enquete/{id}/collecte", page_collecte)
        .get("/espace/enquete/{id}/resultats", page_resultats)
        .api(utoipa_axum::routes!(api_dossier))
        .api(utoipa_axum::routes!(api_synchro))
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
    rendre(&PageCollecte {
        site: state.site.clone(),
        menu: Menu::de(&a),
        c: ligne(&d.campagne),
        consentement: d.campagne.consentement.clone(),
        adresses: d.adresses,
    })
}

struct LigneTaux {
    code: String,
    nom: String,
    effectif: i64,
    taux: String,
    intervalle: String,
}

fn pourcent(x: f64) -> String {
    format!("{:.1} %", x * 100.0).replace('.', ",")
}

fn ligne_taux(state: &AppState, t: &Taux, epci: bool) -> LigneTaux {
    let referentiel = state.instance.comptes().referentiel();
    let nom = if epci {
        referentiel.epci(&t.code).map(|e| e.nom.clone())
    } else {
        referentiel.commune(&t.code).map(|c| c.nom.clone())
    }
    .unwrap_or_else(|| t.code.clone());
    let (taux, intervalle) = match (t.taux, t.intervalle) {
        (Some(x), Some((b, h))) => (pourcent(x), format!("{} – {}", pourcent(b), pourcent(h))),
        _ => ("secret (moins de 5 réponses)".to_string(), "—".to_string()),
    };
    LigneTaux {
        code: t.code.clone(),
        nom,
        effectif: t.effectif,
        taux,
        intervalle,
    }
}

#[derive(Template)]
#[template(path = "espace/enquete_resultats.html")]
struct PageResultats {
    site: Arc<Site>,
    menu: Menu,
    c: LigneCampagne,
    absents: i64,
    refus: i64,
    faits: i64,
    questionnaires: i64,
    taux_reponse: String,
    cible: i64,
    communes: Vec<LigneTaux>,
    epcis: Vec<LigneTaux>,
}

/// `GET /espace/enquete/{id}/resultats`: progress and measured illectronisme.
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
    rendre(&PageResultats {
        site: state.site.clone(),
        menu: Menu::de(&a),
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
            .map(|t| ligne_taux(&state, t, false))
            .collect(),
        epcis: r
            .epcis
            .iter()
            .map(|t| ligne_taux(&state, t, true))
            .collect(),
    })
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
