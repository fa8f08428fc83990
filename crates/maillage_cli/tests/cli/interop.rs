//! `maillage import --proposer-mapping`, `--mapping`, `--format data-inclusion` and `maillage
//! export --format data-inclusion`, run as a binary from an empty instance (issue 20, items
//! 4 and 5).

use maillage_annuaire::import::Correspondance;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn maillage(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .expect("maillage")
}

fn regional(nom: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/regional")
        .join(nom)
        .display()
        .to_string()
}

fn dossier(nom: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("maillage-cli-{nom}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

fn texte(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn interop_proposer_mapping_ecrit_un_brouillon_lisible() {
    let dir = dossier("proposer");
    let url = format!("sqlite://{}", dir.join("p.db").display());
    let csv = regional("lieux_numeriques_cd31.csv");
    let o = maillage(&url, &["import", "--proposer-mapping", &csv]);
    assert!(o.status.success(), "{}", texte(&o.stderr));
    let brouillon = texte(&o.stdout);
    for ligne in [
        "separateur = \";\"",
        "nom = \"Nom de la structure\"",
        "code_postal = \"Code postal\"",
        "latitude = \"Latitude (Y)\"",
        "longitude = \"Longitude (X)\"",
        "telephone = \"Téléphone\"",
        "date_maj = \"Date de mise à jour\"",
        "frais_a_charge = \"Tarif\"",
        "[horaires]",
        "lundi_matin = \"Lundi matin\"",
        "samedi_apres_midi = \"Samedi après-midi\"",
        "[valeurs.frais_a_charge]",
        "\"Gratuit\" = \"Gratuit\"",
        "# \"Adhésion\" = \"?\"",
        "\"Payant\" = \"Payant\"",
    ] {
        assert!(
            brouillon.contains(ligne),
            "{ligne} missing in:\n{brouillon}"
        );
    }
    // The draft is a mapping file as it is (the commented values to be filled in).
    let c = Correspondance::depuis_toml(&brouillon).expect("the draft parses");
    assert_eq!(c.horaires.len(), 12);
    assert!(!dir.join("p.db").exists(), "a draft opens no database");

    // --output writes it, and never overwrites.
    let sortie = dir.join("brouillon.toml");
    let s = sortie.display().to_string();
    let o = maillage(
        &url,
        &["import", "--proposer-mapping", "--output", &s, &csv],
    );
    assert!(o.status.success(), "{}", texte(&o.stderr));
    assert_eq!(std::fs::read_to_string(&sortie).expect("draft"), brouillon);
    let o = maillage(
        &url,
        &["import", "--proposer-mapping", "--output", &s, &csv],
    );
    assert!(!o.status.success());
    assert!(
        texte(&o.stderr).contains("jamais écrasé"),
        "{}",
        texte(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn exporter_csv(url: &str) -> String {
    let o = maillage(url, &["export", "--format", "csv"]);
    assert!(o.status.success(), "{}", texte(&o.stderr));
    texte(&o.stdout)
}

#[test]
fn interop_import_par_correspondance_puis_data_inclusion() {
    let dir = dossier("mapping");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    let toml = regional("lieux_numeriques_cd31.toml");

    // The faulty variant first: refused by line and column, nothing written.
    let o = maillage(
        &url,
        &[
            "import",
            "--mapping",
            &toml,
            &regional("lieux_numeriques_cd31_erreurs.csv"),
        ],
    );
    assert!(!o.status.success());
    let erreur = texte(&o.stderr);
    assert!(
        erreur.contains("ligne 6 (id CD31-005), Tarif (frais_a_charge) : valeur « Sur devis »"),
        "{erreur}"
    );
    assert!(
        erreur.contains("ligne 12 (id CD31-011), Date de mise à jour (date_maj)"),
        "{erreur}"
    );
    assert!(erreur.contains("rien n'a été écrit"), "{erreur}");
    assert_eq!(exporter_csv(&url).lines().count(), 1, "only the header");

    // The good file: 30 places, hours as OSM strings.
    let o = maillage(
        &url,
        &[
            "import",
            "--mapping",
            &toml,
            &regional("lieux_numeriques_cd31.csv"),
        ],
    );
    assert!(o.status.success(), "{}", texte(&o.stderr));
    let sortie = texte(&o.stdout);
    assert!(
        sortie.contains(
            "Source « cd31-points-numeriques » (correspondance) : 30 lignes lues : 30 acceptées"
        ),
        "{sortie}"
    );
    let csv = exporter_csv(&url);
    assert!(csv.contains("Médiathèque Aucamville"), "{csv}");
    // Half-day columns as one OSM string, equal consecutive days grouped (CD31-011).
    assert!(
        csv.contains(
            "Mo 14:00-17:00; Tu 08:30-12:00,14:00-17:00; We-Th 09:30-12:30,13:30-16:30; \
             Fr 09:30-12:30,14:00-18:00"
        ),
        "{csv}"
    );

    // data·inclusion export, then import of the directory into an empty instance.
    let di = dir.join("di");
    let o = maillage(
        &url,
        &[
            "export",
            "--format",
            "data-inclusion",
            "--territoire",
            "dep:31",
            "--output",
            &di.display().to_string(),
        ],
    );
    assert!(o.status.success(), "{}", texte(&o.stderr));
    let structures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(di.join("structures.json")).expect("structures"))
            .expect("json");
    let services: serde_json::Value =
        serde_json::from_slice(&std::fs::read(di.join("services.json")).expect("services"))
            .expect("json");
    let n = structures.as_array().map(Vec::len).unwrap_or(0);
    assert!((25..=30).contains(&n), "{n} structures");
    assert!(structures[0]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("maillage--")));
    assert!(services.as_array().map(Vec::len).unwrap_or(0) >= n);

    let autre = format!("sqlite://{}", dir.join("autre.db").display());
    let o = maillage(
        &autre,
        &["import", "--source", "di", &di.display().to_string()],
    );
    assert!(o.status.success(), "{}", texte(&o.stderr));
    assert!(
        texte(&o.stdout).contains(&format!(
            "Source « di » (data-inclusion) : {n} lignes lues : {n} acceptées"
        )),
        "{}",
        texte(&o.stdout)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn interop_format_inconnu_dit_une_fois_et_propose_mapping() {
    let dir = dossier("inconnu");
    let url = format!("sqlite://{}", dir.join("i.db").display());
    let f: &Path = &dir.join("liste.csv");
    std::fs::write(f, "Nom;Ville;Tarif\nCafé numérique;Muret;Gratuit\n").expect("write");
    let o = maillage(&url, &["import", "--source", "x", &f.display().to_string()]);
    assert!(!o.status.success());
    let e = texte(&o.stderr);
    assert_eq!(e.matches("format non reconnu").count(), 1, "{e}");
    assert!(e.contains("--mapping FICHIER.toml"), "{e}");
    assert!(e.contains("--proposer-mapping"), "{e}");
    // Without --source nor --mapping: said clearly.
    let o = maillage(&url, &["import", &f.display().to_string()]);
    assert!(!o.status.success());
    assert!(texte(&o.stderr).contains("--source NOM est obligatoire"));
    let _ = std::fs::remove_dir_all(dir);
}
