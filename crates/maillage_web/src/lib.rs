//! maillage_web
