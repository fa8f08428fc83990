//! k-nearest-neighbour queries over an R-tree of unit-sphere coordinates.

use std::fmt;

use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::{haversine_m, Point, EARTH_RADIUS_M};

/// A point on the unit sphere, with the insertion index of its item.
type Entry = GeomWithData<[f64; 3], usize>;

/// Relative margin on the chord of a query radius, so that rounding never
/// leaves out a point the haversine distance accepts.
const CHORD_MARGIN: f64 = 1e-9;

/// An immutable index for nearest-neighbour queries at any scale.
///
/// Points are stored as 3D unit vectors in an R-tree ([`rstar`]), built at
/// once by bulk loading. The straight-line (chord) distance between unit
/// vectors grows with the great-circle distance, so the R-tree ranks
/// neighbours exactly as [`haversine_m`] does, across the ±180° meridian as
/// anywhere else. Distances returned are [`haversine_m`] distances.
///
/// Items are numbered by their order in the input, from 0.
pub struct NearestIndex<T> {
    items: Vec<(Point, T)>,
    tree: RTree<Entry>,
}

impl<T> NearestIndex<T> {
    /// Builds the index over `items`.
    pub fn new(items: impl IntoIterator<Item = (Point, T)>) -> Self {
        let items: Vec<(Point, T)> = items.into_iter().collect();
        let entries = items
            .iter()
            .enumerate()
            .map(|(index, (point, _))| Entry::new(point.to_unit_vector(), index))
            .collect();
        NearestIndex {
            items,
            tree: RTree::bulk_load(entries),
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the index holds no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item of index `index`, with its point.
    pub fn get(&self, index: usize) -> Option<(Point, &T)> {
        self.items.get(index).map(|(point, value)| (*point, value))
    }

    /// The item nearest to `point`, with its distance in metres; `None` when
    /// the index is empty. Among items at the same distance, any one.
    pub fn nearest(&self, point: Point) -> Option<(&T, f64)> {
        self.tree
            .nearest_neighbor(&point.to_unit_vector())
            .map(|entry| self.with_distance(point, entry.data))
    }

    /// The `k` items nearest to `point` (fewer if the index holds fewer),
    /// nearest first, with their distance in metres.
    pub fn nearest_k(&self, point: Point, k: usize) -> Vec<(&T, f64)> {
        let mut found: Vec<(&T, f64)> = self
            .tree
            .nearest_neighbor_iter(&point.to_unit_vector())
            .take(k)
            .map(|entry| self.with_distance(point, entry.data))
            .collect();
        // Already in order of chord length; sorting by the haversine
        // distance only settles rounding among near-ties.
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found
    }

    /// The items at most `radius_m` metres from `point`, nearest first, with
    /// their distance in metres.
    pub fn within(&self, point: Point, radius_m: f64) -> Vec<(&T, f64)> {
        if radius_m.is_nan() || radius_m < 0.0 {
            return Vec::new();
        }
        let angle = (radius_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
        let chord = 2.0 * (angle / 2.0).sin() * (1.0 + CHORD_MARGIN) + CHORD_MARGIN;
        let mut found: Vec<(&T, f64)> = self
            .tree
            .locate_within_distance(point.to_unit_vector(), chord * chord)
            .map(|entry| self.with_distance(point, entry.data))
            .filter(|(_, distance)| *distance <= radius_m)
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found
    }

    fn with_distance(&self, point: Point, index: usize) -> (&T, f64) {
        let (item_point, value) = &self.items[index];
        (value, haversine_m(point, *item_point))
    }
}

impl<T> FromIterator<(Point, T)> for NearestIndex<T> {
    fn from_iter<I: IntoIterator<Item = (Point, T)>>(iter: I) -> Self {
        NearestIndex::new(iter)
    }
}

impl<T> fmt::Debug for NearestIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NearestIndex")
            .field("len", &self.items.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> Point {
        Point::new(lat, lon).expect("valid test point")
    }

    fn any_point() -> impl Strategy<Value = Point> {
        // Latitudes short of the poles, longitudes anywhere.
        (-80.0f64..80.0, -180.0f64..=180.0).prop_map(|(lat, lon)| p(lat, lon))
    }

    /// Points gathered in a few regions, some across the antimeridian, so
    /// that neighbours are close and ties plausible.
    fn regional_point() -> impl Strategy<Value = Point> {
        prop_oneof![
            (42.0f64..51.0, -5.0f64..8.0).prop_map(|(lat, lon)| p(lat, lon)),
            (-23.0f64..-19.0, 163.0f64..169.0).prop_map(|(lat, lon)| p(lat, lon)),
            (-15.0f64..-12.0, 179.0f64..=180.0).prop_map(|(lat, lon)| p(lat, lon)),
            (-15.0f64..-12.0, -180.0f64..-179.0).prop_map(|(lat, lon)| p(lat, lon)),
            any_point(),
        ]
    }

    #[test]
    fn empty_index() {
        let index: NearestIndex<()> = NearestIndex::new(Vec::new());
        assert!(index.is_empty());
        assert!(index.nearest(p(0.0, 0.0)).is_none());
        assert!(index.nearest_k(p(0.0, 0.0), 3).is_empty());
        assert!(index.within(p(0.0, 0.0), 1e7).is_empty());
    }

    #[test]
    fn nearest_city() {
        let index: NearestIndex<&str> = [
            (p(48.8566, 2.3522), "Paris"),
            (p(45.7640, 4.8357), "Lyon"),
            (p(43.2965, 5.3698), "Marseille"),
            (p(43.6045, 1.4440), "Toulouse"),
            (p(-22.2758, 166.4580), "Nouméa"),
            (p(-17.5350, -149.5696), "Papeete"),
        ]
        .into_iter()
        .collect();
        assert_eq!(index.len(), 6);
        let (name, distance) = index.nearest(p(43.7, 1.5)).expect("non-empty");
        assert_eq!(*name, "Toulouse");
        assert!(distance < 12_000.0);
        let names: Vec<&str> = index
            .nearest_k(p(45.0, 4.0), 3)
            .into_iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(names, vec!["Lyon", "Marseille", "Toulouse"]);
        // Across the antimeridian: from 179°W, Nouméa (166°E) is 14.5° of
        // longitude west, nearer than Papeete (150°W) 29.4° east.
        let (name, _) = index.nearest(p(-17.5, -179.0)).expect("non-empty");
        assert_eq!(*name, "Nouméa");
        let within: Vec<&str> = index
            .within(p(48.8566, 2.3522), 400_000.0)
            .into_iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(within, vec!["Paris", "Lyon"]);
        assert!(index.within(p(0.0, 0.0), -1.0).is_empty());
        assert_eq!(index.within(p(0.0, 0.0), 1e9).len(), 6);
        assert_eq!(index.get(4).map(|(_, name)| *name), Some("Nouméa"));
        assert_eq!(format!("{index:?}"), "NearestIndex { len: 6, .. }");
    }

    proptest! {
        #[test]
        fn nearest_equals_brute_force(
            points in prop::collection::vec(regional_point(), 1..200),
            query in regional_point(),
        ) {
            let index: NearestIndex<usize> =
                points.iter().copied().enumerate().map(|(i, point)| (point, i)).collect();
            let (_, distance) = index.nearest(query).expect("non-empty");
            let best = points
                .iter()
                .map(|point| haversine_m(query, *point))
                .fold(f64::INFINITY, f64::min);
            prop_assert!((distance - best).abs() <= 1e-6 * best.max(1.0), "{distance} vs {best}");
        }

        #[test]
        fn nearest_k_and_within_equal_brute_force(
            points in prop::collection::vec(regional_point(), 0..200),
            query in regional_point(),
            k in 0usize..10,
            radius_m in 0.0f64..2_000_000.0,
        ) {
            let index: NearestIndex<usize> =
                points.iter().copied().enumerate().map(|(i, point)| (point, i)).collect();
            let mut all: Vec<f64> = points.iter().map(|point| haversine_m(query, *point)).collect();
            all.sort_by(f64::total_cmp);

            let found: Vec<f64> = index.nearest_k(query, k).into_iter().map(|(_, d)| d).collect();
            prop_assert_eq!(found.len(), k.min(points.len()));
            for (got, want) in found.iter().zip(&all) {
                prop_assert!((got - want).abs() <= 1e-6 * want.max(1.0), "{got} vs {want}");
            }

            let mut within: Vec<usize> =
                index.within(query, radius_m).into_iter().map(|(i, _)| *i).collect();
            within.sort_unstable();
            let expected: Vec<usize> = (0..points.len())
                .filter(|&i| haversine_m(query, points[i]) <= radius_m)
                .collect();
            prop_assert_eq!(within, expected);
        }
    }
}
