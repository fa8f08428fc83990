//! The tour planner: the MCLP solvers against published values (AILS-MCLP
//! benchmark, spopt's San Francisco instance), brute force on small random
//! instances, and the territorial planner on real communes.

use std::path::PathBuf;

use chrono::NaiveDate;
use maillage_geo::Point;
use maillage_territoire::indice::{calculer, Configuration, DonneesIndicateurs};
use maillage_territoire::tournee::{
    borne_lagrangienne, calendrier, glouton, lire_instance, ordre_de_visite, planifier, resoudre,
    resoudre_exact, ErreurInstance, ErreurPlan, LieuPermanent, Options, OptionsPlan, Probleme,
};
use maillage_territoire::Referentiel;
use proptest::prelude::*;

fn benchmark(nom: &str) -> String {
    let chemin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/benchmarks/mclp")
        .join(format!("{nom}.txt"));
    std::fs::read_to_string(&chemin).unwrap_or_else(|e| panic!("{}: {e}", chemin.display()))
}

/// The San Francisco instance of spopt: population of each tract, and the
/// stores within 5,000 m of network distance of it.
fn san_francisco() -> (Vec<f64>, Vec<Vec<usize>>) {
    let texte = include_str!("data/spopt_sf_mclp.csv");
    let mut lignes = texte.lines();
    let entete: Vec<&str> = lignes.next().unwrap().split(',').collect();
    let magasins = entete.len() - 2;
    let mut poids = Vec::new();
    let mut couvertures = vec![Vec::new(); magasins];
    for (d, ligne) in lignes.enumerate() {
        let champs: Vec<&str> = ligne.split(',').collect();
        poids.push(champs[1].parse::<f64>().unwrap());
        for (j, distance) in champs[2..].iter().enumerate() {
            if distance.parse::<f64>().unwrap() <= 5_000.0 {
                couvertures[j].push(d);
            }
        }
    }
    assert_eq!(poids.len(), 205);
    assert_eq!(magasins, 16);
    (poids, couvertures)
}

const SF_OPTIMA: [f64; 8] = [
    448_255.0, 671_938.0, 791_499.0, 875_247.0, 927_402.0, 941_462.0, 950_428.0, 955_113.0,
];

#[test]
fn exact_solver_proves_spopt_san_francisco_optima() {
    let (poids, couvertures) = san_francisco();
    let probleme = Probleme::depuis_couvertures(poids, &couvertures).unwrap();
    assert_eq!(probleme.poids_total(), 955_113.0);
    for (p, &optimum) in (1..=8).zip(&SF_OPTIMA) {
        let exacte = resoudre_exact(&probleme, p, None).unwrap();
        assert!(exacte.optimal, "p={p}");
        assert_eq!(exacte.couvert, optimum, "p={p}");
        assert_eq!(exacte.sites.len(), p);
        assert!(exacte.borne_sup >= optimum - 1e-6);
        // The heuristic finds it too, and the bound is above it.
        let heuristique = resoudre(&probleme, p, &Options::default());
        assert_eq!(heuristique.couvert, optimum, "p={p}");
        let borne = borne_lagrangienne(&probleme, p, 500, heuristique.couvert);
        assert!(borne >= optimum - 1e-6, "p={p}: {borne}");
    }
    // spopt's own assertion for p = 4: 21 tracts of 205 uncovered.
    let exacte = resoudre_exact(&probleme, 4, None).unwrap();
    let couverts = (0..205)
        .filter(|&d| {
            exacte
                .sites
                .iter()
                .any(|&j| probleme.couverture(j).contains(&(d as u32)))
        })
        .count();
    assert_eq!(205 - couverts, 21);
    assert!((100.0 * couverts as f64 / 205.0 - 89.756_097_560_975_6).abs() < 1e-9);
}

fn verifier_benchmark(nom: &str, rayon_m: f64, cas: &[(usize, f64)], iterations: usize) {
    let mut instance = lire_instance(&benchmark(nom)).unwrap();
    instance.rayon_m = rayon_m;
    let probleme = instance.probleme().unwrap();
    for &(p, meilleure) in cas {
        let solution = resoudre(
            &probleme,
            p,
            &Options {
                iterations,
                duree_max: None,
                iterations_borne: 100,
                ..Options::default()
            },
        );
        let ecart = (meilleure - solution.couvert) / meilleure;
        assert!(
            ecart <= 0.005,
            "{nom} p={p}: {} vs best known {meilleure} ({:.3} %)",
            solution.couvert,
            100.0 * ecart
        );
        // Never above the best known value (they are CPLEX optima) and
        // never above the Lagrangian bound.
        assert!(solution.couvert <= meilleure, "{nom} p={p}");
        let borne = solution.borne_sup.unwrap();
        assert!(borne >= solution.couvert);
        assert!(solution.couvert >= solution.couvert_glouton);
        assert_eq!(solution.sites.len(), p);
        assert_eq!(probleme.couvert(&solution.sites), solution.couvert);
    }
}

#[test]
fn new_york_within_half_a_percent_of_best_known() {
    let instance = lire_instance(&benchmark("NewYork")).unwrap();
    assert_eq!(instance.nom.as_deref(), Some("NewYork"));
    assert_eq!(instance.demandes.len(), 2_713);
    let total: f64 = instance.demandes.iter().map(|(_, w)| w).sum();
    assert_eq!(total, 1_585_873.0);
    // A spread of p (the full sweep, p = 50…100, is the mclp_balayage
    // bench).
    verifier_benchmark(
        "NewYork",
        400.0,
        &[(50, 1_153_640.0), (100, 1_574_256.0)],
        2_000,
    );
}

#[test]
fn bronx_within_half_a_percent_of_best_known() {
    let instance = lire_instance(&benchmark("Bronx")).unwrap();
    assert_eq!(instance.demandes.len(), 3_839);
    let total: f64 = instance.demandes.iter().map(|(_, w)| w).sum();
    assert_eq!(total, 1_385_108.0);
    verifier_benchmark("Bronx", 600.0, &[(90, 1_384_376.0)], 2_000);
}

#[test]
fn instance_reader_reports_errors_in_french() {
    let ok = "NAME : t\nTYPE : MCLP\nEDGE_WEIGHT_TYPE : COORD\nDIMENSION : 2\nNODE_COORD_SECTION\n48.85 2.35\n48.86 2.35\nDEMAND_SECTION\n3\n4\nEOF\n";
    let instance = lire_instance(ok).unwrap();
    assert_eq!(instance.demandes.len(), 2);
    assert_eq!(instance.candidats.len(), 2);
    assert_eq!(instance.demandes[1].1, 4.0);

    let sans_dimension = ok.replace("DIMENSION : 2\n", "");
    assert_eq!(
        lire_instance(&sans_dimension),
        Err(ErreurInstance::DimensionAbsente)
    );
    let mauvaise = ok.replace("48.86 2.35", "48.86 est");
    let erreur = lire_instance(&mauvaise).unwrap_err();
    assert_eq!(
        erreur.to_string(),
        "ligne 7 : coordonnées illisibles « 48.86 est » (attendu : latitude longitude)"
    );
    let courte = ok.replace("4\nEOF", "EOF");
    assert!(matches!(
        lire_instance(&courte),
        Err(ErreurInstance::NombreDeLignes {
            section: "DEMAND_SECTION",
            trouves: 1,
            attendus: 2
        })
    ));
    let euclide = ok.replace("COORD", "EUC_2D");
    assert!(lire_instance(&euclide)
        .unwrap_err()
        .to_string()
        .contains("non pris en charge"));
    let negative = ok.replace("\n3\n", "\n-3\n");
    assert!(matches!(
        lire_instance(&negative),
        Err(ErreurInstance::DemandeInvalide { ligne: 9, .. })
    ));
    // No radius in the format: an invalid one is refused when building.
    let mut instance = lire_instance(ok).unwrap();
    instance.rayon_m = f64::NAN;
    assert!(instance.probleme().is_err());
    instance.rayon_m = 2_000.0;
    let probleme = instance.probleme().unwrap();
    assert_eq!(probleme.couverture(0), &[0, 1]);
}

#[test]
fn degenerate_cases() {
    let probleme = Probleme::depuis_couvertures(vec![1.0, 2.0], &[vec![0], vec![1]]).unwrap();
    assert_eq!(resoudre(&probleme, 0, &Options::default()).couvert, 0.0);
    // More sites than candidates: all of them.
    let toutes = resoudre(&probleme, 5, &Options::default());
    assert_eq!(toutes.sites, vec![0, 1]);
    assert_eq!(toutes.couvert, 3.0);
    assert!(Probleme::depuis_couvertures(vec![1.0], &[vec![3]]).is_err());
    assert!(Probleme::depuis_couvertures(vec![-1.0], &[vec![0]]).is_err());
    let vide = Probleme::depuis_couvertures(vec![], &[]).unwrap();
    assert_eq!(resoudre(&vide, 3, &Options::default()).couvert, 0.0);
}

/// Small random instances: demand weights and coverage lists.
fn petite_instance() -> impl Strategy<Value = (Vec<f64>, Vec<Vec<usize>>, usize)> {
    (3usize..14, 2usize..9).prop_flat_map(|(n, m)| {
        (
            prop::collection::vec(0u32..50, n),
            prop::collection::vec(prop::collection::vec(0..n, 0..5), m),
            1..=m,
        )
            .prop_map(|(w, c, p)| (w.into_iter().map(f64::from).collect(), c, p))
    })
}

fn force_brute(probleme: &Probleme, p: usize) -> f64 {
    let m = probleme.nombre_candidats();
    let mut meilleur = 0.0f64;
    for masque in 0u32..(1 << m) {
        if masque.count_ones() as usize != p {
            continue;
        }
        let sites: Vec<usize> = (0..m).filter(|j| masque & (1 << j) != 0).collect();
        meilleur = meilleur.max(probleme.couvert(&sites));
    }
    meilleur
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn exact_equals_brute_force_and_bounds_hold((poids, couvertures, p) in petite_instance()) {
        let probleme = Probleme::depuis_couvertures(poids, &couvertures).unwrap();
        let optimum = force_brute(&probleme, p);
        let exacte = resoudre_exact(&probleme, p, None).unwrap();
        prop_assert!(exacte.optimal);
        prop_assert_eq!(exacte.couvert, optimum);
        let heuristique = resoudre(&probleme, p, &Options { iterations: 50, ..Options::default() });
        prop_assert!(heuristique.couvert <= optimum);
        prop_assert!(heuristique.borne_sup.unwrap() >= optimum - 1e-9);
        // The lazy greedy is the plain greedy.
        let lazy: f64 = glouton(&probleme, p).iter().map(|(_, g)| g).sum();
        let ordre = probleme.ordre_glouton(&(0..probleme.nombre_candidats()).collect::<Vec<_>>());
        let plain: f64 = ordre.iter().take(p).map(|(_, g)| g).sum();
        prop_assert_eq!(lazy, plain);
    }
}

fn point(lat: f64, lon: f64) -> Point {
    Point::new(lat, lon).unwrap()
}

#[test]
fn visiting_order_and_calendar() {
    // Four corners of a square, given crosswise: the round trip follows
    // the sides.
    let points = [
        point(45.0, 1.0),
        point(45.1, 1.1),
        point(45.0, 1.1),
        point(45.1, 1.0),
    ];
    let (ordre, longueur) = ordre_de_visite(&points);
    assert_eq!(ordre[0], 0);
    let mut tries = ordre.clone();
    tries.sort_unstable();
    assert_eq!(tries, vec![0, 1, 2, 3]);
    let cote_lat = maillage_geo::haversine_m(points[0], points[3]);
    let cote_lon = maillage_geo::haversine_m(points[0], points[2]);
    assert!((longueur - 2.0 * (cote_lat + cote_lon)).abs() < 200.0);
    let debut = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let dates = calendrier(debut, 3);
    assert_eq!(
        dates,
        vec![
            debut,
            NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 17).unwrap()
        ]
    );
}

#[test]
fn planner_on_a_departement() {
    let referentiel = Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    let territoire = referentiel.territoire("dep:48").unwrap();
    // A permanent place in Mende.
    let mende = referentiel.commune("48095").unwrap().centre.unwrap();
    let lieux = [LieuPermanent { point: mende }];
    let options = OptionsPlan {
        arrets: 4,
        rayon_km: 10.0,
        ordre_de_visite: true,
        debut: NaiveDate::from_ymd_opt(2025, 9, 1),
        candidats: Some(
            referentiel
                .communes_of_departement("48")
                .iter()
                .filter(|c| c.population >= 500)
                .map(|c| c.code_insee.clone())
                .collect(),
        ),
        ..OptionsPlan::default()
    };
    let plan = planifier(referentiel, &territoire, &indice, &lieux, &options).unwrap();
    assert_eq!(plan.arrets.len(), 4);
    assert!(plan.deja_couvert > 0.0);
    let mut cumul = 0.0;
    for (a, b) in plan.arrets.iter().zip(plan.arrets.iter().skip(1)) {
        assert!(a.gain >= b.gain - 1e-9, "greedy order");
    }
    for arret in &plan.arrets {
        cumul += arret.gain;
        assert!((arret.cumul - cumul).abs() < 1e-6);
        assert!(arret.date.is_some());
        assert!(referentiel
            .commune(&arret.code_insee)
            .is_some_and(|c| c.code_departement == "48"));
    }
    assert!((plan.total_couvert - cumul).abs() < 1e-6);
    assert!(plan.total_couvert <= plan.demande_totale);
    // Small instance: the exact solver proves the stops optimal.
    assert!(plan.optimal);
    assert_eq!(plan.ecart, Some(0.0));
    assert!(plan.borne_sup.unwrap() >= plan.total_couvert - 1e-6);
    // Without the exact solver, the Lagrangian bound gives the gap.
    let heuristique = planifier(
        referentiel,
        &territoire,
        &indice,
        &lieux,
        &OptionsPlan {
            exact: None,
            ..options.clone()
        },
    )
    .unwrap();
    assert!(!heuristique.optimal);
    assert!(heuristique.ecart.unwrap() >= 0.0);
    assert!(heuristique.total_couvert <= plan.total_couvert + 1e-6);
    let ordre = plan.ordre_de_visite.as_ref().unwrap();
    assert_eq!(ordre.len(), 4);
    // Weekly calendar in visiting order.
    let premiere = &plan.arrets[ordre[0]];
    assert_eq!(premiere.date, NaiveDate::from_ymd_opt(2025, 9, 1));
    let derniere = &plan.arrets[ordre[3]];
    assert_eq!(derniere.date, NaiveDate::from_ymd_opt(2025, 9, 22));

    // Default candidates: communes of 2,000 to 8,000 inhabitants.
    let defaut = planifier(
        referentiel,
        &territoire,
        &indice,
        &[],
        &OptionsPlan {
            arrets: 3,
            ..OptionsPlan::default()
        },
    )
    .unwrap();
    for arret in &defaut.arrets {
        let population = referentiel.commune(&arret.code_insee).unwrap().population;
        assert!((2_000..=8_000).contains(&population));
    }
    assert_eq!(defaut.deja_couvert, 0.0);

    let inconnu = planifier(
        referentiel,
        &territoire,
        &indice,
        &[],
        &OptionsPlan {
            candidats: Some(vec!["00000".to_owned()]),
            ..OptionsPlan::default()
        },
    );
    assert_eq!(
        inconnu.unwrap_err().to_string(),
        "commune candidate inconnue : « 00000 »"
    );
    assert!(matches!(
        planifier(
            referentiel,
            &territoire,
            &indice,
            &[],
            &OptionsPlan {
                rayon_km: -1.0,
                ..OptionsPlan::default()
            }
        ),
        Err(ErreurPlan::RayonInvalide(_))
    ));
}

/// Issue « Première utilisation réelle », item 6: a plan never proposes a stop that adds
/// nobody. In Haute-Garonne with permanent places in every commune of 1,000 inhabitants or
/// more, 8 stops asked for: every stop kept adds someone, and when fewer than 8 are kept,
/// they already reach all that the candidates can reach.
#[test]
fn premiere_utilisation_aucun_arret_n_ajoute_zero() {
    let referentiel = Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    let territoire = referentiel.territoire("dep:31").unwrap();
    let lieux: Vec<LieuPermanent> = referentiel
        .communes_of_departement("31")
        .iter()
        .filter(|c| c.population >= 1_000)
        .filter_map(|c| c.centre.map(|point| LieuPermanent { point }))
        .collect();
    let options = OptionsPlan {
        arrets: 8,
        rayon_km: 10.0,
        ..OptionsPlan::default()
    };
    let plan = planifier(referentiel, &territoire, &indice, &lieux, &options).unwrap();
    assert_eq!(plan.arrets_demandes, 8);
    assert!(plan.communes_deja_couvertes > 0);
    for a in &plan.arrets {
        assert!(a.gain >= 0.5, "{} adds {}", a.nom, a.gain);
        assert!(a.communes_atteintes > 0, "{}", a.nom);
    }
    assert!(
        plan.arrets.len() < 8,
        "this demand is reached by fewer than 8 stops: {:?}",
        plan.arrets.iter().map(|a| a.gain).collect::<Vec<_>>()
    );
    // Fewer stops than asked: they reach everything the candidates can reach.
    assert!(plan.demande_atteignable - plan.total_couvert < 0.5 * 8.0);
    assert!(plan.total_couvert <= plan.demande_atteignable + 1e-6);
}

/// Sicoval (epci:243100633), 8 stops, 10 km, with a permanent place in every commune:
/// nobody is out of reach, so the plan has no stop at all (not 8 « optimal » stops reaching
/// 0 people).
#[test]
fn premiere_utilisation_sicoval_deja_couvert_sans_arret() {
    let referentiel = Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    let territoire = referentiel.territoire("epci:243100633").unwrap();
    let communes = referentiel.communes_of_territoire(&territoire);
    let lieux: Vec<LieuPermanent> = communes
        .iter()
        .filter_map(|c| c.centre.map(|point| LieuPermanent { point }))
        .collect();
    let plan = planifier(
        referentiel,
        &territoire,
        &indice,
        &lieux,
        &OptionsPlan {
            arrets: 8,
            rayon_km: 10.0,
            ..OptionsPlan::default()
        },
    )
    .unwrap();
    assert!(plan.arrets.is_empty(), "{:?}", plan.arrets);
    assert_eq!(plan.demande_totale, 0.0);
    assert_eq!(plan.total_couvert, 0.0);
    assert_eq!(plan.communes_deja_couvertes, communes.len());
    assert!(plan.deja_couvert > 0.0);
}

/// The candidate population range is a setting: Revel (31451, about 9,800 inhabitants) is a
/// candidate with 2,000–10,000, not with the default 2,000–8,000; a reversed range is refused
/// in French.
#[test]
fn premiere_utilisation_population_des_candidats_reglable() {
    let referentiel = Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    let territoire = referentiel.territoire("dep:31").unwrap();
    let revel = referentiel.commune("31451").unwrap();
    assert!((8_001..=10_000).contains(&revel.population));
    let compte = |min: u32, max: u32| {
        referentiel
            .communes_of_departement("31")
            .iter()
            .filter(|c| c.centre.is_some() && (min..=max).contains(&c.population))
            .count()
    };
    let plan = |min: u32, max: u32| {
        planifier(
            referentiel,
            &territoire,
            &indice,
            &[],
            &OptionsPlan {
                arrets: 2,
                population_min: min,
                population_max: max,
                exact: None,
                ..OptionsPlan::default()
            },
        )
    };
    let defaut = plan(2_000, 8_000).unwrap();
    assert_eq!(defaut.candidats, compte(2_000, 8_000));
    assert_eq!(
        (defaut.population_min, defaut.population_max),
        (2_000, 8_000)
    );
    let large = plan(2_000, 10_000).unwrap();
    assert_eq!(large.candidats, compte(2_000, 10_000));
    assert!(large.candidats > defaut.candidats);
    assert_eq!(
        plan(9_000, 2_000).unwrap_err().to_string(),
        "population candidate invalide : le minimum (9000) dépasse le maximum (2000)"
    );
}
