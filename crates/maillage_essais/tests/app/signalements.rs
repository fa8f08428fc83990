//! Error reports sent by the public ("signaler une erreur"): validation with French
//! messages, round trip, listing and processing; on SQLite and on PostgreSQL.

use maillage_annuaire::annuaire::{Annuaire, AppError, DemandeImport};
use maillage_annuaire::import::Format;
use maillage_annuaire::signalement::{CategorieSignalement, CONTACT_MAX, MESSAGE_MAX};
use maillage_store_postgres::testing::TestDatabase;

const HEADER: &str = "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,typologie,telephone,courriels,site_web,horaires,presentation_resume,presentation_detail,source,itinerance,structure_parente,date_maj,services,publics_specifiquement_adresses,prise_en_charge_specifique,frais_a_charge,dispositif_programmes_nationaux,formations_labels,autres_formations_labels,modalites_acces,modalites_accompagnement,fiche_acces_libre,prise_rdv";

fn csv() -> Vec<u8> {
    let rows = [
        "a,00000000000000,Espace numérique du Capitole,Toulouse,31000,31555,1 place du Capitole,,43.6045,1.444,,0561000000,,,Mo-Fr 09:00-12:00,,,,,,2024-01-10,Aide aux démarches administratives,,,Gratuit,,,,,,,",
        "c,00000000000000,Centre social de Cantepau,Albi,81000,81004,10 rue de Cantepau,,43.931,2.162,,0563000000,,,Mo-Fr 09:00-12:00,,,,,,2024-01-10,Aide aux démarches administratives,,,Gratuit,,,,,,,",
    ];
    format!("{HEADER}\n{}\n", rows.join("\n")).into_bytes()
}

/// Imports two places; returns their published ids.
async fn charger(annuaire: &Annuaire) -> (String, String) {
    annuaire
        .importer(DemandeImport {
            source: "ville".into(),
            format: Some(Format::V1Csv),
            nom_fichier: "lieux.csv".into(),
            contenu: csv(),
        })
        .await
        .expect("import");
    let lieux = annuaire.lieux_publies(None).await.expect("published");
    assert_eq!(lieux.len(), 2);
    let id_of = |nom: &str| {
        lieux
            .iter()
            .find(|f| f.lieu.nom.contains(nom))
            .map(|f| f.id.clone())
            .unwrap_or_else(|| panic!("place {nom}"))
    };
    (id_of("Capitole"), id_of("Cantepau"))
}

fn invalide(result: Result<i64, AppError>, attendu: &str) {
    match result {
        Err(AppError::Invalide(message)) => {
            assert!(message.contains(attendu), "{message:?} ∌ {attendu:?}")
        }
        other => panic!("expected Invalide({attendu:?}), got {other:?}"),
    }
}

async fn nombre(annuaire: &Annuaire) -> usize {
    annuaire
        .signalements(None, false)
        .await
        .expect("signalements")
        .len()
}

async fn scenario(annuaire: Annuaire) {
    let (capitole, cantepau) = charger(&annuaire).await;
    assert_eq!(nombre(&annuaire).await, 0);

    // Refused: nothing is written, and the message says why, in French.
    let err = annuaire
        .signaler(
            "lieu-inconnu",
            CategorieSignalement::Horaires,
            "fermé",
            None,
        )
        .await
        .expect_err("unknown place");
    assert!(matches!(err, AppError::Introuvable(_)), "{err:?}");
    assert_eq!(err.to_string(), "introuvable : aucun lieu « lieu-inconnu »");
    assert!(matches!(
        annuaire
            .signaler("  ", CategorieSignalement::Horaires, "fermé", None)
            .await,
        Err(AppError::Introuvable(_))
    ));
    // A source reference is not a published id.
    assert!(matches!(
        annuaire
            .signaler("ville#a", CategorieSignalement::Horaires, "fermé", None)
            .await,
        Err(AppError::Introuvable(_))
    ));
    for vide in ["", "   ", "\n\t \r\n", "\u{0}"] {
        invalide(
            annuaire
                .signaler(&capitole, CategorieSignalement::Services, vide, None)
                .await,
            "Le message est obligatoire",
        );
    }
    let trop_long = "é".repeat(MESSAGE_MAX + 1);
    invalide(
        annuaire
            .signaler(&capitole, CategorieSignalement::Adresse, &trop_long, None)
            .await,
        "Le message est trop long : 2001 caractères, 2000 au plus.",
    );
    invalide(
        annuaire
            .signaler(
                &capitole,
                CategorieSignalement::Contacts,
                "le numéro ne répond pas",
                Some(&"x".repeat(CONTACT_MAX + 1)),
            )
            .await,
        "Le contact est trop long : 201 caractères, 200 au plus.",
    );
    let err = annuaire
        .signaler(&capitole, CategorieSignalement::Horaires, " ", None)
        .await
        .expect_err("empty");
    assert_eq!(
        err.to_string(),
        "Le message est obligatoire : décrivez l'erreur que vous avez constatée."
    );
    assert_eq!(nombre(&annuaire).await, 0, "nothing written on refusal");

    // Accepted: text trimmed and cleaned, limits counted in characters, not bytes.
    let id_horaires = annuaire
        .signaler(
            &format!(" {capitole} "),
            CategorieSignalement::Horaires,
            "  Fermé le « lundi » 🙁\r\nOuvert l'après-midi\u{0} \n",
            Some("  zoë@exemple.fr "),
        )
        .await
        .expect("valid report");
    let pile = "é".repeat(MESSAGE_MAX);
    let id_long = annuaire
        .signaler(
            &capitole,
            CategorieSignalement::Services,
            &pile,
            Some(&"☎".repeat(CONTACT_MAX)),
        )
        .await
        .expect("exactly at the limits");
    let id_ferme = annuaire
        .signaler(
            &cantepau,
            CategorieSignalement::LieuFerme,
            "  ",
            Some("   "),
        )
        .await
        .expect("a closed place needs no message");

    let tous = annuaire
        .signalements(None, false)
        .await
        .expect("signalements");
    assert_eq!(
        tous.iter().map(|s| s.id).collect::<Vec<_>>(),
        [id_ferme, id_long, id_horaires],
        "newest first"
    );
    let ferme = &tous[0];
    assert_eq!(
        (
            ferme.lieu_id.as_str(),
            ferme.categorie.as_str(),
            ferme.message.as_str(),
            ferme.contact.as_deref(),
            ferme.traite
        ),
        (cantepau.as_str(), "n-existe-plus", "", None, false)
    );
    assert_eq!(tous[1].message, pile);
    assert_eq!(tous[1].categorie, "services");
    let horaires = &tous[2];
    assert_eq!(horaires.lieu_id, capitole);
    assert_eq!(horaires.categorie, "horaires");
    assert_eq!(
        horaires.message,
        "Fermé le « lundi » 🙁\nOuvert l'après-midi"
    );
    assert_eq!(horaires.contact.as_deref(), Some("zoë@exemple.fr"));
    for s in &tous {
        assert_eq!(
            s.categorie
                .parse::<CategorieSignalement>()
                .map(|c| c.code()),
            Ok(s.categorie.as_str())
        );
    }

    // Listing by place, and processing.
    let du_capitole = annuaire
        .signalements(Some(&capitole), false)
        .await
        .expect("by place");
    assert_eq!(
        du_capitole.iter().map(|s| s.id).collect::<Vec<_>>(),
        [id_long, id_horaires]
    );
    assert_eq!(
        annuaire
            .signalements(Some("  "), false)
            .await
            .expect("blank = all"),
        tous
    );
    assert!(annuaire
        .signalements(Some("lieu-inconnu"), false)
        .await
        .expect("unknown place")
        .is_empty());

    let traiter = |id| {
        let annuaire = annuaire.clone();
        async move { annuaire.traiter_signalement(id).await.expect("traiter") }
    };
    assert!(traiter(id_horaires).await);
    assert!(traiter(id_horaires).await, "already dealt with: still true");
    assert!(!traiter(id_ferme + 100).await, "unknown id");
    let ouverts = annuaire
        .signalements(Some(&capitole), true)
        .await
        .expect("open");
    assert_eq!(ouverts.iter().map(|s| s.id).collect::<Vec<_>>(), [id_long]);
    let traite = annuaire
        .signalements(None, false)
        .await
        .expect("all")
        .into_iter()
        .find(|s| s.id == id_horaires)
        .expect("still listed");
    assert!(traite.traite);

    // Reports outlive a re-merge of the directory.
    annuaire.refusionner().await.expect("re-merge");
    assert_eq!(nombre(&annuaire).await, 3);
}

#[tokio::test]
async fn signalements_on_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "maillage-signalements-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos()
    ));
    let url = format!("sqlite://{}/m.db", dir.display());
    let annuaire = crate::ouvrir(&url).await.expect("open sqlite");
    scenario(annuaire).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn signalements_on_postgres() {
    let db = TestDatabase::create().await;
    let annuaire = crate::ouvrir(&db.url).await.expect("open postgres");
    scenario(annuaire).await;
    db.drop_database().await;
}
