//! Static files, embedded in the binary: our stylesheet and scripts, and Leaflet with its
//! marker-cluster plugin (vendored from npm, see `assets/vendor/README.md`).

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::OnceLock;

/// Our stylesheet and script as text, for the pages that carry them inline (the home page
/// and the results: on a slow phone, a separate file costs a round trip before the first
/// paint, more than its 2 KB compressed inside the page).
pub const CSS: &str = include_str!("../assets/maillage.css");
pub const JS: &str = include_str!("../assets/maillage.js");

/// Where `maillage.css` stops serving the public pages (the territory pages and the
/// professional space follow).
const FIN_PUBLIC: &str = "/* ---- fin des pages publiques ----";

/// The public pages' part of `maillage.css`, without its comments: what the home and results
/// pages carry inline (the other pages link the whole file).
pub fn css_public() -> &'static str {
    static CSS_PUBLIC: OnceLock<String> = OnceLock::new();
    CSS_PUBLIC.get_or_init(|| {
        let mut reste = CSS.find(FIN_PUBLIC).map_or(CSS, |fin| &CSS[..fin]);
        let mut out = String::with_capacity(reste.len());
        while let Some(debut) = reste.find("/*") {
            out.push_str(&reste[..debut]);
            reste = reste[debut..]
                .find("*/")
                .map_or("", |fin| &reste[debut + fin + 2..]);
        }
        out.push_str(reste);
        out.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

struct Fichier {
    chemin: &'static str,
    type_mime: &'static str,
    contenu: &'static [u8],
    /// Versioned vendor files never change under the same path.
    immuable: bool,
}

macro_rules! fichier {
    ($chemin:literal, $type:literal, $immuable:literal) => {
        Fichier {
            chemin: $chemin,
            type_mime: $type,
            contenu: include_bytes!(concat!("../assets/", $chemin)),
            immuable: $immuable,
        }
    };
}

const FICHIERS: &[Fichier] = &[
    fichier!("maillage.css", "text/css; charset=utf-8", false),
    fichier!("maillage.js", "text/javascript; charset=utf-8", false),
    fichier!("carte.js", "text/javascript; charset=utf-8", false),
    fichier!("espace.js", "text/javascript; charset=utf-8", false),
    fichier!(
        "vendor/leaflet-1.9.4/leaflet.js",
        "text/javascript; charset=utf-8",
        true
    ),
    fichier!(
        "vendor/leaflet-1.9.4/leaflet.css",
        "text/css; charset=utf-8",
        true
    ),
    fichier!(
        "vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
        "text/javascript; charset=utf-8",
        true
    ),
    fichier!(
        "vendor/leaflet.markercluster-1.5.3/MarkerCluster.css",
        "text/css; charset=utf-8",
        true
    ),
];

/// The files gzipped once, at the best level (the response compression layer uses the
/// fastest level for dynamic pages and leaves these alone since they carry their encoding).
fn compresses() -> &'static [Vec<u8>] {
    static GZ: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    GZ.get_or_init(|| {
        FICHIERS
            .iter()
            .map(|f| {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                let ok = e.write_all(f.contenu).is_ok();
                match (ok, e.finish()) {
                    (true, Ok(v)) => v,
                    _ => Vec::new(),
                }
            })
            .collect()
    })
}

pub(crate) fn accepte_gzip(entetes: &HeaderMap) -> bool {
    entetes
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parties = e.split(';');
            let nom = parties.next().unwrap_or("").trim();
            let refuse = parties.any(|p| p.trim().replace(' ', "") == "q=0");
            (nom == "gzip" || nom == "*") && !refuse
        })
}

/// `/assets/{chemin}`.
pub async fn servir(Path(chemin): Path<String>, entetes: HeaderMap) -> Response {
    let Some(k) = FICHIERS.iter().position(|f| f.chemin == chemin) else {
        return (StatusCode::NOT_FOUND, "fichier inconnu").into_response();
    };
    let f = &FICHIERS[k];
    let cache = if f.immuable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let gz = &compresses()[k];
    if accepte_gzip(&entetes) && !gz.is_empty() {
        (
            [
                (header::CONTENT_TYPE, f.type_mime),
                (header::CACHE_CONTROL, cache),
                (header::CONTENT_ENCODING, "gzip"),
                (header::VARY, "accept-encoding"),
            ],
            gz.as_slice(),
        )
            .into_response()
    } else {
        (
            [
                (header::CONTENT_TYPE, f.type_mime),
                (header::CACHE_CONTROL, cache),
                (header::VARY, "accept-encoding"),
            ],
            f.contenu,
        )
            .into_response()
    }
}

/// `/favicon.ico`: the site's icon (16, 32 and 48 px), which browsers ask for on every site.
/// Served as is: its images are already compressed.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_bytes!("../assets/favicon.ico").as_slice(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn precompressed_files_decompress_to_the_originals() {
        for (f, gz) in FICHIERS.iter().zip(compresses()) {
            let mut d = flate2::read::GzDecoder::new(gz.as_slice());
            let mut v = Vec::new();
            assert!(d.read_to_end(&mut v).is_ok(), "{}", f.chemin);
            assert_eq!(v, f.contenu, "{}", f.chemin);
            assert!(gz.len() < f.contenu.len(), "{}", f.chemin);
        }
    }

    /// Every class the home and results pages use, when `maillage.css` styles it, is styled
    /// in the part they carry inline.
    #[test]
    fn the_inline_css_styles_every_class_of_the_home_and_results_pages() {
        let public = css_public();
        assert!(public.contains(".choix{") && public.contains("li.resultat{"));
        assert!(!public.contains("/*") && !public.contains("nav.espace"));
        let gabarits = [
            include_str!("../templates/base.html"),
            include_str!("../templates/accueil.html"),
            include_str!("../templates/lieux.html"),
            include_str!("../templates/_resultats.html"),
        ];
        let mut classes = Vec::new();
        for g in gabarits {
            for morceau in g.split("class=\"").skip(1) {
                let valeur = morceau.split('"').next().unwrap_or("");
                for c in valeur.split_whitespace() {
                    // Askama expressions (`{{ c.ouverture_classe }}`) are checked below.
                    if !c.contains(['{', '}', '%']) {
                        classes.push(c.to_string());
                    }
                }
            }
        }
        classes.extend(["ouvert", "ferme", "inconnu"].map(String::from));
        let selecteur = |css: &str, c: &str| {
            css.match_indices(&format!(".{c}")).any(|(i, m)| {
                let apres = css[i + m.len()..].chars().next().unwrap_or(' ');
                !apres.is_alphanumeric() && apres != '-' && apres != '_'
            })
        };
        for c in &classes {
            assert!(
                !selecteur(CSS, c) || selecteur(public, c),
                "class {c} is styled after the public part of maillage.css"
            );
        }
    }

    #[test]
    fn accept_encoding() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            if let Ok(v) = v.parse() {
                m.insert(header::ACCEPT_ENCODING, v);
            }
            m
        };
        assert!(accepte_gzip(&h("gzip, deflate, br")));
        assert!(accepte_gzip(&h("br;q=1.0, gzip;q=0.8")));
        assert!(!accepte_gzip(&h("gzip;q=0")));
        assert!(!accepte_gzip(&h("br")));
        assert!(!accepte_gzip(&HeaderMap::new()));
    }
}
