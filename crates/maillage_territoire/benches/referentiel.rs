//! Cost of the embedded referential: parsing at first use, and the lookups
//! done per request or per imported row.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use maillage_geo::Point;
use maillage_territoire::Referentiel;

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("load_embedded", |b| {
        b.iter(|| Referentiel::load_embedded().expect("embedded referential is valid"))
    });
    group.bench_function("load_embedded_and_nearest_index", |b| {
        let point = Point::new(43.6045, 1.4440).expect("valid point");
        b.iter(|| {
            let referentiel = Referentiel::load_embedded().expect("embedded referential is valid");
            black_box(
                referentiel
                    .commune_la_plus_proche(point)
                    .map(|c| c.code_insee.len()),
            );
        })
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let referentiel = Referentiel::embedded();
    let capitole = Point::new(43.6045, 1.4440).expect("valid point");
    // Build the lazy spatial index outside the measurements.
    black_box(referentiel.commune_la_plus_proche(capitole));

    c.bench_function("commune_by_code", |b| {
        b.iter(|| referentiel.commune(black_box("31555")))
    });
    c.bench_function("rechercher_saint_10", |b| {
        b.iter(|| referentiel.rechercher(black_box("saint"), 10))
    });
    c.bench_function("rechercher_st_et_10", |b| {
        b.iter(|| referentiel.rechercher(black_box("st et"), 10))
    });
    c.bench_function("rechercher_s_10", |b| {
        b.iter(|| referentiel.rechercher(black_box("s"), 10))
    });
    c.bench_function("resoudre_marseille_11", |b| {
        b.iter(|| referentiel.resoudre(black_box(Some("13011")), black_box(Some("MARSEILLE 11"))))
    });
    c.bench_function("resoudre_aix_les_bains", |b| {
        b.iter(|| referentiel.resoudre(black_box(Some("73100")), black_box(Some("Aix les bains"))))
    });
    c.bench_function("resoudre_wrong_postal_code", |b| {
        b.iter(|| referentiel.resoudre(black_box(Some("54042")), black_box(Some("NANCY CEDEX"))))
    });
    c.bench_function("commune_la_plus_proche", |b| {
        b.iter(|| referentiel.commune_la_plus_proche(black_box(capitole)))
    });
}

criterion_group!(benches, load, lookups);
criterion_main!(benches);
