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
pub(crate) async fn serveur(instance: Instance) -> (String, tokio::task::JoinHandle<()>) {
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

pub(crate) fn dechunk(mut s: &str) -> String {
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
    // A new personal code (« Mon espace »), `ABCDE-FGHJK-MNPQR-STVW`.
    assert_eq!(v["cle"].as_str().map(str::len), Some(23), "{v}");
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
    // A well-formed code nobody knows finds nothing; a malformed one is refused.
    let (s, c) = http(&adresse, "GET", "/api/v1/evenements?commune=99999", None).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(serde_json::from_str::<Value>(&c).expect("json")["total"], 0);
    let (s, c) = http(&adresse, "GET", "/api/v1/evenements?commune=Muret", None).await;
    assert_eq!(s, 400, "{c}");
    assert!(c.contains("commune"), "{c}");
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
    // Paul was waiting: the seat is offered to him, held (counted as taken) until he
    // confirms it with the link of his ticket.
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
    let billet_paul = r2.champ("#lien-billet", "href").expect("Paul's ticket");
    let b = envoyer(&state, requete("GET", &billet_paul, None, None)).await;
    assert_eq!(b.status, 200, "{}", b.corps);
    assert!(
        b.corps.contains("Une place s’est libérée pour vous"),
        "{}",
        b.corps
    );
    let jeton_paul = b.champ_cache("jeton").expect("hidden secret");
    let confirmer = || {
        requete(
            "POST",
            "/inscriptions/confirmer",
            None,
            Some(formulaire(&[("jeton", &jeton_paul)])),
        )
    };
    let c = envoyer(&state, confirmer()).await;
    assert_eq!(c.status, 200, "{}", c.corps);
    assert!(c.corps.contains("C’est confirmé"), "{}", c.corps);
    assert!(!c.corps.contains("Une place s’est libérée pour vous"));
    // Twice: nothing left to confirm.
    let c = envoyer(&state, confirmer()).await;
    assert_eq!(c.status, 409, "{}", c.corps);
    assert!(
        c.corps.contains("Aucune place n’est à confirmer"),
        "{}",
        c.corps
    );
    let faux = envoyer(
        &state,
        requete("GET", "/inscriptions/annuler?jeton=nimporte", None, None),
    )
    .await;
    assert_eq!(faux.status, 404);
}

// ---------------------------------------------------------------------------------------
// iCalendar, JSON-LD, ticket, widget.

/// Texts that need escaping in every format: `;`, `,`, `\`, line breaks, `</script>`,
/// non-ASCII, a description long enough to be folded.
const TITRE_DELICAT: &str =
    "Village ; ateliers, conférences \\ « tout public » </script><script>alert(1)</script>";
const DESCRIPTION_DELICATE: &str = "Première ligne ; avec, des signes \\ spéciaux.\nDeuxième ligne : démarches en ligne, arnaques, réalité virtuelle — éàèùç ÉÀÈ œ € 🙂 et encore du texte pour dépasser largement les soixante-quinze octets d’une ligne.";

/// A tour with a stop of two sessions (one in summer, one in winter: both offsets of Paris)
/// and a stop without a session, cancelled; a draft in the same commune (never shown).
async fn creer_tournee_delicate(instance: &Instance) -> (i64, i64, Vec<i64>, i64) {
    let operateur = instance.comptes().exploitant();
    let module = instance.evenements();
    let tournee = module
        .creer_tournee(&operateur, "Numérique Tour 31")
        .await
        .expect("tour");
    let e1 = serde_json::json!({
        "titre": TITRE_DELICAT,
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Place de la République, entrée B; côté mairie",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2036-01-15T17:00:00+01:00",
        "description": DESCRIPTION_DELICATE,
        "tournee": tournee,
        "sessions": [
            {"titre": "Déjouer les arnaques, en ligne ; quiz", "type": "quiz",
             "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T11:30:00+02:00",
             "salle": "Salle des fêtes", "capacite": 30},
            {"titre": "Casque de réalité virtuelle", "type": "realite_virtuelle",
             "debut": "2036-01-15T14:00:00+01:00", "fin": "2036-01-15T15:00:00+01:00",
             "capacite": 4}
        ]
    });
    let c1 = module
        .importer(&operateur, &e1.to_string())
        .await
        .expect("stop 1");
    let e2 = serde_json::json!({
        "titre": "Journée du numérique de Muret",
        "type": "journee_locale",
        "commune": "31395",
        "adresse": "Médiathèque",
        "debut": "2035-07-01T09:00:00+02:00",
        "fin": "2035-07-01T12:00:00+02:00",
        "tournee": tournee,
    });
    let c2 = module
        .importer(&operateur, &e2.to_string())
        .await
        .expect("stop 2");
    module
        .changer_statut(
            &operateur,
            c2.id,
            maillage_evenements::StatutEvenement::Annule,
        )
        .await
        .expect("cancelled");
    let brouillon = serde_json::json!({
        "titre": "Brouillon secret", "type": "atelier", "commune": "31395", "adresse": "Ici",
        "debut": "2035-08-01T09:00:00+02:00", "fin": "2035-08-01T10:00:00+02:00",
        "statut": "brouillon"
    });
    module
        .importer(&operateur, &brouillon.to_string())
        .await
        .expect("draft");
    (tournee, c1.id, c1.sessions, c2.id)
}

/// Checks the raw text of an iCalendar file: CRLF only, no physical line over 75 octets,
/// no ORGANIZER.
fn exiger_forme_ical(texte: &str) {
    assert!(texte.starts_with("BEGIN:VCALENDAR\r\n"), "{texte}");
    assert!(texte.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !texte.replace("\r\n", "").contains(['\n', '\r']),
        "CRLF line endings only"
    );
    for l in texte.split("\r\n") {
        assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
    }
    assert!(!texte.contains("ORGANIZER"), "no ORGANIZER line");
    assert!(texte.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"));
}

/// Parses iCalendar files with Python's `icalendar` (a real client library) and returns,
/// per file, what it read. Fails clearly when Python or the module is missing.
fn lire_avec_icalendar(fichiers: &[std::path::PathBuf]) -> Value {
    const SCRIPT: &str = r#"
import json, sys
from datetime import timezone
try:
    import icalendar
except ModuleNotFoundError:
    sys.exit(3)
sortie = []
for chemin in sys.argv[1:]:
    with open(chemin, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    erreurs = [str(e) for c in cal.walk() for e in getattr(c, "errors", [])]
    evenements = []
    for ev in cal.walk("VEVENT"):
        d, f = ev.decoded("DTSTART"), ev.decoded("DTEND")
        evenements.append({
            "uid": str(ev["UID"]),
            "summary": str(ev["SUMMARY"]),
            "description": str(ev.get("DESCRIPTION", "")),
            "location": str(ev.get("LOCATION", "")),
            "url": str(ev.get("URL", "")),
            "status": str(ev.get("STATUS", "")),
            "tzid": ev["DTSTART"].params.get("TZID", ""),
            "debut_local": d.replace(tzinfo=None).isoformat(),
            "debut_utc": d.astimezone(timezone.utc).isoformat(),
            "fin_utc": f.astimezone(timezone.utc).isoformat(),
            "dtstamp_utc": ev.decoded("DTSTAMP").astimezone(timezone.utc).isoformat(),
            "organizer": "ORGANIZER" in ev,
        })
    sortie.append({
        "nom": str(cal.get("X-WR-CALNAME", "")),
        "version": str(cal.get("VERSION", "")),
        "fuseaux": [str(t["TZID"]) for t in cal.walk("VTIMEZONE")],
        "erreurs": erreurs,
        "evenements": evenements,
    })
print(json.dumps(sortie))
"#;
    let sortie = std::process::Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(fichiers)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 introuvable / not found ({e}): apt-get install -y python3")
        });
    assert!(
        sortie.status.code() != Some(3),
        "\nLe module Python « icalendar » manque / the Python module `icalendar` is missing: \
         pip install icalendar\n"
    );
    assert!(
        sortie.status.success(),
        "python3 icalendar: {}",
        String::from_utf8_lossy(&sortie.stderr)
    );
    serde_json::from_slice(&sortie.stdout).expect("JSON from the Python script")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_ical_lu_par_la_bibliotheque_icalendar() {
    use super::http::{envoyer, requete};
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (tournee, e1, sessions, e2) = creer_tournee_delicate(&instance).await;
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let dossier = tempfile::tempdir().expect("temp dir");
    let mut fichiers = Vec::new();
    let chemins = [
        format!("/evenements/{e1}.ics"),
        format!("/evenements/{e2}.ics"),
        format!("/tournees/{tournee}.ics"),
        "/evenements.ics?territoire=dep:31".to_string(),
        "/evenements.ics?commune=31395&depuis=2035-01-01".to_string(),
    ];
    for (n, chemin) in chemins.iter().enumerate() {
        let r = envoyer(&state, requete("GET", chemin, None, None)).await;
        assert_eq!(r.status, 200, "{chemin}: {}", r.corps);
        assert_eq!(
            r.entetes.get("content-type").and_then(|v| v.to_str().ok()),
            Some("text/calendar; charset=utf-8"),
            "{chemin}"
        );
        exiger_forme_ical(&r.corps);
        assert!(
            !r.corps.contains("Brouillon"),
            "{chemin}: a draft is never shown"
        );
        let f = dossier.path().join(format!("{n}.ics"));
        std::fs::write(&f, r.corps.as_bytes()).expect("write");
        fichiers.push(f);
    }
    let lus = lire_avec_icalendar(&fichiers);
    for (n, cal) in lus.as_array().expect("list").iter().enumerate() {
        assert_eq!(cal["erreurs"], serde_json::json!([]), "{}", chemins[n]);
        assert_eq!(cal["version"], "2.0");
        assert_eq!(cal["fuseaux"], serde_json::json!(["Europe/Paris"]));
        for ev in cal["evenements"].as_array().expect("events") {
            assert_eq!(ev["organizer"], false);
            assert_eq!(ev["tzid"], "Europe/Paris");
        }
    }
    // The event: one VEVENT per session, texts back as they were.
    let sessions_lues = lus[0]["evenements"].as_array().expect("events");
    assert_eq!(sessions_lues.len(), 2);
    let s0 = &sessions_lues[0];
    assert_eq!(s0["uid"], format!("session-{}@localhost", sessions[0]));
    assert_eq!(
        s0["summary"],
        format!("Déjouer les arnaques, en ligne ; quiz — {TITRE_DELICAT}")
    );
    assert_eq!(
        s0["location"],
        "Salle des fêtes, Place de la République, entrée B; côté mairie, Muret"
    );
    assert!(s0["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("Quiz : Déjouer les arnaques, en ligne ; quiz\n")));
    assert_eq!(
        s0["url"],
        format!(
            "http://localhost:8080/evenements/{e1}#session-{}",
            sessions[0]
        )
    );
    assert_eq!(s0["status"], "CONFIRMED");
    // Summer (UTC+2) and winter (UTC+1).
    assert_eq!(s0["debut_local"], "2035-06-12T10:00:00");
    assert_eq!(s0["debut_utc"], "2035-06-12T08:00:00+00:00");
    assert_eq!(s0["fin_utc"], "2035-06-12T09:30:00+00:00");
    assert_eq!(sessions_lues[1]["debut_utc"], "2036-01-15T13:00:00+00:00");
    // The event without a session is one VEVENT, cancelled.
    let seul = &lus[1]["evenements"];
    assert_eq!(seul.as_array().map(Vec::len), Some(1));
    assert_eq!(seul[0]["uid"], format!("evenement-{e2}@localhost"));
    assert_eq!(seul[0]["status"], "CANCELLED");
    assert_eq!(seul[0]["location"], "Médiathèque, Muret");
    // The tour's feed and the territory's: one VEVENT per event, the same UIDs (stable).
    for cal in [&lus[2], &lus[3], &lus[4]] {
        let uids: Vec<&str> = cal["evenements"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["uid"].as_str())
            .collect();
        assert_eq!(
            uids,
            vec![
                format!("evenement-{e1}@localhost"),
                format!("evenement-{e2}@localhost")
            ]
        );
        let premier = &cal["evenements"][0];
        assert_eq!(premier["summary"], TITRE_DELICAT);
        assert!(premier["description"]
            .as_str()
            .is_some_and(|d| d.contains(DESCRIPTION_DELICATE)));
        assert_eq!(premier["debut_utc"], "2035-06-12T07:00:00+00:00");
    }
    assert_eq!(lus[2]["nom"], "Numérique Tour 31 — Maillage");
    // Downloaded again: same UIDs, same events (only DTSTAMP may change).
    let encore = envoyer(
        &state,
        requete("GET", &format!("/evenements/{e1}.ics"), None, None),
    )
    .await;
    let sans_dtstamp = |t: &str| {
        t.split("\r\n")
            .filter(|l| !l.starts_with("DTSTAMP:"))
            .collect::<Vec<_>>()
            .join("\r\n")
    };
    let premier = std::fs::read_to_string(&fichiers[0]).expect("read");
    assert_eq!(sans_dtstamp(&encore.corps), sans_dtstamp(&premier));
    // What is not there.
    for (chemin, statut) in [
        (format!("/tournees/{tournee}"), 404),
        ("/tournees/999999.ics".to_string(), 404),
        ("/tournees/abc.ics".to_string(), 404),
        ("/evenements/999999.ics".to_string(), 404),
        ("/evenements.ics?territoire=nulle-part".to_string(), 400),
        ("/evenements.ics?commune=Muret".to_string(), 400),
    ] {
        let r = envoyer(&state, requete("GET", &chemin, None, None)).await;
        assert_eq!(r.status.as_u16(), statut, "{chemin}: {}", r.corps);
    }
    // Linked from the list and the event page.
    let liste = envoyer(
        &state,
        requete("GET", "/evenements?commune=31395", None, None),
    )
    .await;
    assert_eq!(
        liste.champ("#lien-flux", "href").as_deref(),
        Some("/evenements.ics?commune=31395")
    );
    let page = envoyer(
        &state,
        requete("GET", &format!("/evenements/{e1}"), None, None),
    )
    .await;
    assert_eq!(
        page.champ("#lien-agenda", "href"),
        Some(format!("/evenements/{e1}.ics"))
    );
}

/// The schema.org `Event` of the event page: valid JSON with its fields, and no `</` that
/// could close the script; the page stays under 30 KB with a full day's programme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_json_ld_et_taille_de_page() {
    use super::http::{envoyer, requete};
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (_, e1, _, e2) = creer_tournee_delicate(&instance).await;
    // A full day of a Numérique Tour stop: 12 sessions.
    let operateur = instance.comptes().exploitant();
    let sessions: Vec<Value> = (0..12)
        .map(|n| {
            serde_json::json!({
                "titre": format!("Atelier n° {n} : sécuriser son téléphone et ses comptes en ligne"),
                "type": "atelier",
                "debut": format!("2035-06-12T{:02}:00:00+02:00", 8 + n),
                "fin": format!("2035-06-12T{:02}:45:00+02:00", 8 + n),
                "salle": "Chapiteau du village numérique",
                "capacite": 12
            })
        })
        .collect();
    let journee = serde_json::json!({
        "titre": "Numérique Tour : étape de Muret",
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2035-06-12T08:00:00+02:00",
        "fin": "2035-06-12T20:00:00+02:00",
        "description": DESCRIPTION_DELICATE,
        "accessibilite": {"mobilite": "Plain-pied, toilettes adaptées", "auditif": "Boucle magnétique", "visuel": "Documents en gros caractères", "mental": "Accueil en FALC"},
        "sessions": sessions,
    });
    let e3 = instance
        .evenements()
        .importer(&operateur, &journee.to_string())
        .await
        .expect("full day")
        .id;
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let json_ld = |corps: &str| -> Value {
        let doc = scraper::Html::parse_document(corps);
        let sel = scraper::Selector::parse(r#"head script[type="application/ld+json"]"#)
            .expect("selector");
        let scripts: Vec<String> = doc.select(&sel).map(|e| e.inner_html()).collect();
        assert_eq!(scripts.len(), 1, "one JSON-LD script in the head");
        assert!(!scripts[0].contains("</"), "{}", scripts[0]);
        serde_json::from_str(&scripts[0]).expect("JSON-LD parses")
    };
    let page = envoyer(
        &state,
        requete("GET", &format!("/evenements/{e1}"), None, None),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        !page.corps.contains("<script>alert(1)"),
        "the title cannot open a script"
    );
    let v = json_ld(&page.corps);
    assert_eq!(v["@context"], "https://schema.org");
    assert_eq!(v["@type"], "Event");
    assert_eq!(v["name"], TITRE_DELICAT);
    assert_eq!(v["description"], DESCRIPTION_DELICATE);
    assert_eq!(v["startDate"], "2035-06-12T09:00:00+02:00");
    assert_eq!(v["endDate"], "2036-01-15T17:00:00+01:00");
    assert_eq!(v["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(
        v["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(v["location"]["@type"], "Place");
    assert_eq!(v["location"]["address"]["@type"], "PostalAddress");
    assert_eq!(v["location"]["address"]["addressLocality"], "Muret");
    assert_eq!(v["location"]["address"]["postalCode"], "31600");
    assert_eq!(
        v["location"]["address"]["streetAddress"],
        "Place de la République, entrée B; côté mairie"
    );
    assert_eq!(v["location"]["address"]["addressCountry"], "FR");
    assert_eq!(v["isAccessibleForFree"], true);
    assert_eq!(v["offers"]["price"], 0);
    assert_eq!(v["url"], format!("http://localhost:8080/evenements/{e1}"));
    // The operator at the command line has no structure: no organizer.
    assert!(v.get("organizer").is_none());
    let annule = envoyer(
        &state,
        requete("GET", &format!("/evenements/{e2}"), None, None),
    )
    .await;
    assert_eq!(
        json_ld(&annule.corps)["eventStatus"],
        "https://schema.org/EventCancelled"
    );
    // The full day: under 30 KB.
    let jour = envoyer(
        &state,
        requete("GET", &format!("/evenements/{e3}"), None, None),
    )
    .await;
    assert_eq!(jour.status, 200);
    assert_eq!(
        json_ld(&jour.corps)["name"],
        "Numérique Tour : étape de Muret"
    );
    println!(
        "event page sizes: 2 sessions {} octets, 12 sessions {} octets",
        page.corps.len(),
        jour.corps.len()
    );
    assert!(
        jour.corps.len() <= 30 * 1024,
        "event page of 12 sessions: {} octets > 30 KB",
        jour.corps.len()
    );
}

/// The organiser's structure is named in the JSON-LD when known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_json_ld_nomme_la_structure_organisatrice() {
    use super::http::{envoyer, requete};
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let operateur = instance.comptes().exploitant();
    let structure = instance
        .comptes()
        .creer_structure(&operateur, "Hub numérique d’Occitanie <Sud>", None, None)
        .await
        .expect("structure");
    let mut acteur = operateur.clone();
    acteur.compte.structure_id = Some(structure);
    let id = instance
        .evenements()
        .importer(&acteur, &fichier_evenement(5))
        .await
        .expect("event")
        .id;
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let page = envoyer(
        &state,
        requete("GET", &format!("/evenements/{id}"), None, None),
    )
    .await;
    assert!(page.corps.contains("Organisé par"));
    let doc = scraper::Html::parse_document(&page.corps);
    let sel = scraper::Selector::parse(r#"script[type="application/ld+json"]"#).expect("sel");
    let texte = doc
        .select(&sel)
        .next()
        .map(|e| e.inner_html())
        .unwrap_or_default();
    assert!(!texte.contains('<'));
    let v: Value = serde_json::from_str(&texte).expect("json");
    assert_eq!(v["organizer"]["@type"], "Organization");
    assert_eq!(v["organizer"]["name"], "Hub numérique d’Occitanie <Sud>");
}

/// The printable ticket: reached from the confirmation, authorised by the registration's
/// secret; the key, a QR code of the registration's UUID, the address of the person's space;
/// the first name and nothing else personal; never cached, never sent as a referrer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_billet_imprimable() {
    use super::http::{envoyer, formulaire, requete};
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (evenement, session) = creer_evenement(&instance, 1).await;
    let operateur = instance.comptes().exploitant();
    let module = instance.evenements().clone();
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let page = envoyer(
        &state,
        requete("GET", &format!("/evenements/{evenement}"), None, None),
    )
    .await;
    let jeton = page
        .champ(
            &format!("form[action^='/sessions/{session}/'] input[name=jeton]"),
            "value",
        )
        .expect("token");
    let inscrire = |prenom: &str| {
        requete(
            "POST",
            &format!("/sessions/{session}/inscription"),
            None,
            Some(formulaire(&[
                ("prenom", prenom),
                ("contact", "lucienne@exemple.fr"),
                ("site_web", ""),
                ("jeton", &jeton),
            ])),
        )
    };
    let r = envoyer(&state, inscrire("Lucienne")).await;
    assert_eq!(r.status, 200, "{}", r.corps);
    let cle = {
        let doc = scraper::Html::parse_document(&r.corps);
        let sel = scraper::Selector::parse("#cle").expect("sel");
        doc.select(&sel)
            .next()
            .map(|e| e.text().collect::<String>())
            .expect("key")
    };
    let billet = r.champ("#lien-billet", "href").expect("ticket link");
    assert!(
        billet.starts_with("/inscriptions/billet?jeton="),
        "{billet}"
    );
    let b = envoyer(&state, requete("GET", &billet, None, None)).await;
    assert_eq!(b.status, 200, "{}", b.corps);
    assert_eq!(
        b.entetes.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(
        b.entetes
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    println!("ticket page: {} octets", b.corps.len());
    assert!(
        b.corps.len() <= 30 * 1024,
        "ticket {} octets",
        b.corps.len()
    );
    // The whole code is shown once (stored hashed): the ticket shows its beginning.
    assert_eq!(cle.len(), 23, "{cle}");
    assert!(
        b.corps.contains(&format!("{}-…", &cle[..5])),
        "the code's beginning on the ticket"
    );
    assert!(!b.corps.contains(&cle), "never the whole code again");
    assert!(b.corps.contains("Lucienne"));
    assert!(b.corps.contains("Déjouer les arnaques en ligne"));
    assert!(b.corps.contains("Salle des fêtes"));
    assert!(b.corps.contains("Place de la République, Muret"));
    assert!(
        b.corps.contains("mardi 12 juin 2035, de 10 h à 11 h"),
        "{}",
        b.corps
    );
    assert!(
        !b.corps.contains("lucienne@exemple.fr"),
        "no contact on the ticket"
    );
    let inscription = module
        .inscriptions(&operateur, session)
        .await
        .expect("registrations")
        .into_iter()
        .next()
        .expect("one");
    // The QR code carries the registration's UUID (what the check-in will scan).
    let qr = maillage_comptes::securite::qr_svg_avec(
        &inscription.uuid,
        "Code QR du billet, à présenter à l’accueil",
    );
    assert!(b.corps.contains(&qr), "QR code of the UUID");
    assert!(
        !b.corps.contains(&inscription.uuid),
        "the UUID is in the QR code only"
    );
    assert_eq!(
        b.champ("#lien-espace", "href"),
        Some("http://localhost:8080/mon-espace".to_string())
    );
    // Someone on the waiting list gets a ticket that says so.
    let r2 = envoyer(&state, inscrire("Paul")).await;
    let billet2 = r2.champ("#lien-billet", "href").expect("ticket link");
    let b2 = envoyer(&state, requete("GET", &billet2, None, None)).await;
    assert!(b2.corps.contains("Vous êtes sur la liste d’attente"));
    // A wrong secret: 404. After cancellation: no QR code, and it says so.
    let faux = envoyer(
        &state,
        requete("GET", "/inscriptions/billet?jeton=faux", None, None),
    )
    .await;
    assert_eq!(faux.status, 404);
    let sans = envoyer(&state, requete("GET", "/inscriptions/billet", None, None)).await;
    assert_eq!(sans.status, 404);
    let jeton_annulation = billet
        .split_once("jeton=")
        .map(|(_, j)| j.to_string())
        .expect("secret");
    let jeton_annulation: String =
        form_urlencoded::parse(format!("j={jeton_annulation}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .expect("decoded");
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
    let b3 = envoyer(&state, requete("GET", &billet, None, None)).await;
    assert_eq!(b3.status, 200);
    assert!(b3.corps.contains("Cette inscription est annulée"));
    assert!(
        !b3.corps.contains("<svg"),
        "no QR code on a cancelled ticket"
    );
}

/// The widget for a commune's site: frameable by any site, the commune's coming events,
/// links opening in a new tab.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_widget_pour_le_site_d_une_commune() {
    use super::http::{envoyer, requete};
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (_, e1, _, e2) = creer_tournee_delicate(&instance).await;
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let w = envoyer(
        &state,
        requete("GET", "/evenements/widget?commune=31600", None, None),
    )
    .await;
    assert_eq!(w.status, 200, "{}", w.corps);
    assert_eq!(
        w.entetes
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .map(|p| p.ends_with("frame-ancestors *") && !p.contains("unsafe-inline")),
        Some(true),
        "made to be embedded, under the site's policy otherwise"
    );
    assert!(w
        .corps
        .contains("Prochains événements du numérique à Muret"));
    println!("widget page (2 events): {} octets", w.corps.len());
    let doc = scraper::Html::parse_document(&w.corps);
    let sel = scraper::Selector::parse("main a").expect("sel");
    let liens: Vec<_> = doc.select(&sel).collect();
    assert!(liens.len() >= 3);
    for a in &liens {
        assert_eq!(a.value().attr("target"), Some("_blank"), "{}", a.html());
        assert_eq!(a.value().attr("rel"), Some("noopener"), "{}", a.html());
    }
    let hrefs: Vec<&str> = liens
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(hrefs.contains(&format!("/evenements/{e1}").as_str()));
    assert!(hrefs.contains(&format!("/evenements/{e2}").as_str()));
    // The postal code 31600 serves several communes: the feed names them all, Muret first.
    assert!(hrefs
        .iter()
        .any(|h| h.starts_with("/evenements.ics?commune=31395&commune=")));
    assert!(!w.corps.contains("Brouillon"));
    // Another commune: none; an unknown one: said so.
    let w = envoyer(
        &state,
        requete("GET", "/evenements/widget?commune=31555", None, None),
    )
    .await;
    assert!(w.corps.contains("Aucun événement à venir"));
    let w = envoyer(
        &state,
        requete("GET", "/evenements/widget?commune=99999", None, None),
    )
    .await;
    assert_eq!(w.status, 200);
    assert!(w
        .corps
        .contains("n’est pas un code postal ni un code de commune connu"));
}

/// « Prochainement près de chez vous »: the orientation results near Muret show the event
/// planned there (with the distance of its commune), near Portet-sur-Garonne (about 12 km)
/// too, and nothing near Paris; a cancelled event is not offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_prochainement_pres_de_chez_vous() {
    use super::http::{envoyer, requete};
    let instance = instance_sur("sqlite::memory:", GardeCapacite::Active).await;
    let (evenement, _) = creer_evenement(&instance, 10).await;
    let operateur = instance.comptes().exploitant();
    let module = instance.evenements().clone();
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let page = |ou: &'static str| {
        let state = state.clone();
        async move {
            envoyer(
                &state,
                requete("GET", &format!("/lieux?besoin=&ou={ou}"), None, None),
            )
            .await
        }
    };
    let muret = page("31395").await;
    assert_eq!(muret.status, 200);
    let lignes = muret.textes("#titre-prochainement + ul li");
    assert_eq!(lignes.len(), 1, "{}", muret.corps);
    assert!(
        lignes[0].contains("Village numérique de Muret"),
        "{lignes:?}"
    );
    assert_eq!(
        muret.champ("#titre-prochainement + ul a", "href"),
        Some(format!("/evenements/{evenement}"))
    );
    let portet = page("31433").await;
    let lignes = portet.textes("#titre-prochainement + ul li");
    assert_eq!(lignes.len(), 1, "{}", portet.corps);
    assert!(lignes[0].contains(" km)"), "{lignes:?}");
    let paris = page("75056").await;
    assert!(!paris.corps.contains("Prochainement près de chez vous"));
    module
        .changer_statut(
            &operateur,
            evenement,
            maillage_evenements::StatutEvenement::Annule,
        )
        .await
        .expect("cancelled");
    let muret = page("31395").await;
    assert!(!muret.corps.contains("Prochainement près de chez vous"));
}
