//! Errors shown to people: one type for the pages, [`ErreurWeb`], rendered as a French page
//! by one renderer ([`rendre_erreurs`], with the site of the state); the JSON API keeps its
//! body, [`ApiError`].
//!
//! A use case's error is converted with `?` (`From<ErreurMediation>`, `From<ErreurMandat>`,
//! `From<AppError>`…) and kept as the [`std::error::Error::source`] of the web error;
//! internal causes are logged (in English) and people see a generic sentence.

use crate::site::Site;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use maillage_evenements::ErreurEvenements;
use maillage_mandats::ErreurMandat;
use maillage_mediation::ErreurMediation;
use serde::Serialize;
use std::sync::Arc;

/// A cause of an internal error, kept as the source of the web error.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error of a page (public pages, the signed-in space, the person's space).
#[derive(Debug, thiserror::Error)]
pub enum ErreurWeb {
    /// 404, with a sentence for people.
    #[error("{0}")]
    Introuvable(String),
    /// 400: a parameter people can fix.
    #[error("{0}")]
    Requete(String),
    /// 413: what was sent is over the size limit, and what to do.
    #[error("{0}")]
    TropVolumineux(String),
    /// 500: the cause is logged; people see a generic sentence.
    #[error("internal error: {0}")]
    Interne(#[source] Cause),
    /// 403: the CSRF token of a form is missing or wrong.
    #[error("the form's CSRF token is missing or wrong")]
    Csrf,
    /// A refusal or a failure of Médiation. `retour`: the path to come back to after
    /// signing in (or passing the second factor again); absent, the request's own path.
    #[error("{source}")]
    Mediation {
        #[source]
        source: ErreurMediation,
        retour: Option<String>,
    },
    /// A refusal or a failure of Mandats (`retour` as for [`ErreurWeb::Mediation`]).
    #[error("{source}")]
    Mandat {
        #[source]
        source: ErreurMandat,
        retour: Option<String>,
    },
    /// A refusal or a failure of Événements.
    #[error("{0}")]
    Evenement(#[source] ErreurEvenements),
}

impl ErreurWeb {
    /// A 500 whose cause is kept (and logged when the answer is made).
    pub fn interne(cause: impl Into<Cause>) -> ErreurWeb {
        ErreurWeb::Interne(cause.into())
    }

    /// A Médiation error with the path to come back to.
    pub fn mediation(source: ErreurMediation, retour: String) -> ErreurWeb {
        ErreurWeb::Mediation {
            source,
            retour: Some(retour),
        }
    }

    /// A Mandats error with the path to come back to.
    pub fn mandat(source: ErreurMandat, retour: String) -> ErreurWeb {
        ErreurWeb::Mandat {
            source,
            retour: Some(retour),
        }
    }

    /// The same error, coming back to `chemin` after signing in.
    pub fn avec_retour(self, chemin: impl Into<String>) -> ErreurWeb {
        match self {
            ErreurWeb::Mediation { source, .. } => ErreurWeb::mediation(source, chemin.into()),
            ErreurWeb::Mandat { source, .. } => ErreurWeb::mandat(source, chemin.into()),
            autre => autre,
        }
    }
}

impl From<ErreurMediation> for ErreurWeb {
    fn from(source: ErreurMediation) -> Self {
        ErreurWeb::Mediation {
            source,
            retour: None,
        }
    }
}

impl From<ErreurMandat> for ErreurWeb {
    fn from(source: ErreurMandat) -> Self {
        ErreurWeb::Mandat {
            source,
            retour: None,
        }
    }
}

impl From<ErreurEvenements> for ErreurWeb {
    fn from(source: ErreurEvenements) -> Self {
        ErreurWeb::Evenement(source)
    }
}

impl From<maillage_annuaire::annuaire::AppError> for ErreurWeb {
    fn from(e: maillage_annuaire::annuaire::AppError) -> Self {
        ErreurWeb::interne(e)
    }
}

impl From<maillage_annuaire::recherche::ErreurRecherche> for ErreurWeb {
    fn from(e: maillage_annuaire::recherche::ErreurRecherche) -> Self {
        ErreurWeb::Requete(e.to_string())
    }
}

impl From<maillage_instance::ErreurInstance> for ErreurWeb {
    fn from(e: maillage_instance::ErreurInstance) -> Self {
        ErreurWeb::interne(e)
    }
}

impl From<maillage_annuaire::tableur::ErreurTableur> for ErreurWeb {
    fn from(e: maillage_annuaire::tableur::ErreurTableur) -> Self {
        ErreurWeb::interne(e)
    }
}

impl From<askama::Error> for ErreurWeb {
    fn from(e: askama::Error) -> Self {
        ErreurWeb::interne(e)
    }
}

/// Wraps a use-case error with the path to come back to.
pub(crate) trait OuRetour<T> {
    fn ou(self, chemin: &str) -> Result<T, ErreurWeb>;
}

impl<T, E: Into<ErreurWeb>> OuRetour<T> for Result<T, E> {
    fn ou(self, chemin: &str) -> Result<T, ErreurWeb> {
        self.map_err(|e| e.into().avec_retour(chemin))
    }
}

/// What an error answers: a page (status, title, sentence) or a redirect to a sign-in step.
enum Rendu {
    Page(StatusCode, &'static str, String),
    /// `/connexion` or `/reauthentification`, then back to `retour` (absent: the request's
    /// path).
    Etape(&'static str, Option<String>),
}

const GENERIQUE: &str = "Une erreur est survenue de notre côté. Réessayez dans un moment.";

fn interne(cause: &dyn std::fmt::Display) -> Rendu {
    tracing::error!("internal error: {cause}");
    Rendu::Page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur du serveur",
        GENERIQUE.to_string(),
    )
}

fn rendu_mediation(e: ErreurMediation, retour: Option<String>) -> Rendu {
    match e {
        ErreurMediation::NonConnecte => Rendu::Etape("/connexion", retour),
        ErreurMediation::ReauthRequise => Rendu::Etape("/reauthentification", retour),
        ErreurMediation::Interdit => {
            Rendu::Page(StatusCode::FORBIDDEN, "Accès refusé", e.to_string())
        }
        ErreurMediation::Introuvable => Rendu::Page(
            StatusCode::NOT_FOUND,
            "Page introuvable",
            "Cette page n’existe pas ou ne vous est pas accessible.".into(),
        ),
        ErreurMediation::TropDeTentatives => Rendu::Page(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives",
            e.to_string(),
        ),
        ErreurMediation::CodePersonnelIncorrect => {
            Rendu::Page(StatusCode::UNAUTHORIZED, "Code incorrect", e.to_string())
        }
        ErreurMediation::Interne(m) => interne(&format_args!("Médiation: {m}")),
        autre => Rendu::Page(
            StatusCode::BAD_REQUEST,
            "Demande refusée",
            autre.to_string(),
        ),
    }
}

fn rendu_mandat(e: ErreurMandat, retour: Option<String>) -> Rendu {
    match e {
        ErreurMandat::Comptes(m) => rendu_mediation(m, retour),
        ErreurMandat::Introuvable => rendu_mediation(ErreurMediation::Introuvable, retour),
        ErreurMandat::Interdit | ErreurMandat::NonHabilite => {
            Rendu::Page(StatusCode::FORBIDDEN, "Accès refusé", e.to_string())
        }
        ErreurMandat::Interne(m) => interne(&format_args!("Mandats: {m}")),
        autre => Rendu::Page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Demande refusée",
            autre.to_string(),
        ),
    }
}

fn rendu_evenement(e: ErreurEvenements) -> Rendu {
    match e {
        ErreurEvenements::Comptes(m) => rendu_mediation(m, None),
        ErreurEvenements::Introuvable | ErreurEvenements::LienInvalide => {
            Rendu::Page(StatusCode::NOT_FOUND, "Page introuvable", e.to_string())
        }
        ErreurEvenements::Interdit => {
            Rendu::Page(StatusCode::FORBIDDEN, "Accès refusé", e.to_string())
        }
        ErreurEvenements::EvenementAnnule => {
            Rendu::Page(StatusCode::CONFLICT, "Événement annulé", e.to_string())
        }
        ErreurEvenements::InscriptionsFermees => Rendu::Page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Inscriptions fermées",
            e.to_string(),
        ),
        ErreurEvenements::Interne(m) => interne(&format_args!("Événements: {m}")),
        ErreurEvenements::Invalide { .. } => {
            Rendu::Page(StatusCode::BAD_REQUEST, "Demande refusée", e.to_string())
        }
    }
}

impl ErreurWeb {
    fn rendu(self) -> Rendu {
        match self {
            ErreurWeb::Introuvable(m) => Rendu::Page(StatusCode::NOT_FOUND, "Page introuvable", m),
            ErreurWeb::Requete(m) => Rendu::Page(StatusCode::BAD_REQUEST, "Demande incomplète", m),
            ErreurWeb::TropVolumineux(m) => {
                Rendu::Page(StatusCode::PAYLOAD_TOO_LARGE, "Envoi trop volumineux", m)
            }
            ErreurWeb::Interne(cause) => interne(&Chaine(&*cause)),
            ErreurWeb::Csrf => Rendu::Page(
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                "Ce formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et recommencez.".into(),
            ),
            ErreurWeb::Mediation { source, retour } => rendu_mediation(source, retour),
            ErreurWeb::Mandat { source, retour } => rendu_mandat(source, retour),
            ErreurWeb::Evenement(source) => rendu_evenement(source),
        }
    }
}

/// An error and its sources, `a: b: c`, for the log.
struct Chaine<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chaine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// An error page still to be rendered: [`rendre_erreurs`] writes it with the site's look.
#[derive(Clone, Debug)]
struct PageAFaire {
    titre: &'static str,
    message: String,
}

/// A sign-in step still to be pointed to the request's path (no `retour` was given).
#[derive(Clone, Debug)]
struct EtapeAFaire(&'static str);

/// An error page: `statut`, with `titre` and `message` (French), in the site's look.
pub(crate) fn page_erreur(statut: StatusCode, titre: &'static str, message: String) -> Response {
    let mut r = statut.into_response();
    r.extensions_mut().insert(PageAFaire { titre, message });
    r
}

impl IntoResponse for ErreurWeb {
    fn into_response(self) -> Response {
        match self.rendu() {
            Rendu::Page(statut, titre, message) => page_erreur(statut, titre, message),
            Rendu::Etape(etape, Some(retour)) => {
                Redirect::to(&format!("{etape}?retour={}", encoder(&retour))).into_response()
            }
            Rendu::Etape(etape, None) => {
                let mut r = StatusCode::SEE_OTHER.into_response();
                r.extensions_mut().insert(EtapeAFaire(etape));
                r
            }
        }
    }
}

/// Percent-encodes a path for a `retour` parameter.
pub(crate) fn encoder(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "erreur.html")]
struct ErreurPage {
    site: Arc<Site>,
    titre: &'static str,
    message: String,
    /// The request's id, also in the logs: what a person quotes when reporting the problem.
    reference: Option<String>,
}

/// The one renderer of `erreur.html`.
fn rendre_page_erreur(
    site: Arc<Site>,
    statut: StatusCode,
    titre: &'static str,
    message: String,
    reference: Option<String>,
) -> Response {
    let page = ErreurPage {
        site,
        titre,
        message,
        reference,
    };
    match page.render() {
        Ok(html) => (statut, Html(html)).into_response(),
        Err(_) => (statut, titre).into_response(),
    }
}

/// Renders a template as a page.
pub(crate) fn rendre(t: &impl Template) -> Result<Html<String>, ErreurWeb> {
    Ok(Html(t.render()?))
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

/// The one renderer of the error pages, a layer over every route: writes the pages of
/// [`ErreurWeb`] (and [`page_erreur`]) with the site of the state, points the sign-in steps
/// without a `retour` back to the request's path, and turns what the framework refused
/// before any handler ran (body too large, unreadable form or JSON, wrong content type) into
/// the same status said in French, as an HTML page for the pages and as an [`ApiError`] for
/// `/api/…`. Those refusals come as English plain text from the extractors; every other
/// answer passes unchanged.
pub(crate) async fn rendre_erreurs(
    State(site): State<Arc<Site>>,
    requete: axum::extract::Request,
    suivant: axum::middleware::Next,
) -> Response {
    let api = requete.uri().path().starts_with("/api/");
    let reference = requete
        .extensions()
        .get::<crate::observabilite::IdRequete>()
        .map(|i| i.0.clone());
    let chemin = requete
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/espace".into());
    let mut reponse = suivant.run(requete).await;
    let status = reponse.status();
    if let Some(PageAFaire { titre, message }) = reponse.extensions_mut().remove::<PageAFaire>() {
        let mut page = rendre_page_erreur(Arc::clone(&site), status, titre, message, reference);
        // Headers set on the error (none today) are kept.
        for (nom, valeur) in reponse.headers() {
            if nom != header::CONTENT_TYPE && nom != header::CONTENT_LENGTH {
                page.headers_mut().insert(nom, valeur.clone());
            }
        }
        return page;
    }
    if let Some(EtapeAFaire(etape)) = reponse.extensions_mut().remove::<EtapeAFaire>() {
        let cible = format!("{etape}?retour={}", encoder(&chemin));
        if let Ok(v) = HeaderValue::from_str(&cible) {
            reponse.headers_mut().insert(header::LOCATION, v);
        }
        return reponse;
    }
    let texte_brut = reponse
        .headers()
        .get(header::CONTENT_TYPE)
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
    rendre_page_erreur(Arc::clone(&site), status, titre, message, reference)
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
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(Site::default()),
                rendre_erreurs,
            ));
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

    async fn corps(r: Response) -> String {
        let octets = axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&octets).into_owned()
    }

    /// The error pages are written by the one renderer, in the look of the site given to the
    /// layer; a sign-in step without a `retour` comes back to the request's path.
    #[tokio::test]
    async fn one_renderer_with_the_site_of_the_state() {
        let site = Site {
            nom: "Numérique en Ariège".into(),
            ..Site::default()
        };
        let app = axum::Router::new()
            .route(
                "/introuvable",
                axum::routing::get(|| async { ErreurWeb::Introuvable("Aucun lieu.".into()) }),
            )
            .route(
                "/espace/x",
                axum::routing::get(|| async { ErreurWeb::from(ErreurMediation::NonConnecte) }),
            )
            .route(
                "/espace/y",
                axum::routing::get(|| async {
                    Err::<(), _>(ErreurMediation::ReauthRequise).ou("/espace/z")
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(site),
                rendre_erreurs,
            ));
        let requete = |uri: &str| Request::get(uri).body(Body::empty()).unwrap_or_default();
        let Ok(r) = app.clone().oneshot(requete("/introuvable")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let html = corps(r).await;
        assert!(html.contains("Numérique en Ariège"), "{html}");
        assert!(html.contains("Aucun lieu."), "{html}");
        let Ok(r) = app.clone().oneshot(requete("/espace/x?page=2")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/connexion?retour=%2Fespace%2Fx%3Fpage%3D2")
        );
        let Ok(r) = app.oneshot(requete("/espace/y")).await;
        assert_eq!(
            r.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/reauthentification?retour=%2Fespace%2Fz")
        );
    }

    /// The use case's error stays the source of the web error.
    #[test]
    fn the_source_is_kept() {
        use std::error::Error as _;
        let e = ErreurWeb::from(ErreurMandat::Interdit);
        assert!(e
            .source()
            .is_some_and(|s| s.to_string() == ErreurMandat::Interdit.to_string()));
        let e = ErreurWeb::interne(std::io::Error::other("disque plein"));
        assert!(e.source().is_some_and(|s| s.to_string() == "disque plein"));
    }
}
