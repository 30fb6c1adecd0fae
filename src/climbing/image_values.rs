//! An image's values as its caller holds them: any of the real types
//! images come in, read in place, so that an 8-bit photograph is never
//! copied into float64 (docs/algorithm.md §13.2).

use std::borrow::Cow;

use crate::error::{try_reserved, Result};

/// A real number type an image's values can be held in, taken into
/// float64 as NumPy's `astype(float64)` takes it (exactly, but for 64-bit
/// integers beyond `2^53`, rounded to nearest).
pub trait Real: Copy + Send + Sync + 'static {
    /// Whether some value of the type is not finite (NaN or infinite).
    const MAY_BE_INFINITE: bool;
    /// Whether every value of the type is a float32 exactly.
    const ALWAYS_FLOAT32: bool;
    /// The value in float64.
    fn to_f64(self) -> f64;
}

macro_rules! real {
    ($t:ty, $infinite:expr, $float32:expr) => {
        impl Real for $t {
            const MAY_BE_INFINITE: bool = $infinite;
            const ALWAYS_FLOAT32: bool = $float32;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
real!(u8, false, true);
real!(i8, false, true);
real!(u16, false, true);
real!(i16, false, true);
real!(u32, false, false);
real!(i32, false, false);
real!(u64, false, false);
real!(i64, false, false);
real!(f32, true, true);
real!(f64, true, false);

/// The values of an image, pixel by pixel (`channels` each, in raster
/// order), in the type the caller holds them in.
///
/// ```
/// use fastmeanshift::climbing::image_values::ImageValues;
///
/// let photo: &[u8] = &[0, 128, 255];
/// let values = ImageValues::from(photo);
/// assert_eq!((values.len(), values.get(2)), (3, 255.0));
/// assert!(values.all_finite() && values.all_float32());
/// assert!(!ImageValues::from(&[0.1f64][..]).all_float32());
/// assert!(!ImageValues::from(&[f32::NAN][..]).all_finite());
/// ```
#[derive(Debug, Clone, Copy)]
pub enum ImageValues<'a> {
    /// 8-bit unsigned: a photograph.
    U8(&'a [u8]),
    /// 8-bit signed.
    I8(&'a [i8]),
    /// 16-bit unsigned: microscopy, medical images.
    U16(&'a [u16]),
    /// 16-bit signed: CT in Hounsfield units.
    I16(&'a [i16]),
    /// 32-bit unsigned.
    U32(&'a [u32]),
    /// 32-bit signed.
    I32(&'a [i32]),
    /// 64-bit unsigned.
    U64(&'a [u64]),
    /// 64-bit signed: NumPy's default integer.
    I64(&'a [i64]),
    /// float32.
    F32(&'a [f32]),
    /// float64.
    F64(&'a [f64]),
}

/// Calls `$body` with `$slice` bound to the typed slice of `$values`: the
/// body is compiled once for each type.
macro_rules! with_slice {
    ($values:expr, |$slice:ident| $body:expr) => {
        match $values {
            ImageValues::U8($slice) => $body,
            ImageValues::I8($slice) => $body,
            ImageValues::U16($slice) => $body,
            ImageValues::I16($slice) => $body,
            ImageValues::U32($slice) => $body,
            ImageValues::I32($slice) => $body,
            ImageValues::U64($slice) => $body,
            ImageValues::I64($slice) => $body,
            ImageValues::F32($slice) => $body,
            ImageValues::F64($slice) => $body,
        }
    };
}
pub(crate) use with_slice;

macro_rules! from_slice {
    ($t:ty, $variant:ident) => {
        impl<'a> From<&'a [$t]> for ImageValues<'a> {
            fn from(values: &'a [$t]) -> Self {
                ImageValues::$variant(values)
            }
        }
    };
}
from_slice!(u8, U8);
from_slice!(i8, I8);
from_slice!(u16, U16);
from_slice!(i16, I16);
from_slice!(u32, U32);
from_slice!(i32, I32);
from_slice!(u64, U64);
from_slice!(i64, I64);
from_slice!(f32, F32);
from_slice!(f64, F64);

impl<'a> ImageValues<'a> {
    /// How many values there are.
    pub fn len(&self) -> usize {
        with_slice!(self, |s| s.len())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i`, in float64.
    pub fn get(&self, i: usize) -> f64 {
        with_slice!(self, |s| s[i].to_f64())
    }

    /// Values `from..from + out.len()`, into `out`.
    pub fn copy_into(&self, from: usize, out: &mut [f64]) {
        with_slice!(self, |s| {
            for (y, x) in out.iter_mut().zip(&s[from..]) {
                *y = x.to_f64();
            }
        })
    }

    /// Whether every value is finite.
    pub fn all_finite(&self) -> bool {
        fn finite<T: Real>(s: &[T]) -> bool {
            !T::MAY_BE_INFINITE || s.iter().all(|x| x.to_f64().is_finite())
        }
        with_slice!(self, |s| finite(s))
    }

    /// Whether every value is a float32 exactly, so that planes of them can
    /// be float32 ([`crate::climbing::limbs::Limbs`]).
    pub fn all_float32(&self) -> bool {
        fn float32<T: Real>(s: &[T]) -> bool {
            T::ALWAYS_FLOAT32
                || s.iter().all(|x| {
                    let x = x.to_f64();
                    x as f32 as f64 == x
                })
        }
        with_slice!(self, |s| float32(s))
    }

    /// The values in float64: borrowed where they are float64 already.
    pub fn to_f64(&self) -> Result<Cow<'a, [f64]>> {
        if let ImageValues::F64(s) = *self {
            return Ok(Cow::Borrowed(s));
        }
        let mut out = try_reserved(self.len())?;
        with_slice!(self, |s| out.extend(s.iter().map(|x| x.to_f64())));
        Ok(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_as_numpy_casts_it() {
        let big = [(1i64 << 53) + 1]; // rounds to even, as NumPy's cast does
        let cases: [(ImageValues<'_>, f64); 6] = [
            (ImageValues::from(&[-3i8][..]), -3.0),
            (ImageValues::from(&[65535u16][..]), 65535.0),
            (ImageValues::from(&[-7i32][..]), -7.0),
            (ImageValues::from(&[u64::MAX][..]), 18446744073709551616.0),
            (ImageValues::from(&big[..]), 9007199254740992.0),
            (ImageValues::from(&[0.1f32][..]), f64::from(0.1f32)),
        ];
        for (values, want) in cases {
            assert_eq!(values.get(0), want);
            assert_eq!(values.to_f64().unwrap()[0], want);
        }
        assert!(matches!(
            ImageValues::from(&[1.5f64][..]).to_f64().unwrap(),
            Cow::Borrowed(_)
        ));
        assert!(ImageValues::from(&[f64::from(0.1f32), 3.0][..]).all_float32());
        assert!(!ImageValues::from(&[1u32 << 25 | 1][..]).all_float32());
        assert!(ImageValues::from(&[i64::MAX][..]).all_finite());
        assert!(!ImageValues::from(&[1.0, f64::INFINITY][..]).all_finite());
    }
}
