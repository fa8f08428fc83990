//! Browser test of the Mandats module: the acceptance scenario of an habilitated aidant.
//!
//! Starts the real server in-process with [`crate::commun::demarrer_pour_tests`] (temporary
//! SQLite database and journal key), adds a structure, a mediator of that structure with a
//! known TOTP secret, habilitated by an administrator, then runs
//! `node e2e/mandats.mjs BASE_URL` (Debian's Chromium driven by playwright-core,
//! accessibility by axe-core) and requires exit status 0. The script:
//!
//! 1. signs the aidant in (e-mail, password, TOTP code);
//! 2. signs a 6-month mandate for « social » and « logement » for a new person (identity
//!    seen on a document, declarations, consent, a new TOTP code to sign);
//! 3. reads the print page (QR code, personal code, fingerprint) and the PDF (`pdftotext`:
//!    « Mandat n° » and the person's name);
//! 4. as the person (separate browser context), opens /mon-mandat with the personal code and
//!    revokes « logement » only;
//! 5. as the aidant, gets the refusal (HTTP 422, « Refusé : la démarche « Logement » a été
//!    révoquée pour ce mandat. ») for « logement » and declares « social »;
//! 6. checks /verifier?empreinte=… (« Mandat n° … : actif »);
//! 7. opens the person's space again with JavaScript disabled;
//!
//! and runs axe (WCAG 2.1 A/AA) at 360 and 1280 px on every page visited, with no sideways
//! scroll and large touch targets at 360 px.
//!
//! The accounts reach the script through `MAILLAGE_E2E_*` environment variables.
//! Needs `/usr/bin/chromium`, `pdftotext` and `e2e/node_modules`: `.ci/run` installs them.
//! A missing one fails the test (never a silent skip).

use std::time::Duration;

use crate::commun::demarrer_pour_tests;
use crate::commun::{executer_script, exiger_succes, verifier_prerequis, Dossier};
use maillage_comptes::stockage::AffectationRow;
use maillage_domain::mediation::Role;
use maillage_web::AppState;

/// The whole browser run is stopped after this long.
const DUREE_MAX: Duration = Duration::from_secs(10 * 60);

const MDP: &str = "un mot de passe solide";
/// TOTP secret of the aidant (base32); the script computes the codes.
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const AIDANT: &str = "aidante@exemple.fr";
const ADMIN: &str = "admin@exemple.fr";

/// A structure and its place of activity, an habilitated aidant with the TOTP secret (a
/// mediator of the structure) and the administrator who habilitated them.
async fn construire_monde(state: &AppState) {
    let m = state.instance.mediation();
    let s = state.instance.store().clone();
    let structure = s
        .create_structure("France services de Muret", None, Some("31395"))
        .await
        .expect("structure");
    let lieu = s
        .create_lieu_activite(structure, "France services — Muret centre", None, "31395")
        .await
        .expect("place of activity");
    let aidant = m
        .comptes()
        .creer_compte(
            AIDANT,
            "Camille Martin",
            Role::Mediateur,
            Some(maillage_domain::StructureId::new(structure)),
            MDP,
        )
        .await
        .expect("aidant account");
    m.comptes()
        .activer_totp(aidant, SECRET)
        .await
        .expect("totp");
    s.add_affectation(&AffectationRow {
        compte_id: aidant.get(),
        lieu_activite_id: lieu,
        debut: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
        fin: None,
    })
    .await
    .expect("affectation");
    let admin = m
        .comptes()
        .creer_compte(ADMIN, "Alex Bernard", Role::Administrateur, None, MDP)
        .await
        .expect("administrator");
    state
        .instance
        .mandats()
        .expect("Mandats module (journal key)")
        .store()
        .add_habilitation(aidant.get(), admin.get(), m.maintenant())
        .await
        .expect("habilitation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_mandats() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    verifier_prerequis(&[("pdftotext", "-v", "poppler-utils")]);
    let dossier = Dossier::nouveau("maillage-navigateur-mandats");

    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    construire_monde(&state).await;
    println!("Serveur de test / test server: {base}");

    let temporaire = dossier.0.display().to_string();
    let variables = [
        ("MAILLAGE_E2E_AIDANT", AIDANT),
        ("MAILLAGE_E2E_MDP", MDP),
        ("MAILLAGE_E2E_SECRET", SECRET),
        ("MAILLAGE_E2E_DOSSIER", &temporaire),
    ];
    let statut = executer_script("mandats.mjs", &base, &variables, DUREE_MAX).await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" des Mandats", "Mandats "));
}
