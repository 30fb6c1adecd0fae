//! Weighted searches (docs/algorithm.md §10.4): the flat kernel's weighted
//! ball sums, which still add whole nodes through weighted node totals, and
//! the visit of every point in a kernel's support, with its squared distance.

use super::{BallSearch, Found};
use crate::error::{try_filled, Result};
use crate::exact::distance::{squared_distance, SquaredRadius};
use crate::exact::weighted::{
    products_are_safe, two_product_unchecked, LaneSums, Members, WeightedSubtotal, WeightedSums,
    LANES,
};
use crate::options::Kernel;
use crate::points::Coord;

/// A node's members of positive weight, as stored: no point, or copies of
/// the point with this index, or [`MIXED`].
const NOTHING: u32 = u32::MAX;
const MIXED: u32 = u32::MAX - 1;

/// Per node of one tree: the weighted coordinate sums `Σ w x` and the weight
/// sum `Σ w` of its points, each with its error term, and which points of
/// positive weight it holds.
pub struct WeightedTotals<'w> {
    weights: &'w [f64],
    /// Per node: `dim` sums, `dim` error terms, the weight and its error.
    totals: Vec<f64>,
    members: Vec<u32>,
}

/// The points in tree order, each row its `dim` coordinates (as float64)
/// and its weight, so that a kernel's visit of a node reads one contiguous
/// run of memory instead of gathering rows by index.
pub struct OrderedRows {
    rows: Vec<f64>,
}

impl<'a, T: Coord> BallSearch<'a, T> {
    /// The points and `weights` (None: 1 each) in tree order, if the exact
    /// products of a batched kernel sum are safe for them (no coordinate
    /// or weight near the float64 limit); None otherwise.
    pub fn ordered_rows(&self, weights: Option<&[f64]>) -> Result<Option<OrderedRows>> {
        let dim = self.points.dim();
        let largest =
            |values: &mut dyn Iterator<Item = f64>| values.fold(0.0f64, |m, x| m.max(x.abs()));
        let coordinate = largest(&mut self.points.as_slice().iter().map(|x| x.to_f64()));
        let weight = weights.map_or(1.0, |w| largest(&mut w.iter().copied()));
        if !products_are_safe(weight, coordinate) {
            return Ok(None);
        }
        let mut rows = try_filled(self.order.len() * (dim + 1), 0.0)?;
        for (row, &i) in rows.chunks_exact_mut(dim + 1).zip(&self.order) {
            for (r, &x) in row.iter_mut().zip(self.points.row(i as usize)) {
                *r = x.to_f64();
            }
            row[dim] = weights.map_or(1.0, |w| w[i as usize]);
        }
        Ok(Some(OrderedRows { rows }))
    }

    /// Adds every point within `squared_distance(q, p) <= support2` to
    /// `sums`, with the term weight `w * kernel.profile(u)`,
    /// `u = squared_distance / r2` (0 at `q` itself): docs/algorithm.md
    /// §10.3. Nodes outside the support are pruned (§6.2); the points of
    /// every other leaf, and of nodes wholly inside, are weighed in batches
    /// of [`LANES`] from `rows` (made by [`BallSearch::ordered_rows`]).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn kernel_sum(
        &self,
        q: &[f64],
        support2: f64,
        r2: f64,
        kernel: Kernel,
        weighted: bool,
        rows: &OrderedRows,
        sums: &mut LaneSums,
    ) {
        if self.nodes.is_empty() {
            return;
        }
        let dim = q.len();
        let support = SquaredRadius::new(support2, dim);
        let mut pending = [0u32; 64];
        let mut top = 1;
        while top > 0 {
            top -= 1;
            let id = pending[top] as usize;
            let (near, far) = self.node_bounds(id, q);
            if support.surely_excludes(near) {
                continue;
            }
            let node = self.nodes[id];
            if node.right == 0 || support.surely_includes(far) {
                let run =
                    &rows.rows[node.start as usize * (dim + 1)..node.end as usize * (dim + 1)];
                for batch in run.chunks(LANES * (dim + 1)) {
                    weigh_batch(batch, q, support2, r2, kernel, weighted, sums);
                }
            } else {
                pending[top] = node.right;
                pending[top + 1] = (id + 1) as u32;
                top += 2;
            }
        }
    }
    /// The weighted totals of every node, for `weights` (one per point),
    /// computed bottom-up: nodes are in preorder, so children come after
    /// their parent and a reverse walk meets them first.
    pub fn weighted_totals<'w>(&self, weights: &'w [f64]) -> Result<WeightedTotals<'w>> {
        let dim = self.points.dim();
        let stride = 2 * dim + 2;
        let mut totals = try_filled(self.nodes.len() * stride, 0.0)?;
        let mut members = try_filled(self.nodes.len(), NOTHING)?;
        let mut sums = WeightedSums::new(dim);
        for id in (0..self.nodes.len()).rev() {
            let node = self.nodes[id];
            sums.clear();
            let mut held = NOTHING;
            if node.right == 0 {
                for &i in &self.order[node.start as usize..node.end as usize] {
                    let w = weights[i as usize];
                    sums.add(self.points.row(i as usize), w, 0.0);
                    if w > 0.0 {
                        held = self.join(held, i);
                    }
                }
            } else {
                for child in [id + 1, node.right as usize] {
                    let subtotal = self.stored(&totals, &members, child, dim);
                    sums.add_subtotal(subtotal);
                    held = self.join(held, members[child]);
                }
            }
            let total = sums.subtotal::<T>(Members::Nothing);
            let slot = &mut totals[id * stride..(id + 1) * stride];
            slot[..dim].copy_from_slice(total.sums);
            slot[dim..2 * dim].copy_from_slice(total.errors);
            slot[2 * dim] = total.weight;
            slot[2 * dim + 1] = total.weight_error;
            members[id] = held;
        }
        Ok(WeightedTotals {
            weights,
            totals,
            members,
        })
    }

    /// The members of two groups together.
    fn join(&self, a: u32, b: u32) -> u32 {
        match (a, b) {
            (NOTHING, x) | (x, NOTHING) => x,
            (MIXED, _) | (_, MIXED) => MIXED,
            (i, j) => {
                let same = self
                    .points
                    .row(i as usize)
                    .iter()
                    .zip(self.points.row(j as usize));
                if same.into_iter().all(|(x, y)| x.to_f64() == y.to_f64()) {
                    i
                } else {
                    MIXED
                }
            }
        }
    }

    fn stored<'t>(
        &'t self,
        totals: &'t [f64],
        members: &[u32],
        id: usize,
        dim: usize,
    ) -> WeightedSubtotal<'t, T> {
        let slot = &totals[id * (2 * dim + 2)..(id + 1) * (2 * dim + 2)];
        WeightedSubtotal {
            sums: &slot[..dim],
            errors: &slot[dim..2 * dim],
            weight: slot[2 * dim],
            weight_error: slot[2 * dim + 1],
            members: match members[id] {
                NOTHING => Members::Nothing,
                MIXED => Members::Mixed,
                i => Members::CopiesOf(self.points.row(i as usize)),
            },
        }
    }

    /// Adds every point within the closed ball, with its weight, to `sums`:
    /// the weighted counterpart of [`BallSearch::ball_sum`], adding nodes
    /// wholly inside the ball through `totals` (made by
    /// [`BallSearch::weighted_totals`] on this tree).
    #[inline]
    pub fn weighted_ball_sum(
        &self,
        q: &[f64],
        r2: f64,
        totals: &WeightedTotals,
        sums: &mut WeightedSums,
    ) {
        let dim = self.points.dim();
        self.search(q, r2, |found| match found {
            Found::Node(id) => {
                sums.add_subtotal(self.stored(&totals.totals, &totals.members, id, dim))
            }
            Found::Point(i) => sums.add(self.points.row(i), totals.weights[i], 0.0),
        });
    }

    /// Calls `visit(i, d2)` for every point `i` with
    /// `d2 = squared_distance(q, row i) <= r2`, in tree order: nodes outside
    /// the ball are pruned, every point inside is visited.
    #[inline]
    pub fn for_each_within_at(&self, q: &[f64], r2: f64, mut visit: impl FnMut(usize, f64)) {
        self.for_each_within(q, r2, |i| {
            visit(i, squared_distance(q, self.points.row(i)));
        });
    }
}

/// Weighs up to [`LANES`] rows (`dim` coordinates and a weight each): the
/// support test and `u` from the ordered squared distance (docs/algorithm.md §6.1), the
/// exact term weight `w * k(u)`, then the lanes' sums.
#[inline(always)]
fn weigh_batch(
    batch: &[f64],
    q: &[f64],
    support2: f64,
    r2: f64,
    kernel: Kernel,
    weighted: bool,
    sums: &mut LaneSums,
) {
    let dim = q.len();
    let stride = dim + 1;
    let count = batch.len() / stride;
    let mut c_hi = [0.0; LANES];
    let mut c_lo = [0.0; LANES];
    for (l, row) in batch.chunks_exact(stride).enumerate() {
        let d2 = squared_distance(q, &row[..dim]);
        if d2 <= support2 {
            let u = if d2 == 0.0 { 0.0 } else { d2 / r2 };
            let k = kernel.profile(u);
            (c_hi[l], c_lo[l]) = if weighted {
                two_product_unchecked(row[dim], k)
            } else {
                (k, 0.0)
            };
        }
    }
    sums.add_batch(&c_hi, &c_lo, |l, j| {
        if l < count {
            batch[l * stride + j]
        } else {
            0.0
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::summation::CoordinateSums;
    use crate::points::Points;
    use crate::testing::noise;

    #[test]
    fn weighted_ball_sums_add_each_point_with_its_weight() {
        let data: Vec<f64> = noise(3, 2 * 4000).iter().map(|x| x * 4.0).collect();
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let weights: Vec<f64> = (0..p.len()).map(|i| (i % 4) as f64 * 0.5).collect();
        let totals = t.weighted_totals(&weights).unwrap();
        for (k, r) in [0.1, 0.7, 3.0, 100.0].into_iter().enumerate() {
            let q = p.row(k * 101).to_vec();
            let mut tree = WeightedSums::new(2);
            t.weighted_ball_sum(&q, r * r, &totals, &mut tree);
            let mut brute = WeightedSums::new(2);
            for (i, &w) in weights.iter().enumerate() {
                if squared_distance(&q, p.row(i)) <= r * r {
                    brute.add(p.row(i), w, 0.0);
                }
            }
            assert_eq!(tree.weight(), brute.weight());
            for j in 0..2 {
                let (a, b) = (tree.mean::<f64>(j, true), brute.mean::<f64>(j, true));
                assert_eq!(a.to_bits(), b.to_bits(), "r {r}");
            }
        }
    }

    #[test]
    fn unit_weights_sum_as_the_unweighted_ball() {
        let data: Vec<f64> = noise(9, 3 * 2000);
        let p = Points::new(&data, 3).unwrap();
        let t = BallSearch::new(p).unwrap();
        let ones = vec![1.0; p.len()];
        let totals = t.weighted_totals(&ones).unwrap();
        let q = [0.5, 0.5, 0.5];
        let mut weighted = WeightedSums::new(3);
        t.weighted_ball_sum(&q, 0.1, &totals, &mut weighted);
        let mut plain: CoordinateSums = t.new_sums();
        t.ball_sum(&q, 0.1, &mut plain);
        assert_eq!(weighted.weight(), plain.count() as f64);
        for j in 0..3 {
            assert_eq!(
                weighted.mean::<f64>(j, true).to_bits(),
                plain.mean::<f64>(j).to_bits()
            );
        }
    }

    #[test]
    fn copies_among_positive_weights_only() {
        // Node-level membership: the zero-weight point does not spoil copies.
        let data = [2.0f64, 2.0, 7.0, 2.0];
        let p = Points::new(&data, 1).unwrap();
        let t = BallSearch::new(p).unwrap();
        let weights = [1.0, 1.0, 0.0, 1.0];
        let totals = t.weighted_totals(&weights).unwrap();
        let mut sums = WeightedSums::new(1);
        t.weighted_ball_sum(&[4.0], 100.0, &totals, &mut sums);
        assert_eq!(sums.weight(), 3.0);
        assert_eq!(sums.mean::<f64>(0, true), 2.0);
    }

    #[test]
    fn batched_kernel_sums_equal_weighing_one_by_one() {
        let data: Vec<f64> = noise(6, 3 * 5000).iter().map(|x| x * 3.0).collect();
        let p = Points::new(&data, 3).unwrap();
        let t = BallSearch::new(p).unwrap();
        let weights: Vec<f64> = noise(7, p.len()).iter().map(|w| w * 2.0).collect();
        for kernel in [Kernel::Epanechnikov, Kernel::Gaussian] {
            for w in [None, Some(weights.as_slice())] {
                let rows = t.ordered_rows(w).unwrap().unwrap();
                for (k, r2) in [0.05, 0.4, 2.0].into_iter().enumerate() {
                    let q = p.row(k * 777).to_vec();
                    let support2 = kernel.support() * r2;
                    let mut lanes = LaneSums::new(3);
                    t.kernel_sum(&q, support2, r2, kernel, w.is_some(), &rows, &mut lanes);
                    let mut batched = WeightedSums::new(3);
                    lanes.add_to(&mut batched);
                    let mut one_by_one = WeightedSums::new(3);
                    t.for_each_within_at(&q, support2, |i, d2| {
                        let u = if d2 == 0.0 { 0.0 } else { d2 / r2 };
                        let c = w.map_or(1.0, |w| w[i]) * kernel.profile(u);
                        let (hi, lo) = match w {
                            None => (kernel.profile(u), 0.0),
                            Some(w) => crate::exact::weighted::two_product(w[i], kernel.profile(u)),
                        };
                        assert_eq!(hi, c);
                        one_by_one.add(p.row(i), hi, lo);
                    });
                    assert_eq!(batched.weight(), one_by_one.weight(), "{kernel:?}");
                    for j in 0..3 {
                        let (a, b) = (
                            batched.mean::<f64>(j, false),
                            one_by_one.mean::<f64>(j, false),
                        );
                        assert_eq!(a.to_bits(), b.to_bits(), "{kernel:?} r2 {r2}");
                    }
                }
            }
        }
    }

    #[test]
    fn rows_near_the_float_limit_are_weighed_one_by_one() {
        let data = [1e300, 0.0];
        let t = BallSearch::new(Points::new(&data, 1).unwrap()).unwrap();
        assert!(t.ordered_rows(None).unwrap().is_none());
        assert!(t.ordered_rows(Some(&[1e295, 1.0])).unwrap().is_none());
    }

    #[test]
    fn visits_every_point_within_with_its_distance() {
        let data: Vec<f64> = noise(4, 2 * 1000);
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let q = [0.3, 0.6];
        let mut got = Vec::new();
        t.for_each_within_at(&q, 0.09, |i, d2| got.push((i, d2)));
        got.sort_by_key(|&(i, _)| i);
        let expected: Vec<(usize, f64)> = (0..p.len())
            .map(|i| (i, squared_distance(&q, p.row(i))))
            .filter(|&(_, d2)| d2 <= 0.09)
            .collect();
        assert_eq!(got, expected);
    }
}
