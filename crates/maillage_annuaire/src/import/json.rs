//! JSON arrays of records (schema v1 or v0) and GeoJSON FeatureCollections.

use super::construction::Constructeur;
use super::contenu::Contenu;
use super::enregistrement::{Enregistrement, Valeur};
use super::erreur::{erreur_json, ImportError};
use super::format::premier_caractere;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Hands every element of a JSON array, read one by one (the file is never held parsed
/// as a whole: a file of ten million tiny elements reads in constant memory).
struct Elements<'c, 'a> {
    c: &'c mut Constructeur<'a>,
    /// Elements are GeoJSON features.
    features: bool,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("un tableau")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut numero = 0;
        while let Some(element) = seq.next_element::<Value>()? {
            numero += 1;
            let e = if self.features {
                feature(numero, &element)
            } else {
                match &element {
                    Value::Object(o) => Enregistrement::depuis_objet(numero, o),
                    _ => rejete(
                        numero,
                        "enregistrement",
                        "l'élément n'est pas un objet JSON",
                    ),
                }
            };
            self.c.ajouter(e);
        }
        Ok(())
    }
}

/// A JSON array of records; each element that is not an object is rejected.
pub(crate) fn lire_tableau(
    contenu: &dyn Contenu,
    c: &mut Constructeur<'_>,
) -> Result<(), ImportError> {
    let (premier, octet) = premier_caractere(contenu)?;
    if premier != Some(b'[') {
        return Err(ImportError::Structure {
            octet,
            message: "le document JSON n'est pas un tableau de lieux".into(),
        });
    }
    fn tableau<'de, R: serde_json::de::Read<'de>>(
        de: &mut serde_json::Deserializer<R>,
        c: &mut Constructeur<'_>,
    ) -> Result<(), serde_json::Error> {
        Elements { c, features: false }.deserialize(&mut *de)?;
        de.end()
    }
    match contenu.octets() {
        Some(b) => tableau(&mut serde_json::Deserializer::from_slice(b), c),
        None => tableau(
            &mut serde_json::Deserializer::from_reader(contenu.ouvrir()?),
            c,
        ),
    }
    .map_err(|e| erreur_json(&e))
}

/// What the top-level object of a GeoJSON document said, its features handed on the way.
struct Collection<'c, 'a> {
    c: &'c mut Constructeur<'a>,
}

impl<'de> Visitor<'de> for Collection<'_, '_> {
    /// (`type`, whether `features` was there)
    type Value = (Option<String>, bool);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("un objet GeoJSON")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut genre = None;
        let mut features = false;
        while let Some(cle) = map.next_key::<String>()? {
            match cle.as_str() {
                "type" => {
                    genre = map.next_value::<Value>()?.as_str().map(str::to_string);
                }
                "features" if !features => {
                    map.next_value_seed(Elements {
                        c: &mut *self.c,
                        features: true,
                    })?;
                    features = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((genre, features))
    }
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
/// Features are read one by one, as they come.
pub(crate) fn lire_geojson(
    contenu: &dyn Contenu,
    c: &mut Constructeur<'_>,
) -> Result<(), ImportError> {
    let (premier, octet) = premier_caractere(contenu)?;
    if premier != Some(b'{') {
        return Err(ImportError::Structure {
            octet,
            message: "le document GeoJSON n'est pas un objet".into(),
        });
    }
    fn collection<'de, R: serde_json::de::Read<'de>>(
        de: &mut serde_json::Deserializer<R>,
        c: &mut Constructeur<'_>,
    ) -> Result<(Option<String>, bool), serde_json::Error> {
        let v = de.deserialize_map(Collection { c })?;
        de.end()?;
        Ok(v)
    }
    let (genre, features) = match contenu.octets() {
        Some(b) => collection(&mut serde_json::Deserializer::from_slice(b), c),
        None => collection(
            &mut serde_json::Deserializer::from_reader(contenu.ouvrir()?),
            c,
        ),
    }
    .map_err(|e| erreur_json(&e))?;
    if genre.as_deref() != Some("FeatureCollection") {
        return Err(ImportError::Structure {
            octet,
            message: "le document GeoJSON n'est pas une FeatureCollection (« type » attendu)"
                .into(),
        });
    }
    if !features {
        return Err(ImportError::Structure {
            octet,
            message: "la FeatureCollection n'a pas de tableau « features »".into(),
        });
    }
    Ok(())
}

/// One feature as a record.
fn feature(numero: usize, feature: &Value) -> Enregistrement {
    let Some(proprietes) = feature.get("properties").and_then(Value::as_object) else {
        return rejete(numero, "properties", "objet « properties » absent");
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
    e
}
