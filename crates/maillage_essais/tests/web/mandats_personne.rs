//! The person's side of a mandate, through the pages: the printed copies (the personal code
//! and the address of « Mon mandat » on the person's copy only, HTML and PDF read back with
//! `pdftotext`), the footer links, « Arrêter » confirmed before anything stops, the
//! attestation after a revocation, the aidant's views listed apart from what was done, the
//! note of a use, the journal table on phones, « Fermer » ending the session for good, and
//! the audit endpoint stating the entries after the last seal.
//!
//! `cargo test -p maillage_essais --test web mandats_personne::`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use maillage_comptes::{securite, HorlogeManuelle};
use maillage_domain::mandats::Demarche;
use maillage_domain::mediation::Role;
use maillage_mediation::Mediation;
use maillage_web::{router, AppState, Site};
use tower::ServiceExt;

const MDP: &str = "un mot de passe solide";
const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const HOTE: &str = "maillage.exemple.fr";

pub(crate) struct Reponse {
    pub(crate) status: StatusCode,
    entetes: axum::http::HeaderMap,
    octets: Vec<u8>,
    pub(crate) corps: String,
}

impl Reponse {
    pub(crate) fn cookie(&self, nom: &str) -> Option<String> {
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
        let doc = scraper::Html::parse_document(&self.corps);
        let sel = scraper::Selector::parse(&format!("input[name={nom}]")).ok()?;
        doc.select(&sel)
            .next()
            .and_then(|e| e.value().attr("value"))
            .map(String::from)
    }
    /// Text of the elements matching `selecteur`, one string per element.
    pub(crate) fn textes(&self, selecteur: &str) -> Vec<String> {
        let doc = scraper::Html::parse_document(&self.corps);
        let sel = scraper::Selector::parse(selecteur).unwrap();
        doc.select(&sel)
            .map(|e| e.text().collect::<Vec<_>>().join(""))
            .collect()
    }
}

struct Monde {
    state: AppState,
    horloge: Arc<HorlogeManuelle>,
    m: Mediation,
}

async fn monde() -> Monde {
    let horloge = Arc::new(HorlogeManuelle::new(
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .unwrap(),
    ));
    let annuaire = maillage_cli::stockage::ouvrir("sqlite::memory:")
        .await
        .expect("store");
    let annuaire = annuaire.avec_horloge(horloge.clone());
    let m = annuaire.mediation().clone();
    let annuaire =
        annuaire.avec_cle_journal(maillage_domain::mandats::SigningKey::from_bytes(&[6; 32]));
    let st = annuaire
        .store()
        .create_structure("France Services Muret", None, Some("31395"))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (email, role, s) in [
        (
            "aidant@exemple.fr",
            Role::Mediateur,
            Some(maillage_domain::StructureId::new(st)),
        ),
        ("admin@exemple.fr", Role::Administrateur, None),
    ] {
        let id = m
            .comptes()
            .creer_compte(email, email, role, s, MDP)
            .await
            .unwrap();
        m.comptes().activer_totp(id, SECRET).await.unwrap();
        ids.push(id);
    }
    let md = annuaire.mandats().unwrap().clone();
    let admin = m.comptes().acteur_de_confiance(ids[1]).await.unwrap();
    md.habiliter(&admin, ids[0]).await.unwrap();
    let state = AppState::new(annuaire, Site::default()).await.unwrap();
    Monde { state, horloge, m }
}

async fn envoyer(state: &AppState, req: Request<Body>) -> Reponse {
    let r = router(state.clone()).oneshot(req).await.unwrap();
    let status = r.status();
    let entetes = r.headers().clone();
    let octets = r
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Reponse {
        status,
        entetes,
        corps: String::from_utf8_lossy(&octets).into_owned(),
        octets,
    }
}

fn requete(methode: &str, uri: &str, cookie: Option<&str>, corps: Option<String>) -> Request<Body> {
    let mut b = Request::builder()
        .method(methode)
        .uri(uri)
        .header(header::HOST, HOTE);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    match corps {
        Some(c) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(c))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn formulaire(champs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(champs)
        .finish()
}

fn code_totp(w: &Monde) -> String {
    // A fresh time step each time (a code is accepted once).
    w.horloge.avancer(Duration::seconds(31));
    securite::code_totp(SECRET, securite::pas_totp(w.m.maintenant())).unwrap()
}

/// A fully signed-in session: `(cookie header, csrf)`.
async fn connecter(w: &Monde, email: &str) -> (String, String) {
    let page = envoyer(&w.state, requete("GET", "/connexion", None, None)).await;
    let pre = page.cookie("maillage_pre").unwrap();
    let csrf = page.champ_cache("csrf").unwrap();
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion",
            Some(&format!("maillage_pre={pre}")),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("email", email),
                ("mot_de_passe", MDP),
                ("retour", "/espace"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let partiel = r.cookie("maillage_session").unwrap();
    let page = envoyer(
        &w.state,
        requete(
            "GET",
            "/connexion/code",
            Some(&format!("maillage_session={partiel}")),
            None,
        ),
    )
    .await;
    let csrf = page.champ_cache("csrf").unwrap();
    let code = code_totp(w);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/connexion/code",
            Some(&format!("maillage_session={partiel}")),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("code", &code),
                ("retour", "/espace"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let jeton = r.cookie("maillage_session").unwrap();
    let (session, _) = w.m.comptes().session(&jeton).await.unwrap().unwrap();
    (format!("maillage_session={jeton}"), session.csrf)
}

/// The aidant signs a 6-month mandate (social + logement) through the form; returns the
/// print page, the mandate's id and the personal code shown on it.
async fn signer(w: &Monde, aidant: &(String, String)) -> (Reponse, i64, String) {
    let code = code_totp(w);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/mandats",
            Some(&aidant.0),
            Some(formulaire(&[
                ("csrf", &aidant.1),
                ("demarche", "social"),
                ("demarche", "logement"),
                ("duree", "6m"),
                ("nom", "Martin"),
                ("prenoms", "Jeanne"),
                ("naissance", "1948-05-12"),
                ("piece", "cni"),
                ("identite_verifiee", "on"),
                ("pas_de_protection", "on"),
                ("consentement", "on"),
                ("code", &code),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let code = r.textes(".code-personnel").first().cloned().unwrap();
    let code = code.trim().to_string();
    let id = r.textes("h1")[0]
        .trim_start_matches("Mandat n° ")
        .parse()
        .unwrap();
    (r, id, code)
}

/// Opens the person's space with their code; returns the cookie header.
async fn ouvrir_espace(w: &Monde, code: &str) -> String {
    let page = envoyer(&w.state, requete("GET", "/mon-mandat", None, None)).await;
    let pre = page.cookie("maillage_pre").unwrap();
    let csrf = page.champ_cache("csrf").unwrap();
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/mon-mandat",
            Some(&format!("maillage_pre={pre}")),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("action", "ouvrir"),
                ("code", code),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let s = r.cookie("maillage_espace").unwrap();
    format!("maillage_pre={pre}; maillage_espace={s}")
}

/// A form of the person's space, posted with the page's token.
async fn agir_personne(w: &Monde, cookie: &str, champs: &[(&str, &str)]) -> Reponse {
    let pre = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("maillage_pre="))
        .unwrap()
        .to_string();
    let mut tous = vec![("csrf", pre.as_str())];
    tous.extend_from_slice(champs);
    envoyer(
        &w.state,
        requete("POST", "/mon-mandat", Some(cookie), Some(formulaire(&tous))),
    )
    .await
}

fn pdftotext(octets: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.pdf");
    std::fs::write(&f, octets).unwrap();
    let o = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(&f)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed");
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn premiere_utilisation_code_and_address_on_the_persons_copy_only() {
    let w = monde().await;
    let aidant = connecter(&w, "aidant@exemple.fr").await;
    let (page, id, code) = signer(&w, &aidant).await;
    assert_eq!(code.len(), 23, "{code}");
    // Two copies: the person's with the code and the full address, the structure's without.
    let copies = page.textes("article.mandat");
    assert_eq!(copies.len(), 2, "{}", page.corps);
    assert!(copies[0].contains("Exemplaire de la personne"));
    assert!(copies[0].contains(&code));
    assert!(
        copies[0].contains(&format!("http://{HOTE}/mon-mandat")),
        "{}",
        copies[0]
    );
    assert!(copies[1].contains("Exemplaire de la structure"));
    assert!(
        !copies[1].contains(&code),
        "no code on the structure's copy"
    );

    // The person's PDF: posted from that page, with the code.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &format!("/espace/mandats/{id}/mandat.pdf"),
            Some(&aidant.0),
            Some(formulaire(&[("csrf", &aidant.1), ("code", &code)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.octets.starts_with(b"%PDF"));
    let texte = pdftotext(&r.octets);
    assert!(texte.contains("Exemplaire de la personne"), "{texte}");
    assert!(texte.contains(&code), "code in the person's PDF: {texte}");
    assert!(
        texte.contains(&format!("http://{HOTE}/mon-mandat")),
        "address in the person's PDF: {texte}"
    );
    // The structure's PDF: never the code.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/mandats/{id}/mandat.pdf"),
            Some(&aidant.0),
            None,
        ),
    )
    .await;
    let texte = pdftotext(&r.octets);
    assert!(texte.contains("Exemplaire de la structure"), "{texte}");
    assert!(!texte.contains(&code));
    assert!(!texte.contains(&code[..5]), "not even its first part");
    // A code that is not the person's is never printed.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &format!("/espace/mandats/{id}/mandat.pdf"),
            Some(&aidant.0),
            Some(formulaire(&[
                ("csrf", &aidant.1),
                ("code", "ABCDE-FGHJK-MNPQR-STVWX"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.corps.contains("ce n’est pas le code de la personne"));
    // The reprint later: the structure's copy, no code.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/mandats/{id}/imprimer"),
            Some(&aidant.0),
            None,
        ),
    )
    .await;
    assert_eq!(r.textes("article.mandat").len(), 1);
    assert!(r.textes(".code-personnel").is_empty());
}

#[tokio::test]
async fn premiere_utilisation_footer_links_mon_mandat_and_the_professional_space() {
    let w = monde().await;
    for chemin in [
        "/",
        "/mon-mandat",
        "/verifier",
        "/territoires",
        "/connexion",
    ] {
        let r = envoyer(&w.state, requete("GET", chemin, None, None)).await;
        let doc = scraper::Html::parse_document(&r.corps);
        let sel = scraper::Selector::parse("footer a").unwrap();
        let liens: Vec<&str> = doc
            .select(&sel)
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert!(liens.contains(&"/mon-mandat"), "{chemin}: {liens:?}");
        assert!(liens.contains(&"/mon-espace"), "{chemin}: {liens:?}");
        assert!(liens.contains(&"/connexion"), "{chemin}: {liens:?}");
    }
}

#[tokio::test]
async fn premiere_utilisation_arreter_asks_first_then_gives_the_attestation() {
    let w = monde().await;
    let aidant = connecter(&w, "aidant@exemple.fr").await;
    let (_, id, code) = signer(&w, &aidant).await;
    let md = w.state.instance.mandats().unwrap();
    let personne = ouvrir_espace(&w, &code).await;
    let tete = md.store().journal_head().await.unwrap().seq;
    let id_txt = id.to_string();

    // Nothing ticked: a confirmation in plain words, nothing written.
    let r = agir_personne(
        &w,
        &personne,
        &[("action", "revocation"), ("mandat", &id_txt)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps
            .contains("Voulez-vous vraiment arrêter tout le mandat n°"),
        "{}",
        r.corps
    );
    assert!(r.corps.contains("plus rien faire en votre nom"));
    assert!(r.corps.contains("Non, ne rien changer"));
    assert_eq!(md.store().journal_head().await.unwrap().seq, tete);
    assert!(md
        .store()
        .mandat(id)
        .await
        .unwrap()
        .unwrap()
        .revoque_at
        .is_none());

    // « Logement » ticked: the confirmation names it and what stays; then it stops.
    let r = agir_personne(
        &w,
        &personne,
        &[
            ("action", "revocation"),
            ("mandat", &id_txt),
            ("demarche", "logement"),
        ],
    )
    .await;
    assert!(
        r.corps
            .contains("ne pourra plus faire en votre nom : <strong>Logement</strong>"),
        "{}",
        r.corps
    );
    assert!(
        r.corps.contains("Il pourra encore faire : Social."),
        "{}",
        r.corps
    );
    assert_eq!(md.store().journal_head().await.unwrap().seq, tete);
    let r = agir_personne(
        &w,
        &personne,
        &[
            ("action", "revocation"),
            ("mandat", &id_txt),
            ("demarche", "logement"),
            ("confirme", "oui"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("C’est fait : « Logement »"), "{}", r.corps);
    let lien = format!("/mon-mandat/attestation?mandat={id}");
    assert!(r.corps.contains(&lien), "{}", r.corps);
    let m = md.store().mandat(id).await.unwrap().unwrap();
    let revoquees: Vec<Demarche> = m
        .autorisations
        .iter()
        .filter(|a| a.revoquee_at.is_some())
        .map(|a| a.demarche)
        .collect();
    assert_eq!(revoquees, vec![Demarche::Logement]);

    // The attestation, for the person only.
    let r = envoyer(&w.state, requete("GET", &lien, Some(&personne), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("Attestation de révocation"));
    assert!(r.corps.contains("Jeanne Martin"));
    assert!(r.corps.contains("vous-même"));
    let r = envoyer(&w.state, requete("GET", &lien, None, None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn premiere_utilisation_views_apart_notes_shown_and_rows_stack_on_phones() {
    let w = monde().await;
    let aidant = connecter(&w, "aidant@exemple.fr").await;
    let (_, id, code) = signer(&w, &aidant).await;
    let md = w.state.instance.mandats().unwrap();
    // The aidant views the mandate (a « consultation ») and declares a use with a note.
    let page = format!("/espace/mandats/{id}");
    let r = envoyer(&w.state, requete("GET", &page, Some(&aidant.0), None)).await;
    assert_eq!(r.status, StatusCode::OK);
    let tete = md.store().journal_head().await.unwrap().seq;
    let trop_long = "x".repeat(201);
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &page,
            Some(&aidant.0),
            Some(formulaire(&[
                ("csrf", &aidant.1),
                ("action", "utilisation"),
                ("demarche", "social"),
                ("note", &trop_long),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.corps.contains("note : 200 caractères au plus (ici 201)"),
        "{}",
        r.corps
    );
    // Nothing written but the view of the page shown again.
    let apres = md.store().journal(tete, 100).await.unwrap();
    assert!(
        apres.iter().all(|e| e.contenu.action == "consultation"),
        "{apres:?}"
    );
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &page,
            Some(&aidant.0),
            Some(formulaire(&[
                ("csrf", &aidant.1),
                ("action", "utilisation"),
                ("demarche", "social"),
                ("note", "Dossier de complémentaire santé déposé"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let usage = md
        .store()
        .journal(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .rfind(|e| e.contenu.action == "utilisation")
        .unwrap();
    assert!(usage.contenu.details.contains("note_sha256"));
    assert!(!usage.contenu.details.contains("complémentaire"));

    let personne = ouvrir_espace(&w, &code).await;
    let r = envoyer(
        &w.state,
        requete("GET", "/mon-mandat", Some(&personne), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let fait = r.textes("table tbody").join(" ");
    assert!(fait.contains("Démarche faite en votre nom"), "{fait}");
    assert!(
        fait.contains("Note de l’aidant : Dossier de complémentaire santé déposé"),
        "{fait}"
    );
    assert!(
        !fait.contains("Consultation"),
        "views are not « done »: {fait}"
    );
    let vues = r.textes("ul.consultations li");
    assert!(!vues.is_empty(), "{}", r.corps);
    // Phones: the journal's rows stack, each cell named.
    let doc = scraper::Html::parse_document(&r.corps);
    let sel = scraper::Selector::parse("table.empilable td[data-label=\"Démarches\"]").unwrap();
    assert!(doc.select(&sel).next().is_some(), "{}", r.corps);
    let css = envoyer(&w.state, requete("GET", "/assets/maillage.css", None, None)).await;
    let css = String::from_utf8_lossy(&css.octets).into_owned();
    let media = css
        .split("@media (max-width:40rem){table.empilable")
        .nth(1)
        .expect("phone rule for the journal table");
    assert!(media.contains("display:block"));
    assert!(media.contains("content:attr(data-label)"));
}

#[tokio::test]
async fn faille_fermer_ends_the_persons_session_for_good() {
    let w = monde().await;
    let aidant = connecter(&w, "aidant@exemple.fr").await;
    let (_, id, code) = signer(&w, &aidant).await;
    let personne = ouvrir_espace(&w, &code).await;
    let r = envoyer(
        &w.state,
        requete("GET", "/mon-mandat", Some(&personne), None),
    )
    .await;
    assert!(r.corps.contains("Bonjour Jeanne"), "{}", r.corps);
    // A copy of the cookie kept somewhere (another tab, a shared computer).
    let copie = personne.clone();
    let r = agir_personne(&w, &personne, &[("action", "fermer")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = envoyer(&w.state, requete("GET", "/mon-mandat", Some(&copie), None)).await;
    assert!(!r.corps.contains("Bonjour Jeanne"), "{}", r.corps);
    assert!(r.corps.contains("Voir mes mandats"));
    // Nor can it act: the revocation is not done.
    let id_txt = id.to_string();
    let _ = agir_personne(
        &w,
        &copie,
        &[
            ("action", "revocation"),
            ("mandat", &id_txt),
            ("confirme", "oui"),
        ],
    )
    .await;
    let md = w.state.instance.mandats().unwrap();
    assert!(md
        .store()
        .mandat(id)
        .await
        .unwrap()
        .unwrap()
        .revoque_at
        .is_none());
    // Another application node over the same database refuses it as well.
    let autre = AppState::new(w.state.instance.clone(), Site::default())
        .await
        .unwrap();
    let r = envoyer(&autre, requete("GET", "/mon-mandat", Some(&copie), None)).await;
    assert!(!r.corps.contains("Bonjour Jeanne"));
    // The code opens a new session.
    let nouvelle = ouvrir_espace(&w, &code).await;
    let r = envoyer(
        &w.state,
        requete("GET", "/mon-mandat", Some(&nouvelle), None),
    )
    .await;
    assert!(r.corps.contains("Bonjour Jeanne"));
}

#[tokio::test]
async fn faille_audit_endpoint_states_the_entries_after_the_last_seal() {
    let w = monde().await;
    let aidant = connecter(&w, "aidant@exemple.fr").await;
    let (_, id, _) = signer(&w, &aidant).await;
    let md = w.state.instance.mandats().unwrap();
    md.sceller().await.unwrap().unwrap();
    let sceau = md.store().journal_head().await.unwrap().seq;
    for _ in 0..3 {
        let r = envoyer(
            &w.state,
            requete(
                "GET",
                &format!("/espace/mandats/{id}"),
                Some(&aidant.0),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let admin = connecter(&w, "admin@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", "/api/v1/journal/verification", Some(&admin.0), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let v: serde_json::Value = serde_json::from_str(&r.corps).unwrap();
    assert_eq!(v["intact"], true);
    assert_eq!(v["dernier_sceau"], sceau);
    assert_eq!(v["apres_dernier_sceau"], 3);
    let message = v["message"].as_str().unwrap();
    assert!(
        message.starts_with("3 entrées après le dernier sceau (non encore scellées)"),
        "{message}"
    );
}

/// An event in Muret with two sessions, far enough ahead that they are open.
const EVENEMENT: &str = r#"{"titre": "Village numérique de Muret", "type": "etape_tournee",
  "commune": "31395", "adresse": "Place de la République",
  "debut": "2035-06-12T09:00:00+02:00", "fin": "2035-06-12T17:00:00+02:00",
  "sessions": [
    {"titre": "Déjouer les arnaques en ligne", "type": "atelier",
     "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T11:00:00+02:00", "capacite": 10},
    {"titre": "Casque de réalité virtuelle", "type": "realite_virtuelle",
     "debut": "2035-06-12T14:00:00+02:00", "fin": "2035-06-12T15:00:00+02:00", "capacite": 4}]}"#;

/// Registers through the event page's form (with a code when `cle` is not empty).
async fn inscrire(w: &Monde, evenement: i64, rang: usize, prenom: &str, cle: &str) -> Reponse {
    let page = envoyer(
        &w.state,
        requete("GET", &format!("/evenements/{evenement}"), None, None),
    )
    .await;
    let html = scraper::Html::parse_document(&page.corps);
    let sel = scraper::Selector::parse("form[action^='/sessions/']").unwrap();
    let form = html.select(&sel).nth(rang).expect("registration form");
    let action = form.value().attr("action").unwrap().to_string();
    let sel_jeton = scraper::Selector::parse("input[name=jeton]").unwrap();
    let jeton = form
        .select(&sel_jeton)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap()
        .to_string();
    envoyer(
        &w.state,
        requete(
            "POST",
            action.split('#').next().unwrap(),
            None,
            Some(formulaire(&[
                ("prenom", prenom),
                ("contact", ""),
                ("cle", cle),
                ("site_web", ""),
                ("jeton", &jeton),
            ])),
        ),
    )
    .await
}

/// Opens « Mon espace » with a code through its own form; returns the cookie header.
async fn ouvrir_mon_espace(w: &Monde, code: &str) -> Reponse {
    ouvrir_mon_espace_sur(&w.state, code).await
}

/// [`ouvrir_mon_espace`] on any server state.
pub(crate) async fn ouvrir_mon_espace_sur(state: &AppState, code: &str) -> Reponse {
    let page = envoyer(state, requete("GET", "/mon-espace", None, None)).await;
    let pre = page.cookie("maillage_pre").unwrap();
    let csrf = page.champ_cache("csrf").unwrap();
    envoyer(
        state,
        requete(
            "POST",
            "/mon-espace",
            Some(&format!("maillage_pre={pre}")),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("action", "ouvrir"),
                ("code", code),
            ])),
        ),
    )
    .await
}

/// A form of « Mon espace », posted with the page's own token.
async fn agir_espace(w: &Monde, cookie: &str, champs: &[(&str, &str)]) -> Reponse {
    agir_espace_sur(&w.state, cookie, champs).await
}

/// [`agir_espace`] on any server state.
pub(crate) async fn agir_espace_sur(
    state: &AppState,
    cookie: &str,
    champs: &[(&str, &str)],
) -> Reponse {
    let page = envoyer(state, requete("GET", "/mon-espace", Some(cookie), None)).await;
    let pre = page.cookie("maillage_pre").unwrap();
    let csrf = page.champ_cache("csrf").unwrap();
    let mut tous = vec![("csrf", csrf.as_str())];
    tous.extend_from_slice(champs);
    envoyer(
        state,
        requete(
            "POST",
            "/mon-espace",
            Some(&format!("{cookie}; maillage_pre={pre}")),
            Some(formulaire(&tous)),
        ),
    )
    .await
}

/// « Mon espace »: the code printed on a mandate opens one space where the person also finds
/// the registrations made under it; giving it when registering keeps everything under one
/// key, a registration without it makes a new key; a wrong code is refused with the field
/// named; the space cancels a registration; « Fermer » closes it for every module.
#[tokio::test]
async fn mon_espace_une_seule_cle_pour_le_mandat_et_les_inscriptions() {
    let w = monde().await;
    let aidant = connecter(&w, "aidant@exemple.fr").await;
    let (_, _id, code) = signer(&w, &aidant).await;
    let exploitant = w.state.instance.comptes().exploitant();
    let evenement = w
        .state
        .instance
        .evenements()
        .importer(&exploitant, EVENEMENT)
        .await
        .expect("event")
        .id;
    // Jeanne gives the code of her mandate when registering: no new code is shown.
    let r = inscrire(&w, evenement, 0, "Jeanne", &code.to_lowercase()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("id=\"cle-donnee\""), "{}", r.corps);
    assert!(r.textes("#cle").is_empty(), "no new code");
    // Paul has no code: he gets his own (another key).
    let r = inscrire(&w, evenement, 1, "Paul", "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let code_paul = r.textes("#cle").first().cloned().expect("Paul's new code");
    assert_eq!(code_paul.trim().len(), 23);
    assert_ne!(code_paul.trim(), code);
    // A wrong code is refused, the field named; nothing is registered.
    let r = inscrire(&w, evenement, 1, "Pirate", "AAAAA-BBBBB-CCCCC-DDDDD").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("Code personnel"), "{}", r.corps);
    // The mandate's code opens « Mon espace »: Jeanne's registration and her mandate, not Paul's.
    let r = ouvrir_mon_espace(&w, &code).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let espace = format!("maillage_espace={}", r.cookie("maillage_espace").unwrap());
    let page = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    let lignes = page.textes("#titre-inscriptions + ul li");
    assert_eq!(lignes.len(), 1, "{}", page.corps);
    assert!(
        lignes[0].contains("Déjouer les arnaques en ligne"),
        "{lignes:?}"
    );
    assert!(!page.corps.contains("Casque de réalité virtuelle"));
    assert!(page.corps.contains("1 mandat signé"), "{}", page.corps);
    // The same session opens « Mon mandat ».
    let r = envoyer(&w.state, requete("GET", "/mon-mandat", Some(&espace), None)).await;
    assert!(r.corps.contains("Bonjour Jeanne"), "{}", r.corps);
    // Cancelling from the space.
    let html = scraper::Html::parse_document(&page.corps);
    let sel = scraper::Selector::parse("input[name=inscription]").unwrap();
    let uuid = html
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("a cancel button")
        .to_string();
    let r = agir_espace(
        &w,
        &espace,
        &[("action", "annuler"), ("inscription", &uuid)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains("votre inscription est annulée"),
        "{}",
        r.corps
    );
    assert!(r.textes("input[name=inscription]").is_empty());
    assert!(r.textes("#titre-inscriptions + ul li")[0].contains("Annulé"));
    // Paul's code cannot cancel Jeanne's registration (nor see it).
    let r = ouvrir_mon_espace(&w, &code_paul).await;
    let espace_paul = format!("maillage_espace={}", r.cookie("maillage_espace").unwrap());
    let r = agir_espace(
        &w,
        &espace_paul,
        &[("action", "annuler"), ("inscription", &uuid)],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.corps);
    assert!(!r.corps.contains("Déjouer les arnaques"));
    // « Fermer » closes the space for every module, copies of the cookie included.
    let r = agir_espace(&w, &espace, &[("action", "fermer")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    assert!(r.corps.contains("Ouvrir mon espace"), "{}", r.corps);
    let r = envoyer(&w.state, requete("GET", "/mon-mandat", Some(&espace), None)).await;
    assert!(!r.corps.contains("Bonjour Jeanne"));
}
