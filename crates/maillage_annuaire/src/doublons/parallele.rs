//! A minimal fork-join over index ranges (std threads, no extra dependency).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Number of threads to use: `demande`, or the machine's parallelism when 0.
pub(crate) fn nombre_threads(demande: usize) -> usize {
    if demande > 0 {
        demande
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs `f` over `0..n` cut into chunks, on `threads` threads, and concatenates the results
/// in chunk order (so the output does not depend on scheduling).
pub(crate) fn en_parallele<T, F>(n: usize, threads: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(Range<usize>) -> Vec<T> + Sync,
{
    let mut out = Vec::new();
    en_parallele_vers(n, threads, f, &mut out);
    out
}

/// [`en_parallele`] appending the results to `sortie` (in chunk order), so that a vector
/// reserved once receives them without a copy of its own.
pub(crate) fn en_parallele_vers<T, F>(n: usize, threads: usize, f: F, sortie: &mut Vec<T>)
where
    T: Send,
    F: Fn(Range<usize>) -> Vec<T> + Sync,
{
    const MORCEAU_MIN: usize = 2048;
    if threads <= 1 || n <= MORCEAU_MIN {
        let r = f(0..n);
        if sortie.is_empty() && sortie.capacity() < r.len() {
            *sortie = r;
        } else {
            sortie.extend(r);
        }
        return;
    }
    let morceaux = (threads * 8).min(n.div_ceil(MORCEAU_MIN)).max(1);
    let taille = n.div_ceil(morceaux);
    let suivant = AtomicUsize::new(0);
    let resultats: Mutex<Vec<(usize, Vec<T>)>> = Mutex::new(Vec::with_capacity(morceaux));
    std::thread::scope(|s| {
        for _ in 0..threads.min(morceaux) {
            s.spawn(|| loop {
                let k = suivant.fetch_add(1, Ordering::Relaxed);
                if k >= morceaux {
                    break;
                }
                let debut = k * taille;
                let fin = ((k + 1) * taille).min(n);
                let r = f(debut..fin);
                if let Ok(mut v) = resultats.lock() {
                    v.push((k, r));
                }
            });
        }
    });
    let mut resultats = resultats.into_inner().unwrap_or_else(|e| e.into_inner());
    resultats.sort_unstable_by_key(|(k, _)| *k);
    let total: usize = resultats.iter().map(|(_, v)| v.len()).sum();
    sortie.reserve(total);
    for (_, v) in resultats {
        sortie.extend(v);
    }
}
