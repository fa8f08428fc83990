//! JSON arrays of records (schema v1 or v0) and GeoJSON FeatureCollections.

use super::construction::Constructeur;
use super::enregistrement::{Enregistrement, Valeur};
use super::erreur::{erreur_json, ImportError};
use serde_json::Value;

fn analyser(texte: &str) -> Result<Value, ImportError> {
    serde_json::from_str(texte).map_err(|e| erreur_json(&e))
}

/// A JSON array of records; each element that is not an object is rejected.
pub(crate) fn lire_tableau(texte: &str, c: &mut Constructeur<'_>) -> Result<(), ImportError> {
    let Value::Array(elements) = analyser(texte)? else {
        return Err(ImportError::Structure {
            octet: texte.len() - texte.trim_start().len(),
            message: "le document JSON n'est pas un tableau de lieux".into(),
        });
    };
    for (i, element) in elements.iter().enumerate() {
        let numero = i + 1;
        let e = match element {
            Value::Object(o) => Enregistrement::depuis_objet(numero, o),
            _ => rejete(
                numero,
                "enregistrement",
                "l'élément n'est pas un objet JSON",
            ),
        };
        c.ajouter(e);
    }
    Ok(())
}

fn rejete(numero: usize, champ: &str, message: &str) -> Enregistrement {
    let mut e = Enregistrement::new(numero);
    e.rejets.push((champ.to_string(), message.to_string()));
    e
}

fn coordonnee(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => super::champs::nombre(s),
        _ => None,
    }
    .filter(|x| x.is_finite())
}

/// A GeoJSON FeatureCollection: each feature's `properties` is a record (schema v0 or v1);
/// a `Point` geometry gives the coordinates and wins over `latitude` / `longitude`.
pub(crate) fn lire_geojson(texte: &str, c: &mut Constructeur<'_>) -> Result<(), ImportError> {
    let debut = texte.len() - texte.trim_start().len();
    let document = analyser(texte)?;
    let Some(objet) = document.as_object() else {
        return Err(ImportError::Structure {
            octet: debut,
            message: "le document GeoJSON n'est pas un objet".into(),
        });
    };
    if objet.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(ImportError::Structure {
            octet: debut,
            message: "le document GeoJSON n'est pas une FeatureCollection (« type » attendu)"
                .into(),
        });
    }
    let Some(Value::Array(features)) = objet.get("features") else {
        return Err(ImportError::Structure {
            octet: debut,
            message: "la FeatureCollection n'a pas de tableau « features »".into(),
        });
    };
    for (i, feature) in features.iter().enumerate() {
        let numero = i + 1;
        let Some(proprietes) = feature.get("properties").and_then(Value::as_object) else {
            c.ajouter(rejete(numero, "properties", "objet « properties » absent"));
            continue;
        };
        let mut e = Enregistrement::depuis_objet(numero, proprietes);
        match feature.get("geometry") {
            None | Some(Value::Null) => {}
            Some(g) => {
                let point = (g.get("type").and_then(Value::as_str) == Some("Point"))
                    .then(|| g.get("coordinates").and_then(Value::as_array))
                    .flatten()
                    .and_then(|xy| Some((coordonnee(xy.first()?)?, coordonnee(xy.get(1)?)?)));
                match point {
                    Some((lon, lat)) => {
                        e.champs
                            .insert("latitude".into(), Valeur::Nombre(lat, lat.to_string()));
                        e.champs
                            .insert("longitude".into(), Valeur::Nombre(lon, lon.to_string()));
                    }
                    None => e.corrections.push((
                        "geometry".into(),
                        "géométrie qui n'est pas un point lisible : ignorée".into(),
                    )),
                }
            }
        }
        c.ajouter(e);
    }
    Ok(())
}
