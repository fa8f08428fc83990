//! Export of the merged directory built from the bundled demo data: the national CSV passes
//! `frictionless validate` against schema v1.0.2, JSON and GeoJSON are complete, and the CSV
//! re-imports as v1-csv without loss.

use maillage_annuaire::annuaire::{Annuaire, DemandeImport};
use maillage_annuaire::export::FormatExport;
use maillage_annuaire::import::Format;
use std::path::PathBuf;
use std::process::Command;

async fn annuaire_demo() -> Annuaire {
    let annuaire = crate::ouvrir("sqlite::memory:").await.expect("open");
    let (resultats, fusion) = annuaire.charger_demo().await.expect("demo");
    assert_eq!(resultats.len(), 5);
    assert_eq!(
        resultats.iter().map(|r| r.rapport.acceptes).sum::<usize>(),
        fusion.enregistrements
    );
    assert!(fusion.groupes_doublons > 500);
    annuaire
}

#[tokio::test]
async fn exports_pass_the_national_schema_and_round_trip() {
    let annuaire = annuaire_demo().await;
    let publies = annuaire.lieux_publies(None).await.expect("lieux").len();
    assert!(publies > 6000, "{publies} published places");

    let (csv, n) = annuaire
        .exporter(FormatExport::Csv, None)
        .await
        .expect("csv");
    assert_eq!(n, publies);
    let dir = std::env::temp_dir().join(format!("maillage-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("lieux.csv");
    std::fs::write(&path, &csv).expect("write csv");

    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/standards/lieux-mediation-numerique/schema-v1.0.2.json");
    let out = Command::new("frictionless")
        .arg("validate")
        .arg("--trusted")
        .arg("--json")
        .arg("--schema")
        .arg(&schema)
        .arg(&path)
        .output()
        .expect("frictionless must be installed (pip install frictionless; .ci/run does it)");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("frictionless JSON report");
    let erreurs = report["tasks"][0]["errors"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(
        report["valid"],
        serde_json::Value::Bool(true),
        "{:#}",
        report["tasks"][0]["errors"]
    );
    assert_eq!(erreurs, 0);
    assert_eq!(
        report["tasks"][0]["stats"]["rows"].as_u64(),
        Some(publies as u64)
    );

    // JSON: one object per place, required fields present.
    let (json, _) = annuaire
        .exporter(FormatExport::Json, None)
        .await
        .expect("json");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json");
    let items = v.as_array().expect("array");
    assert_eq!(items.len(), publies);
    for champ in [
        "id",
        "pivot",
        "nom",
        "commune",
        "code_postal",
        "adresse",
        "date_maj",
    ] {
        assert!(
            items.iter().all(|o| o.get(champ).is_some()),
            "{champ} missing somewhere"
        );
    }

    // GeoJSON: a feature per place, points in lon/lat order.
    let (geo, _) = annuaire
        .exporter(FormatExport::GeoJson, None)
        .await
        .expect("geojson");
    let g: serde_json::Value = serde_json::from_slice(&geo).expect("geojson");
    let features = g["features"].as_array().expect("features");
    assert_eq!(features.len(), publies);
    let toulouse = features
        .iter()
        .find(|f| f["properties"]["code_insee"] == "31555" && f["geometry"].is_object())
        .expect("a place in Toulouse");
    let lon = toulouse["geometry"]["coordinates"][0]
        .as_f64()
        .expect("lon");
    assert!((1.3..1.6).contains(&lon), "longitude first: {lon}");

    // The CSV is a valid v1-csv input: re-imported into a fresh store, nothing is rejected.
    let autre = crate::ouvrir("sqlite::memory:").await.expect("open");
    let r = autre
        .importer(DemandeImport {
            source: "export".into(),
            format: None,
            nom_fichier: "lieux.csv".into(),
            contenu: csv,
        })
        .await
        .expect("re-import");
    assert_eq!(r.format, Format::V1Csv);
    assert_eq!((r.rapport.lus, r.rapport.rejetes), (publies, 0));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn export_by_territory_keeps_only_its_places() {
    let annuaire = annuaire_demo().await;
    let referentiel = annuaire.referentiel();
    for (t, prefixe) in [("dep:59", "59"), ("reg:32", ""), ("commune:31555", "31555")] {
        let territoire = referentiel.territoire(t).expect("territoire");
        let lieux = annuaire
            .lieux_publies(Some(&territoire))
            .await
            .expect("lieux");
        assert!(!lieux.is_empty(), "{t} has places");
        for f in &lieux {
            let code = f.lieu.code_insee.as_ref().expect("code insee").to_string();
            assert!(code.starts_with(prefixe), "{t}: {code}");
            assert!(territoire.contient(&code));
        }
    }
    let hdf = referentiel.territoire("reg:32").expect("reg:32");
    let (csv, n) = annuaire
        .exporter(FormatExport::Csv, Some(&hdf))
        .await
        .expect("csv");
    let rows = csv::Reader::from_reader(csv.as_slice()).records().count();
    assert_eq!(rows, n);
}
