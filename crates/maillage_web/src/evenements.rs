//! Événements: the public pages (`/evenements`, `/evenements/{id}`, the registration form of
//! each session, its confirmation with the visitor's key, cancellation by a link; the
//! calendars, the JSON-LD, the ticket and the widget are in `crate::evenements_diffusion`)
//! and the JSON API (`/api/v1/evenements`, `/api/v1/evenements/{id}`, `/api/v1/sessions/{id}/inscriptions`).
//!
//! The public form has no account and no session behind it: like the error reports
//! (`crate::signalements`), it carries a signed token, the browser must say it comes from
//! this site, and registrations are limited per network address
//! (`MAILLAGE_LIMITE_INSCRIPTIONS_PAR_MINUTE`, 0 = no limit; counted in the database, for
//! every node together). A field
//! people do not see (`site_web`) catches robots. The JSON API takes `application/json` only
//! (a page of another site cannot send it without the browser asking first), with the same
//! limit and the same trap.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Paris;
use maillage_comptes::ErreurComptes;
use maillage_evenements::stockage::{EvenementRow, SessionEvenementRow};
use maillage_evenements::{
    ecrire_horodatage, DemandeInscription, DetailEvenement, ErreurEvenements, Evenements,
    FiltrePublic, InscriptionFaite, StatutEvenement, StatutInscription, TypeEvenement, TypeSession,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::erreur::{ApiError, ErreurWeb};
use crate::espace::connexion::AdresseClient;
use crate::presentation::{date_longue, heure, JOURS};
use crate::routeurs::{Module, RouteurModule};
use crate::site::Site;
use crate::AppState;

/// The routes of Événements: public pages and the JSON API.
pub(crate) fn routeur() -> RouteurModule {
    let publiques = RouteurModule::new(Module::Evenements)
        .get("/evenements", page_liste)
        .get("/evenements/{id}", page_evenement)
        .get(
            "/evenements.ics",
            crate::evenements_diffusion::ical_territoire,
        )
        .get("/evenements/widget", crate::evenements_diffusion::widget)
        .get("/tournees/{id}", crate::evenements_diffusion::ical_tournee)
        .get(
            "/inscriptions/billet",
            crate::evenements_diffusion::page_billet,
        )
        .post("/sessions/{id}/inscription", inscrire_formulaire)
        .get("/inscriptions/annuler", page_annulation)
        .post("/inscriptions/annuler", annuler)
        .post(
            "/inscriptions/confirmer",
            crate::evenements_diffusion::confirmer_offre,
        )
        .api(utoipa_axum::routes!(api_evenements))
        .api(utoipa_axum::routes!(api_evenement))
        .api(utoipa_axum::routes!(api_inscrire));
    crate::evenements_espace::routes(publiques)
}

pub(crate) fn evenements(state: &AppState) -> &Evenements {
    state.instance.evenements()
}

/// When a freed seat is held for this person (waiting, offer still running at `now`): until
/// when, « 12/06/2030 à 10:00 » at the hour of Paris.
pub(crate) fn offre_en_cours(
    i: &maillage_evenements::stockage::InscriptionRow,
    now: DateTime<Utc>,
) -> Option<String> {
    i.offre_jusqu_a
        .filter(|fin| *fin > now && i.statut == StatutInscription::ListeAttente.code())
        .map(|fin| {
            fin.with_timezone(&Paris)
                .format("%d/%m/%Y à %H:%M")
                .to_string()
        })
}

/// What a person is told after confirming an offered seat: (message, error, HTTP status).
pub(crate) fn issue_confirmation(
    c: maillage_evenements::stockage::ConfirmationOffre,
) -> (Option<String>, Option<String>, StatusCode) {
    use maillage_evenements::stockage::ConfirmationOffre as C;
    match c {
        C::Confirmee => (
            Some("C’est confirmé : la place est à vous. À bientôt !".into()),
            None,
            StatusCode::OK,
        ),
        C::Expiree => (
            None,
            Some("Le délai pour confirmer cette place est passé : elle a été proposée à la personne suivante.".into()),
            StatusCode::CONFLICT,
        ),
        C::SansOffre => (
            None,
            Some("Aucune place n’est à confirmer pour cette inscription.".into()),
            StatusCode::CONFLICT,
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Limits per address.

const FENETRE: Duration = Duration::from_secs(60);

/// The per-address limit of registrations (public form and API), counted in the database by
/// the accounts kernel (`Comptes::compter`): every node counts together. The window opens
/// at the first registration it counts.
pub struct GardeInscriptions {
    par_minute: usize,
}

impl GardeInscriptions {
    /// At most `par_minute` registrations a minute from one address; 0: no limit.
    pub fn new(par_minute: usize) -> Self {
        GardeInscriptions { par_minute }
    }

    /// From `MAILLAGE_LIMITE_INSCRIPTIONS_PAR_MINUTE` (default 10; 0 = no limit).
    pub fn depuis_env() -> Self {
        let n = std::env::var("MAILLAGE_LIMITE_INSCRIPTIONS_PAR_MINUTE")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(10);
        Self::new(n)
    }

    /// Counts one registration from `adresse` (one statement; nothing at all without a
    /// limit), or the seconds to wait (nothing counted).
    pub async fn compter(
        &self,
        comptes: &maillage_comptes::Comptes,
        adresse: &str,
    ) -> maillage_comptes::Resultat<Result<(), u64>> {
        if self.par_minute == 0 {
            return Ok(Ok(()));
        }
        let cle = format!("inscription:adresse:{adresse}");
        let r = comptes
            .compter(&[maillage_comptes::limitation::Plafond {
                cle: &cle,
                max: u32::try_from(self.par_minute).unwrap_or(u32::MAX),
                fenetre: FENETRE,
            }])
            .await?;
        Ok(r.map_err(|r| r.attente_s))
    }
}

const TROP_D_INSCRIPTIONS: &str =
    "Beaucoup d’inscriptions ont été envoyées depuis votre connexion : patientez une minute puis réessayez.";

const PIEGE: &str = "Envoi refusé : un champ invisible a été rempli (robot ?).";

// ---------------------------------------------------------------------------------------
// Words.

fn local(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&Paris).naive_local()
}

fn heure_de(t: chrono::NaiveDateTime) -> String {
    heure((t.hour() * 60 + t.minute()) as u16)
}

fn jour(t: chrono::NaiveDateTime) -> String {
    format!(
        "{} {}",
        JOURS[t.weekday().num_days_from_monday() as usize],
        date_longue(t.date())
    )
}

/// « jeudi 12 juin 2030, de 9 h à 17 h », or « du … à 9 h au … à 17 h » over several days.
pub fn quand(debut: DateTime<Utc>, fin: DateTime<Utc>) -> String {
    let (d, f) = (local(debut), local(fin));
    if d.date() == f.date() {
        format!("{}, de {} à {}", jour(d), heure_de(d), heure_de(f))
    } else {
        format!(
            "du {} à {} au {} à {}",
            jour(d),
            heure_de(d),
            jour(f),
            heure_de(f)
        )
    }
}

pub(crate) fn nom_commune(state: &AppState, code: &str) -> String {
    state
        .instance
        .comptes()
        .referentiel()
        .commune_or_parent(code)
        .map(|c| c.nom.clone())
        .unwrap_or_else(|| code.to_string())
}

pub(crate) fn libelle<T: std::str::FromStr>(
    code: &str,
    libelle: impl Fn(T) -> &'static str,
) -> String {
    code.parse::<T>()
        .map(|v| libelle(v).to_string())
        .unwrap_or_else(|_| code.to_string())
}

fn places(s: &SessionEvenementRow) -> String {
    match s.places_libres() {
        0 => "Complet : vous pouvez vous inscrire sur la liste d’attente".into(),
        1 => format!("1 place libre sur {}", s.capacite),
        n => format!("{n} places libres sur {}", s.capacite),
    }
}

// ---------------------------------------------------------------------------------------
// Pages.

/// An event in a list.
pub struct LigneEvenement {
    pub id: i64,
    pub titre: String,
    pub type_libelle: String,
    pub quand: String,
    pub ou: String,
    pub annule: bool,
}

pub(crate) fn ligne(state: &AppState, e: &EvenementRow) -> LigneEvenement {
    LigneEvenement {
        id: e.id,
        titre: e.titre.clone(),
        type_libelle: libelle::<TypeEvenement>(&e.type_evenement, TypeEvenement::libelle),
        quand: quand(e.debut, e.fin),
        ou: match &e.adresse {
            Some(a) => format!("{a}, {}", nom_commune(state, &e.commune)),
            None => nom_commune(state, &e.commune),
        },
        annule: e.statut == StatutEvenement::Annule.code(),
    }
}

#[derive(Template)]
#[template(path = "evenements.html")]
struct PageListe {
    site: Arc<Site>,
    commune: String,
    commune_nom: Option<String>,
    erreur: Option<String>,
    evenements: Vec<LigneEvenement>,
    /// The subscribable calendar of this list.
    flux: String,
}

pub(crate) fn parametres(requete: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(requete.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn un<'a>(p: &'a [(String, String)], nom: &str) -> Option<&'a str> {
    p.iter()
        .rev()
        .find(|(k, v)| k == nom && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// How far « Prochainement près de chez vous » looks around the person's commune.
pub const PRES_DE_CHEZ_VOUS_KM: f64 = 30.0;

/// « Prochainement près de chez vous »: up to `n` published events still to come in the
/// communes whose centre is within [`PRES_DE_CHEZ_VOUS_KM`] of `code_insee`'s, soonest
/// first, each with its commune's distance (rounded km). Empty when the commune has no
/// centre or nothing is planned (the orientation pages then show nothing).
pub(crate) async fn prochainement(
    state: &AppState,
    code_insee: &str,
    n: i64,
) -> Vec<(LigneEvenement, u32)> {
    a_venir_pres_de(state, code_insee, n)
        .await
        .iter()
        .map(|(e, km)| (ligne(state, e), *km))
        .collect()
}

/// Up to `n` published events still to come within [`PRES_DE_CHEZ_VOUS_KM`] of
/// `code_insee`'s centre, soonest first, each with its commune's distance (rounded km).
async fn a_venir_pres_de(state: &AppState, code_insee: &str, n: i64) -> Vec<(EvenementRow, u32)> {
    let r = state.instance.comptes().referentiel();
    let Some(centre) = r.commune(code_insee).and_then(|c| c.centre) else {
        return Vec::new();
    };
    let proches: Vec<(String, f64)> = r
        .communes_les_plus_proches(centre, 400)
        .into_iter()
        .filter(|(_, d)| *d <= PRES_DE_CHEZ_VOUS_KM * 1000.0)
        .map(|(c, d)| (c.code_insee.clone(), d))
        .collect();
    let filtre = FiltrePublic {
        communes: proches.iter().map(|(c, _)| c.clone()).collect(),
        depuis: Some(state.instance.comptes().maintenant()),
        limite: Some(n.max(1) * 4),
        ..FiltrePublic::default()
    };
    let liste = match evenements(state).publics(&filtre).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("upcoming events near {code_insee}: {e}");
            return Vec::new();
        }
    };
    liste
        .into_iter()
        .filter(|e| e.statut == maillage_evenements::StatutEvenement::Publie.code())
        .take(n.max(0) as usize)
        .map(|e| {
            let d = proches
                .iter()
                .find(|(c, _)| *c == e.commune)
                .map_or(0, |(_, d)| (d / 1000.0).round() as u32);
            (e, d)
        })
        .collect()
}

/// The sessions still to come of the published events near `code_insee` (at most
/// `evenements` events looked at), soonest first, each with its event and distance: the
/// self-assessment matches them to the theme of each next step.
pub(crate) async fn sessions_a_venir_pres_de(
    state: &AppState,
    code_insee: &str,
    evenements_max: i64,
) -> Vec<(EvenementRow, SessionEvenementRow, u32)> {
    let maintenant = state.instance.comptes().maintenant();
    let mut sessions = Vec::new();
    for (e, km) in a_venir_pres_de(state, code_insee, evenements_max).await {
        match evenements(state).detail(e.id).await {
            Ok(d) => sessions.extend(
                d.sessions
                    .into_iter()
                    .filter(|s| s.debut > maintenant)
                    .map(|s| (e.clone(), s, km)),
            ),
            Err(err) => tracing::warn!("event {} near {code_insee}: {err}", e.id),
        }
    }
    sessions.sort_by(|a, b| a.1.debut.cmp(&b.1.debut).then(a.2.cmp(&b.2)));
    sessions
}

/// The communes a person means by `saisie`: an INSEE code or a postal code.
pub(crate) fn communes_de(state: &AppState, saisie: &str) -> Vec<(String, String)> {
    let r = state.instance.comptes().referentiel();
    if let Some(c) = r.commune_or_parent(saisie) {
        return vec![(c.code_insee.clone(), c.nom.clone())];
    }
    r.communes_par_code_postal(saisie)
        .into_iter()
        .map(|c| (c.code_insee.clone(), c.nom.clone()))
        .collect()
}

/// `GET /evenements`: the coming events, by commune (INSEE or postal code) if given.
pub async fn page_liste(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = parametres(q.as_deref());
    let commune = un(&p, "commune").unwrap_or("").to_string();
    let mut filtre = FiltrePublic {
        depuis: Some(Utc::now()),
        limite: Some(100),
        ..FiltrePublic::default()
    };
    let mut erreur = None;
    let mut commune_nom = None;
    if !commune.is_empty() {
        let trouvees = communes_de(&state, &commune);
        if trouvees.is_empty() {
            erreur = Some(format!(
                "« {commune} » n’est pas un code postal ni un code de commune connu : voici tous les événements à venir."
            ));
        } else {
            commune_nom = Some(
                trouvees
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            filtre.communes = trouvees.into_iter().map(|(c, _)| c).collect();
        }
    }
    let liste = evenements(&state).publics(&filtre).await?;
    let flux = crate::evenements_diffusion::lien_flux(&filtre.communes);
    let page = PageListe {
        site: Arc::clone(&state.site),
        commune,
        commune_nom,
        erreur,
        flux,
        evenements: liste.iter().map(|e| ligne(&state, e)).collect(),
    };
    Ok(Html(page.render()?).into_response())
}

/// A session of the programme, with its form.
pub struct LigneSession {
    pub id: i64,
    pub titre: String,
    pub type_libelle: String,
    pub quand: String,
    pub salle: Option<String>,
    pub places: String,
    pub complet: bool,
    pub ouverte: bool,
    pub jeton: String,
    pub erreur: Option<String>,
    pub prenom: String,
    pub contact: String,
}

#[derive(Template)]
#[template(path = "evenement.html")]
struct PageEvenement {
    site: Arc<Site>,
    e: LigneEvenement,
    description: Option<String>,
    statut: String,
    accessibilite: Vec<(&'static str, String)>,
    sessions: Vec<LigneSession>,
    /// Local actors: (name, place of the directory).
    acteurs: Vec<(String, Option<String>)>,
    organisateur: Option<String>,
    /// schema.org `Event` in JSON-LD, escaped for a `<script>` element.
    json_ld: String,
}

/// What was typed in a session's form, and why it was not taken.
#[derive(Default)]
struct Saisie {
    session: i64,
    erreur: String,
    prenom: String,
    contact: String,
}

fn rendre_evenement(
    state: &AppState,
    d: &DetailEvenement,
    saisie: Option<Saisie>,
    organisateur: Option<&str>,
) -> Result<String, ErreurWeb> {
    let e = &d.evenement;
    let publie = e.statut == StatutEvenement::Publie.code();
    let maintenant = Utc::now();
    let horodatage = maintenant.timestamp();
    let a = &e.accessibilite;
    let accessibilite = [
        ("Mobilité réduite", &a.mobilite),
        ("Handicap auditif", &a.auditif),
        ("Handicap visuel", &a.visuel),
        ("Handicap mental ou cognitif", &a.mental),
    ]
    .into_iter()
    .filter_map(|(l, v)| v.clone().map(|v| (l, v)))
    .collect();
    let sessions = d
        .sessions
        .iter()
        .map(|s| {
            let saisie = saisie.as_ref().filter(|x| x.session == s.id);
            LigneSession {
                id: s.id,
                titre: s.titre.clone(),
                type_libelle: libelle::<TypeSession>(&s.type_session, TypeSession::libelle),
                quand: quand(s.debut, s.fin),
                salle: s.salle.clone(),
                places: places(s),
                complet: s.places_libres() == 0,
                ouverte: publie && s.debut > maintenant,
                jeton: state
                    .signalements
                    .jeton(&format!("inscription:{}", s.id), horodatage),
                erreur: saisie.map(|x| x.erreur.clone()),
                prenom: saisie.map(|x| x.prenom.clone()).unwrap_or_default(),
                contact: saisie.map(|x| x.contact.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let page = PageEvenement {
        site: Arc::clone(&state.site),
        e: ligne(state, e),
        description: e.description.clone(),
        statut: libelle::<StatutEvenement>(&e.statut, StatutEvenement::libelle),
        accessibilite,
        sessions,
        acteurs: d
            .acteurs
            .iter()
            .map(|a| (a.nom.clone(), a.lieu_id.clone()))
            .collect(),
        organisateur: organisateur.map(str::to_string),
        json_ld: crate::evenements_diffusion::json_ld(state, e, organisateur),
    };
    Ok(page.render()?)
}

pub(crate) fn id_de(texte: &str) -> Result<i64, ErreurWeb> {
    texte
        .parse::<i64>()
        .map_err(|_| ErreurWeb::Introuvable("Cet événement n’existe pas.".into()))
}

/// `GET /evenements/{id}`: the programme, free seats, one short form per session.
pub async fn page_evenement(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    if let Some(id) = id.strip_suffix(".ics") {
        return crate::evenements_diffusion::ical_evenement(&state, id_de(id)?).await;
    }
    let module = evenements(&state);
    let d = module.detail(id_de(&id)?).await?;
    let organisateur = module.organisateur(&d.evenement).await?;
    Ok(Html(rendre_evenement(&state, &d, None, organisateur.as_deref())?).into_response())
}

/// The registration form of a session.
#[derive(Deserialize)]
pub struct FormulaireInscription {
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    contact: String,
    /// The person's personal code, when they already have one (« Mon espace »).
    #[serde(default)]
    cle: String,
    /// The trap: hidden from people, filled by robots.
    #[serde(default)]
    site_web: String,
    #[serde(default)]
    jeton: String,
}

#[derive(Template)]
#[template(path = "inscription_faite.html")]
struct PageInscriptionFaite {
    site: Arc<Site>,
    evenement: LigneEvenement,
    session: String,
    session_quand: String,
    prenom: String,
    attente: bool,
    /// The personal code this registration made (`None`: the person gave theirs).
    cle: Option<String>,
    /// Its public part (the first five characters).
    cle_debut: String,
    lien: String,
    billet: String,
    qr: String,
    espace: String,
}

pub(crate) fn sans_cache(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `POST /sessions/{id}/inscription`: registers, then the confirmation with the key and
/// the cancellation link (or the event page again, with what was typed and why).
pub async fn inscrire_formulaire(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdresseClient(adresse): AdresseClient,
    entetes: HeaderMap,
    crate::formulaires::Formulaire(f): crate::formulaires::Formulaire<FormulaireInscription>,
) -> Result<Response, ErreurWeb> {
    let introuvable = || ErreurWeb::Introuvable("Cette session n’existe pas.".into());
    let session_id = id.parse::<i64>().map_err(|_| introuvable())?;
    let module = evenements(&state);
    let session = module.session(session_id).await?.ok_or_else(introuvable)?;
    let detail = module.detail(session.evenement_id).await?;
    let organisateur = module.organisateur(&detail.evenement).await?;
    let refus = |statut: StatusCode, erreur: String| -> Result<Response, ErreurWeb> {
        let html = rendre_evenement(
            &state,
            &detail,
            Some(Saisie {
                session: session_id,
                erreur,
                prenom: f.prenom.clone(),
                contact: f.contact.clone(),
            }),
            organisateur.as_deref(),
        )?;
        Ok((statut, Html(html)).into_response())
    };
    let adresse_publique = state.instance.comptes().reglages().adresse_publique.clone();
    let origine = crate::signalements::origine_acceptee(&entetes, Some(&adresse_publique));
    if !origine
        || !state.signalements.jeton_valide(
            &format!("inscription:{session_id}"),
            &f.jeton,
            Utc::now().timestamp(),
        )
    {
        tracing::info!(origin_ok = origine, "registration refused: token or origin");
        return refus(
            StatusCode::FORBIDDEN,
            "Ce formulaire a expiré ou n’a pas été envoyé depuis ce site : vérifiez ce qui est écrit ci-dessous et envoyez-le de nouveau.".into(),
        );
    }
    if !f.site_web.trim().is_empty() {
        tracing::info!("registration refused: trap field filled");
        return refus(StatusCode::BAD_REQUEST, PIEGE.into());
    }
    if let Err(attente) = state
        .inscriptions
        .compter(state.instance.comptes(), &adresse)
        .await?
    {
        let mut r = refus(StatusCode::TOO_MANY_REQUESTS, TROP_D_INSCRIPTIONS.into())?;
        if let Ok(v) = HeaderValue::from_str(&attente.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let demande = DemandeInscription {
        prenom: f.prenom.clone(),
        contact: Some(f.contact.clone()),
        cle: Some(f.cle.clone()),
        adresse: adresse.clone(),
    };
    let faite = match module.inscrire(session_id, &demande).await {
        Ok(faite) => faite,
        Err(e @ ErreurEvenements::Invalide { .. }) => {
            return refus(StatusCode::BAD_REQUEST, message_personne(&e))
        }
        Err(e @ ErreurEvenements::EvenementAnnule) => {
            return refus(StatusCode::CONFLICT, e.to_string())
        }
        Err(e @ ErreurEvenements::InscriptionsFermees) => {
            return refus(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Err(e) => return Err(e.into()),
    };
    let page = PageInscriptionFaite {
        site: Arc::clone(&state.site),
        evenement: ligne(&state, &detail.evenement),
        session: session.titre.clone(),
        session_quand: quand(session.debut, session.fin),
        prenom: f.prenom.trim().to_string(),
        attente: faite.statut == StatutInscription::ListeAttente,
        cle: faite.cle.clone(),
        cle_debut: faite
            .cle
            .as_deref()
            .map(|c| c.chars().take(5).collect())
            .unwrap_or_else(|| {
                f.cle
                    .trim()
                    .chars()
                    .take(5)
                    .collect::<String>()
                    .to_uppercase()
            }),
        lien: lien_annulation(&faite),
        billet: crate::evenements_diffusion::lien_billet(&faite.jeton_annulation),
        qr: maillage_comptes::securite::qr_svg_avec(
            &faite.uuid,
            "Code QR du billet, à présenter à l’accueil",
        ),
        espace: format!(
            "{}/mon-espace",
            crate::evenements_diffusion::adresse_publique(&state)
        ),
    };
    Ok(sans_cache(
        (StatusCode::OK, Html(page.render()?)).into_response(),
    ))
}

/// What a person reads for a field's error: the field in words.
fn message_personne(e: &ErreurEvenements) -> String {
    match e {
        ErreurEvenements::Invalide { champ, message } => {
            let nom = match champ.as_str() {
                "prenom" => "Prénom ou pseudonyme",
                "contact" => "Téléphone ou courriel",
                "cle" => "Code personnel",
                autre => autre,
            };
            format!("{nom} : {message}")
        }
        autre => autre.to_string(),
    }
}

fn lien_annulation(f: &InscriptionFaite) -> String {
    format!(
        "/inscriptions/annuler?jeton={}",
        crate::erreur::encoder(&f.jeton_annulation)
    )
}

#[derive(Template)]
#[template(path = "annulation.html")]
struct PageAnnulation {
    site: Arc<Site>,
    evenement: LigneEvenement,
    session: String,
    session_quand: String,
    prenom: String,
    statut: String,
    deja_annulee: bool,
    jeton: String,
    faite: bool,
    erreur: Option<String>,
}

async fn page_du_lien(
    state: &AppState,
    jeton: &str,
    faite: bool,
    erreur: Option<String>,
) -> Result<String, ErreurWeb> {
    let (i, s, e) = evenements(state).inscription_du_lien(jeton).await?;
    let page = PageAnnulation {
        site: Arc::clone(&state.site),
        evenement: ligne(state, &e),
        session: s.titre,
        session_quand: quand(s.debut, s.fin),
        prenom: i.prenom,
        statut: libelle::<StatutInscription>(&i.statut, StatutInscription::libelle),
        deja_annulee: i.statut == StatutInscription::Annule.code(),
        jeton: jeton.to_string(),
        faite,
        erreur,
    };
    Ok(page.render()?)
}

/// `GET /inscriptions/annuler?jeton=…`: what the link cancels, and a button (a link alone
/// never cancels: mail scanners and previews follow links).
pub async fn page_annulation(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = parametres(q.as_deref());
    let jeton = un(&p, "jeton").unwrap_or("");
    Ok(sans_cache(
        Html(page_du_lien(&state, jeton, false, None).await?).into_response(),
    ))
}

/// The forms of a ticket's link (cancel, confirm an offered seat): its secret.
#[derive(Deserialize)]
pub struct FormulaireAnnulation {
    #[serde(default)]
    jeton: String,
}

impl FormulaireAnnulation {
    pub(crate) fn jeton(&self) -> &str {
        &self.jeton
    }
}

/// `POST /inscriptions/annuler`: cancels the registration the secret names.
pub async fn annuler(
    State(state): State<AppState>,
    entetes: HeaderMap,
    crate::formulaires::Formulaire(f): crate::formulaires::Formulaire<FormulaireAnnulation>,
) -> Result<Response, ErreurWeb> {
    let adresse_publique = state.instance.comptes().reglages().adresse_publique.clone();
    if !crate::signalements::origine_acceptee(&entetes, Some(&adresse_publique)) {
        let html = page_du_lien(
            &state,
            &f.jeton,
            false,
            Some("Ce formulaire n’a pas été envoyé depuis ce site : appuyez de nouveau sur le bouton.".into()),
        )
        .await?;
        return Ok(sans_cache(
            (StatusCode::FORBIDDEN, Html(html)).into_response(),
        ));
    }
    evenements(&state).annuler(&f.jeton).await?;
    Ok(sans_cache(
        Html(page_du_lien(&state, &f.jeton, true, None).await?).into_response(),
    ))
}

// ---------------------------------------------------------------------------------------
// JSON API.

impl From<ErreurEvenements> for ApiError {
    fn from(e: ErreurEvenements) -> Self {
        let (status, parametre) = match &e {
            ErreurEvenements::Invalide { champ, .. } => (400, Some(champ.clone())),
            ErreurEvenements::Introuvable | ErreurEvenements::LienInvalide => (404, None),
            ErreurEvenements::EvenementAnnule => (409, None),
            ErreurEvenements::InscriptionsFermees => (422, None),
            ErreurEvenements::Comptes(ErreurComptes::TropDeTentatives) => (429, Some("cle".into())),
            ErreurEvenements::Interdit | ErreurEvenements::Comptes(_) => (403, None),
            ErreurEvenements::Interne(m) => {
                return ApiError::interne(format_args!("Événements: {m}"))
            }
        };
        ApiError {
            erreur: e.to_string(),
            parametre,
            status,
        }
    }
}

/// Accessibility of an event, in words.
#[derive(Serialize, ToSchema)]
pub struct AccessibiliteApi {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub mobilite: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub auditif: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub visuel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub mental: Option<String>,
}

/// An event (in a list: without its programme).
#[derive(Serialize, ToSchema)]
pub struct EvenementApi {
    pub id: i64,
    pub titre: String,
    /// `etape_tournee`, `journee_locale` or `atelier`.
    #[serde(rename = "type")]
    pub type_evenement: String,
    /// `publie`, `annule` or `termine`.
    pub statut: String,
    /// INSEE code of the commune.
    pub commune: String,
    pub commune_nom: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub adresse: Option<String>,
    /// A place of the directory (`lieu-…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lieu: Option<String>,
    /// RFC 3339, at the hour of Paris.
    pub debut: String,
    pub fin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    pub accessibilite: AccessibiliteApi,
    /// The tour the event is a stop of.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub tournee: Option<i64>,
    /// The public page.
    pub url: String,
    /// The programme (only in `GET /api/v1/evenements/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub sessions: Option<Vec<SessionApi>>,
}

/// A session of a programme and its seats.
#[derive(Serialize, ToSchema)]
pub struct SessionApi {
    pub id: i64,
    pub titre: String,
    /// `atelier`, `conference`, `table_ronde`, `realite_virtuelle`, `quiz`, `stand`,
    /// `permanence`.
    #[serde(rename = "type")]
    pub type_session: String,
    pub debut: String,
    pub fin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub salle: Option<String>,
    /// Seats (of the shared pool when `jauge` is given).
    pub capacite: i64,
    /// The pool of seats this session shares with the others naming it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub jauge: Option<String>,
    pub inscrits: i64,
    pub en_attente: i64,
    pub places_libres: i64,
}

/// A list of events.
#[derive(Serialize, ToSchema)]
pub struct ReponseEvenements {
    pub total: usize,
    pub evenements: Vec<EvenementApi>,
}

fn evenement_api(
    state: &AppState,
    e: &EvenementRow,
    sessions: Option<&[SessionEvenementRow]>,
) -> EvenementApi {
    let a = &e.accessibilite;
    EvenementApi {
        id: e.id,
        titre: e.titre.clone(),
        type_evenement: e.type_evenement.clone(),
        statut: e.statut.clone(),
        commune: e.commune.clone(),
        commune_nom: nom_commune(state, &e.commune),
        adresse: e.adresse.clone(),
        lieu: e.lieu_id.clone(),
        debut: ecrire_horodatage(e.debut),
        fin: ecrire_horodatage(e.fin),
        description: e.description.clone(),
        accessibilite: AccessibiliteApi {
            mobilite: a.mobilite.clone(),
            auditif: a.auditif.clone(),
            visuel: a.visuel.clone(),
            mental: a.mental.clone(),
        },
        tournee: e.tournee_id,
        url: format!("/evenements/{}", e.id),
        sessions: sessions.map(|s| {
            s.iter()
                .map(|s| SessionApi {
                    id: s.id,
                    titre: s.titre.clone(),
                    type_session: s.type_session.clone(),
                    debut: ecrire_horodatage(s.debut),
                    fin: ecrire_horodatage(s.fin),
                    salle: s.salle.clone(),
                    capacite: s.capacite,
                    jauge: s.jauge.clone(),
                    inscrits: s.inscrits,
                    en_attente: s.en_attente,
                    places_libres: s.places_libres(),
                })
                .collect()
        }),
    }
}

/// `reg:NN`, `dep:NN` (`2A`, `2B`, `97N`), `epci:` + 9 digits, `commune:` + an INSEE code.
fn territoire_bien_forme(v: &str) -> bool {
    let chiffres = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    match v.split_once(':') {
        Some(("reg", c)) => chiffres(c, 2),
        Some(("dep", c)) => {
            chiffres(c, 2) || c == "2A" || c == "2B" || (chiffres(c, 3) && c.starts_with("97"))
        }
        Some(("epci", c)) => chiffres(c, 9),
        Some(("commune", c)) => {
            c.len() == 5
                && c.chars()
                    .all(|x| x.is_ascii_digit() || x == 'A' || x == 'B')
        }
        _ => false,
    }
}

/// The filter of `GET /api/v1/evenements`, read from the query.
pub(crate) fn filtre_api(
    state: &AppState,
    q: Option<&str>,
    depuis_par_defaut: DateTime<Utc>,
) -> Result<FiltrePublic, ApiError> {
    let p = parametres(q);
    let r = state.instance.comptes().referentiel();
    let mut filtre = FiltrePublic::default();
    for (k, v) in &p {
        let v = v.trim();
        // An empty filter is no filter; an empty `limit` is not a number.
        if v.is_empty() && k != "limit" {
            continue;
        }
        match k.as_str() {
            "commune" => match r.commune_or_parent(v) {
                Some(c) => filtre.communes.push(c.code_insee.clone()),
                // A well-formed code the referential does not know: no event is there.
                None if v.len() == 5
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || c == 'A' || c == 'B') =>
                {
                    filtre.communes.push(v.to_string())
                }
                None => {
                    return Err(ApiError::requete(
                        Some("commune"),
                        format!("« {v} » n’est pas un code INSEE de commune (5 caractères)"),
                    ))
                }
            },
            "territoire" => {
                let t = match r.territoire(v) {
                    Ok(t) => t,
                    // A well-formed code the referential does not know: no event is there
                    // (the code itself never equals a commune's, so nothing matches).
                    Err(_) if territoire_bien_forme(v) => {
                        filtre.communes.push(v.to_string());
                        continue;
                    }
                    Err(e) => return Err(ApiError::requete(Some("territoire"), e.to_string())),
                };
                if t.code().is_some() {
                    filtre.communes.extend(
                        r.communes_of_territoire(&t)
                            .into_iter()
                            .map(|c| c.code_insee.clone()),
                    );
                }
            }
            "depuis" => {
                let instant = match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                    Ok(d) => Paris
                        .from_local_datetime(&d.and_time(NaiveTime::MIN))
                        .earliest()
                        .map(|d| d.with_timezone(&Utc)),
                    Err(_) => maillage_evenements::lire_horodatage(v).ok(),
                };
                filtre.depuis = Some(instant.ok_or_else(|| {
                    ApiError::requete(
                        Some("depuis"),
                        format!("« {v} » n’est pas une date (attendu AAAA-MM-JJ)"),
                    )
                })?);
            }
            "type" => {
                filtre.type_evenement = Some(
                    v.parse::<TypeEvenement>()
                        .map_err(|m| ApiError::requete(Some("type"), m))?,
                )
            }
            "limit" => {
                filtre.limite = Some(
                    v.parse::<i64>()
                        .ok()
                        .filter(|n| (1..=maillage_evenements::LISTE_MAX).contains(n))
                        .ok_or_else(|| {
                            ApiError::requete(
                                Some("limit"),
                                format!(
                                    "doit être un nombre entre 1 et {}",
                                    maillage_evenements::LISTE_MAX
                                ),
                            )
                        })?,
                )
            }
            _ => {}
        }
    }
    if filtre.depuis.is_none() {
        filtre.depuis = Some(depuis_par_defaut);
    }
    Ok(filtre)
}

/// The events to come (published, cancelled or finished; not the drafts), by start.
#[utoipa::path(
    get,
    path = "/api/v1/evenements",
    tag = "evenements",
    params(
        ("commune" = Option<String>, Query, description = "Code INSEE d'une commune (répétable) ; un code inconnu ne trouve rien", pattern = r"^([0-9][0-9AB][0-9]{3})?$"),
        ("territoire" = Option<String>, Query, description = "fr, reg:CODE, dep:CODE, epci:SIREN ou commune:CODE ; un code inconnu ne trouve rien", pattern = r"^(fr|reg:[0-9]{2}|dep:([0-9]{2}|2A|2B|97[1-8])|epci:[0-9]{9}|commune:[0-9][0-9AB][0-9]{3})?$"),
        ("depuis" = Option<String>, Query, description = "Événements qui finissent ce jour (AAAA-MM-JJ) ou après ; par défaut maintenant", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("type" = Option<String>, Query, description = "etape_tournee, journee_locale ou atelier", pattern = r"^(etape_tournee|journee_locale|atelier)?$"),
        ("limit" = Option<i64>, Query, description = "Au plus ce nombre d'événements (1 à 500, 500 par défaut)", minimum = 1, maximum = 500),
    ),
    responses(
        (status = 200, description = "Les événements, par date de début", body = ReponseEvenements),
        (status = 400, description = "Paramètre invalide", body = ApiError),
    )
)]
pub async fn api_evenements(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Json<ReponseEvenements>, ApiError> {
    let filtre = filtre_api(&state, q.as_deref(), Utc::now())?;
    let liste = evenements(&state).publics(&filtre).await?;
    Ok(Json(ReponseEvenements {
        total: liste.len(),
        evenements: liste
            .iter()
            .map(|e| evenement_api(&state, e, None))
            .collect(),
    }))
}

/// An event with its programme and the free seats of each session. Its shape is that of
/// the files `maillage evenements importer` reads.
#[utoipa::path(
    get,
    path = "/api/v1/evenements/{id}",
    tag = "evenements",
    params(("id" = i64, Path, description = "Identifiant de l'événement")),
    responses(
        (status = 200, description = "L'événement et son programme", body = EvenementApi),
        (status = 404, description = "Événement introuvable", body = ApiError),
    )
)]
pub async fn api_evenement(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EvenementApi>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::introuvable("Introuvable."))?;
    let d = evenements(&state).detail(id).await?;
    Ok(Json(evenement_api(&state, &d.evenement, Some(&d.sessions))))
}

/// A registration to a session.
#[derive(Deserialize, ToSchema)]
pub struct CorpsInscription {
    /// A first name or a pseudonym (50 characters at most, one line, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub prenom: String,
    /// A phone or an e-mail, only for reminders (200 characters at most, one line).
    #[schema(
        nullable = false,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub contact: Option<String>,
    /// The person's personal code when they already have one (« Mon espace »): the
    /// registration goes under it. Absent: a new code is made and answered.
    #[schema(nullable = false, max_length = 40, pattern = r"^[A-Za-z0-9 -]*$")]
    pub cle: Option<String>,
    /// Leave empty (a trap for robots).
    #[schema(nullable = false, max_length = 0)]
    pub site_web: Option<String>,
}

/// A registration made.
#[derive(Serialize, ToSchema)]
pub struct InscriptionApi {
    /// The registration's id (UUID).
    pub id: String,
    /// `inscrit`, or `liste_attente` when the session is full.
    pub statut: String,
    /// The person's personal code (« Mon espace ») when this registration made it;
    /// absent when the request gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub cle: Option<String>,
    /// The cancellation link (secret: give it to the person only).
    pub annulation: String,
    pub session: i64,
}

fn champ_texte(v: &Value, champ: &str) -> Result<Option<String>, ApiError> {
    match v.get(champ) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::requete(
            Some(champ),
            format!("{champ} : doit être un texte"),
        )),
    }
}

/// Registers a person: `inscrit` while seats remain, else `liste_attente` (arrival order).
/// Never more `inscrit` than seats, whatever the concurrency and the app node.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/inscriptions",
    tag = "evenements",
    params(("id" = i64, Path, description = "Identifiant de la session")),
    request_body(content = CorpsInscription, content_type = "application/json"),
    responses(
        (status = 201, description = "Inscription enregistrée", body = InscriptionApi),
        (status = 400, description = "Champ invalide (le champ est nommé)", body = ApiError),
        (status = 404, description = "Session introuvable", body = ApiError),
        (status = 409, description = "Événement annulé", body = ApiError),
        (status = 415, description = "Corps non JSON", body = ApiError),
        (status = 422, description = "Inscriptions fermées (session commencée, événement terminé)", body = ApiError),
        (status = 429, description = "Trop d'inscriptions depuis cette adresse, ou trop de codes personnels essayés", body = ApiError),
    )
)]
pub async fn api_inscrire(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdresseClient(adresse): AdresseClient,
    entetes: HeaderMap,
    corps: Bytes,
) -> Result<Response, ApiError> {
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
            erreur: "Le corps doit être du JSON (Content-Type: application/json), par exemple {\"prenom\": \"Lucienne\"}.".into(),
            parametre: None,
            status: 415,
        });
    }
    let session_id = id
        .parse::<i64>()
        .map_err(|_| ApiError::introuvable("Introuvable."))?;
    let v: Value = serde_json::from_slice(&corps).map_err(|e| {
        ApiError::requete(
            None,
            format!(
                "JSON illisible à la ligne {}, colonne {}",
                e.line(),
                e.column()
            ),
        )
    })?;
    if !v.is_object() {
        return Err(ApiError::requete(
            None,
            "le corps doit être un objet, par exemple {\"prenom\": \"Lucienne\"}",
        ));
    }
    if champ_texte(&v, "site_web")?.is_some_and(|s| !s.trim().is_empty()) {
        return Err(ApiError::requete(Some("site_web"), PIEGE));
    }
    let prenom = champ_texte(&v, "prenom")?.unwrap_or_default();
    let contact = champ_texte(&v, "contact")?;
    if let Err(attente) = state
        .inscriptions
        .compter(state.instance.comptes(), &adresse)
        .await
        .map_err(ApiError::interne)?
    {
        let mut r = ApiError {
            erreur: TROP_D_INSCRIPTIONS.into(),
            parametre: None,
            status: 429,
        }
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&attente.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let cle = champ_texte(&v, "cle")?;
    let faite = evenements(&state)
        .inscrire(
            session_id,
            &DemandeInscription {
                prenom,
                contact,
                cle,
                adresse: adresse.clone(),
            },
        )
        .await?;
    let corps = InscriptionApi {
        id: faite.uuid.clone(),
        statut: faite.statut.code().to_string(),
        cle: faite.cle.clone(),
        annulation: lien_annulation(&faite),
        session: faite.session_id,
    };
    Ok(sans_cache(
        (StatusCode::CREATED, Json(corps)).into_response(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_words() {
        let t = |h: u32| {
            Paris
                .with_ymd_and_hms(2030, 6, 12, h, 0, 0)
                .single()
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
        };
        assert_eq!(quand(t(9), t(17)), "mercredi 12 juin 2030, de 9 h à 17 h");
        let lendemain = t(17) + chrono::Duration::days(1);
        assert_eq!(
            quand(t(9), lendemain),
            "du mercredi 12 juin 2030 à 9 h au jeudi 13 juin 2030 à 17 h"
        );
    }
}
