//! The signed-in space of the Médiation module (`/connexion`, `/espace/…`) and the public
//! statistics of a territory (`/statistiques/{territoire}`).
//!
//! - Sessions: the cookie `maillage_session` holds a random token (HttpOnly, SameSite=Lax,
//!   Secure when the public address is https); the server keeps its hash.
//! - CSRF: every form of a session carries the session's token (`csrf` field) and every
//!   POST checks it in constant time; forms before sign-in (password, invitation) use a
//!   double-submit cookie `maillage_pre`.
//! - Permissions are decided by `maillage_mediation` only; here errors are mapped to
//!   responses: not signed in → 303 to `/connexion`, second factor too old → 303 to
//!   `/reauthentification`, forbidden → 403, someone else's object → 404.
//! - Every route of the module is declared once in [`routes!`]: the router and
//!   [`ROUTES`] come from the same list, and the permission tests enumerate [`ROUTES`].

pub mod adresse_client;
pub(crate) mod connexion;
pub(crate) mod mandats;
pub(crate) mod pages;
pub(crate) mod signalements;
pub mod svg;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maillage_comptes::{securite, Acteur};
use maillage_mediation::{ErreurMediation, Mediation};

use crate::erreur::PageError;
use crate::AppState;

pub(crate) const COOKIE_SESSION: &str = "maillage_session";
pub(crate) const COOKIE_PRE: &str = "maillage_pre";

macro_rules! routes {
    ($($methode:ident $chemin:literal => $handler:path,)+) => {
        /// Every route of the module, `(method, path)`, as registered.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($methode), $chemin),)+];

        /// The module's routes.
        pub fn router() -> Router<AppState> {
            Router::new()$(.route($chemin, $methode($handler)))+
        }
    };
}

routes! {
    get "/connexion" => connexion::page_connexion,
    post "/connexion" => connexion::connexion,
    get "/connexion/code" => connexion::page_code,
    post "/connexion/code" => connexion::code,
    get "/connexion/enrolement" => connexion::page_enrolement,
    post "/connexion/enrolement" => connexion::enrolement,
    get "/reauthentification" => connexion::page_reauth,
    post "/reauthentification" => connexion::reauth,
    post "/deconnexion" => connexion::deconnexion,
    get "/invitation/{jeton}" => connexion::page_invitation,
    post "/invitation/{jeton}" => connexion::invitation,
    get "/espace" => pages::accueil,
    get "/espace/activites" => pages::activites,
    get "/espace/activites/nouvelle" => pages::nouvelle_activite,
    post "/espace/activites" => pages::creer_activite,
    get "/espace/activites/{id}" => pages::activite,
    get "/espace/activites/{id}/modifier" => pages::modifier_activite,
    post "/espace/activites/{id}" => pages::enregistrer_activite,
    post "/espace/activites/{id}/supprimer" => pages::supprimer_activite,
    get "/espace/beneficiaires" => pages::beneficiaires,
    post "/espace/beneficiaires" => pages::creer_beneficiaire,
    post "/espace/beneficiaires/fusion" => pages::fusionner,
    get "/espace/beneficiaires/{id}" => pages::beneficiaire,
    post "/espace/beneficiaires/{id}" => pages::modifier_beneficiaire,
    get "/espace/beneficiaires/{id}/export.json" => pages::export_beneficiaire,
    get "/espace/statistiques" => pages::statistiques,
    get "/espace/statistiques/export.csv" => pages::export_csv,
    get "/espace/statistiques/export.xlsx" => pages::export_xlsx,
    get "/espace/import" => pages::page_import,
    post "/espace/import" => pages::importer,
    get "/espace/equipe" => pages::equipe,
    post "/espace/invitations" => pages::inviter,
    get "/espace/courriels" => pages::courriels,
    get "/espace/structures" => pages::structures,
    post "/espace/structures" => pages::modifier_structures,
    get "/espace/signalements" => signalements::liste,
    post "/espace/signalements" => signalements::decider,
    post "/espace/structure-courante" => pages::choisir_structure,
    get "/statistiques/{territoire}" => pages::statistiques_publiques,
    get "/espace/mandats" => mandats::liste,
    post "/espace/habilitations" => mandats::habiliter,
    get "/espace/mandats/nouveau" => mandats::nouveau,
    get "/espace/mandats/identite" => mandats::identification,
    get "/espace/mandats/identite/retour" => mandats::retour_identification,
    post "/espace/mandats" => mandats::signer,
    get "/espace/mandats/{id}" => mandats::fiche,
    post "/espace/mandats/{id}" => mandats::agir,
    get "/espace/mandats/{id}/imprimer" => mandats::imprimer,
    get "/espace/mandats/{id}/mandat.pdf" => mandats::pdf,
    post "/espace/mandats/{id}/mandat.pdf" => mandats::pdf_personne,
    get "/espace/mandats/{id}/attestation-revocation" => mandats::attestation,
    get "/mon-mandat" => mandats::personne,
    post "/mon-mandat" => mandats::personne_agir,
    get "/mon-mandat/attestation" => mandats::attestation_personne,
    get "/verifier" => mandats::verifier,
    get "/.well-known/maillage-journal.pub" => mandats::cle_publique,
    get "/api/v1/journal/verification" => mandats::verification_journal,
}

/// Errors of the signed-in space.
#[derive(Debug)]
pub enum ErreurEspace {
    Mediation(ErreurMediation, String),
    Mandat(maillage_mandats::ErreurMandat, String),
    Page(PageError),
    /// The CSRF token is missing or wrong.
    Csrf,
}

impl From<PageError> for ErreurEspace {
    fn from(e: PageError) -> Self {
        ErreurEspace::Page(e)
    }
}

#[derive(Template)]
#[template(path = "erreur.html")]
struct PageErreur {
    site: std::sync::Arc<crate::site::Site>,
    titre: &'static str,
    message: String,
}

fn page_statut(
    state_site: std::sync::Arc<crate::site::Site>,
    statut: StatusCode,
    titre: &'static str,
    message: String,
) -> Response {
    let page = PageErreur {
        site: state_site,
        titre,
        message,
    };
    match page.render() {
        Ok(h) => (statut, Html(h)).into_response(),
        Err(_) => (statut, titre).into_response(),
    }
}

impl IntoResponse for ErreurEspace {
    fn into_response(self) -> Response {
        let site = crate::erreur::site_global();
        use maillage_mandats::ErreurMandat;
        match self {
            ErreurEspace::Page(p) => p.into_response(),
            ErreurEspace::Mandat(e, chemin) => match e {
                ErreurMandat::Comptes(m) => ErreurEspace::Mediation(m, chemin).into_response(),
                ErreurMandat::Introuvable => ErreurEspace::Mediation(ErreurMediation::Introuvable, chemin).into_response(),
                ErreurMandat::Interdit | ErreurMandat::NonHabilite => {
                    page_statut(site, StatusCode::FORBIDDEN, "Accès refusé", e.to_string())
                }
                ErreurMandat::TropDeTentatives => {
                    page_statut(site, StatusCode::TOO_MANY_REQUESTS, "Trop de tentatives", e.to_string())
                }
                ErreurMandat::Interne(m) => PageError::Interne(m).into_response(),
                autre => page_statut(site, StatusCode::UNPROCESSABLE_ENTITY, "Demande refusée", autre.to_string()),
            },
            ErreurEspace::Csrf => page_statut(
                site,
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                "Ce formulaire a expiré ou ne vient pas de ce site. Revenez en arrière, rechargez la page et recommencez.".into(),
            ),
            ErreurEspace::Mediation(e, chemin) => match e {
                ErreurMediation::NonConnecte => {
                    Redirect::to(&format!("/connexion?retour={}", encoder(&chemin))).into_response()
                }
                ErreurMediation::ReauthRequise => {
                    Redirect::to(&format!("/reauthentification?retour={}", encoder(&chemin)))
                        .into_response()
                }
                ErreurMediation::Interdit => page_statut(
                    site,
                    StatusCode::FORBIDDEN,
                    "Accès refusé",
                    e.to_string(),
                ),
                ErreurMediation::Introuvable => page_statut(
                    site,
                    StatusCode::NOT_FOUND,
                    "Page introuvable",
                    "Cette page n’existe pas ou ne vous est pas accessible.".into(),
                ),
                ErreurMediation::TropDeTentatives => page_statut(
                    site,
                    StatusCode::TOO_MANY_REQUESTS,
                    "Trop de tentatives",
                    e.to_string(),
                ),
                ErreurMediation::Interne(m) => PageError::Interne(m).into_response(),
                autre => page_statut(site, StatusCode::BAD_REQUEST, "Demande refusée", autre.to_string()),
            },
        }
    }
}

/// Percent-encodes a path for a `retour` parameter.
pub(crate) fn encoder(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A `retour` target: only a path of this instance (no open redirect), else `/espace`.
pub(crate) fn retour_sur(retour: Option<&str>) -> String {
    match retour {
        Some(r) if chemin_local(r) => r.to_string(),
        _ => "/espace".to_string(),
    }
}

/// Whether `r` is a path of this instance, read as a browser would read a `Location`: one
/// leading `/` then no second `/` or `\\`, no control character or space (browsers drop tabs
/// and line breaks, so `/\t/evil.example` becomes `//evil.example`, another host), no
/// backslash anywhere, and a valid path-and-query once parsed.
pub(crate) fn chemin_local(r: &str) -> bool {
    let mut octets = r.bytes();
    octets.next() == Some(b'/')
        && !matches!(octets.next(), Some(b'/') | Some(b'\\'))
        && !r
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && r.parse::<axum::http::uri::PathAndQuery>()
            .is_ok_and(|p| p.path().starts_with('/') && !p.path().starts_with("//"))
}

/// Reads one cookie.
pub(crate) fn cookie(headers: &HeaderMap, nom: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == nom)
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` for a session token (or its deletion with `None`).
pub(crate) fn set_cookie(nom: &str, valeur: Option<&str>, securise: bool) -> HeaderValue {
    let s = match valeur {
        Some(v) => format!(
            "{nom}={v}; Path=/; HttpOnly; SameSite=Lax{}",
            if securise { "; Secure" } else { "" }
        ),
        None => format!("{nom}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("invalide=1"))
}

pub(crate) fn mediation(state: &AppState) -> Result<&Mediation, ErreurEspace> {
    Ok(state.instance.mediation())
}

/// The signed-in actor (second factor passed). Rejects with a redirect to sign-in.
pub struct Connecte(pub Acteur);

impl FromRequestParts<AppState> for Connecte {
    type Rejection = ErreurEspace;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let chemin = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/espace".into());
        let m = mediation(state)?;
        let jeton = cookie(&parts.headers, COOKIE_SESSION)
            .ok_or_else(|| ErreurEspace::Mediation(ErreurMediation::NonConnecte, chemin.clone()))?;
        m.comptes()
            .acteur(&jeton)
            .await
            .map(Connecte)
            .map_err(|e| ErreurEspace::Mediation(e, chemin))
    }
}

/// Fields of a submitted form (repeated names kept).
#[derive(Debug, Default)]
pub struct Champs(pub Vec<(String, String)>);

impl Champs {
    pub fn lire(corps: &[u8]) -> Champs {
        Champs(
            form_urlencoded::parse(corps)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub fn un(&self, nom: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == nom)
            .map(|(_, v)| v.as_str())
    }
    pub fn texte(&self, nom: &str) -> String {
        self.un(nom).unwrap_or("").trim().to_string()
    }
    pub fn tous(&self, nom: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == nom)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn coche(&self, nom: &str) -> bool {
        self.un(nom).is_some()
    }
}

/// Reads a form and checks its CSRF token against the session's.
pub(crate) fn formulaire(acteur: &Acteur, corps: &[u8]) -> Result<Champs, ErreurEspace> {
    let champs = Champs::lire(corps);
    match champs.un("csrf") {
        Some(t) if securite::egal_temps_constant(t, acteur.csrf()) => Ok(champs),
        _ => Err(ErreurEspace::Csrf),
    }
}

/// Wraps a use-case error with the path to come back to.
pub(crate) trait OuRetour<T> {
    fn ou(self, chemin: &str) -> Result<T, ErreurEspace>;
}

impl<T> OuRetour<T> for Result<T, ErreurMediation> {
    fn ou(self, chemin: &str) -> Result<T, ErreurEspace> {
        self.map_err(|e| ErreurEspace::Mediation(e, chemin.to_string()))
    }
}

pub(crate) fn rendre(t: &impl Template) -> Result<Response, ErreurEspace> {
    let html = t
        .render()
        .map_err(|e| ErreurEspace::Page(PageError::Interne(e.to_string())))?;
    let mut r = Html(html).into_response();
    // Personal data: never cached.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
