//! People with known levels answering by the model (tests, benchmarks, calibration checks).

use crate::banque::{Banque, Genre, Item, Parametres, Reponse};
use crate::evaluation::{Arret, Evaluation};
use crate::modele;
use crate::referentiel::Referentiel;
use crate::ErreurCompetences;

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Alea(u64);

impl Alea {
    pub fn new(graine: u64) -> Alea {
        Alea(graine)
    }

    pub fn suivant(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniforme(&mut self) -> f64 {
        (self.suivant() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n.
    pub fn entier(&mut self, n: usize) -> usize {
        (self.uniforme() * n as f64) as usize % n.max(1)
    }

    /// Standard normal (Box–Muller).
    pub fn normale(&mut self) -> f64 {
        let u = self.uniforme().max(1e-300);
        let v = self.uniforme();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A simulated person: a CRCN level (1–4) and an ability per domain.
#[derive(Debug, Clone)]
pub struct Personne {
    pub niveaux: Vec<u8>,
    pub thetas: Vec<f64>,
}

impl Personne {
    /// A person whose levels are linked across domains as people's are: an overall level
    /// 1–4, each domain at it (60 %) or one step off (20 % each side), the ability uniform
    /// inside the level's band.
    pub fn tirer(alea: &mut Alea, domaines: usize) -> Personne {
        let general = 1 + alea.entier(4) as i32;
        let mut niveaux = Vec::with_capacity(domaines);
        let mut thetas = Vec::with_capacity(domaines);
        for _ in 0..domaines {
            let u = alea.uniforme();
            let ecart = if u < 0.2 {
                -1
            } else if u < 0.8 {
                0
            } else {
                1
            };
            let n = (general + ecart).clamp(1, 4) as u8;
            niveaux.push(n);
            thetas.push(f64::from(n) - 3.5 + alea.uniforme());
        }
        Personne { niveaux, thetas }
    }

    /// An answer drawn from the model at the person's ability.
    pub fn repondre(&self, item: &Item, p: Parametres, domaine: usize, alea: &mut Alea) -> Reponse {
        let pr = modele::probabilites(item, p, self.thetas[domaine]);
        let u = alea.uniforme();
        match &item.genre {
            Genre::Enonce => {
                if u < pr[2] {
                    Reponse::Facilement
                } else if u < pr[2] + pr[1] {
                    Reponse::AvecAide
                } else if alea.uniforme() < 0.3 {
                    Reponse::Inconnu
                } else {
                    Reponse::Non
                }
            }
            Genre::Pratique { choix, bonne, .. } => {
                if u < pr[1] {
                    Reponse::Choix(*bonne as u8)
                } else if alea.uniforme() < 0.3 {
                    Reponse::NeSaisPas
                } else {
                    // A wrong choice.
                    let faux = (bonne + 1 + alea.entier(choix.len() - 1)) % choix.len();
                    Reponse::Choix(faux as u8)
                }
            }
        }
    }

    /// Takes a whole assessment, answering by the given parameters (the items' true ones).
    pub fn passer(
        &self,
        banque: &Banque,
        referentiel: &Referentiel,
        vrais: &[Parametres],
        graine: u32,
        alea: &mut Alea,
    ) -> Result<(Evaluation, Arret), ErreurCompetences> {
        let mut e = Evaluation::nouvelle(banque, graine);
        loop {
            let (arret, item) = e.suite(banque, referentiel)?;
            let Some(item) = item else {
                return Ok((e, arret));
            };
            let pos = banque
                .position(&item.id)
                .ok_or_else(|| ErreurCompetences::Reponse(item.id.clone()))?;
            let d = referentiel
                .index_domaine(&item.competence)
                .ok_or_else(|| ErreurCompetences::Donnees(item.competence.clone()))?;
            let r = self.repondre(item, vrais[pos], d, alea);
            let id = item.id.clone();
            e.ajouter(banque, &id, r)?;
        }
    }
}
