//! What is compared of a place: its name reduced to the words that tell it apart, the kind
//! of structure its name announces, its address split into house number and street, its
//! identifiers and contacts as compact keys. Computed once per record ([`Empreinte`]).

use super::court::TexteCourt;
use crate::lieux::LieuSource;
use maillage_domain::texte::{mots, normaliser};
use maillage_domain::{
    DispositifProgrammeNational, Itinerance, Lieu, Pivot, Service, Typologie, Vocabulary,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

/// The kind of structure a name announces ("Médiathèque …", "France services de …").
/// Two places whose names announce different kinds are two structures, even in one building.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Categorie {
    Aucune,
    FranceServices,
    Mairie,
    Bibliotheque,
    Ccas,
    CentreSocial,
    Mjc,
    Epn,
    Poste,
    MissionLocale,
    FranceTravail,
    Caf,
    Cpam,
    Msa,
    Pimms,
    MaisonQuartier,
    TiersLieu,
    Epci,
    Departement,
    InformationJeunesse,
    Tourisme,
    Prefecture,
    Enseignement,
    CroixRouge,
    Carsat,
}

impl Categorie {
    /// Whether one of the two is France services and the other a kind of structure that
    /// commonly hosts one (mairie, intercommunality, La Poste, Département, MSA, PIMMS): the
    /// same counter is often listed under the host's name.
    pub fn heberge_france_services(self, autre: Categorie) -> bool {
        use Categorie::*;
        let hote = |c: Categorie| matches!(c, Mairie | Epci | Poste | Departement | Msa | Pimms);
        (self == FranceServices && hote(autre)) || (autre == FranceServices && hote(self))
    }

    /// French label, for explanations.
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Aucune => "aucune",
            Self::FranceServices => "France services",
            Self::Mairie => "mairie",
            Self::Bibliotheque => "bibliothèque / médiathèque",
            Self::Ccas => "CCAS / CIAS",
            Self::CentreSocial => "centre social",
            Self::Mjc => "MJC",
            Self::Epn => "espace public numérique",
            Self::Poste => "La Poste",
            Self::MissionLocale => "mission locale",
            Self::FranceTravail => "France Travail",
            Self::Caf => "CAF",
            Self::Cpam => "CPAM",
            Self::Msa => "MSA",
            Self::Pimms => "PIMMS",
            Self::MaisonQuartier => "maison de quartier",
            Self::TiersLieu => "tiers-lieu",
            Self::Epci => "intercommunalité",
            Self::Departement => "Département",
            Self::InformationJeunesse => "information jeunesse",
            Self::Tourisme => "office de tourisme",
            Self::Prefecture => "préfecture",
            Self::Enseignement => "établissement scolaire",
            Self::CroixRouge => "Croix-Rouge",
            Self::Carsat => "Carsat",
        }
    }
}

/// What a phrase of a name means.
#[derive(Clone, Copy)]
enum Sens {
    /// Announces a kind of structure; removed from the distinctive words.
    Categorie(Categorie),
    /// A bus, a van: an itinerant service; removed.
    Itinerant,
}

/// Phrases of names (normalised words), longest first within a starting word.
const PHRASES: &[(&str, Sens)] = {
    use Categorie::*;
    use Sens::Categorie as C;
    &[
        ("maison france services", C(FranceServices)),
        ("maison france service", C(FranceServices)),
        ("espace france services", C(FranceServices)),
        ("point france services", C(FranceServices)),
        ("france services itinerante", Sens::Itinerant),
        ("france services", C(FranceServices)),
        ("france service", C(FranceServices)),
        ("franceservices", C(FranceServices)),
        ("maison de services au public", C(FranceServices)),
        ("maison de service au public", C(FranceServices)),
        ("maison des services au public", C(FranceServices)),
        ("maison de services publics", C(FranceServices)),
        ("maison des services publics", C(FranceServices)),
        ("maison de services", C(FranceServices)),
        ("relais services publics", C(FranceServices)),
        ("relais de services publics", C(FranceServices)),
        ("msap", C(FranceServices)),
        ("rsp", C(FranceServices)),
        ("hotel de ville", C(Mairie)),
        ("mairie annexe", C(Mairie)),
        ("mairie", C(Mairie)),
        ("municipalite", C(Mairie)),
        ("ville", C(Mairie)),
        ("commune", C(Mairie)),
        ("reseau des mediatheques", C(Bibliotheque)),
        ("bibliotheque municipale", C(Bibliotheque)),
        ("bibliotheque", C(Bibliotheque)),
        ("bibliotheques", C(Bibliotheque)),
        ("mediatheque", C(Bibliotheque)),
        ("mediatheques", C(Bibliotheque)),
        ("medialudotheque", C(Bibliotheque)),
        ("bm", C(Bibliotheque)),
        ("centre communal d action sociale", C(Ccas)),
        ("centre intercommunal d action sociale", C(Ccas)),
        ("ccas", C(Ccas)),
        ("cias", C(Ccas)),
        ("centre socio culturel", C(CentreSocial)),
        ("centre socioculturel", C(CentreSocial)),
        ("centre social et culturel", C(CentreSocial)),
        ("centre social", C(CentreSocial)),
        ("centres sociaux", C(CentreSocial)),
        ("espace de vie sociale", C(CentreSocial)),
        ("evs", C(CentreSocial)),
        ("csc", C(CentreSocial)),
        ("maison des jeunes et de la culture", C(Mjc)),
        ("mjc", C(Mjc)),
        ("espace public numerique", C(Epn)),
        ("espaces publics numeriques", C(Epn)),
        ("espace numerique", C(Epn)),
        ("espace multimedia", C(Epn)),
        ("epn", C(Epn)),
        ("cyber base", C(Epn)),
        ("cyberbase", C(Epn)),
        ("cyber centre", C(Epn)),
        ("cybercentre", C(Epn)),
        ("la poste", C(Poste)),
        ("bureau de poste", C(Poste)),
        ("agence postale communale", C(Poste)),
        ("agence postale", C(Poste)),
        ("mission locale", C(MissionLocale)),
        ("pole emploi", C(FranceTravail)),
        ("france travail", C(FranceTravail)),
        ("caisse d allocations familiales", C(Caf)),
        ("caf", C(Caf)),
        ("caisse primaire d assurance maladie", C(Cpam)),
        ("cpam", C(Cpam)),
        ("msa", C(Msa)),
        ("point information mediation multi services", C(Pimms)),
        ("pimms", C(Pimms)),
        ("maison de quartier", C(MaisonQuartier)),
        ("maison pour tous", C(MaisonQuartier)),
        ("maisons pour tous", C(MaisonQuartier)),
        ("maison du quartier", C(MaisonQuartier)),
        ("maisons de quartier", C(MaisonQuartier)),
        ("tiers lieu", C(TiersLieu)),
        ("tiers lieux", C(TiersLieu)),
        ("fab lab", C(TiersLieu)),
        ("fablab", C(TiersLieu)),
        ("coworking", C(TiersLieu)),
        ("communaute de communes", C(Epci)),
        ("communaute d agglomeration", C(Epci)),
        ("communaute urbaine", C(Epci)),
        ("agglomeration", C(Epci)),
        ("metropole", C(Epci)),
        ("cc", C(Epci)),
        ("conseil departemental", C(Departement)),
        ("maison departementale des solidarites", C(Departement)),
        ("maison departementale", C(Departement)),
        ("departement", C(Departement)),
        ("mds", C(Departement)),
        ("mdsi", C(Departement)),
        ("utpas", C(Departement)),
        ("cdas", C(Departement)),
        ("point information jeunesse", C(InformationJeunesse)),
        ("bureau information jeunesse", C(InformationJeunesse)),
        ("pij", C(InformationJeunesse)),
        ("bij", C(InformationJeunesse)),
        ("crij", C(InformationJeunesse)),
        ("office de tourisme", C(Tourisme)),
        ("office du tourisme", C(Tourisme)),
        ("office du pays touristique", C(Tourisme)),
        ("sous prefecture", C(Prefecture)),
        ("prefecture", C(Prefecture)),
        ("groupe scolaire", C(Enseignement)),
        ("ecole", C(Enseignement)),
        ("college", C(Enseignement)),
        ("lycee", C(Enseignement)),
        ("universite", C(Enseignement)),
        ("croix rouge", C(CroixRouge)),
        ("carsat", C(Carsat)),
        ("bus", Sens::Itinerant),
        ("b bus", Sens::Itinerant),
        ("camion", Sens::Itinerant),
        ("itinerant", Sens::Itinerant),
        ("itinerante", Sens::Itinerant),
        ("itinerance", Sens::Itinerant),
        ("minibus", Sens::Itinerant),
        ("fourgon", Sens::Itinerant),
        ("caravane", Sens::Itinerant),
        ("cyberbus", Sens::Itinerant),
        ("numeribus", Sens::Itinerant),
        ("mediabus", Sens::Itinerant),
        ("bibliobus", Sens::Itinerant),
    ]
};

/// Words that say nothing about which place it is: articles, prepositions and generic
/// nouns of the field ("espace", "numérique", "association"…).
const MOTS_VIDES: &[&str] = &[
    "le",
    "la",
    "les",
    "l",
    "de",
    "du",
    "des",
    "d",
    "et",
    "en",
    "a",
    "au",
    "aux",
    "sur",
    "sous",
    "un",
    "une",
    "pour",
    "par",
    "dans",
    "chez",
    "avec",
    "the",
    "espace",
    "maison",
    "centre",
    "point",
    "accueil",
    "service",
    "services",
    "public",
    "publique",
    "publics",
    "numerique",
    "numeriques",
    "association",
    "asso",
    "site",
    "permanence",
    "agence",
    "bureau",
    "local",
    "locale",
    "municipal",
    "municipale",
    "communal",
    "communale",
    "intercommunal",
    "intercommunale",
    "pole",
    "relais",
    "lieu",
    "fixe",
    "principal",
    "siege",
    "cnfs",
    "conseiller",
    "conseillers",
    "conseillere",
    "mediation",
    "mediateur",
    "aide",
    "aidant",
    "aidants",
    "connect",
    "inclusion",
    "atelier",
    "ateliers",
    "salle",
    "multi",
    "france",
];

/// Kinds of streets, after abbreviations are expanded.
const TYPES_VOIE: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "place",
    "chemin",
    "route",
    "allee",
    "allees",
    "impasse",
    "square",
    "cours",
    "quai",
    "passage",
    "faubourg",
    "promenade",
    "residence",
    "lotissement",
    "hameau",
    "esplanade",
    "rond",
    "sentier",
    "parvis",
    "mail",
    "cite",
    "voie",
    "villa",
    "zone",
    "za",
    "zi",
    "zac",
    "zae",
    "parc",
    "galerie",
    "ruelle",
    "venelle",
    "traverse",
    "montee",
    "clos",
    "domaine",
    "quartier",
    "carrefour",
    "lieudit",
    "rocade",
    "cour",
];

/// Abbreviations of addresses (one word each), expanded before comparison.
const ABREVIATIONS: &[(&str, &str)] = &[
    ("av", "avenue"),
    ("ave", "avenue"),
    ("aven", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("blvd", "boulevard"),
    ("bvd", "boulevard"),
    ("boul", "boulevard"),
    ("pl", "place"),
    ("plc", "place"),
    ("r", "rue"),
    ("rte", "route"),
    ("ch", "chemin"),
    ("che", "chemin"),
    ("chem", "chemin"),
    ("imp", "impasse"),
    ("all", "allee"),
    ("al", "allee"),
    ("sq", "square"),
    ("crs", "cours"),
    ("fg", "faubourg"),
    ("fbg", "faubourg"),
    ("faub", "faubourg"),
    ("qu", "quai"),
    ("qua", "quai"),
    ("pass", "passage"),
    ("psg", "passage"),
    ("prom", "promenade"),
    ("res", "residence"),
    ("resid", "residence"),
    ("lot", "lotissement"),
    ("ham", "hameau"),
    ("esp", "esplanade"),
    ("espl", "esplanade"),
    ("rpt", "rond"),
    ("st", "saint"),
    ("ste", "sainte"),
    ("gal", "general"),
    ("gen", "general"),
    ("gl", "general"),
    ("mal", "marechal"),
    ("mar", "marechal"),
    ("pdt", "president"),
    ("pres", "president"),
    ("dr", "docteur"),
    ("doct", "docteur"),
    ("prof", "professeur"),
    ("cdt", "commandant"),
    ("cmdt", "commandant"),
    ("lt", "lieutenant"),
    ("cap", "capitaine"),
    ("mgr", "monseigneur"),
    ("ld", "lieudit"),
];

/// Words dropped from street names.
const MOTS_VIDES_VOIE: &[&str] = &[
    "de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en",
];

/// E-mail domains shared by unrelated structures (webmails, national networks): sharing one
/// says nothing.
const DOMAINES_GENERIQUES: &[&str] = &[
    "gmail.com",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "hotmail.fr",
    "hotmail.com",
    "yahoo.fr",
    "yahoo.com",
    "laposte.net",
    "sfr.fr",
    "outlook.fr",
    "outlook.com",
    "live.fr",
    "neuf.fr",
    "aol.com",
    "icloud.com",
    "gmx.fr",
    "club-internet.fr",
    "bbox.fr",
    "numericable.fr",
    "france-services.gouv.fr",
    "conseiller-numerique.fr",
    "laposte.fr",
    "msa.fr",
    "caf.fr",
    "assurance-maladie.fr",
    "pole-emploi.fr",
    "francetravail.fr",
    "pimms.org",
    "croix-rouge.fr",
    "emmaus-connect.org",
    "mairie.fr",
];

/// A parsed address: house number(s) and street words.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdresseNormalisee {
    /// House number, or range `5-9` given as (5, 9). `None` when the address has none.
    pub numero: Option<(u32, u32)>,
    /// The street's name without its kind ("rue", "avenue") nor articles: `"jean jaures"`.
    /// Empty when nothing usable was found. Inline when short ([`TexteCourt`]).
    pub voie: TexteCourt,
}

/// Lookup tables built once from the lists above.
struct Tables {
    /// Phrases by first word: (all words, meaning), longest first.
    phrases: HashMap<&'static str, Vec<(Vec<&'static str>, Sens)>>,
    mots_vides: HashSet<&'static str>,
    types_voie: HashSet<&'static str>,
    abreviations: HashMap<&'static str, &'static str>,
    mots_vides_voie: HashSet<&'static str>,
    domaines_generiques: HashSet<&'static str>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut phrases: HashMap<&'static str, Vec<(Vec<&'static str>, Sens)>> = HashMap::new();
        for (phrase, sens) in PHRASES {
            let words: Vec<&'static str> = phrase.split(' ').collect();
            phrases.entry(words[0]).or_default().push((words, *sens));
        }
        for v in phrases.values_mut() {
            v.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        }
        Tables {
            phrases,
            mots_vides: MOTS_VIDES.iter().copied().collect(),
            types_voie: TYPES_VOIE.iter().copied().collect(),
            abreviations: ABREVIATIONS.iter().copied().collect(),
            mots_vides_voie: MOTS_VIDES_VOIE.iter().copied().collect(),
            domaines_generiques: DOMAINES_GENERIQUES.iter().copied().collect(),
        }
    })
}

/// Expands one normalised word of an address.
fn developper(mot: &str) -> &str {
    tables().abreviations.get(mot).copied().unwrap_or(mot)
}

fn est_type_voie(mot: &str) -> bool {
    tables().types_voie.contains(mot)
}

fn nombre(mot: &str) -> Option<u32> {
    if mot.is_empty() || mot.len() > 5 || !mot.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    mot.parse().ok()
}

/// A house number possibly glued to its suffix: `"12"`, `"12bis"`, `"12b"`.
fn numero_colle(mot: &str) -> Option<u32> {
    let chiffres: String = mot.chars().take_while(char::is_ascii_digit).collect();
    let reste = &mot[chiffres.len()..];
    if chiffres.is_empty() || chiffres.len() > 4 {
        return None;
    }
    if reste.is_empty() || ["bis", "ter", "quater", "b", "t", "a", "c"].contains(&reste) {
        chiffres.parse().ok()
    } else {
        None
    }
}

const SUFFIXES: &[&str] = &["bis", "ter", "quater", "b", "t", "a", "c"];

/// Parses an address such as `"5-9 Rue des Papetiers"`, `"12 BIS AV. J. Jaurès"`,
/// `"Mairie, 2 pl de la Mairie"`, `"PL ROGER SALENGRO"`.
pub fn adresse(brut: &str) -> AdresseNormalisee {
    let n = normaliser(brut);
    let mut toks: Vec<&str> = Vec::new();
    let bruts: Vec<&str> = mots(&n).map(developper).collect();
    let mut k = 0;
    while k < bruts.len() {
        // "Grand Rue", "Grande Rue", "Grand'Place": the kind of street is the name.
        if matches!(bruts[k], "grand" | "grande")
            && matches!(bruts.get(k + 1), Some(&"rue") | Some(&"place"))
        {
            toks.push(if bruts[k + 1] == "rue" {
                "granderue"
            } else {
                "grandplace"
            });
            k += 2;
            continue;
        }
        toks.push(bruts[k]);
        k += 1;
    }
    // Cut at a postal code, "cedex", "bp 12" or "cs 12": what follows is not the street.
    if let Some(fin) = toks.iter().enumerate().position(|(i, t)| {
        (t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit()))
            || *t == "cedex"
            || ((*t == "bp" || *t == "cs") && toks.get(i + 1).is_some_and(|s| nombre(s).is_some()))
    }) {
        toks.truncate(fin);
    }
    // Where the street starts: a kind of street right after a number, else the first kind
    // of street, else after a leading number, else the whole text.
    let mut debut_voie = None;
    let mut numero = None;
    for i in 0..toks.len() {
        if !est_type_voie(toks[i]) {
            continue;
        }
        // Walk back over a suffix and up to two numbers (a range "5 9").
        let mut j = i;
        if j > 0 && SUFFIXES.contains(&toks[j - 1]) && j >= 2 && nombre(toks[j - 2]).is_some() {
            j -= 1;
        }
        let mut nums = Vec::new();
        while j > 0 && nums.len() < 2 {
            match nombre(toks[j - 1]).or_else(|| numero_colle(toks[j - 1])) {
                Some(v) => {
                    nums.push(v);
                    j -= 1;
                }
                None => break,
            }
        }
        if !nums.is_empty() {
            nums.reverse();
            let lo = nums[0];
            let hi = *nums.last().unwrap_or(&lo);
            numero = Some(if hi >= lo && hi - lo <= 40 {
                (lo, hi)
            } else {
                (lo, lo)
            });
            debut_voie = Some(i);
            break;
        }
        if debut_voie.is_none() {
            debut_voie = Some(i);
        }
    }
    if numero.is_none() {
        // A leading number without a kind of street: "12 grande rue" has one, "3 les
        // tilleuls" too.
        if let Some(v) = toks
            .first()
            .and_then(|t| nombre(t).or_else(|| numero_colle(t)))
        {
            numero = Some((v, v));
            if debut_voie.is_none() {
                let mut k = 1;
                if toks.get(1).is_some_and(|s| SUFFIXES.contains(s)) {
                    k = 2;
                }
                debut_voie = Some(k);
            }
        }
    }
    let debut = debut_voie.unwrap_or(0).min(toks.len());
    let nom: Vec<&str> = toks[debut..]
        .iter()
        .copied()
        .filter(|t| !est_type_voie(t) && !tables().mots_vides_voie.contains(*t))
        .filter(|t| nombre(t).is_none() || t.len() <= 3)
        .collect();
    let voie = if nom.is_empty() {
        // "Grand Place", "Place": keep the kind of street as the name.
        toks.iter()
            .copied()
            .filter(|t| !tables().mots_vides_voie.contains(*t) && nombre(t).is_none())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        nom.join(" ")
    };
    AdresseNormalisee {
        numero,
        voie: TexteCourt::nouveau(&voie),
    }
}

/// A name reduced for comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NomNormalise {
    /// Words that remain once the kind of structure, the itinerant marks and the empty words
    /// are removed, in order, joined by spaces. Inline when short ([`TexteCourt`]).
    pub coeur: TexteCourt,
    pub categorie: Option<Categorie>,
    /// The name announces a bus or another itinerant service.
    pub itinerant: bool,
}

/// Reduces a name: `"Maison France Services de Saint-Trivier"` → core `"saint trivier"`,
/// kind France services.
pub fn nom(brut: &str) -> NomNormalise {
    let n = normaliser(brut);
    let toks: Vec<&str> = mots(&n).collect();
    let mut garde: Vec<&str> = Vec::with_capacity(toks.len());
    let mut categorie: Option<Categorie> = None;
    let mut itinerant = false;
    let mut i = 0;
    while i < toks.len() {
        let t = tables();
        let trouve = t.phrases.get(toks[i]).and_then(|candidates| {
            candidates.iter().find_map(|(words, sens)| {
                let longueur = words.len();
                (i + longueur <= toks.len() && words.iter().zip(&toks[i..]).all(|(p, t)| p == t))
                    .then_some((longueur, *sens))
            })
        });
        match trouve {
            Some((longueur, sens)) => {
                match sens {
                    Sens::Categorie(c) => {
                        // France services wins over the host structure ("France services
                        // La Poste de …", "France services – mairie de …"); otherwise the
                        // first kind named is the place's.
                        if categorie.is_none() || c == Categorie::FranceServices {
                            categorie = Some(c);
                        }
                    }
                    Sens::Itinerant => itinerant = true,
                }
                i += longueur;
            }
            None => {
                if !t.mots_vides.contains(toks[i]) {
                    garde.push(toks[i]);
                }
                i += 1;
            }
        }
    }
    if itinerant && categorie.is_none() && n.contains("france services") {
        categorie = Some(Categorie::FranceServices);
    }
    NomNormalise {
        coeur: TexteCourt::nouveau(&garde.join(" ")),
        categorie,
        itinerant,
    }
}

/// Stable 64-bit FNV-1a hash: keys must not depend on the run.
pub fn hacher(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, p) in parts.iter().enumerate() {
        if k > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A commune's INSEE code folded so that the arrondissements of Paris, Lyon and Marseille
/// are their city.
pub fn insee_ville(code: &str) -> String {
    let n: Option<u32> = code.parse().ok();
    match n {
        Some(75101..=75120) => "75056".into(),
        Some(69381..=69389) => "69123".into(),
        Some(13201..=13216) => "13055".into(),
        _ => code.to_string(),
    }
}

/// A source name reduced to compare it with the origin written inside an id
/// (`"conseillers-numeriques"` ~ `"conseiller-numerique"`): normalised, each word without a
/// final `s`, glued.
pub fn origine(source: &str) -> String {
    let n = normaliser(source);
    mots(&n).map(|m| m.strip_suffix('s').unwrap_or(m)).collect()
}

/// Marker of ids built by aggregators from another file's id:
/// `"{id}-mediation-numerique-{source}"` (mednum tools, Hauts-de-France).
pub const MARQUE_REPRISE: &str = "-mediation-numerique-";

/// What many records have in common, held once per distinct value ([`Memo`]) and shared
/// by pointer: the normalised commune name and the typology set.
#[derive(Debug, PartialEq, Eq)]
pub struct Partage {
    /// Normalised commune name, to tell names made only of the commune's name.
    commune: Box<str>,
    /// Bit set of the typologies ([`typologies`]), as two words (no 16-byte alignment).
    typologies: [u64; 2],
}

/// Everything compared of one record, computed once. Kept small (176 bytes, and at most
/// three heap blocks of its own: a name core or street over 22 bytes, e-mails): two million of them are alive at once in the re-merge
/// of a 1 GB file.
#[derive(Clone, Debug)]
pub struct Empreinte {
    pub nom: NomNormalise,
    /// Commune name and typologies, shared with the records that have the same.
    partage: Arc<Partage>,
    pub adresse: AdresseNormalisee,
    /// E-mails then domains: `n_courriels` hashes of lowercased e-mails, each with, in its
    /// low 16 bits, how many records of the corpus carry it; then the hashes of the
    /// e-mails' domains (generic domains excluded).
    contacts: Box<[u64]>,
    /// (latitude, longitude) if the point is not a commune centroid filled in (single
    /// precision: better than a metre); NaN when none (4 bytes less than an `Option`).
    point: (f32, f32),
    /// SIRET, RNA: see [`Empreinte::pivot`]; 0 when none.
    pivot: u64,
    /// Phone as a number (0 when none).
    telephone: u64,
    /// Key of the record this one was copied from (`id` with [`MARQUE_REPRISE`]); 0 when
    /// none.
    reprise_de: u64,
    /// Keys under which a copied record names this one ([`cles_propres`]), so that the
    /// `reprise` check needs only the fingerprints.
    cles_propres: [u64; 2],
    /// Postal code as a number.
    pub code_postal: u32,
    /// Hash of the record's source, to know whether two records describe their services
    /// with the same vocabulary.
    pub source: u32,
    /// How many records of the corpus carry the same SIRET / phone (1 when computed for a
    /// lone pair). Shared by many, a value is weak evidence.
    pub freq_siret: u32,
    pub freq_telephone: u32,
    /// INSEE code folded to the city (arrondissements), if known.
    pub insee: Option<[u8; 5]>,
    pub services: u16,
    n_courriels: u8,
    /// Whether the place is itinerant (field or name).
    pub itinerant: bool,
    /// Whether the record carries the France Services label: the national programme in
    /// `dispositif_programmes_nationaux` (v0 `labels_nationaux`), or the typology of the
    /// France Services network (RFS, MSAP). A conseiller numérique's record takes the label
    /// when its conseiller works at a France Services counter.
    pub label_france_services: bool,
}

// The size the comment above promises, on 64-bit targets.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Empreinte>() <= 176);

const MARQUE_SIRET: u64 = 1 << 62;
const MARQUE_RNA: u64 = 2 << 62;
const MASQUE_FREQ: u64 = 0xFFFF;

impl Empreinte {
    pub fn point(&self) -> Option<(f64, f64)> {
        let (a, b) = self.point;
        (!a.is_nan()).then(|| (f64::from(a), f64::from(b)))
    }

    /// Normalised commune name.
    pub fn commune(&self) -> &str {
        &self.partage.commune
    }

    /// Whether two records have the same commune name (by pointer first: most pairs share
    /// it).
    pub fn meme_commune(&self, autre: &Empreinte) -> bool {
        Arc::ptr_eq(&self.partage, &autre.partage) || self.partage.commune == autre.partage.commune
    }

    pub fn pivot(&self) -> PivotCle {
        match self.pivot & (3 << 62) {
            MARQUE_SIRET => PivotCle::Siret(self.pivot & !(3 << 62)),
            MARQUE_RNA => PivotCle::Rna(self.pivot & !(3 << 62)),
            _ => PivotCle::Aucun,
        }
    }

    pub fn telephone(&self) -> Option<u64> {
        (self.telephone != 0).then_some(self.telephone)
    }

    pub fn reprise_de(&self) -> Option<u64> {
        (self.reprise_de != 0).then_some(self.reprise_de)
    }

    /// The keys under which a copied record names this one (see [`cles_propres`]).
    pub fn cles_propres(&self) -> [u64; 2] {
        self.cles_propres
    }

    /// Bit set of the typologies (see [`typologies`]).
    pub fn typologies(&self) -> u128 {
        let t = &self.partage.typologies;
        u128::from(t[0]) | (u128::from(t[1]) << 64)
    }

    /// E-mails: (hash, how many records carry it).
    pub fn courriels(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.contacts[..usize::from(self.n_courriels)]
            .iter()
            .map(|c| (c & !MASQUE_FREQ, (c & MASQUE_FREQ) as u32))
    }

    pub fn a_courriels(&self) -> bool {
        self.n_courriels > 0
    }

    pub fn domaines(&self) -> &[u64] {
        &self.contacts[usize::from(self.n_courriels)..]
    }

    /// Records how many records carry the e-mail of hash `h`.
    pub fn noter_frequence_courriel(&mut self, h: u64, n: u32) {
        let n = u64::from(n.min(MASQUE_FREQ as u32));
        for c in self.contacts[..usize::from(self.n_courriels)].iter_mut() {
            if *c & !MASQUE_FREQ == h {
                *c = h | n;
            }
        }
    }
}

/// SIRET / RNA as numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PivotCle {
    Aucun,
    Siret(u64),
    Rna(u64),
}

impl PivotCle {
    pub fn siren(self) -> Option<u64> {
        match self {
            Self::Siret(s) => Some(s / 100_000),
            _ => None,
        }
    }
}

fn cle_telephone(t: &str) -> Option<u64> {
    // "+33450568749" → 133450568749 (the leading 1 keeps the prefix length).
    let mut v: u64 = 1;
    let mut n = 0;
    for b in t.bytes().filter(u8::is_ascii_digit) {
        n += 1;
        if n > 17 {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    (n > 0).then_some(v)
}

/// Postal code as a number (`"01200"` → 1200).
pub fn code_num(cp: &str) -> u32 {
    cp.bytes().take(5).fold(0u32, |acc, b| {
        acc * 10 + u32::from(b.wrapping_sub(b'0') % 10)
    })
}

/// Memo of values shared by many records (commune names, source origins), to normalise each
/// once.
#[derive(Default)]
pub struct Memo {
    /// By typology set, then by commune name as given.
    partages: HashMap<u128, HashMap<String, Arc<Partage>>>,
    origines: HashMap<String, String>,
}

impl Memo {
    /// The shared part of a record of commune `brut` (name as given) and typologies `bits`.
    fn partage(&mut self, brut: &str, bits: u128) -> Arc<Partage> {
        let par_commune = self.partages.entry(bits).or_default();
        if let Some(p) = par_commune.get(brut) {
            return Arc::clone(p);
        }
        let p = Arc::new(Partage {
            commune: normaliser(brut).into_boxed_str(),
            typologies: [bits as u64, (bits >> 64) as u64],
        });
        par_commune.insert(brut.to_string(), Arc::clone(&p));
        p
    }

    fn origine(&mut self, source: &str) -> &str {
        if !self.origines.contains_key(source) {
            self.origines.insert(source.to_string(), origine(source));
        }
        self.origines.get(source).map(String::as_str).unwrap_or("")
    }
}

/// Computes the fingerprint of a record (frequencies set to 1).
pub fn empreinte(ls: &LieuSource) -> Empreinte {
    empreinte_avec(ls, &mut Memo::default())
}

/// [`empreinte`] with a memo shared over many records.
pub fn empreinte_avec(ls: &LieuSource, memo: &mut Memo) -> Empreinte {
    let l = &ls.lieu;
    let mut nom = nom(&l.nom);
    // A record of the France services network (its source says so) is a France services,
    // whatever its name ("Fixe Bruay-sur-l'Escaut (Département du Nord)").
    if l.typologie
        .iter()
        .any(|t| matches!(t, Typologie::Rfs | Typologie::Msap))
    {
        nom.categorie = Some(Categorie::FranceServices);
    }
    let itinerant = nom.itinerant || l.itinerance.contains(&Itinerance::Itinerant);
    let point = l
        .localisation
        .filter(|p| !p.approximative)
        .map_or((f32::NAN, f32::NAN), |p| {
            (p.latitude as f32, p.longitude as f32)
        });
    let pivot = match &l.pivot {
        Pivot::Siret(s) => s.as_str().parse::<u64>().map_or(0, |v| v | MARQUE_SIRET),
        Pivot::Rna(r) => (hacher(&[r.as_str().as_bytes()]) >> 2) | MARQUE_RNA,
        Pivot::Absent => 0,
    };
    let mut courriels: Vec<u64> = Vec::new();
    let mut domaines: Vec<u64> = Vec::new();
    for c in &l.courriels {
        let c = c.trim().to_lowercase();
        if c.is_empty() {
            continue;
        }
        let h = hacher(&[c.as_bytes()]) & !MASQUE_FREQ;
        if !courriels.iter().any(|x| *x & !MASQUE_FREQ == h) && courriels.len() < 255 {
            courriels.push(h | 1);
        }
        if let Some((_, d)) = c.rsplit_once('@') {
            let generique = tables().domaines_generiques.contains(d)
                || d.ends_with(".gouv.fr")
                || d.starts_with("mairie-")
                || d.contains("france-services");
            let h = hacher(&[d.as_bytes()]);
            if !generique && !domaines.contains(&h) {
                domaines.push(h);
            }
        }
    }
    let n_courriels = courriels.len() as u8;
    courriels.extend(domaines);
    let mut services = 0u16;
    for s in &l.services {
        if let Some(k) = Service::ALL.iter().position(|x| x == s) {
            services |= 1 << k;
        }
    }
    let reprise_de =
        l.id.split_once(MARQUE_REPRISE)
            .and_then(|(base, orig)| {
                let o = origine(orig);
                (!base.is_empty() && !o.is_empty())
                    .then(|| hacher(&[o.as_bytes(), base.as_bytes()]).max(1))
            })
            .unwrap_or(0);
    let insee = l.code_insee.as_ref().and_then(|c| {
        let v = insee_ville(c.as_str());
        v.as_bytes().try_into().ok()
    });
    let bits = typologies(l);
    let label_france_services = l
        .dispositif_programmes_nationaux
        .contains(&DispositifProgrammeNational::FranceServices)
        || l.typologie
            .iter()
            .any(|t| matches!(t, Typologie::Rfs | Typologie::Msap));
    Empreinte {
        nom,
        partage: memo.partage(&l.commune, bits),
        adresse: adresse(&l.adresse),
        contacts: courriels.into_boxed_slice(),
        point,
        pivot,
        telephone: l
            .telephone
            .as_ref()
            .and_then(|t| cle_telephone(t.as_str()))
            .unwrap_or(0),
        reprise_de,
        cles_propres: cles_propres(ls, memo),
        code_postal: code_num(l.code_postal.as_str()),
        source: hacher(&[ls.source.as_bytes()]) as u32,
        freq_siret: 1,
        freq_telephone: 1,
        insee,
        services,
        n_courriels,
        itinerant,
        label_france_services,
    }
}

/// Keys under which other records may name this one in their id (`{id}-mediation-numerique-
/// {source}`): with the import's source name and with the record's own `source` field.
pub fn cles_propres(ls: &LieuSource, memo: &mut Memo) -> [u64; 2] {
    let l = &ls.lieu;
    let cle_source = hacher(&[memo.origine(&ls.source).as_bytes(), l.id.as_bytes()]).max(1);
    let cle_interne = match l.source.as_deref() {
        Some(s) => hacher(&[memo.origine(s).as_bytes(), l.id.as_bytes()]).max(1),
        None => 0,
    };
    [cle_source, cle_interne]
}

/// Bit set of the typologies of a place.
pub fn typologies(l: &Lieu) -> u128 {
    l.typologie
        .iter()
        .fold(0u128, |acc, t| acc | 1u128 << (*t as u32 & 127))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn france_services_name_patterns() {
        for n in [
            "France services de Valserhône",
            "France Services Valserhône",
            "Maison France Services Valserhône",
            "MSAP de Valserhône",
            "Maison de services au public de Valserhône",
            "Espace France Services - Valserhône",
        ] {
            let r = nom(n);
            assert_eq!(&*r.coeur, "valserhone", "{n}");
            assert_eq!(r.categorie, Some(Categorie::FranceServices), "{n}");
            assert!(!r.itinerant, "{n}");
        }
        let bus = nom("Bus France services Thiérache Sambre et Oise");
        assert!(bus.itinerant);
        assert_eq!(bus.categorie, Some(Categorie::FranceServices));
        assert_eq!(&*bus.coeur, "thierache sambre oise");
        let poste = nom("France Services La Poste de Laplume");
        assert_eq!(poste.categorie, Some(Categorie::FranceServices));
        assert_eq!(&*poste.coeur, "laplume");
    }

    #[test]
    fn other_kinds_and_empty_words() {
        let m = nom("Médiathèque Jean Moulin");
        assert_eq!(
            (m.categorie, m.coeur.as_ref()),
            (Some(Categorie::Bibliotheque), "jean moulin")
        );
        let c = nom("Centre social et culturel Les Tilleuls");
        assert_eq!(
            (c.categorie, c.coeur.as_ref()),
            (Some(Categorie::CentreSocial), "tilleuls")
        );
        let e = nom("Espace Public Numérique d'Aix les Bains");
        assert_eq!(
            (e.categorie, e.coeur.as_ref()),
            (Some(Categorie::Epn), "aix bains")
        );
        let a = nom("Association l'espoir (Groupe SOS)");
        assert_eq!((a.categorie, a.coeur.as_ref()), (None, "espoir groupe sos"));
    }

    #[test]
    fn addresses() {
        let a = adresse("5-9 Rue des Papetiers");
        assert_eq!(a.numero, Some((5, 9)));
        assert_eq!(&*a.voie, "papetiers");
        let b = adresse("12 BIS AV. Jean Jaurès");
        assert_eq!(b.numero, Some((12, 12)));
        assert_eq!(&*b.voie, "jean jaures");
        let c = adresse("Mairie, 2 pl de la Mairie");
        assert_eq!(c.numero, Some((2, 2)));
        assert_eq!(&*c.voie, "mairie");
        let d = adresse("PL ROGER SALENGRO");
        assert_eq!((d.numero, d.voie.as_ref()), (None, "roger salengro"));
        let e = adresse("Grand Place");
        assert_eq!((e.numero, e.voie.as_ref()), (None, "grandplace"));
        let f = adresse("4 AV DE SAINT MENET 13011 MARSEILLE");
        assert_eq!((f.numero, f.voie.as_ref()), (Some((4, 4)), "saint menet"));
        let g = adresse("333 AV. Victor Hugo BP 12");
        assert_eq!(
            (g.numero, g.voie.as_ref()),
            (Some((333, 333)), "victor hugo")
        );
        let h = adresse("12bis r. de la Paix");
        assert_eq!((h.numero, h.voie.as_ref()), (Some((12, 12)), "paix"));
        let i = adresse("Rue de Babylone");
        assert_eq!((i.numero, i.voie.as_ref()), (None, "babylone"));
        let k = adresse("19 Grand Rue - LA POSTE");
        assert_eq!(
            (k.numero, k.voie.as_ref()),
            (Some((19, 19)), "granderue poste")
        );
        let l = adresse("14 Grande rue");
        assert_eq!((l.numero, l.voie.as_ref()), (Some((14, 14)), "granderue"));
        let j = adresse("1050 rue/avenue François Mitterrand");
        assert_eq!(
            (j.numero, j.voie.as_ref()),
            (Some((1050, 1050)), "francois mitterrand")
        );
    }

    #[test]
    fn source_origins() {
        assert_eq!(
            origine("conseillers-numeriques"),
            origine("conseiller-numerique")
        );
        assert_eq!(origine("france-services"), "franceservice");
        assert_eq!(insee_ville("75111"), "75056");
        assert_eq!(insee_ville("69385"), "69123");
        assert_eq!(insee_ville("31555"), "31555");
    }
}
