//! Tests on the real bundled referential.

use std::io::Read;

use maillage_geo::Point;
use maillage_territoire::{
    embedded_indicateurs_communes_csv, normaliser_nom, Commune, EpciKind, Referentiel, Territoire,
    TerritoireError, Zone, NEAREST_COMMUNE_MAX_DISTANCE_M,
};

fn referentiel() -> &'static Referentiel {
    Referentiel::embedded()
}

fn codes(communes: &[&Commune]) -> Vec<String> {
    communes.iter().map(|c| c.code_insee.clone()).collect()
}

fn search(query: &str, limit: usize) -> Vec<String> {
    codes(&referentiel().rechercher(query, limit))
}

fn resolved(code_postal: Option<&str>, nom: Option<&str>) -> Option<&'static str> {
    referentiel()
        .resoudre(code_postal, nom)
        .map(|c| c.code_insee.as_str())
}

fn resolved_code(code_postal: Option<&str>, nom: Option<&str>) -> Option<&'static str> {
    referentiel().resoudre_code_insee(code_postal, nom)
}

fn point(lat: f64, lon: f64) -> Point {
    Point::new(lat, lon).expect("valid test point")
}

#[test]
fn embedded_data_loads_and_has_the_expected_counts() {
    let fresh = Referentiel::load_embedded().expect("embedded referential is valid");
    let r = referentiel();
    assert_eq!(fresh.communes().len(), r.communes().len());
    assert_eq!(r.communes().len(), 34_969);
    assert_eq!(r.arrondissements().len(), 45);
    assert_eq!(r.epcis().len(), 1_255);
    assert_eq!(r.departements().len(), 109);
    assert_eq!(r.regions().len(), 26);

    let count = |zone| r.communes().iter().filter(|c| c.zone == zone).count();
    assert_eq!(count(Zone::Metro), 34_746);
    assert_eq!(count(Zone::Drom), 129);
    assert_eq!(count(Zone::Com), 94);
    // Centroids: missing for every COM commune and 7 metropolitan ones.
    let without_centre: Vec<&Commune> =
        r.communes().iter().filter(|c| c.centre.is_none()).collect();
    assert_eq!(without_centre.len(), 101);
    assert_eq!(
        without_centre
            .iter()
            .filter(|c| c.zone == Zone::Metro)
            .count(),
        7
    );
    // EPCI: every commune has one except in the COM and four islands.
    let without_epci = r.communes().iter().filter(|c| c.code_epci.is_none());
    assert_eq!(without_epci.filter(|c| c.zone == Zone::Metro).count(), 4);
    assert_eq!(
        r.epcis()
            .iter()
            .filter(|e| e.kind == EpciKind::MetropoleDeLyon)
            .count(),
        1
    );
    assert_eq!(
        r.epcis()
            .iter()
            .filter(|e| e.kind == EpciKind::Metro)
            .count(),
        21
    );
}

#[test]
fn lookups_by_code() {
    let r = referentiel();
    let toulouse = r.commune("31555").expect("Toulouse");
    assert_eq!(toulouse.nom, "Toulouse");
    assert_eq!(toulouse.code_departement, "31");
    assert_eq!(toulouse.code_region, "76");
    assert_eq!(toulouse.code_epci.as_deref(), Some("243100518"));
    assert_eq!(toulouse.zone, Zone::Metro);
    assert!(toulouse.population > 500_000);
    assert!(toulouse.codes_postaux.contains(&"31500".to_owned()));

    assert_eq!(r.commune("2A004").map(|c| c.nom.as_str()), Some("Ajaccio"));
    assert_eq!(
        r.commune(" 31555 ").map(|c| c.nom.as_str()),
        Some("Toulouse")
    );
    assert!(
        r.commune("13211").is_none(),
        "an arrondissement is no commune"
    );
    assert!(r.commune("99999").is_none());
    assert!(r.commune("").is_none());

    let arrondissement = r.arrondissement("13211").expect("Marseille 11e");
    assert_eq!(arrondissement.code_commune_parente, "13055");
    assert_eq!(arrondissement.codes_postaux, vec!["13011"]);
    assert_eq!(
        r.arrondissement("75116").map(|a| a.codes_postaux.len()),
        Some(2)
    );

    for (code, parent) in [
        ("13211", "13055"),
        ("75101", "75056"),
        ("69383", "69123"),
        ("75056", "75056"),
    ] {
        assert_eq!(
            r.commune_or_parent(code).map(|c| c.code_insee.as_str()),
            Some(parent),
            "{code}"
        );
    }
    assert!(r.commune_or_parent("75000").is_none());

    assert_eq!(
        r.epci("243100518").map(|e| e.nom.as_str()),
        Some("Toulouse Métropole")
    );
    assert_eq!(r.epci("243100518").map(|e| e.kind), Some(EpciKind::Metro));
    assert_eq!(
        r.departement("2A").map(|d| d.nom.as_str()),
        Some("Corse-du-Sud")
    );
    assert_eq!(r.departement("988").map(|d| d.zone), Some(Zone::Com));
    assert_eq!(
        r.departement("971").map(|d| d.code_region.as_str()),
        Some("01")
    );
    assert_eq!(r.region("76").map(|r| r.nom.as_str()), Some("Occitanie"));
    assert_eq!(r.region("04").map(|r| r.zone), Some(Zone::Drom));
    assert!(r.departement("2a").is_none(), "codes are exact");
}

#[test]
fn communes_of_a_territory() {
    let r = referentiel();
    let toulouse_metropole = r.communes_of_epci("243100518");
    assert_eq!(toulouse_metropole.len(), 37);
    assert!(toulouse_metropole.iter().any(|c| c.code_insee == "31555"));
    let haute_garonne = r.communes_of_departement("31");
    assert_eq!(
        haute_garonne.len(),
        r.communes()
            .iter()
            .filter(|c| c.code_departement == "31")
            .count()
    );
    assert!(haute_garonne
        .windows(2)
        .all(|w| w[0].code_insee < w[1].code_insee));
    assert_eq!(r.communes_of_departement("988").len(), 33);
    assert_eq!(r.communes_of_departement("987").len(), 48);
    let occitanie = r.communes_of_region("76");
    assert!(occitanie.len() > 4_000);
    assert!(occitanie.iter().all(|c| c.code_region == "76"));
    assert!(r.communes_of_epci("000000000").is_empty());
    assert_eq!(
        r.communes()
            .iter()
            .map(|c| r.communes_of_region(&c.code_region).len())
            .max(),
        Some(r.communes_of_region("44").len()),
        "Grand Est has the most communes"
    );
}

#[test]
fn communes_by_postal_code() {
    let r = referentiel();
    // 73100 serves Aix-les-Bains and 8 villages; the largest comes first.
    let aix = r.communes_par_code_postal("73100");
    assert_eq!(aix.len(), 9);
    assert_eq!(aix[0].code_insee, "73008");
    assert!(aix.windows(2).all(|w| w[0].population >= w[1].population));
    assert!(aix.iter().any(|c| c.nom == "Tresserve"));
    // The most shared postal code in France.
    assert_eq!(r.communes_par_code_postal("51300").len(), 46);
    assert_eq!(codes(&r.communes_par_code_postal("13011")), vec!["13055"]);
    // Polynésie: three communes of Raiatea share 98735.
    assert_eq!(r.communes_par_code_postal("98735").len(), 3);
    // Saint-Barthélemy has a Guadeloupe postal code.
    assert_eq!(codes(&r.communes_par_code_postal("97133")), vec!["97701"]);
    assert!(
        r.communes_par_code_postal("54042").is_empty(),
        "CEDEX codes are unknown"
    );
}

#[test]
fn search_by_name() {
    // Exact normalised name first.
    assert_eq!(search("st etienne", 5)[0], "42218");
    assert_eq!(search("Saint-Étienne", 5)[0], "42218");
    assert_eq!(search("ST. ETIENNE", 1), vec!["42218"]);
    // Prefix, most populated first.
    let saint_et = referentiel().rechercher("saint-et", 20);
    assert_eq!(saint_et.len(), 20);
    assert_eq!(saint_et[0].code_insee, "42218");
    assert!(saint_et
        .iter()
        .all(|c| normaliser_nom(&c.nom).starts_with("saint et")));
    assert!(saint_et
        .windows(2)
        .all(|w| w[0].population >= w[1].population));
    // Accents: Évry (Yonne) is the exact match, Évry-Courcouronnes follows.
    for query in ["Évry", "evry", "EVRY"] {
        let found = search(query, 5);
        assert_eq!(found[..2], ["89162", "91228"], "{query}");
    }
    // Apostrophes, typographic or not, and spaces are equivalent.
    let abergement = search("l'abergement", 50);
    assert!(abergement.contains(&"01001".to_owned()));
    assert!(abergement.contains(&"01002".to_owned()));
    assert_eq!(search("L’Abergement", 50), abergement);
    assert_eq!(search("l abergement", 50), abergement);
    // Labergement-Sainte-Marie is another name.
    let labergement = search("LABERGEMENT", 50);
    assert!(labergement.contains(&"25320".to_owned()));
    assert!(labergement.iter().all(|code| !abergement.contains(code)));
    // Sainte.
    assert_eq!(search("ste foy les lyon", 1), vec!["69202"]);
    // "st" being typed also finds names starting with "st".
    let st = search("st", 10);
    assert!(st.contains(&"67482".to_owned()), "Strasbourg");
    assert!(st.contains(&"42218".to_owned()), "Saint-Étienne");
    assert!(!search("st ", 10).contains(&"67482".to_owned()));
    // Limits and empty queries.
    assert_eq!(search("saint", 3).len(), 3);
    assert!(search("saint", 0).is_empty());
    assert!(search("", 10).is_empty());
    assert!(search(" - ' ", 10).is_empty());
    assert!(search("zzzz", 10).is_empty());
}

#[test]
fn search_by_code() {
    // A postal code: its communes, most populated first.
    let aix = search("73100", 3);
    assert_eq!(aix.len(), 3);
    assert_eq!(aix[0], "73008");
    // 73100 is also the INSEE code of Domessin, listed after.
    let all = search("73100", 20);
    assert_eq!(all.len(), 10);
    assert_eq!(all[9], "73100");
    assert_eq!(search("42000", 5), vec!["42218"]);
    // An INSEE code.
    assert_eq!(search("31555", 5), vec!["31555"]);
    assert_eq!(search("2A004", 5), vec!["2A004"]);
    assert_eq!(search("2a004", 5), vec!["2A004"]);
    assert_eq!(search("13211", 5), vec!["13055"]);
    // Nouvelle-Calédonie: 98811 is the postal code of Belep and the INSEE
    // code of Koné; the postal code comes first.
    assert_eq!(search("98811", 5), vec!["98801", "98811"]);
    // The start of a postal code.
    let toulouse_area = search("310", 5);
    assert_eq!(toulouse_area[0], "31555");
    assert!(toulouse_area.iter().all(|code| code.starts_with("31")));
    assert!(search("999999", 5).is_empty());
}

#[test]
fn search_does_not_depend_on_limit_order() {
    let all = search("saint", 100_000);
    assert!(all.len() > 3_000);
    assert_eq!(search("saint", 25), all[..25].to_vec());
}

#[test]
fn resolve_dirty_inputs() {
    // Arrondissements of Paris, Lyon, Marseille give the commune...
    assert_eq!(resolved(Some("13011"), Some("MARSEILLE 11")), Some("13055"));
    assert_eq!(resolved(Some("69003"), Some("Lyon 3e")), Some("69123"));
    assert_eq!(resolved(Some("75015"), Some("PARIS")), Some("75056"));
    // ...and resoudre_code_insee the arrondissement when it can be told.
    assert_eq!(
        resolved_code(Some("13011"), Some("MARSEILLE 11")),
        Some("13211")
    );
    assert_eq!(resolved_code(Some("13011"), None), Some("13211"));
    assert_eq!(resolved_code(Some("69003"), Some("Lyon 3e")), Some("69383"));
    assert_eq!(resolved_code(Some("69003"), Some("LYON")), Some("69383"));
    assert_eq!(resolved_code(Some("75015"), Some("Paris")), Some("75115"));
    assert_eq!(
        resolved_code(Some("75016"), Some("PARIS 16E ARRONDISSEMENT")),
        Some("75116")
    );
    assert_eq!(resolved_code(Some("75116"), Some("Paris")), Some("75116"));
    assert_eq!(resolved_code(None, Some("Marseille 1er")), Some("13201"));
    assert_eq!(
        resolved_code(Some("69441"), Some("LYON CEDEX 03")),
        Some("69123")
    );
    assert_eq!(
        resolved_code(Some("31000"), Some("Toulouse")),
        Some("31555")
    );

    // Case, hyphens, abbreviations.
    assert_eq!(
        resolved(Some("73100"), Some("Aix les bains")),
        Some("73008")
    );
    assert_eq!(resolved(Some("42000"), Some("ST ETIENNE")), Some("42218"));
    assert_eq!(
        resolved(Some("69110"), Some("STE FOY LES LYON")),
        Some("69202")
    );
    // A postal code shared by several communes: the name decides.
    assert_eq!(resolved(Some("73100"), Some("TRESSERVE")), Some("73300"));
    assert_eq!(resolved(Some("73100"), None), None);
    // CEDEX.
    assert_eq!(resolved(Some("54042"), Some("NANCY CEDEX")), Some("54395"));
    assert_eq!(
        resolved(Some("46010"), Some("CAHORS CEDEX 9")),
        Some("46042")
    );
    assert_eq!(
        resolved(Some("59508"), Some("DOUAI CEDEX BP 80809")),
        Some("59178")
    );
    assert_eq!(
        resolved(Some("30252Cedex"), Some("Sommières")),
        Some("30321")
    );
    // A wrong postal code, the name being unique in its département.
    assert_eq!(resolved(Some("62340"), Some("Ardres")), Some("62038"));
    // A postal code that lost its leading zero.
    assert_eq!(
        resolved(Some("1000"), Some("Bourg-en-Bresse")),
        Some("01053")
    );
    // A postal code with a digit too many.
    assert_eq!(resolved(Some("380000"), Some("Grenoble")), Some("38185"));
    // A postal code that does not exist: a name unique in France.
    assert_eq!(
        resolved(Some("06922"), Some("Belleville-en-Beaujolais")),
        Some("69019")
    );
    assert_eq!(
        resolved(None, Some("Belleville-en-Beaujolais")),
        Some("69019")
    );
    assert_eq!(
        resolved(None, Some("Saint-Martin")),
        None,
        "several communes"
    );
    // Typos among the communes of the postal code.
    assert_eq!(resolved(Some("62330"), Some("Isbergue")), Some("62473"));
    assert_eq!(
        resolved(Some("12850"), Some("0NET LE CHATEAU")),
        Some("12176")
    );
    // A former commune whose postal code serves one commune today.
    assert_eq!(resolved(Some("59240"), Some("ROSENDAEL")), Some("59183"));
    // "Mairie de".
    assert_eq!(
        resolved(Some("62129"), Some("MAIRIE DE THEROUANNE")),
        Some("62811")
    );
    // Corsica: postal codes 20xxx for both départements.
    assert_eq!(resolved(Some("20000"), Some("Ajaccio")), Some("2A004"));
    assert_eq!(resolved(Some("20200"), Some("BASTIA")), Some("2B033"));
    // Overseas.
    assert_eq!(
        resolved(Some("97133"), Some("Saint-Barthélemy")),
        Some("97701")
    );
    assert_eq!(resolved(Some("97150"), Some("ST MARTIN")), Some("97801"));
    assert_eq!(resolved(Some("97300"), Some("CAYENNE")), Some("97302"));
    // Nothing to go on, or nothing that fits.
    assert_eq!(resolved(None, None), None);
    assert_eq!(resolved(Some(""), Some("")), None);
    assert_eq!(resolved(Some("00000"), Some("Nulle-Part-sur-Rien")), None);
    assert_eq!(resolved(Some("59260"), Some("HELLEMMES")), None);
}

#[test]
fn resolve_overseas_collectivities() {
    // Nouvelle-Calédonie: INSEE codes 988xx, postal codes 988xx, different.
    assert_eq!(resolved(Some("98800"), Some("Nouméa")), Some("98818"));
    assert_eq!(resolved(Some("98800"), Some("NOUMEA")), Some("98818"));
    assert_eq!(resolved(Some("98800"), None), Some("98818"));
    // Le Mont-Dore with Nouméa's postal code, as in the 2024 NC file.
    assert_eq!(resolved(Some("98800"), Some("Mont-Dore")), Some("98817"));
    assert_eq!(resolved(Some("98809"), Some("Mont-Dore")), Some("98817"));
    assert_eq!(resolved(Some("98811"), Some("Belep")), Some("98801"));
    // Polynésie: one postal code for the three communes of Raiatea.
    assert_eq!(resolved(Some("98735"), Some("Uturoa")), Some("98758"));
    assert_eq!(resolved(Some("98735"), Some("TUMARAA")), Some("98754"));
    assert_eq!(resolved(Some("98735"), None), None);
    // Wallis-et-Futuna.
    assert_eq!(resolved(Some("98600"), Some("UVEA")), Some("98613"));
    assert_eq!(resolved(Some("98610"), Some("Alo")), Some("98611"));
}

#[test]
fn nearest_commune() {
    let r = referentiel();
    let capitole = point(43.6045, 1.4440);
    assert_eq!(
        r.commune_la_plus_proche(capitole)
            .map(|c| c.code_insee.as_str()),
        Some("31555")
    );
    let tour_eiffel = point(48.8584, 2.2945);
    assert_eq!(
        r.commune_la_plus_proche(tour_eiffel)
            .map(|c| c.code_insee.as_str()),
        Some("75056")
    );
    // The centroid of Cayenne lies north-west of the town, whose centre is
    // nearer to the centroid of Remire-Montjoly: an approximation.
    let cayenne = point(5.028, -52.507);
    assert_eq!(
        r.commune_la_plus_proche(cayenne)
            .map(|c| c.code_insee.as_str()),
        Some("97302")
    );
    let saint_denis_reunion = point(-20.8789, 55.4481);
    assert_eq!(
        r.commune_la_plus_proche(saint_denis_reunion)
            .map(|c| c.code_insee.as_str()),
        Some("97411")
    );
    // No centroid in the data for Nouvelle-Calédonie: no answer rather than
    // a commune on the other side of the world.
    let noumea = point(-22.2758, 166.4580);
    assert!(r.commune_la_plus_proche(noumea).is_none());
    let (_, distance) = r.communes_les_plus_proches(noumea, 1)[0];
    assert!(distance > NEAREST_COMMUNE_MAX_DISTANCE_M);
    // In the Atlantic.
    assert!(r.commune_la_plus_proche(point(45.0, -30.0)).is_none());

    let around = r.communes_les_plus_proches(capitole, 5);
    assert_eq!(around.len(), 5);
    assert_eq!(around[0].0.code_insee, "31555");
    assert!(around.windows(2).all(|w| w[0].1 <= w[1].1));
}

#[test]
fn territory_parsing_and_containment() {
    let r = referentiel();
    let france = r.territoire("fr").expect("fr");
    assert_eq!(france, Territoire::France);
    assert_eq!(france.nom(), "France");
    assert_eq!(france.code(), None);
    assert!(france.contient("98818"));
    assert!(france.contient("13211"));
    assert!(!france.contient("99999"));

    let occitanie = r.territoire("reg:76").expect("reg:76");
    assert_eq!(occitanie.nom(), "Occitanie");
    assert!(occitanie.contient("31555"));
    assert!(!occitanie.contient("75056"));

    let haute_garonne = r.territoire("dep:31").expect("dep:31");
    assert_eq!(haute_garonne.nom(), "Haute-Garonne");
    assert_eq!(haute_garonne.code(), Some("31"));
    assert!(haute_garonne.contient("31555"));
    assert!(!haute_garonne.contient("32013"));
    assert!(!haute_garonne.contient("unknown"));

    let corse_du_sud = r.territoire("dep:2a").expect("dep:2a");
    assert_eq!(corse_du_sud.to_string(), "dep:2A");
    assert!(corse_du_sud.contient("2A004"));
    assert!(!corse_du_sud.contient("2B033"));

    let toulouse_metropole = r.territoire("epci:243100518").expect("epci");
    assert_eq!(toulouse_metropole.nom(), "Toulouse Métropole");
    assert!(toulouse_metropole.contient("31555"));
    assert!(toulouse_metropole.contient("31069"), "Blagnac");
    assert!(!toulouse_metropole.contient("31395"), "Muret");
    assert!(!toulouse_metropole.contient("98818"));

    let lyon_metropole = r.territoire("epci:200046977").expect("Métropole de Lyon");
    assert!(
        lyon_metropole.contient("69383"),
        "an arrondissement counts as its commune"
    );

    let toulouse = r.territoire(" COMMUNE:31555 ").expect("commune");
    assert_eq!(toulouse.to_string(), "commune:31555");
    assert!(toulouse.contient("31555"));
    assert!(!toulouse.contient("31069"));
    let marseille = r.territoire("commune:13211").expect("arrondissement");
    assert_eq!(marseille.code(), Some("13055"));
    assert!(marseille.contient("13055"));
    assert!(marseille.contient("13201"));

    let noumea = r.territoire("commune:98818").expect("Nouméa");
    assert!(r.territoire("dep:988").expect("NC").contient("98818"));
    assert!(r.contient(&noumea, "98818"));
    assert_eq!(r.communes_of_territoire(&noumea).len(), 1);
    assert_eq!(
        r.communes_of_territoire(&haute_garonne).len(),
        r.communes_of_departement("31").len()
    );
    assert_eq!(r.communes_of_territoire(&france).len(), 34_969);
    assert_eq!(r.communes_of_territoire(&toulouse_metropole).len(), 37);
}

#[test]
fn territory_errors_are_in_french() {
    let r = referentiel();
    let expected = "(attendu fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE)";
    let error = r.territoire("dep:999").expect_err("unknown");
    assert_eq!(error, TerritoireError::Inconnu("dep:999".to_owned()));
    assert_eq!(
        error.to_string(),
        format!("territoire inconnu : « dep:999 » {expected}")
    );
    for unknown in ["reg:99", "epci:123", "commune:75000", "commune:31 555"] {
        assert!(
            matches!(r.territoire(unknown), Err(TerritoireError::Inconnu(_))),
            "{unknown}"
        );
    }
    for invalid in [
        "",
        "31",
        "dep",
        "dep:",
        "departement:31",
        "france:fr",
        ":31",
    ] {
        let error = r.territoire(invalid).expect_err("invalid");
        assert_eq!(
            error,
            TerritoireError::Invalide(invalid.to_owned()),
            "{invalid}"
        );
        assert_eq!(
            error.to_string(),
            format!("territoire invalide : « {invalid} » {expected}")
        );
    }
}

#[test]
fn territory_from_str_display_and_serde() {
    for text in [
        "fr",
        "reg:76",
        "dep:31",
        "dep:2A",
        "epci:243100633",
        "commune:31555",
    ] {
        let territoire: Territoire = text.parse().expect(text);
        assert_eq!(territoire.to_string(), text);
        let json = serde_json::to_string(&territoire).expect("serialize");
        assert_eq!(json, format!("\"{text}\""));
        let back: Territoire = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, territoire);
    }
    let error = serde_json::from_str::<Territoire>("\"dep:999\"").expect_err("unknown");
    assert!(
        error
            .to_string()
            .contains("territoire inconnu : « dep:999 »"),
        "{error}"
    );
    assert!("dep:999".parse::<Territoire>().is_err());
}

#[test]
fn serialisation_of_referential_types() {
    let r = referentiel();
    let json = serde_json::to_value(r.commune("31555").expect("Toulouse")).expect("serialize");
    assert_eq!(json["code_insee"], "31555");
    assert_eq!(json["zone"], "metro");
    assert_eq!(json["centre"]["lat"], 43.59604);
    let json = serde_json::to_value(r.epci("200046977").expect("Lyon")).expect("serialize");
    assert_eq!(json["kind"], "MET69");
}

#[test]
fn embedded_indicators_are_readable() {
    let mut text = String::new();
    embedded_indicateurs_communes_csv()
        .read_to_string(&mut text)
        .expect("valid gzip and UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "code_insee,nom,code_insee_actuel,part_sans_diplome_15_plus,part_menages_une_personne,\
             part_familles_monoparentales,part_65_plus_parmi_15_plus,part_moins_25_parmi_15_plus,\
             couverture_thd,taux_pauvrete"
        )
    );
    assert_eq!(lines.count(), 35_405);
}

#[test]
fn premiere_utilisation_typos_get_suggestions() {
    let r = referentiel();
    for (typed, expected) in [
        ("Saint-Gaudins", "31483"),
        ("Marseile", "13055"),
        ("lile", "59350"),
        ("Toulousse", "31555"),
    ] {
        assert!(
            r.rechercher(typed, 5).is_empty(),
            "{typed} is no name prefix"
        );
        let suggested = codes(&r.suggerer(typed, 5));
        assert_eq!(
            suggested.first().map(String::as_str),
            Some(expected),
            "{typed}: {suggested:?}"
        );
    }
    // Nothing close: nothing suggested; too short: nothing either.
    assert!(r.suggerer("xyzzyqwv", 5).is_empty());
    assert!(r.suggerer("li", 5).is_empty());
}

#[test]
fn premiere_utilisation_name_with_its_code_is_accepted() {
    assert_eq!(search("Saint-Gaudens (31800)", 5), vec!["31483"]);
    assert_eq!(search("31000 Toulouse", 5), vec!["31555"]);
    assert_eq!(search("Toulouse 31000", 5), vec!["31555"]);
    assert_eq!(search("Nouméa (98800)", 5), vec!["98818"]);
    // A département in parentheses picks among homonyms.
    assert_eq!(search("Saint-Denis (974)", 1), vec!["97411"]);
    assert_eq!(search("Saint-Denis (93)", 1), vec!["93066"]);
    // A wrong postal code still finds the name.
    assert_eq!(search("Saint-Gaudens (31000)", 1), vec!["31483"]);
}

#[test]
fn premiere_utilisation_overseas_chefs_lieux_are_found() {
    let r = referentiel();
    assert_eq!(search("Mata-Utu", 5), vec!["98613"]);
    assert_eq!(search("mata utu", 5), vec!["98613"]);
    assert_eq!(search("Papeete", 1), vec!["98735"]);
    assert_eq!(search("Nouméa", 1), vec!["98818"]);
    assert_eq!(search("98800", 1), vec!["98818"]);
    assert_eq!(codes(&r.suggerer("Mata Uttu", 1)), vec!["98613"]);
}
