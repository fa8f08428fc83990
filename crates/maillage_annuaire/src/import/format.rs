//! The formats that can be imported, their command-line names, and their detection.

use super::contenu::Contenu;
use super::erreur::{erreur_json, texte_utf8, ImportError};
use super::vocabulaires;
use serde::Deserializer as _;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::io::BufRead;
use std::str::FromStr;

/// A file format that can be imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    /// CSV of the national schema v1 (32 columns, `|` between multiple values).
    V1Csv,
    /// JSON array of schema v1 records.
    V1Json,
    /// JSON array of schema v0 records (`;` or `, ` separators, v0 fields and labels).
    V0Json,
    /// GeoJSON FeatureCollection whose properties are schema v0 records.
    GeoJson,
    /// The ANCT list of France Services (CSV, `id_fs`, `lib_fs`, hours per weekday).
    FranceServices,
    /// The data·inclusion schema v1: structures and their services (JSON).
    DataInclusion,
    /// A CSV file in its own columns, read through a column mapping
    /// ([`super::Correspondance`]); never detected nor named on the command line.
    Correspondance,
}

impl Format {
    /// The formats named on the command line (all but [`Format::Correspondance`]).
    pub const ALL: [Format; 6] = [
        Format::V1Csv,
        Format::V1Json,
        Format::V0Json,
        Format::GeoJson,
        Format::FranceServices,
        Format::DataInclusion,
    ];

    /// The command-line name: `v1-csv`, `v1-json`, `v0-json`, `geojson`, `france-services`,
    /// `data-inclusion` (and `correspondance`, named by `--mapping`).
    pub fn nom(self) -> &'static str {
        match self {
            Format::V1Csv => "v1-csv",
            Format::V1Json => "v1-json",
            Format::V0Json => "v0-json",
            Format::GeoJson => "geojson",
            Format::FranceServices => "france-services",
            Format::DataInclusion => "data-inclusion",
            Format::Correspondance => "correspondance",
        }
    }

    /// Whether the file is CSV (record numbers are then line numbers).
    pub fn est_csv(self) -> bool {
        matches!(
            self,
            Format::V1Csv | Format::FranceServices | Format::Correspondance
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.nom())
    }
}

impl FromStr for Format {
    type Err = ImportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.nom() == s)
            .ok_or(ImportError::NomDeFormat(s))
    }
}

/// The format asked on the command line: `auto` or one of [`Format`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormatDemande {
    #[default]
    Auto,
    Format(Format),
}

impl FormatDemande {
    /// The format to use for these bytes: the one asked, or the detected one.
    pub fn resoudre(self, bytes: &[u8]) -> Result<Format, ImportError> {
        match self {
            FormatDemande::Auto => detecter(bytes),
            FormatDemande::Format(f) => Ok(f),
        }
    }
}

impl fmt::Display for FormatDemande {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatDemande::Auto => f.write_str("auto"),
            FormatDemande::Format(x) => x.fmt(f),
        }
    }
}

impl FromStr for FormatDemande {
    type Err = ImportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("auto") {
            Ok(FormatDemande::Auto)
        } else {
            s.parse().map(FormatDemande::Format)
        }
    }
}

/// Fields that exist only in schema v1.
const CHAMPS_V1_SEULEMENT: [&str; 10] = [
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "courriels",
    "itinerance",
    "fiche_acces_libre",
];

/// Fields that exist only in schema v0. (`courriel` and `labels_autres` are not decisive:
/// some v1 files still use them.)
const CHAMPS_V0_SEULEMENT: [&str; 6] = [
    "conditions_acces",
    "conditions_access",
    "labels_nationaux",
    "publics_accueillis",
    "accessibilite",
    "cle_ban",
];

/// Recognises the format of a file from its content.
///
/// - JSON object with `"type": "FeatureCollection"` → [`Format::GeoJson`];
/// - JSON array → [`Format::V1Json`] or [`Format::V0Json`], by the field names and the
///   labels and separators of the values;
/// - CSV whose header has `id_fs` or `lib_fs` → [`Format::FranceServices`];
/// - CSV whose header has `id` and schema fields → [`Format::V1Csv`].
pub fn detecter(bytes: &[u8]) -> Result<Format, ImportError> {
    let texte = texte_utf8(bytes)?;
    detecter_contenu(&super::contenu::Octets(texte.as_bytes()))
}

/// [`detecter`] on content already checked to be UTF-8 and not blank, read as a stream.
pub(crate) fn detecter_contenu(contenu: &dyn Contenu) -> Result<Format, ImportError> {
    let (premier, _) = premier_caractere(contenu)?;
    if premier == Some(b'{') || premier == Some(b'[') {
        let apercu = match contenu.octets() {
            Some(b) => apercu(&mut serde_json::Deserializer::from_slice(b)),
            None => apercu(&mut serde_json::Deserializer::from_reader(
                contenu.ouvrir()?,
            )),
        }?;
        return Ok(match apercu {
            Apercu::Collection => Format::GeoJson,
            Apercu::DataInclusion => Format::DataInclusion,
            // Most records with a field only data·inclusion has.
            Apercu::Tableau(_, di, n) if di > 0 && 2 * di >= n => Format::DataInclusion,
            Apercu::Tableau(score, _, _) if score > 0 => Format::V0Json,
            Apercu::Tableau(..) => Format::V1Json,
            Apercu::Objet => {
                return Err(ImportError::FormatInconnu(
                    "objet JSON qui n'est pas une FeatureCollection GeoJSON (attendu un tableau \
                     de lieux ou une FeatureCollection)"
                        .into(),
                ))
            }
        });
    }
    detecter_csv(contenu)
}

fn apercu<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Result<Apercu, ImportError> {
    de.deserialize_any(Apercu::Objet)
        .and_then(|a| de.end().map(|()| a))
        .map_err(|e| erreur_json(&e))
}

/// The first byte that is not blank (after the byte-order mark), and its offset from there.
pub(crate) fn premier_caractere(contenu: &dyn Contenu) -> Result<(Option<u8>, usize), ImportError> {
    let mut r = contenu.ouvrir()?;
    let mut octet = 0;
    loop {
        let tampon = r.fill_buf().map_err(super::contenu::lecture)?;
        if tampon.is_empty() {
            return Ok((None, octet));
        }
        let n = tampon.len();
        if let Some(i) = tampon.iter().position(|b| !b.is_ascii_whitespace()) {
            return Ok((tampon.get(i).copied(), octet + i));
        }
        octet += n;
        r.consume(n);
    }
}

/// What format detection needs of a JSON document, read element by element (never the
/// whole document in memory).
enum Apercu {
    /// An array, with its v0/v1 score (see [`score_v0_v1`]) and the number of its records
    /// with a field only data·inclusion has, out of its number of records.
    Tableau(i64, usize, usize),
    /// An object with a `structures` array (data·inclusion structures and services).
    DataInclusion,
    /// An object whose `type` is `FeatureCollection`.
    Collection,
    /// Another object.
    Objet,
}

impl<'de> serde::de::Visitor<'de> for Apercu {
    type Value = Apercu;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("un tableau de lieux ou une FeatureCollection")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Apercu, A::Error> {
        let mut score = 0;
        let mut di = 0;
        let mut n = 0;
        while let Some(e) = seq.next_element::<Value>()? {
            n += 1;
            score += score_v0_v1(std::slice::from_ref(&e));
            if e.as_object().is_some_and(|o| {
                super::data_inclusion::CHAMPS_DATA_INCLUSION
                    .iter()
                    .any(|k| o.contains_key(*k))
            }) {
                di += 1;
            }
        }
        Ok(Apercu::Tableau(score, di, n))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Apercu, A::Error> {
        let mut collection = false;
        let mut structures = false;
        while let Some(cle) = map.next_key::<String>()? {
            if cle == "structures" {
                structures = true;
                map.next_value::<serde::de::IgnoredAny>()?;
            } else if cle == "type" {
                collection = map.next_value::<Value>()?.as_str() == Some("FeatureCollection");
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(if collection {
            Apercu::Collection
        } else if structures {
            Apercu::DataInclusion
        } else {
            Apercu::Objet
        })
    }
}

/// Positive when the records look like schema v0, negative when they look like v1.
fn score_v0_v1(enregistrements: &[Value]) -> i64 {
    let mut score = 0i64;
    for e in enregistrements {
        let Some(o) = e.as_object() else { continue };
        for k in o.keys() {
            if CHAMPS_V0_SEULEMENT.contains(&k.as_str()) {
                score += 2;
            } else if CHAMPS_V1_SEULEMENT.contains(&k.as_str()) {
                score -= 2;
            }
        }
        if let Some(services) = o.get("services").and_then(Value::as_str) {
            if services.contains('|') {
                score -= 1;
            }
            if services.contains(';') {
                score += 1;
            }
            for libelle in services.split(['|', ';']) {
                match vocabulaires::version_service(libelle) {
                    Some(vocabulaires::Version::V0) => score += 1,
                    Some(vocabulaires::Version::V1) => score -= 1,
                    None => {
                        // The conseillers numériques file separates v0 labels with ", ".
                        for morceau in libelle.split(',') {
                            match vocabulaires::version_service(morceau) {
                                Some(vocabulaires::Version::V0) => score += 1,
                                Some(vocabulaires::Version::V1) => score -= 1,
                                None => {}
                            }
                        }
                    }
                }
            }
        }
    }
    score
}

/// The header of a CSV content, split with the detected delimiter.
pub(crate) fn entete_csv(contenu: &dyn Contenu) -> Result<(u8, Vec<String>), ImportError> {
    let delimiteur = delimiteur_csv(contenu)?;
    Ok((delimiteur, entete_csv_avec(contenu, delimiteur)?))
}

/// The header of a CSV content, split with `delimiteur`.
pub(crate) fn entete_csv_avec(
    contenu: &dyn Contenu,
    delimiteur: u8,
) -> Result<Vec<String>, ImportError> {
    let mut lecteur = csv::ReaderBuilder::new()
        .delimiter(delimiteur)
        .has_headers(false)
        .flexible(true)
        .from_reader(contenu.ouvrir()?);
    let mut record = csv::StringRecord::new();
    match lecteur.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(|c| c.trim().to_string()).collect()),
        Ok(false) => Err(ImportError::Vide),
        Err(e) => Err(ImportError::Csv {
            ligne: 1,
            message: format!("en-tête illisible ({e})"),
        }),
    }
}

/// Bytes of the first line looked at to choose the delimiter.
const PREMIERE_LIGNE_MAX: u64 = 64 * 1024;

/// `,` unless the first line has more `;` than `,` (CSV saved by a French spreadsheet).
pub(crate) fn delimiteur_csv(contenu: &dyn Contenu) -> Result<u8, ImportError> {
    use std::io::Read;
    let mut premiere = Vec::new();
    contenu
        .ouvrir()?
        .take(PREMIERE_LIGNE_MAX)
        .read_until(b'\n', &mut premiere)
        .map_err(super::contenu::lecture)?;
    let virgules = premiere.iter().filter(|&&b| b == b',').count();
    let points_virgules = premiere.iter().filter(|&&b| b == b';').count();
    Ok(if points_virgules > virgules {
        b';'
    } else {
        b','
    })
}

fn detecter_csv(contenu: &dyn Contenu) -> Result<Format, ImportError> {
    let (_, entete) = entete_csv(contenu)?;
    let a = |nom: &str| entete.iter().any(|c| c == nom);
    if a("id_fs") || a("lib_fs") {
        return Ok(Format::FranceServices);
    }
    let champs_schema = entete
        .iter()
        .filter(|c| maillage_domain::lieu::CHAMPS.contains(&c.as_str()))
        .count();
    if a("id") && champs_schema >= 3 {
        return Ok(Format::V1Csv);
    }
    Err(ImportError::FormatInconnu(
        "ni JSON, ni CSV du schéma (colonne « id » et champs du schéma), ni liste des France \
         Services (colonnes « id_fs », « lib_fs »)"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
            assert_eq!(
                f.to_string().parse::<FormatDemande>(),
                Ok(FormatDemande::Format(f))
            );
        }
        assert_eq!("AUTO".parse::<FormatDemande>(), Ok(FormatDemande::Auto));
        assert!(matches!(
            "xml".parse::<Format>(),
            Err(ImportError::NomDeFormat(_))
        ));
    }

    #[test]
    fn detects_json_flavours() {
        let v1 = r#"[{"id":"1","services":"Aide aux démarches administratives|Compréhension du monde numérique","labels_autres":"ZRR","courriel":"a@b.fr"}]"#;
        assert_eq!(detecter(v1.as_bytes()), Ok(Format::V1Json));
        let v0 = r#"[{"id":"1","services":"Prendre en main un ordinateur;Accéder à du matériel"}]"#;
        assert_eq!(detecter(v0.as_bytes()), Ok(Format::V0Json));
        let cnfs = r#"[{"id":"1","services":"Prendre en main un smartphone ou une tablette, Prendre en main un ordinateur","conditions_access":"Gratuit"}]"#;
        assert_eq!(detecter(cnfs.as_bytes()), Ok(Format::V0Json));
        let di = r#"[{"source":"dora","id":"dora--1","nom":"Centre social","date_maj":"2025-01-02","horaires_accueil":"Mo 09:00-12:00"}]"#;
        assert_eq!(detecter(di.as_bytes()), Ok(Format::DataInclusion));
        let di = r#"{"structures":[],"services":[]}"#;
        assert_eq!(detecter(di.as_bytes()), Ok(Format::DataInclusion));
        let geo = r#"{"type":"FeatureCollection","features":[]}"#;
        assert_eq!(detecter(geo.as_bytes()), Ok(Format::GeoJson));
        assert_eq!(detecter(b"[]"), Ok(Format::V1Json));
        assert!(matches!(
            detecter(b"{\"a\":1}"),
            Err(ImportError::FormatInconnu(_))
        ));
        assert!(matches!(
            detecter(b"[{\"a\":"),
            Err(ImportError::Json { .. })
        ));
    }

    #[test]
    fn detects_csv_flavours() {
        assert_eq!(
            detecter(b"\"id_fs\",\"insee_dep\",\"lib_fs\"\n\"1\",\"01\",\"x\"\n"),
            Ok(Format::FranceServices)
        );
        assert_eq!(
            detecter(b"id;pivot;nom;commune\n1;2;3;4\n"),
            Ok(Format::V1Csv)
        );
        assert!(matches!(
            detecter(b"a,b,c\n1,2,3\n"),
            Err(ImportError::FormatInconnu(_))
        ));
        assert_eq!(detecter(b""), Err(ImportError::Vide));
    }
}
