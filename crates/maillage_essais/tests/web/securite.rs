//! Hardened responses: every page the router serves, fetched anonymously, carries the
//! security headers, and its Content-Security-Policy allows no inline code but its own
//! blocks, by hash (issue « Fiabilité et exploitation », item 5).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine as _;
use http_body_util::BodyExt;
use maillage_web::router;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// Every GET route, its parameters made concrete (unknown ids answer 404 pages, which must
/// carry the headers too).
fn chemins() -> Vec<String> {
    let mut v: Vec<String> = maillage_web::routes()
        .into_iter()
        .filter(|r| r.methode == axum::http::Method::GET)
        .map(|r| {
            r.chemin
                .replace("{territoire}", "dep:31")
                .replace("{code}", "commune:31555")
                .replace("{*chemin}", "maillage.css")
                .replace("{jeton}", "jeton-inconnu")
                .replace("{id}", "1")
        })
        .collect();
    // Pages with their usual queries, and the quiz's real code.
    v.extend(
        [
            "/lieux?ou=Muret",
            "/carte?ou=Muret",
            "/widget?ou=Muret",
            "/competences/quiz/arnaques?kiosque=1",
            "/territoires/dep:31",
            "/cette-page-n-existe-pas",
        ]
        .map(String::from),
    );
    v
}

fn inline(html: &str, balise: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (o, f) = (format!("<{balise}"), format!("</{balise}>"));
    let mut reste = html;
    while let Some(d) = reste.find(&o) {
        let apres = &reste[d + o.len()..];
        if !apres.starts_with(['>', ' ']) {
            reste = apres;
            continue;
        }
        let fin_tag = apres.find('>').expect("tag end");
        let attributs = &apres[..fin_tag];
        let suite = &apres[fin_tag + 1..];
        let fin = suite.find(&f).expect("closing tag");
        if !attributs.contains("src=") && !attributs.contains("ld+json") && fin > 0 {
            out.push(suite[..fin].to_string());
        }
        reste = &suite[fin..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_en_tetes_de_securite_sur_chaque_page() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let mut pages = 0;
    let mut blocs = 0;
    for chemin in chemins() {
        let r = router(state.clone())
            .oneshot(
                Request::get(chemin.as_str())
                    .body(Body::empty())
                    .expect("req"),
            )
            .await
            .expect("infallible");
        let h = r.headers().clone();
        let corps = r.into_body().collect().await.expect("body").to_bytes();
        let texte = String::from_utf8_lossy(&corps);
        let valeur = |n: header::HeaderName| {
            h.get(&n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .unwrap_or_default()
        };
        assert_eq!(
            valeur(header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{chemin}"
        );
        assert!(
            ["strict-origin-when-cross-origin", "no-referrer"]
                .contains(&valeur(header::REFERRER_POLICY).as_str()),
            "{chemin}"
        );
        assert!(
            valeur(header::HeaderName::from_static("permissions-policy")).contains("microphone=()"),
            "{chemin}"
        );
        // The test instance's public address is http: no HSTS.
        assert!(
            h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "{chemin}"
        );
        if !valeur(header::CONTENT_TYPE).starts_with("text/html") {
            continue;
        }
        pages += 1;
        let csp = valeur(header::CONTENT_SECURITY_POLICY);
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{chemin}: {csp}"
        );
        assert!(
            csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"),
            "{chemin}"
        );
        let embarquee = chemin.contains("widget");
        if embarquee {
            assert!(csp.contains("frame-ancestors *"), "{chemin}: {csp}");
            assert!(h.get(header::X_FRAME_OPTIONS).is_none(), "{chemin}");
        } else {
            assert!(csp.contains("frame-ancestors 'none'"), "{chemin}: {csp}");
            assert_eq!(valeur(header::X_FRAME_OPTIONS), "DENY", "{chemin}");
        }
        // Every inline script and style of the page is allowed by its own hash, in its
        // own directive; no inline event handler.
        for (balise, directive) in [("script", "script-src"), ("style", "style-src")] {
            let liste = csp
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with(directive))
                .unwrap_or("")
                .to_string();
            for bloc in inline(&texte, balise) {
                blocs += 1;
                let empreinte = format!(
                    "'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bloc))
                );
                assert!(
                    liste.contains(&empreinte),
                    "{chemin}: {balise} not allowed by {liste}"
                );
            }
        }
        for attribut in [" onclick=", " onload=", " onsubmit=", "javascript:"] {
            assert!(!texte.contains(attribut), "{chemin}: {attribut}");
        }
    }
    assert!(pages >= 15, "{pages} pages checked");
    assert!(blocs >= 5, "{blocs} inline blocks checked");

    // security.txt (RFC 9116).
    let r = router(state.clone())
        .oneshot(
            Request::get("/.well-known/security.txt")
                .body(Body::empty())
                .expect("req"),
        )
        .await
        .expect("infallible");
    assert_eq!(r.status(), StatusCode::OK);
    let texte = String::from_utf8_lossy(&r.into_body().collect().await.expect("body").to_bytes())
        .into_owned();
    assert!(texte.lines().any(|l| l.starts_with("Contact: ")), "{texte}");
    assert!(
        texte.lines().any(|l| l.starts_with("Expires: 20")),
        "{texte}"
    );
}
