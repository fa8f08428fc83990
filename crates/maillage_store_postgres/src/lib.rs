//! maillage_store_postgres
