//! Precision and recall of the groups against labelled pairs.

use super::ResultatDoublons;
use crate::lieux::LieuSource;
use serde::Serialize;
use std::collections::HashMap;

/// A labelled pair the groups got wrong.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErreurEvaluation {
    pub ref_a: String,
    pub ref_b: String,
    /// The label: same place?
    pub attendu: bool,
    /// What the groups say.
    pub predit: bool,
}

/// Confusion counts over labelled pairs. A pair is predicted "same place" iff both refs are
/// in the same group.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
    /// tp / (tp + fp); 1 when nothing was predicted.
    pub precision: f64,
    /// tp / (tp + fn); 1 when nothing was expected.
    pub recall: f64,
    pub erreurs: Vec<ErreurEvaluation>,
    /// Labelled pairs naming a ref absent from the input (not counted).
    pub inconnues: Vec<(String, String)>,
}

/// Compares the groups of `resultat` (computed over `lieux`) with labelled pairs
/// `(ref_a, ref_b, same_place)`.
pub fn evaluer(
    paires: &[(String, String, bool)],
    resultat: &ResultatDoublons,
    lieux: &[LieuSource],
) -> Evaluation {
    // Every ref of the input → its published place.
    let mut place: HashMap<String, usize> = HashMap::with_capacity(lieux.len());
    for (k, f) in resultat.fusionnes.iter().enumerate() {
        for m in &f.membres {
            place.entry(m.clone()).or_insert(k);
        }
    }
    for l in lieux {
        let r = l.reference();
        if !place.contains_key(&r) {
            // Not in the result (should not happen): a place of its own.
            let n = resultat.fusionnes.len() + place.len();
            place.insert(r, n);
        }
    }
    let mut e = Evaluation::default();
    for (a, b, attendu) in paires {
        let (Some(ga), Some(gb)) = (place.get(a), place.get(b)) else {
            e.inconnues.push((a.clone(), b.clone()));
            continue;
        };
        let predit = ga == gb;
        match (*attendu, predit) {
            (true, true) => e.tp += 1,
            (false, true) => e.fp += 1,
            (true, false) => e.fn_ += 1,
            (false, false) => e.tn += 1,
        }
        if *attendu != predit {
            e.erreurs.push(ErreurEvaluation {
                ref_a: a.clone(),
                ref_b: b.clone(),
                attendu: *attendu,
                predit,
            });
        }
    }
    e.precision = if e.tp + e.fp == 0 {
        1.0
    } else {
        e.tp as f64 / (e.tp + e.fp) as f64
    };
    e.recall = if e.tp + e.fn_ == 0 {
        1.0
    } else {
        e.tp as f64 / (e.tp + e.fn_) as f64
    };
    e
}
