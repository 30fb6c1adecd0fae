//! Values cut into limbs whose plain float64 sums are exact
//! (docs/algorithm.md §13.2): the flat kernel's joint climbs add each
//! window's values limb by limb, in lanes that vectorise, and round the
//! exact total once, instead of growing an expansion per term.
//!
//! Every value of an image is a multiple of `2^q` (its lowest set bit, over
//! all values) below `2^t` in magnitude. Cut at `2^(t - 31)`, `2^(t - 62)`,
//! ..., each limb is a multiple of its unit below `2^31` units: sums of up
//! to `2^21` of them stay below `2^52` units, so they are exact.

use crate::error::{try_filled, Result};

/// The most limbs a value is cut into; beyond, the climbs sum expansions.
pub const MOST_LIMBS: usize = 3;

/// The bits of a limb.
const LIMB_BITS: i32 = 31;

/// Lanes the plane buffer is padded with, so that a run read lane by lane
/// never leaves it.
pub const PADDING: usize = 8;

/// The values of `n` pixels, channel by channel (the first `channels`
/// planes), then each channel's limbs (`limbs` planes per channel), unless
/// one limb is enough: it is then the value itself, and has no plane.
///
/// ```
/// use fastmeanshift::climbing::limbs::Limbs;
///
/// let limbs = Limbs::cut(&[1.5, 3.0, 0.25, 8.0], 2)?.expect("cut");
/// assert_eq!(limbs.limbs(), 1);
/// assert_eq!(limbs.plane(0), [1.5, 0.25]); // channel 0
/// assert_eq!(limbs.plane(1), [3.0, 8.0]); // channel 1
/// assert_eq!(limbs.limb_from(2, 1, 0, 1)[0], 8.0); // one limb: the value
/// // 1 + 2^-40 needs two limbs.
/// let fine = Limbs::cut(&[1.0 + 2f64.powi(-40), 1.0], 1)?.expect("cut");
/// assert_eq!(fine.limbs(), 2);
/// assert_eq!(fine.plane(1), [1.0, 1.0]);
/// assert_eq!(fine.plane(2), [2f64.powi(-40), 0.0]);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Limbs {
    planes: Vec<f64>,
    n: usize,
    limbs: usize,
}

impl Limbs {
    /// `values` (`channels` per pixel, finite) cut into limbs; `Ok(None)`
    /// where that needs more than [`MOST_LIMBS`] or units outside the
    /// normal range. An `Err` only for a failed allocation.
    pub fn cut(values: &[f64], channels: usize) -> Result<Option<Limbs>> {
        let (Some(n), Some(limbs)) = (values.len().checked_div(channels), limbs_needed(values))
        else {
            return Ok(None);
        };
        let top = exponent_above(values);
        let limb_planes = if limbs == 1 { 0 } else { limbs };
        let mut planes = try_filled(n * channels * (1 + limb_planes) + PADDING, 0.0)?;
        for (i, pixel) in values.chunks_exact(channels).enumerate() {
            for (j, &x) in pixel.iter().enumerate() {
                planes[j * n + i] = x;
                if limb_planes == 0 {
                    continue;
                }
                let mut rest = x;
                for k in 0..limbs {
                    let unit = power_of_two(top - LIMB_BITS * (k as i32 + 1));
                    let limb = (rest / unit).trunc() * unit;
                    rest -= limb;
                    planes[(channels + j * limbs + k) * n + i] = limb;
                }
            }
        }
        Ok(Some(Limbs { planes, n, limbs }))
    }

    /// Limbs per value.
    pub fn limbs(&self) -> usize {
        self.limbs
    }

    /// Plane `k`: `n` values (a channel, or a limb of one).
    pub fn plane(&self, k: usize) -> &[f64] {
        &self.planes[k * self.n..][..self.n]
    }

    /// Channel `j`'s values from pixel `i` on, readable [`PADDING`] values
    /// beyond the last plane.
    #[inline(always)]
    pub fn values_from(&self, j: usize, i: usize) -> &[f64] {
        &self.planes[j * self.n + i..]
    }

    /// Limb `k` of channel `j` (of `channels`) from pixel `i` on, readable
    /// [`PADDING`] values beyond the last plane.
    #[inline(always)]
    pub fn limb_from(&self, channels: usize, j: usize, k: usize, i: usize) -> &[f64] {
        match self.limbs {
            1 => self.values_from(j, i),
            _ => &self.planes[(channels + j * self.limbs + k) * self.n + i..],
        }
    }
}

/// The least `t` with every `|x| < 2^t` (0 for all zeros).
fn exponent_above(values: &[f64]) -> i32 {
    let largest = values.iter().fold(0.0f64, |m, x| m.max(x.abs()));
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
fn limbs_needed(values: &[f64]) -> Option<usize> {
    let top = exponent_above(values);
    let mut lowest = top;
    for &x in values {
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

    #[test]
    fn limbs_add_up_to_the_value() {
        let values: Vec<f64> = (0..300)
            .map(|i| ((i * 7919 % 1000) as f64 - 500.0) / 7.0 * if i % 3 == 0 { 1e-3 } else { 1.0 })
            .map(|x| x as f32 as f64)
            .collect();
        let limbs = Limbs::cut(&values, 1).unwrap().expect("float32 values fit");
        for (i, &x) in values.iter().enumerate() {
            let parts: Vec<f64> = (0..limbs.limbs())
                .map(|k| limbs.limb_from(1, 0, k, i)[0])
                .collect();
            let mut sum = crate::exact::expansion::ExactSum::default();
            parts.iter().for_each(|&p| sum.add(p));
            assert_eq!(sum.value(), x);
        }
    }

    #[test]
    fn values_too_fine_or_subnormal_are_not_cut() {
        assert_eq!(limbs_needed(&[1.0, 1e-40]), None);
        assert_eq!(limbs_needed(&[1.0, 5e-324]), None);
        assert_eq!(limbs_needed(&[0.0, 0.0]), Some(1));
        assert_eq!(limbs_needed(&[255.0, 3.0]), Some(1));
    }
}
