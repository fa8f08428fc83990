//! PostgreSQL-specific behaviour: rollback after a failure inside the database,
//! concurrent imports, concurrent writes of Médiation activity records, tampered BYTEA
//! hashes in the Mandats journal, and pass redemptions that do not wait for the pass
//! journal's lock.

mod common;

use std::sync::Arc;

use maillage_store::comptes::{ComptesStore, NewCompte};
use maillage_store::contract::{self, SABOTAGED_FILE_NAME, SABOTAGED_MEMBER};
use maillage_store::mediation::{counter_totals, ActiviteWrite, MediationStore, StatFiltre};
use maillage_store::{LieuxStore, NewImportReport, SourceRecord};

#[tokio::test]
async fn rollback_after_database_failure() {
    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let sabotage = format!(
        "CREATE FUNCTION sabotage() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'sabotaged %', TG_TABLE_NAME; END $$;
         CREATE TRIGGER sabotage_report BEFORE INSERT ON import_reports FOR EACH ROW
             WHEN (NEW.file_name = '{SABOTAGED_FILE_NAME}') EXECUTE FUNCTION sabotage();
         CREATE TRIGGER sabotage_member BEFORE INSERT ON merged_lieu_members FOR EACH ROW
             WHEN (NEW.member_ref = '{SABOTAGED_MEMBER}') EXECUTE FUNCTION sabotage();"
    );
    sqlx::raw_sql(&sabotage)
        .execute(store.pool())
        .await
        .expect("sabotage");
    let pool = store.pool().clone();
    let outcome = tokio::spawn(contract::rollback_after_database_failure(Arc::new(store))).await;
    pool.close().await;
    db.drop_database().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn record(source: &str, id: usize, version: u32) -> SourceRecord {
    SourceRecord {
        source: source.into(),
        source_id: format!("{id:05}"),
        content_hash: format!("h{id}-{version}"),
        data: format!(r#"{{"v":{version}}}"#),
        code_insee: None,
        latitude: None,
        longitude: None,
        date_maj: None,
    }
}

fn report(source: &str) -> NewImportReport {
    NewImportReport {
        source: source.into(),
        format: "csv".into(),
        file_name: "f.csv".into(),
        rows_read: 0,
        accepted: 0,
        corrected: 0,
        rejected: 0,
        details_json: "[]".into(),
    }
}

/// Concurrent imports of the same source are serialised: each sees the other's result.
#[tokio::test]
async fn concurrent_imports_of_one_source_are_serialised() {
    let db = common::TestDatabase::create().await;
    let store = Arc::new(db.store().await);
    let mut tasks = Vec::new();
    for version in 0..4_u32 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let records = (0..2_000).map(|i| record("s", i, version)).collect();
            store.apply_import(records, report("s")).await
        }));
    }
    let mut added = 0;
    let mut updated = 0;
    for task in tasks {
        let summary = task.await.expect("task").expect("import");
        added += summary.added;
        updated += summary.updated;
    }
    assert_eq!(added, 2_000, "only the first import adds");
    assert_eq!(updated, 3 * 2_000, "every later import updates");
    assert_eq!(store.sources().await, Ok(vec![("s".to_string(), 2_000)]));
    store.pool().close().await;
    db.drop_database().await;
}

fn counters(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn activite(mediateur_id: i64, commune: &str, day: u32, c: &[i64]) -> ActiviteWrite {
    ActiviteWrite {
        id: None,
        mediateur_id,
        structure_id: None,
        lieu_activite_id: None,
        commune: commune.into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, day).expect("date"),
        type_activite: "individuel".into(),
        duree: 30,
        data: "{}".into(),
        compteurs: counters(c),
        beneficiaires: vec![],
        auteur_id: mediateur_id,
        at: maillage_store::now_micros(),
    }
}

/// Sums of the per-commune and the per-mediator roll-ups of November 2026.
async fn roll_up_totals(store: &dyn MediationStore, mediateur: i64) -> [(i64, i64, i64); 2] {
    let mut out = [(0, 0, 0); 2];
    let filtres = [
        StatFiltre {
            mois_debut: 202611,
            mois_fin: 202611,
            ..StatFiltre::default()
        },
        StatFiltre {
            mediateurs: Some(vec![mediateur]),
            mois_debut: 202611,
            mois_fin: 202611,
            ..StatFiltre::default()
        },
    ];
    for (sum, filtre) in out.iter_mut().zip(&filtres) {
        for row in store.stats(filtre).await.expect("stats") {
            let (a, b, c) = counter_totals(&row.compteurs);
            assert_eq!((a, b, c), (row.activites, row.accompagnements, row.minutes));
            *sum = (sum.0 + a, sum.1 + b, sum.2 + c);
        }
    }
    out
}

/// Concurrent batches that add to the same roll-up rows (new ones included, and in
/// opposite orders) lose no update and do not deadlock; concurrent replacements and
/// deletions of one record take its counters out of the roll-ups exactly once.
#[tokio::test]
async fn concurrent_activity_writes_keep_roll_ups_exact() {
    let db = common::TestDatabase::create().await;
    let store = Arc::new(db.store().await);
    let m = store
        .create_compte(NewCompte {
            email: "m@exemple.fr".into(),
            nom: "M".into(),
            role: "mediateur".into(),
            structure_id: None,
            password_hash: "h".into(),
            created_at: maillage_store::now_micros(),
        })
        .await
        .expect("account");

    // 8 batches of 6 records over 3 communes, half of them in reverse order.
    let communes = ["31555", "31069", "75056"];
    let mut tasks = Vec::new();
    for t in 0..8_usize {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut batch: Vec<ActiviteWrite> = (0..6)
                .map(|i| activite(m, communes[i % 3], 2, &[1, 2, 30]))
                .collect();
            if t % 2 == 1 {
                batch.reverse();
            }
            store.save_activites(batch).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("task").expect("save"));
    }
    assert_eq!(ids.len(), 48);
    assert_eq!(roll_up_totals(&*store, m).await, [(48, 96, 1_440); 2]);

    // 8 concurrent replacements of one record: each takes away the version it replaces.
    let target = ids[0];
    let mut tasks = Vec::new();
    for t in 0..8_i64 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut w = activite(m, "31555", 3, &[1, 10 + t, 60]);
            w.id = Some(target);
            store.save_activites(vec![w]).await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("replace");
    }
    let row = store.activite(target).await.expect("read").expect("row");
    assert_eq!(row.version, 9);
    let (_, accompagnements, _) = counter_totals(&row.compteurs);
    let expected = (48, 94 + accompagnements, 1_440 + 30);
    assert_eq!(roll_up_totals(&*store, m).await, [expected; 2]);
    assert_eq!(
        store
            .historique_activite(target)
            .await
            .expect("history")
            .len(),
        9
    );

    // 4 concurrent deletions of one record: one deletes it, the others find it gone.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        let at = maillage_store::now_micros();
        tasks.push(tokio::spawn(async move {
            store.delete_activite(target, m, at).await
        }));
    }
    let mut deleted = 0;
    for task in tasks {
        if task.await.expect("task").expect("delete") {
            deleted += 1;
        }
    }
    assert_eq!(deleted, 1);
    assert_eq!(roll_up_totals(&*store, m).await, [(47, 94, 1_410); 2]);

    store.pool().close().await;
    db.drop_database().await;
}

/// A journal hash rewritten to a value of the wrong length (BYTEA has no length) is read
/// leniently: verification names the entry instead of failing to read the journal.
#[tokio::test]
async fn journal_hash_of_wrong_length_is_reported() {
    use maillage_domain::mandats::{NouvelleEntree, RaisonRupture, SigningKey};
    use maillage_store::mandats::{verifier_journal, MandatsStore};

    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    for n in 0..3 {
        let e = store
            .append_entree(NouvelleEntree {
                at_us: 1_000_000 * n,
                action: "consultation".into(),
                acteur: "systeme".into(),
                structure_id: None,
                mandat_id: None,
                usager: None,
                demarches: String::new(),
                details: "{}".into(),
            })
            .await
            .expect("append");
        assert_eq!(e.seq, n + 1);
    }
    sqlx::raw_sql(
        "DROP TRIGGER journal_sans_modification ON journal;
         UPDATE journal SET hash = '\\x0102'::bytea WHERE seq = 2;",
    )
    .execute(store.pool())
    .await
    .expect("tamper");
    let cle = SigningKey::from_bytes(&[7u8; 32]).verifying_key();
    let rapport = verifier_journal(&store, vec![], &cle, 10).await;
    let head = store.journal_head().await;
    store.pool().close().await;
    db.drop_database().await;
    let rupture = rapport
        .expect("journal read")
        .rupture
        .expect("tampering detected");
    assert_eq!(
        (rupture.seq, rupture.raison),
        (2, RaisonRupture::ContenuModifie)
    );
    assert_eq!(head.expect("head read").seq, 3);
}

/// While another session holds the pass journal's advisory lock (as a long write would),
/// redemptions still complete — each leaves its ledger entry waiting, committed with it —;
/// once the lock is released, `chainer_registre` chains every waiting entry once and fills
/// in the redemptions' seq; the chain is intact. With the lock waited for (the former
/// design), these redemptions would block until the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_double_depense_redemptions_do_not_wait_for_the_ledger_lock() {
    use maillage_store::contract_pass::{monde, utilisation, verifier};
    use maillage_store::pass::{GardePass, Utilisation, ACTION_UTILISATION};

    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    let s: Arc<dyn maillage_store::Store> = Arc::new(store);
    let issue = tokio::spawn(async move {
        let (lieu, ids, _) = monde(&s, 10).await;
        let mut verrou = pool.begin().await.expect("begin");
        sqlx::query("SELECT pg_advisory_xact_lock(7236156)")
            .execute(&mut *verrou)
            .await
            .expect("lock");
        for &id in &ids {
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                s.utiliser(
                    &utilisation(id, lieu, &format!("n-{id}")),
                    GardePass::Active,
                ),
            )
            .await
            .expect("the redemption waited for the ledger's lock")
            .expect("redeem");
            match r {
                Utilisation::Creee(u) => assert_eq!(u.journal_seq, 0, "chained under a held lock?"),
                autre => panic!("{autre:?}"),
            }
        }
        assert_eq!(s.registre_en_attente().await.expect("queue"), 10);
        verrou.rollback().await.expect("release");
        assert_eq!(s.chainer_registre().await.expect("chain"), 10);
        assert!(verifier(&s).await.intact());
        let registre = s.pass_journal(0, 1_000).await.expect("ledger");
        for &id in &ids {
            let seq = registre
                .iter()
                .filter(|e| {
                    e.contenu.action == ACTION_UTILISATION && e.contenu.mandat_id == Some(id)
                })
                .map(|e| e.seq)
                .collect::<Vec<_>>();
            let ligne = &s.utilisations_du_pass(id).await.expect("rows")[0];
            assert_eq!(seq, vec![ligne.journal_seq]);
        }
        pool.close().await;
    })
    .await;
    db.drop_database().await;
    if let Err(e) = issue {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The group commit under a held ledger lock: a batch of redemptions (and a replay and a
/// conflict inside it) completes without waiting for the lock, its entries wait, committed
/// with the rows; once released, they are chained in arrival order and the rows learn
/// their seqs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_double_depense_lot_does_not_wait_for_the_ledger_lock() {
    use maillage_store::contract_pass::{monde, utilisation, verifier};
    use maillage_store::pass::{GardePass, Utilisation, ACTION_UTILISATION};

    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    let s: Arc<dyn maillage_store::Store> = Arc::new(store);
    let issue = tokio::spawn(async move {
        let (lieu, ids, _) = monde(&s, 6).await;
        let mut verrou = pool.begin().await.expect("begin");
        sqlx::query("SELECT pg_advisory_xact_lock(7236156)")
            .execute(&mut *verrou)
            .await
            .expect("lock");
        let mut lot: Vec<_> = ids
            .iter()
            .map(|&id| utilisation(id, lieu, &format!("n-{id}")))
            .collect();
        lot.push(utilisation(ids[0], lieu, &format!("n-{}", ids[0])));
        lot.push(utilisation(ids[0], lieu, "autre"));
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            s.utiliser_lot(&lot, GardePass::Active),
        )
        .await
        .expect("the batch waited for the ledger's lock")
        .expect("batch");
        for x in &r[..ids.len()] {
            match x {
                Ok(Utilisation::Creee(u)) => assert_eq!(u.journal_seq, 0),
                autre => panic!("{autre:?}"),
            }
        }
        assert!(matches!(r[ids.len()], Ok(Utilisation::Rejouee(_))));
        assert!(matches!(r[ids.len() + 1], Ok(Utilisation::DejaUtilise(_))));
        assert_eq!(s.registre_en_attente().await.expect("queue"), 6);
        verrou.rollback().await.expect("release");
        assert_eq!(s.chainer_registre().await.expect("chain"), 6);
        assert!(verifier(&s).await.intact());
        let registre = s.pass_journal(0, 1_000).await.expect("ledger");
        let objets: Vec<_> = registre
            .iter()
            .filter(|e| e.contenu.action == ACTION_UTILISATION)
            .map(|e| e.contenu.mandat_id)
            .collect();
        assert_eq!(objets, ids.iter().map(|&id| Some(id)).collect::<Vec<_>>());
        for e in registre
            .iter()
            .filter(|e| e.contenu.action == ACTION_UTILISATION)
        {
            let id = e.contenu.mandat_id.expect("pass");
            let ligne = &s.utilisations_du_pass(id).await.expect("rows")[0];
            assert_eq!(ligne.journal_seq, e.seq);
        }
        pool.close().await;
    })
    .await;
    db.drop_database().await;
    if let Err(e) = issue {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `cargo test -p maillage_store_postgres --release --test postgres -- --ignored --nocapture`
#[tokio::test]
#[ignore = "benchmark: one million records"]
async fn bulk_import_one_million() {
    let db = common::TestDatabase::create().await;
    let store = db.store().await;
    let pool = store.pool().clone();
    let outcome = tokio::spawn(contract::bulk_import(Arc::new(store), 1_000_000)).await;
    pool.close().await;
    db.drop_database().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
