//! Browser tests of the Médiation space (issue « Compte rendu d'activité en 2 minutes »).
//!
//! Builds a small world in a temporary SQLite database (a structure and its place of
//! activity in Toulouse, a mediator with a known TOTP secret, a coordinator of dep:31 with
//! that mediator in their team, an administrator, a fresh account without second factor and
//! a pending invitation), starts the real server in-process on 127.0.0.1:0 (no demo places:
//! the public directory is empty), then runs `node e2e/mediation.mjs BASE_URL` (Debian's
//! Chromium driven by playwright-core, accessibility by axe-core) and requires exit status 0.
//! The accounts reach the script through `MAILLAGE_E2E_*` environment variables.
//!
//! Needs `/usr/bin/chromium` and `e2e/node_modules`: `.ci/run` installs both. A missing one
//! fails the test (never a silent skip).

use std::net::SocketAddr;
use std::time::Duration;

use crate::commun::{executer_script, exiger_succes, verifier_prerequis, Dossier};
use maillage_comptes::stockage::AffectationRow;
use maillage_domain::mediation::Role;
use maillage_web::{router, AppState, Site};

/// The whole browser run is stopped after this long.
const DUREE_MAX: Duration = Duration::from_secs(15 * 60);

const MDP: &str = "un mot de passe solide";
/// TOTP secret of the accounts that have one (base32); the script computes the codes.
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const MEDIATEUR: &str = "mediatrice@exemple.fr";
const COORDINATEUR: &str = "coordinateur@exemple.fr";
const ADMIN: &str = "admin@exemple.fr";
/// An account without second factor: signing in leads to the enrolment page.
const NOUVEAU: &str = "nouvelle@exemple.fr";
/// Invited, not yet registered: the invitation page.
const INVITE: &str = "invitee@exemple.fr";

/// The accounts, places and invitation the script needs. Returns the invitation path.
async fn construire_monde(annuaire: &maillage_instance::Instance) -> String {
    let m = annuaire.mediation();
    let s = annuaire.store().clone();
    let structure = s
        .create_structure("Médiathèque de Toulouse", None, Some("31555"))
        .await
        .expect("structure");
    let lieu = s
        .create_lieu_activite(structure, "Médiathèque José Cabanis", None, "31555")
        .await
        .expect("place of activity");
    let compte = |email: &'static str, nom: &'static str, role: Role, totp: bool| async move {
        let id = m
            .comptes()
            .creer_compte(
                email,
                nom,
                role,
                Some(maillage_domain::StructureId::new(structure)),
                MDP,
            )
            .await
            .expect("account");
        if totp {
            m.comptes().activer_totp(id, SECRET).await.expect("totp");
        }
        id
    };
    let mediateur = compte(MEDIATEUR, "Camille Martin", Role::Mediateur, true).await;
    let coordinateur = compte(COORDINATEUR, "Dominique Roux", Role::Coordinateur, true).await;
    let nouveau = compte(NOUVEAU, "Sacha Petit", Role::Mediateur, false).await;
    let admin = m
        .comptes()
        .creer_compte(ADMIN, "Alex Bernard", Role::Administrateur, None, MDP)
        .await
        .expect("administrator");
    m.comptes().activer_totp(admin, SECRET).await.expect("totp");
    let debut = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    for c in [mediateur, nouveau] {
        s.add_affectation(&AffectationRow {
            compte_id: c.get(),
            lieu_activite_id: lieu,
            debut,
            fin: None,
        })
        .await
        .expect("affectation");
    }
    s.add_equipe_membre(coordinateur.get(), mediateur.get())
        .await
        .expect("team");
    s.add_territoire_coordonne(coordinateur.get(), "dep:31")
        .await
        .expect("territory");
    let lien = m
        .comptes()
        .inviter_administrateur(INVITE)
        .await
        .expect("invitation");
    lien.find("/invitation/")
        .map(|i| lien[i..].to_string())
        .expect("invitation link")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_mediation() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    verifier_prerequis(&[]);
    let dossier = Dossier::nouveau("maillage-navigateur-mediation");

    // Like `crate::commun::demarrer_pour_tests`, without loading the demo places.
    let url = format!("sqlite://{}", dossier.0.join("maillage.db").display());
    let annuaire = maillage_cli::stockage::ouvrir(&url).await.expect("store");
    let invitation = construire_monde(&annuaire).await;
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let adresse = listener.local_addr().expect("address");
    let app = router(state.clone());
    let serveur = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let base = format!("http://{adresse}");
    println!("Serveur de test / test server: {base} (annuaire vide / empty directory)");

    let variables = [
        ("MAILLAGE_E2E_MEDIATEUR", MEDIATEUR),
        ("MAILLAGE_E2E_COORDINATEUR", COORDINATEUR),
        ("MAILLAGE_E2E_ADMIN", ADMIN),
        ("MAILLAGE_E2E_NOUVEAU", NOUVEAU),
        ("MAILLAGE_E2E_MDP", MDP),
        ("MAILLAGE_E2E_SECRET", SECRET),
        ("MAILLAGE_E2E_INVITATION", &invitation),
    ];
    let statut = executer_script("mediation.mjs", &base, &variables, DUREE_MAX).await;
    serveur.abort();
    drop(state);
    exiger_succes(statut, DUREE_MAX, (" de la Médiation", "Médiation "));
}
