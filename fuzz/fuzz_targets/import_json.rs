//! Fuzzes the import of JSON arrays of places, schema v1 and v0 (both readings run on
//! every input).
#![no_main]

#[path = "commun.rs"]
mod commun;

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::Format;

fuzz_target!(|data: &[u8]| {
    commun::lire(Format::V1Json, data);
    commun::lire(Format::V0Json, data);
});
