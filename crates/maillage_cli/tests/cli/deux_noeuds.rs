//! Two `maillage serve` on one PostgreSQL database, nothing in front of them but their two
//! ports (issue « Fiabilité et exploitation », item 2): a sign-in made on node A is valid on
//! node B, a write on A is seen on B, a place imported meanwhile is found on both nodes'
//! search within seconds (LISTEN/NOTIFY; their periodic check is set 10 minutes away), the public
//! error-report form signed on one node is taken by the other and its per-address limit
//! counts both nodes together, journal appends from two processes at once keep one
//! unbroken chain, and each periodic job runs once for the two nodes. And an identity
//! verification through an OpenID Connect provider (the local test provider, in this
//! process) started on A and finished on B, used on A, its callback refused when replayed.

use std::time::{Duration, Instant};

use chrono::Utc;
use maillage_domain::mandats::NouvelleEntree;

use crate::crash::{importer_amorce, numero_apres};
use crate::fournisseur_oidc::{FournisseurTest, CLIENT_ID, CLIENT_SECRET, NOM, PRENOMS};
use crate::premiere_utilisation::{accepter_invitation, creer_structure, lien_dans, Instance};
use crate::sauvegarde::{base_postgres, supprimer_base};

/// `name{labels} value` of a Prometheus text.
fn valeur(texte: &str, echantillon: &str) -> f64 {
    texte
        .lines()
        .find_map(|l| l.strip_prefix(echantillon)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// The id of the first place the search API finds for `q` on `base`, if any.
async fn lieu_trouve(base: &str, q: &str) -> Option<String> {
    let r = reqwest::get(format!("{base}/api/v1/lieux?q={q}"))
        .await
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&r.text().await.ok()?).ok()?;
    v["items"]
        .as_array()?
        .first()
        .and_then(|l| l["id"].as_str())
        .map(str::to_string)
}

async fn metriques(base: &str) -> String {
    let r = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    r.text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deux_noeuds_une_base_postgres() {
    let url = base_postgres().await;
    let mut a = Instance::sur("deux-noeuds", &url);
    let sortie = a.executer(&["mediation", "administrateur", "admin@exemple.fr"]);
    let lien = lien_dans(&sortie, &format!("{}/invitation/", a.base())).expect("link");
    // A loads the bundled places into the empty database and creates the journal key;
    // B starts on the same database and key.
    // No MAILLAGE_CLE_FORMULAIRES: the forms' key is drawn once for the instance.
    // The periodic check of the directory set to 10 minutes: only the database's
    // notification can make a node see the import below within the test's 20 s.
    let limites = [
        ("MAILLAGE_SIGNALEMENTS_PAR_ADRESSE", "2"),
        ("MAILLAGE_VERIFICATION_ANNUAIRE", "600"),
    ];
    a.demarrer_avec(&limites);
    let mut b = a.autre_noeud();
    b.demarrer_avec(&limites);

    // Signed in on A (password + second factor), the same cookies on B.
    let (mut admin, _) = accepter_invitation(&a.base(), &lien, "Alice Admin").await;
    admin.nav.base = b.base();
    let espace = admin.nav.get("/espace").await;
    assert_eq!(espace.statut, 200, "{}", espace.corps);
    assert!(
        espace.corps.contains("Se déconnecter"),
        "the session made on A is valid on B: {}",
        espace.corps
    );
    // A write on A is seen on B.
    admin.nav.base = a.base();
    creer_structure(&mut admin, "CCAS de Muret").await;
    admin.nav.base = b.base();
    let structures = admin.nav.get("/espace/structures").await;
    assert!(
        structures.corps.contains("CCAS de Muret"),
        "{}",
        structures.corps
    );

    // A place imported through the command line (another process): both nodes' engines are
    // rebuilt on the database's notification (their periodic check is 10 minutes away; the
    // 20 s allowed are for the rebuild of ~7,000 places in a debug build on a busy machine).
    let fichier = a.dossier().join("noeuds.csv");
    std::fs::write(
        &fichier,
        "id,nom,adresse,code_postal,code_insee,commune,latitude,longitude,date_maj\n\
         n1,Atelier Zorglub des deux noeuds,3 place de la République,31600,31395,Muret,43.4620,1.3260,2026-10-01\n",
    )
    .expect("places file");
    a.executer(&[
        "import",
        "--source",
        "noeuds",
        "--format",
        "v1-csv",
        fichier.to_str().expect("utf-8"),
    ]);
    let importe = Instant::now();
    let mut id_lieu = String::new();
    for base in [b.base(), a.base()] {
        let trouve = loop {
            if let Some(id) = lieu_trouve(&base, "zorglub").await {
                break Some(id);
            }
            if importe.elapsed() > Duration::from_secs(20) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        id_lieu = trouve.unwrap_or_else(|| panic!("the imported place is not found on {base}"));
    }
    println!(
        "imported place found on both nodes {} ms after the import ended",
        importe.elapsed().as_millis()
    );

    // The error-report form: its token signed on A is taken on B (one key for the instance),
    // and the limit of 2 reports per address counts both nodes together.
    let page = reqwest::get(format!("{}/lieux/{id_lieu}", a.base()))
        .await
        .expect("place page")
        .text()
        .await
        .expect("text");
    let jeton = page
        .split("name=\"jeton\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("a token in the form:\n{page}"))
        .to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut statuts = Vec::new();
    for base in [b.base(), a.base(), b.base()] {
        let r = client
            .post(format!("{base}/lieux/{id_lieu}/signalement"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "categorie=horaires&message=Ferm%C3%A9+le+mardi&contact=&jeton={jeton}"
            ))
            .send()
            .await
            .expect("report");
        statuts.push(r.status().as_u16());
    }
    assert_eq!(
        statuts,
        vec![303, 303, 429],
        "two reports taken, the third refused"
    );

    // Two processes appending to the journal at once: one chain.
    let (p1, p2) = (
        maillage_cli::stockage::ouvrir(&url).await.expect("open"),
        maillage_cli::stockage::ouvrir(&url).await.expect("open"),
    );
    let avant = p1.store().journal_head().await.expect("head").seq;
    let ecrire = |instance: maillage_instance::Instance, qui: &'static str| {
        tokio::spawn(async move {
            for _ in 0..40 {
                instance
                    .store()
                    .append_entree(NouvelleEntree {
                        at_us: Utc::now().timestamp_micros(),
                        action: "consultation".into(),
                        acteur: qui.into(),
                        structure_id: None,
                        mandat_id: None,
                        usager: None,
                        demarches: String::new(),
                        details: "{}".into(),
                    })
                    .await
                    .expect("append");
            }
        })
    };
    let (t1, t2) = (ecrire(p1.clone(), "noeud:a"), ecrire(p2, "noeud:b"));
    t1.await.expect("a");
    t2.await.expect("b");
    assert_eq!(
        p1.store().journal_head().await.expect("head").seq,
        avant + 80
    );
    let v = a.executer(&["journal", "verify"]);
    assert!(v.contains("Journal intact"), "{v}");

    // Each periodic job ran on one node and was left by the other for this period.
    let mut vu = String::new();
    for _ in 0..100 {
        let (ma, mb) = (metriques(&a.base()).await, metriques(&b.base()).await);
        let somme = |echantillon: &str| valeur(&ma, echantillon) + valeur(&mb, echantillon);
        let fait = ["mediation", "mandats", "evenements"].iter().all(|t| {
            somme(&format!("maillage_taches_total{{tache=\"{t}\"}}")) == 1.0
                && somme(&format!("maillage_taches_cedees_total{{tache=\"{t}\"}}")) == 1.0
        });
        if fait {
            vu.clear();
            break;
        }
        vu = format!("A:\n{ma}\nB:\n{mb}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(vu.is_empty(), "each job once for both nodes:\n{vu}");
    drop(b);
    drop(a);
    supprimer_base(&url).await;
}

/// The identity verification of a person through an OpenID Connect provider (the Mandats
/// form's « Vérifier l’identité avec FranceConnect »), across two `maillage serve` on one
/// PostgreSQL database with the same provider settings and the same public address (a
/// reverse proxy's, where nothing listens here: the test sends each request to the node it
/// chooses). The aidant starts on A, the provider sends the browser back to the public
/// address and that callback reaches B, which finds the pending request in the database,
/// exchanges the code and keeps the verified identity; A shows it and signs the mandate
/// with it. The callback replayed is refused on both nodes by Maillage itself (the pending
/// request was taken once), without reaching the provider again. HTTP only, as a browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deux_noeuds_identification_oidc_commencee_sur_a_terminee_sur_b() {
    let debut = Instant::now();
    let publique = {
        let libre = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        format!("http://{}", libre.local_addr().expect("address"))
    };
    // The provider (in this process, on 127.0.0.1:0) knows the client by the redirect URI
    // both nodes derive from the public address.
    let fournisseur =
        FournisseurTest::es256(&format!("{publique}/espace/mandats/identite/retour")).await;
    let reglages = [
        ("MAILLAGE_OIDC_ISSUER", fournisseur.issuer.as_str()),
        ("MAILLAGE_OIDC_CLIENT_ID", CLIENT_ID),
        ("MAILLAGE_OIDC_CLIENT_SECRET", CLIENT_SECRET),
        ("MAILLAGE_ADRESSE_PUBLIQUE", publique.as_str()),
    ];

    let url = base_postgres().await;
    let mut a = Instance::sur("deux-noeuds-oidc", &url);
    importer_amorce(&a, a.dossier());
    let sortie = a.executer(&["mediation", "administrateur", "admin@exemple.fr"]);
    let lien_admin = lien_dans(&sortie, &format!("{}/invitation/", a.base())).expect("link");
    let sortie = a.executer(&[
        "mediation",
        "structure",
        "CCAS de Muret",
        "--commune",
        "31395",
    ]);
    let structure = numero_apres(&sortie, "créée : nº").to_string();
    a.demarrer_avec(&reglages);
    let mut b = a.autre_noeud();
    b.demarrer_avec(&reglages);

    // An aidant of the structure (invited by command, account and second factor through
    // the pages of A), habilitated for Mandats.
    accepter_invitation(&a.base(), &lien_admin, "Alice Admin").await;
    let sortie = a.executer(&[
        "mediation",
        "inviter",
        "aidant@exemple.fr",
        "--role",
        "mediateur",
        "--structure",
        &structure,
        "--par",
        "admin@exemple.fr",
    ]);
    let lien = lien_dans(&sortie, &format!("{}/invitation/", a.base())).expect("link");
    let (mut aidant, _) = accepter_invitation(&a.base(), &lien, "Awa Aidante").await;
    let sortie = a.executer(&[
        "mandats",
        "habiliter",
        "aidant@exemple.fr",
        "--par",
        "admin@exemple.fr",
    ]);
    assert!(sortie.contains("est habilité·e"), "{sortie}");

    // Both nodes found the provider at their start: their form offers it.
    for base in [b.base(), a.base()] {
        aidant.nav.base = base.clone();
        let page = aidant.nav.get("/espace/mandats/nouveau").await;
        assert_eq!(page.statut, 200, "{base}: {}", page.corps);
        assert!(
            page.corps.contains("href=\"/espace/mandats/identite\""),
            "{base} offers the provider:\n{}\nA's log:\n{}",
            page.corps,
            a.journal_serveur()
        );
    }

    // On A (the browser's base is A's now): « Vérifier l’identité » sends the browser to
    // the provider.
    let autorisation = aidant.nav.redirection("/espace/mandats/identite").await;
    assert!(
        autorisation.starts_with(&format!("{}/authorize?", fournisseur.issuer)),
        "{autorisation}"
    );
    // The person signs in at the provider (another site: none of Maillage's cookies), which
    // sends the browser back to the redirect URI, at the public address.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http.get(&autorisation).send().await.expect("provider");
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let retour = r.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    let rappel = retour
        .strip_prefix(&publique)
        .unwrap_or_else(|| panic!("back to the public address: {retour}"))
        .to_string();
    assert!(
        rappel.starts_with("/espace/mandats/identite/retour?")
            && rappel.contains("code=")
            && rappel.contains("state="),
        "{rappel}"
    );

    // The proxy gives the callback to B: B takes the pending request A stored, exchanges
    // the code and keeps the identity, then back to the form (on B).
    aidant.nav.base = b.base();
    let page = aidant.nav.get(&rappel).await;
    let verifiee = page.texte("div.info[role=status]").unwrap_or_default();
    assert!(
        page.statut == 200
            && page.url == format!("{}/espace/mandats/nouveau", b.base())
            && verifiee.contains(&format!("{PRENOMS} {NOM}"))
            && verifiee.contains(&format!(
                "vérifiée par le fournisseur d’identité {}",
                fournisseur.issuer
            )),
        "B accepts the callback of a verification started on A ({} {}):\n{}\nB's log:\n{}",
        page.statut,
        page.url,
        page.corps,
        b.journal_serveur()
    );
    assert_eq!(fournisseur.etat().echanges, 1, "one code exchange");

    // The callback replayed, on either node: refused by Maillage (the pending request was
    // taken once), without asking the provider again.
    for base in [a.base(), b.base()] {
        aidant.nav.base = base.clone();
        let page = aidant.nav.get(&rappel).await;
        assert!(
            page.statut == 422
                && page
                    .texte("#erreur")
                    .is_some_and(|t| t.contains("aucune vérification en cours")),
            "the replayed callback refused on {base} ({}):\n{}",
            page.statut,
            page.corps
        );
    }
    assert_eq!(
        fournisseur.etat().echanges,
        1,
        "the replays never reached the provider"
    );

    // On A: the form shows the identity B verified, and the mandate signed with it carries
    // it.
    aidant.nav.base = a.base();
    let page = aidant.nav.get("/espace/mandats/nouveau").await;
    assert_eq!(page.statut, 200, "{}", page.corps);
    assert!(
        page.texte("div.info[role=status]")
            .is_some_and(|t| t.contains(&format!("{PRENOMS} {NOM}"))),
        "A shows the identity verified on B:\n{}",
        page.corps
    );
    let code = aidant.code().await;
    let f = page
        .formulaire("form[action='/espace/mandats']")
        .decocher_tout("demarche")
        .cocher("demarche", "social")
        .remplir("duree", "6m")
        .cocher("pas_de_protection", "on")
        .cocher("mentions_lues", "on")
        .cocher("consentement", "on")
        .remplir("code", &code);
    assert!(
        f.champs.iter().any(|(k, _)| k == "identite_fournisseur"),
        "« Utiliser cette identité pour le mandat » ticked: {:?}",
        f.champs
    );
    let page = aidant.nav.soumettre(f).await;
    assert!(
        page.statut == 200 && page.corps.contains("Mandat signé et inscrit au journal."),
        "{}: {}",
        page.statut,
        page.corps
    );
    let mandat = page.texte("article.mandat").unwrap_or_default();
    assert!(
        mandat.contains(&format!("{PRENOMS} {NOM}, née ou né le 24/08/1962"))
            && mandat.contains(&format!(
                "vérifiée par le fournisseur d’identité {}",
                fournisseur.issuer
            )),
        "the mandate signed on A carries the identity verified on B:\n{mandat}"
    );

    // The identity signed one mandate: neither node offers it any more.
    aidant.nav.base = b.base();
    let page = aidant.nav.get("/espace/mandats/nouveau").await;
    assert!(
        page.texte("div.info[role=status]").is_none()
            && page.corps.contains("href=\"/espace/mandats/identite\""),
        "{}",
        page.corps
    );
    println!(
        "identity verification across two nodes: {} s",
        debut.elapsed().as_secs()
    );
    drop(b);
    drop(a);
    supprimer_base(&url).await;
}
