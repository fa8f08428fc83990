//! Duplicate detection on the five real source files, measured against the labelled pairs.
//!
//! ```text
//! cargo run --release -p maillage_annuaire --example doublons_reel [DOSSIER_LIEUX] [PAIRES_CSV]
//! ```
//!
//! Defaults: `../shared/data/lieux` next to the repository (or `/work/shared/data/lieux`) and
//! `tests/data/paires_doublons.csv`. Prints timings, precision/recall (all pairs, and the two
//! halves by line parity: tune on one, check on the other), and every error with its
//! explanation.

use maillage_annuaire::doublons::{dedupliquer, evaluer, Corpus, OptionsDoublons};
use maillage_annuaire::import::{date_dans_nom, lire_demande, FormatDemande, OptionsImport};
use maillage_annuaire::lieux::LieuSource;
use maillage_territoire::Referentiel;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

const FICHIERS: [(&str, &str); 5] = [
    ("france-services", "france-services_2022-12-01.csv"),
    (
        "conseillers-numeriques",
        "conseillers-numeriques_lieux_2022-07.json",
    ),
    ("hinaura", "hinaura_2021.json"),
    ("hauts-de-france", "hauts-de-france_2022-11.geojson"),
    ("nouvelle-caledonie", "nouvelle-caledonie_2024-03.json"),
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dossier = args.get(1).map(PathBuf::from).unwrap_or_else(|| {
        let voisin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lieux");
        if voisin.exists() {
            voisin
        } else {
            PathBuf::from("/work/shared/data/lieux")
        }
    });
    let paires_csv = args.get(2).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/paires_doublons.csv")
    });

    let geo = Referentiel::embedded();
    let mut lieux: Vec<LieuSource> = Vec::new();
    let t = Instant::now();
    for (source, fichier) in FICHIERS {
        let octets = std::fs::read(dossier.join(fichier))?;
        let options = OptionsImport {
            date_maj_par_defaut: date_dans_nom(fichier),
        };
        let lecture = lire_demande(source, FormatDemande::Auto, &octets, &options, geo)?;
        println!("{source}: {} lieux", lecture.lieux.len());
        lieux.extend(lecture.lieux);
    }
    println!("import: {} lieux en {:?}", lieux.len(), t.elapsed());

    let options = options_env();
    let t = Instant::now();
    let r = dedupliquer(&lieux, &[], &options);
    let duree = t.elapsed();
    println!(
        "dedupliquer: {:?}; {} candidates, {} retenues, {} groupes, {} lieux publiés",
        duree,
        r.paires_candidates,
        r.paires_retenues,
        r.groupes.len(),
        r.fusionnes.len()
    );
    println!("{:#?}", r.stats);

    let mut lecteur = csv::Reader::from_path(&paires_csv)?;
    let mut paires = Vec::new();
    for ligne in lecteur.records() {
        let ligne = ligne?;
        paires.push((
            ligne.get(0).unwrap_or("").to_string(),
            ligne.get(1).unwrap_or("").to_string(),
            ligne.get(2) == Some("oui"),
            ligne.get(3).unwrap_or("").to_string(),
        ));
    }
    let toutes: Vec<(String, String, bool)> = paires
        .iter()
        .map(|p| (p.0.clone(), p.1.clone(), p.2))
        .collect();
    for (titre, filtre) in [
        ("toutes", None),
        ("paires impaires", Some(1)),
        ("paires paires", Some(0)),
    ] {
        let sous: Vec<(String, String, bool)> = toutes
            .iter()
            .enumerate()
            .filter(|(k, _)| filtre.is_none_or(|f| k % 2 == f))
            .map(|(_, p)| p.clone())
            .collect();
        let e = evaluer(&sous, &r, &lieux);
        println!(
            "{titre}: tp {} fp {} fn {} tn {} — précision {:.3}, rappel {:.3} ({} inconnues)",
            e.tp,
            e.fp,
            e.fn_,
            e.tn,
            e.precision,
            e.recall,
            e.inconnues.len()
        );
    }
    let e = evaluer(&toutes, &r, &lieux);
    for (a, b) in &e.inconnues {
        println!("inconnue: {a} / {b}");
    }
    let index: HashMap<String, usize> = lieux
        .iter()
        .enumerate()
        .map(|(k, l)| (l.reference(), k))
        .collect();
    let raisons: HashMap<(String, String), String> = paires
        .iter()
        .map(|p| ((p.0.clone(), p.1.clone()), p.3.clone()))
        .collect();
    let corpus = Corpus::preparer(&lieux, &options);
    // DOUBLONS_ERREURS=impaires shows only the errors of the tuning half.
    let seulement_impaires = std::env::var("DOUBLONS_ERREURS").is_ok_and(|v| v == "impaires");
    let rang: HashMap<(String, String), usize> = paires
        .iter()
        .enumerate()
        .map(|(k, p)| ((p.0.clone(), p.1.clone()), k))
        .collect();
    for err in &e.erreurs {
        let k = rang
            .get(&(err.ref_a.clone(), err.ref_b.clone()))
            .copied()
            .unwrap_or(0);
        if seulement_impaires && k % 2 == 0 {
            continue;
        }
        let (Some(&i), Some(&j)) = (index.get(&err.ref_a), index.get(&err.ref_b)) else {
            continue;
        };
        println!(
            "\n=== {} : attendu {}, prédit {} — {}",
            if err.attendu { "FN" } else { "FP" },
            err.attendu,
            err.predit,
            raisons
                .get(&(err.ref_a.clone(), err.ref_b.clone()))
                .map(String::as_str)
                .unwrap_or("")
        );
        println!(
            "  {} | {} | {} | {}",
            err.ref_a, lieux[i].lieu.nom, lieux[i].lieu.adresse, lieux[i].lieu.code_postal
        );
        println!(
            "  {} | {} | {} | {}",
            err.ref_b, lieux[j].lieu.nom, lieux[j].lieu.adresse, lieux[j].lieu.code_postal
        );
        if let Some(x) = corpus.expliquer(i, j) {
            println!("  score {:.2}", x.score);
            for c in x.criteres {
                println!(
                    "    {:>5.2} {:<10} {} — {}",
                    c.points, c.nom, c.valeur, c.raison
                );
            }
        }
    }
    Ok(())
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
