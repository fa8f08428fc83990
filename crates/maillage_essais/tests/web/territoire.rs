//! The territory pages, black box: the bundled demo directory in a temporary SQLite
//! database, requests through the router, HTML read with CSS selectors, downloads parsed,
//! and every figure compared with what `maillage_annuaire::territoire` computes.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_annuaire::territoire as t;
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

/// A CSV of the product's convention (BOM, `;`, French headers, decimal comma).
fn lire_csv(octets: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(octets.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    maillage_annuaire::tableur::lire_csv(octets).expect("CSV of the French convention")
}

/// `12,5` → 12.5.
fn nombre_fr(s: &str) -> f64 {
    s.replace(',', ".")
        .parse()
        .expect("number with a decimal comma")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_territory_pages_on_real_places() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
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
    // The Gers: rural, many people far from any permanent place (Sicoval, next to Toulouse,
    // has none: see premiere_utilisation_tournee_sans_arret_inutile).
    let r = get(state, "/territoires/dep:32?arrets=3&rayon_km=10").await;
    eprintln!(
        "dep:32 with a plan of 3 stops: {:.0} ms",
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
    let r = get(state, "/territoires/dep:32/plan.csv?arrets=3&rayon_km=10").await;
    assert_eq!(r.status, StatusCode::OK);
    let (entetes, lignes) = lire_csv(&r.corps);
    assert_eq!(entetes[1], "Code INSEE");
    assert_eq!(
        lignes.iter().map(|l| l[1].clone()).collect::<Vec<_>>(),
        codes
    );
    assert!(r
        .entete(header::CONTENT_DISPOSITION)
        .contains("tournee-dep-32-3-arrets-10km.csv"));
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
        "Code INSEE",
        "Commune",
        "Indice de fragilité numérique",
        "Distance au lieu le plus proche (km, à vol d'oiseau)",
        "Population fragile estimée",
    ] {
        assert!(entetes.iter().any(|e| e == c), "column {c} in {entetes:?}");
    }
    let col = |nom: &str| entetes.iter().position(|e| e == nom).expect("column");
    let communes = Referentiel::embedded().communes_of_territoire(&territoire);
    assert_eq!(lignes.len(), communes.len());
    let toulouse = lignes
        .iter()
        .find(|l| l[col("Code INSEE")] == "31555")
        .expect("Toulouse");
    let attendu = indice
        .indice
        .commune("31555")
        .and_then(|c| c.indice)
        .expect("index");
    let vu = nombre_fr(&toulouse[col("Indice de fragilité numérique")]);
    assert!((vu - attendu).abs() < 1e-3);
    assert!(toulouse[col("Indice de fragilité numérique")].contains(','));

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
    assert_eq!(entetes[1], "Code INSEE");
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
        "/api/v1/territoires/dep:32/plan?arrets=3&rayon_km=10",
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

/// Visible text of the page's main content.
fn texte_principal(h: &Html) -> String {
    textes(h, "main").join(" ")
}

/// Issue « Première utilisation réelle », item 6: on the real places, no stop shown adds 0
/// people; fewer stops than asked come with the reason; Sicoval, where every commune is
/// already near a permanent place, gets no stop at all; the zones-blanches and tour forms
/// keep their own radius; the candidate population range is a setting; « population fragile
/// estimée » is defined on the page and plausible; no « -0 »; a territory without
/// indicators says « non calculable ».
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_tournee_sans_arret_inutile() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let lieux = t::points_lieux(state.moteur().lieux());
    let indice = t::indice(&t::territoire("fr").expect("fr"), &Configuration::deciles());

    for (code, arrets) in [("epci:243100633", 8), ("dep:31", 8), ("dep:23", 8)] {
        let uri = format!("/territoires/{code}?arrets={arrets}&rayon_tournee_km=10");
        let r = get(&state, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let h = r.html();
        let lignes: Vec<Vec<String>> = h
            .select(&sel("table.arrets tbody tr"))
            .map(|tr| {
                tr.select(&sel("td"))
                    .map(|td| td.text().collect::<String>().trim().to_string())
                    .collect()
            })
            .collect();
        for l in &lignes {
            // N°, fragile people added, total, communes added, visiting order.
            assert_ne!(l[1], "0", "{uri}: a stop adds nobody: {l:?}");
            assert_ne!(l[3], "0", "{uri}: a stop reaches no commune: {l:?}");
        }
        let texte = texte_principal(&h);
        if lignes.len() < arrets {
            assert_eq!(
                compte(&h, "p.explication-arrets"),
                1,
                "{uri}: fewer stops ({}) without a reason",
                lignes.len()
            );
        }
        assert!(
            texte.contains("déjà à moins de 10 km d'un lieu permanent"),
            "{uri}"
        );
        assert!(
            !texte.contains("−0") && !texte.contains(" -0"),
            "{uri}: -0 shown"
        );
        // The same plan, computed directly, agrees.
        let territoire = t::territoire(code).expect("territory");
        let plan = t::plan(
            &territoire,
            &lieux,
            &indice.indice,
            &maillage_territoire::tournee::OptionsPlan {
                arrets,
                exact: None,
                ..Default::default()
            },
        )
        .expect("plan");
        assert!(plan.arrets.iter().all(|a| a.gain >= 0.5), "{code}");
        if plan.demande_totale < 0.5 {
            assert!(lignes.is_empty(), "{uri}");
            assert!(texte.contains("Aucun arrêt n'est utile"), "{uri}: {texte}");
        }
    }

    // Sicoval, as the issue saw it: no « 0 habitants fragiles atteints sur 0 » with 8
    // « proved optimal » stops.
    let h = get(&state, "/territoires/epci:243100633?arrets=8")
        .await
        .html();
    let texte = texte_principal(&h);
    assert!(
        !texte.contains("0 habitants fragiles atteints sur 0"),
        "{texte}"
    );

    // Two forms, two radii; the population range is kept and shown.
    let h = get(
        &state,
        "/territoires/dep:31?rayon_km=5&arrets=3&rayon_tournee_km=20&population_min=2000&population_max=10000",
    )
    .await
    .html();
    let valeur = |s: &str| {
        h.select(&sel(s))
            .filter_map(|e| e.value().attr("value").map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(valeur("input#rayon-zones"), vec!["5"]);
    assert_eq!(valeur("input#rayon-plan"), vec!["20"]);
    assert_eq!(valeur("input#population-max"), vec!["10000"]);
    assert_eq!(
        valeur("form[action$='#zones-blanches'] input[name=rayon_tournee_km]"),
        vec!["20"]
    );
    assert_eq!(
        valeur("form[action$='#tournee'] input[name=rayon_km]"),
        vec!["5"]
    );
    let texte = texte_principal(&h);
    assert!(
        texte.contains("de 2\u{202f}000 à 10\u{202f}000 habitants"),
        "{texte}"
    );
    assert!(texte.contains("à plus de 5 km de tout lieu"), "{texte}");
    // The tour's own radius (20 km) is used: it reaches every commune from a permanent place.
    assert!(
        texte.contains("moins de 20 km d'un lieu permanent"),
        "{texte}"
    );
    let r = get(
        &state,
        "/territoires/dep:31?arrets=3&population_min=9000&population_max=2000",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(texte_principal(&r.html()).contains("dépasse la maximale"));

    // « Population fragile estimée »: defined on the page, plausible for Haute-Garonne.
    let h = get(&state, "/territoires/dep:31").await.html();
    assert_eq!(compte(&h, "#definition-fragile"), 1);
    let chiffres: Vec<(String, String)> = h
        .select(&sel("dl.chiffres > div"))
        .map(|d| {
            (
                d.select(&sel("dt"))
                    .map(|e| e.text().collect::<String>())
                    .collect(),
                d.select(&sel("dd"))
                    .map(|e| e.text().collect::<String>())
                    .collect(),
            )
        })
        .collect();
    let chiffre = |nom: &str| -> f64 {
        let (_, v) = chiffres
            .iter()
            .find(|(dt, _)| dt.starts_with(nom))
            .unwrap_or_else(|| panic!("{nom} in {chiffres:?}"));
        v.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .expect("number")
    };
    let part = chiffre("Population fragile estimée") / chiffre("Habitants");
    assert!((0.10..0.20).contains(&part), "Haute-Garonne: {part}");

    // No indicator published (Nouméa): « non calculable », not 0.
    let h = get(&state, "/territoires/commune:98818").await.html();
    let fragile: Vec<String> = h
        .select(&sel("dl.chiffres > div"))
        .filter(|d| d.text().collect::<String>().contains("Population fragile"))
        .map(|d| {
            d.select(&sel("dd"))
                .map(|e| e.text().collect::<String>())
                .collect()
        })
        .collect();
    assert_eq!(fragile, vec!["non calculable".to_string()]);
}

/// Issue « Première utilisation réelle », item 12: every table the territory pages offer is
/// a CSV of the product's convention (BOM, `;`, French headers, decimal comma) with an XLSX
/// beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_exports_au_format_francais() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    for (csv, xlsx, colonne_decimale) in [
        (
            "/territoires/dep:31/indice.csv",
            "/territoires/dep:31/indice.xlsx",
            "Distance au lieu le plus proche (km, à vol d'oiseau)",
        ),
        (
            "/territoires/dep:31/zones-blanches.csv?rayon_km=5",
            "/territoires/dep:31/zones-blanches.xlsx?rayon_km=5",
            "Distance au lieu le plus proche (km, à vol d'oiseau)",
        ),
        (
            "/territoires/dep:31/plan.csv?arrets=3",
            "/territoires/dep:31/plan.xlsx?arrets=3",
            "Latitude",
        ),
    ] {
        let r = get(&state, csv).await;
        assert_eq!(r.status, StatusCode::OK, "{csv}");
        assert!(r.entete(header::CONTENT_TYPE).starts_with("text/csv"));
        let premiere = String::from_utf8_lossy(&r.corps)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let (entetes, lignes) = lire_csv(&r.corps);
        assert!(entetes.len() > 3, "{csv}: {premiere}");
        assert_eq!(
            premiere.split(';').count(),
            entetes.len(),
            "{csv}: {premiere}"
        );
        assert!(entetes.iter().any(|e| e == "Code INSEE"), "{csv}");
        assert!(
            entetes.iter().all(|e| !e.contains('_')),
            "{csv}: {entetes:?}"
        );
        let j = entetes
            .iter()
            .position(|e| e == colonne_decimale)
            .unwrap_or_else(|| panic!("{csv}: {colonne_decimale} in {entetes:?}"));
        let valeurs: Vec<&String> = lignes
            .iter()
            .map(|l| &l[j])
            .filter(|v| !v.is_empty())
            .collect();
        assert!(!valeurs.is_empty(), "{csv}");
        assert!(
            valeurs.iter().all(|v| v.contains(',') && !v.contains('.')),
            "{csv}: {valeurs:?}"
        );
        let r = get(&state, xlsx).await;
        assert_eq!(r.status, StatusCode::OK, "{xlsx}");
        assert!(r.corps.starts_with(b"PK"), "{xlsx}");
    }
}

/// The territory page is kept between requests (`territoire::PageEnCache`) and made again
/// when the directory changes: a place published in Muret shows at once in the commune's
/// count, and the page kept before is not served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn territoire_page_gardee_puis_refaite_quand_l_annuaire_change() {
    use maillage_annuaire::annuaire::DemandeImport;
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let lieux_publies = |r: &Reponse| -> String {
        let h = r.html();
        h.select(&sel("dt"))
            .find(|dt| dt.text().collect::<String>() == "Lieux d'aide publiés dans le territoire")
            .and_then(|dt| dt.next_siblings().find_map(scraper::ElementRef::wrap))
            .map(|dd| dd.text().collect::<String>())
            .expect("the count of places")
    };
    let avant = get(&state, "/territoires/commune:31395").await;
    assert_eq!(avant.status, StatusCode::OK);
    let n_avant = nombre_fr(&lieux_publies(&avant));
    // Kept: the same bytes again, and gzipped once for the clients that accept it, with the
    // same Content-Security-Policy as the page computed by the security layer.
    let encore = get(&state, "/territoires/commune:31395").await;
    assert_eq!(encore.corps, avant.corps);
    let r = router(state.clone())
        .oneshot(
            Request::get("/territoires/commune:31395")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(
        r.headers()[header::CONTENT_SECURITY_POLICY],
        avant.entete(header::CONTENT_SECURITY_POLICY).as_str()
    );
    assert_eq!(r.headers()[header::X_FRAME_OPTIONS], "DENY");
    let gz = r.into_body().collect().await.expect("body").to_bytes();
    let mut html = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut html)
        .expect("gzip");
    assert_eq!(html, avant.corps);
    let csp = avant.entete(header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("default-src") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    state
        .annuaire
        .importer(DemandeImport {
            source: "essai-cache".into(),
            format: None,
            nom_fichier: "essai-cache.csv".into(),
            contenu: "id,nom,adresse,code_postal,code_insee,commune,latitude,longitude,date_maj\n\
                      c1,Atelier numérique du Barry,3 rue du Barry,31600,31395,Muret,43.4605,1.3262,2026-11-01\n"
                .as_bytes()
                .to_vec(),
        })
        .await
        .expect("import");
    state.recharger().await.expect("engine");
    let apres = get(&state, "/territoires/commune:31395").await;
    assert_eq!(apres.status, StatusCode::OK);
    assert_eq!(
        nombre_fr(&lieux_publies(&apres)),
        n_avant + 1.0,
        "the page is made again with the new engine"
    );
}
