//! The import rules one by one, on small files, with a fake referential.

use chrono::NaiveDate;
use maillage_annuaire::import::{
    lire, CommuneRef, Format, Geocodeur, Gravite, ImportError, Lecture, OptionsImport, Remarque,
    SansReferentiel,
};
use maillage_domain::{Frais, Pivot, PriseEnChargeSpecifique, Service};

/// Two communes: L'Abergement-Clémenciat (01001, 01400) and Toulouse (31555, six codes).
struct Faux;

fn abergement() -> CommuneRef {
    CommuneRef {
        code_insee: "01001".into(),
        nom: "L'Abergement-Clémenciat".into(),
        codes_postaux: vec!["01400".into()],
        centre: Some((46.15359, 4.92582)),
    }
}

fn toulouse() -> CommuneRef {
    CommuneRef {
        code_insee: "31555".into(),
        nom: "Toulouse".into(),
        codes_postaux: ["31000", "31100", "31200", "31300", "31400", "31500"]
            .map(String::from)
            .to_vec(),
        centre: Some((43.6, 1.44)),
    }
}

impl Geocodeur for Faux {
    fn code_insee(&self, code_postal: Option<&str>, commune: Option<&str>) -> Option<String> {
        let nom = commune.map(maillage_domain::texte::normaliser);
        match (code_postal, nom.as_deref()) {
            (Some("01400"), _) | (_, Some("l abergement clemenciat")) => Some("01001".into()),
            (Some(cp), _) if cp.starts_with("31") => Some("31555".into()),
            (_, Some("toulouse")) => Some("31555".into()),
            _ => None,
        }
    }
    fn commune(&self, code_insee: &str) -> Option<CommuneRef> {
        match code_insee {
            "01001" => Some(abergement()),
            "31555" => Some(toulouse()),
            _ => None,
        }
    }
    fn commune_la_plus_proche(&self, latitude: f64, longitude: f64) -> Option<CommuneRef> {
        [abergement(), toulouse()].into_iter().find(|c| {
            c.centre
                .is_some_and(|(a, b)| (a - latitude).abs() < 0.3 && (b - longitude).abs() < 0.3)
        })
    }
}

fn options() -> OptionsImport {
    OptionsImport {
        date_maj_par_defaut: NaiveDate::from_ymd_opt(2024, 1, 15),
    }
}

fn json(texte: &str) -> Lecture {
    lire("t", Format::V1Json, texte.as_bytes(), &options(), &Faux).expect("readable")
}

/// A valid v1 record, with fields replaced or added by `extra` (JSON members).
fn un(extra: &str) -> String {
    let base = r#""id":"a","nom":"EPN","adresse":"1 rue X","commune":"Toulouse","code_postal":"31000","code_insee":"31555","latitude":43.61,"longitude":1.45,"date_maj":"2024-03-01""#;
    if extra.is_empty() {
        format!("{{{base}}}")
    } else {
        format!("{{{base},{extra}}}")
    }
}

fn seule_remarque(l: &Lecture) -> &Remarque {
    assert_eq!(l.rapport.remarques.len(), 1, "{:#?}", l.rapport.remarques);
    &l.rapport.remarques[0]
}

#[test]
fn a_clean_record_has_no_remark() {
    let l = json(&format!("[{}]", un("")));
    assert_eq!(
        (
            l.rapport.lus,
            l.rapport.acceptes,
            l.rapport.acceptes_avec_corrections
        ),
        (1, 1, 0)
    );
    assert!(l.rapport.remarques.is_empty());
    assert_eq!(l.lieux[0].reference(), "t#a");
}

#[test]
fn missing_required_values_reject_the_record_naming_the_field() {
    for (json_membres, champ) in [
        (r#""id":"  ""#, "id"),
        (r#""nom":null"#, "nom"),
        (r#""adresse":"""#, "adresse"),
    ] {
        let l = json(&format!("[{}]", un(json_membres)));
        assert_eq!((l.rapport.acceptes, l.rapport.rejetes), (0, 1), "{champ}");
        let r = seule_remarque(&l);
        assert_eq!(
            (r.champ.as_str(), r.gravite, r.enregistrement),
            (champ, Gravite::Rejet, 1)
        );
    }
    // No postal code, no INSEE code, no coordinates.
    let l = json(
        r#"[{"id":"b","nom":"N","adresse":"A","commune":"Nulle-Part","date_maj":"2024-01-01"}]"#,
    );
    let r = seule_remarque(&l);
    assert_eq!(
        (r.champ.as_str(), r.gravite),
        ("code_postal", Gravite::Rejet)
    );
    assert!(r.message.contains("impossible à situer"), "{}", r.message);
    // A record that is not an object.
    let l = json(&format!("[{}, 3, null]", un("")));
    assert_eq!(
        (l.rapport.lus, l.rapport.acceptes, l.rapport.rejetes),
        (3, 1, 2)
    );
}

#[test]
fn a_duplicate_id_rejects_the_second_record() {
    let l = json(&format!("[{}, {}]", un(""), un(r#""nom":"Autre""#)));
    assert_eq!((l.rapport.acceptes, l.rapport.rejetes), (1, 1));
    assert_eq!(l.lieux[0].lieu.nom, "EPN");
    let r = seule_remarque(&l);
    assert_eq!((r.enregistrement, r.champ.as_str()), (2, "id"));
    assert!(r.message.contains("en double"));
}

/// Records are checked by batches on several threads: a file much larger than a batch gives
/// the same places and report as a one-by-one reading — file order kept, an id taken in an
/// early batch rejected in a late one, and a record rejected for another reason not taking
/// its id.
#[test]
fn large_files_keep_file_order_and_duplicate_ids_across_batches() {
    let n = 10_000;
    let mut enregistrements: Vec<String> = (0..n)
        .map(|i| un(&format!(r#""id":"l{i}","nom":"EPN {i}""#)))
        .collect();
    // 7,001 takes the id of record 11 (first batch). 8,001 has no name (rejected) and the id
    // "neuf"; 9,001 has the id "neuf" again: accepted, since the first one was rejected.
    enregistrements[7000] = un(r#""id":"l10","nom":"Copie""#);
    enregistrements[8000] = un(r#""id":"neuf","nom":"  ""#);
    enregistrements[9000] = un(r#""id":"neuf","nom":"Neuf""#);
    let l = json(&format!("[{}]", enregistrements.join(",")));
    assert_eq!(
        (l.rapport.lus, l.rapport.acceptes, l.rapport.rejetes),
        (n, n - 2, 2)
    );
    let rejets: Vec<(usize, &str, &str)> = l
        .rapport
        .remarques
        .iter()
        .map(|r| (r.enregistrement, r.champ.as_str(), r.message.as_str()))
        .collect();
    assert_eq!(rejets.len(), 2, "{rejets:?}");
    assert_eq!((rejets[0].0, rejets[0].1), (7001, "id"));
    assert!(
        rejets[0].2.contains("déjà pris par l'enregistrement 11"),
        "{}",
        rejets[0].2
    );
    assert_eq!((rejets[1].0, rejets[1].1), (8001, "nom"));
    let noms: Vec<&str> = l.lieux.iter().map(|x| x.lieu.nom.as_str()).collect();
    assert_eq!(noms[0], "EPN 0");
    assert_eq!(noms[6999], "EPN 6999");
    assert_eq!(noms[7000], "EPN 7001", "the copy is not kept");
    assert!(noms.contains(&"Neuf"));
    assert_eq!(noms[noms.len() - 1], format!("EPN {}", n - 1));
}

#[test]
fn missing_date_takes_the_default_or_rejects() {
    let texte = format!("[{}]", un(r#""date_maj":"bientôt""#));
    let l = json(&texte);
    assert_eq!(
        l.lieux[0].lieu.date_maj,
        NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default()
    );
    assert_eq!(seule_remarque(&l).gravite, Gravite::Correction);
    let sans = lire(
        "t",
        Format::V1Json,
        texte.as_bytes(),
        &OptionsImport::default(),
        &Faux,
    )
    .expect("readable");
    assert_eq!(sans.rapport.rejetes, 1);
    assert_eq!(seule_remarque(&sans).champ, "date_maj");
}

#[test]
fn corrections_are_made_and_reported() {
    let cas: [(&str, &str, &str); 9] = [
        (r#""pivot":"43493312300028""#, "pivot", "clé de contrôle"),
        (
            r#""telephone":"04 50""#,
            "telephone",
            "téléphone « 04 50 » non reconnu : champ vidé",
        ),
        (
            r#""courriels":"a@b.fr|pas-un-courriel""#,
            "courriels",
            "« pas-un-courriel » invalide",
        ),
        (
            r#""site_web":"www.epn.fr""#,
            "site_web",
            "complétée en « https://www.epn.fr »",
        ),
        (
            r#""services":"Jardinage|Aide aux démarches administratives""#,
            "services",
            "« Jardinage » inconnue",
        ),
        (
            r#""horaires":"le lundi matin""#,
            "horaires",
            "horaires non conformes au format OSM, conservées telles quelles",
        ),
        (
            r#""latitude":1.45,"longitude":43.61"#,
            "latitude/longitude",
            "inversées",
        ),
        (
            r#""code_postal":"1400","commune":"L'Abergement-Clémenciat","code_insee":null,"latitude":null,"longitude":null"#,
            "code_postal",
            "complété en « 01400 »",
        ),
        (
            r#""labels_nationaux":"CNFS;Label maison""#,
            "labels_nationaux",
            "placé dans autres_formations_labels",
        ),
    ];
    for (membres, champ, extrait) in cas {
        let l = json(&format!("[{}]", un(membres)));
        assert_eq!(
            (l.rapport.acceptes, l.rapport.acceptes_avec_corrections),
            (1, 1),
            "{membres}"
        );
        let r = l
            .rapport
            .remarques
            .iter()
            .find(|r| r.champ == champ)
            .unwrap_or_else(|| panic!("{membres}: {:#?}", l.rapport.remarques));
        assert_eq!(r.gravite, Gravite::Correction);
        assert!(r.message.contains(extrait), "{membres}: {}", r.message);
    }
    let l = json(&format!(
        "[{}]",
        un(r#""pivot":"43493312300028","telephone":"04 50","horaires":"le lundi matin""#)
    ));
    let a = &l.lieux[0].lieu;
    assert_eq!(a.pivot, Pivot::Absent);
    assert_eq!(a.telephone, None);
    assert_eq!(
        a.horaires.as_ref().map(|h| (h.brut.as_str(), h.valide)),
        Some(("le lundi matin", false))
    );
}

#[test]
fn the_summary_is_cut_at_280_characters() {
    let long = "Un lieu accueillant ".repeat(20);
    let l = json(&format!(
        "[{}]",
        un(&format!(r#""presentation_resume":"{long}""#))
    ));
    let r = l.lieux[0]
        .lieu
        .presentation_resume
        .clone()
        .unwrap_or_default();
    assert!(r.chars().count() <= 280);
    // Cut after a whole word of the original text.
    let coupe = r.strip_suffix('…').unwrap_or_default();
    assert!(
        long.starts_with(coupe) && long[coupe.len()..].starts_with(' '),
        "{r}"
    );
    assert!(coupe.chars().count() > 250, "{r}");
    assert_eq!(seule_remarque(&l).champ, "presentation_resume");
}

#[test]
fn location_is_completed_from_the_referential() {
    // No INSEE code: from postal code and name.
    let l = json(&format!("[{}]", un(r#""code_insee":null"#)));
    assert_eq!(
        l.lieux[0].lieu.code_insee.as_ref().map(|c| c.as_str()),
        Some("31555")
    );
    assert!(seule_remarque(&l)
        .message
        .contains("déduit du code postal et du nom"));
    // Nothing but coordinates (as strings): INSEE code, postal code, commune from the nearest
    // commune.
    let l = json(
        r#"[{"id":"c","nom":"N","adresse":"A","latitude":"46.15","longitude":"4,92","date_maj":"2024-01-01"}]"#,
    );
    let a = &l.lieux[0].lieu;
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("01001"));
    assert_eq!(a.code_postal.as_str(), "01400");
    assert_eq!(a.commune, "L'Abergement-Clémenciat");
    assert_eq!(
        a.localisation.map(|p| (p.latitude, p.longitude)),
        Some((46.15, 4.92))
    );
    let champs: Vec<&str> = l
        .rapport
        .remarques
        .iter()
        .map(|r| r.champ.as_str())
        .collect();
    assert_eq!(champs, vec!["code_insee", "code_postal", "commune"]);
    // No coordinates: the commune's centre, approximate.
    let l = json(&format!("[{}]", un(r#""latitude":null,"longitude":null"#)));
    let p = l.lieux[0].lieu.localisation.expect("centre");
    assert_eq!(
        (p.latitude, p.longitude, p.approximative),
        (43.6, 1.44, true)
    );
    // Far from the commune and not swapped: the commune's centre, approximate.
    let l = json(&format!("[{}]", un(r#""latitude":48.85,"longitude":2.35"#)));
    assert!(l.lieux[0]
        .lieu
        .localisation
        .is_some_and(|p| p.approximative));
    assert!(seule_remarque(&l)
        .message
        .contains("km du centre de Toulouse"));
    // ... unless the place is itinerant.
    let l = json(&format!(
        "[{}]",
        un(r#""latitude":48.85,"longitude":2.35,"itinerance":"Itinérant""#)
    ));
    assert!(l.lieux[0]
        .lieu
        .localisation
        .is_some_and(|p| !p.approximative));
    assert!(l.rapport.remarques.is_empty());
    // Invalid postal code: one of the commune's, the one the digits start with.
    let l = json(&format!("[{}]", un(r#""code_postal":"312000""#)));
    assert_eq!(l.lieux[0].lieu.code_postal.as_str(), "31200");
    // Commune name missing: from the referential.
    let l = json(&format!("[{}]", un(r#""commune":"""#)));
    assert_eq!(l.lieux[0].lieu.commune, "Toulouse");
    // Nothing known to the referential: kept as given.
    let l = lire(
        "t",
        Format::V1Json,
        format!("[{}]", un(r#""code_insee":null"#)).as_bytes(),
        &options(),
        &SansReferentiel,
    )
    .expect("readable");
    assert_eq!(l.lieux[0].lieu.code_insee, None);
    assert!(l.rapport.remarques.is_empty());
}

#[test]
fn v0_fields_and_labels_are_translated() {
    let l = lire(
        "t",
        Format::V0Json,
        r#"[{"id":"1","nom":"N","adresse":"A","commune":"Toulouse","code_postal":"31000","date_maj":"2021-05-05",
             "services":"Accéder à du matériel;Créer avec le numérique",
             "conditions_acces":"Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu",
             "publics_accueillis":"Adultes;Public langues étrangères;Uniquement femmes",
             "labels_nationaux":"APTIC;Fabriques de Territoire;Point relais CAF",
             "courriel":"x@y.fr","accessibilite":"https://acceslibre.beta.gouv.fr/x"}]"#
            .as_bytes(),
        &options(),
        &Faux,
    )
    .expect("readable");
    let a = &l.lieux[0].lieu;
    assert_eq!(
        a.services,
        vec![
            Service::AccesInternetEtMaterielInformatique,
            Service::LoisirsEtCreationsNumeriques
        ]
    );
    assert_eq!(a.frais_a_charge, vec![Frais::GratuitSousCondition]);
    assert_eq!(
        a.prise_en_charge_specifique,
        vec![PriseEnChargeSpecifique::LanguesEtrangeresAutre]
    );
    assert_eq!(a.publics_specifiquement_adresses.len(), 1);
    assert_eq!(a.autres_formations_labels, vec!["APTIC"]);
    assert_eq!(a.formations_labels.len(), 1);
    assert_eq!(a.dispositif_programmes_nationaux.len(), 1);
    assert_eq!(a.courriels, vec!["x@y.fr"]);
    assert_eq!(
        a.fiche_acces_libre.as_deref(),
        Some("https://acceslibre.beta.gouv.fr/x")
    );
    // Only the INSEE code and the position were completed: the translation itself is not a
    // correction.
    let champs: Vec<&str> = l
        .rapport
        .remarques
        .iter()
        .map(|r| r.champ.as_str())
        .collect();
    assert_eq!(champs, vec!["code_insee", "latitude/longitude"]);
}

#[test]
fn v1_csv_header_and_rows() {
    let csv = "id,nom,adresse,code_postal,commune,date_maj,services,couleur\n\
               1,EPN,1 rue X,31000,Toulouse,2024-01-01,Aide aux démarches administratives,bleu\n\
               2,\"EPN\nsur deux lignes\",2 rue Y,31000,Toulouse,2024-01-01,,rouge\n\
               3,trop,de,cellules,ici,2024-01-01,,,\n";
    let l = lire("t", Format::V1Csv, csv.as_bytes(), &options(), &Faux).expect("readable");
    assert_eq!(
        (l.rapport.lus, l.rapport.acceptes, l.rapport.rejetes),
        (3, 2, 1)
    );
    let entete: Vec<&Remarque> = l
        .rapport
        .remarques
        .iter()
        .filter(|r| r.enregistrement == 1)
        .collect();
    assert_eq!(entete.len(), 2);
    assert!(entete
        .iter()
        .any(|r| r.message.contains("inconnue(s) ignorée(s) : couleur")));
    assert!(entete
        .iter()
        .any(|r| r.message.contains("absente(s)") && r.message.contains("pivot")));
    let rejet = l
        .rapport
        .remarques
        .iter()
        .find(|r| r.gravite == Gravite::Rejet)
        .expect("rejet");
    // Line 5: the second record spans lines 3 and 4.
    assert_eq!((rejet.enregistrement, rejet.champ.as_str()), (5, "ligne"));
    assert_eq!(l.lieux[1].lieu.nom, "EPN\nsur deux lignes");
    // A `;`-separated file from a spreadsheet.
    let csv = "id;nom;adresse;code_postal;date_maj\n1;EPN;1 rue X;31000;2024-01-01\n";
    let l = lire("t", Format::V1Csv, csv.as_bytes(), &options(), &Faux).expect("readable");
    assert_eq!(l.rapport.acceptes, 1);
    assert_eq!(l.lieux[0].lieu.commune, "Toulouse");
}

#[test]
fn unreadable_files_give_a_french_error_with_its_position() {
    let e = lire(
        "t",
        Format::V1Csv,
        b"id,nom\n1,caf\xE9\n",
        &options(),
        &Faux,
    )
    .err();
    assert_eq!(
        e,
        Some(ImportError::PasUtf8 {
            octet: 12,
            ligne: 2,
            colonne: 6
        })
    );
    let e = lire("t", Format::V1Json, b"[\n{\"id\": }]", &options(), &Faux).err();
    assert!(
        matches!(e, Some(ImportError::Json { ligne: 2, .. })),
        "{e:?}"
    );
    let e = lire("t", Format::V1Json, b"{\"id\": 1}", &options(), &Faux).err();
    assert!(matches!(e, Some(ImportError::Structure { .. })), "{e:?}");
    let e = lire(
        "t",
        Format::V1Csv,
        b"id,commune\n1,Toulouse\n",
        &options(),
        &Faux,
    )
    .err();
    assert_eq!(
        e.as_ref().map(ToString::to_string).as_deref(),
        Some("colonne(s) obligatoire(s) absente(s) de l'en-tête (ligne 1) : nom, adresse, code_postal")
    );
    let e = lire("t", Format::GeoJson, b"[]", &options(), &Faux).err();
    assert!(matches!(e, Some(ImportError::Structure { .. })), "{e:?}");
    let e = lire("t", Format::FranceServices, b"  ", &options(), &Faux).err();
    assert_eq!(e, Some(ImportError::Vide));
}

#[test]
fn geojson_geometry_wins_and_bad_features_are_rejected() {
    let g = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"1","nom":"N","adresse":"A","code_postal":"31000","commune":"Toulouse","date_maj":"2022-11-22","latitude":"0","longitude":"0"},
         "geometry":{"type":"Point","coordinates":["1.45","43.61"]}},
        {"type":"Feature","geometry":null},
        {"type":"Feature","properties":{"id":"2","nom":"N","adresse":"A","code_postal":"31000","commune":"Toulouse","date_maj":"2022-11-22"},
         "geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}]}"#;
    let l = lire("t", Format::GeoJson, g.as_bytes(), &options(), &Faux).expect("readable");
    assert_eq!(
        (l.rapport.lus, l.rapport.acceptes, l.rapport.rejetes),
        (3, 2, 1)
    );
    assert_eq!(
        l.lieux[0]
            .lieu
            .localisation
            .map(|p| (p.latitude, p.longitude)),
        Some((43.61, 1.45))
    );
    let r2: Vec<&str> = l
        .rapport
        .remarques_de(3)
        .map(|r| r.champ.as_str())
        .collect();
    assert_eq!(r2, vec!["geometry", "code_insee", "latitude/longitude"]);
}
