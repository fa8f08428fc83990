//! Fuzzes the column-mapping import (`maillage import --mapping FICHIER.toml`): the input is
//! a mapping file (TOML) and a CSV file, separated by a line `#==#`; the mapping is read,
//! then the CSV through it (the proposer has its own target, `correspondance_proposer`).
#![no_main]

#[path = "commun.rs"]
mod commun;

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::{self, Correspondance, OptionsImport};

const SEPARATION: &[u8] = b"\n#==#\n";

fuzz_target!(|data: &[u8]| {
    let (toml, csv) = match data.windows(SEPARATION.len()).position(|w| w == SEPARATION) {
        Some(i) => (&data[..i], &data[i + SEPARATION.len()..]),
        None => (data, &b""[..]),
    };
    let Ok(toml) = std::str::from_utf8(toml) else {
        return;
    };
    let Ok(correspondance) = Correspondance::depuis_toml(toml) else {
        return;
    };
    let options = OptionsImport::default();
    let geo = maillage_territoire::Referentiel::embedded();
    if let Ok(lecture) =
        import::lire_avec_correspondance("fuzz", &correspondance, csv, &options, geo)
    {
        commun::verifier(&lecture);
    }
});
