//! The contract cases of [`ComptesStore`] (the accounts kernel's storage), run by both
//! backends with `maillage_store::comptes_contract_tests!(fresh_store());` (same pattern as
//! `contract_tests!`: one `#[tokio::test]` per case, each on a fresh store).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::comptes::{
    AffectationRow, ComptesStore, InvitationRow, IssueReservation, Limite, NewCompte, NewCourriel,
    RattachementRow, Reservation, SessionRow,
};
use crate::StoreError;

/// Expands to one `#[tokio::test]` per accounts contract case.
#[macro_export]
macro_rules! comptes_contract_tests {
    ($make:expr) => {
        $crate::comptes_contract_tests!(@cases $make;
            comptes_unique_email_and_update,
            comptes_dormant_accounts_deactivated,
            comptes_sessions_put_get_delete,
            comptes_login_failures_counted_in_window,
            faille_comptes_login_attempts_reserved_atomically,
            comptes_login_attempt_rules_release_and_purge,
            comptes_invitation_used_once,
            comptes_outbox_newest_first,
            comptes_structures_places_teams,
            comptes_memberships_with_dates,
            comptes_personnes_keys_and_spaces,
            deux_noeuds_outbox_claimed_once,
            deux_noeuds_periodic_job_claimed_once_per_period,
            deux_noeuds_counters_admit_exactly_the_limit,
            deux_noeuds_counters_in_groups_as_one_after_the_other,
            deux_noeuds_instance_secret_drawn_once,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $case() {
                $crate::contract::run_comptes_case(
                    $make,
                    $crate::contract_comptes::$case,
                ).await;
            }
        )*
    };
}

type S = Arc<dyn ComptesStore>;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

async fn compte(s: &S, email: &str, role: &str) -> i64 {
    s.create_compte(NewCompte {
        email: email.into(),
        nom: format!("Nom {email}"),
        role: role.into(),
        structure_id: None,
        password_hash: "$argon2id$x".into(),
        created_at: t(1, 9),
    })
    .await
    .expect("create account")
}

pub async fn comptes_unique_email_and_update(s: S) {
    let id = compte(&s, "a@exemple.fr", "mediateur").await;
    let again = s
        .create_compte(NewCompte {
            email: "a@exemple.fr".into(),
            nom: "Autre".into(),
            role: "mediateur".into(),
            structure_id: None,
            password_hash: "h".into(),
            created_at: t(1, 9),
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let mut c = s.compte(id).await.unwrap().expect("account");
    assert!(c.actif && !c.totp_actif && c.totp_secret.is_none());
    c.totp_secret = Some("JBSWY3DPEHPK3PXP".into());
    c.totp_actif = true;
    c.totp_dernier_pas = Some(59_000_123);
    c.codes_secours = r#"["h1","h2"]"#.into();
    c.nom = "Élodie Dupré".into();
    s.update_compte(&c).await.unwrap();
    let back = s.compte_par_email("a@exemple.fr").await.unwrap().unwrap();
    assert_eq!(back, c);
    assert_eq!(s.compte_par_email("b@exemple.fr").await.unwrap(), None);
    c.id = 9_999;
    assert_eq!(s.update_compte(&c).await, Err(StoreError::NotFound));
    assert_eq!(s.comptes().await.unwrap().len(), 1);
}

pub async fn comptes_dormant_accounts_deactivated(s: S) {
    let old = compte(&s, "old@exemple.fr", "mediateur").await;
    let fresh = compte(&s, "fresh@exemple.fr", "mediateur").await;
    let mut f = s.compte(fresh).await.unwrap().unwrap();
    f.derniere_activite = t(20, 9);
    s.update_compte(&f).await.unwrap();
    assert_eq!(s.deactivate_dormant(t(10, 0)).await.unwrap(), 1);
    assert!(!s.compte(old).await.unwrap().unwrap().actif);
    assert!(s.compte(fresh).await.unwrap().unwrap().actif);
    assert_eq!(s.deactivate_dormant(t(10, 0)).await.unwrap(), 0);
}

pub async fn comptes_sessions_put_get_delete(s: S) {
    let id = compte(&s, "a@exemple.fr", "mediateur").await;
    let mut session = SessionRow {
        token_hash: "h1".into(),
        compte_id: id,
        created_at: t(2, 9),
        last_seen_at: t(2, 9),
        mfa_at: None,
        csrf: "c1".into(),
        expires_at: t(2, 21),
    };
    s.put_session(&session).await.unwrap();
    assert_eq!(s.session("h1").await.unwrap(), Some(session.clone()));
    session.mfa_at = Some(t(2, 10));
    session.last_seen_at = t(2, 10);
    s.put_session(&session).await.unwrap();
    assert_eq!(s.session("h1").await.unwrap(), Some(session.clone()));
    let mut other = session.clone();
    other.token_hash = "h2".into();
    s.put_session(&other).await.unwrap();
    s.delete_session("h1").await.unwrap();
    assert_eq!(s.session("h1").await.unwrap(), None);
    assert_eq!(s.delete_sessions_of(id).await.unwrap(), 1);
    assert_eq!(s.session("h2").await.unwrap(), None);
}

pub async fn comptes_login_failures_counted_in_window(s: S) {
    for h in [8, 9, 10] {
        s.add_login_failure("email:a@exemple.fr", t(3, h))
            .await
            .unwrap();
    }
    s.add_login_failure("ip:10.0.0.1", t(3, 10)).await.unwrap();
    assert_eq!(
        s.count_login_failures("email:a@exemple.fr", t(3, 9))
            .await
            .unwrap(),
        2
    );
    s.clear_login_failures("email:a@exemple.fr").await.unwrap();
    assert_eq!(
        s.count_login_failures("email:a@exemple.fr", t(1, 0))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.count_login_failures("ip:10.0.0.1", t(1, 0))
            .await
            .unwrap(),
        1
    );
}

fn plafond(cle: &str, depuis: DateTime<Utc>, max: i64) -> Reservation {
    Reservation {
        cle: cle.into(),
        limites: vec![Limite::AuPlus { depuis, max }],
    }
}

fn acceptee(issue: &IssueReservation) -> bool {
    matches!(issue, IssueReservation::Acceptee(_))
}

/// 40 concurrent reservations against a limit of 5 (and a second key with room): exactly 5
/// get in, and exactly 5 rows are written under each key.
pub async fn faille_comptes_login_attempts_reserved_atomically(s: S) {
    let taches: Vec<_> = (0..40)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                let r = [
                    plafond("email:a@exemple.fr|ip:1.2.3.4", t(3, 0), 5),
                    plafond("ip:1.2.3.4", t(3, 0), 100),
                ];
                s.reserve_login_attempts(&r, t(3, 10) + Duration::milliseconds(i))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut admises = 0;
    for tache in taches {
        let issue = tache.await.unwrap();
        match &issue {
            IssueReservation::Acceptee(r) => {
                admises += 1;
                assert_eq!(r.len(), 2);
                assert!((1..=5).contains(&r[0].nombre), "{r:?}");
            }
            IssueReservation::Refusee(i) => assert_eq!(*i, 0),
        }
    }
    assert_eq!(admises, 5, "concurrent attempts overshot the limit");
    for cle in ["email:a@exemple.fr|ip:1.2.3.4", "ip:1.2.3.4"] {
        assert_eq!(
            s.count_login_failures(cle, t(1, 0)).await.unwrap(),
            5,
            "{cle}"
        );
    }
}

pub async fn comptes_login_attempt_rules_release_and_purge(s: S) {
    let at = t(3, 10);
    // AuPlus: counted in its window only.
    s.add_login_failure("k", t(3, 8)).await.unwrap();
    s.add_login_failure("k", t(3, 9)).await.unwrap();
    assert!(!acceptee(
        &s.reserve_login_attempts(&[plafond("k", t(3, 7), 2)], at)
            .await
            .unwrap()
    ));
    let IssueReservation::Acceptee(r) = s
        .reserve_login_attempts(&[plafond("k", t(3, 9), 2)], at)
        .await
        .unwrap()
    else {
        panic!("refused within the limit");
    };
    assert_eq!(r[0].nombre, 2);
    // All or nothing: the second key refuses, the first gets no row.
    assert_eq!(
        s.reserve_login_attempts(
            &[plafond("libre", t(3, 0), 9), plafond("k", t(3, 0), 1)],
            at
        )
        .await
        .unwrap(),
        IssueReservation::Refusee(1)
    );
    assert_eq!(s.count_login_failures("libre", t(1, 0)).await.unwrap(), 0);
    // Release: the reserved row goes, the others stay.
    s.release_login_attempts(&[r[0].id]).await.unwrap();
    assert_eq!(s.count_login_failures("k", t(1, 0)).await.unwrap(), 2);
    s.release_login_attempts(&[]).await.unwrap();
    // Ralentir: below the threshold, free; above it, one per spacing.
    let ralentir = |at: DateTime<Utc>| Reservation {
        cle: "compte".into(),
        limites: vec![Limite::Ralentir {
            depuis: at - Duration::minutes(15),
            seuil: 3,
            espacement: at - Duration::seconds(30),
        }],
    };
    for _ in 0..3 {
        assert!(acceptee(
            &s.reserve_login_attempts(&[ralentir(at)], at).await.unwrap()
        ));
    }
    assert!(!acceptee(
        &s.reserve_login_attempts(&[ralentir(at)], at).await.unwrap()
    ));
    let plus_tard = at + Duration::seconds(31);
    assert!(acceptee(
        &s.reserve_login_attempts(&[ralentir(plus_tard)], plus_tard)
            .await
            .unwrap()
    ));
    assert!(!acceptee(
        &s.reserve_login_attempts(&[ralentir(plus_tard)], plus_tard)
            .await
            .unwrap()
    ));
    // Known addresses: remembered, refreshed, forgotten when old.
    assert!(!s
        .known_address("email:a", "1.2.3.4", t(1, 0))
        .await
        .unwrap());
    s.remember_address("email:a", "1.2.3.4", t(2, 0))
        .await
        .unwrap();
    s.remember_address("email:a", "5.6.7.8", t(1, 0))
        .await
        .unwrap();
    s.remember_address("email:a", "1.2.3.4", t(3, 0))
        .await
        .unwrap();
    assert!(s
        .known_address("email:a", "1.2.3.4", t(3, 0))
        .await
        .unwrap());
    assert!(!s
        .known_address("email:a", "1.2.3.4", t(4, 0))
        .await
        .unwrap());
    assert!(!s
        .known_address("email:b", "1.2.3.4", t(1, 0))
        .await
        .unwrap());
    // Purge: failures before the first instant, addresses before the second.
    let n = s.purge_login_attempts(t(3, 9), t(2, 0)).await.unwrap();
    assert_eq!(
        n, 2,
        "the failure of 8:00 and the address last seen on day 1"
    );
    assert_eq!(s.count_login_failures("k", t(1, 0)).await.unwrap(), 1);
    assert!(!s
        .known_address("email:a", "5.6.7.8", t(1, 0))
        .await
        .unwrap());
    assert!(s
        .known_address("email:a", "1.2.3.4", t(1, 0))
        .await
        .unwrap());
}

pub async fn comptes_invitation_used_once(s: S) {
    let admin = compte(&s, "admin@exemple.fr", "administrateur").await;
    let inv = InvitationRow {
        token_hash: "tok".into(),
        email: "new@exemple.fr".into(),
        role: "mediateur".into(),
        structure_id: None,
        coordinateur_id: Some(admin),
        invite_par: admin,
        created_at: t(4, 9),
        expires_at: t(11, 9),
        used_at: None,
    };
    s.create_invitation(&inv).await.unwrap();
    assert_eq!(s.invitation("tok").await.unwrap(), Some(inv));
    assert!(s.use_invitation("tok", t(5, 9)).await.unwrap());
    assert!(!s.use_invitation("tok", t(5, 10)).await.unwrap());
    assert!(!s.use_invitation("absent", t(5, 10)).await.unwrap());
    assert_eq!(
        s.invitation("tok").await.unwrap().unwrap().used_at,
        Some(t(5, 9))
    );
}

pub async fn comptes_outbox_newest_first(s: S) {
    for i in 0..3 {
        s.add_courriel(NewCourriel {
            destinataire: format!("{i}@exemple.fr"),
            sujet: "Invitation à Maillage".into(),
            corps: "Bonjour,\nvoici votre lien.".into(),
        })
        .await
        .unwrap();
    }
    let all = s.courriels(10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].destinataire, "2@exemple.fr");
    assert!(all.iter().all(|c| c.envoye_at.is_none()));
    s.mark_courriel_envoye(all[0].id, t(6, 9)).await.unwrap();
    assert_eq!(s.courriels(1).await.unwrap()[0].envoye_at, Some(t(6, 9)));
}

pub async fn comptes_structures_places_teams(s: S) {
    let st = s
        .create_structure(
            "Médiathèque de Muret",
            Some("21310395400014"),
            Some("31395"),
        )
        .await
        .unwrap();
    let other = s.create_structure("Autre", None, None).await.unwrap();
    let l1 = s
        .create_lieu_activite(st, "Médiathèque", Some("lieu-1"), "31395")
        .await
        .unwrap();
    s.create_lieu_activite(other, "Ailleurs", None, "31555")
        .await
        .unwrap();
    assert_eq!(s.structures().await.unwrap().len(), 2);
    let lieux = s.lieux_activite(Some(st)).await.unwrap();
    assert_eq!(lieux.len(), 1);
    assert_eq!(lieux[0].lieu_id.as_deref(), Some("lieu-1"));
    assert_eq!(s.lieux_activite(None).await.unwrap().len(), 2);
    let m = compte(&s, "m@exemple.fr", "mediateur").await;
    let c = compte(&s, "c@exemple.fr", "coordinateur").await;
    let a = AffectationRow {
        compte_id: m,
        lieu_activite_id: l1,
        debut: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        fin: None,
    };
    s.add_affectation(&a).await.unwrap();
    assert_eq!(s.affectations(m).await.unwrap(), vec![a]);
    s.add_equipe_membre(c, m).await.unwrap();
    s.add_equipe_membre(c, m).await.unwrap();
    assert_eq!(s.equipe(c).await.unwrap(), vec![m]);
    assert_eq!(s.coordinateurs_de(m).await.unwrap(), vec![c]);
    s.add_territoire_coordonne(c, "dep:31").await.unwrap();
    s.add_territoire_coordonne(c, "dep:31").await.unwrap();
    assert_eq!(
        s.territoires_coordonnes(c).await.unwrap(),
        vec!["dep:31".to_string()]
    );
}

/// Accounts belong to structures with dates: created into a structure (same transaction),
/// attached to another, one membership ended, an end before the start refused.
pub async fn comptes_memberships_with_dates(s: S) {
    let st_a = s
        .create_structure("A", None, None)
        .await
        .expect("structure");
    let st_b = s
        .create_structure("B", None, None)
        .await
        .expect("structure");
    let id = s
        .create_compte(NewCompte {
            email: "aidant@exemple.fr".into(),
            nom: "Aidant".into(),
            role: "mediateur".into(),
            structure_id: Some(st_a),
            password_hash: "$argon2id$x".into(),
            created_at: t(3, 23),
        })
        .await
        .expect("account");
    let jour = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
    assert_eq!(
        s.rattachements(id).await.unwrap(),
        vec![RattachementRow {
            compte_id: id,
            structure_id: st_a,
            debut: jour(3),
            fin: None
        }],
        "an account created into a structure belongs to it from its creation day"
    );
    let sans = compte(&s, "seul@exemple.fr", "mediateur").await;
    assert!(s.rattachements(sans).await.unwrap().is_empty());
    let b = RattachementRow {
        compte_id: id,
        structure_id: st_b,
        debut: jour(10),
        fin: None,
    };
    s.add_rattachement(&b).await.unwrap();
    s.add_rattachement(&b).await.unwrap();
    assert_eq!(s.rattachements(id).await.unwrap().len(), 2, "idempotent");
    assert_eq!(
        s.rattachements_de_structure(st_b).await.unwrap(),
        vec![b.clone()]
    );
    // Ending before the start touches nothing; ending after does.
    assert_eq!(s.fin_rattachement(id, st_b, jour(9)).await.unwrap(), 0);
    assert_eq!(s.fin_rattachement(id, st_b, jour(20)).await.unwrap(), 1);
    assert_eq!(
        s.fin_rattachement(id, st_b, jour(21)).await.unwrap(),
        0,
        "already ended"
    );
    let r = s.rattachements_de_structure(st_b).await.unwrap();
    assert_eq!(r[0].fin, Some(jour(20)));
    assert!(r[0].actif_le(jour(20)) && !r[0].actif_le(jour(21)) && !r[0].actif_le(jour(9)));
    let a = &s.rattachements_de_structure(st_a).await.unwrap()[0];
    assert!(a.actif_le(jour(30)) && a.fin.is_none());
    let erreur = s
        .add_rattachement(&RattachementRow {
            compte_id: id,
            structure_id: st_b,
            debut: jour(25),
            fin: Some(jour(24)),
        })
        .await;
    assert!(matches!(erreur, Err(StoreError::Invalid(_))), "{erreur:?}");
    assert_eq!(s.rattachements(id).await.unwrap().len(), 2);
}

/// The persons' keys (« Mon espace »): a public part found once, a new code replaces it,
/// sessions valid until their expiry, all ended at once, expired ones purged.
pub async fn comptes_personnes_keys_and_spaces(s: S) {
    let a = s.create_personne("ABCDE", "h1", t(1, 9)).await.unwrap();
    let b = s.create_personne("FGHJK", "h2", t(1, 9)).await.unwrap();
    assert_ne!(a, b);
    let taken = s.create_personne("ABCDE", "h3", t(1, 9)).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    // Several at once (a batch of registrations): ids in order; a taken public part gives
    // `None` for that key alone, the others are written.
    let lot = s
        .create_personnes(
            &[("LOTAA".into(), "l1".into()), ("LOTBB".into(), "l2".into())],
            t(1, 9),
        )
        .await
        .unwrap();
    assert_eq!(lot.len(), 2);
    assert!(lot.iter().all(Option::is_some), "{lot:?}");
    assert_eq!(
        s.personne(lot[1].unwrap())
            .await
            .unwrap()
            .map(|p| (p.cle, p.code_hash)),
        Some(("LOTBB".into(), "l2".into()))
    );
    let mi = s
        .create_personnes(
            &[
                ("LOTCC".into(), "l3".into()),
                ("ABCDE".into(), "l4".into()),
                ("LOTDD".into(), "l5".into()),
            ],
            t(1, 9),
        )
        .await
        .unwrap();
    assert!(
        mi[0].is_some() && mi[1].is_none() && mi[2].is_some(),
        "{mi:?}"
    );
    assert_eq!(
        s.personne_by_cle("LOTCC").await.unwrap().map(|p| p.id),
        mi[0]
    );
    assert_eq!(
        s.personne_by_cle("LOTDD")
            .await
            .unwrap()
            .map(|p| p.code_hash),
        Some("l5".into())
    );
    let p = s.personne_by_cle("ABCDE").await.unwrap().expect("found");
    assert_eq!(
        (p.id, p.code_hash.as_str(), p.created_at),
        (a, "h1", t(1, 9))
    );
    assert_eq!(
        s.personne(b).await.unwrap().map(|p| p.cle),
        Some("FGHJK".into())
    );
    assert!(s.personne_by_cle("ZZZZZ").await.unwrap().is_none());
    // A new code: the old public part finds nobody; a taken one is a conflict.
    s.set_personne_code(a, "MNPQR", "h4").await.unwrap();
    assert!(s.personne_by_cle("ABCDE").await.unwrap().is_none());
    assert_eq!(
        s.personne_by_cle("MNPQR")
            .await
            .unwrap()
            .map(|p| (p.id, p.code_hash)),
        Some((a, "h4".into()))
    );
    assert!(matches!(
        s.set_personne_code(b, "MNPQR", "h5").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.set_personne_code(999_999, "STVWX", "h").await,
        Err(StoreError::NotFound)
    ));
    // Sessions: valid until expiry, per person.
    s.put_personne_session("t1", a, t(2, 10)).await.unwrap();
    s.put_personne_session("t2", a, t(2, 12)).await.unwrap();
    s.put_personne_session("t3", b, t(2, 12)).await.unwrap();
    assert_eq!(s.personne_of_session("t1", t(2, 9)).await.unwrap(), Some(a));
    assert_eq!(s.personne_of_session("t1", t(2, 10)).await.unwrap(), None);
    assert_eq!(s.personne_of_session("t3", t(2, 9)).await.unwrap(), Some(b));
    assert_eq!(s.personne_of_session("nope", t(2, 9)).await.unwrap(), None);
    assert_eq!(s.purge_personne_sessions(t(2, 11)).await.unwrap(), 1);
    assert_eq!(s.delete_personne_sessions(a).await.unwrap(), 1);
    assert_eq!(s.personne_of_session("t2", t(2, 9)).await.unwrap(), None);
    assert_eq!(s.personne_of_session("t3", t(2, 9)).await.unwrap(), Some(b));
}

/// Several nodes claiming the outbox at once (16 concurrent claims of 5): every unsent e-mail
/// is claimed exactly once; a claimed one comes back only once its claim has expired, a
/// sent one never.
pub async fn deux_noeuds_outbox_claimed_once(s: S) {
    for i in 0..40 {
        s.add_courriel(NewCourriel {
            destinataire: format!("{i}@exemple.fr"),
            sujet: "Rappel".into(),
            corps: "Bonjour".into(),
        })
        .await
        .unwrap();
    }
    let maintenant = t(7, 9);
    let taches: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.reserver_courriels(maintenant, maintenant + Duration::minutes(10), 5)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for tache in taches {
        let lot = tache.await.unwrap();
        assert!(lot.len() <= 5);
        assert!(lot.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
        ids.extend(lot.into_iter().map(|c| c.id));
    }
    // A claim may come back short when a row it chose was claimed meanwhile: what is left
    // is claimed by one more round, as the next tick of a node would.
    let reste = s
        .reserver_courriels(maintenant, maintenant + Duration::minutes(10), 50)
        .await
        .unwrap();
    ids.extend(reste.into_iter().map(|c| c.id));
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "an e-mail was claimed by two nodes");
    assert_eq!(n, 40, "every e-mail claimed once");
    // All are held: nothing more to claim before the claims expire.
    assert!(s
        .reserver_courriels(
            maintenant + Duration::minutes(5),
            maintenant + Duration::minutes(15),
            50
        )
        .await
        .unwrap()
        .is_empty());
    s.mark_courriel_envoye(ids[0], maintenant).await.unwrap();
    let apres = s
        .reserver_courriels(
            maintenant + Duration::minutes(11),
            maintenant + Duration::minutes(21),
            50,
        )
        .await
        .unwrap();
    assert_eq!(
        apres.len(),
        39,
        "expired claims come back, the sent one does not"
    );
    assert!(apres.iter().all(|c| c.id != ids[0]));
}

/// Two nodes ticking at once claim a job's period once; the next period can be claimed only
/// from the time the winner set; jobs are independent.
pub async fn deux_noeuds_periodic_job_claimed_once_per_period(s: S) {
    let maintenant = t(8, 9);
    let prochaine = maintenant + Duration::minutes(54);
    let taches: Vec<_> = (0..12)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.reserver_tache("mandats", maintenant, prochaine)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut gagnants = 0;
    for tache in taches {
        gagnants += usize::from(tache.await.unwrap());
    }
    assert_eq!(gagnants, 1, "one node runs the period");
    assert!(!s
        .reserver_tache("mandats", maintenant + Duration::minutes(30), prochaine)
        .await
        .unwrap());
    assert!(s
        .reserver_tache("mediation", maintenant + Duration::minutes(30), prochaine)
        .await
        .unwrap());
    assert!(s
        .reserver_tache("mandats", prochaine, prochaine + Duration::minutes(54))
        .await
        .unwrap());
    assert!(!s
        .reserver_tache("mandats", prochaine, prochaine + Duration::minutes(54))
        .await
        .unwrap());
}

/// One request of one hit, alone in its group.
async fn un_coup(
    s: &S,
    cle: &str,
    maintenant_ms: i64,
    fenetre_ms: i64,
    max: i64,
) -> Result<(), (usize, i64)> {
    let coup = crate::comptes::Coup {
        cle: cle.into(),
        maintenant_ms,
        fenetre_ms,
        max,
    };
    let mut r = s.count_hits(&[vec![coup]]).await.unwrap();
    assert_eq!(r.len(), 1);
    r.remove(0)
}

pub async fn deux_noeuds_counters_admit_exactly_the_limit(s: S) {
    let t0: i64 = 1_800_000_000_000;
    let minute = 60_000;
    // 20 requests at once against a limit of 5: exactly 5 within it, on any node; the others
    // are told when the window (opened at the first hit) ends.
    let coups: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { un_coup(&s, "ip:1.2.3.4", t0, minute, 5).await })
        })
        .collect();
    let mut admis = 0;
    for c in coups {
        match c.await.unwrap() {
            Ok(()) => admis += 1,
            Err(refus) => assert_eq!(
                refus,
                (0, t0 + minute),
                "the window opened at the first hit"
            ),
        }
    }
    assert_eq!(admis, 5);
    // Over the limit it stays refused until the window ends; other keys are apart.
    assert_eq!(
        un_coup(&s, "ip:1.2.3.4", t0 + minute - 1, minute, 5).await,
        Err((0, t0 + minute))
    );
    assert_eq!(un_coup(&s, "ip:5.6.7.8", t0, minute, 5).await, Ok(()));
    // A new window opens at the first hit after the end: the limit again, then refused.
    for _ in 0..5 {
        assert_eq!(
            un_coup(&s, "ip:1.2.3.4", t0 + minute, minute, 5).await,
            Ok(())
        );
    }
    assert_eq!(
        un_coup(&s, "ip:1.2.3.4", t0 + minute + 1, minute, 5).await,
        Err((0, t0 + 2 * minute))
    );
    // The purge deletes the windows ended before the instant given (« ip:5.6.7.8 »), not
    // the one still open.
    assert_eq!(s.purge_counters(t0 + minute + 1).await.unwrap(), 1);
    assert_eq!(
        un_coup(&s, "ip:1.2.3.4", t0 + minute + 2, minute, 5).await,
        Err((0, t0 + 2 * minute))
    );
    // A purged key starts again: at a limit of 1, one hit passes, the next is refused.
    assert_eq!(
        un_coup(&s, "ip:5.6.7.8", t0 + minute + 2, minute, 1).await,
        Ok(())
    );
    assert_eq!(
        un_coup(&s, "ip:5.6.7.8", t0 + minute + 3, minute, 1).await,
        Err((0, t0 + 2 * minute + 2))
    );
}

pub async fn deux_noeuds_counters_in_groups_as_one_after_the_other(s: S) {
    use crate::comptes::Coup;
    let t0: i64 = 1_800_000_000_000;
    let minute = 60_000;
    let coup = move |cle: &str, max: i64| Coup {
        cle: cle.into(),
        maintenant_ms: t0,
        fenetre_ms: minute,
        max,
    };
    // One group: the second request on « a » (limit 1) is refused at its first limit; the
    // third passes « c » then is refused on « a »: its hit on « c » is taken back.
    let r = s
        .count_hits(&[
            vec![coup("a", 1), coup("b", 1)],
            vec![coup("a", 1)],
            vec![coup("c", 5), coup("a", 1)],
            vec![coup("b", 2)],
        ])
        .await
        .unwrap();
    assert_eq!(
        r,
        vec![Ok(()), Err((0, t0 + minute)), Err((1, t0 + minute)), Ok(())]
    );
    // « c » holds no hit (taken back): four more pass at a limit of 4, the fifth does not;
    // « b » holds two: one more passes at a limit of 3.
    for _ in 0..4 {
        assert_eq!(un_coup(&s, "c", t0, minute, 4).await, Ok(()));
    }
    assert_eq!(un_coup(&s, "c", t0, minute, 4).await, Err((0, t0 + minute)));
    assert_eq!(un_coup(&s, "b", t0, minute, 3).await, Ok(()));
    assert_eq!(un_coup(&s, "b", t0, minute, 3).await, Err((0, t0 + minute)));
    // Groups from many clients at once (two nodes): exactly the limit passes.
    let groupes: Vec<_> = (0..10)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                s.count_hits(&[vec![coup("d", 5)], vec![coup("d", 5)]])
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut admis = 0;
    for g in groupes {
        admis += g.await.unwrap().iter().filter(|r| r.is_ok()).count();
    }
    assert_eq!(admis, 5);
}

pub async fn deux_noeuds_instance_secret_drawn_once(s: S) {
    let essais: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.instance_secret("cle_formulaires", &format!("propose-{i}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut vus = Vec::new();
    for e in essais {
        vus.push(e.await.unwrap());
    }
    assert!(vus[0].starts_with("propose-"), "{vus:?}");
    assert!(
        vus.iter().all(|v| *v == vus[0]),
        "one value for all: {vus:?}"
    );
    assert_eq!(
        s.instance_secret("cle_formulaires", "autre").await.unwrap(),
        vus[0]
    );
    assert_eq!(s.instance_secret("autre_secret", "x").await.unwrap(), "x");
}
