//! Fuzzes the offline survey sync of Enquête (`POST /api/v1/enquete/{id}/synchro`): the
//! JSON body (`LotSynchro`, the shape of the web layer's `CorpsSynchro`), then every visit
//! and questionnaire checked by the pure part of `Enquete::synchroniser`
//! (`verifier_visite`, `verifier_questionnaire` with the standard questionnaire).
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_enquete::questionnaire::Questionnaire;
use maillage_enquete::{verifier_questionnaire, verifier_visite, LotSynchro};
use std::sync::OnceLock;

fn standard() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(|| Questionnaire::standard().expect("the standard questionnaire"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(lot) = serde_json::from_slice::<LotSynchro>(data) else {
        return;
    };
    for v in &lot.visites {
        let adresse = |id: i64| {
            if id % 2 == 0 {
                Ok(())
            } else {
                Err("hors liste")
            }
        };
        let _ = verifier_visite(v, adresse);
    }
    for q in &lot.questionnaires {
        let secteur = |commune: &str| commune.starts_with("31");
        let _ = verifier_questionnaire(q, standard(), 1, secteur);
    }
});
