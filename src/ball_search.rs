//! Exact closed-ball search: every point `p` with `squared_distance(q, p) <= r2`.
//!
//! A KD-tree over an index permutation of the caller's points (the points are
//! not copied). Its node tests are computed with the same floating-point
//! operations, in the same order, as [`squared_distance`], and rounding is
//! monotone, so for every point of a node
//!   `lower_bound <= squared_distance(q, p) <= upper_bound`
//! holds exactly, not just up to rounding. Pruning on `lower_bound > r2` and
//! accepting whole nodes on `upper_bound <= r2` therefore never changes which
//! points are inside a ball: membership is exactly the per-point test.
//!
//! Every node also carries the count and coordinate sums of its points, so a
//! ball sum adds a node wholly inside the ball in O(dim) and opens only the
//! nodes its sphere cuts. Which nodes a set is made of depends on the query,
//! but the sums are exact or compensated (see `summation`), so a mean depends
//! on the set alone, not on how it was assembled.
//!
//! (kiddo is not used here: it does not expose its nodes, its radius queries
//! allocate a result vector per call and it computes distances in the storage
//! type, `f32` for float32 data.)

use crate::error::{try_filled, Error, Result};
use crate::points::{squared_distance, squared_distances, Coord, Points};
use crate::summation::{CoordinateSums, Subtotal, Summation};

const LEAF_SIZE: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Node {
    start: u32,
    end: u32,
    /// Index of the left child (the right one follows it); 0 for a leaf.
    left: u32,
}

pub struct BallSearch<'a, T> {
    points: Points<'a, T>,
    order: Vec<u32>,
    nodes: Vec<Node>,
    /// Per node: `dim` lower bounds, then `dim` upper bounds.
    bounds: Vec<f64>,
    /// Per node: `dim` coordinate sums, then `dim` error terms.
    totals: Vec<f64>,
    summation: Summation,
}

impl<'a, T: Coord> BallSearch<'a, T> {
    pub fn new(points: Points<'a, T>) -> Result<Self> {
        let n = points.len();
        let dim = points.dim();
        let mut order = try_filled(n, 0u32)?;
        for (i, slot) in order.iter_mut().enumerate() {
            *slot = i as u32;
        }
        let max_nodes = 2 * n.div_ceil(LEAF_SIZE).next_power_of_two();
        let out_of_memory = |bytes: usize| Error::OutOfMemory { bytes };
        let mut nodes = Vec::new();
        nodes
            .try_reserve_exact(max_nodes)
            .map_err(|_| out_of_memory(max_nodes * std::mem::size_of::<Node>()))?;
        let mut bounds = Vec::new();
        bounds
            .try_reserve_exact(max_nodes * 2 * dim)
            .map_err(|_| out_of_memory(max_nodes * 16 * dim))?;
        let summation = Summation::for_values(points.as_slice().iter().map(|x| x.to_f64()));
        let mut tree = BallSearch {
            points,
            order,
            nodes,
            bounds,
            totals: Vec::new(),
            summation,
        };
        if n > 0 {
            tree.build();
        }
        tree.totals = try_filled(tree.nodes.len() * 2 * dim, 0.0)?;
        tree.add_up_nodes();
        Ok(tree)
    }

    pub fn summation(&self) -> Summation {
        self.summation
    }

    /// An empty accumulator for this tree's ball sums.
    pub fn new_sums(&self) -> CoordinateSums {
        CoordinateSums::new(self.points.dim(), self.summation)
    }

    pub fn points(&self) -> Points<'a, T> {
        self.points
    }

    fn build(&mut self) {
        let dim = self.points.dim();
        self.push_node(0, self.points.len());
        let mut pending = vec![0usize];
        while let Some(id) = pending.pop() {
            let Node { start, end, .. } = self.nodes[id];
            let (start, end) = (start as usize, end as usize);
            if end - start <= LEAF_SIZE {
                continue;
            }
            let b = &self.bounds[id * 2 * dim..(id + 1) * 2 * dim];
            let (split_dim, spread) =
                (0..dim)
                    .map(|j| (j, b[dim + j] - b[j]))
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |best, c| if c.1 > best.1 { c } else { best },
                    );
            if spread.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                // All points of the node coincide: splitting cannot separate them.
                continue;
            }
            let mid = start + (end - start) / 2;
            let points = self.points;
            self.order[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
                let (a, b) = (
                    points.row(a as usize)[split_dim],
                    points.row(b as usize)[split_dim],
                );
                a.to_f64().total_cmp(&b.to_f64())
            });
            let left = self.nodes.len();
            self.nodes[id].left = left as u32;
            self.push_node(start, mid);
            self.push_node(mid, end);
            pending.push(left + 1);
            pending.push(left);
        }
    }

    /// Fills every node's totals, children before parents (a child's index is
    /// always above its parent's).
    fn add_up_nodes(&mut self) {
        let dim = self.points.dim();
        let mut sums = self.new_sums();
        for id in (0..self.nodes.len()).rev() {
            sums.clear();
            let node = self.nodes[id];
            if node.left == 0 {
                for &i in &self.order[node.start as usize..node.end as usize] {
                    sums.add(self.points.row(i as usize));
                }
            } else {
                let left = node.left as usize;
                sums.add_subtotal(self.subtotal(left));
                sums.add_subtotal(self.subtotal(left + 1));
            }
            let total = sums.subtotal();
            let slot = &mut self.totals[id * 2 * dim..(id + 1) * 2 * dim];
            slot[..dim].copy_from_slice(total.sums);
            slot[dim..].copy_from_slice(total.errors);
        }
    }

    /// A node's count and sums; its points are all copies of one exactly when
    /// its bounding box is a single point.
    #[inline(always)]
    fn subtotal(&self, id: usize) -> Subtotal<'_> {
        let dim = self.points.dim();
        let node = self.nodes[id];
        let (lo, hi) = self.bounds[id * 2 * dim..(id + 1) * 2 * dim].split_at(dim);
        let (sums, errors) = self.totals[id * 2 * dim..(id + 1) * 2 * dim].split_at(dim);
        Subtotal {
            count: (node.end - node.start) as usize,
            sums,
            errors,
            copies_of: (lo == hi).then_some(lo),
        }
    }

    fn push_node(&mut self, start: usize, end: usize) {
        let dim = self.points.dim();
        let base = self.bounds.len();
        self.bounds.resize(base + 2 * dim, 0.0);
        let (lo, hi) = self.bounds[base..].split_at_mut(dim);
        lo.fill(f64::INFINITY);
        hi.fill(f64::NEG_INFINITY);
        for &i in &self.order[start..end] {
            for (j, &x) in self.points.row(i as usize).iter().enumerate() {
                let x = x.to_f64();
                lo[j] = lo[j].min(x);
                hi[j] = hi[j].max(x);
            }
        }
        self.nodes.push(Node {
            start: start as u32,
            end: end as u32,
            left: 0,
        });
    }

    /// Lower and upper bounds of `squared_distance(q, p)` over the node's points,
    /// built from the same per-coordinate operations (see the module docs).
    #[inline(always)]
    fn node_bounds(&self, id: usize, q: &[f64]) -> (f64, f64) {
        let dim = q.len();
        let b = &self.bounds[id * 2 * dim..(id + 1) * 2 * dim];
        let (lo, hi) = b.split_at(dim);
        let (mut near, mut far) = (0.0f64, 0.0f64);
        for j in 0..dim {
            let below = q[j] - lo[j];
            let above = q[j] - hi[j];
            let gap = if below < 0.0 {
                -below
            } else if above > 0.0 {
                above
            } else {
                0.0
            };
            let reach = below.abs().max(above.abs());
            near += gap * gap;
            far += reach * reach;
        }
        (near, far)
    }

    /// Calls `visit(i)` for every point `i` with `squared_distance(q, row i) <= r2`,
    /// in tree order.
    #[inline]
    pub fn for_each_within(&self, q: &[f64], r2: f64, mut visit: impl FnMut(usize)) {
        if !self.nodes.is_empty() {
            self.descend(0, q, r2, &mut visit);
        }
    }

    fn descend(&self, id: usize, q: &[f64], r2: f64, visit: &mut impl FnMut(usize)) {
        let (near, far) = self.node_bounds(id, q);
        if near > r2 {
            return;
        }
        let node = self.nodes[id];
        let members = &self.order[node.start as usize..node.end as usize];
        if far <= r2 {
            members.iter().for_each(|&i| visit(i as usize));
        } else if node.left == 0 {
            for &i in members {
                if squared_distance(q, self.points.row(i as usize)) <= r2 {
                    visit(i as usize);
                }
            }
        } else {
            let left = node.left as usize;
            self.descend(left, q, r2, visit);
            self.descend(left + 1, q, r2, visit);
        }
    }

    /// Adds every point within the closed ball to `sums` (made by
    /// [`Self::new_sums`]).
    #[inline]
    pub fn ball_sum(&self, q: &[f64], r2: f64, sums: &mut CoordinateSums) {
        if !self.nodes.is_empty() {
            self.sum_within(0, q, r2, sums);
        }
    }

    fn sum_within(&self, id: usize, q: &[f64], r2: f64, sums: &mut CoordinateSums) {
        let (near, far) = self.node_bounds(id, q);
        if near > r2 {
            return;
        }
        let node = self.nodes[id];
        if far <= r2 {
            sums.add_subtotal(self.subtotal(id));
        } else if node.left == 0 {
            let members = &self.order[node.start as usize..node.end as usize];
            let mut rows = [self.points.row(0); LEAF_SIZE];
            for (row, &i) in rows.iter_mut().zip(members) {
                *row = self.points.row(i as usize);
            }
            let rows = &rows[..members.len()];
            let mut distances = [0.0; LEAF_SIZE];
            squared_distances(q, rows, &mut distances[..rows.len()]);
            for (row, &d) in rows.iter().zip(&distances) {
                if d <= r2 {
                    sums.add(row);
                }
            }
        } else {
            let left = node.left as usize;
            self.sum_within(left, q, r2, sums);
            self.sum_within(left + 1, q, r2, sums);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::noise;

    fn brute<T: Coord>(p: Points<T>, q: &[f64], r2: f64) -> Vec<usize> {
        (0..p.len())
            .filter(|&i| squared_distance(q, p.row(i)) <= r2)
            .collect()
    }

    fn found<T: Coord>(t: &BallSearch<T>, q: &[f64], r2: f64) -> Vec<usize> {
        let mut v = Vec::new();
        t.for_each_within(q, r2, |i| v.push(i));
        v.sort();
        v
    }

    #[test]
    fn matches_brute_force_in_many_dimensions() {
        for dim in [1, 2, 3, 5, 17, 64] {
            let data: Vec<f64> = noise(dim as u64, 700 * dim)
                .iter()
                .map(|x| x * 10.0)
                .collect();
            let p = Points::new(&data, dim).unwrap();
            let t = BallSearch::new(p).unwrap();
            for (k, r) in [0.0, 0.5, 2.0, 5.0, 40.0].into_iter().enumerate() {
                let q: Vec<f64> = p.row(k * 11).to_vec();
                assert_eq!(found(&t, &q, r * r), brute(p, &q, r * r), "dim {dim} r {r}");
            }
        }
    }

    #[test]
    fn boundary_is_inclusive_on_a_grid() {
        // Integer grid: many points at exactly the radius.
        let data: Vec<f32> = (0..400)
            .flat_map(|i| [(i % 20) as f32, (i / 20) as f32])
            .collect();
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        for (q, r2) in [([5.0, 5.0], 4.0), ([0.0, 0.0], 25.0), ([9.5, 9.5], 0.5)] {
            assert_eq!(found(&t, &q, r2), brute(p, &q, r2));
        }
        assert_eq!(found(&t, &[5.0, 5.0], 1.0).len(), 5);
    }

    #[test]
    fn duplicates_and_zero_radius() {
        let data = vec![3.0f64; 100];
        let p = Points::new(&data, 1).unwrap();
        let t = BallSearch::new(p).unwrap();
        assert_eq!(found(&t, &[3.0], 0.0).len(), 100);
        assert_eq!(found(&t, &[3.0 + 1e-15], 0.0).len(), 0);
    }

    #[test]
    fn visit_order_does_not_depend_on_the_query() {
        let data: Vec<f64> = noise(7, 2000);
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        t.for_each_within(&[0.5, 0.5], 10.0, |i| a.push(i));
        t.for_each_within(&[0.4, 0.6], 10.0, |i| b.push(i));
        assert_eq!(a.len(), 1000);
        assert_eq!(a, b);
    }

    #[test]
    fn ball_sum_counts_and_sums() {
        let data = [0.0f64, 0.0, 1.0, 0.0, 0.0, 1.0, 5.0, 5.0];
        let t = BallSearch::new(Points::new(&data, 2).unwrap()).unwrap();
        let mut sums = t.new_sums();
        t.ball_sum(&[0.0, 0.0], 1.0, &mut sums);
        assert_eq!(sums.count(), 3);
        assert_eq!(
            (sums.mean::<f64>(0), sums.mean::<f64>(1)),
            (1.0 / 3.0, 1.0 / 3.0)
        );
    }

    #[test]
    fn empty_tree_finds_nothing() {
        let data: [f64; 0] = [];
        let t = BallSearch::new(Points::new(&data, 3).unwrap()).unwrap();
        assert!(found(&t, &[0.0, 0.0, 0.0], 1.0).is_empty());
    }
}
