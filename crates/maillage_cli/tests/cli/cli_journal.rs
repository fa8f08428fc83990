//! `maillage journal verify` run as a binary on a SQLite file: intact, then tampered with
//! directly in SQL (triggers dropped), and the entry is named with exit code 2.

use std::path::PathBuf;
use std::process::{Command, Output};

use chrono::Utc;
use maillage_domain::mandats::{Demarche, NouvelleEntree};
use maillage_store::comptes::NewCompte;
use maillage_store::mandats::{NewMandat, NewUsager, UsagerCible};

fn maillage(url: &str, cle: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .arg("--cle-journal")
        .arg(cle)
        .args(args)
        .output()
        .unwrap()
}

fn entree(action: &str) -> NouvelleEntree {
    NouvelleEntree {
        at_us: Utc::now().timestamp_micros(),
        action: action.into(),
        acteur: "aidant:1".into(),
        structure_id: None,
        mandat_id: None,
        usager: None,
        demarches: "social".into(),
        details: "{}".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tamper_cli_verify_names_the_modified_entry() {
    let dir = tempfile_dir("verify");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    let cle = dir.join("journal.key");
    {
        let annuaire = maillage_cli::stockage::ouvrir(&url).await.unwrap();
        let s = annuaire.store().clone();
        let st = s.create_structure("CCAS", None, None).await.unwrap();
        let aidant = s
            .create_compte(NewCompte {
                email: "a@exemple.fr".into(),
                nom: "Aidant".into(),
                role: "mediateur".into(),
                structure_id: Some(st),
                password_hash: "x".into(),
                created_at: Utc::now(),
            })
            .await
            .unwrap();
        let cle_privee = maillage_mandats::cle::charger_ou_creer(&cle).unwrap();
        let annuaire = annuaire.avec_cle_journal(cle_privee);
        let md = annuaire.mandats().unwrap();
        for n in 0..3 {
            md.store()
                .create_mandat(
                    NewMandat {
                        usager: UsagerCible::Nouveau(NewUsager {
                            pseudonyme: format!("p-{n}"),
                            structure_id: st,
                            data: "{}".into(),
                            code_cle: format!("CLE{n}"),
                            code_hash: "h".into(),
                            created_at: Utc::now(),
                            personne_id: None,
                        }),
                        structure_id: st,
                        aidant_id: aidant,
                        duree: "1m".into(),
                        created_at: Utc::now(),
                        expire_at: Utc::now() + chrono::Duration::days(31),
                        demarches: vec![Demarche::Social],
                        empreinte: format!("{n:064x}"),
                        modele: "2026-11".into(),
                        document: "{}".into(),
                        renouvelle: None,
                    },
                    entree("creation_mandat"),
                )
                .await
                .unwrap();
        }
    }
    let s = maillage(&url, &cle, &["journal", "sceller"]);
    assert!(String::from_utf8_lossy(&s.stdout).contains("Sceau signé sur l'entrée n° 3"));
    let ok = maillage(&url, &cle, &["journal", "verify"]);
    let texte = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{texte}");
    assert!(
        texte.contains("Journal intact : 3 entrées et 1 sceaux"),
        "{texte}"
    );
    // The published public key verifies too.
    let pem = maillage(&url, &cle, &["journal", "cle-publique"]);
    std::fs::write(dir.join("cle.pub"), &pem.stdout).unwrap();
    let ok = maillage(
        &url,
        &cle,
        &[
            "journal",
            "verify",
            "--cle-publique",
            dir.join("cle.pub").to_str().unwrap(),
        ],
    );
    assert!(ok.status.success());

    // An attacker with the database file.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for sql in [
        "DROP TRIGGER journal_sans_modification",
        "UPDATE journal SET demarches = 'argent' WHERE seq = 2",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let ko = maillage(&url, &cle, &["journal", "verify"]);
    let texte = String::from_utf8_lossy(&ko.stdout);
    assert_eq!(ko.status.code(), Some(2), "{texte}");
    assert!(
        texte.contains("JOURNAL ROMPU — Entrée n° 2 : son contenu a été modifié"),
        "{texte}"
    );
    assert!(
        texte.contains("Chaîne intacte jusqu'à l'entrée n° 1"),
        "{texte}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(nom: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("maillage-cli-journal-{nom}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
