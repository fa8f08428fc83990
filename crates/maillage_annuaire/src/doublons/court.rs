//! [`TexteCourt`]: the short texts of a fingerprint (name core, street) held in the
//! fingerprint itself when they fit, without a heap block of their own.

use std::fmt;
use std::ops::Deref;

/// Bytes held inline.
const EN_LIGNE: usize = 22;

/// A text of up to 22 bytes held inline, a longer one on the heap. Two million
/// fingerprints are alive at once in the re-merge of a 1 GB file: a heap block per name
/// core and per street (16 bytes of pointer plus the block) costs more than these 24 bytes,
/// and the small blocks scattered among the records read meanwhile keep memory pages
/// alive. Reads as a `&str`; two equal texts are equal values (a text is inline exactly
/// when it fits).
#[derive(Clone, PartialEq, Eq)]
pub enum TexteCourt {
    EnLigne {
        longueur: u8,
        octets: [u8; EN_LIGNE],
    },
    Tas(Box<str>),
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<TexteCourt>() == 24);

impl TexteCourt {
    pub fn nouveau(s: &str) -> Self {
        if s.len() <= EN_LIGNE {
            let mut octets = [0u8; EN_LIGNE];
            octets[..s.len()].copy_from_slice(s.as_bytes());
            TexteCourt::EnLigne {
                longueur: s.len() as u8,
                octets,
            }
        } else {
            TexteCourt::Tas(s.into())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Always valid: the bytes were copied whole from a `&str`.
            TexteCourt::EnLigne { longueur, octets } => {
                std::str::from_utf8(&octets[..usize::from(*longueur)]).unwrap_or_default()
            }
            TexteCourt::Tas(s) => s,
        }
    }
}

impl Default for TexteCourt {
    fn default() -> Self {
        TexteCourt::nouveau("")
    }
}

impl Deref for TexteCourt {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for TexteCourt {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for TexteCourt {
    fn from(s: &str) -> Self {
        TexteCourt::nouveau(s)
    }
}

impl fmt::Debug for TexteCourt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for TexteCourt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texte_court_rend_le_texte_donne() {
        let long = "bibliotheque municipale jean de la fontaine";
        for s in [
            "",
            "a",
            "jean jaures",
            "saint trivier",
            // 22 bytes: the longest held inline; 23: the shortest on the heap.
            "abcdefghijklmnopqrstuv",
            "abcdefghijklmnopqrstuvw",
            // Multi-byte characters (the normalised texts are ASCII, but any text reads
            // back as given).
            "élégie à noël",
            "ééééééééééé",
            "éééééééééééé",
            long,
        ] {
            let t = TexteCourt::nouveau(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(&*t, s);
            assert_eq!(t.len(), s.len());
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
            assert_eq!(t, TexteCourt::from(s));
            assert_eq!(
                matches!(t, TexteCourt::EnLigne { .. }),
                s.len() <= EN_LIGNE,
                "{s}"
            );
        }
        assert_ne!(TexteCourt::nouveau("jean"), TexteCourt::nouveau("jeanne"));
        assert_ne!(TexteCourt::nouveau(long), TexteCourt::nouveau("jean"));
        assert!(TexteCourt::default().is_empty());
    }
}
