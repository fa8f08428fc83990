//! Places as read from one source, before merging.

use maillage_domain::Lieu;
use serde::{Deserialize, Serialize};

/// One place as one source published it, normalised to the schema. `lieu.id` is the record's
/// own id in its file (`id_fs` for France Services, `properties.id` for GeoJSON, `id`
/// otherwise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LieuSource {
    /// The `--source` name given at import.
    pub source: String,
    pub lieu: Lieu,
}

impl LieuSource {
    /// `SOURCE#ID`: how a source record is named everywhere (duplicates CSV, decisions).
    pub fn reference(&self) -> String {
        reference(&self.source, &self.lieu.id)
    }
}

/// `SOURCE#ID`.
pub fn reference(source: &str, id: &str) -> String {
    format!("{source}#{id}")
}
