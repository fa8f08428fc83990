//! The search engine over the real directory (the five shared files, imported and merged):
//! answers equal brute force, and every real opening-hours string is evaluated as the
//! `opening-hours` crate does.

use chrono::NaiveDateTime;
use maillage_annuaire::doublons::{self, LieuFusionne, OptionsDoublons};
use maillage_annuaire::import::{self, OptionsImport};
use maillage_annuaire::recherche::{
    EtatOuverture, Filtres, Moteur, Ouverture, Requete, ZoneHoraire,
};
use maillage_domain::texte::normaliser;
use maillage_domain::{Frais, Service};
use maillage_geo::{haversine_m, Point};
use maillage_territoire::Referentiel;
use opening_hours::OpeningHours;
use std::path::PathBuf;
use std::sync::OnceLock;

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

fn annuaire() -> &'static (Vec<LieuFusionne>, Moteur) {
    static A: OnceLock<(Vec<LieuFusionne>, Moteur)> = OnceLock::new();
    A.get_or_init(|| {
        let dossier = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lieux");
        let mut lieux = Vec::new();
        for (source, fichier) in SOURCES {
            let chemin = dossier.join(fichier);
            let octets =
                std::fs::read(&chemin).unwrap_or_else(|e| panic!("{}: {e}", chemin.display()));
            let format = import::detecter(&octets).expect("format");
            let options = OptionsImport {
                date_maj_par_defaut: import::date_dans_nom(fichier),
            };
            let lecture = import::lire(source, format, &octets, &options, Referentiel::embedded())
                .expect("readable");
            lieux.extend(lecture.lieux);
        }
        let fusionnes = doublons::dedupliquer(&lieux, &[], &OptionsDoublons::default()).fusionnes;
        let moteur = Moteur::nouveau(fusionnes.clone());
        (fusionnes, moteur)
    })
}

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test date")
}

#[test]
fn every_place_is_indexed() {
    let (lieux, m) = annuaire();
    assert_eq!(m.len(), lieux.len());
    assert!(m.len() > 5000);
    for l in lieux {
        assert_eq!(m.lieu(&l.id).map(|x| &x.lieu), Some(&l.lieu));
    }
    let s = m.statistiques();
    eprintln!("{s:?}");
    assert_eq!(s.communes_connues, m.len());
    assert!(s.horaires_compiles > 1000);
}

#[test]
fn nearest_with_filters_equals_brute_force() {
    let (lieux, m) = annuaire();
    let filtres = Filtres {
        services: vec![
            Service::AideAuxDemarchesAdministratives,
            Service::UtilisationSecuriseeDuNumerique,
        ],
        frais_a_charge: vec![Frais::Gratuit],
        ..Filtres::default()
    };
    for centre in [
        Point {
            lat: 43.6045,
            lon: 1.4440,
        },
        Point {
            lat: 50.6292,
            lon: 3.0573,
        },
        Point {
            lat: 48.3904,
            lon: -4.4861,
        },
        Point {
            lat: -22.2758,
            lon: 166.4580,
        },
    ] {
        let rep = m
            .rechercher(&Requete {
                filtres: filtres.clone(),
                limit: 50,
                ..Requete::autour(centre)
            })
            .expect("query");
        let mut attendus: Vec<f64> = lieux
            .iter()
            .filter(|l| {
                l.lieu.services.iter().any(|s| filtres.services.contains(s))
                    && l.lieu.frais_a_charge.contains(&Frais::Gratuit)
            })
            .filter_map(|l| l.lieu.localisation)
            .map(|x| {
                haversine_m(
                    centre,
                    Point {
                        lat: x.latitude,
                        lon: x.longitude,
                    },
                )
            })
            .collect();
        attendus.sort_by(f64::total_cmp);
        assert_eq!(rep.total, attendus.len());
        let trouves: Vec<f64> = rep.resultats.iter().filter_map(|t| t.distance_m).collect();
        assert_eq!(trouves.len(), 50.min(attendus.len()));
        for (a, b) in trouves.iter().zip(&attendus) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}

#[test]
fn text_finds_mediatheques_without_accents() {
    let (lieux, m) = annuaire();
    let rep = m
        .rechercher(&Requete {
            texte: Some("medi".into()),
            limit: 1000,
            ..Requete::default()
        })
        .expect("query");
    let attendus = lieux
        .iter()
        .filter(|l| {
            let mut textes = vec![
                l.lieu.nom.clone(),
                l.lieu.commune.clone(),
                l.lieu.adresse.clone(),
                l.lieu.code_postal.to_string(),
            ];
            textes.extend(l.lieu.services.iter().map(|s| s.label().to_string()));
            textes
                .iter()
                .any(|t| normaliser(t).split(' ').any(|w| w.starts_with("medi")))
        })
        .count();
    assert_eq!(rep.total, attendus);
    assert!(rep.resultats.iter().any(|t| m
        .lieu_a(t.index)
        .is_some_and(|l| l.lieu.nom.contains("Médiathèque"))));
}

#[test]
fn territory_equals_brute_force() {
    let (lieux, m) = annuaire();
    let referentiel = Referentiel::embedded();
    for code in [
        "dep:31",
        "dep:59",
        "reg:84",
        "epci:200054781",
        "dep:988",
        "commune:69123",
    ] {
        let t = referentiel.territoire(code).expect("territory");
        let rep = m
            .rechercher(&Requete {
                filtres: Filtres {
                    territoire: Some(t.clone()),
                    ..Filtres::default()
                },
                ..Requete::default()
            })
            .expect("query");
        let attendus = lieux
            .iter()
            .filter(|l| {
                l.lieu
                    .code_insee
                    .as_ref()
                    .is_some_and(|c| t.contient(c.as_str()))
            })
            .count();
        assert_eq!(rep.total, attendus, "{code}");
    }
}

/// Every real string, on moments that are no holiday anywhere, against the crate itself (in
/// metropolitan time: the overseas places are left out).
#[test]
fn real_opening_hours_agree_with_the_crate() {
    let (_, m) = annuaire();
    let moments = [
        "2025-03-04 10:00",
        "2025-03-04 12:15",
        "2025-03-05 13:59",
        "2025-03-07 16:45",
        "2025-03-08 11:00",
        "2025-03-09 11:00",
        "2025-03-10 08:30",
    ];
    let mut compares = 0;
    for moment in moments.map(dt) {
        let ouverts = m
            .rechercher(&Requete {
                filtres: Filtres {
                    ouvert: Some(Ouverture::A(moment)),
                    ..Filtres::default()
                },
                limit: 0,
                ..Requete::default()
            })
            .expect("query")
            .total;
        let mut attendus = 0;
        for i in 0..m.len() {
            let Some(l) = m.lieu_a(i) else { continue };
            let metropole = matches!(
                m.zone(i),
                Some(ZoneHoraire::Metropole | ZoneHoraire::AlsaceMoselle)
            );
            let oh = l
                .lieu
                .horaires
                .as_ref()
                .filter(|h| h.valide)
                .and_then(|h| h.brut.parse::<OpeningHours>().ok());
            let etat = m.etat_ouverture(i, moment);
            let ouvert = match &oh {
                Some(oh) if metropole => {
                    compares += 1;
                    let attendu = oh.is_open(moment);
                    assert_eq!(
                        matches!(etat, EtatOuverture::Ouvert { .. }),
                        attendu,
                        "{} at {moment}",
                        l.lieu.horaires.as_ref().map_or("", |h| h.brut.as_str())
                    );
                    if oh.is_unknown(moment) {
                        assert_eq!(etat, EtatOuverture::Inconnu);
                    }
                    attendu
                }
                None => {
                    assert_eq!(etat, EtatOuverture::Inconnu);
                    false
                }
                Some(_) => matches!(etat, EtatOuverture::Ouvert { .. }),
            };
            attendus += usize::from(ouvert);
            if let (
                Some(oh),
                true,
                EtatOuverture::Ferme {
                    prochaine_ouverture,
                },
            ) = (&oh, metropole, etat)
            {
                let suivante = oh
                    .iter_range(moment, moment + chrono::Duration::days(15))
                    .find(|r| r.kind == opening_hours::RuleKind::Open)
                    .map(|r| r.range.start);
                // Within 15 days, when no holiday comes in between (none in March 2025).
                if suivante.is_some() {
                    assert_eq!(prochaine_ouverture, suivante);
                }
            }
        }
        assert_eq!(ouverts, attendus, "{moment}");
    }
    assert!(compares > 10_000);
}
