//! Exact closed-ball search: every point `p` with `squared_distance(q, p) <= r2`.
//!
//! A KD-tree over an index permutation of the caller's points (the points are
//! not copied). A node is pruned or taken whole only when its distance bounds
//! prove that every one of its points would fail or pass the per-point test
//! (see [`SquaredRadius`]), so membership is exactly the per-point test
//! `squared_distance(q, p) <= r2`, whatever the tree's shape.
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
use crate::points::{sum_in_lanes, Coord, Points, SquaredRadius};
use crate::summation::{CoordinateSums, Subtotal, Summation};

/// Points per leaf: in more dimensions a node's bounds cost more and prune
/// less, so leaves grow (sizes picked by instruction counts on the
/// benchmark data).
fn leaf_size(dim: usize) -> usize {
    match dim {
        0..8 => 16,
        8..32 => 32,
        _ => 64,
    }
}

#[derive(Debug, Clone, Copy)]
struct Node {
    start: u32,
    end: u32,
    /// Index of the left child (the right one follows it); 0 for a leaf.
    left: u32,
    /// Whether all its points coincide (its box is a single point).
    copies: bool,
}

pub struct BallSearch<'a, T> {
    points: Points<'a, T>,
    order: Vec<u32>,
    nodes: Vec<Node>,
    /// Per node: `dim` pairs of lower and upper bounds.
    bounds: Vec<[f64; 2]>,
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
        let max_nodes = 2 * n.div_ceil(leaf_size(dim)).next_power_of_two();
        let out_of_memory = |bytes: usize| Error::OutOfMemory { bytes };
        let mut nodes = Vec::new();
        nodes
            .try_reserve_exact(max_nodes)
            .map_err(|_| out_of_memory(max_nodes * std::mem::size_of::<Node>()))?;
        let mut bounds = Vec::new();
        bounds
            .try_reserve_exact(max_nodes * dim)
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
            if end - start <= leaf_size(dim) {
                continue;
            }
            let b = &self.bounds[id * dim..(id + 1) * dim];
            let (split_dim, spread) =
                (0..dim)
                    .map(|j| (j, b[j][1] - b[j][0]))
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

    /// A node's count and sums.
    #[inline(always)]
    fn subtotal(&self, id: usize) -> Subtotal<'_, T> {
        let dim = self.points.dim();
        let node = self.nodes[id];
        let (sums, errors) = self.totals[id * 2 * dim..(id + 1) * 2 * dim].split_at(dim);
        Subtotal {
            count: (node.end - node.start) as usize,
            sums,
            errors,
            copies_of: node
                .copies
                .then(|| self.points.row(self.order[node.start as usize] as usize)),
        }
    }

    fn push_node(&mut self, start: usize, end: usize) {
        let dim = self.points.dim();
        let base = self.bounds.len();
        self.bounds
            .resize(base + dim, [f64::INFINITY, f64::NEG_INFINITY]);
        let bounds = &mut self.bounds[base..];
        for &i in &self.order[start..end] {
            for (b, &x) in bounds.iter_mut().zip(self.points.row(i as usize)) {
                let x = x.to_f64();
                b[0] = b[0].min(x);
                b[1] = b[1].max(x);
            }
        }
        let copies = bounds.iter().all(|&[lo, hi]| lo == hi);
        self.nodes.push(Node {
            start: start as u32,
            end: end as u32,
            left: 0,
            copies,
        });
    }

    /// Bounds on the squared distance from `q` to the node's points: the
    /// near and far sums of squares over its box, taken in lanes (see
    /// [`SquaredRadius`] for why their order does not matter). Each term is
    /// built from the same rounded operations as a point's own term, and
    /// rounding is monotone, so a point's term is never below its `near` term
    /// nor above its `far` one.
    #[inline(always)]
    fn node_bounds(&self, id: usize, q: &[f64]) -> (f64, f64) {
        let dim = q.len();
        let bounds = &self.bounds[id * dim..(id + 1) * dim];
        let near = sum_in_lanes(q, bounds, |q, [lo, hi]| {
            // How far q is below or above the box, or 0 within its span.
            let gap = (lo - q).max(q - hi).max(0.0);
            gap * gap
        });
        let far = sum_in_lanes(q, bounds, |q, [lo, hi]| {
            let reach = (q - lo).abs().max((q - hi).abs());
            reach * reach
        });
        (near, far)
    }

    /// Calls `visit(i)` for every point `i` with `squared_distance(q, row i) <= r2`,
    /// in tree order.
    #[inline]
    pub fn for_each_within(&self, q: &[f64], r2: f64, mut visit: impl FnMut(usize)) {
        self.search(
            q,
            r2,
            #[inline(always)]
            |found| match found {
                Found::Node(id) => {
                    let node = self.nodes[id];
                    (node.start..node.end).for_each(|k| visit(self.order[k as usize] as usize));
                }
                Found::Point(i) => visit(i),
            },
        );
    }

    /// Adds every point within the closed ball to `sums` (made by
    /// [`Self::new_sums`]).
    #[inline]
    pub fn ball_sum(&self, q: &[f64], r2: f64, sums: &mut CoordinateSums) {
        self.search(
            q,
            r2,
            #[inline(always)]
            |found| match found {
                Found::Node(id) => sums.add_subtotal(self.subtotal(id)),
                Found::Point(i) => sums.add(self.points.row(i)),
            },
        );
    }

    #[inline(always)]
    fn search(&self, q: &[f64], r2: f64, mut found: impl FnMut(Found)) {
        if !self.nodes.is_empty() {
            self.descend(0, q, &SquaredRadius::new(r2, q.len()), &mut found);
        }
    }

    fn descend(&self, id: usize, q: &[f64], radius: &SquaredRadius, found: &mut impl FnMut(Found)) {
        let (near, far) = self.node_bounds(id, q);
        if radius.surely_excludes(near) {
            return;
        }
        let node = self.nodes[id];
        if radius.surely_includes(far) {
            found(Found::Node(id));
        } else if node.left == 0 {
            for &i in &self.order[node.start as usize..node.end as usize] {
                if radius.contains(q, self.points.row(i as usize)) {
                    found(Found::Point(i as usize));
                }
            }
        } else {
            let left = node.left as usize;
            self.descend(left, q, radius, found);
            self.descend(left + 1, q, radius, found);
        }
    }
}

/// What a search found inside the ball: a whole node, or one point.
enum Found {
    Node(usize),
    Point(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::squared_distance;
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
