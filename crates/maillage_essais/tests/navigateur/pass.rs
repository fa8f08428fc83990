//! Browser test of the Pass numérique (`e2e/pass.mjs`): the acceptance journey.
//!
//! Starts the real server in-process with [`crate::commun::demarrer_pour_tests`] (a fresh
//! SQLite database and journal key: no programme, no pass), then makes three structures and
//! their accounts through the accounts kernel's use cases (what `maillage` at the command
//! line does; no SQL): the Département de la Haute-Garonne and its coordinator (the funder),
//! the CAF and a mediator (the prescriber), the Médiathèque de Muret (a valid SIRET, a place
//! of activity) and its mediator (the place that redeems). Everything about passes is then
//! done through the pages by `node e2e/pass.mjs BASE_URL`, in Debian's Chromium: programme
//! with its simulation, qualification, prescriber, carnet printed and read back with
//! `pdftotext`, distribution to a person with a new personal code, redemption while
//! recording the accompaniment, « Mon espace », the dashboard and the month's statement;
//! axe (WCAG 2.1 A/AA) at 360 and 1280 px on every page. Exit status 0 required.
//!
//! `cargo test -p maillage_essais --test navigateur pass`.

use std::time::Duration;

use crate::commun::{
    demarrer_pour_tests, executer_script, exiger_succes, verifier_prerequis, Dossier,
};
use maillage_domain::mediation::Role;
use maillage_web::AppState;

const DUREE_MAX: Duration = Duration::from_secs(10 * 60);
const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const FINANCEUR: &str = "financeur@exemple.fr";
const PRESCRIPTEUR: &str = "prescripteur@exemple.fr";
const MEDIATEUR: &str = "mediateur@exemple.fr";

async fn construire_monde(state: &AppState) {
    let c = state.instance.comptes();
    let op = c.exploitant();
    let departement = c
        .creer_structure(&op, "Département de la Haute-Garonne", None, Some("31555"))
        .await
        .expect("funder");
    let caf = c
        .creer_structure(&op, "CAF de la Haute-Garonne", None, Some("31555"))
        .await
        .expect("prescriber");
    let mediatheque = c
        .creer_structure(
            &op,
            "Médiathèque de Muret",
            Some("73282932000074"),
            Some("31395"),
        )
        .await
        .expect("place");
    let lieu = c
        .creer_lieu_activite(&op, mediatheque, "Médiathèque de Muret", "31395", None)
        .await
        .expect("place of activity");
    for (email, nom, role, structure) in [
        (
            FINANCEUR,
            "Claire Financeur",
            Role::Coordinateur,
            departement,
        ),
        (PRESCRIPTEUR, "Paul Prescripteur", Role::Mediateur, caf),
        (MEDIATEUR, "Mona Médiatrice", Role::Mediateur, mediatheque),
    ] {
        let id = c
            .creer_compte(email, nom, role, Some(structure), MDP)
            .await
            .expect("account");
        c.activer_totp(id, SECRET).await.expect("totp");
    }
    c.affecter(
        &op,
        MEDIATEUR,
        lieu,
        chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
    )
    .await
    .expect("assignment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_pass() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    verifier_prerequis(&[("pdftotext", "-v", "poppler-utils")]);
    let dossier = Dossier::nouveau("maillage-navigateur-pass");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    construire_monde(&state).await;
    println!("Serveur de test / test server: {base}");
    let temporaire = dossier.0.display().to_string();
    let variables = [
        ("MAILLAGE_E2E_FINANCEUR", FINANCEUR),
        ("MAILLAGE_E2E_PRESCRIPTEUR", PRESCRIPTEUR),
        ("MAILLAGE_E2E_MEDIATEUR", MEDIATEUR),
        ("MAILLAGE_E2E_MDP", MDP),
        ("MAILLAGE_E2E_SECRET", SECRET),
        ("MAILLAGE_E2E_DOSSIER", &temporaire),
    ];
    let statut = executer_script("pass.mjs", &base, &variables, DUREE_MAX).await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" du Pass numérique", "Pass "));
}
