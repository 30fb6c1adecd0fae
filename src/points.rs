//! A read-only row-major matrix view over the caller's memory, and the
//! coordinate types it can hold.

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
    /// The type's NumPy name, for messages.
    const NAME: &'static str;
    /// The value as an `f64`, exactly.
    fn to_f64(self) -> f64;
    /// Round an `f64` to this type (a no-op for `f64`).
    fn from_f64(value: f64) -> Self;
}

impl Coord for f32 {
    const NAME: &'static str = "float32";
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
    const NAME: &'static str = "float64";
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
///
/// ```
/// use fastmeanshift::Points;
///
/// let data = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let points = Points::new(&data, 3).unwrap();
/// assert_eq!((points.len(), points.dim()), (2, 3));
/// assert_eq!(points.row(1), [4.0, 5.0, 6.0]);
/// assert!(Points::new(&data, 4).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Points<'a, T> {
    data: &'a [T],
    dim: usize,
}

impl<'a, T: Coord> Points<'a, T> {
    /// The rows of `dim` values in `data`: `dim` at least 1, whole rows, and
    /// no more than `u32::MAX` of them (the search tree indexes them in 32 bits).
    pub fn new(data: &'a [T], dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::InvalidInput(
                "points must have at least one feature".into(),
            ));
        }
        if !data.len().is_multiple_of(dim) {
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

    /// The number of points.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    /// Whether there are no points.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The number of coordinates of each point.
    #[inline(always)]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The coordinates of point `i`.
    #[inline(always)]
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Asks the CPU to bring the start of row `i` (if there is one) into
    /// its cache, for a read soon after: rows read in an order far from
    /// their own (a tree's) are each a cache miss in a large data set, and
    /// a loop that waits for each in turn runs at memory latency. Changes
    /// nothing else.
    ///
    /// ```
    /// use fastmeanshift::Points;
    ///
    /// let points = Points::new(&[1.0, 2.0, 3.0, 4.0], 2)?;
    /// points.prefetch_row(1);
    /// points.prefetch_row(5); // past the end: nothing happens
    /// assert_eq!(points.row(1), &[3.0, 4.0]);
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    #[inline(always)]
    pub fn prefetch_row(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        if let Some(first) = self.data.get(i * self.dim) {
            // SAFETY: a prefetch hint reads nothing and cannot fault; the
            // address is inside the data anyway.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>((first as *const T).cast());
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// Every coordinate, row after row.
    pub fn as_slice(&self) -> &'a [T] {
        self.data
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
}
