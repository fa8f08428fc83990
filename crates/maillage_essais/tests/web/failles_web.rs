//! Issue « Failles et pertes de données »: the web holes, each closed with a test that failed
//! on the code as it was (`cargo test -p maillage_essais --test web failles_web::`).
//!
//! - item 1: open redirect after sign-in and re-authentication (`retour`);
//! - item 2: slow clients, connection limit, graceful stop (a real server on a port);
//! - item 7: the public error report needs this page's token, a same-site origin, and is
//!   limited per address and per place;
//! - item 14: a Coop import over the size limit says so, in French; every 413 is French;
//!   `lat` without `lon` is declared in the OpenAPI document.

use super::http::{envoyer, formulaire, requete, Reponse};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use chrono::{TimeZone, Utc};
use maillage_comptes::{securite, HorlogeManuelle};
use maillage_domain::mediation::Role;
use maillage_mediation::Mediation;
use maillage_web::serveur::{servir, ReglagesServeur};
use maillage_web::{router, AppState, Site};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

struct Monde {
    state: AppState,
    horloge: Arc<HorlogeManuelle>,
    m: Mediation,
}

/// An instance with one mediator (`med@exemple.fr`, in a structure) and TOTP enrolled.
async fn monde() -> Monde {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .expect("date"),
    ));
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m = annuaire.mediation().clone();
    let st = annuaire
        .store()
        .create_structure("Médiathèque", None, Some("31555"))
        .await
        .expect("structure");
    let id = m
        .comptes()
        .creer_compte(
            "med@exemple.fr",
            "Med",
            Role::Mediateur,
            Some(maillage_domain::StructureId::new(st)),
            MDP,
        )
        .await
        .expect("account");
    m.comptes().activer_totp(id, SECRET).await.expect("totp");
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    Monde { state, horloge, m }
}

impl Monde {
    fn code(&self) -> String {
        // A code is accepted once per time step: each use takes a new step.
        self.horloge.avancer(chrono::Duration::seconds(31));
        securite::code_totp(SECRET, securite::pas_totp(self.m.maintenant())).expect("code")
    }

    /// Password then code, with `retour` as the pages carry it; returns the last answer.
    async fn connexion(&self, retour_url: &str, retour_champ: &str) -> Reponse {
        let page = envoyer(
            &self.state,
            requete(
                "GET",
                &format!("/connexion?retour={retour_url}"),
                None,
                None,
            ),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK);
        let pre = page.cookie("maillage_pre").expect("pre cookie");
        let csrf = page.champ_cache("csrf").expect("csrf");
        let r = envoyer(
            &self.state,
            requete(
                "POST",
                "/connexion",
                Some(&format!("maillage_pre={pre}")),
                Some(formulaire(&[
                    ("csrf", &csrf),
                    ("email", "med@exemple.fr"),
                    ("mot_de_passe", MDP),
                    ("retour", retour_champ),
                ])),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
        let partiel = format!(
            "maillage_session={}",
            r.cookie("maillage_session").expect("s")
        );
        let page = envoyer(
            &self.state,
            requete("GET", &r.location(), Some(&partiel), None),
        )
        .await;
        let csrf = page.champ_cache("csrf").expect("csrf");
        let retour_page = page.champ_cache("retour").unwrap_or_default();
        let code = self.code();
        let fin = envoyer(
            &self.state,
            requete(
                "POST",
                "/connexion/code",
                Some(&partiel),
                Some(formulaire(&[
                    ("csrf", &csrf),
                    ("code", &code),
                    ("retour", &retour_page),
                ])),
            ),
        )
        .await;
        assert_eq!(fin.status, StatusCode::SEE_OTHER, "{}", fin.corps);
        fin
    }
}

/// What a browser makes of a `Location` on `https://maillage.example`: tabs and line
/// breaks removed, backslashes read as slashes; `//host` or `scheme:` leave the site.
fn quitte_le_site(location: &str) -> bool {
    let nettoye: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let nettoye = nettoye.trim_start();
    !nettoye.starts_with('/') || nettoye.starts_with("//") || nettoye.contains("://")
}

const HOSTILES: [&str; 9] = [
    "/\t/evil.example/phish",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    " //evil.example",
    "/\u{0}/evil.example",
];

#[tokio::test]
async fn faille_1_return_after_sign_in_stays_on_the_site() {
    let w = monde().await;
    // The link of the issue, as an attacker would send it.
    let fin = w
        .connexion("%2F%09%2Fevil.example%2Fphish", "/\t/evil.example/phish")
        .await;
    assert!(
        !quitte_le_site(&fin.location()),
        "Location {:?} leaves the site",
        fin.location()
    );
    assert_eq!(fin.location(), "/espace");
    let mut cookie = format!(
        "maillage_session={}",
        fin.cookie("maillage_session").expect("session")
    );

    // Re-authentication: the page and the form (each one renews the session token).
    for hostile in HOSTILES {
        let page = envoyer(
            &w.state,
            requete(
                "GET",
                &format!(
                    "/reauthentification?retour={}",
                    form_urlencoded::byte_serialize(hostile.as_bytes()).collect::<String>()
                ),
                Some(&cookie),
                None,
            ),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.corps);
        assert_eq!(page.champ_cache("retour").as_deref(), Some("/espace"));
        let csrf = page.champ_cache("csrf").expect("csrf");
        let code = w.code();
        let r = envoyer(
            &w.state,
            requete(
                "POST",
                "/reauthentification",
                Some(&cookie),
                Some(formulaire(&[
                    ("csrf", &csrf),
                    ("code", &code),
                    ("retour", hostile),
                ])),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{hostile:?}: {}", r.corps);
        assert!(
            !quitte_le_site(&r.location()),
            "{hostile:?} → Location {:?}",
            r.location()
        );
        assert_eq!(r.location(), "/espace", "{hostile:?}");
        cookie = format!(
            "maillage_session={}",
            r.cookie("maillage_session").expect("renewed session")
        );
    }
    // A path of the site is kept.
    let page = envoyer(
        &w.state,
        requete(
            "GET",
            "/reauthentification?retour=%2Fespace%2Factivites%3Fdu%3D2026-01-01",
            Some(&cookie),
            None,
        ),
    )
    .await;
    assert_eq!(
        page.champ_cache("retour").as_deref(),
        Some("/espace/activites?du=2026-01-01")
    );
}

// ---------------------------------------------------------------------------------------
// Item 2: a real server on a port.

async fn serveur_de_test(
    reglages: ReglagesServeur,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let adresse = listener.local_addr().expect("address");
    let (arret_tx, arret_rx) = tokio::sync::oneshot::channel::<()>();
    let tache = tokio::spawn(async move {
        servir(listener, router(state), reglages, async {
            let _ = arret_rx.await;
        })
        .await
        .expect("serve");
    });
    (adresse, arret_tx, tache)
}

/// `GET chemin` on a new connection; the answer's status line and body.
async fn get_brut(adresse: SocketAddr, chemin: &str) -> std::io::Result<String> {
    let mut c = TcpStream::connect(adresse).await?;
    c.write_all(
        format!("GET {chemin} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut v = Vec::new();
    c.read_to_end(&mut v).await?;
    Ok(String::from_utf8_lossy(&v).into_owned())
}

/// Connections that send the start of a request and never finish their headers.
async fn clients_lents(adresse: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = TcpStream::connect(adresse).await.expect("connect");
        c.write_all(b"GET /sante HTTP/1.1\r\nHost: lent\r\nX-Lent: ")
            .await
            .expect("write");
        v.push(c);
    }
    v
}

/// Whether the server closed `c` (end of stream or reset) within `delai`.
async fn fermee(c: &mut TcpStream, delai: Duration) -> bool {
    fermee_avant(c, Instant::now() + delai).await
}

/// Whether the server closed `c` (end of stream or reset) before `fin` (checked at once when
/// `fin` is past).
async fn fermee_avant(c: &mut TcpStream, fin: Instant) -> bool {
    let mut tampon = [0u8; 512];
    loop {
        let reste = fin.saturating_duration_since(Instant::now());
        match tokio::time::timeout(reste, c.read(&mut tampon)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 408 or 400 before closing is fine
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_2_slow_clients_do_not_hold_the_server() {
    let delai = Duration::from_secs(2);
    let (adresse, arret, tache) = serveur_de_test(ReglagesServeur {
        delai_entetes: delai,
        ..ReglagesServeur::default()
    })
    .await;
    let debut = Instant::now();
    let mut lents = clients_lents(adresse, 300).await;
    // The server still answers, fast.
    let t0 = Instant::now();
    let r = get_brut(adresse, "/sante").await.expect("sante");
    let duree = t0.elapsed();
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.ends_with("ok"), "{r}");
    assert!(
        duree < Duration::from_millis(100),
        "/sante took {duree:?} with 300 slow clients"
    );
    assert!(
        debut.elapsed() < delai,
        "the slow clients took too long to open: the test proves nothing"
    );
    // After the header timeout, every slow connection is closed by the server.
    let fin = Instant::now() + delai + Duration::from_secs(3);
    let mut ouvertes = 0;
    for c in &mut lents {
        if !fermee_avant(c, fin).await {
            ouvertes += 1;
        }
    }
    assert_eq!(ouvertes, 0, "slow connections still open after the timeout");
    let _ = arret.send(());
    tokio::time::timeout(Duration::from_secs(10), tache)
        .await
        .expect("graceful stop")
        .expect("task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_2_connection_limit_and_idle_keep_alive() {
    let delai = Duration::from_secs(1);
    let (adresse, arret, tache) = serveur_de_test(ReglagesServeur {
        delai_entetes: delai,
        connexions_max: 20,
        ..ReglagesServeur::default()
    })
    .await;
    // An idle kept-alive connection is closed after the same delay.
    let mut garde = TcpStream::connect(adresse).await.expect("connect");
    garde
        .write_all(b"GET /sante HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("write");
    let mut tampon = [0u8; 1024];
    let n = garde.read(&mut tampon).await.expect("read");
    assert!(String::from_utf8_lossy(&tampon[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        fermee(&mut garde, delai + Duration::from_secs(3)).await,
        "idle keep-alive connection never closed"
    );

    // 20 slow clients take every place: the 21st connection waits (it is not served, and
    // not refused) until the header timeout frees places.
    let _lents = clients_lents(adresse, 20).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(6), get_brut(adresse, "/sante"))
        .await
        .expect("answered once places were freed")
        .expect("sante");
    let attente = t0.elapsed();
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(
        attente >= Duration::from_millis(500),
        "answered after {attente:?}: the limit of 20 connections did not hold"
    );
    let _ = arret.send(());
    tokio::time::timeout(Duration::from_secs(10), tache)
        .await
        .expect("graceful stop")
        .expect("task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_2_a_body_that_stops_coming_is_cut() {
    let delai = Duration::from_secs(1);
    let (adresse, arret, tache) = serveur_de_test(ReglagesServeur {
        delai_corps: delai,
        ..ReglagesServeur::default()
    })
    .await;
    // Headers complete, then 3 bytes of a 100-byte body, then nothing.
    let mut c = TcpStream::connect(adresse).await.expect("connect");
    c.write_all(
        b"POST /connexion HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nabc",
    )
    .await
    .expect("write");
    let t0 = Instant::now();
    let mut v = Vec::new();
    let lu = tokio::time::timeout(delai + Duration::from_secs(4), c.read_to_end(&mut v)).await;
    assert!(lu.is_ok(), "the connection is still waiting for its body");
    let duree = t0.elapsed();
    assert!(
        duree >= delai - Duration::from_millis(100),
        "cut after {duree:?}"
    );
    let r = String::from_utf8_lossy(&v);
    // The answer, if any, is in French.
    assert!(!r.contains("Failed to buffer"), "{r}");
    let _ = arret.send(());
    tokio::time::timeout(Duration::from_secs(10), tache)
        .await
        .expect("graceful stop")
        .expect("task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_2_stop_signal_lets_requests_finish() {
    let (adresse, arret, tache) = serveur_de_test(ReglagesServeur::default()).await;
    // A request in flight: headers sent, body coming slowly.
    let mut c = TcpStream::connect(adresse).await.expect("connect");
    c.write_all(
        b"POST /lieux/x/signalement HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\ncategorie=",
    )
    .await
    .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = arret.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // New connections are no longer taken…
    let nouvelle =
        tokio::time::timeout(Duration::from_millis(500), get_brut(adresse, "/sante")).await;
    assert!(
        !matches!(&nouvelle, Ok(Ok(r)) if r.starts_with("HTTP/1.1 200")),
        "a new connection was served after the stop signal"
    );
    // …the one under way gets its answer, then the server stops.
    c.write_all(b"xx").await.expect("end of body");
    let mut v = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut v))
        .await
        .expect("answer")
        .expect("read");
    let r = String::from_utf8_lossy(&v);
    assert!(r.starts_with("HTTP/1.1 "), "{r}");
    tokio::time::timeout(Duration::from_secs(5), tache)
        .await
        .expect("server stopped")
        .expect("task");
}

// ---------------------------------------------------------------------------------------
// Item 7: the public error report.

fn depuis(ip: &str, mut req: Request<Body>) -> Request<Body> {
    let adresse: SocketAddr = format!("{ip}:40000").parse().expect("address");
    req.extensions_mut().insert(ConnectInfo(adresse));
    req
}

fn signalement(id: &str, corps: &str, entetes: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post(format!("/lieux/{id}/signalement"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in entetes {
        b = b.header(*k, *v);
    }
    b.body(Body::from(corps.to_string())).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faille_7_public_reports_need_the_form_and_are_limited() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let ids: Vec<String> = state
        .moteur()
        .lieux()
        .iter()
        .take(3)
        .map(|f| f.id.clone())
        .collect();
    let nombre = |id: &str| {
        let state = state.clone();
        let id = id.to_string();
        async move {
            state
                .annuaire
                .signalements(Some(&id), true)
                .await
                .expect("store")
                .len()
        }
    };
    let jeton_de = |id: &str| {
        let state = state.clone();
        let id = id.to_string();
        async move {
            let page = envoyer(&state, requete("GET", &format!("/lieux/{id}"), None, None)).await;
            page.champ("form#signalement input[name=jeton]", "value")
                .expect("token in the form")
        }
    };
    let id = &ids[0];
    let corps = "categorie=horaires&message=Ferm%C3%A9+le+mardi";

    // Without the page's token (what the 300 cross-origin reports were): refused, nothing
    // stored, the form comes back.
    let r = envoyer(&state, depuis("192.0.2.1", signalement(id, corps, &[]))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.corps);
    assert!(r.corps.contains("envoyez-le de nouveau"));
    assert_eq!(nombre(id).await, 0);
    // A token of another place, or a forged one: refused.
    let autre = jeton_de(&ids[1]).await;
    for faux in [autre.as_str(), "9999999999.00", "n'importe quoi"] {
        let r = envoyer(
            &state,
            depuis(
                "192.0.2.1",
                signalement(id, &format!("{corps}&jeton={faux}"), &[]),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{faux}");
    }
    // With the token but sent by another site's page: refused.
    let jeton = jeton_de(id).await;
    let avec_jeton = format!("{corps}&jeton={jeton}");
    for entetes in [
        vec![("sec-fetch-site", "cross-site")],
        vec![
            ("origin", "https://evil.example"),
            ("host", "localhost:8080"),
        ],
        vec![("origin", "null")],
    ] {
        let r = envoyer(
            &state,
            depuis("192.0.2.1", signalement(id, &avec_jeton, &entetes)),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{entetes:?}");
    }
    assert_eq!(nombre(id).await, 0);
    // From the page itself (JavaScript off: a plain form post): stored.
    let r = envoyer(
        &state,
        depuis(
            "192.0.2.1",
            signalement(id, &avec_jeton, &[("sec-fetch-site", "same-origin")]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(nombre(id).await, 1);

    // Per address: 10 an hour, over every place.
    let mut acceptes = 1;
    for k in 0..15 {
        let cible = &ids[k % 3];
        let jeton = jeton_de(cible).await;
        let r = envoyer(
            &state,
            depuis(
                "192.0.2.1",
                signalement(cible, &format!("{corps}&jeton={jeton}"), &[]),
            ),
        )
        .await;
        match r.status {
            StatusCode::SEE_OTHER => acceptes += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(r.entetes.contains_key(header::RETRY_AFTER));
                assert!(r.corps.contains("Réessayez"), "{}", r.corps);
            }
            s => panic!("unexpected {s}: {}", r.corps),
        }
    }
    assert_eq!(acceptes, 10, "reports taken from one address");
    // An IPv6 subscriber counts for its /64.
    let mut acceptes_v6 = 0;
    for k in 0..12 {
        let jeton = jeton_de(&ids[2]).await;
        let ip = format!("[2001:db8:1:2::{:x}]", k + 1);
        let r = envoyer(
            &state,
            depuis(
                &ip,
                signalement(&ids[2], &format!("{corps}&jeton={jeton}"), &[]),
            ),
        )
        .await;
        if r.status == StatusCode::SEE_OTHER {
            acceptes_v6 += 1;
        }
    }
    assert!(acceptes_v6 <= 10, "{acceptes_v6} reports from one /64");

    // Per place: 20 a day, whatever the addresses.
    let lieu = &ids[1];
    let deja = nombre(lieu).await;
    let mut acceptes_lieu = 0;
    for k in 0..25 {
        let jeton = jeton_de(lieu).await;
        let r = envoyer(
            &state,
            depuis(
                &format!("198.51.100.{}", k + 1),
                signalement(lieu, &format!("{corps}&jeton={jeton}"), &[]),
            ),
        )
        .await;
        if r.status == StatusCode::SEE_OTHER {
            acceptes_lieu += 1;
        } else {
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        }
    }
    assert_eq!(deja + acceptes_lieu, 20, "reports taken for one place");
    assert_eq!(nombre(lieu).await, 20);
}

// ---------------------------------------------------------------------------------------
// Item 14.

#[tokio::test]
async fn faille_14_oversized_coop_import_says_so_in_french() {
    let w = monde().await;
    let fin = w.connexion("%2Fespace", "/espace").await;
    let cookie = format!(
        "maillage_session={}",
        fin.cookie("maillage_session").expect("session")
    );
    let page = envoyer(
        &w.state,
        requete("GET", "/espace/import", Some(&cookie), None),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.champ_cache("csrf").expect("csrf");
    let limite = "boundary-maillage";
    let mut corps = format!(
        "--{limite}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{limite}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"coop.csv\"\r\nContent-Type: text/csv\r\n\r\nDate;Type\r\n"
    )
    .into_bytes();
    while corps.len() < 2_500_000 {
        corps.extend_from_slice(b"01/01/2026;Accompagnement individuel\r\n");
    }
    corps.extend_from_slice(format!("\r\n--{limite}--\r\n").as_bytes());
    let r = envoyer(
        &w.state,
        Request::post("/espace/import")
            .header(header::COOKIE, &cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={limite}"),
            )
            .body(Body::from(corps))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.corps);
    assert!(
        !r.corps.contains("Choisissez un fichier CSV"),
        "the size limit is not « choose a file »"
    );
    assert!(r.corps.contains("trop volumineux"), "{}", r.corps);
    assert!(r.corps.contains("2 Mo"), "{}", r.corps);
    assert!(r.corps.contains("<html"), "a page of the space");
}

#[tokio::test]
async fn faille_14_every_413_is_french() {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    let gros = "message=".to_string() + &"a".repeat(3 * 1024 * 1024);
    for chemin in ["/lieux/x/signalement", "/connexion", "/mon-mandat"] {
        let r = envoyer(&state, requete("POST", chemin, None, Some(gros.clone()))).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{chemin}");
        assert!(
            r.entetes
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html")),
            "{chemin}: an HTML page"
        );
        assert!(r.corps.contains("trop volumineux"), "{chemin}: {}", r.corps);
        assert!(!r.corps.contains("length limit"), "{chemin}: English");
    }
    // A form that cannot be read: French too.
    let r = envoyer(
        &state,
        Request::post("/lieux/x/signalement")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .expect("request"),
    )
    .await;
    assert!(r.status.is_client_error());
    assert!(r.corps.contains("<html"), "{}", r.corps);
    assert!(!r.corps.contains("Expected request"), "{}", r.corps);
}

#[tokio::test]
async fn faille_14_lat_without_lon_is_declared() {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    let r = envoyer(&state, requete("GET", "/api/v1/lieux?lat=45", None, None)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let e: serde_json::Value = serde_json::from_str(&r.corps).expect("json");
    assert_eq!(e["parametre"], "lon");
    let doc = serde_json::to_value(maillage_web::openapi()).expect("openapi");
    let op = &doc["paths"]["/api/v1/lieux"]["get"];
    let description = |nom: &str| -> String {
        op["parameters"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == nom))
            .and_then(|p| p["description"].as_str())
            .unwrap_or("")
            .to_string()
    };
    assert!(
        description("lat").contains("lat sans lon"),
        "{}",
        description("lat")
    );
    assert!(
        description("lon").contains("lon sans lat"),
        "{}",
        description("lon")
    );
    let refus = op["responses"]["400"]["description"].as_str().unwrap_or("");
    assert!(refus.contains("lat sans lon"), "{refus}");
}
