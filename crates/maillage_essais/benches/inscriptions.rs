//! Registrations through the HTTP layer under concurrency, with criterion:
//!
//! ```text
//! cargo bench -p maillage_essais --bench inscriptions
//! MAILLAGE_BENCH_PG=0 cargo bench -p maillage_essais --bench inscriptions   # SQLite only
//! ```
//!
//! A real server (hyper on a port of 127.0.0.1, the product's router, no per-address
//! limit) over SQLite (a WAL file in a temporary directory) and over PostgreSQL
//! (`MAILLAGE_TEST_PG_URL`'s server, a scratch database). Each measured iteration creates
//! a fresh event whose session has 30 seats, then sends 200 registrations at once
//! (`POST /api/v1/sessions/{id}/inscriptions`, one TCP connection each, released together
//! by a barrier) and waits for every answer. Criterion reports the time of a batch of 200;
//! the latency of every request is kept and its p50/p99 printed per backend, and every
//! batch is checked: exactly 30 « inscrit », 170 « liste_attente », no error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use maillage_instance::Instance;
use maillage_store_postgres::testing::TestDatabase;
use maillage_web::{AppState, Site};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

const CAPACITE: i64 = 30;
const CLIENTS: usize = 200;

fn evenement() -> String {
    serde_json::json!({
        "titre": "Village numérique de Muret", "type": "etape_tournee", "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2035-06-12T09:00:00+02:00", "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [{"titre": "Déjouer les arnaques en ligne", "type": "atelier",
            "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T11:00:00+02:00",
            "capacite": CAPACITE}]
    })
    .to_string()
}

async fn serveur(instance: Instance) -> String {
    let mut state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    state.inscriptions = Arc::new(maillage_web::evenements::GardeInscriptions::new(0));
    let listener = maillage_web::serveur::ecouter("127.0.0.1:0")
        .await
        .expect("bind");
    let adresse = listener.local_addr().expect("address").to_string();
    let app = maillage_web::router(state);
    tokio::spawn(async move {
        let _ = maillage_web::serveur::servir(
            listener,
            app,
            maillage_web::serveur::ReglagesServeur::default(),
            std::future::pending(),
        )
        .await;
    });
    adresse
}

/// One registration; its status, its `statut` and how long it took.
async fn inscrire(adresse: &str, session: i64, n: usize) -> (u16, String, Duration) {
    let debut = Instant::now();
    let corps = format!(r#"{{"prenom": "Personne {n}"}}"#);
    let requete = format!(
        "POST /api/v1/sessions/{session}/inscriptions HTTP/1.1\r\nHost: {adresse}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{corps}",
        corps.len()
    );
    let mut c = TcpStream::connect(adresse).await.expect("connect");
    c.write_all(requete.as_bytes()).await.expect("write");
    let mut octets = Vec::new();
    c.read_to_end(&mut octets).await.expect("read");
    let duree = debut.elapsed();
    let texte = String::from_utf8_lossy(&octets);
    let statut = texte
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if statut != 201 {
        eprintln!("registration {n}: {texte}");
    }
    let etat = if texte.contains("\"liste_attente\"") {
        "liste_attente"
    } else if texte.contains("\"inscrit\"") {
        "inscrit"
    } else {
        "autre"
    };
    (statut, etat.to_string(), duree)
}

/// One batch: a fresh session, 200 registrations at once; returns the batch's time and
/// appends each request's latency.
async fn lot(instance: &Instance, adresse: &str, latences: &mut Vec<Duration>) -> Duration {
    let exploitant = instance.comptes().exploitant();
    let cree = instance
        .evenements()
        .importer(&exploitant, &evenement())
        .await
        .expect("event");
    let session = cree.sessions[0];
    let barriere = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let debut = Instant::now();
    let taches: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let b = Arc::clone(&barriere);
            let a = adresse.to_string();
            tokio::spawn(async move {
                b.wait().await;
                inscrire(&a, session, n).await
            })
        })
        .collect();
    let mut inscrits = 0;
    let mut attente = 0;
    for t in taches {
        let (statut, etat, d) = t.await.expect("task");
        assert_eq!(statut, 201, "every registration answered 201");
        match etat.as_str() {
            "inscrit" => inscrits += 1,
            "liste_attente" => attente += 1,
            autre => panic!("unexpected statut {autre}"),
        }
        latences.push(d);
    }
    let total = debut.elapsed();
    assert_eq!(
        (inscrits, attente),
        (CAPACITE as usize, CLIENTS - CAPACITE as usize)
    );
    total
}

fn quantile(triees: &[Duration], q: f64) -> Duration {
    let i = ((triees.len() as f64 - 1.0) * q).round() as usize;
    triees[i.min(triees.len() - 1)]
}

fn mesurer(c: &mut Criterion, rt: &Runtime, nom: &str, instance: Instance) {
    let adresse = rt.block_on(serveur(instance.clone()));
    let mut latences = Vec::new();
    let mut g = c.benchmark_group("inscriptions");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function(format!("{nom}_200_clients_30_places"), |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                total += rt.block_on(lot(&instance, &adresse, &mut latences));
            }
            total
        })
    });
    g.finish();
    latences.sort();
    if !latences.is_empty() {
        let n = latences.len();
        println!(
            "{nom}: {n} registrations, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            quantile(&latences, 0.50).as_secs_f64() * 1e3,
            quantile(&latences, 0.99).as_secs_f64() * 1e3,
            latences[n - 1].as_secs_f64() * 1e3,
        );
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dossier = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}",
        dossier.path().join("inscriptions.db").display()
    );
    let instance = rt
        .block_on(maillage_cli::stockage::ouvrir(&url))
        .expect("SQLite");
    mesurer(c, &rt, "sqlite", instance);
    if std::env::var("MAILLAGE_BENCH_PG").as_deref() != Ok("0") {
        let db = rt.block_on(TestDatabase::create());
        let instance = rt
            .block_on(maillage_cli::stockage::ouvrir(&db.url))
            .expect("PostgreSQL");
        mesurer(c, &rt, "postgres", instance);
        rt.block_on(db.drop_database());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
