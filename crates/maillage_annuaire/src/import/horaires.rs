//! Opening hours given per weekday in free text (`09:00 - 12:00 / 13:30 - 17:00`), as in the
//! France Services list, turned into one OSM `opening_hours` string.

/// A day of the week, with its OSM abbreviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Jour {
    Lundi,
    Mardi,
    Mercredi,
    Jeudi,
    Vendredi,
    Samedi,
    Dimanche,
}

impl Jour {
    pub const TOUS: [Jour; 7] = [
        Jour::Lundi,
        Jour::Mardi,
        Jour::Mercredi,
        Jour::Jeudi,
        Jour::Vendredi,
        Jour::Samedi,
        Jour::Dimanche,
    ];

    /// `Mo`, `Tu`, … `Su`.
    pub fn osm(self) -> &'static str {
        match self {
            Jour::Lundi => "Mo",
            Jour::Mardi => "Tu",
            Jour::Mercredi => "We",
            Jour::Jeudi => "Th",
            Jour::Vendredi => "Fr",
            Jour::Samedi => "Sa",
            Jour::Dimanche => "Su",
        }
    }

    /// `lundi`, `mardi`, …
    pub fn nom(self) -> &'static str {
        match self {
            Jour::Lundi => "lundi",
            Jour::Mardi => "mardi",
            Jour::Mercredi => "mercredi",
            Jour::Jeudi => "jeudi",
            Jour::Vendredi => "vendredi",
            Jour::Samedi => "samedi",
            Jour::Dimanche => "dimanche",
        }
    }

    fn suivant(self) -> Option<Jour> {
        let i = Jour::TOUS.iter().position(|j| *j == self)?;
        Jour::TOUS.get(i + 1).copied()
    }
}

/// The result of a conversion: the OSM string (`None` when no day is open nor unknown), the
/// days whose text could not be read, with that text, and the days read with an adjustment
/// (text, what was understood).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversionHoraires {
    pub osm: Option<String>,
    pub non_convertis: Vec<(Jour, String)>,
    pub ajustes: Vec<(Jour, String, String)>,
}

/// What one day's text says.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Journee {
    Ferme,
    /// Ranges in minutes since midnight, increasing and non-overlapping.
    Plages(Vec<(u32, u32)>),
    /// Unreadable text: written as an OSM `unknown` rule with the text as comment, so that
    /// nothing is claimed about that day.
    Inconnue(String),
}

/// Converts per-day free text into an OSM `opening_hours` string, grouping equal consecutive
/// days: `Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00; Sa 09:00-12:00`.
///
/// Each day's text is a list of times separated by `-`, `/`, `,`, spaces (times as `09:00`,
/// `9h`, `12h00`, `08 :30`); pairs of times make ranges. Empty text and `-` mean closed.
///
/// The France Services list often gives one range per desk on the same day: ranges that
/// repeat or overlap are joined (`09:00 - 12:00 / 09:00 - 12:00 / 13:30 - 17:00` →
/// `09:00-12:00,13:30-17:00`) and empty ranges (`00:00 - 00:00`) dropped, a day with only
/// empty ranges being closed; such days are listed in `ajustes`.
///
/// A text that cannot be read (letters, an odd number of times, a range that goes backwards
/// or starts before the previous one, as in `09:00-13:00-/3:00-16:00`) is kept as
/// `Tu unknown "…"` and listed in `non_convertis`: the other days are converted all the same.
pub fn depuis_jours(jours: &[(Jour, &str)]) -> ConversionHoraires {
    let mut lus: Vec<(Jour, Journee)> = Vec::new();
    let mut non_convertis = Vec::new();
    let mut ajustes = Vec::new();
    for (jour, texte) in jours {
        let (journee, ajuste) = lire_journee(texte);
        match &journee {
            Journee::Inconnue(t) => non_convertis.push((*jour, t.clone())),
            Journee::Ferme if ajuste => {
                ajustes.push((*jour, texte.trim().to_string(), "fermé".to_string()))
            }
            Journee::Plages(p) if ajuste => {
                ajustes.push((*jour, texte.trim().to_string(), plages_osm(p)))
            }
            _ => {}
        }
        lus.push((*jour, journee));
    }
    lus.sort_by_key(|(j, _)| *j);
    lus.dedup_by_key(|(j, _)| *j);

    let mut regles: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some((debut, journee)) = lus.get(i) {
        let mut fin = *debut;
        let mut k = i + 1;
        while let Some((j, autre)) = lus.get(k) {
            if Some(*j) == fin.suivant() && autre == journee {
                fin = *j;
                k += 1;
            } else {
                break;
            }
        }
        let jours_osm = if fin == *debut {
            debut.osm().to_string()
        } else {
            format!("{}-{}", debut.osm(), fin.osm())
        };
        match journee {
            Journee::Ferme => {}
            Journee::Plages(p) => regles.push(format!("{jours_osm} {}", plages_osm(p))),
            Journee::Inconnue(t) => {
                regles.push(format!("{jours_osm} unknown \"{}\"", commentaire_osm(t)))
            }
        }
        i = k;
    }
    ConversionHoraires {
        osm: (!regles.is_empty()).then(|| regles.join("; ")),
        non_convertis,
        ajustes,
    }
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn plages_osm(plages: &[(u32, u32)]) -> String {
    plages
        .iter()
        .map(|(a, b)| format!("{}-{}", hhmm(*a), hhmm(*b)))
        .collect::<Vec<_>>()
        .join(",")
}

/// An OSM comment may not contain `"`; newlines and runs of spaces are collapsed.
fn commentaire_osm(texte: &str) -> String {
    texte
        .replace('"', "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A day's text, and whether reading it needed an adjustment (ranges joined or dropped).
fn lire_journee(texte: &str) -> (Journee, bool) {
    let t = texte.trim();
    let cle = maillage_domain::texte::normaliser(t);
    if t.is_empty() || t.chars().all(|c| matches!(c, '-' | '–' | '/' | ' ')) || cle == "ferme" {
        return (Journee::Ferme, false);
    }
    match heures(t).and_then(plages) {
        Some((p, ajuste)) if p.is_empty() => (Journee::Ferme, ajuste),
        Some((p, ajuste)) => (Journee::Plages(p), ajuste),
        None => (Journee::Inconnue(t.to_string()), false),
    }
}

/// The times of a day's text, in minutes, if everything else in it is a separator.
fn heures(texte: &str) -> Option<Vec<u32>> {
    let c: Vec<char> = texte.chars().collect();
    let mut heures = Vec::new();
    let mut i = 0;
    while let Some(&ch) = c.get(i) {
        if ch.is_ascii_digit() {
            // Hours: one or two digits.
            let mut h = 0u32;
            let mut n = 0;
            while let Some(d) = c.get(i).and_then(|x| x.to_digit(10)) {
                h = h * 10 + d;
                n += 1;
                i += 1;
                if n > 2 {
                    return None;
                }
            }
            while c.get(i) == Some(&' ') {
                i += 1;
            }
            let sep = c.get(i).copied();
            if !matches!(sep, Some(':' | 'h' | 'H')) {
                return None;
            }
            i += 1;
            while c.get(i) == Some(&' ') {
                i += 1;
            }
            // Minutes: two digits, optional after `h`.
            let mut m = 0u32;
            let mut n = 0;
            while let Some(d) = c.get(i).and_then(|x| x.to_digit(10)) {
                m = m * 10 + d;
                n += 1;
                i += 1;
                if n > 2 {
                    return None;
                }
            }
            let ok = match n {
                2 => true,
                0 => matches!(sep, Some('h' | 'H')),
                _ => false,
            };
            if !ok || m > 59 || h > 24 || (h == 24 && m > 0) {
                return None;
            }
            heures.push(h * 60 + m);
        } else if ch.is_whitespace() || matches!(ch, '-' | '–' | '/' | ',' | ';' | ':' | '+') {
            i += 1;
        } else if matches!(ch, 'à' | 'a' | 'A') && !heures.is_empty() {
            // "09:00 à 12:00".
            i += 1;
        } else if (ch == 'e' || ch == 'E') && matches!(c.get(i + 1), Some('t' | 'T')) {
            // "… et …".
            i += 2;
        } else {
            return None;
        }
    }
    Some(heures)
}

/// Pairs of times as ranges, with whether they were adjusted: empty ranges dropped, ranges
/// that repeat or overlap joined. `None` when a range goes backwards or starts before the
/// previous one.
fn plages(heures: Vec<u32>) -> Option<(Vec<(u32, u32)>, bool)> {
    if heures.is_empty() || !heures.len().is_multiple_of(2) {
        return None;
    }
    let mut ajuste = false;
    let mut out: Vec<(u32, u32)> = Vec::new();
    let mut debut_precedent = 0;
    for c in heures.chunks(2) {
        let (a, b) = (*c.first()?, *c.get(1)?);
        if a == b {
            ajuste = true;
            continue;
        }
        if a > b || a < debut_precedent {
            return None;
        }
        debut_precedent = a;
        match out.last_mut() {
            Some((_, fin)) if a < *fin => {
                *fin = (*fin).max(b);
                ajuste = true;
            }
            _ => out.push((a, b)),
        }
    }
    Some((out, ajuste))
}

/// Repairs an OSM `opening_hours` string whose only fault is the way times are written
/// (`9h`, `12h30`, `9:00`): `Mo-Fr 9h-12h30` → `Mo-Fr 09:00-12:30`. `None` when nothing was
/// changed or the result still does not parse.
pub fn reparer_osm(brut: &str) -> Option<String> {
    let c: Vec<char> = brut.chars().collect();
    let chiffre = |i: usize| c.get(i).and_then(|x| x.to_digit(10));
    let mut out = String::with_capacity(brut.len() + 8);
    let mut change = false;
    let mut i = 0;
    while let Some(&ch) = c.get(i) {
        let debut_de_nombre = i == 0 || !c.get(i - 1).is_some_and(|p| p.is_alphanumeric());
        if let (Some(d1), true) = (chiffre(i), debut_de_nombre) {
            let (h, j) = match chiffre(i + 1) {
                Some(d2) => (d1 * 10 + d2, i + 2),
                None => (d1, i + 1),
            };
            let apres_minutes = |k: usize| !c.get(k).is_some_and(|x| x.is_alphanumeric());
            match c.get(j) {
                Some('h' | 'H') => {
                    let (m, k) = match (chiffre(j + 1), chiffre(j + 2)) {
                        (Some(a), Some(b)) => (a * 10 + b, j + 3),
                        _ => (0, j + 1),
                    };
                    if h <= 24 && m <= 59 && apres_minutes(k) {
                        out.push_str(&format!("{h:02}:{m:02}"));
                        change = true;
                        i = k;
                        continue;
                    }
                }
                Some(':') if j == i + 1 => {
                    if let (Some(a), Some(b)) = (chiffre(j + 1), chiffre(j + 2)) {
                        if apres_minutes(j + 3) {
                            out.push_str(&format!("{h:02}:{}{}", a, b));
                            change = true;
                            i = j + 3;
                            continue;
                        }
                    }
                }
                _ => {}
            }
            // Not a time: copy the digits as they are.
            while i < j {
                if let Some(x) = c.get(i) {
                    out.push(*x);
                }
                i += 1;
            }
            continue;
        }
        out.push(ch);
        i += 1;
    }
    (change && maillage_domain::horaires::est_osm_valide(&out)).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use maillage_domain::horaires::est_osm_valide;
    use Jour::*;

    fn semaine(valeurs: [&str; 6]) -> ConversionHoraires {
        let jours = [Lundi, Mardi, Mercredi, Jeudi, Vendredi, Samedi];
        let v: Vec<(Jour, &str)> = jours.into_iter().zip(valeurs).collect();
        depuis_jours(&v)
    }

    fn osm(valeurs: [&str; 6]) -> String {
        let c = semaine(valeurs);
        let s = c.osm.unwrap_or_default();
        assert!(est_osm_valide(&s), "invalid OSM: {s}");
        s
    }

    #[test]
    fn france_services_id_1() {
        let a = "09:00 - 12:00 / 13:30 - 17:00";
        let c = semaine([a, a, a, a, "09:00 - 12:00 / 13:30 - 16:00", ""]);
        assert_eq!(
            c.osm.as_deref(),
            Some("Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00")
        );
        assert!(c.non_convertis.is_empty());
        assert!(c.ajustes.is_empty());
    }

    #[test]
    fn groups_only_equal_consecutive_days_and_skips_closed_ones() {
        let m = "09:00 - 12:00";
        assert_eq!(
            osm([m, "-", m, m, "", m]),
            "Mo 09:00-12:00; We-Th 09:00-12:00; Sa 09:00-12:00"
        );
        assert_eq!(osm(["09:30 - 16:30"; 6]), "Mo-Sa 09:30-16:30");
        assert_eq!(semaine(["", "-", "", "", "", ""]).osm, None);
    }

    #[test]
    fn the_odd_values_of_the_france_services_file() {
        // Every irregular shape met in france-services_2022-12-01.csv.
        for (brut, attendu) in [
            ("09:00-12:00/13:30-17:00", "09:00-12:00,13:30-17:00"),
            ("09:00-12:00", "09:00-12:00"),
            ("09:00-12:30-13:30-17:00", "09:00-12:30,13:30-17:00"),
            ("09:00-12h00", "09:00-12:00"),
            ("09:00-12:00,13:00-17:00", "09:00-12:00,13:00-17:00"),
            ("08:00-13:00/13 :30-17:00", "08:00-13:00,13:30-17:00"),
            ("08 :00-12:00/14:00-17:00", "08:00-12:00,14:00-17:00"),
            ("08 :30-12:00", "08:30-12:00"),
            ("07:30:12:30", "07:30-12:30"),
            ("09:00-12:00 14:00-16:30", "09:00-12:00,14:00-16:30"),
            ("09:30-12:30/\n\n 13:30-18:00", "09:30-12:30,13:30-18:00"),
            (
                "08:30 - 12:00 / 13:00 - 15:00 / 15:30 - 17:00",
                "08:30-12:00,13:00-15:00,15:30-17:00",
            ),
            ("9h-12h et 14h-17h", "09:00-12:00,14:00-17:00"),
        ] {
            let c = semaine([brut, "", "", "", "", ""]);
            assert_eq!(c.osm, Some(format!("Mo {attendu}")), "{brut:?}");
            assert!(c.non_convertis.is_empty(), "{brut:?}");
        }
    }

    #[test]
    fn unreadable_days_are_kept_as_unknown_and_reported() {
        // temp_29 of the France Services file: "/3:00" makes the second range go backwards.
        let bad = "09:00-13:00-/3:00-16:00";
        let ok = "09:00 - 12:00";
        let c = semaine([ok, bad, ok, ok, ok, ""]);
        assert_eq!(
            c.osm.as_deref(),
            Some("Mo 09:00-12:00; Tu unknown \"09:00-13:00-/3:00-16:00\"; We-Fr 09:00-12:00")
        );
        assert!(c.osm.as_deref().is_some_and(est_osm_valide));
        assert_eq!(c.non_convertis, vec![(Mardi, bad.to_string())]);
        for bad in [
            "sur rendez-vous",
            "09:00",
            "12:00-09:00",
            "14:00-17:00 / 09:00-12:00",
            "25:00-26:00",
            "09:75-10:00",
            "0900-1200",
            "123:00-14:00",
            "9-12",
            "Lundi \"matin\"",
        ] {
            let c = semaine([bad, "", "", "", "", ""]);
            assert_eq!(c.non_convertis.len(), 1, "{bad}");
            let s = c.osm.unwrap_or_default();
            assert!(est_osm_valide(&s), "{bad} → {s}");
        }
    }

    #[test]
    fn repeated_overlapping_and_empty_ranges_of_the_france_services_file() {
        for (brut, attendu) in [
            ("09:00 - 17:00 / 09:00 - 17:00", Some("09:00-17:00")),
            ("00:00 - 00:00 / 09:00 - 12:00", Some("09:00-12:00")),
            ("09:00 - 16:30 / 13:30 - 16:30", Some("09:00-16:30")),
            ("09:00 - 11:30 / 09:00 - 16:30", Some("09:00-16:30")),
            ("07:15 - 13:00 / 07:15 - 13:30", Some("07:15-13:30")),
            (
                "09:00 - 12:00 / 09:00 - 12:00 / 09:00 - 12:00 / 13:30 - 17:00",
                Some("09:00-12:00,13:30-17:00"),
            ),
            (
                "09:00 - 12:00 / 14:00 - 17:00 / 15:00 - 18:00",
                Some("09:00-12:00,14:00-18:00"),
            ),
            (
                "08:45 - 10:15 / 10:30 - 11:30 / 10:30 - 12:00 / 13:30 - 14:30 / 15:00 - 16:15",
                Some("08:45-10:15,10:30-12:00,13:30-14:30,15:00-16:15"),
            ),
            (
                "00:00 - 00:00 / 08:30 - 12:00 / 13:30 - 17:00",
                Some("08:30-12:00,13:30-17:00"),
            ),
            ("00:00 - 00:00", None),
        ] {
            let c = semaine([brut, "", "", "", "", ""]);
            assert_eq!(c.osm, attendu.map(|a| format!("Mo {a}")), "{brut:?}");
            assert!(c.non_convertis.is_empty(), "{brut:?}");
            let lu = attendu.unwrap_or("fermé").to_string();
            assert_eq!(c.ajustes, vec![(Lundi, brut.to_string(), lu)], "{brut:?}");
        }
        // Touching ranges are kept as written, without adjustment.
        let c = semaine(["10:00-13:00,13:00-18:00", "", "", "", "", ""]);
        assert_eq!(c.osm.as_deref(), Some("Mo 10:00-13:00,13:00-18:00"));
        assert!(c.ajustes.is_empty());
    }

    #[test]
    fn osm_strings_with_french_times_are_repaired() {
        assert_eq!(
            reparer_osm("Mo-Fr 9h-12h30,13h30-17h").as_deref(),
            Some("Mo-Fr 09:00-12:30,13:30-17:00")
        );
        assert_eq!(
            reparer_osm(
                "Mo-Th 10h00-12h30,13h30-17h00; Fr 09h30-12h30,13h30-18h30; Sa 09h30-12h30; We off"
            )
            .as_deref(),
            Some(
                "Mo-Th 10:00-12:30,13:30-17:00; Fr 09:30-12:30,13:30-18:30; Sa 09:30-12:30; We off"
            )
        );
        assert_eq!(
            reparer_osm("Mo 9:00-12:00").as_deref(),
            Some("Mo 09:00-12:00")
        );
        // Nothing to repair, or still invalid.
        assert_eq!(reparer_osm("Mo-Fr 09:00-12:00"), None);
        assert_eq!(reparer_osm("Tu 12h30"), None);
        assert_eq!(reparer_osm("week 1-53/2 Mo 09:00-12:00"), None);
        assert_eq!(reparer_osm("9h à 12h"), None);
        assert_eq!(reparer_osm("é9h"), None);
    }

    #[test]
    fn midnight_and_sunday() {
        let c = depuis_jours(&[(Dimanche, "10:00-24:00"), (Samedi, "fermé")]);
        assert_eq!(c.osm.as_deref(), Some("Su 10:00-24:00"));
    }
}
