//! The import report: how many records were read, accepted, corrected, rejected, and why.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How serious a remark is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gravite {
    /// The record was imported, with this value corrected, completed or dropped.
    Correction,
    /// The record was not imported.
    Rejet,
}

/// One remark on one record (or, for `enregistrement` 1 of a CSV file, on its header).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Remarque {
    /// 1-based record number for JSON and GeoJSON; for CSV, the physical line where the record
    /// starts, the header being line 1.
    pub enregistrement: usize,
    /// The record's id, when it has one.
    pub id: Option<String>,
    /// The field concerned, as named in the source file.
    pub champ: String,
    pub gravite: Gravite,
    /// What was found and what was done, in French.
    pub message: String,
}

impl std::fmt::Display for Remarque {
    /// `enregistrement 12 (id 45) — telephone — corrigé : …`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "enregistrement {}", self.enregistrement)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        let gravite = match self.gravite {
            Gravite::Correction => "corrigé",
            Gravite::Rejet => "rejeté",
        };
        write!(f, " — {} — {gravite} : {}", self.champ, self.message)
    }
}

/// Remarks kept by one import, in file order; the next ones are only counted
/// ([`Rapport::remarques_omises`]), so that a file of millions of bad records reads in
/// bounded memory.
pub const REMARQUES_MAX: usize = 10_000;

/// Remarks kept in the report stored with the import (see [`Rapport::abrege`]).
pub const REMARQUES_STOCKEES: usize = 1_000;

/// Characters kept of a remark's message (values quoted in it are cut with `…`).
pub const MESSAGE_MAX: usize = 500;

/// Counts and remarks of one import. `lus == acceptes + rejetes`;
/// `acceptes_avec_corrections <= acceptes`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rapport {
    pub lus: usize,
    pub acceptes: usize,
    pub acceptes_avec_corrections: usize,
    pub rejetes: usize,
    /// The first [`REMARQUES_MAX`] remarks.
    pub remarques: Vec<Remarque>,
    /// Remarks beyond [`REMARQUES_MAX`], counted but not kept.
    pub remarques_omises: usize,
}

/// `1234567` → `1 234 567`.
pub(crate) fn milliers(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// French plural: 0 and 1 are singular.
fn accorde(n: usize, singulier: &str, pluriel: &str) -> String {
    format!(
        "{} {}",
        milliers(n),
        if n > 1 { pluriel } else { singulier }
    )
}

impl Rapport {
    /// One line for people: `2 683 lignes lues : 2 650 acceptées dont 1 200 avec corrections,
    /// 33 rejetées`.
    pub fn resume_fr(&self) -> String {
        format!(
            "{} : {} dont {} avec corrections, {}",
            accorde(self.lus, "ligne lue", "lignes lues"),
            accorde(self.acceptes, "acceptée", "acceptées"),
            milliers(self.acceptes_avec_corrections),
            accorde(self.rejetes, "rejetée", "rejetées"),
        )
    }

    /// Every remark, kept or not.
    pub fn nombre_de_remarques(&self) -> usize {
        self.remarques.len() + self.remarques_omises
    }

    /// The report with its first `n` remarks only, the others counted as omitted (the
    /// compact form stored with the import).
    pub fn abrege(&self, n: usize) -> Rapport {
        let garde = self.remarques.len().min(n);
        Rapport {
            remarques: self.remarques.get(..garde).unwrap_or_default().to_vec(),
            remarques_omises: self.remarques_omises + (self.remarques.len() - garde),
            ..*self
        }
    }

    /// Adds a remark, or counts it when [`REMARQUES_MAX`] are kept already.
    pub(crate) fn noter(&mut self, remarque: Remarque) {
        if self.remarques.len() < REMARQUES_MAX {
            self.remarques.push(remarque);
        } else {
            self.remarques_omises += 1;
        }
    }

    /// Number of remarks per (field, gravity), most frequent first (ties by field name).
    pub fn remarques_par_champ(&self) -> Vec<(String, Gravite, usize)> {
        let mut comptes: BTreeMap<(String, Gravite), usize> = BTreeMap::new();
        for r in &self.remarques {
            *comptes.entry((r.champ.clone(), r.gravite)).or_default() += 1;
        }
        let mut v: Vec<_> = comptes.into_iter().map(|((c, g), n)| (c, g, n)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// The remarks about one record.
    pub fn remarques_de(&self, enregistrement: usize) -> impl Iterator<Item = &Remarque> {
        self.remarques
            .iter()
            .filter(move |r| r.enregistrement == enregistrement)
    }
}

/// Remarks on one record being built; they reach the report only when the record is done.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    pub corrections: Vec<(String, String)>,
    pub rejets: Vec<(String, String)>,
}

impl Journal {
    pub fn corriger(&mut self, champ: &str, message: impl Into<String>) {
        self.corrections.push((champ.to_string(), message.into()));
    }

    pub fn rejeter(&mut self, champ: &str, message: impl Into<String>) {
        self.rejets.push((champ.to_string(), message.into()));
    }

    pub fn est_rejete(&self) -> bool {
        !self.rejets.is_empty()
    }

    /// Counts the record and moves its remarks to the report: only the reasons of rejection
    /// for a rejected record, the corrections for an accepted one.
    pub fn cloturer(self, rapport: &mut Rapport, enregistrement: usize, id: Option<&str>) {
        rapport.lus += 1;
        let id = id.map(str::to_string);
        let (gravite, liste) = if self.rejets.is_empty() {
            rapport.acceptes += 1;
            if !self.corrections.is_empty() {
                rapport.acceptes_avec_corrections += 1;
            }
            (Gravite::Correction, self.corrections)
        } else {
            rapport.rejetes += 1;
            (Gravite::Rejet, self.rejets)
        };
        for (champ, message) in liste {
            if rapport.remarques.len() >= REMARQUES_MAX {
                rapport.remarques_omises += 1;
                continue;
            }
            let message = if message.len() > MESSAGE_MAX {
                super::limites::abreger(&message, MESSAGE_MAX)
            } else {
                message
            };
            rapport.noter(Remarque {
                enregistrement,
                id: id.clone(),
                champ,
                gravite,
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_in_french_with_thousands_and_plurals() {
        let r = Rapport {
            lus: 2683,
            acceptes: 2650,
            acceptes_avec_corrections: 1200,
            rejetes: 33,
            remarques: vec![],
            remarques_omises: 0,
        };
        assert_eq!(
            r.resume_fr(),
            "2 683 lignes lues : 2 650 acceptées dont 1 200 avec corrections, 33 rejetées"
        );
        let r = Rapport {
            lus: 1,
            acceptes: 1,
            acceptes_avec_corrections: 0,
            rejetes: 0,
            remarques: vec![],
            remarques_omises: 0,
        };
        assert_eq!(
            r.resume_fr(),
            "1 ligne lue : 1 acceptée dont 0 avec corrections, 0 rejetée"
        );
        assert_eq!(milliers(1_234_567), "1 234 567");
        assert_eq!(milliers(999), "999");
    }

    #[test]
    fn journal_counts_and_keeps_only_the_relevant_remarks() {
        let mut rapport = Rapport::default();
        let mut j = Journal::default();
        j.corriger("telephone", "vidé");
        j.closure_check();
        j.cloturer(&mut rapport, 2, Some("a"));
        let mut j = Journal::default();
        j.corriger("telephone", "vidé");
        j.rejeter("nom", "absent");
        j.cloturer(&mut rapport, 3, None);
        Journal::default().cloturer(&mut rapport, 4, Some("c"));
        assert_eq!((rapport.lus, rapport.acceptes, rapport.rejetes), (3, 2, 1));
        assert_eq!(rapport.acceptes_avec_corrections, 1);
        assert_eq!(rapport.remarques.len(), 2);
        assert_eq!(rapport.remarques[1].gravite, Gravite::Rejet);
        assert_eq!(rapport.remarques[1].champ, "nom");
        assert_eq!(rapport.remarques_de(2).count(), 1);
        let json = serde_json::to_value(&rapport).unwrap_or_default();
        assert_eq!(json["remarques"][1]["gravite"], "rejet");
    }

    #[test]
    fn faille_import_remarques_plafonnees() {
        let mut rapport = Rapport::default();
        for n in 0..REMARQUES_MAX + 5 {
            let mut j = Journal::default();
            j.rejeter("enregistrement", "x".repeat(2 * MESSAGE_MAX));
            j.cloturer(&mut rapport, n + 1, None);
        }
        assert_eq!(rapport.lus, REMARQUES_MAX + 5);
        assert_eq!(rapport.remarques.len(), REMARQUES_MAX);
        assert_eq!(rapport.remarques_omises, 5);
        assert_eq!(rapport.nombre_de_remarques(), REMARQUES_MAX + 5);
        assert!(rapport
            .remarques
            .iter()
            .all(|r| r.message.chars().count() <= MESSAGE_MAX + 1));
        let court = rapport.abrege(REMARQUES_STOCKEES);
        assert_eq!(court.remarques.len(), REMARQUES_STOCKEES);
        assert_eq!(court.nombre_de_remarques(), REMARQUES_MAX + 5);
        assert_eq!(court.lus, rapport.lus);
        let json = serde_json::to_string(&court).unwrap_or_default();
        assert!(json.len() < 1_000_000, "{} bytes", json.len());
    }

    impl Journal {
        fn closure_check(&self) {
            assert!(!self.est_rejete());
        }
    }
}
