//! Opens the store named by a database URL. With the binary, the only crate that links the
//! database drivers: the modules and the web crate see the store traits only, so a change of
//! SQL rebuilds the backend, this crate and the binary, not the use cases nor the pages.

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

/// Opens the store named by a database URL: `sqlite://PATH`, `sqlite::memory:` or
/// `postgres://…`, migrations applied.
pub async fn ouvrir_store(database_url: &str) -> Result<Arc<dyn Store>, ErreurOuverture> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(
            maillage_store_sqlite::SqliteStore::connect(database_url).await?,
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
