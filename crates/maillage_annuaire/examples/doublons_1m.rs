//! Duplicate detection on synthetic places, for timing and peak memory:
//!
//! ```text
//! cargo build --release -p maillage_annuaire --example doublons_1m
//! /usr/bin/time -v target/release/examples/doublons_1m 1000000   # "Maximum resident set size"
//! ```
//!
//! Prints the generation and detection times, the counts, and precision/recall against the
//! generator's truth (duplicates and same-building traps).

use maillage_annuaire::doublons::{dedupliquer, dedupliquer_possede, evaluer, OptionsDoublons};
use maillage_annuaire::synthetique::generer_avec;
use maillage_territoire::Referentiel;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    let synthese = generer_avec(Referentiel::embedded().communes(), n, 0.05, 42);
    println!(
        "génération : {} lieux en {:?}",
        synthese.lieux.len(),
        t.elapsed()
    );
    println!("mémoire après génération : {}", rss());

    // `possede` (default): the places are moved into the result, one copy in memory;
    // `emprunte`: `dedupliquer(&lieux)`, the result holds copies.
    let emprunte = std::env::args().nth(2).is_some_and(|a| a == "emprunte");
    let verite = (synthese.doublons, synthese.voisins);
    let t = Instant::now();
    let (r, lieux) = if emprunte {
        let r = dedupliquer(&synthese.lieux, &[], &options_env());
        (r, synthese.lieux)
    } else {
        (
            dedupliquer_possede(synthese.lieux, &[], &options_env()),
            Vec::new(),
        )
    };
    let duree = t.elapsed();
    println!(
        "dedupliquer : {:?} — {} paires candidates, {} retenues, {} groupes, {} lieux publiés",
        duree,
        r.paires_candidates,
        r.paires_retenues,
        r.groupes.len(),
        r.fusionnes.len()
    );
    println!("{:#?}", r.stats);
    println!("mémoire après dédoublonnage : {}", rss());

    let mut paires: Vec<(String, String, bool)> = verite
        .0
        .iter()
        .map(|(a, b)| (a.clone(), b.clone(), true))
        .collect();
    paires.extend(verite.1.iter().map(|(a, b)| (a.clone(), b.clone(), false)));
    // Every input ref is a member of a published place: `evaluer` needs no more.
    let e = evaluer(&paires, &r, &lieux);
    println!(
        "vérité du générateur : tp {} fp {} fn {} tn {} — précision {:.4}, rappel {:.4}",
        e.tp, e.fp, e.fn_, e.tn, e.precision, e.recall
    );
}

/// Default options, with `DOUBLONS_VOISINS`, `DOUBLONS_FENETRE`, `DOUBLONS_SEUIL` overrides.
fn options_env() -> OptionsDoublons {
    let mut o = OptionsDoublons::default();
    let lire = |nom: &str| std::env::var(nom).ok().and_then(|v| v.parse::<f64>().ok());
    if let Some(v) = lire("DOUBLONS_VOISINS") {
        o.voisins_max = v as usize;
    }
    if let Some(v) = lire("DOUBLONS_FENETRE") {
        o.fenetre = v as usize;
    }
    if let Some(v) = lire("DOUBLONS_SEUIL") {
        o.seuil = v;
    }
    o
}

/// Resident and peak memory of this process (Linux), for the record.
fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}
