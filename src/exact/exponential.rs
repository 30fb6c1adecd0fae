//! The Gaussian kernel's exponential, `exp(-u / 2)`, as one fixed sequence
//! of float64 additions, multiplications, fused multiply-adds and exponent
//! arithmetic (docs/algorithm.md §10.1).
//!
//! The C library's `exp` is not that: glibc picks one of several builds at
//! run time, other C libraries round differently, and a call per point
//! cannot be vectorised. This one is branch-free and has no tables; each
//! fused multiply-add is IEEE's, rounded once (one instruction where the
//! CPU has it, the C library's exact `fma` elsewhere), so it gives the same
//! bits on every CPU, compiled for any instruction set, in lanes or alone,
//! and `tests/reference.py` repeats it operation for operation. It is
//! accurate to `2^-37` (relative), more than the kernel's profile keeps:
//! [`crate::exact::weighted::shortened`] keeps 32 significant bits.

use crate::exact::lanes::Float;

/// `1.5 * 2^52`: adding it rounds a float64 below `2^51` in magnitude to an
/// integer, which the sum's low bits then hold.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// `1 / ln 2`, rounded.
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `ln 2`, rounded: `n` times its rounding error is below `2^-52` for the
/// `n >= -7` of the support, far below the accuracy sought.
const LN2: f64 = std::f64::consts::LN_2;
/// The coefficients of `q`, the polynomial of degree 6 that interpolates
/// `(exp(r) - 1 - r) / r^2` at the seven Chebyshev nodes of
/// `|r| <= ln(2) / 2 * (1 + 1e-9)`, each rounded to float64: `r^2 q(r)` is
/// within `2^-38` of `exp(r) - 1 - r` there.
const Q: [f64; 7] = [
    f64::from_bits(0x3FE0_0000_0000_0000),
    f64::from_bits(0x3FC5_5555_5675_0672),
    f64::from_bits(0x3FA5_5555_55C8_5F99),
    f64::from_bits(0x3F81_110C_63A4_EE7F),
    f64::from_bits(0x3F56_C168_5919_D326),
    f64::from_bits(0x3F2A_1516_9E0A_0CC0),
    f64::from_bits(0x3EFA_1131_3514_86A2),
];

/// `exp(-u / 2)` for `u` in `[0, 9]` (the Gaussian kernel's profile on its
/// support, before [`crate::exact::weighted::shortened`]), of one float64
/// or of each of [`crate::exact::lanes::Lanes`], within `2^-37` of it
/// (relative; `2^-37.7` the most measured against 60-digit decimals at
/// 200,000 points); any value elsewhere.
///
/// `t = -u / 2` is split as `n ln 2 + r`, with `n` the integer nearest
/// `t / ln 2` (so `|r| <= ln(2) / 2`, a little more where the product
/// rounds) and `r = t - n LN2` rounded once. Then
/// `exp(r) = 1 + (r + r^2 q(r))`, with `q` by Estrin's scheme, and the
/// result is scaled by `2^n` exactly, through its exponent bits. Every
/// `a * b + c` below is one fused multiply-add.
///
/// ```
/// use fastmeanshift::exact::exponential::exp_minus_half;
///
/// assert_eq!(exp_minus_half(0.0f64), 1.0);
/// let e = (-1f64).exp();
/// assert!((exp_minus_half(2.0f64) - e).abs() < e * 2f64.powi(-37));
/// ```
#[inline(always)]
pub fn exp_minus_half<F: Float>(u: F) -> F {
    exp_of_negative(F::splat(-0.5) * u)
}

/// `exp(t)` for `t` in `[-4.5, 0]`: [`exp_minus_half`] of `u = -2 t`, by
/// the same operations after its first.
///
/// ```
/// use fastmeanshift::exact::exponential::{exp_minus_half, exp_of_negative};
///
/// assert_eq!(exp_of_negative(-1.25f64), exp_minus_half(2.5f64));
/// ```
#[inline(always)]
pub fn exp_of_negative<F: Float>(t: F) -> F {
    let k = F::splat;
    let shifted = t.mul_add(k(LOG2_E), k(SHIFTER));
    let n = shifted - k(SHIFTER);
    let r = n.mul_add(k(-LN2), t);
    // q(r) by Estrin's scheme: pairs, then the first two pairs and the
    // last pair with c6 (a shorter chain of dependent operations than
    // Horner's).
    let c = Q.map(k);
    let r2 = r * r;
    let r4 = r2 * r2;
    let low = c[3].mul_add(r, c[2]).mul_add(r2, c[1].mul_add(r, c[0]));
    let high = c[6].mul_add(r2, c[5].mul_add(r, c[4]));
    let q = high.mul_add(r4, low);
    let e_r = k(1.0) + r2.mul_add(q, r);
    // The shifted sum's low bits are n (two's complement, n >= -7 on the
    // support): shifted left by 52 they are n added to the exponent field,
    // which multiplies e_r (in [0.7, 1.5)) by 2^n exactly.
    e_r.zip_bits(shifted, |e, s| e.wrapping_add(s << 52))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_2_to_the_minus_37_of_the_c_library_on_the_support() {
        // Ours is within 2^-37 of exp, the C library's within half an ulp.
        for k in 0..=9 * 8192 {
            let u = k as f64 / 8192.0 + 1e-9 * (k % 7) as f64;
            let (ours, libm) = (exp_minus_half(u), (-0.5f64 * u).exp());
            assert!(
                (ours - libm).abs() <= libm * 2f64.powi(-37),
                "u = {u}: {ours} vs {libm}"
            );
        }
    }

    #[test]
    fn exact_where_exp_is() {
        assert_eq!(exp_minus_half(0.0f64), 1.0);
        assert_eq!(exp_minus_half(-0.0f64), 1.0);
        assert_eq!(exp_minus_half(f64::MIN_POSITIVE), 1.0);
    }
}
