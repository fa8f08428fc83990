//! OSM opening hours, evaluated fast for "open now" filters and the results list.
//!
//! Every distinct opening-hours string of the directory is parsed once with the
//! `opening-hours` crate. Most strings met in the wild only select week days, public
//! holidays (`PH`) and times (`Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off`): the
//! schedule of a date then depends only on its week day, whether it is a public holiday, and
//! whether the day before is one (a time range may run past midnight). Such a string is
//! *compiled*: the crate computes its 7 × 2 × 2 day schedules once, on made-up dates where
//! the holidays are placed as needed, and an evaluation is then a table look-up. Any other
//! string (month or week ranges, years, `easter`, `SH`, `PH +1 day`, nth week days…) is
//! evaluated by the crate itself at query time, with the holidays of the place's zone.
//!
//! Times: a query moment is given in metropolitan time (Europe/Paris, what the web server
//! sees); each place is evaluated at the same instant in its own zone (see [`ZoneHoraire`]),
//! and the times returned by [`EtatOuverture`] are the place's local wall-clock times.

use super::feries::ZoneHoraire;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays, OpeningHours, RuleKind};
use opening_hours_syntax::rules::day::{HolidayKind, WeekDayRange};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Whether a place is open at a moment, for the results list ("ouvert jusqu'à 17 h",
/// "ouvre mardi à 9 h").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EtatOuverture {
    /// Open; `jusqu_a` is when it closes (or turns unknown), local time of the place, `None`
    /// when it stays open for more than a week (`24/7`).
    Ouvert { jusqu_a: Option<NaiveDateTime> },
    /// Closed; `prochaine_ouverture` is when it opens next, local time of the place, `None`
    /// when it does not within a year.
    Ferme {
        prochaine_ouverture: Option<NaiveDateTime>,
    },
    /// No usable opening hours (none given, not in OSM syntax), or hours marked `unknown` at
    /// that moment.
    Inconnu,
}

/// When a place must be open, for the "ouvert" filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ouverture {
    /// Open at this moment, given in metropolitan time (Europe/Paris): pass "now" as the web
    /// server's local time in Paris. Overseas places are evaluated at the same instant in their
    /// own time zone.
    A(NaiveDateTime),
    /// Open at some moment of this calendar day (the place's own local date).
    Jour(NaiveDate),
    /// Open at some moment between `debut` and `fin` (minutes since midnight, `fin` up to
    /// 1440) of this calendar day, in the place's own local time: « samedi matin ».
    Plage {
        date: NaiveDate,
        debut: u16,
        fin: u16,
    },
}

/// State of one range of a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Etat {
    Ferme,
    Ouvert,
    Inconnu,
}

impl From<RuleKind> for Etat {
    fn from(kind: RuleKind) -> Self {
        match kind {
            RuleKind::Open => Etat::Ouvert,
            RuleKind::Closed => Etat::Ferme,
            RuleKind::Unknown => Etat::Inconnu,
        }
    }
}

/// `debut..fin` minutes of a day in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Plage {
    debut: u16,
    fin: u16,
    etat: Etat,
}

/// The 28 day schedules of a compiled string, by [`combinaison`], as indexes of day schedules.
type Programme = [u32; 28];

/// How one (zone, opening-hours string) pair is evaluated.
enum Evaluation {
    /// No hours, or hours not in OSM syntax: always [`EtatOuverture::Inconnu`].
    Aucune,
    /// A compiled week: index of its [`Programme`].
    Semaine(u32),
    /// Evaluated by the crate, with the zone's holidays.
    Complexe(Box<OpeningHours>),
}

/// How a distinct string was understood.
#[derive(Clone)]
enum Compile {
    Invalide,
    Semaine(u32),
    Complexe(OpeningHours),
}

/// Opening hours of every place of a search engine, grouped by key: one key per distinct
/// (zone, opening-hours string) pair.
pub(crate) struct TableHoraires {
    journees: Vec<Box<[Plage]>>,
    programmes: Vec<Programme>,
    cles: Vec<(ZoneHoraire, Evaluation)>,
}

/// A key of [`TableHoraires`] before evaluation is set up.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CleHoraire {
    pub(crate) zone: ZoneHoraire,
    /// The raw string when it is valid OSM syntax.
    pub(crate) brut: Option<String>,
}

/// Builds a [`TableHoraires`], compiling each distinct string once.
#[derive(Default)]
pub(crate) struct Compilateur {
    journees: Vec<Box<[Plage]>>,
    index_journees: HashMap<Box<[Plage]>, u32>,
    programmes: Vec<Programme>,
    index_programmes: HashMap<Programme, u32>,
    chaines: HashMap<String, Compile>,
    cles: Vec<(ZoneHoraire, Evaluation)>,
}

impl Compilateur {
    /// Adds a key; keys are numbered in the order they are added.
    pub(crate) fn ajouter(&mut self, cle: &CleHoraire) {
        let evaluation = match &cle.brut {
            None => Evaluation::Aucune,
            Some(brut) => match self.compiler(brut) {
                Compile::Invalide => Evaluation::Aucune,
                Compile::Semaine(p) => Evaluation::Semaine(p),
                Compile::Complexe(oh) => {
                    Evaluation::Complexe(Box::new(oh.with_context(contexte_zone(cle.zone))))
                }
            },
        };
        self.cles.push((cle.zone, evaluation));
    }

    pub(crate) fn terminer(self) -> TableHoraires {
        TableHoraires {
            journees: self.journees,
            programmes: self.programmes,
            cles: self.cles,
        }
    }

    fn compiler(&mut self, brut: &str) -> Compile {
        if let Some(c) = self.chaines.get(brut) {
            return c.clone();
        }
        let c = match brut.parse::<OpeningHours>() {
            Err(_) => Compile::Invalide,
            Ok(oh) if !est_hebdomadaire(&oh) => Compile::Complexe(oh),
            Ok(oh) => {
                let oh = oh.with_context(contexte_synthetique().clone());
                let mut programme = [0u32; 28];
                for (c, jour) in programme.iter_mut().enumerate() {
                    let plages = plages_du_jour(&oh, date_synthetique(c));
                    *jour = self.journee(plages);
                }
                let n = self.programmes.len() as u32;
                let p = *self.index_programmes.entry(programme).or_insert(n);
                if p == n {
                    self.programmes.push(programme);
                }
                Compile::Semaine(p)
            }
        };
        self.chaines.insert(brut.to_string(), c.clone());
        c
    }

    fn journee(&mut self, plages: Box<[Plage]>) -> u32 {
        if let Some(&j) = self.index_journees.get(&plages) {
            return j;
        }
        let j = self.journees.len() as u32;
        self.index_journees.insert(plages.clone(), j);
        self.journees.push(plages);
        j
    }
}

/// Whether the day schedules of an expression depend only on the week day and the public
/// holidays of the day and the day before.
fn est_hebdomadaire(oh: &OpeningHours) -> bool {
    oh.get_expression().rules.iter().all(|regle| {
        let jours = &regle.day_selector;
        jours.year.is_empty()
            && jours.monthday.is_empty()
            && jours.week.is_empty()
            && jours.weekday.iter().all(|w| match w {
                WeekDayRange::Fixed {
                    offset,
                    nth_from_start,
                    nth_from_end,
                    ..
                } => {
                    *offset == 0
                        && nth_from_start.iter().all(|b| *b)
                        && nth_from_end.iter().all(|b| *b)
                }
                WeekDayRange::Holiday { kind, offset } => {
                    *kind == HolidayKind::Public && *offset == 0
                }
            })
    })
}

/// The day schedule of `date`: contiguous ranges covering `0..1440`, neighbours in different
/// states.
fn plages_du_jour<L: opening_hours::localization::Localize>(
    oh: &OpeningHours<L>,
    date: NaiveDate,
) -> Box<[Plage]> {
    let mut plages: Vec<Plage> = Vec::new();
    for r in oh.schedule_at(date) {
        let debut = r.range.start.mins_from_midnight().min(1440);
        let fin = r.range.end.mins_from_midnight().min(1440);
        if debut >= fin {
            continue;
        }
        let etat = Etat::from(r.kind);
        match plages.last_mut() {
            Some(p) if p.etat == etat && p.fin == debut => p.fin = fin,
            _ => plages.push(Plage { debut, fin, etat }),
        }
    }
    if plages.is_empty() {
        plages.push(Plage {
            debut: 0,
            fin: 1440,
            etat: Etat::Ferme,
        });
    }
    plages.into_boxed_slice()
}

/// Index of the day schedule of a date in a [`Programme`]: week day × holiday × holiday the
/// day before.
fn combinaison(zone: ZoneHoraire, date: NaiveDate) -> usize {
    let veille = date.pred_opt().is_some_and(|v| zone.est_ferie(v));
    date.weekday().num_days_from_monday() as usize * 4
        + usize::from(zone.est_ferie(date)) * 2
        + usize::from(veille)
}

/// A Monday far from any real use: made-up dates of [`combinaison`] `c` are 21 days apart.
fn date_synthetique(c: usize) -> NaiveDate {
    let lundi = NaiveDate::from_ymd_opt(2001, 1, 1).unwrap_or_default();
    lundi + Duration::days((21 * c + c / 4) as i64)
}

/// Holidays placed on the made-up dates as each [`combinaison`] needs.
fn contexte_synthetique() -> &'static Context {
    static C: OnceLock<Context> = OnceLock::new();
    C.get_or_init(|| {
        let mut calendrier = CompactCalendar::default();
        for c in 0..28 {
            let date = date_synthetique(c);
            if c & 2 != 0 {
                calendrier.insert(date);
            }
            if c & 1 != 0 {
                if let Some(veille) = date.pred_opt() {
                    calendrier.insert(veille);
                }
            }
        }
        Context::default().with_holidays(ContextHolidays::new(
            Arc::new(calendrier),
            Arc::new(CompactCalendar::default()),
        ))
    })
}

/// First and last years with public holidays in the crate's calendars.
const ANNEES: std::ops::RangeInclusive<i32> = 1990..=2100;

/// The evaluation context of a zone: its public holidays, no school holidays.
fn contexte_zone(zone: ZoneHoraire) -> Context {
    static C: OnceLock<Vec<Context>> = OnceLock::new();
    let contextes = C.get_or_init(|| {
        ZoneHoraire::TOUTES
            .iter()
            .map(|z| {
                let mut calendrier = CompactCalendar::default();
                for annee in ANNEES {
                    for date in z.feries(annee) {
                        calendrier.insert(date);
                    }
                }
                Context::default().with_holidays(ContextHolidays::new(
                    Arc::new(calendrier),
                    Arc::new(CompactCalendar::default()),
                ))
            })
            .collect()
    });
    contextes.get(zone.rang()).cloned().unwrap_or_default()
}

/// The wall-clock time in `zone` at the instant that is `paris` in Europe/Paris. A time that
/// does not exist in Paris (the spring-forward hour) is read one hour later; an ambiguous one
/// (the autumn hour) as its first occurrence.
pub(crate) fn heure_locale(zone: ZoneHoraire, paris: NaiveDateTime) -> NaiveDateTime {
    if matches!(zone, ZoneHoraire::Metropole | ZoneHoraire::AlsaceMoselle) {
        return paris;
    }
    let tz = chrono_tz::Europe::Paris;
    let instant = tz.from_local_datetime(&paris).earliest().or_else(|| {
        tz.from_local_datetime(&(paris + Duration::hours(1)))
            .earliest()
    });
    match instant {
        Some(i) => i.with_timezone(&zone.fuseau()).naive_local(),
        None => paris,
    }
}

/// A query moment seen from each zone.
pub(crate) enum Quand {
    A([(NaiveDateTime, u8, u16); 13]),
    Jour(NaiveDate, [u8; 13]),
    Plage(NaiveDate, [u8; 13], u16, u16),
}

impl Quand {
    pub(crate) fn nouveau(ouverture: Ouverture) -> Quand {
        match ouverture {
            Ouverture::A(paris) => Quand::A(ZoneHoraire::TOUTES.map(|zone| {
                let local = heure_locale(zone, paris);
                let minute = (local.hour() * 60 + local.minute()) as u16;
                (local, combinaison(zone, local.date()) as u8, minute)
            })),
            Ouverture::Jour(date) => Quand::Jour(
                date,
                ZoneHoraire::TOUTES.map(|zone| combinaison(zone, date) as u8),
            ),
            Ouverture::Plage { date, debut, fin } => Quand::Plage(
                date,
                ZoneHoraire::TOUTES.map(|zone| combinaison(zone, date) as u8),
                debut,
                fin.min(1440),
            ),
        }
    }
}

fn heure(minute: u16) -> NaiveTime {
    NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0).unwrap_or_default()
}

impl TableHoraires {
    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.cles.len()
    }

    /// The zone of key `cle`.
    pub(crate) fn zone(&self, cle: usize) -> Option<ZoneHoraire> {
        self.cles.get(cle).map(|(z, _)| *z)
    }

    /// Whether the places of key `cle` are open at `quand`.
    pub(crate) fn ouvert(&self, cle: usize, quand: &Quand) -> bool {
        let Some((zone, evaluation)) = self.cles.get(cle) else {
            return false;
        };
        let z = zone.rang();
        match (evaluation, quand) {
            (Evaluation::Aucune, _) => false,
            (Evaluation::Semaine(p), Quand::A(moments)) => {
                let (_, combinaison, minute) = moments[z];
                self.plages(*p, combinaison as usize)
                    .iter()
                    .find(|pl| pl.debut <= minute && minute < pl.fin)
                    .is_some_and(|pl| pl.etat == Etat::Ouvert)
            }
            (Evaluation::Semaine(p), Quand::Jour(_, combinaisons)) => self
                .plages(*p, combinaisons[z] as usize)
                .iter()
                .any(|pl| pl.etat == Etat::Ouvert),
            (Evaluation::Complexe(oh), Quand::A(moments)) => oh.is_open(moments[z].0),
            (Evaluation::Complexe(oh), Quand::Jour(date, _)) => oh
                .schedule_at(*date)
                .into_iter()
                .any(|r| r.kind == RuleKind::Open),
            (Evaluation::Semaine(p), Quand::Plage(_, combinaisons, debut, fin)) => self
                .plages(*p, combinaisons[z] as usize)
                .iter()
                .any(|pl| pl.etat == Etat::Ouvert && pl.debut < *fin && *debut < pl.fin),
            (Evaluation::Complexe(oh), Quand::Plage(date, _, debut, fin)) => {
                oh.schedule_at(*date).into_iter().any(|r| {
                    let a = r.range.start.mins_from_midnight();
                    let b = r.range.end.mins_from_midnight();
                    r.kind == RuleKind::Open && a < *fin && *debut < b
                })
            }
        }
    }

    fn plages(&self, programme: u32, combinaison: usize) -> &[Plage] {
        self.programmes
            .get(programme as usize)
            .and_then(|p| p.get(combinaison))
            .and_then(|&j| self.journees.get(j as usize))
            .map_or(&[], |j| &j[..])
    }

    /// State of the places of key `cle` at `paris` (Europe/Paris wall-clock time), with times
    /// in the place's zone.
    pub(crate) fn etat(&self, cle: usize, paris: NaiveDateTime) -> EtatOuverture {
        let Some((zone, evaluation)) = self.cles.get(cle) else {
            return EtatOuverture::Inconnu;
        };
        let local = heure_locale(*zone, paris);
        match evaluation {
            Evaluation::Aucune => EtatOuverture::Inconnu,
            Evaluation::Semaine(p) => self.etat_semaine(*p, *zone, local),
            Evaluation::Complexe(oh) => etat_complexe(oh, local),
        }
    }

    fn etat_semaine(&self, p: u32, zone: ZoneHoraire, local: NaiveDateTime) -> EtatOuverture {
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let mut date = local.date();
        let plages = self.plages(p, combinaison(zone, date));
        let Some(mut j) = plages
            .iter()
            .position(|pl| pl.debut <= minute && minute < pl.fin)
        else {
            return EtatOuverture::Inconnu;
        };
        match plages[j].etat {
            Etat::Inconnu => EtatOuverture::Inconnu,
            Etat::Ouvert => {
                for _ in 0..8 {
                    let plages = self.plages(p, combinaison(zone, date));
                    while j < plages.len() && plages[j].etat == Etat::Ouvert {
                        j += 1;
                    }
                    if let Some(pl) = plages.get(j) {
                        return EtatOuverture::Ouvert {
                            jusqu_a: Some(date.and_time(heure(pl.debut))),
                        };
                    }
                    let Some(suivant) = date.succ_opt() else {
                        break;
                    };
                    date = suivant;
                    j = 0;
                }
                EtatOuverture::Ouvert { jusqu_a: None }
            }
            Etat::Ferme => {
                j += 1;
                for _ in 0..=370 {
                    let plages = self.plages(p, combinaison(zone, date));
                    if let Some(pl) = plages.iter().skip(j).find(|pl| pl.etat == Etat::Ouvert) {
                        return EtatOuverture::Ferme {
                            prochaine_ouverture: Some(date.and_time(heure(pl.debut))),
                        };
                    }
                    let Some(suivant) = date.succ_opt() else {
                        break;
                    };
                    date = suivant;
                    j = 0;
                }
                EtatOuverture::Ferme {
                    prochaine_ouverture: None,
                }
            }
        }
    }

    /// Statistics: (keys, compiled keys, keys left to the crate).
    pub(crate) fn statistiques(&self) -> (usize, usize, usize) {
        let compiles = self
            .cles
            .iter()
            .filter(|(_, e)| matches!(e, Evaluation::Semaine(_)))
            .count();
        let complexes = self
            .cles
            .iter()
            .filter(|(_, e)| matches!(e, Evaluation::Complexe(_)))
            .count();
        (self.cles.len(), compiles, complexes)
    }
}

/// One day of a readable week: when the place is open, local time of the place.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct JourOuvert {
    pub date: NaiveDate,
    /// A public holiday of the place's zone.
    pub ferie: bool,
    /// Open ranges, in minutes since midnight (`fin` up to 1440).
    pub plages: Vec<(u16, u16)>,
    /// Some moment of the day is marked `unknown` in the hours.
    pub incertain: bool,
}

/// The seven days from `lundi`, with their open ranges, from an OSM `opening_hours` string
/// evaluated with the public holidays of `zone`. `None` when the string does not parse.
pub fn semaine(brut: &str, zone: ZoneHoraire, lundi: NaiveDate) -> Option<Vec<JourOuvert>> {
    let oh = brut
        .parse::<OpeningHours>()
        .ok()?
        .with_context(contexte_zone(zone));
    let mut jours = Vec::with_capacity(7);
    for k in 0..7 {
        let date = lundi + Duration::days(k);
        let debut = date.and_time(NaiveTime::MIN);
        let fin = debut + Duration::days(1);
        let mut plages: Vec<(u16, u16)> = Vec::new();
        let mut incertain = false;
        for r in oh.iter_range(debut, fin) {
            let minutes = |t: NaiveDateTime| -> u16 {
                if t >= fin {
                    1440
                } else if t <= debut {
                    0
                } else {
                    u16::try_from((t - debut).num_minutes()).unwrap_or(1440)
                }
            };
            let (a, b) = (minutes(r.range.start), minutes(r.range.end));
            match r.kind {
                RuleKind::Open if b > a => match plages.last_mut() {
                    Some(der) if der.1 == a => der.1 = b,
                    _ => plages.push((a, b)),
                },
                RuleKind::Unknown if b > a => incertain = true,
                _ => {}
            }
        }
        jours.push(JourOuvert {
            date,
            ferie: zone.est_ferie(date),
            plages,
            incertain,
        });
    }
    Some(jours)
}

fn etat_complexe(oh: &OpeningHours, local: NaiveDateTime) -> EtatOuverture {
    match oh.state(local).0 {
        RuleKind::Unknown => EtatOuverture::Inconnu,
        RuleKind::Open => {
            let fin = oh
                .iter_range(local, local + Duration::days(8))
                .find(|r| r.kind != RuleKind::Open)
                .map(|r| r.range.start);
            EtatOuverture::Ouvert { jusqu_a: fin }
        }
        RuleKind::Closed => {
            let debut = oh
                .iter_range(local, local + Duration::days(371))
                .find(|r| r.kind == RuleKind::Open)
                .map(|r| r.range.start);
            EtatOuverture::Ferme {
                prochaine_ouverture: debut,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_week_with_a_holiday() {
        let lundi = NaiveDate::from_ymd_opt(2026, 7, 13).unwrap_or_default();
        let s = semaine(
            "Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-24:00; PH off",
            ZoneHoraire::Metropole,
            lundi,
        )
        .unwrap_or_default();
        assert_eq!(s.len(), 7);
        assert_eq!(s[0].plages, vec![(540, 720), (840, 1050)]);
        assert!(!s[0].ferie);
        // 14 July.
        assert!(s[1].ferie);
        assert!(s[1].plages.is_empty());
        assert_eq!(s[5].plages, vec![(600, 1440)]);
        assert!(s[6].plages.is_empty());
        assert!(semaine("n'importe quoi", ZoneHoraire::Metropole, lundi).is_none());
    }

    fn table(brut: &str, zone: ZoneHoraire) -> TableHoraires {
        let mut c = Compilateur::default();
        c.ajouter(&CleHoraire {
            zone,
            brut: Some(brut.to_string()),
        });
        c.terminer()
    }

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid test date")
    }

    /// The crate's own evaluation, with the zone's holidays.
    fn reference(brut: &str, zone: ZoneHoraire) -> OpeningHours {
        brut.parse::<OpeningHours>()
            .expect("valid")
            .with_context(contexte_zone(zone))
    }

    #[test]
    fn synthetic_dates_have_the_weekday_they_stand_for_and_are_far_apart() {
        let mut dates: Vec<NaiveDate> = (0..28).map(date_synthetique).collect();
        for (c, d) in dates.iter().enumerate() {
            assert_eq!(d.weekday().num_days_from_monday() as usize, c / 4);
        }
        dates.sort();
        for w in dates.windows(2) {
            assert!((w[1] - w[0]).num_days() >= 3, "{w:?}");
        }
        dates.dedup();
        assert_eq!(dates.len(), 28);
    }

    #[test]
    fn compiled_weeks_agree_with_the_crate_over_two_years() {
        let cas = [
            "Mo-Fr 09:00-12:00,14:00-17:00",
            "Mo-Fr 09:00-17:00; PH off",
            "Mo,We,Fr 08:30-12:30; Tu,Th 13:30-18:00; Sa 09:00-12:00; PH off",
            "24/7",
            "Mo-Su 20:00-02:00; PH off",
            "Mo-Fr 09:00-18:00; Sa unknown; PH 10:00-12:00",
            "Tu-Sa 10:00-12:00,14:00-18:00 \"sur rendez-vous\"",
            "Fr 22:00-26:00",
            "PH 09:00-12:00",
        ];
        for brut in cas {
            for zone in [ZoneHoraire::Metropole, ZoneHoraire::AlsaceMoselle] {
                let t = table(brut, zone);
                assert_eq!(t.statistiques().1, 1, "{brut} compiled");
                let r = reference(brut, zone);
                let mut moment = dt("2025-01-01 00:07");
                while moment < dt("2026-12-31 23:00") {
                    let attendu = r.is_open(moment);
                    let quand = Quand::nouveau(Ouverture::A(moment));
                    assert_eq!(t.ouvert(0, &quand), attendu, "{brut} {zone:?} {moment}");
                    moment += Duration::minutes(173);
                }
            }
        }
    }

    #[test]
    fn complex_strings_are_left_to_the_crate() {
        let t = table("Jan-Jun Mo-Fr 09:00-12:00; PH off", ZoneHoraire::Metropole);
        assert_eq!(t.statistiques(), (1, 0, 1));
        let q = |s| Quand::nouveau(Ouverture::A(dt(s)));
        assert!(t.ouvert(0, &q("2025-03-04 10:00")));
        assert!(!t.ouvert(0, &q("2025-08-05 10:00")));
        assert_eq!(
            t.etat(0, dt("2025-03-04 10:00")),
            EtatOuverture::Ouvert {
                jusqu_a: Some(dt("2025-03-04 12:00"))
            }
        );
        assert_eq!(
            t.etat(0, dt("2025-06-30 12:30")),
            EtatOuverture::Ferme {
                // 1 January 2026 is a holiday: next opening on Friday 2.
                prochaine_ouverture: Some(dt("2026-01-02 09:00"))
            }
        );
    }

    #[test]
    fn overseas_places_are_evaluated_in_their_own_time_zone() {
        // 10:00 in Paris in January is 20:00 in Nouméa (UTC+11, Paris UTC+1).
        let t = table("Mo-Fr 07:30-16:00", ZoneHoraire::NouvelleCaledonie);
        let q = Quand::nouveau(Ouverture::A(dt("2025-01-07 10:00")));
        assert!(!t.ouvert(0, &q));
        assert_eq!(
            t.etat(0, dt("2025-01-07 10:00")),
            EtatOuverture::Ferme {
                prochaine_ouverture: Some(dt("2025-01-08 07:30"))
            }
        );
        let q = Quand::nouveau(Ouverture::A(dt("2025-01-07 00:00")));
        assert!(t.ouvert(0, &q));
        assert_eq!(
            heure_locale(ZoneHoraire::LaReunion, dt("2025-07-01 12:00")),
            dt("2025-07-01 14:00")
        );
    }

    #[test]
    fn open_on_a_day() {
        let t = table("Mo-Fr 09:00-12:00; PH off", ZoneHoraire::Metropole);
        assert!(t.ouvert(
            0,
            &Quand::nouveau(Ouverture::Jour(dt("2025-07-15 00:00").date()))
        ));
        assert!(!t.ouvert(
            0,
            &Quand::nouveau(Ouverture::Jour(dt("2025-07-14 00:00").date()))
        ));
        assert!(!t.ouvert(
            0,
            &Quand::nouveau(Ouverture::Jour(dt("2025-07-19 00:00").date()))
        ));
    }

    #[test]
    fn premiere_utilisation_open_during_a_half_day() {
        let plage = |jour: &str, debut: u16, fin: u16| {
            Quand::nouveau(Ouverture::Plage {
                date: dt(&format!("{jour} 00:00")).date(),
                debut,
                fin,
            })
        };
        // 2025-07-19 is a Saturday.
        for (brut, matin, apres_midi) in [
            ("Mo-Fr 09:00-17:00; Sa 09:00-12:00", true, false),
            ("Sa 14:00-18:00", false, true),
            // Not compiled: evaluated by the crate.
            ("week 01-53 Sa 14:00-18:00", false, true),
        ] {
            let t = table(brut, ZoneHoraire::Metropole);
            assert_eq!(t.ouvert(0, &plage("2025-07-19", 0, 720)), matin, "{brut}");
            assert_eq!(
                t.ouvert(0, &plage("2025-07-19", 720, 1440)),
                apres_midi,
                "{brut}"
            );
        }
        // A range ending exactly when the slot starts does not count.
        let t = table("Sa 09:00-12:00", ZoneHoraire::Metropole);
        assert!(!t.ouvert(0, &plage("2025-07-19", 720, 1440)));
    }

    #[test]
    fn always_open_has_no_closing_time() {
        let t = table("24/7", ZoneHoraire::Metropole);
        assert_eq!(
            t.etat(0, dt("2025-07-14 03:00")),
            EtatOuverture::Ouvert { jusqu_a: None }
        );
        let t = table("Mo-Su 20:00-02:00", ZoneHoraire::Metropole);
        assert_eq!(
            t.etat(0, dt("2025-07-14 23:00")),
            EtatOuverture::Ouvert {
                jusqu_a: Some(dt("2025-07-15 02:00"))
            }
        );
    }
}
