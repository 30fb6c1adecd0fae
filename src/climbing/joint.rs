//! Joint spatial-range climbs (docs/algorithm.md §13.2): every pixel of an
//! image climbs in position and value at once, weighing the pixels of its
//! window with the product of a spatial and a range kernel, parallel over
//! pixels. Each climb's sums are exact, rounded once ([`ExactSum`]), so
//! neither the order a window is read in nor the number of threads changes
//! a bit.

use rayon::prelude::*;

use super::limbs::Limbs;
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

/// An image's values on its grid: `channels` float64 values per pixel, in
/// raster order.
#[derive(Debug, Clone, Copy)]
pub struct Pixels<'a> {
    /// The spatial grid.
    pub grid: &'a Grid,
    /// `grid.len() * channels` values.
    pub values: &'a [f64],
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
/// use fastmeanshift::climbing::joint::{climb_pixels, Pixels, ProductKernel};
/// use fastmeanshift::parallel::never_stop;
/// use fastmeanshift::search::grid::Grid;
/// use fastmeanshift::{Kernel, Workers};
///
/// // A row of five grey pixels: two dark, three bright.
/// let grid = Grid::new(&[1, 5], &[1.0, 1.0])?;
/// let values = [0.0, 1.0, 10.0, 10.0, 11.0];
/// let pixels = Pixels { grid: &grid, values: &values, channels: 1 };
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
    // Where limb sums are exact, the values are also laid out channel by
    // channel, so that a row of a window is read in runs, lane by lane.
    let limbs = match pixels.limb_sums_are_exact(kernel) && matches!(c, 1 | 3) {
        true => Limbs::cut(pixels.values, c)?,
        false => None,
    };
    let step = Climber::step_for(c, limbs.as_ref().map(Limbs::limbs));
    let n_iter = positions
        .par_chunks_mut(PIXELS_PER_PART)
        .zip(values.par_chunks_mut(PIXELS_PER_PART * c))
        .enumerate()
        .map(|(part, (positions, values))| {
            let mut climber = Climber::new(pixels, limbs.as_ref(), kernel, max_iter, task);
            let mut most = 0;
            let first = part * PIXELS_PER_PART;
            for (k, (position, value)) in positions.iter_mut().zip(values.chunks_mut(c)).enumerate()
            {
                task.check()?;
                let i = first + k;
                *position = pixels.grid.position(i);
                value.copy_from_slice(&pixels.values[i * c..][..c]);
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
}

impl<'a> Climber<'a> {
    fn new(
        pixels: Pixels<'a>,
        limbs: Option<&'a Limbs>,
        kernel: &'a ProductKernel,
        max_iter: u64,
        task: &'a Task,
    ) -> Self {
        Climber {
            pixels,
            limbs,
            kernel,
            max_iter,
            task,
            sums: vec![ExactSum::default(); 4 + pixels.channels],
            column_terms: Vec::new(),
        }
    }

    /// The step for `channels` values per pixel: with values cut into
    /// `limbs`, [`Climber::plain_step`], compiled for AVX2 where the CPU has
    /// it (the same bits: the sums are exact); else [`Climber::exact_step`].
    fn step_for(channels: usize, limbs: Option<usize>) -> Step<'a> {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        macro_rules! plain {
            ($c:literal, $l:literal) => {{
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    return Climber::plain_step_avx2::<$c, $l>;
                }
                Climber::plain_step::<$c, $l>
            }};
        }
        let _ = avx2;
        match (channels, limbs) {
            (1, Some(1)) => plain!(1, 1),
            (1, Some(2)) => plain!(1, 2),
            (1, Some(3)) => plain!(1, 3),
            (3, Some(1)) => plain!(3, 1),
            (3, Some(2)) => plain!(3, 2),
            (3, Some(3)) => plain!(3, 3),
            _ => Climber::exact_step,
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn plain_step_avx2<const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        // SAFETY: chosen by `step_for` only where the CPU has AVX2.
        unsafe { self.plain_step_with_avx2::<C, L>(position, value) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn plain_step_with_avx2<const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        self.plain_step::<C, L>(position, value)
    }

    /// Climbs from `(position, value)` until the step is at most [`STOP`] or
    /// `max_iter` iterations are done, as scikit-learn's climb does (docs/algorithm.md §13.2),
    /// each step taken by `step` (which returns false for a window that
    /// weighs nothing: the climb then stops where it is). Returns the
    /// completed iterations.
    fn climb(&mut self, position: &mut [f64; 3], value: &mut [f64], step: Step<'a>) -> u64 {
        let grid = self.pixels.grid;
        let mut old_value = value.to_vec();
        let mut iterations = 0;
        loop {
            let old_position = *position;
            old_value.copy_from_slice(value);
            if !step(self, position, value) {
                return iterations;
            }
            let d2_s = grid.squared_distance(position, &old_position);
            let d2_r = range_distance(value, &old_value);
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
            kernel,
            task,
            sums,
            column_terms,
            ..
        } = self;
        let (values, channels) = (pixels.values, pixels.channels);
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
    /// [`Climber::exact_step`], `C` channels unrolled.
    #[inline(always)]
    fn plain_step<const C: usize, const L: usize>(
        &mut self,
        position: &mut [f64; 3],
        value: &mut [f64],
    ) -> bool {
        let Some(limbs) = self.limbs else {
            return self.exact_step(position, value);
        };
        let kernel = self.kernel;
        let y: [f64; C] = std::array::from_fn(|j| value[j]);
        let (mut count, mut sum_s, mut sum_r) = (0.0, [0.0; 3], [[0.0; L]; C]);
        let finished = for_each_window_row(
            self.pixels.grid,
            position,
            kernel.reach,
            &mut self.column_terms,
            self.task,
            // Inlined, so that it is compiled for the step's CPU features.
            #[inline(always)]
            |row, terms| {
                // The columns within the spatial support: an interval, as
                // rounding is monotonic; found from its ends inward.
                let within = |k: usize| kernel.spatial_u(row.t01 + terms[k]) <= 1.0;
                let Some(first) = (0..terms.len()).find(|&k| within(k)) else {
                    return;
                };
                let last = (first..terms.len())
                    .rev()
                    .find(|&k| within(k))
                    .unwrap_or(first);
                let start = row.start + first;
                let run = Run::<C, L> {
                    values: std::array::from_fn(|j| limbs.values_from(j, start)),
                    limbs: std::array::from_fn(|j| {
                        std::array::from_fn(|k| limbs.limb_from(C, j, k, start))
                    }),
                    len: last - first + 1,
                };
                let (row_count, row_sum_k, row_sums) = run.within(&y, kernel.range_scale);
                // Multiples of their units below 2^52 units: exact.
                count += row_count;
                sum_s[0] += row.i0 as f64 * row_count;
                sum_s[1] += row.i1 as f64 * row_count;
                sum_s[2] += (row.column + first) as f64 * row_count + row_sum_k;
                for j in 0..C {
                    for k in 0..L {
                        sum_r[j][k] += row_sums[j][k];
                    }
                }
            },
        );
        if !finished {
            return false;
        }
        if count == 0.0 {
            return false;
        }
        for d in 0..3 {
            position[d] = sum_s[d] / count;
        }
        let total = &mut self.sums[0];
        for j in 0..C {
            total.clear();
            sum_r[j].iter().for_each(|&s| total.add(s));
            value[j] = total.value() / count;
        }
        true
    }
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

/// A run of `len` pixels of a window's row: `C` channels of values and of
/// `L` limbs each, every slice readable up to `len` rounded up to a
/// multiple of [`LANES`].
struct Run<'a, const C: usize, const L: usize> {
    values: [&'a [f64]; C],
    limbs: [[&'a [f64]; L]; C],
    len: usize,
}

impl<const C: usize, const L: usize> Run<'_, C, L> {
    /// The pixels within the range support of `y`: how many, the sum of
    /// their offsets in the run, and the sums of their limbs. Branch-free,
    /// in lanes that vectorise; each sum is of multiples of one unit below
    /// `2^52` units, so exact in any order.
    #[inline(always)]
    fn within(&self, y: &[f64; C], range_scale: f64) -> (f64, f64, [[f64; L]; C]) {
        let blocks = self.len.div_ceil(LANES);
        let padded = blocks * LANES;
        // Cut to whole blocks, so that no index below needs a check.
        let values: [&[f64]; C] = std::array::from_fn(|j| &self.values[j][..padded]);
        let limbs: [[&[f64]; L]; C] =
            std::array::from_fn(|j| std::array::from_fn(|k| &self.limbs[j][k][..padded]));
        let (mut count, mut sum_k) = ([0.0; LANES], [0.0; LANES]);
        let mut sums = [[[0.0; LANES]; L]; C];
        let mut offsets: [f64; LANES] = std::array::from_fn(|l| l as f64);
        let end = self.len as f64;
        for b in 0..blocks {
            let at = b * LANES;
            let mut d2 = [0.0; LANES];
            for (j, values) in values.iter().enumerate() {
                let block = &values[at..at + LANES];
                for l in 0..LANES {
                    let t = block[l] - y[j];
                    d2[l] += t * t;
                }
            }
            let mut m = [0.0; LANES];
            for l in 0..LANES {
                let inside = (d2[l] * range_scale <= 1.0) & (offsets[l] < end);
                m[l] = if inside { 1.0 } else { 0.0 };
                count[l] += m[l];
                sum_k[l] += m[l] * offsets[l];
                offsets[l] += LANES as f64;
            }
            for (sums, limbs) in sums.iter_mut().zip(&limbs) {
                for (sum, limb) in sums.iter_mut().zip(limbs) {
                    let block = &limb[at..at + LANES];
                    for l in 0..LANES {
                        sum[l] += m[l] * block[l];
                    }
                }
            }
        }
        let total = |lanes: [f64; LANES]| lanes.iter().sum::<f64>();
        (
            total(count),
            total(sum_k),
            sums.map(|limbs| limbs.map(total)),
        )
    }
}

/// Lanes of [`Run::within`]; the limb planes are padded for them.
const LANES: usize = 4;
const _: () = assert!(LANES <= super::limbs::PADDING);

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
            values,
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

    #[test]
    fn limb_sums_give_the_exact_sums_bits() {
        for (channels, scale) in [(1, 1.0), (3, 1.0), (1, 0.1), (3, 1.0 / 3.0)] {
            // Integers (one limb), and float32 values of two limbs.
            let values: Vec<f64> = noisy(12 * 11, channels)
                .iter()
                .map(|x| (x * scale) as f32 as f64)
                .collect();
            let grid = Grid::new(&[12, 11], &[1.0, 0.5]).unwrap();
            let pixels = Pixels {
                grid: &grid,
                values: &values,
                channels,
            };
            let flat = ProductKernel::new(Kernel::Flat, 3.0, 12.0 * scale).unwrap();
            assert!(pixels.limb_sums_are_exact(&flat));
            let limbs = Limbs::cut(&values, channels).unwrap().expect("cut");
            let task = Task::uncancelled();
            let mut climber = Climber::new(pixels, Some(&limbs), &flat, 300, &task);
            let plain = Climber::step_for(channels, Some(limbs.limbs()));
            for i in 0..grid.len() {
                let start = (
                    grid.position(i),
                    values[i * channels..][..channels].to_vec(),
                );
                let (mut p, mut v) = start.clone();
                let plain_iterations = climber.climb(&mut p, &mut v, plain);
                let (mut q, mut w) = start;
                let exact_iterations = climber.climb(&mut q, &mut w, Climber::exact_step);
                assert_eq!((p, v, plain_iterations), (q, w, exact_iterations));
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
                values: &values,
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
