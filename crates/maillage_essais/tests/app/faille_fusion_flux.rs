//! Issue 14 « Failles et pertes de données », item 11, on both backends: the re-merge of the
//! directory (`Annuaire::refusionner`) reads the records by pages, keeps only their
//! fingerprints to find the groups, and merges and publishes them by batches in a second
//! reading, so that it never holds every record. Its published directory must be exactly
//! the one of the in-memory path (`doublons::dedupliquer` over every record, one
//! `publish_merged_lieux`): same places, ids, members, provenance and content.

use chrono::Utc;
use maillage_annuaire::annuaire::{fusionne_of, Annuaire};
use maillage_annuaire::doublons::LieuFusionne;
use maillage_annuaire::lieux::LieuSource;
use maillage_store::{NewImportReport, PairDecision, PairDecisionKind, SourceRecord};
use maillage_store_postgres::testing::TestDatabase;
use std::collections::{BTreeMap, HashMap};

/// Synthetic places (several sources: the duplicates are copied into another source) with
/// copied ids (`{id}-mediation-numerique-{source}`), some moved far from their original.
fn corpus(n: usize) -> (Vec<LieuSource>, Vec<(String, String)>) {
    let synthese = maillage_annuaire::synthetique::generer_avec(
        maillage_territoire::Referentiel::embedded().communes(),
        n,
        0.08,
        21,
    );
    let mut lieux = synthese.lieux;
    let position: HashMap<String, usize> = lieux
        .iter()
        .enumerate()
        .map(|(i, l)| (l.reference(), i))
        .collect();
    let mut paires = Vec::new();
    for (k, (original, copie)) in synthese.doublons.iter().enumerate() {
        let (Some(&o), Some(&c)) = (position.get(original), position.get(copie)) else {
            continue;
        };
        if k % 6 == 0 {
            let (id, source) = (lieux[o].lieu.id.clone(), lieux[o].source.clone());
            lieux[c].lieu.id = format!("{id}-mediation-numerique-{source}");
            if k % 12 == 0 {
                lieux[c].lieu.localisation = maillage_domain::Localisation::new(44.0, 4.0);
            }
        }
        paires.push((lieux[o].reference(), lieux[c].reference()));
    }
    (lieux, paires)
}

/// Stores the places, one import per source.
async fn charger(annuaire: &Annuaire, lieux: &[LieuSource]) {
    let mut par_source: BTreeMap<&str, Vec<SourceRecord>> = BTreeMap::new();
    for (i, ls) in lieux.iter().enumerate() {
        let data = serde_json::to_string(&ls.lieu).expect("json");
        par_source
            .entry(ls.source.as_str())
            .or_default()
            .push(SourceRecord {
                source: ls.source.clone(),
                source_id: ls.lieu.id.clone(),
                content_hash: format!("h{i}-{}", data.len()),
                data,
                code_insee: ls.lieu.code_insee.as_ref().map(|c| c.to_string()),
                latitude: ls.lieu.localisation.map(|l| l.latitude),
                longitude: ls.lieu.localisation.map(|l| l.longitude),
                date_maj: Some(ls.lieu.date_maj),
            });
    }
    for (source, records) in par_source {
        let n = records.len() as i64;
        annuaire
            .store()
            .apply_import(
                records,
                NewImportReport {
                    source: source.to_string(),
                    format: "v1-json".into(),
                    file_name: format!("{source}.json"),
                    rows_read: n,
                    accepted: n,
                    corrected: 0,
                    rejected: 0,
                    details_json: "[]".into(),
                },
            )
            .await
            .expect("import");
    }
}

async fn decider(annuaire: &Annuaire, a: &str, b: &str, decision: PairDecisionKind) {
    annuaire
        .store()
        .set_pair_decision(PairDecision {
            ref_a: a.to_string(),
            ref_b: b.to_string(),
            decision,
            decided_by: "test".into(),
            decided_at: Utc::now(),
            note: None,
        })
        .await
        .expect("decision");
}

async fn publies(annuaire: &Annuaire) -> Vec<LieuFusionne> {
    let mut v: Vec<LieuFusionne> = annuaire
        .store()
        .merged_lieux()
        .await
        .expect("merged")
        .iter()
        .map(|r| fusionne_of(r).expect("readable"))
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// The published directory is exactly `dedupliquer`'s on the stored records and decisions.
async fn egal_au_calcul_en_memoire(annuaire: &Annuaire) -> usize {
    let (lieux, attendu) = annuaire.doublons().await.expect("in memory");
    let publie = publies(annuaire).await;
    assert_eq!(publie.len(), attendu.fusionnes.len());
    for (p, a) in publie.iter().zip(&attendu.fusionnes) {
        assert_eq!(p, a, "the streamed re-merge differs from dedupliquer");
    }
    lieux.len()
}

async fn fusion_en_flux(url: &str) {
    let annuaire = crate::ouvrir(url).await.expect("open");
    // More records than a page (4,096) of the re-merge: groups span pages.
    let (lieux, paires) = corpus(6_000);
    charger(&annuaire, &lieux).await;
    // Refusals of true duplicates, confirmations of unrelated records, one unknown ref.
    for (a, b) in paires.iter().skip(1).step_by(9).take(12) {
        decider(&annuaire, a, b, PairDecisionKind::Refused).await;
    }
    for i in (0..400).step_by(37) {
        decider(
            &annuaire,
            &lieux[i].reference(),
            &lieux[i + 2].reference(),
            PairDecisionKind::Confirmed,
        )
        .await;
    }
    decider(
        &annuaire,
        "absent#1",
        &lieux[5].reference(),
        PairDecisionKind::Confirmed,
    )
    .await;
    assert!(annuaire.fusion_en_attente().await.expect("state"));

    let bilan = annuaire.refusionner().await.expect("streamed re-merge");
    assert!(!annuaire.fusion_en_attente().await.expect("state"));
    let (_, attendu) = annuaire.doublons().await.expect("in memory");
    assert_eq!(bilan.enregistrements, lieux.len());
    assert_eq!(bilan.lieux_publies, attendu.fusionnes.len());
    assert_eq!(bilan.groupes_doublons, attendu.groupes.len());
    assert_eq!(
        bilan.lieux_ecrits, bilan.lieux_publies,
        "empty directory before"
    );
    assert!(attendu.groupes.len() > 200, "{}", attendu.groupes.len());
    assert!(
        attendu.fusionnes.iter().any(|f| f.membres.len() >= 2
            && f.membres
                .iter()
                .any(|m| m.contains("-mediation-numerique-"))),
        "copied ids join their originals"
    );
    assert_eq!(egal_au_calcul_en_memoire(&annuaire).await, lieux.len());

    // The in-memory path, run on the directory the streamed one published, finds nothing
    // to write: the two publications are the same, row for row (hashes included).
    let memoire = annuaire
        .refusionner_en_memoire()
        .await
        .expect("in-memory re-merge");
    assert_eq!((memoire.lieux_ecrits, memoire.lieux_supprimes), (0, 0));
    assert_eq!(memoire.lieux_publies, bilan.lieux_publies);
    assert_eq!(memoire.groupes_doublons, bilan.groupes_doublons);
    // And the streamed one again: nothing to write either.
    let encore = annuaire.refusionner().await.expect("streamed again");
    assert_eq!((encore.lieux_ecrits, encore.lieux_supprimes), (0, 0));

    // A decision splits a group: the streamed re-merge rewrites a few places, and the
    // directory is still the in-memory one.
    let (a, b) = &paires[0];
    let bilan = annuaire
        .decider(
            a,
            b,
            maillage_annuaire::doublons::Decision::Refusee,
            "test",
            None,
        )
        .await
        .expect("decision");
    assert!(bilan.lieux_ecrits <= 3, "{bilan:?}");
    egal_au_calcul_en_memoire(&annuaire).await;

    // From an empty directory, the in-memory path publishes what the streamed one did.
    let flux = publies(&annuaire).await;
    annuaire
        .store()
        .replace_merged_lieux(Vec::new())
        .await
        .expect("empty");
    annuaire
        .refusionner_en_memoire()
        .await
        .expect("in-memory re-merge");
    assert_eq!(publies(&annuaire).await, flux);
}

#[tokio::test]
async fn faille_fusion_en_flux_sqlite() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dossier.path().join("m.db").display());
    fusion_en_flux(&url).await;
}

#[tokio::test]
async fn faille_fusion_en_flux_sqlite_en_memoire() {
    // One connection only: the second reading goes through the publication's transaction.
    fusion_en_flux("sqlite::memory:").await;
}

#[tokio::test]
async fn faille_fusion_en_flux_postgres() {
    let db = TestDatabase::create().await;
    fusion_en_flux(&db.url).await;
    db.drop_database().await;
}
