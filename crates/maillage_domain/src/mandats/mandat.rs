//! Rules of a mandate: its duration, and whether an aidant may use it for a démarche.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::Demarche;

/// The four durations offered (Aidants Connect's `SHORT`, `MONTH`, `SEMESTER`, `LONG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DureeMandat {
    #[serde(rename = "1j")]
    UnJour,
    #[serde(rename = "1m")]
    UnMois,
    #[serde(rename = "6m")]
    SixMois,
    #[serde(rename = "12m")]
    DouzeMois,
}

impl DureeMandat {
    pub const TOUTES: [DureeMandat; 4] = [
        DureeMandat::UnJour,
        DureeMandat::UnMois,
        DureeMandat::SixMois,
        DureeMandat::DouzeMois,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DureeMandat::UnJour => "1j",
            DureeMandat::UnMois => "1m",
            DureeMandat::SixMois => "6m",
            DureeMandat::DouzeMois => "12m",
        }
    }

    pub fn jours(self) -> i64 {
        match self {
            DureeMandat::UnJour => 1,
            DureeMandat::UnMois => 31,
            DureeMandat::SixMois => 182,
            DureeMandat::DouzeMois => 365,
        }
    }

    pub fn libelle(self) -> &'static str {
        match self {
            DureeMandat::UnJour => "1 jour (expire demain)",
            DureeMandat::UnMois => "1 mois (31 jours)",
            DureeMandat::SixMois => "6 mois (182 jours)",
            DureeMandat::DouzeMois => "12 mois (365 jours)",
        }
    }

    /// When a mandate signed at `debut` expires.
    pub fn expiration(self, debut: DateTime<Utc>) -> DateTime<Utc> {
        debut + Duration::days(self.jours())
    }
}

impl FromStr for DureeMandat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DureeMandat::TOUTES
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| format!("durée de mandat inconnue : « {s} »"))
    }
}

impl fmt::Display for DureeMandat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One démarche of a mandate and whether it was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtatAutorisation {
    pub demarche: Demarche,
    pub revoquee_at: Option<DateTime<Utc>>,
}

/// Why a use of a mandate is refused. Each has a French message for the aidant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "motif", rename_all = "snake_case")]
pub enum MotifRefus {
    /// The démarche is not covered by the mandate.
    HorsPerimetre { demarche: Demarche },
    /// The démarche was covered but has been revoked.
    DemarcheRevoquee { demarche: Demarche },
    /// The whole mandate was revoked.
    MandatRevoque,
    /// The mandate expired.
    Expire,
    /// The aidant is not in the structure that holds the mandate.
    AutreStructure,
    /// The account is not a habilitated aidant.
    NonHabilite,
}

impl MotifRefus {
    /// Stable code written to the journal.
    pub fn code(&self) -> &'static str {
        match self {
            MotifRefus::HorsPerimetre { .. } => "hors_perimetre",
            MotifRefus::DemarcheRevoquee { .. } => "demarche_revoquee",
            MotifRefus::MandatRevoque => "mandat_revoque",
            MotifRefus::Expire => "expire",
            MotifRefus::AutreStructure => "autre_structure",
            MotifRefus::NonHabilite => "non_habilite",
        }
    }

    pub fn message(&self) -> String {
        match self {
            MotifRefus::HorsPerimetre { demarche } => format!(
                "Refusé : la démarche « {} » n'est pas couverte par ce mandat.",
                demarche.titre()
            ),
            MotifRefus::DemarcheRevoquee { demarche } => format!(
                "Refusé : la démarche « {} » a été révoquée pour ce mandat.",
                demarche.titre()
            ),
            MotifRefus::MandatRevoque => "Refusé : ce mandat a été révoqué.".into(),
            MotifRefus::Expire => "Refusé : ce mandat a expiré.".into(),
            MotifRefus::AutreStructure => {
                "Refusé : ce mandat a été signé avec une autre structure que la vôtre.".into()
            }
            MotifRefus::NonHabilite => {
                "Refusé : votre compte n'est pas habilité à agir au titre d'un mandat.".into()
            }
        }
    }
}

impl fmt::Display for MotifRefus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// What the rules need to know about a mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PorteeMandat<'a> {
    pub structure_id: i64,
    pub expire_at: DateTime<Utc>,
    pub revoque_at: Option<DateTime<Utc>>,
    pub autorisations: &'a [EtatAutorisation],
}

impl PorteeMandat<'_> {
    /// Decides whether an aidant of `structure_aidant` (habilitated or not) may act for
    /// `demarche` at `maintenant`. The reasons are checked from the most general to the
    /// most specific, so the aidant reads the one that matters.
    pub fn controler(
        &self,
        habilite: bool,
        structure_aidant: Option<i64>,
        demarche: Demarche,
        maintenant: DateTime<Utc>,
    ) -> Result<(), MotifRefus> {
        if !habilite {
            return Err(MotifRefus::NonHabilite);
        }
        if structure_aidant != Some(self.structure_id) {
            return Err(MotifRefus::AutreStructure);
        }
        if self.revoque_at.is_some_and(|r| r <= maintenant) {
            return Err(MotifRefus::MandatRevoque);
        }
        if maintenant >= self.expire_at {
            return Err(MotifRefus::Expire);
        }
        match self.autorisations.iter().find(|a| a.demarche == demarche) {
            None => Err(MotifRefus::HorsPerimetre { demarche }),
            Some(a) if a.revoquee_at.is_some_and(|r| r <= maintenant) => {
                Err(MotifRefus::DemarcheRevoquee { demarche })
            }
            Some(_) => Ok(()),
        }
    }

    /// `true` while at least one démarche can still be used.
    pub fn actif(&self, maintenant: DateTime<Utc>) -> bool {
        self.revoque_at.is_none_or(|r| r > maintenant)
            && maintenant < self.expire_at
            && self
                .autorisations
                .iter()
                .any(|a| a.revoquee_at.is_none_or(|r| r > maintenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(j: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, j, 10, 0, 0).unwrap()
    }

    #[test]
    fn durations_and_expiry() {
        assert_eq!(DureeMandat::SixMois.jours(), 182);
        assert_eq!(DureeMandat::UnJour.expiration(t(1)), t(2));
        assert_eq!("12m".parse::<DureeMandat>(), Ok(DureeMandat::DouzeMois));
        assert!("2m".parse::<DureeMandat>().is_err());
    }

    #[test]
    fn every_refusal_reason() {
        let autorisations = vec![
            EtatAutorisation {
                demarche: Demarche::Social,
                revoquee_at: None,
            },
            EtatAutorisation {
                demarche: Demarche::Logement,
                revoquee_at: Some(t(3)),
            },
        ];
        let m = PorteeMandat {
            structure_id: 7,
            expire_at: t(20),
            revoque_at: None,
            autorisations: &autorisations,
        };
        assert_eq!(m.controler(true, Some(7), Demarche::Social, t(4)), Ok(()));
        assert_eq!(m.controler(true, Some(7), Demarche::Logement, t(2)), Ok(()));
        assert_eq!(
            m.controler(true, Some(7), Demarche::Logement, t(4)),
            Err(MotifRefus::DemarcheRevoquee {
                demarche: Demarche::Logement
            })
        );
        assert_eq!(
            m.controler(true, Some(7), Demarche::Argent, t(4)),
            Err(MotifRefus::HorsPerimetre {
                demarche: Demarche::Argent
            })
        );
        assert_eq!(
            m.controler(true, Some(8), Demarche::Social, t(4)),
            Err(MotifRefus::AutreStructure)
        );
        assert_eq!(
            m.controler(false, Some(7), Demarche::Social, t(4)),
            Err(MotifRefus::NonHabilite)
        );
        assert_eq!(
            m.controler(true, Some(7), Demarche::Social, t(20)),
            Err(MotifRefus::Expire)
        );
        let revoque = PorteeMandat {
            revoque_at: Some(t(5)),
            ..m.clone()
        };
        assert_eq!(
            revoque.controler(true, Some(7), Demarche::Social, t(6)),
            Err(MotifRefus::MandatRevoque)
        );
        assert!(m.actif(t(4)));
        assert!(!revoque.actif(t(6)));
        assert!(MotifRefus::Expire.message().starts_with("Refusé"));
    }
}
