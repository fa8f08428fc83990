//! The self-assessment's result page with a commune: what a person waits for after the
//! last question. `POST /competences` with the finished state and « Muret » goes through
//! the router over the bundled demo directory (SQLite) and computes the three next steps:
//! the places engine's query per step (nearest place offering the matching service), the
//! upcoming sessions near the commune matched to each step's theme (Événements) and the
//! voucher programmes covering it (Pass). The same request without a commune is measured
//! beside it: the difference is the orientation.
//!
//! ```text
//! cargo bench -p maillage_essais --bench orientation
//! ```

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Request};
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use scraper::{Html, Selector};
use tokio::runtime::Runtime;
use tower::ServiceExt;

fn dossier() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
}

async fn poster(app: &axum::Router, champs: &[(&str, &str)]) -> String {
    let corps: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(champs)
        .finish();
    let r = app
        .clone()
        .oneshot(
            Request::post("/competences")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(corps))
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert!(r.status().is_success(), "{}", r.status());
    let b = r.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&b).into_owned()
}

fn valeur(h: &Html, s: &str) -> Option<String> {
    h.select(&Selector::parse(s).expect("selector"))
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
}

/// Answers « Non » to every statement (first choice of practical items): a beginner,
/// whose three next steps are all there. Returns the finished state.
async fn etat_final(app: &axum::Router) -> String {
    let mut page = poster(app, &[]).await;
    loop {
        let h = Html::parse_document(&page);
        let etat = valeur(&h, "input[name=etat]").expect("state");
        let Some(question) = valeur(&h, "input[name=question]") else {
            return etat;
        };
        let choix: Vec<String> = h
            .select(&Selector::parse("input[name=reponse]").expect("selector"))
            .filter_map(|e| e.value().attr("value").map(str::to_string))
            .collect();
        let reponse = if choix.iter().any(|c| c == "n") {
            "n".to_string()
        } else {
            choix.first().cloned().expect("a choice")
        };
        page = poster(
            app,
            &[
                ("etat", &etat),
                ("question", &question),
                ("reponse", &reponse),
            ],
        )
        .await;
    }
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    std::fs::create_dir_all(dossier()).expect("bench dir");
    let fichier = dossier().join("orientation.db");
    for suffixe in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffixe}", fichier.display()));
    }
    let (app, etat) = rt.block_on(async {
        let instance = maillage_cli::stockage::ouvrir(&format!("sqlite://{}", fichier.display()))
            .await
            .expect("instance");
        instance.annuaire().charger_demo().await.expect("demo");
        // A local day near Muret, so that the Événements part has sessions to match.
        let op = instance.comptes().exploitant();
        let sessions: Vec<serde_json::Value> = [
            "Déjouer les arnaques en ligne",
            "Programmer un robot",
            "Écrire une lettre avec un traitement de texte",
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({
                "titre": t, "type": "atelier",
                "debut": format!("2035-06-12T{:02}:00:00+02:00", 9 + i),
                "fin": format!("2035-06-12T{:02}:45:00+02:00", 9 + i),
                "capacite": 10
            })
        })
        .collect();
        let json = serde_json::json!({
            "titre": "Numérique en commun(s) à Muret",
            "type": "journee_locale",
            "commune": "31395",
            "adresse": "Place de la République",
            "debut": "2035-06-12T09:00:00+02:00",
            "fin": "2035-06-12T18:00:00+02:00",
            "sessions": sessions
        })
        .to_string();
        instance
            .evenements()
            .importer(&op, &json)
            .await
            .expect("event");
        let state = maillage_web::AppState::new(instance, maillage_web::Site::default())
            .await
            .expect("state");
        let app = maillage_web::router(state);
        let etat = etat_final(&app).await;
        // The page is the one measured: three steps, a place for each.
        let page = poster(&app, &[("etat", &etat), ("commune", "Muret")]).await;
        assert_eq!(page.matches("Le plus proche").count(), 3, "{page}");
        assert!(page.contains("Un atelier sur ce sujet"));
        (app, etat)
    });
    let mut g = c.benchmark_group("competences_resultat");
    g.bench_function("avec_commune_muret", |b| {
        b.iter(|| rt.block_on(poster(&app, &[("etat", &etat), ("commune", "Muret")])));
    });
    g.bench_function("sans_commune", |b| {
        b.iter(|| rt.block_on(poster(&app, &[("etat", &etat)])));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
