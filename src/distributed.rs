//! A fit whose rows are cut into chunks held by different machines
//! (docs/algorithm.md §11): each chunk keeps its points and tree across the
//! rounds of the climb and answers, for the positions of the active seeds,
//! with the *unrounded* partial sums of their neighbourhoods in it; the
//! partial sums of all chunks are combined by the same exact operations a
//! tree node's totals are added with, and only then rounded to one
//! machine's mean. Grid bins are counted per chunk and merged in row order.
//!
//! Nothing here knows about Dask: the Python package `fastmeanshift.dask`
//! moves the chunks, the positions and the partial sums between machines.

use rayon::prelude::*;

use crate::climbing::{NeighbourhoodSums, Weigher, Weighing};
use crate::error::{try_filled, Error, Result};
use crate::exact::interner::{same_values, ExactKeys, WordMix};
use crate::exact::summation::{two_sum_into, CoordinateSums, Subtotal, Summation};
use crate::exact::weighted::{Members, WeightedSubtotal, WeightedSums};
use crate::options::Kernel;
use crate::parallel::{StopCheck, Task, Workers};
use crate::points::{Coord, Points};
use crate::search::ball::BallSearch;
use crate::seeding::{part_bins, Bins, Precision};

/// How a neighbourhood's partial sums of one chunk are laid out: one row of
/// [`PartialSums::width`] float64 per seed, `[weight, weight error, members,
/// dim sums, dim error terms, dim coordinates of the one point]`. Without
/// weights and with the flat kernel, the weight is the count of points (exact
/// in float64 below 2^53) and its error 0. `members` is 0 (no point of
/// positive weight), 1 (copies of the one point, and nothing else) or 2
/// (points at two or more positions).
pub struct PartialSums {
    /// The rows, one per seed.
    pub values: Vec<f64>,
    /// The points' dimension.
    pub dim: usize,
}

const NOTHING: f64 = 0.0;
const COPIES: f64 = 1.0;
const MIXED: f64 = 2.0;

impl PartialSums {
    /// The length of one seed's row, for points of `dim` coordinates.
    pub fn width(dim: usize) -> usize {
        3 * dim + 3
    }
}

/// Where a chunk's rows are kept: a `Vec` of its own, or (in the Python
/// binding) the array they arrived in, so that a worker need not hold them
/// twice.
///
/// # Safety
///
/// [`RowStorage::rows`] must return the same slice (address, length and
/// contents) for as long as the value lives, even after it is moved: the
/// chunk's tree borrows it for the chunk's whole life.
pub unsafe trait RowStorage<T>: Send + Sync {
    /// The rows, row-major.
    fn rows(&self) -> &[T];
}

// SAFETY: a `Vec`'s buffer does not move when the `Vec` does, and nothing
// changes it through a shared reference.
unsafe impl<T: Send + Sync> RowStorage<T> for Vec<T> {
    fn rows(&self) -> &[T] {
        self
    }
}

/// One chunk of a dataset's rows, with their weights, and the tree a climb
/// searches them with, built once and kept for every round.
pub struct Chunk<T: Coord> {
    // The tree and the weigher borrow `points` and `weights` (see
    // `Chunk::new`): they are declared first, so they are dropped first.
    tree: BallSearch<'static, T>,
    /// None for the flat kernel without weights (plain ball sums).
    weigher: Option<Weigher<'static>>,
    kernel: Kernel,
    points: Box<dyn RowStorage<T>>,
    weights: Option<Vec<f64>>,
}

impl<T: Coord> Chunk<T> {
    /// The chunk of `points` (row-major, `dim` coordinates) and their
    /// `weights` (None: 1 each; else finite and `>= 0`), indexed for climbs
    /// with `kernel`, on `workers`. The chunk keeps `points` where they are.
    ///
    /// ```
    /// use fastmeanshift::distributed::Chunk;
    /// use fastmeanshift::parallel::never_stop;
    /// use fastmeanshift::{Kernel, Workers};
    ///
    /// let workers = Workers::new(1)?;
    /// let rows = vec![0.0, 0.0, 1.0, 0.0, 5.0, 5.0];
    /// let chunk = Chunk::new(Box::new(rows), 2, None, Kernel::Flat, &workers, &never_stop)?;
    /// assert_eq!(chunk.points().len(), 3);
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn new(
        points: Box<dyn RowStorage<T>>,
        dim: usize,
        weights: Option<Vec<f64>>,
        kernel: Kernel,
        workers: &Workers,
        stop: StopCheck<'_>,
    ) -> Result<Self> {
        // SAFETY: the slices point into the storage of `points` (which
        // `RowStorage` promises stays put) and the heap buffer of `weights`,
        // which the chunk owns, never changes and frees only after the tree
        // and weigher that borrow them (field order); moving a `Vec` does not
        // move its buffer. The 'static borrows never leave the chunk except
        // with a lifetime tied to `&self`.
        let view: &'static [T] = {
            let rows = points.rows();
            unsafe { std::slice::from_raw_parts(rows.as_ptr(), rows.len()) }
        };
        let weights_view: Option<&'static [f64]> = weights
            .as_ref()
            .map(|w| unsafe { std::slice::from_raw_parts(w.as_ptr(), w.len()) });
        let rows = Points::new(view, dim)?;
        if let Some(w) = weights_view {
            if w.len() != rows.len() {
                return Err(Error::InvalidInput(format!(
                    "{} weights for {} points",
                    w.len(),
                    rows.len()
                )));
            }
            if let Some(bad) = w.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
                return Err(Error::InvalidInput(format!(
                    "the weights must be finite numbers >= 0, got {bad}"
                )));
            }
        }
        let (tree, weigher) = workers.run(0, stop, |task| {
            let tree = BallSearch::new_parallel_for(rows, kernel.serves(), task)?;
            // Whether batched products are safe is this chunk's own values'
            // call: both ways give the same sums.
            let weighing = Weighing {
                kernel,
                weights: weights_view,
            };
            let weigher = Weigher::new(&tree, weighing, task)?;
            Ok((tree, weigher))
        })?;
        Ok(Chunk {
            tree,
            weigher,
            kernel,
            points,
            weights,
        })
    }

    /// The chunk's points.
    pub fn points(&self) -> Points<'_, T> {
        self.tree.points()
    }

    /// The chunk's weights, if it has any.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// The kernel the chunk was indexed for.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Bytes the chunk holds: its points, weights and index.
    pub fn bytes(&self) -> usize {
        let n = self.tree.points().len();
        let dim = self.tree.points().dim();
        // The tree: 4 bytes of order a point, and per node (about one per 8
        // points) its bounds, totals and bookkeeping.
        let nodes = n / 8 + 1;
        std::mem::size_of_val(self.points.rows())
            + self.weights.as_ref().map_or(0, |w| w.len() * 8)
            + n * 4
            + nodes * (16 + 32 * dim)
            + self.weigher.as_ref().map_or(0, Weigher::bytes)
    }

    /// The partial sums, over this chunk's points, of the neighbourhood of
    /// every row of `positions` at `bandwidth` (docs/algorithm.md §11.2):
    /// what one machine's step sums over these points, before any rounding
    /// of the mean. Abandoned between two seeds once `stop` says stop.
    pub fn partial_sums(
        &self,
        positions: Points<f64>,
        bandwidth: f64,
        workers: &Workers,
        stop: StopCheck<'_>,
    ) -> Result<PartialSums> {
        let dim = self.tree.points().dim();
        if positions.dim() != dim {
            return Err(Error::InvalidInput(format!(
                "the positions have {} coordinates but the points have {dim}",
                positions.dim()
            )));
        }
        let width = PartialSums::width(dim);
        let mut values = try_filled(positions.len() * width, 0.0)?;
        let radius2 = bandwidth * bandwidth;
        workers.run(positions.len(), stop, |task| {
            values.par_chunks_mut(width).enumerate().try_for_each_init(
                || NeighbourhoodSums::new(&self.tree),
                |scratch, (s, row)| {
                    task.check()?;
                    self.sum_at(positions.row(s), radius2, scratch, row, task)?;
                    task.advance(1);
                    Ok(())
                },
            )
        })?;
        Ok(PartialSums { values, dim })
    }

    /// One seed's row of partial sums: the neighbourhood's sums as one
    /// machine's step forms them (`climbing::Climber::step`), for these
    /// points alone.
    fn sum_at(
        &self,
        q: &[f64],
        radius2: f64,
        s: &mut NeighbourhoodSums,
        row: &mut [f64],
        task: &Task,
    ) -> Result<()> {
        let dim = q.len();
        let (head, rest) = row.split_at_mut(3);
        let (sums, rest) = rest.split_at_mut(dim);
        let (errors, first) = rest.split_at_mut(dim);
        let members = match &self.weigher {
            None => {
                s.plain.clear();
                self.tree.ball_sum(q, radius2, &mut s.plain);
                let total = s.plain.subtotal();
                head[0] = total.count as f64;
                sums.copy_from_slice(total.sums);
                errors.copy_from_slice(total.errors);
                match total.copies_of {
                    _ if total.count == 0 => NOTHING,
                    Some(point) => {
                        first.copy_from_slice(point);
                        COPIES
                    }
                    None => MIXED,
                }
            }
            Some(weigher) => {
                weigher.weigh(&self.tree, q, radius2, s, task)?;
                weighted_row(&s.weighted, head, sums, errors, first)
            }
        };
        head[2] = members;
        Ok(())
    }

    /// The grid bins of this chunk's rows (docs/algorithm.md §3.1, §11.3).
    pub fn bins(&self, bin_size: f64, precision: Precision) -> Result<ChunkBins> {
        chunk_bins(self.tree.points(), bin_size, precision, self.weights())
    }

    /// The sum of the chunk's weights as a compensated pair `(sum, error)`,
    /// or its number of rows without weights.
    pub fn weight_sum(&self) -> (f64, f64) {
        match self.weights() {
            None => (self.tree.points().len() as f64, 0.0),
            Some(w) => {
                let (mut s, mut e) = (0.0, 0.0);
                for &x in w {
                    two_sum_into(&mut s, &mut e, x, 0.0);
                }
                (s, e)
            }
        }
    }
}

/// `weighted` into a row of partial sums; returns its members' code.
fn weighted_row(
    weighted: &WeightedSums,
    head: &mut [f64],
    sums: &mut [f64],
    errors: &mut [f64],
    first: &mut [f64],
) -> f64 {
    let total = weighted.subtotal(weighted.members());
    head[0] = total.weight;
    head[1] = total.weight_error;
    sums.copy_from_slice(total.sums);
    errors.copy_from_slice(total.errors);
    match total.members {
        Members::Nothing => NOTHING,
        Members::CopiesOf(point) => {
            first.copy_from_slice(point);
            COPIES
        }
        Members::Mixed => MIXED,
    }
}

/// How the combined sums become a mean (docs/algorithm.md §6.3, §10.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeanRule {
    /// The flat kernel without weights: a count and plain sums.
    Counted,
    /// Weighted sums; with `numpy_copies` (the flat kernel), copies of one
    /// point average as NumPy averages repeated rows.
    Weighted {
        /// The flat kernel's rule for copies of one point.
        numpy_copies: bool,
    },
}

/// The means (as float64 values of the data's type `T`; NaN where nothing
/// weighed anything) and intensities of the neighbourhoods whose partial
/// sums are `parts`, one [`PartialSums`] per chunk, all for the same seeds.
///
/// Each chunk's sums are added as one tree node's totals are added to a
/// ball's (`CoordinateSums::add_subtotal`, `WeightedSums::add_subtotal`):
/// the same compensated additions, so the mean is the exact sum rounded once
/// but for near-ties (docs/algorithm.md §11.2). The parts are added in the
/// order given.
pub fn combine<T: Coord>(
    parts: &[&[f64]],
    dim: usize,
    rule: MeanRule,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let width = PartialSums::width(dim);
    let seeds = parts.first().map_or(0, |p| p.len() / width);
    if parts.iter().any(|p| p.len() != seeds * width) {
        return Err(Error::InvalidInput(
            "partial sums of different shapes".into(),
        ));
    }
    let mut means = try_filled(seeds * dim, f64::NAN)?;
    let mut intensities = try_filled(seeds, 0.0)?;
    let mut counted = CoordinateSums::new(dim, Summation::Compensated);
    let mut weighted = WeightedSums::new(dim);
    for (s, (mean, intensity)) in means
        .chunks_exact_mut(dim)
        .zip(intensities.iter_mut())
        .enumerate()
    {
        let rows = parts.iter().map(|p| &p[s * width..(s + 1) * width]);
        match rule {
            MeanRule::Counted => {
                counted.clear();
                for row in rows {
                    let (head, sums, errors, first) = split_row(row, dim);
                    counted.add_subtotal(Subtotal::<f64> {
                        count: head[0] as usize,
                        sums,
                        errors,
                        copies_of: (head[2] == COPIES).then_some(first),
                    });
                }
                *intensity = counted.count() as f64;
                if counted.count() > 0 {
                    for (j, m) in mean.iter_mut().enumerate() {
                        *m = counted.mean::<T>(j).to_f64();
                    }
                }
            }
            MeanRule::Weighted { numpy_copies } => {
                weighted.clear();
                for row in rows {
                    let (head, sums, errors, first) = split_row(row, dim);
                    let members = match head[2] {
                        NOTHING => Members::Nothing,
                        COPIES => Members::CopiesOf(first),
                        _ => Members::Mixed,
                    };
                    weighted.add_subtotal(WeightedSubtotal {
                        sums,
                        errors,
                        weight: head[0],
                        weight_error: head[1],
                        members,
                    });
                }
                *intensity = weighted.weight();
                if *intensity > 0.0 {
                    for (j, m) in mean.iter_mut().enumerate() {
                        *m = weighted.mean::<T>(j, numpy_copies).to_f64();
                    }
                }
            }
        }
    }
    Ok((means, intensities))
}

fn split_row(row: &[f64], dim: usize) -> (&[f64], &[f64], &[f64], &[f64]) {
    let (head, rest) = row.split_at(3);
    let (sums, rest) = rest.split_at(dim);
    let (errors, first) = rest.split_at(dim);
    (head, sums, errors, first)
}

/// The occupied grid bins of one chunk, in order of first appearance: per
/// bin its grid coordinates (in the division's precision, as float64) and
/// its frequency as a compensated pair (a count without weights).
pub struct ChunkBins {
    /// Row-major: `dim` grid coordinates, then the frequency and its error.
    pub values: Vec<f64>,
}

/// The bins of `points` on the grid of spacing `bin_size`, formed by the
/// core's own binning of a part of the rows (`seeding::part_bins`,
/// docs/algorithm.md §3.1).
pub fn chunk_bins<T: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    weights: Option<&[f64]>,
) -> Result<ChunkBins> {
    Ok(ChunkBins {
        values: part_bins(points, bin_size, precision, weights)?,
    })
}

/// The bins of every chunk, given in row order (`parts`, each laid out as
/// [`ChunkBins::values`]), merged: a bin keeps the place of its first row
/// overall and the compensated sum of its frequencies, and is kept when that
/// is at least `min_bin_freq` (docs/algorithm.md §3.2, §11.3).
pub fn merge_bins(parts: &[&[f64]], dim: usize, min_bin_freq: usize) -> Result<Bins> {
    let mut bins = NumberedBins::new(dim);
    for part in parts {
        for bin in part.chunks_exact(dim + 2) {
            let (cell, frequency) = bin.split_at(dim);
            bins.add(cell, frequency[0], frequency[1])?;
        }
    }
    let mut kept = Vec::new();
    let mut len = 0;
    for bin in bins.values.chunks_exact(dim + 2) {
        let (cell, frequency) = bin.split_at(dim);
        if frequency[0] + frequency[1] >= min_bin_freq as f64 {
            kept.extend(cell.iter().map(|&g| g as f32));
            len += 1;
        }
    }
    Ok(Bins { coords: kept, len })
}

/// Grid bins numbered in order of first appearance, each kept once as its
/// `dim` grid coordinates followed by its frequency as a compensated pair.
struct NumberedBins {
    dim: usize,
    keys: ExactKeys,
    hashing: WordMix,
    values: Vec<f64>,
}

impl NumberedBins {
    fn new(dim: usize) -> Self {
        NumberedBins {
            dim,
            keys: ExactKeys::default(),
            hashing: WordMix::new(),
            values: Vec::new(),
        }
    }

    /// Adds the frequency `(s, e)` to the bin at `cell`, opening it if new.
    fn add(&mut self, cell: &[f64], s: f64, e: f64) -> Result<()> {
        let (dim, width) = (self.dim, self.dim + 2);
        let values = &self.values;
        let hashing = &self.hashing;
        let (b, new) = self.keys.number(
            hashing.values(cell.iter().copied()),
            |b| {
                same_values(
                    values[b * width..][..dim].iter().copied(),
                    cell.iter().copied(),
                )
            },
            |b| hashing.values(values[b * width..][..dim].iter().copied()),
        )?;
        if new {
            self.values.extend_from_slice(cell);
            self.values.extend([s, e]);
        } else {
            let at = b * width + dim;
            let (sum, error) = self.values[at..at + 2].split_at_mut(1);
            two_sum_into(&mut sum[0], &mut error[0], s, e);
        }
        Ok(())
    }
}

/// The sum of compensated pairs, as [`crate::Weights::total`] sums weights.
pub fn compensated_total(parts: &[(f64, f64)]) -> f64 {
    let (mut s, mut e) = (0.0, 0.0);
    for &(x, x_error) in parts {
        two_sum_into(&mut s, &mut e, x, x_error);
    }
    s + e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::climbing::{climb_all_weighing, Seeds, Weighing};
    use crate::parallel::never_stop;
    use crate::testing::blobs;

    /// One machine's first step from `seeds`, against the combined partial
    /// sums of the rows cut at `cuts`.
    fn check_one_step(
        data: &[f64],
        dim: usize,
        weights: Option<&[f64]>,
        kernel: Kernel,
        cuts: &[usize],
    ) {
        let workers = Workers::new(2).unwrap();
        let points = Points::new(data, dim).unwrap();
        let tree = BallSearch::new(points).unwrap();
        let seeds: Vec<f64> = data.iter().step_by(7).copied().take(dim * 40).collect();
        let seeds = &seeds[..seeds.len() / dim * dim];
        let bandwidth = 0.9;
        let weighing = Weighing { kernel, weights };
        let one = climb_all_weighing(
            &tree,
            Seeds::Given(Points::new(seeds, dim).unwrap()),
            bandwidth,
            0,
            weighing,
            &workers,
            &never_stop,
        )
        .unwrap();
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(points.len());
        let chunks: Vec<Chunk<f64>> = bounds
            .windows(2)
            .map(|r| {
                let rows = data[r[0] * dim..r[1] * dim].to_vec();
                let w = weights.map(|w| w[r[0]..r[1]].to_vec());
                Chunk::new(Box::new(rows), dim, w, kernel, &workers, &never_stop).unwrap()
            })
            .collect();
        let positions = Points::new(seeds, dim).unwrap();
        let parts: Vec<PartialSums> = chunks
            .iter()
            .map(|c| {
                c.partial_sums(positions, bandwidth, &workers, &never_stop)
                    .unwrap()
            })
            .collect();
        let slices: Vec<&[f64]> = parts.iter().rev().map(|p| p.values.as_slice()).collect();
        let rule = match (kernel, weights) {
            (Kernel::Flat, None) => MeanRule::Counted,
            _ => MeanRule::Weighted {
                numpy_copies: kernel == Kernel::Flat,
            },
        };
        let (means, intensities) = combine::<f64>(&slices, dim, rule).unwrap();
        for (s, &intensity) in one.intensities.iter().enumerate() {
            assert_eq!(intensity, intensities[s], "seed {s}");
            for j in 0..dim {
                assert_eq!(
                    one.centers[s * dim + j].to_bits(),
                    means[s * dim + j].to_bits(),
                    "seed {s} coordinate {j}"
                );
            }
        }
    }

    #[test]
    fn combined_chunks_step_as_one_machine() {
        let mut data = blobs(3, 900, &[&[0.0, 0.0], &[2.0, 1.0]], 0.6);
        data.extend_from_within(..60);
        let n = data.len() / 2;
        let weights: Vec<f64> = (0..n).map(|i| (i % 5) as f64 * 0.3).collect();
        for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
            for w in [None, Some(weights.as_slice())] {
                for cuts in [&[][..], &[1, 400][..], &[300, 301, 302, 800][..]] {
                    check_one_step(&data, 2, w, kernel, cuts);
                }
            }
        }
    }

    #[test]
    fn copies_in_several_chunks_average_as_numpy() {
        // Seven copies of 0.1 in three chunks: NumPy's mean of seven copies.
        let data = vec![0.1; 7];
        check_one_step(&data, 1, None, Kernel::Flat, &[2, 5]);
        let weights = vec![1.0; 7];
        check_one_step(&data, 1, Some(&weights), Kernel::Flat, &[3]);
    }

    #[test]
    fn bins_merge_in_row_order() {
        let data: Vec<f64> = (0..3000)
            .flat_map(|i| [((i * 7919) % 1000) as f64 * 0.37, (i % 17) as f64 - 8.0])
            .collect();
        let points = Points::new(&data, 2).unwrap();
        let workers = Workers::new(1).unwrap();
        for min in [1, 3, 40] {
            let one = crate::seeding::bin_seeds(
                points,
                3.0,
                Precision::Double,
                min,
                &workers,
                &never_stop,
            )
            .unwrap();
            let cuts = [0, 1, 700, 701, 2500, 3000];
            let parts: Vec<ChunkBins> = cuts
                .windows(2)
                .map(|r| {
                    let rows = Points::new(&data[r[0] * 2..r[1] * 2], 2).unwrap();
                    chunk_bins(rows, 3.0, Precision::Double, None).unwrap()
                })
                .collect();
            let slices: Vec<&[f64]> = parts.iter().map(|p| p.values.as_slice()).collect();
            let merged = merge_bins(&slices, 2, min).unwrap();
            assert_eq!(merged.coords, one.coords);
            assert_eq!(merged.len, one.len);
        }
    }
}
