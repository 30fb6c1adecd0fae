//! Grid binning for `get_bin_seeds` (SPEC.md §2).

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{try_push, Error, Result};
use crate::exact_keys::{same_values, ExactKeys, KeyHasher};
use crate::parallel::Workers;
use crate::points::{Coord, Points};

/// The precision in which `row / bin_size` is computed: NumPy's type promotion
/// of the data type with the bin size's type decides it (a float32 array
/// divided by a Python float stays float32; by a float64 scalar it does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Single,
    Double,
}

/// The occupied bins of a grid of spacing `bin_size`, as grid coordinates.
pub struct Bins<G> {
    /// Grid coordinates (`round(x / bin_size)`) of the kept bins, row-major,
    /// in order of first appearance, rounded to float32 as scikit-learn
    /// stores them (and widened back, exactly, for `G = f64`).
    pub coords: Vec<G>,
    /// How many bins were kept (`coords.len() / dim`).
    pub len: usize,
}

/// Rows binned by one task: parts of this many are binned in parallel and
/// merged in order (a fixed size, so the result cannot depend on threads).
const PART: usize = 1 << 16;

/// Bins every row at `round_half_even(row / bin_size)` and keeps the bins
/// holding at least `min_bin_freq` rows, in order of first appearance.
/// Bins are told apart in the division's precision (-0.0 and 0.0 are one bin),
/// and only then stored as float32, so two bins may store the same seed, as
/// in scikit-learn.
///
/// Memory: a bin is kept as the row that opened it and its count (8 bytes)
/// plus its slot in the index (8 bytes, at most 4/3 of them); its coordinates
/// are computed again from that row when needed. Parts are binned a wave of
/// one per thread at a time and merged at once, so only the parts of one
/// wave are ever held beside the bins of the whole data.
pub fn bin_seeds<T: Coord, G: Coord>(
    points: Points<T>,
    bin_size: f64,
    precision: Precision,
    min_bin_freq: usize,
    workers: &Workers,
) -> Result<Bins<G>> {
    if precision == Precision::Single && std::mem::size_of::<T>() != 4 {
        return Err(Error::InvalidInput(
            "single-precision binning needs float32 data".into(),
        ));
    }
    let grid = Grid {
        points,
        bin_size,
        precision,
        hasher: KeyHasher::default(),
    };
    let parts = points.len().div_ceil(PART);
    let wave = workers.threads();
    let mut all = Occupied::default();
    for first in (0..parts).step_by(wave) {
        let binned: Vec<Result<Part>> = workers.install(|| {
            (first..(first + wave).min(parts))
                .into_par_iter()
                .map(|k| grid.bin_part(k * PART..((k + 1) * PART).min(points.len())))
                .collect()
        });
        // Parts in row order, each part's bins in order of first appearance:
        // merged so, every bin keeps the place of its first row overall.
        for part in binned {
            let part = part?;
            let cells = part.cells.chunks_exact(points.dim());
            for (bin, cell) in part.bins.iter().zip(cells) {
                all.add(&grid, bin, cell)?;
            }
        }
    }
    drop(all.keys);

    let kept = all.counts.iter().filter(|&&c| c as usize >= min_bin_freq);
    let len = kept.count();
    let mut coords = Vec::new();
    let wanted = len * points.dim();
    coords
        .try_reserve_exact(wanted)
        .map_err(|_| Error::OutOfMemory {
            bytes: wanted.saturating_mul(std::mem::size_of::<G>()),
        })?;
    for (&row, &count) in all.first_rows.iter().zip(&all.counts) {
        if count as usize >= min_bin_freq {
            let cell = grid.cell(row as usize);
            coords.extend(cell.map(|g| G::from_f64(g as f32 as f64)));
        }
    }
    Ok(Bins { coords, len })
}

/// Where the rows of one binning fall.
struct Grid<'a, T> {
    points: Points<'a, T>,
    bin_size: f64,
    precision: Precision,
    hasher: KeyHasher,
}

impl<T: Coord> Grid<'_, T> {
    /// The grid coordinates of a row's bin, in the division's precision.
    fn cell(&self, row: usize) -> impl Iterator<Item = f64> + Clone + '_ {
        let single_bin = self.bin_size as f32;
        self.points
            .row(row)
            .iter()
            .map(move |&x| match self.precision {
                Precision::Single => ((x.to_f64() as f32) / single_bin).round_ties_even() as f64,
                Precision::Double => (x.to_f64() / self.bin_size).round_ties_even(),
            })
    }

    /// The bins of `rows`, in order of first appearance.
    fn bin_part(&self, rows: Range<usize>) -> Result<Part> {
        let dim = self.points.dim();
        let mut keys = ExactKeys::default();
        let mut part = Part::default();
        let mut cell = Vec::with_capacity(dim);
        for row in rows {
            cell.clear();
            cell.extend(self.cell(row));
            let hash = self.hasher.values(cell.iter().copied());
            let (b, new) = keys.number(
                hash,
                |b| {
                    same_values(
                        part.cells[b * dim..(b + 1) * dim].iter().copied(),
                        cell.iter().copied(),
                    )
                },
                |b| part.bins[b].hash,
            )?;
            if new {
                part.bins.push(PartBin {
                    first_row: row as u32,
                    count: 1,
                    hash,
                });
                part.cells.extend_from_slice(&cell);
            } else {
                part.bins[b].count += 1;
            }
        }
        Ok(part)
    }
}

/// The bins of one part (at most [`PART`], so held only while a wave is
/// merged), with their grid coordinates: a row's bin is compared with them
/// where it is found, not computed again from the bin's first row.
#[derive(Default)]
struct Part {
    bins: Vec<PartBin>,
    cells: Vec<f64>,
}

/// A bin of one part: the row that opened it, how many rows it holds, and
/// its hash, kept so that the merge need not compute it again.
struct PartBin {
    first_row: u32,
    count: u32,
    hash: u64,
}

/// The occupied bins of the data so far, in order of first appearance: the
/// row that opened each and its count. (Counts fit in u32, as rows do.)
#[derive(Default)]
struct Occupied {
    keys: ExactKeys,
    first_rows: Vec<u32>,
    counts: Vec<u32>,
}

impl Occupied {
    /// Counts a part's bin (at grid coordinates `cell`) in.
    fn add<T: Coord>(&mut self, grid: &Grid<'_, T>, bin: &PartBin, cell: &[f64]) -> Result<()> {
        let first_rows = &self.first_rows;
        let (b, new) = self.keys.number(
            bin.hash,
            |b| same_values(grid.cell(first_rows[b] as usize), cell.iter().copied()),
            |b| grid.hasher.values(grid.cell(first_rows[b] as usize)),
        )?;
        if new {
            try_push(&mut self.first_rows, bin.first_row)?;
            try_push(&mut self.counts, bin.count)?;
        } else {
            self.counts[b] += bin.count;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        order
            .into_iter()
            .filter(|g| count[&g.iter().map(|g| (g + 0.0).to_bits()).collect::<Vec<_>>()] >= min)
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
                let got = bin_seeds::<_, f32>(
                    p,
                    3.0,
                    Precision::Double,
                    min,
                    &Workers::new(threads).unwrap(),
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
        let got = bin_seeds::<_, f32>(
            Points::new(&data, 1).unwrap(),
            1.0,
            Precision::Double,
            1,
            &Workers::new(2).unwrap(),
        )
        .unwrap();
        assert_eq!(got.coords, binned_one_by_one(&data, 1, 1.0, 1));
        assert_eq!(got.len, n - 5);
    }

    #[test]
    fn float64_coordinates_are_the_float32_ones_widened() {
        let data = [16_777_217.0, 0.1, 3.0];
        let p = Points::new(&data, 1).unwrap();
        let w = Workers::new(1).unwrap();
        let single = bin_seeds::<_, f32>(p, 1.0, Precision::Double, 1, &w).unwrap();
        let double = bin_seeds::<_, f64>(p, 1.0, Precision::Double, 1, &w).unwrap();
        let widened: Vec<f64> = single.coords.iter().map(|&x| x as f64).collect();
        assert_eq!(double.coords, widened);
        assert_eq!(double.coords[0], 16_777_216.0);
    }

    fn bins_of(data: &[f64], dim: usize, size: f64, min: usize) -> Vec<f32> {
        bin_seeds::<_, f32>(
            Points::new(data, dim).unwrap(),
            size,
            Precision::Double,
            min,
            &Workers::new(2).unwrap(),
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
        let got = bin_seeds::<_, f32>(
            Points::new(&[-0.2f64, 0.2], 1).unwrap(),
            1.0,
            Precision::Double,
            2,
            &Workers::new(1).unwrap(),
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
        let single = bin_seeds::<_, f32>(p, 0.1, Precision::Single, 1, &Workers::new(1).unwrap())
            .unwrap()
            .coords;
        let double = bin_seeds::<_, f32>(p, 0.1, Precision::Double, 1, &Workers::new(1).unwrap())
            .unwrap()
            .coords;
        assert_eq!(single, vec![4.0]);
        assert_eq!(double, vec![3.0]);
    }

    #[test]
    fn single_precision_needs_float32() {
        let p = Points::new(&[1.0f64], 1).unwrap();
        assert!(
            bin_seeds::<_, f32>(p, 1.0, Precision::Single, 1, &Workers::new(1).unwrap()).is_err()
        );
    }
}
