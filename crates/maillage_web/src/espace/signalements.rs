//! `/espace/signalements`: the error reports sent by the public from a place's page
//! (« signaler une erreur »), for the coordinators of the place's territory and the
//! administrators, until the coordinators' back office exists. Who sees what is decided by
//! [`maillage_annuaire::signalement::signalements_de`] (rules in `mediation::acces`); each open
//! report can be closed as « traité » or « rejeté », with a note.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use maillage_annuaire::signalement::{self as sig, DecisionSignalement};
use serde::Deserialize;

use super::pages::Menu;
use super::{rendre, Connecte, ErreurWeb, OuRetour};
use crate::formulaires::FormulaireConnecte;
use crate::site::Site;
use crate::AppState;

const CHEMIN: &str = "/espace/signalements";

/// A report as listed.
pub struct LigneSignalement {
    pub id: i64,
    pub date: String,
    pub lieu_id: String,
    pub lieu: String,
    pub publie: bool,
    pub commune: String,
    pub categorie: String,
    pub message: String,
    pub contact: String,
    /// « à traiter », « traité », « rejeté ».
    pub etat: &'static str,
    /// The note written with the decision.
    pub note: String,
    pub ouvert: bool,
}

#[derive(Template)]
#[template(path = "espace/signalements.html")]
struct PageSignalements {
    site: Arc<Site>,
    menu: Menu,
    lignes: Vec<LigneSignalement>,
    tous: bool,
    territoires: String,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct Filtre {
    tous: Option<String>,
}

async fn page(
    state: &AppState,
    a: &maillage_mediation::Acteur,
    tous: bool,
    message: Option<String>,
) -> Result<Response, ErreurWeb> {
    let liste = sig::signalements_de(&state.annuaire, a, !tous)
        .await
        .ou(CHEMIN)?;
    let referentiel = maillage_territoire::Referentiel::embedded();
    let lignes = liste
        .iter()
        .map(|s| {
            let r = &s.signalement;
            let etat = match (r.traite, s.decision()) {
                (false, _) => "à traiter",
                (true, Some(d)) => d.libelle(),
                (true, None) => "traité",
            };
            LigneSignalement {
                id: r.id,
                date: r
                    .created_at
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y à %H h %M")
                    .to_string(),
                lieu_id: s
                    .lieu_id_courant
                    .clone()
                    .unwrap_or_else(|| r.lieu_id.clone()),
                lieu: s
                    .lieu_nom
                    .clone()
                    .unwrap_or_else(|| format!("lieu {} (plus publié)", r.lieu_id)),
                publie: s.lieu_nom.is_some(),
                commune: s
                    .code_insee
                    .as_deref()
                    .map(|c| {
                        referentiel
                            .commune_or_parent(c)
                            .map(|x| x.nom.clone())
                            .unwrap_or_else(|| c.to_string())
                    })
                    .unwrap_or_default(),
                categorie: s.categorie_libelle(),
                message: r.message.clone(),
                contact: r.contact.clone().unwrap_or_default(),
                etat,
                note: r.decision_note.clone().unwrap_or_default(),
                ouvert: !r.traite,
            }
        })
        .collect();
    let territoires = if a.role == maillage_domain::mediation::Role::Administrateur {
        "tous les territoires".to_string()
    } else if a.territoires.is_empty() {
        "aucun territoire (un administrateur doit vous en confier un)".to_string()
    } else {
        a.territoires
            .iter()
            .map(|t| t.nom().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    rendre(&PageSignalements {
        site: state.site.clone(),
        menu: Menu::de(a),
        lignes,
        tous,
        territoires,
        message,
    })
}

/// `GET /espace/signalements[?tous=1]`: the open reports (or all of them).
pub async fn liste(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Query(f): Query<Filtre>,
) -> Result<Response, ErreurWeb> {
    let tous = f.tous.as_deref().is_some_and(|v| !v.is_empty() && v != "0");
    page(&state, &a, tous, None).await
}

/// The form closing a report: `id`, `decision` (`traite` or `rejete`), `tous` (the list
/// shown: `1` for all), and the `csrf` token.
#[derive(Deserialize)]
pub struct FormulaireDecision {
    #[serde(default)]
    id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    tous: String,
    /// What was done (or why nothing will be), optional.
    #[serde(default)]
    note: String,
}

/// A coordinator's decision on a report, read from the form.
struct Decision {
    id: i64,
    decision: DecisionSignalement,
}

impl TryFrom<&FormulaireDecision> for Decision {
    type Error = maillage_mediation::ErreurMediation;

    fn try_from(f: &FormulaireDecision) -> Result<Decision, Self::Error> {
        let decision: DecisionSignalement = f.decision.trim().parse().map_err(|e| {
            maillage_mediation::ErreurMediation::invalide("décision", format!("{e}"))
        })?;
        let id =
            f.id.trim()
                .parse()
                .map_err(|_| maillage_mediation::ErreurMediation::Introuvable)?;
        Ok(Decision { id, decision })
    }
}

/// `POST /espace/signalements` (see [`FormulaireDecision`]).
pub async fn decider(
    State(state): State<AppState>,
    FormulaireConnecte(a, c): FormulaireConnecte<FormulaireDecision>,
) -> Result<Response, ErreurWeb> {
    if !a.peut_voir_signalements() {
        return Err(ErreurWeb::mediation(
            maillage_mediation::ErreurMediation::Interdit,
            CHEMIN.into(),
        ));
    }
    let Decision { id, decision } = Decision::try_from(&c).ou(CHEMIN)?;
    sig::decider(&state.annuaire, &a, id, decision, Some(c.note.as_str()))
        .await
        .ou(CHEMIN)?;
    page(
        &state,
        &a,
        c.tous.trim() == "1",
        Some(format!("Signalement nº {id} : {}.", decision.libelle())),
    )
    .await
}
