//! Pages of the signed-in space and the public statistics.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maillage_comptes::stockage::LieuActiviteRow;
use maillage_comptes::Compte;
use maillage_domain::mediation::{
    duree_lisible, Autonomie, Beneficiaire, Cra, Dimension, Genre, GroupeAnonyme, Materiel,
    NiveauAtelier, Referentiel, Role, StatutSocial, StructureRedirection, Thematique, TrancheAge,
    TypeActivite, TypeLieu,
};
use maillage_domain::{CodeInsee, CompteId, LieuActiviteId, StructureId};
use maillage_mediation::activites::Activite;
use maillage_mediation::beneficiaires::Fiche;
use maillage_mediation::import_coop::RapportImportCoop;
use maillage_mediation::statistiques::{
    debut_de_mois, duree_totale, nombre, secret_statistique, Filtres, Perimetre, Tableau,
};
use maillage_mediation::stockage::ConsultationRow;
use maillage_mediation::{Acteur, ErreurMediation, Mediation};

use super::svg;
use super::{mediation, rendre, Connecte, ErreurWeb, OuRetour};
use crate::formulaires::{lire_formulaire_connecte, FormulaireConnecte, Params, SansChamp};
use crate::site::Site;
use crate::AppState;
use serde::Deserialize;

/// A form shown again with its error answers 422.
pub(crate) fn refuser_si(mut r: Response, refuse: bool) -> Response {
    if refuse {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `(code, label)` of a vocabulary, for forms.
fn options<R: Referentiel>() -> Vec<(&'static str, &'static str)> {
    R::TOUS.iter().map(|v| (v.code(), v.libelle())).collect()
}

/// What the menu of the space shows.
pub struct Menu {
    pub nom: String,
    pub role: Role,
    pub csrf: String,
    /// The structure the account acts for now.
    pub structure: Option<String>,
    pub structure_id: Option<StructureId>,
    /// `(id, name)` of every structure it belongs to (a choice when there are several).
    pub structures: Vec<(StructureId, String)>,
}

impl Menu {
    pub(crate) fn de(a: &Acteur) -> Menu {
        Menu {
            nom: a.compte.nom.clone(),
            role: a.role,
            csrf: a.csrf().to_string(),
            structure: a.structure_courante().map(String::from),
            structure_id: a.compte.structure_id,
            structures: a.structures.clone(),
        }
    }
    /// `true` for the structure the account acts for now.
    pub fn est_courante(&self, id: &StructureId) -> bool {
        self.structure_id == Some(*id)
    }
    pub fn mediateur(&self) -> bool {
        self.role == Role::Mediateur
    }
    pub fn admin(&self) -> bool {
        self.role == Role::Administrateur
    }
    pub fn role_libelle(&self) -> &'static str {
        self.role.libelle()
    }
}

/// A row of a list of activities.
pub struct LigneActivite {
    pub id: i64,
    pub date: String,
    pub type_libelle: &'static str,
    pub duree: String,
    pub participants: u32,
    pub thematiques: String,
    pub lieu: String,
}

fn ligne_activite(m: &Mediation, a: &Activite, lieux: &[LieuActiviteRow]) -> LigneActivite {
    let lieu = a
        .row
        .lieu_activite_id
        .and_then(|id| lieux.iter().find(|l| l.id == id))
        .map(|l| l.nom.clone())
        .unwrap_or_else(|| {
            format!(
                "{} — {}",
                a.cra.type_lieu.libelle(),
                m.referentiel()
                    .commune(&a.row.commune)
                    .map(|c| c.nom.as_str())
                    .unwrap_or("")
            )
        });
    LigneActivite {
        id: a.row.id,
        date: a.cra.date.format("%d/%m/%Y").to_string(),
        type_libelle: a.cra.type_activite.libelle(),
        duree: duree_lisible(a.cra.duree),
        participants: a.cra.participants(),
        thematiques: a
            .cra
            .thematiques
            .iter()
            .map(|t| t.libelle())
            .collect::<Vec<_>>()
            .join(", "),
        lieu,
    }
}

// ------------------------------------------------------------------------------------
// Home

#[derive(Template)]
#[template(path = "espace/accueil.html")]
struct PageAccueil {
    site: Arc<Site>,
    menu: Menu,
    activites: Vec<LigneActivite>,
    mois_activites: String,
    mois_accompagnements: String,
    mois_duree: String,
    territoires: Vec<(String, String)>,
    equipe: usize,
    comptes: Vec<Compte>,
    /// Compétences' impact indicator (mediators and coordinators).
    impact: Option<maillage_competences::resultats::Impact>,
}

pub async fn accueil(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let aujourdhui = m.aujourdhui();
    let mut activites = Vec::new();
    let (mut mois_activites, mut mois_accompagnements, mut mois_duree) =
        (String::new(), String::new(), String::new());
    if a.est_mediateur() {
        let lieux = m.comptes().mes_lieux(&a).await.ou("/espace")?;
        activites = m
            .mes_activites(&a, 5, 0)
            .await
            .ou("/espace")?
            .iter()
            .map(|x| ligne_activite(m, x, &lieux))
            .collect();
        let t = m
            .tableau(
                &a,
                &Filtres {
                    perimetre: Perimetre::Moi,
                    du: debut_de_mois(aujourdhui, 0),
                    au: aujourdhui,
                    lieu: None,
                },
            )
            .await
            .ou("/espace")?;
        mois_activites = nombre(t.compteurs.activites());
        mois_accompagnements = nombre(t.compteurs.accompagnements());
        mois_duree = duree_totale(t.compteurs.minutes());
    }
    let comptes = if a.role == Role::Administrateur {
        m.comptes().comptes(&a).await.ou("/espace")?
    } else {
        vec![]
    };
    let impact = if a.role == Role::Administrateur {
        None
    } else {
        Some(
            state
                .instance
                .competences()
                .impact(&a)
                .await
                .ou("/espace")?,
        )
    };
    rendre(&PageAccueil {
        impact,
        site: state.site.clone(),
        territoires: m.territoires_visibles(&a),
        equipe: a.equipe.len(),
        menu: Menu::de(&a),
        activites,
        mois_activites,
        mois_accompagnements,
        mois_duree,
        comptes,
    })
}

// ------------------------------------------------------------------------------------
// Activity records

#[derive(Template)]
#[template(path = "espace/activites.html")]
struct PageActivites {
    site: Arc<Site>,
    menu: Menu,
    activites: Vec<LigneActivite>,
    page: i64,
    suivante: bool,
}

/// The query of the list of activities.
#[derive(Deserialize)]
pub struct ParamsActivites {
    page: Option<String>,
}

pub async fn activites(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Params(q): Params<ParamsActivites>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let page: i64 = q
        .page
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1 && *p <= 100_000)
        .unwrap_or(1);
    let lieux = m.comptes().mes_lieux(&a).await.ou("/espace/activites")?;
    let liste = m
        .mes_activites(&a, 51, (page - 1) * 50)
        .await
        .ou("/espace/activites")?;
    let suivante = liste.len() > 50;
    rendre(&PageActivites {
        site: state.site.clone(),
        menu: Menu::de(&a),
        activites: liste
            .iter()
            .take(50)
            .map(|x| ligne_activite(m, x, &lieux))
            .collect(),
        page,
        suivante,
    })
}

/// The CRA form's values (what is shown and re-shown after an error).
pub struct FormulaireCra {
    pub action: String,
    pub type_activite: &'static str,
    pub date: String,
    pub aujourdhui: String,
    pub duree: String,
    pub durees: Vec<(String, String)>,
    pub duree_heures: String,
    pub duree_minutes: String,
    pub type_lieu: &'static str,
    pub lieu_activite_id: String,
    pub commune: String,
    pub thematiques: Vec<&'static str>,
    pub materiel: Vec<&'static str>,
    pub autonomie: String,
    pub orientation: String,
    pub titre: String,
    pub niveau: String,
    pub beneficiaires: Vec<i64>,
    pub anon_tranche: String,
    pub anon_statut: String,
    pub anon_genre: String,
    pub groupes: Vec<(String, String, String)>,
    pub notes: String,
    pub tags: String,
    /// The code of the Pass numérique that pays for the activity (new records only).
    pub pass: String,
}

impl FormulaireCra {
    pub fn a_thematique(&self, code: &&str) -> bool {
        self.thematiques.contains(code)
    }
    pub fn a_materiel(&self, code: &&str) -> bool {
        self.materiel.contains(code)
    }
    pub fn a_beneficiaire(&self, id: &i64) -> bool {
        self.beneficiaires.contains(id)
    }
    pub fn collectif(&self) -> bool {
        self.type_activite == "collectif"
    }
}

#[derive(Template)]
#[template(path = "espace/activite_form.html")]
struct PageFormulaireCra {
    site: Arc<Site>,
    menu: Menu,
    titre_page: String,
    f: FormulaireCra,
    erreur: Option<(String, String)>,
    lieux: Vec<LieuActiviteRow>,
    beneficiaires: Vec<(i64, String)>,
    thematiques_numeriques: Vec<(&'static str, &'static str)>,
    thematiques_administratives: Vec<(&'static str, &'static str)>,
    materiels: Vec<(&'static str, &'static str)>,
    autonomies: Vec<(&'static str, &'static str)>,
    orientations: Vec<(&'static str, &'static str)>,
    niveaux: Vec<(&'static str, &'static str)>,
    tranches: Vec<(&'static str, &'static str)>,
    statuts: Vec<(&'static str, &'static str)>,
    genres: Vec<(&'static str, &'static str)>,
}

impl PageFormulaireCra {
    /// The error of one field, shown next to it (the summary at the top names it too).
    pub fn erreur_champ(&self, champ: &str) -> Option<&str> {
        match &self.erreur {
            Some((c, m)) if c == champ => Some(m.as_str()),
            _ => None,
        }
    }
}

fn formulaire_depuis(
    cra: Option<&Cra>,
    m: &Mediation,
    durees: &[u32],
    lieux: &[LieuActiviteRow],
    type_par_defaut: TypeActivite,
) -> FormulaireCra {
    let aujourdhui = m.aujourdhui().format("%Y-%m-%d").to_string();
    let durees_opts: Vec<(String, String)> = durees
        .iter()
        .map(|d| (d.to_string(), duree_lisible(*d)))
        .collect();
    let defaut_lieu = if lieux.is_empty() {
        TypeLieu::Autre
    } else {
        TypeLieu::LieuActivite
    };
    match cra {
        None => FormulaireCra {
            action: "/espace/activites".into(),
            type_activite: type_par_defaut.code(),
            date: aujourdhui.clone(),
            aujourdhui,
            duree: durees
                .first()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "30".into()),
            durees: durees_opts,
            duree_heures: String::new(),
            duree_minutes: String::new(),
            type_lieu: defaut_lieu.code(),
            lieu_activite_id: lieux.first().map(|l| l.id.to_string()).unwrap_or_default(),
            commune: String::new(),
            thematiques: vec![],
            materiel: vec![],
            autonomie: String::new(),
            orientation: String::new(),
            titre: String::new(),
            niveau: String::new(),
            beneficiaires: vec![],
            anon_tranche: TrancheAge::NonCommunique.code().into(),
            anon_statut: StatutSocial::NonCommunique.code().into(),
            anon_genre: Genre::NonCommunique.code().into(),
            groupes: vec![
                (
                    String::new(),
                    TrancheAge::NonCommunique.code().into(),
                    StatutSocial::NonCommunique.code().into()
                );
                3
            ],
            notes: String::new(),
            tags: String::new(),
            pass: String::new(),
        },
        Some(c) => {
            let duree_connue = durees.contains(&c.duree);
            let mut groupes: Vec<(String, String, String)> = c
                .anonymes
                .iter()
                .map(|g| {
                    (
                        g.nombre.to_string(),
                        g.tranche_age.code().into(),
                        g.statut.code().into(),
                    )
                })
                .collect();
            let premier = c.anonymes.first();
            while groupes.len() < 3 {
                groupes.push((
                    String::new(),
                    TrancheAge::NonCommunique.code().into(),
                    StatutSocial::NonCommunique.code().into(),
                ));
            }
            FormulaireCra {
                action: "/espace/activites".into(),
                type_activite: c.type_activite.code(),
                date: c.date.format("%Y-%m-%d").to_string(),
                aujourdhui,
                duree: if duree_connue {
                    c.duree.to_string()
                } else {
                    "autre".into()
                },
                durees: durees_opts,
                duree_heures: if duree_connue {
                    String::new()
                } else {
                    (c.duree / 60).to_string()
                },
                duree_minutes: if duree_connue {
                    String::new()
                } else {
                    (c.duree % 60).to_string()
                },
                type_lieu: c.type_lieu.code(),
                lieu_activite_id: c
                    .lieu_activite_id
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
                commune: c
                    .commune
                    .as_ref()
                    .map(|x| commune_saisie(m.referentiel(), x.as_str()))
                    .unwrap_or_default(),
                thematiques: c.thematiques.iter().map(|t| t.code()).collect(),
                materiel: c.materiel.iter().map(|t| t.code()).collect(),
                autonomie: c
                    .autonomie
                    .map(|x| x.code().to_string())
                    .unwrap_or_default(),
                orientation: c
                    .orientation
                    .map(|x| x.code().to_string())
                    .unwrap_or_default(),
                titre: c.titre.clone().unwrap_or_default(),
                niveau: c.niveau.map(|x| x.code().to_string()).unwrap_or_default(),
                beneficiaires: c.beneficiaires.clone(),
                anon_tranche: premier
                    .map(|g| g.tranche_age.code())
                    .unwrap_or(TrancheAge::NonCommunique.code())
                    .into(),
                anon_statut: premier
                    .map(|g| g.statut.code())
                    .unwrap_or(StatutSocial::NonCommunique.code())
                    .into(),
                anon_genre: premier
                    .map(|g| g.genre.code())
                    .unwrap_or(Genre::NonCommunique.code())
                    .into(),
                groupes,
                notes: c.notes.clone(),
                tags: c.tags.join(", "),
                pass: String::new(),
            }
        }
    }
}

async fn page_formulaire(
    state: &AppState,
    a: &Acteur,
    titre_page: String,
    f: FormulaireCra,
    erreur: Option<(String, String)>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(state)?;
    let lieux = m.comptes().mes_lieux(a).await.ou("/espace")?;
    let beneficiaires = m
        .mes_beneficiaires(a)
        .await
        .ou("/espace")?
        .iter()
        .filter(|b| CompteId::new(b.row.mediateur_id) == a.id())
        .map(|b| (b.id(), b.nom()))
        .collect();
    let (num, adm): (Vec<Thematique>, Vec<Thematique>) = Thematique::TOUS
        .iter()
        .partition(|t| !t.est_administrative());
    let refuse = erreur.is_some();
    let r = rendre(&PageFormulaireCra {
        site: state.site.clone(),
        menu: Menu::de(a),
        titre_page,
        f,
        erreur: erreur.clone(),
        lieux,
        beneficiaires,
        thematiques_numeriques: num.iter().map(|t| (t.code(), t.libelle())).collect(),
        thematiques_administratives: adm.iter().map(|t| (t.code(), t.libelle())).collect(),
        materiels: options::<Materiel>(),
        autonomies: options::<Autonomie>(),
        orientations: options::<StructureRedirection>(),
        niveaux: options::<NiveauAtelier>(),
        tranches: options::<TrancheAge>(),
        statuts: options::<StatutSocial>(),
        genres: options::<Genre>(),
    })?;
    Ok(refuser_si(r, refuse))
}

/// The query of a new activity's form: its type, or the activity it copies.
#[derive(Deserialize)]
pub struct ParamsNouvelleActivite {
    #[serde(rename = "type")]
    type_activite: Option<String>,
    copie: Option<String>,
}

pub async fn nouvelle_activite(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Params(q): Params<ParamsNouvelleActivite>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    if !a.est_mediateur() {
        return Err(ErreurWeb::mediation(
            ErreurMediation::Interdit,
            String::new(),
        ));
    }
    let durees = m.durees_proposees(&a).await.ou("/espace")?;
    let lieux = m.comptes().mes_lieux(&a).await.ou("/espace")?;
    let type_activite = match q.type_activite.as_deref() {
        Some("collectif") => TypeActivite::Collectif,
        _ => TypeActivite::Individuel,
    };
    let copie = match q.copie.and_then(|c| c.parse::<i64>().ok()) {
        Some(id) => {
            let mut c = m.activite(&a, id).await.ou("/espace/activites")?.cra;
            c.date = m.aujourdhui();
            Some(c)
        }
        None => None,
    };
    let f = formulaire_depuis(copie.as_ref(), m, &durees, &lieux, type_activite);
    let titre = if copie.is_some() {
        "Dupliquer une activité".to_string()
    } else if type_activite == TypeActivite::Collectif {
        "Nouvel atelier collectif".to_string()
    } else {
        "Nouvel accompagnement individuel".to_string()
    };
    page_formulaire(&state, &a, titre, f, None).await
}

/// The CRA form as sent (`POST /espace/activites`, `POST /espace/activites/{id}`): the
/// thématiques, the equipment and the beneficiaries are lists of checkboxes, the groups of a
/// workshop three repeated rows (`groupe_nombre`, `groupe_tranche`, `groupe_statut`).
#[derive(Deserialize)]
pub struct SaisieCra {
    #[serde(default)]
    type_activite: String,
    #[serde(default)]
    date: String,
    /// The drop-down: minutes, or `autre`.
    #[serde(default)]
    duree: String,
    /// « Autre durée »: hours and minutes typed.
    #[serde(default)]
    duree_heures: String,
    #[serde(default)]
    duree_minutes: String,
    #[serde(default)]
    type_lieu: String,
    #[serde(default)]
    lieu_activite_id: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    thematiques: Vec<String>,
    #[serde(default)]
    materiel: Vec<String>,
    /// Known beneficiaries, by number.
    #[serde(default)]
    beneficiaires: Vec<String>,
    /// The one anonymous person of an individual accompaniment.
    #[serde(default)]
    anon_tranche: String,
    #[serde(default)]
    anon_statut: String,
    #[serde(default)]
    anon_genre: String,
    /// A workshop's anonymous groups, row by row (an empty number skips the row).
    #[serde(default)]
    groupe_nombre: Vec<String>,
    #[serde(default)]
    groupe_tranche: Vec<String>,
    #[serde(default)]
    groupe_statut: Vec<String>,
    #[serde(default)]
    autonomie: String,
    #[serde(default)]
    orientation: String,
    #[serde(default)]
    titre: String,
    #[serde(default)]
    niveau: String,
    #[serde(default)]
    notes: String,
    /// Comma-separated.
    #[serde(default)]
    tags: String,
    /// A Pass numérique's code that pays for a new activity (optional).
    #[serde(default)]
    pass: String,
}

/// The duration of the CRA form, in minutes. A duration typed in « Autre durée » (hours
/// and/or minutes) wins over the drop-down, whatever the drop-down says; a typed value that
/// is not a whole number in range is refused, never replaced.
fn lire_duree(c: &SaisieCra) -> Result<u32, String> {
    let (th, tm) = (c.duree_heures.trim(), c.duree_minutes.trim());
    if th.is_empty() && tm.is_empty() {
        return match c.duree.trim() {
            "autre" => Err("indiquez les heures et les minutes de l’autre durée".into()),
            d => d
                .parse::<u32>()
                .ok()
                .filter(|m| (1..24 * 60).contains(m))
                .ok_or_else(|| "choisissez une durée".into()),
        };
    }
    let lire = |t: &str, max: u32, quoi: &str| -> Result<u32, String> {
        if t.is_empty() {
            return Ok(0);
        }
        t.parse::<u32>().ok().filter(|v| *v <= max).ok_or_else(|| {
            format!("{quoi} : indiquez un nombre entier de 0 à {max} (vous avez saisi « {t} »)")
        })
    };
    let h = lire(th, 23, "heures")?;
    let mi = lire(tm, 59, "minutes")?;
    match h * 60 + mi {
        0 => Err("indiquez une durée d’au moins 1 minute".into()),
        total => Ok(total),
    }
}

/// A CRA form with the kernel that resolves its commune as typed (« Muret », « Saint-Gaudens
/// (31800) », a postal or an INSEE code).
struct LectureCra<'a> {
    saisie: &'a SaisieCra,
    comptes: &'a maillage_comptes::Comptes,
}

/// Reads the CRA form into a record, or the first field at fault `(champ, message)`.
impl TryFrom<LectureCra<'_>> for Cra {
    type Error = (String, String);

    fn try_from(LectureCra { saisie: c, comptes }: LectureCra<'_>) -> Result<Cra, Self::Error> {
        let err = |champ: &str, msg: &str| (champ.to_string(), msg.to_string());
        let type_activite = TypeActivite::depuis_code(c.type_activite.trim())
            .ok_or_else(|| err("type", "choisissez le type d’activité"))?;
        let date = NaiveDate::parse_from_str(c.date.trim(), "%Y-%m-%d")
            .map_err(|_| err("date", "date invalide (JJ/MM/AAAA)"))?;
        let duree = lire_duree(c).map_err(|m| err("durée", &m))?;
        let type_lieu = TypeLieu::depuis_code(c.type_lieu.trim())
            .ok_or_else(|| err("lieu", "choisissez où a eu lieu l’activité"))?;
        let lieu_activite_id = c.lieu_activite_id.trim().parse::<LieuActiviteId>().ok();
        // A name that fits several communes or none is refused with suggestions.
        let commune = match c.commune.trim() {
            "" => None,
            texte => Some(
                comptes
                    .resoudre_commune(texte)
                    .ok()
                    .and_then(|c| CodeInsee::parse(&c).ok())
                    .ok_or_else(|| match comptes.resoudre_commune(texte) {
                        Err(ErreurMediation::Invalide { message, .. }) => {
                            ("commune".to_string(), message)
                        }
                        _ => err("commune", "commune introuvable : indiquez son nom"),
                    })?,
            ),
        };
        let thematiques = c
            .thematiques
            .iter()
            .map(|t| {
                Thematique::depuis_code(t).ok_or_else(|| err("thématiques", "valeur inconnue"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let materiel = c
            .materiel
            .iter()
            .map(|t| Materiel::depuis_code(t).ok_or_else(|| err("matériel", "valeur inconnue")))
            .collect::<Result<Vec<_>, _>>()?;
        let beneficiaires = c
            .beneficiaires
            .iter()
            .map(|b| {
                b.parse::<i64>()
                    .map_err(|_| err("participants", "bénéficiaire invalide"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tranche =
            |t: &str| TrancheAge::depuis_code(t.trim()).unwrap_or(TrancheAge::NonCommunique);
        let statut =
            |t: &str| StatutSocial::depuis_code(t.trim()).unwrap_or(StatutSocial::NonCommunique);
        let mut anonymes = Vec::new();
        match type_activite {
            TypeActivite::Individuel => {
                if beneficiaires.is_empty() {
                    anonymes.push(GroupeAnonyme {
                        nombre: 1,
                        tranche_age: tranche(&c.anon_tranche),
                        statut: statut(&c.anon_statut),
                        genre: Genre::depuis_code(c.anon_genre.trim())
                            .unwrap_or(Genre::NonCommunique),
                    });
                }
            }
            TypeActivite::Collectif => {
                for (i, n) in c.groupe_nombre.iter().enumerate() {
                    let n = n.trim();
                    if n.is_empty() {
                        continue;
                    }
                    let nombre: u32 = n
                        .parse()
                        .map_err(|_| err("participants", "nombre de participants invalide"))?;
                    anonymes.push(GroupeAnonyme {
                        nombre,
                        tranche_age: c
                            .groupe_tranche
                            .get(i)
                            .and_then(|t| TrancheAge::depuis_code(t))
                            .unwrap_or(TrancheAge::NonCommunique),
                        statut: c
                            .groupe_statut
                            .get(i)
                            .and_then(|t| StatutSocial::depuis_code(t))
                            .unwrap_or(StatutSocial::NonCommunique),
                        genre: Genre::NonCommunique,
                    });
                }
            }
        }
        let opt = |v: &str| Some(v.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Cra {
            type_activite,
            date,
            duree,
            type_lieu,
            lieu_activite_id,
            commune,
            thematiques,
            materiel,
            autonomie: opt(&c.autonomie).and_then(|x| Autonomie::depuis_code(&x)),
            orientation: opt(&c.orientation).and_then(|x| StructureRedirection::depuis_code(&x)),
            titre: opt(&c.titre),
            niveau: opt(&c.niveau).and_then(|x| NiveauAtelier::depuis_code(&x)),
            beneficiaires,
            anonymes,
            notes: c.notes.trim().to_string(),
            tags: c
                .tags
                .trim()
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        })
    }
}

async fn enregistrer(
    state: &AppState,
    a: &Acteur,
    id: Option<i64>,
    champs: SaisieCra,
) -> Result<Response, ErreurWeb> {
    let m = mediation(state)?;
    let chemin = id
        .map(|i| format!("/espace/activites/{i}/modifier"))
        .unwrap_or_else(|| "/espace/activites/nouvelle".into());
    let durees = m.durees_proposees(a).await.ou(&chemin)?;
    let lieux = m.comptes().mes_lieux(a).await.ou(&chemin)?;
    let titre = if id.is_some() {
        "Modifier l’activité"
    } else {
        "Nouvelle activité"
    }
    .to_string();
    let lecture = LectureCra {
        saisie: &champs,
        comptes: m.comptes(),
    };
    let cra = match Cra::try_from(lecture) {
        Ok(c) => c,
        Err(e) => {
            let mut f = formulaire_depuis(None, m, &durees, &lieux, TypeActivite::Individuel);
            reprendre(&mut f, &champs, id);
            return page_formulaire(state, a, titre, f, Some(e)).await;
        }
    };
    // A pass that pays for a new activity: checked before the record is written, redeemed
    // (by the mediator's structure, for this record) once it is.
    let pass = champs.pass.trim();
    let structure = a.compte.structure_id.map(|s| s.get());
    if !pass.is_empty() {
        let refus = match (id, structure) {
            (Some(_), _) => {
                Some("un pass se donne en enregistrant une nouvelle activité".to_string())
            }
            (None, None) => {
                Some("choisissez d’abord la structure pour laquelle vous agissez".to_string())
            }
            (None, Some(s)) => state
                .instance
                .pass()
                .verifier_pour_lieu(pass, s)
                .await
                .err()
                .map(|e| e.to_string()),
        };
        if let Some(message) = refus {
            let mut f = formulaire_depuis(Some(&cra), m, &durees, &lieux, cra.type_activite);
            f.action = id
                .map(|i| format!("/espace/activites/{i}"))
                .unwrap_or_else(|| "/espace/activites".into());
            f.pass = pass.to_string();
            return page_formulaire(state, a, titre, f, Some(("pass".into(), message))).await;
        }
    }
    match m.enregistrer_activite(a, id, cra.clone()).await {
        Ok(nouvel_id) => {
            let mut suite = String::new();
            if let (false, Some(s)) = (pass.is_empty(), structure) {
                let origine = maillage_pass::Origine::Compte {
                    compte_id: a.compte.id.get(),
                    structure_id: s,
                };
                if let Err(e) = state
                    .instance
                    .pass()
                    .utiliser(
                        &origine,
                        pass,
                        &format!("activite-{nouvel_id}"),
                        Some(nouvel_id),
                    )
                    .await
                {
                    tracing::warn!(activite = nouvel_id, error = %e, "pass not redeemed after the record");
                    suite.push_str("&pass_refuse=1");
                }
            }
            Ok(Redirect::to(&format!(
                "/espace/activites/{nouvel_id}?enregistre=1{suite}"
            ))
            .into_response())
        }
        Err(ErreurMediation::Invalide { champ, message }) => {
            let mut f = formulaire_depuis(Some(&cra), m, &durees, &lieux, cra.type_activite);
            f.action = id
                .map(|i| format!("/espace/activites/{i}"))
                .unwrap_or_else(|| "/espace/activites".into());
            page_formulaire(state, a, titre, f, Some((champ, message))).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, chemin)),
    }
}

/// Puts back what was typed after an unreadable form.
fn reprendre(f: &mut FormulaireCra, c: &SaisieCra, id: Option<i64>) {
    let texte = |v: &str| v.trim().to_string();
    if let Some(t) = TypeActivite::depuis_code(c.type_activite.trim()) {
        f.type_activite = t.code();
    }
    f.date = texte(&c.date);
    f.pass = texte(&c.pass);
    f.duree = texte(&c.duree);
    f.duree_heures = texte(&c.duree_heures);
    f.duree_minutes = texte(&c.duree_minutes);
    if !f.duree_heures.is_empty() || !f.duree_minutes.is_empty() {
        f.duree = "autre".into();
    }
    if let Some(t) = TypeLieu::depuis_code(c.type_lieu.trim()) {
        f.type_lieu = t.code();
    }
    f.lieu_activite_id = texte(&c.lieu_activite_id);
    f.autonomie = texte(&c.autonomie);
    f.orientation = texte(&c.orientation);
    f.niveau = texte(&c.niveau);
    f.titre = texte(&c.titre);
    f.notes = texte(&c.notes);
    f.tags = texte(&c.tags);
    f.commune = texte(&c.commune);
    f.thematiques = c
        .thematiques
        .iter()
        .filter_map(|t| Thematique::depuis_code(t))
        .map(|t| t.code())
        .collect();
    f.materiel = c
        .materiel
        .iter()
        .filter_map(|t| Materiel::depuis_code(t))
        .map(|t| t.code())
        .collect();
    if let Some(i) = id {
        f.action = format!("/espace/activites/{i}");
    }
}

pub async fn creer_activite(
    State(state): State<AppState>,
    FormulaireConnecte(a, champs): FormulaireConnecte<SaisieCra>,
) -> Result<Response, ErreurWeb> {
    enregistrer(&state, &a, None, champs).await
}

/// Someone else's record answers 404 before the form (and its token) is read.
pub async fn enregistrer_activite(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<i64>,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    mediation(&state)?
        .activite(&a, id)
        .await
        .ou("/espace/activites")?;
    let champs = lire_formulaire_connecte(&a, &corps)?;
    enregistrer(&state, &a, Some(id), champs).await
}

#[derive(Template)]
#[template(path = "espace/activite.html")]
struct PageActivite {
    site: Arc<Site>,
    menu: Menu,
    /// The pass that paid for it: `(code, code shown, value)`.
    pass: Option<(String, String, String)>,
    /// A pass was given but could not be redeemed.
    pass_refuse: bool,
    ligne: LigneActivite,
    cra: Cra,
    participants: Vec<String>,
    /// Every other field entered, `(label, value)`, in the form's order.
    details: Vec<(&'static str, String)>,
    /// `(version, what, when)` in words and in the place's local time.
    historique: Vec<(i32, &'static str, String)>,
    enregistre: bool,
}

/// The fields of a record the summary lines leave out, as entered.
fn details_cra(cra: &Cra) -> Vec<(&'static str, String)> {
    let liste = |v: Vec<&'static str>| v.join(", ");
    let mut d = Vec::new();
    if !cra.materiel.is_empty() {
        d.push((
            "Matériel utilisé",
            liste(cra.materiel.iter().map(|x| x.libelle()).collect()),
        ));
    }
    for (i, g) in cra.anonymes.iter().enumerate() {
        let titre = if cra.anonymes.len() > 1 || cra.type_activite == TypeActivite::Collectif {
            if i == 0 {
                "Participants anonymes"
            } else {
                ""
            }
        } else {
            "Personne accompagnée"
        };
        d.push((
            titre,
            format!(
                "{} × {}, {}, {}",
                g.nombre,
                g.tranche_age.libelle(),
                g.statut.libelle(),
                g.genre.libelle()
            ),
        ));
    }
    if let Some(a) = cra.autonomie {
        d.push(("Autonomie", a.libelle().to_string()));
    }
    if let Some(o) = cra.orientation {
        d.push(("Orienté·e vers", o.libelle().to_string()));
    }
    if let Some(n) = cra.niveau {
        d.push(("Niveau de l’atelier", n.libelle().to_string()));
    }
    if !cra.tags.is_empty() {
        d.push(("Étiquettes", cra.tags.join(", ")));
    }
    d
}

/// A history action in words.
fn action_historique(action: &str) -> &'static str {
    match action {
        "creation" => "création",
        "modification" => "modification",
        "suppression" => "suppression",
        _ => "changement",
    }
}

/// The query of an activity's page: `enregistre` after a save.
#[derive(Deserialize)]
pub struct ParamsActivite {
    enregistre: Option<String>,
    pass_refuse: Option<String>,
}

pub async fn activite(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<i64>,
    Params(q): Params<ParamsActivite>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let chemin = format!("/espace/activites/{id}");
    let act = m.activite(&a, id).await.ou(&chemin)?;
    let lieux = m.comptes().mes_lieux(&a).await.ou(&chemin)?;
    let mut participants = Vec::new();
    for b in m.mes_beneficiaires(&a).await.ou(&chemin)? {
        if act.cra.beneficiaires.contains(&b.id()) {
            participants.push(b.nom());
        }
    }
    // Times in the place's local time (Europe/Paris, or the overseas zone of its commune).
    let fuseau = maillage_annuaire::recherche::ZoneHoraire::du_code(&act.row.commune).fuseau();
    let historique = m
        .historique(&a, id)
        .await
        .ou(&chemin)?
        .into_iter()
        .map(|h| {
            (
                h.version,
                action_historique(&h.action),
                h.at.with_timezone(&fuseau)
                    .format("%d/%m/%Y à %H:%M")
                    .to_string(),
            )
        })
        .collect();
    let pass = state
        .instance
        .pass()
        .utilisation_de_activite(id)
        .await
        .ok()
        .flatten()
        .map(|u| {
            (
                u.code.clone(),
                maillage_pass::code::afficher(&u.code),
                maillage_pass::euros(u.valeur_centimes),
            )
        });
    rendre(&PageActivite {
        site: state.site.clone(),
        menu: Menu::de(&a),
        pass,
        pass_refuse: q.pass_refuse.is_some(),
        ligne: ligne_activite(m, &act, &lieux),
        details: details_cra(&act.cra),
        historique,
        cra: act.cra,
        participants,
        enregistre: q.enregistre.is_some(),
    })
}

pub async fn modifier_activite(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<i64>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let chemin = format!("/espace/activites/{id}/modifier");
    let act = m.activite(&a, id).await.ou(&chemin)?;
    let durees = m.durees_proposees(&a).await.ou(&chemin)?;
    let lieux = m.comptes().mes_lieux(&a).await.ou(&chemin)?;
    let mut f = formulaire_depuis(Some(&act.cra), m, &durees, &lieux, act.cra.type_activite);
    f.action = format!("/espace/activites/{id}");
    page_formulaire(&state, &a, "Modifier l’activité".into(), f, None).await
}

pub async fn supprimer_activite(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    Path(id): Path<i64>,
    FormulaireConnecte(a, SansChamp {}): FormulaireConnecte<SansChamp>,
) -> Result<Response, ErreurWeb> {
    mediation(&state)?
        .supprimer_activite(&a, id)
        .await
        .ou(&format!("/espace/activites/{id}"))?;
    Ok(Redirect::to("/espace/activites").into_response())
}

// ------------------------------------------------------------------------------------
// Beneficiaries

#[derive(Template)]
#[template(path = "espace/beneficiaires.html")]
struct PageBeneficiaires {
    site: Arc<Site>,
    menu: Menu,
    fiches: Vec<(i64, String, String, bool)>,
    doublons: Vec<Vec<(i64, String)>>,
    erreur: Option<String>,
    statuts: Vec<(&'static str, &'static str)>,
    genres: Vec<(&'static str, &'static str)>,
}

fn resume(m: &Mediation, f: &Fiche) -> String {
    let Some(b) = &f.beneficiaire else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(a) = b.annee_naissance {
        parts.push(format!("né·e en {a}"));
    }
    if let Some(c) = &b.commune {
        if let Some(x) = m.referentiel().commune(c.as_str()) {
            parts.push(x.nom.clone());
        }
    }
    parts.push(b.statut.libelle().to_string());
    parts.join(" · ")
}

async fn page_beneficiaires(
    state: &AppState,
    a: &Acteur,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(state)?;
    let fiches = m.mes_beneficiaires(a).await.ou("/espace/beneficiaires")?;
    let doublons = m
        .doublons(a)
        .await
        .ou("/espace/beneficiaires")?
        .into_iter()
        .map(|g| g.iter().map(|f| (f.id(), f.nom())).collect())
        .collect();
    let refuse = erreur.is_some();
    let r = rendre(&PageBeneficiaires {
        site: state.site.clone(),
        menu: Menu::de(a),
        fiches: fiches
            .iter()
            .map(|f| {
                (
                    f.id(),
                    f.nom(),
                    resume(m, f),
                    CompteId::new(f.row.mediateur_id) != a.id(),
                )
            })
            .collect(),
        doublons,
        erreur: erreur.clone(),
        statuts: options::<StatutSocial>(),
        genres: options::<Genre>(),
    })?;
    Ok(refuser_si(r, refuse))
}

pub async fn beneficiaires(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    if !a.est_mediateur() {
        return Err(ErreurWeb::mediation(
            ErreurMediation::Interdit,
            String::new(),
        ));
    }
    page_beneficiaires(&state, &a, None).await
}

/// A stored commune as the forms show it back: « Saint-Gaudens (31800) », which the
/// commune field reads again ([`crate::parametres::saisie_commune`]); the code when unknown.
fn commune_saisie(r: &maillage_territoire::Referentiel, code: &str) -> String {
    r.commune(code)
        .map(crate::parametres::saisie_commune)
        .unwrap_or_else(|| code.to_string())
}

/// The form of a beneficiary (creation and edit).
#[derive(Deserialize)]
pub struct FormulaireBeneficiaire {
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    annee_naissance: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    statut: String,
    #[serde(default)]
    genre: String,
    #[serde(default)]
    notes: String,
    /// The checkbox « shared with the structure ».
    partage: Option<String>,
}

fn lire_beneficiaire(m: &Mediation, c: &FormulaireBeneficiaire) -> Result<Beneficiaire, String> {
    let annee = match c.annee_naissance.trim() {
        "" => None,
        t => Some(
            t.parse::<i32>()
                .map_err(|_| "année de naissance : nombre attendu".to_string())?,
        ),
    };
    // By name (« Muret », « Saint-Gaudens (31800) »), a postal code or an INSEE code; a
    // name that fits several communes or none is refused with suggestions.
    let commune = match c.commune.trim() {
        "" => None,
        t => Some(
            m.comptes()
                .resoudre_commune(t)
                .map_err(|e| match e {
                    ErreurMediation::Invalide { message, .. } => format!("commune : {message}"),
                    _ => "commune introuvable : indiquez son nom".to_string(),
                })
                .and_then(|code| CodeInsee::parse(&code).map_err(|e| e.to_string()))?,
        ),
    };
    Ok(Beneficiaire {
        prenom: c.prenom.trim().to_string(),
        annee_naissance: annee,
        commune,
        statut: StatutSocial::depuis_code(c.statut.trim()).unwrap_or(StatutSocial::NonCommunique),
        genre: Genre::depuis_code(c.genre.trim()).unwrap_or(Genre::NonCommunique),
        notes: c.notes.trim().to_string(),
    })
}

pub async fn creer_beneficiaire(
    State(state): State<AppState>,
    FormulaireConnecte(a, champs): FormulaireConnecte<FormulaireBeneficiaire>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let b = match lire_beneficiaire(m, &champs) {
        Ok(b) => b,
        Err(e) => return page_beneficiaires(&state, &a, Some(e)).await,
    };
    match m.creer_beneficiaire(&a, b, champs.partage.is_some()).await {
        Ok(id) => Ok(Redirect::to(&format!("/espace/beneficiaires/{id}")).into_response()),
        Err(e @ ErreurMediation::Invalide { .. }) => {
            page_beneficiaires(&state, &a, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/espace/beneficiaires".into())),
    }
}

/// The form merging two beneficiaries' records.
#[derive(Deserialize)]
pub struct FormulaireFusion {
    #[serde(default)]
    garde: String,
    #[serde(default)]
    absorbe: String,
}

/// The two records of a merge: the one kept and the one absorbed.
struct Fusion {
    garde: i64,
    absorbe: i64,
}

impl TryFrom<FormulaireFusion> for Fusion {
    /// An id that is not a number names no record of the person's.
    type Error = ErreurMediation;

    fn try_from(f: FormulaireFusion) -> Result<Fusion, ErreurMediation> {
        let id = |t: &str| {
            t.trim()
                .parse::<i64>()
                .map_err(|_| ErreurMediation::Introuvable)
        };
        Ok(Fusion {
            garde: id(&f.garde)?,
            absorbe: id(&f.absorbe)?,
        })
    }
}

pub async fn fusionner(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireFusion>,
) -> Result<Response, ErreurWeb> {
    let Fusion { garde, absorbe } = Fusion::try_from(f).ou("")?;
    mediation(&state)?
        .fusionner(&a, garde, absorbe)
        .await
        .ou("/espace/beneficiaires")?;
    // The absorbed file's assessments follow it (Compétences' own table).
    let deplaces = state
        .instance
        .competences()
        .apres_fusion_de_dossiers(garde, absorbe)
        .await
        .map_err(|e| ErreurWeb::interne(format!("moving assessments after a merge: {e}")))?;
    if deplaces > 0 {
        tracing::info!(
            garde,
            absorbe,
            deplaces,
            "assessments moved to the kept file"
        );
    }
    Ok(Redirect::to(&format!("/espace/beneficiaires/{garde}")).into_response())
}

#[derive(Template)]
#[template(path = "espace/beneficiaire.html")]
struct PageBeneficiaire {
    site: Arc<Site>,
    menu: Menu,
    id: i64,
    nom: String,
    b: Beneficiaire,
    proprietaire: bool,
    activites: Vec<LigneActivite>,
    consultations: Vec<(String, String, String)>,
    statuts: Vec<(&'static str, &'static str)>,
    genres: Vec<(&'static str, &'static str)>,
    erreur: Option<String>,
    b_prenom: String,
    b_annee: String,
    b_commune: String,
    b_statut: &'static str,
    b_genre: &'static str,
    b_partage: bool,
    /// The assessments of Compétences (history, progress).
    competences: crate::competences::BlocDossier,
}

async fn page_beneficiaire(
    state: &AppState,
    a: &Acteur,
    id: i64,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(state)?;
    let chemin = format!("/espace/beneficiaires/{id}");
    let f = m.beneficiaire(a, id).await.ou(&chemin)?;
    let b = f
        .beneficiaire
        .clone()
        .ok_or_else(|| ErreurWeb::mediation(ErreurMediation::Introuvable, chemin.clone()))?;
    let lieux = m.comptes().mes_lieux(a).await.ou(&chemin)?;
    let activites = m
        .activites_du_beneficiaire(a, id)
        .await
        .ou(&chemin)?
        .iter()
        .map(|x| ligne_activite(m, x, &lieux))
        .collect();
    let comptes: HashMap<CompteId, String> = HashMap::new();
    let consultations = journal(m, m.consultations(a, id).await.ou(&chemin)?, comptes).await;
    let competences = crate::competences::bloc_dossier(state, id).await?;
    let refuse = erreur.is_some();
    let r = rendre(&PageBeneficiaire {
        competences,
        site: state.site.clone(),
        menu: Menu::de(a),
        id,
        nom: f.nom(),
        proprietaire: CompteId::new(f.row.mediateur_id) == a.id(),
        b_prenom: b.prenom.clone(),
        b_annee: b.annee_naissance.map(|x| x.to_string()).unwrap_or_default(),
        b_commune: b
            .commune
            .as_ref()
            .map(|c| commune_saisie(m.referentiel(), c.as_str()))
            .unwrap_or_default(),
        b_statut: b.statut.code(),
        b_genre: b.genre.code(),
        b_partage: f.row.partage_equipe,
        b,
        activites,
        consultations,
        statuts: options::<StatutSocial>(),
        genres: options::<Genre>(),
        erreur: erreur.clone(),
    })?;
    Ok(refuser_si(r, refuse))
}

async fn journal(
    m: &Mediation,
    lignes: Vec<ConsultationRow>,
    mut noms: HashMap<CompteId, String>,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for c in lignes.into_iter().rev().take(50) {
        let compte = CompteId::new(c.compte_id);
        let nom = match noms.get(&compte) {
            Some(n) => n.clone(),
            None => {
                let n = m
                    .comptes()
                    .nom_du_compte(compte)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| format!("compte nº {compte}"));
                noms.insert(compte, n.clone());
                n
            }
        };
        out.push((
            c.at.with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y %H:%M")
                .to_string(),
            nom,
            c.action,
        ));
    }
    out
}

pub async fn beneficiaire(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<i64>,
) -> Result<Response, ErreurWeb> {
    page_beneficiaire(&state, &a, id, None).await
}

pub async fn modifier_beneficiaire(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    Path(id): Path<i64>,
    FormulaireConnecte(a, champs): FormulaireConnecte<FormulaireBeneficiaire>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let chemin = format!("/espace/beneficiaires/{id}");
    let b = match lire_beneficiaire(m, &champs) {
        Ok(b) => b,
        Err(e) => return page_beneficiaire(&state, &a, id, Some(e)).await,
    };
    match m
        .modifier_beneficiaire(&a, id, b, champs.partage.is_some())
        .await
    {
        Ok(()) => Ok(Redirect::to(&chemin).into_response()),
        Err(e @ ErreurMediation::Invalide { .. }) => {
            page_beneficiaire(&state, &a, id, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, chemin)),
    }
}

pub async fn export_beneficiaire(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<i64>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let chemin = format!("/espace/beneficiaires/{id}/export.json");
    let export = m.export_personnel(&a, id).await.ou(&chemin)?;
    let corps = serde_json::to_vec_pretty(&export)
        .map_err(|e| ErreurWeb::mediation(ErreurMediation::Interne(e.to_string()), chemin))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!(
                    "attachment; filename=\"donnees-beneficiaire-{id}.json\""
                ))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        corps,
    )
        .into_response())
}

// ------------------------------------------------------------------------------------
// Statistics

/// One block of a dashboard: chart and table.
pub struct Bloc {
    pub titre: String,
    pub unite: &'static str,
    pub svg: String,
    pub lignes: Vec<(String, String)>,
}

fn blocs(t: &Tableau, public: bool) -> Vec<Bloc> {
    let affiche = |n: i64| {
        if public {
            secret_statistique(n)
        } else {
            nombre(n)
        }
    };
    let mut out = Vec::new();
    let mois: Vec<(String, i64)> = t
        .par_mois
        .iter()
        .map(|l| (l.libelle.clone(), l.accompagnements))
        .collect();
    if !mois.is_empty() {
        out.push(Bloc {
            titre: "Accompagnements par mois".into(),
            unite: "accompagnements",
            svg: if public && mois.iter().any(|(_, v)| *v > 0 && *v < 5) {
                String::new()
            } else {
                svg::colonnes(&mois)
            },
            lignes: mois.iter().map(|(l, v)| (l.clone(), affiche(*v))).collect(),
        });
    }
    for d in Dimension::TOUTES {
        let valeurs: Vec<(String, i64)> = t
            .bloc(d)
            .into_iter()
            .map(|(l, v)| (l.to_string(), v))
            .collect();
        if valeurs.iter().all(|(_, v)| *v == 0) {
            continue;
        }
        let cache = public && valeurs.iter().any(|(_, v)| *v > 0 && *v < 5);
        out.push(Bloc {
            titre: d.titre().into(),
            unite: if d.compte_participants() {
                "participants"
            } else {
                "activités"
            },
            svg: if cache {
                String::new()
            } else {
                svg::barres(&valeurs)
            },
            lignes: valeurs
                .iter()
                .map(|(l, v)| (l.clone(), affiche(*v)))
                .collect(),
        });
    }
    for (titre, lignes) in [
        ("Par commune", &t.par_commune),
        ("Par lieu d’activité", &t.par_lieu),
        ("Par médiateur", &t.par_mediateur),
    ] {
        if lignes.len() > 1 || (!lignes.is_empty() && titre == "Par commune") {
            let valeurs: Vec<(String, i64)> = lignes
                .iter()
                .take(20)
                .map(|l| (l.libelle.clone(), l.accompagnements))
                .collect();
            let cache = public && valeurs.iter().any(|(_, v)| *v > 0 && *v < 5);
            out.push(Bloc {
                titre: titre.into(),
                unite: "accompagnements",
                svg: if cache {
                    String::new()
                } else {
                    svg::barres(&valeurs)
                },
                lignes: valeurs
                    .iter()
                    .map(|(l, v)| (l.clone(), affiche(*v)))
                    .collect(),
            });
        }
    }
    out
}

#[derive(Template)]
#[template(path = "espace/statistiques.html")]
struct PageStatistiques {
    site: Arc<Site>,
    menu: Option<Menu>,
    titre: String,
    public: bool,
    du: String,
    au: String,
    perimetre: String,
    perimetres: Vec<(String, String)>,
    lieux: Vec<(LieuActiviteId, String)>,
    lieu: String,
    activites: String,
    accompagnements: String,
    heures: String,
    blocs: Vec<Bloc>,
    lien_export: Option<String>,
}

/// The query of the statistics (space, exports, public page).
#[derive(Deserialize)]
pub struct ParamsStatistiques {
    du: Option<String>,
    au: Option<String>,
    perimetre: Option<String>,
    lieu: Option<String>,
}

/// The dates asked for (`AAAA-MM-JJ`, years 2000 to 2100), each absent when not given.
struct PeriodeDemandee {
    du: Option<NaiveDate>,
    au: Option<NaiveDate>,
}

impl TryFrom<&ParamsStatistiques> for PeriodeDemandee {
    type Error = ErreurMediation;

    fn try_from(q: &ParamsStatistiques) -> Result<PeriodeDemandee, ErreurMediation> {
        let lire = |nom: &str,
                    valeur: Option<&str>|
         -> Result<Option<NaiveDate>, ErreurMediation> {
            match valeur.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
                    .map(Some)
                    .ok_or_else(|| ErreurMediation::invalide(nom, "date invalide (AAAA-MM-JJ)")),
            }
        };
        Ok(PeriodeDemandee {
            du: lire("du", q.du.as_deref())?,
            au: lire("au", q.au.as_deref())?,
        })
    }
}

/// The period asked for; by default the last twelve months, this one included.
fn periode(
    m: &Mediation,
    q: &ParamsStatistiques,
) -> Result<(NaiveDate, NaiveDate), ErreurMediation> {
    let aujourdhui = m.aujourdhui();
    let p = PeriodeDemandee::try_from(q)?;
    Ok((
        p.du.unwrap_or_else(|| debut_de_mois(aujourdhui, 11)),
        p.au.unwrap_or(aujourdhui),
    ))
}

fn perimetre_demande(a: &Acteur, q: &ParamsStatistiques) -> Perimetre {
    match q.perimetre.as_deref() {
        Some("equipe") => Perimetre::Equipe,
        Some(p) if p.starts_with("mediateur:") => p[10..]
            .parse()
            .map(Perimetre::Mediateur)
            .unwrap_or(Perimetre::Equipe),
        Some(p) if p.contains(':') || p == "fr" => Perimetre::Territoire(p.to_string()),
        _ => match a.role {
            Role::Mediateur => Perimetre::Moi,
            Role::Coordinateur if !a.equipe.is_empty() || a.territoires.is_empty() => {
                Perimetre::Equipe
            }
            Role::Coordinateur => {
                Perimetre::Territoire(maillage_comptes::acces::code_territoire(&a.territoires[0]))
            }
            Role::Administrateur => Perimetre::Territoire("fr".into()),
        },
    }
}

fn code_perimetre(p: &Perimetre) -> String {
    match p {
        Perimetre::Moi => "moi".into(),
        Perimetre::Equipe => "equipe".into(),
        Perimetre::Mediateur(m) => format!("mediateur:{m}"),
        Perimetre::Territoire(t) => t.clone(),
    }
}

pub async fn statistiques(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Params(q): Params<ParamsStatistiques>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let chemin = "/espace/statistiques";
    let (du, au) = periode(m, &q).ou(chemin)?;
    let perimetre = perimetre_demande(&a, &q);
    let lieu = q.lieu.as_deref().and_then(|l| l.parse().ok());
    let filtres = Filtres {
        perimetre: perimetre.clone(),
        du,
        au,
        lieu,
    };
    let t = m.tableau(&a, &filtres).await.ou(chemin)?;
    let mut perimetres = Vec::new();
    match a.role {
        Role::Mediateur => perimetres.push(("moi".to_string(), "Mon activité".to_string())),
        Role::Coordinateur => {
            perimetres.push(("equipe".into(), "Mon équipe".into()));
            for (id, nom) in m.comptes().noms_equipe(&a).await.unwrap_or_default() {
                perimetres.push((format!("mediateur:{id}"), nom));
            }
        }
        Role::Administrateur => {}
    }
    perimetres.extend(m.territoires_visibles(&a));
    let lieux = m.comptes().lieux_visibles(&a).await.ou(chemin)?;
    let exportable = matches!(
        perimetre,
        Perimetre::Moi | Perimetre::Equipe | Perimetre::Mediateur(_)
    );
    let requete = format!(
        "perimetre={}&du={}&au={}{}",
        super::encoder(&code_perimetre(&perimetre)),
        du.format("%Y-%m-%d"),
        au.format("%Y-%m-%d"),
        lieu.map(|l| format!("&lieu={l}")).unwrap_or_default()
    );
    rendre(&PageStatistiques {
        site: state.site.clone(),
        menu: Some(Menu::de(&a)),
        titre: t.titre.clone(),
        public: false,
        du: du.format("%Y-%m-%d").to_string(),
        au: au.format("%Y-%m-%d").to_string(),
        perimetre: code_perimetre(&perimetre),
        perimetres,
        lieux: lieux
            .into_iter()
            .map(|l| (LieuActiviteId::new(l.id), l.nom))
            .collect(),
        lieu: lieu
            .map(|l: LieuActiviteId| l.to_string())
            .unwrap_or_default(),
        activites: nombre(t.compteurs.activites()),
        accompagnements: nombre(t.compteurs.accompagnements()),
        heures: duree_totale(t.compteurs.minutes()),
        blocs: blocs(&t, false),
        lien_export: exportable.then_some(requete),
    })
}

async fn export_lignes(
    state: &AppState,
    a: &Acteur,
    q: &ParamsStatistiques,
    chemin: &str,
) -> Result<(Vec<&'static str>, Vec<Vec<String>>), ErreurWeb> {
    let m = mediation(state)?;
    let (du, au) = periode(m, q).ou(chemin)?;
    let filtres = Filtres {
        perimetre: perimetre_demande(a, q),
        du,
        au,
        lieu: q.lieu.as_deref().and_then(|l| l.parse().ok()),
    };
    m.export_activites(a, &filtres).await.ou(chemin)
}

pub async fn export_csv(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Params(q): Params<ParamsStatistiques>,
    uri: axum::http::Uri,
) -> Result<Response, ErreurWeb> {
    let chemin = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let (entetes, lignes) = export_lignes(&state, &a, &q, &chemin).await?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let interne = |e: String| ErreurWeb::mediation(ErreurMediation::Interne(e), String::new());
    w.write_record(&entetes)
        .map_err(|e| interne(e.to_string()))?;
    for l in &lignes {
        w.write_record(l).map_err(|e| interne(e.to_string()))?;
    }
    let corps = w.into_inner().map_err(|e| interne(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"activites.csv\"",
            ),
        ],
        corps,
    )
        .into_response())
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Params(q): Params<ParamsStatistiques>,
    uri: axum::http::Uri,
) -> Result<Response, ErreurWeb> {
    let chemin = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let (entetes, lignes) = export_lignes(&state, &a, &q, &chemin).await?;
    let interne = |e: String| ErreurWeb::mediation(ErreurMediation::Interne(e), String::new());
    let mut classeur = rust_xlsxwriter::Workbook::new();
    let feuille = classeur.add_worksheet();
    feuille
        .set_name("Activités")
        .map_err(|e| interne(e.to_string()))?;
    for (c, h) in entetes.iter().enumerate() {
        feuille
            .write_string(0, c as u16, *h)
            .map_err(|e| interne(e.to_string()))?;
    }
    for (r, l) in lignes.iter().enumerate() {
        for (c, v) in l.iter().enumerate() {
            feuille
                .write_string(r as u32 + 1, c as u16, v)
                .map_err(|e| interne(e.to_string()))?;
        }
    }
    let corps = classeur
        .save_to_buffer()
        .map_err(|e| interne(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"activites.xlsx\"",
            ),
        ],
        corps,
    )
        .into_response())
}

pub async fn statistiques_publiques(
    State(state): State<AppState>,
    Path(territoire): Path<String>,
    Params(q): Params<ParamsStatistiques>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let chemin = format!("/statistiques/{territoire}");
    let (du, au) = periode(m, &q).ou(&chemin)?;
    let t = match m
        .tableau_public(&territoire.replace('-', ":"), du, au)
        .await
    {
        Ok(t) => t,
        Err(ErreurMediation::Invalide { message, .. }) => {
            return Err(ErreurWeb::Introuvable(message))
        }
        Err(e) => return Err(ErreurWeb::mediation(e, chemin)),
    };
    let mut r = rendre(&PageStatistiques {
        site: state.site.clone(),
        menu: None,
        titre: t.titre.clone(),
        public: true,
        du: du.format("%Y-%m-%d").to_string(),
        au: au.format("%Y-%m-%d").to_string(),
        perimetre: territoire,
        perimetres: vec![],
        lieux: vec![],
        lieu: String::new(),
        activites: secret_statistique(t.compteurs.activites()),
        accompagnements: secret_statistique(t.compteurs.accompagnements()),
        heures: if (1..5).contains(&(t.compteurs.minutes() / 60)) {
            "moins de 5 h".into()
        } else {
            duree_totale(t.compteurs.minutes())
        },
        blocs: blocs(&t, true),
        lien_export: None,
    })?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(r)
}

// ------------------------------------------------------------------------------------
// Import, team, outbox

#[derive(Template)]
#[template(path = "espace/import.html")]
struct PageImport {
    site: Arc<Site>,
    menu: Menu,
    rapport: Option<RapportImportCoop>,
    erreur: Option<String>,
}

pub async fn page_import(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    if !a.est_mediateur() {
        return Err(ErreurWeb::mediation(
            ErreurMediation::Interdit,
            String::new(),
        ));
    }
    rendre(&PageImport {
        site: state.site.clone(),
        menu: Menu::de(&a),
        rapport: None,
        erreur: None,
    })
}

pub async fn importer(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    requete: axum::extract::Request,
) -> Result<Response, ErreurWeb> {
    if !a.est_mediateur() {
        return Err(ErreurWeb::mediation(
            ErreurMediation::Interdit,
            String::new(),
        ));
    }
    use axum::extract::FromRequest;
    let mut multipart = Multipart::from_request(requete, &state)
        .await
        .map_err(|_| ErreurWeb::Csrf)?;
    let mut csrf = None;
    let mut contenu = None;
    // Past the body limit the reading stops with a 413: say so, not « choose a file ».
    let mut trop_gros = false;
    let trop = |e: &axum::extract::multipart::MultipartError| {
        e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(champ)) => match champ.name() {
                Some("csrf") => csrf = champ.text().await.ok(),
                Some("fichier") => match champ.bytes().await {
                    Ok(b) => contenu = Some(b),
                    Err(e) => {
                        trop_gros = trop(&e);
                        break;
                    }
                },
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                trop_gros = trop(&e);
                break;
            }
        }
    }
    let csrf_ok =
        matches!(&csrf, Some(t) if maillage_comptes::securite::egal_temps_constant(t, a.csrf()));
    let message_trop_gros = || {
        format!(
            "Ce fichier est trop volumineux : au plus {} par import. Exportez une période plus courte de La Coop et importez les fichiers l'un après l'autre.",
            crate::erreur::corps_max_en_mots()
        )
    };
    if trop_gros {
        if !csrf_ok {
            return Err(ErreurWeb::TropVolumineux(message_trop_gros()));
        }
        let mut r = rendre(&PageImport {
            site: state.site.clone(),
            menu: Menu::de(&a),
            rapport: None,
            erreur: Some(message_trop_gros()),
        })?;
        *r.status_mut() = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(r);
    }
    if !csrf_ok {
        return Err(ErreurWeb::Csrf);
    }
    let m = mediation(&state)?;
    let (rapport, erreur) = match contenu.filter(|c| !c.is_empty()) {
        None => (None, Some("Choisissez un fichier CSV.".to_string())),
        Some(c) => match m.importer_coop(&a, &c).await {
            Ok(r) => (Some(r), None),
            Err(e @ ErreurMediation::Invalide { .. }) => (None, Some(e.to_string())),
            Err(e) => return Err(ErreurWeb::mediation(e, "/espace/import".into())),
        },
    };
    let echec = erreur.is_some() || rapport.as_ref().is_some_and(|r| !r.refusees.is_empty());
    let r = rendre(&PageImport {
        site: state.site.clone(),
        menu: Menu::de(&a),
        rapport,
        erreur,
    })?;
    Ok(refuser_si(r, echec))
}

/// An account on the team page: the account and the names of its structures today.
pub struct MembreEquipe {
    pub compte: Compte,
    pub role: &'static str,
    pub structures: String,
}

#[derive(Template)]
#[template(path = "espace/equipe.html")]
struct PageEquipe {
    site: Arc<Site>,
    menu: Menu,
    membres: Vec<MembreEquipe>,
    roles: Vec<(&'static str, &'static str)>,
    /// Structures the inviter may invite into `(id, name)`.
    structures: Vec<(StructureId, String)>,
    message: Option<String>,
    /// The invitation link, shown when no e-mail is sent (no SMTP configured).
    lien: Option<String>,
    erreur: Option<String>,
}

/// `true` when `maillage serve` sends the outbox (see `courrier::Smtp::depuis_env`).
fn envoi_configure() -> bool {
    std::env::var("MAILLAGE_SMTP_URL").is_ok_and(|v| !v.trim().is_empty())
}

async fn page_equipe(
    state: &AppState,
    a: &Acteur,
    message: Option<String>,
    lien: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(state)?;
    let chemin = "/espace/equipe";
    let comptes = match m.comptes().comptes_visibles(a).await {
        Ok(c) => c,
        Err(ErreurMediation::Interdit) => {
            return Err(ErreurWeb::mediation(
                ErreurMediation::Interdit,
                String::new(),
            ))
        }
        Err(e) => return Err(ErreurWeb::mediation(e, chemin.into())),
    };
    let noms = m.comptes().toutes_les_structures().await.ou(chemin)?;
    let mut membres = Vec::new();
    for c in comptes {
        let (actives, _) = m
            .comptes()
            .structures_du_compte(c.id, c.structure_id)
            .await
            .ou(chemin)?;
        let structures = actives
            .iter()
            .filter_map(|id| noms.iter().find(|s| StructureId::new(s.id) == *id))
            .map(|s| s.nom.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        membres.push(MembreEquipe {
            role: Role::depuis_code(&c.role)
                .map(|r| r.libelle())
                .unwrap_or(""),
            compte: c,
            structures,
        });
    }
    let roles = if a.role == Role::Administrateur {
        options::<Role>()
    } else {
        vec![(Role::Mediateur.code(), Role::Mediateur.libelle())]
    };
    let structures = m
        .comptes()
        .structures_gerables(a)
        .await
        .ou(chemin)?
        .into_iter()
        .map(|s| (StructureId::new(s.id), s.nom))
        .collect();
    let refuse = erreur.is_some();
    let r = rendre(&PageEquipe {
        site: state.site.clone(),
        menu: Menu::de(a),
        membres,
        roles,
        structures,
        message,
        lien,
        erreur: erreur.clone(),
    })?;
    Ok(refuser_si(r, refuse))
}

pub async fn equipe(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    page_equipe(&state, &a, None, None, None).await
}

/// The form inviting someone.
#[derive(Deserialize)]
pub struct FormulaireInvitation {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    structure: String,
}

pub async fn inviter(
    State(state): State<AppState>,
    FormulaireConnecte(a, champs): FormulaireConnecte<FormulaireInvitation>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let role = Role::depuis_code(champs.role.trim()).unwrap_or(Role::Mediateur);
    let structure = match champs.structure.trim() {
        "" => None,
        s => match s.parse::<StructureId>() {
            Ok(id) => Some(id),
            Err(_) => {
                return page_equipe(
                    &state,
                    &a,
                    None,
                    None,
                    Some("structure : structure inconnue".into()),
                )
                .await
            }
        },
    };
    let email = champs.email.trim().to_string();
    match m.comptes().inviter(&a, &email, role, structure).await {
        Ok(_) if envoi_configure() => {
            page_equipe(&state, &a, Some(format!("Invitation envoyée à {email}.")), None, None).await
        }
        Ok(lien) => {
            page_equipe(
                &state,
                &a,
                Some(format!(
                    "Invitation enregistrée (en attente d’envoi) pour {email} : aucun envoi de courriel n’est configuré sur ce serveur. Transmettez-lui ce lien, valable 7 jours :"
                )),
                Some(lien),
                None,
            )
            .await
        }
        Err(e @ (ErreurMediation::Invalide { .. } | ErreurMediation::DejaInscrit)) => {
            page_equipe(&state, &a, None, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/espace/equipe".into())),
    }
}

#[derive(Template)]
#[template(path = "espace/courriels.html")]
struct PageCourriels {
    site: Arc<Site>,
    menu: Menu,
    courriels: Vec<(String, String, String, String)>,
}

pub async fn courriels(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    if a.role != Role::Administrateur {
        return Err(ErreurWeb::mediation(
            ErreurMediation::Interdit,
            String::new(),
        ));
    }
    let m = mediation(&state)?;
    let courriels = m
        .comptes()
        .courriels(100)
        .await
        .ou("/espace/courriels")?
        .into_iter()
        .map(|c| {
            (
                c.created_at
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .format("%d/%m/%Y %H:%M")
                    .to_string(),
                c.destinataire,
                c.sujet,
                c.corps,
            )
        })
        .collect();
    rendre(&PageCourriels {
        site: state.site.clone(),
        menu: Menu::de(&a),
        courriels,
    })
}

// ------------------------------------------------------------------------------------
// Structures, places of activity, assignments

/// A member of a structure on its page.
pub struct MembreAffiche {
    pub nom: String,
    pub email: String,
    pub role: &'static str,
    pub debut: String,
    pub fin: String,
    pub actif: bool,
}

/// A structure on its page.
pub struct StructureAffichee {
    pub id: StructureId,
    pub nom: String,
    pub commune: String,
    /// Places `(id, name, commune)`.
    pub lieux: Vec<(LieuActiviteId, String, String)>,
    pub membres: Vec<MembreAffiche>,
}

#[derive(Template)]
#[template(path = "espace/structures.html")]
struct PageStructures {
    site: Arc<Site>,
    menu: Menu,
    structures: Vec<StructureAffichee>,
    lieux: Vec<(LieuActiviteId, String)>,
    aujourdhui: String,
    message: Option<String>,
    erreur: Option<String>,
}

async fn page_structures(
    state: &AppState,
    a: &Acteur,
    message: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    if a.role == Role::Mediateur {
        return Err(ErreurWeb::mediation(
            ErreurMediation::Interdit,
            String::new(),
        ));
    }
    let m = mediation(state)?;
    let chemin = "/espace/structures";
    let lieux = m.comptes().lieux_visibles(a).await.ou(chemin)?;
    let nom_commune = |c: &str| {
        m.referentiel()
            .commune(c)
            .map(|x| x.nom.clone())
            .unwrap_or_else(|| c.to_string())
    };
    let mut structures = Vec::new();
    for s in m.comptes().structures_gerables(a).await.ou(chemin)? {
        let id = StructureId::new(s.id);
        let siens: Vec<(LieuActiviteId, String, String)> = lieux
            .iter()
            .filter(|l| StructureId::new(l.structure_id) == id)
            .map(|l| {
                (
                    LieuActiviteId::new(l.id),
                    l.nom.clone(),
                    nom_commune(&l.code_insee),
                )
            })
            .collect();
        let membres = m
            .comptes()
            .membres_de_structure(a, id)
            .await
            .ou(chemin)?
            .into_iter()
            .map(|x| MembreAffiche {
                role: Role::depuis_code(&x.compte.role)
                    .map(|r| r.libelle())
                    .unwrap_or(""),
                nom: x.compte.nom,
                email: x.compte.email,
                debut: x.debut.format("%d/%m/%Y").to_string(),
                fin: x
                    .fin
                    .map(|f| f.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                actif: x.actif,
            })
            .collect();
        structures.push(StructureAffichee {
            id,
            commune: s.code_insee.as_deref().map(nom_commune).unwrap_or_default(),
            nom: s.nom,
            lieux: siens,
            membres,
        });
    }
    let lieux_visibles = structures
        .iter()
        .flat_map(|s| s.lieux.iter().map(|(id, nom, _)| (*id, nom.clone())))
        .collect();
    let refuse = erreur.is_some();
    let r = rendre(&PageStructures {
        site: state.site.clone(),
        menu: Menu::de(a),
        structures,
        lieux: lieux_visibles,
        aujourdhui: m.aujourdhui().format("%Y-%m-%d").to_string(),
        message,
        erreur: erreur.clone(),
    })?;
    Ok(refuser_si(r, refuse))
}

pub async fn structures(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    page_structures(&state, &a, None, None).await
}

/// The forms of the structures page, one POST (`action` = `structure`, `lieu`,
/// `affectation`, `rattachement`, `detachement`).
#[derive(Deserialize)]
pub struct FormulaireStructures {
    #[serde(default)]
    action: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    siret: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    structure: String,
    #[serde(default)]
    lieu_annuaire: String,
    #[serde(default)]
    lieu: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    debut: String,
    #[serde(default)]
    fin: String,
}

/// What a form of the structures page asks for, its numbers and dates read.
enum ActionStructures {
    Structure {
        nom: String,
        siret: Option<String>,
        commune: Option<String>,
    },
    Lieu {
        structure: StructureId,
        nom: String,
        commune: String,
        lieu_annuaire: Option<String>,
    },
    Affectation {
        email: String,
        lieu: LieuActiviteId,
        debut: NaiveDate,
    },
    Rattachement {
        email: String,
        structure: StructureId,
        debut: NaiveDate,
    },
    Detachement {
        email: String,
        structure: StructureId,
        fin: NaiveDate,
    },
}

impl TryFrom<FormulaireStructures> for ActionStructures {
    type Error = ErreurMediation;

    fn try_from(f: FormulaireStructures) -> Result<ActionStructures, ErreurMediation> {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let date = |s: &str, champ: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| ErreurMediation::invalide(champ, "date invalide"))
        };
        let structure = |s: &str| {
            s.trim()
                .parse::<StructureId>()
                .map_err(|_| ErreurMediation::invalide("structure", "structure inconnue"))
        };
        let email = f.email.trim().to_string();
        Ok(match f.action.trim() {
            "structure" => ActionStructures::Structure {
                nom: f.nom.trim().to_string(),
                siret: opt(&f.siret),
                commune: opt(&f.commune),
            },
            "lieu" => ActionStructures::Lieu {
                structure: structure(&f.structure)?,
                nom: f.nom.trim().to_string(),
                commune: f.commune.trim().to_string(),
                lieu_annuaire: opt(&f.lieu_annuaire),
            },
            "affectation" => {
                let debut = date(&f.debut, "début")?;
                let lieu = f
                    .lieu
                    .trim()
                    .parse::<LieuActiviteId>()
                    .map_err(|_| ErreurMediation::invalide("lieu", "lieu inconnu"))?;
                ActionStructures::Affectation { email, lieu, debut }
            }
            "rattachement" => {
                let debut = date(&f.debut, "début")?;
                ActionStructures::Rattachement {
                    email,
                    structure: structure(&f.structure)?,
                    debut,
                }
            }
            "detachement" => {
                let fin = date(&f.fin, "fin")?;
                ActionStructures::Detachement {
                    email,
                    structure: structure(&f.structure)?,
                    fin,
                }
            }
            _ => return Err(ErreurMediation::invalide("action", "formulaire inconnu")),
        })
    }
}

/// One POST for the forms of the page (see [`FormulaireStructures`]).
pub async fn modifier_structures(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireStructures>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let resultat = match ActionStructures::try_from(f) {
        Err(e) => Err(e),
        Ok(ActionStructures::Structure {
            nom,
            siret,
            commune,
        }) => m
            .comptes()
            .creer_structure(&a, &nom, siret.as_deref(), commune.as_deref())
            .await
            .map(|id| format!("Structure nº {id} créée.")),
        Ok(ActionStructures::Lieu {
            structure,
            nom,
            commune,
            lieu_annuaire,
        }) => m
            .comptes()
            .creer_lieu_activite(&a, structure, &nom, &commune, lieu_annuaire.as_deref())
            .await
            .map(|id| format!("Lieu d’activité nº {id} créé.")),
        Ok(ActionStructures::Affectation { email, lieu, debut }) => m
            .comptes()
            .affecter(&a, &email, lieu, debut)
            .await
            .map(|()| format!("{email} est affecté·e au lieu nº {lieu}.")),
        Ok(ActionStructures::Rattachement {
            email,
            structure,
            debut,
        }) => m
            .comptes()
            .rattacher(&a, &email, structure, debut)
            .await
            .map(|compte| {
                format!(
                    "{} fait partie de la structure à partir du {}.",
                    compte.nom,
                    debut.format("%d/%m/%Y")
                )
            }),
        Ok(ActionStructures::Detachement {
            email,
            structure,
            fin,
        }) => m
            .comptes()
            .detacher(&a, &email, structure, fin)
            .await
            .map(|compte| {
                format!(
                    "{} ne fait plus partie de la structure après le {}.",
                    compte.nom,
                    fin.format("%d/%m/%Y")
                )
            }),
    };
    match resultat {
        Ok(message) => page_structures(&state, &a, Some(message), None).await,
        Err(e @ ErreurMediation::Invalide { .. }) => {
            page_structures(&state, &a, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/espace/structures".into())),
    }
}

/// Chooses the structure the account acts for (an aidant of several structures).
/// The form choosing the structure the account acts for.
#[derive(Deserialize)]
pub struct FormulaireStructureCourante {
    #[serde(default)]
    structure: String,
}

pub async fn choisir_structure(
    State(state): State<AppState>,
    FormulaireConnecte(a, c): FormulaireConnecte<FormulaireStructureCourante>,
) -> Result<Response, ErreurWeb> {
    let m = mediation(&state)?;
    let id = c
        .structure
        .trim()
        .parse::<StructureId>()
        .unwrap_or(StructureId::new(0));
    m.comptes().choisir_structure(&a, id).await.ou("/espace")?;
    Ok(Redirect::to("/espace").into_response())
}
