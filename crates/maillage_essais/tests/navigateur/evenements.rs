//! Browser test of the public side of Événements (`e2e/evenements.mjs`).
//!
//! Starts the real server in-process with [`crate::commun::demarrer_pour_tests`] (temporary
//! SQLite database, the bundled directory), imports a Numérique Tour stop in Muret through
//! the module's public API (`Evenements::importer`, as `maillage evenements importer` does:
//! no SQL), then runs `node e2e/evenements.mjs BASE_URL` in Debian's Chromium and requires
//! exit status 0. The script goes list → event page → registration with the form → the
//! confirmation with the key → the printable ticket, JavaScript off and on; the widget;
//! the iCalendar links; axe (WCAG 2.1 A/AA) at 360 and 1280 px on every new page, no
//! sideways scroll and large touch targets at 360 px; the event page ≤ 30 KB.
//!
//! The event's id reaches the script as `MAILLAGE_E2E_EVENEMENT`.

use std::time::Duration;

use crate::commun::{
    demarrer_pour_tests, executer_script, exiger_succes, verifier_prerequis, Dossier,
};

const DUREE_MAX: Duration = Duration::from_secs(8 * 60);

/// A full day of the Numérique Tour in Muret, years ahead (its sessions stay open).
fn etape_de_muret() -> String {
    let types = [
        ("Déjouer les arnaques en ligne", "atelier", 12),
        ("Casque de réalité virtuelle", "realite_virtuelle", 4),
        ("Quiz : vrai ou faux sur Internet ?", "quiz", 30),
        ("Table ronde : le numérique à Muret", "table_ronde", 60),
        ("Permanence France services", "permanence", 10),
        ("Stand du FabLab", "stand", 20),
    ];
    let sessions: Vec<serde_json::Value> = types
        .iter()
        .enumerate()
        .map(|(n, (titre, type_session, capacite))| {
            serde_json::json!({
                "titre": titre,
                "type": type_session,
                "debut": format!("2035-06-12T{:02}:00:00+02:00", 9 + n),
                "fin": format!("2035-06-12T{:02}:45:00+02:00", 9 + n),
                "salle": if n % 2 == 0 { "Chapiteau" } else { "Salle des fêtes" },
                "capacite": capacite,
            })
        })
        .collect();
    serde_json::json!({
        "titre": "Numérique Tour : étape de Muret",
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T17:00:00+02:00",
        "description": "Le village numérique s’installe sur la place : ateliers, casques de réalité virtuelle, quiz, et les acteurs du territoire pour vos démarches.",
        "accessibilite": {"mobilite": "Plain-pied, toilettes adaptées", "auditif": "Boucle magnétique au chapiteau"},
        "sessions": sessions,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_evenements() {
    verifier_prerequis(&[]);
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-evenements");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    let operateur = state.instance.comptes().exploitant();
    let cree = state
        .instance
        .evenements()
        .importer(&operateur, &etape_de_muret())
        .await
        .expect("event imported");
    println!(
        "Serveur de test / test server: {base} — événement {}",
        cree.id
    );
    let id = cree.id.to_string();
    let statut = executer_script(
        "evenements.mjs",
        &base,
        &[("MAILLAGE_E2E_EVENEMENT", &id)],
        DUREE_MAX,
    )
    .await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" des Événements", "Événements "));
}
