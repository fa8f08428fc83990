//! « Mon espace » (`/mon-espace`): the person's space across modules, opened with the one
//! personal code they got on a ticket, a mandate or a result. The key and the session are
//! the accounts kernel's ([`maillage_comptes::personnes`]); each module shows what it holds
//! under the key: registrations to events (cancellable here), self-assessment results
//! (« Mon niveau »), mandates (details and revocation under `/mon-mandat`), passes numériques
//! given to the key by a prescriber (state: distribué, utilisé le … à …).

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_comptes::personnes::SessionEspace;
use maillage_comptes::{securite, ErreurComptes};
use maillage_evenements::{StatutInscription, TypeSession};
use serde::Deserialize;

use crate::erreur::{ErreurWeb, OuRetour};
use crate::espace::connexion::{avec_pre, securise, verifier_pre, AdresseClient};
use crate::espace::{cookie, rendre, set_cookie};
use crate::evenements::{evenements, quand};
use crate::formulaires::lire_formulaire;
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;

/// The cookie of the person's space: a random token, stored hashed by the kernel.
pub(crate) const COOKIE_ESPACE: &str = "maillage_espace";

pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Espace)
        .get("/mon-espace", page)
        .post("/mon-espace", agir)
}

/// The open space of a request, if its cookie names one still open.
pub(crate) async fn session_espace(state: &AppState, headers: &HeaderMap) -> Option<SessionEspace> {
    let jeton = cookie(headers, COOKIE_ESPACE)?;
    state
        .instance
        .comptes()
        .personne_de_session(&jeton)
        .await
        .ok()
        .flatten()
}

/// `Set-Cookie` of the space (its deletion with `None`).
pub(crate) fn cookie_espace(state: &AppState, jeton: Option<&str>) -> HeaderValue {
    match jeton {
        Some(j) => set_cookie(COOKIE_ESPACE, Some(j), securise(state)),
        None => set_cookie(COOKIE_ESPACE, None, false),
    }
}

/// A registration as the person sees it.
pub struct LigneInscription {
    pub uuid: String,
    pub evenement_id: i64,
    pub evenement: String,
    pub session: String,
    pub quand: String,
    pub statut: &'static str,
    pub annulable: bool,
    /// A freed seat held for the person: until when (« 12/06/2030 à 10:00 »).
    pub offre: Option<String>,
}

/// A pass numérique attached to the person's key, as they see it.
pub struct LignePass {
    pub code: String,
    pub programme: String,
    pub valeur: String,
    /// « distribué le … », « utilisé le … à … », « expiré »…
    pub etat: String,
    pub utilisable: bool,
    /// The J−30 notice: « Votre pass de 10,00 € est valable jusqu’au … ».
    pub avis: Option<String>,
}

/// A stored self-assessment as the person sees it: its date and each domain's band.
pub struct LigneNiveau {
    pub quand: String,
    pub domaines: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "mon_espace.html")]
struct PageEspace {
    site: Arc<Site>,
    csrf: String,
    ouvert: bool,
    message: Option<String>,
    erreur: Option<String>,
    inscriptions: Vec<LigneInscription>,
    niveaux: Vec<LigneNiveau>,
    /// How many mandates are held under the key (`None`: the module is not set up).
    mandats: Option<usize>,
    passes: Vec<LignePass>,
    /// The address left to be told before the end of validity of the passes.
    contact_pass: String,
}

async fn rendre_page(
    state: &AppState,
    session: Option<&SessionEspace>,
    message: Option<String>,
    erreur: Option<String>,
    statut: StatusCode,
) -> Result<Response, ErreurWeb> {
    let jeton = securite::jeton_aleatoire();
    let mut page = PageEspace {
        site: Arc::clone(&state.site),
        csrf: jeton.clone(),
        ouvert: session.is_some(),
        message,
        erreur,
        inscriptions: Vec::new(),
        niveaux: Vec::new(),
        mandats: None,
        passes: Vec::new(),
        contact_pass: String::new(),
    };
    if let Some(s) = session {
        let now = state.instance.comptes().maintenant();
        for (i, sess, e) in evenements(state)
            .inscriptions_de_personne(s)
            .await
            .ou("/mon-espace")?
        {
            let statut = i.statut.parse::<StatutInscription>().ok();
            page.inscriptions.push(LigneInscription {
                uuid: i.uuid.clone(),
                evenement_id: e.id,
                evenement: e.titre.clone(),
                session: format!(
                    "{} ({})",
                    sess.titre,
                    sess.type_session
                        .parse::<TypeSession>()
                        .map(|t| t.libelle())
                        .unwrap_or("session")
                ),
                quand: quand(sess.debut, sess.fin),
                statut: statut.map_or("inconnu", |s| s.libelle()),
                annulable: matches!(
                    statut,
                    Some(StatutInscription::Inscrit | StatutInscription::ListeAttente)
                ) && sess.debut > now,
                offre: crate::evenements::offre_en_cours(&i, now),
            });
        }
        let referentiel = maillage_competences::Referentiel::embarque();
        for r in state
            .instance
            .competences()
            .resultats_de_personne(s)
            .await
            .ou("/mon-espace")?
            .into_iter()
            .rev()
        {
            page.niveaux.push(LigneNiveau {
                quand: r
                    .created_at
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y")
                    .to_string(),
                domaines: r
                    .domaines
                    .iter()
                    .map(|d| {
                        let titre = referentiel
                            .domaines
                            .iter()
                            .find(|x| x.code == d.domaine)
                            .map_or_else(|| d.domaine.clone(), |x| x.titre.clone());
                        let bande = maillage_competences::resultats::bande_de_code(&d.bande)
                            .map_or("?", |b| b.libelle());
                        (titre, bande)
                    })
                    .collect(),
            });
        }
        let paris = |d: chrono::DateTime<chrono::Utc>| d.with_timezone(&chrono_tz::Europe::Paris);
        for p in state
            .instance
            .pass()
            .pass_de_personne(s)
            .await
            .map_err(ErreurWeb::from)?
        {
            let etat = match (p.etat.as_str(), p.utilise_at) {
                ("utilise", Some(u)) => format!(
                    "utilisé le {} à {}",
                    paris(u).format("%d/%m/%Y"),
                    paris(u).format("%H:%M")
                ),
                ("distribue", _) => format!(
                    "distribué{}, valable jusqu’au {}",
                    p.distribue_at
                        .map(|d| format!(" le {}", paris(d).format("%d/%m/%Y")))
                        .unwrap_or_default(),
                    p.tolerance.format("%d/%m/%Y")
                ),
                (autre, _) => maillage_pass::libelle_etat(autre).to_string(),
            };
            page.passes.push(LignePass {
                utilisable: p.etat == "distribue",
                code: p.code,
                programme: p.programme,
                valeur: maillage_pass::euros(p.valeur_centimes),
                etat,
                avis: p.avis,
            });
        }
        if !page.passes.is_empty() {
            page.contact_pass = state
                .instance
                .pass()
                .contact_avis(s)
                .await
                .map_err(ErreurWeb::from)?
                .unwrap_or_default();
        }
        if let Ok(m) = state.instance.mandats() {
            let n = match m.espace_personne(s).await {
                Ok((_, liste, _)) => liste.len(),
                Err(_) => 0,
            };
            page.mandats = Some(n);
        }
    }
    let mut r = rendre(&page)?;
    *r.status_mut() = statut;
    Ok(avec_pre(state, &jeton, r))
}

/// `GET /mon-espace`: the code form, or what is held under the key.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ErreurWeb> {
    let s = session_espace(&state, &headers).await;
    rendre_page(&state, s.as_ref(), None, None, StatusCode::OK).await
}

/// The forms of the space: `action` = `ouvrir` (with `code`), `annuler` or `confirmer` (a
/// seat offered from the waiting list; with `inscription`, a registration's UUID), anything
/// else closes the space.
#[derive(Deserialize)]
pub struct FormulaireEspace {
    csrf: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    inscription: String,
    /// `contact_pass`: the address to be told before the end of validity (empty: removed).
    #[serde(default)]
    contact: String,
}

/// `POST /mon-espace`.
pub async fn agir(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdresseClient(adresse): AdresseClient,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let f: FormulaireEspace = lire_formulaire(&corps)?;
    verifier_pre(&headers, f.csrf.as_deref())?;
    let comptes = state.instance.comptes();
    match f.action.trim() {
        "ouvrir" => match comptes.ouvrir_espace(&f.code, &adresse).await {
            Ok((jeton, _)) => {
                let mut r = Redirect::to("/mon-espace").into_response();
                r.headers_mut()
                    .append(header::SET_COOKIE, cookie_espace(&state, Some(&jeton)));
                Ok(r)
            }
            Err(e @ ErreurComptes::CodePersonnelIncorrect) => {
                rendre_page(
                    &state,
                    None,
                    None,
                    Some(format!(
                        "{e} Vérifiez-le sur votre billet, votre mandat ou votre résultat."
                    )),
                    StatusCode::UNAUTHORIZED,
                )
                .await
            }
            Err(e @ ErreurComptes::TropDeTentatives) => {
                rendre_page(
                    &state,
                    None,
                    None,
                    Some(e.to_string()),
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await
            }
            Err(e) => Err(ErreurWeb::from(e).avec_retour("/mon-espace")),
        },
        "annuler" => {
            let Some(s) = session_espace(&state, &headers).await else {
                return Ok(Redirect::to("/mon-espace").into_response());
            };
            match evenements(&state)
                .annuler_par_personne(&s, &f.inscription)
                .await
            {
                Ok(_) => {
                    rendre_page(
                        &state,
                        Some(&s),
                        Some("C’est fait : votre inscription est annulée, votre place est libérée pour quelqu’un d’autre.".into()),
                        None,
                        StatusCode::OK,
                    )
                    .await
                }
                Err(maillage_evenements::ErreurEvenements::Introuvable) => {
                    rendre_page(
                        &state,
                        Some(&s),
                        None,
                        Some("Cette inscription n’est pas dans votre espace.".into()),
                        StatusCode::NOT_FOUND,
                    )
                    .await
                }
                Err(e) => Err(ErreurWeb::from(e).avec_retour("/mon-espace")),
            }
        }
        "confirmer" => {
            let Some(s) = session_espace(&state, &headers).await else {
                return Ok(Redirect::to("/mon-espace").into_response());
            };
            match evenements(&state)
                .confirmer_offre_par_personne(&s, &f.inscription)
                .await
            {
                Ok(c) => {
                    let (message, erreur, statut) = crate::evenements::issue_confirmation(c);
                    rendre_page(&state, Some(&s), message, erreur, statut).await
                }
                Err(maillage_evenements::ErreurEvenements::Introuvable) => {
                    rendre_page(
                        &state,
                        Some(&s),
                        None,
                        Some("Cette inscription n’est pas dans votre espace.".into()),
                        StatusCode::NOT_FOUND,
                    )
                    .await
                }
                Err(e) => Err(ErreurWeb::from(e).avec_retour("/mon-espace")),
            }
        }
        "contact_pass" => {
            let Some(s) = session_espace(&state, &headers).await else {
                return Ok(Redirect::to("/mon-espace").into_response());
            };
            match state
                .instance
                .pass()
                .definir_contact_avis(&s, &f.contact)
                .await
            {
                Ok(Some(a)) => {
                    rendre_page(
                        &state,
                        Some(&s),
                        Some(format!("C’est noté : un courriel vous sera envoyé à {a} un mois avant la fin de validité de vos pass.")),
                        None,
                        StatusCode::OK,
                    )
                    .await
                }
                Ok(None) => {
                    rendre_page(
                        &state,
                        Some(&s),
                        Some("C’est fait : votre adresse est retirée, vous ne serez pas prévenu par courriel.".into()),
                        None,
                        StatusCode::OK,
                    )
                    .await
                }
                Err(maillage_pass::ErreurPass::Invalide { message, .. }) => {
                    rendre_page(
                        &state,
                        Some(&s),
                        None,
                        Some(format!("Adresse électronique : {message}.")),
                        StatusCode::BAD_REQUEST,
                    )
                    .await
                }
                Err(e) => Err(ErreurWeb::from(e).avec_retour("/mon-espace")),
            }
        }
        _ => {
            if let Some(s) = session_espace(&state, &headers).await {
                comptes.fermer_espace(&s).await.ou("/mon-espace")?;
            }
            let mut r = Redirect::to("/mon-espace").into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, cookie_espace(&state, None));
            Ok(r)
        }
    }
}
