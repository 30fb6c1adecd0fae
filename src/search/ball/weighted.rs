//! Weighted searches (docs/algorithm.md §10.4): the flat kernel's weighted
//! ball sums, which still add whole nodes through weighted node totals, and
//! the visit of every point in a kernel's support, with its squared distance.

use super::{BallSearch, Found};
use crate::error::{try_filled, Result};
use crate::exact::distance::squared_distance;
use crate::exact::weighted::{Members, WeightedSubtotal, WeightedSums};
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

impl<'a, T: Coord> BallSearch<'a, T> {
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
