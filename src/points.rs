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
    /// The values themselves if they are `f64`s (no copy), else `None`.
    fn as_f64s(values: &[Self]) -> Option<&[f64]>;
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
    fn as_f64s(_: &[Self]) -> Option<&[f64]> {
        None
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
    fn as_f64s(values: &[Self]) -> Option<&[f64]> {
        Some(values)
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

/// The sum of `term(a[j], b[j])` over `j` in eight lanes, lane `j % 8`
/// taking term `j`, then added up pairwise: eight chains run side by side (and
/// vectorise) instead of each addition waiting on the one before.
#[inline(always)]
pub fn sum_in_lanes<A: Copy, B: Copy>(a: &[A], b: &[B], term: impl Fn(A, B) -> f64) -> f64 {
    const LANES: usize = 8;
    if a.len() < 4 {
        // The same sum (lanes of one term each, added in order), sooner.
        return a.iter().zip(b).fold(0.0, |sum, (&a, &b)| sum + term(a, b));
    }
    let mut lanes = [0.0f64; LANES];
    let (mut a8, mut b8) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    for (a, b) in (&mut a8).zip(&mut b8) {
        for k in 0..LANES {
            lanes[k] += term(a[k], b[k]);
        }
    }
    for (lane, (&a, &b)) in lanes
        .iter_mut()
        .zip(a8.remainder().iter().zip(b8.remainder()))
    {
        *lane += term(a, b);
    }
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}

/// The squared radius of a closed ball, and how to decide the per-point test
/// `squared_distance(q, p) <= r2` from faster sums.
///
/// A sum of nonnegative floating-point terms lies within a relative
/// `k * 2^-53` (to first order) of their exact sum, `k` the most additions
/// any term goes through: `dim - 1` in order, about `dim / 8` in lanes. A lane sum
/// well inside or well outside `r2` therefore decides the test exactly as the
/// sequential sum would; only a sum within that sliver of `r2` is recomputed
/// in order.
#[derive(Debug, Clone, Copy)]
pub struct SquaredRadius {
    r2: f64,
    /// A sum in another order at or below this: the ordered sum is `<= r2`.
    inside: f64,
    /// A finite sum in another order above this: the ordered sum is `> r2`.
    outside: f64,
}

impl SquaredRadius {
    pub fn new(r2: f64, dim: usize) -> Self {
        // The ordered sum's error bound plus the lane sum's (at most
        // `dim / 8 + 4` additions deep), doubled, with room for rounding the
        // products: about `(4 dim + 16) 2^-53`.
        let slack = (2.0 * dim as f64 + 8.0) * f64::EPSILON;
        SquaredRadius {
            r2,
            inside: r2 * (1.0 - slack),
            outside: r2 * (1.0 + slack),
        }
    }

    pub fn r2(&self) -> f64 {
        self.r2
    }

    /// Whether a lower bound, summed in any order, proves the ordered test fails.
    #[inline(always)]
    pub fn surely_excludes(&self, lower: f64) -> bool {
        lower > self.outside && lower.is_finite()
    }

    /// Whether an upper bound, summed in any order, proves the ordered test passes.
    #[inline(always)]
    pub fn surely_includes(&self, upper: f64) -> bool {
        upper <= self.inside
    }

    /// `squared_distance(q, p) <= r2`, exactly.
    #[inline(always)]
    pub fn contains<T: Coord>(&self, q: &[f64], p: &[T]) -> bool {
        let d = sum_in_lanes(q, p, |a, b| {
            let diff = a - b.to_f64();
            diff * diff
        });
        if self.surely_includes(d) {
            true
        } else if self.surely_excludes(d) {
            false
        } else {
            squared_distance(q, p) <= self.r2
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
    fn radius_decides_exactly_as_the_ordered_sum() {
        // Points spread around the sphere, many within rounding of it.
        for dim in [1, 2, 3, 7, 64] {
            let q: Vec<f64> = (0..dim).map(|j| (j as f64 * 0.7).cos()).collect();
            for k in 0..2000 {
                let p: Vec<f64> = (0..dim)
                    .map(|j| q[j] + ((k * 31 + j * 17) as f64).sin() * 0.3)
                    .collect();
                let exact = squared_distance(&q, &p);
                for r2 in [
                    exact,
                    exact * (1.0 + 1e-15),
                    exact * (1.0 - 1e-15),
                    exact * 2.0,
                    exact / 2.0,
                ] {
                    let radius = SquaredRadius::new(r2, dim);
                    assert_eq!(radius.contains(&q, &p), exact <= r2, "dim {dim} k {k}");
                }
            }
        }
        let zero = SquaredRadius::new(0.0, 3);
        assert!(zero.contains(&[1.0, 2.0, 3.0], &[1.0f64, 2.0, 3.0]));
        assert!(!zero.contains(&[1.0, 2.0, 0.0], &[1.0f64, 2.0, 1e-150]));
    }

    #[test]
    fn distance_is_exact_on_small_integers() {
        assert_eq!(squared_distance(&[1.0, 1.0], &[4.0f64, 5.0]), 25.0);
        assert_eq!(squared_distance(&[0.5], &[0.25f32]), 0.0625);
    }
}
