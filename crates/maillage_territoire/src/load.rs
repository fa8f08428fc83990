//! Parsing of the referential's CSV files and building of its indexes.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use flate2::read::GzDecoder;
use maillage_geo::Point;

use crate::normalize::{match_key, normaliser_nom};
use crate::resolve::parse_arrondissement_number;
use crate::{
    ArrondissementMunicipal, Commune, Departement, Epci, EpciKind, Referentiel, Region, Zone,
};

const COMMUNES_CSV_GZ: &[u8] = include_bytes!("../../../data/territoires/communes.csv.gz");
const ARRONDISSEMENTS_CSV_GZ: &[u8] =
    include_bytes!("../../../data/territoires/arrondissements_municipaux.csv.gz");
const EPCI_CSV_GZ: &[u8] = include_bytes!("../../../data/territoires/epci.csv.gz");
const DEPARTEMENTS_CSV_GZ: &[u8] = include_bytes!("../../../data/territoires/departements.csv.gz");
const REGIONS_CSV_GZ: &[u8] = include_bytes!("../../../data/territoires/regions.csv.gz");
const INDICATEURS_COMMUNES_CSV_GZ: &[u8] =
    include_bytes!("../../../data/territoires/indicateurs_communes.csv.gz");

/// The bundled `indicateurs_communes.csv` (per-commune socio-economic rates,
/// see `data/SOURCES.md`), decompressed as it is read.
///
/// Columns: `code_insee`, `nom`, `code_insee_actuel`,
/// `part_sans_diplome_15_plus`, `part_menages_une_personne`,
/// `part_familles_monoparentales`, `part_65_plus_parmi_15_plus`,
/// `part_moins_25_parmi_15_plus`, `couverture_thd`, `taux_pauvrete`.
pub fn embedded_indicateurs_communes_csv() -> impl Read {
    GzDecoder::new(INDICATEURS_COMMUNES_CSV_GZ)
}

/// The five CSV files of a referential, as readers (UTF-8, comma-separated,
/// with a header line; the columns of the files in `data/territoires/`, in
/// any order, extra columns ignored).
pub struct CsvSources<R> {
    /// `code_insee, nom, code_departement, code_region, code_epci, zone,
    /// population, codes_postaux, latitude, longitude`; postal codes
    /// separated by `|`.
    pub communes: R,
    /// `code_insee, nom, code_commune_parente, population, codes_postaux`.
    pub arrondissements_municipaux: R,
    /// `code_epci, nom, type, population`.
    pub epci: R,
    /// `code_departement, nom, code_region, zone`.
    pub departements: R,
    /// `code_region, nom, zone`.
    pub regions: R,
}

/// Why a referential could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReferentielError {
    /// The file is not valid CSV (or not valid UTF-8, or could not be read
    /// or decompressed).
    #[error("{fichier} : {source}")]
    Csv {
        fichier: &'static str,
        #[source]
        source: csv::Error,
    },
    /// A required column is missing from the header line.
    #[error("{fichier} : colonne « {colonne} » absente")]
    MissingColumn {
        fichier: &'static str,
        colonne: &'static str,
    },
    /// A value cannot be read (line numbers count the header as line 1).
    #[error("{fichier}, ligne {ligne} : {message}")]
    InvalidValue {
        fichier: &'static str,
        ligne: u64,
        message: String,
    },
    /// Two rows share a code.
    #[error("{fichier} : code « {code} » en double")]
    DuplicateCode { fichier: &'static str, code: String },
    /// A row refers to a code that the referenced file does not have.
    #[error("{fichier} : « {code} » fait référence à {champ} « {reference} », inconnu")]
    UnknownReference {
        fichier: &'static str,
        code: String,
        champ: &'static str,
        reference: String,
    },
}

pub(crate) fn load_embedded() -> Result<Referentiel, ReferentielError> {
    Referentiel::from_csv(CsvSources {
        communes: GzDecoder::new(COMMUNES_CSV_GZ),
        arrondissements_municipaux: GzDecoder::new(ARRONDISSEMENTS_CSV_GZ),
        epci: GzDecoder::new(EPCI_CSV_GZ),
        departements: GzDecoder::new(DEPARTEMENTS_CSV_GZ),
        regions: GzDecoder::new(REGIONS_CSV_GZ),
    })
}

impl Referentiel {
    /// Builds a referential from CSV files, checking that codes are unique
    /// and that every reference (a commune's département, région and EPCI,
    /// a département's région, an arrondissement's commune) exists.
    pub fn from_csv<R: Read>(sources: CsvSources<R>) -> Result<Referentiel, ReferentielError> {
        let regions = parse_regions(sources.regions)?;
        let departements = parse_departements(sources.departements)?;
        let epcis = parse_epcis(sources.epci)?;
        let communes = parse_communes(sources.communes)?;
        let arrondissements = parse_arrondissements(sources.arrondissements_municipaux)?;
        check_references(&communes, &arrondissements, &epcis, &departements, &regions)?;
        Ok(build(
            communes,
            arrondissements,
            epcis,
            departements,
            regions,
        ))
    }
}

/// A CSV file being read: its name for messages, and the position of each
/// wanted column.
struct Table<R: Read> {
    fichier: &'static str,
    reader: csv::Reader<R>,
    record: csv::StringRecord,
}

impl<R: Read> Table<R> {
    fn new(fichier: &'static str, reader: R) -> Self {
        Table {
            fichier,
            reader: csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(reader),
            record: csv::StringRecord::new(),
        }
    }

    fn column(&mut self, name: &'static str) -> Result<usize, ReferentielError> {
        let fichier = self.fichier;
        let headers = self
            .reader
            .headers()
            .map_err(|source| ReferentielError::Csv { fichier, source })?;
        headers
            .iter()
            .position(|header| header.trim_start_matches('\u{feff}').trim() == name)
            .ok_or(ReferentielError::MissingColumn {
                fichier,
                colonne: name,
            })
    }

    /// Reads the next row; `false` at the end.
    fn next(&mut self) -> Result<bool, ReferentielError> {
        let fichier = self.fichier;
        self.reader
            .read_record(&mut self.record)
            .map_err(|source| ReferentielError::Csv { fichier, source })
    }

    /// A field, without surrounding spaces.
    fn get(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or_default().trim()
    }

    fn required(&self, column: usize, what: &str) -> Result<String, ReferentielError> {
        let value = self.get(column);
        if value.is_empty() {
            Err(self.invalid(format!("{what} vide")))
        } else {
            Ok(value.to_owned())
        }
    }

    fn optional(&self, column: usize) -> Option<String> {
        Some(self.get(column))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// A count; empty reads as 0.
    fn count(&self, column: usize, what: &str) -> Result<u32, ReferentielError> {
        let value = self.get(column);
        if value.is_empty() {
            return Ok(0);
        }
        value
            .parse()
            .map_err(|_| self.invalid(format!("{what} invalide « {value} »")))
    }

    fn zone(&self, column: usize) -> Result<Zone, ReferentielError> {
        match self.get(column) {
            "metro" => Ok(Zone::Metro),
            "drom" => Ok(Zone::Drom),
            "com" => Ok(Zone::Com),
            other => Err(self.invalid(format!("zone inconnue « {other} »"))),
        }
    }

    fn postal_codes(&self, column: usize) -> Vec<String> {
        self.get(column)
            .split('|')
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn invalid(&self, message: String) -> ReferentielError {
        ReferentielError::InvalidValue {
            fichier: self.fichier,
            ligne: self.record.position().map_or(0, |p| p.line()),
            message,
        }
    }
}

fn parse_regions(reader: impl Read) -> Result<Vec<Region>, ReferentielError> {
    let mut table = Table::new("regions.csv", reader);
    let (code, nom, zone) = (
        table.column("code_region")?,
        table.column("nom")?,
        table.column("zone")?,
    );
    let mut regions = Vec::new();
    while table.next()? {
        regions.push(Region {
            code: table.required(code, "code_region")?,
            nom: table.required(nom, "nom")?,
            zone: table.zone(zone)?,
        });
    }
    sorted_unique(regions, "regions.csv", |r| &r.code)
}

fn parse_departements(reader: impl Read) -> Result<Vec<Departement>, ReferentielError> {
    let mut table = Table::new("departements.csv", reader);
    let (code, nom, region, zone) = (
        table.column("code_departement")?,
        table.column("nom")?,
        table.column("code_region")?,
        table.column("zone")?,
    );
    let mut departements = Vec::new();
    while table.next()? {
        departements.push(Departement {
            code: table.required(code, "code_departement")?,
            nom: table.required(nom, "nom")?,
            code_region: table.required(region, "code_region")?,
            zone: table.zone(zone)?,
        });
    }
    sorted_unique(departements, "departements.csv", |d| &d.code)
}

fn parse_epcis(reader: impl Read) -> Result<Vec<Epci>, ReferentielError> {
    let mut table = Table::new("epci.csv", reader);
    let (code, nom, kind, population) = (
        table.column("code_epci")?,
        table.column("nom")?,
        table.column("type")?,
        table.column("population")?,
    );
    let mut epcis = Vec::new();
    while table.next()? {
        let kind = match table.get(kind) {
            "CC" => EpciKind::Cc,
            "CA" => EpciKind::Ca,
            "CU" => EpciKind::Cu,
            "METRO" => EpciKind::Metro,
            "MET69" => EpciKind::MetropoleDeLyon,
            other => return Err(table.invalid(format!("type d'EPCI inconnu « {other} »"))),
        };
        epcis.push(Epci {
            code: table.required(code, "code_epci")?,
            nom: table.required(nom, "nom")?,
            kind,
            population: table.count(population, "population")?,
        });
    }
    sorted_unique(epcis, "epci.csv", |e| &e.code)
}

fn parse_communes(reader: impl Read) -> Result<Vec<Commune>, ReferentielError> {
    let mut table = Table::new("communes.csv", reader);
    let (code, nom, departement, region, epci, zone, population, postaux, lat, lon) = (
        table.column("code_insee")?,
        table.column("nom")?,
        table.column("code_departement")?,
        table.column("code_region")?,
        table.column("code_epci")?,
        table.column("zone")?,
        table.column("population")?,
        table.column("codes_postaux")?,
        table.column("latitude")?,
        table.column("longitude")?,
    );
    let mut communes = Vec::with_capacity(35_000);
    while table.next()? {
        let centre = match (table.get(lat), table.get(lon)) {
            ("", "") => None,
            (lat, lon) => {
                let point = lat
                    .parse()
                    .ok()
                    .zip(lon.parse().ok())
                    .and_then(|(lat, lon)| Point::new(lat, lon));
                match point {
                    Some(point) => Some(point),
                    None => {
                        return Err(
                            table.invalid(format!("coordonnées invalides « {lat} », « {lon} »"))
                        )
                    }
                }
            }
        };
        communes.push(Commune {
            code_insee: table.required(code, "code_insee")?,
            nom: table.required(nom, "nom")?,
            code_departement: table.required(departement, "code_departement")?,
            code_region: table.required(region, "code_region")?,
            code_epci: table.optional(epci),
            zone: table.zone(zone)?,
            population: table.count(population, "population")?,
            codes_postaux: table.postal_codes(postaux),
            centre,
        });
    }
    sorted_unique(communes, "communes.csv", |c| &c.code_insee)
}

fn parse_arrondissements(
    reader: impl Read,
) -> Result<Vec<ArrondissementMunicipal>, ReferentielError> {
    let mut table = Table::new("arrondissements_municipaux.csv", reader);
    let (code, nom, parent, population, postaux) = (
        table.column("code_insee")?,
        table.column("nom")?,
        table.column("code_commune_parente")?,
        table.column("population")?,
        table.column("codes_postaux")?,
    );
    let mut arrondissements = Vec::new();
    while table.next()? {
        arrondissements.push(ArrondissementMunicipal {
            code_insee: table.required(code, "code_insee")?,
            nom: table.required(nom, "nom")?,
            code_commune_parente: table.required(parent, "code_commune_parente")?,
            population: table.count(population, "population")?,
            codes_postaux: table.postal_codes(postaux),
        });
    }
    sorted_unique(arrondissements, "arrondissements_municipaux.csv", |a| {
        &a.code_insee
    })
}

fn sorted_unique<T>(
    mut items: Vec<T>,
    fichier: &'static str,
    key: impl Fn(&T) -> &String,
) -> Result<Vec<T>, ReferentielError> {
    items.sort_by(|a, b| key(a).cmp(key(b)));
    if let Some(pair) = items.windows(2).find(|pair| key(&pair[0]) == key(&pair[1])) {
        return Err(ReferentielError::DuplicateCode {
            fichier,
            code: key(&pair[0]).clone(),
        });
    }
    Ok(items)
}

fn check_references(
    communes: &[Commune],
    arrondissements: &[ArrondissementMunicipal],
    epcis: &[Epci],
    departements: &[Departement],
    regions: &[Region],
) -> Result<(), ReferentielError> {
    // Every slice is sorted by code: binary searches.
    fn has<T>(items: &[T], code: &str, key: impl Fn(&T) -> &String) -> bool {
        items
            .binary_search_by(|item| key(item).as_str().cmp(code))
            .is_ok()
    }
    let unknown =
        |fichier, code: &String, champ, reference: &String| ReferentielError::UnknownReference {
            fichier,
            code: code.clone(),
            champ,
            reference: reference.clone(),
        };
    for d in departements {
        if !has(regions, &d.code_region, |r| &r.code) {
            return Err(unknown(
                "departements.csv",
                &d.code,
                "la région",
                &d.code_region,
            ));
        }
    }
    // Communes are sorted by code, so neighbours mostly share their
    // département and région: check each value once per run. EPCI
    // alternate more: a hash set.
    let mut checked: [Option<&String>; 2] = [None; 2];
    let epci_codes: HashSet<&str> = epcis.iter().map(|e| e.code.as_str()).collect();
    for c in communes {
        if checked[0] != Some(&c.code_departement) {
            if !has(departements, &c.code_departement, |d| &d.code) {
                return Err(unknown(
                    "communes.csv",
                    &c.code_insee,
                    "le département",
                    &c.code_departement,
                ));
            }
            checked[0] = Some(&c.code_departement);
        }
        if checked[1] != Some(&c.code_region) {
            if !has(regions, &c.code_region, |r| &r.code) {
                return Err(unknown(
                    "communes.csv",
                    &c.code_insee,
                    "la région",
                    &c.code_region,
                ));
            }
            checked[1] = Some(&c.code_region);
        }
        if let Some(epci) = c
            .code_epci
            .as_ref()
            .filter(|e| !epci_codes.contains(e.as_str()))
        {
            return Err(unknown("communes.csv", &c.code_insee, "l'EPCI", epci));
        }
    }
    for a in arrondissements {
        if !has(communes, &a.code_commune_parente, |c| &c.code_insee) {
            return Err(unknown(
                "arrondissements_municipaux.csv",
                &a.code_insee,
                "la commune",
                &a.code_commune_parente,
            ));
        }
        if has(communes, &a.code_insee, |c| &c.code_insee) {
            return Err(ReferentielError::DuplicateCode {
                fichier: "arrondissements_municipaux.csv",
                code: a.code_insee.clone(),
            });
        }
    }
    Ok(())
}

/// Appends `index` to the list of `key`, allocating the key only when new.
fn push_to(map: &mut HashMap<String, Vec<u32>>, key: &str, index: u32) {
    match map.get_mut(key) {
        Some(indices) => indices.push(index),
        None => {
            map.insert(key.to_owned(), vec![index]);
        }
    }
}

/// Builds the indexes.
fn build(
    communes: Vec<Commune>,
    arrondissements: Vec<ArrondissementMunicipal>,
    epcis: Vec<Epci>,
    departements: Vec<Departement>,
    regions: Vec<Region>,
) -> Referentiel {
    let mut by_postal_code: HashMap<String, Vec<u32>> = HashMap::new();
    let mut by_epci: HashMap<String, Vec<u32>> = HashMap::new();
    let mut by_departement: HashMap<String, Vec<u32>> = HashMap::new();
    let mut by_region: HashMap<String, Vec<u32>> = HashMap::new();
    let mut normalised_names = Vec::with_capacity(communes.len());
    let mut by_match_key: HashMap<String, Vec<u32>> = HashMap::with_capacity(communes.len());
    let mut departements_by_postal_prefix: HashMap<String, Vec<String>> = HashMap::new();

    for (commune, index) in communes.iter().zip(0u32..) {
        for code in &commune.codes_postaux {
            push_to(&mut by_postal_code, code, index);
            let prefix = postal_prefix(code);
            match departements_by_postal_prefix.get_mut(prefix) {
                Some(deps) if deps.contains(&commune.code_departement) => {}
                Some(deps) => deps.push(commune.code_departement.clone()),
                None => {
                    departements_by_postal_prefix
                        .insert(prefix.to_owned(), vec![commune.code_departement.clone()]);
                }
            }
        }
        if let Some(epci) = &commune.code_epci {
            push_to(&mut by_epci, epci, index);
        }
        push_to(&mut by_departement, &commune.code_departement, index);
        push_to(&mut by_region, &commune.code_region, index);
        let normalised = normaliser_nom(&commune.nom);
        by_match_key
            .entry(match_key(&normalised))
            .or_default()
            .push(index);
        normalised_names.push(normalised);
    }
    for indices in by_postal_code.values_mut() {
        indices.sort_by_key(|&i| std::cmp::Reverse(communes[i as usize].population));
    }
    let mut postal_codes: Vec<String> = by_postal_code.keys().cloned().collect();
    postal_codes.sort_unstable();
    let mut sorted_names: Vec<(&str, u32)> = normalised_names
        .iter()
        .map(String::as_str)
        .zip(0u32..)
        .collect();
    sorted_names.sort_unstable();
    let names: Vec<u32> = sorted_names.into_iter().map(|(_, index)| index).collect();
    for deps in departements_by_postal_prefix.values_mut() {
        deps.sort_unstable();
    }

    let commune_index = |code: &str| {
        communes
            .binary_search_by(|c| c.code_insee.as_str().cmp(code))
            .ok()
            .map(|i| i as u32)
    };
    let mut arrondissements_by_postal_code: HashMap<String, Vec<u32>> = HashMap::new();
    let mut arrondissement_numbers = HashMap::new();
    let mut arrondissement_parents = HashMap::new();
    for (arrondissement, index) in arrondissements.iter().zip(0u32..) {
        for code in &arrondissement.codes_postaux {
            push_to(&mut arrondissements_by_postal_code, code, index);
        }
        // References were checked: the parent exists.
        let Some(parent) = commune_index(&arrondissement.code_commune_parente) else {
            continue;
        };
        let parent_name = normaliser_nom(&communes[parent as usize].nom);
        let name = normaliser_nom(&arrondissement.nom);
        if let Some(number) = name
            .strip_prefix(parent_name.as_str())
            .and_then(parse_arrondissement_number)
        {
            arrondissement_numbers.insert((parent, number), index);
        }
        arrondissement_parents.insert(parent_name, parent);
    }

    Referentiel {
        communes,
        arrondissements,
        epcis,
        departements,
        regions,
        by_postal_code,
        postal_codes,
        arrondissements_by_postal_code,
        by_epci,
        by_departement,
        by_region,
        normalised_names,
        names,
        by_match_key,
        arrondissement_numbers,
        arrondissement_parents,
        departements_by_postal_prefix,
        nearest: Default::default(),
    }
}

/// The part of a postal code that tells the département: 3 digits overseas
/// (97x, 98x), 2 elsewhere.
pub(crate) fn postal_prefix(code: &str) -> &str {
    let length = if code.starts_with("97") || code.starts_with("98") {
        3
    } else {
        2
    };
    code.get(..length).unwrap_or(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGIONS: &str = "code_region,nom,zone\n76,Occitanie,metro\n988,Nouvelle-Calédonie,com\n";
    const DEPARTEMENTS: &str = "code_departement,nom,code_region,zone\n\
        31,Haute-Garonne,76,metro\n988,Nouvelle-Calédonie,988,com\n";
    const EPCI: &str = "code_epci,nom,type,population\n243100518,Toulouse Métropole,METRO,832348\n";
    const COMMUNES: &str = "code_insee,nom,code_departement,code_region,code_epci,zone,population,codes_postaux,latitude,longitude\n\
        31555,Toulouse,31,76,243100518,metro,514819,31000|31100,43.59604,1.43209\n\
        31069,Blagnac,31,76,243100518,metro,25000,31700,43.64,1.39\n\
        98818,Nouméa,988,988,,com,94285,98800,,\n";
    const ARRONDISSEMENTS: &str = "code_insee,nom,code_commune_parente,population,codes_postaux\n";

    fn sources<'a>(
        communes: &'a str,
        epci: &'a str,
        departements: &'a str,
    ) -> CsvSources<&'a [u8]> {
        CsvSources {
            communes: communes.as_bytes(),
            arrondissements_municipaux: ARRONDISSEMENTS.as_bytes(),
            epci: epci.as_bytes(),
            departements: departements.as_bytes(),
            regions: REGIONS.as_bytes(),
        }
    }

    fn error(communes: &str, epci: &str, departements: &str) -> String {
        match Referentiel::from_csv(sources(communes, epci, departements)) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn small_referential() {
        let referentiel =
            Referentiel::from_csv(sources(COMMUNES, EPCI, DEPARTEMENTS)).expect("valid");
        assert_eq!(referentiel.communes().len(), 3);
        let noumea = referentiel.commune("98818").expect("present");
        assert_eq!(noumea.code_epci, None);
        assert_eq!(noumea.centre, None);
        assert_eq!(noumea.zone, Zone::Com);
        let toulouse = referentiel.commune("31555").expect("present");
        assert_eq!(toulouse.codes_postaux, vec!["31000", "31100"]);
        assert_eq!(toulouse.centre, Point::new(43.59604, 1.43209));
        assert_eq!(referentiel.communes_of_epci("243100518").len(), 2);
        assert_eq!(
            referentiel.epci("243100518").map(|e| e.kind),
            Some(EpciKind::Metro)
        );
        assert_eq!(
            referentiel
                .resoudre(Some("31700"), Some("BLAGNAC"))
                .map(|c| c.code_insee.as_str()),
            Some("31069")
        );
        assert_eq!(
            format!("{referentiel:?}").split(',').next(),
            Some("Referentiel { communes: 3")
        );
    }

    #[test]
    fn columns_in_any_order_and_spaces_trimmed() {
        let regions = "zone, nom ,code_region\nmetro, Occitanie ,76\n";
        let regions = parse_regions(regions.as_bytes()).expect("valid");
        assert_eq!(regions[0].nom, "Occitanie");
        assert_eq!(regions[0].code, "76");
    }

    #[test]
    fn errors_are_precise() {
        assert_eq!(
            error("code_insee,nom\n31555,Toulouse\n", EPCI, DEPARTEMENTS),
            "communes.csv : colonne « code_departement » absente"
        );
        let bad_zone = COMMUNES.replace("metro,514819", "mars,514819");
        assert_eq!(
            error(&bad_zone, EPCI, DEPARTEMENTS),
            "communes.csv, ligne 2 : zone inconnue « mars »"
        );
        let bad_population = COMMUNES.replace("514819", "beaucoup");
        assert_eq!(
            error(&bad_population, EPCI, DEPARTEMENTS),
            "communes.csv, ligne 2 : population invalide « beaucoup »"
        );
        let bad_point = COMMUNES.replace("43.59604", "93.5");
        assert_eq!(
            error(&bad_point, EPCI, DEPARTEMENTS),
            "communes.csv, ligne 2 : coordonnées invalides « 93.5 », « 1.43209 »"
        );
        let duplicate = COMMUNES.replace("31069", "31555");
        assert_eq!(
            error(&duplicate, EPCI, DEPARTEMENTS),
            "communes.csv : code « 31555 » en double"
        );
        let unknown_epci = COMMUNES.replace("243100518,metro,25000", "200000000,metro,25000");
        assert_eq!(
            error(&unknown_epci, EPCI, DEPARTEMENTS),
            "communes.csv : « 31069 » fait référence à l'EPCI « 200000000 », inconnu"
        );
        let no_departement =
            "code_departement,nom,code_region,zone\n988,Nouvelle-Calédonie,988,com\n";
        assert_eq!(
            error(COMMUNES, EPCI, no_departement),
            "communes.csv : « 31069 » fait référence à le département « 31 », inconnu"
        );
        let bad_kind = EPCI.replace("METRO", "SIVU");
        assert_eq!(
            error(COMMUNES, &bad_kind, DEPARTEMENTS),
            "epci.csv, ligne 2 : type d'EPCI inconnu « SIVU »"
        );
        let empty_name = COMMUNES.replace("Blagnac", "");
        assert_eq!(
            error(&empty_name, EPCI, DEPARTEMENTS),
            "communes.csv, ligne 3 : nom vide"
        );
        let short_row = format!("{COMMUNES}31556,Nulle-Part\n");
        let message = error(&short_row, EPCI, DEPARTEMENTS);
        assert!(message.starts_with("communes.csv : "), "{message}");
        assert!(message.contains("2 fields"), "{message}");
    }

    #[test]
    fn postal_prefixes() {
        assert_eq!(postal_prefix("31000"), "31");
        assert_eq!(postal_prefix("97400"), "974");
        assert_eq!(postal_prefix("98800"), "988");
        assert_eq!(postal_prefix("2"), "2");
    }
}
