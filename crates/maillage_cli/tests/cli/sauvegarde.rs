//! `maillage sauvegarde` / `maillage restaurer` (issue « Fiabilité et exploitation », item 3):
//! a backup taken while another process keeps appending to the journal, restored into a new
//! database, holds every entry acknowledged before the backup began, a chain that
//! `maillage journal verify` accepts, and nothing half-written. On SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use chrono::Utc;
use maillage_domain::mandats::NouvelleEntree;

fn maillage(url: &str, cle: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .arg("--cle-journal")
        .arg(cle)
        .args(args)
        .output()
        .expect("maillage runs")
}

fn texte(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn dossier(nom: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "maillage-cli-sauvegarde-{nom}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn entree() -> NouvelleEntree {
    NouvelleEntree {
        at_us: Utc::now().timestamp_micros(),
        action: "consultation".into(),
        acteur: "aidant:1".into(),
        structure_id: None,
        mandat_id: None,
        usager: None,
        demarches: String::new(),
        details: "{}".into(),
    }
}

/// A new, empty PostgreSQL database on the test server; its URL.
pub(crate) async fn base_postgres() -> String {
    let serveur = std::env::var("MAILLAGE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let nom = format!(
        "maillage_sauvegarde_{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let admin = sqlx::PgPool::connect(&serveur).await.expect("PostgreSQL");
    sqlx::raw_sql(&format!("CREATE DATABASE \"{nom}\""))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    let (base, _) = serveur.rsplit_once('/').expect("url");
    format!("{base}/{nom}")
}

pub(crate) async fn supprimer_base(url: &str) {
    let (serveur, nom) = url.rsplit_once('/').expect("url");
    if let Ok(admin) = sqlx::PgPool::connect(&format!("{serveur}/postgres")).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{nom}\" WITH (FORCE)"))
            .execute(&admin)
            .await;
        admin.close().await;
    }
}

/// Entries acknowledged by a writer that appends until told to stop.
async fn aller_retour(url: &str, cible: &str, dir: &Path) {
    let cle = dir.join("journal.key");
    let creee = maillage(url, &cle, &["journal", "cle", "--creer"]);
    assert!(creee.status.success(), "{}", texte(&creee));
    let instance = maillage_cli::stockage::ouvrir(url).await.expect("open");
    let store = instance.store().clone();
    for _ in 0..20 {
        store.append_entree(entree()).await.expect("append");
    }
    let acquittees = Arc::new(AtomicI64::new(20));
    let fin = Arc::new(AtomicBool::new(false));
    let ecrivain = {
        let (acquittees, fin, store) = (
            Arc::clone(&acquittees),
            Arc::clone(&fin),
            Arc::clone(&store),
        );
        tokio::spawn(async move {
            while !fin.load(Ordering::Relaxed) {
                let e = store.append_entree(entree()).await.expect("append");
                acquittees.store(e.seq, Ordering::SeqCst);
            }
        })
    };
    // The writer is under way.
    while acquittees.load(Ordering::SeqCst) < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let avant = acquittees.load(Ordering::SeqCst);
    let fichier = dir.join("sauvegarde.maillage");
    let s = maillage(url, &cle, &["sauvegarde", fichier.to_str().expect("utf-8")]);
    let apres = acquittees.load(Ordering::SeqCst);
    fin.store(true, Ordering::Relaxed);
    ecrivain.await.expect("writer");
    assert!(s.status.success(), "{}", texte(&s));
    assert!(texte(&s).contains("Sauvegarde écrite"), "{}", texte(&s));
    assert!(
        texte(&s).contains("La clé du journal n'y est pas"),
        "{}",
        texte(&s)
    );
    assert!(apres > avant, "the writer kept writing during the backup");

    // A backup never overwrites another.
    let encore = maillage(url, &cle, &["sauvegarde", fichier.to_str().expect("utf-8")]);
    assert!(!encore.status.success());
    assert!(texte(&encore).contains("existe déjà"), "{}", texte(&encore));

    let r = maillage(
        cible,
        &cle,
        &["restaurer", fichier.to_str().expect("utf-8")],
    );
    assert!(r.status.success(), "{}", texte(&r));
    let restauree = maillage_cli::stockage::ouvrir(cible).await.expect("open");
    let n = restauree.store().journal_head().await.expect("head").seq;
    assert!(
        (avant..=apres).contains(&n),
        "restored {n} entries; acknowledged before the backup {avant}, after {apres}"
    );
    let v = maillage(cible, &cle, &["journal", "verify"]);
    assert!(v.status.success(), "{}", texte(&v));
    assert!(texte(&v).contains("Journal intact"), "{}", texte(&v));

    // The target now holds data: restoring again asks for --remplacer.
    let refus = maillage(
        cible,
        &cle,
        &["restaurer", fichier.to_str().expect("utf-8")],
    );
    assert!(!refus.status.success());
    assert!(texte(&refus).contains("--remplacer"), "{}", texte(&refus));
    store.append_entree(entree()).await.expect("append");
    let remplace = maillage(
        cible,
        &cle,
        &["restaurer", "--remplacer", fichier.to_str().expect("utf-8")],
    );
    assert!(remplace.status.success(), "{}", texte(&remplace));
    let encore = maillage_cli::stockage::ouvrir(cible).await.expect("open");
    assert_eq!(encore.store().journal_head().await.expect("head").seq, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sauvegarde_aller_retour_sqlite_pendant_les_ecritures() {
    let dir = dossier("sqlite");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    let cible = format!("sqlite://{}", dir.join("restauree/m.db").display());
    aller_retour(&url, &cible, &dir).await;

    // Not a backup: refused with the reason, nothing written.
    let faux = dir.join("faux.maillage");
    std::fs::write(&faux, b"pas une base").expect("write");
    let autre = format!("sqlite://{}", dir.join("autre.db").display());
    let o = maillage(
        &autre,
        &dir.join("journal.key"),
        &["restaurer", faux.to_str().expect("utf-8")],
    );
    assert!(!o.status.success());
    assert!(
        texte(&o).contains("n’est pas une sauvegarde Maillage lisible"),
        "{}",
        texte(&o)
    );
    assert!(!dir.join("autre.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sauvegarde_aller_retour_postgres_pendant_les_ecritures() {
    let dir = dossier("postgres");
    let url = base_postgres().await;
    let cible = base_postgres().await;
    aller_retour(&url, &cible, &dir).await;
    supprimer_base(&url).await;
    supprimer_base(&cible).await;
    let _ = std::fs::remove_dir_all(&dir);
}
