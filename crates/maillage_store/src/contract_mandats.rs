//! Contract cases of the Mandats store, and the tamper tests of its journal.
//!
//! The tamper cases act as an attacker with direct database access: through
//! [`AccesBrut`] they run SQL outside the store (dropping the append-only triggers where
//! needed) to modify, delete, reorder and insert journal rows, then check that
//! [`verifier_journal`] names the entry. Their names start with `tamper_` so
//! `cargo test tamper` runs them all, on both backends.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use maillage_domain::mandats::{
    Action, Chaine, Demarche, MotifRefus, NouvelleEntree, RaisonRupture, Rapport, Sceau, SigningKey,
};

use crate::comptes::NewCompte;
use crate::mandats::{verifier_journal, NewMandat, NewUsager, UsagerCible, Utilisation};
use crate::{Store, StoreError};

/// SQL access that bypasses the store, given by each backend's tests.
#[async_trait]
pub trait AccesBrut: Send + Sync {
    /// Runs one statement; the error text if the database refuses it.
    async fn executer(&self, sql: &str) -> Result<u64, String>;
    /// Statements that remove the journal's append-only triggers.
    fn sans_declencheurs(&self) -> Vec<&'static str>;
    /// A literal for binary data in this dialect.
    fn octets(&self, b: &[u8]) -> String;
}

#[macro_export]
macro_rules! mandats_contract_tests {
    ($make:expr) => {
        $crate::mandats_contract_tests!(@cases $make;
            mandats_create_use_refuse_revoke,
            mandats_same_demarche_replaced_in_same_structure_only,
            mandats_renewal_revokes_the_old_mandate,
            mandats_transfer_reminders_and_views,
            mandats_failed_creation_writes_nothing,
            mandats_purge_keeps_the_journal_intact,
            mandats_concurrent_uses_chain_without_gaps,
            mandats_habilitations,
            mandats_identifications_taken_once,
            faille_person_sessions_close_and_use_notes_are_purged,
            tamper_triggers_refuse_update_and_delete,
            tamper_modified_entry_is_named,
            tamper_deleted_entry_is_named,
            tamper_reordered_entries_are_named,
            tamper_inserted_entry_is_named,
            tamper_rewritten_chain_is_caught_by_the_seal,
            tamper_truncated_end_is_caught_by_the_seal,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::contract::run_mandats_case(
                    $make,
                    $crate::contract_mandats::$case,
                ).await;
            }
        )*
    };
}

type S = Arc<dyn Store>;
type B = Arc<dyn AccesBrut>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0)
        .single()
        .expect("date")
}

fn cle() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

struct Monde {
    structure: i64,
    autre_structure: i64,
    aidant: i64,
    autre_aidant: i64,
}

async fn monde(s: &S) -> Monde {
    let structure = s
        .create_structure("France Services Muret", None, Some("31395"))
        .await
        .unwrap();
    let autre_structure = s
        .create_structure("CCAS Blagnac", None, Some("31069"))
        .await
        .unwrap();
    let compte = |email: &str, st: i64| NewCompte {
        email: email.into(),
        nom: email.into(),
        role: "mediateur".into(),
        structure_id: Some(st),
        password_hash: "x".into(),
        created_at: t0(),
    };
    let aidant = s
        .create_compte(compte("aidant@muret.fr", structure))
        .await
        .unwrap();
    let autre_aidant = s
        .create_compte(compte("aidant@blagnac.fr", autre_structure))
        .await
        .unwrap();
    Monde {
        structure,
        autre_structure,
        aidant,
        autre_aidant,
    }
}

fn entree(action: Action, acteur: i64, at: DateTime<Utc>) -> NouvelleEntree {
    NouvelleEntree {
        at_us: at.timestamp_micros(),
        action: action.code().into(),
        acteur: format!("aidant:{acteur}"),
        structure_id: None,
        mandat_id: None,
        usager: None,
        demarches: String::new(),
        details: "{}".into(),
    }
}

fn nouveau_usager(m: &Monde, n: u32) -> UsagerCible {
    UsagerCible::Nouveau(NewUsager {
        pseudonyme: format!("u-{n:04}"),
        structure_id: m.structure,
        data: format!("{{\"nom\":\"Personne {n}\"}}"),
        code_cle: format!("K{n:05}"),
        code_hash: "h".into(),
        created_at: t0(),
        personne_id: None,
    })
}

fn empreinte(n: u32) -> String {
    format!("{n:064x}")
}

fn mandat(
    _m: &Monde,
    usager: UsagerCible,
    structure: i64,
    aidant: i64,
    demarches: &[Demarche],
    n: u32,
) -> NewMandat {
    NewMandat {
        usager,
        structure_id: structure,
        aidant_id: aidant,
        duree: "6m".into(),
        created_at: t0(),
        expire_at: t0() + Duration::days(182),
        demarches: demarches.to_vec(),
        empreinte: empreinte(n),
        modele: "2026-11".into(),
        document: "{}".into(),
        renouvelle: None,
    }
}

async fn creer(s: &S, nm: NewMandat) -> (i64, i64) {
    let aidant = nm.aidant_id;
    let at = nm.created_at;
    let c = s
        .create_mandat(nm, entree(Action::CreationMandat, aidant, at))
        .await
        .expect("mandate created");
    (c.id, c.usager_id)
}

async fn verifier(s: &S) -> Rapport {
    let sceaux = s.sceaux().await.unwrap();
    verifier_journal(s.as_ref(), sceaux, &cle().verifying_key(), 7)
        .await
        .unwrap()
}

fn utilisation(mandat_id: i64, d: Demarche, structure: i64, at: DateTime<Utc>) -> Utilisation {
    Utilisation {
        mandat_id,
        demarche: d,
        habilite: true,
        structure_aidant: Some(structure),
        at,
        note: None,
    }
}

async fn use_ok(s: &S, m: &Monde, mandat_id: i64, d: Demarche, at: DateTime<Utc>) {
    let mut e = entree(Action::Utilisation, m.aidant, at);
    e.mandat_id = Some(mandat_id);
    e.demarches = d.code().into();
    s.record_utilisation(utilisation(mandat_id, d, m.structure, at), e)
        .await
        .unwrap()
        .expect("use allowed");
}

pub async fn mandats_create_use_refuse_revoke(s: S, _b: B) {
    let m = monde(&s).await;
    let (id, usager) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Logement, Demarche::Social],
            1,
        ),
    )
    .await;
    let row = s.mandat(id).await.unwrap().unwrap();
    assert_eq!(row.usager_id, usager);
    assert_eq!(
        row.autorisations
            .iter()
            .map(|a| a.demarche)
            .collect::<Vec<_>>(),
        vec![Demarche::Social, Demarche::Logement]
    );
    assert_eq!(
        s.mandat_by_empreinte(&empreinte(1))
            .await
            .unwrap()
            .map(|r| r.id),
        Some(id)
    );
    let u = s.usager(usager).await.unwrap().unwrap();
    assert_eq!(
        s.usager_by_cle("K00001").await.unwrap().map(|u| u.id),
        Some(usager)
    );

    let at = t0() + Duration::hours(1);
    use_ok(&s, &m, id, Demarche::Social, at).await;
    // Out of scope: a refusal entry, nothing else.
    let (motif, refus) = s
        .record_utilisation(
            utilisation(id, Demarche::Argent, m.structure, at),
            entree(Action::Utilisation, m.aidant, at),
        )
        .await
        .unwrap()
        .expect_err("refused");
    assert_eq!(
        motif,
        MotifRefus::HorsPerimetre {
            demarche: Demarche::Argent
        }
    );
    assert_eq!(refus.contenu.action, "refus_utilisation");
    assert_eq!(refus.contenu.details, "{\"motif\":\"hors_perimetre\"}");
    // Another structure.
    let (motif, _) = s
        .record_utilisation(
            utilisation(id, Demarche::Social, m.autre_structure, at),
            entree(Action::Utilisation, m.autre_aidant, at),
        )
        .await
        .unwrap()
        .expect_err("refused");
    assert_eq!(motif, MotifRefus::AutreStructure);
    // The person revokes one démarche.
    let mut rev = entree(Action::RevocationDemarche, 0, at + Duration::hours(1));
    rev.acteur = format!("usager:{}", u.pseudonyme);
    let e = s
        .revoke(id, Some(vec![Demarche::Logement]), "usager", rev.clone())
        .await
        .unwrap()
        .expect("revoked");
    assert_eq!(
        (e.contenu.action.as_str(), e.contenu.demarches.as_str()),
        ("revocation_demarche", "logement")
    );
    // Revoking it again writes nothing.
    assert_eq!(
        s.revoke(id, Some(vec![Demarche::Logement]), "usager", rev.clone())
            .await
            .unwrap(),
        None
    );
    let (motif, _) = s
        .record_utilisation(
            utilisation(id, Demarche::Logement, m.structure, at + Duration::hours(2)),
            entree(Action::Utilisation, m.aidant, at),
        )
        .await
        .unwrap()
        .expect_err("refused");
    assert_eq!(
        motif,
        MotifRefus::DemarcheRevoquee {
            demarche: Demarche::Logement
        }
    );
    // Revoking the last one ends the mandate.
    let e = s
        .revoke(id, None, "aidant", rev)
        .await
        .unwrap()
        .expect("revoked");
    assert_eq!(
        (e.contenu.action.as_str(), e.contenu.demarches.as_str()),
        ("revocation_mandat", "social")
    );
    let row = s.mandat(id).await.unwrap().unwrap();
    assert!(row.revoque_at.is_some());
    assert_eq!(row.revoque_par.as_deref(), Some("aidant"));
    // Unknown mandate: nothing written.
    let avant = s.journal_head().await.unwrap();
    assert!(matches!(
        s.record_utilisation(
            utilisation(9999, Demarche::Social, m.structure, at),
            entree(Action::Utilisation, m.aidant, at)
        )
        .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.journal_head().await.unwrap(), avant);

    let journal = s.journal_of_mandat(id).await.unwrap();
    let actions: Vec<&str> = journal.iter().map(|e| e.contenu.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "creation_mandat",
            "utilisation",
            "refus_utilisation",
            "refus_utilisation",
            "revocation_demarche",
            "refus_utilisation",
            "revocation_mandat"
        ]
    );
    assert!(journal
        .iter()
        .all(|e| e.contenu.usager.as_deref() == Some(u.pseudonyme.as_str())));
    assert!(journal
        .iter()
        .all(|e| e.contenu.structure_id == Some(m.structure)));
    assert_eq!(
        s.journal_of_usager(&u.pseudonyme).await.unwrap()[0]
            .contenu
            .mandat_id,
        Some(id)
    );
    let r = verifier(&s).await;
    assert!(r.intact(), "{r:?}");
    assert_eq!(r.derniere, 7);
}

pub async fn mandats_same_demarche_replaced_in_same_structure_only(s: S, _b: B) {
    let m = monde(&s).await;
    let (ancien, usager) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Logement, Demarche::Social],
            1,
        ),
    )
    .await;
    // The same person in another structure.
    let (ailleurs, _) = creer(
        &s,
        mandat(
            &m,
            UsagerCible::Existant(usager),
            m.autre_structure,
            m.autre_aidant,
            &[Demarche::Logement],
            2,
        ),
    )
    .await;
    let nm = NewMandat {
        created_at: t0() + Duration::days(1),
        expire_at: t0() + Duration::days(40),
        ..mandat(
            &m,
            UsagerCible::Existant(usager),
            m.structure,
            m.aidant,
            &[Demarche::Logement, Demarche::Argent],
            3,
        )
    };
    let c = s
        .create_mandat(
            nm,
            entree(Action::CreationMandat, m.aidant, t0() + Duration::days(1)),
        )
        .await
        .unwrap();
    assert_eq!(c.entrees.len(), 2, "creation + one revocation");
    assert_eq!(c.entrees[1].contenu.action, "revocation_demarche");
    assert_eq!(c.entrees[1].contenu.mandat_id, Some(ancien));
    assert_eq!(c.entrees[1].contenu.demarches, "logement");
    assert_eq!(
        c.entrees[1].contenu.details,
        format!("{{\"motif\":\"remplacee\",\"par_mandat\":{}}}", c.id)
    );
    let a = s.mandat(ancien).await.unwrap().unwrap();
    let logement = a
        .autorisations
        .iter()
        .find(|x| x.demarche == Demarche::Logement)
        .unwrap();
    assert_eq!(logement.revoquee_par.as_deref(), Some("remplacee"));
    assert!(a.revoque_at.is_none(), "social is still active");
    let b = s.mandat(ailleurs).await.unwrap().unwrap();
    assert!(
        b.autorisations.iter().all(|x| x.revoquee_at.is_none()),
        "other structure untouched"
    );
    assert_eq!(s.mandats_of_usager(usager).await.unwrap().len(), 3);
    assert_eq!(
        s.mandats_of_structure(m.structure)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![c.id, ancien]
    );
    let noms: Vec<i64> = s
        .usagers_of_structure(m.autre_structure)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(noms, vec![usager]);
    assert!(verifier(&s).await.intact());
}

pub async fn mandats_renewal_revokes_the_old_mandate(s: S, _b: B) {
    let m = monde(&s).await;
    let (ancien, usager) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Social, Demarche::Papiers],
            1,
        ),
    )
    .await;
    let mut nm = mandat(
        &m,
        UsagerCible::Existant(usager),
        m.structure,
        m.aidant,
        &[Demarche::Social],
        2,
    );
    nm.renouvelle = Some(ancien);
    let c = s
        .create_mandat(nm, entree(Action::Renouvellement, m.aidant, t0()))
        .await
        .unwrap();
    assert_eq!(c.entrees[0].contenu.action, "renouvellement");
    assert_eq!(c.entrees[1].contenu.action, "revocation_mandat");
    assert_eq!(c.entrees[1].contenu.demarches, "papiers,social");
    let a = s.mandat(ancien).await.unwrap().unwrap();
    assert_eq!(a.revoque_par.as_deref(), Some("renouvellement"));
    assert_eq!(
        s.mandat(c.id).await.unwrap().unwrap().renouvelle,
        Some(ancien)
    );
    // A renewal cannot take another person's mandate.
    let (autre, _) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 2),
            m.structure,
            m.aidant,
            &[Demarche::Social],
            3,
        ),
    )
    .await;
    let mut faux = mandat(
        &m,
        UsagerCible::Existant(usager),
        m.structure,
        m.aidant,
        &[Demarche::Social],
        4,
    );
    faux.renouvelle = Some(autre);
    let avant = s.journal_head().await.unwrap();
    assert!(matches!(
        s.create_mandat(faux, entree(Action::Renouvellement, m.aidant, t0()))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(s.journal_head().await.unwrap(), avant);
    assert!(s.mandat(autre).await.unwrap().unwrap().revoque_at.is_none());
}

pub async fn mandats_transfer_reminders_and_views(s: S, _b: B) {
    let m = monde(&s).await;
    let (id, _) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Social],
            1,
        ),
    )
    .await;
    let mut court = mandat(
        &m,
        nouveau_usager(&m, 2),
        m.structure,
        m.aidant,
        &[Demarche::Famille],
        2,
    );
    court.expire_at = t0() + Duration::days(5);
    let (court_id, _) = creer(&s, court).await;
    let a_rappeler = s
        .mandats_due_rappel(t0(), t0() + Duration::days(7))
        .await
        .unwrap();
    assert_eq!(
        a_rappeler.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![court_id]
    );
    assert!(s
        .mark_rappel(court_id, entree(Action::RappelExpiration, 0, t0()))
        .await
        .unwrap()
        .is_some());
    assert!(s
        .mark_rappel(court_id, entree(Action::RappelExpiration, 0, t0()))
        .await
        .unwrap()
        .is_none());
    assert!(s
        .mandats_due_rappel(t0(), t0() + Duration::days(7))
        .await
        .unwrap()
        .is_empty());

    let e = s
        .transfer_mandat(
            id,
            m.autre_structure,
            entree(Action::Transfert, m.aidant, t0()),
        )
        .await
        .unwrap();
    assert_eq!(
        (e.contenu.action.as_str(), e.contenu.mandat_id),
        ("transfert", Some(id))
    );
    assert_eq!(
        s.mandat(id).await.unwrap().unwrap().structure_id,
        m.autre_structure
    );
    assert!(matches!(
        s.transfer_mandat(999, m.structure, entree(Action::Transfert, m.aidant, t0()))
            .await,
        Err(StoreError::NotFound)
    ));
    let mut vue = entree(Action::Consultation, m.autre_aidant, t0());
    vue.mandat_id = Some(id);
    let e = s.append_entree(vue).await.unwrap();
    assert_eq!(e.seq, s.journal_head().await.unwrap().seq);
    assert_eq!(s.journal(0, 100).await.unwrap().len() as i64, e.seq);
    assert_eq!(
        s.journal(2, 2)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(verifier(&s).await.intact());
}

pub async fn mandats_failed_creation_writes_nothing(s: S, _b: B) {
    let m = monde(&s).await;
    creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Social],
            1,
        ),
    )
    .await;
    let avant = s.journal_head().await.unwrap();
    // Same fingerprint: refused after the new person was inserted — rolled back.
    let err = s
        .create_mandat(
            mandat(
                &m,
                nouveau_usager(&m, 2),
                m.structure,
                m.aidant,
                &[Demarche::Social],
                1,
            ),
            entree(Action::CreationMandat, m.aidant, t0()),
        )
        .await
        .expect_err("duplicate fingerprint");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(s.journal_head().await.unwrap(), avant);
    assert!(s.usager_by_cle("K00002").await.unwrap().is_none());
    let vide = NewMandat {
        demarches: vec![],
        ..mandat(&m, nouveau_usager(&m, 3), m.structure, m.aidant, &[], 3)
    };
    assert!(matches!(
        s.create_mandat(vide, entree(Action::CreationMandat, m.aidant, t0()))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(s.journal_head().await.unwrap(), avant);
}

pub async fn mandats_purge_keeps_the_journal_intact(s: S, _b: B) {
    let m = monde(&s).await;
    let (id, usager) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Social],
            1,
        ),
    )
    .await;
    use_ok(&s, &m, id, Demarche::Social, t0()).await;
    let journal_avant = s.journal(0, 100).await.unwrap();
    assert!(s.purge_usager(usager, t0()).await.unwrap());
    assert!(!s.purge_usager(usager, t0()).await.unwrap());
    let u = s.usager(usager).await.unwrap().unwrap();
    assert_eq!((u.data, u.purge_at), (None, Some(t0())));
    assert_eq!(s.mandat(id).await.unwrap().unwrap().document, None);
    assert_eq!(s.journal(0, 100).await.unwrap(), journal_avant);
    for e in &journal_avant {
        assert!(
            !e.contenu.details.contains("Personne"),
            "no personal data in the journal"
        );
    }
    assert!(verifier(&s).await.intact());
}

/// « Fermer » ends the person's sessions on every node (a generation in the database), and a
/// use's note is kept apart from the journal, only for allowed uses, and purged.
pub async fn faille_person_sessions_close_and_use_notes_are_purged(s: S, _b: B) {
    let m = monde(&s).await;
    let (id, usager) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Social],
            1,
        ),
    )
    .await;
    assert_eq!(s.usager_session_epoch(usager).await.unwrap(), 0);
    assert_eq!(s.close_usager_sessions(usager).await.unwrap(), 1);
    assert_eq!(s.close_usager_sessions(usager).await.unwrap(), 2);
    assert_eq!(s.usager_session_epoch(usager).await.unwrap(), 2);
    assert!(matches!(
        s.usager_session_epoch(usager + 1000).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.close_usager_sessions(usager + 1000).await,
        Err(StoreError::NotFound)
    ));

    let avec_note = |d: Demarche, note: &str| {
        let mut u = utilisation(id, d, m.structure, t0());
        u.note = Some(note.to_string());
        let mut e = entree(Action::Utilisation, m.aidant, t0());
        e.demarches = d.code().into();
        (u, e)
    };
    let (u, e) = avec_note(Demarche::Social, "Dossier RSA déposé");
    let ok = s.record_utilisation(u, e).await.unwrap().expect("allowed");
    let (u, e) = avec_note(Demarche::Argent, "jamais gardée");
    assert!(s.record_utilisation(u, e).await.unwrap().is_err());
    assert_eq!(
        s.utilisation_notes(id).await.unwrap(),
        vec![(ok.seq, "Dossier RSA déposé".to_string())]
    );
    for e in s.journal(0, 100).await.unwrap() {
        assert!(!e.contenu.details.contains("RSA"), "no note in the journal");
    }
    assert!(s.purge_usager(usager, t0()).await.unwrap());
    assert!(s.utilisation_notes(id).await.unwrap().is_empty());
    assert!(verifier(&s).await.intact());
}

pub async fn mandats_concurrent_uses_chain_without_gaps(s: S, _b: B) {
    let m = Arc::new(monde(&s).await);
    let (id, _) = creer(
        &s,
        mandat(
            &m,
            nouveau_usager(&m, 1),
            m.structure,
            m.aidant,
            &[Demarche::Social, Demarche::Logement],
            1,
        ),
    )
    .await;
    let avant = s.journal_head().await.unwrap();
    let taches: Vec<_> = (0..50)
        .map(|i| {
            let s = Arc::clone(&s);
            let m = Arc::clone(&m);
            tokio::spawn(async move {
                let d = if i % 2 == 0 {
                    Demarche::Social
                } else {
                    Demarche::Logement
                };
                use_ok(&s, &m, id, d, t0() + Duration::seconds(i)).await;
            })
        })
        .collect();
    for t in taches {
        t.await.expect("use task");
    }
    let apres = s.journal_head().await.unwrap();
    assert_eq!(apres.seq, avant.seq + 50);
    let entrees = s.journal(avant.seq, 100).await.unwrap();
    assert_eq!(entrees.len(), 50);
    for (k, e) in entrees.iter().enumerate() {
        assert_eq!(e.seq, avant.seq + 1 + k as i64);
        assert_eq!(e.contenu.action, "utilisation");
    }
    let r = verifier(&s).await;
    assert!(r.intact(), "{r:?}");
    assert_eq!(r.derniere, apres.seq);
}

pub async fn mandats_habilitations(s: S, _b: B) {
    let m = monde(&s).await;
    assert!(s.habilitation(m.aidant).await.unwrap().is_none());
    s.add_habilitation(m.aidant, m.autre_aidant, t0())
        .await
        .unwrap();
    s.add_habilitation(m.aidant, m.aidant, t0() + Duration::days(1))
        .await
        .unwrap();
    let h = s.habilitation(m.aidant).await.unwrap().unwrap();
    assert_eq!((h.habilite_par, h.habilite_at), (m.autre_aidant, t0()));
    assert!(s.remove_habilitation(m.aidant).await.unwrap());
    assert!(!s.remove_habilitation(m.aidant).await.unwrap());
}

pub async fn mandats_identifications_taken_once(s: S, _b: B) {
    use crate::mandats::NatureIdentification::{Demande, Verifiee};
    let m = monde(&s).await;
    assert!(s.identification(m.aidant, Demande).await.unwrap().is_none());
    s.put_identification(m.aidant, Demande, "{\"v\":1}", t0())
        .await
        .unwrap();
    // Replaced by a newer request; the other nature and the other account are apart.
    s.put_identification(m.aidant, Demande, "{\"v\":2}", t0() + Duration::minutes(1))
        .await
        .unwrap();
    s.put_identification(m.aidant, Verifiee, "{\"i\":1}", t0())
        .await
        .unwrap();
    s.put_identification(
        m.autre_aidant,
        Demande,
        "{\"v\":3}",
        t0() + Duration::hours(1),
    )
    .await
    .unwrap();
    assert_eq!(
        s.identification(m.aidant, Demande).await.unwrap(),
        Some(("{\"v\":2}".to_string(), t0() + Duration::minutes(1)))
    );
    // Taken once, even by concurrent takers.
    let (x, y) = tokio::join!(
        s.take_identification(m.aidant, Demande),
        s.take_identification(m.aidant, Demande)
    );
    let pris: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
    assert_eq!(
        pris,
        vec![("{\"v\":2}".to_string(), t0() + Duration::minutes(1))]
    );
    assert!(s.identification(m.aidant, Demande).await.unwrap().is_none());
    assert!(s
        .identification(m.aidant, Verifiee)
        .await
        .unwrap()
        .is_some());
    // The purge forgets what was made before the instant given.
    assert_eq!(
        s.purge_identifications(t0() + Duration::minutes(30))
            .await
            .unwrap(),
        1
    );
    assert!(s
        .identification(m.aidant, Verifiee)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .take_identification(m.autre_aidant, Demande)
        .await
        .unwrap()
        .is_some());
}

/// A journal of 12 entries (3 mandates, uses), sealed at entry 8.
async fn journal_de_12(s: &S) -> Monde {
    let m = monde(s).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let (id, _) = creer(
            s,
            mandat(
                &m,
                nouveau_usager(&m, n),
                m.structure,
                m.aidant,
                &[Demarche::Social],
                n,
            ),
        )
        .await;
        ids.push(id);
    }
    for k in 0..9 {
        use_ok(
            s,
            &m,
            ids[k % 3],
            Demarche::Social,
            t0() + Duration::minutes(k as i64),
        )
        .await;
    }
    assert_eq!(s.journal_head().await.unwrap().seq, 12);
    let huit = &s.journal(7, 1).await.unwrap()[0];
    s.add_sceau(&Sceau::signer(
        &cle(),
        8,
        huit.hash,
        t0().timestamp_micros(),
    ))
    .await
    .unwrap();
    assert!(verifier(s).await.intact());
    m
}

async fn sans_declencheurs(b: &B) {
    for sql in b.sans_declencheurs() {
        b.executer(sql).await.expect("attacker drops the triggers");
    }
}

async fn rupture(s: &S) -> (i64, RaisonRupture) {
    let r = verifier(s).await;
    let rup = r
        .rupture
        .clone()
        .unwrap_or_else(|| panic!("tampering not detected: {r:?}"));
    (rup.seq, rup.raison)
}

pub async fn tamper_triggers_refuse_update_and_delete(s: S, b: B) {
    journal_de_12(&s).await;
    for sql in [
        "UPDATE journal SET demarches = 'argent' WHERE seq = 3",
        "DELETE FROM journal WHERE seq = 12",
        "UPDATE journal_sceaux SET at_us = 0 WHERE seq = 8",
        "DELETE FROM journal_sceaux WHERE seq = 8",
    ] {
        let err = b.executer(sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(s.journal(0, 100).await.unwrap().len(), 12);
    assert!(verifier(&s).await.intact());
}

pub async fn tamper_modified_entry_is_named(s: S, b: B) {
    journal_de_12(&s).await;
    sans_declencheurs(&b).await;
    assert_eq!(
        b.executer("UPDATE journal SET demarches = 'argent' WHERE seq = 5")
            .await,
        Ok(1)
    );
    assert_eq!(rupture(&s).await, (5, RaisonRupture::ContenuModifie));
    let r = verifier(&s).await;
    assert_eq!(r.derniere, 4);
    assert!(r.rupture.unwrap().message().contains("n° 5"));
}

pub async fn tamper_deleted_entry_is_named(s: S, b: B) {
    journal_de_12(&s).await;
    sans_declencheurs(&b).await;
    assert_eq!(b.executer("DELETE FROM journal WHERE seq = 6").await, Ok(1));
    assert_eq!(
        rupture(&s).await,
        (6, RaisonRupture::Manquante { suivante: 7 })
    );
}

pub async fn tamper_reordered_entries_are_named(s: S, b: B) {
    journal_de_12(&s).await;
    sans_declencheurs(&b).await;
    for sql in [
        "UPDATE journal SET seq = -4 WHERE seq = 4",
        "UPDATE journal SET seq = 4 WHERE seq = 5",
        "UPDATE journal SET seq = 5 WHERE seq = -4",
    ] {
        assert_eq!(b.executer(sql).await, Ok(1), "{sql}");
    }
    let (seq, raison) = rupture(&s).await;
    assert_eq!(seq, 4);
    assert!(
        matches!(
            raison,
            RaisonRupture::ChainageRompu | RaisonRupture::ContenuModifie
        ),
        "{raison:?}"
    );
}

pub async fn tamper_inserted_entry_is_named(s: S, b: B) {
    journal_de_12(&s).await;
    sans_declencheurs(&b).await;
    // The attacker makes room at 10 and writes a well-formed entry chained to entry 9.
    let neuf = s.journal(8, 1).await.unwrap().remove(0);
    for sql in [
        "UPDATE journal SET seq = -seq WHERE seq >= 10",
        "UPDATE journal SET seq = 1 - seq WHERE seq < 0",
    ] {
        b.executer(sql).await.expect(sql);
    }
    let mut c = Chaine {
        seq: 9,
        hash: neuf.hash,
    };
    let mut faux = neuf.contenu.clone();
    faux.demarches = "argent".into();
    let e = c.ajouter(faux, &mut Vec::new());
    let sql = format!(
        "INSERT INTO journal (seq, at_us, action, acteur, structure_id, mandat_id, usager, demarches, details, prev_hash, hash)
         VALUES (10, {}, '{}', '{}', {}, {}, '{}', '{}', '{}', {}, {})",
        e.contenu.at_us,
        e.contenu.action,
        e.contenu.acteur,
        e.contenu.structure_id.map_or("NULL".into(), |v| v.to_string()),
        e.contenu.mandat_id.map_or("NULL".into(), |v| v.to_string()),
        e.contenu.usager.clone().unwrap_or_default(),
        e.contenu.demarches,
        e.contenu.details,
        b.octets(&e.prev_hash),
        b.octets(&e.hash),
    );
    assert_eq!(b.executer(&sql).await, Ok(1));
    assert_eq!(s.journal(0, 100).await.unwrap().len(), 13);
    assert_eq!(rupture(&s).await, (10, RaisonRupture::Inseree));
}

pub async fn tamper_rewritten_chain_is_caught_by_the_seal(s: S, b: B) {
    journal_de_12(&s).await;
    sans_declencheurs(&b).await;
    // A careful attacker changes entry 3 and recomputes every hash after it.
    let mut entrees = s.journal(0, 100).await.unwrap();
    entrees[2].contenu.demarches = "argent".into();
    let mut c = Chaine {
        seq: 2,
        hash: entrees[1].hash,
    };
    let mut tampon = Vec::new();
    for e in entrees.iter_mut().skip(2) {
        *e = c.ajouter(e.contenu.clone(), &mut tampon);
        let sql = format!(
            "UPDATE journal SET demarches = '{}', prev_hash = {}, hash = {} WHERE seq = {}",
            e.contenu.demarches,
            b.octets(&e.prev_hash),
            b.octets(&e.hash),
            e.seq
        );
        assert_eq!(b.executer(&sql).await, Ok(1));
    }
    let (seq, raison) = rupture(&s).await;
    assert_eq!(seq, 8, "the sealed entry");
    assert!(matches!(raison, RaisonRupture::DifferenteDuSceau { .. }));
    // Replacing the seal needs the instance's key: a seal signed with another key is named.
    b.executer("DELETE FROM journal_sceaux WHERE seq = 8")
        .await
        .expect("delete seal");
    let autre = SigningKey::from_bytes(&[1u8; 32]);
    let faux = Sceau::signer(&autre, 8, entrees[7].hash, 0);
    s.add_sceau(&faux).await.unwrap();
    assert_eq!(rupture(&s).await, (8, RaisonRupture::SceauFalsifie));
}

pub async fn tamper_truncated_end_is_caught_by_the_seal(s: S, b: B) {
    journal_de_12(&s).await;
    sans_declencheurs(&b).await;
    assert_eq!(
        b.executer("DELETE FROM journal WHERE seq >= 8").await,
        Ok(5)
    );
    assert_eq!(rupture(&s).await, (8, RaisonRupture::Tronque));
}
