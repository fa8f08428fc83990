//! The module's use cases over its store: storing a result (by the person's explicit
//! choice, or by a mediator with a beneficiary's consent), a beneficiary's history and
//! progress, the impact indicator, the coordinators' anonymous aggregates, and
//! recalibration from the anonymised answers.
//!
//! Errors are the accounts kernel's ([`ErreurComptes`], French `Display`), as in Médiation.
//! Who may read a beneficiary's file is Médiation's rule: the pages open the file through
//! Médiation first (which checks and logs the access), then call these use cases with its
//! id; these check again what is theirs (a mediator, the consent).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use maillage_comptes::{Acteur, Comptes, ErreurComptes};
use maillage_domain::StructureId;
use maillage_store::competences::{
    CalibrationRow, DomaineResultatRow, NewResultatCompetences, ParametreItemRow,
    ReponseAnonymeRow, ResultatCompetencesRow,
};
use maillage_store::CompetencesStore;

use crate::banque::{Banque, Calibration, Parametres, Reponse};
use crate::calibration::{calibrer, Bilan, Passation};
use crate::evaluation::{Bande, Evaluation};
use crate::referentiel::Referentiel;
use crate::ErreurCompetences;

pub type Resultat<T> = Result<T, ErreurComptes>;

/// The consent a mediator collects before recording an assessment with a person, stored
/// with the result as shown.
pub const CONSENTEMENT: &str = "La personne accepte que le résultat de cette évaluation soit \
    enregistré dans son dossier, pour suivre ses progrès avec son médiateur ou sa médiatrice, \
    et que ses réponses, sans son nom, servent à améliorer les questions.";

/// Cells of the aggregates under this count are not shown (statistical secrecy).
pub const SEUIL_SECRET: i64 = 5;

/// How long the bank with the stored calibrations is kept before being read again (a
/// calibration written by the command line reaches new assessments within this time).
const FRAICHEUR_BANQUE: Duration = Duration::from_secs(30);

/// Who stores a result.
#[derive(Debug, Clone, Copy)]
pub enum Origine<'a> {
    /// The person, by the explicit choice « Enregistrer mon résultat » (anonymous).
    Personne,
    /// The person, by the same choice, who also keeps it under their key (« Mon espace »):
    /// a key they gave (checked) or one made for them.
    Cle { personne_id: i64 },
    /// A mediator with a beneficiary whose file they opened through Médiation, the person
    /// having agreed to [`CONSENTEMENT`].
    Mediateur {
        acteur: &'a Acteur,
        beneficiaire_id: i64,
        consentement: bool,
    },
}

/// One domain before and after, between two assessments.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgresDomaine {
    pub domaine: String,
    pub titre: String,
    pub bande_avant: Bande,
    pub bande_apres: Bande,
    pub theta_avant: f64,
    pub theta_apres: f64,
}

impl ProgresDomaine {
    /// Progressed: a higher band.
    pub fn progresse(&self) -> bool {
        self.bande_apres > self.bande_avant
    }
}

/// The impact indicator: beneficiaries assessed twice or more, and those whose last
/// assessment shows a higher band than their first in at least one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Impact {
    pub reevalues: usize,
    pub progresse: usize,
}

impl Impact {
    /// Share of the reassessed who progressed, in percent (`None` with nobody reassessed).
    pub fn part(&self) -> Option<u32> {
        (self.reevalues > 0)
            .then(|| ((self.progresse as f64 / self.reevalues as f64) * 100.0).round() as u32)
    }
}

/// A cell of the aggregates: `None` when under [`SEUIL_SECRET`] (suppressed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CelluleSecret {
    pub bande: &'static str,
    pub nombre: Option<i64>,
}

/// The aggregates of a territory for one domain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgregatDomaine {
    pub domaine: String,
    pub titre: String,
    /// Results of the territory in the domain (`None` when under the threshold).
    pub total: Option<i64>,
    pub bandes: Vec<CelluleSecret>,
}

/// The parsed band of a stored code.
pub fn bande_de_code(code: &str) -> Option<Bande> {
    Some(match code {
        "debutant" => Bande::Debutant,
        "a_l_aise" => Bande::ALAise,
        "autonome" => Bande::Autonome,
        "au_dela" => Bande::AuDela,
        _ => return None,
    })
}

/// The stored code of a band.
pub fn code_de_bande(b: Bande) -> &'static str {
    match b {
        Bande::Debutant => "debutant",
        Bande::ALAise => "a_l_aise",
        Bande::Autonome => "autonome",
        Bande::AuDela => "au_dela",
    }
}

fn interne(e: impl std::fmt::Display) -> ErreurComptes {
    ErreurComptes::Interne(e.to_string())
}

fn invalide(e: ErreurCompetences) -> ErreurComptes {
    ErreurComptes::invalide("réponses", e.to_string())
}

/// A random key for the anonymised answers of one assessment.
fn cle_passation() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let a = h.finish();
    let b = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{a:016x}{b:016x}")
}

/// The bank with a stored calibration added.
fn calibration_de(row: &CalibrationRow) -> Result<Calibration, ErreurComptes> {
    Ok(Calibration {
        version: u32::try_from(row.version).map_err(interne)?,
        methode: row.methode.clone(),
        parametres: row
            .parametres
            .iter()
            .map(|p| {
                (
                    p.item.clone(),
                    Parametres {
                        difficulte: p.difficulte,
                        discrimination: p.discrimination,
                    },
                )
            })
            .collect(),
    })
}

/// The bank with the stored calibrations, and when it was read.
type BanqueLue = Arc<RwLock<Option<(Instant, Arc<Banque>)>>>;

/// The Compétences module over its store.
#[derive(Clone)]
pub struct Competences {
    comptes: Comptes,
    store: Arc<dyn CompetencesStore>,
    banque: BanqueLue,
    /// Bumped by every result this process stores (see [`Competences::generation`]).
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Competences {
    pub fn new(comptes: Comptes, store: Arc<dyn CompetencesStore>) -> Self {
        Self {
            comptes,
            store,
            banque: Arc::new(RwLock::new(None)),
            generation: Arc::default(),
        }
    }

    /// A number that changes whenever this process stores a result, so whenever
    /// [`Competences::agregats`] may change here; results stored by another process
    /// (another node) are not counted.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Another accounts kernel (settings, clock).
    pub fn avec_comptes(mut self, comptes: Comptes) -> Self {
        self.comptes = comptes;
        self
    }

    /// The bundled bank with every stored calibration: new assessments use the newest.
    pub async fn banque(&self) -> Resultat<Arc<Banque>> {
        if let Ok(g) = self.banque.read() {
            if let Some((quand, b)) = g.as_ref() {
                if quand.elapsed() < FRAICHEUR_BANQUE {
                    return Ok(Arc::clone(b));
                }
            }
        }
        self.recharger().await
    }

    /// Reads the stored calibrations again.
    pub async fn recharger(&self) -> Resultat<Arc<Banque>> {
        let mut b = Banque::embarquee().clone();
        for row in self.store.calibrations().await? {
            b.ajouter_calibration(calibration_de(&row)?)
                .map_err(interne)?;
        }
        let b = Arc::new(b);
        if let Ok(mut g) = self.banque.write() {
            *g = Some((Instant::now(), Arc::clone(&b)));
        }
        Ok(b)
    }

    /// Stores an assessment's result, its domains and its anonymised answers (one
    /// transaction). `commune`: an INSEE code the person gave (checked).
    pub async fn enregistrer(
        &self,
        evaluation: &Evaluation,
        commune: Option<&str>,
        origine: Origine<'_>,
    ) -> Resultat<i64> {
        let banque = self.banque().await?;
        let referentiel = Referentiel::embarque();
        if evaluation.reponses.is_empty() {
            return Err(ErreurComptes::invalide(
                "réponses",
                "aucune réponse à enregistrer",
            ));
        }
        let res = evaluation
            .resultat(&banque, referentiel)
            .map_err(invalide)?;
        let commune = match commune.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => {
                if self.comptes.referentiel().commune(c).is_none() {
                    return Err(ErreurComptes::invalide("commune", "commune inconnue"));
                }
                Some(c.to_string())
            }
            None => None,
        };
        let personne_id = match &origine {
            Origine::Cle { personne_id } => Some(*personne_id),
            _ => None,
        };
        let (beneficiaire_id, mediateur_id, structure_id, consentement) = match origine {
            Origine::Personne | Origine::Cle { .. } => (None, None, None, None),
            Origine::Mediateur {
                acteur,
                beneficiaire_id,
                consentement,
            } => {
                if !acteur.est_mediateur() {
                    return Err(ErreurComptes::Interdit);
                }
                if !consentement {
                    return Err(ErreurComptes::invalide(
                        "consentement",
                        "cochez la case si la personne est d’accord ; sans son accord, rien n’est enregistré",
                    ));
                }
                (
                    Some(beneficiaire_id),
                    Some(acteur.id().get()),
                    acteur.compte.structure_id.map(StructureId::get),
                    Some(CONSENTEMENT.to_string()),
                )
            }
        };
        let passation = cle_passation();
        let calibration = i64::from(evaluation.calibration);
        let nouveau = NewResultatCompetences {
            calibration,
            questions: res.questions as i64,
            commune,
            beneficiaire_id,
            personne_id,
            mediateur_id,
            structure_id,
            consentement,
            created_at: self.comptes.maintenant(),
            domaines: res
                .domaines
                .iter()
                .map(|d| DomaineResultatRow {
                    domaine: d.code.clone(),
                    theta: d.theta,
                    ecart: d.ecart,
                    bande: code_de_bande(d.bande).into(),
                    questions: d.questions as i64,
                })
                .collect(),
            reponses: evaluation
                .reponses
                .iter()
                .map(|(item, r)| ReponseAnonymeRow {
                    passation: passation.clone(),
                    item: item.clone(),
                    reponse: r.code().to_string(),
                    calibration,
                })
                .collect(),
        };
        let cree = self.store.create_resultat_competences(&nouveau).await?;
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(cree)
    }

    /// The results under the key of an open space (« Mon espace »), oldest first.
    pub async fn resultats_de_personne(
        &self,
        session: &maillage_comptes::personnes::SessionEspace,
    ) -> Resultat<Vec<ResultatCompetencesRow>> {
        Ok(self
            .store
            .resultats_de_personne(session.personne_id())
            .await?)
    }

    /// A stored result read back (for the page that follows « Enregistrer »).
    pub async fn resultat(&self, id: i64) -> Resultat<ResultatCompetencesRow> {
        self.store
            .resultat_competences(id)
            .await?
            .ok_or(ErreurComptes::Introuvable)
    }

    /// A beneficiary's assessments, oldest first. The caller has opened the file through
    /// Médiation (its rule on who may see it).
    pub async fn historique(&self, beneficiaire_id: i64) -> Resultat<Vec<ResultatCompetencesRow>> {
        Ok(self
            .store
            .resultats_du_beneficiaire(beneficiaire_id)
            .await?)
    }

    /// After Médiation merged the file `absorbe` into `garde` (its use case checked who
    /// may): the absorbed file's assessments join the kept one, so its history and progress
    /// count them. Returns how many moved.
    pub async fn apres_fusion_de_dossiers(&self, garde: i64, absorbe: i64) -> Resultat<u64> {
        Ok(self
            .store
            .deplacer_resultats_beneficiaire(absorbe, garde)
            .await?)
    }

    /// The impact indicator over the results the reader may see: a mediator their own
    /// beneficiaries' (assessments they ran), a coordinator their team's, an
    /// administrator all.
    pub async fn impact(&self, acteur: &Acteur) -> Resultat<Impact> {
        use maillage_domain::mediation::Role;
        let tous = self.store.resultats_avec_beneficiaire().await?;
        let visibles: Vec<ResultatCompetencesRow> = tous
            .into_iter()
            .filter(|r| match acteur.role {
                Role::Administrateur => true,
                Role::Mediateur => r.mediateur_id == Some(acteur.id().get()),
                Role::Coordinateur => r.mediateur_id.is_some_and(|m| {
                    acteur.equipe.iter().any(|e| e.get() == m) || m == acteur.id().get()
                }),
            })
            .collect();
        Ok(impact_de(&visibles))
    }

    /// Anonymous aggregates over a set of communes (a territory), per domain and band,
    /// every cell under [`SEUIL_SECRET`] suppressed.
    /// `dans` says whether a commune (INSEE code) is in the territory.
    pub async fn agregats(&self, dans: impl Fn(&str) -> bool) -> Resultat<Vec<AgregatDomaine>> {
        let cellules = self.store.agregats_competences().await?;
        let mut comptes: BTreeMap<(String, String), i64> = BTreeMap::new();
        for c in cellules.iter().filter(|c| dans(&c.commune)) {
            *comptes
                .entry((c.domaine.clone(), c.bande.clone()))
                .or_default() += c.nombre;
        }
        Ok(agregats_de(&comptes))
    }

    /// Re-estimates the items' difficulties from every stored anonymised answer, writes
    /// the result as a new calibration version (the newest for new assessments) and
    /// returns what was done. Past results keep their version and stored estimates.
    /// `progres` is told (done, total) as the answers are read and the domains estimated.
    pub async fn calibrer(&self, progres: &dyn Fn(u64, u64)) -> Resultat<Bilan> {
        let banque = self.recharger().await?;
        let reponses = self.store.reponses_anonymes().await?;
        let total = reponses.len() as u64;
        let mut par_passation: HashMap<String, Vec<(String, Reponse)>> = HashMap::new();
        let mut ordre: Vec<String> = Vec::new();
        for (n, r) in reponses.into_iter().enumerate() {
            let Some(rep) = r.reponse.chars().next().and_then(Reponse::depuis_code) else {
                continue;
            };
            if banque.item(&r.item).is_none() {
                continue;
            }
            let e = par_passation.entry(r.passation.clone()).or_insert_with(|| {
                ordre.push(r.passation.clone());
                Vec::new()
            });
            e.push((r.item, rep));
            if n % 1000 == 0 {
                progres(n as u64, total);
            }
        }
        progres(total, total);
        let passations: Vec<Passation> = ordre
            .into_iter()
            .filter_map(|p| par_passation.remove(&p))
            .map(|reponses| Passation { reponses })
            .collect();
        let depuis = banque.version_courante();
        let bilan = calibrer(
            &banque,
            Referentiel::embarque(),
            depuis,
            depuis + 1,
            &passations,
        )
        .map_err(interne)?;
        let mut parametres: Vec<ParametreItemRow> = bilan
            .calibration
            .parametres
            .iter()
            .map(|(item, p)| ParametreItemRow {
                item: item.clone(),
                difficulte: p.difficulte,
                discrimination: p.discrimination,
            })
            .collect();
        parametres.sort_by(|a, b| a.item.cmp(&b.item));
        self.store
            .create_calibration(&CalibrationRow {
                version: i64::from(bilan.calibration.version),
                methode: bilan.calibration.methode.clone(),
                created_at: self.comptes.maintenant(),
                parametres,
            })
            .await?;
        self.recharger().await?;
        Ok(bilan)
    }
}

/// Progress per domain between the first and the last of `historique` (oldest first);
/// empty with fewer than two assessments.
pub fn progres(historique: &[ResultatCompetencesRow]) -> Vec<ProgresDomaine> {
    let (Some(premier), Some(dernier)) = (historique.first(), historique.last()) else {
        return Vec::new();
    };
    if historique.len() < 2 {
        return Vec::new();
    }
    let referentiel = Referentiel::embarque();
    let mut out = Vec::new();
    for avant in &premier.domaines {
        let Some(apres) = dernier.domaines.iter().find(|d| d.domaine == avant.domaine) else {
            continue;
        };
        let (Some(ba), Some(bp)) = (bande_de_code(&avant.bande), bande_de_code(&apres.bande))
        else {
            continue;
        };
        let titre = referentiel
            .domaines
            .iter()
            .find(|d| d.code == avant.domaine)
            .map(|d| d.titre.clone())
            .unwrap_or_else(|| avant.domaine.clone());
        out.push(ProgresDomaine {
            domaine: avant.domaine.clone(),
            titre,
            bande_avant: ba,
            bande_apres: bp,
            theta_avant: avant.theta,
            theta_apres: apres.theta,
        });
    }
    out
}

/// The impact indicator over results (any order).
pub fn impact_de(resultats: &[ResultatCompetencesRow]) -> Impact {
    let mut par_beneficiaire: BTreeMap<i64, Vec<ResultatCompetencesRow>> = BTreeMap::new();
    for r in resultats {
        if let Some(b) = r.beneficiaire_id {
            par_beneficiaire.entry(b).or_default().push(r.clone());
        }
    }
    let mut impact = Impact::default();
    for (_, mut h) in par_beneficiaire {
        if h.len() < 2 {
            continue;
        }
        h.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        impact.reevalues += 1;
        if progres(&h).iter().any(ProgresDomaine::progresse) {
            impact.progresse += 1;
        }
    }
    impact
}

/// Per-domain tables from counts keyed by (domain, band), cells under the threshold
/// suppressed.
pub fn agregats_de(comptes: &BTreeMap<(String, String), i64>) -> Vec<AgregatDomaine> {
    let secret = |n: i64| (n >= SEUIL_SECRET).then_some(n);
    Referentiel::embarque()
        .domaines
        .iter()
        .map(|d| {
            let bandes: Vec<(&'static str, i64)> = [
                Bande::Debutant,
                Bande::ALAise,
                Bande::Autonome,
                Bande::AuDela,
            ]
            .into_iter()
            .map(|b| {
                let code = code_de_bande(b);
                (
                    code,
                    comptes
                        .get(&(d.code.clone(), code.to_string()))
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect();
            let total: i64 = bandes.iter().map(|(_, n)| n).sum();
            AgregatDomaine {
                domaine: d.code.clone(),
                titre: d.titre.clone(),
                total: secret(total),
                bandes: bandes
                    .into_iter()
                    .map(|(bande, n)| CelluleSecret {
                        bande,
                        nombre: secret(n),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn r(id: i64, b: i64, jour: u32, bandes: &[(&str, f64)]) -> ResultatCompetencesRow {
        ResultatCompetencesRow {
            id,
            calibration: 1,
            questions: 15,
            commune: None,
            beneficiaire_id: Some(b),
            personne_id: None,
            mediateur_id: Some(1),
            structure_id: None,
            consentement: Some(CONSENTEMENT.into()),
            created_at: Utc
                .with_ymd_and_hms(2026, 12, jour, 10, 0, 0)
                .single()
                .expect("date"),
            domaines: bandes
                .iter()
                .enumerate()
                .map(|(i, (bande, theta))| DomaineResultatRow {
                    domaine: (i + 1).to_string(),
                    theta: *theta,
                    ecart: 0.5,
                    bande: (*bande).into(),
                    questions: 3,
                })
                .collect(),
        }
    }

    #[test]
    fn progres_compare_le_premier_et_le_dernier() {
        let h = vec![
            r(1, 7, 1, &[("debutant", -1.5), ("autonome", 0.5)]),
            r(2, 7, 5, &[("a_l_aise", -0.5), ("autonome", 0.6)]),
        ];
        let p = progres(&h);
        assert_eq!(p.len(), 2);
        assert!(p[0].progresse());
        assert_eq!(p[0].bande_avant, Bande::Debutant);
        assert_eq!(p[0].bande_apres, Bande::ALAise);
        assert!(!p[1].progresse());
        assert!(progres(&h[..1]).is_empty());
    }

    #[test]
    fn impact_compte_les_reevalues_et_ceux_qui_progressent() {
        let rs = vec![
            r(1, 7, 1, &[("debutant", -1.5)]),
            r(2, 7, 5, &[("a_l_aise", -0.5)]),
            r(3, 8, 1, &[("autonome", 0.5)]),
            r(4, 8, 6, &[("a_l_aise", -0.2)]),
            r(5, 9, 1, &[("debutant", -2.0)]),
        ];
        let i = impact_de(&rs);
        assert_eq!(
            i,
            Impact {
                reevalues: 2,
                progresse: 1
            }
        );
        assert_eq!(i.part(), Some(50));
        assert_eq!(Impact::default().part(), None);
    }

    #[test]
    fn agregats_cellules_sous_cinq_supprimees() {
        let mut c = BTreeMap::new();
        c.insert(("1".to_string(), "debutant".to_string()), 7);
        c.insert(("1".to_string(), "autonome".to_string()), 4);
        c.insert(("2".to_string(), "autonome".to_string()), 3);
        let a = agregats_de(&c);
        assert_eq!(a.len(), 5);
        assert_eq!(a[0].total, Some(11));
        assert_eq!(a[0].bandes[0].nombre, Some(7));
        assert_eq!(a[0].bandes[2].nombre, None, "4 is under 5");
        assert_eq!(a[1].total, None, "3 is under 5");
        assert!(a[1].bandes.iter().all(|b| b.nombre.is_none()));
    }
}
