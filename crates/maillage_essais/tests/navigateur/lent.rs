//! The orientation path on a slow phone (issue « Première utilisation réelle »): starts the
//! server in-process over the bundled real places and runs `node e2e/lent.mjs BASE_URL`
//! (Chromium, 400 kbit/s, 400 ms round trip, CPU × 4; home → results in two pages, and the
//! four question pages for comparison, 3 runs each; see docs/PERFORMANCE.md). A measurement,
//! not a check run by default:
//!
//! ```sh
//! cargo test --release -p maillage_essais --test navigateur lent:: -- --ignored --nocapture
//! ```

use std::time::Duration;

use crate::commun::{executer_script, exiger_succes, verifier_prerequis, Dossier};

const DUREE_MAX: Duration = Duration::from_secs(10 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement on a slowed-down browser: run it on purpose"]
async fn parcours_sur_telephone_lent() {
    let _seul = crate::commun::seul_navigateur().await;
    verifier_prerequis(&[]);
    let dossier = Dossier::nouveau("maillage-lent");
    let (base, _state, serveur) = crate::commun::demarrer_pour_tests(&dossier.0)
        .await
        .expect("start the server over the demo data");
    let statut = executer_script("lent.mjs", &base, &[], DUREE_MAX).await;
    serveur.abort();
    exiger_succes(statut, DUREE_MAX, ("", ""));
}
