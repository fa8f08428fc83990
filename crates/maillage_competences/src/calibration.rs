//! Re-estimating the items' difficulties from collected answers.
//!
//! The model is the one of [`crate::modele`] with each item's discrimination (and guessing
//! rate) kept: only locations are estimated (a 1PL-type calibration), by marginal maximum
//! likelihood with EM over the ability grid, one domain at a time:
//! - E step: each assessment's posterior over the grid, under the current locations and a
//!   normal population whose mean and spread are re-estimated at each round;
//! - M step: each item's location maximising its expected log-likelihood (Newton steps);
//! - the scale is anchored: the new locations of a domain keep the mean of the previous
//!   calibration's (so a band means the same from one version to the next);
//! - an item answered fewer than [`REPONSES_MIN`] times keeps its previous location.
//!
//! The result is a new [`Calibration`] (a new version); assessments already scored keep
//! theirs, so their results never change.

use crate::banque::{Banque, Calibration, Parametres, Reponse};
use crate::modele::{self, grille, Posterieure, GRILLE_POINTS};
use crate::referentiel::Referentiel;
use crate::ErreurCompetences;

/// Fewest answers for an item to be re-estimated.
pub const REPONSES_MIN: usize = 30;
const TOURS_MAX: usize = 200;
const TOLERANCE: f64 = 1e-4;

/// One assessment's answers, anonymous (what calibration needs and nothing else).
#[derive(Debug, Clone)]
pub struct Passation {
    pub reponses: Vec<(String, Reponse)>,
}

/// What a calibration did.
#[derive(Debug, Clone)]
pub struct Bilan {
    pub calibration: Calibration,
    pub passations: usize,
    pub reponses: usize,
    pub items_reestimes: usize,
    pub tours: usize,
}

/// Re-estimates from `passations`, starting from the calibration `depuis`, into `version`.
pub fn calibrer(
    banque: &Banque,
    referentiel: &Referentiel,
    depuis: u32,
    version: u32,
    passations: &[Passation],
) -> Result<Bilan, ErreurCompetences> {
    let mut params = banque.parametres(depuis)?;
    let n_items = banque.items.len();
    // Scored answers grouped per assessment and domain: (item, score).
    let domaines = referentiel.domaines.len();
    let mut groupes: Vec<Vec<Vec<(usize, u8)>>> = vec![Vec::new(); domaines];
    let mut comptes = vec![0usize; n_items];
    let mut reponses = 0;
    for p in passations {
        let mut par_domaine: Vec<Vec<(usize, u8)>> = vec![Vec::new(); domaines];
        for (id, r) in &p.reponses {
            let pos = banque
                .position(id)
                .ok_or_else(|| ErreurCompetences::Reponse(format!("question inconnue {id}")))?;
            let item = &banque.items[pos];
            let d = referentiel
                .index_domaine(&item.competence)
                .ok_or_else(|| ErreurCompetences::Donnees(item.competence.clone()))?;
            par_domaine[d].push((pos, modele::score(item, *r)));
            comptes[pos] += 1;
            reponses += 1;
        }
        for (d, g) in par_domaine.into_iter().enumerate() {
            if !g.is_empty() {
                groupes[d].push(g);
            }
        }
    }
    let estimables: Vec<bool> = comptes.iter().map(|c| *c >= REPONSES_MIN).collect();
    let g = grille();
    let mut tours_total = 0;
    for (d, personnes) in groupes.iter().enumerate() {
        let items_d: Vec<usize> = (0..n_items)
            .filter(|p| {
                estimables[*p] && referentiel.index_domaine(&banque.items[*p].competence) == Some(d)
            })
            .collect();
        if items_d.is_empty() {
            continue;
        }
        let ancre: f64 =
            items_d.iter().map(|p| params[*p].difficulte).sum::<f64>() / items_d.len() as f64;
        let (mut moyenne, mut ecart) = (0.0, 1.0);
        for tour in 0..TOURS_MAX {
            tours_total += 1;
            // E step: expected counts r[item][point][score].
            let mut attendus = vec![[[0.0f64; 3]; GRILLE_POINTS]; n_items];
            let (mut s1, mut s2, mut n) = (0.0, 0.0, 0.0);
            for reps in personnes {
                let mut post = Posterieure::normale(moyenne, ecart);
                for (pos, s) in reps {
                    post.observer(&banque.items[*pos], params[*pos], *s);
                }
                for (pos, s) in reps {
                    if estimables[*pos] {
                        for (q, w) in post.poids.iter().enumerate() {
                            attendus[*pos][q][usize::from(*s)] += w;
                        }
                    }
                }
                let m = post.moyenne();
                let e = post.ecart_type();
                s1 += m;
                s2 += e * e + m * m;
                n += 1.0;
            }
            if n > 0.0 {
                moyenne = s1 / n;
                ecart = (s2 / n - moyenne * moyenne).max(0.05).sqrt();
            }
            // M step.
            let mut changement: f64 = 0.0;
            for p in &items_d {
                let item = &banque.items[*p];
                let r = &attendus[*p];
                let lv = |b: f64| -> f64 {
                    let pa = Parametres {
                        difficulte: b,
                        discrimination: params[*p].discrimination,
                    };
                    let mut l = 0.0;
                    for (q, x) in g.iter().enumerate() {
                        let pr = modele::probabilites(item, pa, *x);
                        for k in 0..3 {
                            if r[q][k] > 0.0 {
                                l += r[q][k] * pr[k].ln();
                            }
                        }
                    }
                    l
                };
                let mut b = params[*p].difficulte;
                for _ in 0..20 {
                    let h = 1e-3;
                    let (lm, l0, lp) = (lv(b - h), lv(b), lv(b + h));
                    let d1 = (lp - lm) / (2.0 * h);
                    let d2 = (lp - 2.0 * l0 + lm) / (h * h);
                    let pas = if d2 < -1e-9 {
                        -d1 / d2
                    } else {
                        d1.signum() * 0.1
                    };
                    let pas = pas.clamp(-1.0, 1.0);
                    b = (b + pas).clamp(-6.0, 6.0);
                    if pas.abs() < 1e-6 {
                        break;
                    }
                }
                changement = changement.max((b - params[*p].difficulte).abs());
                params[*p].difficulte = b;
            }
            // Anchor: the domain's mean location stays where it was.
            let nouvelle: f64 =
                items_d.iter().map(|p| params[*p].difficulte).sum::<f64>() / items_d.len() as f64;
            let decalage = ancre - nouvelle;
            for p in &items_d {
                params[*p].difficulte += decalage;
            }
            moyenne += decalage;
            if changement < TOLERANCE && tour > 2 {
                break;
            }
        }
    }
    let items_reestimes = estimables.iter().filter(|e| **e).count();
    Ok(Bilan {
        calibration: Calibration {
            version,
            methode: format!(
                "MML (EM), {} passations, {} réponses, {} items réestimés",
                passations.len(),
                reponses,
                items_reestimes
            ),
            parametres: banque
                .items
                .iter()
                .zip(params)
                .map(|(i, p)| (i.id.clone(), p))
                .collect(),
        },
        passations: passations.len(),
        reponses,
        items_reestimes,
        tours: tours_total,
    })
}
