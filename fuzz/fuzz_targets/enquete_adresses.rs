//! Fuzzes the import of a survey's visit list (`commune;adresse[;iris[;compte]]` lines,
//! `maillage_enquete::lire_adresses`, the pure part of `Enquete::importer_adresses`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Ok(texte) = std::str::from_utf8(data) else {
        return;
    };
    let perimetre: HashSet<String> = ["31555", "31069"].map(String::from).into();
    let enqueteurs: HashSet<i64> = [1, 2].into();
    let _ = maillage_enquete::lire_adresses(texte, &perimetre, &enqueteurs);
});
