//! Errors of identity verification.
//!
//! Every variant has a French `Display` message meant for the aidant. Technical details (in
//! English) are written to the `tracing` logs where the error is produced, never in the message.

use std::fmt;

/// Step of the OpenID Connect exchange during which a provider failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Etape {
    /// `GET {issuer}/.well-known/openid-configuration`.
    Decouverte,
    /// `GET jwks_uri` (signing keys).
    Cles,
    /// `POST token_endpoint` (authorization code exchange).
    Jeton,
    /// `GET userinfo_endpoint`.
    InfosUsager,
}

impl fmt::Display for Etape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Etape::Decouverte => "lecture de sa configuration",
            Etape::Cles => "récupération de ses clés de signature",
            Etape::Jeton => "échange du code d'autorisation",
            Etape::InfosUsager => "récupération de l'identité",
        })
    }
}

/// Why an identity could not be recorded as verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErreurIdentite {
    /// A field typed by the aidant is invalid; `champ` is the form field name
    /// (`nom`, `prenoms`, `date_naissance`, `piece`).
    #[error("{message}")]
    Champ {
        /// Name of the form field.
        champ: &'static str,
        /// French message naming the field.
        message: String,
    },
    /// The provider configuration given by the operator is unusable.
    #[error("Le fournisseur d'identité est mal configuré : {message}")]
    Configuration {
        /// French description of the problem.
        message: String,
    },
    /// The provider could not be reached (connection refused, DNS, timeout).
    #[error(
        "Le fournisseur d'identité ne répond pas ({etape}). Réessayez dans quelques minutes, ou vérifiez l'identité avec une pièce justificative."
    )]
    Injoignable {
        /// Step that failed.
        etape: Etape,
    },
    /// The provider answered with an unexpected status or an unreadable document.
    #[error("Le fournisseur d'identité a renvoyé une réponse inattendue ({etape}).")]
    ReponseInvalide {
        /// Step that failed.
        etape: Etape,
        /// HTTP status, when the failure is a status.
        statut: Option<u16>,
    },
    /// The discovery document announces another issuer than the configured one.
    #[error(
        "La configuration publiée par le fournisseur d'identité ne correspond pas à l'adresse attendue ({attendu})."
    )]
    EmetteurIncoherent {
        /// Configured issuer.
        attendu: String,
        /// Issuer found in the discovery document.
        recu: String,
    },
    /// The person cancelled or the provider refused the authorization
    /// (`error` parameter on the callback).
    #[error("La connexion a été annulée ou refusée chez le fournisseur d'identité.")]
    AutorisationRefusee {
        /// OAuth 2.0 error code (`access_denied`…).
        erreur: String,
        /// Description given by the provider, if any.
        description: Option<String>,
    },
    /// The pending request was started with another provider.
    #[error("Cette vérification a été commencée avec un autre fournisseur d'identité. Recommencez la vérification.")]
    FournisseurIncoherent,
    /// The pending request is too old.
    #[error("La vérification d'identité a pris trop de temps. Recommencez la vérification.")]
    DemandeExpiree,
    /// The `state` returned by the provider differs from the pending request.
    #[error("Le retour du fournisseur d'identité ne correspond pas à la vérification en cours. Recommencez la vérification.")]
    EtatInvalide,
    /// The token endpoint refused the exchange with an OAuth 2.0 error.
    #[error("Le fournisseur d'identité a refusé l'échange du code d'autorisation ({erreur}). Recommencez la vérification.")]
    JetonRefuse {
        /// OAuth 2.0 error code (`invalid_grant`, `invalid_client`…).
        erreur: String,
        /// Description given by the provider, if any.
        description: Option<String>,
    },
    /// The token response holds no `id_token`.
    #[error("Le fournisseur d'identité n'a pas transmis de jeton d'identité.")]
    JetonIdentiteAbsent,
    /// A token cannot be decoded (not a JWS, bad base64 or JSON, malformed claim).
    #[error("Le jeton transmis par le fournisseur d'identité est illisible.")]
    JetonMalForme,
    /// The token is signed with an algorithm this crate refuses (`none`, HMAC…).
    #[error("Le jeton transmis par le fournisseur d'identité utilise un algorithme de signature refusé ({alg}).")]
    AlgorithmeNonAccepte {
        /// Algorithm of the JWS header.
        alg: String,
    },
    /// No published key matches the token (`kid`, key type or algorithm).
    #[error("La clé de signature du jeton est inconnue du fournisseur d'identité.")]
    CleInconnue {
        /// `kid` of the JWS header.
        kid: Option<String>,
    },
    /// The signature does not verify with the published key.
    #[error("La signature du jeton transmis par le fournisseur d'identité est invalide.")]
    SignatureInvalide,
    /// `iss` of the token is not the provider.
    #[error("Le jeton n'a pas été émis par le fournisseur d'identité attendu.")]
    EmetteurInvalide,
    /// `aud` does not contain this client (or `azp` names another client).
    #[error("Le jeton d'identité n'est pas destiné à Maillage.")]
    AudienceInvalide,
    /// `exp` is past.
    #[error("Le jeton d'identité a expiré. Recommencez la vérification.")]
    JetonExpire,
    /// `iat` (or `nbf`) is missing or in the future.
    #[error("La date d'émission du jeton d'identité est invalide. Vérifiez l'heure du serveur, puis recommencez.")]
    DateEmissionInvalide,
    /// A claim required by OpenID Connect is missing from the token.
    #[error("Le jeton d'identité est incomplet (donnée « {revendication} » absente).")]
    RevendicationManquante {
        /// Name of the missing claim.
        revendication: String,
    },
    /// `nonce` differs from the pending request (possible replay).
    #[error("Le jeton d'identité ne correspond pas à la vérification en cours. Recommencez la vérification.")]
    NonceInvalide,
    /// `sub` of the userinfo response differs from the id_token's.
    #[error("Les informations d'identité ne concernent pas la personne authentifiée. Recommencez la vérification.")]
    SujetDifferent,
    /// The provider did not send a piece of identity Maillage needs.
    #[error("Le fournisseur d'identité n'a pas transmis une donnée nécessaire ({champ}).")]
    DonneeManquante {
        /// Field of [`crate::IdentiteVerifiee`] (`nom`, `prenoms`, `sujet`).
        champ: &'static str,
    },
    /// The provider sent a value Maillage cannot record.
    #[error("Le fournisseur d'identité a transmis une donnée invalide : {message}")]
    DonneeInvalide {
        /// Field of [`crate::IdentiteVerifiee`].
        champ: &'static str,
        /// French message naming the field.
        message: String,
    },
    /// Failure of this server (random generator, HTTP client construction).
    #[error("Erreur interne lors de la vérification d'identité. Réessayez plus tard.")]
    Interne,
}
