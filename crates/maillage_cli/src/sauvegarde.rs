//! `maillage sauvegarde FICHIER` and `maillage restaurer FICHIER`: a consistent copy of the
//! whole database taken while the server writes, and its restoration (server stopped).
//!
//! - SQLite: `VACUUM INTO` (one read transaction: a snapshot of the last commit, WAL readers
//!   do not block writers), written beside the target then renamed, then checked with
//!   `PRAGMA integrity_check`. Restoration checks the file the same way, copies it beside the
//!   database and renames it over it (the old `-wal`/`-shm` removed).
//! - PostgreSQL: `pg_dump --format=custom` (one snapshot) and `pg_restore --single-transaction`
//!   with the configured URL; both must be installed where the command runs.
//!
//! The journal's key is not in the database: operators keep it beside the backups
//! (docs/EXPLOITATION.md).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::ConnectOptions;

/// Why a backup or a restoration failed; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurSauvegarde {
    #[error("le fichier {0} existe déjà : choisissez un autre nom (une sauvegarde n’en écrase jamais une autre)")]
    DejaLa(PathBuf),
    #[error("le fichier {0} n’existe pas")]
    Absent(PathBuf),
    #[error("{0} n’est pas une sauvegarde Maillage lisible : {1}")]
    Illisible(PathBuf, String),
    #[error("la base cible n’est pas vide : ajoutez --remplacer pour la remplacer par la sauvegarde (serveur arrêté)")]
    CibleNonVide,
    #[error("la sauvegarde vient d’une version plus récente de Maillage ({0} migrations, ce programme en connaît {1}) : restaurez-la avec cette version")]
    PlusRecente(usize, usize),
    #[error("{outil} a échoué : {message}")]
    Outil {
        outil: &'static str,
        message: String,
    },
    #[error("adresse de base de données non reconnue : « {0} » (attendu sqlite://CHEMIN ou postgres://…)")]
    AdresseInconnue(String),
    #[error("base de données : {0}")]
    Base(String),
    #[error("fichier : {0}")]
    Fichier(#[from] std::io::Error),
}

/// What a backup or a restoration did.
#[derive(Debug, Clone)]
pub struct Bilan {
    pub fichier: PathBuf,
    pub octets: u64,
    pub moteur: &'static str,
}

fn base(e: impl std::fmt::Display) -> ErreurSauvegarde {
    ErreurSauvegarde::Base(e.to_string())
}

fn est_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A file beside `fichier`, for writing before the rename.
fn provisoire(fichier: &Path) -> PathBuf {
    let mut nom = fichier.file_name().unwrap_or_default().to_os_string();
    nom.push(".en-cours");
    fichier.with_file_name(nom)
}

fn taille(fichier: &Path) -> Result<u64, ErreurSauvegarde> {
    Ok(std::fs::metadata(fichier)?.len())
}

/// Writes a consistent copy of the database named by `url` to `fichier` (which must not
/// exist), while other processes may keep writing.
pub async fn sauvegarder(url: &str, fichier: &Path) -> Result<Bilan, ErreurSauvegarde> {
    if fichier.exists() {
        return Err(ErreurSauvegarde::DejaLa(fichier.to_path_buf()));
    }
    let tmp = provisoire(fichier);
    let _ = std::fs::remove_file(&tmp);
    let moteur = if url.starts_with("sqlite:") {
        // Opening applies the migrations: the copy is of a database this binary reads.
        let store = maillage_store_sqlite::SqliteStore::connect(url)
            .await
            .map_err(base)?;
        let chemin = tmp
            .to_str()
            .ok_or_else(|| ErreurSauvegarde::Base("chemin non UTF-8".into()))?;
        let resultat = sqlx::query("VACUUM INTO ?")
            .bind(chemin)
            .execute(store.pool())
            .await;
        store.close().await;
        resultat.map_err(base)?;
        controler_sqlite(&tmp).await?;
        "sqlite"
    } else if est_postgres(url) {
        outil(
            "pg_dump",
            Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--file")
                .arg(&tmp)
                .arg("--dbname")
                .arg(url),
        )?;
        "postgresql"
    } else {
        return Err(ErreurSauvegarde::AdresseInconnue(url.to_string()));
    };
    // The file appears whole or not at all.
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, fichier)?;
    Ok(Bilan {
        fichier: fichier.to_path_buf(),
        octets: taille(fichier)?,
        moteur,
    })
}

/// Replaces the database named by `url` with the backup `fichier`. Refused if the target
/// holds a Maillage database, unless `remplacer`. The server must be stopped.
pub async fn restaurer(
    url: &str,
    fichier: &Path,
    remplacer: bool,
) -> Result<Bilan, ErreurSauvegarde> {
    if !fichier.exists() {
        return Err(ErreurSauvegarde::Absent(fichier.to_path_buf()));
    }
    let moteur = if url.starts_with("sqlite:") {
        let migrations = controler_sqlite(fichier).await?;
        let connues = maillage_store_sqlite::MIGRATOR.iter().count();
        if migrations > connues {
            return Err(ErreurSauvegarde::PlusRecente(migrations, connues));
        }
        let options = SqliteConnectOptions::from_str(url).map_err(base)?;
        let cible = options.get_filename().to_path_buf();
        if cible.exists() && taille(&cible)? > 0 && !remplacer {
            return Err(ErreurSauvegarde::CibleNonVide);
        }
        if let Some(dossier) = cible.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dossier)?;
        }
        let tmp = provisoire(&cible);
        std::fs::copy(fichier, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        for suffixe in ["-wal", "-shm"] {
            let mut nom = cible.as_os_str().to_os_string();
            nom.push(suffixe);
            let _ = std::fs::remove_file(PathBuf::from(nom));
        }
        std::fs::rename(&tmp, &cible)?;
        "sqlite"
    } else if est_postgres(url) {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .map_err(base)?;
        let occupee: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&pool)
                .await
                .map_err(base)?;
        pool.close().await;
        if occupee && !remplacer {
            return Err(ErreurSauvegarde::CibleNonVide);
        }
        outil(
            "pg_restore",
            Command::new("pg_restore")
                .arg("--clean")
                .arg("--if-exists")
                .arg("--no-owner")
                .arg("--single-transaction")
                .arg("--exit-on-error")
                .arg("--dbname")
                .arg(url)
                .arg(fichier),
        )?;
        "postgresql"
    } else {
        return Err(ErreurSauvegarde::AdresseInconnue(url.to_string()));
    };
    Ok(Bilan {
        fichier: fichier.to_path_buf(),
        octets: taille(fichier)?,
        moteur,
    })
}

/// Opens a SQLite backup read-only: `PRAGMA integrity_check` must say `ok`, and it must hold
/// Maillage's migrations table. Returns how many migrations it has applied.
async fn controler_sqlite(fichier: &Path) -> Result<usize, ErreurSauvegarde> {
    let illisible = |e: &dyn std::fmt::Display| {
        ErreurSauvegarde::Illisible(fichier.to_path_buf(), e.to_string())
    };
    let options = SqliteConnectOptions::new()
        .filename(fichier)
        .read_only(true)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| illisible(&e))?;
    let verdict: Result<(String, i64), sqlx::Error> = async {
        let integrite: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await?;
        let migrations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await?;
        Ok((integrite, migrations))
    }
    .await;
    pool.close().await;
    match verdict {
        Ok((integrite, migrations)) if integrite == "ok" => {
            Ok(usize::try_from(migrations).unwrap_or(0))
        }
        Ok((integrite, _)) => Err(illisible(&integrite)),
        Err(e) => Err(illisible(&e)),
    }
}

/// Runs an external tool; its error output becomes the message.
fn outil(nom: &'static str, commande: &mut Command) -> Result<(), ErreurSauvegarde> {
    let sortie = commande.output().map_err(|e| ErreurSauvegarde::Outil {
        outil: nom,
        message: format!("impossible de le lancer ({e}) : est-il installé ?"),
    })?;
    if sortie.status.success() {
        Ok(())
    } else {
        Err(ErreurSauvegarde::Outil {
            outil: nom,
            message: String::from_utf8_lossy(&sortie.stderr).trim().to_string(),
        })
    }
}
