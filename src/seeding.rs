//! Grid binning for `get_bin_seeds` (docs/algorithm.md §3).

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::exact::interner::ExactKeys;
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
    if precision == Precision::Single && std::mem::size_of::<T>() != 4 {
        return Err(Error::InvalidInput(
            "single-precision binning needs float32 data".into(),
        ));
    }
    workers.run(0, stop, |task| {
        bin_rows(points, bin_size, precision, min_bin_freq, weights, task)
    })
}

/// [`bin_seeds_weighted`]' work, in the pool `task` runs in.
fn bin_rows<T: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    min_bin_freq: usize,
    weights: Option<&[f64]>,
    task: &Task,
) -> Result<Bins> {
    let dim = points.dim();
    let parts = points.len().div_ceil(PART);
    let binned: Vec<Occupied> = (0..parts)
        .into_par_iter()
        .map(|k| {
            task.check()?;
            let rows = k * PART..((k + 1) * PART).min(points.len());
            Ok(Occupied::of_rows(
                points, rows, bin_size, precision, weights,
            ))
        })
        .collect::<Result<_>>()?;
    // Parts in row order, each part's bins in order of first appearance:
    // merged so, every bin keeps the place of its first row overall.
    let mut all = Occupied::default();
    for part in &binned {
        task.check()?;
        let frequencies = part.counts.iter().zip(&part.errors);
        for (coords, (&count, &error)) in part.coords.chunks_exact(dim).zip(frequencies) {
            all.count(coords.iter().copied(), count, error);
        }
    }

    let mut coords = Vec::new();
    let mut len = 0;
    let frequencies = all.counts.iter().zip(&all.errors);
    for (grid, (&count, &error)) in all.coords.chunks_exact(dim).zip(frequencies) {
        // Exact for counts; the rounded compensated sum for weights.
        if count + error >= min_bin_freq as f64 {
            coords.extend(grid.iter().map(|&g| g as f32));
            len += 1;
        }
    }
    Ok(Bins { coords, len })
}

/// Occupied bins in order of first appearance: grid coordinates and counts
/// (or weight sums, with their error terms).
#[derive(Default)]
struct Occupied {
    keys: ExactKeys,
    coords: Vec<f64>,
    counts: Vec<f64>,
    errors: Vec<f64>,
}

impl Occupied {
    fn of_rows<T: Coord>(
        points: Points<T>,
        rows: Range<usize>,
        bin_size: f64,
        precision: Precision,
        weights: Option<&[f64]>,
    ) -> Self {
        let single_bin = bin_size as f32;
        let grid = |x: T| -> f64 {
            match precision {
                Precision::Single => ((x.to_f64() as f32) / single_bin).round_ties_even() as f64,
                Precision::Double => (x.to_f64() / bin_size).round_ties_even(),
            }
        };
        let mut occupied = Occupied::default();
        for i in rows {
            let weight = weights.map_or(1.0, |w| w[i]);
            occupied.count(points.row(i).iter().map(|&x| grid(x)), weight, 0.0);
        }
        occupied
    }

    fn count(&mut self, grid: impl Iterator<Item = f64> + Clone, count: f64, error: f64) {
        match self.keys.number(grid.clone()) {
            (b, false) => two_sum_into(&mut self.counts[b], &mut self.errors[b], count, error),
            (_, true) => {
                self.coords.extend(grid);
                self.counts.push(count);
                self.errors.push(error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;
    use crate::parallel::tests::run_cancelled;

    #[test]
    fn a_cancelled_task_abandons_the_binning() {
        let data: Vec<f64> = (0..3 * PART).map(|i| i as f64).collect();
        let p = Points::new(&data, 1).unwrap();
        let mut got = None;
        let run = run_cancelled(|task| {
            got = Some(bin_rows(p, 1.0, Precision::Double, 1, None, task).map(|bins| bins.len));
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
        assert_eq!(got, Some(Err(Error::Interrupted)));
    }

    #[test]
    fn parts_merge_in_order_of_first_appearance() {
        // Three parts' worth of rows; some bins first appear in a later part.
        let n = 2 * PART + 1234;
        let data: Vec<f64> = (0..n)
            .flat_map(|i| [((i * 7919) % 1000) as f64 * 0.37, (i % 17) as f64 - 8.0])
            .collect();
        let p = Points::new(&data, 2).unwrap();
        let expected = Occupied::of_rows(p, 0..n, 3.0, Precision::Double, None);
        let kept: Vec<f32> = expected
            .coords
            .chunks_exact(2)
            .zip(&expected.counts)
            .filter(|(_, &count)| count >= 40.0)
            .flat_map(|(g, _)| g.iter().map(|&x| x as f32))
            .collect();
        for threads in [1, 2, 3] {
            let got = bin_seeds(
                p,
                3.0,
                Precision::Double,
                40,
                &Workers::new(threads).unwrap(),
                &never_stop,
            );
            assert_eq!(got.unwrap().coords, kept);
        }
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
