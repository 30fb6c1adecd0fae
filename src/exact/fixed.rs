//! Exact sums held as integers: when every term is a multiple of one power
//! of two, `2^unit`, and no sum of them can outgrow 127 bits in units, a
//! sum is one `i128` of units, added with no rounding and no heap memory,
//! and read by one correctly rounded conversion. That is the value an
//! [`ExactSum`](super::expansion::ExactSum) of the same terms reads, bit
//! for bit (the exact sum rounded once, half to even), at a fraction of
//! the cost.

/// A float64's bits but the sign.
const MAGNITUDE: u64 = !(1 << 63);
/// A float64's stored significand bits.
const FRACTION: u64 = (1 << 52) - 1;

/// Integers of units of `2^unit`, for sums of one set of values.
///
/// ```
/// use fastmeanshift::exact::fixed::FixedPoint;
///
/// let terms = [1.0, 2f64.powi(-53), 2f64.powi(-60)];
/// let fixed = FixedPoint::fitting(&terms).unwrap();
/// let sum: i128 = terms.iter().map(|&x| fixed.units(x)).sum();
/// assert_eq!(fixed.rounded(sum), 1.0 + f64::EPSILON);
/// // Too wide a span of bits for 127: sum them as expansions instead.
/// assert!(FixedPoint::fitting(&[1e30, 1e-30]).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPoint {
    unit: i32,
}

impl FixedPoint {
    /// The fixed point for sums of at most `values.len()` of the `values`
    /// (finite), if one holds them. The unit is the spacing of float64s at
    /// the smallest nonzero magnitude, of which every value is a multiple.
    /// A sum of `n` values below `2^(high + 1)` is below `2^top`, `top =
    /// ceil(log2 n) + high + 1`: in units, below `2^(top - unit)`, which must
    /// fit in an `i128`. The unit must be a normal number and `top` at most
    /// 1023, so that scaling by the unit is exact both ways and never
    /// overflows.
    pub fn fitting(values: &[f64]) -> Option<Self> {
        // Magnitudes order as their bits do; 0 wraps round to the largest.
        let (mut largest, mut below_smallest) = (0, u64::MAX);
        for x in values {
            let magnitude = x.to_bits() & MAGNITUDE;
            if magnitude > largest {
                largest = magnitude;
            }
            if magnitude.wrapping_sub(1) < below_smallest {
                below_smallest = magnitude.wrapping_sub(1);
            }
        }
        if largest == 0 {
            return Some(FixedPoint { unit: 0 }); // every value is 0
        }
        // A normal number's leading bit's exponent.
        let exponent = |bits: u64| (bits >> 52) as i32 - 1023;
        let unit = exponent(below_smallest + 1) - 52;
        let high = exponent(largest);
        let count_bits = 64 - (values.len() as u64 - 1).leading_zeros() as i32;
        // Every sum is below `2^top` in magnitude.
        let top = count_bits + high + 1;
        let fits = top - unit <= 127 && top <= 1023;
        (fits && unit >= f64::MIN_EXP - 1).then_some(FixedPoint { unit })
    }

    /// `x` (one of the values it was fitted to: 0 or a normal number whose
    /// spacing is at least a unit) in units, exactly.
    #[inline]
    pub fn units(self, x: f64) -> i128 {
        let bits = x.to_bits();
        let biased = (bits >> 52 & 0x7ff) as i32;
        // 0 for 0, which a fitting value is if its exponent bits are.
        let significand = bits & FRACTION | u64::from(biased != 0) << 52;
        // The spacing of float64s at `x` is `2^(biased - 1075)`, at least a
        // unit but for 0 (whose shift, wrapped, shifts nothing).
        let magnitude = i128::from(significand).wrapping_shl((biased - 1075 - self.unit) as u32);
        // Negated where the sign bit is set: all ones, -1.
        let sign = i128::from(bits as i64 >> 63);
        (magnitude ^ sign) - sign
    }

    /// A sum of units as a float64: rounded once, half to even, then
    /// scaled exactly (the result is 0 or at least one unit, a normal
    /// number, in magnitude).
    ///
    /// The rounding is the hardware's, of a 64-bit integer, instead of the
    /// slower 128-bit conversion in software: a magnitude beyond 63 bits
    /// keeps its top 63, and one more set bit at the bottom if any of the
    /// others was, which rounds to 53 bits the same way.
    #[inline]
    pub fn rounded(self, sum: i128) -> f64 {
        let magnitude = sum.unsigned_abs();
        let dropped = 65u32.saturating_sub(magnitude.leading_zeros());
        let top = (magnitude >> dropped) as u64;
        let sticky = u128::from(top) << dropped != magnitude;
        let kept = (top | u64::from(sticky)) as i64;
        let rounded = kept as f64 * power_of_two(self.unit + dropped as i32);
        if sum < 0 {
            -rounded
        } else {
            rounded
        }
    }
}

/// `2^e`, for `e` within the normal exponents.
fn power_of_two(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::expansion::ExactSum;
    use crate::testing::noise;

    /// `n` terms of random signs and significands, their exponents spread
    /// over `span` binary orders of magnitude below `2^top`.
    fn terms(seed: u64, n: usize, top: i32, span: i32) -> Vec<f64> {
        let u = noise(seed, 2 * n);
        (0..n)
            .map(|k| {
                let e = top - 1 - (u[n + k] * span as f64) as i32;
                (u[k] - 0.5) * 2.0 * 2f64.powi(e)
            })
            .collect()
    }

    #[test]
    fn sums_read_as_expansions_read_them() {
        let mut fitted = 0;
        for seed in 0..400u64 {
            let (top, span) = [(8, 60), (0, 66), (-950, 15), (1000, 40)][seed as usize % 4];
            let terms = terms(seed, 1 + seed as usize % 50, top, span);
            let Some(fixed) = FixedPoint::fitting(&terms) else {
                continue;
            };
            fitted += 1;
            let (mut units, mut expansion) = (0i128, ExactSum::default());
            for &x in &terms {
                units += fixed.units(x);
                expansion.add(x);
                assert_eq!(fixed.rounded(units).to_bits(), expansion.value().to_bits());
            }
        }
        assert!(fitted > 300, "{fitted} of 400 fitted");
    }

    #[test]
    fn halfway_sums_round_to_even() {
        let halfway = [1.0, 2f64.powi(-53), 2f64.powi(-53)];
        let fixed = FixedPoint::fitting(&halfway).unwrap();
        let sum = fixed.units(1.0) + fixed.units(2f64.powi(-53));
        assert_eq!(fixed.rounded(sum), 1.0);
        assert_eq!(
            fixed.rounded(sum + fixed.units(2f64.powi(-53))),
            1.0 + f64::EPSILON
        );
        assert_eq!(fixed.rounded(-sum).to_bits(), (-1.0f64).to_bits());
        assert_eq!(fixed.rounded(0).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn sums_beyond_64_bits_round_as_the_128_bit_conversion_does() {
        let fixed = FixedPoint::fitting(&[1.0]).unwrap(); // a unit of 2^-52
        let unit = 2f64.powi(-52);
        // Halfway between two float64s at 2^64: to even, then just beyond.
        for sum in [
            (1i128 << 64) + (1 << 11),
            (1i128 << 64) + (1 << 11) + 1,
            (1i128 << 64) + (3 << 11),
            (1i128 << 100) + (1 << 47) + (1 << 3),
            i128::MAX,
            -(1i128 << 70) - (1 << 17),
        ] {
            assert_eq!(fixed.rounded(sum).to_bits(), (sum as f64 * unit).to_bits());
            assert_eq!(
                fixed.rounded(-sum).to_bits(),
                (-sum as f64 * unit).to_bits()
            );
        }
        let u = noise(7, 1000);
        for pair in u.chunks(2) {
            let sum = ((pair[0] * 2f64.powi(53)) as i128) << (pair[1] * 70.0) as u32;
            let sum = sum + (pair[1] * 1e6) as i128 - 500_000;
            assert_eq!(fixed.rounded(sum).to_bits(), (sum as f64 * unit).to_bits());
        }
    }

    #[test]
    fn ranges_beyond_127_bits_or_the_normal_numbers_do_not_fit() {
        assert!(FixedPoint::fitting(&[0.0, -0.0]).is_some());
        // Two terms: one bit for the count, 101 for the highest value, and
        // the 52 bits of the lowest's significand.
        assert!(FixedPoint::fitting(&[2f64.powi(100), 2f64.powi(27)]).is_some());
        assert!(FixedPoint::fitting(&[2f64.powi(100), 2f64.powi(26)]).is_none());
        // The unit, 52 bits below the smallest, must be normal.
        assert!(FixedPoint::fitting(&[2f64.powi(-970)]).is_some());
        assert!(FixedPoint::fitting(&[2f64.powi(-971)]).is_none());
        assert!(FixedPoint::fitting(&[f64::MIN_POSITIVE / 2.0]).is_none());
        assert!(FixedPoint::fitting(&[2f64.powi(1022)]).is_some());
        assert!(FixedPoint::fitting(&[2f64.powi(1022), 2f64.powi(1021)]).is_none());
        assert!(FixedPoint::fitting(&[f64::MAX]).is_none());
    }
}
