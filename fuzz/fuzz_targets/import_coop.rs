//! Fuzzes the import of a Coop CSV export into Médiation (`lire_coop`), then the check of
//! every record read (`Cra::valider`), as `Mediation::importer_coop` does before writing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_mediation::import_coop::{lire_coop, LieuCoop};

fuzz_target!(|data: &[u8]| {
    let lieux = [LieuCoop {
        id: 1,
        nom: "Médiathèque Cabanis".into(),
    }];
    let aujourdhui = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    if let Ok(lecture) = lire_coop(data, &lieux) {
        assert!(lecture.rapport.refusees.len() <= lecture.rapport.lignes_lues);
        for (ligne, cra) in lecture.activites {
            assert!(ligne >= 2, "line numbers start after the header");
            let _ = cra.valider(aujourdhui);
        }
    }
});
