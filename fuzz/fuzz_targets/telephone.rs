//! Fuzzes phone normalisation (`Telephone::parse`): the first line of the input is the
//! place's postal code (empty: none), the rest the number as written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::Telephone;

fuzz_target!(|data: &[u8]| {
    let Ok(texte) = std::str::from_utf8(data) else {
        return;
    };
    let (cp, numero) = texte.split_once('\n').unwrap_or(("", texte));
    let cp = Some(cp).filter(|c| !c.is_empty());
    if let Ok(t) = Telephone::parse(numero, cp) {
        // A normalised number reads back as itself.
        assert_eq!(Telephone::parse(t.as_str(), cp).ok().as_ref(), Some(&t));
    }
});
