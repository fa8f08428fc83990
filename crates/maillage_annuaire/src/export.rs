//! Export of the merged directory in the national standard (CSV and JSON, schema v1.0.2) and
//! GeoJSON.

use maillage_domain::lieu::{format_coordonnee, CHAMPS};
use maillage_domain::Lieu;
use serde_json::{json, Map, Value};
use std::fmt;
use std::str::FromStr;

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatExport {
    /// The national standard CSV: `,` columns, `|` inside a field, the 32 columns in order.
    Csv,
    /// The national standard as a JSON array of objects (same field names and values).
    Json,
    /// A GeoJSON FeatureCollection of points with the schema fields as properties.
    GeoJson,
}

impl FromStr for FormatExport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "geojson" => Ok(Self::GeoJson),
            other => Err(format!(
                "format d'export inconnu : « {other} » (attendu csv, json, geojson ou data-inclusion)"
            )),
        }
    }
}

impl fmt::Display for FormatExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::GeoJson => "geojson",
        })
    }
}

/// Writes places in the given format.
pub fn exporter<'a>(
    format: FormatExport,
    lieux: impl IntoIterator<Item = &'a Lieu>,
) -> Result<Vec<u8>, ExportError> {
    match format {
        FormatExport::Csv => csv_standard(lieux),
        FormatExport::Json => Ok(serde_json::to_vec_pretty(&Value::Array(
            lieux.into_iter().map(objet_standard).collect(),
        ))?),
        FormatExport::GeoJson => Ok(serde_json::to_vec(&geojson(lieux))?),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("écriture CSV impossible : {0}")]
    Csv(#[from] csv::Error),
    #[error("écriture JSON impossible : {0}")]
    Json(#[from] serde_json::Error),
    #[error("écriture impossible : {0}")]
    Io(#[from] std::io::Error),
}

/// The standard CSV: header with the 32 fields in order, every value quoted as needed.
pub fn csv_standard<'a>(lieux: impl IntoIterator<Item = &'a Lieu>) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(CHAMPS)?;
    for lieu in lieux {
        w.write_record(lieu.valeurs_schema())?;
    }
    w.into_inner().map_err(|e| ExportError::Io(e.into_error()))
}

/// One place as a standard JSON object: empty fields left out, coordinates as numbers.
pub fn objet_standard(lieu: &Lieu) -> Value {
    let mut m = Map::new();
    for (champ, valeur) in CHAMPS.iter().zip(lieu.valeurs_schema()) {
        if valeur.is_empty() {
            continue;
        }
        let v = match *champ {
            "latitude" | "longitude" => valeur
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::String(valeur)),
            _ => Value::String(valeur),
        };
        m.insert((*champ).to_string(), v);
    }
    Value::Object(m)
}

fn geojson<'a>(lieux: impl IntoIterator<Item = &'a Lieu>) -> Value {
    let features: Vec<Value> = lieux
        .into_iter()
        .map(|lieu| {
            let geometry = match &lieu.localisation {
                Some(l) => json!({
                    "type": "Point",
                    "coordinates": [
                        format_coordonnee(l.longitude).parse::<f64>().unwrap_or(l.longitude),
                        format_coordonnee(l.latitude).parse::<f64>().unwrap_or(l.latitude),
                    ]
                }),
                None => Value::Null,
            };
            let mut properties = objet_standard(lieu);
            if let (Some(l), Value::Object(p)) = (&lieu.localisation, &mut properties) {
                if l.approximative {
                    p.insert("localisation_approximative".into(), Value::Bool(true));
                }
            }
            json!({ "type": "Feature", "geometry": geometry, "properties": properties })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}
