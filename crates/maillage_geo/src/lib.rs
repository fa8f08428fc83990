//! Geometry and spatial indexes for Maillage.
//!
//! Pure computations, no I/O:
//!
//! - [`Point`], a WGS 84 latitude/longitude in degrees, and [`haversine_m`],
//!   the great-circle distance on a sphere of the mean Earth radius;
//! - [`GridIndex`], a uniform latitude/longitude grid for neighbour queries at
//!   a fixed scale (finding every pair of places closer than 50 m among tens
//!   of thousands, in near-linear time);
//! - [`NearestIndex`], an R-tree over 3D unit-sphere coordinates for
//!   k-nearest-neighbour queries at any scale.
//!
//! Both indexes handle the ±180° meridian (Polynésie française is at -150°,
//! Nouvelle-Calédonie at 166°, Wallis-et-Futuna at -176°). Neither is meant
//! for points near the poles: they stay correct there, but the grid degrades
//! to one cell per row.

mod grid;
mod nearest;

pub use grid::GridIndex;
pub use nearest::NearestIndex;

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres per degree of latitude (and of longitude at the equator) on the
/// sphere of radius [`EARTH_RADIUS_M`].
pub(crate) const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A position in WGS 84 degrees.
///
/// The fields are public for convenience; [`Point::new`] is the checked
/// constructor, and every function of this crate expects a point it would
/// accept (finite, latitude in \[-90, 90\], longitude in \[-180, 180\]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude in degrees, positive north.
    pub lat: f64,
    /// Longitude in degrees, positive east.
    pub lon: f64,
}

impl Point {
    /// A point, or `None` when a coordinate is NaN, infinite or out of range
    /// (latitude outside \[-90, 90\], longitude outside \[-180, 180\]).
    pub fn new(lat: f64, lon: f64) -> Option<Point> {
        let valid = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        valid.then_some(Point { lat, lon })
    }

    /// Great-circle distance to `other`, in metres (see [`haversine_m`]).
    pub fn distance_m(self, other: Point) -> f64 {
        haversine_m(self, other)
    }

    /// Unit vector of this point in Earth-centred coordinates.
    pub(crate) fn to_unit_vector(self) -> [f64; 3] {
        let (lat, lon) = (self.lat.to_radians(), self.lon.to_radians());
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    }
}

/// Great-circle distance between two points, in metres, by the haversine
/// formula on a sphere of radius [`EARTH_RADIUS_M`] (error against the
/// ellipsoid below 0.5 %).
pub fn haversine_m(a: Point, b: Point) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> Point {
        Point::new(lat, lon).expect("valid test point")
    }

    #[test]
    fn new_rejects_invalid_coordinates() {
        assert!(Point::new(f64::NAN, 0.0).is_none());
        assert!(Point::new(0.0, f64::NAN).is_none());
        assert!(Point::new(f64::INFINITY, 0.0).is_none());
        assert!(Point::new(90.1, 0.0).is_none());
        assert!(Point::new(-90.1, 0.0).is_none());
        assert!(Point::new(0.0, 180.1).is_none());
        assert!(Point::new(0.0, -180.1).is_none());
        assert!(Point::new(90.0, 180.0).is_some());
        assert!(Point::new(-90.0, -180.0).is_some());
        assert_eq!(
            Point::new(43.6, 1.44),
            Some(Point {
                lat: 43.6,
                lon: 1.44
            })
        );
    }

    #[test]
    fn known_distances() {
        let paris = p(48.8566, 2.3522);
        let lyon = p(45.7640, 4.8357);
        let marseille = p(43.2965, 5.3698);
        let d_lyon = haversine_m(paris, lyon);
        let d_marseille = haversine_m(paris, marseille);
        assert!((d_lyon - 392_000.0).abs() < 2_000.0, "Paris–Lyon {d_lyon}");
        assert!(
            (d_marseille - 661_000.0).abs() < 2_000.0,
            "Paris–Marseille {d_marseille}"
        );
        // One degree of latitude.
        let d = haversine_m(p(0.0, 0.0), p(1.0, 0.0));
        assert!((d - METRES_PER_DEGREE).abs() < 1e-6);
        // Antipodes: half the circumference.
        let d = haversine_m(p(0.0, 0.0), p(0.0, 180.0));
        assert!((d - EARTH_RADIUS_M * std::f64::consts::PI).abs() < 1e-3);
    }

    #[test]
    fn distance_is_symmetric_and_zero_on_itself() {
        let a = p(-22.27, 166.44);
        let b = p(-17.53, -149.57);
        assert_eq!(haversine_m(a, a), 0.0);
        assert!((haversine_m(a, b) - haversine_m(b, a)).abs() < 1e-6);
        assert_eq!(a.distance_m(b), haversine_m(a, b));
    }

    #[test]
    fn distance_across_the_antimeridian() {
        // 0.2° of longitude apart at the equator, across ±180.
        let d = haversine_m(p(0.0, 179.9), p(0.0, -179.9));
        assert!((d - 0.2 * METRES_PER_DEGREE).abs() < 1e-3, "{d}");
    }

    #[test]
    fn serde_round_trip() {
        let point = p(43.6045, 1.444);
        let json = serde_json::to_string(&point).expect("serialize");
        assert_eq!(json, r#"{"lat":43.6045,"lon":1.444}"#);
        let back: Point = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, point);
    }
}
