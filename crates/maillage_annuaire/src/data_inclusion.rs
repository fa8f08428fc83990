//! The data·inclusion schema v1 (`structures` and `services`, PyPI `data-inclusion-schema`)
//! and how its referentials correspond to the national places schema's enumerations.
//!
//! One place becomes one structure and one service per value of its `services` field (a
//! place without services gets one generic service, « Médiation numérique »): the service's
//! name is the schema's label, so that an import gives the same services back. The lossy
//! correspondences are listed in `docs/INTEROP.md`; what data·inclusion cannot say in its
//! referentials (several kinds of fees, the accessibility needs a place cares for, the exact
//! access modalities) is written, with the places schema's exact labels, in the service's
//! free `*_precisions` fields, and read back from there on import.

use chrono::NaiveDate;
use maillage_domain::{
    DispositifProgrammeNational as Dispositif, FormationLabel, Frais, Lieu, ModaliteAcces,
    ModaliteAccompagnement as Accompagnement, Pivot, PriseEnChargeSpecifique as Prise,
    PublicSpecifiquementAdresse as Public, Service,
};
use serde_json::{json, Map, Value};

/// The `source` written in an export when none is given: the producer of the data.
pub const SOURCE_PAR_DEFAUT: &str = "maillage";

/// Between the producer and its own id in a data·inclusion id (`source--id`).
pub const SEPARATEUR_ID: &str = "--";

/// Name of the generic service of a place that lists no service.
pub const SERVICE_GENERIQUE: &str = "Médiation numérique";

/// Prefixes of the `*_precisions` fields that carry the places schema's exact labels.
pub const PRECISION_FRAIS: &str = "Frais à charge : ";
pub const PRECISION_PRISE: &str = "Prise en charge spécifique : ";
pub const PRECISION_ACCES: &str = "Modalités d'accès : ";

/// Places schema service → data·inclusion v1 thématiques (the correspondence of the
/// data·inclusion pipeline, `_map_services.sql`).
pub fn thematiques(s: Service) -> &'static [&'static str] {
    match s {
        Service::AccesInternetEtMaterielInformatique => &[
            "numerique--acceder-a-une-connexion-internet",
            "numerique--acquerir-un-equipement",
        ],
        Service::MaterielInformatiqueAPrixSolidaire => &["numerique--acquerir-un-equipement"],
        Service::AideAuxDemarchesAdministratives => &[
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
            "numerique--acceder-a-des-services-en-ligne",
        ],
        Service::ComprehensionDuMondeNumerique | Service::UtilisationSecuriseeDuNumerique => {
            &["numerique--maitriser-les-fondamentaux-du-numerique"]
        }
        Service::InsertionProfessionnelleViaLeNumerique => &[
            "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
            "numerique--maitriser-les-fondamentaux-du-numerique",
        ],
        Service::LoisirsEtCreationsNumeriques => &[
            "remobilisation--activites-sportives-et-culturelles",
            "numerique--maitriser-les-fondamentaux-du-numerique",
        ],
        Service::MaitriseDesOutilsNumeriquesDuQuotidien => &[
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "numerique--acceder-a-des-services-en-ligne",
        ],
        Service::ParentaliteEtEducationAvecLeNumerique => &[
            "famille--soutien-a-la-parentalite-et-a-leducation",
            "numerique--maitriser-les-fondamentaux-du-numerique",
        ],
    }
}

/// A data·inclusion thématique → the places schema service it means (import of a service
/// whose name is not a places schema label). Only the numérique thématiques and the
/// administrative procedures have one.
pub fn service_de_thematique(t: &str) -> Option<Service> {
    Some(match t {
        "numerique--acceder-a-une-connexion-internet" => {
            Service::AccesInternetEtMaterielInformatique
        }
        "numerique--acquerir-un-equipement" => Service::MaterielInformatiqueAPrixSolidaire,
        "numerique--acceder-a-des-services-en-ligne"
        | "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives" => {
            Service::AideAuxDemarchesAdministratives
        }
        "numerique--maitriser-les-fondamentaux-du-numerique" => {
            Service::MaitriseDesOutilsNumeriquesDuQuotidien
        }
        _ => return None,
    })
}

/// Public specifically addressed ↔ data·inclusion `publics` (one to one).
pub const PUBLICS: [(Public, &str); 5] = [
    (Public::Jeunes, "jeunes"),
    (Public::Etudiants, "etudiants"),
    (Public::FamillesEnfants, "familles"),
    (Public::Seniors, "seniors"),
    (Public::Femmes, "femmes"),
];

/// Specific support → the data·inclusion public it falls under (several to one; illiteracy
/// has none).
pub fn public_de_prise(p: Prise) -> Option<&'static str> {
    match p {
        Prise::Surdite | Prise::HandicapsMoteurs | Prise::HandicapsMentaux => {
            Some("personnes-en-situation-de-handicap")
        }
        Prise::DeficienceVisuelle => Some("personnes-en-situation-de-handicap"),
        Prise::LanguesEtrangeresAnglais | Prise::LanguesEtrangeresAutre => {
            Some("personnes-exilees")
        }
        Prise::Illettrisme => None,
    }
}

/// Access modality → data·inclusion `modes_mobilisation` (several to one; « Ce lieu
/// n'accueille pas de public » has none).
pub fn mode_mobilisation(m: ModaliteAcces) -> Option<&'static str> {
    match m {
        ModaliteAcces::SePresenter => Some("se-presenter"),
        ModaliteAcces::Telephoner => Some("telephoner"),
        ModaliteAcces::ContacterParMail | ModaliteAcces::PrescriptionParMail => {
            Some("envoyer-un-courriel")
        }
        ModaliteAcces::PrendreRdvEnLigne => Some("utiliser-lien-mobilisation"),
        ModaliteAcces::PasDePublic => None,
    }
}

/// data·inclusion `modes_mobilisation` → access modality (import without precisions).
pub fn modalite_acces_de(m: &str) -> Option<ModaliteAcces> {
    Some(match m {
        "se-presenter" => ModaliteAcces::SePresenter,
        "telephoner" => ModaliteAcces::Telephoner,
        "envoyer-un-courriel" => ModaliteAcces::ContacterParMail,
        "utiliser-lien-mobilisation" => ModaliteAcces::PrendreRdvEnLigne,
        _ => return None,
    })
}

/// Support modality → data·inclusion service `type` (« À distance » is a mode d'accueil).
pub fn type_de_service(m: Accompagnement) -> Option<&'static str> {
    match m {
        Accompagnement::AccompagnementIndividuel => Some("accompagnement"),
        Accompagnement::DansUnAtelier => Some("atelier"),
        Accompagnement::EnAutonomie => Some("aide-materielle"),
        Accompagnement::ADistance => None,
    }
}

/// data·inclusion service `type` → support modality.
pub fn accompagnement_de_type(t: &str) -> Option<Accompagnement> {
    Some(match t {
        "accompagnement" => Accompagnement::AccompagnementIndividuel,
        "atelier" | "formation" => Accompagnement::DansUnAtelier,
        "aide-materielle" => Accompagnement::EnAutonomie,
        _ => return None,
    })
}

/// National programmes ↔ data·inclusion `reseaux_porteurs` (the others have none).
pub const RESEAUX: [(Dispositif, &str); 6] = [
    (Dispositif::AidantsConnect, "aidants-connect"),
    (Dispositif::ConseillersNumeriques, "conseillers-numeriques"),
    (Dispositif::FranceServices, "france-service"),
    (
        Dispositif::GrandeEcoleDuNumerique,
        "grandes-ecoles-du-numerique",
    ),
    (Dispositif::LaCroixRouge, "croix-rouge"),
    (Dispositif::PointNumeriqueCAF, "caf"),
];

/// The one training label that is also a data·inclusion network.
pub const RESEAU_FABRIQUES: (FormationLabel, &str) = (
    FormationLabel::FabriquesDeTerritoire,
    "fabrique-de-territoire",
);

/// `Aide aux démarches administratives` → `aide-aux-demarches-administratives`.
pub fn slug(texte: &str) -> String {
    let mut out = String::new();
    for c in maillage_domain::texte::normaliser(texte).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The structures and services of an export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportDataInclusion {
    pub structures: Vec<Value>,
    pub services: Vec<Value>,
}

/// Lengths the data·inclusion schema allows.
const NOM_MIN: usize = 3;
const NOM_MAX: usize = 150;
const DESCRIPTION_MIN: usize = 5;
const DESCRIPTION_MAX: usize = 10_000;
const URL_MAX: usize = 2_083;

fn nombre_de_caracteres(s: &str) -> usize {
    s.chars().count()
}

fn couper(s: &str, max: usize) -> String {
    if nombre_de_caracteres(s) <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t = t.trim_end().to_string();
    t.push('…');
    t
}

/// A name of 3 to 150 characters, not ending with a full stop (but « etc. »).
pub fn nom_valide(nom: &str, commune: &str) -> String {
    let nom = nom.trim();
    let nom = if nom.ends_with("etc.") {
        nom
    } else {
        nom.trim_end_matches(['.', ' '])
    };
    let nom = if nombre_de_caracteres(nom) < NOM_MIN {
        format!("{nom} – {commune}")
    } else {
        nom.to_string()
    };
    couper(&nom, NOM_MAX)
}

fn url_valide(u: &str) -> Option<String> {
    let u = u.trim();
    let ok = (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= URL_MAX
        && !u.chars().any(char::is_whitespace);
    ok.then(|| u.to_string())
}

/// What `email-validator` (behind pydantic's `EmailStr`) accepts, conservatively: a dotted
/// domain of letters, digits and hyphens, a plain local part.
pub fn courriel_valide(c: &str) -> bool {
    let Some((local, domaine)) = c.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|ch| ch.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(ch));
    let etiquettes: Vec<&str> = domaine.split('.').collect();
    let domaine_ok = etiquettes.len() >= 2
        && domaine.len() <= 253
        && etiquettes.iter().all(|e| {
            !e.is_empty()
                && e.len() <= 63
                && !e.starts_with('-')
                && !e.ends_with('-')
                && e.chars().all(|ch| ch.is_alphanumeric() || ch == '-')
        })
        && etiquettes
            .last()
            .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.len() >= 2)
        && !["local", "localhost", "test", "invalid", "onion", "arpa"]
            .contains(&etiquettes.last().copied().unwrap_or(""));
    local_ok && domaine_ok
}

fn inserer(m: &mut Map<String, Value>, cle: &str, v: Option<String>) {
    if let Some(v) = v.filter(|v| !v.trim().is_empty()) {
        m.insert(cle.to_string(), Value::String(v));
    }
}

fn liste(valeurs: Vec<&str>) -> Option<Value> {
    let mut v: Vec<&str> = Vec::new();
    for x in valeurs {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    (!v.is_empty()).then(|| Value::Array(v.into_iter().map(|x| json!(x)).collect()))
}

fn labels<V: maillage_domain::Vocabulary>(valeurs: &[V]) -> String {
    valeurs
        .iter()
        .map(|v| v.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The export of `lieux` under the producer name `source`; `aujourd_hui` bounds the dates
/// (data·inclusion refuses a date in the future or before 2000).
pub fn exporter<'a>(
    lieux: impl IntoIterator<Item = &'a Lieu>,
    source: &str,
    aujourd_hui: NaiveDate,
) -> ExportDataInclusion {
    let mut export = ExportDataInclusion::default();
    let plancher = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    for lieu in lieux {
        let date = lieu.date_maj.clamp(plancher, aujourd_hui.max(plancher));
        let date = date.format("%Y-%m-%d").to_string();
        let structure_id = format!("{source}{SEPARATEUR_ID}{}", lieu.id);
        let nom = nom_valide(&lieu.nom, &lieu.commune);
        let courriel = lieu.courriels.iter().find(|c| courriel_valide(c)).cloned();
        let telephone = lieu.telephone.as_ref().map(|t| t.as_str().to_string());
        let horaires = lieu
            .horaires
            .as_ref()
            .filter(|h| h.valide)
            .map(|h| h.brut.clone());
        let (latitude, longitude) = match &lieu.localisation {
            Some(l) => (Some(l.latitude), Some(l.longitude)),
            None => (None, None),
        };
        let adresse = |m: &mut Map<String, Value>| {
            inserer(m, "commune", Some(lieu.commune.clone()));
            inserer(m, "code_postal", Some(lieu.code_postal.to_string()));
            inserer(
                m,
                "code_insee",
                lieu.code_insee.as_ref().map(|c| c.to_string()),
            );
            inserer(m, "adresse", Some(lieu.adresse.clone()));
            inserer(m, "complement_adresse", lieu.complement_adresse.clone());
            if let (Some(la), Some(lo)) = (latitude, longitude) {
                m.insert("latitude".into(), json!(la));
                m.insert("longitude".into(), json!(lo));
            }
            inserer(m, "telephone", telephone.clone());
            inserer(m, "courriel", courriel.clone());
            inserer(m, "horaires_accueil", horaires.clone());
        };

        let mut s = Map::new();
        s.insert("source".into(), json!(source));
        s.insert("id".into(), json!(structure_id));
        s.insert("nom".into(), json!(nom));
        s.insert("date_maj".into(), json!(date));
        inserer(
            &mut s,
            "description",
            lieu.presentation_detail
                .as_deref()
                .map(str::trim)
                .filter(|d| nombre_de_caracteres(d) >= DESCRIPTION_MIN)
                .map(|d| couper(d, DESCRIPTION_MAX)),
        );
        if let Pivot::Siret(siret) = &lieu.pivot {
            inserer(&mut s, "siret", Some(siret.as_str().to_string()));
        }
        adresse(&mut s);
        inserer(
            &mut s,
            "site_web",
            lieu.site_web.iter().find_map(|u| url_valide(u)),
        );
        inserer(
            &mut s,
            "accessibilite_lieu",
            lieu.fiche_acces_libre.as_deref().and_then(url_valide),
        );
        let mut reseaux: Vec<&str> = lieu
            .dispositif_programmes_nationaux
            .iter()
            .filter_map(|d| RESEAUX.iter().find(|(x, _)| x == d).map(|(_, r)| *r))
            .collect();
        if lieu.formations_labels.contains(&RESEAU_FABRIQUES.0) {
            reseaux.push(RESEAU_FABRIQUES.1);
        }
        if let Some(r) = liste(reseaux) {
            s.insert("reseaux_porteurs".into(), r);
        }
        export.structures.push(Value::Object(s));

        // What every service of the place shares.
        let mut commun = Map::new();
        commun.insert("source".into(), json!(source));
        commun.insert("structure_id".into(), json!(structure_id));
        commun.insert("date_maj".into(), json!(date));
        adresse(&mut commun);
        if let Some(t) = lieu
            .modalites_accompagnement
            .iter()
            .find_map(|m| type_de_service(*m))
        {
            commun.insert("type".into(), json!(t));
        }
        if let Some(f) = lieu.frais_a_charge.first() {
            let frais = match f {
                Frais::Payant => "payant",
                Frais::Gratuit | Frais::GratuitSousCondition => "gratuit",
            };
            commun.insert("frais".into(), json!(frais));
            commun.insert(
                "frais_precisions".into(),
                json!(format!("{PRECISION_FRAIS}{}", labels(&lieu.frais_a_charge))),
            );
        }
        let mut publics: Vec<&str> = lieu
            .publics_specifiquement_adresses
            .iter()
            .filter_map(|p| PUBLICS.iter().find(|(x, _)| x == p).map(|(_, d)| *d))
            .collect();
        publics.extend(
            lieu.prise_en_charge_specifique
                .iter()
                .filter_map(|p| public_de_prise(*p)),
        );
        commun.insert(
            "publics".into(),
            liste(publics).unwrap_or_else(|| json!(["tous-publics"])),
        );
        if !lieu.prise_en_charge_specifique.is_empty() {
            commun.insert(
                "publics_precisions".into(),
                json!(format!(
                    "{PRECISION_PRISE}{}",
                    labels(&lieu.prise_en_charge_specifique)
                )),
            );
        }
        let a_distance = lieu
            .modalites_accompagnement
            .contains(&Accompagnement::ADistance);
        let sur_place = lieu
            .modalites_accompagnement
            .iter()
            .any(|m| *m != Accompagnement::ADistance)
            || !a_distance;
        let mut accueil = Vec::new();
        if a_distance {
            accueil.push("a-distance");
        }
        if sur_place && !lieu.modalites_acces.contains(&ModaliteAcces::PasDePublic) {
            accueil.push("en-presentiel");
        }
        if let Some(a) = liste(accueil) {
            commun.insert("modes_accueil".into(), a);
        }
        let modes: Vec<&str> = lieu
            .modalites_acces
            .iter()
            .filter_map(|m| mode_mobilisation(*m))
            .collect();
        if let Some(m) = liste(modes) {
            commun.insert("modes_mobilisation".into(), m);
        }
        if !lieu.modalites_acces.is_empty() {
            commun.insert(
                "mobilisation_precisions".into(),
                json!(format!(
                    "{PRECISION_ACCES}{}",
                    labels(&lieu.modalites_acces)
                )),
            );
        }
        let mut par = vec!["usagers"];
        if lieu
            .modalites_acces
            .contains(&ModaliteAcces::PrescriptionParMail)
        {
            par.push("professionnels");
        }
        if let Some(p) = liste(par) {
            commun.insert("mobilisable_par".into(), p);
        }
        inserer(
            &mut commun,
            "lien_mobilisation",
            lieu.prise_rdv.as_deref().and_then(url_valide),
        );

        let services: Vec<Option<Service>> = if lieu.services.is_empty() {
            vec![None]
        } else {
            lieu.services.iter().copied().map(Some).collect()
        };
        for service in services {
            let mut m = commun.clone();
            let (nom_service, id) = match service {
                Some(sv) => (sv.label(), slug(sv.label())),
                None => (SERVICE_GENERIQUE, slug(SERVICE_GENERIQUE)),
            };
            m.insert(
                "id".into(),
                json!(format!("{structure_id}{SEPARATEUR_ID}{id}")),
            );
            m.insert("nom".into(), json!(nom_service));
            let description = format!("{nom_service} : {} ({}).", nom, lieu.commune);
            m.insert(
                "description".into(),
                json!(couper(&description, DESCRIPTION_MAX)),
            );
            if let Some(sv) = service {
                m.insert("thematiques".into(), json!(thematiques(sv)));
            }
            export.services.push(Value::Object(m));
        }
    }
    export
}

#[cfg(test)]
mod tests {
    use super::*;
    use maillage_domain::Vocabulary;

    #[test]
    fn every_service_has_thematiques_and_a_slug() {
        for s in Service::ALL {
            assert!(!thematiques(*s).is_empty(), "{s:?}");
            assert!(!slug(s.label()).is_empty());
        }
        assert_eq!(
            slug("Aide aux démarches administratives"),
            "aide-aux-demarches-administratives"
        );
        assert_eq!(slug(SERVICE_GENERIQUE), "mediation-numerique");
    }

    #[test]
    fn emails_checked_like_email_validator() {
        assert!(courriel_valide("contact@mairie-toulouse.fr"));
        assert!(!courriel_valide("contact@localhost"));
        assert!(!courriel_valide("a b@x.fr"));
        assert!(!courriel_valide("x@y.123"));
        assert!(!courriel_valide("x..y@z.fr"));
    }
}
