//! maillage_store
