//! The server, black box: real places (the bundled demo directory in a temporary SQLite
//! database), requests through the router, HTML read with CSS selectors.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_web::{router, AppState};
use scraper::{Html, Selector};
use serde_json::Value;
use tower::ServiceExt;

struct Reponse {
    status: StatusCode,
    type_contenu: String,
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
}

async fn envoyer(state: &AppState, req: Request<Body>) -> Reponse {
    let r = router(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = r.status();
    let entetes = r.headers().clone();
    let type_contenu = entetes
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let corps = r
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Reponse {
        status,
        type_contenu,
        entetes,
        corps,
    }
}

async fn get(state: &AppState, uri: &str) -> Reponse {
    envoyer(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn textes(h: &Html, s: &str) -> Vec<String> {
    h.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

fn attributs(h: &Html, s: &str, a: &str) -> Vec<String> {
    h.select(&sel(s))
        .filter_map(|e| e.value().attr(a).map(str::to_string))
        .collect()
}

const DEMARCHES: &str = "Aide%20aux%20d%C3%A9marches%20administratives";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_pages_and_the_api_on_real_places() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    assert!(state.moteur().len() > 6000, "the demo directory is loaded");

    accueil_une_question_a_la_fois(&state).await;
    let ids = resultats(&state).await;
    lieu_et_signalement(&state, &ids[0]).await;
    fiche(&state, &ids[..2]).await;
    carte_et_widget(&state).await;
    api(&state).await;
    erreurs_et_fichiers(&state).await;
}

async fn accueil_une_question_a_la_fois(state: &AppState) {
    // The home page asks the need and the commune on one form sent straight to the results;
    // « quand » and « accès » are folded in a <details>; a link leads to one question per page.
    let r = get(state, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert_eq!(attributs(&h, "form#question", "action"), vec!["/lieux"]);
    assert_eq!(attributs(&h, "form#question", "method"), vec!["get"]);
    assert_eq!(
        attributs(&h, "form#question input[type=radio][name=besoin]", "value").len(),
        9
    );
    assert_eq!(
        attributs(&h, "form#question input#ou[required]", "name"),
        vec!["ou"]
    );
    assert!(attributs(&h, "form#question input[name=etape]", "value").is_empty());
    assert!(
        attributs(&h, "form#question input[type=hidden]", "name").is_empty(),
        "no empty hidden field on the home form"
    );
    assert_eq!(
        attributs(
            &h,
            "form#question details.preciser input[name=quand]",
            "value"
        )
        .len(),
        5
    );
    assert!(
        attributs(
            &h,
            "form#question details.preciser input[type=checkbox]",
            "name"
        )
        .len()
            >= 5
    );
    assert!(attributs(&h, "form#question details.preciser[open]", "class").is_empty());
    assert_eq!(
        attributs(&h, "main a[href='/?etape=besoin']", "href"),
        vec!["/?etape=besoin"]
    );
    // Answers already given (a link back from the results) fill the form; a refinement opens
    // the <details>; other parameters go on to the results.
    let r = get(
        state,
        &format!("/?besoin={DEMARCHES}&ou=lille&quand=samedi-matin&publics=Seniors"),
    )
    .await;
    let h = r.html();
    assert_eq!(attributs(&h, "input#ou", "value"), vec!["lille"]);
    assert_eq!(
        attributs(&h, "input[name=besoin][checked]", "value"),
        vec!["Aide aux démarches administratives"]
    );
    assert_eq!(
        attributs(&h, "input[name=quand][checked]", "value"),
        vec!["samedi-matin"]
    );
    assert_eq!(attributs(&h, "details.preciser[open]", "class").len(), 1);
    assert_eq!(
        attributs(
            &h,
            "form#question input[type=hidden][name=publics]",
            "value"
        ),
        vec!["Seniors"]
    );

    let r = get(state, "/?etape=besoin").await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert_eq!(
        attributs(&h, "form#question input[type=radio][name=besoin]", "value").len(),
        9
    );
    assert_eq!(
        attributs(&h, "form#question input[name=etape]", "value"),
        vec!["ou"]
    );
    assert_eq!(textes(&h, "legend"), vec!["De quoi avez-vous besoin ?"]);

    let r = get(state, &format!("/?besoin={DEMARCHES}&etape=ou")).await;
    let h = r.html();
    assert_eq!(attributs(&h, "input#ou", "name"), vec!["ou"]);
    assert_eq!(
        attributs(&h, "form#question input[type=hidden][name=besoin]", "value"),
        vec!["Aide aux démarches administratives"]
    );
    assert_eq!(
        attributs(&h, "form#question input[name=etape]", "value"),
        vec!["quand"]
    );

    // An unknown commune sends back to the "where" question, with a message.
    let r = get(state, &format!("/?besoin={DEMARCHES}&ou=xyzzy&etape=quand")).await;
    let h = r.html();
    assert_eq!(attributs(&h, "input#ou", "value"), vec!["xyzzy"]);
    assert!(textes(&h, "[role=alert]").concat().contains("xyzzy"));

    let r = get(state, &format!("/?besoin={DEMARCHES}&ou=lille&etape=quand")).await;
    let h = r.html();
    assert_eq!(attributs(&h, "input[name=quand]", "value").len(), 5);
    let r = get(
        state,
        &format!("/?besoin={DEMARCHES}&ou=lille&quand=maintenant&etape=acces"),
    )
    .await;
    let h = r.html();
    assert_eq!(attributs(&h, "form#question", "action"), vec!["/lieux"]);
    assert!(attributs(&h, "input[type=checkbox]", "name").len() >= 5);
    let caches: Vec<String> = attributs(&h, "form#question input[type=hidden]", "name");
    assert!(
        caches.contains(&"besoin".to_string())
            && caches.contains(&"ou".to_string())
            && caches.contains(&"quand".to_string())
    );
}

async fn resultats(state: &AppState) -> Vec<String> {
    let r = get(state, &format!("/lieux?besoin={DEMARCHES}&ou=lille")).await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    let titre = textes(&h, "h1").concat();
    assert!(
        titre.contains("près de Lille") && titre.contains("Faire une démarche en ligne"),
        "{titre}"
    );
    let liens = attributs(&h, "li.resultat h2 a", "href");
    assert_eq!(liens.len(), 20, "a full first page");
    assert!(liens.iter().all(|l| l.starts_with("/lieux/lieu-")));
    // Nearest first.
    let distances: Vec<f64> = textes(&h, "li.resultat .distance")
        .iter()
        .map(|d| {
            let n: String = d
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == ',')
                .collect();
            let x: f64 = n.replace(',', ".").parse().unwrap_or(f64::NAN);
            if d.ends_with("km") {
                x * 1000.0
            } else {
                x
            }
        })
        .collect();
    assert_eq!(distances.len(), 20);
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1] + 100.0),
        "{distances:?}"
    );
    assert!(distances[0] < 3000.0);
    for t in attributs(&h, "a[href^='tel:']", "href") {
        assert!(
            t[4..]
                .strip_prefix('+')
                .unwrap_or(&t[4..])
                .chars()
                .all(|c| c.is_ascii_digit()),
            "{t}"
        );
    }
    assert_eq!(
        attributs(&h, "input[form=fiche][name=lieu]", "value").len(),
        20
    );
    assert_eq!(attributs(&h, "a.itineraire", "href").len(), 20);
    assert_eq!(
        attributs(&h, "button[form=fiche][name=page]", "value"),
        vec!["2"]
    );

    // "Open now" keeps only open places.
    let r = get(state, "/lieux?ou=lille&quand=maintenant").await;
    let h = r.html();
    let classes = attributs(&h, "li.resultat .ouverture", "class");
    assert!(classes.iter().all(|c| c.contains("ouvert")), "{classes:?}");

    // A postal code works as well as a name.
    let r = get(state, "/lieux?ou=59000").await;
    assert!(textes(&r.html(), "h1").concat().contains("près de Lille"));

    // An unknown value is a clear French error naming the parameter.
    let r = get(state, "/lieux?ou=lille&services=Cuisine").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.corps).contains("valeur inconnue « Cuisine »"));
    liens
        .into_iter()
        .map(|l| l.trim_start_matches("/lieux/").to_string())
        .collect()
}

async fn lieu_et_signalement(state: &AppState, id: &str) {
    let r = get(state, &format!("/lieux/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    let f = state.moteur();
    let lieu = f.lieu(id).expect("published");
    assert_eq!(textes(&h, "h1"), vec![lieu.lieu.nom.clone()]);
    assert!(textes(&h, ".fraicheur").concat().contains("mises à jour"));
    if lieu.lieu.horaires.as_ref().is_some_and(|h| h.valide) {
        assert_eq!(textes(&h, "table.horaires tbody tr").len(), 7);
    }
    assert_eq!(
        attributs(&h, "form#signalement input[name=categorie]", "value").len(),
        5
    );

    // The form carries a signed token (no session on public pages).
    let jeton = attributs(&h, "form#signalement input[name=jeton]", "value")
        .pop()
        .expect("token field");
    let poster = |corps: String| {
        Request::post(format!("/lieux/{id}/signalement"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("{corps}&jeton={jeton}")))
            .expect("request")
    };
    let r = envoyer(
        state,
        poster("categorie=horaires&message=Ferm%C3%A9+le+mardi&contact=".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let ou = r
        .entetes
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(ou.contains("signale=1"), "{ou}");
    let stockes = state
        .annuaire
        .signalements(Some(id), true)
        .await
        .expect("store");
    assert_eq!(stockes.len(), 1);
    assert_eq!(stockes[0].message, "Fermé le mardi");
    assert_eq!(stockes[0].categorie, "horaires");
    let h = get(state, &format!("/lieux/{id}?signale=1")).await.html();
    assert!(textes(&h, "[role=status]").concat().contains("Merci"));

    // Missing category: the form again, with what was typed, nothing stored.
    let r = envoyer(state, poster("message=Rien".into())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let h = r.html();
    assert!(!textes(&h, "[role=alert]").is_empty());
    assert_eq!(textes(&h, "textarea#message"), vec!["Rien"]);
    assert_eq!(
        state
            .annuaire
            .signalements(Some(id), true)
            .await
            .expect("store")
            .len(),
        1
    );

    let r = get(state, "/lieux/lieu-inexistant").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn fiche(state: &AppState, ids: &[String]) {
    let m = state.moteur();
    let noms: Vec<String> = ids
        .iter()
        .filter_map(|i| m.lieu(i))
        .map(|f| f.lieu.nom.clone())
        .collect();
    let q = format!(
        "lieu={}&lieu={}&besoin={DEMARCHES}&pour=Mme%20Martin",
        ids[0], ids[1]
    );
    let h = get(state, &format!("/fiche?{q}")).await.html();
    assert_eq!(textes(&h, ".lieu-fiche h2"), noms);
    assert!(textes(&h, "h1").concat().contains("Mme Martin"));
    let pdf = attributs(&h, "a[href^='/fiche.pdf']", "href");
    assert_eq!(pdf.len(), 1);
    let r = get(state, &pdf[0]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.type_contenu, "application/pdf");
    assert!(r.corps.starts_with(b"%PDF-"));
    let r = get(state, "/fiche.pdf").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn carte_et_widget(state: &AppState) {
    let h = get(state, "/carte?ou=lille").await.html();
    assert!(h.select(&sel("svg.carte-svg circle")).count() > 10);
    assert_eq!(textes(&h, "table.liste-carte tbody tr").len(), 20);
    assert_eq!(attributs(&h, "#carte", "data-zoom"), vec!["12"]);
    let scripts = attributs(&h, "script", "src");
    assert!(
        scripts.iter().all(|s| s.starts_with("/assets/")),
        "{scripts:?}"
    );

    // The interactive map's compact rows: only the visible area, at most `limit`.
    let j = get(
        state,
        "/api/carte/points?bbox=50.60,3.00,50.66,3.10&limit=50",
    )
    .await
    .json();
    let lieux = j["lieux"].as_array().cloned().unwrap_or_default();
    assert!(!lieux.is_empty() && lieux.len() <= 50, "{}", lieux.len());
    for l in &lieux {
        let (lat, lon) = (l[0].as_f64().unwrap_or(0.0), l[1].as_f64().unwrap_or(0.0));
        assert!((50.60..=50.66).contains(&lat) && (3.00..=3.10).contains(&lon));
        assert!(l[2].as_str().is_some_and(|id| id.starts_with("lieu-")));
    }
    let r = get(state, "/api/carte/points?bbox=1,2").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = get(state, &format!("/widget?besoin={DEMARCHES}&ou=lille")).await;
    assert_eq!(r.status, StatusCode::OK);
    let h = r.html();
    assert_eq!(h.select(&sel("header.site")).count(), 0);
    let cibles = attributs(&h, "li.resultat h2 a", "target");
    assert_eq!(cibles.len(), 10);
    assert!(cibles.iter().all(|t| t == "_top"));
}

async fn api(state: &AppState) {
    let r = get(state, "/api/v1/lieux?ou=lille&limit=5").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    let items = j["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 5);
    assert!(j["total"].as_u64().is_some_and(|t| t > 5));
    let d: Vec<f64> = items
        .iter()
        .filter_map(|i| i["distance_m"].as_f64())
        .collect();
    assert_eq!(d.len(), 5);
    assert!(d.windows(2).all(|w| w[0] <= w[1]));
    assert!(items.iter().all(|i| i["ouverture"]["etat"].is_string()));

    // Filters: OR inside a category, AND across.
    let j = get(state, "/api/v1/lieux?departement=59&frais=Gratuit&services=Aide%20aux%20d%C3%A9marches%20administratives|Accès%20internet%20et%20matériel%20informatique&limit=1000").await.json();
    let items = j["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty());
    for i in &items {
        assert!(
            i["code_insee"]
                .as_str()
                .is_some_and(|c| c.starts_with("59")),
            "{i}"
        );
        assert!(i["frais_a_charge"]
            .as_str()
            .is_some_and(|f| f.split('|').any(|x| x == "Gratuit")));
        let s = i["services"].as_str().unwrap_or("");
        assert!(
            s.contains("Aide aux démarches administratives")
                || s.contains("Accès internet et matériel informatique")
        );
    }

    let r = get(
        state,
        "/api/v1/lieux?bbox=50.60,3.00,50.66,3.10&format=geojson",
    )
    .await;
    assert_eq!(r.type_contenu, "application/geo+json");
    let g = r.json();
    let f = g["features"].as_array().cloned().unwrap_or_default();
    assert!(!f.is_empty());
    for x in &f {
        let c = &x["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0));
        assert!((50.60..=50.66).contains(&lat) && (3.00..=3.10).contains(&lon));
    }

    let r = get(state, "/api/v1/lieux?lat=95&lon=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["parametre"], "lat");
    let r = get(state, "/api/v1/lieux?bbox=1,2,3").await;
    assert_eq!(r.json()["parametre"], "bbox");

    let id = get(state, "/api/v1/lieux?ou=lille&limit=1").await.json()["items"][0]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let r = get(state, &format!("/api/v1/lieux/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["id"], id.as_str());
    let r = get(state, "/api/v1/lieux/rien").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["erreur"]
        .as_str()
        .is_some_and(|e| e.contains("rien")));

    let c = get(state, "/api/v1/communes?q=lill").await.json();
    assert_eq!(c[0]["nom"], "Lille");
    assert_eq!(c[0]["code_insee"], "59350");
}

async fn erreurs_et_fichiers(state: &AppState) {
    let r = get(state, "/nulle-part").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.type_contenu.starts_with("text/html"));
    let r = get(state, "/assets/maillage.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.type_contenu.starts_with("text/css"));
    let r = get(state, "/assets/vendor/leaflet-1.9.4/leaflet.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .entetes
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("immutable")));
    assert_eq!(
        get(state, "/assets/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
}
