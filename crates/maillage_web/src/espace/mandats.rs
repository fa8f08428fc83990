//! Pages of the Mandats module: the aidant's pages under `/espace/mandats`, the person's
//! space `/mon-mandat`, the public check `/verifier`, the journal's public key and the
//! auditors' verification endpoint.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maillage_comptes::{securite, Acteur, ErreurComptes};
use maillage_domain::mandats::{Action, Demarche, DureeMandat, Entree};
use maillage_domain::mediation::Role;
use maillage_domain::{MandatId, StructureId};
use maillage_mandats::document::{date_heure, date_longue, PIECES};
use maillage_mandats::{
    DemandeMandat, DocumentMandat, ErreurMandat, FicheMandat, Identite, Mandats, SessionEspace,
    MODELE_COURANT,
};
use serde::Deserialize;

use super::connexion::{avec_pre, securise, verifier_pre, AdresseClient};
use super::pages::{refuser_si, Menu};
use super::{cookie, rendre, Connecte, OuRetour};
use crate::erreur::ErreurWeb;
use crate::formulaires::{lire_formulaire, FormulaireConnecte};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;

/// The routes of Mandats: the aidants' pages, the person's space, the public check, the
/// journal's public key and the auditors' verification (JSON, documented).
pub(crate) fn routeur() -> RouteurModule {
    RouteurModule::new(Module::Mandats)
        .get("/espace/mandats", liste)
        .post("/espace/habilitations", habiliter)
        .get("/espace/mandats/nouveau", nouveau)
        .get("/espace/mandats/identite", identification)
        .get("/espace/mandats/identite/retour", retour_identification)
        .post("/espace/mandats", signer)
        .get("/espace/mandats/{id}", fiche)
        .post("/espace/mandats/{id}", agir)
        .get("/espace/mandats/{id}/imprimer", imprimer)
        .get("/espace/mandats/{id}/mandat.pdf", pdf)
        .post("/espace/mandats/{id}/mandat.pdf", pdf_personne)
        .get("/espace/mandats/{id}/attestation-revocation", attestation)
        .get("/mon-mandat", personne)
        .post("/mon-mandat", personne_agir)
        .get("/mon-mandat/attestation", attestation_personne)
        .get("/verifier", verifier)
        .get("/.well-known/maillage-journal.pub", cle_publique)
        .api(utoipa_axum::routes!(verification_journal))
}

pub(crate) fn mandats(state: &AppState) -> Result<&Mandats, ErreurWeb> {
    Ok(state.instance.mandats()?)
}

/// A démarche for forms and lists.
pub struct LigneDemarche {
    pub code: &'static str,
    pub titre: &'static str,
    pub description: &'static str,
    pub exemples: String,
    pub mention: Option<&'static str>,
    pub coche: bool,
}

fn lignes_demarches(cochees: &[Demarche]) -> Vec<LigneDemarche> {
    Demarche::TOUTES
        .iter()
        .map(|d| LigneDemarche {
            code: d.code(),
            titre: d.titre(),
            description: d.description(),
            exemples: d.exemples().join(", "),
            mention: d.mention_legale(),
            coche: cochees.contains(d),
        })
        .collect()
}

/// One line of a journal as shown to people.
pub struct LigneJournal {
    pub seq: i64,
    pub quand: String,
    pub quoi: &'static str,
    pub qui: String,
    pub demarches: String,
    pub detail: String,
}

/// Who reads the journal: the person sees their own acts as « vous-même », the aidant
/// (mandate page, attestation) as « la personne ».
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lecteur {
    Aidant,
    Personne,
}

async fn lignes_journal(m: &Mandats, entrees: &[Entree], lecteur: Lecteur) -> Vec<LigneJournal> {
    let mut out = Vec::with_capacity(entrees.len());
    for e in entrees {
        let quoi = Action::depuis_code(&e.contenu.action).map_or("Événement", |a| a.libelle());
        let demarches = Demarche::liste(&e.contenu.demarches)
            .map(|v| {
                v.iter()
                    .map(|d| d.titre_court())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let detail = if e.contenu.details.contains("\"remplacee\"") {
            "remplacée par un mandat plus récent".to_string()
        } else if e.contenu.details.contains("\"renouvellement\"") {
            "remplacé par son renouvellement".to_string()
        } else {
            motif_refus(&e.contenu.details).unwrap_or_default()
        };
        out.push(LigneJournal {
            seq: e.seq,
            quand: chrono::DateTime::from_timestamp_micros(e.contenu.at_us)
                .map(date_heure)
                .unwrap_or_default(),
            quoi,
            qui: if lecteur == Lecteur::Aidant && e.contenu.acteur.starts_with("usager:") {
                "la personne".to_string()
            } else {
                m.nom_acteur(&e.contenu.acteur).await
            },
            demarches,
            detail,
        });
    }
    out
}

/// The aidants' notes on declared uses, shown with the use they go with.
fn ajouter_notes(lignes: &mut [LigneJournal], notes: &std::collections::HashMap<i64, String>) {
    for l in lignes {
        if let Some(n) = notes.get(&l.seq) {
            l.detail = if l.detail.is_empty() {
                format!("Note de l’aidant : {n}")
            } else {
                format!("{} — Note de l’aidant : {n}", l.detail)
            };
        }
    }
}

fn motif_refus(details: &str) -> Option<String> {
    let code = details.split("\"motif\":\"").nth(1)?.split('"').next()?;
    Some(
        match code {
            "hors_perimetre" => "démarche non couverte",
            "demarche_revoquee" => "démarche révoquée",
            "mandat_revoque" => "mandat révoqué",
            "expire" => "mandat expiré",
            "autre_structure" => "autre structure",
            "non_habilite" => "compte non habilité",
            _ => return None,
        }
        .to_string(),
    )
}

/// A mandate in a list.
pub struct LigneMandat {
    pub id: MandatId,
    pub personne: String,
    pub demarches: String,
    pub debut: String,
    pub fin: String,
    pub etat: &'static str,
}

fn etat(
    m: &maillage_mandats::stockage::MandatRow,
    now: chrono::DateTime<chrono::Utc>,
) -> &'static str {
    if m.revoque_at.is_some() {
        "révoqué"
    } else if now >= m.expire_at {
        "expiré"
    } else if m.actif(now) {
        "actif"
    } else {
        "sans démarche active"
    }
}

fn demarches_actives(m: &maillage_mandats::stockage::MandatRow) -> Vec<Demarche> {
    m.autorisations
        .iter()
        .filter(|a| a.revoquee_at.is_none())
        .map(|a| a.demarche)
        .collect()
}

fn titres(d: &[Demarche]) -> String {
    d.iter()
        .map(|d| d.titre_court())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "espace/mandats.html")]
struct PageMandats {
    site: Arc<Site>,
    menu: Menu,
    habilite: bool,
    peut_habiliter: bool,
    mandats: Vec<LigneMandat>,
    message: Option<String>,
    erreur: Option<String>,
}

async fn page_mandats(
    state: &AppState,
    a: &Acteur,
    message: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(state)?;
    let chemin = "/espace/mandats";
    let habilite = m.est_habilite(a).await.ou(chemin)?;
    let now = m.comptes().maintenant();
    let lignes = if habilite {
        m.mandats_de_ma_structure(a)
            .await
            .ou(chemin)?
            .into_iter()
            .map(|(row, identite)| LigneMandat {
                id: MandatId::new(row.id),
                personne: identite
                    .map(|i| i.nom_complet())
                    .unwrap_or_else(|| "(données effacées)".into()),
                demarches: titres(&demarches_actives(&row)),
                debut: date_longue(row.created_at),
                fin: date_longue(row.expire_at),
                etat: etat(&row, now),
            })
            .collect()
    } else {
        Vec::new()
    };
    let refuse = erreur.is_some();
    let r = rendre(&PageMandats {
        site: state.site.clone(),
        menu: Menu::de(a),
        habilite,
        peut_habiliter: a.role != Role::Mediateur,
        mandats: lignes,
        message,
        erreur,
    })?;
    Ok(refuser_si(r, refuse))
}

pub async fn liste(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    page_mandats(&state, &a, None, None).await
}

/// Coordinators and administrators habilitate a mediator by e-mail address.
/// The form habilitating an account (by its e-mail address).
#[derive(Deserialize)]
pub struct FormulaireHabilitation {
    #[serde(default)]
    email: String,
}

pub async fn habiliter(
    State(state): State<AppState>,
    FormulaireConnecte(a, c): FormulaireConnecte<FormulaireHabilitation>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let resultat = m.habiliter_par_email(&a, c.email.trim()).await;
    match resultat {
        Ok(nom) => {
            page_mandats(
                &state,
                &a,
                Some(format!("{nom} est habilité·e à signer des mandats.")),
                None,
            )
            .await
        }
        Err(e @ ErreurMandat::Invalide { .. }) => {
            page_mandats(&state, &a, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mandat(e, "/espace/mandats".into())),
    }
}

#[derive(Template)]
#[template(path = "espace/mandat_form.html")]
struct PageFormulaire {
    site: Arc<Site>,
    menu: Menu,
    demarches: Vec<LigneDemarche>,
    durees: Vec<(&'static str, &'static str, bool)>,
    pieces: Vec<(&'static str, &'static str)>,
    personnes: Vec<(i64, String, bool)>,
    renouvelle: Option<MandatId>,
    valeurs: Valeurs,
    erreur: Option<String>,
    /// The identity provider's name, when one is configured.
    fournisseur: Option<String>,
    /// `(name, birth date, how it was checked)` of the identity the provider just verified.
    identite_verifiee: Option<(String, String, String)>,
}

#[derive(Default)]
struct Valeurs {
    nom: String,
    prenoms: String,
    naissance: String,
    piece: String,
}

#[derive(Deserialize)]
pub struct ParamsFormulaire {
    renouvelle: Option<MandatId>,
}

async fn page_formulaire(
    state: &AppState,
    a: &Acteur,
    renouvelle: Option<MandatId>,
    c: Option<&FormulaireSignature>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(state)?;
    let chemin = "/espace/mandats/nouveau";
    if !m.est_habilite(a).await.ou(chemin)? {
        return Err(ErreurWeb::mandat(ErreurMandat::NonHabilite, chemin.into()));
    }
    // A renewal starts from the mandate's person and démarches; the consent is asked again.
    let (mut cochees, mut personne, mut duree) = (Vec::new(), None, "6m".to_string());
    if let Some(id) = renouvelle {
        let f = m.document(a, id).await.ou(chemin)?;
        cochees = demarches_actives(&f.mandat);
        personne = Some(f.mandat.usager_id);
        duree = f.mandat.duree.clone();
    }
    if let Some(c) = c {
        cochees = c.demarches_lisibles();
        personne = c.personne();
        duree = c.duree.trim().to_string();
    }
    let personnes = m
        .personnes(a)
        .await
        .ou(chemin)?
        .into_iter()
        .map(|(id, i)| {
            let n = format!(
                "{} (née ou né le {})",
                i.nom_complet(),
                i.date_naissance
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default()
            );
            (id, n, Some(id) == personne)
        })
        .collect();
    let valeurs = c.map_or_else(Valeurs::default, |c| Valeurs {
        nom: c.nom.trim().to_string(),
        prenoms: c.prenoms.trim().to_string(),
        naissance: c.naissance.trim().to_string(),
        piece: c.piece.trim().to_string(),
    });
    let verifiee = m.identite_verifiee(a).await.ou(chemin)?;
    let refuse = erreur.is_some();
    let r = rendre(&PageFormulaire {
        site: state.site.clone(),
        menu: Menu::de(a),
        demarches: lignes_demarches(&cochees),
        durees: DureeMandat::TOUTES
            .iter()
            .map(|d| (d.code(), d.libelle(), d.code() == duree))
            .collect(),
        pieces: PIECES.to_vec(),
        personnes,
        renouvelle,
        valeurs,
        erreur,
        fournisseur: m.fournisseur_libelle(),
        identite_verifiee: verifiee.map(|i| {
            (
                i.nom_complet(),
                i.date_naissance
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                i.verification_lisible(),
            )
        }),
    })?;
    Ok(refuser_si(r, refuse))
}

/// Starts the identity check with the provider (303 to it).
pub async fn identification(
    State(state): State<AppState>,
    Connecte(a): Connecte,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let chemin = "/espace/mandats/nouveau";
    match m.demarrer_identification(&a).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e @ ErreurMandat::Invalide { .. }) => {
            page_formulaire(&state, &a, None, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mandat(e, chemin.into())),
    }
}

#[derive(Deserialize)]
pub struct ParamsRetour {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The provider's callback: back to the form with the verified identity, or the reason.
pub async fn retour_identification(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Query(p): Query<ParamsRetour>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let resultat = match (&p.error, &p.code, &p.state) {
        (Some(e), _, _) => Err(ErreurMandat::invalide(
            "identité",
            format!("la vérification n’a pas abouti ({e}) : la personne l’a annulée ou le fournisseur l’a refusée"),
        )),
        (None, Some(code), Some(etat)) => m.terminer_identification(&a, code, etat).await,
        _ => Err(ErreurMandat::invalide("identité", "réponse incomplète du fournisseur")),
    };
    match resultat {
        Ok(_) => Ok(Redirect::to("/espace/mandats/nouveau").into_response()),
        Err(e @ ErreurMandat::Invalide { .. }) => {
            page_formulaire(&state, &a, None, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mandat(e, "/espace/mandats/nouveau".into())),
    }
}

pub async fn nouveau(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Query(p): Query<ParamsFormulaire>,
) -> Result<Response, ErreurWeb> {
    page_formulaire(&state, &a, p.renouvelle, None, None).await
}

#[derive(Template)]
#[template(path = "espace/mandat_imprimer.html")]
struct PageImpression {
    site: Arc<Site>,
    csrf: String,
    id: MandatId,
    document: DocumentMandat,
    demarches: Vec<LigneDemarche>,
    debut: String,
    fin: String,
    empreinte: String,
    qr: String,
    url_verification: String,
    code_personnel: Option<String>,
    naissance: String,
    verification: String,
    nouveau: bool,
    /// The copies printed: the person's (with their code, only right after signing) and
    /// the structure's (never with it).
    exemplaires: Vec<Exemplaire>,
    /// Full address of « Mon mandat ».
    adresse_mon_mandat: String,
}

/// One printed copy of a mandate.
pub struct Exemplaire {
    pub titre: &'static str,
    pub code: Option<String>,
}

/// The instance's public address: `MAILLAGE_ADRESSE_PUBLIQUE` when configured, else the
/// address the request came to (its `Host`), else the default of the settings.
pub(crate) fn adresse_publique(state: &AppState, headers: &HeaderMap) -> String {
    if let Ok(a) = std::env::var("MAILLAGE_ADRESSE_PUBLIQUE") {
        if !a.trim().is_empty() {
            return a.trim().trim_end_matches('/').to_string();
        }
    }
    let hote = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    if let Some(h) = hote {
        let schema = if securise(state) { "https" } else { "http" };
        return format!("{schema}://{h}");
    }
    state
        .instance
        .comptes()
        .reglages()
        .adresse_publique
        .trim_end_matches('/')
        .to_string()
}

fn url_verification(base: &str, empreinte: &str) -> String {
    format!("{base}/verifier?empreinte={empreinte}")
}

fn page_impression(
    state: &AppState,
    a: &Acteur,
    headers: &HeaderMap,
    f: &FicheMandat,
    code_personnel: Option<String>,
) -> Result<Response, ErreurWeb> {
    let Some(document) = f.document.clone() else {
        return Err(ErreurWeb::mandat(ErreurMandat::Introuvable, String::new()));
    };
    let base = adresse_publique(state, headers);
    let url = url_verification(&base, &f.mandat.empreinte);
    let exemplaires = match &code_personnel {
        Some(code) => vec![
            Exemplaire {
                titre: "Exemplaire de la personne",
                code: Some(code.clone()),
            },
            Exemplaire {
                titre: "Exemplaire de la structure",
                code: None,
            },
        ],
        None => vec![Exemplaire {
            titre: "Exemplaire de la structure",
            code: None,
        }],
    };
    rendre(&PageImpression {
        site: state.site.clone(),
        csrf: a.csrf().to_string(),
        exemplaires,
        adresse_mon_mandat: format!("{base}/mon-mandat"),
        id: MandatId::new(f.mandat.id),
        demarches: lignes_demarches(&[])
            .into_iter()
            .filter(|l| document.demarches.iter().any(|d| d.code() == l.code))
            .collect(),
        debut: date_heure(document.debut),
        fin: date_longue(document.fin),
        naissance: document
            .usager
            .date_naissance
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        verification: document.usager.verification_lisible(),
        document,
        empreinte: f.mandat.empreinte.clone(),
        qr: securite::qr_svg_avec(&url, "QR code de vérification du mandat"),
        url_verification: url,
        nouveau: code_personnel.is_some(),
        code_personnel,
    })
}

/// The form signing a mandate (`POST /espace/mandats`): the démarches ticked, the person
/// (one of the structure's, verified by the identity provider, or declared from a
/// document), the declarations, the aidant's second factor, and the mandate it renews.
#[derive(Deserialize)]
pub struct FormulaireSignature {
    /// The démarches ticked (repeated field).
    #[serde(default)]
    demarche: Vec<String>,
    #[serde(default)]
    duree: String,
    /// A person of the structure, by number; empty for a new person.
    #[serde(default)]
    personne: String,
    /// Checkbox: the identity just verified by the provider.
    identite_fournisseur: Option<String>,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    prenoms: String,
    #[serde(default)]
    naissance: String,
    #[serde(default)]
    piece: String,
    /// Checkbox: the aidant checked the identity on the document shown.
    identite_verifiee: Option<String>,
    /// Checkbox: no legal protection measure forbids it.
    pas_de_protection: Option<String>,
    /// Checkbox: the person's explicit consent.
    consentement: Option<String>,
    /// Checkbox: the legal notices were read to the person.
    mentions_lues: Option<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    renouvelle: String,
}

impl FormulaireSignature {
    /// The person chosen among the structure's, if any.
    fn personne(&self) -> Option<i64> {
        self.personne.trim().parse().ok()
    }

    /// The mandate renewed, if any.
    fn renouvelle(&self) -> Option<MandatId> {
        self.renouvelle.trim().parse().ok()
    }

    /// The démarches ticked that are démarches (to show the form again).
    fn demarches_lisibles(&self) -> Vec<Demarche> {
        self.demarche
            .iter()
            .filter_map(|d| d.parse().ok())
            .collect()
    }
}

/// A signature form as read on a day (a declared birth date is checked against it).
struct Signature<'a> {
    formulaire: &'a FormulaireSignature,
    aujourdhui: NaiveDate,
}

/// The request of a signature form: every démarche must be one, the duration one of the
/// durations, and a new person declared, or verified by the provider, with the identity
/// checked.
impl TryFrom<Signature<'_>> for DemandeMandat {
    type Error = ErreurMandat;

    fn try_from(
        Signature {
            formulaire: c,
            aujourdhui,
        }: Signature<'_>,
    ) -> Result<DemandeMandat, ErreurMandat> {
        let demarches = c
            .demarche
            .iter()
            .map(|d| {
                d.parse::<Demarche>()
                    .map_err(|e| ErreurMandat::invalide("démarches", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let duree = c
            .duree
            .trim()
            .parse::<DureeMandat>()
            .map_err(|e| ErreurMandat::invalide("durée", e))?;
        let personne = c.personne();
        let par_fournisseur = personne.is_none() && c.identite_fournisseur.is_some();
        let identite = match personne {
            Some(_) => None,
            None if par_fournisseur => None,
            None => Some(
                Identite::declaree(
                    c.nom.trim(),
                    c.prenoms.trim(),
                    c.naissance.trim(),
                    c.piece.trim(),
                    aujourdhui,
                )
                .map_err(|(champ, message)| ErreurMandat::Invalide { champ, message })?,
            ),
        };
        if personne.is_none() && !par_fournisseur && c.identite_verifiee.is_none() {
            return Err(ErreurMandat::invalide(
                "identité",
                "confirmez avoir vérifié l’identité sur la pièce présentée",
            ));
        }
        Ok(DemandeMandat {
            usager: personne,
            identite,
            demarches,
            duree,
            pas_de_protection_juridique: c.pas_de_protection.is_some(),
            consentement: c.consentement.is_some(),
            mentions_lues: c.mentions_lues.is_some(),
            code_second_facteur: c.code.trim().to_string(),
            renouvelle: c.renouvelle(),
            identite_par_fournisseur: par_fournisseur,
        })
    }
}

pub async fn signer(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormulaireConnecte(a, c): FormulaireConnecte<FormulaireSignature>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let renouvelle = c.renouvelle();
    let signature = Signature {
        formulaire: &c,
        aujourdhui: m.comptes().aujourdhui(),
    };
    let resultat = match DemandeMandat::try_from(signature) {
        Ok(d) => m.signer(&a, d).await,
        Err(e) => Err(e),
    };
    match resultat {
        Ok(signe) => {
            let f = m.document(&a, signe.id).await.ou("/espace/mandats")?;
            page_impression(&state, &a, &headers, &f, signe.code_personnel)
        }
        Err(
            e @ (ErreurMandat::Invalide { .. }
            | ErreurMandat::Comptes(maillage_mediation::ErreurMediation::CodeIncorrect)),
        ) => page_formulaire(&state, &a, renouvelle, Some(&c), Some(e.to_string())).await,
        Err(e) => Err(ErreurWeb::mandat(e, "/espace/mandats/nouveau".into())),
    }
}

#[derive(Template)]
#[template(path = "espace/mandat.html")]
struct PageMandat {
    site: Arc<Site>,
    menu: Menu,
    id: MandatId,
    personne: String,
    etat: &'static str,
    actif: bool,
    structure: String,
    aidant: String,
    debut: String,
    fin: String,
    duree: &'static str,
    demarches: Vec<(&'static str, &'static str, Option<String>)>,
    actives: Vec<(&'static str, &'static str)>,
    journal: Vec<LigneJournal>,
    structures: Vec<(StructureId, String)>,
    message: Option<String>,
    erreur: Option<String>,
}

async fn page_mandat(
    state: &AppState,
    a: &Acteur,
    id: MandatId,
    message: Option<String>,
    erreur: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(state)?;
    let chemin = format!("/espace/mandats/{id}");
    let f = m.fiche(a, id).await.ou(&chemin)?;
    let now = m.comptes().maintenant();
    let structures = m
        .comptes()
        .toutes_les_structures()
        .await
        .map_err(|e| ErreurWeb::mandat(e.into(), chemin.clone()))?
        .into_iter()
        .filter(|s| s.id != f.mandat.structure_id)
        .map(|s| (StructureId::new(s.id), s.nom))
        .collect();
    let refuse = erreur.is_some();
    let r = rendre(&PageMandat {
        site: state.site.clone(),
        menu: Menu::de(a),
        id,
        personne: f
            .document
            .as_ref()
            .map(|d| d.usager.nom_complet())
            .unwrap_or_else(|| "(données effacées)".into()),
        etat: etat(&f.mandat, now),
        actif: f.mandat.actif(now),
        structure: f.structure.clone(),
        aidant: f.aidant.clone(),
        debut: date_heure(f.mandat.created_at),
        fin: date_longue(f.mandat.expire_at),
        duree: f
            .mandat
            .duree
            .parse::<DureeMandat>()
            .map(|d| d.libelle())
            .unwrap_or(""),
        demarches: f
            .mandat
            .autorisations
            .iter()
            .map(|x| {
                (
                    x.demarche.code(),
                    x.demarche.titre(),
                    x.revoquee_at.map(date_longue),
                )
            })
            .collect(),
        actives: demarches_actives(&f.mandat)
            .iter()
            .map(|d| (d.code(), d.titre()))
            .collect(),
        journal: {
            let mut lignes = lignes_journal(m, &f.journal, Lecteur::Aidant).await;
            let notes = m
                .notes_des_mandats(std::slice::from_ref(&f.mandat))
                .await
                .ou(&chemin)?;
            ajouter_notes(&mut lignes, &notes);
            lignes
        },
        structures,
        message,
        erreur,
    })?;
    Ok(refuser_si(r, refuse))
}

pub async fn fiche(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<MandatId>,
) -> Result<Response, ErreurWeb> {
    page_mandat(&state, &a, id, None, None).await
}

pub async fn imprimer(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    headers: HeaderMap,
    Path(id): Path<MandatId>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let f = m
        .document(&a, id)
        .await
        .ou(&format!("/espace/mandats/{id}"))?;
    page_impression(&state, &a, &headers, &f, None)
}

/// The structure's copy (never with the person's code).
pub async fn pdf(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    headers: HeaderMap,
    Path(id): Path<MandatId>,
) -> Result<Response, ErreurWeb> {
    pdf_exemplaire(&state, &a, &headers, id, None).await
}

/// The form asking for the person's copy: their personal code, printed on it.
#[derive(Deserialize)]
pub struct FormulaireCodePersonnel {
    #[serde(default)]
    code: String,
}

/// The person's copy, right after signing: the code comes with the request (it is stored
/// only as a hash) and is printed only if it is this person's.
pub async fn pdf_personne(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    headers: HeaderMap,
    Path(id): Path<MandatId>,
    FormulaireConnecte(a, c): FormulaireConnecte<FormulaireCodePersonnel>,
) -> Result<Response, ErreurWeb> {
    let code = c.code.trim().to_string();
    pdf_exemplaire(&state, &a, &headers, id, Some(code)).await
}

async fn pdf_exemplaire(
    state: &AppState,
    a: &Acteur,
    headers: &HeaderMap,
    id: MandatId,
    code: Option<String>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(state)?;
    let chemin = format!("/espace/mandats/{id}");
    let f = m.document(a, id).await.ou(&chemin)?;
    let Some(doc) = f.document.as_ref() else {
        return Err(ErreurWeb::mandat(ErreurMandat::Introuvable, String::new()));
    };
    let base = adresse_publique(state, headers);
    let url = url_verification(&base, &f.mandat.empreinte);
    let code = match code {
        Some(saisi) => {
            let lu = maillage_mandats::CodePersonnel::lire(&saisi)
                .filter(|c| c.cle() == f.usager.code_cle && c.verifier(&f.usager.code_hash));
            match lu {
                Some(c) => Some(c.texte()),
                None => {
                    return Err(ErreurWeb::mandat(
                        ErreurMandat::invalide(
                            "code personnel",
                            "ce n’est pas le code de la personne de ce mandat",
                        ),
                        chemin,
                    ))
                }
            }
        }
        None => None,
    };
    let adresse = format!("{base}/mon-mandat");
    let octets = crate::pdf::mandat(
        &state.site.nom,
        MandatId::new(f.mandat.id),
        doc,
        &f.mandat.empreinte,
        &url,
        code.as_deref().map(|c| (c, adresse.as_str())),
    );
    let mut r = octets.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"mandat-{id}.pdf\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// The forms of a mandate's page, one POST (`action` = `utilisation`, `revocation`,
/// `transfert`).
#[derive(Deserialize)]
pub struct FormulaireActeMandat {
    #[serde(default)]
    action: String,
    /// The démarche done (a use: the first value), or those to revoke (every box ticked).
    #[serde(default)]
    demarche: Vec<String>,
    /// The aidant's note on a use.
    #[serde(default)]
    note: String,
    /// The structure a mandate is transferred to.
    #[serde(default)]
    structure: String,
}

/// What a form of a mandate's page asks for.
enum ActeMandat {
    Utilisation {
        demarche: Demarche,
        note: String,
    },
    /// Nothing ticked (or nothing readable): the whole mandate.
    Revocation {
        demarches: Vec<Demarche>,
    },
    Transfert {
        structure: StructureId,
    },
}

impl TryFrom<FormulaireActeMandat> for ActeMandat {
    type Error = ErreurMandat;

    fn try_from(f: FormulaireActeMandat) -> Result<ActeMandat, ErreurMandat> {
        match f.action.trim() {
            "utilisation" => {
                let demarche = f
                    .demarche
                    .first()
                    .map_or("", |d| d.trim())
                    .parse::<Demarche>()
                    .map_err(|e| ErreurMandat::invalide("démarche", e.to_string()))?;
                Ok(ActeMandat::Utilisation {
                    demarche,
                    note: f.note.trim().to_string(),
                })
            }
            "revocation" => Ok(ActeMandat::Revocation {
                demarches: f.demarche.iter().filter_map(|d| d.parse().ok()).collect(),
            }),
            "transfert" => match f.structure.trim().parse::<StructureId>() {
                Ok(structure) => Ok(ActeMandat::Transfert { structure }),
                Err(_) => Err(ErreurMandat::invalide(
                    "structure",
                    "choisissez une structure",
                )),
            },
            _ => Err(ErreurMandat::invalide("action", "formulaire inconnu")),
        }
    }
}

/// One POST for the acts on a mandate (see [`FormulaireActeMandat`]).
pub async fn agir(
    State(state): State<AppState>,
    Connecte(_): Connecte,
    Path(id): Path<MandatId>,
    FormulaireConnecte(a, f): FormulaireConnecte<FormulaireActeMandat>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let chemin = format!("/espace/mandats/{id}");
    let resultat = match ActeMandat::try_from(f) {
        Err(e) => Err(e),
        Ok(ActeMandat::Utilisation { demarche, note }) => m
            .utiliser_avec_note(&a, id, demarche, Some(&note))
            .await
            .map(|_| {
                format!(
                    "Démarche « {} » enregistrée dans le journal.",
                    demarche.titre()
                )
            }),
        Ok(ActeMandat::Revocation { demarches }) => match m.revoquer(&a, id, &demarches).await {
            Ok(Some(_)) => {
                return Ok(
                    Redirect::to(&format!("/espace/mandats/{id}/attestation-revocation"))
                        .into_response(),
                )
            }
            Ok(None) => Ok("Rien à révoquer : ces démarches l’étaient déjà.".to_string()),
            Err(e) => Err(e),
        },
        Ok(ActeMandat::Transfert { structure }) => match m.transferer(&a, id, structure).await {
            Ok(_) => return Ok(Redirect::to("/espace/mandats").into_response()),
            Err(e) => Err(e),
        },
    };
    match resultat {
        Ok(message) => page_mandat(&state, &a, id, Some(message), None).await,
        Err(e @ (ErreurMandat::Refus(_) | ErreurMandat::Invalide { .. })) => {
            page_mandat(&state, &a, id, None, Some(e.to_string())).await
        }
        Err(e) => Err(ErreurWeb::mandat(e, chemin)),
    }
}

#[derive(Template)]
#[template(path = "espace/mandat_attestation.html")]
struct PageAttestation {
    site: Arc<Site>,
    id: MandatId,
    personne: String,
    structure: String,
    revocations: Vec<LigneJournal>,
    etat: &'static str,
    /// Where « Retour » leads: the mandate's page, or the person's space.
    retour: String,
}

pub async fn attestation(
    State(state): State<AppState>,
    Connecte(a): Connecte,
    Path(id): Path<MandatId>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let f = m
        .document(&a, id)
        .await
        .ou(&format!("/espace/mandats/{id}"))?;
    page_attestation(
        &state,
        m,
        &f,
        Lecteur::Aidant,
        format!("/espace/mandats/{id}"),
    )
    .await
}

async fn page_attestation(
    state: &AppState,
    m: &Mandats,
    f: &FicheMandat,
    lecteur: Lecteur,
    retour: String,
) -> Result<Response, ErreurWeb> {
    let id = MandatId::new(f.mandat.id);
    let revocations: Vec<Entree> = f
        .journal
        .iter()
        .filter(|e| e.contenu.action.starts_with("revocation"))
        .cloned()
        .collect();
    if revocations.is_empty() {
        return Err(ErreurWeb::mandat(ErreurMandat::Introuvable, String::new()));
    }
    rendre(&PageAttestation {
        site: state.site.clone(),
        id,
        personne: f
            .document
            .as_ref()
            .map(|d| d.usager.nom_complet())
            .unwrap_or_else(|| "(données effacées)".into()),
        structure: f.structure.clone(),
        revocations: lignes_journal(m, &revocations, lecteur).await,
        etat: etat(&f.mandat, m.comptes().maintenant()),
        retour,
    })
}

// --- the person's space ---

#[derive(Template)]
#[template(path = "mon_mandat.html")]
struct PagePersonne {
    site: Arc<Site>,
    csrf: String,
    connecte: bool,
    prenom: String,
    mandats: Vec<MandatPersonne>,
    /// What was done in the person's name (uses, revocations, signature…).
    journal: Vec<LigneJournal>,
    /// The aidants' views of the mandate, listed apart: nothing was done.
    consultations: Vec<LigneJournal>,
    message: Option<String>,
    erreur: Option<String>,
    /// A revocation asked, to confirm before anything is written.
    confirmation: Option<ConfirmationRevocation>,
    /// The mandate whose revocation attestation the person can open now.
    attestation: Option<MandatId>,
}

/// « Arrêter » asks first, in plain words, what will stop.
pub struct ConfirmationRevocation {
    pub mandat: MandatId,
    pub structure: String,
    /// Codes and titles of the démarches to stop; empty: the whole mandate.
    pub demarches: Vec<(&'static str, &'static str)>,
    /// What stays allowed afterwards.
    pub restantes: String,
}

pub struct MandatPersonne {
    pub id: MandatId,
    pub structure: String,
    pub etat: &'static str,
    pub debut: String,
    pub fin: String,
    pub actives: Vec<(&'static str, &'static str)>,
    pub revoquees: String,
}

async fn session_personne(state: &AppState, headers: &HeaderMap) -> Option<SessionEspace> {
    crate::personne::session_espace(state, headers).await
}

async fn page_personne(
    state: &AppState,
    session: Option<&SessionEspace>,
    message: Option<String>,
    erreur: Option<String>,
    statut: StatusCode,
) -> Result<Response, ErreurWeb> {
    page_personne_avec(state, session, message, erreur, statut, None, None).await
}

async fn page_personne_avec(
    state: &AppState,
    session: Option<&SessionEspace>,
    message: Option<String>,
    erreur: Option<String>,
    statut: StatusCode,
    confirmation: Option<ConfirmationRevocation>,
    attestation: Option<MandatId>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(state)?;
    let jeton = securite::jeton_aleatoire();
    let mut page = PagePersonne {
        site: state.site.clone(),
        csrf: jeton.clone(),
        connecte: false,
        prenom: String::new(),
        mandats: Vec::new(),
        journal: Vec::new(),
        consultations: Vec::new(),
        message,
        erreur,
        confirmation,
        attestation,
    };
    if let Some(s) = session {
        if let Ok((usager, liste, journal)) = m.espace_personne(s).await {
            let notes = m.notes_des_mandats(&liste).await.ou("/mon-mandat")?;
            let now = m.comptes().maintenant();
            page.connecte = true;
            page.prenom = usager
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str::<Identite>(d).ok())
                .map(|i| i.prenoms)
                .unwrap_or_default();
            for row in liste {
                let structure = m
                    .nom_structure(StructureId::new(row.structure_id))
                    .await
                    .ou("/mon-mandat")?;
                page.mandats.push(MandatPersonne {
                    id: MandatId::new(row.id),
                    structure,
                    etat: etat(&row, now),
                    debut: date_longue(row.created_at),
                    fin: date_longue(row.expire_at),
                    actives: if row.actif(now) {
                        demarches_actives(&row)
                            .iter()
                            .map(|d| (d.code(), d.titre()))
                            .collect()
                    } else {
                        Vec::new()
                    },
                    revoquees: titres(
                        &row.autorisations
                            .iter()
                            .filter(|a| a.revoquee_at.is_some())
                            .map(|a| a.demarche)
                            .collect::<Vec<_>>(),
                    ),
                });
            }
            let (vues, faits): (Vec<Entree>, Vec<Entree>) = journal
                .into_iter()
                .rev()
                .partition(|e| e.contenu.action == Action::Consultation.code());
            let mut lignes = lignes_journal(m, &faits, Lecteur::Personne).await;
            ajouter_notes(&mut lignes, &notes);
            page.journal = lignes;
            page.consultations = lignes_journal(m, &vues, Lecteur::Personne).await;
        } else {
            page.confirmation = None;
            page.attestation = None;
        }
    } else {
        page.confirmation = None;
        page.attestation = None;
    }
    let mut r = rendre(&page)?;
    *r.status_mut() = statut;
    Ok(avec_pre(state, &jeton, r))
}

pub async fn personne(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ErreurWeb> {
    page_personne(
        &state,
        session_personne(&state, &headers).await.as_ref(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// The forms of the person's space (`POST /mon-mandat`), before any session: `action` =
/// `ouvrir` (with the code), `revocation`, anything else closes the space. The `csrf` field
/// is the double-submit token of the page ([`verifier_pre`]).
#[derive(Deserialize)]
pub struct FormulairePersonne {
    csrf: Option<String>,
    #[serde(default)]
    action: String,
    /// The personal code.
    #[serde(default)]
    code: String,
    /// The mandate of a revocation, by number.
    #[serde(default)]
    mandat: String,
    /// The démarches to stop (every box ticked; none: the whole mandate).
    #[serde(default)]
    demarche: Vec<String>,
    /// `oui` once the person confirmed what will stop.
    #[serde(default)]
    confirme: String,
}

/// What a form of the person's space asks for.
enum ActePersonne {
    Ouvrir {
        code: String,
    },
    Revocation {
        /// An unreadable number names no mandate of the person's (`0`).
        mandat: MandatId,
        demarches: Vec<Demarche>,
        confirme: bool,
    },
    Fermer,
}

impl From<FormulairePersonne> for ActePersonne {
    fn from(f: FormulairePersonne) -> ActePersonne {
        match f.action.trim() {
            "ouvrir" => ActePersonne::Ouvrir {
                code: f.code.trim().to_string(),
            },
            "revocation" => ActePersonne::Revocation {
                mandat: f
                    .mandat
                    .trim()
                    .parse::<MandatId>()
                    .unwrap_or(MandatId::new(0)),
                demarches: f.demarche.iter().filter_map(|d| d.parse().ok()).collect(),
                confirme: f.confirme.trim() == "oui",
            },
            _ => ActePersonne::Fermer,
        }
    }
}

/// One POST for the forms of the person's space (see [`FormulairePersonne`]).
pub async fn personne_agir(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdresseClient(adresse): AdresseClient,
    corps: Bytes,
) -> Result<Response, ErreurWeb> {
    let f: FormulairePersonne = lire_formulaire(&corps)?;
    verifier_pre(&headers, f.csrf.as_deref())?;
    let m = mandats(&state)?;
    match ActePersonne::from(f) {
        ActePersonne::Ouvrir { code } => match state
            .instance
            .comptes()
            .ouvrir_espace(&code, &adresse)
            .await
        {
            Ok((jeton, _)) => {
                let mut r = Redirect::to("/mon-mandat").into_response();
                r.headers_mut().append(
                    header::SET_COOKIE,
                    crate::personne::cookie_espace(&state, Some(&jeton)),
                );
                Ok(r)
            }
            Err(e @ ErreurComptes::CodePersonnelIncorrect) => {
                page_personne(
                    &state,
                    None,
                    None,
                    Some(e.to_string()),
                    StatusCode::UNAUTHORIZED,
                )
                .await
            }
            Err(e @ ErreurComptes::TropDeTentatives) => {
                page_personne(
                    &state,
                    None,
                    None,
                    Some(e.to_string()),
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await
            }
            Err(e) => Err(ErreurWeb::mandat(e.into(), "/mon-mandat".into())),
        },
        ActePersonne::Revocation {
            mandat: id,
            demarches: cibles,
            confirme,
        } => {
            let Some(s) = session_personne(&state, &headers).await else {
                return Ok(Redirect::to("/mon-mandat").into_response());
            };
            if !confirme {
                // Nothing is written before the person confirms what will stop.
                return confirmer_revocation(&state, &s, id, &cibles).await;
            }
            match m.revoquer_par_la_personne(&s, id, &cibles).await {
                Ok(Some(e)) => {
                    let quoi = Demarche::liste(&e.contenu.demarches)
                        .map(|v| titres(&v))
                        .unwrap_or_default();
                    page_personne_avec(&state, Some(&s), Some(format!("C’est fait : « {quoi} » ne peut plus être fait en votre nom au titre du mandat n° {id}.")), None, StatusCode::OK, None, Some(id)).await
                }
                Ok(None) => {
                    page_personne(
                        &state,
                        Some(&s),
                        Some("Rien à révoquer.".into()),
                        None,
                        StatusCode::OK,
                    )
                    .await
                }
                Err(ErreurMandat::Interdit) => Ok(Redirect::to("/mon-mandat").into_response()),
                Err(e) => Err(ErreurWeb::mandat(e, "/mon-mandat".into())),
            }
        }
        ActePersonne::Fermer => {
            // « Fermer »: every session of the person ends in the database (every node
            // refuses the cookie afterwards, even a copy of it).
            if let Some(s) = session_personne(&state, &headers).await {
                state
                    .instance
                    .comptes()
                    .fermer_espace(&s)
                    .await
                    .ou("/mon-mandat")?;
            }
            let mut r = Redirect::to("/mon-mandat").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                crate::personne::cookie_espace(&state, None),
            );
            Ok(r)
        }
    }
}

/// The confirmation page of a revocation asked from the person's space.
async fn confirmer_revocation(
    state: &AppState,
    s: &SessionEspace,
    id: MandatId,
    cibles: &[Demarche],
) -> Result<Response, ErreurWeb> {
    let m = mandats(state)?;
    let (_, liste, _) = match m.espace_personne(s).await {
        Ok(x) => x,
        Err(_) => return Ok(Redirect::to("/mon-mandat").into_response()),
    };
    let Some(row) = liste.into_iter().find(|r| MandatId::new(r.id) == id) else {
        return Err(ErreurWeb::mandat(
            ErreurMandat::Introuvable,
            "/mon-mandat".into(),
        ));
    };
    let actives = demarches_actives(&row);
    let choisies: Vec<Demarche> = cibles
        .iter()
        .copied()
        .filter(|d| actives.contains(d))
        .collect();
    // Every active démarche ticked is the whole mandate too.
    let tout = choisies.is_empty() || choisies.len() == actives.len();
    let restantes: Vec<Demarche> = actives
        .iter()
        .copied()
        .filter(|d| !tout && !choisies.contains(d))
        .collect();
    let confirmation = ConfirmationRevocation {
        mandat: id,
        structure: m
            .nom_structure(StructureId::new(row.structure_id))
            .await
            .ou("/mon-mandat")?,
        demarches: if tout {
            Vec::new()
        } else {
            choisies.iter().map(|d| (d.code(), d.titre())).collect()
        },
        restantes: titres(&restantes),
    };
    page_personne_avec(
        state,
        Some(s),
        None,
        None,
        StatusCode::OK,
        Some(confirmation),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct ParamsAttestation {
    mandat: Option<String>,
}

/// The person's revocation attestation (printable), from their space.
pub async fn attestation_personne(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<ParamsAttestation>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let Some(s) = session_personne(&state, &headers).await else {
        return Ok(Redirect::to("/mon-mandat").into_response());
    };
    let id = p
        .mandat
        .as_deref()
        .and_then(|v| v.parse::<MandatId>().ok())
        .unwrap_or(MandatId::new(0));
    let f = match m.mandat_de_la_personne(&s, id).await {
        Ok(f) => f,
        Err(ErreurMandat::Interdit) => return Ok(Redirect::to("/mon-mandat").into_response()),
        Err(e) => return Err(ErreurWeb::mandat(e, "/mon-mandat".into())),
    };
    page_attestation(&state, m, &f, Lecteur::Personne, "/mon-mandat".into()).await
}

// --- public check, key, audit ---

#[derive(Template)]
#[template(path = "verifier.html")]
struct PageVerifier {
    site: Arc<Site>,
    empreinte: String,
    resultat: Option<Resultat>,
    erreur: Option<String>,
}

struct Resultat {
    trouve: bool,
    id: MandatId,
    etat: &'static str,
    structure: String,
    debut: String,
    fin: String,
    demarches: String,
    entree: Option<i64>,
    scelle: bool,
}

#[derive(Deserialize)]
pub struct ParamsVerifier {
    empreinte: Option<String>,
}

pub async fn verifier(
    State(state): State<AppState>,
    Query(p): Query<ParamsVerifier>,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let empreinte = p.empreinte.unwrap_or_default();
    let (mut resultat, mut erreur, mut statut) = (None, None, StatusCode::OK);
    if !empreinte.trim().is_empty() {
        match m.verifier_empreinte(&empreinte).await {
            Ok(Some(v)) => {
                let now = m.comptes().maintenant();
                resultat = Some(Resultat {
                    trouve: true,
                    id: MandatId::new(v.mandat.id),
                    etat: etat(&v.mandat, now),
                    structure: v.structure,
                    debut: date_longue(v.mandat.created_at),
                    fin: date_longue(v.mandat.expire_at),
                    demarches: titres(&demarches_actives(&v.mandat)),
                    entree: v.entree.map(|e| e.seq),
                    scelle: v.scelle,
                })
            }
            Ok(None) => {
                statut = StatusCode::NOT_FOUND;
                resultat = Some(Resultat {
                    trouve: false,
                    id: MandatId::new(0),
                    etat: "",
                    structure: String::new(),
                    debut: String::new(),
                    fin: String::new(),
                    demarches: String::new(),
                    entree: None,
                    scelle: false,
                })
            }
            Err(e @ ErreurMandat::Invalide { .. }) => {
                statut = StatusCode::UNPROCESSABLE_ENTITY;
                erreur = Some(e.to_string())
            }
            Err(e) => return Err(ErreurWeb::mandat(e, "/verifier".into())),
        }
    }
    let mut r = rendre(&PageVerifier {
        site: state.site.clone(),
        empreinte: empreinte.trim().to_string(),
        resultat,
        erreur,
    })?;
    *r.status_mut() = statut;
    Ok(r)
}

pub async fn cle_publique(State(state): State<AppState>) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let mut r = maillage_mandats::cle::pem_publique(&m.cle_publique()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-pem-file"),
    );
    Ok(r)
}

/// The answer of `/api/v1/journal/verification`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct VerificationJournalApi {
    /// `true` when every entry chains to the previous one and every seal checks.
    pub intact: bool,
    /// Entries read (up to the first rupture, included).
    pub entrees: u64,
    /// Seals whose signature and hash were checked.
    pub sceaux_verifies: u64,
    /// Last entry number of an intact chain.
    pub derniere_entree_intacte: i64,
    /// Entries after the last seal (intact, but not yet signed).
    pub non_scellees: i64,
    /// Number of the last sealed entry.
    pub dernier_sceau: i64,
    /// Same as `non_scellees`: entries after the last seal.
    pub apres_dernier_sceau: i64,
    /// In words (French): the verdict, and how many entries follow the last seal.
    pub message: String,
    /// Where the chain breaks, when it does.
    pub rupture: Option<RuptureApi>,
    /// Path of the instance's public key (Ed25519, PEM).
    pub cle_publique: String,
    /// Version of the mandate model in force.
    pub modele_mandat: String,
}

/// The first broken entry of the journal.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RuptureApi {
    /// Number of the entry.
    pub entree: i64,
    /// Why (`type`: `contenu_modifie`, `chainage_rompu`…, and its details).
    #[schema(value_type = Object)]
    pub raison: maillage_domain::mandats::RaisonRupture,
    /// In words (French).
    pub message: String,
}

/// Auditors: `Authorization: Bearer <MAILLAGE_AUDIT_JETON>`, or an administrator's session.
#[utoipa::path(
    get,
    path = "/api/v1/journal/verification",
    tag = "journal",
    security(("jeton_audit" = []), ("session_administrateur" = [])),
    responses(
        (status = 200, description = "Journal des mandats intact : chaînage et sceaux vérifiés", body = VerificationJournalApi),
        (status = 401, description = "Réservé aux auditeurs (jeton) et aux administrateurs"),
        (status = 409, description = "Journal rompu : la première entrée en cause est donnée", body = VerificationJournalApi),
    )
)]
pub async fn verification_journal(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ErreurWeb> {
    let m = mandats(&state)?;
    let jeton_ok = std::env::var("MAILLAGE_AUDIT_JETON")
        .ok()
        .filter(|j| j.len() >= 16)
        .zip(
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ")),
        )
        .is_some_and(|(attendu, donne)| securite::egal_temps_constant(&attendu, donne));
    let admin = match cookie(&headers, super::COOKIE_SESSION) {
        Some(j) => m
            .comptes()
            .acteur(&j)
            .await
            .is_ok_and(|a| a.role == Role::Administrateur),
        None => false,
    };
    if !jeton_ok && !admin {
        return Ok((
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({
                "erreur": "réservé aux auditeurs (jeton) et aux administrateurs"
            })),
        )
            .into_response());
    }
    let rapport = m
        .verifier_journal()
        .await
        .ou("/api/v1/journal/verification")?;
    let corps = VerificationJournalApi {
        intact: rapport.intact(),
        entrees: rapport.entrees,
        sceaux_verifies: rapport.sceaux,
        derniere_entree_intacte: rapport.derniere,
        non_scellees: rapport.non_scellees,
        dernier_sceau: rapport.derniere - rapport.non_scellees,
        apres_dernier_sceau: rapport.non_scellees,
        message: if rapport.intact() {
            maillage_mandats::resume_non_scellees(&rapport)
        } else {
            rapport
                .rupture
                .as_ref()
                .map(|r| r.message())
                .unwrap_or_default()
        },
        rupture: rapport.rupture.as_ref().map(|r| RuptureApi {
            entree: r.seq,
            raison: r.raison.clone(),
            message: r.message(),
        }),
        cle_publique: "/.well-known/maillage-journal.pub".into(),
        modele_mandat: MODELE_COURANT.to_string(),
    };
    let statut = if rapport.intact() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((statut, axum::Json(corps)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acte(corps: &str) -> Result<ActeMandat, String> {
        let f: FormulaireActeMandat =
            lire_formulaire(corps.as_bytes()).map_err(|e| e.to_string())?;
        ActeMandat::try_from(f).map_err(|e| e.to_string())
    }

    #[test]
    fn the_acts_on_a_mandate_read_their_repeated_fields() {
        assert!(matches!(
            acte("action=revocation&demarche=social&demarche=inconnue&demarche=logement"),
            Ok(ActeMandat::Revocation { demarches }) if demarches == [Demarche::Social, Demarche::Logement]
        ));
        assert!(matches!(
            acte("action=revocation"),
            Ok(ActeMandat::Revocation { demarches }) if demarches.is_empty()
        ));
        assert!(matches!(
            acte("action=+utilisation+&demarche=+logement+&demarche=social&note=+RDV+"),
            Ok(ActeMandat::Utilisation { demarche: Demarche::Logement, note }) if note == "RDV"
        ));
        assert!(matches!(
            acte("action=transfert&structure=+7+"),
            Ok(ActeMandat::Transfert { structure }) if structure == StructureId::new(7)
        ));
        let refus = |corps: &str| acte(corps).err().unwrap_or_default();
        assert_eq!(
            refus("action=transfert&structure="),
            "structure : choisissez une structure"
        );
        assert!(refus("action=utilisation").starts_with("démarche : "));
        assert_eq!(refus("action=autre"), "action : formulaire inconnu");
    }

    #[test]
    fn the_persons_forms_read_their_repeated_fields() {
        let f: Result<FormulairePersonne, _> = lire_formulaire(
            b"csrf=j&action=revocation&mandat=12&demarche=social&demarche=logement&confirme=oui",
        );
        let f = f.ok();
        assert_eq!(f.as_ref().and_then(|f| f.csrf.as_deref()), Some("j"));
        assert!(matches!(
            f.map(ActePersonne::from),
            Some(ActePersonne::Revocation { mandat, demarches, confirme: true })
                if mandat == MandatId::new(12) && demarches == [Demarche::Social, Demarche::Logement]
        ));
        let f: Result<FormulairePersonne, _> = lire_formulaire(b"action=revocation&mandat=douze");
        assert!(matches!(
            f.ok().map(ActePersonne::from),
            Some(ActePersonne::Revocation { mandat, confirme: false, .. }) if mandat == MandatId::new(0)
        ));
        let f: Result<FormulairePersonne, _> = lire_formulaire(b"action=ouvrir&code=+ABCD+");
        assert!(matches!(
            f.ok().map(ActePersonne::from),
            Some(ActePersonne::Ouvrir { code }) if code == "ABCD"
        ));
        let f: Result<FormulairePersonne, _> = lire_formulaire(b"action=fermer");
        assert!(matches!(
            f.ok().map(ActePersonne::from),
            Some(ActePersonne::Fermer)
        ));
    }

    #[test]
    fn a_signature_form_reads_every_demarche_ticked() {
        let jour = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
        let lire = |corps: &str| -> Result<DemandeMandat, String> {
            let f: FormulaireSignature =
                lire_formulaire(corps.as_bytes()).map_err(|e| e.to_string())?;
            DemandeMandat::try_from(Signature {
                formulaire: &f,
                aujourdhui: jour,
            })
            .map_err(|e| e.to_string())
        };
        let d = lire(
            "demarche=social&demarche=logement&duree=6m&personne=4&consentement=on&code=+123456+&renouvelle=9",
        );
        let d = d.ok();
        assert_eq!(
            d.as_ref().map(|d| d.demarches.clone()),
            Some(vec![Demarche::Social, Demarche::Logement])
        );
        assert_eq!(d.as_ref().and_then(|d| d.usager), Some(4));
        assert_eq!(
            d.as_ref().and_then(|d| d.renouvelle),
            Some(MandatId::new(9))
        );
        assert_eq!(
            d.as_ref()
                .map(|d| (d.consentement, d.pas_de_protection_juridique)),
            Some((true, false))
        );
        assert_eq!(d.map(|d| d.code_second_facteur), Some("123456".to_string()));
        assert!(
            lire("demarche=social&demarche=inconnue&duree=6m&personne=4")
                .is_err_and(|e| e.starts_with("démarches : "))
        );
        assert_eq!(
            lire("demarche=social&duree=6m").err().as_deref(),
            Some("nom : indiquez le nom de naissance (100 caractères au plus)")
        );
    }
}
