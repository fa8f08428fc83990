//! Browser test of the day's offline check-in (`e2e/accueil.mjs`).
//!
//! Starts the real server in-process ([`crate::commun::demarrer_pour_tests`]: temporary
//! SQLite database), creates a structure, its mediator and its coordinator (second factor
//! on) through the accounts kernel, imports an event as the coordinator (`Evenements::importer`,
//! as `maillage evenements importer` does), publishes it from the organisers' use case and
//! registers six people through the public one (no SQL), then runs
//! `node e2e/accueil.mjs BASE_URL` in Debian's Chromium with service workers allowed and
//! requires exit status 0. See the script for the path: offline reload served by the service
//! worker, 5 check-ins and 3 walk-ins, sync twice without duplicate, two devices checking
//! the same person in, the allotment refusing a walk-in; axe at 360 and 1280 px.
//!
//! The event's id reaches the script as `MAILLAGE_E2E_EVENEMENT`.

use std::time::Duration;

use crate::commun::{
    demarrer_pour_tests, executer_script, exiger_succes, verifier_prerequis, Dossier,
};
use maillage_domain::mediation::Role;
use maillage_evenements::{DemandeInscription, StatutEvenement};

const DUREE_MAX: Duration = Duration::from_secs(8 * 60);
const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn journee() -> String {
    serde_json::json!({
        "titre": "Journée numérique de Muret",
        "type": "journee_locale",
        "commune": "31395",
        "adresse": "Salle des fêtes",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [{"titre": "Déjouer les arnaques en ligne", "type": "atelier",
                      "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T11:00:00+02:00",
                      "salle": "Salle des fêtes", "capacite": 14}]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_accueil_hors_ligne() {
    verifier_prerequis(&[]);
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-accueil");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    let instance = &state.instance;
    let structure = instance
        .store()
        .create_structure("Tiers-lieu de Muret", None, Some("31395"))
        .await
        .expect("structure");
    let st = Some(maillage_domain::StructureId::new(structure));
    let comptes = instance.comptes();
    let mediateur = comptes
        .creer_compte(
            "accueil@exemple.fr",
            "Camille Accueil",
            Role::Mediateur,
            st,
            MDP,
        )
        .await
        .expect("mediator");
    comptes.activer_totp(mediateur, SECRET).await.expect("totp");
    let coordinateur = comptes
        .creer_compte(
            "coordination@exemple.fr",
            "Dominique Coordination",
            Role::Coordinateur,
            st,
            MDP,
        )
        .await
        .expect("coordinator");
    comptes
        .activer_totp(coordinateur, SECRET)
        .await
        .expect("totp");
    let organisateur = comptes
        .acteur_de_confiance(coordinateur)
        .await
        .expect("actor");
    let ev = instance.evenements();
    let cree = ev
        .importer(&organisateur, &journee())
        .await
        .expect("event imported");
    ev.changer_statut_organise(&organisateur, cree.id, StatutEvenement::Publie)
        .await
        .expect("published");
    for prenom in ["Alice", "Bruno", "Chloé", "David", "Emma", "Farid"] {
        ev.inscrire(
            cree.sessions[0],
            &DemandeInscription {
                prenom: prenom.into(),
                contact: None,
                ..Default::default()
            },
        )
        .await
        .expect("registered");
    }
    println!(
        "Serveur de test / test server: {base} — événement {}",
        cree.id
    );
    let id = cree.id.to_string();
    let statut = executer_script(
        "accueil.mjs",
        &base,
        &[("MAILLAGE_E2E_EVENEMENT", &id)],
        DUREE_MAX,
    )
    .await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" de l’accueil", "Check-in "));
}
