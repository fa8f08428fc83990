//! The full sweep of the MCLP benchmark: NewYork and Bronx for every p from
//! 50 to 100 (step 10), heuristic against the best known values of
//! AILS-MCLP, with the Lagrangian bound; and the exact solver on spopt's San
//! Francisco instance. Prints a Markdown table.
//!
//! `cargo bench -p maillage_territoire --bench mclp_balayage`

use std::path::PathBuf;
use std::time::{Duration, Instant};

use maillage_territoire::tournee::{
    lire_instance, resoudre, resoudre_exact, Options, Probleme, SolutionExacte,
};

const MEILLEURES: [(&str, f64, [f64; 6]); 2] = [
    (
        "NewYork",
        400.0,
        [
            1_153_640.0,
            1_288_174.0,
            1_396_333.0,
            1_481_434.0,
            1_539_992.0,
            1_574_256.0,
        ],
    ),
    (
        "Bronx",
        600.0,
        [
            1_205_051.0,
            1_290_635.0,
            1_348_232.0,
            1_376_061.0,
            1_384_376.0,
            1_385_099.0,
        ],
    ),
];

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let racine = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    println!("| instance | p | best known | greedy | heuristic | gap to best | Lagrangian bound | time |");
    println!("|---|---|---|---|---|---|---|---|");
    for (nom, rayon, meilleures) in MEILLEURES {
        let chemin = racine.join(format!("../../../shared/data/benchmarks/mclp/{nom}.txt"));
        let Ok(texte) = std::fs::read_to_string(&chemin) else {
            println!("| {nom} | fichier absent : {} |", chemin.display());
            continue;
        };
        let Ok(mut instance) = lire_instance(&texte) else {
            println!("| {nom} | fichier illisible |");
            continue;
        };
        instance.rayon_m = rayon;
        let Ok(probleme) = instance.probleme() else {
            continue;
        };
        for (p, meilleure) in (50..=100).step_by(10).zip(meilleures) {
            let debut = Instant::now();
            let solution = resoudre(
                &probleme,
                p,
                &Options {
                    iterations: 10_000,
                    duree_max: Some(Duration::from_secs(9)),
                    iterations_borne: 300,
                    ..Options::default()
                },
            );
            let duree = debut.elapsed();
            println!(
                "| {nom} | {p} | {meilleure:.0} | {:.0} ({:.2} %) | {:.0} | {:.3} % | {:.0} | {:.2} s |",
                solution.couvert_glouton,
                100.0 * (meilleure - solution.couvert_glouton) / meilleure,
                solution.couvert,
                100.0 * (meilleure - solution.couvert) / meilleure,
                solution.borne_sup.unwrap_or(f64::NAN),
                duree.as_secs_f64()
            );
        }
        // The exact solver (pure Rust branch and bound) within 60 s, on the
        // smallest p of the smaller instance.
        if nom == "NewYork" {
            let debut = Instant::now();
            let exacte = resoudre_exact(&probleme, 50, Some(Duration::from_secs(60)));
            let texte = match exacte {
                Ok(SolutionExacte {
                    couvert, optimal, ..
                }) => format!("{couvert:.0}, optimal prouvé : {optimal}"),
                Err(e) => e.to_string(),
            };
            println!(
                "| {nom} exact (microlp, 60 s) | 50 | {:.0} | | {texte} | | | {:.2} s |",
                meilleures[0],
                debut.elapsed().as_secs_f64()
            );
        }
    }
    // San Francisco (spopt), exact.
    let texte = include_str!("../tests/data/spopt_sf_mclp.csv");
    let mut poids = Vec::new();
    let mut couvertures = vec![Vec::new(); 16];
    for (d, ligne) in texte.lines().skip(1).enumerate() {
        let champs: Vec<&str> = ligne.split(',').collect();
        poids.push(champs.get(1).and_then(|t| t.parse().ok()).unwrap_or(0.0));
        for (j, t) in champs.iter().skip(2).enumerate() {
            if t.parse::<f64>().is_ok_and(|x| x <= 5_000.0) {
                couvertures[j].push(d);
            }
        }
    }
    let Ok(probleme) = Probleme::depuis_couvertures(poids, &couvertures) else {
        return;
    };
    println!();
    println!("| San Francisco (spopt), 5,000 m | p | exact | proved optimal | time |");
    println!("|---|---|---|---|---|");
    for p in 1..=8 {
        let debut = Instant::now();
        match resoudre_exact(&probleme, p, Some(Duration::from_secs(60))) {
            Ok(s) => println!(
                "| | {p} | {:.0} | {} | {:.3} s |",
                s.couvert,
                if s.optimal { "oui" } else { "non" },
                debut.elapsed().as_secs_f64()
            ),
            Err(e) => println!("| | {p} | {e} | | |"),
        }
    }
}
