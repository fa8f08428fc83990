//! Phone numbers normalised to the schema's form: `+33` (or an overseas prefix) and digits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in the schema's form, e.g. `+33180059880`, `+262262123456`, `+687445728`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Telephone(String);

/// Country calling codes allowed by the schema's pattern.
const PREFIXES: [&str; 10] = [
    "33", "590", "594", "262", "596", "269", "687", "689", "508", "681",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("numéro de téléphone non reconnu : « {0} »")]
pub struct TelephoneError(pub String);

impl Telephone {
    /// Normalises a phone number written in any usual way (`04 50 56 87 49`, `04.50.56.87.49`,
    /// `+33 (0)4 50…`, `0033 4…`, `450568749`), using the place's postal code to tell the
    /// overseas collectivities, whose local numbers have 6 to 8 digits.
    pub fn parse(raw: &str, code_postal: Option<&str>) -> Result<Self, TelephoneError> {
        let err = || TelephoneError(raw.to_string());
        // Keep only the first number when several are given ("04 … / 06 …").
        let first = raw
            .split(['/', ';', ',', '|'])
            .map(str::trim)
            .find(|s| s.chars().filter(char::is_ascii_digit).count() >= 6)
            .ok_or_else(err)?;
        let mut s = first.replace("(0)", "");
        s.retain(|c| c.is_ascii_digit() || c == '+');
        if let Some(rest) = s.strip_prefix("00") {
            s = format!("+{rest}");
        }
        if s.len() > 1 && s[1..].contains('+') {
            return Err(err());
        }
        if let Some(intl) = s.strip_prefix('+') {
            let prefix = PREFIXES
                .iter()
                .find(|p| intl.starts_with(*p))
                .ok_or_else(err)?;
            let mut national = &intl[prefix.len()..];
            if national.starts_with('0') && national.len() == 10 {
                national = &national[1..];
            }
            return Self::build(prefix, national).ok_or_else(err);
        }
        let cp = code_postal.unwrap_or("");
        let overseas_short = [
            ("988", "687"),
            ("987", "689"),
            ("975", "508"),
            ("986", "681"),
        ];
        if let Some((_, prefix)) = overseas_short.iter().find(|(d, _)| cp.starts_with(d)) {
            if (6..=8).contains(&s.len()) && !s.starts_with('0') {
                return Self::build(prefix, &s).ok_or_else(err);
            }
        }
        let national = match s.len() {
            10 if s.starts_with('0') => &s[1..],
            9 if !s.starts_with('0') => &s[..],
            _ => return Err(err()),
        };
        let prefix = overseas_prefix(national).unwrap_or("33");
        Self::build(prefix, national).ok_or_else(err)
    }

    fn build(prefix: &str, national: &str) -> Option<Self> {
        let ok = (6..=9).contains(&national.len()) && national.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(format!("+{prefix}{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `tel:` link target.
    pub fn href(&self) -> String {
        format!("tel:{}", self.0)
    }

    /// Readable form, as the number is written in its territory: `04 50 56 87 49` in France
    /// and the overseas départements, `44 57 28` in New Caledonia, `40 12 34 56` in French
    /// Polynesia (also Saint-Pierre-et-Miquelon, Wallis-et-Futuna: no leading 0 there); the
    /// international form otherwise.
    pub fn lisible(&self) -> String {
        let d = &self.0[1..];
        let par_deux = |n: &str| {
            n.as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        for p in PREFIXES {
            if let Some(n) = d.strip_prefix(p) {
                if matches!(p, "687" | "689" | "508" | "681") && (6..=8).contains(&n.len()) {
                    return par_deux(n);
                }
                if n.len() == 9 && (p == "33" || overseas_prefix(n) == Some(p)) {
                    let local = format!("0{n}");
                    return local
                        .as_bytes()
                        .chunks(2)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ");
                }
            }
        }
        self.0.clone()
    }
}

/// The overseas département whose numbering plan a 9-digit national number belongs to.
fn overseas_prefix(national: &str) -> Option<&'static str> {
    const PLANS: [(&str, &str); 13] = [
        ("262", "262"),
        ("263", "262"),
        ("692", "262"),
        ("693", "262"),
        ("269", "262"),
        ("639", "262"),
        ("590", "590"),
        ("690", "590"),
        ("691", "590"),
        ("594", "594"),
        ("694", "594"),
        ("596", "596"),
        ("696", "596"),
    ];
    PLANS
        .iter()
        .find(|(start, _)| national.starts_with(start))
        .map(|(_, p)| *p)
}

impl fmt::Display for Telephone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str, cp: Option<&str>) -> Option<String> {
        Telephone::parse(s, cp).ok().map(|t| t.to_string())
    }

    #[test]
    fn metropolitan_numbers_in_every_usual_form() {
        for s in [
            "04 50 56 87 49",
            "04.50.56.87.49",
            "0450568749",
            "+33 4 50 56 87 49",
            "+33 (0)4 50 56 87 49",
            "0033450568749",
            "450568749",
            "04 50 56 87 49 / 06 11 22 33 44",
        ] {
            assert_eq!(
                norm(s, Some("01200")).as_deref(),
                Some("+33450568749"),
                "{s}"
            );
        }
    }

    #[test]
    fn overseas_numbers_get_their_prefix() {
        assert_eq!(
            norm("0262 12 34 56", Some("97400")).as_deref(),
            Some("+262262123456")
        );
        assert_eq!(
            norm("0690 12 34 56", Some("97100")).as_deref(),
            Some("+590690123456")
        );
        assert_eq!(
            norm("44 57 28", Some("98800")).as_deref(),
            Some("+687445728")
        );
        assert_eq!(
            norm("+687445728", Some("98800")).as_deref(),
            Some("+687445728")
        );
        assert_eq!(
            norm("40 12 34 56", Some("98714")).as_deref(),
            Some("+68940123456")
        );
    }

    #[test]
    fn garbage_is_refused() {
        for s in [
            "",
            "néant",
            "12",
            "01 02",
            "+1 555 123 4567",
            "06 12 34 56 78 90 12",
        ] {
            assert!(Telephone::parse(s, None).is_err(), "{s}");
        }
    }

    #[test]
    fn readable_form() {
        let t = Telephone::parse("0450568749", None).ok();
        assert_eq!(t.map(|t| t.lisible()).as_deref(), Some("04 50 56 87 49"));
        let l = |s: &str, cp: &str| Telephone::parse(s, Some(cp)).ok().map(|t| t.lisible());
        assert_eq!(l("+687445728", "98800").as_deref(), Some("44 57 28"));
        assert_eq!(l("40 12 34 56", "98714").as_deref(), Some("40 12 34 56"));
        assert_eq!(
            l("0262 12 34 56", "97400").as_deref(),
            Some("02 62 12 34 56")
        );
    }
}
