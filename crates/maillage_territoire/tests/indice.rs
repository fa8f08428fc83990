//! The fragility index recomputed by hand from the raw CSV numbers, the
//! decile bins, the flags and the aggregation weights.

use std::collections::HashMap;
use std::io::Read;

use maillage_territoire::indice::{
    calculer, Configuration, DonneesIndicateurs, Echelon, Indicateur, Indice, Ponderation, Statut,
};
use maillage_territoire::{embedded_indicateurs_communes_csv, Referentiel};

/// Indicators in the order of the CSV columns used by the test.
const COLONNES: [(&str, Indicateur); 7] = [
    ("part_sans_diplome_15_plus", Indicateur::SansDiplome),
    ("part_65_plus_parmi_15_plus", Indicateur::Plus65Ans),
    ("part_menages_une_personne", Indicateur::MenagesUnePersonne),
    (
        "part_familles_monoparentales",
        Indicateur::FamillesMonoparentales,
    ),
    ("couverture_thd", Indicateur::NonCouvertureThd),
    ("taux_pauvrete", Indicateur::Pauvrete),
    ("part_moins_25_parmi_15_plus", Indicateur::Moins25Ans),
];

/// The six indicators of the deciles index.
const SIX: [Indicateur; 6] = [
    Indicateur::SansDiplome,
    Indicateur::Plus65Ans,
    Indicateur::MenagesUnePersonne,
    Indicateur::FamillesMonoparentales,
    Indicateur::NonCouvertureThd,
    Indicateur::Pauvrete,
];

fn deciles() -> &'static Indice<'static> {
    static INDICE: std::sync::OnceLock<Indice<'static>> = std::sync::OnceLock::new();
    INDICE.get_or_init(|| calculer(DonneesIndicateurs::embedded(), &Configuration::deciles()))
}

/// The raw file, as rows of strings, by the test's own plain reading.
fn brut() -> Vec<HashMap<String, String>> {
    let mut text = String::new();
    embedded_indicateurs_communes_csv()
        .read_to_string(&mut text)
        .expect("readable");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Per current commune, the values by hand: rows grouped by
/// `code_insee_actuel`, plain mean of the rows having a value, except
/// population-weighted for Paris, Lyon and Marseille (arrondissements).
fn valeurs_a_la_main() -> HashMap<String, [Option<f64>; 7]> {
    let referentiel = Referentiel::embedded();
    let mut groupes: HashMap<String, Vec<HashMap<String, String>>> = HashMap::new();
    for row in brut() {
        let actuel = row["code_insee_actuel"].clone();
        if !actuel.is_empty() && referentiel.commune(&actuel).is_some() {
            groupes.entry(actuel).or_default().push(row);
        }
    }
    groupes
        .into_iter()
        .map(|(code, rows)| {
            let population = |r: &HashMap<String, String>| -> Option<f64> {
                let c = &r["code_insee"];
                referentiel
                    .arrondissement(c)
                    .map(|a| f64::from(a.population))
                    .or_else(|| {
                        (c == &code).then(|| f64::from(referentiel.commune(c).unwrap().population))
                    })
                    .filter(|p| *p > 0.0)
            };
            let par_population = rows.len() > 1 && rows.iter().all(|r| population(r).is_some());
            let mut valeurs = [None; 7];
            for (rang, (colonne, indicateur)) in COLONNES.iter().enumerate() {
                let mut somme = 0.0;
                let mut poids = 0.0;
                for r in &rows {
                    if r[*colonne].is_empty() {
                        continue;
                    }
                    let mut v: f64 = r[*colonne].parse().unwrap();
                    if *indicateur == Indicateur::NonCouvertureThd {
                        v = 100.0 - v;
                    }
                    let w = if par_population {
                        population(r).unwrap()
                    } else {
                        1.0
                    };
                    somme += w * v;
                    poids += w;
                }
                if poids > 0.0 {
                    valeurs[rang] = Some(somme / poids);
                }
            }
            (code, valeurs)
        })
        .collect()
}

fn rang(indicateur: Indicateur) -> usize {
    COLONNES.iter().position(|(_, i)| *i == indicateur).unwrap()
}

/// Decile score by hand: mid-rank percentile p = (below + equal / 2) / n,
/// score = 1 + floor(10 p), at most 10.
fn score_a_la_main(distribution: &[f64], v: f64) -> f64 {
    let n = distribution.len() as f64;
    let below = distribution.iter().filter(|x| **x < v).count() as f64;
    let equal = distribution.iter().filter(|x| **x == v).count() as f64;
    let p = (below + equal / 2.0) / n;
    ((10.0 * p).floor() + 1.0).min(10.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn raw_values_of_named_communes_as_in_the_csv() {
    let donnees = DonneesIndicateurs::embedded();
    // Toulouse: one row, copied from the CSV.
    let toulouse = donnees.commune("31555").unwrap();
    assert_eq!(toulouse.valeurs[Indicateur::SansDiplome], Some(25.34));
    assert_eq!(
        toulouse.valeurs[Indicateur::MenagesUnePersonne],
        Some(52.77)
    );
    assert_eq!(
        toulouse.valeurs[Indicateur::FamillesMonoparentales],
        Some(8.329)
    );
    assert_eq!(toulouse.valeurs[Indicateur::Plus65Ans], Some(15.27));
    assert_eq!(toulouse.valeurs[Indicateur::Moins25Ans], Some(24.55));
    assert!(close(
        toulouse.valeurs[Indicateur::NonCouvertureThd].unwrap(),
        100.0 - 12.87
    ));
    assert_eq!(toulouse.valeurs[Indicateur::Pauvrete], Some(32.63));
    assert_eq!(toulouse.ponderation, Ponderation::Unique);

    // Arvière-en-Valromey, merged in 2016 from 01453, 01059, 01097, 01218:
    // the census values are on the current code, THD on each former one.
    let arviere = donnees.commune("01453").unwrap();
    assert_eq!(arviere.codes_sources, ["01059", "01097", "01218", "01453"]);
    assert_eq!(arviere.ponderation, Ponderation::Egale);
    let thd = (14.29 + 100.0 + 75.0 + 51.4) / 4.0;
    assert!(close(
        arviere.valeurs[Indicateur::NonCouvertureThd].unwrap(),
        100.0 - thd
    ));
    assert_eq!(arviere.valeurs[Indicateur::SansDiplome], Some(55.21));
    assert_eq!(arviere.valeurs[Indicateur::Pauvrete], None);

    // Paris: census values per arrondissement, weighted by population.
    let paris = donnees.commune("75056").unwrap();
    assert_eq!(paris.ponderation, Ponderation::Population);
    assert_eq!(paris.codes_sources.len(), 21);
    let referentiel = Referentiel::embedded();
    let p1 = f64::from(referentiel.arrondissement("75101").unwrap().population);
    let p15 = f64::from(referentiel.arrondissement("75115").unwrap().population);
    let sans_diplome = paris.valeurs[Indicateur::SansDiplome].unwrap();
    // Between the extremes, and not the plain mean of 1er and 15e.
    assert!(sans_diplome > 10.0 && sans_diplome < 40.0);
    assert!(p15 > 10.0 * p1);
    assert!(close(
        paris.valeurs[Indicateur::NonCouvertureThd].unwrap(),
        100.0 - 3.138
    ));

    // 85 former codes have no current match.
    assert_eq!(donnees.codes_sans_correspondance().len(), 85);
}

#[test]
fn deciles_index_recomputed_by_hand_for_named_communes() {
    let referentiel = Referentiel::embedded();
    let valeurs = valeurs_a_la_main();
    let distributions: Vec<Vec<f64>> = (0..7)
        .map(|r| valeurs.values().filter_map(|v| v[r]).collect())
        .collect();
    let indice = deciles();
    // Toulouse; a small rural commune (L'Abergement-de-Varey, 270
    // inhabitants); a commune with poverty published (Ambérieu-en-Bugey);
    // a merged commune (Arvière-en-Valromey); L'Abergement-Clémenciat;
    // Paris (arrondissements).
    for code in ["31555", "01002", "01004", "01453", "01001", "75056"] {
        let commune = indice.commune(code).unwrap();
        assert_eq!(commune.statut, Statut::Calcule, "{code}");
        let mut somme = 0.0;
        for k in SIX {
            let brut = valeurs[code][rang(k)];
            let v = match brut {
                Some(v) => v,
                None => {
                    // Imputed: median of the observed values of the EPCI,
                    // else of the département.
                    let c = referentiel.commune(code).unwrap();
                    let epci: Vec<f64> = referentiel
                        .communes_of_epci(c.code_epci.as_deref().unwrap())
                        .iter()
                        .filter_map(|m| valeurs.get(&m.code_insee).and_then(|v| v[rang(k)]))
                        .collect();
                    let (v, echelon) = if epci.is_empty() {
                        let dep: Vec<f64> = referentiel
                            .communes_of_departement(&c.code_departement)
                            .iter()
                            .filter_map(|m| valeurs.get(&m.code_insee).and_then(|v| v[rang(k)]))
                            .collect();
                        (median(dep), Echelon::Departement)
                    } else {
                        (median(epci), Echelon::Epci)
                    };
                    let imputation = commune
                        .imputations()
                        .into_iter()
                        .find(|i| i.indicateur == k)
                        .unwrap_or_else(|| panic!("{code} {k} flagged as imputed"));
                    assert_eq!(imputation.echelon, echelon, "{code} {k}");
                    assert!(close(imputation.valeur, v), "{code} {k}");
                    v
                }
            };
            assert!(close(commune.valeurs[k].unwrap(), v), "{code} {k}");
            let score = score_a_la_main(&distributions[rang(k)], v);
            assert_eq!(commune.scores[k], Some(score), "{code} {k}");
            somme += score;
        }
        let attendu = somme / 6.0;
        assert!(close(commune.indice.unwrap(), attendu), "{code}");
    }
    // Values of the hand computation for Toulouse, spelled out: single
    // persons 52.77 % is in the top tenth, no diploma 25.34 % in the
    // bottom one.
    let toulouse = indice.commune("31555").unwrap();
    assert_eq!(toulouse.scores[Indicateur::MenagesUnePersonne], Some(10.0));
    assert_eq!(toulouse.scores[Indicateur::SansDiplome], Some(1.0));
    assert_eq!(toulouse.moteurs[0], Indicateur::MenagesUnePersonne);
    assert!(!toulouse.est_impute(Indicateur::Pauvrete));
    assert!(indice
        .commune("01453")
        .unwrap()
        .est_impute(Indicateur::Pauvrete));
}

#[test]
fn each_decile_bin_holds_about_a_tenth_of_communes() {
    let indice = deciles();
    for k in SIX {
        let observees: Vec<f64> = indice
            .communes
            .iter()
            .filter(|c| !c.est_impute(k))
            .filter_map(|c| c.scores[k])
            .collect();
        let n = observees.len() as f64;
        let mut bins = [0usize; 10];
        for s in &observees {
            assert!((1.0..=10.0).contains(s) && s.fract() == 0.0);
            bins[*s as usize - 1] += 1;
        }
        // Largest group of tied values, as a share.
        let mut values: Vec<f64> = indice
            .communes
            .iter()
            .filter(|c| !c.est_impute(k))
            .filter_map(|c| c.valeurs[k])
            .collect();
        values.sort_by(f64::total_cmp);
        let mut largest_tie = 0;
        let mut run = 0;
        for i in 0..values.len() {
            run = if i > 0 && values[i] == values[i - 1] {
                run + 1
            } else {
                1
            };
            largest_tie = largest_tie.max(run);
        }
        let tie = largest_tie as f64 / n;
        let total: usize = bins.iter().sum();
        assert_eq!(total as f64, n);
        let mut cumul = 0.0;
        for (d, count) in bins.iter().enumerate() {
            let share = *count as f64 / n;
            if tie < 0.01 {
                // Continuous indicators: 10 % each, within a point.
                assert!((share - 0.1).abs() < 0.01, "{k} bin {} {share}", d + 1);
            } else {
                // A large tie group fills the bin of its mid-rank alone.
                assert!(share <= 0.1 + tie + 0.01, "{k} bin {} {share}", d + 1);
            }
            cumul += share;
            // Bin d+1 never starts after (d+1) tenths, plus rounding and ties.
            assert!(cumul <= (d + 1) as f64 / 10.0 + tie + 0.01);
        }
        // The boundaries are increasing.
        let bornes = &indice.bornes_deciles[k];
        assert_eq!(bornes.len(), 9);
        assert!(bornes.windows(2).all(|w| w[0] <= w[1]), "{k}");
    }
}

#[test]
fn communes_without_data_are_flagged() {
    let indice = deciles();
    let noumea = indice.commune("98818").unwrap();
    assert_eq!(noumea.statut, Statut::SansDonnees);
    assert_eq!(noumea.indice, None);
    // Re-created in 2025 after a 2017 merger: no row.
    assert_eq!(indice.commune("15031").unwrap().statut, Statut::SansDonnees);
    // Mayotte: no census values in the file, only THD.
    let mamoudzou = indice.commune("97611").unwrap();
    assert_eq!(mamoudzou.statut, Statut::DonneesInsuffisantes);
    assert_eq!(mamoudzou.indice, None);
    assert!(mamoudzou.scores[Indicateur::NonCouvertureThd].is_some());
    let calcules = indice
        .communes
        .iter()
        .filter(|c| c.statut == Statut::Calcule)
        .count();
    assert!(calcules > 34_800, "{calcules}");
    // Poverty is imputed for most communes, and said so.
    let imputees = indice
        .communes
        .iter()
        .filter(|c| c.est_impute(Indicateur::Pauvrete))
        .count();
    assert!(imputees > 29_000, "{imputees}");
}

#[test]
fn aggregates_are_population_weighted_means() {
    let indice = deciles();
    let referentiel = Referentiel::embedded();
    // Toulouse Métropole, by hand.
    let membres = referentiel.communes_of_epci("243100518");
    let (mut somme, mut poids) = (0.0, 0.0);
    for m in &membres {
        let c = indice.commune(&m.code_insee).unwrap();
        somme += f64::from(c.population) * c.indice.unwrap();
        poids += f64::from(c.population);
    }
    let epcis = indice.agreger(Echelon::Epci);
    let tm = epcis
        .iter()
        .find(|a| a.code.as_deref() == Some("243100518"))
        .unwrap();
    assert!(close(tm.indice.unwrap(), somme / poids));
    assert_eq!(tm.nombre_communes, membres.len());
    assert_eq!(tm.population_avec_indice as f64, poids);
    // Toulouse weighs more than half of the metropolis: the aggregate is
    // nearer Toulouse's index than the plain mean is.
    let plain: f64 = membres
        .iter()
        .map(|m| indice.commune(&m.code_insee).unwrap().indice.unwrap())
        .sum::<f64>()
        / membres.len() as f64;
    let toulouse = indice.commune("31555").unwrap().indice.unwrap();
    assert!((tm.indice.unwrap() - toulouse).abs() < (plain - toulouse).abs());

    // Same figure through a territory.
    let territoire = referentiel.territoire("epci:243100518").unwrap();
    assert_eq!(indice.agregat_territoire(&territoire), *tm);

    // France: weighted mean over every commune with an index.
    let france = &indice.agreger(Echelon::France)[0];
    let (mut s, mut w) = (0.0, 0.0);
    for c in &indice.communes {
        if let Some(i) = c.indice {
            s += f64::from(c.population) * i;
            w += f64::from(c.population);
        }
    }
    assert!(close(france.indice.unwrap(), s / w));
    assert_eq!(france.nombre_communes, 34_969);
    assert_eq!(indice.agreger(Echelon::Region).len(), 18 + 8);
    let deps = indice.agreger(Echelon::Departement);
    let haute_garonne = deps
        .iter()
        .find(|a| a.code.as_deref() == Some("31"))
        .unwrap();
    assert!((1.0..=10.0).contains(&haute_garonne.indice.unwrap()));
}

#[test]
fn method_2019_recomputed_by_hand_against_the_epci_median() {
    let referentiel = Referentiel::embedded();
    let valeurs = valeurs_a_la_main();
    let indice = calculer(
        DonneesIndicateurs::embedded(),
        &Configuration::methode_2019(Echelon::Epci),
    );
    let membres = referentiel.communes_of_epci("243100518");
    let toulouse = indice.commune("31555").unwrap();
    let mut axes: HashMap<&str, Vec<f64>> = HashMap::new();
    for (_, k) in COLONNES {
        let observed: Vec<f64> = membres
            .iter()
            .filter_map(|m| valeurs.get(&m.code_insee).and_then(|v| v[rang(k)]))
            .collect();
        let m = median(observed);
        let score = 100.0 * valeurs["31555"][rang(k)].unwrap() / m;
        assert!(close(toulouse.scores[k].unwrap(), score), "{k}");
        let axe = match k {
            Indicateur::NonCouvertureThd | Indicateur::Pauvrete => "interfaces",
            Indicateur::MenagesUnePersonne | Indicateur::FamillesMonoparentales => "information",
            Indicateur::Moins25Ans => "administratives",
            Indicateur::SansDiplome | Indicateur::Plus65Ans => "numeriques",
        };
        axes.entry(axe).or_default().push(score);
    }
    let moyennes: Vec<f64> = axes
        .values()
        .map(|s| s.iter().sum::<f64>() / s.len() as f64)
        .collect();
    let attendu = moyennes.iter().sum::<f64>() / 4.0;
    assert!(close(toulouse.indice.unwrap(), attendu));
    assert_eq!(toulouse.axes.unwrap().len(), 4);
}

/// Issue « Première utilisation réelle », item 6: the estimated fragile population is
/// plausible (17 % of France, the national rate of « illectronisme »; Haute-Garonne between
/// 10 % and 20 %, not 54 %), and « non calculable » (`None`) for a territory without
/// indicators.
#[test]
fn premiere_utilisation_population_fragile_plausible() {
    use maillage_territoire::indice::TAUX_FRAGILE_NATIONAL;
    let referentiel = maillage_territoire::Referentiel::embedded();
    let indice = calculer(DonneesIndicateurs::embedded(), &Configuration::deciles());
    let france = indice.agregat_territoire(&maillage_territoire::Territoire::France);
    let part = france.population_fragile.unwrap() / france.population_avec_indice as f64;
    assert!((part - TAUX_FRAGILE_NATIONAL).abs() < 0.005, "{part}");
    let hg = indice.agregat_territoire(&referentiel.territoire("dep:31").unwrap());
    let part = hg.population_fragile.unwrap() / hg.population as f64;
    assert!((0.10..0.20).contains(&part), "Haute-Garonne {part}");
    for c in indice.communes.iter().filter(|c| c.indice.is_some()) {
        let p = indice.part_fragile(c).unwrap();
        assert!((0.0..=1.0).contains(&p), "{} {p}", c.code_insee);
    }
    // New Caledonia: no indicator is published.
    let nc = referentiel.territoire("dep:988").unwrap();
    let agregat = indice.agregat_territoire(&nc);
    assert!(agregat.nombre_communes > 0);
    assert_eq!(agregat.population_fragile, None);
}
