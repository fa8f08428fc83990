//! A local OpenID Connect provider for tests (axum on 127.0.0.1:0), shared by the tests of
//! `maillage_identite` (`tests/oidc_local.rs`, the client against it) and the two-node test
//! of `maillage` (`maillage_cli/tests/cli/deux_noeuds.rs`, two `maillage serve` against it),
//! each including this file with `#[path = …] mod fournisseur_oidc;`.
//!
//! It auto-approves `/authorize` (no page: a 303 straight back to the redirect URI with a
//! code and the state), checks the client credentials, the code (single use), the redirect
//! URI and the PKCE verifier at `/token`, and signs id_tokens with keys generated here.
//! [`Scenario`] changes one thing in what it sends, for the refusal tests.

// Each test target uses its part (the two-node test no scenario, no key rotation).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand_core::OsRng;
use reqwest::Url;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub(crate) const CLIENT_ID: &str = "maillage";
/// Characters that must be form-urlencoded in HTTP Basic (RFC 6749 §2.3.1).
pub(crate) const CLIENT_SECRET: &str = "secret: très+secret";
pub(crate) const SUJET: &str = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1";
/// The person the provider identifies (userinfo).
pub(crate) const NOM: &str = "DUBOIS";
pub(crate) const PRENOMS: &str = "Angela Claire Louise";
pub(crate) const NAISSANCE: &str = "1962-08-24";

// ---------------------------------------------------------------------------------------------
// Keys

/// A signing key of the test provider and its public JWK.
#[derive(Clone)]
pub(crate) struct Cle {
    pub(crate) alg: Algorithm,
    pub(crate) kid: String,
    pub(crate) privee: EncodingKey,
    pub(crate) publique: Jwk,
}

impl Cle {
    pub(crate) fn nouvelle(alg: Algorithm, kid: &str, privee: EncodingKey) -> Cle {
        let publique = Jwk::from_encoding_key(&privee, alg).unwrap();
        Cle::avec_jwk(alg, kid, privee, publique)
    }

    pub(crate) fn avec_jwk(
        alg: Algorithm,
        kid: &str,
        privee: EncodingKey,
        mut publique: Jwk,
    ) -> Cle {
        publique.common.key_id = Some(kid.to_owned());
        Cle {
            alg,
            kid: kid.to_owned(),
            privee,
            publique,
        }
    }

    pub(crate) fn es256(kid: &str) -> Cle {
        use p256::pkcs8::EncodePrivateKey;
        let privee = p256::ecdsa::SigningKey::random(&mut OsRng);
        let der = privee.to_pkcs8_der().unwrap();
        Cle::nouvelle(
            Algorithm::ES256,
            kid,
            EncodingKey::from_ec_der(der.as_bytes()),
        )
    }

    pub(crate) fn signer(&self, revendications: &Value) -> String {
        let mut entete = Header::new(self.alg);
        entete.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&entete, revendications, &self.privee).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Test provider

/// What the test provider does differently from a correct provider.
#[derive(Default)]
pub(crate) struct Scenario {
    /// Issuer announced in the discovery document.
    pub(crate) issuer_publie: Option<String>,
    /// `nonce` of the id_token instead of the one of the authorization request.
    pub(crate) nonce: Option<String>,
    /// Signs the id_token with this key instead of the published one.
    pub(crate) cle_id_token: Option<Cle>,
    /// Replaces the id_token by this one.
    pub(crate) id_token: Option<String>,
    /// Sends no id_token.
    pub(crate) sans_id_token: bool,
    /// `exp` relative to now, in seconds (default 300).
    pub(crate) exp: Option<i64>,
    /// `iat` relative to now, in seconds (default 0).
    pub(crate) iat: Option<i64>,
    pub(crate) aud: Option<Value>,
    pub(crate) iss: Option<String>,
    /// `sub` returned by userinfo.
    pub(crate) sub_infos: Option<String>,
    /// Userinfo answered as a JWT signed with this key (FranceConnect v2).
    pub(crate) infos_jwt: Option<Cle>,
}

/// A code delivered by `/authorize`.
struct Autorisation {
    nonce: String,
    code_challenge: String,
    redirect_uri: String,
}

pub(crate) struct Etat {
    pub(crate) issuer: String,
    /// The client's redirect URI: the only one `/authorize` and `/token` accept.
    pub(crate) redirect_uri: String,
    /// `client_secret_basic` or `client_secret_post`: the only method accepted.
    pub(crate) methode_auth: &'static str,
    pub(crate) cle: Cle,
    pub(crate) publiees: Vec<Jwk>,
    codes: HashMap<String, Autorisation>,
    pub(crate) acces: Vec<String>,
    pub(crate) compteur: u32,
    /// Requests received at `/token`, granted or not.
    pub(crate) echanges: u32,
    pub(crate) requetes_autorisation: Vec<HashMap<String, String>>,
    pub(crate) scenario: Scenario,
}

pub(crate) type Partage = Arc<Mutex<Etat>>;

/// The test provider, serving on 127.0.0.1 until the end of the test's runtime.
pub(crate) struct FournisseurTest {
    /// `http://127.0.0.1:<port>/api/v2`.
    pub(crate) issuer: String,
    pub(crate) etat: Partage,
}

impl FournisseurTest {
    /// Serves on 127.0.0.1:0, signing with `cle`, accepting the client credentials by
    /// `methode_auth` only and `redirect_uri` only.
    pub(crate) async fn lancer(
        cle: Cle,
        methode_auth: &'static str,
        redirect_uri: &str,
    ) -> FournisseurTest {
        let ecouteur = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // A path, like FranceConnect's issuer (…/api/v2).
        let issuer = format!("http://{}/api/v2", ecouteur.local_addr().unwrap());
        let etat = Arc::new(Mutex::new(Etat {
            issuer: issuer.clone(),
            redirect_uri: redirect_uri.to_owned(),
            methode_auth,
            publiees: vec![cle.publique.clone()],
            cle,
            codes: HashMap::new(),
            acces: Vec::new(),
            compteur: 0,
            echanges: 0,
            requetes_autorisation: Vec::new(),
            scenario: Scenario::default(),
        }));
        let app = Router::new()
            .route("/api/v2/.well-known/openid-configuration", get(decouverte))
            .route("/api/v2/authorize", get(autoriser))
            .route("/api/v2/token", post(jeton))
            .route("/api/v2/jwks", get(jwks))
            .route("/api/v2/userinfo", get(infos_usager))
            .with_state(etat.clone());
        tokio::spawn(async move { axum::serve(ecouteur, app).await.unwrap() });
        FournisseurTest { issuer, etat }
    }

    /// An ES256 key, `client_secret_basic`.
    pub(crate) async fn es256(redirect_uri: &str) -> FournisseurTest {
        FournisseurTest::lancer(Cle::es256("cle-1"), "client_secret_basic", redirect_uri).await
    }

    pub(crate) fn etat(&self) -> MutexGuard<'_, Etat> {
        self.etat.lock().unwrap()
    }
}

fn erreur_oauth(statut: StatusCode, erreur: &str) -> Response {
    (
        statut,
        Json(json!({ "error": erreur, "error_description": "refused by the test provider" })),
    )
        .into_response()
}

async fn decouverte(State(etat): State<Partage>) -> Json<Value> {
    let etat = etat.lock().unwrap();
    let base = &etat.issuer;
    Json(json!({
        "issuer": etat.scenario.issuer_publie.clone().unwrap_or_else(|| base.clone()),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "EdDSA"],
        "token_endpoint_auth_methods_supported": [etat.methode_auth],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn autoriser(
    State(etat): State<Partage>,
    Query(parametres): Query<HashMap<String, String>>,
) -> Response {
    let mut etat = etat.lock().unwrap();
    etat.requetes_autorisation.push(parametres.clone());
    let valeur = |nom: &str| parametres.get(nom).map(String::as_str).unwrap_or_default();
    let scopes: Vec<&str> = valeur("scope").split(' ').collect();
    if valeur("client_id") != CLIENT_ID
        || valeur("response_type") != "code"
        || !scopes.contains(&"openid")
        || valeur("redirect_uri") != etat.redirect_uri
        || valeur("code_challenge_method") != "S256"
        || valeur("code_challenge").is_empty()
        || valeur("state").is_empty()
        || valeur("nonce").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "invalid authorization request").into_response();
    }
    etat.compteur += 1;
    let code = format!("code-{}", etat.compteur);
    etat.codes.insert(
        code.clone(),
        Autorisation {
            nonce: valeur("nonce").to_owned(),
            code_challenge: valeur("code_challenge").to_owned(),
            redirect_uri: valeur("redirect_uri").to_owned(),
        },
    );
    let mut retour = Url::parse(valeur("redirect_uri")).unwrap();
    retour
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", valeur("state"));
    Redirect::to(retour.as_str()).into_response()
}

/// Client credentials from HTTP Basic (form-urlencoded parts) or from the form.
fn identifiants_client(
    methode: &str,
    entetes: &HeaderMap,
    formulaire: &HashMap<String, String>,
) -> Option<(String, String)> {
    if methode == "client_secret_basic" {
        if formulaire.contains_key("client_secret") {
            return None;
        }
        let valeur = entetes.get(header::AUTHORIZATION)?.to_str().ok()?;
        let paire = STANDARD.decode(valeur.strip_prefix("Basic ")?).ok()?;
        let paire = String::from_utf8(paire).ok()?;
        let (id, secret) = paire.split_once(':')?;
        let decoder = |s: &str| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        Some((decoder(id)?, decoder(secret)?))
    } else {
        if entetes.contains_key(header::AUTHORIZATION) {
            return None;
        }
        Some((
            formulaire.get("client_id")?.clone(),
            formulaire.get("client_secret")?.clone(),
        ))
    }
}

async fn jeton(
    State(etat): State<Partage>,
    entetes: HeaderMap,
    Form(formulaire): Form<HashMap<String, String>>,
) -> Response {
    let mut etat = etat.lock().unwrap();
    etat.echanges += 1;
    if identifiants_client(etat.methode_auth, &entetes, &formulaire)
        != Some((CLIENT_ID.to_owned(), CLIENT_SECRET.to_owned()))
    {
        return erreur_oauth(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if formulaire.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return erreur_oauth(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let code = formulaire.get("code").cloned().unwrap_or_default();
    let Some(autorisation) = etat.codes.remove(&code) else {
        return erreur_oauth(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let verificateur = formulaire.get("code_verifier").cloned().unwrap_or_default();
    let defi = URL_SAFE_NO_PAD.encode(Sha256::digest(verificateur.as_bytes()));
    if formulaire.get("redirect_uri") != Some(&autorisation.redirect_uri)
        || defi != autorisation.code_challenge
    {
        return erreur_oauth(StatusCode::BAD_REQUEST, "invalid_grant");
    }

    let maintenant = Utc::now().timestamp();
    let scenario = &etat.scenario;
    let revendications = json!({
        "iss": scenario.iss.clone().unwrap_or_else(|| etat.issuer.clone()),
        "sub": SUJET,
        "aud": scenario.aud.clone().unwrap_or_else(|| json!(CLIENT_ID)),
        "exp": maintenant + scenario.exp.unwrap_or(300),
        "iat": maintenant + scenario.iat.unwrap_or(0),
        "nonce": scenario.nonce.clone().unwrap_or(autorisation.nonce),
        "acr": "eidas1",
    });
    let cle = scenario.cle_id_token.as_ref().unwrap_or(&etat.cle);
    let id_token = match &scenario.id_token {
        Some(id_token) => id_token.clone(),
        None => cle.signer(&revendications),
    };
    let mut reponse = json!({
        "access_token": format!("acces-{code}"),
        "token_type": "Bearer",
        "expires_in": 60,
        "scope": "openid given_name family_name birthdate birthplace",
    });
    if !scenario.sans_id_token {
        reponse["id_token"] = json!(id_token);
    }
    etat.acces.push(format!("acces-{code}"));
    Json(reponse).into_response()
}

async fn jwks(State(etat): State<Partage>) -> Json<JwkSet> {
    Json(JwkSet {
        keys: etat.lock().unwrap().publiees.clone(),
    })
}

async fn infos_usager(State(etat): State<Partage>, entetes: HeaderMap) -> Response {
    let etat = etat.lock().unwrap();
    let porteur = entetes
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !porteur.is_some_and(|jeton| etat.acces.iter().any(|a| a == jeton)) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut infos = json!({
        "sub": etat.scenario.sub_infos.clone().unwrap_or_else(|| SUJET.to_owned()),
        "given_name": PRENOMS,
        "family_name": NOM,
        "birthdate": NAISSANCE,
        "birthplace": "75107",
        "birthcountry": "99100",
        "gender": "female",
    });
    match &etat.scenario.infos_jwt {
        None => Json(infos).into_response(),
        Some(cle) => {
            infos["iss"] = json!(etat.issuer);
            infos["aud"] = json!(CLIENT_ID);
            infos["iat"] = json!(Utc::now().timestamp());
            (
                [(header::CONTENT_TYPE, "application/jwt; charset=utf-8")],
                cle.signer(&infos),
            )
                .into_response()
        }
    }
}
