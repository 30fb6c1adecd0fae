//! Weighted searches (docs/algorithm.md §10.4): the flat kernel's weighted
//! ball sums, which still add whole nodes through weighted node totals, and
//! the visit of every point in a kernel's support, with its squared distance.

use super::build::gather_rows;
use super::{BallSearch, Found};
use crate::error::{try_filled_by_workers, try_reserved, Result};
use crate::exact::distance::{squared_distance, SquaredRadius};
use crate::exact::exponential::exp_of_negative;
use crate::exact::lanes::{Float, Lanes};
use crate::exact::weighted::{
    products_are_safe, shortened, Checked, ExactProduct, Fused, LaneSums, Magnitudes, Members,
    Origins, WeightedSubtotal, WeightedSums, LANES,
};
use crate::options::Kernel;
use crate::parallel::Task;
use crate::points::Coord;
use rayon::prelude::*;

/// Rows read or written between two checks of the task.
const BLOCK: usize = 1 << 14;

/// Coordinates a kernel sum weighs between two checks of the task: a few
/// milliseconds of work.
const COORDINATES_PER_CHECK: usize = 1 << 20;

/// Points [`BallSearch::for_each_within_at`] visits between two checks of
/// the task (each visit weighs a point one by one: tens of nanoseconds).
const VISITS_PER_CHECK: usize = 1 << 14;

/// What [`weigh_runs`] takes: the rows, the runs, the position, the
/// support's squared radius, the factor of `u` ([`Kernel::distance_scale`])
/// and the sums.
type RunsQuery<'q, S> = (
    &'q OrderedRows,
    &'q [(u32, u32)],
    &'q [f64],
    f64,
    f64,
    &'q mut LaneSums<S>,
);

/// From this many points on, a subtree's two halves are weighed in parallel.
const PARALLEL_WEIGHING: u32 = 1 << 14;

/// The [`Magnitudes`] of `values`, in parallel blocks.
fn magnitudes<C: Coord>(values: &[C], task: &Task) -> Result<Magnitudes> {
    values
        .par_chunks(BLOCK)
        .map(|block| {
            task.check()?;
            Ok(Magnitudes::of_slice(block))
        })
        .try_reduce(|| Magnitudes::NONE, |a, b| Ok(a.join(b)))
}

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
    /// Whether every product of a weight and a coordinate is exact as one
    /// fused multiply-add ([`products_are_safe`]), so that a CPU with FMA
    /// may form them so.
    fusable: bool,
}

/// The points in tree order as columns: coordinate `j` of every point,
/// as float64, then (with weights) every weight, so that a kernel's visit
/// of a node reads `dim + 1` contiguous runs, eight lanes at a time.
pub struct OrderedRows {
    columns: Vec<f64>,
    /// How many points.
    len: usize,
    weighted: bool,
    /// Where a kernel sum's lane sums start.
    origins: Origins,
}

impl WeightedTotals<'_> {
    /// The bytes it holds (not its weights, which it borrows).
    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&self.totals[..]) + std::mem::size_of_val(&self.members[..])
    }
}

impl OrderedRows {
    /// Where a kernel sum's lane sums start, for these rows.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// The bytes it holds.
    pub fn bytes(&self) -> usize {
        std::mem::size_of_val(&self.columns[..])
    }

    /// Column `column` of the points `i..i + count` (`count <= LANES`), the
    /// lanes past `count` set to `pad`.
    #[inline(always)]
    fn lanes(&self, column: usize, i: usize, count: usize, pad: f64) -> [f64; LANES] {
        let start = column * self.len + i;
        // The columns are followed by LANES values of padding, so that eight
        // lanes can always be read whole: a copy of fewer would be a library
        // call, around which the lane sums a loop holds in vector registers
        // are saved and restored.
        let mut lanes = <[f64; LANES]>::try_from(&self.columns[start..start + LANES])
            .expect("a slice of LANES values");
        if count < LANES {
            // Masks from a table, not a comparison per lane: the compiler
            // knows that lane 0 is always kept, and would split the vectors.
            let live = LIVE[count];
            for (lane, live) in lanes.iter_mut().zip(live) {
                *lane = f64::from_bits((lane.to_bits() & live) | (pad.to_bits() & !live));
            }
        }
        lanes
    }
}

/// A kernel profile as a type, so that each kernel's batch loop is
/// compiled for it alone: [`Kernel::profile`] of `u = d2 * scale` in every
/// lane, by the same operations, from the squared distances `d2` and the
/// [`Kernel::distance_scale`] (a multiplication, not a division by `r2`:
/// eight lanes' division occupies the divider for longer than the rest of
/// a batch of the Epanechnikov kernel, whose sums then took 7% longer).
trait Profile {
    fn at(d2: Lanes, scale: f64) -> Lanes;
}

struct Flat;
struct Epanechnikov;
struct Gaussian;

impl Profile for Flat {
    #[inline(always)]
    fn at(_: Lanes, _: f64) -> Lanes {
        Lanes::splat(1.0)
    }
}

impl Profile for Epanechnikov {
    #[inline(always)]
    fn at(d2: Lanes, scale: f64) -> Lanes {
        Lanes::splat(1.0) - d2 * Lanes::splat(scale)
    }
}

impl Profile for Gaussian {
    /// `exp(-u / 2)` from `t = d2 * (-scale / 2)`, one multiplication: the
    /// same `t` as `-0.5 * (d2 * scale)`, as halving is exact, but where
    /// `t` is subnormal, and there the exponential is 1 either way.
    #[inline(always)]
    fn at(d2: Lanes, scale: f64) -> Lanes {
        exp_of_negative(d2 * Lanes::splat(-0.5 * scale))
    }
}

/// How a kernel sum weighs its runs: [`OrderedRows::weigh`], or in tests
/// one of the paths it chooses between.
type Weigh = fn(&OrderedRows, &[(u32, u32)], (&[f64], f64, Kernel), &mut LaneSums);

impl OrderedRows {
    /// Adds the points of `runs` (places of the tree's order) to `sums`,
    /// for `kernel` at `q` with `r2`, in batches: [`weigh_runs`].
    ///
    /// On x86-64 CPUs with AVX2 and FMA the same code runs compiled for
    /// them, each fused multiply-add one instruction; elsewhere each is the
    /// C library's exact `fma` (the same bits, much more slowly, on the
    /// x86-64 CPUs without FMA, made before 2013). With AVX-512 too, it
    /// runs compiled once more, a batch's eight lanes one register (the
    /// Gaussian kernel's fits 8% faster on the benchmark's Xeon). The
    /// points' own type plays no part here, so each path is compiled once,
    /// not once for float32 and once for float64 trees.
    fn weigh(&self, runs: &[(u32, u32)], query: (&[f64], f64, Kernel), sums: &mut LaneSums) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX-512 F and DQ and FMA, checked just above.
            return unsafe { self.weigh_wide(runs, query, sums) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            return unsafe { self.weigh_fused(runs, query, sums) };
        }
        self.weigh_split(runs, query, sums)
    }

    /// Without AVX2 and FMA: the sums stay in a Vec for every dimension, so
    /// that this rare path is compiled once per kernel, not once per kernel
    /// and dimension.
    fn weigh_split(&self, runs: &[(u32, u32)], query: (&[f64], f64, Kernel), sums: &mut LaneSums) {
        self.weigh_in(runs, query, sums)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn weigh_fused(
        &self,
        runs: &[(u32, u32)],
        query: (&[f64], f64, Kernel),
        sums: &mut LaneSums,
    ) {
        self.weigh_with(runs, query, sums)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
    unsafe fn weigh_wide(
        &self,
        runs: &[(u32, u32)],
        query: (&[f64], f64, Kernel),
        sums: &mut LaneSums,
    ) {
        self.weigh_with(runs, query, sums)
    }

    /// [`OrderedRows::weigh`], compiled for
    /// one, two and three coordinates, whose lane sums the loop keeps in
    /// vector registers (with weights, 2-D: the Epanechnikov kernel's fits
    /// with every point a seed took 69 instead of 84 ms), and for any number.
    #[inline(always)]
    fn weigh_with(&self, runs: &[(u32, u32)], query: (&[f64], f64, Kernel), sums: &mut LaneSums) {
        let held = match query.0.len() {
            1 => self.weigh_held::<1>(runs, query, sums),
            2 => self.weigh_held::<2>(runs, query, sums),
            3 => self.weigh_held::<3>(runs, query, sums),
            _ => None,
        };
        // Not `Option::or_else`: its closure would be compiled without the
        // target features of the caller (a seventh of the speed).
        if held.is_none() {
            self.weigh_in(runs, query, sums);
        }
    }

    /// [`OrderedRows::weigh_in`] over `D` coordinates, into sums held in
    /// arrays of `D`; None if `q` or `sums` do not have `D` coordinates.
    #[inline(always)]
    fn weigh_held<const D: usize>(
        &self,
        runs: &[(u32, u32)],
        (q, r2, kernel): (&[f64], f64, Kernel),
        sums: &mut LaneSums,
    ) -> Option<()> {
        let (q, mut held) = (<&[f64; D]>::try_from(q).ok()?, sums.held_for::<D>()?);
        self.weigh_in(runs, (q, r2, kernel), &mut held);
        sums.put_back(&held);
        Some(())
    }

    /// [`OrderedRows::weigh`] into sums held in `S`, compiled for each
    /// kernel and for weights or none.
    #[inline(always)]
    fn weigh_in<S: AsMut<[[f64; LANES]]>>(
        &self,
        runs: &[(u32, u32)],
        (q, r2, kernel): (&[f64], f64, Kernel),
        sums: &mut LaneSums<S>,
    ) {
        let args = (
            self,
            runs,
            q,
            kernel.support() * r2,
            Kernel::distance_scale(r2),
            sums,
        );
        match (kernel, self.weighted) {
            (Kernel::Flat, false) => weigh_runs::<Flat, false, S>(args),
            (Kernel::Flat, true) => weigh_runs::<Flat, true, S>(args),
            (Kernel::Epanechnikov, false) => weigh_runs::<Epanechnikov, false, S>(args),
            (Kernel::Epanechnikov, true) => weigh_runs::<Epanechnikov, true, S>(args),
            (Kernel::Gaussian, false) => weigh_runs::<Gaussian, false, S>(args),
            (Kernel::Gaussian, true) => weigh_runs::<Gaussian, true, S>(args),
        }
    }
}

impl<'a, T: Coord> BallSearch<'a, T> {
    /// Whether [`products_are_safe`] for these points and `weights` (None:
    /// 1 each), from their magnitudes, found in parallel blocks.
    fn products_are_safe_for(&self, weights: Option<&[f64]>, task: &Task) -> Result<bool> {
        let coordinates = magnitudes(self.points.as_slice(), task)?;
        let weights = match weights {
            Some(w) => magnitudes(w, task)?,
            None => Magnitudes::of([1.0]),
        };
        Ok(products_are_safe(weights, coordinates))
    }

    /// The points and `weights` (None: 1 each) in tree order, if the exact
    /// products of a batched kernel sum are safe for them (no coordinate or
    /// weight near the float64 limits, see [`products_are_safe`]); None
    /// otherwise. Read and written in parallel blocks in the pool `task`
    /// runs in, and given up with [`crate::Error::Interrupted`] once `task`
    /// is cancelled.
    pub fn ordered_rows(
        &self,
        weights: Option<&[f64]>,
        task: &Task,
    ) -> Result<Option<OrderedRows>> {
        let dim = self.points.dim();
        if !self.products_are_safe_for(weights, task)? {
            return Ok(None);
        }
        let len = self.order.len();
        let filled = len * (dim + usize::from(weights.is_some()));
        // LANES values of padding after the columns (see `lanes`).
        let mut columns = try_filled_by_workers(filled + LANES, 0.0)?;
        // Block `b` of every column, so that each row is read once, for all
        // of its columns (rows are read in tree order, each a cache miss
        // away in a large data set).
        let mut blocks: Vec<Vec<&mut [f64]>> = Vec::new();
        for column in columns[..filled].chunks_exact_mut(len.max(1)) {
            for (b, block) in column.chunks_mut(BLOCK).enumerate() {
                if b == blocks.len() {
                    blocks.push(Vec::new());
                }
                blocks[b].push(block);
            }
        }
        blocks
            .into_par_iter()
            .zip(self.order.par_chunks(BLOCK))
            .try_for_each(|(mut block, order)| {
                task.check()?;
                let (coordinates, weight) = block.split_at_mut(dim);
                for (k, &i) in order.iter().enumerate() {
                    for (column, &x) in coordinates.iter_mut().zip(self.points.row(i as usize)) {
                        column[k] = x.to_f64();
                    }
                    if let (Some(w), [column]) = (weights, &mut *weight) {
                        column[k] = w[i as usize];
                    }
                }
                Ok(())
            })?;
        // The origins from the largest magnitude of every column (the
        // weights' last): one more pass, over columns now contiguous.
        let largest = (0..dim + usize::from(weights.is_some()))
            .map(|j| Ok(magnitudes(&columns[j * len..(j + 1) * len], task)?.largest))
            .collect::<Result<Vec<f64>>>()?;
        let largest_weight = if weights.is_some() { largest[dim] } else { 1.0 };
        let Some(origins) = Origins::new(len, largest_weight, &largest[..dim]) else {
            return Ok(None);
        };
        Ok(Some(OrderedRows {
            columns,
            len,
            weighted: weights.is_some(),
            origins,
        }))
    }

    /// Sums every point within `squared_distance(q, p) <= support2` (with
    /// `support2 = kernel.support() * r2`) into `sums` (started from the
    /// origins of `rows`, whatever they held), with the term weight
    /// `w * kernel.profile(u)` rounded, `u = squared_distance *
    /// Kernel::distance_scale(r2)` rounded: docs/algorithm.md §10.3. Nodes
    /// outside the support are pruned (§6.2); the points of every other
    /// leaf, and of nodes wholly inside, are weighed in batches of
    /// [`LANES`] from `rows` (made by [`BallSearch::ordered_rows`]).
    /// Abandoned with [`crate::Error::Interrupted`] once `task` is
    /// cancelled: it is checked every million coordinates weighed, since
    /// one sum can weigh most of the data.
    #[inline]
    pub fn kernel_sum(
        &self,
        q: &[f64],
        r2: f64,
        kernel: Kernel,
        rows: &OrderedRows,
        sums: &mut LaneSums,
        task: &Task,
    ) -> Result<()> {
        self.kernel_sum_by(OrderedRows::weigh, (q, r2, kernel), rows, sums, task)
    }

    /// [`BallSearch::kernel_sum`], its runs weighed by `weigh`.
    fn kernel_sum_by(
        &self,
        weigh: Weigh,
        (q, r2, kernel): (&[f64], f64, Kernel),
        rows: &OrderedRows,
        sums: &mut LaneSums,
        task: &Task,
    ) -> Result<()> {
        sums.start(rows.origins());
        if self.nodes.is_empty() {
            return Ok(());
        }
        let support = SquaredRadius::new(kernel.support() * r2, q.len());
        // The runs of points to weigh (nodes within the support, and leaves
        // it cuts) are queued, then weighed as one stream of batches, so
        // that the pipeline of `weigh_runs` fills once per queue, not once
        // per node. A run longer than `piece` points is queued in pieces of
        // whole batches (so that the batches are those of the whole run),
        // and the task is checked between queues of `piece` points at most.
        let piece = (COORDINATES_PER_CHECK / q.len()).max(LANES) / LANES * LANES;
        let mut queue = RunQueue::default();
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
                let (start, end) = (node.start as usize, node.end as usize);
                for from in (start..end).step_by(piece) {
                    queue.push(from..end.min(from + piece));
                    if queue.is_full() || queue.points >= piece {
                        weigh(rows, queue.runs(), (q, r2, kernel), sums);
                        queue.clear();
                        task.check()?;
                    }
                }
            } else {
                pending[top] = node.right;
                pending[top + 1] = (id + 1) as u32;
                top += 2;
            }
        }
        if !queue.runs().is_empty() {
            weigh(rows, queue.runs(), (q, r2, kernel), sums);
        }
        Ok(())
    }

    /// The weighted totals of every node, for `weights` (one per point),
    /// computed bottom-up, subtrees in parallel in the pool `task` runs in;
    /// given up with [`crate::Error::Interrupted`] once `task` is cancelled.
    pub fn weighted_totals<'w>(
        &self,
        weights: &'w [f64],
        task: &Task,
    ) -> Result<WeightedTotals<'w>> {
        let dim = self.points.dim();
        let fusable = self.products_are_safe_for(Some(weights), task)?;
        let mut totals = try_filled_by_workers(self.nodes.len() * (2 * dim + 2), 0.0)?;
        let mut members = try_filled_by_workers(self.nodes.len(), NOTHING)?;
        if !self.nodes.is_empty() {
            let mut sums = WeightedSums::new(dim);
            let subtree = (0, &mut totals[..], &mut members[..]);
            self.weigh_subtree(subtree, (weights, fusable), None, &mut sums, task)?;
        }
        Ok(WeightedTotals {
            weights,
            totals,
            members,
            fusable,
        })
    }

    /// The weighted totals and members of the subtree rooted at node `id`,
    /// whose slots (nodes are in preorder) start `totals` and `members`:
    /// its children's first, then its own from theirs; a leaf's from its
    /// points. `sums` is scratch space.
    ///
    /// A subtree weighed on one thread first gathers its rows and weights
    /// in tree order (`gathered`): its leaves then read them one after the
    /// other, instead of each point waiting for a row and a weight from
    /// anywhere in the data (the weighted totals of 200k 2-D points, on two
    /// threads, took 3.0 instead of 3.8 ms).
    fn weigh_subtree(
        &self,
        (id, totals, members): (usize, &mut [f64], &mut [u32]),
        weights: (&[f64], bool),
        gathered: Option<&Gathered<T>>,
        sums: &mut WeightedSums,
        task: &Task,
    ) -> Result<()> {
        task.check()?;
        let dim = self.points.dim();
        let stride = 2 * dim + 2;
        let node = self.nodes[id];
        let serial = node.end - node.start < PARALLEL_WEIGHING;
        if gathered.is_none() && serial {
            let gathered = self.gathered(node.start..node.end, weights.0)?;
            let subtree = (id, totals, members);
            return self.weigh_subtree(subtree, weights, Some(&gathered), sums, task);
        }
        let (slot, child_totals) = totals.split_at_mut(stride);
        let (held, child_members) = members.split_at_mut(1);
        sums.clear();
        held[0] = NOTHING;
        if node.right == 0 {
            // Only a leaf of coinciding points outgrows a block (no split
            // separates them): it is weighed a block at a time.
            for start in (node.start..node.end).step_by(BLOCK) {
                task.check()?;
                let part = start..node.end.min(start + BLOCK as u32);
                let members = match gathered {
                    Some(g) => self.weigh_leaf(part, g, weights.1, sums),
                    None => {
                        let block = self.gathered(part.clone(), weights.0)?;
                        self.weigh_leaf(part, &block, weights.1, sums)
                    }
                };
                held[0] = self.join(held[0], members);
            }
        } else {
            let right = node.right as usize;
            let (left_totals, right_totals) = child_totals.split_at_mut((right - id - 1) * stride);
            let (left_members, right_members) = child_members.split_at_mut(right - id - 1);
            let left = (id + 1, &mut *left_totals, &mut *left_members);
            let right = (right, &mut *right_totals, &mut *right_members);
            if serial {
                self.weigh_subtree(left, weights, gathered, sums, task)?;
                self.weigh_subtree(right, weights, gathered, sums, task)?;
            } else {
                let mut right_sums = WeightedSums::new(dim);
                let (left, right) = rayon::join(
                    || self.weigh_subtree(left, weights, None, sums, task),
                    || self.weigh_subtree(right, weights, None, &mut right_sums, task),
                );
                left.and(right)?;
            }
            sums.clear();
            for (totals, member) in [
                (&*left_totals, left_members[0]),
                (&*right_totals, right_members[0]),
            ] {
                sums.add_subtotal(self.subtotal_in(&totals[..stride], member));
                held[0] = self.join(held[0], member);
            }
        }
        let total = sums.subtotal::<T>(Members::Nothing);
        slot[..dim].copy_from_slice(total.sums);
        slot[dim..2 * dim].copy_from_slice(total.errors);
        slot[2 * dim] = total.weight;
        slot[2 * dim + 1] = total.weight_error;
        Ok(())
    }

    /// The rows and `weights` of the places `range` of the tree's order,
    /// copied in that order.
    fn gathered(&self, range: std::ops::Range<u32>, weights: &[f64]) -> Result<Gathered<T>> {
        let order = &self.order[range.start as usize..range.end as usize];
        let mut rows = try_reserved(order.len() * self.points.dim())?;
        gather_rows(self.points, order, &mut rows);
        let mut gathered_weights = try_reserved(order.len())?;
        gathered_weights.extend(order.iter().map(|&i| weights[i as usize]));
        Ok(Gathered {
            rows,
            weights: gathered_weights,
            start: range.start as usize,
        })
    }

    /// Adds the points of a leaf (its `range` of the tree's order, read
    /// from `gathered`) to `sums` with their weights, and returns its
    /// members. With `fusable` weights (see [`WeightedTotals`]) and a CPU
    /// with FMA, each exact product is one instruction: the same bits as
    /// the checked one.
    fn weigh_leaf(
        &self,
        range: std::ops::Range<u32>,
        gathered: &Gathered<T>,
        fusable: bool,
        sums: &mut WeightedSums,
    ) -> u32 {
        #[cfg(target_arch = "x86_64")]
        if fusable && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has FMA, checked just above.
            return unsafe { self.weigh_leaf_fused(range, gathered, sums) };
        }
        self.weigh_leaf_with::<Checked>(range, gathered, sums)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "fma")]
    unsafe fn weigh_leaf_fused(
        &self,
        range: std::ops::Range<u32>,
        gathered: &Gathered<T>,
        sums: &mut WeightedSums,
    ) -> u32 {
        self.weigh_leaf_with::<Fused>(range, gathered, sums)
    }

    #[inline(always)]
    fn weigh_leaf_with<P: ExactProduct>(
        &self,
        range: std::ops::Range<u32>,
        gathered: &Gathered<T>,
        sums: &mut WeightedSums,
    ) -> u32 {
        let dim = self.points.dim();
        let mut held = NOTHING;
        for k in range.start as usize..range.end as usize {
            let (i, at) = (self.order[k], k - gathered.start);
            let w = gathered.weights[at];
            sums.add_with::<P, T>(&gathered.rows[at * dim..(at + 1) * dim], w, 0.0);
            if w > 0.0 {
                held = self.join(held, i);
            }
        }
        held
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
        let stride = 2 * dim + 2;
        self.subtotal_in(&totals[id * stride..(id + 1) * stride], members[id])
    }

    /// A node's weighted subtotal, from its slot of totals and its members.
    fn subtotal_in<'t>(&'t self, slot: &'t [f64], members: u32) -> WeightedSubtotal<'t, T> {
        let dim = self.points.dim();
        WeightedSubtotal {
            sums: &slot[..dim],
            errors: &slot[dim..2 * dim],
            weight: slot[2 * dim],
            weight_error: slot[2 * dim + 1],
            members: match members {
                NOTHING => Members::Nothing,
                MIXED => Members::Mixed,
                i => Members::CopiesOf(self.points.row(i as usize)),
            },
        }
    }

    /// Adds every point within the closed ball, with its weight, to `sums`:
    /// the weighted counterpart of [`BallSearch::ball_sum`], adding nodes
    /// wholly inside the ball through `totals` (made by
    /// [`BallSearch::weighted_totals`] on this tree). Where the weights'
    /// products are exact as fused multiply-adds and the CPU has FMA, the
    /// search runs compiled for it: the same bits, and the climbs from
    /// bin seeds over 200k weighted 2-D points took 4.8 instead of 7.9 ms.
    #[inline]
    pub fn weighted_ball_sum(
        &self,
        q: &[f64],
        r2: f64,
        totals: &WeightedTotals,
        sums: &mut WeightedSums,
    ) {
        #[cfg(target_arch = "x86_64")]
        if totals.fusable && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has FMA, checked just above.
            return unsafe { self.weighted_ball_sum_fused(q, r2, totals, sums) };
        }
        self.weighted_ball_sum_with::<Checked>(q, r2, totals, sums);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "fma")]
    unsafe fn weighted_ball_sum_fused(
        &self,
        q: &[f64],
        r2: f64,
        totals: &WeightedTotals,
        sums: &mut WeightedSums,
    ) {
        self.weighted_ball_sum_with::<Fused>(q, r2, totals, sums);
    }

    #[inline(always)]
    fn weighted_ball_sum_with<P: ExactProduct>(
        &self,
        q: &[f64],
        r2: f64,
        totals: &WeightedTotals,
        sums: &mut WeightedSums,
    ) {
        let dim = self.points.dim();
        self.search(
            q,
            r2,
            #[inline(always)]
            |found| match found {
                Found::Node(id) => {
                    sums.add_subtotal(self.stored(&totals.totals, &totals.members, id, dim))
                }
                Found::Point(k, row) => {
                    sums.add_with::<P, T>(row, totals.weights[self.order[k] as usize], 0.0)
                }
            },
        );
    }

    /// Calls `visit(i, d2)` for every point `i` with
    /// `d2 = squared_distance(q, row i) <= r2`, in tree order: nodes outside
    /// the ball are pruned, every point inside is visited. Given up with
    /// [`crate::Error::Interrupted`] once `task` is cancelled, checked every
    /// `VISITS_PER_CHECK` (16,384) points: a ball can hold most of the data. (The
    /// search then runs to its end without visiting: a search that could
    /// stop midway, written for this rare path, made the benchmark's flat
    /// fits 4% to 21% slower.)
    #[inline]
    pub fn for_each_within_at(
        &self,
        q: &[f64],
        r2: f64,
        task: &Task,
        mut visit: impl FnMut(usize, f64),
    ) -> Result<()> {
        let (mut visited, mut outcome) = (0usize, Ok(()));
        self.for_each_within(q, r2, |i| {
            if outcome.is_ok() {
                visit(i, squared_distance(q, self.points.row(i)));
                visited += 1;
                if visited % VISITS_PER_CHECK == 0 {
                    outcome = task.check();
                }
            }
        });
        outcome
    }
}

/// Rows and weights of a run of places of the tree's order, copied in that
/// order.
struct Gathered<T> {
    rows: Vec<T>,
    weights: Vec<f64>,
    /// The run's first place in the tree's order.
    start: usize,
}

/// Per count of live lanes, the mask of each lane: all bits for the first
/// `count`, none for the others.
const LIVE: [[u64; LANES]; LANES + 1] = {
    let mut live = [[0; LANES]; LANES + 1];
    let mut count = 0;
    while count <= LANES {
        let mut l = 0;
        while l < count {
            live[count][l] = !0;
            l += 1;
        }
        count += 1;
    }
    live
};

/// How many runs a [`RunQueue`] holds.
const RUNS: usize = 32;

/// Runs of places of the tree's order queued for a kernel sum.
#[derive(Default)]
struct RunQueue {
    runs: [(u32, u32); RUNS],
    len: usize,
    /// How many points the runs hold.
    points: usize,
}

impl RunQueue {
    fn push(&mut self, run: std::ops::Range<usize>) {
        self.points += run.len();
        self.runs[self.len] = (run.start as u32, run.end as u32);
        self.len += 1;
    }

    fn is_full(&self) -> bool {
        self.len == RUNS
    }

    fn runs(&self) -> &[(u32, u32)] {
        &self.runs[..self.len]
    }

    fn clear(&mut self) {
        (self.len, self.points) = (0, 0);
    }
}

/// The batches of `runs`, one after the other: each run's points from its
/// start, eight at a time (the last batch of a run may hold fewer), then
/// batches of no points.
struct Batches<'r> {
    runs: &'r [(u32, u32)],
    /// The next batch's first point.
    at: usize,
}

impl<'r> Batches<'r> {
    fn new(runs: &'r [(u32, u32)]) -> Self {
        let at = runs.first().map_or(0, |r| r.0 as usize);
        Batches { runs, at }
    }

    /// The next batch's first point and size.
    #[inline(always)]
    fn next(&mut self) -> (usize, usize) {
        let Some(&(_, end)) = self.runs.first() else {
            return (0, 0);
        };
        let batch = (self.at, (end as usize - self.at).min(LANES));
        self.at += batch.1;
        if self.at == end as usize {
            self.runs = &self.runs[1..];
            self.at = self.runs.first().map_or(0, |r| r.0 as usize);
        }
        batch
    }
}

/// Weighs the points of `runs` (places of the tree's order), batch by batch,
/// point `i + l` of a batch from `i` in lane `l`: the support test and `u`
/// from the ordered squared distance (docs/algorithm.md §6.1), the exact
/// term weight `w * k(u)`, then the lanes' sums. Every lane is computed,
/// branch-free (so that the compiler vectorises each step across the
/// lanes), and a lane outside the support or past the batch's points gets
/// the term weight +0, which leaves its sums as they are.
///
/// A batch's distances are found two batches ahead and its profile one
/// batch ahead: each is a long chain of dependent operations, and the CPU
/// overlaps them with the batch before only as far as they are near it in
/// the program (the Gaussian kernel's loop: 300 → 445 M evaluations a
/// second, 2-D on the benchmark's Xeon).
#[inline(always)]
fn weigh_runs<K: Profile, const WEIGHTED: bool, S: AsMut<[[f64; LANES]]>>(
    (rows, runs, q, support2, scale, sums): RunsQuery<S>,
) {
    // The arithmetic is in functions, not closures: a closure is compiled
    // without the target features of the function it is inlined into, and
    // one left uninlined ran the loop at a seventh of its speed.
    let mut batches = Batches::new(runs);
    let now = batches.next();
    let mut now = (now, profiled::<K>(distances(rows, now, q), scale));
    let next = batches.next();
    let mut next = (next, distances(rows, next, q));
    while now.0 .1 > 0 {
        let after = batches.next();
        let after = (after, distances(rows, after, q));
        let next_profiled = (next.0, profiled::<K>(next.1, scale));
        weigh_profiled::<WEIGHTED, S>(rows, now.0, q.len(), now.1, support2, sums);
        (now, next) = (next_profiled, after);
    }
}

/// The squared distances `d2` of a batch, and their profile, [`shortened`]
/// as [`Kernel::profile`] shortens it.
#[inline(always)]
fn profiled<K: Profile>(d2: Lanes, scale: f64) -> (Lanes, Lanes) {
    (d2, shortened(K::at(d2, scale)))
}

/// The ordered squared distances of the points `i..i + count` of `rows`
/// from `q` (lanes past `count`: NaN).
#[inline(always)]
fn distances(rows: &OrderedRows, (i, count): (usize, usize), q: &[f64]) -> Lanes {
    // Lanes past `count` get coordinates NaN here, hence a squared distance
    // outside every support, and 0 where they are summed (times a term
    // weight +0, they add nothing).
    // The ordered sum from 0 (docs/algorithm.md §6.1), whose first addition, 0 + d * d, is
    // d * d (never -0): not adding it shortens the chain.
    let diff = |j: usize, q: f64| Lanes::splat(q) - Lanes(rows.lanes(j, i, count, f64::NAN));
    let mut d2 = Lanes::splat(0.0);
    if let Some((&q0, rest)) = q.split_first() {
        let d = diff(0, q0);
        d2 = d * d;
        for (j, &q) in rest.iter().enumerate() {
            let d = diff(j + 1, q);
            d2 = d2 + d * d;
        }
    }
    d2
}

/// Adds the points `i..i + count` of `rows` to `sums`, from their squared
/// distances `d2` and profiles `k`.
#[inline(always)]
fn weigh_profiled<const WEIGHTED: bool, S: AsMut<[[f64; LANES]]>>(
    rows: &OrderedRows,
    (i, count): (usize, usize),
    dim: usize,
    (Lanes(d2), Lanes(k)): (Lanes, Lanes),
    support2: f64,
    sums: &mut LaneSums<S>,
) {
    let mut keep = [0u64; LANES];
    for l in 0..LANES {
        keep[l] = if d2[l] <= support2 { !0 } else { 0 };
    }
    let mut c = k;
    if WEIGHTED {
        let w = rows.lanes(dim, i, count, 0.0);
        for l in 0..LANES {
            c[l] = w[l] * k[l];
        }
    }
    for l in 0..LANES {
        c[l] = f64::from_bits(c[l].to_bits() & keep[l]);
    }
    sums.add_batch(&c, |j| rows.lanes(j, i, count, 0.0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::exact::summation::CoordinateSums;
    use crate::parallel::tests::run_cancelled;
    use crate::parallel::{never_stop, Workers};
    use crate::points::Points;
    use crate::search::ball::Serves;
    use crate::testing::noise;

    #[test]
    fn weighing_stops_once_cancelled() {
        let data = noise(4, 2 * 3000);
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let weights = vec![1.0; p.len()];
        let run = run_cancelled(|task| {
            let totals = t.weighted_totals(&weights, task).map(|_| ());
            let rows = t.ordered_rows(Some(&weights), task).map(|_| ());
            assert_eq!(
                (totals, rows),
                (Err(Error::Interrupted), Err(Error::Interrupted))
            );
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
    }

    #[test]
    fn one_large_kernel_sum_stops_once_cancelled() {
        // More coordinates in the support than are weighed between checks.
        let n = COORDINATES_PER_CHECK / 2 + VISITS_PER_CHECK;
        let data = noise(3, 2 * n);
        let p = Points::new(&data, 2).unwrap();
        let uncancelled = Task::uncancelled();
        let t = BallSearch::new_parallel_for(p, Serves::KernelSums, &uncancelled).unwrap();
        let rows = t.ordered_rows(None, &uncancelled).unwrap().unwrap();
        let q = [0.5, 0.5];
        let mut lanes = LaneSums::new(2);
        t.kernel_sum(&q, 4.0, Kernel::Gaussian, &rows, &mut lanes, &uncancelled)
            .unwrap();
        let run = run_cancelled(|task| {
            let sum = t.kernel_sum(&q, 4.0, Kernel::Gaussian, &rows, &mut lanes, task);
            assert_eq!(sum, Err(Error::Interrupted));
            let mut visited = 0;
            let visits = t.for_each_within_at(&q, 4.0, task, |_, _| visited += 1);
            assert_eq!(
                (visits, visited),
                (Err(Error::Interrupted), VISITS_PER_CHECK)
            );
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
    }

    #[test]
    fn a_leaf_of_copies_is_weighed_in_blocks() {
        // One leaf of coinciding points, three blocks long, and two others.
        let copies = 3 * BLOCK + 5;
        let mut data: Vec<f64> = [1.0, 2.0].repeat(copies);
        data.extend([4.0, 4.0, -3.0, 0.5]);
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let weights = vec![0.5; p.len()];
        let totals = t.weighted_totals(&weights, &Task::uncancelled()).unwrap();
        let mut sums = WeightedSums::new(2);
        t.weighted_ball_sum(&[1.0, 2.0], 0.01, &totals, &mut sums);
        assert_eq!(sums.weight(), copies as f64 * 0.5);
        assert_eq!(sums.members(), Members::CopiesOf(&[1.0, 2.0]));
        let run = run_cancelled(|task| t.weighted_totals(&weights, task).map(|_| ()));
        assert_eq!(run, Err(Error::Interrupted));
    }

    #[test]
    fn weighted_ball_sums_add_each_point_with_its_weight() {
        // Enough points for subtrees weighed in parallel, on two workers.
        let data: Vec<f64> = noise(3, 2 * 40_000).iter().map(|x| x * 4.0).collect();
        let p = Points::new(&data, 2).unwrap();
        let weights: Vec<f64> = (0..p.len()).map(|i| (i % 4) as f64 * 0.5).collect();
        let (t, totals) = Workers::new(2)
            .unwrap()
            .run(0, &never_stop, |task| {
                let t = BallSearch::new_parallel(p, task)?;
                let totals = t.weighted_totals(&weights, task)?;
                Ok((t, totals))
            })
            .unwrap();
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
    fn products_by_fma_give_the_checked_products_bits() {
        // Over 16k points, so that subtrees are weighed both in parallel
        // from the caller's rows and one by one from gathered rows.
        let data: Vec<f64> = noise(8, 2 * 20_000).iter().map(|x| x * 5.0 - 1.0).collect();
        let p = Points::new(&data, 2).unwrap();
        let weights: Vec<f64> = noise(9, p.len())
            .iter()
            .map(|w| (w * 3.0).floor() * 0.7)
            .collect();
        let task = Task::uncancelled();
        let t = BallSearch::new(p).unwrap();
        let totals = t.weighted_totals(&weights, &task).unwrap();
        assert!(totals.fusable);
        let mut checked = WeightedTotals {
            totals: vec![0.0; totals.totals.len()],
            members: vec![0; totals.members.len()],
            fusable: false,
            weights: &weights,
        };
        let mut sums = WeightedSums::new(2);
        let subtree = (0, &mut checked.totals[..], &mut checked.members[..]);
        t.weigh_subtree(subtree, (&weights, false), None, &mut sums, &task)
            .unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&totals.totals), bits(&checked.totals));
        assert_eq!(totals.members, checked.members);
        for (k, r2) in [0.01, 0.5, 4.0].into_iter().enumerate() {
            let q = p.row(k * 977).to_vec();
            let (mut fused, mut one_by_one) = (WeightedSums::new(2), WeightedSums::new(2));
            t.weighted_ball_sum(&q, r2, &totals, &mut fused);
            t.weighted_ball_sum_with::<Checked>(&q, r2, &checked, &mut one_by_one);
            assert_eq!(fused.weight().to_bits(), one_by_one.weight().to_bits());
            for j in 0..2 {
                let (a, b) = (fused.mean::<f64>(j, true), one_by_one.mean::<f64>(j, true));
                assert_eq!(a.to_bits(), b.to_bits());
            }
        }
        // Weights too large for the fused products' proof keep the checked ones.
        let huge = vec![1e295; p.len()];
        assert!(!t.weighted_totals(&huge, &task).unwrap().fusable);
    }

    #[test]
    fn unit_weights_sum_as_the_unweighted_ball() {
        let data: Vec<f64> = noise(9, 3 * 2000);
        let p = Points::new(&data, 3).unwrap();
        let t = BallSearch::new(p).unwrap();
        let ones = vec![1.0; p.len()];
        let totals = t.weighted_totals(&ones, &Task::uncancelled()).unwrap();
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
        let totals = t.weighted_totals(&weights, &Task::uncancelled()).unwrap();
        let mut sums = WeightedSums::new(1);
        t.weighted_ball_sum(&[4.0], 100.0, &totals, &mut sums);
        assert_eq!(sums.weight(), 3.0);
        assert_eq!(sums.mean::<f64>(0, true), 2.0);
    }

    #[test]
    fn batched_kernel_sums_equal_weighing_one_by_one() {
        // One to three coordinates have sums held in arrays, four in a Vec.
        for dim in 1..=4 {
            let data: Vec<f64> = noise(6, dim * 5000).iter().map(|x| x * 3.0).collect();
            let p = Points::new(&data, dim).unwrap();
            let weights: Vec<f64> = noise(7, p.len()).iter().map(|w| w * 2.0).collect();
            // On small leaves and on the large leaves of a tree for kernel sums.
            let task = Task::uncancelled();
            let kernel_tree = BallSearch::new_parallel_for(p, Serves::KernelSums, &task);
            for t in [BallSearch::new(p).unwrap(), kernel_tree.unwrap()] {
                for kernel in [Kernel::Epanechnikov, Kernel::Gaussian] {
                    for w in [None, Some(weights.as_slice())] {
                        let rows = t.ordered_rows(w, &task).unwrap().unwrap();
                        for (k, r2) in [0.05, 0.4, 2.0].into_iter().enumerate() {
                            let q = p.row(k * 777).to_vec();
                            let mut lanes = LaneSums::new(dim);
                            t.kernel_sum(&q, r2, kernel, &rows, &mut lanes, &task)
                                .unwrap();
                            // The same lanes from sums held in a Vec.
                            let mut in_vec = LaneSums::new(dim);
                            split_sum(&t, &q, r2, kernel, &rows, &mut in_vec);
                            assert_eq!(lanes.bits(), in_vec.bits(), "{kernel:?} dim {dim}");
                            let mut batched = WeightedSums::new(dim);
                            lanes.add_to(rows.origins(), &mut batched);
                            let one_by_one = weighed_one_by_one(&t, &q, r2, kernel, w);
                            assert_eq!(batched.weight(), one_by_one.weight(), "{kernel:?}");
                            for j in 0..dim {
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
        }
    }

    /// The kernel sum compiled without AVX2 and FMA, with sums held in a
    /// Vec, as CPUs without them run it.
    fn split_sum(
        t: &BallSearch<f64>,
        q: &[f64],
        r2: f64,
        kernel: Kernel,
        rows: &OrderedRows,
        lanes: &mut LaneSums,
    ) {
        let query = (q, r2, kernel);
        t.kernel_sum_by(
            OrderedRows::weigh_split,
            query,
            rows,
            lanes,
            &Task::uncancelled(),
        )
        .unwrap();
    }

    /// [`OrderedRows::weigh`] compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    fn weigh_avx2(
        rows: &OrderedRows,
        runs: &[(u32, u32)],
        query: (&[f64], f64, Kernel),
        sums: &mut LaneSums,
    ) {
        assert!(std::arch::is_x86_feature_detected!("avx2"));
        assert!(std::arch::is_x86_feature_detected!("fma"));
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        unsafe { rows.weigh_fused(runs, query, sums) }
    }

    /// The weighted sums of the points within the support of `kernel` at
    /// `q`, each weighed by itself.
    fn weighed_one_by_one(
        t: &BallSearch<f64>,
        q: &[f64],
        r2: f64,
        kernel: Kernel,
        w: Option<&[f64]>,
    ) -> WeightedSums {
        let mut sums = WeightedSums::new(q.len());
        let support2 = kernel.support() * r2;
        t.for_each_within_at(q, support2, &Task::uncancelled(), |i, d2| {
            let k = kernel.profile(d2 * Kernel::distance_scale(r2));
            sums.add(t.points.row(i), w.map_or(k, |w| w[i] * k), 0.0);
        })
        .unwrap();
        sums
    }

    #[test]
    fn every_cpu_path_gives_the_same_bits() {
        // Data at ordinary, tiny and huge scales, weights of every binade the
        // batches accept, zeros of both signs: the dispatched path (compiled
        // for AVX-512 on CPUs with it), the one for AVX2 and FMA, and the
        // one for neither must agree on every lane's bits.
        let base: Vec<f64> = noise(11, 3 * 3000).iter().map(|x| x * 4.0 - 2.0).collect();
        let spread: Vec<f64> = noise(12, 3000)
            .iter()
            .map(|x| 2f64.powi((x * 700.0) as i32 - 350))
            .collect();
        for scale in [1.0, 2f64.powi(-500), 2f64.powi(500)] {
            let mut data: Vec<f64> = base.iter().map(|x| x * scale).collect();
            data[..6].copy_from_slice(&[0.0, -0.0, 0.0, 0.0, -0.0, -0.0]);
            let p = Points::new(&data, 3).unwrap();
            let t = BallSearch::new(p).unwrap();
            for kernel in [Kernel::Epanechnikov, Kernel::Gaussian] {
                for w in [None, Some(spread.as_slice())] {
                    let rows = t.ordered_rows(w, &Task::uncancelled()).unwrap().unwrap();
                    for (k, r) in [0.3, 1.0, 5.0].into_iter().enumerate() {
                        let q: Vec<f64> = p.row(k * 999).iter().map(|x| x * 0.999).collect();
                        let r2 = (r * scale) * (r * scale);
                        let run = |sum: &dyn Fn(&mut LaneSums)| {
                            let mut lanes = LaneSums::new(3);
                            sum(&mut lanes);
                            lanes.bits()
                        };
                        let task = Task::uncancelled();
                        let dispatched =
                            run(&|l| t.kernel_sum(&q, r2, kernel, &rows, l, &task).unwrap());
                        let split = run(&|l| split_sum(&t, &q, r2, kernel, &rows, l));
                        #[cfg(target_arch = "x86_64")]
                        if std::arch::is_x86_feature_detected!("avx2")
                            && std::arch::is_x86_feature_detected!("fma")
                        {
                            let avx2 = run(&|l| {
                                let query = (q.as_slice(), r2, kernel);
                                t.kernel_sum_by(weigh_avx2, query, &rows, l, &task).unwrap()
                            });
                            assert_eq!(avx2, split, "{kernel:?} scale {scale:e} r {r}");
                        }
                        assert!(split.iter().any(|&b| b != 0));
                        assert_eq!(dispatched, split, "{kernel:?} scale {scale:e} r {r}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_kernel_sum_over_no_points_adds_nothing() {
        let data: [f64; 0] = [];
        let t = BallSearch::new(Points::new(&data, 2).unwrap()).unwrap();
        let task = Task::uncancelled();
        for w in [None, Some(&[][..])] {
            let rows = t.ordered_rows(w, &task).unwrap().unwrap();
            let mut lanes = LaneSums::new(2);
            t.kernel_sum(&[0.0, 0.0], 1.0, Kernel::Gaussian, &rows, &mut lanes, &task)
                .unwrap();
            let mut sums = WeightedSums::new(2);
            lanes.add_to(rows.origins(), &mut sums);
            assert_eq!(sums.weight(), 0.0);
        }
    }

    #[test]
    fn rows_near_the_float_limit_are_weighed_one_by_one() {
        let data = [1e300, 0.0];
        let t = BallSearch::new(Points::new(&data, 1).unwrap()).unwrap();
        assert!(t
            .ordered_rows(None, &Task::uncancelled())
            .unwrap()
            .is_none());
        assert!(t
            .ordered_rows(Some(&[1e295, 1.0]), &Task::uncancelled())
            .unwrap()
            .is_none());
    }

    #[test]
    fn visits_every_point_within_with_its_distance() {
        let data: Vec<f64> = noise(4, 2 * 1000);
        let p = Points::new(&data, 2).unwrap();
        let t = BallSearch::new(p).unwrap();
        let q = [0.3, 0.6];
        let mut got = Vec::new();
        t.for_each_within_at(&q, 0.09, &Task::uncancelled(), |i, d2| got.push((i, d2)))
            .unwrap();
        got.sort_by_key(|&(i, _)| i);
        let expected: Vec<(usize, f64)> = (0..p.len())
            .map(|i| (i, squared_distance(&q, p.row(i))))
            .filter(|&(_, d2)| d2 <= 0.09)
            .collect();
        assert_eq!(got, expected);
    }
}
