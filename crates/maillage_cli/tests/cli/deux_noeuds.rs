//! Two `maillage serve` on one PostgreSQL database, nothing in front of them but their two
//! ports (issue « Fiabilité et exploitation », item 2): a sign-in made on node A is valid on
//! node B, a write on A is seen on B, journal appends from two processes at once keep one
//! unbroken chain, and each periodic job runs once for the two nodes.

use std::time::Duration;

use chrono::Utc;
use maillage_domain::mandats::NouvelleEntree;

use crate::premiere_utilisation::{accepter_invitation, creer_structure, lien_dans, Instance};
use crate::sauvegarde::{base_postgres, supprimer_base};

/// `name{labels} value` of a Prometheus text.
fn valeur(texte: &str, echantillon: &str) -> f64 {
    texte
        .lines()
        .find_map(|l| l.strip_prefix(echantillon)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
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
    a.demarrer();
    let mut b = a.autre_noeud();
    b.demarrer();

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
