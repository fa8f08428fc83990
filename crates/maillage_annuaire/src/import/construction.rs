//! From a raw record to a schema place: every value checked, corrected or dropped, each step
//! reported; the record rejected when something the schema requires cannot be recovered.
//!
//! The same code serves every format: readers name their fields with the schema v1 names,
//! and the v0 names (`courriel`, `conditions_acces`, `labels_nationaux`, `publics_accueillis`,
//! `labels_autres`, `accessibilite`) are read too, their labels translated to v1.

use super::champs;
use super::enregistrement::{Enregistrement, Valeur};
use super::geocodeur::{CommuneRef, Geocodeur};
use super::rapport::{Journal, Rapport, Remarque};
use super::vocabulaires::{self, Equivalent};
use super::ImportError;
use super::OptionsImport;
use crate::lieux::LieuSource;
use chrono::NaiveDate;
use maillage_domain::identifiants::{IdentifiantError, Siret};
use maillage_domain::{
    CodeInsee, CodePostal, Horaires, Itinerance, Lieu, Localisation, ModaliteAcces, Pivot,
    Telephone, Typologie,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{mpsc, Mutex};

/// Fields of schema v0 read as aliases of v1 fields.
pub(crate) const ALIAS_V0: [&str; 8] = [
    "courriel",
    "conditions_acces",
    "conditions_access",
    "labels_nationaux",
    "labels_autres",
    "publics_accueillis",
    "accessibilite",
    "cle_ban",
];

/// Distance from the commune's centroid beyond which coordinates are not believed, in km
/// (overseas communes are much larger).
const SEUIL_KM_METROPOLE: f64 = 50.0;
const SEUIL_KM_OUTRE_MER: f64 = 150.0;

/// Records sent together to a checking thread: large enough that the hand-over costs
/// nothing, small enough that the records in flight stay a few megabytes.
const LOT: usize = 2048;

/// Where accepted places go as they are read, by batches of at most [`LOT_SORTIE`], in
/// file order; `false` from the sink means nobody wants more (the rest is dropped).
pub(crate) type Sortie<'a> = Box<dyn FnMut(Vec<LieuSource>) -> bool + Send + 'a>;

/// Accepted places handed to a [`Sortie`] at a time.
pub(crate) const LOT_SORTIE: usize = 2048;

/// Reads a file with `lire` (the reader of its format) and checks its records on every core
/// while it reads: the reader hands records by batches to checking threads, and a collector
/// decides, in file order, what depends on the records before (an id already taken) — so the
/// places and the report are those of a one-by-one reading.
///
/// Without a `sortie` the accepted places are returned at the end; with one, they are handed
/// to it as they come (and the returned list is empty), so that they are never all held.
pub(crate) fn construire_vers<G, F>(
    source: &str,
    options: &OptionsImport,
    geo: &G,
    lire: F,
    sortie: Option<Sortie<'_>>,
) -> Result<(Vec<LieuSource>, Rapport), ImportError>
where
    G: Geocodeur + ?Sized,
    F: FnOnce(&mut Constructeur<'_>) -> Result<(), ImportError>,
{
    let verificateur = Verificateur { options, geo };
    let verificateur = &verificateur;
    let coeurs = std::thread::available_parallelism().map_or(1, usize::from);
    // Bounded: a reader faster than the checks waits, instead of holding the whole file's
    // records in the channel.
    let (envoi_lots, lots) = mpsc::sync_channel::<(usize, Vec<Enregistrement>)>(2 * coeurs);
    let lots = Mutex::new(lots);
    let lots = &lots;
    std::thread::scope(|s| {
        // Bounded too: when the store writes more slowly than the checks run, the workers
        // wait (and so does the reader) instead of piling checked places up here. No cycle:
        // the collector only receives (batches out of order wait in `en_avance`, at most
        // the workers' and this channel's batches).
        let (envoi_faits, faits) = mpsc::sync_channel::<(usize, Vec<Construit>)>(2 * coeurs);
        for _ in 0..coeurs {
            let envoi_faits = envoi_faits.clone();
            s.spawn(move || loop {
                let suivant = match lots.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                let Ok((k, lot)) = suivant else { return };
                let faits: Vec<Construit> = lot
                    .into_iter()
                    .map(|e| verificateur.construire_un(e))
                    .collect();
                if envoi_faits.send((k, faits)).is_err() {
                    return;
                }
            });
        }
        drop(envoi_faits);
        let collecteur = s.spawn(move || {
            let mut c = Collecteur {
                source: source.to_string(),
                ids: HashMap::new(),
                rapport: Rapport::default(),
                lieux: Vec::new(),
                suivant: 0,
                en_avance: BTreeMap::new(),
                sortie,
            };
            for (k, lot) in faits {
                c.recevoir(k, lot);
            }
            c.vider();
            c
        });
        let mut c = Constructeur {
            options,
            envoi: envoi_lots,
            en_attente: Vec::with_capacity(LOT),
            lots: 0,
            remarques_fichier: Vec::new(),
        };
        let lu = lire(&mut c);
        c.envoyer();
        let Constructeur {
            remarques_fichier,
            envoi,
            ..
        } = c;
        drop(envoi);
        let collecteur = match collecteur.join() {
            Ok(c) => c,
            Err(panique) => std::panic::resume_unwind(panique),
        };
        lu?;
        let mut rapport = collecteur.rapport;
        // Remarks on the file come first; the record remarks they push out are counted.
        let place = super::rapport::REMARQUES_MAX.saturating_sub(remarques_fichier.len());
        if rapport.remarques.len() > place {
            rapport.remarques_omises += rapport.remarques.len() - place;
            rapport.remarques.truncate(place);
        }
        rapport.remarques.splice(0..0, remarques_fichier);
        Ok((collecteur.lieux, rapport))
    })
}

/// What the reader of a format sees: it hands records, and remarks on the file itself.
pub(crate) struct Constructeur<'a> {
    options: &'a OptionsImport,
    envoi: mpsc::SyncSender<(usize, Vec<Enregistrement>)>,
    en_attente: Vec<Enregistrement>,
    /// Batches sent so far.
    lots: usize,
    remarques_fichier: Vec<Remarque>,
}

impl Constructeur<'_> {
    pub fn options(&self) -> &OptionsImport {
        self.options
    }

    /// A remark on the file itself (its header), attached to line 1; listed first.
    pub fn remarque_fichier(&mut self, champ: &str, message: String) {
        self.remarques_fichier.push(Remarque {
            enregistrement: 1,
            id: None,
            champ: champ.to_string(),
            gravite: super::Gravite::Correction,
            message,
        });
    }

    /// Hands one record; it is checked with its batch.
    pub fn ajouter(&mut self, e: Enregistrement) {
        self.en_attente.push(e);
        if self.en_attente.len() >= LOT {
            self.envoyer();
        }
    }

    fn envoyer(&mut self) {
        if self.en_attente.is_empty() {
            return;
        }
        let lot = std::mem::replace(&mut self.en_attente, Vec::with_capacity(LOT));
        // The checking threads only stop when this sender is dropped: the send cannot fail.
        let _ = self.envoi.send((self.lots, lot));
        self.lots += 1;
    }
}

/// Where a place is, once resolved.
struct Situation {
    commune: String,
    code_postal: CodePostal,
    code_insee: Option<CodeInsee>,
    localisation: Option<Localisation>,
}

/// One record once checked, before the id check.
struct Construit {
    numero: usize,
    id: Option<String>,
    journal: Journal,
    lieu: Option<Lieu>,
}

/// Takes the checked batches in file order: rejects ids already taken, keeps the places,
/// writes the report.
struct Collecteur<'a> {
    source: String,
    /// Ids of the places accepted so far → their record number.
    ids: HashMap<String, usize>,
    rapport: Rapport,
    lieux: Vec<LieuSource>,
    /// Next batch number to take.
    suivant: usize,
    /// Batches checked before their turn.
    en_avance: BTreeMap<usize, Vec<Construit>>,
    /// With a sink, `lieux` holds at most [`LOT_SORTIE`] places before being handed on.
    sortie: Option<Sortie<'a>>,
}

impl Collecteur<'_> {
    /// Hands the places collected so far to the sink, if there is one.
    fn vider(&mut self) {
        let Some(sortie) = self.sortie.as_mut() else {
            return;
        };
        if self.lieux.is_empty() {
            return;
        }
        let lot = std::mem::replace(&mut self.lieux, Vec::with_capacity(LOT_SORTIE));
        if !sortie(lot) {
            // Nobody takes the places any more (the import failed): keep counting them in
            // the report, drop them.
            self.sortie = Some(Box::new(|_| false));
        }
    }

    fn recevoir(&mut self, k: usize, lot: Vec<Construit>) {
        self.en_avance.insert(k, lot);
        while let Some(lot) = self.en_avance.remove(&self.suivant) {
            self.suivant += 1;
            for c in lot {
                self.prendre(c);
            }
        }
    }

    fn prendre(&mut self, c: Construit) {
        let Construit {
            numero,
            id,
            mut journal,
            lieu,
        } = c;
        if let Some(id) = &id {
            if let Some(n) = self.ids.get(id) {
                journal.rejets.insert(
                    0,
                    (
                        "id".to_string(),
                        format!(
                            "identifiant « {id} » en double : déjà pris par l'enregistrement {n}"
                        ),
                    ),
                );
            }
        }
        if let (false, Some(lieu)) = (journal.est_rejete(), lieu) {
            self.ids.insert(lieu.id.clone(), numero);
            self.lieux.push(LieuSource {
                source: self.source.clone(),
                lieu,
            });
            if self.lieux.len() >= LOT_SORTIE {
                self.vider();
            }
        }
        journal.cloturer(&mut self.rapport, numero, id.as_deref());
    }
}

/// Checks records, each on its own (shared by the checking threads).
struct Verificateur<'a, G: Geocodeur + ?Sized> {
    options: &'a OptionsImport,
    geo: &'a G,
}

impl<G: Geocodeur + ?Sized> Verificateur<'_, G> {
    /// Checks one record, everything but whether its id is already taken.
    fn construire_un(&self, mut e: Enregistrement) -> Construit {
        let mut journal = Journal {
            corrections: std::mem::take(&mut e.corrections),
            rejets: std::mem::take(&mut e.rejets),
        };
        trop_longs(&e, &mut journal);
        // A rejected record's id is quoted in the report: never a huge one.
        let id = e
            .texte("id")
            .map(|id| super::limites::abreger(&id, ID_CITE_MAX));
        let lieu = if journal.est_rejete() {
            None
        } else {
            self.construire(&e, &mut journal)
        };
        Construit {
            numero: e.numero,
            id,
            journal,
            lieu,
        }
    }

    fn construire(&self, e: &Enregistrement, j: &mut Journal) -> Option<Lieu> {
        let id = e.texte("id");
        if id.is_none() {
            j.rejeter("id", "identifiant absent");
        }
        let nom = e.texte("nom");
        if nom.is_none() {
            j.rejeter("nom", "nom absent");
        }
        let adresse = e.texte("adresse");
        if adresse.is_none() {
            j.rejeter("adresse", "adresse absente");
        }
        let situation = self.situer(e, j);
        let date_maj = self.date_maj(e, j);
        if j.est_rejete() {
            return None;
        }
        let (id, nom, adresse, situation, date_maj) = (id?, nom?, adresse?, situation?, date_maj?);

        let mut lieu = Lieu {
            id,
            pivot: pivot(e, j),
            nom,
            commune: situation.commune,
            code_postal: situation.code_postal,
            code_insee: situation.code_insee,
            adresse,
            complement_adresse: e.texte("complement_adresse"),
            localisation: situation.localisation,
            typologie: Vec::new(),
            telephone: None,
            courriels: Vec::new(),
            site_web: Vec::new(),
            horaires: None,
            presentation_resume: None,
            presentation_detail: e.texte("presentation_detail"),
            source: e.texte("source"),
            itinerance: Vec::new(),
            structure_parente: e.texte("structure_parente"),
            date_maj,
            services: Vec::new(),
            publics_specifiquement_adresses: Vec::new(),
            prise_en_charge_specifique: Vec::new(),
            frais_a_charge: Vec::new(),
            dispositif_programmes_nationaux: Vec::new(),
            formations_labels: Vec::new(),
            autres_formations_labels: Vec::new(),
            modalites_acces: Vec::new(),
            modalites_accompagnement: Vec::new(),
            fiche_acces_libre: None,
            prise_rdv: None,
        };
        contact(e, j, &mut lieu);
        textes(e, j, &mut lieu);
        vocabulaires_du_lieu(e, j, &mut lieu);
        Some(lieu)
    }

    fn date_maj(&self, e: &Enregistrement, j: &mut Journal) -> Option<NaiveDate> {
        let brut = e.texte("date_maj");
        if let Some(d) = brut.as_deref().and_then(champs::date) {
            return Some(d);
        }
        let pourquoi = match &brut {
            Some(b) => format!("date de mise à jour « {b} » illisible"),
            None => "date de mise à jour absente".to_string(),
        };
        match self.options.date_maj_par_defaut {
            Some(d) => {
                j.corriger(
                    "date_maj",
                    format!("{pourquoi} : date par défaut {}", d.format("%Y-%m-%d")),
                );
                Some(d)
            }
            None => {
                j.rejeter("date_maj", format!("{pourquoi}, et pas de date par défaut"));
                None
            }
        }
    }

    /// Commune, postal code, INSEE code and coordinates, completed and checked against the
    /// referential.
    fn situer(&self, e: &Enregistrement, j: &mut Journal) -> Option<Situation> {
        let itinerant = e.texte("itinerance").is_some_and(|b| {
            b.split(['|', ';'])
                .any(|l| itinerance(l) == Some(Itinerance::Itinerant))
        });
        let commune_brute = e.texte("commune");
        // A commune "name" without letters ("62300") is no name.
        let nom_commune = commune_brute
            .clone()
            .filter(|n| n.chars().any(char::is_alphabetic));

        let (mut cp, cp_indice) = code_postal(e, j);
        let mut point = coordonnees(e, j);

        let mut insee = None;
        if let Some(b) = e.texte("code_insee") {
            match CodeInsee::parse(&b) {
                Ok(c) => insee = Some(c),
                Err(_) => j.corriger(
                    "code_insee",
                    format!("code INSEE « {b} » invalide : ignoré"),
                ),
            }
        }
        // A given code unknown to the referential, or whose commune does not have the given
        // postal code, is checked against the postal code and the commune name.
        if let Some(c) = insee.clone() {
            let connue = self.geo.commune(c.as_str());
            let douteux = match (&connue, &cp) {
                (None, _) => true,
                (Some(cr), Some(cp)) => {
                    !cr.codes_postaux.is_empty()
                        && !cr.codes_postaux.iter().any(|x| x == cp.as_str())
                }
                (Some(_), None) => false,
            };
            let autre = if douteux && (cp.is_some() || nom_commune.is_some()) {
                self.geo
                    .code_insee(cp.as_ref().map(CodePostal::as_str), nom_commune.as_deref())
                    .and_then(|x| CodeInsee::parse(&x).ok())
                    .filter(|x| *x != c)
            } else {
                None
            };
            if let Some(autre) = autre {
                let nom_de = |code: &CodeInsee| {
                    self.geo
                        .commune(code.as_str())
                        .map(|cr| format!(" ({})", cr.nom))
                        .unwrap_or_default()
                };
                let pourquoi = match &connue {
                    None => "inconnu du référentiel".to_string(),
                    Some(_) => format!(
                        "incohérent avec le code postal {}",
                        cp.as_ref().map(CodePostal::as_str).unwrap_or("")
                    ),
                };
                j.corriger(
                    "code_insee",
                    format!(
                        "code INSEE « {c} »{} {pourquoi} : remplacé par {autre}{}, d'après le code \
                         postal et le nom de la commune",
                        nom_de(&c),
                        nom_de(&autre)
                    ),
                );
                insee = Some(autre);
            }
        }
        let mut commune_ref: Option<CommuneRef> = None;
        if insee.is_none() {
            let trouve = if cp.is_some() || nom_commune.is_some() {
                self.geo
                    .code_insee(cp.as_ref().map(CodePostal::as_str), nom_commune.as_deref())
                    .and_then(|c| CodeInsee::parse(&c).ok())
            } else {
                None
            };
            if let Some(c) = trouve {
                j.corriger(
                    "code_insee",
                    format!(
                        "code INSEE absent : {c}, déduit du code postal et du nom de la commune"
                    ),
                );
                insee = Some(c);
            } else if let Some((la, lo)) = point {
                if let Some(cr) = self.geo.commune_la_plus_proche(la, lo) {
                    if let Ok(c) = CodeInsee::parse(&cr.code_insee) {
                        j.corriger(
                            "code_insee",
                            format!(
                                "code INSEE absent : {c} ({}), commune la plus proche des coordonnées",
                                cr.nom
                            ),
                        );
                        insee = Some(c);
                        commune_ref = Some(cr);
                    }
                }
            }
        }
        if commune_ref.is_none() {
            commune_ref = insee.as_ref().and_then(|c| self.geo.commune(c.as_str()));
        }

        if cp.is_none() {
            if let Some(cr) = &commune_ref {
                let choisi = cp_indice
                    .as_deref()
                    .and_then(|ind| {
                        cr.codes_postaux
                            .iter()
                            .find(|c| ind.starts_with(c.as_str()) || c.starts_with(ind))
                    })
                    .or(cr.codes_postaux.first())
                    .and_then(|c| CodePostal::parse(c).ok());
                if let Some(c) = choisi {
                    let avant = match e.texte("code_postal") {
                        Some(b) => format!("code postal « {b} » invalide"),
                        None => "code postal absent".to_string(),
                    };
                    let plusieurs = if cr.codes_postaux.len() > 1 {
                        " (la commune en a plusieurs)"
                    } else {
                        ""
                    };
                    j.corriger(
                        "code_postal",
                        format!("{avant} : {c}, code postal de {}{plusieurs}", cr.nom),
                    );
                    cp = Some(c);
                }
            }
        }

        let commune = match nom_commune {
            Some(n) => Some(n),
            None => match &commune_ref {
                Some(cr) => {
                    let message = match &commune_brute {
                        Some(b) => format!(
                            "commune « {b} » sans nom : « {} » d'après le code INSEE",
                            cr.nom
                        ),
                        None => format!("commune absente : « {} » d'après le code INSEE", cr.nom),
                    };
                    j.corriger("commune", message);
                    Some(cr.nom.clone())
                }
                None => None,
            },
        };

        // Coordinates against the commune's centroid.
        let centre = commune_ref.as_ref().and_then(|cr| cr.centre);
        let localisation = match (point.take(), centre, &commune_ref) {
            (Some(p), Some(c), Some(cr)) => {
                let seuil = if cr.code_insee.starts_with("97") || cr.code_insee.starts_with("98") {
                    SEUIL_KM_OUTRE_MER
                } else {
                    SEUIL_KM_METROPOLE
                };
                let d = champs::distance_km(p, c);
                let inverse = (p.1, p.0);
                // A bus or a boat may stand far from the commune it is attached to.
                if d <= seuil || itinerant {
                    Localisation::new(p.0, p.1)
                } else if Localisation::new(inverse.0, inverse.1).is_some()
                    && champs::distance_km(inverse, c) <= seuil
                {
                    j.corriger(
                        "latitude/longitude",
                        format!(
                            "latitude et longitude inversées ({}, {}) : remises dans l'ordre",
                            p.0, p.1
                        ),
                    );
                    Localisation::new(inverse.0, inverse.1)
                } else {
                    j.corriger(
                        "latitude/longitude",
                        format!(
                            "coordonnées ({}, {}) à {d:.0} km du centre de {} ({}) : remplacées par \
                             le centre de la commune (position approximative)",
                            p.0, p.1, cr.nom, cr.code_insee
                        ),
                    );
                    approximative(c)
                }
            }
            (Some(p), _, _) => {
                if champs::en_france(p.0, p.1) {
                    Localisation::new(p.0, p.1)
                } else {
                    j.corriger(
                        "latitude/longitude",
                        format!("coordonnées ({}, {}) hors de France : ignorées", p.0, p.1),
                    );
                    None
                }
            }
            (None, Some(c), Some(cr)) => {
                j.corriger(
                    "latitude/longitude",
                    format!(
                        "coordonnées absentes : centre de la commune {} ({}), position approximative",
                        cr.nom, cr.code_insee
                    ),
                );
                approximative(c)
            }
            _ => None,
        };

        let localisable = e.texte("code_postal").is_some()
            || e.texte("code_insee").is_some()
            || e.valeur("latitude").is_some();
        if !localisable {
            j.rejeter(
                "code_postal",
                "ni code postal, ni code INSEE, ni coordonnées : lieu impossible à situer",
            );
            return None;
        }
        let Some(code_postal) = cp else {
            j.rejeter(
                "code_postal",
                match e.texte("code_postal") {
                    Some(b) => format!("code postal « {b} » invalide et impossible à déduire"),
                    None => "code postal absent et impossible à déduire".to_string(),
                },
            );
            return None;
        };
        let Some(commune) = commune else {
            j.rejeter("commune", "commune absente et impossible à déduire");
            return None;
        };
        Some(Situation {
            commune,
            code_postal,
            code_insee: insee,
            localisation,
        })
    }
}

/// Characters of an id quoted in the report.
const ID_CITE_MAX: usize = 200;

/// Rejects the record for each field longer than its limit (see [`super::limites`]).
fn trop_longs(e: &Enregistrement, j: &mut Journal) {
    for (champ, max) in super::limites::LIMITES {
        let Some(v) = e.valeur(champ) else { continue };
        let texte = match v {
            Valeur::Texte(t) | Valeur::Nombre(_, t) => t.trim(),
        };
        if let Some(n) = super::limites::depassement(texte, max) {
            j.rejeter(
                champ,
                format!(
                    "valeur trop longue : {} caractères, {} au plus",
                    super::rapport::milliers(n),
                    super::rapport::milliers(max)
                ),
            );
        }
    }
}

fn approximative((latitude, longitude): (f64, f64)) -> Option<Localisation> {
    Localisation::new(latitude, longitude).map(|l| Localisation {
        approximative: true,
        ..l
    })
}

/// The postal code if valid (a lost leading zero or a `CEDEX` suffix repaired), else the
/// digits of the invalid value, to choose among the commune's codes.
fn code_postal(e: &Enregistrement, j: &mut Journal) -> (Option<CodePostal>, Option<String>) {
    let Some(b) = e.texte("code_postal") else {
        return (None, None);
    };
    let compact: String = b.chars().filter(|c| !c.is_whitespace()).collect();
    if let Ok(c) = CodePostal::parse(&b) {
        if compact.len() == 4 {
            j.corriger(
                "code_postal",
                format!("code postal « {b} » complété en « {c} » (zéro initial perdu)"),
            );
        }
        return (Some(c), None);
    }
    let chiffres: String = compact.chars().take_while(char::is_ascii_digit).collect();
    let reste = compact.get(chiffres.len()..).unwrap_or("");
    if chiffres.len() == 5 && reste.chars().all(char::is_alphabetic) {
        if let Ok(c) = CodePostal::parse(&chiffres) {
            j.corriger(
                "code_postal",
                format!("code postal « {b} » réduit à « {c} »"),
            );
            return (Some(c), None);
        }
    }
    let indice: String = compact.chars().filter(char::is_ascii_digit).collect();
    (None, (!indice.is_empty()).then_some(indice))
}

fn nombre_de(v: &Valeur) -> Option<f64> {
    match v {
        Valeur::Nombre(x, _) => x.is_finite().then_some(*x),
        Valeur::Texte(t) => champs::nombre(t),
    }
}

/// Latitude and longitude, parsed (numbers or strings) and put in order when swapped.
fn coordonnees(e: &Enregistrement, j: &mut Journal) -> Option<(f64, f64)> {
    const CHAMP: &str = "latitude/longitude";
    let (la, lo) = match (e.valeur("latitude"), e.valeur("longitude")) {
        (None, None) => return None,
        (Some(la), Some(lo)) => (la, lo),
        _ => {
            j.corriger(CHAMP, "une seule des deux coordonnées est donnée : ignorée");
            return None;
        }
    };
    let (Some(lat), Some(lon)) = (nombre_de(la), nombre_de(lo)) else {
        j.corriger(
            CHAMP,
            format!(
                "coordonnées illisibles (« {} », « {} ») : ignorées",
                la.texte().unwrap_or_default(),
                lo.texte().unwrap_or_default()
            ),
        );
        return None;
    };
    let dans_les_bornes = Localisation::new(lat, lon).is_some();
    let inverse_en_france = Localisation::new(lon, lat).is_some() && champs::en_france(lon, lat);
    if (!dans_les_bornes || !champs::en_france(lat, lon)) && inverse_en_france {
        j.corriger(
            CHAMP,
            format!("latitude et longitude inversées ({lat}, {lon}) : remises dans l'ordre"),
        );
        return Some((lon, lat));
    }
    if !dans_les_bornes {
        j.corriger(
            CHAMP,
            format!("coordonnées ({lat}, {lon}) impossibles : ignorées"),
        );
        return None;
    }
    Some((lat, lon))
}

/// The pivot: a valid SIRET or RNA, else the placeholder (reported when a value was given).
fn pivot(e: &Enregistrement, j: &mut Journal) -> Pivot {
    let Some(b) = e.texte("pivot") else {
        return Pivot::Absent;
    };
    let erreur = match Pivot::parse(&b) {
        Ok(p) => return p,
        Err(err) => err,
    };
    // A valid SIRET inside the value ("34106240403159/APE:8790B").
    let siret = b
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 14)
        .find_map(|run| Siret::parse(run).ok());
    if let Some(s) = siret {
        j.corriger("pivot", format!("pivot « {b} » réduit au SIRET « {s} »"));
        return Pivot::Siret(s);
    }
    let chiffres: String = b.chars().filter(|c| !c.is_whitespace()).collect();
    let pourquoi = if chiffres.len() == 9 && chiffres.bytes().all(|c| c.is_ascii_digit()) {
        "SIREN sans numéro d'établissement".to_string()
    } else {
        match erreur {
            IdentifiantError::SiretCle(_) => "clé de contrôle du SIRET fausse".to_string(),
            IdentifiantError::SiretFormat(_) => "ni SIRET de 14 chiffres ni RNA".to_string(),
            IdentifiantError::Rna(_) => "RNA mal formé".to_string(),
            _ => "ni SIRET ni RNA".to_string(),
        }
    };
    j.corriger(
        "pivot",
        format!("pivot « {b} » invalide ({pourquoi}) : remplacé par 00000000000000"),
    );
    Pivot::Absent
}

/// The first present field among `noms`, with its name.
fn premier(e: &Enregistrement, noms: &[&'static str]) -> Option<(&'static str, String)> {
    noms.iter().find_map(|n| e.texte(n).map(|t| (*n, t)))
}

fn dedoublonner<T: PartialEq>(v: &mut Vec<T>) {
    let mut i = 0;
    while i < v.len() {
        if v.get(..i)
            .is_some_and(|avant| avant.iter().any(|x| Some(x) == v.get(i)))
        {
            v.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Phone, e-mails, web sites, accessibility sheet and booking link.
fn contact(e: &Enregistrement, j: &mut Journal, lieu: &mut Lieu) {
    if let Some(b) = e.texte("telephone") {
        match Telephone::parse(&b, Some(lieu.code_postal.as_str())) {
            Ok(t) => lieu.telephone = Some(t),
            Err(_) => j.corriger(
                "telephone",
                format!("téléphone « {b} » non reconnu : champ vidé"),
            ),
        }
    }
    for champ in ["courriels", "courriel"] {
        let Some(b) = e.texte(champ) else { continue };
        for morceau in b.split(|c: char| c == '|' || c == ';' || c.is_whitespace()) {
            // "a@x.fr,b@y.fr": split on commas only between addresses.
            let parties: Vec<&str> = if morceau.matches('@').count() > 1 {
                morceau.split(',').collect()
            } else {
                vec![morceau]
            };
            for p in parties {
                let p = p.trim();
                if !p.chars().any(char::is_alphanumeric) {
                    continue;
                }
                match champs::courriel(p) {
                    Some(c) => {
                        if c != p {
                            j.corriger(champ, format!("courriel « {p} » corrigé en « {c} »"));
                        }
                        lieu.courriels.push(c);
                    }
                    None => j.corriger(champ, format!("courriel « {p} » invalide : retiré")),
                }
            }
        }
    }
    dedoublonner(&mut lieu.courriels);
    if let Some(b) = e.texte("site_web") {
        for morceau in b.split(|c: char| c == '|' || c == ';' || c.is_whitespace()) {
            if morceau.is_empty() {
                continue;
            }
            if let Some(u) = une_url(j, "site_web", morceau) {
                lieu.site_web.push(u);
            }
        }
    }
    dedoublonner(&mut lieu.site_web);
    if let Some((champ, b)) = premier(e, &["fiche_acces_libre", "accessibilite"]) {
        lieu.fiche_acces_libre = une_url(j, champ, &b);
    }
    if let Some(b) = e.texte("prise_rdv") {
        lieu.prise_rdv = une_url(j, "prise_rdv", &b);
    }
}

fn une_url(j: &mut Journal, champ: &str, brut: &str) -> Option<String> {
    match champs::url(brut) {
        Some((u, repare)) => {
            if repare {
                j.corriger(
                    champ,
                    format!("adresse web « {brut} » complétée en « {u} »"),
                );
            }
            Some(u)
        }
        None => {
            j.corriger(champ, format!("adresse web « {brut} » invalide : retirée"));
            None
        }
    }
}

/// Hours and summary.
fn textes(e: &Enregistrement, j: &mut Journal, lieu: &mut Lieu) {
    if let Some(b) = e.texte("horaires") {
        let mut h = Horaires::new(&b);
        if h.as_ref().is_some_and(|h| !h.valide) {
            match super::horaires::reparer_osm(&b) {
                Some(r) => {
                    j.corriger(
                        "horaires",
                        format!("horaires « {b} » écrites au format OSM : « {r} »"),
                    );
                    h = Horaires::new(&r);
                }
                None => j.corriger(
                    "horaires",
                    "horaires non conformes au format OSM, conservées telles quelles",
                ),
            }
        }
        lieu.horaires = h;
    }
    if let Some(b) = e.texte("presentation_resume") {
        lieu.presentation_resume = Some(match champs::tronquer_resume(&b) {
            Some(court) => {
                j.corriger(
                    "presentation_resume",
                    format!(
                        "résumé de {} caractères (280 au plus) : coupé à « …{} »",
                        b.chars().count(),
                        court
                            .chars()
                            .rev()
                            .take(30)
                            .collect::<Vec<_>>()
                            .into_iter()
                            .rev()
                            .collect::<String>()
                    ),
                );
                court
            }
            None => b,
        });
    }
}

fn inconnu(j: &mut Journal, champ: &str, libelle: &str) {
    j.corriger(champ, format!("valeur « {libelle} » inconnue : retirée"));
}

/// Every enumerated field, v1 and v0 names, labels translated to v1.
fn vocabulaires_du_lieu(e: &Enregistrement, j: &mut Journal, lieu: &mut Lieu) {
    let reconnaitre = |_: &mut Journal, champ: &str, f: &dyn Fn(&str) -> bool| -> Vec<String> {
        e.texte(champ)
            .map(|b| vocabulaires::decouper(&b, f))
            .unwrap_or_default()
    };

    for l in reconnaitre(j, "typologie", &|l| {
        vocabulaires::v1::<Typologie>(l).is_some()
    }) {
        match vocabulaires::v1::<Typologie>(&l) {
            Some(t) => lieu.typologie.push(t),
            None => inconnu(j, "typologie", &l),
        }
    }
    for l in reconnaitre(j, "services", &|l| vocabulaires::service(l).is_some()) {
        match vocabulaires::service(&l) {
            Some(s) => lieu.services.push(s),
            None => inconnu(j, "services", &l),
        }
    }
    for champ in [
        "publics_specifiquement_adresses",
        "prise_en_charge_specifique",
        "publics_accueillis",
    ] {
        for l in reconnaitre(j, champ, &|l| vocabulaires::public(l).is_some()) {
            match vocabulaires::public(&l) {
                Some(Equivalent::Public(p)) => lieu.publics_specifiquement_adresses.push(p),
                Some(Equivalent::Prise(p)) => lieu.prise_en_charge_specifique.push(p),
                Some(_) => {}
                None => inconnu(j, champ, &l),
            }
        }
    }
    for champ in ["frais_a_charge", "conditions_acces", "conditions_access"] {
        for l in reconnaitre(j, champ, &|l| vocabulaires::frais(l).is_some()) {
            match vocabulaires::frais(&l) {
                Some(f) => lieu.frais_a_charge.push(f),
                None => inconnu(j, champ, &l),
            }
        }
    }
    for champ in [
        "dispositif_programmes_nationaux",
        "formations_labels",
        "labels_nationaux",
    ] {
        for l in reconnaitre(j, champ, &|l| vocabulaires::label(l).is_some()) {
            match vocabulaires::label(&l) {
                Some(Equivalent::Dispositif(d)) => lieu.dispositif_programmes_nationaux.push(d),
                Some(Equivalent::Formation(f)) => lieu.formations_labels.push(f),
                Some(Equivalent::AutreLabel(a)) => {
                    lieu.autres_formations_labels.push(a.to_string())
                }
                Some(_) => {}
                None if champ == "labels_nationaux" => {
                    // v0 labels were free: the unknown ones go to the free list.
                    j.corriger(
                        champ,
                        format!(
                            "label « {l} » sans équivalent : placé dans autres_formations_labels"
                        ),
                    );
                    lieu.autres_formations_labels.push(l);
                }
                None => inconnu(j, champ, &l),
            }
        }
    }
    if let Some(b) = e.texte("autres_formations_labels") {
        lieu.autres_formations_labels.extend(
            b.split(['|', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    if let Some(b) = e.texte("labels_autres") {
        // v0 free list: `;` or `, ` between labels.
        lieu.autres_formations_labels.extend(
            b.split(['|', ';'])
                .flat_map(|s| s.split(", "))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    for l in reconnaitre(j, "modalites_acces", &|l| {
        vocabulaires::v1::<ModaliteAcces>(l).is_some()
    }) {
        match vocabulaires::v1::<ModaliteAcces>(&l) {
            Some(m) => lieu.modalites_acces.push(m),
            None => inconnu(j, "modalites_acces", &l),
        }
    }
    for l in reconnaitre(j, "modalites_accompagnement", &|l| {
        vocabulaires::accompagnement(l).is_some()
    }) {
        match vocabulaires::accompagnement(&l) {
            Some(m) => lieu.modalites_accompagnement.push(m),
            None => inconnu(j, "modalites_accompagnement", &l),
        }
    }
    for l in reconnaitre(j, "itinerance", &|l| itinerance(l).is_some()) {
        match itinerance(&l) {
            Some(i) => lieu.itinerance.push(i),
            None => inconnu(j, "itinerance", &l),
        }
    }

    dedoublonner(&mut lieu.typologie);
    dedoublonner(&mut lieu.services);
    dedoublonner(&mut lieu.publics_specifiquement_adresses);
    dedoublonner(&mut lieu.prise_en_charge_specifique);
    dedoublonner(&mut lieu.frais_a_charge);
    dedoublonner(&mut lieu.dispositif_programmes_nationaux);
    dedoublonner(&mut lieu.formations_labels);
    dedoublonner(&mut lieu.autres_formations_labels);
    dedoublonner(&mut lieu.modalites_acces);
    dedoublonner(&mut lieu.modalites_accompagnement);
    dedoublonner(&mut lieu.itinerance);
}

/// `Itinérant` / `Fixe`, and the yes/no forms of other files.
fn itinerance(libelle: &str) -> Option<Itinerance> {
    vocabulaires::v1(libelle).or_else(|| match vocabulaires::cle(libelle).as_str() {
        "oui" | "true" | "itinerante" | "mobile" => Some(Itinerance::Itinerant),
        "non" | "false" | "fixe" => Some(Itinerance::Fixe),
        _ => None,
    })
}
