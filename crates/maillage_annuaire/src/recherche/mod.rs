//! In-memory search engine over the published places: "the places near me that help with my
//! need, open now".
//!
//! A [`Moteur`] is built once from the merged places ([`LieuFusionne`]) and never changes; the
//! web layer keeps it in a [`MoteurPartage`] and swaps in a new one, atomically, when the
//! directory changes. Readers keep the engine they started with.
//!
//! What is precomputed for each place:
//! - one bit mask per standard enumeration (services, publics, prise en charge, frais,
//!   modalités d'accès and d'accompagnement, dispositifs, labels, itinérance, typologie), and
//!   one bitset over all places per enumeration value, so that a filter is a few word-wide
//!   OR and AND;
//! - its 3D unit vector in an R-tree ([`rstar`]) for nearest-first walks, radius and
//!   rectangle queries;
//! - its commune in the territorial referential, for territory filters;
//! - the normalised words of its name, commune, address, postal code and services, in an
//!   inverted index for accent-insensitive word-prefix search;
//! - its opening hours (OSM syntax), parsed once per distinct string by the `opening-hours`
//!   crate; a string that only selects week days, times and `PH` (all the real ones) is
//!   compiled into 7 × 2 × 2 day tables (week day × holiday × holiday the day before), any
//!   other is left to the crate at query time. Places are numbered by (zone, opening-hours
//!   string), so "open now" evaluates each distinct string once per query and marks whole
//!   runs of places.
//!
//! Filters combine as on the national map (cartographie nationale des lieux d'inclusion
//! numérique): OR inside one category, AND across categories, then AND with the territory,
//! the text and the opening time.
//!
//! A query first builds the set of matching places (a bitset; "every place" when there is no
//! filter) and counts it (`total`). The page is then found adaptively: when matches are
//! plentiful, by walking the R-tree nearest first (or the places in name order) and stopping
//! after `offset + limit` matches; when they are rare, or the walk goes on for too long (the
//! matches are all far away), by scanning the matches and keeping the best ones in a bounded
//! heap.
//!
//! Opening hours are evaluated with French public holidays ([`ZoneHoraire::est_ferie`]) and,
//! for overseas places, in their own time zone: a query moment is given in metropolitan time
//! ([`Ouverture::A`]), and each place is looked at the same instant on its own clock.

mod bitset;
mod feries;
mod horaires;
mod spatial;
mod texte;

#[cfg(test)]
mod tests;

pub use feries::{est_ferie_national, paques, ZoneHoraire};
pub use horaires::{semaine, EtatOuverture, JourOuvert, Ouverture};

use crate::doublons::LieuFusionne;
use arc_swap::ArcSwap;
use bitset::Bitset;
use horaires::{CleHoraire, Compilateur, Quand, TableHoraires};
use maillage_domain::texte::normaliser;
use maillage_domain::{
    DispositifProgrammeNational, FormationLabel, Frais, Itinerance, Lieu, ModaliteAcces,
    ModaliteAccompagnement, PriseEnChargeSpecifique, PublicSpecifiquementAdresse, Service,
    Typologie, Vocabulary,
};
use maillage_geo::{haversine_m, Point};
use maillage_territoire::{Referentiel, Territoire};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;
use spatial::{corde2, vecteur, Cercle};
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use texte::{ConstructeurTexte, IndexTexte};

/// Most results one query may ask for.
pub const LIMITE_MAX: usize = 1000;

/// Results per page when a query does not say.
pub const LIMITE_PAR_DEFAUT: usize = 20;

/// Filters on the standard fields: inside one list, a place must have one of the values (OR);
/// across lists, it must pass every non-empty one (AND). An empty list does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filtres {
    pub services: Vec<Service>,
    pub publics_specifiquement_adresses: Vec<PublicSpecifiquementAdresse>,
    pub prise_en_charge_specifique: Vec<PriseEnChargeSpecifique>,
    pub frais_a_charge: Vec<Frais>,
    pub modalites_acces: Vec<ModaliteAcces>,
    pub modalites_accompagnement: Vec<ModaliteAccompagnement>,
    pub dispositif_programmes_nationaux: Vec<DispositifProgrammeNational>,
    pub formations_labels: Vec<FormationLabel>,
    pub itinerance: Vec<Itinerance>,
    pub typologie: Vec<Typologie>,
    /// Places whose commune lies in this territory. [`Territoire::France`] keeps every place,
    /// including the few whose commune is unknown.
    pub territoire: Option<Territoire>,
    /// Places open at that moment or on that day. Places without usable opening hours never
    /// pass.
    pub ouvert: Option<Ouverture>,
}

impl Filtres {
    /// Whether no filter is set.
    pub fn est_vide(&self) -> bool {
        self.masques().iter().all(|m| *m == 0)
            && !matches!(self.territoire, Some(ref t) if *t != Territoire::France)
            && self.ouvert.is_none()
    }

    /// Wanted values of each category, in the order of [`masques_lieu`].
    fn masques(&self) -> [u128; NB_CATEGORIES] {
        [
            masque(&self.services),
            masque(&self.publics_specifiquement_adresses),
            masque(&self.prise_en_charge_specifique),
            masque(&self.frais_a_charge),
            masque(&self.modalites_acces),
            masque(&self.modalites_accompagnement),
            masque(&self.dispositif_programmes_nationaux),
            masque(&self.formations_labels),
            masque(&self.itinerance),
            masque(&self.typologie),
        ]
    }
}

/// Order of the results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Tri {
    /// By distance when the query has a centre, else by name.
    #[default]
    Auto,
    /// Nearest first (by name when the query has no centre).
    Distance,
    /// By name (accents and case ignored), then id.
    Nom,
}

/// A search.
#[derive(Clone, Debug, PartialEq)]
pub struct Requete {
    /// Where the person is: results get a distance, and only located places are returned.
    pub centre: Option<Point>,
    /// Only places at most this far from the centre (great-circle distance).
    pub rayon_km: Option<f64>,
    /// Results wanted, at most [`LIMITE_MAX`].
    pub limit: usize,
    /// Results skipped (pagination).
    pub offset: usize,
    /// Words that must each start a word of the name, commune, address, postal code or
    /// services of the place (accents, case and punctuation ignored; short words such as
    /// « de », « la » are skipped unless last). A text without any letter or digit is ignored.
    pub texte: Option<String>,
    pub filtres: Filtres,
    pub tri: Tri,
}

impl Default for Requete {
    fn default() -> Self {
        Requete {
            centre: None,
            rayon_km: None,
            limit: LIMITE_PAR_DEFAUT,
            offset: 0,
            texte: None,
            filtres: Filtres::default(),
            tri: Tri::Auto,
        }
    }
}

impl Requete {
    /// The nearest places to `centre`, first page.
    pub fn autour(centre: Point) -> Requete {
        Requete {
            centre: Some(centre),
            ..Requete::default()
        }
    }
}

/// One result: the index of the place in the engine, and its distance to the centre.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Trouve {
    /// Index for [`Moteur::lieu_a`] and [`Moteur::etat_ouverture`].
    pub index: usize,
    /// Great-circle distance to the query's centre, in metres.
    pub distance_m: Option<f64>,
}

/// The answer to a [`Requete`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reponse {
    /// Number of places matching the query (all pages).
    pub total: usize,
    /// The requested page.
    pub resultats: Vec<Trouve>,
}

/// Why a query cannot be answered. The messages are meant for the people using the site.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ErreurRecherche {
    #[error("le rayon doit être un nombre de kilomètres positif (reçu : {0})")]
    RayonInvalide(f64),
    #[error("un rayon de recherche demande un point de départ")]
    RayonSansCentre,
    #[error("position invalide : latitude {lat}, longitude {lon}")]
    PositionInvalide { lat: f64, lon: f64 },
    #[error("au plus {max} résultats par page (demandé : {demande})")]
    LimiteTropGrande { demande: usize, max: usize },
    #[error("zone de carte invalide : sud {sud}, ouest {ouest}, nord {nord}, est {est}")]
    RectangleInvalide {
        sud: f64,
        ouest: f64,
        nord: f64,
        est: f64,
    },
}

/// Sizes of an engine, for logs and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsMoteur {
    pub lieux: usize,
    pub localises: usize,
    /// Places whose commune was found in the referential.
    pub communes_connues: usize,
    /// Distinct (zone, opening-hours string) pairs, compiled, left to the crate.
    pub cles_horaires: usize,
    pub horaires_compiles: usize,
    pub horaires_complexes: usize,
    /// Approximate memory of the indexes (places themselves excluded), in bytes.
    pub octets_index: usize,
}

const NB_CATEGORIES: usize = 10;

/// Bit mask of the values of one category.
fn masque<V: Vocabulary + PartialEq>(valeurs: &[V]) -> u128 {
    valeurs.iter().fold(0u128, |m, v| {
        m | V::ALL.iter().position(|x| x == v).map_or(0, |i| 1u128 << i)
    })
}

/// The masks of a place, in the order of [`Filtres::masques`].
fn masques_lieu(l: &Lieu) -> [u128; NB_CATEGORIES] {
    [
        masque(&l.services),
        masque(&l.publics_specifiquement_adresses),
        masque(&l.prise_en_charge_specifique),
        masque(&l.frais_a_charge),
        masque(&l.modalites_acces),
        masque(&l.modalites_accompagnement),
        masque(&l.dispositif_programmes_nationaux),
        masque(&l.formations_labels),
        masque(&l.itinerance),
        masque(&l.typologie),
    ]
}

/// The masks of one place, compact: nine categories of at most 16 values, and typologie.
#[derive(Clone, Copy, Debug, Default)]
struct Masques {
    petits: [u16; NB_CATEGORIES - 1],
    typologie: [u64; 2],
}

impl Masques {
    fn de(m: &[u128; NB_CATEGORIES]) -> Masques {
        let mut petits = [0u16; NB_CATEGORIES - 1];
        for (p, v) in petits.iter_mut().zip(m) {
            *p = *v as u16;
        }
        let t = m[NB_CATEGORIES - 1];
        Masques {
            petits,
            typologie: [t as u64, (t >> 64) as u64],
        }
    }

    #[inline]
    fn categorie(&self, c: usize) -> u128 {
        match self.petits.get(c) {
            Some(&m) => u128::from(m),
            None => u128::from(self.typologie[0]) | (u128::from(self.typologie[1]) << 64),
        }
    }
}

type Entree = GeomWithData<[f64; 3], u32>;

/// No commune.
const SANS_COMMUNE: u32 = u32::MAX;

/// The search engine: an immutable index over the published places.
pub struct Moteur {
    lieux: Vec<LieuFusionne>,
    par_id: HashMap<String, u32>,
    masques: Vec<Masques>,
    /// `colonnes[c][v]`: the places with value `v` of category `c`.
    colonnes: Vec<Vec<Bitset>>,
    points: Vec<Option<Point>>,
    /// Unit vectors (NaN for places without a position).
    vecteurs: Vec<[f64; 3]>,
    localises: Bitset,
    nb_localises: usize,
    arbre: RTree<Entree>,
    /// Samples of the located places, each 8 times sparser than the one before (see
    /// [`Moteur::dans_rectangle`]).
    echantillons: Vec<RTree<Entree>>,
    /// Index of each place's commune in [`Referentiel::communes`], or [`SANS_COMMUNE`].
    communes: Vec<u32>,
    /// Places of commune `k`: `commune_lieux[commune_debuts[k]..commune_debuts[k + 1]]`.
    commune_debuts: Vec<u32>,
    commune_lieux: Vec<u32>,
    /// Communes with places of each région, département, EPCI and commune, by the written
    /// form of the territory (`dep:31`).
    territoires: HashMap<String, Vec<u32>>,
    texte: IndexTexte,
    /// Places in name order, and the rank of each place in it.
    ordre_nom: Vec<u32>,
    rang_nom: Vec<u32>,
    /// Stable pseudo-random priority of each place (from its id), to thin out a map.
    priorites: Vec<u32>,
    horaires: TableHoraires,
    /// Opening-hours key of each place; places are numbered by key, so the places of key `k`
    /// are `cle_debuts[k]..cle_debuts[k + 1]`.
    cle_horaire: Vec<u32>,
    cle_debuts: Vec<u32>,
    reglages: Reglages,
}

/// Thresholds of the adaptive strategies (changed by unit tests only, to force each path).
#[derive(Clone, Copy, Debug)]
struct Reglages {
    /// Fewest places a bounded walk may visit before falling back to a scan.
    budget_min: usize,
    /// Below this many candidates, a radius query scans them instead of walking the R-tree.
    seuil_cercle: usize,
    /// A walk is tried when it should visit at most 1/`rapport_marche` of the candidates.
    rapport_marche: usize,
}

impl Default for Reglages {
    fn default() -> Self {
        Reglages {
            budget_min: 1024,
            seuil_cercle: 2048,
            rapport_marche: 16,
        }
    }
}

impl std::fmt::Debug for Moteur {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moteur")
            .field("lieux", &self.lieux.len())
            .finish_non_exhaustive()
    }
}

impl Default for Moteur {
    fn default() -> Self {
        Moteur::nouveau(Vec::new())
    }
}

/// Index of a commune in the referential's sorted list.
fn index_commune(referentiel: &Referentiel, code: &str) -> Option<u32> {
    referentiel
        .communes()
        .binary_search_by(|c| c.code_insee.as_str().cmp(code))
        .ok()
        .map(|i| i as u32)
}

fn commune_du_lieu(referentiel: &Referentiel, l: &Lieu) -> Option<u32> {
    let commune = l
        .code_insee
        .as_ref()
        .and_then(|c| referentiel.commune_or_parent(c.as_str()))
        .or_else(|| referentiel.resoudre(Some(l.code_postal.as_str()), Some(&l.commune)))?;
    index_commune(referentiel, &commune.code_insee)
}

/// 32 bits of FNV-1a of a text, mixed.
fn priorite(id: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (h >> 32) as u32
}

impl Moteur {
    /// Builds the engine over `lieux`. Places are renumbered (see [`Moteur::lieu_a`]); when
    /// two places share an id, [`Moteur::lieu`] gives the first one.
    pub fn nouveau(lieux: Vec<LieuFusionne>) -> Moteur {
        let referentiel = Referentiel::embedded();
        let n = lieux.len();

        // Commune and opening-hours key of each place, then the places sorted by key.
        let communes_entree: Vec<u32> = lieux
            .iter()
            .map(|f| commune_du_lieu(referentiel, &f.lieu).unwrap_or(SANS_COMMUNE))
            .collect();
        let mut chaines: HashMap<&str, u32> = HashMap::new();
        let cles_entree: Vec<(u8, u32)> = lieux
            .iter()
            .zip(&communes_entree)
            .map(|(f, &c)| {
                let zone = match referentiel.communes().get(c as usize) {
                    Some(commune) => ZoneHoraire::du_departement(&commune.code_departement),
                    None => ZoneHoraire::du_code(
                        f.lieu
                            .code_insee
                            .as_ref()
                            .map_or(f.lieu.code_postal.as_str(), |c| c.as_str()),
                    ),
                };
                let chaine = match &f.lieu.horaires {
                    Some(h) if h.valide => {
                        let k = chaines.len() as u32 + 1;
                        *chaines.entry(h.brut.as_str()).or_insert(k)
                    }
                    _ => 0,
                };
                (zone.rang() as u8, chaine)
            })
            .collect();
        let mut ordre: Vec<u32> = (0..n as u32).collect();
        ordre.sort_by_key(|&i| cles_entree[i as usize]);
        let mut brutes: Vec<&str> = vec![""; chaines.len() + 1];
        for (s, &k) in &chaines {
            brutes[k as usize] = s;
        }

        let mut compilateur = Compilateur::default();
        let mut cle_horaire = Vec::with_capacity(n);
        let mut cle_debuts = Vec::new();
        let mut precedente: Option<(u8, u32)> = None;
        for (rang, &i) in ordre.iter().enumerate() {
            let cle = cles_entree[i as usize];
            if precedente != Some(cle) {
                precedente = Some(cle);
                cle_debuts.push(rang as u32);
                let zone = ZoneHoraire::TOUTES
                    .get(cle.0 as usize)
                    .copied()
                    .unwrap_or(ZoneHoraire::Metropole);
                compilateur.ajouter(&CleHoraire {
                    zone,
                    brut: (cle.1 != 0).then(|| brutes[cle.1 as usize].to_string()),
                });
            }
            cle_horaire.push(cle_debuts.len() as u32 - 1);
        }
        cle_debuts.push(n as u32);
        let horaires = compilateur.terminer();
        drop(chaines);

        let communes: Vec<u32> = ordre.iter().map(|&i| communes_entree[i as usize]).collect();
        let mut places: Vec<Option<LieuFusionne>> = lieux.into_iter().map(Some).collect();
        let lieux: Vec<LieuFusionne> = ordre
            .iter()
            .filter_map(|&i| places.get_mut(i as usize).and_then(Option::take))
            .collect();
        drop(places);

        let mut par_id = HashMap::with_capacity(n);
        let mut masques = Vec::with_capacity(n);
        let mut colonnes: Vec<Vec<Bitset>> = [
            Service::ALL.len(),
            PublicSpecifiquementAdresse::ALL.len(),
            PriseEnChargeSpecifique::ALL.len(),
            Frais::ALL.len(),
            ModaliteAcces::ALL.len(),
            ModaliteAccompagnement::ALL.len(),
            DispositifProgrammeNational::ALL.len(),
            FormationLabel::ALL.len(),
            Itinerance::ALL.len(),
            Typologie::ALL.len(),
        ]
        .iter()
        .map(|&k| (0..k).map(|_| Bitset::vide(n)).collect())
        .collect();
        let mut points = Vec::with_capacity(n);
        let mut vecteurs = Vec::with_capacity(n);
        let mut localises = Bitset::vide(n);
        let mut texte = ConstructeurTexte::default();
        let mut priorites = Vec::with_capacity(n);
        let mut noms: Vec<String> = Vec::with_capacity(n);
        let libelles_services: Vec<String> =
            Service::ALL.iter().map(|s| normaliser(s.label())).collect();
        for (i, f) in lieux.iter().enumerate() {
            par_id.entry(f.id.clone()).or_insert(i as u32);
            let m = masques_lieu(&f.lieu);
            for (c, &bits) in m.iter().enumerate() {
                let mut b = bits;
                while b != 0 {
                    let v = b.trailing_zeros() as usize;
                    b &= b - 1;
                    if let Some(col) = colonnes[c].get_mut(v) {
                        col.inserer(i);
                    }
                }
            }
            masques.push(Masques::de(&m));
            let point = f
                .lieu
                .localisation
                .and_then(|l| Point::new(l.latitude, l.longitude));
            match point {
                Some(p) => {
                    localises.inserer(i);
                    vecteurs.push(vecteur(p));
                }
                None => vecteurs.push([f64::NAN; 3]),
            }
            points.push(point);
            let services = f
                .lieu
                .services
                .iter()
                .filter_map(|s| Service::ALL.iter().position(|x| x == s))
                .map(|k| libelles_services[k].as_str());
            let nom = normaliser(&f.lieu.nom);
            let (commune, adresse) = (normaliser(&f.lieu.commune), normaliser(&f.lieu.adresse));
            texte.ajouter_normalises(
                [
                    nom.as_str(),
                    commune.as_str(),
                    adresse.as_str(),
                    f.lieu.code_postal.as_str(),
                ]
                .into_iter()
                .chain(services),
            );
            noms.push(nom);
            priorites.push(priorite(&f.id));
        }
        let nb_localises = localises.compter();
        let arbre = RTree::bulk_load(
            points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_some())
                .map(|(i, _)| Entree::new(vecteurs[i], i as u32))
                .collect(),
        );
        // Samples for maps: the places of priority below 2^32 / 8^j, while they are at least
        // 64 on average.
        let mut echantillons = Vec::new();
        let mut j = 1;
        while j <= 10 && nb_localises >> (3 * j) >= 64 {
            let seuil = u32::MAX >> (3 * j);
            echantillons.push(RTree::bulk_load(
                (0..n)
                    .filter(|&i| points[i].is_some() && priorites[i] < seuil)
                    .map(|i| Entree::new(vecteurs[i], i as u32))
                    .collect(),
            ));
            j += 1;
        }

        // Places by commune.
        let nb_communes = referentiel.communes().len();
        let mut commune_debuts = vec![0u32; nb_communes + 1];
        for &c in &communes {
            if let Some(d) = commune_debuts.get_mut(c as usize + 1) {
                *d += 1;
            }
        }
        for k in 1..commune_debuts.len() {
            commune_debuts[k] += commune_debuts[k - 1];
        }
        let mut curseurs = commune_debuts.clone();
        let mut commune_lieux = vec![0u32; commune_debuts[nb_communes] as usize];
        for (i, &c) in communes.iter().enumerate() {
            if let Some(p) = curseurs.get_mut(c as usize) {
                commune_lieux[*p as usize] = i as u32;
                *p += 1;
            }
        }

        // Communes with places, by territory.
        let mut territoires: HashMap<String, Vec<u32>> = HashMap::new();
        for (c, commune) in referentiel.communes().iter().enumerate() {
            if commune_debuts[c] == commune_debuts[c + 1] {
                continue;
            }
            let cles = [
                Some(format!("reg:{}", commune.code_region)),
                Some(format!("dep:{}", commune.code_departement)),
                commune.code_epci.as_ref().map(|e| format!("epci:{e}")),
                Some(format!("commune:{}", commune.code_insee)),
            ];
            for cle in cles.into_iter().flatten() {
                territoires.entry(cle).or_default().push(c as u32);
            }
        }

        // Name order.
        let mut ordre_nom: Vec<u32> = (0..n as u32).collect();
        ordre_nom.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            noms[a]
                .cmp(&noms[b])
                .then_with(|| lieux[a].id.cmp(&lieux[b].id))
        });
        let mut rang_nom = vec![0u32; n];
        for (r, &i) in ordre_nom.iter().enumerate() {
            rang_nom[i as usize] = r as u32;
        }

        Moteur {
            lieux,
            par_id,
            masques,
            colonnes,
            points,
            vecteurs,
            localises,
            nb_localises,
            arbre,
            echantillons,
            communes,
            commune_debuts,
            commune_lieux,
            territoires,
            texte: texte.terminer(),
            ordre_nom,
            rang_nom,
            priorites,
            horaires,
            cle_horaire,
            cle_debuts,
            reglages: Reglages::default(),
        }
    }

    /// Number of places.
    pub fn len(&self) -> usize {
        self.lieux.len()
    }

    /// Whether the engine holds no place.
    pub fn is_empty(&self) -> bool {
        self.lieux.is_empty()
    }

    /// Every place, by index.
    pub fn lieux(&self) -> &[LieuFusionne] {
        &self.lieux
    }

    /// The place of id `id` (`lieu-…`).
    pub fn lieu(&self, id: &str) -> Option<&LieuFusionne> {
        self.index_de(id).and_then(|i| self.lieux.get(i))
    }

    /// The index of the place of id `id`.
    pub fn index_de(&self, id: &str) -> Option<usize> {
        self.par_id.get(id).map(|&i| i as usize)
    }

    /// The place of index `index` (as in [`Trouve::index`]).
    pub fn lieu_a(&self, index: usize) -> Option<&LieuFusionne> {
        self.lieux.get(index)
    }

    /// The time zone and holidays a place is evaluated with.
    pub fn zone(&self, index: usize) -> Option<ZoneHoraire> {
        let cle = *self.cle_horaire.get(index)?;
        self.horaires.zone(cle as usize)
    }

    /// A point standing for commune `code_insee` (INSEE code) drawn from its located places:
    /// the median latitude and the median longitude, so one badly placed place does not move
    /// it. For the communes the referential has no centroid for (the overseas
    /// collectivities: Nouméa, Papeete, Mata-Utu…); `None` when the commune has no located
    /// place.
    pub fn centre_des_lieux(&self, code_insee: &str) -> Option<Point> {
        let k = index_commune(Referentiel::embedded(), code_insee)? as usize;
        let debut = *self.commune_debuts.get(k)? as usize;
        let fin = *self.commune_debuts.get(k + 1)? as usize;
        let (mut lats, mut lons): (Vec<f64>, Vec<f64>) = self
            .commune_lieux
            .get(debut..fin)?
            .iter()
            .filter_map(|&i| self.points.get(i as usize).copied().flatten())
            .map(|p| (p.lat, p.lon))
            .unzip();
        if lats.is_empty() {
            return None;
        }
        lats.sort_by(f64::total_cmp);
        lons.sort_by(f64::total_cmp);
        Point::new(lats[lats.len() / 2], lons[lons.len() / 2])
    }

    /// Whether the place is open at `a` (wall-clock time in metropolitan France,
    /// Europe/Paris), with when it closes or opens next, in the place's own local time
    /// (the same for metropolitan places).
    pub fn etat_ouverture(&self, index: usize, a: chrono::NaiveDateTime) -> EtatOuverture {
        match self.cle_horaire.get(index) {
            Some(&cle) => self.horaires.etat(cle as usize, a),
            None => EtatOuverture::Inconnu,
        }
    }

    /// Sizes, for logs and benchmarks.
    pub fn statistiques(&self) -> StatsMoteur {
        let (cles, compiles, complexes) = self.horaires.statistiques();
        let n = self.len();
        let colonnes: usize = self.colonnes.iter().flatten().map(Bitset::octets).sum();
        StatsMoteur {
            lieux: n,
            localises: self.nb_localises,
            communes_connues: self.communes.iter().filter(|&&c| c != SANS_COMMUNE).count(),
            cles_horaires: cles,
            horaires_compiles: compiles,
            horaires_complexes: complexes,
            octets_index: colonnes
                + self.texte.octets()
                + n * (std::mem::size_of::<Masques>() + 24 + 24 + 4 * 5)
                + self.nb_localises * std::mem::size_of::<Entree>() * 2
                + self.commune_debuts.len() * 4
                + self.par_id.len() * 48,
        }
    }

    /// Whether place `index` passes `filtres` (texts aside).
    pub fn correspond(&self, index: usize, filtres: &Filtres) -> bool {
        index < self.len() && Plan::nouveau(self, filtres).accepte(self, index)
    }

    /// Searches. See the module documentation for how.
    pub fn rechercher(&self, requete: &Requete) -> Result<Reponse, ErreurRecherche> {
        if requete.limit > LIMITE_MAX {
            return Err(ErreurRecherche::LimiteTropGrande {
                demande: requete.limit,
                max: LIMITE_MAX,
            });
        }
        let centre = match requete.centre {
            Some(c) => Some(
                Point::new(c.lat, c.lon).ok_or(ErreurRecherche::PositionInvalide {
                    lat: c.lat,
                    lon: c.lon,
                })?,
            ),
            None => None,
        };
        let cercle = match requete.rayon_km {
            None => None,
            Some(km) if !(km.is_finite() && km >= 0.0) => {
                return Err(ErreurRecherche::RayonInvalide(km))
            }
            Some(_) if centre.is_none() => return Err(ErreurRecherche::RayonSansCentre),
            Some(km) => Some(Cercle::nouveau(km * 1000.0)),
        };
        let k = requete.offset.saturating_add(requete.limit);
        let candidats = self.candidats(&requete.filtres, requete.texte.as_deref());

        let Some(centre) = centre else {
            let total = candidats.as_ref().map_or(self.len(), Bitset::compter);
            let page = self.par_nom(candidats.as_ref(), total, k);
            return Ok(Reponse {
                total,
                resultats: page
                    .into_iter()
                    .skip(requete.offset)
                    .map(|i| Trouve {
                        index: i as usize,
                        distance_m: None,
                    })
                    .collect(),
            });
        };

        // Only located places have a distance.
        let candidats = match candidats {
            None if self.nb_localises == self.len() => None,
            None => Some(self.localises.clone()),
            Some(mut b) => {
                b.et(&self.localises);
                Some(b)
            }
        };
        let nombre = candidats
            .as_ref()
            .map_or(self.nb_localises, Bitset::compter);
        let v = vecteur(centre);
        let par_distance = !matches!(requete.tri, Tri::Nom);
        let (total, page) = match cercle {
            None => {
                let page = if par_distance {
                    self.plus_proches(centre, &v, None, candidats.as_ref(), nombre, k)
                } else {
                    self.par_nom(candidats.as_ref(), nombre, k)
                };
                (nombre, page)
            }
            Some(cercle) if par_distance => {
                let mut total = 0usize;
                let mut meilleurs = Meilleurs::new(k);
                self.pour_chaque_dans_cercle(
                    centre,
                    &v,
                    &cercle,
                    candidats.as_ref(),
                    nombre,
                    |i, d2| {
                        total += 1;
                        meilleurs.voir((d2.to_bits(), i as u32));
                    },
                );
                (
                    total,
                    meilleurs.tries().into_iter().map(|(_, i)| i).collect(),
                )
            }
            Some(cercle) => {
                let mut dedans = Vec::new();
                self.pour_chaque_dans_cercle(
                    centre,
                    &v,
                    &cercle,
                    candidats.as_ref(),
                    nombre,
                    |i, _| dedans.push(i as u32),
                );
                let total = dedans.len();
                (total, self.meilleurs_par_nom(dedans.into_iter(), k))
            }
        };
        Ok(Reponse {
            total,
            resultats: page
                .into_iter()
                .skip(requete.offset)
                .map(|i| Trouve {
                    index: i as usize,
                    distance_m: self.points[i as usize].map(|p| haversine_m(centre, p)),
                })
                .collect(),
        })
    }

    /// The places inside a latitude/longitude rectangle (for a map: only the visible area)
    /// that pass `filtres`, at most `limit`. `ouest > est` means a rectangle across the ±180°
    /// meridian. When more places match, a stable sample is returned: the places whose
    /// priority (a hash of their id) is smallest, so that a place shown stays shown while the
    /// map is panned. Indexes are returned in increasing order.
    pub fn dans_rectangle(
        &self,
        sud: f64,
        ouest: f64,
        nord: f64,
        est: f64,
        filtres: &Filtres,
        limit: usize,
    ) -> Result<Vec<usize>, ErreurRecherche> {
        let valide =
            Point::new(sud, ouest).is_some() && Point::new(nord, est).is_some() && sud <= nord;
        if !valide {
            return Err(ErreurRecherche::RectangleInvalide {
                sud,
                ouest,
                nord,
                est,
            });
        }
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut plan = Plan::nouveau(self, filtres);
        let boites = spatial::enveloppes(sud, ouest, nord, est);
        let mut trouves: Vec<(u32, u32)> = Vec::new();
        // From the sparsest sample to every place: a sample holds every place of priority
        // below its threshold, so once it has `limit` matches in the rectangle, they are the
        // `limit` matches of smallest priority of all.
        let arbres = self
            .echantillons
            .iter()
            .rev()
            .chain(std::iter::once(&self.arbre));
        for arbre in arbres {
            trouves.clear();
            for boite in &boites {
                for e in arbre.locate_in_envelope(boite) {
                    let i = e.data as usize;
                    let dedans = self.points[i]
                        .is_some_and(|p| spatial::dans_rectangle(p, sud, ouest, nord, est));
                    if dedans && plan.accepte(self, i) {
                        trouves.push((self.priorites[i], e.data));
                    }
                }
            }
            if trouves.len() >= limit {
                break;
            }
        }
        if trouves.len() > limit {
            trouves.select_nth_unstable(limit - 1);
            trouves.truncate(limit);
        }
        let mut indexes: Vec<usize> = trouves.into_iter().map(|(_, i)| i as usize).collect();
        indexes.sort_unstable();
        indexes.dedup();
        Ok(indexes)
    }

    /// The set of places passing the filters and the text; `None` for every place.
    fn candidats(&self, filtres: &Filtres, texte: Option<&str>) -> Option<Bitset> {
        let n = self.len();
        let mut ensemble: Option<Bitset> = None;
        fn et(ensemble: &mut Option<Bitset>, autre: Bitset) {
            match ensemble {
                None => *ensemble = Some(autre),
                Some(e) => e.et(&autre),
            }
        }
        for (c, voulu) in filtres.masques().into_iter().enumerate() {
            if voulu == 0 {
                continue;
            }
            let mut union = Bitset::vide(n);
            let mut b = voulu;
            while b != 0 {
                let v = b.trailing_zeros() as usize;
                b &= b - 1;
                if let Some(col) = self.colonnes[c].get(v) {
                    union.ou(col);
                }
            }
            et(&mut ensemble, union);
        }
        if let Some(t) = &filtres.territoire {
            if let Some(communes) = self.communes_du_territoire(t) {
                let mut dans = Bitset::vide(n);
                for &c in communes {
                    let c = c as usize;
                    let (a, b) = (
                        self.commune_debuts[c] as usize,
                        self.commune_debuts[c + 1] as usize,
                    );
                    for &i in &self.commune_lieux[a..b] {
                        dans.inserer(i as usize);
                    }
                }
                et(&mut ensemble, dans);
            }
        }
        if let Some(t) = texte.and_then(|t| self.texte.chercher(t)) {
            et(&mut ensemble, t);
        }
        if let Some(o) = filtres.ouvert {
            let quand = Quand::nouveau(o);
            let mut ouverts = Bitset::vide(n);
            for cle in 0..self.horaires.len() {
                if self.horaires.ouvert(cle, &quand) {
                    ouverts.inserer_plage(
                        self.cle_debuts[cle] as usize,
                        self.cle_debuts[cle + 1] as usize,
                    );
                }
            }
            et(&mut ensemble, ouverts);
        }
        ensemble
    }

    /// Indexes in the referential of the communes of a territory that have places; `None`
    /// for France.
    fn communes_du_territoire(&self, t: &Territoire) -> Option<&[u32]> {
        if *t == Territoire::France {
            return None;
        }
        Some(
            self.territoires
                .get(&t.to_string())
                .map_or(&[], Vec::as_slice),
        )
    }

    /// Calls `f` with every candidate in the circle: walks the R-tree over the circle while
    /// that is cheaper than scanning the candidates, else scans them.
    fn pour_chaque_dans_cercle(
        &self,
        centre: Point,
        v: &[f64; 3],
        cercle: &Cercle,
        candidats: Option<&Bitset>,
        nombre: usize,
        mut f: impl FnMut(usize, f64),
    ) {
        let dedans =
            |i: usize, d2: f64| self.points[i].is_some_and(|p| cercle.contient(d2, centre, p));
        if nombre > self.reglages.seuil_cercle {
            // Past a quarter of the candidates, a scan (a dot product each) is cheaper.
            let budget = nombre / 4;
            let mut trouves = Vec::new();
            let mut complet = true;
            for (visites, e) in self
                .arbre
                .locate_within_distance(*v, cercle.dehors)
                .enumerate()
            {
                if visites >= budget {
                    complet = false;
                    break;
                }
                let i = e.data as usize;
                let d2 = corde2(v, &self.vecteurs[i]);
                if candidats.is_none_or(|b| b.contient(i)) && dedans(i, d2) {
                    trouves.push((i, d2));
                }
            }
            if complet {
                trouves.into_iter().for_each(|(i, d2)| f(i, d2));
                return;
            }
        }
        let mut voir = |i: usize| {
            let d2 = corde2(v, &self.vecteurs[i]);
            if dedans(i, d2) {
                f(i, d2);
            }
        };
        match candidats {
            Some(b) => b.iter().for_each(&mut voir),
            None => self.localises.iter().for_each(&mut voir),
        }
    }

    /// The `k` candidates nearest to `centre` (within `cercle`), nearest first.
    fn plus_proches(
        &self,
        centre: Point,
        v: &[f64; 3],
        cercle: Option<&Cercle>,
        candidats: Option<&Bitset>,
        nombre: usize,
        k: usize,
    ) -> Vec<u32> {
        let k = k.min(nombre);
        if k == 0 {
            return Vec::new();
        }
        // Places the walk should visit to meet k candidates, if they are spread evenly.
        let estimation = k.saturating_mul(self.nb_localises) / nombre.max(1) + 1;
        let marcher = candidats.is_none()
            || estimation.saturating_mul(self.reglages.rapport_marche) <= nombre;
        if marcher {
            let budget = match candidats {
                None => usize::MAX,
                Some(_) => estimation.saturating_mul(8).max(self.reglages.budget_min),
            };
            let mut trouves = Vec::with_capacity(k);
            let mut complet = true;
            for (visites, (e, d2)) in self
                .arbre
                .nearest_neighbor_iter_with_distance_2(v)
                .enumerate()
            {
                if cercle.is_some_and(|c| d2 > c.dehors) || trouves.len() >= k {
                    break;
                }
                if visites >= budget {
                    complet = false;
                    break;
                }
                let i = e.data as usize;
                let bon = candidats.is_none_or(|b| b.contient(i))
                    && cercle
                        .is_none_or(|c| self.points[i].is_some_and(|p| c.contient(d2, centre, p)));
                if bon {
                    trouves.push(e.data);
                }
            }
            if complet {
                return trouves;
            }
        }
        // Scan the candidates, keeping the k nearest in a max-heap of (squared chord bits,
        // index): squared chords are non-negative, so their bits sort as they do.
        let mut meilleurs = Meilleurs::new(k);
        let mut voir = |i: usize| {
            let d2 = corde2(v, &self.vecteurs[i]);
            if !d2.is_finite() {
                return;
            }
            if let Some(c) = cercle {
                if !self.points[i].is_some_and(|p| c.contient(d2, centre, p)) {
                    return;
                }
            }
            meilleurs.voir((d2.to_bits(), i as u32));
        };
        match candidats {
            Some(b) => b.iter().for_each(&mut voir),
            None => self.localises.iter().for_each(&mut voir),
        }
        meilleurs.tries().into_iter().map(|(_, i)| i).collect()
    }

    /// The first `k` candidates in name order.
    fn par_nom(&self, candidats: Option<&Bitset>, nombre: usize, k: usize) -> Vec<u32> {
        let k = k.min(nombre);
        let Some(b) = candidats else {
            return self.ordre_nom.iter().take(k).copied().collect();
        };
        if k == 0 {
            return Vec::new();
        }
        let estimation = k.saturating_mul(self.len()) / nombre.max(1) + 1;
        if estimation.saturating_mul(self.reglages.rapport_marche) <= nombre {
            let budget = estimation.saturating_mul(8).max(self.reglages.budget_min);
            let mut trouves = Vec::with_capacity(k);
            for &i in self.ordre_nom.iter().take(budget) {
                if b.contient(i as usize) {
                    trouves.push(i);
                    if trouves.len() == k {
                        return trouves;
                    }
                }
            }
        }
        self.meilleurs_par_nom(b.iter().map(|i| i as u32), k)
    }

    /// The first `k` of `lieux` in name order.
    fn meilleurs_par_nom(&self, lieux: impl Iterator<Item = u32>, k: usize) -> Vec<u32> {
        let mut meilleurs = Meilleurs::new(k);
        for i in lieux {
            meilleurs.voir(self.rang_nom[i as usize]);
        }
        meilleurs
            .tries()
            .into_iter()
            .map(|r| self.ordre_nom[r as usize])
            .collect()
    }
}

/// The `k` smallest keys seen, in a bounded max-heap.
struct Meilleurs<K: Ord> {
    k: usize,
    tas: BinaryHeap<K>,
}

impl<K: Ord> Meilleurs<K> {
    fn new(k: usize) -> Self {
        Meilleurs {
            k,
            tas: BinaryHeap::with_capacity(k.min(4096) + 1),
        }
    }

    #[inline]
    fn voir(&mut self, cle: K) {
        if self.tas.len() < self.k {
            self.tas.push(cle);
        } else if self.tas.peek().is_some_and(|pire| cle < *pire) {
            self.tas.pop();
            self.tas.push(cle);
        }
    }

    /// The keys kept, smallest first.
    fn tries(self) -> Vec<K> {
        self.tas.into_sorted_vec()
    }
}

/// Filters prepared for testing places one by one (map rectangles, [`Moteur::correspond`]).
struct Plan {
    exigences: Vec<(usize, u128)>,
    /// Communes of the territory, by referential index; `None` for no territory or France.
    communes: Option<Bitset>,
    quand: Option<Quand>,
    /// Opening-hours keys already evaluated: 0 not yet, 1 open, 2 not open.
    memo: Vec<u8>,
}

impl Plan {
    fn nouveau(moteur: &Moteur, filtres: &Filtres) -> Plan {
        let exigences = filtres
            .masques()
            .into_iter()
            .enumerate()
            .filter(|(_, m)| *m != 0)
            .collect();
        let communes = filtres
            .territoire
            .as_ref()
            .and_then(|t| moteur.communes_du_territoire(t))
            .map(|liste| {
                let mut b = Bitset::vide(Referentiel::embedded().communes().len());
                for &c in liste {
                    b.inserer(c as usize);
                }
                b
            });
        let quand = filtres.ouvert.map(Quand::nouveau);
        let memo = if quand.is_some() {
            vec![0; moteur.horaires.len()]
        } else {
            Vec::new()
        };
        Plan {
            exigences,
            communes,
            quand,
            memo,
        }
    }

    fn accepte(&mut self, moteur: &Moteur, i: usize) -> bool {
        let m = &moteur.masques[i];
        if !self
            .exigences
            .iter()
            .all(|&(c, voulu)| m.categorie(c) & voulu != 0)
        {
            return false;
        }
        if let Some(communes) = &self.communes {
            let c = moteur.communes[i];
            if c == SANS_COMMUNE || !communes.contient(c as usize) {
                return false;
            }
        }
        if let Some(quand) = &self.quand {
            let cle = moteur.cle_horaire[i] as usize;
            let Some(memo) = self.memo.get_mut(cle) else {
                return false;
            };
            if *memo == 0 {
                *memo = if moteur.horaires.ouvert(cle, quand) {
                    1
                } else {
                    2
                };
            }
            return *memo == 1;
        }
        true
    }
}

/// The engine in use, replaced atomically when the directory changes: readers take the
/// current engine with [`MoteurPartage::courant`] (a reference count, no lock) and keep it
/// for their whole request.
pub struct MoteurPartage {
    courant: ArcSwap<Moteur>,
}

impl MoteurPartage {
    pub fn new(moteur: Moteur) -> MoteurPartage {
        MoteurPartage {
            courant: ArcSwap::from_pointee(moteur),
        }
    }

    /// The engine in use.
    pub fn courant(&self) -> Arc<Moteur> {
        self.courant.load_full()
    }

    /// Puts `moteur` in use and returns the previous one (freed when its last reader is done).
    pub fn remplacer(&self, moteur: Moteur) -> Arc<Moteur> {
        self.courant.swap(Arc::new(moteur))
    }
}

impl Default for MoteurPartage {
    fn default() -> Self {
        MoteurPartage::new(Moteur::default())
    }
}

impl std::fmt::Debug for MoteurPartage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoteurPartage")
            .field("lieux", &self.courant.load().len())
            .finish()
    }
}
