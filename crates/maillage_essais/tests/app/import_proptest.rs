//! `lire` never panics, and its counts always add up, whatever the input.

use chrono::NaiveDate;
use maillage_annuaire::import::{detecter, lire, Format, Gravite, Lecture, OptionsImport};
use maillage_domain::lieu::CHAMPS;
use maillage_territoire::Referentiel;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn options() -> OptionsImport {
    OptionsImport {
        date_maj_par_defaut: NaiveDate::from_ymd_opt(2024, 1, 1),
    }
}

fn verifier(l: &Lecture) -> Result<(), TestCaseError> {
    let r = &l.rapport;
    prop_assert_eq!(r.lus, r.acceptes + r.rejetes);
    prop_assert_eq!(r.acceptes, l.lieux.len());
    prop_assert!(r.acceptes_avec_corrections <= r.acceptes);
    let rejetes: BTreeSet<usize> = r
        .remarques
        .iter()
        .filter(|x| x.gravite == Gravite::Rejet)
        .map(|x| x.enregistrement)
        .collect();
    prop_assert_eq!(
        rejetes.len(),
        r.rejetes,
        "every rejected record has a remark"
    );
    for x in &l.lieux {
        prop_assert!(!x.lieu.id.is_empty());
        prop_assert!(x
            .lieu
            .presentation_resume
            .as_ref()
            .is_none_or(|s| s.chars().count() <= 280));
    }
    Ok(())
}

fn tous_formats(bytes: &[u8]) -> Result<(), TestCaseError> {
    let _ = detecter(bytes);
    for format in Format::ALL {
        if let Ok(l) = lire("p", format, bytes, &options(), Referentiel::embedded()) {
            verifier(&l)?;
        }
    }
    Ok(())
}

/// Values that hit the interesting paths: schema labels, v0 labels, separators, numbers,
/// coordinates, dates, postal codes, garbage.
fn cellule() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        "[0-9 .,:/+-]{0,16}",
        Just(String::new()),
        Just("31000".to_string()),
        Just("1400".to_string()),
        Just("13011".to_string()),
        Just("MARSEILLE 11".to_string()),
        Just("2024-02-30".to_string()),
        Just("2022-05-09".to_string()),
        Just("43.6".to_string()),
        Just("1.44".to_string()),
        Just("-22.2".to_string()),
        Just("Prendre en main un ordinateur, Accéder à du matériel".to_string()),
        Just("Aide aux démarches administratives|Jardinage".to_string()),
        Just("Gratuit : Je peux".to_string()),
        Just("09:00 - 12:00 / 13:30 - 17:00".to_string()),
        Just("Mo-Fr 09:00-12:00".to_string()),
        Just("é".repeat(300)),
        Just("Oui".to_string()),
    ]
}

fn json_valeur() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        cellule().prop_map(serde_json::Value::String),
        any::<f64>().prop_map(|x| serde_json::Number::from_f64(x)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)),
        any::<i64>().prop_map(|x| serde_json::Value::Number(x.into())),
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        prop::collection::vec(cellule().prop_map(serde_json::Value::String), 0..3)
            .prop_map(serde_json::Value::Array),
        Just(serde_json::json!({"a": [1, {"b": 2}]})),
    ]
}

fn nom_de_champ() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(CHAMPS.to_vec()).prop_map(String::from),
        prop::sample::select(vec![
            "courriel",
            "conditions_acces",
            "conditions_access",
            "labels_nationaux",
            "labels_autres",
            "publics_accueillis",
            "accessibilite",
        ])
        .prop_map(String::from),
        "[a-z_]{1,8}",
    ]
}

fn objet() -> impl Strategy<Value = serde_json::Value> {
    prop::collection::btree_map(nom_de_champ(), json_valeur(), 0..14)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
}

/// 128 cases per property, or `IMPORT_PROPTEST_CASES`.
fn cas() -> u32 {
    std::env::var("IMPORT_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cas(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        tous_formats(&bytes)?;
    }

    #[test]
    fn arbitrary_text(texte in ".{0,300}") {
        tous_formats(texte.as_bytes())?;
    }

    #[test]
    fn json_arrays_of_objects(objets in prop::collection::vec(objet(), 0..8)) {
        let texte = serde_json::Value::Array(objets.clone()).to_string();
        for format in [Format::V1Json, Format::V0Json] {
            let l = lire("p", format, texte.as_bytes(), &options(), Referentiel::embedded());
            prop_assert!(l.is_ok());
            if let Ok(l) = l {
                prop_assert_eq!(l.rapport.lus, objets.len());
                verifier(&l)?;
            }
        }
        let features: Vec<serde_json::Value> = objets
            .into_iter()
            .map(|p| serde_json::json!({"type": "Feature", "properties": p,
                "geometry": {"type": "Point", "coordinates": ["1.44", 43.6]}}))
            .collect();
        let n = features.len();
        let g = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
        let l = lire("p", Format::GeoJson, g.as_bytes(), &options(), Referentiel::embedded());
        prop_assert!(l.is_ok());
        if let Ok(l) = l {
            prop_assert_eq!(l.rapport.lus, n);
            verifier(&l)?;
        }
    }

    #[test]
    fn csv_with_random_cells(
        lignes in prop::collection::vec(prop::collection::vec(cellule(), 30..34), 0..6),
        separateur in prop::sample::select(vec![',', ';']),
    ) {
        let echapper = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
        let mut v1 = CHAMPS.join(&separateur.to_string());
        let entete_fs = ["id_fs", "lib_fs", "adresse", "insee_com", "code_postal", "lib_com",
            "latitude", "longitude", "mail", "telephone", "h_lundi", "h_mardi", "h_mercredi",
            "h_jeudi", "h_vendredi", "h_samedi", "commentaire", "itinerance"];
        let mut fs = entete_fs.join(",");
        for l in &lignes {
            v1.push('\n');
            v1.push_str(&l.iter().take(32).map(|c| echapper(c)).collect::<Vec<_>>().join(&separateur.to_string()));
            fs.push('\n');
            fs.push_str(&l.iter().take(entete_fs.len()).map(|c| echapper(c)).collect::<Vec<_>>().join(","));
        }
        for (texte, format) in [(v1, Format::V1Csv), (fs, Format::FranceServices)] {
            let l = lire("p", format, texte.as_bytes(), &options(), Referentiel::embedded());
            if let Ok(l) = l {
                verifier(&l)?;
            }
            tous_formats(texte.as_bytes())?;
        }
    }
}
