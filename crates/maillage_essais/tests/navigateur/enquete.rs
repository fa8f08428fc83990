//! Browser test of the offline survey collection (`e2e/enquete.mjs`).
//!
//! Starts the real server in-process ([`crate::commun::demarrer_pour_tests`]: temporary
//! SQLite database), creates a structure, its surveyor (a mediator) and its coordinator
//! (second factor on) through the accounts kernel, then, as the coordinator, a campaign on
//! Muret and Toulouse, the surveyor and 11 addresses through the module's use cases (as
//! `maillage enquete campagne|enqueteur|adresses` do; no SQL), and runs
//! `node e2e/enquete.mjs BASE_URL` in Debian's Chromium with service workers allowed; it
//! requires exit status 0. See the script for the path (offline reload, 10 visits, sync
//! twice, two devices with one UUID, a page closed during sync; the coordinator's pages —
//! new campaign, management, results —, a « Mon espace » key given at the door, the public
//! page without JavaScript; axe at 360 and 1280 px).
//!
//! The campaign's id reaches the script as `MAILLAGE_E2E_CAMPAGNE`.

use std::time::Duration;

use crate::commun::{
    demarrer_pour_tests, executer_script, exiger_succes, verifier_prerequis, Dossier,
};
use chrono::NaiveDate;
use maillage_domain::mediation::Role;
use maillage_enquete::DemandeCampagne;

const DUREE_MAX: Duration = Duration::from_secs(8 * 60);
const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_enquete_hors_ligne() {
    verifier_prerequis(&[]);
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-enquete");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    let instance = &state.instance;
    let structure = instance
        .store()
        .create_structure("Centre social de Muret", None, Some("31395"))
        .await
        .expect("structure");
    let st = Some(maillage_domain::StructureId::new(structure));
    let comptes = instance.comptes();
    let enqueteur = comptes
        .creer_compte(
            "enqueteur@exemple.fr",
            "Sam Enquête",
            Role::Mediateur,
            st,
            MDP,
        )
        .await
        .expect("surveyor");
    comptes.activer_totp(enqueteur, SECRET).await.expect("totp");
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
        .expect("coordinator's totp");
    let gestionnaire = comptes
        .acteur_de_confiance(coordinateur)
        .await
        .expect("actor");
    let e = instance.enquete();
    let id = e
        .creer_campagne(
            &gestionnaire,
            DemandeCampagne {
                intitule: "Besoins numériques à Muret".into(),
                territoire: "commune:31395, commune:31555".into(),
                debut: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
                fin: NaiveDate::from_ymd_opt(2036, 12, 31).expect("date"),
                consentement: "Vos réponses sont anonymes : ni nom ni adresse ne sont gardés."
                    .into(),
                menages: 60,
                minimum_par_commune: 20,
            },
        )
        .await
        .expect("campaign");
    e.ajouter_enqueteur(&gestionnaire, id, enqueteur.get(), &["31395".to_string()])
        .await
        .expect("surveyor added");
    let lignes: String = (1..=11)
        .map(|i| format!("31395;{i} rue de la Mairie\n"))
        .collect();
    e.importer_adresses(&gestionnaire, id, &lignes)
        .await
        .expect("addresses");
    println!("Serveur de test / test server: {base} — campagne {id}");
    let id = id.to_string();
    let statut = executer_script(
        "enquete.mjs",
        &base,
        &[("MAILLAGE_E2E_CAMPAGNE", &id)],
        DUREE_MAX,
    )
    .await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" de l’enquête", "Survey "));
}
