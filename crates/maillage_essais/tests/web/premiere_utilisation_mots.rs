//! Issue « Première utilisation réelle », item 13: French and plain words on the public
//! pages, phone numbers as they are written in their territory, `/favicon.ico`, the print
//! button hidden without JavaScript (`cargo test -p maillage_essais --test
//! web premiere_utilisation_mots::`). The charts at 360 px are checked in `src/espace/svg.rs`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use maillage_comptes::{securite, HorlogeManuelle};
use maillage_domain::mediation::Role;
use maillage_web::{router, AppState, Site};
use scraper::{Html, Selector};
use tower::ServiceExt;

struct Reponse {
    status: StatusCode,
    entetes: axum::http::HeaderMap,
    corps: Vec<u8>,
}

impl Reponse {
    fn texte(&self) -> String {
        String::from_utf8_lossy(&self.corps).into_owned()
    }
    fn html(&self) -> Html {
        Html::parse_document(&self.texte())
    }
    fn cookie(&self, nom: &str) -> Option<String> {
        self.entetes
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == nom)
            .map(|(_, v)| v.to_string())
    }
    fn champ_cache(&self, nom: &str) -> Option<String> {
        let sel = Selector::parse(&format!("input[name={nom}]")).ok()?;
        self.html()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr("value"))
            .map(String::from)
    }
}

async fn envoyer(state: &AppState, req: Request<Body>) -> Reponse {
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
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Reponse {
        status,
        entetes,
        corps,
    }
}

async fn get(state: &AppState, uri: &str) -> Reponse {
    envoyer(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

fn textes(h: &Html, s: &str) -> Vec<String> {
    let sel = Selector::parse(s).expect("selector");
    h.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

/// The text a person reads on the page (the `<main>`), spaces normalised.
fn lu(h: &Html) -> String {
    textes(h, "main")
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn etat_vide() -> AppState {
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    AppState::new(annuaire, Site::default())
        .await
        .expect("state")
}

/// The published id of the first place whose name contains `nom`.
fn lieu_nomme(state: &AppState, nom: &str) -> String {
    state
        .moteur()
        .lieux()
        .iter()
        .find(|f| f.lieu.nom.contains(nom))
        .map(|f| f.id.clone())
        .unwrap_or_else(|| panic!("no place named {nom}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn premiere_utilisation_place_pages_speak_plain_french() {
    let dossier = tempfile::tempdir().expect("tempdir");
    let (_url, state, _tache) = crate::commun::demarrer_pour_tests(dossier.path())
        .await
        .expect("server");

    // A France Services place: kind, origin and « itinérance » in words.
    let moteur = state.moteur();
    let fs = moteur
        .lieux()
        .iter()
        .find(|f| {
            f.lieu.source.as_deref() == Some("france-services")
                && !f.lieu.typologie.is_empty()
                && !f.lieu.itinerance.is_empty()
        })
        .or_else(|| {
            moteur
                .lieux()
                .iter()
                .find(|f| f.lieu.source.as_deref() == Some("france-services"))
        })
        .map(|f| f.id.clone())
        .expect("a France Services place");
    // Every check is made and every failure reported at the end.
    let mut echecs: Vec<String> = Vec::new();
    macro_rules! exiger {
        ($c:expr, $($m:tt)+) => {
            if !$c {
                echecs.push(format!($($m)+));
            }
        };
    }
    let h = get(&state, &format!("/lieux/{fs}")).await.html();
    let page = lu(&h);
    let termes = textes(&h, "dl.fiche dt");
    let valeurs = textes(&h, "dl.fiche dd").join(" | ");
    for jargon in [
        "RFS",
        "ASSO",
        "MSAP",
        "Itinérance",
        "Fixe",
        "france-services",
    ] {
        exiger!(
            !valeurs.split([' ', ',', '|']).any(|mot| mot == jargon)
                && !termes.iter().any(|t| t == jargon),
            "« {jargon} » on the place page: {termes:?} / {valeurs}"
        );
    }
    exiger!(
        !termes.iter().any(|t| t == "Sources"),
        "« Sources : » is jargon: {termes:?}"
    );
    exiger!(
        termes.iter().any(|t| t == "D'où viennent ces informations"),
        "{termes:?}"
    );
    exiger!(valeurs.contains("France Services"), "{valeurs}");
    exiger!(
        page.contains("Informations mises à jour"),
        "no « Informations mises à jour »"
    );
    exiger!(
        !page.contains("Informations mis à jour"),
        "« Informations mis à jour »"
    );
    exiger!(!page.contains("Type de structure"), "« Type de structure »");

    // New Caledonia: the number as it is written there, the link international.
    let nc = lieu_nomme(&state, "Espace municipal de Rivière Salée");
    let h = get(&state, &format!("/lieux/{nc}")).await.html();
    let appeler = textes(&h, "p.liens a.bouton").join(" | ");
    exiger!(appeler.contains("Appeler le 44 57 28"), "{appeler}");
    let liens: Vec<String> = h
        .select(&Selector::parse("p.liens a.bouton").expect("selector"))
        .filter_map(|a| a.value().attr("href").map(String::from))
        .collect();
    exiger!(liens.iter().any(|l| l == "tel:+687445728"), "{liens:?}");

    // « près d'Aubusson », not « près de Aubusson » (results and map).
    let r = get(&state, "/lieux?ou=Aubusson").await;
    assert_eq!(r.status, StatusCode::OK);
    let titre = textes(&r.html(), "h1").join(" ");
    exiger!(titre.contains("près d'Aubusson"), "{titre}");
    let r = get(&state, "/lieux?ou=Lille").await;
    let titre = textes(&r.html(), "h1").join(" ");
    exiger!(titre.contains("près de Lille"), "{titre}");
    let r = get(&state, "/carte?ou=Aubusson").await;
    let titre = textes(&r.html(), "h1").join(" ");
    exiger!(!titre.contains("de Aubusson"), "{titre}");
    assert!(echecs.is_empty(), "{}", echecs.join("\n"));
}

#[tokio::test]
async fn premiere_utilisation_favicon_and_print_button() {
    let state = etat_vide().await;
    let r = get(&state, "/favicon.ico").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.entetes
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/x-icon")
    );
    assert_eq!(r.corps.get(..4), Some(&[0u8, 0, 1, 0][..]), "an ICO file");

    // Without JavaScript the « Imprimer » button keeps its hidden attribute, and the
    // stylesheet makes sure no display rule shows it (button{display:inline-flex} did).
    let css = get(&state, "/assets/maillage.css").await.texte();
    let compact: String = css.split_whitespace().collect();
    assert!(
        compact.contains("[hidden]{display:none!important}"),
        "the stylesheet lets button{{display:…}} show hidden buttons"
    );
}

#[tokio::test]
async fn premiere_utilisation_counts_agree_and_durations_are_spaced() {
    // « 0 activité », never « 0 activités ».
    let state = etat_vide().await;
    let r = get(&state, "/statistiques/dep-31").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.texte());
    let totaux = textes(&r.html(), "#totaux li").join(" | ");
    assert!(totaux.contains("0 activité"), "{totaux}");
    assert!(!totaux.contains("0 activités"), "{totaux}");
    assert!(!totaux.contains("0 accompagnements"), "{totaux}");

    // « 30 min à 1 h », not « 30min ».
    use maillage_domain::mediation::Referentiel;
    for t in maillage_domain::mediation::TrancheDuree::TOUS {
        let l = t.libelle();
        assert!(
            !l.chars()
                .zip(l.chars().skip(1))
                .any(|(a, b)| a.is_ascii_digit() && b.is_alphabetic()),
            "« {l} »: a number glued to its unit"
        );
    }
}

#[tokio::test]
async fn premiere_utilisation_team_size_in_words() {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .expect("date"),
    ));
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m = annuaire.mediation().clone();
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let mdp = "un mot de passe solide";
    let st = annuaire
        .store()
        .create_structure("Médiathèque", None, Some("31555"))
        .await
        .map(maillage_domain::StructureId::new)
        .expect("structure");
    let coord = m
        .comptes()
        .creer_compte("co@exemple.fr", "Co", Role::Coordinateur, Some(st), mdp)
        .await
        .expect("account");
    m.comptes().activer_totp(coord, secret).await.expect("totp");
    let med = m
        .comptes()
        .creer_compte("med@exemple.fr", "Med", Role::Mediateur, Some(st), mdp)
        .await
        .expect("account");
    annuaire
        .store()
        .add_equipe_membre(coord.get(), med.get())
        .await
        .expect("team");
    let state = AppState::new(annuaire, Site::default())
        .await
        .expect("state");

    let page = get(&state, "/connexion").await;
    let pre = page.cookie("maillage_pre").expect("pre");
    let csrf = page.champ_cache("csrf").expect("csrf");
    let corps = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf", csrf.as_str()),
            ("email", "co@exemple.fr"),
            ("mot_de_passe", mdp),
            ("retour", "/espace"),
        ])
        .finish();
    let poster = |uri: &str, cookie: String, corps: String| {
        Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(corps))
            .expect("request")
    };
    let r = envoyer(
        &state,
        poster("/connexion", format!("maillage_pre={pre}"), corps),
    )
    .await;
    let partiel = format!(
        "maillage_session={}",
        r.cookie("maillage_session").expect("s")
    );
    let page = envoyer(
        &state,
        Request::get("/connexion/code")
            .header(header::COOKIE, &partiel)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    let csrf = page.champ_cache("csrf").expect("csrf");
    horloge.avancer(chrono::Duration::seconds(31));
    let code = securite::code_totp(secret, securite::pas_totp(m.maintenant())).expect("code");
    let corps = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf", csrf.as_str()),
            ("code", &code),
            ("retour", "/espace"),
        ])
        .finish();
    let r = envoyer(&state, poster("/connexion/code", partiel, corps)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let session = format!(
        "maillage_session={}",
        r.cookie("maillage_session").expect("s")
    );
    let accueil = envoyer(
        &state,
        Request::get("/espace")
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(accueil.status, StatusCode::OK);
    let texte = lu(&accueil.html());
    assert!(texte.contains("1 médiatrice ou médiateur"), "{texte}");
    assert!(!texte.contains("médiateur·rice"), "{texte}");
    assert!(!texte.contains("1 médiateurs"), "{texte}");
}
