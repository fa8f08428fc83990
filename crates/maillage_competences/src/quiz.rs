//! Quizzes on the same engine: a fixed series of practical items, each followed by its
//! explanation (the tour's « Arnaques en ligne » at a stand). The state is an
//! [`Evaluation`] (the answers so far), so it travels in the page like the assessment's and
//! nothing is kept.

use crate::banque::{Banque, Genre, Item, Reponse};
use crate::evaluation::Evaluation;
use crate::modele;
use crate::ErreurCompetences;

/// A quiz: a title, a sentence for the start page, and its items in order.
#[derive(Debug)]
pub struct Quiz {
    pub code: &'static str,
    pub titre: &'static str,
    pub presentation: &'static str,
    pub items: &'static [&'static str],
}

/// « Arnaques en ligne »: fraudulent messages, real addresses, codes, permissions, passwords.
pub const ARNAQUES: Quiz = Quiz {
    code: "arnaques",
    titre: "Arnaques en ligne",
    presentation: "Huit situations de tous les jours : saurez-vous repérer l'arnaque ?",
    items: &[
        "p4.3-1", "p4.2-2", "p4.3-2", "p4.3-3", "p4.2-3", "p4.1-2", "p2.4-2", "p1.1-3",
    ],
};

/// Every quiz.
pub const QUIZ: &[&Quiz] = &[&ARNAQUES];

/// Where a person is in a quiz.
#[derive(Debug, PartialEq)]
pub enum Etape<'b> {
    /// The next question.
    Question { item: &'b Item, numero: usize },
    /// Every question answered: right answers out of the total.
    Fin { bonnes: usize, total: usize },
}

impl Quiz {
    pub fn par_code(code: &str) -> Option<&'static Quiz> {
        QUIZ.iter().copied().find(|q| q.code == code)
    }

    /// Checks that every item is in the bank and is a practical one.
    pub fn verifier(&self, banque: &Banque) -> Result<(), ErreurCompetences> {
        for id in self.items {
            match banque.item(id) {
                Some(Item {
                    genre: Genre::Pratique { .. },
                    ..
                }) => {}
                _ => {
                    return Err(ErreurCompetences::Donnees(format!(
                        "quiz {} : {id} n'est pas une mise en situation de la banque",
                        self.code
                    )))
                }
            }
        }
        Ok(())
    }

    /// Checks that the answers are this quiz's, in its order.
    pub fn accepter(&self, e: &Evaluation) -> Result<(), ErreurCompetences> {
        if e.reponses.len() > self.items.len()
            || e.reponses
                .iter()
                .zip(self.items.iter())
                .any(|((id, _), attendu)| id != attendu)
        {
            return Err(ErreurCompetences::Reponse(format!(
                "réponses étrangères au quiz {}",
                self.code
            )));
        }
        Ok(())
    }

    /// The next step after the answers of `e`.
    pub fn etape<'b>(
        &self,
        banque: &'b Banque,
        e: &Evaluation,
    ) -> Result<Etape<'b>, ErreurCompetences> {
        self.accepter(e)?;
        match self.items.get(e.reponses.len()) {
            Some(id) => {
                let item = banque
                    .item(id)
                    .ok_or_else(|| ErreurCompetences::Donnees(id.to_string()))?;
                Ok(Etape::Question {
                    item,
                    numero: e.reponses.len() + 1,
                })
            }
            None => Ok(Etape::Fin {
                bonnes: self.bonnes(banque, e),
                total: self.items.len(),
            }),
        }
    }

    /// Right answers so far.
    pub fn bonnes(&self, banque: &Banque, e: &Evaluation) -> usize {
        e.reponses
            .iter()
            .filter(|(id, r)| banque.item(id).map(|i| juste(i, *r)) == Some(true))
            .count()
    }
}

/// Whether an answer is right.
pub fn juste(item: &Item, r: Reponse) -> bool {
    modele::score(item, r) == modele::score_max(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_quiz_n_ont_que_des_mises_en_situation_de_la_banque() {
        let b = Banque::embarquee();
        for q in QUIZ {
            q.verifier(b).expect("quiz valide");
            assert!(q.items.len() >= 5);
        }
        assert_eq!(
            Quiz::par_code("arnaques").map(|q| q.titre),
            Some("Arnaques en ligne")
        );
        assert!(Quiz::par_code("inconnu").is_none());
    }

    #[test]
    fn un_quiz_se_deroule_dans_l_ordre_et_compte_les_bonnes_reponses() {
        let b = Banque::embarquee();
        let q = &ARNAQUES;
        let mut e = Evaluation::nouvelle(b, 0);
        let mut attendues = 0;
        for (k, id) in q.items.iter().enumerate() {
            let Etape::Question { item, numero } = q.etape(b, &e).expect("étape") else {
                panic!("question attendue");
            };
            assert_eq!(&item.id, id);
            assert_eq!(numero, k + 1);
            let Genre::Pratique { bonne, .. } = item.genre else {
                panic!()
            };
            // Right on even questions, « je ne sais pas » on odd ones.
            let r = if k % 2 == 0 {
                attendues += 1;
                Reponse::Choix(bonne as u8)
            } else {
                Reponse::NeSaisPas
            };
            e.ajouter(b, id, r).expect("ajouter");
        }
        assert_eq!(
            q.etape(b, &e).expect("fin"),
            Etape::Fin {
                bonnes: attendues,
                total: q.items.len()
            }
        );
        // Answers of another order are refused.
        let mut autre = Evaluation::nouvelle(b, 0);
        autre
            .ajouter(b, q.items[1], Reponse::NeSaisPas)
            .expect("ajouter");
        assert!(q.etape(b, &autre).is_err());
    }
}
