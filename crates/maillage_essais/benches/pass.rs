//! Pass numérique: redemptions through the `Pass` module (`Pass::utiliser`, what the HTTP
//! API and the mediator's form call: the checks of the pass, the place and the territory,
//! then the group commit of `maillage_pass::lot`, the guarded path) by 100 concurrent
//! clients, each redeeming its own passes, on SQLite (a file) and PostgreSQL; redemptions
//! per second and latency percentiles. For comparison, a one-shot run of the same load
//! through the store one transaction per redemption (`PassStore::utiliser`, no group
//! commit). Then the time to chain what was left waiting and the verification of the pass
//! stream written by the runs.
//!
//! Then, on PostgreSQL only, a month of 1,000,000 redemptions by one place (generated
//! straight into the tables by `COPY`, with their ledger entries chained and hashed as the
//! store writes them): the month's statement (`Pass::releve` and its CSV, what
//! `maillage pass releve` runs) and the verification of the whole pass stream
//! (`verifier_flux_pass`, pages of 20,000 entries by binary `COPY`).
//!
//! ```text
//! cargo bench -p maillage_essais --bench pass
//! MAILLAGE_BENCH_PG=0 cargo bench -p maillage_essais --bench pass   # without PostgreSQL
//! MAILLAGE_BENCH_RELEVE=200000 cargo bench -p maillage_essais --bench pass   # another size
//! ```
//!
//! PostgreSQL: scratch databases `maillage_bench_pass` (recreated each run) and
//! `maillage_bench_pass_releve_<n>` (kept and reused once complete) on
//! `MAILLAGE_BENCH_PG_URL` (default `postgres://postgres@127.0.0.1:5432`). Targets: p99 <
//! 50 ms; the statement of 1,000,000 redemptions < 2 s; verification ≥ 500,000 entries/s.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Duree, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use maillage_domain::journal::Flux;
use maillage_domain::mandats::SigningKey;
use maillage_instance::Instance;
use maillage_pass::{Origine, Pass};
use maillage_store::pass::{
    entree_pass, GardePass, LieuQualifieRow, NewCarnet, NewDistribution, NewProgramme,
    NewUtilisation, Utilisation, ACTION_UTILISATION,
};
use maillage_store::Store;
use maillage_store_postgres::PgStore;
use maillage_store_sqlite::SqliteStore;
use sqlx::postgres::PgPoolCopyExt;
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

/// `n` valid pass codes (check character included), drawn from a fixed seed: the same for
/// a given `lot`, distinct between lots.
fn codes(n: usize, lot: usize) -> Vec<String> {
    let mut etat = 0x9e37_79b9_7f4a_7c15u64 ^ (lot as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (0..n)
        .map(|_| {
            maillage_pass::code::nouveau_code(|o: &mut [u8]| {
                for b in o.iter_mut() {
                    // splitmix64
                    etat = etat.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    let mut z = etat;
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    *b = (z ^ (z >> 31)) as u8;
                }
                Ok::<(), ()>(())
            })
            .expect("code")
        })
        .collect()
}

/// A programme, a qualified place, and `n` distributed passes: `(place, pass ids, codes)`.
async fn preparer(s: &Arc<dyn Store>, n: usize, lot: usize) -> (i64, Vec<i64>, Vec<String>) {
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
    let tous = codes(n, lot);
    let mut ids = Vec::with_capacity(n);
    for morceau in tous.chunks(1000) {
        let (_, lot_ids) = s
            .emettre_carnet(&NewCarnet {
                programme_id: programme,
                codes: morceau.to_vec(),
                acteur: "bench".into(),
                created_at: t,
            })
            .await
            .expect("carnet");
        for code in morceau {
            s.distribuer(&NewDistribution {
                code: code.clone(),
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
    (lieu, ids, tous)
}

/// Splits `items` between the `CLIENTS` (each its share, in turn).
fn parts<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    (0..CLIENTS)
        .map(|c| items.iter().skip(c).step_by(CLIENTS).cloned().collect())
        .collect()
}

/// `CLIENTS` tasks redeem `codes` through the `Pass` module (the group commit); returns
/// every latency.
async fn utiliser_tous(pass: &Pass, lieu: i64, codes: &[String]) -> Vec<Duration> {
    let taches: Vec<_> = parts(codes)
        .into_iter()
        .map(|part| {
            let pass = pass.clone();
            tokio::spawn(async move {
                let origine = Origine::Compte {
                    compte_id: 1,
                    structure_id: lieu,
                };
                let mut durees = Vec::with_capacity(part.len());
                for code in part {
                    let t = Instant::now();
                    let r = pass
                        .utiliser(&origine, &code, &format!("n-{code}"), None)
                        .await
                        .expect("redeem");
                    assert!(r.nouvelle, "{r:?}");
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

/// The same load through the store, one transaction per redemption (no group commit).
async fn utiliser_tous_sans_lot(s: &Arc<dyn Store>, lieu: i64, ids: &[i64]) -> Vec<Duration> {
    let taches: Vec<_> = parts(ids)
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
                        forcee: None,
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

fn afficher(nom: &str, chemin: &str, n: usize, total: Duration, durees: &mut [Duration]) {
    let p50 = centile(durees, 0.50);
    let p99 = centile(durees, 0.99);
    println!(
        "pass {nom} ({chemin}): {n} redemptions by {CLIENTS} concurrent clients in {:.2} s: {:.0} redemptions/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        durees.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
}

fn mesurer(c: &mut Criterion, rt: &Runtime, nom: &str, s: Arc<dyn Store>) {
    let lot = CLIENTS * PAR_CLIENT;
    let instance = Instance::new(Arc::clone(&s));
    let pass = instance.pass().clone();
    // One-shot runs outside criterion for the percentiles: the group commit (the module),
    // then one transaction per redemption (the store), on fresh passes each.
    let (lieu, _, codes) = rt.block_on(preparer(&s, lot, 0));
    let t = Instant::now();
    let mut durees = rt.block_on(utiliser_tous(&pass, lieu, &codes));
    afficher(
        nom,
        "Pass::utiliser, group commit",
        lot,
        t.elapsed(),
        &mut durees,
    );
    let (lieu, ids, _) = rt.block_on(preparer(&s, lot, 1));
    let t = Instant::now();
    let mut durees = rt.block_on(utiliser_tous_sans_lot(&s, lieu, &ids));
    afficher(
        nom,
        "PassStore::utiliser, one transaction each",
        lot,
        t.elapsed(),
        &mut durees,
    );
    let mut g = c.benchmark_group("pass");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(lot as u64));
    let mut n = 2;
    g.bench_function(format!("utiliser_{nom}_{CLIENTS}_clients"), |b| {
        b.iter_custom(|iterations| {
            let mut temps = Duration::ZERO;
            for _ in 0..iterations {
                let (lieu, _, codes) = rt.block_on(preparer(&s, lot, n));
                n += 1;
                let t = Instant::now();
                rt.block_on(utiliser_tous(&pass, lieu, &codes));
                temps += t.elapsed();
            }
            temps
        })
    });
    g.finish();
    let attente = rt.block_on(s.registre_en_attente()).expect("queue");
    let t = Instant::now();
    let chainees = rt.block_on(s.chainer_registre()).expect("chain");
    println!(
        "pass {nom}: {attente} ledger entries left waiting after the runs, chained in {:.1} ms ({chainees})",
        t.elapsed().as_secs_f64() * 1e3
    );
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
    // synchronous = FULL unless MAILLAGE_SQLITE_SYNCHRONOUS=normal, as `maillage serve`
    // (docs/PERFORMANCE.md « Durabilité SQLite »).
    let durabilite = maillage_cli::stockage::durabilite_sqlite();
    println!("sqlite: {durabilite:?}");
    let sqlite = rt
        .block_on(SqliteStore::connect_avec(
            &format!("sqlite://{}", fichier.display()),
            durabilite,
        ))
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
    releve_pg(c, &rt, &serveur);
}

/// Size of the statement's month (`MAILLAGE_BENCH_RELEVE`, default 1,000,000).
fn taille_releve() -> usize {
    std::env::var("MAILLAGE_BENCH_RELEVE")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

/// Streams `lignes` (COPY text format) into `table (colonnes)`.
async fn copier(pool: &sqlx::PgPool, table: &str, colonnes: &str, lignes: &str) {
    let mut copie = pool
        .copy_in_raw(&format!("COPY {table} ({colonnes}) FROM STDIN"))
        .await
        .expect("COPY");
    for morceau in lignes.as_bytes().chunks(1 << 20) {
        copie.send(morceau).await.expect("COPY data");
    }
    copie.finish().await.expect("COPY end");
}

/// A place, a programme and `n` redemptions in November 2026 (one every 2 s), each with
/// its pass and its ledger entry chained after the programme's. Returns the place.
async fn generer_mois(instance: &Instance, pg: &PgStore, n: usize) -> i64 {
    let s = instance.store();
    let t = Utc
        .with_ymd_and_hms(2026, 10, 20, 9, 0, 0)
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
            nom: "Banc du relevé".into(),
            budget_centimes: 100_000_000_000,
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
    let (carnet, _) = s
        .emettre_carnet(&NewCarnet {
            programme_id: programme,
            codes: vec!["RELEVE000000".into()],
            acteur: "bench".into(),
            created_at: t,
        })
        .await
        .expect("carnet");
    let pool = pg.pool();
    let max = |table: &'static str| async move {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("max id")
    };
    let (pass0, util0) = (max("pass").await, max("pass_utilisations").await);
    let mut chaine = s.pass_journal_head().await.expect("head");
    let debut = Utc
        .with_ymd_and_hms(2026, 10, 31, 23, 0, 0)
        .single()
        .expect("1 Nov 2026 in Paris");
    let (mut passes, mut utilisations, mut journal) = (String::new(), String::new(), String::new());
    let mut tampon = Vec::with_capacity(256);
    for i in 0..n as i64 {
        let (pass_id, util_id) = (pass0 + 1 + i, util0 + 1 + i);
        let code = format!("R{:011}", i);
        let at = debut + Duree::seconds(1 + 2 * i);
        let at_txt = at.to_rfc3339();
        passes.push_str(&format!(
            "{pass_id}\t{carnet}\t{programme}\t{code}\t1000\tutilise\t{at_txt}\n"
        ));
        let nonce = format!("n-{i}");
        let e = chaine.ajouter_flux(
            Flux::Pass,
            entree_pass(
                at,
                ACTION_UTILISATION,
                "bench",
                Some(lieu),
                Some(pass_id),
                programme,
                serde_json::json!({
                    "code": code, "lieu": lieu, "valeur_centimes": 1000,
                    "nonce": nonce, "activite": null,
                }),
            ),
            &mut tampon,
        );
        utilisations.push_str(&format!(
            "{util_id}\t{pass_id}\t{lieu}\t{nonce}\t1000\t{at_txt}\t{}\t{code}\n",
            e.seq
        ));
        let c = &e.contenu;
        journal.push_str(&format!(
            "{}\t{}\t{}\t{}\t{lieu}\t{pass_id}\t\\N\t{}\t{}\t\\\\x{}\t\\\\x{}\n",
            e.seq,
            c.at_us,
            c.action,
            c.acteur,
            c.demarches,
            c.details.replace('\\', "\\\\"),
            hex::encode(e.prev_hash),
            hex::encode(e.hash)
        ));
    }
    copier(
        pool,
        "pass",
        "id, carnet_id, programme_id, code, valeur_centimes, etat, updated_at",
        &passes,
    )
    .await;
    copier(
        pool,
        "pass_utilisations",
        "id, pass_id, structure_id, nonce, valeur_centimes, utilise_at, journal_seq, code",
        &utilisations,
    )
    .await;
    copier(
        pool,
        "pass_journal",
        "seq, at_us, action, acteur, structure_id, objet_id, usager, demarches, details, prev_hash, hash",
        &journal,
    )
    .await;
    for sql in [
        "SELECT setval(pg_get_serial_sequence('pass', 'id'), (SELECT MAX(id) FROM pass))",
        "SELECT setval(pg_get_serial_sequence('pass_utilisations', 'id'), (SELECT MAX(id) FROM pass_utilisations))",
        "ANALYZE",
    ] {
        sqlx::query(sql).execute(pool).await.expect(sql);
    }
    lieu
}

/// The month's statement of 1,000,000 redemptions and the verification of the whole pass
/// stream, on PostgreSQL.
fn releve_pg(c: &mut Criterion, rt: &Runtime, serveur: &str) {
    let n = taille_releve();
    let base = format!("maillage_bench_pass_releve_{n}");
    let url = format!("{serveur}/{base}");
    // Reused when complete: its month has `n` redemptions.
    let pret = rt.block_on(async {
        let Ok(pg) = PgStore::connect(&url).await else {
            return false;
        };
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pass_utilisations")
            .fetch_one(pg.pool())
            .await
            .is_ok_and(|k| k == n as i64)
    });
    if !pret {
        psql(&format!("DROP DATABASE IF EXISTS {base}"));
        psql(&format!("CREATE DATABASE {base}"));
    }
    let pg = rt.block_on(PgStore::connect(&url)).expect("postgres");
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let instance = Instance::new(store.clone());
    let lieu = if pret {
        rt.block_on(
            sqlx::query_scalar::<_, i64>("SELECT structure_id FROM pass_utilisations LIMIT 1")
                .fetch_one(pg.pool()),
        )
        .expect("place")
    } else {
        let t = Instant::now();
        let lieu = rt.block_on(generer_mois(&instance, &pg, n));
        println!(
            "pass releve: {n} redemptions and their ledger entries generated in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        lieu
    };
    let op = instance.comptes().exploitant();
    let t = Instant::now();
    let r = rt
        .block_on(instance.pass().releve(&op, lieu, 2026, 11))
        .expect("statement");
    let csv = r.csv();
    println!(
        "pass releve postgres: statement of {} redemptions ({} €, CSV {} bytes) in {:.2} s",
        r.lignes.len(),
        r.total_centimes / 100,
        csv.len(),
        t.elapsed().as_secs_f64()
    );
    assert_eq!(r.lignes.len(), n);
    let mut g = c.benchmark_group("pass");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("releve_postgres_{n}"), |b| {
        b.iter(|| {
            let r = rt
                .block_on(instance.pass().releve(&op, lieu, 2026, 11))
                .expect("statement");
            r.csv().len()
        })
    });
    let cle = SigningKey::from_bytes(&[5; 32]).verifying_key();
    g.bench_function(format!("verification_registre_postgres_{n}"), |b| {
        b.iter(|| {
            let r = rt
                .block_on(maillage_pass::verifier_flux_pass(
                    store.as_ref(),
                    &cle,
                    20_000,
                ))
                .expect("verification");
            assert!(r.intact(), "{:?}", r.rupture);
            r.entrees
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
