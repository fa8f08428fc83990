//! Pass numérique: redemptions through the store (`PassStore::utiliser`, the guarded path:
//! one transaction under the pass journal's lock, conditional update, insert, ledger entry)
//! by 100 concurrent clients, each redeeming its own passes, on SQLite (a file) and
//! PostgreSQL; redemptions per second and latency percentiles. Then the verification of
//! the pass stream written by the run.
//!
//! ```text
//! cargo bench -p maillage_essais --bench pass
//! MAILLAGE_BENCH_PG=0 cargo bench -p maillage_essais --bench pass   # without PostgreSQL
//! ```
//!
//! PostgreSQL: a scratch database `maillage_bench_pass` on `MAILLAGE_BENCH_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432`), recreated each run. Target: p99 < 50 ms.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use maillage_domain::mandats::SigningKey;
use maillage_store::pass::{
    GardePass, LieuQualifieRow, NewCarnet, NewDistribution, NewProgramme, NewUtilisation,
    Utilisation,
};
use maillage_store::Store;
use maillage_store_postgres::PgStore;
use maillage_store_sqlite::SqliteStore;
use tokio::runtime::Runtime;

const CLIENTS: usize = 100;
/// Redemptions per client per measured batch.
const PAR_CLIENT: usize = 10;

fn dossier() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("bench-data")
}

fn psql(sql: &str) {
    let serveur = std::env::var("MAILLAGE_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let ok = Command::new("psql")
        .args([&format!("{serveur}/postgres"), "-qtAc", sql])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "psql: {sql}");
}

/// A programme, a qualified place, and `n` distributed passes: `(place, pass ids)`.
async fn preparer(s: &Arc<dyn Store>, n: usize, lot: usize) -> (i64, Vec<i64>) {
    let t = Utc
        .with_ymd_and_hms(2026, 11, 3, 9, 0, 0)
        .single()
        .expect("date");
    let financeur = s
        .create_structure("Département", None, Some("31555"))
        .await
        .expect("funder");
    let lieu = s
        .create_structure("Lieu", Some("73282932000074"), Some("31395"))
        .await
        .expect("place");
    let programme = s
        .create_programme(&NewProgramme {
            financeur_structure_id: financeur,
            nom: "Banc".into(),
            budget_centimes: 1_000_000_000,
            valeur_centimes: 1_000,
            fin_validite: NaiveDate::from_ymd_opt(2030, 12, 31).expect("date"),
            tolerance: NaiveDate::from_ymd_opt(2031, 1, 31).expect("date"),
            territoire: "commune:31395".into(),
            communes: vec!["31395".into()],
            publics: String::new(),
            acteur: "bench".into(),
            created_at: t,
        })
        .await
        .expect("programme");
    s.qualifier_lieu(&LieuQualifieRow {
        programme_id: programme,
        structure_id: lieu,
        siret: "73282932000074".into(),
        commune: "31395".into(),
        approuve_par: "bench".into(),
        approuve_at: t,
    })
    .await
    .expect("qualified");
    let mut ids = Vec::with_capacity(n);
    for c in 0..n.div_ceil(1000) {
        let codes: Vec<String> = (0..1000.min(n - c * 1000))
            .map(|i| format!("B{lot:03}{c:04}{i:04}"))
            .collect();
        let (_, lot_ids) = s
            .emettre_carnet(&NewCarnet {
                programme_id: programme,
                codes: codes.clone(),
                acteur: "bench".into(),
                created_at: t,
            })
            .await
            .expect("carnet");
        for code in codes {
            s.distribuer(&NewDistribution {
                code,
                prescripteur_structure_id: financeur,
                commune: "31395".into(),
                tranche_age: "70+".into(),
                statut: "retraite".into(),
                personne_id: None,
                acteur: "bench".into(),
                at: t,
            })
            .await
            .expect("distributed");
        }
        ids.extend(lot_ids);
    }
    (lieu, ids)
}

/// `CLIENTS` tasks redeem `ids` (each its share, in turn); returns every latency.
async fn utiliser_tous(s: &Arc<dyn Store>, lieu: i64, ids: &[i64]) -> Vec<Duration> {
    let parts: Vec<Vec<i64>> = (0..CLIENTS)
        .map(|c| ids.iter().skip(c).step_by(CLIENTS).copied().collect())
        .collect();
    let taches: Vec<_> = parts
        .into_iter()
        .map(|part| {
            let s = Arc::clone(s);
            tokio::spawn(async move {
                let mut durees = Vec::with_capacity(part.len());
                for id in part {
                    let t = Instant::now();
                    let u = NewUtilisation {
                        pass_id: id,
                        structure_id: lieu,
                        nonce: format!("n-{id}"),
                        cle_api_id: None,
                        compte_id: None,
                        activite_id: None,
                        acteur: "bench".into(),
                        at: Utc::now(),
                    };
                    let r = s.utiliser(&u, GardePass::Active).await.expect("redeem");
                    assert!(matches!(r, Utilisation::Creee(_)), "{r:?}");
                    durees.push(t.elapsed());
                }
                durees
            })
        })
        .collect();
    let mut toutes = Vec::new();
    for t in taches {
        toutes.extend(t.await.expect("task"));
    }
    toutes
}

fn centile(d: &mut [Duration], p: f64) -> Duration {
    d.sort();
    d[((d.len() as f64 - 1.0) * p).round() as usize]
}

fn mesurer(c: &mut Criterion, rt: &Runtime, nom: &str, s: Arc<dyn Store>) {
    let lot = CLIENTS * PAR_CLIENT;
    // One run outside criterion for the percentiles.
    let (lieu, ids) = rt.block_on(preparer(&s, lot, 0));
    let t = Instant::now();
    let mut durees = rt.block_on(utiliser_tous(&s, lieu, &ids));
    let total = t.elapsed();
    let p50 = centile(&mut durees, 0.50);
    let p99 = centile(&mut durees, 0.99);
    println!(
        "pass {nom}: {lot} redemptions by {CLIENTS} concurrent clients in {:.2} s: {:.0} redemptions/s, p50 {:.1} ms, p99 {:.1} ms",
        total.as_secs_f64(),
        lot as f64 / total.as_secs_f64(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    let mut g = c.benchmark_group("pass");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(lot as u64));
    let mut n = 1;
    g.bench_function(format!("utiliser_{nom}_{CLIENTS}_clients"), |b| {
        b.iter_custom(|iterations| {
            let mut temps = Duration::ZERO;
            for _ in 0..iterations {
                let (lieu, ids) = rt.block_on(preparer(&s, lot, n));
                n += 1;
                let t = Instant::now();
                rt.block_on(utiliser_tous(&s, lieu, &ids));
                temps += t.elapsed();
            }
            temps
        })
    });
    g.finish();
    let cle = SigningKey::from_bytes(&[5; 32]).verifying_key();
    let t = Instant::now();
    let r = rt
        .block_on(maillage_pass::verifier_flux_pass(s.as_ref(), &cle, 20_000))
        .expect("verification");
    assert!(r.intact());
    println!(
        "pass {nom}: ledger of {} entries verified in {:.2} s ({:.0} entries/s)",
        r.entrees,
        t.elapsed().as_secs_f64(),
        r.entrees as f64 / t.elapsed().as_secs_f64().max(1e-9)
    );
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    std::fs::create_dir_all(dossier()).expect("bench-data");
    let fichier = dossier().join("pass.db");
    for suffixe in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffixe}", fichier.display()));
    }
    let sqlite = rt
        .block_on(SqliteStore::connect(&format!(
            "sqlite://{}",
            fichier.display()
        )))
        .expect("sqlite");
    mesurer(c, &rt, "sqlite", Arc::new(sqlite));
    if std::env::var("MAILLAGE_BENCH_PG").is_ok_and(|v| v == "0") {
        return;
    }
    psql("DROP DATABASE IF EXISTS maillage_bench_pass");
    psql("CREATE DATABASE maillage_bench_pass");
    let serveur = std::env::var("MAILLAGE_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let pg = rt
        .block_on(PgStore::connect(&format!("{serveur}/maillage_bench_pass")))
        .expect("postgres");
    mesurer(c, &rt, "postgres", Arc::new(pg));
}

criterion_group!(benches, bench);
criterion_main!(benches);
