//! Per-answer cost of the self-assessment: choosing the next item, and scoring.
//! `cargo bench -p maillage_competences --bench competences`

use criterion::{criterion_group, criterion_main, Criterion};
use maillage_competences::simulation::{Alea, Personne};
use maillage_competences::{Banque, Evaluation, Referentiel};

fn bench(c: &mut Criterion) {
    let banque = Banque::embarquee();
    let referentiel = Referentiel::embarque();
    let vrais = banque.parametres(1).expect("v1");
    let mut alea = Alea::new(5);
    // A state in the middle of an assessment (10 answers) and a finished one.
    let p = Personne::tirer(&mut alea, referentiel.domaines.len());
    let (fini, _) = p
        .passer(banque, referentiel, &vrais, 1, &mut alea)
        .expect("passer");
    let mut milieu = fini.clone();
    milieu.reponses.truncate(10);
    let texte = fini.encoder();
    c.bench_function("prochaine question (10 réponses)", |b| {
        b.iter(|| milieu.suite(banque, referentiel).expect("suite"))
    });
    c.bench_function("résultat (évaluation finie)", |b| {
        b.iter(|| fini.resultat(banque, referentiel).expect("résultat"))
    });
    c.bench_function("lire l'état de la page puis choisir la question", |b| {
        b.iter(|| {
            let e = Evaluation::decoder(&texte, banque).expect("décoder");
            e.suite(banque, referentiel).expect("suite")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
