//! Browser tests of the public pages (issue « Trouver de l'aide près de chez moi »).
//!
//! Starts the real server in-process on 127.0.0.1:0 over a temporary SQLite database loaded
//! with the bundled real places, then runs `node e2e/run.mjs BASE_URL` (Debian's Chromium
//! driven by playwright-core, accessibility by axe-core) and requires exit status 0. The
//! browser's output is streamed as it comes.
//!
//! Needs `/usr/bin/chromium` and `e2e/node_modules`: `.ci/run` installs both. A missing one
//! fails the test (never a silent skip).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole browser run is stopped after this long.
const DUREE_MAX: Duration = Duration::from_secs(20 * 60);

fn racine_workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails with a French and English message when something the browser run needs is missing.
fn verifier_prerequis(racine: &Path) {
    let mut manquants = Vec::new();
    if !Path::new("/usr/bin/chromium").exists() {
        manquants.push("/usr/bin/chromium (apt-get update && apt-get install -y chromium)");
    }
    if !racine
        .join("e2e/node_modules/playwright-core/package.json")
        .exists()
        || !racine
            .join("e2e/node_modules/@axe-core/playwright/package.json")
            .exists()
    {
        manquants.push("e2e/node_modules (npm ci --prefix e2e)");
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(node, Ok(s) if s.success()) {
        manquants.push("node (Node.js ≥ 20)");
    }
    assert!(
        manquants.is_empty(),
        "\nTests navigateur impossibles : il manque {m}.\n\
         Lancez les étapes d'installation de .ci/run (Chromium de Debian, puis npm ci --prefix e2e).\n\
         Browser tests cannot run: missing {m}.\n\
         Run the install steps of .ci/run (Debian's Chromium, then npm ci --prefix e2e).\n",
        m = manquants.join(", ")
    );
}

/// A temporary directory removed at the end, even when the test fails.
struct Dossier(PathBuf);

impl Drop for Dossier {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur() {
    let racine = racine_workspace();
    verifier_prerequis(&racine);

    let dossier = Dossier(std::env::temp_dir().join(format!(
        "maillage-navigateur-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )));
    std::fs::create_dir_all(&dossier.0).expect("temporary directory");

    let debut = Instant::now();
    let (base, _state, serveur) = maillage_web::demarrer_pour_tests(&dossier.0)
        .await
        .expect("start the server over the demo data");
    println!(
        "Serveur de test / test server: {base} (démonstration chargée en {:.1} s)",
        debut.elapsed().as_secs_f64()
    );

    let script = racine.join("e2e/run.mjs");
    let statut = tokio::task::spawn_blocking(move || {
        let mut enfant = Command::new("node")
            .arg(&script)
            .arg(&base)
            .current_dir(racine.join("e2e"))
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("launch node e2e/run.mjs");
        let debut = Instant::now();
        loop {
            if let Some(statut) = enfant.try_wait().expect("wait for node") {
                return Some(statut);
            }
            if debut.elapsed() > DUREE_MAX {
                let _ = enfant.kill();
                let _ = enfant.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
    .expect("node runner thread");
    serveur.abort();

    match statut {
        None => panic!(
            "Les tests navigateur ont dépassé {} min / browser tests timed out",
            DUREE_MAX.as_secs() / 60
        ),
        Some(s) => assert!(
            s.success(),
            "Des tests navigateur ont échoué (voir ci-dessus) / browser tests failed (see above): {s}"
        ),
    }
}
