//! One record as read from a file, before checking: field name → raw value.

use serde_json::{Map, Value};
use std::collections::HashMap;

/// A raw value. Nulls and empty strings are simply absent from the record.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Valeur {
    Texte(String),
    /// A JSON number, with its text as written.
    Nombre(f64, String),
}

impl Valeur {
    /// The text, trimmed; `None` when empty.
    pub fn texte(&self) -> Option<String> {
        let t = match self {
            Valeur::Texte(t) => t.trim(),
            Valeur::Nombre(_, t) => t.trim(),
        };
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// A record: its number in the file, its fields, and what the reader already noticed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Enregistrement {
    /// 1-based record number (JSON) or line where it starts (CSV).
    pub numero: usize,
    pub champs: HashMap<String, Valeur>,
    pub corrections: Vec<(String, String)>,
    pub rejets: Vec<(String, String)>,
}

impl Enregistrement {
    pub fn new(numero: usize) -> Self {
        Self {
            numero,
            ..Self::default()
        }
    }

    /// Sets a text field (empty text is ignored).
    pub fn poser(&mut self, champ: &str, texte: &str) {
        if !texte.trim().is_empty() {
            self.champs
                .insert(champ.to_string(), Valeur::Texte(texte.to_string()));
        }
    }

    pub fn valeur(&self, champ: &str) -> Option<&Valeur> {
        self.champs.get(champ)
    }

    /// A field's text, trimmed; `None` when absent or empty.
    pub fn texte(&self, champ: &str) -> Option<String> {
        self.champs.get(champ).and_then(Valeur::texte)
    }

    /// A record from a JSON object: strings and numbers as they are, booleans as `true` /
    /// `false`, arrays of scalars joined with `|`; objects and nested arrays are dropped and
    /// reported.
    pub fn depuis_objet(numero: usize, objet: &Map<String, Value>) -> Self {
        let mut e = Self::new(numero);
        for (cle, valeur) in objet {
            match valeur {
                Value::Null => {}
                Value::String(s) => e.poser(cle, s),
                Value::Number(n) => {
                    let texte = n.to_string();
                    let x = n.as_f64().unwrap_or(f64::NAN);
                    e.champs.insert(cle.clone(), Valeur::Nombre(x, texte));
                }
                Value::Bool(b) => e.poser(cle, if *b { "true" } else { "false" }),
                Value::Array(a) => {
                    let mut parties = Vec::new();
                    let mut ignore = false;
                    for v in a {
                        match v {
                            Value::String(s) => parties.push(s.trim().to_string()),
                            Value::Number(n) => parties.push(n.to_string()),
                            Value::Bool(b) => parties.push(b.to_string()),
                            Value::Null => {}
                            Value::Array(_) | Value::Object(_) => ignore = true,
                        }
                    }
                    if ignore {
                        e.corrections.push((
                            cle.clone(),
                            "valeurs imbriquées (tableau ou objet dans un tableau) ignorées"
                                .to_string(),
                        ));
                    }
                    parties.retain(|p| !p.is_empty());
                    e.poser(cle, &parties.join("|"));
                }
                Value::Object(_) => e.corrections.push((
                    cle.clone(),
                    "valeur de type objet, inattendue pour ce champ : ignorée".to_string(),
                )),
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_become_texts() {
        let v: Value = serde_json::from_str(
            r#"{"id": 12, "nom": "  A  ", "vide": "  ", "n": null, "services": ["a", " b ", null],
                "x": {"y": 1}, "lat": 45.5, "b": true}"#,
        )
        .unwrap_or_default();
        let e = Enregistrement::depuis_objet(3, v.as_object().unwrap_or(&Map::new()));
        assert_eq!(e.numero, 3);
        assert_eq!(e.texte("id").as_deref(), Some("12"));
        assert_eq!(e.texte("nom").as_deref(), Some("A"));
        assert_eq!(e.texte("vide"), None);
        assert_eq!(e.texte("n"), None);
        assert_eq!(e.texte("services").as_deref(), Some("a|b"));
        assert_eq!(e.valeur("lat"), Some(&Valeur::Nombre(45.5, "45.5".into())));
        assert_eq!(e.texte("b").as_deref(), Some("true"));
        assert_eq!(e.texte("x"), None);
        assert_eq!(e.corrections.len(), 1);
    }
}
