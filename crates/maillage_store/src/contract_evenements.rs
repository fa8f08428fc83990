//! Contract cases of the Événements store, run by both backends' `tests/contract.rs`
//! (`maillage_store::evenements_contract_tests!(fresh_store())`).
//!
//! The concurrency cases have `capacite` in their names, so that `cargo test capacite`
//! runs them with the HTTP-level ones of `maillage_essais`.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::evenements::{
    Accessibilite, ConfirmationOffre, EtatPointage, FiltreEvenements, GardeCapacite,
    ModifEvenement, NewEvenement, NewInscription, NewJauge, NewPointage, NewSessionEvenement,
    NewTournee, RefusModification, SessionModifiee, RAPPEL_APRES, RAPPEL_VEILLE, STATUT_ANNULE,
    STATUT_ATTENTE, STATUT_INSCRIT, STATUT_PRESENT,
};
use crate::{Store, StoreError};

#[macro_export]
macro_rules! evenements_contract_tests {
    ($make:expr) => {
        $crate::evenements_contract_tests!(@cases $make;
            evenements_create_read_and_filter,
            evenements_failed_creation_writes_nothing,
            evenements_capacite_then_waiting_list_in_arrival_order,
            evenements_cancel_offers_the_seat_to_the_first_waiting,
            evenements_offre_confirmed_in_time_becomes_inscrit,
            evenements_offre_expired_goes_to_the_next,
            evenements_rappels_are_marked_once,
            evenements_capacite_offre_concurrent_confirm_and_expiry_never_overbook,
            evenements_shared_pool_counts_across_sessions,
            evenements_unknown_session_is_not_found,
            evenements_capacite_concurrent_registrations_never_overbook,
            evenements_capacite_control_without_guard_overbooks,
            evenements_capacite_batches_decide_in_order_across_pools,
            evenements_capacite_concurrent_batches_and_singles_never_overbook,
            evenements_pointage_reupload_creates_nothing,
            evenements_pointage_orientation_is_recorded_once,
            evenements_cles_remises_counted_per_session_and_keep_the_session,
            evenements_acteurs_locaux_replaced_in_order,
            evenements_pointage_two_devices_one_presence_both_told,
            evenements_pointage_refuses_another_events_session_and_unknown_registration,
            evenements_pointage_allotment_is_taken_from_free_seats_and_returned,
            evenements_pointage_concurrent_identical_batches_make_one_row_each,
            evenements_of_structure_lists_its_own,
            evenements_modifier_edits_adds_removes_and_guards_the_seats,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::contract::run_evenements_case(
                    $make,
                    $crate::contract_evenements::$case,
                )
                .await;
            }
        )*
    };
}

fn t(jour: u32, heure: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, jour, heure, 0, 0)
        .single()
        .expect("valid date")
}

fn session(titre: &str, capacite: i64, jauge: Option<&str>) -> NewSessionEvenement {
    NewSessionEvenement {
        titre: titre.into(),
        type_session: "atelier".into(),
        debut: t(12, 10),
        fin: t(12, 11),
        salle: Some("Salle 1".into()),
        capacite,
        jauge: jauge.map(String::from),
    }
}

fn evenement(commune: &str, jour: u32, jauges: Vec<NewJauge>) -> NewEvenement {
    NewEvenement {
        tournee_id: None,
        type_evenement: "etape_tournee".into(),
        titre: format!("Village numérique {commune}"),
        description: Some("Ateliers et stands".into()),
        commune: commune.into(),
        adresse: Some("Place de la mairie".into()),
        lieu_id: None,
        debut: t(jour, 9),
        fin: t(jour, 17),
        statut: "publie".into(),
        accessibilite: Accessibilite {
            mobilite: Some("Plain-pied".into()),
            ..Accessibilite::default()
        },
        structure_id: None,
        created_at: t(1, 8),
        jauges,
    }
}

fn inscription(session_id: i64, n: usize) -> NewInscription {
    NewInscription {
        session_id,
        uuid: format!("00000000-0000-4000-8000-{n:012}"),
        prenom: format!("Personne {n}"),
        contact: None,
        cle: format!("CLE{n}"),
        jeton_hash: format!("{n:064}"),
        created_at: t(2, 8) + Duration::seconds(n as i64),
        personne_id: None,
    }
}

async fn creer(store: &Arc<dyn Store>, capacite: i64) -> (i64, i64) {
    let (e, s) = store
        .create_evenement(
            &evenement("31395", 12, vec![]),
            &[session("Atelier", capacite, None)],
        )
        .await
        .expect("event created");
    (e, s[0])
}

pub async fn evenements_create_read_and_filter(store: Arc<dyn Store>) {
    let tournee = store
        .create_tournee(&NewTournee {
            titre: "Numérique Tour 31".into(),
            structure_id: None,
            created_at: t(1, 8),
        })
        .await
        .expect("tour");
    assert_eq!(
        store.tournee(tournee).await.expect("read").map(|r| r.titre),
        Some("Numérique Tour 31".into())
    );
    let mut e1 = evenement("31395", 12, vec![]);
    e1.tournee_id = Some(tournee);
    let (id1, sessions) = store
        .create_evenement(&e1, &[session("B", 12, None), session("A", 8, None)])
        .await
        .expect("event 1");
    assert_eq!(sessions.len(), 2);
    let mut e2 = evenement("31555", 20, vec![]);
    e2.type_evenement = "journee_locale".into();
    let (id2, _) = store.create_evenement(&e2, &[]).await.expect("event 2");
    let mut e3 = evenement("31555", 3, vec![]);
    e3.statut = "brouillon".into();
    let (id3, _) = store.create_evenement(&e3, &[]).await.expect("event 3");

    let lu = store.evenement(id1).await.expect("read").expect("exists");
    assert_eq!(lu.commune, "31395");
    assert_eq!(lu.tournee_id, Some(tournee));
    assert_eq!(lu.accessibilite.mobilite.as_deref(), Some("Plain-pied"));
    assert_eq!(lu.debut, t(12, 9));
    assert!(store.evenement(id1 + 1000).await.expect("read").is_none());

    let lues = store.sessions_of_evenement(id1).await.expect("sessions");
    assert_eq!(lues.len(), 2);
    assert_eq!(lues[0].capacite, 12);
    assert_eq!(lues[0].places_libres(), 12);
    assert_eq!(lues[0].inscrits, 0);
    assert_eq!(lues[0].salle.as_deref(), Some("Salle 1"));
    assert_ne!(lues[0].jauge_id, lues[1].jauge_id, "own jauges");

    let tous = |f: FiltreEvenements| {
        let store = Arc::clone(&store);
        async move {
            store
                .evenements(&FiltreEvenements { limite: 100, ..f })
                .await
                .expect("list")
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    // By start.
    assert_eq!(tous(FiltreEvenements::default()).await, vec![id3, id1, id2]);
    assert_eq!(
        tous(FiltreEvenements {
            communes: vec!["31555".into()],
            ..Default::default()
        })
        .await,
        vec![id3, id2]
    );
    assert_eq!(
        tous(FiltreEvenements {
            communes: vec!["31555".into(), "31395".into()],
            statuts: vec!["publie".into()],
            ..Default::default()
        })
        .await,
        vec![id1, id2]
    );
    assert_eq!(
        tous(FiltreEvenements {
            depuis: Some(t(13, 0)),
            ..Default::default()
        })
        .await,
        vec![id2]
    );
    assert_eq!(
        tous(FiltreEvenements {
            type_evenement: Some("journee_locale".into()),
            ..Default::default()
        })
        .await,
        vec![id2]
    );
    // The stops of one tour (the others have none).
    assert_eq!(
        tous(FiltreEvenements {
            tournee: Some(tournee),
            ..Default::default()
        })
        .await,
        vec![id1]
    );
    assert_eq!(
        tous(FiltreEvenements {
            tournee: Some(tournee + 1000),
            ..Default::default()
        })
        .await,
        Vec::<i64>::new()
    );
    // A commune code is matched whole, not as a part of another.
    assert_eq!(
        tous(FiltreEvenements {
            communes: vec!["3155".into()],
            ..Default::default()
        })
        .await,
        Vec::<i64>::new()
    );
    store
        .set_statut_evenement(id1, "annule")
        .await
        .expect("status");
    assert_eq!(
        store.evenement(id1).await.expect("read").map(|e| e.statut),
        Some("annule".into())
    );
    assert!(matches!(
        store.set_statut_evenement(id1 + 1000, "annule").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn evenements_failed_creation_writes_nothing(store: Arc<dyn Store>) {
    // A session naming a pool that does not exist: refused before anything is written.
    let r = store
        .create_evenement(
            &evenement("31395", 12, vec![]),
            &[session("A", 5, None), session("B", 5, Some("inconnue"))],
        )
        .await;
    assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    // A session type the schema refuses: the event and the first session roll back.
    let mut mauvaise = session("C", 5, None);
    mauvaise.type_session = "karaoke".into();
    let r = store
        .create_evenement(
            &evenement("31395", 12, vec![]),
            &[session("A", 5, None), mauvaise],
        )
        .await;
    assert!(r.is_err(), "{r:?}");
    assert!(store
        .evenements(&FiltreEvenements {
            limite: 10,
            ..Default::default()
        })
        .await
        .expect("list")
        .is_empty());
}

pub async fn evenements_capacite_then_waiting_list_in_arrival_order(store: Arc<dyn Store>) {
    let (_, s) = creer(&store, 3).await;
    let mut statuts = Vec::new();
    for n in 0..6 {
        let c = store
            .create_inscription(&inscription(s, n), GardeCapacite::Active)
            .await
            .expect("registered");
        assert_eq!(c.uuid, inscription(s, n).uuid);
        statuts.push(c.statut);
    }
    assert_eq!(
        statuts,
        [
            STATUT_INSCRIT,
            STATUT_INSCRIT,
            STATUT_INSCRIT,
            STATUT_ATTENTE,
            STATUT_ATTENTE,
            STATUT_ATTENTE
        ]
    );
    let lue = store
        .session_evenement(s)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        (lue.inscrits, lue.en_attente, lue.places_libres()),
        (3, 3, 0)
    );
    let liste = store.inscriptions_of_session(s).await.expect("list");
    assert_eq!(
        liste.iter().map(|i| i.prenom.as_str()).collect::<Vec<_>>(),
        (0..6).map(|n| format!("Personne {n}")).collect::<Vec<_>>()
    );
    let par_jeton = store
        .inscription_by_jeton(&inscription(s, 4).jeton_hash)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(par_jeton.statut, STATUT_ATTENTE);
    assert_eq!(par_jeton.cle, "CLE4");
    let par_uuid = store
        .inscription_by_uuid(&inscription(s, 1).uuid)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(par_uuid.statut, STATUT_INSCRIT);
    assert!(store
        .inscription_by_jeton("inconnu")
        .await
        .expect("read")
        .is_none());
    // The same client-facing id twice is refused.
    let r = store
        .create_inscription(&inscription(s, 1), GardeCapacite::Active)
        .await;
    assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
}

/// How long an offer holds in these cases.
fn delai() -> Duration {
    Duration::hours(24)
}

pub async fn evenements_cancel_offers_the_seat_to_the_first_waiting(store: Arc<dyn Store>) {
    let (_, s) = creer(&store, 2).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            store
                .create_inscription(&inscription(s, n), GardeCapacite::Active)
                .await
                .expect("registered")
                .id,
        );
    }
    // A waiting person leaves: no seat is freed, nobody gets an offer.
    let a = store
        .cancel_inscription(ids[3], t(3, 8), t(3, 8) + delai())
        .await
        .expect("cancel");
    assert_eq!(
        (a.ancien_statut.as_str(), a.offerte),
        (STATUT_ATTENTE, None)
    );
    // A registered person leaves: the seat is offered to the first still waiting (ids[2]),
    // held for them (it counts as taken), until the deadline.
    let a = store
        .cancel_inscription(ids[0], t(3, 9), t(3, 9) + delai())
        .await
        .expect("cancel");
    assert_eq!(
        (a.ancien_statut.as_str(), a.offerte),
        (STATUT_INSCRIT, Some(ids[2]))
    );
    // Twice: nothing more.
    let a = store
        .cancel_inscription(ids[0], t(3, 10), t(3, 10) + delai())
        .await
        .expect("cancel");
    assert_eq!((a.ancien_statut.as_str(), a.offerte), (STATUT_ANNULE, None));
    let lues = store.inscriptions_of_session(s).await.expect("list");
    let statuts: Vec<(&str, bool)> = lues
        .iter()
        .map(|i| (i.statut.as_str(), i.offre_jusqu_a.is_some()))
        .collect();
    assert_eq!(
        statuts,
        [
            (STATUT_ANNULE, false),
            (STATUT_INSCRIT, false),
            (STATUT_ATTENTE, true),
            (STATUT_ANNULE, false),
            (STATUT_ATTENTE, false)
        ]
    );
    assert_eq!(lues[2].offre_jusqu_a, Some(t(3, 9) + delai()));
    let lue = store
        .session_evenement(s)
        .await
        .expect("read")
        .expect("exists");
    // The offered seat is taken; one person still waits without an offer.
    assert_eq!((lue.inscrits, lue.en_attente), (2, 1));
    // A new registration cannot take the offered seat.
    let r = store
        .create_inscription(&inscription(s, 9), GardeCapacite::Active)
        .await
        .expect("registered");
    assert_eq!(r.statut, STATUT_ATTENTE);
    assert!(matches!(
        store
            .cancel_inscription(ids[4] + 1000, t(3, 10), t(3, 10) + delai())
            .await,
        Err(StoreError::NotFound)
    ));
}

/// One seat, one registered, two waiting; the registered person cancels at 3 June 9:00.
async fn offre_en_cours(store: &Arc<dyn Store>) -> (i64, [i64; 3]) {
    let (_, s) = creer(store, 1).await;
    let mut ids = [0; 3];
    for (n, id) in ids.iter_mut().enumerate() {
        *id = store
            .create_inscription(&inscription(s, n), GardeCapacite::Active)
            .await
            .expect("registered")
            .id;
    }
    let a = store
        .cancel_inscription(ids[0], t(3, 9), t(3, 9) + delai())
        .await
        .expect("cancel");
    assert_eq!(a.offerte, Some(ids[1]));
    (s, ids)
}

async fn statut_de(store: &Arc<dyn Store>, s: i64, id: i64) -> (String, bool) {
    let i = store
        .inscriptions_of_session(s)
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.id == id)
        .expect("found");
    (i.statut, i.offre_jusqu_a.is_some())
}

pub async fn evenements_offre_confirmed_in_time_becomes_inscrit(store: Arc<dyn Store>) {
    let (s, ids) = offre_en_cours(&store).await;
    // Whoever has no offer cannot confirm one.
    assert_eq!(
        store.confirmer_offre(ids[2], t(3, 10)).await.expect("read"),
        ConfirmationOffre::SansOffre
    );
    // The job before the deadline changes nothing.
    let faites = store
        .expirer_offres(t(4, 8), t(4, 8) + delai())
        .await
        .expect("job");
    assert!(
        faites.expirees.is_empty() && faites.offertes.is_empty(),
        "{faites:?}"
    );
    assert_eq!(
        store
            .confirmer_offre(ids[1], t(4, 8))
            .await
            .expect("confirm"),
        ConfirmationOffre::Confirmee
    );
    assert_eq!(
        statut_de(&store, s, ids[1]).await,
        (STATUT_INSCRIT.into(), false)
    );
    // Twice: nothing more to confirm.
    assert_eq!(
        store
            .confirmer_offre(ids[1], t(4, 9))
            .await
            .expect("confirm"),
        ConfirmationOffre::SansOffre
    );
    // After the deadline the job finds nothing: the seat is confirmed.
    let faites = store
        .expirer_offres(t(5, 9), t(5, 9) + delai())
        .await
        .expect("job");
    assert!(
        faites.expirees.is_empty() && faites.offertes.is_empty(),
        "{faites:?}"
    );
    assert_eq!(
        statut_de(&store, s, ids[2]).await,
        (STATUT_ATTENTE.into(), false)
    );
    assert!(matches!(
        store.confirmer_offre(ids[2] + 1000, t(5, 9)).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn evenements_offre_expired_goes_to_the_next(store: Arc<dyn Store>) {
    let (s, ids) = offre_en_cours(&store).await;
    // Past the deadline, a confirmation is refused, even before the job runs.
    let apres = t(4, 9) + Duration::minutes(1);
    assert_eq!(
        store.confirmer_offre(ids[1], apres).await.expect("read"),
        ConfirmationOffre::Expiree
    );
    let faites = store
        .expirer_offres(apres, apres + delai())
        .await
        .expect("job");
    assert_eq!(
        (faites.expirees, faites.offertes),
        (vec![ids[1]], vec![ids[2]])
    );
    assert_eq!(
        statut_de(&store, s, ids[1]).await,
        (STATUT_ANNULE.into(), false)
    );
    assert_eq!(
        statut_de(&store, s, ids[2]).await,
        (STATUT_ATTENTE.into(), true)
    );
    // The job again at the same instant: nothing changes.
    let faites = store
        .expirer_offres(apres, apres + delai())
        .await
        .expect("job");
    assert!(
        faites.expirees.is_empty() && faites.offertes.is_empty(),
        "{faites:?}"
    );
    // The last one lets it lapse too: nobody left, the seat is free again.
    let plus_tard = apres + delai() + Duration::minutes(1);
    let faites = store
        .expirer_offres(plus_tard, plus_tard + delai())
        .await
        .expect("job");
    assert_eq!((faites.expirees, faites.offertes), (vec![ids[2]], vec![]));
    let lue = store
        .session_evenement(s)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!((lue.inscrits, lue.en_attente), (0, 0));
    let r = store
        .create_inscription(&inscription(s, 7), GardeCapacite::Active)
        .await
        .expect("registered");
    assert_eq!(r.statut, STATUT_INSCRIT);
}

pub async fn evenements_rappels_are_marked_once(store: Arc<dyn Store>) {
    // The session runs on 12 June 10:00–11:00; capacity 2: two registered, one waiting.
    let (_, s) = creer(&store, 2).await;
    let mut ids = Vec::new();
    for (n, contact) in [Some("a@exemple.fr"), None, Some("c@exemple.fr")]
        .into_iter()
        .enumerate()
    {
        let mut i = inscription(s, n);
        i.contact = contact.map(String::from);
        ids.push(
            store
                .create_inscription(&i, GardeCapacite::Active)
                .await
                .expect("registered")
                .id,
        );
    }
    let a_prevenir = |nature: &'static str, de, a| {
        let store = Arc::clone(&store);
        async move {
            store
                .inscriptions_a_prevenir(nature, de, a)
                .await
                .expect("read")
                .into_iter()
                .map(|i| i.id)
                .collect::<Vec<i64>>()
        }
    };
    // The day before: only the registered person with a contact (not the one waiting).
    assert_eq!(
        a_prevenir(RAPPEL_VEILLE, t(11, 0), t(12, 12)).await,
        [ids[0]]
    );
    // A window that misses the start: nobody.
    assert!(a_prevenir(RAPPEL_VEILLE, t(12, 10), t(13, 0))
        .await
        .is_empty());
    assert!(store
        .marquer_rappel(ids[0], RAPPEL_VEILLE, t(11, 18))
        .await
        .expect("mark"));
    assert!(!store
        .marquer_rappel(ids[0], RAPPEL_VEILLE, t(11, 19))
        .await
        .expect("mark again"));
    assert!(a_prevenir(RAPPEL_VEILLE, t(11, 0), t(12, 12))
        .await
        .is_empty());
    // After: by the session's end; told the day before does not count.
    assert_eq!(
        a_prevenir(RAPPEL_APRES, t(12, 10), t(12, 12)).await,
        [ids[0]]
    );
    assert!(store
        .marquer_rappel(ids[0], RAPPEL_APRES, t(12, 18))
        .await
        .expect("mark"));
    assert!(a_prevenir(RAPPEL_APRES, t(12, 10), t(12, 12))
        .await
        .is_empty());
    let lue = store
        .inscription(ids[2])
        .await
        .expect("read")
        .expect("found");
    assert_eq!(lue.statut, STATUT_ATTENTE);
    assert!(store
        .inscription(ids[2] + 1000)
        .await
        .expect("read")
        .is_none());
}

/// Confirmations, expiries, cancellations and new registrations at once on a full session
/// with offers: never more « inscrit » (and offered seats) than the capacity.
pub async fn evenements_capacite_offre_concurrent_confirm_and_expiry_never_overbook(
    store: Arc<dyn Store>,
) {
    const CAPACITE: i64 = 5;
    let (_, s) = creer(&store, CAPACITE).await;
    let mut ids = Vec::new();
    for n in 0..15 {
        ids.push(
            store
                .create_inscription(&inscription(s, n), GardeCapacite::Active)
                .await
                .expect("registered")
                .id,
        );
    }
    // Three registered people leave: three offers (ids 5, 6, 7).
    for id in &ids[..3] {
        store
            .cancel_inscription(*id, t(3, 9), t(3, 9) + delai())
            .await
            .expect("cancel");
    }
    let apres = t(4, 9) + Duration::minutes(1);
    let mut taches = Vec::new();
    for (k, id) in ids[3..].iter().copied().enumerate() {
        let store = Arc::clone(&store);
        taches.push(tokio::spawn(async move {
            match k % 4 {
                0 => store.confirmer_offre(id, apres).await.map(|_| ()),
                1 => store
                    .expirer_offres(apres, apres + delai())
                    .await
                    .map(|_| ()),
                2 => store
                    .create_inscription(&inscription(s, 100 + k), GardeCapacite::Active)
                    .await
                    .map(|_| ()),
                _ => store
                    .cancel_inscription(id, apres, apres + delai())
                    .await
                    .map(|_| ()),
            }
        }));
    }
    for tache in taches {
        tache.await.expect("task").expect("no error");
    }
    let lues = store.inscriptions_of_session(s).await.expect("list");
    let tenues = lues
        .iter()
        .filter(|i| {
            i.statut == STATUT_INSCRIT
                || i.statut == STATUT_PRESENT
                || (i.statut == STATUT_ATTENTE && i.offre_jusqu_a.is_some())
        })
        .count() as i64;
    assert!(tenues <= CAPACITE, "{tenues} seats held for {CAPACITE}");
    // Seats freed are never left idle while people wait without an offer.
    let en_attente = lues
        .iter()
        .filter(|i| i.statut == STATUT_ATTENTE && i.offre_jusqu_a.is_none())
        .count();
    assert!(
        en_attente == 0 || tenues == CAPACITE,
        "{tenues} held, {en_attente} waiting"
    );
}

pub async fn evenements_shared_pool_counts_across_sessions(store: Arc<dyn Store>) {
    let (_, s) = store
        .create_evenement(
            &evenement(
                "31395",
                12,
                vec![NewJauge {
                    nom: "casques".into(),
                    capacite: 3,
                }],
            ),
            &[
                session("VR 10 h", 99, Some("casques")),
                session("VR 11 h", 99, Some("casques")),
                session("Quiz", 1, None),
            ],
        )
        .await
        .expect("event");
    let statut = |n: usize, session_id: i64| {
        let store = Arc::clone(&store);
        async move {
            store
                .create_inscription(&inscription(session_id, n), GardeCapacite::Active)
                .await
                .expect("registered")
                .statut
        }
    };
    assert_eq!(statut(0, s[0]).await, STATUT_INSCRIT);
    assert_eq!(statut(1, s[1]).await, STATUT_INSCRIT);
    assert_eq!(statut(2, s[0]).await, STATUT_INSCRIT);
    // The pool of three is full, whichever of its sessions one picks.
    assert_eq!(statut(3, s[1]).await, STATUT_ATTENTE);
    // The other session has its own jauge.
    assert_eq!(statut(4, s[2]).await, STATUT_INSCRIT);
    assert_eq!(statut(5, s[2]).await, STATUT_ATTENTE);
    let sessions = store
        .sessions_of_evenement(store_evenement(&store, s[0]).await)
        .await;
    let sessions = sessions.expect("sessions");
    assert_eq!(sessions[0].jauge.as_deref(), Some("casques"));
    assert_eq!(sessions[0].jauge_id, sessions[1].jauge_id);
    assert_eq!((sessions[0].capacite, sessions[0].inscrits), (3, 3));
    assert_eq!((sessions[1].inscrits, sessions[1].en_attente), (3, 1));
    // A seat freed in one session of the pool goes to the first waiting in the pool.
    let premier = store
        .inscription_by_uuid(&inscription(s[0], 0).uuid)
        .await
        .expect("read")
        .expect("found");
    let a = store
        .cancel_inscription(premier.id, t(3, 8), t(3, 8) + delai())
        .await
        .expect("cancel");
    let attendait = store
        .inscription_by_uuid(&inscription(s[1], 3).uuid)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(a.offerte, Some(attendait.id));
}

async fn store_evenement(store: &Arc<dyn Store>, session_id: i64) -> i64 {
    store
        .session_evenement(session_id)
        .await
        .expect("read")
        .expect("exists")
        .evenement_id
}

pub async fn evenements_unknown_session_is_not_found(store: Arc<dyn Store>) {
    let r = store
        .create_inscription(&inscription(424_242, 1), GardeCapacite::Active)
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert!(store
        .session_evenement(424_242)
        .await
        .expect("read")
        .is_none());
}

/// Many registrations at once to a jauge of 10, each on its own task: exactly 10 are
/// « inscrit », the others wait, and the waiting list follows the ids.
pub async fn evenements_capacite_concurrent_registrations_never_overbook(store: Arc<dyn Store>) {
    let (_, s) = creer(&store, 10).await;
    let taches: Vec<_> = (0..60)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .create_inscription(&inscription(s, n), GardeCapacite::Active)
                    .await
            })
        })
        .collect();
    let mut inscrits = 0;
    let mut attente = 0;
    for tache in taches {
        match tache
            .await
            .expect("task")
            .expect("registered")
            .statut
            .as_str()
        {
            STATUT_INSCRIT => inscrits += 1,
            STATUT_ATTENTE => attente += 1,
            autre => panic!("unexpected statut {autre}"),
        }
    }
    assert_eq!((inscrits, attente), (10, 50));
    let liste = store.inscriptions_of_session(s).await.expect("list");
    assert_eq!(liste.len(), 60);
    // Arrival order: the ten lowest ids hold the seats.
    assert!(liste[..10].iter().all(|i| i.statut == STATUT_INSCRIT));
    assert!(liste[10..].iter().all(|i| i.statut == STATUT_ATTENTE));
}

/// A batch (group commit) decides like one registration after another: in slice order,
/// per jauge (a shared pool counts across its sessions), an unknown session answers
/// `NotFound` for itself only, and what is already there counts.
pub async fn evenements_capacite_batches_decide_in_order_across_pools(store: Arc<dyn Store>) {
    let (_, s) = store
        .create_evenement(
            &evenement(
                "31395",
                12,
                vec![NewJauge {
                    nom: "casques".into(),
                    capacite: 3,
                }],
            ),
            &[
                session("VR 10 h", 99, Some("casques")),
                session("VR 11 h", 99, Some("casques")),
                session("Quiz", 2, None),
            ],
        )
        .await
        .expect("event");
    store
        .create_inscription(&inscription(s[0], 0), GardeCapacite::Active)
        .await
        .expect("registered");
    let lot: Vec<NewInscription> = [(s[1], 1), (s[2], 2), (424_242, 3), (s[0], 4), (s[2], 5)]
        .into_iter()
        .chain([(s[1], 6), (s[2], 7)])
        .map(|(session_id, n)| inscription(session_id, n))
        .collect();
    let resultats = store.create_inscriptions(&lot).await.expect("batch");
    let lus: Vec<Option<String>> = resultats
        .iter()
        .map(|r| r.as_ref().ok().map(|c| c.statut.clone()))
        .collect();
    let i = || Some(STATUT_INSCRIT.to_string());
    let a = || Some(STATUT_ATTENTE.to_string());
    assert_eq!(lus, [i(), i(), None, i(), i(), a(), a()]);
    assert!(matches!(resultats[2], Err(StoreError::NotFound)));
    for (r, n) in resultats.iter().zip(&lot) {
        if let Ok(c) = r {
            assert_eq!(c.uuid, n.uuid);
            let lu = store
                .inscription_by_uuid(&n.uuid)
                .await
                .expect("read")
                .expect("written");
            assert_eq!((lu.id, lu.statut.as_str()), (c.id, c.statut.as_str()));
        }
    }
    let sessions = store
        .sessions_of_evenement(store_evenement(&store, s[0]).await)
        .await
        .expect("sessions");
    assert_eq!((sessions[0].inscrits, sessions[0].en_attente), (3, 1));
    assert_eq!((sessions[2].inscrits, sessions[2].en_attente), (2, 1));
    // A batch of unknown sessions only.
    let vide = store
        .create_inscriptions(&[inscription(424_243, 9)])
        .await
        .expect("batch");
    assert!(matches!(vide[..], [Err(StoreError::NotFound)]));
}

/// Batches and single registrations at once on one jauge of 10, each on its own task:
/// exactly 10 « inscrit », whichever way they came.
pub async fn evenements_capacite_concurrent_batches_and_singles_never_overbook(
    store: Arc<dyn Store>,
) {
    let (_, s) = creer(&store, 10).await;
    let taches: Vec<_> = (0..12)
        .map(|k| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                if k % 3 == 0 {
                    let r = store
                        .create_inscription(&inscription(s, 1000 + k), GardeCapacite::Active)
                        .await
                        .expect("registered");
                    vec![r.statut]
                } else {
                    let lot: Vec<_> = (0..5).map(|n| inscription(s, k * 10 + n)).collect();
                    store
                        .create_inscriptions(&lot)
                        .await
                        .expect("batch")
                        .into_iter()
                        .map(|r| r.expect("registered").statut)
                        .collect()
                }
            })
        })
        .collect();
    let mut statuts = Vec::new();
    for tache in taches {
        statuts.extend(tache.await.expect("task"));
    }
    assert_eq!(statuts.len(), 4 + 8 * 5);
    assert_eq!(statuts.iter().filter(|s| *s == STATUT_INSCRIT).count(), 10);
    let liste = store.inscriptions_of_session(s).await.expect("list");
    assert_eq!(liste.len(), 44);
    assert!(liste[..10].iter().all(|i| i.statut == STATUT_INSCRIT));
    assert!(liste[10..].iter().all(|i| i.statut == STATUT_ATTENTE));
}

/// The control of the case above: without the guard (the test-only switch), the same
/// registrations overbook, which proves that the case above can fail.
pub async fn evenements_capacite_control_without_guard_overbooks(store: Arc<dyn Store>) {
    let (_, s) = creer(&store, 10).await;
    let taches: Vec<_> = (0..60)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .create_inscription(&inscription(s, n), GardeCapacite::DesactiveePourEssai)
                    .await
            })
        })
        .collect();
    for tache in taches {
        tache.await.expect("task").expect("registered");
    }
    let lue = store
        .session_evenement(s)
        .await
        .expect("read")
        .expect("exists");
    assert!(
        lue.inscrits > 10,
        "without the guard, {} « inscrit » for 10 seats: the race window did not open",
        lue.inscrits
    );
}

fn pointage(uuid: &str, session_id: i64, inscription: Option<&str>) -> NewPointage {
    NewPointage {
        uuid: uuid.into(),
        session_id,
        inscription_uuid: inscription.map(String::from),
        tranche_age: inscription.is_none().then(|| "soixante_dix_plus".into()),
        statut_social: inscription.is_none().then(|| "retraite".into()),
        besoin: None,
        pointe_at: t(12, 10),
    }
}

const APPAREIL_A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const APPAREIL_B: &str = "bbbbbbbb-0000-4000-8000-000000000002";

/// An event with one session of `capacite`, and `n` registrations (uuids of [`inscription`]).
async fn avec_inscrits(store: &Arc<dyn Store>, capacite: i64, n: usize) -> (i64, i64) {
    let (e, s) = creer(store, capacite).await;
    for k in 0..n {
        store
            .create_inscription(&inscription(s, k), GardeCapacite::Active)
            .await
            .expect("registered");
    }
    (e, s)
}

/// The local actors of an event are replaced as a whole, in the order given.
pub async fn evenements_acteurs_locaux_replaced_in_order(store: Arc<dyn Store>) {
    use crate::evenements::ActeurLocal;
    let (e, _) = creer(&store, 10).await;
    let (autre, _) = creer(&store, 10).await;
    assert!(store
        .acteurs_of_evenement(e)
        .await
        .expect("read")
        .is_empty());
    let fablab = ActeurLocal {
        nom: "FabLab du Sicoval".into(),
        lieu_id: None,
    };
    let caf = ActeurLocal {
        nom: "CAF de la Haute-Garonne".into(),
        lieu_id: Some("lieu-caf-31".into()),
    };
    store
        .set_acteurs_evenement(e, &[fablab.clone(), caf.clone()])
        .await
        .expect("set");
    store
        .set_acteurs_evenement(autre, std::slice::from_ref(&fablab))
        .await
        .expect("set other");
    assert_eq!(
        store.acteurs_of_evenement(e).await.expect("read"),
        vec![fablab.clone(), caf.clone()]
    );
    // One removed, the order changed: exactly what is given.
    store
        .set_acteurs_evenement(e, std::slice::from_ref(&caf))
        .await
        .expect("replace");
    assert_eq!(
        store.acteurs_of_evenement(e).await.expect("read"),
        vec![caf]
    );
    assert_eq!(
        store.acteurs_of_evenement(autre).await.expect("read"),
        vec![fablab],
        "another event's actors stay"
    );
}

/// The need a person was oriented for travels with the check-in: kept as sent, and a
/// re-upload of the batch (even with another need) changes nothing.
pub async fn evenements_pointage_orientation_is_recorded_once(store: Arc<dyn Store>) {
    let (e, s) = avec_inscrits(&store, 10, 2).await;
    let besoin = "Aide aux démarches administratives";
    let mut inscrite = pointage("o-1", s, Some(&inscription(s, 0).uuid));
    inscrite.besoin = Some(besoin.into());
    let mut venue = pointage("o-2", s, None);
    venue.besoin = Some("Accès internet et matériel informatique".into());
    let sans = pointage("o-3", s, Some(&inscription(s, 1).uuid));
    let lot = vec![inscrite, venue, sans];
    store
        .enregistrer_pointages(e, APPAREIL_A, 1, &lot, false, t(12, 12))
        .await
        .expect("first upload");
    let mut encore = lot.clone();
    encore[2].besoin = Some(besoin.into());
    let b = store
        .enregistrer_pointages(e, APPAREIL_A, 1, &encore, false, t(12, 13))
        .await
        .expect("re-upload");
    assert!(
        b.etats.iter().all(|(_, e)| *e == EtatPointage::DejaRecu),
        "{b:?}"
    );
    let rows = store.pointages_of_session(s).await.expect("read");
    let besoins: Vec<Option<&str>> = rows.iter().map(|r| r.besoin.as_deref()).collect();
    assert_eq!(
        besoins,
        vec![
            Some(besoin),
            Some("Accès internet et matériel informatique"),
            None
        ]
    );
}

/// Keys given at the check-in are counted per session, and a session with keys given is
/// « occupied » (the edit form may not remove it).
pub async fn evenements_cles_remises_counted_per_session_and_keep_the_session(
    store: Arc<dyn Store>,
) {
    let (e, s) = avec_inscrits(&store, 10, 0).await;
    let (_, autre) = avec_inscrits_autre(&store).await;
    assert_eq!(store.cles_remises_of_session(s).await.expect("count"), 0);
    for (k, cle) in ["CLEA1", "CLEA2"].iter().enumerate() {
        let p = store
            .create_personne(cle, "h", t(12, 9))
            .await
            .expect("person");
        let session = if k == 0 { s } else { autre };
        store
            .noter_cle_remise(session, p, t(12, 10))
            .await
            .expect("given");
    }
    assert_eq!(store.cles_remises_of_session(s).await.expect("count"), 1);
    assert_eq!(
        store.cles_remises_of_session(autre).await.expect("count"),
        1
    );
    let r = store
        .modifier_evenement(e, &modif(vec![]), &[], t(12, 11))
        .await;
    assert_eq!(
        r.as_ref().map_err(RefusModification::lire).err(),
        Some(Some(RefusModification::SessionOccupee(s)))
    );
}

pub async fn evenements_pointage_reupload_creates_nothing(store: Arc<dyn Store>) {
    let (e, s) = avec_inscrits(&store, 10, 3).await;
    let lot = vec![
        pointage("p-1", s, Some(&inscription(s, 0).uuid)),
        pointage("p-2", s, Some(&inscription(s, 1).uuid)),
        pointage("p-3", s, None),
    ];
    let b = store
        .enregistrer_pointages(e, APPAREIL_A, 1, &lot, false, t(12, 12))
        .await
        .expect("first upload");
    assert!(
        b.etats.iter().all(|(_, e)| *e == EtatPointage::Cree),
        "{b:?}"
    );
    assert_eq!(
        b.etats.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
        vec!["p-1", "p-2", "p-3"]
    );
    let b = store
        .enregistrer_pointages(e, APPAREIL_A, 1, &lot, false, t(12, 13))
        .await
        .expect("re-upload");
    assert!(
        b.etats.iter().all(|(_, e)| *e == EtatPointage::DejaRecu),
        "{b:?}"
    );
    let rows = store.pointages_of_session(s).await.expect("read");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().filter(|r| r.inscription_id.is_none()).count(),
        1
    );
    let walk_in = rows
        .iter()
        .find(|r| r.inscription_id.is_none())
        .expect("walk-in");
    assert_eq!(walk_in.tranche_age.as_deref(), Some("soixante_dix_plus"));
    assert_eq!(walk_in.recu_at, t(12, 12), "the first reception is kept");
    let statuts: Vec<String> = store
        .inscriptions_of_session(s)
        .await
        .expect("registrations")
        .into_iter()
        .map(|i| i.statut)
        .collect();
    assert_eq!(
        statuts,
        vec![STATUT_PRESENT, STATUT_PRESENT, STATUT_INSCRIT]
    );
    // The walk-in takes a seat: 3 registered + 1 walk-in of 10.
    let lue = store
        .session_evenement(s)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(lue.places_libres(), 6);
}

pub async fn evenements_pointage_two_devices_one_presence_both_told(store: Arc<dyn Store>) {
    let (e, s) = avec_inscrits(&store, 10, 1).await;
    let personne = inscription(s, 0).uuid;
    let mut premier = pointage("a-1", s, Some(&personne));
    premier.pointe_at = t(12, 10) + Duration::minutes(7);
    let b = store
        .enregistrer_pointages(e, APPAREIL_A, 1, &[premier], false, t(12, 11))
        .await
        .expect("device A");
    assert_eq!(b.etats[0].1, EtatPointage::Cree);
    assert!(b.doublons_vus_ailleurs.is_empty());
    let b = store
        .enregistrer_pointages(
            e,
            APPAREIL_B,
            2,
            &[pointage("b-1", s, Some(&personne))],
            false,
            t(12, 12),
        )
        .await
        .expect("device B");
    assert_eq!(
        b.etats[0].1,
        EtatPointage::DejaPointe {
            par_appareil: APPAREIL_A.into(),
            a: t(12, 10) + Duration::minutes(7),
        }
    );
    // B's re-upload: the same answer, nothing more.
    let b2 = store
        .enregistrer_pointages(
            e,
            APPAREIL_B,
            2,
            &[pointage("b-1", s, Some(&personne))],
            false,
            t(12, 13),
        )
        .await
        .expect("device B again");
    assert_eq!(b2.etats, b.etats);
    // A is told at its next sync.
    let a = store
        .enregistrer_pointages(e, APPAREIL_A, 1, &[], false, t(12, 14))
        .await
        .expect("device A syncs");
    assert_eq!(
        a.doublons_vus_ailleurs,
        vec![(personne.clone(), APPAREIL_B.to_string(), t(12, 10))]
    );
    assert_eq!(store.pointages_of_session(s).await.expect("read").len(), 1);
}

pub async fn evenements_pointage_refuses_another_events_session_and_unknown_registration(
    store: Arc<dyn Store>,
) {
    let (e, s) = avec_inscrits(&store, 10, 1).await;
    let (_, autre) = avec_inscrits_autre(&store).await;
    let b = store
        .enregistrer_pointages(
            e,
            APPAREIL_A,
            1,
            &[
                pointage("x-1", autre, None),
                pointage("x-2", s, Some("00000000-0000-4000-8000-999999999999")),
                pointage("x-3", s, Some(&inscription(s, 0).uuid)),
            ],
            false,
            t(12, 11),
        )
        .await
        .expect("batch");
    assert!(matches!(b.etats[0].1, EtatPointage::Refuse(_)), "{b:?}");
    assert!(matches!(b.etats[1].1, EtatPointage::Refuse(_)), "{b:?}");
    assert_eq!(b.etats[2].1, EtatPointage::Cree);
    assert!(store
        .pointages_of_session(autre)
        .await
        .expect("read")
        .is_empty());
    assert_eq!(store.pointages_of_session(s).await.expect("read").len(), 1);
}

async fn avec_inscrits_autre(store: &Arc<dyn Store>) -> (i64, i64) {
    let (e, s) = store
        .create_evenement(
            &evenement("31555", 20, vec![]),
            &[session("Autre", 5, None)],
        )
        .await
        .expect("other event");
    (e, s[0])
}

pub async fn evenements_pointage_allotment_is_taken_from_free_seats_and_returned(
    store: Arc<dyn Store>,
) {
    // 10 seats, 6 registered: 4 free.
    let (e, s) = avec_inscrits(&store, 10, 6).await;
    let a = store
        .allouer(e, APPAREIL_A, &[(s, 3)], t(12, 8))
        .await
        .expect("allotment A");
    assert_eq!(a, vec![(s, 3)]);
    // B asks 3, gets the one seat left.
    let b = store
        .allouer(e, APPAREIL_B, &[(s, 3)], t(12, 8))
        .await
        .expect("allotment B");
    assert_eq!(b, vec![(s, 1)]);
    // Online registrations cannot take allotted seats: the next one waits.
    let r = store
        .create_inscription(&inscription(s, 50), GardeCapacite::Active)
        .await
        .expect("registration");
    assert_eq!(r.statut, STATUT_ATTENTE);
    assert_eq!(
        store
            .session_evenement(s)
            .await
            .expect("read")
            .expect("exists")
            .places_libres(),
        0
    );
    // Asking again keeps what A holds (no double count).
    assert_eq!(
        store
            .allouer(e, APPAREIL_A, &[(s, 3)], t(12, 9))
            .await
            .expect("again"),
        vec![(s, 3)]
    );
    // A registers 2 walk-ins and gives the rest back.
    let bilan = store
        .enregistrer_pointages(
            e,
            APPAREIL_A,
            1,
            &[pointage("w-1", s, None), pointage("w-2", s, None)],
            false,
            t(12, 11),
        )
        .await
        .expect("walk-ins");
    assert_eq!(bilan.allocations, vec![(s, 1)]);
    let bilan = store
        .enregistrer_pointages(e, APPAREIL_A, 1, &[], true, t(12, 12))
        .await
        .expect("give back");
    assert!(bilan.allocations.is_empty(), "{bilan:?}");
    // 6 registered + 2 walk-ins + B's 1: one seat free again.
    assert_eq!(
        store
            .session_evenement(s)
            .await
            .expect("read")
            .expect("exists")
            .places_libres(),
        1
    );
    // Unknown session of this event: NotFound, nothing allotted.
    assert!(matches!(
        store
            .allouer(e, APPAREIL_A, &[(s + 1000, 1)], t(12, 9))
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn evenements_pointage_concurrent_identical_batches_make_one_row_each(
    store: Arc<dyn Store>,
) {
    let (e, s) = avec_inscrits(&store, 40, 20).await;
    let lot: Vec<NewPointage> = (0..20)
        .map(|k| pointage(&format!("c-{k}"), s, Some(&inscription(s, k).uuid)))
        .chain((0..10).map(|k| pointage(&format!("w-{k}"), s, None)))
        .collect();
    let mut taches = Vec::new();
    for n in 0..8 {
        let store = Arc::clone(&store);
        let lot = lot.clone();
        let appareil = if n % 2 == 0 { APPAREIL_A } else { APPAREIL_B };
        taches.push(tokio::spawn(async move {
            store
                .enregistrer_pointages(e, appareil, 1, &lot, false, t(12, 11))
                .await
        }));
    }
    let mut crees = 0;
    for t in taches {
        let b = t.await.expect("task").expect("batch");
        crees += b
            .etats
            .iter()
            .filter(|(_, e)| *e == EtatPointage::Cree)
            .count();
    }
    assert_eq!(crees, 30, "each check-in created once across the 8 batches");
    let rows = store.pointages_of_session(s).await.expect("read");
    assert_eq!(rows.len(), 30);
}

pub async fn evenements_of_structure_lists_its_own(store: Arc<dyn Store>) {
    let st = store
        .create_structure("Médiathèque", None, Some("31555"))
        .await
        .expect("structure");
    let mut e1 = evenement("31395", 12, vec![]);
    e1.structure_id = Some(st);
    let (id1, _) = store.create_evenement(&e1, &[]).await.expect("1");
    let mut e2 = evenement("31395", 20, vec![]);
    e2.structure_id = Some(st);
    let (id2, _) = store.create_evenement(&e2, &[]).await.expect("2");
    let (id3, _) = store
        .create_evenement(&evenement("31555", 15, vec![]), &[])
        .await
        .expect("3");
    let ids =
        |v: Vec<crate::evenements::EvenementRow>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store
            .evenements_of_structure(Some(st), 10)
            .await
            .expect("own")),
        vec![id2, id1]
    );
    assert_eq!(
        ids(store.evenements_of_structure(None, 10).await.expect("all")),
        vec![id2, id3, id1]
    );
}

fn modif(jauges: Vec<NewJauge>) -> ModifEvenement {
    ModifEvenement {
        type_evenement: "journee_locale".into(),
        titre: "Journée numérique de Muret".into(),
        description: None,
        commune: "31395".into(),
        adresse: Some("Salle des fêtes".into()),
        lieu_id: None,
        debut: t(12, 9),
        fin: t(12, 18),
        accessibilite: Accessibilite {
            auditif: Some("Boucle magnétique".into()),
            ..Accessibilite::default()
        },
        jauges,
    }
}

pub async fn evenements_modifier_edits_adds_removes_and_guards_the_seats(store: Arc<dyn Store>) {
    let (e, s) = avec_inscrits(&store, 3, 4).await; // 3 « inscrit », 1 waiting
    let garde =
        |id: Option<i64>, titre: &str, capacite: i64, jauge: Option<&str>| SessionModifiee {
            id,
            session: session(titre, capacite, jauge),
        };
    // Below the seats taken: refused, nothing written.
    let r = store
        .modifier_evenement(
            e,
            &modif(vec![]),
            &[garde(Some(s), "Atelier", 2, None)],
            t(3, 8),
        )
        .await;
    match r.as_ref().map_err(RefusModification::lire) {
        Err(Some(RefusModification::CapaciteInsuffisante {
            prises: 3,
            capacite: 2,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }
    let ev = store.evenement(e).await.unwrap().unwrap();
    assert_eq!(ev.type_evenement, "etape_tournee");
    // Removing a session with registrations: refused.
    let r = store
        .modifier_evenement(e, &modif(vec![]), &[], t(3, 8))
        .await;
    assert_eq!(
        r.as_ref().map_err(RefusModification::lire).err(),
        Some(Some(RefusModification::SessionOccupee(s)))
    );
    // The event edited; one more seat takes the waiting person; two new sessions share a pool.
    let pool = vec![NewJauge {
        nom: "casques".into(),
        capacite: 4,
    }];
    store
        .modifier_evenement(
            e,
            &modif(pool.clone()),
            &[
                garde(Some(s), "Atelier tablette", 4, None),
                garde(None, "Casque 1", 4, Some("casques")),
                garde(None, "Casque 2", 4, Some("casques")),
            ],
            t(3, 9),
        )
        .await
        .expect("edited");
    let ev = store.evenement(e).await.unwrap().unwrap();
    assert_eq!(
        (ev.type_evenement.as_str(), ev.adresse.as_deref(), ev.fin),
        ("journee_locale", Some("Salle des fêtes"), t(12, 18))
    );
    assert_eq!(
        ev.accessibilite.auditif.as_deref(),
        Some("Boucle magnétique")
    );
    let sessions = store.sessions_of_evenement(e).await.unwrap();
    assert_eq!(sessions.len(), 3);
    let atelier = sessions.iter().find(|x| x.id == s).unwrap();
    assert_eq!(
        (
            atelier.titre.as_str(),
            atelier.capacite,
            atelier.inscrits,
            atelier.en_attente
        ),
        ("Atelier tablette", 4, 4, 0)
    );
    let casques: Vec<_> = sessions.iter().filter(|x| x.id != s).collect();
    assert_eq!(casques[0].jauge_id, casques[1].jauge_id);
    assert_eq!(casques[0].jauge.as_deref(), Some("casques"));
    // An empty session goes; a session unknown to the event is refused.
    let (autre_e, autre_s) = creer(&store, 5).await;
    assert_ne!(autre_e, e);
    let r = store
        .modifier_evenement(
            e,
            &modif(pool.clone()),
            &[
                garde(Some(s), "Atelier tablette", 4, None),
                garde(Some(autre_s), "x", 1, None),
            ],
            t(3, 10),
        )
        .await;
    assert_eq!(
        r.as_ref().map_err(RefusModification::lire).err(),
        Some(Some(RefusModification::SessionEtrangere(autre_s)))
    );
    store
        .modifier_evenement(
            e,
            &modif(pool),
            &[
                garde(Some(s), "Atelier tablette", 4, None),
                garde(Some(casques[0].id), "Casques", 4, Some("casques")),
            ],
            t(3, 10),
        )
        .await
        .expect("one empty session removed");
    let sessions = store.sessions_of_evenement(e).await.unwrap();
    assert_eq!(
        sessions.iter().map(|x| x.id).collect::<Vec<_>>(),
        [s, casques[0].id]
    );
    assert!(matches!(
        store
            .modifier_evenement(e + 1000, &modif(vec![]), &[], t(3, 10))
            .await,
        Err(StoreError::NotFound)
    ));
}
