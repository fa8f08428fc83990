//! Opens the store named by a database URL: part of the composition root (the `maillage`
//! binary's package), the only place besides the two backends that links the database
//! drivers. The modules and the web crate see the store traits only, so a change of SQL
//! rebuilds the backend and this package, not the use cases nor the pages. The integration
//! tests (`maillage_essais`) open their stores with it too.

use std::sync::Arc;

use maillage_instance::Instance;
use maillage_store::{Store, StoreError};

/// Why a store cannot be opened; `Display` is French, for people.
#[derive(Debug, thiserror::Error)]
pub enum ErreurOuverture {
    #[error("base de données : {0}")]
    Store(#[from] StoreError),
    #[error(
        "adresse de base de données non reconnue : « {0} » (attendu sqlite://CHEMIN ou postgres://…)"
    )]
    AdresseInconnue(String),
}

/// How durable SQLite commits are: `synchronous = FULL` unless the operator chose
/// `MAILLAGE_SQLITE_SYNCHRONOUS=normal` (survives a crash of the process, not a power loss;
/// docs/EXPLOITATION.md « Durabilité »).
pub fn durabilite_sqlite() -> maillage_store_sqlite::Durabilite {
    match std::env::var("MAILLAGE_SQLITE_SYNCHRONOUS") {
        Ok(v) if v.trim().eq_ignore_ascii_case("normal") => {
            maillage_store_sqlite::Durabilite::Processus
        }
        _ => maillage_store_sqlite::Durabilite::Totale,
    }
}

/// Opens the store named by a database URL: `sqlite://PATH`, `sqlite::memory:` or
/// `postgres://…`, migrations applied.
pub async fn ouvrir_store(database_url: &str) -> Result<Arc<dyn Store>, ErreurOuverture> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(
            maillage_store_sqlite::SqliteStore::connect_avec(database_url, durabilite_sqlite())
                .await?,
        ))
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(
            maillage_store_postgres::PgStore::connect(database_url).await?,
        ))
    } else {
        Err(ErreurOuverture::AdresseInconnue(database_url.to_string()))
    }
}

/// An [`Instance`] over the store named by `database_url` (Mandats not enabled: give the
/// journal key with [`Instance::avec_cle_journal`]).
pub async fn ouvrir(database_url: &str) -> Result<Instance, ErreurOuverture> {
    Ok(Instance::new(ouvrir_store(database_url).await?))
}
