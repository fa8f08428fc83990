//! Enquête de besoins (issue 19):
//!
//! - `synchro_5000`: one sync of 5,000 questionnaires through the module's use case
//!   (`Enquete::synchroniser`: checks and scores every answer, then one write transaction),
//!   on SQLite and PostgreSQL; each upload goes to a fresh campaign. Target: < 2 s.
//! - `agregats_1000000`: the results of a campaign of 1,000,000 answers over the communes
//!   of Haute-Garonne (`Enquete::resultats_publics`: counts per commune and household size
//!   by the database, then the weighted rates per commune and per EPCI), on PostgreSQL.
//!   Target: < 500 ms. The answers are inserted by one `INSERT … SELECT` from
//!   `generate_series` before the clock starts.
//!
//! ```text
//! cargo bench -p maillage_essais --bench enquete
//! MAILLAGE_BENCH_PG=0 cargo bench -p maillage_essais --bench enquete   # SQLite only
//! ```
//!
//! SQLite: a file under `target/bench-data/`; PostgreSQL: a scratch database
//! `maillage_bench_enquete` on `MAILLAGE_BENCH_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432`), recreated each run.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use maillage_domain::mediation::Role;
use maillage_domain::StructureId;
use maillage_enquete::{DemandeCampagne, LotSynchro, QuestionnaireSaisi};
use maillage_instance::Instance;
use tokio::runtime::Runtime;

const QUESTIONNAIRES: usize = 5_000;
const REPONSES_AGREGATS: i64 = 1_000_000;
const BASE: &str = "maillage_bench_enquete";

fn dossier() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
}

fn serveur() -> String {
    std::env::var("MAILLAGE_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn psql(base: &str, sql: &str) {
    let ok = Command::new("psql")
        .args([&format!("{}/{base}", serveur()), "-qtAc", sql])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "psql: {sql}");
}

/// A coordinator and its actor.
async fn coordinateur(instance: &Instance) -> maillage_comptes::Acteur {
    let st = instance
        .store()
        .create_structure("Intercommunalité", None, Some("31555"))
        .await
        .expect("structure");
    let id = instance
        .comptes()
        .creer_compte(
            "bench-enquete@exemple.fr",
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

async fn campagne(
    instance: &Instance,
    a: &maillage_comptes::Acteur,
    territoire: &str,
    menages: i64,
) -> i64 {
    instance
        .enquete()
        .creer_campagne(
            a,
            DemandeCampagne {
                intitule: "Enquête de besoins (banc d’essai)".into(),
                territoire: territoire.into(),
                debut: NaiveDate::from_ymd_opt(2027, 3, 1).expect("date"),
                fin: NaiveDate::from_ymd_opt(2027, 6, 30).expect("date"),
                consentement: "Vos réponses sont anonymes.".into(),
                menages,
                minimum_par_commune: 1,
            },
        )
        .await
        .expect("campaign")
}

/// 5,000 answered questionnaires over the communes of Toulouse Métropole.
fn lot(n: usize, questionnaire_id: i64, communes: &[String]) -> LotSynchro {
    let at = Utc
        .with_ymd_and_hms(2027, 3, 10, 10, 0, 0)
        .single()
        .expect("time");
    LotSynchro {
        visites: Vec::new(),
        questionnaires: (0..QUESTIONNAIRES)
            .map(|k| QuestionnaireSaisi {
                uuid: format!("{n:08x}-0000-4000-8000-{k:012}"),
                questionnaire_id,
                commune: communes[k % communes.len()].clone(),
                iris: None,
                reponses: serde_json::json!({
                    "foyer_18_59": 1 + (k % 3) as i64,
                    "foyer_75_plus": (k % 2) as i64,
                    "age": "45-59",
                    "equipement": ["smartphone"],
                    "internet_domicile": "oui_bonne",
                    "internet_3mois": k % 5 != 0,
                    "competences_information": ["chercher_info"],
                    "competences_communication": if k % 4 == 0 { vec!["aucune"] } else { vec!["courriel", "messagerie"] },
                    "competences_resolution": ["aucune"],
                    "competences_logiciels": ["aucune"],
                    "difficulte_demarches": "parfois_difficile",
                    "demarches_difficiles": ["social", "argent"],
                    "preference": "etre_montre",
                    "freins": ["peur"],
                    "souhaite_contact": k % 3 == 0,
                }),
                at,
            })
            .collect(),
    }
}

fn synchro(
    c: &mut Criterion,
    rt: &Runtime,
    nom: &str,
    instance: &Instance,
    a: &maillage_comptes::Acteur,
) {
    let mut g = c.benchmark_group(format!("enquete_{nom}"));
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(QUESTIONNAIRES as u64));
    let mut n = 0usize;
    g.bench_function("synchro_5000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let id = rt.block_on(campagne(instance, a, "epci:243100633", 10_000));
                let module = instance.enquete();
                let c = rt.block_on(module.campagne(id)).expect("campaign");
                let communes: Vec<String> = rt
                    .block_on(module.cibles(id))
                    .expect("targets")
                    .into_iter()
                    .map(|c| c.commune)
                    .collect();
                let l = lot(n, c.questionnaire_id, &communes);
                let t = Instant::now();
                let recu = rt.block_on(module.synchroniser(a, id, l)).expect("sync");
                total += t.elapsed();
                assert_eq!(recu.questionnaires.nouveaux.len(), QUESTIONNAIRES);
                assert!(recu.rejets.is_empty(), "{:?}", recu.rejets.first());
            }
            total
        })
    });
    g.finish();
}

fn agregats(c: &mut Criterion, rt: &Runtime, instance: &Instance, a: &maillage_comptes::Acteur) {
    let id = rt.block_on(campagne(instance, a, "dep:31", 20_000));
    let module = instance.enquete();
    let q = rt
        .block_on(module.campagne(id))
        .expect("campaign")
        .questionnaire_id;
    // 1,000,000 answers spread over the département's communes, inserted by the database.
    psql(
        BASE,
        &format!(
            "WITH communes AS (SELECT array_agg(commune ORDER BY commune) AS c FROM enquete_cibles WHERE campagne_id = {id})
             INSERT INTO enquete_reponses (uuid, campagne_id, questionnaire_id, commune, iris, reponses,
                 score_information, score_communication, score_resolution, score_logiciels,
                 internet_3mois, illectronisme, collecte_at, recu_at, personnes_foyer)
             SELECT 'bench-' || g, {id}, {q}, communes.c[1 + g % array_length(communes.c, 1)], NULL, '{{}}',
                 g % 3, g % 2, 0, 0, g % 5 <> 0, g % 5 = 0 OR g % 7 = 0,
                 now(), now(), CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + g % 4 END
             FROM generate_series(1, {REPONSES_AGREGATS}) g, communes"
        ),
    );
    psql(BASE, "ANALYZE enquete_reponses");
    let mut g = c.benchmark_group("enquete_postgres");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(REPONSES_AGREGATS as u64));
    g.bench_function("agregats_1000000", |b| {
        b.iter(|| {
            let r = rt.block_on(module.resultats_publics(id)).expect("results");
            assert_eq!(r.questionnaires, REPONSES_AGREGATS);
            assert!(r.epcis.len() > 10);
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    std::fs::create_dir_all(dossier()).expect("bench-data");
    let fichier = dossier().join("enquete.db");
    for suffixe in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffixe}", fichier.display()));
    }
    let sqlite = rt
        .block_on(maillage_cli::stockage::ouvrir(&format!(
            "sqlite://{}",
            fichier.display()
        )))
        .expect("sqlite");
    let a = rt.block_on(coordinateur(&sqlite));
    synchro(c, &rt, "sqlite", &sqlite, &a);
    if std::env::var("MAILLAGE_BENCH_PG").as_deref() != Ok("0") {
        psql("postgres", &format!("DROP DATABASE IF EXISTS {BASE}"));
        psql("postgres", &format!("CREATE DATABASE {BASE}"));
        let pg = rt
            .block_on(maillage_cli::stockage::ouvrir(&format!(
                "{}/{BASE}",
                serveur()
            )))
            .expect("postgres");
        let a = rt.block_on(coordinateur(&pg));
        synchro(c, &rt, "postgres", &pg, &a);
        agregats(c, &rt, &pg, &a);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
