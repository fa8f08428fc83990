//! Static files, embedded in the binary: our stylesheet and scripts, and Leaflet with its
//! marker-cluster plugin (vendored from npm, see `assets/vendor/README.md`).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

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

/// `/assets/{chemin}`.
pub async fn servir(Path(chemin): Path<String>) -> Response {
    match FICHIERS.iter().find(|f| f.chemin == chemin) {
        Some(f) => (
            [
                (header::CONTENT_TYPE, f.type_mime),
                (
                    header::CACHE_CONTROL,
                    if f.immuable {
                        "public, max-age=31536000, immutable"
                    } else {
                        "public, max-age=3600"
                    },
                ),
            ],
            f.contenu,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "fichier inconnu").into_response(),
    }
}
