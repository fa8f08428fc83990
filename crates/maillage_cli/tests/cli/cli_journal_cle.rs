//! The journal key, through the binary: created only on purpose (`journal cle --creer`, or
//! the first `serve` of an empty instance, said loudly), never by `journal verify` or any
//! other command; a server refuses to start when the key did not sign the database's seals
//! or is missing; verification states how many entries follow the last seal.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use maillage_domain::mandats::NouvelleEntree;

fn maillage(url: &str, cle: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .arg("--cle-journal")
        .arg(cle)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn sortie(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn dossier(nom: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "maillage-cli-journal-cle-{nom}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Appends `n` entries to the journal of the database (no mandate needed).
async fn journaliser(url: &str, n: usize) {
    let annuaire = maillage_cli::stockage::ouvrir(url).await.unwrap();
    let store = annuaire.store().clone();
    for _ in 0..n {
        store
            .append_entree(NouvelleEntree {
                at_us: Utc::now().timestamp_micros(),
                action: "consultation".into(),
                acteur: "aidant:1".into(),
                structure_id: None,
                mandat_id: None,
                usager: None,
                demarches: String::new(),
                details: "{}".into(),
            })
            .await
            .unwrap();
    }
}

/// Starts `serve` and returns its exit status if it stops within `delai`, else kills it.
fn serve(url: &str, cle: &Path, delai: Duration) -> (Option<i32>, String) {
    let mut enfant = Command::new(env!("CARGO_BIN_EXE_maillage"))
        .arg("--database-url")
        .arg(url)
        .arg("--cle-journal")
        .arg(cle)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = enfant.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for ligne in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(ligne).is_err() {
                break;
            }
        }
    });
    let debut = Instant::now();
    let mut texte = String::new();
    loop {
        while let Ok(l) = rx.try_recv() {
            texte.push_str(&l);
            texte.push('\n');
        }
        if let Some(statut) = enfant.try_wait().unwrap() {
            std::thread::sleep(Duration::from_millis(100));
            while let Ok(l) = rx.try_recv() {
                texte.push_str(&l);
                texte.push('\n');
            }
            return (statut.code(), texte);
        }
        if debut.elapsed() > delai {
            let _ = enfant.kill();
            let _ = enfant.wait();
            while let Ok(l) = rx.try_recv() {
                texte.push_str(&l);
                texte.push('\n');
            }
            return (None, texte);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn faille_journal_verify_and_other_commands_never_create_a_key() {
    let dir = dossier("jamais");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    journaliser(&url, 3).await;
    let cle = dir.join("autre-dossier/maillage-journal.key");
    let v = maillage(&url, &cle, &["journal", "verify"]);
    assert!(!v.status.success(), "{}", sortie(&v));
    assert!(
        sortie(&v).contains("aucune clé du journal"),
        "{}",
        sortie(&v)
    );
    for args in [
        &["journal", "sceller"][..],
        &["journal", "cle-publique"],
        &["journal", "cle"],
        &["mandats", "rappels"],
    ] {
        let o = maillage(&url, &cle, args);
        assert!(!o.status.success(), "{args:?}: {}", sortie(&o));
        assert!(!cle.exists(), "{args:?} created a key");
    }
    assert!(!cle.exists(), "no key file was created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn faille_journal_key_is_created_on_purpose_and_must_match_the_seals() {
    let dir = dossier("seaux");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    journaliser(&url, 3).await;
    let cle = dir.join("maillage-journal.key");
    // Explicit creation, once.
    let c = maillage(&url, &cle, &["journal", "cle", "--creer"]);
    assert!(c.status.success(), "{}", sortie(&c));
    assert!(sortie(&c).contains("Sauvegardez ce fichier à part de la base"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cle).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let premiere = std::fs::read(&cle).unwrap();
    let encore = maillage(&url, &cle, &["journal", "cle", "--creer"]);
    assert!(!encore.status.success());
    assert!(
        sortie(&encore).contains("existe déjà"),
        "{}",
        sortie(&encore)
    );
    assert_eq!(std::fs::read(&cle).unwrap(), premiere, "never replaced");
    let s = maillage(&url, &cle, &["journal", "sceller"]);
    assert!(
        sortie(&s).contains("Sceau signé sur l'entrée n° 3"),
        "{}",
        sortie(&s)
    );

    // Another node with its own key file (another data directory).
    let autre = dir.join("noeud2/maillage-journal.key");
    maillage_mandats::cle::creer(&autre).unwrap();
    journaliser(&url, 2).await;
    let s2 = maillage(&url, &autre, &["journal", "sceller"]);
    assert!(!s2.status.success(), "{}", sortie(&s2));
    assert!(
        sortie(&s2).contains("ne correspond pas aux 1 sceau(x)"),
        "{}",
        sortie(&s2)
    );
    let (code, texte) = serve(&url, &autre, Duration::from_secs(60));
    assert!(
        code.is_some_and(|c| c != 0),
        "serve with another key must stop: {code:?} {texte}"
    );
    assert!(texte.contains("ne correspond pas"), "{texte}");
    let k = maillage(&url, &autre, &["journal", "cle"]);
    assert_eq!(k.status.code(), Some(2), "{}", sortie(&k));
    assert!(sortie(&k).contains("ATTENTION"), "{}", sortie(&k));
    // `--creer` does not replace a lost key when seals exist.
    let perdue = dir.join("restauration/maillage-journal.key");
    let c = maillage(&url, &perdue, &["journal", "cle", "--creer"]);
    assert!(!c.status.success());
    assert!(sortie(&c).contains("déjà 1 sceau(x)"), "{}", sortie(&c));
    assert!(!perdue.exists());
    // A restore without the key file: refused, and no key is made.
    let (code, texte) = serve(&url, &perdue, Duration::from_secs(60));
    assert!(code.is_some_and(|c| c != 0), "{code:?} {texte}");
    assert!(
        texte.contains("aucune clé du journal") && texte.contains("Restaurez le fichier de clé"),
        "{texte}"
    );
    assert!(
        !perdue.exists(),
        "serve made a key for a journal with seals"
    );
    // The right key: the seals match.
    let k = maillage(&url, &cle, &["journal", "cle"]);
    assert!(k.status.success(), "{}", sortie(&k));
    assert!(sortie(&k).contains("Elle correspond aux 1 sceau(x)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn faille_journal_first_serve_of_an_empty_instance_creates_the_key_loudly() {
    let dir = dossier("premier");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    let cle = dir.join("maillage-journal.key");
    let enfant = std::thread::spawn({
        let url = url.clone();
        let cle = cle.clone();
        move || serve(&url, &cle, Duration::from_secs(8))
    });
    let (code, texte) = enfant.join().unwrap();
    assert!(
        texte.contains("nouvelle instance, clé du journal des mandats créée"),
        "{code:?} {texte}"
    );
    assert!(cle.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn faille_journal_verify_states_the_entries_after_the_last_seal() {
    let dir = dossier("queue");
    let url = format!("sqlite://{}", dir.join("m.db").display());
    journaliser(&url, 3).await;
    let cle = dir.join("maillage-journal.key");
    assert!(maillage(&url, &cle, &["journal", "cle", "--creer"])
        .status
        .success());
    assert!(maillage(&url, &cle, &["journal", "sceller"])
        .status
        .success());
    journaliser(&url, 74).await;
    let v = maillage(&url, &cle, &["journal", "verify"]);
    let t = sortie(&v);
    assert!(v.status.success(), "{t}");
    assert!(
        t.contains("74 entrées après le dernier sceau (non encore scellées) : n° 4 à 77 (dernier sceau sur l’entrée n° 3)"),
        "{t}"
    );
    // A naive copy that lost the last acknowledged entries still verifies: the count shows it.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    for sql in [
        "DROP TRIGGER journal_sans_suppression",
        "DELETE FROM journal WHERE seq > 50",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let v = maillage(&url, &cle, &["journal", "verify"]);
    let t = sortie(&v);
    assert!(v.status.success(), "{t}");
    assert!(t.contains("Journal intact"), "{t}");
    assert!(
        t.contains("47 entrées après le dernier sceau (non encore scellées)"),
        "{t}"
    );
    assert!(maillage(&url, &cle, &["journal", "sceller"])
        .status
        .success());
    let v = maillage(&url, &cle, &["journal", "verify"]);
    assert!(
        sortie(&v).contains("0 entrée après le dernier sceau"),
        "{}",
        sortie(&v)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
