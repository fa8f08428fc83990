//! Checks and repairs of single values: e-mail, URL, summary length, coordinates, dates.

use chrono::NaiveDate;
use maillage_domain::lieu::RESUME_MAX;

/// An e-mail address, repaired when the fix is obvious (`mailto:` prefix, trailing dot).
/// `None` when it is not an address.
pub fn courriel(brut: &str) -> Option<String> {
    let mut s = brut.trim().to_string();
    if s.chars().any(char::is_whitespace) {
        return None;
    }
    if let Some(rest) = s.strip_prefix("mailto:") {
        s = rest.to_string();
    }
    let s = s.trim_end_matches('.').to_string();
    let (local, domaine) = s.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let labels: Vec<&str> = domaine.split('.').collect();
    let domaine_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_alphabetic()));
    (local_ok && domaine_ok).then_some(s)
}

/// A web address: `http(s)://host…` kept; `http:host` and `www.host…` / `host.tld/…`
/// completed (second value `true` when it was repaired). `None` when it is not a URL.
pub fn url(brut: &str) -> Option<(String, bool)> {
    let s = brut.trim();
    if s.is_empty() || s.chars().any(char::is_whitespace) {
        return None;
    }
    let minuscule = s.to_ascii_lowercase();
    let (schema, reste, repare) = if let Some(r) = minuscule
        .starts_with("https://")
        .then(|| s.get(8..))
        .flatten()
    {
        ("https://", r, false)
    } else if let Some(r) = minuscule
        .starts_with("http://")
        .then(|| s.get(7..))
        .flatten()
    {
        ("http://", r, false)
    } else if let Some(r) = minuscule
        .starts_with("https:")
        .then(|| s.get(6..))
        .flatten()
    {
        ("https://", r.trim_start_matches('/'), true)
    } else if let Some(r) = minuscule.starts_with("http:").then(|| s.get(5..)).flatten() {
        ("http://", r.trim_start_matches('/'), true)
    } else if s.contains("://") || s.contains('@') {
        return None;
    } else {
        ("https://", s, true)
    };
    let hote = reste.split(['/', '?', '#']).next().unwrap_or("");
    let hote = hote.rsplit('@').next().unwrap_or(hote);
    let hote = hote.split(':').next().unwrap_or(hote);
    let labels: Vec<&str> = hote.split('.').collect();
    let ok = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
    ok.then(|| (format!("{schema}{reste}"), repare))
}

/// Cuts a text longer than [`RESUME_MAX`] characters at a word boundary and ends it with
/// `…`, so that it is at most [`RESUME_MAX`] characters long.
pub fn tronquer_resume(texte: &str) -> Option<String> {
    if texte.chars().count() <= RESUME_MAX {
        return None;
    }
    let debut: String = texte.chars().take(RESUME_MAX - 1).collect();
    let coupe = match debut.rfind(char::is_whitespace) {
        Some(i) if i > RESUME_MAX / 2 => debut.get(..i).unwrap_or(&debut),
        _ => debut.as_str(),
    };
    let coupe = coupe.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–".contains(c));
    Some(format!("{coupe}…"))
}

/// A coordinate written as a number, possibly with a decimal comma.
pub fn nombre(brut: &str) -> Option<f64> {
    let t = brut.trim().replace(',', ".");
    let x: f64 = t.parse().ok()?;
    x.is_finite().then_some(x)
}

/// Rough boxes (latitude min, max, longitude min, max) around metropolitan France and each
/// overseas territory.
const EMPRISES_FRANCE: [(f64, f64, f64, f64); 9] = [
    (41.0, 51.6, -5.8, 10.0),       // métropole, Corse
    (14.0, 18.6, -63.5, -60.5),     // Antilles, Saint-Martin, Saint-Barthélemy
    (2.0, 6.0, -55.0, -51.0),       // Guyane
    (-21.6, -20.7, 55.0, 56.0),     // La Réunion
    (-13.2, -12.5, 44.9, 45.4),     // Mayotte
    (46.6, 47.3, -56.6, -55.9),     // Saint-Pierre-et-Miquelon
    (-23.0, -19.0, 158.0, 169.0),   // Nouvelle-Calédonie
    (-28.5, -7.0, -155.0, -134.0),  // Polynésie française
    (-14.6, -13.0, -178.5, -175.9), // Wallis-et-Futuna
];

/// Whether a point falls in France (metropolitan or overseas), roughly.
pub fn en_france(latitude: f64, longitude: f64) -> bool {
    EMPRISES_FRANCE.iter().any(|(la0, la1, lo0, lo1)| {
        (*la0..=*la1).contains(&latitude) && (*lo0..=*lo1).contains(&longitude)
    })
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let pa = maillage_geo::Point { lat: a.0, lon: a.1 };
    let pb = maillage_geo::Point { lat: b.0, lon: b.1 };
    maillage_geo::haversine_m(pa, pb) / 1000.0
}

/// A date written `AAAA-MM-JJ` (possibly followed by a time), `JJ/MM/AAAA` or `AAAA/MM/JJ`.
pub fn date(brut: &str) -> Option<NaiveDate> {
    let t = brut.trim();
    let debut = t.get(..10).unwrap_or(t);
    NaiveDate::parse_from_str(debut, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(debut, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(debut, "%Y/%m/%d"))
        .ok()
}

/// The date in a file name: `AAAA-MM-JJ`, else `AAAA-MM` (first day of the month).
/// `france-services_2022-12-01.csv` → 2022-12-01; `lieux_2022-07.json` → 2022-07-01.
pub fn date_dans_nom(nom: &str) -> Option<NaiveDate> {
    let c: Vec<char> = nom.chars().collect();
    let chiffres =
        |i: usize, n: usize| (i..i + n).all(|k| c.get(k).is_some_and(char::is_ascii_digit));
    let nombre_a = |i: usize, n: usize| -> Option<u32> {
        c.get(i..i + n)?.iter().collect::<String>().parse().ok()
    };
    let mut mois_seul = None;
    for i in 0..c.len() {
        let avant_ok = i == 0 || !c.get(i - 1).is_some_and(char::is_ascii_digit);
        if !avant_ok || !chiffres(i, 4) || c.get(i + 4) != Some(&'-') || !chiffres(i + 5, 2) {
            continue;
        }
        let (Some(a), Some(m)) = (nombre_a(i, 4), nombre_a(i + 5, 2)) else {
            continue;
        };
        if c.get(i + 7) == Some(&'-') && chiffres(i + 8, 2) && !chiffres(i + 10, 1) {
            if let Some(d) =
                nombre_a(i + 8, 2).and_then(|j| NaiveDate::from_ymd_opt(a as i32, m, j))
            {
                return Some(d);
            }
        }
        if !chiffres(i + 7, 1) && mois_seul.is_none() {
            mois_seul = NaiveDate::from_ymd_opt(a as i32, m, 1);
        }
    }
    mois_seul
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            courriel("contact@arqa.FR").as_deref(),
            Some("contact@arqa.FR")
        );
        assert_eq!(
            courriel("mairie-st-perreux@wanadoo.fr.").as_deref(),
            Some("mairie-st-perreux@wanadoo.fr")
        );
        assert_eq!(courriel("mailto:a@b.fr").as_deref(), Some("a@b.fr"));
        for bad in [
            "csclepalabregmail.com",
            "polesocial@rs13.f",
            "secretariat.",
            "https://www.saint-herblain.fr/Nous-contacter",
            "mfs@ville-louvres",
            "a@@b.fr",
            "@b.fr",
            "é@b.fr",
            "mdsba@cc montsdupilat.fr",
            "aubiet@france-service.gouv,fr",
        ] {
            assert_eq!(courriel(bad), None, "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(
            url("https://www.arqa.fr/"),
            Some(("https://www.arqa.fr/".into(), false))
        );
        assert_eq!(
            url("http:morinie.reseaubibli.fr/"),
            Some(("http://morinie.reseaubibli.fr/".into(), true))
        );
        assert_eq!(
            url("www.ville-meyreuil.fr"),
            Some(("https://www.ville-meyreuil.fr".into(), true))
        );
        assert_eq!(
            url("HTTPS://Exemple.fr/a?b=c"),
            Some(("https://Exemple.fr/a?b=c".into(), false))
        );
        for bad in [
            "",
            "néant",
            "a b.fr",
            "ftp://x.fr",
            "x@y.fr",
            "http://localhost",
            "https://",
        ] {
            assert_eq!(url(bad), None, "{bad}");
        }
    }

    #[test]
    fn summary_is_cut_at_a_word_with_an_ellipsis() {
        assert_eq!(tronquer_resume("court"), None);
        let long = "mot ".repeat(100);
        let t = tronquer_resume(&long).unwrap_or_default();
        assert!(t.chars().count() <= RESUME_MAX);
        assert!(t.ends_with("mot…"), "{t}");
        let sans_espace = "x".repeat(400);
        let t = tronquer_resume(&sans_espace).unwrap_or_default();
        assert_eq!(t.chars().count(), RESUME_MAX);
        let accents = "é".repeat(300);
        assert_eq!(
            tronquer_resume(&accents).map(|t| t.chars().count()),
            Some(RESUME_MAX)
        );
    }

    #[test]
    fn coordinates_and_france() {
        assert_eq!(nombre("50.690383"), Some(50.690383));
        assert_eq!(nombre(" 50,69 "), Some(50.69));
        assert_eq!(nombre("NaN"), None);
        assert_eq!(nombre("x"), None);
        assert!(en_france(46.1, 5.8));
        assert!(en_france(-22.23, 166.47));
        assert!(en_france(16.25, -61.55));
        assert!(!en_france(5.8, 46.1));
        assert!(!en_france(40.7, -74.0));
        let d = distance_km((48.8566, 2.3522), (45.764, 4.8357));
        assert!((d - 392.0).abs() < 3.0, "{d}");
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2022, 5, 9);
        assert_eq!(date("2022-05-09"), d);
        assert_eq!(date("2022-05-09T10:00:00Z"), d);
        assert_eq!(date("09/05/2022"), d);
        assert_eq!(date("2022-13-01"), None);
        assert_eq!(date("é"), None);
        assert_eq!(
            date_dans_nom("france-services_2022-12-01.csv"),
            NaiveDate::from_ymd_opt(2022, 12, 1)
        );
        assert_eq!(
            date_dans_nom("/x/conseillers-numeriques_lieux_2022-07.json"),
            NaiveDate::from_ymd_opt(2022, 7, 1)
        );
        assert_eq!(date_dans_nom("hinaura_2021.json"), None);
        assert_eq!(date_dans_nom("2022-13-45"), None);
    }
}
