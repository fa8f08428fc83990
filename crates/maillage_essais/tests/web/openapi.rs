//! The OpenAPI document does not change by accident: the whole document served at
//! `/api/openapi.json` (built from the modules' routers) is compared with the committed
//! snapshot. After a deliberate change: `MAILLAGE_MAJ_SNAPSHOT=1 cargo test -p maillage_essais
//! --test web openapi::`, and review the diff.

use super::http::{envoyer, requete};
use axum::http::{header, StatusCode};
use maillage_web::{AppState, Site};

#[tokio::test]
async fn openapi_document_matches_the_snapshot() {
    let instance = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let r = envoyer(&state, requete("GET", "/api/openapi.json", None, None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.entetes
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let doc = r.corps;
    // The served document is the one the library gives.
    assert_eq!(
        doc,
        maillage_web::openapi()
            .to_pretty_json()
            .expect("serialisable")
    );
    let v: serde_json::Value = serde_json::from_str(&doc).expect("json");
    assert_eq!(v["openapi"], "3.1.0");
    for chemin in ["/api/v1/lieux", "/api/v1/lieux/{id}", "/api/v1/communes"] {
        assert!(v["paths"][chemin]["get"].is_object(), "{chemin} documented");
    }
    let params: Vec<&str> = v["paths"]["/api/v1/lieux"]["get"]["parameters"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    for p in [
        "ou",
        "lat",
        "lon",
        "rayon_km",
        "bbox",
        "services",
        "commune",
        "epci",
        "departement",
        "region",
        "ouvert",
        "limit",
        "format",
    ] {
        assert!(params.contains(&p), "parameter {p} documented");
    }
    // Every JSON route under /api/v1 of every module's router is in the document: the public
    // ones and those of the signed-in space (journal verification), with their security
    // schemes.
    let mut n = 0;
    for route in maillage_web::routes() {
        if !route.chemin.starts_with("/api/v1/") {
            continue;
        }
        let methode = route.methode.as_str().to_lowercase();
        assert!(
            v["paths"][&route.chemin][&methode].is_object(),
            "{methode} {} documented",
            route.chemin
        );
        n += 1;
    }
    assert_eq!(n, 20, "the API routes of every module were enumerated");
    let documentes: usize = v["paths"]
        .as_object()
        .map(|p| {
            p.values()
                .filter_map(|m| m.as_object())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or_default();
    assert_eq!(documentes, n, "every documented operation is a route");
    assert!(v["paths"]["/api/v1/journal/verification"]["get"]["security"].is_array());
    assert!(v["paths"]["/api/v1/pass/{code}/utilisation"]["post"]["security"].is_array());
    assert!(v["paths"]["/api/v1/evenements/{id}/pointages"]["post"]["security"].is_array());
    for schema in [
        "jeton_audit",
        "session_administrateur",
        "cle_api_lieu",
        "session_accueil",
    ] {
        assert!(
            v["components"]["securitySchemes"][schema].is_object(),
            "{schema}"
        );
    }
    let fichier = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    if std::env::var_os("MAILLAGE_MAJ_SNAPSHOT").is_some() {
        std::fs::write(fichier, format!("{doc}\n")).expect("write snapshot");
    }
    let attendu = std::fs::read_to_string(fichier).unwrap_or_default();
    assert_eq!(
        attendu.trim_end(),
        doc.trim_end(),
        "OpenAPI changed: review and update the snapshot (MAILLAGE_MAJ_SNAPSHOT=1)"
    );
}
