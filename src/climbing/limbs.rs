//! Values cut into limbs whose plain float64 sums are exact
//! (docs/algorithm.md §13.2): the flat kernel's joint climbs add each
//! window's values limb by limb, in lanes that vectorise, and round the
//! exact total once, instead of growing an expansion per term.
//!
//! Every value of an image is a multiple of `2^q` (its lowest set bit, over
//! all values) below `2^t` in magnitude. Cut at `2^(t - 31)`, `2^(t - 62)`,
//! ..., each limb is a multiple of its unit below `2^31` units: sums of up
//! to `2^21` of them stay below `2^52` units, so they are exact.

use super::image_values::{with_slice, ImageValues, Real};
use crate::error::{try_filled, Result};

/// The most limbs a value is cut into; beyond, the climbs sum expansions.
pub const MOST_LIMBS: usize = 3;

/// The bits of a limb.
const LIMB_BITS: i32 = 31;

/// Lanes the plane buffer is padded with, so that a run read lane by lane
/// never leaves it.
pub const PADDING: usize = 8;

/// A type the planes are held in: float32 where every value is a float32
/// (and then so is every limb, whose bits are some of its value's), halving
/// the memory and the reads; float64 otherwise.
pub trait PlaneValue: Copy + Default + Send + Sync + 'static {
    /// `x`, exactly (the planes' type is chosen so that it is).
    fn from_f64(x: f64) -> Self;
    /// The planes, if they are of this type.
    fn planes(planes: &Planes) -> Option<&[Self]>;
}

impl PlaneValue for f32 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn planes(planes: &Planes) -> Option<&[Self]> {
        match planes {
            Planes::F32(p) => Some(p),
            Planes::F64(_) => None,
        }
    }
}

impl PlaneValue for f64 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    fn planes(planes: &Planes) -> Option<&[Self]> {
        match planes {
            Planes::F64(p) => Some(p),
            Planes::F32(_) => None,
        }
    }
}

/// The planes, in float32 or float64.
#[derive(Debug, Clone, PartialEq)]
pub enum Planes {
    /// Every value a float32.
    F32(Vec<f32>),
    /// Some value not.
    F64(Vec<f64>),
}

/// The values of `n` pixels, channel by channel (the first `channels`
/// planes), then each channel's limbs (`limbs` planes per channel), unless
/// one limb is enough: it is then the value itself, and has no plane.
///
/// ```
/// use fastmeanshift::climbing::image_values::ImageValues;
/// use fastmeanshift::climbing::limbs::Limbs;
///
/// let limbs = Limbs::cut(ImageValues::from(&[1.5, 3.0, 0.25, 8.0][..]), 2)?.expect("cut");
/// assert_eq!(limbs.limbs(), 1);
/// assert_eq!(limbs.plane::<f32>(0), [1.5, 0.25]); // channel 0, float32 exactly
/// assert_eq!(limbs.plane::<f32>(1), [3.0, 8.0]); // channel 1
/// assert_eq!(limbs.limb_from::<f32>(2, 1, 0, 1)[0], 8.0); // one limb: the value
/// // 1 + 2^-40 needs two limbs, and float64.
/// let fine = Limbs::cut(ImageValues::from(&[1.0 + 2f64.powi(-40), 1.0][..]), 1)?.expect("cut");
/// assert_eq!(fine.limbs(), 2);
/// assert_eq!(fine.plane::<f64>(1), [1.0, 1.0]);
/// assert_eq!(fine.plane::<f64>(2), [2f64.powi(-40), 0.0]);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Limbs {
    planes: Planes,
    n: usize,
    limbs: usize,
}

impl Limbs {
    /// `values` (`channels` per pixel, finite) cut into limbs, in float32
    /// planes where every value is a float32; `Ok(None)` where that needs
    /// more than [`MOST_LIMBS`] or units outside the normal range. An `Err`
    /// only for a failed allocation.
    pub fn cut(values: ImageValues<'_>, channels: usize) -> Result<Option<Limbs>> {
        let (Some(n), Some(limbs)) = (
            values.len().checked_div(channels),
            with_slice!(values, |s| limbs_needed(s)),
        ) else {
            return Ok(None);
        };
        let top = with_slice!(values, |s| exponent_above(s));
        let planes = if values.all_float32() {
            Planes::F32(with_slice!(values, |s| cut_into(s, channels, limbs, top)?))
        } else {
            Planes::F64(with_slice!(values, |s| cut_into(s, channels, limbs, top)?))
        };
        Ok(Some(Limbs { planes, n, limbs }))
    }

    /// Limbs per value.
    pub fn limbs(&self) -> usize {
        self.limbs
    }

    /// Whether the planes are float32.
    pub fn in_float32(&self) -> bool {
        matches!(self.planes, Planes::F32(_))
    }

    /// The planes as `P`: empty if they are not of that type.
    #[inline(always)]
    fn all<P: PlaneValue>(&self) -> &[P] {
        P::planes(&self.planes).unwrap_or_default()
    }

    /// Plane `k`: `n` values (a channel, or a limb of one).
    pub fn plane<P: PlaneValue>(&self, k: usize) -> &[P] {
        &self.all()[k * self.n..][..self.n]
    }

    /// Channel `j`'s values from pixel `i` on, readable [`PADDING`] values
    /// beyond the last plane.
    #[inline(always)]
    pub fn values_from<P: PlaneValue>(&self, j: usize, i: usize) -> &[P] {
        &self.all()[j * self.n + i..]
    }

    /// Limb `k` of channel `j` (of `channels`) from pixel `i` on, readable
    /// [`PADDING`] values beyond the last plane.
    #[inline(always)]
    pub fn limb_from<P: PlaneValue>(&self, channels: usize, j: usize, k: usize, i: usize) -> &[P] {
        match self.limbs {
            1 => self.values_from(j, i),
            _ => &self.all()[(channels + j * self.limbs + k) * self.n + i..],
        }
    }
}

/// The planes of `values` (`channels` per pixel, each cut into `limbs`
/// below `2^top`), as `P`.
fn cut_into<T: Real, P: PlaneValue>(
    values: &[T],
    channels: usize,
    limbs: usize,
    top: i32,
) -> Result<Vec<P>> {
    let n = values.len() / channels;
    let limb_planes = if limbs == 1 { 0 } else { limbs };
    let mut planes = try_filled(n * channels * (1 + limb_planes) + PADDING, P::default())?;
    for (i, pixel) in values.chunks_exact(channels).enumerate() {
        for (j, &x) in pixel.iter().enumerate() {
            let x = x.to_f64();
            planes[j * n + i] = P::from_f64(x);
            if limb_planes == 0 {
                continue;
            }
            let mut rest = x;
            for k in 0..limbs {
                let unit = power_of_two(top - LIMB_BITS * (k as i32 + 1));
                let limb = (rest / unit).trunc() * unit;
                rest -= limb;
                planes[(channels + j * limbs + k) * n + i] = P::from_f64(limb);
            }
        }
    }
    Ok(planes)
}

/// The least `t` with every `|x| < 2^t` (0 for all zeros).
fn exponent_above<T: Real>(values: &[T]) -> i32 {
    let largest = values.iter().fold(0.0f64, |m, x| m.max(x.to_f64().abs()));
    if largest == 0.0 {
        0
    } else {
        biased_exponent(largest) - 1022
    }
}

fn biased_exponent(x: f64) -> i32 {
    ((x.to_bits() >> 52) & 0x7ff) as i32
}

/// The exponent of `x`'s lowest set bit (`x` normal and non-zero).
fn lowest_bit(x: f64) -> i32 {
    let significand = (x.to_bits() & ((1 << 52) - 1)) | (1 << 52);
    biased_exponent(x) - 1075 + significand.trailing_zeros() as i32
}

/// How many limbs the values need, if at most [`MOST_LIMBS`] with units in
/// the normal range.
fn limbs_needed<T: Real>(values: &[T]) -> Option<usize> {
    let top = exponent_above(values);
    let mut lowest = top;
    for x in values.iter().map(|x| x.to_f64()) {
        if x != 0.0 {
            if biased_exponent(x) == 0 {
                return None; // subnormal
            }
            lowest = lowest.min(lowest_bit(x));
        }
    }
    let limbs = ((top - lowest + LIMB_BITS - 1) / LIMB_BITS).max(1) as usize;
    let smallest_unit = top - LIMB_BITS * limbs as i32;
    (limbs <= MOST_LIMBS && smallest_unit >= -1000 && top <= 1000).then_some(limbs)
}

/// `2^e`, for `e` in the normal range.
fn power_of_two(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value's limbs in `limbs`' planes of type `P`, added exactly.
    fn limb_totals<P: PlaneValue + Into<f64>>(limbs: &Limbs, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let mut sum = crate::exact::expansion::ExactSum::default();
                for k in 0..limbs.limbs() {
                    sum.add(limbs.limb_from::<P>(1, 0, k, i)[0].into());
                }
                sum.value()
            })
            .collect()
    }

    #[test]
    fn limbs_add_up_to_the_value() {
        let values: Vec<f64> = (0..300)
            .map(|i| ((i * 7919 % 1000) as f64 - 500.0) / 7.0 * if i % 3 == 0 { 1e-3 } else { 1.0 })
            .collect();
        // Float32 values: float32 limbs, two of them, whether held in
        // float32 or in float64.
        let narrow: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        let widened: Vec<f64> = narrow.iter().map(|&x| f64::from(x)).collect();
        for held in [
            ImageValues::from(&narrow[..]),
            ImageValues::from(&widened[..]),
        ] {
            let limbs = Limbs::cut(held, 1).unwrap().expect("float32 values fit");
            assert!(limbs.in_float32() && limbs.limbs() == 2);
            assert_eq!(limb_totals::<f32>(&limbs, values.len()), widened);
        }
        // Float64 values: float64 limbs.
        let limbs = Limbs::cut(ImageValues::from(&values[..]), 1)
            .unwrap()
            .expect("fit");
        assert!(!limbs.in_float32() && limbs.limbs() == 3);
        assert_eq!(limb_totals::<f64>(&limbs, values.len()), values);
    }

    #[test]
    fn values_too_fine_or_subnormal_are_not_cut() {
        assert_eq!(limbs_needed(&[1.0, 1e-40]), None);
        assert_eq!(limbs_needed(&[1.0, 5e-324]), None);
        assert_eq!(limbs_needed(&[0.0, 0.0]), Some(1));
        assert_eq!(limbs_needed(&[255u8, 3]), Some(1));
    }
}
