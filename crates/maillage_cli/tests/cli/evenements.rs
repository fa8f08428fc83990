//! Événements as people use them, black box: on an empty instance, the organiser imports an
//! event with `maillage evenements importer FICHIER.json`, `maillage serve` starts, a visitor
//! finds the event on the public pages and registers through the page's form, as a browser
//! sends it (no store call, no SQL); a wrong file is refused with the field named.
//!
//! `cargo test -p maillage_cli --test cli evenements::`

use std::time::Duration;

use crate::premiere_utilisation::Instance;

fn selection(html: &str, css: &str, attribut: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).ok()?;
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(attribut))
        .map(String::from)
}

fn texte(html: &str, css: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).ok()?;
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evenements_import_page_publique_puis_inscription_par_le_formulaire() {
    let mut instance = Instance::nouvelle("evenements");
    let fichier =
        std::env::temp_dir().join(format!("maillage-evenement-{}.json", std::process::id()));
    let evenement = serde_json::json!({
        "titre": "Numérique Tour à Muret",
        "type": "etape_tournee",
        "commune": "31395",
        "adresse": "Allées Niel",
        "debut": "2035-06-12T09:00:00+02:00",
        "fin": "2035-06-12T17:00:00+02:00",
        "sessions": [
            {"titre": "Reconnaître un message frauduleux", "type": "quiz",
             "debut": "2035-06-12T10:00:00+02:00", "fin": "2035-06-12T10:45:00+02:00",
             "capacite": 1},
            {"titre": "France Travail : votre espace en ligne", "type": "stand",
             "debut": "2035-06-12T11:00:00+02:00", "fin": "2035-06-12T12:00:00+02:00",
             "capacite": 10}
        ]
    });
    // A file with a session lacking its capacity: refused, the field named, nothing created.
    let mut mauvais = evenement.clone();
    if let Some(s) = mauvais
        .pointer_mut("/sessions/1")
        .and_then(|s| s.as_object_mut())
    {
        s.remove("capacite");
    }
    std::fs::write(&fichier, mauvais.to_string()).expect("file");
    let sortie = instance
        .commande()
        .args(["evenements", "importer"])
        .arg(&fichier)
        .output()
        .expect("maillage runs");
    assert!(!sortie.status.success());
    let erreur = String::from_utf8_lossy(&sortie.stderr);
    assert!(
        erreur.contains("sessions[1].capacite : obligatoire"),
        "{erreur}"
    );
    std::fs::write(&fichier, evenement.to_string()).expect("file");
    let sortie = instance.executer(&["evenements", "importer", &fichier.display().to_string()]);
    let _ = std::fs::remove_file(&fichier);
    assert!(sortie.contains("Événement créé : n° 1"), "{sortie}");
    assert!(sortie.contains("2 sessions, 11 places en tout"), "{sortie}");
    // The job of offers and reminders (what `serve` runs every 5 minutes): nothing to do yet.
    let sortie = instance.executer(&["evenements", "taches"]);
    assert!(
        sortie.contains("Places proposées expirées : 0 ; nouvelles propositions : 0 ; rappels de la veille : 0 ; messages après : 0."),
        "{sortie}"
    );
    instance.demarrer();
    let base = instance.base();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let get = |chemin: String| {
        let http = http.clone();
        let url = format!("{base}{chemin}");
        async move {
            let r = http.get(&url).send().await.expect("GET");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    // The list by postal code (Muret: 31600), then the event's page.
    let (s, liste) = get("/evenements?commune=31600".into()).await;
    assert_eq!(s, 200);
    let lien = selection(&liste, "ul.evenements a", "href").expect("the event is listed");
    assert_eq!(lien, "/evenements/1");
    let (s, page) = get(lien).await;
    assert_eq!(s, 200);
    assert!(page.contains("1 place libre sur 1"), "{page}");
    // The first session's form, filled as a person would.
    let action = selection(&page, "article.session form", "action").expect("form");
    let jeton = selection(&page, "article.session form input[name=jeton]", "value").expect("token");
    let poster = |prenom: &'static str| {
        let http = http.clone();
        let url = format!("{base}{action}");
        let jeton = jeton.clone();
        async move {
            let r = http
                .post(&url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(
                    form_urlencoded::Serializer::new(String::new())
                        .extend_pairs([
                            ("jeton", jeton.as_str()),
                            ("prenom", prenom),
                            ("contact", ""),
                            ("site_web", ""),
                        ])
                        .finish(),
                )
                .send()
                .await
                .expect("POST");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let (s, confirmation) = poster("Lucienne").await;
    assert_eq!(s, 200, "{confirmation}");
    assert!(confirmation.contains("Vous êtes inscrit"), "{confirmation}");
    let cle = texte(&confirmation, "#cle").expect("the visitor's key");
    assert_eq!(cle.len(), 23, "{cle}");
    assert!(selection(&confirmation, "#lien-annulation", "href")
        .is_some_and(|l| l.starts_with("/inscriptions/annuler?jeton=")));
    // The only seat is taken: the next person is put on the waiting list, and the page says so.
    let (s, suivante) = poster("Paul").await;
    assert_eq!(s, 200);
    assert!(
        suivante.contains("Vous êtes sur la liste d’attente"),
        "{suivante}"
    );
    let (_, page) = get("/evenements/1".into()).await;
    assert!(page.contains("Complet"), "{page}");
    let (_, api) = get("/api/v1/evenements/1".into()).await;
    let v: serde_json::Value = serde_json::from_str(&api).expect("json");
    assert_eq!(v["sessions"][0]["inscrits"], 1);
    assert_eq!(v["sessions"][0]["en_attente"], 1);
}
