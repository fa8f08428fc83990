//! The contract cases of [`EnqueteStore`](crate::EnqueteStore), run by both backends with
//! `maillage_store::enquete_contract_tests!(fresh_store());`.
//!
//! The sync cases have `enquete_sync` in their names: `cargo test enquete_sync` runs them
//! on both backends.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::comptes::NewCompte;
use crate::enquete::{
    NewAdresse, NewCampagne, NewQuestionnaire, NewReponse, NewVisite, ISSUE_ABSENT, ISSUE_FAIT,
    ISSUE_REFUS,
};
use crate::StoreError;

/// Expands to one `#[tokio::test]` per Enquête contract case.
#[macro_export]
macro_rules! enquete_contract_tests {
    ($make:expr) => {
        $crate::enquete_contract_tests!(@cases $make;
            enquete_campagne_round_trip_and_questionnaire_frozen_once_collection_starts,
            enquete_sync_reupload_stores_nothing_twice,
            enquete_sync_concurrent_devices_same_uuid_one_submission,
            enquete_sync_empty_batch_changes_nothing,
            enquete_counts_per_commune_and_outcome,
            enquete_campagne_edited_consent_frozen_once_collection_starts,
            enquete_helps_at_the_door_are_counted,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::contract::run_mediation_case(
                    $make,
                    $crate::contract_enquete::$case,
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

fn jour(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, d).expect("valid date")
}

/// A questionnaire, a campaign on two communes, one surveyor and `n` addresses on the
/// first commune: `(campaign, questionnaire, surveyor, address ids)`.
async fn monde(s: &S, n: usize) -> (i64, i64, i64, Vec<i64>) {
    let q = s
        .creer_questionnaire(&NewQuestionnaire {
            code: "standard".into(),
            version: 1,
            contenu: r#"{"questions":[]}"#.into(),
            created_at: t(1, 9),
        })
        .await
        .expect("questionnaire");
    let c = s
        .creer_campagne(&NewCampagne {
            intitule: "Enquête Sicoval".into(),
            territoire: "epci:243100633".into(),
            debut: jour(4),
            fin: jour(30),
            questionnaire_id: q,
            consentement: "Vos réponses sont anonymes.".into(),
            cibles: vec![("31056".into(), 40), ("31113".into(), 20)],
            cree_par: "admin:cli".into(),
            created_at: t(1, 10),
        })
        .await
        .expect("campaign");
    let e = s
        .create_compte(NewCompte {
            email: "enqueteur@example.org".into(),
            nom: "Enquêteur".into(),
            role: "mediateur".into(),
            structure_id: None,
            password_hash: "$argon2id$x".into(),
            created_at: t(1, 9),
        })
        .await
        .expect("account");
    s.ajouter_enqueteur(c, e, "31056").await.expect("surveyor");
    let adresses: Vec<NewAdresse> = (0..n)
        .map(|i| NewAdresse {
            commune: "31056".into(),
            iris: Some("310560101".into()),
            adresse: format!("{} rue des Lilas", i + 1),
            enqueteur_compte_id: Some(e),
        })
        .collect();
    let ids = s.ajouter_adresses(c, &adresses).await.expect("addresses");
    (c, q, e, ids)
}

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn reponse(c: i64, q: i64, i: usize, illectronisme: bool) -> NewReponse {
    NewReponse {
        uuid: uuid(i),
        campagne_id: c,
        questionnaire_id: q,
        commune: if i.is_multiple_of(3) {
            "31113"
        } else {
            "31056"
        }
        .into(),
        iris: None,
        reponses: format!(r#"{{"internet_3mois":"{}"}}"#, !illectronisme),
        score_information: if illectronisme { 0 } else { 2 },
        score_communication: if illectronisme { 0 } else { 1 },
        score_resolution: 0,
        score_logiciels: if illectronisme { 0 } else { 1 },
        internet_3mois: !illectronisme,
        illectronisme,
        // Households of 1, 2, 3, 4 people, then one that did not say.
        personnes_foyer: (i % 5 < 4).then_some(i as i64 % 5 + 1),
        collecte_at: t(5, 10) + Duration::minutes(i as i64),
        recu_at: t(5, 18),
    }
}

fn visite(c: i64, adresse: i64, e: i64, i: usize, issue: &str) -> NewVisite {
    NewVisite {
        uuid: format!("v-{}", uuid(i)),
        campagne_id: c,
        adresse_id: adresse,
        issue: issue.into(),
        revisite: (issue == ISSUE_ABSENT).then(|| jour(12)),
        enqueteur_compte_id: e,
        visite_at: t(5, 10) + Duration::minutes(i as i64),
        recu_at: t(5, 18),
    }
}

pub async fn enquete_campagne_round_trip_and_questionnaire_frozen_once_collection_starts(s: S) {
    let (c, q1, e, adresses) = monde(&s, 2).await;
    let campagne = s.campagne(c).await.expect("read").expect("campaign");
    assert_eq!(campagne.intitule, "Enquête Sicoval");
    assert_eq!(campagne.debut, jour(4));
    assert_eq!(campagne.questionnaire_id, q1);
    assert_eq!(campagne.collecte_commencee_at, None);
    let cibles = s.cibles(c).await.expect("targets");
    assert_eq!(cibles.len(), 2);
    assert_eq!(cibles[0].commune, "31056");
    assert_eq!(cibles[0].cible_menages, 40);
    assert_eq!(s.enqueteurs(c).await.expect("surveyors")[0].compte_id, e);
    let lues = s.adresses(c).await.expect("addresses");
    assert_eq!(lues.len(), 2);
    assert_eq!(lues[1].adresse, "2 rue des Lilas");
    assert_eq!(lues[1].iris.as_deref(), Some("310560101"));

    // The same (code, version) twice is refused: a version is never rewritten.
    let doublon = s
        .creer_questionnaire(&NewQuestionnaire {
            code: "standard".into(),
            version: 1,
            contenu: r#"{"questions":["autre"]}"#.into(),
            created_at: t(2, 9),
        })
        .await;
    assert!(
        matches!(doublon, Err(StoreError::Conflict(_))),
        "{doublon:?}"
    );
    let q2 = s
        .creer_questionnaire(&NewQuestionnaire {
            code: "standard".into(),
            version: 2,
            contenu: r#"{"questions":["nouvelle"]}"#.into(),
            created_at: t(2, 9),
        })
        .await
        .expect("version 2");
    assert_eq!(
        s.questionnaire(q1)
            .await
            .expect("read")
            .expect("v1")
            .contenu,
        r#"{"questions":[]}"#
    );

    // Before collection: the campaign may move to version 2.
    assert!(s.changer_questionnaire(c, q2).await.expect("change"));
    assert!(s.changer_questionnaire(c, q1).await.expect("change back"));

    // The first visit starts collection; from then on the version is frozen.
    let sync = s
        .enregistrer_visites(&[visite(c, adresses[0], e, 1, ISSUE_ABSENT)])
        .await
        .expect("visit");
    assert_eq!(sync.nouveaux.len(), 1);
    let campagne = s.campagne(c).await.expect("read").expect("campaign");
    assert_eq!(campagne.collecte_commencee_at, Some(t(5, 18)));
    assert!(!s.changer_questionnaire(c, q2).await.expect("refused"));
    assert_eq!(
        s.campagne(c)
            .await
            .expect("read")
            .expect("campaign")
            .questionnaire_id,
        q1
    );
    let visites = s.visites(c).await.expect("visits");
    assert_eq!(visites[0].revisite, Some(jour(12)));
    assert_eq!(visites[0].issue, ISSUE_ABSENT);
}

pub async fn enquete_sync_reupload_stores_nothing_twice(s: S) {
    let (c, q, e, adresses) = monde(&s, 10).await;
    let visites: Vec<NewVisite> = adresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let issue = match i {
                0..=2 => ISSUE_ABSENT,
                3 => ISSUE_REFUS,
                _ => ISSUE_FAIT,
            };
            visite(c, *a, e, i, issue)
        })
        .collect();
    let reponses: Vec<NewReponse> = (0..6)
        .map(|i| reponse(c, q, i, i.is_multiple_of(2)))
        .collect();

    let v1 = s.enregistrer_visites(&visites).await.expect("visits");
    let r1 = s.enregistrer_reponses(&reponses).await.expect("answers");
    assert_eq!(v1.nouveaux.len(), 10);
    assert_eq!(r1.nouveaux.len(), 6);
    assert!(r1.deja_recus.is_empty());

    // The same upload again (the device did not hear the first answer).
    let v2 = s.enregistrer_visites(&visites).await.expect("visits again");
    let r2 = s
        .enregistrer_reponses(&reponses)
        .await
        .expect("answers again");
    assert!(v2.nouveaux.is_empty());
    assert_eq!(v2.deja_recus.len(), 10);
    assert!(r2.nouveaux.is_empty());
    assert_eq!(r2.deja_recus.len(), 6);

    // A later batch mixing old and new: only the new one is stored.
    let mut mixte = reponses[..2].to_vec();
    mixte.push(reponse(c, q, 6, false));
    let r3 = s.enregistrer_reponses(&mixte).await.expect("mixed");
    assert_eq!(r3.nouveaux, vec![uuid(6)]);
    assert_eq!(r3.deja_recus.len(), 2);

    let stockees = s.reponses(c).await.expect("answers");
    assert_eq!(stockees.len(), 7);
    let distinctes: HashSet<&str> = stockees.iter().map(|r| r.uuid.as_str()).collect();
    assert_eq!(distinctes.len(), 7);
    assert_eq!(s.visites(c).await.expect("visits").len(), 10);
    // What is stored is what was sent.
    let premiere = stockees
        .iter()
        .find(|r| r.uuid == uuid(0))
        .expect("answer 0");
    assert!(premiere.illectronisme);
    assert!(!premiere.internet_3mois);
    assert_eq!(premiere.commune, "31113");
    assert_eq!(premiere.collecte_at, t(5, 10));
    let deuxieme = stockees
        .iter()
        .find(|r| r.uuid == uuid(1))
        .expect("answer 1");
    assert_eq!(deuxieme.score_information, 2);
    assert_eq!(deuxieme.score_logiciels, 1);
}

pub async fn enquete_sync_concurrent_devices_same_uuid_one_submission(s: S) {
    let (c, q, e, adresses) = monde(&s, 20).await;
    let reponses: Vec<NewReponse> = (0..20)
        .map(|i| reponse(c, q, i, i.is_multiple_of(4)))
        .collect();
    let visites: Vec<NewVisite> = adresses
        .iter()
        .enumerate()
        .map(|(i, a)| visite(c, *a, e, i, ISSUE_FAIT))
        .collect();
    let appareils = 16;
    let mut taches = Vec::new();
    for k in 0..appareils {
        let s = s.clone();
        // Each device sends the batch in its own order (rotated, some reversed).
        let mut r = reponses.clone();
        r.rotate_left(k % 20);
        let mut v = visites.clone();
        v.rotate_left((3 * k) % 20);
        if k % 2 == 1 {
            r.reverse();
            v.reverse();
        }
        taches.push(tokio::spawn(async move {
            let rs = s.enregistrer_reponses(&r).await.expect("answers");
            let vs = s.enregistrer_visites(&v).await.expect("visits");
            (rs, vs)
        }));
    }
    let mut gagnants: Vec<String> = Vec::new();
    let mut visites_gagnantes: Vec<String> = Vec::new();
    let mut deja = 0;
    for t in taches {
        let (rs, vs) = t.await.expect("task");
        assert_eq!(rs.nouveaux.len() + rs.deja_recus.len(), 20);
        deja += rs.deja_recus.len();
        gagnants.extend(rs.nouveaux);
        visites_gagnantes.extend(vs.nouveaux);
    }
    // Every UUID was stored by exactly one device; all the others heard "already there".
    gagnants.sort();
    let attendus: Vec<String> = (0..20).map(uuid).collect();
    assert_eq!(gagnants, attendus);
    assert_eq!(deja, 20 * (appareils - 1));
    assert_eq!(visites_gagnantes.len(), 20);
    assert_eq!(s.reponses(c).await.expect("answers").len(), 20);
    assert_eq!(s.visites(c).await.expect("visits").len(), 20);
    let parcommune = s.comptes_par_commune(c).await.expect("counts");
    let total: i64 = parcommune.iter().map(|r| r.reponses).sum();
    assert_eq!(total, 20);
}

pub async fn enquete_sync_empty_batch_changes_nothing(s: S) {
    let (c, _, _, _) = monde(&s, 1).await;
    let r = s.enregistrer_reponses(&[]).await.expect("empty");
    let v = s.enregistrer_visites(&[]).await.expect("empty");
    assert!(r.nouveaux.is_empty() && r.deja_recus.is_empty());
    assert!(v.nouveaux.is_empty() && v.deja_recus.is_empty());
    // An empty sync does not start collection.
    let campagne = s.campagne(c).await.expect("read").expect("campaign");
    assert_eq!(campagne.collecte_commencee_at, None);
}

pub async fn enquete_counts_per_commune_and_outcome(s: S) {
    let (c, q, e, adresses) = monde(&s, 5).await;
    // Answers 0, 3, 6 are in 31113; illectronisme on 0, 2, 4, 6.
    let reponses: Vec<NewReponse> = (0..7)
        .map(|i| reponse(c, q, i, i.is_multiple_of(2)))
        .collect();
    s.enregistrer_reponses(&reponses).await.expect("answers");
    let comptes = s.comptes_par_commune(c).await.expect("counts");
    assert_eq!(comptes.len(), 2);
    assert_eq!(comptes[0].commune, "31056");
    assert_eq!(comptes[0].reponses, 4);
    assert_eq!(comptes[0].illectronisme, 2);
    assert_eq!(comptes[1].commune, "31113");
    assert_eq!(comptes[1].reponses, 3);
    assert_eq!(comptes[1].illectronisme, 2);
    // By household size: 31056 holds answers 1, 2, 4, 5 (sizes 2, 3, unknown, 1), 31113
    // holds 0, 3, 6 (sizes 1, 4, 2).
    assert_eq!(
        (comptes[0].seuls, comptes[0].seuls_illectronisme),
        (1, 0),
        "31056: answer 5 alone"
    );
    assert_eq!(
        (comptes[0].plusieurs, comptes[0].plusieurs_illectronisme),
        (2, 1)
    );
    assert_eq!((comptes[1].seuls, comptes[1].seuls_illectronisme), (1, 1));
    assert_eq!(
        (comptes[1].plusieurs, comptes[1].plusieurs_illectronisme),
        (2, 1)
    );

    let visites = vec![
        visite(c, adresses[0], e, 0, ISSUE_ABSENT),
        visite(c, adresses[0], e, 1, ISSUE_FAIT),
        visite(c, adresses[1], e, 2, ISSUE_REFUS),
        visite(c, adresses[2], e, 3, ISSUE_ABSENT),
    ];
    s.enregistrer_visites(&visites).await.expect("visits");
    let av = s.avancement(c).await.expect("progress");
    let trouve = |issue: &str| {
        av.iter()
            .find(|r| r.commune == "31056" && r.issue == issue)
            .map(|r| r.visites)
    };
    assert_eq!(trouve(ISSUE_ABSENT), Some(2));
    assert_eq!(trouve(ISSUE_FAIT), Some(1));
    assert_eq!(trouve(ISSUE_REFUS), Some(1));
    // Another campaign's answers are not counted.
    assert!(s.comptes_par_commune(c + 1).await.expect("none").is_empty());
}

pub async fn enquete_campagne_edited_consent_frozen_once_collection_starts(s: S) {
    let (c, _, e, adresses) = monde(&s, 1).await;
    let m = |intitule: &str, consentement: &str| crate::enquete::ModificationCampagne {
        intitule: intitule.into(),
        debut: jour(5),
        fin: jour(31),
        consentement: consentement.into(),
    };
    assert!(s
        .modifier_campagne(c, &m("Enquête du Sicoval", "Réponses anonymes, promis."))
        .await
        .expect("edit"));
    let lue = s.campagne(c).await.expect("read").expect("campaign");
    assert_eq!(lue.intitule, "Enquête du Sicoval");
    assert_eq!((lue.debut, lue.fin), (jour(5), jour(31)));
    assert_eq!(lue.consentement, "Réponses anonymes, promis.");
    // Collection starts: the consent wording stays, the rest still changes.
    s.enregistrer_visites(&[visite(c, adresses[0], e, 1, ISSUE_ABSENT)])
        .await
        .expect("visit");
    assert!(s
        .modifier_campagne(c, &m("Enquête 2027", "Autre texte."))
        .await
        .expect("edit"));
    let lue = s.campagne(c).await.expect("read").expect("campaign");
    assert_eq!(lue.intitule, "Enquête 2027");
    assert_eq!(lue.consentement, "Réponses anonymes, promis.");
    assert!(!s
        .modifier_campagne(c + 1000, &m("x", "y"))
        .await
        .expect("no such campaign"));
}

pub async fn enquete_helps_at_the_door_are_counted(s: S) {
    let (c, _, _, _) = monde(&s, 0).await;
    for genre in ["fiche", "cle", "fiche", "inscription", "fiche"] {
        s.compter_coup_de_main(c, "31056", genre, t(6, 11))
            .await
            .expect("counted");
    }
    let n = s.coups_de_main(c).await.expect("counts");
    let de = |g: &str| n.iter().find(|r| r.genre == g).map(|r| r.nombre);
    assert_eq!(
        (de("fiche"), de("inscription"), de("cle")),
        (Some(3), Some(1), Some(1))
    );
    // A kind outside the list is refused by the database.
    assert!(s
        .compter_coup_de_main(c, "31056", "autre", t(6, 11))
        .await
        .is_err());
    assert!(s.coups_de_main(c + 1).await.expect("none").is_empty());
}
