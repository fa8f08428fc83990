//! The funder's and the prescriber's use cases behind their pages, and the person's view of
//! their passes in « Mon espace »:
//!
//! - a programme is managed (places qualified, prescribers added, carnets issued, its
//!   dashboard read) by the funder: an administrator, or a coordinator acting for the
//!   funder's structure ([`Pass::peut_gerer`]);
//! - a pass is distributed by a coordinator or a mediator acting for a prescriber structure
//!   of its programme (or an administrator), optionally to the person's key: the key the
//!   person gives, or a new one made now and shown once;
//! - the simulation of cost and coverage of a programme before it is ordered;
//! - the dashboard: émis / distribués / utilisés / expirés / bloqués, by place, by month,
//!   by public, by commune, and fraud signals with their explanation (a whole carnet
//!   redeemed within minutes, a pass redeemed far from the beneficiary's commune,
//!   redemptions while the directory says the place is closed, a place redeeming far more
//!   passes than the accompaniments it records).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use maillage_comptes::personnes::{NouvelleCle, SessionEspace};
use maillage_comptes::{Acteur, ErreurComptes};
use maillage_domain::mediation::Role;
use maillage_store::pass::{
    PassRow, ProgrammeRow, ETAT_ANNULE, ETAT_BLOQUE, ETAT_DISTRIBUE, ETAT_EMIS, ETAT_UTILISE,
};

use crate::{Beneficiaire, ErreurPass, Pass, Resultat};

/// How the person's key is given at distribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CleDistribution {
    /// The pass is not attached to any key.
    #[default]
    Aucune,
    /// The key the person gives (their personal code from a ticket, a mandate, a result).
    Existante(String),
    /// A new key, made now and shown once.
    Nouvelle,
}

/// A distribution done: the pass, and the new key when one was made (shown once).
#[derive(Debug, Clone)]
pub struct DistributionFaite {
    pub pass: PassRow,
    pub nouvelle_cle: Option<NouvelleCle>,
}

/// A pass as the person sees it in « Mon espace ».
#[derive(Debug, Clone)]
pub struct PassDePersonne {
    pub code: String,
    pub programme: String,
    pub valeur_centimes: i64,
    /// `distribue`, `utilise`, `expire`, `bloque`, `annule` (`expire` once past the tolerance).
    pub etat: String,
    pub distribue_at: Option<DateTime<Utc>>,
    pub utilise_at: Option<DateTime<Utc>>,
    /// Last day it is accepted.
    pub tolerance: NaiveDate,
    /// From J−30 to the tolerance date, for a pass not used yet: « Votre pass de 10,00 € est
    /// valable jusqu’au … : utilisez-le avant cette date … » with the places that accept it.
    pub avis: Option<String>,
}

/// Cost and coverage of a programme before it is ordered.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Passes the budget pays for.
    pub nombre_pass: i64,
    /// Their cost if all are used.
    pub cout_centimes: i64,
    /// What the budget leaves unspent.
    pub reste_centimes: i64,
    pub communes: usize,
    pub population: u64,
    /// Passes per 1,000 inhabitants of the territory.
    pub pass_pour_mille: f64,
}

/// One row of the dashboard: how many passes in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compteurs {
    pub emis: i64,
    pub distribues: i64,
    pub utilises: i64,
    pub expires: i64,
    pub bloques: i64,
    pub utilise_centimes: i64,
}

/// The funder's dashboard of a programme.
#[derive(Debug, Clone, Default)]
pub struct TableauDeBord {
    pub total: Compteurs,
    /// By qualified place (its name), the redemptions.
    pub par_lieu: Vec<(String, Compteurs)>,
    /// By month (`AAAA-MM`, Europe/Paris): passes distributed and used that month.
    pub par_mois: Vec<(String, Compteurs)>,
    /// By public (the person's status) and by commune (INSEE code and name), the distributed passes.
    pub par_public: Vec<(String, Compteurs)>,
    pub par_commune: Vec<(String, Compteurs)>,
    /// Fraud signals to examine, each with its explanation.
    pub signaux: Vec<Signal>,
}

/// A fraud signal: something to examine, not a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub titre: String,
    pub explication: String,
}

/// A whole carnet redeemed within this many minutes is a signal.
pub const CARNET_MINUTES: i64 = 30;
/// A pass redeemed farther than this from the beneficiary's commune is a signal.
pub const DISTANCE_KM: f64 = 50.0;

/// Fraud signals over a programme's passes and redemptions: a whole carnet (two passes or
/// more) redeemed within [`CARNET_MINUTES`]; a pass redeemed more than [`DISTANCE_KM`] from
/// the beneficiary's commune (`distance_km(lieu, commune)`: `None` when unknown).
pub fn signaux(
    passes: &[PassRow],
    utilisations: &[maillage_store::pass::UtilisationRow],
    nom_lieu: impl Fn(i64) -> String,
    distance_km: impl Fn(i64, &str) -> Option<f64>,
) -> Vec<Signal> {
    let mut out = Vec::new();
    let utilisation_de: BTreeMap<i64, &maillage_store::pass::UtilisationRow> =
        utilisations.iter().map(|u| (u.pass_id, u)).collect();
    let mut carnets: BTreeMap<i64, Vec<&PassRow>> = BTreeMap::new();
    for p in passes {
        carnets.entry(p.carnet_id).or_default().push(p);
    }
    let paris = |d: DateTime<Utc>| d.with_timezone(&chrono_tz::Europe::Paris);
    for (carnet, ps) in &carnets {
        let us: Vec<_> = ps
            .iter()
            .filter_map(|p| utilisation_de.get(&p.id))
            .collect();
        if ps.len() < 2 || us.len() != ps.len() {
            continue;
        }
        let (Some(premier), Some(dernier)) =
            (us.iter().map(|u| u.at).min(), us.iter().map(|u| u.at).max())
        else {
            continue;
        };
        let minutes = (dernier - premier).num_minutes();
        if minutes <= CARNET_MINUTES {
            let mut lieux: Vec<String> = us.iter().map(|u| nom_lieu(u.structure_id)).collect();
            lieux.sort();
            lieux.dedup();
            out.push(Signal {
                titre: format!("Carnet n° {carnet} utilisé en entier en {minutes} min"),
                explication: format!(
                    "Ses {} pass ont tous été utilisés entre {} et {} ({}). Un carnet est d’ordinaire remis à plusieurs personnes, qui viennent à des jours différents : vérifiez que chaque pass correspond à un accompagnement.",
                    ps.len(),
                    paris(premier).format("%d/%m/%Y %H:%M"),
                    paris(dernier).format("%H:%M"),
                    lieux.join(", ")
                ),
            });
        }
    }
    for p in passes {
        let (Some(u), Some(commune)) = (utilisation_de.get(&p.id), p.personne_commune.as_deref())
        else {
            continue;
        };
        if let Some(d) = distance_km(u.structure_id, commune) {
            if d > DISTANCE_KM {
                out.push(Signal {
                    titre: format!(
                        "Pass {} utilisé à {:.0} km de la commune de la personne",
                        crate::code::afficher(&p.code),
                        d
                    ),
                    explication: format!(
                        "Le pass a été remis à une personne de la commune {commune} et utilisé par {} le {}, à {:.0} km (plus de {DISTANCE_KM:.0} km) : vérifiez que la personne est bien venue.",
                        nom_lieu(u.structure_id),
                        paris(u.at).format("%d/%m/%Y"),
                        d
                    ),
                });
            }
        }
    }
    out
}

/// What the directory and Médiation know of a place (a structure), for two fraud signals.
/// The instance gives it ([`Pass::avec_contexte`]); without it those signals are not
/// computed.
#[async_trait::async_trait]
pub trait ContexteLieux: Send + Sync {
    /// The opening hours (OSM `opening_hours`, as the directory publishes them) of the
    /// structure's places of activity linked to the directory; empty when none is known.
    async fn horaires(&self, structure_id: i64) -> Vec<String>;
    /// Accompaniments the structure's mediators recorded in its places of activity, months
    /// `mois_debut` to `mois_fin` (`AAAAMM`, included); `None` when it has no place of
    /// activity (nothing to compare with).
    async fn accompagnements(
        &self,
        structure_id: i64,
        mois_debut: i32,
        mois_fin: i32,
    ) -> Option<i64>;
}

/// A place redeeming more than this many times its recorded accompaniments is a signal…
pub const RATIO_ACCOMPAGNEMENTS: i64 = 2;
/// …once it has redeemed at least this many passes.
pub const MIN_UTILISATIONS_RATIO: i64 = 5;

/// Whether OSM opening hours `brut` say open at `quand` (Paris local time): `None` when
/// they do not parse.
pub fn ouvert_a(brut: &str, quand: chrono::NaiveDateTime) -> Option<bool> {
    brut.parse::<opening_hours::OpeningHours>()
        .ok()
        .map(|oh| oh.is_open(quand))
}

/// Redemptions made while every published opening hours of the place say closed: one
/// signal per place, with the first times.
pub fn signaux_horaires(
    utilisations: &[maillage_store::pass::UtilisationRow],
    horaires: &BTreeMap<i64, Vec<String>>,
    nom_lieu: impl Fn(i64) -> String,
) -> Vec<Signal> {
    let mut hors: BTreeMap<i64, Vec<DateTime<Utc>>> = BTreeMap::new();
    for u in utilisations {
        let Some(h) = horaires.get(&u.structure_id).filter(|h| !h.is_empty()) else {
            continue;
        };
        let local = u.at.with_timezone(&chrono_tz::Europe::Paris).naive_local();
        let avis: Vec<bool> = h.iter().filter_map(|b| ouvert_a(b, local)).collect();
        if !avis.is_empty() && avis.iter().all(|o| !o) {
            hors.entry(u.structure_id).or_default().push(u.at);
        }
    }
    hors.into_iter()
        .map(|(lieu, ats)| {
            let exemples: Vec<String> = ats
                .iter()
                .take(3)
                .map(|a| {
                    a.with_timezone(&chrono_tz::Europe::Paris)
                        .format("le %d/%m/%Y à %H:%M")
                        .to_string()
                })
                .collect();
            Signal {
                titre: format!(
                    "{} pass utilisés par {} en dehors de ses horaires d’ouverture",
                    ats.len(),
                    nom_lieu(lieu)
                ),
                explication: format!(
                    "Ces utilisations ont eu lieu quand l’annuaire indique le lieu fermé (horaires publiés : « {} ») : {}{}. Un atelier peut se tenir hors des horaires d’accueil, mais vérifiez-le auprès du lieu.",
                    horaires.get(&lieu).map(|h| h.join(" » ; « ")).unwrap_or_default(),
                    exemples.join(", "),
                    if ats.len() > 3 { "…" } else { "" }
                ),
            }
        })
        .collect()
}

/// Places whose redemptions exceed [`RATIO_ACCOMPAGNEMENTS`] times the accompaniments they
/// recorded (`accompagnements(lieu)`: `None` when unknown), once they redeemed at least
/// [`MIN_UTILISATIONS_RATIO`] passes.
pub fn signaux_accompagnements(
    utilisations: &[maillage_store::pass::UtilisationRow],
    accompagnements: &BTreeMap<i64, i64>,
    periode: &str,
    nom_lieu: impl Fn(i64) -> String,
) -> Vec<Signal> {
    let mut par_lieu: BTreeMap<i64, i64> = BTreeMap::new();
    for u in utilisations {
        *par_lieu.entry(u.structure_id).or_default() += 1;
    }
    par_lieu
        .into_iter()
        .filter_map(|(lieu, n)| {
            let a = *accompagnements.get(&lieu)?;
            (n >= MIN_UTILISATIONS_RATIO && n > RATIO_ACCOMPAGNEMENTS * a).then(|| Signal {
                titre: format!(
                    "{} : {n} pass utilisés pour {a} accompagnements enregistrés",
                    nom_lieu(lieu)
                ),
                explication: format!(
                    "{periode}, le lieu a utilisé {n} pass mais ses médiateurs n’ont enregistré que {a} accompagnements dans Maillage (plus de {RATIO_ACCOMPAGNEMENTS} fois moins) : chaque pass doit payer un atelier ou un accompagnement. Vérifiez que les fiches d’activité manquantes existent."
                ),
            })
        })
        .collect()
}

fn mois(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m")
        .to_string()
}

impl Pass {
    /// Whether the structure `structure_id` may distribute the programme's passes (what
    /// the programme's page lists; no personal data).
    pub async fn est_prescripteur(&self, programme_id: i64, structure_id: i64) -> Resultat<bool> {
        Ok(self
            .store
            .est_prescripteur(programme_id, structure_id)
            .await?)
    }

    /// Whether `acteur` manages programmes funded by `financeur_structure_id`: an
    /// administrator, or a coordinator acting for that structure.
    pub fn peut_gerer(acteur: &Acteur, financeur_structure_id: i64) -> bool {
        match acteur.role {
            Role::Administrateur => true,
            Role::Coordinateur => {
                acteur.compte.structure_id.map(|s| s.get()) == Some(financeur_structure_id)
            }
            _ => false,
        }
    }

    pub(crate) fn exiger_financeur(acteur: &Acteur, financeur_structure_id: i64) -> Resultat<()> {
        if Self::peut_gerer(acteur, financeur_structure_id) {
            Ok(())
        } else {
            Err(ErreurPass::Interdit)
        }
    }

    /// The programme `id` if `acteur` manages it (`Introuvable` otherwise: another funder's
    /// programme is not shown).
    pub async fn programme_gere(&self, acteur: &Acteur, id: i64) -> Resultat<ProgrammeRow> {
        match self.store.programme(id).await? {
            Some(p) if Self::peut_gerer(acteur, p.financeur_structure_id) => Ok(p),
            _ => Err(ErreurPass::Introuvable),
        }
    }

    /// The programmes `acteur` manages, and those its current structure distributes.
    pub async fn programmes_de(
        &self,
        acteur: &Acteur,
    ) -> Resultat<(Vec<ProgrammeRow>, Vec<ProgrammeRow>)> {
        let mut geres = Vec::new();
        let mut prescrits = Vec::new();
        let structure = acteur.compte.structure_id.map(|s| s.get());
        for p in self.store.programmes().await? {
            if Self::peut_gerer(acteur, p.financeur_structure_id) {
                geres.push(p.clone());
            }
            if let Some(s) = structure {
                if matches!(acteur.role, Role::Coordinateur | Role::Mediateur)
                    && self.store.est_prescripteur(p.id, s).await?
                {
                    prescrits.push(p);
                }
            }
        }
        Ok((geres, prescrits))
    }

    /// Cost and coverage of a programme: how many passes the budget buys at that face
    /// value, and how many per 1,000 inhabitants of the territory.
    pub fn simuler(
        &self,
        budget_centimes: i64,
        valeur_centimes: i64,
        territoire: &str,
    ) -> Resultat<Simulation> {
        if valeur_centimes <= 0 {
            return Err(ErreurPass::invalide(
                "valeur",
                "la valeur d’un pass doit être positive",
            ));
        }
        if budget_centimes < valeur_centimes {
            return Err(ErreurPass::invalide(
                "budget",
                "le budget doit couvrir au moins un pass",
            ));
        }
        let referentiel = self.comptes.referentiel();
        let t = referentiel
            .territoire(territoire.trim())
            .map_err(|e| ErreurPass::invalide("territoire", e.to_string()))?;
        let communes = referentiel.communes_of_territoire(&t);
        let population: u64 = communes.iter().map(|c| u64::from(c.population)).sum();
        let nombre_pass = budget_centimes / valeur_centimes;
        let cout_centimes = nombre_pass * valeur_centimes;
        Ok(Simulation {
            nombre_pass,
            cout_centimes,
            reste_centimes: budget_centimes - cout_centimes,
            communes: communes.len(),
            population,
            pass_pour_mille: if population == 0 {
                0.0
            } else {
                nombre_pass as f64 * 1000.0 / population as f64
            },
        })
    }

    /// Distributes a pass and, as the person chooses, attaches it to their key: the one they
    /// give (checked, with the kernel's attempt limits for `adresse`), or a new one.
    pub async fn distribuer_avec_cle(
        &self,
        acteur: &Acteur,
        prescripteur_structure_id: i64,
        saisie: &str,
        mut b: Beneficiaire,
        cle: CleDistribution,
        adresse: &str,
    ) -> Resultat<DistributionFaite> {
        // Everything but the key is checked first, so that a refused distribution makes no key.
        let pass = self.pass(saisie).await?;
        if pass.etat != ETAT_EMIS {
            return Err(ErreurPass::Refus(format!(
                "Ce pass est {} : il ne peut plus être remis à une personne.",
                crate::libelle_etat(&pass.etat)
            )));
        }
        if !self
            .store
            .est_prescripteur(pass.programme_id, prescripteur_structure_id)
            .await?
        {
            return Err(ErreurPass::invalide(
                "prescripteur",
                "cette structure n’est pas prescriptrice de ce programme",
            ));
        }
        let permis = matches!(acteur.role, Role::Administrateur)
            || (acteur.compte.structure_id.map(|s| s.get()) == Some(prescripteur_structure_id)
                && matches!(acteur.role, Role::Coordinateur | Role::Mediateur));
        if !permis {
            return Err(ErreurPass::Interdit);
        }
        self.verifier_beneficiaire(&b)?;
        let nouvelle_cle = match cle {
            CleDistribution::Aucune => None,
            CleDistribution::Existante(c) => {
                let id = self
                    .comptes
                    .verifier_cle(&c, adresse)
                    .await
                    .map_err(|e| match e {
                        e @ (ErreurComptes::CodePersonnelIncorrect
                        | ErreurComptes::TropDeTentatives) => ErreurPass::invalide(
                            "code_personne",
                            format!("{e} Vérifiez le code personnel de la personne."),
                        ),
                        e => e.into(),
                    })?;
                b.personne_id = Some(id);
                None
            }
            CleDistribution::Nouvelle => {
                let n = self.comptes.nouvelle_personne().await?;
                b.personne_id = Some(n.personne_id);
                Some(n)
            }
        };
        let pass = self
            .distribuer(acteur, prescripteur_structure_id, saisie, b)
            .await?;
        Ok(DistributionFaite { pass, nouvelle_cle })
    }

    /// The passes attached to the person's key, with their state today.
    pub async fn pass_de_personne(&self, s: &SessionEspace) -> Resultat<Vec<PassDePersonne>> {
        let aujourdhui = self.comptes.aujourdhui();
        let mut programmes: BTreeMap<i64, ProgrammeRow> = BTreeMap::new();
        // The places of a programme whose notice is shown (read once per programme).
        let mut lieux: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let mut out = Vec::new();
        for p in self.store.pass_de_personne(s.personne_id()).await? {
            if let std::collections::btree_map::Entry::Vacant(e) = programmes.entry(p.programme_id)
            {
                e.insert(self.programme(p.programme_id).await?);
            }
            let Some(prog) = programmes.get(&p.programme_id) else {
                continue;
            };
            let avis = if p.etat == ETAT_DISTRIBUE && crate::avis::periode_d_avis(prog, aujourdhui)
            {
                if let std::collections::btree_map::Entry::Vacant(e) = lieux.entry(prog.id) {
                    e.insert(self.lieux_du_programme(prog.id).await?);
                }
                let du_programme = lieux.get(&prog.id).map(Vec::as_slice).unwrap_or_default();
                self.avis_du_pass(&p.etat, p.valeur_centimes, prog, du_programme)
            } else {
                None
            };
            let utilise_at = if p.etat == ETAT_UTILISE {
                self.store.utilisation_du_pass(p.id).await?.map(|u| u.at)
            } else {
                None
            };
            let etat = if (p.etat == ETAT_DISTRIBUE || p.etat == ETAT_EMIS)
                && aujourdhui > prog.tolerance
            {
                "expire".to_string()
            } else {
                p.etat.clone()
            };
            out.push(PassDePersonne {
                code: crate::code::afficher(&p.code),
                programme: prog.nom.clone(),
                valeur_centimes: p.valeur_centimes,
                etat,
                distribue_at: p.distribue_at,
                utilise_at,
                tolerance: prog.tolerance,
                avis,
            });
        }
        Ok(out)
    }

    /// The codes of the carnets of a programme the actor manages: `(carnet, passes)`.
    pub async fn carnets(
        &self,
        acteur: &Acteur,
        programme_id: i64,
    ) -> Resultat<Vec<(i64, Vec<PassRow>)>> {
        self.programme_gere(acteur, programme_id).await?;
        let mut par_carnet: BTreeMap<i64, Vec<PassRow>> = BTreeMap::new();
        for p in self.store.pass_du_programme(programme_id).await? {
            par_carnet.entry(p.carnet_id).or_default().push(p);
        }
        Ok(par_carnet.into_iter().collect())
    }

    /// The passes of one carnet of a programme the actor manages (to print it).
    pub async fn carnet_gere(
        &self,
        acteur: &Acteur,
        carnet_id: i64,
    ) -> Resultat<(ProgrammeRow, Vec<PassRow>)> {
        let passes = self.store.pass_du_carnet(carnet_id).await?;
        let Some(premier) = passes.first() else {
            return Err(ErreurPass::Introuvable);
        };
        let programme = self.programme_gere(acteur, premier.programme_id).await?;
        Ok((programme, passes))
    }

    /// The funder's dashboard of a programme.
    pub async fn tableau_de_bord(
        &self,
        acteur: &Acteur,
        programme_id: i64,
    ) -> Resultat<TableauDeBord> {
        let programme = self.programme_gere(acteur, programme_id).await?;
        let passes = self.store.pass_du_programme(programme_id).await?;
        let utilisations = self.store.utilisations_du_programme(programme_id).await?;
        let structures: BTreeMap<i64, String> = self
            .comptes
            .toutes_les_structures()
            .await?
            .into_iter()
            .map(|s| (s.id, s.nom))
            .collect();
        let referentiel = self.comptes.referentiel();
        let nom_lieu = |id: i64| {
            structures
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("structure n° {id}"))
        };
        let mut t = calculer_tableau(
            &programme,
            &passes,
            &utilisations,
            self.comptes.aujourdhui(),
            nom_lieu,
            |code| {
                referentiel
                    .commune(code)
                    .map_or_else(|| code.to_string(), |c| format!("{} ({code})", c.nom))
            },
        );
        let communes_des_lieux: BTreeMap<i64, String> = self
            .store
            .lieux_qualifies(programme_id)
            .await?
            .into_iter()
            .map(|l| (l.structure_id, l.commune))
            .collect();
        let centre = |code: &str| referentiel.commune(code).and_then(|c| c.centre);
        t.signaux = signaux(&passes, &utilisations, nom_lieu, |lieu, commune| {
            let a = centre(communes_des_lieux.get(&lieu)?)?;
            let b = centre(commune)?;
            Some(a.distance_m(b) / 1000.0)
        });
        if let Some(contexte) = &self.contexte {
            let lieux: std::collections::BTreeSet<i64> =
                utilisations.iter().map(|u| u.structure_id).collect();
            let (premier, dernier) = (
                utilisations.iter().map(|u| u.at).min(),
                utilisations.iter().map(|u| u.at).max(),
            );
            let aaaamm = |d: DateTime<Utc>| {
                let p = d.with_timezone(&chrono_tz::Europe::Paris);
                p.format("%Y%m").to_string().parse::<i32>().unwrap_or(0)
            };
            let mut horaires = BTreeMap::new();
            let mut accompagnements = BTreeMap::new();
            for &lieu in &lieux {
                horaires.insert(lieu, contexte.horaires(lieu).await);
                if let (Some(p), Some(d)) = (premier, dernier) {
                    if let Some(a) = contexte.accompagnements(lieu, aaaamm(p), aaaamm(d)).await {
                        accompagnements.insert(lieu, a);
                    }
                }
            }
            t.signaux
                .extend(signaux_horaires(&utilisations, &horaires, nom_lieu));
            if let (Some(p), Some(d)) = (premier, dernier) {
                let periode = format!(
                    "De {} à {}",
                    p.with_timezone(&chrono_tz::Europe::Paris).format("%m/%Y"),
                    d.with_timezone(&chrono_tz::Europe::Paris).format("%m/%Y")
                );
                t.signaux.extend(signaux_accompagnements(
                    &utilisations,
                    &accompagnements,
                    &periode,
                    nom_lieu,
                ));
            }
        }
        Ok(t)
    }
}

/// The dashboard from the programme's passes and redemptions (pure, tested below).
pub fn calculer_tableau(
    programme: &ProgrammeRow,
    passes: &[PassRow],
    utilisations: &[maillage_store::pass::UtilisationRow],
    aujourdhui: NaiveDate,
    nom_lieu: impl Fn(i64) -> String,
    nom_commune: impl Fn(&str) -> String,
) -> TableauDeBord {
    let expire = aujourdhui > programme.tolerance;
    let mut t = TableauDeBord::default();
    let mut par_lieu: BTreeMap<String, Compteurs> = BTreeMap::new();
    let mut par_mois: BTreeMap<String, Compteurs> = BTreeMap::new();
    let mut par_public: BTreeMap<String, Compteurs> = BTreeMap::new();
    let mut par_commune: BTreeMap<String, Compteurs> = BTreeMap::new();
    let utilisation_de: BTreeMap<i64, &maillage_store::pass::UtilisationRow> =
        utilisations.iter().map(|u| (u.pass_id, u)).collect();
    for p in passes {
        // Every pass was issued; its state today.
        let etat = match p.etat.as_str() {
            ETAT_EMIS | ETAT_DISTRIBUE if expire => "expire",
            e => e,
        };
        let ajouter = |c: &mut Compteurs| {
            match etat {
                ETAT_UTILISE => c.utilises += 1,
                "expire" => c.expires += 1,
                ETAT_BLOQUE | ETAT_ANNULE => c.bloques += 1,
                _ => {}
            }
            if p.distribue_at.is_some() {
                c.distribues += 1;
            }
            c.emis += 1;
        };
        ajouter(&mut t.total);
        if p.distribue_at.is_some() {
            let public = p
                .personne_statut
                .clone()
                .unwrap_or_else(|| "non_communique".into());
            ajouter(par_public.entry(public).or_default());
            let commune = p
                .personne_commune
                .as_deref()
                .map_or_else(|| "inconnue".to_string(), &nom_commune);
            ajouter(par_commune.entry(commune).or_default());
        }
        // By month (Europe/Paris): distributed that month, used that month.
        if let Some(d) = p.distribue_at {
            par_mois.entry(mois(d)).or_default().distribues += 1;
        }
        if let Some(u) = utilisation_de.get(&p.id) {
            let c = par_mois.entry(mois(u.at)).or_default();
            c.utilises += 1;
            c.utilise_centimes += u.valeur_centimes;
            let l = par_lieu.entry(nom_lieu(u.structure_id)).or_default();
            l.utilises += 1;
            l.utilise_centimes += u.valeur_centimes;
            t.total.utilise_centimes += u.valeur_centimes;
        }
    }
    par_mois.retain(|_, c| *c != Compteurs::default());
    t.par_lieu = par_lieu.into_iter().collect();
    t.par_mois = par_mois.into_iter().collect();
    t.par_public = par_public.into_iter().collect();
    t.par_commune = par_commune.into_iter().collect();
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use maillage_store::pass::UtilisationRow;

    fn programme(tolerance: NaiveDate) -> ProgrammeRow {
        ProgrammeRow {
            id: 1,
            financeur_structure_id: 1,
            nom: "P".into(),
            budget_centimes: 10_000,
            valeur_centimes: 1_000,
            fin_validite: tolerance,
            tolerance,
            territoire: "dep:31".into(),
            publics: String::new(),
            created_at: Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap(),
        }
    }

    fn pass(id: i64, etat: &str, distribue: Option<DateTime<Utc>>, statut: &str) -> PassRow {
        PassRow {
            id,
            carnet_id: 1,
            programme_id: 1,
            code: format!("C{id}"),
            valeur_centimes: 1_000,
            etat: etat.into(),
            distribue_par: distribue.map(|_| 2),
            distribue_at: distribue,
            personne_commune: distribue.map(|_| "31555".into()),
            personne_tranche_age: distribue.map(|_| "70+".into()),
            personne_statut: distribue.map(|_| statut.into()),
            personne_id: None,
            updated_at: Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap(),
        }
    }

    #[test]
    fn le_tableau_compte_chaque_etat_par_decoupage() {
        let oct = Utc.with_ymd_and_hms(2026, 10, 31, 23, 30, 0).unwrap(); // 1 Nov in Paris
        let nov = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let passes = vec![
            pass(1, ETAT_UTILISE, Some(oct), "retraite"),
            pass(2, ETAT_DISTRIBUE, Some(oct), "sans_emploi"),
            pass(3, ETAT_EMIS, None, ""),
            pass(4, ETAT_BLOQUE, Some(nov), "retraite"),
        ];
        let u = vec![UtilisationRow {
            id: 1,
            pass_id: 1,
            code: "C1".into(),
            structure_id: 7,
            nonce: "n".into(),
            cle_api_id: None,
            compte_id: None,
            activite_id: None,
            valeur_centimes: 1_000,
            at: nov,
            journal_seq: 3,
            forcee: false,
            decision: None,
            decision_seq: None,
        }];
        let avant = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
        let t = calculer_tableau(
            &programme(avant),
            &passes,
            &u,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            |id| format!("lieu {id}"),
            |c| c.to_string(),
        );
        assert_eq!(
            t.total,
            Compteurs {
                emis: 4,
                distribues: 3,
                utilises: 1,
                expires: 0,
                bloques: 1,
                utilise_centimes: 1_000
            }
        );
        assert_eq!(t.par_lieu.len(), 1);
        assert_eq!(t.par_lieu[0].0, "lieu 7");
        assert_eq!(t.par_lieu[0].1.utilises, 1);
        // Months in Paris time: the 31 October 23:30 UTC distributions fall in November.
        assert_eq!(t.par_mois.len(), 1, "{:?}", t.par_mois);
        assert_eq!(t.par_mois[0].0, "2026-11");
        assert_eq!(
            (t.par_mois[0].1.distribues, t.par_mois[0].1.utilises),
            (3, 1)
        );
        let retraite = t.par_public.iter().find(|(p, _)| p == "retraite").unwrap();
        assert_eq!(
            (
                retraite.1.distribues,
                retraite.1.utilises,
                retraite.1.bloques
            ),
            (2, 1, 1)
        );
        assert_eq!(
            t.par_commune,
            vec![(
                "31555".to_string(),
                Compteurs {
                    emis: 3,
                    distribues: 3,
                    utilises: 1,
                    expires: 0,
                    bloques: 1,
                    utilise_centimes: 0
                }
            )]
        );
        // After the tolerance date, what was neither used nor blocked is expired.
        let t = calculer_tableau(
            &programme(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
            &passes,
            &u,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            |id| format!("lieu {id}"),
            |c| c.to_string(),
        );
        assert_eq!(
            (t.total.expires, t.total.utilises, t.total.bloques),
            (2, 1, 1)
        );
    }

    fn utilisation(pass_id: i64, at: DateTime<Utc>) -> UtilisationRow {
        UtilisationRow {
            id: pass_id,
            pass_id,
            code: format!("C{pass_id}"),
            structure_id: 7,
            nonce: format!("n{pass_id}"),
            cle_api_id: None,
            compte_id: None,
            activite_id: None,
            valeur_centimes: 1_000,
            at,
            journal_seq: pass_id,
            forcee: false,
            decision: None,
            decision_seq: None,
        }
    }

    #[test]
    fn signaux_carnet_entier_en_quelques_minutes_et_pass_loin_de_chez_soi() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let mut passes: Vec<PassRow> = (1..=3)
            .map(|i| pass(i, ETAT_UTILISE, Some(t0), "retraite"))
            .collect();
        // A second carnet of two passes, one not used.
        for i in 4..=5 {
            let mut p = pass(i, ETAT_DISTRIBUE, Some(t0), "retraite");
            p.carnet_id = 2;
            passes.push(p);
        }
        passes[3].etat = ETAT_UTILISE.into();
        let vite = vec![
            utilisation(1, t0),
            utilisation(2, t0 + chrono::Duration::minutes(4)),
            utilisation(3, t0 + chrono::Duration::minutes(9)),
            utilisation(4, t0),
        ];
        let loin = |_: i64, commune: &str| Some(if commune == "31555" { 3.0 } else { 120.0 });
        let s = signaux(&passes, &vite, |id| format!("lieu {id}"), loin);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].titre, "Carnet n° 1 utilisé en entier en 9 min");
        assert!(
            s[0].explication.contains("Ses 3 pass") && s[0].explication.contains("lieu 7"),
            "{s:?}"
        );
        // Spread over a day: no signal; the carnet of two is not wholly used: none either.
        let lent = vec![
            utilisation(1, t0),
            utilisation(2, t0 + chrono::Duration::hours(3)),
            utilisation(3, t0 + chrono::Duration::days(1)),
            utilisation(4, t0),
        ];
        assert!(signaux(&passes, &lent, |id| format!("lieu {id}"), loin).is_empty());
        // A beneficiary of a commune 120 km away.
        passes[3].personne_commune = Some("09122".into());
        let s = signaux(&passes, &lent, |id| format!("lieu {id}"), loin);
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].titre.starts_with("Pass C4 utilisé à 120 km"), "{s:?}");
        assert!(s[0].explication.contains("commune 09122"), "{s:?}");
    }

    #[test]
    fn signaux_hors_horaires_et_au_dela_des_accompagnements() {
        // Friday 20 November 2026, Paris: 10:00 (open) and 20:30 (closed); UTC is one hour
        // behind.
        let ouvert = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let ferme = Utc.with_ymd_and_hms(2026, 11, 20, 19, 30, 0).unwrap();
        let us = vec![utilisation(1, ouvert), utilisation(2, ferme)];
        let horaires: BTreeMap<i64, Vec<String>> =
            [(7, vec!["Mo-Fr 09:00-12:00,14:00-18:00".to_string()])].into();
        let s = signaux_horaires(&us, &horaires, |id| format!("lieu {id}"));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            s[0].titre,
            "1 pass utilisés par lieu 7 en dehors de ses horaires d’ouverture"
        );
        assert!(
            s[0].explication.contains("le 20/11/2026 à 20:30")
                && s[0].explication.contains("Mo-Fr 09:00-12:00,14:00-18:00"),
            "{s:?}"
        );
        // Open hours, unknown hours, or hours that do not parse: no signal.
        assert!(signaux_horaires(&us[..1], &horaires, |id| format!("{id}")).is_empty());
        assert!(signaux_horaires(&us, &BTreeMap::new(), |id| format!("{id}")).is_empty());
        let illisibles: BTreeMap<i64, Vec<String>> =
            [(7, vec!["sur rendez-vous".to_string()])].into();
        assert!(signaux_horaires(&us, &illisibles, |id| format!("{id}")).is_empty());
        // One place open among its places of activity: not closed.
        let deux: BTreeMap<i64, Vec<String>> = [(
            7,
            vec![
                "Mo-Fr 09:00-12:00".to_string(),
                "Fr 18:00-22:00".to_string(),
            ],
        )]
        .into();
        assert!(signaux_horaires(&us, &deux, |id| format!("{id}")).is_empty());

        // Six redemptions for two accompaniments: more than twice, a signal; for three: none;
        // unknown accompaniments, or fewer than five redemptions: none.
        let six: Vec<_> = (1..=6).map(|i| utilisation(i, ouvert)).collect();
        let periode = "De 11/2026 à 11/2026";
        let s = signaux_accompagnements(&six, &[(7, 2)].into(), periode, |id| format!("lieu {id}"));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            s[0].titre,
            "lieu 7 : 6 pass utilisés pour 2 accompagnements enregistrés"
        );
        assert!(s[0].explication.starts_with(periode), "{s:?}");
        assert!(
            signaux_accompagnements(&six, &[(7, 3)].into(), periode, |id| format!("{id}"))
                .is_empty()
        );
        assert!(
            signaux_accompagnements(&six, &BTreeMap::new(), periode, |id| format!("{id}"))
                .is_empty()
        );
        assert!(
            signaux_accompagnements(&six[..4], &[(7, 0)].into(), periode, |id| format!("{id}"))
                .is_empty()
        );
    }
}
