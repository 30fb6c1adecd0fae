//! `estimate_bandwidth` (SPEC.md §3): the mean distance from each point to its
//! k-th nearest neighbour (itself included), k = max(1, floor(n * quantile)).

use rayon::prelude::*;

use crate::error::{try_filled, Error, Result};
use crate::parallel::{StopCheck, Workers};
use crate::points::{squared_distance, Coord, Points};
use crate::summation::numpy_pairwise_sum;

/// scikit-learn sums the k-th distances in batches of this many points.
const BATCH: usize = 500;

pub fn estimate_bandwidth<T: Coord>(
    points: Points<T>,
    quantile: f64,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<f64> {
    let n = points.len();
    if n == 0 {
        return Err(Error::InvalidInput(
            "cannot estimate a bandwidth from no points".into(),
        ));
    }
    if !(0.0..=1.0).contains(&quantile) {
        return Err(Error::InvalidInput(format!(
            "quantile must be in [0, 1], got {quantile}"
        )));
    }
    let k = ((n as f64 * quantile) as usize).clamp(1, n);
    let kth = kth_neighbour_distances(points, k, workers, stop)?;
    let total = kth
        .chunks(BATCH)
        .fold(0.0, |acc, b| acc + numpy_pairwise_sum(b.len(), &|i| b[i]));
    Ok(total / n as f64)
}

/// For every point, the distance to its k-th nearest point (itself first).
///
/// Exact selection over all squared distances: O(n) per point, a quick
/// `select_nth_unstable` instead of scikit-learn's heap of k neighbours.
fn kth_neighbour_distances<T: Coord>(
    points: Points<T>,
    k: usize,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Vec<f64>> {
    let n = points.len();
    let mut kth = try_filled(n, 0.0f64)?;
    workers.in_chunks(n, 16, stop, |range| {
        kth[range.clone()].par_iter_mut().enumerate().for_each_init(
            || (vec![0.0; points.dim()], vec![0.0; n]),
            |(q, distances), (offset, slot)| {
                for (x, &p) in q.iter_mut().zip(points.row(range.start + offset)) {
                    *x = p.to_f64();
                }
                for (j, d) in distances.iter_mut().enumerate() {
                    *d = squared_distance(q, points.row(j));
                }
                let (_, kth2, _) = distances.select_nth_unstable_by(k - 1, f64::total_cmp);
                *slot = kth2.sqrt();
            },
        );
    })?;
    Ok(kth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;

    fn estimate(data: &[f64], dim: usize, quantile: f64) -> f64 {
        let p = Points::new(data, dim).unwrap();
        estimate_bandwidth(p, quantile, &Workers::new(2).unwrap(), &never_stop).unwrap()
    }

    #[test]
    fn sklearn_docstring_example() {
        // sklearn: estimate_bandwidth([[1,1],[2,1],[1,0],[4,7],[3,5],[3,6]], quantile=0.5) == 1.61...
        let data = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
        let expected = (1.0 + 3.0 * 2f64.sqrt() + 2.0 * 5f64.sqrt()) / 6.0;
        assert!((estimate(&data, 2, 0.5) - expected).abs() < 1e-15);
    }

    #[test]
    fn duplicates_and_single_points_give_zero() {
        assert_eq!(estimate(&[3.0], 1, 0.3), 0.0);
        assert_eq!(
            estimate(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0], 1, 0.3),
            0.0
        );
    }

    #[test]
    fn quantile_one_is_the_farthest_point() {
        assert_eq!(estimate(&[0.0, 1.0, 3.0], 1, 1.0), (3.0 + 2.0 + 3.0) / 3.0);
    }
}
