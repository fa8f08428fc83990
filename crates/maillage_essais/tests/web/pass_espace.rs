//! Pass numérique through the signed-in pages, as people live it: a coordinator of the
//! funder's structure simulates then creates a programme, qualifies a place (the SIRET
//! checked, qualified once), adds a prescriber, issues and prints a carnet (the codes read
//! back from the PDF); a mediator of the prescriber gives a pass to a person with a new
//! personal code, then redeems it while recording the accompaniment; the person sees it
//! « utilisé le … à … » in « Mon espace »; the funder's dashboard (page, CSV, XLSX) counts
//! it. Another structure's coordinator and a mediator are refused.
//!
//! `cargo test -p maillage_essais --test web pass_espace::`.

use axum::http::StatusCode;

use super::http::{envoyer, formulaire, requete, Reponse};
use super::mediation::{connecter, monde, Monde};

/// The codes printed on a carnet's sheet (`Pass ABCD-EFGH-JKLM`).
fn codes_du_pdf(pdf: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut reste = pdf;
    while let Some(i) = reste.find("Pass ") {
        let apres = &reste[i + 5..];
        let code: String = apres.chars().take(14).collect();
        let forme = code.len() == 14
            && code.chars().enumerate().all(|(k, c)| {
                if k == 4 || k == 9 {
                    c == '-'
                } else {
                    c.is_ascii_alphanumeric()
                }
            });
        if forme && !out.contains(&code) {
            out.push(code);
        }
        reste = apres;
    }
    out
}

async fn ouvrir_mon_espace(w: &Monde, code: &str) -> Reponse {
    let page = envoyer(&w.state, requete("GET", "/mon-espace", None, None)).await;
    let pre = page.cookie("maillage_pre").expect("pre cookie");
    let csrf = page.champ_cache("csrf").expect("csrf");
    envoyer(
        &w.state,
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

#[tokio::test]
async fn pass_espace_du_programme_a_mon_espace() {
    let w = monde().await;
    let (ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let st_a = w
        .state
        .instance
        .store()
        .compte(w.ca.get())
        .await
        .unwrap()
        .unwrap()
        .structure_id
        .expect("structure");
    let st_b = w
        .state
        .instance
        .comptes()
        .toutes_les_structures()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.nom == "Espace numérique Paris")
        .expect("structure without a SIRET")
        .id;

    let page = envoyer(&w.state, requete("GET", "/espace/pass", Some(&ca), None)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.corps);
    assert!(page.corps.contains("Nouveau programme"), "{}", page.corps);

    let programme = |action: &'static str, territoire: &'static str, valeur: &'static str| {
        requete(
            "POST",
            "/espace/pass/programmes",
            Some(&ca),
            Some(formulaire(&[
                ("csrf", &csrf_ca),
                ("action", action),
                ("nom", "Pass numérique Toulouse"),
                ("budget", "1000"),
                ("valeur", valeur),
                ("territoire", territoire),
                ("fin", "2027-12-31"),
                ("tolerance", "2028-01-31"),
                ("publics", "retraite"),
                ("publics", "sans_emploi"),
            ])),
        )
    };
    // The simulation: 1,000 € at 10 € = 100 passes, nothing left; the territory's size.
    let r = envoyer(&w.state, programme("simuler", "dep:31", "10")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let dd = r.textes("section.simulation dd");
    assert_eq!(dd.len(), 5, "{dd:?}");
    assert_eq!(dd[0], "100");
    assert_eq!(dd[1], "1\u{202f}000,00 €");
    assert_eq!(dd[2], "0,00 €");
    assert!(
        dd[3].contains("communes") && !dd[3].starts_with('0'),
        "{dd:?}"
    );
    assert!(dd[4].ends_with("pass pour 1 000 habitants"), "{dd:?}");
    // 30 € a pass: 33 passes, 10 € left.
    let r = envoyer(&w.state, programme("simuler", "dep:31", "30")).await;
    let dd = r.textes("section.simulation dd");
    assert_eq!(
        (dd[0].as_str(), dd[2].as_str()),
        ("33", "10,00 €"),
        "{dd:?}"
    );
    // An unknown territory: refused, named; nothing created.
    let r = envoyer(&w.state, programme("creer", "dep:999", "10")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("territoire"), "{}", r.corps);
    // Created.
    let r = envoyer(&w.state, programme("creer", "dep:31", "10")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let chemin = r.location();
    assert!(chemin.starts_with("/espace/pass/programmes/"), "{chemin}");

    let poster = |cookie: &str, csrf: &str, suffixe: &str, champs: &[(&str, &str)]| {
        let mut tous = vec![("csrf", csrf)];
        tous.extend_from_slice(champs);
        requete(
            "POST",
            &format!("{chemin}/{suffixe}"),
            Some(cookie),
            Some(formulaire(&tous)),
        )
    };
    let sa = st_a.to_string();
    let sb = st_b.to_string();
    // A place with a valid SIRET is qualified once; one without a SIRET is refused.
    let r = envoyer(
        &w.state,
        poster(&ca, &csrf_ca, "lieux", &[("structure", &sa)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains("Lieu qualifié : SIRET 73282932000074"),
        "{}",
        r.corps
    );
    let r = envoyer(
        &w.state,
        poster(&ca, &csrf_ca, "lieux", &[("structure", &sa)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("déjà qualifié"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        poster(&ca, &csrf_ca, "lieux", &[("structure", &sb)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("pas de SIRET"), "{}", r.corps);
    let lignes = r.textes("table tbody tr");
    assert_eq!(lignes.len(), 1, "{lignes:?}");
    assert!(
        lignes[0].contains("compte:"),
        "approval recorded: {lignes:?}"
    );
    // The prescriber, the carnet.
    let r = envoyer(
        &w.state,
        poster(&ca, &csrf_ca, "prescripteurs", &[("structure", &sa)]),
    )
    .await;
    assert!(r.corps.contains("Prescripteur ajouté"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        poster(&ca, &csrf_ca, "carnets", &[("nombre", "0")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("nombre"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        poster(&ca, &csrf_ca, "carnets", &[("nombre", "3")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let lien = r.champ("a[href$='/imprimer']", "href").expect("print link");
    let pdf = envoyer(&w.state, requete("GET", &lien, Some(&ca), None)).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.entetes.get("content-type").unwrap(), "application/pdf");
    assert!(pdf.corps.starts_with("%PDF"));
    let codes = codes_du_pdf(&pdf.corps);
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(
        pdf.corps.contains("/pass/"),
        "QR codes lead to the public check"
    );

    // Another structure's coordinator does not see the programme nor print its carnet.
    let (cb, csrf_cb) = connecter(&w, "cb@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(&w.state, requete("GET", &lien, Some(&cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(
        &w.state,
        poster(&cb, &csrf_cb, "carnets", &[("nombre", "3")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The prescriber's mediator gives the first pass with a new personal code.
    let (a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", "/espace/pass", Some(&a1), None)).await;
    assert!(
        !r.corps.contains("Nouveau programme"),
        "a mediator funds nothing"
    );
    assert!(
        r.corps.contains("Pass numérique Toulouse"),
        "prescribed: {}",
        r.corps
    );
    let r = envoyer(&w.state, programme_de(&a1, &csrf_a1)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let remettre = |code: &str, cle: &str, code_personne: &str| {
        requete(
            "POST",
            "/espace/pass/distribuer",
            Some(&a1),
            Some(formulaire(&[
                ("csrf", &csrf_a1),
                ("code", code),
                ("commune", "31555"),
                ("tranche_age", "70+"),
                ("statut", "retraite"),
                ("cle", cle),
                ("code_personne", code_personne),
            ])),
        )
    };
    let r = envoyer(&w.state, remettre(&codes[0], "nouvelle", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps.contains(&format!("Pass {} remis", codes[0])),
        "{}",
        r.corps
    );
    let cle = r
        .textes("strong.code-personnel")
        .pop()
        .expect("new key shown");
    // The same pass again: refused.
    let r = envoyer(&w.state, remettre(&codes[0], "aucune", "")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("ne peut plus être remis"), "{}", r.corps);
    // A wrong personal code: refused, the pass stays in the carnet.
    let r = envoyer(
        &w.state,
        remettre(&codes[1], "existante", "AAAAA-BBBBB-CCCCC-DDDDD"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(r.corps.contains("code_personne"), "{}", r.corps);
    // The same person's second pass, with the key they now have.
    let r = envoyer(&w.state, remettre(&codes[1], "existante", &cle)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("« Mon espace »"), "{}", r.corps);
    assert!(r.textes("strong.code-personnel").is_empty(), "no new key");

    // The person sees both passes, distributed.
    let r = ouvrir_mon_espace(&w, &cle).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let espace = format!(
        "maillage_espace={}",
        r.cookie("maillage_espace").expect("space cookie")
    );
    let r = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    let lignes = r.textes("#titre-pass + ul li");
    assert_eq!(lignes.len(), 2, "{}", r.corps);
    assert!(
        lignes.iter().all(|l| l.contains("distribué le 20/11/2026")),
        "{lignes:?}"
    );

    // The mediator redeems the first one while recording the accompaniment.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/activites",
            Some(&a1),
            Some(formulaire(&[
                ("csrf", &csrf_a1),
                ("type_activite", "individuel"),
                ("date", "2026-11-19"),
                ("duree", "60"),
                ("type_lieu", "lieu_activite"),
                ("lieu_activite_id", &w.lieu_a.to_string()),
                ("thematiques", "email"),
                ("anon_tranche", "soixante_dix_plus"),
                ("anon_statut", "retraite"),
                ("pass", &codes[0]),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    assert!(!r.location().contains("pass_refuse"), "{}", r.location());

    // « Mon espace »: one used (date and time, Paris), one still valid.
    let r = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    let lignes = r.textes("#titre-pass + ul li");
    assert_eq!(lignes.len(), 2, "{lignes:?}");
    let utilise = lignes
        .iter()
        .find(|l| l.contains(&codes[0]))
        .expect("first pass");
    assert!(utilise.contains("utilisé le 20/11/2026 à "), "{utilise}");
    let autre = lignes.iter().find(|l| l.contains(&codes[1])).unwrap();
    assert!(autre.contains("distribué"), "{autre}");

    // The funder's dashboard.
    let tableau = format!("{chemin}/tableau");
    let r = envoyer(&w.state, requete("GET", &tableau, Some(&ca), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let total = r.textes("#cap-total ~ tbody td");
    assert_eq!(
        total,
        ["3", "2", "1", "0", "0", "10,00 €"],
        "émis, distribués, utilisés, expirés, bloqués, montant"
    );
    assert!(r.corps.contains("<svg"), "SVG chart");
    assert!(
        r.corps.contains("Aucun signal"),
        "one pass of three, used at home: {}",
        r.corps
    );
    let lieux = r.textes("#cap-lieu ~ tbody tr");
    assert_eq!(lieux.len(), 1);
    assert!(
        lieux[0].contains("Médiathèque de Toulouse") && lieux[0].contains('1'),
        "{lieux:?}"
    );
    assert!(r.textes("#cap-mois ~ tbody tr")[0].contains("novembre 2026"));
    assert!(r.textes("#cap-public ~ tbody tr")[0].contains("Retraité"));
    assert!(r.textes("#cap-commune ~ tbody tr")[0].contains("Toulouse (31555)"));
    let csv = envoyer(
        &w.state,
        requete("GET", &format!("{tableau}.csv"), Some(&ca), None),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.corps
            .contains("Découpage;Valeur;Émis;Distribués;Utilisés"),
        "{}",
        csv.corps
    );
    assert!(
        csv.corps
            .contains("Lieu;Médiathèque de Toulouse;0;0;1;0;0;10,00"),
        "{}",
        csv.corps
    );
    let xlsx = envoyer(
        &w.state,
        requete("GET", &format!("{tableau}.xlsx"), Some(&ca), None),
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.corps.starts_with("PK"), "a zip (XLSX)");
    let r = envoyer(&w.state, requete("GET", &tableau, Some(&cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = envoyer(&w.state, requete("GET", &tableau, Some(&a1), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The month's statement of the place, from the programme's page form.
    let page = envoyer(&w.state, requete("GET", &chemin, Some(&ca), None)).await;
    assert_eq!(
        page.champ("#releve-mois", "value").as_deref(),
        Some("2026-11"),
        "this month proposed"
    );
    let releve = format!("{chemin}/releve?lieu={sa}&mois=2026-11");
    let r = envoyer(&w.state, requete("GET", &releve, Some(&ca), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let lignes = r.textes("#cap-releve ~ tbody tr");
    assert_eq!(lignes.len(), 1, "{lignes:?}");
    assert!(
        lignes[0].contains(&codes[0]) && lignes[0].contains("10,00 €"),
        "{lignes:?}"
    );
    assert!(
        r.textes(".total-releve")
            .pop()
            .unwrap_or_default()
            .contains("1 pass, 10,00 €"),
        "{}",
        r.corps
    );
    // The statement's total is the ledger's: recomputed from the ledger's entries alone.
    let registre = w
        .state
        .instance
        .pass()
        .store()
        .pass_journal(0, 10_000)
        .await
        .unwrap();
    let (debut, fin) = maillage_pass::releve::bornes_du_mois(2026, 11).unwrap();
    let seq = registre.last().unwrap().seq;
    assert_eq!(
        maillage_pass::releve::total_depuis_le_registre(&registre, st_a, debut, fin, seq),
        1_000
    );
    let csv = envoyer(
        &w.state,
        requete(
            "GET",
            &releve.replace("/releve?", "/releve.csv?"),
            Some(&ca),
            None,
        ),
    )
    .await;
    assert!(csv.corps.contains("Total;;1 pass;10,00"), "{}", csv.corps);
    let xlsx = envoyer(
        &w.state,
        requete(
            "GET",
            &releve.replace("/releve?", "/releve.xlsx?"),
            Some(&ca),
            None,
        ),
    )
    .await;
    assert!(xlsx.corps.starts_with("PK"));
    let pdf = envoyer(
        &w.state,
        requete(
            "GET",
            &releve.replace("/releve?", "/releve.pdf?"),
            Some(&ca),
            None,
        ),
    )
    .await;
    assert!(pdf.corps.starts_with("%PDF"));
    // A month that is not one, a place not qualified: refused, named.
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("{chemin}/releve?lieu={sa}&mois=2026-13"),
            Some(&ca),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("mois"), "{}", r.corps);
    let r = envoyer(
        &w.state,
        requete(
            "GET",
            &format!("{chemin}/releve?lieu={sb}&mois=2026-11"),
            Some(&ca),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = envoyer(&w.state, requete("GET", &releve, Some(&cb), None)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A programme's creation form posted by `cookie`.
fn programme_de(cookie: &str, csrf: &str) -> axum::http::Request<axum::body::Body> {
    requete(
        "POST",
        "/espace/pass/programmes",
        Some(cookie),
        Some(formulaire(&[
            ("csrf", csrf),
            ("action", "creer"),
            ("nom", "X"),
            ("budget", "100"),
            ("valeur", "10"),
            ("territoire", "dep:31"),
            ("fin", "2027-12-31"),
            ("tolerance", "2028-01-31"),
        ])),
    )
}

/// A programme of structure A (its coordinator the funder) ending on `fin`, tolerance
/// `tolerance`, A qualified and prescriber, a carnet of `n` passes of which `distribues`
/// are given to people. Returns `(programme, codes)`.
async fn programme_court(
    w: &Monde,
    fin: chrono::NaiveDate,
    tolerance: chrono::NaiveDate,
    n: usize,
    distribues: usize,
) -> (i64, Vec<String>) {
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let st_a = super::mediation::structure_de(w, "ca@exemple.fr").await;
    let programme = pass
        .creer_programme(
            &op,
            maillage_pass::DemandeProgramme {
                financeur_structure_id: st_a,
                nom: "Pass numérique court".into(),
                budget_centimes: 100_000,
                valeur_centimes: 1_000,
                fin_validite: fin,
                tolerance,
                territoire: "dep:31".into(),
                publics: vec![],
            },
        )
        .await
        .expect("programme");
    pass.qualifier_lieu(&op, programme, st_a)
        .await
        .expect("place");
    pass.ajouter_prescripteur(&op, programme, st_a)
        .await
        .expect("prescriber");
    let (_, codes) = pass
        .emettre_carnet(&op, programme, n)
        .await
        .expect("carnet");
    for c in codes.iter().take(distribues) {
        pass.distribuer(
            &op,
            st_a,
            c,
            maillage_pass::Beneficiaire {
                commune: "31555".into(),
                tranche_age: "70+".into(),
                statut: "retraite".into(),
                personne_id: None,
            },
        )
        .await
        .expect("distributed");
    }
    (programme, codes)
}

/// The end of validity as the funder lives it (the clock at 20/11/2026, the programme
/// valid until 10/12/2026, tolerance until 20/12/2026): the daily job records the J−30
/// alert; the J−15 blocking is refused before 25/11, then validated on the programme's page
/// (the pass never given out is blocked, a given one is still redeemable); after the
/// tolerance date the job expires what is left and records the credit note of every pass
/// not redeemed; each step in the ledger, the chain intact.
#[tokio::test]
async fn fin_de_validite_alerte_blocage_avoir() {
    let w = monde().await;
    let jour = |m, j| chrono::NaiveDate::from_ymd_opt(2026, m, j).unwrap();
    let (programme, codes) = programme_court(&w, jour(12, 10), jour(12, 20), 3, 2).await;
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let chemin = format!("/espace/pass/programmes/{programme}");

    // 20/11: J−20, the alert is due; the job records it once.
    let faites = pass.tache_fin_de_validite(&op).await.expect("job");
    let alerte = faites
        .iter()
        .find(|e| e.programme_id == programme)
        .expect("alert");
    assert_eq!((alerte.etape.as_str(), alerte.nombre), ("alerte", 3));
    assert!(pass
        .tache_fin_de_validite(&op)
        .await
        .expect("job")
        .iter()
        .all(|e| e.programme_id != programme));
    let (ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&ca), None)).await;
    assert!(
        r.corps.contains("Alerte J−30 : 3 pass (30,00 €)"),
        "{}",
        r.corps
    );
    assert!(
        r.champ("form[action$='/blocage'] button", "type").is_none(),
        "no blocking before J−15"
    );
    let bloquer = |cookie: &str, csrf: &str| {
        requete(
            "POST",
            &format!("{chemin}/blocage"),
            Some(cookie),
            Some(formulaire(&[("csrf", csrf)])),
        )
    };
    let r = envoyer(&w.state, bloquer(&ca, &csrf_ca)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("qu’à partir du 25/11/2026"), "{}", r.corps);

    // 26/11: the funder validates the blocking on the page.
    w.horloge.avancer(chrono::Duration::days(6));
    let (ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&ca), None)).await;
    assert!(
        r.champ("form[action$='/blocage'] button", "type").is_some(),
        "{}",
        r.corps
    );
    let r = envoyer(&w.state, bloquer(&ca, &csrf_ca)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(
        r.corps
            .contains("Blocage validé : 1 pass jamais remis bloqués (10,00 €)"),
        "{}",
        r.corps
    );
    assert_eq!(pass.pass(&codes[2]).await.unwrap().etat, "bloque");
    assert_eq!(pass.pass(&codes[0]).await.unwrap().etat, "distribue");
    let r = envoyer(&w.state, bloquer(&ca, &csrf_ca)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "once");
    // A given pass is still redeemable until the tolerance date.
    let st_a = super::mediation::structure_de(&w, "ca@exemple.fr").await;
    let cle = pass.creer_cle_api(&op, st_a, "Caisse", 365).await.unwrap();
    let cle = pass
        .authentifier(&cle.cle, maillage_pass::SCOPE_UTILISER)
        .await
        .unwrap();
    pass.utiliser(&maillage_pass::Origine::Cle(cle), &codes[0], "n-0", None)
        .await
        .expect("redeemed before the tolerance date");

    // 21/12: after the tolerance date the job expires the rest and records the credit note.
    w.horloge.avancer(chrono::Duration::days(25));
    let faites = pass.tache_fin_de_validite(&op).await.expect("job");
    let avoir = faites
        .iter()
        .find(|e| e.programme_id == programme)
        .expect("credit note");
    assert_eq!(
        (avoir.etape.as_str(), avoir.nombre, avoir.montant_centimes),
        ("avoir", 2, 2_000),
        "the expired pass and the blocked one"
    );
    assert_eq!(pass.pass(&codes[1]).await.unwrap().etat, "expire");
    assert_eq!(pass.pass(&codes[0]).await.unwrap().etat, "utilise");
    let (ca, _) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&ca), None)).await;
    assert!(r.corps.contains("avoir de 2 pass (20,00 €)"), "{}", r.corps);
    let registre = pass.store().pass_journal(0, 10_000).await.unwrap();
    for action in [
        "pass_alerte_fin",
        "pass_blocage_fin",
        "pass_expiration",
        "pass_avoir",
    ] {
        assert!(
            registre.iter().any(|e| e.contenu.action == action),
            "{action} in the ledger"
        );
    }
    let rapport = pass
        .verifier_journal(
            &maillage_domain::mandats::SigningKey::from_bytes(&[7; 32]).verifying_key(),
        )
        .await
        .unwrap();
    assert!(rapport.intact(), "{:?}", rapport.rupture);
}

/// A forced (offline) redemption on the funder's page: listed as an incident to decide,
/// absent from the place's statement until the funder accepts it, then counted.
#[tokio::test]
async fn incident_d_utilisation_forcee_tranche_par_le_financeur() {
    let w = monde().await;
    let jour = |a, m, j| chrono::NaiveDate::from_ymd_opt(a, m, j).unwrap();
    let (programme, codes) = programme_court(&w, jour(2027, 12, 31), jour(2028, 1, 31), 2, 2).await;
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let st_a = super::mediation::structure_de(&w, "ca@exemple.fr").await;
    let cle = pass.creer_cle_api(&op, st_a, "Caisse", 365).await.unwrap();
    let cle = pass
        .authentifier(&cle.cle, maillage_pass::SCOPE_UTILISER)
        .await
        .unwrap();
    let hors_ligne = pass.maintenant() - chrono::Duration::hours(3);
    let u = pass
        .utiliser_forcee(
            &maillage_pass::Origine::Cle(cle),
            &codes[0],
            "hors-ligne-1",
            None,
            hors_ligne,
        )
        .await
        .expect("forced");
    assert!(u.utilisation.forcee);
    let affiche = maillage_pass::code::afficher(&codes[0]);
    let chemin = format!("/espace/pass/programmes/{programme}");
    let releve = format!("{chemin}/releve?lieu={st_a}&mois=2026-11");
    let (ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &releve, Some(&ca), None)).await;
    assert!(
        r.textes("#cap-releve ~ tbody tr").is_empty(),
        "not paid before the decision: {}",
        r.corps
    );
    let r = envoyer(&w.state, requete("GET", &chemin, Some(&ca), None)).await;
    let lignes = r.textes("#cap-incidents ~ tbody tr");
    assert_eq!(lignes.len(), 1, "{}", r.corps);
    assert!(
        lignes[0].contains(&affiche) && lignes[0].contains("Utilisation forcée : faite hors ligne"),
        "{lignes:?}"
    );
    let action = r
        .champ("form[action*='/incidents/']", "action")
        .expect("decision form");
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &action,
            Some(&ca),
            Some(formulaire(&[
                ("csrf", &csrf_ca),
                ("decision", "accepter"),
                ("commentaire", "Panne du réseau confirmée"),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("acceptée : payée au lieu"), "{}", r.corps);
    let r = envoyer(&w.state, requete("GET", &releve, Some(&ca), None)).await;
    let lignes = r.textes("#cap-releve ~ tbody tr");
    assert_eq!(lignes.len(), 1, "{}", r.corps);
    assert!(lignes[0].contains(&affiche), "{lignes:?}");
    // Decided once; another structure's coordinator cannot decide.
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &action,
            Some(&ca),
            Some(formulaire(&[("csrf", &csrf_ca), ("decision", "refuser")])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("déjà été tranché"), "{}", r.corps);
    let (cb, csrf_cb) = connecter(&w, "cb@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &action,
            Some(&cb),
            Some(formulaire(&[("csrf", &csrf_cb), ("decision", "refuser")])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// The place's API keys page: the coordinator creates a key with its rights and validity
/// window, sees it once, the key works; revoked on the page, it no longer does; a window
/// that ends before it starts is refused naming the field; a mediator is refused.
#[tokio::test]
async fn cles_api_du_lieu_creer_montrer_une_fois_revoquer() {
    let w = monde().await;
    let pass = w.state.instance.pass();
    let (ca, csrf_ca) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/pass/cles", Some(&ca), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("Aucune clé."), "{}", r.corps);
    let creer = |debut: &str, fin: &str| {
        requete(
            "POST",
            "/espace/pass/cles",
            Some(&ca),
            Some(formulaire(&[
                ("csrf", &csrf_ca),
                ("nom", "Caisse de l’accueil"),
                ("scopes", "pass:utiliser"),
                ("debut", debut),
                ("fin", fin),
            ])),
        )
    };
    let r = envoyer(&w.state, creer("2026-11-20", "2026-11-01")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.corps.contains("fin"), "{}", r.corps);
    let r = envoyer(&w.state, creer("2026-11-20", "2027-11-20")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let cle = r
        .textes("strong.code-personnel")
        .pop()
        .expect("the key, shown once");
    assert!(cle.starts_with("mpk_"), "{cle}");
    assert!(pass
        .authentifier(&cle, maillage_pass::SCOPE_UTILISER)
        .await
        .is_ok());
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/pass/cles", Some(&ca), None),
    )
    .await;
    assert!(!r.corps.contains(&cle), "never shown again");
    let lignes = r.textes("#cap-cles ~ tbody tr");
    assert_eq!(lignes.len(), 1, "{lignes:?}");
    assert!(
        lignes[0].contains("Caisse de l’accueil")
            && lignes[0].contains("du 20/11/2026 au 20/11/2027"),
        "{lignes:?}"
    );
    let revoquer = r
        .champ("form[action$='/revoquer']", "action")
        .expect("revoke form");
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            &revoquer,
            Some(&ca),
            Some(formulaire(&[("csrf", &csrf_ca)])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("révoquée"), "{}", r.corps);
    assert!(pass
        .authentifier(&cle, maillage_pass::SCOPE_UTILISER)
        .await
        .is_err());
    let (a1, _) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete("GET", "/espace/pass/cles", Some(&a1), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// The dashboard's signal of a place redeeming far above its accompaniments, with what the
/// instance gives the module (the place's places of activity and Médiation's roll-ups):
/// six passes redeemed by a structure whose mediators recorded no accompaniment.
#[tokio::test]
async fn signal_du_tableau_de_bord_au_dela_des_accompagnements() {
    let w = monde().await;
    let jour = |a, m, j| chrono::NaiveDate::from_ymd_opt(a, m, j).unwrap();
    let (programme, codes) = programme_court(&w, jour(2027, 12, 31), jour(2028, 1, 31), 6, 6).await;
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let st_a = super::mediation::structure_de(&w, "ca@exemple.fr").await;
    let cle = pass.creer_cle_api(&op, st_a, "Caisse", 365).await.unwrap();
    let cle = pass
        .authentifier(&cle.cle, maillage_pass::SCOPE_UTILISER)
        .await
        .unwrap();
    let (ca, _) = connecter(&w, "ca@exemple.fr").await;
    let tableau = format!("/espace/pass/programmes/{programme}/tableau");
    for (i, code) in codes.iter().enumerate() {
        let r = envoyer(&w.state, requete("GET", &tableau, Some(&ca), None)).await;
        assert!(
            !r.corps.contains("accompagnements enregistrés"),
            "no signal under five redemptions: {i}"
        );
        pass.utiliser(
            &maillage_pass::Origine::Cle(cle.clone()),
            code,
            &format!("n-{i}"),
            None,
        )
        .await
        .expect("redeemed");
        if i == 4 {
            break;
        }
    }
    let r = envoyer(&w.state, requete("GET", &tableau, Some(&ca), None)).await;
    assert!(
        r.corps.contains(
            "Médiathèque de Toulouse : 5 pass utilisés pour 0 accompagnements enregistrés"
        ),
        "{}",
        r.corps
    );
}

/// The dashboard's signal of redemptions outside the opening hours the directory publishes
/// for the place (its place of activity linked to a published place open Mo-Fr
/// 09:00-12:00): a redemption on Friday at 10:00 (Paris) is not a signal, one at 20:00 is,
/// with its time and the hours.
#[tokio::test]
async fn signal_du_tableau_de_bord_hors_horaires_de_l_annuaire() {
    let w = monde().await;
    let jour = |a, m, j| chrono::NaiveDate::from_ymd_opt(a, m, j).unwrap();
    let (programme, codes) = programme_court(&w, jour(2027, 12, 31), jour(2028, 1, 31), 2, 2).await;
    let st_a = super::mediation::structure_de(&w, "ca@exemple.fr").await;
    w.state
        .annuaire
        .store()
        .replace_merged_lieux(vec![maillage_store::MergedLieuRow {
            id: "lieu-horaires".into(),
            data: {
                // A whole published place (a synthetic one), open Mo-Fr 09:00-12:00.
                let mut l = maillage_annuaire::synthetique::generer(1, 0.0, 7)
                    .remove(0)
                    .lieu;
                l.id = "lieu-horaires".into();
                l.horaires = maillage_domain::Horaires::new("Mo-Fr 09:00-12:00");
                serde_json::to_string(&l).unwrap()
            },
            members: vec!["test#horaires".into()],
            provenance: "{}".into(),
            code_insee: Some("31555".into()),
            latitude: None,
            longitude: None,
        }])
        .await
        .unwrap();
    w.state
        .instance
        .store()
        .create_lieu_activite(st_a, "Salle numérique", Some("lieu-horaires"), "31555")
        .await
        .unwrap();
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();
    let cle = pass.creer_cle_api(&op, st_a, "Caisse", 365).await.unwrap();
    let cle = pass
        .authentifier(&cle.cle, maillage_pass::SCOPE_UTILISER)
        .await
        .unwrap();
    let tableau = format!("/espace/pass/programmes/{programme}/tableau");
    // Friday 20/11/2026 at 10:00 in Paris: open.
    pass.utiliser(
        &maillage_pass::Origine::Cle(cle.clone()),
        &codes[0],
        "n-0",
        None,
    )
    .await
    .unwrap();
    let (ca, _) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &tableau, Some(&ca), None)).await;
    assert!(!r.corps.contains("horaires d’ouverture"), "{}", r.corps);
    // The same day at 20:00: closed.
    w.horloge.avancer(chrono::Duration::hours(10));
    pass.utiliser(&maillage_pass::Origine::Cle(cle), &codes[1], "n-1", None)
        .await
        .unwrap();
    let (ca, _) = connecter(&w, "ca@exemple.fr").await;
    let r = envoyer(&w.state, requete("GET", &tableau, Some(&ca), None)).await;
    assert!(
        r.corps.contains(
            "1 pass utilisés par Médiathèque de Toulouse en dehors de ses horaires d’ouverture"
        ),
        "{}",
        r.corps
    );
    assert!(
        r.corps.contains("le 20/11/2026 à 20:00") && r.corps.contains("Mo-Fr 09:00-12:00"),
        "{}",
        r.corps
    );
}

/// The J−30 notice as the person lives it (the clock at 20/11/2026, the programme valid
/// until 31/01/2027, tolerance until 10/02/2027): a mediator gives a pass with a new
/// personal code; in « Mon espace » the person sees no notice yet and leaves an e-mail
/// address (a malformed one refused, naming the field); at J−30 the page says « Votre pass
/// de 10,00 € est valable jusqu’au 10/02/2027 : utilisez-le avant cette date … » with the
/// place that accepts it, and the daily job queues one message in the outbox — one only,
/// however many runs, even two at once; once the pass is used the notice is gone.
#[tokio::test]
async fn avis_j_moins_30_dans_mon_espace_et_un_seul_courriel() {
    let w = monde().await;
    let jour = |a, m, j| chrono::NaiveDate::from_ymd_opt(a, m, j).unwrap();
    let (_, codes) = programme_court(&w, jour(2027, 1, 31), jour(2027, 2, 10), 2, 0).await;
    let pass = w.state.instance.pass();
    let op = w.state.instance.comptes().exploitant();

    let (a1, csrf_a1) = connecter(&w, "a1@exemple.fr").await;
    let r = envoyer(
        &w.state,
        requete(
            "POST",
            "/espace/pass/distribuer",
            Some(&a1),
            Some(formulaire(&[
                ("csrf", &csrf_a1),
                ("code", &codes[0]),
                ("commune", "31555"),
                ("tranche_age", "70+"),
                ("statut", "retraite"),
                ("cle", "nouvelle"),
                ("code_personne", ""),
            ])),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let cle = r
        .textes("strong.code-personnel")
        .pop()
        .expect("new key shown");

    let r = ouvrir_mon_espace(&w, &cle).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let espace = format!(
        "maillage_espace={}",
        r.cookie("maillage_espace").expect("space cookie")
    );
    let r = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    assert_eq!(r.textes("#titre-pass + ul li").len(), 1, "{}", r.corps);
    assert!(r.textes("p.avis-fin-pass").is_empty(), "not before J−30");
    let csrf = r.champ_cache("csrf").expect("csrf");
    let avec_pre = format!(
        "{espace}; maillage_pre={}",
        r.cookie("maillage_pre").expect("pre cookie")
    );
    let laisser = |adresse: &str| {
        requete(
            "POST",
            "/mon-espace",
            Some(&avec_pre),
            Some(formulaire(&[
                ("csrf", &csrf),
                ("action", "contact_pass"),
                ("contact", adresse),
            ])),
        )
    };
    let r = envoyer(&w.state, laisser("pas une adresse")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.corps);
    assert!(
        r.corps
            .contains("Adresse électronique : « pas une adresse »"),
        "{}",
        r.corps
    );
    let r = envoyer(&w.state, laisser(" lea@exemple.fr ")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    assert!(r.corps.contains("C’est noté"), "{}", r.corps);
    assert_eq!(
        r.champ("#contact-pass", "value").as_deref(),
        Some("lea@exemple.fr")
    );

    // Before J−30 the daily job tells no one.
    pass.tache_fin_de_validite(&op).await.expect("job");
    assert!(courriels_a(&w, "lea@exemple.fr").await.is_empty());

    // 02/01/2027: J−29 (the space's session is long closed: opened again).
    w.horloge.avancer(chrono::Duration::days(43));
    let r = ouvrir_mon_espace(&w, &cle).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.corps);
    let espace = format!(
        "maillage_espace={}",
        r.cookie("maillage_espace").expect("space cookie")
    );
    let r = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.corps);
    let avis = r.textes("p.avis-fin-pass");
    assert_eq!(avis.len(), 1, "{}", r.corps);
    assert!(avis[0].starts_with("Votre pass de 10,00"), "{avis:?}");
    assert!(
        avis[0].contains("est valable jusqu’au 10/02/2027 : utilisez-le avant cette date"),
        "{avis:?}"
    );
    let st_a = super::mediation::structure_de(&w, "ca@exemple.fr").await;
    let nom_a = w
        .state
        .instance
        .comptes()
        .toutes_les_structures()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == st_a)
        .unwrap()
        .nom;
    assert!(avis[0].contains(&nom_a), "where to use it: {avis:?}");

    // The daily job, twice at once (two nodes) then again: both runs succeed, the
    // programme's J−30 alert step is made once between them, and one message is sent.
    let (a, b) = tokio::join!(
        pass.tache_fin_de_validite(&op),
        pass.tache_fin_de_validite(&op)
    );
    let (a, b) = (a.expect("first run"), b.expect("second run"));
    let alertes = a.iter().chain(&b).filter(|e| e.etape == "alerte").count();
    assert_eq!(alertes, 1, "{a:?} {b:?}");
    pass.tache_fin_de_validite(&op).await.expect("job");
    let messages = courriels_a(&w, "lea@exemple.fr").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].corps.contains("valable jusqu’au 10/02/2027"),
        "{}",
        messages[0].corps
    );
    assert!(messages[0].corps.contains(&nom_a), "{}", messages[0].corps);

    // Used: no more notice.
    let cle_api = pass.creer_cle_api(&op, st_a, "Caisse", 365).await.unwrap();
    let cle_api = pass
        .authentifier(&cle_api.cle, maillage_pass::SCOPE_UTILISER)
        .await
        .unwrap();
    pass.utiliser(
        &maillage_pass::Origine::Cle(cle_api),
        &codes[0],
        "n-avis",
        None,
    )
    .await
    .expect("redeemed");
    let r = envoyer(&w.state, requete("GET", "/mon-espace", Some(&espace), None)).await;
    assert!(r.textes("p.avis-fin-pass").is_empty(), "{}", r.corps);
}

/// The outbox's messages to `adresse`.
async fn courriels_a(w: &Monde, adresse: &str) -> Vec<maillage_store::comptes::CourrielRow> {
    w.state
        .instance
        .comptes()
        .courriels(100)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|c| c.destinataire == adresse)
        .collect()
}
