//! Search engine latency, with criterion:
//!
//! ```text
//! cargo bench -p maillage_annuaire --bench recherche
//! MAILLAGE_BENCH_N=200000 cargo bench -p maillage_annuaire --bench recherche -- synthetique
//! ```
//!
//! Over the real directory (the five shared files, imported and merged) and over 1,000,000
//! synthetic places (`MAILLAGE_BENCH_N` to change): the 20 nearest places to random commune
//! centroids, without filter, with a service, open now, with a text; each iteration runs the
//! next query of a list of 1,000. Criterion reports means and medians; for p50/p99, run the
//! `recherche_latence` example.

use chrono::{NaiveDate, NaiveDateTime};
use criterion::{criterion_group, criterion_main, Criterion};
use maillage_annuaire::doublons::{self, LieuFusionne, OptionsDoublons};
use maillage_annuaire::import::{self, OptionsImport};
use maillage_annuaire::recherche::{Filtres, Moteur, Ouverture, Requete};
use maillage_annuaire::synthetique::{generer, Alea};
use maillage_domain::{Horaires, Service, Vocabulary};
use maillage_geo::Point;
use maillage_territoire::Referentiel;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;

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

fn annuaire_reel() -> Vec<LieuFusionne> {
    let dossier = std::env::var("MAILLAGE_LIEUX")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lieux")
        });
    let mut lieux = Vec::new();
    for (source, fichier) in SOURCES {
        let chemin = dossier.join(fichier);
        let octets = std::fs::read(&chemin).unwrap_or_else(|e| panic!("{}: {e}", chemin.display()));
        let format = import::detecter(&octets).expect("format");
        let options = OptionsImport {
            date_maj_par_defaut: import::date_dans_nom(fichier),
        };
        let lecture = import::lire(source, format, &octets, &options, Referentiel::embedded())
            .expect("readable");
        lieux.extend(lecture.lieux);
    }
    doublons::dedupliquer(&lieux, &[], &OptionsDoublons::default()).fusionnes
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

const MOTS: [&str; 6] = [
    "mediatheque",
    "france services",
    "mairie",
    "numerique",
    "centre social",
    "espace",
];

fn moment(alea: &mut Alea) -> NaiveDateTime {
    let jour = NaiveDate::from_ymd_opt(2025, 3, 3 + alea.entier(6) as u32).unwrap_or_default();
    jour.and_hms_opt(8 + alea.entier(12) as u32, alea.entier(60) as u32, 0)
        .unwrap_or_default()
}

fn scenarios(groupe: &str, moteur: &Moteur, c: &mut Criterion) {
    let centres: Vec<Point> = Referentiel::embedded()
        .communes()
        .iter()
        .filter_map(|c| c.centre)
        .collect();
    let mut alea = Alea::new(2025);
    let mut requetes = |f: &dyn Fn(&mut Alea, Point) -> Requete| -> Vec<Requete> {
        (0..1000)
            .map(|_| {
                let centre = centres[alea.entier(centres.len() as u64) as usize];
                f(&mut alea, centre)
            })
            .collect()
    };
    let service = |a: &mut Alea| Service::ALL[a.entier(Service::ALL.len() as u64) as usize];
    let listes = [
        ("k20_sans_filtre", requetes(&|_, p| Requete::autour(p))),
        (
            "k20_service",
            requetes(&|a, p| Requete {
                filtres: Filtres {
                    services: vec![service(a)],
                    ..Filtres::default()
                },
                ..Requete::autour(p)
            }),
        ),
        (
            "k20_ouvert_maintenant",
            requetes(&|a, p| Requete {
                filtres: Filtres {
                    ouvert: Some(Ouverture::A(moment(a))),
                    ..Filtres::default()
                },
                ..Requete::autour(p)
            }),
        ),
        (
            "k20_texte",
            requetes(&|a, p| Requete {
                texte: Some(MOTS[a.entier(MOTS.len() as u64) as usize].into()),
                ..Requete::autour(p)
            }),
        ),
    ];
    let mut g = c.benchmark_group(groupe);
    for (nom, liste) in &listes {
        let mut k = 0usize;
        g.bench_function(*nom, |b| {
            b.iter(|| {
                k = (k + 1) % liste.len();
                black_box(moteur.rechercher(&liste[k]).map(|r| r.total))
            })
        });
    }
    g.finish();
}

fn reel(c: &mut Criterion) {
    let moteur = Moteur::nouveau(annuaire_reel());
    scenarios("recherche_reel", &moteur, c);
}

fn synthetique(c: &mut Criterion) {
    let n = std::env::var("MAILLAGE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let moteur = Moteur::nouveau(annuaire_synthetique(n));
    scenarios("recherche_synthetique", &moteur, c);
}

criterion_group!(benches, reel, synthetique);
criterion_main!(benches);
