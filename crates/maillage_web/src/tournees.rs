//! « Créer cette tournée »: from the territory's plan to a tour of draft events.
//!
//! - `GET /territoires/{code}/tournee?…` (the plan's settings, as `plan.csv`): the form, one
//!   line per stop in visit order with its expected reach and a date (one per week from next
//!   Monday, each editable);
//! - `POST /espace/tournees`: creates the tour and its draft stops
//!   ([`Evenements::creer_tournee_depuis_plan`]), then its page;
//! - `GET /espace/tournees/{id}`: the tour's stops with their dates and statut, each leading to
//!   its page in the organisers' space;
//! - `GET /espace/tournees/{id}/bilan` (and `bilan.csv`, `bilan.xlsx`): the report of the tour,
//!   the figures of each stop (registered, waiting, present, walk-ins, participants, fill rate)
//!   and their total, the map of the stops (server SVG) and a chart of the fill rates, each
//!   with the table.
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
        .get("/espace/tournees/{id}/bilan", page_bilan)
        .get("/espace/tournees/{id}/bilan.csv", bilan_csv)
        .get("/espace/tournees/{id}/bilan.xlsx", bilan_xlsx)
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

// ---------------------------------------------------------------------------------------
// The report of a tour.

/// One stop of the report: its figures (the total of its sessions) and where it is.
struct ArretBilan {
    id: i64,
    ligne: crate::evenements_espace::LigneBilan,
    point: Option<maillage_geo::Point>,
}

/// The tour's title and each stop's report, by date (organisers only, as the tour's page).
async fn bilan_tournee(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
) -> Result<(i64, String, Vec<ArretBilan>), ErreurWeb> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ErreurWeb::Introuvable("Tournée introuvable.".into()))?;
    let retour = format!("/espace/tournees/{id}");
    let module = evenements(state);
    let d = module.tournee_detaillee(a, id).await.ou(&retour)?;
    let referentiel = state.instance.comptes().referentiel();
    let mut arrets = Vec::with_capacity(d.arrets.len());
    for e in &d.arrets {
        let (_, listes) = module.listes(a, e.id).await.ou(&retour)?;
        let (lignes, _) = crate::evenements_espace::bilan(&listes);
        let commune = referentiel.commune_or_parent(&e.commune);
        let titre = format!(
            "{} — {}",
            e.debut.with_timezone(&Paris).format("%d/%m/%Y"),
            commune.map_or(e.commune.as_str(), |c| c.nom.as_str())
        );
        arrets.push(ArretBilan {
            id: e.id,
            ligne: crate::evenements_espace::LigneBilan::somme(titre, &lignes),
            point: commune.and_then(|c| c.centre),
        });
    }
    Ok((id, d.tournee.titre, arrets))
}

#[derive(Template)]
#[template(path = "espace/tournee_bilan.html")]
struct PageBilanTournee {
    site: Arc<Site>,
    menu: Menu,
    id: i64,
    titre: String,
    /// (stop's id, its line), by date.
    arrets: Vec<(i64, crate::evenements_espace::LigneBilan)>,
    total: crate::evenements_espace::LigneBilan,
    carte: String,
    graphique: String,
}

/// `GET /espace/tournees/{id}/bilan`.
pub async fn page_bilan(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, titre, arrets) = bilan_tournee(&state, &a, &id).await?;
    let sur_la_carte: Vec<(maillage_geo::Point, &str)> = arrets
        .iter()
        .filter_map(|b| b.point.map(|p| (p, b.ligne.titre.as_str())))
        .collect();
    let carte = crate::territoire::carte_tournee(
        &format!("Arrêts de la tournée « {titre} », numérotés dans l’ordre des dates"),
        &sur_la_carte,
    );
    let graphique = crate::espace::svg::barres(
        &arrets
            .iter()
            .map(|b| {
                (
                    format!("{} (%)", b.ligne.titre),
                    b.ligne.remplissage.map(|t| t.round() as i64).unwrap_or(0),
                )
            })
            .collect::<Vec<_>>(),
    );
    let lignes: Vec<crate::evenements_espace::LigneBilan> =
        arrets.iter().map(|b| b.ligne.clone()).collect();
    let total = crate::evenements_espace::LigneBilan::somme("Total".into(), &lignes);
    rendre(&PageBilanTournee {
        site: Arc::clone(&state.site),
        menu: Menu::de(&a),
        id,
        titre,
        arrets: arrets.into_iter().map(|b| (b.id, b.ligne)).collect(),
        total,
        carte,
        graphique,
    })
}

/// The report's table of a tour: one line per stop, and the total.
async fn tableau(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
) -> Result<(i64, maillage_annuaire::tableur::Tableau), ErreurWeb> {
    let (id, _, arrets) = bilan_tournee(state, a, id).await?;
    let lignes: Vec<crate::evenements_espace::LigneBilan> =
        arrets.into_iter().map(|b| b.ligne).collect();
    let total = crate::evenements_espace::LigneBilan::somme("Total".into(), &lignes);
    Ok((
        id,
        crate::evenements_espace::tableau_bilan("Arrêt", &lignes, &total),
    ))
}

/// `GET /espace/tournees/{id}/bilan.csv`: the report's table (`;`, French headers).
pub async fn bilan_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, t) = tableau(&state, &a, &id).await?;
    Ok(crate::evenements_espace::fichier(
        t.csv()?,
        "text/csv; charset=utf-8",
        &format!("bilan-tournee-{id}.csv"),
    ))
}

/// `GET /espace/tournees/{id}/bilan.xlsx`: the same table as a spreadsheet.
pub async fn bilan_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, t) = tableau(&state, &a, &id).await?;
    Ok(crate::evenements_espace::fichier(
        t.xlsx("Bilan")?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("bilan-tournee-{id}.xlsx"),
    ))
}
