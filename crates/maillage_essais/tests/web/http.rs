//! Requests through the router, as a browser would send them, and their answers: shared by
//! the web tests that sign in and post forms.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use maillage_web::{router, AppState};
use tower::ServiceExt;

pub(crate) struct Reponse {
    pub(crate) status: StatusCode,
    pub(crate) entetes: axum::http::HeaderMap,
    pub(crate) corps: String,
}

impl Reponse {
    /// The value of a cookie the answer sets.
    pub(crate) fn cookie(&self, nom: &str) -> Option<String> {
        self.entetes
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == nom)
            .map(|(_, v)| v.to_string())
    }

    pub(crate) fn location(&self) -> String {
        self.entetes
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }

    /// An attribute of the first element matching a CSS selector.
    pub(crate) fn champ(&self, selecteur: &str, attribut: &str) -> Option<String> {
        let doc = scraper::Html::parse_document(&self.corps);
        let sel = scraper::Selector::parse(selecteur).ok()?;
        doc.select(&sel)
            .next()
            .and_then(|e| e.value().attr(attribut))
            .map(String::from)
    }

    /// The texts of the elements `selecteur` selects.
    pub(crate) fn textes(&self, selecteur: &str) -> Vec<String> {
        let doc = scraper::Html::parse_document(&self.corps);
        let Ok(sel) = scraper::Selector::parse(selecteur) else {
            return Vec::new();
        };
        doc.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    }

    /// The value of a form's field (a hidden one: `csrf`, `jeton`…).
    pub(crate) fn champ_cache(&self, nom: &str) -> Option<String> {
        self.champ(&format!("input[name={nom}]"), "value")
    }
}

pub(crate) async fn envoyer(state: &AppState, req: Request<Body>) -> Reponse {
    let r = router(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = r.status();
    let entetes = r.headers().clone();
    let corps = r
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    Reponse {
        status,
        entetes,
        corps,
    }
}

/// A request, with a session cookie and a form body if given.
pub(crate) fn requete(
    methode: &str,
    uri: &str,
    cookie: Option<&str>,
    corps: Option<String>,
) -> Request<Body> {
    let mut b = Request::builder().method(methode).uri(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    match corps {
        Some(c) => b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(c))
            .expect("request"),
        None => b.body(Body::empty()).expect("request"),
    }
}

pub(crate) fn formulaire(champs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(champs)
        .finish()
}
