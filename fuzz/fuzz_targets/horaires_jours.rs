//! Fuzzes the conversion of opening hours given day by day (« 8h30-12h / 14h-17h »,
//! « fermé »…: the France Services list, the mapping import's half-day columns) to OSM:
//! one line of the input per day, Monday first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::horaires::{depuis_jours, Jour};

fuzz_target!(|data: &[u8]| {
    let Ok(texte) = std::str::from_utf8(data) else {
        return;
    };
    let jours: Vec<(Jour, &str)> = Jour::TOUS.into_iter().zip(texte.split('\n')).collect();
    let _ = depuis_jours(&jours);
});
