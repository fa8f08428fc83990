//! Keeping the directory true: a coordinator's editing page of a published place
//! (`/espace/lieux/{id}/modifier`: field by field, history with « Annuler », « Retirer ce
//! lieu », the place's personal link), the campaigns asking the places of a territory to
//! check their entry (`/espace/lieux/campagnes…`, with their dashboard), and the place's
//! own form, without an account (`/mise-a-jour?jeton=…`). The rules are
//! [`maillage_annuaire::corrections`]'s; handlers read forms and render pages.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maillage_annuaire::corrections::{
    self as corr, ErreurChamp, LienCree, RefusLien, ReponseLieu, CHAMPS_COORDINATION,
};
use maillage_domain::mediation::Role;
use maillage_domain::Vocabulary;

use serde::Deserialize;

use crate::espace::pages::Menu;
use crate::espace::{rendre, Connecte, OuRetour};
use crate::formulaires::{Formulaire, FormulaireConnecte};
use crate::parametres::Parametres;
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::{AppState, ErreurWeb};

/// The routes of this page group (module: the directory).
pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Annuaire)
        .get("/espace/lieux/{id}/modifier", page_modifier)
        .post("/espace/lieux/{id}/modifier", modifier)
        .post("/espace/lieux/{id}/annuler", annuler)
        .post("/espace/lieux/{id}/retirer", retirer)
        .post("/espace/lieux/{id}/lien", envoyer_lien)
        .get("/espace/lieux/campagnes", campagnes)
        .post("/espace/lieux/campagnes", lancer_campagne)
        .get("/espace/lieux/campagnes/{id}", tableau)
        .get("/mise-a-jour", page_mise_a_jour)
        .post("/mise-a-jour", repondre)
}

fn date(d: chrono::DateTime<chrono::Utc>) -> String {
    d.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y à %H h %M")
        .to_string()
}

fn jour(d: chrono::DateTime<chrono::Utc>) -> String {
    d.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string()
}

fn sans_cache(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn adresse_publique(state: &AppState) -> String {
    state.instance.comptes().reglages().adresse_publique.clone()
}

/// After a correction, this node's search engine is rebuilt at once (the others at their
/// next change check).
async fn recharger(state: &AppState) {
    if let Err(e) = state.recharger().await {
        tracing::error!("rebuilding the search engine after a correction failed: {e}");
    }
}

// ---------------------------------------------------------------------------------------
// The coordinator's editing page.

/// One field of the editing form.
pub struct ChampForm {
    pub nom: &'static str,
    pub libelle: &'static str,
    pub valeur: String,
    pub erreur: Option<String>,
    /// « modifié par la coordination le … », or the source's ref.
    pub provenance: String,
    pub long: bool,
}

/// One line of a place's history of corrections.
pub struct LigneHistorique {
    pub id: i64,
    pub date: String,
    pub champ: String,
    pub valeur: String,
    pub origine: &'static str,
    pub auteur: String,
    /// « annulée le … par … ».
    pub annulee: Option<String>,
}

/// One personal link sent to the place.
pub struct LigneLien {
    pub date: String,
    pub envoi: String,
    pub etat: String,
}

#[derive(Template)]
#[template(path = "espace/lieu_modifier.html")]
struct PageModifier {
    site: Arc<Site>,
    menu: Menu,
    id: String,
    nom: String,
    retire: bool,
    champs: Vec<ChampForm>,
    historique: Vec<LigneHistorique>,
    liens: Vec<LigneLien>,
    message: Option<String>,
    erreurs: Vec<(String, String)>,
}

/// The form of a coordinator's edit: every editable field, as text (lists with `|`).
#[derive(Deserialize, Default)]
pub struct FormulaireLieu {
    nom: Option<String>,
    adresse: Option<String>,
    complement_adresse: Option<String>,
    code_postal: Option<String>,
    commune: Option<String>,
    code_insee: Option<String>,
    latitude: Option<String>,
    longitude: Option<String>,
    telephone: Option<String>,
    courriels: Option<String>,
    site_web: Option<String>,
    horaires: Option<String>,
    prise_rdv: Option<String>,
    services: Option<String>,
    modalites_acces: Option<String>,
    modalites_accompagnement: Option<String>,
    prise_en_charge_specifique: Option<String>,
    fiche_acces_libre: Option<String>,
    publics_specifiquement_adresses: Option<String>,
    frais_a_charge: Option<String>,
    typologie: Option<String>,
    itinerance: Option<String>,
    structure_parente: Option<String>,
    pivot: Option<String>,
    presentation_resume: Option<String>,
    presentation_detail: Option<String>,
    dispositif_programmes_nationaux: Option<String>,
    formations_labels: Option<String>,
    autres_formations_labels: Option<String>,
}

impl FormulaireLieu {
    /// The fields sent, as `(field, text)`.
    fn paires(&self) -> Vec<(String, String)> {
        let champs: [(&str, &Option<String>); 29] = [
            ("nom", &self.nom),
            ("adresse", &self.adresse),
            ("complement_adresse", &self.complement_adresse),
            ("code_postal", &self.code_postal),
            ("commune", &self.commune),
            ("code_insee", &self.code_insee),
            ("latitude", &self.latitude),
            ("longitude", &self.longitude),
            ("telephone", &self.telephone),
            ("courriels", &self.courriels),
            ("site_web", &self.site_web),
            ("horaires", &self.horaires),
            ("prise_rdv", &self.prise_rdv),
            ("services", &self.services),
            ("modalites_acces", &self.modalites_acces),
            ("modalites_accompagnement", &self.modalites_accompagnement),
            (
                "prise_en_charge_specifique",
                &self.prise_en_charge_specifique,
            ),
            ("fiche_acces_libre", &self.fiche_acces_libre),
            (
                "publics_specifiquement_adresses",
                &self.publics_specifiquement_adresses,
            ),
            ("frais_a_charge", &self.frais_a_charge),
            ("typologie", &self.typologie),
            ("itinerance", &self.itinerance),
            ("structure_parente", &self.structure_parente),
            ("pivot", &self.pivot),
            ("presentation_resume", &self.presentation_resume),
            ("presentation_detail", &self.presentation_detail),
            (
                "dispositif_programmes_nationaux",
                &self.dispositif_programmes_nationaux,
            ),
            ("formations_labels", &self.formations_labels),
            ("autres_formations_labels", &self.autres_formations_labels),
        ];
        champs
            .into_iter()
            .filter_map(|(c, v)| v.as_ref().map(|v| (c.to_string(), v.clone())))
            .collect()
    }
}

async fn page_de_fiche(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    id: &str,
    saisies: &[(String, String)],
    erreurs: &[ErreurChamp],
    message: Option<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/lieux/{id}/modifier");
    let fiche = state
        .instance
        .mises_a_jour()
        .fiche(a, id)
        .await
        .ou(&chemin)?;
    let champs = match &fiche.lieu {
        Some(f) => CHAMPS_COORDINATION
            .iter()
            .map(|&(nom, libelle)| {
                let valeur = saisies
                    .iter()
                    .find(|(c, _)| c == nom)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| corr::valeur_du_champ(&f.lieu, nom));
                let provenance = match f.provenance_de(nom) {
                    Some(p) => match corr::Provenance::lire(p) {
                        Some(p) => format!("{} ({})", p.phrase(), p.auteur),
                        None => format!("source : {}", p.replace('|', ", ")),
                    },
                    None => String::new(),
                };
                ChampForm {
                    nom,
                    libelle,
                    erreur: erreurs
                        .iter()
                        .filter(|e| e.champ == nom)
                        .map(|e| e.message.clone())
                        .reduce(|a, b| format!("{a} ; {b}")),
                    valeur,
                    provenance,
                    long: matches!(nom, "presentation_resume" | "presentation_detail"),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let historique = fiche
        .historique
        .iter()
        .rev()
        .map(|c| LigneHistorique {
            id: c.id,
            date: date(c.created_at),
            champ: corr::libelle_champ(&c.champ).to_string(),
            valeur: c.valeur.clone(),
            origine: if c.origine == corr::ORIGINE_LIEU {
                "le lieu"
            } else {
                "la coordination"
            },
            auteur: c.auteur.clone(),
            annulee: c.annulee_at.map(|at| {
                format!(
                    "annulée le {} par {}",
                    date(at),
                    c.annulee_par.clone().unwrap_or_default()
                )
            }),
        })
        .collect();
    let liens = fiche
        .liens
        .iter()
        .rev()
        .map(|l| LigneLien {
            date: date(l.created_at),
            envoi: l
                .courriel
                .clone()
                .map(|c| format!("courriel à {c}"))
                .unwrap_or_else(|| "courrier imprimé".into()),
            etat: match (&l.reponse, l.ouvert_at) {
                (Some(r), _) if r == "confirme" => {
                    format!("confirmé le {}", l.repondu_at.map(jour).unwrap_or_default())
                }
                (Some(_), _) => {
                    format!("corrigé le {}", l.repondu_at.map(jour).unwrap_or_default())
                }
                (None, Some(o)) => format!("ouvert le {}", jour(o)),
                (None, None) => {
                    format!("pas encore ouvert (valable jusqu'au {})", jour(l.expire_at))
                }
            },
        })
        .collect();
    let nom = fiche
        .lieu
        .as_ref()
        .map(|f| f.lieu.nom.clone())
        .unwrap_or_else(|| format!("Lieu {}", fiche.id));
    let erreurs_affichees: Vec<(String, String)> = erreurs
        .iter()
        .map(|e| (corr::libelle_champ(&e.champ).to_string(), e.message.clone()))
        .collect();
    let statut = if erreurs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = rendre(&PageModifier {
        site: state.site.clone(),
        menu: Menu::de(a),
        id: fiche.id.clone(),
        nom,
        retire: fiche.retire,
        champs,
        historique,
        liens,
        message,
        erreurs: erreurs_affichees,
    })?;
    Ok((statut, page).into_response())
}

/// `GET /espace/lieux/{id}/modifier`.
pub async fn page_modifier(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let message = match p.un("fait") {
        Some("modifie") => Some("Modifications enregistrées : la fiche publique est à jour.".into()),
        Some("annule") => Some("Modification annulée : la valeur précédente est rétablie.".into()),
        Some("retire") => Some("Ce lieu est retiré de l'annuaire public. « Annuler » dans l'historique le publie de nouveau.".into()),
        Some("rien") => Some("Aucun champ n'a changé.".into()),
        _ => None,
    };
    page_de_fiche(&state, &a, &id, &[], &[], message).await
}

fn vers(chemin: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, chemin)]).into_response()
}

/// `POST /espace/lieux/{id}/modifier`: the changed fields become the coordination's
/// corrections, or the form again with each field's refusal.
pub async fn modifier(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireLieu>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/lieux/{id}/modifier");
    let paires = f.paires();
    match state
        .instance
        .mises_a_jour()
        .modifier(&a, &id, &paires)
        .await
        .ou(&chemin)?
    {
        Ok(0) => Ok(vers(format!("{chemin}?fait=rien"))),
        Ok(_) => {
            recharger(&state).await;
            Ok(vers(format!("{chemin}?fait=modifie")))
        }
        Err(erreurs) => page_de_fiche(&state, &a, &id, &paires, &erreurs, None).await,
    }
}

/// The form undoing a correction.
#[derive(Deserialize)]
pub struct FormulaireAnnuler {
    #[serde(default)]
    correction: String,
}

/// `POST /espace/lieux/{id}/annuler`.
pub async fn annuler(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireAnnuler>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/lieux/{id}/modifier");
    // An unreadable number names no correction of the place: « introuvable », after the
    // module has checked who asks.
    let correction: i64 = f.correction.trim().parse().unwrap_or(0);
    state
        .instance
        .mises_a_jour()
        .annuler(&a, &id, correction)
        .await
        .ou(&chemin)?;
    recharger(&state).await;
    Ok(vers(format!("{chemin}?fait=annule")))
}

/// A form with only its CSRF token.
#[derive(Deserialize)]
pub struct FormulaireVide {}

/// `POST /espace/lieux/{id}/retirer`.
pub async fn retirer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, _f): FormulaireConnecte<FormulaireVide>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/lieux/{id}/modifier");
    state
        .instance
        .mises_a_jour()
        .retirer(&a, &id)
        .await
        .ou(&chemin)?;
    recharger(&state).await;
    Ok(vers(format!("{chemin}?fait=retire")))
}

// ---------------------------------------------------------------------------------------
// Links and campaigns.

/// A link as the sending page shows it.
pub struct LigneEnvoi {
    pub lieu_id: String,
    pub nom: String,
    pub adresse: String,
    pub url: String,
    pub echeance: String,
    pub courriel: Option<String>,
}

impl From<LienCree> for LigneEnvoi {
    fn from(l: LienCree) -> Self {
        LigneEnvoi {
            lieu_id: l.lieu_id,
            nom: l.lieu_nom,
            adresse: l.adresse,
            url: l.url,
            echeance: jour(l.expire_at),
            courriel: l.courriel,
        }
    }
}

#[derive(Template)]
#[template(path = "espace/lieux_envoi.html")]
struct PageEnvoi {
    site: Arc<Site>,
    menu: Menu,
    titre: String,
    campagne: Option<i64>,
    retour: String,
    courriels: Vec<LigneEnvoi>,
    courriers: Vec<LigneEnvoi>,
}

fn page_envoi(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    titre: String,
    campagne: Option<i64>,
    retour: String,
    liens: Vec<LienCree>,
) -> Result<Response, ErreurWeb> {
    let (courriels, courriers): (Vec<LigneEnvoi>, Vec<LigneEnvoi>) = liens
        .into_iter()
        .map(LigneEnvoi::from)
        .partition(|l| l.courriel.is_some());
    rendre(&PageEnvoi {
        site: state.site.clone(),
        menu: Menu::de(a),
        titre,
        campagne,
        retour,
        courriels,
        courriers,
    })
}

/// `POST /espace/lieux/{id}/lien`: the place's personal link, by e-mail or as a letter to
/// print (shown once: only its hash is kept).
pub async fn envoyer_lien(
    State(state): State<AppState>,
    Path(id): Path<String>,
    FormulaireConnecte(a, _f): FormulaireConnecte<FormulaireVide>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/lieux/{id}/modifier");
    let lien = state
        .instance
        .mises_a_jour()
        .envoyer_lien(&a, &id, &adresse_publique(&state))
        .await
        .ou(&chemin)?;
    page_envoi(
        &state,
        &a,
        format!("Lien personnel de « {} »", lien.lieu_nom),
        None,
        chemin,
        vec![lien],
    )
}

/// One campaign as listed.
pub struct LigneCampagne {
    pub id: i64,
    pub nom: String,
    pub territoire: String,
    pub date: String,
    pub par: String,
}

#[derive(Template)]
#[template(path = "espace/lieux_campagnes.html")]
struct PageCampagnes {
    site: Arc<Site>,
    menu: Menu,
    campagnes: Vec<LigneCampagne>,
    territoires: Vec<(String, String)>,
    admin: bool,
    erreur: Option<String>,
    nom: String,
    territoire: String,
    duree_jours: i64,
}

async fn page_campagnes(
    state: &AppState,
    a: &maillage_comptes::Acteur,
    erreur: Option<String>,
    nom: String,
    territoire: String,
) -> Result<Response, ErreurWeb> {
    let m = state.instance.mises_a_jour();
    let referentiel = state.annuaire.referentiel();
    let campagnes = m
        .campagnes(a)
        .await
        .ou("/espace/lieux/campagnes")?
        .into_iter()
        .map(|c| LigneCampagne {
            id: c.id,
            nom: c.nom,
            territoire: referentiel
                .territoire(&c.territoire)
                .map(|t| t.nom().to_string())
                .unwrap_or(c.territoire),
            date: jour(c.created_at),
            par: c.cree_par,
        })
        .collect();
    let territoires = a
        .territoires
        .iter()
        .map(|t| {
            (
                maillage_comptes::acces::code_territoire(t),
                t.nom().to_string(),
            )
        })
        .collect();
    let statut = if erreur.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = rendre(&PageCampagnes {
        site: state.site.clone(),
        menu: Menu::de(a),
        campagnes,
        territoires,
        admin: a.role == Role::Administrateur,
        erreur,
        nom,
        territoire,
        duree_jours: m.duree_lien().num_days(),
    })?;
    Ok((statut, page).into_response())
}

/// `GET /espace/lieux/campagnes`: the campaigns and the form starting one.
pub async fn campagnes(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    page_campagnes(&state, &a, None, String::new(), String::new()).await
}

/// The form starting a campaign.
#[derive(Deserialize)]
pub struct FormulaireCampagne {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    territoire: String,
}

/// `POST /espace/lieux/campagnes`: every published place of the territory gets its link.
pub async fn lancer_campagne(
    State(state): State<AppState>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireCampagne>,
) -> Result<Response, ErreurWeb> {
    match state
        .instance
        .mises_a_jour()
        .lancer_campagne(&a, &f.nom, &f.territoire, &adresse_publique(&state))
        .await
    {
        Ok((id, liens)) => page_envoi(
            &state,
            &a,
            format!("Campagne « {} » envoyée", f.nom.trim()),
            Some(id),
            format!("/espace/lieux/campagnes/{id}"),
            liens,
        ),
        Err(maillage_comptes::ErreurComptes::Invalide { champ, message }) => {
            let libelle = if champ == "nom" { "Nom" } else { "Territoire" };
            page_campagnes(
                &state,
                &a,
                Some(format!("{libelle} : {message}.")),
                f.nom,
                f.territoire,
            )
            .await
        }
        Err(e) => Err(ErreurWeb::mediation(e, "/espace/lieux/campagnes".into())),
    }
}

/// One commune of a dashboard.
pub struct LigneTableauPage {
    pub commune: String,
    pub envoyes: usize,
    pub ouverts: usize,
    pub confirmes: usize,
    pub corriges: usize,
    pub taux: String,
}

impl From<&corr::LigneTableau> for LigneTableauPage {
    fn from(l: &corr::LigneTableau) -> Self {
        LigneTableauPage {
            commune: l.commune.clone(),
            envoyes: l.envoyes,
            ouverts: l.ouverts,
            confirmes: l.confirmes,
            corriges: l.corriges,
            taux: format!("{:.0} %", l.taux_reponse()).replace('.', ","),
        }
    }
}

#[derive(Template)]
#[template(path = "espace/lieux_campagne.html")]
struct PageTableau {
    site: Arc<Site>,
    menu: Menu,
    nom: String,
    territoire: String,
    date: String,
    total: LigneTableauPage,
    communes: Vec<LigneTableauPage>,
}

/// `GET /espace/lieux/campagnes/{id}`: sent, opened, confirmed, corrected, response rate,
/// by commune.
pub async fn tableau(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let chemin = format!("/espace/lieux/campagnes/{id}");
    let id: i64 = id
        .parse()
        .map_err(|_| ErreurWeb::Introuvable("Aucune campagne ne porte ce numéro.".into()))?;
    let t = state
        .instance
        .mises_a_jour()
        .tableau(&a, id)
        .await
        .ou(&chemin)?;
    let territoire = state
        .annuaire
        .referentiel()
        .territoire(&t.campagne.territoire)
        .map(|x| x.nom().to_string())
        .unwrap_or_else(|_| t.campagne.territoire.clone());
    rendre(&PageTableau {
        site: state.site.clone(),
        menu: Menu::de(&a),
        nom: t.campagne.nom.clone(),
        territoire,
        date: jour(t.campagne.created_at),
        total: (&t.total).into(),
        communes: t.communes.iter().map(Into::into).collect(),
    })
}

// ---------------------------------------------------------------------------------------
// The place's own form, without an account.

/// A text field of the place's form.
pub struct ChampTexte {
    pub nom: &'static str,
    pub libelle: &'static str,
    pub aide: &'static str,
    pub valeur: String,
    pub erreur: Option<String>,
}

/// A list of boxes of the place's form.
pub struct ChampCases {
    pub nom: &'static str,
    pub libelle: &'static str,
    /// `(label, ticked)`.
    pub cases: Vec<(&'static str, bool)>,
    pub erreur: Option<String>,
}

#[derive(Template)]
#[template(path = "mise_a_jour.html")]
struct PageMiseAJour {
    site: Arc<Site>,
    jeton: String,
    lieu_id: String,
    nom: String,
    adresse: String,
    textes: Vec<ChampTexte>,
    listes: Vec<ChampCases>,
    erreurs: Vec<(String, String)>,
    alerte: Option<String>,
}

#[derive(Template)]
#[template(path = "mise_a_jour_fin.html")]
struct PageMiseAJourFin {
    site: Arc<Site>,
    titre: String,
    message: String,
    lieu_id: Option<String>,
}

fn refus(state: &AppState, r: RefusLien) -> Result<Response, ErreurWeb> {
    let statut = match r {
        RefusLien::Inconnu => StatusCode::NOT_FOUND,
        RefusLien::Expire | RefusLien::DejaUtilise | RefusLien::LieuAbsent => StatusCode::GONE,
    };
    let page = crate::erreur::rendre(&PageMiseAJourFin {
        site: state.site.clone(),
        titre: "Ce lien ne peut plus servir".into(),
        message: r.to_string(),
        lieu_id: None,
    })?;
    Ok(sans_cache((statut, page).into_response()))
}

const TEXTES_DU_LIEU: [(&str, &str, &str); 5] = [
    (
        "horaires",
        "Horaires d'ouverture",
        "Au format OpenStreetMap, par exemple « Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00 » (Mo lundi, Tu mardi, We mercredi, Th jeudi, Fr vendredi, Sa samedi, Su dimanche).",
    ),
    ("telephone", "Téléphone", "Par exemple « 05 61 00 00 00 »."),
    (
        "courriels",
        "Courriels",
        "Séparez plusieurs adresses par « | ».",
    ),
    (
        "site_web",
        "Site web",
        "Adresse complète, par exemple « https://www.exemple.fr ». Séparez plusieurs adresses par « | ».",
    ),
    (
        "fiche_acces_libre",
        "Fiche d'accessibilité Acceslibre",
        "L'adresse de votre fiche sur acceslibre.beta.gouv.fr, si vous en avez une.",
    ),
];

fn cases<V: Vocabulary>(
    nom: &'static str,
    libelle: &'static str,
    actuel: &str,
    erreurs: &[ErreurChamp],
) -> ChampCases {
    let coches: Vec<&str> = actuel.split('|').map(str::trim).collect();
    ChampCases {
        nom,
        libelle,
        cases: V::ALL
            .iter()
            .map(|v| (v.label(), coches.contains(&v.label())))
            .collect(),
        erreur: erreurs
            .iter()
            .find(|e| e.champ == nom)
            .map(|e| e.message.clone()),
    }
}

fn page_formulaire(
    state: &AppState,
    jeton: &str,
    f: &maillage_annuaire::doublons::LieuFusionne,
    saisies: &[(String, String)],
    erreurs: &[ErreurChamp],
    alerte: Option<String>,
) -> Result<Html<String>, ErreurWeb> {
    let valeur = |c: &str| {
        saisies
            .iter()
            .find(|(k, _)| k == c)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| corr::valeur_du_champ(&f.lieu, c))
    };
    crate::erreur::rendre(&PageMiseAJour {
        site: state.site.clone(),
        jeton: jeton.to_string(),
        lieu_id: f.id.clone(),
        nom: f.lieu.nom.clone(),
        adresse: format!(
            "{}, {} {}",
            f.lieu.adresse, f.lieu.code_postal, f.lieu.commune
        ),
        textes: TEXTES_DU_LIEU
            .iter()
            .map(|&(nom, libelle, aide)| ChampTexte {
                nom,
                libelle,
                aide,
                valeur: valeur(nom),
                erreur: erreurs
                    .iter()
                    .find(|e| e.champ == nom)
                    .map(|e| e.message.clone()),
            })
            .collect(),
        listes: vec![
            cases::<maillage_domain::Service>(
                "services",
                "Services proposés",
                &valeur("services"),
                erreurs,
            ),
            cases::<maillage_domain::ModaliteAcces>(
                "modalites_acces",
                "Comment venir",
                &valeur("modalites_acces"),
                erreurs,
            ),
            cases::<maillage_domain::PriseEnChargeSpecifique>(
                "prise_en_charge_specifique",
                "Accueil adapté (accessibilité)",
                &valeur("prise_en_charge_specifique"),
                erreurs,
            ),
        ],
        erreurs: erreurs
            .iter()
            .map(|e| (corr::libelle_champ(&e.champ).to_string(), e.message.clone()))
            .collect(),
        alerte,
    })
}

/// `GET /mise-a-jour?jeton=…`: the place's entry, to confirm or correct (no account).
pub async fn page_mise_a_jour(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = Parametres::depuis(q.as_deref());
    let jeton = p.un("jeton").unwrap_or("").to_string();
    match state.instance.mises_a_jour().ouvrir_lien(&jeton).await {
        Ok(f) => Ok(sans_cache(
            page_formulaire(&state, &jeton, &f, &[], &[], None)?.into_response(),
        )),
        Err(r) => refus(&state, r),
    }
}

/// The place's answer: `action` `confirmer` (« Tout est juste ») or `corriger` with the
/// fields.
#[derive(Deserialize)]
pub struct FormulaireMiseAJour {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    action: String,
    horaires: Option<String>,
    telephone: Option<String>,
    courriels: Option<String>,
    site_web: Option<String>,
    fiche_acces_libre: Option<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    modalites_acces: Vec<String>,
    #[serde(default)]
    prise_en_charge_specifique: Vec<String>,
}

/// `POST /mise-a-jour`.
pub async fn repondre(
    State(state): State<AppState>,
    entetes: HeaderMap,
    Formulaire(f): Formulaire<FormulaireMiseAJour>,
) -> Result<Response, ErreurWeb> {
    let m = state.instance.mises_a_jour();
    if !crate::signalements::origine_acceptee(&entetes, Some(&adresse_publique(&state))) {
        return match m.ouvrir_lien(&f.jeton).await {
            Ok(lieu) => Ok(sans_cache(
                (
                    StatusCode::FORBIDDEN,
                    page_formulaire(
                        &state,
                        &f.jeton,
                        &lieu,
                        &[],
                        &[],
                        Some("Ce formulaire n'a pas été envoyé depuis ce site : vérifiez vos informations et envoyez-les de nouveau.".into()),
                    )?,
                )
                    .into_response(),
            )),
            Err(r) => refus(&state, r),
        };
    }
    let reponse = if f.action == "confirmer" {
        ReponseLieu::Confirme
    } else {
        let mut valeurs: Vec<(String, String)> = [
            ("horaires", &f.horaires),
            ("telephone", &f.telephone),
            ("courriels", &f.courriels),
            ("site_web", &f.site_web),
            ("fiche_acces_libre", &f.fiche_acces_libre),
        ]
        .into_iter()
        .filter_map(|(c, v)| v.as_ref().map(|v| (c.to_string(), v.clone())))
        .collect();
        for (c, v) in [
            ("services", &f.services),
            ("modalites_acces", &f.modalites_acces),
            ("prise_en_charge_specifique", &f.prise_en_charge_specifique),
        ] {
            valeurs.push((c.to_string(), v.join("|")));
        }
        ReponseLieu::Corrige(valeurs)
    };
    let saisies = match &reponse {
        ReponseLieu::Corrige(v) => v.clone(),
        ReponseLieu::Confirme => Vec::new(),
    };
    let confirme = reponse == ReponseLieu::Confirme;
    match m.repondre(&f.jeton, reponse).await {
        Ok(Ok(lieu_id)) => {
            recharger(&state).await;
            Ok(sans_cache(
                crate::erreur::rendre(&PageMiseAJourFin {
                    site: state.site.clone(),
                    titre: "Merci !".into(),
                    message: if confirme {
                        "Merci d'avoir vérifié vos informations : la date de vérification apparaît maintenant sur votre fiche.".into()
                    } else {
                        "Merci : vos corrections sont enregistrées et apparaissent maintenant sur votre fiche publique, avec la mention « mis à jour par le lieu ».".into()
                    },
                    lieu_id: Some(lieu_id),
                })?
                .into_response(),
            ))
        }
        Ok(Err(erreurs)) => match m.ouvrir_lien(&f.jeton).await {
            Ok(lieu) => Ok(sans_cache(
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    page_formulaire(&state, &f.jeton, &lieu, &saisies, &erreurs, None)?,
                )
                    .into_response(),
            )),
            Err(r) => refus(&state, r),
        },
        Err(r) => refus(&state, r),
    }
}
