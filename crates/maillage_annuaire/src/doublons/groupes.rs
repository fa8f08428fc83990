//! Groups of records: union-find over accepted pairs, under the coordinators' decisions and
//! an anti-chaining rule.
//!
//! Order: confirmed pairs first (always united, unless that would put a refused pair
//! together), then accepted pairs from the strongest score down (ties by the records'
//! internal order — postal code, then ref — so the result does not depend on input order).
//!
//! - **Refusals** are group-level constraints: two groups are never united if any member of
//!   one was refused with any member of the other, so a refused pair cannot end up together
//!   through a chain either.
//! - **Anti-chaining (average linkage with a veto)**: uniting two groups of which one has
//!   more than one member needs every cross pair (member of one, member of the other) to be
//!   scored: their mean must reach `liaison_moyenne_min` and none may fall below
//!   `liaison_min` (a strong contradiction: a bus against its fixed site, two kinds of
//!   structures, two communes). So A~B and B~C does not bring C in when C contradicts A, and a
//!   group does not grow by a string of weak links. Groups are also capped at
//!   `taille_groupe_max` members (a place is rarely listed more than a handful of times),
//!   which bounds the cost of the check. Confirmed pairs skip both rules.

use std::collections::HashMap;

/// Counts of the grouping step.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StatsGroupes {
    /// Unions refused because a coordinator refused a pair across the two groups.
    pub unions_refusees_decision: usize,
    /// Unions refused by the anti-chaining rule.
    pub unions_refusees_chainage: usize,
    /// Unions refused because the group would exceed the maximum size.
    pub unions_refusees_taille: usize,
    /// Confirmed pairs that could not be united because of a refusal (refusal wins).
    pub conflits_decisions: usize,
    /// Cross pairs scored by the anti-chaining check.
    pub liaisons_evaluees: usize,
}

pub(crate) struct Regles {
    pub taille_max: usize,
    pub liaison_moyenne_min: f64,
    pub liaison_min: f64,
}

struct UnionFind {
    parent: Vec<u32>,
    /// Members of each root (empty for non-roots).
    membres: HashMap<u32, Vec<u32>>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            membres: HashMap::new(),
        }
    }

    fn find(&mut self, x: u32) -> u32 {
        let mut r = x;
        while self.parent[r as usize] != r {
            r = self.parent[r as usize];
        }
        let mut y = x;
        while self.parent[y as usize] != r {
            let next = self.parent[y as usize];
            self.parent[y as usize] = r;
            y = next;
        }
        r
    }

    fn membres(&self, root: u32) -> Vec<u32> {
        self.membres
            .get(&root)
            .cloned()
            .unwrap_or_else(|| vec![root])
    }

    fn taille(&self, root: u32) -> usize {
        self.membres.get(&root).map_or(1, Vec::len)
    }

    fn unir(&mut self, ra: u32, rb: u32) {
        let (grand, petit) = if self.taille(ra) >= self.taille(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let petits = self.membres.remove(&petit).unwrap_or_else(|| vec![petit]);
        self.parent[petit as usize] = grand;
        let entry = self.membres.entry(grand).or_insert_with(|| vec![grand]);
        entry.extend(petits);
    }
}

/// Builds groups over `n` records. `paires` are accepted pairs `(score, i, j)`; `score` scores
/// any pair (for the anti-chaining check). Returns the groups of at least two records, each
/// sorted, and the counts.
pub(crate) fn construire(
    n: usize,
    mut paires: Vec<(f64, u32, u32)>,
    confirmees: &[(u32, u32)],
    refusees: &[(u32, u32)],
    regles: &Regles,
    score: impl Fn(u32, u32) -> f64,
) -> (Vec<Vec<u32>>, StatsGroupes) {
    let mut stats = StatsGroupes::default();
    let mut uf = UnionFind::new(n);
    let mut refus: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(a, b) in refusees {
        if a != b {
            refus.entry(a).or_default().push(b);
            refus.entry(b).or_default().push(a);
        }
    }
    let refus_entre = |uf: &mut UnionFind, ra: u32, rb: u32| -> bool {
        if refus.is_empty() {
            return false;
        }
        let (petit, autre) = if uf.taille(ra) <= uf.taille(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        for m in uf.membres(petit) {
            if let Some(rs) = refus.get(&m) {
                for &r in rs {
                    if uf.find(r) == autre {
                        return true;
                    }
                }
            }
        }
        false
    };

    let mut confirmees: Vec<(u32, u32)> = confirmees
        .iter()
        .map(|&(a, b)| if a <= b { (a, b) } else { (b, a) })
        .collect();
    confirmees.sort_unstable();
    confirmees.dedup();
    for (a, b) in confirmees {
        let (ra, rb) = (uf.find(a), uf.find(b));
        if ra == rb {
            continue;
        }
        if refus_entre(&mut uf, ra, rb) {
            stats.conflits_decisions += 1;
            continue;
        }
        uf.unir(ra, rb);
    }

    paires.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    for (_, a, b) in paires {
        let (ra, rb) = (uf.find(a), uf.find(b));
        if ra == rb {
            continue;
        }
        if refus_entre(&mut uf, ra, rb) {
            stats.unions_refusees_decision += 1;
            continue;
        }
        let (ta, tb) = (uf.taille(ra), uf.taille(rb));
        if ta + tb > regles.taille_max {
            stats.unions_refusees_taille += 1;
            continue;
        }
        if ta > 1 || tb > 1 {
            let (ma, mb) = (uf.membres(ra), uf.membres(rb));
            let mut somme = 0.0;
            let mut min = f64::INFINITY;
            for &x in &ma {
                for &y in &mb {
                    let s = score(x, y);
                    somme += s;
                    min = min.min(s);
                }
            }
            stats.liaisons_evaluees += ma.len() * mb.len();
            let moyenne = somme / (ma.len() * mb.len()) as f64;
            if min < regles.liaison_min || moyenne < regles.liaison_moyenne_min {
                stats.unions_refusees_chainage += 1;
                continue;
            }
        }
        uf.unir(ra, rb);
    }

    let mut groupes: Vec<Vec<u32>> = uf
        .membres
        .into_values()
        .filter(|m| m.len() >= 2)
        .map(|mut m| {
            m.sort_unstable();
            m
        })
        .collect();
    groupes.sort_unstable();
    (groupes, stats)
}
