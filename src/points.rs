//! A read-only row-major matrix view over the caller's memory, and the one
//! squared-distance formula every stage uses.

use crate::error::{Error, Result};

/// The coordinate types the algorithm runs on. Distances are always computed
/// in `f64` (as scikit-learn does); means are stored in the input's own type.
pub trait Coord:
    Copy
    + Send
    + Sync
    + PartialEq
    + std::fmt::Debug
    + std::ops::Add<Output = Self>
    + std::ops::Div<Output = Self>
    + 'static
{
    fn to_f64(self) -> f64;
    /// Round an `f64` to this type (a no-op for `f64`).
    fn from_f64(value: f64) -> Self;
}

impl Coord for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value as f32
    }
}

impl Coord for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value
    }
}

/// `n` points of dimension `dim`, stored row after row in `data`.
#[derive(Debug, Clone, Copy)]
pub struct Points<'a, T> {
    data: &'a [T],
    dim: usize,
}

impl<'a, T: Coord> Points<'a, T> {
    pub fn new(data: &'a [T], dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::InvalidInput(
                "points must have at least one feature".into(),
            ));
        }
        if data.len() % dim != 0 {
            return Err(Error::InvalidInput(format!(
                "a buffer of {} values does not hold rows of {dim} features",
                data.len()
            )));
        }
        if data.len() / dim > u32::MAX as usize {
            return Err(Error::InvalidInput(format!(
                "at most {} points are supported",
                u32::MAX
            )));
        }
        Ok(Points { data, dim })
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    #[inline(always)]
    pub fn dim(&self) -> usize {
        self.dim
    }

    #[inline(always)]
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }
}

/// Squared Euclidean distance, summed over the coordinates in order, in `f64`.
///
/// Every membership test of the crate goes through this one formula (it is
/// also the one scikit-learn's KD-tree uses), so that the tree's bounds can be
/// proven never to disagree with it: see `ball_search`.
#[inline(always)]
pub fn squared_distance<T: Coord>(q: &[f64], p: &[T]) -> f64 {
    let mut sum = 0.0;
    for (&a, &b) in q.iter().zip(p) {
        let diff = a - b.to_f64();
        sum += diff * diff;
    }
    sum
}

/// [`squared_distance`] from `q` to each of `rows`, into `out`: the same
/// operations in the same order for each row, bit for bit, with the rows
/// interleaved so that their sums do not wait on one another.
#[inline(always)]
pub fn squared_distances<T: Coord>(q: &[f64], rows: &[&[T]], out: &mut [f64]) {
    out.fill(0.0);
    for (j, &a) in q.iter().enumerate() {
        for (sum, row) in out.iter_mut().zip(rows) {
            let diff = a - row[j].to_f64();
            *sum += diff * diff;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_shape() {
        let data = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let p = Points::new(&data, 3).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p.row(1), &[4.0, 5.0, 6.0]);
    }

    #[test]
    fn rejects_ragged_and_zero_width() {
        assert!(Points::new(&[1.0f64, 2.0, 3.0], 2).is_err());
        assert!(Points::new(&[1.0f64], 0).is_err());
    }

    #[test]
    fn interleaved_distances_match_one_by_one() {
        let data: Vec<f64> = (0..70).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
        let rows: Vec<&[f64]> = data.chunks(7).collect();
        let q: Vec<f64> = (0..7).map(|j| j as f64 * 0.1).collect();
        let mut out = vec![f64::NAN; rows.len()];
        squared_distances(&q, &rows, &mut out);
        for (row, d) in rows.iter().zip(&out) {
            assert_eq!(d.to_bits(), squared_distance(&q, row).to_bits());
        }
    }

    #[test]
    fn distance_is_exact_on_small_integers() {
        assert_eq!(squared_distance(&[1.0, 1.0], &[4.0f64, 5.0]), 25.0);
        assert_eq!(squared_distance(&[0.5], &[0.25f32]), 0.0625);
    }
}
