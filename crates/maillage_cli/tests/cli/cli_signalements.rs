//! `maillage lieux signalements` and `maillage lieux clore-signalement`, run as a binary
//! (issue « Première utilisation réelle », item 7): the reports the public sent are listed,
//! by territory, as text or French CSV, and closed « traité » or « rejeté ».

use std::process::{Command, Output};

use maillage_annuaire::signalement::CategorieSignalement;
use maillage_store::MergedLieuRow;

fn maillage(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .unwrap()
}

fn lieu(id: &str, nom: &str, insee: &str) -> MergedLieuRow {
    MergedLieuRow {
        id: id.to_string(),
        data: serde_json::json!({ "id": id, "nom": nom }).to_string(),
        members: vec![format!("test#{id}")],
        provenance: "{}".to_string(),
        code_insee: Some(insee.to_string()),
        latitude: None,
        longitude: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn premiere_utilisation_cli_liste_et_clot_les_signalements() {
    let dir =
        std::env::temp_dir().join(format!("maillage-cli-signalements-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("s.db").display());
    let (toulouse, paris) = {
        let annuaire = maillage_cli::stockage::ouvrir(&url)
            .await
            .unwrap()
            .annuaire()
            .clone();
        annuaire
            .store()
            .replace_merged_lieux(vec![
                lieu("lieu-toulouse", "Médiathèque José Cabanis", "31555"),
                lieu("lieu-paris", "Espace Paris 11", "75111"),
            ])
            .await
            .unwrap();
        let t = annuaire
            .signaler(
                "lieu-toulouse",
                CategorieSignalement::Horaires,
                "Fermé le lundi",
                Some("zoe@exemple.fr"),
            )
            .await
            .unwrap();
        let p = annuaire
            .signaler(
                "lieu-paris",
                CategorieSignalement::Adresse,
                "Mauvaise rue",
                None,
            )
            .await
            .unwrap();
        (t, p)
    };

    let s = maillage(&url, &["lieux", "signalements"]);
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let texte = String::from_utf8(s.stdout).unwrap();
    assert!(texte.contains(&format!("nº {toulouse}")), "{texte}");
    assert!(texte.contains("Médiathèque José Cabanis") && texte.contains("Fermé le lundi"));
    assert!(texte.contains(&format!("nº {paris}")) && texte.contains("à traiter"));

    // By territory, as French CSV.
    let s = maillage(
        &url,
        &[
            "lieux",
            "signalements",
            "--territoire",
            "dep:31",
            "--format",
            "csv",
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let csv = String::from_utf8(s.stdout).unwrap();
    let csv = csv.strip_prefix('\u{feff}').expect("BOM");
    let mut lignes = csv.lines();
    assert!(lignes
        .next()
        .unwrap()
        .starts_with("Nº;Reçu le;Identifiant du lieu;Lieu;"));
    let lignes: Vec<&str> = lignes.collect();
    assert_eq!(lignes.len(), 1, "{csv}");
    assert!(lignes[0].starts_with(&format!("{toulouse};")) && lignes[0].ends_with(";à traiter"));

    // Closed: « rejeté »; no longer listed as to be dealt with, listed with --tous.
    let s = maillage(
        &url,
        &["lieux", "clore-signalement", &paris.to_string(), "rejete"],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    assert!(String::from_utf8_lossy(&s.stdout).contains("rejeté"));
    let texte = String::from_utf8(maillage(&url, &["lieux", "signalements"]).stdout).unwrap();
    assert!(!texte.contains(&format!("nº {paris}")), "{texte}");
    let texte =
        String::from_utf8(maillage(&url, &["lieux", "signalements", "--tous"]).stdout).unwrap();
    assert!(
        texte.contains(&format!("nº {paris}")) && texte.contains("rejeté"),
        "{texte}"
    );

    // Wrong decision, unknown report: French errors, non-zero exit.
    let s = maillage(
        &url,
        &[
            "lieux",
            "clore-signalement",
            &toulouse.to_string(),
            "peut-etre",
        ],
    );
    assert!(!s.status.success());
    assert!(String::from_utf8_lossy(&s.stderr).contains("décision inconnue"));
    let s = maillage(&url, &["lieux", "clore-signalement", "999999", "traite"]);
    assert!(!s.status.success());
    assert!(String::from_utf8_lossy(&s.stderr).contains("aucun signalement"));
    let _ = std::fs::remove_dir_all(&dir);
}
