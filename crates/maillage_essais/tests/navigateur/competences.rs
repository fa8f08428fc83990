//! Browser test of « Connaître mon niveau » (`e2e/competences.mjs`): the self-assessment
//! with JavaScript off and on, at 360 and 1280 px, axe on every kind of page, and the next
//! steps with a real place near Muret, over the bundled instance; then the mediator's path:
//! a mediator (an account of a structure in Toulouse with a known TOTP secret, created
//! through the accounts' and Médiation's use cases, as `maillage mediation …` does) signs in
//! through the pages, opens a beneficiary's file, runs the assessment with the person's
//! consent, records it, runs a second one and sees the progress per domain; and the
//! territory page of Muret, where six assessments were stored through the module's use case
//! (as « Enregistrer mon résultat » does), shows the measured needs.
//!
//! The mediator and the file reach the script as `MAILLAGE_E2E_MEDIATEUR`, `…_MDP`,
//! `…_SECRET`, `…_BENEFICIAIRE`.

use std::time::Duration;

use crate::commun::{demarrer_pour_tests, executer_script, exiger_succes, Dossier};
use maillage_domain::mediation::{Beneficiaire, Genre, Role, StatutSocial};

const DUREE_MAX: Duration = Duration::from_secs(10 * 60);
const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const MEDIATEUR: &str = "mediatrice.competences@exemple.fr";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parcours_navigateur_competences() {
    let _un_a_la_fois = crate::commun::un_navigateur_a_la_fois().await;
    let dossier = Dossier::nouveau("maillage-navigateur-competences");
    let (base, state, serveur) = demarrer_pour_tests(&dossier.0).await.expect("server");
    let m = state.instance.mediation();
    let structure = state
        .instance
        .store()
        .create_structure("Médiathèque de Toulouse", None, Some("31555"))
        .await
        .expect("structure");
    let compte = m
        .comptes()
        .creer_compte(
            MEDIATEUR,
            "Camille Martin",
            Role::Mediateur,
            Some(maillage_domain::StructureId::new(structure)),
            MDP,
        )
        .await
        .expect("account");
    m.comptes()
        .activer_totp(compte, SECRET)
        .await
        .expect("totp");
    let acteur = m
        .comptes()
        .acteur_de_confiance(compte)
        .await
        .expect("actor");
    let b = Beneficiaire {
        prenom: "Lucienne".into(),
        annee_naissance: Some(1948),
        commune: Some(maillage_domain::CodeInsee::parse("31555").expect("code")),
        statut: StatutSocial::Retraite,
        genre: Genre::Feminin,
        notes: String::new(),
    };
    let ben = m.creer_beneficiaire(&acteur, b, false).await.expect("file");
    // Six assessments stored by the people's choice in Muret (through the module's use
    // case, as « Enregistrer mon résultat » does): the territory page shows measured needs.
    let competences = state.instance.competences();
    let banque = competences.banque().await.expect("bank");
    let referentiel = maillage_competences::Referentiel::embarque();
    for graine in 0..6u32 {
        let mut e = maillage_competences::Evaluation::nouvelle(&banque, graine);
        while let (_, Some(item)) = e.suite(&banque, referentiel).expect("next") {
            let id = item.id.clone();
            let r = match &item.genre {
                maillage_competences::Genre::Enonce => maillage_competences::Reponse::Non,
                maillage_competences::Genre::Pratique { .. } => {
                    maillage_competences::Reponse::NeSaisPas
                }
            };
            e.ajouter(&banque, &id, r).expect("answer");
        }
        competences
            .enregistrer(
                &e,
                Some("31395"),
                maillage_competences::resultats::Origine::Personne,
            )
            .await
            .expect("stored");
    }
    println!("Serveur de test / test server: {base} — dossier {ben}");
    let ben = ben.to_string();
    let statut = executer_script(
        "competences.mjs",
        &base,
        &[
            ("MAILLAGE_E2E_MEDIATEUR", MEDIATEUR),
            ("MAILLAGE_E2E_MDP", MDP),
            ("MAILLAGE_E2E_SECRET", SECRET),
            ("MAILLAGE_E2E_BENEFICIAIRE", &ben),
        ],
        DUREE_MAX,
    )
    .await;
    serveur.abort();
    drop(state);
    exiger_succes(
        statut,
        DUREE_MAX,
        (" de « Connaître mon niveau »", "Compétences "),
    );
}
