//! « Créer cette tournée »: from the territory's plan to a tour of draft events.
//!
//! - `GET /territoires/{code}/tournee?…` (the plan's settings, as `plan.csv`): the form, one
//!   line per stop in visit order with its expected reach and a date (one per week from next
//!   Monday, each editable);
//! - `POST /espace/tournees`: creates the tour and its draft stops
//!   ([`Evenements::creer_tournee_depuis_plan`]), then its page;
//! - `GET /espace/tournees/{id}`: the tour's stops with their dates and statut, each leading to
//!   its page in the organisers' space.
//!
//! Organisers only (administrators and coordinators), like the rest of the module.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Europe::Paris;
use maillage_evenements::tournee::ArretPropose;
use maillage_evenements::StatutEvenement;
use serde::Deserialize;

use crate::erreur::{ErreurWeb, OuRetour};
use crate::espace::pages::Menu;
use crate::espace::rendre;
use crate::espace::Connecte;
use crate::evenements::evenements;
use crate::formulaires::{FormulaireConnecte, Params};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::territoire::ParamsTerritoire;
use crate::AppState;

/// The routes of the tours (the form itself is under the territory's routes).
pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Evenements)
        .post("/espace/tournees", creer)
        .get("/espace/tournees/{id}", page)
}

/// One stop of the form.
pub struct LigneArretForm {
    pub rang: usize,
    pub commune: String,
    pub nom: String,
    pub atteints: String,
    pub atteints_brut: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "espace/tournee_nouvelle.html")]
struct PageNouvelle {
    site: Arc<Site>,
    menu: Menu,
    territoire: String,
    titre: String,
    rayon: String,
    arrets: Vec<LigneArretForm>,
    carte: String,
    erreur: Option<String>,
}

/// One stop of a tour's page.
pub struct LigneArret {
    pub id: i64,
    pub titre: String,
    pub quand: String,
    pub statut: &'static str,
}

#[derive(Template)]
#[template(path = "espace/tournee.html")]
struct PageTournee {
    site: Arc<Site>,
    menu: Menu,
    titre: String,
    id: i64,
    arrets: Vec<LigneArret>,
}

fn exiger_organisateur(a: &maillage_comptes::Acteur) -> Result<(), ErreurWeb> {
    Ok(maillage_evenements::Evenements::exiger_organisateur(a)?)
}

/// The next Monday after `jour` (a stop a week from then).
fn lundi_suivant(jour: NaiveDate) -> NaiveDate {
    let d = 7 - i64::from(jour.weekday().num_days_from_monday());
    jour + Duration::days(d)
}

/// `GET /territoires/{code}/tournee?…`: the form of the tour, from the page's plan.
pub async fn nouvelle(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
    Params(p): Params<ParamsTerritoire>,
) -> Result<Response, ErreurWeb> {
    exiger_organisateur(&a)?;
    let (territoire, plan, rayon) = crate::territoire::plan_pour_tournee(&state, &code, &p).await?;
    let premier = lundi_suivant(state.instance.comptes().aujourdhui());
    let ordre: Vec<usize> = plan
        .ordre_de_visite
        .clone()
        .unwrap_or_else(|| (0..plan.arrets.len()).collect());
    let arrets = ordre
        .iter()
        .filter_map(|&i| plan.arrets.get(i))
        .enumerate()
        .map(|(rang, s)| LigneArretForm {
            rang: rang + 1,
            commune: s.code_insee.clone(),
            nom: s.nom.clone(),
            atteints: crate::territoire::entier(s.gain),
            atteints_brut: format!("{:.0}", s.gain),
            date: (premier + Duration::days(7 * rang as i64))
                .format("%Y-%m-%d")
                .to_string(),
        })
        .collect::<Vec<_>>();
    let page = PageNouvelle {
        site: Arc::clone(&state.site),
        menu: Menu::de(&a),
        titre: format!("Numérique Tour {}", territoire.nom()),
        territoire: territoire.nom().to_string(),
        rayon: format!("{rayon}"),
        carte: format!(
            "/territoires/{}?{}#tournee",
            crate::erreur::encoder(&code),
            q.unwrap_or_default()
        ),
        arrets,
        erreur: None,
    };
    rendre(&page)
}

/// The form of a new tour: its title, the reach, and per stop (same order) its commune, its
/// reach and its date.
#[derive(Deserialize)]
pub struct FormTournee {
    #[serde(default)]
    titre: String,
    #[serde(default)]
    rayon_km: String,
    #[serde(default)]
    commune: Vec<String>,
    #[serde(default)]
    atteints: Vec<String>,
    #[serde(default)]
    date: Vec<String>,
}

/// `POST /espace/tournees`: creates the tour and its draft stops.
pub async fn creer(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormTournee>,
) -> Result<Response, ErreurWeb> {
    exiger_organisateur(&a)?;
    if f.commune.len() != f.date.len() {
        return Err(ErreurWeb::Requete(
            "Formulaire incomplet : une date par arrêt.".into(),
        ));
    }
    let mut arrets = Vec::with_capacity(f.commune.len());
    for (i, (commune, date)) in f.commune.iter().zip(&f.date).enumerate() {
        let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
            ErreurWeb::Requete(format!(
                "Arrêt n° {} : date illisible « {} » (attendu AAAA-MM-JJ).",
                i + 1,
                date.trim()
            ))
        })?;
        let atteints = f
            .atteints
            .get(i)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(0.0);
        arrets.push(ArretPropose {
            commune: commune.trim().to_string(),
            date,
            atteints,
        });
    }
    let rayon = f
        .rayon_km
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0 && *r <= 50.0)
        .unwrap_or(10.0);
    let (id, _) = evenements(&state)
        .creer_tournee_depuis_plan(&a, &f.titre, rayon, &arrets)
        .await?;
    Ok(Redirect::to(&format!("/espace/tournees/{id}")).into_response())
}

/// `GET /espace/tournees/{id}`: the tour's stops.
pub async fn page(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ErreurWeb::Introuvable("Tournée introuvable.".into()))?;
    let d = evenements(&state)
        .tournee_detaillee(&a, id)
        .await
        .ou(&format!("/espace/tournees/{id}"))?;
    let page = PageTournee {
        site: Arc::clone(&state.site),
        menu: Menu::de(&a),
        titre: d.tournee.titre.clone(),
        id,
        arrets: d
            .arrets
            .iter()
            .map(|e| LigneArret {
                id: e.id,
                titre: e.titre.clone(),
                quand: e.debut.with_timezone(&Paris).format("%d/%m/%Y").to_string(),
                statut: e
                    .statut
                    .parse::<StatutEvenement>()
                    .map_or("?", |s| s.libelle()),
            })
            .collect(),
    };
    rendre(&page)
}
