//! The item bank (`data/competences/items.json`) and its calibrations.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::referentiel::Referentiel;
use crate::ErreurCompetences;

const ITEMS_JSON: &str = include_str!("../../../data/competences/items.json");

/// The longest can-do statement, in characters (readable on a phone at once).
pub const LONGUEUR_MAX_ENONCE: usize = 160;
/// The longest practical question, in characters.
pub const LONGUEUR_MAX_QUESTION: usize = 200;

/// The kind of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "genre")]
pub enum Genre {
    /// « Je sais … »: answered « oui, facilement » / « oui, avec de l'aide » / « non » /
    /// « je ne sais pas ce que c'est ».
    Enonce,
    /// A short question with choices, one of them right, and what to learn from it.
    Pratique {
        choix: Vec<String>,
        bonne: usize,
        explication: String,
    },
}

/// One question of the bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id (`e2.1-3`, `p4.3-2`): answers and calibrations name items by it.
    pub id: String,
    /// CRCN competence code.
    pub competence: String,
    /// CRCN level it is written for (1–4).
    pub niveau: u8,
    pub texte: String,
    #[serde(flatten)]
    pub genre: Genre,
    /// Location on the ability scale (logits) of the bundled calibration: for a statement,
    /// the ability at which « facilement » is as likely as not; for a practical item, the
    /// ability at which knowing the answer is as likely as not.
    pub difficulte: f64,
    /// Slope of the item's curve.
    pub discrimination: f64,
    /// The calibration version these parameters come from.
    pub calibration: u32,
}

/// An answer to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reponse {
    Facilement,
    AvecAide,
    Non,
    /// « Je ne sais pas ce que c'est. »
    Inconnu,
    /// The choice of that index in a practical item.
    Choix(u8),
    /// « Je ne sais pas » to a practical item.
    NeSaisPas,
}

impl Reponse {
    /// One character, for a state travelling in a page: `f`, `a`, `n`, `i`, `0`–`9`, `x`.
    pub fn code(self) -> char {
        match self {
            Reponse::Facilement => 'f',
            Reponse::AvecAide => 'a',
            Reponse::Non => 'n',
            Reponse::Inconnu => 'i',
            Reponse::Choix(i) => char::from(b'0' + i.min(9)),
            Reponse::NeSaisPas => 'x',
        }
    }

    pub fn depuis_code(c: char) -> Option<Reponse> {
        Some(match c {
            'f' => Reponse::Facilement,
            'a' => Reponse::AvecAide,
            'n' => Reponse::Non,
            'i' => Reponse::Inconnu,
            'x' => Reponse::NeSaisPas,
            '0'..='9' => Reponse::Choix(c as u8 - b'0'),
            _ => return None,
        })
    }
}

/// The parameters of one item in one calibration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Parametres {
    pub difficulte: f64,
    pub discrimination: f64,
}

/// One calibration: every item's parameters under one version number. Results keep the
/// version they were scored with, so a new calibration never changes a past result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub version: u32,
    /// How it was made (« initiale (experts) », « MML sur 12 430 réponses »…).
    pub methode: String,
    pub parametres: HashMap<String, Parametres>,
}

#[derive(Deserialize)]
struct Fichier {
    version: u32,
    items: Vec<Item>,
}

/// The item bank with its calibrations.
#[derive(Debug, Clone)]
pub struct Banque {
    pub items: Vec<Item>,
    index: HashMap<String, usize>,
    calibrations: Vec<Calibration>,
}

impl Banque {
    /// The bundled bank (read once), with its first calibration.
    pub fn embarquee() -> &'static Banque {
        static B: OnceLock<Banque> = OnceLock::new();
        B.get_or_init(|| {
            // Checked by this crate's tests (`la_banque_embarquee_est_valide`).
            Banque::lire(ITEMS_JSON, Referentiel::embarque()).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// Reads and checks a bank against the framework.
    pub fn lire(json: &str, referentiel: &Referentiel) -> Result<Banque, ErreurCompetences> {
        let f: Fichier =
            serde_json::from_str(json).map_err(|e| ErreurCompetences::Donnees(e.to_string()))?;
        let mut index = HashMap::new();
        for (i, item) in f.items.iter().enumerate() {
            let faute = |m: &str| ErreurCompetences::Donnees(format!("item {} : {m}", item.id));
            if index.insert(item.id.clone(), i).is_some() {
                return Err(faute("identifiant en double"));
            }
            if referentiel.competence(&item.competence).is_none() {
                return Err(faute("compétence inconnue"));
            }
            if !(1..=8).contains(&item.niveau) {
                return Err(faute("niveau hors de 1 à 8"));
            }
            if !(item.discrimination > 0.0 && item.difficulte.is_finite()) {
                return Err(faute("paramètres invalides"));
            }
            let longueur = item.texte.chars().count();
            match &item.genre {
                Genre::Enonce if longueur > LONGUEUR_MAX_ENONCE => {
                    return Err(faute("énoncé trop long"))
                }
                Genre::Pratique { choix, bonne, .. } => {
                    if longueur > LONGUEUR_MAX_QUESTION {
                        return Err(faute("question trop longue"));
                    }
                    if choix.len() < 2 || choix.len() > 9 || *bonne >= choix.len() {
                        return Err(faute("choix invalides"));
                    }
                }
                Genre::Enonce => {}
            }
        }
        let initiale = Calibration {
            version: f.version,
            methode: "initiale (niveaux CRCN des auteurs)".into(),
            parametres: f
                .items
                .iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        Parametres {
                            difficulte: i.difficulte,
                            discrimination: i.discrimination,
                        },
                    )
                })
                .collect(),
        };
        Ok(Banque {
            items: f.items,
            index,
            calibrations: vec![initiale],
        })
    }

    /// The item of an id.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.index.get(id).map(|i| &self.items[*i])
    }

    /// The position of an item in [`Banque::items`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The newest calibration's version.
    pub fn version_courante(&self) -> u32 {
        self.calibrations.last().map(|c| c.version).unwrap_or(0)
    }

    /// Every calibration, oldest first.
    pub fn calibrations(&self) -> &[Calibration] {
        &self.calibrations
    }

    /// Parameters of every item (in [`Banque::items`] order) under a version; an item the
    /// version does not name keeps the bundled parameters.
    pub fn parametres(&self, version: u32) -> Result<Vec<Parametres>, ErreurCompetences> {
        let c = self
            .calibrations
            .iter()
            .find(|c| c.version == version)
            .ok_or(ErreurCompetences::Calibration(version))?;
        Ok(self
            .items
            .iter()
            .map(|i| {
                c.parametres.get(&i.id).copied().unwrap_or(Parametres {
                    difficulte: i.difficulte,
                    discrimination: i.discrimination,
                })
            })
            .collect())
    }

    /// Adds a calibration (its version must be newer than every other).
    pub fn ajouter_calibration(&mut self, c: Calibration) -> Result<(), ErreurCompetences> {
        if c.version <= self.version_courante() {
            return Err(ErreurCompetences::Calibration(c.version));
        }
        self.calibrations.push(c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn la_banque_embarquee_est_valide() {
        let b = Banque::embarquee();
        assert!(b.items.len() >= 80, "{} items", b.items.len());
        let r = Referentiel::embarque();
        // Every competence at levels 1 to 4, in both kinds somewhere.
        for c in r.competences() {
            let niveaux: BTreeSet<u8> = b
                .items
                .iter()
                .filter(|i| i.competence == c.code)
                .map(|i| i.niveau)
                .collect();
            assert_eq!(niveaux, BTreeSet::from([1, 2, 3, 4]), "{}", c.code);
        }
        assert!(b
            .items
            .iter()
            .any(|i| matches!(i.genre, Genre::Pratique { .. })));
        assert_eq!(b.version_courante(), 1);
        assert_eq!(b.parametres(1).expect("v1").len(), b.items.len());
        assert_eq!(b.parametres(2), Err(ErreurCompetences::Calibration(2)));
    }

    #[test]
    fn les_textes_sont_courts_et_sans_image() {
        for i in &Banque::embarquee().items {
            let n = i.texte.chars().count();
            match &i.genre {
                Genre::Enonce => {
                    assert!(n < LONGUEUR_MAX_ENONCE, "{}", i.id);
                    assert!(i.texte.starts_with("Je "), "{}", i.id);
                }
                Genre::Pratique {
                    choix, explication, ..
                } => {
                    assert!(n <= LONGUEUR_MAX_QUESTION, "{}", i.id);
                    assert!(!explication.is_empty(), "{}", i.id);
                    assert!(choix.iter().all(|c| c.chars().count() <= 120), "{}", i.id);
                }
            }
            // No image, no markup: the text is all there is.
            for interdit in ["<img", ".png", ".jpg", ".svg", "![", "<"] {
                assert!(!i.texte.contains(interdit), "{}", i.id);
            }
        }
    }

    #[test]
    fn codes_de_reponse_aller_retour() {
        for r in [
            Reponse::Facilement,
            Reponse::AvecAide,
            Reponse::Non,
            Reponse::Inconnu,
            Reponse::Choix(0),
            Reponse::Choix(2),
            Reponse::NeSaisPas,
        ] {
            assert_eq!(Reponse::depuis_code(r.code()), Some(r));
        }
        assert_eq!(Reponse::depuis_code('z'), None);
    }

    #[test]
    fn une_banque_invalide_est_refusee_avec_l_item_fautif() {
        let json = r#"{"version":1,"items":[{"id":"x","competence":"1.1","niveau":1,
            "genre":"pratique","texte":"Q ?","choix":["a","b"],"bonne":5,"explication":"e",
            "difficulte":0,"discrimination":1,"calibration":1}]}"#;
        let e = Banque::lire(json, Referentiel::embarque()).unwrap_err();
        assert_eq!(
            e,
            ErreurCompetences::Donnees("item x : choix invalides".into())
        );
    }
}
