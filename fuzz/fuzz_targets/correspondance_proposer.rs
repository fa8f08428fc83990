//! Fuzzes the mapping proposer (`maillage import --proposer-mapping FICHIER.csv`): it reads
//! any CSV file's header and values and writes a draft mapping, which must itself be valid
//! TOML (a draft may still lack a required field: the person completes it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_annuaire::import::{self, Correspondance};

fuzz_target!(|data: &[u8]| {
    if let Ok(proposition) = import::proposer_correspondance("fichier.csv", data) {
        if let Err(e) = Correspondance::depuis_toml(&proposition) {
            let e = e.to_string();
            assert!(
                !e.contains("TOML illisible"),
                "a proposal that is not TOML ({e}):\n{proposition}"
            );
        }
    }
});
