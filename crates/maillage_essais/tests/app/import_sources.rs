//! Import of the five real source files of shared/data/lieux/ and of the schema's example,
//! with counts and records checked by hand against the files.

use chrono::NaiveDate;
use maillage_annuaire::import::{
    date_dans_nom, detecter, lire, Format, Gravite, Lecture, OptionsImport, Rapport,
};
use maillage_annuaire::lieux::LieuSource;
use maillage_domain::{
    DispositifProgrammeNational as Dispositif, FormationLabel, Frais, Itinerance, Lieu,
    ModaliteAcces, ModaliteAccompagnement, Pivot, PriseEnChargeSpecifique as Prise,
    PublicSpecifiquementAdresse as Public, Service, Typologie,
};
use maillage_territoire::Referentiel;
use std::path::PathBuf;

fn chemin(nom: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(nom)
}

fn octets(nom: &str) -> Vec<u8> {
    let p = chemin(nom);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn importer(nom: &str) -> Lecture {
    let bytes = octets(nom);
    let format = detecter(&bytes).expect("detected");
    let options = OptionsImport {
        date_maj_par_defaut: date_dans_nom(nom),
    };
    lire("test", format, &bytes, &options, Referentiel::embedded()).expect("readable")
}

fn lieu<'a>(lecture: &'a Lecture, id: &str) -> &'a Lieu {
    &lecture
        .lieux
        .iter()
        .find(|l| l.lieu.id == id)
        .unwrap_or_else(|| panic!("no place {id}"))
        .lieu
}

fn remarques<'a>(rapport: &'a Rapport, id: &str) -> Vec<&'a str> {
    rapport
        .remarques
        .iter()
        .filter(|r| r.id.as_deref() == Some(id))
        .map(|r| r.message.as_str())
        .collect()
}

fn comptes(r: &Rapport) -> (usize, usize, usize, usize) {
    (r.lus, r.acceptes, r.acceptes_avec_corrections, r.rejetes)
}

/// Invariants every import must keep.
fn coherent(l: &Lecture) {
    let r = &l.rapport;
    assert_eq!(r.lus, r.acceptes + r.rejetes);
    assert_eq!(r.acceptes, l.lieux.len());
    assert!(r.acceptes_avec_corrections <= r.acceptes);
    let rejetes: std::collections::BTreeSet<usize> = r
        .remarques
        .iter()
        .filter(|x| x.gravite == Gravite::Rejet)
        .map(|x| x.enregistrement)
        .collect();
    assert_eq!(rejetes.len(), r.rejetes);
    let ids: std::collections::HashSet<&str> = l.lieux.iter().map(|x| x.lieu.id.as_str()).collect();
    assert_eq!(ids.len(), l.lieux.len(), "ids are unique");
    for LieuSource { lieu, source } in &l.lieux {
        assert_eq!(source, "test");
        assert!(!lieu.nom.is_empty() && !lieu.adresse.is_empty() && !lieu.commune.is_empty());
        assert!(lieu
            .presentation_resume
            .as_ref()
            .is_none_or(|s| s.chars().count() <= 280));
    }
}

fn date(a: i32, m: u32, j: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(a, m, j).expect("date")
}

#[test]
fn each_file_is_detected_in_its_format() {
    for (nom, format) in [
        (
            "data/lieux/france-services_2022-12-01.csv",
            Format::FranceServices,
        ),
        (
            "data/lieux/conseillers-numeriques_lieux_2022-07.json",
            Format::V0Json,
        ),
        ("data/lieux/hinaura_2021.json", Format::V0Json),
        (
            "data/lieux/hauts-de-france_2022-11.geojson",
            Format::GeoJson,
        ),
        ("data/lieux/nouvelle-caledonie_2024-03.json", Format::V1Json),
        (
            "standards/lieux-mediation-numerique/exemple-valide.csv",
            Format::V1Csv,
        ),
    ] {
        assert_eq!(detecter(&octets(nom)), Ok(format), "{nom}");
    }
}

#[test]
fn france_services() {
    let l = importer("data/lieux/france-services_2022-12-01.csv");
    coherent(&l);
    assert_eq!(comptes(&l.rapport), (2683, 2657, 52, 26));
    assert_eq!(
        l.rapport.resume_fr(),
        "2 683 lignes lues : 2 657 acceptées dont 52 avec corrections, 26 rejetées"
    );

    let un = lieu(&l, "1");
    assert_eq!(un.nom, "France services de Valserhône");
    assert_eq!(
        un.horaires.as_ref().map(|h| (h.brut.as_str(), h.valide)),
        Some((
            "Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00",
            true
        ))
    );
    assert_eq!(
        un.telephone.as_ref().map(|t| t.as_str()),
        Some("+33450568749")
    );
    assert_eq!(un.itinerance, vec![Itinerance::Fixe]);
    assert_eq!(un.code_insee.as_ref().map(|c| c.as_str()), Some("01033"));
    assert_eq!(un.code_postal.as_str(), "01200");
    assert_eq!(un.commune, "Valserhône");
    assert_eq!(un.courriels, vec!["franceservices@ccpb01.fr"]);
    assert_eq!(un.services, vec![Service::AideAuxDemarchesAdministratives]);
    assert_eq!(
        un.dispositif_programmes_nationaux,
        vec![Dispositif::FranceServices]
    );
    assert_eq!(un.typologie, vec![Typologie::Rfs]);
    assert_eq!(un.date_maj, date(2022, 12, 1));
    assert_eq!(un.pivot, Pivot::Absent);
    let loc = un.localisation.expect("coordinates");
    assert_eq!(
        (loc.latitude, loc.longitude, loc.approximative),
        (46.1060711578546, 5.8260084241619, false)
    );
    assert!(remarques(&l.rapport, "1").is_empty());

    let bus = lieu(&l, "3");
    assert_eq!(bus.itinerance, vec![Itinerance::Itinerant]);
    assert_eq!(
        bus.horaires.as_ref().map(|h| h.brut.as_str()),
        Some("Mo-Fr 09:30-16:30")
    );

    // A boat attached to Camopi, seen in Cayenne: an itinerant place keeps its coordinates.
    let pirogue = lieu(&l, "805");
    assert_eq!(pirogue.itinerance, vec![Itinerance::Itinerant]);
    assert_eq!(pirogue.localisation.map(|p| p.latitude), Some(4.940598));

    // "09:00-13:00-/3:00-16:00" on Tuesday cannot be read: kept as unknown, reported.
    let talant = lieu(&l, "temp_29");
    assert_eq!(
        talant
            .horaires
            .as_ref()
            .map(|h| (h.brut.as_str(), h.valide)),
        Some((
            "Mo 14:00-17:00; Tu unknown \"09:00-13:00-/3:00-16:00\"; We 09:00-12:00,14:00-17:00; \
             Th 09:00-13:00,13:00-16:00; Fr 14:00-17:00",
            true
        ))
    );
    assert_eq!(
        remarques(&l.rapport, "temp_29"),
        vec!["horaires du mardi « 09:00-13:00-/3:00-16:00 » non convertis : notés « unknown » dans les horaires OSM"]
    );

    // "0null" as INSEE code: found again from the postal code and the name; no coordinates:
    // the commune's centre, flagged approximate.
    let st_etienne = lieu(&l, "2004");
    assert_eq!(
        st_etienne.code_insee.as_ref().map(|c| c.as_str()),
        Some("48148")
    );
    assert!(st_etienne.localisation.is_some_and(|p| p.approximative));
    assert_eq!(remarques(&l.rapport, "2004").len(), 3);

    // Commune merged in 2025: the old code is replaced.
    let pierrefitte = lieu(&l, "1679");
    assert_eq!(
        pierrefitte.code_insee.as_ref().map(|c| c.as_str()),
        Some("93066")
    );

    // Multi-line quoted fields: remarks give the physical line where the record starts.
    let rejet = l
        .rapport
        .remarques
        .iter()
        .find(|r| r.id.as_deref() == Some("2696"))
        .expect("rejected");
    assert_eq!(
        (rejet.enregistrement, rejet.gravite),
        (2508, Gravite::Rejet)
    );
    assert_eq!(rejet.champ, "adresse");
    let derniere = l
        .rapport
        .remarques
        .iter()
        .find(|r| r.id.as_deref() == Some("temp_29"))
        .map(|r| r.enregistrement);
    assert_eq!(derniere, Some(2746));

    // The 26 rejected records have neither address nor location.
    let rejets: Vec<_> = l
        .rapport
        .remarques
        .iter()
        .filter(|r| r.gravite == Gravite::Rejet)
        .collect();
    assert_eq!(rejets.len(), 52);
    assert!(rejets
        .iter()
        .all(|r| r.champ == "adresse" || r.champ == "code_postal"));
}

#[test]
fn france_services_needs_a_default_date() {
    let bytes = octets("data/lieux/france-services_2022-12-01.csv");
    let e = lire(
        "fs",
        Format::FranceServices,
        &bytes,
        &OptionsImport::default(),
        Referentiel::embedded(),
    );
    assert!(matches!(
        e,
        Err(maillage_annuaire::import::ImportError::DateRequise)
    ));
}

#[test]
fn conseillers_numeriques() {
    let l = importer("data/lieux/conseillers-numeriques_lieux_2022-07.json");
    coherent(&l);
    // Every record lacks its INSEE code, hence corrected.
    assert_eq!(comptes(&l.rapport), (2733, 2733, 2733, 0));

    let a = lieu(&l, "62592a1d05457b0790816e6c");
    // "Prendre en main un smartphone ou une tablette, Prendre en main un ordinateur,
    // Utiliser le numérique au quotidien, Approfondir ma culture numérique".
    assert_eq!(
        a.services,
        vec![
            Service::MaitriseDesOutilsNumeriquesDuQuotidien,
            Service::ComprehensionDuMondeNumerique
        ]
    );
    assert_eq!(a.frais_a_charge, vec![Frais::Gratuit]);
    assert_eq!(
        a.dispositif_programmes_nationaux,
        vec![Dispositif::ConseillersNumeriques]
    );
    assert_eq!(a.commune, "MARSEILLE 11");
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("13211"));
    assert_eq!(a.courriels, vec!["accueil@chrs-laselonne.fr"]);
    assert_eq!(a.pivot.as_str(), "77556026100015");
    assert_eq!(a.date_maj, date(2022, 5, 9));
    assert_eq!(
        remarques(&l.rapport, "62592a1d05457b0790816e6c"),
        vec!["code INSEE absent : 13211, déduit du code postal et du nom de la commune"]
    );

    let b = lieu(&l, "627a623cad1bdb06edc48dc9");
    assert_eq!(
        b.dispositif_programmes_nationaux,
        vec![
            Dispositif::ConseillersNumeriques,
            Dispositif::AidantsConnect,
            Dispositif::FranceServices
        ]
    );

    // "380000": the commune's postal code that the digits start with.
    assert_eq!(
        lieu(&l, "62a994558255a806e299b6d9").code_postal.as_str(),
        "38000"
    );
    // "30252Cedex".
    assert_eq!(
        lieu(&l, "62b1ab9bdd51e705b1807498").code_postal.as_str(),
        "30252"
    );
    // "34106240403159/APE:8790B".
    assert_eq!(
        lieu(&l, "62ac8d468255a806e299da54").pivot.as_str(),
        "34106240403159"
    );
    // A SIREN is no pivot.
    assert_eq!(lieu(&l, "6299d8ef4bdc5506ec39dbf5").pivot, Pivot::Absent);
    // Commune "62300": named from the coordinates' commune.
    let lens = lieu(&l, "627e4176ad1bdb06edc4adb4");
    assert_eq!(
        (
            lens.commune.as_str(),
            lens.code_insee.as_ref().map(|c| c.as_str())
        ),
        ("Lens", Some("62498"))
    );
    // Médiathèque de Gap placed in the Oise: moved to the centre of Gap.
    let gap = lieu(&l, "625ae50705457b0790817707");
    assert!(gap
        .localisation
        .is_some_and(|p| p.approximative && (p.latitude - 44.56).abs() < 0.2));
    // Telephone "+": dropped and reported.
    let tel = lieu(&l, "62ab0d328255a806e299c7f8");
    assert_eq!(tel.telephone, None);
    assert!(remarques(&l.rapport, "62ab0d328255a806e299c7f8")
        .contains(&"téléphone « + » non reconnu : champ vidé"));

    let pivots = l
        .rapport
        .remarques
        .iter()
        .filter(|r| r.champ == "pivot")
        .count();
    assert_eq!(pivots, 28);
}

#[test]
fn hinaura() {
    let l = importer("data/lieux/hinaura_2021.json");
    coherent(&l);
    assert_eq!(comptes(&l.rapport), (687, 687, 687, 0));
    let a = lieu(&l, "0");
    assert_eq!(a.nom, "MAISON DE SERVICES AU PUBLIC D'ABONDANCE");
    assert_eq!(
        a.services,
        vec![
            Service::AccesInternetEtMaterielInformatique,
            Service::AideAuxDemarchesAdministratives
        ]
    );
    assert_eq!(
        a.publics_specifiquement_adresses,
        vec![Public::FamillesEnfants, Public::Jeunes, Public::Seniors]
    );
    assert_eq!(
        a.prise_en_charge_specifique,
        vec![
            Prise::Surdite,
            Prise::HandicapsMentaux,
            Prise::Illettrisme,
            Prise::DeficienceVisuelle
        ]
    );
    assert_eq!(a.frais_a_charge, vec![Frais::Gratuit]);
    assert_eq!(
        a.modalites_accompagnement,
        vec![ModaliteAccompagnement::AccompagnementIndividuel]
    );
    assert_eq!(
        a.horaires.as_ref().map(|h| (h.brut.as_str(), h.valide)),
        Some(("Tu-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00", true))
    );
    assert_eq!(a.pivot, Pivot::Absent);
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("74001"));
    assert_eq!(a.source.as_deref(), Some("Hinaura"));
    assert_eq!(a.date_maj, date(2021, 5, 5));

    // Every v0 label of the file is mapped: no remark on an enumerated field.
    for champ in [
        "services",
        "publics_accueillis",
        "conditions_acces",
        "modalites_accompagnement",
    ] {
        assert!(
            l.rapport.remarques.iter().all(|r| r.champ != champ),
            "{champ}"
        );
    }
    let adhesion = l
        .lieux
        .iter()
        .filter(|x| x.lieu.frais_a_charge.contains(&Frais::Payant))
        .count();
    assert!(adhesion >= 160);
}

#[test]
fn hauts_de_france_geojson() {
    let l = importer("data/lieux/hauts-de-france_2022-11.geojson");
    coherent(&l);
    assert_eq!(comptes(&l.rapport), (1741, 1741, 1737, 0));
    let id = "627a2aeead1bdb06edc48a15-mediation-numerique-conseiller-numerique";
    let a = lieu(&l, id);
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("62033"));
    assert_eq!(
        remarques(&l.rapport, id),
        vec!["code INSEE absent : 62033, déduit du code postal et du nom de la commune"]
    );
    let p = a.localisation.expect("geometry");
    assert_eq!((p.latitude, p.longitude), (50.473558, 2.865857));
    assert_eq!(a.frais_a_charge, vec![Frais::Gratuit]);
    assert_eq!(
        a.dispositif_programmes_nationaux,
        vec![Dispositif::ConseillersNumeriques]
    );
    assert_eq!(
        a.telephone.as_ref().map(|t| t.as_str()),
        Some("+33321134420")
    );

    // Given INSEE code kept, v0 long labels mapped.
    let dora = lieu(&l, "b9cf77b6-10b1-4c8c-839c-5cfe57fcedff-dora");
    assert_eq!(dora.code_insee.as_ref().map(|c| c.as_str()), Some("59512"));
    assert_eq!(
        dora.services,
        vec![
            Service::AideAuxDemarchesAdministratives,
            Service::MaitriseDesOutilsNumeriquesDuQuotidien,
            Service::InsertionProfessionnelleViaLeNumerique
        ]
    );
    assert_eq!(
        dora.modalites_accompagnement,
        vec![
            ModaliteAccompagnement::DansUnAtelier,
            ModaliteAccompagnement::AccompagnementIndividuel
        ]
    );
    assert_eq!(dora.prise_rdv.as_deref(), Some("https://www.parkour59.com"));
    assert!(remarques(&l.rapport, "b9cf77b6-10b1-4c8c-839c-5cfe57fcedff-dora").is_empty());

    // "http:morinie.reseaubibli.fr/" repaired.
    let morinie = lieu(&l, "0716-mediation-numerique-assembleurs");
    assert_eq!(morinie.site_web, vec!["http://morinie.reseaubibli.fr/"]);
}

#[test]
fn nouvelle_caledonie() {
    let l = importer("data/lieux/nouvelle-caledonie_2024-03.json");
    coherent(&l);
    assert_eq!(comptes(&l.rapport), (90, 90, 20, 0));
    let a = lieu(&l, "0");
    assert_eq!(a.telephone.as_ref().map(|t| t.as_str()), Some("+687445728"));
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("98818"));
    assert_eq!(a.typologie, vec![Typologie::Mq]);
    assert_eq!(a.services.len(), 5);
    assert_eq!(
        a.publics_specifiquement_adresses,
        vec![Public::FamillesEnfants, Public::Jeunes, Public::Seniors]
    );
    assert!(remarques(&l.rapport, "0").is_empty());

    // Le Mont-Dore given the INSEE code of Mont-Dore (Puy-de-Dôme): corrected, and the
    // coordinates in Nouvelle-Calédonie kept.
    let mont_dore = lieu(&l, "4");
    assert_eq!(
        mont_dore.code_insee.as_ref().map(|c| c.as_str()),
        Some("98817")
    );
    assert!(mont_dore
        .localisation
        .is_some_and(|p| p.longitude > 166.0 && !p.approximative));

    // `labels_autres` (v0 name, ", " between labels) → autres_formations_labels.
    let sij = lieu(&l, "12");
    assert_eq!(
        sij.autres_formations_labels,
        vec!["Structure d'information jeunesse", "Case numérique"]
    );
    assert!(sij
        .presentation_resume
        .as_ref()
        .is_some_and(|r| r.ends_with('…')));
    // `courriel` (v0 name) read.
    assert_eq!(lieu(&l, "2").courriels, vec!["apoaratigoopa@gmail.com"]);
    // prise_en_charge_specifique read.
    assert_eq!(
        lieu(&l, "17").prise_en_charge_specifique,
        vec![Prise::HandicapsMentaux]
    );
}

#[test]
fn schema_example_csv_with_every_field() {
    let l = importer("standards/lieux-mediation-numerique/exemple-valide.csv");
    coherent(&l);
    assert_eq!(comptes(&l.rapport), (1, 1, 0, 0));
    assert!(l.rapport.remarques.is_empty(), "{:?}", l.rapport.remarques);
    let a = lieu(&l, "structure-1");
    assert_eq!(a.pivot.as_str(), "43493312300029");
    assert_eq!(a.nom, "Anonymal");
    assert_eq!(a.commune, "Reims");
    assert_eq!(a.code_postal.as_str(), "51100");
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("51454"));
    assert_eq!(a.adresse, "12 BIS RUE DE LECLERCQ");
    assert_eq!(
        a.complement_adresse.as_deref(),
        Some("Le patio du bois de l'Aulne")
    );
    assert_eq!(a.typologie, vec![Typologie::TiersLieux, Typologie::Asso]);
    assert_eq!(
        a.telephone.as_ref().map(|t| t.as_str()),
        Some("+33180059880")
    );
    assert_eq!(
        a.courriels,
        vec![
            "contact@laquincaillerie.tl",
            "responsable@laquincaillerie.tl"
        ]
    );
    assert_eq!(
        a.site_web,
        vec![
            "https://www.laquincaillerie.tl/",
            "https://m.facebook.com/laquincaillerienumerique/"
        ]
    );
    assert_eq!(
        a.horaires.as_ref().map(|h| (h.brut.as_str(), h.valide)),
        Some(("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00", true))
    );
    assert!(a
        .presentation_resume
        .as_ref()
        .is_some_and(|s| s.starts_with("Notre association")));
    assert!(a
        .presentation_detail
        .as_ref()
        .is_some_and(|s| s.ends_with("médiathèque XX.")));
    assert_eq!(a.source.as_deref(), Some("Hubik"));
    assert_eq!(a.itinerance, vec![Itinerance::Itinerant]);
    assert_eq!(
        a.structure_parente.as_deref(),
        Some("SIRET de la ville pour une bibliothèque.")
    );
    assert_eq!(a.date_maj, date(2024, 4, 2));
    assert_eq!(
        a.services,
        vec![
            Service::MaitriseDesOutilsNumeriquesDuQuotidien,
            Service::InsertionProfessionnelleViaLeNumerique,
            Service::LoisirsEtCreationsNumeriques
        ]
    );
    assert_eq!(
        a.publics_specifiquement_adresses,
        vec![Public::Jeunes, Public::Femmes]
    );
    assert_eq!(
        a.prise_en_charge_specifique,
        vec![
            Prise::Surdite,
            Prise::Illettrisme,
            Prise::LanguesEtrangeresAnglais
        ]
    );
    assert_eq!(
        a.frais_a_charge,
        vec![Frais::GratuitSousCondition, Frais::Payant]
    );
    assert_eq!(
        a.dispositif_programmes_nationaux,
        vec![
            Dispositif::AidantsConnect,
            Dispositif::ConseillersNumeriques,
            Dispositif::LaCroixRouge
        ]
    );
    assert_eq!(
        a.formations_labels,
        vec![
            FormationLabel::FormeAMonEspaceSante,
            FormationLabel::ArniaMednum
        ]
    );
    assert_eq!(a.autres_formations_labels, vec!["Label et la bête"]);
    assert_eq!(
        a.modalites_acces,
        vec![ModaliteAcces::SePresenter, ModaliteAcces::Telephoner]
    );
    assert_eq!(
        a.modalites_accompagnement,
        vec![
            ModaliteAccompagnement::DansUnAtelier,
            ModaliteAccompagnement::ADistance,
            ModaliteAccompagnement::EnAutonomie,
            ModaliteAccompagnement::AccompagnementIndividuel
        ]
    );
    assert!(a
        .fiche_acces_libre
        .as_ref()
        .is_some_and(|u| u.starts_with("https://acceslibre.beta.gouv.fr/")));
    assert_eq!(
        a.prise_rdv.as_deref(),
        Some("https://www.rdv-solidarites.fr/")
    );
    // The example puts a place of Reims at Aix-en-Provence's coordinates (645 km away), but
    // it is itinerant: its coordinates are kept.
    let p = a.localisation.expect("coordinates");
    assert_eq!(
        (p.latitude, p.longitude, p.approximative),
        (43.52609, 5.41423, false)
    );
}
