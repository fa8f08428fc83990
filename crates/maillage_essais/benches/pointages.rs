//! The check-in sync: one upload of 5,000 check-ins (2,500 registered persons and 2,500
//! walk-ins) through the module's use case (`Evenements::pointer`: checks, then one write
//! transaction), first upload and idempotent re-upload, on SQLite and PostgreSQL.
//!
//! ```text
//! cargo bench -p maillage_essais --bench pointages
//! MAILLAGE_BENCH_PG=0 cargo bench -p maillage_essais --bench pointages   # without PostgreSQL
//! ```
//!
//! SQLite: a file under `target/bench-data/`; PostgreSQL: a scratch database
//! `maillage_bench_pointages` on `MAILLAGE_BENCH_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432`), recreated each run. Each first upload goes to a
//! new event with its own 2,500 registrations (made before the clock starts). Target:
//! < 2 s per upload.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use maillage_domain::mediation::Role;
use maillage_domain::StructureId;
use maillage_evenements::accueil::PointageEnvoye;
use maillage_evenements::DemandeInscription;
use maillage_instance::Instance;
use tokio::runtime::Runtime;

const INSCRITS: usize = 2_500;
const SUR_PLACE: usize = 2_500;
const APPAREIL: &str = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";

fn dossier() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
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

/// An organiser (coordinator of a structure) and its actor.
async fn organisateur(instance: &Instance) -> maillage_comptes::Acteur {
    let st = instance
        .store()
        .create_structure("Tiers-lieu", None, Some("31395"))
        .await
        .expect("structure");
    let id = instance
        .comptes()
        .creer_compte(
            "bench@exemple.fr",
            "Bench",
            Role::Coordinateur,
            Some(StructureId::new(st)),
            "un mot de passe solide",
        )
        .await
        .expect("account");
    instance
        .comptes()
        .acteur_de_confiance(id)
        .await
        .expect("actor")
}

/// A published event with 2,500 registrations; the batch of 5,000 check-ins for it.
async fn evenement(
    instance: &Instance,
    a: &maillage_comptes::Acteur,
    n: usize,
) -> (i64, Vec<PointageEnvoye>) {
    let fichier = serde_json::json!({
        "titre": "Village numérique", "type": "etape_tournee", "commune": "31395", "adresse": "Place de la mairie",
        "debut": "2035-06-12T09:00:00+02:00", "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [{"titre": "Stand", "type": "stand", "debut": "2035-06-12T10:00:00+02:00",
                      "fin": "2035-06-12T16:00:00+02:00", "capacite": 6000}]
    });
    let ev = instance.evenements();
    let cree = ev.importer(a, &fichier.to_string()).await.expect("event");
    instance
        .store()
        .set_statut_evenement(cree.id, "publie")
        .await
        .expect("publish");
    let s = cree.sessions[0];
    let mut lot = Vec::with_capacity(INSCRITS + SUR_PLACE);
    for k in 0..INSCRITS {
        let f = ev
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
        lot.push(PointageEnvoye {
            uuid: format!("{n:08x}-0000-4000-8000-{k:012}"),
            session: s,
            inscription: Some(f.uuid),
            tranche_age: None,
            statut: None,
            besoin: None,
            heure: "2035-06-12T10:01:00+02:00".into(),
        });
    }
    for k in 0..SUR_PLACE {
        lot.push(PointageEnvoye {
            uuid: format!("{n:08x}-1111-4000-8000-{k:012}"),
            session: s,
            inscription: None,
            tranche_age: Some("soixante_dix_plus".into()),
            statut: Some("retraite".into()),
            besoin: None,
            heure: "2035-06-12T10:02:00+02:00".into(),
        });
    }
    (cree.id, lot)
}

fn mesurer(c: &mut Criterion, rt: &Runtime, nom: &str, instance: Instance) {
    let a = rt.block_on(organisateur(&instance));
    let mut g = c.benchmark_group(format!("pointages_{nom}"));
    // Flat sampling, short warm-up: each first upload needs a fresh event and 2,500
    // registrations (a few seconds, outside the clock).
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements((INSCRITS + SUR_PLACE) as u64));
    let mut n = 0usize;
    g.bench_function("premier_envoi_5000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let (e, lot) = rt.block_on(evenement(&instance, &a, n));
                let t = Instant::now();
                let bilan = rt
                    .block_on(instance.evenements().pointer(&a, e, APPAREIL, &lot, false))
                    .expect("upload");
                total += t.elapsed();
                assert_eq!(bilan.etats.len(), INSCRITS + SUR_PLACE);
            }
            total
        })
    });
    n += 1;
    let (e, lot) = rt.block_on(evenement(&instance, &a, n));
    rt.block_on(instance.evenements().pointer(&a, e, APPAREIL, &lot, false))
        .expect("first upload");
    g.bench_function("renvoi_idempotent_5000", |b| {
        b.iter(|| {
            let bilan = rt
                .block_on(instance.evenements().pointer(&a, e, APPAREIL, &lot, false))
                .expect("re-upload");
            assert!(bilan
                .etats
                .iter()
                .all(|(_, e)| *e == maillage_evenements::stockage::EtatPointage::DejaRecu));
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    std::fs::create_dir_all(dossier()).expect("bench-data");
    let fichier = dossier().join("pointages.db");
    for suffixe in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffixe}", fichier.display()));
    }
    let sqlite = rt
        .block_on(maillage_cli::stockage::ouvrir(&format!(
            "sqlite://{}",
            fichier.display()
        )))
        .expect("sqlite");
    mesurer(c, &rt, "sqlite", sqlite);
    if std::env::var("MAILLAGE_BENCH_PG").as_deref() != Ok("0") {
        psql("DROP DATABASE IF EXISTS maillage_bench_pointages");
        psql("CREATE DATABASE maillage_bench_pointages");
        let serveur = std::env::var("MAILLAGE_BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let pg = rt
            .block_on(maillage_cli::stockage::ouvrir(&format!(
                "{serveur}/maillage_bench_pointages"
            )))
            .expect("postgres");
        mesurer(c, &rt, "postgres", pg);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
