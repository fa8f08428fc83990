//! Stable public ids of the published places (see `docs/LIEUX.md`, « Identifiants stables »).
//!
//! The merge ([`crate::doublons`]) names a group after its smallest member ref; that name
//! changes when the group changes. The re-merge keeps instead, for every group, the id its
//! records were published under, with these rules:
//!
//! - each id ever given has a *main record* (the smallest member ref when it was first
//!   given) and the time it was first given;
//! - an id belongs to the group holding its main record; if that record is gone, to the
//!   group holding the smallest of its former members still present; if none is left, to
//!   no group (the place is gone);
//! - a group holding several ids keeps the oldest (first given earliest, then the smallest
//!   id): when groups merge, the oldest id stays and the others redirect to it;
//! - a group holding none gets a new id (after a split, the part without the main record;
//!   a new place): `"lieu-"` + sha256 of its smallest ref, as the merge names it, or of that
//!   ref with `#2`, `#3`… if the name was already given once;
//! - an id that stops naming a place redirects to the id of the group that holds it;
//!   redirects are followed to the end when stored, so one lookup gives the current id; an
//!   id naming a place again (a split undone) stops redirecting.
//!
//! [`Attribution`] applies these rules during the re-merge: it is built from the stored
//! state and the refs present, gives each group its id as the group is assembled
//! ([`Attribution::attribuer`]), and ends with the changes to store
//! ([`Attribution::terminer`]), written in the same transaction as the places.

use crate::doublons::identifiant;
use crate::doublons::normalisation::hacher;
use chrono::{DateTime, Utc};
use maillage_store::{LieuIdsChanges, LieuIdsState};
use std::collections::{HashMap, HashSet};

/// One id ever given.
#[derive(Debug, Clone)]
struct Info {
    id: String,
    main_ref: String,
    first_given: DateTime<Utc>,
    /// Given during this re-merge.
    nouveau: bool,
}

/// The ids of one re-merge: see the module's documentation.
#[derive(Debug)]
pub struct Attribution {
    ids: Vec<Info>,
    index: HashMap<String, u32>,
    /// The id each ref was last published under (stored).
    membres: HashMap<String, u32>,
    /// Stored redirects: old → current.
    redirections: HashMap<u32, u32>,
    /// Ref → the ids it holds (see the rules).
    proprietaires: HashMap<String, Vec<u32>>,
    /// Changes to store.
    membres_changes: Vec<(String, String)>,
    /// Ids that name a place after this re-merge.
    vivants: HashSet<u32>,
    /// Ids that must redirect after this re-merge (not-kept ids of a group): old → current.
    nouvelles_redirections: HashMap<u32, u32>,
    at: DateTime<Utc>,
}

/// The hash of a ref kept for the refs present ([`Attribution::nouvelle`]).
pub fn empreinte_ref(reference: &str) -> u64 {
    hacher(&[reference.as_bytes()])
}

impl Attribution {
    /// Prepares the ids of a re-merge from the stored state and the hashes
    /// ([`empreinte_ref`]) of the refs of every active record.
    pub fn nouvelle(etat: LieuIdsState, presents: &HashSet<u64>, at: DateTime<Utc>) -> Self {
        let mut ids: Vec<Info> = Vec::with_capacity(etat.ids.len());
        let mut index: HashMap<String, u32> = HashMap::with_capacity(etat.ids.len());
        for row in etat.ids {
            index.insert(row.id.clone(), ids.len() as u32);
            ids.push(Info {
                id: row.id,
                main_ref: row.main_ref,
                first_given: row.first_given,
                nouveau: false,
            });
        }
        let mut membres: HashMap<String, u32> = HashMap::with_capacity(etat.members.len());
        // Smallest present former member of each id.
        let mut plus_petit: HashMap<u32, &str> = HashMap::new();
        let lignes = etat.members;
        for (r, id) in &lignes {
            let Some(&k) = index.get(id) else {
                continue;
            };
            if presents.contains(&empreinte_ref(r)) {
                let e = plus_petit.entry(k).or_insert(r.as_str());
                if r.as_str() < *e {
                    *e = r.as_str();
                }
            }
        }
        let mut proprietaires: HashMap<String, Vec<u32>> = HashMap::new();
        for (k, info) in ids.iter().enumerate() {
            let k = k as u32;
            let proprietaire = if presents.contains(&empreinte_ref(&info.main_ref)) {
                Some(info.main_ref.as_str())
            } else {
                plus_petit.get(&k).copied()
            };
            if let Some(r) = proprietaire {
                proprietaires.entry(r.to_string()).or_default().push(k);
            }
        }
        drop(plus_petit);
        for (r, id) in lignes {
            if let Some(&k) = index.get(&id) {
                membres.insert(r, k);
            }
        }
        let mut redirections = HashMap::with_capacity(etat.redirects.len());
        for (ancien, courant) in &etat.redirects {
            if let (Some(&a), Some(&c)) = (index.get(ancien), index.get(courant)) {
                redirections.insert(a, c);
            }
        }
        Attribution {
            ids,
            index,
            membres,
            redirections,
            proprietaires,
            membres_changes: Vec::new(),
            vivants: HashSet::new(),
            nouvelles_redirections: HashMap::new(),
            at,
        }
    }

    /// The id of the group of records `membres` (each ref once; every ref of the re-merge
    /// in exactly one group). Call it once per published place.
    pub fn attribuer(&mut self, membres: &[String]) -> String {
        let mut tenus: Vec<u32> = Vec::new();
        for r in membres {
            if let Some(ks) = self.proprietaires.get(r) {
                tenus.extend(ks.iter().copied());
            }
        }
        tenus.sort_unstable();
        tenus.dedup();
        let garde = tenus
            .iter()
            .copied()
            .min_by(|&a, &b| {
                let (a, b) = (&self.ids[a as usize], &self.ids[b as usize]);
                a.first_given.cmp(&b.first_given).then(a.id.cmp(&b.id))
            })
            .unwrap_or_else(|| self.donner(membres));
        for &k in &tenus {
            if k != garde {
                self.nouvelles_redirections.insert(k, garde);
            }
        }
        self.vivants.insert(garde);
        let id = self.ids[garde as usize].id.clone();
        for r in membres {
            if self.membres.get(r) != Some(&garde) {
                self.membres_changes.push((r.clone(), id.clone()));
            }
        }
        id
    }

    /// A new id for a group that holds none.
    fn donner(&mut self, membres: &[String]) -> u32 {
        let ancre = membres.iter().min().map(String::as_str).unwrap_or("");
        let mut id = identifiant(ancre);
        let mut n = 2u32;
        while self.index.contains_key(&id) {
            id = identifiant(&format!("{ancre}#{n}"));
            n += 1;
        }
        let k = self.ids.len() as u32;
        self.index.insert(id.clone(), k);
        self.ids.push(Info {
            id,
            main_ref: ancre.to_string(),
            first_given: self.at,
            nouveau: true,
        });
        k
    }

    /// The changes to store once every group has its id.
    pub fn terminer(self) -> LieuIdsChanges {
        let Attribution {
            ids,
            redirections,
            membres_changes,
            vivants,
            nouvelles_redirections,
            at,
            ..
        } = self;
        // Every redirect after this re-merge, before following chains: the stored ones
        // whose old id does not name a place again, and the new ones.
        let mut toutes: HashMap<u32, u32> = redirections
            .iter()
            .filter(|(a, _)| !vivants.contains(a))
            .map(|(&a, &c)| (a, c))
            .collect();
        toutes.extend(nouvelles_redirections.iter().map(|(&a, &c)| (a, c)));
        let fin = |mut k: u32| {
            // Chains end at a live id or a gone one; at most one step per id.
            for _ in 0..=toutes.len() {
                match toutes.get(&k) {
                    Some(&c) if c != k => k = c,
                    _ => break,
                }
            }
            k
        };
        let mut redirects: Vec<(String, String)> = Vec::new();
        for (&a, &c) in &toutes {
            let c = fin(c);
            if c == a {
                continue;
            }
            if redirections.get(&a) != Some(&c) {
                redirects.push((ids[a as usize].id.clone(), ids[c as usize].id.clone()));
            }
        }
        redirects.sort_unstable();
        let mut unredirect: Vec<String> = redirections
            .keys()
            .filter(|a| vivants.contains(a))
            .map(|&a| ids[a as usize].id.clone())
            .collect();
        unredirect.sort_unstable();
        let new_ids: Vec<(String, String)> = ids
            .iter()
            .filter(|i| i.nouveau)
            .map(|i| (i.id.clone(), i.main_ref.clone()))
            .collect();
        LieuIdsChanges {
            new_ids,
            members: membres_changes,
            redirects,
            unredirect,
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use maillage_store::LieuIdRow;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0)
            .single()
            .expect("time")
    }

    /// Applies changes to a state, as the store does.
    fn appliquer(etat: &mut LieuIdsState, c: &LieuIdsChanges) {
        for (id, m) in &c.new_ids {
            etat.ids.push(LieuIdRow {
                id: id.clone(),
                main_ref: m.clone(),
                first_given: c.at,
            });
        }
        etat.redirects.retain(|(a, _)| !c.unredirect.contains(a));
        for (a, b) in &c.redirects {
            etat.redirects.retain(|(x, _)| x != a);
            etat.redirects.push((a.clone(), b.clone()));
        }
        for (m, id) in &c.members {
            etat.members.retain(|(x, _)| x != m);
            etat.members.push((m.clone(), id.clone()));
        }
    }

    /// One re-merge of `groupes` at time `s`: the id of each group.
    fn fusion(etat: &mut LieuIdsState, groupes: &[&[&str]], s: i64) -> Vec<String> {
        let presents: HashSet<u64> = groupes
            .iter()
            .flat_map(|g| g.iter().map(|r| empreinte_ref(r)))
            .collect();
        let mut a = Attribution::nouvelle(etat.clone(), &presents, t(s));
        let ids = groupes
            .iter()
            .map(|g| a.attribuer(&g.iter().map(|r| r.to_string()).collect::<Vec<_>>()))
            .collect();
        let c = a.terminer();
        appliquer(etat, &c);
        ids
    }

    fn courant(etat: &LieuIdsState, id: &str) -> String {
        etat.redirects
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| id.to_string())
    }

    #[test]
    fn first_ids_are_the_merge_names_and_do_not_change_when_nothing_changes() {
        let mut e = LieuIdsState::default();
        let ids = fusion(&mut e, &[&["a#1", "b#1"], &["a#2"]], 0);
        assert_eq!(ids, vec![identifiant("a#1"), identifiant("a#2")]);
        let encore = fusion(&mut e, &[&["a#2"], &["a#1", "b#1"]], 10);
        assert_eq!(encore, vec![identifiant("a#2"), identifiant("a#1")]);
        assert!(e.redirects.is_empty());
    }

    #[test]
    fn a_merge_keeps_the_oldest_id_and_redirects_the_other() {
        let mut e = LieuIdsState::default();
        let avant = fusion(&mut e, &[&["z#1"]], 0);
        let recent = fusion(&mut e, &[&["z#1"], &["a#1"]], 10);
        // a#1's id is the newer one although its ref is smaller.
        let apres = fusion(&mut e, &[&["a#1", "z#1"]], 20);
        assert_eq!(apres[0], avant[0], "the oldest id is kept");
        assert_eq!(courant(&e, &recent[1]), avant[0]);
    }

    #[test]
    fn a_split_keeps_the_id_with_the_main_record_and_undoing_it_gives_the_old_id_back() {
        let mut e = LieuIdsState::default();
        let ids = fusion(&mut e, &[&["a#1"], &["b#1"]], 0);
        let fusionne = fusion(&mut e, &[&["a#1", "b#1"]], 10);
        // Both first given at once: the smaller id is the one kept.
        let (garde, autre) = if ids[0] < ids[1] {
            (&ids[0], &ids[1])
        } else {
            (&ids[1], &ids[0])
        };
        assert_eq!(&fusionne[0], garde);
        assert_eq!(&courant(&e, autre), garde);
        // Refused: split again. b#1 holds the main record of its former id.
        let separe = fusion(&mut e, &[&["a#1"], &["b#1"]], 20);
        assert_eq!(separe, ids);
        assert!(e.redirects.is_empty(), "{:?}", e.redirects);
        // A split of a group born merged: the part without the main record gets a new id.
        let mut e = LieuIdsState::default();
        let g = fusion(&mut e, &[&["a#1", "b#1", "c#1"]], 0);
        let s = fusion(&mut e, &[&["c#1", "b#1"], &["a#1"]], 10);
        assert_eq!(s[1], g[0]);
        assert_ne!(s[0], g[0]);
        assert_eq!(s[0], identifiant("b#1"));
    }

    #[test]
    fn chains_of_redirects_are_collapsed() {
        let mut e = LieuIdsState::default();
        let a = fusion(&mut e, &[&["a#1"]], 0)[0].clone();
        let b = fusion(&mut e, &[&["a#1"], &["b#1"]], 10)[1].clone();
        let c = fusion(&mut e, &[&["a#1"], &["b#1"], &["c#1"]], 20)[2].clone();
        fusion(&mut e, &[&["a#1"], &["b#1", "c#1"]], 30);
        assert_eq!(courant(&e, &c), b);
        fusion(&mut e, &[&["a#1", "b#1", "c#1"]], 40);
        assert_eq!(courant(&e, &c), a);
        assert_eq!(courant(&e, &b), a);
    }

    #[test]
    fn a_record_retired_then_imported_again_finds_its_id_back() {
        let mut e = LieuIdsState::default();
        let a = fusion(&mut e, &[&["a#1"], &["b#1"]], 0);
        let k = fusion(&mut e, &[&["a#1", "b#1"]], 10)[0].clone();
        // Same first time: the smaller id is kept.
        assert_eq!(k, a[0].clone().min(a[1].clone()));
        // a#1 retired: b#1 alone keeps the id of the merged place.
        let seul = fusion(&mut e, &[&["b#1"]], 20);
        assert_eq!(seul[0], k);
        // a#1 imported again, alone: each main record takes its id back.
        let retour = fusion(&mut e, &[&["a#1"], &["b#1"]], 30);
        assert_eq!(retour, a);
        assert!(e.redirects.is_empty(), "{:?}", e.redirects);
    }

    #[test]
    fn the_id_follows_its_main_record_and_a_name_is_never_given_twice() {
        let mut e = LieuIdsState::default();
        let a = fusion(&mut e, &[&["a#1", "b#1"]], 0)[0].clone();
        assert_eq!(a, identifiant("a#1"));
        // a#1 retired: the smallest former member left holds the id.
        let x = fusion(&mut e, &[&["b#1", "c#1"], &["a#2"]], 10);
        assert_eq!(x[0], a);
        // a#1 back in another group: the main record takes the id; the other group gets the
        // name of its smallest ref.
        let y = fusion(&mut e, &[&["b#1", "c#1"], &["a#2"], &["a#1", "d#1"]], 20);
        assert_eq!(y[2], a);
        assert_eq!(y[0], identifiant("b#1"));
        // Split after a merge: each main record takes its id back.
        let mut e = LieuIdsState::default();
        fusion(&mut e, &[&["a#1"], &["b#1"]], 0);
        fusion(&mut e, &[&["a#1", "b#1"]], 10);
        // b#1 leaves: it holds its own former id back (main record), no new name needed.
        let z = fusion(&mut e, &[&["a#1"], &["b#1"]], 20);
        assert_eq!(z, vec![identifiant("a#1"), identifiant("b#1")]);
        let mut e = LieuIdsState::default();
        fusion(&mut e, &[&["a#1", "b#1"]], 0);
        // Split of a group born merged: b#1 alone needs a name, sha(b#1), never given.
        let w = fusion(&mut e, &[&["a#1"], &["b#1"]], 10);
        assert_eq!(w, vec![identifiant("a#1"), identifiant("b#1")]);
        // b#1 joins a#1 again: b#1's id redirects to a#1's (older).
        fusion(&mut e, &[&["a#1", "b#1"]], 20);
        assert_eq!(courant(&e, &identifiant("b#1")), identifiant("a#1"));
        // a#1 retired, then a new record b#0 joins b#1: the group holds the id of a#1 (b#1
        // is its smallest former member present) and sha(b#0) is free.
        let v = fusion(&mut e, &[&["b#0", "b#1"]], 30);
        assert_eq!(v[0], identifiant("a#1"));
        // a#1 back alone: it takes its id back; the group {b#0, b#1} holds b#1's old id
        // (main record b#1), which stops redirecting.
        let u = fusion(&mut e, &[&["b#0", "b#1"], &["a#1"]], 40);
        assert_eq!(u, vec![identifiant("b#1"), identifiant("a#1")]);
        assert!(e.redirects.is_empty(), "{:?}", e.redirects);
        // The main record retired: the id stays with the rest of its group.
        let mut e = LieuIdsState::default();
        fusion(&mut e, &[&["c#1"]], 0);
        fusion(&mut e, &[&["c#1", "d#1"]], 10);
        let s = fusion(&mut e, &[&["d#1"], &["c#0", "e#1"]], 20);
        assert_eq!(s[0], identifiant("c#1"));
        assert_eq!(s[1], identifiant("c#0"));
    }

    #[test]
    fn the_suffixed_name_when_the_natural_one_was_given() {
        let mut e = LieuIdsState::default();
        fusion(&mut e, &[&["a#1", "b#1"]], 0);
        fusion(&mut e, &[&["b#1"]], 10);
        let mut a = Attribution::nouvelle(e.clone(), &HashSet::new(), t(20));
        // No ref present: nobody holds anything; a group {a#1} needs a new name.
        let id = a.attribuer(&["a#1".to_string()]);
        assert_eq!(id, identifiant("a#1#2"));
        let c = a.terminer();
        assert_eq!(c.new_ids, vec![(id, "a#1".to_string())]);
    }
}
