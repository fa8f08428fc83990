//! Opening hours in the OpenStreetMap `opening_hours` syntax, as the schema requires.

use serde::{Deserialize, Serialize};

/// Opening hours as given by the source. The raw string is always kept; `valide` says whether
/// it parses as OSM `opening_hours` (when it does not, it is shown as written and not used to
/// compute "open now").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Horaires {
    pub brut: String,
    pub valide: bool,
}

impl Horaires {
    /// Wraps a raw opening-hours string, checking its OSM syntax. Returns `None` for an empty
    /// string.
    pub fn new(raw: &str) -> Option<Self> {
        let brut = raw.trim();
        if brut.is_empty() {
            return None;
        }
        Some(Self {
            valide: est_osm_valide(brut),
            brut: brut.to_string(),
        })
    }
}

/// Whether a string parses as OSM `opening_hours`.
pub fn est_osm_valide(s: &str) -> bool {
    opening_hours_syntax::parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_raw_string_and_says_whether_it_parses() {
        let ok = Horaires::new("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00");
        assert_eq!(ok.as_ref().map(|h| h.valide), Some(true));
        let bad = Horaires::new("le lundi matin sur rendez-vous");
        assert_eq!(bad.as_ref().map(|h| h.valide), Some(false));
        assert_eq!(
            bad.map(|h| h.brut).as_deref(),
            Some("le lundi matin sur rendez-vous")
        );
        assert_eq!(Horaires::new("   "), None);
    }
}
