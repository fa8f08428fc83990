//! The CRCN framework as bundled (`data/competences/referentiel.json`).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::ErreurCompetences;

const REFERENTIEL_JSON: &str = include_str!("../../../data/competences/referentiel.json");

/// One of the 16 competences.
#[derive(Debug, Clone, Deserialize)]
pub struct Competence {
    /// `1.1` … `5.2`.
    pub code: String,
    /// The CRCN title, as Pix words it.
    pub titre: String,
    /// The other official wording, where there is one (4.3: « Protéger la santé, le
    /// bien-être et l'environnement »), kept under the same code.
    #[serde(default)]
    pub titre_variante: Option<String>,
    /// What it means in everyday words, for the public.
    pub description: String,
    /// Services of the places schema (`Service` enumeration) that help with it.
    pub services: Vec<String>,
    /// The Coop's thématiques (values) an accompaniment on it is recorded under.
    pub thematiques: Vec<String>,
    /// Aidants Connect démarches (codes) where it matters.
    pub demarches: Vec<String>,
}

/// One of the 5 domains.
#[derive(Debug, Clone, Deserialize)]
pub struct Domaine {
    pub code: String,
    pub titre: String,
    pub competences: Vec<Competence>,
}

#[derive(Debug, Deserialize)]
struct Fichier {
    domaines: Vec<Domaine>,
}

/// The framework: domains in order, each with its competences.
#[derive(Debug)]
pub struct Referentiel {
    pub domaines: Vec<Domaine>,
}

impl Referentiel {
    /// The bundled framework (read once).
    pub fn embarque() -> &'static Referentiel {
        static R: OnceLock<Referentiel> = OnceLock::new();
        R.get_or_init(|| {
            // The embedded file is checked by this crate's tests: a failure here is a bug
            // of the bundled data, caught before release.
            Referentiel::lire(REFERENTIEL_JSON).unwrap_or_else(|e| panic!("{e}"))
        })
    }

    /// Reads and checks a framework file.
    pub fn lire(json: &str) -> Result<Referentiel, ErreurCompetences> {
        let f: Fichier =
            serde_json::from_str(json).map_err(|e| ErreurCompetences::Donnees(e.to_string()))?;
        for d in &f.domaines {
            for c in &d.competences {
                if !c.code.starts_with(&format!("{}.", d.code)) {
                    return Err(ErreurCompetences::Donnees(format!(
                        "la compétence {} n'est pas du domaine {}",
                        c.code, d.code
                    )));
                }
            }
        }
        Ok(Referentiel {
            domaines: f.domaines,
        })
    }

    /// The competence of a code.
    pub fn competence(&self, code: &str) -> Option<&Competence> {
        self.competences().find(|c| c.code == code)
    }

    /// Every competence, in order.
    pub fn competences(&self) -> impl Iterator<Item = &Competence> {
        self.domaines.iter().flat_map(|d| d.competences.iter())
    }

    /// The index (0–4) of the domain of a competence code (`2.4` → 1).
    pub fn index_domaine(&self, competence: &str) -> Option<usize> {
        let code = competence.split('.').next()?;
        self.domaines.iter().position(|d| d.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_referentiel_a_5_domaines_et_16_competences() {
        let r = Referentiel::embarque();
        assert_eq!(r.domaines.len(), 5);
        assert_eq!(r.competences().count(), 16);
        let c43 = r.competence("4.3").expect("4.3");
        assert_eq!(c43.titre, "Se protéger des risques");
        assert_eq!(
            c43.titre_variante.as_deref(),
            Some("Protéger la santé, le bien-être et l'environnement")
        );
        assert_eq!(r.index_domaine("2.4"), Some(1));
        assert_eq!(r.index_domaine("9.1"), None);
    }

    #[test]
    fn une_competence_hors_de_son_domaine_est_refusee() {
        let json = r#"{"domaines":[{"code":"1","titre":"x","competences":[
            {"code":"2.1","titre":"y","description":"z","services":[],"thematiques":[],"demarches":[]}]}]}"#;
        assert!(matches!(
            Referentiel::lire(json),
            Err(ErreurCompetences::Donnees(_))
        ));
    }
}
