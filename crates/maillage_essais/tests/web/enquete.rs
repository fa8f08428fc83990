//! Enquête de besoins through the router: the collection page and the device's JSON
//! (download, idempotent upload) with their permissions, and the schema check that no
//! table reachable from an answer holds a name or an address (SQLite and PostgreSQL).
//!
//! `cargo test -p maillage_essais --test web enquete::`

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::NaiveDate;
use maillage_enquete::DemandeCampagne;
use serde_json::{json, Value};

use super::http::{envoyer, requete, Reponse};
use super::mediation::{acteur, connecter, monde, Monde};

fn json_post(uri: &str, cookie: &str, csrf: Option<&str>, corps: &Value) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri(uri)
        .header("cookie", cookie)
        .header("content-type", "application/json");
    if let Some(c) = csrf {
        b = b.header("x-csrf", c);
    }
    b.body(Body::from(corps.to_string())).expect("request")
}

fn json_de(r: &Reponse) -> Value {
    serde_json::from_str(&r.corps).unwrap_or_else(|e| panic!("{e}: {}", r.corps))
}

/// A campaign on Muret and Toulouse created by coordinator `ca`, surveyed by `a1`, with
/// ten addresses in Muret: `(campaign, a1's cookie, a1's CSRF token)`.
async fn campagne(w: &Monde) -> (i64, String, String) {
    let (c_ca, _) = connecter(w, "ca@exemple.fr").await;
    let ca = acteur(w, &c_ca).await;
    let e = w.state.instance.enquete();
    let id = e
        .creer_campagne(
            &ca,
            DemandeCampagne {
                intitule: "Enquête Muret".into(),
                territoire: "commune:31395, commune:31555".into(),
                debut: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                fin: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
                consentement: "Vos réponses sont anonymes ; vous pouvez arrêter à tout moment."
                    .into(),
                menages: 100,
                minimum_par_commune: 20,
            },
        )
        .await
        .expect("campaign");
    e.ajouter_enqueteur(&ca, id, w.a1.get(), &["31395".to_string()])
        .await
        .expect("surveyor");
    let lignes: String = (1..=10)
        .map(|i| format!("31395;{i} avenue de la Gare\n"))
        .collect();
    assert_eq!(
        e.importer_adresses(&ca, id, &lignes)
            .await
            .expect("addresses"),
        10
    );
    let (c_a1, csrf_a1) = connecter(w, "a1@exemple.fr").await;
    (id, c_a1, csrf_a1)
}

fn uuid(i: usize) -> String {
    format!("5f0c6a1e-0000-4000-8000-{i:012}")
}

#[tokio::test]
async fn enquete_sync_through_the_api_is_idempotent_and_guarded() {
    let w = monde().await;
    let (id, c_a1, csrf) = campagne(&w).await;
    // The page and the device's file.
    let page = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/collecte"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.corps.contains("/espace/hors-ligne.js"));
    assert!(page.corps.contains("10 avenue de la Gare"));
    let d = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/api/v1/enquete/{id}/dossier"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.corps);
    let d = json_de(&d);
    let adresses = d["adresses"].as_array().expect("addresses").clone();
    assert_eq!(adresses.len(), 10);
    let q = d["questionnaire_id"].as_i64().expect("version");
    assert_eq!(d["questionnaire"]["code"], "standard");

    // 10 visits: 3 absent, 1 refusal, 6 done; 6 questionnaires.
    let mut visites = Vec::new();
    for (i, a) in adresses.iter().enumerate() {
        let issue = match i {
            0..=2 => "absent",
            3 => "refus",
            _ => "fait",
        };
        visites.push(
            json!({"uuid": uuid(100 + i), "adresse_id": a["id"], "issue": issue,
                            "at": "2026-11-20T10:00:00Z"}),
        );
    }
    let questionnaires: Vec<Value> = (0..6)
        .map(|i| {
            json!({"uuid": uuid(i), "questionnaire_id": q, "commune": "31395",
                   "reponses": {"age": "75+", "internet_3mois": if i < 2 { "non" } else { "oui" },
                                "competences_information": ["chercher_info"]},
                   "at": "2026-11-20T10:05:00Z"})
        })
        .collect();
    let corps = json!({"visites": visites, "questionnaires": questionnaires});
    let uri = format!("/api/v1/enquete/{id}/synchro");
    let r = envoyer(&w.state, json_post(&uri, &c_a1, Some(&csrf), &corps)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let r = json_de(&r);
    assert_eq!(r["nouveaux"].as_array().expect("new").len(), 16);
    assert!(r["rejets"].as_array().expect("refused").is_empty(), "{r}");
    // The same upload again: nothing new.
    let r = envoyer(&w.state, json_post(&uri, &c_a1, Some(&csrf), &corps)).await;
    let r = json_de(&r);
    assert!(r["nouveaux"].as_array().expect("new").is_empty());
    assert_eq!(r["deja_recus"].as_array().expect("already").len(), 16);
    let res = w
        .state
        .instance
        .enquete()
        .resultats_publics(id)
        .await
        .expect("results");
    assert_eq!(res.visites, [3, 1, 6]);
    assert_eq!(res.questionnaires, 6);
    let muret = res
        .communes
        .iter()
        .find(|t| t.code == "31395")
        .expect("Muret");
    assert_eq!(muret.effectif, 6);
    // Two without internet: illectronisme 2 of 6, computed by the server.
    assert_eq!(muret.taux, Some(2.0 / 6.0));

    // A wrong answer is refused alone, with the question named.
    let faux = json!({"questionnaires": [
        {"uuid": uuid(50), "questionnaire_id": q, "commune": "31395",
         "reponses": {"age": "12 ans", "internet_3mois": "oui"}, "at": "2026-11-20T11:00:00Z"},
        {"uuid": uuid(51), "questionnaire_id": q, "commune": "31555",
         "reponses": {"age": "75+", "internet_3mois": "oui"}, "at": "2026-11-20T11:00:00Z"}]});
    let r = json_de(&envoyer(&w.state, json_post(&uri, &c_a1, Some(&csrf), &faux)).await);
    let rejets = r["rejets"].as_array().expect("refused");
    assert_eq!(rejets.len(), 2, "{r}");
    assert!(rejets[0]["message"]
        .as_str()
        .expect("msg")
        .starts_with("age"));
    assert!(rejets[1]["message"]
        .as_str()
        .expect("msg")
        .contains("secteur"));

    // Without the CSRF header: 403; without a session: 401.
    let r = envoyer(&w.state, json_post(&uri, &c_a1, None, &corps)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = envoyer(
        &w.state,
        requete("GET", &format!("/api/v1/enquete/{id}/dossier"), None, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Another structure's mediator is not a surveyor of the campaign.
    let (c_b1, csrf_b1) = connecter(&w, "b1@exemple.fr").await;
    let r = envoyer(&w.state, json_post(&uri, &c_b1, Some(&csrf_b1), &corps)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.corps);
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/collecte"),
            Some(&c_b1),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Column names that would hold a person's name or an address.
const INTERDITS: [&str; 9] = [
    "nom",
    "prenom",
    "adresse",
    "email",
    "telephone",
    "rue",
    "voie",
    "data",
    "contact",
];

fn verifier_colonnes(table: &str, colonnes: &[String]) {
    for c in colonnes {
        let c = c.to_ascii_lowercase();
        assert!(
            !INTERDITS
                .iter()
                .any(|x| c == *x || c.starts_with(&format!("{x}_"))),
            "{table}.{c} is reachable from an answer"
        );
    }
}

#[tokio::test]
async fn enquete_no_table_reachable_from_answers_holds_a_name_or_an_address_sqlite() {
    use sqlx::Row;
    let store = maillage_store_sqlite::SqliteStore::connect("sqlite::memory:")
        .await
        .expect("store");
    let pool = store.pool();
    let mut a_voir = vec!["enquete_reponses".to_string()];
    let mut vues: Vec<String> = Vec::new();
    while let Some(t) = a_voir.pop() {
        if vues.contains(&t) {
            continue;
        }
        let colonnes: Vec<String> = sqlx::query(&format!("PRAGMA table_info({t})"))
            .fetch_all(pool)
            .await
            .expect("columns")
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .collect();
        assert!(!colonnes.is_empty(), "{t} exists");
        verifier_colonnes(&t, &colonnes);
        for r in sqlx::query(&format!("PRAGMA foreign_key_list({t})"))
            .fetch_all(pool)
            .await
            .expect("keys")
        {
            a_voir.push(r.get::<String, _>("table"));
        }
        vues.push(t);
    }
    // Answers reach the campaign and the questionnaire version, nothing else.
    vues.sort();
    assert_eq!(
        vues,
        [
            "enquete_campagnes",
            "enquete_questionnaires",
            "enquete_reponses"
        ]
    );
    // And the check would see an address: the visit list has one.
    let colonnes: Vec<String> = sqlx::query("PRAGMA table_info(enquete_adresses)")
        .fetch_all(pool)
        .await
        .expect("columns")
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .collect();
    assert!(std::panic::catch_unwind(|| verifier_colonnes("enquete_adresses", &colonnes)).is_err());
}

#[tokio::test]
async fn enquete_no_table_reachable_from_answers_holds_a_name_or_an_address_postgres() {
    use sqlx::Row;
    let db = maillage_store_postgres::testing::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    let mut a_voir = vec!["enquete_reponses".to_string()];
    let mut vues: Vec<String> = Vec::new();
    while let Some(t) = a_voir.pop() {
        if vues.contains(&t) {
            continue;
        }
        let colonnes: Vec<String> = sqlx::query(
            "SELECT column_name::text AS c FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .expect("columns")
        .iter()
        .map(|r| r.get::<String, _>("c"))
        .collect();
        assert!(!colonnes.is_empty(), "{t} exists");
        verifier_colonnes(&t, &colonnes);
        for r in sqlx::query(
            "SELECT ccu.table_name::text AS cible
             FROM information_schema.table_constraints tc
             JOIN information_schema.constraint_column_usage ccu
               ON ccu.constraint_name = tc.constraint_name
              AND ccu.constraint_schema = tc.constraint_schema
             WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = $1
               AND tc.table_schema = current_schema()",
        )
        .bind(&t)
        .fetch_all(&pool)
        .await
        .expect("keys")
        {
            a_voir.push(r.get::<String, _>("cible"));
        }
        vues.push(t);
    }
    vues.sort();
    assert_eq!(
        vues,
        [
            "enquete_campagnes",
            "enquete_questionnaires",
            "enquete_reponses"
        ]
    );
    pool.close().await;
    db.drop_database().await;
}

fn post_form(uri: &str, cookie: &str, champs: &[(&str, &str)]) -> Request<Body> {
    requete(
        "POST",
        uri,
        Some(cookie),
        Some(super::http::formulaire(champs)),
    )
}

fn pourcent(x: f64) -> String {
    format!("{:.1} %", x * 100.0).replace('.', ",")
}

/// Answers of a household of `personnes`, in illectronisme (no internet) or not.
/// With `mediatheque`, the answer to the territory's added question.
fn reponse(uuid: String, q: i64, commune: &str, personnes: i64, ill: bool) -> Value {
    let mut r = json!({"uuid": uuid, "questionnaire_id": q, "commune": commune,
           "reponses": {"age": "60-74", "foyer_18_59": personnes,
                        "internet_3mois": if ill { "non" } else { "oui" },
                        "competences_information": ["chercher_info"]},
           "at": "2026-11-20T10:05:00Z"});
    r["reponses"]["mediatheque"] = json!("oui");
    r
}

fn reponse_standard(uuid: String, q: i64, commune: &str, ill: bool) -> Value {
    let mut r = reponse(uuid, q, commune, 2, ill);
    if let Some(o) = r["reponses"].as_object_mut() {
        o.remove("mediatheque");
    }
    r
}

/// Issue 19 as a coordinator and a surveyor live it, through the pages only: the
/// coordinator creates a campaign, adds a surveyor, addresses and a question of the
/// territory; the surveyor's answers come back; the results are weighted against the
/// census (one-person households), mapped, exported, public; the questionnaire and the
/// consent are frozen once collection starts; a hand given at the door is counted.
#[tokio::test]
async fn enquete_coordinator_plans_a_campaign_and_reads_weighted_results() {
    let w = monde().await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let page = envoyer(
        &w.state,
        requete("GET", "/espace/enquete/nouvelle", Some(&c_ca), None),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.corps.contains("Vos réponses sont anonymes"),
        "a consent is proposed"
    );
    let cree = envoyer(
        &w.state,
        post_form(
            "/espace/enquete/nouvelle",
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("intitule", "Besoins numériques du Muretain"),
                ("territoire", "commune:31395, commune:31555"),
                ("debut", "2026-11-01"),
                ("fin", "2026-12-31"),
                ("menages", "100"),
                ("minimum", "20"),
                (
                    "consentement",
                    "Réponses anonymes, arrêt possible à tout moment.",
                ),
            ],
        ),
    )
    .await;
    assert_eq!(cree.status, StatusCode::SEE_OTHER, "{}", cree.corps);
    let gestion = cree.location();
    let id: i64 = gestion
        .trim_start_matches("/espace/enquete/")
        .split('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("campaign id");
    // A wrong date is said in words, the form kept.
    let faux = envoyer(
        &w.state,
        post_form(
            "/espace/enquete/nouvelle",
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("intitule", "Autre"),
                ("territoire", "commune:31395"),
                ("debut", "2026-12-31"),
                ("fin", "2026-11-01"),
                ("menages", "50"),
                ("minimum", "10"),
                ("consentement", "Anonyme."),
            ],
        ),
    )
    .await;
    assert_eq!(faux.status, StatusCode::BAD_REQUEST);
    assert!(faux
        .corps
        .contains("Fin : la fin de la campagne doit suivre son début"));

    let uri_gestion = format!("/espace/enquete/{id}/gestion");
    let g = envoyer(&w.state, requete("GET", &gestion, Some(&c_ca), None)).await;
    assert_eq!(g.status, StatusCode::OK);
    assert!(g.corps.contains("La campagne est créée"));
    let lignes = g.textes("table tbody tr");
    assert_eq!(lignes.len(), 2, "one target per commune");
    assert!(lignes.iter().any(|l| l.contains("Muret")));
    // The surveyor, by e-mail, on Muret; addresses; a question of the territory.
    for (chemin, champs) in [
        (
            "enqueteurs",
            vec![("courriel", "a1@exemple.fr"), ("communes", "31395")],
        ),
        (
            "adresses",
            vec![(
                "adresses",
                "31395;1 allée des Sports\n31395;2 allée des Sports",
            )],
        ),
        (
            "questions",
            vec![
                ("code", "mediatheque"),
                ("libelle", "Allez-vous à la médiathèque ?"),
                ("genre", "choix_unique"),
                ("options", "oui;Oui\nnon;Non"),
            ],
        ),
    ] {
        let mut c = vec![("csrf", csrf_ca.as_str())];
        c.extend(champs);
        let r = envoyer(
            &w.state,
            post_form(&format!("/espace/enquete/{id}/{chemin}"), &c_ca, &c),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{chemin}: {}", r.corps);
    }
    let g = envoyer(&w.state, requete("GET", &uri_gestion, Some(&c_ca), None)).await;
    assert!(
        g.corps.contains("version 2"),
        "the question made a new version"
    );
    assert!(
        g.textes("li")
            .iter()
            .any(|l| l.contains(&format!("compte n° {}", w.a1.get())) && l.contains("Muret")),
        "the surveyor and what they cover"
    );
    assert!(
        g.textes("table tbody tr td").contains(&"2".to_string()),
        "2 addresses"
    );
    // A surveyor may not manage.
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &uri_gestion, Some(&c_a1), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The surveyor's answers: in Muret, 8 people alone (6 in illectronisme) and 12 in
    // larger households (2).
    let d = json_de(
        &envoyer(
            &w.state,
            requete(
                "GET",
                &format!("/api/v1/enquete/{id}/dossier"),
                Some(&c_a1),
                None,
            ),
        )
        .await,
    );
    let q = d["questionnaire_id"].as_i64().expect("version");
    let mut questionnaires = Vec::new();
    for i in 0..20 {
        let seul = i < 8;
        let ill = if seul { i < 6 } else { i < 10 };
        questionnaires.push(reponse(uuid(i), q, "31395", if seul { 1 } else { 3 }, ill));
    }
    let r = envoyer(
        &w.state,
        json_post(
            &format!("/api/v1/enquete/{id}/synchro"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"questionnaires": questionnaires}),
        ),
    )
    .await;
    let r = json_de(&r);
    assert_eq!(r["nouveaux"].as_array().expect("new").len(), 20, "{r}");

    // Weighted against Muret's census share of one-person households.
    let s = maillage_enquete::indice_national()
        .commune("31395")
        .and_then(|c| c.valeurs[maillage_territoire::indice::Indicateur::MenagesUnePersonne])
        .expect("census")
        / 100.0;
    let attendu = s * 6.0 / 8.0 + (1.0 - s) * 2.0 / 12.0;
    let res = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/resultats"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let muret: Vec<String> = res
        .textes("table tr")
        .into_iter()
        .filter(|l| l.contains("Muret"))
        .collect();
    assert!(
        muret.iter().any(|l| l.contains(&pourcent(attendu))
            && l.contains(&pourcent(8.0 / 20.0))
            && l.contains("oui")),
        "weighted {} beside the plain 40,0 %: {muret:?}",
        pourcent(attendu)
    );
    assert!(res.corps.contains("carte-territoire"), "the progress map");
    assert!(
        res.corps.contains("20 questionnaires sur"),
        "the map's dots say it"
    );

    // Frozen: no more questions, the consent stays; title and dates still change.
    let r = envoyer(
        &w.state,
        post_form(
            &format!("/espace/enquete/{id}/questions"),
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("code", "bibliotheque"),
                ("libelle", "Et la bibliothèque ?"),
                ("genre", "oui_non"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("La collecte a commencé"));
    let r = envoyer(
        &w.state,
        post_form(
            &uri_gestion,
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("intitule", "Besoins numériques du Muretain"),
                ("debut", "2026-11-01"),
                ("fin", "2027-01-31"),
                ("consentement", "Un autre texte."),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("consentement ne peut plus changer"));
    let r = envoyer(
        &w.state,
        post_form(
            &uri_gestion,
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("intitule", "Besoins numériques du Muretain (prolongée)"),
                ("debut", "2026-11-01"),
                ("fin", "2027-01-31"),
                (
                    "consentement",
                    "Réponses anonymes, arrêt possible à tout moment.",
                ),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let g = envoyer(&w.state, requete("GET", &uri_gestion, Some(&c_ca), None)).await;
    assert!(g.corps.contains("(prolongée)"));
    assert!(
        !g.corps.contains("Ajouter une question"),
        "the question form is gone"
    );

    // Exports: aggregates, and the anonymous answers (managers only).
    let csv = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/agregats.csv"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .corps
        .contains("Niveau;Code;Territoire;Réponses;Taux d’illectronisme (%)"));
    assert!(csv
        .corps
        .lines()
        .any(|l| l.starts_with("commune;31395;Muret;20;")));
    let csv = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/reponses.csv"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    let lignes: Vec<&str> = csv.corps.lines().collect();
    assert_eq!(lignes.len(), 21, "a header and one row per questionnaire");
    assert!(lignes[0].contains("Personnes du foyer") && lignes[0].contains("mediatheque"));
    assert!(
        !csv.corps.contains(&uuid(0)),
        "no UUID in the anonymous answers"
    );
    assert_eq!(
        lignes.iter().filter(|l| l.ends_with(";non;oui")).count(),
        8,
        "8 without internet, in illectronisme"
    );
    let xlsx = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/reponses.xlsx"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/reponses.csv"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a surveyor gets aggregates only"
    );

    // The public page and its JSON, without a session.
    let p = envoyer(
        &w.state,
        requete("GET", &format!("/enquetes/{id}"), None, None),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.corps.contains(&pourcent(attendu)));
    assert!(
        !p.corps.contains("allée des Sports"),
        "no address on the public page"
    );
    let j = json_de(
        &envoyer(
            &w.state,
            requete(
                "GET",
                &format!("/api/v1/enquete/{id}/resultats"),
                None,
                None,
            ),
        )
        .await,
    );
    let c = j["communes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["code"] == "31395"))
        .expect("Muret");
    assert!((c["taux"].as_f64().expect("rate") - attendu).abs() < 1e-9);
    assert_eq!(c["pondere"], true);
    assert_eq!(c["reponses"], 20);
    let toulouse = j["avancement"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["commune"] == "31555"))
        .expect("Toulouse");
    assert_eq!(toulouse["questionnaires"], 0);

    // A hand at the door: only with consent; a key is made and shown; counted.
    let cdm = format!("/espace/enquete/{id}/coup-de-main");
    let r = envoyer(
        &w.state,
        post_form(
            &cdm,
            &c_a1,
            &[("csrf", &csrf_a1), ("commune", "31395"), ("genre", "cle")],
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "no consent, nothing given"
    );
    let r = envoyer(
        &w.state,
        post_form(
            &cdm,
            &c_a1,
            &[
                ("csrf", &csrf_a1),
                ("commune", "31395"),
                ("genre", "cle"),
                ("accord", "oui"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let code = r.textes(".code-personnel strong").join("");
    assert!(
        maillage_comptes::personnes::CodePersonnel::lire(&code).is_some(),
        "a personal code to give: {code}"
    );
    let r = envoyer(
        &w.state,
        post_form(
            &cdm,
            &c_a1,
            &[
                ("csrf", &csrf_a1),
                ("commune", "31395"),
                ("genre", "fiche"),
                ("besoin", "Aide aux démarches administratives"),
                ("accord", "oui"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location().starts_with("/lieux?besoin=Aide+aux+d"),
        "{}",
        r.location()
    );
    assert!(r.location().contains("ou=Muret"), "{}", r.location());
    let r = envoyer(
        &w.state,
        post_form(
            &cdm,
            &c_a1,
            &[
                ("csrf", &csrf_a1),
                ("commune", "31555"),
                ("genre", "inscription"),
                ("accord", "oui"),
            ],
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "Toulouse is not a1's sector"
    );
    let res = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/enquete/{id}/resultats"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert!(res.corps.contains("Fiches d’orientation : 1"));
    assert!(res.corps.contains("Inscriptions à un événement : 0"));
    assert!(res.corps.contains("Clés « Mon espace » : 1"));
}

/// The territory page puts the measured rate beside the index's prediction, and, with
/// enough surveyed communes, the calibrated index and its cross-validated error.
#[tokio::test]
async fn enquete_territory_page_shows_measured_predicted_and_calibrated() {
    let w = monde().await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let ca = acteur(&w, &c_ca).await;
    let e = w.state.instance.enquete();
    let id = e
        .creer_campagne(
            &ca,
            DemandeCampagne {
                intitule: "Le Muretain".into(),
                territoire: "epci:200068641".into(),
                debut: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                fin: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
                consentement: "Anonyme.".into(),
                menages: 1000,
                minimum_par_commune: 10,
            },
        )
        .await
        .expect("campaign");
    let communes: Vec<String> = e
        .cibles(id)
        .await
        .expect("targets")
        .into_iter()
        .map(|c| c.commune)
        .collect();
    assert!(communes.len() >= 10);
    let q = e.campagne(id).await.expect("campaign").questionnaire_id;
    // The page seen before any answer: the server keeps it (territoire::PageEnCache), and the
    // answers below must make it compute the page again.
    let avant = envoyer(
        &w.state,
        requete("GET", "/territoires/epci:200068641", None, None),
    )
    .await;
    assert_eq!(avant.status, StatusCode::OK);
    assert!(!avant.corps.contains("100 réponses"), "no answer yet");
    // Ten communes, 10 answers each, from 1 to 6 in illectronisme.
    let mut questionnaires = Vec::new();
    for (k, c) in communes.iter().take(10).enumerate() {
        for i in 0..10 {
            questionnaires.push(reponse_standard(uuid(100 * k + i), q, c, i < 1 + k % 6));
        }
    }
    let r = json_de(
        &envoyer(
            &w.state,
            json_post(
                &format!("/api/v1/enquete/{id}/synchro"),
                &c_ca,
                Some(&csrf_ca),
                &json!({"questionnaires": questionnaires}),
            ),
        )
        .await,
    );
    assert_eq!(r["nouveaux"].as_array().expect("new").len(), 100, "{r}");
    let mesures = e.mesures().await.expect("measures");
    let modele = mesures.modele.expect("ten communes: a calibrated index");
    assert_eq!(modele.communes, 10);
    let p = envoyer(
        &w.state,
        requete("GET", "/territoires/epci:200068641", None, None),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.corps.contains("Illectronisme : mesuré, prédit, calibré"));
    assert!(
        p.corps.contains("Mesuré ici : ") && p.corps.contains("100 réponses"),
        "the EPCI's measured rate"
    );
    let erreur = format!("{:.1} points", 100.0 * modele.erreur_cv).replace('.', ",");
    assert!(
        p.corps
            .contains(&format!("erreur en validation croisée : {erreur}")),
        "{erreur}"
    );
    assert!(p.corps.contains("appris sur 10 communes enquêtées"));
    assert_eq!(
        p.textes("#illectronisme tbody tr").len(),
        10,
        "the surveyed communes listed"
    );
    // A commune never surveyed: no measure, but the calibrated prediction.
    let autre = communes[12].clone();
    let p = envoyer(
        &w.state,
        requete("GET", &format!("/territoires/commune:{autre}"), None, None),
    )
    .await;
    assert!(p
        .corps
        .contains("pas d’enquête de besoins pour ce territoire"));
    assert!(p.corps.contains("Prédit par l’indice calibré : "));
}
