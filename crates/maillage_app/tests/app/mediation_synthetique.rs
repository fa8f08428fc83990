//! The same synthetic history written through both backends gives the same roll-ups.
//!
//! PostgreSQL writes a batch's new records with one statement per table and sums the
//! roll-ups of a whole batch before writing them; SQLite writes record by record. The
//! dashboards read only the roll-ups, so they must come out identical, row for row.

use maillage_mediation::synthetique;
use maillage_store::mediation::{MediationStore, StatFiltre};
use maillage_store_postgres::testing::TestDatabase;
use maillage_store_sqlite::SqliteStore;

/// Every roll-up row, without the ids (which each backend allocates its own way).
async fn lignes(store: &dyn MediationStore, mediateurs: Option<Vec<i64>>) -> Vec<String> {
    let filtre = StatFiltre {
        mediateurs,
        mois_debut: 200001,
        mois_fin: 210012,
        ..StatFiltre::default()
    };
    let mut lignes: Vec<String> = store
        .stats(&filtre)
        .await
        .expect("stats")
        .into_iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {} {:?}",
                r.commune,
                r.mois,
                r.lieu_activite_id.is_some(),
                r.activites,
                r.accompagnements,
                r.minutes,
                r.compteurs
            )
        })
        .collect();
    lignes.sort();
    lignes
}

#[tokio::test]
async fn synthetic_history_same_rollups_on_sqlite_and_postgres() {
    let sqlite = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("SQLite");
    let db = TestDatabase::create().await;
    let pg = db.store().await;
    // More records than one batch, so that batches add to rows written by earlier ones.
    let n = synthetique::TAILLE_LOT + 4_000;
    let rs = synthetique::generer(&sqlite, n, 11, |_| {})
        .await
        .expect("SQLite generation");
    let rp = synthetique::generer(&pg, n, 11, |_| {})
        .await
        .expect("PostgreSQL generation");
    assert_eq!(rs.participants, rp.participants);
    assert_eq!(rs.collectifs, rp.collectifs);

    let communes_s = lignes(&sqlite, None).await;
    let communes_p = lignes(&pg, None).await;
    assert!(communes_s.len() > 100, "{}", communes_s.len());
    assert_eq!(communes_s, communes_p);

    let equipe_s = lignes(&sqlite, Some(rs.equipe.clone())).await;
    let equipe_p = lignes(&pg, Some(rp.equipe.clone())).await;
    assert!(!equipe_s.is_empty());
    assert_eq!(equipe_s, equipe_p);

    // The records themselves: same number for the team, listed newest first alike.
    let lus_s = sqlite
        .activites_de(&rs.equipe, 1_000, 0)
        .await
        .expect("list");
    let lus_p = pg.activites_de(&rp.equipe, 1_000, 0).await.expect("list");
    assert_eq!(lus_s.len(), lus_p.len());
    for (a, b) in lus_s.iter().zip(&lus_p) {
        assert_eq!(
            (a.date, &a.commune, &a.compteurs),
            (b.date, &b.commune, &b.compteurs)
        );
        assert_eq!(a.beneficiaires.len(), b.beneficiaires.len());
    }
    db.drop_database().await;
}
