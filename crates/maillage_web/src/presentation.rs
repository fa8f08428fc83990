//! What the pages show of a place, in plain French: distance, open now, a readable week,
//! freshness, links.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use maillage_app::doublons::LieuFusionne;
use maillage_app::recherche::{semaine, EtatOuverture, Moteur, Ouverture, ZoneHoraire};
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

/// `mis à jour il y a 14 mois`.
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
    format!("mis à jour {quand} (le {})", date_longue(date_maj))
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
            "mis à jour il y a 14 mois (le 10 septembre 2025)"
        );
        assert!(
            fraicheur(d(2026, 11, 20), d(2026, 11, 23)).starts_with("mis à jour il y a 3 jours")
        );
        assert!(fraicheur(d(2022, 1, 5), d(2026, 11, 23)).starts_with("mis à jour il y a 4 ans"));
        assert!(fraicheur(d(2026, 11, 23), d(2026, 11, 23)).starts_with("mis à jour aujourd'hui"));
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
