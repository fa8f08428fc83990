//! Property-based tests of the JSON API against its own OpenAPI document, by schemathesis.
//!
//! Starts the real server in-process on 127.0.0.1:0 over a temporary SQLite database loaded
//! with the bundled real places, then runs schemathesis (pinned version [`VERSION`]) on
//! `/api/openapi.json` with every check, every phase and a fixed seed, and requires exit status
//! 0. Its output is streamed as it comes; each failure it prints comes with a `curl` line that
//! reproduces it.
//!
//! What is generated: for each operation, the coverage phase (boundary and invalid values of
//! each parameter, deterministic), then [`EXEMPLES`] random cases of valid and of invalid data
//! (fuzzing), then stateful sequences following the links between operations (a search, then
//! one of its places). The checks include: no 5xx, only documented statuses and content
//! types, bodies matching their schema, invalid parameters refused (4xx), valid ones accepted.
//! `tests/schemathesis.toml` turns one check off for one operation, with the reason.
//!
//! Needs `schemathesis` on the PATH (or `python3 -m schemathesis.cli`): `.ci/run` installs it.
//! A missing one fails the test (never a silent skip).

// Only the time-limited run of a child process is shared with the browser tests.
#[allow(dead_code)]
use crate::commun;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_web::AppState;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// The version `.ci/run` installs: options, generation and the meaning of the seed are those of
/// this version.
const VERSION: &str = "4.32.5";
/// Random test cases per operation in the fuzzing phase (the coverage phase adds its own,
/// deterministic: every parameter's boundaries and each invalid kind). 600 until the API
/// reached 17 operations (209 s of the suite's 15 min); 250 keeps the whole document fuzzed
/// as the modules add operations, within the suite's time budget.
const EXEMPLES: u32 = 250;
/// Fixed, so that a failure seen once is seen again.
const GRAINE: u32 = 20_260_124;
/// The whole run is stopped after this long.
const DUREE_MAX: Duration = Duration::from_secs(10 * 60);

/// How to launch schemathesis: its script, or the module through Python.
fn commande_schemathesis() -> Option<(Command, String)> {
    let candidats: [(&str, &[&str]); 2] = [
        ("schemathesis", &[]),
        ("python3", &["-m", "schemathesis.cli"]),
    ];
    for (programme, prefixe) in candidats {
        let sortie = Command::new(programme)
            .args(prefixe)
            .arg("--version")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        if let Ok(s) = sortie {
            if s.status.success() {
                let mut c = Command::new(programme);
                c.args(prefixe);
                return Some((c, String::from_utf8_lossy(&s.stdout).trim().to_string()));
            }
        }
    }
    None
}

/// GET through the router: status, content type, JSON body.
async fn get(state: &AppState, uri: &str) -> (StatusCode, String, Value) {
    let r = maillage_web::router(state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = r.status();
    let type_contenu = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let corps = r.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        type_contenu,
        serde_json::from_slice(&corps).unwrap_or(Value::Null),
    )
}

/// What schemathesis found once, checked directly: the generator may not draw the same input
/// again after a change of the document.
async fn trouvailles(state: &AppState) {
    let refus = |uri: &'static str, parametre: &'static str| async move {
        let (status, type_contenu, j) = get(state, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(type_contenu, "application/json", "{uri}");
        assert!(j["erreur"].is_string(), "{uri}: {j}");
        assert_eq!(j["parametre"], parametre, "{uri}");
    };
    // A moment at the end of the calendar panicked in the time-zone conversion.
    refus("/api/v1/lieux?ouvert=-262143-01-01T00:00", "ouvert").await;
    refus("/api/v1/lieux?ouvert=2101-01-01", "ouvert").await;
    // A path that is not UTF-8 once decoded got axum's text/plain 400.
    refus("/api/v1/lieux/%FF", "id").await;
    // `q` is required.
    refus("/api/v1/communes", "q").await;
    // Spaces are not a number (they used to be read as « not given »).
    refus("/api/v1/communes?q=lille&limit=%0D", "limit").await;
    refus("/api/v1/lieux?limit=%20", "limit").await;
    // An empty value is « not given », as documented (allowEmptyValue).
    let (status, _, _) = get(state, "/api/v1/lieux?services=&limit=&format=").await;
    assert_eq!(status, StatusCode::OK);
    // An offset past what the machine counts is an empty page, not a 400.
    let (status, _, j) = get(state, "/api/v1/lieux?offset=99999999999999999999999").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(j["items"], serde_json::json!([]));
    // Unknown epci or centre: the field is absent, never null.
    let (_, _, j) = get(state, "/api/v1/communes?q=D&limit=50").await;
    for c in j.as_array().expect("array") {
        for champ in ["epci", "latitude", "longitude"] {
            assert_ne!(c.get(champ), Some(&Value::Null), "{c}");
        }
    }
    // `changement` is a local date-time without offset, as documented.
    let (_, _, j) = get(state, "/api/v1/lieux?limit=50").await;
    let changements: Vec<&str> = j["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["ouverture"]["changement"].as_str())
        .collect();
    assert!(!changements.is_empty());
    assert!(changements
        .iter()
        .all(|c| c.len() == 19 && &c[10..11] == "T"));
    // GeoJSON has its own content type, documented next to application/json.
    let (status, type_contenu, j) = get(state, "/api/v1/lieux?format=geojson&limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(type_contenu, "application/geo+json");
    assert_eq!(j["type"], "FeatureCollection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_matches_its_openapi_document() {
    let Some((mut commande, version)) = commande_schemathesis() else {
        panic!(
            "\nschemathesis est introuvable (ni `schemathesis` dans le PATH, ni `python3 -m \
             schemathesis.cli`).\nInstallez-le comme .ci/run : python3 -m pip install \
             'schemathesis=={VERSION}'\nschemathesis is not installed (neither `schemathesis` on \
             the PATH nor `python3 -m schemathesis.cli`).\nInstall it as .ci/run does: python3 -m \
             pip install 'schemathesis=={VERSION}'\n"
        );
    };
    assert!(
        version.ends_with(&format!("version {VERSION}")),
        "\nschemathesis {VERSION} attendu, trouvé « {version} » : python3 -m pip install \
         'schemathesis=={VERSION}'\nschemathesis {VERSION} expected, found « {version} »: python3 \
         -m pip install 'schemathesis=={VERSION}'\n"
    );

    // An auditor's token, so the journal verification is tested past its 401.
    const JETON_AUDIT: &str = "jeton-audit-schemathesis-0123456789";
    std::env::set_var("MAILLAGE_AUDIT_JETON", JETON_AUDIT);
    let dossier = tempfile::tempdir().expect("temporary directory");
    let debut = Instant::now();
    let (base, state, serveur) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("start the server over the demo data");
    println!(
        "Serveur de test / test server: {base} (démonstration chargée en {:.1} s)",
        debut.elapsed().as_secs_f64()
    );
    trouvailles(&state).await;

    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    commande
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{base}/api/openapi.json"))
        // Every check: set in the configuration file (see there why not `--checks all`).
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--max-examples", &EXEMPLES.to_string()])
        .args(["--seed", &GRAINE.to_string()])
        // One worker: with two, schemathesis 4.32.5 cut the fuzzing of one operation short
        // (a handful of cases instead of --max-examples), and the machine has two cores only.
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["-H", &format!("Authorization: Bearer {JETON_AUDIT}")])
        // Report every failure of an operation, not only the first one.
        .arg("--continue-on-failure")
        // No example database: the same seed gives the same run, wherever it runs.
        .args(["--generation-database", "none"])
        .arg("--no-color")
        // Whatever schemathesis writes (reports, caches) goes to the temporary directory.
        .current_dir(dossier.path())
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    println!("{commande:?}");

    let debut = Instant::now();
    let statut = commun::executer_avec_limite(commande, DUREE_MAX).await;
    println!(
        "schemathesis : {:.1} s / schemathesis took {:.1} s",
        debut.elapsed().as_secs_f64(),
        debut.elapsed().as_secs_f64()
    );
    serveur.abort();

    match statut {
        None => panic!(
            "schemathesis a dépassé {} min / schemathesis timed out",
            DUREE_MAX.as_secs() / 60
        ),
        Some(s) => assert!(
            s.success(),
            "L'API ne respecte pas son document OpenAPI (voir ci-dessus) / the API does not \
             match its OpenAPI document (see above): {s}"
        ),
    }
}
