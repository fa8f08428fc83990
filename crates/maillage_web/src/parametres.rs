//! Query parameters of the results page, the widget and the API, read the same way for all:
//! one place decides what `besoin`, `ou`, `quand`, the filters and the territory mean.
//!
//! Lists are given by repeating a parameter (`services=A&services=B`) or with `|` inside one
//! value; inside a category values combine with OR, across categories with AND.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Weekday};
use maillage_annuaire::recherche::{Filtres, Moteur, Ouverture, Requete, Tri, LIMITE_MAX};
use maillage_domain::texte::normaliser;
use maillage_domain::Vocabulary;
use maillage_geo::Point;
use maillage_territoire::{Commune, Referentiel};

/// The raw pairs of a query string, in order.
#[derive(Clone, Debug, Default)]
pub struct Parametres(pub Vec<(String, String)>);

impl Parametres {
    pub fn depuis(query: Option<&str>) -> Parametres {
        Parametres(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first non-empty value of `cle`, trimmed.
    pub fn un(&self, cle: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == cle)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// The first non-empty value of `cle`, as sent: for numbers, where spaces are not allowed
    /// (a value made of spaces is an error, not an absent parameter).
    pub fn nombre_brut(&self, cle: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == cle && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .next()
    }

    /// Every value of `cle`, split on `|`, trimmed, non-empty.
    pub fn tous(&self, cle: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == cle)
            .flat_map(|(_, v)| v.split('|'))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The query string with `cle` replaced by `valeur` (removed when `None`).
    pub fn avec(&self, cle: &str, valeur: Option<&str>) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            if k != cle && !v.trim().is_empty() {
                s.append_pair(k, v);
            }
        }
        if let Some(v) = valeur {
            s.append_pair(cle, v);
        }
        s.finish()
    }

    /// The pairs except those named in `sauf`, for hidden inputs.
    pub fn sans(&self, sauf: &[&str]) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, v)| !sauf.contains(&k.as_str()) && !v.trim().is_empty())
            .cloned()
            .collect()
    }
}

/// A parameter people can fix, and why (French).
#[derive(Clone, Debug, PartialEq)]
pub struct ErreurParametre {
    pub parametre: String,
    pub message: String,
}

fn erreur(parametre: &str, message: impl Into<String>) -> ErreurParametre {
    ErreurParametre {
        parametre: parametre.to_string(),
        message: message.into(),
    }
}

/// Where distances are measured from.
#[derive(Clone, Debug, PartialEq)]
pub enum Depart {
    Commune {
        nom: String,
        code_insee: String,
        code_postal: Option<String>,
    },
    Position,
}

/// A commune offered instead of the one chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct AutreCommune {
    pub nom: String,
    pub code_insee: String,
    pub departement: String,
    /// What to put in `ou` to get it ([`saisie_commune`]).
    pub saisie: String,
}

/// A search, once read.
#[derive(Clone, Debug)]
pub struct Recherche {
    pub requete: Requete,
    pub depart: Option<Depart>,
    /// Other communes matching `ou` (same name elsewhere, same postal code, prefix).
    pub autres_communes: Vec<AutreCommune>,
    /// `ou` as typed.
    pub ou: Option<String>,
    /// `ou` was given but matches no commune.
    pub ou_inconnu: bool,
    /// When `ou` matches no commune: communes spelt nearly the same (« Vouliez-vous dire »).
    pub suggestions: Vec<AutreCommune>,
    /// The commune of `ou` has no position (neither in the referential nor from its places):
    /// the search is by territory instead (its département or collectivity), by name.
    pub sans_position: Option<SansPosition>,
    /// The need (first service asked), for titles.
    pub besoin: Option<maillage_domain::Service>,
    /// What `quand` asked, in words ("ouverts maintenant").
    pub quand: Option<String>,
}

/// A commune without a position: where the search looks instead.
#[derive(Clone, Debug, PartialEq)]
pub struct SansPosition {
    /// The commune (`Papeete`).
    pub commune: String,
    /// The territory searched instead (`Polynésie française`).
    pub territoire: String,
}

/// The standard categories, with their parameter names (the schema's field name, and a short
/// alias).
pub const CATEGORIES: [(&str, &str); 10] = [
    ("services", "besoin"),
    ("publics_specifiquement_adresses", "publics"),
    ("prise_en_charge_specifique", "prise_en_charge"),
    ("frais_a_charge", "frais"),
    ("modalites_acces", "acces"),
    ("modalites_accompagnement", "accompagnement"),
    ("dispositif_programmes_nationaux", "dispositifs"),
    ("formations_labels", "labels"),
    ("itinerance", "itinerance"),
    ("typologie", "typologie"),
];

/// A vocabulary value from its label (exact, or ignoring accents and case).
pub fn valeur<V: Vocabulary>(texte: &str) -> Option<V> {
    V::from_label(texte).or_else(|| {
        let n = normaliser(texte);
        V::ALL.iter().copied().find(|v| normaliser(v.label()) == n)
    })
}

/// The labels of the standard category whose schema field is `champ`, in the schema's order.
pub fn libelles(champ: &str) -> Option<Vec<&'static str>> {
    fn tous<V: Vocabulary>() -> Vec<&'static str> {
        V::ALL.iter().map(|v| v.label()).collect()
    }
    use maillage_domain::{
        DispositifProgrammeNational, FormationLabel, Frais, Itinerance, ModaliteAcces,
        ModaliteAccompagnement, PriseEnChargeSpecifique, PublicSpecifiquementAdresse, Service,
        Typologie,
    };
    Some(match champ {
        "services" => tous::<Service>(),
        "publics_specifiquement_adresses" => tous::<PublicSpecifiquementAdresse>(),
        "prise_en_charge_specifique" => tous::<PriseEnChargeSpecifique>(),
        "frais_a_charge" => tous::<Frais>(),
        "modalites_acces" => tous::<ModaliteAcces>(),
        "modalites_accompagnement" => tous::<ModaliteAccompagnement>(),
        "dispositif_programmes_nationaux" => tous::<DispositifProgrammeNational>(),
        "formations_labels" => tous::<FormationLabel>(),
        "itinerance" => tous::<Itinerance>(),
        "typologie" => tous::<Typologie>(),
        _ => return None,
    })
}

fn liste<V: Vocabulary + PartialEq>(
    p: &Parametres,
    noms: (&str, &str),
) -> Result<Vec<V>, ErreurParametre> {
    let mut out = Vec::new();
    for (nom, v) in p
        .tous(noms.0)
        .into_iter()
        .map(|v| (noms.0, v))
        .chain(p.tous(noms.1).into_iter().map(|v| (noms.1, v)))
    {
        match valeur::<V>(v) {
            Some(x) => {
                if !out.contains(&x) {
                    out.push(x)
                }
            }
            None => {
                let possibles: Vec<&str> = V::ALL.iter().map(|x| x.label()).collect();
                return Err(erreur(
                    nom,
                    format!(
                        "valeur inconnue « {v} » pour {nom} ; valeurs possibles : {}",
                        possibles.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn nombre(p: &Parametres, cle: &str) -> Result<Option<f64>, ErreurParametre> {
    match p.nombre_brut(cle) {
        None => Ok(None),
        Some(v) => v
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| erreur(cle, format!("« {v} » n'est pas un nombre"))),
    }
}

/// A non-negative integer. One too large for the machine is read as the largest there is
/// (an `offset` past the end gives an empty page, a `limit` too large is refused later).
fn entier(p: &Parametres, cle: &str) -> Result<Option<usize>, ErreurParametre> {
    match p.nombre_brut(cle) {
        None => Ok(None),
        Some(v) => match v.parse::<usize>() {
            Ok(n) => Ok(Some(n)),
            Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Ok(Some(usize::MAX)),
            Err(_) => Err(erreur(
                cle,
                format!("« {v} » n'est pas un nombre entier positif"),
            )),
        },
    }
}

/// The next `jour` from `date` (today included).
fn prochain(date: NaiveDate, jour: Weekday) -> NaiveDate {
    let ecart = (7 + jour.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(ecart))
}

/// The years a date of `quand` / `ouvert` may fall in. Opening hours are not computed for
/// dates far away (they are meaningless there, and times near the ends of the calendar cannot
/// be converted between time zones).
pub const ANNEES_OUVERTURE: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The half-days of `quand` (`samedi-matin`, `mardi-apres-midi`): parameter suffix, words,
/// minutes of the day.
pub const DEMI_JOURNEES: [(&str, &str, u16, u16); 2] = [
    ("matin", "matin", 0, 720),
    ("apres-midi", "après-midi", 720, 1440),
];

/// Week days as written in `quand`, Monday first.
pub const JOURS_QUAND: [(&str, Weekday); 7] = [
    ("lundi", Weekday::Mon),
    ("mardi", Weekday::Tue),
    ("mercredi", Weekday::Wed),
    ("jeudi", Weekday::Thu),
    ("vendredi", Weekday::Fri),
    ("samedi", Weekday::Sat),
    ("dimanche", Weekday::Sun),
];

/// `28 novembre`.
fn jour_et_mois(d: NaiveDate) -> String {
    format!(
        "{} {}",
        d.day(),
        maillage_domain::texte::MOIS[d.month0() as usize]
    )
}

/// `quand` / `ouvert`: `maintenant`, `aujourdhui`, a week day (`samedi`), a half-day
/// (`samedi-matin`, `mardi-apres-midi`), a date `2026-11-24` or a moment `2026-11-24T10:30`
/// (Paris time), in the years [`ANNEES_OUVERTURE`]. A week day is the next one, today
/// included (for a half-day, unless it is already over).
pub fn ouverture(
    texte: &str,
    maintenant: NaiveDateTime,
) -> Result<Option<(Ouverture, String)>, String> {
    let t = normaliser(texte).replace(' ', "");
    let aujourdhui = maintenant.date();
    for (nom, jour) in JOURS_QUAND {
        let Some(reste) = t.strip_prefix(nom) else {
            continue;
        };
        if reste.is_empty() {
            let date = prochain(aujourdhui, jour);
            return Ok(Some((
                Ouverture::Jour(date),
                format!("ouverts le {nom} {}", jour_et_mois(date)),
            )));
        }
        for (suffixe, mots, debut, fin) in DEMI_JOURNEES {
            if reste == suffixe.replace('-', "") {
                let mut date = prochain(aujourdhui, jour);
                let minute = (maintenant.hour() * 60 + maintenant.minute()) as u16;
                if date == aujourdhui && minute >= fin {
                    date += Duration::days(7);
                }
                let moment = if suffixe == "matin" {
                    "au matin".to_string()
                } else {
                    format!("l'{mots}")
                };
                return Ok(Some((
                    Ouverture::Plage { date, debut, fin },
                    format!("ouverts le {nom} {} {moment}", jour_et_mois(date)),
                )));
            }
        }
    }
    Ok(match t.as_str() {
        "" | "indifferent" | "peuimporte" => None,
        "maintenant" => Some((Ouverture::A(maintenant), "ouverts maintenant".into())),
        "aujourdhui" => Some((Ouverture::Jour(aujourdhui), "ouverts aujourd'hui".into())),
        _ => {
            let date = NaiveDate::parse_from_str(texte.trim(), "%Y-%m-%d")
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(texte.trim(), "%Y-%m-%dT%H:%M")
                        .ok()
                        .map(|m| m.date())
                });
            if let Some(d) = date.filter(|d| !ANNEES_OUVERTURE.contains(&d.year())) {
                return Err(format!(
                    "« {texte} » : l'année {} est hors de la plage {} à {}",
                    d.year(),
                    ANNEES_OUVERTURE.start(),
                    ANNEES_OUVERTURE.end()
                ));
            }
            if let Ok(d) = NaiveDate::parse_from_str(texte.trim(), "%Y-%m-%d") {
                Some((
                    Ouverture::Jour(d),
                    format!("ouverts le {}", d.format("%d/%m/%Y")),
                ))
            } else if let Ok(m) = NaiveDateTime::parse_from_str(texte.trim(), "%Y-%m-%dT%H:%M") {
                Some((
                    Ouverture::A(m),
                    format!("ouverts le {}", m.format("%d/%m/%Y à %H h %M")),
                ))
            } else {
                return Err(format!(
                    "« {texte} » : attendu maintenant, aujourdhui, un jour (samedi), une \
                     demi-journée (samedi-matin, mardi-apres-midi), une date AAAA-MM-JJ \
                     ou un moment AAAA-MM-JJTHH:MM"
                ));
            }
        }
    })
}

/// Finds the commune of `ou` (name, postal code, INSEE code, or a name with its code): the
/// best match, and the other candidates to offer. Every commune of the referential is found,
/// with a position or not (see [`analyser`] for those without).
pub fn localiser<'r>(
    referentiel: &'r Referentiel,
    ou: &str,
) -> Option<(&'r Commune, Vec<&'r Commune>)> {
    let mut trouvees = referentiel.rechercher(ou, 8).into_iter();
    let premiere = trouvees.next()?;
    Some((premiere, trouvees.collect()))
}

/// How a commune is offered in « Vouliez-vous dire » links and suggestions: its name and its
/// first postal code (`Saint-Gaudens (31800)`), which [`localiser`] reads back exactly, or its
/// département when it has no postal code.
pub fn saisie_commune(c: &Commune) -> String {
    format!(
        "{} ({})",
        c.nom,
        c.codes_postaux.first().unwrap_or(&c.code_departement)
    )
}

/// Communes spelt nearly like `ou`, for « Vouliez-vous dire … ? ».
pub fn suggestions(referentiel: &Referentiel, ou: &str) -> Vec<AutreCommune> {
    referentiel
        .suggerer(ou, 5)
        .into_iter()
        .map(|c| AutreCommune {
            nom: c.nom.clone(),
            code_insee: c.code_insee.clone(),
            departement: c.code_departement.clone(),
            saisie: saisie_commune(c),
        })
        .collect()
}

/// `bbox=sud,ouest,nord,est`: `None` when absent; exactly four numbers otherwise.
pub fn rectangle(p: &Parametres) -> Result<Option<[f64; 4]>, ErreurParametre> {
    let Some(b) = p.un("bbox") else {
        return Ok(None);
    };
    let mauvais = || erreur("bbox", "bbox : quatre nombres sud,ouest,nord,est");
    let n: Vec<f64> = b
        .split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(mauvais)?;
    <[f64; 4]>::try_from(n).map(Some).map_err(|_| mauvais())
}

/// Reads a search. `limite_defaut` is the page size when `limit` is not given.
pub fn analyser(
    p: &Parametres,
    referentiel: &Referentiel,
    moteur: &Moteur,
    maintenant: NaiveDateTime,
    limite_defaut: usize,
) -> Result<Recherche, ErreurParametre> {
    let mut filtres = Filtres {
        services: liste(p, CATEGORIES[0])?,
        publics_specifiquement_adresses: liste(p, CATEGORIES[1])?,
        prise_en_charge_specifique: liste(p, CATEGORIES[2])?,
        frais_a_charge: liste(p, CATEGORIES[3])?,
        modalites_acces: liste(p, CATEGORIES[4])?,
        modalites_accompagnement: liste(p, CATEGORIES[5])?,
        dispositif_programmes_nationaux: liste(p, CATEGORIES[6])?,
        formations_labels: liste(p, CATEGORIES[7])?,
        itinerance: liste(p, CATEGORIES[8])?,
        typologie: liste(p, CATEGORIES[9])?,
        ..Filtres::default()
    };
    let besoin = filtres.services.first().copied();

    // Territory.
    let mut territoires = Vec::new();
    for (cle, prefixe) in [
        ("commune", "commune"),
        ("epci", "epci"),
        ("departement", "dep"),
        ("region", "reg"),
    ] {
        if let Some(v) = p.un(cle) {
            let t = referentiel
                .territoire(&format!("{prefixe}:{v}"))
                .map_err(|e| erreur(cle, e.to_string()))?;
            territoires.push(t);
        }
    }
    if territoires.len() > 1 {
        return Err(erreur(
            "commune",
            "un seul territoire à la fois : commune, epci, departement ou region",
        ));
    }
    filtres.territoire = territoires.pop();

    // When.
    let mut quand = None;
    for cle in ["quand", "ouvert"] {
        // « Un autre moment » : the day chosen in the list beside.
        let v = match p.un(cle) {
            Some("autre") => p.un("jour"),
            v => v,
        };
        if let Some(v) = v {
            match ouverture(v, maintenant) {
                Ok(Some((o, texte))) => {
                    filtres.ouvert = Some(o);
                    quand = Some(texte);
                }
                Ok(None) => {}
                Err(m) => return Err(erreur(cle, m)),
            }
        }
    }

    // Where.
    let lat = nombre(p, "lat")?;
    let lon = nombre(p, "lon")?;
    let mut depart = None;
    let mut autres_communes = Vec::new();
    let mut ou_inconnu = false;
    let mut suggestions_ou = Vec::new();
    let mut sans_position = None;
    let ou = p.un("ou").map(str::to_string);
    let centre = match (lat, lon) {
        (Some(lat), Some(lon)) => {
            let c = Point::new(lat, lon).ok_or_else(|| {
                erreur(
                    "lat",
                    format!("position invalide : latitude {lat}, longitude {lon}"),
                )
            })?;
            depart = Some(Depart::Position);
            Some(c)
        }
        (Some(_), None) => return Err(erreur("lon", "la longitude manque (lon)")),
        (None, Some(_)) => return Err(erreur("lat", "la latitude manque (lat)")),
        (None, None) => match ou.as_deref() {
            None => None,
            Some(texte) => match localiser(referentiel, texte) {
                None => {
                    ou_inconnu = true;
                    suggestions_ou = suggestions(referentiel, texte);
                    None
                }
                Some((c, autres)) => {
                    let cp = texte.trim();
                    let code_postal = if cp.len() == 5 && c.codes_postaux.iter().any(|x| x == cp) {
                        Some(cp.to_string())
                    } else {
                        c.codes_postaux.first().cloned()
                    };
                    depart = Some(Depart::Commune {
                        nom: c.nom.clone(),
                        code_insee: c.code_insee.clone(),
                        code_postal,
                    });
                    // Offer other communes only when the choice is uncertain: homonyms, or
                    // a query that is not exactly the name, a postal code or the code.
                    let exact = normaliser(&c.nom) == normaliser(texte)
                        || c.code_insee == cp
                        || c.codes_postaux.iter().any(|x| x == cp);
                    autres_communes = autres
                        .into_iter()
                        .filter(|a| {
                            !exact
                                || normaliser(&a.nom) == normaliser(&c.nom)
                                || a.codes_postaux.iter().any(|x| x == cp)
                        })
                        .take(6)
                        .map(|a| AutreCommune {
                            nom: a.nom.clone(),
                            code_insee: a.code_insee.clone(),
                            departement: a.code_departement.clone(),
                            saisie: saisie_commune(a),
                        })
                        .collect();
                    // Communes the referential has no centroid for (the overseas
                    // collectivities): the middle of their places; without any, the places
                    // of their département or collectivity, by name.
                    let centre = c.centre.or_else(|| moteur.centre_des_lieux(&c.code_insee));
                    if centre.is_none() && filtres.territoire.is_none() {
                        let code = format!("dep:{}", c.code_departement);
                        if let Ok(t) = referentiel.territoire(&code) {
                            sans_position = Some(SansPosition {
                                commune: c.nom.clone(),
                                territoire: t.nom().to_string(),
                            });
                            filtres.territoire = Some(t);
                        }
                    }
                    centre
                }
            },
        },
    };

    let rayon_km = nombre(p, "rayon_km")?;
    if rayon_km.is_some() && centre.is_none() {
        return Err(erreur(
            "rayon_km",
            "un rayon demande un point de départ : ou, ou lat et lon",
        ));
    }
    if rayon_km.is_some_and(|r| r < 0.0) {
        return Err(erreur("rayon_km", "le rayon doit être positif"));
    }
    let limit = entier(p, "limit")?.unwrap_or(limite_defaut);
    if limit > LIMITE_MAX {
        return Err(erreur(
            "limit",
            format!("au plus {LIMITE_MAX} résultats par page (demandé : {limit})"),
        ));
    }
    let offset = match (entier(p, "offset")?, entier(p, "page")?) {
        (Some(o), _) => o,
        (None, Some(page)) => page.saturating_sub(1).saturating_mul(limit),
        (None, None) => 0,
    };
    let tri = match p.un("tri") {
        None | Some("distance") => Tri::Auto,
        Some("nom") => Tri::Nom,
        Some(autre) => {
            return Err(erreur(
                "tri",
                format!("tri « {autre} » inconnu : distance ou nom"),
            ))
        }
    };
    Ok(Recherche {
        requete: Requete {
            centre,
            rayon_km,
            limit,
            offset,
            texte: p.un("q").map(str::to_string),
            filtres,
            tri,
        },
        depart,
        autres_communes,
        ou,
        ou_inconnu,
        suggestions: suggestions_ou,
        sans_position,
        besoin,
        quand,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use maillage_domain::{Frais, Service};

    fn maintenant() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .unwrap_or_default()
    }

    fn lire(q: &str) -> Result<Recherche, ErreurParametre> {
        analyser(
            &Parametres::depuis(Some(q)),
            Referentiel::embedded(),
            &Moteur::default(),
            maintenant(),
            20,
        )
    }

    #[test]
    fn need_place_and_time() {
        let r = lire("besoin=aide+aux+demarches+administratives&ou=lille&quand=samedi&frais=Gratuit|Gratuit+sous+condition")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.besoin, Some(Service::AideAuxDemarchesAdministratives));
        assert_eq!(
            r.requete.filtres.frais_a_charge,
            vec![Frais::Gratuit, Frais::GratuitSousCondition]
        );
        assert!(
            matches!(r.depart, Some(Depart::Commune { ref code_insee, .. }) if code_insee == "59350")
        );
        // 23 November 2026 is a Monday: next Saturday is the 28th.
        assert_eq!(
            r.requete.filtres.ouvert,
            NaiveDate::from_ymd_opt(2026, 11, 28).map(Ouverture::Jour)
        );
        assert!(r.requete.centre.is_some());
    }

    #[test]
    fn postal_code_and_other_communes() {
        let r = lire("ou=59000").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            matches!(r.depart, Some(Depart::Commune { ref nom, ref code_postal, .. }) if nom == "Lille" && code_postal.as_deref() == Some("59000"))
        );
        let r = lire("ou=saint-denis").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            !r.autres_communes.is_empty(),
            "Saint-Denis exists in 93 and 974"
        );
        let r = lire("ou=xyzzy").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(r.ou_inconnu);
        assert!(r.requete.centre.is_none());
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = lire("services=Cuisine").err();
        assert_eq!(e.as_ref().map(|e| e.parametre.as_str()), Some("services"));
        assert!(e.is_some_and(|e| e.message.contains("Aide aux démarches administratives")));
        assert_eq!(
            lire("lat=45").err().map(|e| e.parametre),
            Some("lon".into())
        );
        assert_eq!(
            lire("lat=95&lon=2").err().map(|e| e.parametre),
            Some("lat".into())
        );
        assert_eq!(
            lire("limit=5000").err().map(|e| e.parametre),
            Some("limit".into())
        );
        assert_eq!(
            lire("rayon_km=5").err().map(|e| e.parametre),
            Some("rayon_km".into())
        );
        assert_eq!(
            lire("departement=999").err().map(|e| e.parametre),
            Some("departement".into())
        );
        assert_eq!(
            lire("quand=demain").err().map(|e| e.parametre),
            Some("quand".into())
        );
        assert_eq!(
            lire("departement=31&region=76").err().map(|e| e.parametre),
            Some("commune".into())
        );
    }

    #[test]
    fn far_off_dates_are_refused() {
        // A moment near the end of the calendar used to panic while converting it to the
        // time zones of overseas places.
        for q in [
            "ouvert=-262143-01-01T00:00",
            "ouvert=262142-12-31",
            "quand=1999-12-31T23:59",
            "quand=2101-01-01",
        ] {
            assert_eq!(
                lire(q).err().map(|e| e.parametre),
                Some(q.split('=').next().unwrap_or("").to_string()),
                "{q}"
            );
        }
        assert!(lire("ouvert=2000-01-01T00:00").is_ok());
        assert!(lire("ouvert=2100-12-31").is_ok());
    }

    #[test]
    fn premiere_utilisation_days_and_half_days() {
        // 23 November 2026, 10:00, is a Monday morning.
        let d = |j: u32| NaiveDate::from_ymd_opt(2026, 11, j).unwrap_or_default();
        let r = lire("quand=samedi-matin").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            r.requete.filtres.ouvert,
            Some(Ouverture::Plage {
                date: d(28),
                debut: 0,
                fin: 720
            })
        );
        assert_eq!(
            r.quand.as_deref(),
            Some("ouverts le samedi 28 novembre au matin")
        );
        let r = lire("quand=mardi+apr%C3%A8s-midi").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            r.requete.filtres.ouvert,
            Some(Ouverture::Plage {
                date: d(24),
                debut: 720,
                fin: 1440
            })
        );
        // Today's morning is still on at 10:00; a whole day is today.
        let r = lire("quand=lundi-matin").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            matches!(r.requete.filtres.ouvert, Some(Ouverture::Plage { date, .. }) if date == d(23))
        );
        let r = lire("quand=jeudi").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.requete.filtres.ouvert, Some(Ouverture::Jour(d(26))));
        // « Un autre moment » reads the list beside.
        let r = lire("quand=autre&jour=dimanche-apres-midi").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            matches!(r.requete.filtres.ouvert, Some(Ouverture::Plage { date, debut: 720, .. }) if date == d(29))
        );
        assert_eq!(
            lire("quand=samedi-soir").err().map(|e| e.parametre),
            Some("quand".into())
        );
    }

    #[test]
    fn premiere_utilisation_typos_are_offered() {
        let r = lire("ou=Saint-Gaudins").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(r.ou_inconnu);
        assert_eq!(
            r.suggestions.first().map(|a| a.saisie.as_str()),
            Some("Saint-Gaudens (31800)")
        );
        let r = lire("ou=Saint-Gaudens+%2831800%29").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            matches!(r.depart, Some(Depart::Commune { ref code_insee, .. }) if code_insee == "31483")
        );
    }

    #[test]
    fn every_category_has_its_labels() {
        for (champ, _) in CATEGORIES {
            assert!(libelles(champ).is_some_and(|l| !l.is_empty()), "{champ}");
        }
        assert_eq!(libelles("besoin"), None);
    }

    #[test]
    fn huge_offsets_give_an_empty_page() {
        let r = lire("offset=99999999999999999999999").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.requete.offset, usize::MAX);
        assert_eq!(
            lire("limit=99999999999999999999999")
                .err()
                .map(|e| e.parametre),
            Some("limit".into())
        );
        assert_eq!(
            lire("offset=-1").err().map(|e| e.parametre),
            Some("offset".into())
        );
        // Empty is « not given »; spaces are not a number.
        assert!(lire("limit=&offset=").is_ok());
        for q in ["limit=%0D", "offset=+1+", "lat=+&lon=2"] {
            assert!(lire(q).is_err(), "{q}");
        }
    }

    #[test]
    fn rectangles() {
        let b = |q: &str| rectangle(&Parametres::depuis(Some(q)));
        assert_eq!(b("bbox=1,2,3,4"), Ok(Some([1.0, 2.0, 3.0, 4.0])));
        assert_eq!(b("x=1"), Ok(None));
        for faux in [
            "bbox=1,2,3",
            "bbox=1,x,2,3,4",
            "bbox=1,2,3,NaN",
            "bbox=1,2,3,4,5",
        ] {
            assert_eq!(
                b(faux).err().map(|e| e.parametre),
                Some("bbox".into()),
                "{faux}"
            );
        }
    }

    #[test]
    fn pages_and_links() {
        let r = lire("ou=lille&page=3&limit=10").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(r.requete.offset, 20);
        let p = Parametres::depuis(Some("ou=lille&page=3&besoin=A&besoin=B"));
        assert_eq!(
            p.avec("page", Some("4")),
            "ou=lille&besoin=A&besoin=B&page=4"
        );
        assert_eq!(p.tous("besoin"), vec!["A", "B"]);
    }
}
