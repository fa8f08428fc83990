//! Synthetic activity records (CRA) for benchmarks: deterministic for a given seed, with
//! distributions shaped like a real territory's.
//!
//! What [`generer`] writes, for `n` records:
//!
//! - **mediators**: one per [`ACTIVITES_PAR_MEDIATEUR`] records (1,000,000 records: 1,000
//!   mediators, about 1.3 records per working day each over the 36 months); their volumes
//!   vary (log-normal, σ = 0.5) and one in five started during the period (in its first two
//!   years), so early months are quieter;
//! - **structures**: one per 2.5 mediators, each in a commune of the région
//!   [`REGION`] (Occitanie) drawn with weight population^0.8 (cities get more structures,
//!   but less than in proportion); 1 to 4 **places of activity** each, the first in the
//!   structure's commune, the others in communes of the same département; a mediator works
//!   at 1 to 3 of their structure's places (60 / 25 / 15 % of their activity at places);
//! - **coordinators**: one per 10 mediators, whose team is 10 consecutive mediators and
//!   who coordinate the département of their first mediator's first place;
//! - **records**, in date order (as they arrive in real life, so that a batch touches the
//!   roll-up rows of about one month): weekdays only from [`PREMIER_JOUR`] to
//!   [`DERNIER_JOUR`] (36 months), quieter in August (×0.45), July and December (×0.8),
//!   volume growing by a third over the period; 80 % individual accompaniments, 20 %
//!   workshops of 3 to 15 participants; durations from the Coop's presets (individual:
//!   mostly 30 to 60 min; workshops: 60 to 120 min; 3 % other values); 1 to 3 thématiques
//!   (55 / 30 / 15 %) skewed towards administrative procedures, e-mail and handling one's
//!   device; equipment, autonomy, referral and workshop level with plausible weights;
//!   only anonymous participants, with age bands and statuses that go together (pupils are
//!   young, pensioners old);
//! - places: 75 % of individual accompaniments at a place of activity, the rest at home,
//!   remotely or elsewhere, in the place's commune or another of its département.
//!
//! Records are built exactly as [`Mediation::preparer`](super::Mediation) builds them: the
//! record validated by [`Cra::valider`], its JSON as data, the counters of
//! [`Compteurs::d_une_activite`], the commune of the place (or the record's commune), the
//! place's structure. They are written by [`MediationStore::save_activites`] in batches of
//! [`TAILLE_LOT`], which keeps both roll-ups up to date as in production.
//!
//! The last thing written is a deactivated account ([`MARQUEUR`]) whose name is the JSON of
//! the [`Resume`]: [`resume_existant`] reads it back, so a benchmark can reuse a database
//! that was completely generated with the same size and seed.

use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use maillage_domain::mediation::{
    Autonomie, Compteurs, Cra, Genre, GroupeAnonyme, Materiel, NiveauAtelier, Referentiel,
    StatutSocial, StructureRedirection, Thematique, TrancheAge, TypeActivite, TypeLieu,
};
use maillage_domain::{CodeInsee, CompteId, LieuActiviteId};
use maillage_store::comptes::{AffectationRow, NewCompte};
use maillage_store::mediation::ActiviteWrite;
use maillage_store::Store;
use maillage_territoire::{Commune, Referentiel as ReferentielTerritorial};
use serde::{Deserialize, Serialize};

use super::{ErreurMediation, Resultat};
use maillage_domain::alea::Alea;

/// The région whose communes host every structure and place (Occitanie).
pub const REGION: &str = "76";
/// Records per mediator over the 36 months (on average).
pub const ACTIVITES_PAR_MEDIATEUR: usize = 1_000;
/// Records per call to [`MediationStore::save_activites`] (one transaction each).
pub const TAILLE_LOT: usize = 20_000;
/// First day of the period (36 whole months).
pub const PREMIER_JOUR: (i32, u32, u32) = (2023, 11, 1);
/// Last day of the period.
pub const DERNIER_JOUR: (i32, u32, u32) = (2026, 10, 31);
/// E-mail of the account that marks a completely generated database.
pub const MARQUEUR: &str = "generation@synthetique.invalid";
/// Mediators per coordinator's team.
pub const TAILLE_EQUIPE: usize = 10;

/// What was generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub activites: usize,
    pub graine: u64,
    pub mediateurs: usize,
    pub coordinateurs: usize,
    pub structures: usize,
    pub lieux: usize,
    /// Workshops among the records.
    pub collectifs: usize,
    /// Participants of every record (a workshop of 10 counts 10).
    pub participants: u64,
    pub premier_jour: NaiveDate,
    pub dernier_jour: NaiveDate,
    /// The first coordinator and their team.
    pub coordinateur_id: CompteId,
    pub equipe: Vec<CompteId>,
    /// A mediator of that team (its first).
    pub mediateur_id: CompteId,
    /// Département of the first coordinator's territory (`31`…).
    pub departement: String,
    /// Wall time of the generation, seconds.
    pub secondes: f64,
}

/// Draws an index with given weights.
struct Tirage {
    cumul: Vec<f64>,
}

impl Tirage {
    fn new(poids: impl IntoIterator<Item = f64>) -> Tirage {
        let mut total = 0.0;
        let cumul = poids
            .into_iter()
            .map(|p| {
                total += p.max(0.0);
                total
            })
            .collect();
        Tirage { cumul }
    }

    fn total(&self) -> f64 {
        self.cumul.last().copied().unwrap_or(0.0)
    }

    /// An index among those from `depuis` on (`depuis` itself if they weigh nothing).
    fn tirer_depuis(&self, alea: &mut Alea, depuis: usize) -> usize {
        let bas = depuis
            .checked_sub(1)
            .and_then(|i| self.cumul.get(i).copied())
            .unwrap_or(0.0);
        let x = bas + alea.reel() * (self.total() - bas);
        self.cumul
            .partition_point(|&c| c <= x)
            .max(depuis)
            .min(self.cumul.len().saturating_sub(1))
    }

    fn tirer(&self, alea: &mut Alea) -> usize {
        self.tirer_depuis(alea, 0)
    }
}

/// One value of a small weighted table (`table` is a non-empty constant).
fn pondere<T: Copy>(alea: &mut Alea, table: &[(T, f64)]) -> T {
    let total: f64 = table.iter().map(|(_, p)| p).sum();
    let mut x = alea.reel() * total;
    for (v, p) in table {
        if x < *p {
            return *v;
        }
        x -= p;
    }
    table[table.len() - 1].0
}

/// A standard normal draw (Box–Muller).
fn normale(alea: &mut Alea) -> f64 {
    let u = 1.0 - alea.reel();
    let v = alea.reel();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

const THEMATIQUES: [(Thematique, f64); 30] = [
    (Thematique::AideAuxDemarchesAdministratives, 18.0),
    (Thematique::Email, 14.0),
    (Thematique::PrendreEnMainDuMateriel, 12.0),
    (Thematique::NavigationSurInternet, 9.0),
    (Thematique::GereSesContenusNumeriques, 6.0),
    (Thematique::SocialSante, 5.0),
    (Thematique::SecuriteNumerique, 5.0),
    (Thematique::Bureautique, 4.0),
    (Thematique::BanqueEtAchatsEnLigne, 4.0),
    (Thematique::Sante, 4.0),
    (Thematique::ArgentImpots, 4.0),
    (Thematique::PapiersElectionsCitoyennete, 3.0),
    (Thematique::TravailFormation, 3.0),
    (Thematique::InsertionProfessionnelle, 3.0),
    (Thematique::ReseauxSociaux, 3.0),
    (Thematique::DiagnosticNumerique, 3.0),
    (Thematique::Logement, 2.0),
    (Thematique::FamilleScolarite, 1.5),
    (Thematique::TransportsMobilite, 1.5),
    (Thematique::MaintenanceDeMateriel, 1.5),
    (Thematique::ScolariteEtNumerique, 1.0),
    (Thematique::Parentalite, 1.0),
    (Thematique::CultureNumerique, 1.0),
    (Thematique::IntelligenceArtificielle, 1.0),
    (Thematique::CreerAvecLeNumerique, 0.7),
    (Thematique::Entrepreneuriat, 0.7),
    (Thematique::EtrangersEurope, 0.7),
    (Thematique::Justice, 0.5),
    (Thematique::LoisirsSportsCulture, 0.5),
    (Thematique::Associations, 0.5),
];

const DUREES_INDIVIDUEL: [(u32, f64); 6] = [
    (15, 10.0),
    (30, 25.0),
    (45, 25.0),
    (60, 25.0),
    (90, 10.0),
    (120, 5.0),
];
const DUREES_COLLECTIF: [(u32, f64); 4] = [(60, 20.0), (90, 30.0), (120, 45.0), (45, 5.0)];
/// Durations typed by hand instead of a preset.
const DUREES_LIBRES: [u32; 8] = [10, 20, 40, 50, 75, 100, 150, 180];

const LIEUX_INDIVIDUEL: [(TypeLieu, f64); 4] = [
    (TypeLieu::LieuActivite, 75.0),
    (TypeLieu::ADistance, 10.0),
    (TypeLieu::Domicile, 8.0),
    (TypeLieu::Autre, 7.0),
];
const LIEUX_COLLECTIF: [(TypeLieu, f64); 2] =
    [(TypeLieu::LieuActivite, 90.0), (TypeLieu::Autre, 10.0)];

const MATERIEL_INDIVIDUEL: [(Materiel, f64); 5] = [
    (Materiel::Ordinateur, 40.0),
    (Materiel::Telephone, 35.0),
    (Materiel::Tablette, 10.0),
    (Materiel::Aucun, 10.0),
    (Materiel::Autre, 5.0),
];
const MATERIEL_COLLECTIF: [(Materiel, f64); 4] = [
    (Materiel::Ordinateur, 50.0),
    (Materiel::Tablette, 30.0),
    (Materiel::Telephone, 15.0),
    (Materiel::Aucun, 5.0),
];

const AUTONOMIE: [(Autonomie, f64); 3] = [
    (Autonomie::EntierementAccompagne, 45.0),
    (Autonomie::PartiellementAutonome, 35.0),
    (Autonomie::Autonome, 20.0),
];

const ORIENTATIONS: [(StructureRedirection, f64); 7] = [
    (StructureRedirection::AideAuxDemarchesAdministratives, 30.0),
    (StructureRedirection::Administration, 20.0),
    (StructureRedirection::OperateurOuOrganismeEnCharge, 15.0),
    (StructureRedirection::AideSociale, 15.0),
    (StructureRedirection::InsertionProfessionnelle, 8.0),
    (StructureRedirection::MediationNumerique, 7.0),
    (StructureRedirection::Autre, 5.0),
];

const NIVEAUX: [(NiveauAtelier, f64); 3] = [
    (NiveauAtelier::Debutant, 60.0),
    (NiveauAtelier::Intermediaire, 30.0),
    (NiveauAtelier::Avance, 10.0),
];

const TITRES: [&str; 8] = [
    "Découvrir sa tablette",
    "Prendre en main son smartphone",
    "Créer et utiliser son adresse e-mail",
    "Se protéger des arnaques en ligne",
    "FranceConnect et les démarches en ligne",
    "Ameli, Doctolib : sa santé en ligne",
    "Classer ses photos et ses documents",
    "Découvrir l’intelligence artificielle",
];

const AGES: [(TrancheAge, f64); 8] = [
    (TrancheAge::MoinsDeDouze, 2.0),
    (TrancheAge::DouzeDixHuit, 4.0),
    (TrancheAge::DixHuitVingtQuatre, 6.0),
    (TrancheAge::VingtCinqTrenteNeuf, 14.0),
    (TrancheAge::QuaranteCinquanteNeuf, 22.0),
    (TrancheAge::SoixanteSoixanteNeuf, 20.0),
    (TrancheAge::SoixanteDixPlus, 22.0),
    (TrancheAge::NonCommunique, 10.0),
];

const GENRES: [(Genre, f64); 3] = [
    (Genre::Feminin, 52.0),
    (Genre::Masculin, 35.0),
    (Genre::NonCommunique, 13.0),
];

/// A status that goes with an age band.
fn statut(alea: &mut Alea, age: TrancheAge) -> StatutSocial {
    use StatutSocial::*;
    match age {
        TrancheAge::MoinsDeDouze | TrancheAge::DouzeDixHuit => Scolarise,
        TrancheAge::DixHuitVingtQuatre => pondere(
            alea,
            &[
                (Scolarise, 40.0),
                (SansEmploi, 30.0),
                (EnEmploi, 20.0),
                (NonCommunique, 10.0),
            ],
        ),
        TrancheAge::VingtCinqTrenteNeuf | TrancheAge::QuaranteCinquanteNeuf => pondere(
            alea,
            &[(EnEmploi, 45.0), (SansEmploi, 40.0), (NonCommunique, 15.0)],
        ),
        TrancheAge::SoixanteSoixanteNeuf => pondere(
            alea,
            &[
                (Retraite, 65.0),
                (EnEmploi, 15.0),
                (SansEmploi, 10.0),
                (NonCommunique, 10.0),
            ],
        ),
        TrancheAge::SoixanteDixPlus => pondere(alea, &[(Retraite, 90.0), (NonCommunique, 10.0)]),
        TrancheAge::NonCommunique => pondere(
            alea,
            &[
                (NonCommunique, 70.0),
                (Retraite, 10.0),
                (SansEmploi, 10.0),
                (EnEmploi, 10.0),
            ],
        ),
    }
}

fn groupe(alea: &mut Alea, nombre: u32) -> GroupeAnonyme {
    let tranche_age = pondere(alea, &AGES);
    GroupeAnonyme {
        nombre,
        tranche_age,
        statut: statut(alea, tranche_age),
        genre: pondere(alea, &GENRES),
    }
}

fn jour(ymd: (i32, u32, u32)) -> Resultat<NaiveDate> {
    NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2)
        .ok_or_else(|| ErreurMediation::Interne("date de la période invalide".into()))
}

/// The weekdays of the period and their weights (season, growth).
fn jours_ouvres() -> Resultat<(Vec<NaiveDate>, Tirage)> {
    let debut = jour(PREMIER_JOUR)?;
    let fin = jour(DERNIER_JOUR)?;
    let jours: Vec<NaiveDate> = debut
        .iter_days()
        .take_while(|d| *d <= fin)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let n = jours.len().max(1) as f64;
    let tirage = Tirage::new(jours.iter().enumerate().map(|(i, d)| {
        let saison = match d.month() {
            8 => 0.45,
            7 | 12 => 0.8,
            _ => 1.0,
        };
        saison * (0.85 + 0.3 * i as f64 / n)
    }));
    Ok((jours, tirage))
}

/// Communes of a territory drawn with weight population^0.8.
struct Bassin<'a> {
    communes: Vec<&'a Commune>,
    tirage: Tirage,
}

impl<'a> Bassin<'a> {
    fn new(communes: Vec<&'a Commune>) -> Bassin<'a> {
        let communes: Vec<&Commune> = communes.into_iter().filter(|c| c.population > 0).collect();
        let tirage = Tirage::new(communes.iter().map(|c| f64::from(c.population).powf(0.8)));
        Bassin { communes, tirage }
    }

    fn tirer(&self, alea: &mut Alea) -> Option<&'a Commune> {
        self.communes.get(self.tirage.tirer(alea)).copied()
    }
}

struct Lieu {
    id: LieuActiviteId,
    structure_id: i64,
    code_insee: String,
    departement: String,
}

struct Mediateur {
    id: i64,
    structure_id: i64,
    /// Indices into the places, with the share of place-based activity at each.
    lieux: Vec<usize>,
    lieux_tirage: Tirage,
    /// First working day (index into the weekdays).
    debut: usize,
}

fn code_insee(code: &str) -> Resultat<CodeInsee> {
    CodeInsee::parse(code).map_err(|e| ErreurMediation::Interne(e.to_string()))
}

/// The database's summary if it was completely generated (see [`MARQUEUR`]).
pub async fn resume_existant(store: &dyn Store) -> Resultat<Option<Resume>> {
    Ok(store
        .compte_par_email(MARQUEUR)
        .await?
        .and_then(|c| serde_json::from_str(&c.nom).ok()))
}

/// Writes `n` synthetic records (and their mediators, structures, places, coordinators)
/// into an empty store, seeded by `graine`; `progression` is called after each batch with
/// the number of records written so far.
pub async fn generer(
    store: &dyn Store,
    n: usize,
    graine: u64,
    progression: impl Fn(usize),
) -> Resultat<Resume> {
    let chrono = Instant::now();
    let mut alea = Alea::new(graine);
    let territoire = ReferentielTerritorial::embedded();
    let region = Bassin::new(territoire.communes_of_region(REGION));
    if region.communes.is_empty() {
        return Err(ErreurMediation::Interne(format!(
            "région {REGION} inconnue"
        )));
    }
    let (jours, tirage_jours) = jours_ouvres()?;
    let debut = jour(PREMIER_JOUR)?;
    let cree_le: DateTime<Utc> = Utc.from_utc_datetime(&debut.and_time(chrono::NaiveTime::MIN));

    let nb_mediateurs = n.div_ceil(ACTIVITES_PAR_MEDIATEUR).max(1);
    let nb_structures = (nb_mediateurs * 2).div_ceil(5).max(1);
    let nb_coordinateurs = nb_mediateurs.div_ceil(TAILLE_EQUIPE);

    // Structures and their places.
    let mut bassins_dep: std::collections::HashMap<String, Bassin> = Default::default();
    let mut lieux: Vec<Lieu> = Vec::new();
    let mut lieux_de_structure: Vec<Vec<usize>> = Vec::with_capacity(nb_structures);
    let mut structures: Vec<i64> = Vec::with_capacity(nb_structures);
    for s in 0..nb_structures {
        let commune = region
            .tirer(&mut alea)
            .ok_or_else(|| ErreurMediation::Interne("aucune commune".into()))?;
        let sid = store
            .create_structure(
                &format!("Structure synthétique {} ({})", s + 1, commune.nom),
                None,
                Some(&commune.code_insee),
            )
            .await?;
        structures.push(sid);
        let nb_lieux = pondere(&mut alea, &[(1, 60.0), (2, 25.0), (3, 10.0), (4, 5.0)]);
        let mut siens = Vec::with_capacity(nb_lieux);
        for l in 0..nb_lieux {
            let c = if l == 0 {
                commune
            } else {
                let bassin = bassins_dep
                    .entry(commune.code_departement.clone())
                    .or_insert_with(|| {
                        Bassin::new(territoire.communes_of_departement(&commune.code_departement))
                    });
                bassin.tirer(&mut alea).unwrap_or(commune)
            };
            let id = store
                .create_lieu_activite(
                    sid,
                    &format!("Lieu {} de la structure {} ({})", l + 1, s + 1, c.nom),
                    None,
                    &c.code_insee,
                )
                .await?;
            siens.push(lieux.len());
            lieux.push(Lieu {
                id: LieuActiviteId::new(id),
                structure_id: sid,
                code_insee: c.code_insee.clone(),
                departement: c.code_departement.clone(),
            });
        }
        lieux_de_structure.push(siens);
    }

    // Mediators: every structure has one, the others are spread at random.
    let mut mediateurs: Vec<Mediateur> = Vec::with_capacity(nb_mediateurs);
    let mut poids: Vec<f64> = Vec::with_capacity(nb_mediateurs);
    for m in 0..nb_mediateurs {
        let s = if m < nb_structures {
            m
        } else {
            alea.entier(nb_structures as u64) as usize
        };
        let siens = &lieux_de_structure[s];
        let voulu = pondere(&mut alea, &[(1usize, 50.0), (2, 35.0), (3, 15.0)]).min(siens.len());
        let depart = alea.entier(siens.len() as u64) as usize;
        let choisis: Vec<usize> = (0..voulu)
            .map(|k| siens[(depart + k) % siens.len()])
            .collect();
        let parts = [0.6, 0.25, 0.15];
        let lieux_tirage = Tirage::new(choisis.iter().enumerate().map(|(k, _)| parts[k]));
        let debut_jour = if alea.proba(0.2) {
            alea.entier((jours.len() * 2 / 3).max(1) as u64) as usize
        } else {
            0
        };
        let id = store
            .create_compte(NewCompte {
                email: format!("mediateur-{}@synthetique.invalid", m + 1),
                nom: format!("Médiateur synthétique {}", m + 1),
                role: "mediateur".into(),
                structure_id: Some(structures[s]),
                password_hash: "!".into(),
                created_at: cree_le,
            })
            .await?;
        for &l in &choisis {
            store
                .add_affectation(&AffectationRow {
                    compte_id: id,
                    lieu_activite_id: lieux[l].id.get(),
                    debut: jours.get(debut_jour).copied().unwrap_or(debut),
                    fin: None,
                })
                .await?;
        }
        // Log-normal volume, scaled by the share of the period worked.
        let part = 1.0 - debut_jour as f64 / jours.len().max(1) as f64;
        poids.push((0.5 * normale(&mut alea)).exp() * part);
        mediateurs.push(Mediateur {
            id,
            structure_id: structures[s],
            lieux: choisis,
            lieux_tirage,
            debut: debut_jour,
        });
    }

    // Coordinators and their teams.
    let mut coordinateur_id = CompteId::new(0);
    let mut departement = String::new();
    for c in 0..nb_coordinateurs {
        let equipe = &mediateurs[c * TAILLE_EQUIPE..((c + 1) * TAILLE_EQUIPE).min(nb_mediateurs)];
        let premier = &equipe[0];
        let dep = premier
            .lieux
            .first()
            .map(|&l| lieux[l].departement.clone())
            .unwrap_or_default();
        let id = store
            .create_compte(NewCompte {
                email: format!("coordinateur-{}@synthetique.invalid", c + 1),
                nom: format!("Coordinateur synthétique {}", c + 1),
                role: "coordinateur".into(),
                structure_id: Some(premier.structure_id),
                password_hash: "!".into(),
                created_at: cree_le,
            })
            .await?;
        for m in equipe {
            store.add_equipe_membre(id, m.id).await?;
        }
        if !dep.is_empty() {
            store
                .add_territoire_coordonne(id, &format!("dep:{dep}"))
                .await?;
        }
        if c == 0 {
            coordinateur_id = CompteId::new(id);
            departement = dep;
        }
    }
    let equipe: Vec<CompteId> = mediateurs
        .iter()
        .take(TAILLE_EQUIPE)
        .map(|m| CompteId::new(m.id))
        .collect();

    // How many records each mediator writes (largest remainders: exactly `n` in all).
    let total: f64 = poids.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let exacts: Vec<f64> = poids.iter().map(|p| p / total * n as f64).collect();
    let mut volumes: Vec<usize> = exacts.iter().map(|x| x.floor() as usize).collect();
    let reste = n.saturating_sub(volumes.iter().sum::<usize>());
    let mut ordre: Vec<usize> = (0..nb_mediateurs).collect();
    ordre.sort_by(|&a, &b| {
        let fa = exacts[a] - exacts[a].floor();
        let fb = exacts[b] - exacts[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &m in ordre.iter().take(reste) {
        volumes[m] += 1;
    }

    // Each record's day, then every record in date order.
    let mut agenda: Vec<(u16, u32)> = Vec::with_capacity(n);
    for (m, &v) in volumes.iter().enumerate() {
        for _ in 0..v {
            let j = tirage_jours.tirer_depuis(&mut alea, mediateurs[m].debut);
            agenda.push((j as u16, m as u32));
        }
    }
    agenda.sort_unstable();

    let mut ecrits = 0usize;
    let mut collectifs = 0usize;
    let mut participants = 0u64;
    let valide_jusqua = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap_or(NaiveDate::MAX);
    for lot in agenda.chunks(TAILLE_LOT) {
        let mut writes = Vec::with_capacity(lot.len());
        for &(j, m) in lot {
            let date = jours[usize::from(j)];
            let med = &mediateurs[m as usize];
            let cra = activite(&mut alea, date, med, &lieux, &mut bassins_dep, territoire)?
                .valider(valide_jusqua)
                .map_err(|e| ErreurMediation::Interne(format!("CRA synthétique invalide : {e}")))?;
            let lieu = cra
                .lieu_activite_id
                .and_then(|id| med.lieux.iter().map(|&l| &lieux[l]).find(|l| l.id == id));
            let commune = match lieu {
                Some(l) => l.code_insee.clone(),
                None => cra
                    .commune
                    .as_ref()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
            };
            if cra.type_activite == TypeActivite::Collectif {
                collectifs += 1;
            }
            participants += u64::from(cra.participants());
            let compteurs = Compteurs::d_une_activite(&cra, &[]).en_octets();
            let data =
                serde_json::to_string(&cra).map_err(|e| ErreurMediation::Interne(e.to_string()))?;
            let at = Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
                + Duration::minutes(8 * 60 + alea.entier(10 * 60) as i64);
            writes.push(ActiviteWrite {
                id: None,
                mediateur_id: med.id,
                structure_id: Some(lieu.map_or(med.structure_id, |l| l.structure_id)),
                lieu_activite_id: lieu.map(|l| l.id.get()),
                commune,
                date: cra.date,
                type_activite: cra.type_activite.code().into(),
                duree: cra.duree as i32,
                data,
                compteurs,
                beneficiaires: Vec::new(),
                auteur_id: med.id,
                at,
            });
        }
        ecrits += writes.len();
        store.save_activites(writes).await?;
        progression(ecrits);
    }

    let resume = Resume {
        activites: ecrits,
        graine,
        mediateurs: nb_mediateurs,
        coordinateurs: nb_coordinateurs,
        structures: nb_structures,
        lieux: lieux.len(),
        collectifs,
        participants,
        premier_jour: debut,
        dernier_jour: jour(DERNIER_JOUR)?,
        coordinateur_id,
        mediateur_id: equipe.first().copied().unwrap_or(CompteId::new(0)),
        equipe,
        departement,
        secondes: chrono.elapsed().as_secs_f64(),
    };
    let json =
        serde_json::to_string(&resume).map_err(|e| ErreurMediation::Interne(e.to_string()))?;
    let marqueur = store
        .create_compte(NewCompte {
            email: MARQUEUR.into(),
            nom: json,
            role: "mediateur".into(),
            structure_id: None,
            password_hash: "!".into(),
            created_at: cree_le,
        })
        .await?;
    if let Some(mut compte) = store.compte(marqueur).await? {
        compte.actif = false;
        store.update_compte(&compte).await?;
    }
    Ok(resume)
}

/// One record of a mediator on a day (not yet validated).
fn activite<'a>(
    alea: &mut Alea,
    date: NaiveDate,
    med: &Mediateur,
    lieux: &[Lieu],
    bassins_dep: &mut std::collections::HashMap<String, Bassin<'a>>,
    territoire: &'a ReferentielTerritorial,
) -> Resultat<Cra> {
    let collectif = alea.proba(0.2);
    let lieu = lieux
        .get(med.lieux[med.lieux_tirage.tirer(alea)])
        .ok_or_else(|| ErreurMediation::Interne("lieu synthétique manquant".into()))?;
    let type_lieu = if collectif {
        pondere(alea, &LIEUX_COLLECTIF)
    } else {
        pondere(alea, &LIEUX_INDIVIDUEL)
    };
    let (lieu_activite_id, commune) = if type_lieu == TypeLieu::LieuActivite {
        (Some(lieu.id), None)
    } else if alea.proba(0.5) {
        (None, Some(code_insee(&lieu.code_insee)?))
    } else {
        let bassin = bassins_dep
            .entry(lieu.departement.clone())
            .or_insert_with(|| Bassin::new(territoire.communes_of_departement(&lieu.departement)));
        let code = bassin
            .tirer(alea)
            .map_or(lieu.code_insee.as_str(), |c| c.code_insee.as_str());
        (None, Some(code_insee(code)?))
    };
    let duree = if alea.proba(0.03) {
        *alea.choisir(&DUREES_LIBRES)
    } else if collectif {
        pondere(alea, &DUREES_COLLECTIF)
    } else {
        pondere(alea, &DUREES_INDIVIDUEL)
    };
    let voulues = pondere(alea, &[(1usize, 55.0), (2, 30.0), (3, 15.0)]);
    let mut thematiques: Vec<Thematique> = Vec::with_capacity(voulues);
    for _ in 0..voulues * 4 {
        if thematiques.len() == voulues {
            break;
        }
        let t = pondere(alea, &THEMATIQUES);
        if !thematiques.contains(&t) {
            thematiques.push(t);
        }
    }
    let table_materiel: &[(Materiel, f64)] = if collectif {
        &MATERIEL_COLLECTIF
    } else {
        &MATERIEL_INDIVIDUEL
    };
    let mut materiel = vec![pondere(alea, table_materiel)];
    if materiel[0] != Materiel::Aucun && alea.proba(0.1) {
        let autre = pondere(alea, table_materiel);
        if autre != Materiel::Aucun {
            materiel.push(autre);
        }
    }
    let (anonymes, autonomie, orientation, titre, niveau) = if collectif {
        let total = 3 + alea.entier(13) as u32;
        let nb_groupes = (1 + alea.entier(3) as u32).min(total);
        let mut groupes = Vec::with_capacity(nb_groupes as usize);
        let mut reste = total;
        for g in 0..nb_groupes {
            let nombre = if g + 1 == nb_groupes {
                reste
            } else {
                1 + alea.entier(u64::from(reste - (nb_groupes - g - 1))) as u32
            };
            reste -= nombre;
            groupes.push(groupe(alea, nombre));
        }
        (
            groupes,
            None,
            None,
            Some((*alea.choisir(&TITRES)).to_string()),
            Some(pondere(alea, &NIVEAUX)),
        )
    } else {
        (
            vec![groupe(alea, 1)],
            alea.proba(0.85).then(|| pondere(alea, &AUTONOMIE)),
            alea.proba(0.15).then(|| pondere(alea, &ORIENTATIONS)),
            None,
            None,
        )
    };
    let tags = if alea.proba(0.05) {
        vec!["France Services".to_string()]
    } else {
        Vec::new()
    };
    Ok(Cra {
        type_activite: if collectif {
            TypeActivite::Collectif
        } else {
            TypeActivite::Individuel
        },
        date,
        duree,
        type_lieu,
        lieu_activite_id,
        commune,
        thematiques,
        materiel,
        autonomie,
        orientation,
        titre,
        niveau,
        beneficiaires: Vec::new(),
        anonymes,
        notes: String::new(),
        tags,
    })
}
