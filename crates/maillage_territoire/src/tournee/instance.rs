//! Instances given as points and a radius, and the benchmark file format.

use maillage_geo::{GridIndex, Point};

use super::Probleme;

/// Why an instance cannot be read or built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErreurInstance {
    #[error("ligne {ligne} : en-tête illisible « {texte} » (attendu CLÉ : VALEUR)")]
    EnTeteInvalide { ligne: usize, texte: String },
    #[error("la dimension (DIMENSION : n) manque ou n'est pas un entier positif")]
    DimensionAbsente,
    #[error("type de distance « {0} » non pris en charge (seul COORD, latitude et longitude en degrés, l'est)")]
    TypeNonPrisEnCharge(String),
    #[error("section {0} absente")]
    SectionAbsente(&'static str),
    #[error("ligne {ligne} : coordonnées illisibles « {texte} » (attendu : latitude longitude)")]
    CoordonneesInvalides { ligne: usize, texte: String },
    #[error("ligne {ligne} : demande illisible « {texte} » (attendu : un nombre positif)")]
    DemandeInvalide { ligne: usize, texte: String },
    #[error("{section} : {trouves} lignes au lieu de {attendus}")]
    NombreDeLignes {
        section: &'static str,
        trouves: usize,
        attendus: usize,
    },
    #[error("le poids du point de demande {demande} est invalide ({poids})")]
    PoidsInvalide { demande: usize, poids: f64 },
    #[error("le candidat {candidat} couvre le point de demande {demande}, qui n'existe pas ({demandes} points)")]
    DemandeInconnue {
        candidat: usize,
        demande: usize,
        demandes: usize,
    },
    #[error("rayon de couverture invalide ({0} m) : il doit être positif")]
    RayonInvalide(f64),
}

/// How the distance between two points is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distance {
    /// Great-circle distance by the haversine formula on the mean Earth
    /// radius ([`maillage_geo::haversine_m`]).
    Haversine,
    /// Spherical law of cosines on a sphere of radius 6,378,100 m, rounded
    /// to 32-bit floats, as AILS-MCLP computes it: the distance of the
    /// benchmark instances and their best known values.
    LoiDesCosinus32,
}

impl Distance {
    /// Whether `a` and `b` are at most `rayon_m` apart.
    fn dans_le_rayon(self, a: Point, b: Point, rayon_m: f64) -> bool {
        if a == b {
            return true;
        }
        match self {
            Distance::Haversine => maillage_geo::haversine_m(a, b) <= rayon_m,
            Distance::LoiDesCosinus32 => {
                let (phi1, phi2) = (a.lat.to_radians(), b.lat.to_radians());
                let dlambda = (b.lon - a.lon).to_radians();
                let cos = phi1.cos() * phi2.cos() * dlambda.cos() + phi1.sin() * phi2.sin();
                // As in Java: (float) Math.acos(…) * 6378100, in float.
                let d = (cos.acos() as f32) * 6_378_100f32;
                d <= rayon_m as f32
            }
        }
    }

    /// Radius to search the grid with so that every point the exact
    /// predicate accepts is found.
    fn rayon_de_recherche(self, rayon_m: f64) -> f64 {
        match self {
            Distance::Haversine => rayon_m,
            // Larger sphere (+0.11 %) and float rounding.
            Distance::LoiDesCosinus32 => rayon_m * 1.002 + 1.0,
        }
    }
}

/// An MCLP given by points: weighted demand points, candidate sites, and a
/// coverage radius.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// Name, from the file's `NAME` field.
    pub nom: Option<String>,
    /// Demand points with their weight.
    pub demandes: Vec<(Point, f64)>,
    /// Candidate sites.
    pub candidats: Vec<Point>,
    /// Coverage radius, in metres: a demand point is covered by a site at
    /// most this far.
    pub rayon_m: f64,
    pub distance: Distance,
}

impl Instance {
    /// The coverage sets, found through a grid of cells of the radius: each
    /// candidate is compared only with the demand points of the cells its
    /// radius reaches, so the cost grows with the number of points times the
    /// local density.
    pub fn probleme(&self) -> Result<Probleme, ErreurInstance> {
        if !(self.rayon_m.is_finite() && self.rayon_m >= 0.0) {
            return Err(ErreurInstance::RayonInvalide(self.rayon_m));
        }
        let poids: Vec<f64> = self.demandes.iter().map(|(_, w)| *w).collect();
        if let Some((d, w)) = poids
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(ErreurInstance::PoidsInvalide {
                demande: d,
                poids: *w,
            });
        }
        let recherche = self.distance.rayon_de_recherche(self.rayon_m);
        // Cells of the search radius, within sane bounds (1 m, half the
        // Earth's circumference).
        let mut grille = GridIndex::new(recherche.clamp(1.0, 2.0e7));
        for (point, _) in &self.demandes {
            grille.insert(*point, ());
        }
        let listes: Vec<Vec<u32>> = self
            .candidats
            .iter()
            .map(|&c| {
                let mut liste: Vec<u32> = grille
                    .within_indices(c, recherche)
                    .filter(|&(d, _)| {
                        self.distance
                            .dans_le_rayon(c, self.demandes[d].0, self.rayon_m)
                    })
                    .map(|(d, _)| d as u32)
                    .collect();
                liste.sort_unstable();
                liste
            })
            .collect();
        Ok(Probleme::depuis_listes(poids, listes))
    }
}

/// Reads an instance in the format of AILS-MCLP (`data/benchmarks/mclp/`):
/// header lines `CLÉ : VALEUR` (`NAME`, `TYPE`, `EDGE_WEIGHT_TYPE : COORD`,
/// `DIMENSION : n`), then `NODE_COORD_SECTION` and n lines `latitude
/// longitude`, then `DEMAND_SECTION` and n demands, then `EOF` (optional).
/// Every point is both a demand point and a candidate site.
///
/// The format has no radius: the instance comes back with `rayon_m` = 0,
/// to be set by the caller (the README gives it per instance), and with
/// [`Distance::LoiDesCosinus32`], the distance of the published values.
pub fn lire_instance(texte: &str) -> Result<Instance, ErreurInstance> {
    let mut lignes = texte
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let mut nom = None;
    let mut dimension: Option<usize> = None;
    // Header, up to the coordinates.
    loop {
        let Some((ligne, texte)) = lignes.next() else {
            return Err(ErreurInstance::SectionAbsente("NODE_COORD_SECTION"));
        };
        let cle = texte.split(':').next().unwrap_or("").trim();
        if cle.eq_ignore_ascii_case("NODE_COORD_SECTION") {
            break;
        }
        let Some((cle, valeur)) = texte.split_once(':') else {
            return Err(ErreurInstance::EnTeteInvalide {
                ligne,
                texte: texte.to_owned(),
            });
        };
        let valeur = valeur.trim();
        match cle.trim().to_ascii_uppercase().as_str() {
            "NAME" => nom = Some(valeur.to_owned()),
            "DIMENSION" => {
                dimension = Some(
                    valeur
                        .parse()
                        .ok()
                        .filter(|&n: &usize| n > 0)
                        .ok_or(ErreurInstance::DimensionAbsente)?,
                )
            }
            "EDGE_WEIGHT_TYPE" if !valeur.eq_ignore_ascii_case("COORD") => {
                return Err(ErreurInstance::TypeNonPrisEnCharge(valeur.to_owned()));
            }
            _ => {}
        }
    }
    let n = dimension.ok_or(ErreurInstance::DimensionAbsente)?;
    let mut points = Vec::with_capacity(n);
    let mut section_demande = false;
    for (ligne, texte) in lignes.by_ref() {
        if texte.eq_ignore_ascii_case("DEMAND_SECTION") {
            section_demande = true;
            break;
        }
        let mut champs = texte.split_whitespace();
        let point = match (champs.next(), champs.next()) {
            (Some(lat), Some(lon)) => match (lat.parse::<f64>(), lon.parse::<f64>()) {
                (Ok(lat), Ok(lon)) => Point::new(lat, lon),
                _ => None,
            },
            _ => None,
        };
        let Some(point) = point else {
            return Err(ErreurInstance::CoordonneesInvalides {
                ligne,
                texte: texte.to_owned(),
            });
        };
        points.push(point);
    }
    if !section_demande {
        return Err(ErreurInstance::SectionAbsente("DEMAND_SECTION"));
    }
    if points.len() != n {
        return Err(ErreurInstance::NombreDeLignes {
            section: "NODE_COORD_SECTION",
            trouves: points.len(),
            attendus: n,
        });
    }
    let mut demandes = Vec::with_capacity(n);
    for (ligne, texte) in lignes {
        if texte.eq_ignore_ascii_case("EOF") {
            break;
        }
        let demande = texte
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|w| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| ErreurInstance::DemandeInvalide {
                ligne,
                texte: texte.to_owned(),
            })?;
        demandes.push(demande);
    }
    if demandes.len() != n {
        return Err(ErreurInstance::NombreDeLignes {
            section: "DEMAND_SECTION",
            trouves: demandes.len(),
            attendus: n,
        });
    }
    Ok(Instance {
        nom,
        demandes: points.iter().copied().zip(demandes).collect(),
        candidats: points,
        rayon_m: 0.0,
        distance: Distance::LoiDesCosinus32,
    })
}
