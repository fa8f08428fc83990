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

    // « Commencer », then one question per page. The questions are drawn by a random seed
    // kept in the page's state: the test fixes it (the same state with seed 1, sent back
    // with no answer, shows that draw's first question), so that the journey, and the
    // result the level-2 answers below lead to, are the same at every run. With a random
    // draw, about one run in twelve asked only questions up to level 2 in every domain, and
    // the person was then rightly « autonome » everywhere.
    let debut = poster(&state, &[]).await;
    let etat = valeur(&debut.html(), "input[name=etat]").expect("state");
    let calibration = etat.split('~').next().expect("calibration");
    let mut page = poster(&state, &[("etat", &format!("{calibration}~1"))]).await;
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

    // Nothing was stored so far: only the explicit choice stores.
    let store = state.instance.store().clone();
    assert!(store.reponses_anonymes().await.expect("answers").is_empty());
    assert!(store
        .agregats_competences()
        .await
        .expect("cells")
        .is_empty());
    assert!(
        etapes.corps.contains("Rien n'est gardé sans votre choix")
            || etapes
                .corps
                .contains("Rien n&#x27;est gardé sans votre choix")
    );
    // « Enregistrer mon résultat »: anonymous, with the commune's INSEE code.
    let garde = poster(
        &state,
        &[
            ("etat", &etat),
            ("commune", "Muret"),
            ("action", "enregistrer"),
        ],
    )
    .await;
    verifier_page_publique(&garde);
    assert!(
        garde.corps.contains("Votre résultat est enregistré"),
        "{}",
        garde.corps
    );
    let cellules = store.agregats_competences().await.expect("cells");
    assert_eq!(
        cellules.iter().map(|c| c.nombre).sum::<i64>(),
        5,
        "{cellules:?}"
    );
    assert!(
        cellules.iter().all(|c| c.commune == "31395"),
        "{cellules:?}"
    );
    let reponses = store.reponses_anonymes().await.expect("answers");
    assert_eq!(reponses.len(), ecrans, "every answer, anonymised");
    assert!(reponses
        .iter()
        .all(|r| r.passation == reponses[0].passation));
    // Stored without a commune works too; an unknown commune is refused, nothing stored.
    let inconnue = poster(
        &state,
        &[
            ("etat", &etat),
            ("commune", "Zzzzville"),
            ("action", "enregistrer"),
        ],
    )
    .await;
    assert_eq!(inconnue.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(inconnue.corps.contains("Commune :"));
    assert_eq!(
        store.reponses_anonymes().await.expect("answers").len(),
        ecrans
    );
    // « Le ranger aussi dans Mon espace » without a code: a new code, shown once, opens
    // « Mon espace » where the result is listed per domain.
    let range = poster(
        &state,
        &[
            ("etat", &etat),
            ("commune", "Muret"),
            ("espace", "oui"),
            ("cle", ""),
            ("action", "enregistrer"),
        ],
    )
    .await;
    assert_eq!(range.status, StatusCode::OK, "{}", range.corps);
    let code = range
        .html()
        .select(&sel("#cle"))
        .next()
        .map(|e| e.text().collect::<String>())
        .expect("a new personal code");
    assert_eq!(code.trim().len(), 23, "{code}");
    assert!(range
        .corps
        .contains("rangé dans <a href=\"/mon-espace\">Mon espace</a>"));
    // A wrong code is refused on the field, nothing more is stored.
    let avant = store.reponses_anonymes().await.expect("answers").len();
    let faux = poster(
        &state,
        &[
            ("etat", &etat),
            ("espace", "oui"),
            ("cle", "AAAAA-BBBBB-CCCCC-DDDDD"),
            ("action", "enregistrer"),
        ],
    )
    .await;
    assert_eq!(faux.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(faux.corps.contains("Code personnel"), "{}", faux.corps);
    assert_eq!(
        store.reponses_anonymes().await.expect("answers").len(),
        avant
    );
    // The same code again: a second result under the same key.
    let encore = poster(
        &state,
        &[
            ("etat", &etat),
            ("espace", "oui"),
            ("cle", code.trim()),
            ("action", "enregistrer"),
        ],
    )
    .await;
    assert_eq!(encore.status, StatusCode::OK, "{}", encore.corps);
    assert!(
        encore.html().select(&sel("#cle")).next().is_none(),
        "no new code"
    );
    let formulaire = envoyer(
        &state,
        Request::get("/mon-espace")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    let pre = formulaire
        .entetes
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("maillage_pre="))
        .and_then(|v| v.split(';').next())
        .expect("pre cookie")
        .to_string();
    let csrf = valeur(&formulaire.html(), "input[name=csrf]").expect("csrf");
    let corps: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf", csrf.as_str()),
            ("action", "ouvrir"),
            ("code", code.trim()),
        ])
        .finish();
    let ouvert = envoyer(
        &state,
        Request::post("/mon-espace")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("maillage_pre={pre}"))
            .body(Body::from(corps))
            .expect("request"),
    )
    .await;
    assert_eq!(ouvert.status, StatusCode::SEE_OTHER);
    let espace = ouvert
        .entetes
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("maillage_espace="))
        .and_then(|v| v.split(';').next())
        .expect("space cookie")
        .to_string();
    let mon_espace = envoyer(
        &state,
        Request::get("/mon-espace")
            .header(header::COOKIE, format!("maillage_espace={espace}"))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    let h = mon_espace.html();
    assert_eq!(
        h.select(&sel("#titre-niveau ~ h3")).count(),
        2,
        "{}",
        mon_espace.corps
    );
    assert_eq!(
        h.select(&sel("ul.niveau-espace"))
            .next()
            .map(|u| u.select(&sel("li")).count()),
        Some(5)
    );

    // An unfinished assessment cannot be stored.
    let debut = poster(&state, &[("etat", "1~7"), ("action", "enregistrer")]).await;
    assert_eq!(debut.status, StatusCode::BAD_REQUEST);

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

/// The hidden fields of the first form holding `selecteur`, plus the extra ones.
fn champs_du_formulaire(corps: &str, selecteur: &str) -> Vec<(String, String)> {
    let h = Html::parse_document(corps);
    let form = h
        .select(&sel("form"))
        .find(|f| f.select(&sel(selecteur)).next().is_some())
        .expect("form");
    form.select(&sel("input[type=hidden]"))
        .filter_map(|i| {
            Some((
                i.value().attr("name")?.to_string(),
                i.value().attr("value").unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// A whole assessment with a mediator through the pages, from the consent form to
/// « Enregistrer dans le dossier »; the person answers at `niveau`. Returns the answer
/// to the recording.
async fn evaluation_avec_mediateur(
    w: &crate::mediation::Monde,
    cookie: &str,
    csrf: &str,
    ben: i64,
    niveau: u8,
) -> crate::http::Reponse {
    use crate::http::{envoyer as envoyer_h, formulaire, requete};
    let chemin = format!("/espace/beneficiaires/{ben}/competences");
    let mut page = envoyer_h(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(cookie),
            Some(formulaire(&[
                ("csrf", csrf),
                ("consentement", "1"),
                ("commune", "Toulouse"),
                ("action", "commencer"),
            ])),
        ),
    )
    .await;
    let mut ecrans = 0;
    loop {
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{} {}",
            page.location(),
            page.corps
        );
        let h = Html::parse_document(&page.corps);
        let Some(question) = valeur(&h, "input[name=question]") else {
            break;
        };
        ecrans += 1;
        assert!(ecrans <= 20);
        let mut champs = champs_du_formulaire(&page.corps, "input[name=question]");
        champs.push(("reponse".into(), choisir(&h, niveau, &question)));
        let paires: Vec<(&str, &str)> = champs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        page = envoyer_h(
            &w.state,
            requete("POST", &chemin, Some(cookie), Some(formulaire(&paires))),
        )
        .await;
    }
    assert!(
        page.corps.contains("Enregistrer dans le dossier"),
        "{}",
        page.corps
    );
    let mut champs = champs_du_formulaire(&page.corps, "button[value=enregistrer]");
    champs.push(("action".into(), "enregistrer".into()));
    let paires: Vec<(&str, &str)> = champs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    envoyer_h(
        &w.state,
        requete("POST", &chemin, Some(cookie), Some(formulaire(&paires))),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competences_avec_un_mediateur_consentement_dossier_progres_et_impact() {
    use crate::http::{envoyer as envoyer_h, formulaire, requete};
    use crate::mediation::{acteur, connecter, monde, personne};
    let w = monde().await;
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let (c_b1, csrf_b1) = connecter(&w, "b1@exemple.fr").await;
    let (c_ca, _) = connecter(&w, "ca@exemple.fr").await;
    let (c_cb, _) = connecter(&w, "cb@exemple.fr").await;
    let a1 = acteur(&w, &c_a1).await;
    let ben =
        w.m.creer_beneficiaire(&a1, personne("Lucienne"), false)
            .await
            .expect("file");
    let chemin = format!("/espace/beneficiaires/{ben}/competences");
    let competences = w.state.instance.competences().clone();

    // The file offers it; the consent page shows the wording with a checkbox.
    let dossier = envoyer_h(
        &w.state,
        requete(
            "GET",
            &format!("/espace/beneficiaires/{ben}"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert!(dossier.corps.contains(&format!("href=\"{chemin}\"")));
    assert!(dossier.corps.contains("Aucune évaluation enregistrée"));
    let consentement = envoyer_h(&w.state, requete("GET", &chemin, Some(&c_a1), None)).await;
    assert_eq!(consentement.status, StatusCode::OK);
    assert!(consentement
        .corps
        .contains("type=\"checkbox\" id=\"consentement\""));
    assert!(consentement.corps.contains("sans son nom"));

    // Without the box ticked, nothing starts.
    let refus = envoyer_h(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_a1),
            Some(formulaire(&[
                ("csrf", &csrf_a1),
                ("commune", "Toulouse"),
                ("action", "commencer"),
            ])),
        ),
    )
    .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.corps.contains("Consentement"));

    // Another structure's mediator cannot see nor attach; a coordinator neither.
    let r = envoyer_h(&w.state, requete("GET", &chemin, Some(&c_b1), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer_h(
        &w.state,
        requete(
            "POST",
            &chemin,
            Some(&c_b1),
            Some(formulaire(&[
                ("csrf", &csrf_b1),
                ("consentement", "1"),
                ("commune", "Paris"),
                ("etat", "1~3~e1.1-1:f"),
                ("action", "enregistrer"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer_h(&w.state, requete("GET", &chemin, Some(&c_ca), None)).await;
    assert!(matches!(
        r.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert!(competences.historique(ben).await.expect("h").is_empty());

    // First assessment (a beginner): attached, with consent, and an activity record.
    let r = evaluation_avec_mediateur(&w, &c_a1, &csrf_a1, ben, 1).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(
        r.location(),
        format!("/espace/beneficiaires/{ben}#competences")
    );
    let h = competences.historique(ben).await.expect("history");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].mediateur_id, Some(w_a1(&a1)));
    assert_eq!(h[0].commune.as_deref(), Some("31555"));
    assert!(h[0]
        .consentement
        .as_deref()
        .is_some_and(|c| c.contains("accepte")));
    let activites =
        w.m.activites_du_beneficiaire(&a1, ben)
            .await
            .expect("records");
    assert_eq!(activites.len(), 1);
    assert_eq!(
        activites[0].cra.thematiques,
        vec![maillage_domain::mediation::Thematique::DiagnosticNumerique]
    );
    let dossier = envoyer_h(
        &w.state,
        requete(
            "GET",
            &format!("/espace/beneficiaires/{ben}"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert!(dossier.corps.contains("Évaluations, de la plus ancienne"));
    assert!(!dossier.corps.contains("Progrès par domaine"));

    // A second one, later, at a higher level: the file shows the progress per domain.
    w.horloge.avancer(chrono::Duration::minutes(5));
    let r = evaluation_avec_mediateur(&w, &c_a1, &csrf_a1, ben, 3).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(competences.historique(ben).await.expect("h").len(), 2);
    let dossier = envoyer_h(
        &w.state,
        requete(
            "GET",
            &format!("/espace/beneficiaires/{ben}"),
            Some(&c_a1),
            None,
        ),
    )
    .await;
    assert!(
        dossier.corps.contains("Progrès par domaine"),
        "{}",
        dossier.corps
    );
    assert!(dossier.corps.contains("a progressé"), "{}", dossier.corps);

    // The impact indicator: the mediator's and their coordinator's dashboards; not another
    // team's.
    for cookie in [&c_a1, &c_ca] {
        let accueil = envoyer_h(&w.state, requete("GET", "/espace", Some(cookie), None)).await;
        assert!(
            accueil.corps.contains("id=\"impact-indicateur\""),
            "{}",
            accueil.corps
        );
        assert!(
            accueil.corps.contains("<strong>100 %</strong>"),
            "{}",
            accueil.corps
        );
        assert!(accueil
            .corps
            .contains("<strong>1</strong> sur <strong>1</strong>"));
    }
    let autre = envoyer_h(&w.state, requete("GET", "/espace", Some(&c_cb), None)).await;
    assert!(autre
        .corps
        .contains("Aucune personne n’a encore été évaluée deux fois"));

    // The measured needs of the territory: 2 assessments in Toulouse, under 5 → suppressed.
    let api = envoyer_h(
        &w.state,
        requete("GET", "/api/v1/territoires/dep:31/competences", None, None),
    )
    .await;
    assert_eq!(api.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api.corps).expect("json");
    assert_eq!(v["seuil"], 5);
    assert_eq!(v["domaines"].as_array().map(Vec::len), Some(5));
    assert!(v["domaines"][0].get("total").is_none(), "{v}");

    // A second file for the same person, assessed once: merging it into the first moves
    // its assessment, and the kept file's history counts the three.
    let ben2 =
        w.m.creer_beneficiaire(&a1, personne("Lucienne B."), false)
            .await
            .expect("second file");
    let r = evaluation_avec_mediateur(&w, &c_a1, &csrf_a1, ben2, 2).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let fusion = envoyer_h(
        &w.state,
        requete(
            "POST",
            "/espace/beneficiaires/fusion",
            Some(&c_a1),
            Some(formulaire(&[
                ("csrf", &csrf_a1),
                ("garde", &ben.to_string()),
                ("absorbe", &ben2.to_string()),
            ])),
        ),
    )
    .await;
    assert_eq!(fusion.status, StatusCode::SEE_OTHER, "{}", fusion.corps);
    assert_eq!(fusion.location(), format!("/espace/beneficiaires/{ben}"));
    assert_eq!(competences.historique(ben).await.expect("h").len(), 3);
    assert!(competences.historique(ben2).await.expect("h").is_empty());
}

fn w_a1(a: &maillage_comptes::Acteur) -> i64 {
    a.id().get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competences_besoins_mesures_sur_la_page_du_territoire_sans_cellule_sous_cinq() {
    use maillage_store::competences::{DomaineResultatRow, NewResultatCompetences};
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let store = state.instance.store().clone();
    // 6 beginners and 2 « autonome » in domain 1 in Toulouse; 3 in Paris.
    for (commune, bande, n) in [
        ("31555", "debutant", 6),
        ("31555", "autonome", 2),
        ("75056", "debutant", 3),
    ] {
        for _ in 0..n {
            store
                .create_resultat_competences(&NewResultatCompetences {
                    calibration: 1,
                    questions: 15,
                    commune: Some(commune.into()),
                    beneficiaire_id: None,
                    personne_id: None,
                    mediateur_id: None,
                    structure_id: None,
                    consentement: None,
                    created_at: chrono::Utc::now(),
                    domaines: vec![DomaineResultatRow {
                        domaine: "1".into(),
                        theta: -1.5,
                        ecart: 0.5,
                        bande: bande.into(),
                        questions: 4,
                    }],
                    reponses: Vec::new(),
                })
                .await
                .expect("stored");
        }
    }
    let page = envoyer(
        &state,
        Request::get("/territoires/dep:31")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let h = page.html();
    let ligne: String = h
        .select(&sel("table.besoins tbody tr"))
        .next()
        .map(|e| e.text().collect::<Vec<_>>().join("|"))
        .expect("a line per domain");
    // Total 8, beginners 6, « autonome » 2 → suppressed, the others 0 → suppressed.
    assert_eq!(
        ligne, "Informations et données|8|6|moins de 5|moins de 5|moins de 5",
        "{ligne}"
    );
    assert!(h.select(&sel("svg.besoins title")).next().is_some());
    let api = envoyer(
        &state,
        Request::get("/api/v1/territoires/dep:31/competences")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&api.corps).expect("json");
    assert_eq!(v["domaines"][0]["total"], 8);
    assert_eq!(v["domaines"][0]["bandes"][0]["nombre"], 6);
    assert!(v["domaines"][0]["bandes"][2].get("nombre").is_none());
    // Paris: 3 only, nothing shown.
    let api = envoyer(
        &state,
        Request::get("/api/v1/territoires/dep:75/competences")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&api.corps).expect("json");
    assert!(v["domaines"][0].get("total").is_none(), "{v}");
}

/// Answers every question as a person who knows little (`niveau_personne` 0: « Non » to
/// every statement) and returns the results page's state.
async fn evaluation_debutant(state: &AppState) -> String {
    let mut page = poster(state, &[]).await;
    for _ in 0..25 {
        let h = page.html();
        let etat = valeur(&h, "input[name=etat]").expect("state");
        let Some(question) = valeur(&h, "input[name=question]") else {
            return etat;
        };
        let reponse = choisir(&h, 0, &question);
        page = poster(
            state,
            &[
                ("etat", &etat),
                ("question", &question),
                ("reponse", &reponse),
            ],
        )
        .await;
    }
    panic!("more than 25 screens");
}

/// The next steps join the other modules near the person's commune: for each step, the
/// soonest session still to come whose theme is one of the step's competence (Événements),
/// and the voucher programme that covers the commune (Pass); neither far away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competences_les_etapes_proposent_un_atelier_du_theme_et_un_pass() {
    use chrono::{Datelike, NaiveDate};
    use maillage_competences::Referentiel;
    use maillage_domain::mediation::Referentiel as _;
    use maillage_pass::DemandeProgramme;

    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");
    let op = state.instance.comptes().exploitant();
    // A local day at Muret whose sessions cover six themes.
    let sessions = [
        "Déjouer les arnaques en ligne",
        "Vos démarches administratives en ligne",
        "Envoyer un mail avec une pièce jointe",
        "Prendre en main son smartphone",
        "Créer un objet avec l'imprimante 3D",
        "Écrire une lettre avec un traitement de texte",
        "Chercher une information fiable",
    ];
    let json = serde_json::json!({
        "titre": "Numérique en commun(s) à Muret",
        "type": "journee_locale",
        "commune": "31395",
        "adresse": "Place de la République",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T18:00:00+02:00",
        "sessions": sessions.iter().enumerate().map(|(i, t)| serde_json::json!({
            "titre": t, "type": "atelier",
            "debut": format!("2035-06-12T{:02}:00:00+02:00", 9 + i),
            "fin": format!("2035-06-12T{:02}:45:00+02:00", 9 + i),
            "capacite": 10
        })).collect::<Vec<_>>()
    })
    .to_string();
    let evenement = state
        .instance
        .evenements()
        .importer(&op, &json)
        .await
        .expect("event")
        .id;
    // Two voucher programmes: the département's (covers Muret), and Paris'.
    let c = state.instance.comptes();
    let annee = c.aujourdhui().year() + 1;
    let pass = state.instance.pass();
    for (financeur, nom, territoire, insee) in [
        (
            "Conseil départemental",
            "Pass numérique Haute-Garonne",
            "dep:31",
            "31555",
        ),
        ("Ville de Paris", "Pass Paris numérique", "dep:75", "75056"),
    ] {
        let s = c
            .creer_structure(&op, financeur, None, Some(insee))
            .await
            .expect("funder")
            .get();
        let lieu = c
            .creer_structure(
                &op,
                &format!("Espace numérique de {financeur}"),
                Some(if insee == "31555" {
                    "73282932000074"
                } else {
                    "44306184100047"
                }),
                Some(insee),
            )
            .await
            .expect("place")
            .get();
        let p = pass
            .creer_programme(
                &op,
                DemandeProgramme {
                    financeur_structure_id: s,
                    nom: nom.into(),
                    budget_centimes: 1_000_000,
                    valeur_centimes: 2_000,
                    fin_validite: NaiveDate::from_ymd_opt(annee, 12, 31).expect("date"),
                    tolerance: NaiveDate::from_ymd_opt(annee + 1, 1, 31).expect("date"),
                    territoire: territoire.into(),
                    publics: vec!["sans_emploi".into(), "retraite".into()],
                },
            )
            .await
            .expect("programme");
        pass.qualifier_lieu(&op, p, lieu).await.expect("qualified");
    }

    let etat = evaluation_debutant(&state).await;
    let muret = poster(&state, &[("etat", &etat), ("commune", "Muret")]).await;
    verifier_page_publique(&muret);
    let h = muret.html();
    let referentiel = Referentiel::embarque();
    let themes_offerts: Vec<&str> = sessions
        .iter()
        .map(|t| maillage_web::evenements_espace::thematique_de(t, "atelier").code())
        .collect();
    let mut ateliers = 0;
    let etapes: Vec<_> = h.select(&sel("ol.etapes > li")).collect();
    assert_eq!(etapes.len(), 3, "{}", muret.corps);
    for li in etapes {
        let texte: String = li.text().collect();
        let code = texte
            .split("Compétence ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .expect("the step names its competence");
        let competence = referentiel.competence(code).expect("known competence");
        let lien = li.select(&sel("a[href^='/evenements/']")).next().map(|a| {
            (
                a.value().attr("href").map(str::to_string),
                a.text().collect::<String>(),
            )
        });
        let attendu = competence
            .thematiques
            .iter()
            .any(|t| themes_offerts.contains(&t.as_str()));
        assert_eq!(lien.is_some(), attendu, "{code}: {texte}");
        if let Some((href, titre)) = lien {
            ateliers += 1;
            assert_eq!(href, Some(format!("/evenements/{evenement}")));
            let session = sessions
                .iter()
                .find(|s| titre.starts_with(*s))
                .expect("a session of the day");
            let theme = maillage_web::evenements_espace::thematique_de(session, "atelier");
            assert!(
                competence.thematiques.iter().any(|t| t == theme.code()),
                "{code} is not about « {session} »"
            );
            assert!(texte.contains("12 juin 2035"), "{texte}");
        }
    }
    assert!(ateliers >= 1, "no step matched a session: {}", muret.corps);
    assert!(muret
        .corps
        .contains("Un pass numérique peut payer votre accompagnement"));
    assert!(muret.corps.contains("Pass numérique Haute-Garonne"));
    assert!(
        muret.corps.contains("sans emploi, retraité"),
        "{}",
        muret.corps
    );
    assert!(muret
        .corps
        .contains("Espace numérique de Conseil départemental"));
    assert!(!muret.corps.contains("Pass Paris numérique"));

    // In Paris: no session of Muret's day, Paris' programme only.
    let paris = poster(&state, &[("etat", &etat), ("commune", "75056")]).await;
    verifier_page_publique(&paris);
    assert!(!paris.corps.contains("Un atelier sur ce sujet"));
    assert!(paris.corps.contains("Pass Paris numérique"));
    assert!(!paris.corps.contains("Pass numérique Haute-Garonne"));
}
