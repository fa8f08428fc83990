//! Import + duplicate detection of the five real shared sources (7,934 records), the way
//! `maillage import` reads them (format detection, v0→v1 mapping, hours, referential).
//!
//! ```text
//! cargo bench -p maillage_annuaire --bench import_dedup
//! ```
//!
//! Needs `../shared/data/lieux` beside the repository.

use criterion::{criterion_group, criterion_main, Criterion};
use maillage_annuaire::annuaire::SOURCES_DEMO;
use maillage_annuaire::doublons::{dedupliquer_possede, OptionsDoublons};
use maillage_annuaire::import::{date_dans_nom, detecter, lire, OptionsImport};
use maillage_territoire::Referentiel;
use std::hint::black_box;
use std::path::PathBuf;

fn sources_reelles(c: &mut Criterion) {
    let dossier = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/lieux");
    let fichiers: Vec<(&str, &str, Vec<u8>)> = SOURCES_DEMO
        .iter()
        .map(|(s, f, _)| (*s, *f, std::fs::read(dossier.join(f)).expect("shared data")))
        .collect();
    let referentiel = Referentiel::embedded();
    let mut g = c.benchmark_group("sources_reelles");
    g.sample_size(20);
    g.bench_function("import_et_doublons", |b| {
        b.iter(|| {
            let mut lieux = Vec::new();
            for (source, nom, bytes) in &fichiers {
                let options = OptionsImport {
                    date_maj_par_defaut: date_dans_nom(nom),
                };
                let format = detecter(bytes).expect("format");
                let lecture = lire(source, format, bytes, &options, referentiel).expect("lire");
                lieux.extend(lecture.lieux);
            }
            black_box(dedupliquer_possede(lieux, &[], &OptionsDoublons::default()))
        })
    });
    g.finish();
}

criterion_group!(benches, sources_reelles);
criterion_main!(benches);
