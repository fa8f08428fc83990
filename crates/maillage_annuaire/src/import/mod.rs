//! Import of places from every source format into schema v1 places, with a report of what
//! was read, corrected and rejected, record by record.
//!
//! ```text
//! detecter(bytes)  →  Format            (or FormatDemande::resoudre for `auto`)
//! lire(source, format, bytes, options, geocodeur)  →  Lecture { lieux, rapport }
//! ```
//!
//! A file that cannot be read as a whole (not UTF-8, not JSON, CSV header without a required
//! column…) gives an [`ImportError`]. Otherwise every record is either accepted, possibly with
//! corrections, or rejected, and each correction and rejection is a [`Remarque`] of the
//! [`Rapport`]. A record is rejected only when something the schema requires cannot be
//! recovered: id, nom, adresse, a way to locate it, a date (or a default date); and when its id
//! was already taken by an accepted record of the same file. Nothing here panics on any input.
//!
//! Schema v0 records (`;` or `, ` separators, `conditions_acces`, `labels_nationaux`,
//! `publics_accueillis`, 15 services…) are translated to v1 as SCHEMA.md §6 and §7.1 say; see
//! [`vocabulaires`].

mod champs;
mod construction;
mod contenu;
pub mod correspondance;
pub(crate) mod data_inclusion;
mod enregistrement;
mod erreur;
mod format;
mod geocodeur;
pub mod horaires;
mod json;
pub mod limites;
mod rapport;
mod tableur;
pub mod vocabulaires;

pub use champs::date_dans_nom;
use contenu::{Contenu, Fichier, Octets};
pub use correspondance::{proposer as proposer_correspondance, Correspondance};
pub use erreur::ImportError;
pub use format::{detecter, Format, FormatDemande};
pub use geocodeur::{CommuneRef, Geocodeur, SansReferentiel};
pub use rapport::{Gravite, Rapport, Remarque, MESSAGE_MAX, REMARQUES_MAX, REMARQUES_STOCKEES};

use crate::lieux::LieuSource;
use chrono::NaiveDate;
use serde::Serialize;

/// Options of an import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptionsImport {
    /// Date used when a record has none (`date_maj`). The France Services list has no date
    /// column: it requires this date (the CLI takes the one in the file name, see
    /// [`date_dans_nom`]).
    pub date_maj_par_defaut: Option<NaiveDate>,
}

/// What an import read: the accepted places and the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lecture {
    pub format: Format,
    pub lieux: Vec<LieuSource>,
    pub rapport: Rapport,
}

/// Reads a file of the given format. `source` names the source (it becomes
/// [`LieuSource::source`]); `geo` completes INSEE codes, postal codes, commune names and
/// coordinates, and checks coordinates against the commune.
pub fn lire<G: Geocodeur + ?Sized>(
    source: &str,
    format: Format,
    bytes: &[u8],
    options: &OptionsImport,
    geo: &G,
) -> Result<Lecture, ImportError> {
    let texte = erreur::texte_utf8(bytes)?;
    lire_contenu(source, format, &Octets(texte.as_bytes()), options, geo)
}

/// [`lire`] on a file read as a stream: it is read three times (UTF-8 check, format
/// detection when `format` is `None`, reading), never held in memory as a whole; the
/// records are checked as they are read.
pub fn lire_fichier<G: Geocodeur + ?Sized>(
    source: &str,
    format: Option<Format>,
    chemin: &std::path::Path,
    options: &OptionsImport,
    geo: &G,
) -> Result<Lecture, ImportError> {
    let fichier = Fichier(chemin.to_path_buf());
    contenu::verifier_utf8(&fichier)?;
    let format = match format {
        Some(f) => f,
        None => format::detecter_contenu(&fichier)?,
    };
    lire_contenu(source, format, &fichier, options, geo)
}

/// [`lire_fichier`] handing the accepted places to `lots` as they are read, in file order,
/// by batches of at most 2,048 (a batch is handed on while the next ones are being read):
/// the returned [`Lecture`] has the report and no places. `lots` returns `false` when it
/// wants no more places (the reading then goes on for the report, dropping them).
///
/// The file is checked (UTF-8, format) before the first batch: an [`ImportError`] found
/// then comes before any batch; one found later (a JSON syntax error halfway) comes after
/// some batches were handed on — the caller must then drop them.
pub fn lire_fichier_par_lots<G: Geocodeur + ?Sized>(
    source: &str,
    format: Option<Format>,
    chemin: &std::path::Path,
    options: &OptionsImport,
    geo: &G,
    lots: &mut (dyn FnMut(Vec<LieuSource>) -> bool + Send),
) -> Result<Lecture, ImportError> {
    let fichier = Fichier(chemin.to_path_buf());
    contenu::verifier_utf8(&fichier)?;
    let format = match format {
        Some(f) => f,
        None => format::detecter_contenu(&fichier)?,
    };
    lire_contenu_vers(source, format, &fichier, options, geo, Some(Box::new(lots)))
}

fn lire_contenu<G: Geocodeur + ?Sized>(
    source: &str,
    format: Format,
    contenu: &dyn Contenu,
    options: &OptionsImport,
    geo: &G,
) -> Result<Lecture, ImportError> {
    lire_contenu_vers(source, format, contenu, options, geo, None)
}

fn lire_contenu_vers<G: Geocodeur + ?Sized>(
    source: &str,
    format: Format,
    contenu: &dyn Contenu,
    options: &OptionsImport,
    geo: &G,
    sortie: Option<construction::Sortie<'_>>,
) -> Result<Lecture, ImportError> {
    let (lieux, rapport) = construction::construire_vers(
        source,
        options,
        geo,
        |c| match format {
            Format::V1Csv => tableur::lire_v1(contenu, c),
            Format::FranceServices => tableur::lire_france_services(contenu, c),
            Format::V1Json | Format::V0Json => json::lire_tableau(contenu, c),
            Format::GeoJson => json::lire_geojson(contenu, c),
            Format::DataInclusion => data_inclusion::lire(contenu, c),
            Format::Correspondance => Err(ImportError::Correspondance(
                "aucun fichier de correspondance donné (--mapping FICHIER.toml)".into(),
            )),
        },
        sortie,
    )?;
    Ok(Lecture {
        format,
        lieux,
        rapport,
    })
}

/// Reads a CSV file in its own columns through a column mapping (see [`correspondance`]).
/// The [`Lecture`]'s format is [`Format::Correspondance`].
pub fn lire_avec_correspondance<G: Geocodeur + ?Sized>(
    source: &str,
    correspondance: &Correspondance,
    bytes: &[u8],
    options: &OptionsImport,
    geo: &G,
) -> Result<Lecture, ImportError> {
    let texte = erreur::texte_utf8(bytes)?;
    let contenu = Octets(texte.as_bytes());
    let (lieux, rapport) = construction::construire_vers(
        source,
        options,
        geo,
        |c| correspondance::lire(&contenu, c, correspondance),
        None,
    )?;
    Ok(Lecture {
        format: Format::Correspondance,
        lieux,
        rapport,
    })
}

/// [`lire`] with the format asked on the command line (`auto` detects it).
pub fn lire_demande<G: Geocodeur + ?Sized>(
    source: &str,
    format: FormatDemande,
    bytes: &[u8],
    options: &OptionsImport,
    geo: &G,
) -> Result<Lecture, ImportError> {
    let format = format.resoudre(bytes)?;
    lire(source, format, bytes, options, geo)
}
