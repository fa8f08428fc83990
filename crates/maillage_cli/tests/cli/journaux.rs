//! `MAILLAGE_JOURNAUX=json` (issue « Fiabilité et exploitation », item 4): the server's logs are
//! one JSON object per line, and a refused request's line carries the id that its answer's
//! `x-request-id` header and its error page show.

use crate::premiere_utilisation::Instance;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaux_json_portent_l_id_de_la_page_d_erreur() {
    let mut instance = Instance::nouvelle("journaux");
    instance.demarrer_avec(&[("MAILLAGE_JOURNAUX", "json")]);
    let r = reqwest::get(format!("{}/lieux/n-existe-pas", instance.base()))
        .await
        .expect("answer");
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .expect("x-request-id");
    let page = r.text().await.expect("page");
    assert!(page.contains(&format!("<code>{id}</code>")), "{page}");

    // The log line is written after the answer: wait for it (bounded).
    let mut ligne = None;
    for _ in 0..50 {
        let journal = instance.journal_serveur();
        ligne = journal
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["span"]["id"] == id.as_str());
        if ligne.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let ligne = ligne.unwrap_or_else(|| {
        panic!(
            "no JSON log line with id {id}:\n{}",
            instance.journal_serveur()
        )
    });
    assert_eq!(ligne["fields"]["statut"], 404, "{ligne}");
    assert_eq!(ligne["span"]["route"], "/lieux/{id}", "{ligne}");
    assert_eq!(ligne["level"], "INFO", "{ligne}");
}
