//! « Créer cette tournée »: from the territory's planner to a tour of draft stops, through
//! the pages (a coordinator signed in with the second factor): the form lists the plan's
//! stops in visit order with a date a week apart, the tour is created with one draft event
//! per stop, a date already past is refused with the stop named and nothing written, and a
//! mediator may not create one.
//!
//! `cargo test -p maillage_essais --test web tournees::`.

use axum::http::StatusCode;

use super::http::{envoyer, formulaire, requete};
use super::mediation::{connecter, monde};

const TERRITOIRE: &str = "/territoires/epci:243100633/tournee?arrets=2";

#[tokio::test]
async fn tournees_du_plan_aux_arrets_en_brouillon() {
    let w = monde().await;
    let (cookie, csrf) = connecter(&w, "ca@exemple.fr").await;
    let form = envoyer(&w.state, requete("GET", TERRITOIRE, Some(&cookie), None)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.corps);
    let doc = scraper::Html::parse_document(&form.corps);
    let valeurs = |nom: &str| -> Vec<String> {
        let sel = scraper::Selector::parse(&format!("input[name={nom}]")).unwrap();
        doc.select(&sel)
            .filter_map(|e| e.value().attr("value").map(String::from))
            .collect()
    };
    let communes = valeurs("commune");
    let dates = valeurs("date");
    let atteints = valeurs("atteints");
    assert_eq!(communes.len(), 2, "{}", form.corps);
    assert_eq!(dates.len(), 2);
    // One stop a week from next Monday (the clock says Friday 20 November 2026).
    assert_eq!(dates, ["2026-11-23", "2026-11-30"]);
    assert!(
        atteints
            .iter()
            .all(|a| a.parse::<f64>().is_ok_and(|v| v > 0.0)),
        "{atteints:?}"
    );
    let titre = valeurs("titre").pop().expect("title");
    assert!(titre.starts_with("Numérique Tour "), "{titre}");
    let rayon = valeurs("rayon_km").pop().expect("reach");

    let poster = |dates: Vec<String>| {
        let mut champs: Vec<(&str, String)> = vec![
            ("csrf", csrf.clone()),
            ("titre", titre.clone()),
            ("rayon_km", rayon.clone()),
        ];
        for ((c, d), a) in communes.iter().zip(dates).zip(&atteints) {
            champs.push(("commune", c.clone()));
            champs.push(("date", d));
            champs.push(("atteints", a.clone()));
        }
        let paires: Vec<(&str, &str)> = champs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        requete(
            "POST",
            "/espace/tournees",
            Some(&cookie),
            Some(formulaire(&paires)),
        )
    };
    // A date already past: refused, the stop named, nothing created.
    let mut passees = dates.clone();
    passees[1] = "2026-11-01".into();
    let r = envoyer(&w.state, poster(passees)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("arrêt n° 2"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/tournees/1", Some(&cookie), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.corps);
    // The dates as proposed, one edited: the tour and its two drafts.
    let mut choisies = dates.clone();
    choisies[1] = "2026-12-10".into();
    let r = envoyer(&w.state, poster(choisies)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let ou = r
        .entetes
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert!(ou.starts_with("/espace/tournees/"), "{ou}");
    let page = envoyer(&w.state, requete("GET", &ou, Some(&cookie), None)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.corps);
    let lignes = page.textes("tbody tr");
    assert_eq!(lignes.len(), 2, "{lignes:?}");
    assert!(
        lignes[0].contains("23/11/2026") && lignes[0].contains("Brouillon"),
        "{lignes:?}"
    );
    assert!(lignes[1].contains("10/12/2026"), "{lignes:?}");
    assert!(lignes.iter().all(|l| l.contains("étape de")), "{lignes:?}");
    // The tour's report: the map of its stops (server SVG), one line per stop, the files.
    let bilan = envoyer(
        &w.state,
        requete("GET", &format!("{ou}/bilan"), Some(&cookie), None),
    )
    .await;
    assert_eq!(bilan.status, StatusCode::OK, "{}", bilan.corps);
    assert_eq!(
        bilan.textes("svg.carte-territoire g.arret").len(),
        2,
        "{}",
        bilan.corps
    );
    let lignes_bilan = bilan.textes("table.bilan tbody tr");
    assert_eq!(lignes_bilan.len(), 2, "{lignes_bilan:?}");
    assert!(lignes_bilan[0].contains("23/11/2026"), "{lignes_bilan:?}");
    assert_eq!(bilan.textes("[data-total=participants]"), ["0"]);
    assert_eq!(bilan.textes("[data-total=orientes]"), ["0"]);
    assert_eq!(bilan.textes("[data-total=cles]"), ["0"]);
    let csv = envoyer(
        &w.state,
        requete("GET", &format!("{ou}/bilan.csv"), Some(&cookie), None),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.corps.trim_start_matches('\u{feff}').starts_with(
            "Arrêt;Capacité;Inscrits;Liste d’attente;Présents inscrits;Venus sans inscription;Participants;Taux de remplissage (%);Personnes orientées"
        ),
        "{}",
        csv.corps
    );
    assert_eq!(csv.corps.lines().count(), 4, "{}", csv.corps);
    let xlsx = envoyer(
        &w.state,
        requete("GET", &format!("{ou}/bilan.xlsx"), Some(&cookie), None),
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    // Drafts are not public.
    let public = envoyer(&w.state, requete("GET", "/evenements", None, None)).await;
    assert!(!public.corps.contains("étape de"), "{}", public.corps);
    // A mediator may not plan a tour, nor read its report.
    let (mediateur, csrf_m) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", &format!("{ou}/bilan"), Some(&mediateur), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.corps);
    let r = envoyer(&w.state, requete("GET", TERRITOIRE, Some(&mediateur), None)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/tournees",
            Some(&mediateur),
            Some(formulaire(&[
                ("csrf", &csrf_m),
                ("titre", "X"),
                ("commune", "31395"),
                ("date", "2026-12-01"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
