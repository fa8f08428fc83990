//! Typed identifiers of the stored objects people act on: an account ([`CompteId`]), an
//! employer structure ([`StructureId`]), a structure's place of activity
//! ([`LieuActiviteId`]) and a mandate ([`MandatId`]).
//!
//! Each wraps the `i64` of its row, so two ids of different kinds cannot be swapped: a
//! function taking a structure and an account refuses them in the wrong order.
//!
//! ```compile_fail,E0308
//! use maillage_domain::{CompteId, StructureId};
//!
//! fn rattacher(compte: CompteId, structure: StructureId) -> (i64, i64) {
//!     (compte.get(), structure.get())
//! }
//!
//! let compte = CompteId::new(3);
//! let structure = StructureId::new(7);
//! // Swapped: a `StructureId` is not a `CompteId`.
//! rattacher(structure, compte);
//! ```
//!
//! In the right order it compiles:
//!
//! ```
//! use maillage_domain::{CompteId, StructureId};
//!
//! fn rattacher(compte: CompteId, structure: StructureId) -> (i64, i64) {
//!     (compte.get(), structure.get())
//! }
//!
//! assert_eq!(rattacher(CompteId::new(3), StructureId::new(7)), (3, 7));
//! ```
//!
//! There is no `From<i64>`: a row's number becomes an id explicitly (`CompteId::new(row.id)`)
//! and goes back explicitly (`id.get()`). `Display` writes the bare number, so templates and
//! URLs (`/espace/mandats/12`) read as before; serde reads and writes the bare number too
//! (JSON, and the path, query and form extractors of the web layer).

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! identifiant {
    ($(#[$doc:meta])* $nom:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $nom(i64);

        impl $nom {
            /// The id of the row numbered `id`.
            pub const fn new(id: i64) -> Self {
                $nom(id)
            }

            /// The row's number.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $nom {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $nom {
            type Err = ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($nom)
            }
        }
    };
}

identifiant!(
    /// An account (`comptes.id`).
    CompteId
);
identifiant!(
    /// An employer structure (`structures.id`).
    StructureId
);
identifiant!(
    /// A place of activity of a structure (`lieux_activite.id`), not a published place of
    /// the directory.
    LieuActiviteId
);
identifiant!(
    /// A mandate (`mandats.id`).
    MandatId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parse_and_json_are_the_bare_number() {
        let id = CompteId::new(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(
            format!("/espace/mandats/{}", MandatId::new(7)),
            "/espace/mandats/7"
        );
        assert_eq!("42".parse::<CompteId>(), Ok(id));
        assert!("quarante-deux".parse::<CompteId>().is_err());
        assert!("".parse::<StructureId>().is_err());
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some("42"));
        assert_eq!(
            serde_json::from_str::<LieuActiviteId>("5").ok(),
            Some(LieuActiviteId::new(5))
        );
        assert!(serde_json::from_str::<LieuActiviteId>("\"5\"").is_err());
        assert_eq!(StructureId::new(-1).get(), -1);
    }

    #[test]
    fn ordered_by_number() {
        let mut v = vec![CompteId::new(3), CompteId::new(1), CompteId::new(2)];
        v.sort();
        assert_eq!(v, [1, 2, 3].map(CompteId::new));
    }
}
