//! maillage_store_sqlite
