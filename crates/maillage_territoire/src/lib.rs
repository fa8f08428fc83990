//! maillage_territoire
