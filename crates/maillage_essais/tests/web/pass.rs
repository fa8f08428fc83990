//! Pass numérique through the real server (hyper on a port of 127.0.0.1): no double spend
//! under concurrency on SQLite and PostgreSQL, with one app server or two on one
//! PostgreSQL database, and the control runs with the test-only switch that disables the
//! guard (showing the tests can fail); the idempotent retry with the same nonce; the API's
//! refusals; the ledger (tamper evidence, statement recomputed from the ledger alone).
//!
//! The programme, the places and the pass are set up through the module's use cases (the
//! funder's and prescriber's way, as `maillage pass …` does); every redemption goes through
//! HTTP (`POST /api/v1/pass/{code}/utilisation` with a place API key), sent by plain
//! HTTP/1.1 clients over TCP, all in flight at once (a barrier releases them together).
//!
//! `cargo test --workspace --test web double_depense` (or `pass::`).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use maillage_instance::Instance;
use maillage_pass::releve::{bornes_du_mois, total_depuis_le_registre};
use maillage_pass::stockage::{GardePass, ACTION_UTILISATION};
use maillage_pass::{Beneficiaire, DemandeProgramme};
use maillage_store_postgres::testing::TestDatabase;
use maillage_web::{AppState, Site};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONCURRENTS: usize = 100;
const REESSAIS: usize = 20;

/// A server over `instance` on a free port. Returns its address.
async fn serveur(instance: Instance) -> (String, tokio::task::JoinHandle<()>) {
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
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

async fn instance_sur(url: &str, garde: GardePass) -> Instance {
    let instance = maillage_cli::stockage::ouvrir(url).await.expect("store");
    let p = instance.pass().clone().avec_garde(garde);
    instance.avec_pass(p)
}

/// What the set-up made.
struct Monde {
    lieu: i64,
    /// A place outside the programme's territory (Paris), qualified anyway.
    lieu_hors_territoire: i64,
    /// A structure with a SIRET, not qualified.
    non_qualifie: i64,
    prescripteur: i64,
    programme: i64,
    cle: String,
    cle_hors_territoire: String,
    cle_non_qualifie: String,
}

/// A funder (Conseil départemental de la Haute-Garonne), a programme on `dep:31` valid to
/// the end of next year, two qualified places, a prescriber, and keys for the places.
async fn monde(instance: &Instance) -> Monde {
    let op = instance.comptes().exploitant();
    let c = instance.comptes();
    let financeur = c
        .creer_structure(
            &op,
            "Conseil départemental de la Haute-Garonne",
            None,
            Some("31555"),
        )
        .await
        .expect("funder")
        .get();
    let lieu = c
        .creer_structure(
            &op,
            "Espace numérique de Muret",
            Some("73282932000074"),
            Some("31395"),
        )
        .await
        .expect("place")
        .get();
    let lieu_hors_territoire = c
        .creer_structure(
            &op,
            "Médiathèque de Paris",
            Some("44306184100047"),
            Some("75056"),
        )
        .await
        .expect("place in Paris")
        .get();
    let non_qualifie = c
        .creer_structure(
            &op,
            "Association sans qualification",
            Some("12345678900015"),
            Some("31555"),
        )
        .await
        .expect("other place")
        .get();
    let prescripteur = c
        .creer_structure(&op, "CAF de la Haute-Garonne", None, Some("31555"))
        .await
        .expect("prescriber")
        .get();
    let annee = instance.comptes().aujourdhui().year() + 1;
    let pass = instance.pass();
    let programme = pass
        .creer_programme(
            &op,
            DemandeProgramme {
                financeur_structure_id: financeur,
                nom: "Pass numérique Haute-Garonne".into(),
                budget_centimes: 10_000_000,
                valeur_centimes: 1_000,
                fin_validite: NaiveDate::from_ymd_opt(annee, 12, 31).expect("date"),
                tolerance: NaiveDate::from_ymd_opt(annee + 1, 1, 31).expect("date"),
                territoire: "dep:31".into(),
                publics: vec!["sans_emploi".into(), "retraite".into()],
            },
        )
        .await
        .expect("programme");
    pass.qualifier_lieu(&op, programme, lieu)
        .await
        .expect("qualified");
    pass.qualifier_lieu(&op, programme, lieu_hors_territoire)
        .await
        .expect("qualified (outside)");
    pass.ajouter_prescripteur(&op, programme, prescripteur)
        .await
        .expect("prescriber");
    let cle = pass
        .creer_cle_api(&op, lieu, "Caisse", 365)
        .await
        .expect("key")
        .cle;
    let cle_hors_territoire = pass
        .creer_cle_api(&op, lieu_hors_territoire, "Caisse", 365)
        .await
        .expect("key")
        .cle;
    let cle_non_qualifie = pass
        .creer_cle_api(&op, non_qualifie, "Caisse", 365)
        .await
        .expect("key")
        .cle;
    Monde {
        lieu,
        lieu_hors_territoire,
        non_qualifie,
        prescripteur,
        programme,
        cle,
        cle_hors_territoire,
        cle_non_qualifie,
    }
}

/// Issues a carnet of `n` passes and distributes them all; returns their codes.
async fn pass_distribues(instance: &Instance, m: &Monde, n: usize) -> Vec<String> {
    let op = instance.comptes().exploitant();
    let (_, codes) = instance
        .pass()
        .emettre_carnet(&op, m.programme, n)
        .await
        .expect("carnet");
    for code in &codes {
        instance
            .pass()
            .distribuer(
                &op,
                m.prescripteur,
                code,
                Beneficiaire {
                    commune: "31395".into(),
                    tranche_age: "60-69".into(),
                    statut: "retraite".into(),
                    personne_id: None,
                },
            )
            .await
            .expect("distributed");
    }
    codes
}

/// One HTTP/1.1 exchange on a new connection: `(status, body)`.
async fn http(
    adresse: &str,
    methode: &str,
    chemin: &str,
    cle: Option<&str>,
    json: Option<&str>,
) -> (u16, String) {
    let mut c = TcpStream::connect(adresse).await.expect("connect");
    let corps = json.unwrap_or("");
    let mut requete = format!(
        "{methode} {chemin} HTTP/1.1\r\nHost: {adresse}\r\nConnection: close\r\nContent-Length: {}\r\n",
        corps.len()
    );
    if json.is_some() {
        requete.push_str("Content-Type: application/json\r\n");
    }
    if let Some(cle) = cle {
        requete.push_str(&format!("Authorization: Bearer {cle}\r\n"));
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

async fn utiliser(adresse: &str, cle: &str, code: &str, nonce: &str) -> (u16, String) {
    let corps = serde_json::json!({ "nonce": nonce }).to_string();
    http(
        adresse,
        "POST",
        &format!("/api/v1/pass/{code}/utilisation"),
        Some(cle),
        Some(&corps),
    )
    .await
}

/// Sends `n` redemptions of `code`, spread over `serveurs` in turn, all in flight at once;
/// `nonce(i)` is the i-th request's nonce. Returns every `(status, body)`.
async fn en_meme_temps(
    serveurs: &[String],
    cle: &str,
    code: &str,
    n: usize,
    nonce: impl Fn(usize) -> String,
) -> Vec<(u16, String)> {
    let barriere = Arc::new(tokio::sync::Barrier::new(n));
    let taches: Vec<_> = (0..n)
        .map(|i| {
            let adresse = serveurs[i % serveurs.len()].clone();
            let barriere = Arc::clone(&barriere);
            let (cle, code, nonce) = (cle.to_string(), code.to_string(), nonce(i));
            tokio::spawn(async move {
                barriere.wait().await;
                utiliser(&adresse, &cle, &code, &nonce).await
            })
        })
        .collect();
    let mut r = Vec::with_capacity(n);
    for t in taches {
        r.push(t.await.expect("client task"));
    }
    r
}

/// Redemption rows and ledger redemption entries of the pass of `code`.
async fn lignes_et_entrees(instance: &Instance, code: &str) -> (usize, usize) {
    // Entries that found the ledger's lock taken wait for the next writer: chain them.
    instance.pass().chainer_registre().await.expect("chain");
    let p = instance.pass().pass(code).await.expect("pass");
    let lignes = instance
        .pass()
        .store()
        .utilisations_du_pass(p.id)
        .await
        .expect("rows")
        .len();
    let entrees = instance
        .pass()
        .store()
        .pass_journal(0, 1_000_000)
        .await
        .expect("ledger")
        .iter()
        .filter(|e| e.contenu.action == ACTION_UTILISATION && e.contenu.mandat_id == Some(p.id))
        .count();
    (lignes, entrees)
}

/// Exactly one 201, 99 409 with the French reason, one row, one ledger entry.
async fn exiger_une_seule_utilisation(instance: &Instance, code: &str, reponses: &[(u16, String)]) {
    let crees = reponses.iter().filter(|(s, _)| *s == 201).count();
    let conflits: Vec<_> = reponses.iter().filter(|(s, _)| *s == 409).collect();
    let autres: Vec<_> = reponses
        .iter()
        .filter(|(s, _)| *s != 201 && *s != 409)
        .collect();
    assert!(autres.is_empty(), "unexpected answers: {autres:?}");
    assert_eq!((crees, conflits.len()), (1, CONCURRENTS - 1));
    for (_, corps) in &conflits {
        let v: Value = serde_json::from_str(corps).expect("json");
        let e = v["erreur"].as_str().unwrap_or_default();
        assert!(e.contains("déjà été utilisé"), "{e}");
    }
    assert_eq!(lignes_et_entrees(instance, code).await, (1, 1));
    let rapport = instance
        .pass()
        .verifier_journal(
            &maillage_domain::mandats::SigningKey::from_bytes(&[7; 32]).verifying_key(),
        )
        .await
        .expect("verification");
    assert!(rapport.intact(), "{:?}", rapport.rupture);
}

/// 20 retries of one request (same nonce): one redemption, every answer the same.
async fn exiger_reessais_identiques(
    serveurs: &[String],
    instance: &Instance,
    m: &Monde,
    code: &str,
) {
    let reponses = en_meme_temps(serveurs, &m.cle, code, REESSAIS, |_| {
        "caisse-1-000042".into()
    })
    .await;
    let crees = reponses.iter().filter(|(s, _)| *s == 201).count();
    let rejoues = reponses.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((crees, rejoues), (1, REESSAIS - 1), "{reponses:?}");
    let corps: Vec<Value> = reponses
        .iter()
        .map(|(_, c)| serde_json::from_str(c).expect("json"))
        .collect();
    assert!(corps.iter().all(|c| c == &corps[0]), "{corps:?}");
    assert!(corps[0]["id"].as_i64().is_some());
    assert_eq!(lignes_et_entrees(instance, code).await, (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_depense_sqlite_100_utilisations_simultanees() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    let instance = instance_sur(&url, GardePass::Active).await;
    let m = monde(&instance).await;
    let codes = pass_distribues(&instance, &m, 2).await;
    let (adresse, serveur) = serveur(instance.clone()).await;
    let reponses = en_meme_temps(
        std::slice::from_ref(&adresse),
        &m.cle,
        &codes[0],
        CONCURRENTS,
        |i| format!("nonce-{i}"),
    )
    .await;
    exiger_une_seule_utilisation(&instance, &codes[0], &reponses).await;
    exiger_reessais_identiques(std::slice::from_ref(&adresse), &instance, &m, &codes[1]).await;
    serveur.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_depense_postgres_100_utilisations_simultanees() {
    let db = TestDatabase::create().await;
    let instance = instance_sur(&db.url, GardePass::Active).await;
    let m = monde(&instance).await;
    let codes = pass_distribues(&instance, &m, 2).await;
    let (adresse, serveur) = serveur(instance.clone()).await;
    let reponses = en_meme_temps(
        std::slice::from_ref(&adresse),
        &m.cle,
        &codes[0],
        CONCURRENTS,
        |i| format!("nonce-{i}"),
    )
    .await;
    exiger_une_seule_utilisation(&instance, &codes[0], &reponses).await;
    exiger_reessais_identiques(std::slice::from_ref(&adresse), &instance, &m, &codes[1]).await;
    serveur.abort();
    db.drop_database().await;
}

/// Two app servers, each with its own store (its own connection pool) on one PostgreSQL
/// database, half the requests to each: the guard is the database's, not a process's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_depense_postgres_deux_serveurs_une_base() {
    let db = TestDatabase::create().await;
    let a = instance_sur(&db.url, GardePass::Active).await;
    let b = instance_sur(&db.url, GardePass::Active).await;
    let m = monde(&a).await;
    let codes = pass_distribues(&a, &m, 2).await;
    let (adresse_a, serveur_a) = serveur(a.clone()).await;
    let (adresse_b, serveur_b) = serveur(b).await;
    let serveurs = [adresse_a, adresse_b];
    let reponses = en_meme_temps(&serveurs, &m.cle, &codes[0], CONCURRENTS, |i| {
        format!("nonce-{i}")
    })
    .await;
    exiger_une_seule_utilisation(&a, &codes[0], &reponses).await;
    exiger_reessais_identiques(&serveurs, &a, &m, &codes[1]).await;
    serveur_a.abort();
    serveur_b.abort();
    db.drop_database().await;
}

/// The control: the guard disabled by the test-only switch and a race window opened, the
/// same run spends the pass several times, so the tests above can fail.
async fn controle_sans_garde(urls: (&str, &str)) {
    let a = instance_sur(urls.0, GardePass::DesactiveePourEssai).await;
    let b = instance_sur(urls.1, GardePass::DesactiveePourEssai).await;
    let m = monde(&a).await;
    let codes = pass_distribues(&a, &m, 1).await;
    let (adresse_a, serveur_a) = serveur(a.clone()).await;
    let (adresse_b, serveur_b) = serveur(b).await;
    let reponses = en_meme_temps(
        &[adresse_a, adresse_b],
        &m.cle,
        &codes[0],
        CONCURRENTS,
        |i| format!("nonce-{i}"),
    )
    .await;
    let crees = reponses.iter().filter(|(s, _)| *s == 201).count();
    let (lignes, entrees) = lignes_et_entrees(&a, &codes[0]).await;
    eprintln!("control without guard: {crees} answers 201, {lignes} redemption rows, {entrees} ledger entries for one pass");
    assert!(
        crees > 1,
        "without the guard only {crees} redemption: the control did not double spend"
    );
    assert_eq!((lignes, entrees), (crees, crees));
    serveur_a.abort();
    serveur_b.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_depense_controle_sans_garde_sqlite() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    controle_sans_garde((&url, &url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_depense_controle_sans_garde_postgres() {
    let db = TestDatabase::create().await;
    controle_sans_garde((&db.url, &db.url)).await;
    db.drop_database().await;
}

/// Refusals: each with its status and a French reason.
/// A SQLite instance in `dossier` with `n` passes given out (the last one blocked since) and
/// one pass issued but never given out: every reason of a refusal at hand.
async fn refus_prets(
    dossier: &tempfile::TempDir,
    n: usize,
) -> (Instance, Monde, Vec<String>, Vec<String>) {
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    let instance = instance_sur(&url, GardePass::Active).await;
    let m = monde(&instance).await;
    let codes = pass_distribues(&instance, &m, n).await;
    let op = instance.comptes().exploitant();
    let (_, non_distribue) = instance
        .pass()
        .emettre_carnet(&op, m.programme, 1)
        .await
        .expect("carnet");
    instance
        .pass()
        .bloquer_ou_annuler(&op, &codes[n - 1], false)
        .await
        .expect("blocked");
    (instance, m, codes, non_distribue)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_api_refuse_en_francais() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let (instance, m, codes, non_distribue) = refus_prets(&dossier, 3).await;
    let op = instance.comptes().exploitant();
    let (adresse, serveur) = serveur(instance.clone()).await;
    let erreur = |c: &str| -> String {
        serde_json::from_str::<Value>(c).expect("json")["erreur"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // No key, a wrong key.
    let (s, c) = http(
        &adresse,
        "POST",
        &format!("/api/v1/pass/{}/utilisation", codes[0]),
        None,
        Some("{\"nonce\":\"a\"}"),
    )
    .await;
    assert_eq!(s, 401, "{c}");
    let (s, _) = utiliser(&adresse, "mpk_0000_1111", &codes[0], "a").await;
    assert_eq!(s, 401);
    // A code that cannot exist (check character), a code that does not exist.
    let (s, c) = utiliser(&adresse, &m.cle, "ABCD-EFGH-JKLM", "a").await;
    assert!(s == 400 || s == 404, "{s} {c}");
    // Not qualified, outside the territory, blocked, not yet distributed: 422.
    let (s, c) = utiliser(&adresse, &m.cle_non_qualifie, &codes[0], "a").await;
    assert_eq!(s, 422, "{c}");
    assert!(erreur(&c).contains("pas qualifié"), "{c}");
    let (s, c) = utiliser(&adresse, &m.cle_hors_territoire, &codes[0], "a").await;
    assert_eq!(s, 422, "{c}");
    assert!(erreur(&c).contains("territoire"), "{c}");
    let (s, c) = utiliser(&adresse, &m.cle, &codes[2], "b").await;
    assert_eq!(s, 422, "{c}");
    assert!(erreur(&c).contains("bloqué"), "{c}");
    let (s, c) = utiliser(&adresse, &m.cle, &non_distribue[0], "c").await;
    assert_eq!(s, 422, "{c}");
    // Missing nonce: 400 naming the field.
    let (s, c) = http(
        &adresse,
        "POST",
        &format!("/api/v1/pass/{}/utilisation", codes[0]),
        Some(&m.cle),
        Some("{}"),
    )
    .await;
    assert_eq!(s, 400, "{c}");
    assert_eq!(
        serde_json::from_str::<Value>(&c).expect("json")["parametre"],
        "nonce"
    );
    // Redeemed, then the same nonce on another pass is a conflict, the pass stays usable.
    let (s, _) = utiliser(&adresse, &m.cle, &codes[0], "n-1").await;
    assert_eq!(s, 201);
    let (s, c) = utiliser(&adresse, &m.cle, &codes[1], "n-1").await;
    assert_eq!(s, 409, "{c}");
    assert!(erreur(&c).contains("nonce"), "{c}");
    let (s, _) = utiliser(&adresse, &m.cle, &codes[1], "n-2").await;
    assert_eq!(s, 201);
    // A revoked key: 403.
    let nouvelle = instance
        .pass()
        .creer_cle_api(&op, m.lieu, "Tablette", 30)
        .await
        .expect("key");
    instance
        .pass()
        .revoquer_cle_api(&op, nouvelle.id)
        .await
        .expect("revoked");
    let (s, _) = utiliser(&adresse, &nouvelle.cle, &codes[1], "n-3").await;
    assert_eq!(s, 403);
    // A code that cannot exist names no pass: 404, with the reason.
    let (s, c) = http(&adresse, "GET", "/api/v1/pass/0", None, None).await;
    assert_eq!(s, 404, "{c}");
    assert!(c.contains("n’existe pas dans les codes de pass"), "{c}");
    // The public check: no personal data, the state in words.
    let (s, c) = http(
        &adresse,
        "GET",
        &format!("/api/v1/pass/{}", codes[0]),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200, "{c}");
    let v: Value = serde_json::from_str(&c).expect("json");
    assert_eq!(v["etat"], "utilise");
    assert_eq!(v["valeur_centimes"], 1000);
    assert!(
        !c.contains("31395") && !c.contains("retraite"),
        "no personal data: {c}"
    );
    let (s, page) = http(&adresse, "GET", &format!("/pass/{}", codes[1]), None, None).await;
    assert_eq!(s, 200);
    assert!(page.contains("déjà été utilisé"), "{page}");
    let _ = (m.lieu_hors_territoire, m.non_qualifie);
    serveur.abort();
}

/// A burst of redemptions that mixes good passes with every refusal, all in flight at once:
/// the batch reads the passes and checks the programme, the place and the territory once
/// for all of them, and each request still gets the answer it would get alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_rafale_melee_chacun_sa_reponse() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let (instance, m, codes, non_distribue) = refus_prets(&dossier, 30).await;
    let (adresse, serveur) = serveur(instance.clone()).await;
    // (key, code, nonce, expected status, words of the expected reason)
    let mut demandes: Vec<(String, String, String, u16, &str)> = Vec::new();
    for (i, code) in codes.iter().take(20).enumerate() {
        demandes.push((m.cle.clone(), code.clone(), format!("ok-{i}"), 201, ""));
    }
    // The same pass twice with two nonces: one 201, one 409 (the order decides which).
    demandes.push((m.cle.clone(), codes[20].clone(), "x-1".into(), 0, ""));
    demandes.push((m.cle.clone(), codes[20].clone(), "x-2".into(), 0, ""));
    // Three passes at a place not qualified, three at a place outside the territory.
    for (k, code) in codes.iter().enumerate().take(27).skip(21) {
        let (cle, raison) = if k < 24 {
            (&m.cle_non_qualifie, "pas qualifié")
        } else {
            (&m.cle_hors_territoire, "territoire")
        };
        demandes.push((cle.clone(), code.clone(), format!("r-{k}"), 422, raison));
    }
    demandes.push((m.cle.clone(), codes[29].clone(), "bl".into(), 422, "bloqué"));
    demandes.push((
        m.cle.clone(),
        non_distribue[0].clone(),
        "nd".into(),
        422,
        "pas encore été remis",
    ));
    let barriere = Arc::new(tokio::sync::Barrier::new(demandes.len()));
    let taches: Vec<_> = demandes
        .iter()
        .cloned()
        .map(|(cle, code, nonce, _, _)| {
            let (adresse, barriere) = (adresse.clone(), Arc::clone(&barriere));
            tokio::spawn(async move {
                barriere.wait().await;
                utiliser(&adresse, &cle, &code, &nonce).await
            })
        })
        .collect();
    let mut doubles = Vec::new();
    for (t, (_, code, nonce, attendu, raison)) in taches.into_iter().zip(&demandes) {
        let (s, c) = t.await.expect("client");
        if *attendu == 0 {
            doubles.push(s);
            continue;
        }
        assert_eq!(s, *attendu, "{code} {nonce}: {c}");
        if !raison.is_empty() {
            let v: Value = serde_json::from_str(&c).expect("json");
            assert!(
                v["erreur"].as_str().unwrap_or_default().contains(raison),
                "{code} {nonce}: {c}"
            );
        }
    }
    doubles.sort_unstable();
    assert_eq!(doubles, vec![201, 409], "one pass, two nonces");
    for code in codes.iter().take(21) {
        assert_eq!(lignes_et_entrees(&instance, code).await, (1, 1), "{code}");
    }
    for code in &codes[21..30] {
        assert_eq!(lignes_et_entrees(&instance, code).await, (0, 0), "{code}");
    }
    serveur.abort();
}

/// The month's statement of a place equals the sum of the ledger's redemptions of that
/// month for that place, recomputed from the ledger alone; its hash is the ledger's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_releve_egal_au_registre() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    releve_egal_au_registre(&url).await;
}

/// The same on PostgreSQL, where redemptions sent at once leave their ledger entries to
/// wait for the lock and be chained later: the statement still equals the ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_releve_egal_au_registre_postgres() {
    let db = TestDatabase::create().await;
    releve_egal_au_registre(&db.url).await;
    db.drop_database().await;
}

/// 16 passes of 20 redeemed at once through the API, then the month's statement.
async fn releve_egal_au_registre(url: &str) {
    let instance = instance_sur(url, GardePass::Active).await;
    let m = monde(&instance).await;
    let codes = pass_distribues(&instance, &m, 20).await;
    let (adresse, serveur) = serveur(instance.clone()).await;
    let taches: Vec<_> = codes
        .iter()
        .take(16)
        .enumerate()
        .map(|(i, code)| {
            let (adresse, cle, code) = (adresse.clone(), m.cle.clone(), code.clone());
            tokio::spawn(async move { utiliser(&adresse, &cle, &code, &format!("r-{i}")).await })
        })
        .collect();
    for t in taches {
        let (s, c) = t.await.expect("client");
        assert_eq!(s, 201, "{c}");
    }
    let op = instance.comptes().exploitant();
    let maintenant = instance.comptes().aujourdhui();
    let releve = instance
        .pass()
        .releve(&op, m.lieu, maintenant.year(), maintenant.month())
        .await
        .expect("statement");
    assert_eq!(releve.lignes.len(), 16);
    assert_eq!(releve.total_centimes, 16_000);
    assert!(releve.lignes.iter().all(|l| l.journal_seq > 0));
    let registre = instance
        .pass()
        .store()
        .pass_journal(0, 1_000_000)
        .await
        .expect("ledger");
    let (debut, fin) = bornes_du_mois(maintenant.year(), maintenant.month()).expect("month");
    assert_eq!(
        total_depuis_le_registre(&registre, m.lieu, debut, fin, releve.dernier_seq),
        releve.total_centimes
    );
    let derniere = registre
        .iter()
        .find(|e| e.seq == releve.dernier_seq)
        .expect("covered entry");
    assert_eq!(derniere.hash, releve.dernier_hash);
    let csv = releve.csv();
    assert!(
        csv.starts_with("\u{feff}Date;Heure;Code du pass;Valeur (€)"),
        "{csv}"
    );
    assert!(csv.contains("Total;;16 pass;160,00"), "{csv}");
    assert!(csv.contains(&releve.hash_hex()));
    // Another place's month is empty.
    let autre = instance
        .pass()
        .releve(
            &op,
            m.lieu_hors_territoire,
            maintenant.year(),
            maintenant.month(),
        )
        .await
        .expect("statement");
    assert_eq!((autre.lignes.len(), autre.total_centimes), (0, 0));
    serveur.abort();
}

/// « Utilisation forcée » through the API: a redemption recorded offline and sent with
/// `hors_ligne_le` is accepted (201, flagged) when the pass is still unredeemed, refused
/// (409) on a pass already used — offline or not, a pass is paid once —, and a date out of
/// range is refused naming the field. The month's statement counts it only once the funder
/// accepts its incident (a refused one is never paid), and the ledger recomputation agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_utilisation_forcee_payee_seulement_si_acceptee() {
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dossier.path().join("maillage.db").display());
    let instance = instance_sur(&url, GardePass::Active).await;
    let m = monde(&instance).await;
    let codes = pass_distribues(&instance, &m, 3).await;
    let (adresse, serveur) = serveur(instance.clone()).await;
    let forcer = |code: &str, nonce: &str, quand: String| {
        let corps = serde_json::json!({ "nonce": nonce, "hors_ligne_le": quand }).to_string();
        let (adresse, cle, code) = (adresse.clone(), m.cle.clone(), code.to_string());
        async move {
            http(
                &adresse,
                "POST",
                &format!("/api/v1/pass/{code}/utilisation"),
                Some(&cle),
                Some(&corps),
            )
            .await
        }
    };
    let maintenant = instance.pass().maintenant();
    let il_y_a = |h: i64| (maintenant - chrono::Duration::hours(h)).to_rfc3339();
    for (code, nonce) in [(&codes[0], "hl-0"), (&codes[1], "hl-1")] {
        let (s, c) = forcer(code, nonce, il_y_a(2)).await;
        assert_eq!(s, 201, "{c}");
        let v: Value = serde_json::from_str(&c).expect("json");
        assert_eq!(v["forcee"], Value::Bool(true), "{c}");
    }
    let (s, c) = utiliser(&adresse, &m.cle, &codes[2], "normal").await;
    assert_eq!(s, 201, "{c}");
    // Already used: forcing does not pay it twice.
    let (s, c) = forcer(&codes[2], "hl-2", il_y_a(1)).await;
    assert_eq!(s, 409, "{c}");
    for quand in [il_y_a(24 * 40), "hier".to_string()] {
        let (s, c) = forcer(&codes[2], "hl-3", quand).await;
        assert_eq!(s, 400, "{c}");
        let v: Value = serde_json::from_str(&c).expect("json");
        assert_eq!(v["parametre"], "hors_ligne_le", "{c}");
    }
    let op = instance.comptes().exploitant();
    let aujourdhui = instance.comptes().aujourdhui();
    let (a, mo) = (aujourdhui.year(), aujourdhui.month());
    let releve = instance.pass().releve(&op, m.lieu, a, mo).await.unwrap();
    assert_eq!(
        (releve.lignes.len(), releve.total_centimes),
        (1, 1_000),
        "forced ones not paid before the decision"
    );
    let incidents = instance.pass().incidents(&op, m.programme).await.unwrap();
    assert_eq!(incidents.len(), 2);
    let de = |code: &str| {
        incidents
            .iter()
            .find(|i| maillage_pass::code::afficher(&i.code) == maillage_pass::code::afficher(code))
            .expect("incident")
            .id
    };
    instance
        .pass()
        .decider_incident(&op, m.programme, de(&codes[0]), true, None)
        .await
        .unwrap();
    instance
        .pass()
        .decider_incident(
            &op,
            m.programme,
            de(&codes[1]),
            false,
            Some("Pas d’atelier ce jour-là"),
        )
        .await
        .unwrap();
    let releve = instance.pass().releve(&op, m.lieu, a, mo).await.unwrap();
    assert_eq!((releve.lignes.len(), releve.total_centimes), (2, 2_000));
    let registre = instance
        .pass()
        .store()
        .pass_journal(0, 1_000_000)
        .await
        .unwrap();
    let (debut, fin) = bornes_du_mois(a, mo).unwrap();
    assert_eq!(
        total_depuis_le_registre(&registre, m.lieu, debut, fin, releve.dernier_seq),
        2_000,
        "the ledger alone gives the same total"
    );
    assert!(
        total_depuis_le_registre(&registre, m.lieu, debut, fin, releve.dernier_seq - 1) < 2_000,
        "the statement covers the decision's entry"
    );
    serveur.abort();
}
