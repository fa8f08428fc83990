//! The OpenID Connect client against a local test provider (axum on 127.0.0.1:0).
//!
//! The test provider (`tests/commun/fournisseur_oidc.rs`, shared with the two-node test of
//! `maillage`) auto-approves `/authorize`, checks the client credentials, the code and the
//! PKCE verifier at `/token`, and signs id_tokens with keys generated here. Each refusal test
//! changes one thing in what the provider sends (`fournisseur_oidc::Scenario`).

#[path = "commun/fournisseur_oidc.rs"]
mod fournisseur_oidc;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{NaiveDate, TimeDelta, Utc};
use fournisseur_oidc::{Cle, FournisseurTest, CLIENT_ID, CLIENT_SECRET, SUJET};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use maillage_identite::{
    ConfigOidc, DemandeAutorisation, ErreurIdentite, Etape, FournisseurIdentite, IdentiteVerifiee,
    Methode, Oidc,
};
use rand_core::OsRng;
use reqwest::Url;
use serde_json::json;
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:9/identite/retour?source=mandat";

// ---------------------------------------------------------------------------------------------
// The test provider (tests/commun/fournisseur_oidc.rs), as this file's client sees it

/// The keys the provider of the two-node test does not need (RSA, Ed25519).
impl Cle {
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
}

impl FournisseurTest {
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur =
        FournisseurTest::lancer(Cle::rs256("rsa-1"), "client_secret_post", REDIRECT_URI).await;
    let identite = fournisseur.parcours().await.unwrap();
    assert_eq!(identite, identite_attendue(&fournisseur));
}

#[tokio::test]
async fn parcours_complet_eddsa_infos_usager_signees() {
    let fournisseur =
        FournisseurTest::lancer(Cle::eddsa("ed-1"), "client_secret_basic", REDIRECT_URI).await;
    {
        let mut etat = fournisseur.etat();
        etat.scenario.infos_jwt = Some(etat.cle.clone());
    }
    let identite = fournisseur.parcours().await.unwrap();
    assert_eq!(identite, identite_attendue(&fournisseur));
}

#[tokio::test]
async fn url_d_autorisation() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
    fournisseur.etat().scenario.nonce = Some("nonce-d-une-autre-demande".to_owned());
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::NonceInvalide)
    );
}

#[tokio::test]
async fn id_token_signe_par_une_autre_cle_refuse() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
    // Same kid as the published key, other private key.
    fournisseur.etat().scenario.cle_id_token = Some(Cle::es256("cle-1"));
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::SignatureInvalide)
    );
}

#[tokio::test]
async fn id_token_d_une_cle_inconnue_refuse() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
    fournisseur.etat().scenario.aud = Some(json!(["autre-client"]));
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::AudienceInvalide)
    );
}

#[tokio::test]
async fn id_token_d_un_autre_emetteur_refuse() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
    fournisseur.etat().scenario.iss = Some("https://autre-fournisseur.example".to_owned());
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::EmetteurInvalide)
    );
}

#[tokio::test]
async fn reponse_sans_id_token_refusee() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
    fournisseur.etat().scenario.sans_id_token = true;
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::JetonIdentiteAbsent)
    );
}

#[tokio::test]
async fn erreur_du_point_jeton() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
    fournisseur.etat().scenario.sub_infos = Some("une-autre-personne".to_owned());
    assert_eq!(
        fournisseur.parcours().await,
        Err(ErreurIdentite::SujetDifferent)
    );
}

#[tokio::test]
async fn infos_usager_signees_par_une_autre_cle_refusees() {
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
    let fournisseur = FournisseurTest::es256(REDIRECT_URI).await;
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
