//! The vocabularies of the module: each value with its stored code and its label.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;

macro_rules! vocabulaire {
    ($(#[$doc:meta])* $nom:ident { $($variante:ident => ($code:literal, $libelle:literal)),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $nom {
            $($variante),*
        }

        impl $nom {
            pub const TOUS: &'static [$nom] = &[$($nom::$variante),*];

            /// The stored code (and the API's value).
            pub fn code(self) -> &'static str {
                match self {
                    $($nom::$variante => $code),*
                }
            }

            /// In words, for people.
            pub fn libelle(self) -> &'static str {
                match self {
                    $($nom::$variante => $libelle),*
                }
            }

            /// The codes, for error messages and the OpenAPI document.
            pub fn codes() -> Vec<&'static str> {
                Self::TOUS.iter().map(|v| v.code()).collect()
            }
        }

        impl std::str::FromStr for $nom {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($code => Ok($nom::$variante),)*
                    autre => Err(format!(
                        "« {autre} » inconnu (valeurs possibles : {})",
                        Self::codes().join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $nom {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.libelle())
            }
        }
    };
}

vocabulaire!(
    /// What kind of event.
    TypeEvenement {
        EtapeTournee => ("etape_tournee", "Étape d’une tournée"),
        JourneeLocale => ("journee_locale", "Journée locale"),
        Atelier => ("atelier", "Atelier"),
    }
);

vocabulaire!(
    /// What kind of session of a programme.
    TypeSession {
        Atelier => ("atelier", "Atelier"),
        Conference => ("conference", "Conférence"),
        TableRonde => ("table_ronde", "Table ronde"),
        RealiteVirtuelle => ("realite_virtuelle", "Réalité virtuelle"),
        Quiz => ("quiz", "Quiz"),
        Stand => ("stand", "Stand"),
        Permanence => ("permanence", "Permanence"),
    }
);

vocabulaire!(
    /// Where an event stands.
    StatutEvenement {
        Brouillon => ("brouillon", "Brouillon"),
        Publie => ("publie", "Publié"),
        Annule => ("annule", "Annulé"),
        Termine => ("termine", "Terminé"),
    }
);

vocabulaire!(
    /// Where a registration stands.
    StatutInscription {
        Inscrit => ("inscrit", "Inscrit"),
        ListeAttente => ("liste_attente", "Sur liste d’attente"),
        Annule => ("annule", "Annulé"),
        Present => ("present", "Présent"),
    }
);

/// Reads a date and time: RFC 3339 (`2030-06-12T10:00:00+02:00`, `…Z`), or a local time of
/// metropolitan France without offset (`2030-06-12T10:00:00`, `2030-06-12 10:00`).
pub fn lire_horodatage(texte: &str) -> Result<DateTime<Utc>, String> {
    let t = texte.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, format) {
            return Paris
                .from_local_datetime(&n)
                .earliest()
                .map(|d| d.with_timezone(&Utc))
                .ok_or_else(|| format!("« {t} » n’existe pas à l’heure de Paris"));
        }
    }
    Err(format!(
        "« {t} » n’est pas une date et heure lisible (attendu 2030-06-12T10:00:00+02:00)"
    ))
}

/// An instant as the API writes it: RFC 3339 at the hour of Paris, to the second.
pub fn ecrire_horodatage(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Paris)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The Médiation thématique of a session, from its title (words people use) or its type:
/// the one its collective activity record gets, and what the self-assessment matches to a
/// competence's Coop thématiques.
pub fn thematique_de(titre: &str, type_session: &str) -> maillage_domain::mediation::Thematique {
    use maillage_domain::mediation::Thematique as T;
    let t = maillage_territoire::normaliser_nom(titre);
    let a = |mots: &[&str]| {
        mots.iter()
            .any(|m| t.split_whitespace().any(|w| w.starts_with(m)))
    };
    if a(&[
        "arnaque",
        "phishing",
        "hameconnage",
        "securite",
        "piratage",
        "mot de passe",
        "cyber",
    ]) {
        T::SecuriteNumerique
    } else if a(&["ia", "intelligence", "chatgpt"]) {
        T::IntelligenceArtificielle
    } else if a(&["demarche", "administrati", "caf", "impot", "ameli"]) {
        T::AideAuxDemarchesAdministratives
    } else if a(&["mail", "courriel", "messagerie"]) {
        T::Email
    } else if a(&["reseaux", "facebook", "instagram"]) {
        T::ReseauxSociaux
    } else if a(&["smartphone", "tablette", "ordinateur", "telephone"]) {
        T::PrendreEnMainDuMateriel
    } else if a(&[
        "code", "coder", "programm", "robot", "fablab", "imprim", "3d",
    ]) {
        T::CreerAvecLeNumerique
    } else if a(&[
        "bureautique",
        "traitement",
        "tableur",
        "word",
        "excel",
        "document",
        "libreoffice",
    ]) {
        T::Bureautique
    } else if a(&["niveau", "diagnostic", "competence"]) {
        T::DiagnosticNumerique
    } else {
        match type_session {
            "realite_virtuelle" | "conference" | "table_ronde" | "quiz" => T::CultureNumerique,
            "stand" | "permanence" => T::DiagnosticNumerique,
            _ => T::NavigationSurInternet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in TypeSession::TOUS {
            assert_eq!(t.code().parse::<TypeSession>(), Ok(*t));
        }
        assert_eq!(
            "table_ronde".parse::<TypeSession>(),
            Ok(TypeSession::TableRonde)
        );
        let e = "karaoke".parse::<TypeSession>().unwrap_err();
        assert!(e.contains("karaoke") && e.contains("permanence"), "{e}");
        assert_eq!(TypeEvenement::codes().len(), 3);
    }

    #[test]
    fn dates_with_or_without_offset() {
        let a = lire_horodatage("2030-06-12T10:00:00+02:00").unwrap();
        let b = lire_horodatage("2030-06-12T10:00:00").unwrap();
        let c = lire_horodatage("2030-06-12T08:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(ecrire_horodatage(a), "2030-06-12T10:00:00+02:00");
        // Winter: one hour.
        let h = lire_horodatage("2030-01-12T10:00").unwrap();
        assert_eq!(ecrire_horodatage(h), "2030-01-12T10:00:00+01:00");
        assert!(lire_horodatage("demain").is_err());
        assert!(lire_horodatage("2030-13-01T10:00").is_err());
    }
}
