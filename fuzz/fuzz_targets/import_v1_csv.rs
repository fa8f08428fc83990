//! Fuzzes the import of a schema v1 CSV file (`maillage import --format v1-csv`).
#![no_main]

#[path = "commun.rs"]
mod commun;

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::Format;

fuzz_target!(|data: &[u8]| {
    commun::lire(Format::V1Csv, data);
});
