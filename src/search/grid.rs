//! The pixel grid of an image or a volume (docs/algorithm.md §13.1): where a
//! window of the spatial bandwidth around a position holds every pixel a
//! joint spatial-range climb can weigh, so no tree is needed.
//!
//! Every grid has three axes: an image's missing leading axis has length 1
//! and contributes a difference of 0, which changes no squared distance
//! (`0 + t` is `t` exactly).

use crate::error::{Error, Result};

/// The spatial axes of an image, padded to three, and their spacing.
///
/// ```
/// use fastmeanshift::search::grid::Grid;
///
/// let grid = Grid::new(&[4, 5], &[1.0, 2.0])?;
/// assert_eq!(grid.len(), 20);
/// assert_eq!(grid.position(7), [0.0, 1.0, 2.0]);
/// // Radius 2.5 in physical units: 2 pixels along the first axis, 1 along the
/// // second (spacing 2).
/// assert_eq!(grid.window(&[0.0, 1.0, 2.0], 2.5), [(0, 0), (0, 3), (1, 3)]);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    shape: [usize; 3],
    spacing: [f64; 3],
    strides: [usize; 3],
}

/// Most spatial axes a grid has.
pub const MOST_AXES: usize = 3;

impl Grid {
    /// The grid of `shape` (1 to 3 axes, none empty) with `spacing` between
    /// neighbours along each axis (finite, `> 0`).
    pub fn new(shape: &[usize], spacing: &[f64]) -> Result<Self> {
        if shape.is_empty() || shape.len() > MOST_AXES || spacing.len() != shape.len() {
            return Err(Error::InvalidInput(format!(
                "an image has 1 to {MOST_AXES} spatial axes, each with a spacing: got shape \
                 {shape:?} and spacing {spacing:?}"
            )));
        }
        if shape.contains(&0) {
            return Err(Error::InvalidInput(format!(
                "cannot segment an empty image (spatial shape {shape:?})"
            )));
        }
        if let Some(bad) = spacing.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(Error::InvalidInput(format!(
                "the spacing must be finite numbers > 0, got {bad}"
            )));
        }
        let pad = MOST_AXES - shape.len();
        let mut padded = [1; 3];
        let mut spaced = [1.0; 3];
        padded[pad..].copy_from_slice(shape);
        spaced[pad..].copy_from_slice(spacing);
        padded
            .iter()
            .try_fold(1usize, |n, &k| n.checked_mul(k))
            .ok_or_else(|| Error::InvalidInput("the image has too many pixels".into()))?;
        let strides = [padded[1] * padded[2], padded[2], 1];
        Ok(Grid {
            shape: padded,
            spacing: spaced,
            strides,
        })
    }

    /// Pixels in all.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Always false: no axis is empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The three axes' lengths (leading ones padded with 1).
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// The three axes' spacings (padded with 1).
    pub fn spacing(&self) -> [f64; 3] {
        self.spacing
    }

    /// How far apart pixels neighbouring along each axis are in raster order.
    pub fn strides(&self) -> [usize; 3] {
        self.strides
    }

    /// The grid index of pixel `i` (raster order), as coordinates.
    #[inline]
    pub fn position(&self, i: usize) -> [f64; 3] {
        let [s0, s1, _] = self.strides;
        [(i / s0) as f64, (i % s0 / s1) as f64, (i % s1) as f64]
    }

    /// The inclusive index range along each axis of the pixels `p` that can
    /// lie within `radius` (physical units) of `y` (grid coordinates):
    /// `|p - y| * spacing <= radius`, widened by a relative `1e-9` so that
    /// no pixel a rounded squared distance puts within `radius` is missed
    /// (membership itself is decided by that distance, docs/algorithm.md §13.2).
    #[inline]
    pub fn window(&self, y: &[f64; 3], radius: f64) -> [(usize, usize); 3] {
        let mut bounds = [(0, 0); 3];
        for d in 0..3 {
            let reach = radius / self.spacing[d] * (1.0 + 1e-9);
            let last = (self.shape[d] - 1) as f64;
            let lo = (y[d] - reach).ceil().clamp(0.0, last);
            let hi = (y[d] + reach).floor().clamp(0.0, last);
            bounds[d] = (lo as usize, hi as usize);
        }
        bounds
    }

    /// Calls `pair(before, i)` for every two pixels that neighbour along
    /// one axis, `before` the earlier in raster order, in raster order of
    /// `i` (axis by axis for each), and `row(i)` before each row of the
    /// last axis, starting at pixel `i`; the first error of either ends it.
    ///
    /// ```
    /// use fastmeanshift::search::grid::Grid;
    ///
    /// let grid = Grid::new(&[2, 2], &[1.0, 1.0])?;
    /// let mut pairs = Vec::new();
    /// grid.for_each_neighbour_pair(|_| Ok(()), |a, b| Ok(pairs.push((a, b))))?;
    /// assert_eq!(pairs, [(0, 1), (0, 2), (1, 3), (2, 3)]);
    /// # Ok::<(), fastmeanshift::Error>(())
    /// ```
    pub fn for_each_neighbour_pair(
        &self,
        mut row: impl FnMut(usize) -> Result<()>,
        mut pair: impl FnMut(usize, usize) -> Result<()>,
    ) -> Result<()> {
        let [n0, n1, n2] = self.shape;
        let [s0, s1, _] = self.strides;
        for a in 0..n0 {
            for b in 0..n1 {
                let start = a * s0 + b * s1;
                row(start)?;
                for c in 0..n2 {
                    let i = start + c;
                    if a > 0 {
                        pair(i - s0, i)?;
                    }
                    if b > 0 {
                        pair(i - s1, i)?;
                    }
                    if c > 0 {
                        pair(i - 1, i)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The squared physical distance between grid coordinates `a` and `b`:
    /// `sum_d ((a_d - b_d) * spacing_d)^2`, summed in axis order.
    #[inline]
    pub fn squared_distance(&self, a: &[f64; 3], b: &[f64; 3]) -> f64 {
        let mut d2 = 0.0;
        for d in 0..3 {
            let t = (a[d] - b[d]) * self.spacing[d];
            d2 += t * t;
        }
        d2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_grids() {
        assert!(Grid::new(&[], &[]).is_err());
        assert!(Grid::new(&[2, 2, 2, 2], &[1.0; 4]).is_err());
        assert!(Grid::new(&[2, 0], &[1.0, 1.0]).is_err());
        assert!(Grid::new(&[2, 2], &[1.0, 0.0]).is_err());
        assert!(Grid::new(&[2, 2], &[1.0, f64::NAN]).is_err());
        assert!(Grid::new(&[2, 2], &[1.0]).is_err());
        assert!(Grid::new(&[usize::MAX, 2], &[1.0, 1.0]).is_err());
    }

    #[test]
    fn windows_hold_every_pixel_within_the_radius() {
        let grid = Grid::new(&[7, 9, 5], &[1.0, 0.7, 2.0]).unwrap();
        let y = [3.25, 4.5, 2.0];
        let radius = 2.1;
        let w = grid.window(&y, radius);
        for i in 0..grid.len() {
            let p = grid.position(i);
            let inside = (0..3).all(|d| w[d].0 as f64 <= p[d] && p[d] <= w[d].1 as f64);
            if grid.squared_distance(&p, &y) <= radius * radius {
                assert!(inside, "{p:?}");
            }
        }
        // A pixel exactly at the radius is in the window.
        let grid = Grid::new(&[10], &[1.0]).unwrap();
        assert_eq!(grid.window(&[0.0, 0.0, 5.0], 3.0)[2], (2, 8));
    }
}
