//! Duplicate detection on synthetic places (see `maillage_annuaire::synthetique`).
//!
//! ```text
//! cargo bench -p maillage_annuaire --bench doublons
//! ```
//!
//! Criterion measures 10,000 and 100,000 places (10 samples each). A million places take
//! about 15 s per run, too long for Criterion's sampling: after the Criterion groups, one
//! run of `dedupliquer_possede` on 1,000,000 places is timed and printed (skipped with
//! `DOUBLONS_BENCH_1M=0`). Peak memory: `examples/doublons_1m.rs` under `/usr/bin/time -v`.

use criterion::{criterion_group, Criterion};
use maillage_annuaire::doublons::{dedupliquer, dedupliquer_possede, OptionsDoublons};
use maillage_annuaire::synthetique::generer;
use std::hint::black_box;
use std::time::Instant;

fn dedoublonnage(c: &mut Criterion) {
    let mut groupe = c.benchmark_group("doublons");
    groupe.sample_size(10);
    for n in [10_000, 100_000] {
        let lieux = generer(n, 0.05, 42);
        groupe.bench_function(format!("dedupliquer_{n}"), |b| {
            b.iter(|| dedupliquer(black_box(&lieux), &[], &OptionsDoublons::default()))
        });
    }
    groupe.finish();
}

criterion_group!(benches, dedoublonnage);

/// One timed run on a million places, printed.
fn un_million() {
    if std::env::var("DOUBLONS_BENCH_1M").is_ok_and(|v| v == "0") {
        return;
    }
    let t = Instant::now();
    let lieux = generer(1_000_000, 0.05, 42);
    println!("doublons/1M: génération {:?}", t.elapsed());
    let t = Instant::now();
    let r = dedupliquer_possede(lieux, &[], &OptionsDoublons::default());
    println!(
        "doublons/1M: dedupliquer_possede {:?} ({} paires candidates, {} groupes, {} lieux publiés)",
        t.elapsed(),
        r.paires_candidates,
        r.groupes.len(),
        r.fusionnes.len()
    );
    println!("{:#?}", r.stats);
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: no million then.
    if std::env::args().any(|a| a == "--bench") {
        un_million();
    }
}
