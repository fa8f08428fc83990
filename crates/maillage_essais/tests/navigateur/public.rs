//! Browser tests of the public pages (issue « Trouver de l'aide près de chez moi »).
//!
//! Starts the real server in-process on 127.0.0.1:0 over a temporary SQLite database loaded
//! with the bundled real places, then runs `node e2e/run.mjs BASE_URL` (Debian's Chromium
//! driven by playwright-core, accessibility by axe-core) and requires exit status 0. The
//! browser's output is streamed as it comes.
//!
//! Needs `/usr/bin/chromium` and `e2e/node_modules`: `.ci/run` installs both. A missing one
//! fails the test (never a silent skip).

use std::time::{Duration, Instant};

use crate::commun::{executer_script, exiger_succes, verifier_prerequis, Dossier};

/// The whole browser run is stopped after this long.
const DUREE_MAX: Duration = Duration::from_secs(20 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    verifier_prerequis(&[]);
    let dossier = Dossier::nouveau("maillage-navigateur");

    let debut = Instant::now();
    let (base, _state, serveur) = crate::commun::demarrer_pour_tests(&dossier.0)
        .await
        .expect("start the server over the demo data");
    println!(
        "Serveur de test / test server: {base} (démonstration chargée en {:.1} s)",
        debut.elapsed().as_secs_f64()
    );

    let statut = executer_script("run.mjs", &base, &[], DUREE_MAX).await;
    serveur.abort();
    exiger_succes(statut, DUREE_MAX, ("", ""));
}
