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

use crate::erreur::{rendre, ErreurWeb};
use crate::formulaires::Formulaire;
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
}

#[derive(Template)]
#[template(path = "competences_resultat.html")]
struct PageResultat {
    site: Arc<Site>,
    etat: String,
    lignes: Vec<LigneDomaine>,
    arret: &'static str,
    questions: usize,
    pix: bool,
    lien_pix: &'static str,
    commune: String,
    commune_message: Option<String>,
    etapes: Vec<Etape>,
}

#[derive(Deserialize)]
pub struct FormCompetences {
    etat: Option<String>,
    question: Option<String>,
    reponse: Option<String>,
    action: Option<String>,
    commune: Option<String>,
    kiosque: Option<String>,
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
    Formulaire(f): Formulaire<FormCompetences>,
) -> Result<Response, ErreurWeb> {
    let banque = Banque::embarquee();
    let referentiel = Referentiel::embarque();
    if f.action.as_deref() == Some("effacer") {
        return Ok(sans_cache(
            Redirect::to("/competences?efface=1").into_response(),
        ));
    }
    let mut e = match f.etat.as_deref().filter(|s| !s.is_empty()) {
        None => Evaluation::nouvelle(banque, graine()),
        Some(s) => Evaluation::decoder(s, banque).map_err(|_| {
            ErreurWeb::Requete(
                "Vos réponses n'ont pas pu être relues (page trop ancienne ou modifiée). \
                 Recommencez depuis la page « Connaître son niveau »."
                    .into(),
            )
        })?,
    };
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
            &state,
            banque,
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
    let page = page_resultat(&state, referentiel, &e, &res, arret, f.commune.as_deref())?;
    Ok(sans_cache(rendre(&page)?.into_response()))
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
    _banque: &Banque,
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
    })
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
