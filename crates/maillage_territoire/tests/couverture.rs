//! Coverage distances against brute force, territory figures and zones
//! blanches.

use maillage_geo::{haversine_m, Point};
use maillage_territoire::couverture::{
    calculer_couverture, Critere, ModeFragile, OptionsCouverture, PointLieu,
};
use maillage_territoire::indice::{calculer, Configuration, DonneesIndicateurs};
use maillage_territoire::{Referentiel, Territoire};

/// Deterministic pseudo-random places around the centres of communes.
fn lieux_synthetiques(n: usize) -> Vec<PointLieu> {
    let communes: Vec<Point> = Referentiel::embedded()
        .communes()
        .iter()
        .filter_map(|c| c.centre)
        .collect();
    let mut etat = 0x1234_5678_u64;
    let mut suivant = move || {
        etat ^= etat << 13;
        etat ^= etat >> 7;
        etat ^= etat << 17;
        etat
    };
    (0..n)
        .map(|_| {
            let base = communes[(suivant() % communes.len() as u64) as usize];
            let dlat = (suivant() % 1000) as f64 / 1000.0 * 0.05 - 0.025;
            let dlon = (suivant() % 1000) as f64 / 1000.0 * 0.05 - 0.025;
            let tags = suivant();
            PointLieu {
                point: Point::new(base.lat + dlat, base.lon + dlon).unwrap(),
                services: tags & 0b111,
                gratuit: tags & 0b1000 != 0,
                ouvert_samedi: tags & 0b11_0000 == 0,
                itinerant: tags & 0b1100_0000 == 0,
            }
        })
        .collect()
}

#[test]
fn distances_equal_brute_force() {
    let referentiel = Referentiel::embedded();
    let lieux = lieux_synthetiques(300);
    let criteres = [
        Critere::service("démarches", 0),
        Critere::gratuit(),
        Critere::ouvert_samedi(),
        Critere::permanent(),
        Critere::service("aucun", 63),
    ];
    let couverture = calculer_couverture(
        referentiel,
        &lieux,
        &criteres,
        None,
        &OptionsCouverture::default(),
    );
    assert_eq!(couverture.communes.len(), referentiel.communes().len());
    for commune in referentiel.communes().iter().step_by(97) {
        let c = couverture.commune(&commune.code_insee).unwrap();
        let Some(centre) = commune.centre else {
            assert_eq!(c.distance_km, None);
            continue;
        };
        let brute = |f: &dyn Fn(&PointLieu) -> bool| {
            lieux
                .iter()
                .filter(|l| f(l))
                .map(|l| haversine_m(centre, l.point) / 1_000.0)
                .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.min(d))))
        };
        let proche = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-6,
            (None, None) => true,
            _ => false,
        };
        assert!(
            proche(c.distance_km, brute(&|_| true)),
            "{}",
            commune.code_insee
        );
        assert_eq!(c.route_km, c.distance_km.map(|d| d * 1.3));
        for (critere, distance) in criteres.iter().zip(&c.par_critere) {
            assert!(proche(*distance, brute(&|l| critere.accepte(l))));
            if let (Some(d), Some(tous)) = (distance, c.distance_km) {
                assert!(*d >= tous - 1e-9);
            }
        }
        assert_eq!(c.par_critere[4], None);
    }
}

#[test]
fn territory_figures_and_zones_blanches() {
    let referentiel = Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    let lieux = lieux_synthetiques(2_000);
    let criteres = [Critere::gratuit()];
    let options = OptionsCouverture::default();
    let couverture = calculer_couverture(referentiel, &lieux, &criteres, Some(&indice), &options);
    let territoire = referentiel.territoire("dep:48").unwrap();
    let resume = couverture.resume(&territoire);
    // By hand.
    let membres: Vec<_> = couverture.communes_de(&territoire).collect();
    assert_eq!(resume.communes, membres.len());
    for (k, seuil) in [5.0, 10.0, 20.0].iter().enumerate() {
        let au_dela: Vec<_> = membres
            .iter()
            .filter(|c| c.centre.is_some() && c.distance_km.is_none_or(|d| d > *seuil))
            .collect();
        assert_eq!(resume.au_dela[k].seuil_km, *seuil);
        assert_eq!(resume.au_dela[k].communes, au_dela.len());
        let population: u64 = au_dela.iter().map(|c| u64::from(c.population)).sum();
        assert_eq!(resume.au_dela[k].population, population);
        let fragile: f64 = au_dela.iter().map(|c| c.population_fragile).sum();
        assert!((resume.au_dela[k].population_fragile - fragile).abs() < 1e-6);
        // Per criterion: free places are a subset, so at least as many.
        assert!(resume.au_dela_par_critere[0][k].population >= population);
    }
    assert!(resume.au_dela[0].population >= resume.au_dela[1].population);
    assert!(resume.au_dela[1].population >= resume.au_dela[2].population);
    // Fragile population: population × 17 % × index ÷ national mean index.
    let mende = couverture.commune("48095").unwrap();
    let im = indice.commune("48095").unwrap().indice.unwrap();
    let moyenne = indice.moyenne_nationale.unwrap();
    assert!(
        (mende.population_fragile - f64::from(mende.population) * 0.17 * im / moyenne).abs() < 1e-6
    );

    let zones = couverture.zones_blanches(&territoire, 10.0);
    assert_eq!(zones.len(), resume.au_dela[1].communes);
    assert!(zones
        .windows(2)
        .all(|w| w[0].population_fragile >= w[1].population_fragile));
    assert!(zones.iter().all(|z| z.distance_km > 10.0));

    // Threshold mode: whole population of the communes at index ≥ 7.
    let seuil = calculer_couverture(
        referentiel,
        &lieux,
        &criteres,
        Some(&indice),
        &OptionsCouverture {
            mode_fragile: ModeFragile::Seuil(7.0),
            ..OptionsCouverture::default()
        },
    );
    for c in seuil.communes_de(&territoire) {
        let i = indice.commune(c.code_insee).unwrap().indice;
        let attendu = if i.is_some_and(|i| i >= 7.0) {
            f64::from(c.population)
        } else {
            0.0
        };
        assert_eq!(c.population_fragile, attendu);
    }
    // France: figures add up over the régions.
    let france = couverture.resume(&Territoire::France);
    let somme: u64 = referentiel
        .regions()
        .iter()
        .map(|r| {
            couverture
                .resume(&referentiel.territoire(&format!("reg:{}", r.code)).unwrap())
                .au_dela[2]
                .population
        })
        .sum();
    assert_eq!(france.au_dela[2].population, somme);
}

#[test]
fn no_place_at_all() {
    let referentiel = Referentiel::embedded();
    let couverture =
        calculer_couverture(referentiel, &[], &[], None, &OptionsCouverture::default());
    let territoire = referentiel.territoire("dep:48").unwrap();
    let resume = couverture.resume(&territoire);
    assert_eq!(
        resume.au_dela[2].communes,
        resume.communes - resume.communes_sans_coordonnees
    );
    assert_eq!(resume.distance_moyenne_km, None);
    assert_eq!(
        couverture.zones_blanches(&territoire, 10.0).len(),
        resume.au_dela[2].communes
    );
}
