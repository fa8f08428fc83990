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
//! - Every route of the module is declared once, in [`routeur`] (Mandats: in
//!   [`mandats::routeur`]); [`crate::routes`] lists them from the same declarations, and the
//!   permission tests enumerate that list.

pub mod adresse_client;
pub(crate) mod connexion;
pub(crate) mod lieux;
pub(crate) mod mandats;
pub(crate) mod pages;
pub(crate) mod signalements;
pub mod svg;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use maillage_comptes::{securite, Acteur};
use maillage_mediation::{ErreurMediation, Mediation};

use crate::erreur::ErreurWeb;
pub(crate) use crate::erreur::{encoder, OuRetour};
use crate::routeurs::{Module, RouteurModule};
use crate::AppState;

pub(crate) const COOKIE_SESSION: &str = "maillage_session";
pub(crate) const COOKIE_PRE: &str = "maillage_pre";

/// The routes of Médiation: sign-in, the signed-in space (Mandats apart) and the public
/// statistics of a territory.
pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Mediation)
        .get("/connexion", connexion::page_connexion)
        .post("/connexion", connexion::connexion)
        .get("/connexion/code", connexion::page_code)
        .post("/connexion/code", connexion::code)
        .get("/connexion/enrolement", connexion::page_enrolement)
        .post("/connexion/enrolement", connexion::enrolement)
        .get("/reauthentification", connexion::page_reauth)
        .post("/reauthentification", connexion::reauth)
        .post("/deconnexion", connexion::deconnexion)
        .get("/invitation/{jeton}", connexion::page_invitation)
        .post("/invitation/{jeton}", connexion::invitation)
        .get("/espace", pages::accueil)
        .get("/espace/activites", pages::activites)
        .get("/espace/activites/nouvelle", pages::nouvelle_activite)
        .post("/espace/activites", pages::creer_activite)
        .get("/espace/activites/{id}", pages::activite)
        .get("/espace/activites/{id}/modifier", pages::modifier_activite)
        .post("/espace/activites/{id}", pages::enregistrer_activite)
        .post(
            "/espace/activites/{id}/supprimer",
            pages::supprimer_activite,
        )
        .get("/espace/beneficiaires", pages::beneficiaires)
        .post("/espace/beneficiaires", pages::creer_beneficiaire)
        .post("/espace/beneficiaires/fusion", pages::fusionner)
        .get("/espace/beneficiaires/{id}", pages::beneficiaire)
        .post("/espace/beneficiaires/{id}", pages::modifier_beneficiaire)
        .get(
            "/espace/beneficiaires/{id}/export.json",
            pages::export_beneficiaire,
        )
        .get("/espace/statistiques", pages::statistiques)
        .get("/espace/statistiques/export.csv", pages::export_csv)
        .get("/espace/statistiques/export.xlsx", pages::export_xlsx)
        .get("/espace/import", pages::page_import)
        .post("/espace/import", pages::importer)
        .get("/espace/equipe", pages::equipe)
        .post("/espace/invitations", pages::inviter)
        .get("/espace/courriels", pages::courriels)
        .get("/espace/structures", pages::structures)
        .post("/espace/structures", pages::modifier_structures)
        .get("/espace/signalements", signalements::liste)
        .post("/espace/signalements", signalements::decider)
        .post("/espace/structure-courante", pages::choisir_structure)
        .get("/statistiques/{territoire}", pages::statistiques_publiques)
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

pub(crate) fn mediation(state: &AppState) -> Result<&Mediation, ErreurWeb> {
    Ok(state.instance.mediation())
}

/// The signed-in actor (second factor passed). Rejects with a redirect to sign-in.
pub struct Connecte(pub Acteur);

/// The actor once read, kept in the request for the extractors after the first.
#[derive(Clone)]
struct ActeurDeLaRequete(Acteur);

impl FromRequestParts<AppState> for Connecte {
    type Rejection = ErreurWeb;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let chemin = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/espace".into());
        // Already read for this request (an earlier extractor of the same handler).
        if let Some(ActeurDeLaRequete(a)) = parts.extensions.get::<ActeurDeLaRequete>() {
            return Ok(Connecte(a.clone()));
        }
        let m = mediation(state)?;
        let jeton = cookie(&parts.headers, COOKIE_SESSION)
            .ok_or_else(|| ErreurWeb::mediation(ErreurMediation::NonConnecte, chemin.clone()))?;
        let acteur = m.comptes().acteur(&jeton).await.ou(&chemin)?;
        parts.extensions.insert(ActeurDeLaRequete(acteur.clone()));
        Ok(Connecte(acteur))
    }
}

/// Checks a form's CSRF token against the session's, in constant time.
pub(crate) fn verifier_csrf(acteur: &Acteur, jeton: Option<&str>) -> Result<(), ErreurWeb> {
    match jeton {
        Some(t) if securite::egal_temps_constant(t, acteur.csrf()) => Ok(()),
        _ => Err(ErreurWeb::Csrf),
    }
}

pub(crate) fn rendre(t: &impl Template) -> Result<Response, ErreurWeb> {
    let html = t.render()?;
    let mut r = Html(html).into_response();
    // Personal data: never cached.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
