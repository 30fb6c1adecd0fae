//! Joint spatial-range climbs (docs/algorithm.md §13.2): every pixel of an
//! image climbs in position and value at once, weighing the pixels of its
//! window with the product of a spatial and a range kernel, parallel over
//! pixels. Each climb's sums are exact, rounded once ([`ExactSum`]), so
//! neither the order a window is read in nor the number of threads changes
//! a bit.

use rayon::prelude::*;

use super::image_values::ImageValues;
use super::limbs::Limbs;
#[cfg(target_arch = "x86_64")]
use super::window_lanes::{Avx2, Avx512};
use super::window_lanes::{LaneLoad, LaneRow, LaneSums, Lanes, Portable, Scales, WindowColumns};
use crate::error::{try_filled, Result};
use crate::exact::expansion::ExactSum;
use crate::exact::weighted::two_product;
use crate::options::Kernel;
use crate::parallel::Task;
use crate::search::grid::Grid;

/// A climb has converged once its step, in bandwidths, is at most `1e-3`
/// (`MeanShift`'s threshold): `u_s + u_r <= 1e-6` for the step, the square
/// of `sqrt(|dx_s|^2 / h_s^2 + |dx_r|^2 / h_r^2) <= 1e-3` (docs/algorithm.md
/// §13.2).
const STOP: f64 = 1e-6;

/// The product kernel `k(u_s) k(u_r)` of one kernel profile over position
/// (bandwidth `h_s`, physical units) and over value (bandwidth `h_r`).
///
/// ```
/// use fastmeanshift::climbing::joint::ProductKernel;
/// use fastmeanshift::Kernel;
///
/// let kernel = ProductKernel::new(Kernel::Epanechnikov, 2.0, 10.0)?;
/// // u_s = 1/4, u_r = 1/4: (3/4) (3/4).
/// assert_eq!(kernel.term_weight(1.0, 25.0), Some(0.5625));
/// assert_eq!(kernel.term_weight(4.5, 0.0), None); // beyond h_s
/// assert!(ProductKernel::new(Kernel::Flat, 0.0, 1.0).is_err());
/// assert!(ProductKernel::new(Kernel::Flat, 1.0, 1e-200).is_err());
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductKernel {
    kernel: Kernel,
    spatial_scale: f64,
    range_scale: f64,
    /// The spatial reach of the support, `h_s sqrt(support)`.
    reach: f64,
}

impl ProductKernel {
    /// The kernel with bandwidths `spatial` and `range` (finite, `> 0`, with
    /// squares above 0).
    pub fn new(kernel: Kernel, spatial: f64, range: f64) -> Result<Self> {
        for (name, h) in [("spatial", spatial), ("range", range)] {
            if !(h.is_finite() && h > 0.0) {
                return Err(crate::Error::InvalidInput(format!(
                    "the {name} bandwidth must be a finite number > 0, got {h}"
                )));
            }
            // Its square divides distances: it must not underflow to 0.
            if h * h == 0.0 {
                return Err(crate::Error::InvalidInput(format!(
                    "the {name} bandwidth {h:e} is too small: its square underflows"
                )));
            }
        }
        Ok(ProductKernel {
            kernel,
            spatial_scale: Kernel::distance_scale(spatial * spatial),
            range_scale: Kernel::distance_scale(range * range),
            reach: spatial * kernel.support().sqrt(),
        })
    }

    /// `u_s`: a squared spatial distance over the squared spatial bandwidth.
    #[inline(always)]
    pub fn spatial_u(&self, d2: f64) -> f64 {
        d2 * self.spatial_scale
    }

    /// `u_r`: a squared range distance over the squared range bandwidth.
    #[inline(always)]
    pub fn range_u(&self, d2: f64) -> f64 {
        d2 * self.range_scale
    }

    /// The term weight of a pixel at squared distances `d2_s` (spatial) and
    /// `d2_r` (range): `fl(k(u_s) k(u_r))` where both `u` lie within the
    /// support, else `None`.
    #[inline(always)]
    pub fn term_weight(&self, d2_s: f64, d2_r: f64) -> Option<f64> {
        let support = self.kernel.support();
        let (us, ur) = (self.spatial_u(d2_s), self.range_u(d2_r));
        (us <= support && ur <= support).then(|| self.kernel.profile(us) * self.kernel.profile(ur))
    }
}

/// An image's values on its grid: `channels` values per pixel, in raster
/// order.
#[derive(Debug, Clone, Copy)]
pub struct Pixels<'a> {
    /// The spatial grid.
    pub grid: &'a Grid,
    /// `grid.len() * channels` values, finite.
    pub values: ImageValues<'a>,
    /// Values per pixel.
    pub channels: usize,
}

impl Pixels<'_> {
    /// Whether the flat kernel's sums of grid indices and of value limbs
    /// ([`Limbs`]) over any window are exact as plain float64 sums: grid
    /// indices below `2^31` and windows of at most `2^21` pixels, so that
    /// every partial sum stays below `2^52` units.
    fn limb_sums_are_exact(&self, kernel: &ProductKernel) -> bool {
        let shape = self.grid.shape();
        let spacing = self.grid.spacing();
        let window: f64 = (0..3)
            .map(|d| (2.0 * (kernel.reach / spacing[d]).floor() + 3.0).min(shape[d] as f64))
            .product();
        kernel.kernel == Kernel::Flat && shape.iter().all(|&n| n < 1 << 31) && window <= 2_097_152.0
    }
}

/// Every pixel's climb: where it ended (three grid coordinates, then the
/// channels), and the most iterations a climb took.
#[derive(Debug, Clone, PartialEq)]
pub struct JointModes {
    /// Per pixel, the grid coordinates of its mode.
    pub positions: Vec<[f64; 3]>,
    /// Per pixel, the values of its mode, `channels` each.
    pub values: Vec<f64>,
    /// The most completed iterations of any climb.
    pub n_iter: u64,
}

/// Pixels climbed per unit of parallel work (and per progress report).
const PIXELS_PER_PART: usize = 256;

/// Climbs every pixel of `pixels` on the workers `task` runs on, counting
/// the pixels done; gives up at the next pixel once `task` is cancelled.
///
/// ```
/// use fastmeanshift::climbing::image_values::ImageValues;
/// use fastmeanshift::climbing::joint::{climb_pixels, Pixels, ProductKernel};
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::search::grid::Grid;
/// use fastmeanshift::{Kernel, Workers};
///
/// // A row of five grey pixels: two dark, three bright.
/// let grid = Grid::new(&[1, 5], &[1.0, 1.0])?;
/// let values: &[u8] = &[0, 1, 10, 10, 11];
/// let pixels = Pixels { grid: &grid, values: ImageValues::from(values), channels: 1 };
/// let kernel = ProductKernel::new(Kernel::Flat, 2.0, 2.0)?;
/// let modes = Workers::new(1)?.run(0, &never_stop, |task| climb_pixels(pixels, &kernel, 300, task))?;
/// assert_eq!(modes.values, [0.5, 0.5, 31.0 / 3.0, 31.0 / 3.0, 31.0 / 3.0]);
/// assert_eq!(modes.positions[0], [0.0, 0.0, 0.5]);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub fn climb_pixels(
    pixels: Pixels<'_>,
    kernel: &ProductKernel,
    max_iter: u64,
    task: &Task,
) -> Result<JointModes> {
    let n = pixels.grid.len();
    let c = pixels.channels;
    let mut positions = try_filled(n, [0.0; 3])?;
    let mut values = try_filled(n * c, 0.0)?;
    // Where limb sums are exact, the values are laid out channel by
    // channel, so that a row of a window is read in runs, lane by lane;
    // else the exact steps read them in float64, pixel by pixel.
    let limbs = match pixels.limb_sums_are_exact(kernel) && matches!(c, 1 | 3) {
        true => Limbs::cut(pixels.values, c)?,
        false => None,
    };
    let plain = Climber::plain_step_for(c, limbs.as_ref());
    let in_f64 = match plain {
        Some(_) => Default::default(),
        None => pixels.values.to_f64()?,
    };
    let step = plain.unwrap_or(Climber::exact_step);
    let n_iter = positions
        .par_chunks_mut(PIXELS_PER_PART)
        .zip(values.par_chunks_mut(PIXELS_PER_PART * c))
        .enumerate()
        .map(|(part, (positions, values))| {
            let mut climber = Climber::new(pixels, &in_f64, limbs.as_ref(), kernel, max_iter, task);
            let mut most = 0;
            let first = part * PIXELS_PER_PART;
            for (k, (position, value)) in positions.iter_mut().zip(values.chunks_mut(c)).enumerate()
            {
                task.check()?;
                let i = first + k;
                *position = pixels.grid.position(i);
                pixels.values.copy_into(i * c, value);
                most = most.max(climber.climb(position, value, step));
            }
            task.advance(positions.len());
            Ok(most)
        })
        .try_reduce(|| 0, |a, b| Ok(a.max(b)))?;
    Ok(JointModes {
        positions,
        values,
        n_iter,
    })
}

/// One step of a climb, in place; false where the window weighs nothing.
/// A step also returns false once its task is cancelled
/// ([`for_each_window_row`]): the climb's result is then abandoned with the
/// rest of the job.
type Step<'a> = fn(&mut Climber<'a>, &mut [f64; 3], &mut [f64]) -> bool;

/// One thread's climbing state: the image, its kernel, and the buffers of a
/// step.
struct Climber<'a> {
    pixels: Pixels<'a>,
    /// The values in float64, for [`Climber::exact_step`] (empty where the
    /// plain step climbs).
    in_f64: &'a [f64],
    /// The values and their limbs, for [`Climber::plain_step`].
    limbs: Option<&'a Limbs>,
    kernel: &'a ProductKernel,
    max_iter: u64,
    task: &'a Task,
    /// The exact sums of a step: `c z` per coordinate (three grid
    /// coordinates, then the channels), then the weights `c`.
    sums: Vec<ExactSum>,
    /// Per pixel of a window's last axis, its squared spatial term.
    column_terms: Vec<f64>,
    /// The same, lane by lane, for [`Climber::plain_step`].
    columns: WindowColumns,
    /// The values before a step.
    previous: Vec<f64>,
}

impl<'a> Climber<'a> {
    fn new(
        pixels: Pixels<'a>,
        in_f64: &'a [f64],
        limbs: Option<&'a Limbs>,
        kernel: &'a ProductKernel,
        max_iter: u64,
        task: &'a Task,
    ) -> Self {
        Climber {
            pixels,
            in_f64,
            limbs,
            kernel,
            max_iter,
            task,
            sums: vec![ExactSum::default(); 4 + pixels.channels],
            column_terms: Vec::new(),
            columns: WindowColumns::default(),
            previous: vec![0.0; pixels.channels],
        }
    }

    /// The plain step for `channels` values per pixel cut into `limbs`:
    /// [`Climber::plain_step`] for their planes' type, compiled for AVX-512
    /// or AVX2 where the CPU has it (the same bits: the sums are exact);
    /// `None` where there is none ([`Climber::exact_step`] climbs).
    fn plain_step_for(channels: usize, limbs: Option<&Limbs>) -> Option<Step<'a>> {
        #[cfg(target_arch = "x86_64")]
        let (avx512, avx2) = (
            cpu_has_avx512(),
            std::arch::is_x86_feature_detected!("avx2"),
        );
        #[cfg(not(target_arch = "x86_64"))]
        let (avx512, avx2) = (false, false);
        macro_rules! plain {
            ($p:ty, $c:literal, $l:literal) => {{
                #[cfg(target_arch = "x86_64")]
                if avx512 {
                    return Some(Climber::plain_step_avx512::<$p, $c, $l>);
                }
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    return Some(Climber::plain_step_avx2::<$p, $c, $l>);
                }
                Some(Climber::plain_step_portable::<$p, $c, $l>)
            }};
        }
        macro_rules! planes_of {
            ($p:ty, $l:expr) => {
                match (channels, $l) {
                    (1, 1) => plain!($p, 1, 1),
                    (1, 2) => plain!($p, 1, 2),
                    (1, 3) => plain!($p, 1, 3),
                    (3, 1) => plain!($p, 3, 1),
                    (3, 2) => plain!($p, 3, 2),
                    (3, 3) => plain!($p, 3, 3),
                    _ => None,
                }
            };
        }
        let _ = (avx512, avx2);
        match limbs {
            Some(limbs) if limbs.in_float32() => planes_of!(f32, limbs.limbs()),
            Some(limbs) => planes_of!(f64, limbs.limbs()),
            None => None,
        }
    }

    fn plain_step_portable<P: LaneLoad, const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        // SAFETY: portable lanes need no CPU feature.
        unsafe { self.plain_step::<Portable, P, C, L>(position, value) }
    }

    #[cfg(target_arch = "x86_64")]
    fn plain_step_avx512<P: LaneLoad, const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        // SAFETY: chosen by `plain_step_for` only where the CPU has AVX-512.
        unsafe { self.plain_step_with_avx512::<P, C, L>(position, value) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl")]
    unsafe fn plain_step_with_avx512<P: LaneLoad, const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        self.plain_step::<Avx512, P, C, L>(position, value)
    }

    #[cfg(target_arch = "x86_64")]
    fn plain_step_avx2<P: LaneLoad, const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        // SAFETY: chosen by `plain_step_for` only where the CPU has AVX2.
        unsafe { self.plain_step_with_avx2::<P, C, L>(position, value) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn plain_step_with_avx2<P: LaneLoad, const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        self.plain_step::<Avx2, P, C, L>(position, value)
    }

    /// Climbs from `(position, value)` until the step is at most [`STOP`] or
    /// `max_iter` iterations are done, as scikit-learn's climb does (docs/algorithm.md §13.2),
    /// each step taken by `step` (which returns false for a window that
    /// weighs nothing: the climb then stops where it is). Returns the
    /// completed iterations.
    fn climb(&mut self, position: &mut [f64; 3], value: &mut [f64], step: Step<'a>) -> u64 {
        let grid = self.pixels.grid;
        let mut iterations = 0;
        loop {
            let old_position = *position;
            self.previous.copy_from_slice(value);
            if !step(self, position, value) {
                return iterations;
            }
            let d2_s = grid.squared_distance(position, &old_position);
            let d2_r = range_distance(value, &self.previous);
            let shift = self.kernel.spatial_u(d2_s) + self.kernel.range_u(d2_r);
            if shift <= STOP || iterations == self.max_iter {
                return iterations;
            }
            iterations += 1;
        }
    }

    /// One step with exact weighted sums, any kernel and any values.
    fn exact_step(&mut self, position: &mut [f64; 3], value: &mut [f64]) -> bool {
        let Climber {
            pixels,
            in_f64,
            kernel,
            task,
            sums,
            column_terms,
            ..
        } = self;
        let (values, channels) = (*in_f64, pixels.channels);
        sums.iter_mut().for_each(ExactSum::clear);
        let (coordinates, weight) = sums.split_at_mut(3 + channels);
        let weight = &mut weight[0];
        let finished = for_each_window_row(
            pixels.grid,
            position,
            kernel.reach,
            column_terms,
            task,
            |row, terms| {
                for (k, &t2) in terms.iter().enumerate() {
                    let v = &values[(row.start + k) * channels..][..channels];
                    let Some(c) = kernel.term_weight(row.t01 + t2, range_distance(v, value)) else {
                        continue;
                    };
                    if c == 0.0 {
                        continue;
                    }
                    let grid_position = [row.i0 as f64, row.i1 as f64, (row.column + k) as f64];
                    for (sum, &z) in coordinates.iter_mut().zip(grid_position.iter().chain(v)) {
                        // Each product exactly, as its rounded value and error.
                        let (p, e) = two_product(c, z);
                        sum.add(p);
                        if e != 0.0 {
                            sum.add(e);
                        }
                    }
                    weight.add(c);
                }
            },
        );
        if !finished {
            return false;
        }
        let weight = weight.value();
        if weight == 0.0 {
            return false;
        }
        for (y, sum) in position.iter_mut().chain(value.iter_mut()).zip(coordinates) {
            *y = sum.value() / weight;
        }
        true
    }

    /// One step of the flat kernel over values cut into `L` limbs
    /// ([`Pixels::limb_sums_are_exact`]): the same means as
    /// [`Climber::exact_step`], `C` channels unrolled, in lanes
    /// ([`window_lanes`](super::window_lanes)).
    ///
    /// # Safety
    ///
    /// The CPU has `V`'s features.
    #[inline(always)]
    unsafe fn plain_step<V: Lanes, P: LaneLoad, const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        let Some(limbs) = self.limbs else {
            return self.exact_step(position, value);
        };
        let kernel = self.kernel;
        let grid = self.pixels.grid;
        let y: [f64; C] = std::array::from_fn(|j| value[j]);
        let window = grid.window(position, kernel.reach);
        let [s0, s1, _] = grid.strides();
        let spacing = grid.spacing();
        let (column, last) = window[2];
        self.columns
            .fill::<V>(column, last, position[2], spacing[2]);
        let scales = Scales {
            spatial: kernel.spatial_scale,
            range: kernel.range_scale,
        };
        // Whole planes, cut to each row below.
        let value_planes: [&[P]; C] = std::array::from_fn(|j| limbs.values_from(j, 0));
        let limb_planes: [[&[P]; L]; C] =
            std::array::from_fn(|j| std::array::from_fn(|k| limbs.limb_from(C, j, k, 0)));
        let padded = self.columns.padded();
        let mut sums = LaneSums::<V, C, L>::new();
        for i0 in window[0].0..=window[0].1 {
            let t0 = (i0 as f64 - position[0]) * spacing[0];
            for i1 in window[1].0..=window[1].1 {
                // A window can hold the whole image: looked at row by row.
                if self.task.is_cancelled() {
                    return false;
                }
                let t1 = (i1 as f64 - position[1]) * spacing[1];
                let t01 = t0 * t0 + t1 * t1;
                // No column of a row beyond the support is inside (rounding
                // is monotonic).
                if kernel.spatial_u(t01) > 1.0 {
                    continue;
                }
                let run = i0 * s0 + i1 * s1 + column..;
                let run = run.start..run.start + padded;
                let row = LaneRow {
                    i0: i0 as f64,
                    i1: i1 as f64,
                    t01,
                    values: value_planes.map(|plane| &plane[run.clone()]),
                    limbs: limb_planes.map(|planes| planes.map(|plane| &plane[run.clone()])),
                };
                sums.add_row(&row, &self.columns, &y, scales);
            }
        }
        let (count, axes, limb_sums) = sums.totals();
        if count == 0.0 {
            return false;
        }
        for d in 0..3 {
            position[d] = axes[d] / count;
        }
        let total = &mut self.sums[0];
        for j in 0..C {
            // One limb's sum is the exact sum itself.
            let sum = if L == 1 {
                limb_sums[j][0]
            } else {
                total.clear();
                limb_sums[j].iter().for_each(|&s| total.add(s));
                total.value()
            };
            value[j] = sum / count;
        }
        true
    }
}

/// Whether the CPU has the AVX-512 features [`Avx512`]
/// uses.
#[cfg(target_arch = "x86_64")]
fn cpu_has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// One row of a step's window along the last axis.
#[derive(Clone, Copy)]
struct WindowRow {
    /// Its indices along the first two axes.
    i0: usize,
    i1: usize,
    /// `((i0 - y0) s0)^2 + ((i1 - y1) s1)^2`, the squared spatial distance
    /// before the last axis's term, as `Grid::squared_distance` sums it.
    t01: f64,
    /// The window's first column, and the raster index of its pixel there.
    column: usize,
    start: usize,
}

/// Calls `row` with every row of the window of `position` (grid
/// coordinates) within `reach`, and the squared spatial terms of the
/// window's columns (`column_terms`, filled first); false, unfinished, once
/// `task` is cancelled (looked at row by row: a window can hold the whole
/// image).
#[inline(always)]
fn for_each_window_row(
    grid: &Grid,
    position: &[f64; 3],
    reach: f64,
    column_terms: &mut Vec<f64>,
    task: &Task,
    mut row: impl FnMut(WindowRow, &[f64]),
) -> bool {
    let window = grid.window(position, reach);
    let [s0, s1, _] = grid.strides();
    let spacing = grid.spacing();
    let (column, last) = window[2];
    column_terms.clear();
    column_terms.extend((column..=last).map(|p| {
        let t = (p as f64 - position[2]) * spacing[2];
        t * t
    }));
    for i0 in window[0].0..=window[0].1 {
        let t0 = (i0 as f64 - position[0]) * spacing[0];
        for i1 in window[1].0..=window[1].1 {
            if task.is_cancelled() {
                return false;
            }
            let t1 = (i1 as f64 - position[1]) * spacing[1];
            let t01 = t0 * t0 + t1 * t1;
            let start = i0 * s0 + i1 * s1 + column;
            row(
                WindowRow {
                    i0,
                    i1,
                    t01,
                    column,
                    start,
                },
                column_terms,
            );
        }
    }
    true
}

/// `sum_j (a_j - b_j)^2` in channel order (the range distance of docs/algorithm.md §13.2).
#[inline(always)]
fn range_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut d2 = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        d2 += t * t;
    }
    d2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::{never_stop, Workers};

    fn climb(
        shape: &[usize],
        values: &[f64],
        channels: usize,
        kernel: ProductKernel,
    ) -> JointModes {
        let grid = Grid::new(shape, &vec![1.0; shape.len()]).unwrap();
        let pixels = Pixels {
            grid: &grid,
            values: ImageValues::from(values),
            channels,
        };
        Workers::new(2)
            .unwrap()
            .run(0, &never_stop, |task| {
                climb_pixels(pixels, &kernel, 300, task)
            })
            .unwrap()
    }

    /// A noisy image of `channels` integer values per pixel.
    fn noisy(n: usize, channels: usize) -> Vec<f64> {
        (0..n * channels)
            .map(|i| ((i * 7919 % 23) as f64) + if i % 97 < 40 { 50.0 } else { 0.0 })
            .collect()
    }

    /// The plain step for `C` channels of `L` limbs in planes of `P` of
    /// every lane type this CPU runs.
    fn plain_steps<'a, P: LaneLoad, const C: usize, const L: usize>() -> Vec<Step<'a>> {
        let mut steps: Vec<Step<'a>> = vec![Climber::plain_step_portable::<P, C, L>];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                steps.push(Climber::plain_step_avx2::<P, C, L>);
            }
            if cpu_has_avx512() {
                steps.push(Climber::plain_step_avx512::<P, C, L>);
            }
        }
        steps
    }

    #[test]
    fn limb_sums_give_the_exact_sums_bits() {
        // Windows of two blocks (a row of 13 columns, spacing 0.5) and of
        // three (21 columns, spacing 0.25), cut at the image's edges.
        let grids = [
            (Grid::new(&[12, 11], &[1.0, 0.5]).unwrap(), 3.0),
            (Grid::new(&[4, 5, 23], &[1.0, 2.0, 0.25]).unwrap(), 2.5),
        ];
        for (grid, hs) in &grids {
            // Integers (one limb, float32 planes), float32 values of two limbs
            // (float32 planes), and float64 values of two or three (float64).
            let cases = [
                (1, 1.0, true),
                (3, 1.0, true),
                (1, 0.1, true),
                (3, 1.0 / 3.0, true),
                (1, 0.1, false),
                (3, 1.0 / 3.0, false),
            ];
            for (channels, scale, float32) in cases {
                let values: Vec<f64> = noisy(grid.len(), channels)
                    .iter()
                    .map(|x| {
                        if float32 {
                            (x * scale) as f32 as f64
                        } else {
                            x * scale
                        }
                    })
                    .collect();
                let pixels = Pixels {
                    grid,
                    values: ImageValues::from(&values[..]),
                    channels,
                };
                let flat = ProductKernel::new(Kernel::Flat, *hs, 12.0 * scale).unwrap();
                assert!(pixels.limb_sums_are_exact(&flat));
                let limbs = Limbs::cut(pixels.values, channels).unwrap().expect("cut");
                assert_eq!(limbs.in_float32(), float32);
                let task = Task::uncancelled();
                let mut climber = Climber::new(pixels, &values, Some(&limbs), &flat, 300, &task);
                let steps = match (channels, limbs.limbs(), float32) {
                    (1, 1, true) => plain_steps::<f32, 1, 1>(),
                    (1, 2, true) => plain_steps::<f32, 1, 2>(),
                    (3, 1, true) => plain_steps::<f32, 3, 1>(),
                    (3, 2, true) => plain_steps::<f32, 3, 2>(),
                    (1, 2, false) => plain_steps::<f64, 1, 2>(),
                    (1, 3, false) => plain_steps::<f64, 1, 3>(),
                    (3, 2, false) => plain_steps::<f64, 3, 2>(),
                    (3, 3, false) => plain_steps::<f64, 3, 3>(),
                    other => panic!("no case for {other:?}"),
                };
                for i in 0..grid.len() {
                    let start = (
                        grid.position(i),
                        values[i * channels..][..channels].to_vec(),
                    );
                    let (mut q, mut w) = start.clone();
                    let exact_iterations = climber.climb(&mut q, &mut w, Climber::exact_step);
                    for &plain in &steps {
                        let (mut p, mut v) = start.clone();
                        let plain_iterations = climber.climb(&mut p, &mut v, plain);
                        assert_eq!((&p, &v, plain_iterations), (&q, &w, exact_iterations));
                    }
                }
            }
        }
    }

    #[test]
    fn every_kernel_is_thread_count_free() {
        let values = noisy(9 * 8 * 3, 1);
        for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
            let product = ProductKernel::new(kernel, 1.5, 9.5).unwrap();
            let grid = Grid::new(&[9, 8, 3], &[1.0, 1.0, 2.0]).unwrap();
            let pixels = Pixels {
                grid: &grid,
                values: ImageValues::from(&values[..]),
                channels: 1,
            };
            let run = |threads| {
                Workers::new(threads)
                    .unwrap()
                    .run(0, &never_stop, |task| {
                        climb_pixels(pixels, &product, 300, task)
                    })
                    .unwrap()
            };
            assert_eq!(run(1), run(2), "{kernel:?}");
        }
    }

    #[test]
    fn a_flat_image_keeps_its_value() {
        let modes = climb(
            &[4, 4],
            &[7.0; 16],
            1,
            ProductKernel::new(Kernel::Gaussian, 1.0, 1.0).unwrap(),
        );
        assert_eq!(modes.values, [7.0; 16]);
    }
}
