//! Fuzzes the import of an event from JSON (`maillage evenements importer`,
//! `lire_evenement`): every error names its field, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(texte) = std::str::from_utf8(data) else {
        return;
    };
    let _ = maillage_evenements::lire_evenement(texte, |c| c.starts_with("31"));
});
