//! A regional file in its own columns, imported through a column mapping (issue 20, item 5):
//! `tests/data/regional/lieux_numeriques_cd31.csv` (30 places, `;`, decimal comma, X before
//! Y, one column per half-day, dates `JJ/MM/AAAA`) and its mapping
//! `lieux_numeriques_cd31.toml`; the places are checked field by field, and a variant with a
//! value without correspondence and an impossible date is refused by line and column with
//! nothing written.

use maillage_annuaire::annuaire::{AppError, DemandeImportCorrespondance, RegleRetrait};
use maillage_annuaire::import::{Correspondance, Format};
use maillage_domain::{Frais, Lieu, PublicSpecifiquementAdresse as Public, Service, Typologie};
use std::path::PathBuf;

fn fichier(nom: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/regional")
        .join(nom)
}

fn demande(csv: &str) -> DemandeImportCorrespondance {
    let texte = std::fs::read_to_string(fichier("lieux_numeriques_cd31.toml")).expect("toml");
    DemandeImportCorrespondance {
        source: None,
        correspondance: Correspondance::depuis_toml(&texte).expect("mapping"),
        nom_fichier: csv.to_string(),
        contenu: std::fs::read(fichier(csv)).expect("csv"),
    }
}

fn par_id<'a>(lieux: &'a [Lieu], id: &str) -> &'a Lieu {
    lieux
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("{id} not imported"))
}

#[tokio::test]
async fn correspondance_fichier_regional_importe_champ_par_champ() {
    let annuaire = crate::ouvrir("sqlite::memory:").await.expect("open");
    let r = annuaire
        .importer_correspondance(
            demande("lieux_numeriques_cd31.csv"),
            RegleRetrait::default(),
        )
        .await
        .expect("import");
    assert_eq!(r.source, "cd31-points-numeriques", "the mapping's source");
    assert_eq!(r.format, Format::Correspondance);
    assert_eq!(
        (r.rapport.lus, r.rapport.acceptes, r.rapport.rejetes),
        (30, 30, 0)
    );
    assert_eq!(r.bilan.added, 30);
    let lieux: Vec<Lieu> = annuaire
        .lieux_sources()
        .await
        .expect("sources")
        .into_iter()
        .filter(|l| l.source == "cd31-points-numeriques")
        .map(|l| l.lieu)
        .collect();
    assert_eq!(lieux.len(), 30);

    let a = par_id(&lieux, "CD31-001");
    assert_eq!(a.nom, "Médiathèque Aucamville");
    assert_eq!(a.typologie, vec![Typologie::Bib]);
    assert_eq!(a.adresse, "2 rue du Lauragais");
    assert_eq!(a.code_postal.as_str(), "31140");
    assert_eq!(a.commune, "Aucamville");
    assert_eq!(a.code_insee.as_ref().map(|c| c.as_str()), Some("31022"));
    let loc = a.localisation.expect("coordinates");
    assert_eq!((loc.latitude, loc.longitude), (43.66331, 1.42112));
    assert!(!loc.approximative);
    assert_eq!(
        a.telephone.as_ref().map(|t| t.as_str()),
        Some("+33561971527")
    );
    assert!(a.courriels.is_empty());
    assert_eq!(a.site_web, vec!["https://www.aucamville.fr/numerique"]);
    assert_eq!(
        a.services,
        vec![Service::InsertionProfessionnelleViaLeNumerique]
    );
    assert_eq!(
        a.publics_specifiquement_adresses,
        vec![Public::Seniors, Public::Jeunes]
    );
    assert_eq!(a.frais_a_charge, vec![Frais::Gratuit]);
    assert_eq!(a.date_maj.to_string(), "2025-01-04");
    let h = a.horaires.as_ref().expect("hours");
    assert_eq!(
        h.brut,
        "Mo 08:30-12:00,13:30-17:30; Tu 08:30-12:00,14:00-17:00; We 09:00-12:00,13:30-17:30; \
         Th 08:30-12:00,13:30-16:30; Fr 10:00-12:00,13:30-17:30; Sa 09:00-12:00"
    );
    assert!(h.valide);

    // A closed day written « fermé » and an empty one; « Gratuit sous conditions ».
    let b = par_id(&lieux, "CD31-002");
    assert_eq!(b.nom, "Mairie de Auterive – point numérique");
    assert_eq!(b.typologie, vec![Typologie::Muni]);
    assert_eq!(b.courriels, vec!["numerique@auterive.example.fr"]);
    assert_eq!(
        b.services,
        vec![Service::ParentaliteEtEducationAvecLeNumerique]
    );
    assert_eq!(b.frais_a_charge, vec![Frais::GratuitSousCondition]);
    assert_eq!(b.date_maj.to_string(), "2025-07-27");
    assert_eq!(
        b.horaires.as_ref().map(|h| h.brut.as_str()),
        Some(
            "Mo 10:00-12:00,14:00-17:00; Tu 09:00-12:00,13:30-17:30; Th 09:30-12:30,13:30-17:30; \
             Fr 08:30-12:00,13:30-17:30"
        )
    );

    // Several services in one cell; « Tout public » mapped to nothing; a closed morning.
    let c = par_id(&lieux, "CD31-004");
    assert_eq!(c.typologie, vec![Typologie::Asso]);
    assert_eq!(
        c.services,
        vec![
            Service::MaitriseDesOutilsNumeriquesDuQuotidien,
            Service::InsertionProfessionnelleViaLeNumerique,
            Service::ParentaliteEtEducationAvecLeNumerique,
        ]
    );
    assert!(c.publics_specifiquement_adresses.is_empty());
    assert_eq!(c.frais_a_charge, vec![Frais::Payant]);
    let loc = c.localisation.expect("coordinates");
    assert_eq!((loc.latitude, loc.longitude), (43.65103, 1.38972));
    assert_eq!(
        c.horaires.as_ref().map(|h| h.brut.as_str()),
        Some(
            "Mo 13:30-17:30; Tu 09:00-12:00,14:00-18:00; We 09:00-12:00,13:30-16:30; \
             Th 09:30-12:30,14:00-18:00; Fr 08:30-12:00,14:00-17:00; Sa 10:00-12:00"
        )
    );

    // Every place: valid OSM hours, coordinates in Haute-Garonne, a 2025 date.
    for l in &lieux {
        assert!(l.horaires.as_ref().is_some_and(|h| h.valide), "{}", l.id);
        let loc = l.localisation.expect("coordinates");
        assert!((42.6..44.0).contains(&loc.latitude), "{} {loc:?}", l.id);
        assert!((0.4..2.1).contains(&loc.longitude), "{} {loc:?}", l.id);
        assert_eq!(l.code_insee.as_ref().map(|c| c.departement()), Some("31"));
        assert_eq!(l.date_maj.format("%Y").to_string(), "2025");
        assert!(!l.services.is_empty() && l.typologie.len() == 1, "{}", l.id);
    }
}

#[tokio::test]
async fn correspondance_lignes_fautives_rien_n_est_importe() {
    let annuaire = crate::ouvrir("sqlite::memory:").await.expect("open");
    let e = annuaire
        .importer_correspondance(
            demande("lieux_numeriques_cd31_erreurs.csv"),
            RegleRetrait::default(),
        )
        .await
        .err();
    let Some(AppError::ImportArrete(message)) = e else {
        panic!("import stopped expected, got {e:?}");
    };
    assert!(
        message.contains("2 ligne(s) sur 30 rejetée(s) : import arrêté, rien n'a été écrit"),
        "{message}"
    );
    assert!(
        message.contains(
            "ligne 6 (id CD31-005), Tarif (frais_a_charge) : valeur « Sur devis » sans \
             correspondance"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "ligne 12 (id CD31-011), Date de mise à jour (date_maj) : date « 31/02/2025 » \
             illisible"
        ),
        "{message}"
    );
    assert!(
        message.contains("valeurs sans correspondance — Tarif (frais_a_charge) : « Sur devis »"),
        "{message}"
    );
    assert!(annuaire.lieux_sources().await.expect("sources").is_empty());
    assert_eq!(
        annuaire.store().count_merged_lieux().await.expect("count"),
        0
    );

    // Over a good import: the faulty file changes nothing (never half-imported).
    annuaire
        .importer_correspondance(
            demande("lieux_numeriques_cd31.csv"),
            RegleRetrait::default(),
        )
        .await
        .expect("import");
    let avant = annuaire.lieux_sources().await.expect("sources");
    let e = annuaire
        .importer_correspondance(
            demande("lieux_numeriques_cd31_erreurs.csv"),
            RegleRetrait::default(),
        )
        .await;
    assert!(matches!(e, Err(AppError::ImportArrete(_))));
    assert_eq!(annuaire.lieux_sources().await.expect("sources"), avant);
}
