//! The directory's back office (`/espace/lieux…`), for coordinators (their territories) and
//! administrators (all): upload a file to import, its preview, « Appliquer » and the
//! line-by-line report (page and CSV); the review queue of duplicate candidates with the
//! decisions' history; the freshness view (page and CSV). The error reports are
//! `/espace/signalements` ([`super::signalements`]).
//!
//! Who may do what is decided by [`maillage_annuaire::gestion`]; here its errors become
//! pages: a mediator gets 403, someone else's upload 404.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maillage_annuaire::doublons::Decision;
use maillage_annuaire::gestion::{
    self, Apercu, Candidat, EntreeHistorique, EtatImport, Fraicheur, ImportDepose,
};
use maillage_annuaire::import::{Format, Gravite, Rapport};
use maillage_comptes::{Acteur, ErreurComptes};
use serde::Deserialize;

use super::pages::{refuser_si, Menu};
use super::{rendre, Connecte, ErreurWeb, OuRetour};
use crate::evenements_espace::fichier;
use crate::formulaires::FormulaireConnecte;
use crate::routeurs::RouteurModule;
use crate::site::Site;
use crate::AppState;

const CHEMIN: &str = "/espace/lieux";
const CHEMIN_IMPORT: &str = "/espace/lieux/import";
const CHEMIN_DOUBLONS: &str = "/espace/lieux/doublons";
const CHEMIN_FRAICHEUR: &str = "/espace/lieux/fraicheur";

/// The routes of the back office, added to the directory's router.
pub(crate) fn routes(r: RouteurModule) -> RouteurModule {
    r.get(CHEMIN, accueil)
        .get(CHEMIN_IMPORT, page_import)
        .post(CHEMIN_IMPORT, deposer)
        .get("/espace/lieux/import/{jeton}", page_depot)
        .post("/espace/lieux/import/{jeton}", appliquer)
        .get("/espace/lieux/import/{jeton}/rapport.csv", rapport_csv)
        .get(CHEMIN_DOUBLONS, page_doublons)
        .post(CHEMIN_DOUBLONS, decider)
        .get(CHEMIN_FRAICHEUR, page_fraicheur)
        .get("/espace/lieux/fraicheur.csv", fraicheur_csv)
}

fn interdit_sauf_gestion(a: &Acteur) -> Result<(), ErreurWeb> {
    if a.peut_gerer_annuaire() {
        Ok(())
    } else {
        Err(ErreurWeb::mediation(ErreurComptes::Interdit, String::new()))
    }
}

fn date(d: chrono::DateTime<chrono::Utc>) -> String {
    d.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y à %H h %M")
        .to_string()
}

#[derive(Template)]
#[template(path = "espace/lieux.html")]
struct PageAccueil {
    site: Arc<Site>,
    menu: Menu,
    territoires: String,
}

/// `GET /espace/lieux`: what the back office offers.
pub async fn accueil(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let perimetre = gestion::Perimetre::de(&a).ou(CHEMIN)?;
    rendre(&PageAccueil {
        site: state.site.clone(),
        menu: Menu::de(&a),
        territoires: perimetre.libelle(),
    })
}

#[derive(Template)]
#[template(path = "espace/lieux_import.html")]
struct PageImport {
    site: Arc<Site>,
    menu: Menu,
    territoires: String,
    formats: Vec<(&'static str, &'static str)>,
    source: String,
    erreur: Option<String>,
}

fn formats() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("auto", "Reconnaître le format")];
    v.extend(Format::ALL.iter().map(|f| {
        (
            f.nom(),
            match f {
                Format::V1Csv => "CSV du schéma national (v1)",
                Format::V1Json => "JSON du schéma national (v1)",
                Format::V0Json => "JSON de l’ancien schéma (v0)",
                Format::GeoJson => "GeoJSON",
                Format::FranceServices => "Liste des France Services (ANCT)",
                Format::DataInclusion => "data·inclusion (JSON : structures et services)",
                Format::Correspondance => "CSV décrit par une correspondance de colonnes",
            },
        )
    }));
    v
}

fn page_import_avec(
    state: &AppState,
    a: &Acteur,
    source: String,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let territoires = gestion::Perimetre::de(a).ou(CHEMIN_IMPORT)?.libelle();
    let echec = erreur.is_some();
    let r = rendre(&PageImport {
        site: state.site.clone(),
        menu: Menu::de(a),
        territoires,
        formats: formats(),
        source,
        erreur,
    })?;
    Ok(refuser_si(r, echec))
}

/// `GET /espace/lieux/import`: the upload form.
pub async fn page_import(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    page_import_avec(&state, &a, String::new(), None)
}

/// `POST /espace/lieux/import` (multipart: `csrf`, `source`, `format`, `retirer_absents`,
/// `fichier`, optional `correspondance`: the column mapping of `maillage import --mapping`):
/// keeps the file and shows its preview (303 to its page).
pub async fn deposer(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    requete: axum::extract::Request,
) -> Result<Response, ErreurWeb> {
    interdit_sauf_gestion(&a)?;
    use axum::extract::FromRequest;
    let mut multipart = Multipart::from_request(requete, &state)
        .await
        .map_err(|_| ErreurWeb::Csrf)?;
    let (mut csrf, mut source, mut format) = (None, String::new(), "auto".to_string());
    let mut retirer_absents = false;
    let mut contenu = None;
    let mut correspondance = None;
    let mut nom_fichier = String::new();
    let mut trop_gros = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(champ)) => match champ.name() {
                Some("csrf") => csrf = champ.text().await.ok(),
                Some("source") => source = champ.text().await.unwrap_or_default(),
                Some("format") => format = champ.text().await.unwrap_or_default(),
                Some("retirer_absents") => {
                    retirer_absents = champ.text().await.is_ok_and(|v| !v.is_empty())
                }
                Some("fichier") => {
                    nom_fichier = champ.file_name().unwrap_or_default().to_string();
                    match champ.bytes().await {
                        Ok(b) => contenu = Some(b.to_vec()),
                        Err(e) => {
                            trop_gros = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                            break;
                        }
                    }
                }
                Some("correspondance") => match champ.bytes().await {
                    Ok(b) => correspondance = Some(b.to_vec()),
                    Err(e) => {
                        trop_gros = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                        break;
                    }
                },
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                trop_gros = e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                break;
            }
        }
    }
    let csrf_ok =
        matches!(&csrf, Some(t) if maillage_comptes::securite::egal_temps_constant(t, a.csrf()));
    if trop_gros {
        return Err(ErreurWeb::TropVolumineux(format!(
            "Ce fichier est trop volumineux : au plus {} par import. Découpez-le et importez les parties l’une après l’autre.",
            crate::erreur::corps_max_en_mots()
        )));
    }
    if !csrf_ok {
        return Err(ErreurWeb::Csrf);
    }
    let depot = gestion::Depot {
        source: source.clone(),
        format,
        nom_fichier,
        contenu: contenu.unwrap_or_default(),
        retirer_absents,
        correspondance,
    };
    match gestion::deposer(&state.annuaire, &a, depot).await {
        Ok(jeton) => Ok(Redirect::to(&format!("{CHEMIN_IMPORT}/{jeton}")).into_response()),
        Err(e @ ErreurComptes::Invalide { .. }) => {
            page_import_avec(&state, &a, source, Some(e.to_string()))
        }
        Err(e) => Err(ErreurWeb::mediation(e, CHEMIN_IMPORT.into())),
    }
}

/// A remark of a report, as listed.
pub struct LigneRemarque {
    pub enregistrement: String,
    pub id: String,
    pub champ: String,
    pub gravite: &'static str,
    pub message: String,
}

fn remarques(r: &Rapport, n: usize) -> Vec<LigneRemarque> {
    r.remarques
        .iter()
        .take(n)
        .map(|x| LigneRemarque {
            enregistrement: if x.enregistrement == 0 {
                "—".into()
            } else {
                x.enregistrement.to_string()
            },
            id: x.id.clone().unwrap_or_default(),
            champ: x.champ.clone(),
            gravite: match x.gravite {
                Gravite::Correction => "corrigé",
                Gravite::Rejet => "rejeté",
            },
            message: x.message.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "espace/lieux_apercu.html")]
struct PageApercu {
    site: Arc<Site>,
    menu: Menu,
    depot: ImportDepose,
    depose_le: String,
    apercu: Apercu,
    resume: String,
    remarques: Vec<LigneRemarque>,
    erreur: Option<String>,
}

#[derive(Template)]
#[template(path = "espace/lieux_rapport.html")]
struct PageRapport {
    site: Arc<Site>,
    menu: Menu,
    depot: ImportDepose,
    applique_le: String,
    resume: String,
    rapport: Rapport,
    remarques: Vec<LigneRemarque>,
    message: Option<String>,
    erreur: Option<String>,
}

async fn montrer_depot(
    state: &AppState,
    a: &Acteur,
    jeton: &str,
    erreur: Option<String>,
    message: Option<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN_IMPORT}/{jeton}");
    let etat = gestion::apercu(&state.annuaire, a, jeton).await;
    let etat = match etat {
        Ok(e) => e,
        // A file that cannot be read (or a source refused): say it on the upload page.
        Err(e @ ErreurComptes::Invalide { .. }) => {
            return page_import_avec(state, a, String::new(), Some(e.to_string()));
        }
        Err(e) => return Err(ErreurWeb::mediation(e, chemin)),
    };
    match etat {
        EtatImport::EnAttente(depot, apercu) => {
            let echec = erreur.is_some();
            let r = rendre(&PageApercu {
                site: state.site.clone(),
                menu: Menu::de(a),
                depose_le: date(depot.depose_le),
                depot,
                resume: apercu.rapport.resume_fr(),
                remarques: remarques(&apercu.rapport, 200),
                apercu: *apercu,
                erreur,
            })?;
            Ok(refuser_si(r, echec))
        }
        EtatImport::Applique(depot, rapport) => {
            let echec = erreur.is_some();
            let r = rendre(&PageRapport {
                site: state.site.clone(),
                menu: Menu::de(a),
                applique_le: depot.applique_le.map(date).unwrap_or_default(),
                depot,
                resume: rapport.resume_fr(),
                remarques: remarques(&rapport, usize::MAX),
                rapport: *rapport,
                message,
                erreur,
            })?;
            Ok(refuser_si(r, echec))
        }
    }
}

/// `GET /espace/lieux/import/{jeton}`: the preview of an upload (nothing written), or its
/// report once applied.
pub async fn page_depot(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(jeton): Path<String>,
) -> Result<Response, ErreurWeb> {
    montrer_depot(&state, &a, &jeton, None, None).await
}

/// The form « Appliquer »: the `csrf` token only.
#[derive(Deserialize)]
pub struct FormulaireAppliquer {}

/// `POST /espace/lieux/import/{jeton}`: applies the upload, then shows its report; an
/// import stopped (threshold, nothing accepted) shows the preview again with the reason
/// (422), nothing written.
pub async fn appliquer(
    State(state): State<AppState>,
    Path(jeton): Path<String>,
    FormulaireConnecte(a, _): FormulaireConnecte<FormulaireAppliquer>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN_IMPORT}/{jeton}");
    match gestion::appliquer(&state.annuaire, &a, &jeton).await {
        Ok(application) => {
            if let Err(e) = state.recharger().await {
                tracing::error!("rebuilding the search engine after an import failed: {e}");
            }
            let b = application.bilan;
            let message = format!(
                "Import appliqué : {} ajoutés, {} modifiés, {} inchangés, {} retirés. L’annuaire publie {} lieux.",
                b.added, b.updated, b.unchanged, b.retired, application.fusion.lieux_publies
            );
            montrer_depot(&state, &a, &jeton, None, Some(message)).await
        }
        Err(e @ ErreurComptes::Invalide { .. }) => {
            montrer_depot(&state, &a, &jeton, Some(e.to_string()), None).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, chemin)),
    }
}

/// `GET /espace/lieux/import/{jeton}/rapport.csv`: the line-by-line report (`;`, French
/// headers).
pub async fn rapport_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(jeton): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN_IMPORT}/{jeton}");
    let (depot, rapport) = gestion::rapport(&state.annuaire, &a, &jeton)
        .await
        .ou(&chemin)?;
    Ok(fichier(
        gestion::rapport_tableau(&rapport).csv()?,
        "text/csv; charset=utf-8",
        &format!("rapport-import-{}.csv", depot.import_id.unwrap_or_default()),
    ))
}

/// A record of a candidate pair, as shown side by side.
pub struct Fiche {
    pub reference: String,
    pub lieu_id: Option<String>,
    pub nom: String,
    pub adresse: String,
    pub commune: String,
    pub telephone: String,
    pub courriels: String,
    pub site_web: String,
    pub date_maj: String,
}

impl Fiche {
    fn de(l: &maillage_annuaire::lieux::LieuSource, lieu_id: Option<String>) -> Fiche {
        let lieu = &l.lieu;
        Fiche {
            reference: l.reference(),
            lieu_id,
            nom: lieu.nom.clone(),
            adresse: lieu.adresse.clone(),
            commune: format!("{} {}", lieu.code_postal, lieu.commune),
            telephone: lieu
                .telephone
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default(),
            courriels: lieu.courriels.join(", "),
            site_web: lieu.site_web.join(", "),
            date_maj: lieu.date_maj.format("%d/%m/%Y").to_string(),
        }
    }
}

/// A pair of the queue, as shown.
pub struct Paire {
    pub numero: usize,
    pub a: Fiche,
    pub b: Fiche,
    pub score: String,
    pub fusionnes: bool,
    /// `(criterion, points, reason, compared value)`.
    pub criteres: Vec<(String, String, String, String)>,
}

impl Paire {
    fn de(numero: usize, c: &Candidat) -> Paire {
        let e = &c.paire.explication;
        Paire {
            numero,
            a: Fiche::de(&c.a, c.lieu_a.clone()),
            b: Fiche::de(&c.b, c.lieu_b.clone()),
            score: format!("{:.2}", e.score).replace('.', ","),
            fusionnes: c.lieu_a.is_some() && c.lieu_a == c.lieu_b,
            criteres: e
                .criteres
                .iter()
                .map(|k| {
                    (
                        k.nom.to_string(),
                        format!("{:+.2}", k.points).replace('.', ","),
                        k.raison.clone(),
                        k.valeur.clone(),
                    )
                })
                .collect(),
        }
    }
}

/// An entry of the history, as shown.
pub struct LigneHistorique {
    pub date: String,
    pub ref_a: String,
    pub ref_b: String,
    pub decision: &'static str,
    pub par: String,
    pub note: String,
    pub en_vigueur: bool,
}

impl LigneHistorique {
    fn de(e: &EntreeHistorique) -> LigneHistorique {
        let x = &e.entree;
        LigneHistorique {
            date: date(x.decided_at),
            ref_a: x.ref_a.clone(),
            ref_b: x.ref_b.clone(),
            decision: match x.decision.as_str() {
                "confirme" => "même lieu",
                "refuse" => "lieux différents",
                _ => "décision annulée",
            },
            par: x.decided_by.clone(),
            note: x.note.clone().unwrap_or_default(),
            en_vigueur: e.en_vigueur,
        }
    }
}

#[derive(Template)]
#[template(path = "espace/lieux_doublons.html")]
struct PageDoublons {
    site: Arc<Site>,
    menu: Menu,
    territoires: String,
    seuil: String,
    paires: Vec<Paire>,
    historique: Vec<LigneHistorique>,
    message: Option<String>,
    erreur: Option<String>,
}

async fn doublons(
    state: &AppState,
    a: &Acteur,
    message: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let perimetre = gestion::Perimetre::de(a).ou(CHEMIN_DOUBLONS)?;
    let file = gestion::file_doublons(&state.annuaire, a)
        .await
        .ou(CHEMIN_DOUBLONS)?;
    let historique = gestion::historique(&state.annuaire, a)
        .await
        .ou(CHEMIN_DOUBLONS)?;
    let echec = erreur.is_some();
    let r = rendre(&PageDoublons {
        site: state.site.clone(),
        menu: Menu::de(a),
        territoires: perimetre.libelle(),
        seuil: format!(
            "{:.1}",
            maillage_annuaire::doublons::OptionsDoublons::default().seuil
        )
        .replace('.', ","),
        paires: file
            .iter()
            .enumerate()
            .map(|(i, c)| Paire::de(i + 1, c))
            .collect(),
        historique: historique.iter().map(LigneHistorique::de).collect(),
        message,
        erreur,
    })?;
    Ok(refuser_si(r, echec))
}

/// `GET /espace/lieux/doublons`: the review queue and the history.
pub async fn page_doublons(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    doublons(&state, &a, None, None).await
}

/// The form of a decision: `ref_a`, `ref_b`, `decision` (`meme`, `differents` or
/// `annuler`), `note`, and the `csrf` token.
#[derive(Deserialize)]
pub struct FormulaireDecision {
    #[serde(default)]
    ref_a: String,
    #[serde(default)]
    ref_b: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

/// `POST /espace/lieux/doublons` (see [`FormulaireDecision`]): records the decision (or
/// undoes it), re-merges, shows the queue again.
pub async fn decider(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireDecision>,
) -> Result<Response, ErreurWeb> {
    interdit_sauf_gestion(&a)?;
    let (ref_a, ref_b) = (f.ref_a.trim(), f.ref_b.trim());
    let note = Some(f.note.as_str());
    let (resultat, quoi) = match f.decision.trim() {
        "meme" => (
            gestion::decider_paire(&state.annuaire, &a, ref_a, ref_b, Decision::Confirmee, note)
                .await,
            "même lieu",
        ),
        "differents" => (
            gestion::decider_paire(&state.annuaire, &a, ref_a, ref_b, Decision::Refusee, note)
                .await,
            "lieux différents",
        ),
        "annuler" => (
            gestion::annuler_decision(&state.annuaire, &a, ref_a, ref_b, note).await,
            "décision annulée",
        ),
        autre => {
            return doublons(
                &state,
                &a,
                None,
                Some(format!(
                    "Décision inconnue : « {autre} » (même lieu, lieux différents ou annuler)."
                )),
            )
            .await
        }
    };
    match resultat {
        Ok(bilan) => {
            if let Err(e) = state.recharger().await {
                tracing::error!("rebuilding the search engine after a decision failed: {e}");
            }
            doublons(
                &state,
                &a,
                Some(format!(
                    "{ref_a} et {ref_b} : {quoi}. L’annuaire publie {} lieux.",
                    bilan.lieux_publies
                )),
                None,
            )
            .await
        }
        Err(e @ ErreurComptes::Invalide { .. }) => {
            doublons(&state, &a, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, CHEMIN_DOUBLONS.into())),
    }
}

#[derive(Template)]
#[template(path = "espace/lieux_fraicheur.html")]
struct PageFraicheur {
    site: Arc<Site>,
    menu: Menu,
    territoires: String,
    avant: String,
    fraicheur: Fraicheur,
}

fn aujourdhui() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

/// `GET /espace/lieux/fraicheur`: places not updated for 12 months, by source and commune.
pub async fn page_fraicheur(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let perimetre = gestion::Perimetre::de(&a).ou(CHEMIN_FRAICHEUR)?;
    let fraicheur = gestion::fraicheur(&state.annuaire, &a, aujourdhui())
        .await
        .ou(CHEMIN_FRAICHEUR)?;
    rendre(&PageFraicheur {
        site: state.site.clone(),
        menu: Menu::de(&a),
        territoires: perimetre.libelle(),
        avant: fraicheur.avant.format("%d/%m/%Y").to_string(),
        fraicheur,
    })
}

/// `GET /espace/lieux/fraicheur.csv`: the stale places (`;`, French headers).
pub async fn fraicheur_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let fraicheur = gestion::fraicheur(&state.annuaire, &a, aujourdhui())
        .await
        .ou(CHEMIN_FRAICHEUR)?;
    Ok(fichier(
        gestion::fraicheur_tableau(&fraicheur).csv()?,
        "text/csv; charset=utf-8",
        "lieux-a-mettre-a-jour.csv",
    ))
}
