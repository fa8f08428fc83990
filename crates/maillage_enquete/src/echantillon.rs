//! How many households to visit in each commune of a campaign: a minimum everywhere, the
//! rest shared in proportion to the fragility index (more visits where it is high).

/// A commune of the perimeter with its fragility index (`None` when not computed).
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneAEnqueter {
    pub code: String,
    pub indice: Option<f64>,
}

/// Shares `total` households: `minimum` per commune, the rest in proportion to the index
/// (a commune without index weighs the median of the others), rounded by the largest
/// remainders so that the targets add up to `total` exactly.
pub fn repartir(
    communes: &[CommuneAEnqueter],
    total: i64,
    minimum: i64,
) -> Result<Vec<(String, i64)>, String> {
    if communes.is_empty() {
        return Err("le périmètre ne compte aucune commune".into());
    }
    if minimum < 0 || total < 0 {
        return Err("les nombres de foyers ne peuvent pas être négatifs".into());
    }
    let n = communes.len() as i64;
    let socle = minimum.saturating_mul(n);
    if total < socle {
        return Err(format!(
            "{total} foyers ne suffisent pas : il en faut au moins {socle} ({minimum} par commune pour {n} communes)"
        ));
    }
    let mut connus: Vec<f64> = communes
        .iter()
        .filter_map(|c| c.indice)
        .filter(|x| x.is_finite())
        .collect();
    connus.sort_by(f64::total_cmp);
    let mediane = connus.get(connus.len() / 2).copied().unwrap_or(1.0);
    let poids: Vec<f64> = communes
        .iter()
        .map(|c| {
            c.indice
                .filter(|x| x.is_finite())
                .unwrap_or(mediane)
                .max(0.0)
        })
        .collect();
    let somme: f64 = poids.iter().sum();
    let reste = total - socle;
    let parts: Vec<f64> = if somme > 0.0 {
        poids.iter().map(|p| reste as f64 * p / somme).collect()
    } else {
        vec![reste as f64 / n as f64; communes.len()]
    };
    let mut cibles: Vec<i64> = parts.iter().map(|p| p.floor() as i64).collect();
    let mut restant = reste - cibles.iter().sum::<i64>();
    let mut ordre: Vec<usize> = (0..communes.len()).collect();
    ordre.sort_by(|a, b| {
        let fa = parts[*a] - parts[*a].floor();
        let fb = parts[*b] - parts[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    for i in ordre {
        if restant <= 0 {
            break;
        }
        cibles[i] += 1;
        restant -= 1;
    }
    Ok(communes
        .iter()
        .zip(cibles)
        .map(|(c, k)| (c.code.clone(), k + minimum))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str, indice: Option<f64>) -> CommuneAEnqueter {
        CommuneAEnqueter {
            code: code.into(),
            indice,
        }
    }

    #[test]
    fn more_visits_where_fragility_is_high_and_a_minimum_everywhere() {
        let communes = [
            c("31001", Some(2.0)),
            c("31002", Some(8.0)),
            c("31003", Some(5.0)),
            c("31004", None),
        ];
        let r = repartir(&communes, 100, 10).expect("shared");
        let total: i64 = r.iter().map(|(_, k)| k).sum();
        assert_eq!(total, 100);
        assert!(r.iter().all(|(_, k)| *k >= 10));
        let k = |code: &str| r.iter().find(|(c, _)| c == code).map(|(_, k)| *k);
        assert!(k("31002") > k("31003"));
        assert!(k("31003") > k("31001"));
        // Without index: the median of the others (5.0), as 31003.
        assert_eq!(k("31004"), k("31003"));
        // 60 shared over weights 2, 8, 5, 5 → 6, 24, 15, 15.
        assert_eq!(k("31001"), Some(16));
        assert_eq!(k("31002"), Some(34));
    }

    #[test]
    fn too_few_households_for_the_minimum_is_refused() {
        let communes = [c("31001", Some(1.0)), c("31002", Some(1.0))];
        let e = repartir(&communes, 15, 10).expect_err("too few");
        assert!(e.contains("au moins 20"), "{e}");
        assert!(repartir(&[], 10, 1).is_err());
    }

    #[test]
    fn rounding_adds_up_exactly() {
        let communes: Vec<CommuneAEnqueter> = (0..7)
            .map(|i| c(&format!("3100{i}"), Some(1.0 + i as f64 / 3.0)))
            .collect();
        for total in [7, 50, 101, 333] {
            let r = repartir(&communes, total, 1).expect("shared");
            assert_eq!(r.iter().map(|(_, k)| k).sum::<i64>(), total);
        }
    }
}
