//! Identifiers: INSEE commune codes, postal codes, SIRET, RNA and the schema's pivot.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused (messages in French, shown to people).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifiantError {
    #[error("code INSEE invalide : « {0} » (attendu 5 caractères, par ex. 31555 ou 2A004)")]
    CodeInsee(String),
    #[error("code postal invalide : « {0} » (attendu 5 chiffres)")]
    CodePostal(String),
    #[error("SIRET invalide : « {0} » (attendu 14 chiffres)")]
    SiretFormat(String),
    #[error("SIRET invalide : « {0} » (la clé de contrôle ne correspond pas)")]
    SiretCle(String),
    #[error("RNA invalide : « {0} » (attendu W suivi de 9 chiffres ou lettres)")]
    Rna(String),
    #[error("pivot invalide : « {0} » (attendu un SIRET de 14 chiffres ou un RNA W123456789)")]
    Pivot(String),
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdentifiantError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A commune's INSEE code (`^([013-9]\d|2[AB1-9])\d{3}$`), e.g. `31555`, `2A004`, `98818`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CodeInsee(String);
string_newtype!(CodeInsee);

impl CodeInsee {
    pub fn parse(s: &str) -> Result<Self, IdentifiantError> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        let ok = b.len() == 5
            && match (b[0], b[1]) {
                (b'2', b'A' | b'B') => true,
                (b'2', c) => c.is_ascii_digit() && c != b'0',
                (a, c) => a.is_ascii_digit() && a != b'2' && c.is_ascii_digit(),
            }
            && b[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(t))
        } else {
            Err(IdentifiantError::CodeInsee(s.to_string()))
        }
    }

    /// The département code: `31`, `2A`, or three digits overseas (`971`, `988`).
    pub fn departement(&self) -> &str {
        if self.0.starts_with("97") || self.0.starts_with("98") {
            &self.0[..3]
        } else {
            &self.0[..2]
        }
    }
}

/// A French postal code: five digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CodePostal(String);
string_newtype!(CodePostal);

impl CodePostal {
    /// Parses a postal code; a 4-digit code whose leading zero was lost (`1400`) is repaired.
    pub fn parse(s: &str) -> Result<Self, IdentifiantError> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t))
        } else if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(format!("0{t}")))
        } else {
            Err(IdentifiantError::CodePostal(s.to_string()))
        }
    }
}

/// A SIRET: 14 digits with a valid Luhn key (La Poste's establishments use their own rule).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Siret(String);
string_newtype!(Siret);

/// SIREN of La Poste, whose SIRETs are checked by the sum of their digits (multiple of 5).
const SIREN_LA_POSTE: &str = "356000000";

impl Siret {
    pub fn parse(s: &str) -> Result<Self, IdentifiantError> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdentifiantError::SiretFormat(s.to_string()));
        }
        let valid = if t.starts_with(SIREN_LA_POSTE) && t != "35600000000048" {
            t.bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            luhn_valid(&t)
        };
        if valid {
            Ok(Self(t))
        } else {
            Err(IdentifiantError::SiretCle(s.to_string()))
        }
    }

    /// The SIREN (first nine digits): the legal unit.
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

/// Luhn checksum over ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// An association's RNA number: `W` followed by nine digits or letters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Rna(String);
string_newtype!(Rna);

impl Rna {
    pub fn parse(s: &str) -> Result<Self, IdentifiantError> {
        let t = s.trim().to_ascii_uppercase();
        if t.len() == 10 && t.starts_with('W') && t[1..].bytes().all(|b| b.is_ascii_alphanumeric())
        {
            Ok(Self(t))
        } else {
            Err(IdentifiantError::Rna(s.to_string()))
        }
    }
}

/// The schema's `pivot`: the structure's SIRET, else its RNA, else the placeholder.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Pivot {
    Siret(Siret),
    Rna(Rna),
    /// No known identifier: written `00000000000000`, as the national tools do.
    #[default]
    Absent,
}

/// The placeholder written when a place has no SIRET nor RNA.
pub const PIVOT_PLACEHOLDER: &str = "00000000000000";

impl Pivot {
    /// Parses a pivot. Empty and placeholder values give `Absent`; anything else must be a
    /// valid SIRET or RNA.
    pub fn parse(s: &str) -> Result<Self, IdentifiantError> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if t.is_empty() || t.bytes().all(|b| b == b'0') {
            return Ok(Self::Absent);
        }
        if t.starts_with(['W', 'w']) {
            return Rna::parse(&t).map(Self::Rna);
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return Siret::parse(&t).map(Self::Siret);
        }
        Err(IdentifiantError::Pivot(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Siret(s) => s.as_str(),
            Self::Rna(r) => r.as_str(),
            Self::Absent => PIVOT_PLACEHOLDER,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

impl fmt::Display for Pivot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Pivot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Pivot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_insee_accepts_corsica_and_overseas_and_rejects_others() {
        for ok in ["31555", "2A004", "2B033", "98818", "01001", "97411"] {
            assert!(CodeInsee::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["2C004", "20004", "3155", "315555", "ABCDE", ""] {
            assert!(CodeInsee::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            CodeInsee::parse("2a004").map(|c| c.to_string()),
            Ok("2A004".into())
        );
        assert_eq!(
            CodeInsee::parse("97411").map(|c| c.departement().to_string()),
            Ok("974".into())
        );
    }

    #[test]
    fn code_postal_repairs_a_lost_leading_zero() {
        assert_eq!(
            CodePostal::parse("1400").map(|c| c.to_string()),
            Ok("01400".into())
        );
        assert_eq!(
            CodePostal::parse(" 31 000").map(|c| c.to_string()),
            Ok("31000".into())
        );
        assert!(CodePostal::parse("310000").is_err());
        assert!(CodePostal::parse("3100A").is_err());
    }

    #[test]
    fn siret_checks_the_luhn_key() {
        // SIRET of the example row of the national schema.
        assert!(Siret::parse("43493312300029").is_ok());
        assert!(Siret::parse("434 933 123 00029").is_ok());
        assert_eq!(
            Siret::parse("43493312300028"),
            Err(IdentifiantError::SiretCle("43493312300028".into()))
        );
        assert!(matches!(
            Siret::parse("4349331230002"),
            Err(IdentifiantError::SiretFormat(_))
        ));
        // La Poste: sum of digits multiple of 5.
        assert!(Siret::parse("35600000000048").is_ok());
        assert!(Siret::parse("35600000049837").is_ok());
    }

    #[test]
    fn pivot_kinds() {
        assert_eq!(Pivot::parse("00000000000000"), Ok(Pivot::Absent));
        assert_eq!(Pivot::parse(""), Ok(Pivot::Absent));
        assert!(matches!(Pivot::parse("W751234567"), Ok(Pivot::Rna(_))));
        assert!(matches!(
            Pivot::parse("43493312300029"),
            Ok(Pivot::Siret(_))
        ));
        assert!(Pivot::parse("43493312300028").is_err());
        assert!(Pivot::parse("12-34").is_err());
        assert_eq!(Pivot::Absent.as_str(), PIVOT_PLACEHOLDER);
    }
}
