//! Événements, the organisers' space and the day itself: the pages `/espace/evenements…`
//! (create, publish, cancel, the lists) through the router, the check-in API (lists,
//! allotments, batches of check-ins) with its permissions, and the batches uploaded by many
//! clients at once through the real server on SQLite and PostgreSQL (one row per UUID).
//!
//! `cargo test -p maillage_essais --test web pointage` (or `evenements_espace::`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use maillage_comptes::comptes::EtapeConnexion;
use maillage_comptes::securite;
use maillage_domain::mediation::Role;
use maillage_domain::StructureId;
use maillage_evenements::DemandeInscription;
use maillage_instance::Instance;
use maillage_store_postgres::testing::TestDatabase;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::http::{envoyer, formulaire, requete, Reponse};
use super::mediation::{connecter, evenement_de_a, evenement_de_a_le, monde, Monde};

const APPAREIL_A: &str = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const APPAREIL_B: &str = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";

pub(crate) fn json_post(
    uri: &str,
    cookie: &str,
    csrf: Option<&str>,
    corps: &Value,
) -> Request<Body> {
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

pub(crate) fn json_de(r: &Reponse) -> Value {
    serde_json::from_str(&r.corps).unwrap_or_else(|e| panic!("{e}: {}", r.corps))
}

/// Publishes structure A's event and registers `n` persons (through the public use case).
async fn publie_avec_inscrits(w: &Monde, n: usize) -> (i64, i64, Vec<String>) {
    let e = evenement_de_a(w).await;
    let store = w.state.instance.store();
    store
        .set_statut_evenement(e, "publie")
        .await
        .expect("publish");
    let s = store.sessions_of_evenement(e).await.expect("sessions")[0].id;
    let mut uuids = Vec::new();
    for k in 0..n {
        let f = w
            .state
            .instance
            .evenements()
            .inscrire(
                s,
                &DemandeInscription {
                    prenom: format!("Personne{k}"),
                    contact: None,
                    ..Default::default()
                },
            )
            .await
            .expect("registered");
        uuids.push(f.uuid);
    }
    (e, s, uuids)
}

#[tokio::test]
async fn evenements_espace_creer_publier_annuler_et_voir_les_inscrits() {
    let w = monde().await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let (c_b1, _) = connecter(&w, "b1@exemple.fr").await;

    let r = envoyer(
        &w.state,
        requete("GET", "/espace/evenements/nouveau", Some(&c_ca), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("name=\"session_titre\""), "{}", r.corps);
    // The structure's mediator may not create.
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/evenements/nouveau", Some(&c_a1), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let champs = |capacite: &str, commune: &str| {
        formulaire(&[
            ("csrf", &csrf_ca),
            ("titre", "Village numérique de Muret"),
            ("type", "etape_tournee"),
            ("commune", commune),
            ("adresse", "Place de la République"),
            ("debut", "2035-06-12T09:00"),
            ("fin", "2035-06-12T17:00"),
            ("session_titre", "Déjouer les arnaques"),
            ("session_type", "atelier"),
            ("session_debut", "2035-06-12T10:00"),
            ("session_fin", "2035-06-12T11:00"),
            ("session_salle", "Salle des fêtes"),
            ("session_capacite", capacite),
            ("session_jauge", ""),
            ("session_titre", "Casque de réalité virtuelle"),
            ("session_type", "realite_virtuelle"),
            ("session_debut", "2035-06-12T14:00"),
            ("session_fin", "2035-06-12T15:00"),
            ("session_salle", ""),
            ("session_capacite", "4"),
            ("session_jauge", ""),
            // An empty row, left out.
            ("session_titre", ""),
            ("session_type", "atelier"),
            ("session_debut", ""),
            ("session_fin", ""),
            ("session_salle", ""),
            ("session_capacite", ""),
            ("session_jauge", ""),
        ])
    };
    // The import's reader, its message, the field in words; what was typed is kept.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/evenements",
            Some(&c_ca),
            Some(champs("douze", "Muret")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("Session 1, capacité"), "{}", r.corps);
    assert!(r.corps.contains("value=\"Village numérique de Muret\""));
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/evenements",
            Some(&c_ca),
            Some(champs("12", "Atlantide")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.corps
            .contains("Commune : aucune commune ne s’appelle « Atlantide »"),
        "{}",
        r.corps
    );
    // By name: Muret is 31395.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/evenements",
            Some(&c_ca),
            Some(champs("12", "Muret")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let lieu = r.location();
    let id: i64 = lieu
        .trim_start_matches("/espace/evenements/")
        .trim_end_matches("?cree=1")
        .parse()
        .expect("id");
    let store = w.state.instance.store();
    let e = store.evenement(id).await.unwrap().expect("created");
    assert_eq!(e.commune, "31395");
    assert_eq!(e.statut, "brouillon");
    let structure_a = store
        .compte(w.ca.get())
        .await
        .unwrap()
        .unwrap()
        .structure_id;
    assert_eq!(e.structure_id, structure_a);
    let sessions = store.sessions_of_evenement(id).await.unwrap();
    assert_eq!(sessions.len(), 2, "the empty row was left out");
    assert_eq!(sessions[0].capacite, 12);

    // Publish; then register two people publicly.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &format!("/espace/evenements/{id}/statut"),
            Some(&c_a1),
            Some(formulaire(&[("csrf", &csrf_a1), ("statut", "publie")])),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a mediator does not publish"
    );
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &format!("/espace/evenements/{id}/statut"),
            Some(&c_ca),
            Some(formulaire(&[("csrf", &csrf_ca), ("statut", "publie")])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store.evenement(id).await.unwrap().unwrap().statut, "publie");
    for p in ["Lucienne", "Marcel"] {
        w.state
            .instance
            .evenements()
            .inscrire(
                sessions[0].id,
                &DemandeInscription {
                    prenom: p.into(),
                    contact: None,
                    ..Default::default()
                },
            )
            .await
            .expect("registered");
    }
    // The structure's mediator sees the list; another structure's does not even see it.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{id}"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("Lucienne") && r.corps.contains("Marcel"));
    assert!(
        r.corps.contains("data-compte=\"inscrits\">2<"),
        "{}",
        r.corps
    );
    assert!(
        !r.corps.contains("Annuler l’événement"),
        "no organiser's button for a mediator"
    );
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{id}"),
            Some(&c_b1),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/evenements", Some(&c_a1), None),
    )
    .await;
    assert!(r.corps.contains("Village numérique de Muret"));
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/evenements", Some(&c_b1), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.corps.contains("Village numérique de Muret"));

    // Cancel.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &format!("/espace/evenements/{id}/statut"),
            Some(&c_ca),
            Some(formulaire(&[("csrf", &csrf_ca), ("statut", "annule")])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(store.evenement(id).await.unwrap().unwrap().statut, "annule");
}

#[tokio::test]
async fn evenements_espace_pointage_api_idempotent_deux_appareils_et_allocation() {
    let w = monde().await;
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let (c_b1, csrf_b1) = connecter(&w, "b1@exemple.fr").await;
    let (e, s, inscrits) = publie_avec_inscrits(&w, 3).await;
    let api = format!("/api/v1/evenements/{e}");

    // Lists: the structure's mediator; not another structure's, not without a session.
    let r = envoyer(
        &w.state,
        requete("GET", &format!("{api}/listes"), Some(&c_a1), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let l = json_de(&r);
    assert_eq!(
        l["sessions"][0]["inscriptions"].as_array().unwrap().len(),
        3
    );
    assert_eq!(l["sessions"][0]["places_libres"], 7);
    let r = envoyer(
        &w.state,
        requete("GET", &format!("{api}/listes"), Some(&c_b1), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(
        &w.state,
        requete("GET", &format!("{api}/listes"), None, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let lot = json!({"appareil": APPAREIL_A, "pointages": [
        {"uuid": "00000000-0000-4000-8000-000000000001", "session": s, "inscription": inscrits[0], "heure": "2035-06-12T09:05:00+02:00"},
        {"uuid": "00000000-0000-4000-8000-000000000002", "session": s, "inscription": inscrits[1], "heure": "2035-06-12T09:06:00+02:00"},
        {"uuid": "00000000-0000-4000-8000-000000000003", "session": s, "tranche_age": "soixante_dix_plus", "statut": "retraite", "heure": "2035-06-12T09:07:00+02:00"}
    ]});
    // Without the session's token in X-CSRF: refused, nothing written.
    let r = envoyer(
        &w.state,
        json_post(&format!("{api}/pointages"), &c_a1, None, &lot),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another structure's mediator, with its own token: the event is not found.
    let r = envoyer(
        &w.state,
        json_post(&format!("{api}/pointages"), &c_b1, Some(&csrf_b1), &lot),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/allocations"),
            &c_b1,
            Some(&csrf_b1),
            &json!({"appareil": APPAREIL_B, "sessions": [{"session": s, "places": 3}]}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(w
        .state
        .instance
        .store()
        .pointages_of_session(s)
        .await
        .unwrap()
        .is_empty());

    // Allotment: 10 seats, 3 registered → 7 free; A asks 5.
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/allocations"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"appareil": APPAREIL_A, "sessions": [{"session": s, "places": 5}]}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert_eq!(
        json_de(&r)["allocations"],
        json!([{"session": s, "places": 5}])
    );
    // B (the coordinator's phone) gets the 2 left.
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/allocations"),
            &c_ca,
            Some(&csrf_ca),
            &json!({"appareil": APPAREIL_B, "sessions": [{"session": s, "places": 5}]}),
        ),
    )
    .await;
    assert_eq!(
        json_de(&r)["allocations"],
        json!([{"session": s, "places": 2}])
    );

    let r = envoyer(
        &w.state,
        json_post(&format!("{api}/pointages"), &c_a1, Some(&csrf_a1), &lot),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let b = json_de(&r);
    let etats: Vec<&str> = b["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["etat"].as_str().unwrap())
        .collect();
    assert_eq!(etats, vec!["cree", "cree", "cree"]);
    assert_eq!(
        b["allocations"],
        json!([{"session": s, "places": 4}]),
        "the walk-in used one seat"
    );
    // Re-upload: nothing created.
    let r = envoyer(
        &w.state,
        json_post(&format!("{api}/pointages"), &c_a1, Some(&csrf_a1), &lot),
    )
    .await;
    let etats: Vec<String> = json_de(&r)["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["etat"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(etats, vec!["deja_recu"; 3]);
    assert_eq!(
        w.state
            .instance
            .store()
            .pointages_of_session(s)
            .await
            .unwrap()
            .len(),
        3
    );

    // B checks in person 0 too (it was offline): one presence, B is told.
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/pointages"),
            &c_ca,
            Some(&csrf_ca),
            &json!({"appareil": APPAREIL_B, "rendre": true, "pointages": [
                {"uuid": "00000000-0000-4000-8000-0000000000b1", "session": s, "inscription": inscrits[0], "heure": "2035-06-12T09:10:00+02:00"}
            ]}),
        ),
    )
    .await;
    let b = json_de(&r);
    assert_eq!(b["resultats"][0]["etat"], "deja_pointe");
    assert_eq!(
        b["resultats"][0]["message"],
        "déjà pointé par un autre appareil à 09:05"
    );
    assert_eq!(b["allocations"], json!([]), "B gave its allotment back");
    // A is told at its next sync.
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/pointages"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"appareil": APPAREIL_A, "pointages": []}),
        ),
    )
    .await;
    let b = json_de(&r);
    assert_eq!(b["avertissements"].as_array().unwrap().len(), 1, "{b}");
    assert!(b["avertissements"][0]
        .as_str()
        .unwrap()
        .contains("aussi pointée par un autre appareil à 09:10"));

    // Bad input names the field.
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/pointages"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"appareil": APPAREIL_A, "pointages": [
                {"uuid": "00000000-0000-4000-8000-0000000000c1", "session": s, "tranche_age": "vieux", "heure": "2035-06-12T09:10:00+02:00"}
            ]}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(json_de(&r)["parametre"], "pointages[0].tranche_age");
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/pointages"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"appareil": "mon-telephone", "pointages": []}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(json_de(&r)["parametre"], "appareil");

    // The list page: 2 present, 1 walk-in, Personne2 still « inscrit ».
    let r = envoyer(
        &w.state,
        requete("GET", &format!("/espace/evenements/{e}"), Some(&c_a1), None),
    )
    .await;
    assert!(
        r.corps.contains("data-compte=\"presents\">2<"),
        "{}",
        r.corps
    );
    assert!(
        r.corps.contains("data-compte=\"sur-place\">1<"),
        "{}",
        r.corps
    );
    assert!(r.corps.contains("09:05"));
    // The check-in page and its script.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}/accueil"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("data-csrf=\"") && r.corps.contains("/espace/evenements/accueil.js"));
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/evenements/accueil-sw.js", None, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.entetes["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(r.corps.contains("addEventListener('fetch'"));
}

// ---------------------------------------------------------------------------------------
// Many clients upload the same batch at once, through the real server.

const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const CLIENTS: usize = 24;

/// A mediator of a new structure, signed in through the kernel's own steps: `(cookie
/// header value, csrf)`.
async fn mediateur_connecte(instance: &Instance) -> (String, String, StructureId) {
    let store = instance.store();
    let st = store
        .create_structure("Tiers-lieu de Muret", None, Some("31395"))
        .await
        .expect("structure");
    let comptes = instance.comptes();
    let id = comptes
        .creer_compte(
            "accueil@exemple.fr",
            "Accueil",
            Role::Mediateur,
            Some(StructureId::new(st)),
            MDP,
        )
        .await
        .expect("account");
    comptes.activer_totp(id, SECRET).await.expect("totp");
    let EtapeConnexion::SecondFacteur(partiel) = comptes
        .connexion("accueil@exemple.fr", MDP, "127.0.0.1")
        .await
        .expect("password")
    else {
        panic!("second factor expected")
    };
    let code = securite::code_totp(SECRET, securite::pas_totp(comptes.maintenant())).expect("code");
    let jeton = comptes
        .second_facteur(&partiel.0, &code)
        .await
        .expect("code accepted");
    let a = comptes.acteur(&jeton.0).await.expect("actor");
    (
        format!("maillage_session={}", jeton.0),
        a.csrf().to_string(),
        StructureId::new(st),
    )
}

async fn poster(
    adresse: &str,
    chemin: &str,
    cookie: &str,
    csrf: &str,
    corps: &str,
) -> (u16, String) {
    let mut c = TcpStream::connect(adresse).await.expect("connect");
    let requete = format!(
        "POST {chemin} HTTP/1.1\r\nHost: {adresse}\r\nConnection: close\r\nCookie: {cookie}\r\nX-CSRF: {csrf}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{corps}",
        corps.len()
    );
    c.write_all(requete.as_bytes()).await.expect("write");
    let mut octets = Vec::new();
    c.read_to_end(&mut octets).await.expect("read");
    let texte = String::from_utf8_lossy(&octets).into_owned();
    let (tete, corps) = texte.split_once("\r\n\r\n").unwrap_or((&texte, ""));
    let statut = tete
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let corps = if tete
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        super::evenements::dechunk(corps)
    } else {
        corps.to_string()
    };
    (statut, corps)
}

/// `CLIENTS` clients (two devices, alternately) upload the same batch of 20 check-ins and
/// 10 walk-ins at once: each UUID makes one row, every answer is 200, and exactly one
/// answer created each check-in.
async fn pointage_simultane(instance: Instance) {
    let (cookie, csrf, st) = mediateur_connecte(&instance).await;
    // The event is imported by a coordinator of the mediator's structure (it organises it).
    let coord = instance
        .comptes()
        .creer_compte(
            "coord@exemple.fr",
            "Coordinatrice",
            Role::Coordinateur,
            Some(st),
            MDP,
        )
        .await
        .expect("coordinator");
    let organisateur = instance
        .comptes()
        .acteur_de_confiance(coord)
        .await
        .expect("actor");
    let fichier = json!({
        "titre": "Village numérique", "type": "etape_tournee", "commune": "31395", "adresse": "Place de la mairie",
        "debut": "2035-06-12T09:00:00+02:00", "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [{"titre": "Atelier", "type": "atelier", "debut": "2035-06-12T10:00:00+02:00",
                      "fin": "2035-06-12T11:00:00+02:00", "capacite": 40}]
    });
    let cree = instance
        .evenements()
        .importer(&organisateur, &fichier.to_string())
        .await
        .expect("event");
    let (e, s) = (cree.id, cree.sessions[0]);
    instance
        .store()
        .set_statut_evenement(e, "publie")
        .await
        .expect("publish");
    let mut inscrits = Vec::new();
    for k in 0..20 {
        let f = instance
            .evenements()
            .inscrire(
                s,
                &DemandeInscription {
                    prenom: format!("P{k}"),
                    contact: None,
                    ..Default::default()
                },
            )
            .await
            .expect("registered");
        inscrits.push(f.uuid);
    }
    let pointages: Vec<Value> = (0..20)
        .map(|k| json!({"uuid": format!("10000000-0000-4000-8000-{k:012}"), "session": s, "inscription": inscrits[k], "heure": "2035-06-12T10:01:00+02:00"}))
        .chain((0..10).map(|k| json!({"uuid": format!("20000000-0000-4000-8000-{k:012}"), "session": s, "tranche_age": "non_communique", "heure": "2035-06-12T10:02:00+02:00"})))
        .collect();
    let (adresse, serveur) = super::evenements::serveur(instance.clone()).await;
    let barriere = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let mut taches = Vec::new();
    for n in 0..CLIENTS {
        let corps = json!({"appareil": if n % 2 == 0 { APPAREIL_A } else { APPAREIL_B }, "pointages": pointages}).to_string();
        let (adresse, cookie, csrf, barriere) = (
            adresse.clone(),
            cookie.clone(),
            csrf.clone(),
            barriere.clone(),
        );
        taches.push(tokio::spawn(async move {
            barriere.wait().await;
            poster(
                &adresse,
                &format!("/api/v1/evenements/{e}/pointages"),
                &cookie,
                &csrf,
                &corps,
            )
            .await
        }));
    }
    let mut crees = 0;
    for t in taches {
        let (statut, corps) = t.await.expect("client");
        assert_eq!(statut, 200, "{corps}");
        let v: Value = serde_json::from_str(&corps).expect("json");
        crees += v["resultats"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["etat"] == "cree")
            .count();
    }
    assert_eq!(
        crees, 30,
        "each check-in created by exactly one of the {CLIENTS} uploads"
    );
    let rows = instance
        .store()
        .pointages_of_session(s)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 30);
    let presents = instance
        .store()
        .inscriptions_of_session(s)
        .await
        .expect("registrations")
        .iter()
        .filter(|i| i.statut == "present")
        .count();
    assert_eq!(presents, 20);
    serveur.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pointage_http_simultane_sqlite_une_ligne_par_uuid() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let instance = maillage_cli::stockage::ouvrir(&url).await.expect("store");
    pointage_simultane(instance).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pointage_http_simultane_postgres_une_ligne_par_uuid() {
    let db = TestDatabase::create().await;
    let instance = maillage_cli::stockage::ouvrir(&db.url)
        .await
        .expect("store");
    pointage_simultane(instance).await;
    db.drop_database().await;
}

/// After the day: the session's attendance becomes one collective activity record of the
/// signed-in mediator (once: a second click says it exists, with its link), and the report
/// gives registered, present, walk-ins and fill rate per session and in total, as a page and
/// as CSV.
#[tokio::test]
async fn evenements_espace_apres_la_journee_activite_collective_et_bilan() {
    use maillage_store::evenements::{GardeCapacite, NewInscription};
    let w = monde().await;
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    // The session runs today from 9 to 10 (UTC), the clock is at 9:00 and a bit.
    let e = evenement_de_a_le(
        &w,
        w.m.maintenant()
            .date_naive()
            .and_hms_opt(1, 0, 0)
            .unwrap()
            .and_utc()
            + chrono::Duration::hours(23),
    )
    .await;
    let store = w.state.instance.store();
    store.set_statut_evenement(e, "publie").await.unwrap();
    let s = store.sessions_of_evenement(e).await.unwrap()[0].id;
    // Four registrations (made before the day).
    let mut uuids = Vec::new();
    for k in 0..4 {
        let u = format!("00000000-0000-4000-8000-{:012}", 500 + k);
        store
            .create_inscription(
                &NewInscription {
                    session_id: s,
                    uuid: u.clone(),
                    prenom: format!("P{k}"),
                    contact: None,
                    cle: format!("CLE{k}"),
                    jeton_hash: format!("{k:064}"),
                    created_at: w.m.maintenant(),
                    personne_id: None,
                },
                GardeCapacite::Active,
            )
            .await
            .unwrap();
        uuids.push(u);
    }
    // Three present, two walk-ins (one allotted seat each via the API).
    let api = format!("/api/v1/evenements/{e}");
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/allocations"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"appareil": APPAREIL_A, "sessions": [{"session": s, "places": 2}]}),
        ),
    )
    .await;
    assert_eq!(
        json_de(&r)["allocations"],
        json!([{"session": s, "places": 2}])
    );
    // One registered person and one walk-in are oriented (the need named).
    let besoins = [Some("Aide aux démarches administratives"), None, None];
    let mut lot = Vec::new();
    for (k, u) in uuids.iter().take(3).enumerate() {
        lot.push(json!({"uuid": format!("00000000-0000-4000-8000-{:012}", 900 + k), "session": s, "inscription": u, "besoin": besoins[k], "heure": "2035-06-12T09:05:00+02:00"}));
    }
    for (k, (t, st, b)) in [
        ("soixante_dix_plus", "retraite", None),
        (
            "soixante_dix_plus",
            "retraite",
            Some("Accès internet et matériel informatique"),
        ),
    ]
    .iter()
    .enumerate()
    {
        lot.push(json!({"uuid": format!("00000000-0000-4000-8000-{:012}", 950 + k), "session": s, "tranche_age": t, "statut": st, "besoin": b, "heure": "2035-06-12T09:06:00+02:00"}));
    }
    // A need outside the vocabulary: refused, the field named, nothing recorded.
    let mut faux = lot.clone();
    faux[3]["besoin"] = json!("Réparer un vélo");
    let r = envoyer(
        &w.state,
        json_post(
            &format!("{api}/pointages"),
            &c_a1,
            Some(&csrf_a1),
            &json!({"appareil": APPAREIL_A, "pointages": faux}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert_eq!(json_de(&r)["parametre"], "pointages[3].besoin");
    // Sent twice (the device did not hear the first answer): counted once.
    for _ in 0..2 {
        let r = envoyer(
            &w.state,
            json_post(
                &format!("{api}/pointages"),
                &c_a1,
                Some(&csrf_a1),
                &json!({"appareil": APPAREIL_A, "pointages": lot, "rendre": true}),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    }

    // A walk-in wants a key: the mediator gives one from the check-in page (a plain form,
    // online only, said so); the code is shown once with the address of « Mon espace ».
    let accueil = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}/accueil"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert_eq!(accueil.status, StatusCode::OK);
    assert!(
        accueil.corps.contains("en ligne seulement"),
        "{}",
        accueil.corps
    );
    let action = format!("/espace/evenements/{e}/accueil/cle");
    assert_eq!(
        accueil.textes(&format!("form[action=\"{action}\"] button")),
        ["Donner une clé"]
    );
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &action,
            Some(&c_a1),
            Some(formulaire(&[
                ("csrf", &csrf_a1),
                ("session", &s.to_string()),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let code = r.textes("#cle").concat();
    assert!(code.trim().len() >= 8, "{}", r.corps);
    assert!(
        r.textes("#lien-espace").concat().ends_with("/mon-espace"),
        "{}",
        r.corps
    );
    // The code opens « Mon espace ».
    let ouvert = super::mandats_personne::ouvrir_mon_espace_sur(&w.state, code.trim()).await;
    assert_eq!(ouvert.status, StatusCode::SEE_OTHER, "{}", ouvert.corps);
    assert!(ouvert.cookie("maillage_espace").is_some());
    // Shown once: the check-in page does not show it again.
    let encore = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}/accueil"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert!(!encore.corps.contains(code.trim()));
    // A session that is not this event's: refused, no key made.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &action,
            Some(&c_a1),
            Some(formulaire(&[("csrf", &csrf_a1), ("session", "999999")])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);

    // The report: capacity 10, 4 registered, 3 present + 2 walk-ins = 5 participants, 50 %.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}/bilan"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.corps.contains("data-total=\"participants\">5<"),
        "{}",
        r.corps
    );
    assert!(
        r.corps.contains("data-total=\"remplissage\">50 %<"),
        "{}",
        r.corps
    );
    assert!(
        r.corps.contains("data-total=\"orientes\">2<"),
        "{}",
        r.corps
    );
    assert!(r.corps.contains("data-total=\"cles\">1<"), "{}", r.corps);
    assert!(r.corps.contains("<svg"), "chart");
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}/bilan.csv"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let csv = r.corps.trim_start_matches('\u{feff}');
    let lignes: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lignes[0],
        "Session;Capacité;Inscrits;Liste d’attente;Présents inscrits;Venus sans inscription;Participants;Taux de remplissage (%);Personnes orientées;Clés remises"
    );
    assert_eq!(lignes[1], "Atelier;10;4;0;3;2;5;50,0;2;1");
    assert_eq!(lignes[2], "Total;10;4;0;3;2;5;50,0;2;1");
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}/bilan.xlsx"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.starts_with("PK"), "a zip (XLSX)");

    // The coordinator is no mediator: it must choose one, among the mediators of its
    // structure (the event's page lists a1 and a2, not b1 of another structure).
    let chemin = format!("/espace/evenements/{e}/sessions/{s}/activite");
    let page = envoyer(
        &w.state,
        requete("GET", &format!("/espace/evenements/{e}"), Some(&c_ca), None),
    )
    .await;
    let choix = page.textes("select[name=mediateur] option");
    assert_eq!(choix, ["a1@exemple.fr", "a2@exemple.fr"], "{}", page.corps);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(formulaire(&[("csrf", &csrf_ca)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(store.activite_of_session(s).await.unwrap().is_none());
    // A mediator of another structure: refused, nothing created.
    let b1 = w.b1.get().to_string();
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(formulaire(&[("csrf", &csrf_ca), ("mediateur", &b1)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.corps);
    assert!(store.activite_of_session(s).await.unwrap().is_none());
    // A mediator may not give it to a colleague (only the coordinator chooses).
    let a2 = w.a2.get().to_string();
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_a1),
            Some(formulaire(&[("csrf", &csrf_a1), ("mediateur", &a2)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.corps);
    assert!(store.activite_of_session(s).await.unwrap().is_none());
    // Too early: the session is tomorrow and a record cannot be dated in the future.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_a1),
            Some(formulaire(&[("csrf", &csrf_a1)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("futur"), "{}", r.corps);
    assert!(
        store.activite_of_session(s).await.unwrap().is_none(),
        "the reservation was given up"
    );
    // The day has come and gone: the coordinator gives the record to a2.
    w.horloge.avancer(chrono::Duration::days(2));
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(formulaire(&[("csrf", &csrf_ca), ("mediateur", &a2)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert!(r.location().ends_with(&format!("?activite_creee={s}")));
    let activite = store.activite_of_session(s).await.unwrap().expect("made");
    let a2 = w.m.comptes().acteur_de_confiance(w.a2).await.unwrap();
    let lue = w.m.activite(&a2, activite).await.expect("a2's record");
    assert_eq!(lue.cra.participants(), 5);
    assert_eq!(
        lue.cra.type_activite,
        maillage_domain::mediation::TypeActivite::Collectif
    );
    assert_eq!(lue.cra.titre.as_deref(), Some("Atelier"));
    assert_eq!(lue.row.mediateur_id, w.a2.get());
    // Once.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_a1),
            Some(formulaire(&[("csrf", &csrf_a1)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = envoyer(&w.state, requete("GET", &r.location(), Some(&c_a1), None)).await;
    assert!(r.corps.contains("existe déjà"), "{}", r.corps);
    assert!(r
        .corps
        .contains(&format!("href=\"/espace/activites/{activite}\"")));
    assert_eq!(store.activite_of_session(s).await.unwrap(), Some(activite));
}

#[test]
fn pointage_thematique_de_la_session() {
    use maillage_domain::mediation::Thematique as T;
    use maillage_web::evenements_espace::thematique_de;
    assert_eq!(
        thematique_de("Déjouer les arnaques en ligne", "atelier"),
        T::SecuriteNumerique
    );
    assert_eq!(
        thematique_de("Casque de réalité virtuelle", "realite_virtuelle"),
        T::CultureNumerique
    );
    assert_eq!(
        thematique_de("Prendre en main sa tablette", "atelier"),
        T::PrendreEnMainDuMateriel
    );
    assert_eq!(
        thematique_de("Connaître son niveau", "stand"),
        T::DiagnosticNumerique
    );
}

/// The edit form's fields: the event, then one row per `(id, titre, capacite)` session (an
/// empty id adds one), then the ids to remove.
fn champs_modification(
    csrf: &str,
    titre: &str,
    sessions: &[(&str, &str, &str)],
    retirer: &[&str],
) -> String {
    let mut v: Vec<(&str, &str)> = vec![
        ("csrf", csrf),
        ("titre", titre),
        ("type", "atelier"),
        ("commune", "31555"),
        ("adresse", "1 allée Jacques-Chaban-Delmas"),
        ("lieu", ""),
        ("debut", "2035-06-12T11:00"),
        ("fin", "2035-06-12T14:00"),
        ("description", ""),
        ("acc_mobilite", "Ascenseur"),
        ("acc_auditif", ""),
        ("acc_visuel", ""),
        ("acc_mental", ""),
    ];
    for (id, t, capacite) in sessions {
        v.extend([
            ("session_id", *id),
            ("session_titre", *t),
            ("session_type", "atelier"),
            ("session_debut", "2035-06-12T11:00"),
            ("session_fin", "2035-06-12T12:00"),
            ("session_salle", "Auditorium"),
            ("session_capacite", *capacite),
            ("session_jauge", ""),
        ]);
    }
    for r in retirer {
        v.push(("session_retirer", r));
    }
    formulaire(&v)
}

#[tokio::test]
async fn evenements_espace_modifier_l_evenement_et_son_programme() {
    let w = monde().await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let (e, s, _) = publie_avec_inscrits(&w, 3).await;
    let chemin = format!("/espace/evenements/{e}/modifier");
    let sid = s.to_string();

    // The form shows the event, its session and the seats taken.
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&c_ca), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains("value=\"Atelier de la médiathèque\""),
        "{}",
        r.corps
    );
    assert!(r
        .corps
        .contains(&format!("name=\"session_id\" value=\"{s}\"")));
    assert!(
        r.corps.contains("3 place(s) prise(s) sur 10"),
        "{}",
        r.corps
    );
    let detail = envoyer(
        &w.state,
        requete("GET", &format!("/espace/evenements/{e}"), Some(&c_ca), None),
    )
    .await;
    assert!(detail.corps.contains(&chemin), "{}", detail.corps);

    // Below the registered count: refused, the field named, nothing written.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(champs_modification(
                &csrf_ca,
                "Nouveau titre",
                &[(&sid, "Atelier", "2")],
                &[],
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(
        r.corps
            .contains("Session 1, capacité : 3 places sont déjà prises"),
        "{}",
        r.corps
    );
    let store = w.state.instance.store();
    assert_eq!(
        store.evenement(e).await.unwrap().unwrap().titre,
        "Atelier de la médiathèque"
    );

    // Removing a session with registrations: refused in plain words.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(champs_modification(
                &csrf_ca,
                "Nouveau titre",
                &[(&sid, "Atelier", "10")],
                &[&sid],
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(
        r.corps
            .contains("la session « Atelier » a déjà des inscriptions"),
        "{}",
        r.corps
    );
    assert_eq!(store.sessions_of_evenement(e).await.unwrap().len(), 1);

    // The event, its session (capacity 3: exactly the seats taken) and a new session.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(champs_modification(
                &csrf_ca,
                "Atelier : déjouer les arnaques",
                &[(&sid, "Déjouer les arnaques", "3"), ("", "Quiz", "20")],
                &[],
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let ev = store.evenement(e).await.unwrap().unwrap();
    assert_eq!(ev.titre, "Atelier : déjouer les arnaques");
    assert_eq!(ev.adresse.as_deref(), Some("1 allée Jacques-Chaban-Delmas"));
    assert_eq!(ev.accessibilite.mobilite.as_deref(), Some("Ascenseur"));
    assert_eq!(ev.statut, "publie");
    let sessions = store.sessions_of_evenement(e).await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].id, s);
    assert_eq!(sessions[0].titre, "Déjouer les arnaques");
    assert_eq!(sessions[0].salle.as_deref(), Some("Auditorium"));
    assert_eq!((sessions[0].capacite, sessions[0].inscrits), (3, 3));
    assert_eq!(
        (sessions[1].titre.as_str(), sessions[1].capacite),
        ("Quiz", 20)
    );
    let quiz = sessions[1].id.to_string();

    // Full: the fourth goes to the waiting list; one more seat takes them in.
    let f = w
        .state
        .instance
        .evenements()
        .inscrire(
            s,
            &DemandeInscription {
                prenom: "Quatrième".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(f.statut.code(), "liste_attente");
    // The empty new session goes; the first gets a fourth seat.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(champs_modification(
                &csrf_ca,
                "Atelier : déjouer les arnaques",
                &[(&sid, "Déjouer les arnaques", "4"), (&quiz, "Quiz", "20")],
                &[&quiz],
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let sessions = store.sessions_of_evenement(e).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        (
            sessions[0].capacite,
            sessions[0].inscrits,
            sessions[0].en_attente
        ),
        (4, 4, 0)
    );
    let i = store.inscription_by_uuid(&f.uuid).await.unwrap().unwrap();
    assert_eq!(i.statut, "inscrit");
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/evenements/{e}?modifie=1"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert!(
        r.corps.contains("Modifications enregistrées."),
        "{}",
        r.corps
    );

    // A cancelled event is not edited any more.
    w.state
        .instance
        .evenements()
        .changer_statut(
            &w.state.instance.comptes().exploitant(),
            e,
            maillage_evenements::StatutEvenement::Annule,
        )
        .await
        .unwrap();
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_ca),
            Some(champs_modification(
                &csrf_ca,
                "Autre",
                &[(&sid, "Atelier", "4")],
                &[],
            )),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("ne se modifie plus"), "{}", r.corps);
}

/// The local actors of an event: typed one a line on the edit page (named partners, or
/// places of the directory by their identifier), shown on the public page, removed by
/// erasing their line; an unknown place identifier is refused and nothing is written.
#[tokio::test]
async fn evenements_espace_acteurs_locaux_sur_la_page_de_modification() {
    let w = monde().await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let (e, s, _) = publie_avec_inscrits(&w, 1).await;
    let chemin = format!("/espace/evenements/{e}/modifier");
    let sid = s.to_string();
    let poster = |acteurs: &str| {
        let corps = format!(
            "{}&{}",
            champs_modification(&csrf_ca, "Atelier", &[(&sid, "Atelier", "10")], &[]),
            formulaire(&[("acteurs", acteurs)])
        );
        requete("POST", &chemin, Some(&c_ca), Some(corps))
    };
    // Two partners named.
    let r = envoyer(
        &w.state,
        poster("FabLab du Sicoval\n\n  CAF de la Haute-Garonne  \n"),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let public = envoyer(
        &w.state,
        requete("GET", &format!("/evenements/{e}"), None, None),
    )
    .await;
    assert_eq!(
        public.textes("ul.acteurs-locaux li"),
        ["FabLab du Sicoval", "CAF de la Haute-Garonne"],
        "{}",
        public.corps
    );
    // The edit page gives them back, one a line.
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&c_ca), None)).await;
    assert!(
        r.corps
            .contains(">FabLab du Sicoval\nCAF de la Haute-Garonne</textarea>"),
        "{}",
        r.corps
    );
    // An unknown place of the directory: refused, named, nothing changed.
    let r = envoyer(&w.state, poster("FabLab du Sicoval\nlieu-qui-n-existe-pas")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("lieu-qui-n-existe-pas"), "{}", r.corps);
    let public = envoyer(
        &w.state,
        requete("GET", &format!("/evenements/{e}"), None, None),
    )
    .await;
    assert_eq!(public.textes("ul.acteurs-locaux li").len(), 2);
    // One removed by erasing its line.
    let r = envoyer(&w.state, poster("CAF de la Haute-Garonne")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let public = envoyer(
        &w.state,
        requete("GET", &format!("/evenements/{e}"), None, None),
    )
    .await;
    assert_eq!(
        public.textes("ul.acteurs-locaux li"),
        ["CAF de la Haute-Garonne"]
    );
    // A mediator may not edit them.
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let corps = format!(
        "{}&{}",
        champs_modification(&csrf_a1, "Atelier", &[(&sid, "Atelier", "10")], &[]),
        formulaire(&[("acteurs", "Autre")])
    );
    let r = envoyer(&w.state, requete("POST", &chemin, Some(&c_a1), Some(corps))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.corps);
    let public = envoyer(
        &w.state,
        requete("GET", &format!("/evenements/{e}"), None, None),
    )
    .await;
    assert_eq!(
        public.textes("ul.acteurs-locaux li"),
        ["CAF de la Haute-Garonne"]
    );
}
