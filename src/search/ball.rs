//! Exact closed-ball search: every point `p` with `squared_distance(q, p) <= r2`
//! (docs/algorithm.md §6.2, §6.3).
//!
//! A KD-tree over an index permutation of the caller's points (the points are
//! not copied). A node is pruned or taken whole only when its distance bounds
//! prove that every one of its points would fail or pass the per-point test
//! (see [`SquaredRadius`]), so membership is exactly the per-point test
//! `squared_distance(q, p) <= r2`, whatever the tree's shape.
//!
//! A tree that serves many searches can also keep a copy of the rows in its
//! order ([`BallSearch::keep_rows_in_order`]), so that a leaf's rows are one
//! run of memory instead of rows scattered over the caller's matrix.
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

mod build;
mod median;
mod weighted;

pub use weighted::{OrderedRows, WeightedTotals};

use rayon::prelude::*;

use crate::error::{try_copied, try_filled_by_workers, Result};
use crate::exact::distance::{squared_distance, sum_in_lanes, SquaredRadius};
use crate::exact::summation::{CoordinateSums, Subtotal, Summation};
use crate::memory;
use crate::parallel::{PerWorker, Task};
use crate::points::{Coord, Points};

/// Nodes are stored in preorder: a node's left child follows it, and its
/// subtree fills a fixed run of slots (see `build`) so that subtrees can be
/// built in parallel into disjoint parts of the arrays.
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    start: u32,
    end: u32,
    /// Index of the right child; 0 for a leaf.
    right: u32,
    /// Whether all its points coincide (its box is a single point).
    copies: bool,
}

/// An exact KD-tree over the caller's points (not copied: an index
/// permutation), whose nodes carry exact bounds and coordinate totals.
///
/// ```
/// use fastmeanshift::search::ball::BallSearch;
/// use fastmeanshift::Points;
///
/// let x = [0.0, 1.0, 2.0, 5.0];
/// let tree = BallSearch::new(Points::new(&x, 1).unwrap()).unwrap();
/// let mut within = Vec::new();
/// tree.for_each_within(&[1.0], 1.0, |i| within.push(i)); // closed ball of radius 1
/// within.sort();
/// assert_eq!(within, [0, 1, 2]);
/// let mut sums = tree.new_sums();
/// tree.ball_sum(&[1.0], 1.0, &mut sums);
/// assert_eq!((sums.count(), sums.mean::<f64>(0)), (3, 1.0));
/// ```
pub struct BallSearch<'a, T> {
    points: Points<'a, T>,
    order: Vec<u32>,
    nodes: Vec<Node>,
    /// Per node: `dim` pairs of lower and upper bounds.
    bounds: Vec<[f64; 2]>,
    /// Per node: `dim` coordinate sums, then `dim` error terms.
    totals: Vec<f64>,
    summation: Summation,
    /// The rows in tree order, once [`BallSearch::keep_rows_in_order`] has
    /// copied them: searches then read them instead of the caller's rows.
    rows_in_order: Option<Vec<T>>,
}

/// The searches a tree is built for, which decide the size of its leaves
/// (whatever the size, every search gives the same result): see
/// [`BallSearch::new_parallel_for`] and [`crate::Kernel::serves`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    /// Ball sums and counts, which add whole nodes (the flat kernel, the
    /// bandwidth estimate, the modes): small leaves, so that few points are
    /// tested one by one.
    NodeSums,
    /// Kernel sums ([`BallSearch::kernel_sum`]), which weigh every point of
    /// a support one by one, eight at a time: leaves of at least 64 points,
    /// so that a sum visits fewer nodes and fills its batches (2-D fits of
    /// 5,000 points: Epanechnikov 24% and Gaussian 8% faster than on leaves
    /// of 16; 32 and 128 were measured too).
    KernelSums,
}

impl<'a, T: Coord> BallSearch<'a, T> {
    /// The tree over `points`, for ball sums, built on the calling thread.
    pub fn new(points: Points<'a, T>) -> Result<Self> {
        Self::build(points, Serves::NodeSums, false, &Task::uncancelled())
    }

    /// The tree over `points`, for ball sums, its subtrees built in parallel
    /// by the workers that run `task` (see [`crate::Workers::run`]);
    /// abandoned with [`crate::Error::Interrupted`] once `task` is cancelled.
    pub fn new_parallel(points: Points<'a, T>, task: &Task) -> Result<Self> {
        Self::build(points, Serves::NodeSums, true, task)
    }

    /// [`Self::new_parallel`], with leaves sized for the searches it `serves`.
    ///
    /// ```
    /// use fastmeanshift::parallel::never_stop;
    /// use fastmeanshift::search::ball::{BallSearch, Serves};
    /// use fastmeanshift::{Points, Workers};
    ///
    /// let x = [0.0, 1.0, 2.0, 5.0];
    /// let points = Points::new(&x, 1).unwrap();
    /// let within = Workers::new(2)
    ///     .unwrap()
    ///     .run(0, &never_stop, |task| {
    ///         let tree = BallSearch::new_parallel_for(points, Serves::KernelSums, task)?;
    ///         let mut within = Vec::new();
    ///         tree.for_each_within(&[1.0], 1.0, |i| within.push(i));
    ///         Ok(within)
    ///     })
    ///     .unwrap();
    /// assert_eq!(within.len(), 3);
    /// ```
    pub fn new_parallel_for(points: Points<'a, T>, serves: Serves, task: &Task) -> Result<Self> {
        Self::build(points, serves, true, task)
    }

    /// An empty accumulator for this tree's ball sums.
    pub fn new_sums(&self) -> CoordinateSums {
        CoordinateSums::new(self.points.dim(), self.summation)
    }

    /// The points the tree is over.
    pub fn points(&self) -> Points<'a, T> {
        self.points
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
                Found::Point(k, _) => visit(self.order[k] as usize),
            },
        );
    }

    /// Adds every point within the closed ball to `sums` (made by
    /// [`Self::new_sums`]).
    ///
    /// In many dimensions, on x86-64 CPUs with AVX2, the same code runs
    /// compiled a second time for them: lane sums then take half the
    /// instructions. The operations and their order are the same (Rust never
    /// fuses a multiply and an add), so the result is the same, bit for bit.
    /// (Measured on one thread: 64-D climbing 405 -> 269 ms; but 10-D
    /// 224 -> 430 ms, hence the threshold.)
    #[inline]
    pub fn ball_sum(&self, q: &[f64], r2: f64, sums: &mut CoordinateSums) {
        const AVX2_DIMENSIONS: usize = 32;
        #[cfg(target_arch = "x86_64")]
        if q.len() >= AVX2_DIMENSIONS && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.ball_sum_avx2(q, r2, sums) };
        }
        self.ball_sum_portable(q, r2, sums);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn ball_sum_avx2(&self, q: &[f64], r2: f64, sums: &mut CoordinateSums) {
        self.ball_sum_portable(q, r2, sums);
    }

    #[inline(always)]
    fn ball_sum_portable(&self, q: &[f64], r2: f64, sums: &mut CoordinateSums) {
        self.search(
            q,
            r2,
            #[inline(always)]
            |found| match found {
                Found::Node(id) => sums.add_subtotal(self.subtotal(id)),
                Found::Point(_, row) => sums.add(row),
            },
        );
    }

    /// Points in tree order: consecutive ones are near each other.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// The bytes the tree holds: its index, its nodes and, once copied, its
    /// rows in tree order (not the caller's points).
    ///
    /// ```
    /// use fastmeanshift::search::ball::BallSearch;
    /// use fastmeanshift::Points;
    ///
    /// let x = [0.0, 5.0, 1.0, 2.0];
    /// let tree = BallSearch::new(Points::new(&x, 1)?)?;
    /// assert!(tree.bytes() >= 4 * std::mem::size_of::<u32>());
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&self.order[..])
            + std::mem::size_of_val(&self.nodes[..])
            + std::mem::size_of_val(&self.bounds[..])
            + std::mem::size_of_val(&self.totals[..])
            + self
                .rows_in_order
                .as_ref()
                .map_or(0, |rows| std::mem::size_of_val(&rows[..]))
    }

    /// Copies the rows in tree order, for every later search to read (once:
    /// a second call does nothing): one more copy of the points, which pays
    /// where searches are many (every point a seed or a query: a fit of
    /// 4,000 10-D points climbs 12% faster, of the 64-D digits 10%). Copied
    /// in parallel blocks in the pool `task` runs in, and given up with
    /// [`crate::Error::Interrupted`] once `task` is cancelled. Results do not
    /// change: the rows are the same values.
    ///
    /// ```
    /// use fastmeanshift::parallel::never_stop;
    /// use fastmeanshift::search::ball::BallSearch;
    /// use fastmeanshift::{Points, Workers};
    ///
    /// let x = [0.0, 5.0, 1.0, 2.0];
    /// let mut tree = BallSearch::new(Points::new(&x, 1)?)?;
    /// let mut before = tree.new_sums();
    /// tree.ball_sum(&[1.0], 1.0, &mut before);
    /// Workers::new(2)?.run(0, &never_stop, |task| tree.keep_rows_in_order(task))?;
    /// let mut after = tree.new_sums();
    /// tree.ball_sum(&[1.0], 1.0, &mut after);
    /// assert_eq!((after.count(), after.mean::<f64>(0)), (3, 1.0));
    /// assert_eq!(after.mean::<f64>(0), before.mean::<f64>(0));
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn keep_rows_in_order(&mut self, task: &Task) -> Result<()> {
        // Rows per check of the task.
        const BLOCK: usize = 1 << 14;
        if self.rows_in_order.is_some() {
            return Ok(());
        }
        let dim = self.points.dim();
        let mut rows = try_filled_by_workers(self.order.len() * dim, T::from_f64(0.0))?;
        let points = self.points;
        rows.par_chunks_mut(BLOCK * dim)
            .zip(self.order.par_chunks(BLOCK))
            .try_for_each(|(block, order)| {
                task.check()?;
                for (row, &i) in block.chunks_exact_mut(dim).zip(order) {
                    row.copy_from_slice(points.row(i as usize));
                }
                Ok(())
            })?;
        self.rows_in_order = Some(rows);
        Ok(())
    }

    /// The tree for each worker of the pool this runs in to search: where
    /// the tree keeps its rows in order (where searches are many), every
    /// worker beyond the first searches a copy of its own if the copies take
    /// at most 8 MiB in all; elsewhere all search the tree itself. See
    /// [`PerWorker`] for why; results do not change.
    ///
    /// ```
    /// use fastmeanshift::parallel::never_stop;
    /// use fastmeanshift::search::ball::BallSearch;
    /// use fastmeanshift::{Points, Workers};
    ///
    /// let x = [0.0, 5.0, 1.0, 2.0];
    /// let mut tree = BallSearch::new(Points::new(&x, 1)?)?;
    /// let counts = Workers::new(2)?.run(0, &never_stop, |task| {
    ///     tree.keep_rows_in_order(task)?;
    ///     let trees = tree.per_worker()?;
    ///     Ok(rayon::broadcast(|_| {
    ///         let mut sums = trees.get().new_sums();
    ///         trees.get().ball_sum(&[1.0], 1.0, &mut sums);
    ///         sums.count()
    ///     }))
    /// })?;
    /// assert_eq!(counts, [3, 3]);
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn per_worker(&self) -> Result<PerWorker<'_, Self>> {
        let workers = rayon::current_num_threads();
        if self.rows_in_order.is_none() || !memory::tree_per_worker_fits(self.bytes(), workers) {
            return Ok(PerWorker::shared(self));
        }
        // Made here: made by the workers that read them, they were no faster
        // (the 64-D digits on two threads: 126 against 120 ms, medians of 35
        // fits each).
        let copies = (1..workers)
            .map(|_| self.replica())
            .collect::<Result<_>>()?;
        Ok(PerWorker::new(self, copies))
    }

    /// A copy of the tree, with its rows in tree order if it keeps them, for
    /// another core to search (see [`BallSearch::per_worker`]): it finds
    /// what the tree finds. [`crate::Error::OutOfMemory`] if there is
    /// no room for [`BallSearch::bytes`] more.
    ///
    /// ```
    /// use fastmeanshift::search::ball::BallSearch;
    /// use fastmeanshift::Points;
    ///
    /// let x = [0.0, 5.0, 1.0, 2.0];
    /// let tree = BallSearch::new(Points::new(&x, 1)?)?;
    /// let copy = tree.replica()?;
    /// let (mut sums, mut copy_sums) = (tree.new_sums(), copy.new_sums());
    /// tree.ball_sum(&[1.0], 1.0, &mut sums);
    /// copy.ball_sum(&[1.0], 1.0, &mut copy_sums);
    /// assert_eq!((copy_sums.count(), copy_sums.mean::<f64>(0)), (sums.count(), sums.mean::<f64>(0)));
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn replica(&self) -> Result<Self> {
        Ok(BallSearch {
            points: self.points,
            order: try_copied(&self.order)?,
            nodes: try_copied(&self.nodes)?,
            bounds: try_copied(&self.bounds)?,
            totals: try_copied(&self.totals)?,
            summation: self.summation,
            rows_in_order: self.rows_in_order.as_deref().map(try_copied).transpose()?,
        })
    }

    /// Calls `visit(k, row)` for the places `k` of the tree's order in
    /// `start..end` and their rows, from the copy in tree order if there is
    /// one.
    #[inline(always)]
    fn for_each_row<'s>(&'s self, start: u32, end: u32, mut visit: impl FnMut(usize, &'s [T])) {
        let places = start as usize..end as usize;
        match &self.rows_in_order {
            Some(rows) => {
                let dim = self.points.dim();
                let run = &rows[places.start * dim..places.end * dim];
                for (k, row) in places.zip(run.chunks_exact(dim)) {
                    visit(k, row);
                }
            }
            None => {
                for (k, &i) in places.clone().zip(&self.order[places]) {
                    visit(k, self.points.row(i as usize));
                }
            }
        }
    }

    /// Splits the points by squared distance from `q` into those at most
    /// `inner` (returns how many), those above `inner` and at most `outer`
    /// (their squared distances are pushed to `shell`), and the rest.
    /// Distances are `squared_distance`'s own; whole nodes are counted or
    /// skipped only when their bounds prove it.
    pub fn count_within_and_collect_shell(
        &self,
        q: &[f64],
        inner: f64,
        outer: f64,
        shell: &mut Vec<f64>,
    ) -> usize {
        let (inner, outer) = (
            SquaredRadius::new(inner, q.len()),
            SquaredRadius::new(outer, q.len()),
        );
        let mut count = 0;
        if !self.nodes.is_empty() {
            self.split_by_shell(0, q, &inner, &outer, &mut count, shell);
        }
        count
    }

    fn split_by_shell(
        &self,
        id: usize,
        q: &[f64],
        inner: &SquaredRadius,
        outer: &SquaredRadius,
        count: &mut usize,
        shell: &mut Vec<f64>,
    ) {
        let (near, far) = self.node_bounds(id, q);
        let node = self.nodes[id];
        if outer.surely_excludes(near) {
        } else if inner.surely_includes(far) {
            *count += (node.end - node.start) as usize;
        } else if node.right == 0 {
            self.for_each_row(
                node.start,
                node.end,
                #[inline(always)]
                |_, row| {
                    let d2 = squared_distance(q, row);
                    if d2 <= inner.r2() {
                        *count += 1;
                    } else if d2 <= outer.r2() {
                        shell.push(d2);
                    }
                },
            );
        } else {
            self.split_by_shell(id + 1, q, inner, outer, count, shell);
            self.split_by_shell(node.right as usize, q, inner, outer, count, shell);
        }
    }

    #[inline(always)]
    fn search<'s>(&'s self, q: &[f64], r2: f64, mut found: impl FnMut(Found<'s, T>)) {
        if self.nodes.is_empty() {
            return;
        }
        let radius = SquaredRadius::new(r2, q.len());
        // Depth first, left before right, without recursion so that the whole
        // search inlines into its caller (see `ball_sum`). Pending right
        // children: at most one per level, and a tree over u32 indices has
        // fewer than 40 levels.
        let mut pending = [0u32; 64];
        let mut top = 1;
        while top > 0 {
            top -= 1;
            let id = pending[top] as usize;
            let (near, far) = self.node_bounds(id, q);
            if radius.surely_excludes(near) {
                continue;
            }
            let node = self.nodes[id];
            if radius.surely_includes(far) {
                found(Found::Node(id));
            } else if node.right == 0 {
                self.for_each_row(
                    node.start,
                    node.end,
                    #[inline(always)]
                    |k, row| {
                        if radius.contains(q, row) {
                            found(Found::Point(k, row));
                        }
                    },
                );
            } else {
                pending[top] = node.right;
                pending[top + 1] = (id + 1) as u32;
                top += 2;
            }
        }
    }
}

/// What a search found inside the ball: a whole node, or one point (its
/// place in the tree's order, and its row).
enum Found<'s, T> {
    Node(usize),
    Point(usize, &'s [T]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::weighted::WeightedSums;
    use crate::parallel::tests::run_cancelled;
    use crate::parallel::{never_stop, Workers};
    use crate::testing::noise;

    fn scaled_noise(seed: u64, len: usize, scale: f64) -> Vec<f64> {
        noise(seed, len).iter().map(|x| x * scale).collect()
    }

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
    fn every_instruction_set_sums_the_same_bits() {
        for dim in [2, 31, 32, 64, 100] {
            let data = scaled_noise(dim as u64, 500 * dim, 4.0);
            let p = Points::new(&data, dim).unwrap();
            let t = BallSearch::new(p).unwrap();
            for k in [0, 17, 333] {
                let q = p.row(k).to_vec();
                let r2 = squared_distance(&q, p.row(k + 1));
                let (mut dispatched, mut portable) = (t.new_sums(), t.new_sums());
                t.ball_sum(&q, r2, &mut dispatched);
                t.ball_sum_portable(&q, r2, &mut portable);
                assert_eq!(dispatched.count(), found(&t, &q, r2).len());
                assert_eq!(dispatched.count(), portable.count());
                for j in 0..dim {
                    let (a, b) = (dispatched.mean::<f64>(j), portable.mean::<f64>(j));
                    assert_eq!(a.to_bits(), b.to_bits(), "dim {dim}");
                }
            }
        }
    }

    #[test]
    fn parallel_build_finds_and_sums_the_same() {
        let data = scaled_noise(11, 3 * 100_000, 10.0);
        let p = Points::new(&data, 3).unwrap();
        let alone = BallSearch::new(p).unwrap();
        let parallel = Workers::new(2)
            .unwrap()
            .run(0, &never_stop, |task| BallSearch::new_parallel(p, task))
            .unwrap();
        for (k, r) in [0.3, 1.0, 4.0].into_iter().enumerate() {
            let q: Vec<f64> = p.row(k * 997).to_vec();
            assert_eq!(found(&alone, &q, r * r), found(&parallel, &q, r * r));
            let (mut a, mut b) = (alone.new_sums(), parallel.new_sums());
            alone.ball_sum(&q, r * r, &mut a);
            parallel.ball_sum(&q, r * r, &mut b);
            assert_eq!(a.count(), b.count());
            for j in 0..3 {
                assert_eq!(a.mean::<f64>(j).to_bits(), b.mean::<f64>(j).to_bits());
            }
        }
    }

    #[test]
    fn subtrees_built_on_copied_rows_find_exactly() {
        // 2 MiB of rows: subtrees of up to an eighth of them are built on
        // copies of their rows.
        let data = scaled_noise(13, 2 * 131_072, 4.0);
        let p = Points::new(&data, 2).unwrap();
        let tree = BallSearch::new(p).unwrap();
        let mut order = tree.order().to_vec();
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(k, &i)| k == i as usize));
        for (k, r) in [0.05, 0.4, 1.5].into_iter().enumerate() {
            let q: Vec<f64> = p.row(k * 40_009).to_vec();
            assert_eq!(found(&tree, &q, r * r), brute(p, &q, r * r));
        }
    }

    #[test]
    fn a_tree_with_large_leaves_finds_and_sums_exactly() {
        // Enough points for leaves twice the usual size.
        let data = scaled_noise(14, 1 << 22, 100.0);
        let p = Points::new(&data, 1).unwrap();
        let tree = BallSearch::new(p).unwrap();
        for (k, r) in [0.001, 0.02, 0.5].into_iter().enumerate() {
            let q: Vec<f64> = p.row(k * 1_000_003).to_vec();
            let within = brute(p, &q, r * r);
            assert_eq!(found(&tree, &q, r * r), within);
            let mut sums = tree.new_sums();
            tree.ball_sum(&q, r * r, &mut sums);
            let mut one_by_one = tree.new_sums();
            for &i in &within {
                one_by_one.add(p.row(i));
            }
            assert_eq!(sums.count(), within.len());
            assert_eq!(
                sums.mean::<f64>(0).to_bits(),
                one_by_one.mean::<f64>(0).to_bits()
            );
        }
    }

    #[test]
    fn rows_kept_in_order_change_no_search() {
        fn check<T: Coord>(data: &[T], dim: usize) {
            let p = Points::new(data, dim).unwrap();
            let scattered = BallSearch::new(p).unwrap();
            let mut ordered = BallSearch::new(p).unwrap();
            let workers = Workers::new(2).unwrap();
            let copy = |task: &Task| ordered.keep_rows_in_order(task);
            workers.run(0, &never_stop, copy).unwrap();
            let weights: Vec<f64> = noise(3, p.len()).iter().map(|w| w + 0.5).collect();
            let (scattered_totals, ordered_totals) = workers
                .run(0, &never_stop, |task| {
                    Ok((
                        scattered.weighted_totals(&weights, task)?,
                        ordered.weighted_totals(&weights, task)?,
                    ))
                })
                .unwrap();
            for (k, r) in [0.0, 0.3, 1.0, 3.0, 50.0].into_iter().enumerate() {
                let q: Vec<f64> = p.row(k * 37).iter().map(|x| x.to_f64()).collect();
                let r2 = r * r;
                assert_eq!(found(&scattered, &q, r2), found(&ordered, &q, r2));
                let (mut a, mut b) = (scattered.new_sums(), ordered.new_sums());
                scattered.ball_sum(&q, r2, &mut a);
                ordered.ball_sum(&q, r2, &mut b);
                assert_eq!(a.count(), b.count());
                let (mut wa, mut wb) = (WeightedSums::new(dim), WeightedSums::new(dim));
                scattered.weighted_ball_sum(&q, r2, &scattered_totals, &mut wa);
                ordered.weighted_ball_sum(&q, r2, &ordered_totals, &mut wb);
                assert_eq!(wa.weight().to_bits(), wb.weight().to_bits());
                for j in 0..dim {
                    assert_eq!(a.mean::<f64>(j).to_bits(), b.mean::<f64>(j).to_bits());
                    let (x, y) = (wa.mean::<f64>(j, true), wb.mean::<f64>(j, true));
                    assert_eq!(x.to_bits(), y.to_bits());
                }
                let (mut sa, mut sb) = (Vec::new(), Vec::new());
                let inner = r2 / 2.0;
                let na = scattered.count_within_and_collect_shell(&q, inner, r2, &mut sa);
                let nb = ordered.count_within_and_collect_shell(&q, inner, r2, &mut sb);
                assert_eq!((na, sa), (nb, sb));
            }
        }
        for dim in [1, 2, 10, 64] {
            let data = scaled_noise(dim as u64 + 40, 900 * dim, 4.0);
            check(&data, dim);
            let single: Vec<f32> = data.iter().map(|&x| x as f32).collect();
            check(&single, dim);
        }
    }

    #[test]
    fn workers_beyond_the_first_search_copies_that_find_the_same() {
        let data = scaled_noise(41, 10 * 2000, 4.0);
        let p = Points::new(&data, 10).unwrap();
        let mut tree = BallSearch::new(p).unwrap();
        let address = |tree: &BallSearch<f64>| tree as *const BallSearch<f64> as usize;
        let original = address(&tree);
        // What each worker of three searches, and what it finds: the
        // sums of balls around a few points, bit for bit.
        let searched_by_workers = |tree: &BallSearch<f64>| {
            Workers::new(3)
                .unwrap()
                .run(0, &never_stop, |_| {
                    let trees = tree.per_worker()?;
                    Ok(rayon::broadcast(|_| {
                        let searched = address(trees.get());
                        let means: Vec<u64> = (0..20)
                            .flat_map(|k| {
                                let q: Vec<f64> = p.row(k * 97).to_vec();
                                let mut sums = trees.get().new_sums();
                                trees.get().ball_sum(&q, 2.0, &mut sums);
                                (0..10)
                                    .map(|j| sums.mean::<f64>(j).to_bits())
                                    .collect::<Vec<_>>()
                            })
                            .collect();
                        (searched, means)
                    }))
                })
                .unwrap()
        };
        // Without rows in order, all search the tree itself.
        let shared = searched_by_workers(&tree);
        assert!(shared.iter().all(|(searched, _)| *searched == original));
        Workers::new(1)
            .unwrap()
            .run(0, &never_stop, |task| tree.keep_rows_in_order(task))
            .unwrap();
        let copied = searched_by_workers(&tree);
        assert_eq!(copied[0].0, original);
        assert!(copied[1].0 != original && copied[2].0 != original);
        assert!(copied[1].0 != copied[2].0);
        for (_, means) in copied.iter().chain(&shared) {
            assert_eq!(means, &shared[0].1);
        }
    }

    #[test]
    fn a_cancelled_build_gives_up() {
        let data = scaled_noise(12, 3 * 10_000, 10.0);
        let p = Points::new(&data, 3).unwrap();
        let got = run_cancelled(|task| BallSearch::new_parallel(p, task).map(|_| ()));
        assert_eq!(got, Err(crate::Error::Interrupted));
    }

    #[test]
    fn shells_count_and_collect_exactly() {
        let data: Vec<f64> = noise(5, 2 * 3000);
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let q = [0.5, 0.4];
        let all: Vec<f64> = (0..p.len())
            .map(|i| squared_distance(&q, p.row(i)))
            .collect();
        for (inner, outer) in [(0.01, 0.04), (-1.0, f64::INFINITY), (0.0, 0.0), (0.1, 0.1)] {
            let mut shell = Vec::new();
            let within = t.count_within_and_collect_shell(&q, inner, outer, &mut shell);
            let mut expected: Vec<f64> = all
                .iter()
                .copied()
                .filter(|&d| d > inner && d <= outer)
                .collect();
            assert_eq!(within, all.iter().filter(|&&d| d <= inner).count());
            shell.sort_by(f64::total_cmp);
            expected.sort_by(f64::total_cmp);
            assert_eq!(shell, expected);
        }
    }

    #[test]
    fn matches_brute_force_in_many_dimensions() {
        for dim in [1, 2, 3, 5, 17, 64] {
            let data = scaled_noise(dim as u64, 700 * dim, 10.0);
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
