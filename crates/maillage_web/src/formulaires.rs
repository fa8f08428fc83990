//! Typed queries and forms: each handler names what it reads in a `#[derive(Deserialize)]`
//! struct (fields `Option<String>` or `#[serde(default)] String`, converted to domain values
//! by the handler, with `TryFrom` where a conversion can fail), read leniently as the pages
//! always were: a query's repeated parameter keeps its last value, a form's repeated field its
//! first, a form is read whatever its content type, and bytes that are not UTF-8 are
//! replaced. A field that is a sequence (`#[serde(default)] demarche: Vec<String>`, or
//! [`Repete`]) gets every value of its name, in order: the boxes ticked in a list of
//! checkboxes, the rows of a repeated group. Forms of the signed-in space go through
//! [`FormulaireConnecte`], which checks the CSRF token (`csrf`) against the session's before
//! anything else is read.

use crate::erreur::ErreurWeb;
use crate::espace::{verifier_csrf, Connecte};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use maillage_comptes::Acteur;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::Deserialize;

/// What people see when a query or a form cannot be read into its struct.
const ILLISIBLE: &str =
    "Ce qui a été envoyé ne peut pas être lu : revenez en arrière, rechargez la page et recommencez.";

/// Reads `application/x-www-form-urlencoded` bytes into `T`: a field that is not a sequence
/// keeps the first (`premier`) or the last value of a repeated name.
fn lire<T: DeserializeOwned>(octets: &[u8], premier: bool) -> Result<T, ErreurWeb> {
    lire_paires(
        form_urlencoded::parse(octets).map(|(k, v)| (k.into_owned(), v.into_owned())),
        premier,
    )
}

/// Reads name-value pairs into `T`: a field that is not a sequence keeps the first
/// (`premier`) or the last value of a repeated name, a sequence every value in order.
fn lire_paires<T: DeserializeOwned>(
    lues: impl IntoIterator<Item = (String, String)>,
    premier: bool,
) -> Result<T, ErreurWeb> {
    let mut champs: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in lues {
        match champs.iter_mut().find(|(nom, _)| *nom == k) {
            Some((_, valeurs)) => valeurs.push(v),
            None => champs.push((k, vec![v])),
        }
    }
    T::deserialize(Lecteur {
        champs: champs.into_iter(),
        valeurs: Vec::new(),
        premier,
    })
    .map_err(|e| {
        tracing::debug!("unreadable query or form: {e}");
        ErreurWeb::Requete(ILLISIBLE.to_string())
    })
}

/// A parameter that may be given several times (`rayon_km=&rayon_km=10`): its values in
/// order, for the pages that read the first one that is not empty.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Repete(pub Vec<String>);

impl Repete {
    /// The first value that is not empty once trimmed, trimmed.
    pub fn premier(&self) -> Option<&str> {
        self.0.iter().map(|v| v.trim()).find(|v| !v.is_empty())
    }

    /// The first value that is not empty, as sent: for numbers, where spaces are not allowed
    /// (a value made of spaces is an error, not an absent parameter).
    pub fn premier_brut(&self) -> Option<&str> {
        self.0.iter().map(String::as_str).find(|v| !v.is_empty())
    }
}

/// The fields of a query or form, by name in the order they first appear, each with every
/// value it was given: read as a map into the handler's struct.
struct Lecteur {
    champs: std::vec::IntoIter<(String, Vec<String>)>,
    /// The values of the name just read.
    valeurs: Vec<String>,
    premier: bool,
}

impl<'de> de::Deserializer<'de> for Lecteur {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _nom: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::MapAccess<'de> for Lecteur {
    type Error = de::value::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.champs.next() {
            Some((nom, valeurs)) => {
                self.valeurs = valeurs;
                seed.deserialize(Texte(nom)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(Valeurs {
            valeurs: std::mem::take(&mut self.valeurs),
            premier: self.premier,
        })
    }
}

/// Every value of one name: a sequence reads them all, anything else the first or the last.
struct Valeurs {
    valeurs: Vec<String>,
    premier: bool,
}

impl Valeurs {
    fn choisie(mut self) -> Texte {
        let v = if self.premier {
            self.valeurs.into_iter().next()
        } else {
            self.valeurs.pop()
        };
        Texte(v.unwrap_or_default())
    }
}

/// The methods of [`Valeurs`] that read one value.
macro_rules! une_valeur {
    ($($methode:ident)*) => {$(
        fn $methode<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.choisie().$methode(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Valeurs {
    type Error = de::value::Error;

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let mut suite = de::value::SeqDeserializer::new(self.valeurs.into_iter().map(Texte));
        let lu = visitor.visit_seq(&mut suite)?;
        suite.end()?;
        Ok(lu)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _taille: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _nom: &'static str,
        _taille: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    /// A name that is present is `Some`, whatever its value (`a=` is `Some("")`).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    /// A newtype (an id, [`Repete`]) reads what its content reads: one value or them all.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _nom: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        nom: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.choisie().deserialize_unit_struct(nom, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        nom: &'static str,
        champs: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.choisie().deserialize_struct(nom, champs, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        nom: &'static str,
        variantes: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.choisie().deserialize_enum(nom, variantes, visitor)
    }

    une_valeur! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_map deserialize_identifier deserialize_ignored_any
    }
}

/// One value (or a name), read as `serde_urlencoded` reads one: numbers and booleans parsed
/// from the text, an enum by the name of a unit variant, an `Option` always `Some`.
struct Texte(String);

impl<'de> IntoDeserializer<'de, de::value::Error> for Texte {
    type Deserializer = Texte;

    fn into_deserializer(self) -> Texte {
        self
    }
}

/// The methods of [`Texte`] that parse a number or a boolean.
macro_rules! analyser {
    ($($methode:ident => $visite:ident: $type:ty,)*) => {$(
        fn $methode<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.0.parse::<$type>() {
                Ok(v) => visitor.$visite(v),
                Err(e) => Err(de::Error::custom(e)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Texte {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _nom: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _nom: &'static str,
        _variantes: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    analyser! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// Reads a form body into `T` (a repeated field keeps its first value, a sequence all).
pub(crate) fn lire_formulaire<T: DeserializeOwned>(corps: &[u8]) -> Result<T, ErreurWeb> {
    lire(corps, true)
}

/// The query of a request read into `T` (a repeated parameter keeps its last value, a
/// sequence all).
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ErreurWeb;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        lire(parts.uri.query().unwrap_or("").as_bytes(), false).map(Params)
    }
}

/// A public form read into `T` as axum's `Form` reads it (a form content type is required,
/// else the framework's refusal, said in French by [`crate::erreur::rendre_erreurs`]); a
/// repeated field keeps its last value.
pub struct Formulaire<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Formulaire<T> {
    type Rejection = Response;

    async fn from_request(requete: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(paires) = axum::Form::<Vec<(String, String)>>::from_request(requete, state)
            .await
            .map_err(IntoResponse::into_response)?;
        lire_paires(paires, false)
            .map(Formulaire)
            .map_err(IntoResponse::into_response)
    }
}

/// The CSRF token of a form.
#[derive(Deserialize)]
struct Jeton {
    csrf: Option<String>,
}

/// A form of a signed-in page: the signed-in actor (else the redirect of [`Connecte`]), and
/// the fields read into `T` once the form's `csrf` matches the session's (else 403). A
/// handler whose other extractors must refuse after the session check (a `Path`) takes
/// [`Connecte`] first: the actor is read once per request.
pub struct FormulaireConnecte<T>(pub Acteur, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for FormulaireConnecte<T> {
    type Rejection = Response;

    async fn from_request(requete: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, corps) = requete.into_parts();
        let Connecte(acteur) = Connecte::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let corps = Bytes::from_request(Request::from_parts(parts, corps), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let champs =
            lire_formulaire_connecte(&acteur, &corps).map_err(IntoResponse::into_response)?;
        Ok(FormulaireConnecte(acteur, champs))
    }
}

/// What [`FormulaireConnecte`] reads from a body: the fields in `T` once the form's `csrf`
/// matches the session's (else 403), for a handler that must refuse something else first
/// (someone else's object answers 404 whatever the token).
pub(crate) fn lire_formulaire_connecte<T: DeserializeOwned>(
    acteur: &Acteur,
    corps: &[u8],
) -> Result<T, ErreurWeb> {
    let jeton: Jeton = lire_formulaire(corps)?;
    verifier_csrf(acteur, jeton.csrf.as_deref())?;
    lire_formulaire(corps)
}

/// A form that carries only its CSRF token (sign out, delete…).
#[derive(Deserialize)]
pub struct SansChamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Essai {
        a: Option<String>,
        #[serde(default)]
        b: String,
    }

    #[test]
    fn repeated_names_and_missing_fields() {
        let f: Result<Essai, _> = lire_formulaire(b"a=1&a=2&c=3");
        assert_eq!(
            f.ok(),
            Some(Essai {
                a: Some("1".into()),
                b: String::new()
            })
        );
        let q: Result<Essai, _> = lire(b"a=1&a=2&b=%C3%A9+x", false);
        assert_eq!(
            q.ok(),
            Some(Essai {
                a: Some("2".into()),
                b: "é x".into()
            })
        );
        let vide: Result<Essai, _> = lire(b"a=&b", false);
        assert_eq!(
            vide.ok(),
            Some(Essai {
                a: Some(String::new()),
                b: String::new()
            })
        );
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Cases {
        #[serde(default)]
        demarche: Vec<String>,
        action: Option<String>,
        #[serde(default)]
        groupe: Repete,
    }

    #[test]
    fn sequences_get_every_value_in_order() {
        let f: Result<Cases, _> =
            lire_formulaire(b"demarche=sante&action=revocation&demarche=&demarche=logement");
        assert_eq!(
            f.ok(),
            Some(Cases {
                demarche: vec!["sante".into(), String::new(), "logement".into()],
                action: Some("revocation".into()),
                groupe: Repete::default(),
            })
        );
        let q: Result<Cases, _> = lire(b"groupe=+&groupe=+3+&action=a&action=b", false);
        let q = q.ok();
        assert_eq!(q.as_ref().and_then(|q| q.action.as_deref()), Some("b"));
        assert_eq!(q.as_ref().and_then(|q| q.groupe.premier()), Some("3"));
        assert_eq!(q.as_ref().and_then(|q| q.groupe.premier_brut()), Some(" "));
        assert_eq!(q.map(|q| q.demarche), Some(Vec::new()));
        let une: Result<Cases, _> = lire_formulaire(b"demarche=sante");
        assert_eq!(
            une.ok().map(|c| c.demarche),
            Some(vec!["sante".to_string()])
        );
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum Couleur {
        #[serde(rename = "rouge")]
        Rouge,
        #[serde(rename = "vert")]
        Vert,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Types {
        n: Option<i64>,
        #[serde(default)]
        x: f64,
        b: Option<bool>,
        c: Option<Couleur>,
        id: Option<maillage_domain::MandatId>,
        #[serde(rename = "type")]
        genre: Option<String>,
    }

    /// Scalars read as `serde_urlencoded` (what the forms were read with before sequences)
    /// reads them, once repeated names are reduced to one value.
    #[test]
    fn scalars_read_as_serde_urlencoded_reads_them() {
        for texte in [
            "n=12&x=1.5&b=true&c=vert&id=7&type=collectif",
            "n=-3&c=rouge",
            "",
            "n=&x=2",
            "n=douze",
            "b=oui",
            "c=bleu",
            "id=sept",
            "id=",
            "inconnu=1&n=4",
            "x=%C3%A9",
        ] {
            let attendu: Result<Types, _> = serde_urlencoded::from_str(texte);
            let lu: Result<Types, _> = lire(texte.as_bytes(), true);
            assert_eq!(lu.ok(), attendu.ok(), "{texte}");
        }
        let complet: Result<Types, _> = lire(b"n=12&x=1.5&b=true&c=vert&id=7&type=a", true);
        assert_eq!(
            complet.ok(),
            Some(Types {
                n: Some(12),
                x: 1.5,
                b: Some(true),
                c: Some(Couleur::Vert),
                id: Some(maillage_domain::MandatId::new(7)),
                genre: Some("a".into()),
            })
        );
        let q: Result<Types, _> = lire(b"id=3&id=4", false);
        assert_eq!(
            q.ok().and_then(|t| t.id),
            Some(maillage_domain::MandatId::new(4))
        );
    }
}
