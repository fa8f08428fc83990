//! Browser test of « Connaître mon niveau » (`e2e/competences.mjs`): the self-assessment
//! with JavaScript off and on, at 360 and 1280 px, axe on every kind of page, and the next
//! steps with a real place near Muret, over the bundled instance.

use std::time::Duration;

use crate::commun::{demarrer_pour_tests, executer_script, exiger_succes, Dossier};

const DUREE_MAX: Duration = Duration::from_secs(8 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_competences() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-competences");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    println!("Serveur de test / test server: {base}");
    let statut = executer_script("competences.mjs", &base, &[], DUREE_MAX).await;
    serveur.abort();
    drop(state);
    exiger_succes(
        statut,
        DUREE_MAX,
        (" de « Connaître mon niveau »", "Compétences "),
    );
}
