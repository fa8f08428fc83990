//! Territorial use cases on the embedded referential and indicators.

use maillage_annuaire::territoire as t;
use maillage_geo::Point;
use maillage_territoire::couverture::PointLieu;
use maillage_territoire::tournee::{Options, OptionsPlan};
use maillage_territoire::Referentiel;
use std::collections::HashSet;
use std::time::Duration;

fn lieu(lat: f64, lon: f64, itinerant: bool) -> PointLieu {
    PointLieu {
        point: Point::new(lat, lon).unwrap(),
        services: 0b10,
        gratuit: true,
        ouvert_samedi: false,
        itinerant,
    }
}

#[test]
fn index_csv_of_haute_garonne_has_toulouse_and_the_column_set() {
    let territoire = t::territoire("dep:31").unwrap();
    let resultat = t::indice(&territoire, &t::configuration("deciles").unwrap());
    let csv = t::indice_csv(&resultat).unwrap();
    let (entetes, lignes) = maillage_annuaire::tableur::lire_csv(&csv).unwrap();
    for colonne in [
        "Code INSEE",
        "Commune",
        "Indice de fragilité numérique",
        "Population",
        "Score : Personnes de 15 ans ou plus sans diplôme",
        "Score : Personnes de 65 ans ou plus",
        "Score : Ménages d'une personne",
        "Score : Familles monoparentales",
        "Score : Locaux sans accès à 30 Mbit/s ou plus",
        "Score : Taux de pauvreté",
        "Valeur estimée d'après : Taux de pauvreté",
        "Indicateurs qui pèsent le plus",
    ] {
        assert!(
            entetes.iter().any(|e| e == colonne),
            "colonne {colonne} absente"
        );
    }
    let n = Referentiel::embedded()
        .communes_of_territoire(&territoire)
        .len();
    assert_eq!(lignes.len(), n);
    let position = |c: &str| entetes.iter().position(|e| e == c).unwrap();
    let toulouse = lignes.iter().find(|l| l[0] == "31555").unwrap();
    assert_eq!(&toulouse[position("Commune")], "Toulouse");
    let indice: f64 = toulouse[position("Indice de fragilité numérique")]
        .replace(',', ".")
        .parse()
        .unwrap();
    assert!((1.0..=10.0).contains(&indice));
    assert_eq!(
        Some(indice),
        resultat
            .indice
            .commune("31555")
            .and_then(|c| c.indice)
            .map(|v| (v * 1000.0).round() / 1000.0)
    );
}

#[test]
fn methods_are_read_and_unknown_ones_refused_in_french() {
    assert!(t::configuration("2019:epci").is_ok());
    let e = t::configuration("quartiles").unwrap_err().to_string();
    assert!(e.contains("méthode inconnue"), "{e}");
    let e = t::territoire("dep:99").unwrap_err().to_string();
    assert!(e.contains("territoire inconnu"), "{e}");
}

#[test]
fn coverage_has_one_row_per_commune_and_zones_blanches_are_sorted() {
    let territoire = t::territoire("dep:31").unwrap();
    let indice = t::indice(&territoire, &t::configuration("deciles").unwrap());
    let lieux = t::LieuxCouverture {
        lieux: vec![lieu(43.6045, 1.4440, false), lieu(43.1081, 0.7237, true)],
        sans_localisation: 0,
    };
    let resultat = t::couverture(&territoire, &lieux, &indice.indice);
    let n = Referentiel::embedded()
        .communes_of_territoire(&territoire)
        .len();
    assert_eq!(resultat.communes().count(), n);
    assert_eq!(resultat.resume.communes, n);
    let csv = t::couverture_csv(&resultat).unwrap();
    let (_, lignes) = maillage_annuaire::tableur::lire_csv(&csv).unwrap();
    assert_eq!(lignes.len(), n);
    let toulouse = resultat.couverture.commune("31555").unwrap();
    assert!(toulouse.distance_km.unwrap() < 2.0);

    let zones = resultat.zones_blanches(10.0);
    assert!(!zones.is_empty());
    assert!(zones
        .windows(2)
        .all(|w| w[0].population_fragile >= w[1].population_fragile));
    assert!(zones.iter().all(|z| z.distance_km > 10.0));
    let json: serde_json::Value =
        serde_json::from_slice(&t::zones_blanches_json(&territoire, 10.0, &zones).unwrap())
            .unwrap();
    assert_eq!(
        json["zones_blanches"].as_array().unwrap().len(),
        zones.len()
    );
}

#[test]
fn plan_for_the_sicoval_gives_distinct_useful_candidates_with_decreasing_gains() {
    let territoire = t::territoire("epci:243100633").unwrap();
    let indice = t::indice(&territoire, &t::configuration("deciles").unwrap());
    let options = OptionsPlan {
        arrets: 5,
        rayon_km: 10.0,
        ordre_de_visite: true,
        debut: chrono::NaiveDate::from_ymd_opt(2027, 1, 4),
        recherche: Options {
            duree_max: Some(Duration::from_secs(2)),
            ..Options::default()
        },
        ..OptionsPlan::default()
    };
    let plan = t::plan(
        &territoire,
        &t::LieuxCouverture::default(),
        &indice.indice,
        &options,
    )
    .unwrap();
    // 5 stops asked; with a 10 km radius a few candidates already reach every fragile
    // person of the EPCI, and a stop that adds nobody is never proposed.
    assert_eq!(plan.arrets_demandes, 5);
    assert!(
        (1..=5).contains(&plan.arrets.len()),
        "{} stops",
        plan.arrets.len()
    );
    assert!(
        plan.arrets.iter().all(|a| a.gain >= 0.5),
        "a stop adds nobody"
    );
    let referentiel = Referentiel::embedded();
    let codes: HashSet<&str> = plan.arrets.iter().map(|a| a.code_insee.as_str()).collect();
    assert_eq!(codes.len(), plan.arrets.len());
    for a in &plan.arrets {
        let c = referentiel.commune(&a.code_insee).unwrap();
        assert_eq!(c.code_epci.as_deref(), Some("243100633"));
        assert!(
            (2_000..=8_000).contains(&c.population),
            "{} : {}",
            c.nom,
            c.population
        );
        assert!(a.date.is_some());
    }
    assert!(plan.arrets.windows(2).all(|w| w[0].gain >= w[1].gain));
    assert!(plan.total_couvert > 0.0 && plan.total_couvert <= plan.demande_totale + 1e-6);
    let texte = t::plan_texte(&plan, territoire.nom());
    assert!(texte.contains("Ordre de visite"), "{texte}");
    assert!(texte.contains("semaine du 04/01/2027"), "{texte}");
    let csv = t::plan_csv(&plan).unwrap();
    let (_, lignes) = maillage_annuaire::tableur::lire_csv(&csv).unwrap();
    assert_eq!(lignes.len(), plan.arrets.len());

    // A permanent place at the centre of every candidate leaves nothing to reach there.
    let lieux = t::LieuxCouverture {
        lieux: plan
            .arrets
            .iter()
            .map(|a| lieu(a.point.lat, a.point.lon, false))
            .collect(),
        sans_localisation: 0,
    };
    let apres = t::plan(&territoire, &lieux, &indice.indice, &options).unwrap();
    assert!(apres.deja_couvert > 0.0);
}

#[test]
fn saturday_opening_is_read_from_osm_hours() {
    assert!(t::ouvert_le_samedi("Mo-Sa 09:00-12:00"));
    assert!(t::ouvert_le_samedi("Tu,Sa 14:00-17:00; PH off"));
    assert!(!t::ouvert_le_samedi("Mo-Fr 09:00-17:00"));
    assert!(!t::ouvert_le_samedi("pas une syntaxe OSM"));
}

#[test]
fn unreadable_instance_reports_its_line() {
    let texte = "NAME : t\nDIMENSION : 2\nNODE_COORD_SECTION\n48.85 2.35\n48.86 est\nDEMAND_SECTION\n3\n4\nEOF\n";
    let e = t::resoudre_instance(texte, 1, 100.0, &Options::default(), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ligne 5"), "{e}");
    let ok = texte.replace("48.86 est", "48.86 2.35");
    let r = t::resoudre_instance(
        &ok,
        1,
        2_000.0,
        &Options::default(),
        Some(Duration::from_secs(2)),
    )
    .unwrap();
    assert_eq!(r.solution.couvert, 7.0);
    assert_eq!(r.optimal, Some(true));
    assert!(t::resoudre_instance(&ok, 3, 100.0, &Options::default(), None).is_err());
}
