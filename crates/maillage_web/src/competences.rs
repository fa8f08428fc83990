//! « Connaître son niveau » (`/competences`): the self-assessment without an account.
//!
//! The whole state of an assessment travels in the page (a hidden field, read back and
//! checked against the bank at each answer): nothing is stored, no cookie is set, the pages
//! are not cached (`Cache-Control: no-store`), so « Effacer mes réponses » is leaving them
//! and a shared computer keeps nothing. Every page works without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maillage_competences::banque::{Genre, Item, Reponse};
use maillage_competences::evaluation::{Arret, Confiance, QUESTIONS_MAX, QUESTIONS_MIN};
use maillage_competences::quiz::{juste, Etape as EtapeQuiz, Quiz};
use maillage_competences::{Bande, Banque, Evaluation, Referentiel, Resultat};
use maillage_domain::{Service, Vocabulary};
use serde::Deserialize;

use maillage_competences::resultats::{bande_de_code, Origine, CONSENTEMENT};

use crate::erreur::{rendre, ErreurWeb, OuRetour};
use crate::espace::connexion::AdresseClient;
use crate::espace::Connecte;
use crate::formulaires::{Formulaire, FormulaireConnecte};
use crate::pages::{maintenant, mots_du_besoin, pres_de, trouver};
use crate::parametres::{analyser, Parametres};
use crate::presentation::{self, Carte};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;

/// Pix, where a level beyond the bands measured here is certified.
pub const LIEN_PIX: &str = "https://pix.fr";

pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Competences)
        .get("/competences", accueil)
        .post("/competences", avancer)
        .get("/competences/quiz/{code}", quiz_debut)
        .post("/competences/quiz/{code}", quiz_avancer)
        .get("/espace/beneficiaires/{id}/competences", page_consentement)
        .post(
            "/espace/beneficiaires/{id}/competences",
            evaluer_avec_la_personne,
        )
        .api(utoipa_axum::routes!(api_besoins))
}

/// Pages of the assessment are never cached: the answers live in them only.
fn sans_cache(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Template)]
#[template(path = "competences_accueil.html")]
struct PageAccueil {
    site: Arc<Site>,
    efface: bool,
    min: usize,
    max: usize,
    domaines: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct ParamsAccueil {
    efface: Option<String>,
}

pub async fn accueil(
    State(state): State<AppState>,
    axum::extract::Query(p): axum::extract::Query<ParamsAccueil>,
) -> Result<Response, ErreurWeb> {
    let r = Referentiel::embarque();
    Ok(sans_cache(
        rendre(&PageAccueil {
            site: state.site.clone(),
            efface: p.efface.is_some(),
            min: QUESTIONS_MIN,
            max: QUESTIONS_MAX,
            domaines: r
                .domaines
                .iter()
                .map(|d| (d.code.clone(), d.titre.clone()))
                .collect(),
        })?
        .into_response(),
    ))
}

/// One answer offered to a question.
struct ChoixReponse {
    code: char,
    texte: String,
}

#[derive(Template)]
#[template(path = "competences_question.html")]
struct PageQuestion {
    site: Arc<Site>,
    /// Where the form goes, and what it carries beside the state (the mediator path).
    contexte: Contexte,
    etat: String,
    numero: usize,
    max: usize,
    item_id: String,
    texte: String,
    domaine: String,
    competence: String,
    enonce: bool,
    choix: Vec<ChoixReponse>,
    erreur: Option<String>,
    /// What the previous practical question taught (right answer and why).
    retour: Option<(bool, String)>,
}

/// A domain's line on the results page.
struct LigneDomaine {
    titre: String,
    bande: &'static str,
    niveau: u8,
    confiance: &'static str,
    questions: usize,
    /// Bar width in the chart (of 300).
    largeur: u32,
}

/// One of the next steps.
struct Etape {
    titre: String,
    pourquoi: String,
    besoin: &'static str,
    lien: String,
    lieu: Option<Carte>,
    /// The competence's Coop thématiques, to match sessions of events on that theme.
    thematiques: Vec<String>,
    /// A session still to come near the commune whose theme matches (Événements).
    session: Option<SessionProche>,
}

/// An upcoming session on a step's theme, near the person's commune.
struct SessionProche {
    evenement_id: i64,
    titre: String,
    quand: String,
    ou: String,
    km: u32,
    complet: bool,
}

/// A voucher programme that covers the person's commune (Pass).
struct OffrePassVue {
    nom: String,
    valeur: String,
    jusqu_au: String,
    publics: String,
    lieux: Vec<String>,
}

#[derive(Template)]
#[template(path = "competences_resultat.html")]
struct PageResultat {
    site: Arc<Site>,
    contexte: Contexte,
    /// The result was just stored (its id).
    enregistre: Option<i64>,
    /// Stored under the person's key too: the new code when one was made for them.
    dans_espace: bool,
    cle_nouvelle: Option<String>,
    /// Why storing was refused (a field to fill).
    erreur_enregistrement: Option<String>,
    etat: String,
    lignes: Vec<LigneDomaine>,
    arret: &'static str,
    questions: usize,
    pix: bool,
    lien_pix: &'static str,
    commune: String,
    commune_message: Option<String>,
    etapes: Vec<Etape>,
    /// « Prochainement près de chez vous » (Événements), when the commune is known.
    prochainement: Vec<(crate::evenements::LigneEvenement, u32)>,
    /// Voucher programmes covering the commune (the Pass step).
    offres_pass: Vec<OffrePassVue>,
}

#[derive(Deserialize)]
pub struct FormCompetences {
    etat: Option<String>,
    /// The mediator path: the consent box, ticked.
    consentement: Option<String>,
    question: Option<String>,
    reponse: Option<String>,
    action: Option<String>,
    commune: Option<String>,
    kiosque: Option<String>,
    /// « Le ranger dans Mon espace » ticked.
    espace: Option<String>,
    /// The person's personal code, if they have one.
    cle: Option<String>,
}

/// A new seed for a new assessment (which of the best items comes first varies).
fn graine() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let h = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (h ^ (h >> 32)) as u32
}

pub async fn avancer(
    State(state): State<AppState>,
    AdresseClient(adresse): AdresseClient,
    Formulaire(f): Formulaire<FormCompetences>,
) -> Result<Response, ErreurWeb> {
    if f.action.as_deref() == Some("effacer") {
        return Ok(sans_cache(
            Redirect::to("/competences?efface=1").into_response(),
        ));
    }
    if f.action.as_deref() == Some("enregistrer") {
        return enregistrer_public(&state, &f, &adresse).await;
    }
    derouler(&state, &f, Contexte::public()).await
}

/// The context of the adaptive pages: public (« Connaître mon niveau »), or a mediator
/// with a beneficiary.
#[derive(Clone)]
pub(crate) struct Contexte {
    /// The commune typed at the start (mediator path, carried by the question pages).
    pub commune: String,
    /// The form's target.
    pub cible: String,
    /// The session's CSRF token (mediator path).
    pub csrf: Option<String>,
    /// `(id, first name)` of the beneficiary (mediator path).
    pub beneficiaire: Option<(i64, String)>,
}

impl Contexte {
    fn public() -> Contexte {
        Contexte {
            commune: String::new(),
            cible: "/competences".into(),
            csrf: None,
            beneficiaire: None,
        }
    }
}

/// An assessment's state read back from a page, or a new one.
fn lire_etat(banque: &Banque, etat: Option<&str>) -> Result<Evaluation, ErreurWeb> {
    match etat.filter(|s| !s.is_empty()) {
        None => Ok(Evaluation::nouvelle(banque, graine())),
        Some(s) => Evaluation::decoder(s, banque).map_err(|_| {
            ErreurWeb::Requete(
                "Vos réponses n'ont pas pu être relues (page trop ancienne ou modifiée). \
                 Recommencez depuis la page « Connaître son niveau »."
                    .into(),
            )
        }),
    }
}

/// The INSEE code of a commune typed as a name, postal code or code (`None`: empty).
pub(crate) fn code_commune(state: &AppState, texte: &str) -> Result<Option<String>, String> {
    let texte = texte.trim();
    if texte.is_empty() {
        return Ok(None);
    }
    crate::parametres::localiser(state.annuaire.referentiel(), texte)
        .map(|(c, _)| Some(c.code_insee.clone()))
        .ok_or_else(|| {
            format!("Nous ne connaissons pas la commune « {texte} ». Vérifiez son nom ou son code postal.")
        })
}

/// The public « Enregistrer mon résultat »: only by this explicit choice, anonymous.
async fn enregistrer_public(
    state: &AppState,
    f: &FormCompetences,
    adresse: &str,
) -> Result<Response, ErreurWeb> {
    let competences = state.instance.competences();
    let banque = competences.banque().await.map_err(interne_comptes)?;
    let referentiel = Referentiel::embarque();
    let e = lire_etat(&banque, f.etat.as_deref())?;
    let (arret, suivante) = e.suite(&banque, referentiel).map_err(interne)?;
    if suivante.is_some() || e.reponses.is_empty() {
        return Err(ErreurWeb::Requete(
            "Terminez l'évaluation avant d'enregistrer votre résultat.".into(),
        ));
    }
    let res = e.resultat(&banque, referentiel).map_err(interne)?;
    let commune_texte = f.commune.as_deref().unwrap_or("");
    let mut page = page_resultat(state, referentiel, &e, &res, arret, Some(commune_texte))?;
    match code_commune(state, commune_texte) {
        Err(m) => {
            page.erreur_enregistrement = Some(format!("Commune : {m}"));
            let mut r = rendre(&page)?.into_response();
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(sans_cache(r));
        }
        Ok(code) => {
            // « Le ranger dans Mon espace »: under the code the person gave (checked,
            // throttled), else under a new key shown once.
            let mut origine = maillage_competences::resultats::Origine::Personne;
            if f.espace.is_some() {
                let comptes = state.instance.comptes();
                let saisie = f.cle.as_deref().map(str::trim).unwrap_or("");
                if saisie.is_empty() {
                    let n = comptes.nouvelle_personne().await.map_err(interne_comptes)?;
                    page.cle_nouvelle = Some(n.code.texte());
                    origine = maillage_competences::resultats::Origine::Cle {
                        personne_id: n.personne_id,
                    };
                } else {
                    match comptes.verifier_cle(saisie, adresse).await {
                        Ok(personne_id) => {
                            origine = maillage_competences::resultats::Origine::Cle { personne_id }
                        }
                        Err(e) => {
                            let statut =
                                if matches!(e, maillage_comptes::ErreurComptes::TropDeTentatives) {
                                    StatusCode::TOO_MANY_REQUESTS
                                } else {
                                    StatusCode::UNPROCESSABLE_ENTITY
                                };
                            page.erreur_enregistrement = Some(format!(
                                "Code personnel : {e} Vérifiez-le, ou laissez le champ vide pour en recevoir un."
                            ));
                            let mut r = rendre(&page)?.into_response();
                            *r.status_mut() = statut;
                            return Ok(sans_cache(r));
                        }
                    }
                }
                page.dans_espace = true;
            }
            let id = competences
                .enregistrer(&e, code.as_deref(), origine)
                .await
                .map_err(|x| ErreurWeb::Requete(x.to_string()))?;
            tracing::info!(
                resultat = id,
                "competences result stored by the person's choice"
            );
            page.enregistre = Some(id);
            if let Some(code) = code.as_deref() {
                completer_pres_de_chez_vous(state, &mut page, code).await;
            }
        }
    }
    Ok(sans_cache(rendre(&page)?.into_response()))
}

fn interne_comptes(e: maillage_comptes::ErreurComptes) -> ErreurWeb {
    ErreurWeb::interne(e.to_string())
}

/// The adaptive pages, for both paths: the next question, or the result.
pub(crate) async fn derouler(
    state: &AppState,
    f: &FormCompetences,
    contexte: Contexte,
) -> Result<Response, ErreurWeb> {
    let banque = state
        .instance
        .competences()
        .banque()
        .await
        .map_err(interne_comptes)?;
    let banque: &Banque = &banque;
    let referentiel = Referentiel::embarque();
    let mut e = lire_etat(banque, f.etat.as_deref())?;
    let (_, attendue) = e.suite(banque, referentiel).map_err(interne)?;
    let mut erreur = None;
    let mut retour = None;
    match f.action.as_deref() {
        Some("precedente") => {
            e.reponses.pop();
        }
        _ => {
            if let Some(q) = f.question.as_deref() {
                // Only the question of the page's state is answered (a page resent from
                // the history shows the current question again).
                if attendue.map(|i| i.id.as_str()) == Some(q) {
                    match f
                        .reponse
                        .as_deref()
                        .and_then(|r| r.chars().next())
                        .and_then(Reponse::depuis_code)
                    {
                        Some(r) => {
                            e.ajouter(banque, q, r)
                                .map_err(|m| ErreurWeb::Requete(m.to_string()))?;
                            if let Some(item) = banque.item(q) {
                                if let Genre::Pratique {
                                    explication,
                                    bonne,
                                    choix,
                                    ..
                                } = &item.genre
                                {
                                    let juste = r == Reponse::Choix(*bonne as u8);
                                    let texte = if juste {
                                        format!("Bonne réponse. {explication}")
                                    } else {
                                        format!(
                                            "La bonne réponse était « {} ». {explication}",
                                            choix.get(*bonne).map(String::as_str).unwrap_or("")
                                        )
                                    };
                                    retour = Some((juste, texte));
                                }
                            }
                        }
                        None => erreur = Some("Choisissez une réponse pour continuer.".to_string()),
                    }
                }
            }
        }
    }
    let (arret, suivante) = e.suite(banque, referentiel).map_err(interne)?;
    if let Some(item) = suivante {
        let page = page_question(
            state,
            &contexte,
            referentiel,
            &e,
            item,
            erreur.clone(),
            retour,
        )?;
        let mut r = rendre(&page)?.into_response();
        if erreur.is_some() {
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        return Ok(sans_cache(r));
    }
    let res = e.resultat(banque, referentiel).map_err(interne)?;
    let commune = f
        .commune
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or(&contexte.commune)
        .to_string();
    let mut page = page_resultat(state, referentiel, &e, &res, arret, Some(&commune))?;
    page.contexte = contexte;
    if let Ok(Some(code)) = code_commune(state, &commune) {
        completer_pres_de_chez_vous(state, &mut page, &code).await;
    }
    Ok(sans_cache(rendre(&page)?.into_response()))
}

// --- with a mediator (a beneficiary's file of Médiation) ---

#[derive(Template)]
#[template(path = "espace/competences_consentement.html")]
struct PageConsentement {
    site: Arc<Site>,
    menu: crate::espace::pages::Menu,
    id: i64,
    nom: String,
    commune: String,
    consentement: &'static str,
    erreur: Option<String>,
}

/// The file of beneficiary `id` if the mediator may see it (Médiation's rule), without
/// logging an access: the start and the recording log theirs through Médiation.
async fn fiche_visible(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: i64,
) -> Result<maillage_mediation::stockage::BeneficiaireRow, ErreurWeb> {
    let chemin = format!("/espace/beneficiaires/{id}/competences");
    let m = state.instance.mediation();
    if !a.est_mediateur() {
        return Err(ErreurWeb::mediation(
            maillage_mediation::ErreurMediation::Interdit,
            chemin,
        ));
    }
    // Médiation's own use case (its rule, and the access logged like any opening).
    let fiche = m
        .beneficiaire(a, id)
        .await
        .map_err(|e| ErreurWeb::mediation(e, chemin.clone()))?;
    Some(fiche.row)
        .filter(|b| b.purge_at.is_none())
        .ok_or_else(|| {
            ErreurWeb::mediation(maillage_mediation::ErreurMediation::Introuvable, chemin)
        })
}

async fn rendre_consentement(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: i64,
    commune: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/beneficiaires/{id}/competences");
    let m = state.instance.mediation();
    let f = m.beneficiaire(a, id).await.ou(&chemin)?;
    let commune = commune.unwrap_or_else(|| {
        f.beneficiaire
            .as_ref()
            .and_then(|b| b.commune.as_ref())
            .and_then(|c| m.referentiel().commune(c.as_str()))
            .map(|c| c.nom.clone())
            .unwrap_or_default()
    });
    let refuse = erreur.is_some();
    let mut r = rendre(&PageConsentement {
        site: state.site.clone(),
        menu: crate::espace::pages::Menu::de(a),
        id,
        nom: f.nom(),
        commune,
        consentement: CONSENTEMENT,
        erreur,
    })?
    .into_response();
    if refuse {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(sans_cache(r))
}

/// « Évaluer ses compétences avec la personne »: the consent, then the same adaptive pages.
pub async fn page_consentement(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, ErreurWeb> {
    fiche_visible(&state, &a, id).await?;
    rendre_consentement(&state, &a, id, None, None).await
}

/// The mediator path's form: start (consent ticked), each answer, then « Enregistrer dans
/// le dossier » (the result attached to the file, and an individual activity record with
/// the thématique « Diagnostic numérique »).
pub async fn evaluer_avec_la_personne(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    axum::extract::Path(id): axum::extract::Path<i64>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormCompetences>,
) -> Result<Response, ErreurWeb> {
    let row = fiche_visible(&state, &a, id).await?;
    let dossier = format!("/espace/beneficiaires/{id}");
    if f.action.as_deref() == Some("effacer") {
        return Ok(sans_cache(Redirect::to(&dossier).into_response()));
    }
    let consentement = f.consentement.is_some();
    let commune = f.commune.clone().unwrap_or_default();
    if !consentement {
        return rendre_consentement(
            &state,
            &a,
            id,
            Some(commune),
            Some(
                "Consentement : cochez la case si la personne est d’accord ; sans son accord, rien n’est enregistré."
                    .into(),
            ),
        )
        .await;
    }
    if f.action.as_deref() == Some("commencer") {
        if let Err(m) = code_commune(&state, &commune) {
            return rendre_consentement(
                &state,
                &a,
                id,
                Some(commune),
                Some(format!("Commune : {m}")),
            )
            .await;
        }
    }
    let prenom = maillage_mediation::beneficiaires::nom_de(&row);
    let contexte = Contexte {
        commune: commune.clone(),
        cible: format!("/espace/beneficiaires/{id}/competences"),
        csrf: Some(a.csrf().to_string()),
        beneficiaire: Some((id, prenom)),
    };
    if f.action.as_deref() != Some("enregistrer") {
        return derouler(&state, &f, contexte).await;
    }
    // Recording.
    let competences = state.instance.competences();
    let banque = competences.banque().await.map_err(interne_comptes)?;
    let referentiel = Referentiel::embarque();
    let e = lire_etat(&banque, f.etat.as_deref())?;
    let (arret, suivante) = e.suite(&banque, referentiel).map_err(interne)?;
    if suivante.is_some() || e.reponses.is_empty() {
        return Err(ErreurWeb::Requete(
            "Terminez l'évaluation avant de l'enregistrer.".into(),
        ));
    }
    let code = match code_commune(&state, &commune) {
        Ok(Some(c)) => c,
        Ok(None) | Err(_) => {
            let res = e.resultat(&banque, referentiel).map_err(interne)?;
            let mut page = page_resultat(&state, referentiel, &e, &res, arret, Some(&commune))?;
            page.contexte = contexte;
            page.erreur_enregistrement = Some(
                "Commune : indiquez la commune de la personne (champ « Votre commune » ci-dessus), elle date l’accompagnement."
                    .into(),
            );
            let mut r = rendre(&page)?.into_response();
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(sans_cache(r));
        }
    };
    let m = state.instance.mediation();
    // Opening the file through Médiation logs the access.
    m.beneficiaire(&a, id).await.ou(&dossier)?;
    let resultat = competences
        .enregistrer(
            &e,
            Some(&code),
            Origine::Mediateur {
                acteur: &a,
                beneficiaire_id: id,
                consentement,
            },
        )
        .await
        .ou(&dossier)?;
    let cra =
        cra_diagnostic(m.aujourdhui(), &code, id).map_err(|x| ErreurWeb::Requete(x.to_string()))?;
    let activite = m.enregistrer_activite(&a, None, cra).await.ou(&dossier)?;
    tracing::info!(
        resultat,
        activite,
        "competences result attached to a beneficiary with an activity record"
    );
    Ok(Redirect::to(&format!("{dossier}#competences")).into_response())
}

/// How long the activity record of an assessment says it took, in minutes.
pub const DUREE_DIAGNOSTIC: u32 = 30;

/// The individual activity record an assessment with a mediator creates: today, at the
/// beneficiary's commune (« autre lieu »), thématique « Diagnostic numérique ».
fn cra_diagnostic(
    date: chrono::NaiveDate,
    commune: &str,
    beneficiaire: i64,
) -> Result<maillage_domain::mediation::Cra, maillage_domain::identifiants::IdentifiantError> {
    use maillage_domain::mediation::{Cra, Thematique, TypeActivite, TypeLieu};
    Ok(Cra {
        type_activite: TypeActivite::Individuel,
        date,
        duree: DUREE_DIAGNOSTIC,
        type_lieu: TypeLieu::Autre,
        lieu_activite_id: None,
        commune: Some(maillage_domain::CodeInsee::parse(commune)?),
        thematiques: vec![Thematique::DiagnosticNumerique],
        materiel: Vec::new(),
        autonomie: None,
        orientation: None,
        titre: None,
        niveau: None,
        beneficiaires: vec![beneficiaire],
        anonymes: Vec::new(),
        notes: "Évaluation des compétences numériques (Connaître son niveau).".into(),
        tags: Vec::new(),
    })
}

/// A line of the history of a beneficiary's assessments.
pub(crate) struct LigneHistorique {
    pub date: String,
    pub questions: i64,
    /// One band label per domain, in domain order.
    pub bandes: Vec<String>,
}

/// A domain's progress between the first and the last assessment.
pub(crate) struct LigneProgres {
    pub titre: String,
    pub avant: &'static str,
    pub apres: &'static str,
    pub theta_avant: String,
    pub theta_apres: String,
    pub progresse: bool,
}

/// What a beneficiary's file shows of their assessments.
pub(crate) struct BlocDossier {
    pub domaines: Vec<String>,
    pub historique: Vec<LigneHistorique>,
    pub progres: Vec<LigneProgres>,
}

/// The history and progress of a beneficiary's assessments (the file was opened through
/// Médiation by the caller).
pub(crate) async fn bloc_dossier(state: &AppState, id: i64) -> Result<BlocDossier, ErreurWeb> {
    let referentiel = Referentiel::embarque();
    let h = state
        .instance
        .competences()
        .historique(id)
        .await
        .map_err(interne_comptes)?;
    let domaines: Vec<String> = referentiel
        .domaines
        .iter()
        .map(|d| d.titre.clone())
        .collect();
    let historique = h
        .iter()
        .map(|r| LigneHistorique {
            date: r
                .created_at
                .with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y")
                .to_string(),
            questions: r.questions,
            bandes: referentiel
                .domaines
                .iter()
                .map(|d| {
                    r.domaines
                        .iter()
                        .find(|x| x.domaine == d.code)
                        .and_then(|x| bande_de_code(&x.bande))
                        .map(|b| b.libelle().to_string())
                        .unwrap_or_else(|| "—".into())
                })
                .collect(),
        })
        .collect();
    let nombre = |x: f64| format!("{x:+.1}").replace('.', ",");
    let progres = maillage_competences::resultats::progres(&h)
        .into_iter()
        .map(|p| LigneProgres {
            titre: p.titre.clone(),
            avant: p.bande_avant.libelle(),
            apres: p.bande_apres.libelle(),
            theta_avant: nombre(p.theta_avant),
            theta_apres: nombre(p.theta_apres),
            progresse: p.progresse(),
        })
        .collect();
    Ok(BlocDossier {
        domaines,
        historique,
        progres,
    })
}

// --- measured needs: the coordinators' anonymous aggregates ---

/// A domain's line of the measured needs on the territory page.
pub struct LigneBesoin {
    pub titre: String,
    /// Top of the line in the SVG.
    pub y: usize,
    /// « moins de 5 » when suppressed.
    pub total: String,
    /// One per band: the count or « moins de 5 ».
    pub cellules: Vec<String>,
    /// Segments of the stacked bar: (x, width, band index).
    pub segments: Vec<(f64, f64, usize)>,
}

/// The measured needs of a territory (the territory page).
#[derive(Default)]
pub struct VueBesoins {
    pub lignes: Vec<LigneBesoin>,
    /// No domain reaches the threshold.
    pub vide: bool,
}

/// The band labels, in order.
pub const BANDES_LIBELLES: [&str; 4] = ["Débutant", "À l'aise", "Autonome", "Au-delà"];

/// Width of the stacked bars in the SVG.
const LARGEUR_BESOINS: f64 = 360.0;

/// The measured needs of a territory, every cell under 5 suppressed.
pub(crate) async fn besoins_mesures(
    state: &AppState,
    territoire: &maillage_territoire::Territoire,
) -> Result<Vec<maillage_competences::resultats::AgregatDomaine>, maillage_comptes::ErreurComptes> {
    state
        .instance
        .competences()
        .agregats(|c| territoire.contient(c))
        .await
}

pub(crate) fn vue_besoins(
    agregats: &[maillage_competences::resultats::AgregatDomaine],
) -> VueBesoins {
    let moins = || "moins de 5".to_string();
    let lignes: Vec<LigneBesoin> = agregats
        .iter()
        .enumerate()
        .map(|(rang, a)| {
            let mut segments = Vec::new();
            if let Some(total) = a.total.filter(|t| *t > 0) {
                let mut x = 0.0;
                for (i, c) in a.bandes.iter().enumerate() {
                    if let Some(n) = c.nombre {
                        let l = LARGEUR_BESOINS * n as f64 / total as f64;
                        segments.push((x, l, i));
                        x += l;
                    }
                }
            }
            LigneBesoin {
                y: rang * 30 + 6,
                titre: a.titre.clone(),
                total: a.total.map(|n| n.to_string()).unwrap_or_else(moins),
                cellules: a
                    .bandes
                    .iter()
                    .map(|c| c.nombre.map(|n| n.to_string()).unwrap_or_else(moins))
                    .collect(),
                segments,
            }
        })
        .collect();
    VueBesoins {
        vide: agregats.iter().all(|a| a.total.is_none()),
        lignes,
    }
}

/// One band's cell in the API (`nombre` absent when under 5).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CelluleBesoinApi {
    /// `debutant`, `a_l_aise`, `autonome`, `au_dela`.
    pub bande: String,
    /// Assessments in the band; absent when fewer than 5 (secret statistique).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nombre: Option<i64>,
}

/// One CRCN domain's measured needs.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DomaineBesoinApi {
    pub domaine: String,
    pub titre: String,
    /// Assessments with a result in the domain; absent when fewer than 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub bandes: Vec<CelluleBesoinApi>,
}

/// Measured needs of a territory: the stored assessments per domain and band.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BesoinsTerritoireApi {
    pub territoire: String,
    /// Cells under this count are left out.
    pub seuil: i64,
    pub domaines: Vec<DomaineBesoinApi>,
}

/// Measured needs of a territory: the assessments people chose to store (and those run
/// with a mediator), per CRCN domain and band, anonymous, every count under 5 left out.
#[utoipa::path(
    get,
    path = "/api/v1/territoires/{code}/competences",
    tag = "territoires",
    params(
        ("code" = String, Path, description = "fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE_INSEE", example = "dep:31"),
    ),
    responses(
        (status = 200, description = "Besoins mesurés : évaluations des compétences par domaine et niveau, cellules de moins de 5 omises", body = BesoinsTerritoireApi),
        (status = 404, description = "Territoire inconnu", body = crate::erreur::ApiError),
    )
)]
pub async fn api_besoins(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Result<Response, crate::erreur::ApiError> {
    let territoire =
        crate::territoire::lire_territoire(&code).map_err(crate::erreur::ApiError::introuvable)?;
    let agregats = besoins_mesures(&state, &territoire)
        .await
        .map_err(crate::erreur::ApiError::interne)?;
    let corps = BesoinsTerritoireApi {
        territoire: territoire.to_string(),
        seuil: maillage_competences::resultats::SEUIL_SECRET,
        domaines: agregats
            .into_iter()
            .map(|a| DomaineBesoinApi {
                domaine: a.domaine,
                titre: a.titre,
                total: a.total,
                bandes: a
                    .bandes
                    .into_iter()
                    .map(|c| CelluleBesoinApi {
                        bande: c.bande.to_string(),
                        nombre: c.nombre,
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(axum::Json(corps).into_response())
}

// --- quizzes (« Arnaques en ligne ») ---

/// What the quiz page shows.
enum VueQuiz {
    Debut,
    Question {
        numero: usize,
        item_id: String,
        texte: String,
        choix: Vec<ChoixReponse>,
        erreur: Option<String>,
    },
    Correction {
        numero: usize,
        texte: String,
        juste: bool,
        donnee: String,
        bonne: String,
        explication: String,
        derniere: bool,
    },
    Fin {
        bonnes: usize,
    },
}

#[derive(Template)]
#[template(path = "competences_quiz.html")]
struct PageQuiz {
    site: Arc<Site>,
    code: &'static str,
    titre: &'static str,
    presentation: &'static str,
    total: usize,
    etat: String,
    kiosque: bool,
    vue: VueQuiz,
}

#[derive(Deserialize)]
pub struct ParamsQuiz {
    kiosque: Option<String>,
}

fn quiz_de(code: &str) -> Result<&'static Quiz, ErreurWeb> {
    Quiz::par_code(code).ok_or_else(|| ErreurWeb::Introuvable("Ce quiz n'existe pas.".into()))
}

fn page_quiz(
    state: &AppState,
    q: &'static Quiz,
    e: &Evaluation,
    kiosque: bool,
    vue: VueQuiz,
) -> Result<Response, ErreurWeb> {
    let statut = match &vue {
        VueQuiz::Question {
            erreur: Some(_), ..
        } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let mut r = rendre(&PageQuiz {
        site: state.site.clone(),
        code: q.code,
        titre: q.titre,
        presentation: q.presentation,
        total: q.items.len(),
        etat: e.encoder(),
        kiosque,
        vue,
    })?
    .into_response();
    *r.status_mut() = statut;
    Ok(sans_cache(r))
}

pub async fn quiz_debut(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(p): axum::extract::Query<ParamsQuiz>,
) -> Result<Response, ErreurWeb> {
    let q = quiz_de(&code)?;
    let e = Evaluation::nouvelle(Banque::embarquee(), 0);
    page_quiz(&state, q, &e, p.kiosque.is_some(), VueQuiz::Debut)
}

fn vue_question(item: &Item, numero: usize, erreur: Option<String>) -> VueQuiz {
    let choix = match &item.genre {
        Genre::Pratique { choix, .. } => {
            let mut c: Vec<ChoixReponse> = choix
                .iter()
                .enumerate()
                .map(|(i, t)| ChoixReponse {
                    code: char::from(b'0' + i as u8),
                    texte: t.clone(),
                })
                .collect();
            c.push(ChoixReponse {
                code: 'x',
                texte: "Je ne sais pas".into(),
            });
            c
        }
        Genre::Enonce => Vec::new(),
    };
    VueQuiz::Question {
        numero,
        item_id: item.id.clone(),
        texte: item.texte.clone(),
        choix,
        erreur,
    }
}

pub async fn quiz_avancer(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Formulaire(f): Formulaire<FormCompetences>,
) -> Result<Response, ErreurWeb> {
    let q = quiz_de(&code)?;
    let banque = Banque::embarquee();
    let kiosque = f.kiosque.is_some();
    if f.action.as_deref() == Some("recommencer") {
        let cible = if kiosque {
            format!("/competences/quiz/{}?kiosque=1", q.code)
        } else {
            format!("/competences/quiz/{}", q.code)
        };
        return Ok(sans_cache(Redirect::to(&cible).into_response()));
    }
    let illisible = || {
        ErreurWeb::Requete(
            "Vos réponses n'ont pas pu être relues (page trop ancienne ou modifiée). Recommencez le quiz."
                .into(),
        )
    };
    let mut e = match f.etat.as_deref().filter(|s| !s.is_empty()) {
        None => Evaluation::nouvelle(banque, 0),
        Some(s) => Evaluation::decoder(s, banque).map_err(|_| illisible())?,
    };
    let etape = q.etape(banque, &e).map_err(|_| illisible())?;
    if let (Some(question), EtapeQuiz::Question { item, numero }) = (f.question.as_deref(), &etape)
    {
        if question == item.id {
            let reponse = f
                .reponse
                .as_deref()
                .and_then(|r| r.chars().next())
                .and_then(Reponse::depuis_code);
            let Some(r) = reponse else {
                let vue = vue_question(
                    item,
                    *numero,
                    Some("Choisissez une réponse pour continuer.".into()),
                );
                return page_quiz(&state, q, &e, kiosque, vue);
            };
            e.ajouter(banque, &item.id, r)
                .map_err(|m| ErreurWeb::Requete(m.to_string()))?;
            let Genre::Pratique {
                choix,
                bonne,
                explication,
            } = &item.genre
            else {
                return Err(illisible());
            };
            let donnee = match r {
                Reponse::Choix(c) => choix.get(usize::from(c)).cloned().unwrap_or_default(),
                _ => "Je ne sais pas".to_string(),
            };
            let vue = VueQuiz::Correction {
                numero: *numero,
                texte: item.texte.clone(),
                juste: juste(item, r),
                donnee,
                bonne: choix.get(*bonne).cloned().unwrap_or_default(),
                explication: explication.clone(),
                derniere: *numero == q.items.len(),
            };
            return page_quiz(&state, q, &e, kiosque, vue);
        }
    }
    let vue = match etape {
        EtapeQuiz::Question { item, numero } => vue_question(item, numero, None),
        EtapeQuiz::Fin { bonnes, .. } => VueQuiz::Fin { bonnes },
    };
    page_quiz(&state, q, &e, kiosque, vue)
}

fn interne(e: maillage_competences::ErreurCompetences) -> ErreurWeb {
    ErreurWeb::interne(e.to_string())
}

fn page_question(
    state: &AppState,
    contexte: &Contexte,
    referentiel: &Referentiel,
    e: &Evaluation,
    item: &Item,
    erreur: Option<String>,
    retour: Option<(bool, String)>,
) -> Result<PageQuestion, ErreurWeb> {
    let domaine = referentiel
        .index_domaine(&item.competence)
        .and_then(|d| referentiel.domaines.get(d))
        .map(|d| d.titre.clone())
        .unwrap_or_default();
    let competence = referentiel
        .competence(&item.competence)
        .map(|c| c.description.clone())
        .unwrap_or_default();
    let (enonce, choix) = match &item.genre {
        Genre::Enonce => (
            true,
            vec![
                ChoixReponse {
                    code: 'f',
                    texte: "Oui, facilement".into(),
                },
                ChoixReponse {
                    code: 'a',
                    texte: "Oui, avec de l'aide".into(),
                },
                ChoixReponse {
                    code: 'n',
                    texte: "Non".into(),
                },
                ChoixReponse {
                    code: 'i',
                    texte: "Je ne sais pas ce que c'est".into(),
                },
            ],
        ),
        Genre::Pratique { choix, .. } => {
            let mut c: Vec<ChoixReponse> = choix
                .iter()
                .enumerate()
                .map(|(i, t)| ChoixReponse {
                    code: char::from(b'0' + i as u8),
                    texte: t.clone(),
                })
                .collect();
            c.push(ChoixReponse {
                code: 'x',
                texte: "Je ne sais pas".into(),
            });
            (false, c)
        }
    };
    Ok(PageQuestion {
        site: state.site.clone(),
        contexte: contexte.clone(),
        etat: e.encoder(),
        numero: e.reponses.len() + 1,
        max: QUESTIONS_MAX,
        item_id: item.id.clone(),
        texte: item.texte.clone(),
        domaine,
        competence,
        enonce,
        choix,
        erreur,
        retour,
    })
}

fn encoder(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The service of the places schema named by its key in the crosswalk.
pub fn service_de_cle(cle: &str) -> Option<Service> {
    Service::ALL
        .iter()
        .copied()
        .find(|s| format!("{s:?}") == cle)
}

fn page_resultat(
    state: &AppState,
    referentiel: &Referentiel,
    e: &Evaluation,
    res: &Resultat,
    arret: Arret,
    commune: Option<&str>,
) -> Result<PageResultat, ErreurWeb> {
    let lignes = res
        .domaines
        .iter()
        .map(|d| LigneDomaine {
            titre: d.titre.clone(),
            bande: d.bande.libelle(),
            niveau: d.bande.niveau(),
            confiance: if d.questions == 0 {
                Confiance::Faible.libelle()
            } else {
                d.confiance.libelle()
            },
            questions: d.questions,
            largeur: u32::from(d.bande.niveau()) * 75,
        })
        .collect();
    let pix = res.domaines.iter().any(|d| d.bande == Bande::AuDela);
    let commune = commune.map(str::trim).unwrap_or("").to_string();
    let (etapes, commune_message) = prochaines_etapes(state, referentiel, res, &commune)?;
    Ok(PageResultat {
        site: state.site.clone(),
        contexte: Contexte::public(),
        enregistre: None,
        dans_espace: false,
        cle_nouvelle: None,
        erreur_enregistrement: None,
        etat: e.encoder(),
        lignes,
        arret: match arret {
            Arret::Difficultes => {
                "Nous nous sommes arrêtés après trois questions difficiles de suite : \
                 pas besoin d'aller plus loin pour vous proposer de l'aide."
            }
            Arret::Precision => "Vos réponses suffisent pour connaître votre niveau.",
            Arret::Maximum | Arret::BanqueEpuisee | Arret::EnCours => "",
        },
        questions: res.questions,
        pix,
        lien_pix: LIEN_PIX,
        commune,
        commune_message,
        etapes,
        prochainement: Vec::new(),
        offres_pass: Vec::new(),
    })
}

/// The Événements and Pass parts of the next steps, once the commune is known:
/// « Prochainement près de chez vous », for each step the soonest session still to come
/// near the commune whose theme is one of the step's competence (the session's
/// thématique, as its activity record would get it), and the voucher programmes that
/// cover the commune. What cannot be read is left out (and logged): the places stay.
async fn completer_pres_de_chez_vous(state: &AppState, page: &mut PageResultat, code: &str) {
    page.prochainement = crate::evenements::prochainement(state, code, 3).await;
    if !page.etapes.is_empty() {
        let sessions = crate::evenements::sessions_a_venir_pres_de(state, code, 12).await;
        for etape in &mut page.etapes {
            etape.session = sessions
                .iter()
                .find(|(_, s, _)| {
                    let t = crate::evenements_espace::thematique_de(&s.titre, &s.type_session);
                    etape
                        .thematiques
                        .iter()
                        .any(|c| c == maillage_domain::mediation::Referentiel::code(t))
                })
                .map(|(e, s, km)| SessionProche {
                    evenement_id: e.id,
                    titre: if s.titre == e.titre {
                        s.titre.clone()
                    } else {
                        format!("{} ({})", s.titre, e.titre)
                    },
                    quand: crate::evenements::quand(s.debut, s.fin),
                    ou: crate::evenements::ligne(state, e).ou,
                    km: *km,
                    complet: s.places_libres() == 0,
                });
        }
    }
    let jour = state.instance.comptes().maintenant().date_naive();
    match state.instance.pass().offres_pour_commune(code, jour).await {
        Ok(offres) => {
            page.offres_pass = offres
                .into_iter()
                .map(|o| OffrePassVue {
                    valeur: maillage_pass::euros(o.programme.valeur_centimes),
                    jusqu_au: crate::presentation::date_longue(o.programme.fin_validite),
                    publics: o
                        .programme
                        .publics
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(libelle_public)
                        .collect::<Vec<_>>()
                        .join(", "),
                    nom: o.programme.nom,
                    lieux: o.lieux,
                })
                .collect();
        }
        Err(e) => tracing::warn!("voucher programmes for {code}: {e}"),
    }
}

/// A programme's public in words: a social status or an age band of the Coop's
/// vocabularies, else as written.
fn libelle_public(code: &str) -> String {
    use maillage_domain::mediation::referentiels::{Referentiel as _, StatutSocial, TrancheAge};
    StatutSocial::depuis_code(code)
        .map(|s| s.libelle().to_lowercase())
        .or_else(|| TrancheAge::depuis_code(code).map(|t| t.libelle().to_lowercase()))
        .unwrap_or_else(|| code.replace('_', " "))
}

/// The three most useful next steps for this person: the gaps of the weakest domains
/// first, each turned into the help that teaches it (a service of the places schema) and,
/// when the person gave a commune, the nearest place that offers it.
/// Hooks for the modules to come: upcoming sessions on the theme (Événements) and a
/// voucher when a programme covers the commune (Pass) take their place in each step.
fn prochaines_etapes(
    state: &AppState,
    referentiel: &Referentiel,
    res: &Resultat,
    commune: &str,
) -> Result<(Vec<Etape>, Option<String>), ErreurWeb> {
    let mut etapes: Vec<Etape> = Vec::new();
    let mut services_pris: Vec<Service> = Vec::new();
    let moteur = state.moteur();
    let mut message = None;
    for code in res.lacunes() {
        if etapes.len() == 3 {
            break;
        }
        let Some(c) = referentiel.competence(&code) else {
            continue;
        };
        let Some(service) = c
            .services
            .iter()
            .filter_map(|s| service_de_cle(s))
            .find(|s| !services_pris.contains(s))
        else {
            continue;
        };
        services_pris.push(service);
        let besoin = mots_du_besoin(service);
        let mut lien = format!("/lieux?besoin={}", encoder(service.label()));
        let mut lieu = None;
        if !commune.is_empty() {
            lien.push_str(&format!("&ou={}", encoder(commune)));
            let p = Parametres(vec![
                ("besoin".into(), service.label().into()),
                ("ou".into(), commune.into()),
            ]);
            let r = analyser(&p, state.annuaire.referentiel(), &moteur, maintenant(), 1)
                .map_err(|e| ErreurWeb::Requete(e.message))?;
            if r.ou_inconnu {
                message = Some(format!(
                    "Nous ne connaissons pas la commune « {commune} ». Vérifiez son nom ou son code postal."
                ));
            } else {
                let t = trouver(&moteur, &r)?;
                if let Some((_, _, liste)) = t.sections.first() {
                    if let Some(tr) = liste.first() {
                        if let Some(f) = moteur.lieu_a(tr.index) {
                            lieu = Some(presentation::carte(
                                &moteur,
                                tr.index,
                                f,
                                tr.distance_m,
                                maintenant(),
                                None,
                            ));
                        }
                    }
                }
                if lieu.is_none() {
                    message = Some(format!(
                        "Aucun lieu n'est connu {} pour certaines de ces aides : un médiateur peut vous orienter.",
                        pres_de(commune)
                    ));
                }
            }
        }
        etapes.push(Etape {
            titre: c.description.clone(),
            pourquoi: format!("Compétence {} : {}", c.code, c.titre),
            besoin,
            lien,
            lieu,
            thematiques: c.thematiques.clone(),
            session: None,
        });
    }
    Ok((etapes, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaque_competence_mene_a_un_service_et_une_thematique() {
        use maillage_domain::mediation::referentiels::{Referentiel as _, Thematique};
        let thematiques: Vec<&str> = Thematique::TOUS.iter().map(|t| t.code()).collect();
        for c in Referentiel::embarque().competences() {
            assert!(
                c.services.iter().any(|s| service_de_cle(s).is_some()),
                "{} : aucun service du schéma des lieux",
                c.code
            );
            assert!(
                c.services.iter().all(|s| service_de_cle(s).is_some()),
                "{} : service inconnu",
                c.code
            );
            assert!(!c.thematiques.is_empty(), "{}", c.code);
            for t in &c.thematiques {
                assert!(
                    thematiques.contains(&t.as_str()),
                    "{} : thématique {t}",
                    c.code
                );
            }
        }
    }
}
