//! Sums that are exact until they are read, then correctly rounded: a
//! value held as a sum of non-overlapping float64 partials (Shewchuk's
//! expansion, as Python's `math.fsum` keeps it), so that the result is the
//! exact sum rounded once, half to even, whatever the order of the terms,
//! with no exception for near-ties (docs/algorithm.md §13.4).

/// An exact running sum of finite float64 values.
///
/// ```
/// use fastmeanshift::exact::expansion::ExactSum;
///
/// let mut sum = ExactSum::default();
/// for x in [1e100, 1.0, -1e100, 1e-100] {
///     sum.add(x);
/// }
/// assert_eq!(sum.value(), 1.0 + 1e-100);
/// let mut other = ExactSum::default();
/// other.add(0.1);
/// sum.add_sum(&other);
/// assert_eq!(sum.value(), 1.1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    /// The partials below the top one: non-overlapping, in increasing
    /// magnitude. Most sums need none, and then no heap memory.
    lower: Vec<f64>,
    /// The largest partial (0 for an empty sum, which changes nothing).
    top: f64,
}

impl ExactSum {
    /// Back to 0, keeping its buffer.
    pub fn clear(&mut self) {
        self.lower.clear();
        self.top = 0.0;
    }

    /// Adds `x` (finite; sums beyond the float64 range are unspecified).
    pub fn add(&mut self, mut x: f64) {
        let mut kept = 0;
        for k in 0..=self.lower.len() {
            let mut y = if k < self.lower.len() {
                self.lower[k]
            } else {
                self.top
            };
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                match self.lower.get_mut(kept) {
                    Some(slot) => *slot = low,
                    None => self.lower.push(low),
                }
                kept += 1;
            }
            x = high;
        }
        self.lower.truncate(kept);
        self.top = x;
    }

    /// Adds every term of `other`.
    pub fn add_sum(&mut self, other: &ExactSum) {
        for &x in &other.lower {
            self.add(x);
        }
        self.add(other.top);
    }

    /// The exact sum, rounded once to float64 (half to even).
    pub fn value(&self) -> f64 {
        let p = &self.lower;
        let mut n = p.len();
        let mut high = self.top;
        let mut low = 0.0;
        while n > 0 {
            let x = high;
            n -= 1;
            let y = p[n];
            high = x + y;
            low = y - (high - x);
            if low != 0.0 {
                break;
            }
        }
        // `high + low` was rounded to `high` at exactly half an ulp, the way
        // the partials below `low` say is wrong: round the other way.
        if n > 0 && ((low < 0.0 && p[n - 1] < 0.0) || (low > 0.0 && p[n - 1] > 0.0)) {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halfway_cases_round_to_even_as_fsum_does() {
        // 1 + 2^-53 is halfway between 1 and its successor: to even (1); a
        // further 2^-106 tips it up.
        let mut sum = ExactSum::default();
        sum.add(1.0);
        sum.add(2f64.powi(-53));
        assert_eq!(sum.value(), 1.0);
        sum.add(2f64.powi(-106));
        assert_eq!(sum.value(), 1.0 + f64::EPSILON);
        assert_eq!(ExactSum::default().value(), 0.0);
    }

    #[test]
    fn order_does_not_matter() {
        let terms: Vec<f64> = (0..200)
            .map(|i| ((i * 7919 % 101) as f64 - 50.0) / 3.0 * 1e-3f64.powi(i % 4))
            .collect();
        let mut forward = ExactSum::default();
        terms.iter().for_each(|&x| forward.add(x));
        let mut backward = ExactSum::default();
        terms.iter().rev().for_each(|&x| backward.add(x));
        assert_eq!(forward.value().to_bits(), backward.value().to_bits());
    }
}
