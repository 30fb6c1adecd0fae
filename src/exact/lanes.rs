//! Eight float64 lanes with element-wise arithmetic: each operation is the
//! IEEE operation of every lane (fused only where asked, never reordered),
//! written as a loop over the lanes so that the compiler emits it as vector
//! instructions, one statement after the other. Code written once for `f64`
//! and for [`Lanes`] (through [`Float`]) therefore computes the same bits
//! either way.

use std::ops::{Add, Mul, Sub};

/// How many lanes.
pub const LANES: usize = 8;

/// Eight float64 values operated on side by side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lanes(pub [f64; LANES]);

/// What a formula written once computes on: one float64, or [`Lanes`].
pub trait Float: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> {
    /// `x` in every lane.
    fn splat(x: f64) -> Self;
    /// Each lane's bits, as an unsigned integer, mapped by `f` to the bits
    /// of the result.
    fn map_bits(self, f: impl Fn(u64) -> u64) -> Self;
    /// Each lane's bits and `other`'s, mapped by `f` to the bits of the
    /// result.
    fn zip_bits(self, other: Self, f: impl Fn(u64, u64) -> u64) -> Self;
    /// `self * a + b`, rounded once: IEEE's fused multiply-add (one
    /// instruction where compiled for a CPU with one, the C library's exact
    /// `fma` elsewhere), the same bits either way.
    fn mul_add(self, a: Self, b: Self) -> Self;
}

impl Float for f64 {
    #[inline(always)]
    fn splat(x: f64) -> Self {
        x
    }

    #[inline(always)]
    fn map_bits(self, f: impl Fn(u64) -> u64) -> Self {
        f64::from_bits(f(self.to_bits()))
    }

    #[inline(always)]
    fn zip_bits(self, other: Self, f: impl Fn(u64, u64) -> u64) -> Self {
        f64::from_bits(f(self.to_bits(), other.to_bits()))
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
}

impl Lanes {
    /// `f` of every lane.
    #[inline(always)]
    pub fn map(self, f: impl Fn(f64) -> f64) -> Self {
        let mut out = [0.0; LANES];
        for (o, &x) in out.iter_mut().zip(&self.0) {
            *o = f(x);
        }
        Lanes(out)
    }

    /// `f` of every pair of lanes.
    #[inline(always)]
    pub fn zip(self, other: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let mut out = [0.0; LANES];
        for ((o, &a), &b) in out.iter_mut().zip(&self.0).zip(&other.0) {
            *o = f(a, b);
        }
        Lanes(out)
    }
}

impl Float for Lanes {
    #[inline(always)]
    fn splat(x: f64) -> Self {
        Lanes([x; LANES])
    }

    #[inline(always)]
    fn map_bits(self, f: impl Fn(u64) -> u64) -> Self {
        self.map(|x| f64::from_bits(f(x.to_bits())))
    }

    #[inline(always)]
    fn zip_bits(self, other: Self, f: impl Fn(u64, u64) -> u64) -> Self {
        self.zip(other, |a, b| f64::from_bits(f(a.to_bits(), b.to_bits())))
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let mut out = [0.0; LANES];
        for (((o, &x), &a), &b) in out.iter_mut().zip(&self.0).zip(&a.0).zip(&b.0) {
            *o = x.mul_add(a, b);
        }
        Lanes(out)
    }
}

impl Add for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn add(self, other: Lanes) -> Lanes {
        self.zip(other, |a, b| a + b)
    }
}

impl Sub for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn sub(self, other: Lanes) -> Lanes {
        self.zip(other, |a, b| a - b)
    }
}

impl Mul for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn mul(self, other: Lanes) -> Lanes {
        self.zip(other, |a, b| a * b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lane_is_the_scalar_operation() {
        let a = Lanes([0.1, -2.5, 1e300, 3.0, -0.0, 7.0, 1e-310, 0.3]);
        let b = Lanes([0.2, 0.5, 1e10, -3.0, 0.0, 1.0 / 3.0, 2.0, 0.7]);
        for l in 0..LANES {
            let (x, y) = (a.0[l], b.0[l]);
            assert_eq!((a + b).0[l].to_bits(), (x + y).to_bits());
            assert_eq!((a - b).0[l].to_bits(), (x - y).to_bits());
            assert_eq!((a * b).0[l].to_bits(), (x * y).to_bits());
            let bits = a.map_bits(|u| u ^ (1 << 63)).0[l];
            assert_eq!(bits.to_bits(), x.map_bits(|u| u ^ (1 << 63)).to_bits());
            let sum = a.zip_bits(b, |u, v| u.wrapping_add(v)).0[l];
            assert_eq!(
                sum.to_bits(),
                x.zip_bits(y, |u, v| u.wrapping_add(v)).to_bits()
            );
            let fused = a.mul_add(b, a).0[l];
            assert_eq!(fused.to_bits(), x.mul_add(y, x).to_bits());
        }
    }
}
