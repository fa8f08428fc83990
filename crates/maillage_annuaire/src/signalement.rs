//! Error reports sent by the public from a place's page ("signaler une erreur"): what they
//! may be about. The use cases are [`crate::annuaire::Annuaire::signaler`],
//! [`crate::annuaire::Annuaire::signalements`] and
//! [`crate::annuaire::Annuaire::traiter_signalement`]; the coordinators of a territory see
//! and close the reports about its places with [`signalements_de`] and [`decider`] (until
//! the coordinators' back office exists: `/espace/signalements`, `maillage lieux
//! signalements`).

use crate::annuaire::Annuaire;
use maillage_comptes::{Acteur, ErreurComptes};
use maillage_store::SignalementRow;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest message of a report, in characters (after trimming).
pub const MESSAGE_MAX: usize = 2000;

/// Longest contact of a report, in characters (after trimming).
pub const CONTACT_MAX: usize = 200;

/// Most reports returned by one listing, newest first.
pub const LIMITE_SIGNALEMENTS: i64 = 1000;

/// What a report says is wrong about a place. Stored and exchanged as its [`code`].
///
/// [`code`]: CategorieSignalement::code
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CategorieSignalement {
    #[serde(rename = "horaires")]
    Horaires,
    #[serde(rename = "services")]
    Services,
    #[serde(rename = "adresse")]
    Adresse,
    #[serde(rename = "contacts")]
    Contacts,
    #[serde(rename = "n-existe-plus")]
    LieuFerme,
}

impl CategorieSignalement {
    /// Every category, in the order a form shows them.
    pub const ALL: [CategorieSignalement; 5] = [
        CategorieSignalement::Horaires,
        CategorieSignalement::Services,
        CategorieSignalement::Adresse,
        CategorieSignalement::Contacts,
        CategorieSignalement::LieuFerme,
    ];

    /// The code stored in the database and used in forms and URLs.
    pub fn code(self) -> &'static str {
        match self {
            CategorieSignalement::Horaires => "horaires",
            CategorieSignalement::Services => "services",
            CategorieSignalement::Adresse => "adresse",
            CategorieSignalement::Contacts => "contacts",
            CategorieSignalement::LieuFerme => "n-existe-plus",
        }
    }

    /// The label shown to people.
    pub fn libelle(self) -> &'static str {
        match self {
            CategorieSignalement::Horaires => "Les horaires",
            CategorieSignalement::Services => "Les services proposés",
            CategorieSignalement::Adresse => "L'adresse",
            CategorieSignalement::Contacts => "Les contacts (téléphone, courriel, site)",
            CategorieSignalement::LieuFerme => "Le lieu n'existe plus",
        }
    }

    /// Whether a report of this category needs a message: every one but
    /// [`LieuFerme`](CategorieSignalement::LieuFerme), which says it all.
    pub fn message_obligatoire(self) -> bool {
        self != CategorieSignalement::LieuFerme
    }
}

/// Shows the [`code`](CategorieSignalement::code).
impl fmt::Display for CategorieSignalement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A category code that is not one of [`CategorieSignalement::ALL`]; `Display` is French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catégorie de signalement inconnue : « {0} » (attendu : horaires, services, adresse, contacts ou n-existe-plus)")]
pub struct CategorieInconnue(pub String);

/// Parses a [`code`](CategorieSignalement::code) (exactly, surrounding spaces aside).
impl FromStr for CategorieSignalement {
    type Err = CategorieInconnue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim();
        CategorieSignalement::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| CategorieInconnue(s.to_string()))
    }
}

/// A message as typed in a form, cleaned: line breaks made `\n`, other control characters
/// but tabs removed (they cannot be shown, and PostgreSQL rejects NUL), then trimmed.
pub(crate) fn nettoyer_message(texte: &str) -> String {
    texte
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// A one-line text (a contact) cleaned: control characters become spaces, then trimmed.
pub(crate) fn nettoyer_ligne(texte: &str) -> String {
    texte
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// What a coordinator decided about a report. Stored as its [`code`](DecisionSignalement::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DecisionSignalement {
    /// Dealt with: the listing was corrected, or its source told.
    #[serde(rename = "traite")]
    Traite,
    /// Rejected: nothing to change.
    #[serde(rename = "rejete")]
    Rejete,
}

impl DecisionSignalement {
    pub const ALL: [DecisionSignalement; 2] =
        [DecisionSignalement::Traite, DecisionSignalement::Rejete];

    /// The code stored in the database and used in forms and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            DecisionSignalement::Traite => "traite",
            DecisionSignalement::Rejete => "rejete",
        }
    }

    /// The word shown to people.
    pub fn libelle(self) -> &'static str {
        match self {
            DecisionSignalement::Traite => "traité",
            DecisionSignalement::Rejete => "rejeté",
        }
    }

    /// The decision of a stored code (`None` for an unknown one).
    pub fn depuis_code(code: &str) -> Option<DecisionSignalement> {
        DecisionSignalement::ALL
            .into_iter()
            .find(|d| d.code() == code)
    }
}

/// A decision word that is neither « traité » nor « rejeté »; `Display` is French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("décision inconnue : « {0} » (attendu : traite ou rejete)")]
pub struct DecisionInconnue(pub String);

/// Parses `traite`/`traité` or `rejete`/`rejeté` (case and surrounding spaces aside).
impl FromStr for DecisionSignalement {
    type Err = DecisionInconnue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "traite" | "traité" => Ok(DecisionSignalement::Traite),
            "rejete" | "rejeté" => Ok(DecisionSignalement::Rejete),
            _ => Err(DecisionInconnue(s.to_string())),
        }
    }
}

/// A report with the place it is about, as the directory publishes it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalementLieu {
    #[serde(flatten)]
    pub signalement: SignalementRow,
    /// The place's id now ([`crate::annuaire::Annuaire::id_courant`] of the stored
    /// `lieu_id`: a report about a place since merged or split follows it); `None` when it
    /// is no longer published.
    pub lieu_id_courant: Option<String>,
    /// Name of the place; `None` when it is no longer published.
    pub lieu_nom: Option<String>,
    /// INSEE code of the place's commune, when known.
    pub code_insee: Option<String>,
}

impl SignalementLieu {
    /// The decision recorded, if any.
    pub fn decision(&self) -> Option<DecisionSignalement> {
        self.signalement
            .decision
            .as_deref()
            .and_then(DecisionSignalement::depuis_code)
    }

    /// The report's category, for people (its code when unknown).
    pub fn categorie_libelle(&self) -> String {
        self.signalement
            .categorie
            .parse::<CategorieSignalement>()
            .map(|c| c.libelle().to_string())
            .unwrap_or_else(|_| self.signalement.categorie.clone())
    }
}

/// The reports an account may see and close, newest first (among the
/// [`LIMITE_SIGNALEMENTS`] newest): every one for an administrator, those about a place of
/// one of their territories for a coordinator (see [`Acteur::peut_traiter_signalement`]);
/// only the open ones if `seulement_ouverts`. A mediator may not (`Interdit`).
pub async fn signalements_de(
    annuaire: &Annuaire,
    acteur: &Acteur,
    seulement_ouverts: bool,
) -> Result<Vec<SignalementLieu>, ErreurComptes> {
    if !acteur.peut_voir_signalements() {
        return Err(ErreurComptes::Interdit);
    }
    let tous = annuaire
        .signalements_avec_lieux(seulement_ouverts)
        .await
        .map_err(|e| ErreurComptes::Interne(e.to_string()))?;
    Ok(tous
        .into_iter()
        .filter(|s| acteur.peut_traiter_signalement(s.code_insee.as_deref()))
        .collect())
}

/// Longest note written when closing a report, in characters.
pub const NOTE_MAX: usize = 1_000;

/// Closes report `id` with `decision` and an optional note (what was done, why it was
/// rejected; at most [`NOTE_MAX`] characters), for an account that may see it (else
/// `Introuvable`: a report about another territory is not revealed).
pub async fn decider(
    annuaire: &Annuaire,
    acteur: &Acteur,
    id: i64,
    decision: DecisionSignalement,
    note: Option<&str>,
) -> Result<(), ErreurComptes> {
    let note = note.map(nettoyer_message).filter(|n| !n.is_empty());
    if let Some(n) = &note {
        let longueur = n.chars().count();
        if longueur > NOTE_MAX {
            return Err(ErreurComptes::invalide(
                "note",
                format!("trop longue : {longueur} caractères, {NOTE_MAX} au plus"),
            ));
        }
    }
    let visibles = signalements_de(annuaire, acteur, false).await?;
    if !visibles.iter().any(|s| s.signalement.id == id) {
        return Err(ErreurComptes::Introuvable);
    }
    match annuaire
        .decider_signalement(id, decision, Some(acteur.id()), note.as_deref())
        .await
    {
        Ok(true) => {
            tracing::info!(
                "error report {id} closed as {} by account {}",
                decision.code(),
                acteur.id()
            );
            Ok(())
        }
        Ok(false) => Err(ErreurComptes::Introuvable),
        Err(e) => Err(ErreurComptes::Interne(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for c in CategorieSignalement::ALL {
            assert_eq!(c.code().parse::<CategorieSignalement>(), Ok(c));
            assert_eq!(c.to_string(), c.code());
            assert!(!c.libelle().is_empty());
            let json = serde_json::to_string(&c).expect("json");
            assert_eq!(json, format!("\"{}\"", c.code()));
            assert_eq!(
                serde_json::from_str::<CategorieSignalement>(&json).expect("json"),
                c
            );
        }
        let mut codes: Vec<_> = CategorieSignalement::ALL.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CategorieSignalement::ALL.len());
    }

    #[test]
    fn parsing() {
        assert_eq!(
            " n-existe-plus ".parse(),
            Ok(CategorieSignalement::LieuFerme)
        );
        let err = "Horaires"
            .parse::<CategorieSignalement>()
            .expect_err("case");
        assert!(err.to_string().contains("« Horaires »"), "{err}");
        assert!("".parse::<CategorieSignalement>().is_err());
        assert!("lieu-ferme".parse::<CategorieSignalement>().is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(CategorieSignalement::Horaires.libelle(), "Les horaires");
        assert_eq!(
            CategorieSignalement::Contacts.libelle(),
            "Les contacts (téléphone, courriel, site)"
        );
        assert_eq!(
            CategorieSignalement::LieuFerme.libelle(),
            "Le lieu n'existe plus"
        );
        assert!(!CategorieSignalement::LieuFerme.message_obligatoire());
        assert!(CategorieSignalement::Adresse.message_obligatoire());
    }

    #[test]
    fn cleaning() {
        assert_eq!(
            nettoyer_message("  a\r\nb\rc\u{0}d\u{7}\te\u{1b}[0m \n "),
            "a\nb\ncd\te[0m"
        );
        assert_eq!(nettoyer_message("\u{0}\u{0}"), "");
        assert_eq!(nettoyer_ligne(" zoë\n@x.fr\u{0} "), "zoë @x.fr");
        assert_eq!(nettoyer_message("é 🙂"), "é 🙂");
    }
}
