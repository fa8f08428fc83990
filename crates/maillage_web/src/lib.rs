//! The web server of Maillage: public pages (server-rendered, usable without JavaScript), the
//! JSON API under `/api/v1` (OpenAPI at `/api/openapi.json`), and assets embedded in the
//! binary.
//!
//! Searches are answered by the in-memory engine of [`maillage_annuaire::recherche`], rebuilt in
//! the background and swapped atomically when the directory changes (an import or a merge
//! decision, even from another process: the store is polled).
pub mod pdf;

mod api;
mod assets;
mod competences;
pub mod enquete;
mod erreur;
pub mod espace;
pub mod evenements;
mod evenements_diffusion;
pub mod evenements_espace;
mod formulaires;
mod lieux_maj;
pub mod observabilite;
mod pages;
pub mod parametres;
pub mod pass;
pub mod pass_espace;
pub mod personne;
pub mod presentation;
pub mod routeurs;
mod securite;
pub mod serveur;
pub mod signalements;
mod site;
mod territoire;
pub mod tournees;

pub use erreur::{ApiError, ErreurWeb};
pub use routeurs::{Module, Route};
pub use site::{contraste_avec_blanc, Site};
#[doc(hidden)]
pub use territoire::{
    occuper_calculs_lourds_pour_tests, CALCULS_LOURDS_MAX, LIMITE_API_DEFAUT, LIMITE_API_MAX,
};

use axum::Router;
use maillage_annuaire::annuaire::{Annuaire, VersionPublication};
use maillage_annuaire::recherche::{Moteur, MoteurPartage};
use maillage_instance::Instance;
use routeurs::RouteurModule;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Keys a server makes ahead of need, by default (`MAILLAGE_RESERVE_CLES`).
pub const RESERVE_CLES: usize = 512;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    /// Every module of the instance.
    pub instance: Instance,
    /// The directory (the instance's, kept at hand: most pages read it).
    pub annuaire: Annuaire,
    pub site: Arc<Site>,
    moteur: Arc<MoteurPartage>,
    /// Token key and limits of the public error reports (and of the registration forms).
    pub signalements: Arc<signalements::GardeSignalements>,
    /// The per-address limit of registrations to events.
    pub inscriptions: Arc<evenements::GardeInscriptions>,
    /// Request ids and the counters of `/metrics`.
    pub metriques: Arc<observabilite::Metriques>,
}

impl AppState {
    /// Loads the published places and builds the search engine.
    pub async fn new(instance: Instance, site: Site) -> anyhow::Result<AppState> {
        let site = Arc::new(site);
        // A server keeps keys made ahead for bursts of registrations (Comptes::avec_reserve_de_cles).
        let reserve = match std::env::var("MAILLAGE_RESERVE_CLES") {
            Ok(v) => v.trim().parse::<usize>().map_err(|_| {
                anyhow::anyhow!("MAILLAGE_RESERVE_CLES : un nombre de clés est attendu (0 = aucune réserve), pas « {v} »")
            })?,
            Err(_) => RESERVE_CLES,
        };
        let comptes = instance.comptes().clone().avec_reserve_de_cles(reserve);
        let instance = instance.avec_comptes(comptes);
        let signalements = signalements::GardeSignalements::depuis_env(instance.comptes()).await?;
        let state = AppState {
            annuaire: instance.annuaire().clone(),
            instance,
            site,
            moteur: Arc::new(MoteurPartage::default()),
            signalements: Arc::new(signalements),
            inscriptions: Arc::new(evenements::GardeInscriptions::depuis_env()),
            metriques: Arc::new(observabilite::Metriques::default()),
        };
        state.recharger().await?;
        Ok(state)
    }

    /// The engine in use.
    pub fn moteur(&self) -> Arc<Moteur> {
        self.moteur.courant()
    }

    /// Rebuilds the engine from the store and swaps it in.
    pub async fn recharger(&self) -> anyhow::Result<usize> {
        let debut = std::time::Instant::now();
        let lieux = self.annuaire.lieux_publies(None).await?;
        let moteur = tokio::task::spawn_blocking(move || Moteur::nouveau(lieux)).await?;
        let n = moteur.len();
        self.moteur.remplacer(moteur);
        self.metriques.noter_rechargement(debut.elapsed());
        Ok(n)
    }

    async fn version(&self) -> anyhow::Result<VersionPublication> {
        Ok(self.annuaire.version_publication().await?)
    }

    /// Publishes stored records whose re-merge was interrupted (a crash between an import
    /// and its re-merge): when the same import generation is still pending at two checks
    /// in a row — a re-merge under way elsewhere has had a whole period to finish. Returns
    /// the pending generation seen now.
    async fn finir_fusion_interrompue(&self, vue: Option<i64>) -> Option<i64> {
        match self.annuaire.generation_en_attente().await {
            Ok(Some(g)) if vue == Some(g) => {
                tracing::warn!("a re-merge was interrupted: re-merging now");
                if let Err(e) = self.annuaire.refusionner().await {
                    tracing::error!("finishing an interrupted re-merge failed: {e}");
                }
                None
            }
            Ok(attente) => attente,
            Err(e) => {
                tracing::error!("reading the re-merge state failed: {e}");
                vue
            }
        }
    }

    /// Watches the store and rebuilds the engine when the directory changed: at once when
    /// the database signals a change made by any process (PostgreSQL LISTEN/NOTIFY, see
    /// [`Instance::signal_publication`]), and every `periode` in any case (the only check on
    /// SQLite; on PostgreSQL, the fallback if a notification is lost). Only the periodic
    /// check finishes an interrupted re-merge (it needs a whole period between two looks).
    pub fn surveiller(&self, periode: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut signal = match state.instance.signal_publication().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("no change signal from the database, polling only: {e}");
                    None
                }
            };
            if signal.is_some() {
                tracing::info!("listening for directory changes (LISTEN/NOTIFY)");
            }
            let mut connue = state.version().await.ok();
            let mut en_attente = None;
            let mut horloge = tokio::time::interval(periode);
            horloge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            horloge.tick().await;
            loop {
                let signale = tokio::select! {
                    _ = horloge.tick() => false,
                    vivant = changement_signale(&mut signal) => vivant,
                };
                if !signale {
                    en_attente = state.finir_fusion_interrompue(en_attente).await;
                }
                let Ok(v) = state.version().await else {
                    continue;
                };
                if connue.as_ref() != Some(&v) {
                    match state.recharger().await {
                        Ok(n) => {
                            tracing::info!("directory changed: search engine rebuilt ({n} places)")
                        }
                        Err(e) => tracing::error!("rebuilding the search engine failed: {e}"),
                    }
                    connue = Some(v);
                }
            }
        })
    }
}

/// Waits for the database's next change signal: `true` when one came; never returns when
/// there is no signal (or once it has stopped: it is dropped and the polling remains).
async fn changement_signale(signal: &mut Option<maillage_instance::SignalPublication>) -> bool {
    if let Some(s) = signal.as_mut() {
        if s.changed().await.is_ok() {
            return true;
        }
        tracing::warn!("the database's change signal stopped: polling only");
        *signal = None;
    }
    std::future::pending().await
}

/// The technical routes: assets, health check, favicon, the OpenAPI document.
fn routeur_technique() -> RouteurModule {
    RouteurModule::new(Module::Technique)
        .get("/api/openapi.json", api::openapi)
        .get("/assets/{*chemin}", assets::servir)
        .get("/sante", || async { "ok" })
        .get("/pret", observabilite::pret)
        .get("/metrics", observabilite::metrics)
        .get("/favicon.ico", assets::favicon)
        .get("/.well-known/security.txt", securite::security_txt)
}

/// The router of every module: the one place where they are merged.
fn modules() -> [RouteurModule; 12] {
    [
        lieux_maj::routeur(),
        tournees::routeur(),
        personne::routeur(),
        pages::routeur(),
        competences::routeur(),
        territoire::routeur(),
        espace::routeur(),
        espace::mandats::routeur(),
        evenements::routeur(),
        pass::routeur(),
        enquete::routeur(),
        routeur_technique(),
    ]
}

/// Every route of every module, as registered by the routers (the permission tests
/// enumerate them).
pub fn routes() -> Vec<Route> {
    modules()
        .into_iter()
        .flat_map(|m| m.en_parties().1)
        .collect()
}

/// The merged routers and the OpenAPI document built from them (with the modifiers of
/// [`api::completer`]).
fn assembler() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi as _;
    let tous = modules().into_iter().fold(
        utoipa_axum::router::OpenApiRouter::with_openapi(api::Entete::openapi()),
        |tous, m| tous.merge(m.en_parties().0),
    );
    let (routeur, mut doc) = tous.split_for_parts();
    api::completer(&mut doc);
    (routeur, doc)
}

/// The OpenAPI document served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    assembler().1
}

/// Every route.
pub fn router(state: AppState) -> Router {
    let (routeur, doc) = assembler();
    let site = Arc::clone(&state.site);
    routeur
        .fallback(pages::introuvable)
        .layer(axum::Extension(Arc::new(doc)))
        // Error pages in the site's look; refusals of the extractors (body too large,
        // unreadable form…) in French.
        .layer(axum::middleware::from_fn_with_state(
            site,
            erreur::rendre_erreurs,
        ))
        // Security headers on every answer, the CSP of every page (computed from the page).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            securite::en_tetes,
        ))
        // Fastest gzip level: see docs/PERFORMANCE.md (throughput and sizes, both levels).
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        // Outermost: the request id and span, the counters of /metrics.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observabilite::observer,
        ))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, with the limits of [`serveur::ReglagesServeur`].
pub async fn serve(instance: Instance, listen: SocketAddr, site: Site) -> anyhow::Result<()> {
    if let Ok(m) = instance.mandats() {
        // Refuse to start with a journal key that did not sign the database's seals.
        m.controler_cle("MAILLAGE_JOURNAL_CLE").await?;
    }
    let mut reglages = instance.comptes().reglages().clone();
    reglages.adresse_publique =
        std::env::var("MAILLAGE_ADRESSE_PUBLIQUE").unwrap_or_else(|_| format!("http://{listen}"));
    let comptes = instance.comptes().clone().avec_reglages(reglages);
    let instance = instance.avec_comptes(comptes.clone());
    // Retention, dormant accounts and old sign-in attempts: checked every hour.
    maillage_mediation::planifier_taches(instance.mediation().clone(), Duration::from_secs(3600));
    match maillage_comptes::courrier::Smtp::depuis_env() {
        Some(Ok(smtp)) => {
            maillage_comptes::courrier::planifier_envois(comptes, smtp, Duration::from_secs(60))
        }
        Some(Err(e)) => anyhow::bail!("{e}"),
        None => {}
    }
    let instance = match (instance.mandats(), std::env::var("MAILLAGE_OIDC_ISSUER")) {
        (Ok(mandats), Ok(issuer)) => {
            // An identity provider (FranceConnect or any OpenID Connect provider).
            let adresse = std::env::var("MAILLAGE_ADRESSE_PUBLIQUE")
                .unwrap_or_else(|_| format!("http://{listen}"));
            let config = maillage_identite::ConfigOidc {
                issuer,
                client_id: std::env::var("MAILLAGE_OIDC_CLIENT_ID").unwrap_or_default(),
                client_secret: std::env::var("MAILLAGE_OIDC_CLIENT_SECRET").unwrap_or_default(),
                redirect_uri: format!(
                    "{}/espace/mandats/identite/retour",
                    adresse.trim_end_matches('/')
                ),
                scopes: "given_name family_name birthdate birthplace"
                    .split(' ')
                    .map(String::from)
                    .collect(),
                libelle: std::env::var("MAILLAGE_OIDC_LIBELLE")
                    .unwrap_or_else(|_| "FranceConnect".into()),
            };
            match maillage_identite::Oidc::decouvrir(config).await {
                Ok(oidc) => {
                    let oidc = oidc.avec_parametre_autorisation("prompt", "login");
                    let m = mandats.clone().avec_fournisseur(std::sync::Arc::new(oidc));
                    instance.clone().avec_mandats(m)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "identity provider unavailable: documents only");
                    instance.clone()
                }
            }
        }
        _ => instance.clone(),
    };
    if let Ok(mandats) = instance.mandats() {
        // Expiry reminders and a seal over pending journal entries: every hour.
        maillage_mandats::planifier_taches(mandats.clone(), Duration::from_secs(3600));
    }
    let instance = if std::env::var("MAILLAGE_ESSAI_SANS_GARDE_CAPACITE")
        .is_ok_and(|v| v.trim() == "1")
    {
        // TEST ONLY (the control run of the capacity tests): `avec_garde` logs a warning.
        tracing::warn!("MAILLAGE_ESSAI_SANS_GARDE_CAPACITE=1: registrations WILL overbook; never set it in production");
        let e = instance
            .evenements()
            .clone()
            .avec_garde(maillage_evenements::stockage::GardeCapacite::DesactiveePourEssai);
        instance.avec_evenements(e)
    } else {
        instance
    };
    let instance = if std::env::var("MAILLAGE_ESSAI_SANS_GARDE_PASS").is_ok_and(|v| v.trim() == "1")
    {
        // TEST ONLY (the control run of the double spend tests): `avec_garde` logs a warning.
        tracing::warn!("MAILLAGE_ESSAI_SANS_GARDE_PASS=1: passes WILL be redeemed several times; never set it in production");
        let p = instance
            .pass()
            .clone()
            .avec_garde(maillage_pass::stockage::GardePass::DesactiveePourEssai);
        instance.avec_pass(p)
    } else {
        instance
    };
    // The waiting list's offer: how long a freed seat is held (hours, default 24).
    let instance = match std::env::var("MAILLAGE_DELAI_OFFRE_HEURES") {
        Ok(v) => match v.trim().parse::<u32>() {
            Ok(h) if h > 0 => {
                let e = instance
                    .evenements()
                    .clone()
                    .avec_delai_offre(chrono::Duration::hours(i64::from(h)));
                instance.avec_evenements(e)
            }
            _ => anyhow::bail!(
                "MAILLAGE_DELAI_OFFRE_HEURES : un nombre d’heures supérieur à 0 est attendu (« {v} »)"
            ),
        },
        Err(_) => instance,
    };
    // Lapsed seat offers, reminders the day before, messages after: every 5 minutes.
    maillage_evenements::suivi::planifier_taches(
        instance.evenements().clone(),
        Duration::from_secs(300),
    );
    let state = AppState::new(instance, site).await?;
    // The periodic check of the directory (seconds, default 30): the only one on SQLite, the
    // fallback of LISTEN/NOTIFY on PostgreSQL.
    let periode = match std::env::var("MAILLAGE_VERIFICATION_ANNUAIRE") {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(s) if s > 0 => Duration::from_secs(s),
            _ => anyhow::bail!(
                "MAILLAGE_VERIFICATION_ANNUAIRE : un nombre de secondes supérieur à 0 est attendu (« {v} »)"
            ),
        },
        Err(_) => Duration::from_secs(30),
    };
    let _surveillance = state.surveiller(periode);
    let reglages = serveur::ReglagesServeur::depuis_env().map_err(|e| anyhow::anyhow!(e))?;
    let listener = serveur::ecouter(listen).await?;
    println!("Maillage écoute sur http://{listen}");
    serveur::servir(listener, router(state), reglages, serveur::signal_arret()).await?;
    Ok(())
}
