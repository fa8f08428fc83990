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
    GardePass, LieuQualifieRow, NewCarnet, NewDistribution, NewProgramme, NewUtilisation,
    Utilisation, ACTION_UTILISATION, ETAT_DISTRIBUE, ETAT_UTILISE,
};
use crate::Store;

#[macro_export]
macro_rules! pass_contract_tests {
    ($make:expr) => {
        $crate::pass_contract_tests!(@cases $make;
            pass_issue_distribute_redeem_replay_and_conflict,
            pass_double_depense_concurrent_redemptions_one_wins,
            pass_double_depense_control_without_guard_spends_twice,
            pass_double_depense_registre_each_redemption_chained_once,
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
