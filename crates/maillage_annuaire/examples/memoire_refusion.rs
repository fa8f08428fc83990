//! Peak memory of the first pass of the streamed re-merge (`doublons::Preparation`, then
//! `detecter`) on the places of `genere_gros_fichier` (same seeds, same ids), without the
//! store, JSON or import around it, to see what the duplicate detection holds
//! (docs/PERFORMANCE.md, issue 14, item 11):
//!
//! ```text
//! cargo build --release -p maillage_annuaire --example memoire_refusion
//! /usr/bin/time -v target/release/examples/memoire_refusion 1890796
//! heaptrack target/release/examples/memoire_refusion 1890796    # system allocator: heaptrack sees it
//! ```
//!
//! Argument: number of places (default 1,890,796, those of the 1 GB file). The places are
//! generated 50,000 at a time and dropped once fingerprinted, as the re-merge drops each
//! page of records. Prints the VmRSS after each step and the counts of the detection.

use maillage_annuaire::doublons::{OptionsDoublons, Preparation};
use maillage_annuaire::lieux::LieuSource;
use maillage_annuaire::synthetique::generer;
use std::time::Instant;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_890_796);
    let options = OptionsDoublons::default();
    let t = Instant::now();
    let mut preparation = Preparation::avec_capacite(&options, n);
    let mut numero = 0usize;
    let mut morceau = 0u64;
    while numero < n {
        let lieux = generer(50_000, 0.05, 1_000 + morceau);
        morceau += 1;
        for ls in lieux {
            if numero >= n {
                break;
            }
            let mut lieu = ls.lieu;
            lieu.id = format!("g{numero}");
            numero += 1;
            preparation.ajouter(&LieuSource {
                source: "synth".to_string(),
                lieu,
            });
        }
    }
    eprintln!(
        "first pass: {} records in {:.1} s, VmRSS {} KiB",
        preparation.len(),
        t.elapsed().as_secs_f64(),
        rss_kib()
    );
    let t = Instant::now();
    let detection = preparation.detecter(&[]);
    eprintln!(
        "detection: {:.1} s, {} groups, {} candidate pairs, {} kept, VmRSS {} KiB",
        t.elapsed().as_secs_f64(),
        detection.groupes().len(),
        detection.paires_candidates,
        detection.paires_retenues,
        rss_kib()
    );
    eprintln!("{:?}", detection.stats.blocage);
}
