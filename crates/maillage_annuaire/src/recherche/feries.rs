//! French public holidays (jours fériés), computed for any year, and the time zone of each
//! part of France.
//!
//! National holidays (Code du travail, art. L3133-1): 1 January, Easter Monday, 1 May, 8 May,
//! Ascension Thursday, Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December.
//! Whit Monday is kept as a holiday although many employers work it as the « journée de
//! solidarité »: opening hours written `PH off` are read as closed on that day.
//!
//! Local additions:
//! - Alsace-Moselle (départements 57, 67, 68): Good Friday and 26 December (art. L3134-13);
//! - abolition of slavery (décret n° 83-1003 and later laws): Mayotte 27 April, Martinique
//!   22 May, Guadeloupe 27 May, Saint-Martin 28 May, Guyane 10 June, Saint-Barthélemy
//!   9 October, La Réunion 20 December;
//! - Nouvelle-Calédonie: 24 September (fête de la citoyenneté);
//! - Polynésie française: 5 March (arrivée de l'Évangile), Good Friday, 29 June (fête de
//!   l'autonomie);
//! - Wallis-et-Futuna: 29 July (fête du territoire).

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

/// A part of France with its own time zone or its own public holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZoneHoraire {
    /// Metropolitan France and Corsica, outside Alsace-Moselle (and, by default, a place whose
    /// département is unknown).
    Metropole,
    /// Bas-Rhin, Haut-Rhin, Moselle: two more holidays.
    AlsaceMoselle,
    Guadeloupe,
    Martinique,
    Guyane,
    LaReunion,
    Mayotte,
    SaintPierreEtMiquelon,
    SaintBarthelemy,
    SaintMartin,
    WallisEtFutuna,
    /// Tahiti time for the whole collectivity (the Marquesas, 30 minutes ahead, and the
    /// Gambier, 1 hour ahead, are not told apart).
    PolynesieFrancaise,
    NouvelleCaledonie,
}

impl ZoneHoraire {
    /// Every zone.
    pub const TOUTES: [ZoneHoraire; 13] = [
        ZoneHoraire::Metropole,
        ZoneHoraire::AlsaceMoselle,
        ZoneHoraire::Guadeloupe,
        ZoneHoraire::Martinique,
        ZoneHoraire::Guyane,
        ZoneHoraire::LaReunion,
        ZoneHoraire::Mayotte,
        ZoneHoraire::SaintPierreEtMiquelon,
        ZoneHoraire::SaintBarthelemy,
        ZoneHoraire::SaintMartin,
        ZoneHoraire::WallisEtFutuna,
        ZoneHoraire::PolynesieFrancaise,
        ZoneHoraire::NouvelleCaledonie,
    ];

    /// Position in [`ZoneHoraire::TOUTES`].
    pub fn rang(self) -> usize {
        self as usize
    }

    /// The zone of a département code (`31`, `2A`, `57`, `971`, `988`); metropolitan time for
    /// anything else (TAAF and Clipperton included).
    pub fn du_departement(code: &str) -> ZoneHoraire {
        match code.trim() {
            "57" | "67" | "68" => ZoneHoraire::AlsaceMoselle,
            "971" => ZoneHoraire::Guadeloupe,
            "972" => ZoneHoraire::Martinique,
            "973" => ZoneHoraire::Guyane,
            "974" => ZoneHoraire::LaReunion,
            "975" => ZoneHoraire::SaintPierreEtMiquelon,
            "976" => ZoneHoraire::Mayotte,
            "977" => ZoneHoraire::SaintBarthelemy,
            "978" => ZoneHoraire::SaintMartin,
            "986" => ZoneHoraire::WallisEtFutuna,
            "987" => ZoneHoraire::PolynesieFrancaise,
            "988" => ZoneHoraire::NouvelleCaledonie,
            _ => ZoneHoraire::Metropole,
        }
    }

    /// The zone of a postal code or INSEE code, from its first digits (`57…`, `971…`, `988…`).
    pub fn du_code(code: &str) -> ZoneHoraire {
        let code = code.trim();
        match code.get(..2) {
            Some("97") | Some("98") => ZoneHoraire::du_departement(code.get(..3).unwrap_or("")),
            Some(dep) => ZoneHoraire::du_departement(dep),
            None => ZoneHoraire::Metropole,
        }
    }

    /// The IANA time zone.
    pub fn fuseau(self) -> Tz {
        match self {
            ZoneHoraire::Metropole | ZoneHoraire::AlsaceMoselle => chrono_tz::Europe::Paris,
            ZoneHoraire::Guadeloupe => chrono_tz::America::Guadeloupe,
            ZoneHoraire::Martinique => chrono_tz::America::Martinique,
            ZoneHoraire::Guyane => chrono_tz::America::Cayenne,
            ZoneHoraire::LaReunion => chrono_tz::Indian::Reunion,
            ZoneHoraire::Mayotte => chrono_tz::Indian::Mayotte,
            ZoneHoraire::SaintPierreEtMiquelon => chrono_tz::America::Miquelon,
            ZoneHoraire::SaintBarthelemy => chrono_tz::America::St_Barthelemy,
            ZoneHoraire::SaintMartin => chrono_tz::America::Marigot,
            ZoneHoraire::WallisEtFutuna => chrono_tz::Pacific::Wallis,
            ZoneHoraire::PolynesieFrancaise => chrono_tz::Pacific::Tahiti,
            ZoneHoraire::NouvelleCaledonie => chrono_tz::Pacific::Noumea,
        }
    }

    /// Whether `date` is a public holiday in this zone.
    pub fn est_ferie(self, date: NaiveDate) -> bool {
        est_ferie_national(date) || self.est_ferie_local(date)
    }

    /// The public holidays of a year in this zone, in date order.
    pub fn feries(self, annee: i32) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = [
            (1, 1),
            (5, 1),
            (5, 8),
            (7, 14),
            (8, 15),
            (11, 1),
            (11, 11),
            (12, 25),
        ]
        .into_iter()
        .filter_map(|(m, j)| NaiveDate::from_ymd_opt(annee, m, j))
        .collect();
        let locales: &[(u32, u32)] = match self {
            ZoneHoraire::Metropole | ZoneHoraire::SaintPierreEtMiquelon => &[],
            ZoneHoraire::AlsaceMoselle => &[(12, 26)],
            ZoneHoraire::Guadeloupe => &[(5, 27)],
            ZoneHoraire::Martinique => &[(5, 22)],
            ZoneHoraire::Guyane => &[(6, 10)],
            ZoneHoraire::LaReunion => &[(12, 20)],
            ZoneHoraire::Mayotte => &[(4, 27)],
            ZoneHoraire::SaintBarthelemy => &[(10, 9)],
            ZoneHoraire::SaintMartin => &[(5, 28)],
            ZoneHoraire::WallisEtFutuna => &[(7, 29)],
            ZoneHoraire::PolynesieFrancaise => &[(3, 5), (6, 29)],
            ZoneHoraire::NouvelleCaledonie => &[(9, 24)],
        };
        dates.extend(
            locales
                .iter()
                .filter_map(|&(m, j)| NaiveDate::from_ymd_opt(annee, m, j)),
        );
        if let Some(p) = paques(annee) {
            dates.extend([1, 39, 50].map(|n| p + Duration::days(n)));
            if matches!(
                self,
                ZoneHoraire::AlsaceMoselle | ZoneHoraire::PolynesieFrancaise
            ) {
                dates.push(p - Duration::days(2));
            }
        }
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    fn est_ferie_local(self, date: NaiveDate) -> bool {
        let (m, j) = (date.month(), date.day());
        let vendredi_saint = || paques(date.year()).is_some_and(|p| date == p - Duration::days(2));
        match self {
            ZoneHoraire::Metropole | ZoneHoraire::SaintPierreEtMiquelon => false,
            ZoneHoraire::AlsaceMoselle => (m, j) == (12, 26) || vendredi_saint(),
            ZoneHoraire::Guadeloupe => (m, j) == (5, 27),
            ZoneHoraire::Martinique => (m, j) == (5, 22),
            ZoneHoraire::Guyane => (m, j) == (6, 10),
            ZoneHoraire::LaReunion => (m, j) == (12, 20),
            ZoneHoraire::Mayotte => (m, j) == (4, 27),
            ZoneHoraire::SaintBarthelemy => (m, j) == (10, 9),
            ZoneHoraire::SaintMartin => (m, j) == (5, 28),
            ZoneHoraire::WallisEtFutuna => (m, j) == (7, 29),
            ZoneHoraire::PolynesieFrancaise => {
                (m, j) == (3, 5) || (m, j) == (6, 29) || vendredi_saint()
            }
            ZoneHoraire::NouvelleCaledonie => (m, j) == (9, 24),
        }
    }
}

/// Whether `date` is one of the 11 national public holidays.
pub fn est_ferie_national(date: NaiveDate) -> bool {
    match (date.month(), date.day()) {
        (1, 1) | (5, 1) | (5, 8) | (7, 14) | (8, 15) | (11, 1) | (11, 11) | (12, 25) => true,
        (3..=6, _) => paques(date.year()).is_some_and(|p| {
            let ecart = (date - p).num_days();
            // Easter Monday, Ascension Thursday, Whit Monday.
            ecart == 1 || ecart == 39 || ecart == 50
        }),
        _ => false,
    }
}

/// Easter Sunday of a year of the Gregorian calendar (anonymous Gregorian algorithm, also
/// known as Meeus/Jones/Butcher).
pub fn paques(annee: i32) -> Option<NaiveDate> {
    let a = annee.rem_euclid(19);
    let b = annee.div_euclid(100);
    let c = annee.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let mois = (h + l - 7 * m + 114).div_euclid(31);
    let jour = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(annee, mois as u32, jour as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, j).expect("valid test date")
    }

    #[test]
    fn easter_dates() {
        assert_eq!(paques(2024), Some(d(2024, 3, 31)));
        assert_eq!(paques(2025), Some(d(2025, 4, 20)));
        assert_eq!(paques(2026), Some(d(2026, 4, 5)));
        assert_eq!(paques(2038), Some(d(2038, 4, 25)));
        assert_eq!(paques(2008), Some(d(2008, 3, 23)));
    }

    #[test]
    fn the_eleven_national_holidays_of_2025() {
        let feries: Vec<NaiveDate> = d(2025, 1, 1)
            .iter_days()
            .take_while(|x| x.year() == 2025)
            .filter(|x| est_ferie_national(*x))
            .collect();
        assert_eq!(
            feries,
            vec![
                d(2025, 1, 1),
                d(2025, 4, 21),
                d(2025, 5, 1),
                d(2025, 5, 8),
                d(2025, 5, 29),
                d(2025, 6, 9),
                d(2025, 7, 14),
                d(2025, 8, 15),
                d(2025, 11, 1),
                d(2025, 11, 11),
                d(2025, 12, 25),
            ]
        );
    }

    #[test]
    fn local_holidays() {
        assert!(ZoneHoraire::AlsaceMoselle.est_ferie(d(2025, 4, 18)));
        assert!(ZoneHoraire::AlsaceMoselle.est_ferie(d(2025, 12, 26)));
        assert!(!ZoneHoraire::Metropole.est_ferie(d(2025, 4, 18)));
        assert!(ZoneHoraire::LaReunion.est_ferie(d(2025, 12, 20)));
        assert!(ZoneHoraire::NouvelleCaledonie.est_ferie(d(2025, 9, 24)));
        assert!(ZoneHoraire::NouvelleCaledonie.est_ferie(d(2025, 7, 14)));
        assert!(!ZoneHoraire::Metropole.est_ferie(d(2025, 9, 24)));
    }

    #[test]
    fn yearly_lists_agree_with_the_daily_test() {
        for zone in ZoneHoraire::TOUTES {
            for annee in [2000, 2024, 2025, 2026, 2038] {
                let jour_par_jour: Vec<NaiveDate> = d(annee, 1, 1)
                    .iter_days()
                    .take_while(|x| x.year() == annee)
                    .filter(|x| zone.est_ferie(*x))
                    .collect();
                assert_eq!(zone.feries(annee), jour_par_jour, "{zone:?} {annee}");
            }
        }
    }

    #[test]
    fn zones_of_codes() {
        assert_eq!(ZoneHoraire::du_code("31555"), ZoneHoraire::Metropole);
        assert_eq!(ZoneHoraire::du_code("67482"), ZoneHoraire::AlsaceMoselle);
        assert_eq!(
            ZoneHoraire::du_code("98818"),
            ZoneHoraire::NouvelleCaledonie
        );
        assert_eq!(ZoneHoraire::du_code("97411"), ZoneHoraire::LaReunion);
        assert_eq!(ZoneHoraire::du_code("2A004"), ZoneHoraire::Metropole);
        assert_eq!(ZoneHoraire::du_code(""), ZoneHoraire::Metropole);
        for (i, z) in ZoneHoraire::TOUTES.iter().enumerate() {
            assert_eq!(z.rang(), i);
        }
    }
}
