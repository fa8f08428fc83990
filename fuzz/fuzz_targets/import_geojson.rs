//! Fuzzes the import of a GeoJSON FeatureCollection of places.
#![no_main]

#[path = "commun.rs"]
mod commun;

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::Format;

fuzz_target!(|data: &[u8]| {
    commun::lire(Format::GeoJson, data);
});
