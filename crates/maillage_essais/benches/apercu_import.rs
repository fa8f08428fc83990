//! The back office's preview of an import (`/espace/lieux/import/{jeton}`): what a
//! coordinator waits for after uploading a file. A source already holds 10,000 places
//! (SQLite, in memory); the new file of 10,000 rows changes 1,000 of them, drops 500 and
//! adds 500. Measured: [`gestion::calculer_apercu`] — reading the CSV with the importer
//! (checks, referential), the source's active records read by pages, the counts and the
//! examples. Target: under 1 s.
//!
//! ```text
//! cargo bench -p maillage_essais --bench apercu_import
//! cargo test -p maillage_essais --bench apercu_import   # once, in debug: does it run?
//! ```

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use maillage_annuaire::annuaire::{Annuaire, DemandeImport, RegleRetrait};
use maillage_annuaire::gestion::{self, Perimetre};
use tokio::runtime::Runtime;

const LIGNES: usize = 10_000;

/// Communes of the Haute-Garonne with their postal code and centre: the rows are spread
/// around them.
const COMMUNES: [(&str, &str, f64, f64); 4] = [
    ("Toulouse", "31000", 43.6045, 1.4440),
    ("Muret", "31600", 43.4614, 1.3270),
    ("Colomiers", "31770", 43.6115, 1.3350),
    ("Blagnac", "31700", 43.6363, 1.3900),
];

/// A v1 CSV of `n` rows from `debut`; the rows `modifies` get another name.
fn fichier(debut: usize, n: usize, modifies: std::ops::Range<usize>) -> Vec<u8> {
    let mut s =
        String::from("id,nom,adresse,code_postal,commune,latitude,longitude,telephone,date_maj\n");
    for i in debut..debut + n {
        let (commune, cp, lat, lon) = COMMUNES[i % COMMUNES.len()];
        let d = (i / COMMUNES.len()) as f64;
        let nom = if modifies.contains(&i) {
            format!("Espace numérique nº {i} (nouveau nom)")
        } else {
            format!("Espace numérique nº {i}")
        };
        s.push_str(&format!(
            "lieu-{i},{nom},{} rue de la République,{cp},{commune},{:.5},{:.5},05 61 {:02} {:02} {:02},2026-09-01\n",
            i % 200 + 1,
            lat + (d % 50.0) * 0.0004,
            lon + (d / 50.0).floor() * 0.0004,
            i % 100,
            (i / 100) % 100,
            (i / 10_000) % 100,
        ));
    }
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let annuaire: Annuaire = rt.block_on(async {
        let instance = maillage_cli::stockage::ouvrir("sqlite::memory:")
            .await
            .expect("store");
        let annuaire = instance.annuaire().clone();
        annuaire
            .importer_avec(
                DemandeImport {
                    source: "reseau".into(),
                    format: None,
                    nom_fichier: "reseau.csv".into(),
                    contenu: fichier(0, LIGNES, 0..0),
                },
                RegleRetrait::default(),
            )
            .await
            .expect("first import");
        annuaire
    });
    let nouveau = fichier(500, LIGNES, 500..1_500);
    let perimetre = Perimetre::tout();
    let mut g = c.benchmark_group("apercu_import");
    g.sample_size(10);
    g.throughput(Throughput::Elements(LIGNES as u64));
    g.bench_function("10000_lignes", |b| {
        b.iter(|| {
            let a = rt
                .block_on(gestion::calculer_apercu(
                    &annuaire,
                    &perimetre,
                    "reseau",
                    None,
                    "reseau.csv",
                    &nouveau,
                    RegleRetrait::default(),
                ))
                .expect("preview");
            assert_eq!((a.ajoutes, a.modifies, a.retires), (500, 1_000, 500));
            a
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
