//! Événements beyond the site's own pages: iCalendar files and subscribable feeds
//! (`/evenements/{id}.ics`, `/tournees/{id}.ics`, `/evenements.ics?territoire=…|commune=…`),
//! schema.org `Event` JSON-LD for the event page, the printable ticket of a registration
//! (`/inscriptions/billet?jeton=…`, authorised by the registration's secret, as the
//! cancellation is) and the widget for a commune's site (`/evenements/widget?commune=…`).
//!
//! The router cannot match `{id}.ics` inside a segment: `/evenements/{id}` gives the file
//! when its id ends with `.ics`, and `/tournees/{id}` answers only `{id}.ics`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, Utc};
use maillage_evenements::ical::{hote, uid, Calendrier, EvenementIcal};
use maillage_evenements::stockage::{EvenementRow, SessionEvenementRow};
use maillage_evenements::{
    ecrire_horodatage, FiltrePublic, StatutEvenement, StatutInscription, TypeEvenement, TypeSession,
};
use serde_json::{json, Value};

use crate::erreur::{ApiError, ErreurWeb};
use crate::evenements::{
    communes_de, evenements, filtre_api, libelle, ligne, nom_commune, parametres, quand,
    sans_cache, un, LigneEvenement,
};
use crate::site::Site;
use crate::AppState;

/// How far back a subscribable feed goes (a person looking at last week still sees it).
const FLUX_PASSE_JOURS: i64 = 30;
/// How many events the widget lists.
const WIDGET_MAX: i64 = 10;

/// The instance's public address, without its final `/`.
pub(crate) fn adresse_publique(state: &AppState) -> String {
    state
        .instance
        .comptes()
        .reglages()
        .adresse_publique
        .trim_end_matches('/')
        .to_string()
}

/// « Place de la République, Muret » (the address may be missing: the commune alone).
fn ou(state: &AppState, e: &EvenementRow) -> String {
    match &e.adresse {
        Some(a) => format!("{a}, {}", nom_commune(state, &e.commune)),
        None => nom_commune(state, &e.commune),
    }
}

// ---------------------------------------------------------------------------------------
// iCalendar.

fn vevent_evenement(state: &AppState, base: &str, h: &str, e: &EvenementRow) -> EvenementIcal {
    let url = format!("{base}/evenements/{}", e.id);
    let mut description = libelle::<TypeEvenement>(&e.type_evenement, TypeEvenement::libelle);
    if let Some(d) = &e.description {
        description.push_str("\n\n");
        description.push_str(d);
    }
    description.push_str(&format!("\n\nProgramme et inscription : {url}"));
    EvenementIcal {
        uid: uid("evenement", e.id, h),
        debut: e.debut,
        fin: e.fin,
        resume: e.titre.clone(),
        description: Some(description),
        lieu: Some(ou(state, e)),
        url: Some(url),
        annule: e.statut == StatutEvenement::Annule.code(),
    }
}

fn vevent_session(
    state: &AppState,
    base: &str,
    h: &str,
    e: &EvenementRow,
    s: &SessionEvenementRow,
) -> EvenementIcal {
    let url = format!("{base}/evenements/{}#session-{}", e.id, s.id);
    let type_session = libelle::<TypeSession>(&s.type_session, TypeSession::libelle);
    let lieu = match &s.salle {
        Some(salle) => format!("{salle}, {}", ou(state, e)),
        None => ou(state, e),
    };
    EvenementIcal {
        uid: uid("session", s.id, h),
        debut: s.debut,
        fin: s.fin,
        resume: format!("{} — {}", s.titre, e.titre),
        description: Some(format!(
            "{type_session} : {}\n{}\n\nProgramme et inscription : {url}",
            s.titre, e.titre
        )),
        lieu: Some(lieu),
        url: Some(url),
        annule: e.statut == StatutEvenement::Annule.code(),
    }
}

fn reponse_ical(texte: String, fichier: &str) -> Response {
    let mut r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )],
        texte,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{fichier}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// `GET /evenements/{id}.ics`: one `VEVENT` per session, or the event itself when it has
/// no session.
pub(crate) async fn ical_evenement(state: &AppState, id: i64) -> Result<Response, ErreurWeb> {
    let d = evenements(state).detail(id).await?;
    let base = adresse_publique(state);
    let h = hote(&base);
    let e = &d.evenement;
    let liste = if d.sessions.is_empty() {
        vec![vevent_evenement(state, &base, &h, e)]
    } else {
        d.sessions
            .iter()
            .map(|s| vevent_session(state, &base, &h, e, s))
            .collect()
    };
    let texte = Calendrier {
        nom: e.titre.clone(),
        evenements: liste,
    }
    .ecrire(Utc::now());
    Ok(reponse_ical(texte, &format!("evenement-{id}.ics")))
}

fn flux(state: &AppState, nom: String, liste: &[EvenementRow], fichier: &str) -> Response {
    let base = adresse_publique(state);
    let h = hote(&base);
    let texte = Calendrier {
        nom,
        evenements: liste
            .iter()
            .map(|e| vevent_evenement(state, &base, &h, e))
            .collect(),
    }
    .ecrire(Utc::now());
    reponse_ical(texte, fichier)
}

/// `GET /tournees/{id}.ics`: every public stop of a tour, one `VEVENT` per event.
pub async fn ical_tournee(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ErreurWeb> {
    let introuvable = || ErreurWeb::Introuvable("Cette tournée n’existe pas.".into());
    let id = id
        .strip_suffix(".ics")
        .and_then(|i| i.parse::<i64>().ok())
        .ok_or_else(introuvable)?;
    let module = evenements(&state);
    let tournee = module.tournee(id).await?;
    let liste = module
        .publics(&FiltrePublic {
            tournee: Some(id),
            ..FiltrePublic::default()
        })
        .await?;
    Ok(flux(
        &state,
        format!("{} — {}", tournee.titre, state.site.nom),
        &liste,
        &format!("tournee-{id}.ics"),
    ))
}

/// `GET /evenements.ics`: a subscribable feed of the public events, one `VEVENT` per event,
/// filtered as `GET /api/v1/evenements` is (`territoire=dep:31`, `commune=INSEE` repeated,
/// `type`, `depuis`, `limit`); by default from 30 days ago. A wrong parameter: 400 in JSON.
pub async fn ical_territoire(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let filtre = filtre_api(
        &state,
        q.as_deref(),
        Utc::now() - Duration::days(FLUX_PASSE_JOURS),
    )?;
    let liste = evenements(&state).publics(&filtre).await?;
    let p = parametres(q.as_deref());
    let ou = match (un(&p, "territoire"), filtre.communes.len()) {
        (Some(t), _) => format!(" ({t})"),
        (None, 1..=3) => format!(
            " à {}",
            filtre
                .communes
                .iter()
                .map(|c| nom_commune(&state, c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => String::new(),
    };
    Ok(flux(
        &state,
        format!("Événements{ou} — {}", state.site.nom),
        &liste,
        "evenements.ics",
    ))
}

/// The feed of the events of these communes (all events when none).
pub(crate) fn lien_flux(communes: &[String]) -> String {
    if communes.is_empty() {
        return "/evenements.ics".into();
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    for c in communes {
        q.append_pair("commune", c);
    }
    format!("/evenements.ics?{}", q.finish())
}

// ---------------------------------------------------------------------------------------
// JSON-LD.

/// schema.org `Event` for the event page, as the text of a `<script
/// type="application/ld+json">`: `<`, `>` and `&` are written `\u003c`… so that no `</`
/// in a title can close the element.
pub(crate) fn json_ld(state: &AppState, e: &EvenementRow, organisateur: Option<&str>) -> String {
    let base = adresse_publique(state);
    let url = format!("{base}/evenements/{}", e.id);
    let commune = state
        .instance
        .comptes()
        .referentiel()
        .commune_or_parent(&e.commune);
    let mut adresse = json!({
        "@type": "PostalAddress",
        "addressLocality": nom_commune(state, &e.commune),
        "addressCountry": "FR",
    });
    if let Some(a) = &e.adresse {
        adresse["streetAddress"] = json!(a);
    }
    if let Some(cp) = commune.and_then(|c| c.codes_postaux.first()) {
        adresse["postalCode"] = json!(cp);
    }
    let lieu = json!({
        "@type": "Place",
        "name": e.adresse.clone().unwrap_or_else(|| nom_commune(state, &e.commune)),
        "address": adresse,
    });
    let statut = if e.statut == StatutEvenement::Annule.code() {
        "https://schema.org/EventCancelled"
    } else {
        "https://schema.org/EventScheduled"
    };
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": e.titre,
        "startDate": ecrire_horodatage(e.debut),
        "endDate": ecrire_horodatage(e.fin),
        "eventStatus": statut,
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": lieu,
        "isAccessibleForFree": true,
        "offers": {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "EUR",
            "url": url,
        },
        "inLanguage": "fr",
        "url": url,
    });
    if let Some(d) = &e.description {
        v["description"] = json!(d);
    }
    if let Some(o) = organisateur {
        v["organizer"] = json!({"@type": "Organization", "name": o});
    }
    echapper_script(&v)
}

/// JSON safe inside a `<script>` element.
fn echapper_script(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

// ---------------------------------------------------------------------------------------
// The ticket.

/// The ticket of a registration, authorised by its secret.
pub(crate) fn lien_billet(jeton: &str) -> String {
    format!(
        "/inscriptions/billet?jeton={}",
        crate::erreur::encoder(jeton)
    )
}

#[derive(Template)]
#[template(path = "billet.html")]
struct PageBillet {
    site: Arc<Site>,
    evenement: LigneEvenement,
    session: String,
    session_type: String,
    session_quand: String,
    salle: Option<String>,
    prenom: String,
    statut: String,
    annulee: bool,
    attente: bool,
    cle: String,
    qr: String,
    /// Where the person finds this registration again (absolute).
    espace: String,
    annulation: String,
    /// A freed seat held for the person: until when, and the link's secret to confirm it.
    offre: Option<String>,
    jeton: String,
    message: Option<String>,
    erreur: Option<String>,
}

/// `GET /inscriptions/billet?jeton=…`: the printable ticket: the session, when, where, the
/// visitor's key in large characters, a QR code carrying the registration's UUID (what the
/// check-in scans), the beginning of the person's code and the address of « Mon espace »
/// where they find their registrations with it. Nothing personal but the first name; the
/// whole code is shown once, on the confirmation (stored hashed, it cannot be shown again).
pub async fn page_billet(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = parametres(q.as_deref());
    let jeton = un(&p, "jeton").unwrap_or("");
    billet(&state, jeton, (None, None, StatusCode::OK)).await
}

/// `POST /inscriptions/confirmer` (`jeton`): confirms the seat offered from the waiting
/// list to the registration of the ticket's link, then shows the ticket again.
pub async fn confirmer_offre(
    State(state): State<AppState>,
    entetes: HeaderMap,
    crate::formulaires::Formulaire(f): crate::formulaires::Formulaire<
        crate::evenements::FormulaireAnnulation,
    >,
) -> Result<Response, ErreurWeb> {
    let adresse_publique = state.instance.comptes().reglages().adresse_publique.clone();
    if !crate::signalements::origine_acceptee(&entetes, Some(&adresse_publique)) {
        let refus = Some(
            "Ce formulaire n’a pas été envoyé depuis ce site : appuyez de nouveau sur le bouton."
                .into(),
        );
        return billet(&state, f.jeton(), (None, refus, StatusCode::FORBIDDEN)).await;
    }
    let c = evenements(&state).confirmer_offre(f.jeton()).await?;
    billet(&state, f.jeton(), crate::evenements::issue_confirmation(c)).await
}

async fn billet(
    state: &AppState,
    jeton: &str,
    (message, erreur, statut): (Option<String>, Option<String>, StatusCode),
) -> Result<Response, ErreurWeb> {
    let (i, s, e) = evenements(state).inscription_du_lien(jeton).await?;
    let offre = crate::evenements::offre_en_cours(&i, state.instance.comptes().maintenant());
    let annulee = i.statut == StatutInscription::Annule.code();
    let page = PageBillet {
        site: Arc::clone(&state.site),
        evenement: ligne(state, &e),
        session: s.titre.clone(),
        session_type: libelle::<TypeSession>(&s.type_session, TypeSession::libelle),
        session_quand: quand(s.debut, s.fin),
        salle: s.salle.clone(),
        prenom: i.prenom.clone(),
        statut: libelle::<StatutInscription>(&i.statut, StatutInscription::libelle),
        annulee,
        attente: i.statut == StatutInscription::ListeAttente.code(),
        cle: if i.cle.len() == 5 {
            format!("{}-…", i.cle)
        } else {
            String::new()
        },
        qr: if annulee {
            String::new()
        } else {
            maillage_comptes::securite::qr_svg_avec(
                &i.uuid,
                "Code QR du billet, à présenter à l’accueil",
            )
        },
        espace: format!("{}/mon-espace", adresse_publique(state)),
        annulation: format!(
            "/inscriptions/annuler?jeton={}",
            crate::erreur::encoder(jeton)
        ),
        offre,
        jeton: jeton.to_string(),
        message,
        erreur,
    };
    let mut r = sans_cache((statut, Html(page.render()?)).into_response());
    // The address holds the secret: never sent to another page.
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(r)
}

// ---------------------------------------------------------------------------------------
// The widget.

#[derive(Template)]
#[template(path = "evenements_widget.html")]
struct PageWidget {
    site: Arc<Site>,
    titre: String,
    erreur: Option<String>,
    evenements: Vec<LigneEvenement>,
    tous: String,
    flux: String,
}

/// `GET /evenements/widget?commune=…` (INSEE or postal code): the coming events, compact,
/// for an iframe on a commune's website; links open in a new tab. Any site may frame it.
pub async fn widget(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ErreurWeb> {
    let p = parametres(q.as_deref());
    let saisie = un(&p, "commune").unwrap_or("");
    let mut filtre = FiltrePublic {
        depuis: Some(Utc::now()),
        limite: Some(WIDGET_MAX),
        ..FiltrePublic::default()
    };
    let mut titre = "Prochains événements du numérique".to_string();
    let mut erreur = None;
    let mut tous = "/evenements".to_string();
    if !saisie.is_empty() {
        let trouvees = communes_de(&state, saisie);
        if trouvees.is_empty() {
            erreur = Some(format!(
                "« {saisie} » n’est pas un code postal ni un code de commune connu."
            ));
        } else {
            titre = format!(
                "Prochains événements du numérique à {}",
                trouvees
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            tous = format!("/evenements?commune={}", crate::erreur::encoder(saisie));
            filtre.communes = trouvees.into_iter().map(|(c, _)| c).collect();
        }
    }
    let liste = if erreur.is_some() {
        Vec::new()
    } else {
        evenements(&state).publics(&filtre).await?
    };
    let page = PageWidget {
        site: Arc::clone(&state.site),
        titre,
        erreur,
        evenements: liste.iter().map(|e| ligne(&state, e)).collect(),
        tous,
        flux: lien_flux(&filtre.communes),
    };
    // Meant to be framed by any site (as `/widget`).
    Ok((
        [(header::CONTENT_SECURITY_POLICY, "frame-ancestors *")],
        Html(page.render()?),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let v = json!({"name": "</script><script>alert(1)</script> & co"});
        let s = echapper_script(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let relu: Value = serde_json::from_str(&s).unwrap_or(Value::Null);
        assert_eq!(relu, v);
    }

    #[test]
    fn feed_links() {
        assert_eq!(lien_flux(&[]), "/evenements.ics");
        assert_eq!(
            lien_flux(&["31395".into(), "31555".into()]),
            "/evenements.ics?commune=31395&commune=31555"
        );
    }
}
