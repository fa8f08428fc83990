//! OpenID Connect provider: authorization code flow with PKCE (S256), id_token validation
//! against the provider's JWKS, identity read from the userinfo endpoint.
//!
//! Works with FranceConnect v2 (ES256 or RS256 signatures, userinfo answered as a signed JWT)
//! and any standard provider (userinfo answered as JSON).

use std::fmt;
use std::str::FromStr;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{NaiveDate, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tracing::{error, warn};

use crate::identite::{valider_date_naissance, valider_texte, LIEU_NAISSANCE, NOM, PRENOMS};
use crate::{
    DemandeAutorisation, ErreurIdentite, Etape, FournisseurIdentite, IdentiteVerifiee, Methode,
};

/// Clock skew accepted on `exp`, `iat` and `nbf`, in seconds.
const MARGE_HORLOGE: u64 = 30;
/// Largest response body read from the provider.
const TAILLE_MAX_REPONSE: usize = 1024 * 1024;
/// Signature algorithms accepted: asymmetric only (no `none`, no HMAC with the client secret).
const ALGORITHMES_ACCEPTES: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Authorization parameters set by [`FournisseurIdentite::demarrer`].
const PARAMETRES_RESERVES: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

/// Configuration of an OpenID Connect client, as registered at the provider.
#[derive(Clone, Deserialize)]
pub struct ConfigOidc {
    /// Issuer, exactly as the provider publishes it
    /// (`https://fcp-low.integ01.dev-franceconnect.fr/api/v2` for FranceConnect integration).
    pub issuer: String,
    /// Client identifier given by the provider.
    pub client_id: String,
    /// Client secret given by the provider.
    pub client_secret: String,
    /// Callback URL registered at the provider.
    pub redirect_uri: String,
    /// Scopes requested; `openid` is added when missing
    /// (FranceConnect: `given_name family_name birthdate birthplace`).
    pub scopes: Vec<String>,
    /// Name shown to people ("FranceConnect").
    pub libelle: String,
}

impl fmt::Debug for ConfigOidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigOidc")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("libelle", &self.libelle)
            .finish_non_exhaustive()
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthentificationClient {
    /// HTTP Basic (`client_secret_basic`).
    Basic,
    /// Form fields (`client_secret_post`).
    Post,
}

/// Endpoints read from the discovery document.
#[derive(Debug)]
struct PointsTerminaison {
    autorisation: Url,
    jeton: Url,
    infos_usager: Url,
    cles: Url,
}

/// An OpenID Connect provider, ready after [`Oidc::decouvrir`].
pub struct Oidc {
    identifiant: String,
    libelle: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    scopes: Vec<String>,
    parametres_autorisation: Vec<(String, String)>,
    points: PointsTerminaison,
    authentification: AuthentificationClient,
    http: reqwest::Client,
    /// Signing keys; fetched again once when a token names an unknown key (rotation).
    cles: RwLock<JwkSet>,
}

impl fmt::Debug for Oidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Oidc")
            .field("identifiant", &self.identifiant)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("points", &self.points)
            .field("authentification", &self.authentification)
            .finish_non_exhaustive()
    }
}

/// Discovery document (the fields used here).
#[derive(Deserialize)]
struct Decouverte {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Successful token endpoint response.
#[derive(Deserialize)]
struct ReponseJeton {
    access_token: String,
    token_type: Option<String>,
    id_token: Option<String>,
}

/// OAuth 2.0 error response.
#[derive(Deserialize)]
struct ErreurOAuth {
    error: String,
    error_description: Option<String>,
}

/// A provider response, body read up to [`TAILLE_MAX_REPONSE`].
struct Reponse {
    statut: StatusCode,
    type_contenu: String,
    corps: Vec<u8>,
}

impl Oidc {
    /// Reads the provider's discovery document and signing keys.
    pub async fn decouvrir(config: ConfigOidc) -> Result<Oidc, ErreurIdentite> {
        let ConfigOidc {
            issuer,
            client_id,
            client_secret,
            redirect_uri,
            scopes,
            libelle,
        } = config;
        adresse_configuree("issuer", &issuer)?;
        adresse_configuree("redirect_uri", &redirect_uri)?;
        if client_id.trim().is_empty() {
            return Err(configuration("l'identifiant client (client_id) est vide."));
        }
        let libelle = libelle.trim().to_owned();
        if libelle.is_empty() {
            return Err(configuration("le libellé est vide."));
        }
        let mut scopes: Vec<String> = scopes
            .iter()
            .flat_map(|scope| scope.split_whitespace())
            .map(str::to_owned)
            .collect();
        if !scopes.iter().any(|scope| scope == "openid") {
            scopes.insert(0, "openid".to_owned());
        }

        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("maillage_identite/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                error!(error = %e, "cannot build the HTTP client");
                ErreurIdentite::Interne
            })?;

        let adresse = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let decouverte: Decouverte = obtenir_json(&http, &adresse, Etape::Decouverte).await?;
        if decouverte.issuer != issuer {
            warn!(expected = %issuer, got = %decouverte.issuer, "discovery issuer mismatch");
            return Err(ErreurIdentite::EmetteurIncoherent {
                attendu: issuer,
                recu: decouverte.issuer,
            });
        }
        let Some(infos_usager) = decouverte.userinfo_endpoint.as_deref() else {
            warn!("discovery document has no userinfo_endpoint");
            return Err(ErreurIdentite::ReponseInvalide {
                etape: Etape::Decouverte,
                statut: None,
            });
        };
        let points = PointsTerminaison {
            autorisation: adresse_publiee(
                "authorization_endpoint",
                &decouverte.authorization_endpoint,
            )?,
            jeton: adresse_publiee("token_endpoint", &decouverte.token_endpoint)?,
            infos_usager: adresse_publiee("userinfo_endpoint", infos_usager)?,
            cles: adresse_publiee("jwks_uri", &decouverte.jwks_uri)?,
        };
        // Without the field, the default of the specification is client_secret_basic.
        let methodes = decouverte
            .token_endpoint_auth_methods_supported
            .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]);
        let authentification = if methodes.iter().any(|m| m == "client_secret_basic") {
            AuthentificationClient::Basic
        } else if methodes.iter().any(|m| m == "client_secret_post") {
            AuthentificationClient::Post
        } else {
            warn!(methods = ?methodes, "no supported token endpoint auth method");
            return Err(configuration(
                "le fournisseur n'accepte ni client_secret_basic ni client_secret_post.",
            ));
        };
        let cles: JwkSet = obtenir_json(&http, points.cles.as_str(), Etape::Cles).await?;

        Ok(Oidc {
            identifiant: identifiant_depuis(&libelle),
            libelle,
            issuer,
            client_id,
            client_secret,
            redirect_uri,
            scopes,
            parametres_autorisation: Vec::new(),
            points,
            authentification,
            http,
            cles: RwLock::new(cles),
        })
    }

    /// Replaces the identifier (by default, the label in lower-case ASCII letters and digits:
    /// "FranceConnect" gives `franceconnect`).
    pub fn avec_identifiant(mut self, identifiant: impl Into<String>) -> Self {
        self.identifiant = identifiant.into();
        self
    }

    /// Adds a parameter to every authorization request, e.g. `acr_values=eidas1` or
    /// `prompt=login` for FranceConnect. The parameters [`FournisseurIdentite::demarrer`] sets
    /// itself (`state`, `nonce`, `scope`…) cannot be replaced: they are ignored here.
    pub fn avec_parametre_autorisation(
        mut self,
        nom: impl Into<String>,
        valeur: impl Into<String>,
    ) -> Self {
        let nom = nom.into();
        if PARAMETRES_RESERVES.contains(&nom.as_str()) {
            warn!(parameter = %nom, "reserved authorization parameter ignored");
        } else {
            self.parametres_autorisation.push((nom, valeur.into()));
        }
        self
    }

    /// Adds `acr_values` to the authorization request (FranceConnect requires `eidas1`).
    pub fn avec_acr_values(self, acr_values: impl Into<String>) -> Self {
        self.avec_parametre_autorisation("acr_values", acr_values)
    }

    /// The issuer, as configured and confirmed by discovery.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Exchanges the authorization code at the token endpoint.
    async fn echanger_code(
        &self,
        code: &str,
        code_verifier: &str,
    ) -> Result<ReponseJeton, ErreurIdentite> {
        let mut formulaire = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", code_verifier),
        ];
        let mut requete = self
            .http
            .post(self.points.jeton.clone())
            .header(ACCEPT, "application/json");
        match self.authentification {
            AuthentificationClient::Basic => {
                // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
                let paire = format!(
                    "{}:{}",
                    form_urlencoded::byte_serialize(self.client_id.as_bytes()).collect::<String>(),
                    form_urlencoded::byte_serialize(self.client_secret.as_bytes())
                        .collect::<String>()
                );
                requete =
                    requete.header(AUTHORIZATION, format!("Basic {}", STANDARD.encode(paire)));
            }
            AuthentificationClient::Post => {
                formulaire.push(("client_id", self.client_id.as_str()));
                formulaire.push(("client_secret", self.client_secret.as_str()));
            }
        }
        let reponse = envoyer(requete.form(&formulaire), Etape::Jeton).await?;
        if !reponse.statut.is_success() {
            return Err(
                match serde_json::from_slice::<ErreurOAuth>(&reponse.corps) {
                    Ok(ErreurOAuth {
                        error,
                        error_description,
                    }) => {
                        warn!(status = %reponse.statut, error = %error, description = ?error_description, "token endpoint refused the code");
                        ErreurIdentite::JetonRefuse {
                            erreur: error,
                            description: error_description,
                        }
                    }
                    Err(_) => {
                        warn!(status = %reponse.statut, "token endpoint failed");
                        ErreurIdentite::ReponseInvalide {
                            etape: Etape::Jeton,
                            statut: Some(reponse.statut.as_u16()),
                        }
                    }
                },
            );
        }
        let jetons: ReponseJeton = lire_json(&reponse, Etape::Jeton)?;
        if let Some(genre) = &jetons.token_type {
            if !genre.eq_ignore_ascii_case("bearer") {
                warn!(token_type = %genre, "unexpected token_type");
                return Err(ErreurIdentite::ReponseInvalide {
                    etape: Etape::Jeton,
                    statut: None,
                });
            }
        }
        Ok(jetons)
    }

    /// Validates the id_token and returns its `sub`.
    async fn verifier_id_token(
        &self,
        id_token: &str,
        nonce: &str,
    ) -> Result<String, ErreurIdentite> {
        let revendications = self
            .verifier_jws(id_token, &["exp", "iss", "aud", "sub"])
            .await?;
        let maintenant = Utc::now().timestamp();
        match revendications.get("iat").map(Value::as_f64) {
            None => {
                return Err(ErreurIdentite::RevendicationManquante {
                    revendication: "iat".to_owned(),
                })
            }
            Some(None) => return Err(ErreurIdentite::JetonMalForme),
            Some(Some(iat)) if iat > (maintenant + MARGE_HORLOGE as i64) as f64 => {
                warn!(iat, now = maintenant, "id_token issued in the future");
                return Err(ErreurIdentite::DateEmissionInvalide);
            }
            Some(Some(_)) => {}
        }
        let nonce_recu = revendications.get("nonce").and_then(Value::as_str);
        if !nonce_recu.is_some_and(|recu| egal_temps_constant(recu, nonce)) {
            warn!("id_token nonce missing or different");
            return Err(ErreurIdentite::NonceInvalide);
        }
        if let Some(azp) = revendications.get("azp") {
            if azp.as_str() != Some(self.client_id.as_str()) {
                warn!(azp = %azp, "id_token azp is another client");
                return Err(ErreurIdentite::AudienceInvalide);
            }
        }
        match revendications.get("sub").and_then(Value::as_str) {
            Some(sub) if !sub.is_empty() => Ok(sub.to_owned()),
            _ => Err(ErreurIdentite::RevendicationManquante {
                revendication: "sub".to_owned(),
            }),
        }
    }

    /// Verifies a JWS from the provider (signature with the JWKS key, `iss`, `aud`, `exp`,
    /// `nbf`) and returns its claims.
    async fn verifier_jws(
        &self,
        jeton: &str,
        obligatoires: &[&str],
    ) -> Result<Map<String, Value>, ErreurIdentite> {
        let entete = jsonwebtoken::decode_header(jeton).map_err(|e| {
            warn!(error = %e, "unreadable JWS header");
            ErreurIdentite::JetonMalForme
        })?;
        let alg = entete.alg;
        if !ALGORITHMES_ACCEPTES.contains(&alg) {
            warn!(alg = ?alg, "refused signature algorithm");
            return Err(ErreurIdentite::AlgorithmeNonAccepte {
                alg: format!("{alg:?}"),
            });
        }
        let kid = entete.kid.as_deref();
        let jwk = match self.trouver_cle(kid, alg) {
            Some(jwk) => jwk,
            None => {
                // The provider may have rotated its keys since discovery.
                let cles: JwkSet =
                    obtenir_json(&self.http, self.points.cles.as_str(), Etape::Cles).await?;
                *self.cles.write().unwrap_or_else(PoisonError::into_inner) = cles;
                self.trouver_cle(kid, alg).ok_or_else(|| {
                    warn!(kid = ?kid, alg = ?alg, "no JWKS key for this token");
                    ErreurIdentite::CleInconnue {
                        kid: kid.map(str::to_owned),
                    }
                })?
            }
        };
        let cle = DecodingKey::from_jwk(&jwk).map_err(|e| {
            warn!(error = %e, kid = ?kid, "unusable JWKS key");
            ErreurIdentite::ReponseInvalide {
                etape: Etape::Cles,
                statut: None,
            }
        })?;
        let mut validation = Validation::new(alg);
        validation.leeway = MARGE_HORLOGE;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(obligatoires);
        jsonwebtoken::decode::<Map<String, Value>>(jeton, &cle, &validation)
            .map(|donnees| donnees.claims)
            .map_err(|e| {
                warn!(error = %e, kid = ?kid, "JWS refused");
                erreur_jwt(e.kind(), alg)
            })
    }

    /// The published key for a token header: same `kid` (or the only suitable key when the
    /// header has none), a key type and curve matching `alg`, not reserved for encryption.
    fn trouver_cle(&self, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
        let jeu = self.cles.read().unwrap_or_else(PoisonError::into_inner);
        let mut candidates = jeu.keys.iter().filter(|jwk| cle_compatible(jwk, alg));
        match kid {
            Some(kid) => candidates
                .find(|jwk| jwk.common.key_id.as_deref() == Some(kid))
                .cloned(),
            None => {
                let premiere = candidates.next();
                match candidates.next() {
                    Some(_) => None,
                    None => premiere.cloned(),
                }
            }
        }
    }

    /// Calls the userinfo endpoint; accepts JSON or a signed JWT (FranceConnect v2).
    async fn infos_usager(&self, access_token: &str) -> Result<Map<String, Value>, ErreurIdentite> {
        let requete = self
            .http
            .get(self.points.infos_usager.clone())
            .bearer_auth(access_token)
            .header(ACCEPT, "application/json, application/jwt");
        let reponse = envoyer(requete, Etape::InfosUsager).await?;
        if !reponse.statut.is_success() {
            warn!(status = %reponse.statut, "userinfo endpoint failed");
            return Err(ErreurIdentite::ReponseInvalide {
                etape: Etape::InfosUsager,
                statut: Some(reponse.statut.as_u16()),
            });
        }
        if reponse.type_contenu.starts_with("application/jwt") {
            let jeton = std::str::from_utf8(&reponse.corps).map_err(|_| {
                warn!("userinfo JWT is not UTF-8");
                ErreurIdentite::JetonMalForme
            })?;
            self.verifier_jws(jeton.trim(), &["sub"]).await
        } else {
            lire_json(&reponse, Etape::InfosUsager)
        }
    }
}

#[async_trait]
impl FournisseurIdentite for Oidc {
    fn identifiant(&self) -> &str {
        &self.identifiant
    }

    fn libelle(&self) -> &str {
        &self.libelle
    }

    fn demarrer(&self) -> Result<DemandeAutorisation, ErreurIdentite> {
        let state = aleatoire()?;
        let nonce = aleatoire()?;
        let code_verifier = aleatoire()?;
        let code_challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()));
        let scope = self.scopes.join(" ");
        let mut parametres = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", scope.as_str()),
            ("state", state.as_str()),
            ("nonce", nonce.as_str()),
            ("code_challenge", code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        parametres.extend(
            self.parametres_autorisation
                .iter()
                .map(|(nom, valeur)| (nom.as_str(), valeur.as_str())),
        );
        let ajout = parametres
            .iter()
            .map(|(nom, valeur)| format!("{}={}", encoder(nom), encoder(valeur)))
            .collect::<Vec<_>>()
            .join("&");
        let mut url = self.points.autorisation.clone();
        let requete = match url.query() {
            Some(existante) if !existante.is_empty() => format!("{existante}&{ajout}"),
            _ => ajout,
        };
        url.set_query(Some(&requete));
        Ok(DemandeAutorisation {
            fournisseur: self.identifiant.clone(),
            url: url.into(),
            state,
            nonce,
            code_verifier,
            creee_le: Utc::now(),
        })
    }

    async fn terminer(
        &self,
        demande: &DemandeAutorisation,
        code: &str,
        state: &str,
    ) -> Result<IdentiteVerifiee, ErreurIdentite> {
        if demande.fournisseur != self.identifiant {
            warn!(request = %demande.fournisseur, provider = %self.identifiant, "request of another provider");
            return Err(ErreurIdentite::FournisseurIncoherent);
        }
        if demande.est_expiree(Utc::now()) {
            return Err(ErreurIdentite::DemandeExpiree);
        }
        if !egal_temps_constant(state, &demande.state) {
            warn!("callback state differs from the pending request");
            return Err(ErreurIdentite::EtatInvalide);
        }
        let jetons = self.echanger_code(code, &demande.code_verifier).await?;
        let id_token = jetons
            .id_token
            .as_deref()
            .ok_or(ErreurIdentite::JetonIdentiteAbsent)?;
        let sujet = self.verifier_id_token(id_token, &demande.nonce).await?;
        let infos = self.infos_usager(&jetons.access_token).await?;
        if infos.get("sub").and_then(Value::as_str) != Some(sujet.as_str()) {
            warn!("userinfo sub differs from the id_token sub");
            return Err(ErreurIdentite::SujetDifferent);
        }
        identite_depuis(&infos, self.issuer.clone(), sujet)
    }
}

/// Maps userinfo claims to an identity.
fn identite_depuis(
    infos: &Map<String, Value>,
    fournisseur: String,
    sujet: String,
) -> Result<IdentiteVerifiee, ErreurIdentite> {
    let invalide = |(champ, message)| ErreurIdentite::DonneeInvalide { champ, message };
    let nom = texte(infos, "family_name", NOM.champ)?
        .ok_or(ErreurIdentite::DonneeManquante { champ: NOM.champ })?;
    let nom = valider_texte(&NOM, nom).map_err(invalide)?;
    let prenoms =
        texte(infos, "given_name", PRENOMS.champ)?.ok_or(ErreurIdentite::DonneeManquante {
            champ: PRENOMS.champ,
        })?;
    let prenoms = valider_texte(&PRENOMS.vide_permis(), prenoms).map_err(invalide)?;
    let date_naissance = match texte(infos, "birthdate", "date_naissance")?.map(str::trim) {
        None | Some("") => None,
        Some(date) => {
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .ok()
                .filter(|_| date.len() == 10)
                .ok_or_else(|| ErreurIdentite::DonneeInvalide {
                    champ: "date_naissance",
                    message: "la date de naissance n'est pas au format AAAA-MM-JJ.".to_owned(),
                })?;
            valider_date_naissance(date, Utc::now().date_naive()).map_err(invalide)?;
            Some(date)
        }
    };
    let lieu_naissance = match texte(infos, "birthplace", LIEU_NAISSANCE.champ)? {
        None => None,
        Some(lieu) => Some(valider_texte(&LIEU_NAISSANCE, lieu).map_err(invalide)?)
            .filter(|lieu| !lieu.is_empty()),
    };
    Ok(IdentiteVerifiee {
        nom,
        prenoms,
        date_naissance,
        lieu_naissance,
        methode: Methode::Oidc { fournisseur, sujet },
    })
}

/// A text claim: `None` when absent or null, an error when not a string.
fn texte<'a>(
    infos: &'a Map<String, Value>,
    revendication: &str,
    champ: &'static str,
) -> Result<Option<&'a str>, ErreurIdentite> {
    match infos.get(revendication) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(texte)) => Ok(Some(texte)),
        Some(_) => {
            warn!(claim = revendication, "userinfo claim is not a string");
            Err(ErreurIdentite::DonneeInvalide {
                champ,
                message: format!("la donnée « {revendication} » n'est pas un texte."),
            })
        }
    }
}

/// Whether a published key can verify a token signed with `alg`.
fn cle_compatible(jwk: &Jwk, alg: Algorithm) -> bool {
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
        return false;
    }
    if let Some(alg_cle) = jwk.common.key_algorithm {
        if Algorithm::from_str(&alg_cle.to_string()).ok() != Some(alg) {
            return false;
        }
    }
    match (&jwk.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        _ => false,
    }
}

/// Maps a JWT validation failure.
fn erreur_jwt(erreur: &ErrorKind, alg: Algorithm) -> ErreurIdentite {
    match erreur {
        ErrorKind::InvalidSignature => ErreurIdentite::SignatureInvalide,
        ErrorKind::ExpiredSignature => ErreurIdentite::JetonExpire,
        ErrorKind::ImmatureSignature => ErreurIdentite::DateEmissionInvalide,
        ErrorKind::InvalidIssuer => ErreurIdentite::EmetteurInvalide,
        ErrorKind::InvalidAudience => ErreurIdentite::AudienceInvalide,
        ErrorKind::MissingRequiredClaim(revendication) => ErreurIdentite::RevendicationManquante {
            revendication: revendication.clone(),
        },
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            ErreurIdentite::AlgorithmeNonAccepte {
                alg: format!("{alg:?}"),
            }
        }
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat => ErreurIdentite::ReponseInvalide {
            etape: Etape::Cles,
            statut: None,
        },
        _ => ErreurIdentite::JetonMalForme,
    }
}

/// Sends a request and reads the body, up to [`TAILLE_MAX_REPONSE`].
async fn envoyer(
    requete: reqwest::RequestBuilder,
    etape: Etape,
) -> Result<Reponse, ErreurIdentite> {
    let mut reponse = requete.send().await.map_err(|e| {
        warn!(error = %e, step = ?etape, "identity provider unreachable");
        ErreurIdentite::Injoignable { etape }
    })?;
    let statut = reponse.status();
    let type_contenu = reponse
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|valeur| valeur.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut corps = Vec::new();
    loop {
        match reponse.chunk().await {
            Ok(Some(morceau)) => {
                if corps.len() + morceau.len() > TAILLE_MAX_REPONSE {
                    warn!(step = ?etape, "identity provider response too large");
                    return Err(ErreurIdentite::ReponseInvalide {
                        etape,
                        statut: Some(statut.as_u16()),
                    });
                }
                corps.extend_from_slice(&morceau);
            }
            Ok(None) => break,
            Err(e) => {
                warn!(error = %e, step = ?etape, "identity provider response interrupted");
                return Err(ErreurIdentite::Injoignable { etape });
            }
        }
    }
    Ok(Reponse {
        statut,
        type_contenu,
        corps,
    })
}

/// Parses a JSON body.
fn lire_json<T: DeserializeOwned>(reponse: &Reponse, etape: Etape) -> Result<T, ErreurIdentite> {
    serde_json::from_slice(&reponse.corps).map_err(|e| {
        warn!(error = %e, step = ?etape, "unreadable JSON from the identity provider");
        ErreurIdentite::ReponseInvalide {
            etape,
            statut: None,
        }
    })
}

/// GETs a JSON document; a non-2xx status is an error.
async fn obtenir_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    adresse: &str,
    etape: Etape,
) -> Result<T, ErreurIdentite> {
    let reponse = envoyer(http.get(adresse).header(ACCEPT, "application/json"), etape).await?;
    if !reponse.statut.is_success() {
        warn!(status = %reponse.statut, url = adresse, "identity provider error status");
        return Err(ErreurIdentite::ReponseInvalide {
            etape,
            statut: Some(reponse.statut.as_u16()),
        });
    }
    lire_json(&reponse, etape)
}

/// Whether a URL may carry secrets: HTTPS, or plain HTTP to this machine (tests, development).
fn adresse_sure(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain(domaine)) => domaine == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// Checks a URL of the configuration.
fn adresse_configuree(nom: &str, adresse: &str) -> Result<Url, ErreurIdentite> {
    match Url::parse(adresse) {
        Ok(url) if adresse_sure(&url) => Ok(url),
        _ => Err(configuration(&format!(
            "l'adresse {nom} doit être une adresse https (ou http vers cette machine)."
        ))),
    }
}

/// Checks a URL published in the discovery document.
fn adresse_publiee(nom: &str, adresse: &str) -> Result<Url, ErreurIdentite> {
    match Url::parse(adresse) {
        Ok(url) if adresse_sure(&url) => Ok(url),
        _ => {
            warn!(
                field = nom,
                url = adresse,
                "unusable endpoint in the discovery document"
            );
            Err(ErreurIdentite::ReponseInvalide {
                etape: Etape::Decouverte,
                statut: None,
            })
        }
    }
}

fn configuration(message: &str) -> ErreurIdentite {
    ErreurIdentite::Configuration {
        message: message.to_owned(),
    }
}

/// Default identifier: the label's ASCII letters and digits, in lower case.
fn identifiant_depuis(libelle: &str) -> String {
    let identifiant: String = libelle
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if identifiant.is_empty() {
        "oidc".to_owned()
    } else {
        identifiant
    }
}

/// 256 random bits, base64url without padding (43 characters, a valid PKCE verifier).
fn aleatoire() -> Result<String, ErreurIdentite> {
    let mut octets = [0u8; 32];
    getrandom::getrandom(&mut octets).map_err(|e| {
        error!(error = %e, "random generator failure");
        ErreurIdentite::Interne
    })?;
    Ok(URL_SAFE_NO_PAD.encode(octets))
}

/// Percent-encodes everything but the unreserved characters of RFC 3986.
fn encoder(texte: &str) -> String {
    let mut encode = String::with_capacity(texte.len());
    for octet in texte.bytes() {
        if octet.is_ascii_alphanumeric() || matches!(octet, b'-' | b'.' | b'_' | b'~') {
            encode.push(char::from(octet));
        } else {
            encode.push_str(&format!("%{octet:02X}"));
        }
    }
    encode
}

fn egal_temps_constant(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodage_pour_cent() {
        assert_eq!(encoder("openid given_name"), "openid%20given_name");
        assert_eq!(
            encoder("http://127.0.0.1:8080/retour?a=b&c"),
            "http%3A%2F%2F127.0.0.1%3A8080%2Fretour%3Fa%3Db%26c"
        );
        assert_eq!(encoder("é~"), "%C3%A9~");
    }

    #[test]
    fn adresses_sures() {
        let sure = |s: &str| adresse_sure(&Url::parse(s).unwrap());
        assert!(sure("https://fc.example/api/v2"));
        assert!(sure("http://127.0.0.1:8080/"));
        assert!(sure("http://localhost/"));
        assert!(sure("http://[::1]:9000/"));
        assert!(!sure("http://fc.example/"));
        assert!(!sure("http://10.0.0.1/"));
        assert!(!sure("ftp://fc.example/"));
    }

    #[test]
    fn identifiant_par_defaut() {
        assert_eq!(identifiant_depuis("FranceConnect"), "franceconnect");
        assert_eq!(identifiant_depuis("Mon fournisseur 2"), "monfournisseur2");
        assert_eq!(identifiant_depuis("é"), "oidc");
    }

    #[test]
    fn valeurs_aleatoires_distinctes() {
        let a = aleatoire().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, aleatoire().unwrap());
    }

    fn infos(valeur: serde_json::Value) -> Map<String, Value> {
        valeur.as_object().unwrap().clone()
    }

    #[test]
    fn correspondance_des_revendications() {
        let identite = identite_depuis(
            &infos(serde_json::json!({
                "sub": "s", "family_name": " Dupont ", "given_name": "Angela Claire",
                "birthdate": "1962-08-24", "birthplace": ""
            })),
            "https://fc".to_owned(),
            "s".to_owned(),
        )
        .unwrap();
        assert_eq!(identite.nom, "Dupont");
        assert_eq!(identite.prenoms, "Angela Claire");
        assert_eq!(
            identite.date_naissance,
            NaiveDate::from_ymd_opt(1962, 8, 24)
        );
        assert_eq!(identite.lieu_naissance, None);

        let erreur = |valeur| {
            identite_depuis(&infos(valeur), "https://fc".to_owned(), "s".to_owned()).unwrap_err()
        };
        assert_eq!(
            erreur(serde_json::json!({"given_name": "A"})),
            ErreurIdentite::DonneeManquante { champ: "nom" }
        );
        assert_eq!(
            erreur(serde_json::json!({"family_name": "D"})),
            ErreurIdentite::DonneeManquante { champ: "prenoms" }
        );
        for date in ["24/08/1962", "1962-8-24", "1962", "2999-01-01"] {
            assert!(matches!(
                erreur(
                    serde_json::json!({"family_name": "D", "given_name": "A", "birthdate": date})
                ),
                ErreurIdentite::DonneeInvalide {
                    champ: "date_naissance",
                    ..
                }
            ));
        }
        assert!(matches!(
            erreur(serde_json::json!({"family_name": 3, "given_name": "A"})),
            ErreurIdentite::DonneeInvalide { champ: "nom", .. }
        ));
    }
}
