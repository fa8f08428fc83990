//! The OpenAPI document does not change by accident: it is compared with the committed
//! snapshot. After a deliberate change: `MAILLAGE_MAJ_SNAPSHOT=1 cargo test -p maillage_essais
//! --test web openapi::`, and review the diff.

use utoipa::OpenApi;

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = maillage_web::ApiDoc::openapi()
        .to_pretty_json()
        .expect("serialisable");
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
    // Every JSON route under /api/v1 is in the document: the public ones and those of the
    // signed-in space (journal verification), with their security schemes.
    let api_espace = maillage_web::espace::ROUTES
        .iter()
        .filter(|(_, chemin)| chemin.starts_with("/api/v1/"))
        .map(|(methode, chemin)| (*methode, *chemin));
    let publiques = [
        ("get", "/api/v1/territoires/{code}/indice"),
        ("get", "/api/v1/territoires/{code}/couverture"),
        ("get", "/api/v1/territoires/{code}/zones-blanches"),
        ("get", "/api/v1/territoires/{code}/plan"),
    ];
    let mut n = 0;
    for (methode, chemin) in publiques.into_iter().chain(api_espace) {
        assert!(
            v["paths"][chemin][methode].is_object(),
            "{methode} {chemin} documented"
        );
        n += 1;
    }
    assert!(n >= 5, "the space's API routes were enumerated");
    assert!(v["paths"]["/api/v1/journal/verification"]["get"]["security"].is_array());
    for schema in ["jeton_audit", "session_administrateur"] {
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
