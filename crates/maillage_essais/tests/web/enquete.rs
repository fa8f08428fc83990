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
