//! `estimate_bandwidth` (SPEC.md §3): the mean distance from each point to its
//! k-th nearest neighbour (itself included), k = max(1, floor(n * quantile)).

use rayon::prelude::*;

use crate::error::{try_filled, Error, Result};
use crate::parallel::{StopCheck, Workers};
use crate::points::{squared_distance, Coord, Points};

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
        .fold(0.0, |acc, batch| acc + pairwise_sum(batch));
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

/// NumPy's pairwise summation of a contiguous float64 array, so the total
/// matches `np.max(d, axis=1).sum()` bit for bit.
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0, |s, &x| s + x)
    } else if n <= BLOCK {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        for chunk in a[8..whole].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let head = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        a[whole..].iter().fold(head, |s, &x| s + x)
    } else {
        let half = n / 2;
        let half = half - half % 8;
        pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
    }
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

    #[test]
    fn pairwise_sum_follows_numpy_blocks() {
        let a: Vec<f64> = (0..1000).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let sequential: f64 = a.iter().sum();
        assert!((pairwise_sum(&a) - sequential).abs() < 1e-12);
        assert_eq!(
            pairwise_sum(&a[..5]),
            a[..5].iter().fold(0.0, |s, &x| s + x)
        );
    }
}
