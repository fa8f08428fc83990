//! A place of digital mediation, on the national schema v1.0.2 (all 32 fields).

use crate::enums::*;
use crate::horaires::Horaires;
use crate::identifiants::{CodeInsee, CodePostal, Pivot};
use crate::telephone::Telephone;
use crate::vocabulary::Vocabulary;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The 32 fields of the schema, in the exact order of the CSV header.
pub const CHAMPS: [&str; 32] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
];

/// Separator of multiple values inside one field (schema v1).
pub const SEPARATEUR: &str = "|";

/// Maximum length of `presentation_resume`.
pub const RESUME_MAX: usize = 280;

/// Where a place is. `approximative` is set when the point is the commune's centroid, filled
/// in because the source gave no coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Localisation {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub approximative: bool,
}

impl Localisation {
    /// A point within WGS84 bounds, not (0, 0).
    pub fn new(latitude: f64, longitude: f64) -> Option<Self> {
        let ok = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude)
            && !(latitude == 0.0 && longitude == 0.0);
        ok.then_some(Self {
            latitude,
            longitude,
            approximative: false,
        })
    }
}

/// A place, with every field of the schema. Lists are empty when unknown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lieu {
    pub id: String,
    pub pivot: Pivot,
    pub nom: String,
    pub commune: String,
    pub code_postal: CodePostal,
    pub code_insee: Option<CodeInsee>,
    pub adresse: String,
    pub complement_adresse: Option<String>,
    pub localisation: Option<Localisation>,
    pub typologie: Vec<Typologie>,
    pub telephone: Option<Telephone>,
    pub courriels: Vec<String>,
    pub site_web: Vec<String>,
    pub horaires: Option<Horaires>,
    pub presentation_resume: Option<String>,
    pub presentation_detail: Option<String>,
    pub source: Option<String>,
    pub itinerance: Vec<Itinerance>,
    pub structure_parente: Option<String>,
    pub date_maj: NaiveDate,
    pub services: Vec<Service>,
    pub publics_specifiquement_adresses: Vec<PublicSpecifiquementAdresse>,
    pub prise_en_charge_specifique: Vec<PriseEnChargeSpecifique>,
    pub frais_a_charge: Vec<Frais>,
    pub dispositif_programmes_nationaux: Vec<DispositifProgrammeNational>,
    pub formations_labels: Vec<FormationLabel>,
    pub autres_formations_labels: Vec<String>,
    pub modalites_acces: Vec<ModaliteAcces>,
    pub modalites_accompagnement: Vec<ModaliteAccompagnement>,
    pub fiche_acces_libre: Option<String>,
    pub prise_rdv: Option<String>,
}

fn join<V: Vocabulary>(values: &[V]) -> String {
    values
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(SEPARATEUR)
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A coordinate written with at most 7 decimals (≈1 cm), without trailing zeros.
pub fn format_coordonnee(x: f64) -> String {
    let s = format!("{x:.7}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl Lieu {
    /// The values of the 32 schema fields, in [`CHAMPS`] order, as written in the CSV.
    pub fn valeurs_schema(&self) -> [String; 32] {
        let (lat, lon) = match &self.localisation {
            Some(l) => (
                format_coordonnee(l.latitude),
                format_coordonnee(l.longitude),
            ),
            None => (String::new(), String::new()),
        };
        [
            self.id.clone(),
            self.pivot.as_str().to_string(),
            self.nom.clone(),
            self.commune.clone(),
            self.code_postal.to_string(),
            self.code_insee
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            self.adresse.clone(),
            opt(&self.complement_adresse),
            lat,
            lon,
            join(&self.typologie),
            self.telephone
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default(),
            self.courriels.join(SEPARATEUR),
            self.site_web.join(SEPARATEUR),
            self.horaires
                .as_ref()
                .map(|h| h.brut.clone())
                .unwrap_or_default(),
            opt(&self.presentation_resume),
            opt(&self.presentation_detail),
            opt(&self.source),
            join(&self.itinerance),
            opt(&self.structure_parente),
            self.date_maj.format("%Y-%m-%d").to_string(),
            join(&self.services),
            join(&self.publics_specifiquement_adresses),
            join(&self.prise_en_charge_specifique),
            join(&self.frais_a_charge),
            join(&self.dispositif_programmes_nationaux),
            join(&self.formations_labels),
            self.autres_formations_labels.join(SEPARATEUR),
            join(&self.modalites_acces),
            join(&self.modalites_accompagnement),
            opt(&self.fiche_acces_libre),
            opt(&self.prise_rdv),
        ]
    }

    /// Whether the place is itinerant (a bus, a caravan).
    pub fn est_itinerant(&self) -> bool {
        self.itinerance.contains(&Itinerance::Itinerant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn exemple() -> Lieu {
        Lieu {
            id: "structure-1".into(),
            pivot: Pivot::parse("43493312300029").unwrap(),
            nom: "Anonymal".into(),
            commune: "Reims".into(),
            code_postal: CodePostal::parse("51100").unwrap(),
            code_insee: Some(CodeInsee::parse("51454").unwrap()),
            adresse: "12 BIS RUE DE LECLERCQ".into(),
            complement_adresse: None,
            localisation: Localisation::new(43.52609, 5.41423),
            typologie: vec![Typologie::TiersLieux, Typologie::Asso],
            telephone: Telephone::parse("+33180059880", None).ok(),
            courriels: vec!["contact@laquincaillerie.tl".into()],
            site_web: vec![],
            horaires: Horaires::new("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"),
            presentation_resume: None,
            presentation_detail: None,
            source: Some("Hubik".into()),
            itinerance: vec![Itinerance::Itinerant],
            structure_parente: None,
            date_maj: NaiveDate::from_ymd_opt(2024, 4, 2).unwrap(),
            services: vec![Service::MaitriseDesOutilsNumeriquesDuQuotidien],
            publics_specifiquement_adresses: vec![],
            prise_en_charge_specifique: vec![
                PriseEnChargeSpecifique::Surdite,
                PriseEnChargeSpecifique::Illettrisme,
            ],
            frais_a_charge: vec![Frais::GratuitSousCondition, Frais::Payant],
            dispositif_programmes_nationaux: vec![],
            formations_labels: vec![FormationLabel::FormeAMonEspaceSante],
            autres_formations_labels: vec!["Label et la bête".into()],
            modalites_acces: vec![],
            modalites_accompagnement: vec![ModaliteAccompagnement::ADistance],
            fiche_acces_libre: None,
            prise_rdv: Some("https://www.rdv-solidarites.fr/".into()),
        }
    }

    #[test]
    fn schema_values_follow_the_header_order_and_use_pipes() {
        let v = exemple().valeurs_schema();
        assert_eq!(v[0], "structure-1");
        assert_eq!(v[8], "43.52609");
        assert_eq!(v[10], "TIERS_LIEUX|ASSO");
        assert_eq!(v[18], "Itinérant");
        assert_eq!(v[20], "2024-04-02");
        assert_eq!(v[23], "Surdité|Illettrisme");
        assert_eq!(v[24], "Gratuit sous condition|Payant");
        assert_eq!(v[26], "Formé à « Mon Espace Santé »");
    }

    #[test]
    fn json_round_trip() {
        let l = exemple();
        let json = serde_json::to_string(&l).unwrap();
        let back: Lieu = serde_json::from_str(&json).unwrap();
        assert_eq!(back, l);
    }

    #[test]
    fn localisation_rejects_null_island_and_out_of_range() {
        assert!(Localisation::new(0.0, 0.0).is_none());
        assert!(Localisation::new(91.0, 2.0).is_none());
        assert!(Localisation::new(f64::NAN, 2.0).is_none());
        assert!(Localisation::new(-22.2, 166.4).is_some());
    }

    #[test]
    fn every_vocabulary_parses_its_own_labels() {
        fn check<V: Vocabulary + PartialEq + std::fmt::Debug>() {
            for v in V::ALL {
                assert_eq!(V::from_label(v.label()), Some(*v));
            }
        }
        check::<Service>();
        check::<Typologie>();
        check::<FormationLabel>();
        check::<Frais>();
        assert_eq!(Typologie::ALL.len(), 92);
        assert_eq!(Service::ALL.len(), 9);
    }
}
