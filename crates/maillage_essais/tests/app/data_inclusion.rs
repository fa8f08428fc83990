//! The data·inclusion schema (issue 20, item 4): the export of the whole demo directory is
//! validated by the official package `data-inclusion-schema` (PyPI) with zero errors, and a
//! round trip places → data·inclusion → places keeps, field by field, every field both
//! schemas share (docs/INTEROP.md says which and how).

use maillage_annuaire::annuaire::{Annuaire, DemandeImport};
use maillage_annuaire::data_inclusion::{self as di, ExportDataInclusion};
use maillage_annuaire::import::{self, Format, OptionsImport};
use maillage_domain::{Lieu, ModaliteAccompagnement, Pivot};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

async fn annuaire_demo() -> Annuaire {
    let annuaire = crate::ouvrir("sqlite::memory:").await.expect("open");
    annuaire.charger_demo().await.expect("demo");
    annuaire
}

fn combine(export: &ExportDataInclusion) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "structures": export.structures,
        "services": export.services,
    }))
    .expect("json")
}

#[tokio::test]
async fn data_inclusion_export_valide_par_le_paquet_officiel() {
    let annuaire = annuaire_demo().await;
    let (export, n) = annuaire
        .exporter_data_inclusion("maillage", None)
        .await
        .expect("export");
    assert!(n > 6000, "{n} places");
    assert_eq!(export.structures.len(), n);
    assert!(export.services.len() >= n, "at least one service per place");

    let dir = std::env::temp_dir().join(format!("maillage-di-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    std::fs::write(
        dir.join("structures.json"),
        serde_json::to_vec(&export.structures).expect("json"),
    )
    .expect("write");
    std::fs::write(
        dir.join("services.json"),
        serde_json::to_vec(&export.services).expect("json"),
    )
    .expect("write");
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/valider_data_inclusion.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .output()
        .expect("python3");
    let rapport: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "the validator's JSON report (pip install data-inclusion-schema; .ci/run does it): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(rapport["paquet"], "1.0.10", "the pinned package");
    assert_eq!(rapport["structures"].as_u64(), Some(n as u64));
    assert_eq!(
        rapport["services"].as_u64(),
        Some(export.services.len() as u64)
    );
    assert_eq!(
        rapport["nombre_erreurs"].as_u64(),
        Some(0),
        "{:#}",
        rapport["erreurs"]
    );
    assert!(out.status.success());

    // The same directory read back by `auto`, through the product's import.
    let autre = crate::ouvrir("sqlite::memory:").await.expect("open");
    let r = autre
        .importer(DemandeImport {
            source: "data-inclusion".into(),
            format: None,
            nom_fichier: "data-inclusion.json".into(),
            contenu: combine(&export),
        })
        .await
        .expect("import");
    assert_eq!(r.format, Format::DataInclusion);
    assert_eq!((r.rapport.lus, r.rapport.rejetes), (n, 0));
    let _ = std::fs::remove_dir_all(dir);
}

/// What data·inclusion keeps of an access or support modality list (docs/INTEROP.md).
fn accompagnement_attendu(l: &Lieu) -> Vec<ModaliteAccompagnement> {
    let mut v = Vec::new();
    if let Some(m) = l
        .modalites_accompagnement
        .iter()
        .find_map(|m| di::type_de_service(*m))
        .and_then(di::accompagnement_de_type)
    {
        v.push(m);
    }
    if l.modalites_accompagnement
        .contains(&ModaliteAccompagnement::ADistance)
    {
        v.push(ModaliteAccompagnement::ADistance);
    }
    v
}

fn url(u: &str) -> bool {
    u.starts_with("http://") || u.starts_with("https://")
}

#[tokio::test]
async fn data_inclusion_aller_retour_garde_les_champs_communs() {
    let annuaire = annuaire_demo().await;
    let lieux: Vec<Lieu> = annuaire
        .lieux_publies(None)
        .await
        .expect("lieux")
        .into_iter()
        .map(|f| f.lieu)
        .collect();
    let aujourd_hui = chrono::Local::now().date_naive();
    let plancher = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    // The baseline: the same places re-imported from the national schema's own JSON, so
    // that what every import checks and completes (INSEE code from the postal code,
    // coordinates against the commune…) is the same on both sides.
    let v1 =
        maillage_annuaire::export::exporter(maillage_annuaire::export::FormatExport::Json, &lieux)
            .expect("v1 json");
    let base = import::lire(
        "base",
        Format::V1Json,
        &v1,
        &OptionsImport::default(),
        annuaire.referentiel(),
    )
    .expect("v1 read back");
    assert_eq!(base.rapport.rejetes, 0);
    let lieux: Vec<Lieu> = base.lieux.into_iter().map(|l| l.lieu).collect();
    let export = di::exporter(&lieux, "maillage", aujourd_hui);
    let bytes = combine(&export);
    assert_eq!(import::detecter(&bytes), Ok(Format::DataInclusion));
    let lecture = import::lire(
        "retour",
        Format::DataInclusion,
        &bytes,
        &OptionsImport::default(),
        annuaire.referentiel(),
    )
    .expect("read back");
    assert_eq!(
        lecture.rapport.rejetes, 0,
        "{:?}",
        lecture.rapport.remarques
    );
    let retour: HashMap<&str, &Lieu> = lecture
        .lieux
        .iter()
        .map(|l| (l.lieu.id.as_str(), &l.lieu))
        .collect();
    assert_eq!(retour.len(), lieux.len());

    let mut compares: HashMap<&str, usize> = HashMap::new();
    let mut compter = |champ: &'static str| *compares.entry(champ).or_default() += 1;
    for a in &lieux {
        let b = retour
            .get(a.id.as_str())
            .unwrap_or_else(|| panic!("{} lost", a.id));
        let id = &a.id;
        // Shared one to one.
        // Lossy: a final full stop is dropped (the package warns about it).
        let nom = di::nom_valide(&a.nom, &a.commune);
        if (3..=150).contains(&a.nom.trim().chars().count()) && nom == a.nom {
            compter("nom");
        }
        assert_eq!(nom, b.nom, "{id} nom");
        assert_eq!(a.commune, b.commune, "{id} commune");
        assert_eq!(a.code_postal, b.code_postal, "{id} code_postal");
        assert_eq!(a.code_insee, b.code_insee, "{id} code_insee");
        assert_eq!(a.adresse, b.adresse, "{id} adresse");
        assert_eq!(
            a.complement_adresse, b.complement_adresse,
            "{id} complement"
        );
        match (&a.localisation, &b.localisation) {
            // Lossy: data·inclusion has no itinerance, and a bus far from its commune's
            // centre is re-centred on import.
            _ if a.est_itinerant() => compter("itinerant"),
            (Some(x), Some(y)) => {
                assert!((x.latitude - y.latitude).abs() < 1e-9, "{id} latitude");
                assert!((x.longitude - y.longitude).abs() < 1e-9, "{id} longitude");
                compter("latitude/longitude");
            }
            (None, None) => {}
            autre => panic!("{id} localisation {autre:?}"),
        }
        assert_eq!(a.telephone, b.telephone, "{id} telephone");
        assert_eq!(
            a.date_maj.clamp(plancher, aujourd_hui),
            b.date_maj,
            "{id} date_maj"
        );
        match &a.pivot {
            Pivot::Siret(_) => {
                assert_eq!(a.pivot, b.pivot, "{id} pivot");
                compter("pivot");
            }
            _ => assert!(b.pivot.is_absent(), "{id} pivot"),
        }
        let horaires = a.horaires.as_ref().filter(|h| h.valide);
        assert_eq!(horaires, b.horaires.as_ref(), "{id} horaires");
        let detail = a
            .presentation_detail
            .as_deref()
            .map(str::trim)
            .filter(|d| (5..=10_000).contains(&d.chars().count()));
        assert_eq!(detail, b.presentation_detail.as_deref(), "{id} detail");
        assert_eq!(
            a.fiche_acces_libre.as_deref().filter(|u| url(u)),
            b.fiche_acces_libre.as_deref(),
            "{id} fiche_acces_libre"
        );
        assert_eq!(
            a.prise_rdv.as_deref().filter(|u| url(u)),
            b.prise_rdv.as_deref(),
            "{id} prise_rdv"
        );
        // One value in data·inclusion: the first valid one.
        assert_eq!(
            a.courriels.iter().find(|c| di::courriel_valide(c)),
            b.courriels.first(),
            "{id} courriels"
        );
        assert_eq!(
            a.site_web.iter().find(|u| url(u)),
            b.site_web.first(),
            "{id} site_web"
        );
        // Enumerations: services and the lists carried in the services.
        assert_eq!(a.services, b.services, "{id} services");
        assert_eq!(a.frais_a_charge, b.frais_a_charge, "{id} frais");
        assert_eq!(
            a.publics_specifiquement_adresses, b.publics_specifiquement_adresses,
            "{id} publics"
        );
        assert_eq!(
            a.prise_en_charge_specifique, b.prise_en_charge_specifique,
            "{id} prise en charge"
        );
        assert_eq!(a.modalites_acces, b.modalites_acces, "{id} modalites_acces");
        // Lossy, as docs/INTEROP.md states: what data·inclusion can say of them.
        let dispositifs: Vec<_> = a
            .dispositif_programmes_nationaux
            .iter()
            .filter(|d| di::RESEAUX.iter().any(|(x, _)| x == *d))
            .copied()
            .collect();
        assert_eq!(
            dispositifs, b.dispositif_programmes_nationaux,
            "{id} dispositifs"
        );
        let formations: Vec<_> = a
            .formations_labels
            .iter()
            .filter(|f| **f == di::RESEAU_FABRIQUES.0)
            .copied()
            .collect();
        assert_eq!(formations, b.formations_labels, "{id} formations");
        let mut attendu = accompagnement_attendu(a);
        let mut lu = b.modalites_accompagnement.clone();
        attendu.sort();
        lu.sort();
        assert_eq!(attendu, lu, "{id} modalites_accompagnement");
        for (champ, plein) in [
            ("services", !a.services.is_empty()),
            ("frais_a_charge", !a.frais_a_charge.is_empty()),
            ("modalites_acces", !a.modalites_acces.is_empty()),
            ("courriels", !b.courriels.is_empty()),
            ("horaires", horaires.is_some()),
            ("dispositif_programmes_nationaux", !dispositifs.is_empty()),
            (
                "publics_specifiquement_adresses",
                !a.publics_specifiquement_adresses.is_empty(),
            ),
        ] {
            if plein {
                compter(champ);
            }
        }
    }
    // The demo directory exercises every compared field, not only empty ones.
    let peu: Vec<&str> = [
        "nom",
        "latitude/longitude",
        "pivot",
        "services",
        "frais_a_charge",
        "courriels",
        "horaires",
        "dispositif_programmes_nationaux",
        "publics_specifiquement_adresses",
    ]
    .into_iter()
    .filter(|champ| compares.get(champ).copied().unwrap_or(0) <= 50)
    .collect();
    assert!(peu.is_empty(), "{peu:?} in {compares:?}");
}
