//! Événements, the organisers' space (`/espace/evenements…`): the structure's events, the
//! form creating an event and its programme (read by the same reader as the JSON import),
//! publish and cancel, each session's registrations; and the day itself: the offline
//! check-in page (`/espace/evenements/{id}/accueil`, a service worker and IndexedDB, see
//! `assets/accueil.js`), the lists it downloads and the batches it uploads
//! (`/api/v1/evenements/{id}/listes|allocations|pointages`).
//!
//! Who may do what is decided by `maillage_evenements::accueil` (`peut_organiser`,
//! `peut_accueillir`): another structure's event is « introuvable » (404).
//!
//! The JSON routes read the session cookie; the two that write also want the session's
//! CSRF token in the `X-CSRF` header (the page has it) and a JSON body.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use chrono::Utc;
use maillage_comptes::Acteur;
use maillage_domain::mediation::{Referentiel, StatutSocial, TrancheAge};
use maillage_evenements::accueil::{peut_organiser, ListeSession, PointageEnvoye};
use maillage_evenements::stockage::ActeurLocal;
use maillage_evenements::stockage::{EtatPointage, EvenementRow};
use maillage_evenements::{
    ecrire_horodatage, ErreurEvenements, Evenements, StatutEvenement, StatutInscription,
    TypeEvenement, TypeSession,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::erreur::{ApiError, ErreurWeb, OuRetour};
use crate::espace::pages::Menu;
use crate::espace::{cookie, rendre, verifier_csrf, Connecte, COOKIE_SESSION};
use crate::evenements::{evenements, id_de, libelle, nom_commune, quand};
use crate::formulaires::FormulaireConnecte;
use crate::routeurs::RouteurModule;
use crate::site::Site;
use crate::AppState;

const CHEMIN: &str = "/espace/evenements";

/// The page script, embedded; the service worker is the shared one of the offline pages
/// (`assets/hors-ligne-sw.js`, with the shared module `assets/hors-ligne.js`).
const SCRIPT_ACCUEIL: &[u8] = include_bytes!("../assets/accueil.js");
const SERVICE_WORKER: &[u8] = crate::enquete::SERVICE_WORKER;

/// The routes of the organisers' space, added to Événements' router.
pub(crate) fn routes(r: RouteurModule) -> RouteurModule {
    r.get("/espace/evenements", liste)
        .get("/espace/evenements/nouveau", nouveau)
        .post("/espace/evenements", creer)
        .get("/espace/evenements/accueil.js", script_accueil)
        .get("/espace/evenements/accueil-sw.js", service_worker)
        .get("/espace/evenements/{id}", detail)
        .post("/espace/evenements/{id}/statut", changer_statut)
        .get("/espace/evenements/{id}/modifier", page_modifier)
        .post("/espace/evenements/{id}/modifier", modifier)
        .get("/espace/evenements/{id}/accueil", page_accueil)
        .post("/espace/evenements/{id}/accueil/cle", donner_cle)
        .post(
            "/espace/evenements/{id}/sessions/{session}/activite",
            creer_activite,
        )
        .get("/espace/evenements/{id}/bilan", page_bilan)
        .get("/espace/evenements/{id}/bilan.csv", bilan_csv)
        .get("/espace/evenements/{id}/bilan.xlsx", bilan_xlsx)
        .api(utoipa_axum::routes!(api_listes))
        .api(utoipa_axum::routes!(api_allocations))
        .api(utoipa_axum::routes!(api_pointages))
}

fn module(state: &AppState) -> &Evenements {
    evenements(state)
}

// ---------------------------------------------------------------------------------------
// The list.

/// An event of the structure, as listed.
pub struct LigneEspace {
    pub id: i64,
    pub titre: String,
    pub quand: String,
    pub ou: String,
    pub statut: String,
    pub passe: bool,
}

fn ligne_espace(state: &AppState, e: &EvenementRow) -> LigneEspace {
    LigneEspace {
        id: e.id,
        titre: e.titre.clone(),
        quand: quand(e.debut, e.fin),
        ou: match &e.adresse {
            Some(a) => format!("{a}, {}", nom_commune(state, &e.commune)),
            None => nom_commune(state, &e.commune),
        },
        statut: libelle::<StatutEvenement>(&e.statut, StatutEvenement::libelle),
        passe: e.fin < Utc::now(),
    }
}

#[derive(Template)]
#[template(path = "espace/evenements.html")]
struct PageListe {
    site: Arc<Site>,
    menu: Menu,
    lignes: Vec<LigneEspace>,
    organisateur: bool,
}

/// `GET /espace/evenements`: the structure's events, upcoming first.
pub async fn liste(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let tous = module(&state).evenements_organises(&a).await.ou(CHEMIN)?;
    rendre(&PageListe {
        site: state.site.clone(),
        menu: Menu::de(&a),
        lignes: tous.iter().map(|e| ligne_espace(&state, e)).collect(),
        organisateur: maillage_evenements::accueil::peut_creer(&a),
    })
}

// ---------------------------------------------------------------------------------------
// Creation.

/// The creation form: the event, then rows of sessions (`session_…` repeated, one value per
/// row; empty rows are left out).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct FormulaireEvenement {
    #[serde(default)]
    titre: String,
    #[serde(default, rename = "type")]
    type_evenement: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    adresse: String,
    #[serde(default)]
    debut: String,
    #[serde(default)]
    fin: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    lieu: String,
    #[serde(default)]
    acc_mobilite: String,
    #[serde(default)]
    acc_auditif: String,
    #[serde(default)]
    acc_visuel: String,
    #[serde(default)]
    acc_mental: String,
    /// Edit form: the local actors, one a line (a name, or a place of the directory by its
    /// « lieu-… » identifier).
    #[serde(default)]
    acteurs: String,
    /// The edited sessions' ids (empty for a new row), one per row.
    #[serde(default)]
    session_id: Vec<String>,
    /// The ids of the sessions to remove (checked boxes).
    #[serde(default)]
    session_retirer: Vec<String>,
    #[serde(default)]
    session_titre: Vec<String>,
    #[serde(default)]
    session_type: Vec<String>,
    #[serde(default)]
    session_debut: Vec<String>,
    #[serde(default)]
    session_fin: Vec<String>,
    #[serde(default)]
    session_salle: Vec<String>,
    #[serde(default)]
    session_capacite: Vec<String>,
    #[serde(default)]
    session_jauge: Vec<String>,
}

/// A row of the sessions' part of the form, as typed.
#[derive(Debug, Default, Clone)]
pub struct LigneSessionForm {
    /// The session's id when it exists (edit form), else empty.
    pub id: String,
    /// Its seats taken, in words (edit form).
    pub occupation: String,
    pub titre: String,
    pub type_session: String,
    pub debut: String,
    pub fin: String,
    pub salle: String,
    pub capacite: String,
    pub jauge: String,
}

/// Empty rows offered after the typed ones.
const LIGNES_VIDES: usize = 3;

impl FormulaireEvenement {
    fn lignes(&self) -> Vec<LigneSessionForm> {
        let n = [
            self.session_id.len(),
            self.session_titre.len(),
            self.session_type.len(),
            self.session_debut.len(),
            self.session_fin.len(),
            self.session_salle.len(),
            self.session_capacite.len(),
            self.session_jauge.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let v = |l: &[String], i: usize| l.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
        (0..n)
            .map(|i| LigneSessionForm {
                id: v(&self.session_id, i),
                occupation: String::new(),
                titre: v(&self.session_titre, i),
                type_session: v(&self.session_type, i),
                debut: v(&self.session_debut, i),
                fin: v(&self.session_fin, i),
                salle: v(&self.session_salle, i),
                capacite: v(&self.session_capacite, i),
                jauge: v(&self.session_jauge, i),
            })
            .filter(|l| {
                !(l.id.is_empty()
                    && l.titre.is_empty()
                    && l.debut.is_empty()
                    && l.fin.is_empty()
                    && l.salle.is_empty()
                    && l.capacite.is_empty()
                    && l.jauge.is_empty())
            })
            .collect()
    }
}

/// The INSEE code a person means by `saisie`: a code, or a commune's exact name when only
/// one commune bears it.
fn code_commune(state: &AppState, saisie: &str) -> Result<String, ErreurEvenements> {
    let saisie = saisie.trim();
    if saisie.is_empty() {
        return Err(ErreurEvenements::invalide(
            "commune",
            "indiquez la commune (son nom ou son code INSEE)",
        ));
    }
    let r = state.instance.comptes().referentiel();
    if let Some(c) = r.commune_or_parent(saisie) {
        return Ok(c.code_insee.clone());
    }
    let cle = maillage_territoire::normaliser_nom(saisie);
    let memes: Vec<_> = r
        .rechercher(saisie, 20)
        .into_iter()
        .filter(|c| maillage_territoire::normaliser_nom(&c.nom) == cle)
        .collect();
    match memes.as_slice() {
        [c] => Ok(c.code_insee.clone()),
        [] => Err(ErreurEvenements::invalide(
            "commune",
            format!("aucune commune ne s’appelle « {saisie} » (essayez son code INSEE)"),
        )),
        plusieurs => Err(ErreurEvenements::invalide(
            "commune",
            format!(
                "plusieurs communes s’appellent « {saisie} » : donnez son code INSEE ({})",
                plusieurs
                    .iter()
                    .map(|c| format!("{} (dép. {})", c.code_insee, c.code_departement))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The form as the JSON file of the import (same reader, same messages).
fn en_json(f: &FormulaireEvenement, commune: &str) -> Value {
    let sessions: Vec<Value> = lignes_gardees(f)
        .iter()
        .map(|l| {
            let mut s = json!({
                "titre": l.titre,
                "type": l.type_session,
                "debut": l.debut,
                "fin": l.fin,
                "capacite": l.capacite.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(l.capacite.clone())),
            });
            if !l.salle.is_empty() {
                s["salle"] = Value::from(l.salle.clone());
            }
            if !l.jauge.is_empty() {
                s["jauge"] = Value::from(l.jauge.clone());
            }
            s
        })
        .collect();
    let mut v = json!({
        "titre": f.titre.trim(),
        "type": f.type_evenement.trim(),
        "commune": commune,
        "debut": f.debut.trim(),
        "fin": f.fin.trim(),
        "statut": "brouillon",
        "sessions": sessions,
    });
    if !f.adresse.trim().is_empty() {
        v["adresse"] = Value::from(f.adresse.trim());
    }
    if !f.description.trim().is_empty() {
        v["description"] = Value::from(f.description.trim());
    }
    if !f.lieu.trim().is_empty() {
        v["lieu"] = Value::from(f.lieu.trim());
    }
    let mut acc = serde_json::Map::new();
    for (cle, texte) in [
        ("mobilite", &f.acc_mobilite),
        ("auditif", &f.acc_auditif),
        ("visuel", &f.acc_visuel),
        ("mental", &f.acc_mental),
    ] {
        if !texte.trim().is_empty() {
            acc.insert(cle.into(), Value::from(texte.trim()));
        }
    }
    if !acc.is_empty() {
        v["accessibilite"] = Value::Object(acc);
    }
    v
}

/// A field path of the reader (`sessions[1].debut`) in words.
fn champ_en_mots(champ: &str) -> String {
    let mot = |c: &str| match c {
        "titre" => "titre".to_string(),
        "type" => "type".to_string(),
        "commune" => "commune".to_string(),
        "adresse" => "adresse".to_string(),
        "debut" => "début".to_string(),
        "fin" => "fin".to_string(),
        "capacite" => "capacité".to_string(),
        "salle" => "salle".to_string(),
        "jauge" => "jauge partagée".to_string(),
        "description" => "description".to_string(),
        "lieu" => "lieu de l’annuaire".to_string(),
        "mobilite" => "accessibilité, mobilité réduite".to_string(),
        "auditif" => "accessibilité, handicap auditif".to_string(),
        "visuel" => "accessibilité, handicap visuel".to_string(),
        "mental" => "accessibilité, handicap mental ou psychique".to_string(),
        autre => autre.to_string(),
    };
    if let Some(reste) = champ.strip_prefix("sessions[") {
        if let Some((n, c)) = reste.split_once("].") {
            if let Ok(n) = n.parse::<usize>() {
                return format!("Session {}, {}", n + 1, mot(c));
            }
        }
    }
    let m = mot(champ.strip_prefix("accessibilite.").unwrap_or(champ));
    let mut c = m.chars();
    match c.next() {
        Some(p) => p.to_uppercase().collect::<String>() + c.as_str(),
        None => m,
    }
}

/// The rows the form keeps: typed or existing, less those to remove.
fn lignes_gardees(f: &FormulaireEvenement) -> Vec<LigneSessionForm> {
    f.lignes()
        .into_iter()
        .filter(|l| l.id.is_empty() || !f.session_retirer.iter().any(|r| r.trim() == l.id))
        .collect()
}

#[derive(Template)]
#[template(path = "espace/evenement_form.html")]
struct PageFormulaire {
    site: Arc<Site>,
    menu: Menu,
    titre_page: String,
    action: String,
    bouton: String,
    modification: bool,
    f: FormulaireEvenement,
    lignes: Vec<LigneSessionForm>,
    erreur: Option<String>,
    types: Vec<(&'static str, &'static str)>,
    types_session: Vec<(&'static str, &'static str)>,
}

fn page_formulaire(
    state: &AppState,
    a: &Acteur,
    f: FormulaireEvenement,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    page_formulaire_de(state, a, f, erreur, None)
}

/// The form creating an event (`modifie`: `None`) or editing one (its id, and its sessions'
/// seats taken by id, to say them on each row).
fn page_formulaire_de(
    state: &AppState,
    a: &Acteur,
    f: FormulaireEvenement,
    erreur: Option<String>,
    modifie: Option<(i64, Vec<(i64, String)>)>,
) -> Result<Response, ErreurWeb> {
    let mut lignes = f.lignes();
    if let Some((_, occupations)) = &modifie {
        for l in &mut lignes {
            if let Some((_, o)) = occupations.iter().find(|(id, _)| id.to_string() == l.id) {
                l.occupation = o.clone();
            }
        }
    }
    lignes.extend((0..LIGNES_VIDES).map(|_| LigneSessionForm {
        type_session: "atelier".into(),
        ..LigneSessionForm::default()
    }));
    let statut = if erreur.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let (titre_page, action, bouton) = match &modifie {
        Some((id, _)) => (
            "Modifier l’événement".to_string(),
            format!("{CHEMIN}/{id}/modifier"),
            "Enregistrer les modifications".to_string(),
        ),
        None => (
            "Créer un événement".to_string(),
            CHEMIN.to_string(),
            "Créer l’événement (brouillon)".to_string(),
        ),
    };
    let mut r = rendre(&PageFormulaire {
        site: state.site.clone(),
        menu: Menu::de(a),
        titre_page,
        action,
        bouton,
        modification: modifie.is_some(),
        f,
        lignes,
        erreur,
        types: TypeEvenement::TOUS
            .iter()
            .map(|t| (t.code(), t.libelle()))
            .collect(),
        types_session: TypeSession::TOUS
            .iter()
            .map(|t| (t.code(), t.libelle()))
            .collect(),
    })?;
    *r.status_mut() = statut;
    Ok(r)
}

fn exiger_organisateur(a: &Acteur) -> Result<(), ErreurWeb> {
    Evenements::exiger_organisateur(a).map_err(|e| ErreurWeb::from(e).avec_retour(CHEMIN))
}

/// `GET /espace/evenements/nouveau`: the creation form.
pub async fn nouveau(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    exiger_organisateur(&a)?;
    page_formulaire(
        &state,
        &a,
        FormulaireEvenement {
            type_evenement: "etape_tournee".into(),
            ..FormulaireEvenement::default()
        },
        None,
    )
}

/// `POST /espace/evenements`: creates the event as a draft, then shows it.
pub async fn creer(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireEvenement>,
) -> Result<Response, ErreurWeb> {
    exiger_organisateur(&a)?;
    let commune = match code_commune(&state, &f.commune) {
        Ok(c) => c,
        Err(ErreurEvenements::Invalide { champ, message }) => {
            let m = format!("{} : {message}", champ_en_mots(&champ));
            return page_formulaire(&state, &a, f, Some(m));
        }
        Err(e) => return Err(e.into()),
    };
    let texte = en_json(&f, &commune).to_string();
    match module(&state).importer(&a, &texte).await {
        Ok(cree) => Ok(Redirect::to(&format!("{CHEMIN}/{}?cree=1", cree.id)).into_response()),
        Err(ErreurEvenements::Invalide { champ, message }) => {
            let m = format!("{} : {message}", champ_en_mots(&champ));
            page_formulaire(&state, &a, f, Some(m))
        }
        Err(e) => Err(ErreurWeb::from(e).avec_retour(CHEMIN)),
    }
}

// ---------------------------------------------------------------------------------------
// Editing an event and its programme.

/// An instant as a `datetime-local` field shows it (Paris time).
fn heure_locale(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// What the edit form shows of a session's seats.
fn occupation(s: &maillage_evenements::stockage::SessionEvenementRow) -> String {
    let mut t = format!("{} place(s) prise(s) sur {}", s.inscrits, s.capacite);
    if s.en_attente > 0 {
        t.push_str(&format!(", {} en liste d’attente", s.en_attente));
    }
    t
}

/// The sessions' seats taken of an event, by session, for the edit form.
async fn occupations(
    state: &AppState,
    a: &Acteur,
    id: i64,
) -> Result<Vec<(i64, String)>, ErreurEvenements> {
    let (_, listes) = module(state).listes(a, id).await?;
    Ok(listes
        .iter()
        .map(|l| (l.session.id, occupation(&l.session)))
        .collect())
}

/// `GET /espace/evenements/{id}/modifier`: the event and its programme in the form.
pub async fn page_modifier(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}");
    let id = id_de(&id)?;
    let e = module(&state)
        .evenement_organise(&a, id)
        .await
        .ou(&chemin)?;
    let (_, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    let commune = {
        let nom = nom_commune(&state, &e.commune);
        match code_commune(&state, &nom) {
            Ok(c) if c == e.commune => nom,
            _ => e.commune.clone(),
        }
    };
    let sessions: Vec<_> = listes.iter().map(|l| &l.session).collect();
    let f = FormulaireEvenement {
        titre: e.titre.clone(),
        type_evenement: e.type_evenement.clone(),
        commune,
        adresse: e.adresse.clone().unwrap_or_default(),
        debut: heure_locale(e.debut),
        fin: heure_locale(e.fin),
        description: e.description.clone().unwrap_or_default(),
        lieu: e.lieu_id.clone().unwrap_or_default(),
        acc_mobilite: e.accessibilite.mobilite.clone().unwrap_or_default(),
        acc_auditif: e.accessibilite.auditif.clone().unwrap_or_default(),
        acc_visuel: e.accessibilite.visuel.clone().unwrap_or_default(),
        acc_mental: e.accessibilite.mental.clone().unwrap_or_default(),
        acteurs: module(&state)
            .acteurs_locaux(id)
            .await
            .ou(&chemin)?
            .into_iter()
            .map(|a| a.lieu_id.unwrap_or(a.nom))
            .collect::<Vec<_>>()
            .join("\n"),
        session_id: sessions.iter().map(|s| s.id.to_string()).collect(),
        session_retirer: Vec::new(),
        session_titre: sessions.iter().map(|s| s.titre.clone()).collect(),
        session_type: sessions.iter().map(|s| s.type_session.clone()).collect(),
        session_debut: sessions.iter().map(|s| heure_locale(s.debut)).collect(),
        session_fin: sessions.iter().map(|s| heure_locale(s.fin)).collect(),
        session_salle: sessions
            .iter()
            .map(|s| s.salle.clone().unwrap_or_default())
            .collect(),
        session_capacite: sessions.iter().map(|s| s.capacite.to_string()).collect(),
        session_jauge: sessions
            .iter()
            .map(|s| s.jauge.clone().unwrap_or_default())
            .collect(),
    };
    let occupations = listes
        .iter()
        .map(|l| (l.session.id, occupation(&l.session)))
        .collect();
    page_formulaire_de(&state, &a, f, None, Some((id, occupations)))
}

/// `POST /espace/evenements/{id}/modifier`: reads the form with the import's reader, then
/// edits the event and its programme (the rows with an id edit their session, the others
/// add one, the checked ones are removed), then shows the event.
pub async fn modifier(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireEvenement>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}");
    let id = id_de(&id)?;
    let e = module(&state)
        .evenement_organise(&a, id)
        .await
        .ou(&chemin)?;
    let refus = |state: &AppState, a: &Acteur, f: FormulaireEvenement, m: String| {
        let state = state.clone();
        let a = a.clone();
        async move {
            let occ = occupations(&state, &a, id).await.unwrap_or_default();
            page_formulaire_de(&state, &a, f, Some(m), Some((id, occ)))
        }
    };
    let commune = match code_commune(&state, &f.commune) {
        Ok(c) => c,
        Err(ErreurEvenements::Invalide { champ, message }) => {
            let m = format!("{} : {message}", champ_en_mots(&champ));
            return refus(&state, &a, f, m).await;
        }
        Err(err) => return Err(err.into()),
    };
    let gardees = lignes_gardees(&f);
    let mut ids = Vec::with_capacity(gardees.len());
    for l in &gardees {
        if l.id.is_empty() {
            ids.push(None);
        } else {
            match l.id.parse::<i64>() {
                Ok(n) => ids.push(Some(n)),
                Err(_) => {
                    return refus(
                        &state,
                        &a,
                        f,
                        "Le formulaire est abîmé : rechargez la page.".into(),
                    )
                    .await
                }
            }
        }
    }
    let mut json = en_json(&f, &commune);
    json["statut"] = Value::from(e.statut.clone());
    let referentiel = state.instance.comptes().referentiel();
    let lu = maillage_evenements::lire_evenement(&json.to_string(), |code| {
        referentiel.commune(code).is_some()
    });
    let acteurs = match acteurs_du_formulaire(&state, &f.acteurs) {
        Ok(v) => v,
        Err(m) => return refus(&state, &a, f, m).await,
    };
    let resultat = match lu {
        Ok(lu) => match module(&state).modifier(&a, id, lu, &ids).await {
            Ok(()) => module(&state).modifier_acteurs(&a, id, acteurs).await,
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    match resultat {
        Ok(()) => Ok(Redirect::to(&format!("{CHEMIN}/{id}?modifie=1")).into_response()),
        Err(ErreurEvenements::Invalide { champ, message }) => {
            let m = format!("{} : {message}", champ_en_mots(&champ));
            refus(&state, &a, f, m).await
        }
        Err(err) => Err(ErreurWeb::from(err).avec_retour(&chemin)),
    }
}

/// The local actors typed in the edit form, one a line: a « lieu-… » identifier is a place
/// of the directory (its name from the directory), anything else a named partner. An unknown
/// identifier is refused with a message in French.
fn acteurs_du_formulaire(state: &AppState, texte: &str) -> Result<Vec<ActeurLocal>, String> {
    let moteur = state.moteur();
    texte
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if l.starts_with("lieu-") {
                moteur
                    .index_de(l)
                    .and_then(|i| moteur.lieu_a(i))
                    .map(|f| ActeurLocal {
                        nom: f.lieu.nom.clone(),
                        lieu_id: Some(l.to_string()),
                    })
                    .ok_or_else(|| {
                        format!("Acteurs locaux : aucun lieu de l’annuaire ne porte l’identifiant « {l} »")
                    })
            } else {
                Ok(ActeurLocal {
                    nom: l.to_string(),
                    lieu_id: None,
                })
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// An event and its lists.

/// A registration as listed.
pub struct LigneInscrit {
    pub prenom: String,
    pub statut: String,
    pub present: bool,
    pub heure: String,
}

/// A session with its list.
pub struct SessionEspace {
    pub id: i64,
    pub titre: String,
    pub type_libelle: String,
    pub quand: String,
    pub salle: String,
    pub capacite: i64,
    pub inscrits: usize,
    pub attente: usize,
    pub annules: usize,
    pub presents: usize,
    pub sur_place: usize,
    pub lignes: Vec<LigneInscrit>,
    /// The Médiation record made from the session (0 while being written).
    pub activite: Option<i64>,
}

impl SessionEspace {
    /// Whether the session's collective activity record exists (or is being written).
    pub fn activite_faite(&self) -> bool {
        self.activite.is_some()
    }

    /// The session's Médiation record, once written.
    pub fn lien_activite(&self) -> Option<i64> {
        self.activite.filter(|a| *a > 0)
    }
}

fn session_espace(l: &ListeSession) -> SessionEspace {
    let s = &l.session;
    let compte = |statut: &str| l.inscriptions.iter().filter(|i| i.statut == statut).count();
    SessionEspace {
        id: s.id,
        titre: s.titre.clone(),
        type_libelle: libelle::<TypeSession>(&s.type_session, TypeSession::libelle),
        quand: quand(s.debut, s.fin),
        salle: s.salle.clone().unwrap_or_default(),
        capacite: s.capacite,
        inscrits: compte("inscrit"),
        attente: compte("liste_attente"),
        annules: compte("annule"),
        presents: l.presents(),
        sur_place: l.sur_place(),
        lignes: l
            .inscriptions
            .iter()
            .map(|i| LigneInscrit {
                prenom: i.prenom.clone(),
                statut: libelle::<StatutInscription>(&i.statut, StatutInscription::libelle),
                present: i.statut == "present",
                heure: l
                    .pointages
                    .iter()
                    .find(|p| p.inscription_id == Some(i.id))
                    .map(|p| Evenements::heure_minute(p.pointe_at))
                    .unwrap_or_default(),
            })
            .collect(),
        activite: None,
    }
}

#[derive(Template)]
#[template(path = "espace/evenement.html")]
struct PageDetail {
    site: Arc<Site>,
    menu: Menu,
    e: LigneEspace,
    sessions: Vec<SessionEspace>,
    organisateur: bool,
    publiable: bool,
    annulable: bool,
    message: Option<MessageDetail>,
    /// The mediators a session's activity record may go to (empty: none for this actor).
    mediateurs: Vec<(i64, String)>,
    /// The actor's account (the mediator chosen by default).
    moi: i64,
}

/// `GET /espace/evenements/{id}`: the event, its sessions and their registrations.
pub async fn detail(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}");
    let id = id_de(&id)?;
    let (e, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    let mut sessions: Vec<SessionEspace> = listes.iter().map(session_espace).collect();
    let activites = module(&state)
        .activites_des_sessions(&a, id)
        .await
        .ou(&chemin)?;
    for s in &mut sessions {
        s.activite = activites
            .iter()
            .find(|(sid, _)| *sid == s.id)
            .map(|(_, a)| *a);
    }
    let titre_de = |sid: &str| {
        sessions
            .iter()
            .find(|s| s.id.to_string() == sid)
            .map(|s| (s.titre.clone(), s.lien_activite()))
    };
    let q = q.unwrap_or_default();
    let message = match q.split_once('=') {
        Some(("cree", _)) => Some(MessageDetail::texte("Événement créé en brouillon : publiez-le pour ouvrir les inscriptions.")),
        Some(("statut", "publie")) => Some(MessageDetail::texte("Événement publié : les inscriptions sont ouvertes.")),
        Some(("statut", "annule")) => Some(MessageDetail::texte("Événement annulé.")),
        Some(("modifie", _)) => Some(MessageDetail::texte("Modifications enregistrées.")),
        Some(("activite_creee", sid)) => titre_de(sid).map(|(t, a)| MessageDetail {
            texte: format!("Activité collective enregistrée pour « {t} »."),
            activite: a,
        }),
        Some(("activite", sid)) => titre_de(sid).map(|(t, a)| MessageDetail {
            texte: format!("L’activité collective de « {t} » existe déjà : elle n’a pas été créée une seconde fois."),
            activite: a,
        }),
        _ => None,
    };
    rendre(&PageDetail {
        site: state.site.clone(),
        menu: Menu::de(&a),
        organisateur: peut_organiser(&a, e.structure_id),
        publiable: e.statut == StatutEvenement::Brouillon.code(),
        annulable: e.statut == StatutEvenement::Brouillon.code()
            || e.statut == StatutEvenement::Publie.code(),
        e: ligne_espace(&state, &e),
        sessions,
        message,
        mediateurs: module(&state)
            .mediateurs_attribuables(&a, id)
            .await
            .ou(&chemin)?,
        moi: a.compte.id.get(),
    })
}

/// The message over an event's page, with the link to a Médiation record.
pub struct MessageDetail {
    pub texte: String,
    pub activite: Option<i64>,
}

impl MessageDetail {
    fn texte(t: &str) -> MessageDetail {
        MessageDetail {
            texte: t.to_string(),
            activite: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct FormulaireStatut {
    #[serde(default)]
    statut: String,
}

/// `POST /espace/evenements/{id}/statut` (`statut`: `publie` or `annule`).
pub async fn changer_statut(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireStatut>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}");
    let id = id_de(&id)?;
    module(&state)
        .evenement_organise(&a, id)
        .await
        .ou(&chemin)?;
    let statut = match f.statut.trim() {
        "publie" => StatutEvenement::Publie,
        "annule" => StatutEvenement::Annule,
        autre => {
            return Err(ErreurWeb::from(ErreurEvenements::invalide(
                "statut",
                format!("« {autre} » : publie ou annule"),
            ))
            .avec_retour(&chemin))
        }
    };
    module(&state)
        .changer_statut_organise(&a, id, statut)
        .await
        .ou(&chemin)?;
    Ok(Redirect::to(&format!("{chemin}?statut={}", statut.code())).into_response())
}

// ---------------------------------------------------------------------------------------
// The check-in page and its service worker.

#[derive(Template)]
#[template(path = "espace/evenement_accueil.html")]
struct PageAccueil {
    site: Arc<Site>,
    menu: Menu,
    e: LigneEspace,
    sessions: Vec<SessionEspace>,
    tranches: Vec<(&'static str, &'static str)>,
    statuts: Vec<(&'static str, &'static str)>,
    /// The needs of the orientation sheet: (label of the services vocabulary, plain words).
    besoins: Vec<(&'static str, &'static str)>,
}

/// `GET /espace/evenements/{id}/accueil`: the check-in page (works offline once opened).
pub async fn page_accueil(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}/accueil");
    let id = id_de(&id)?;
    let (e, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    rendre(&PageAccueil {
        site: state.site.clone(),
        menu: Menu::de(&a),
        e: ligne_espace(&state, &e),
        sessions: listes.iter().map(session_espace).collect(),
        tranches: TrancheAge::TOUS
            .iter()
            .map(|t| (t.code(), t.libelle()))
            .collect(),
        statuts: StatutSocial::TOUS
            .iter()
            .map(|t| (t.code(), t.libelle()))
            .collect(),
        besoins: crate::pages::BESOINS
            .iter()
            .map(|(s, mots)| (s.label(), *mots))
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct FormulaireCle {
    #[serde(default)]
    session: String,
}

#[derive(Template)]
#[template(path = "espace/evenement_cle.html")]
struct PageCle {
    site: Arc<Site>,
    menu: Menu,
    e: LigneEspace,
    session: String,
    code: String,
    espace: String,
}

/// `POST /espace/evenements/{id}/accueil/cle` (`session`): gives a key (« Mon espace ») to a
/// person checked in without one; the code is shown once, with the address of « Mon
/// espace », on a page that prints as a slip. Online only (the code is drawn here).
pub async fn donner_cle(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireCle>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}/accueil");
    let id = id_de(&id)?;
    // Another structure's event is « introuvable » before the form is read.
    let e = module(&state)
        .evenement_accueilli(&a, id)
        .await
        .ou(&chemin)?;
    let session = f.session.trim().parse::<i64>().map_err(|_| {
        ErreurWeb::from(ErreurEvenements::invalide(
            "session",
            "choisissez la session où la personne est accueillie",
        ))
        .avec_retour(&chemin)
    })?;
    let n = module(&state)
        .donner_cle(&a, id, session)
        .await
        .ou(&chemin)?;
    let titre = module(&state)
        .session(session)
        .await
        .ou(&chemin)?
        .map(|s| s.titre)
        .unwrap_or_default();
    rendre(&PageCle {
        site: state.site.clone(),
        menu: Menu::de(&a),
        e: ligne_espace(&state, &e),
        session: titre,
        code: n.code.texte(),
        espace: format!(
            "{}/mon-espace",
            crate::evenements_diffusion::adresse_publique(&state)
        ),
    })
}

fn javascript(octets: &'static [u8]) -> Response {
    let mut r = octets.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// `GET /espace/evenements/accueil.js`: the check-in page's script.
pub async fn script_accueil() -> Response {
    javascript(SCRIPT_ACCUEIL)
}

/// `GET /espace/evenements/accueil-sw.js`: the service worker (its scope,
/// `/espace/evenements/`, covers every check-in page).
pub async fn service_worker() -> Response {
    javascript(SERVICE_WORKER)
}

// ---------------------------------------------------------------------------------------
// JSON: lists, allotments, check-ins.

/// The signed-in actor of a JSON request of the offline pages (check-in, survey): 401
/// without a valid session; with `envoi`, the session's CSRF token must be in `X-CSRF` and
/// the body JSON.
pub(crate) async fn acteur_api(
    state: &AppState,
    entetes: &HeaderMap,
    envoi: bool,
) -> Result<Acteur, ApiError> {
    let non_connecte = || ApiError {
        erreur: "connectez-vous d’abord".into(),
        parametre: None,
        status: 401,
    };
    let jeton = cookie(entetes, COOKIE_SESSION).ok_or_else(non_connecte)?;
    let a = state
        .instance
        .comptes()
        .acteur(&jeton)
        .await
        .map_err(|_| non_connecte())?;
    if envoi {
        let json = entetes
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !json {
            return Err(ApiError {
                erreur: "Le corps doit être du JSON (Content-Type: application/json).".into(),
                parametre: None,
                status: 415,
            });
        }
        let csrf = entetes.get("x-csrf").and_then(|v| v.to_str().ok());
        if verifier_csrf(&a, csrf).is_err() {
            return Err(ApiError {
                erreur: "jeton de session (en-tête X-CSRF) absent ou faux : rechargez la page"
                    .into(),
                parametre: Some("X-CSRF".into()),
                status: 403,
            });
        }
    }
    Ok(a)
}

fn id_api(texte: &str) -> Result<i64, ApiError> {
    texte
        .parse::<i64>()
        .map_err(|_| ApiError::introuvable("Introuvable."))
}

fn lire_corps<T: serde::de::DeserializeOwned>(corps: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(corps).map_err(|e| {
        ApiError::requete(
            None,
            format!(
                "JSON illisible à la ligne {}, colonne {} : {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// A registration in a check-in list.
#[derive(Serialize, ToSchema)]
pub struct InscritListe {
    /// The registration's UUID (the ticket's QR code holds it).
    pub uuid: String,
    pub prenom: String,
    /// `inscrit`, `liste_attente`, `annule`, `present`.
    pub statut: String,
    /// When the person was checked in (`HH:MM`, hour of Paris).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub pointe_a: Option<String>,
}

/// A session's check-in list.
#[derive(Serialize, ToSchema)]
pub struct SessionListe {
    pub id: i64,
    pub titre: String,
    pub debut: String,
    pub capacite: i64,
    pub places_libres: i64,
    /// Walk-ins already received.
    pub sur_place: usize,
    pub inscriptions: Vec<InscritListe>,
}

/// The lists of an event's sessions.
#[derive(Serialize, ToSchema)]
pub struct ListesApi {
    pub evenement: i64,
    pub titre: String,
    /// When the lists were read (RFC 3339).
    pub lu_a: String,
    pub sessions: Vec<SessionListe>,
}

/// The check-in lists of an event (organising structure only).
#[utoipa::path(
    get,
    path = "/api/v1/evenements/{id}/listes",
    tag = "evenements",
    security(("session_accueil" = [])),
    params(("id" = i64, Path, description = "Identifiant de l'événement")),
    responses(
        (status = 200, description = "Listes des sessions", body = ListesApi),
        (status = 401, description = "Pas de session", body = ApiError),
        (status = 404, description = "Événement introuvable (ou d'une autre structure)", body = ApiError),
    )
)]
pub async fn api_listes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    entetes: HeaderMap,
) -> Result<Response, ApiError> {
    let a = acteur_api(&state, &entetes, false).await?;
    let id = id_api(&id)?;
    let (e, listes) = module(&state).listes(&a, id).await?;
    let corps = ListesApi {
        evenement: e.id,
        titre: e.titre.clone(),
        lu_a: ecrire_horodatage(module(&state).maintenant()),
        sessions: listes
            .iter()
            .map(|l| SessionListe {
                id: l.session.id,
                titre: l.session.titre.clone(),
                debut: ecrire_horodatage(l.session.debut),
                capacite: l.session.capacite,
                places_libres: l.session.places_libres(),
                sur_place: l.sur_place(),
                inscriptions: l
                    .inscriptions
                    .iter()
                    .map(|i| InscritListe {
                        uuid: i.uuid.clone(),
                        prenom: i.prenom.clone(),
                        statut: i.statut.clone(),
                        pointe_a: l
                            .pointages
                            .iter()
                            .find(|p| p.inscription_id == Some(i.id))
                            .map(|p| Evenements::heure_minute(p.pointe_at)),
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(no_store(Json(corps).into_response()))
}

pub(crate) fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Seats a device asks for, per session.
#[derive(Deserialize, ToSchema)]
pub struct DemandeAllocation {
    pub session: i64,
    pub places: i64,
}

/// A device's request of an allotment.
#[derive(Deserialize, ToSchema)]
pub struct CorpsAllocations {
    /// The device's UUID (drawn by the page, kept on the device).
    pub appareil: String,
    pub sessions: Vec<DemandeAllocation>,
}

/// Seats a device holds for walk-ins on a session.
#[derive(Serialize, ToSchema)]
pub struct AllocationApi {
    pub session: i64,
    pub places: i64,
}

/// The device's allotments.
#[derive(Serialize, ToSchema)]
pub struct ReponseAllocations {
    pub allocations: Vec<AllocationApi>,
}

fn allocations_api(v: &[(i64, i64)]) -> Vec<AllocationApi> {
    v.iter()
        .map(|&(session, places)| AllocationApi { session, places })
        .collect()
}

/// Holds free seats for a device's walk-ins (taken from the free seats under the same lock
/// as registrations: online registrations cannot take them). Asking again sets the
/// device's allotment (at most 50 per session); the unused seats come back at sync.
#[utoipa::path(
    post,
    path = "/api/v1/evenements/{id}/allocations",
    tag = "evenements",
    security(("session_accueil" = [])),
    params(("id" = i64, Path, description = "Identifiant de l'événement")),
    request_body(content = CorpsAllocations, content_type = "application/json"),
    responses(
        (status = 200, description = "Places tenues par l'appareil, par session", body = ReponseAllocations),
        (status = 400, description = "Champ invalide (le champ est nommé)", body = ApiError),
        (status = 401, description = "Pas de session", body = ApiError),
        (status = 403, description = "En-tête X-CSRF absent ou faux", body = ApiError),
        (status = 404, description = "Événement introuvable (ou d'une autre structure)", body = ApiError),
    )
)]
pub async fn api_allocations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: Bytes,
) -> Result<Response, ApiError> {
    let a = acteur_api(&state, &entetes, true).await?;
    let id = id_api(&id)?;
    let c: CorpsAllocations = lire_corps(&corps)?;
    let demandes: Vec<(i64, i64)> = c.sessions.iter().map(|d| (d.session, d.places)).collect();
    let v = module(&state)
        .allouer(&a, id, &c.appareil, &demandes)
        .await?;
    Ok(no_store(
        Json(ReponseAllocations {
            allocations: allocations_api(&v),
        })
        .into_response(),
    ))
}

/// A check-in sent by a device.
#[derive(Deserialize, ToSchema)]
pub struct PointageApi {
    /// Drawn by the device (UUID): a re-upload of the same id creates nothing.
    pub uuid: String,
    pub session: i64,
    /// The registration's UUID; absent for a walk-in.
    #[serde(default)]
    pub inscription: Option<String>,
    /// Walk-ins: age band (the Coop's codes, `non_communique` when absent).
    #[serde(default)]
    pub tranche_age: Option<String>,
    /// Walk-ins: status (the Coop's codes, `non_communique` when absent).
    #[serde(default)]
    pub statut: Option<String>,
    /// The need the person was oriented for: a label of the services vocabulary (as the
    /// orientation sheet names them, e.g. « Aide aux démarches administratives »); absent:
    /// not oriented.
    #[serde(default)]
    pub besoin: Option<String>,
    /// When the device checked the person in (RFC 3339).
    pub heure: String,
}

/// A batch of check-ins.
#[derive(Deserialize, ToSchema)]
pub struct CorpsPointages {
    pub appareil: String,
    pub pointages: Vec<PointageApi>,
    /// Give the device's unused allotment back after the batch.
    #[serde(default)]
    pub rendre: bool,
}

/// What became of one check-in.
#[derive(Serialize, ToSchema)]
pub struct ResultatPointage {
    pub uuid: String,
    /// `cree`, `deja_recu` (re-upload), `deja_pointe` (the person was checked in by
    /// another check-in: one presence), `refuse`.
    pub etat: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub message: Option<String>,
}

/// The answer to a batch.
#[derive(Serialize, ToSchema)]
pub struct ReponsePointages {
    /// In the batch's order.
    pub resultats: Vec<ResultatPointage>,
    /// The device's allotments after the batch.
    pub allocations: Vec<AllocationApi>,
    /// Persons this device checked in that another device also checked in.
    pub avertissements: Vec<String>,
}

/// Uploads a batch of check-ins and walk-ins. Idempotent: each check-in's UUID is recorded
/// once; a person is present once whatever the devices (the later ones are told « déjà
/// pointé par un autre appareil à HH:MM », the first at its next sync).
#[utoipa::path(
    post,
    path = "/api/v1/evenements/{id}/pointages",
    tag = "evenements",
    security(("session_accueil" = [])),
    params(("id" = i64, Path, description = "Identifiant de l'événement")),
    request_body(content = CorpsPointages, content_type = "application/json"),
    responses(
        (status = 200, description = "Résultat de chaque pointage", body = ReponsePointages),
        (status = 400, description = "Champ invalide (le champ est nommé)", body = ApiError),
        (status = 401, description = "Pas de session", body = ApiError),
        (status = 403, description = "En-tête X-CSRF absent ou faux", body = ApiError),
        (status = 404, description = "Événement introuvable (ou d'une autre structure)", body = ApiError),
    )
)]
pub async fn api_pointages(
    State(state): State<AppState>,
    Path(id): Path<String>,
    entetes: HeaderMap,
    corps: Bytes,
) -> Result<Response, ApiError> {
    let a = acteur_api(&state, &entetes, true).await?;
    let id = id_api(&id)?;
    let c: CorpsPointages = lire_corps(&corps)?;
    let envoyes: Vec<PointageEnvoye> = c
        .pointages
        .into_iter()
        .map(|p| PointageEnvoye {
            uuid: p.uuid,
            session: p.session,
            inscription: p.inscription,
            tranche_age: p.tranche_age,
            statut: p.statut,
            besoin: p.besoin,
            heure: p.heure,
        })
        .collect();
    let bilan = module(&state)
        .pointer(&a, id, &c.appareil, &envoyes, c.rendre)
        .await?;
    let appareil = c.appareil.trim().to_ascii_lowercase();
    let resultats = bilan
        .etats
        .into_iter()
        .map(|(uuid, e)| {
            let (etat, message) = match e {
                EtatPointage::Cree => ("cree", None),
                EtatPointage::DejaRecu => ("deja_recu", None),
                EtatPointage::DejaPointe { par_appareil, a } => (
                    "deja_pointe",
                    Some(if par_appareil == appareil {
                        format!(
                            "déjà pointé sur cet appareil à {}",
                            Evenements::heure_minute(a)
                        )
                    } else {
                        format!(
                            "déjà pointé par un autre appareil à {}",
                            Evenements::heure_minute(a)
                        )
                    }),
                ),
                EtatPointage::Refuse(m) => ("refuse", Some(m)),
            };
            ResultatPointage {
                uuid,
                etat: etat.into(),
                message,
            }
        })
        .collect();
    let avertissements = bilan
        .doublons_vus_ailleurs
        .iter()
        .map(|(inscription, _, a)| {
            format!(
                "inscription {inscription} : aussi pointée par un autre appareil à {} (comptée une fois)",
                Evenements::heure_minute(*a)
            )
        })
        .collect();
    Ok(no_store(
        Json(ReponsePointages {
            resultats,
            allocations: allocations_api(&bilan.allocations),
            avertissements,
        })
        .into_response(),
    ))
}

// ---------------------------------------------------------------------------------------
// After the day: the collective activity record of a session, the event's report.

/// The Médiation thématique of a session: the module's rule.
pub use maillage_evenements::domaine::thematique_de;

#[derive(Deserialize)]
pub struct FormulaireActivite {
    /// The account of the mediator the record goes to (empty: the signed-in mediator).
    #[serde(default)]
    mediateur: String,
}

/// `POST /espace/evenements/{id}/sessions/{session}/activite`: turns the session's
/// attendance (present registrations and walk-ins) into one collective activity record,
/// through Médiation's use case; once per session. The record goes to the mediator chosen
/// (a mediator of the organising structure; by default the signed-in mediator).
pub async fn creer_activite(
    State(state): State<AppState>,
    Path((id, session)): Path<(String, String)>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireActivite>,
) -> Result<Response, ErreurWeb> {
    use maillage_domain::mediation::cra::DUREE_MAX;
    use maillage_domain::mediation::{Cra, Genre, GroupeAnonyme, TypeActivite, TypeLieu};
    let chemin = format!("{CHEMIN}/{id}");
    let id = id_de(&id)?;
    let sid = id_de(&session)?;
    let (e, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    let l = listes
        .iter()
        .find(|l| l.session.id == sid)
        .ok_or_else(|| ErreurWeb::from(ErreurEvenements::Introuvable).avec_retour(&chemin))?;
    let choisi = match f.mediateur.trim() {
        "" => None,
        m => Some(m.parse::<i64>().map_err(|_| {
            ErreurWeb::from(ErreurEvenements::invalide(
                "mediateur",
                "choisissez un médiateur de la liste",
            ))
            .avec_retour(&chemin)
        })?),
    };
    let m = module(&state)
        .mediateur_de_l_activite(&a, id, choisi)
        .await
        .ou(&chemin)?;
    if module(&state)
        .reserver_activite(&a, id, sid)
        .await
        .ou(&chemin)?
        .is_some()
    {
        return Ok(Redirect::to(&format!("{chemin}?activite={sid}")).into_response());
    }
    let mut groupes: Vec<GroupeAnonyme> = Vec::new();
    let presents = l.presents() as u32;
    if presents > 0 {
        groupes.push(GroupeAnonyme {
            nombre: presents,
            tranche_age: TrancheAge::NonCommunique,
            statut: StatutSocial::NonCommunique,
            genre: Genre::NonCommunique,
        });
    }
    for p in l.pointages.iter().filter(|p| p.inscription_id.is_none()) {
        let tranche = p
            .tranche_age
            .as_deref()
            .and_then(TrancheAge::depuis_code)
            .unwrap_or(TrancheAge::NonCommunique);
        let statut = p
            .statut_social
            .as_deref()
            .and_then(StatutSocial::depuis_code)
            .unwrap_or(StatutSocial::NonCommunique);
        match groupes
            .iter_mut()
            .find(|g| g.tranche_age == tranche && g.statut == statut)
        {
            Some(g) => g.nombre += 1,
            None => groupes.push(GroupeAnonyme {
                nombre: 1,
                tranche_age: tranche,
                statut,
                genre: Genre::NonCommunique,
            }),
        }
    }
    let s = &l.session;
    let minutes = (s.fin - s.debut)
        .num_minutes()
        .clamp(1, i64::from(DUREE_MAX)) as u32;
    let cra = Cra {
        type_activite: TypeActivite::Collectif,
        date: s
            .debut
            .with_timezone(&chrono_tz::Europe::Paris)
            .date_naive(),
        duree: minutes,
        type_lieu: TypeLieu::Autre,
        lieu_activite_id: None,
        commune: maillage_domain::CodeInsee::parse(&e.commune).ok(),
        thematiques: vec![thematique_de(&s.titre, &s.type_session)],
        materiel: vec![],
        autonomie: None,
        orientation: None,
        titre: Some(s.titre.clone()),
        niveau: None,
        beneficiaires: vec![],
        anonymes: groupes,
        notes: format!(
            "Créée depuis l’événement « {} » (session « {} »).",
            e.titre, s.titre
        ),
        tags: vec![],
    };
    match state
        .instance
        .mediation()
        .enregistrer_activite(&m, None, cra)
        .await
    {
        Ok(activite) => {
            module(&state).fixer_activite(sid, Some(activite)).await?;
            tracing::info!(
                session = sid,
                activite,
                "collective activity record made from a session"
            );
            Ok(Redirect::to(&format!("{chemin}?activite_creee={sid}")).into_response())
        }
        Err(err) => {
            module(&state).fixer_activite(sid, None).await?;
            Err(ErreurWeb::mediation(err, chemin))
        }
    }
}

/// A session's figures in the report.
#[derive(Clone)]
pub struct LigneBilan {
    pub titre: String,
    pub capacite: i64,
    pub inscrits: usize,
    pub attente: usize,
    pub presents: usize,
    pub sur_place: usize,
    pub participants: usize,
    /// Check-ins (registered or walk-ins) recorded as oriented towards a need.
    pub orientes: usize,
    /// Keys (« Mon espace ») given at the check-in.
    pub cles: i64,
    /// Participants over capacity, in percent (`None` for a capacity of 0).
    pub remplissage: Option<f64>,
}

impl LigneBilan {
    pub fn taux(&self) -> String {
        match self.remplissage {
            Some(t) => format!("{t:.0} %"),
            None => "—".into(),
        }
    }
}

impl LigneBilan {
    fn nouvelle(
        titre: String,
        capacite: i64,
        inscrits: usize,
        attente: usize,
        presents: usize,
        sur_place: usize,
        orientes: usize,
    ) -> Self {
        let participants = presents + sur_place;
        LigneBilan {
            titre,
            capacite,
            inscrits,
            attente,
            presents,
            sur_place,
            participants,
            orientes,
            cles: 0,
            remplissage: (capacite > 0).then(|| participants as f64 * 100.0 / capacite as f64),
        }
    }

    /// The sum of `lignes` (the fill rate over their capacities together).
    pub(crate) fn somme(titre: String, lignes: &[LigneBilan]) -> Self {
        LigneBilan {
            cles: lignes.iter().map(|l| l.cles).sum(),
            ..LigneBilan::nouvelle(
                titre,
                lignes.iter().map(|l| l.capacite).sum(),
                lignes.iter().map(|l| l.inscrits).sum(),
                lignes.iter().map(|l| l.attente).sum(),
                lignes.iter().map(|l| l.presents).sum(),
                lignes.iter().map(|l| l.sur_place).sum(),
                lignes.iter().map(|l| l.orientes).sum(),
            )
        }
    }
}

/// An event's report: one line per session, and the total.
pub(crate) fn bilan(listes: &[ListeSession]) -> (Vec<LigneBilan>, LigneBilan) {
    let lignes: Vec<LigneBilan> = listes
        .iter()
        .map(|l| {
            let n = |st: &[&str]| {
                l.inscriptions
                    .iter()
                    .filter(|i| st.contains(&i.statut.as_str()))
                    .count()
            };
            LigneBilan {
                cles: l.cles_remises,
                ..LigneBilan::nouvelle(
                    l.session.titre.clone(),
                    l.session.capacite,
                    n(&["inscrit", "present"]),
                    n(&["liste_attente"]),
                    l.presents(),
                    l.sur_place(),
                    l.orientes(),
                )
            }
        })
        .collect();
    let total = LigneBilan::somme("Total".into(), &lignes);
    (lignes, total)
}

#[derive(Template)]
#[template(path = "espace/evenement_bilan.html")]
struct PageBilan {
    site: Arc<Site>,
    menu: Menu,
    e: LigneEspace,
    lignes: Vec<LigneBilan>,
    total: LigneBilan,
    graphique: String,
}

/// `GET /espace/evenements/{id}/bilan`: registered, present, walk-ins and fill rate per
/// session and in total, as a chart and its table.
pub async fn page_bilan(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}/bilan");
    let id = id_de(&id)?;
    let (e, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    let (lignes, total) = bilan(&listes);
    let graphique = crate::espace::svg::barres(
        &lignes
            .iter()
            .map(|l| {
                (
                    format!("{} (%)", l.titre),
                    l.remplissage.map(|t| t.round() as i64).unwrap_or(0),
                )
            })
            .collect::<Vec<_>>(),
    );
    rendre(&PageBilan {
        site: state.site.clone(),
        menu: Menu::de(&a),
        e: ligne_espace(&state, &e),
        lignes,
        total,
        graphique,
    })
}

/// A report's table (`premiere`: the first column's header, « Session » or « Arrêt »).
pub(crate) fn tableau_bilan(
    premiere: &'static str,
    lignes: &[LigneBilan],
    total: &LigneBilan,
) -> maillage_annuaire::tableur::Tableau {
    use maillage_annuaire::tableur::{Tableau, Valeur};
    let mut t = Tableau::new([
        premiere,
        "Capacité",
        "Inscrits",
        "Liste d’attente",
        "Présents inscrits",
        "Venus sans inscription",
        "Participants",
        "Taux de remplissage (%)",
        "Personnes orientées",
        "Clés remises",
    ]);
    for l in lignes.iter().chain(std::iter::once(total)) {
        t.lignes.push(vec![
            Valeur::texte(l.titre.clone()),
            Valeur::entier(l.capacite as f64),
            Valeur::entier(l.inscrits as f64),
            Valeur::entier(l.attente as f64),
            Valeur::entier(l.presents as f64),
            Valeur::entier(l.sur_place as f64),
            Valeur::entier(l.participants as f64),
            Valeur::nombre(l.remplissage, 1),
            Valeur::entier(l.orientes as f64),
            Valeur::entier(l.cles as f64),
        ]);
    }
    t
}

/// A file to download (`Content-Disposition: attachment`), never cached.
pub(crate) fn fichier(contenu: Vec<u8>, type_mime: &'static str, nom: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{nom}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    no_store(
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(type_mime)),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            contenu,
        )
            .into_response(),
    )
}

/// `GET /espace/evenements/{id}/bilan.csv`: the report's table (`;`, French headers).
pub async fn bilan_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}/bilan");
    let id = id_de(&id)?;
    let (_, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    let (lignes, total) = bilan(&listes);
    Ok(fichier(
        tableau_bilan("Session", &lignes, &total).csv()?,
        "text/csv; charset=utf-8",
        &format!("bilan-evenement-{id}.csv"),
    ))
}

/// `GET /espace/evenements/{id}/bilan.xlsx`: the same table as a spreadsheet.
pub async fn bilan_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("{CHEMIN}/{id}/bilan");
    let id = id_de(&id)?;
    let (_, listes) = module(&state).listes(&a, id).await.ou(&chemin)?;
    let (lignes, total) = bilan(&listes);
    Ok(fichier(
        tableau_bilan("Session", &lignes, &total).xlsx("Bilan")?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("bilan-evenement-{id}.xlsx"),
    ))
}
