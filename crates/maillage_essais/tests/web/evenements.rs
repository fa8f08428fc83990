//! Événements through the real server (hyper on a port of 127.0.0.1): hard capacity under
//! concurrency on SQLite and PostgreSQL, with one app server or two on one PostgreSQL
//! database, and the control runs with the test-only switch that disables the guard
//! (showing the tests can fail); then the API's answers and the public pages.
//!
//! The event is created by the module's import (the organiser's way); every registration
//! goes through HTTP (`POST /api/v1/sessions/{id}/inscriptions`), sent by plain HTTP/1.1
//! clients over TCP, all 200 in flight at once (a barrier releases them together).
//!
//! `cargo test -p maillage_essais --test web capacite` (or `evenements::`).

use std::sync::Arc;

use maillage_evenements::stockage::GardeCapacite;
use maillage_instance::Instance;
use maillage_store_postgres::testing::TestDatabase;
use maillage_web::{AppState, Site};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CAPACITE: i64 = 30;
const REQUETES: usize = 200;

/// An event of the Numérique Tour in Muret with a session of `capacite` seats, tomorrow
/// and later (far enough in the future that the session is open).
fn fichier_evenement(capacite: i64) -> String {
    serde_json::json!({
        "titre": "Village numérique de Muret",
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T17:00:00+02:00",
        "accessibilite": {"mobilite": "Plain-pied, toilettes adaptées"},
        "sessions": [
            {"titre": "Déjouer les arnaques en ligne", "type": "atelier",
             "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T11:00:00+02:00",
             "salle": "Salle des fêtes", "capacite": capacite},
            {"titre": "Casque de réalité virtuelle", "type": "realite_virtuelle",
             "debut": "2035-06-12T14:00:00+02:00", "fin": "2035-06-12T15:00:00+02:00",
             "capacite": 4}
        ]
    })
    .to_string()
}

/// A server over `instance` on a free port, no per-address limit (every client here is
/// 127.0.0.1). Returns its address.
async fn serveur(instance: Instance) -> (String, tokio::task::JoinHandle<()>) {
    let mut state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    state.inscriptions = Arc::new(maillage_web::evenements::GardeInscriptions::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let adresse = listener.local_addr().expect("address").to_string();
    let app = maillage_web::router(state);
    let tache = tokio::spawn(async move {
        let _ = maillage_web::serveur::servir(
            listener,
            app,
            maillage_web::serveur::ReglagesServeur::default(),
            std::future::pending(),
        )
        .await;
    });
    (adresse, tache)
}

async fn instance_sur(url: &str, garde: GardeCapacite) -> Instance {
    let instance = maillage_cli::stockage::ouvrir(url).await.expect("store");
    let e = instance.evenements().clone().avec_garde(garde);
    instance.avec_evenements(e)
}

/// Creates the event through the module (as `maillage evenements importer` does); returns
/// the event's id and the first session's.
async fn creer_evenement(instance: &Instance, capacite: i64) -> (i64, i64) {
    let operateur = instance.comptes().exploitant();
    let cree = instance
        .evenements()
        .importer(&operateur, &fichier_evenement(capacite))
        .await
        .expect("event imported");
    (cree.id, cree.sessions[0])
}

/// One HTTP/1.1 exchange on a new connection: `(status, body)`.
async fn http(adresse: &str, methode: &str, chemin: &str, json: Option<&str>) -> (u16, String) {
    let mut c = TcpStream::connect(adresse).await.expect("connect");
    let corps = json.unwrap_or("");
    let mut requete = format!(
        "{methode} {chemin} HTTP/1.1\r\nHost: {adresse}\r\nConnection: close\r\nContent-Length: {}\r\n",
        corps.len()
    );
    if json.is_some() {
        requete.push_str("Content-Type: application/json\r\n");
    }
    requete.push_str("\r\n");
    requete.push_str(corps);
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
    let chunked = tete
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        statut,
        if chunked {
            dechunk(corps)
        } else {
            corps.to_string()
        },
    )
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((taille, reste)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(taille.trim(), 16) else {
            break;
        };
        if n == 0 || reste.len() < n {
            break;
        }
        out.push_str(&reste[..n]);
        s = reste[n..].trim_start_matches("\r\n");
    }
    out
}

/// What 200 simultaneous registrations gave.
#[derive(Debug, Default)]
struct Bilan {
    inscrits: usize,
    attente: usize,
    /// Any other answer: `(status, body)`.
    autres: Vec<(u16, String)>,
    ids: Vec<String>,
}

/// Sends `REQUETES` registrations to `session`, spread over `serveurs` in turn, all in
/// flight at once (each client connects, then waits at a barrier before writing).
async fn inscrire_en_meme_temps(serveurs: &[String], session: i64) -> Bilan {
    let barriere = Arc::new(tokio::sync::Barrier::new(REQUETES));
    let taches: Vec<_> = (0..REQUETES)
        .map(|n| {
            let adresse = serveurs[n % serveurs.len()].clone();
            let barriere = Arc::clone(&barriere);
            tokio::spawn(async move {
                let corps = serde_json::json!({"prenom": format!("Visiteur {n}")}).to_string();
                barriere.wait().await;
                http(
                    &adresse,
                    "POST",
                    &format!("/api/v1/sessions/{session}/inscriptions"),
                    Some(&corps),
                )
                .await
            })
        })
        .collect();
    let mut bilan = Bilan::default();
    for t in taches {
        let (statut, corps) = t.await.expect("client task");
        let v: Value = serde_json::from_str(&corps).unwrap_or(Value::Null);
        match (statut, v["statut"].as_str()) {
            (201, Some("inscrit")) => bilan.inscrits += 1,
            (201, Some("liste_attente")) => bilan.attente += 1,
            _ => bilan.autres.push((statut, corps)),
        }
        if let Some(id) = v["id"].as_str() {
            bilan.ids.push(id.to_string());
        }
    }
    bilan
}

/// The seats of the session as the API says them: `(inscrits, en_attente)`.
async fn places(adresse: &str, evenement: i64) -> (i64, i64) {
    let (statut, corps) = http(
        adresse,
        "GET",
        &format!("/api/v1/evenements/{evenement}"),
        None,
    )
    .await;
    assert_eq!(statut, 200, "{corps}");
    let v: Value = serde_json::from_str(&corps).expect("json");
    let s = &v["sessions"][0];
    (
        s["inscrits"].as_i64().unwrap_or(-1),
        s["en_attente"].as_i64().unwrap_or(-1),
    )
}

/// Exactly 30 « inscrit », 170 « liste_attente », 200 answers 201, 200 distinct ids, and the
/// API agrees.
async fn exiger_capacite_exacte(bilan: &Bilan, adresse: &str, evenement: i64) {
    assert!(
        bilan.autres.is_empty(),
        "unexpected answers: {:?}",
        bilan.autres
    );
    assert_eq!(
        (bilan.inscrits, bilan.attente),
        (CAPACITE as usize, REQUETES - CAPACITE as usize)
    );
    let mut ids = bilan.ids.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        REQUETES,
        "one registration per request, none lost"
    );
    assert_eq!(
        places(adresse, evenement).await,
        (CAPACITE, REQUETES as i64 - CAPACITE)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacite_sqlite_200_inscriptions_simultanees() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    let instance = instance_sur(&url, GardeCapacite::Active).await;
    let (evenement, session) = creer_evenement(&instance, CAPACITE).await;
    let (adresse, serveur) = serveur(instance).await;
    let bilan = inscrire_en_meme_temps(std::slice::from_ref(&adresse), session).await;
    exiger_capacite_exacte(&bilan, &adresse, evenement).await;
    serveur.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacite_postgres_200_inscriptions_simultanees() {
    let db = TestDatabase::create().await;
    let instance = instance_sur(&db.url, GardeCapacite::Active).await;
    let (evenement, session) = creer_evenement(&instance, CAPACITE).await;
    let (adresse, serveur) = serveur(instance).await;
    let bilan = inscrire_en_meme_temps(std::slice::from_ref(&adresse), session).await;
    exiger_capacite_exacte(&bilan, &adresse, evenement).await;
    serveur.abort();
    db.drop_database().await;
}

/// Two app servers, each with its own store (its own connection pool) on one PostgreSQL
/// database, half the requests to each: the lock is the database's, not a process's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacite_postgres_deux_serveurs_une_base() {
    let db = TestDatabase::create().await;
    let a = instance_sur(&db.url, GardeCapacite::Active).await;
    let b = instance_sur(&db.url, GardeCapacite::Active).await;
    let (evenement, session) = creer_evenement(&a, CAPACITE).await;
    let (adresse_a, serveur_a) = serveur(a).await;
    let (adresse_b, serveur_b) = serveur(b).await;
    let bilan = inscrire_en_meme_temps(&[adresse_a.clone(), adresse_b.clone()], session).await;
    exiger_capacite_exacte(&bilan, &adresse_a, evenement).await;
    // The other node reads the same figures.
    assert_eq!(
        places(&adresse_b, evenement).await,
        (CAPACITE, REQUETES as i64 - CAPACITE)
    );
    serveur_a.abort();
    serveur_b.abort();
    db.drop_database().await;
}

/// The control: the same run with the test-only switch (guard off, race window opened)
/// overbooks, so the tests above can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacite_controle_sans_garde_postgres_surreserve() {
    let db = TestDatabase::create().await;
    let a = instance_sur(&db.url, GardeCapacite::DesactiveePourEssai).await;
    let b = instance_sur(&db.url, GardeCapacite::DesactiveePourEssai).await;
    let (evenement, session) = creer_evenement(&a, CAPACITE).await;
    let (adresse_a, serveur_a) = serveur(a).await;
    let (adresse_b, serveur_b) = serveur(b).await;
    let bilan = inscrire_en_meme_temps(&[adresse_a.clone(), adresse_b], session).await;
    assert!(bilan.autres.is_empty(), "{:?}", bilan.autres);
    eprintln!(
        "control without guard: {} inscrit, {} liste_attente for {CAPACITE} seats",
        bilan.inscrits, bilan.attente
    );
    assert!(
        bilan.inscrits > CAPACITE as usize,
        "without the guard {} « inscrit » for {CAPACITE} seats: the control did not overbook",
        bilan.inscrits
    );
    let (inscrits, _) = places(&adresse_a, evenement).await;
    assert_eq!(inscrits, bilan.inscrits as i64);
    serveur_a.abort();
    serveur_b.abort();
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacite_controle_sans_garde_sqlite_surreserve() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    let instance = instance_sur(&url, GardeCapacite::DesactiveePourEssai).await;
    let (_, session) = creer_evenement(&instance, CAPACITE).await;
    let (adresse, serveur) = serveur(instance).await;
    let bilan = inscrire_en_meme_temps(std::slice::from_ref(&adresse), session).await;
    assert!(bilan.autres.is_empty(), "{:?}", bilan.autres);
    eprintln!(
        "control without guard: {} inscrit, {} liste_attente for {CAPACITE} seats",
        bilan.inscrits, bilan.attente
    );
    assert!(
        bilan.inscrits > CAPACITE as usize,
        "without the guard {} « inscrit » for {CAPACITE} seats: the control did not overbook",
        bilan.inscrits
    );
    serveur.abort();
}

/// The API's answers to bad input, in French, with the right status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_api_refuse_en_francais() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    let instance = instance_sur(&url, GardeCapacite::Active).await;
    let (evenement, session) = creer_evenement(&instance, 2).await;
    let operateur = instance.comptes().exploitant();
    let module = instance.evenements().clone();
    let (adresse, serveur) = serveur(instance).await;
    let poster = |corps: &str| {
        let adresse = adresse.clone();
        let corps = corps.to_string();
        async move {
            let (s, c) = http(
                &adresse,
                "POST",
                &format!("/api/v1/sessions/{session}/inscriptions"),
                Some(&corps),
            )
            .await;
            (s, serde_json::from_str::<Value>(&c).unwrap_or(Value::Null))
        }
    };
    let (s, v) = poster(r#"{"prenom": "   "}"#).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["parametre"], "prenom");
    assert_eq!(v["erreur"], "prenom : indiquez un prénom ou un pseudonyme");
    let (s, v) = poster(&serde_json::json!({"prenom": "x".repeat(51)}).to_string()).await;
    assert_eq!(
        (s, v["erreur"].as_str()),
        (400, Some("prenom : 50 caractères au plus (ici 51)"))
    );
    let (s, v) =
        poster(&serde_json::json!({"prenom": "Lu", "contact": "x".repeat(201)}).to_string()).await;
    assert_eq!((s, v["parametre"].as_str()), (400, Some("contact")));
    let (s, v) = poster(r#"{"prenom": "Robot", "site_web": "http://spam"}"#).await;
    assert_eq!((s, v["parametre"].as_str()), (400, Some("site_web")));
    let (s, v) = poster(r#"{"prenom": 12}"#).await;
    assert_eq!(
        (s, v["erreur"].as_str()),
        (400, Some("prenom : doit être un texte"))
    );
    let (s, _) = poster("{pas du json").await;
    assert_eq!(s, 400);
    // Not JSON: refused (a page of another site cannot post JSON without asking first).
    let (s, c) = http(
        &adresse,
        "POST",
        &format!("/api/v1/sessions/{session}/inscriptions"),
        None,
    )
    .await;
    assert_eq!(s, 415, "{c}");
    // Unknown session.
    let (s, c) = http(
        &adresse,
        "POST",
        "/api/v1/sessions/999999/inscriptions",
        Some(r#"{"prenom": "Lu"}"#),
    )
    .await;
    assert_eq!(s, 404, "{c}");
    // A good one, then the event is cancelled: 409.
    let (s, v) = poster(r#"{"prenom": "Lucienne", "contact": "06 12 34 56 78"}"#).await;
    assert_eq!((s, v["statut"].as_str()), (201, Some("inscrit")), "{v}");
    assert_eq!(v["cle"].as_str().map(str::len), Some(9));
    module
        .changer_statut(
            &operateur,
            evenement,
            maillage_evenements::StatutEvenement::Annule,
        )
        .await
        .expect("cancelled");
    let (s, v) = poster(r#"{"prenom": "Paul"}"#).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(
        v["erreur"],
        "Cet événement est annulé : les inscriptions sont fermées."
    );
    // The list and the filters.
    let (s, c) = http(
        &adresse,
        "GET",
        "/api/v1/evenements?commune=31395&depuis=2035-01-01&type=etape_tournee",
        None,
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let v: Value = serde_json::from_str(&c).expect("json");
    assert_eq!(v["total"], 1);
    assert_eq!(v["evenements"][0]["commune_nom"], "Muret");
    assert_eq!(v["evenements"][0]["statut"], "annule");
    let (_, c) = http(&adresse, "GET", "/api/v1/evenements?commune=31555", None).await;
    assert_eq!(serde_json::from_str::<Value>(&c).expect("json")["total"], 0);
    let (_, c) = http(
        &adresse,
        "GET",
        "/api/v1/evenements?territoire=dep:31",
        None,
    )
    .await;
    assert_eq!(serde_json::from_str::<Value>(&c).expect("json")["total"], 1);
    let (s, c) = http(&adresse, "GET", "/api/v1/evenements?commune=99999", None).await;
    assert_eq!(s, 400, "{c}");
    let (s, c) = http(&adresse, "GET", "/api/v1/evenements?type=karaoke", None).await;
    assert_eq!(s, 400, "{c}");
    let (s, _) = http(&adresse, "GET", "/api/v1/evenements/999999", None).await;
    assert_eq!(s, 404);
    serveur.abort();
}

/// The API's detail of an event is a file the import reads again (round trip).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_aller_retour_api_import() {
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (evenement, _) = creer_evenement(&instance, 12).await;
    let operateur = instance.comptes().exploitant();
    let module = instance.evenements().clone();
    let (adresse, serveur) = serveur(instance).await;
    let (s, premier) = http(
        &adresse,
        "GET",
        &format!("/api/v1/evenements/{evenement}"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let copie = module
        .importer(&operateur, &premier)
        .await
        .expect("re-imported");
    assert_ne!(copie.id, evenement);
    let (_, second) = http(
        &adresse,
        "GET",
        &format!("/api/v1/evenements/{}", copie.id),
        None,
    )
    .await;
    let sans_ids = |texte: &str| {
        let mut v: Value = serde_json::from_str(texte).expect("json");
        v["id"] = Value::Null;
        v["url"] = Value::Null;
        for s in v["sessions"].as_array_mut().into_iter().flatten() {
            s["id"] = Value::Null;
        }
        v
    };
    assert_eq!(sans_ids(&premier), sans_ids(&second));
    serveur.abort();
}

/// A registration through the public form of the event page, then its cancellation by the
/// link: the waiting person gets the seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_formulaire_public_et_annulation() {
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (evenement, session) = creer_evenement(&instance, 1).await;
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    use super::http::{envoyer, formulaire, requete};
    let page = envoyer(
        &state,
        requete("GET", &format!("/evenements/{evenement}"), None, None),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.corps.contains("1 place libre sur 1"), "{}", page.corps);
    assert!(page.corps.contains("Plain-pied, toilettes adaptées"));
    let jeton = page
        .champ(
            &format!("form[action^='/sessions/{session}/'] input[name=jeton]"),
            "value",
        )
        .expect("signed token in the form");
    let poster = |prenom: &str, jeton: &str| {
        requete(
            "POST",
            &format!("/sessions/{session}/inscription"),
            None,
            Some(formulaire(&[
                ("prenom", prenom),
                ("contact", ""),
                ("site_web", ""),
                ("jeton", jeton),
            ])),
        )
    };
    let r = envoyer(&state, poster("Lucienne", &jeton)).await;
    assert_eq!(r.status, 200, "{}", r.corps);
    assert!(r.corps.contains("Vous êtes inscrit"));
    let lien = r
        .champ("#lien-annulation", "href")
        .expect("cancellation link");
    let cle = r.champ("#cle", "id").map(|_| ());
    assert!(cle.is_some());
    let r2 = envoyer(&state, poster("Paul", &jeton)).await;
    assert!(r2.corps.contains("liste d’attente"), "{}", r2.corps);
    // Without the signed token: refused, and the form comes back.
    let r3 = envoyer(&state, poster("Pirate", "faux")).await;
    assert_eq!(r3.status, 403);
    // The link shows the registration; only the button cancels.
    let p = envoyer(&state, requete("GET", &lien, None, None)).await;
    assert_eq!(p.status, 200);
    assert!(p.corps.contains("Lucienne"));
    let jeton_annulation = p.champ_cache("jeton").expect("hidden secret");
    let fait = envoyer(
        &state,
        requete(
            "POST",
            "/inscriptions/annuler",
            None,
            Some(formulaire(&[("jeton", &jeton_annulation)])),
        ),
    )
    .await;
    assert_eq!(fait.status, 200, "{}", fait.corps);
    assert!(fait.corps.contains("Votre inscription est annulée"));
    // Paul was waiting: he has the seat now.
    let api = envoyer(
        &state,
        requete(
            "GET",
            &format!("/api/v1/evenements/{evenement}"),
            None,
            None,
        ),
    )
    .await;
    let v: Value = serde_json::from_str(&api.corps).expect("json");
    assert_eq!(
        (
            v["sessions"][0]["inscrits"].as_i64(),
            v["sessions"][0]["en_attente"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let faux = envoyer(
        &state,
        requete("GET", "/inscriptions/annuler?jeton=nimporte", None, None),
    )
    .await;
    assert_eq!(faux.status, 404);
}
