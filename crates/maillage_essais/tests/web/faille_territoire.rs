//! Issue « Failles », item 3: the territory API cannot be made to use memory without bound.
//! Its answers are pages (limit/offset, bounded), compact, cached, and at most
//! `CALCULS_LOURDS_MAX` heavy ones are computed at once (beyond: 503 with Retry-After, in
//! French). Its own test binary: the saturation test holds a process-wide semaphore.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_web::{router, AppState, Site};
use serde_json::Value;
use tower::ServiceExt;

async fn etat() -> AppState {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    AppState::new(annuaire, Site::default())
        .await
        .expect("state")
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let r = router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = r.status();
    let entetes = r.headers().clone();
    let corps = r
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    (status, entetes, corps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_api_territoire_paginee_compacte_et_bornee() {
    let state = etat().await;
    let communes = maillage_territoire::Referentiel::embedded()
        .communes_of_territoire(&maillage_territoire::Territoire::France)
        .len();

    // France: a page of 1,000 communes, not 39.7 MB of pretty-printed JSON.
    let (status, entetes, corps) = get(&state, "/api/v1/territoires/fr/indice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entetes[header::CONTENT_TYPE], "application/json");
    assert!(corps.len() < 2_000_000, "{} bytes", corps.len());
    assert!(!corps.contains(&b'\n'), "compact JSON");
    let v: Value = serde_json::from_slice(&corps).expect("json");
    assert_eq!(v["total"].as_u64(), Some(communes as u64));
    assert_eq!(
        v["limit"].as_u64(),
        Some(maillage_web::LIMITE_API_DEFAUT as u64)
    );
    assert_eq!(v["offset"].as_u64(), Some(0));
    let page1 = v["communes"].as_array().expect("communes");
    assert_eq!(page1.len(), maillage_web::LIMITE_API_DEFAUT);
    assert!(v["agregat"]["population_fragile"].as_f64().is_some());

    // The same request again: the same bytes (served from the cache).
    let (_, _, encore) = get(&state, "/api/v1/territoires/fr/indice").await;
    assert_eq!(encore, corps);

    // The next page follows; the last one is short; past the end, empty.
    let (_, _, corps) = get(&state, "/api/v1/territoires/fr/indice?limit=2&offset=1").await;
    let v: Value = serde_json::from_slice(&corps).expect("json");
    let page2 = v["communes"].as_array().expect("communes");
    assert_eq!(page2.len(), 2);
    assert_eq!(page2[0]["code_insee"], page1[1]["code_insee"]);
    let fin = format!(
        "/api/v1/territoires/fr/indice?limit=5000&offset={}",
        communes - 3
    );
    let (_, _, corps) = get(&state, &fin).await;
    let v: Value = serde_json::from_slice(&corps).expect("json");
    assert_eq!(v["communes"].as_array().map(Vec::len), Some(3));
    let (status, _, corps) = get(
        &state,
        "/api/v1/territoires/fr/indice?offset=99999999999999999999999",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&corps).expect("json");
    assert_eq!(v["communes"], serde_json::json!([]));

    // Beyond the maximum, or not a number: a French 400 naming the parameter.
    for (uri, parametre) in [
        ("/api/v1/territoires/fr/indice?limit=5001", "limit"),
        ("/api/v1/territoires/fr/indice?limit=0", "limit"),
        ("/api/v1/territoires/fr/couverture?limit=abc", "limit"),
        ("/api/v1/territoires/fr/zones-blanches?offset=-1", "offset"),
    ] {
        let (status, _, corps) = get(&state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let v: Value = serde_json::from_slice(&corps).expect("json");
        assert_eq!(v["parametre"], parametre, "{uri}");
        assert!(v["erreur"]
            .as_str()
            .is_some_and(|e| e.contains("nombre entier")));
    }

    // Coverage and zones blanches are pages too.
    let (status, _, corps) = get(&state, "/api/v1/territoires/fr/couverture?limit=10").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&corps).expect("json");
    assert_eq!(v["communes"].as_array().map(Vec::len), Some(10));
    assert_eq!(v["total"].as_u64(), Some(communes as u64));
    let (status, _, corps) = get(&state, "/api/v1/territoires/fr/zones-blanches?limit=10").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&corps).expect("json");
    assert!(v["zones_blanches"]
        .as_array()
        .is_some_and(|z| z.len() <= 10));
    assert!(v["total"].as_u64().is_some());

    // Saturated: every heavy-computation permit is taken; a request not in the cache gets a
    // 503 at once, in French, with Retry-After; a cached one is still served.
    let garde = maillage_web::occuper_calculs_lourds_pour_tests().await;
    let (status, entetes, corps) = get(&state, "/api/v1/territoires/dep:31/indice?limit=7").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(entetes
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| s > 0));
    let v: Value = serde_json::from_slice(&corps).expect("json");
    assert!(
        v["erreur"]
            .as_str()
            .is_some_and(|e| e.contains("réessayez")),
        "{v}"
    );
    let (status, entetes, _) = get(&state, "/territoires/dep:31/indice.csv").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(entetes.contains_key(header::RETRY_AFTER));
    let (status, _, _) = get(&state, "/api/v1/territoires/fr/indice").await;
    assert_eq!(status, StatusCode::OK, "cached answers need no permit");
    drop(garde);
    let (status, _, _) = get(&state, "/api/v1/territoires/dep:31/indice?limit=7").await;
    assert_eq!(status, StatusCode::OK);
}
