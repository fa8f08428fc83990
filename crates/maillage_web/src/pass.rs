//! Pass numérique on the web: the public check of a pass by its code or QR code
//! (`/pass/{code}`, `/pass?code=…`: validity and value, no personal data) and the places'
//! JSON API (`POST /api/v1/pass/{code}/utilisation`, authenticated by a place API key).

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use maillage_pass::{ErreurPass, Origine, UtilisationFaite, VuePublique, SCOPE_UTILISER};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::erreur::{ApiError, ErreurWeb};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;

/// The routes of Pass: the public check, the places' API, the funder's and prescriber's
/// pages ([`crate::pass_espace`]).
pub(crate) fn routeur() -> RouteurModule {
    let r = RouteurModule::new(Module::Pass)
        .get("/pass", page_verifier_formulaire)
        .get("/pass/{code}", page_verifier)
        .api(utoipa_axum::routes!(api_pass))
        .api(utoipa_axum::routes!(api_utiliser));
    crate::pass_espace::routes(r)
}

impl From<ErreurPass> for ApiError {
    fn from(e: ErreurPass) -> Self {
        let (status, parametre) = match &e {
            ErreurPass::Invalide { champ, .. } => (400, Some(champ.clone())),
            ErreurPass::Introuvable => (404, None),
            ErreurPass::NonAuthentifie => (401, None),
            ErreurPass::Interdit | ErreurPass::Comptes(_) => (403, None),
            ErreurPass::Conflit(_) => (409, None),
            ErreurPass::Refus(_) => (422, None),
            ErreurPass::Interne(m) => return ApiError::interne(format_args!("Pass: {m}")),
        };
        ApiError {
            erreur: e.to_string(),
            parametre,
            status,
        }
    }
}

#[derive(Template)]
#[template(path = "pass_verifier.html")]
struct PageVerifier {
    site: Arc<Site>,
    code: String,
    erreur: Option<String>,
    vue: Option<VuePublique>,
    valeur: String,
    fin: String,
}

#[derive(Deserialize)]
struct ParamsCode {
    code: Option<String>,
}

async fn rendre_verification(state: &AppState, code: &str) -> Result<Response, ErreurWeb> {
    let mut page = PageVerifier {
        site: Arc::clone(&state.site),
        code: code.to_string(),
        erreur: None,
        vue: None,
        valeur: String::new(),
        fin: String::new(),
    };
    let mut statut = StatusCode::OK;
    if !code.trim().is_empty() {
        match state.instance.pass().verifier_public(code).await {
            Ok(v) => {
                page.valeur = maillage_pass::euros(v.valeur_centimes);
                page.fin = v.tolerance.format("%d/%m/%Y").to_string();
                page.vue = Some(v);
            }
            Err(ErreurPass::Interne(m)) => return Err(ErreurWeb::interne(format!("Pass: {m}"))),
            Err(e) => {
                statut = StatusCode::NOT_FOUND;
                page.erreur = Some(e.to_string());
            }
        }
    }
    let mut r = (statut, Html(page.render()?)).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

async fn page_verifier_formulaire(
    State(state): State<AppState>,
    Query(p): Query<ParamsCode>,
) -> Result<Response, ErreurWeb> {
    rendre_verification(&state, p.code.as_deref().unwrap_or("")).await
}

async fn page_verifier(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ErreurWeb> {
    rendre_verification(&state, &code).await
}

/// A pass as anyone holding it may see it.
#[derive(Serialize, ToSchema)]
pub struct PassPublicApi {
    /// The code, in groups of four.
    pub code: String,
    /// `emis`, `distribue`, `utilise`, `expire`, `bloque`, `annule`.
    pub etat: String,
    pub valeur_centimes: i64,
    pub programme: String,
    /// Last day the pass is accepted (`AAAA-MM-JJ`).
    pub valable_jusqu_au: String,
    pub utilisable: bool,
    pub explication: String,
}

/// Validity and value of a pass, without an account (no personal data).
#[utoipa::path(
    get,
    path = "/api/v1/pass/{code}",
    tag = "pass",
    params(("code" = String, Path, description = "Code du pass (tirets et casse indifférents)")),
    responses(
        (status = 200, description = "Le pass", body = PassPublicApi),
        (status = 404, description = "Pass introuvable, ou code impossible (caractère hors de l'alphabet, caractère de contrôle faux : la raison est donnée)", body = ApiError),
    )
)]
pub async fn api_pass(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<PassPublicApi>, ApiError> {
    // A code that cannot exist (a character outside the alphabet, a wrong check character)
    // names no pass: 404 with the reason, like an unknown one.
    let v = match state.instance.pass().verifier_public(&code).await {
        Ok(v) => v,
        Err(e @ ErreurPass::Invalide { .. }) => {
            return Err(ApiError {
                erreur: e.to_string(),
                parametre: Some("code".into()),
                status: 404,
            })
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(PassPublicApi {
        code: v.code,
        etat: v.etat,
        valeur_centimes: v.valeur_centimes,
        programme: v.programme,
        valable_jusqu_au: v.tolerance.to_string(),
        utilisable: v.utilisable,
        explication: v.explication,
    }))
}

/// The body of a redemption.
#[derive(Deserialize, ToSchema)]
pub struct CorpsUtilisation {
    /// A text of your choosing, new for each redemption: sending it again (after a lost
    /// answer) gives back the same redemption instead of a refusal.
    pub nonce: String,
    /// The activity record the pass pays for, if you keep them in Maillage.
    pub activite: Option<i64>,
    /// « Utilisation forcée »: when the pass was redeemed offline (RFC 3339, in the last 30
    /// days), for a redemption recorded without network and sent now. The pass must have
    /// been valid then and must still be unredeemed; the redemption is flagged and paid only
    /// once the funder accepts its incident.
    pub hors_ligne_le: Option<String>,
}

/// A redemption.
#[derive(Serialize, ToSchema, PartialEq, Eq, Debug)]
pub struct UtilisationApi {
    pub id: i64,
    pub code: String,
    pub valeur_centimes: i64,
    /// RFC 3339, UTC.
    pub utilise_le: String,
    pub nonce: String,
    pub activite: Option<i64>,
    /// A forced (offline) redemption, waiting for the funder's decision to be paid.
    pub forcee: bool,
}

fn utilisation_api(f: &UtilisationFaite) -> UtilisationApi {
    let u = &f.utilisation;
    UtilisationApi {
        id: u.id,
        code: maillage_pass::code::afficher(&u.code),
        valeur_centimes: u.valeur_centimes,
        utilise_le: u.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        nonce: u.nonce.clone(),
        activite: u.activite_id,
        forcee: u.forcee,
    }
}

/// Redeems a pass at the key's place: `201` the first time, `200` with the same redemption
/// for the same nonce again, `409` when the pass was already redeemed by another request.
#[utoipa::path(
    post,
    path = "/api/v1/pass/{code}/utilisation",
    tag = "pass",
    params(("code" = String, Path, description = "Code du pass")),
    request_body(content = CorpsUtilisation, content_type = "application/json"),
    security(("cle_api_lieu" = [])),
    responses(
        (status = 201, description = "Pass utilisé", body = UtilisationApi),
        (status = 200, description = "Même nonce : la même utilisation", body = UtilisationApi),
        (status = 400, description = "Champ invalide (le champ est nommé)", body = ApiError),
        (status = 401, description = "Clé d'API absente ou inconnue", body = ApiError),
        (status = 403, description = "Clé révoquée, hors de sa période ou sans le droit pass:utiliser", body = ApiError),
        (status = 404, description = "Pass introuvable", body = ApiError),
        (status = 409, description = "Pass déjà utilisé", body = ApiError),
        (status = 415, description = "Corps non JSON", body = ApiError),
        (status = 422, description = "Pass expiré, bloqué, pas encore remis, hors territoire ou lieu non qualifié", body = ApiError),
    )
)]
pub async fn api_utiliser(
    State(state): State<AppState>,
    Path(code): Path<String>,
    entetes: HeaderMap,
    corps: Bytes,
) -> Result<Response, ApiError> {
    let pass = state.instance.pass();
    let cle = entetes
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ErreurPass::NonAuthentifie)?;
    let cle = pass.authentifier(cle, SCOPE_UTILISER).await?;
    let json = entetes
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json {
        return Err(ApiError {
            erreur: "Le corps doit être du JSON (Content-Type: application/json), par exemple {\"nonce\": \"caisse-1-000123\"}.".into(),
            parametre: None,
            status: 415,
        });
    }
    let demande = maillage_pass::lire_demande_utilisation(&corps)
        .map_err(|e| ApiError::requete(e.champ, e.message))?;
    let (nonce, activite, hors_ligne) = (demande.nonce, demande.activite, demande.hors_ligne_le);
    let origine = Origine::Cle(cle);
    let faite = match hors_ligne {
        None => pass.utiliser(&origine, &code, &nonce, activite).await?,
        Some(h) => {
            pass.utiliser_forcee(&origine, &code, &nonce, activite, h)
                .await?
        }
    };
    let statut = if faite.nouvelle {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut r = (statut, Json(utilisation_api(&faite))).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}
