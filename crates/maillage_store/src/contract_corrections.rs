//! The contract cases of [`CorrectionsStore`](crate::CorrectionsStore), run by both
//! backends with `maillage_store::corrections_contract_tests!(fresh_store());`.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::corrections::{
    NewCampagneLieux, NewCorrection, NewLienLieu, ORIGINE_COORDINATION, ORIGINE_LIEU,
    REPONSE_CONFIRME, REPONSE_CORRIGE,
};
use crate::StoreError;

/// Expands to one `#[tokio::test]` per corrections contract case.
#[macro_export]
macro_rules! corrections_contract_tests {
    ($make:expr) => {
        $crate::corrections_contract_tests!(@cases $make;
            corrections_round_trip_and_undo_keeps_history,
            corrections_invalid_batch_writes_nothing,
            corrections_link_answered_once_with_its_corrections,
            corrections_link_token_hash_is_unique,
            corrections_campaign_lists_its_links,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $case() {
                $crate::contract::run_mediation_case(
                    $make,
                    $crate::contract_corrections::$case,
                ).await;
            }
        )*
    };
}

type S = Arc<dyn crate::Store>;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

fn correction(lieu: &str, champ: &str, valeur: &str, origine: &str, jour: u32) -> NewCorrection {
    NewCorrection {
        lieu_id: lieu.into(),
        champ: champ.into(),
        valeur: valeur.into(),
        origine: origine.into(),
        auteur_id: None,
        auteur: "Camille Coord".into(),
        code_insee: Some("31555".into()),
        created_at: t(jour, 10),
    }
}

fn lien(lieu: &str, hash: &str, campagne: Option<i64>) -> NewLienLieu {
    NewLienLieu {
        lieu_id: lieu.into(),
        lieu_nom: format!("Lieu {lieu}"),
        code_insee: Some("31555".into()),
        campagne_id: campagne,
        jeton_hash: hash.into(),
        courriel: None,
        created_at: t(1, 9),
        expire_at: t(1, 9) + Duration::days(60),
    }
}

pub async fn corrections_round_trip_and_undo_keeps_history(s: S) {
    let ids = s
        .add_corrections(vec![
            correction(
                "lieu-a",
                "telephone",
                "05 61 00 00 00",
                ORIGINE_COORDINATION,
                2,
            ),
            correction("lieu-a", "horaires", "Mo-Fr 09:00-12:00", ORIGINE_LIEU, 3),
            correction("lieu-b", "nom", "Autre", ORIGINE_COORDINATION, 3),
        ])
        .await
        .expect("add");
    assert_eq!(ids.len(), 3);
    assert!(ids[0] < ids[1] && ids[1] < ids[2]);
    let v0 = s.version_corrections().await.expect("version");
    let a = s.corrections_du_lieu("lieu-a").await.expect("read");
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].champ, "telephone");
    assert_eq!(a[0].valeur, "05 61 00 00 00");
    assert_eq!(a[0].created_at, t(2, 10));
    assert_eq!(a[1].origine, ORIGINE_LIEU);
    assert!(a[0].annulee_at.is_none());

    assert!(s
        .annuler_correction(ids[0], "Camille Coord", t(4, 8))
        .await
        .expect("undo"));
    // Undoing twice, or an unknown id, changes nothing.
    assert!(!s
        .annuler_correction(ids[0], "x", t(5, 8))
        .await
        .expect("undo"));
    assert!(!s
        .annuler_correction(9_999, "x", t(5, 8))
        .await
        .expect("undo"));
    let v1 = s.version_corrections().await.expect("version");
    assert!(v1 > v0, "undoing moves the version: {v0} → {v1}");
    let undone = s.correction(ids[0]).await.expect("read").expect("kept");
    assert_eq!(undone.annulee_at, Some(t(4, 8)));
    assert_eq!(undone.annulee_par.as_deref(), Some("Camille Coord"));
    assert_eq!(
        s.corrections_du_lieu("lieu-a").await.expect("read").len(),
        2
    );
    let actives = s.corrections_actives().await.expect("read");
    assert_eq!(
        actives.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[1], ids[2]]
    );
}

pub async fn corrections_invalid_batch_writes_nothing(s: S) {
    let err = s
        .add_corrections(vec![
            correction("lieu-a", "telephone", "05", ORIGINE_COORDINATION, 2),
            correction("lieu-a", "nom", "x", "inconnue", 2),
        ])
        .await
        .expect_err("unknown origin");
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(s
        .corrections_du_lieu("lieu-a")
        .await
        .expect("read")
        .is_empty());
    assert_eq!(s.version_corrections().await.expect("version"), 0);
}

pub async fn corrections_link_answered_once_with_its_corrections(s: S) {
    let ids = s
        .add_liens_lieux(vec![lien("lieu-a", "h1", None), lien("lieu-b", "h2", None)])
        .await
        .expect("links");
    let l = s
        .lien_lieu_par_hash("h1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(l.id, ids[0]);
    assert_eq!(l.expire_at, t(1, 9) + Duration::days(60));
    assert!(l.ouvert_at.is_none() && l.repondu_at.is_none());
    assert!(s.lien_lieu_par_hash("nope").await.expect("read").is_none());

    s.ouvrir_lien_lieu(l.id, t(2, 9)).await.expect("open");
    s.ouvrir_lien_lieu(l.id, t(3, 9)).await.expect("open again");
    let l = s
        .lien_lieu_par_hash("h1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(l.ouvert_at, Some(t(2, 9)), "the first opening is kept");

    let c = correction("lieu-a", "telephone", "05 61 00 00 01", ORIGINE_LIEU, 3);
    assert!(s
        .repondre_lien_lieu(l.id, REPONSE_CORRIGE, t(3, 10), vec![c.clone()])
        .await
        .expect("answer"));
    // A second answer writes nothing, not even its corrections.
    assert!(!s
        .repondre_lien_lieu(l.id, REPONSE_CONFIRME, t(4, 10), vec![c])
        .await
        .expect("answer again"));
    let l = s
        .lien_lieu_par_hash("h1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(l.repondu_at, Some(t(3, 10)));
    assert_eq!(l.reponse.as_deref(), Some(REPONSE_CORRIGE));
    let cs = s.corrections_du_lieu("lieu-a").await.expect("read");
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].origine, ORIGINE_LIEU);

    // An unknown answer is refused before anything is written.
    let err = s
        .repondre_lien_lieu(ids[1], "peut-etre", t(3, 10), Vec::new())
        .await
        .expect_err("unknown answer");
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Answering records the opening too.
    assert!(s
        .repondre_lien_lieu(ids[1], REPONSE_CONFIRME, t(5, 10), Vec::new())
        .await
        .expect("confirm"));
    let b = s.liens_du_lieu("lieu-b").await.expect("read");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].ouvert_at, Some(t(5, 10)));
}

pub async fn corrections_link_token_hash_is_unique(s: S) {
    s.add_liens_lieux(vec![lien("lieu-a", "h1", None)])
        .await
        .expect("first");
    let err = s
        .add_liens_lieux(vec![lien("lieu-b", "h0", None), lien("lieu-b", "h1", None)])
        .await
        .expect_err("same hash");
    assert!(
        matches!(err, StoreError::Conflict(_) | StoreError::Database(_)),
        "{err:?}"
    );
    assert!(
        s.liens_du_lieu("lieu-b").await.expect("read").is_empty(),
        "the batch is written whole or not at all"
    );
}

pub async fn corrections_campaign_lists_its_links(s: S) {
    let c1 = s
        .add_campagne_lieux(NewCampagneLieux {
            nom: "Printemps".into(),
            territoire: "dep:31".into(),
            compte_id: None,
            cree_par: "Camille Coord".into(),
            created_at: t(1, 8),
        })
        .await
        .expect("campaign");
    let c2 = s
        .add_campagne_lieux(NewCampagneLieux {
            nom: "Automne".into(),
            territoire: "commune:31555".into(),
            compte_id: None,
            cree_par: "Camille Coord".into(),
            created_at: t(2, 8),
        })
        .await
        .expect("campaign");
    s.add_liens_lieux(vec![
        lien("lieu-a", "h1", Some(c1)),
        lien("lieu-b", "h2", Some(c1)),
        lien("lieu-c", "h3", Some(c2)),
        lien("lieu-d", "h4", None),
    ])
    .await
    .expect("links");
    let toutes = s.campagnes_lieux().await.expect("campaigns");
    assert_eq!(
        toutes.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![c2, c1]
    );
    let un = s.campagne_lieux(c1).await.expect("read").expect("found");
    assert_eq!(un.territoire, "dep:31");
    assert!(s.campagne_lieux(9_999).await.expect("read").is_none());
    let liens = s.liens_de_campagne(c1).await.expect("links");
    assert_eq!(
        liens.iter().map(|l| l.lieu_id.as_str()).collect::<Vec<_>>(),
        vec!["lieu-a", "lieu-b"]
    );
}
