//! The response model over a grid of abilities.
//!
//! Abilities are on one logit scale per domain; the CRCN level of an ability θ is about
//! θ + 2.5 (level 1 around −1.5, level 4 around +1.5).
//! - A can-do statement is a graded response item (Samejima) with two thresholds: « oui, avec
//!   de l'aide » or better at `b − ECART_AIDE`, « oui, facilement » at `b`; « non » and « je ne
//!   sais pas ce que c'est » score 0.
//! - A practical item is a 3-parameter logistic item whose guessing rate is fixed at one over
//!   the number of choices (« je ne sais pas » is a wrong answer that guessed nothing).

use crate::banque::{Genre, Item, Parametres, Reponse};

/// Distance on the scale between « avec de l'aide » and « facilement ».
pub const ECART_AIDE: f64 = 0.9;
/// The grid of abilities: −4 to +4 by 0.1.
pub const GRILLE_MIN: f64 = -4.0;
pub const GRILLE_PAS: f64 = 0.1;
pub const GRILLE_POINTS: usize = 81;

/// The abilities of the grid.
pub fn grille() -> [f64; GRILLE_POINTS] {
    let mut g = [0.0; GRILLE_POINTS];
    for (i, x) in g.iter_mut().enumerate() {
        *x = GRILLE_MIN + GRILLE_PAS * i as f64;
    }
    g
}

fn logistique(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The score of an answer: 0, 1 or 2 for a statement; 0 or 1 for a practical item.
pub fn score(item: &Item, reponse: Reponse) -> u8 {
    match (&item.genre, reponse) {
        (Genre::Enonce, Reponse::Facilement) => 2,
        (Genre::Enonce, Reponse::AvecAide) => 1,
        (Genre::Pratique { bonne, .. }, Reponse::Choix(c)) if usize::from(c) == *bonne => 1,
        _ => 0,
    }
}

/// Whether a score counts as a failure (for the rule on failures in a row).
pub fn echec(score: u8) -> bool {
    score == 0
}

/// The highest score of an item.
pub fn score_max(item: &Item) -> u8 {
    match item.genre {
        Genre::Enonce => 2,
        Genre::Pratique { .. } => 1,
    }
}

/// The guessing rate of an item (0 for a statement).
pub fn hasard(item: &Item) -> f64 {
    match &item.genre {
        Genre::Enonce => 0.0,
        Genre::Pratique { choix, .. } => 1.0 / choix.len().max(1) as f64,
    }
}

/// Probability of each score (index = score) at ability `theta`.
pub fn probabilites(item: &Item, p: Parametres, theta: f64) -> [f64; 3] {
    let a = p.discrimination;
    match item.genre {
        Genre::Enonce => {
            let au_moins_aide = logistique(a * (theta - (p.difficulte - ECART_AIDE)));
            let facilement = logistique(a * (theta - p.difficulte));
            [
                (1.0 - au_moins_aide).max(1e-12),
                (au_moins_aide - facilement).max(1e-12),
                facilement.max(1e-12),
            ]
        }
        Genre::Pratique { .. } => {
            let c = hasard(item);
            let juste = c + (1.0 - c) * logistique(a * (theta - p.difficulte));
            [(1.0 - juste).max(1e-12), juste.max(1e-12), 0.0]
        }
    }
}

/// Probability of not failing (score ≥ 1) at `theta`.
pub fn probabilite_reussite(item: &Item, p: Parametres, theta: f64) -> f64 {
    1.0 - probabilites(item, p, theta)[0]
}

/// Fisher information of the item at `theta`.
pub fn information(item: &Item, p: Parametres, theta: f64) -> f64 {
    let a = p.discrimination;
    match item.genre {
        Genre::Enonce => {
            let p1 = logistique(a * (theta - (p.difficulte - ECART_AIDE)));
            let p2 = logistique(a * (theta - p.difficulte));
            let d1 = a * p1 * (1.0 - p1);
            let d2 = a * p2 * (1.0 - p2);
            let cat = [
                ((1.0 - p1).max(1e-12), -d1),
                ((p1 - p2).max(1e-12), d1 - d2),
                (p2.max(1e-12), d2),
            ];
            cat.iter().map(|(pk, dk)| dk * dk / pk).sum()
        }
        Genre::Pratique { .. } => {
            let c = hasard(item);
            let l = logistique(a * (theta - p.difficulte));
            let pj = c + (1.0 - c) * l;
            let d = (1.0 - c) * a * l * (1.0 - l);
            d * d / (pj * (1.0 - pj)).max(1e-12)
        }
    }
}

/// A distribution over the grid (normalised).
#[derive(Debug, Clone, PartialEq)]
pub struct Posterieure {
    pub poids: [f64; GRILLE_POINTS],
}

impl Posterieure {
    /// A normal prior of mean `moyenne` and standard deviation `ecart`.
    pub fn normale(moyenne: f64, ecart: f64) -> Posterieure {
        let g = grille();
        let mut poids = [0.0; GRILLE_POINTS];
        for (w, x) in poids.iter_mut().zip(g) {
            let z = (x - moyenne) / ecart;
            *w = (-0.5 * z * z).exp();
        }
        let mut p = Posterieure { poids };
        p.normaliser();
        p
    }

    fn normaliser(&mut self) {
        let s: f64 = self.poids.iter().sum();
        if s > 0.0 {
            for w in &mut self.poids {
                *w /= s;
            }
        }
    }

    /// Multiplies by the likelihood of one scored answer.
    pub fn observer(&mut self, item: &Item, p: Parametres, score: u8) {
        for (w, x) in self.poids.iter_mut().zip(grille()) {
            *w *= probabilites(item, p, x)[usize::from(score.min(2))];
        }
        self.normaliser();
    }

    pub fn moyenne(&self) -> f64 {
        self.poids.iter().zip(grille()).map(|(w, x)| w * x).sum()
    }

    pub fn ecart_type(&self) -> f64 {
        let m = self.moyenne();
        self.poids
            .iter()
            .zip(grille())
            .map(|(w, x)| w * (x - m) * (x - m))
            .sum::<f64>()
            .sqrt()
    }

    /// The mass between two abilities (`bas` included, `haut` excluded).
    pub fn masse_entre(&self, bas: f64, haut: f64) -> f64 {
        self.poids
            .iter()
            .zip(grille())
            .filter(|(_, x)| *x >= bas - 1e-9 && *x < haut - 1e-9)
            .map(|(w, _)| w)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::banque::Banque;

    fn un(genre_pratique: bool) -> &'static Item {
        Banque::embarquee()
            .items
            .iter()
            .find(|i| matches!(i.genre, Genre::Pratique { .. }) == genre_pratique)
            .expect("item")
    }

    #[test]
    fn les_probabilites_somment_a_un_et_croissent_avec_le_niveau() {
        for item in [un(true), un(false)] {
            let p = Parametres {
                difficulte: 0.3,
                discrimination: 1.4,
            };
            let mut avant = 0.0;
            for x in grille() {
                let pr = probabilites(item, p, x);
                assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-6);
                let r = probabilite_reussite(item, p, x);
                assert!(r >= avant - 1e-12);
                avant = r;
                assert!(information(item, p, x) >= 0.0);
            }
        }
        // A practical item is answered right by chance at least one time in its choices.
        let item = un(true);
        let c = hasard(item);
        let p = Parametres {
            difficulte: 2.0,
            discrimination: 1.3,
        };
        assert!(probabilite_reussite(item, p, -4.0) >= c);
    }

    #[test]
    fn observer_deplace_la_posterieure_du_bon_cote() {
        let item = un(false);
        let p = Parametres {
            difficulte: 0.0,
            discrimination: 1.6,
        };
        let mut haut = Posterieure::normale(0.0, 1.0);
        haut.observer(item, p, 2);
        let mut bas = Posterieure::normale(0.0, 1.0);
        bas.observer(item, p, 0);
        assert!(haut.moyenne() > 0.2 && bas.moyenne() < -0.2);
        assert!(haut.ecart_type() < 1.0);
        let tout = haut.masse_entre(GRILLE_MIN, 10.0);
        assert!((tout - 1.0).abs() < 1e-9);
    }
}
