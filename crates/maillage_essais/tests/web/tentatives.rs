//! Throttling of sign-in and personal-code attempts, black box through the router with the
//! client's address set as the server would (`ConnectInfo`), on a SQLite file and on
//! PostgreSQL (`MAILLAGE_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! Issue « Failles », item 5 (lockout as a weapon, proxies, concurrent overshoot, purge) and
//! item 6 (Argon2 off the async workers). `cargo test -p maillage_essais --test web tentatives::`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use maillage_domain::mandats::{Demarche, NouvelleEntree, SigningKey};
use maillage_domain::mediation::Role;
use maillage_mandats::stockage::{NewMandat, NewUsager, UsagerCible};
use maillage_mediation::{HorlogeManuelle, Mediation};
use maillage_store_postgres::testing::TestDatabase;
use maillage_web::espace::adresse_client::lire_reseaux;
use maillage_web::{router, AppState, Site};
use tower::ServiceExt;

const MDP: &str = "un mot de passe solide";
const EMAIL: &str = "aidante@exemple.fr";

enum Base {
    Sqlite(tempfile::TempDir),
    Postgres(TestDatabase),
}

struct Monde {
    state: AppState,
    horloge: Arc<HorlogeManuelle>,
    m: Mediation,
    /// The personal code of a person with a mandate.
    code: String,
    base: Base,
}

impl Monde {
    async fn fin(self) {
        drop(self.state);
        if let Base::Postgres(db) = self.base {
            db.drop_database().await;
        }
    }
}

async fn monde_sur(base: Base, site: Site) -> Monde {
    let url = match &base {
        Base::Sqlite(d) => format!("sqlite://{}", d.path().join("maillage.db").display()),
        Base::Postgres(db) => db.url.clone(),
    };
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .unwrap(),
    ));
    let annuaire = maillage_cli::stockage::ouvrir(&url).await.expect("store");
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m = annuaire.mediation().clone();
    let annuaire = annuaire.avec_cle_journal(SigningKey::from_bytes(&[5; 32]));
    let st = annuaire
        .store()
        .create_structure("France Services Muret", None, Some("31395"))
        .await
        .unwrap();
    let aidant = m
        .comptes()
        .creer_compte(
            EMAIL,
            "Aidante",
            Role::Mediateur,
            Some(maillage_domain::StructureId::new(st)),
            MDP,
        )
        .await
        .unwrap();
    m.comptes()
        .activer_totp(aidant, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        .await
        .unwrap();
    // A person with a mandate, written through the store (the signature flow is tested in
    // maillage_annuaire's tests/mandats.rs).
    // The person's key is the kernel's (« Mon espace »).
    let cle = m.comptes().nouvelle_personne().await.unwrap();
    let code = cle.code;
    let now = m.maintenant();
    let md = annuaire.mandats().unwrap().clone();
    md.store()
        .create_mandat(
            NewMandat {
                usager: UsagerCible::Nouveau(NewUsager {
                    pseudonyme: "p-test".into(),
                    structure_id: st,
                    data: r#"{"nom":"Martin","prenoms":"Jeanne","date_naissance":"1950-04-02","verification":"document:cni"}"#.into(),
                    code_cle: code.cle().into(),
                    code_hash: code.hash_secret(),
                    created_at: now,
                    personne_id: Some(cle.personne_id),
                }),
                structure_id: st,
                aidant_id: aidant.get(),
                duree: "6m".into(),
                created_at: now,
                expire_at: now + Duration::days(182),
                demarches: vec![Demarche::Social],
                empreinte: "a".repeat(64),
                modele: "2026-11".into(),
                document: "{}".into(),
                renouvelle: None,
            },
            NouvelleEntree {
                at_us: now.timestamp_micros(),
                action: "creation_mandat".into(),
                acteur: format!("aidant:{aidant}"),
                structure_id: None,
                mandat_id: None,
                usager: None,
                demarches: "social".into(),
                details: "{}".into(),
            },
        )
        .await
        .unwrap();
    let state = AppState::new(annuaire, site).await.expect("state");
    Monde {
        state,
        horloge,
        m,
        code: code.texte(),
        base,
    }
}

async fn sqlite() -> Monde {
    monde_sur(Base::Sqlite(tempfile::tempdir().unwrap()), Site::default()).await
}

async fn postgres() -> Monde {
    monde_sur(
        Base::Postgres(TestDatabase::create().await),
        Site::default(),
    )
    .await
}

/// A form POST from `pair` (the TCP peer), optionally through a proxy header.
fn post(chemin: &str, champs: &[(&str, &str)], pair: &str, xff: Option<&str>) -> Request<Body> {
    let corps = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", "jeton-pre")
        .extend_pairs(champs)
        .finish();
    let mut b = Request::builder()
        .method("POST")
        .uri(chemin)
        .header(header::COOKIE, "maillage_pre=jeton-pre")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(x) = xff {
        b = b.header("x-forwarded-for", x);
    }
    let mut req = b.body(Body::from(corps)).unwrap();
    let pair: std::net::IpAddr = pair.parse().unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(pair, 40_000)));
    req
}

async fn statut(state: &AppState, req: Request<Body>) -> StatusCode {
    let r = router(state.clone()).oneshot(req).await.unwrap();
    let s = r.status();
    let _ = r.into_body().collect().await;
    s
}

fn connexion(email: &str, mdp: &str, pair: &str) -> Request<Body> {
    post(
        "/connexion",
        &[
            ("email", email),
            ("mot_de_passe", mdp),
            ("retour", "/espace"),
        ],
        pair,
        None,
    )
}

fn ouvrir(code: &str, pair: &str) -> Request<Body> {
    post(
        "/mon-mandat",
        &[("action", "ouvrir"), ("code", code)],
        pair,
        None,
    )
}

/// A wrong code with the person's five first characters.
fn code_faux(w: &Monde) -> String {
    let faux = if w.code.ends_with('A') { "B" } else { "A" };
    format!("{}{faux}", &w.code[..w.code.len() - 1])
}

/// Sends every request at once; counts the answers by status.
async fn en_meme_temps(state: &AppState, reqs: Vec<Request<Body>>) -> Vec<StatusCode> {
    let mut set = tokio::task::JoinSet::new();
    for req in reqs {
        let state = state.clone();
        set.spawn(async move { statut(&state, req).await });
    }
    let mut statuts = Vec::new();
    while let Some(s) = set.join_next().await {
        statuts.push(s.unwrap());
    }
    statuts
}

fn compter(statuts: &[StatusCode], s: StatusCode) -> usize {
    statuts.iter().filter(|x| **x == s).count()
}

// --- concurrent attempts: exactly the limit gets through ---

async fn soixante_mots_de_passe_faux(w: Monde) {
    let reqs = (0..60)
        .map(|_| connexion(EMAIL, "pas le bon mot de passe", "198.51.100.7"))
        .collect();
    let statuts = en_meme_temps(&w.state, reqs).await;
    assert_eq!(
        compter(&statuts, StatusCode::UNAUTHORIZED),
        5,
        "exactly 5 wrong passwords checked: {statuts:?}"
    );
    assert_eq!(compter(&statuts, StatusCode::TOO_MANY_REQUESTS), 55);
    w.fin().await;
}

async fn soixante_codes_faux(w: Monde) {
    let faux = code_faux(&w);
    let reqs = (0..60).map(|_| ouvrir(&faux, "198.51.100.7")).collect();
    let statuts = en_meme_temps(&w.state, reqs).await;
    assert_eq!(
        compter(&statuts, StatusCode::UNAUTHORIZED),
        10,
        "exactly 10 wrong codes checked: {statuts:?}"
    );
    assert_eq!(compter(&statuts, StatusCode::TOO_MANY_REQUESTS), 50);
    w.fin().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faille_connexions_concurrentes_exactement_la_limite_sqlite() {
    soixante_mots_de_passe_faux(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faille_connexions_concurrentes_exactement_la_limite_postgres() {
    soixante_mots_de_passe_faux(postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faille_mon_mandat_concurrent_exactement_la_limite_sqlite() {
    soixante_codes_faux(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faille_mon_mandat_concurrent_exactement_la_limite_postgres() {
    soixante_codes_faux(postgres().await).await;
}

// --- lockout as a weapon ---

#[tokio::test]
async fn faille_mots_de_passe_faux_d_ailleurs_ne_bloquent_pas_l_aidante() {
    let w = sqlite().await;
    let s = &w.state;
    let attaquant = "203.0.113.66";
    for _ in 0..5 {
        let r = statut(s, connexion(EMAIL, "mauvais mot de passe", attaquant)).await;
        assert_eq!(r, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, attaquant)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is throttled, even with the right password"
    );
    // The aidante, from an address never seen before: not blocked.
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, "192.0.2.10")).await,
        StatusCode::SEE_OTHER
    );
    // Backoff for the attacker: 5 more after 15 minutes, then an hour's wait.
    w.horloge.avancer(Duration::minutes(16));
    for _ in 0..5 {
        let r = statut(s, connexion(EMAIL, "mauvais mot de passe", attaquant)).await;
        assert_eq!(r, StatusCode::UNAUTHORIZED);
    }
    w.horloge.avancer(Duration::minutes(16));
    assert_eq!(
        statut(s, connexion(EMAIL, "mauvais mot de passe", attaquant)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "10 failures in an hour: the wait grows"
    );
    w.horloge.avancer(Duration::minutes(30));
    assert_eq!(
        statut(s, connexion(EMAIL, "mauvais mot de passe", attaquant)).await,
        StatusCode::UNAUTHORIZED,
        "the first five are more than an hour old"
    );
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, "192.0.2.10")).await,
        StatusCode::SEE_OTHER
    );
    w.fin().await;
}

#[tokio::test]
async fn faille_attaque_repartie_ralentie_sans_bloquer_l_adresse_habituelle() {
    let w = sqlite().await;
    let s = &w.state;
    let habituelle = "192.0.2.10";
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, habituelle)).await,
        StatusCode::SEE_OTHER
    );
    // 60 addresses, one wrong password each, at once.
    let reqs = (0..60)
        .map(|i| connexion(EMAIL, "devine", &format!("203.0.113.{}", i + 1)))
        .collect();
    let statuts = en_meme_temps(s, reqs).await;
    assert_eq!(
        compter(&statuts, StatusCode::UNAUTHORIZED),
        50,
        "above 50 failures in 15 min the account is slowed down: {statuts:?}"
    );
    // The usual address is not slowed down.
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, habituelle)).await,
        StatusCode::SEE_OTHER
    );
    // A new address waits for the next slot (one every 30 s), then gets in: never closed.
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, "192.0.2.99")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    w.horloge.avancer(Duration::seconds(31));
    assert_eq!(
        statut(s, connexion(EMAIL, MDP, "192.0.2.99")).await,
        StatusCode::SEE_OTHER
    );
    w.fin().await;
}

#[tokio::test]
async fn faille_codes_faux_avec_le_prefixe_ne_bloquent_pas_la_personne() {
    let w = sqlite().await;
    let s = &w.state;
    let faux = code_faux(&w);
    // Twelve wrong codes with the person's prefix, from two addresses.
    for pair in ["203.0.113.66", "203.0.113.67"] {
        for i in 0..12 {
            let attendu = if i < 10 {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(statut(s, ouvrir(&faux, pair)).await, attendu, "{pair} {i}");
        }
    }
    assert_eq!(
        statut(s, ouvrir(&w.code, "192.0.2.10")).await,
        StatusCode::SEE_OTHER,
        "the person, from their address"
    );
    // Many addresses now: above 100 the code is slowed down, but not from the address
    // where the person opened their space.
    let reqs = (0..110)
        .map(|i| ouvrir(&faux, &format!("198.51.100.{}", i + 1)))
        .collect();
    let statuts = en_meme_temps(s, reqs).await;
    assert!(
        compter(&statuts, StatusCode::TOO_MANY_REQUESTS) >= 10,
        "{statuts:?}"
    );
    assert_eq!(
        statut(s, ouvrir(&w.code, "192.0.2.10")).await,
        StatusCode::SEE_OTHER
    );
    w.fin().await;
}

// --- reverse proxy ---

#[tokio::test]
async fn faille_derriere_un_proxy_chaque_client_a_sa_limite() {
    let site = Site {
        proxies: lire_reseaux("127.0.0.1,10.0.0.0/8").unwrap(),
        ..Site::default()
    };
    let w = monde_sur(Base::Sqlite(tempfile::tempdir().unwrap()), site).await;
    let s = &w.state;
    let via_proxy = |mdp: &str, client: &str| {
        post(
            "/connexion",
            &[("email", EMAIL), ("mot_de_passe", mdp)],
            "127.0.0.1",
            Some(&format!("1.1.1.1, {client}")),
        )
    };
    for _ in 0..5 {
        assert_eq!(
            statut(s, via_proxy("mauvais", "203.0.113.66")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        statut(s, via_proxy(MDP, "203.0.113.66")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy has its own limit.
    assert_eq!(
        statut(s, via_proxy(MDP, "192.0.2.10")).await,
        StatusCode::SEE_OTHER
    );
    // A client that is not a proxy cannot choose its address with the header.
    let usurpe = post(
        "/connexion",
        &[("email", EMAIL), ("mot_de_passe", MDP)],
        "203.0.113.66",
        Some("192.0.2.10"),
    );
    assert_eq!(statut(s, usurpe).await, StatusCode::TOO_MANY_REQUESTS);
    w.fin().await;
}

// --- purge ---

#[tokio::test]
async fn faille_les_vieux_echecs_sont_purges_par_les_taches() {
    let w = sqlite().await;
    for i in 0..3 {
        let pair = format!("203.0.113.{i}");
        statut(&w.state, connexion(EMAIL, "mauvais", &pair)).await;
    }
    let cle = format!("email:{EMAIL}|ip:203.0.113.0");
    let debut = w.m.maintenant() - Duration::days(365);
    assert_eq!(
        w.state
            .instance
            .store()
            .count_login_failures(&cle, debut)
            .await
            .unwrap(),
        1
    );
    w.m.taches_quotidiennes().await.unwrap();
    assert_eq!(
        w.state
            .instance
            .store()
            .count_login_failures(&cle, debut)
            .await
            .unwrap(),
        1,
        "recent failures are kept"
    );
    w.horloge.avancer(Duration::hours(25));
    w.m.taches_quotidiennes().await.unwrap();
    for cle in [
        cle.clone(),
        "ip:203.0.113.1".to_string(),
        format!("email:{EMAIL}"),
    ] {
        assert_eq!(
            w.state
                .instance
                .store()
                .count_login_failures(&cle, debut)
                .await
                .unwrap(),
            0,
            "{cle}"
        );
    }
    w.fin().await;
}

// --- Argon2 off the async workers ---

/// CPU time consumed by the calling thread.
#[expect(
    unsafe_code,
    reason = "libc::clock_gettime: the only per-thread CPU clock"
)]
fn cpu_du_thread() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(r, 0);
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// On a single-threaded runtime, eight sign-ins cost its thread far less CPU than eight
/// Argon2 checks: the hashing ran elsewhere (the bounded blocking pool), so the thread that
/// answers `/sante` and every other request stayed free. CPU time, not wall-clock time: a
/// loaded machine does not change it much.
#[tokio::test(flavor = "current_thread")]
async fn faille_argon2_ne_tourne_pas_sur_le_travailleur_asynchrone() {
    let w = sqlite().await;
    let hash = maillage_comptes::securite::hacher_mot_de_passe(MDP).unwrap();
    // Calibration: what four checks cost on this thread.
    let avant = cpu_du_thread();
    for _ in 0..4 {
        assert!(!maillage_comptes::securite::verifier_mot_de_passe(
            "non", &hash
        ));
    }
    let un_hash = (cpu_du_thread() - avant) / 4;
    // Warm-up (the decoy hash is computed once per process).
    statut(
        &w.state,
        connexion("personne@exemple.fr", "x", "192.0.2.200"),
    )
    .await;
    // The router is built once, before the measure: building it (every module's routes and
    // the OpenAPI document) is not what this test is about.
    let app = router(w.state.clone());
    let repondre = |app: axum::Router, req: Request<Body>| async move {
        let r = app.oneshot(req).await.unwrap();
        let s = r.status();
        let _ = r.into_body().collect().await;
        s
    };
    let avant = cpu_du_thread();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let app = app.clone();
        let email = if i % 2 == 0 {
            EMAIL.to_string()
        } else {
            format!("inconnu{i}@exemple.fr")
        };
        set.spawn(async move {
            repondre(
                app,
                connexion(&email, "mauvais mot de passe", &format!("192.0.2.{i}")),
            )
            .await
        });
    }
    let sante = repondre(
        app.clone(),
        Request::get("/sante").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(sante, StatusCode::OK);
    while let Some(s) = set.join_next().await {
        assert_eq!(s.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let sur_le_thread = cpu_du_thread() - avant;
    println!(
        "one Argon2 check: {un_hash:?} of CPU; 8 sign-ins cost the async worker {sur_le_thread:?}"
    );
    assert!(
        sur_le_thread < un_hash * 4,
        "8 sign-ins took {sur_le_thread:?} of the async worker's CPU; one Argon2 check takes \
         {un_hash:?}: the hashing runs on the async worker"
    );
    w.fin().await;
}
