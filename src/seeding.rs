//! Grid binning for `get_bin_seeds` (docs/algorithm.md §3).

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{try_filled, Error, Result};
use crate::exact::interner::{same_values, ExactKeys, WordMix};
use crate::exact::summation::two_sum_into;
use crate::parallel::{StopCheck, Task, Workers};
use crate::points::{Coord, Points};

/// The precision in which `row / bin_size` is computed: NumPy's type promotion
/// of the data type with the bin size's type decides it (a float32 array
/// divided by a Python float stays float32; by a float64 scalar it does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// float32 arithmetic.
    Single,
    /// float64 arithmetic.
    Double,
}

impl Precision {
    /// The precision of `row / bin_size` for rows of type `T` and a bin size
    /// that keeps float32 arithmetic float32 when it is `self`: float64 rows
    /// always divide in float64.
    pub fn of_division<T: Coord>(self) -> Precision {
        if std::mem::size_of::<T>() == 4 {
            self
        } else {
            Precision::Double
        }
    }
}

/// The occupied bins of a grid of spacing `bin_size`, as grid coordinates.
pub struct Bins {
    /// Grid coordinates (`round(x / bin_size)`) of the kept bins, row-major,
    /// in order of first appearance, stored as float32 as scikit-learn does.
    pub coords: Vec<f32>,
    /// How many bins were kept (`coords.len() / dim`).
    pub len: usize,
}

impl Bins {
    /// The seeds at the kept bins: the float32 grid coordinates times
    /// `bin_size`, multiplied as NumPy multiplies a float32 array by a bin
    /// size of that `precision` (in float32 for a Python number or a float32
    /// scalar), as float64. A position beyond the float range is an error, as
    /// scikit-learn's neighbour search rejects it.
    pub fn positions(&self, bin_size: f64, precision: Precision) -> Result<Vec<f64>> {
        let mut positions = Vec::new();
        positions
            .try_reserve_exact(self.coords.len())
            .map_err(|_| Error::OutOfMemory {
                bytes: self.coords.len().saturating_mul(8),
            })?;
        let single_bin = bin_size as f32;
        positions.extend(self.coords.iter().map(|&g| match precision {
            Precision::Single => f64::from(g * single_bin),
            Precision::Double => f64::from(g) * bin_size,
        }));
        if positions.iter().any(|p| !p.is_finite()) {
            return Err(Error::BinSeedOverflow { bin_size });
        }
        Ok(positions)
    }
}

/// Rows binned by one task: parts of this many are binned in parallel and
/// merged in order (a fixed size, so the result cannot depend on threads).
const PART: usize = 1 << 16;

/// Bins every row at `round_half_even(row / bin_size)` and keeps the bins
/// holding at least `min_bin_freq` rows, in order of first appearance.
/// Bins are told apart in the division's precision (-0.0 and 0.0 are one bin),
/// and only then stored as float32, so two bins may store the same seed, as
/// in scikit-learn. Abandoned, between two parts of the rows, once `stop`
/// says stop.
///
/// ```
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::seeding::bin_seeds;
/// use fastmeanshift::{Points, Precision, Workers};
///
/// let x = [0.1, 0.2, 2.9, 3.1, 3.2];
/// let points = Points::new(&x, 1)?;
/// let workers = Workers::new(2)?;
/// // Cells round(x / 1.5): 0, 0, 2, 2, 2; both hold at least 2 rows.
/// let bins = bin_seeds(points, 1.5, Precision::Double, 2, &workers, &never_stop)?;
/// assert_eq!((bins.len, bins.coords), (2, vec![0.0, 2.0]));
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn bin_seeds<T: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    min_bin_freq: usize,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Bins> {
    bin_seeds_weighted(
        points,
        bin_size,
        precision,
        min_bin_freq,
        None,
        workers,
        stop,
    )
}

/// [`bin_seeds`] where a bin's frequency is the sum of its rows' `weights`
/// (compensated, so it does not depend on how rows are split into parts;
/// docs/algorithm.md §10.5); `None`: every row weighs 1.
pub fn bin_seeds_weighted<T: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    min_bin_freq: usize,
    weights: Option<&[f64]>,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Bins> {
    workers.run(0, stop, |task| {
        bin_seeds_in(points, bin_size, precision, min_bin_freq, weights, task)
    })
}

/// [`bin_seeds_weighted`] in the pool `task` runs in (see
/// [`crate::Workers::run`]), for a job that bins beside other work; given
/// up with [`Error::Interrupted`] once `task` is cancelled.
///
/// ```
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::seeding::bin_seeds_in;
/// use fastmeanshift::{Points, Precision, Workers};
///
/// let x = [0.1, 0.2, 2.9, 3.1, 3.2];
/// let weights = [1.0, 1.0, 0.25, 0.25, 0.25];
/// let points = Points::new(&x, 1)?;
/// let bins = Workers::new(2)?.run(0, &never_stop, |task| {
///     // The cell at 2 weighs 0.75 in all, below a frequency of 1.
///     bin_seeds_in(points, 1.5, Precision::Double, 1, Some(&weights), task)
/// })?;
/// assert_eq!((bins.len, bins.coords), (1, vec![0.0]));
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
///
/// Memory: a bin is kept as the row that opened it and its frequency (with
/// weights, also its error term), plus its slot in the index (8 bytes, 4/3
/// to 8/3 of them); its coordinates are computed again from that row when
/// needed. Parts are binned a wave of one per worker at a time and merged at
/// once, so only one wave of parts is ever held beside the bins of the data.
pub fn bin_seeds_in<T: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    min_bin_freq: usize,
    weights: Option<&[f64]>,
    task: &Task,
) -> Result<Bins> {
    if precision == Precision::Single && std::mem::size_of::<T>() != 4 {
        return Err(Error::InvalidInput(
            "single-precision binning needs float32 data".into(),
        ));
    }
    let grid = Grid {
        points,
        bin_size,
        precision,
        hashing: WordMix::new(),
    };
    let parts = points.len().div_ceil(PART);
    let wave = rayon::current_num_threads().max(1);
    let mut all = Occupied::new(weights.is_some());
    for first in (0..parts).step_by(wave) {
        let binned: Vec<Part> = (first..(first + wave).min(parts))
            .into_par_iter()
            .map(|k| {
                task.check()?;
                grid.bin_part(k * PART..((k + 1) * PART).min(points.len()), weights)
            })
            .collect::<Result<_>>()?;
        // Parts in row order, each part's bins in order of first appearance:
        // merged so, every bin keeps the place of its first row overall.
        for part in &binned {
            task.check()?;
            all.add(&grid, part)?;
        }
    }
    let Occupied {
        keys,
        first_rows,
        counts,
        errors,
        ..
    } = all;
    drop(keys);
    // Exact for counts; the rounded compensated sum for weights.
    let frequency = |b: usize| counts[b] + errors.get(b).copied().unwrap_or(0.0);
    let kept = (0..counts.len()).filter(|&b| frequency(b) >= min_bin_freq as f64);
    let len = kept.clone().count();
    let mut coords = try_filled(len * points.dim(), 0.0f32)?;
    for (k, (row, b)) in coords.chunks_exact_mut(points.dim()).zip(kept).enumerate() {
        if k % PART == 0 {
            task.check()?;
        }
        for (c, g) in row.iter_mut().zip(grid.cell(first_rows[b] as usize)) {
            *c = g as f32;
        }
    }
    Ok(Bins { coords, len })
}

/// The bins of every row of `points`, in order of first appearance, laid
/// out row-major as `dim` grid coordinates (in the division's precision, as
/// float64) followed by the frequency and the error term of its compensated
/// sum: the bins of one part of a binning whose parts are merged elsewhere
/// (a chunk of a distributed fit, docs/algorithm.md §11.3).
pub fn part_bins<T: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    weights: Option<&[f64]>,
) -> Result<Vec<f64>> {
    let grid = Grid {
        points,
        bin_size,
        precision,
        hashing: WordMix::new(),
    };
    let part = grid.bin_part(0..points.len(), weights)?;
    let dim = points.dim();
    let mut values = try_filled(part.bins.len() * (dim + 2), 0.0)?;
    let rows = values.chunks_exact_mut(dim + 2);
    for ((row, bin), cell) in rows.zip(&part.bins).zip(part.cells.chunks_exact(dim)) {
        row[..dim].copy_from_slice(cell);
        row[dim..].copy_from_slice(&[bin.count, bin.error]);
    }
    Ok(values)
}

/// Where the rows of one binning fall.
struct Grid<'a, T> {
    points: Points<'a, T>,
    bin_size: f64,
    precision: Precision,
    /// The hash of every table of the binning, so that a part's bins keep
    /// their hashes into the merge.
    hashing: WordMix,
}

/// `x.round_ties_even()`, as two additions: for a magnitude below `2^52`,
/// adding `2^52` rounds it to an integer, ties to even (the sum's last bit
/// is its units), and subtracting it back is exact; the sign is put back so
/// that -0.4 gives -0.0. (`round_ties_even` is a call to the C library's
/// `rint` on x86-64 CPUs without SSE4.1, the baseline Rust compiles for.)
#[inline(always)]
fn round_half_even(x: f64) -> f64 {
    const UNITS: f64 = 4_503_599_627_370_496.0; // 2^52
    let magnitude = x.abs();
    if magnitude < UNITS {
        ((magnitude + UNITS) - UNITS).copysign(x)
    } else {
        x // an integer already, or not a number
    }
}

impl<T: Coord> Grid<'_, T> {
    /// The grid coordinates of a row's bin, in the division's precision.
    #[inline]
    fn cell(&self, row: usize) -> impl Iterator<Item = f64> + Clone + '_ {
        let single_bin = self.bin_size as f32;
        self.points
            .row(row)
            .iter()
            .map(move |&x| match self.precision {
                // A float32 is exactly a float64, and so is its rounding
                // (an integer below 2^24, or itself): the same bits as
                // rounding it in float32.
                Precision::Single => round_half_even(f64::from((x.to_f64() as f32) / single_bin)),
                Precision::Double => round_half_even(x.to_f64() / self.bin_size),
            })
    }

    /// The bins of `rows`, in order of first appearance.
    fn bin_part(&self, rows: Range<usize>, weights: Option<&[f64]>) -> Result<Part> {
        let dim = self.points.dim();
        let mut keys = ExactKeys::default();
        let mut part = Part::default();
        let mut cell = Vec::with_capacity(dim);
        for row in rows {
            cell.clear();
            cell.extend(self.cell(row));
            let hash = self.hashing.values(cell.iter().copied());
            let cells = &part.cells;
            let bins = &part.bins;
            let (b, new) = keys.number(
                hash,
                |b| {
                    same_values(
                        cells[b * dim..(b + 1) * dim].iter().copied(),
                        cell.iter().copied(),
                    )
                },
                |b| bins[b].hash,
            )?;
            let weight = weights.map_or(1.0, |w| w[row]);
            if new {
                part.bins.push(PartBin {
                    first_row: row as u32,
                    hash,
                    count: weight,
                    error: 0.0,
                });
                part.cells.extend_from_slice(&cell);
            } else {
                let bin = &mut part.bins[b];
                two_sum_into(&mut bin.count, &mut bin.error, weight, 0.0);
            }
        }
        Ok(part)
    }
}

/// The bins of one part (at most [`PART`], so held only while a wave is
/// merged), with their grid coordinates, so that a row's bin is compared
/// with them, not computed again from the bin's first row.
#[derive(Default)]
struct Part {
    bins: Vec<PartBin>,
    cells: Vec<f64>,
}

/// A bin of one part: the row that opened it, its hash (kept for the merge)
/// and its frequency with the error term of its compensated sum.
struct PartBin {
    first_row: u32,
    hash: u64,
    count: f64,
    error: f64,
}

/// The occupied bins of the rows so far, in order of first appearance: the
/// row that opened each, its frequency and, with weights, the error term of
/// its compensated sum (a count of rows needs none: it is exact).
struct Occupied {
    keys: ExactKeys,
    first_rows: Vec<u32>,
    counts: Vec<f64>,
    errors: Vec<f64>,
    weighted: bool,
}

impl Occupied {
    fn new(weighted: bool) -> Self {
        Occupied {
            keys: ExactKeys::default(),
            first_rows: Vec::new(),
            counts: Vec::new(),
            errors: Vec::new(),
            weighted,
        }
    }

    /// Counts a part's bins in.
    fn add<T: Coord>(&mut self, grid: &Grid<'_, T>, part: &Part) -> Result<()> {
        let dim = grid.points.dim();
        let extra = part.bins.len();
        try_reserve(&mut self.first_rows, extra)?;
        try_reserve(&mut self.counts, extra)?;
        if self.weighted {
            try_reserve(&mut self.errors, extra)?;
        }
        for (bin, cell) in part.bins.iter().zip(part.cells.chunks_exact(dim)) {
            let first_rows = &self.first_rows;
            let (b, new) = self.keys.number(
                bin.hash,
                |b| same_values(grid.cell(first_rows[b] as usize), cell.iter().copied()),
                |b| grid.hashing.values(grid.cell(first_rows[b] as usize)),
            )?;
            match (new, self.weighted) {
                (true, _) => {
                    self.first_rows.push(bin.first_row);
                    self.counts.push(bin.count);
                    if self.weighted {
                        self.errors.push(bin.error);
                    }
                }
                (false, true) => two_sum_into(
                    &mut self.counts[b],
                    &mut self.errors[b],
                    bin.count,
                    bin.error,
                ),
                (false, false) => self.counts[b] += bin.count,
            }
        }
        Ok(())
    }
}

/// Room for `extra` more items in `v`, reserved fallibly; growing by at
/// least half, so that reserving part after part stays linear.
fn try_reserve<T>(v: &mut Vec<T>, extra: usize) -> Result<()> {
    if v.capacity() - v.len() >= extra {
        return Ok(());
    }
    let wanted = extra.max(v.capacity() / 2);
    v.try_reserve_exact(wanted).map_err(|_| Error::OutOfMemory {
        bytes: wanted.saturating_mul(std::mem::size_of::<T>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;
    use crate::parallel::tests::run_cancelled;
    use crate::testing::noise;

    #[test]
    fn a_cancelled_task_abandons_the_binning() {
        let data: Vec<f64> = (0..3 * PART).map(|i| i as f64).collect();
        let p = Points::new(&data, 1).unwrap();
        let mut got = None;
        let run = run_cancelled(|task| {
            got = Some(bin_seeds_in(p, 1.0, Precision::Double, 1, None, task).map(|bins| bins.len));
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
        assert_eq!(got, Some(Err(Error::Interrupted)));
    }

    /// Bins of `data` counted one row at a time, with a map of exact keys:
    /// what the parts merged in order must reproduce.
    fn binned_one_by_one(data: &[f64], dim: usize, size: f64, min: usize) -> Vec<f32> {
        let mut count: std::collections::HashMap<Vec<u64>, usize> = Default::default();
        let mut order = Vec::new();
        for row in data.chunks_exact(dim) {
            let grid: Vec<f64> = row.iter().map(|x| (x / size).round_ties_even()).collect();
            let key = grid.iter().map(|g| (g + 0.0).to_bits()).collect();
            *count.entry(key).or_insert_with(|| {
                order.push(grid);
                0
            }) += 1;
        }
        let key = |g: &[f64]| g.iter().map(|g| (g + 0.0).to_bits()).collect::<Vec<_>>();
        order
            .into_iter()
            .filter(|g| count[&key(g)] >= min)
            .flat_map(|g| g.into_iter().map(|x| x as f32))
            .collect()
    }

    #[test]
    fn parts_merge_in_order_of_first_appearance() {
        // Three parts' worth of rows; some bins first appear in a later part.
        let n = 2 * PART + 1234;
        let data: Vec<f64> = (0..n)
            .flat_map(|i| [((i * 7919) % 1000) as f64 * 0.37, (i % 17) as f64 - 8.0])
            .collect();
        let p = Points::new(&data, 2).unwrap();
        for min in [1, 40] {
            let expected = binned_one_by_one(&data, 2, 3.0, min);
            for threads in [1, 2, 3] {
                let got = bin_seeds(
                    p,
                    3.0,
                    Precision::Double,
                    min,
                    &Workers::new(threads).unwrap(),
                    &never_stop,
                );
                assert_eq!(got.unwrap().coords, expected);
            }
        }
    }

    #[test]
    fn a_bin_per_row_across_many_parts() {
        // Every row a bin of its own but for a few, in the order of the rows.
        let n = 3 * PART + 77;
        let data: Vec<f64> = (0..n).map(|i| ((i * 31) % (n - 5)) as f64).collect();
        let got = bin_seeds(
            Points::new(&data, 1).unwrap(),
            1.0,
            Precision::Double,
            1,
            &Workers::new(2).unwrap(),
            &never_stop,
        )
        .unwrap();
        assert_eq!(got.coords, binned_one_by_one(&data, 1, 1.0, 1));
        assert_eq!(got.len, n - 5);
    }

    fn bins_of(data: &[f64], dim: usize, size: f64, min: usize) -> Vec<f32> {
        bin_seeds(
            Points::new(data, dim).unwrap(),
            size,
            Precision::Double,
            min,
            &Workers::new(2).unwrap(),
            &never_stop,
        )
        .unwrap()
        .coords
    }

    #[test]
    fn rounding_by_additions_is_round_ties_even() {
        let mut values = vec![0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994];
        values.extend([f64::INFINITY, -f64::INFINITY, f64::MAX, f64::MIN_POSITIVE]);
        values.extend([4503599627370495.5, -4503599627370495.5, 9007199254740993.0]);
        let spread = noise(31, 200_000);
        for (i, r) in spread.iter().enumerate() {
            let x = (r - 0.5) * 2f64.powi((i % 120) as i32 - 60);
            values.extend([x, (x * 2.0).round() / 2.0]);
        }
        for &x in &values {
            let (ours, std) = (round_half_even(x), x.round_ties_even());
            assert_eq!(ours.to_bits(), std.to_bits(), "{x:e}");
            let x = x as f32;
            let (ours, std) = (
                round_half_even(f64::from(x)),
                f64::from(x.round_ties_even()),
            );
            assert_eq!(ours.to_bits(), std.to_bits(), "{x:e}");
        }
        assert!(round_half_even(f64::NAN).is_nan());
    }

    #[test]
    fn rounds_half_to_even() {
        let data = [0.5, 1.5, 2.5, -0.5, -1.5, 0.49];
        assert_eq!(bins_of(&data, 1, 1.0, 1), vec![0.0, 2.0, -2.0]);
    }

    #[test]
    fn negative_zero_is_the_zero_bin() {
        let got = bin_seeds(
            Points::new(&[-0.2f64, 0.2], 1).unwrap(),
            1.0,
            Precision::Double,
            2,
            &Workers::new(1).unwrap(),
            &never_stop,
        )
        .unwrap();
        assert_eq!(got.len, 1);
        // The bin keeps its first key, -0.0, as a Python dict keeps its first key.
        assert!(got.coords[0] == 0.0 && got.coords[0].is_sign_negative());
    }

    #[test]
    fn first_appearance_order_and_min_freq() {
        let data = [10.0, 10.0, 0.0, 0.0, 10.1, 9.9, 0.2, 0.1, 5.0, 5.0];
        assert_eq!(
            bins_of(&data, 2, 1.0, 1),
            vec![10.0, 10.0, 0.0, 0.0, 5.0, 5.0]
        );
        assert_eq!(bins_of(&data, 2, 1.0, 2), vec![10.0, 10.0, 0.0, 0.0]);
        assert!(bins_of(&data, 2, 1.0, 3).is_empty());
    }

    #[test]
    fn single_precision_division_differs_from_double() {
        // 0.35 / 0.1 is 3.4999999999999996 in float64 but 3.5 -> 4 in float32.
        let x = [0.35f32];
        let p = Points::new(&x, 1).unwrap();
        let single = bin_seeds(
            p,
            0.1,
            Precision::Single,
            1,
            &Workers::new(1).unwrap(),
            &never_stop,
        )
        .unwrap()
        .coords;
        let double = bin_seeds(
            p,
            0.1,
            Precision::Double,
            1,
            &Workers::new(1).unwrap(),
            &never_stop,
        )
        .unwrap()
        .coords;
        assert_eq!(single, vec![4.0]);
        assert_eq!(double, vec![3.0]);
    }

    #[test]
    fn weights_add_up_to_a_bins_frequency() {
        // Bins 0 (weights 0.5 + 0.25 + 1.25) and 10 (weight 1.5) and 5 (0).
        let data = [0.1, 10.0, 0.2, 5.0, -0.1];
        let weights = [0.5, 1.5, 0.25, 0.0, 1.25];
        let p = Points::new(&data, 1).unwrap();
        let bins = |min| {
            bin_seeds_weighted(
                p,
                1.0,
                Precision::Double,
                min,
                Some(&weights),
                &Workers::new(1).unwrap(),
                &never_stop,
            )
            .unwrap()
            .coords
        };
        assert_eq!(bins(2), vec![0.0]);
        assert_eq!(bins(1), vec![0.0, 10.0]);
        assert_eq!(bins(0), vec![0.0, 10.0, 5.0]);
    }

    #[test]
    fn single_precision_needs_float32() {
        let p = Points::new(&[1.0f64], 1).unwrap();
        assert!(bin_seeds(
            p,
            1.0,
            Precision::Single,
            1,
            &Workers::new(1).unwrap(),
            &never_stop
        )
        .is_err());
    }
}
