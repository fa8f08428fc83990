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

/// The public forms' limits (`Comptes::compter`), counted in the database: a window opens at
/// the first hit and ends `fenetre` later; several limits are all or nothing (a refusal by
/// one takes back what the others counted, and says how long to wait); a limit of 0 writes
/// nothing; two kernels over one database (two nodes) count together.
#[tokio::test]
async fn deux_noeuds_les_limites_des_formulaires_comptent_ensemble() {
    use chrono::TimeZone;
    use maillage_comptes::limitation::{Plafond, Refus};
    use std::time::Duration;

    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("limites.db").display());
    let horloge = std::sync::Arc::new(maillage_comptes::HorlogeManuelle::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 6, 10, 0, 0)
            .single()
            .expect("date"),
    ));
    let a = maillage_cli::stockage::ouvrir(&url)
        .await
        .expect("store")
        .avec_horloge(horloge.clone());
    let b = maillage_cli::stockage::ouvrir(&url)
        .await
        .expect("store")
        .avec_horloge(horloge.clone());
    let heure = Duration::from_secs(3600);
    let plafonds = |adresse: &'static str, lieu: &'static str| {
        [
            Plafond {
                cle: adresse,
                max: 3,
                fenetre: heure,
            },
            Plafond {
                cle: lieu,
                max: 2,
                fenetre: 24 * heure,
            },
        ]
    };
    // Node A, node B: one count.
    assert_eq!(
        a.comptes()
            .compter(&plafonds("ip:1", "lieu:x"))
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        b.comptes()
            .compter(&plafonds("ip:1", "lieu:y"))
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        a.comptes()
            .compter(&plafonds("ip:1", "lieu:y"))
            .await
            .unwrap(),
        Ok(())
    );
    // The address is at its limit (3 an hour); the place is not counted then.
    horloge.avancer(chrono::Duration::minutes(20));
    assert_eq!(
        b.comptes()
            .compter(&plafonds("ip:1", "lieu:z"))
            .await
            .unwrap(),
        Err(Refus {
            index: 0,
            attente_s: 40 * 60
        })
    );
    // The place y is at its limit (2 a day): refused whatever the address, and the new
    // address's hit is taken back…
    assert_eq!(
        a.comptes()
            .compter(&plafonds("ip:2", "lieu:y"))
            .await
            .unwrap()
            .map_err(|r| r.index),
        Err(1)
    );
    // …so ip:2 still has its 3 reports (on places z, z, x), and place z only got 2.
    for lieu in ["lieu:z", "lieu:z", "lieu:x"] {
        assert_eq!(
            b.comptes().compter(&plafonds("ip:2", lieu)).await.unwrap(),
            Ok(())
        );
    }
    assert!(a
        .comptes()
        .compter(&plafonds("ip:2", "lieu:w"))
        .await
        .unwrap()
        .is_err());
    // The address's window ends one hour after its first report: ip:1 again.
    horloge.avancer(chrono::Duration::minutes(40));
    assert_eq!(
        a.comptes()
            .compter(&plafonds("ip:1", "lieu:w"))
            .await
            .unwrap(),
        Ok(())
    );
    // 0: no limit, nothing written.
    let sans = [Plafond {
        cle: "ip:3",
        max: 0,
        fenetre: heure,
    }];
    for _ in 0..20 {
        assert_eq!(b.comptes().compter(&sans).await.unwrap(), Ok(()));
    }
    // A hit at instant 0 on a fresh key opens a window ending at 1 (refused at a limit of
    // 0); on a key already written, it would meet that key's window (ending in 2026+).
    let avant = a
        .store()
        .count_hits(&[vec![maillage_store::comptes::Coup {
            cle: "ip:3".into(),
            maintenant_ms: 0,
            fenetre_ms: 1,
            max: 0,
        }]])
        .await
        .expect("count");
    assert_eq!(
        avant,
        vec![Err((0, 1))],
        "the unlimited key was never written"
    );
    // The hourly purge forgets ended windows: after a day, every key starts again.
    horloge.avancer(chrono::Duration::hours(25));
    assert!(a.comptes().purger_tentatives().await.unwrap() >= 5);
    assert_eq!(
        a.comptes()
            .compter(&plafonds("ip:1", "lieu:y"))
            .await
            .unwrap(),
        Ok(())
    );
}
