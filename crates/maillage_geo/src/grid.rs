//! A uniform latitude/longitude grid for neighbour queries at a fixed scale.

use std::collections::HashMap;

use crate::{haversine_m, Point, EARTH_RADIUS_M, METRES_PER_DEGREE};

/// Margin added to every bound computed in degrees, so that rounding never
/// leaves a qualifying point outside the cells that are searched (about 1 cm).
const EPSILON_DEG: f64 = 1e-7;

/// Key of a grid cell: (row, column). Each row is a band of latitude, cut
/// into its own number of columns that cover the full 360° of longitude.
type CellKey = (i32, i32);

/// Number of cells a query may always search before it considers scanning
/// every item instead.
const MIN_CELL_BUDGET: usize = 256;

/// A uniform latitude/longitude grid for neighbour queries.
///
/// Rows are bands of latitude `cell_m` high. Each row is cut into as many
/// columns as fit 360° with columns at least `cell_m` wide at the row's
/// poleward edge, so a cell is at least `cell_m` × `cell_m` everywhere and
/// the columns of a row wrap around the ±180° meridian like the Earth does.
///
/// Queries are exact: a point is reported if and only if its
/// [`haversine_m`] distance is at most the radius. The grid only limits which
/// points are compared. It is fastest when the query radius is close to the
/// cell size; a query much larger than the cells falls back to comparing
/// every point.
///
/// Items are numbered by insertion order, from 0.
#[derive(Clone, Debug)]
pub struct GridIndex<T> {
    cell_m: f64,
    /// Height of a row, in degrees of latitude.
    row_deg: f64,
    rows: i32,
    items: Vec<(Point, T)>,
    cells: HashMap<CellKey, Vec<usize>>,
}

impl<T> GridIndex<T> {
    /// An empty grid with cells of `cell_m` metres.
    ///
    /// # Panics
    ///
    /// When `cell_m` is not a finite, strictly positive number: the cell size
    /// is a constant chosen by the programmer, not data.
    pub fn new(cell_m: f64) -> Self {
        assert!(
            cell_m.is_finite() && cell_m > 0.0,
            "GridIndex cell size must be finite and positive, got {cell_m}"
        );
        let row_deg = (cell_m / METRES_PER_DEGREE).min(180.0);
        // At least one row; the cast saturates, and a 1 mm cell still fits.
        let rows = ((180.0 / row_deg).ceil() as i32).max(1);
        GridIndex {
            cell_m,
            row_deg,
            rows,
            items: Vec::new(),
            cells: HashMap::new(),
        }
    }

    /// The cell size given to [`GridIndex::new`], in metres.
    pub fn cell_m(&self) -> f64 {
        self.cell_m
    }

    /// Number of items inserted.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item was inserted.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds an item at `point` and returns its index (the number of items
    /// inserted before it).
    pub fn insert(&mut self, point: Point, value: T) -> usize {
        let index = self.items.len();
        let key = self.cell_of(point);
        self.items.push((point, value));
        self.cells.entry(key).or_default().push(index);
        index
    }

    /// The item of insertion index `index`, with its point.
    pub fn get(&self, index: usize) -> Option<(Point, &T)> {
        self.items.get(index).map(|(point, value)| (*point, value))
    }

    /// Every item with its point, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (Point, &T)> + '_ {
        self.items.iter().map(|(point, value)| (*point, value))
    }

    /// Items at most `radius_m` metres from `point`, with their distance, in
    /// no particular order.
    pub fn within(&self, point: Point, radius_m: f64) -> impl Iterator<Item = (&T, f64)> + '_ {
        self.within_indices(point, radius_m)
            .map(|(index, distance)| (&self.items[index].1, distance))
    }

    /// Insertion indices of the items at most `radius_m` metres from
    /// `point`, with their distance, in no particular order.
    pub fn within_indices(
        &self,
        point: Point,
        radius_m: f64,
    ) -> impl Iterator<Item = (usize, f64)> + '_ {
        let mut keys = Vec::new();
        let candidates: Box<dyn Iterator<Item = usize> + '_> =
            if self.candidate_cells(point, radius_m, &mut keys) {
                Box::new(
                    keys.into_iter()
                        .filter_map(|key| self.cells.get(&key))
                        .flatten()
                        .copied(),
                )
            } else {
                Box::new(0..self.items.len())
            };
        candidates.filter_map(move |index| {
            let distance = haversine_m(point, self.items[index].0);
            (distance <= radius_m).then_some((index, distance))
        })
    }

    /// Every pair `(i, j)` of insertion indices, `i < j`, of items at most
    /// `radius_m` metres apart, sorted.
    ///
    /// Each item is compared only with the items of the cells its radius
    /// reaches (its own and the neighbouring ones when the radius is at most
    /// the cell size), so the cost grows with the number of items times the
    /// local density, not with the square of the number of items.
    pub fn pairs_within(&self, radius_m: f64) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        let mut keys = Vec::new();
        for (i, (point, _)) in self.items.iter().enumerate() {
            keys.clear();
            let mut consider = |j: usize| {
                if j > i && haversine_m(*point, self.items[j].0) <= radius_m {
                    pairs.push((i, j));
                }
            };
            if self.candidate_cells(*point, radius_m, &mut keys) {
                for key in &keys {
                    if let Some(indices) = self.cells.get(key) {
                        indices.iter().for_each(|&j| consider(j));
                    }
                }
            } else {
                (i + 1..self.items.len()).for_each(consider);
            }
        }
        pairs.sort_unstable();
        pairs
    }

    fn row_of(&self, lat: f64) -> i32 {
        (((lat + 90.0) / self.row_deg).floor() as i32).clamp(0, self.rows - 1)
    }

    /// Latitude range of a row, clamped to the globe.
    fn row_bounds(&self, row: i32) -> (f64, f64) {
        let south = -90.0 + f64::from(row) * self.row_deg;
        (south, (south + self.row_deg).min(90.0))
    }

    /// Number of columns of a row: as many as fit with columns at least
    /// `cell_m` wide at its poleward edge.
    fn columns(&self, row: i32) -> i32 {
        let (south, north) = self.row_bounds(row);
        let poleward = south.abs().max(north.abs()).min(90.0);
        let width_deg = 360.0 * poleward.to_radians().cos();
        ((width_deg / self.row_deg).floor() as i32).max(1)
    }

    fn column_of(lon: f64, columns: i32) -> i32 {
        let width = 360.0 / f64::from(columns);
        (((lon + 180.0) / width).floor() as i64).rem_euclid(i64::from(columns)) as i32
    }

    fn cell_of(&self, point: Point) -> CellKey {
        let row = self.row_of(point.lat);
        (row, Self::column_of(point.lon, self.columns(row)))
    }

    /// Fills `keys` with the cells that may hold a point at most `radius_m`
    /// from `point`, each once. Returns `false`, leaving `keys` unspecified,
    /// when there would be more such cells than occupied cells: scanning every
    /// item is then cheaper.
    fn candidate_cells(&self, point: Point, radius_m: f64, keys: &mut Vec<CellKey>) -> bool {
        if radius_m.is_nan() || radius_m < 0.0 {
            // Nothing qualifies: no cell to search.
            return true;
        }
        // Angular radius. Beyond half a turn, everything qualifies.
        let delta = radius_m / EARTH_RADIUS_M;
        if delta >= std::f64::consts::PI {
            return false;
        }
        let delta_deg = delta.to_degrees() + EPSILON_DEG;
        let (lat_min, lat_max) = (
            (point.lat - delta_deg).max(-90.0),
            (point.lat + delta_deg).min(90.0),
        );
        let (row_min, row_max) = (self.row_of(lat_min), self.row_of(lat_max));
        // Searching a few hundred cells is cheap; beyond that, only when
        // there are as many occupied cells.
        let budget = self.cells.len().max(MIN_CELL_BUDGET);
        let hav_delta = (delta / 2.0).sin().powi(2);
        let cos_lat = point.lat.to_radians().cos();
        for row in row_min..=row_max {
            let columns = self.columns(row);
            // The latitudes of this row the circle can reach.
            let (south, north) = self.row_bounds(row);
            let (south, north) = (south.max(lat_min), north.min(lat_max));
            let poleward = south.abs().max(north.abs()).min(90.0);
            // For a point at latitude φ within δ of (φ0, λ0), the haversine
            // formula gives hav Δλ ≤ hav δ / (cos φ0 · cos φ); bound cos φ by
            // its smallest value in the row.
            let denominator = cos_lat * poleward.to_radians().cos();
            let ratio = if denominator > 0.0 {
                hav_delta / denominator
            } else {
                f64::INFINITY
            };
            let span = if ratio >= 1.0 {
                columns
            } else {
                let dlon = (2.0 * ratio.sqrt().asin()).to_degrees() + EPSILON_DEG;
                let width = 360.0 / f64::from(columns);
                let first = ((point.lon - dlon + 180.0) / width).floor() as i64;
                let last = ((point.lon + dlon + 180.0) / width).floor() as i64;
                let span = last - first + 1;
                if span < i64::from(columns) {
                    if keys.len() + span as usize > budget {
                        return false;
                    }
                    keys.extend(
                        (first..=last)
                            .map(|column| (row, column.rem_euclid(i64::from(columns)) as i32)),
                    );
                    continue;
                }
                columns
            };
            if keys.len() + span as usize > budget {
                return false;
            }
            keys.extend((0..span).map(|column| (row, column)));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> Point {
        Point::new(lat, lon).expect("valid test point")
    }

    fn brute_pairs(points: &[Point], radius_m: f64) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for i in 0..points.len() {
            for j in i + 1..points.len() {
                if haversine_m(points[i], points[j]) <= radius_m {
                    pairs.push((i, j));
                }
            }
        }
        pairs
    }

    fn grid_of(points: &[Point], cell_m: f64) -> GridIndex<usize> {
        let mut grid = GridIndex::new(cell_m);
        for (i, point) in points.iter().enumerate() {
            assert_eq!(grid.insert(*point, i), i);
        }
        grid
    }

    #[test]
    fn empty_grid() {
        let grid: GridIndex<()> = GridIndex::new(100.0);
        assert!(grid.is_empty());
        assert_eq!(grid.len(), 0);
        assert!(grid.pairs_within(1_000.0).is_empty());
        assert_eq!(grid.within(p(0.0, 0.0), 1e9).count(), 0);
    }

    #[test]
    fn within_finds_close_points_only() {
        let mut grid = GridIndex::new(200.0);
        let capitole = p(43.6045, 1.4440);
        grid.insert(capitole, "capitole");
        grid.insert(p(43.6047, 1.4442), "next door");
        grid.insert(p(43.6110, 1.4540), "1 km away");
        let mut found: Vec<_> = grid
            .within(capitole, 100.0)
            .map(|(name, _)| *name)
            .collect();
        found.sort_unstable();
        assert_eq!(found, vec!["capitole", "next door"]);
        assert_eq!(grid.within(capitole, 2_000.0).count(), 3);
        assert_eq!(grid.within(capitole, -1.0).count(), 0);
        assert_eq!(grid.within(capitole, f64::NAN).count(), 0);
        assert_eq!(grid.get(1).map(|(_, name)| *name), Some("next door"));
        assert_eq!(grid.cell_m(), 200.0);
    }

    #[test]
    fn pairs_across_the_antimeridian() {
        // Fiji-like longitudes: 166°E (Nouvelle-Calédonie) is far from the
        // meridian, Wallis-et-Futuna at -176° is not.
        let points = [
            p(-13.3, 179.9999),
            p(-13.3, -179.9999),
            p(-13.3, 180.0),
            p(-13.3, -180.0),
        ];
        let grid = grid_of(&points, 50.0);
        assert_eq!(grid.pairs_within(50.0), brute_pairs(&points, 50.0));
        assert_eq!(grid.pairs_within(50.0).len(), 6);
    }

    #[test]
    fn large_radius_falls_back_to_a_scan() {
        let points = [
            p(48.85, 2.35),
            p(-22.27, 166.44),
            p(-17.53, -149.57),
            p(16.24, -61.53),
        ];
        let grid = grid_of(&points, 10.0);
        assert_eq!(grid.pairs_within(2.1e7).len(), 6);
        assert_eq!(grid.within(points[0], 2.1e7).count(), 4);
    }

    #[test]
    #[should_panic(expected = "cell size")]
    fn zero_cell_size_is_a_programming_error() {
        let _ = GridIndex::<()>::new(0.0);
    }

    /// Clusters of points around places chosen to exercise the grid:
    /// mainland France, the equator, high latitudes and both sides of the
    /// antimeridian.
    fn clustered_points() -> impl Strategy<Value = Vec<Point>> {
        let centres = prop::sample::select(vec![
            (43.6, 1.44),
            (0.0, 0.0),
            (-22.27, 166.44),
            (-17.53, -149.57),
            (-13.3, 179.999),
            (-13.3, -179.999),
            (72.0, 25.0),
            (-75.0, -60.0),
        ]);
        let offset = (-0.02f64..0.02, -0.05f64..0.05);
        prop::collection::vec((centres, offset), 0..120).prop_map(|raw| {
            raw.into_iter()
                .map(|((lat, lon), (dlat, dlon))| {
                    let mut lon = lon + dlon;
                    if lon > 180.0 {
                        lon -= 360.0;
                    } else if lon < -180.0 {
                        lon += 360.0;
                    }
                    p(lat + dlat, lon)
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn pairs_within_equals_brute_force(
            points in clustered_points(),
            cell_m in 5.0f64..5_000.0,
            radius_factor in 0.0f64..3.0,
        ) {
            let radius_m = cell_m * radius_factor;
            let grid = grid_of(&points, cell_m);
            prop_assert_eq!(grid.pairs_within(radius_m), brute_pairs(&points, radius_m));
        }

        #[test]
        fn within_equals_brute_force(
            points in clustered_points(),
            centre in (0usize..120, -0.01f64..0.01, -0.01f64..0.01),
            cell_m in 5.0f64..5_000.0,
            radius_m in 0.0f64..8_000.0,
        ) {
            prop_assume!(!points.is_empty());
            let base = points[centre.0 % points.len()];
            let mut lon = base.lon + centre.2;
            if lon > 180.0 {
                lon -= 360.0;
            } else if lon < -180.0 {
                lon += 360.0;
            }
            let query = p((base.lat + centre.1).clamp(-90.0, 90.0), lon);
            let grid = grid_of(&points, cell_m);
            let mut found: Vec<usize> = grid.within(query, radius_m).map(|(i, _)| *i).collect();
            found.sort_unstable();
            let expected: Vec<usize> = (0..points.len())
                .filter(|&i| haversine_m(query, points[i]) <= radius_m)
                .collect();
            prop_assert_eq!(found, expected);
        }
    }
}
