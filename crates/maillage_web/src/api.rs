//! The JSON API, `/api/v1`, documented with OpenAPI 3.1 at `/api/openapi.json`.
//!
//! Parameters have the same names as on the pages (see [`crate::parametres`]); lists repeat
//! a parameter or separate values with `|`. Errors are `{"erreur": "…", "parametre": "…"}`
//! with status 400 (bad parameter) or 404.

use crate::erreur::ApiError;
use crate::pages::maintenant;
use crate::parametres::{analyser, Parametres};
use crate::presentation;
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use maillage_annuaire::export::objet_standard;
use maillage_annuaire::recherche::{EtatOuverture, Moteur};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::{Modify, OpenApi, ToSchema};

/// The head of the OpenAPI document: its paths and schemas come from the modules' routers
/// (`routes!` in each `routeur()`), merged in [`crate::router`]; [`completer`] then applies
/// the modifiers that need the whole document.
#[derive(OpenApi)]
#[openapi(info(
    title = "Maillage — API des lieux d'inclusion numérique",
    description = "Recherche des lieux d'aide au numérique (schéma national des lieux de médiation numérique v1.0.2), fusionnés depuis plusieurs sources. Les listes se donnent en répétant le paramètre ou en séparant les valeurs par « | » : à l'intérieur d'une catégorie les valeurs se combinent par OU, entre catégories par ET.",
    license(name = "AGPL-3.0-or-later"),
    version = "1.0.0"
))]
pub(crate) struct Entete;

/// Applies to the merged document what the paths alone do not say: the vocabularies of the
/// parameters ([`ValeursPossibles`]) and the security schemes ([`Securite`]).
pub(crate) fn completer(openapi: &mut utoipa::openapi::OpenApi) {
    ValeursPossibles.modify(openapi);
    Securite.modify(openapi);
}

/// The two ways into the journal verification: an auditor's bearer token
/// (`MAILLAGE_AUDIT_JETON`) or an administrator's session cookie.
struct Securite;

impl Modify for Securite {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let composants = openapi.components.get_or_insert_with(Default::default);
        composants.add_security_scheme(
            "jeton_audit",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Jeton d'audit de l'instance (MAILLAGE_AUDIT_JETON, 16 caractères au moins)"))
                    .build(),
            ),
        );
        composants.add_security_scheme(
            "cle_api_lieu",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Clé d'API d'un lieu qualifié (mpk_…), créée par maillage pass cle",
                    ))
                    .build(),
            ),
        );
        composants.add_security_scheme(
            "session_administrateur",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "maillage_session",
                "Session d'un compte administrateur (connexion avec second facteur)",
            ))),
        );
        composants.add_security_scheme(
            "session_accueil",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "maillage_session",
                "Session d'un compte de la structure organisatrice (administrateur, coordinateur ou médiateur), avec l'en-tête X-CSRF de la session pour les envois",
            ))),
        );
    }
}

/// Gives the list parameters of `/api/v1/lieux` the labels of their vocabulary (from
/// `maillage_domain`, so the document cannot drift from what the server accepts), and the
/// closed parameters (`tri`, `format`) their values. Marks the optional query parameters of
/// `/api/v1/lieux`, `/api/v1/communes` and the territory endpoints `allowEmptyValue`: like
/// the pages (whose forms send empty fields), they read `services=` or `limit=` as « not
/// given ».
struct ValeursPossibles;

impl Modify for ValeursPossibles {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for chemin in [
            "/api/v1/lieux",
            "/api/v1/communes",
            "/api/v1/territoires/{code}/indice",
            "/api/v1/territoires/{code}/couverture",
            "/api/v1/territoires/{code}/zones-blanches",
            "/api/v1/territoires/{code}/plan",
        ] {
            let parametres = openapi
                .paths
                .paths
                .get_mut(chemin)
                .and_then(|p| p.get.as_mut())
                .and_then(|o| o.parameters.as_mut());
            for p in parametres.into_iter().flatten() {
                if p.parameter_in == ParameterIn::Query && p.required == Required::False {
                    // utoipa 5 has no field for this (deprecated but valid) OpenAPI keyword;
                    // extensions are written as they are, next to the parameter's fields.
                    p.extensions
                        .get_or_insert_with(Default::default)
                        .insert("allowEmptyValue".into(), Value::Bool(true));
                }
            }
        }
        // The criteria of the white zones: the codes the server accepts, from the same list.
        if let Some(p) = openapi
            .paths
            .paths
            .get_mut("/api/v1/territoires/{code}/zones-blanches")
            .and_then(|p| p.get.as_mut())
            .and_then(|o| o.parameters.as_mut())
            .and_then(|ps| ps.iter_mut().find(|p| p.name == "service"))
        {
            let codes: Vec<&str> = crate::territoire::codes_criteres()
                .iter()
                .map(|(code, _)| code.as_str())
                .collect();
            p.schema = Some(RefOr::T(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(codes))
                    .build()
                    .into(),
            ));
        }
        let Some(parametres) = openapi
            .paths
            .paths
            .get_mut("/api/v1/lieux")
            .and_then(|p| p.get.as_mut())
            .and_then(|o| o.parameters.as_mut())
        else {
            return;
        };
        for p in parametres {
            let champ = if p.name == "besoin" {
                "services"
            } else {
                p.name.as_str()
            };
            let chaine = |valeurs: Vec<&str>| {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(valeurs))
            };
            let schema = match (champ, crate::parametres::libelles(champ)) {
                (_, Some(libelles)) => ArrayBuilder::new().items(chaine(libelles)).build().into(),
                ("tri", None) => chaine(vec!["distance", "nom"]).build().into(),
                ("format", None) => chaine(vec!["json", "geojson"]).build().into(),
                _ => continue,
            };
            p.schema = Some(RefOr::T(schema));
        }
    }
}

/// Opening state of a place at the time of the request.
#[derive(Serialize, ToSchema)]
pub struct Ouverture {
    /// `ouvert`, `ferme` or `inconnu`.
    pub etat: String,
    /// In words: « Ouvert jusqu'à 17 h », « Fermé — ouvre demain à 9 h ».
    pub texte: String,
    /// When it closes (if open) or opens next (if closed): a date and time of day in the local
    /// time of the place, without offset (`AAAA-MM-JJTHH:MM:SS`, absent when unknown).
    #[schema(value_type = Option<String>, pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")]
    pub changement: Option<String>,
}

/// A place: the 32 fields of the national schema (empty fields left out), plus `distance_m`
/// and `ouverture`.
#[derive(Serialize, ToSchema)]
pub struct LieuApi {
    /// Published id (`lieu-…`), stable across imports.
    pub id: String,
    pub nom: String,
    pub commune: String,
    pub code_postal: String,
    pub adresse: String,
    pub date_maj: String,
    #[schema(nullable = false)]
    pub latitude: Option<f64>,
    #[schema(nullable = false)]
    pub longitude: Option<f64>,
    /// Great-circle distance to `lat`/`lon` or to the commune `ou`, in metres.
    #[schema(nullable = false)]
    pub distance_m: Option<f64>,
    pub ouverture: Ouverture,
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct ReponseLieux {
    /// Places matching (every page).
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    pub items: Vec<LieuApi>,
}

/// `Point`.
#[derive(Serialize, ToSchema)]
pub enum TypePoint {
    Point,
}

/// `Feature`.
#[derive(Serialize, ToSchema)]
pub enum TypeFeature {
    Feature,
}

/// `FeatureCollection`.
#[derive(Serialize, ToSchema)]
pub enum TypeCollection {
    FeatureCollection,
}

/// A GeoJSON point (WGS84).
#[derive(Serialize, ToSchema)]
pub struct PointGeoJson {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub type_geometrie: TypePoint,
    /// `[longitude, latitude]`.
    #[schema(min_items = 2, max_items = 2)]
    pub coordinates: Vec<f64>,
}

/// A place as a GeoJSON feature: its fields are the properties.
#[derive(Serialize, ToSchema)]
pub struct FeatureGeoJson {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub type_feature: TypeFeature,
    /// `null` when the place has no coordinates.
    #[schema(required = true)]
    pub geometry: Option<PointGeoJson>,
    pub properties: LieuApi,
}

/// The places of a search as a GeoJSON FeatureCollection (`format=geojson`).
#[derive(Serialize, ToSchema)]
pub struct CollectionGeoJson {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub type_collection: TypeCollection,
    /// Places matching (every page).
    pub total: usize,
    pub features: Vec<FeatureGeoJson>,
}

/// A commune of the referential.
#[derive(Serialize, ToSchema)]
pub struct Commune {
    pub code_insee: String,
    pub nom: String,
    pub codes_postaux: Vec<String>,
    pub departement: String,
    pub region: String,
    /// SIREN of its EPCI (absent for the few communes outside one).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub epci: Option<String>,
    pub population: u32,
    /// Centre of the commune (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub longitude: Option<f64>,
}

fn objet(
    moteur: &Moteur,
    index: usize,
    distance_m: Option<f64>,
    maintenant: chrono::NaiveDateTime,
) -> Option<Value> {
    let f = moteur.lieu_a(index)?;
    let mut v = objet_standard(&f.lieu);
    let etat = moteur.etat_ouverture(index, maintenant);
    let (texte, classe) = presentation::ouverture(etat, maintenant);
    let changement = match etat {
        EtatOuverture::Ouvert { jusqu_a } => jusqu_a,
        EtatOuverture::Ferme {
            prochaine_ouverture,
        } => prochaine_ouverture,
        EtatOuverture::Inconnu => None,
    };
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(f.id));
        if let Some(d) = distance_m {
            m.insert("distance_m".into(), json!((d * 10.0).round() / 10.0));
        }
        let mut o = Map::new();
        o.insert("etat".into(), json!(classe));
        o.insert("texte".into(), json!(texte));
        if let Some(c) = changement {
            o.insert(
                "changement".into(),
                json!(c.format("%Y-%m-%dT%H:%M:%S").to_string()),
            );
        }
        m.insert("ouverture".into(), Value::Object(o));
    }
    Some(v)
}

fn feature(v: Value) -> Value {
    let (lat, lon) = (v.get("latitude").cloned(), v.get("longitude").cloned());
    let geometrie = match (lat, lon) {
        (Some(lat), Some(lon)) => json!({"type": TypePoint::Point, "coordinates": [lon, lat]}),
        _ => Value::Null,
    };
    json!({"type": TypeFeature::Feature, "geometry": geometrie, "properties": v})
}

/// Searches places.
///
/// With `lat`+`lon` or `ou`, nearest first; otherwise by name. With `bbox`, the places of
/// that rectangle (for a map; at most `limit`, default 500, a stable sample when more).
#[utoipa::path(
    get,
    path = "/api/v1/lieux",
    tag = "lieux",
    params(
        ("ou" = Option<String>, Query, description = "Commune (nom, code postal ou code INSEE) : point de départ des distances"),
        ("lat" = Option<f64>, Query, description = "Latitude du point de départ (WGS84). Va avec lon : lat sans lon est refusé (400, parametre « lon »)", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude du point de départ (WGS84). Va avec lat : lon sans lat est refusé (400, parametre « lat »)", minimum = -180, maximum = 180),
        ("rayon_km" = Option<f64>, Query, description = "Seulement les lieux à moins de ce rayon du point de départ", minimum = 0),
        ("bbox" = Option<String>, Query, description = "Rectangle sud,ouest,nord,est (degrés) : les lieux de la zone visible d'une carte"),
        ("q" = Option<String>, Query, description = "Mots du nom, de la commune, de l'adresse ou des services (accents ignorés)"),
        ("besoin" = Option<Vec<String>>, Query, description = "Alias de services", explode = true),
        ("services" = Option<Vec<String>>, Query, description = "Services (libellés du schéma national ; casse et accents ignorés)", explode = true),
        ("publics_specifiquement_adresses" = Option<Vec<String>>, Query, explode = true),
        ("prise_en_charge_specifique" = Option<Vec<String>>, Query, explode = true),
        ("frais_a_charge" = Option<Vec<String>>, Query, explode = true),
        ("modalites_acces" = Option<Vec<String>>, Query, explode = true),
        ("modalites_accompagnement" = Option<Vec<String>>, Query, explode = true),
        ("dispositif_programmes_nationaux" = Option<Vec<String>>, Query, explode = true),
        ("formations_labels" = Option<Vec<String>>, Query, explode = true),
        ("itinerance" = Option<Vec<String>>, Query, explode = true),
        ("typologie" = Option<Vec<String>>, Query, explode = true),
        ("commune" = Option<String>, Query, description = "Code INSEE : lieux de cette commune"),
        ("epci" = Option<String>, Query, description = "SIREN de l'EPCI"),
        ("departement" = Option<String>, Query, description = "Code du département"),
        ("region" = Option<String>, Query, description = "Code de la région"),
        ("ouvert" = Option<String>, Query, description = "maintenant, aujourdhui, un jour (samedi), une demi-journée (samedi-matin, mardi-apres-midi), une date AAAA-MM-JJ ou un moment AAAA-MM-JJTHH:MM (heure de Paris), années 2000 à 2100"),
        ("tri" = Option<String>, Query, description = "distance (défaut) ou nom"),
        ("limit" = Option<usize>, Query, description = "Résultats par page (défaut 20, 500 avec bbox ; au plus 1000)", maximum = 1000),
        ("offset" = Option<usize>, Query, description = "Résultats sautés (au-delà du total : page vide)"),
        ("format" = Option<String>, Query, description = "json (défaut) ou geojson"),
    ),
    responses(
        (status = 200, description = "Une page de lieux (JSON), ou une FeatureCollection GeoJSON avec format=geojson", content(
            (ReponseLieux = "application/json"),
            (CollectionGeoJson = "application/geo+json"),
        )),
        (status = 400, description = "Paramètre invalide, ou règle entre paramètres non respectée : lat sans lon ou lon sans lat, rayon_km sans point de départ (ou, ou lat et lon), plus d'un de commune, epci, departement et region, commune ou territoire inconnu, bbox qui n'est pas un rectangle. Le champ parametre nomme le paramètre en cause.", body = ApiError),
    )
)]
pub async fn lieux(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Parametres::depuis(q.as_deref());
    let geojson = match p.un("format") {
        None | Some("json") => false,
        Some("geojson") => true,
        Some(f) => {
            return Err(ApiError::requete(
                Some("format"),
                format!("format « {f} » inconnu : json ou geojson"),
            ))
        }
    };
    let maintenant = maintenant();
    let moteur = state.moteur();
    let bbox = crate::parametres::rectangle(&p)
        .map_err(|e| ApiError::requete(Some(&e.parametre), e.message))?;
    let limite_defaut = if bbox.is_some() { 500 } else { 20 };
    let r = analyser(
        &p,
        state.annuaire.referentiel(),
        &moteur,
        maintenant,
        limite_defaut,
    )
    .map_err(|e| ApiError::requete(Some(&e.parametre), e.message))?;
    if r.ou_inconnu {
        return Err(ApiError::requete(
            Some("ou"),
            format!("commune « {} » introuvable", r.ou.unwrap_or_default()),
        ));
    }
    let (total, items): (usize, Vec<Value>) = match bbox {
        Some(b) => {
            let [sud, ouest, nord, est] = b;
            let indexes = moteur
                .dans_rectangle(sud, ouest, nord, est, &r.requete.filtres, r.requete.limit)
                .map_err(|e| ApiError::requete(Some("bbox"), e.to_string()))?;
            let centre = r.requete.centre;
            let items: Vec<Value> = indexes
                .iter()
                .filter_map(|&i| {
                    let d = centre
                        .zip(moteur.lieu_a(i).and_then(|f| f.lieu.localisation))
                        .and_then(|(c, l)| {
                            maillage_geo::Point::new(l.latitude, l.longitude)
                                .map(|p| maillage_geo::haversine_m(c, p))
                        });
                    objet(&moteur, i, d, maintenant)
                })
                .collect();
            (items.len(), items)
        }
        None => {
            let reponse = moteur
                .rechercher(&r.requete)
                .map_err(|e| ApiError::requete(None, e.to_string()))?;
            (
                reponse.total,
                reponse
                    .resultats
                    .iter()
                    .filter_map(|t| objet(&moteur, t.index, t.distance_m, maintenant))
                    .collect(),
            )
        }
    };
    if geojson {
        let corps = json!({
            "type": TypeCollection::FeatureCollection,
            "total": total,
            "features": items.into_iter().map(feature).collect::<Vec<_>>(),
        });
        return Ok((
            [(header::CONTENT_TYPE, "application/geo+json")],
            corps.to_string(),
        )
            .into_response());
    }
    Ok(Json(json!({
        "total": total,
        "offset": r.requete.offset,
        "limit": r.requete.limit,
        "items": items,
    }))
    .into_response())
}

/// One place, by its published id (`lieu-…`) or by a member's ref (`SOURCE#ID`).
#[utoipa::path(
    get,
    path = "/api/v1/lieux/{id}",
    tag = "lieux",
    params(("id" = String, Path, description = "Identifiant publié du lieu")),
    responses(
        (status = 200, description = "Le lieu", body = LieuApi),
        (status = 301, description = "Ancien identifiant d'un lieu fusionné avec un autre ou séparé : l'en-tête `Location` donne son adresse actuelle", headers(("Location" = String, description = "`/api/v1/lieux/{identifiant actuel}`"))),
        (status = 400, description = "Identifiant illisible (pas de l'UTF-8 une fois décodé)", body = ApiError),
        (status = 404, description = "Aucun lieu de cet identifiant", body = ApiError),
    )
)]
pub async fn lieu(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| {
        tracing::debug!("unreadable place id: {e}");
        ApiError::requete(
            Some("id"),
            "identifiant illisible : une fois les %XX décodés, ce n'est pas du texte UTF-8",
        )
    })?;
    let moteur = state.moteur();
    let index = match moteur.index_de(&id) {
        Some(i) => Some(i),
        None => moteur.lieux().iter().position(|f| f.membres.contains(&id)),
    };
    if index.is_none() && !id.contains('#') {
        // A former id: the place was merged into another or split.
        if let Some(courant) = crate::pages::id_deplace(&state, &moteur, &id).await {
            return Ok(crate::pages::redirection_permanente(&format!(
                "/api/v1/lieux/{}",
                crate::espace::encoder(&courant)
            )));
        }
    }
    index
        .and_then(|i| objet(&moteur, i, None, maintenant()))
        .map(|v| Json(v).into_response())
        .ok_or_else(|| ApiError::introuvable(format!("aucun lieu « {id} »")))
}

/// Communes matching a name, a postal code or an INSEE code (suggestions while typing).
#[utoipa::path(
    get,
    path = "/api/v1/communes",
    tag = "territoires",
    params(
        ("q" = String, Query, description = "Début du nom (accents et casse ignorés, « st » = saint), code postal ou code INSEE ; vide : aucune commune"),
        ("limit" = Option<usize>, Query, description = "Au plus (défaut 10, maximum 50)", maximum = 50),
    ),
    responses(
        (status = 200, description = "Les communes, la meilleure d'abord", body = Vec<Commune>),
        (status = 400, description = "Paramètre invalide", body = ApiError),
    )
)]
pub async fn communes(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<Vec<Commune>>, ApiError> {
    let p = Parametres::depuis(q.as_deref());
    if !p.0.iter().any(|(k, _)| k == "q") {
        return Err(ApiError::requete(
            Some("q"),
            "q manque : le début du nom, un code postal ou un code INSEE",
        ));
    }
    let limit = match p.nombre_brut("limit") {
        None => 10,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 50)
            .ok_or_else(|| ApiError::requete(Some("limit"), "limit : un entier de 0 à 50"))?,
    };
    let texte = p.un("q").unwrap_or("");
    Ok(Json(
        state
            .annuaire
            .referentiel()
            .rechercher(texte, limit)
            .into_iter()
            .map(|c| Commune {
                code_insee: c.code_insee.clone(),
                nom: c.nom.clone(),
                codes_postaux: c.codes_postaux.clone(),
                departement: c.code_departement.clone(),
                region: c.code_region.clone(),
                epci: c.code_epci.clone(),
                population: c.population,
                latitude: c.centre.map(|p| p.lat),
                longitude: c.centre.map(|p| p.lon),
            })
            .collect(),
    ))
}

/// The OpenAPI document, as built by [`crate::router`] from the modules' routers.
pub async fn openapi(
    axum::Extension(doc): axum::Extension<std::sync::Arc<utoipa::openapi::OpenApi>>,
) -> Response {
    match doc.to_pretty_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => ApiError::interne(e).into_response(),
    }
}
