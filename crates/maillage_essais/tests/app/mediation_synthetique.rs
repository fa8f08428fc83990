//! The same synthetic history written through both backends gives the same roll-ups.
//!
//! PostgreSQL writes a batch's new records with one statement per table and sums the
//! roll-ups of a whole batch before writing them; SQLite writes record by record. The
//! dashboards read only the roll-ups, so they must come out identical, row for row.

use maillage_mediation::synthetique;
use maillage_store::mediation::{MediationStore, StatFiltre};
use maillage_store_postgres::testing::TestDatabase;
use maillage_store_sqlite::SqliteStore;

/// The rows' numbers of typed account ids, for the store.
fn numeros(ids: &[maillage_domain::CompteId]) -> Vec<i64> {
    ids.iter().map(|id| id.get()).collect()
}

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

    let equipe_s = lignes(&sqlite, Some(numeros(&rs.equipe))).await;
    let equipe_p = lignes(&pg, Some(numeros(&rp.equipe))).await;
    assert!(!equipe_s.is_empty());
    assert_eq!(equipe_s, equipe_p);

    // The records themselves: same number for the team, listed newest first alike.
    let lus_s = sqlite
        .activites_de(&numeros(&rs.equipe), 1_000, 0)
        .await
        .expect("list");
    let lus_p = pg
        .activites_de(&numeros(&rp.equipe), 1_000, 0)
        .await
        .expect("list");
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

/// The generator itself: deterministic, and shaped like a territory (was a unit test of
/// `maillage_mediation::synthetique`, moved here so that the module links no database).
mod generateur {
    use chrono::{Datelike, Weekday};
    use maillage_domain::mediation::Dimension;
    use maillage_domain::mediation::{Compteurs, Cra, Referentiel, StatutSocial, Thematique};
    use maillage_mediation::synthetique::*;
    use maillage_store::mediation::MediationStore;
    use maillage_store::mediation::StatFiltre;
    use maillage_store::ComptesStore;
    use maillage_store_sqlite::SqliteStore;
    use maillage_territoire::Referentiel as ReferentielTerritorial;

    fn tout() -> StatFiltre {
        StatFiltre {
            mois_debut: 200001,
            mois_fin: 210012,
            ..StatFiltre::default()
        }
    }

    async fn empreinte(store: &SqliteStore) -> (Vec<String>, Compteurs) {
        let mut lignes: Vec<String> = store
            .stats(&tout())
            .await
            .unwrap()
            .into_iter()
            .map(|r| format!("{} {} {:?}", r.commune, r.mois, r.compteurs))
            .collect();
        lignes.sort();
        let mut c = Compteurs::default();
        for r in store.stats(&tout()).await.unwrap() {
            assert!(c.additionner_octets(&r.compteurs));
        }
        (lignes, c)
    }

    #[tokio::test]
    async fn same_seed_same_records_other_seed_other_records() {
        let a = SqliteStore::connect("sqlite::memory:").await.unwrap();
        let b = SqliteStore::connect("sqlite::memory:").await.unwrap();
        let c = SqliteStore::connect("sqlite::memory:").await.unwrap();
        let ra = generer(&a, 3_000, 7, |_| {}).await.unwrap();
        let rb = generer(&b, 3_000, 7, |_| {}).await.unwrap();
        let rc = generer(&c, 3_000, 8, |_| {}).await.unwrap();
        assert_eq!(
            Resume {
                secondes: 0.0,
                ..ra.clone()
            },
            Resume {
                secondes: 0.0,
                ..rb
            }
        );
        assert_eq!(empreinte(&a).await, empreinte(&b).await);
        assert_ne!(empreinte(&a).await, empreinte(&c).await);
        let lus = resume_existant(&a).await.unwrap().unwrap();
        assert_eq!(lus, ra);
        assert_eq!(ra.activites, 3_000);
        assert_eq!(ra.mediateurs, 3);
        assert_eq!(rc.equipe.len(), 3);
        let marqueur = a.compte_par_email(MARQUEUR).await.unwrap().unwrap();
        assert!(!marqueur.actif);
    }

    #[tokio::test]
    async fn distributions_look_like_a_territory() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        let n = 20_000;
        let r = generer(&store, n, 42, |_| {}).await.unwrap();
        assert_eq!((r.mediateurs, r.coordinateurs, r.structures), (20, 2, 8));
        assert_eq!(r.equipe.len(), TAILLE_EQUIPE);
        assert_eq!(
            store.equipe(r.coordinateur_id.get()).await.unwrap().len(),
            TAILLE_EQUIPE
        );
        let (lignes, c) = empreinte(&store).await;
        assert_eq!(c.activites(), n as i64);
        assert_eq!(c.accompagnements() as u64, r.participants);
        // One record in five is a workshop of 3 to 15 people.
        let types = c.bloc(Dimension::TypeActivite);
        assert_eq!(types[1], r.collectifs as i64);
        let part = types[1] as f64 / n as f64;
        assert!((0.18..0.22).contains(&part), "{part}");
        let moyenne = (c.accompagnements() - types[0]) as f64 / types[1] as f64;
        assert!((8.0..10.0).contains(&moyenne), "{moyenne}");
        // Administrative procedures and e-mail lead the thématiques.
        let th = c.bloc(Dimension::Thematique);
        let max = *th.iter().max().unwrap();
        assert_eq!(th[Thematique::AideAuxDemarchesAdministratives.rang()], max);
        assert!(th[Thematique::Email.rang()] > th[Thematique::Bureautique.rang()] * 2);
        let par_activite = th.iter().sum::<i64>() as f64 / n as f64;
        assert!((1.5..1.7).contains(&par_activite), "{par_activite}");
        // Durations: mostly 30 min to 1 h, some over 2 h (workshops, typed durations).
        let d = c.bloc(Dimension::Duree);
        assert!(d[1] > d[0] && d[1] > d[3] && d[3] > 0, "{d:?}");
        // Pensioners are the biggest status; age bands all present.
        let st = c.bloc(Dimension::Statut);
        assert_eq!(st.iter().max(), Some(&st[StatutSocial::Retraite.rang()]));
        assert!(c.bloc(Dimension::TrancheAge).iter().all(|&x| x > 0));
        // Every commune is in the région; 36 months, August quieter than September.
        let ter = ReferentielTerritorial::embedded();
        let mut par_mois = std::collections::BTreeMap::<i32, i64>::new();
        for r in store.stats(&tout()).await.unwrap() {
            assert_eq!(ter.commune(&r.commune).unwrap().code_region, REGION);
            *par_mois.entry(r.mois).or_default() += r.activites;
        }
        assert!(!lignes.is_empty());
        assert_eq!(par_mois.len(), 36);
        assert!(par_mois[&202508] * 2 < par_mois[&202509], "{par_mois:?}");
        // Weekdays only, records as the app would read them.
        let lus = store
            .activites_de(&super::numeros(&r.equipe), 5_000, 0)
            .await
            .unwrap();
        assert!(!lus.is_empty());
        for a in &lus {
            assert!(!matches!(a.date.weekday(), Weekday::Sat | Weekday::Sun));
            let cra: Cra = serde_json::from_str(&a.data).unwrap();
            assert_eq!(
                Compteurs::d_une_activite(&cra, &[]).en_octets(),
                a.compteurs
            );
            assert_eq!(cra.lieu_activite_id.map(|l| l.get()), a.lieu_activite_id);
        }
    }
}
