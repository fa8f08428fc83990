//! Any CSV file in its own columns, read through a column mapping (`--mapping FICHIER.toml`):
//! column → schema field, value maps for the enumerations, opening hours given as one column
//! per half-day, dates `JJ/MM/AAAA`, coordinates in named columns (decimal comma accepted).
//!
//! ```toml
//! source = "cd-exemple"              # optional: the --source name
//! separateur = ";"                   # optional: detected from the header otherwise
//!
//! [colonnes]                         # schema field = "column of the file"
//! id = "N°"
//! nom = "Nom de la structure"
//! latitude = "Y"
//! longitude = "X"
//! frais_a_charge = "Tarif"
//!
//! [valeurs.frais_a_charge]           # value of the file = schema label(s), "" to ignore
//! "Gratuit" = "Gratuit"
//! "Adhésion" = "Payant"
//!
//! [horaires]                         # half-day columns: « 8h30-12h », empty or « fermé »
//! lundi_matin = "Lundi matin"
//! lundi_apres_midi = "Lundi après-midi"
//! ```
//!
//! Stricter than the other readers: a value without correspondence, a date, coordinates or
//! hours that cannot be read reject the line (naming the column and the field), and
//! [`crate::annuaire::Annuaire::importer_correspondance`] then writes nothing.

use super::champs;
use super::construction::Constructeur;
use super::contenu::Contenu;
use super::enregistrement::Enregistrement;
use super::erreur::ImportError;
use super::format::entete_csv;
use super::horaires::{depuis_jours, Jour};
use super::tableur::pour_chaque_ligne;
use super::vocabulaires::cle;
use maillage_domain::lieu::CHAMPS;
use maillage_domain::Vocabulary;
use maillage_domain::{
    DispositifProgrammeNational, FormationLabel, Frais, Itinerance, ModaliteAcces,
    ModaliteAccompagnement, PriseEnChargeSpecifique, PublicSpecifiquementAdresse, Service,
    Typologie,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The enumerated fields of the schema, whose values are mapped.
pub const CHAMPS_ENUMERES: [&str; 10] = [
    "typologie",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "itinerance",
];

fn tous<V: Vocabulary>() -> Vec<&'static str> {
    V::ALL.iter().map(|v| v.label()).collect()
}

/// The labels of an enumerated field.
pub fn labels_du_champ(champ: &str) -> Vec<&'static str> {
    match champ {
        "typologie" => tous::<Typologie>(),
        "services" => tous::<Service>(),
        "publics_specifiquement_adresses" => tous::<PublicSpecifiquementAdresse>(),
        "prise_en_charge_specifique" => tous::<PriseEnChargeSpecifique>(),
        "frais_a_charge" => tous::<Frais>(),
        "dispositif_programmes_nationaux" => tous::<DispositifProgrammeNational>(),
        "formations_labels" => tous::<FormationLabel>(),
        "modalites_acces" => tous::<ModaliteAcces>(),
        "modalites_accompagnement" => tous::<ModaliteAccompagnement>(),
        "itinerance" => tous::<Itinerance>(),
        _ => Vec::new(),
    }
}

/// Half of a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemiJournee {
    Matin,
    ApresMidi,
    /// A column for the whole day (`lundi = "Lundi"`).
    Journee,
}

/// A column mapping, read from its TOML file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Correspondance {
    /// The source name, when the file gives one (`--source` overrides it).
    pub source: Option<String>,
    /// The CSV delimiter, when the file gives one.
    pub separateur: Option<u8>,
    /// Schema field → column of the file, in the file's order.
    pub colonnes: Vec<(String, String)>,
    /// Enumerated field → (key of the file's value, labels; empty to ignore the value).
    pub valeurs: BTreeMap<String, HashMap<String, Vec<String>>>,
    /// Opening hours columns.
    pub horaires: Vec<(Jour, DemiJournee, String)>,
}

fn erreur(message: impl Into<String>) -> ImportError {
    ImportError::Correspondance(message.into())
}

/// `lundi_apres_midi` → (lundi, après-midi).
fn cle_horaire(cle_toml: &str) -> Option<(Jour, DemiJournee)> {
    let k = cle(cle_toml).replace([' ', '-'], "_");
    let (jour, reste) = match k.split_once('_') {
        Some((j, r)) => (j.to_string(), Some(r.to_string())),
        None => (k.clone(), None),
    };
    let jour = Jour::TOUS.into_iter().find(|j| j.nom() == jour)?;
    let demi = match reste.as_deref() {
        None => DemiJournee::Journee,
        Some("matin" | "am") => DemiJournee::Matin,
        Some("apres_midi" | "apresmidi" | "pm" | "aprem") => DemiJournee::ApresMidi,
        Some(_) => return None,
    };
    Some((jour, demi))
}

impl Correspondance {
    /// Reads a mapping file; its errors name the key at fault, in French.
    pub fn depuis_toml(texte: &str) -> Result<Self, ImportError> {
        let doc: toml_edit::DocumentMut = texte
            .parse()
            .map_err(|e: toml_edit::TomlError| erreur(format!("TOML illisible : {e}")))?;
        let mut c = Correspondance::default();
        let chaine = |item: &toml_edit::Item, ou: &str| -> Result<String, ImportError> {
            item.as_str().map(str::to_string).ok_or_else(|| {
                erreur(format!(
                    "« {ou} » : une chaîne entre guillemets est attendue"
                ))
            })
        };
        for (k, item) in doc.iter() {
            match k {
                "source" => {
                    let s = chaine(item, "source")?;
                    c.source = Some(s.trim().to_string()).filter(|s| !s.is_empty());
                }
                "separateur" => {
                    let s = chaine(item, "separateur")?;
                    let s = if s == "\\t" { "\t".to_string() } else { s };
                    match s.as_bytes() {
                        [b] if s.is_ascii() => c.separateur = Some(*b),
                        _ => {
                            return Err(erreur(format!(
                                "« separateur » : un seul caractère est attendu, pas « {s} »"
                            )))
                        }
                    }
                }
                "colonnes" => {
                    let t = item
                        .as_table_like()
                        .ok_or_else(|| erreur("[colonnes] doit être une table"))?;
                    for (champ, col) in t.iter() {
                        if !CHAMPS.contains(&champ) {
                            return Err(erreur(format!(
                                "[colonnes] : « {champ} » n'est pas un champ du schéma des lieux \
                                 (attendu l'un de : {})",
                                CHAMPS.join(", ")
                            )));
                        }
                        let col = chaine(col, &format!("colonnes.{champ}"))?;
                        c.colonnes.push((champ.to_string(), col));
                    }
                }
                "valeurs" => {
                    let t = item
                        .as_table_like()
                        .ok_or_else(|| erreur("[valeurs] doit être une table"))?;
                    for (champ, table) in t.iter() {
                        let labels = labels_du_champ(champ);
                        if labels.is_empty() {
                            return Err(erreur(format!(
                                "[valeurs.{champ}] : « {champ} » n'est pas un champ à valeurs \
                                 fixes (attendu l'un de : {})",
                                CHAMPS_ENUMERES.join(", ")
                            )));
                        }
                        let table = table.as_table_like().ok_or_else(|| {
                            erreur(format!("[valeurs.{champ}] doit être une table"))
                        })?;
                        let mut m = HashMap::new();
                        for (valeur, cible) in table.iter() {
                            let cibles: Vec<String> = match (cible.as_str(), cible.as_array()) {
                                (Some(s), _) => vec![s.to_string()],
                                (None, Some(a)) => a
                                    .iter()
                                    .map(|v| v.as_str().map(str::to_string))
                                    .collect::<Option<Vec<_>>>()
                                    .ok_or_else(|| {
                                        erreur(format!(
                                            "[valeurs.{champ}] « {valeur} » : chaînes attendues"
                                        ))
                                    })?,
                                _ => {
                                    return Err(erreur(format!(
                                        "[valeurs.{champ}] « {valeur} » : une chaîne ou une \
                                         liste de chaînes est attendue"
                                    )))
                                }
                            };
                            let cibles: Vec<String> = cibles
                                .into_iter()
                                .map(|s| s.trim().to_string())
                                .filter(|s| !s.is_empty())
                                .collect();
                            for cible in &cibles {
                                if !labels.contains(&cible.as_str()) {
                                    return Err(erreur(format!(
                                        "[valeurs.{champ}] « {valeur} » = « {cible} » : ce n'est \
                                         pas une valeur du schéma (attendu l'une de : {} ; \"\" \
                                         pour ignorer la valeur)",
                                        labels.join(", ")
                                    )));
                                }
                            }
                            m.insert(cle(valeur), cibles);
                        }
                        c.valeurs.insert(champ.to_string(), m);
                    }
                }
                "horaires" => {
                    let t = item
                        .as_table_like()
                        .ok_or_else(|| erreur("[horaires] doit être une table"))?;
                    for (k, col) in t.iter() {
                        let (jour, demi) = cle_horaire(k).ok_or_else(|| {
                            erreur(format!(
                                "[horaires] : « {k} » n'est pas un jour ou une demi-journée \
                                 (attendu lundi_matin, lundi_apres_midi, … dimanche_apres_midi, \
                                 ou lundi … dimanche pour la journée)"
                            ))
                        })?;
                        let col = chaine(col, &format!("horaires.{k}"))?;
                        c.horaires.push((jour, demi, col));
                    }
                }
                autre => {
                    return Err(erreur(format!(
                        "clé « {autre} » inconnue (attendu source, separateur, [colonnes], \
                         [valeurs.CHAMP], [horaires])"
                    )))
                }
            }
        }
        if c.colonnes.is_empty() {
            return Err(erreur(
                "[colonnes] absente ou vide : aucune colonne n'est lue",
            ));
        }
        let a = |champ: &str| c.colonnes.iter().any(|(f, _)| f == champ);
        let mut manquants: Vec<&str> = ["nom", "adresse"].into_iter().filter(|f| !a(f)).collect();
        if !(a("code_postal") || a("code_insee") || (a("latitude") && a("longitude"))) {
            manquants.push("code_postal (ou code_insee, ou latitude et longitude)");
        }
        if !manquants.is_empty() {
            return Err(erreur(format!(
                "[colonnes] : champ(s) obligatoire(s) sans colonne : {}",
                manquants.join(", ")
            )));
        }
        if a("horaires") && !c.horaires.is_empty() {
            return Err(erreur(
                "les horaires sont donnés deux fois : colonne « horaires » et table [horaires]",
            ));
        }
        Ok(c)
    }
}

/// The labels a cell's value maps to: first the whole cell, then each piece between `|`,
/// `;` or `,`. `Err` lists the pieces without correspondence.
fn traduire(
    champ: &str,
    cellule: &str,
    table: Option<&HashMap<String, Vec<String>>>,
) -> Result<Vec<String>, Vec<String>> {
    let labels = labels_du_champ(champ);
    let un = |v: &str| -> Option<Vec<String>> {
        if let Some(c) = table.and_then(|t| t.get(&cle(v))) {
            return Some(c.clone());
        }
        labels
            .iter()
            .find(|l| cle(l) == cle(v))
            .map(|l| vec![(*l).to_string()])
    };
    if let Some(v) = un(cellule) {
        return Ok(v);
    }
    let mut out = Vec::new();
    let mut sans = Vec::new();
    for morceau in cellule.split(['|', ';', ',']) {
        let m = morceau.trim();
        if m.is_empty() {
            continue;
        }
        match un(m) {
            Some(v) => out.extend(v),
            None => sans.push(m.to_string()),
        }
    }
    if sans.is_empty() {
        Ok(out)
    } else {
        Err(sans)
    }
}

/// A half-day cell that says « closed ».
fn ferme(t: &str) -> bool {
    matches!(
        cle(t).as_str(),
        "" | "-" | "ferme" | "fermee" | "ferme au public" | "x"
    )
}

/// An id from the name and the postal code (or commune), when the file has no id column.
fn id_deduit(e: &Enregistrement) -> Option<String> {
    let nom = e.texte("nom")?;
    let ou = e
        .texte("code_postal")
        .or_else(|| e.texte("code_insee"))
        .or_else(|| e.texte("commune"))
        .unwrap_or_default();
    Some(crate::data_inclusion::slug(&format!("{nom} {ou}")))
}

/// Reads the file through the mapping.
pub(crate) fn lire(
    contenu: &dyn Contenu,
    c: &mut Constructeur<'_>,
    corr: &Correspondance,
) -> Result<(), ImportError> {
    let (detecte, _) = entete_csv(contenu)?;
    let delimiteur = corr.separateur.unwrap_or(detecte);
    let entete = super::format::entete_csv_avec(contenu, delimiteur)?;
    let index: HashMap<String, usize> = entete
        .iter()
        .enumerate()
        .rev()
        .map(|(i, n)| (cle(n), i))
        .collect();
    let colonne = |nom: &str| index.get(&cle(nom)).copied();
    let mut absentes: Vec<String> = corr
        .colonnes
        .iter()
        .map(|(_, col)| col)
        .chain(corr.horaires.iter().map(|(_, _, col)| col))
        .filter(|col| colonne(col).is_none())
        .map(|col| format!("« {col} »"))
        .collect();
    absentes.dedup();
    if !absentes.is_empty() {
        return Err(ImportError::Correspondance(format!(
            "colonne(s) absente(s) de l'en-tête du fichier (ligne 1) : {} ; colonnes du fichier : {}",
            absentes.join(", "),
            entete
                .iter()
                .map(|c| format!("« {c} »"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let colonnes: Vec<(String, String, usize)> = corr
        .colonnes
        .iter()
        .filter_map(|(f, col)| colonne(col).map(|i| (f.clone(), col.clone(), i)))
        .collect();
    let horaires: Vec<(Jour, DemiJournee, String, usize)> = corr
        .horaires
        .iter()
        .filter_map(|(j, d, col)| colonne(col).map(|i| (*j, *d, col.clone(), i)))
        .collect();
    let sans_id = !corr.colonnes.iter().any(|(f, _)| f == "id");
    if sans_id {
        c.remarque_fichier(
            "id",
            "pas de colonne d'identifiant : chaque lieu est identifié par son nom et son code \
             postal (un changement de nom fera un nouveau lieu)"
                .into(),
        );
    }
    // Distinct values without correspondence, per column.
    let mut sans_correspondance: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    pour_chaque_ligne(contenu, delimiteur, entete.len(), |ligne, r| {
        let mut e = Enregistrement::new(ligne);
        let record = match r {
            Ok(record) => record,
            Err(message) => {
                e.rejets.push(("ligne".into(), message));
                c.ajouter(e);
                return;
            }
        };
        let cellule = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        for (champ, col, i) in &colonnes {
            let v = cellule(*i);
            if v.is_empty() {
                continue;
            }
            let ou = format!("{col} ({champ})");
            if CHAMPS_ENUMERES.contains(&champ.as_str()) {
                match traduire(champ, &v, corr.valeurs.get(champ)) {
                    Ok(labels) => e.poser(champ, &labels.join("|")),
                    Err(sans) => {
                        for s in &sans {
                            e.rejets.push((
                                ou.clone(),
                                format!(
                                    "valeur « {s} » sans correspondance : ajoutez-la à \
                                     [valeurs.{champ}] du fichier de correspondance"
                                ),
                            ));
                            sans_correspondance
                                .entry(ou.clone())
                                .or_default()
                                .insert(s.clone());
                        }
                    }
                }
                continue;
            }
            match champ.as_str() {
                "date_maj" => match champs::date(&v) {
                    Some(d) => e.poser(champ, &d.format("%Y-%m-%d").to_string()),
                    None => e.rejets.push((
                        ou,
                        format!("date « {v} » illisible (attendu JJ/MM/AAAA ou AAAA-MM-JJ)"),
                    )),
                },
                "latitude" | "longitude" => match champs::nombre(&v) {
                    Some(x) => e.poser(champ, &x.to_string()),
                    None => e.rejets.push((
                        ou,
                        format!(
                            "coordonnée « {v} » illisible (attendu un nombre, 43,6045 ou 43.6045)"
                        ),
                    )),
                },
                _ => e.poser(champ, &v),
            }
        }
        if !horaires.is_empty() {
            let mut textes: Vec<(Jour, String, Vec<String>)> = Vec::new();
            for jour in Jour::TOUS {
                let mut morceaux: Vec<(DemiJournee, String)> = horaires
                    .iter()
                    .filter(|(j, _, _, _)| *j == jour)
                    .map(|(_, d, _, i)| (*d, cellule(*i)))
                    .collect();
                if morceaux.is_empty() {
                    continue;
                }
                morceaux.sort_by_key(|(d, _)| match d {
                    DemiJournee::Matin | DemiJournee::Journee => 0,
                    DemiJournee::ApresMidi => 1,
                });
                let texte: Vec<String> = morceaux
                    .into_iter()
                    .map(|(_, t)| t)
                    .filter(|t| !ferme(t))
                    .collect();
                let cols: Vec<String> = horaires
                    .iter()
                    .filter(|(j, _, _, _)| *j == jour)
                    .map(|(_, _, c, _)| c.clone())
                    .collect();
                // « / » between the half-days: « 12h 13h30 » would read as 12:13.
                textes.push((jour, texte.join(" / "), cols));
            }
            let jours: Vec<(Jour, &str)> =
                textes.iter().map(|(j, t, _)| (*j, t.as_str())).collect();
            let conversion = depuis_jours(&jours);
            for (jour, brut, lu) in &conversion.ajustes {
                e.corrections.push((
                    "horaires".into(),
                    format!(
                        "horaires du {} « {brut} » : plages en double ou qui se chevauchent, \
                         réunies en « {lu} »",
                        jour.nom()
                    ),
                ));
            }
            if conversion.non_convertis.is_empty() {
                if let Some(osm) = conversion.osm {
                    e.poser("horaires", &osm);
                }
            } else {
                for (jour, brut) in &conversion.non_convertis {
                    let cols = textes
                        .iter()
                        .find(|(j, _, _)| j == jour)
                        .map(|(_, _, c)| c.join(" / "))
                        .unwrap_or_default();
                    e.rejets.push((
                        format!("{cols} (horaires)"),
                        format!(
                            "horaires du {} « {brut} » illisibles (attendu par exemple 8h30-12h, \
                             ou vide si fermé)",
                            jour.nom()
                        ),
                    ));
                }
            }
        }
        if sans_id {
            if let Some(id) = id_deduit(&e) {
                e.poser("id", &id);
            }
        }
        c.ajouter(e);
    })?;
    if !sans_correspondance.is_empty() {
        let liste: Vec<String> = sans_correspondance
            .iter()
            .map(|(col, v)| {
                format!(
                    "{col} : {}",
                    v.iter()
                        .map(|x| format!("« {x} »"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        c.remarque_fichier(
            "valeurs",
            format!("valeurs sans correspondance — {}", liste.join(" ; ")),
        );
    }
    Ok(())
}

/// Column names (normalised) that obviously hold a schema field.
const DEVINETTES: [(&str, &[&str]); 26] = [
    (
        "id",
        &[
            "id",
            "identifiant",
            "n",
            "no",
            "numero",
            "code",
            "ref",
            "reference",
        ],
    ),
    ("pivot", &["siret", "pivot", "siret rna", "rna"]),
    (
        "nom",
        &[
            "nom",
            "nom du lieu",
            "nom de la structure",
            "structure",
            "nom structure",
            "libelle",
            "raison sociale",
            "lieu",
        ],
    ),
    (
        "commune",
        &[
            "commune",
            "ville",
            "localite",
            "nom commune",
            "libelle commune",
        ],
    ),
    (
        "code_postal",
        &["code postal", "cp", "code_postal", "codepostal"],
    ),
    (
        "code_insee",
        &[
            "code insee",
            "insee",
            "code commune",
            "code_insee",
            "code commune insee",
        ],
    ),
    (
        "adresse",
        &[
            "adresse",
            "adresse postale",
            "voie",
            "rue",
            "adresse 1",
            "numero et voie",
        ],
    ),
    (
        "complement_adresse",
        &[
            "complement d'adresse",
            "complement adresse",
            "complement",
            "adresse 2",
        ],
    ),
    ("latitude", &["latitude", "lat", "y", "coord y"]),
    (
        "longitude",
        &["longitude", "lon", "lng", "long", "x", "coord x"],
    ),
    (
        "typologie",
        &[
            "typologie",
            "type",
            "type de structure",
            "type de lieu",
            "categorie",
        ],
    ),
    (
        "telephone",
        &[
            "telephone",
            "tel",
            "tel.",
            "numero de telephone",
            "contact telephone",
        ],
    ),
    (
        "courriels",
        &[
            "courriel",
            "courriels",
            "mail",
            "email",
            "e-mail",
            "adresse mail",
            "adresse e-mail",
            "contact mail",
        ],
    ),
    (
        "site_web",
        &["site web", "site internet", "site", "url", "web", "lien"],
    ),
    ("horaires", &["horaires osm", "opening_hours", "horaires"]),
    (
        "presentation_resume",
        &[
            "description",
            "presentation",
            "resume",
            "description courte",
        ],
    ),
    (
        "presentation_detail",
        &["description detaillee", "presentation detaillee", "detail"],
    ),
    (
        "date_maj",
        &[
            "date de mise a jour",
            "date maj",
            "mise a jour",
            "date_maj",
            "derniere mise a jour",
            "date",
        ],
    ),
    (
        "services",
        &[
            "services",
            "services proposes",
            "offre",
            "activites",
            "prestations",
        ],
    ),
    (
        "publics_specifiquement_adresses",
        &["public", "publics", "public cible", "publics accueillis"],
    ),
    (
        "prise_en_charge_specifique",
        &["accessibilite", "handicap", "prise en charge specifique"],
    ),
    (
        "frais_a_charge",
        &[
            "tarif",
            "tarifs",
            "frais",
            "cout",
            "gratuite",
            "conditions d'acces",
            "acces",
        ],
    ),
    (
        "dispositif_programmes_nationaux",
        &["dispositif", "dispositifs", "label", "labels", "programme"],
    ),
    (
        "modalites_acces",
        &["modalites d'acces", "modalite d'acces", "comment y acceder"],
    ),
    (
        "modalites_accompagnement",
        &[
            "accompagnement",
            "modalites d'accompagnement",
            "type d'accompagnement",
        ],
    ),
    ("itinerance", &["itinerance", "itinerant", "mobile"]),
];

/// Distinct values listed per enumerated column in a draft.
const VALEURS_PROPOSEES_MAX: usize = 60;

fn chaine_toml(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A draft mapping for a CSV file, from its header: the obvious columns mapped, the
/// half-day hour columns, the distinct values of the enumerated columns (the schema's own
/// labels mapped to themselves, the others commented out, to fill in), and the other
/// columns listed in comments.
pub fn proposer(nom_fichier: &str, bytes: &[u8]) -> Result<String, ImportError> {
    let texte = super::erreur::texte_utf8(bytes)?;
    let contenu = super::contenu::Octets(texte.as_bytes());
    let (delimiteur, entete) = entete_csv(&contenu)?;
    let mut pris: Vec<(String, String, usize)> = Vec::new();
    let mut horaires: Vec<(String, String)> = Vec::new();
    let mut autres: Vec<String> = Vec::new();
    // The guesses' keys, normalised once (not once per column).
    let devinettes: Vec<(&str, Vec<String>)> = DEVINETTES
        .iter()
        .map(|(champ, noms)| (*champ, noms.iter().map(|n| cle(n)).collect()))
        .collect();
    for (i, col) in entete.iter().enumerate() {
        if col.is_empty() {
            continue;
        }
        if let Some((jour, demi)) = cle_horaire(col) {
            let k = match demi {
                DemiJournee::Matin => format!("{}_matin", jour.nom()),
                DemiJournee::ApresMidi => format!("{}_apres_midi", jour.nom()),
                DemiJournee::Journee => jour.nom().to_string(),
            };
            // A half-day named twice (two « Mardi matin » columns): the first one is
            // proposed, the other is listed with the columns not recognised (a TOML table
            // cannot have the same key twice).
            if horaires.iter().any(|(deja, _)| *deja == k) {
                autres.push(col.clone());
            } else {
                horaires.push((k, col.clone()));
            }
            continue;
        }
        // « Longitude (X) » is guessed as « longitude ».
        let k = cle(col);
        let sans_parentheses = cle(col.split('(').next().unwrap_or(col));
        let champ = [k.as_str(), sans_parentheses.as_str()]
            .iter()
            .find_map(|k| {
                devinettes.iter().find(|(champ, noms)| {
                    noms.iter().any(|n| n == k) && !pris.iter().any(|(f, _, _)| f == champ)
                })
            })
            .map(|(champ, _)| *champ);
        match champ {
            Some(f) => pris.push((f.to_string(), col.clone(), i)),
            None => autres.push(col.clone()),
        }
    }
    // Distinct values of the enumerated columns.
    let mut valeurs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let enumerees: Vec<(String, usize)> = pris
        .iter()
        .filter(|(f, _, _)| CHAMPS_ENUMERES.contains(&f.as_str()))
        .map(|(f, _, i)| (f.clone(), *i))
        .collect();
    if !enumerees.is_empty() {
        pour_chaque_ligne(&contenu, delimiteur, entete.len(), |_, r| {
            let Ok(record) = r else { return };
            for (champ, i) in &enumerees {
                let Some(v) = record.get(*i) else { continue };
                let set = valeurs.entry(champ.clone()).or_default();
                for m in v.split(['|', ';', ',']) {
                    let m = m.trim();
                    if !m.is_empty() && set.len() < VALEURS_PROPOSEES_MAX {
                        set.insert(m.to_string());
                    }
                }
            }
        })?;
    }

    let mut out = String::new();
    out.push_str(&format!(
        "# Correspondance proposée pour « {nom_fichier} » par maillage import --proposer-mapping.\n\
         # À relire et compléter, puis : maillage import --mapping CE_FICHIER.toml {nom_fichier}\n\
         # Une ligne dont une valeur n'a pas de correspondance est signalée et rien n'est importé.\n\n"
    ));
    out.push_str("source = \"a-renseigner\"\n");
    out.push_str(&format!(
        "separateur = {}\n\n",
        chaine_toml(if delimiteur == b';' { ";" } else { "," })
    ));
    out.push_str("[colonnes]\n");
    for (champ, col, _) in &pris {
        out.push_str(&format!("{champ} = {}\n", chaine_toml(col)));
    }
    let sans: Vec<&str> = CHAMPS
        .iter()
        .copied()
        .filter(|f| !pris.iter().any(|(p, _, _)| p == f))
        .filter(|f| *f != "horaires" || horaires.is_empty())
        .collect();
    if !autres.is_empty() {
        out.push_str(
            "# Colonnes du fichier non reconnues (à associer à un champ ou à laisser) :\n",
        );
        for col in &autres {
            out.push_str(&format!("# ? = {}\n", chaine_toml(col)));
        }
    }
    if !sans.is_empty() {
        out.push_str(&format!(
            "# Champs du schéma sans colonne : {}\n",
            sans.join(", ")
        ));
    }
    if !horaires.is_empty() {
        out.push_str(
            "\n# Horaires par demi-journée (« 8h30-12h », vide ou « fermé ») : convertis au format OSM.\n[horaires]\n",
        );
        for (k, col) in &horaires {
            out.push_str(&format!("{k} = {}\n", chaine_toml(col)));
        }
    }
    for (champ, set) in &valeurs {
        let labels = labels_du_champ(champ);
        out.push_str(&format!(
            "\n# Valeurs possibles : {} (\"\" pour ignorer une valeur ; une liste pour plusieurs).\n[valeurs.{champ}]\n",
            labels.join(", ")
        ));
        // Two values that differ only by characters TOML cannot hold (control characters,
        // dropped by `chaine_toml`) would be the same key twice: the first one is kept.
        let mut ecrites = BTreeSet::new();
        for v in set {
            let v_toml = chaine_toml(v);
            if !ecrites.insert(v_toml.clone()) {
                continue;
            }
            match labels.iter().find(|l| cle(l) == cle(v)) {
                Some(l) => out.push_str(&format!("{v_toml} = {}\n", chaine_toml(l))),
                None => out.push_str(&format!("# {v_toml} = \"?\"\n")),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_day_keys() {
        assert_eq!(
            cle_horaire("lundi_apres_midi"),
            Some((Jour::Lundi, DemiJournee::ApresMidi))
        );
        assert_eq!(
            cle_horaire("Mardi matin"),
            Some((Jour::Mardi, DemiJournee::Matin))
        );
        assert_eq!(
            cle_horaire("Samedi après-midi"),
            Some((Jour::Samedi, DemiJournee::ApresMidi))
        );
        assert_eq!(
            cle_horaire("dimanche"),
            Some((Jour::Dimanche, DemiJournee::Journee))
        );
        assert_eq!(cle_horaire("lundi soir"), None);
        assert_eq!(cle_horaire("nom"), None);
    }

    #[test]
    fn mapping_errors_name_the_key() {
        let e = Correspondance::depuis_toml("[colonnes]\nnom = \"Nom\"\nadresse = \"A\"\ncode_postal = \"CP\"\n[valeurs.frais_a_charge]\n\"Gratos\" = \"Gratuite\"\n");
        let m = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            m.contains("[valeurs.frais_a_charge] « Gratos » = « Gratuite »"),
            "{m}"
        );
        let e = Correspondance::depuis_toml("[colonnes]\nnome = \"Nom\"\n");
        let m = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(m.contains("« nome » n'est pas un champ"), "{m}");
        let e = Correspondance::depuis_toml("[colonnes]\nnom = \"Nom\"\n");
        let m = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(m.contains("adresse"), "{m}");
    }

    /// Fuzzing finding (`fuzz/`, target `correspondance_proposer`): a CSV header naming the
    /// same half-day twice gave a draft with the key `mardi_matin` twice in `[horaires]`,
    /// which the import itself then refused as unreadable TOML.
    #[test]
    fn a_half_day_column_twice_gives_a_readable_draft() {
        let csv = "N°;Nom de la structure;Adresse;Code postal;Commune;Mardi matin;Mardi matin;mardi_matin\n\
                   1;Médiathèque;1 rue A;31000;Toulouse;9h-12h;10h-12h;8h-12h\n";
        let draft = proposer("f.csv", csv.as_bytes()).expect("a draft");
        assert_eq!(draft.matches("mardi_matin = ").count(), 1, "{draft}");
        assert!(
            draft.contains("# ? = \"Mardi matin\"") && draft.contains("# ? = \"mardi_matin\""),
            "{draft}"
        );
        let lue = Correspondance::depuis_toml(&draft).expect("the draft reads back");
        assert_eq!(lue.horaires.len(), 1);
    }

    /// Fuzzing finding: two values of an enumerated column that differ only by a control
    /// character (dropped in TOML strings) gave the same key twice in `[valeurs.…]`.
    #[test]
    fn values_differing_by_a_control_character_give_a_readable_draft() {
        let csv = "N°;Nom de la structure;Adresse;Code postal;Commune;Tarif\n\
                   1;A;1 rue A;31000;Toulouse;Gratuit\n\
                   2;B;2 rue B;31000;Toulouse;Gra\u{1}tuit\n";
        let draft = proposer("f.csv", csv.as_bytes()).expect("a draft");
        assert_eq!(draft.matches("\"Gratuit\" = ").count(), 1, "{draft}");
        let erreur = Correspondance::depuis_toml(&draft)
            .err()
            .map(|e| e.to_string());
        assert!(
            !erreur.as_deref().unwrap_or("").contains("TOML illisible"),
            "{erreur:?}\n{draft}"
        );
    }

    #[test]
    fn values_translate_whole_then_by_piece() {
        let mut t = HashMap::new();
        t.insert(cle("Gratuit, sur rendez-vous"), vec!["Gratuit".to_string()]);
        t.insert(cle("adhésion"), vec!["Payant".to_string()]);
        assert_eq!(
            traduire("frais_a_charge", "Gratuit, sur rendez-vous", Some(&t)),
            Ok(vec!["Gratuit".to_string()])
        );
        assert_eq!(
            traduire("frais_a_charge", "Adhésion; payant", Some(&t)),
            Ok(vec!["Payant".to_string(), "Payant".to_string()])
        );
        assert_eq!(
            traduire("frais_a_charge", "Cher", Some(&t)),
            Err(vec!["Cher".to_string()])
        );
    }
}
