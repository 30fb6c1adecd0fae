//! Per-coordinate compensated summation (docs/algorithm.md §6.3, §6.4).
//!
//! Each coordinate keeps a running sum and the exact rounding error of every
//! addition (Knuth's TwoSum), so the total is the correctly rounded sum of the
//! points except in astronomically rare near-ties. A mean therefore does not
//! depend on the order its points are visited in: two balls holding the same
//! points give the same bits, whichever traversal (ours, scikit-learn's, or
//! the reference implementation's `math.fsum`) produced them. That matters
//! because a mean one ulp off can move a boundary point in or out of the next
//! ball (decimal-grid data hits such exact ties often).
//!
//! The one set whose NumPy mean is order-free too is a set of copies of one
//! point; its mean is reproduced exactly as NumPy computes it (see
//! [`numpy_mean_of_copies`]): it can differ from the point itself, which
//! decides whether a zero-bandwidth climb stays on it.

use crate::points::Coord;

/// How coordinate sums are accumulated for one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summation {
    /// Every value is a multiple of one power of two and no sum of them can
    /// outgrow the 53-bit significand (integer pixels, dyadic grids): plain
    /// addition is exact, hence order-free, and needs no error terms.
    Exact,
    /// TwoSum compensation for everything else.
    Compensated,
}

/// What decides a set of values' [`Summation`]: how many there are, and
/// the lowest and highest set bits among them. Parts of a set, found apart
/// (in parallel), are [`ValueBits::join`]ed in any order.
///
/// ```
/// use fastmeanshift::exact::summation::{Summation, ValueBits};
///
/// let pixels = ValueBits::of([0.0, 255.0].into_iter()).join(ValueBits::of([17.0].into_iter()));
/// assert_eq!(pixels.summation(), Summation::Exact);
/// let decimals = pixels.join(ValueBits::of([0.1].into_iter()));
/// assert_eq!(decimals.summation(), Summation::Compensated);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueBits {
    n: u64,
    /// The lowest and highest set bits' exponents (`i32::MAX` and
    /// `i32::MIN` while every value is 0).
    low: i32,
    high: i32,
}

impl ValueBits {
    /// No values.
    pub const NONE: ValueBits = ValueBits {
        n: 0,
        low: i32::MAX,
        high: i32::MIN,
    };

    /// The bits of `values` (all finite).
    pub fn of(values: impl Iterator<Item = f64>) -> ValueBits {
        let mut bits = ValueBits::NONE;
        for x in values {
            bits.n += 1;
            if x == 0.0 {
                continue;
            }
            let (lowest_bit, highest_bit) = bit_exponents(x);
            bits.low = bits.low.min(lowest_bit);
            bits.high = bits.high.max(highest_bit);
        }
        bits
    }

    /// The bits of both sets of values.
    pub fn join(self, other: ValueBits) -> ValueBits {
        ValueBits {
            n: self.n + other.n,
            low: self.low.min(other.low),
            high: self.high.max(other.high),
        }
    }

    /// The cheapest summation that is order-free for any subset of the
    /// values. A sum of `n` values, each a multiple of `2^low` and below
    /// `2^(high+1)` in magnitude, is a multiple of `2^low` below
    /// `n * 2^(high+1)`: exact if that span fits in 53 bits.
    pub fn summation(self) -> Summation {
        if self.low == i32::MAX {
            return Summation::Exact;
        }
        let count_bits = 64 - self.n.saturating_sub(1).leading_zeros() as i32;
        if count_bits + self.high + 1 - self.low <= 53 {
            Summation::Exact
        } else {
            Summation::Compensated
        }
    }
}

/// The exponents of the lowest and highest set bits of a finite, nonzero `x`.
fn bit_exponents(x: f64) -> (i32, i32) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (significand, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let lowest = exponent + significand.trailing_zeros() as i32;
    let highest = exponent + 63 - significand.leading_zeros() as i32;
    (lowest, highest)
}

/// The coordinate sums of a group of points, precomputed (a tree node's).
#[derive(Debug, Clone, Copy)]
pub struct Subtotal<'a, T> {
    /// How many points.
    pub count: usize,
    /// The running sum of each coordinate.
    pub sums: &'a [f64],
    /// The rounding error each running sum carries (zero for exact sums).
    pub errors: &'a [f64],
    /// The point every member is a copy of, if they all coincide.
    pub copies_of: Option<&'a [T]>,
}

/// The running coordinate sums of the points of one ball, order-free: see
/// the module's documentation.
///
/// ```
/// use fastmeanshift::exact::summation::{CoordinateSums, Summation};
///
/// let mut sums = CoordinateSums::new(1, Summation::Compensated);
/// for x in [1e16, 1.0, -1e16, 1.0] {
///     sums.add(&[x]);
/// }
/// assert_eq!(sums.count(), 4);
/// assert_eq!(sums.mean::<f64>(0), 0.5); // a plain sum in this order gives 0.25
/// ```
pub struct CoordinateSums {
    summation: Summation,
    sums: Vec<f64>,
    errors: Vec<f64>,
    count: usize,
    /// The first point added, and whether every point since was a copy of it.
    first: Vec<f64>,
    copies: bool,
}

impl CoordinateSums {
    /// No points yet, in `dim` coordinates.
    pub fn new(dim: usize, summation: Summation) -> Self {
        CoordinateSums {
            summation,
            sums: vec![0.0; dim],
            errors: vec![0.0; dim],
            count: 0,
            first: vec![0.0; dim],
            copies: true,
        }
    }

    /// Back to no points.
    pub fn clear(&mut self) {
        self.sums.fill(0.0);
        self.errors.fill(0.0);
        self.count = 0;
        self.copies = true;
    }

    /// How many points were added.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The sums so far, as a subtotal another accumulator can add.
    pub fn subtotal(&self) -> Subtotal<'_, f64> {
        Subtotal {
            count: self.count,
            sums: &self.sums,
            errors: &self.errors,
            copies_of: (self.copies && self.count > 0).then_some(self.first.as_slice()),
        }
    }

    /// Adds one point.
    #[inline(always)]
    pub fn add<T: Coord>(&mut self, point: &[T]) {
        if self.count == 0 {
            for (f, &x) in self.first.iter_mut().zip(point) {
                *f = x.to_f64();
            }
        } else if self.copies {
            // Once a point differs this branch is never taken again.
            self.copies = self.first.iter().zip(point).all(|(&f, &x)| f == x.to_f64());
        }
        self.count += 1;
        match self.summation {
            Summation::Exact => {
                for (s, &x) in self.sums.iter_mut().zip(point) {
                    *s += x.to_f64();
                }
            }
            Summation::Compensated => {
                for ((s, e), &x) in self.sums.iter_mut().zip(self.errors.iter_mut()).zip(point) {
                    two_sum_into(s, e, x.to_f64(), 0.0);
                }
            }
        }
    }

    /// Adds a group of points at once: O(dim), whatever its size.
    #[inline]
    pub fn add_subtotal<T: Coord>(&mut self, group: Subtotal<'_, T>) {
        if group.count == 0 {
            return;
        }
        match group.copies_of {
            None => self.copies = false,
            Some(point) if self.count == 0 => {
                for (f, &x) in self.first.iter_mut().zip(point) {
                    *f = x.to_f64();
                }
            }
            Some(point) => {
                self.copies =
                    self.copies && self.first.iter().zip(point).all(|(&f, &x)| f == x.to_f64());
            }
        }
        self.count += group.count;
        match self.summation {
            Summation::Exact => {
                for (s, &x) in self.sums.iter_mut().zip(group.sums) {
                    *s += x;
                }
            }
            Summation::Compensated => {
                let terms = group.sums.iter().zip(group.errors);
                for ((s, e), (&x, &x_error)) in
                    self.sums.iter_mut().zip(self.errors.iter_mut()).zip(terms)
                {
                    two_sum_into(s, e, x, x_error);
                }
            }
        }
    }

    /// The mean of coordinate `j` over the points added, in the data's type
    /// (NaN when empty). Copies of one point average as NumPy averages them,
    /// bit for bit; any other set to its correctly rounded mean.
    ///
    /// NumPy sums in the data's type, so a sum beyond that type's range makes
    /// its mean infinite even where the mean itself would fit (scikit-learn
    /// then fails on it); here too. The rule is that the sum, correctly
    /// rounded, is beyond the range: float32 sums are carried in f64, where
    /// they cannot overflow, and a float64 one overflows when its running sum
    /// does. (NumPy's partial sums, in its summation order, can overflow where
    /// the whole sum does not, with huge coordinates of both signs:
    /// docs/user_guide/known_limits.md.)
    #[inline]
    pub fn mean<T: Coord>(&self, j: usize) -> T {
        if self.copies {
            return numpy_mean_of_copies(T::from_f64(self.first[j]), self.count, self.first.len());
        }
        let sum = self.sums[j] + self.errors[j];
        let sum_in_type = T::from_f64(sum);
        if !sum_in_type.to_f64().is_finite() {
            return sum_in_type;
        }
        T::from_f64(sum / self.count as f64)
    }
}

/// Adds `x` (with its own error term `x_error`) to the running sum `s`,
/// collecting the rounding error of the addition (Knuth's TwoSum) in `e`.
#[inline(always)]
pub(crate) fn two_sum_into(s: &mut f64, e: &mut f64, x: f64, x_error: f64) {
    let t = *s + x;
    let z = t - *s;
    *e += ((*s - (t - z)) + (x - z)) + x_error;
    *s = t;
}

/// NumPy's pairwise summation of `len` values `at(0..len)`, in the values'
/// own type: what `np.add.reduce` computes along a contiguous axis.
pub fn numpy_pairwise_sum<T: Coord>(len: usize, at: &impl Fn(usize) -> T) -> T {
    pairwise_block(0, len, at)
}

fn pairwise_block<T: Coord>(start: usize, len: usize, at: &impl Fn(usize) -> T) -> T {
    const BLOCK: usize = 128;
    let zero = T::from_f64(0.0);
    if len < 8 {
        (start..start + len).fold(zero, |s, i| s + at(i))
    } else if len <= BLOCK {
        let mut r: [T; 8] = std::array::from_fn(|j| at(start + j));
        let whole = len - len % 8;
        for block in (8..whole).step_by(8) {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc = *acc + at(start + block + j);
            }
        }
        let head = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        (start + whole..start + len).fold(head, |s, i| s + at(i))
    } else {
        let half = len / 2;
        let half = half - half % 8;
        pairwise_block(start, half, at) + pairwise_block(start + half, len - half, at)
    }
}

/// `np.mean` over axis 0 of `copies` identical rows, for one coordinate `x`.
///
/// Unlike a general mean, whose rounding depends on the order scikit-learn's
/// tree visits the points, the mean of copies does not, so it is reproduced
/// exactly: NumPy sums a single column pairwise and wider rows one after the
/// other, in the data's type, then divides in that type. It need not give `x`
/// back (three copies of 0.1 average to 0.10000000000000002), which decides
/// whether a zero-bandwidth climb stays on its point.
pub fn numpy_mean_of_copies<T: Coord>(x: T, copies: usize, dim: usize) -> T {
    let total = if dim == 1 {
        numpy_pairwise_sum(copies, &|_| x)
    } else {
        (0..copies).fold(T::from_f64(0.0), |s, _| s + x)
    };
    total / T::from_f64(copies as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_summation_only_where_no_sum_can_round() {
        let exact = |v: &[f64]| ValueBits::of(v.iter().copied()).summation() == Summation::Exact;
        assert!(exact(&[0.0, 255.0, 17.0, 3.0]), "pixels");
        assert!(exact(&[0.5, -0.25, 1024.0]), "dyadic fractions");
        assert!(exact(&[]) && exact(&[0.0, -0.0]));
        assert!(!exact(&[0.1, 0.2]), "decimal fractions round");
        assert!(!exact(&[1.0, 2f64.powi(-60)]), "a span beyond 53 bits");
        // Two values span 52 bits: their sum needs at most 53.
        assert!(exact(&[2f64.powi(51), 1.0]));
        assert!(!exact(&[2f64.powi(52), 1.0]), "the bound is conservative");
        assert!(exact(&vec![1.0; 1 << 20]));
        assert!(!exact(&vec![2f64.powi(40) + 1.0; 1 << 13]));
    }

    #[test]
    fn subtotals_add_like_their_points() {
        let points = [[0.1, 3.0], [0.7, -1.0], [1e-3, 2.5], [5.5, 0.25]];
        let mut one_by_one = CoordinateSums::new(2, Summation::Compensated);
        points.iter().for_each(|p| one_by_one.add(p));
        let (mut left, mut right) = (
            CoordinateSums::new(2, Summation::Compensated),
            CoordinateSums::new(2, Summation::Compensated),
        );
        points[..1].iter().for_each(|p| left.add(p));
        points[1..].iter().rev().for_each(|p| right.add(p));
        let mut grouped = CoordinateSums::new(2, Summation::Compensated);
        grouped.add_subtotal(right.subtotal());
        grouped.add_subtotal(left.subtotal());
        assert_eq!(grouped.count(), 4);
        for j in 0..2 {
            assert_eq!(
                grouped.mean::<f64>(j).to_bits(),
                one_by_one.mean::<f64>(j).to_bits()
            );
        }
    }

    #[test]
    fn copies_survive_grouping_only_when_every_group_is_the_same_point() {
        let mut copies = CoordinateSums::new(1, Summation::Compensated);
        (0..3).for_each(|_| copies.add(&[0.1]));
        let mut sums = CoordinateSums::new(1, Summation::Compensated);
        sums.add_subtotal(copies.subtotal());
        sums.add(&[0.1]);
        sums.add_subtotal(copies.subtotal());
        assert_eq!(sums.mean::<f64>(0), numpy_mean_of_copies(0.1, 7, 1));
        sums.add(&[0.2]);
        let mut one_by_one = CoordinateSums::new(1, Summation::Compensated);
        (0..7).for_each(|_| one_by_one.add(&[0.1]));
        one_by_one.add(&[0.2]);
        assert_eq!(sums.mean::<f64>(0), one_by_one.mean::<f64>(0));
    }

    #[test]
    fn copies_average_as_numpy_does() {
        let mut sums = CoordinateSums::new(2, Summation::Compensated);
        for _ in 0..3 {
            sums.add(&[0.1, 0.5]);
        }
        assert_eq!(sums.mean::<f64>(0), 0.10000000000000002);
        sums.add(&[0.1, 0.25]);
        assert_eq!(
            sums.mean::<f64>(0),
            0.1,
            "not copies: the correctly rounded mean"
        );
        sums.clear();
        sums.add(&[0.1f32, 0.5]);
        assert_eq!(sums.mean::<f32>(1), 0.5);
    }

    #[test]
    fn mean_of_copies_follows_numpy() {
        // Values read off NumPy 2.4: np.mean(np.full((k, d), x), axis=0)[0].
        assert_eq!(numpy_mean_of_copies(0.1f64, 3, 2), 0.10000000000000002);
        assert_eq!(numpy_mean_of_copies(0.1f64, 3, 1), 0.10000000000000002);
        assert_eq!(numpy_mean_of_copies(0.7f64, 10, 2), 0.7000000000000001);
        assert_eq!(numpy_mean_of_copies(0.7f64, 10, 1), 0.7);
        assert_eq!(numpy_mean_of_copies(0.1f32, 3, 2), 0.1f32);
        assert_eq!(numpy_mean_of_copies(2.0f64, 1000, 1), 2.0);
    }

    #[test]
    fn pairwise_sum_follows_numpy_blocks() {
        let a: Vec<f64> = (0..1000).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let sequential: f64 = a.iter().sum();
        let pairwise = numpy_pairwise_sum(a.len(), &|i| a[i]);
        assert!((pairwise - sequential).abs() < 1e-12);
        assert_ne!(
            pairwise, sequential,
            "the blocks must change the rounding here"
        );
        let short = numpy_pairwise_sum(5, &|i| a[i]);
        assert_eq!(short, a[..5].iter().fold(0.0, |s, &x| s + x));
    }

    #[test]
    fn order_does_not_change_the_mean() {
        let values = [0.1, 0.7, 1e-3, 0.3, 0.002, 5.5, 0.003, 1.1, 2.2];
        let mut forward = CoordinateSums::new(1, Summation::Compensated);
        let mut backward = CoordinateSums::new(1, Summation::Compensated);
        values.iter().for_each(|v| forward.add(&[*v]));
        values.iter().rev().for_each(|v| backward.add(&[*v]));
        let (f, b): (f64, f64) = (forward.mean(0), backward.mean(0));
        assert_eq!(f.to_bits(), b.to_bits());
        let naive_forward: f64 = values.iter().sum();
        let naive_backward: f64 = values.iter().rev().sum();
        assert_ne!(
            naive_forward, naive_backward,
            "the example must need compensation"
        );
    }

    #[test]
    fn recovers_what_naive_summation_loses() {
        let mut sums = CoordinateSums::new(1, Summation::Compensated);
        for v in [1e16, 1.0, -1e16, 1.0] {
            sums.add(&[v]);
        }
        assert_eq!(sums.count(), 4);
        assert_eq!(sums.mean::<f64>(0), 0.5);
    }
}
