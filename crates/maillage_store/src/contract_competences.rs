//! The contract cases of [`CompetencesStore`](crate::CompetencesStore), run by both
//! backends with `maillage_store::competences_contract_tests!(fresh_store());`.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use crate::competences::{
    CalibrationRow, DomaineResultatRow, NewResultatCompetences, ParametreItemRow, ReponseAnonymeRow,
};
use crate::comptes::NewCompte;
use crate::mediation::NewBeneficiaire;
use crate::StoreError;

/// Expands to one `#[tokio::test]` per Compétences contract case.
#[macro_export]
macro_rules! competences_contract_tests {
    ($make:expr) => {
        $crate::competences_contract_tests!(@cases $make;
            competences_result_round_trip_with_answers,
            competences_beneficiary_history_in_order,
            competences_results_follow_a_merged_file,
            competences_invalid_result_writes_nothing,
            competences_aggregates_count_per_commune_domain_band,
            competences_calibrations_are_versions,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $case() {
                $crate::contract::run_mediation_case(
                    $make,
                    $crate::contract_competences::$case,
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

fn domaine(code: &str, theta: f64, bande: &str) -> DomaineResultatRow {
    DomaineResultatRow {
        domaine: code.into(),
        theta,
        ecart: 0.4,
        bande: bande.into(),
        questions: 3,
    }
}

fn resultat(commune: Option<&str>, bandes: &[&str], jour: u32) -> NewResultatCompetences {
    NewResultatCompetences {
        calibration: 1,
        questions: 15,
        commune: commune.map(String::from),
        beneficiaire_id: None,
        personne_id: None,
        mediateur_id: None,
        structure_id: None,
        consentement: None,
        created_at: t(jour, 10),
        domaines: bandes
            .iter()
            .enumerate()
            .map(|(i, b)| domaine(&(i + 1).to_string(), -0.5 + i as f64 * 0.25, b))
            .collect(),
        reponses: Vec::new(),
    }
}

async fn beneficiaire(s: &S) -> (i64, i64) {
    let m = s
        .create_compte(NewCompte {
            email: "m@example.org".into(),
            nom: "Médiatrice".into(),
            role: "mediateur".into(),
            structure_id: None,
            password_hash: "$argon2id$x".into(),
            created_at: t(1, 9),
        })
        .await
        .expect("account");
    let b = s
        .create_beneficiaire(NewBeneficiaire {
            mediateur_id: m,
            data: r#"{"prenom":"Ana"}"#.into(),
            cle_doublon: "ana".into(),
            partage_equipe: false,
            consentement_at: None,
            created_at: t(1, 9),
        })
        .await
        .expect("beneficiary");
    (m, b)
}

pub async fn competences_result_round_trip_with_answers(s: S) {
    let (m, b) = beneficiaire(&s).await;
    let mut r = resultat(Some("31555"), &["debutant", "a_l_aise"], 2);
    r.beneficiaire_id = Some(b);
    r.mediateur_id = Some(m);
    r.personne_id = Some(42);
    r.consentement = Some("J'accepte".into());
    r.reponses = vec![
        ReponseAnonymeRow {
            passation: "p1".into(),
            item: "e1.1-1".into(),
            reponse: "f".into(),
            calibration: 1,
        },
        ReponseAnonymeRow {
            passation: "p1".into(),
            item: "p1.1-2".into(),
            reponse: "0".into(),
            calibration: 1,
        },
    ];
    let id = s.create_resultat_competences(&r).await.expect("stored");
    let lu = s
        .resultat_competences(id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(lu.id, id);
    assert_eq!(lu.commune.as_deref(), Some("31555"));
    assert_eq!(lu.beneficiaire_id, Some(b));
    assert_eq!(lu.personne_id, Some(42));
    assert_eq!(lu.mediateur_id, Some(m));
    assert_eq!(lu.consentement.as_deref(), Some("J'accepte"));
    assert_eq!(lu.created_at, t(2, 10));
    assert_eq!(lu.domaines, r.domaines);
    assert_eq!(s.reponses_anonymes().await.expect("answers"), r.reponses);
    assert_eq!(s.resultat_competences(id + 100).await.expect("read"), None);
}

pub async fn competences_beneficiary_history_in_order(s: S) {
    let (_, b) = beneficiaire(&s).await;
    let mut second = resultat(None, &["autonome"], 20);
    second.beneficiaire_id = Some(b);
    let mut premier = resultat(None, &["debutant"], 3);
    premier.beneficiaire_id = Some(b);
    let id2 = s.create_resultat_competences(&second).await.expect("2");
    let id1 = s.create_resultat_competences(&premier).await.expect("1");
    s.create_resultat_competences(&resultat(None, &["debutant"], 4))
        .await
        .expect("anonymous");
    let h = s.resultats_du_beneficiaire(b).await.expect("history");
    assert_eq!(h.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id1, id2]);
    assert_eq!(h[1].domaines[0].bande, "autonome");
    let tous = s.resultats_avec_beneficiaire().await.expect("all");
    assert_eq!(tous.len(), 2);
}

pub async fn competences_results_follow_a_merged_file(s: S) {
    let (m, garde) = beneficiaire(&s).await;
    let absorbe = s
        .create_beneficiaire(NewBeneficiaire {
            mediateur_id: m,
            data: r#"{"prenom":"Ana B."}"#.into(),
            cle_doublon: "ana".into(),
            partage_equipe: false,
            consentement_at: None,
            created_at: t(2, 9),
        })
        .await
        .expect("second file");
    let mut a = resultat(None, &["debutant"], 3);
    a.beneficiaire_id = Some(absorbe);
    let mut g = resultat(None, &["autonome"], 20);
    g.beneficiaire_id = Some(garde);
    let id_a = s.create_resultat_competences(&a).await.expect("a");
    let id_g = s.create_resultat_competences(&g).await.expect("g");
    s.merge_beneficiaires(garde, absorbe).await.expect("merged");
    assert_eq!(
        s.deplacer_resultats_beneficiaire(absorbe, garde)
            .await
            .expect("moved"),
        1
    );
    let h = s.resultats_du_beneficiaire(garde).await.expect("history");
    assert_eq!(h.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id_a, id_g]);
    assert!(s
        .resultats_du_beneficiaire(absorbe)
        .await
        .expect("empty")
        .is_empty());
    // Again: nothing left to move.
    assert_eq!(
        s.deplacer_resultats_beneficiaire(absorbe, garde)
            .await
            .expect("again"),
        0
    );
}

pub async fn competences_invalid_result_writes_nothing(s: S) {
    let mut r = resultat(Some("31555"), &["debutant", "inconnue"], 2);
    r.reponses = vec![ReponseAnonymeRow {
        passation: "p".into(),
        item: "e1.1-1".into(),
        reponse: "f".into(),
        calibration: 1,
    }];
    assert!(matches!(
        s.create_resultat_competences(&r).await,
        Err(StoreError::Invalid(_))
    ));
    // A beneficiary that does not exist: the foreign key refuses it, nothing is written.
    let mut r = resultat(Some("31555"), &["debutant"], 2);
    r.beneficiaire_id = Some(9_999);
    r.reponses = vec![ReponseAnonymeRow {
        passation: "p".into(),
        item: "e1.1-1".into(),
        reponse: "f".into(),
        calibration: 1,
    }];
    assert!(s.create_resultat_competences(&r).await.is_err());
    assert!(s.reponses_anonymes().await.expect("answers").is_empty());
    assert!(s
        .agregats_competences()
        .await
        .expect("aggregates")
        .is_empty());
}

pub async fn competences_aggregates_count_per_commune_domain_band(s: S) {
    for _ in 0..3 {
        s.create_resultat_competences(&resultat(Some("31555"), &["debutant", "autonome"], 2))
            .await
            .expect("stored");
    }
    s.create_resultat_competences(&resultat(Some("31555"), &["a_l_aise", "autonome"], 2))
        .await
        .expect("stored");
    s.create_resultat_competences(&resultat(Some("75056"), &["debutant", "debutant"], 2))
        .await
        .expect("stored");
    s.create_resultat_competences(&resultat(None, &["debutant", "debutant"], 2))
        .await
        .expect("stored without commune");
    let a = s.agregats_competences().await.expect("aggregates");
    let n = |c: &str, d: &str, b: &str| {
        a.iter()
            .find(|x| x.commune == c && x.domaine == d && x.bande == b)
            .map(|x| x.nombre)
    };
    assert_eq!(n("31555", "1", "debutant"), Some(3));
    assert_eq!(n("31555", "1", "a_l_aise"), Some(1));
    assert_eq!(n("31555", "2", "autonome"), Some(4));
    assert_eq!(n("75056", "2", "debutant"), Some(1));
    assert_eq!(a.len(), 5, "{a:?}");
}

pub async fn competences_calibrations_are_versions(s: S) {
    assert!(s.calibrations().await.expect("none").is_empty());
    let c = CalibrationRow {
        version: 2,
        methode: "MML".into(),
        created_at: t(5, 8),
        parametres: vec![
            ParametreItemRow {
                item: "e1.1-1".into(),
                difficulte: -1.25,
                discrimination: 1.5,
            },
            ParametreItemRow {
                item: "e1.1-2".into(),
                difficulte: 0.5,
                discrimination: 1.0,
            },
        ],
    };
    s.create_calibration(&c).await.expect("written");
    assert!(matches!(
        s.create_calibration(&c).await,
        Err(StoreError::Conflict(_))
    ));
    let mut invalide = c.clone();
    invalide.version = 3;
    invalide.parametres[0].difficulte = f64::NAN;
    assert!(matches!(
        s.create_calibration(&invalide).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(s.calibrations().await.expect("read"), vec![c]);
}
