//! Territories a user can select: France, a région, a département, an EPCI
//! or a commune.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Commune, Referentiel};

/// The expected forms, for error messages.
const EXPECTED: &str = "attendu fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE";

/// A territory, written `fr`, `reg:76`, `dep:31`, `dep:2A`,
/// `epci:243100633` or `commune:31555`.
///
/// Obtained from [`Referentiel::territoire`] or [`str::parse`] (against the
/// embedded referential), which check that the code exists; it carries its
/// name. Serialised as its written form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Territoire {
    /// All of France, overseas included.
    France,
    Region {
        code: String,
        nom: String,
    },
    Departement {
        code: String,
        nom: String,
    },
    Epci {
        code: String,
        nom: String,
    },
    /// A commune (`commune:75115`, an arrondissement, gives its commune).
    Commune {
        code: String,
        nom: String,
    },
}

/// Why a text is not a known territory.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TerritoireError {
    /// The text has none of the expected forms.
    #[error("territoire invalide : « {0} » ({EXPECTED})")]
    Invalide(String),
    /// The form is right but the code is not in the referential.
    #[error("territoire inconnu : « {0} » ({EXPECTED})")]
    Inconnu(String),
}

impl Territoire {
    /// The code of the région, département, EPCI or commune; `None` for
    /// France.
    pub fn code(&self) -> Option<&str> {
        match self {
            Territoire::France => None,
            Territoire::Region { code, .. }
            | Territoire::Departement { code, .. }
            | Territoire::Epci { code, .. }
            | Territoire::Commune { code, .. } => Some(code),
        }
    }

    /// Name of the territory (`France`, `Occitanie`, `Haute-Garonne`,
    /// `Toulouse Métropole`, `Toulouse`).
    pub fn nom(&self) -> &str {
        match self {
            Territoire::France => "France",
            Territoire::Region { nom, .. }
            | Territoire::Departement { nom, .. }
            | Territoire::Epci { nom, .. }
            | Territoire::Commune { nom, .. } => nom,
        }
    }

    /// Whether the commune or arrondissement municipal of INSEE code
    /// `code_insee` lies in this territory, according to the embedded
    /// referential (see [`Referentiel::contient`] for another one). An
    /// unknown code lies nowhere.
    pub fn contient(&self, code_insee: &str) -> bool {
        Referentiel::embedded().contient(self, code_insee)
    }
}

impl fmt::Display for Territoire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Territoire::France => f.write_str("fr"),
            Territoire::Region { code, .. } => write!(f, "reg:{code}"),
            Territoire::Departement { code, .. } => write!(f, "dep:{code}"),
            Territoire::Epci { code, .. } => write!(f, "epci:{code}"),
            Territoire::Commune { code, .. } => write!(f, "commune:{code}"),
        }
    }
}

/// Parses against the embedded referential: see [`Referentiel::territoire`].
impl FromStr for Territoire {
    type Err = TerritoireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Referentiel::embedded().territoire(s)
    }
}

impl Serialize for Territoire {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Territoire {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Referentiel {
    /// Reads a territory (`fr`, `reg:76`, `dep:31`, `dep:2a`,
    /// `epci:243100633`, `commune:31555`; kinds in any case) and checks
    /// that its code exists here.
    pub fn territoire(&self, text: &str) -> Result<Territoire, TerritoireError> {
        let text = text.trim();
        let invalid = || TerritoireError::Invalide(text.to_owned());
        let unknown = || TerritoireError::Inconnu(text.to_owned());
        if text.eq_ignore_ascii_case("fr") || text.eq_ignore_ascii_case("france") {
            return Ok(Territoire::France);
        }
        let (kind, code) = text.split_once(':').ok_or_else(invalid)?;
        let code = code.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(invalid());
        }
        match kind.trim().to_ascii_lowercase().as_str() {
            "reg" => self
                .region(&code)
                .map(|r| Territoire::Region {
                    code: r.code.clone(),
                    nom: r.nom.clone(),
                })
                .ok_or_else(unknown),
            "dep" => self
                .departement(&code)
                .map(|d| Territoire::Departement {
                    code: d.code.clone(),
                    nom: d.nom.clone(),
                })
                .ok_or_else(unknown),
            "epci" => self
                .epci(&code)
                .map(|e| Territoire::Epci {
                    code: e.code.clone(),
                    nom: e.nom.clone(),
                })
                .ok_or_else(unknown),
            "commune" => self
                .commune_or_parent(&code)
                .map(|c| Territoire::Commune {
                    code: c.code_insee.clone(),
                    nom: c.nom.clone(),
                })
                .ok_or_else(unknown),
            _ => Err(invalid()),
        }
    }

    /// Whether the commune or arrondissement municipal of INSEE code
    /// `code_insee` lies in `territoire`. An unknown code lies nowhere.
    pub fn contient(&self, territoire: &Territoire, code_insee: &str) -> bool {
        let Some(commune) = self.commune_or_parent(code_insee) else {
            return false;
        };
        match territoire {
            Territoire::France => true,
            Territoire::Region { code, .. } => &commune.code_region == code,
            Territoire::Departement { code, .. } => &commune.code_departement == code,
            Territoire::Epci { code, .. } => commune.code_epci.as_ref() == Some(code),
            Territoire::Commune { code, .. } => &commune.code_insee == code,
        }
    }

    /// The communes of `territoire`, by INSEE code.
    pub fn communes_of_territoire(&self, territoire: &Territoire) -> Vec<&Commune> {
        match territoire {
            Territoire::France => self.communes.iter().collect(),
            Territoire::Region { code, .. } => self.communes_of_region(code),
            Territoire::Departement { code, .. } => self.communes_of_departement(code),
            Territoire::Epci { code, .. } => self.communes_of_epci(code),
            Territoire::Commune { code, .. } => self.commune(code).into_iter().collect(),
        }
    }
}
