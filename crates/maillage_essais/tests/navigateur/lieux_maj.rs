//! Browser test of keeping the directory true (`e2e/lieux_maj.mjs`): issue 20, items 1
//! (editing a place, undo, retire) and 2 (places updating their own entry).
//!
//! Starts the real server in-process with [`crate::commun::demarrer_pour_tests`] (a fresh
//! SQLite database: no place, no account), imports three places through the directory's
//! import use case (what `maillage import` does) and makes a coordinator of dép. 31 and one
//! of dép. 75 through the accounts kernel's use cases (what `maillage mediation
//! administrateur|territoire` do; no SQL). A link already expired is made through the
//! module's use case with a validity of zero (the browser cannot move the server's clock).
//! Everything else goes through the pages, in Debian's Chromium: the coordinator edits a
//! field (a refused value first), sees the new value on the public page with its
//! provenance, undoes it, retires the place and publishes it again, sends a place its
//! personal link (a letter to print) and starts a campaign; the place, without an account,
//! corrects its hours and sees « mis à jour par le lieu »; the used and the expired links
//! are refused; the coordinator of dép. 75 cannot open the editing page. axe (WCAG 2.1
//! A/AA) at 360 and 1280 px on every page. Exit status 0 required.
//!
//! `cargo test -p maillage_essais --test navigateur lieux_maj`.

use std::time::Duration;

use crate::commun::{demarrer_pour_tests, executer_script, exiger_succes, Dossier};
use maillage_annuaire::annuaire::DemandeImport;
use maillage_domain::mediation::Role;
use maillage_web::AppState;

const DUREE_MAX: Duration = Duration::from_secs(8 * 60);
const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const COORD_31: &str = "coord31@exemple.fr";
const COORD_75: &str = "coord75@exemple.fr";

const FICHIER: &str = "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,typologie,telephone,courriels,site_web,horaires,presentation_resume,presentation_detail,source,itinerance,structure_parente,date_maj,services,publics_specifiquement_adresses,prise_en_charge_specifique,frais_a_charge,dispositif_programmes_nationaux,formations_labels,autres_formations_labels,modalites_acces,modalites_accompagnement,fiche_acces_libre,prise_rdv
t1,,Atelier numérique des Sept-Deniers,Toulouse,31000,31555,1 allée Jacques Chaban-Delmas,,43.6114,1.4536,,05 61 22 21 78,mediatheque@exemple.fr,,Mo-Fr 10:00-19:00,,,,,,2024-03-01,Aide aux démarches administratives,,,,,,,,,,
m1,,Atelier numérique du Barry,Muret,31600,31395,12 rue Castelvielh,,43.4616,1.3270,,05 61 51 90 00,,,Tu-Sa 09:00-12:00,,,,,,2024-03-01,,,,,,,,,,,
p1,,Atelier numérique de la Roquette,Paris,75011,75111,10 rue de la Roquette,,48.8550,2.3740,,01 43 00 00 00,,,Mo-Fr 09:00-17:00,,,,,,2024-03-01,,,,,,,,,,,
";

/// The places and the two coordinators; returns Muret's published id and an expired link.
async fn construire_monde(state: &AppState, base: &str) -> (String, String) {
    state
        .annuaire
        .importer(DemandeImport {
            source: "essai".into(),
            format: None,
            nom_fichier: "lieux_2024-03-01.csv".into(),
            contenu: FICHIER.as_bytes().to_vec(),
        })
        .await
        .expect("import");
    state.recharger().await.expect("engine");
    let c = state.instance.comptes();
    let op = c.exploitant();
    for (email, nom, territoire) in [
        (COORD_31, "Claire Coordinatrice", "dep:31"),
        (COORD_75, "Paul Parisien", "dep:75"),
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
    let muret = state
        .annuaire
        .lieu_publie("essai#m1")
        .await
        .expect("read")
        .expect("published")
        .id;
    let perime = state
        .instance
        .mises_a_jour()
        .clone()
        .avec_duree_lien(chrono::Duration::seconds(-1))
        .envoyer_lien(&op, &muret, base)
        .await
        .expect("an expired link")
        .url;
    (muret, perime)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_lieux_maj() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-lieux-maj");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    let (muret, perime) = construire_monde(&state, &base).await;
    println!("Serveur de test / test server: {base}");
    let variables = [
        ("MAILLAGE_E2E_COORD31", COORD_31),
        ("MAILLAGE_E2E_COORD75", COORD_75),
        ("MAILLAGE_E2E_MDP", MDP),
        ("MAILLAGE_E2E_SECRET", SECRET),
        ("MAILLAGE_E2E_LIEU", muret.as_str()),
        ("MAILLAGE_E2E_LIEN_PERIME", perime.as_str()),
    ];
    let statut = executer_script("lieux_maj.mjs", &base, &variables, DUREE_MAX).await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" des mises à jour des lieux", "Lieux "));
}
