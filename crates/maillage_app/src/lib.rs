//! maillage_app
