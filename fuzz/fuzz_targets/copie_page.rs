//! Fuzzes the parser of the journal's binary `COPY … TO STDOUT (FORMAT binary)` pages
//! (`maillage_store_postgres`): whatever the bytes, an error or entries, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = maillage_store_postgres::lire_page_copie(data);
});
