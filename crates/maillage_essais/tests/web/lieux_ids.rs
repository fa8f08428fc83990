//! Issue 20, item 3: stable public ids. From an empty instance, places are imported, every
//! published id is recorded, then the groups change — a new duplicate joins a place, two
//! places are merged by a coordinator's decision (`lieux confirmer`), a place is split by
//! `lieux refuser`, a record moves from one place to another — and every id ever published
//! is followed through the public routes: the place page, the API, the printed sheet, the
//! error report form. None answers 404: a live id answers 200, a former one 301 to a live
//! page. On SQLite and PostgreSQL.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_annuaire::annuaire::DemandeImport;
use maillage_annuaire::doublons::Decision;
use maillage_store_postgres::testing::TestDatabase;
use maillage_web::{router, AppState, Site};
use std::collections::BTreeSet;
use tower::ServiceExt;

struct Reponse {
    status: StatusCode,
    location: Option<String>,
    corps: String,
}

async fn envoyer(state: &AppState, req: Request<Body>) -> Reponse {
    let r = router(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = r.status();
    let location = r
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let corps = r
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    Reponse {
        status,
        location,
        corps,
    }
}

async fn get(state: &AppState, uri: &str) -> Reponse {
    envoyer(state, Request::get(uri).body(Body::empty()).expect("req")).await
}

/// A CSV file of one source: `(id, name, address, postal code, commune, lat, lon)`.
fn fichier(lignes: &[(&str, &str, &str, &str, &str, f64, f64)]) -> Vec<u8> {
    let mut s = String::from("id,nom,adresse,code_postal,commune,latitude,longitude,date_maj\n");
    for (id, nom, adresse, cp, commune, lat, lon) in lignes {
        s.push_str(&format!(
            "{id},{nom},{adresse},{cp},{commune},{lat},{lon},2026-10-01\n"
        ));
    }
    s.into_bytes()
}

type Ligne = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
);

const CABANIS: Ligne = (
    "",
    "Médiathèque José Cabanis",
    "1 allée Jacques Chaban-Delmas",
    "31500",
    "Toulouse",
    43.6106,
    1.4536,
);
const BAGATELLE: Ligne = (
    "",
    "France Services Bagatelle",
    "10 rue Henri Desbals",
    "31100",
    "Toulouse",
    43.5790,
    1.4030,
);
const CHALETS: Ligne = (
    "",
    "Espace public numérique des Chalets",
    "3 rue Roquelaine",
    "31000",
    "Toulouse",
    43.6139,
    1.4447,
);
const EMPALOT: Ligne = (
    "",
    "Centre social Empalot",
    "38 avenue Jean Moulin",
    "31400",
    "Toulouse",
    43.5836,
    1.4502,
);
const PAPUS: Ligne = (
    "",
    "Maison de quartier Papus",
    "12 rue Vestrepain",
    "31100",
    "Toulouse",
    43.5864,
    1.4114,
);
const COLOMIERS: Ligne = (
    "",
    "Mairie de Colomiers",
    "1 place Alex Raymond",
    "31770",
    "Colomiers",
    43.6112,
    1.3352,
);

fn avec_id(id: &'static str, l: Ligne) -> Ligne {
    (id, l.1, l.2, l.3, l.4, l.5, l.6)
}

async fn importer(state: &AppState, source: &str, lignes: &[Ligne]) {
    state
        .annuaire
        .importer(DemandeImport {
            source: source.into(),
            format: None,
            nom_fichier: format!("{source}.csv"),
            contenu: fichier(lignes),
        })
        .await
        .expect("import");
    state.recharger().await.expect("engine");
}

async fn decider(state: &AppState, a: &str, b: &str, d: Decision) {
    state
        .annuaire
        .decider(a, b, d, "test", None)
        .await
        .expect("decision");
    state.recharger().await.expect("engine");
}

/// The published id of the place holding record `reference`.
fn id_de(state: &AppState, reference: &str) -> String {
    state
        .moteur()
        .lieux()
        .iter()
        .find(|f| f.membres.iter().any(|m| m == reference))
        .map(|f| f.id.clone())
        .unwrap_or_else(|| panic!("{reference} is published"))
}

fn ids_publies(state: &AppState) -> BTreeSet<String> {
    state
        .moteur()
        .lieux()
        .iter()
        .map(|f| f.id.clone())
        .collect()
}

/// Where `id` leads on the place page: itself (200) or the id a single 301 gives (whose
/// page answers 200). Panics on anything else.
async fn suivre(state: &AppState, id: &str) -> String {
    let r = get(state, &format!("/lieux/{id}")).await;
    match r.status {
        StatusCode::OK => id.to_string(),
        StatusCode::MOVED_PERMANENTLY => {
            let ou = r.location.expect("Location");
            let courant = ou
                .strip_prefix("/lieux/")
                .unwrap_or_else(|| panic!("redirect of {id} to {ou}"))
                .to_string();
            let suite = get(state, &ou).await;
            assert_eq!(suite.status, StatusCode::OK, "{id} → {ou}");
            courant
        }
        s => panic!("/lieux/{id} answered {s}"),
    }
}

/// Every id ever published answers on every public route that takes an id, never 404.
async fn tout_suivre(state: &AppState, connus: &BTreeSet<String>) {
    let publies = ids_publies(state);
    for id in connus {
        let courant = suivre(state, id).await;
        assert!(publies.contains(&courant), "{id} leads to a live place");
        assert_eq!(
            state
                .annuaire
                .id_courant(id)
                .await
                .expect("resolve")
                .as_deref(),
            Some(courant.as_str()),
            "the function other code uses gives the same place"
        );
        // The API.
        let r = get(state, &format!("/api/v1/lieux/{id}")).await;
        if courant == *id {
            assert_eq!(r.status, StatusCode::OK, "api {id}");
        } else {
            assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY, "api {id}");
            let ou = r.location.expect("Location");
            assert_eq!(ou, format!("/api/v1/lieux/{courant}"));
            let suite = get(state, &ou).await;
            assert_eq!(suite.status, StatusCode::OK);
            assert!(suite.corps.contains(&courant));
        }
        // The printed sheet (HTML and PDF) naming the place.
        for chemin in ["/fiche", "/fiche.pdf"] {
            let r = get(state, &format!("{chemin}?lieu={id}&pour=Mme%20Martin")).await;
            if courant == *id {
                assert_eq!(r.status, StatusCode::OK, "{chemin} {id}");
            } else {
                assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY, "{chemin} {id}");
                let ou = r.location.expect("Location");
                assert!(ou.contains(&format!("lieu={courant}")), "{ou}");
                assert!(ou.contains("pour=Mme+Martin"), "{ou}");
                assert_eq!(get(state, &ou).await.status, StatusCode::OK, "{ou}");
            }
        }
    }
}

async fn parcours(state: AppState) {
    let mut connus: BTreeSet<String> = BTreeSet::new();
    importer(
        &state,
        "a",
        &[
            avec_id("a1", CABANIS),
            avec_id("a2", BAGATELLE),
            avec_id("a3", CHALETS),
            avec_id("a4", EMPALOT),
            avec_id("a5", PAPUS),
        ],
    )
    .await;
    importer(
        &state,
        "b",
        &[
            avec_id("b1", CABANIS),
            avec_id("b2", BAGATELLE),
            avec_id("b5", COLOMIERS),
        ],
    )
    .await;
    assert_eq!(state.moteur().len(), 6, "two places in both files");
    assert_eq!(id_de(&state, "a#a1"), id_de(&state, "b#b1"));
    assert_eq!(id_de(&state, "a#a2"), id_de(&state, "b#b2"));
    connus.extend(ids_publies(&state));
    let colomiers = id_de(&state, "b#b5");
    let bagatelle = id_de(&state, "a#a2");
    let cabanis = id_de(&state, "a#a1");
    let chalets = id_de(&state, "a#a3");
    let (empalot, papus) = (id_de(&state, "a#a4"), id_de(&state, "a#a5"));

    // The public reports an error about Empalot: the form's page, then the report.
    let page = get(&state, &format!("/lieux/{empalot}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let jeton = jeton_du_formulaire(&page.corps);

    // 1. A new duplicate joins a place: a new source whose record's ref ("aa#1") is
    //    smaller than the place's only one. The merge would name the group after it; the
    //    published id stays.
    importer(&state, "aa", &[avec_id("1", COLOMIERS)]).await;
    assert_eq!(id_de(&state, "aa#1"), id_de(&state, "b#b5"));
    assert_eq!(
        id_de(&state, "aa#1"),
        colomiers,
        "same id after a new duplicate"
    );
    connus.extend(ids_publies(&state));
    tout_suivre(&state, &connus).await;

    // 2. A coordinator merges Empalot and Papus (`lieux confirmer`): the oldest id stays
    //    (both first given at the same import: the smaller), the other one redirects.
    decider(&state, "a#a4", "a#a5", Decision::Confirmee).await;
    let fusion = id_de(&state, "a#a4");
    assert_eq!(fusion, id_de(&state, "a#a5"));
    assert_eq!(fusion, empalot.clone().min(papus.clone()));
    let ancien = empalot.clone().max(papus.clone());
    let r = get(&state, &format!("/lieux/{ancien}?signale=1")).await;
    assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/lieux/{fusion}?signale=1").as_str()),
        "the query goes along"
    );
    connus.extend(ids_publies(&state));
    tout_suivre(&state, &connus).await;

    // The report form sent from Empalot's page loaded before the merge still works: the
    // report is stored about the place now, and the coordinators see its name.
    let r = envoyer(
        &state,
        Request::post(format!("/lieux/{empalot}/signalement"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "categorie=horaires&message=Ferm%C3%A9+le+lundi&contact=&jeton={jeton}"
            )))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/lieux/{fusion}?signale=1#signaler").as_str())
    );
    let rapports = state
        .annuaire
        .signalements_avec_lieux(true)
        .await
        .expect("reports");
    assert_eq!(rapports.len(), 1);
    assert_eq!(
        rapports[0].lieu_id_courant.as_deref(),
        Some(fusion.as_str())
    );
    assert!(rapports[0].lieu_nom.is_some());

    // 3. A coordinator splits Bagatelle (`lieux refuser`): the id stays with the group of
    //    the main record (a#a2, the smallest ref when it was given), the other gets a new
    //    one; nothing redirects.
    decider(&state, "a#a2", "b#b2", Decision::Refusee).await;
    assert_eq!(id_de(&state, "a#a2"), bagatelle);
    let nouveau = id_de(&state, "b#b2");
    assert_ne!(nouveau, bagatelle);
    assert!(!connus.contains(&nouveau), "a new id");
    connus.extend(ids_publies(&state));
    tout_suivre(&state, &connus).await;

    // 4. A record moves: the new file of source b describes at b1 the EPN des Chalets
    //    instead of the médiathèque. Each place keeps its id (the id follows its main
    //    record); nothing is lost.
    importer(
        &state,
        "b",
        &[
            avec_id("b1", CHALETS),
            avec_id("b2", BAGATELLE),
            avec_id("b5", COLOMIERS),
        ],
    )
    .await;
    assert_eq!(id_de(&state, "b#b1"), id_de(&state, "a#a3"), "b1 moved");
    assert_eq!(id_de(&state, "a#a1"), cabanis);
    assert_eq!(id_de(&state, "a#a3"), chalets);
    connus.extend(ids_publies(&state));
    tout_suivre(&state, &connus).await;

    // 5. The merge of step 2 undone: each place takes its own id back, the redirect goes.
    decider(&state, "a#a4", "a#a5", Decision::Refusee).await;
    assert_eq!(id_de(&state, "a#a4"), empalot);
    assert_eq!(id_de(&state, "a#a5"), papus);
    for id in [&empalot, &papus] {
        assert_eq!(
            get(&state, &format!("/lieux/{id}")).await.status,
            StatusCode::OK
        );
    }
    connus.extend(ids_publies(&state));
    tout_suivre(&state, &connus).await;

    // An id never given is still a 404.
    assert_eq!(
        get(&state, "/lieux/lieu-0000000000000000").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&state, "/api/v1/lieux/lieu-0000000000000000")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        connus.len(),
        7,
        "six places, then one more from the split: {connus:?}"
    );
}

fn jeton_du_formulaire(page: &str) -> String {
    let h = scraper::Html::parse_document(page);
    let s = scraper::Selector::parse("form#signalement input[name=jeton]").expect("selector");
    h.select(&s)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("token field")
        .to_string()
}

#[tokio::test]
async fn every_former_place_id_leads_to_a_live_page_sqlite() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dossier.path().join("m.db").display());
    let instance = maillage_cli::stockage::ouvrir(&url).await.expect("open");
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    parcours(state).await;
}

#[tokio::test]
async fn every_former_place_id_leads_to_a_live_page_postgres() {
    let db = TestDatabase::create().await;
    let instance = maillage_cli::stockage::ouvrir(&db.url).await.expect("open");
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    parcours(state).await;
    db.drop_database().await;
}
