//! A small deterministic random generator for synthetic data (tests, benchmarks).

/// SplitMix64: small, fast, good enough for test data.
#[derive(Clone, Debug)]
pub struct Alea(u64);

impl Alea {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn suivant(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn reel(&mut self) -> f64 {
        (self.suivant() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn entier(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.suivant() % n
        }
    }

    pub fn proba(&mut self, p: f64) -> bool {
        self.reel() < p
    }

    /// One element of `v`, uniformly.
    ///
    /// # Panics
    ///
    /// When `v` is empty (callers pass fixed, non-empty lists).
    pub fn choisir<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.entier(v.len() as u64) as usize]
    }
}
