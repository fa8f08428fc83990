//! A beneficiary's file: the least a mediator needs to follow someone, nothing more.

use serde::{Deserialize, Serialize};

use super::referentiels::{Genre, StatutSocial, TrancheAge};
use crate::texte::normaliser;
use crate::CodeInsee;

/// The personal fields of a beneficiary (purged after the retention period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Beneficiaire {
    /// First name, or initials.
    pub prenom: String,
    pub annee_naissance: Option<i32>,
    pub commune: Option<CodeInsee>,
    pub statut: StatutSocial,
    pub genre: Genre,
    /// Free notes of the mediator (never exported to a coordinator).
    #[serde(default)]
    pub notes: String,
}

/// Why a beneficiary's file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{champ} : {message}")]
pub struct BeneficiaireInvalide {
    pub champ: &'static str,
    pub message: String,
}

impl Beneficiaire {
    /// Checks the file, `annee` being the current year.
    pub fn valider(mut self, annee: i32) -> Result<Beneficiaire, BeneficiaireInvalide> {
        self.prenom = self.prenom.split_whitespace().collect::<Vec<_>>().join(" ");
        if self.prenom.is_empty() {
            return Err(BeneficiaireInvalide {
                champ: "prénom",
                message: "indiquez un prénom ou des initiales".into(),
            });
        }
        if self.prenom.chars().count() > 60 {
            return Err(BeneficiaireInvalide {
                champ: "prénom",
                message: "60 caractères au plus".into(),
            });
        }
        if let Some(a) = self.annee_naissance {
            if a > annee || a < annee - 120 {
                return Err(BeneficiaireInvalide {
                    champ: "année de naissance",
                    message: format!(
                        "l’année doit être comprise entre {} et {annee}",
                        annee - 120
                    ),
                });
            }
        }
        self.notes = self.notes.trim().to_string();
        if self.notes.len() > super::cra::TEXTE_MAX {
            return Err(BeneficiaireInvalide {
                champ: "notes",
                message: "les notes dépassent 5 000 caractères".into(),
            });
        }
        Ok(self)
    }

    /// The age band in year `annee`.
    pub fn tranche_age(&self, annee: i32) -> TrancheAge {
        self.annee_naissance
            .map(|a| TrancheAge::depuis_annee_naissance(a, annee))
            .unwrap_or(TrancheAge::NonCommunique)
    }

    /// Key under which two files are likely the same person: normalised first name,
    /// birth year and commune.
    pub fn cle_doublon(&self) -> String {
        format!(
            "{}|{}|{}",
            normaliser(&self.prenom),
            self.annee_naissance
                .map(|a| a.to_string())
                .unwrap_or_default(),
            self.commune
                .as_ref()
                .map(|c| c.as_str())
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(prenom: &str) -> Beneficiaire {
        Beneficiaire {
            prenom: prenom.into(),
            annee_naissance: Some(1952),
            commune: CodeInsee::parse("31555").ok(),
            statut: StatutSocial::Retraite,
            genre: Genre::Feminin,
            notes: String::new(),
        }
    }

    #[test]
    fn duplicate_key_ignores_case_accents_and_spaces() {
        let a = b("  Hélène ").valider(2026).unwrap();
        let c = b("helene").valider(2026).unwrap();
        assert_eq!(a.prenom, "Hélène");
        assert_eq!(a.cle_doublon(), c.cle_doublon());
        assert_ne!(a.cle_doublon(), b("Henri").cle_doublon());
        assert_eq!(a.tranche_age(2026), TrancheAge::SoixanteDixPlus);
    }

    #[test]
    fn refuses_empty_name_and_impossible_years() {
        assert_eq!(b(" ").valider(2026).unwrap_err().champ, "prénom");
        let mut x = b("A. B.");
        x.annee_naissance = Some(2030);
        assert_eq!(x.valider(2026).unwrap_err().champ, "année de naissance");
    }
}
