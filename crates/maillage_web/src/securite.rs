//! Hardened responses: the security headers every answer carries, and the
//! Content-Security-Policy of every page, without `unsafe-inline`.
//!
//! The few inline blocks of the pages (the public CSS carried inline to save a request, the
//! territory's colours, the print styles of Mandats, the small script of the home and
//! results pages, the kiosk's restart) are allowed by their SHA-256 hash, computed from the
//! page as it is sent: a template that adds an inline block is covered without a list to
//! keep in step, and nothing else inline can run. JSON-LD data blocks are not scripts.
//!
//! Every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy`, `Permissions-Policy`
//! (camera and geolocation for this origin only: the check-in scanner, « Utiliser ma
//! position »), and `Strict-Transport-Security` when the public address is `https://`
//! (`MAILLAGE_ADRESSE_PUBLIQUE`). Pages: the policy below and `X-Frame-Options: DENY`, except
//! the pages made to be embedded (the widgets), whose handler sets `frame-ancestors *`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::AppState;

/// How long browsers keep to HTTPS (one year).
const HSTS: &str = "max-age=31536000";

/// The inline blocks of an HTML page, as hashes for the policy: (scripts, styles).
pub fn empreintes_en_ligne(html: &str) -> (Vec<String>, Vec<String>) {
    let mut scripts = Vec::new();
    let mut styles = Vec::new();
    for (balise, liste) in [("script", &mut scripts), ("style", &mut styles)] {
        let ouvrante = format!("<{balise}");
        let fermante = format!("</{balise}>");
        let mut reste = html;
        while let Some(debut) = reste.find(&ouvrante) {
            let apres = &reste[debut + ouvrante.len()..];
            // `<scripts…` or `<styles…` are other tags.
            if !apres.starts_with(['>', ' ', '\t', '\n', '\r']) {
                reste = apres;
                continue;
            }
            let Some(fin_tag) = apres.find('>') else {
                break;
            };
            let attributs = &apres[..fin_tag];
            let corps_et_suite = &apres[fin_tag + 1..];
            let Some(fin) = corps_et_suite.find(&fermante) else {
                break;
            };
            let corps = &corps_et_suite[..fin];
            let externe = attributs.contains("src=");
            let donnees = attributs.contains("application/ld+json");
            if !externe && !donnees && !corps.is_empty() {
                let h = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(corps));
                let e = format!("'sha256-{h}'");
                if !liste.contains(&e) {
                    liste.push(e);
                }
            }
            reste = &corps_et_suite[fin + fermante.len()..];
        }
    }
    (scripts, styles)
}

/// The origin of the map tiles (`https://tile.openstreetmap.org/{z}/{x}/{y}.png` →
/// `https://tile.openstreetmap.org`; a `{s}` subdomain becomes `*`).
pub fn origine_tuiles(url: &str) -> Option<String> {
    let (schema, reste) = url.split_once("://")?;
    let hote = reste.split('/').next()?;
    if hote.is_empty() {
        return None;
    }
    let hote = hote.replace("{s}", "*");
    Some(format!("{schema}://{hote}"))
}

/// The policy of a page.
pub fn politique(html: &str, tuiles: Option<&str>, cadres: &str) -> String {
    let (scripts, styles) = empreintes_en_ligne(html);
    let mut p = String::from("default-src 'self'; script-src 'self'");
    for s in &scripts {
        p.push(' ');
        p.push_str(s);
    }
    p.push_str("; style-src 'self'");
    for s in &styles {
        p.push(' ');
        p.push_str(s);
    }
    p.push_str("; img-src 'self' data: blob:");
    if let Some(t) = tuiles {
        p.push(' ');
        p.push_str(t);
    }
    p.push_str("; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors ");
    p.push_str(cadres);
    p
}

/// Put in a page's extensions by a handler that set the page's Content-Security-Policy
/// itself, computed with [`politique`] from the page's text (a page kept as sent, maybe
/// compressed already): the layer then leaves the body unread.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PolitiqueFaite;

/// The layer: headers on every answer, the policy on every page.
pub(crate) async fn en_tetes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let reponse = next.run(req).await;
    let (mut parties, corps) = reponse.into_parts();
    let h = &mut parties.headers;
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A page that carries a secret in its address (the ticket) keeps its stricter policy.
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    if crate::espace::connexion::securise(&state) {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !html {
        return Response::from_parts(parties, corps);
    }
    // A handler made the page to be embedded (`frame-ancestors *`): kept.
    let cadres = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(';')
                .map(str::trim)
                .find_map(|d| d.strip_prefix("frame-ancestors "))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "'none'".to_string());
    if parties.extensions.get::<PolitiqueFaite>().is_some()
        && h.contains_key(header::CONTENT_SECURITY_POLICY)
    {
        if cadres == "'none'" {
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        return Response::from_parts(parties, corps);
    }
    let octets = match axum::body::to_bytes(corps, usize::MAX).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!("could not read a page to compute its CSP: {e}");
            return crate::erreur::ErreurWeb::interne(e.to_string()).into_response();
        }
    };
    let texte = String::from_utf8_lossy(&octets);
    let tuiles = origine_tuiles(&state.site.tuiles_url);
    let p = politique(&texte, tuiles.as_deref(), &cadres);
    match HeaderValue::from_str(&p) {
        Ok(v) => {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        Err(e) => tracing::error!("invalid CSP header: {e}"),
    }
    if cadres == "'none'" {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.remove(header::CONTENT_LENGTH);
    Response::from_parts(parties, Body::from(octets))
}

/// `/.well-known/security.txt` (RFC 9116): whom to tell about a vulnerability.
pub(crate) async fn security_txt(State(state): State<AppState>) -> Response {
    let adresse = state
        .instance
        .comptes()
        .reglages()
        .adresse_publique
        .trim_end_matches('/')
        .to_string();
    let contact = std::env::var("MAILLAGE_CONTACT_SECURITE")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| format!("{adresse}/"));
    let expire = (chrono::Utc::now() + chrono::Duration::days(180))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let texte = format!(
        "# Signaler une faille de sécurité de cette instance de Maillage.\n\
         Contact: {contact}\n\
         Expires: {expire}\n\
         Preferred-Languages: fr, en\n\
         Canonical: {adresse}/.well-known/security.txt\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], texte).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_blocs_en_ligne_sont_haches_et_les_autres_ignores() {
        let html = r#"<style>a{b:c}</style><script src="/x.js"></script>
<script type="application/ld+json">{"a":1}</script><script>alert(1)</script><scripts>
<script>alert(1)</script>"#;
        let (scripts, styles) = empreintes_en_ligne(html);
        let h = |s: &str| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s))
            )
        };
        assert_eq!(scripts, vec![h("alert(1)")]);
        assert_eq!(styles, vec![h("a{b:c}")]);
        let p = politique(html, Some("https://tile.openstreetmap.org"), "'none'");
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("img-src 'self' data: blob: https://tile.openstreetmap.org"));
    }

    #[test]
    fn origine_des_tuiles() {
        assert_eq!(
            origine_tuiles("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            origine_tuiles("https://{s}.tile.example.fr/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example.fr")
        );
        assert_eq!(origine_tuiles("/tuiles/{z}/{x}/{y}.png"), None);
    }
}
