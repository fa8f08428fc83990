//! The mandates' journal: verification of 1,000,000 entries (in memory, and read back from
//! SQLite and PostgreSQL), and append throughput (one entry per transaction, as the use
//! cases write them).
//!
//! ```text
//! cargo bench -p maillage_essais --bench journal
//! MAILLAGE_BENCH_PG=0 cargo bench -p maillage_essais --bench journal   # without PostgreSQL
//! ```
//!
//! The journal is built in memory with the real chaining code, then bulk-inserted (one
//! transaction) into a SQLite file under `target/bench-data/` and, unless
//! `MAILLAGE_BENCH_PG=0`, into a scratch PostgreSQL database `maillage_bench_journal` on
//! `MAILLAGE_BENCH_PG_URL` (default `postgres://postgres@127.0.0.1:5432`), recreated each run.
//! Verification runs on one core (single-threaded loop; the database reads are on the
//! driver's thread). Target: ≥ 500,000 entries/s.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use maillage_domain::mandats::{
    verifier, Action, Chaine, Entree, NouvelleEntree, Sceau, SigningKey,
};
use maillage_store::mandats::{verifier_journal, MandatsStore};
use maillage_store_postgres::PgStore;
use maillage_store_sqlite::SqliteStore;
use tokio::runtime::Runtime;

const N: i64 = 1_000_000;
const SCEAU_TOUS_LES: i64 = 1_000;

fn cle() -> SigningKey {
    SigningKey::from_bytes(&[11; 32])
}

/// A realistic journal: uses, views, creations and revocations over 20,000 mandates.
fn journal(n: i64) -> (Vec<Entree>, Vec<Sceau>) {
    let mut c = Chaine::VIDE;
    let mut tampon = Vec::new();
    let actions = [
        Action::Utilisation,
        Action::Utilisation,
        Action::Consultation,
        Action::Utilisation,
        Action::CreationMandat,
        Action::RevocationDemarche,
    ];
    let demarches = ["social", "logement", "argent", "papiers,social", "famille"];
    let mut entrees = Vec::with_capacity(n as usize);
    let mut sceaux = Vec::new();
    for i in 1..=n {
        let mandat = (i * 7919) % 20_000 + 1;
        let e = c.ajouter(
            NouvelleEntree {
                at_us: 1_790_000_000_000_000 + i * 1_000_000,
                action: actions[(i % 6) as usize].code().into(),
                acteur: format!("aidant:{}", mandat % 400 + 1),
                structure_id: Some(mandat % 90 + 1),
                mandat_id: Some(mandat),
                usager: Some(format!("p-{mandat:024x}")),
                demarches: demarches[(i % 5) as usize].into(),
                details: if i % 6 == 4 {
                    format!(
                        "{{\"empreinte\":\"{:064x}\",\"duree\":\"6m\",\"modele\":\"2026-11\"}}",
                        i
                    )
                } else {
                    "{}".into()
                },
            },
            &mut tampon,
        );
        if i % SCEAU_TOUS_LES == 0 {
            sceaux.push(Sceau::signer(&cle(), i, e.hash, e.contenu.at_us));
        }
        entrees.push(e);
    }
    (entrees, sceaux)
}

fn dossier() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("bench-data")
}

async fn remplir_sqlite(store: &SqliteStore, entrees: &[Entree], sceaux: &[Sceau]) {
    let mut tx = store.pool().begin().await.expect("tx");
    for e in entrees {
        sqlx::query(
            "INSERT INTO journal (seq, at_us, action, acteur, structure_id, mandat_id, usager,
                                  demarches, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(e.seq)
        .bind(e.contenu.at_us)
        .bind(&e.contenu.action)
        .bind(&e.contenu.acteur)
        .bind(e.contenu.structure_id)
        .bind(e.contenu.mandat_id)
        .bind(&e.contenu.usager)
        .bind(&e.contenu.demarches)
        .bind(&e.contenu.details)
        .bind(&e.prev_hash[..])
        .bind(&e.hash[..])
        .execute(&mut *tx)
        .await
        .expect("insert");
    }
    tx.commit().await.expect("commit");
    for s in sceaux {
        store.add_sceau(s).await.expect("seal");
    }
}

async fn remplir_pg(store: &PgStore, entrees: &[Entree], sceaux: &[Sceau]) {
    for lot in entrees.chunks(10_000) {
        let col = |f: fn(&Entree) -> String| lot.iter().map(f).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO journal (seq, at_us, action, acteur, structure_id, mandat_id, usager,
                                  demarches, details, prev_hash, hash)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                                  $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[],
                                  $10::bytea[], $11::bytea[])",
        )
        .bind(lot.iter().map(|e| e.seq).collect::<Vec<_>>())
        .bind(lot.iter().map(|e| e.contenu.at_us).collect::<Vec<_>>())
        .bind(col(|e| e.contenu.action.clone()))
        .bind(col(|e| e.contenu.acteur.clone()))
        .bind(
            lot.iter()
                .map(|e| e.contenu.structure_id)
                .collect::<Vec<_>>(),
        )
        .bind(lot.iter().map(|e| e.contenu.mandat_id).collect::<Vec<_>>())
        .bind(
            lot.iter()
                .map(|e| e.contenu.usager.clone())
                .collect::<Vec<_>>(),
        )
        .bind(col(|e| e.contenu.demarches.clone()))
        .bind(col(|e| e.contenu.details.clone()))
        .bind(lot.iter().map(|e| e.prev_hash.to_vec()).collect::<Vec<_>>())
        .bind(lot.iter().map(|e| e.hash.to_vec()).collect::<Vec<_>>())
        .execute(store.pool())
        .await
        .expect("insert");
    }
    for s in sceaux {
        store.add_sceau(s).await.expect("seal");
    }
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

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let debut = Instant::now();
    let (entrees, sceaux) = journal(N);
    println!(
        "journal: {N} entries and {} seals built in {:.1} s",
        sceaux.len(),
        debut.elapsed().as_secs_f64()
    );
    let cle_v = cle().verifying_key();
    let mut g = c.benchmark_group("journal");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("verifier_memoire_1M", |b| {
        b.iter(|| {
            let r = verifier(&entrees, sceaux.clone(), &cle_v);
            assert!(r.intact());
        })
    });

    // SQLite file.
    std::fs::create_dir_all(dossier()).expect("bench-data");
    let fichier = dossier().join("journal_1000000.db");
    for suffixe in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffixe}", fichier.display()));
    }
    let sqlite = rt
        .block_on(SqliteStore::connect(&format!(
            "sqlite://{}",
            fichier.display()
        )))
        .expect("sqlite");
    let t = Instant::now();
    rt.block_on(remplir_sqlite(&sqlite, &entrees, &sceaux));
    println!(
        "sqlite: {N} entries inserted in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    g.bench_function("verifier_sqlite_1M", |b| {
        b.iter(|| {
            let r = rt
                .block_on(async {
                    let s = sqlite.sceaux().await?;
                    verifier_journal(&sqlite, s, &cle_v, 10_000).await
                })
                .expect("verify");
            assert!(r.intact() && r.derniere == N);
        })
    });

    // PostgreSQL.
    let pg = if std::env::var("MAILLAGE_BENCH_PG").is_ok_and(|v| v == "0") {
        None
    } else {
        psql("DROP DATABASE IF EXISTS maillage_bench_journal");
        psql("CREATE DATABASE maillage_bench_journal");
        let serveur = std::env::var("MAILLAGE_BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let pg = rt
            .block_on(PgStore::connect(&format!(
                "{serveur}/maillage_bench_journal"
            )))
            .expect("postgres");
        let t = Instant::now();
        rt.block_on(remplir_pg(&pg, &entrees, &sceaux));
        println!(
            "postgres: {N} entries inserted in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        g.bench_function("verifier_postgres_1M", |b| {
            b.iter(|| {
                let r = rt
                    .block_on(async {
                        let s = pg.sceaux().await?;
                        verifier_journal(&pg, s, &cle_v, 10_000).await
                    })
                    .expect("verify");
                assert!(r.intact() && r.derniere == N);
            })
        });
        Some(pg)
    };
    g.finish();

    // Appends: one entry per transaction, after the million.
    let mut g = c.benchmark_group("journal_ajout");
    g.sample_size(10).throughput(Throughput::Elements(1));
    let entree = || NouvelleEntree {
        at_us: 1_800_000_000_000_000,
        action: Action::Consultation.code().into(),
        acteur: "aidant:1".into(),
        structure_id: Some(1),
        mandat_id: Some(1),
        usager: Some("p-bench".into()),
        demarches: String::new(),
        details: "{}".into(),
    };
    g.bench_function("sqlite", |b| {
        b.iter(|| rt.block_on(sqlite.append_entree(entree())).expect("append"))
    });
    if let Some(pg) = &pg {
        g.bench_function("postgres", |b| {
            b.iter(|| rt.block_on(pg.append_entree(entree())).expect("append"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
