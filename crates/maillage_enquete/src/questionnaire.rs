//! The questionnaire: its model, the standard version shipped with Maillage
//! (`data/enquete/questionnaire_standard.json`, documented in `docs/ENQUETE.md`), the
//! questions a territory may add in a new version, the check of an answered questionnaire,
//! and its scoring (the four skill domains scored 0/1/2 and the illectronisme flag).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ErreurEnquete;

const STANDARD_JSON: &str = include_str!("../../../data/enquete/questionnaire_standard.json");

/// Longest short text answer, in characters.
pub const TEXTE_COURT_MAX: usize = 200;
/// Most questions a territory may add.
pub const AJOUTS_MAX: usize = 20;
/// The option codes meaning "none of these": they exclude every other option.
pub const OPTIONS_EXCLUSIVES: [&str; 3] = ["aucune", "aucun", "rien"];
/// The role of the yes/no question on internet use in the last three months.
pub const ROLE_USAGE_INTERNET: &str = "usage_internet";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeQuestion {
    ChoixUnique,
    ChoixMultiple,
    Nombre,
    TexteCourt,
    OuiNon,
}

/// The four skill domains of Eurostat used by INSEE for illectronisme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domaine {
    Information,
    Communication,
    Resolution,
    Logiciels,
}

impl Domaine {
    pub const TOUS: [Domaine; 4] = [
        Domaine::Information,
        Domaine::Communication,
        Domaine::Resolution,
        Domaine::Logiciels,
    ];

    pub fn libelle(self) -> &'static str {
        match self {
            Domaine::Information => "Information",
            Domaine::Communication => "Communication",
            Domaine::Resolution => "Résolution de problèmes",
            Domaine::Logiciels => "Logiciels",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choix {
    pub code: String,
    pub libelle: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub code: String,
    pub libelle: String,
    #[serde(rename = "type")]
    pub genre: TypeQuestion,
    #[serde(default)]
    pub theme: String,
    #[serde(default)]
    pub requise: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// The skill domain this question scores (a multiple choice of activities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domaine: Option<Domaine>,
    /// [`ROLE_USAGE_INTERNET`] for the question on internet use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub code: String,
    pub version: i64,
    pub titre: String,
    #[serde(default)]
    pub sources: Vec<String>,
    pub questions: Vec<Question>,
}

/// The derived scores of one answered questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub information: i64,
    pub communication: i64,
    pub resolution: i64,
    pub logiciels: i64,
    pub internet_3mois: bool,
    /// INSEE: no internet use in the period, or no basic skill in any domain (score 0 in
    /// all four).
    pub illectronisme: bool,
    /// People in the household: the sum of the numbers answered to the standard's
    /// household questions (theme [`THEME_FOYER`]); `None` when none was answered or the
    /// sum is 0. The stratum of the census weighting (one person, or more).
    pub personnes_foyer: Option<i64>,
}

/// The theme of the household questions (people by age band).
pub const THEME_FOYER: &str = "foyer";

impl Scores {
    pub fn domaine(&self, d: Domaine) -> i64 {
        match d {
            Domaine::Information => self.information,
            Domaine::Communication => self.communication,
            Domaine::Resolution => self.resolution,
            Domaine::Logiciels => self.logiciels,
        }
    }
}

/// One domain's score from the number of its activities done: 0 none, 1 one (basic),
/// 2 two or more (above basic).
pub fn score_domaine(activites: usize) -> i64 {
    match activites {
        0 => 0,
        1 => 1,
        _ => 2,
    }
}

/// The INSEE illectronisme flag from internet use and the four domain scores.
pub fn illectronisme(internet_3mois: bool, scores: [i64; 4]) -> bool {
    !internet_3mois || scores.iter().all(|s| *s == 0)
}

fn invalide(champ: &str, message: impl Into<String>) -> ErreurEnquete {
    ErreurEnquete::invalide(champ, message)
}

impl Questionnaire {
    /// The standard questionnaire shipped with Maillage.
    pub fn standard() -> Result<Questionnaire, ErreurEnquete> {
        Questionnaire::lire(STANDARD_JSON)
    }

    /// Reads and checks a questionnaire from its JSON.
    pub fn lire(json: &str) -> Result<Questionnaire, ErreurEnquete> {
        let q: Questionnaire = serde_json::from_str(json)
            .map_err(|e| invalide("questionnaire", format!("JSON illisible ({e})")))?;
        q.verifier()?;
        Ok(q)
    }

    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The structural rules: unique codes, options where needed, one internet-use
    /// question and one question per skill domain.
    pub fn verifier(&self) -> Result<(), ErreurEnquete> {
        if self.version < 1 {
            return Err(invalide("version", "la version commence à 1"));
        }
        let mut codes = HashSet::new();
        for q in &self.questions {
            verifier_question(q)?;
            if !codes.insert(q.code.as_str()) {
                return Err(invalide(
                    &q.code,
                    "ce code de question est déjà utilisé dans le questionnaire",
                ));
            }
        }
        let usages: Vec<&Question> = self
            .questions
            .iter()
            .filter(|q| q.role.as_deref() == Some(ROLE_USAGE_INTERNET))
            .collect();
        if usages.len() != 1 || usages[0].genre != TypeQuestion::OuiNon {
            return Err(invalide(
                "questionnaire",
                "il faut exactement une question oui/non sur l’usage d’internet (rôle « usage_internet »)",
            ));
        }
        for d in Domaine::TOUS {
            let n = self
                .questions
                .iter()
                .filter(|q| q.domaine == Some(d))
                .count();
            if n != 1 {
                return Err(invalide(
                    "questionnaire",
                    format!(
                        "il faut exactement une question pour le domaine « {} » ({n} trouvées)",
                        d.libelle()
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.code == code)
    }

    /// A new version with the territory's questions added at the end. Added questions may
    /// not score a domain nor take a role: the indicator stays comparable across
    /// territories.
    pub fn etendre(&self, ajouts: Vec<Question>) -> Result<Questionnaire, ErreurEnquete> {
        if ajouts.is_empty() {
            return Err(invalide("questions", "ajoutez au moins une question"));
        }
        if ajouts.len() > AJOUTS_MAX {
            return Err(invalide(
                "questions",
                format!("{AJOUTS_MAX} questions ajoutées au plus"),
            ));
        }
        let mut q = self.clone();
        for a in ajouts {
            if a.domaine.is_some() || a.role.is_some() {
                return Err(invalide(
                    &a.code,
                    "une question ajoutée ne peut pas compter dans les compétences",
                ));
            }
            q.questions.push(a);
        }
        q.version += 1;
        q.verifier()?;
        Ok(q)
    }

    /// Checks an answered questionnaire (`{code: value}`) and scores it. Unknown codes,
    /// options outside the list, numbers out of range and missing required answers are
    /// refused with the question's code as the field.
    pub fn noter(
        &self,
        reponses: &Value,
    ) -> Result<(BTreeMap<String, Value>, Scores), ErreurEnquete> {
        let objet = reponses
            .as_object()
            .ok_or_else(|| invalide("reponses", "les réponses doivent être un objet JSON"))?;
        let mut propres = BTreeMap::new();
        for (code, valeur) in objet {
            if valeur.is_null() {
                continue;
            }
            let q = self
                .question(code)
                .ok_or_else(|| invalide(code, "cette question n’existe pas dans cette version"))?;
            propres.insert(code.clone(), verifier_valeur(q, valeur)?);
        }
        for q in &self.questions {
            if q.requise && !propres.contains_key(&q.code) {
                return Err(invalide(&q.code, "réponse obligatoire"));
            }
        }
        let internet = self
            .questions
            .iter()
            .find(|q| q.role.as_deref() == Some(ROLE_USAGE_INTERNET))
            .and_then(|q| propres.get(&q.code))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut s = [0i64; 4];
        for (i, d) in Domaine::TOUS.iter().enumerate() {
            let activites = self
                .questions
                .iter()
                .find(|q| q.domaine == Some(*d))
                .and_then(|q| propres.get(&q.code))
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .filter(|c| !OPTIONS_EXCLUSIVES.contains(c))
                        .count()
                })
                .unwrap_or(0);
            // Without internet, the activities (all online) count for nothing.
            s[i] = if internet {
                score_domaine(activites)
            } else {
                0
            };
        }
        let scores = Scores {
            information: s[0],
            communication: s[1],
            resolution: s[2],
            logiciels: s[3],
            internet_3mois: internet,
            illectronisme: illectronisme(internet, s),
            personnes_foyer: personnes_foyer(&self.questions, |code| propres.get(code)),
        };
        Ok((propres, scores))
    }
}

/// The household's size from the numbers answered to the household questions.
fn personnes_foyer<'v>(
    questions: &[Question],
    valeur: impl Fn(&str) -> Option<&'v Value>,
) -> Option<i64> {
    let nombres: Vec<i64> = questions
        .iter()
        .filter(|q| q.theme == THEME_FOYER && q.genre == TypeQuestion::Nombre)
        .filter_map(|q| valeur(&q.code).and_then(Value::as_i64))
        .collect();
    let total: i64 = nombres.iter().map(|n| (*n).max(0)).sum();
    (!nombres.is_empty() && total > 0).then_some(total)
}

/// The household's size of stored answers (`{code: value}`), as the sync computed it.
pub fn personnes_foyer_de(
    q: &Questionnaire,
    reponses: &serde_json::Map<String, Value>,
) -> Option<i64> {
    personnes_foyer(&q.questions, |code| reponses.get(code))
}

fn code_valide(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 60
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn verifier_question(q: &Question) -> Result<(), ErreurEnquete> {
    if !code_valide(&q.code) {
        return Err(invalide(
            "code",
            format!(
                "« {} » : un code de question s’écrit en minuscules, chiffres et « _ » (60 caractères au plus)",
                q.code
            ),
        ));
    }
    let libelle = q.libelle.trim();
    if libelle.is_empty() || libelle.chars().count() > 300 {
        return Err(invalide(
            &q.code,
            "le libellé est obligatoire (300 caractères au plus)",
        ));
    }
    match q.genre {
        TypeQuestion::ChoixUnique | TypeQuestion::ChoixMultiple => {
            if q.options.len() < 2 {
                return Err(invalide(
                    &q.code,
                    "une question à choix a au moins deux options",
                ));
            }
            let mut vus = HashSet::new();
            for o in &q.options {
                if o.code.trim().is_empty() || o.libelle.trim().is_empty() {
                    return Err(invalide(&q.code, "chaque option a un code et un libellé"));
                }
                if !vus.insert(o.code.as_str()) {
                    return Err(invalide(
                        &q.code,
                        format!("l’option « {} » est en double", o.code),
                    ));
                }
            }
        }
        _ => {
            if !q.options.is_empty() {
                return Err(invalide(
                    &q.code,
                    "seules les questions à choix ont des options",
                ));
            }
        }
    }
    if let (Some(min), Some(max)) = (q.min, q.max) {
        if min > max {
            return Err(invalide(&q.code, "le minimum dépasse le maximum"));
        }
    }
    if q.domaine.is_some() && q.genre != TypeQuestion::ChoixMultiple {
        return Err(invalide(
            &q.code,
            "une question de compétences est un choix multiple d’activités",
        ));
    }
    Ok(())
}

fn verifier_valeur(q: &Question, v: &Value) -> Result<Value, ErreurEnquete> {
    let option = |c: &str| q.options.iter().any(|o| o.code == c);
    match q.genre {
        TypeQuestion::ChoixUnique => match v.as_str() {
            Some(c) if option(c) => Ok(Value::String(c.to_string())),
            _ => Err(invalide(&q.code, "choisissez une des options proposées")),
        },
        TypeQuestion::ChoixMultiple => {
            let liste = v
                .as_array()
                .ok_or_else(|| invalide(&q.code, "la réponse doit être une liste d’options"))?;
            let mut choisis: Vec<String> = Vec::new();
            for c in liste {
                let c = c
                    .as_str()
                    .filter(|c| option(c))
                    .ok_or_else(|| invalide(&q.code, "une option choisie n’existe pas"))?;
                if !choisis.iter().any(|x| x == c) {
                    choisis.push(c.to_string());
                }
            }
            if choisis.len() > 1
                && choisis
                    .iter()
                    .any(|c| OPTIONS_EXCLUSIVES.contains(&c.as_str()))
            {
                return Err(invalide(
                    &q.code,
                    "« aucune » ne peut pas être choisie avec une autre option",
                ));
            }
            Ok(Value::Array(
                choisis.into_iter().map(Value::String).collect(),
            ))
        }
        TypeQuestion::Nombre => {
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse::<i64>().ok()))
                .ok_or_else(|| invalide(&q.code, "indiquez un nombre entier"))?;
            if q.min.is_some_and(|m| n < m) || q.max.is_some_and(|m| n > m) {
                return Err(invalide(
                    &q.code,
                    format!(
                        "le nombre doit être entre {} et {}",
                        q.min.unwrap_or(i64::MIN),
                        q.max.unwrap_or(i64::MAX)
                    ),
                ));
            }
            Ok(Value::from(n))
        }
        TypeQuestion::TexteCourt => {
            let t = v
                .as_str()
                .ok_or_else(|| invalide(&q.code, "la réponse doit être un texte"))?
                .trim();
            if t.chars().count() > TEXTE_COURT_MAX {
                return Err(invalide(
                    &q.code,
                    format!("{TEXTE_COURT_MAX} caractères au plus"),
                ));
            }
            Ok(Value::String(t.to_string()))
        }
        TypeQuestion::OuiNon => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s == "oui" => Ok(Value::Bool(true)),
            Value::String(s) if s == "non" => Ok(Value::Bool(false)),
            _ => Err(invalide(&q.code, "répondez oui ou non")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn standard() -> Questionnaire {
        Questionnaire::standard().expect("the standard questionnaire is valid")
    }

    #[test]
    fn the_standard_questionnaire_has_every_theme_of_the_brief() {
        let q = standard();
        assert_eq!((q.code.as_str(), q.version), ("standard", 1));
        for theme in [
            "foyer",
            "equipement",
            "usage",
            "competences",
            "demarches",
            "besoins",
        ] {
            assert!(q.questions.iter().any(|x| x.theme == theme), "{theme}");
        }
        // The ten démarches of Aidants Connect.
        let d = q.question("demarches_difficiles").expect("démarches");
        assert_eq!(d.options.len(), 10);
        assert!(d.options.iter().any(|o| o.code == "etranger"));
        let p = q.question("preference").expect("preference");
        for c in ["apprendre", "etre_montre", "faire_pour_moi"] {
            assert!(p.options.iter().any(|o| o.code == c), "{c}");
        }
    }

    #[test]
    fn domain_scores_are_zero_one_two() {
        assert_eq!(score_domaine(0), 0);
        assert_eq!(score_domaine(1), 1);
        assert_eq!(score_domaine(2), 2);
        assert_eq!(score_domaine(4), 2);
    }

    #[test]
    fn illectronisme_follows_the_insee_definition() {
        assert!(illectronisme(false, [2, 2, 2, 2]), "no internet use");
        assert!(illectronisme(true, [0, 0, 0, 0]), "no basic skill anywhere");
        assert!(!illectronisme(true, [0, 0, 1, 0]), "one basic skill");
        assert!(!illectronisme(true, [2, 1, 0, 0]));
    }

    #[test]
    fn an_answered_questionnaire_is_scored() {
        let q = standard();
        let (propres, s) = q
            .noter(&json!({
                "age": "60-74",
                "internet_3mois": "oui",
                "competences_information": ["chercher_info", "info_service_public"],
                "competences_communication": ["courriel"],
                "competences_resolution": ["aucune"],
                "foyer_60_74": "2",
            }))
            .expect("valid");
        assert_eq!(s.information, 2);
        assert_eq!(s.communication, 1);
        assert_eq!(s.resolution, 0);
        assert_eq!(s.logiciels, 0);
        assert!(s.internet_3mois);
        assert!(!s.illectronisme);
        assert_eq!(propres["foyer_60_74"], json!(2));
        assert_eq!(propres["internet_3mois"], json!(true));
        assert_eq!(s.personnes_foyer, Some(2), "the household questions summed");

        let (_, s) = q
            .noter(&json!({"age": "75+", "internet_3mois": false,
                           "competences_information": ["chercher_info"]}))
            .expect("valid");
        assert_eq!(
            s.information, 0,
            "without internet use, activities count for nothing"
        );
        assert!(s.illectronisme);

        let (_, s) = q
            .noter(&json!({"age": "45-59", "internet_3mois": true,
                           "competences_information": ["aucune"]}))
            .expect("valid");
        assert!(s.illectronisme, "internet used but no skill in any domain");
        assert_eq!(s.personnes_foyer, None, "household not described");

        let (_, s) = q
            .noter(&json!({"age": "30-44", "internet_3mois": true,
                           "foyer_moins_18": 2, "foyer_18_59": 1, "foyer_75_plus": 0}))
            .expect("valid");
        assert_eq!(s.personnes_foyer, Some(3));
    }

    #[test]
    fn bad_answers_name_the_question() {
        let q = standard();
        let cas = [
            (json!({"age": "60-74"}), "internet_3mois"),
            (json!({"age": "12", "internet_3mois": true}), "age"),
            (
                json!({"age": "75+", "internet_3mois": "peut-être"}),
                "internet_3mois",
            ),
            (
                json!({"age": "75+", "internet_3mois": true, "inconnue": 1}),
                "inconnue",
            ),
            (
                json!({"age": "75+", "internet_3mois": true, "foyer_75_plus": 99}),
                "foyer_75_plus",
            ),
            (
                json!({"age": "75+", "internet_3mois": true,
                       "competences_logiciels": ["aucune", "tableur"]}),
                "competences_logiciels",
            ),
        ];
        for (reponses, champ) in cas {
            match q.noter(&reponses) {
                Err(ErreurEnquete::Invalide { champ: c, .. }) => assert_eq!(c, champ, "{reponses}"),
                other => panic!("{reponses}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_territory_adds_questions_in_a_new_version() {
        let q = standard();
        let ajout = Question {
            code: "mediatheque".into(),
            libelle: "Connaissez-vous l’espace numérique de la médiathèque ?".into(),
            genre: TypeQuestion::OuiNon,
            theme: "territoire".into(),
            requise: false,
            options: vec![],
            min: None,
            max: None,
            domaine: None,
            role: None,
        };
        let v2 = q.etendre(vec![ajout.clone()]).expect("extended");
        assert_eq!(v2.version, 2);
        assert_eq!(v2.questions.len(), q.questions.len() + 1);
        let (p, _) = v2
            .noter(&json!({"age": "30-44", "internet_3mois": true, "mediatheque": "non"}))
            .expect("valid");
        assert_eq!(p["mediatheque"], json!(false));
        // The base version does not know the added question.
        assert!(q
            .noter(&json!({"age": "30-44", "internet_3mois": true, "mediatheque": "non"}))
            .is_err());
        // A clash of codes, or an added question that would score a domain, is refused.
        let mut doublon = ajout.clone();
        doublon.code = "age".into();
        assert!(q.etendre(vec![doublon]).is_err());
        let mut domaine = ajout;
        domaine.genre = TypeQuestion::ChoixMultiple;
        domaine.domaine = Some(Domaine::Information);
        domaine.options = vec![
            Choix {
                code: "a".into(),
                libelle: "A".into(),
            },
            Choix {
                code: "b".into(),
                libelle: "B".into(),
            },
        ];
        assert!(q.etendre(vec![domaine]).is_err());
        // The JSON round trip keeps the version.
        assert_eq!(Questionnaire::lire(&v2.json()).expect("read back"), v2);
    }
}
