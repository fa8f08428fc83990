//! Activity records (CRA, compte-rendu d'activité): an individual accompaniment or a
//! collective workshop, with the Coop's fields, and the rules that make one valid.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::referentiels::{
    Autonomie, Genre, Materiel, NiveauAtelier, StatutSocial, StructureRedirection, Thematique,
    TrancheAge, TypeActivite, TypeLieu,
};
use crate::CodeInsee;

/// Durations offered first (minutes), before the mediator's own frequent ones.
pub const DUREES_PROPOSEES: [u32; 6] = [15, 30, 45, 60, 90, 120];
/// The longest duration accepted: 23 h 59.
pub const DUREE_MAX: u32 = 23 * 60 + 59;
/// The most participants a workshop may declare.
pub const PARTICIPANTS_MAX: u32 = 500;
/// The longest free text (notes, title, tag).
pub const TEXTE_MAX: usize = 5_000;

/// A group of anonymous participants sharing an age band and a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupeAnonyme {
    pub nombre: u32,
    pub tranche_age: TrancheAge,
    pub statut: StatutSocial,
    #[serde(default = "genre_non_communique")]
    pub genre: Genre,
}

fn genre_non_communique() -> Genre {
    Genre::NonCommunique
}

/// One activity record, as entered by a mediator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cra {
    pub type_activite: TypeActivite,
    pub date: NaiveDate,
    /// Minutes, 1 to [`DUREE_MAX`].
    pub duree: u32,
    pub type_lieu: TypeLieu,
    /// The mediator's place of activity (`TypeLieu::LieuActivite`).
    pub lieu_activite_id: Option<crate::LieuActiviteId>,
    /// Commune where it took place (required unless at a place of activity, whose
    /// commune is used).
    pub commune: Option<CodeInsee>,
    pub thematiques: Vec<Thematique>,
    pub materiel: Vec<Materiel>,
    /// Individual accompaniment only.
    pub autonomie: Option<Autonomie>,
    /// The person was sent to another structure (individual only).
    pub orientation: Option<StructureRedirection>,
    /// Workshop title (collective only).
    pub titre: Option<String>,
    /// Workshop level (collective only).
    pub niveau: Option<NiveauAtelier>,
    /// Known beneficiaries (ids of the mediator's files).
    pub beneficiaires: Vec<i64>,
    /// Anonymous participants.
    pub anonymes: Vec<GroupeAnonyme>,
    pub notes: String,
    pub tags: Vec<String>,
}

/// Why an activity record was refused: the field at fault and a sentence in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{champ} : {message}")]
pub struct CraInvalide {
    pub champ: &'static str,
    pub message: String,
}

fn invalide(champ: &'static str, message: impl Into<String>) -> CraInvalide {
    CraInvalide {
        champ,
        message: message.into(),
    }
}

impl Cra {
    /// Number of people accompanied: a workshop of 10 counts 10.
    pub fn participants(&self) -> u32 {
        self.beneficiaires.len() as u32 + self.anonymes.iter().map(|g| g.nombre).sum::<u32>()
    }

    /// Checks the record's rules, `aujourdhui` being the mediator's current date.
    /// Also sorts and deduplicates the lists, trims texts and drops empty tags.
    pub fn valider(mut self, aujourdhui: NaiveDate) -> Result<Cra, CraInvalide> {
        let plus_tot = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
        if self.date > aujourdhui {
            return Err(invalide("date", "la date ne peut pas être dans le futur"));
        }
        if self.date < plus_tot {
            return Err(invalide("date", "la date doit être postérieure à 2000"));
        }
        if self.duree == 0 || self.duree > DUREE_MAX {
            return Err(invalide(
                "durée",
                "la durée doit être comprise entre 1 minute et 23 h 59",
            ));
        }
        self.thematiques.sort();
        self.thematiques.dedup();
        if self.thematiques.is_empty() {
            return Err(invalide(
                "thématiques",
                "choisissez au moins une thématique",
            ));
        }
        self.materiel.sort();
        self.materiel.dedup();
        if self.materiel.contains(&Materiel::Aucun) && self.materiel.len() > 1 {
            return Err(invalide(
                "matériel",
                "« Pas de matériel » ne peut pas être choisi avec un autre matériel",
            ));
        }
        match self.type_lieu {
            TypeLieu::LieuActivite if self.lieu_activite_id.is_none() => {
                return Err(invalide("lieu", "choisissez le lieu d’activité"));
            }
            TypeLieu::LieuActivite => {}
            _ => {
                self.lieu_activite_id = None;
                if self.commune.is_none() {
                    return Err(invalide(
                        "commune",
                        "indiquez la commune où l’accompagnement a eu lieu",
                    ));
                }
            }
        }
        self.beneficiaires.sort_unstable();
        self.beneficiaires.dedup();
        self.anonymes.retain(|g| g.nombre > 0);
        let n = self.participants();
        match self.type_activite {
            TypeActivite::Individuel => {
                if n != 1 {
                    return Err(invalide(
                        "participants",
                        "un accompagnement individuel concerne une seule personne",
                    ));
                }
                if self.titre.is_some() || self.niveau.is_some() {
                    self.titre = None;
                    self.niveau = None;
                }
            }
            TypeActivite::Collectif => {
                if n == 0 {
                    return Err(invalide(
                        "participants",
                        "un atelier compte au moins un participant",
                    ));
                }
                if n > PARTICIPANTS_MAX {
                    return Err(invalide(
                        "participants",
                        format!("un atelier compte au plus {PARTICIPANTS_MAX} participants"),
                    ));
                }
                self.autonomie = None;
                self.orientation = None;
            }
        }
        self.titre = self
            .titre
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if self.titre.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(invalide("titre", "le titre dépasse 200 caractères"));
        }
        self.notes = self.notes.trim().to_string();
        if self.notes.len() > TEXTE_MAX {
            return Err(invalide("notes", "les notes dépassent 5 000 caractères"));
        }
        let mut tags: Vec<String> = self
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        tags.sort();
        tags.dedup();
        if tags.iter().any(|t| t.chars().count() > 60) || tags.len() > 20 {
            return Err(invalide(
                "étiquettes",
                "au plus 20 étiquettes de 60 caractères",
            ));
        }
        self.tags = tags;
        Ok(self)
    }
}

/// Formats minutes as the Coop does: `45 min`, `1 h`, `1 h 30`.
pub fn duree_lisible(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn individuel() -> Cra {
        Cra {
            type_activite: TypeActivite::Individuel,
            date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            duree: 45,
            type_lieu: TypeLieu::LieuActivite,
            lieu_activite_id: Some(crate::LieuActiviteId::new(1)),
            commune: None,
            thematiques: vec![Thematique::Email, Thematique::Email],
            materiel: vec![Materiel::Ordinateur],
            autonomie: Some(Autonomie::Autonome),
            orientation: None,
            titre: Some("ignoré".into()),
            niveau: None,
            beneficiaires: vec![],
            anonymes: vec![GroupeAnonyme {
                nombre: 1,
                tranche_age: TrancheAge::SoixanteDixPlus,
                statut: StatutSocial::Retraite,
                genre: Genre::Feminin,
            }],
            notes: "  ".into(),
            tags: vec![" ".into(), "France Services".into()],
        }
    }

    #[test]
    fn valid_individual_is_normalised() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let cra = individuel().valider(today).unwrap();
        assert_eq!(cra.thematiques, vec![Thematique::Email]);
        assert_eq!(cra.titre, None);
        assert_eq!(cra.tags, vec!["France Services".to_string()]);
        assert_eq!(cra.participants(), 1);
    }

    #[test]
    fn rules_name_the_field_at_fault() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut c = individuel();
        c.date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(c.valider(today).unwrap_err().champ, "date");
        let mut c = individuel();
        c.duree = 0;
        assert_eq!(c.valider(today).unwrap_err().champ, "durée");
        let mut c = individuel();
        c.thematiques.clear();
        assert_eq!(c.valider(today).unwrap_err().champ, "thématiques");
        let mut c = individuel();
        c.beneficiaires = vec![4];
        assert_eq!(c.valider(today).unwrap_err().champ, "participants");
        let mut c = individuel();
        c.type_lieu = TypeLieu::Domicile;
        assert_eq!(c.valider(today).unwrap_err().champ, "commune");
        let mut c = individuel();
        c.materiel = vec![Materiel::Aucun, Materiel::Tablette];
        assert_eq!(c.valider(today).unwrap_err().champ, "matériel");
        let mut c = individuel();
        c.type_activite = TypeActivite::Collectif;
        c.anonymes[0].nombre = 8;
        let ok = c.valider(today).unwrap();
        assert_eq!(ok.participants(), 8);
        assert_eq!(ok.autonomie, None);
    }

    #[test]
    fn durations_read_like_the_coop() {
        assert_eq!(duree_lisible(45), "45 min");
        assert_eq!(duree_lisible(60), "1 h");
        assert_eq!(duree_lisible(90), "1 h 30");
    }
}
