//! Per-coordinate compensated summation.
//!
//! Each coordinate keeps a running sum and the exact rounding error of every
//! addition (Knuth's TwoSum), so the total is the correctly rounded sum of the
//! points except in astronomically rare near-ties. A mean therefore does not
//! depend on the order its points are visited in: two balls holding the same
//! points give the same bits, whichever traversal (ours, scikit-learn's, or
//! the reference implementation's `math.fsum`) produced them. That matters
//! because a mean one ulp off can move a boundary point in or out of the next
//! ball (decimal-grid data hits such exact ties often).

use crate::points::Coord;

pub struct CoordinateSums {
    sums: Vec<f64>,
    errors: Vec<f64>,
    count: usize,
}

impl CoordinateSums {
    pub fn new(dim: usize) -> Self {
        CoordinateSums {
            sums: vec![0.0; dim],
            errors: vec![0.0; dim],
            count: 0,
        }
    }

    pub fn clear(&mut self) {
        self.sums.fill(0.0);
        self.errors.fill(0.0);
        self.count = 0;
    }

    pub fn count(&self) -> usize {
        self.count
    }

    #[inline(always)]
    pub fn add<T: Coord>(&mut self, point: &[T]) {
        self.count += 1;
        for ((s, e), &x) in self.sums.iter_mut().zip(self.errors.iter_mut()).zip(point) {
            let x = x.to_f64();
            let t = *s + x;
            let z = t - *s;
            *e += (*s - (t - z)) + (x - z);
            *s = t;
        }
    }

    /// The mean of coordinate `j` over the points added (NaN when empty).
    #[inline]
    pub fn mean(&self, j: usize) -> f64 {
        (self.sums[j] + self.errors[j]) / self.count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_change_the_mean() {
        let values = [0.1, 0.7, 1e-3, 0.3, 0.002, 5.5, 0.003, 1.1, 2.2];
        let mut forward = CoordinateSums::new(1);
        let mut backward = CoordinateSums::new(1);
        values.iter().for_each(|v| forward.add(&[*v]));
        values.iter().rev().for_each(|v| backward.add(&[*v]));
        assert_eq!(forward.mean(0).to_bits(), backward.mean(0).to_bits());
        let naive_forward: f64 = values.iter().sum();
        let naive_backward: f64 = values.iter().rev().sum();
        assert_ne!(
            naive_forward, naive_backward,
            "the example must need compensation"
        );
    }

    #[test]
    fn recovers_what_naive_summation_loses() {
        let mut sums = CoordinateSums::new(1);
        for v in [1e16, 1.0, -1e16, 1.0] {
            sums.add(&[v]);
        }
        assert_eq!(sums.count(), 4);
        assert_eq!(sums.mean(0), 0.5);
    }
}
