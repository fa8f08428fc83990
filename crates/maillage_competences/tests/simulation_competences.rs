//! Simulated people answering by the model (named so `cargo test simulation_competences`
//! runs them).

use maillage_competences::banque::Parametres;
use maillage_competences::calibration::{calibrer, Passation};
use maillage_competences::simulation::{Alea, Personne};
use maillage_competences::{Bande, Banque, Evaluation, Referentiel};

#[test]
fn simulation_competences_2000_personnes_bandes_justes_en_20_questions_au_plus() {
    let banque = Banque::embarquee();
    let referentiel = Referentiel::embarque();
    let vrais = banque.parametres(1).expect("v1");
    let mut alea = Alea::new(20261205);
    let (mut justes, mut a_un_pres, mut total, mut questions) = (0usize, 0usize, 0usize, 0usize);
    let mut pire_suite = 0;
    for k in 0..2000u32 {
        let p = Personne::tirer(&mut alea, referentiel.domaines.len());
        let (e, _) = p
            .passer(banque, referentiel, &vrais, k, &mut alea)
            .expect("passation");
        assert!(e.reponses.len() <= 20);
        questions += e.reponses.len();
        // Never more than three failures in a row.
        let mut suite = 0;
        for (id, r) in &e.reponses {
            let item = banque.item(id).expect("item");
            if maillage_competences::modele::echec(maillage_competences::modele::score(item, *r)) {
                suite += 1;
                pire_suite = pire_suite.max(suite);
            } else {
                suite = 0;
            }
        }
        let res = e.resultat(banque, referentiel).expect("résultat");
        for (d, r) in res.domaines.iter().enumerate() {
            let vraie = Bande::de_niveau(p.niveaux[d]);
            total += 1;
            if r.bande == vraie {
                justes += 1;
            }
            if (r.bande.niveau() as i32 - vraie.niveau() as i32).abs() <= 1 {
                a_un_pres += 1;
            }
        }
    }
    let part = a_un_pres as f64 / total as f64;
    let exacte = justes as f64 / total as f64;
    let moyenne = questions as f64 / 2000.0;
    println!("bande exacte {exacte:.3}, à une bande près {part:.3}, {moyenne:.1} questions en moyenne, pire suite d'échecs {pire_suite}");
    assert!(part >= 0.90, "à une bande près : {part}");
    assert!(moyenne <= 20.0, "{moyenne} questions");
    assert!(pire_suite <= 3);
}

#[test]
fn simulation_competences_etalonnage_retrouve_les_difficultes() {
    let banque = Banque::embarquee();
    let referentiel = Referentiel::embarque();
    let v1 = banque.parametres(1).expect("v1");
    // The items' true difficulties differ from the bundled ones.
    let mut alea = Alea::new(7);
    let vrais: Vec<Parametres> = v1
        .iter()
        .map(|p| Parametres {
            difficulte: p.difficulte + 0.5 * alea.normale(),
            discrimination: p.discrimination,
        })
        .collect();
    // 10,000 answers: people answering 20 items drawn at random (a calibration form).
    let mut passations = Vec::new();
    let mut reponses = 0;
    while reponses < 10_000 {
        let p = Personne::tirer(&mut alea, referentiel.domaines.len());
        let mut reps = Vec::new();
        let mut pris = std::collections::BTreeSet::new();
        while reps.len() < 20 {
            let pos = alea.entier(banque.items.len());
            if !pris.insert(pos) {
                continue;
            }
            let item = &banque.items[pos];
            let d = referentiel
                .index_domaine(&item.competence)
                .expect("domaine");
            reps.push((item.id.clone(), p.repondre(item, vrais[pos], d, &mut alea)));
        }
        reponses += reps.len();
        passations.push(Passation { reponses: reps });
    }
    let bilan = calibrer(banque, referentiel, 1, 2, &passations).expect("calibrer");
    assert_eq!(bilan.reponses, 10_000);
    let estimes: Vec<f64> = banque
        .items
        .iter()
        .map(|i| bilan.calibration.parametres[&i.id].difficulte)
        .collect();
    let vraies: Vec<f64> = vrais.iter().map(|p| p.difficulte).collect();
    let avant: Vec<f64> = v1.iter().map(|p| p.difficulte).collect();
    let r = pearson(&estimes, &vraies);
    let r_avant = pearson(&avant, &vraies);
    println!(
        "Pearson : {r:.3} (avant étalonnage {r_avant:.3}), {} items réestimés, {} tours",
        bilan.items_reestimes, bilan.tours
    );
    assert!(r >= 0.95, "Pearson {r}");
    assert!(r > r_avant, "l'étalonnage n'a rien appris");
}

#[test]
fn simulation_competences_un_nouvel_etalonnage_ne_change_pas_les_resultats_passes() {
    let mut banque = Banque::embarquee().clone();
    let referentiel = Referentiel::embarque();
    let v1 = banque.parametres(1).expect("v1");
    let mut alea = Alea::new(99);
    let mut passees = Vec::new();
    let mut passations = Vec::new();
    for k in 0..600u32 {
        let p = Personne::tirer(&mut alea, referentiel.domaines.len());
        let (e, _) = p
            .passer(&banque, referentiel, &v1, k, &mut alea)
            .expect("passer");
        passations.push(Passation {
            reponses: e.reponses.clone(),
        });
        let texte = e.encoder();
        let res = e.resultat(&banque, referentiel).expect("résultat");
        passees.push((texte, res));
    }
    let bilan = calibrer(&banque, referentiel, 1, 2, &passations).expect("calibrer");
    assert!(bilan.items_reestimes > 0);
    banque
        .ajouter_calibration(bilan.calibration)
        .expect("ajouter");
    assert_eq!(banque.version_courante(), 2);
    let mut differents_en_v2 = 0;
    for (texte, avant) in &passees {
        let e = Evaluation::decoder(texte, &banque).expect("décoder");
        assert_eq!(e.calibration, 1);
        assert_eq!(&e.resultat(&banque, referentiel).expect("résultat"), avant);
        // The same answers scored with the new version would differ: the check above
        // is not vacuous.
        let mut e2 = e.clone();
        e2.calibration = 2;
        if e2.resultat(&banque, referentiel).expect("v2").domaines != avant.domaines {
            differents_en_v2 += 1;
        }
    }
    assert!(differents_en_v2 > 0);
    // A new assessment uses the new version.
    assert_eq!(Evaluation::nouvelle(&banque, 1).calibration, 2);
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}
