//! The directory's back office (`/espace/lieux…`), black box through the pages: the preview
//! writes nothing, « Appliquer » is all or nothing, a coordinator imports only in their
//! territories and never opens another's upload, duplicate decisions are recorded and
//! undone with their history, reports are closed with a note, the freshness view.
//! `cargo test -p maillage_essais --test web lieux_back_office::`

use super::http::{envoyer, formulaire, requete, Reponse};
use super::mediation::{connecter, monde, Monde};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

const ENTETE: &str = "id,nom,adresse,code_postal,commune,latitude,longitude,date_maj\n";

/// A place of Toulouse (dep:31) as a CSV line.
fn toulouse(id: &str, nom: &str, lat: f64, date: &str) -> String {
    format!("{id},{nom},rue {nom},31000,Toulouse,{lat},1.4440,{date}\n")
}

/// A place of Paris (dep:75) as a CSV line.
fn paris(id: &str, nom: &str) -> String {
    format!("{id},{nom},10 rue de Rivoli,75004,Paris,48.8556,2.3592,2026-10-01\n")
}

fn fichier(lignes: &[String]) -> Vec<u8> {
    let mut s = String::from(ENTETE);
    for l in lignes {
        s.push_str(l);
    }
    s.into_bytes()
}

/// `n` places of Toulouse, 1 km apart (no duplicates among them).
fn lignes_toulouse(prefixe: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            toulouse(
                &format!("{prefixe}{i}"),
                &format!("Lieu {prefixe} numéro {i}"),
                43.55 + 0.01 * i as f64,
                "2026-10-01",
            )
        })
        .collect()
}

/// The upload form as a browser sends it (multipart).
fn depot(cookie: &str, csrf: &str, source: &str, contenu: &[u8]) -> Request<Body> {
    depot_avec(cookie, csrf, source, contenu, None)
}

/// [`depot`] with a column mapping file (`correspondance`) when given.
fn depot_avec(
    cookie: &str,
    csrf: &str,
    source: &str,
    contenu: &[u8],
    correspondance: Option<&[u8]>,
) -> Request<Body> {
    let limite = "----maillage-essai-limite";
    let mut corps: Vec<u8> = Vec::new();
    for (nom, valeur) in [("csrf", csrf), ("source", source), ("format", "auto")] {
        corps.extend_from_slice(
            format!(
                "--{limite}\r\nContent-Disposition: form-data; name=\"{nom}\"\r\n\r\n{valeur}\r\n"
            )
            .as_bytes(),
        );
    }
    corps.extend_from_slice(
        format!(
            "--{limite}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"lieux.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    corps.extend_from_slice(contenu);
    if let Some(toml) = correspondance {
        corps.extend_from_slice(
            format!(
                "\r\n--{limite}\r\nContent-Disposition: form-data; name=\"correspondance\"; filename=\"correspondance.toml\"\r\nContent-Type: application/toml\r\n\r\n"
            )
            .as_bytes(),
        );
        corps.extend_from_slice(toml);
    }
    corps.extend_from_slice(format!("\r\n--{limite}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri("/espace/lieux/import")
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={limite}"),
        )
        .body(Body::from(corps))
        .expect("request")
}

/// Uploads a file through the page; returns the upload's path.
async fn deposer(w: &Monde, session: &(String, String), source: &str, contenu: &[u8]) -> String {
    let r = envoyer(&w.state, depot(&session.0, &session.1, source, contenu)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let chemin = r.location();
    assert!(chemin.starts_with("/espace/lieux/import/"), "{chemin}");
    chemin
}

async fn appliquer(w: &Monde, session: &(String, String), chemin: &str) -> Reponse {
    envoyer(
        &w.state,
        requete(
            "POST",
            chemin,
            Some(&session.0),
            Some(formulaire(&[("csrf", &session.1)])),
        ),
    )
    .await
}

async fn get(w: &Monde, cookie: &str, chemin: &str) -> Reponse {
    envoyer(&w.state, requete("GET", chemin, Some(cookie), None)).await
}

fn compte(r: &Reponse, quoi: &str) -> String {
    r.textes(&format!("[data-compte={quoi}]"))
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// What the directory's store holds: `(published places, import reports, active records)`.
async fn etat(w: &Monde) -> (i64, usize, i64) {
    let s = w.state.annuaire.store();
    (
        s.count_merged_lieux().await.unwrap(),
        s.import_reports(100).await.unwrap().len(),
        s.sources().await.unwrap().iter().map(|(_, n)| n).sum(),
    )
}

/// The preview shows the first rows and what will change, and writes nothing; « Appliquer »
/// imports, re-merges and shows the line-by-line report (page and CSV); a row outside the
/// coordinator's territories is reported, not imported; another département's coordinator
/// cannot open the upload, a mediator cannot use the back office.
#[tokio::test]
async fn lieux_back_office_apercu_n_ecrit_rien_puis_appliquer() {
    let w = monde().await;
    let ca = connecter(&w, "ca@exemple.fr").await;
    let mut lignes = lignes_toulouse("t", 3);
    lignes.push(paris("p0", "Espace numérique Rivoli"));
    let chemin = deposer(&w, &ca, "toulouse", &fichier(&lignes)).await;

    let r = get(&w, &ca.0, &chemin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("Rien n’est encore enregistré"));
    assert_eq!(compte(&r, "ajoutes"), "3");
    assert_eq!(compte(&r, "retires"), "0");
    assert!(r.corps.contains("Lieu t numéro 0"), "first rows shown");
    assert!(
        r.corps.contains("hors de vos territoires") && r.corps.contains("p0"),
        "the Paris row is reported: {}",
        r.corps
    );
    assert_eq!(etat(&w).await, (0, 0, 0), "the preview wrote nothing");

    // Another département's coordinator, and a mediator, cannot open it.
    let cb = connecter(&w, "cb@exemple.fr").await;
    for p in [chemin.clone(), format!("{chemin}/rapport.csv")] {
        assert_eq!(
            get(&w, &cb.0, &p).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    assert_eq!(
        appliquer(&w, &cb, &chemin).await.status,
        StatusCode::NOT_FOUND
    );
    let a1 = connecter(&w, "a1@exemple.fr").await;
    assert_eq!(get(&w, &a1.0, &chemin).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&w, &a1.0, "/espace/lieux/import").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(etat(&w).await, (0, 0, 0));

    // « Appliquer »: 3 places published, the report shown.
    let r = appliquer(&w, &ca, &chemin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains("Import appliqué : 3 ajoutés"),
        "{}",
        r.corps
    );
    assert!(r.corps.contains("Rapport de l’import"));
    assert_eq!(etat(&w).await, (3, 1, 3));
    // The public directory reflects it at once (this node's engine is rebuilt).
    assert_eq!(w.state.moteur().len(), 3);
    // The report as CSV: `;`, French headers, the rejected Paris row.
    let csv = get(&w, &ca.0, &format!("{chemin}/rapport.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .entetes
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/csv")));
    assert!(
        csv.corps
            .contains("Enregistrement;Identifiant;Champ;Gravité;Message"),
        "{}",
        csv.corps
    );
    assert!(csv
        .corps
        .contains("p0;code_insee;rejeté;hors de vos territoires"));
    // Applying twice is refused, nothing more written; the page is the report.
    let r = appliquer(&w, &ca, &chemin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(r.corps.contains("déjà été appliqué"));
    assert_eq!(etat(&w).await, (3, 1, 3));
    // The administrator opens it too.
    let admin = connecter(&w, "admin@exemple.fr").await;
    let r = get(&w, &admin.0, &chemin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("Rapport de l’import"));
}

/// « Appliquer » is all or nothing: an import that would retire more than 20 % of its
/// source's places is stopped (the preview says so first), nothing is written, and the
/// upload stays there to apply once corrected.
#[tokio::test]
async fn lieux_back_office_appliquer_est_transactionnel() {
    let w = monde().await;
    let admin = connecter(&w, "admin@exemple.fr").await;
    let chemin = deposer(&w, &admin, "reseau", &fichier(&lignes_toulouse("r", 10))).await;
    assert_eq!(appliquer(&w, &admin, &chemin).await.status, StatusCode::OK);
    assert_eq!(etat(&w).await, (10, 1, 10));
    let publies = w.state.annuaire.lieux_publies(None).await.unwrap();

    // The same source with 2 places (and one of them changed): 8 retired of 10.
    let mut lignes = lignes_toulouse("r", 2);
    lignes[1] = toulouse("r1", "Lieu r numéro 1 (renommé)", 43.56, "2026-10-02");
    let chemin = deposer(&w, &admin, "reseau", &fichier(&lignes)).await;
    let r = get(&w, &admin.0, &chemin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(compte(&r, "retires"), "8");
    assert_eq!(compte(&r, "modifies"), "1");
    assert_eq!(compte(&r, "inchanges"), "1");
    assert!(r.corps.contains("Cet import serait arrêté"), "{}", r.corps);
    let r = appliquer(&w, &admin, &chemin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(r.corps.contains("retirerait 8 des 10"), "{}", r.corps);
    assert_eq!(etat(&w).await, (10, 1, 10), "nothing written");
    assert_eq!(
        w.state.annuaire.lieux_publies(None).await.unwrap(),
        publies,
        "the published places are unchanged (the renamed one too)"
    );
    // Still a preview: it can be applied later.
    let r = get(&w, &admin.0, &chemin).await;
    assert!(r.corps.contains("Aperçu de l’import"));
}

/// A coordinator may not import into a source that has places outside their territories
/// (the import could retire them): refused at the preview and at « Appliquer », nothing
/// written.
#[tokio::test]
async fn lieux_back_office_coordinateur_hors_territoire_refuse() {
    let w = monde().await;
    let admin = connecter(&w, "admin@exemple.fr").await;
    let mut lignes = lignes_toulouse("n", 2);
    lignes.push(paris("np", "Espace numérique Rivoli"));
    let chemin = deposer(&w, &admin, "national", &fichier(&lignes)).await;
    assert_eq!(appliquer(&w, &admin, &chemin).await.status, StatusCode::OK);
    assert_eq!(etat(&w).await, (3, 1, 3));

    let ca = connecter(&w, "ca@exemple.fr").await;
    let chemin = deposer(&w, &ca, "national", &fichier(&lignes_toulouse("n", 1))).await;
    let r = get(&w, &ca.0, &chemin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(r.corps.contains("hors de vos territoires"), "{}", r.corps);
    let r = appliquer(&w, &ca, &chemin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert_eq!(etat(&w).await, (3, 1, 3), "nothing written");
    // A file of Paris places only under a new source: every row rejected, import stopped.
    let chemin = deposer(&w, &ca, "a-moi", &fichier(&[paris("x", "Ailleurs")])).await;
    let r = get(&w, &ca.0, &chemin).await;
    assert!(r.corps.contains("Cet import serait arrêté"), "{}", r.corps);
    let r = appliquer(&w, &ca, &chemin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(etat(&w).await, (3, 1, 3), "nothing written");
}

/// Two sources describe the same two Toulouse places: the queue shows both pairs to the
/// coordinator of dep:31 (none to dep:75's); « lieux différents » splits a pair, recorded
/// with who and when; undoing it is recorded in the history (not deleted) and merges
/// them again.
#[tokio::test]
async fn lieux_back_office_doublons_decision_et_annulation() {
    let w = monde().await;
    let admin = connecter(&w, "admin@exemple.fr").await;
    for (source, p) in [("source-a", "a"), ("source-b", "b")] {
        let lignes = vec![
            toulouse(
                &format!("{p}1"),
                "Médiathèque José Cabanis",
                43.61,
                "2026-10-01",
            ),
            toulouse(
                &format!("{p}2"),
                "Maison de quartier Bagatelle",
                43.58,
                "2026-10-01",
            ),
        ];
        let chemin = deposer(&w, &admin, source, &fichier(&lignes)).await;
        assert_eq!(appliquer(&w, &admin, &chemin).await.status, StatusCode::OK);
    }
    assert_eq!(etat(&w).await.0, 2, "merged two by two");

    let cb = connecter(&w, "cb@exemple.fr").await;
    let r = get(&w, &cb.0, "/espace/lieux/doublons").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.corps.contains("Aucune paire à examiner"), "{}", r.corps);

    let ca = connecter(&w, "ca@exemple.fr").await;
    let r = get(&w, &ca.0, "/espace/lieux/doublons").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert_eq!(r.textes("section.paire").len(), 2, "{}", r.corps);
    assert!(r.corps.contains("source-a#a1") && r.corps.contains("source-b#b1"));
    assert!(r.corps.contains("Le score expliqué"));
    assert!(
        r.corps.contains("/espace/lieux/"),
        "« Modifier ce lieu » slot"
    );

    let decider = |session: &(String, String), decision: &str, note: &str| {
        requete(
            "POST",
            "/espace/lieux/doublons",
            Some(&session.0),
            Some(formulaire(&[
                ("csrf", &session.1),
                ("ref_a", "source-a#a1"),
                ("ref_b", "source-b#b1"),
                ("decision", decision),
                ("note", note),
            ])),
        )
    };
    // dep:75's coordinator cannot decide on dep:31's pair.
    let r = envoyer(&w.state, decider(&cb, "differents", "")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(w
        .state
        .annuaire
        .store()
        .pair_decisions()
        .await
        .unwrap()
        .is_empty());

    let r = envoyer(
        &w.state,
        decider(&ca, "differents", "deux salles distinctes"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("lieux différents"));
    assert_eq!(etat(&w).await.0, 3, "the pair is split");
    assert_eq!(
        w.state.moteur().len(),
        3,
        "the public directory reflects it"
    );
    let decisions = w.state.annuaire.store().pair_decisions().await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert!(decisions[0].decided_by.contains("ca@exemple.fr"));
    assert_eq!(decisions[0].note.as_deref(), Some("deux salles distinctes"));
    assert_eq!(
        r.textes("section.paire").len(),
        1,
        "decided: out of the queue"
    );

    // Undo: recorded, not deleted; merged again.
    let r = envoyer(&w.state, decider(&ca, "annuler", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("décision annulée"));
    assert_eq!(etat(&w).await.0, 2, "merged again");
    assert!(w
        .state
        .annuaire
        .store()
        .pair_decisions()
        .await
        .unwrap()
        .is_empty());
    let h = w
        .state
        .annuaire
        .store()
        .pair_decisions_history(10)
        .await
        .unwrap();
    let vu: Vec<&str> = h.iter().map(|e| e.decision.as_str()).collect();
    assert_eq!(vu, ["annule", "refuse"]);
    assert!(r.corps.contains("deux salles distinctes"), "history shown");
    // Undoing again: nothing to undo.
    let r = envoyer(&w.state, decider(&ca, "annuler", "")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // « Même lieu » on the other pair.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/lieux/doublons",
            Some(&ca.0),
            Some(formulaire(&[
                ("csrf", &ca.1),
                ("ref_a", "source-a#a2"),
                ("ref_b", "source-b#b2"),
                ("decision", "meme"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let decisions = w.state.annuaire.store().pair_decisions().await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        decisions[0].decision,
        maillage_store::PairDecisionKind::Confirmed
    );
    // Without the CSRF token: refused.
    let r = envoyer(
        &w.state,
        decider(&(ca.0.clone(), "faux".into()), "meme", ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// A report is closed « traité » with a note, shown in the list and kept by the store.
#[tokio::test]
async fn lieux_back_office_signalement_clos_avec_note() {
    use maillage_annuaire::signalement::CategorieSignalement;
    let w = monde().await;
    let admin = connecter(&w, "admin@exemple.fr").await;
    let chemin = deposer(&w, &admin, "s", &fichier(&lignes_toulouse("s", 1))).await;
    assert_eq!(appliquer(&w, &admin, &chemin).await.status, StatusCode::OK);
    let lieu = w.state.annuaire.lieux_publies(None).await.unwrap()[0]
        .id
        .clone();
    let id = w
        .state
        .annuaire
        .signaler(
            &lieu,
            CategorieSignalement::Horaires,
            "Fermé le lundi",
            None,
        )
        .await
        .unwrap();
    let ca = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/signalements",
            Some(&ca.0),
            Some(formulaire(&[
                ("csrf", &ca.1),
                ("id", &id.to_string()),
                ("decision", "traite"),
                ("note", "horaires corrigés avec la mairie"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let r = get(&w, &ca.0, "/espace/signalements?tous=1").await;
    assert!(
        r.corps.contains("horaires corrigés avec la mairie"),
        "{}",
        r.corps
    );
    let rows = w.state.annuaire.signalements(None, false).await.unwrap();
    assert_eq!(rows[0].decision.as_deref(), Some("traite"));
    assert_eq!(
        rows[0].decision_note.as_deref(),
        Some("horaires corrigés avec la mairie")
    );
}

/// The freshness view lists the places not updated for 12 months, by source and commune,
/// for the coordinator's territories only; the CSV has French headers.
#[tokio::test]
async fn lieux_back_office_fraicheur() {
    let w = monde().await;
    let admin = connecter(&w, "admin@exemple.fr").await;
    let hier = (chrono::Utc::now() - chrono::Duration::days(1))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let lignes = vec![
        toulouse("vieux", "Lieu oublié", 43.55, "2020-01-15"),
        toulouse("frais", "Lieu à jour", 43.60, &hier),
        "vieux-paris,Lieu parisien oublié,10 rue de Rivoli,75004,Paris,48.8556,2.3592,2020-01-15\n"
            .to_string(),
    ];
    let chemin = deposer(&w, &admin, "f", &fichier(&lignes)).await;
    assert_eq!(appliquer(&w, &admin, &chemin).await.status, StatusCode::OK);

    let ca = connecter(&w, "ca@exemple.fr").await;
    let r = get(&w, &ca.0, "/espace/lieux/fraicheur").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert_eq!(compte(&r, "anciens"), "1");
    assert!(r.corps.contains("Lieu oublié") && !r.corps.contains("Lieu à jour"));
    assert!(!r.corps.contains("Lieu parisien oublié"), "not in dep:31");
    assert!(r.corps.contains("15/01/2020"));
    let csv = get(&w, &ca.0, "/espace/lieux/fraicheur.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .corps
        .contains("Identifiant;Nom;Code INSEE;Commune;Sources;Mis à jour le"));
    assert!(
        csv.corps
            .contains("Lieu oublié;31555;Toulouse;f;15/01/2020"),
        "{}",
        csv.corps
    );
    let r = get(&w, &admin.0, "/espace/lieux/fraicheur").await;
    assert_eq!(compte(&r, "anciens"), "2");
}

/// The figure of docs/PERFORMANCE.md « Back office »: the whole demo directory (the five
/// bundled files) uploaded, previewed and applied through the back office's routes by an
/// administrator, each « Appliquer » re-merging the directory. Prints the times; asserts
/// only what was imported.
/// `cargo test -p maillage_essais --test web lieux_back_office_chrono -- --ignored --nocapture`
#[tokio::test]
#[ignore = "a measurement: run it alone, with --ignored --nocapture"]
async fn lieux_back_office_chrono_annuaire_demo() {
    use std::time::Instant;
    let w = monde().await;
    let admin = connecter(&w, "admin@exemple.fr").await;
    let debut = Instant::now();
    for (source, nom, gz) in maillage_annuaire::annuaire::SOURCES_DEMO {
        let contenu = maillage_annuaire::annuaire::gunzip(gz).unwrap();
        let t = Instant::now();
        let mut req = depot(&admin.0, &admin.1, source, &contenu);
        // The file's own name: France Services' date is read from it.
        let corps = std::mem::take(req.body_mut());
        let octets = http_body_util::BodyExt::collect(corps)
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let octets = String::from_utf8_lossy(&octets).replace("lieux.csv", nom);
        *req.body_mut() = Body::from(octets.into_bytes());
        let r = envoyer(&w.state, req).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
        let chemin = r.location();
        let depose = t.elapsed();
        let t = Instant::now();
        let apercu = get(&w, &admin.0, &chemin).await;
        assert_eq!(apercu.status, StatusCode::OK, "{}", apercu.corps);
        let vu = t.elapsed();
        let t = Instant::now();
        let r = appliquer(&w, &admin, &chemin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
        println!(
            "{source}: {} octets, dépôt {:.2} s, aperçu {:.2} s, appliquer + refusion {:.2} s",
            contenu.len(),
            depose.as_secs_f64(),
            vu.as_secs_f64(),
            t.elapsed().as_secs_f64()
        );
    }
    let (publies, imports, actifs) = etat(&w).await;
    println!(
        "annuaire de démonstration : {actifs} fiches, {publies} lieux publiés, {imports} imports, {:.1} s en tout",
        debut.elapsed().as_secs_f64()
    );
    assert_eq!(imports, 5);
    assert!(publies > 5_000, "{publies}");
}

fn regional(nom: &str) -> Vec<u8> {
    let chemin = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/regional")
        .join(nom);
    std::fs::read(&chemin).unwrap_or_else(|e| panic!("{}: {e}", chemin.display()))
}

/// Issue 20, item 5, in the upload page: a regional CSV in its own columns uploaded with its
/// column mapping (`tests/data/regional/`, the same TOML as `maillage import --mapping`).
/// The preview reads the file with it; a file with a value without correspondence and an
/// impossible date is reported by line and field, and « Appliquer » writes nothing (never
/// half-imported); the clean file is then applied. A mapping that is not valid TOML is
/// refused at upload with the reason.
#[tokio::test]
async fn lieux_back_office_import_avec_correspondance() {
    let w = monde().await;
    let ca = connecter(&w, "ca@exemple.fr").await;
    let toml = regional("lieux_numeriques_cd31.toml");

    // The faulty file: both rows reported by line and field, « Appliquer » would stop.
    let fautif = regional("lieux_numeriques_cd31_erreurs.csv");
    let r = envoyer(
        &w.state,
        depot_avec(&ca.0, &ca.1, "cd31", &fautif, Some(&toml[..])),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let chemin = r.location();
    let r = get(&w, &ca.0, &chemin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("Rien n’est encore enregistré"));
    assert!(r.corps.contains("Cet import serait arrêté"), "{}", r.corps);
    for attendu in [
        "ligne 6 (id CD31-005), Tarif (frais_a_charge) : valeur « Sur devis » sans correspondance",
        "ligne 12 (id CD31-011), Date de mise à jour (date_maj) : date « 31/02/2025 » illisible",
    ] {
        assert!(r.corps.contains(attendu), "{attendu} in {}", r.corps);
    }
    assert_eq!(compte(&r, "ajoutes"), "28");
    assert_eq!(etat(&w).await, (0, 0, 0), "the preview wrote nothing");
    let r = appliquer(&w, &ca, &chemin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(
        r.corps.contains("rejetée(s) : import arrêté"),
        "{}",
        r.corps
    );
    assert_eq!(etat(&w).await, (0, 0, 0), "never half-imported");

    // The clean file with the same mapping: read column by column, then applied.
    let propre = regional("lieux_numeriques_cd31.csv");
    let r = envoyer(
        &w.state,
        depot_avec(&ca.0, &ca.1, "cd31", &propre, Some(&toml[..])),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let chemin = r.location();
    let r = get(&w, &ca.0, &chemin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(!r.corps.contains("Cet import serait arrêté"), "{}", r.corps);
    assert_eq!(compte(&r, "ajoutes"), "30");
    assert!(
        r.corps.contains("Médiathèque Aucamville"),
        "first rows shown"
    );
    assert_eq!(etat(&w).await, (0, 0, 0));
    let r = appliquer(&w, &ca, &chemin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains("Import appliqué : 30 ajoutés"),
        "{}",
        r.corps
    );
    let (_, imports, actifs) = etat(&w).await;
    assert_eq!((imports, actifs), (1, 30));

    // A mapping that is not TOML: refused at upload, with the reason.
    let r = envoyer(
        &w.state,
        depot_avec(
            &ca.0,
            &ca.1,
            "cd31",
            &propre,
            Some(&b"[colonnes\nnom = "[..]),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.corps);
    assert!(r.corps.contains("fichier de correspondance"), "{}", r.corps);
    let (_, imports, _) = etat(&w).await;
    assert_eq!(imports, 1);
}
