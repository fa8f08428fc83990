//! What the test binaries of `maillage_web` share (`tests/web`, `tests/navigateur`): a
//! server over a fresh SQLite database, the browser run's prerequisites, a temporary
//! directory, and running an `e2e/*.mjs` script against the test server with a time limit.
//! Each binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn racine_workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn commande_ok(programme: &str, argument: &str) -> bool {
    matches!(
        Command::new(programme)
            .arg(argument)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status(),
        Ok(s) if s.success()
    )
}

/// Fails with a French and English message when something the browser run needs is missing:
/// Debian's Chromium, `e2e/node_modules`, Node.js, and each of `outils`, given as
/// `(program, argument that makes it exit 0, Debian package)`.
pub fn verifier_prerequis(outils: &[(&str, &str, &str)]) {
    let racine = racine_workspace();
    let mut manquants = Vec::new();
    if !Path::new("/usr/bin/chromium").exists() {
        manquants
            .push("/usr/bin/chromium (apt-get update && apt-get install -y chromium)".to_string());
    }
    for (programme, argument, paquet) in outils {
        if !commande_ok(programme, argument) {
            manquants.push(format!("{programme} (apt-get install -y {paquet})"));
        }
    }
    if !racine
        .join("e2e/node_modules/playwright-core/package.json")
        .exists()
        || !racine
            .join("e2e/node_modules/@axe-core/playwright/package.json")
            .exists()
    {
        manquants.push("e2e/node_modules (npm ci --prefix e2e)".to_string());
    }
    if !commande_ok("node", "--version") {
        manquants.push("node (Node.js ≥ 20)".to_string());
    }
    let paquets: String = outils.iter().map(|(_, _, p)| format!("{p}, ")).collect();
    assert!(
        manquants.is_empty(),
        "\nTests navigateur impossibles : il manque {m}.\n\
         Lancez les étapes d'installation de .ci/run (Chromium de Debian, {paquets}puis npm ci --prefix e2e).\n\
         Browser tests cannot run: missing {m}.\n\
         Run the install steps of .ci/run (Debian's Chromium, {paquets}then npm ci --prefix e2e).\n",
        m = manquants.join(", ")
    );
}

/// A temporary directory removed at the end, even when the test fails.
pub struct Dossier(pub PathBuf);

impl Dossier {
    /// Creates `<temp>/<prefixe>-<pid>-<nanoseconds>`.
    pub fn nouveau(prefixe: &str) -> Self {
        let dossier = Dossier(std::env::temp_dir().join(format!(
            "{prefixe}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        )));
        std::fs::create_dir_all(&dossier.0).expect("temporary directory");
        dossier
    }
}

impl Drop for Dossier {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `node e2e/<script> <base>` from `e2e/`, with the environment `variables` and its
/// output streamed as it comes. Returns its exit status, or `None` when it was stopped after
/// `duree_max`.
pub async fn executer_script(
    script: &str,
    base: &str,
    variables: &[(&str, &str)],
    duree_max: Duration,
) -> Option<ExitStatus> {
    let racine = racine_workspace();
    let mut commande = Command::new("node");
    commande
        .arg(racine.join("e2e").join(script))
        .arg(base)
        .current_dir(racine.join("e2e"))
        .envs(variables.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    executer_avec_limite(commande, duree_max).await
}

/// Runs `commande` to its end on a blocking thread, killing it after `duree_max`. Returns its
/// exit status, or `None` when it was stopped.
pub async fn executer_avec_limite(
    mut commande: Command,
    duree_max: Duration,
) -> Option<ExitStatus> {
    tokio::task::spawn_blocking(move || {
        let mut enfant = commande
            .spawn()
            .unwrap_or_else(|e| panic!("launch {:?}: {e}", commande.get_program()));
        let debut = Instant::now();
        loop {
            if let Some(statut) = enfant.try_wait().expect("wait for the child process") {
                return Some(statut);
            }
            if debut.elapsed() > duree_max {
                let _ = enfant.kill();
                let _ = enfant.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
    .expect("child process runner thread")
}

/// Requires that the script ended in time with status 0. `module` names the tests in the
/// messages: (`" de la Médiation"`, `"Médiation "`), or `("", "")` for the public pages.
pub fn exiger_succes(statut: Option<ExitStatus>, duree_max: Duration, module: (&str, &str)) {
    let (fr, en) = module;
    match statut {
        None => panic!(
            "Les tests navigateur{fr} ont dépassé {} min / {en}browser tests timed out",
            duree_max.as_secs() / 60
        ),
        Some(s) => assert!(
            s.success(),
            "Des tests navigateur{fr} ont échoué (voir ci-dessus) / {en}browser tests failed (see above): {s}"
        ),
    }
}

/// For tests: a server over a fresh SQLite database in `dossier`, loaded with the bundled
/// real places, listening on a free port of 127.0.0.1. Returns its base URL.
pub async fn demarrer_pour_tests(
    dossier: &std::path::Path,
) -> anyhow::Result<(String, maillage_web::AppState, tokio::task::JoinHandle<()>)> {
    demarrer_pour_tests_avec(dossier, true).await
}

/// [`demarrer_pour_tests`] with an empty directory (no place) when `demo` is false.
pub async fn demarrer_pour_tests_avec(
    dossier: &std::path::Path,
    demo: bool,
) -> anyhow::Result<(String, maillage_web::AppState, tokio::task::JoinHandle<()>)> {
    let url = format!("sqlite://{}", dossier.join("maillage.db").display());
    let cle = maillage_mandats::cle::charger_ou_creer(&dossier.join("maillage-journal.key"))
        .map_err(|e| anyhow::anyhow!(e))?;
    let instance = maillage_cli::stockage::ouvrir(&url)
        .await?
        .avec_cle_journal(cle);
    if demo && instance.annuaire().store().count_merged_lieux().await? == 0 {
        instance.annuaire().charger_demo().await?;
    }
    let state = maillage_web::AppState::new(instance, maillage_web::Site::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let adresse = listener.local_addr()?;
    let app = maillage_web::router(state.clone());
    let tache = tokio::spawn(async move {
        let _ = maillage_web::serveur::servir(
            listener,
            app,
            maillage_web::serveur::ReglagesServeur::default(),
            std::future::pending(),
        )
        .await;
    });
    Ok((format!("http://{adresse}"), state, tache))
}

/// How many browser suites run at once: `MAILLAGE_E2E_SUITES` (default 2). A suite waits on
/// its browser and its server in turns, so two at a time keep the two cores busier than one;
/// 1 runs them one after the other.
fn suites_a_la_fois() -> u32 {
    std::env::var("MAILLAGE_E2E_SUITES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2)
}

fn places_des_navigateurs() -> &'static tokio::sync::Semaphore {
    static PLACES: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PLACES.get_or_init(|| tokio::sync::Semaphore::new(suites_a_la_fois() as usize))
}

/// A place for one browser suite among those running at once ([`suites_a_la_fois`]).
pub async fn un_navigateur_a_la_fois() -> tokio::sync::SemaphorePermit<'static> {
    places_des_navigateurs()
        .acquire()
        .await
        .expect("browser places never closed")
}

/// Every place: a suite that measures timings (the slow phone) runs alone, so that they are
/// not another suite's load.
pub async fn seul_navigateur() -> tokio::sync::SemaphorePermit<'static> {
    places_des_navigateurs()
        .acquire_many(suites_a_la_fois())
        .await
        .expect("browser places never closed")
}
