//! Errors shown to people: an HTML page for the pages, a JSON body for the API.

use crate::site::Site;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

/// An error of a public page.
#[derive(Debug)]
pub enum PageError {
    /// 404, with a sentence for people.
    Introuvable(String),
    /// 400: a parameter people can fix.
    Requete(String),
    /// 500: logged; people see a generic sentence.
    Interne(String),
    /// 413: what was sent is over the size limit, and what to do.
    TropVolumineux(String),
}

#[derive(Template)]
#[template(path = "erreur.html")]
struct ErreurPage {
    site: Arc<Site>,
    titre: &'static str,
    message: String,
}

/// The site whose look error pages take (set once at start).
pub(crate) fn definir_site(site: Arc<Site>) {
    SITE_GLOBAL.get_or_init(|| site);
}

static SITE_GLOBAL: std::sync::OnceLock<Arc<Site>> = std::sync::OnceLock::new();

/// The site whose look error pages take.
pub(crate) fn site_global() -> Arc<Site> {
    SITE_GLOBAL.get().cloned().unwrap_or_default()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, titre, message) = match self {
            PageError::Introuvable(m) => (StatusCode::NOT_FOUND, "Page introuvable", m),
            PageError::Requete(m) => (StatusCode::BAD_REQUEST, "Demande incomplète", m),
            PageError::TropVolumineux(m) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "Envoi trop volumineux", m)
            }
            PageError::Interne(m) => {
                tracing::error!("internal error: {m}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur du serveur",
                    "Une erreur est survenue de notre côté. Réessayez dans un moment.".to_string(),
                )
            }
        };
        let site = SITE_GLOBAL.get().cloned().unwrap_or_default();
        let page = ErreurPage {
            site,
            titre,
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, titre).into_response(),
        }
    }
}

/// Renders a template as a page.
pub(crate) fn rendre(t: &impl Template) -> Result<Html<String>, PageError> {
    t.render()
        .map(Html)
        .map_err(|e| PageError::Interne(e.to_string()))
}

/// An error of the JSON API: `{"erreur": "...", "parametre": "..."}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    /// What is wrong, in French.
    pub erreur: String,
    /// The query parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parametre: Option<String>,
    #[serde(skip)]
    #[schema(ignore)]
    pub status: u16,
}

impl ApiError {
    pub fn requete(parametre: Option<&str>, erreur: impl Into<String>) -> ApiError {
        ApiError {
            erreur: erreur.into(),
            parametre: parametre.map(str::to_string),
            status: 400,
        }
    }
    pub fn introuvable(erreur: impl Into<String>) -> ApiError {
        ApiError {
            erreur: erreur.into(),
            parametre: None,
            status: 404,
        }
    }
    pub fn interne(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {detail}");
        ApiError {
            erreur: "erreur interne du serveur".into(),
            parametre: None,
            status: 500,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self)).into_response()
    }
}

/// Largest request body the server reads (axum's default limit, for every form and upload).
pub const CORPS_MAX_OCTETS: usize = 2 * 1024 * 1024;

/// The limit in words: `2 Mo`.
pub fn corps_max_en_mots() -> String {
    format!("{} Mo", CORPS_MAX_OCTETS / (1024 * 1024))
}

/// What a request the framework refused before any handler ran (body too large, unreadable
/// form or JSON, wrong content type) gets: the same status, said in French, as an HTML page
/// for the pages and as an [`ApiError`] for `/api/…`. Those refusals come as English plain
/// text from the extractors; every other answer passes unchanged.
pub(crate) async fn refus_en_francais(
    requete: axum::extract::Request,
    suivant: axum::middleware::Next,
) -> Response {
    let api = requete.uri().path().starts_with("/api/");
    let reponse = suivant.run(requete).await;
    let status = reponse.status();
    let texte_brut = reponse
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    if !texte_brut {
        return reponse;
    }
    let (titre, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Envoi trop volumineux",
            format!(
                "Ce que vous avez envoyé dépasse la taille acceptée : au plus {} par envoi. Pour un fichier, découpez-le en plusieurs parties.",
                corps_max_en_mots()
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "Format non accepté",
            "Le contenu envoyé n'est pas dans un format accepté ici (formulaire, ou JSON pour l'API).".to_string(),
        ),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => (
            "Demande illisible",
            "Ce qui a été envoyé ne peut pas être lu : revenez en arrière, rechargez la page et recommencez.".to_string(),
        ),
        _ => return reponse,
    };
    if api {
        return ApiError {
            erreur: message,
            parametre: None,
            status: status.as_u16(),
        }
        .into_response();
    }
    let page = ErreurPage {
        site: site_global(),
        titre,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, titre).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    /// Issue « Failles », item 14: a 413 under `/api/` is JSON, in French.
    #[tokio::test]
    async fn faille_14_api_413_is_french_json() {
        let app = axum::Router::new()
            .route(
                "/api/essai",
                axum::routing::post(|_corps: axum::body::Bytes| async { "ok" }),
            )
            .layer(axum::middleware::from_fn(refus_en_francais));
        let Ok(r) = app
            .oneshot(
                Request::post("/api/essai")
                    .body(Body::from(vec![b'a'; CORPS_MAX_OCTETS + 1]))
                    .unwrap_or_default(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let octets = axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&octets).unwrap_or_default();
        let erreur = v["erreur"].as_str().unwrap_or("");
        assert!(erreur.contains("taille acceptée"), "{v}");
        assert!(erreur.contains("2 Mo"), "{v}");
    }
}
