//! Import + duplicate detection of N synthetic places (default 1,000,000), for time and peak
//! memory:
//!
//! ```text
//! cargo build --release -p maillage_annuaire --example import_dedup_1m
//! /usr/bin/time -v target/release/examples/import_dedup_1m 1000000   # "Maximum resident set size"
//! ```
//!
//! The synthetic places (real communes, ~5 % duplicates, several sources) are first written
//! as national-standard CSV files, one per source, and dropped; then the timed part reads the
//! files with the `v1-csv` importer (every field parsed and checked, INSEE codes checked
//! against the referential) and runs the duplicate detection and merge. `SUIVI_MEMOIRE=1`
//! prints the resident memory every 50 ms on stderr. Uses mimalloc, like the `maillage`
//! binary.

use maillage_annuaire::doublons::{dedupliquer_possede, OptionsDoublons};
use maillage_annuaire::export::csv_standard;
use maillage_annuaire::import::{lire, Format, OptionsImport};
use maillage_annuaire::synthetique::generer;
use maillage_territoire::Referentiel;
use std::collections::BTreeMap;
use std::time::Instant;

/// As in the `maillage` binary.
#[global_allocator]
static ALLOCATEUR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let referentiel = Referentiel::embedded();
    let t = Instant::now();
    let fichiers: Vec<(String, Vec<u8>)> = {
        let mut par_source: BTreeMap<String, Vec<maillage_domain::Lieu>> = BTreeMap::new();
        for l in generer(n, 0.05, 42) {
            par_source.entry(l.source).or_default().push(l.lieu);
        }
        par_source
            .into_iter()
            .map(|(s, lieux)| {
                let csv = csv_standard(lieux.iter()).expect("csv");
                (s, csv)
            })
            .collect()
    };
    let octets: usize = fichiers.iter().map(|(_, b)| b.len()).sum();
    println!(
        "préparation : {n} lieux en {} fichiers CSV ({:.0} Mo) en {:.1} s",
        fichiers.len(),
        octets as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // The peak of the preparation is not ours: start counting again (Linux).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    if std::env::var_os("SUIVI_MEMOIRE").is_some() {
        std::thread::spawn(move || loop {
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                })
                .unwrap_or(0);
            eprintln!("{:.1} s {} Mo", t.elapsed().as_secs_f64(), rss / 1024);
            std::thread::sleep(std::time::Duration::from_millis(50));
        });
    }
    let mut lieux = Vec::with_capacity(n);
    let mut rejetes = 0;
    for (source, bytes) in &fichiers {
        let lecture = lire(
            source,
            Format::V1Csv,
            bytes,
            &OptionsImport::default(),
            referentiel,
        )
        .expect("readable");
        rejetes += lecture.rapport.rejetes;
        lieux.extend(lecture.lieux);
    }
    let t_import = t.elapsed();
    let pic_import = pic_memoire();
    drop(fichiers);
    let lus = lieux.len();
    let t2 = Instant::now();
    let r = dedupliquer_possede(lieux, &[], &OptionsDoublons::default());
    let t_doublons = t2.elapsed();
    println!(
        "import : {lus} lieux acceptés, {rejetes} rejetés en {:.1} s ; doublons : {} paires candidates, {} groupes, {} lieux publiés en {:.1} s ; total {:.1} s",
        t_import.as_secs_f64(),
        r.paires_candidates,
        r.groupes.len(),
        r.fusionnes.len(),
        t_doublons.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    println!(
        "pic mémoire : {} Mo à la fin de l'import, {} Mo en tout",
        pic_import / 1024,
        pic_memoire() / 1024
    );
    let s = &r.stats;
    println!(
        "doublons, par étape (ms) : préparation {}, candidats {}, scores {}, groupes {}, fusion {}",
        s.duree_preparation_ms,
        s.duree_candidats_ms,
        s.duree_scores_ms,
        s.duree_groupes_ms,
        s.duree_fusion_ms
    );
}

/// Peak resident memory so far, in KiB (Linux; 0 elsewhere).
fn pic_memoire() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
