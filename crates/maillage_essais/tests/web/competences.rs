//! « Connaître son niveau » as a person lives it: the pages only, JavaScript off (forms and
//! links), from the bundled instance (the demo directory a fresh `serve` loads).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_web::{router, AppState};
use scraper::{Html, Selector};
use tower::ServiceExt;

struct Page {
    status: StatusCode,
    entetes: axum::http::HeaderMap,
    corps: String,
}

impl Page {
    fn titre(&self) -> String {
        self.html()
            .select(&sel("title"))
            .next()
            .map(|t| t.text().collect())
            .unwrap_or_default()
    }

    fn html(&self) -> Html {
        Html::parse_document(&self.corps)
    }
}

async fn envoyer(state: &AppState, req: Request<Body>) -> Page {
    let r = router(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = r.status();
    let entetes = r.headers().clone();
    let corps = r
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    Page {
        status,
        entetes,
        corps,
    }
}

async fn poster(state: &AppState, champs: &[(&str, &str)]) -> Page {
    poster_a(state, "/competences", champs).await
}

async fn poster_a(state: &AppState, chemin: &str, champs: &[(&str, &str)]) -> Page {
    let corps: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(champs)
        .finish();
    envoyer(
        state,
        Request::post(chemin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(corps))
            .expect("request"),
    )
    .await
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("selector")
}

fn valeur(h: &Html, s: &str) -> Option<String> {
    h.select(&sel(s))
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
}

/// What the person answers: at ease with the basics (first choice of a statement up to
/// level 2: « Oui, facilement »), not beyond (« Non »); practical items: the first choice.
fn choisir(h: &Html, niveau_personne: u8, item: &str) -> String {
    let codes: Vec<String> = h
        .select(&sel("input[name=reponse]"))
        .filter_map(|e| e.value().attr("value").map(str::to_string))
        .collect();
    let niveau: u8 = item
        .rsplit('-')
        .next()
        .and_then(|n| n.chars().next())
        .and_then(|c| c.to_digit(10))
        .unwrap_or(1) as u8;
    if codes.first().map(String::as_str) == Some("f") {
        if niveau <= niveau_personne { "f" } else { "n" }.to_string()
    } else {
        codes.first().cloned().unwrap_or_default()
    }
}

fn verifier_page_publique(p: &Page) {
    assert_eq!(p.status, StatusCode::OK, "{}", p.corps);
    assert_eq!(
        p.entetes
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(p.entetes.get(header::SET_COOKIE).is_none(), "no cookie");
    assert!(p.corps.len() <= 30 * 1024, "{} octets", p.corps.len());
    println!("page {} : {} octets", p.titre(), p.corps.len());
    assert!(!p.corps.contains("<script"), "works without JavaScript");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competences_une_personne_connait_son_niveau_et_trouve_de_l_aide_pres_de_chez_elle() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");

    // The home page leads to it; the start page says nothing is kept.
    let accueil = envoyer(&state, Request::get("/").body(Body::empty()).expect("req")).await;
    assert!(accueil.corps.contains("href=\"/competences\""));
    let debut = envoyer(
        &state,
        Request::get("/competences")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    verifier_page_publique(&debut);
    assert!(
        debut.corps.contains("Rien n'est gardé") || debut.corps.contains("Rien n&#x27;est gardé")
    );

    // « Commencer », then one question per page.
    let mut page = poster(&state, &[]).await;
    let mut ecrans = 0;
    let mut precedente_testee = false;
    loop {
        verifier_page_publique(&page);
        let h = page.html();
        let Some(question) = valeur(&h, "input[name=question]") else {
            break;
        };
        ecrans += 1;
        assert!(ecrans <= 20, "more than 20 questions");
        let etat = valeur(&h, "input[name=etat]").expect("state");
        assert!(h.select(&sel("fieldset legend")).next().is_some());
        // Large targets: every answer is a labelled radio button.
        for r in h.select(&sel("input[name=reponse]")) {
            let id = r.value().attr("id").expect("id");
            assert!(h.select(&sel(&format!("label[for={id}]"))).next().is_some());
        }
        // Sending without choosing says so, and keeps the question.
        if ecrans == 1 {
            let vide = poster(&state, &[("etat", &etat), ("question", &question)]).await;
            assert_eq!(vide.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(vide.corps.contains("Choisissez une réponse"));
            assert_eq!(
                valeur(&vide.html(), "input[name=question]"),
                Some(question.clone())
            );
        }
        let reponse = choisir(&h, 2, &question);
        let suivante = poster(
            &state,
            &[
                ("etat", &etat),
                ("question", &question),
                ("reponse", &reponse),
            ],
        )
        .await;
        // « Question précédente » comes back to this question once.
        if ecrans == 3 && !precedente_testee {
            precedente_testee = true;
            let h2 = suivante.html();
            let etat2 = valeur(&h2, "input[name=etat]").expect("state");
            let retour = poster(&state, &[("etat", &etat2), ("action", "precedente")]).await;
            assert_eq!(
                valeur(&retour.html(), "input[name=question]"),
                Some(question.clone())
            );
        }
        page = suivante;
    }
    assert!(ecrans >= 3, "{ecrans} questions");

    // The results: five domains, in a chart and in a table, each with its reliability.
    let h = page.html();
    let lignes: Vec<String> = h
        .select(&sel("table tbody tr"))
        .map(|e| e.text().collect::<String>())
        .collect();
    assert_eq!(lignes.len(), 5, "{lignes:?}");
    assert!(h.select(&sel("svg[role=img] title")).next().is_some());
    assert!(
        lignes
            .iter()
            .any(|l| l.contains("Débutant") || l.contains("aise")),
        "a person at level 2 is not « autonome » everywhere: {lignes:?}"
    );

    // The commune: three next steps, with a real place near it.
    let etat = valeur(&h, "input[name=etat]").expect("state");
    let etapes = poster(&state, &[("etat", &etat), ("commune", "Muret")]).await;
    verifier_page_publique(&etapes);
    let he = etapes.html();
    let n = he.select(&sel("ol.etapes > li")).count();
    assert_eq!(n, 3, "{}", etapes.corps);
    let lieux: Vec<String> = he
        .select(&sel("ol.etapes a[href^='/lieux/']"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(!lieux.is_empty(), "a place near Muret");
    let fiche = envoyer(
        &state,
        Request::get(lieux[0].as_str())
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(fiche.status, StatusCode::OK, "{}", lieux[0]);
    let listes: Vec<String> = he
        .select(&sel("ol.etapes a[href^='/lieux?besoin=']"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(listes.len(), 3);
    assert!(listes.iter().all(|l| l.contains("ou=Muret")));

    // An unknown commune is said plainly.
    let inconnue = poster(&state, &[("etat", &etat), ("commune", "Zzzzville")]).await;
    assert!(inconnue
        .corps
        .contains("Nous ne connaissons pas la commune"));

    // « Effacer mes réponses » leaves the pages (nothing was kept anywhere).
    let efface = poster(&state, &[("etat", &etat), ("action", "effacer")]).await;
    assert_eq!(efface.status, StatusCode::SEE_OTHER);
    assert_eq!(
        efface
            .entetes
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/competences?efface=1")
    );

    // A state altered by hand is refused in French, not half-read.
    let altere = poster(
        &state,
        &[
            ("etat", "1~1~inconnu:f"),
            ("question", "x"),
            ("reponse", "f"),
        ],
    )
    .await;
    assert_eq!(altere.status, StatusCode::BAD_REQUEST);
    assert!(altere.corps.contains("Recommencez"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competences_le_quiz_arnaques_explique_chaque_reponse_et_recommence_en_borne() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    const QUIZ: &str = "/competences/quiz/arnaques";
    let debut = envoyer(
        &state,
        Request::get(format!("{QUIZ}?kiosque=1"))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    verifier_borne(&debut);
    // Kiosk mode: the page says it restarts itself, and a script does it.
    assert!(debut.corps.contains("recommence tout seul"));
    assert!(debut.corps.contains("<script>"));
    let mut page = poster_a(&state, QUIZ, &[("kiosque", "1")]).await;
    let (mut questions, mut bonnes_attendues) = (0, 0);
    while let Some(question) = valeur(&page.html(), "input[name=question]") {
        questions += 1;
        let h = page.html();
        let etat = valeur(&h, "input[name=etat]").expect("state");
        assert_eq!(valeur(&h, "input[name=kiosque]").as_deref(), Some("1"));
        // Always the first choice.
        let correction = poster_a(
            &state,
            QUIZ,
            &[
                ("etat", &etat),
                ("question", &question),
                ("reponse", "0"),
                ("kiosque", "1"),
            ],
        )
        .await;
        verifier_borne(&correction);
        let hc = correction.html();
        let titre: String = hc
            .select(&sel("#correction"))
            .next()
            .map(|t| t.text().collect())
            .expect("a correction after each answer");
        if titre == "Bonne réponse" {
            bonnes_attendues += 1;
        } else {
            assert_eq!(titre, "Pas tout à fait");
            assert!(correction.corps.contains("La bonne réponse"));
        }
        let etat = valeur(&hc, "input[name=etat]").expect("state");
        page = poster_a(&state, QUIZ, &[("etat", &etat), ("kiosque", "1")]).await;
    }
    assert_eq!(questions, 8);
    verifier_borne(&page);
    let score: String = page
        .html()
        .select(&sel("#score"))
        .next()
        .map(|t| t.text().collect())
        .expect("score");
    assert!(
        score.starts_with(&format!("{bonnes_attendues} bonne")),
        "{score}"
    );
    assert!(score.ends_with("sur 8"), "{score}");
    // « Recommencer » goes back to the start, still in kiosk mode, with nothing kept.
    let r = poster_a(&state, QUIZ, &[("action", "recommencer"), ("kiosque", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.entetes
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/competences/quiz/arnaques?kiosque=1")
    );
    // Answers of another quiz order are refused; an unknown quiz is a 404.
    let autre = poster_a(&state, QUIZ, &[("etat", "1~0~p4.1-2:0")]).await;
    assert_eq!(autre.status, StatusCode::BAD_REQUEST);
    let inconnu = envoyer(
        &state,
        Request::get("/competences/quiz/inconnu")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(inconnu.status, StatusCode::NOT_FOUND);
}

/// A quiz page: no cookie, not cached, small; the kiosk's one script aside.
fn verifier_borne(p: &Page) {
    assert_eq!(p.status, StatusCode::OK, "{}", p.corps);
    assert_eq!(
        p.entetes
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(p.entetes.get(header::SET_COOKIE).is_none());
    assert!(p.corps.len() <= 30 * 1024);
}
