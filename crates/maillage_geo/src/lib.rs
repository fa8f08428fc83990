//! maillage_geo
