//! Browser test of the whole Événements path, from an empty instance (`e2e/tournee.mjs`):
//! planner → tour → event → registration → check-in → activity record → stop report →
//! « Mon espace ».
//!
//! Starts the real server in-process ([`crate::commun::demarrer_pour_tests`]: temporary
//! SQLite database, the bundled places, no account, no event), invites the first
//! administrator as `maillage mediation administrateur` does (the same kernel use case: the
//! only step outside the pages), then runs `node e2e/tournee.mjs BASE_URL` in Debian's
//! Chromium and requires exit status 0. Everything else goes through the pages: the
//! administrator's account and second factor, the Sicoval structure, the invitations of a
//! coordinator and a mediator read in the outbox page, their accounts; the coordinator's
//! « Créer cette tournée » from the plan of dép. 31, the edit and publication of a stop; three
//! visitors registering on the public page (ticket with the key); the check-in page (two
//! people and a walk-in); the mediator's « Créer l’activité collective »; the stop report's
//! counts; the visitor's « Mon espace » opened with the key from the ticket; the waiting
//! list's offer confirmed on a ticket after a cancellation. axe (WCAG 2.1
//! A/AA) at 360 and 1280 px on each page met.
//!
//! The invitation's path reaches the script as `MAILLAGE_E2E_INVITATION`.

use std::time::Duration;

use crate::commun::{
    demarrer_pour_tests, executer_script, exiger_succes, verifier_prerequis, Dossier,
};

const DUREE_MAX: Duration = Duration::from_secs(10 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_evenements_de_la_tournee_a_mon_espace() {
    verifier_prerequis(&[]);
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-tournee");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    // `maillage mediation administrateur admin@exemple.fr` prints this link.
    let lien = state
        .instance
        .comptes()
        .inviter_administrateur("admin@exemple.fr")
        .await
        .expect("invitation");
    let chemin = lien
        .find("/invitation/")
        .map(|i| lien[i..].to_string())
        .expect("invitation path");
    println!("Serveur de test / test server: {base}");
    let statut = executer_script(
        "tournee.mjs",
        &base,
        &[("MAILLAGE_E2E_INVITATION", &chemin)],
        DUREE_MAX,
    )
    .await;
    serveur.abort();
    drop(state);
    exiger_succes(
        statut,
        DUREE_MAX,
        (" du parcours des Événements", "Événements (parcours) "),
    );
}
