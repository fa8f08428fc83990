//! Fuzzes a pass redemption as a till sends it, forced (offline) redemptions included
//! (`POST /api/v1/pass/{code}/utilisation`, `{"nonce", "activite", "hors_ligne_le"}`): the
//! body (`lire_demande_utilisation`), the nonce and the offline date checks, and the pass
//! code as typed (`code::normaliser`, the path's `{code}`: here the nonce's text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_pass::{code, lire_demande_utilisation, verifier_hors_ligne, verifier_nonce};

fuzz_target!(|data: &[u8]| {
    let Ok(demande) = lire_demande_utilisation(data) else {
        return;
    };
    let _ = code::normaliser(&demande.nonce);
    let _ = verifier_nonce(&demande.nonce);
    if let Some(h) = demande.hors_ligne_le {
        let maintenant = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
        let _ = verifier_hors_ligne(h, maintenant);
        // What the redemption then does with the date (its day in Paris, the motive).
        let _ = h.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    }
});
