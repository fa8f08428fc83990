//! What the pages show of a place, in plain French: distance, open now, a readable week,
//! freshness, links.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use maillage_annuaire::doublons::LieuFusionne;
use maillage_annuaire::recherche::{semaine, EtatOuverture, Moteur, Ouverture, ZoneHoraire};
use maillage_domain::{Lieu, Vocabulary};

pub const JOURS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
use maillage_domain::texte::MOIS;

/// Beyond this distance from the person, a place is far: the results stop there, and a
/// place farther away is only shown flagged as far (« loin de chez vous »).
pub const RAYON_LOCAL_KM: f64 = 50.0;

/// `350 m`, `1,2 km`, `23 km`.
pub fn distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", ((m / 10.0).round() * 10.0) as i64)
    } else if m < 10_000.0 {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    } else {
        format!("{} km", (m / 1000.0).round() as i64)
    }
}

/// `9 h`, `14 h 30`.
pub fn heure(minutes: u16) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m:02}")
    }
}

fn heure_de(t: NaiveDateTime) -> String {
    heure((t.hour() * 60 + t.minute()) as u16)
}

/// `23 novembre 2026`.
pub fn date_longue(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MOIS[d.month0() as usize], d.year())
}

/// Open or not, in words, and a class for the style (`ouvert`, `ferme`, `inconnu`).
pub fn ouverture(etat: EtatOuverture, maintenant: NaiveDateTime) -> (String, &'static str) {
    match etat {
        EtatOuverture::Ouvert { jusqu_a: Some(fin) } => {
            if fin.date() == maintenant.date() {
                (format!("Ouvert jusqu'à {}", heure_de(fin)), "ouvert")
            } else {
                ("Ouvert".into(), "ouvert")
            }
        }
        EtatOuverture::Ouvert { jusqu_a: None } => ("Ouvert 24 h sur 24".into(), "ouvert"),
        EtatOuverture::Ferme {
            prochaine_ouverture: Some(d),
        } => {
            let jours = (d.date() - maintenant.date()).num_days();
            let quand = match jours {
                0 => format!("aujourd'hui à {}", heure_de(d)),
                1 => format!("demain à {}", heure_de(d)),
                2..=6 => format!(
                    "{} à {}",
                    JOURS[d.weekday().num_days_from_monday() as usize],
                    heure_de(d)
                ),
                _ => format!("le {} à {}", date_longue(d.date()), heure_de(d)),
            };
            (format!("Fermé — ouvre {quand}"), "ferme")
        }
        EtatOuverture::Ferme {
            prochaine_ouverture: None,
        } => ("Fermé".into(), "ferme"),
        EtatOuverture::Inconnu => ("Horaires non renseignés".into(), "inconnu"),
    }
}

/// `de Lille`, `d'Aubusson`, `du Mans`, `des Sables-d'Olonne`: the preposition « de »
/// before a place name, elided before a vowel and contracted with the name's article. No
/// elision before an « h » (often aspirated in commune names: « de Hazebrouck »).
pub fn de(nom: &str) -> String {
    let nom = nom.trim();
    if let Some(reste) = nom.strip_prefix("Le ") {
        return format!("du {reste}");
    }
    if let Some(reste) = nom.strip_prefix("Les ") {
        return format!("des {reste}");
    }
    let voyelle = nom.chars().next().is_some_and(|c| {
        matches!(
            c.to_lowercase().next().unwrap_or(c),
            'a' | 'e'
                | 'i'
                | 'o'
                | 'u'
                | 'y'
                | 'à'
                | 'â'
                | 'ä'
                | 'é'
                | 'è'
                | 'ê'
                | 'ë'
                | 'î'
                | 'ï'
                | 'ô'
                | 'ö'
                | 'û'
                | 'ü'
                | 'ù'
                | 'œ'
                | 'æ'
        )
    });
    if voyelle {
        format!("d'{nom}")
    } else {
        format!("de {nom}")
    }
}

/// The word after a count shown as `affiche` (`0`, `1`, `12`, `1 234`): singular for 0 and
/// 1, as French has it (« 0 activité », « 1 activité », « 2 activités »).
pub fn accorde(affiche: &str, singulier: &'static str, pluriel: &'static str) -> &'static str {
    let chiffres: String = affiche.chars().filter(char::is_ascii_digit).collect();
    match chiffres.parse::<u64>() {
        Ok(0 | 1) => singulier,
        _ => pluriel,
    }
}

/// What kind of place it is, in words people use (the schema's codes, such as `RFS` or
/// `ASSO`, mean nothing to them).
pub fn typologie(t: maillage_domain::Typologie) -> &'static str {
    use maillage_domain::Typologie::*;
    match t {
        Aci | Aciphc => "chantier d'insertion",
        Afpa => "centre de formation pour adultes (AFPA)",
        Ai => "association intermédiaire (emploi)",
        Ase => "aide sociale à l'enfance",
        Asso => "association",
        AssoChomeur => "association de personnes sans emploi",
        Autre => "autre",
        Avip => "crèche pour parents en recherche d'emploi",
        Bib => "bibliothèque ou médiathèque",
        Caarud => "accueil et réduction des risques pour les usagers de drogues",
        Cada | Huda => "hébergement de demandeurs d'asile",
        Caf => "caisse d'allocations familiales (CAF)",
        CapEmploi => "Cap emploi (emploi et handicap)",
        Cava => "centre d'adaptation à la vie active",
        Cc => "communauté de communes",
        Ccas => "centre communal d'action sociale (CCAS)",
        Ccons => "chambre de commerce, de métiers ou d'agriculture",
        Cd | Dept => "conseil départemental",
        Cdas | Mds => "maison départementale des solidarités",
        Cfp => "centre des finances publiques (impôts)",
        Chrs => "centre d'hébergement et de réinsertion",
        Chu => "hébergement d'urgence",
        Cias => "centre intercommunal d'action sociale (CIAS)",
        Cidff => "information sur les droits des femmes et des familles",
        Citmet => "cité des métiers",
        Cmp => "centre médico-psychologique",
        Cms => "centre médico-social",
        Cpam => "caisse primaire d'assurance maladie (CPAM)",
        Cph => "hébergement de personnes réfugiées",
        Cs => "centre social",
        Csapa => "soins et prévention des addictions",
        Csc => "centre socioculturel",
        Deets => "services de l'État pour l'emploi et les solidarités",
        Diplp => "service de l'État contre la pauvreté",
        E2c => "école de la deuxième chance",
        Ea | Eatt => "entreprise adaptée (travailleurs handicapés)",
        Ei | Eiti | Etti => "entreprise d'insertion",
        Enm => "espace numérique mobile",
        Epci => "intercommunalité",
        Epi => "espace public internet",
        Epide => "établissement pour l'insertion dans l'emploi (EPIDE)",
        Epn => "espace public numérique",
        Es => "épicerie solidaire",
        Esat => "établissement d'aide par le travail (ESAT)",
        Ess => "entreprise de l'économie sociale et solidaire",
        Evs => "espace de vie sociale",
        Fablab => "atelier partagé (fablab)",
        Fabrique => "fabrique de territoire",
        Fais => "fédération d'acteurs de la solidarité",
        Ft => "France Travail",
        Geiq => "groupement d'employeurs pour l'insertion",
        LaPoste => "bureau de poste",
        Mde | Mdef => "maison de l'emploi",
        Mdh => "maison de l'habitat",
        Mdph => "maison départementale des personnes handicapées (MDPH)",
        Mjc => "maison des jeunes et de la culture (MJC)",
        Ml => "mission locale (jeunes de 16 à 25 ans)",
        Mq => "maison de quartier",
        Msa => "Mutualité sociale agricole (MSA)",
        Msap | Rfs => "France Services (guichet des services publics)",
        Muni => "mairie",
        Oacas => "organisme d'accueil communautaire et solidaire",
        Odc => "organisme agissant pour le département",
        Of => "organisme de formation",
        Oil => "aide à la location de logement",
        Opcs => "organisme de la clause sociale (emploi)",
        Pad => "point d'accès au droit",
        Pension => "pension de famille",
        Pi => "point d'information",
        PijBij => "point information jeunesse",
        Pimms => "point d'information et de médiation multi-services (PIMMS)",
        Pjj => "protection judiciaire de la jeunesse",
        Plie => "plan local pour l'insertion et l'emploi",
        Pref => "préfecture ou sous-préfecture",
        Prevention | Scp => "service de prévention",
        Reg => "région",
        RelaisLecture => "relais lecture",
        Ressourcerie => "ressourcerie (réemploi)",
        RsFjt => "résidence sociale ou foyer de jeunes travailleurs",
        Spip => "service d'insertion et de probation",
        TiersLieux => "tiers-lieu",
        Udaf => "union départementale des associations familiales (UDAF)",
    }
}

/// The kinds of a place, in words, without repeats: `France Services (guichet des services
/// publics), association`.
pub fn typologies(v: &[maillage_domain::Typologie]) -> String {
    let mut mots: Vec<&str> = Vec::new();
    for t in v {
        let m = typologie(*t);
        if !mots.contains(&m) {
            mots.push(m);
        }
    }
    let mut texte = mots.join(", ");
    if let Some(premiere) = texte.get(0..1) {
        let majuscule = premiere.to_uppercase();
        texte.replace_range(0..1, &majuscule);
    }
    texte
}

/// Where the place receives people, when it says: « Sur place », « Se déplace (permanences
/// ou bus itinérants) », or both. Nothing when the source says nothing.
pub fn accueil(v: &[maillage_domain::Itinerance]) -> Option<&'static str> {
    use maillage_domain::Itinerance::*;
    match (v.contains(&Fixe), v.contains(&Itinerant)) {
        (true, true) => Some("Sur place, et aussi en déplacement (permanences ou bus itinérants)"),
        (false, true) => {
            Some("En déplacement : permanences ou bus itinérants, appelez pour savoir où et quand")
        }
        (true, false) => Some("Sur place, à l'adresse ci-dessus"),
        (false, false) => None,
    }
}

/// Where the information of a place comes from, in words: the names of the directories of
/// `source` (`france-services|hinaura` → `Liste officielle des France Services ; Réseau Hinaura (Auvergne-Rhône-Alpes)`).
pub fn sources(source: &str) -> String {
    source
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "france-services" => "Liste officielle des France Services".to_string(),
            "conseillers-numeriques" => "Carte des conseillers numériques".to_string(),
            "hinaura" => "Réseau Hinaura (Auvergne-Rhône-Alpes)".to_string(),
            "hauts-de-france" => "Annuaire de la région Hauts-de-France".to_string(),
            "nouvelle-caledonie" => "Annuaire de Nouvelle-Calédonie".to_string(),
            "coop-numerique" | "coop" => "La Coop de la médiation numérique".to_string(),
            "data-inclusion" => "data·inclusion (annuaire national de l'inclusion)".to_string(),
            slug if slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') =>
            {
                format!("Annuaire « {} »", slug.replace(['-', '_'], " "))
            }
            nom => nom.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// `mises à jour il y a 14 mois`: the information of a place (« Informations … »).
pub fn fraicheur(date_maj: NaiveDate, aujourdhui: NaiveDate) -> String {
    let jours = (aujourdhui - date_maj).num_days();
    let mois = (aujourdhui.year() - date_maj.year()) * 12 + aujourdhui.month() as i32
        - date_maj.month() as i32
        - i32::from(aujourdhui.day() < date_maj.day());
    let quand = if jours <= 0 {
        "aujourd'hui".to_string()
    } else if jours == 1 {
        "hier".to_string()
    } else if jours < 31 || mois < 1 {
        format!("il y a {jours} jours")
    } else if mois < 24 {
        format!("il y a {mois} mois")
    } else {
        format!("il y a {} ans", mois / 12)
    };
    format!("mises à jour {quand} (le {})", date_longue(date_maj))
}

/// One row of the readable week.
#[derive(Clone, Debug)]
pub struct LigneSemaine {
    pub jour: String,
    pub horaires: String,
    pub aujourdhui: bool,
}

/// The week from the Monday of `aujourdhui`: `Lundi — 9 h – 12 h, 14 h – 17 h`.
pub fn semaine_lisible(
    brut: &str,
    zone: ZoneHoraire,
    aujourdhui: NaiveDate,
) -> Option<Vec<LigneSemaine>> {
    let lundi =
        aujourdhui - chrono::Duration::days(i64::from(aujourdhui.weekday().num_days_from_monday()));
    let jours = semaine(brut, zone, lundi)?;
    Some(
        jours
            .into_iter()
            .enumerate()
            .map(|(k, j)| {
                let mut jour = JOURS[k].to_string();
                if let Some(premiere) = jour.get_mut(0..1) {
                    premiere.make_ascii_uppercase();
                }
                let mut horaires = if j.plages.is_empty() {
                    "Fermé".to_string()
                } else if j.plages == [(0, 1440)] {
                    "Ouvert toute la journée".to_string()
                } else {
                    j.plages
                        .iter()
                        .map(|(a, b)| format!("{} – {}", heure(*a), heure(*b)))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if j.incertain {
                    horaires.push_str(" (à confirmer)");
                }
                if j.ferie {
                    horaires.push_str(" — jour férié");
                }
                LigneSemaine {
                    jour,
                    horaires,
                    aujourdhui: j.date == aujourdhui,
                }
            })
            .collect(),
    )
}

/// The hours of place `index` to show: the readable week, or, when the source's string is
/// not OSM syntax, that string as given (`None` for both when there are no hours).
pub fn horaires_du_lieu(
    moteur: &Moteur,
    index: usize,
    l: &Lieu,
    aujourdhui: NaiveDate,
) -> (Option<Vec<LigneSemaine>>, Option<String>) {
    let zone = moteur.zone(index).unwrap_or(ZoneHoraire::Metropole);
    let Some(h) = &l.horaires else {
        return (None, None);
    };
    match semaine_lisible(&h.brut, zone, aujourdhui) {
        Some(s) => (Some(s), None),
        None => (None, Some(h.brut.clone())),
    }
}

pub fn libelles<V: Vocabulary>(v: &[V]) -> Vec<&'static str> {
    v.iter().map(|x| x.label()).collect()
}

/// A result of the list, ready to show.
#[derive(Clone, Debug)]
pub struct Carte {
    pub id: String,
    pub nom: String,
    pub adresse: String,
    pub distance: Option<String>,
    pub ouverture: String,
    pub ouverture_classe: &'static str,
    pub services: Vec<&'static str>,
    pub frais: Vec<&'static str>,
    pub acces: Vec<&'static str>,
    pub accessibilite: Vec<&'static str>,
    pub telephone: Option<(String, String)>,
    pub itineraire: Option<String>,
    pub itinerant: bool,
    /// Farther than [`RAYON_LOCAL_KM`] from the person.
    pub loin: bool,
    /// Ticked for the orientation sheet (kept across pages).
    pub coche: bool,
}

/// `1 rue X, 59000 Lille`.
pub fn adresse(l: &Lieu) -> String {
    let mut a = l.adresse.clone();
    if let Some(c) = &l.complement_adresse {
        a.push_str(", ");
        a.push_str(c);
    }
    format!("{a}, {} {}", l.code_postal, l.commune)
}

/// Directions on OpenStreetMap to the place (walking by default; the page lets people
/// change the mode).
pub fn itineraire(l: &Lieu) -> Option<String> {
    let loc = l.localisation?;
    Some(format!(
        "https://www.openstreetmap.org/directions?route=%3B{:.5}%2C{:.5}#map=16/{:.5}/{:.5}",
        loc.latitude, loc.longitude, loc.latitude, loc.longitude
    ))
}

/// The hours of place `index` during the day or half-day the person chose
/// (`Samedi 28 novembre, matin : 9 h – 12 h`), rather than its next opening from now. `None`
/// for other choices, or hours that cannot be read.
pub fn ouverture_pendant(
    moteur: &Moteur,
    index: usize,
    l: &Lieu,
    choix: Ouverture,
) -> Option<(String, &'static str)> {
    let (date, debut, fin, moment) = match choix {
        Ouverture::Jour(date) => (date, 0, 1440, ""),
        Ouverture::Plage { date, debut, fin } => (
            date,
            debut,
            fin,
            if debut == 0 {
                ", matin"
            } else {
                ", après-midi"
            },
        ),
        Ouverture::A(_) => return None,
    };
    let brut = &l.horaires.as_ref()?.brut;
    let zone = moteur.zone(index).unwrap_or(ZoneHoraire::Metropole);
    let lundi = date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()));
    let jour = semaine(brut, zone, lundi)?
        .into_iter()
        .find(|j| j.date == date)?;
    let plages: Vec<String> = jour
        .plages
        .iter()
        .filter(|(a, b)| *a < fin && debut < *b)
        .map(|(a, b)| format!("{} – {}", heure(*a), heure(*b)))
        .collect();
    let mut quand = format!(
        "{} {} {}{moment}",
        JOURS[date.weekday().num_days_from_monday() as usize],
        date.day(),
        MOIS[date.month0() as usize]
    );
    if let Some(premiere) = quand.get_mut(0..1) {
        premiere.make_ascii_uppercase();
    }
    Some(if plages.is_empty() {
        (format!("{quand} : fermé"), "ferme")
    } else {
        (format!("{quand} : {}", plages.join(", ")), "ouvert")
    })
}

/// A result card. `choix` is the day or moment the person asked for: the card then shows the
/// hours of that day or half-day.
pub fn carte(
    moteur: &Moteur,
    index: usize,
    f: &LieuFusionne,
    distance_m: Option<f64>,
    maintenant: NaiveDateTime,
    choix: Option<Ouverture>,
) -> Carte {
    let l = &f.lieu;
    let (ouverture, ouverture_classe) = choix
        .and_then(|c| ouverture_pendant(moteur, index, l, c))
        .unwrap_or_else(|| ouverture(moteur.etat_ouverture(index, maintenant), maintenant));
    Carte {
        id: f.id.clone(),
        nom: l.nom.clone(),
        adresse: adresse(l),
        distance: distance_m.map(distance),
        ouverture,
        ouverture_classe,
        services: libelles(&l.services),
        frais: libelles(&l.frais_a_charge),
        acces: libelles(&l.modalites_acces),
        accessibilite: libelles(&l.prise_en_charge_specifique),
        telephone: l.telephone.as_ref().map(|t| (t.href(), t.lisible())),
        itineraire: itineraire(l),
        itinerant: l
            .itinerance
            .contains(&maillage_domain::Itinerance::Itinerant),
        loin: distance_m.is_some_and(|d| d > RAYON_LOCAL_KM * 1000.0),
        coche: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, j).unwrap_or_default()
    }

    #[test]
    fn distances_and_hours_in_words() {
        assert_eq!(distance(347.0), "350 m");
        assert_eq!(distance(1234.0), "1,2 km");
        assert_eq!(distance(23_456.0), "23 km");
        assert_eq!(heure(540), "9 h");
        assert_eq!(heure(870), "14 h 30");
    }

    #[test]
    fn freshness() {
        assert_eq!(
            fraicheur(d(2025, 9, 10), d(2026, 11, 23)),
            "mises à jour il y a 14 mois (le 10 septembre 2025)"
        );
        assert!(
            fraicheur(d(2026, 11, 20), d(2026, 11, 23)).starts_with("mises à jour il y a 3 jours")
        );
        assert!(fraicheur(d(2022, 1, 5), d(2026, 11, 23)).starts_with("mises à jour il y a 4 ans"));
        assert!(fraicheur(d(2026, 11, 23), d(2026, 11, 23)).starts_with("mises à jour aujourd'hui"));
    }

    #[test]
    fn open_state_in_words() {
        let maintenant = d(2026, 11, 23).and_hms_opt(10, 0, 0).unwrap_or_default();
        let (t, c) = ouverture(
            EtatOuverture::Ouvert {
                jusqu_a: d(2026, 11, 23).and_hms_opt(17, 30, 0),
            },
            maintenant,
        );
        assert_eq!((t.as_str(), c), ("Ouvert jusqu'à 17 h 30", "ouvert"));
        let (t, _) = ouverture(
            EtatOuverture::Ferme {
                prochaine_ouverture: d(2026, 11, 25).and_hms_opt(9, 0, 0),
            },
            maintenant,
        );
        assert_eq!(t, "Fermé — ouvre mercredi à 9 h");
        let (t, _) = ouverture(
            EtatOuverture::Ferme {
                prochaine_ouverture: d(2026, 11, 24).and_hms_opt(14, 0, 0),
            },
            maintenant,
        );
        assert_eq!(t, "Fermé — ouvre demain à 14 h");
    }

    #[test]
    fn readable_week() {
        let s = semaine_lisible(
            "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00",
            ZoneHoraire::Metropole,
            d(2026, 11, 25),
        )
        .unwrap_or_default();
        assert_eq!(s.len(), 7);
        assert_eq!(s[0].jour, "Lundi");
        assert_eq!(s[0].horaires, "9 h – 12 h, 14 h – 17 h");
        assert!(s[2].aujourdhui);
        assert_eq!(s[6].horaires, "Fermé");
    }
}
