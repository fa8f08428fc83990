//! Fuzzes the import of the France Services list (CSV, no date column: the default date is used).
#![no_main]

#[path = "commun.rs"]
mod commun;

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::Format;

fuzz_target!(|data: &[u8]| {
    commun::lire(Format::FranceServices, data);
});
