//! Import of a CRA history exported by La Coop (REFERENTIELS.md §1.4 columns): all or
//! nothing, with a line-by-line report naming the column at fault.

use chrono::{TimeZone, Utc};
use maillage_comptes::stockage::AffectationRow;
use maillage_domain::mediation::{Compteurs, Dimension, Role};
use maillage_mediation::stockage::StatFiltre;
use maillage_mediation::HorlogeManuelle;
use std::sync::Arc;

const ENTETE: &str = "Date;Enregistré le;Type;Participants;Canaux d’accompagnement;Nom du lieu;Commune;Code Insee;Durée (min);Nom de l’atelier;Matériel numérique utilisé;Thématique(s) d’accompagnement;Tags;Niveau d’autonomie (ou de l’atelier);Structure de redirection;Tranche d’âge du bénéficiaire;Statut du bénéficiaire;Genre du bénéficiaire;Notes supplémentaires;ID CRA";

async fn monde() -> (maillage_mediation::Mediation, maillage_mediation::Acteur) {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .unwrap();
    let annuaire = annuaire.avec_horloge(Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .unwrap(),
    )));
    let m = annuaire.mediation().clone();
    let s = annuaire.store().clone();
    let st = s
        .create_structure("Médiathèque", None, Some("31555"))
        .await
        .unwrap();
    let lieu = s
        .create_lieu_activite(st, "Médiathèque Cabanis", None, "31555")
        .await
        .unwrap();
    let id = m
        .comptes()
        .creer_compte(
            "m@exemple.fr",
            "Médiatrice",
            Role::Mediateur,
            Some(maillage_domain::StructureId::new(st)),
            "un mot de passe solide",
        )
        .await
        .unwrap();
    s.add_affectation(&AffectationRow {
        compte_id: id.get(),
        lieu_activite_id: lieu,
        debut: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        fin: None,
    })
    .await
    .unwrap();
    let a = m.comptes().acteur_de_confiance(id).await.unwrap();
    (m, a)
}

#[tokio::test]
async fn coop_export_is_imported_with_its_counts() {
    let (m, a) = monde().await;
    let csv = format!(
        "{ENTETE}\n\
         12/03/2026;12/03/2026;Accompagnement individuel;1;Lieu d’activité;Médiathèque Cabanis;Toulouse;31555;45;;Ordinateur, Téléphone;E-mail, Logement;;Autonome;;70 ans et plus;Retraité;Femme;RDV CAF;c1\n\
         14/03/2026;14/03/2026;Atelier collectif;8;À domicile;;Muret;31395;120;Arnaques en ligne;Tablette;Prévention en sécurité numérique;seniors;Débutant;;60 - 69 ans;Retraité;;;c2\n"
    );
    let r = m.importer_coop(&a, csv.as_bytes()).await.unwrap();
    assert!(r.refusees.is_empty(), "{:?}", r.refusees);
    assert_eq!((r.lignes_lues, r.importees), (2, 2));
    assert!(r.resume().contains("2 activités importées"));
    let rows = m
        .store()
        .stats(&StatFiltre {
            mediateurs: Some(vec![a.id().get()]),
            mois_debut: 202603,
            mois_fin: 202603,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut c = Compteurs::default();
    for row in &rows {
        assert!(c.additionner_octets(&row.compteurs));
    }
    assert_eq!(
        (c.activites(), c.accompagnements(), c.minutes()),
        (2, 9, 165)
    );
    // "Femme" in the Coop's export is Féminin.
    assert_eq!(c.bloc(Dimension::Genre)[1], 1);
    let activites = m.mes_activites(&a, 10, 0).await.unwrap();
    assert_eq!(activites[1].cra.notes, "RDV CAF");
    assert_eq!(activites[0].cra.titre.as_deref(), Some("Arnaques en ligne"));
}

#[tokio::test]
async fn one_bad_line_imports_nothing_and_names_line_and_column() {
    let (m, a) = monde().await;
    let csv = format!(
        "{ENTETE}\n\
         12/03/2026;;Accompagnement individuel;1;À distance;;;31555;45;;;E-mail;;;;;;;;\n\
         31/02/2026;;Accompagnement individuel;1;À distance;;;31555;45;;;E-mail;;;;;;;;\n\
         14/03/2026;;Atelier collectif;8;À domicile;;;31395;120;;;Jardinage;;;;;;;;\n\
         15/03/2026;;Accompagnement individuel;1;À distance;;;31555;dix;;;E-mail;;;;;;;;\n"
    );
    let r = m.importer_coop(&a, csv.as_bytes()).await.unwrap();
    assert_eq!(r.importees, 0);
    let fautes: Vec<(usize, &str)> = r
        .refusees
        .iter()
        .map(|l| (l.ligne, l.colonne.as_str()))
        .collect();
    assert_eq!(
        fautes,
        vec![
            (3, "Date"),
            (4, "Thématique(s) d’accompagnement"),
            (5, "Durée (min)")
        ]
    );
    assert!(r.refusees[1].message.contains("Jardinage"));
    assert!(r.resume().contains("rien n’a été importé"));
    assert!(
        m.mes_activites(&a, 10, 0).await.unwrap().is_empty(),
        "nothing written"
    );
    // A file without the required columns is refused at line 1.
    let e = m
        .importer_coop(&a, b"Date;Type\n12/03/2026;Accompagnement individuel\n")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ligne 1"), "{e}");
}
