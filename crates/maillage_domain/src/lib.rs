//! maillage_domain
