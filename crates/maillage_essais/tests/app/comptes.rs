//! The accounts kernel (`maillage_comptes`) gives modules an `Acteur` that holds no secret.

use maillage_comptes::comptes::EtapeConnexion;
use maillage_comptes::securite;
use maillage_domain::mediation::Role;

const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// A real sign-in (password, then TOTP): neither the actor's `Debug` nor the account the
/// kernel gives out shows the password hash, the TOTP secret, the recovery codes, the
/// session token or its hash, or the CSRF token.
#[tokio::test]
async fn comptes_acteur_debug_ne_montre_aucun_secret() {
    let instance = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let c = instance.comptes();
    let id = c
        .creer_compte("aidante@exemple.fr", "Aidante", Role::Mediateur, None, MDP)
        .await
        .expect("account");
    let codes_secours = c.activer_totp(id, SECRET).await.expect("totp");
    assert!(!codes_secours.is_empty());
    let EtapeConnexion::SecondFacteur(jeton) = c
        .connexion("aidante@exemple.fr", MDP, "192.0.2.1")
        .await
        .expect("password")
    else {
        panic!("the second factor is enrolled");
    };
    let code = securite::code_totp(SECRET, securite::pas_totp(c.maintenant())).expect("code");
    let session = c
        .second_facteur(&jeton.0, &code)
        .await
        .expect("second factor");
    let acteur = c.acteur(&session.0).await.expect("actor");
    assert_eq!(acteur.id(), id);
    assert!(!acteur.csrf().is_empty());

    let vu = format!("{acteur:?}");
    assert!(
        vu.contains("Aidante"),
        "the Debug output shows the account: {vu}"
    );
    let mut secrets = vec![
        "argon2".to_string(),
        SECRET.to_string(),
        session.0.clone(),
        jeton.0.clone(),
        securite::empreinte(&session.0),
        acteur.csrf().to_string(),
    ];
    secrets.extend(codes_secours.iter().cloned());
    for s in &secrets {
        assert!(
            !vu.contains(s.as_str()),
            "Debug of Acteur shows a secret ({s}): {vu}"
        );
    }
    // The account as modules and pages get it (no hash, no secret).
    let compte = c
        .compte_par_email("AIDANTE@exemple.fr")
        .await
        .expect("lookup")
        .expect("account");
    let vu = format!("{compte:?}");
    for s in &secrets {
        assert!(
            !vu.contains(s.as_str()),
            "Debug of Compte shows a secret ({s}): {vu}"
        );
    }
}
