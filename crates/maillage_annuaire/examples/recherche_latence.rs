//! Latency of the in-memory search engine, query by query, with percentiles:
//!
//! ```text
//! cargo run --release -p maillage_annuaire --example recherche_latence -- reel
//! cargo run --release -p maillage_annuaire --example recherche_latence -- 1000000
//! ```
//!
//! `reel` builds the directory from the five shared files (`../shared/data/lieux`, or the
//! folder in `MAILLAGE_LIEUX`) through import and duplicate merging; a number builds that many
//! synthetic places (`synthetique::generer`, with opening hours drawn from the most frequent
//! real ones). Then, for each scenario, 10,000 queries (a second argument changes the count)
//! centred on random commune centroids, timed one by one: p50, p90, p99, max and mean, in
//! microseconds, on one thread.

use chrono::{NaiveDate, NaiveDateTime};
use maillage_annuaire::doublons::{self, LieuFusionne, OptionsDoublons};
use maillage_annuaire::import::{self, OptionsImport};
use maillage_annuaire::recherche::{Filtres, Moteur, Ouverture, Requete, Tri};
use maillage_annuaire::synthetique::{generer, Alea};
use maillage_domain::{Frais, Horaires, Service, Vocabulary};
use maillage_geo::Point;
use maillage_territoire::Referentiel;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

const SOURCES: [(&str, &str); 5] = [
    ("france-services", "france-services_2022-12-01.csv"),
    (
        "conseillers-numeriques",
        "conseillers-numeriques_lieux_2022-07.json",
    ),
    ("hinaura", "hinaura_2021.json"),
    ("hauts-de-france", "hauts-de-france_2022-11.geojson"),
    ("nouvelle-caledonie", "nouvelle-caledonie_2024-03.json"),
];

/// The real directory: the five shared files, imported and merged.
fn annuaire_reel() -> Result<Vec<LieuFusionne>, String> {
    let dossier = std::env::var("MAILLAGE_LIEUX")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lieux")
        });
    let mut lieux = Vec::new();
    for (source, fichier) in SOURCES {
        let chemin = dossier.join(fichier);
        let octets = std::fs::read(&chemin).map_err(|e| format!("{}: {e}", chemin.display()))?;
        let format = import::detecter(&octets).map_err(|e| format!("{fichier}: {e}"))?;
        let options = OptionsImport {
            date_maj_par_defaut: import::date_dans_nom(fichier),
        };
        let lecture = import::lire(source, format, &octets, &options, Referentiel::embedded())
            .map_err(|e| format!("{fichier}: {e}"))?;
        lieux.extend(lecture.lieux);
    }
    Ok(doublons::dedupliquer(&lieux, &[], &OptionsDoublons::default()).fusionnes)
}

/// The most frequent opening hours of the real directory, and none.
const HORAIRES: [Option<&str>; 12] = [
    None,
    None,
    Some("Mo-Fr 09:00-12:00,14:00-17:00"),
    Some("Mo-Fr 08:30-12:00,13:30-17:00"),
    Some("Mo-Fr 09:00-12:30,13:30-17:00"),
    Some("Mo-Fr 09:00-12:00,14:00-18:00; PH off"),
    Some("Sa 09:00-12:00"),
    Some("Tu-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"),
    Some("Mo-Th 08:30-12:30,13:30-17:30; Fr 08:30-12:30,13:30-16:30"),
    Some("Tu 09:00-12:00"),
    Some("Mo-Fr 09:00-17:00; We off; PH off"),
    Some("Tu-Sa 10:00-19:00; PH off"),
];

/// `n` synthetic places, as published places.
fn annuaire_synthetique(n: usize) -> Vec<LieuFusionne> {
    let mut alea = Alea::new(7);
    generer(n, 0.0, 42)
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let reference = s.reference();
            let mut lieu = s.lieu;
            lieu.horaires =
                HORAIRES[alea.entier(HORAIRES.len() as u64) as usize].and_then(Horaires::new);
            let id = format!("lieu-{i:016x}");
            lieu.id = id.clone();
            LieuFusionne {
                id,
                lieu,
                membres: vec![reference],
                provenance: BTreeMap::new(),
            }
        })
        .collect()
}

const MOTS: [&str; 8] = [
    "mediatheque",
    "france services",
    "mairie",
    "numerique",
    "centre social",
    "espace",
    "association",
    "maison",
];

fn moment(alea: &mut Alea) -> NaiveDateTime {
    // A weekday or Saturday of March 2025, 08:00 to 19:59.
    let jour = NaiveDate::from_ymd_opt(2025, 3, 3 + alea.entier(6) as u32).unwrap_or_default();
    jour.and_hms_opt(8 + alea.entier(12) as u32, alea.entier(60) as u32, 0)
        .unwrap_or_default()
}

fn main() {
    let quoi = std::env::args().nth(1).unwrap_or_else(|| "reel".into());
    let nombre: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let lieux = if quoi == "reel" {
        match annuaire_reel() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("annuaire réel illisible : {e}");
                std::process::exit(1);
            }
        }
    } else {
        annuaire_synthetique(quoi.parse().unwrap_or(1_000_000))
    };
    println!("{} lieux préparés en {:?}", lieux.len(), t.elapsed());
    let t = Instant::now();
    let moteur = Moteur::nouveau(lieux);
    println!("moteur construit en {:?}", t.elapsed());
    println!("{:?}", moteur.statistiques());

    let referentiel = Referentiel::embedded();
    let centres: Vec<(Point, &str)> = referentiel
        .communes()
        .iter()
        .filter_map(|c| c.centre.map(|p| (p, c.code_departement.as_str())))
        .collect();
    let mut alea = Alea::new(2025);

    type Fabrique<'a> = Box<dyn Fn(&mut Alea) -> Requete + 'a>;
    let centre = |alea: &mut Alea| centres[alea.entier(centres.len() as u64) as usize];
    let service = |alea: &mut Alea| Service::ALL[alea.entier(Service::ALL.len() as u64) as usize];
    let scenarios: Vec<(&str, Fabrique)> = vec![
        (
            "k=20, sans filtre",
            Box::new(|a| Requete::autour(centre(a).0)),
        ),
        (
            "k=20, un service",
            Box::new(|a| Requete {
                filtres: Filtres {
                    services: vec![service(a)],
                    ..Filtres::default()
                },
                ..Requete::autour(centre(a).0)
            }),
        ),
        (
            "k=20, ouvert maintenant",
            Box::new(|a| Requete {
                filtres: Filtres {
                    ouvert: Some(Ouverture::A(moment(a))),
                    ..Filtres::default()
                },
                ..Requete::autour(centre(a).0)
            }),
        ),
        (
            "k=20, texte",
            Box::new(|a| Requete {
                texte: Some(MOTS[a.entier(MOTS.len() as u64) as usize].into()),
                ..Requete::autour(centre(a).0)
            }),
        ),
        (
            "k=20, service + gratuit + ouvert maintenant",
            Box::new(|a| Requete {
                filtres: Filtres {
                    services: vec![service(a), service(a)],
                    frais_a_charge: vec![Frais::Gratuit],
                    ouvert: Some(Ouverture::A(moment(a))),
                    ..Filtres::default()
                },
                ..Requete::autour(centre(a).0)
            }),
        ),
        (
            "rayon 10 km, un service",
            Box::new(|a| Requete {
                rayon_km: Some(10.0),
                filtres: Filtres {
                    services: vec![service(a)],
                    ..Filtres::default()
                },
                ..Requete::autour(centre(a).0)
            }),
        ),
        (
            "département + service, par nom",
            Box::new(|a| {
                let (_, dep) = centre(a);
                Requete {
                    tri: Tri::Nom,
                    filtres: Filtres {
                        services: vec![service(a)],
                        territoire: referentiel.territoire(&format!("dep:{dep}")).ok(),
                        ..Filtres::default()
                    },
                    ..Requete::default()
                }
            }),
        ),
    ];
    println!(
        "{:<45} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "scénario (µs)", "p50", "p90", "p99", "max", "moyenne", "total moy."
    );
    for (nom, fabrique) in &scenarios {
        let requetes: Vec<Requete> = (0..nombre).map(|_| fabrique(&mut alea)).collect();
        // Warm-up.
        for r in requetes.iter().take(200) {
            let _ = moteur.rechercher(r);
        }
        let mut durees = Vec::with_capacity(nombre);
        let mut totaux = 0usize;
        for r in &requetes {
            let t = Instant::now();
            let rep = moteur.rechercher(r);
            durees.push(t.elapsed().as_secs_f64() * 1e6);
            totaux += rep.map(|r| r.total).unwrap_or(0);
        }
        durees.sort_by(f64::total_cmp);
        let q = |p: f64| durees[((durees.len() as f64 - 1.0) * p).round() as usize];
        let moyenne = durees.iter().sum::<f64>() / durees.len() as f64;
        println!(
            "{:<45} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10}",
            nom,
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0),
            moyenne,
            totaux / nombre.max(1)
        );
    }

    // The map: the visible area around a commune, at two zoom levels, at most 500 markers.
    for (nom, demi_lat, demi_lon) in [
        ("carte ~ 20 km × 20 km, 500 max", 0.09, 0.125),
        ("carte ~ 110 km × 110 km, 500 max", 0.5, 0.7),
    ] {
        let mut durees = Vec::with_capacity(nombre);
        let mut totaux = 0usize;
        for _ in 0..nombre {
            let (c, _) = centre(&mut alea);
            let t = Instant::now();
            let r = moteur.dans_rectangle(
                c.lat - demi_lat,
                c.lon - demi_lon,
                c.lat + demi_lat,
                c.lon + demi_lon,
                &Filtres::default(),
                500,
            );
            durees.push(t.elapsed().as_secs_f64() * 1e6);
            totaux += r.map(|v| v.len()).unwrap_or(0);
        }
        durees.sort_by(f64::total_cmp);
        let q = |p: f64| durees[((durees.len() as f64 - 1.0) * p).round() as usize];
        let moyenne = durees.iter().sum::<f64>() / durees.len() as f64;
        println!(
            "{:<45} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10}",
            nom,
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0),
            moyenne,
            totaux / nombre.max(1)
        );
    }
}
