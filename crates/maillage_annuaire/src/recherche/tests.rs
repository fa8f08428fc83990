//! Unit tests of the search engine: every adaptive path (walk, bounded walk falling back to
//! a scan, scan) gives the same answer.

use super::*;
use chrono::NaiveDate;
use maillage_domain::{CodeInsee, CodePostal, Horaires, Localisation, Pivot};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn lieu(i: usize, lat: f64, lon: f64, services: u16, horaires: Option<&str>) -> LieuFusionne {
    let id = format!("t{i:04}");
    let lieu = Lieu {
        id: id.clone(),
        pivot: Pivot::Absent,
        nom: format!("Lieu {}", (i * 7919) % 500),
        commune: "Toulouse".into(),
        code_postal: CodePostal::parse("31000").expect("cp"),
        code_insee: CodeInsee::parse(["31069", "31555", "31555"][i % 3]).ok(),
        adresse: format!("{i} rue du Taur"),
        complement_adresse: None,
        localisation: Localisation::new(lat, lon),
        typologie: vec![],
        telephone: None,
        courriels: vec![],
        site_web: vec![],
        horaires: horaires.and_then(Horaires::new),
        presentation_resume: None,
        presentation_detail: None,
        source: None,
        itinerance: vec![],
        structure_parente: None,
        date_maj: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        services: Service::ALL
            .iter()
            .enumerate()
            .filter(|(k, _)| services & (1 << k) != 0)
            .map(|(_, s)| *s)
            .collect(),
        publics_specifiquement_adresses: vec![],
        prise_en_charge_specifique: vec![],
        frais_a_charge: vec![],
        dispositif_programmes_nationaux: vec![],
        formations_labels: vec![],
        autres_formations_labels: vec![],
        modalites_acces: vec![],
        modalites_accompagnement: vec![],
        fiche_acces_libre: None,
        prise_rdv: None,
    };
    LieuFusionne {
        id,
        lieu,
        membres: vec![],
        provenance: BTreeMap::new(),
    }
}

const HORAIRES: [Option<&str>; 4] = [
    None,
    Some("Mo-Fr 09:00-12:00,14:00-17:00"),
    Some("Tu-Sa 10:00-19:00; PH off"),
    Some("Jan-Jun Mo-Fr 09:00-17:00"),
];

fn reglages() -> [Reglages; 4] {
    let defaut = Reglages::default();
    [
        defaut,
        // Always walk, give up at once.
        Reglages {
            budget_min: 1,
            seuil_cercle: 0,
            rapport_marche: 0,
        },
        // Always walk, never give up.
        Reglages {
            budget_min: usize::MAX,
            seuil_cercle: 0,
            rapport_marche: 0,
        },
        // Never walk.
        Reglages {
            budget_min: 1,
            seuil_cercle: usize::MAX,
            rapport_marche: usize::MAX,
        },
    ]
}

fn resume(m: &Moteur, r: &Requete) -> (usize, Vec<(Option<u64>, String)>, bool) {
    let rep = m.rechercher(r).expect("valid query");
    let nom = matches!(r.tri, Tri::Nom);
    let page = rep
        .resultats
        .iter()
        .map(|t| {
            // Distances to the micrometre; ids only where the order is total (by name).
            let d = t.distance_m.map(|d| (d * 1e6).round() as u64);
            let id = if nom {
                m.lieux[t.index].id.clone()
            } else {
                String::new()
            };
            (d, id)
        })
        .collect();
    (rep.total, page, nom)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_strategy_gives_the_same_answer(
        points in prop::collection::vec(
            (43.0f64..44.5, 0.5f64..2.5, 0u16..512, 0usize..4),
            0..300,
        ),
        centre in (43.0f64..44.5, 0.5f64..2.5),
        services in 0u16..512,
        ouvert in any::<bool>(),
        rayon_km in prop::option::of(0.0f64..150.0),
        limit in 0usize..25,
        offset in 0usize..5,
        par_nom in any::<bool>(),
        avec_centre in any::<bool>(),
        texte in prop::option::of(prop_oneof![Just("lieu 1"), Just("rue"), Just("12")]),
    ) {
        let lieux: Vec<LieuFusionne> = points
            .iter()
            .enumerate()
            .map(|(i, &(lat, lon, s, h))| lieu(i, lat, lon, s & (s >> 2), HORAIRES[h]))
            .collect();
        let requete = Requete {
            centre: avec_centre.then_some(Point { lat: centre.0, lon: centre.1 }),
            rayon_km: rayon_km.filter(|_| avec_centre),
            limit,
            offset,
            texte: texte.map(String::from),
            filtres: Filtres {
                services: Service::ALL
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| services & (1 << k) != 0)
                    .map(|(_, s)| *s)
                    .collect(),
                ouvert: ouvert.then(|| {
                    Ouverture::A(
                        NaiveDate::from_ymd_opt(2025, 3, 4)
                            .and_then(|d| d.and_hms_opt(10, 30, 0))
                            .unwrap_or_default(),
                    )
                }),
                ..Filtres::default()
            },
            tri: if par_nom { Tri::Nom } else { Tri::Auto },
        };
        let mut reponses = Vec::new();
        for r in reglages() {
            let mut m = Moteur::nouveau(lieux.clone());
            m.reglages = r;
            reponses.push(resume(&m, &requete));
        }
        for autre in &reponses[1..] {
            prop_assert_eq!(&reponses[0], autre);
        }
    }
}

#[test]
fn places_are_grouped_by_opening_hours_key() {
    let lieux: Vec<LieuFusionne> = (0..40)
        .map(|i| lieu(i, 43.6, 1.44, 1, HORAIRES[i % 4]))
        .collect();
    let m = Moteur::nouveau(lieux);
    let s = m.statistiques();
    assert_eq!(s.cles_horaires, 4);
    assert_eq!(s.horaires_compiles, 2);
    assert_eq!(s.horaires_complexes, 1);
    for k in 0..m.horaires.len() {
        let (a, b) = (m.cle_debuts[k] as usize, m.cle_debuts[k + 1] as usize);
        assert!(a < b);
        for i in a..b {
            assert_eq!(m.cle_horaire[i] as usize, k);
            assert_eq!(
                m.lieux[i].lieu.horaires.as_ref().map(|h| h.brut.as_str()),
                m.lieux[a].lieu.horaires.as_ref().map(|h| h.brut.as_str())
            );
        }
    }
    assert_eq!(m.zone(0), Some(ZoneHoraire::Metropole));
}

#[test]
fn map_samples_give_the_matches_of_smallest_priority() {
    let mut alea = crate::synthetique::Alea::new(3);
    let lieux: Vec<LieuFusionne> = (0..5000)
        .map(|i| {
            let (lat, lon) = (42.0 + 8.0 * alea.reel(), -4.0 + 11.0 * alea.reel());
            lieu(i, lat, lon, (alea.entier(512) as u16) | 1, HORAIRES[i % 4])
        })
        .collect();
    let m = Moteur::nouveau(lieux);
    assert_eq!(m.echantillons.len(), 2);
    let filtres = [
        Filtres::default(),
        Filtres {
            services: vec![Service::ALL[3]],
            ..Filtres::default()
        },
    ];
    for f in &filtres {
        for (sud, ouest, nord, est) in [
            (42.0, -4.0, 50.0, 7.0),
            (45.0, 0.0, 46.0, 2.0),
            (43.0, 1.0, 43.3, 1.2),
        ] {
            for limit in [1, 10, 100, 1000, 10_000] {
                let mut voulus: Vec<(u32, usize)> = (0..m.len())
                    .filter(|&i| {
                        m.points[i]
                            .is_some_and(|p| spatial::dans_rectangle(p, sud, ouest, nord, est))
                            && m.correspond(i, f)
                    })
                    .map(|i| (m.priorites[i], i))
                    .collect();
                voulus.sort_unstable();
                let mut voulus: Vec<usize> =
                    voulus.into_iter().take(limit).map(|(_, i)| i).collect();
                voulus.sort_unstable();
                let trouves = m
                    .dans_rectangle(sud, ouest, nord, est, f, limit)
                    .expect("rectangle");
                assert_eq!(trouves, voulus, "{sud} {ouest} {nord} {est} {limit}");
            }
        }
    }
}
