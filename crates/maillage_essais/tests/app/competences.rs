//! Compétences over a real store: results stored through the use cases, then
//! `calibrer` (what `maillage competences calibrer` runs) writes a new calibration version
//! and makes it current, and no stored result changes. Named so that
//! `cargo test simulation_competences` runs it with the crate's simulations.

use maillage_competences::banque::{Genre, Reponse};
use maillage_competences::resultats::Origine;
use maillage_competences::{Evaluation, Referentiel};

/// A person of level `niveau` answering deterministically (« facilement » up to their
/// level, « avec de l'aide » one above, « non » beyond; practical items right up to their
/// level), with a little noise from `bruit` so that items differ.
fn reponse(genre: &Genre, niveau_item: u8, niveau: u8, bruit: u64) -> Reponse {
    let au_dessus = niveau_item > niveau;
    let hasard = bruit.is_multiple_of(7);
    match genre {
        Genre::Enonce => match (au_dessus ^ hasard, niveau_item == niveau + 1) {
            (false, _) => Reponse::Facilement,
            (true, true) => Reponse::AvecAide,
            (true, false) => Reponse::Non,
        },
        Genre::Pratique { bonne, choix, .. } => {
            if au_dessus ^ hasard {
                Reponse::Choix(((bonne + 1) % choix.len()) as u8)
            } else {
                Reponse::Choix(*bonne as u8)
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_competences_resultats_stables() {
    let instance = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let store = instance.store().clone();
    let module = instance.competences().clone();
    let referentiel = Referentiel::embarque();
    let banque = module.banque().await.expect("bank");
    assert_eq!(banque.version_courante(), 1);

    // 320 assessments stored by the people's choice, at levels 1 to 4.
    let mut ids = Vec::new();
    let mut evaluations = Vec::new();
    let mut bruit: u64 = 12_345;
    for n in 0..320u32 {
        let niveau = 1 + (n % 4) as u8;
        let mut e = Evaluation::nouvelle(&banque, n);
        while let (_, Some(item)) = e.suite(&banque, referentiel).expect("next") {
            bruit = bruit
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let r = reponse(&item.genre, item.niveau, niveau, bruit >> 33);
            let id = item.id.clone();
            e.ajouter(&banque, &id, r).expect("answer");
        }
        let id = module
            .enregistrer(&e, Some("31555"), Origine::Personne)
            .await
            .expect("stored");
        ids.push(id);
        evaluations.push(e);
    }
    let mut avant = Vec::new();
    for id in &ids {
        avant.push(
            store
                .resultat_competences(*id)
                .await
                .expect("read")
                .expect("exists"),
        );
    }
    let reponses = store.reponses_anonymes().await.expect("answers").len();
    assert!(reponses > 320 * 10, "{reponses} answers");

    // Recalibration: a new version, written, current for new assessments.
    let bilan = module.calibrer(&|_, _| {}).await.expect("calibrated");
    assert_eq!(bilan.calibration.version, 2);
    assert_eq!(bilan.passations, 320);
    assert_eq!(bilan.reponses, reponses);
    assert!(
        bilan.items_reestimes > 10,
        "{} items",
        bilan.items_reestimes
    );
    let stockees = store.calibrations().await.expect("calibrations");
    assert_eq!(stockees.len(), 1);
    assert_eq!(stockees[0].version, 2);
    assert_eq!(stockees[0].parametres.len(), banque.items.len());
    let v1 = banque.parametres(1).expect("v1");
    let changees = banque
        .items
        .iter()
        .zip(&v1)
        .filter(|(item, p)| {
            stockees[0]
                .parametres
                .iter()
                .find(|x| x.item == item.id)
                .is_some_and(|x| (x.difficulte - p.difficulte).abs() > 1e-3)
        })
        .count();
    assert!(changees > 0, "the difficulties moved");
    let nouvelle = module.banque().await.expect("bank");
    assert_eq!(nouvelle.version_courante(), 2);
    assert_eq!(Evaluation::nouvelle(&nouvelle, 1).calibration, 2);
    println!(
        "calibration 2: {} passations, {} answers, {} items re-estimated, {} changed, {} rounds",
        bilan.passations, bilan.reponses, bilan.items_reestimes, changees, bilan.tours
    );

    // Past results are unchanged: stored rows, and rescoring each assessment with the new
    // bank (it keeps the version it was scored with).
    let mut differe_sous_v2 = 0;
    for ((id, ancien), e) in ids.iter().zip(&avant).zip(&evaluations) {
        let lu = store
            .resultat_competences(*id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(&lu, ancien, "result {id} changed");
        assert_eq!(lu.calibration, 1);
        let rescore = e.resultat(&nouvelle, referentiel).expect("rescored");
        for (d, stocke) in rescore.domaines.iter().zip(&lu.domaines) {
            assert!((d.theta - stocke.theta).abs() < 1e-9, "result {id}");
        }
        // The control: the same answers scored under version 2 would differ.
        let mut sous_v2 = e.clone();
        sous_v2.calibration = 2;
        let autre = sous_v2.resultat(&nouvelle, referentiel).expect("v2");
        if autre
            .domaines
            .iter()
            .zip(&lu.domaines)
            .any(|(d, s)| (d.theta - s.theta).abs() > 1e-6)
        {
            differe_sous_v2 += 1;
        }
    }
    assert!(differe_sous_v2 > 0, "version 2 scores differently");
    // A second calibration is version 3.
    let b3 = module.calibrer(&|_, _| {}).await.expect("again");
    assert_eq!(b3.calibration.version, 3);
}
