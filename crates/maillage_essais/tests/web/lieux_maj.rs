//! Keeping the directory true (issue 20, items 1 and 2), through the pages from an
//! instance whose only places come from one import: a coordinator of dép. 31 edits a field
//! (refused values named per field, nothing written), the public page shows the new value
//! with « modifié par la coordination le … », « Annuler » restores the previous value,
//! « Retirer ce lieu » takes it out of search and the API (and undoing publishes it again);
//! a coordinator of dép. 75 and a mediator cannot; a place's personal link opens its form
//! without an account, its correction appears with « mis à jour par le lieu », the link
//! cannot be used twice nor after it expired; a campaign sends e-mails and printable
//! letters and its dashboard counts the answers by commune.
//!
//! `cargo test -p maillage_essais --test web lieux_maj::`.

use axum::http::StatusCode;
use chrono::Duration;
use maillage_annuaire::annuaire::DemandeImport;

use super::http::{envoyer, formulaire, requete, Reponse};
use super::mediation::{connecter, monde, Monde};

const ENTETE: &str = "id,pivot,nom,commune,code_postal,code_insee,adresse,complement_adresse,latitude,longitude,typologie,telephone,courriels,site_web,horaires,presentation_resume,presentation_detail,source,itinerance,structure_parente,date_maj,services,publics_specifiquement_adresses,prise_en_charge_specifique,frais_a_charge,dispositif_programmes_nationaux,formations_labels,autres_formations_labels,modalites_acces,modalites_accompagnement,fiche_acces_libre,prise_rdv";

/// Three places: Toulouse (with an e-mail), Muret (none), Paris.
pub(crate) fn fichier_lieux() -> String {
    format!(
        "{ENTETE}\n\
         t1,,Médiathèque José Cabanis,Toulouse,31000,31555,1 allée Jacques Chaban-Delmas,,43.6114,1.4536,,05 61 22 21 78,mediatheque@exemple.fr,,Mo-Fr 10:00-19:00,,,,,,2024-03-01,Aide aux démarches administratives,,,,,,,,,,\n\
         m1,,Espace numérique de Muret,Muret,31600,31395,12 rue Castelvielh,,43.4616,1.3270,,05 61 51 90 00,,,Tu-Sa 09:00-12:00,,,,,,2024-03-01,,,,,,,,,,,\n\
         p1,,Espace numérique Paris 11,Paris,75011,75111,10 rue de la Roquette,,48.8550,2.3740,,01 43 00 00 00,,,Mo-Fr 09:00-17:00,,,,,,2024-03-01,,,,,,,,,,,\n"
    )
}

/// Imports the three places (as `maillage import` does) and rebuilds the search engine.
pub(crate) async fn importer(w: &Monde) {
    w.state
        .annuaire
        .importer(DemandeImport {
            source: "essai".into(),
            format: None,
            nom_fichier: "lieux_2024-03-01.csv".into(),
            contenu: fichier_lieux().into_bytes(),
        })
        .await
        .expect("import");
    w.state.recharger().await.expect("engine");
}

/// The published id of the place of source id `source_id`.
async fn id_de(w: &Monde, source_id: &str) -> String {
    w.state
        .annuaire
        .lieu_publie(&format!("essai#{source_id}"))
        .await
        .expect("read")
        .expect("published")
        .id
}

async fn public(w: &Monde, id: &str) -> Reponse {
    envoyer(
        &w.state,
        requete("GET", &format!("/lieux/{id}"), None, None),
    )
    .await
}

fn post(uri: &str, cookie: &str, champs: &[(&str, &str)]) -> axum::http::Request<axum::body::Body> {
    requete("POST", uri, Some(cookie), Some(formulaire(champs)))
}

/// The token of a link written in a page or an e-mail.
fn jeton_dans(texte: &str) -> String {
    let debut = texte.find("mise-a-jour?jeton=").expect("a link") + "mise-a-jour?jeton=".len();
    texte[debut..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn lieux_maj_coordination_modifie_annule_retire() {
    let w = monde().await;
    importer(&w).await;
    let toulouse = id_de(&w, "t1").await;
    let page_modif = format!("/espace/lieux/{toulouse}/modifier");
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;

    // The coordinator of dép. 31 sees every field with where it comes from.
    let r = envoyer(&w.state, requete("GET", &page_modif, Some(&c_ca), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert_eq!(
        r.champ("#f-nom", "value").as_deref(),
        Some("Médiathèque José Cabanis")
    );
    assert!(r.corps.contains("source : essai#t1"), "{}", r.corps);

    // Another département's coordinator and a mediator cannot read nor write it.
    let (c_cb, csrf_cb) = connecter(&w, "cb@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &page_modif, Some(&c_cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(
        &w.state,
        post(&page_modif, &c_cb, &[("csrf", &csrf_cb), ("nom", "Piraté")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (c_a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(
        &w.state,
        post(
            &format!("/espace/lieux/{toulouse}/retirer"),
            &c_a1,
            &[("csrf", &csrf_a1)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(public(&w, &toulouse)
        .await
        .corps
        .contains("Médiathèque José Cabanis"));

    // Bad values: each field named, in French, nothing written.
    let r = envoyer(
        &w.state,
        post(
            &page_modif,
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("nom", "Médiathèque Cabanis"),
                ("telephone", "pas un numéro"),
                ("horaires", "quand on peut"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    let erreurs = r.textes(".erreur-champ");
    assert!(
        erreurs.iter().any(|e| e.contains("pas un numéro")),
        "{erreurs:?}"
    );
    assert!(erreurs.iter().any(|e| e.contains("OSM")), "{erreurs:?}");
    assert_eq!(
        r.champ("#f-telephone", "aria-invalid").as_deref(),
        Some("true")
    );
    // What was typed is kept.
    assert_eq!(
        r.champ("#f-nom", "value").as_deref(),
        Some("Médiathèque Cabanis")
    );
    assert!(!public(&w, &toulouse)
        .await
        .corps
        .contains("Médiathèque Cabanis"));

    // A good edit: the public page shows it with its provenance.
    let r = envoyer(
        &w.state,
        post(
            &page_modif,
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("nom", "Médiathèque Cabanis"),
                ("horaires", "Tu-Sa 10:00-18:00"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(r.location(), format!("{page_modif}?fait=modifie"));
    let p = public(&w, &toulouse).await;
    assert_eq!(p.textes("h1"), ["Médiathèque Cabanis"]);
    let provenances = p.textes("ul.provenances li");
    assert!(
        provenances
            .iter()
            .any(|l| l.contains("Nom") && l.contains("modifié par la coordination le 20/11/2026")),
        "{provenances:?}"
    );
    // The API and the export see it too.
    let api = envoyer(
        &w.state,
        requete("GET", &format!("/api/v1/lieux/{toulouse}"), None, None),
    )
    .await;
    assert!(api.corps.contains("Médiathèque Cabanis"), "{}", api.corps);
    let (export, _) = w
        .state
        .annuaire
        .exporter(maillage_annuaire::export::FormatExport::Csv, None)
        .await
        .expect("export");
    assert!(String::from_utf8_lossy(&export).contains("Tu-Sa 10:00-18:00"));
    // The back office says where each value comes from, and the history lists the edit.
    let r = envoyer(&w.state, requete("GET", &page_modif, Some(&c_ca), None)).await;
    assert!(
        r.corps
            .contains("modifié par la coordination le 20/11/2026"),
        "{}",
        r.corps
    );
    let id_nom = r
        .champ("table.historique tbody tr:nth-child(2)", "data-id")
        .or_else(|| r.champ("table.historique tbody tr", "data-id"))
        .expect("history");
    let lignes = r.textes("table.historique tbody tr");
    assert_eq!(lignes.len(), 2, "{lignes:?}");
    let ligne_nom = r
        .textes("table.historique tbody tr th")
        .iter()
        .position(|t| t == "Nom")
        .expect("the name's line");
    let ids: Vec<String> = {
        let doc = scraper::Html::parse_document(&r.corps);
        let sel = scraper::Selector::parse("table.historique tbody tr").unwrap();
        doc.select(&sel)
            .filter_map(|e| e.value().attr("data-id").map(String::from))
            .collect()
    };
    let id_nom = ids.get(ligne_nom).cloned().unwrap_or(id_nom);

    // « Annuler »: the previous value is back; the history keeps both events.
    let r = envoyer(
        &w.state,
        post(
            &format!("/espace/lieux/{toulouse}/annuler"),
            &c_ca,
            &[("csrf", &csrf_ca), ("correction", &id_nom)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let p = public(&w, &toulouse).await;
    assert_eq!(p.textes("h1"), ["Médiathèque José Cabanis"]);
    let r = envoyer(&w.state, requete("GET", &page_modif, Some(&c_ca), None)).await;
    assert!(r.corps.contains("annulée le 20/11/2026"), "{}", r.corps);
    assert_eq!(r.textes("table.historique tbody tr").len(), 2);
    // Undoing twice is refused.
    let r = envoyer(
        &w.state,
        post(
            &format!("/espace/lieux/{toulouse}/annuler"),
            &c_ca,
            &[("csrf", &csrf_ca), ("correction", &id_nom)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);

    // « Retirer ce lieu »: gone from the page, the API and search; reversible.
    let avant = envoyer(
        &w.state,
        requete("GET", "/api/v1/lieux?departement=31&tri=nom", None, None),
    )
    .await;
    assert!(avant.corps.contains(&toulouse), "{}", avant.corps);
    // The same search finds it before it is retired (so that its absence below means
    // something).
    let cherche = envoyer(
        &w.state,
        requete("GET", "/lieux?q=Cabanis&ou=Toulouse", None, None),
    )
    .await;
    assert!(cherche.corps.contains(&toulouse), "{}", cherche.corps);
    let r = envoyer(
        &w.state,
        post(
            &format!("/espace/lieux/{toulouse}/retirer"),
            &c_ca,
            &[("csrf", &csrf_ca)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(public(&w, &toulouse).await.status, StatusCode::NOT_FOUND);
    let apres = envoyer(
        &w.state,
        requete("GET", "/api/v1/lieux?departement=31&tri=nom", None, None),
    )
    .await;
    assert!(!apres.corps.contains(&toulouse), "{}", apres.corps);
    assert!(apres.corps.contains("Muret"), "{}", apres.corps);
    let recherche = envoyer(
        &w.state,
        requete("GET", "/lieux?q=Cabanis&ou=Toulouse", None, None),
    )
    .await;
    assert!(!recherche.corps.contains(&toulouse));
    // The retired place's page still opens for its coordinator, with the undo.
    let r = envoyer(&w.state, requete("GET", &page_modif, Some(&c_ca), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains("retiré de l’annuaire public"),
        "{}",
        r.corps
    );
    let doc = scraper::Html::parse_document(&r.corps);
    let sel = scraper::Selector::parse("table.historique tbody tr").unwrap();
    let retrait = doc
        .select(&sel)
        .find(|e| e.text().collect::<String>().contains("Retrait"))
        .and_then(|e| e.value().attr("data-id").map(String::from))
        .expect("the retirement in the history");
    // Not even the other coordinator can find it.
    let r = envoyer(&w.state, requete("GET", &page_modif, Some(&c_cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(
        &w.state,
        post(
            &format!("/espace/lieux/{toulouse}/annuler"),
            &c_ca,
            &[("csrf", &csrf_ca), ("correction", &retrait)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert_eq!(public(&w, &toulouse).await.status, StatusCode::OK);
}

#[tokio::test]
async fn lieux_maj_le_lieu_corrige_sa_fiche_par_son_lien() {
    let w = monde().await;
    importer(&w).await;
    let toulouse = id_de(&w, "t1").await;
    let muret = id_de(&w, "m1").await;
    let (c_ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;

    // One place's link, by e-mail (it has an address).
    let r = envoyer(
        &w.state,
        post(
            &format!("/espace/lieux/{toulouse}/lien"),
            &c_ca,
            &[("csrf", &csrf_ca)],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("1 courriel(s) mis en file"), "{}", r.corps);
    let courriels = w
        .state
        .instance
        .comptes()
        .courriels(10)
        .await
        .expect("outbox");
    let courriel = courriels
        .iter()
        .find(|c| c.destinataire == "mediatheque@exemple.fr")
        .expect("queued");
    let jeton = jeton_dans(&courriel.corps);
    assert!(jeton.len() >= 20, "{}", courriel.corps);

    // Opened without an account: the form, pre-filled.
    let url = format!("/mise-a-jour?jeton={jeton}");
    let r = envoyer(&w.state, requete("GET", &url, None, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert_eq!(
        r.champ("#m-horaires", "value").as_deref(),
        Some("Mo-Fr 10:00-19:00")
    );
    assert!(r.corps.contains("checked"), "the place's service is ticked");
    // A bad value is refused with the field named, and the link still works.
    let repondre = |champs: Vec<(&'static str, String)>| {
        let mut tous = vec![("jeton", jeton.clone()), ("action", "corriger".to_string())];
        tous.extend(champs);
        let paires: Vec<(&str, &str)> = tous.iter().map(|(k, v)| (*k, v.as_str())).collect();
        requete("POST", "/mise-a-jour", None, Some(formulaire(&paires)))
    };
    let r = envoyer(
        &w.state,
        repondre(vec![
            ("telephone", "123".into()),
            ("horaires", "Mo-Fr 10:00-19:00".into()),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(!r.textes(".erreur-champ").is_empty(), "{}", r.corps);
    let r = envoyer(
        &w.state,
        repondre(vec![
            ("horaires", "Mo-Fr 10:00-18:00; Sa 10:00-12:00".into()),
            ("telephone", "05 61 22 21 78".into()),
            ("services", "Aide aux démarches administratives".into()),
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("Merci"), "{}", r.corps);
    let p = public(&w, &toulouse).await;
    assert!(
        p.corps.contains("mis à jour par le lieu le 20/11/2026"),
        "{}",
        p.corps
    );
    assert!(p.corps.contains("Samedi") || p.corps.contains("samedi"));
    let provenances = p.textes("ul.provenances li");
    assert!(
        provenances.iter().any(|l| l.starts_with("Horaires")),
        "{provenances:?}"
    );
    assert!(
        !provenances.iter().any(|l| l.starts_with("Téléphone")),
        "unchanged fields are not corrections: {provenances:?}"
    );
    // The coordinator sees the place's answer in the history.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/espace/lieux/{toulouse}/modifier"),
            Some(&c_ca),
            None,
        ),
    )
    .await;
    assert!(
        r.corps.contains("le lieu (Médiathèque José Cabanis)"),
        "{}",
        r.corps
    );
    assert!(r.corps.contains("corrigé le 20/11/2026"), "{}", r.corps);

    // Used once: opening or answering again is refused in plain French.
    let r = envoyer(&w.state, requete("GET", &url, None, None)).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.corps.contains("déjà été utilisé"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        repondre(vec![("telephone", "05 61 00 00 00".into())]),
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE);
    // An unknown token.
    let r = envoyer(
        &w.state,
        requete("GET", "/mise-a-jour?jeton=inconnu", None, None),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.corps.contains("pas valable"));

    // A campaign over dép. 31: an e-mail to Toulouse, a letter to print for Muret.
    let r = envoyer(
        &w.state,
        post(
            "/espace/lieux/campagnes",
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("nom", "Hiver"),
                ("territoire", "dep:75"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(r.corps.contains("un des vôtres"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        post(
            "/espace/lieux/campagnes",
            &c_ca,
            &[
                ("csrf", &csrf_ca),
                ("nom", "Hiver"),
                ("territoire", "dep:31"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps
            .contains("1 courriel(s) mis en file d’envoi, 1 courrier(s)"),
        "{}",
        r.corps
    );
    let lettres = r.textes("article.courrier");
    assert_eq!(lettres.len(), 1);
    assert!(lettres[0].contains("Espace numérique de Muret"));
    let jeton_muret = jeton_dans(&lettres[0]);
    let campagne = r
        .champ("a[href^=\"/espace/lieux/campagnes/\"]", "href")
        .expect("dashboard link");
    // Muret confirms: « Tout est juste ».
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/mise-a-jour",
            None,
            Some(formulaire(&[
                ("jeton", &jeton_muret),
                ("action", "confirmer"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let p = public(&w, &muret).await;
    assert!(
        p.corps.contains("mis à jour par le lieu le 20/11/2026"),
        "{}",
        p.corps
    );
    assert!(p.corps.contains("le 20/11/2026") || p.corps.contains("aujourd"));
    // The dashboard: 2 sent, 1 opened and confirmed, 50 %; Muret's line.
    let r = envoyer(&w.state, requete("GET", &campagne, Some(&c_ca), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let total = r.textes("tfoot tr").join("");
    assert!(total.contains("Total"), "{total}");
    assert!(r.corps.contains("<strong>50 %</strong>"), "{}", r.corps);
    let lignes = r.textes("tbody tr");
    assert!(
        lignes
            .iter()
            .any(|l| l.starts_with("Muret") && l.ends_with("100 %")),
        "{lignes:?}"
    );
    // Another département's coordinator does not see it.
    let (c_cb, _) = connecter(&w, "cb@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &campagne, Some(&c_cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Sixty-one days later, Toulouse's campaign link has expired.
    let courriels = w
        .state
        .instance
        .comptes()
        .courriels(10)
        .await
        .expect("outbox");
    let jeton_campagne = courriels
        .iter()
        .filter(|c| c.destinataire == "mediatheque@exemple.fr")
        .map(|c| jeton_dans(&c.corps))
        .find(|j| *j != jeton)
        .expect("the campaign's e-mail");
    w.horloge.avancer(Duration::days(61));
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("/mise-a-jour?jeton={jeton_campagne}"),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.corps.contains("a expiré"), "{}", r.corps);
}
