//! Sign-in pages: password, second factor (or enrolment), re-authentication, sign-out,
//! invitations.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_comptes::comptes::EtapeConnexion;
use maillage_comptes::securite;
use maillage_mediation::ErreurMediation;

use super::{
    cookie, mediation, rendre, retour_sur, set_cookie, Connecte, ErreurWeb, OuRetour, COOKIE_PRE,
    COOKIE_SESSION,
};
use crate::formulaires::{lire_formulaire, FormulaireConnecte, Params, SansChamp};
use crate::site::Site;
use crate::AppState;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "espace/connexion.html")]
struct PageConnexion {
    site: Arc<Site>,
    /// `motdepasse`, `code` or `reauth`.
    mode: &'static str,
    message: Option<String>,
    info: Option<String>,
    csrf: String,
    retour: String,
    email: String,
}

#[derive(Template)]
#[template(path = "espace/enrolement.html")]
struct PageEnrolement {
    site: Arc<Site>,
    csrf: String,
    /// The key in groups of 4 characters, easier to type by hand.
    secret: String,
    /// `otpauth://` link: opens the authenticator app of the phone showing the page.
    uri: String,
    qr_svg: String,
    message: Option<String>,
    codes: Vec<String>,
    retour: String,
}

#[derive(Template)]
#[template(path = "espace/invitation.html")]
struct PageInvitation {
    site: Arc<Site>,
    csrf: String,
    email: String,
    role: String,
    message: Option<String>,
    nom: String,
}

pub(crate) fn securise(state: &AppState) -> bool {
    state
        .instance
        .comptes()
        .reglages()
        .adresse_publique
        .starts_with("https://")
}

/// A page with a fresh double-submit token (forms before sign-in).
pub(crate) fn avec_pre(state: &AppState, jeton: &str, mut r: Response) -> Response {
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(COOKIE_PRE, Some(jeton), securise(state)),
    );
    r
}

/// Checks a form before sign-in: its `csrf` field against the double-submit cookie.
pub(crate) fn verifier_pre(headers: &HeaderMap, csrf: Option<&str>) -> Result<(), ErreurWeb> {
    match (cookie(headers, COOKIE_PRE), csrf) {
        (Some(c), Some(f)) if !c.is_empty() && securite::egal_temps_constant(&c, f) => Ok(()),
        _ => Err(ErreurWeb::Csrf),
    }
}

/// The client's network address (throttling), when the server knows it: the peer's, or
/// behind a configured reverse proxy the one it forwarded (see [`super::adresse_client`]).
pub struct AdresseClient(pub String);

impl axum::extract::FromRequestParts<AppState> for AdresseClient {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let pair = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(AdresseClient(
            super::adresse_client::adresse_du_client(pair, &parts.headers, &state.site.proxies)
                .map(super::adresse_client::cle_adresse)
                .unwrap_or_else(|| "inconnue".into()),
        ))
    }
}

fn redirection_avec_session(state: &AppState, jeton: &str, vers: &str) -> Response {
    let mut r = Redirect::to(vers).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(COOKIE_SESSION, Some(jeton), securise(state)),
    );
    r
}

/// The query of the sign-in steps: where to go back to once signed in.
#[derive(Deserialize)]
pub struct ParamsRetour {
    retour: Option<String>,
    /// Present after an account was created (`/connexion?compte=1`).
    compte: Option<String>,
}

pub async fn page_connexion(
    State(state): State<AppState>,
    Params(q): Params<ParamsRetour>,
) -> Result<Response, ErreurWeb> {
    let jeton = securite::jeton_aleatoire();
    let info = q
        .compte
        .map(|_| "Votre compte est créé : connectez-vous.".to_string());
    let r = rendre(&PageConnexion {
        site: state.site.clone(),
        mode: "motdepasse",
        message: None,
        info,
        csrf: jeton.clone(),
        retour: retour_sur(q.retour.as_deref()),
        email: String::new(),
    })?;
    Ok(avec_pre(&state, &jeton, r))
}

/// The sign-in form.
#[derive(Deserialize)]
struct FormulaireConnexion {
    csrf: Option<String>,
    retour: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mot_de_passe: String,
}

pub async fn connexion(
    State(state): State<AppState>,
    AdresseClient(ip): AdresseClient,
    headers: HeaderMap,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let f: FormulaireConnexion = lire_formulaire(&corps)?;
    verifier_pre(&headers, f.csrf.as_deref())?;
    let m = mediation(&state)?;
    let retour = retour_sur(f.retour.as_deref());
    let email = f.email.trim().to_string();
    match m.comptes().connexion(&email, &f.mot_de_passe, &ip).await {
        Ok(EtapeConnexion::SecondFacteur(j)) => Ok(redirection_avec_session(
            &state,
            &j.0,
            &format!("/connexion/code?retour={}", super::encoder(&retour)),
        )),
        Ok(EtapeConnexion::Enrolement(j)) => Ok(redirection_avec_session(
            &state,
            &j.0,
            &format!("/connexion/enrolement?retour={}", super::encoder(&retour)),
        )),
        Err(e @ (ErreurMediation::Identifiants | ErreurMediation::TropDeTentatives)) => {
            let jeton = securite::jeton_aleatoire();
            let statut = if matches!(e, ErreurMediation::TropDeTentatives) {
                axum::http::StatusCode::TOO_MANY_REQUESTS
            } else {
                axum::http::StatusCode::UNAUTHORIZED
            };
            let mut r = rendre(&PageConnexion {
                site: state.site.clone(),
                mode: "motdepasse",
                message: Some(e.to_string()),
                info: None,
                csrf: jeton.clone(),
                retour,
                email,
            })?;
            *r.status_mut() = statut;
            Ok(avec_pre(&state, &jeton, r))
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/connexion".into())),
    }
}

/// The partial session behind the cookie (password passed).
async fn session_partielle(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<
    (
        String,
        (
            maillage_comptes::stockage::SessionRow,
            maillage_comptes::Compte,
        ),
    ),
    ErreurWeb,
> {
    let m = mediation(state)?;
    let jeton = cookie(headers, COOKIE_SESSION)
        .ok_or_else(|| ErreurWeb::mediation(ErreurMediation::NonConnecte, "/espace".into()))?;
    let s = m
        .comptes()
        .session(&jeton)
        .await
        .ou("/espace")?
        .ok_or_else(|| ErreurWeb::mediation(ErreurMediation::NonConnecte, "/espace".into()))?;
    Ok((jeton, s))
}

async fn page_code_ou_reauth(
    state: &AppState,
    headers: &HeaderMap,
    mode: &'static str,
    retour: String,
    message: Option<String>,
) -> Result<Response, ErreurWeb> {
    let (_, (session, _)) = session_partielle(state, headers).await?;
    let mut r = rendre(&PageConnexion {
        site: state.site.clone(),
        mode,
        message: message.clone(),
        info: None,
        csrf: session.csrf,
        retour,
        email: String::new(),
    })?;
    if message.is_some() {
        *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
    }
    Ok(r)
}

pub async fn page_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(q): Params<ParamsRetour>,
) -> Result<Response, ErreurWeb> {
    let retour = retour_sur(q.retour.as_deref());
    page_code_ou_reauth(&state, &headers, "code", retour, None).await
}

/// The form of a one-time code (second factor, re-authentication, enrolment).
#[derive(Deserialize)]
struct FormulaireCode {
    csrf: Option<String>,
    retour: Option<String>,
    #[serde(default)]
    code: String,
}

impl FormulaireCode {
    /// Checks the form's token against the partial session's.
    fn verifier(&self, session: &maillage_comptes::stockage::SessionRow) -> Result<(), ErreurWeb> {
        match self.csrf.as_deref() {
            Some(t) if securite::egal_temps_constant(t, &session.csrf) => Ok(()),
            _ => Err(ErreurWeb::Csrf),
        }
    }
}

async fn passer_code(
    state: &AppState,
    headers: &HeaderMap,
    corps: &[u8],
    mode: &'static str,
) -> Result<Response, ErreurWeb> {
    let (jeton, (session, _)) = session_partielle(state, headers).await?;
    let f: FormulaireCode = lire_formulaire(corps)?;
    f.verifier(&session)?;
    let retour = retour_sur(f.retour.as_deref());
    let m = mediation(state)?;
    match m.comptes().second_facteur(&jeton, f.code.trim()).await {
        Ok(nouveau) => Ok(redirection_avec_session(state, &nouveau.0, &retour)),
        Err(e @ (ErreurMediation::CodeIncorrect | ErreurMediation::TropDeTentatives)) => {
            page_code_ou_reauth(state, headers, mode, retour, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/connexion".into())),
    }
}

pub async fn code(
    State(state): State<AppState>,
    headers: HeaderMap,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    passer_code(&state, &headers, &corps, "code").await
}

pub async fn page_reauth(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    headers: HeaderMap,
    Params(q): Params<ParamsRetour>,
) -> Result<Response, ErreurWeb> {
    let retour = retour_sur(q.retour.as_deref());
    page_code_ou_reauth(&state, &headers, "reauth", retour, None).await
}

pub async fn reauth(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    headers: HeaderMap,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    passer_code(&state, &headers, &corps, "reauth").await
}

/// `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP` (authenticator apps ignore the spaces).
pub(crate) fn par_quatre(cle: &str) -> String {
    let c: Vec<char> = cle.chars().filter(|c| !c.is_whitespace()).collect();
    c.chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn page_enrolement(
    State(state): State<AppState>,
    headers: HeaderMap,
    Params(q): Params<ParamsRetour>,
) -> Result<Response, ErreurWeb> {
    let (jeton, (session, _)) = session_partielle(&state, &headers).await?;
    let m = mediation(&state)?;
    let e = m
        .comptes()
        .debut_enrolement(&jeton)
        .await
        .ou("/connexion")?;
    rendre(&PageEnrolement {
        site: state.site.clone(),
        csrf: session.csrf,
        secret: par_quatre(&e.secret),
        uri: e.uri,
        qr_svg: e.qr_svg,
        message: None,
        codes: vec![],
        retour: retour_sur(q.retour.as_deref()),
    })
}

pub async fn enrolement(
    State(state): State<AppState>,
    headers: HeaderMap,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let (jeton, (session, _)) = session_partielle(&state, &headers).await?;
    let f: FormulaireCode = lire_formulaire(&corps)?;
    f.verifier(&session)?;
    let retour = retour_sur(f.retour.as_deref());
    let m = mediation(&state)?;
    match m
        .comptes()
        .confirmer_enrolement(&jeton, f.code.trim())
        .await
    {
        Ok((nouveau, codes)) => {
            let mut r = rendre(&PageEnrolement {
                site: state.site.clone(),
                csrf: String::new(),
                secret: String::new(),
                uri: String::new(),
                qr_svg: String::new(),
                message: None,
                codes,
                retour,
            })?;
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(COOKIE_SESSION, Some(&nouveau.0), securise(&state)),
            );
            Ok(r)
        }
        Err(ErreurMediation::CodeIncorrect) => {
            let e = m
                .comptes()
                .debut_enrolement(&jeton)
                .await
                .ou("/connexion")?;
            let mut r = rendre(&PageEnrolement {
                site: state.site.clone(),
                csrf: session.csrf,
                secret: par_quatre(&e.secret),
                uri: e.uri,
                qr_svg: e.qr_svg,
                message: Some(ErreurMediation::CodeIncorrect.to_string()),
                codes: vec![],
                retour,
            })?;
            *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(r)
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/connexion".into())),
    }
}

pub async fn deconnexion(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormulaireConnecte(_, SansChamp {}): FormulaireConnecte<SansChamp>,
) -> Result<Response, ErreurWeb> {
    if let Some(j) = cookie(&headers, COOKIE_SESSION) {
        mediation(&state)?.comptes().deconnexion(&j).await.ou("/")?;
    }
    let mut r = Redirect::to("/connexion").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(COOKIE_SESSION, None, false));
    Ok(r)
}

pub async fn page_invitation(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let inv = m.comptes().invitation(&jeton).await.ou("/connexion")?;
    let pre = securite::jeton_aleatoire();
    let r = rendre(&PageInvitation {
        site: state.site.clone(),
        csrf: pre.clone(),
        email: inv.email,
        role: role_lisible(&inv.role),
        message: None,
        nom: String::new(),
    })?;
    Ok(avec_pre(&state, &pre, r))
}

fn role_lisible(code: &str) -> String {
    use maillage_domain::mediation::{Referentiel, Role};
    Role::depuis_code(code)
        .map(|r| r.libelle().to_string())
        .unwrap_or_default()
}

/// The form accepting an invitation.
#[derive(Deserialize)]
struct FormulaireInvitation {
    csrf: Option<String>,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    confirmation: String,
}

pub async fn invitation(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
    headers: HeaderMap,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let f: FormulaireInvitation = lire_formulaire(&corps)?;
    verifier_pre(&headers, f.csrf.as_deref())?;
    let m = mediation(&state)?;
    let nom = f.nom.trim().to_string();
    let mdp = f.mot_de_passe.as_str();
    if mdp != f.confirmation {
        let inv = m.comptes().invitation(&jeton).await.ou("/connexion")?;
        let pre = securite::jeton_aleatoire();
        let r = rendre(&PageInvitation {
            site: state.site.clone(),
            csrf: pre.clone(),
            email: inv.email,
            role: role_lisible(&inv.role),
            message: Some("Les deux mots de passe ne sont pas identiques.".into()),
            nom,
        })?;
        return Ok(avec_pre(&state, &pre, r));
    }
    match m
        .comptes()
        .accepter_invitation_et_connecter(&jeton, &nom, mdp)
        .await
    {
        // Signed in at once: straight on to the second factor (enrolment for a new account).
        Ok(EtapeConnexion::Enrolement(j)) => Ok(redirection_avec_session(
            &state,
            &j.0,
            "/connexion/enrolement?retour=%2Fespace",
        )),
        Ok(EtapeConnexion::SecondFacteur(j)) => Ok(redirection_avec_session(
            &state,
            &j.0,
            "/connexion/code?retour=%2Fespace",
        )),
        Err(e @ ErreurMediation::Invalide { .. }) => {
            let inv = m.comptes().invitation(&jeton).await.ou("/connexion")?;
            let pre = securite::jeton_aleatoire();
            let r = rendre(&PageInvitation {
                site: state.site.clone(),
                csrf: pre.clone(),
                email: inv.email,
                role: role_lisible(&inv.role),
                message: Some(e.to_string()),
                nom,
            })?;
            Ok(avec_pre(&state, &pre, r))
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/connexion".into())),
    }
}
