//! What the import needs from the territorial referential, as a small trait: the real
//! referential implements it, tests use a fake.

/// A commune as the import sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CommuneRef {
    pub code_insee: String,
    pub nom: String,
    pub codes_postaux: Vec<String>,
    /// Centroid (latitude, longitude), when known.
    pub centre: Option<(f64, f64)>,
}

/// Territorial look-ups used to complete and check places.
pub trait Geocodeur: Sync {
    /// The INSEE code of the commune named `commune` with postal code `code_postal` (either
    /// may be missing; arrondissement codes for Paris, Lyon, Marseille when the postal code
    /// tells which).
    fn code_insee(&self, code_postal: Option<&str>, commune: Option<&str>) -> Option<String>;

    /// The commune with this INSEE code (for an arrondissement, the arrondissement's name and
    /// postal codes, and the centre of its commune when it has none of its own).
    fn commune(&self, code_insee: &str) -> Option<CommuneRef>;

    /// The commune whose centroid is nearest to the point.
    fn commune_la_plus_proche(&self, latitude: f64, longitude: f64) -> Option<CommuneRef>;
}

/// No referential: nothing is completed from it (codes INSEE stay as given).
#[derive(Clone, Copy, Debug, Default)]
pub struct SansReferentiel;

impl Geocodeur for SansReferentiel {
    fn code_insee(&self, _: Option<&str>, _: Option<&str>) -> Option<String> {
        None
    }
    fn commune(&self, _: &str) -> Option<CommuneRef> {
        None
    }
    fn commune_la_plus_proche(&self, _: f64, _: f64) -> Option<CommuneRef> {
        None
    }
}

impl<G: Geocodeur + ?Sized> Geocodeur for &G {
    fn code_insee(&self, code_postal: Option<&str>, commune: Option<&str>) -> Option<String> {
        (**self).code_insee(code_postal, commune)
    }
    fn commune(&self, code_insee: &str) -> Option<CommuneRef> {
        (**self).commune(code_insee)
    }
    fn commune_la_plus_proche(&self, latitude: f64, longitude: f64) -> Option<CommuneRef> {
        (**self).commune_la_plus_proche(latitude, longitude)
    }
}

fn depuis_commune(c: &maillage_territoire::Commune) -> CommuneRef {
    CommuneRef {
        code_insee: c.code_insee.clone(),
        nom: c.nom.clone(),
        codes_postaux: c.codes_postaux.clone(),
        centre: c.centre.map(|p| (p.lat, p.lon)),
    }
}

/// The territorial referential (COG 2025 communes, arrondissements of Paris, Lyon and
/// Marseille, postal codes, centroids).
impl Geocodeur for maillage_territoire::Referentiel {
    fn code_insee(&self, code_postal: Option<&str>, commune: Option<&str>) -> Option<String> {
        self.resoudre_code_insee(code_postal, commune)
            .map(str::to_string)
    }

    fn commune(&self, code_insee: &str) -> Option<CommuneRef> {
        if let Some(c) = maillage_territoire::Referentiel::commune(self, code_insee) {
            return Some(depuis_commune(c));
        }
        let a = self.arrondissement(code_insee)?;
        let parente = maillage_territoire::Referentiel::commune(self, &a.code_commune_parente);
        Some(CommuneRef {
            code_insee: a.code_insee.clone(),
            nom: a.nom.clone(),
            codes_postaux: a.codes_postaux.clone(),
            centre: parente.and_then(|p| p.centre).map(|p| (p.lat, p.lon)),
        })
    }

    fn commune_la_plus_proche(&self, latitude: f64, longitude: f64) -> Option<CommuneRef> {
        let point = maillage_geo::Point::new(latitude, longitude)?;
        maillage_territoire::Referentiel::commune_la_plus_proche(self, point).map(depuis_commune)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maillage_territoire::Referentiel;

    #[test]
    fn the_referential_resolves_communes_arrondissements_and_points() {
        let r = Referentiel::embedded();
        assert_eq!(
            Geocodeur::code_insee(r, Some("13011"), Some("MARSEILLE 11")).as_deref(),
            Some("13211")
        );
        let a = Geocodeur::commune(r, "13211");
        assert_eq!(
            a.as_ref().map(|c| c.codes_postaux.clone()),
            Some(vec!["13011".to_string()])
        );
        assert!(a.and_then(|c| c.centre).is_some(), "the parent's centre");
        let valserhone = Geocodeur::commune_la_plus_proche(r, 46.1060711578546, 5.8260084241619);
        assert_eq!(valserhone.map(|c| c.code_insee).as_deref(), Some("01033"));
        assert_eq!(Geocodeur::commune(r, "99999"), None);
        assert_eq!(Geocodeur::commune_la_plus_proche(r, 95.0, 0.0), None);
    }
}
