//! Synthetic places for benchmarks and tests of duplicate detection.
//!
//! Places are drawn in the real communes of the embedded referential
//! ([`maillage_territoire::Referentiel::embedded`]), weighted by population and scattered
//! around the commune's centroid (within `clamp(4·√population, 400 m, 8 km)`), with names,
//! addresses, phones, e-mails, services and typologies shaped like the real sources'
//! (France services, mairies, médiathèques, centres sociaux, associations…), from several
//! sources. About `part_doublons` of the output are duplicates: a copy of another place in
//! another source with perturbations (name variant, moved 20–500 m, street abbreviated or
//! number dropped, e-mail or phone missing, services partly missing, older date). About 2 %
//! are deliberate traps: a different structure in the same building (same address, another
//! kind, name, phone and services).
//!
//! Everything is deterministic for a given seed (own SplitMix64 generator).

use crate::lieux::LieuSource;
use chrono::NaiveDate;
use maillage_domain::{
    CodeInsee, CodePostal, Frais, Horaires, Lieu, Localisation, ModaliteAccompagnement, Pivot,
    Service, Siret, Telephone, Typologie, Vocabulary,
};
use maillage_territoire::{Commune, Referentiel};
use std::collections::HashSet;

pub use maillage_domain::alea::Alea;

/// A generated data set with its truth.
#[derive(Clone, Debug)]
pub struct Synthese {
    pub lieux: Vec<LieuSource>,
    /// Refs of each duplicate and of the place it copies (same place).
    pub doublons: Vec<(String, String)>,
    /// Refs of the traps: two structures in one building (not the same place).
    pub voisins: Vec<(String, String)>,
}

/// `n` synthetic places with about `part_doublons` duplicates, from the embedded communes.
pub fn generer(n: usize, part_doublons: f64, seed: u64) -> Vec<LieuSource> {
    generer_avec(Referentiel::embedded().communes(), n, part_doublons, seed).lieux
}

/// [`generer`] over given communes, with the truth.
pub fn generer_avec(communes: &[Commune], n: usize, part_doublons: f64, seed: u64) -> Synthese {
    let mut g = Generateur::new(communes, seed);
    let mut out = Synthese {
        lieux: Vec::with_capacity(n),
        doublons: Vec::new(),
        voisins: Vec::new(),
    };
    if g.cumul.is_empty() {
        return out;
    }
    let part_doublons = part_doublons.clamp(0.0, 0.9);
    while out.lieux.len() < n {
        let base = g.lieu();
        let ref_base = base.reference();
        out.lieux.push(base);
        let k = out.lieux.len() - 1;
        if out.lieux.len() < n && g.alea.proba(part_doublons / (1.0 - part_doublons)) {
            let copie = g.doublon(&out.lieux[k]);
            out.doublons.push((ref_base.clone(), copie.reference()));
            out.lieux.push(copie);
        }
        if out.lieux.len() < n && g.alea.proba(0.02) {
            let voisin = g.voisin(&out.lieux[k]);
            out.voisins.push((ref_base, voisin.reference()));
            out.lieux.push(voisin);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Genre {
    FranceServices,
    BusFranceServices,
    Mairie,
    Mediatheque,
    CentreSocial,
    Ccas,
    Epn,
    Association,
    TiersLieu,
    Mjc,
    MaisonQuartier,
    MissionLocale,
    Pimms,
    Poste,
}

const GENRES: &[(Genre, u32)] = &[
    (Genre::FranceServices, 8),
    (Genre::BusFranceServices, 1),
    (Genre::Mairie, 14),
    (Genre::Mediatheque, 14),
    (Genre::CentreSocial, 10),
    (Genre::Ccas, 6),
    (Genre::Epn, 8),
    (Genre::Association, 18),
    (Genre::TiersLieu, 5),
    (Genre::Mjc, 4),
    (Genre::MaisonQuartier, 5),
    (Genre::MissionLocale, 3),
    (Genre::Pimms, 2),
    (Genre::Poste, 2),
];

const PERSONNES: &[&str] = &[
    "Jean Moulin",
    "Victor Hugo",
    "Louis Aragon",
    "Simone Veil",
    "Jules Verne",
    "Albert Camus",
    "Marie Curie",
    "Jean Jaurès",
    "George Sand",
    "Émile Zola",
    "Pablo Neruda",
    "Elsa Triolet",
    "Françoise Dolto",
    "Jacques Prévert",
    "Paul Éluard",
    "Marcel Pagnol",
    "Colette",
    "Jean de La Fontaine",
    "Antoine de Saint-Exupéry",
    "Louise Michel",
    "Olympe de Gouges",
    "Aimé Césaire",
    "Léopold Sédar Senghor",
    "Nelson Mandela",
    "Rosa Parks",
    "Boris Vian",
    "Georges Brassens",
    "Jean Ferrat",
    "Andrée Chedid",
    "Pierre Mendès France",
    "Condorcet",
    "Jean Zay",
    "Lucie Aubrac",
    "Germaine Tillion",
    "Joséphine Baker",
    "Gisèle Halimi",
];

const QUARTIERS: &[&str] = &[
    "Les Tilleuls",
    "La Source",
    "Les Épis",
    "Le Moulin",
    "Les Chênes",
    "Bel Air",
    "La Gare",
    "Les Peupliers",
    "Le Bourg",
    "Les Acacias",
    "La Roseraie",
    "Le Plateau",
    "Les Hauts",
    "Centre Ville",
    "Les Prés",
    "La Forêt",
    "Les Vignes",
    "Le Lac",
    "Saint-Jacques",
    "Les Ormes",
    "Beaulieu",
    "Montplaisir",
    "La Croix Rouge",
    "Les Marronniers",
    "Val Fleuri",
    "Bellevue",
];

const ASSO_A: &[&str] = &[
    "Connexions",
    "Clic",
    "Pixel",
    "Lien",
    "Passerelle",
    "Réseau",
    "Atelier",
    "Tremplin",
    "Cap",
    "Horizon",
    "Trait d'Union",
    "Boussole",
    "Ressources",
    "Partage",
    "Relais",
    "Fabrique",
    "Ruche",
    "Écume",
    "Graine",
    "Escale",
    "Toile",
    "Octet",
    "Kiosque",
    "Agora",
];

const ASSO_B: &[&str] = &[
    "Solidaires",
    "Numériques",
    "Citoyennes",
    "du Coin",
    "Pour Tous",
    "Ensemble",
    "Plus",
    "et Compagnie",
    "Digitales",
    "des Habitants",
    "Sans Frontières",
    "Vivantes",
    "Libres",
    "du Quartier",
    "Active",
    "Partagées",
    "Connectées",
    "Nouvelles",
    "Sociales",
    "Avenir",
];

const VOIES: &[&str] = &[
    "de la République",
    "Jean Jaurès",
    "Victor Hugo",
    "du Général de Gaulle",
    "de la Gare",
    "Pasteur",
    "de la Mairie",
    "de l'Église",
    "Gambetta",
    "Jules Ferry",
    "du Moulin",
    "Nationale",
    "des Écoles",
    "de Verdun",
    "du 8 Mai 1945",
    "du 11 Novembre",
    "Carnot",
    "Léon Blum",
    "de la Liberté",
    "Foch",
    "Émile Zola",
    "de Paris",
    "Saint-Martin",
    "des Tilleuls",
    "Voltaire",
    "Anatole France",
    "de la Paix",
    "du Stade",
    "Jean Moulin",
    "Clemenceau",
    "Aristide Briand",
    "des Lilas",
    "Pierre Curie",
    "de Lattre de Tassigny",
    "du Château",
    "de la Poste",
    "des Acacias",
    "Roger Salengro",
    "Henri Barbusse",
    "de l'Hôtel de Ville",
    "Maréchal Leclerc",
    "de la Fontaine",
    "des Peupliers",
    "du Marché",
];

const TYPES: &[(&str, &str)] = &[
    ("rue", "r."),
    ("avenue", "av."),
    ("boulevard", "bd"),
    ("place", "pl."),
    ("chemin", "ch."),
    ("allée", "all."),
    ("impasse", "imp."),
    ("route", "rte"),
];

const SOURCES: &[&str] = &[
    "france-services",
    "conseillers-numeriques",
    "hinaura",
    "hauts-de-france",
    "dora",
    "aidants-connect",
    "coop-numerique",
];

struct Generateur<'c> {
    communes: Vec<&'c Commune>,
    /// Valid postal codes of each retained commune.
    codes_postaux: Vec<Vec<CodePostal>>,
    /// Cumulated population weights.
    cumul: Vec<u64>,
    alea: Alea,
    compteur: u64,
    /// Names already given in a commune (hash of commune and name): two different places of
    /// one commune never get the same name, so the truth stays exact.
    noms_pris: HashSet<u64>,
    /// Opening hours, parsed once.
    horaires: Option<Horaires>,
}

/// Hash of (commune, name) as generated (FNV-1a).
fn cle_nom(commune: &str, nom: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in commune.bytes().chain([0u8]).chain(nom.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn slug(s: &str) -> String {
    maillage_domain::texte::normaliser(s).replace(' ', "-")
}

fn siret_valide(alea: &mut Alea) -> Option<Pivot> {
    // 13 random digits and the Luhn key.
    let mut d: Vec<u8> = (0..13).map(|_| alea.entier(10) as u8).collect();
    d[0] = 1 + alea.entier(9) as u8;
    let mut somme = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        // Positions from the right, the key will be position 0.
        let mut v = u32::from(x);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        somme += v;
    }
    d.push(((10 - somme % 10) % 10) as u8);
    let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    Siret::parse(&s).ok().map(Pivot::Siret)
}

impl<'c> Generateur<'c> {
    fn new(communes: &'c [Commune], seed: u64) -> Self {
        let mut retenues = Vec::new();
        let mut codes_postaux = Vec::new();
        let mut cumul = Vec::new();
        let mut total = 0u64;
        for c in communes {
            let cps: Vec<CodePostal> = c
                .codes_postaux
                .iter()
                .filter_map(|s| CodePostal::parse(s).ok())
                .collect();
            if c.population > 0 && c.centre.is_some() && !cps.is_empty() {
                total += u64::from(c.population);
                retenues.push(c);
                codes_postaux.push(cps);
                cumul.push(total);
            }
        }
        Self {
            communes: retenues,
            codes_postaux,
            cumul,
            alea: Alea::new(seed),
            compteur: 0,
            noms_pris: HashSet::new(),
            horaires: Horaires::new("Mo-Fr 09:00-12:00,14:00-17:00"),
        }
    }

    /// A commune drawn by population, with one of its postal codes.
    fn commune(&mut self) -> (&'c Commune, CodePostal) {
        let total = self.cumul.last().copied().unwrap_or(1);
        let x = self.alea.entier(total);
        let k = self
            .cumul
            .partition_point(|&c| c <= x)
            .min(self.communes.len() - 1);
        let cp = self.alea.choisir(&self.codes_postaux[k]).clone();
        (self.communes[k], cp)
    }

    fn genre(&mut self) -> Genre {
        let total: u32 = GENRES.iter().map(|(_, w)| w).sum();
        let mut x = self.alea.entier(u64::from(total)) as u32;
        for (g, w) in GENRES {
            if x < *w {
                return *g;
            }
            x -= w;
        }
        Genre::Association
    }

    fn deplacer(&mut self, lat: f64, lon: f64, min_m: f64, max_m: f64) -> (f64, f64) {
        let r = min_m + (max_m - min_m) * self.alea.reel().sqrt();
        let a = self.alea.reel() * std::f64::consts::TAU;
        let dlat = r * a.cos() / 111_195.0;
        let dlon = r * a.sin() / (111_195.0 * lat.to_radians().cos().max(0.05));
        ((lat + dlat).clamp(-89.9, 89.9), lon + dlon)
    }

    fn telephone(&mut self, cp: &str) -> Option<Telephone> {
        let premier = 1 + self.alea.entier(5);
        let reste = self.alea.entier(100_000_000);
        let brut = format!("0{premier}{reste:08}");
        Telephone::parse(&brut, Some(cp)).ok()
    }

    fn services(&mut self) -> Vec<Service> {
        let mut v: Vec<Service> = Service::ALL
            .iter()
            .copied()
            .filter(|_| self.alea.proba(0.35))
            .collect();
        if v.is_empty() {
            v.push(*self.alea.choisir(Service::ALL));
        }
        v
    }

    fn nom(&mut self, genre: Genre, commune: &str) -> (String, Vec<Typologie>) {
        let personne = *self.alea.choisir(PERSONNES);
        let quartier = *self.alea.choisir(QUARTIERS);
        match genre {
            Genre::FranceServices => {
                let n = match self.alea.entier(3) {
                    0 => format!("France services de {commune}"),
                    1 => format!("France Services {commune}"),
                    _ => format!("France services {commune} {quartier}"),
                };
                (n, vec![Typologie::Rfs])
            }
            Genre::BusFranceServices => (
                format!("Bus France services {commune}"),
                vec![Typologie::Rfs],
            ),
            Genre::Mairie => (format!("Mairie de {commune}"), vec![Typologie::Muni]),
            Genre::Mediatheque => {
                let n = if self.alea.proba(0.6) {
                    format!("Médiathèque {personne}")
                } else {
                    format!("Bibliothèque municipale de {commune}")
                };
                (n, vec![Typologie::Bib])
            }
            Genre::CentreSocial => (format!("Centre social {quartier}"), vec![Typologie::Cs]),
            Genre::Ccas => (format!("CCAS de {commune}"), vec![Typologie::Ccas]),
            Genre::Epn => {
                let n = if self.alea.proba(0.5) {
                    format!("Espace public numérique {personne}")
                } else {
                    format!("Cyber-base {quartier}")
                };
                (n, vec![Typologie::Epn])
            }
            Genre::Association => {
                let a = *self.alea.choisir(ASSO_A);
                let b = *self.alea.choisir(ASSO_B);
                (format!("{a} {b}"), vec![Typologie::Asso])
            }
            Genre::TiersLieu => (
                format!("Tiers-lieu {quartier}"),
                vec![Typologie::TiersLieux],
            ),
            Genre::Mjc => (format!("MJC {personne}"), vec![Typologie::Mjc]),
            Genre::MaisonQuartier => (
                format!("Maison de quartier {quartier}"),
                vec![Typologie::Mq],
            ),
            Genre::MissionLocale => (format!("Mission locale de {commune}"), vec![Typologie::Ml]),
            Genre::Pimms => (
                format!("PIMMS Médiation {quartier}"),
                vec![Typologie::Pimms],
            ),
            Genre::Poste => (
                format!("La Poste {commune} {quartier}"),
                vec![Typologie::LaPoste],
            ),
        }
    }

    /// A name not yet given in the commune: other draws, then a numbered annex.
    fn nom_libre(&mut self, genre: Genre, c: &Commune) -> (String, Vec<Typologie>) {
        let mut essai = self.nom(genre, &c.nom);
        for k in 0..20 {
            let cle = cle_nom(&c.code_insee, &essai.0);
            if self.noms_pris.insert(cle) {
                return essai;
            }
            essai = if k < 10 {
                self.nom(genre, &c.nom)
            } else {
                let g = self.genre();
                self.nom(g, &c.nom)
            };
        }
        let n = self.compteur;
        (format!("{} annexe {}", essai.0, n), essai.1)
    }

    fn id(&mut self, source: &str) -> String {
        self.compteur += 1;
        if source == "france-services" || source == "hinaura" {
            format!("{}", self.compteur)
        } else {
            format!(
                "{:024x}",
                u128::from(self.suivant_id()) << 32 | u128::from(self.compteur as u32)
            )
        }
    }

    fn suivant_id(&mut self) -> u64 {
        self.alea.suivant() >> 8
    }

    fn date(&mut self) -> NaiveDate {
        let base = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default();
        base + chrono::Days::new(self.alea.entier(1400))
    }

    fn lieu(&mut self) -> LieuSource {
        let (c, code_postal) = self.commune();
        let cp = code_postal.as_str().to_string();
        let genre = self.genre();
        let source = if matches!(genre, Genre::FranceServices | Genre::BusFranceServices) {
            "france-services"
        } else {
            *self.alea.choisir(&SOURCES[1..])
        };
        let (nom, typologie) = self.nom_libre(genre, c);
        let (lat, lon) = match c.centre {
            Some(p) => {
                let rayon = (4.0 * f64::from(c.population).sqrt()).clamp(400.0, 8000.0);
                self.deplacer(p.lat, p.lon, 0.0, rayon)
            }
            None => (0.0, 0.0),
        };
        let (voie_type, _) = *self.alea.choisir(TYPES);
        let voie = *self.alea.choisir(VOIES);
        let adresse = if self.alea.proba(0.85) {
            let numero = 1 + self.alea.entier(180);
            let bis = if self.alea.proba(0.05) { " bis" } else { "" };
            format!("{numero}{bis} {voie_type} {voie}")
        } else {
            format!("{voie_type} {voie}")
        };
        let telephone = if self.alea.proba(0.85) {
            self.telephone(&cp)
        } else {
            None
        };
        let courriels = if self.alea.proba(0.7) {
            let domaine = match genre {
                Genre::Mairie | Genre::Ccas | Genre::Mediatheque => {
                    format!("mairie-{}.fr", slug(&c.nom))
                }
                Genre::FranceServices | Genre::BusFranceServices => {
                    "france-services.gouv.fr".to_string()
                }
                _ if self.alea.proba(0.3) => "orange.fr".to_string(),
                _ => format!("{}.fr", slug(&nom)),
            };
            let local = format!("{}{}", slug(&nom), self.compteur);
            vec![format!("{local}@{domaine}")]
        } else {
            Vec::new()
        };
        let pivot = if self.alea.proba(0.4) {
            siret_valide(&mut self.alea).unwrap_or_default()
        } else {
            Pivot::Absent
        };
        let id = self.id(source);
        let date_maj = self.date();
        let services = self.services();
        let lieu = Lieu {
            id,
            pivot,
            nom,
            commune: c.nom.clone(),
            code_postal,
            code_insee: if source == "france-services" || self.alea.proba(0.5) {
                CodeInsee::parse(&c.code_insee).ok()
            } else {
                None
            },
            adresse,
            complement_adresse: None,
            localisation: Localisation::new(lat, lon),
            typologie,
            telephone,
            courriels,
            site_web: Vec::new(),
            horaires: if self.alea.proba(0.5) {
                self.horaires.clone()
            } else {
                None
            },
            presentation_resume: None,
            presentation_detail: None,
            source: None,
            itinerance: if genre == Genre::BusFranceServices {
                vec![maillage_domain::Itinerance::Itinerant]
            } else if source == "france-services" {
                vec![maillage_domain::Itinerance::Fixe]
            } else {
                Vec::new()
            },
            structure_parente: None,
            date_maj,
            services,
            publics_specifiquement_adresses: Vec::new(),
            prise_en_charge_specifique: Vec::new(),
            frais_a_charge: if self.alea.proba(0.5) {
                vec![Frais::Gratuit]
            } else {
                Vec::new()
            },
            dispositif_programmes_nationaux: Vec::new(),
            formations_labels: Vec::new(),
            autres_formations_labels: Vec::new(),
            modalites_acces: Vec::new(),
            modalites_accompagnement: if self.alea.proba(0.5) {
                vec![ModaliteAccompagnement::AccompagnementIndividuel]
            } else {
                Vec::new()
            },
            fiche_acces_libre: None,
            prise_rdv: None,
        };
        LieuSource {
            source: source.to_string(),
            lieu,
        }
    }

    /// A copy of `l` in another source, with the usual discrepancies.
    fn doublon(&mut self, l: &LieuSource) -> LieuSource {
        let mut c = l.clone();
        let autres: Vec<&str> = SOURCES.iter().copied().filter(|s| *s != l.source).collect();
        c.source = (*self.alea.choisir(&autres)).to_string();
        c.lieu.id = self.id(&c.source);
        c.lieu.nom = self.variante_nom(&l.lieu.nom);
        if let Some(p) = l.lieu.localisation {
            let (lat, lon) = self.deplacer(p.latitude, p.longitude, 20.0, 500.0);
            c.lieu.localisation = if self.alea.proba(0.05) {
                None
            } else {
                Localisation::new(lat, lon)
            };
        }
        c.lieu.adresse = self.variante_adresse(&l.lieu.adresse);
        if self.alea.proba(0.3) {
            c.lieu.telephone = None;
        }
        if self.alea.proba(0.5) {
            c.lieu.courriels.clear();
        }
        if self.alea.proba(0.5) {
            c.lieu.code_insee = None;
        }
        if self.alea.proba(0.3) {
            c.lieu.services.truncate(1);
        }
        if self.alea.proba(0.3) {
            c.lieu.typologie.clear();
        }
        if self.alea.proba(0.6) {
            c.lieu.pivot = Pivot::Absent;
        }
        c.lieu.horaires = None;
        let recul = 30 + self.alea.entier(400);
        c.lieu.date_maj = l.lieu.date_maj - chrono::Days::new(recul);
        if c.lieu
            .itinerance
            .contains(&maillage_domain::Itinerance::Fixe)
        {
            c.lieu.itinerance.clear();
        }
        c
    }

    /// Another structure in the same building.
    fn voisin(&mut self, l: &LieuSource) -> LieuSource {
        let mut v = self.lieu();
        v.lieu.adresse = l.lieu.adresse.clone();
        v.lieu.commune = l.lieu.commune.clone();
        v.lieu.code_postal = l.lieu.code_postal.clone();
        v.lieu.code_insee = l.lieu.code_insee.clone();
        if let Some(p) = l.lieu.localisation {
            let (lat, lon) = self.deplacer(p.latitude, p.longitude, 0.0, 15.0);
            v.lieu.localisation = Localisation::new(lat, lon);
        }
        // Another kind of structure, other services.
        let genres = [
            Genre::Mediatheque,
            Genre::CentreSocial,
            Genre::Epn,
            Genre::Mjc,
            Genre::Ccas,
        ];
        let nom_l = maillage_domain::texte::normaliser(&l.lieu.nom);
        let deja = |g: Genre| match g {
            Genre::Mediatheque => nom_l.contains("mediatheque") || nom_l.contains("bibliotheque"),
            Genre::CentreSocial => nom_l.contains("centre social"),
            Genre::Epn => nom_l.contains("numerique") || nom_l.contains("cyber"),
            Genre::Mjc => nom_l.contains("mjc"),
            _ => nom_l.contains("ccas"),
        };
        let mut possibles: Vec<Genre> = genres.iter().copied().filter(|g| !deja(*g)).collect();
        if possibles.is_empty() {
            possibles.push(Genre::Ccas);
        }
        let genre = *self.alea.choisir(&possibles);
        let (nom, typologie) = self.nom(genre, &l.lieu.commune);
        let cle = cle_nom(
            l.lieu
                .code_insee
                .as_ref()
                .map_or(l.lieu.code_postal.as_str(), |c| c.as_str()),
            &nom,
        );
        let nom = if self.noms_pris.insert(cle) {
            nom
        } else {
            format!("{nom} annexe {}", self.compteur)
        };
        v.lieu.courriels = vec![format!("{}{}@{}.fr", slug(&nom), self.compteur, slug(&nom))];
        v.lieu.nom = nom;
        v.lieu.typologie = typologie;
        let autres: Vec<Service> = Service::ALL
            .iter()
            .copied()
            .filter(|s| !l.lieu.services.contains(s))
            .collect();
        if !autres.is_empty() {
            v.lieu.services = vec![*self.alea.choisir(&autres)];
        }
        v.lieu.itinerance.clear();
        if v.source == "france-services" {
            v.source = "dora".into();
        }
        v
    }

    fn variante_nom(&mut self, nom: &str) -> String {
        let n = nom.to_string();
        let n = match self.alea.entier(8) {
            0 => n.to_uppercase(),
            1 => n
                .replacen("France services de ", "Maison France Services ", 1)
                .replacen("France Services ", "MSAP ", 1),
            2 => n.replacen(" de ", " ", 1),
            3 => n.replace("Saint-", "St "),
            4 => format!("{n} - accueil numérique"),
            5 => {
                // A typo in a long word.
                let mut mots: Vec<String> = n.split(' ').map(str::to_string).collect();
                if let Some(m) = mots.iter_mut().filter(|m| m.chars().count() >= 7).last() {
                    let mut cs: Vec<char> = m.chars().collect();
                    let k = cs.len() / 2;
                    cs.swap(k, k + 1);
                    *m = cs.into_iter().collect();
                }
                mots.join(" ")
            }
            6 => n.replace(['é', 'è'], "e"),
            _ => n,
        };
        n
    }

    fn variante_adresse(&mut self, adresse: &str) -> String {
        let mut a = adresse.to_string();
        if self.alea.proba(0.5) {
            for (long, court) in TYPES {
                if a.contains(long) {
                    a = a.replacen(long, court, 1);
                    break;
                }
            }
        }
        if self.alea.proba(0.15) {
            // Number dropped.
            let sans: String = a
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ')
                .to_string();
            let sans = sans
                .strip_prefix("bis ")
                .map(str::to_string)
                .unwrap_or(sans);
            a = sans;
        }
        if self.alea.proba(0.2) {
            a = a.to_uppercase();
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let a = generer(2_000, 0.05, 7);
        let b = generer(2_000, 0.05, 7);
        assert_eq!(a.len(), 2_000);
        assert_eq!(a, b);
        let c = generer(2_000, 0.05, 8);
        assert_ne!(a, c);
        // Refs are unique.
        let mut refs: Vec<String> = a.iter().map(LieuSource::reference).collect();
        refs.sort();
        refs.dedup();
        assert_eq!(refs.len(), 2_000);
    }

    #[test]
    fn about_five_percent_duplicates_from_real_communes() {
        let s = generer_avec(Referentiel::embedded().communes(), 10_000, 0.05, 1);
        let part = s.doublons.len() as f64 / s.lieux.len() as f64;
        assert!((0.04..0.06).contains(&part), "{part}");
        assert!(!s.voisins.is_empty());
        let r = Referentiel::embedded();
        for l in s.lieux.iter().take(200) {
            if let Some(code) = &l.lieu.code_insee {
                assert!(r.commune(code.as_str()).is_some(), "{code}");
            }
            assert!(
                l.lieu.localisation.is_some()
                    || s.doublons.iter().any(|(_, d)| *d == l.reference())
            );
        }
    }
}
