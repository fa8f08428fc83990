//! Server-drawn SVG charts of the dashboards. Each chart is decorative next to its data
//! table (`aria-hidden`), so screen readers read the table once.

/// Escapes text for SVG/XML.
fn echapper(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Width of the charts' drawing, in SVG units. Close to a phone's width (360 px, less the
/// page's margins) so that text drawn at [`TAILLE_TEXTE`] stays readable once the drawing is
/// scaled to the screen; the stylesheet keeps it from growing past about 400 px.
pub const LARGEUR: usize = 360;

/// Size of every text of the charts, in SVG units.
pub const TAILLE_TEXTE: usize = 14;

/// Horizontal bars, one per `(label, value)`, each label on its own line above its bar (a
/// label beside its bar leaves the bar no room on a phone); zero rows are kept (the table
/// shows them).
pub fn barres(valeurs: &[(String, i64)]) -> String {
    let max = valeurs.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let hauteur_ligne = 46;
    let place_valeur = 70;
    let h = hauteur_ligne * valeurs.len().max(1) + 4;
    let mut s = format!(
        r#"<svg class="graphique" viewBox="0 0 {LARGEUR} {h}" width="100%" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, (libelle, v)) in valeurs.iter().enumerate() {
        let y = i * hauteur_ligne;
        let w = ((*v as f64 / max as f64) * (LARGEUR - place_valeur) as f64).round() as i64;
        let court: String = libelle.chars().take(40).collect();
        let court = if court.len() < libelle.len() {
            format!("{court}…")
        } else {
            court
        };
        s.push_str(&format!(
            r##"<text x="0" y="{ty}" font-size="{TAILLE_TEXTE}" fill="#1b1b1b">{t}</text><rect x="0" y="{ry}" width="{w}" height="16" fill="#2b5797"/><text x="{vx}" y="{vy}" font-size="{TAILLE_TEXTE}" fill="#1b1b1b">{v}</text>"##,
            ty = y + 16,
            t = echapper(&court),
            ry = y + 22,
            vx = w + 6,
            vy = y + 35,
        ));
    }
    s.push_str("</svg>");
    s
}

/// Values by month (`novembre 2026`…): drawn as [`barres`] too, one month a line, since a
/// dozen columns at 360 px leave no room for their labels.
pub fn colonnes(valeurs: &[(String, i64)]) -> String {
    barres(valeurs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bars_scale_and_escape() {
        let s = super::barres(&[("A & B".into(), 10), ("C".into(), 5)]);
        assert!(s.contains("A &amp; B"));
        assert!(s.contains(r#"aria-hidden="true""#));
        assert_eq!(s.matches("<rect").count(), 2);
        let c = super::colonnes(&[("janv.".into(), 3)]);
        assert!(c.contains(">3<"));
    }

    /// Issue « Première utilisation réelle », item 13: at 360 px (328 px of content), every
    /// text of a chart is drawn at 12 px or more, and month labels are not cut.
    #[test]
    fn premiere_utilisation_charts_readable_at_360_px() {
        let mois: Vec<(String, i64)> = [
            "janvier 2026",
            "février 2026",
            "mars 2026",
            "avril 2026",
            "mai 2026",
            "juin 2026",
            "juillet 2026",
            "août 2026",
            "septembre 2026",
            "octobre 2026",
            "novembre 2026",
            "décembre 2026",
        ]
        .iter()
        .enumerate()
        .map(|(i, m)| (m.to_string(), 100 * i as i64 + 7))
        .collect();
        let themes = vec![
            ("Démarches administratives en ligne".to_string(), 1234),
            ("Courriels".to_string(), 5),
        ];
        for svg in [super::colonnes(&mois), super::barres(&themes)] {
            let largeur: f64 = svg
                .split("viewBox=\"0 0 ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|w| w.parse().ok())
                .unwrap_or(f64::MAX);
            let tailles: Vec<f64> = svg
                .split("font-size=\"")
                .skip(1)
                .filter_map(|r| r.split('"').next())
                .filter_map(|t| t.parse().ok())
                .collect();
            assert!(!tailles.is_empty());
            for t in tailles {
                let a_l_ecran = t * 328.0 / largeur;
                assert!(a_l_ecran >= 12.0, "{t} units → {a_l_ecran:.1} px at 360 px");
            }
        }
        let c = super::colonnes(&mois);
        for (m, _) in &mois {
            assert!(c.contains(&format!(">{m}<")), "{m} shown whole");
        }
    }
}
