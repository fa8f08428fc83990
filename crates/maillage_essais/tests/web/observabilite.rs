//! What operators see (issue « Fiabilité et exploitation », item 4): `/pret`, `/metrics` in
//! Prometheus' text format behind a token or the loopback address, a request id on every
//! answer and on every error page.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_web::observabilite::Metriques;
use maillage_web::{router, AppState, Site};
use tower::ServiceExt;

async fn etat(jeton: Option<&str>) -> AppState {
    let instance = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("instance");
    let mut state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    state.metriques = Arc::new(Metriques::avec_jeton(jeton.map(String::from)));
    // New counters: the engine is (re)built once under them, as `serve` does at start.
    state.recharger().await.expect("engine");
    state
}

struct Reponse {
    statut: StatusCode,
    id: Option<String>,
    corps: String,
}

async fn get(
    app: &axum::Router,
    chemin: &str,
    client: &str,
    autorisation: Option<&str>,
) -> Reponse {
    let adresse: SocketAddr = client.parse().expect("address");
    let mut req = Request::get(chemin).extension(ConnectInfo(adresse));
    if let Some(a) = autorisation {
        req = req.header(header::AUTHORIZATION, a);
    }
    let r = app
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).expect("request"))
        .await
        .expect("answer");
    let statut = r.status();
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let corps = r.into_body().collect().await.expect("body").to_bytes();
    Reponse {
        statut,
        id,
        corps: String::from_utf8_lossy(&corps).into_owned(),
    }
}

/// The value of the sample `nom` (with its labels, exactly) in a Prometheus text.
fn valeur(texte: &str, nom: &str) -> Option<f64> {
    texte
        .lines()
        .find_map(|l| l.strip_prefix(nom)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn observabilite_pret_dit_base_migrations_et_moteur() {
    let app = router(etat(None).await);
    let r = get(&app, "/pret", "203.0.113.9:4000", None).await;
    assert_eq!(r.statut, StatusCode::OK, "{}", r.corps);
    let v: serde_json::Value = serde_json::from_str(&r.corps).expect("json");
    assert_eq!(v["pret"], true);
    assert_eq!(v["base"], true);
    assert_eq!(v["migrations"], true);
    assert_eq!(v["moteur"], true);
}

#[tokio::test]
async fn observabilite_metriques_comptent_les_requetes_par_route_et_statut() {
    let app = router(etat(None).await);
    for _ in 0..3 {
        assert_eq!(
            get(&app, "/lieux?ou=Muret", "127.0.0.1:5000", None)
                .await
                .statut,
            StatusCode::OK
        );
    }
    assert_eq!(
        get(&app, "/n-existe-pas", "127.0.0.1:5000", None)
            .await
            .statut,
        StatusCode::NOT_FOUND
    );
    // From another address, without a token configured: refused.
    let dehors = get(&app, "/metrics", "203.0.113.9:4000", None).await;
    assert_eq!(dehors.statut, StatusCode::FORBIDDEN);
    assert!(!dehors.corps.contains("maillage_requetes_total"));

    let m = get(&app, "/metrics", "127.0.0.1:5000", None).await;
    assert_eq!(m.statut, StatusCode::OK, "{}", m.corps);
    let t = &m.corps;
    assert_eq!(
        valeur(
            t,
            r#"maillage_requetes_total{route="/lieux",methode="GET",statut="200"}"#
        ),
        Some(3.0),
        "{t}"
    );
    // The fallback (no route matched) is one label, not one per address asked.
    assert_eq!(
        valeur(
            t,
            r#"maillage_requetes_total{route="autre",methode="GET",statut="404"}"#
        ),
        Some(1.0),
        "{t}"
    );
    assert_eq!(
        valeur(
            t,
            r#"maillage_requete_duree_secondes_count{route="/lieux",methode="GET"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        valeur(
            t,
            r#"maillage_requete_duree_secondes_bucket{route="/lieux",methode="GET",le="+Inf"}"#
        ),
        Some(3.0)
    );
    assert_eq!(valeur(t, "maillage_base_joignable"), Some(1.0));
    let connues = valeur(t, r#"maillage_migrations{etat="connues"}"#).expect("known");
    assert!(connues >= 10.0, "{t}");
    assert_eq!(
        valeur(t, r#"maillage_migrations{etat="appliquees"}"#),
        Some(connues)
    );
    // The engine was built once when the state was made.
    assert_eq!(
        valeur(t, "maillage_moteur_reconstruction_secondes_count"),
        Some(1.0)
    );
    assert!(valeur(t, r#"maillage_base_connexions{etat="max"}"#).is_some_and(|n| n >= 1.0));
    // Every sample line is `name{labels} number` or `name number`.
    for l in t.lines().filter(|l| !l.starts_with('#')) {
        let (_, nombre) = l.rsplit_once(' ').expect("sample");
        assert!(nombre.parse::<f64>().is_ok(), "{l}");
    }
}

#[tokio::test]
async fn observabilite_metriques_derriere_un_jeton() {
    let app = router(etat(Some("s3cret-jeton")).await);
    // With a token configured, the loopback address is not enough.
    assert_eq!(
        get(&app, "/metrics", "127.0.0.1:5000", None).await.statut,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/metrics", "127.0.0.1:5000", Some("Bearer autre"))
            .await
            .statut,
        StatusCode::FORBIDDEN
    );
    let r = get(
        &app,
        "/metrics",
        "203.0.113.9:4000",
        Some("Bearer s3cret-jeton"),
    )
    .await;
    assert_eq!(r.statut, StatusCode::OK);
    assert!(r.corps.contains("# TYPE maillage_requetes_total counter"));
}

#[tokio::test]
async fn observabilite_chaque_page_d_erreur_porte_l_id_de_la_requete() {
    let app = router(etat(None).await);
    let a = get(&app, "/lieux/n-existe-pas", "203.0.113.9:4000", None).await;
    let b = get(&app, "/lieux/n-existe-pas", "203.0.113.9:4000", None).await;
    assert_eq!(a.statut, StatusCode::NOT_FOUND);
    let (ida, idb) = (a.id.expect("id a"), b.id.expect("id b"));
    assert_ne!(ida, idb, "one id per request");
    assert!(
        a.corps.contains(&format!("<code>{ida}</code>")),
        "the error page quotes its id: {}",
        a.corps
    );
    // A page that is not an error carries the header too.
    let ok = get(&app, "/", "203.0.113.9:4000", None).await;
    assert_eq!(ok.statut, StatusCode::OK);
    assert!(ok.id.is_some());
    assert!(!ok.corps.contains("Référence de cette page"));
}
