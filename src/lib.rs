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
///
/// Memory, beyond the caller's arrays: at most twice the input plus 64 bytes
/// a seed (and a fixed 8 MiB for the step cache), whatever the number of
/// seeds. Per point, the search tree (a u32 and a share of its nodes, freed
/// before mode collapse) and the int64 labels; per seed, its climbed centre,
/// a u32 intensity, a u32 for finding copies and 8 bytes of step cache;
/// while modes are collapsed and sorted, a u32 a seed and, per distinct
/// centre, 8 bytes and a copy of it; then kiddo's tree over the centres while
/// points are labelled. Checked by `benches/peak_memory.py` and
/// `tests/test_memory.py`.
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
    if !(bandwidth >= 0.0 && bandwidth.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "bandwidth must be a finite number >= 0, got {bandwidth}"
        )));
    }
    if points.is_empty() {
        return Err(Error::InvalidInput("cannot cluster zero points".into()));
    }
    if let Some((len, dim)) = seeds.given_shape() {
        if dim != points.dim() {
            return Err(Error::InvalidInput(format!(
                "X has {} features, but NearestNeighbors is expecting {} features as input.",
                dim,
                points.dim()
            )));
        }
        if len == 0 {
            return Err(Error::NoSeeds);
        }
    }
    // The tree is dropped once the seeds have climbed, and mode collapse
    // consumes the climbs, so that the largest buffers of the stages are
    // never alive together.
    let climbed = {
        let tree = ball_search::BallSearch::new_parallel(points, workers)?;
        climbing::climb_all(&tree, seeds, bandwidth, max_iter, workers, stop)?
    };
    reject_overflowed_means(&climbed, points.dim())?;
    let n_iter = climbed.n_iter;
    let seeds_climbed = Progress {
        done: climbed.intensities.len(),
        total: climbed.intensities.len(),
    };
    let centers = modes::find_modes(climbed, points.dim(), bandwidth, workers)?;
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

/// Means of coordinates near the float64 limit can overflow (scikit-learn then
/// fails too); infinite centres have no order or distances to go on with.
fn reject_overflowed_means<T: Coord>(climbed: &climbing::Climbs<T>, dim: usize) -> Result<()> {
    let kept = climbed
        .intensities
        .iter()
        .zip(climbed.centers.chunks_exact(dim));
    for (&intensity, centre) in kept {
        if intensity > 0 && centre.iter().any(|x| !x.to_f64().is_finite()) {
            return Err(Error::MeanOverflow);
        }
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
