//! The search engine follows the directory: an import made by another process (another
//! `Annuaire` on the same database, as the CLI would) is seen by the server without a restart.

use maillage_annuaire::annuaire::{Annuaire, DemandeImport};
use maillage_web::{AppState, Site};
use std::time::{Duration, Instant};

fn fichier(lignes: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::from("id,nom,adresse,code_postal,commune,latitude,longitude,date_maj\n");
    for (id, nom) in lignes {
        s.push_str(&format!(
            "{id},{nom},1 place du Capitole,31000,Toulouse,43.6045,1.4440,2026-10-01\n"
        ));
    }
    s.into_bytes()
}

async fn importer(annuaire: &Annuaire, source: &str, lignes: &[(&str, &str)]) {
    annuaire
        .importer(DemandeImport {
            source: source.into(),
            format: None,
            nom_fichier: format!("{source}.csv"),
            contenu: fichier(lignes),
        })
        .await
        .expect("import");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_by_another_process_reaches_the_search_engine() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dossier.path().join("m.db").display());
    let serveur = maillage_cli::stockage::ouvrir(&url).await.expect("open");
    importer(
        serveur.annuaire(),
        "a",
        &[
            ("1", "Médiathèque José Cabanis"),
            ("2", "Maison France Services Toulouse"),
        ],
    )
    .await;
    let state = AppState::new(serveur, Site::default())
        .await
        .expect("state");
    assert_eq!(state.moteur().len(), 2);
    let _veille = state.surveiller(Duration::from_millis(50));

    // "The CLI": its own connection to the same database.
    let cli = maillage_cli::stockage::ouvrir(&url).await.expect("open");
    importer(
        cli.annuaire(),
        "b",
        &[("x", "Espace public numérique des Chalets")],
    )
    .await;
    let debut = Instant::now();
    while state.moteur().len() != 3 && debut.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let moteur = state.moteur();
    assert_eq!(moteur.len(), 3, "the engine was rebuilt");
    assert!(moteur
        .lieux()
        .iter()
        .any(|f| f.lieu.nom == "Espace public numérique des Chalets"));
}
