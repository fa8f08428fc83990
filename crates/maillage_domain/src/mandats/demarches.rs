//! The ten démarches (scopes) a mandate can cover, from Aidants Connect's `DEMARCHES`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One scope of a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Demarche {
    Papiers,
    Famille,
    Social,
    Travail,
    Logement,
    Transports,
    Argent,
    Justice,
    Etranger,
    Loisirs,
}

/// A démarche code that is not one of the ten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("démarche inconnue : « {0} »")]
pub struct DemarcheInconnue(pub String);

impl Demarche {
    pub const TOUTES: [Demarche; 10] = [
        Demarche::Papiers,
        Demarche::Famille,
        Demarche::Social,
        Demarche::Travail,
        Demarche::Logement,
        Demarche::Transports,
        Demarche::Argent,
        Demarche::Justice,
        Demarche::Etranger,
        Demarche::Loisirs,
    ];

    /// The stable code (`papiers`, `famille`…), as in Aidants Connect.
    pub fn code(self) -> &'static str {
        match self {
            Demarche::Papiers => "papiers",
            Demarche::Famille => "famille",
            Demarche::Social => "social",
            Demarche::Travail => "travail",
            Demarche::Logement => "logement",
            Demarche::Transports => "transports",
            Demarche::Argent => "argent",
            Demarche::Justice => "justice",
            Demarche::Etranger => "etranger",
            Demarche::Loisirs => "loisirs",
        }
    }

    pub fn titre(self) -> &'static str {
        match self {
            Demarche::Papiers => "Papiers - Citoyenneté - Élections",
            Demarche::Famille => "Famille - Scolarité",
            Demarche::Social => "Social - Santé",
            Demarche::Travail => "Travail - Formation",
            Demarche::Logement => "Logement",
            Demarche::Transports => "Transports - Mobilité",
            Demarche::Argent => "Argent - Impôts - Consommation",
            Demarche::Justice => "Justice",
            Demarche::Etranger => "Étranger - Europe",
            Demarche::Loisirs => "Loisirs - Sport - Culture",
        }
    }

    pub fn titre_court(self) -> &'static str {
        match self {
            Demarche::Papiers => "Papiers",
            Demarche::Famille => "Famille",
            Demarche::Social => "Social",
            Demarche::Travail => "Travail",
            Demarche::Logement => "Logement",
            Demarche::Transports => "Transports",
            Demarche::Argent => "Argent",
            Demarche::Justice => "Justice",
            Demarche::Etranger => "Étranger",
            Demarche::Loisirs => "Loisirs",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Demarche::Papiers => {
                "État-civil, Passeport, Élections, Papiers à conserver, Carte d'identité…"
            }
            Demarche::Famille => "Allocations familiales, Naissance, Mariage, Pacs, Scolarité…",
            Demarche::Social => "Carte vitale, Chômage, Handicap, RSA, Personnes âgées…",
            Demarche::Travail => "CDD, Concours, Retraite, Démission, Période d'essai…",
            Demarche::Logement => {
                "Allocations logement, Permis de construire, Logement social, Fin de bail…"
            }
            Demarche::Transports => {
                "Carte grise, Permis de conduire, Contrôle technique, Infractions…"
            }
            Demarche::Argent => {
                "Crédit immobilier, Impôts, Consommation, Livret A, Assurance, Surendettement…"
            }
            Demarche::Justice => "Casier judiciaire, Plainte, Aide juridictionnelle, Saisie…",
            Demarche::Etranger => "Titres de séjour, Attestation d'accueil, Regroupement familial…",
            Demarche::Loisirs => "Animaux, Permis bateau, Tourisme, Permis de chasser…",
        }
    }

    /// Examples of the services concerned.
    pub fn exemples(self) -> &'static [&'static str] {
        match self {
            Demarche::Papiers => &["ANTS", "Défenseur des droits"],
            Demarche::Famille => &["CAF", "ameli.fr", "EduConnect"],
            Demarche::Social => &["ameli.fr", "MSA"],
            Demarche::Travail => &["France Travail", "Mon compte formation", "info-retraite.fr"],
            Demarche::Logement => &["CAF", "Enedis"],
            Demarche::Transports => &["ANTS", "ANTAI", "Crit'air"],
            Demarche::Argent => &["Impots.gouv", "Timbres fiscaux", "Banque"],
            Demarche::Justice => &["Télérecours citoyens"],
            Demarche::Etranger => &["OFPRA"],
            Demarche::Loisirs => &["Ariane"],
        }
    }

    /// The legal notice shown and printed with this démarche, if any.
    pub fn mention_legale(self) -> Option<&'static str> {
        match self {
            Demarche::Argent => Some(
                "Surendettement : l'aidant peut uniquement saisir le dossier. La déclaration \
                 de surendettement doit être signée par la personne elle-même, sous peine \
                 d'irrecevabilité (articles R. 721-2 et R. 761-1 du code de la consommation).",
            ),
            _ => None,
        }
    }

    /// Parses a comma-separated list of codes (`social,logement`), sorted and deduplicated.
    pub fn liste(codes: &str) -> Result<Vec<Demarche>, DemarcheInconnue> {
        let mut v = codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(Demarche::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        v.sort();
        v.dedup();
        Ok(v)
    }

    /// The canonical comma-separated form of a list (sorted, deduplicated).
    pub fn codes(demarches: &[Demarche]) -> String {
        let mut v = demarches.to_vec();
        v.sort();
        v.dedup();
        v.iter().map(|d| d.code()).collect::<Vec<_>>().join(",")
    }
}

impl FromStr for Demarche {
    type Err = DemarcheInconnue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Demarche::TOUTES
            .into_iter()
            .find(|d| d.code() == s)
            .ok_or_else(|| DemarcheInconnue(s.to_string()))
    }
}

impl fmt::Display for Demarche {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_lists_are_canonical() {
        for d in Demarche::TOUTES {
            assert_eq!(d.code().parse::<Demarche>(), Ok(d));
        }
        assert_eq!(
            Demarche::liste("logement, social,logement").unwrap(),
            vec![Demarche::Social, Demarche::Logement]
        );
        assert_eq!(
            Demarche::codes(&[Demarche::Logement, Demarche::Social]),
            "social,logement"
        );
        assert_eq!(
            Demarche::liste("social,impots").unwrap_err().to_string(),
            "démarche inconnue : « impots »"
        );
        assert!(Demarche::Argent.mention_legale().is_some());
        assert!(Demarche::Social.mention_legale().is_none());
    }
}
