//! The `maillage territoire` and `maillage tournee` commands, run as a binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn partage() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// A fresh directory with one database (`x.db`) holding one imported file.
fn base(nom: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "maillage-cli-territoire-{nom}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("x.db").display());
    let sortie = maillage(
        &url,
        &[
            "import",
            "--source",
            "cnfs",
            partage()
                .join("data/lieux/conseillers-numeriques_lieux_2022-07.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(
        sortie.status.success(),
        "{}",
        String::from_utf8_lossy(&sortie.stderr)
    );
    (dir, url)
}

fn maillage(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn territory_commands_write_csv_and_json() {
    let (dir, url) = base("territoire");

    let s = maillage(
        &url,
        &[
            "territoire",
            "indice",
            "--territoire",
            "dep:31",
            "--format",
            "csv",
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    // The product's CSV convention: BOM, `;`, French headers, decimal comma.
    let csv = String::from_utf8(s.stdout).unwrap();
    let csv = csv.strip_prefix('\u{feff}').expect("UTF-8 BOM");
    let entete = csv.lines().next().unwrap();
    assert!(entete.starts_with("Code INSEE;Commune;"), "{entete}");
    for c in [
        "Indice de fragilité numérique",
        "Score : Personnes de 15 ans ou plus sans diplôme",
        "Score : Taux de pauvreté",
        "Indicateurs qui pèsent le plus",
    ] {
        assert!(entete.split(';').any(|e| e == c), "{c} absent de {entete}");
    }
    let toulouse = csv
        .lines()
        .find(|l| l.starts_with("31555;Toulouse;"))
        .expect("Toulouse");
    let indice = toulouse.split(';').nth(6).unwrap();
    assert!(indice.contains(',') && !indice.contains('.'), "{indice}");
    assert!(String::from_utf8_lossy(&s.stderr).contains("Indice de fragilité numérique"));

    let fichier = dir.join("couverture.json");
    let s = maillage(
        &url,
        &[
            "territoire",
            "couverture",
            "--territoire",
            "epci:243100633",
            "--format",
            "json",
            "--output",
            fichier.to_str().unwrap(),
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&fichier).unwrap()).unwrap();
    assert!(json["lieux"].as_u64().unwrap() > 1000);
    assert_eq!(
        json["communes"].as_array().unwrap().len(),
        json["resume"]["communes"].as_u64().unwrap() as usize
    );

    let s = maillage(
        &url,
        &[
            "territoire",
            "zones-blanches",
            "--territoire",
            "dep:31",
            "--rayon-km",
            "10",
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let csv = String::from_utf8(s.stdout).unwrap();
    assert!(
        csv.starts_with("\u{feff}Rang;Code INSEE;Commune;Population;Population fragile estimée;"),
        "{csv}"
    );

    // The XLSX beside it, written to a file.
    let fichier = dir.join("zones.xlsx");
    let s = maillage(
        &url,
        &[
            "territoire",
            "zones-blanches",
            "--territoire",
            "dep:31",
            "--format",
            "xlsx",
            "--output",
            fichier.to_str().unwrap(),
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    assert!(std::fs::read(&fichier).unwrap().starts_with(b"PK"));
    let s = maillage(&url, &["territoire", "indice", "--format", "xlsx"]);
    assert!(!s.status.success());
    assert!(String::from_utf8_lossy(&s.stderr).contains("--output"));

    let s = maillage(&url, &["territoire", "indice", "--territoire", "dep:99"]);
    assert!(!s.status.success());
    assert!(String::from_utf8_lossy(&s.stderr).contains("territoire inconnu"));

    let s = maillage(
        &url,
        &[
            "tournee",
            "plan",
            "--territoire",
            "epci:243100633",
            "--arrets",
            "5",
            "--rayon-km",
            "10",
            "--debut",
            "2027-01-04",
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let texte = String::from_utf8(s.stdout).unwrap();
    assert!(texte.contains("Arrêts, par apport décroissant"), "{texte}");
    assert!(texte.contains("semaine du 04/01/2027"), "{texte}");

    let s = maillage(
        &url,
        &[
            "tournee",
            "plan",
            "--territoire",
            "epci:243100633",
            "--arrets",
            "3",
            "--format",
            "csv",
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    assert!(String::from_utf8(s.stdout)
        .unwrap()
        .starts_with("\u{feff}Rang;Code INSEE;Commune;"));

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn benchmark_instance_within_half_a_percent_of_the_best_known_value() {
    let dir = std::env::temp_dir().join(format!("maillage-cli-instance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("x.db").display());
    let fichier = partage().join("data/benchmarks/mclp/NewYork.txt");
    // README: NewYork, r = 400 m, best known value for p = 50: 1,153,640.
    let s = maillage(
        &url,
        &[
            "tournee",
            "instance",
            fichier.to_str().unwrap(),
            "--p",
            "50",
            "--rayon-m",
            "400",
        ],
    );
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let texte = String::from_utf8(s.stdout).unwrap();
    let couvert: f64 = texte
        .lines()
        .find_map(|l| l.strip_prefix("Demande couverte : "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let meilleur = 1_153_640.0;
    assert!(
        couvert >= meilleur * 0.995 && couvert <= meilleur,
        "{couvert}"
    );
    let sites = texte
        .lines()
        .skip_while(|l| !l.starts_with("Sites choisis"))
        .skip(1)
        .count();
    assert_eq!(sites, 50);

    let mauvais = dir.join("mauvais.txt");
    std::fs::write(&mauvais, "NAME : t\nDIMENSION : 2\nNODE_COORD_SECTION\n48.85 2.35\n48.86 est\nDEMAND_SECTION\n3\n4\nEOF\n").unwrap();
    let s = maillage(
        &url,
        &[
            "tournee",
            "instance",
            mauvais.to_str().unwrap(),
            "--p",
            "1",
            "--rayon-m",
            "100",
        ],
    );
    assert!(!s.status.success());
    let erreur = String::from_utf8_lossy(&s.stderr);
    assert!(erreur.contains("ligne 5"), "{erreur}");
    let _ = std::fs::remove_dir_all(&dir);
}
