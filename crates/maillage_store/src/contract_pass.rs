//! Contract cases of the Pass store, run by both backends' `tests/contract.rs`
//! (`maillage_store::pass_contract_tests!(fresh_store())`).
//!
//! The concurrency cases have `double_depense` in their names, so that
//! `cargo test double_depense` runs them with the HTTP-level ones of `maillage_essais`; the
//! ledger's tampering cases start with `tamper_pass_`.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use maillage_domain::journal::{Flux, RaisonRupture, Rapport, Sceau, Verificateur};
use maillage_domain::mandats::SigningKey;

use crate::contract_mandats::AccesBrut;
use crate::pass::{
    Forcee, GardePass, LieuQualifieRow, NewCarnet, NewDistribution, NewProgramme, NewUtilisation,
    Utilisation, ACTION_BLOCAGE, ACTION_UTILISATION, ETAT_BLOQUE, ETAT_DISTRIBUE, ETAT_UTILISE,
};
use crate::{Store, StoreError};

#[macro_export]
macro_rules! pass_contract_tests {
    ($make:expr) => {
        $crate::pass_contract_tests!(@cases $make;
            pass_issue_distribute_redeem_replay_and_conflict,
            pass_double_depense_concurrent_redemptions_one_wins,
            pass_double_depense_control_without_guard_spends_twice,
            pass_double_depense_registre_each_redemption_chained_once,
            pass_lot_decided_as_one_after_the_other,
            pass_lot_empty_and_unguarded,
            pass_double_depense_lots_concurrents_one_wins,
            pass_double_depense_lots_et_unitaires_meme_nonce,
            tamper_pass_triggers_refuse_update_and_delete,
            tamper_pass_modified_entry_is_named,
            tamper_pass_deleted_end_caught_by_its_seal,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::contract::run_mandats_case(
                    $make,
                    $crate::contract_pass::$case,
                ).await;
            }
        )*
    };
}

type S = Arc<dyn Store>;
type B = Arc<dyn AccesBrut>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0)
        .single()
        .expect("date")
}

/// A programme on Muret with one qualified place and a carnet of `n` distributed passes:
/// `(place, pass ids, codes)`.
pub async fn monde(s: &S, n: usize) -> (i64, Vec<i64>, Vec<String>) {
    let financeur = s
        .create_structure("Département", None, Some("31555"))
        .await
        .expect("funder");
    let lieu = s
        .create_structure("Espace numérique", Some("73282932000074"), Some("31395"))
        .await
        .expect("place");
    let programme = s
        .create_programme(&NewProgramme {
            financeur_structure_id: financeur,
            nom: "Pass 31".into(),
            budget_centimes: 100_000,
            valeur_centimes: 1_000,
            fin_validite: NaiveDate::from_ymd_opt(2027, 12, 31).expect("date"),
            tolerance: NaiveDate::from_ymd_opt(2028, 1, 31).expect("date"),
            territoire: "commune:31395".into(),
            communes: vec!["31395".into()],
            publics: String::new(),
            acteur: "admin:cli".into(),
            created_at: t0(),
        })
        .await
        .expect("programme");
    s.qualifier_lieu(&LieuQualifieRow {
        programme_id: programme,
        structure_id: lieu,
        siret: "73282932000074".into(),
        commune: "31395".into(),
        approuve_par: "admin:cli".into(),
        approuve_at: t0(),
    })
    .await
    .expect("qualified");
    let codes: Vec<String> = (0..n).map(|i| format!("CODE{i:08}")).collect();
    let (_, ids) = s
        .emettre_carnet(&NewCarnet {
            programme_id: programme,
            codes: codes.clone(),
            acteur: "admin:cli".into(),
            created_at: t0(),
        })
        .await
        .expect("carnet");
    for c in &codes {
        let p = s
            .distribuer(&NewDistribution {
                code: c.clone(),
                prescripteur_structure_id: financeur,
                commune: "31395".into(),
                tranche_age: "70+".into(),
                statut: "retraite".into(),
                personne_id: None,
                acteur: "admin:cli".into(),
                at: t0(),
            })
            .await
            .expect("distributed");
        assert_eq!(p.etat, ETAT_DISTRIBUE);
    }
    (lieu, ids, codes)
}

pub fn utilisation(pass_id: i64, lieu: i64, nonce: &str) -> NewUtilisation {
    NewUtilisation {
        pass_id,
        structure_id: lieu,
        nonce: nonce.into(),
        cle_api_id: None,
        compte_id: None,
        activite_id: None,
        acteur: "test".into(),
        at: t0() + Duration::hours(1),
        forcee: None,
    }
}

fn cle() -> SigningKey {
    SigningKey::from_bytes(&[3; 32])
}

/// Chains what waits, then verifies the whole pass stream with its seals.
pub async fn verifier(s: &S) -> Rapport {
    s.chainer_registre()
        .await
        .expect("chain the waiting entries");
    let sceaux = s.sceaux_pass().await.expect("seals");
    let mut v = Verificateur::pour_flux(Flux::Pass, sceaux, &cle().verifying_key());
    for e in s.pass_journal(0, 100_000).await.expect("ledger") {
        if !v.entree(&e) {
            break;
        }
    }
    v.fin()
}

pub async fn pass_issue_distribute_redeem_replay_and_conflict(s: S, _b: B) {
    let (lieu, ids, codes) = monde(&s, 3).await;
    let premiere = match s
        .utiliser(&utilisation(ids[0], lieu, "n-1"), GardePass::Active)
        .await
        .expect("redeem")
    {
        Utilisation::Creee(u) => u,
        autre => panic!("{autre:?}"),
    };
    assert_eq!(
        (premiere.code.as_str(), premiere.valeur_centimes),
        (codes[0].as_str(), 1_000)
    );
    // The same request again: the same redemption.
    match s
        .utiliser(&utilisation(ids[0], lieu, "n-1"), GardePass::Active)
        .await
        .expect("replay")
    {
        Utilisation::Rejouee(u) => assert_eq!(u, premiere),
        autre => panic!("{autre:?}"),
    }
    // Another request: a conflict naming the first.
    match s
        .utiliser(&utilisation(ids[0], lieu, "n-2"), GardePass::Active)
        .await
        .expect("conflict")
    {
        Utilisation::DejaUtilise(u) => assert_eq!(u.id, premiere.id),
        autre => panic!("{autre:?}"),
    }
    // The nonce again on another pass: refused, and that pass is still usable.
    assert_eq!(
        s.utiliser(&utilisation(ids[1], lieu, "n-1"), GardePass::Active)
            .await
            .expect("nonce"),
        Utilisation::NonceDejaServi
    );
    let p = s
        .pass_par_code(&codes[1])
        .await
        .expect("read")
        .expect("pass");
    assert_eq!(p.etat, ETAT_DISTRIBUE);
    let p = s
        .pass_par_code(&codes[0])
        .await
        .expect("read")
        .expect("pass");
    assert_eq!(p.etat, ETAT_UTILISE);
    assert_eq!(s.utilisations_du_pass(ids[0]).await.expect("rows").len(), 1);
    let mois = s
        .utilisations_du_lieu(lieu, t0(), t0() + Duration::days(30))
        .await
        .expect("month");
    assert_eq!(mois.len(), 1);
    // 1 programme + 3 issues + 3 distributions + 1 redemption, chained.
    let registre = s.pass_journal(0, 100).await.expect("ledger");
    assert_eq!(registre.len(), 8);
    assert_eq!(premiere.journal_seq, 8);
    assert_eq!(registre[7].contenu.action, ACTION_UTILISATION);
    assert!(verifier(&s).await.intact());
    let etats = s.compte_etats(p.programme_id).await.expect("counts");
    assert_eq!((etats.distribues, etats.utilises), (2, 1));
}

async fn concurrentes(s: &S, garde: GardePass) -> (usize, usize) {
    const N: usize = 40;
    let (lieu, ids, _) = monde(s, 1).await;
    let barriere = Arc::new(tokio::sync::Barrier::new(N));
    let taches: Vec<_> = (0..N)
        .map(|i| {
            let s = Arc::clone(s);
            let barriere = Arc::clone(&barriere);
            let u = utilisation(ids[0], lieu, &format!("n-{i}"));
            tokio::spawn(async move {
                barriere.wait().await;
                s.utiliser(&u, garde).await
            })
        })
        .collect();
    let mut creees = 0;
    for t in taches {
        match t.await.expect("task").expect("redeem") {
            Utilisation::Creee(_) => creees += 1,
            // Guarded: the others see the redemption. Control run: a late reader may see
            // the pass already « utilise ».
            Utilisation::DejaUtilise(_) | Utilisation::EtatRefuse { .. } => {}
            autre => panic!("{autre:?}"),
        }
    }
    let lignes = s.utilisations_du_pass(ids[0]).await.expect("rows").len();
    (creees, lignes)
}

pub async fn pass_double_depense_concurrent_redemptions_one_wins(s: S, _b: B) {
    assert_eq!(concurrentes(&s, GardePass::Active).await, (1, 1));
    assert!(verifier(&s).await.intact());
}

pub async fn pass_double_depense_control_without_guard_spends_twice(s: S, _b: B) {
    let (creees, lignes) = concurrentes(&s, GardePass::DesactiveePourEssai).await;
    assert!(creees > 1, "the control did not double spend ({creees})");
    assert_eq!(lignes, creees);
}

/// Many redemptions of distinct passes at once (the journal's lock taken by one of them at
/// a time, the others leaving their entry to wait): once what waits is chained, every
/// redemption has exactly one ledger entry, its row knows that entry's seq, nothing waits,
/// and the chain is intact.
pub async fn pass_double_depense_registre_each_redemption_chained_once(s: S, _b: B) {
    const N: usize = 60;
    let (lieu, ids, _) = monde(&s, N).await;
    let barriere = Arc::new(tokio::sync::Barrier::new(N));
    let taches: Vec<_> = ids
        .iter()
        .map(|&id| {
            let s = Arc::clone(&s);
            let barriere = Arc::clone(&barriere);
            let u = utilisation(id, lieu, &format!("n-{id}"));
            tokio::spawn(async move {
                barriere.wait().await;
                s.utiliser(&u, GardePass::Active).await
            })
        })
        .collect();
    for t in taches {
        let r = t.await.expect("task").expect("redeem");
        assert!(matches!(r, Utilisation::Creee(_)), "{r:?}");
    }
    let r = verifier(&s).await;
    assert!(r.intact(), "{:?}", r.rupture);
    assert_eq!(s.registre_en_attente().await.expect("queue"), 0);
    let registre = s.pass_journal(0, 100_000).await.expect("ledger");
    for &id in &ids {
        let entrees: Vec<_> = registre
            .iter()
            .filter(|e| e.contenu.action == ACTION_UTILISATION && e.contenu.mandat_id == Some(id))
            .collect();
        assert_eq!(entrees.len(), 1, "pass {id}");
        let lignes = s.utilisations_du_pass(id).await.expect("rows");
        assert_eq!(lignes.len(), 1);
        assert_eq!(lignes[0].journal_seq, entrees[0].seq, "pass {id}");
    }
}

fn creee(r: &Result<Utilisation, StoreError>) -> crate::pass::UtilisationRow {
    match r {
        Ok(Utilisation::Creee(u)) => u.clone(),
        autre => panic!("expected a new redemption: {autre:?}"),
    }
}

/// A batch gives, request by request, what `utiliser` would have given one after the
/// other: the first request of a pass wins, the same nonce again is the same redemption,
/// another nonce is a conflict naming the first, a nonce the batch already used is refused,
/// an unknown pass fails alone; one transaction chains every entry, nothing waits.
pub async fn pass_lot_decided_as_one_after_the_other(s: S, _b: B) {
    let (lieu, ids, codes) = monde(&s, 6).await;
    // Before the batch: pass 3 redeemed, pass 4 blocked.
    let ancienne = match s
        .utiliser(&utilisation(ids[3], lieu, "avant"), GardePass::Active)
        .await
        .expect("redeem")
    {
        Utilisation::Creee(u) => u,
        autre => panic!("{autre:?}"),
    };
    s.changer_etat(ids[4], ETAT_BLOQUE, ACTION_BLOCAGE, "test", t0())
        .await
        .expect("block");
    let tete = s.pass_journal_head().await.expect("head");
    let mut forcee = utilisation(ids[2], lieu, "hors-ligne");
    forcee.forcee = Some(Forcee {
        hors_ligne_at: t0(),
        motif: "Utilisation forcée : faite hors ligne.".into(),
    });
    let lot = vec![
        utilisation(ids[0], lieu, "a"),      // 0: new
        utilisation(ids[0], lieu, "a"),      // 1: the same again
        utilisation(ids[0], lieu, "b"),      // 2: another request on a used pass
        utilisation(ids[1], lieu, "a"),      // 3: nonce used by 0, pass stays usable
        utilisation(ids[1], lieu, "c"),      // 4: new
        utilisation(999_999_999, lieu, "d"), // 5: no such pass
        forcee,                              // 6: new, forced (an incident)
        utilisation(ids[3], lieu, "avant"),  // 7: the same as before the batch
        utilisation(ids[3], lieu, "e"),      // 8: used before the batch
        utilisation(ids[4], lieu, "f"),      // 9: blocked
        utilisation(ids[5], lieu, "avant"),  // 10: nonce used before the batch
    ];
    let r = s
        .utiliser_lot(&lot, GardePass::Active)
        .await
        .expect("batch");
    assert_eq!(r.len(), lot.len());
    let premiere = creee(&r[0]);
    assert_eq!(
        (premiere.pass_id, premiere.code.as_str()),
        (ids[0], codes[0].as_str())
    );
    assert_eq!(r[1], Ok(Utilisation::Rejouee(premiere.clone())));
    assert_eq!(r[2], Ok(Utilisation::DejaUtilise(premiere.clone())));
    assert_eq!(r[3], Ok(Utilisation::NonceDejaServi));
    let quatre = creee(&r[4]);
    assert_eq!(r[5], Err(StoreError::NotFound));
    let six = creee(&r[6]);
    assert!(six.forcee);
    assert_eq!(r[7], Ok(Utilisation::Rejouee(ancienne.clone())));
    assert_eq!(r[8], Ok(Utilisation::DejaUtilise(ancienne.clone())));
    assert_eq!(
        r[9],
        Ok(Utilisation::EtatRefuse {
            etat: ETAT_BLOQUE.into()
        })
    );
    assert_eq!(r[10], Ok(Utilisation::NonceDejaServi));
    // Chained in arrival order right after the head: nothing waits.
    assert_eq!(
        (premiere.journal_seq, quatre.journal_seq, six.journal_seq),
        (tete.seq + 1, tete.seq + 2, tete.seq + 3)
    );
    assert_eq!(s.registre_en_attente().await.expect("queue"), 0);
    // What was stored is what was answered.
    for (i, u) in [(0, &premiere), (1, &quatre), (2, &six)] {
        assert_eq!(
            s.utilisations_du_pass(ids[i]).await.expect("rows"),
            vec![u.clone()],
            "pass {i}"
        );
        let p = s
            .pass_par_code(&codes[i])
            .await
            .expect("read")
            .expect("pass");
        assert_eq!(p.etat, ETAT_UTILISE, "pass {i}");
    }
    for i in [4, 5] {
        assert!(s
            .utilisations_du_pass(ids[i])
            .await
            .expect("rows")
            .is_empty());
    }
    let p = s
        .pass_par_code(&codes[5])
        .await
        .expect("read")
        .expect("pass");
    assert_eq!(p.etat, ETAT_DISTRIBUE);
    let incidents = s
        .incidents_du_programme(p.programme_id)
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].utilisation_id, six.id);
    let registre = s.pass_journal(tete.seq, 100).await.expect("ledger");
    let objets: Vec<_> = registre
        .iter()
        .map(|e| (e.seq, e.contenu.action.as_str(), e.contenu.mandat_id))
        .collect();
    assert_eq!(
        objets,
        vec![
            (tete.seq + 1, ACTION_UTILISATION, Some(ids[0])),
            (tete.seq + 2, ACTION_UTILISATION, Some(ids[1])),
            (tete.seq + 3, ACTION_UTILISATION, Some(ids[2])),
        ]
    );
    assert!(registre[2].contenu.details.contains("hors_ligne_le"));
    let rapport = verifier(&s).await;
    assert!(rapport.intact(), "{:?}", rapport.rupture);
    // A later single redemption sees the batch.
    assert_eq!(
        s.utiliser(&utilisation(ids[1], lieu, "c"), GardePass::Active)
            .await
            .expect("replay"),
        Utilisation::Rejouee(quatre)
    );
}

/// An empty batch writes nothing; the control run's batch goes one request at a time
/// through the unguarded path (its rows flagged, outside the unique indexes).
pub async fn pass_lot_empty_and_unguarded(s: S, _b: B) {
    let (lieu, ids, _) = monde(&s, 1).await;
    let tete = s.pass_journal_head().await.expect("head");
    assert!(s
        .utiliser_lot(&[], GardePass::Active)
        .await
        .expect("empty")
        .is_empty());
    assert_eq!(s.pass_journal_head().await.expect("head"), tete);
    let r = s
        .utiliser_lot(
            &[
                utilisation(ids[0], lieu, "x"),
                utilisation(ids[0], lieu, "y"),
            ],
            GardePass::DesactiveePourEssai,
        )
        .await
        .expect("batch");
    creee(&r[0]);
    // One after the other, the second reads the pass already used.
    assert_eq!(
        r[1],
        Ok(Utilisation::EtatRefuse {
            etat: ETAT_UTILISE.into()
        })
    );
}

/// Concurrent batches, each with several requests for one pass (distinct nonces) among
/// others: one redemption of that pass in all, every other pass redeemed once.
pub async fn pass_double_depense_lots_concurrents_one_wins(s: S, _b: B) {
    const LOTS: usize = 8;
    const PAR_LOT: usize = 5;
    let (lieu, ids, _) = monde(&s, 1 + LOTS).await;
    let barriere = Arc::new(tokio::sync::Barrier::new(LOTS));
    let taches: Vec<_> = (0..LOTS)
        .map(|l| {
            let s = Arc::clone(&s);
            let barriere = Arc::clone(&barriere);
            let mut lot: Vec<NewUtilisation> = (0..PAR_LOT)
                .map(|i| utilisation(ids[0], lieu, &format!("n-{l}-{i}")))
                .collect();
            lot.insert(2, utilisation(ids[1 + l], lieu, &format!("autre-{l}")));
            tokio::spawn(async move {
                barriere.wait().await;
                s.utiliser_lot(&lot, GardePass::Active).await
            })
        })
        .collect();
    let mut creees = 0;
    for (l, t) in taches.into_iter().enumerate() {
        let r = t.await.expect("task").expect("batch");
        assert_eq!(r.len(), PAR_LOT + 1);
        // Its own pass: always new.
        assert_eq!(creee(&r[2]).pass_id, ids[1 + l]);
        for (i, x) in r.iter().enumerate().filter(|(i, _)| *i != 2) {
            match x {
                Ok(Utilisation::Creee(_)) => creees += 1,
                Ok(Utilisation::DejaUtilise(u)) => assert_eq!(u.pass_id, ids[0]),
                autre => panic!("request {i}: {autre:?}"),
            }
        }
    }
    assert_eq!(creees, 1);
    assert_eq!(s.utilisations_du_pass(ids[0]).await.expect("rows").len(), 1);
    for &id in &ids[1..] {
        assert_eq!(s.utilisations_du_pass(id).await.expect("rows").len(), 1);
    }
    let r = verifier(&s).await;
    assert!(r.intact(), "{:?}", r.rupture);
    assert_eq!(s.registre_en_attente().await.expect("queue"), 0);
}

/// One nonce of one place sent for many passes at once, by single redemptions and by
/// batches racing each other: it serves once. On PostgreSQL a batch may find the nonce
/// taken by a single redemption not yet committed when it read (its insert refused by the
/// unique index): it then answers one request after the other, never an error.
pub async fn pass_double_depense_lots_et_unitaires_meme_nonce(s: S, _b: B) {
    const N: usize = 24;
    let (lieu, ids, _) = monde(&s, N).await;
    let barriere = Arc::new(tokio::sync::Barrier::new(N / 2));
    let taches: Vec<_> = (0..N / 2)
        .map(|k| {
            let s = Arc::clone(&s);
            let barriere = Arc::clone(&barriere);
            let (a, b) = (ids[2 * k], ids[2 * k + 1]);
            tokio::spawn(async move {
                barriere.wait().await;
                if k % 2 == 0 {
                    let mut r = Vec::new();
                    for id in [a, b] {
                        r.push(
                            s.utiliser(&utilisation(id, lieu, "meme"), GardePass::Active)
                                .await,
                        );
                    }
                    r
                } else {
                    s.utiliser_lot(
                        &[utilisation(a, lieu, "meme"), utilisation(b, lieu, "meme")],
                        GardePass::Active,
                    )
                    .await
                    .expect("batch")
                }
            })
        })
        .collect();
    let mut creees = 0;
    for t in taches {
        for r in t.await.expect("task") {
            match r {
                Ok(Utilisation::Creee(_)) => creees += 1,
                Ok(Utilisation::NonceDejaServi) => {}
                autre => panic!("{autre:?}"),
            }
        }
    }
    assert_eq!(creees, 1);
    let mut lignes = 0;
    for &id in &ids {
        lignes += s.utilisations_du_pass(id).await.expect("rows").len();
    }
    assert_eq!(lignes, 1);
    let r = verifier(&s).await;
    assert!(r.intact(), "{:?}", r.rupture);
}

/// The backend's statements that drop the pass journal's triggers (those of the Mandats
/// journal with the table renamed).
async fn sans_declencheurs(b: &B) {
    for sql in b.sans_declencheurs() {
        if sql.contains("sceaux") {
            continue;
        }
        let sql = sql.replace("journal", "pass_journal");
        b.executer(&sql).await.expect(&sql);
    }
}

pub async fn tamper_pass_triggers_refuse_update_and_delete(s: S, b: B) {
    monde(&s, 2).await;
    for sql in [
        "UPDATE pass_journal SET details = '{}' WHERE seq = 3",
        "DELETE FROM pass_journal WHERE seq = 5",
    ] {
        let err = b.executer(sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert!(verifier(&s).await.intact());
}

pub async fn tamper_pass_modified_entry_is_named(s: S, b: B) {
    let (lieu, ids, _) = monde(&s, 2).await;
    s.utiliser(&utilisation(ids[0], lieu, "n"), GardePass::Active)
        .await
        .expect("redeem");
    sans_declencheurs(&b).await;
    // A redemption's amount raised in the ledger.
    assert_eq!(
        b.executer(
            "UPDATE pass_journal SET details = replace(details, '1000', '9000') WHERE seq = 6"
        )
        .await,
        Ok(1)
    );
    let r = verifier(&s).await;
    let rupture = r.rupture.clone().expect("tampering detected");
    assert_eq!(
        (rupture.seq, rupture.raison),
        (6, RaisonRupture::ContenuModifie)
    );
    assert_eq!(r.derniere, 5);
}

/// The end of the pass stream deleted (triggers dropped) after a seal: the seal names it;
/// a Mandats seal stored among the pass seals is refused as forged; the seals' table is
/// append-only.
pub async fn tamper_pass_deleted_end_caught_by_its_seal(s: S, b: B) {
    monde(&s, 2).await;
    let tete = s.pass_journal_head().await.expect("head");
    s.add_sceau_pass(&Sceau::signer_flux(
        Flux::Pass,
        &cle(),
        tete.seq,
        tete.hash,
        5,
    ))
    .await
    .expect("seal");
    let r = verifier(&s).await;
    assert!(r.intact(), "{:?}", r.rupture);
    assert_eq!(r.sceaux, 1);
    let err = b
        .executer(&format!(
            "DELETE FROM pass_journal_sceaux WHERE seq = {}",
            tete.seq
        ))
        .await
        .expect_err("seals are append-only");
    assert!(err.contains("append-only"), "{err}");
    sans_declencheurs(&b).await;
    assert_eq!(
        b.executer(&format!(
            "DELETE FROM pass_journal WHERE seq = {}",
            tete.seq
        ))
        .await,
        Ok(1)
    );
    let rupture = verifier(&s).await.rupture.expect("deletion detected");
    assert_eq!(
        (rupture.seq, rupture.raison),
        (tete.seq, RaisonRupture::Tronque)
    );
    // A seal of the Mandats stream (same key, same seq and hash) is not a pass seal.
    let faux = Sceau::signer(&cle(), 1, tete.hash, 6);
    s.add_sceau_pass(&faux).await.expect("stored");
    let rupture = verifier(&s).await.rupture.expect("forged seal");
    assert_eq!(rupture.raison, RaisonRupture::SceauFalsifie);
}
