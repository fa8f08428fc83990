//! A fixed-size set of place indexes, one bit per place.

/// A set of indexes in `0..len`, 64 per word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bitset {
    mots: Vec<u64>,
    len: usize,
}

impl Bitset {
    /// The empty set over `0..len`.
    pub(crate) fn vide(len: usize) -> Self {
        Self {
            mots: vec![0; len.div_ceil(64)],
            len,
        }
    }

    #[inline]
    pub(crate) fn inserer(&mut self, i: usize) {
        if i >= self.len {
            return;
        }
        if let Some(m) = self.mots.get_mut(i / 64) {
            *m |= 1u64 << (i % 64);
        }
    }

    #[inline]
    pub(crate) fn contient(&self, i: usize) -> bool {
        self.mots
            .get(i / 64)
            .is_some_and(|m| m & (1u64 << (i % 64)) != 0)
    }

    /// Adds every index of `debut..fin`.
    pub(crate) fn inserer_plage(&mut self, debut: usize, fin: usize) {
        let fin = fin.min(self.len);
        if debut >= fin {
            return;
        }
        let (m0, m1) = (debut / 64, (fin - 1) / 64);
        let masque_debut = u64::MAX << (debut % 64);
        let masque_fin = u64::MAX >> (63 - (fin - 1) % 64);
        if m0 == m1 {
            self.mots[m0] |= masque_debut & masque_fin;
            return;
        }
        self.mots[m0] |= masque_debut;
        for m in &mut self.mots[m0 + 1..m1] {
            *m = u64::MAX;
        }
        self.mots[m1] |= masque_fin;
    }

    /// `self ∩= autre` (sets of the same length).
    pub(crate) fn et(&mut self, autre: &Bitset) {
        for (a, b) in self.mots.iter_mut().zip(&autre.mots) {
            *a &= *b;
        }
    }

    /// `self ∪= autre` (sets of the same length).
    pub(crate) fn ou(&mut self, autre: &Bitset) {
        for (a, b) in self.mots.iter_mut().zip(&autre.mots) {
            *a |= *b;
        }
    }

    /// Number of indexes in the set.
    pub(crate) fn compter(&self) -> usize {
        self.mots.iter().map(|m| m.count_ones() as usize).sum()
    }

    /// The indexes, increasing.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.mots.iter().enumerate().flat_map(|(k, &m)| {
            let mut m = m;
            std::iter::from_fn(move || {
                if m == 0 {
                    return None;
                }
                let bit = m.trailing_zeros() as usize;
                m &= m - 1;
                Some(k * 64 + bit)
            })
        })
    }

    /// Bytes used.
    pub(crate) fn octets(&self) -> usize {
        self.mots.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ignores_indexes_past_the_end() {
        let mut b = Bitset::vide(1);
        b.inserer(1);
        b.inserer(64);
        assert_eq!(b.compter(), 0);
        assert!(!b.contient(1));
    }

    proptest! {
        #[test]
        fn behaves_like_a_set(
            len in 0usize..300,
            a in prop::collection::vec(0usize..300, 0..50),
            b in prop::collection::vec(0usize..300, 0..50),
            plage in (0usize..310, 0usize..310),
        ) {
            let sa: std::collections::BTreeSet<usize> = a.iter().copied().filter(|&i| i < len).collect();
            let sb: std::collections::BTreeSet<usize> = b.iter().copied().filter(|&i| i < len).collect();
            let mut ba = Bitset::vide(len);
            for &i in &a { ba.inserer(i); }
            let mut bb = Bitset::vide(len);
            for &i in &b { bb.inserer(i); }
            prop_assert_eq!(ba.iter().collect::<Vec<_>>(), sa.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(ba.compter(), sa.len());
            let mut inter = ba.clone();
            inter.et(&bb);
            prop_assert_eq!(inter.iter().collect::<Vec<_>>(), sa.intersection(&sb).copied().collect::<Vec<_>>());
            let mut union = ba.clone();
            union.ou(&bb);
            prop_assert_eq!(union.iter().collect::<Vec<_>>(), sa.union(&sb).copied().collect::<Vec<_>>());
            let mut p = Bitset::vide(len);
            p.inserer_plage(plage.0, plage.1);
            let attendu: Vec<usize> = (plage.0..plage.1.min(len)).collect();
            prop_assert_eq!(p.iter().collect::<Vec<_>>(), attendu);
            for i in 0..len + 3 {
                prop_assert_eq!(ba.contient(i), sa.contains(&i));
            }
        }
    }
}
