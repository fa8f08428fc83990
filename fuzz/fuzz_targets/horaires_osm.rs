//! Fuzzes the opening-hours parsers: the OSM `opening_hours` check of the domain
//! (`Horaires::new`) and the import's repair of near-OSM strings (`reparer_osm`), whose
//! output must itself be valid OSM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::horaires::reparer_osm;
use maillage_domain::horaires::est_osm_valide;
use maillage_domain::Horaires;

fuzz_target!(|data: &[u8]| {
    let Ok(texte) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Horaires::new(texte);
    if let Some(repare) = reparer_osm(texte) {
        assert!(
            est_osm_valide(&repare),
            "a repair that is not OSM: {repare:?}"
        );
    }
});
