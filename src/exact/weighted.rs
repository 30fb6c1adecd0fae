//! Weighted coordinate sums whose result does not depend on order
//! (docs/algorithm.md §10.3).
//!
//! A point enters a weighted mean with a term weight `c` (its sample weight
//! times the kernel's profile: the weight itself for the flat kernel, the
//! rounded product with the [`shortened`] profile for the others, exact for
//! integer weights below `2^21`) and contributes `c` to the weight sum
//! and `c * x` to each coordinate sum. The flat kernel's sums
//! ([`WeightedSums`]) form every product exactly, as a rounded product and
//! its error (Dekker's TwoProduct), and collect the rounding errors of
//! their additions (TwoSum), as [`crate::exact::summation`] does for plain
//! sums; the other kernels' sums ([`LaneSums`]) add each product by a fused
//! multiply-add and collect its error from a fixed origin. So each sum is,
//! but for astronomically rare near-ties, the correctly rounded value of
//! the exact sum of exact terms: it depends on the set of points, not on
//! the order a search visits them in, and a point of integer weight `m`
//! (below `2^21`) adds exactly what `m` copies of it would.

use crate::exact::lanes::Float;
use crate::exact::summation::{numpy_mean_of_copies, two_sum_into};
use crate::points::Coord;

/// `(p, e)` with `p = fl(a * b)` and `p + e == a * b` exactly (Dekker's
/// TwoProduct, with Veltkamp's splitting), unless the product underflows.
/// Factors too large to split exactly go through a fused multiply-add.
#[inline(always)]
pub fn two_product(a: f64, b: f64) -> (f64, f64) {
    // Splitting multiplies by 2^27 + 1: safe below 2^995.
    const SPLITTABLE: f64 = 1.0e299;
    let p = a * b;
    if !p.is_finite() {
        return (p, 0.0);
    }
    if a.abs() >= SPLITTABLE || b.abs() >= SPLITTABLE {
        return (p, a.mul_add(b, -p));
    }
    let (a_hi, a_lo) = split(a);
    let (b_hi, b_lo) = split(b);
    let e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
    (p, e)
}

/// `a` as the sum of two halves of at most 26 significant bits each.
#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

/// The compensated sum of `values`: their correctly rounded sum but for
/// astronomically rare near-ties, whatever their order.
pub fn compensated_sum(values: &[f64]) -> f64 {
    let (mut s, mut e) = (0.0, 0.0);
    for &x in values {
        two_sum_into(&mut s, &mut e, x, 0.0);
    }
    s + e
}

/// Which points of positive term weight a group holds, for the flat kernel's
/// rule on copies of one point (docs/algorithm.md §10.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Members<'a, T> {
    /// None: the group adds nothing.
    Nothing,
    /// Copies of this one point, and nothing else.
    CopiesOf(&'a [T]),
    /// Points at two or more positions.
    Mixed,
}

/// A group's weighted sums, precomputed (a tree node's).
#[derive(Debug, Clone, Copy)]
pub struct WeightedSubtotal<'a, T> {
    /// Per coordinate: the sum of `c * x` and its error term.
    pub sums: &'a [f64],
    /// The error terms of `sums`.
    pub errors: &'a [f64],
    /// The sum of the term weights `c` and its error term.
    pub weight: f64,
    /// The error term of `weight`.
    pub weight_error: f64,
    /// Which points of positive weight the group holds.
    pub members: Members<'a, T>,
}

/// The running weighted sums of one neighbourhood.
pub struct WeightedSums {
    sums: Vec<f64>,
    errors: Vec<f64>,
    weight: f64,
    weight_error: f64,
    /// The first point of positive term weight, if any, and whether every
    /// such point since was a copy of it.
    first: Vec<f64>,
    any: bool,
    copies: bool,
}

impl WeightedSums {
    /// Empty sums over `dim` coordinates.
    pub fn new(dim: usize) -> Self {
        WeightedSums {
            sums: vec![0.0; dim],
            errors: vec![0.0; dim],
            weight: 0.0,
            weight_error: 0.0,
            first: vec![0.0; dim],
            any: false,
            copies: true,
        }
    }

    /// Forgets every point added.
    pub fn clear(&mut self) {
        self.sums.fill(0.0);
        self.errors.fill(0.0);
        self.weight = 0.0;
        self.weight_error = 0.0;
        self.any = false;
        self.copies = true;
    }

    #[inline(always)]
    fn note_member<T: Coord>(&mut self, point: &[T]) {
        if !self.any {
            self.any = true;
            for (f, &x) in self.first.iter_mut().zip(point) {
                *f = x.to_f64();
            }
        } else if self.copies {
            self.copies = self.first.iter().zip(point).all(|(&f, &x)| f == x.to_f64());
        }
    }

    /// Adds `point` with the term weight `c_hi + c_lo` (an exact product,
    /// as [`two_product`] gives it). A term weight of 0 adds nothing.
    #[inline(always)]
    pub fn add<T: Coord>(&mut self, point: &[T], c_hi: f64, c_lo: f64) {
        self.add_with::<Checked, T>(point, c_hi, c_lo);
    }

    /// [`WeightedSums::add`], each product `c_hi * x` formed by `P`: the
    /// same bits as `add` wherever [`two_product_is_exact`]`(c_hi, x)`.
    #[inline(always)]
    pub fn add_with<P: ExactProduct, T: Coord>(&mut self, point: &[T], c_hi: f64, c_lo: f64) {
        if c_hi == 0.0 && c_lo == 0.0 {
            return;
        }
        self.note_member(point);
        for ((s, e), &x) in self.sums.iter_mut().zip(self.errors.iter_mut()).zip(point) {
            let x = x.to_f64();
            let (p, p_error) = P::two_product(c_hi, x);
            // `c_lo * x` is below an ulp of `p`: its own rounding is second order.
            two_sum_into(s, e, p, p_error + c_lo * x);
        }
        two_sum_into(&mut self.weight, &mut self.weight_error, c_hi, c_lo);
    }

    /// Adds a group of points at once: O(dim), whatever its size.
    #[inline]
    pub fn add_subtotal<T: Coord>(&mut self, group: WeightedSubtotal<'_, T>) {
        match group.members {
            Members::Nothing => return,
            Members::CopiesOf(point) => self.note_member(point),
            Members::Mixed => {
                self.any = true;
                self.copies = false;
            }
        }
        let terms = group.sums.iter().zip(group.errors);
        for ((s, e), (&x, &x_error)) in self.sums.iter_mut().zip(self.errors.iter_mut()).zip(terms)
        {
            two_sum_into(s, e, x, x_error);
        }
        two_sum_into(
            &mut self.weight,
            &mut self.weight_error,
            group.weight,
            group.weight_error,
        );
    }

    /// The sums so far, as a subtotal another accumulator can add (for
    /// groups whose members are tracked by the caller).
    pub fn subtotal<'s, T>(&'s self, members: Members<'s, T>) -> WeightedSubtotal<'s, T> {
        WeightedSubtotal {
            sums: &self.sums,
            errors: &self.errors,
            weight: self.weight,
            weight_error: self.weight_error,
            members,
        }
    }

    /// Which points of positive term weight were added (for a subtotal that
    /// another accumulator, on another machine, adds: docs/algorithm.md §11).
    pub fn members(&self) -> Members<'_, f64> {
        match (self.any, self.copies) {
            (false, _) => Members::Nothing,
            (true, true) => Members::CopiesOf(&self.first),
            (true, false) => Members::Mixed,
        }
    }

    /// The sum of the term weights: the neighbourhood's intensity.
    pub fn weight(&self) -> f64 {
        self.weight + self.weight_error
    }

    /// The weighted mean of coordinate `j`, in the data's type: the rounded
    /// coordinate sum over the rounded weight sum. With `numpy_copies` (the
    /// flat kernel), copies of one point whose weights add up to an integer
    /// `m <= 2^20` average as NumPy averages `m` copies, as `m` repeated rows
    /// would; copies of any other total weight give the point itself.
    #[inline]
    pub fn mean<T: Coord>(&self, j: usize, numpy_copies: bool) -> T {
        const MOST_COPIES: f64 = (1u64 << 20) as f64;
        let weight = self.weight();
        if numpy_copies && self.any && self.copies {
            let x = T::from_f64(self.first[j]);
            if weight.fract() == 0.0 && weight <= MOST_COPIES {
                numpy_mean_of_copies(x, weight as usize, self.first.len())
            } else {
                x
            }
        } else {
            T::from_f64((self.sums[j] + self.errors[j]) / weight)
        }
    }
}

/// Points weighed side by side: each of [`LANES`] lanes keeps sums of its
/// own, so that the additions of a batch do not wait on each other (and
/// vectorise); the lanes are added up at the end. Exact sums do not depend
/// on order (but for near-ties), so neither does the result.
pub use crate::exact::lanes::LANES;

/// How the flat kernel's weighted sums ([`WeightedSums`], node totals) form
/// the exact error of a product: the ways agree bit for bit wherever
/// [`two_product_is_exact`] holds, so which one runs depends on the CPU and
/// never changes a result.
pub trait ExactProduct {
    /// `(p, e)` with `p = fl(a * b)` and `p + e == a * b` exactly, where
    /// [`two_product_is_exact`]`(a, b)`; elsewhere unspecified (finite or not).
    fn two_product(a: f64, b: f64) -> (f64, f64);
}

/// Dekker's TwoProduct with Veltkamp's splitting: additions and
/// multiplications only, the same bits on every CPU.
pub struct Split;

/// The error as one fused multiply-add, `a.mul_add(b, -p)`, which is
/// `a * b - p` rounded once, hence exact where the error is representable.
/// One instruction where compiled with FMA (`#[target_feature]`); a slow
/// library call anywhere else.
pub struct Fused;

/// [`two_product`], with its checks: exact for any factors unless the
/// product overflows or its error underflows, for rows no check has vetted.
pub struct Checked;

impl ExactProduct for Checked {
    #[inline(always)]
    fn two_product(a: f64, b: f64) -> (f64, f64) {
        two_product(a, b)
    }
}

impl ExactProduct for Split {
    #[inline(always)]
    fn two_product(a: f64, b: f64) -> (f64, f64) {
        two_product_unchecked(a, b)
    }
}

impl ExactProduct for Fused {
    #[inline(always)]
    fn two_product(a: f64, b: f64) -> (f64, f64) {
        let p = a * b;
        (p, a.mul_add(b, -p))
    }
}

/// A kernel profile `k` shortened to 32 significant bits (its 21 lowest
/// significand bits cleared, towards zero), as the kernels other than the
/// flat one weigh points (docs/algorithm.md §10.1): its product with an
/// integer weight below `2^21` is then exact, so that a point of integer
/// weight `m` adds exactly what `m` copies of it add, with a term weight
/// formed by one multiplication. A relative change below `2^-31`, far
/// below anything a kernel's shape means.
///
/// ```
/// use fastmeanshift::exact::weighted::shortened;
///
/// let k = shortened(0.1f64);
/// assert!(k <= 0.1 && 0.1 - k < 0.1 * 2f64.powi(-31));
/// assert_eq!(k.to_bits() % (1 << 21), 0); // 32 significant bits
/// assert_eq!(3.0 * k - k - k, k); // 3 k is exact
/// assert_eq!(shortened(1.0f64), 1.0);
/// ```
#[inline(always)]
pub fn shortened<F: Float>(k: F) -> F {
    k.map_bits(|bits| bits & !((1 << 21) - 1))
}

/// Where the lane sums of a kernel sum start (docs/algorithm.md §10.3): for
/// each coordinate, and for the weight, a power of two at least four times
/// the most a lane's sum of term magnitudes can reach.
///
/// A running sum that starts there stays within a quarter of it, so that
/// every addition's rounding error is found from the subtraction of the sum
/// before from the sum after (exact, as the two are within a factor of two)
/// and the sum minus its origin is exact at the end: see
/// [`LaneSums::add_batch`].
///
/// ```
/// use fastmeanshift::exact::weighted::Origins;
///
/// // 1,000 points of weight at most 2, coordinates at most 3 and 0.
/// let origins = Origins::new(1_000, 2.0, &[3.0, 0.0]).unwrap();
/// assert_eq!(origins.coordinates(), [65_536.0, 1.0]); // 2^16 >= 8 * 6,000
/// assert_eq!(origins.weight(), 16_384.0); // 2^14 >= 8 * 2,000
/// assert!(Origins::new(1_000, 1e300, &[1e10]).is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Origins {
    coordinates: Vec<f64>,
    weight: f64,
}

impl Origins {
    /// The origins for `n` points of weight at most `largest_weight` (with
    /// a kernel profile of at most 1, no term weight is larger), coordinate
    /// `j` at most `largest[j]` in magnitude; None if one would not be
    /// finite.
    pub fn new(n: usize, largest_weight: f64, largest: &[f64]) -> Option<Self> {
        let most_weight = n as f64 * largest_weight;
        let coordinates = largest
            .iter()
            .map(|&x| origin_above(most_weight * x))
            .collect::<Option<Vec<f64>>>()?;
        Some(Origins {
            coordinates,
            weight: origin_above(most_weight)?,
        })
    }

    /// The coordinates' origins.
    pub fn coordinates(&self) -> &[f64] {
        &self.coordinates
    }

    /// The weight's origin.
    pub fn weight(&self) -> f64 {
        self.weight
    }
}

/// The power of two from 8 to 16 times `bound` (at least 4 times the exact
/// bound that `bound` rounds, twice at most), or 1 for a bound of 0; None
/// if that is not finite.
fn origin_above(bound: f64) -> Option<f64> {
    if bound == 0.0 {
        return Some(1.0);
    }
    // The exponent field of `bound`, plus 4: 2^(e + 1) > bound, times 8.
    let field = ((bound.to_bits() >> 52) & 0x7ff).max(1) + 4;
    (field < 0x7ff && bound.is_finite()).then(|| f64::from_bits(field << 52))
}

/// Lane-wise weighted sums of one neighbourhood, for kernels other than the
/// flat one (no copies rule): per coordinate, one running sum and one error
/// term per lane, each sum from its [`Origins`].
///
/// `S` holds the coordinates' lanes: a `Vec` for any dimension, or an array
/// of `D` of them ([`LaneSums::held_for`]), which a kernel sum's loop keeps
/// in vector registers from one batch to the next instead of loading and
/// storing every sum for every batch.
///
/// ```
/// use fastmeanshift::exact::weighted::{LaneSums, Origins, WeightedSums, LANES};
///
/// // The points (2, 4) and (6, 8) in lanes 0 and 1, with term weights 1
/// // and 0.5; the other lanes are unused (term weight 0).
/// let mut c = [0.0; LANES];
/// (c[0], c[1]) = (1.0, 0.5);
/// let column = |j: usize| {
///     let mut x = [0.0; LANES];
///     (x[0], x[1]) = ([2.0, 4.0][j], [6.0, 8.0][j]);
///     x
/// };
/// let origins = Origins::new(2, 1.0, &[6.0, 8.0]).unwrap();
/// let mut lanes = LaneSums::new(2);
/// lanes.start(&origins);
/// let mut held = lanes.held_for::<2>().unwrap();
/// held.add_batch(&c, column);
/// lanes.put_back(&held);
/// let mut total = WeightedSums::new(2);
/// lanes.add_to(&origins, &mut total);
/// assert_eq!(total.weight(), 1.5);
/// assert_eq!(total.mean::<f64>(0, false), 5.0 / 1.5);
/// assert_eq!(total.mean::<f64>(1, false), 8.0 / 1.5);
/// ```
pub struct LaneSums<S = Vec<[f64; LANES]>> {
    sums: S,
    errors: S,
    weight: [f64; LANES],
    weight_error: [f64; LANES],
}

impl<S: AsMut<[[f64; LANES]]>> LaneSums<S> {
    /// Adds up to [`LANES`] points, point `l` in lane `l`, with the term
    /// weights `c[l]` (+0 for an unused lane, which adds nothing):
    /// `coordinates(j)` is coordinate `j` of every lane's point. The sums
    /// must have started from [`Origins`] for these points.
    ///
    /// Each term `c * x` is added by one fused multiply-add, and its
    /// rounding error by the difference of the sums before and after and
    /// a second one: `c * x - (after - before)`, rounded once, which loses
    /// under `2^-53` of an error already under half an ulp of the origin.
    #[inline(always)]
    pub fn add_batch(&mut self, c: &[f64; LANES], coordinates: impl Fn(usize) -> [f64; LANES]) {
        // Each lane array is copied in and out whole, which lets the compiler
        // keep it in vector registers.
        for (j, (sums, errors)) in self
            .sums
            .as_mut()
            .iter_mut()
            .zip(self.errors.as_mut())
            .enumerate()
        {
            let x = coordinates(j);
            let (mut s, mut e) = (*sums, *errors);
            for l in 0..LANES {
                let after = c[l].mul_add(x[l], s[l]);
                let added = after - s[l];
                e[l] += c[l].mul_add(x[l], -added);
                s[l] = after;
            }
            (*sums, *errors) = (s, e);
        }
        let (mut w, mut w_error) = (self.weight, self.weight_error);
        for l in 0..LANES {
            // Fast2Sum: exact, as the sum is larger than the term.
            let after = w[l] + c[l];
            w_error[l] += c[l] - (after - w[l]);
            w[l] = after;
        }
        (self.weight, self.weight_error) = (w, w_error);
    }
}

impl LaneSums {
    /// Sums over `dim` coordinates, to be [`LaneSums::start`]ed.
    pub fn new(dim: usize) -> Self {
        LaneSums {
            sums: vec![[0.0; LANES]; dim],
            errors: vec![[0.0; LANES]; dim],
            weight: [0.0; LANES],
            weight_error: [0.0; LANES],
        }
    }

    /// Empty sums, each lane at its origin.
    pub fn start(&mut self, origins: &Origins) {
        for (sums, &origin) in self.sums.iter_mut().zip(&origins.coordinates) {
            *sums = [origin; LANES];
        }
        self.errors.fill([0.0; LANES]);
        self.weight = [origins.weight; LANES];
        self.weight_error = [0.0; LANES];
    }

    /// A copy in arrays of `D` coordinates, if these sums have `D`; to be
    /// [`LaneSums::put_back`] once added to.
    #[inline(always)]
    pub fn held_for<const D: usize>(&self) -> Option<LaneSums<[[f64; LANES]; D]>> {
        Some(LaneSums {
            sums: self.sums.as_slice().try_into().ok()?,
            errors: self.errors.as_slice().try_into().ok()?,
            weight: self.weight,
            weight_error: self.weight_error,
        })
    }

    /// Takes the sums `held` (from [`LaneSums::held_for`]) as its own.
    #[inline(always)]
    pub fn put_back<const D: usize>(&mut self, held: &LaneSums<[[f64; LANES]; D]>) {
        self.sums.copy_from_slice(&held.sums);
        self.errors.copy_from_slice(&held.errors);
        self.weight = held.weight;
        self.weight_error = held.weight_error;
    }

    /// Adds every lane to `total` (empty or not), in lane order: each sum
    /// less its origin (exact), with its error term.
    pub fn add_to(&self, origins: &Origins, total: &mut WeightedSums) {
        let dim = self.sums.len();
        let mut sums = vec![0.0; dim];
        let mut errors = vec![0.0; dim];
        for l in 0..LANES {
            for j in 0..dim {
                sums[j] = self.sums[j][l] - origins.coordinates[j];
                errors[j] = self.errors[j][l];
            }
            total.add_subtotal(WeightedSubtotal::<f64> {
                sums: &sums,
                errors: &errors,
                weight: self.weight[l] - origins.weight,
                weight_error: self.weight_error[l],
                members: Members::Mixed,
            });
        }
    }
}

/// [`two_product`] without its checks, branch-free: exact where
/// [`two_product_is_exact`].
#[inline(always)]
pub fn two_product_unchecked(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    let (a_hi, a_lo) = split(a);
    let (b_hi, b_lo) = split(b);
    (
        p,
        ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo,
    )
}

/// Whether Dekker's TwoProduct of `a` and `b` is exact, so that [`Split`]
/// and [`Fused`] agree: both factors below `2^995` in magnitude (Veltkamp's
/// split cannot overflow), and one of them 0 or else their product below
/// `2^1022` and their exponents adding up to at least `-969` (Boldo: no
/// partial product underflows, and the error is representable).
pub fn two_product_is_exact(a: f64, b: f64) -> bool {
    const SPLITTABLE: f64 = f64::from_bits((1023 + 995) << 52); // 2^995
    if !(a.abs() < SPLITTABLE && b.abs() < SPLITTABLE) {
        return false;
    }
    if a == 0.0 || b == 0.0 {
        return true;
    }
    let exponent = |x: f64| {
        let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
        if biased == 0 {
            // Subnormal: the exponent of its leading bit.
            -1074 + 63 - (x.to_bits() & ((1 << 52) - 1)).leading_zeros() as i32
        } else {
            biased - 1023
        }
    };
    let sum = exponent(a) + exponent(b);
    (-969..1021).contains(&sum)
}

/// The smallest nonzero and the largest magnitude among some values (the
/// smallest is infinite where every value is 0): what decides whether their
/// products are safe ([`products_are_safe`]).
///
/// ```
/// use fastmeanshift::exact::weighted::Magnitudes;
///
/// let m = Magnitudes::of([0.0, -3.0, 0.5]);
/// assert_eq!((m.smallest, m.largest), (0.5, 3.0));
/// assert_eq!(m.join(Magnitudes::of([8.0])).largest, 8.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Magnitudes {
    /// The smallest nonzero magnitude, or infinity.
    pub smallest: f64,
    /// The largest magnitude, or 0.
    pub largest: f64,
}

impl Magnitudes {
    /// Those of no values at all.
    pub const NONE: Magnitudes = Magnitudes {
        smallest: f64::INFINITY,
        largest: 0.0,
    };

    /// Those of `values`.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        values.into_iter().fold(Self::NONE, |m, x| {
            let x = x.abs();
            Magnitudes {
                smallest: if x == 0.0 {
                    m.smallest
                } else {
                    m.smallest.min(x)
                },
                largest: m.largest.max(x),
            }
        })
    }

    /// Those of `values`, as [`Magnitudes::of`] gives them, in [`LANES`]
    /// lanes: comparisons that vectorise, where `f64::min` and `f64::max`
    /// (which handle NaN) do not. A NaN is passed over, as by those.
    pub fn of_slice<C: Coord>(values: &[C]) -> Self {
        let mut smallest = [f64::INFINITY; LANES];
        let mut largest = [0.0; LANES];
        let mut chunks = values.chunks_exact(LANES);
        for chunk in &mut chunks {
            for (l, x) in chunk.iter().enumerate() {
                let x = x.to_f64().abs();
                let nonzero = if x == 0.0 { f64::INFINITY } else { x };
                smallest[l] = if nonzero < smallest[l] {
                    nonzero
                } else {
                    smallest[l]
                };
                largest[l] = if x > largest[l] { x } else { largest[l] };
            }
        }
        let rest = Self::of(chunks.remainder().iter().map(|x| x.to_f64()));
        smallest
            .iter()
            .zip(&largest)
            .map(|(&smallest, &largest)| Magnitudes { smallest, largest })
            .fold(rest, Self::join)
    }

    /// Those of both sets of values together (in any order: min and max).
    pub fn join(self, other: Self) -> Self {
        Magnitudes {
            smallest: self.smallest.min(other.smallest),
            largest: self.largest.max(other.largest),
        }
    }
}

/// Whether products of weights and coordinates of these magnitudes are safe
/// to form in batches: for the flat kernel's node totals,
/// [`two_product_is_exact`] for every `w * x`, so that one fused
/// multiply-add gives its error; for the other kernels' lane sums, terms
/// `w * k * x` (a profile `k` of 0 or in `[2^-53, 1]`) whose errors are far
/// from underflow and whose [`Origins`] are finite. The smallest weight,
/// and its product with the smallest coordinate, must be at least `2^-900`
/// (so exponents add up to at least `-900 - 53 - 2 > -969`), and the
/// largest of each, and their product, below `1e290` (far from `2^995`).
///
/// ```
/// use fastmeanshift::exact::weighted::{products_are_safe, Magnitudes};
///
/// assert!(products_are_safe(Magnitudes::of([1.0]), Magnitudes::of([-2.5, 1e3])));
/// assert!(!products_are_safe(Magnitudes::of([1e295]), Magnitudes::of([1.0])));
/// ```
pub fn products_are_safe(weights: Magnitudes, coordinates: Magnitudes) -> bool {
    const LARGE: f64 = 1.0e290;
    const SMALL: f64 = f64::from_bits((1023 - 900) << 52); // 2^-900
    let (w, x) = (weights, coordinates);
    w.smallest >= SMALL
        && w.smallest * x.smallest >= SMALL
        && w.largest < LARGE
        && x.largest < LARGE
        && w.largest * x.largest < LARGE
}

#[cfg(test)]
impl LaneSums {
    /// Every running sum and error term, as bits.
    pub(crate) fn bits(&self) -> Vec<u64> {
        let lanes = self.sums.iter().chain(&self.errors);
        let lanes = lanes.chain([&self.weight, &self.weight_error]);
        lanes.flatten().map(|x| x.to_bits()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::summation::{CoordinateSums, Summation};
    use crate::testing::noise;

    /// Random float64s of every binade, subnormals and zeros of both signs
    /// included: a random sign, exponent field and fraction.
    fn any_finite(seed: u64, n: usize) -> Vec<f64> {
        let raw = noise(seed, 3 * n);
        raw.chunks_exact(3)
            .map(|r| {
                let (sign, field, fraction) = (r[0] < 0.5, (r[1] * 2047.0) as u64, r[2]);
                let bits = ((fraction * (1u64 << 52) as f64) as u64) | (field.min(2046) << 52);
                let x = f64::from_bits(bits | if sign { 1 << 63 } else { 0 });
                // Some exact zeros, and some values at the domain's edges.
                match (r[2] * 64.0) as u32 {
                    0 => 0.0,
                    1 => -0.0,
                    _ => x,
                }
            })
            .collect()
    }

    #[test]
    fn fused_and_split_products_agree_wherever_exact() {
        let (a, b) = (any_finite(1, 400_000), any_finite(2, 400_000));
        let mut exact = 0;
        for (&a, &b) in a.iter().zip(&b) {
            // Also b scaled so that the exponents add up near the limits.
            let edge = b * 2f64.powi(-969 - exponent(a) - exponent(b)).min(f64::MAX);
            for b in [b, edge, edge * 0.75, edge * 2.0] {
                if !two_product_is_exact(a, b) {
                    continue;
                }
                exact += 1;
                let (split, fused) = (Split::two_product(a, b), Fused::two_product(a, b));
                assert_eq!(split.0.to_bits(), fused.0.to_bits(), "{a:e} * {b:e}");
                assert_eq!(split.1.to_bits(), fused.1.to_bits(), "{a:e} * {b:e}");
                assert_eq!(split.1, a.mul_add(b, -split.0));
            }
        }
        // Enough of the domain was tried, subnormal factors included.
        assert!(exact > 200_000, "{exact}");
        let tiny = f64::from_bits(3); // subnormal
        assert!(two_product_is_exact(tiny, 2f64.powi(200)));
        assert_eq!(Split::two_product(tiny, 2f64.powi(200)).1, 0.0);
        assert!(!two_product_is_exact(tiny, 1.0));
        assert!(!two_product_is_exact(1e300, 1.0));
    }

    fn exponent(x: f64) -> i32 {
        if x == 0.0 {
            0
        } else {
            x.abs().log2().floor() as i32
        }
    }

    #[test]
    fn magnitudes_of_a_slice_are_those_of_its_values() {
        let values: Vec<f64> = any_finite(5, 40)
            .into_iter()
            .enumerate()
            .map(|(i, x)| match i % 7 {
                0 => 0.0,
                3 => -0.0,
                5 => f64::NAN,
                _ => x,
            })
            .collect();
        for len in 0..values.len() {
            for start in [0, 3] {
                let part = &values[start.min(len)..len];
                let by_lanes = Magnitudes::of_slice(part);
                let one_by_one = Magnitudes::of(part.iter().copied());
                assert_eq!(by_lanes, one_by_one, "{part:?}");
            }
        }
        let single: Vec<f32> = vec![0.0, -2.5, 1e-30, 3.0e38, 7.0, 0.0, 1.0, 2.0, -4.0];
        assert_eq!(
            Magnitudes::of_slice(&single),
            Magnitudes::of(single.iter().map(|&x| f64::from(x)))
        );
    }

    #[test]
    fn the_checked_two_product_is_exact() {
        for (a, b) in [
            (0.1, 3.0),
            (1.0 / 3.0, 0.7),
            (1e300, 1e-5),
            (12345.678, 1e-3),
        ] {
            let (p, e) = two_product(a, b);
            assert_eq!(p, a * b);
            assert_eq!(e, a.mul_add(b, -p), "{a} * {b}");
        }
        assert_eq!(two_product(2.0, 0.5), (1.0, 0.0));
    }

    #[test]
    fn integer_weights_add_like_repeated_points() {
        let points = [[0.1, 3.3], [0.7, -1.1], [1e-3, 2.5]];
        let weights = [3.0, 1.0, 5.0];
        let mut weighted = WeightedSums::new(2);
        let mut repeated = CoordinateSums::new(2, Summation::Compensated);
        for (p, &w) in points.iter().zip(&weights) {
            weighted.add(p, w, 0.0);
            (0..w as usize).for_each(|_| repeated.add(p));
        }
        assert_eq!(weighted.weight(), 9.0);
        for j in 0..2 {
            let (a, b): (f64, f64) = (weighted.mean(j, true), repeated.mean(j));
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn copies_of_one_point_follow_numpy_for_the_flat_kernel() {
        let mut sums = WeightedSums::new(1);
        sums.add(&[0.1], 2.0, 0.0);
        sums.add(&[0.2], 0.0, 0.0);
        sums.add(&[0.1], 1.0, 0.0);
        assert_eq!(sums.mean::<f64>(0, true), 0.10000000000000002);
        sums.clear();
        sums.add(&[0.1], 2.5, 0.0);
        assert_eq!(sums.mean::<f64>(0, true), 0.1);
    }

    #[test]
    fn order_and_grouping_do_not_change_the_mean() {
        let points = [[0.1], [0.7], [1e-3], [0.3], [5.5], [1.1]];
        let c = [0.37, 1.9, 0.01, 2.2, 0.5, 0.75];
        let mut forward = WeightedSums::new(1);
        let mut backward = WeightedSums::new(1);
        points
            .iter()
            .zip(&c)
            .for_each(|(p, &c)| forward.add(p, c, 0.0));
        points
            .iter()
            .zip(&c)
            .rev()
            .for_each(|(p, &c)| backward.add(p, c, 0.0));
        let mut half = WeightedSums::new(1);
        points[3..]
            .iter()
            .zip(&c[3..])
            .for_each(|(p, &c)| half.add(p, c, 0.0));
        let mut grouped = WeightedSums::new(1);
        grouped.add_subtotal(half.subtotal::<f64>(Members::Mixed));
        points[..3]
            .iter()
            .zip(&c)
            .for_each(|(p, &c)| grouped.add(p, c, 0.0));
        let bits = |s: &WeightedSums| s.mean::<f64>(0, true).to_bits();
        assert_eq!(bits(&forward), bits(&backward));
        assert_eq!(bits(&forward), bits(&grouped));
        assert_eq!(forward.weight(), compensated_sum(&c));
    }
}
