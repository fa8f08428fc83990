//! After a registration, on a clock the test sets: the waiting list's time-limited offer
//! (a cancellation offers the seat to the first person waiting; past the deadline the job
//! hands it to the next, who confirms in « Mon espace » with their key), and the outbox's
//! messages (the reminder the day before, the message after), each sent once however many
//! times the job runs. Registrations, cancellations and confirmations go through HTTP; the
//! job is `Evenements::taches` (what `maillage serve` runs every 5 minutes and
//! `maillage evenements taches` runs once); the outbox is read through the kernel's use case.
//!
//! `cargo test -p maillage_essais --test web evenements_suivi::`.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use maillage_comptes::HorlogeManuelle;
use maillage_web::{AppState, Site};
use serde_json::{json, Value};

use super::evenements_espace::{json_de, json_post};
use super::http::{envoyer, formulaire, requete};
use super::mandats_personne::{agir_espace_sur, ouvrir_mon_espace_sur};

/// One session of one seat on 12 June 2035, 10:00–11:00 (Paris).
fn evenement() -> String {
    json!({
        "titre": "Village numérique de Muret",
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [{"titre": "Déjouer les arnaques en ligne", "type": "atelier",
                      "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T11:00:00+02:00",
                      "salle": "Salle des fêtes", "capacite": 1}]
    })
    .to_string()
}

/// The outbox's messages to `a`, by subject, oldest first.
async fn courriels(state: &AppState, a: &str) -> Vec<String> {
    state
        .instance
        .comptes()
        .courriels(1000)
        .await
        .expect("outbox")
        .into_iter()
        .rev()
        .filter(|c| c.destinataire == a)
        .map(|c| c.sujet)
        .collect()
}

#[tokio::test]
async fn evenements_suivi_offre_limitee_puis_suivante_et_rappels_une_fois() {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2035, 6, 1, 9, 0, 0)
            .single()
            .expect("date"),
    ));
    let instance = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store")
        .avec_horloge(horloge.clone());
    let operateur = instance.comptes().exploitant();
    let cree = instance
        .evenements()
        .importer(&operateur, &evenement())
        .await
        .expect("event imported");
    let session = cree.sessions[0];
    let state = AppState::new(instance, Site::default())
        .await
        .expect("state");
    let evenements = state.instance.evenements().clone();
    assert_eq!(evenements.delai_offre(), Duration::hours(24));

    // Alice takes the seat; Bruno and Chloé wait, in that order. All three gave an e-mail.
    let mut inscrits: Vec<Value> = Vec::new();
    for (prenom, courriel) in [
        ("Alice", "alice@exemple.fr"),
        ("Bruno", "bruno@exemple.fr"),
        ("Chloé", "chloe@exemple.fr"),
    ] {
        let r = envoyer(
            &state,
            json_post(
                &format!("/api/v1/sessions/{session}/inscriptions"),
                "",
                None,
                &json!({"prenom": prenom, "contact": courriel}),
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.corps);
        inscrits.push(json_de(&r));
    }
    let statuts: Vec<&str> = inscrits
        .iter()
        .map(|v| v["statut"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuts, ["inscrit", "liste_attente", "liste_attente"]);
    let jeton = |v: &Value| {
        let lien = v["annulation"].as_str().unwrap_or("").to_string();
        lien.split_once("jeton=")
            .map(|(_, j)| j.to_string())
            .expect("jeton")
    };
    let billet = |v: &Value| format!("/inscriptions/billet?jeton={}", jeton(v));

    // Alice cancels by her link: the seat is offered to Bruno for 24 hours, and he is told.
    let page = envoyer(
        &state,
        requete(
            "GET",
            inscrits[0]["annulation"].as_str().unwrap_or(""),
            None,
            None,
        ),
    )
    .await;
    let secret = page.champ_cache("jeton").expect("hidden secret");
    let r = envoyer(
        &state,
        requete(
            "POST",
            "/inscriptions/annuler",
            None,
            Some(formulaire(&[("jeton", &secret)])),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.corps);
    let b = envoyer(&state, requete("GET", &billet(&inscrits[1]), None, None)).await;
    assert!(
        b.corps
            .contains("Elle vous est réservée jusqu’au 02/06/2035 à 11:00"),
        "{}",
        b.corps
    );
    assert_eq!(
        courriels(&state, "bruno@exemple.fr").await,
        ["Une place s’est libérée : Déjouer les arnaques en ligne"]
    );
    // Nobody can take the held seat meanwhile.
    let r = envoyer(
        &state,
        json_post(
            &format!("/api/v1/sessions/{session}/inscriptions"),
            "",
            None,
            &json!({"prenom": "David"}),
        ),
    )
    .await;
    assert_eq!(json_de(&r)["statut"], "liste_attente", "{}", r.corps);

    // Bruno lets the 24 hours pass: the job hands the seat to Chloé.
    horloge.avancer(Duration::hours(24) + Duration::minutes(1));
    let fait = evenements.taches().await.expect("job");
    assert_eq!(
        (fait.offres.expirees.len(), fait.offres.offertes.len()),
        (1, 1)
    );
    let fait = evenements.taches().await.expect("job again");
    assert!(fait.offres.expirees.is_empty() && fait.offres.offertes.is_empty());
    let secret_bruno = jeton(&inscrits[1]);
    let r = envoyer(
        &state,
        requete(
            "POST",
            "/inscriptions/confirmer",
            None,
            Some(formulaire(&[("jeton", &percent_decode(&secret_bruno))])),
        ),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.corps);
    assert!(
        r.corps.contains("Aucune place n’est à confirmer"),
        "{}",
        r.corps
    );
    assert!(r.corps.contains("Annulé"), "{}", r.corps);

    // Chloé confirms in « Mon espace » with the key of her registration.
    let cle = inscrits[2]["cle"].as_str().expect("key").to_string();
    let r = ouvrir_mon_espace_sur(&state, &cle).await;
    let espace = format!(
        "maillage_espace={}",
        r.cookie("maillage_espace").expect("space")
    );
    let page = envoyer(&state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    assert!(
        page.corps.contains("Une place s’est libérée"),
        "{}",
        page.corps
    );
    let uuid = inscrits[2]["id"].as_str().expect("uuid").to_string();
    let r = agir_espace_sur(
        &state,
        &espace,
        &[("action", "confirmer"), ("inscription", &uuid)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.corps);
    assert!(r.corps.contains("C’est confirmé"), "{}", r.corps);
    let lignes = r.textes("#titre-inscriptions + ul li");
    assert!(lignes.iter().any(|l| l.contains("Inscrit")), "{lignes:?}");
    let api = envoyer(
        &state,
        requete(
            "GET",
            &format!("/api/v1/evenements/{}", cree.id),
            None,
            None,
        ),
    )
    .await;
    let v = json_de(&api);
    assert_eq!(
        (
            v["sessions"][0]["inscrits"].as_i64(),
            v["sessions"][0]["en_attente"].as_i64()
        ),
        (Some(1), Some(1))
    );

    // The day before (11 June, 12:00): one reminder to Chloé, however many runs.
    horloge.regler(
        Utc.with_ymd_and_hms(2035, 6, 11, 10, 0, 0)
            .single()
            .expect("date"),
    );
    let fait = evenements.taches().await.expect("job");
    assert_eq!(fait.rappels, 1);
    assert_eq!(evenements.taches().await.expect("job again").rappels, 0);
    // After the session: one message after, to Chloé only (David gave no contact, Alice and
    // Bruno are no longer registered).
    horloge.regler(
        Utc.with_ymd_and_hms(2035, 6, 12, 16, 0, 0)
            .single()
            .expect("date"),
    );
    assert_eq!(evenements.taches().await.expect("job").messages_apres, 1);
    assert_eq!(
        evenements.taches().await.expect("job again").messages_apres,
        0
    );
    assert_eq!(
        courriels(&state, "chloe@exemple.fr").await,
        [
            "Une place s’est libérée : Déjouer les arnaques en ligne",
            "Rappel : Déjouer les arnaques en ligne",
            "Merci : Déjouer les arnaques en ligne"
        ]
    );
    assert_eq!(courriels(&state, "alice@exemple.fr").await.len(), 0);
    assert_eq!(courriels(&state, "bruno@exemple.fr").await.len(), 1);
}

/// The secret as the form carries it (the link has it percent-encoded).
fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("j={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
