//! The web server of Maillage: public pages (server-rendered, no JavaScript needed) and the
//! JSON API. Assets are embedded in the binary.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use maillage_app::annuaire::Annuaire;
use maillage_app::doublons::LieuFusionne;
use maillage_app::export::objet_standard;
use maillage_domain::{Lieu, Vocabulary};
use maillage_geo::{haversine_m, Point};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tower_http::compression::CompressionLayer;

/// The territory's look: name and colours (white label).
#[derive(Clone, Debug)]
pub struct Site {
    pub nom: String,
    pub couleur_principale: Option<String>,
}

impl Default for Site {
    fn default() -> Self {
        Self {
            nom: std::env::var("MAILLAGE_NOM").unwrap_or_else(|_| "Maillage".to_string()),
            couleur_principale: std::env::var("MAILLAGE_COULEUR")
                .ok()
                .filter(|c| is_css_colour(c)),
        }
    }
}

fn is_css_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

impl Site {
    pub fn css_couleurs(&self) -> Option<String> {
        self.couleur_principale
            .as_ref()
            .map(|c| format!(":root{{--couleur-principale:{c}}}"))
    }
}

/// Shared state: the store and an in-memory snapshot of the published directory.
#[derive(Clone)]
pub struct AppState {
    pub annuaire: Annuaire,
    pub site: Site,
    lieux: Arc<RwLock<Arc<Vec<LieuFusionne>>>>,
}

impl AppState {
    pub async fn new(annuaire: Annuaire, site: Site) -> anyhow::Result<Self> {
        let lieux = annuaire.lieux_publies(None).await?;
        Ok(Self {
            annuaire,
            site,
            lieux: Arc::new(RwLock::new(Arc::new(lieux))),
        })
    }

    /// The current snapshot of the published directory.
    pub fn lieux(&self) -> Arc<Vec<LieuFusionne>> {
        match self.lieux.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

const CSS: &str = include_str!("../assets/maillage.css");

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(accueil))
        .route("/lieux", get(recherche))
        .route("/lieux/{id}", get(fiche_lieu))
        .route("/api/v1/lieux", get(api_lieux))
        .route("/api/v1/lieux/{id}", get(api_lieu))
        .route("/assets/maillage.css", get(css))
        .route("/sante", get(|| async { "ok" }))
        .fallback(introuvable)
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Serves until Ctrl-C.
pub async fn serve(annuaire: Annuaire, listen: SocketAddr) -> anyhow::Result<()> {
    let state = AppState::new(annuaire, Site::default()).await?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("Maillage écoute sur http://{listen}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// An error shown to people as a page.
pub enum PageError {
    Introuvable(String),
    Interne(String),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, titre, message) = match self {
            Self::Introuvable(m) => (StatusCode::NOT_FOUND, "Page introuvable", m),
            Self::Interne(m) => {
                tracing::error!("internal error: {m}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur du serveur",
                    "Une erreur est survenue de notre côté. Réessayez dans un moment.".to_string(),
                )
            }
        };
        let page = ErreurPage {
            site: Site::default(),
            titre,
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, titre).into_response(),
        }
    }
}

fn rendre(t: &impl Template) -> Result<Html<String>, PageError> {
    t.render()
        .map(Html)
        .map_err(|e| PageError::Interne(e.to_string()))
}

#[derive(Template)]
#[template(path = "erreur.html")]
struct ErreurPage {
    site: Site,
    titre: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "accueil.html")]
struct AccueilPage {
    site: Site,
    nb_lieux: String,
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

async fn introuvable() -> PageError {
    PageError::Introuvable("Cette page n'existe pas.".into())
}

async fn accueil(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    rendre(&AccueilPage {
        nb_lieux: state.lieux().len().to_string(),
        site: state.site.clone(),
    })
}

#[derive(Deserialize)]
struct RechercheQuery {
    #[serde(default)]
    ou: String,
}

struct Resultat {
    id: String,
    nom: String,
    adresse: String,
    code_postal: String,
    commune: String,
    distance: Option<String>,
    telephone: Option<(String, String)>,
    services: String,
}

#[derive(Template)]
#[template(path = "lieux.html")]
struct LieuxPage {
    site: Site,
    ou: String,
    message: Option<String>,
    resultats: Vec<Resultat>,
}

fn distance_lisible(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    }
}

/// Where the person is: a commune found from a name, a postal code or an INSEE code.
fn localiser(state: &AppState, ou: &str) -> Option<(String, Point)> {
    let r = state.annuaire.referentiel();
    let commune = r.rechercher(ou, 1).into_iter().next()?;
    Some((commune.nom.clone(), commune.centre?))
}

async fn recherche(
    State(state): State<AppState>,
    Query(q): Query<RechercheQuery>,
) -> Result<Html<String>, PageError> {
    let ou = q.ou.trim().to_string();
    let lieux = state.lieux();
    let (message, resultats) = match localiser(&state, &ou) {
        None => (
            Some(format!(
                "Nous n'avons pas trouvé « {ou} ». Essayez le nom de votre commune ou son code postal."
            )),
            Vec::new(),
        ),
        Some((nom, centre)) => {
            let mut proches: Vec<(f64, &LieuFusionne)> = lieux
                .iter()
                .filter_map(|f| {
                    let l = f.lieu.localisation?;
                    let p = Point::new(l.latitude, l.longitude)?;
                    Some((haversine_m(centre, p), f))
                })
                .collect();
            proches.sort_by(|a, b| a.0.total_cmp(&b.0));
            let resultats = proches
                .into_iter()
                .take(20)
                .map(|(d, f)| resultat(f, Some(d)))
                .collect();
            (Some(format!("Les 20 lieux les plus proches de {nom}.")), resultats)
        }
    };
    rendre(&LieuxPage {
        site: state.site.clone(),
        ou,
        message,
        resultats,
    })
}

fn labels<V: Vocabulary>(v: &[V]) -> String {
    v.iter().map(|x| x.label()).collect::<Vec<_>>().join(", ")
}

fn resultat(f: &LieuFusionne, distance: Option<f64>) -> Resultat {
    let l = &f.lieu;
    Resultat {
        id: f.id.clone(),
        nom: l.nom.clone(),
        adresse: l.adresse.clone(),
        code_postal: l.code_postal.to_string(),
        commune: l.commune.clone(),
        distance: distance.map(distance_lisible),
        telephone: l.telephone.as_ref().map(|t| (t.href(), t.lisible())),
        services: labels(&l.services),
    }
}

#[derive(Template)]
#[template(path = "lieu.html")]
struct LieuPage {
    site: Site,
    nom: String,
    champs: Vec<(&'static str, String)>,
    membres: Vec<String>,
}

fn champs_lisibles(l: &Lieu) -> Vec<(&'static str, String)> {
    let mut c = vec![(
        "Adresse",
        format!("{}, {} {}", l.adresse, l.code_postal, l.commune),
    )];
    let mut push = |k: &'static str, v: String| {
        if !v.is_empty() {
            c.push((k, v));
        }
    };
    push(
        "Complément d'adresse",
        l.complement_adresse.clone().unwrap_or_default(),
    );
    push(
        "Téléphone",
        l.telephone
            .as_ref()
            .map(|t| t.lisible())
            .unwrap_or_default(),
    );
    push("Courriel", l.courriels.join(", "));
    push("Site web", l.site_web.join(", "));
    push(
        "Horaires",
        l.horaires
            .as_ref()
            .map(|h| h.brut.clone())
            .unwrap_or_default(),
    );
    push("Services", labels(&l.services));
    push("Publics", labels(&l.publics_specifiquement_adresses));
    push(
        "Prise en charge spécifique",
        labels(&l.prise_en_charge_specifique),
    );
    push("Frais", labels(&l.frais_a_charge));
    push("Accès", labels(&l.modalites_acces));
    push("Accompagnement", labels(&l.modalites_accompagnement));
    push("Dispositifs", labels(&l.dispositif_programmes_nationaux));
    push("Labels", labels(&l.formations_labels));
    push("Autres labels", l.autres_formations_labels.join(", "));
    push("Typologie", labels(&l.typologie));
    push("Itinérance", labels(&l.itinerance));
    push(
        "Présentation",
        l.presentation_resume.clone().unwrap_or_default(),
    );
    push("Détail", l.presentation_detail.clone().unwrap_or_default());
    push("Mis à jour le", l.date_maj.format("%d/%m/%Y").to_string());
    c
}

async fn fiche_lieu(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let lieux = state.lieux();
    let f = lieux.iter().find(|f| f.id == id).ok_or_else(|| {
        PageError::Introuvable(format!("Aucun lieu ne porte l'identifiant « {id} »."))
    })?;
    rendre(&LieuPage {
        site: state.site.clone(),
        nom: f.lieu.nom.clone(),
        champs: champs_lisibles(&f.lieu),
        membres: f.membres.clone(),
    })
}

#[derive(Deserialize)]
struct ApiLieuxQuery {
    commune: Option<String>,
    departement: Option<String>,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default)]
    offset: usize,
}

fn default_limit() -> usize {
    50
}

async fn api_lieux(
    State(state): State<AppState>,
    Query(q): Query<ApiLieuxQuery>,
) -> Json<serde_json::Value> {
    let lieux = state.lieux();
    let garde = |f: &&LieuFusionne| {
        let code = f.lieu.code_insee.as_ref();
        q.commune
            .as_deref()
            .is_none_or(|c| code.is_some_and(|x| x.as_str() == c))
            && q.departement
                .as_deref()
                .is_none_or(|d| code.is_some_and(|x| x.departement() == d))
    };
    let total = lieux.iter().filter(garde).count();
    let items: Vec<serde_json::Value> = lieux
        .iter()
        .filter(garde)
        .skip(q.offset)
        .take(q.limit.min(500))
        .map(|f| objet_standard(&f.lieu))
        .collect();
    Json(serde_json::json!({ "total": total, "offset": q.offset, "items": items }))
}

async fn api_lieu(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let lieux = state.lieux();
    match lieux.iter().find(|f| f.id == id) {
        Some(f) => Json(objet_standard(&f.lieu)).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "erreur": format!("aucun lieu « {id} »") })),
        )
            .into_response(),
    }
}
