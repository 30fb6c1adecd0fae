//! The flat kernel's joint step in lanes (docs/algorithm.md §13.2): a
//! window is read row by row in blocks of [`LANES`] pixels, each lane
//! keeping its own sums of the pixels inside both supports, added up once
//! per step. Every sum is of multiples of one unit below `2^52` units
//! (grid indices, and values cut into [`Limbs`](super::limbs::Limbs)), so it
//! is exact in any order: the lanes give the bits the exact sums give.
//!
//! The lanes are a vector type per CPU ([`Lanes`]): the distances are
//! computed as the scalar code computes them (a multiplication, then an
//! addition: never fused), so every inside-or-not decision is the same.

/// Pixels in one block of a row.
pub const LANES: usize = 8;
const _: () = assert!(LANES == 8 && LANES <= super::limbs::PADDING + 1);

use super::limbs::PlaneValue;

/// Eight float64 lanes and the operations a step needs.
///
/// # Safety
///
/// The methods may use instructions of the implementing type's CPU
/// features: only call them where the CPU has those.
pub unsafe trait Lanes: Copy {
    /// Every lane `x`.
    unsafe fn splat(x: f64) -> Self;
    /// The first [`LANES`] values of `from` (at least that long).
    unsafe fn load(from: &[f64]) -> Self;
    /// The first [`LANES`] values of `from`, widened (exactly).
    unsafe fn load_f32(from: &[f32]) -> Self;
    unsafe fn add(self, other: Self) -> Self;
    unsafe fn sub(self, other: Self) -> Self;
    unsafe fn mul(self, other: Self) -> Self;
    /// Which lanes to add.
    type Mask: Copy;
    /// The lanes where both `x <= 1` and `y <= 1` (not NaN).
    unsafe fn both_at_most_one(x: Self, y: Self) -> Self::Mask;
    /// `self + x` in the lanes of `mask`, `self` in the others.
    unsafe fn add_where(self, mask: Self::Mask, x: Self) -> Self;
    /// The lanes added up, in any order (every sum here is exact).
    unsafe fn total(self) -> f64;
    /// The lanes into the first [`LANES`] values of `to`.
    unsafe fn store(self, to: &mut [f64]);
}

/// A type planes are held in, loaded into lanes.
pub trait LaneLoad: PlaneValue {
    /// The first [`LANES`] values of `from`, in float64.
    ///
    /// # Safety
    ///
    /// The CPU has `V`'s features.
    unsafe fn load<V: Lanes>(from: &[Self]) -> V;
}

impl LaneLoad for f64 {
    #[inline(always)]
    unsafe fn load<V: Lanes>(from: &[Self]) -> V {
        V::load(from)
    }
}

impl LaneLoad for f32 {
    #[inline(always)]
    unsafe fn load<V: Lanes>(from: &[Self]) -> V {
        V::load_f32(from)
    }
}

/// Lanes in plain Rust, for any CPU.
#[derive(Clone, Copy)]
pub struct Portable([f64; LANES]);

unsafe impl Lanes for Portable {
    #[inline(always)]
    unsafe fn splat(x: f64) -> Self {
        Portable([x; LANES])
    }
    #[inline(always)]
    unsafe fn load(from: &[f64]) -> Self {
        Portable(std::array::from_fn(|l| from[l]))
    }
    #[inline(always)]
    unsafe fn load_f32(from: &[f32]) -> Self {
        Portable(std::array::from_fn(|l| f64::from(from[l])))
    }
    #[inline(always)]
    unsafe fn add(self, other: Self) -> Self {
        Portable(std::array::from_fn(|l| self.0[l] + other.0[l]))
    }
    #[inline(always)]
    unsafe fn sub(self, other: Self) -> Self {
        Portable(std::array::from_fn(|l| self.0[l] - other.0[l]))
    }
    #[inline(always)]
    unsafe fn mul(self, other: Self) -> Self {
        Portable(std::array::from_fn(|l| self.0[l] * other.0[l]))
    }
    type Mask = [bool; LANES];
    #[inline(always)]
    unsafe fn both_at_most_one(x: Self, y: Self) -> Self::Mask {
        std::array::from_fn(|l| (x.0[l] <= 1.0) & (y.0[l] <= 1.0))
    }
    #[inline(always)]
    unsafe fn add_where(self, mask: Self::Mask, x: Self) -> Self {
        // Adding 0 leaves a lane as it was (no sum here is -0), and
        // vectorises.
        Portable(std::array::from_fn(|l| {
            self.0[l] + if mask[l] { x.0[l] } else { 0.0 }
        }))
    }
    #[inline(always)]
    unsafe fn total(self) -> f64 {
        self.0.iter().sum()
    }
    #[inline(always)]
    unsafe fn store(self, to: &mut [f64]) {
        to[..LANES].copy_from_slice(&self.0);
    }
}

#[cfg(target_arch = "x86_64")]
pub use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Lanes, LANES};
    use std::arch::x86_64::*;

    /// Two AVX2 registers.
    #[derive(Clone, Copy)]
    pub struct Avx2([__m256d; 2]);

    unsafe impl Lanes for Avx2 {
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            Avx2([_mm256_set1_pd(x); 2])
        }
        #[inline(always)]
        unsafe fn load(from: &[f64]) -> Self {
            let from = &from[..LANES];
            Avx2([
                _mm256_loadu_pd(from.as_ptr()),
                _mm256_loadu_pd(from.as_ptr().add(4)),
            ])
        }
        #[inline(always)]
        unsafe fn load_f32(from: &[f32]) -> Self {
            let from = &from[..LANES];
            Avx2([
                _mm256_cvtps_pd(_mm_loadu_ps(from.as_ptr())),
                _mm256_cvtps_pd(_mm_loadu_ps(from.as_ptr().add(4))),
            ])
        }
        #[inline(always)]
        unsafe fn add(self, other: Self) -> Self {
            Avx2([
                _mm256_add_pd(self.0[0], other.0[0]),
                _mm256_add_pd(self.0[1], other.0[1]),
            ])
        }
        #[inline(always)]
        unsafe fn sub(self, other: Self) -> Self {
            Avx2([
                _mm256_sub_pd(self.0[0], other.0[0]),
                _mm256_sub_pd(self.0[1], other.0[1]),
            ])
        }
        #[inline(always)]
        unsafe fn mul(self, other: Self) -> Self {
            Avx2([
                _mm256_mul_pd(self.0[0], other.0[0]),
                _mm256_mul_pd(self.0[1], other.0[1]),
            ])
        }
        /// All bits set in the lanes to add.
        type Mask = [__m256d; 2];
        #[inline(always)]
        unsafe fn both_at_most_one(x: Self, y: Self) -> Self::Mask {
            let one = _mm256_set1_pd(1.0);
            let half = |a: __m256d, b: __m256d| {
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_LE_OQ>(a, one),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(b, one),
                )
            };
            [half(x.0[0], y.0[0]), half(x.0[1], y.0[1])]
        }
        #[inline(always)]
        unsafe fn add_where(self, mask: Self::Mask, x: Self) -> Self {
            Avx2([
                _mm256_add_pd(self.0[0], _mm256_and_pd(mask[0], x.0[0])),
                _mm256_add_pd(self.0[1], _mm256_and_pd(mask[1], x.0[1])),
            ])
        }
        #[inline(always)]
        unsafe fn total(self) -> f64 {
            let four = _mm256_add_pd(self.0[0], self.0[1]);
            let two = _mm_add_pd(
                _mm256_castpd256_pd128(four),
                _mm256_extractf128_pd::<1>(four),
            );
            _mm_cvtsd_f64(_mm_add_sd(two, _mm_unpackhi_pd(two, two)))
        }
        #[inline(always)]
        unsafe fn store(self, to: &mut [f64]) {
            let to = &mut to[..LANES];
            _mm256_storeu_pd(to.as_mut_ptr(), self.0[0]);
            _mm256_storeu_pd(to.as_mut_ptr().add(4), self.0[1]);
        }
    }

    /// One AVX-512 register.
    #[derive(Clone, Copy)]
    pub struct Avx512(__m512d);

    unsafe impl Lanes for Avx512 {
        #[inline(always)]
        unsafe fn splat(x: f64) -> Self {
            Avx512(_mm512_set1_pd(x))
        }
        #[inline(always)]
        unsafe fn load(from: &[f64]) -> Self {
            Avx512(_mm512_loadu_pd(from[..LANES].as_ptr()))
        }
        #[inline(always)]
        unsafe fn load_f32(from: &[f32]) -> Self {
            Avx512(_mm512_cvtps_pd(_mm256_loadu_ps(from[..LANES].as_ptr())))
        }
        #[inline(always)]
        unsafe fn add(self, other: Self) -> Self {
            Avx512(_mm512_add_pd(self.0, other.0))
        }
        #[inline(always)]
        unsafe fn sub(self, other: Self) -> Self {
            Avx512(_mm512_sub_pd(self.0, other.0))
        }
        #[inline(always)]
        unsafe fn mul(self, other: Self) -> Self {
            Avx512(_mm512_mul_pd(self.0, other.0))
        }
        type Mask = __mmask8;
        #[inline(always)]
        unsafe fn both_at_most_one(x: Self, y: Self) -> Self::Mask {
            let one = _mm512_set1_pd(1.0);
            _mm512_cmp_pd_mask::<_CMP_LE_OQ>(x.0, one) & _mm512_cmp_pd_mask::<_CMP_LE_OQ>(y.0, one)
        }
        #[inline(always)]
        unsafe fn add_where(self, mask: Self::Mask, x: Self) -> Self {
            Avx512(_mm512_mask_add_pd(self.0, mask, self.0, x.0))
        }
        #[inline(always)]
        unsafe fn total(self) -> f64 {
            _mm512_reduce_add_pd(self.0)
        }
        #[inline(always)]
        unsafe fn store(self, to: &mut [f64]) {
            _mm512_storeu_pd(to[..LANES].as_mut_ptr(), self.0);
        }
    }
}

/// The window's columns, lane by lane: each column's index and its squared
/// spatial term `((column - y) spacing)^2`, padded to whole blocks with
/// columns whose term is infinite (outside every support).
#[derive(Debug, Default)]
pub struct WindowColumns {
    numbers: Vec<f64>,
    terms: Vec<f64>,
}

impl WindowColumns {
    /// The columns `first..=last` of a window around `y` (grid
    /// coordinate), `spacing` apart, in lanes: each term as the scalar
    /// `((p - y) * spacing)^2` gives it. Inlined, so that it is compiled for
    /// the step's CPU features.
    ///
    /// # Safety
    ///
    /// The CPU has `V`'s features.
    #[inline(always)]
    pub unsafe fn fill<V: Lanes>(&mut self, first: usize, last: usize, y: f64, spacing: f64) {
        let len = last - first + 1;
        let padded = len.div_ceil(LANES) * LANES;
        self.numbers.resize(padded, 0.0);
        self.terms.resize(padded, 0.0);
        let lane = V::load(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let (y, spacing) = (V::splat(y), V::splat(spacing));
        for at in (0..padded).step_by(LANES) {
            // Column numbers, exact: integers below 2^53.
            let numbers = V::splat((first + at) as f64).add(lane);
            let t = numbers.sub(y).mul(spacing);
            numbers.store(&mut self.numbers[at..]);
            t.mul(t).store(&mut self.terms[at..]);
        }
        self.terms[len..].fill(f64::INFINITY);
    }

    /// Blocks of [`LANES`] columns.
    fn blocks(&self) -> usize {
        self.numbers.len() / LANES
    }

    /// The columns, whole blocks of them.
    pub fn padded(&self) -> usize {
        self.numbers.len()
    }
}

/// One row of a window: its indices along the first two axes, the squared
/// spatial distance along them (`t01`), and each channel's values and
/// limbs from the row's first column on, to whole blocks
/// ([`WindowColumns::padded`]).
pub struct LaneRow<'a, P, const C: usize, const L: usize> {
    pub i0: f64,
    pub i1: f64,
    pub t01: f64,
    pub values: [&'a [P]; C],
    pub limbs: [[&'a [P]; L]; C],
}

/// The scales of the supports: a pixel is inside where
/// `d2_s * spatial <= 1` and `d2_r * range <= 1`.
#[derive(Clone, Copy)]
pub struct Scales {
    pub spatial: f64,
    pub range: f64,
}

/// What a step's sums come to: the pixels inside both supports, the sums
/// of their three grid coordinates, and of each channel's limbs.
pub type Totals<const C: usize, const L: usize> = (f64, [f64; 3], [[f64; L]; C]);

/// The per-lane sums of a step over `C` channels cut into `L` limbs each:
/// the pixels inside both supports, their grid coordinates, their limbs.
pub struct LaneSums<V, const C: usize, const L: usize> {
    count: V,
    axes: [V; 3],
    limbs: [[V; L]; C],
}

impl<V: Lanes, const C: usize, const L: usize> LaneSums<V, C, L> {
    /// All 0.
    ///
    /// # Safety
    ///
    /// The CPU has `V`'s features.
    #[inline(always)]
    pub unsafe fn new() -> Self {
        let zero = V::splat(0.0);
        LaneSums {
            count: zero,
            axes: [zero; 3],
            limbs: [[zero; L]; C],
        }
    }

    /// Adds the pixels of `row` inside both supports around the values `y`.
    ///
    /// # Safety
    ///
    /// The CPU has `V`'s features.
    #[inline(always)]
    pub unsafe fn add_row<P: LaneLoad>(
        &mut self,
        row: &LaneRow<'_, P, C, L>,
        columns: &WindowColumns,
        y: &[f64; C],
        scales: Scales,
    ) {
        let blocks = columns.blocks();
        let padded = blocks * LANES;
        // Cut to whole blocks, so that no index below needs a check.
        let values: [&[P]; C] = std::array::from_fn(|j| &row.values[j][..padded]);
        let limbs: [[&[P]; L]; C] =
            std::array::from_fn(|j| std::array::from_fn(|k| &row.limbs[j][k][..padded]));
        let (numbers, terms) = (&columns.numbers[..padded], &columns.terms[..padded]);
        let y = y.map(|y| V::splat(y));
        let (i0, i1, t01) = (V::splat(row.i0), V::splat(row.i1), V::splat(row.t01));
        let (spatial, range) = (V::splat(scales.spatial), V::splat(scales.range));
        let one = V::splat(1.0);
        for at in (0..padded).step_by(LANES) {
            let loaded: [V; C] = std::array::from_fn(|j| P::load::<V>(&values[j][at..]));
            let mut d2_r = V::splat(0.0);
            for (x, y) in loaded.iter().zip(&y) {
                let t = x.sub(*y);
                d2_r = d2_r.add(t.mul(t));
            }
            let d2_s = t01.add(V::load(&terms[at..]));
            let inside = V::both_at_most_one(d2_s.mul(spatial), d2_r.mul(range));
            self.count = self.count.add_where(inside, one);
            self.axes[0] = self.axes[0].add_where(inside, i0);
            self.axes[1] = self.axes[1].add_where(inside, i1);
            self.axes[2] = self.axes[2].add_where(inside, V::load(&numbers[at..]));
            for ((sums, limbs), x) in self.limbs.iter_mut().zip(&limbs).zip(&loaded) {
                for (sum, limb) in sums.iter_mut().zip(limbs) {
                    // One limb is the value itself, loaded already.
                    let limb = if L == 1 {
                        *x
                    } else {
                        P::load::<V>(&limb[at..])
                    };
                    *sum = sum.add_where(inside, limb);
                }
            }
        }
    }

    /// The lanes added up.
    ///
    /// # Safety
    ///
    /// The CPU has `V`'s features.
    #[inline(always)]
    pub unsafe fn totals(&self) -> Totals<C, L> {
        let total = |lanes: &V| lanes.total();
        (
            total(&self.count),
            self.axes.each_ref().map(total),
            self.limbs
                .each_ref()
                .map(|limbs| limbs.each_ref().map(total)),
        )
    }
}
