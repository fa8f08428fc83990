use super::*;
use crate::synthetique::{generer_avec, Alea};
use chrono::NaiveDate;
use maillage_domain::{
    CodeInsee, CodePostal, DispositifProgrammeNational, Itinerance, Localisation, ModaliteAcces,
    Pivot, Service, Telephone, Typologie,
};
use maillage_territoire::Referentiel;

/// A bare record; tests fill what they compare.
fn lieu(
    source: &str,
    id: &str,
    nom: &str,
    adresse: &str,
    cp: &str,
    point: (f64, f64),
) -> LieuSource {
    LieuSource {
        source: source.into(),
        lieu: Lieu {
            id: id.into(),
            pivot: Pivot::Absent,
            nom: nom.into(),
            commune: "Valserhône".into(),
            code_postal: CodePostal::parse(cp).expect("test postal code"),
            code_insee: None,
            adresse: adresse.into(),
            complement_adresse: None,
            localisation: Localisation::new(point.0, point.1),
            typologie: vec![],
            telephone: None,
            courriels: vec![],
            site_web: vec![],
            horaires: None,
            presentation_resume: None,
            presentation_detail: None,
            source: None,
            itinerance: vec![],
            structure_parente: None,
            date_maj: NaiveDate::from_ymd_opt(2022, 6, 1).expect("date"),
            services: vec![],
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
        },
    }
}

fn tel(s: &str) -> Option<Telephone> {
    Some(Telephone::parse(s, None).expect("test phone"))
}

/// Moves a point by metres north and east.
fn decale(p: (f64, f64), nord_m: f64, est_m: f64) -> (f64, f64) {
    (
        p.0 + nord_m / 111_195.0,
        p.1 + est_m / (111_195.0 * p.0.to_radians().cos()),
    )
}

const VALSERHONE: (f64, f64) = (46.1060711578546, 5.8260084241619);

fn meme_groupe(r: &ResultatDoublons, lieux: &[LieuSource], a: usize, b: usize) -> bool {
    let (ra, rb) = (lieux[a].reference(), lieux[b].reference());
    r.fusionnes
        .iter()
        .any(|f| f.membres.contains(&ra) && f.membres.contains(&rb))
}

fn france_services_deux_sources() -> Vec<LieuSource> {
    let mut fs = lieu(
        "france-services",
        "1",
        "France services de Valserhône",
        "5-9 Rue des Papetiers",
        "01200",
        VALSERHONE,
    );
    fs.lieu.code_insee = CodeInsee::parse("01033").ok();
    fs.lieu.telephone = tel("04 50 56 87 49");
    fs.lieu.courriels = vec!["franceservices@ccpb01.fr".into()];
    fs.lieu.itinerance = vec![Itinerance::Fixe];
    fs.lieu.date_maj = NaiveDate::from_ymd_opt(2022, 12, 1).expect("date");
    let mut cnfs = lieu(
        "conseillers-numeriques",
        "62592a1d05457b0790816e6c",
        "Maison France Services Valserhône",
        "7 r. des papetiers",
        "01200",
        decale(VALSERHONE, 30.0, 25.0),
    );
    cnfs.lieu.telephone = tel("+33 4 50 56 87 49");
    cnfs.lieu.services = vec![
        Service::AideAuxDemarchesAdministratives,
        Service::MaitriseDesOutilsNumeriquesDuQuotidien,
    ];
    cnfs.lieu.date_maj = NaiveDate::from_ymd_opt(2022, 7, 1).expect("date");
    vec![fs, cnfs]
}

#[test]
fn a_france_services_in_two_sources_is_one_place() {
    let lieux = france_services_deux_sources();
    let e = expliquer(&lieux[0], &lieux[1]);
    assert!(e.decision, "{e:#?}");
    // Every criterion is named, valued and explained.
    let noms: Vec<&str> = e.criteres.iter().map(|c| c.nom).collect();
    for n in ["nom", "categorie", "adresse", "distance", "telephone"] {
        assert!(noms.contains(&n), "{n} missing in {noms:?}");
    }
    assert!(e
        .criteres
        .iter()
        .all(|c| !c.raison.is_empty() && !c.valeur.is_empty()));
    let total: f64 = e.criteres.iter().map(|c| c.points).sum();
    assert!((total - e.score).abs() < 1e-9);

    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(r.groupes, vec![vec![0, 1]]);
    assert_eq!(r.fusionnes.len(), 1);
    assert_eq!(r.paires_retenues, 1);
    // The explanation in the corpus agrees with the pair alone (no shared value elsewhere).
    let corpus = Corpus::preparer(&lieux, &OptionsDoublons::default());
    assert_eq!(corpus.expliquer(0, 1).map(|x| x.score), Some(e.score));
}

#[test]
fn two_structures_in_one_building_stay_apart() {
    let p = (45.7640, 4.8357);
    let mut media = lieu(
        "hinaura",
        "10",
        "Médiathèque Jean Moulin",
        "3 place de la République",
        "69001",
        p,
    );
    media.lieu.services = vec![
        Service::LoisirsEtCreationsNumeriques,
        Service::AccesInternetEtMaterielInformatique,
    ];
    media.lieu.telephone = tel("04 72 00 00 01");
    media.lieu.typologie = vec![Typologie::Bib];
    let mut cs = lieu(
        "dora",
        "cs-1",
        "Centre social Les Tilleuls",
        "3 pl. de la République",
        "69001",
        decale(p, 3.0, 2.0),
    );
    cs.lieu.services = vec![Service::AideAuxDemarchesAdministratives];
    cs.lieu.telephone = tel("04 72 00 00 02");
    cs.lieu.typologie = vec![Typologie::Cs];
    let lieux = vec![media, cs];
    let e = expliquer(&lieux[0], &lieux[1]);
    assert!(!e.decision, "{e:#?}");
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert!(r.groupes.is_empty());
    assert_eq!(r.fusionnes.len(), 2);
    assert_eq!(r.paires_candidates, 1, "same building: they are compared");

    // Even sharing the building's switchboard they stay apart.
    let mut lieux = lieux;
    lieux[1].lieu.telephone = lieux[0].lieu.telephone.clone();
    assert!(!expliquer(&lieux[0], &lieux[1]).decision);
}

#[test]
fn same_name_two_km_apart_with_the_same_phone_is_one_place() {
    // A geocoding error: same name, same address text, same phone, points 2 km apart.
    let p = (43.6045, 1.4440);
    let mut a = lieu(
        "hinaura",
        "cube",
        "Espace numérique Le Cube",
        "12 rue des Arts",
        "31000",
        p,
    );
    a.lieu.telephone = tel("05 61 00 00 00");
    let mut b = lieu(
        "dora",
        "le-cube",
        "Le Cube",
        "12 Rue des Arts",
        "31000",
        decale(p, 1400.0, 1400.0),
    );
    b.lieu.telephone = tel("+33561000000");
    let lieux = vec![a, b];
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(
        r.groupes,
        vec![vec![0, 1]],
        "{:#?}",
        expliquer(&lieux[0], &lieux[1])
    );
    // Found through the phone block: they are not spatial neighbours.
    assert_eq!(r.stats.blocage.paires_espace, 0);
}

/// Three records of one place: each pair matches strongly.
fn trois_fiches() -> Vec<LieuSource> {
    let p = (48.8566, 2.3522);
    let mut v = Vec::new();
    for (k, source) in ["a", "b", "c"].iter().enumerate() {
        let mut l = lieu(
            source,
            "1",
            "Tiers-lieu La Ruche",
            "24 rue de Rivoli",
            "75004",
            decale(p, k as f64 * 5.0, 0.0),
        );
        l.lieu.telephone = tel("01 42 00 00 00");
        v.push(l);
    }
    v
}

#[test]
fn a_refused_pair_is_never_merged_even_through_a_third_record() {
    let lieux = trois_fiches();
    let sans = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(sans.groupes, vec![vec![0, 1, 2]]);
    let decisions = vec![("b#1".to_string(), "a#1".to_string(), Decision::Refusee)];
    let r = dedupliquer(&lieux, &decisions, &OptionsDoublons::default());
    assert!(!meme_groupe(&r, &lieux, 0, 1));
    // The third one joins one of them, not both.
    assert_eq!(r.groupes.len(), 1);
    assert_eq!(r.groupes[0].len(), 2);
    assert!(r.stats.groupes.unions_refusees_decision >= 1);
    // A confirmation cannot override a refusal, even through a chain.
    let decisions = vec![
        ("a#1".to_string(), "b#1".to_string(), Decision::Refusee),
        ("a#1".to_string(), "c#1".to_string(), Decision::Confirmee),
        ("c#1".to_string(), "b#1".to_string(), Decision::Confirmee),
    ];
    let r = dedupliquer(&lieux, &decisions, &OptionsDoublons::default());
    assert!(!meme_groupe(&r, &lieux, 0, 1));
    assert_eq!(r.stats.groupes.conflits_decisions, 1);
}

#[test]
fn a_confirmed_pair_is_merged_even_with_a_low_score() {
    let a = lieu(
        "x",
        "1",
        "Médiathèque Jean Moulin",
        "1 rue A",
        "01200",
        VALSERHONE,
    );
    let b = lieu(
        "y",
        "2",
        "Centre social Les Tilleuls",
        "9 avenue B",
        "01200",
        decale(VALSERHONE, 5000.0, 0.0),
    );
    let lieux = vec![a, b];
    assert!(expliquer(&lieux[0], &lieux[1]).score < 0.0);
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert!(r.groupes.is_empty());
    let decisions = vec![("y#2".to_string(), "x#1".to_string(), Decision::Confirmee)];
    let r = dedupliquer(&lieux, &decisions, &OptionsDoublons::default());
    assert_eq!(r.groupes, vec![vec![0, 1]]);
    // Unknown refs are counted and ignored.
    let decisions = vec![("z#9".to_string(), "x#1".to_string(), Decision::Confirmee)];
    let r = dedupliquer(&lieux, &decisions, &OptionsDoublons::default());
    assert_eq!(r.stats.decisions_inconnues, 1);
}

#[test]
fn groups_do_not_grow_by_chaining() {
    // A (Auby) ~ B (no point, same phone as A), B ~ C (Cuincy, same e-mail as B), but A and C
    // are two homonymous libraries of two communes 4 km apart with different SIRENs.
    let auby = (50.4146, 3.0540);
    let mut a = lieu(
        "s1",
        "a",
        "Médiathèque Louis Aragon",
        "1 rue Jean Jaurès",
        "59950",
        auby,
    );
    a.lieu.commune = "Auby".into();
    a.lieu.code_insee = CodeInsee::parse("59028").ok();
    a.lieu.telephone = tel("03 27 00 00 01");
    a.lieu.pivot = Pivot::parse("43493312300029").expect("siret");
    let mut b = lieu(
        "s2",
        "b",
        "Médiathèque Louis Aragon",
        "",
        "59950",
        (0.0, 0.0),
    );
    b.lieu.commune = "Auby".into();
    b.lieu.telephone = tel("03 27 00 00 01");
    b.lieu.courriels = vec!["mediatheque@reseau-douaisis.fr".into()];
    let mut c = lieu(
        "s3",
        "c",
        "Médiathèque Louis Aragon",
        "5 place de la Gare",
        "59553",
        decale(auby, -4000.0, 500.0),
    );
    c.lieu.commune = "Cuincy".into();
    c.lieu.code_insee = CodeInsee::parse("59165").ok();
    c.lieu.courriels = vec!["mediatheque@reseau-douaisis.fr".into()];
    c.lieu.pivot = Pivot::parse("35600000000048").expect("siret");
    let lieux = vec![a, b, c];
    assert!(expliquer(&lieux[0], &lieux[1]).decision);
    assert!(
        expliquer(&lieux[1], &lieux[2]).decision,
        "{:#?}",
        expliquer(&lieux[1], &lieux[2])
    );
    assert!(expliquer(&lieux[0], &lieux[2]).score < -2.0);
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert!(!meme_groupe(&r, &lieux, 0, 2), "{:?}", r.groupes);
    assert_eq!(r.groupes.len(), 1);
    assert!(r.stats.groupes.unions_refusees_chainage >= 1);
    // Without the rule, the chain would have merged them.
    let laxiste = OptionsDoublons {
        liaison_min: f64::NEG_INFINITY,
        liaison_moyenne_min: f64::NEG_INFINITY,
        ..OptionsDoublons::default()
    };
    let r = dedupliquer(&lieux, &[], &laxiste);
    assert_eq!(r.groupes, vec![vec![0, 1, 2]]);
}

#[test]
fn a_bus_is_not_its_fixed_site() {
    let mut fixe = lieu(
        "france-services",
        "10",
        "France services de Donzère",
        "2 place Diderot",
        "26290",
        VALSERHONE,
    );
    fixe.lieu.telephone = tel("04 75 00 00 00");
    fixe.lieu.itinerance = vec![Itinerance::Fixe];
    let mut bus = lieu(
        "france-services",
        "11",
        "Bus France services de Donzère",
        "2 place Diderot",
        "26290",
        VALSERHONE,
    );
    bus.lieu.telephone = tel("04 75 00 00 00");
    bus.lieu.itinerance = vec![Itinerance::Itinerant];
    let e = expliquer(&fixe, &bus);
    assert!(!e.decision, "{e:#?}");
    assert!(e
        .criteres
        .iter()
        .any(|c| c.nom == "itinerance" && c.points < 0.0));
}

#[test]
fn a_copied_record_is_recognised_by_its_id() {
    let mut cnfs = lieu(
        "conseillers-numeriques",
        "62bda1e73e465606de19afa3",
        "Mairie de Marquion",
        "Place de la Mairie",
        "62860",
        VALSERHONE,
    );
    cnfs.lieu.source = Some("conseiller-numerique".into());
    let hdf = lieu(
        "hauts-de-france",
        "62bda1e73e465606de19afa3-mediation-numerique-conseiller-numerique",
        "Commune de Marquion - accueil",
        "1 rue de l'Église",
        "62860",
        decale(VALSERHONE, 900.0, 0.0),
    );
    let lieux = vec![cnfs, hdf];
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(
        r.groupes,
        vec![vec![0, 1]],
        "{:#?}",
        expliquer(&lieux[0], &lieux[1])
    );
    assert!(r.stats.blocage.paires_identifiants >= 1);
}

#[test]
fn merge_takes_the_most_recent_values_unites_lists_and_keeps_provenance() {
    let mut lieux = france_services_deux_sources();
    // The CNFS record is older but has services, hours and a second e-mail.
    lieux[1].lieu.courriels = vec!["FranceServices@ccpb01.fr".into(), "cnfs@ccpb01.fr".into()];
    lieux[1].lieu.horaires = maillage_domain::Horaires::new("Mo-Fr 09:00-12:00");
    lieux[1].lieu.modalites_acces = vec![ModaliteAcces::PasDePublic];
    lieux[0].lieu.modalites_acces = vec![ModaliteAcces::SePresenter];
    lieux[0].lieu.services = vec![
        Service::AccesInternetEtMaterielInformatique,
        Service::AideAuxDemarchesAdministratives,
    ];
    lieux[1].lieu.localisation = lieux[1].lieu.localisation.map(|mut p| {
        p.approximative = false;
        p
    });
    lieux[0].lieu.localisation = lieux[0].lieu.localisation.map(|mut p| {
        p.approximative = true;
        p
    });
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(r.fusionnes.len(), 1);
    let f = &r.fusionnes[0];
    let (fs, cnfs) = (
        "france-services#1",
        "conseillers-numeriques#62592a1d05457b0790816e6c",
    );
    assert_eq!(f.membres, vec![cnfs.to_string(), fs.to_string()]);
    assert_eq!(f.id, identifiant(cnfs));
    assert_eq!(f.lieu.id, f.id);
    assert!(f.id.starts_with("lieu-") && f.id.len() == 21);
    assert_eq!(
        f.lieu.source.as_deref(),
        Some("conseillers-numeriques|france-services")
    );
    // The France services record is the most recent: its name, address, phone win.
    assert_eq!(f.lieu.nom, "France services de Valserhône");
    assert_eq!(f.provenance.get("nom").map(String::as_str), Some(fs));
    assert_eq!(f.lieu.adresse, "5-9 Rue des Papetiers");
    assert_eq!(
        f.lieu.date_maj,
        NaiveDate::from_ymd_opt(2022, 12, 1).expect("date")
    );
    // Empty never overrides: hours only exist in the older record.
    assert_eq!(
        f.lieu.horaires.as_ref().map(|h| h.brut.as_str()),
        Some("Mo-Fr 09:00-12:00")
    );
    assert_eq!(f.provenance.get("horaires").map(String::as_str), Some(cnfs));
    assert_eq!(
        f.lieu.code_insee.as_ref().map(|c| c.as_str()),
        Some("01033")
    );
    // Lists are united, most recent first, without duplicates (e-mails case-insensitive).
    assert_eq!(
        f.lieu.services,
        vec![
            Service::AccesInternetEtMaterielInformatique,
            Service::AideAuxDemarchesAdministratives,
            Service::MaitriseDesOutilsNumeriquesDuQuotidien
        ]
    );
    assert_eq!(
        f.provenance.get("services").map(String::as_str),
        Some(format!("{fs}|{cnfs}").as_str())
    );
    assert_eq!(
        f.lieu.courriels,
        vec![
            "franceservices@ccpb01.fr".to_string(),
            "cnfs@ccpb01.fr".to_string()
        ]
    );
    // "No public" contradicts "se présenter": dropped.
    assert_eq!(f.lieu.modalites_acces, vec![ModaliteAcces::SePresenter]);
    // The precise point wins over the approximate one, even from an older record.
    assert_eq!(f.lieu.localisation, lieux[1].lieu.localisation);
    assert_eq!(f.provenance.get("latitude").map(String::as_str), Some(cnfs));
    assert_eq!(f.provenance_de("telephone"), Some(fs));
}

#[test]
fn ties_on_date_are_broken_by_source_priority_then_ref() {
    let mut lieux = trois_fiches();
    lieux[0].lieu.nom = "Tiers-lieu La Ruche (a)".into();
    lieux[1].lieu.nom = "Tiers-lieu La Ruche (b)".into();
    lieux[2].lieu.nom = "Tiers-lieu La Ruche (c)".into();
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(r.fusionnes[0].lieu.nom, "Tiers-lieu La Ruche (a)");
    let options = OptionsDoublons {
        priorite_sources: vec!["c".into(), "b".into()],
        ..OptionsDoublons::default()
    };
    let r = dedupliquer(&lieux, &[], &options);
    assert_eq!(r.fusionnes[0].lieu.nom, "Tiers-lieu La Ruche (c)");
}

#[test]
fn singletons_are_published_places_too() {
    let lieux = vec![lieu("x", "1", "Le Cube", "1 rue A", "01200", VALSERHONE)];
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(r.fusionnes.len(), 1);
    let f = &r.fusionnes[0];
    assert_eq!(f.membres, vec!["x#1".to_string()]);
    assert_eq!(f.id, identifiant("x#1"));
    assert_eq!(f.lieu.id, f.id);
    assert_eq!(f.lieu.source.as_deref(), Some("x"));
    assert_eq!(f.provenance_de("nom"), Some("x#1"));
    assert!(r.groupes.is_empty());
    let t = groupes_tableau(&r, &lieux);
    assert!(t.lignes.is_empty());
    assert_eq!(t.colonnes[0], "Groupe (identifiant publié)");
}

#[test]
fn groupes_tableau_lists_every_member_of_every_group() {
    let mut lieux = trois_fiches();
    lieux.extend(france_services_deux_sources());
    lieux.push(lieu(
        "x",
        "seul",
        "Le Cube",
        "1 rue A",
        "01200",
        (44.0, 1.0),
    ));
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    assert_eq!(r.groupes.len(), 2);
    // The CSV of the product's convention, read back as a spreadsheet would.
    let octets = groupes_tableau(&r, &lieux).csv().expect("csv");
    assert!(octets.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM for Excel");
    let texte = String::from_utf8(octets.clone()).expect("utf-8");
    assert!(texte.contains("\r\n") && texte.contains(';'));
    let (entetes, lignes) = crate::tableur::lire_csv(&octets).expect("read back");
    assert_eq!(
        entetes,
        ["Groupe (identifiant publié)", "Référence", "Source", "Nom"]
    );
    assert_eq!(lignes.len(), 5);
    let paires: Vec<(String, String)> = lignes
        .iter()
        .map(|l| (l[0].clone(), l[1].clone()))
        .collect();
    let ruche = identifiant("a#1");
    let fs = identifiant("conseillers-numeriques#62592a1d05457b0790816e6c");
    for attendu in [
        (ruche.clone(), "a#1"),
        (ruche.clone(), "b#1"),
        (ruche, "c#1"),
        (
            fs.clone(),
            "conseillers-numeriques#62592a1d05457b0790816e6c",
        ),
        (fs, "france-services#1"),
    ] {
        assert!(
            paires.contains(&(attendu.0.clone(), attendu.1.to_string())),
            "{attendu:?} in {texte}"
        );
    }
    // Source and name of each member.
    let fs_ligne = lignes
        .iter()
        .find(|l| l[1] == "france-services#1")
        .expect("row");
    assert_eq!(fs_ligne[2], "france-services");
    assert!(!fs_ligne[3].is_empty(), "the member's name");
    assert!(!texte.contains("x#seul"));
}

fn melanger<T>(v: &mut [T], alea: &mut Alea) {
    for i in (1..v.len()).rev() {
        let j = alea.entier(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

/// The published places as (id, members), sorted.
fn publies(r: &ResultatDoublons) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> = r
        .fusionnes
        .iter()
        .map(|f| (f.id.clone(), f.membres.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn ids_and_groups_do_not_depend_on_input_order() {
    let synthese = generer_avec(Referentiel::embedded().communes(), 4_000, 0.1, 3);
    let mut lieux = synthese.lieux;
    let options = OptionsDoublons::default();
    let reference = dedupliquer(&lieux, &[], &options);
    assert!(reference.groupes.len() > 100);
    let attendu = publies(&reference);
    let mut alea = Alea::new(99);
    for _ in 0..3 {
        melanger(&mut lieux, &mut alea);
        let r = dedupliquer(&lieux, &[], &options);
        assert_eq!(publies(&r), attendu);
        // The merged places themselves are identical.
        let mut a = r.fusionnes.clone();
        a.sort_by(|x, y| x.id.cmp(&y.id));
        assert_eq!(a, reference.fusionnes);
    }
}

#[test]
fn the_owning_variant_gives_the_same_result() {
    let synthese = generer_avec(Referentiel::embedded().communes(), 3_000, 0.1, 4);
    let decisions = vec![(
        synthese.doublons[0].0.clone(),
        synthese.doublons[0].1.clone(),
        Decision::Refusee,
    )];
    let a = dedupliquer(&synthese.lieux, &decisions, &OptionsDoublons::default());
    let mut b = dedupliquer_possede(
        synthese.lieux.clone(),
        &decisions,
        &OptionsDoublons::default(),
    );
    b.stats = a.stats.clone(); // timings differ
    assert_eq!(a, b);
}

#[test]
fn ids_stay_while_the_group_keeps_its_anchor() {
    // Re-import: a new record joins the group; the smallest ref stays, so the id stays.
    let lieux = france_services_deux_sources();
    let avant = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    let mut plus = lieux.clone();
    let mut hinaura = lieux[0].clone();
    hinaura.source = "hinaura".into();
    hinaura.lieu.id = "218".into();
    plus.push(hinaura);
    let apres = dedupliquer(&plus, &[], &OptionsDoublons::default());
    assert_eq!(apres.fusionnes.len(), 1);
    assert_eq!(apres.fusionnes[0].membres.len(), 3);
    assert_eq!(apres.fusionnes[0].id, avant.fusionnes[0].id);
}

#[test]
fn candidate_generation_is_near_linear_in_a_dense_commune() {
    // 20,000 places in ONE commune, within 1.5 km, names from a small vocabulary, a few
    // shared identifiers, and 2,000 of them on one geocoded point.
    let n = 20_000;
    let mut alea = Alea::new(5);
    let centre = (48.8566, 2.3522);
    let prenoms = [
        "jean", "marie", "louis", "paul", "anne", "pierre", "jacques", "rose",
    ];
    let noms = [
        "moulin", "curie", "hugo", "zola", "sand", "verne", "camus", "aragon",
    ];
    let genres = [
        "Médiathèque",
        "Centre social",
        "Association",
        "Espace",
        "Maison de quartier",
    ];
    let mut lieux = Vec::with_capacity(n);
    for k in 0..n {
        let p = if k % 10 == 0 {
            centre
        } else {
            decale(
                centre,
                (alea.reel() - 0.5) * 3000.0,
                (alea.reel() - 0.5) * 3000.0,
            )
        };
        let nom = format!(
            "{} {} {}",
            alea.choisir(&genres),
            alea.choisir(&prenoms),
            alea.choisir(&noms)
        );
        let adresse = format!("{} rue {}", 1 + alea.entier(50), alea.choisir(&noms));
        let mut l = lieu("dense", &k.to_string(), &nom, &adresse, "75011", p);
        l.lieu.commune = "Paris".into();
        l.lieu.code_insee = CodeInsee::parse("75111").ok();
        if k % 3 == 0 {
            l.lieu.courriels = vec!["contact@ville.fr".into()];
        }
        if k % 5 == 0 {
            l.lieu.telephone = tel("01 40 00 00 00");
        }
        lieux.push(l);
    }
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    let s = &r.stats;
    let toutes = n * (n - 1) / 2;
    assert!(s.blocage.comparaisons <= 40 * n, "{:?}", s.blocage);
    assert!(
        s.paires_evaluees <= 40 * n,
        "{} evaluated",
        s.paires_evaluees
    );
    assert!(
        s.paires_evaluees * 100 < toutes,
        "{} of {toutes}",
        s.paires_evaluees
    );
    assert!(s.blocage.blocs_plafonnes > 0);
    eprintln!(
        "dense commune: {:?} evaluated {}",
        s.blocage, s.paires_evaluees
    );
}

#[test]
fn synthetic_duplicates_are_found_and_traps_avoided() {
    let synthese = generer_avec(Referentiel::embedded().communes(), 20_000, 0.05, 11);
    let r = dedupliquer(&synthese.lieux, &[], &OptionsDoublons::default());
    let mut paires: Vec<(String, String, bool)> = synthese
        .doublons
        .iter()
        .map(|(a, b)| (a.clone(), b.clone(), true))
        .collect();
    paires.extend(
        synthese
            .voisins
            .iter()
            .map(|(a, b)| (a.clone(), b.clone(), false)),
    );
    let e = evaluer(&paires, &r, &synthese.lieux);
    eprintln!(
        "synthetic: tp {} fp {} fn {} tn {} precision {:.3} recall {:.3}; {:?}",
        e.tp, e.fp, e.fn_, e.tn, e.precision, e.recall, r.stats
    );
    assert!(e.inconnues.is_empty());
    assert!(e.recall >= 0.9, "recall {}", e.recall);
    assert!(e.precision >= 0.97, "precision {}", e.precision);
    // Groups made of generated places that are not duplicates are rare.
    let vrais: std::collections::HashSet<(String, String)> = synthese
        .doublons
        .iter()
        .map(|(a, b)| {
            if a < b {
                (a.clone(), b.clone())
            } else {
                (b.clone(), a.clone())
            }
        })
        .collect();
    let mut fausses = 0;
    let mut total = 0;
    for f in r.fusionnes.iter().filter(|f| f.membres.len() >= 2) {
        for i in 0..f.membres.len() {
            for j in i + 1..f.membres.len() {
                total += 1;
                if !vrais.contains(&(f.membres[i].clone(), f.membres[j].clone())) {
                    fausses += 1;
                }
            }
        }
    }
    assert!(
        fausses * 100 <= total * 3,
        "{fausses} of {total} grouped pairs are not duplicates"
    );
}

#[test]
fn evaluation_counts() {
    let lieux = trois_fiches();
    let r = dedupliquer(&lieux, &[], &OptionsDoublons::default());
    let paires = vec![
        ("a#1".to_string(), "b#1".to_string(), true),
        ("a#1".to_string(), "c#1".to_string(), false),
        ("a#1".to_string(), "zz#1".to_string(), true),
    ];
    let e = evaluer(&paires, &r, &lieux);
    assert_eq!((e.tp, e.fp, e.fn_, e.tn), (1, 1, 0, 0));
    assert_eq!(e.precision, 0.5);
    assert_eq!(e.recall, 1.0);
    assert_eq!(e.erreurs.len(), 1);
    assert_eq!(e.inconnues.len(), 1);
}

/// Synthetic places with copied ids (`{id}-mediation-numerique-{source}`, the `reprise`
/// criterion), coordinators' decisions both ways, and a duplicated postal code order.
fn corpus_flux() -> (Vec<LieuSource>, Vec<(String, String, Decision)>) {
    let synthese = generer_avec(Referentiel::embedded().communes(), 3_000, 0.1, 11);
    let mut lieux = synthese.lieux;
    let position: std::collections::HashMap<String, usize> = lieux
        .iter()
        .enumerate()
        .map(|(i, l)| (l.reference(), i))
        .collect();
    // Every fifth duplicate names its original in its id, as aggregators' copies do; some
    // are moved far away so that only the copied id can bring them together.
    let mut decisions = Vec::new();
    for (k, (original, copie)) in synthese.doublons.iter().enumerate() {
        let (Some(&o), Some(&c)) = (position.get(original), position.get(copie)) else {
            continue;
        };
        if k % 5 == 0 {
            let (id, source) = (lieux[o].lieu.id.clone(), lieux[o].source.clone());
            lieux[c].lieu.id = format!("{id}{}{source}", normalisation::MARQUE_REPRISE);
            if k % 10 == 0 {
                lieux[c].lieu.localisation = Localisation::new(44.0, 4.0);
            }
        }
    }
    let refs: Vec<String> = lieux.iter().map(LieuSource::reference).collect();
    // Refusals of true duplicates and confirmations of unrelated neighbours in the list.
    for (k, (original, copie)) in synthese.doublons.iter().enumerate().take(40) {
        if k % 5 != 0 && k % 2 == 1 {
            if let (Some(&o), Some(&c)) = (position.get(original), position.get(copie)) {
                decisions.push((refs[o].clone(), refs[c].clone(), Decision::Refusee));
            }
        }
    }
    for i in (0..200).step_by(17) {
        decisions.push((refs[i].clone(), refs[i + 1].clone(), Decision::Confirmee));
    }
    decisions.push(("absent#1".into(), refs[3].clone(), Decision::Confirmee));
    (lieux, decisions)
}

/// The re-merge in two passes over fingerprints only (issue 14, item 11) gives exactly the
/// places and groups of `dedupliquer`, whatever the reading order.
#[test]
fn faille_fusion_en_flux_egale_dedupliquer() {
    let (mut lieux, decisions) = corpus_flux();
    let options = OptionsDoublons::default();
    let attendu = dedupliquer(&lieux, &decisions, &options);
    assert!(attendu.groupes.len() > 100, "{}", attendu.groupes.len());
    assert!(
        attendu.fusionnes.iter().any(|f| f
            .membres
            .iter()
            .any(|m| m.contains(normalisation::MARQUE_REPRISE))
            && f.membres.len() >= 2),
        "a copied id brings its record into a group"
    );
    for tour in 0..2 {
        let (fusionnes, groupes) =
            dedupliquer_en_deux_passes(&lieux, &decisions, &options).expect("two passes");
        let attendu = dedupliquer(&lieux, &decisions, &options);
        assert_eq!(fusionnes.len(), attendu.fusionnes.len(), "round {tour}");
        for (a, b) in fusionnes.iter().zip(&attendu.fusionnes) {
            assert_eq!(a, b, "round {tour}");
        }
        let mut g1 = groupes.clone();
        let mut g2 = attendu.groupes.clone();
        g1.sort();
        g2.sort();
        assert_eq!(g1, g2, "round {tour}");
        melanger(&mut lieux, &mut Alea::new(3));
    }
}

/// The first pass keeps no record: scoring reads fingerprints only, so an explanation of
/// the score of each pair of a group gives the score the fast path used.
#[test]
fn faille_score_sans_fiches_egale_explication() {
    let (lieux, decisions) = corpus_flux();
    let options = OptionsDoublons::default();
    let corpus = Corpus::preparer(&lieux, &options);
    let r = dedupliquer(&lieux, &decisions, &options);
    let mut comparees = 0;
    for g in r.groupes.iter().take(300) {
        for w in g.windows(2) {
            let e = corpus.expliquer(w[0], w[1]).expect("in range");
            let (x, y) = (corpus.rang[w[0]], corpus.rang[w[1]]);
            assert_eq!(e.score, corpus.noyau.score(x, y));
            comparees += 1;
        }
    }
    assert!(comparees > 100);
}

/// A second pass over other records than the first is refused, not merged wrongly.
#[test]
fn faille_fusion_en_flux_refuse_une_autre_lecture() {
    let (lieux, decisions) = corpus_flux();
    let options = OptionsDoublons::default();
    let mut preparation = Preparation::new(&options);
    for ls in &lieux {
        preparation.ajouter(ls);
    }
    let detection = preparation.detecter(&decisions);
    let mut assemblage = detection.assembler();
    assert!(assemblage.ajouter(lieux[1].clone()).is_err());
    let mut assemblage = detection.assembler();
    for ls in &lieux[..lieux.len() - 1] {
        assemblage.ajouter(ls.clone()).expect("same records");
    }
    assert!(assemblage.terminer().is_err(), "a record missing");
}

/// The compact fingerprint: the commune name and typologies are held once per distinct
/// value (same pointer for the records that share them), and a missing or approximate point
/// reads as none, an exact one as itself.
#[test]
fn empreinte_compacte_partage_commune_et_typologies() {
    let mut memo = normalisation::Memo::default();
    let mut a = lieu("s", "a", "Médiathèque", "1 rue A", "01200", (46.1, 5.8));
    a.lieu.typologie = vec![Typologie::Bib];
    let mut b = lieu("s", "b", "Mairie", "2 rue B", "01200", (46.2, 5.9));
    b.lieu.typologie = vec![Typologie::Bib];
    let mut c = lieu("s", "c", "Mairie", "2 rue B", "01200", (46.2, 5.9));
    c.lieu.typologie = vec![Typologie::Muni];
    let mut d = c.clone();
    d.lieu.commune = "Bellegarde-sur-Valserine".into();
    if let Some(p) = d.lieu.localisation.as_mut() {
        p.approximative = true;
    }
    let [ea, eb, ec, ed] = [&a, &b, &c, &d].map(|l| normalisation::empreinte_avec(l, &mut memo));
    // Same commune and typologies: one shared value.
    assert!(std::ptr::eq(ea.commune(), eb.commune()));
    assert!(ea.meme_commune(&eb));
    // Same commune, other typologies: equal names, other sets.
    assert!(ec.meme_commune(&ea));
    assert_ne!(ec.typologies(), ea.typologies());
    assert_eq!(ea.typologies(), normalisation::typologies(&a.lieu));
    assert_eq!(ec.typologies(), normalisation::typologies(&c.lieu));
    // Another commune.
    assert!(!ed.meme_commune(&ec));
    assert_eq!(ed.commune(), "bellegarde sur valserine");
    assert_eq!(ea.commune(), "valserhone");
    // Points: single precision, none when approximate.
    let (la, lo) = ea.point().expect("exact point");
    assert!((la - 46.1).abs() < 1e-5 && (lo - 5.8).abs() < 1e-5);
    assert_eq!(ed.point(), None);
    let mut e = a.clone();
    e.lieu.localisation = None;
    assert_eq!(normalisation::empreinte(&e).point(), None);
}

/// A France Services and, at its address, the conseiller numérique's record named after the
/// body that runs it (« CCAS DE … »), without a shared word or contact.
fn france_services_et_fiche_du_porteur() -> (LieuSource, LieuSource) {
    let mut fs = lieu(
        "france-services",
        "1920",
        "France services Meung-sur-Loire",
        "11 Rue Saint-Jean",
        "45130",
        VALSERHONE,
    );
    fs.lieu.typologie = vec![Typologie::Rfs];
    fs.lieu.dispositif_programmes_nationaux = vec![DispositifProgrammeNational::FranceServices];
    fs.lieu.itinerance = vec![Itinerance::Fixe];
    fs.lieu.telephone = tel("06 71 67 81 15");
    let mut cnfs = lieu(
        "conseillers-numeriques",
        "627a35acad1bdb06edc48afb",
        "CENTRE COMMUNAL D'ACTION SOCIALE",
        "11 RUE SAINT JEAN",
        "45130",
        decale(VALSERHONE, 5.0, 0.0),
    );
    cnfs.lieu.services = vec![Service::MaitriseDesOutilsNumeriquesDuQuotidien];
    (fs, cnfs)
}

#[test]
fn the_employer_s_labelled_record_at_the_france_services_address_is_the_same_counter() {
    let (fs, mut cnfs) = france_services_et_fiche_du_porteur();
    // Without the label, the record of the CCAS is another structure of the building.
    let sans = expliquer(&fs, &cnfs);
    assert!(!sans.decision, "{sans:#?}");
    assert!(sans.criteres.iter().all(|c| c.nom != "label"));
    // With it, the same counter, and the explanation says why.
    cnfs.lieu.dispositif_programmes_nationaux = vec![
        DispositifProgrammeNational::ConseillersNumeriques,
        DispositifProgrammeNational::FranceServices,
    ];
    let avec = expliquer(&fs, &cnfs);
    assert!(avec.decision, "{avec:#?}");
    let label = avec
        .criteres
        .iter()
        .find(|c| c.nom == "label")
        .expect("label criterion");
    assert!(label.points > 0.0);
    assert!(
        label.raison.contains("label France Services"),
        "{}",
        label.raison
    );
}

#[test]
fn the_label_does_not_merge_another_number_a_bus_or_another_commune() {
    let (fs, mut cnfs) = france_services_et_fiche_du_porteur();
    cnfs.lieu.dispositif_programmes_nationaux = vec![DispositifProgrammeNational::FranceServices];
    // Another number of the street: two buildings.
    let mut ailleurs = cnfs.clone();
    ailleurs.lieu.adresse = "41 RUE SAINT JEAN".into();
    let e = expliquer(&fs, &ailleurs);
    assert!(e.criteres.iter().all(|c| c.nom != "label"), "{e:#?}");
    assert!(!e.decision);
    // The same street, no number, but 400 m away.
    let mut loin = cnfs.clone();
    loin.lieu.adresse = "RUE SAINT JEAN".into();
    loin.lieu.localisation = Localisation::new(
        decale(VALSERHONE, 400.0, 0.0).0,
        decale(VALSERHONE, 400.0, 0.0).1,
    );
    let e = expliquer(&fs, &loin);
    assert!(e.criteres.iter().all(|c| c.nom != "label"), "{e:#?}");
    // The France Services bus at the counter's address.
    let mut bus = cnfs.clone();
    bus.lieu.itinerance = vec![Itinerance::Itinerant];
    let e = expliquer(&fs, &bus);
    assert!(e.criteres.iter().all(|c| c.nom != "label"), "{e:#?}");
    assert!(!e.decision);
    // Another commune (INSEE codes differ).
    let (mut fs2, mut autre) = (fs.clone(), cnfs.clone());
    fs2.lieu.code_insee = CodeInsee::parse("45203").ok();
    autre.lieu.code_insee = CodeInsee::parse("45204").ok();
    let e = expliquer(&fs2, &autre);
    assert!(e.criteres.iter().all(|c| c.nom != "label"), "{e:#?}");
}

#[test]
fn the_same_postal_address_geocoded_apart_is_not_held_against_the_pair() {
    let lieux = france_services_deux_sources();
    let (fs, mut cnfs) = (lieux[0].clone(), lieux[1].clone());
    cnfs.lieu.adresse = "5 rue des Papetiers".into();
    let p = decale(VALSERHONE, 1500.0, 0.0);
    cnfs.lieu.localisation = Localisation::new(p.0, p.1);
    let e = expliquer(&fs, &cnfs);
    let d = e
        .criteres
        .iter()
        .find(|c| c.nom == "distance")
        .expect("distance");
    assert_eq!(d.points, 0.0, "{e:#?}");
    assert!(d.raison.contains("géocodage"), "{}", d.raison);
    // Another number of the street: the distance counts again.
    cnfs.lieu.adresse = "41 rue des Papetiers".into();
    let e = expliquer(&fs, &cnfs);
    let d = e
        .criteres
        .iter()
        .find(|c| c.nom == "distance")
        .expect("distance");
    assert!(d.points < 0.0, "{e:#?}");
    // Beyond 5 km, a postal code is probably wrong: the penalty stands.
    cnfs.lieu.adresse = "5 rue des Papetiers".into();
    let p = decale(VALSERHONE, 8000.0, 0.0);
    cnfs.lieu.localisation = Localisation::new(p.0, p.1);
    let e = expliquer(&fs, &cnfs);
    let d = e
        .criteres
        .iter()
        .find(|c| c.nom == "distance")
        .expect("distance");
    assert!(d.points < 0.0, "{e:#?}");
}
