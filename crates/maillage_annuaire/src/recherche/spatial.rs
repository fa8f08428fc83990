//! Geometry on unit vectors: the R-tree of the engine stores each place as a 3D unit vector,
//! so that straight-line (chord) distances rank places as great-circle distances do, across
//! the ±180° meridian as anywhere else.

use maillage_geo::{Point, EARTH_RADIUS_M};
use rstar::AABB;

/// Unit vector of a point in Earth-centred coordinates.
pub(crate) fn vecteur(p: Point) -> [f64; 3] {
    let (lat, lon) = (p.lat.to_radians(), p.lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Squared chord between two unit vectors.
#[inline]
pub(crate) fn corde2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    x * x + y * y + z * z
}

/// Relative margin on chords, so that rounding never decides alone.
const MARGE: f64 = 1e-9;

/// Bounds on the squared chord of a great-circle radius in metres: below `dedans`, a point is
/// within the radius; above `dehors`, it is not; between, ask the haversine distance.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cercle {
    pub(crate) dedans: f64,
    pub(crate) dehors: f64,
    pub(crate) rayon_m: f64,
}

impl Cercle {
    pub(crate) fn nouveau(rayon_m: f64) -> Cercle {
        let angle = (rayon_m / EARTH_RADIUS_M).clamp(0.0, std::f64::consts::PI);
        let corde = 2.0 * (angle / 2.0).sin();
        let dedans = (corde * (1.0 - MARGE) - MARGE).max(0.0);
        let dehors = corde * (1.0 + MARGE) + MARGE;
        Cercle {
            dedans: dedans * dedans,
            dehors: dehors * dehors,
            rayon_m,
        }
    }

    /// Whether a point at squared chord `d2` from the centre is in the circle.
    #[inline]
    pub(crate) fn contient(&self, d2: f64, centre: Point, point: Point) -> bool {
        if d2 <= self.dedans {
            true
        } else if d2 > self.dehors {
            false
        } else {
            maillage_geo::haversine_m(centre, point) <= self.rayon_m
        }
    }
}

/// Boxes of unit vectors holding every point of a latitude/longitude rectangle (two boxes
/// when it crosses the ±180° meridian, `ouest > est`). Conservative: points must still be
/// checked against the rectangle.
pub(crate) fn enveloppes(sud: f64, ouest: f64, nord: f64, est: f64) -> Vec<AABB<[f64; 3]>> {
    if ouest <= est {
        vec![enveloppe(sud, ouest, nord, est)]
    } else {
        vec![
            enveloppe(sud, ouest, nord, 180.0),
            enveloppe(sud, -180.0, nord, est),
        ]
    }
}

fn intervalle(valeurs: &[f64]) -> (f64, f64) {
    valeurs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        })
}

fn enveloppe(sud: f64, ouest: f64, nord: f64, est: f64) -> AABB<[f64; 3]> {
    let (s, n) = (sud.to_radians(), nord.to_radians());
    let (w, e) = (ouest.to_radians(), est.to_radians());
    // cos(latitude) over [sud, nord]: at the ends, and 1 at the equator.
    let mut cos_lat = vec![s.cos(), n.cos()];
    if sud <= 0.0 && nord >= 0.0 {
        cos_lat.push(1.0);
    }
    let (cl0, cl1) = intervalle(&cos_lat);
    let dedans = |deg: f64| ouest <= deg && deg <= est;
    let mut cos_lon = vec![w.cos(), e.cos()];
    let mut sin_lon = vec![w.sin(), e.sin()];
    if dedans(0.0) {
        cos_lon.push(1.0);
    }
    if dedans(180.0) || dedans(-180.0) {
        cos_lon.push(-1.0);
    }
    if dedans(90.0) {
        sin_lon.push(1.0);
    }
    if dedans(-90.0) {
        sin_lon.push(-1.0);
    }
    let produit = |(a0, a1): (f64, f64), (b0, b1): (f64, f64)| {
        intervalle(&[a0 * b0, a0 * b1, a1 * b0, a1 * b1])
    };
    let (x0, x1) = produit((cl0, cl1), intervalle(&cos_lon));
    let (y0, y1) = produit((cl0, cl1), intervalle(&sin_lon));
    let (z0, z1) = (s.sin(), n.sin());
    let m = 1e-12;
    AABB::from_corners([x0 - m, y0 - m, z0 - m], [x1 + m, y1 + m, z1 + m])
}

/// Whether `p` is in the rectangle (with `ouest > est` for one crossing the ±180° meridian).
pub(crate) fn dans_rectangle(p: Point, sud: f64, ouest: f64, nord: f64, est: f64) -> bool {
    let lat_ok = sud <= p.lat && p.lat <= nord;
    let lon_ok = if ouest <= est {
        ouest <= p.lon && p.lon <= est
    } else {
        p.lon >= ouest || p.lon <= est
    };
    lat_ok && lon_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstar::Envelope;

    proptest! {
        #[test]
        fn boxes_hold_every_point_of_the_rectangle(
            sud in -89.0f64..89.0, haut in 0.0f64..40.0,
            ouest in -180.0f64..180.0, large in 0.0f64..120.0,
            u in 0.0f64..=1.0, v in 0.0f64..=1.0,
        ) {
            let nord = (sud + haut).min(90.0);
            let mut est = ouest + large;
            if est > 180.0 { est -= 360.0; }
            let lat = sud + u * (nord - sud);
            let lon = if ouest <= est { ouest + v * (est - ouest) } else {
                let l = ouest + v * (est + 360.0 - ouest);
                if l > 180.0 { l - 360.0 } else { l }
            };
            let p = Point::new(lat, lon).expect("valid");
            prop_assert!(dans_rectangle(p, sud, ouest, nord, est));
            let boites = enveloppes(sud, ouest, nord, est);
            prop_assert!(boites.iter().any(|b| b.contains_point(&vecteur(p))), "{p:?}");
        }

        #[test]
        fn circle_agrees_with_haversine(
            a in (-80.0f64..80.0, -180.0f64..180.0),
            b in (-80.0f64..80.0, -180.0f64..180.0),
            rayon in 0.0f64..3_000_000.0,
        ) {
            let (pa, pb) = (Point::new(a.0, a.1).expect("valid"), Point::new(b.0, b.1).expect("valid"));
            let c = Cercle::nouveau(rayon);
            let d2 = corde2(&vecteur(pa), &vecteur(pb));
            prop_assert_eq!(c.contient(d2, pa, pb), maillage_geo::haversine_m(pa, pb) <= rayon);
        }
    }
}
