//! What the operators see: a request id on every answer (and in every log line of the
//! request, and on every error page), `/metrics` in Prometheus' text format, `/pret`
//! (ready: database reachable, migrations applied, search engine loaded). See
//! docs/EXPLOITATION.md.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tracing::Instrument;

use crate::AppState;

/// Upper bounds (seconds) of the latency histogram's buckets.
const SEUILS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The id of the request under way: in the request's extensions (error pages read it), in
/// the `x-request-id` answer header, in the span of every log line of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRequete(pub String);

#[derive(Default)]
struct Histogramme {
    seaux: [u64; SEUILS.len()],
    somme: f64,
    nombre: u64,
}

impl Histogramme {
    fn noter(&mut self, secondes: f64) {
        for (seau, seuil) in self.seaux.iter_mut().zip(SEUILS) {
            if secondes <= seuil {
                *seau += 1;
            }
        }
        self.somme += secondes;
        self.nombre += 1;
    }
}

/// The counters of one app node (each node exports its own; Prometheus sums them).
pub struct Metriques {
    /// Random per process, so that ids stay unique across the nodes of one instance.
    prefixe: String,
    suivant: AtomicU64,
    /// (route, method, status) → requests.
    requetes: Mutex<HashMap<(String, String, u16), u64>>,
    /// (route, method) → latency.
    durees: Mutex<HashMap<(String, String), Histogramme>>,
    rechargements: Mutex<Histogramme>,
    moteur_charge: AtomicBool,
    demarrage: Instant,
    /// `MAILLAGE_METRIQUES_JETON`: the bearer token `/metrics` asks for (none: loopback only).
    jeton: Option<String>,
}

impl Default for Metriques {
    /// The token from `MAILLAGE_METRIQUES_JETON`.
    fn default() -> Self {
        Metriques::avec_jeton(
            std::env::var("MAILLAGE_METRIQUES_JETON")
                .ok()
                .filter(|j| !j.is_empty()),
        )
    }
}

impl Metriques {
    /// Counters whose `/metrics` asks for `jeton` (none: clients on the loopback address only).
    pub fn avec_jeton(jeton: Option<String>) -> Self {
        let aleatoire = maillage_comptes::securite::jeton_aleatoire();
        Metriques {
            prefixe: aleatoire
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect(),
            suivant: AtomicU64::new(1),
            requetes: Mutex::default(),
            durees: Mutex::default(),
            rechargements: Mutex::default(),
            moteur_charge: AtomicBool::new(false),
            demarrage: Instant::now(),
            jeton,
        }
    }

    fn nouvel_id(&self) -> String {
        let n = self.suivant.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:x}", self.prefixe)
    }

    fn noter_requete(&self, route: &str, methode: &str, statut: u16, duree: Duration) {
        {
            let mut r = self.requetes.lock().unwrap_or_else(|e| e.into_inner());
            *r.entry((route.to_string(), methode.to_string(), statut))
                .or_default() += 1;
        }
        let mut d = self.durees.lock().unwrap_or_else(|e| e.into_inner());
        d.entry((route.to_string(), methode.to_string()))
            .or_default()
            .noter(duree.as_secs_f64());
    }

    /// A rebuild of the search engine that took `duree`.
    pub(crate) fn noter_rechargement(&self, duree: Duration) {
        self.rechargements
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .noter(duree.as_secs_f64());
        self.moteur_charge.store(true, Ordering::Release);
    }

    fn moteur_charge(&self) -> bool {
        self.moteur_charge.load(Ordering::Acquire)
    }
}

/// An id given by a proxy is kept if it is short and plain; otherwise a new one.
fn id_entrant(entetes: &HeaderMap) -> Option<String> {
    let v = entetes.get("x-request-id")?.to_str().ok()?;
    let sur = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    sur.then(|| v.to_string())
}

/// The outermost layer: gives the request its id and span, measures it, logs the answers
/// that are errors (with the id), and counts it for `/metrics`.
pub(crate) async fn observer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let debut = Instant::now();
    let metriques = Arc::clone(&state.metriques);
    let id = id_entrant(req.headers()).unwrap_or_else(|| metriques.nouvel_id());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "autre".to_string(), |m| m.as_str().to_string());
    let methode = req.method().as_str().to_string();
    req.extensions_mut().insert(IdRequete(id.clone()));
    let span = tracing::info_span!("requete", id = %id, methode = %methode, route = %route);
    let mut reponse = next.run(req).instrument(span.clone()).await;
    let duree = debut.elapsed();
    let statut = reponse.status();
    let ms = duree.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if statut.is_server_error() {
            tracing::error!(statut = statut.as_u16(), ms, "request failed");
        } else if statut.is_client_error() {
            tracing::info!(statut = statut.as_u16(), ms, "request refused");
        } else {
            tracing::debug!(statut = statut.as_u16(), ms, "request answered");
        }
    });
    metriques.noter_requete(&route, &methode, statut.as_u16(), duree);
    if let Ok(v) = HeaderValue::from_str(&id) {
        reponse.headers_mut().insert("x-request-id", v);
    }
    reponse
}

/// Who may read `/metrics`: the bearer of the token when one is set; otherwise a client on
/// the loopback address only (an operator's scraper on the same host).
fn metriques_permises(
    jeton: Option<&str>,
    entetes: &HeaderMap,
    client: Option<SocketAddr>,
) -> bool {
    match jeton {
        Some(jeton) => entetes
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|donne| maillage_comptes::securite::egal_temps_constant(donne, jeton)),
        None => client.is_some_and(|a| a.ip().is_loopback()),
    }
}

fn echapper(etiquette: &str) -> String {
    etiquette
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn ecrire_histogramme(sortie: &mut String, nom: &str, etiquettes: &str, h: &Histogramme) {
    let sep = if etiquettes.is_empty() { "" } else { "," };
    for (seuil, n) in SEUILS.iter().zip(h.seaux) {
        let _ = writeln!(
            sortie,
            "{nom}_bucket{{{etiquettes}{sep}le=\"{seuil}\"}} {n}"
        );
    }
    let _ = writeln!(
        sortie,
        "{nom}_bucket{{{etiquettes}{sep}le=\"+Inf\"}} {}",
        h.nombre
    );
    let accolades = if etiquettes.is_empty() {
        String::new()
    } else {
        format!("{{{etiquettes}}}")
    };
    let _ = writeln!(sortie, "{nom}_sum{accolades} {}", h.somme);
    let _ = writeln!(sortie, "{nom}_count{accolades} {}", h.nombre);
}

/// `GET /metrics`: Prometheus' text format (version 0.0.4).
pub(crate) async fn metrics(
    State(state): State<AppState>,
    requete: axum::http::request::Parts,
) -> Response {
    let client = requete
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    if !metriques_permises(state.metriques.jeton.as_deref(), &requete.headers, client) {
        return (
            StatusCode::FORBIDDEN,
            "Métriques réservées : jeton MAILLAGE_METRIQUES_JETON ou accès local.",
        )
            .into_response();
    }
    let m = &state.metriques;
    let mut s = String::with_capacity(16 * 1024);
    s.push_str("# HELP maillage_requetes_total HTTP requests answered, by route, method and status.\n# TYPE maillage_requetes_total counter\n");
    {
        let requetes = m.requetes.lock().unwrap_or_else(|e| e.into_inner());
        let mut lignes: Vec<_> = requetes.iter().collect();
        lignes.sort();
        for ((route, methode, statut), n) in lignes {
            let _ = writeln!(
                s,
                "maillage_requetes_total{{route=\"{}\",methode=\"{methode}\",statut=\"{statut}\"}} {n}",
                echapper(route)
            );
        }
    }
    s.push_str("# HELP maillage_requete_duree_secondes Time to answer, by route and method.\n# TYPE maillage_requete_duree_secondes histogram\n");
    {
        let durees = m.durees.lock().unwrap_or_else(|e| e.into_inner());
        let mut lignes: Vec<_> = durees.iter().collect();
        lignes.sort_by(|a, b| a.0.cmp(b.0));
        for ((route, methode), h) in lignes {
            let etiquettes = format!("route=\"{}\",methode=\"{methode}\"", echapper(route));
            ecrire_histogramme(&mut s, "maillage_requete_duree_secondes", &etiquettes, h);
        }
    }
    s.push_str("# HELP maillage_moteur_reconstruction_secondes Rebuilds of the search engine.\n# TYPE maillage_moteur_reconstruction_secondes histogram\n");
    {
        let h = m.rechargements.lock().unwrap_or_else(|e| e.into_inner());
        ecrire_histogramme(&mut s, "maillage_moteur_reconstruction_secondes", "", &h);
    }
    let _ = writeln!(
        s,
        "# HELP maillage_moteur_lieux Places in the search engine in use.\n# TYPE maillage_moteur_lieux gauge\nmaillage_moteur_lieux {}",
        state.moteur().len()
    );
    match state.instance.etat_base().await {
        Ok(b) => {
            let _ = writeln!(
                s,
                "# HELP maillage_base_connexions Connections of the database pool.\n# TYPE maillage_base_connexions gauge\nmaillage_base_connexions{{etat=\"ouvertes\"}} {}\nmaillage_base_connexions{{etat=\"inactives\"}} {}\nmaillage_base_connexions{{etat=\"max\"}} {}",
                b.connexions, b.connexions_inactives, b.connexions_max
            );
            let _ = writeln!(
                s,
                "# HELP maillage_base_joignable 1 if the database answered.\n# TYPE maillage_base_joignable gauge\nmaillage_base_joignable 1\n# HELP maillage_migrations Migrations known to this binary and applied in the database.\n# TYPE maillage_migrations gauge\nmaillage_migrations{{etat=\"connues\"}} {}\nmaillage_migrations{{etat=\"appliquees\"}} {}",
                b.migrations_connues, b.migrations_appliquees
            );
        }
        Err(e) => {
            tracing::warn!("metrics: database unreachable: {e}");
            s.push_str("# HELP maillage_base_joignable 1 if the database answered.\n# TYPE maillage_base_joignable gauge\nmaillage_base_joignable 0\n");
        }
    }
    s.push_str("# HELP maillage_taches_total Runs of the periodic jobs in this process.\n# TYPE maillage_taches_total counter\n");
    let taches = maillage_instance::taches_executees();
    for (nom, t) in &taches {
        let _ = writeln!(
            s,
            "maillage_taches_total{{tache=\"{nom}\"}} {}",
            t.executions
        );
    }
    s.push_str("# HELP maillage_taches_echecs_total Failed runs of the periodic jobs.\n# TYPE maillage_taches_echecs_total counter\n");
    for (nom, t) in &taches {
        let _ = writeln!(
            s,
            "maillage_taches_echecs_total{{tache=\"{nom}\"}} {}",
            t.echecs
        );
    }
    s.push_str("# HELP maillage_taches_cedees_total Periods of a job left to another node.\n# TYPE maillage_taches_cedees_total counter\n");
    for (nom, t) in &taches {
        let _ = writeln!(
            s,
            "maillage_taches_cedees_total{{tache=\"{nom}\"}} {}",
            t.cedees
        );
    }
    if let Ok(mandats) = state.instance.mandats() {
        match mandats.etat_journal().await {
            Ok((longueur, dernier_sceau)) => {
                let _ = writeln!(
                    s,
                    "# HELP maillage_journal_entrees Entries of the Mandats journal.\n# TYPE maillage_journal_entrees gauge\nmaillage_journal_entrees {longueur}"
                );
                if let Some(us) = dernier_sceau {
                    let age = (chrono::Utc::now().timestamp_micros() - us).max(0) as f64 / 1e6;
                    let _ = writeln!(
                        s,
                        "# HELP maillage_journal_dernier_sceau_age_secondes Age of the journal's last seal.\n# TYPE maillage_journal_dernier_sceau_age_secondes gauge\nmaillage_journal_dernier_sceau_age_secondes {age}"
                    );
                }
            }
            Err(e) => tracing::warn!("metrics: journal unreadable: {e}"),
        }
    }
    let _ = writeln!(
        s,
        "# HELP maillage_demarre_depuis_secondes Time since this node started.\n# TYPE maillage_demarre_depuis_secondes gauge\nmaillage_demarre_depuis_secondes {}",
        m.demarrage.elapsed().as_secs_f64()
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s,
    )
        .into_response()
}

/// The answer of `/pret`.
#[derive(Serialize)]
struct Pret {
    pret: bool,
    base: bool,
    migrations: bool,
    moteur: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    raison: Option<String>,
}

/// `GET /pret`: 200 when this node can serve (database reachable, every migration of this
/// binary applied, search engine loaded), 503 otherwise — what a load balancer asks.
/// `/sante` only says that the process answers.
pub(crate) async fn pret(State(state): State<AppState>) -> Response {
    let moteur = state.metriques.moteur_charge();
    let (base, migrations, raison) = match state.instance.etat_base().await {
        Ok(b) if b.migrations_a_jour() => (true, true, None),
        Ok(b) => (
            true,
            false,
            Some(format!(
                "migrations : {} appliquées, {} attendues",
                b.migrations_appliquees, b.migrations_connues
            )),
        ),
        Err(e) => {
            tracing::warn!("readiness: database unreachable: {e}");
            (
                false,
                false,
                Some("base de données injoignable".to_string()),
            )
        }
    };
    let raison = raison.or_else(|| (!moteur).then(|| "moteur de recherche en chargement".into()));
    let corps = Pret {
        pret: base && migrations && moteur,
        base,
        migrations,
        moteur,
        raison,
    };
    let statut = if corps.pret {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (statut, Json(corps)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn un_id_donne_par_un_mandataire_est_garde_s_il_est_simple() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("abc-123_x.y"));
        assert_eq!(id_entrant(&h).as_deref(), Some("abc-123_x.y"));
        h.insert("x-request-id", HeaderValue::from_static("a b"));
        assert_eq!(id_entrant(&h), None);
        h.insert(
            "x-request-id",
            HeaderValue::from_str(&"a".repeat(65)).unwrap(),
        );
        assert_eq!(id_entrant(&h), None);
    }

    #[test]
    fn l_histogramme_est_cumulatif() {
        let mut h = Histogramme::default();
        h.noter(0.003);
        h.noter(0.2);
        h.noter(20.0);
        // 0.003 s is in every bucket from 0.005 s; 0.2 s from 0.25 s; 20 s in none but +Inf.
        assert_eq!(h.seaux[0], 0);
        assert_eq!(h.seaux[2], 1);
        assert_eq!(h.seaux[7], 2);
        assert_eq!(h.seaux[SEUILS.len() - 1], 2);
        assert_eq!(h.nombre, 3);
        let mut s = String::new();
        ecrire_histogramme(&mut s, "x", "", &h);
        assert!(s.contains("x_bucket{le=\"+Inf\"} 3"), "{s}");
        assert!(s.contains("x_count 3"), "{s}");
    }

    #[test]
    fn les_ids_d_un_noeud_sont_distincts() {
        let m = Metriques::default();
        let a = m.nouvel_id();
        let b = m.nouvel_id();
        assert_ne!(a, b);
        assert!(a.starts_with(&m.prefixe));
    }
}
