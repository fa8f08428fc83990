//! The adaptive self-assessment.
//!
//! An [`Evaluation`] is the whole state of a person's assessment: the answers so far, the
//! calibration version they are scored with and a seed. It holds nothing personal and
//! travels in the page (`encoder`/`decoder`), so nothing is stored until the person asks,
//! and « effacer » is leaving the page.
//!
//! Rules (see `docs/COMPETENCES.md`):
//! - 15 to 20 questions; every domain gets at least [`QUESTIONS_PAR_DOMAINE`] before any
//!   gets more; then the domain whose estimate is least sure;
//! - within a domain, a competence not asked yet first; the item that tells most about the
//!   person at a point a little below the current estimate (most answers should be
//!   successes: Pix's lesson), among the best three by the seed;
//! - every fourth question is a practical item (a situation to solve), where the domain
//!   has one left;
//! - once a level-`n` item of a domain is failed, no item above level `n` in that domain;
//! - after two failures in a row, the item the person is most likely to succeed at; after
//!   three in a row, the assessment ends there (never a fourth);
//! - it ends at 15 questions when every domain is known well enough, at 20 in any case.

use serde::Serialize;

use crate::banque::{Banque, Genre, Item, Parametres, Reponse};
use crate::modele::{self, Posterieure};
use crate::referentiel::Referentiel;
use crate::ErreurCompetences;

pub const QUESTIONS_MIN: usize = 15;
pub const QUESTIONS_MAX: usize = 20;
pub const QUESTIONS_PAR_DOMAINE: usize = 3;
pub const ECHECS_DE_SUITE_MAX: usize = 3;
/// Posterior standard deviation under which a domain is known well enough.
pub const ECART_CIBLE: f64 = 0.6;
/// The prior of a domain leans towards the other domains' estimates by this factor.
pub const LIEN_ENTRE_DOMAINES: f64 = 0.7;
pub const ECART_A_PRIORI: f64 = 1.2;
/// Items are chosen for the information they give this far below the estimate.
pub const DECALAGE_CIBLE: f64 = 0.4;
/// One question in this many is a practical item (when the domain has one left).
pub const PRATIQUE_TOUTES_LES: usize = 4;

/// A result band (CRCN levels 1, 2, 3; beyond, Pix measures it better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bande {
    Debutant,
    ALAise,
    Autonome,
    AuDela,
}

impl Bande {
    /// Bounds of the band on the ability scale.
    pub fn bornes(self) -> (f64, f64) {
        match self {
            Bande::Debutant => (f64::NEG_INFINITY, -1.0),
            Bande::ALAise => (-1.0, 0.0),
            Bande::Autonome => (0.0, 1.0),
            Bande::AuDela => (1.0, f64::INFINITY),
        }
    }

    pub fn de_theta(theta: f64) -> Bande {
        if theta < -1.0 {
            Bande::Debutant
        } else if theta < 0.0 {
            Bande::ALAise
        } else if theta < 1.0 {
            Bande::Autonome
        } else {
            Bande::AuDela
        }
    }

    /// The CRCN level the band stands for (4: « 4 et plus »).
    pub fn niveau(self) -> u8 {
        match self {
            Bande::Debutant => 1,
            Bande::ALAise => 2,
            Bande::Autonome => 3,
            Bande::AuDela => 4,
        }
    }

    /// The band of a CRCN level (1–4 and more).
    pub fn de_niveau(niveau: u8) -> Bande {
        match niveau {
            0 | 1 => Bande::Debutant,
            2 => Bande::ALAise,
            3 => Bande::Autonome,
            _ => Bande::AuDela,
        }
    }

    pub fn libelle(self) -> &'static str {
        match self {
            Bande::Debutant => "Débutant",
            Bande::ALAise => "À l'aise",
            Bande::Autonome => "Autonome",
            Bande::AuDela => "Au-delà : passez Pix",
        }
    }
}

/// How sure a band is: the share of the estimate's distribution inside the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confiance {
    Elevee,
    Moyenne,
    Faible,
}

impl Confiance {
    pub fn libelle(self) -> &'static str {
        match self {
            Confiance::Elevee => "sûr",
            Confiance::Moyenne => "assez sûr",
            Confiance::Faible => "à confirmer",
        }
    }
}

/// Why the assessment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arret {
    /// Not ended: there is a next question.
    EnCours,
    /// Every domain known well enough.
    Precision,
    /// The most questions.
    Maximum,
    /// Three difficulties in a row.
    Difficultes,
    /// No item left to ask.
    BanqueEpuisee,
}

/// The result of one domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultatDomaine {
    pub code: String,
    pub titre: String,
    /// Ability estimate (posterior mean) and its standard deviation.
    pub theta: f64,
    pub ecart: f64,
    pub bande: Bande,
    pub confiance: Confiance,
    /// Share of the estimate inside the band (0–1).
    pub probabilite_bande: f64,
    pub questions: usize,
    /// Competences to work on, most basic first: those with an answer short of « facilement »
    /// (or wrong), by the level of that item; then, when the band is below « autonome »,
    /// the domain's competences not asked.
    pub lacunes: Vec<String>,
}

/// The result of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resultat {
    pub domaines: Vec<ResultatDomaine>,
    pub questions: usize,
    pub calibration: u32,
    pub arret: Arret,
}

impl Resultat {
    /// Every gap across domains, the weakest domains first (then the domain's own order).
    pub fn lacunes(&self) -> Vec<String> {
        let mut d: Vec<&ResultatDomaine> = self.domaines.iter().collect();
        d.sort_by(|a, b| a.theta.total_cmp(&b.theta));
        d.iter().flat_map(|r| r.lacunes.iter().cloned()).collect()
    }
}

/// A person's assessment: everything needed to go on or to score it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub calibration: u32,
    pub graine: u32,
    pub reponses: Vec<(String, Reponse)>,
}

/// What the answers say, per domain.
struct Analyse {
    posterieures: Vec<Posterieure>,
    questions: Vec<usize>,
    plafonds: Vec<u8>,
    echecs_de_suite: usize,
    demandes: Vec<bool>,
}

impl Evaluation {
    pub fn nouvelle(banque: &Banque, graine: u32) -> Evaluation {
        Evaluation {
            calibration: banque.version_courante(),
            graine,
            reponses: Vec::new(),
        }
    }

    /// The state as a short text for a page: `calibration~graine~id:code~id:code…`.
    pub fn encoder(&self) -> String {
        let mut s = format!("{}~{}", self.calibration, self.graine);
        for (id, r) in &self.reponses {
            s.push('~');
            s.push_str(id);
            s.push(':');
            s.push(r.code());
        }
        s
    }

    /// Reads a state written by [`Evaluation::encoder`], checking every answer against the
    /// bank (known item, asked once, an answer of the item's kind).
    pub fn decoder(texte: &str, banque: &Banque) -> Result<Evaluation, ErreurCompetences> {
        let mauvais = || ErreurCompetences::Reponse("état illisible".into());
        let mut parties = texte.split('~');
        let calibration: u32 = parties
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(mauvais)?;
        banque.parametres(calibration)?;
        let graine: u32 = parties
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(mauvais)?;
        let mut e = Evaluation {
            calibration,
            graine,
            reponses: Vec::new(),
        };
        for p in parties {
            let (id, code) = p.split_once(':').ok_or_else(mauvais)?;
            let mut chars = code.chars();
            let r = match (chars.next().and_then(Reponse::depuis_code), chars.next()) {
                (Some(r), None) => r,
                _ => return Err(mauvais()),
            };
            e.ajouter(banque, id, r)?;
        }
        Ok(e)
    }

    /// Records an answer (checked as in [`Evaluation::decoder`]).
    pub fn ajouter(
        &mut self,
        banque: &Banque,
        id: &str,
        reponse: Reponse,
    ) -> Result<(), ErreurCompetences> {
        let item = banque
            .item(id)
            .ok_or_else(|| ErreurCompetences::Reponse(format!("question inconnue {id}")))?;
        if self.reponses.iter().any(|(i, _)| i == id) {
            return Err(ErreurCompetences::Reponse(format!(
                "question {id} déjà posée"
            )));
        }
        if self.reponses.len() >= QUESTIONS_MAX {
            return Err(ErreurCompetences::Reponse("trop de réponses".into()));
        }
        let valide = match (&item.genre, reponse) {
            (Genre::Enonce, Reponse::Facilement | Reponse::AvecAide)
            | (Genre::Enonce, Reponse::Non | Reponse::Inconnu) => true,
            (Genre::Pratique { choix, .. }, Reponse::Choix(c)) => usize::from(c) < choix.len(),
            (Genre::Pratique { .. }, Reponse::NeSaisPas) => true,
            _ => false,
        };
        if !valide {
            return Err(ErreurCompetences::Reponse(format!(
                "réponse {} impossible à la question {id}",
                reponse.code()
            )));
        }
        self.reponses.push((id.to_string(), reponse));
        Ok(())
    }

    fn analyser(
        &self,
        banque: &Banque,
        referentiel: &Referentiel,
        params: &[Parametres],
    ) -> Result<Analyse, ErreurCompetences> {
        let n = referentiel.domaines.len();
        // Each domain alone first (wide prior), to lean the others' priors on it.
        let mut seules = vec![Posterieure::normale(0.0, 1.5); n];
        let mut questions = vec![0usize; n];
        let mut plafonds = vec![u8::MAX; n];
        let mut demandes = vec![false; banque.items.len()];
        let mut echecs_de_suite = 0;
        let mut observations: Vec<(usize, usize, u8)> = Vec::with_capacity(self.reponses.len());
        for (id, r) in &self.reponses {
            let pos = banque
                .position(id)
                .ok_or_else(|| ErreurCompetences::Reponse(format!("question inconnue {id}")))?;
            let item = &banque.items[pos];
            let d = referentiel
                .index_domaine(&item.competence)
                .ok_or_else(|| ErreurCompetences::Donnees(item.competence.clone()))?;
            let s = modele::score(item, *r);
            seules[d].observer(item, params[pos], s);
            questions[d] += 1;
            demandes[pos] = true;
            if modele::echec(s) {
                echecs_de_suite += 1;
                plafonds[d] = plafonds[d].min(item.niveau);
            } else {
                echecs_de_suite = 0;
            }
            observations.push((pos, d, s));
        }
        let moyennes: Vec<f64> = seules.iter().map(Posterieure::moyenne).collect();
        let mut posterieures = Vec::with_capacity(n);
        for d in 0..n {
            let autres: Vec<f64> = (0..n)
                .filter(|j| *j != d && questions[*j] > 0)
                .map(|j| moyennes[j])
                .collect();
            let centre = if autres.is_empty() {
                0.0
            } else {
                LIEN_ENTRE_DOMAINES * autres.iter().sum::<f64>() / autres.len() as f64
            };
            let mut p = Posterieure::normale(centre, ECART_A_PRIORI);
            for (pos, dd, s) in &observations {
                if *dd == d {
                    p.observer(&banque.items[*pos], params[*pos], *s);
                }
            }
            posterieures.push(p);
        }
        Ok(Analyse {
            posterieures,
            questions,
            plafonds,
            echecs_de_suite,
            demandes,
        })
    }

    /// Why the assessment ended, or [`Arret::EnCours`] with the next item.
    pub fn suite<'b>(
        &self,
        banque: &'b Banque,
        referentiel: &Referentiel,
    ) -> Result<(Arret, Option<&'b Item>), ErreurCompetences> {
        let params = banque.parametres(self.calibration)?;
        let a = self.analyser(banque, referentiel, &params)?;
        let n = self.reponses.len();
        if n >= QUESTIONS_MAX {
            return Ok((Arret::Maximum, None));
        }
        if a.echecs_de_suite >= ECHECS_DE_SUITE_MAX {
            return Ok((Arret::Difficultes, None));
        }
        let ecarts: Vec<f64> = a.posterieures.iter().map(Posterieure::ecart_type).collect();
        let thetas: Vec<f64> = a.posterieures.iter().map(Posterieure::moyenne).collect();
        if n >= QUESTIONS_MIN
            && a.questions.iter().all(|q| *q >= QUESTIONS_PAR_DOMAINE)
            && ecarts.iter().all(|e| *e < ECART_CIBLE)
        {
            return Ok((Arret::Precision, None));
        }
        // The items that may be asked, per domain.
        let candidats = |d: usize| -> Vec<usize> {
            let deja: Vec<&str> = self
                .reponses
                .iter()
                .filter_map(|(id, _)| banque.item(id))
                .filter(|i| referentiel.index_domaine(&i.competence) == Some(d))
                .map(|i| i.competence.as_str())
                .collect();
            let libres: Vec<usize> = (0..banque.items.len())
                .filter(|p| !a.demandes[*p])
                .filter(|p| {
                    let i = &banque.items[*p];
                    referentiel.index_domaine(&i.competence) == Some(d) && i.niveau <= a.plafonds[d]
                })
                .collect();
            let nouveaux: Vec<usize> = libres
                .iter()
                .copied()
                .filter(|p| !deja.contains(&banque.items[*p].competence.as_str()))
                .collect();
            if nouveaux.is_empty() {
                libres
            } else {
                nouveaux
            }
        };
        let domaines = referentiel.domaines.len();
        let choix: Option<usize> = if a.echecs_de_suite >= ECHECS_DE_SUITE_MAX - 1 {
            // The item the person is most likely to succeed at, in any domain.
            (0..domaines)
                .flat_map(|d| candidats(d).into_iter().map(move |p| (d, p)))
                .map(|(d, p)| {
                    let r = modele::probabilite_reussite(&banque.items[p], params[p], thetas[d]);
                    (p, r)
                })
                .max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)))
                .map(|(p, _)| p)
        } else {
            let moins_vus = a
                .questions
                .iter()
                .copied()
                .min()
                .unwrap_or(0)
                .min(QUESTIONS_PAR_DOMAINE);
            let mut ordre: Vec<usize> = (0..domaines).collect();
            ordre.sort_by(|x, y| {
                let vx = a.questions[*x].min(QUESTIONS_PAR_DOMAINE) == moins_vus;
                let vy = a.questions[*y].min(QUESTIONS_PAR_DOMAINE) == moins_vus;
                vy.cmp(&vx).then(ecarts[*y].total_cmp(&ecarts[*x]))
            });
            ordre.into_iter().find_map(|d| {
                let mut c: Vec<(usize, f64)> = candidats(d)
                    .into_iter()
                    .map(|p| {
                        let cible = thetas[d] - DECALAGE_CIBLE;
                        (p, modele::information(&banque.items[p], params[p], cible))
                    })
                    .collect();
                if c.is_empty() {
                    return None;
                }
                // Every fourth question is a practical one where the domain has one left:
                // what people say they can do is checked by what they do.
                if n % PRATIQUE_TOUTES_LES == PRATIQUE_TOUTES_LES - 1 {
                    let pratiques: Vec<(usize, f64)> = c
                        .iter()
                        .copied()
                        .filter(|(p, _)| matches!(banque.items[*p].genre, Genre::Pratique { .. }))
                        .collect();
                    if !pratiques.is_empty() {
                        c = pratiques;
                    }
                }
                c.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                let k = c.len().min(3);
                Some(c[melange(self.graine, n) % k].0)
            })
        };
        Ok(match choix {
            Some(p) => (Arret::EnCours, Some(&banque.items[p])),
            None => (Arret::BanqueEpuisee, None),
        })
    }

    /// The result so far (at the end, or at any point).
    pub fn resultat(
        &self,
        banque: &Banque,
        referentiel: &Referentiel,
    ) -> Result<Resultat, ErreurCompetences> {
        let params = banque.parametres(self.calibration)?;
        let a = self.analyser(banque, referentiel, &params)?;
        let (arret, _) = self.suite(banque, referentiel)?;
        let mut domaines = Vec::with_capacity(referentiel.domaines.len());
        for (d, dom) in referentiel.domaines.iter().enumerate() {
            let p = &a.posterieures[d];
            let theta = p.moyenne();
            let bande = Bande::de_theta(theta);
            let (bas, haut) = bande.bornes();
            let probabilite_bande = p.masse_entre(bas, haut);
            let confiance = if a.questions[d] == 0 {
                Confiance::Faible
            } else if probabilite_bande >= 0.7 {
                Confiance::Elevee
            } else if probabilite_bande >= 0.45 {
                Confiance::Moyenne
            } else {
                Confiance::Faible
            };
            // Gaps: answered short of the best, most basic first.
            let mut manques: Vec<(u8, String)> = Vec::new();
            for (id, r) in &self.reponses {
                let Some(item) = banque.item(id) else {
                    continue;
                };
                if referentiel.index_domaine(&item.competence) != Some(d) {
                    continue;
                }
                if modele::score(item, *r) < modele::score_max(item) {
                    manques.push((item.niveau, item.competence.clone()));
                }
            }
            manques.sort();
            let mut lacunes: Vec<String> = Vec::new();
            for (_, c) in manques {
                if !lacunes.contains(&c) {
                    lacunes.push(c);
                }
            }
            if bande < Bande::Autonome {
                for c in &dom.competences {
                    let demandee = self.reponses.iter().any(|(id, _)| {
                        banque.item(id).map(|i| i.competence == c.code) == Some(true)
                    });
                    if !demandee && !lacunes.contains(&c.code) {
                        lacunes.push(c.code.clone());
                    }
                }
            }
            domaines.push(ResultatDomaine {
                code: dom.code.clone(),
                titre: dom.titre.clone(),
                theta,
                ecart: p.ecart_type(),
                bande,
                confiance,
                probabilite_bande,
                questions: a.questions[d],
                lacunes,
            });
        }
        Ok(Resultat {
            domaines,
            questions: self.reponses.len(),
            calibration: self.calibration,
            arret,
        })
    }
}

/// A deterministic mix of the seed and the question number (splitmix64's finaliser).
fn melange(graine: u32, n: usize) -> usize {
    let mut z = u64::from(graine)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(n as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexte() -> (&'static Banque, &'static Referentiel) {
        (Banque::embarquee(), Referentiel::embarque())
    }

    /// Answers every question with the same answer kind until the end.
    fn jusqu_au_bout(reussir: bool) -> Evaluation {
        let (b, r) = contexte();
        let mut e = Evaluation::nouvelle(b, 7);
        loop {
            let (arret, item) = e.suite(b, r).expect("suite");
            let Some(item) = item else {
                assert_ne!(arret, Arret::EnCours);
                return e;
            };
            let rep = match (&item.genre, reussir) {
                (Genre::Enonce, true) => Reponse::Facilement,
                (Genre::Enonce, false) => Reponse::Non,
                (Genre::Pratique { bonne, .. }, true) => Reponse::Choix(*bonne as u8),
                (Genre::Pratique { .. }, false) => Reponse::NeSaisPas,
            };
            e.ajouter(b, &item.id.clone(), rep).expect("ajouter");
        }
    }

    #[test]
    fn tout_reussir_donne_au_dela_partout_en_20_questions_au_plus() {
        let (b, r) = contexte();
        let e = jusqu_au_bout(true);
        assert!(e.reponses.len() >= QUESTIONS_MIN && e.reponses.len() <= QUESTIONS_MAX);
        let res = e.resultat(b, r).expect("résultat");
        for d in &res.domaines {
            assert!(d.bande >= Bande::Autonome, "{} {:?}", d.code, d.bande);
            assert!(d.questions >= QUESTIONS_PAR_DOMAINE, "{}", d.code);
        }
    }

    #[test]
    fn trois_difficultes_de_suite_arretent_l_evaluation() {
        let (b, r) = contexte();
        let e = jusqu_au_bout(false);
        assert_eq!(e.reponses.len(), ECHECS_DE_SUITE_MAX);
        let res = e.resultat(b, r).expect("résultat");
        assert_eq!(res.arret, Arret::Difficultes);
        // Every domain that was asked is « débutant », and so are the others by the link
        // between domains, with an honest « à confirmer » where nothing was asked.
        for d in &res.domaines {
            assert!(d.bande <= Bande::ALAise, "{} {:?}", d.code, d.bande);
            if d.questions == 0 {
                assert_eq!(d.confiance, Confiance::Faible);
            }
            assert!(!d.lacunes.is_empty());
        }
    }

    #[test]
    fn apres_un_echec_pas_d_item_plus_difficile_dans_le_domaine() {
        let (b, r) = contexte();
        let mut e = Evaluation::nouvelle(b, 3);
        let (_, premier) = e.suite(b, r).expect("suite");
        let premier = premier.expect("item").clone();
        let rep = match premier.genre {
            Genre::Enonce => Reponse::Non,
            Genre::Pratique { .. } => Reponse::NeSaisPas,
        };
        e.ajouter(b, &premier.id, rep).expect("ajouter");
        let d = r.index_domaine(&premier.competence);
        for _ in 0..12 {
            let (_, item) = e.suite(b, r).expect("suite");
            let Some(item) = item else { break };
            if r.index_domaine(&item.competence) == d {
                assert!(
                    item.niveau <= premier.niveau,
                    "{} après {}",
                    item.id,
                    premier.id
                );
            }
            let ok = match &item.genre {
                Genre::Enonce => Reponse::Facilement,
                Genre::Pratique { bonne, .. } => Reponse::Choix(*bonne as u8),
            };
            e.ajouter(b, &item.id.clone(), ok).expect("ajouter");
        }
    }

    #[test]
    fn l_etat_fait_l_aller_retour_et_refuse_les_etats_alteres() {
        let (b, _) = contexte();
        let e = jusqu_au_bout(true);
        let texte = e.encoder();
        assert_eq!(Evaluation::decoder(&texte, b), Ok(e.clone()));
        let premier = &e.reponses[0].0;
        for altere in [
            format!("{texte}~{premier}:f"), // asked twice
            format!("9~1~{premier}:f"),     // unknown calibration
            "1~1~inconnu:f".to_string(),    // unknown item
            format!("1~1~{premier}:ff"),    // bad code
            "1".to_string(),                // truncated
        ] {
            assert!(Evaluation::decoder(&altere, b).is_err(), "{altere}");
        }
        // A statement cannot take a practical answer, and the reverse.
        let enonce = b
            .items
            .iter()
            .find(|i| i.genre == Genre::Enonce)
            .expect("énoncé");
        assert!(Evaluation::decoder(&format!("1~1~{}:0", enonce.id), b).is_err());
    }

    #[test]
    fn la_meme_graine_donne_les_memes_questions() {
        let (b, r) = contexte();
        let a = Evaluation::nouvelle(b, 42);
        let (_, x) = a.suite(b, r).expect("suite");
        let (_, y) = a.clone().suite(b, r).expect("suite");
        assert_eq!(x.map(|i| &i.id), y.map(|i| &i.id));
    }
}
