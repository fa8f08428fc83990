//! Issue 14 « Failles et pertes de données », items 11 and 14, on both backends:
//!
//! - item 11: a file read as a stream goes to the store by batches, in one transaction
//!   (`Annuaire::importer_fichier`): the accepted places are never all held in memory, and
//!   the import stays all or nothing (retire guard, « aucun accepté », a file broken after
//!   the first batches);
//! - item 14: a small import rewrites only the published places that changed, and the
//!   published directory is exactly the one a full rewrite gives.

use maillage_annuaire::annuaire::{Annuaire, AppError, DemandeImport, RegleRetrait};
use maillage_annuaire::doublons::Decision;
use maillage_annuaire::export::{csv_standard, exporter, FormatExport};
use maillage_annuaire::import::Format;
use maillage_annuaire::lieux::LieuSource;
use maillage_domain::Lieu;
use maillage_store::{MergedLieuRow, StoredSourceRecord};
use maillage_store_postgres::testing::TestDatabase;
use std::path::{Path, PathBuf};

/// `n` synthetic places (real communes, about 5 % duplicates), as one source.
fn synthetiques(n: usize, graine: u64) -> Vec<Lieu> {
    maillage_annuaire::synthetique::generer(n, 0.05, graine)
        .into_iter()
        .map(|l: LieuSource| l.lieu)
        .collect()
}

fn ecrire(dossier: &Path, nom: &str, octets: &[u8]) -> PathBuf {
    let chemin = dossier.join(nom);
    std::fs::write(&chemin, octets).expect("write file");
    chemin
}

/// Records without their timestamps (two stores never agree on those).
async fn enregistrements(annuaire: &Annuaire) -> Vec<(maillage_store::SourceRecord, bool)> {
    annuaire
        .store()
        .source_records(false)
        .await
        .expect("records")
        .into_iter()
        .map(|r: StoredSourceRecord| (r.record, r.active))
        .collect()
}

async fn repertoire(annuaire: &Annuaire) -> Vec<MergedLieuRow> {
    annuaire.store().merged_lieux().await.expect("merged")
}

async fn nb_rapports(annuaire: &Annuaire) -> usize {
    annuaire
        .store()
        .import_reports(1000)
        .await
        .expect("reports")
        .len()
}

fn arrete(r: Result<maillage_annuaire::annuaire::ResultatImport, AppError>) -> String {
    match r {
        Err(AppError::ImportArrete(m)) => m,
        Err(e) => panic!("expected a stopped import, got {e}"),
        Ok(r) => panic!("expected a stopped import, got {:?}", r.bilan),
    }
}

// ---------------------------------------------------------------------------------------
// Item 11: the records of a file read as a stream go to the store by batches

async fn import_memoire_bornee(url_flux: &str, url_memoire: &str) {
    let dossier = tempfile::tempdir().expect("tempdir");
    let lieux = synthetiques(6_000, 11);
    let csv = csv_standard(lieux.iter()).expect("csv");
    let chemin = ecrire(dossier.path(), "synth_2026-10-01.csv", &csv);

    let flux = crate::ouvrir(url_flux).await.expect("open");
    let r = flux
        .importer_fichier("synth", None, &chemin, RegleRetrait::default())
        .await
        .expect("import by batches");
    let acceptes = r.rapport.acceptes;
    assert!(acceptes > 5_000, "{:?}", r.rapport.lus);
    assert_eq!(r.bilan.added as usize, acceptes);
    // The old code handed every record to the store at once.
    assert!(
        r.lots_stockes >= acceptes.div_ceil(2_048),
        "{} batches for {acceptes} places",
        r.lots_stockes
    );
    assert!(r.lots_stockes >= 3);

    // The same file imported from memory (one batch) stores and publishes the same.
    let memoire = crate::ouvrir(url_memoire).await.expect("open");
    let m = memoire
        .importer(DemandeImport {
            source: "synth".into(),
            format: None,
            nom_fichier: "synth_2026-10-01.csv".into(),
            contenu: csv.clone(),
        })
        .await
        .expect("import from memory");
    assert_eq!(m.lots_stockes, 1);
    assert_eq!(m.bilan.added, r.bilan.added);
    assert_eq!(m.rapport, r.rapport);
    assert_eq!(m.fusion.lieux_publies, r.fusion.lieux_publies);
    assert_eq!(
        enregistrements(&flux).await,
        enregistrements(&memoire).await
    );
    assert_eq!(repertoire(&flux).await, repertoire(&memoire).await);

    let avant = enregistrements(&flux).await;
    let publie = repertoire(&flux).await;
    let rapports = nb_rapports(&flux).await;

    // Half the file: the retire guard stops it after the batches were written — nothing
    // stays.
    let moitie = csv_standard(lieux.iter().take(3_000)).expect("csv");
    let chemin = ecrire(dossier.path(), "moitie.csv", &moitie);
    let message = arrete(
        flux.importer_fichier("synth", None, &chemin, RegleRetrait::default())
            .await,
    );
    assert!(message.contains("retirerait"), "{message}");
    assert_eq!(enregistrements(&flux).await, avant);

    // A JSON file broken after more than two batches of valid, changed places: the batches
    // already written are rolled back.
    let mut changes = lieux.clone();
    for l in &mut changes {
        l.nom.push_str(" (modifié)");
    }
    let json = exporter(FormatExport::Json, changes.iter()).expect("json");
    let coupe = &json[..json.len() - 200];
    let chemin = ecrire(dossier.path(), "casse.json", coupe);
    let err = flux
        .importer_fichier(
            "synth",
            Some(Format::V1Json),
            &chemin,
            RegleRetrait::default(),
        )
        .await
        .expect_err("broken JSON");
    assert!(matches!(err, AppError::Import(_)), "{err}");
    assert_eq!(enregistrements(&flux).await, avant);

    // Nothing accepted: stopped, nothing written.
    let rien = ecrire(dossier.path(), "rien.json", b"[1, 2, 3]");
    arrete(
        flux.importer_fichier("synth", None, &rien, RegleRetrait::default())
            .await,
    );
    assert_eq!(enregistrements(&flux).await, avant);
    assert_eq!(repertoire(&flux).await, publie);
    assert_eq!(nb_rapports(&flux).await, rapports);
    assert!(!flux.fusion_en_attente().await.expect("state"));

    // The full JSON file of changed places goes through.
    let chemin = ecrire(dossier.path(), "change.json", &json);
    let r = flux
        .importer_fichier(
            "synth",
            Some(Format::V1Json),
            &chemin,
            RegleRetrait::default(),
        )
        .await
        .expect("changed places");
    assert_eq!(r.bilan.updated as usize, acceptes);
    assert_eq!(r.bilan.added, 0);
    assert!(r.lots_stockes >= 3);
}

#[tokio::test]
async fn faille_import_memoire_bornee_sqlite() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let a = format!("sqlite://{}", dossier.path().join("a.db").display());
    let b = format!("sqlite://{}", dossier.path().join("b.db").display());
    import_memoire_bornee(&a, &b).await;
}

#[tokio::test]
async fn faille_import_memoire_bornee_postgres() {
    let a = TestDatabase::create().await;
    let b = TestDatabase::create().await;
    import_memoire_bornee(&a.url, &b.url).await;
    a.drop_database().await;
    b.drop_database().await;
}

// ---------------------------------------------------------------------------------------
// Item 14: an import of 3 rows rewrites only the places it touched

/// The published directory, then the same directory rewritten in full from scratch: they
/// must be equal.
async fn egal_a_une_refusion_complete(annuaire: &Annuaire) -> usize {
    let partiel = repertoire(annuaire).await;
    annuaire
        .store()
        .replace_merged_lieux(Vec::new())
        .await
        .expect("empty the directory");
    let complet = annuaire.refusionner().await.expect("full re-merge");
    assert_eq!(complet.lieux_ecrits, complet.lieux_publies);
    let apres = repertoire(annuaire).await;
    assert_eq!(partiel.len(), apres.len());
    for (p, c) in partiel.iter().zip(&apres) {
        assert_eq!(p, c, "the partial publication differs from a full one");
    }
    apres.len()
}

fn csv_de(lignes: &[&str]) -> Vec<u8> {
    let mut s =
        String::from("id,nom,adresse,code_postal,commune,latitude,longitude,date_maj,telephone");
    for l in lignes {
        s.push('\n');
        s.push_str(l);
    }
    s.push('\n');
    s.into_bytes()
}

async fn refusion_partielle(url: &str) {
    let annuaire = crate::ouvrir(url).await.expect("open");
    let lieux = synthetiques(4_000, 5);
    let csv = csv_standard(lieux.iter()).expect("csv");
    let grand = annuaire
        .importer(DemandeImport {
            source: "synth".into(),
            format: None,
            nom_fichier: "synth_2026-10-01.csv".into(),
            contenu: csv,
        })
        .await
        .expect("large import");
    let publies = grand.fusion.lieux_publies;
    assert!(publies > 3_000, "{publies}");
    assert_eq!(grand.fusion.lieux_ecrits, publies);

    // Three rows of a new source: one is the copy of a synthetic place (same name, address,
    // point and phone), so a group changes; two are new places.
    let modele = &lieux[0];
    let (lat, lon) = modele
        .localisation
        .map(|l| (l.latitude, l.longitude))
        .unwrap_or((43.6, 1.44));
    let copie = format!(
        "copie-1,\"{}\",\"{}\",{},\"{}\",{lat},{lon},2026-11-01,{}",
        modele.nom,
        modele.adresse,
        modele.code_postal.as_str(),
        modele.commune,
        modele
            .telephone
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default()
    );
    let trois = csv_de(&[
        &copie,
        "neuf-1,Espace numérique du Lauragais,3 place du Marché,31290,Villefranche-de-Lauragais,43.4,1.7167,2026-11-01,",
        "neuf-2,Atelier numérique de Revel,12 rue Jean Moulin,31250,Revel,43.4586,2.0044,2026-11-01,",
    ]);
    let petit = annuaire
        .importer(DemandeImport {
            source: "petit".into(),
            format: None,
            nom_fichier: "petit.csv".into(),
            contenu: trois.clone(),
        })
        .await
        .expect("small import");
    assert_eq!(petit.bilan.added, 3, "{:?}", petit.rapport);
    assert!(
        petit.fusion.lieux_ecrits <= 4,
        "a 3-row import rewrote {} of {} published places",
        petit.fusion.lieux_ecrits,
        petit.fusion.lieux_publies
    );
    assert!(petit.fusion.lieux_ecrits >= 2);
    let groupe = annuaire
        .lieu_publie("petit#copie-1")
        .await
        .expect("read")
        .expect("published");
    assert!(
        groupe.membres.len() >= 2,
        "the copy joins its original: {:?}",
        groupe.membres
    );
    egal_a_une_refusion_complete(&annuaire).await;

    // Re-importing the same three rows rewrites nothing.
    let meme = annuaire
        .importer(DemandeImport {
            source: "petit".into(),
            format: None,
            nom_fichier: "petit.csv".into(),
            contenu: trois,
        })
        .await
        .expect("same import");
    assert_eq!(meme.fusion.lieux_ecrits, 0);
    assert_eq!(meme.fusion.lieux_supprimes, 0);

    // One row changed, one retired (explicitly): few rewrites, same directory as a full
    // re-merge.
    let deux = csv_de(&[
        &copie,
        "neuf-1,Espace numérique du Lauragais (mairie),3 place du Marché,31290,Villefranche-de-Lauragais,43.4,1.7167,2026-11-02,",
    ]);
    let regle = RegleRetrait {
        retirer_absents: true,
        ..RegleRetrait::default()
    };
    let change = annuaire
        .importer_avec(
            DemandeImport {
                source: "petit".into(),
                format: None,
                nom_fichier: "petit.csv".into(),
                contenu: deux,
            },
            regle,
        )
        .await
        .expect("changed import");
    assert_eq!((change.bilan.updated, change.bilan.retired), (1, 1));
    assert!(change.fusion.lieux_ecrits <= 2, "{:?}", change.fusion);
    assert!(change.fusion.lieux_supprimes <= 2, "{:?}", change.fusion);
    egal_a_une_refusion_complete(&annuaire).await;

    // A coordinator's refusal splits the group again.
    let original = groupe
        .membres
        .iter()
        .find(|m| m.starts_with("synth#"))
        .expect("synthetic member")
        .clone();
    let bilan = annuaire
        .decider(&original, "petit#copie-1", Decision::Refusee, "test", None)
        .await
        .expect("decision");
    assert!(bilan.lieux_ecrits <= 3, "{bilan:?}");
    let seul = annuaire
        .lieu_publie("petit#copie-1")
        .await
        .expect("read")
        .expect("published");
    assert_eq!(seul.membres, ["petit#copie-1"]);
    egal_a_une_refusion_complete(&annuaire).await;
}

#[tokio::test]
async fn faille_refusion_partielle_sqlite() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dossier.path().join("m.db").display());
    refusion_partielle(&url).await;
}

#[tokio::test]
async fn faille_refusion_partielle_postgres() {
    let db = TestDatabase::create().await;
    refusion_partielle(&db.url).await;
    db.drop_database().await;
}
