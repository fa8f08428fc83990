//! The territory's look and settings (white label): name, logo, colours, map tiles.

/// What a territory configures. Read from the environment by [`Site::depuis_env`]:
/// `MAILLAGE_NOM`, `MAILLAGE_LOGO` (URL of an image), `MAILLAGE_COULEUR` (`#rrggbb`, kept
/// only if white text on it reaches the WCAG AA contrast 4.5:1), `MAILLAGE_TUILES` (tile URL
/// template for the interactive map) and `MAILLAGE_TUILES_ATTRIBUTION`; `MAILLAGE_PROXIES`
/// (reverse proxies whose `X-Forwarded-For` is trusted, see [`crate::espace::adresse_client`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub nom: String,
    pub logo: Option<String>,
    pub couleur_principale: Option<String>,
    pub tuiles_url: String,
    pub tuiles_attribution: String,
    /// Reverse proxies whose `X-Forwarded-For` is trusted (`MAILLAGE_PROXIES`).
    pub proxies: Vec<crate::espace::adresse_client::Reseau>,
}

/// OpenStreetMap's standard tiles (fine for a demo; a territory should use its own server or
/// a provider's).
pub const TUILES_PAR_DEFAUT: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const ATTRIBUTION_PAR_DEFAUT: &str = "© contributeurs OpenStreetMap";

impl Default for Site {
    fn default() -> Self {
        Site {
            nom: "Maillage".into(),
            logo: None,
            couleur_principale: None,
            tuiles_url: TUILES_PAR_DEFAUT.into(),
            tuiles_attribution: ATTRIBUTION_PAR_DEFAUT.into(),
            proxies: Vec::new(),
        }
    }
}

impl Site {
    pub fn depuis_env() -> Site {
        let var = |k: &str| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let couleur = var("MAILLAGE_COULEUR").filter(|c| {
            let ok = contraste_avec_blanc(c).is_some_and(|r| r >= 4.5);
            if !ok {
                tracing::warn!("MAILLAGE_COULEUR {c:?} ignored: not #rrggbb or contrast with white below 4.5:1");
            }
            ok
        });
        let d = Site::default();
        Site {
            nom: var("MAILLAGE_NOM").unwrap_or(d.nom),
            logo: var("MAILLAGE_LOGO").filter(|u| !u.contains(['"', '<', '>'])),
            couleur_principale: couleur,
            tuiles_url: var("MAILLAGE_TUILES").unwrap_or(d.tuiles_url),
            tuiles_attribution: var("MAILLAGE_TUILES_ATTRIBUTION").unwrap_or(d.tuiles_attribution),
            proxies: var("MAILLAGE_PROXIES")
                .map(|v| {
                    crate::espace::adresse_client::lire_reseaux(&v).unwrap_or_else(|e| {
                        tracing::error!("MAILLAGE_PROXIES ignored: {e}");
                        Vec::new()
                    })
                })
                .unwrap_or_default(),
        }
    }

    /// The CSS overriding the theme's colour, if one is configured.
    pub fn css_couleurs(&self) -> Option<String> {
        self.couleur_principale
            .as_ref()
            .map(|c| format!(":root{{--principale:{c};--principale-fonce:{c}}}"))
    }
}

/// Contrast ratio (WCAG 2) of white text on the colour `#rrggbb`; `None` if not such a colour.
pub fn contraste_avec_blanc(couleur: &str) -> Option<f64> {
    let hex = couleur.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let canal = |i: usize| -> Option<f64> {
        let v = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    let l = 0.2126 * canal(0)? + 0.7152 * canal(2)? + 0.0722 * canal(4)?;
    Some(1.05 / (l + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_of_colours() {
        // Default theme blue: well above AA.
        assert!(contraste_avec_blanc("#1d4f91").is_some_and(|r| r > 7.0));
        // Yellow: far below.
        assert!(contraste_avec_blanc("#ffd400").is_some_and(|r| r < 2.0));
        // Black: 21.
        assert!(contraste_avec_blanc("#000000").is_some_and(|r| (r - 21.0).abs() < 0.01));
        assert_eq!(contraste_avec_blanc("bleu"), None);
        assert_eq!(contraste_avec_blanc("#12345"), None);
    }
}
