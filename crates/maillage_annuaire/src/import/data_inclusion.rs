//! The data·inclusion schema v1: structures and their services, turned into places (see
//! [`crate::data_inclusion`] for the correspondence of the referentials).
//!
//! Accepted layouts: a JSON object `{"structures": […], "services": […]}`, or the array of
//! structures alone (`structures.json`), whose services are then read from `services.json`
//! beside it when the file is read from disk.

use super::construction::Constructeur;
use super::contenu::{lecture, Contenu};
use super::enregistrement::{Enregistrement, Valeur};
use super::erreur::{erreur_json, ImportError};
use crate::data_inclusion as di;
use maillage_domain::Vocabulary;
use maillage_domain::{
    DispositifProgrammeNational, FormationLabel, Frais, ModaliteAcces, ModaliteAccompagnement,
    PriseEnChargeSpecifique, PublicSpecifiquementAdresse, Service,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Read;

/// Keys found only in data·inclusion records (format detection).
pub(crate) const CHAMPS_DATA_INCLUSION: [&str; 8] = [
    "horaires_accueil",
    "accessibilite_lieu",
    "reseaux_porteurs",
    "lien_source",
    "siret",
    "structure_id",
    "thematiques",
    "modes_accueil",
];

fn texte(o: &Map<String, Value>, cle: &str) -> Option<String> {
    match o.get(cle)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn chaines<'a>(o: &'a Map<String, Value>, cle: &str) -> Vec<&'a str> {
    match o.get(cle) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

/// The labels after `prefixe` in a `*_precisions` text, if they are all labels of `V`.
fn precisions<V: Vocabulary>(texte: Option<String>, prefixe: &str) -> Option<Vec<V>> {
    let reste = texte?.strip_prefix(prefixe)?.to_string();
    reste
        .split(", ")
        .map(|l| V::from_label(l.trim()))
        .collect::<Option<Vec<V>>>()
}

fn pousser<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn joindre<V: Vocabulary>(v: &[V]) -> String {
    v.iter().map(|x| x.label()).collect::<Vec<_>>().join("|")
}

/// What the services of one structure say, gathered.
#[derive(Default)]
struct Offre {
    services: Vec<Service>,
    frais: Vec<Frais>,
    publics: Vec<PublicSpecifiquementAdresse>,
    prises: Vec<PriseEnChargeSpecifique>,
    acces: Vec<ModaliteAcces>,
    accompagnement: Vec<ModaliteAccompagnement>,
    prise_rdv: Option<String>,
    inconnues: Vec<(String, String)>,
}

impl Offre {
    fn lire(&mut self, s: &Map<String, Value>) {
        let nom = texte(s, "nom").unwrap_or_default();
        match Service::from_label(&nom) {
            Some(sv) => pousser(&mut self.services, sv),
            None if nom == di::SERVICE_GENERIQUE => {}
            None => {
                for t in chaines(s, "thematiques") {
                    if let Some(sv) = di::service_de_thematique(t) {
                        pousser(&mut self.services, sv);
                    }
                }
            }
        }
        match precisions::<Frais>(texte(s, "frais_precisions"), di::PRECISION_FRAIS) {
            Some(f) => f.into_iter().for_each(|x| pousser(&mut self.frais, x)),
            None => match texte(s, "frais").as_deref() {
                Some("gratuit") => pousser(&mut self.frais, Frais::Gratuit),
                Some("payant") => pousser(&mut self.frais, Frais::Payant),
                Some(autre) => self.inconnues.push(("frais".into(), autre.to_string())),
                None => {}
            },
        }
        let prises = precisions::<PriseEnChargeSpecifique>(
            texte(s, "publics_precisions"),
            di::PRECISION_PRISE,
        );
        for p in chaines(s, "publics") {
            if let Some((x, _)) = di::PUBLICS.iter().find(|(_, d)| *d == p) {
                pousser(&mut self.publics, *x);
            } else if p == "personnes-exilees" && prises.is_none() {
                pousser(
                    &mut self.prises,
                    PriseEnChargeSpecifique::LanguesEtrangeresAutre,
                );
            }
        }
        for p in prises.unwrap_or_default() {
            pousser(&mut self.prises, p);
        }
        match precisions::<ModaliteAcces>(texte(s, "mobilisation_precisions"), di::PRECISION_ACCES)
        {
            Some(a) => a.into_iter().for_each(|x| pousser(&mut self.acces, x)),
            None => {
                for m in chaines(s, "modes_mobilisation") {
                    match di::modalite_acces_de(m) {
                        Some(x) => pousser(&mut self.acces, x),
                        None => self
                            .inconnues
                            .push(("modes_mobilisation".into(), m.to_string())),
                    }
                }
            }
        }
        if let Some(m) = texte(s, "type")
            .as_deref()
            .and_then(di::accompagnement_de_type)
        {
            pousser(&mut self.accompagnement, m);
        }
        if chaines(s, "modes_accueil").contains(&"a-distance") {
            pousser(&mut self.accompagnement, ModaliteAccompagnement::ADistance);
        }
        if self.prise_rdv.is_none() {
            self.prise_rdv = texte(s, "lien_mobilisation");
        }
    }
}

/// A structure and its services as one record named with the places schema's fields.
fn enregistrement(numero: usize, s: &Map<String, Value>, offre: Option<&Offre>) -> Enregistrement {
    let mut e = Enregistrement::new(numero);
    let source = texte(s, "source");
    let id = texte(s, "id").map(|id| {
        match source
            .as_deref()
            .and_then(|src| id.strip_prefix(&format!("{src}{}", di::SEPARATEUR_ID)))
        {
            Some(propre) if !propre.is_empty() => propre.to_string(),
            _ => id,
        }
    });
    e.poser("id", id.as_deref().unwrap_or(""));
    for (de, vers) in [
        ("nom", "nom"),
        ("siret", "pivot"),
        ("commune", "commune"),
        ("code_postal", "code_postal"),
        ("code_insee", "code_insee"),
        ("adresse", "adresse"),
        ("complement_adresse", "complement_adresse"),
        ("telephone", "telephone"),
        ("courriel", "courriels"),
        ("site_web", "site_web"),
        ("horaires_accueil", "horaires"),
        ("description", "presentation_detail"),
        ("date_maj", "date_maj"),
        ("accessibilite_lieu", "fiche_acces_libre"),
        ("source", "source"),
    ] {
        if let Some(v) = texte(s, de) {
            e.poser(vers, &v);
        }
    }
    for cle in ["latitude", "longitude"] {
        if let Some(Value::Number(n)) = s.get(cle) {
            let x = n.as_f64().unwrap_or(f64::NAN);
            e.champs
                .insert(cle.to_string(), Valeur::Nombre(x, n.to_string()));
        }
    }
    let mut dispositifs: Vec<DispositifProgrammeNational> = Vec::new();
    let mut formations: Vec<FormationLabel> = Vec::new();
    for r in chaines(s, "reseaux_porteurs") {
        if let Some((d, _)) = di::RESEAUX.iter().find(|(_, x)| *x == r) {
            pousser(&mut dispositifs, *d);
        } else if r == di::RESEAU_FABRIQUES.1 {
            pousser(&mut formations, di::RESEAU_FABRIQUES.0);
        }
    }
    e.poser("dispositif_programmes_nationaux", &joindre(&dispositifs));
    e.poser("formations_labels", &joindre(&formations));
    if let Some(o) = offre {
        e.poser("services", &joindre(&o.services));
        e.poser("frais_a_charge", &joindre(&o.frais));
        e.poser("publics_specifiquement_adresses", &joindre(&o.publics));
        e.poser("prise_en_charge_specifique", &joindre(&o.prises));
        e.poser("modalites_acces", &joindre(&o.acces));
        e.poser("modalites_accompagnement", &joindre(&o.accompagnement));
        if let Some(u) = &o.prise_rdv {
            e.poser("prise_rdv", u);
        }
        for (champ, valeur) in &o.inconnues {
            e.corrections.push((
                champ.clone(),
                format!("valeur data·inclusion « {valeur} » inconnue : ignorée"),
            ));
        }
    }
    e
}

fn lire_json(r: impl Read) -> Result<Value, ImportError> {
    serde_json::from_reader(std::io::BufReader::new(r)).map_err(|e| erreur_json(&e))
}

/// Reads structures (and services) of the data·inclusion schema.
pub(crate) fn lire(contenu: &dyn Contenu, c: &mut Constructeur<'_>) -> Result<(), ImportError> {
    let document: Value = match contenu.octets() {
        Some(b) => serde_json::from_slice(b).map_err(|e| erreur_json(&e))?,
        None => lire_json(contenu.ouvrir()?)?,
    };
    let (structures, services) = match document {
        Value::Array(structures) => {
            let services = match contenu.voisin("services.json") {
                Some(chemin) if chemin.is_file() => {
                    let f = std::fs::File::open(&chemin).map_err(lecture)?;
                    match lire_json(f)? {
                        Value::Array(a) => a,
                        _ => {
                            return Err(ImportError::Structure {
                                octet: 0,
                                message: "services.json : un tableau de services est attendu"
                                    .into(),
                            })
                        }
                    }
                }
                _ => {
                    c.remarque_fichier(
                        "services",
                        "pas de services.json à côté du fichier des structures : lieux importés \
                         sans leurs services"
                            .into(),
                    );
                    Vec::new()
                }
            };
            (structures, services)
        }
        Value::Object(mut o) => {
            let structures = match o.remove("structures") {
                Some(Value::Array(a)) => a,
                _ => {
                    return Err(ImportError::Structure {
                        octet: 0,
                        message: "objet sans tableau « structures » (attendu le format \
                                  data·inclusion : structures et services)"
                            .into(),
                    })
                }
            };
            let services = match o.remove("services") {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            };
            (structures, services)
        }
        _ => {
            return Err(ImportError::Structure {
                octet: 0,
                message: "un tableau de structures data·inclusion est attendu".into(),
            })
        }
    };
    let mut offres: HashMap<String, Offre> = HashMap::new();
    for s in &services {
        if let Some(o) = s.as_object() {
            if let Some(id) = texte(o, "structure_id") {
                offres.entry(id).or_default().lire(o);
            }
        }
    }
    let aucune = Offre::default();
    for (i, s) in structures.iter().enumerate() {
        let numero = i + 1;
        let e = match s.as_object() {
            Some(o) => {
                let offre = texte(o, "id").and_then(|id| offres.get(&id));
                enregistrement(numero, o, Some(offre.unwrap_or(&aucune)))
            }
            None => {
                let mut e = Enregistrement::new(numero);
                e.rejets.push((
                    "enregistrement".into(),
                    "l'élément n'est pas un objet JSON".into(),
                ));
                e
            }
        };
        c.ajouter(e);
    }
    Ok(())
}
