//! The OpenID Connect client against a local test provider (axum on 127.0.0.1:0).
//!
//! The test provider auto-approves `/authorize`, checks the client credentials, the code and
//! the PKCE verifier at `/token`, and signs id_tokens with keys generated here. Each refusal
//! test changes one thing in what the provider sends ([`Scenario`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{NaiveDate, TimeDelta, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use maillage_identite::{
    ConfigOidc, DemandeAutorisation, ErreurIdentite, Etape, FournisseurIdentite, IdentiteVerifiee,
    Methode, Oidc,
};
use rand_core::OsRng;
use reqwest::Url;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "maillage";
/// Characters that must be form-urlencoded in HTTP Basic (RFC 6749 §2.3.1).
const CLIENT_SECRET: &str = "secret: très+secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/identite/retour?source=mandat";
const SUJET: &str = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1";

// ---------------------------------------------------------------------------------------------
// Keys

/// A signing key of the test provider and its public JWK.
#[derive(Clone)]
struct Cle {
    alg: Algorithm,
    kid: String,
    privee: EncodingKey,
    publique: Jwk,
}

impl Cle {
    fn nouvelle(alg: Algorithm, kid: &str, privee: EncodingKey) -> Cle {
        let publique = Jwk::from_encoding_key(&privee, alg).unwrap();
        Cle::avec_jwk(alg, kid, privee, publique)
    }

    fn avec_jwk(alg: Algorithm, kid: &str, privee: EncodingKey, mut publique: Jwk) -> Cle {
        publique.common.key_id = Some(kid.to_owned());
        Cle {
            alg,
            kid: kid.to_owned(),
            privee,
            publique,
        }
    }

    fn es256(kid: &str) -> Cle {
        use p256::pkcs8::EncodePrivateKey;
        let privee = p256::ecdsa::SigningKey::random(&mut OsRng);
        let der = privee.to_pkcs8_der().unwrap();
        Cle::nouvelle(
            Algorithm::ES256,
            kid,
            EncodingKey::from_ec_der(der.as_bytes()),
        )
    }

    fn rs256(kid: &str) -> Cle {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let privee = rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
        let der = privee.to_pkcs1_der().unwrap();
        Cle::nouvelle(
            Algorithm::RS256,
            kid,
            EncodingKey::from_rsa_der(der.as_bytes()),
        )
    }

    fn eddsa(kid: &str) -> Cle {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let privee = ed25519_dalek::SigningKey::generate(&mut OsRng);
        let der = privee.to_pkcs8_der().unwrap();
        // Its PKCS#8 document embeds the public key, which `Jwk::from_encoding_key` refuses.
        let publique = Jwk::from_decoding_key(
            &DecodingKey::from_ed_der(privee.verifying_key().as_bytes()),
            Some(Algorithm::EdDSA),
        )
        .unwrap();
        Cle::avec_jwk(
            Algorithm::EdDSA,
            kid,
            EncodingKey::from_ed_der(der.as_bytes()),
            publique,
        )
    }

    fn signer(&self, revendications: &Value) -> String {
        let mut entete = Header::new(self.alg);
        entete.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&entete, revendications, &self.privee).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Test provider

/// What the test provider does differently from a correct provider.
#[derive(Default)]
struct Scenario {
    /// Issuer announced in the discovery document.
    issuer_publie: Option<String>,
    /// `nonce` of the id_token instead of the one of the authorization request.
    nonce: Option<String>,
    /// Signs the id_token with this key instead of the published one.
    cle_id_token: Option<Cle>,
    /// Replaces the id_token by this one.
    id_token: Option<String>,
    /// Sends no id_token.
    sans_id_token: bool,
    /// `exp` relative to now, in seconds (default 300).
    exp: Option<i64>,
    /// `iat` relative to now, in seconds (default 0).
    iat: Option<i64>,
    aud: Option<Value>,
    iss: Option<String>,
    /// `sub` returned by userinfo.
    sub_infos: Option<String>,
    /// Userinfo answered as a JWT signed with this key (FranceConnect v2).
    infos_jwt: Option<Cle>,
}

/// A code delivered by `/authorize`.
struct Autorisation {
    nonce: String,
    code_challenge: String,
    redirect_uri: String,
}

struct Etat {
    issuer: String,
    /// `client_secret_basic` or `client_secret_post`: the only method accepted.
    methode_auth: &'static str,
    cle: Cle,
    publiees: Vec<Jwk>,
    codes: HashMap<String, Autorisation>,
    acces: Vec<String>,
    compteur: u32,
    requetes_autorisation: Vec<HashMap<String, String>>,
    scenario: Scenario,
}

type Partage = Arc<Mutex<Etat>>;

struct FournisseurTest {
    issuer: String,
    etat: Partage,
}

impl FournisseurTest {
    async fn lancer(cle: Cle, methode_auth: &'static str) -> FournisseurTest {
        let ecouteur = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // A path, like FranceConnect's issuer (…/api/v2).
        let issuer = format!("http://{}/api/v2", ecouteur.local_addr().unwrap());
        let etat = Arc::new(Mutex::new(Etat {
            issuer: issuer.clone(),
            methode_auth,
            publiees: vec![cle.publique.clone()],
            cle,
            codes: HashMap::new(),
            acces: Vec::new(),
            compteur: 0,
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

    async fn es256() -> FournisseurTest {
        FournisseurTest::lancer(Cle::es256("cle-1"), "client_secret_basic").await
    }

    fn etat(&self) -> MutexGuard<'_, Etat> {
        self.etat.lock().unwrap()
    }

    fn config(&self) -> ConfigOidc {
        ConfigOidc {
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            redirect_uri: REDIRECT_URI.to_owned(),
            scopes: vec![
                "given_name family_name".to_owned(),
                "birthdate".to_owned(),
                "birthplace".to_owned(),
            ],
            libelle: "FranceConnect".to_owned(),
        }
    }

    async fn client(&self) -> Oidc {
        Oidc::decouvrir(self.config()).await.unwrap()
    }

    /// Discovery, authorization, then `terminer` with the callback's parameters.
    async fn parcours(&self) -> Result<IdentiteVerifiee, ErreurIdentite> {
        let oidc = self.client().await;
        let demande = oidc.demarrer().unwrap();
        let (code, state) = navigateur(&demande).await;
        oidc.terminer(&demande, &code, &state).await
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
        || valeur("redirect_uri") != REDIRECT_URI
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
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "birthdate": "1962-08-24",
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

/// Follows `demande.url` like a browser, without following the redirect to the callback:
/// returns the callback's `code` and `state`.
async fn navigateur(demande: &DemandeAutorisation) -> (String, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let reponse = http.get(&demande.url).send().await.unwrap();
    assert_eq!(reponse.status(), StatusCode::SEE_OTHER);
    let retour = reponse.headers()[header::LOCATION].to_str().unwrap();
    let retour = Url::parse(retour).unwrap();
    assert_eq!(retour.path(), "/identite/retour");
    let parametres: HashMap<String, String> = retour.query_pairs().into_owned().collect();
    assert_eq!(parametres["source"], "mandat");
    (parametres["code"].clone(), parametres["state"].clone())
}

fn identite_attendue(fournisseur: &FournisseurTest) -> IdentiteVerifiee {
    IdentiteVerifiee {
        nom: "DUBOIS".to_owned(),
        prenoms: "Angela Claire Louise".to_owned(),
        date_naissance: NaiveDate::from_ymd_opt(1962, 8, 24),
        lieu_naissance: Some("75107".to_owned()),
        methode: Methode::Oidc {
            fournisseur: fournisseur.issuer.clone(),
            sujet: SUJET.to_owned(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Happy paths

#[tokio::test]
async fn parcours_complet_es256_client_secret_basic() {
    let fournisseur = FournisseurTest::es256().await;
    let oidc: Arc<dyn FournisseurIdentite> = Arc::new(fournisseur.client().await);
    assert_eq!(oidc.identifiant(), "franceconnect");
    assert_eq!(oidc.libelle(), "FranceConnect");

    let demande = oidc.demarrer().unwrap();
    assert_eq!(demande.fournisseur, "franceconnect");
    let (code, state) = navigateur(&demande).await;
    assert_eq!(state, demande.state);
    let identite = oidc.terminer(&demande, &code, &state).await.unwrap();
    assert_eq!(identite, identite_attendue(&fournisseur));

    // The code is single use at the provider: replaying the callback fails.
    let rejeu = oidc.terminer(&demande, &code, &state).await.unwrap_err();
    assert!(
        matches!(&rejeu, ErreurIdentite::JetonRefuse { erreur, .. } if erreur == "invalid_grant"),
        "{rejeu:?}"
    );
}

#[tokio::test]
async fn parcours_complet_rs256_client_secret_post() {
    let fournisseur = FournisseurTest::lancer(Cle::rs256("rsa-1"), "client_secret_post").await;
    let identite = fournisseur.parcours().await.unwrap();
    assert_eq!(identite, identite_attendue(&fournisseur));
}

#[tokio::test]
async fn parcours_complet_eddsa_infos_usager_signees() {
    let fournisseur = FournisseurTest::lancer(Cle::eddsa("ed-1"), "client_secret_basic").await;
    {
        let mut etat = fournisseur.etat();
        etat.scenario.infos_jwt = Some(etat.cle.clone());
    }
    let identite = fournisseur.parcours().await.unwrap();
    assert_eq!(identite, identite_attendue(&fournisseur));
}

#[tokio::test]
async fn url_d_autorisation() {
    let fournisseur = FournisseurTest::es256().await;
    let oidc = fournisseur
        .client()
        .await
        .avec_acr_values("eidas1")
        .avec_parametre_autorisation("prompt", "login")
        .avec_parametre_autorisation("state", "fixe");
    let demande = oidc.demarrer().unwrap();
    let autre = oidc.demarrer().unwrap();
    assert_ne!(demande.state, autre.state);
    assert_ne!(demande.nonce, autre.nonce);
    assert_ne!(demande.code_verifier, autre.code_verifier);
    assert_ne!(demande.state, demande.nonce);
    assert!(demande.code_verifier.len() >= 43);

    // Spaces as %20, reserved characters of the redirect URI escaped.
    assert!(demande
        .url
        .starts_with(&format!("{}/authorize?", fournisseur.issuer)));
    assert!(demande
        .url
        .contains("scope=openid%20given_name%20family_name%20birthdate%20birthplace&"));
    assert!(demande.url.contains(
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fidentite%2Fretour%3Fsource%3Dmandat&"
    ));

    navigateur(&demande).await;
    let etat = fournisseur.etat();
    let parametres = &etat.requetes_autorisation[0];
    assert_eq!(parametres["response_type"], "code");
    assert_eq!(parametres["client_id"], CLIENT_ID);
    assert_eq!(parametres["redirect_uri"], REDIRECT_URI);
    assert_eq!(parametres["state"], demande.state);
    assert_eq!(parametres["nonce"], demande.nonce);
    assert_eq!(parametres["acr_values"], "eidas1");
    assert_eq!(parametres["prompt"], "login");
    assert_eq!(demande.url.matches("state=").count(), 1);
    assert_eq!(parametres["code_challenge_method"], "S256");
    assert_eq!(
        parametres["code_challenge"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(demande.code_verifier.as_bytes()))
    );
}

#[tokio::test]
async fn rotation_des_cles_apres_la_decouverte() {
    let fournisseur = FournisseurTest::es256().await;
    let oidc = fournisseur.client().await;
    {
        let nouvelle = Cle::es256("cle-2");
        let mut etat = fournisseur.etat();
        etat.publiees = vec![nouvelle.publique.clone()];
        etat.cle = nouvelle;
    }
    let demande = oidc.demarrer().unwrap();
    let (code, state) = navigateur(&demande).await;
    let identite = oidc.terminer(&demande, &code, &state).await.unwrap();
    assert_eq!(identite, identite_attendue(&fournisseur));
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[tokio::test]
async fn state_different_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    let oidc = fournisseur.client().await;
    let demande = oidc.demarrer().unwrap();
    let (code, state) = navigateur(&demande).await;
    let autre_state = oidc.demarrer().unwrap().state;
    assert_eq!(
        oidc.terminer(&demande, &code, &autre_state).await,
        Err(ErreurIdentite::EtatInvalide)
    );
    // Refused before the code exchange: the code is still usable with the right state.
    assert!(oidc.terminer(&demande, &code, &state).await.is_ok());
}

#[tokio::test]
async fn nonce_different_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.nonce = Some("nonce-d-une-autre-demande".to_owned());
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::NonceInvalide)
    );
}

#[tokio::test]
async fn id_token_signe_par_une_autre_cle_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    // Same kid as the published key, other private key.
    fournisseur.etat().scenario.cle_id_token = Some(Cle::es256("cle-1"));
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::SignatureInvalide)
    );
}

#[tokio::test]
async fn id_token_d_une_cle_inconnue_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.cle_id_token = Some(Cle::es256("cle-pirate"));
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::CleInconnue {
            kid: Some("cle-pirate".to_owned())
        })
    );
}

#[tokio::test]
async fn id_token_hmac_avec_le_secret_client_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    let maintenant = Utc::now().timestamp();
    let mut entete = Header::new(Algorithm::HS256);
    entete.kid = Some("cle-1".to_owned());
    // A nonce cannot be guessed here, but the algorithm is refused before any claim is read.
    let forge = jsonwebtoken::encode(
        &entete,
        &json!({ "iss": fournisseur.issuer, "sub": SUJET, "aud": CLIENT_ID,
                 "exp": maintenant + 300, "iat": maintenant }),
        &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()),
    )
    .unwrap();
    fournisseur.etat().scenario.id_token = Some(forge);
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::AlgorithmeNonAccepte {
            alg: "HS256".to_owned()
        })
    );
}

#[tokio::test]
async fn id_token_expire_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    {
        let mut etat = fournisseur.etat();
        etat.scenario.iat = Some(-900);
        etat.scenario.exp = Some(-300);
    }
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::JetonExpire)
    );
}

#[tokio::test]
async fn id_token_emis_dans_le_futur_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    {
        let mut etat = fournisseur.etat();
        etat.scenario.iat = Some(600);
        etat.scenario.exp = Some(900);
    }
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::DateEmissionInvalide)
    );
}

#[tokio::test]
async fn id_token_pour_un_autre_client_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.aud = Some(json!(["autre-client"]));
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::AudienceInvalide)
    );
}

#[tokio::test]
async fn id_token_d_un_autre_emetteur_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.iss = Some("https://autre-fournisseur.example".to_owned());
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::EmetteurInvalide)
    );
}

#[tokio::test]
async fn reponse_sans_id_token_refusee() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.sans_id_token = true;
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::JetonIdentiteAbsent)
    );
}

#[tokio::test]
async fn erreur_du_point_jeton() {
    let fournisseur = FournisseurTest::es256().await;
    let config = ConfigOidc {
        client_secret: "mauvais secret".to_owned(),
        ..fournisseur.config()
    };
    let oidc = Oidc::decouvrir(config).await.unwrap();
    let demande = oidc.demarrer().unwrap();
    let (code, state) = navigateur(&demande).await;
    let erreur = oidc.terminer(&demande, &code, &state).await.unwrap_err();
    assert_eq!(
        erreur,
        ErreurIdentite::JetonRefuse {
            erreur: "invalid_client".to_owned(),
            description: Some("refused by the test provider".to_owned()),
        }
    );
    assert_eq!(
        erreur.to_string(),
        "Le fournisseur d'identité a refusé l'échange du code d'autorisation (invalid_client). \
         Recommencez la vérification."
    );
}

#[tokio::test]
async fn verificateur_pkce_different_refuse_par_le_fournisseur() {
    let fournisseur = FournisseurTest::es256().await;
    let oidc = fournisseur.client().await;
    let mut demande = oidc.demarrer().unwrap();
    let (code, state) = navigateur(&demande).await;
    demande.code_verifier = oidc.demarrer().unwrap().code_verifier;
    assert!(matches!(
        oidc.terminer(&demande, &code, &state).await,
        Err(ErreurIdentite::JetonRefuse { erreur, .. }) if erreur == "invalid_grant"
    ));
}

#[tokio::test]
async fn sujet_des_infos_usager_different_refuse() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.sub_infos = Some("une-autre-personne".to_owned());
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::SujetDifferent)
    );
}

#[tokio::test]
async fn infos_usager_signees_par_une_autre_cle_refusees() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.infos_jwt = Some(Cle::es256("cle-1"));
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::SignatureInvalide)
    );
}

#[tokio::test]
async fn fournisseur_injoignable_a_la_decouverte() {
    // A port that was free a moment ago: nothing listens there.
    let ecouteur = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let adresse = ecouteur.local_addr().unwrap();
    drop(ecouteur);
    let config = ConfigOidc {
        issuer: format!("http://{adresse}/api/v2"),
        client_id: CLIENT_ID.to_owned(),
        client_secret: CLIENT_SECRET.to_owned(),
        redirect_uri: REDIRECT_URI.to_owned(),
        scopes: vec![],
        libelle: "FranceConnect".to_owned(),
    };
    let erreur = Oidc::decouvrir(config).await.unwrap_err();
    assert_eq!(
        erreur,
        ErreurIdentite::Injoignable {
            etape: Etape::Decouverte
        }
    );
    assert!(erreur
        .to_string()
        .starts_with("Le fournisseur d'identité ne répond pas"));
}

#[tokio::test]
async fn emetteur_de_la_decouverte_incoherent() {
    let fournisseur = FournisseurTest::es256().await;
    fournisseur.etat().scenario.issuer_publie =
        Some("https://autre-fournisseur.example".to_owned());
    assert_eq!(
        Oidc::decouvrir(fournisseur.config()).await.unwrap_err(),
        ErreurIdentite::EmetteurIncoherent {
            attendu: fournisseur.issuer.clone(),
            recu: "https://autre-fournisseur.example".to_owned(),
        }
    );
}

#[tokio::test]
async fn configuration_non_sure_refusee() {
    let fournisseur = FournisseurTest::es256().await;
    let config = ConfigOidc {
        issuer: "http://fournisseur.example/api/v2".to_owned(),
        ..fournisseur.config()
    };
    assert!(matches!(
        Oidc::decouvrir(config).await,
        Err(ErreurIdentite::Configuration { .. })
    ));
}

#[tokio::test]
async fn demande_perimee_ou_d_un_autre_fournisseur_refusee() {
    let fournisseur = FournisseurTest::es256().await;
    let oidc = fournisseur.client().await;
    let demande = oidc.demarrer().unwrap();
    let (code, state) = navigateur(&demande).await;

    let perimee = DemandeAutorisation {
        creee_le: Utc::now() - TimeDelta::minutes(31),
        ..demande.clone()
    };
    assert_eq!(
        oidc.terminer(&perimee, &code, &state).await,
        Err(ErreurIdentite::DemandeExpiree)
    );
    let autre = DemandeAutorisation {
        fournisseur: "autre".to_owned(),
        ..demande.clone()
    };
    assert_eq!(
        oidc.terminer(&autre, &code, &state).await,
        Err(ErreurIdentite::FournisseurIncoherent)
    );
    // Secrets stay out of logs.
    let debug = format!("{demande:?}");
    assert!(!debug.contains(&demande.code_verifier) && !debug.contains(&demande.nonce));
}
