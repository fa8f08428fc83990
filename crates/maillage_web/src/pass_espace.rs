//! Pass numérique in the signed-in space: the funder's pages and the prescriber's.
//!
//! - `GET /espace/pass`: the programmes the account manages or distributes, and the form of
//!   a new programme with its **simulation of cost and coverage** (`POST
//!   /espace/pass/programmes` with `action=simuler` shows it, `action=creer` creates);
//! - `GET /espace/pass/programmes/{id}`: qualified places (SIRET, who approved and when),
//!   prescribers, carnets (each printable: `GET /espace/pass/carnets/{id}/imprimer`, a PDF
//!   with a QR code per pass) and the forms that add them;
//! - `GET /espace/pass/programmes/{id}/tableau` (+ `.csv`, `.xlsx`): the funder's dashboard;
//! - `GET /espace/pass/programmes/{id}/releve?lieu=…&mois=AAAA-MM` (+ `.csv`, `.xlsx`, `.pdf`):
//!   the month's statement of a qualified place for this programme;
//! - `GET|POST /espace/pass/distribuer`: a prescriber gives a pass to a person (commune, age
//!   band, status) and, if the person wishes, to their key (theirs, or a new one shown once).
//!
//! Who may do what is [`maillage_pass`]'s ([`Pass::peut_gerer`] and the distribution rule).

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maillage_comptes::ErreurComptes;
use maillage_pass::gestion::{CleDistribution, Compteurs, Simulation, TableauDeBord};
use maillage_pass::{euros, lire_euros, Beneficiaire, DemandeProgramme, ErreurPass, Pass};
use serde::Deserialize;

use crate::erreur::ErreurWeb;
use crate::espace::connexion::AdresseClient;
use crate::espace::pages::Menu;
use crate::espace::{rendre, Connecte};
use crate::formulaires::{lire_formulaire_connecte, FormulaireConnecte};
use crate::routeurs::RouteurModule;
use crate::site::Site;
use crate::AppState;

const CHEMIN: &str = "/espace/pass";

/// The pages of the signed-in space, added to the module's router.
pub(crate) fn routes(r: RouteurModule) -> RouteurModule {
    r.get("/espace/pass", accueil)
        .post("/espace/pass/programmes", creer_programme)
        .get("/espace/pass/programmes/{id}", page_programme)
        .post("/espace/pass/programmes/{id}/lieux", qualifier)
        .post("/espace/pass/programmes/{id}/prescripteurs", prescripteur)
        .post("/espace/pass/programmes/{id}/carnets", carnet)
        .post("/espace/pass/programmes/{id}/blocage", valider_blocage)
        .post(
            "/espace/pass/programmes/{id}/incidents/{incident}",
            trancher_incident,
        )
        .get("/espace/pass/programmes/{id}/tableau", tableau)
        .get("/espace/pass/programmes/{id}/tableau.csv", tableau_csv)
        .get("/espace/pass/programmes/{id}/tableau.xlsx", tableau_xlsx)
        .get("/espace/pass/programmes/{id}/releve", releve)
        .get("/espace/pass/programmes/{id}/releve.csv", releve_csv)
        .get("/espace/pass/programmes/{id}/releve.xlsx", releve_xlsx)
        .get("/espace/pass/programmes/{id}/releve.pdf", releve_pdf)
        .get("/espace/pass/carnets/{id}/imprimer", imprimer_carnet)
        .get("/espace/pass/distribuer", page_distribuer)
        .get("/espace/pass/cles", page_cles)
        .post("/espace/pass/cles", creer_cle)
        .post("/espace/pass/cles/{id}/revoquer", revoquer_cle)
        .post("/espace/pass/distribuer", distribuer)
}

impl From<ErreurPass> for ErreurWeb {
    fn from(e: ErreurPass) -> Self {
        match e {
            ErreurPass::Interdit | ErreurPass::NonAuthentifie => ErreurWeb::Mediation {
                source: ErreurComptes::Interdit,
                retour: None,
            },
            ErreurPass::Comptes(source) => ErreurWeb::Mediation {
                source,
                retour: None,
            },
            ErreurPass::Introuvable => ErreurWeb::Introuvable(
                "Cette page n’existe pas ou ne vous est pas accessible.".into(),
            ),
            ErreurPass::Interne(m) => ErreurWeb::interne(format!("Pass: {m}")),
            autre => ErreurWeb::Requete(autre.to_string()),
        }
    }
}

fn pass(state: &AppState) -> &Pass {
    state.instance.pass()
}

fn id_de(texte: &str) -> Result<i64, ErreurWeb> {
    texte
        .parse()
        .map_err(|_| ErreurWeb::Introuvable("Cette page n’existe pas.".into()))
}

/// A refusal the person can fix: the page again with the sentence (`Invalide`, `Refus`,
/// `Conflit`), anything else as an error page.
fn message_ou_erreur(e: ErreurPass) -> Result<String, ErreurWeb> {
    match e {
        ErreurPass::Invalide { .. } | ErreurPass::Refus(_) | ErreurPass::Conflit(_) => {
            Ok(e.to_string())
        }
        ErreurPass::Comptes(ErreurComptes::CodePersonnelIncorrect) => Ok(e.to_string()),
        autre => Err(autre.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The list and the new programme.

/// A programme as listed.
pub struct LigneProgramme {
    pub id: i64,
    pub nom: String,
    pub valeur: String,
    pub jusqu_au: String,
    pub territoire: String,
}

/// The new programme's form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct FormProgramme {
    #[serde(default)]
    action: String,
    #[serde(default)]
    pub nom: String,
    #[serde(default)]
    pub budget: String,
    #[serde(default)]
    pub valeur: String,
    #[serde(default)]
    pub fin: String,
    #[serde(default)]
    pub tolerance: String,
    #[serde(default)]
    pub territoire: String,
    #[serde(default)]
    pub publics: Vec<String>,
}

impl FormProgramme {
    pub fn coche(&self, public: &str) -> bool {
        self.publics.iter().any(|p| p == public)
    }
}

/// The simulation as shown.
pub struct VueSimulation {
    pub nombre: String,
    pub cout: String,
    pub reste: String,
    pub communes: String,
    pub population: String,
    pub pour_mille: String,
}

fn vue_simulation(s: &Simulation) -> VueSimulation {
    VueSimulation {
        nombre: entier(s.nombre_pass),
        cout: euros(s.cout_centimes),
        reste: euros(s.reste_centimes),
        communes: entier(s.communes as i64),
        population: entier(s.population as i64),
        pour_mille: format!("{:.1}", s.pass_pour_mille).replace('.', ","),
    }
}

/// `12 345`.
fn entier(n: i64) -> String {
    let c = n.abs().to_string();
    let mut s = String::new();
    for (i, ch) in c.chars().enumerate() {
        if i > 0 && (c.len() - i).is_multiple_of(3) {
            s.push('\u{202f}');
        }
        s.push(ch);
    }
    if n < 0 {
        format!("-{s}")
    } else {
        s
    }
}

/// The Coop's statuses and their words.
pub const PUBLICS: [(&str, &str); 5] = [
    ("emploi", "En emploi"),
    ("sans_emploi", "Sans emploi"),
    ("retraite", "Retraité"),
    ("etudiant", "Étudiant"),
    ("non_communique", "Non communiqué"),
];

fn libelle_public(code: &str) -> String {
    PUBLICS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_string(), |(_, l)| (*l).to_string())
}

#[derive(Template)]
#[template(path = "espace/pass.html")]
struct PageAccueil {
    site: Arc<Site>,
    menu: Menu,
    geres: Vec<LigneProgramme>,
    prescrits: Vec<LigneProgramme>,
    peut_creer: bool,
    form: FormProgramme,
    publics: Vec<(&'static str, &'static str)>,
    simulation: Option<VueSimulation>,
    erreur: Option<String>,
}

fn ligne(p: &maillage_pass::stockage::ProgrammeRow) -> LigneProgramme {
    LigneProgramme {
        id: p.id,
        nom: p.nom.clone(),
        valeur: euros(p.valeur_centimes),
        jusqu_au: p.tolerance.format("%d/%m/%Y").to_string(),
        territoire: p.territoire.clone(),
    }
}

async fn rendre_accueil(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    form: FormProgramme,
    simulation: Option<VueSimulation>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let (geres, prescrits) = pass(state).programmes_de(a).await?;
    let peut_creer = a
        .compte
        .structure_id
        .is_some_and(|s| Pass::peut_gerer(a, s.get()));
    let statut = if erreur.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = PageAccueil {
        site: Arc::clone(&state.site),
        menu: Menu::de(a),
        geres: geres.iter().map(ligne).collect(),
        prescrits: prescrits.iter().map(ligne).collect(),
        peut_creer,
        form,
        publics: PUBLICS.to_vec(),
        simulation,
        erreur,
    };
    let mut r = rendre(&page)?;
    *r.status_mut() = statut;
    Ok(r)
}

/// `GET /espace/pass`.
pub async fn accueil(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let form = FormProgramme {
        budget: "10000".into(),
        valeur: "10".into(),
        ..Default::default()
    };
    rendre_accueil(&state, &a, form, None, None).await
}

fn date(champ: &str, texte: &str) -> Result<NaiveDate, ErreurPass> {
    NaiveDate::parse_from_str(texte.trim(), "%Y-%m-%d").map_err(|_| {
        ErreurPass::invalide(
            champ,
            format!("« {} » n’est pas une date (AAAA-MM-JJ)", texte.trim()),
        )
    })
}

/// `POST /espace/pass/programmes`: `action=simuler` shows the cost and the coverage,
/// `action=creer` creates the programme for the account's current structure.
pub async fn creer_programme(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormProgramme>,
) -> Result<Response, ErreurWeb> {
    let Some(financeur) = a.compte.structure_id.map(|s| s.get()) else {
        return Err(ErreurPass::Interdit.into());
    };
    if !Pass::peut_gerer(&a, financeur) {
        return Err(ErreurPass::Interdit.into());
    }
    let module = pass(&state);
    let lu = (|| -> Result<(i64, i64), ErreurPass> {
        Ok((
            lire_euros("budget", &f.budget)?,
            lire_euros("valeur", &f.valeur)?,
        ))
    })();
    let (budget, valeur) = match lu {
        Ok(v) => v,
        Err(e) => {
            let m = message_ou_erreur(e)?;
            return rendre_accueil(&state, &a, f, None, Some(m)).await;
        }
    };
    let simulation = match module.simuler(budget, valeur, &f.territoire) {
        Ok(s) => s,
        Err(e) => {
            let m = message_ou_erreur(e)?;
            return rendre_accueil(&state, &a, f, None, Some(m)).await;
        }
    };
    if f.action != "creer" {
        return rendre_accueil(
            &state,
            &a,
            f.clone(),
            Some(vue_simulation(&simulation)),
            None,
        )
        .await;
    }
    let demande = (|| -> Result<DemandeProgramme, ErreurPass> {
        Ok(DemandeProgramme {
            financeur_structure_id: financeur,
            nom: f.nom.clone(),
            budget_centimes: budget,
            valeur_centimes: valeur,
            fin_validite: date("fin", &f.fin)?,
            tolerance: date("tolerance", &f.tolerance)?,
            territoire: f.territoire.clone(),
            publics: f
                .publics
                .iter()
                .filter(|p| PUBLICS.iter().any(|(c, _)| c == p))
                .cloned()
                .collect(),
        })
    })();
    let resultat = match demande {
        Ok(d) => module.creer_programme(&a, d).await,
        Err(e) => Err(e),
    };
    match resultat {
        Ok(id) => Ok(Redirect::to(&format!("{CHEMIN}/programmes/{id}")).into_response()),
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_accueil(&state, &a, f, Some(vue_simulation(&simulation)), Some(m)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A programme.

/// A qualified place as shown.
pub struct LigneLieu {
    pub nom: String,
    pub siret: String,
    pub commune: String,
    pub approuve: String,
}

/// A carnet as shown.
pub struct LigneCarnet {
    pub id: i64,
    pub nombre: usize,
    pub emis: usize,
    pub distribues: usize,
    pub utilises: usize,
}

#[derive(Template)]
#[template(path = "espace/pass_programme.html")]
struct PageProgramme {
    site: Arc<Site>,
    menu: Menu,
    id: i64,
    nom: String,
    valeur: String,
    budget: String,
    fin: String,
    tolerance: String,
    territoire: String,
    publics: String,
    lieux: Vec<LigneLieu>,
    /// `(structure id, name)` of the qualified places (the statement's choice).
    lieux_ids: Vec<(i64, String)>,
    /// This month, `AAAA-MM` (Paris).
    mois: String,
    prescripteurs: Vec<String>,
    carnets: Vec<LigneCarnet>,
    structures: Vec<(i64, String)>,
    /// The end of validity in words, the steps done `(step, what)`, and whether the funder
    /// may validate the J−15 blocking now.
    fin_situation: String,
    etapes: Vec<(String, String)>,
    blocage_possible: bool,
    incidents: Vec<LigneIncident>,
    message: Option<String>,
    erreur: Option<String>,
}

/// A forced redemption's incident as listed.
pub struct LigneIncident {
    pub id: i64,
    pub code: String,
    pub valeur: String,
    pub lieu: String,
    pub motif: String,
    pub a_trancher: bool,
    pub decision: String,
}

async fn rendre_programme(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: i64,
    message: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let module = pass(state);
    let p = module.programme_gere(a, id).await?;
    let structures: Vec<(i64, String)> = state
        .instance
        .comptes()
        .toutes_les_structures()
        .await
        .map_err(|e| ErreurWeb::interne(format!("structures: {e}")))?
        .into_iter()
        .map(|s| (s.id, s.nom))
        .collect();
    let nom_de = |sid: i64| {
        structures
            .iter()
            .find(|(i, _)| *i == sid)
            .map_or_else(|| format!("structure n° {sid}"), |(_, n)| n.clone())
    };
    let referentiel = state.instance.comptes().referentiel();
    let qualifies = module.lieux_qualifies(id).await?;
    let lieux_ids = qualifies
        .iter()
        .map(|l| (l.structure_id, nom_de(l.structure_id)))
        .collect();
    let lieux = qualifies
        .into_iter()
        .map(|l| LigneLieu {
            nom: nom_de(l.structure_id),
            siret: l.siret.clone(),
            commune: referentiel
                .commune(&l.commune)
                .map_or_else(|| l.commune.clone(), |c| c.nom.clone()),
            approuve: format!(
                "le {} par {}",
                l.approuve_at
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y à %H:%M"),
                l.approuve_par
            ),
        })
        .collect();
    let mut prescripteurs = Vec::new();
    for (sid, nom) in &structures {
        if module.est_prescripteur(id, *sid).await? {
            prescripteurs.push(nom.clone());
        }
    }
    let carnets = module
        .carnets(a, id)
        .await?
        .into_iter()
        .map(|(cid, passes)| LigneCarnet {
            id: cid,
            nombre: passes.len(),
            emis: passes.iter().filter(|p| p.etat == "emis").count(),
            distribues: passes.iter().filter(|p| p.distribue_at.is_some()).count(),
            utilises: passes.iter().filter(|p| p.etat == "utilise").count(),
        })
        .collect();
    let fin = module.fin_de_validite(a, id).await?;
    let etapes = fin
        .etapes
        .iter()
        .map(|e| {
            (
                maillage_pass::fin::libelle_etape(&e.etape).to_string(),
                format!(
                    "{} pass ({}), le {} par {}",
                    entier(e.nombre),
                    euros(e.montant_centimes),
                    e.at.with_timezone(&chrono_tz::Europe::Paris)
                        .format("%d/%m/%Y à %H:%M"),
                    e.acteur
                ),
            )
        })
        .collect();
    let incidents = module
        .incidents(a, id)
        .await?
        .into_iter()
        .map(|i| LigneIncident {
            id: i.id,
            code: maillage_pass::code::afficher(&i.code),
            valeur: euros(i.valeur_centimes),
            lieu: nom_de(i.structure_id),
            motif: i.motif.clone(),
            a_trancher: i.decision.is_none(),
            decision: format!(
                "{}{}",
                maillage_pass::fin::libelle_decision(i.decision.as_deref()),
                i.commentaire
                    .as_deref()
                    .map(|c| format!(" — « {c} »"))
                    .unwrap_or_default()
            ),
        })
        .collect();
    let statut = if erreur.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = PageProgramme {
        site: Arc::clone(&state.site),
        menu: Menu::de(a),
        id,
        nom: p.nom.clone(),
        valeur: euros(p.valeur_centimes),
        budget: euros(p.budget_centimes),
        fin: p.fin_validite.format("%d/%m/%Y").to_string(),
        tolerance: p.tolerance.format("%d/%m/%Y").to_string(),
        territoire: p.territoire.clone(),
        publics: if p.publics.is_empty() {
            "tous".into()
        } else {
            p.publics
                .split(',')
                .map(libelle_public)
                .collect::<Vec<_>>()
                .join(", ")
        },
        lieux,
        lieux_ids,
        mois: state
            .instance
            .comptes()
            .aujourdhui()
            .format("%Y-%m")
            .to_string(),
        prescripteurs,
        carnets,
        structures,
        fin_situation: fin.situation(),
        blocage_possible: fin.blocage_possible(),
        etapes,
        incidents,
        message,
        erreur,
    };
    let mut r = rendre(&page)?;
    *r.status_mut() = statut;
    Ok(r)
}

/// `GET /espace/pass/programmes/{id}`.
pub async fn page_programme(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let id = id_de(&id)?;
    rendre_programme(&state, &a, id, None, None).await
}

#[derive(Deserialize)]
pub struct FormStructure {
    #[serde(default)]
    structure: String,
}

#[derive(Deserialize)]
pub struct FormCarnet {
    #[serde(default)]
    nombre: String,
}

/// Reads a signed-in form of a programme's page, once the programme is known to be the
/// account's (someone else's is 404 whatever the token).
async fn form_de_programme<T: serde::de::DeserializeOwned>(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
    corps: &[u8],
) -> Result<(i64, T), ErreurWeb> {
    let id = id_de(id)?;
    pass(state).programme_gere(a, id).await?;
    Ok((id, lire_formulaire_connecte(a, corps)?))
}

fn structure_choisie(f: &FormStructure) -> Result<i64, ErreurPass> {
    f.structure
        .trim()
        .parse()
        .map_err(|_| ErreurPass::invalide("structure", "choisissez une structure"))
}

/// `POST /espace/pass/programmes/{id}/lieux`: qualifies a place (its SIRET checked, the
/// approval recorded).
pub async fn qualifier(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let (id, f): (i64, FormStructure) = form_de_programme(&state, &a, &id, &corps).await?;
    let r = match structure_choisie(&f) {
        Ok(s) => pass(&state)
            .qualifier_lieu(&a, id, s)
            .await
            .map(|l| format!("Lieu qualifié : SIRET {}.", l.siret)),
        Err(e) => Err(e),
    };
    match r {
        Ok(m) => rendre_programme(&state, &a, id, Some(m), None).await,
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_programme(&state, &a, id, None, Some(m)).await
        }
    }
}

#[derive(Deserialize)]
pub struct FormVide {}

/// `POST /espace/pass/programmes/{id}/blocage`: the funder validates the J−15 blocking of
/// the passes never given out.
pub async fn valider_blocage(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let (id, _): (i64, FormVide) = form_de_programme(&state, &a, &id, &corps).await?;
    match pass(&state).valider_blocage(&a, id).await {
        Ok(e) => {
            let m = format!(
                "Blocage validé : {} pass jamais remis bloqués ({}).",
                entier(e.nombre),
                euros(e.montant_centimes)
            );
            rendre_programme(&state, &a, id, Some(m), None).await
        }
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_programme(&state, &a, id, None, Some(m)).await
        }
    }
}

#[derive(Deserialize)]
pub struct FormIncident {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    commentaire: String,
}

/// `POST /espace/pass/programmes/{id}/incidents/{incident}`: the funder accepts (the place
/// is paid) or refuses a forced redemption.
pub async fn trancher_incident(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path((id, incident)): Path<(String, String)>,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let (id, f): (i64, FormIncident) = form_de_programme(&state, &a, &id, &corps).await?;
    let incident = id_de(&incident)?;
    let accepter = match f.decision.as_str() {
        "accepter" => true,
        "refuser" => false,
        _ => {
            let m = "Choisissez d’accepter ou de refuser l’incident.".to_string();
            return rendre_programme(&state, &a, id, None, Some(m)).await;
        }
    };
    match pass(&state)
        .decider_incident(&a, id, incident, accepter, Some(&f.commentaire))
        .await
    {
        Ok(i) => {
            let m = format!(
                "Incident n° {} : utilisation {}.",
                i.id,
                maillage_pass::fin::libelle_decision(i.decision.as_deref())
            );
            rendre_programme(&state, &a, id, Some(m), None).await
        }
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_programme(&state, &a, id, None, Some(m)).await
        }
    }
}

/// `POST /espace/pass/programmes/{id}/prescripteurs`.
pub async fn prescripteur(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let (id, f): (i64, FormStructure) = form_de_programme(&state, &a, &id, &corps).await?;
    let r = match structure_choisie(&f) {
        Ok(s) => pass(&state).ajouter_prescripteur(&a, id, s).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => rendre_programme(&state, &a, id, Some("Prescripteur ajouté.".into()), None).await,
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_programme(&state, &a, id, None, Some(m)).await
        }
    }
}

/// `POST /espace/pass/programmes/{id}/carnets`: issues a carnet.
pub async fn carnet(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let (id, f): (i64, FormCarnet) = form_de_programme(&state, &a, &id, &corps).await?;
    let nombre = f.nombre.trim().parse::<usize>().map_err(|_| {
        ErreurPass::invalide(
            "nombre",
            format!("« {} » n’est pas un nombre de pass", f.nombre.trim()),
        )
    });
    let r = match nombre {
        Ok(n) => pass(&state).emettre_carnet(&a, id, n).await,
        Err(e) => Err(e),
    };
    match r {
        Ok((carnet, codes)) => {
            rendre_programme(
                &state,
                &a,
                id,
                Some(format!(
                    "Carnet n° {carnet} émis : {} pass. Imprimez-le depuis la liste des carnets.",
                    codes.len()
                )),
                None,
            )
            .await
        }
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_programme(&state, &a, id, None, Some(m)).await
        }
    }
}

fn fichier(contenu: Vec<u8>, type_mime: &'static str, nom: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{nom}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut r = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(type_mime)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        contenu,
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /espace/pass/carnets/{id}/imprimer`: the carnet's printable sheet (PDF, a QR code
/// per pass leading to its public check).
pub async fn imprimer_carnet(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let id = id_de(&id)?;
    let (p, passes) = pass(&state).carnet_gere(&a, id).await?;
    let base = crate::evenements_diffusion::adresse_publique(&state);
    let base = base.trim_end_matches('/');
    let imprimes: Vec<crate::pdf::PassImprime> = passes
        .iter()
        .map(|x| crate::pdf::PassImprime {
            code: maillage_pass::code::afficher(&x.code),
            url: format!("{base}/pass/{}", x.code),
        })
        .collect();
    let octets = crate::pdf::carnet_pass(
        &p.nom,
        id,
        &euros(p.valeur_centimes),
        &p.tolerance.format("%d/%m/%Y").to_string(),
        &imprimes,
    );
    Ok(fichier(
        octets,
        "application/pdf",
        &format!("carnet-{id}.pdf"),
    ))
}

// ---------------------------------------------------------------------------------------
// The dashboard.

/// A row of a dashboard table.
pub struct LigneTableau {
    pub libelle: String,
    pub emis: i64,
    pub distribues: i64,
    pub utilises: i64,
    pub expires: i64,
    pub bloques: i64,
    pub montant: String,
}

fn lignes(v: &[(String, Compteurs)], libelle: impl Fn(&str) -> String) -> Vec<LigneTableau> {
    v.iter()
        .map(|(l, c)| LigneTableau {
            libelle: libelle(l),
            emis: c.emis,
            distribues: c.distribues,
            utilises: c.utilises,
            expires: c.expires,
            bloques: c.bloques,
            montant: euros(c.utilise_centimes),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "espace/pass_tableau.html")]
struct PageTableau {
    site: Arc<Site>,
    menu: Menu,
    id: i64,
    nom: String,
    total: LigneTableau,
    graphique_etats: String,
    par_lieu: Vec<LigneTableau>,
    graphique_lieux: String,
    par_mois: Vec<LigneTableau>,
    graphique_mois: String,
    par_public: Vec<LigneTableau>,
    par_commune: Vec<LigneTableau>,
    signaux: Vec<maillage_pass::gestion::Signal>,
}

fn libelle_mois(m: &str) -> String {
    const MOIS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    match m.split_once('-') {
        Some((a, n)) => n
            .parse::<usize>()
            .ok()
            .and_then(|n| MOIS.get(n.wrapping_sub(1)))
            .map_or_else(|| m.to_string(), |nom| format!("{nom} {a}")),
        None => m.to_string(),
    }
}

async fn donnees_tableau(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
) -> Result<(i64, String, TableauDeBord), ErreurWeb> {
    let id = id_de(id)?;
    let module = pass(state);
    let p = module.programme_gere(a, id).await?;
    let t = module.tableau_de_bord(a, id).await?;
    Ok((id, p.nom, t))
}

/// `GET /espace/pass/programmes/{id}/tableau`.
pub async fn tableau(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, nom, t) = donnees_tableau(&state, &a, &id).await?;
    let total = lignes(&[("Total".into(), t.total.clone())], str::to_string)
        .pop()
        .ok_or_else(|| ErreurWeb::interne("dashboard without a total"))?;
    let c = &t.total;
    let page = PageTableau {
        site: Arc::clone(&state.site),
        menu: Menu::de(&a),
        id,
        nom,
        graphique_etats: crate::espace::svg::barres(&[
            ("Émis".into(), c.emis),
            ("Distribués".into(), c.distribues),
            ("Utilisés".into(), c.utilises),
            ("Expirés".into(), c.expires),
            ("Bloqués ou annulés".into(), c.bloques),
        ]),
        total,
        graphique_lieux: crate::espace::svg::barres(
            &t.par_lieu
                .iter()
                .map(|(l, c)| (l.clone(), c.utilises))
                .collect::<Vec<_>>(),
        ),
        par_lieu: lignes(&t.par_lieu, str::to_string),
        graphique_mois: crate::espace::svg::colonnes(
            &t.par_mois
                .iter()
                .map(|(m, c)| (libelle_mois(m), c.utilises))
                .collect::<Vec<_>>(),
        ),
        par_mois: lignes(&t.par_mois, libelle_mois),
        par_public: lignes(&t.par_public, libelle_public),
        par_commune: lignes(&t.par_commune, str::to_string),
        signaux: t.signaux.clone(),
    };
    rendre(&page)
}

/// A cut of the dashboard in the spreadsheet: its name, its rows, how a row is named.
type Groupe<'a> = (&'a str, &'a [(String, Compteurs)], fn(&str) -> String);

fn tableur(t: &TableauDeBord) -> maillage_annuaire::tableur::Tableau {
    use maillage_annuaire::tableur::{Tableau, Valeur};
    let mut out = Tableau::new([
        "Découpage",
        "Valeur",
        "Émis",
        "Distribués",
        "Utilisés",
        "Expirés",
        "Bloqués ou annulés",
        "Montant utilisé (€)",
    ]);
    let total = [("Total".to_string(), t.total.clone())];
    let groupes: [Groupe; 5] = [
        ("Programme", &total, str::to_string),
        ("Lieu", &t.par_lieu, str::to_string),
        ("Mois", &t.par_mois, libelle_mois),
        ("Public", &t.par_public, libelle_public),
        ("Commune", &t.par_commune, str::to_string),
    ];
    for (groupe, v, libelle) in groupes {
        for (l, c) in v {
            out.lignes.push(vec![
                Valeur::texte(groupe.to_string()),
                Valeur::texte(libelle(l)),
                Valeur::entier(c.emis as f64),
                Valeur::entier(c.distribues as f64),
                Valeur::entier(c.utilises as f64),
                Valeur::entier(c.expires as f64),
                Valeur::entier(c.bloques as f64),
                Valeur::nombre(Some(c.utilise_centimes as f64 / 100.0), 2),
            ]);
        }
    }
    out
}

/// `GET /espace/pass/programmes/{id}/tableau.csv`.
pub async fn tableau_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, _, t) = donnees_tableau(&state, &a, &id).await?;
    Ok(fichier(
        tableur(&t).csv()?,
        "text/csv; charset=utf-8",
        &format!("pass-programme-{id}.csv"),
    ))
}

/// `GET /espace/pass/programmes/{id}/tableau.xlsx`.
pub async fn tableau_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let (id, _, t) = donnees_tableau(&state, &a, &id).await?;
    Ok(fichier(
        tableur(&t).xlsx("Pass")?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("pass-programme-{id}.xlsx"),
    ))
}

// ---------------------------------------------------------------------------------------
// Distribution by a prescriber.

/// The distribution form, as typed.
#[derive(Deserialize, Default)]
pub struct FormDistribution {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub commune: String,
    #[serde(default)]
    pub tranche_age: String,
    #[serde(default)]
    pub statut: String,
    /// `aucune`, `existante`, `nouvelle`.
    #[serde(default)]
    pub cle: String,
    #[serde(default)]
    pub code_personne: String,
}

#[derive(Template)]
#[template(path = "espace/pass_distribuer.html")]
struct PageDistribuer {
    site: Arc<Site>,
    menu: Menu,
    form: FormDistribution,
    tranches: Vec<&'static str>,
    publics: Vec<(&'static str, &'static str)>,
    message: Option<String>,
    /// The new key, shown once.
    nouvelle_cle: Option<String>,
    erreur: Option<String>,
}

fn rendre_distribuer(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    form: FormDistribution,
    message: Option<String>,
    nouvelle_cle: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let statut = if erreur.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = PageDistribuer {
        site: Arc::clone(&state.site),
        menu: Menu::de(a),
        form,
        tranches: maillage_pass::TRANCHES_AGE.to_vec(),
        publics: PUBLICS.to_vec(),
        message,
        nouvelle_cle,
        erreur,
    };
    let mut r = rendre(&page)?;
    *r.status_mut() = statut;
    Ok(r)
}

/// `GET /espace/pass/distribuer`.
pub async fn page_distribuer(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let form = FormDistribution {
        cle: "aucune".into(),
        ..Default::default()
    };
    rendre_distribuer(&state, &a, form, None, None, None)
}

/// `POST /espace/pass/distribuer`: for the account's current structure as prescriber.
pub async fn distribuer(
    State(state): State<AppState>,
    AdresseClient(adresse): AdresseClient,
    FormulaireConnecte(a, f): FormulaireConnecte<FormDistribution>,
) -> Result<Response, ErreurWeb> {
    let Some(prescripteur) = a.compte.structure_id.map(|s| s.get()) else {
        return rendre_distribuer(
            &state,
            &a,
            f,
            None,
            None,
            Some("Choisissez d’abord la structure pour laquelle vous agissez.".into()),
        );
    };
    let cle = match f.cle.as_str() {
        "existante" => CleDistribution::Existante(f.code_personne.clone()),
        "nouvelle" => CleDistribution::Nouvelle,
        _ => CleDistribution::Aucune,
    };
    let b = Beneficiaire {
        commune: f.commune.clone(),
        tranche_age: f.tranche_age.clone(),
        statut: f.statut.clone(),
        personne_id: None,
    };
    match pass(&state)
        .distribuer_avec_cle(&a, prescripteur, &f.code, b, cle, &adresse)
        .await
    {
        Ok(d) => {
            let code = maillage_pass::code::afficher(&d.pass.code);
            let attache = if d.pass.personne_id.is_some() {
                " Il est rattaché au code personnel de la personne : elle le verra dans « Mon espace »."
            } else {
                ""
            };
            let form = FormDistribution {
                cle: "aucune".into(),
                ..Default::default()
            };
            rendre_distribuer(
                &state,
                &a,
                form,
                Some(format!("Pass {code} remis.{attache}")),
                d.nouvelle_cle.map(|n| n.code.texte()),
                None,
            )
        }
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_distribuer(&state, &a, f, None, None, Some(m))
        }
    }
}

// ---------------------------------------------------------------------------------------
// The month's statement of a place.

#[derive(Deserialize)]
pub struct ParamsReleve {
    #[serde(default)]
    lieu: String,
    #[serde(default)]
    mois: String,
}

/// A statement's line as shown.
pub struct LigneReleve {
    pub quand: String,
    pub code: String,
    pub valeur: String,
    pub activite: String,
    pub entree: i64,
}

#[derive(Template)]
#[template(path = "espace/pass_releve.html")]
struct PageReleve {
    site: Arc<Site>,
    menu: Menu,
    id: i64,
    programme: String,
    lieu: String,
    lieu_id: i64,
    mois: String,
    mois_libelle: String,
    lignes: Vec<LigneReleve>,
    total: String,
    nombre: usize,
    dernier_seq: i64,
    empreinte: String,
}

async fn donnees_releve(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
    p: &ParamsReleve,
) -> Result<(i64, String, maillage_pass::releve::Releve), ErreurWeb> {
    let id = id_de(id)?;
    let module = pass(state);
    let programme = module.programme_gere(a, id).await?;
    let lieu = p
        .lieu
        .trim()
        .parse::<i64>()
        .map_err(|_| ErreurPass::invalide("lieu", "choisissez un lieu qualifié"))?;
    let (annee, mois) = maillage_pass::releve::lire_mois(&p.mois)?;
    let r = module.releve_du_programme(a, id, lieu, annee, mois).await?;
    Ok((id, programme.nom, r))
}

/// `GET /espace/pass/programmes/{id}/releve?lieu=…&mois=AAAA-MM`.
pub async fn releve(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    crate::formulaires::Params(p): crate::formulaires::Params<ParamsReleve>,
) -> Result<Response, ErreurWeb> {
    let (id, programme, r) = donnees_releve(&state, &a, &id, &p).await?;
    let paris = |d: chrono::DateTime<chrono::Utc>| d.with_timezone(&chrono_tz::Europe::Paris);
    let page = PageReleve {
        site: Arc::clone(&state.site),
        menu: Menu::de(&a),
        id,
        programme,
        lieu: r.nom_lieu.clone(),
        lieu_id: r.structure_id,
        mois: format!("{}-{:02}", r.annee, r.mois),
        mois_libelle: libelle_mois(&format!("{}-{:02}", r.annee, r.mois)),
        lignes: r
            .lignes
            .iter()
            .map(|l| LigneReleve {
                quand: paris(l.at).format("%d/%m/%Y à %H:%M").to_string(),
                code: maillage_pass::code::afficher(&l.code),
                valeur: euros(l.valeur_centimes),
                activite: l.activite_id.map(|a| format!("n° {a}")).unwrap_or_default(),
                entree: l.journal_seq,
            })
            .collect(),
        total: euros(r.total_centimes),
        nombre: r.lignes.len(),
        dernier_seq: r.dernier_seq,
        empreinte: r.hash_hex(),
    };
    rendre(&page)
}

/// `GET /espace/pass/programmes/{id}/releve.csv?lieu=…&mois=…`.
pub async fn releve_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    crate::formulaires::Params(p): crate::formulaires::Params<ParamsReleve>,
) -> Result<Response, ErreurWeb> {
    let (_, _, r) = donnees_releve(&state, &a, &id, &p).await?;
    Ok(fichier(
        r.csv().into_bytes(),
        "text/csv; charset=utf-8",
        &format!("releve-{}-{}-{:02}.csv", r.structure_id, r.annee, r.mois),
    ))
}

/// `GET /espace/pass/programmes/{id}/releve.xlsx?lieu=…&mois=…`: the same lines, the total
/// and the last ledger entry covered.
pub async fn releve_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    crate::formulaires::Params(p): crate::formulaires::Params<ParamsReleve>,
) -> Result<Response, ErreurWeb> {
    use maillage_annuaire::tableur::{Tableau, Valeur};
    let (_, _, r) = donnees_releve(&state, &a, &id, &p).await?;
    let mut t = Tableau::new([
        "Date",
        "Heure",
        "Code du pass",
        "Valeur (€)",
        "Nonce",
        "Fiche d’activité",
        "Entrée du registre",
    ]);
    for l in &r.lignes {
        let d = l.at.with_timezone(&chrono_tz::Europe::Paris);
        t.lignes.push(vec![
            Valeur::texte(d.format("%d/%m/%Y").to_string()),
            Valeur::texte(d.format("%H:%M").to_string()),
            Valeur::texte(maillage_pass::code::afficher(&l.code)),
            Valeur::nombre(Some(l.valeur_centimes as f64 / 100.0), 2),
            Valeur::texte(l.nonce.clone()),
            l.activite_id
                .map_or(Valeur::Vide, |a| Valeur::entier(a as f64)),
            Valeur::entier(l.journal_seq as f64),
        ]);
    }
    t.lignes.push(vec![
        Valeur::texte("Total".to_string()),
        Valeur::Vide,
        Valeur::texte(format!("{} pass", r.lignes.len())),
        Valeur::nombre(Some(r.total_centimes as f64 / 100.0), 2),
        Valeur::Vide,
        Valeur::Vide,
        Valeur::Vide,
    ]);
    t.lignes.push(vec![
        Valeur::texte("Dernière entrée couverte".to_string()),
        Valeur::Vide,
        Valeur::texte(r.hash_hex()),
        Valeur::Vide,
        Valeur::Vide,
        Valeur::Vide,
        Valeur::entier(r.dernier_seq as f64),
    ]);
    Ok(fichier(
        t.xlsx("Relevé")?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("releve-{}-{}-{:02}.xlsx", r.structure_id, r.annee, r.mois),
    ))
}

/// `GET /espace/pass/programmes/{id}/releve.pdf?lieu=…&mois=…`.
pub async fn releve_pdf(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    crate::formulaires::Params(p): crate::formulaires::Params<ParamsReleve>,
) -> Result<Response, ErreurWeb> {
    let (_, _, r) = donnees_releve(&state, &a, &id, &p).await?;
    Ok(fichier(
        crate::pdf::releve_pass(&r.lignes_texte()),
        "application/pdf",
        &format!("releve-{}-{}-{:02}.pdf", r.structure_id, r.annee, r.mois),
    ))
}

// ---------------------------------------------------------------------------------------
// The place's API keys.

/// The new key's form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct FormCle {
    #[serde(default)]
    pub nom: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `AAAA-MM-JJ`.
    #[serde(default)]
    pub debut: String,
    #[serde(default)]
    pub fin: String,
}

impl FormCle {
    pub fn coche(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A key as listed (never its secret).
pub struct LigneCle {
    pub id: i64,
    pub nom: String,
    pub prefixe: String,
    pub droits: String,
    pub validite: String,
    pub active: bool,
    pub etat: String,
}

#[derive(Template)]
#[template(path = "espace/pass_cles.html")]
struct PageCles {
    site: Arc<Site>,
    menu: Menu,
    structure: String,
    cles: Vec<LigneCle>,
    scopes: Vec<(&'static str, &'static str)>,
    form: FormCle,
    message: Option<String>,
    /// The whole key just created, shown once.
    nouvelle_cle: Option<String>,
    erreur: Option<String>,
}

/// The structure the account acts for, whose keys it manages.
fn structure_des_cles(a: &maillage_comptes::Acteur) -> Result<i64, ErreurWeb> {
    match a.compte.structure_id.map(|s| s.get()) {
        Some(s) if Pass::gere_les_cles(a, s) => Ok(s),
        _ => Err(ErreurPass::Interdit.into()),
    }
}

async fn rendre_cles(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    form: FormCle,
    message: Option<String>,
    nouvelle_cle: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let structure = structure_des_cles(a)?;
    let nom = state
        .instance
        .comptes()
        .toutes_les_structures()
        .await
        .map_err(|e| ErreurWeb::interne(format!("structures: {e}")))?
        .into_iter()
        .find(|s| s.id == structure)
        .map_or_else(|| format!("structure n° {structure}"), |s| s.nom);
    let maintenant = pass(state).maintenant();
    let jour = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y")
            .to_string()
    };
    let cles = pass(state)
        .cles_api(a, structure)
        .await?
        .into_iter()
        .rev()
        .map(|c| {
            let active = c.revoquee_at.is_none() && maintenant < c.fin;
            let etat = match c.revoquee_at {
                Some(r) => format!("révoquée le {}", jour(r)),
                None if maintenant >= c.fin => "expirée".to_string(),
                None if maintenant < c.debut => "pas encore valable".to_string(),
                None => "active".to_string(),
            };
            LigneCle {
                id: c.id,
                droits: c
                    .scopes
                    .split(',')
                    .map(|s| {
                        maillage_pass::SCOPES
                            .iter()
                            .find(|(code, _)| *code == s)
                            .map_or(s, |(_, l)| *l)
                    })
                    .collect::<Vec<_>>()
                    .join(" ; "),
                // `fin` is the first instant it is no longer valid: the day before it.
                validite: format!(
                    "du {} au {}",
                    jour(c.debut),
                    jour(c.fin - chrono::Duration::seconds(1))
                ),
                nom: c.nom,
                prefixe: format!("mpk_{}_…", c.prefixe),
                active,
                etat,
            }
        })
        .collect();
    let statut = if erreur.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = PageCles {
        site: Arc::clone(&state.site),
        menu: Menu::de(a),
        structure: nom,
        cles,
        scopes: maillage_pass::SCOPES.to_vec(),
        form,
        message,
        nouvelle_cle,
        erreur,
    };
    let mut r = rendre(&page)?;
    *r.status_mut() = statut;
    Ok(r)
}

/// A blank form: the redemption right, valid one year from today.
fn form_cle_vide(state: &AppState) -> FormCle {
    let aujourdhui = state.instance.comptes().aujourdhui();
    FormCle {
        nom: String::new(),
        scopes: vec![maillage_pass::SCOPE_UTILISER.to_string()],
        debut: aujourdhui.format("%Y-%m-%d").to_string(),
        fin: (aujourdhui + chrono::Duration::days(365))
            .format("%Y-%m-%d")
            .to_string(),
    }
}

/// `GET /espace/pass/cles`: the keys of the structure the coordinator acts for.
pub async fn page_cles(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let form = form_cle_vide(&state);
    rendre_cles(&state, &a, form, None, None, None).await
}

/// A form's day (`AAAA-MM-JJ`) at midnight in Paris, in UTC; `lendemain` gives the next
/// midnight (an end date is included).
fn jour_de(
    champ: &str,
    texte: &str,
    lendemain: bool,
) -> Result<chrono::DateTime<chrono::Utc>, ErreurPass> {
    use chrono::TimeZone;
    let d = chrono::NaiveDate::parse_from_str(texte.trim(), "%Y-%m-%d")
        .map_err(|_| ErreurPass::invalide(champ, "une date AAAA-MM-JJ"))?;
    let d = if lendemain {
        d.succ_opt().unwrap_or(d)
    } else {
        d
    };
    chrono_tz::Europe::Paris
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| ErreurPass::invalide(champ, "une date AAAA-MM-JJ"))
}

/// `POST /espace/pass/cles`: creates a key, shown once.
pub async fn creer_cle(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormCle>,
) -> Result<Response, ErreurWeb> {
    let structure = structure_des_cles(&a)?;
    let r = async {
        let debut = jour_de("debut", &f.debut, false)?;
        let fin = jour_de("fin", &f.fin, true)?;
        pass(&state)
            .creer_cle_api_avec(&a, structure, &f.nom, &f.scopes, debut, fin)
            .await
    }
    .await;
    match r {
        Ok(c) => {
            let form = form_cle_vide(&state);
            rendre_cles(
                &state,
                &a,
                form,
                Some(format!("Clé n° {} créée.", c.id)),
                Some(c.cle),
                None,
            )
            .await
        }
        Err(e) => {
            let m = message_ou_erreur(e)?;
            rendre_cles(&state, &a, f, None, None, Some(m)).await
        }
    }
}

/// `POST /espace/pass/cles/{id}/revoquer`.
pub async fn revoquer_cle(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, _f): FormulaireConnecte<FormVide>,
) -> Result<Response, ErreurWeb> {
    structure_des_cles(&a)?;
    let id = id_de(&id)?;
    let m = if pass(&state).revoquer_cle_api(&a, id).await? {
        format!("Clé n° {id} révoquée : elle ne permet plus d’utiliser des pass.")
    } else {
        format!("La clé n° {id} était déjà révoquée.")
    };
    let form = form_cle_vide(&state);
    rendre_cles(&state, &a, form, Some(m), None, None).await
}
