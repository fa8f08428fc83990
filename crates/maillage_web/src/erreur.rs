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
