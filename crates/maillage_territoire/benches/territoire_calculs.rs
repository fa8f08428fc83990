//! Cost of the territorial computations: the fragility index of every
//! commune, the coverage of every commune against the real places and
//! against 100,000 synthetic places, and the tour planner on a région and
//! on France.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use flate2::read::GzDecoder;
use maillage_geo::Point;
use maillage_territoire::couverture::{calculer_couverture, Critere, OptionsCouverture, PointLieu};
use maillage_territoire::indice::{calculer, Configuration, DonneesIndicateurs, Echelon};
use maillage_territoire::tournee::{planifier, LieuPermanent, OptionsPlan};
use maillage_territoire::{embedded_indicateurs_communes_csv, Referentiel};

fn lire_gz(nom: &str) -> String {
    let chemin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/lieux")
        .join(nom);
    let octets = std::fs::read(&chemin).expect("bundled places file");
    let mut texte = String::new();
    GzDecoder::new(octets.as_slice())
        .read_to_string(&mut texte)
        .expect("gzip UTF-8");
    texte
}

fn nombre(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The places of the five bundled sources (duplicates across sources
/// kept), with the tags the criteria use: bit 0 = help with administrative
/// procedures.
pub fn lieux_reels() -> Vec<PointLieu> {
    let mut lieux = Vec::new();
    let mut ajouter = |lat: Option<f64>,
                       lon: Option<f64>,
                       services: &str,
                       gratuit: bool,
                       samedi: bool,
                       itinerant: bool| {
        if let Some(point) = lat.zip(lon).and_then(|(lat, lon)| Point::new(lat, lon)) {
            let demarches = services.to_lowercase().contains("démarches");
            lieux.push(PointLieu {
                point,
                services: u64::from(demarches),
                gratuit,
                ouvert_samedi: samedi,
                itinerant,
            });
        }
    };
    for fichier in [
        "conseillers-numeriques_lieux_2022-07.json.gz",
        "hinaura_2021.json.gz",
        "nouvelle-caledonie_2024-03.json.gz",
    ] {
        let valeur: serde_json::Value = serde_json::from_str(&lire_gz(fichier)).expect("JSON");
        for lieu in valeur.as_array().into_iter().flatten() {
            let texte = |k: &str| {
                lieu.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            ajouter(
                lieu.get("latitude").and_then(nombre),
                lieu.get("longitude").and_then(nombre),
                &texte("services"),
                texte("conditions_access")
                    .to_lowercase()
                    .contains("gratuit"),
                false,
                false,
            );
        }
    }
    let geojson: serde_json::Value =
        serde_json::from_str(&lire_gz("hauts-de-france_2022-11.geojson.gz")).expect("GeoJSON");
    for feature in geojson["features"].as_array().into_iter().flatten() {
        let p = &feature["properties"];
        ajouter(
            p.get("latitude").and_then(nombre),
            p.get("longitude").and_then(nombre),
            p.get("services").and_then(|v| v.as_str()).unwrap_or(""),
            p.get("conditions_access")
                .and_then(|v| v.as_str())
                .is_some_and(|s| s.to_lowercase().contains("gratuit")),
            false,
            false,
        );
    }
    let texte = lire_gz("france-services_2022-12-01.csv.gz");
    let mut csv = csv::Reader::from_reader(texte.as_bytes());
    let entete = csv.headers().expect("header").clone();
    let col = |nom: &str| entete.iter().position(|h| h == nom).expect("column");
    let (lat, lon, samedi, itinerance) = (
        col("latitude"),
        col("longitude"),
        col("h_samedi"),
        col("itinerance"),
    );
    for ligne in csv.records().flatten() {
        let f = |i: usize| ligne.get(i).unwrap_or("").trim().to_owned();
        ajouter(
            f(lat).parse().ok(),
            f(lon).parse().ok(),
            "démarches administratives",
            true,
            !f(samedi).is_empty(),
            f(itinerance).eq_ignore_ascii_case("oui"),
        );
    }
    lieux
}

/// `n` places drawn around the centres of communes (deterministic).
pub fn lieux_synthetiques(n: usize) -> Vec<PointLieu> {
    let centres: Vec<Point> = Referentiel::embedded()
        .communes()
        .iter()
        .filter_map(|c| c.centre)
        .collect();
    let mut etat = 0x9e37_79b9_u64;
    let mut suivant = move || {
        etat ^= etat << 13;
        etat ^= etat >> 7;
        etat ^= etat << 17;
        etat
    };
    (0..n)
        .map(|_| {
            let c = centres[(suivant() % centres.len() as u64) as usize];
            let dlat = (suivant() % 1000) as f64 / 1000.0 * 0.04 - 0.02;
            let dlon = (suivant() % 1000) as f64 / 1000.0 * 0.04 - 0.02;
            let tags = suivant();
            PointLieu {
                point: Point::new(c.lat + dlat, c.lon + dlon).expect("valid"),
                services: tags & 1,
                gratuit: tags & 2 != 0,
                ouvert_samedi: tags & 12 == 0,
                itinerant: false,
            }
        })
        .collect()
}

fn criteres() -> Vec<Critere> {
    vec![
        Critere::service("aide aux démarches administratives", 0),
        Critere::gratuit(),
        Critere::ouvert_samedi(),
    ]
}

fn indice(c: &mut Criterion) {
    let mut group = c.benchmark_group("indice");
    group.sample_size(10);
    let referentiel = Referentiel::embedded();
    group.bench_function("lire_csv_et_rattacher", |b| {
        b.iter(|| {
            DonneesIndicateurs::lire(embedded_indicateurs_communes_csv(), referentiel)
                .expect("valid")
        })
    });
    let donnees = DonneesIndicateurs::embedded();
    group.bench_function("calculer_deciles_34969_communes", |b| {
        b.iter(|| black_box(calculer(donnees, &Configuration::deciles()).communes.len()))
    });
    group.bench_function("calculer_2019_reference_departement", |b| {
        b.iter(|| {
            black_box(
                calculer(donnees, &Configuration::methode_2019(Echelon::Departement))
                    .communes
                    .len(),
            )
        })
    });
    let resultat = calculer(donnees, &Configuration::deciles());
    group.bench_function("agreger_epci", |b| {
        b.iter(|| black_box(resultat.agreger(Echelon::Epci).len()))
    });
    group.finish();
}

fn couverture(c: &mut Criterion) {
    let mut group = c.benchmark_group("couverture");
    group.sample_size(10);
    let referentiel = Referentiel::embedded();
    let donnees = DonneesIndicateurs::embedded();
    let indice = calculer(donnees, &Configuration::deciles());
    let options = OptionsCouverture::default();
    let criteres = criteres();
    let reels = lieux_reels();
    eprintln!("lieux réels : {}", reels.len());
    group.bench_function("lieux_reels_3_criteres", |b| {
        b.iter(|| {
            black_box(
                calculer_couverture(referentiel, &reels, &criteres, Some(&indice), &options)
                    .communes
                    .len(),
            )
        })
    });
    let synthetiques = lieux_synthetiques(100_000);
    group.bench_function("lieux_synthetiques_100000_3_criteres", |b| {
        b.iter(|| {
            black_box(
                calculer_couverture(
                    referentiel,
                    &synthetiques,
                    &criteres,
                    Some(&indice),
                    &options,
                )
                .communes
                .len(),
            )
        })
    });
    group.finish();
}

fn tournee(c: &mut Criterion) {
    let mut group = c.benchmark_group("tournee");
    group.sample_size(10);
    let referentiel = Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    // All communes as demand: no permanent place.
    let permanents: Vec<LieuPermanent> = Vec::new();
    for (nom, exact) in [
        ("heuristique", None),
        ("avec_exact_2s", Some(std::time::Duration::from_secs(2))),
    ] {
        let options = OptionsPlan {
            arrets: 30,
            rayon_km: 10.0,
            exact,
            ..OptionsPlan::default()
        };
        for code in ["reg:76", "fr"] {
            let territoire = referentiel.territoire(code).expect("territory");
            let plan =
                planifier(referentiel, &territoire, &indice, &permanents, &options).expect("plan");
            eprintln!(
            "{code} : {} communes de demande, {} candidats, couvert {:.0} / borne {:.0} (écart {:.3} %, optimal : {})",
            plan.communes_demande,
            plan.candidats,
            plan.total_couvert,
            plan.borne_sup.unwrap_or(f64::NAN),
            100.0 * plan.ecart.unwrap_or(f64::NAN),
            plan.optimal
        );
            group.bench_function(
                format!("planifier_k30_{}_{nom}", code.replace(':', "_")),
                |b| {
                    b.iter(|| {
                        black_box(
                            planifier(referentiel, &territoire, &indice, &permanents, &options)
                                .expect("plan")
                                .total_couvert,
                        )
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, indice, couverture, tournee);
criterion_main!(benches);
