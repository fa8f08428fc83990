//! Typed queries and forms: each handler names what it reads in a `#[derive(Deserialize)]`
//! struct (fields `Option<String>` or `#[serde(default)] String`, converted to domain values
//! by the handler, with `TryFrom` where a conversion can fail), read leniently as the pages
//! always were: a query's repeated parameter keeps its last value, a form's repeated field its
//! first, a form is read whatever its content type, and bytes that are not UTF-8 are
//! replaced. Forms of the signed-in space go through [`FormulaireConnecte`], which checks the
//! CSRF token (`csrf`) against the session's before anything else is read.

use crate::erreur::ErreurWeb;
use crate::espace::{verifier_csrf, Connecte};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use maillage_comptes::Acteur;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// What people see when a query or a form cannot be read into its struct.
const ILLISIBLE: &str =
    "Ce qui a été envoyé ne peut pas être lu : revenez en arrière, rechargez la page et recommencez.";

/// Reads `application/x-www-form-urlencoded` bytes into `T`, keeping the first (`premier`) or
/// the last value of a repeated name.
fn lire<T: DeserializeOwned>(octets: &[u8], premier: bool) -> Result<T, ErreurWeb> {
    lire_paires(
        form_urlencoded::parse(octets).map(|(k, v)| (k.into_owned(), v.into_owned())),
        premier,
    )
}

/// Reads name-value pairs into `T`, keeping the first (`premier`) or the last value of a
/// repeated name.
fn lire_paires<T: DeserializeOwned>(
    lues: impl IntoIterator<Item = (String, String)>,
    premier: bool,
) -> Result<T, ErreurWeb> {
    let mut paires: Vec<(String, String)> = Vec::new();
    for (k, v) in lues {
        match paires.iter_mut().find(|(nom, _)| *nom == k) {
            Some(_) if premier => {}
            Some(p) => p.1 = v,
            None => paires.push((k, v)),
        }
    }
    let texte = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&paires)
        .finish();
    serde_urlencoded::from_str(&texte).map_err(|e| {
        tracing::debug!("unreadable query or form: {e}");
        ErreurWeb::Requete(ILLISIBLE.to_string())
    })
}

/// Reads a form body into `T` (a repeated field keeps its first value).
pub(crate) fn lire_formulaire<T: DeserializeOwned>(corps: &[u8]) -> Result<T, ErreurWeb> {
    lire(corps, true)
}

/// The query of a request read into `T` (a repeated parameter keeps its last value).
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
        let jeton: Jeton = lire_formulaire(&corps).map_err(IntoResponse::into_response)?;
        verifier_csrf(&acteur, jeton.csrf.as_deref()).map_err(IntoResponse::into_response)?;
        let champs = lire_formulaire(&corps).map_err(IntoResponse::into_response)?;
        Ok(FormulaireConnecte(acteur, champs))
    }
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
}
