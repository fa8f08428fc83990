//! Server-drawn SVG charts of the dashboards. Each chart is decorative next to its data
//! table (`aria-hidden`), so screen readers read the table once.

/// Escapes text for SVG/XML.
fn echapper(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars, one per `(label, value)`; zero rows are kept (the table shows them).
pub fn barres(valeurs: &[(String, i64)]) -> String {
    let max = valeurs.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let hauteur_ligne = 26;
    let largeur = 640;
    let marge = 230;
    let h = hauteur_ligne * valeurs.len().max(1) + 8;
    let mut s = format!(
        r#"<svg class="graphique" viewBox="0 0 {largeur} {h}" width="100%" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, (libelle, v)) in valeurs.iter().enumerate() {
        let y = i * hauteur_ligne + 4;
        let w = ((*v as f64 / max as f64) * (largeur - marge - 60) as f64).round() as i64;
        let court: String = libelle.chars().take(34).collect();
        let court = if court.len() < libelle.len() {
            format!("{court}…")
        } else {
            court
        };
        s.push_str(&format!(
            r##"<text x="{x}" y="{ty}" text-anchor="end" font-size="13" fill="#1b1b1b">{t}</text><rect x="{marge}" y="{y}" width="{w}" height="18" fill="#2b5797"/><text x="{vx}" y="{ty}" font-size="13" fill="#1b1b1b">{v}</text>"##,
            x = marge - 8,
            ty = y + 14,
            t = echapper(&court),
            vx = marge as i64 + w + 6,
        ));
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars by month.
pub fn colonnes(valeurs: &[(String, i64)]) -> String {
    let max = valeurs.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let n = valeurs.len().max(1);
    let largeur = 640usize;
    let h = 220;
    let pas = (largeur - 20) / n;
    let mut s = format!(
        r#"<svg class="graphique" viewBox="0 0 {largeur} {h}" width="100%" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, (libelle, v)) in valeurs.iter().enumerate() {
        let bh = ((*v as f64 / max as f64) * 160.0).round() as usize;
        let x = 10 + i * pas;
        s.push_str(&format!(
            r##"<rect x="{x}" y="{y}" width="{w}" height="{bh}" fill="#2b5797"/><text x="{cx}" y="{ty}" text-anchor="middle" font-size="12" fill="#1b1b1b">{v}</text><text x="{cx}" y="212" text-anchor="middle" font-size="11" fill="#1b1b1b">{t}</text>"##,
            y = 190 - bh,
            w = pas.saturating_sub(6).max(2),
            cx = x + pas / 2,
            ty = 186 - bh,
            t = echapper(&libelle.chars().take(8).collect::<String>()),
        ));
    }
    s.push_str("</svg>");
    s
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
}
