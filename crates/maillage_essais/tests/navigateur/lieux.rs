//! Browser test of the directory's back office (`e2e/lieux.mjs`): the acceptance journey of
//! issue 20, item 1 (the back office, without the field-by-field editing).
//!
//! Starts the real server in-process with [`crate::commun::demarrer_pour_tests_avec`] (a
//! fresh SQLite database: no place, no account), then makes two coordinators through the accounts
//! kernel's use cases (what `maillage mediation administrateur|territoire` does; no SQL): the
//! coordinator of the Haute-Garonne (dep:31) and the coordinator of Paris (dep:75).
//! Everything else goes through the pages, in Debian's Chromium (`node e2e/lieux.mjs`):
//! the coordinator of dep:31 uploads two files (the preview, then « Appliquer », then the
//! report page and its CSV), decides two duplicate candidates (« lieux différents », « même
//! lieu »), a visitor reports an error from a place's public page, the coordinator marks it
//! « traité » with a note and opens the freshness view; the coordinator of dep:75 sees no
//! candidate, no report, and cannot open dep:31's upload. axe (WCAG 2.1 A/AA) at 360 and
//! 1280 px on every page of the back office. Exit status 0 required.
//!
//! `cargo test -p maillage_essais --test navigateur lieux`.

use std::time::Duration;

use crate::commun::{demarrer_pour_tests_avec, executer_script, exiger_succes, Dossier};
use maillage_domain::mediation::Role;
use maillage_web::AppState;

const DUREE_MAX: Duration = Duration::from_secs(10 * 60);
const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const COORDINATEUR_31: &str = "coordination31@exemple.fr";
const COORDINATEUR_75: &str = "coordination75@exemple.fr";

async fn construire_monde(state: &AppState) {
    let c = state.instance.comptes();
    let op = c.exploitant();
    for (email, nom, territoire) in [
        (COORDINATEUR_31, "Camille Coordination", "dep:31"),
        (COORDINATEUR_75, "Paul Parisien", "dep:75"),
    ] {
        let id = c
            .creer_compte(email, nom, Role::Coordinateur, None, MDP)
            .await
            .expect("account");
        c.activer_totp(id, SECRET).await.expect("totp");
        c.confier_territoire(&op, id, territoire)
            .await
            .expect("territory");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_lieux_back_office() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-lieux");
    // An empty directory: every place comes from the coordinator's uploads.
    let (base, state, serveur) = demarrer_pour_tests_avec(&dossier.0, false)
        .await
        .expect("server");
    construire_monde(&state).await;
    println!("Serveur de test / test server: {base}");
    let temporaire = dossier.0.display().to_string();
    let variables = [
        ("MAILLAGE_E2E_COORDINATEUR31", COORDINATEUR_31),
        ("MAILLAGE_E2E_COORDINATEUR75", COORDINATEUR_75),
        ("MAILLAGE_E2E_MDP", MDP),
        ("MAILLAGE_E2E_SECRET", SECRET),
        ("MAILLAGE_E2E_DOSSIER", &temporaire),
    ];
    let statut = executer_script("lieux.mjs", &base, &variables, DUREE_MAX).await;
    serveur.abort();
    drop(state);
    exiger_succes(
        statut,
        DUREE_MAX,
        (" de l’annuaire (back office)", "Back office "),
    );
}
