//! Building the tree: top-down splits at medians, in parallel by subtrees,
//! then exact boxes, totals and copy flags bottom-up.

use std::collections::HashMap;

use rayon::prelude::*;

use super::median::select_median;
use super::{BallSearch, Node, Serves};
use crate::error::{try_copied, try_filled_by_workers, try_reserved, Result};
use crate::exact::summation::{CoordinateSums, Subtotal, Summation, ValueBits};
use crate::parallel::Task;
use crate::points::{Coord, Points};

/// Points per leaf: in more dimensions a node's bounds cost more and prune
/// less, so leaves grow (sizes picked by instruction counts on the
/// benchmark data).
///
/// From [`LARGE_TREE`] points on, leaves are twice as large. A node takes 80
/// bytes in 2-D, so with small leaves the nodes of a tree over float32 rows
/// outweigh the rows themselves, and at that size the tree's build takes
/// most of a fit unless nearly every point is a seed (which would take hours
/// to climb). Doubling the leaves halves the nodes and drops a level of
/// median splits: on 10M 2-D points, the build is 15% faster and the
/// climbs from bin seeds 13% slower (`cargo bench --bench stage_times`).
///
/// A tree for kernel sums has leaves of at least [`KERNEL_LEAF`] points:
/// see [`Serves::KernelSums`].
fn leaf_size(dim: usize, n: usize, serves: Serves) -> usize {
    let leaf = match dim {
        0..8 => 16,
        8..32 => 32,
        _ => 64,
    };
    let leaf = match serves {
        Serves::NodeSums => leaf,
        Serves::KernelSums => leaf.max(KERNEL_LEAF),
    };
    if n >= LARGE_TREE {
        2 * leaf
    } else {
        leaf
    }
}

/// The smallest leaf of a tree for kernel sums: eight batches of eight.
const KERNEL_LEAF: usize = 64;

/// See [`leaf_size`].
const LARGE_TREE: usize = 1 << 22;

impl<'a, T: Coord> BallSearch<'a, T> {
    /// The tree over `points`, abandoned with [`crate::Error::Interrupted`]
    /// once `task` is cancelled (checked at every node).
    pub(super) fn build(
        points: Points<'a, T>,
        serves: Serves,
        parallel: bool,
        task: &Task,
    ) -> Result<Self> {
        let n = points.len();
        let dim = points.dim();
        let mut order = try_filled_by_workers(n, 0u32)?;
        let number = |(b, block): (usize, &mut [u32])| {
            task.check()?;
            for (k, slot) in block.iter_mut().enumerate() {
                *slot = (b * ROWS_PER_CHECK + k) as u32;
            }
            Ok(())
        };
        if parallel {
            order
                .par_chunks_mut(ROWS_PER_CHECK)
                .enumerate()
                .try_for_each(number)?;
        } else {
            order
                .chunks_mut(ROWS_PER_CHECK)
                .enumerate()
                .try_for_each(number)?;
        }
        let slots = Slots::new(n, leaf_size(dim, n, serves));
        let node_count = if n == 0 { 0 } else { slots.of(n) };
        let (mut span, bits) = span_and_bits(points, parallel, task)?;
        let mut tree = BallSearch {
            points,
            order,
            nodes: try_filled_by_workers(node_count, Node::default())?,
            bounds: try_filled_by_workers(node_count * dim, [0.0; 2])?,
            totals: try_filled_by_workers(node_count * 2 * dim, 0.0)?,
            summation: bits.summation(),
            rows_in_order: None,
        };
        if n > 0 {
            let builder = Builder {
                points,
                slots: &slots,
                summation: tree.summation,
                parallel,
                task,
            };
            builder.subtree(
                Subtree {
                    id: 0,
                    start: 0,
                    order: &mut tree.order,
                    nodes: &mut tree.nodes,
                    bounds: &mut tree.bounds,
                    totals: &mut tree.totals,
                },
                &mut span,
                &mut CoordinateSums::new(dim, tree.summation),
            )?;
        }
        Ok(tree)
    }
}

/// How many node slots a subtree of `m` points takes: one, or one plus its
/// halves' (the split is always at `m / 2`, so this depends on `m` alone).
struct Slots {
    leaf: usize,
    /// Subtree sizes seen so far: at most two distinct point counts a level.
    known: HashMap<usize, usize>,
}

impl Slots {
    fn new(n: usize, leaf: usize) -> Self {
        let mut slots = Slots {
            leaf,
            known: HashMap::new(),
        };
        slots.count(n);
        slots
    }

    fn count(&mut self, m: usize) -> usize {
        if m <= self.leaf {
            return 1;
        }
        if let Some(&known) = self.known.get(&m) {
            return known;
        }
        let total = 1 + self.count(m / 2) + self.count(m - m / 2);
        self.known.insert(m, total);
        total
    }

    fn of(&self, m: usize) -> usize {
        if m <= self.leaf {
            1
        } else {
            self.known[&m]
        }
    }
}

/// Below this many points a subtree is built on one thread.
const PARALLEL_SUBTREE: usize = 1 << 15;

/// Points added to a leaf between two checks of the task: only a leaf of
/// coinciding points (which no split separates) grows past the leaf size.
const LEAF_CHECK: usize = 1 << 16;

/// A subtree is built on a copy of its rows, gathered once in its order,
/// when they are at most this many bytes and at most an eighth of the rows
/// it reads now: its later median passes and leaves then read a buffer that
/// is eight times smaller, instead of reading rows scattered over the
/// caller's whole matrix (in a large data set each one a cache miss away).
/// A subtree is copied again as it shrinks, so every level reads rows from a
/// buffer at most eight times its own size.
const MAX_COPIED_BYTES: usize = 1 << 25;
/// How much smaller than the rows it reads a subtree must be to be copied.
const COPY_SHRINK: usize = 8;
/// Rows read from a buffer this small are in a core's own cache already.
const CACHED_BYTES: usize = 1 << 20;

struct Builder<'p, 'a, T> {
    points: Points<'a, T>,
    slots: &'p Slots,
    summation: Summation,
    parallel: bool,
    task: &'p Task,
}

/// The part of the tree's arrays one subtree owns.
struct Subtree<'s> {
    /// The global index of its root node.
    id: usize,
    /// Where its points start in the global order.
    start: usize,
    order: &'s mut [u32],
    nodes: &'s mut [Node],
    bounds: &'s mut [[f64; 2]],
    totals: &'s mut [f64],
}

impl<T: Coord> Builder<'_, '_, T> {
    /// Builds a subtree top-down, splitting each node at the median of the
    /// widest side of `span` (a box known to hold its points, cheaper than
    /// their exact box), then fills exact boxes and totals bottom-up: leaves
    /// from their points, other nodes from their children.
    /// `span` is left as it was.
    fn subtree(
        &self,
        at: Subtree<'_>,
        span: &mut [[f64; 2]],
        sums: &mut CoordinateSums,
    ) -> Result<()> {
        self.task.check()?;
        let dim = self.points.dim();
        let m = at.order.len();
        let row_bytes = dim * std::mem::size_of::<T>();
        if m > self.slots.leaf
            && m * row_bytes <= MAX_COPIED_BYTES
            && m * COPY_SHRINK <= self.points.len()
            && self.points.len() * row_bytes > CACHED_BYTES
        {
            return self.subtree_on_copied_rows(at, span, sums);
        }
        let widest = (0..dim)
            .map(|j| (j, span[j][1] - span[j][0]))
            .fold((0, 0.0), |best, c| if c.1 > best.1 { c } else { best });
        let Subtree {
            id,
            start,
            order,
            nodes,
            bounds,
            totals,
        } = at;
        let (node_bounds, child_bounds) = bounds.split_at_mut(dim);
        let (node_totals, child_totals) = totals.split_at_mut(2 * dim);
        let (node, child_nodes) = nodes.split_first_mut().expect("a subtree has a root");
        // A zero-width span means every point coincides: no split separates them.
        if m <= self.slots.leaf || widest.1 <= 0.0 {
            node_bounds.fill([f64::INFINITY, f64::NEG_INFINITY]);
            sums.clear();
            for rows in order.chunks(LEAF_CHECK) {
                self.task.check()?;
                for &i in rows {
                    let row = self.points.row(i as usize);
                    widen(node_bounds, row);
                    sums.add(row);
                }
            }
            store(node_totals, sums);
            *node = Node {
                start: start as u32,
                end: (start + m) as u32,
                right: 0,
                copies: node_bounds.iter().all(|&[lo, hi]| lo == hi),
            };
            return Ok(());
        }

        let (split, mid) = (widest.0, m / 2);
        let points = self.points;
        let key = |i: u32| points.row(i as usize)[split].to_f64();
        let prefetch = |i: u32| points.prefetch_row(i as usize);
        select_median(order, mid, key, prefetch, self.task, self.parallel)?;
        let median = key(order[mid]);
        let whole = span[split];

        let left_slots = self.slots.of(mid);
        let (left_order, right_order) = order.split_at_mut(mid);
        let (left_nodes, right_nodes) = child_nodes.split_at_mut(left_slots);
        let (left_bounds, right_bounds) = child_bounds.split_at_mut(left_slots * dim);
        let (left_totals, right_totals) = child_totals.split_at_mut(left_slots * 2 * dim);
        let left = Subtree {
            id: id + 1,
            start,
            order: left_order,
            nodes: left_nodes,
            bounds: left_bounds,
            totals: left_totals,
        };
        let right = Subtree {
            id: id + 1 + left_slots,
            start: start + mid,
            order: right_order,
            nodes: right_nodes,
            bounds: right_bounds,
            totals: right_totals,
        };
        if self.parallel && m >= PARALLEL_SUBTREE {
            let mut right_sums = CoordinateSums::new(dim, self.summation);
            let mut right_span = span.to_vec();
            right_span[split][0] = median;
            span[split][1] = median;
            let (left, right) = rayon::join(
                || self.subtree(left, span, sums),
                || self.subtree(right, &mut right_span, &mut right_sums),
            );
            span[split] = whole;
            left.and(right)?;
        } else {
            span[split][1] = median;
            let left = self.subtree(left, span, sums);
            span[split] = [median, whole[1]];
            let right = left.and_then(|_| self.subtree(right, span, sums));
            span[split] = whole;
            right?;
        }

        // The children's roots, now built: left at slot 0, right after the
        // left subtree; their first points start each half of `order`.
        let children = [(0, 0), (left_slots, mid)];
        let child_box = |slot: usize| &child_bounds[slot * dim..(slot + 1) * dim];
        for (j, b) in node_bounds.iter_mut().enumerate() {
            let (l, r) = (child_box(0)[j], child_box(left_slots)[j]);
            *b = [l[0].min(r[0]), l[1].max(r[1])];
        }
        sums.clear();
        for (slot, first) in children {
            let child = child_nodes[slot];
            let (child_sums, errors) =
                child_totals[slot * 2 * dim..(slot + 1) * 2 * dim].split_at(dim);
            sums.add_subtotal(Subtotal {
                count: (child.end - child.start) as usize,
                sums: child_sums,
                errors,
                copies_of: child.copies.then(|| self.points.row(order[first] as usize)),
            });
        }
        store(node_totals, sums);
        *node = Node {
            start: start as u32,
            end: (start + m) as u32,
            right: (id + 1 + left_slots) as u32,
            copies: node_bounds.iter().all(|&[lo, hi]| lo == hi),
        };
        Ok(())
    }

    /// [`Self::subtree`] over a copy of the subtree's rows, numbered in its
    /// order: the same splits of the same keys, so the same subtree, whose
    /// order is then translated back to the caller's row numbers.
    fn subtree_on_copied_rows(
        &self,
        at: Subtree<'_>,
        span: &mut [[f64; 2]],
        sums: &mut CoordinateSums,
    ) -> Result<()> {
        let dim = self.points.dim();
        let rows = try_copied(at.order)?;
        let mut copied = try_reserved(rows.len() * dim)?;
        gather_rows(self.points, &rows, &mut copied);
        for (k, slot) in at.order.iter_mut().enumerate() {
            *slot = k as u32;
        }
        let local = Builder {
            points: Points::new(&copied, dim)?,
            slots: self.slots,
            summation: self.summation,
            parallel: self.parallel,
            task: self.task,
        };
        let order = at.order;
        local.subtree(
            Subtree {
                order: &mut *order,
                ..at
            },
            span,
            sums,
        )?;
        for slot in order.iter_mut() {
            *slot = rows[*slot as usize];
        }
        Ok(())
    }
}

/// Rows read or written between two checks of the task, outside the nodes.
const ROWS_PER_CHECK: usize = 1 << 16;

/// The box of all `points` (min and max per coordinate) and the
/// [`ValueBits`] of their coordinates, in one pass over blocks of rows, in
/// parallel or not: neither depends on order.
fn span_and_bits<T: Coord>(
    points: Points<'_, T>,
    parallel: bool,
    task: &Task,
) -> Result<(Vec<[f64; 2]>, ValueBits)> {
    let dim = points.dim();
    let empty = || {
        (
            vec![[f64::INFINITY, f64::NEG_INFINITY]; dim],
            ValueBits::NONE,
        )
    };
    let of_block = |rows: &[T]| {
        task.check()?;
        let mut span = empty().0;
        rows.chunks_exact(dim).for_each(|row| widen(&mut span, row));
        Ok((span, ValueBits::of(rows.iter().map(|x| x.to_f64()))))
    };
    let join = |(mut a, a_bits): (Vec<[f64; 2]>, ValueBits), (b, b_bits): (Vec<[f64; 2]>, _)| {
        for (a, b) in a.iter_mut().zip(b) {
            *a = [a[0].min(b[0]), a[1].max(b[1])];
        }
        Ok((a, a_bits.join(b_bits)))
    };
    let rows = points.as_slice();
    let blocks = ROWS_PER_CHECK * dim.max(1);
    if parallel {
        rows.par_chunks(blocks)
            .map(of_block)
            .try_reduce(empty, join)
    } else {
        let mut parts = rows.chunks(blocks).map(of_block);
        parts.try_fold(empty(), |a, b| join(a, b?))
    }
}

/// Appends the rows numbered in `rows` to `out`, in that order. A row of a
/// few coordinates is copied as an array: copied as a slice, each row was a
/// call to `memcpy`, and those calls took half of the copying's time.
pub(super) fn gather_rows<T: Coord>(points: Points<'_, T>, rows: &[u32], out: &mut Vec<T>) {
    fn fixed<T: Coord, const D: usize>(points: Points<'_, T>, rows: &[u32], out: &mut Vec<T>) {
        let data = points.as_slice();
        out.extend(rows.iter().flat_map(|&i| {
            let at = i as usize * D;
            <[T; D]>::try_from(&data[at..at + D]).expect("a row has D coordinates")
        }));
    }
    match points.dim() {
        1 => fixed::<T, 1>(points, rows, out),
        2 => fixed::<T, 2>(points, rows, out),
        3 => fixed::<T, 3>(points, rows, out),
        4 => fixed::<T, 4>(points, rows, out),
        _ => rows
            .iter()
            .for_each(|&i| out.extend_from_slice(points.row(i as usize))),
    }
}

/// Widens a box to hold `row`.
fn widen<T: Coord>(span: &mut [[f64; 2]], row: &[T]) {
    for (b, &x) in span.iter_mut().zip(row) {
        let x = x.to_f64();
        b[0] = b[0].min(x);
        b[1] = b[1].max(x);
    }
}

/// Copies an accumulator's sums and error terms into a node's totals.
fn store(totals: &mut [f64], sums: &CoordinateSums) {
    let total = sums.subtotal();
    let dim = total.sums.len();
    totals[..dim].copy_from_slice(total.sums);
    totals[dim..].copy_from_slice(total.errors);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathered_rows_are_the_rows_in_that_order() {
        let data = crate::testing::noise(2, 7 * 50);
        let single: Vec<f32> = data.iter().map(|&x| x as f32).collect();
        for dim in 1..=7 {
            let points = Points::new(&data[..dim * 50], dim).unwrap();
            let narrow = Points::new(&single[..dim * 50], dim).unwrap();
            let rows: Vec<u32> = (0..50).map(|k| (k * 17 + 3) % 50).collect();
            let (mut wide, mut copied) = (Vec::new(), Vec::new());
            gather_rows(points, &rows, &mut wide);
            gather_rows(narrow, &rows, &mut copied);
            for (k, &i) in rows.iter().enumerate() {
                assert_eq!(&wide[k * dim..(k + 1) * dim], points.row(i as usize));
                assert_eq!(&copied[k * dim..(k + 1) * dim], narrow.row(i as usize));
            }
        }
    }
}
