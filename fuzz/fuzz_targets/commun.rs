//! What the import targets share: the embedded territorial referential (completion and
//! coordinate checks run as in production) and the reading of one file in one format.

use maillage_annuaire::import::{self, Format, OptionsImport};

/// Reads `data` as a file of `format`, checking what an import promises whatever the input:
/// no panic, and every accepted place has an id unique in the file.
#[allow(dead_code)]
pub fn lire(format: Format, data: &[u8]) {
    let options = OptionsImport {
        date_maj_par_defaut: chrono::NaiveDate::from_ymd_opt(2024, 3, 1),
    };
    let geo = maillage_territoire::Referentiel::embedded();
    if let Ok(lecture) = import::lire("fuzz", format, data, &options, geo) {
        verifier(&lecture);
    }
}

#[allow(dead_code)]
pub fn verifier(lecture: &import::Lecture) {
    let mut ids = std::collections::HashSet::new();
    for l in &lecture.lieux {
        assert!(
            ids.insert(l.lieu.id.clone()),
            "two accepted places share an id"
        );
    }
}
