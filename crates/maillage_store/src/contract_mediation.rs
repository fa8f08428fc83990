//! The contract cases of [`MediationStore`], run by both backends with
//! `maillage_store::mediation_contract_tests!(fresh_store());` (same pattern as
//! `contract_tests!`: one `#[tokio::test]` per case, each on a fresh store).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::comptes::NewCompte;
use crate::mediation::{
    counter_totals, ActiviteWrite, ConsultationRow, NewBeneficiaire, StatFiltre,
};
use crate::StoreError;

/// Expands to one `#[tokio::test]` per Médiation contract case.
#[macro_export]
macro_rules! mediation_contract_tests {
    ($make:expr) => {
        $crate::mediation_contract_tests!(@cases $make;
            mediation_activity_rollups_follow_create_update_delete,
            mediation_failed_batch_writes_nothing,
            mediation_mixed_batch_keeps_input_order,
            mediation_stats_filters,
            mediation_beneficiaries_merge_and_purge,
            mediation_frequent_durations,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $case() {
                $crate::contract::run_mediation_case(
                    $make,
                    $crate::contract_mediation::$case,
                ).await;
            }
        )*
    };
}

type S = Arc<dyn crate::Store>;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn counters(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
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

async fn beneficiaire(s: &S, mediateur: i64, cle: &str) -> i64 {
    s.create_beneficiaire(NewBeneficiaire {
        mediateur_id: mediateur,
        data: format!(r#"{{"prenom":"{cle}"}}"#),
        cle_doublon: cle.into(),
        partage_equipe: false,
        consentement_at: None,
        created_at: t(1, 9),
    })
    .await
    .expect("create beneficiary")
}

fn activite(mediateur: i64, commune: &str, date: (i32, u32, u32), c: &[i64]) -> ActiviteWrite {
    ActiviteWrite {
        id: None,
        mediateur_id: mediateur,
        structure_id: None,
        lieu_activite_id: None,
        commune: commune.into(),
        date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("date"),
        type_activite: "individuel".into(),
        duree: c.get(2).copied().unwrap_or(30) as i32,
        data: "{}".into(),
        compteurs: counters(c),
        beneficiaires: vec![],
        auteur_id: mediateur,
        at: t(20, 10),
    }
}

fn tout(mois_debut: i32, mois_fin: i32) -> StatFiltre {
    StatFiltre {
        mois_debut,
        mois_fin,
        ..StatFiltre::default()
    }
}

async fn totals(s: &S, f: &StatFiltre) -> (i64, i64, i64) {
    let rows = s.stats(f).await.expect("stats");
    let mut sum = (0, 0, 0);
    for r in &rows {
        let (a, b, c) = counter_totals(&r.compteurs);
        assert_eq!((a, b, c), (r.activites, r.accompagnements, r.minutes));
        sum = (sum.0 + a, sum.1 + b, sum.2 + c);
    }
    sum
}

pub async fn mediation_activity_rollups_follow_create_update_delete(s: S) {
    let m = compte(&s, "m@exemple.fr", "mediateur").await;
    let b = beneficiaire(&s, m, "a").await;
    let mut w = activite(m, "31555", (2026, 10, 5), &[1, 1, 45, 7]);
    w.beneficiaires = vec![b];
    let ids = s
        .save_activites(vec![
            w.clone(),
            activite(m, "31555", (2026, 11, 2), &[1, 8, 90]),
        ])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(totals(&s, &tout(202601, 202612)).await, (2, 9, 135));
    assert_eq!(totals(&s, &tout(202611, 202611)).await, (1, 8, 90));
    assert_eq!(s.count_participations(b).await.unwrap(), 1);
    assert!(s.beneficiaire(b).await.unwrap().unwrap().derniere_activite >= t(20, 10));

    // Update: moves to another month and changes the counters.
    let mut u = activite(m, "31069", (2026, 9, 1), &[1, 1, 60]);
    u.id = Some(ids[0]);
    u.at = t(21, 10);
    s.save_activites(vec![u]).await.unwrap();
    let row = s.activite(ids[0]).await.unwrap().unwrap();
    assert_eq!((row.version, row.commune.as_str()), (2, "31069"));
    assert!(row.beneficiaires.is_empty());
    assert_eq!(s.count_participations(b).await.unwrap(), 0);
    assert_eq!(totals(&s, &tout(202610, 202610)).await, (0, 0, 0));
    assert_eq!(totals(&s, &tout(202601, 202612)).await, (2, 9, 150));
    let by_med = StatFiltre {
        mediateurs: Some(vec![m]),
        ..tout(202601, 202612)
    };
    assert_eq!(totals(&s, &by_med).await, (2, 9, 150));

    assert!(s.delete_activite(ids[1], m, t(22, 10)).await.unwrap());
    assert!(!s.delete_activite(ids[1], m, t(22, 11)).await.unwrap());
    assert_eq!(totals(&s, &tout(202601, 202612)).await, (1, 1, 60));
    assert_eq!(totals(&s, &by_med).await, (1, 1, 60));
    let hist = s.historique_activite(ids[1]).await.unwrap();
    assert_eq!(
        hist.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(),
        ["creation", "suppression"]
    );
    assert_eq!(hist[1].data, None);
    assert!(s
        .activite(ids[1])
        .await
        .unwrap()
        .unwrap()
        .deleted_at
        .is_some());
    let listed = s.activites_de(&[m], 10, 0).await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );

    // Replacing a deleted record is refused.
    let mut gone = activite(m, "31555", (2026, 11, 2), &[1, 1, 30]);
    gone.id = Some(ids[1]);
    assert_eq!(
        s.save_activites(vec![gone]).await,
        Err(StoreError::NotFound)
    );
}

pub async fn mediation_failed_batch_writes_nothing(s: S) {
    let m = compte(&s, "m@exemple.fr", "mediateur").await;
    let ok = activite(m, "31555", (2026, 11, 2), &[1, 1, 30]);
    let mut bad = activite(m, "31555", (2026, 11, 3), &[1, 1, 30]);
    bad.beneficiaires = vec![424_242]; // no such beneficiary: foreign key
    assert!(s.save_activites(vec![ok.clone(), bad]).await.is_err());
    let mut invalid = ok.clone();
    invalid.compteurs = vec![1, 2, 3];
    assert!(matches!(
        s.save_activites(vec![ok.clone(), invalid]).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(s.activites_de(&[m], 10, 0).await.unwrap().is_empty());
    assert_eq!(totals(&s, &tout(202601, 202612)).await, (0, 0, 0));
}

/// A batch mixing new records and a replacement, as an import or a generated history
/// writes them: ids in input order, one history entry each, participations and
/// beneficiaries' last activity, roll-up rows shared by several records of the batch.
pub async fn mediation_mixed_batch_keeps_input_order(s: S) {
    let m = compte(&s, "m@exemple.fr", "mediateur").await;
    let st1 = s.create_structure("S1", None, None).await.unwrap();
    let st2 = s.create_structure("S2", None, None).await.unwrap();
    let b1 = beneficiaire(&s, m, "a").await;
    let b2 = beneficiaire(&s, m, "b").await;
    let r0 = s
        .save_activites(vec![activite(m, "31555", (2026, 11, 2), &[1, 1, 30])])
        .await
        .unwrap()[0];

    let mut a = activite(m, "31555", (2026, 11, 3), &[1, 2, 40]);
    a.structure_id = Some(st1);
    a.beneficiaires = vec![b2, b1];
    a.data = r#"{"n":"a"}"#.into();
    a.at = t(21, 10);
    let mut u = activite(m, "31069", (2026, 10, 1), &[1, 1, 60]);
    u.id = Some(r0);
    u.data = r#"{"n":"u"}"#.into();
    let mut b = activite(m, "31555", (2026, 11, 4), &[1, 3, 50]);
    b.structure_id = Some(st2);
    b.beneficiaires = vec![b1];
    b.data = r#"{"n":"b"}"#.into();
    b.at = t(22, 10);
    let mut c = activite(m, "75056", (2026, 11, 5), &[1, 1, 10]);
    c.data = r#"{"n":"c"}"#.into();
    let ids = s.save_activites(vec![a, u, b, c]).await.unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[1], r0);
    assert!(r0 < ids[0] && ids[0] < ids[2] && ids[2] < ids[3], "{ids:?}");
    for (id, n, commune) in [
        (ids[0], "a", "31555"),
        (r0, "u", "31069"),
        (ids[2], "b", "31555"),
        (ids[3], "c", "75056"),
    ] {
        let row = s.activite(id).await.unwrap().unwrap();
        assert_eq!(row.data, format!(r#"{{"n":"{n}"}}"#));
        assert_eq!(row.commune, commune);
    }
    let first = s.activite(ids[0]).await.unwrap().unwrap();
    assert_eq!(first.structure_id, Some(st1));
    assert_eq!(first.beneficiaires, vec![b1, b2]);
    assert_eq!(first.version, 1);
    assert_eq!(s.activite(r0).await.unwrap().unwrap().version, 2);
    for (id, actions) in [
        (ids[0], vec!["creation"]),
        (r0, vec!["creation", "modification"]),
        (ids[3], vec!["creation"]),
    ] {
        let hist = s.historique_activite(id).await.unwrap();
        assert_eq!(
            hist.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(),
            actions
        );
        assert!(hist.iter().all(|h| h.auteur_id == m));
    }
    assert_eq!(s.count_participations(b1).await.unwrap(), 2);
    assert_eq!(s.count_participations(b2).await.unwrap(), 1);
    assert_eq!(
        s.beneficiaire(b1).await.unwrap().unwrap().derniere_activite,
        t(22, 10)
    );
    assert_eq!(
        s.beneficiaire(b2).await.unwrap().unwrap().derniere_activite,
        t(21, 10)
    );
    assert_eq!(totals(&s, &tout(202611, 202611)).await, (3, 6, 100));
    assert_eq!(totals(&s, &tout(202610, 202610)).await, (1, 1, 60));
    // Two records of the batch, of two structures, share one per-mediator row.
    let lignes: Vec<_> = s
        .stats(&StatFiltre {
            mediateurs: Some(vec![m]),
            communes: Some(vec!["31555".into()]),
            ..tout(202611, 202611)
        })
        .await
        .unwrap();
    assert_eq!(lignes.len(), 1, "{lignes:?}");
    assert_eq!(
        (
            lignes[0].activites,
            lignes[0].accompagnements,
            lignes[0].minutes
        ),
        (2, 5, 90)
    );

    // A beneficiary twice in one record: a conflict, and nothing of the batch is written.
    let mut twice = activite(m, "31555", (2026, 11, 6), &[1, 2, 20]);
    twice.beneficiaires = vec![b2, b2];
    let mut again = activite(m, "31555", (2026, 11, 6), &[1, 1, 20]);
    again.id = Some(r0);
    assert!(matches!(
        s.save_activites(vec![
            activite(m, "31555", (2026, 11, 6), &[1, 1, 5]),
            again,
            twice
        ])
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(totals(&s, &tout(202611, 202611)).await, (3, 6, 100));
    assert_eq!(s.activites_de(&[m], 10, 0).await.unwrap().len(), 4);
    assert_eq!(s.activite(r0).await.unwrap().unwrap().version, 2);
    assert_eq!(s.count_participations(b2).await.unwrap(), 1);
}

pub async fn mediation_stats_filters(s: S) {
    let m1 = compte(&s, "m1@exemple.fr", "mediateur").await;
    let m2 = compte(&s, "m2@exemple.fr", "mediateur").await;
    let st = s.create_structure("S", None, None).await.unwrap();
    let l = s
        .create_lieu_activite(st, "Lieu", None, "31555")
        .await
        .unwrap();
    let mut at_place = activite(m1, "31555", (2026, 11, 2), &[1, 1, 30]);
    at_place.lieu_activite_id = Some(l);
    at_place.structure_id = Some(st);
    s.save_activites(vec![
        at_place,
        activite(m1, "31069", (2026, 11, 3), &[1, 2, 30]),
        activite(m2, "75056", (2026, 11, 4), &[1, 4, 30]),
    ])
    .await
    .unwrap();
    let f = |mediateurs: Option<Vec<i64>>, lieux: Option<Vec<i64>>, communes: Option<Vec<&str>>| {
        StatFiltre {
            mediateurs,
            lieux,
            communes: communes.map(|c| c.into_iter().map(String::from).collect()),
            mois_debut: 202611,
            mois_fin: 202611,
        }
    };
    assert_eq!(totals(&s, &f(None, None, None)).await.1, 7);
    assert_eq!(
        totals(&s, &f(None, None, Some(vec!["31555", "31069"])))
            .await
            .1,
        3
    );
    assert_eq!(totals(&s, &f(Some(vec![m2]), None, None)).await.1, 4);
    assert_eq!(totals(&s, &f(None, Some(vec![l]), None)).await.1, 1);
    assert_eq!(
        totals(&s, &f(Some(vec![m1]), None, Some(vec!["31069"])))
            .await
            .1,
        2
    );
    assert_eq!(totals(&s, &f(Some(vec![]), None, None)).await.1, 0);
    let rows = s.stats(&f(Some(vec![m1]), None, None)).await.unwrap();
    assert!(rows.iter().any(|r| r.lieu_activite_id == Some(l)));
    assert!(rows.iter().any(|r| r.lieu_activite_id.is_none()));
}

pub async fn mediation_beneficiaries_merge_and_purge(s: S) {
    let m = compte(&s, "m@exemple.fr", "mediateur").await;
    let b1 = beneficiaire(&s, m, "x").await;
    let b2 = beneficiaire(&s, m, "x").await;
    let b3 = beneficiaire(&s, m, "y").await;
    let mut w = activite(m, "31555", (2026, 11, 2), &[1, 2, 30]);
    w.type_activite = "collectif".into();
    w.beneficiaires = vec![b1, b2];
    let mut w2 = activite(m, "31555", (2026, 11, 3), &[1, 1, 30]);
    w2.beneficiaires = vec![b2];
    // b2's latest activity is a day after b1's: the merge keeps the later of the two.
    w2.at = w.at + chrono::Duration::days(1);
    let plus_tard = w2.at;
    s.save_activites(vec![w, w2]).await.unwrap();
    assert!(s.beneficiaire(b1).await.unwrap().unwrap().derniere_activite < plus_tard);
    s.add_consultation(&ConsultationRow {
        beneficiaire_id: b1,
        compte_id: m,
        action: "consultation".into(),
        at: t(21, 9),
    })
    .await
    .unwrap();
    assert_eq!(s.consultations(b1).await.unwrap().len(), 1);

    assert!(matches!(
        s.merge_beneficiaires(b1, b1).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        s.merge_beneficiaires(b1, 777_777).await,
        Err(StoreError::NotFound)
    );
    s.merge_beneficiaires(b1, b2).await.unwrap();
    assert_eq!(s.count_participations(b1).await.unwrap(), 2);
    assert_eq!(s.count_participations(b2).await.unwrap(), 0);
    let merged = s.beneficiaire(b2).await.unwrap().unwrap();
    assert_eq!((merged.fusionne_dans, merged.data), (Some(b1), None));
    assert_eq!(
        s.beneficiaire(b1).await.unwrap().unwrap().derniere_activite,
        plus_tard
    );
    let mine: Vec<i64> = s
        .beneficiaires_de(&[m])
        .await
        .unwrap()
        .iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(mine, vec![b1, b3]);

    // b3 never took part in anything since 1 Nov; b1 did on 20 Nov.
    assert_eq!(s.purge_beneficiaires(t(10, 0), t(23, 3)).await.unwrap(), 1);
    let purged = s.beneficiaire(b3).await.unwrap().unwrap();
    assert_eq!((purged.data, purged.cle_doublon), (None, None));
    assert_eq!(purged.purge_at, Some(t(23, 3)));
    assert!(s.beneficiaire(b1).await.unwrap().unwrap().data.is_some());
    assert_eq!(s.purge_beneficiaires(t(10, 0), t(23, 4)).await.unwrap(), 0);
    // The statistics stay.
    assert_eq!(totals(&s, &tout(202611, 202611)).await, (2, 3, 60));
    let later = t(23, 4) + Duration::days(800);
    assert_eq!(s.purge_beneficiaires(later, later).await.unwrap(), 1);
    assert_eq!(totals(&s, &tout(202611, 202611)).await, (2, 3, 60));
}

pub async fn mediation_frequent_durations(s: S) {
    let m = compte(&s, "m@exemple.fr", "mediateur").await;
    let mut batch = Vec::new();
    for (duree, n) in [(40, 3), (25, 5), (60, 1)] {
        for _ in 0..n {
            let mut w = activite(m, "31555", (2026, 11, 2), &[1, 1, duree]);
            w.duree = duree as i32;
            batch.push(w);
        }
    }
    s.save_activites(batch).await.unwrap();
    assert_eq!(
        s.durees_frequentes(m, 2, 10).await.unwrap(),
        vec![(25, 5), (40, 3)]
    );
    assert_eq!(s.durees_frequentes(m, 1, 1).await.unwrap(), vec![(25, 5)]);
}
