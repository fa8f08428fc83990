//! Fuzzes `maillage import --format auto`: format detection, then the detected reader.
#![no_main]

#[path = "commun.rs"]
mod commun;

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::{self, FormatDemande, OptionsImport};

fuzz_target!(|data: &[u8]| {
    let _ = import::detecter(data);
    let options = OptionsImport::default();
    let geo = maillage_territoire::Referentiel::embedded();
    if let Ok(lecture) = import::lire_demande("fuzz", FormatDemande::Auto, data, &options, geo) {
        commun::verifier(&lecture);
    }
});
