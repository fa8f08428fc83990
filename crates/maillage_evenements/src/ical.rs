//! A small iCalendar writer (RFC 5545): what the event files and the subscribable feeds
//! need, nothing more.
//!
//! - lines end with CRLF and are folded at 75 octets (a continuation line starts with one
//!   space; a UTF-8 character is never cut);
//! - TEXT values are escaped (`\\`, `\;`, `\,`, `\n`; other control characters are dropped);
//! - times are local times of Paris with `TZID=Europe/Paris`, and the calendar carries the
//!   `VTIMEZONE` of Europe/Paris (the EU rule since 1996); `DTSTAMP` is in UTC;
//! - no `ORGANIZER` line: it would make calendar clients treat the event as an invitation
//!   and offer to answer it (pretix learnt this the hard way).

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

/// The longest content line, in octets, before folding (CRLF not counted).
pub const LIGNE_MAX: usize = 75;

/// One event of a calendar (a `VEVENT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvenementIcal {
    /// Stable across downloads: `session-12@exemple.fr`.
    pub uid: String,
    pub debut: DateTime<Utc>,
    pub fin: DateTime<Utc>,
    pub resume: String,
    pub description: Option<String>,
    pub lieu: Option<String>,
    /// An absolute URL (the event's page).
    pub url: Option<String>,
    pub annule: bool,
}

/// A calendar to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendrier {
    /// Shown by clients as the calendar's name (`NAME`, `X-WR-CALNAME`).
    pub nom: String,
    pub evenements: Vec<EvenementIcal>,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn echapper(texte: &str) -> String {
    let mut s = String::with_capacity(texte.len());
    let mut caracteres = texte.chars().peekable();
    while let Some(c) = caracteres.next() {
        match c {
            '\\' => s.push_str("\\\\"),
            ';' => s.push_str("\\;"),
            ',' => s.push_str("\\,"),
            '\r' => {
                // CRLF or a lone CR: one line break.
                if caracteres.peek() == Some(&'\n') {
                    caracteres.next();
                }
                s.push_str("\\n");
            }
            '\n' => s.push_str("\\n"),
            '\t' => s.push(' '),
            c if c.is_control() => {}
            c => s.push(c),
        }
    }
    s
}

/// Appends `ligne` to `sortie`, folded at [`LIGNE_MAX`] octets, each physical line ended by
/// CRLF.
pub fn plier(sortie: &mut String, ligne: &str) {
    let mut reste = ligne;
    let mut max = LIGNE_MAX;
    loop {
        if reste.len() <= max {
            sortie.push_str(reste);
            sortie.push_str("\r\n");
            return;
        }
        let mut coupe = max;
        while !reste.is_char_boundary(coupe) {
            coupe -= 1;
        }
        sortie.push_str(&reste[..coupe]);
        sortie.push_str("\r\n ");
        reste = &reste[coupe..];
        // The leading space counts in the 75 octets.
        max = LIGNE_MAX - 1;
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%Y%m%dT%H%M%S").to_string()
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Europe/Paris as the EU rule has it since 1996 (last Sunday of March at 2:00, last Sunday
/// of October at 3:00).
const VTIMEZONE_PARIS: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Paris",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

impl Calendrier {
    /// The calendar as an iCalendar text; `horodatage` is every event's `DTSTAMP` (when
    /// the file was written).
    pub fn ecrire(&self, horodatage: DateTime<Utc>) -> String {
        let mut s = String::with_capacity(1024 + 512 * self.evenements.len());
        let mut l = |ligne: &str| plier(&mut s, ligne);
        l("BEGIN:VCALENDAR");
        l("VERSION:2.0");
        l("PRODID:-//Maillage//Evenements 1.0//FR");
        l("CALSCALE:GREGORIAN");
        l("METHOD:PUBLISH");
        let nom = echapper(&self.nom);
        l(&format!("NAME:{nom}"));
        l(&format!("X-WR-CALNAME:{nom}"));
        l("X-WR-TIMEZONE:Europe/Paris");
        l("REFRESH-INTERVAL;VALUE=DURATION:PT6H");
        l("X-PUBLISHED-TTL:PT6H");
        for ligne in VTIMEZONE_PARIS {
            l(ligne);
        }
        let dtstamp = utc(horodatage);
        for e in &self.evenements {
            l("BEGIN:VEVENT");
            l(&format!("UID:{}", echapper(&e.uid)));
            l(&format!("DTSTAMP:{dtstamp}"));
            l(&format!("DTSTART;TZID=Europe/Paris:{}", local(e.debut)));
            l(&format!("DTEND;TZID=Europe/Paris:{}", local(e.fin)));
            l(&format!("SUMMARY:{}", echapper(&e.resume)));
            if let Some(d) = &e.description {
                l(&format!("DESCRIPTION:{}", echapper(d)));
            }
            if let Some(lieu) = &e.lieu {
                l(&format!("LOCATION:{}", echapper(lieu)));
            }
            if let Some(url) = &e.url {
                // A URI, not TEXT: no escaping; a control character would break the line.
                let url: String = url.chars().filter(|c| !c.is_control()).collect();
                l(&format!("URL:{url}"));
            }
            l(if e.annule {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            });
            l("TRANSP:OPAQUE");
            l("END:VEVENT");
        }
        l("END:VCALENDAR");
        s
    }
}

/// The host of a public address (`https://exemple.fr:8443/x` → `exemple.fr`), for UIDs;
/// `maillage.invalid` when there is none.
pub fn hote(adresse_publique: &str) -> String {
    let sans_schema = adresse_publique
        .split_once("://")
        .map_or(adresse_publique, |(_, r)| r);
    let hote = sans_schema
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let hote = hote.split(':').next().unwrap_or("");
    if hote.is_empty() {
        "maillage.invalid".into()
    } else {
        hote.to_ascii_lowercase()
    }
}

/// `evenement-12@exemple.fr`: stable as long as the instance's address is.
pub fn uid(genre: &str, id: i64, hote: &str) -> String {
    format!("{genre}-{id}@{hote}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            echapper("a\\b;c,d\ne\r\nf\rg\th\u{7}i"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng hi"
        );
        assert_eq!(
            echapper("Rendez-vous : « Salle 2 »"),
            "Rendez-vous : « Salle 2 »"
        );
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_without_cutting_a_character() {
        let mut s = String::new();
        let ligne = format!("DESCRIPTION:{}", "é".repeat(100));
        plier(&mut s, &ligne);
        assert!(s.ends_with("\r\n"));
        let physiques: Vec<&str> = s.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physiques.len() > 2);
        for (i, p) in physiques.iter().enumerate() {
            assert!(p.len() <= LIGNE_MAX, "line {i}: {} octets", p.len());
            if i > 0 {
                assert!(p.starts_with(' '));
            }
        }
        // Unfolding gives the line back.
        let depliee = s.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(depliee, ligne);
        // Exactly 75 octets: not folded; 76: folded once.
        let mut s = String::new();
        plier(&mut s, &"x".repeat(75));
        assert_eq!(s.matches("\r\n").count(), 1);
        let mut s = String::new();
        plier(&mut s, &"x".repeat(76));
        assert_eq!(s, format!("{}\r\n x\r\n", "x".repeat(75)));
        // Octets, not characters: 40 « é » are 80 octets.
        let mut s = String::new();
        plier(&mut s, &"é".repeat(40));
        assert_eq!(s.split("\r\n").next().map(str::len), Some(74));
    }

    #[test]
    fn a_calendar_has_its_parts_and_no_organizer() {
        let t = |h: u32| {
            Paris
                .with_ymd_and_hms(2030, 6, 12, h, 0, 0)
                .single()
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let c = Calendrier {
            nom: "Événements, Muret".into(),
            evenements: vec![EvenementIcal {
                uid: uid("session", 7, &hote("https://maillage.exemple.fr:8443/")),
                debut: t(10),
                fin: t(11),
                resume: "Atelier ; arnaques, en ligne".into(),
                description: Some("Ligne 1\nLigne 2".into()),
                lieu: Some("Salle des fêtes, Muret".into()),
                url: Some("https://maillage.exemple.fr/evenements/3".into()),
                annule: true,
            }],
        };
        let texte = c.ecrire(Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap());
        assert!(texte.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(texte.ends_with("END:VCALENDAR\r\n"));
        assert!(!texte.replace("\r\n", "").contains('\n'), "CRLF only");
        for attendu in [
            "UID:session-7@maillage.exemple.fr\r\n",
            "DTSTAMP:20300102T030405Z\r\n",
            "DTSTART;TZID=Europe/Paris:20300612T100000\r\n",
            "DTEND;TZID=Europe/Paris:20300612T110000\r\n",
            "SUMMARY:Atelier \\; arnaques\\, en ligne\r\n",
            "DESCRIPTION:Ligne 1\\nLigne 2\r\n",
            "LOCATION:Salle des fêtes\\, Muret\r\n",
            "URL:https://maillage.exemple.fr/evenements/3\r\n",
            "STATUS:CANCELLED\r\n",
            "TZID:Europe/Paris\r\n",
            "X-WR-CALNAME:Événements\\, Muret\r\n",
        ] {
            assert!(texte.contains(attendu), "{attendu:?} in\n{texte}");
        }
        assert!(!texte.contains("ORGANIZER"));
        assert_eq!(texte.matches("BEGIN:VEVENT").count(), 1);
    }

    #[test]
    fn hosts_for_uids() {
        assert_eq!(hote("http://localhost:8080"), "localhost");
        assert_eq!(
            hote("https://Maillage.Exemple.fr/base"),
            "maillage.exemple.fr"
        );
        assert_eq!(hote(""), "maillage.invalid");
    }
}
