//! The territory pages, black box: the bundled demo directory in a temporary SQLite
//! database, requests through the router, HTML read with CSS selectors, downloads parsed,
//! and every figure compared with what `maillage_app::territoire` computes.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_app::territoire as t;
use maillage_territoire::indice::Configuration;
use maillage_territoire::Referentiel;
use maillage_web::{router, AppState};
use scraper::{Html, Selector};
use serde_json::Value;
use std::time::Instant;
use tower::ServiceExt;

struct Reponse {
    status: StatusCode,
    entetes: axum::http::HeaderMap,
    corps: Vec<u8>,
}

impl Reponse {
    fn html(&self) -> Html {
        Html::parse_document(&String::from_utf8_lossy(&self.corps))
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.corps).unwrap_or(Value::Null)
    }
    fn entete(&self, nom: header::HeaderName) -> String {
        self.entetes
            .get(nom)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

async fn get(state: &AppState, uri: &str) -> Reponse {
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
    Reponse {
        status,
        entetes,
        corps,
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn textes(h: &Html, s: &str) -> Vec<String> {
    h.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn compte(h: &Html, s: &str) -> usize {
    h.select(&sel(s)).count()
}

/// `6,21`: the index as the page shows it.
fn decimal(v: f64) -> String {
    format!("{v:.2}").replace('.', ",")
}

fn lire_csv(octets: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(octets);
    let entetes = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let lignes = r
        .records()
        .map(|l| l.expect("row").iter().map(str::to_string).collect())
        .collect();
    (entetes, lignes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_territory_pages_on_real_places() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = maillage_web::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let lieux = t::points_lieux(state.moteur().lieux());
    let indice = t::indice(&t::territoire("fr").expect("fr"), &Configuration::deciles());

    choisir_un_territoire(&state).await;
    departement(&state, &lieux, &indice).await;
    tournee(&state).await;
    telechargements(&state, &lieux, &indice).await;
    api(&state, &lieux, &indice).await;
    erreurs(&state).await;
    france_et_region(&state).await;
}

async fn choisir_un_territoire(state: &AppState) {
    let r = get(state, "/territoires").await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert_eq!(compte(&h, "form[action='/territoires'] input#q[name=q]"), 1);
    let regions = textes(&h, "table.regions tbody th a");
    assert_eq!(regions.len(), 18, "{regions:?}");
    assert!(regions.contains(&"Occitanie".to_string()));
    assert_eq!(compte(&h, "table caption"), 1);

    // A code, a name with one match, a département number: straight to the page.
    for (q, attendu) in [
        ("dep:31", "/territoires/dep:31"),
        ("Haute-Garonne", "/territoires/dep:31"),
        ("Occitanie", "/territoires/reg:76"),
        ("31", "/territoires/dep:31"),
        ("toulouse", "/territoires/commune:31555"),
        ("Toulouse Métropole", "/territoires/epci:243100518"),
        ("sicoval", "/territoires/epci:243100633"),
    ] {
        let q_url: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let r = get(state, &format!("/territoires?q={q_url}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{q}");
        assert_eq!(r.entete(header::LOCATION), attendu, "{q}");
    }
    // Several matches: a list.
    let r = get(state, "/territoires?q=toulou").await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    let liens: Vec<String> = h
        .select(&sel("main section ul a"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(
        liens.contains(&"/territoires/commune:31555".to_string()),
        "{liens:?}"
    );
    assert!(
        liens.contains(&"/territoires/epci:243100518".to_string()),
        "{liens:?}"
    );
    // The hyphen form redirects to the colon form.
    let r = get(state, "/territoires/dep-31?rayon_km=5").await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.entete(header::LOCATION), "/territoires/dep:31?rayon_km=5");
}

async fn departement(state: &AppState, lieux: &t::LieuxCouverture, indice: &t::ResultatIndice) {
    let debut = Instant::now();
    let r = get(state, "/territoires/dep:31").await;
    let premiere = debut.elapsed();
    assert_eq!(r.status, StatusCode::OK);
    let debut = Instant::now();
    let r = get(state, "/territoires/dep:31").await;
    eprintln!(
        "dep:31: first {:.0} ms (coverage computed), then {:.0} ms, {} bytes of HTML",
        premiere.as_secs_f64() * 1e3,
        debut.elapsed().as_secs_f64() * 1e3,
        r.corps.len()
    );
    let h = r.html();
    assert_eq!(textes(&h, "h1"), vec!["Haute-Garonne (département 31)"]);

    // The map: one dot per commune (all have a centre), places as another shape, a title.
    let referentiel = Referentiel::embedded();
    let territoire = t::territoire("dep:31").expect("dep:31");
    let communes = referentiel.communes_of_territoire(&territoire);
    assert!(communes.len() > 500);
    let avec_centre = communes.iter().filter(|c| c.centre.is_some()).count();
    assert_eq!(
        compte(&h, "svg.carte-territoire[role=img] g.communes circle"),
        avec_centre
    );
    assert_eq!(compte(&h, "svg.carte-territoire > title#carte-titre"), 1);
    assert_eq!(compte(&h, "svg.carte-territoire path.lieux"), 1);
    assert_eq!(
        compte(&h, "svg.carte-territoire g.arrets"),
        0,
        "no plan asked"
    );
    assert!(textes(&h, "figcaption#carte-resume")[0].contains("communes"));

    // The table of communes: every commune, the index as computed.
    let lignes = compte(&h, "table.communes tbody tr");
    assert_eq!(lignes, communes.len());
    for code in ["31555", "31069", "31395", "31483"] {
        let attendu = indice
            .indice
            .commune(code)
            .and_then(|c| c.indice)
            .map(decimal)
            .unwrap_or_else(|| "—".into());
        let vu = textes(
            &h,
            &format!("table.communes tr[data-code='{code}'] td.indice"),
        );
        assert_eq!(vu, vec![attendu], "commune {code}");
    }

    // Distribution: ten bars, and the table next to them sums to the communes with index.
    assert_eq!(compte(&h, "svg.histogramme[role=img] rect"), 10);
    let par_decile: usize = textes(&h, "table.deciles tbody td:nth-child(3)")
        .iter()
        .map(|s| s.parse::<usize>().expect("count"))
        .sum();
    let avec_indice = indice
        .indice
        .communes_de(&territoire)
        .filter(|c| c.indice.is_some())
        .count();
    assert_eq!(par_decile, avec_indice);
    assert_eq!(
        compte(&h, "table.scores tbody tr"),
        6,
        "indicators of non-zero weight"
    );

    // Coverage: the three thresholds, as computed.
    let couverture = t::couverture(&territoire, lieux, &indice.indice);
    let seuils = textes(&h, "table.couverture tbody th");
    assert_eq!(seuils, vec!["5 km", "10 km", "20 km"]);
    let populations: Vec<String> = textes(&h, "table.couverture tbody td:nth-child(3)")
        .iter()
        .map(|s| s.replace('\u{202f}', ""))
        .collect();
    let attendu: Vec<String> = couverture
        .resume
        .au_dela
        .iter()
        .map(|a| a.population.to_string())
        .collect();
    assert_eq!(populations, attendu);
    assert_eq!(
        compte(&h, "table.criteres tbody tr"),
        1 + couverture.codes_criteres.len()
    );

    // Zones blanches: the count, and the first ones in order.
    let zones = couverture.zones_blanches(10.0);
    let resume = textes(&h, "#zones-blanches p strong");
    assert_eq!(resume[0], format!("{} communes", zones.len()));
    let codes: Vec<String> = h
        .select(&sel("table.zones tbody tr"))
        .filter_map(|e| e.value().attr("data-code").map(str::to_string))
        .collect();
    let attendus: Vec<String> = zones
        .iter()
        .take(50)
        .map(|z| z.code_insee.to_string())
        .collect();
    assert_eq!(codes, attendus);
    assert_eq!(
        compte(&h, "table.zones th[aria-sort=descending]"),
        1,
        "sorted by fragile population"
    );
    // Sorted by distance.
    let r = get(state, "/territoires/dep:31?tri=distance").await;
    let h = r.html();
    let distances: Vec<f64> = textes(&h, "table.zones tbody td:nth-child(5)")
        .iter()
        .filter_map(|s| s.trim_end_matches(" km").replace(',', ".").parse().ok())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] >= w[1]), "{distances:?}");
    // Per service, on a 5 km radius.
    let r = get(
        state,
        "/territoires/dep:31?rayon_km=5&service=demarches_administratives",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert!(textes(&h, "#zones-blanches p")
        .iter()
        .any(|p| p.contains("à plus de 5 km d'un lieu « Aide aux démarches administratives »")));

    // Tables have captions and scoped headers; charts are images with a title.
    let tables = compte(&h, "main table");
    assert_eq!(compte(&h, "main table > caption"), tables);
    assert_eq!(
        compte(&h, "main th:not([scope])"),
        0,
        "every header has a scope"
    );
    for svg in h.select(&sel("main svg[role=img]")) {
        assert!(svg.value().attr("aria-labelledby").is_some());
    }
}

async fn tournee(state: &AppState) {
    let debut = Instant::now();
    let r = get(state, "/territoires/epci:243100633?arrets=3&rayon_km=10").await;
    eprintln!(
        "epci:243100633 with a plan of 3 stops: {:.0} ms",
        debut.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert_eq!(compte(&h, "table.arrets tbody tr"), 3);
    assert_eq!(compte(&h, "svg.carte-territoire g.arrets g.arret"), 3);
    assert_eq!(
        textes(&h, "svg.carte-territoire g.arret text"),
        vec!["1", "2", "3"]
    );
    assert!(textes(&h, "#tournee p")
        .iter()
        .any(|p| p.starts_with("Écart d'optimalité")));
    assert_eq!(
        h.select(&sel("form input#arrets"))
            .filter_map(|e| e.value().attr("value"))
            .collect::<Vec<_>>(),
        vec!["3"]
    );
    // The CSV of the same plan lists the same stops.
    let codes: Vec<String> = h
        .select(&sel("table.arrets tbody tr"))
        .filter_map(|e| e.value().attr("data-code").map(str::to_string))
        .collect();
    let r = get(
        state,
        "/territoires/epci:243100633/plan.csv?arrets=3&rayon_km=10",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let (entetes, lignes) = lire_csv(&r.corps);
    assert_eq!(entetes[1], "code_insee");
    assert_eq!(
        lignes.iter().map(|l| l[1].clone()).collect::<Vec<_>>(),
        codes
    );
    assert!(r
        .entete(header::CONTENT_DISPOSITION)
        .contains("tournee-epci-243100633-3-arrets-10km.csv"));
}

async fn telechargements(state: &AppState, lieux: &t::LieuxCouverture, indice: &t::ResultatIndice) {
    let territoire = t::territoire("dep:31").expect("dep:31");
    let r = get(state, "/territoires/dep:31/indice.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.entete(header::CONTENT_TYPE).starts_with("text/csv"));
    assert_eq!(
        r.entete(header::CONTENT_DISPOSITION),
        "attachment; filename=\"indice-dep-31.csv\""
    );
    let (entetes, lignes) = lire_csv(&r.corps);
    for c in [
        "code_insee",
        "nom",
        "indice",
        "distance_km",
        "population_fragile",
    ] {
        assert!(entetes.iter().any(|e| e == c), "column {c} in {entetes:?}");
    }
    let col = |nom: &str| entetes.iter().position(|e| e == nom).expect("column");
    let communes = Referentiel::embedded().communes_of_territoire(&territoire);
    assert_eq!(lignes.len(), communes.len());
    let toulouse = lignes
        .iter()
        .find(|l| l[col("code_insee")] == "31555")
        .expect("Toulouse");
    let attendu = indice
        .indice
        .commune("31555")
        .and_then(|c| c.indice)
        .expect("index");
    let vu: f64 = toulouse[col("indice")].parse().expect("number");
    assert!((vu - attendu).abs() < 1e-3);

    let r = get(state, "/territoires/dep:31/indice.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.starts_with(b"PK"), "XLSX is a ZIP");
    assert!(r
        .entete(header::CONTENT_DISPOSITION)
        .contains("indice-dep-31.xlsx"));

    let couverture = t::couverture(&territoire, lieux, &indice.indice);
    let zones = couverture.zones_blanches(10.0);
    let r = get(state, "/territoires/dep:31/zones-blanches.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    let (entetes, lignes) = lire_csv(&r.corps);
    assert_eq!(entetes[1], "code_insee");
    assert_eq!(lignes.len(), zones.len());
    let r = get(state, "/territoires/dep:31/zones-blanches.xlsx?rayon_km=5").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.starts_with(b"PK"));
    assert!(r
        .entete(header::CONTENT_DISPOSITION)
        .contains("zones-blanches-dep-31-5km.xlsx"));
}

async fn api(state: &AppState, lieux: &t::LieuxCouverture, indice: &t::ResultatIndice) {
    let territoire = t::territoire("dep:31").expect("dep:31");
    let r = get(state, "/api/v1/territoires/dep:31/indice").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["territoire"], "dep:31");
    let communes = v["communes"].as_array().expect("communes");
    let toulouse = communes
        .iter()
        .find(|c| c["code_insee"] == "31555")
        .expect("Toulouse");
    let attendu = indice
        .indice
        .commune("31555")
        .and_then(|c| c.indice)
        .expect("index");
    assert!((toulouse["indice"].as_f64().unwrap_or(0.0) - attendu).abs() < 1e-9);

    let couverture = t::couverture(&territoire, lieux, &indice.indice);
    let r = get(state, "/api/v1/territoires/dep%3A31/couverture").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(
        v["resume"]["au_dela"][1]["population"].as_u64(),
        Some(couverture.resume.au_dela[1].population)
    );
    let r = get(
        state,
        "/api/v1/territoires/dep:31/zones-blanches?rayon_km=10",
    )
    .await;
    assert_eq!(
        r.json()["zones_blanches"].as_array().map(Vec::len),
        Some(couverture.zones_blanches(10.0).len())
    );
    let r = get(
        state,
        "/api/v1/territoires/epci:243100633/plan?arrets=3&rayon_km=10",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["arrets"].as_array().map(Vec::len), Some(3));
    let r = get(state, "/api/v1/territoires/epci:243100633/plan?arrets=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["parametre"], "arrets");
    let r = get(state, "/api/v1/territoires/dep:999/indice").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["erreur"]
        .as_str()
        .unwrap_or("")
        .contains("n'existe pas"));
}

async fn erreurs(state: &AppState) {
    for (uri, statut, texte) in [
        (
            "/territoires/epci:243100633?arrets=0",
            StatusCode::BAD_REQUEST,
            "au moins un arrêt",
        ),
        (
            "/territoires/epci:243100633?arrets=999",
            StatusCode::BAD_REQUEST,
            "au plus 50 arrêts",
        ),
        (
            "/territoires/dep:31?rayon_km=abc",
            StatusCode::BAD_REQUEST,
            "n'est pas valable",
        ),
        (
            "/territoires/dep:31?service=inconnu",
            StatusCode::BAD_REQUEST,
            "est inconnu",
        ),
        (
            "/territoires/fr?arrets=5",
            StatusCode::BAD_REQUEST,
            "limité aux territoires",
        ),
        (
            "/territoires/dep:999",
            StatusCode::NOT_FOUND,
            "n'existe pas",
        ),
        (
            "/territoires/atlantide",
            StatusCode::NOT_FOUND,
            "n'existe pas",
        ),
        (
            "/territoires/dep:999/indice.csv",
            StatusCode::NOT_FOUND,
            "n'existe pas",
        ),
        (
            "/territoires/dep:31/plan.csv?arrets=999",
            StatusCode::BAD_REQUEST,
            "au plus 50 arrêts",
        ),
    ] {
        let r = get(state, uri).await;
        assert_eq!(r.status, statut, "{uri}");
        assert!(
            r.entete(header::CONTENT_TYPE).starts_with("text/html"),
            "{uri}"
        );
        let h = r.html();
        assert!(
            textes(&h, "main").join(" ").contains(texte),
            "{uri}: {}",
            textes(&h, "main").join(" ")
        );
        assert_eq!(textes(&h, "html").len(), 1);
    }
    // The planner's error is shown at its field.
    let h = get(state, "/territoires/epci:243100633?arrets=0")
        .await
        .html();
    assert_eq!(compte(&h, "input#arrets[aria-invalid=true]"), 1);
    assert_eq!(compte(&h, "p#erreur-arrets"), 1);
}

async fn france_et_region(state: &AppState) {
    let debut = Instant::now();
    let r = get(state, "/territoires/fr").await;
    eprintln!(
        "fr: {:.0} ms, {} bytes of HTML",
        debut.elapsed().as_secs_f64() * 1e3,
        r.corps.len()
    );
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.len() < 1_000_000, "{} bytes", r.corps.len());
    let h = r.html();
    // One dot per département with communes located (the DROM in insets).
    let deps = compte(&h, "svg.carte-territoire g.communes circle")
        + compte(&h, "svg.carte-territoire rect.encart + circle");
    assert!((100..=101).contains(&deps), "{deps}");
    assert!(compte(&h, "table.sous-territoires tbody tr") >= 100);
    assert_eq!(compte(&h, "table.communes"), 0);

    let debut = Instant::now();
    let r = get(state, "/territoires/reg:76?arrets=30&rayon_km=10").await;
    eprintln!(
        "reg:76 with a plan of 30 stops: {:.0} ms, {} bytes of HTML",
        debut.elapsed().as_secs_f64() * 1e3,
        r.corps.len()
    );
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert_eq!(compte(&h, "table.arrets tbody tr"), 30);
    assert_eq!(compte(&h, "table.communes tbody tr"), 200, "truncated");

    let r = get(state, "/territoires/commune:31555").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        compte(&r.html(), "svg.carte-territoire g.communes circle"),
        1
    );
}
