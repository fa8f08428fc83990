//! CSV files: the schema v1 CSV and the ANCT list of France Services.

use super::construction::{Constructeur, ALIAS_V0};
use super::contenu::{Contenu, SansCr};
use super::enregistrement::Enregistrement;
use super::erreur::ImportError;
use super::format::entete_csv;
use super::horaires::{depuis_jours, Jour};
use maillage_domain::lieu::CHAMPS;
use maillage_domain::{DispositifProgrammeNational, Service, Typologie};
use std::collections::HashMap;

/// Reads every data row (after the header) and hands it with its starting line number.
/// The content is read as a stream, `\r\n` turned into `\n` so that the csv crate's line
/// numbers are the file's (see [`SansCr`]).
pub(crate) fn pour_chaque_ligne(
    contenu: &dyn Contenu,
    delimiteur: u8,
    largeur: usize,
    mut traiter: impl FnMut(usize, Result<csv::StringRecord, String>),
) -> Result<(), ImportError> {
    let mut lecteur = csv::ReaderBuilder::new()
        .delimiter(delimiteur)
        .has_headers(false)
        .flexible(true)
        .from_reader(SansCr::new(contenu.ouvrir()?));
    let mut record = csv::StringRecord::new();
    let mut premier = true;
    let ligne_de = |p: Option<&csv::Position>| {
        p.map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
    };
    loop {
        match lecteur.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let ligne = ligne_de(record.position());
                if premier {
                    premier = false;
                    continue;
                }
                if record.len() != largeur {
                    traiter(
                        ligne,
                        Err(format!(
                            "la ligne a {} cellule(s) au lieu de {largeur} (guillemet mal fermé ou \
                             séparateur en trop ?)",
                            record.len()
                        )),
                    );
                } else {
                    traiter(ligne, Ok(record.clone()));
                }
            }
            Err(e) => {
                return Err(ImportError::Csv {
                    ligne: ligne_de(e.position()),
                    message: e.to_string(),
                });
            }
        }
    }
}

/// Column name → index (the first one when a name is repeated).
fn index_colonnes(entete: &[String]) -> HashMap<String, usize> {
    let mut index = HashMap::new();
    for (i, nom) in entete.iter().enumerate() {
        index.entry(nom.clone()).or_insert(i);
    }
    index
}

/// The CSV of schema v1: all 32 columns are read; v0 column names are read as aliases;
/// unknown columns are ignored with one remark.
pub(crate) fn lire_v1(contenu: &dyn Contenu, c: &mut Constructeur<'_>) -> Result<(), ImportError> {
    let (delimiteur, entete) = entete_csv(contenu)?;
    let index = index_colonnes(&entete);
    let a = |n: &str| index.contains_key(n);
    let mut manquantes: Vec<String> = ["id", "nom", "adresse"]
        .into_iter()
        .filter(|n| !a(n))
        .map(String::from)
        .collect();
    if !(a("code_postal") || a("code_insee") || (a("latitude") && a("longitude"))) {
        manquantes.push("code_postal".into());
    }
    if !a("date_maj") && c.options().date_maj_par_defaut.is_none() {
        manquantes.push("date_maj".into());
    }
    if !manquantes.is_empty() {
        return Err(ImportError::ColonnesManquantes {
            colonnes: manquantes,
        });
    }
    let absentes: Vec<&str> = CHAMPS.iter().copied().filter(|n| !a(n)).collect();
    if !absentes.is_empty() {
        c.remarque_fichier(
            "en-tête",
            format!(
                "colonne(s) du schéma absente(s), traitée(s) comme vide(s) : {}",
                absentes.join(", ")
            ),
        );
    }
    let inconnues: Vec<&str> = entete
        .iter()
        .map(String::as_str)
        .filter(|n| !CHAMPS.contains(n) && !ALIAS_V0.contains(n))
        .collect();
    if !inconnues.is_empty() {
        c.remarque_fichier(
            "en-tête",
            format!(
                "colonne(s) inconnue(s) ignorée(s) : {}",
                inconnues.join(", ")
            ),
        );
    }
    let colonnes: Vec<(usize, String)> = index
        .iter()
        .filter(|(n, _)| CHAMPS.contains(&n.as_str()) || ALIAS_V0.contains(&n.as_str()))
        .map(|(n, i)| (*i, n.clone()))
        .collect();
    pour_chaque_ligne(contenu, delimiteur, entete.len(), |ligne, r| {
        let mut e = Enregistrement::new(ligne);
        match r {
            Ok(record) => {
                for (i, nom) in &colonnes {
                    if let Some(v) = record.get(*i) {
                        e.poser(nom, v);
                    }
                }
            }
            Err(message) => {
                e.rejets.push(("ligne".into(), message));
            }
        }
        c.ajouter(e);
    })
}

/// Weekday columns of the France Services list.
const COLONNES_JOURS: [(Jour, &str); 7] = [
    (Jour::Lundi, "h_lundi"),
    (Jour::Mardi, "h_mardi"),
    (Jour::Mercredi, "h_mercredi"),
    (Jour::Jeudi, "h_jeudi"),
    (Jour::Vendredi, "h_vendredi"),
    (Jour::Samedi, "h_samedi"),
    (Jour::Dimanche, "h_dimanche"),
];

/// The ANCT list of France Services: `id_fs`, `lib_fs`, `insee_com`, `lib_com`, `mail`, hours
/// per weekday, `itinerance` Oui/Non. It has no date: the default date is required.
pub(crate) fn lire_france_services(
    contenu: &dyn Contenu,
    c: &mut Constructeur<'_>,
) -> Result<(), ImportError> {
    let (delimiteur, entete) = entete_csv(contenu)?;
    let index = index_colonnes(&entete);
    let a = |n: &str| index.contains_key(n);
    let mut manquantes: Vec<String> = ["id_fs", "lib_fs", "adresse"]
        .into_iter()
        .filter(|n| !a(n))
        .map(String::from)
        .collect();
    if !(a("code_postal") || a("insee_com") || (a("latitude") && a("longitude"))) {
        manquantes.push("code_postal".into());
    }
    if !manquantes.is_empty() {
        return Err(ImportError::ColonnesManquantes {
            colonnes: manquantes,
        });
    }
    let Some(date) = c.options().date_maj_par_defaut else {
        return Err(ImportError::DateRequise);
    };
    let date = date.format("%Y-%m-%d").to_string();
    let correspondances: [(&str, &str); 11] = [
        ("id_fs", "id"),
        ("lib_fs", "nom"),
        ("adresse", "adresse"),
        ("complement_adresse", "complement_adresse"),
        ("insee_com", "code_insee"),
        ("code_postal", "code_postal"),
        ("lib_com", "commune"),
        ("latitude", "latitude"),
        ("longitude", "longitude"),
        ("mail", "courriels"),
        ("telephone", "telephone"),
    ];
    let cellule = |record: &csv::StringRecord, colonne: &str| -> String {
        index
            .get(colonne)
            .and_then(|i| record.get(*i))
            .unwrap_or("")
            .to_string()
    };
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
        for (colonne, champ) in correspondances {
            e.poser(champ, &cellule(&record, colonne));
        }
        e.poser("presentation_detail", &cellule(&record, "commentaire"));
        e.poser("date_maj", &date);

        let itinerance = cellule(&record, "itinerance");
        let itinerant = maillage_domain::texte::normaliser(&itinerance) == "oui";
        if !itinerant
            && !matches!(
                maillage_domain::texte::normaliser(&itinerance).as_str(),
                "non" | ""
            )
        {
            e.corrections.push((
                "itinerance".into(),
                format!("itinérance « {itinerance} » ni Oui ni Non : lieu considéré fixe"),
            ));
        }
        e.poser("itinerance", if itinerant { "Itinérant" } else { "Fixe" });

        let textes: Vec<(Jour, String)> = COLONNES_JOURS
            .iter()
            .filter(|(_, col)| a(col))
            .map(|(jour, col)| (*jour, cellule(&record, col)))
            .collect();
        let jours: Vec<(Jour, &str)> = textes.iter().map(|(j, t)| (*j, t.as_str())).collect();
        let conversion = depuis_jours(&jours);
        let colonne_du = |jour: &Jour| {
            COLONNES_JOURS
                .iter()
                .find(|(j, _)| j == jour)
                .map_or("horaires", |(_, c)| c)
        };
        for (jour, brut, lu) in &conversion.ajustes {
            let message = if lu == "fermé" {
                format!(
                    "horaires du {} « {brut} » : plages vides, jour compris comme fermé",
                    jour.nom()
                )
            } else {
                format!(
                    "horaires du {} « {brut} » : plages en double, vides ou qui se chevauchent, \
                     réunies en « {lu} »",
                    jour.nom()
                )
            };
            e.corrections.push((colonne_du(jour).to_string(), message));
        }
        for (jour, brut) in &conversion.non_convertis {
            let colonne = colonne_du(jour);
            e.corrections.push((
                colonne.to_string(),
                format!(
                    "horaires du {} « {brut} » non convertis : notés « unknown » dans les horaires OSM",
                    jour.nom()
                ),
            ));
        }
        if let Some(osm) = conversion.osm {
            e.poser("horaires", &osm);
        }

        // What every France Services is: a place of the national France Services network
        // (typologie RFS), whose mission is help with administrative procedures.
        e.poser(
            "dispositif_programmes_nationaux",
            DispositifProgrammeNational::FranceServices.label(),
        );
        e.poser("services", Service::AideAuxDemarchesAdministratives.label());
        e.poser("typologie", Typologie::Rfs.label());
        c.ajouter(e);
    })
}
