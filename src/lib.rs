//! Exact, parallel flat-kernel mean shift that reproduces scikit-learn 1.9.1's
//! `MeanShift` (see SPEC.md), one module per stage:
//!
//! - [`ball_search`]: exact closed-ball queries (the climbing hot path);
//! - [`nearest`]: nearest-centre queries on kiddo, dispatched on dimension;
//! - [`seeding`]: grid binning for `get_bin_seeds`;
//! - [`climbing`]: per-seed convergence, parallel with rayon;
//! - [`modes`]: intensity ordering and near-duplicate suppression;
//! - [`labels`]: label assignment;
//! - [`bandwidth`]: the bandwidth estimate.
//!
//! The Python binding lives in `python.rs`, behind the `python` feature.

pub mod ball_search;
pub mod bandwidth;
pub mod climbing;
pub mod error;
mod exact_keys;
pub mod labels;
pub mod modes;
pub mod nearest;
pub mod parallel;
pub mod points;
pub mod seeding;
mod step_cache;
pub mod summation;
#[doc(hidden)]
pub mod testing;

#[cfg(feature = "python")]
mod python;

pub use climbing::Seeds;
pub use error::{Error, Result};
pub use labels::Orphans;
pub use parallel::{Progress, StopCheck, Workers};
pub use points::{Coord, Points};

/// The parameters of one fit, as scikit-learn names them.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub bandwidth: f64,
    pub max_iter: u64,
    pub cluster_all: bool,
}

/// What a fit produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering<T> {
    /// Cluster centres, row-major, most intense first.
    pub centers: Vec<T>,
    /// One label per point: a centre's index, or -1 for an orphan.
    pub labels: Vec<i64>,
    /// The most iterations any seed took (dropped seeds included).
    pub n_iter: u64,
}

/// Mean shift clustering of `points` from `seeds` (SPEC.md §1 steps 3-7).
pub fn mean_shift<T: Coord>(
    points: Points<T>,
    seeds: Seeds,
    params: Params,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Clustering<T>> {
    let Params {
        bandwidth,
        max_iter,
        cluster_all,
    } = params;
    // An infinite bandwidth is an estimate that overflowed (data beyond about
    // 1e154): every point is then within it, as in scikit-learn.
    if bandwidth.is_nan() || bandwidth < 0.0 {
        return Err(Error::InvalidInput(format!(
            "bandwidth must be a number >= 0, got {bandwidth}"
        )));
    }
    if points.is_empty() {
        return Err(Error::InvalidInput("cannot cluster zero points".into()));
    }
    if let Seeds::Given(given) = seeds {
        if given.dim() != points.dim() {
            return Err(Error::InvalidInput(format!(
                "X has {} features, but NearestNeighbors is expecting {} features as input.",
                given.dim(),
                points.dim()
            )));
        }
        if given.is_empty() {
            return Err(Error::NoSeeds);
        }
        // A climb from a non-finite seed would end where it started and pass
        // for an overflowed mean.
        if given.as_slice().iter().any(|x| !x.is_finite()) {
            return Err(Error::InvalidInput("seeds must be finite numbers".into()));
        }
    }
    // The tree and the climbs are dropped before labelling, so that the
    // largest buffers of the two phases are never alive together.
    let climbed = {
        let tree = ball_search::BallSearch::new_parallel(points, workers)?;
        climbing::climb_all(&tree, seeds, bandwidth, max_iter, workers, stop)?
    };
    reject_overflowed_means(&climbed, points.dim())?;
    let n_iter = climbed
        .climbs
        .iter()
        .map(|c| c.iterations)
        .max()
        .unwrap_or(0);
    let seeds_climbed = Progress {
        done: climbed.climbs.len(),
        total: climbed.climbs.len(),
    };
    let centers = modes::find_modes(&climbed, points.dim(), bandwidth)?;
    drop(climbed);
    let orphans = if cluster_all {
        Orphans::Cluster
    } else {
        Orphans::Drop { bandwidth }
    };
    // Progress counts climbed seeds: labelling, short and counted in points,
    // keeps reporting every seed climbed.
    let labels = labels::assign_labels(
        points,
        Points::new(&centers, points.dim())?,
        orphans,
        workers,
        &|_| stop(seeds_climbed),
    )?;
    Ok(Clustering {
        centers,
        labels,
        n_iter,
    })
}

/// Means of coordinates near the limit of the data's type can overflow. A climb
/// ends on such a mean, kept or not: scikit-learn fails on it at its next ball
/// query, or on the centres if it was the last; infinite centres have no order
/// or distances to go on with.
fn reject_overflowed_means<T: Coord>(climbed: &climbing::Climbs<T>, dim: usize) -> Result<()> {
    let overflowed = climbed
        .centers
        .chunks_exact(dim)
        .any(|centre| centre.iter().any(|x| !x.to_f64().is_finite()));
    if overflowed {
        return Err(Error::MeanOverflow { dtype: T::NAME });
    }
    Ok(())
}

#[cfg(test)]
mod fuzzing;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;
    use crate::testing::blobs;

    fn fit<T: Coord>(
        data: &[T],
        dim: usize,
        seeds: Seeds,
        params: Params,
    ) -> Result<Clustering<T>> {
        let points = Points::new(data, dim).unwrap();
        mean_shift(
            points,
            seeds,
            params,
            &Workers::new(2).unwrap(),
            &never_stop,
        )
    }

    const BW2: Params = Params {
        bandwidth: 2.0,
        max_iter: 300,
        cluster_all: true,
    };

    #[test]
    fn dataset_b() {
        let data = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
        let got = fit(&data, 2, Seeds::EveryPoint, BW2).unwrap();
        assert_eq!(
            got.centers,
            vec![
                3.3333333333333335,
                6.0,
                1.3333333333333333,
                0.6666666666666666
            ]
        );
        assert_eq!(got.labels, vec![1, 1, 1, 0, 0, 0]);
        assert_eq!(got.n_iter, 2);
    }

    #[test]
    fn zero_bandwidth_keeps_exact_duplicates_apart() {
        let data = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0];
        let got = fit(
            &data,
            1,
            Seeds::EveryPoint,
            Params {
                bandwidth: 0.0,
                ..BW2
            },
        )
        .unwrap();
        assert_eq!(got.centers, vec![2.0, 1.0, 3.0]);
        assert_eq!(got.labels, vec![1, 1, 1, 0, 0, 0, 2, 2]);
    }

    #[test]
    fn orphans() {
        let data = [0.0, 0.5, 1.0, 50.0];
        let seeds = [0.5];
        let given = Seeds::Given(Points::new(&seeds, 1).unwrap());
        let all = fit(
            &data,
            1,
            given,
            Params {
                bandwidth: 1.0,
                ..BW2
            },
        )
        .unwrap();
        assert_eq!(all.labels, vec![0, 0, 0, 0]);
        let some = fit(
            &data,
            1,
            given,
            Params {
                bandwidth: 1.0,
                max_iter: 300,
                cluster_all: false,
            },
        );
        assert_eq!(some.unwrap().labels, vec![0, 0, 0, -1]);
    }

    #[test]
    fn no_point_near_any_seed() {
        let seeds = [100.0];
        let err = fit(
            &[0.0, 1.0],
            1,
            Seeds::Given(Points::new(&seeds, 1).unwrap()),
            BW2,
        );
        assert_eq!(err, Err(Error::NoPointWithinBandwidth { bandwidth: 2.0 }));
        assert!(err
            .unwrap_err()
            .to_string()
            .starts_with("No point was within bandwidth=2.000000 "));
    }

    #[test]
    fn infinite_bandwidth_is_one_cluster() {
        // An estimate that overflowed: every point is within it, even where
        // distances overflow to infinity, and every climb stops at once.
        let data = [1e308, -1e308, 5e307, 1.0];
        for cluster_all in [true, false] {
            let params = Params {
                bandwidth: f64::INFINITY,
                max_iter: 300,
                cluster_all,
            };
            let got = fit(&data, 1, Seeds::EveryPoint, params).unwrap();
            assert_eq!(got.centers, vec![(5e307 + 1.0) / 4.0]);
            assert_eq!(got.labels, vec![0, 0, 0, 0]);
            assert_eq!(got.n_iter, 0);
        }
        let nan = Params {
            bandwidth: f64::NAN,
            ..BW2
        };
        assert!(matches!(
            fit(&data, 1, Seeds::EveryPoint, nan),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn overflowing_means_are_an_error_in_the_data_type() {
        // float32 means whose float32 sum overflows, although the mean fits
        // (NumPy's mean, which scikit-learn takes, is then infinite).
        let data = [3e38f32, 3e38, 3.1e38];
        let wide = Params {
            bandwidth: 1e38,
            ..BW2
        };
        let err = fit(&data, 1, Seeds::EveryPoint, wide).unwrap_err();
        assert_eq!(err, Error::MeanOverflow { dtype: "float32" });
        assert!(err
            .to_string()
            .starts_with("A cluster mean overflowed float32: "));
        // The same values in float64 average fine.
        let data64 = data.map(f64::from);
        assert_eq!(
            fit(&data64, 1, Seeds::EveryPoint, wide).unwrap().labels,
            [0; 3]
        );
        // A float64 mean that overflows ends its climb, and the fit, whether its
        // next ball would be empty (bandwidth 1e308) or hold every point again
        // (an infinite one): no endless climb, even with no iteration limit.
        let huge = [1.7e308, 1.6e308];
        for bandwidth in [1e308, f64::INFINITY] {
            let params = Params {
                bandwidth,
                max_iter: u64::MAX,
                cluster_all: true,
            };
            assert_eq!(
                fit(&huge, 1, Seeds::EveryPoint, params),
                Err(Error::MeanOverflow { dtype: "float64" })
            );
        }
    }

    #[test]
    fn bad_seeds() {
        let seeds = [0.0, 0.0];
        let wide = Seeds::Given(Points::new(&seeds, 2).unwrap());
        assert!(matches!(
            fit(&[0.0, 1.0], 1, wide, BW2),
            Err(Error::InvalidInput(_))
        ));
        let none: [f64; 0] = [];
        let empty = Seeds::Given(Points::new(&none, 1).unwrap());
        assert_eq!(fit(&[0.0, 1.0], 1, empty, BW2), Err(Error::NoSeeds));
        let infinite = [f64::INFINITY];
        let infinite = Seeds::Given(Points::new(&infinite, 1).unwrap());
        assert!(matches!(
            fit(&[0.0, 1.0], 1, infinite, BW2),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn float32_three_blobs() {
        let data: Vec<f32> = blobs(1, 900, &[&[0.0, 0.0], &[5.0, 5.0], &[0.0, 5.0]], 0.5)
            .into_iter()
            .map(|x| x as f32)
            .collect();
        let got = fit(
            &data,
            2,
            Seeds::EveryPoint,
            Params {
                bandwidth: 1.5,
                ..BW2
            },
        )
        .unwrap();
        assert_eq!(got.centers.len(), 6);
        for (i, label) in got.labels.iter().enumerate() {
            assert_eq!(*label, got.labels[i % 3]);
        }
    }
}
