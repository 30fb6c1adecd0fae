#![warn(missing_docs)]
//! Exact, parallel mean shift clustering that gives scikit-learn 1.9.1's
//! `MeanShift` results. The contract it keeps is `docs/algorithm.md`.
//!
//! One entry point, [`fit`], runs the whole pipeline from typed [`Options`]:
//! bandwidth → seeds → climb → modes → labels. The modules, by role:
//!
//! - the entry point and its inputs: [`fit`] (here), [`options`] (how the
//!   bandwidth and seeds are chosen), [`points`] (the caller's matrix, not
//!   copied), [`error`] (every way a fit can fail);
//! - the stages, in pipeline order: [`bandwidth`] (the estimate),
//!   [`seeding`] (grid bins), [`climbing`] (every seed's climb, with its
//!   shared step cache and the [`climbing::Weigher`] of neighbourhoods for
//!   kernels and weights), [`modes`] (collapse, order by intensity, suppress
//!   near duplicates), [`labels`] (nearest centre, orphans);
//! - the searches the stages run: [`search::ball`] (exact closed balls on a
//!   KD-tree with node totals) and [`search::nearest`] (nearest centres, on
//!   kiddo);
//! - exact arithmetic, in one place: [`exact::distance`] (the one distance
//!   formula and the bounds that decide membership as it would),
//!   [`exact::summation`] (sums whose result does not depend on order),
//!   `exact::interner` (exact coordinate keys);
//! - [`parallel`]: the workers of one call, and the stop check that makes
//!   every stage interruptible;
//! - [`distributed`]: a fit over chunks of rows held by different machines
//!   (a Dask cluster): per-chunk partial sums and bins, combined exactly.
//!
//! The Python binding, `python/`, is compiled only with the `python`
//! feature; nothing else in the crate knows about Python.

pub mod bandwidth;
pub mod climbing;
pub mod distributed;
pub mod error;
pub mod exact;
pub mod labels;
mod memory;
mod merge_sort;
pub mod modes;
pub mod options;
pub mod parallel;
pub mod points;
pub mod search;
pub mod seeding;
pub mod segmentation;
#[cfg(test)]
mod testing;

#[cfg(feature = "python")]
mod python;

pub use climbing::Seeds;
pub use error::{Error, Result};
pub use labels::{Assignment, Orphans};
pub use options::{Bandwidth, Kernel, Options, Seeding, Weights};
pub use parallel::{Progress, StopCheck, Task, Workers};
pub use points::{Coord, Points};
pub use seeding::Precision;

/// What a fit produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering<T> {
    /// Cluster centres, row-major, most intense first.
    pub centers: Vec<T>,
    /// One label per point: a centre's index, or -1 for an orphan.
    pub labels: Vec<i64>,
    /// The most iterations any seed took (dropped seeds included).
    pub n_iter: u64,
    /// The bandwidth used: the one given, or the estimate.
    pub bandwidth: f64,
    /// Where the climbs started.
    pub seeds: SeedsUsed,
}

/// Where a fit's climbs started, as decided from [`Seeding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedsUsed {
    /// Every point (asked for, or bin seeding with a zero bandwidth).
    EveryPoint,
    /// The given seeds.
    Given,
    /// This many grid cells.
    Bins(usize),
    /// Every point, because every point had a grid cell of its own
    /// (scikit-learn warns "Binning data failed").
    EveryPointForLackOfBins,
}

/// Mean shift clustering of `points` (docs/algorithm.md §2): bandwidth →
/// seeds → climb → modes → labels, on `options.threads` workers, calling
/// `stop` on the calling thread with the progress of the climb now and then
/// (returning `true` abandons the fit with [`Error::Interrupted`]).
///
/// Memory: beyond the caller's points, a fit holds at most about twice
/// their size plus 64 bytes a seed at any time: the search tree (a u32
/// index and its nodes; while it is built, each thread's copy of the rows of
/// the subtree it builds, at most an eighth of the rows and 32 MiB; with
/// the flat kernel and every point a seed, a copy of the rows in its order
/// where that bound leaves room or it takes at most 8 MiB, and then for each
/// thread beyond the first a copy of the tree and those rows where the
/// copies take at most 8 MiB in all), per seed its start, its climbed
/// centre and intensity and a step cache of 8 bytes (over a fixed floor),
/// the modes gathered within the climbed centres, one copy of the centres to
/// label with, and the int64 labels (`benches/peak_memory.py --many-seeds`).
/// Attractor labels count every point as a seed: every point's climb, kept
/// beside the seeds' climbs (the copy of the rows in order is made only
/// where the bound has room for both) or, where every point seeds, past the
/// modes, which are then copied out (docs/algorithm.md §12.3).
///
/// ```
/// use fastmeanshift::{fit, parallel::never_stop, Bandwidth, Options, Points};
///
/// let x = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
/// let options = Options::new(Bandwidth::given(2.0).unwrap());
/// let clustering = fit(Points::new(&x, 2).unwrap(), &options, &never_stop).unwrap();
/// assert_eq!(clustering.labels, [1, 1, 1, 0, 0, 0]);
/// assert_eq!(clustering.n_iter, 2);
/// ```
pub fn fit<T: Coord>(
    points: Points<T>,
    options: &Options,
    stop: StopCheck<'_>,
) -> Result<Clustering<T>> {
    if points.is_empty() {
        return Err(Error::InvalidInput("cannot cluster zero points".into()));
    }
    let weights = options.weights.map(|w| w.as_slice());
    if let Some(weights) = weights {
        if weights.len() != points.len() {
            return Err(Error::InvalidInput(format!(
                "{} weights for {} points",
                weights.len(),
                points.len()
            )));
        }
    }
    let workers = Workers::new(options.threads.get())?;
    // Between stages, a large fit gives back what the last one freed.
    let stage_done = || {
        if points.len() >= memory::LARGE_FIT {
            memory::release_free_memory();
        }
    };
    // Progress counts climbed seeds: none before the climbs, of as many as
    // there are points until the seeds are known; all of them after.
    let before_climbing = &|_| {
        stop(Progress {
            done: 0,
            total: points.len(),
        })
    };
    // The tree and the climbs are dropped before labelling, so that the
    // largest buffers of the two phases are never alive together.
    let (bandwidth, seeds, climbed, own) = {
        // With a bandwidth given, the bins do not wait for the tree: they
        // are binned beside its build, on the workers its first splits
        // leave idle (one part of many is binned at a time, and the last
        // wave of parts rarely fills every worker).
        let binned_beside = match (options.seeding, options.bandwidth.value()) {
            (
                Seeding::Bins {
                    min_bin_freq,
                    bin_size_precision,
                },
                Some(bandwidth),
            ) if bandwidth != 0.0 => Some((bandwidth, bin_size_precision, min_bin_freq)),
            _ => None,
        };
        // Bin seeding's bins, `bin_size` wide (the bandwidth), divided in
        // `precision` (of the bandwidth: float32 only over float32 points).
        let bin = |bin_size: f64, precision: Precision, min_bin_freq: u64, task: &Task| {
            seeding::bin_seeds_in(
                points,
                bin_size,
                precision.of_division::<T>(),
                usize::try_from(min_bin_freq).unwrap_or(usize::MAX),
                weights,
                task,
            )
        };
        // Every point a seed: the flat kernel's ball queries are most of the
        // fit, and so are those of a bandwidth estimated on the tree. They
        // read their leaves' rows in one run each from a copy in tree order,
        // where the memory bound has room for it. (The other kernels' climbs
        // read columns of their own.)
        let flat = options.kernel == Kernel::Flat;
        // `besides`: the bytes of climbs kept beside the copy (attractor
        // labels keep the seeds' climbs while every point climbs).
        let keep_rows_in_order =
            |tree: &mut search::ball::BallSearch<T>, besides: usize, task: &Task| {
                let rows_bytes = std::mem::size_of_val(points.as_slice());
                let tree_bytes = tree.bytes().saturating_add(besides);
                if memory::rows_in_order_fit(tree_bytes, points.len(), rows_bytes) {
                    tree.keep_rows_in_order(task)?;
                }
                Ok(())
            };
        let (mut tree, binned) = workers.run(0, before_climbing, |task| {
            let (tree, bins) = rayon::join(
                || {
                    let mut tree = search::ball::BallSearch::new_parallel_for(
                        points,
                        options.kernel.serves(),
                        task,
                    )?;
                    if flat && matches!(options.seeding, Seeding::EveryPoint) {
                        keep_rows_in_order(&mut tree, 0, task)?;
                    }
                    Ok(tree)
                },
                || {
                    binned_beside
                        .map(|(size, precision, least)| bin(size, precision, least, task))
                        .transpose()
                },
            );
            Ok((tree?, bins?))
        })?;
        let bandwidth = match options.bandwidth.estimate() {
            None => options.bandwidth.value().unwrap_or_default(),
            Some((quantile, None)) => {
                bandwidth::estimate_with_tree(&tree, quantile, &workers, before_climbing)?
            }
            Some((quantile, Some(sample))) => {
                let sampled = sample_rows(points, sample)?;
                let sampled = Points::new(&sampled, points.dim())?;
                bandwidth::estimate_bandwidth(sampled, quantile, &workers, before_climbing)?
            }
        };
        let seed_rows;
        let (seeds, used) = match options.seeding {
            Seeding::EveryPoint => (Seeds::EveryPoint, SeedsUsed::EveryPoint),
            Seeding::Given(given) => {
                check_given_seeds(given, points.dim())?;
                (Seeds::Given(given), SeedsUsed::Given)
            }
            Seeding::Bins { .. } if bandwidth == 0.0 => (Seeds::EveryPoint, SeedsUsed::EveryPoint),
            Seeding::Bins {
                min_bin_freq,
                bin_size_precision,
            } => {
                // An estimate is a float64 scalar to NumPy.
                let precision = match options.bandwidth.value() {
                    Some(_) => bin_size_precision,
                    None => Precision::Double,
                };
                let bins = match binned {
                    Some(bins) => bins,
                    None => workers.run(0, before_climbing, |task| {
                        bin(bandwidth, precision, min_bin_freq, task)
                    })?,
                };
                stage_done();
                // As many bins as points; with weights, as many as the total
                // weight (docs/algorithm.md §10.5).
                let every_point_its_own_bin = match options.weights {
                    None => bins.len == points.len(),
                    Some(w) => bins.len as f64 == w.total(),
                };
                if every_point_its_own_bin {
                    (Seeds::EveryPoint, SeedsUsed::EveryPointForLackOfBins)
                } else {
                    // Made by a job, in the allocator arena of the fit's
                    // other buffers (see `Workers::run`).
                    seed_rows = workers
                        .run(0, before_climbing, |_| bins.positions(bandwidth, precision))?;
                    let rows = Points::new(&seed_rows, points.dim())?;
                    if rows.is_empty() {
                        return Err(Error::NoSeeds);
                    }
                    (Seeds::Given(rows), SeedsUsed::Bins(bins.len))
                }
            }
        };
        // Attractor labels climb every point from itself: where every point
        // is a seed, those are the seeds' climbs; otherwise climbs of their
        // own on the same tree, after the seeds' (docs/algorithm.md §12).
        let seeds_before_own = match seeds {
            Seeds::Given(given) if options.assignment == Assignment::Attractor => Some(given.len()),
            _ => None,
        };
        // Bin seeding that fell back to every point copies the rows now, and
        // so do the climbs of every point beside the seeds' climbs.
        let besides = match seeds {
            Seeds::EveryPoint => Some(0),
            Seeds::Given(_) => {
                seeds_before_own.map(|n| n * climbing::bytes_per_climb::<T>(points.dim()))
            }
        };
        if let Some(besides) = besides.filter(|_| flat) {
            workers.run(0, before_climbing, |task| {
                keep_rows_in_order(&mut tree, besides, task)
            })?;
        }
        let weighing = climbing::Weighing {
            kernel: options.kernel,
            weights,
        };
        let climb = |seeds, progress: StopCheck<'_>| {
            climbing::climb_all_weighing(
                &tree,
                seeds,
                bandwidth,
                options.max_iter,
                weighing,
                &workers,
                progress,
            )
        };
        let climbed = climb(seeds, &|at| {
            stop(Progress {
                total: at.total + seeds_before_own.map_or(0, |_| points.len()),
                ..at
            })
        })?;
        let own = seeds_before_own
            .map(|seeded| {
                climb(Seeds::EveryPoint, &|at| {
                    stop(Progress {
                        done: seeded + at.done,
                        total: seeded + at.total,
                    })
                })
            })
            .transpose()?;
        (bandwidth, used, climbed, own)
    };
    stage_done();
    let n_iter = climbed.n_iter;
    let climbs_done = climbed.intensities.len() + own.as_ref().map_or(0, |o| o.intensities.len());
    let seeds_climbed = Progress {
        done: climbs_done,
        total: climbs_done,
    };
    let after = &|_| stop(seeds_climbed);
    let (centers, labels) = centres_and_labels(
        points, climbed, own, options, bandwidth, &workers, after, stage_done,
    )?;
    Ok(Clustering {
        centers,
        labels,
        n_iter,
        bandwidth,
        seeds,
    })
}

/// What labels new points by where they climb (docs/algorithm.md §12.4):
/// a fit's points, their weighing, its bandwidth, `max_iter`, centres and
/// orphan rule.
#[derive(Debug, Clone, Copy)]
pub struct Attractors<'a, T> {
    /// The points the new points climb on (the fit's).
    pub points: Points<'a, T>,
    /// The fit's kernel and weights.
    pub weighing: climbing::Weighing<'a>,
    /// The bandwidth the fit used.
    pub bandwidth: f64,
    /// The most iterations of one climb.
    pub max_iter: u64,
    /// The fit's cluster centres.
    pub centres: Points<'a, f64>,
    /// Which climbs' ends are too far from every centre for a label.
    pub orphans: Orphans,
}

/// The attractor label of every row of `new` (docs/algorithm.md §12.4): it
/// climbs from itself on `model.points` as a seed of the fit would, and
/// takes the centre nearest to where it ends (its own position where its
/// first neighbourhood weighs nothing). Rows at the same position climb
/// once. Progress counts climbs, on `threads` workers; the labels do not
/// depend on them.
///
/// ```
/// use fastmeanshift::{climbing::Weighing, labels::Orphans, parallel::never_stop};
/// use fastmeanshift::{predict_by_attractor, Attractors, Points};
/// use std::num::NonZeroUsize;
///
/// let x = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
/// let centres = [3.3333333333333335, 6.0, 1.3333333333333333, 0.6666666666666666];
/// let model = Attractors {
///     points: Points::new(&x, 2).unwrap(),
///     weighing: Weighing::FLAT,
///     bandwidth: 2.0,
///     max_iter: 300,
///     centres: Points::new(&centres, 2).unwrap(),
///     orphans: Orphans::Cluster,
/// };
/// // [0, 0] climbs to the lower centre; [9, 9] has no point within 2 and is
/// // labelled from itself.
/// let new = [0.0, 0.0, 9.0, 9.0];
/// let two = NonZeroUsize::new(2).unwrap();
/// let labels = predict_by_attractor(&model, Points::new(&new, 2).unwrap(), two, &never_stop);
/// assert_eq!(labels.unwrap(), [1, 0]);
/// ```
pub fn predict_by_attractor<T: Coord>(
    model: &Attractors<'_, T>,
    new: Points<'_, f64>,
    threads: std::num::NonZeroUsize,
    stop: StopCheck<'_>,
) -> Result<Vec<i64>> {
    let weights = model.weighing.weights;
    if weights.is_some_and(|w| w.len() != model.points.len()) || new.dim() != model.points.dim() {
        return Err(Error::InvalidInput(
            "the new points, the fit's points and its weights do not match".into(),
        ));
    }
    let workers = Workers::new(threads.get())?;
    let before_climbing = &|_| {
        stop(Progress {
            done: 0,
            total: new.len(),
        })
    };
    let own = {
        let serves = model.weighing.kernel.serves();
        let tree = workers.run(0, before_climbing, |task| {
            search::ball::BallSearch::new_parallel_for(model.points, serves, task)
        })?;
        climbing::climb_all_weighing(
            &tree,
            Seeds::Given(new),
            model.bandwidth,
            model.max_iter,
            model.weighing,
            &workers,
            stop,
        )?
    };
    let climbed = Progress {
        done: new.len(),
        total: new.len(),
    };
    let after = &|_| stop(climbed);
    // The ends, in the new points' own float64 (exact for either type of
    // climb), and the new points themselves where nothing was in reach.
    let positions = workers.run(0, after, |task| {
        reject_overflowed_means(&own, new.dim())?;
        let mut positions = error::try_copied(new.as_slice())?;
        let ends = Points::new(&own.centers, new.dim())?;
        labels::replace_rows(&mut positions, ends, |i| own.intensities[i] > 0.0, task)?;
        Ok(positions)
    })?;
    drop(own);
    let positions = Points::new(&positions, new.dim())?;
    labels::assign_labels(positions, model.centres, model.orphans, &workers, after)
}

/// The stages after the climbs: the modes of the seeds' climbs, then every
/// point's label, by its nearest centre or, for attractor labels, by where
/// its own climb (`own`: the seeds' where every point was a seed) ended.
#[allow(clippy::too_many_arguments)]
fn centres_and_labels<T: Coord>(
    points: Points<T>,
    climbed: climbing::Climbs<T>,
    own: Option<climbing::Climbs<T>>,
    options: &Options,
    bandwidth: f64,
    workers: &Workers,
    stop: StopCheck<'_>,
    stage_done: impl Fn(),
) -> Result<(Vec<T>, Vec<i64>)> {
    let dim = points.dim();
    let (centers, own) = match (options.assignment, own) {
        (Assignment::Nearest, _) => (
            climbs_to_modes(climbed, dim, bandwidth, workers, stop)?,
            None,
        ),
        (Assignment::Attractor, Some(own)) => {
            workers.run(0, stop, |_| reject_overflowed_means(&own, dim))?;
            let centers = climbs_to_modes(climbed, dim, bandwidth, workers, stop)?;
            (centers, Some(own))
        }
        (Assignment::Attractor, None) => {
            let centers = workers.run(0, stop, |task| {
                reject_overflowed_means(&climbed, dim)?;
                modes::find_modes_of(&climbed, dim, bandwidth, task)
            })?;
            (centers, Some(climbed))
        }
    };
    stage_done();
    let orphans = Orphans::beyond(Some(bandwidth).filter(|_| !options.cluster_all));
    let centres = Points::new(&centers, dim)?;
    let labels = match own {
        None => labels::assign_labels(points, centres, orphans, workers, stop)?,
        Some(own) => labels::assign_attractor_labels(points, own, centres, orphans, workers, stop)?,
    };
    Ok((centers, labels))
}

/// The cluster centres of the climbs (docs/algorithm.md §2.4 to §2.7),
/// which it consumes.
fn climbs_to_modes<T: Coord>(
    climbed: climbing::Climbs<T>,
    dim: usize,
    bandwidth: f64,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Vec<T>> {
    workers.run(0, stop, |task| {
        reject_overflowed_means(&climbed, dim)?;
        modes::find_modes(climbed, dim, bandwidth, task)
    })
}

/// The rows `sample` of `points`, in that order, as one buffer.
fn sample_rows<T: Coord>(points: Points<T>, sample: &[usize]) -> Result<Vec<T>> {
    let mut rows = Vec::new();
    rows.try_reserve_exact(sample.len().saturating_mul(points.dim()))
        .map_err(|_| Error::OutOfMemory {
            bytes: sample
                .len()
                .saturating_mul(points.dim() * std::mem::size_of::<T>()),
        })?;
    for &i in sample {
        if i >= points.len() {
            return Err(Error::InvalidInput(format!(
                "sample row {i} is out of range for {} points",
                points.len()
            )));
        }
        rows.extend_from_slice(points.row(i));
    }
    Ok(rows)
}

fn check_given_seeds(seeds: Points<f64>, dim: usize) -> Result<()> {
    if seeds.dim() != dim {
        return Err(Error::InvalidInput(format!(
            "the seeds have {} coordinates but the points have {dim}",
            seeds.dim()
        )));
    }
    if seeds.is_empty() {
        return Err(Error::NoSeeds);
    }
    // A climb from a non-finite seed would end where it started and pass
    // for an overflowed mean.
    if seeds.as_slice().iter().any(|x| !x.is_finite()) {
        return Err(Error::InvalidInput("seeds must be finite numbers".into()));
    }
    Ok(())
}

/// Means of coordinates near the float64 limit can overflow (scikit-learn then
/// fails too); infinite centres have no order or distances to go on with.
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
    use std::num::NonZeroUsize;

    fn fit_with<T: Coord>(data: &[T], dim: usize, options: Options) -> Result<Clustering<T>> {
        let points = Points::new(data, dim).unwrap();
        let options = Options {
            threads: NonZeroUsize::new(2).unwrap(),
            ..options
        };
        fit(points, &options, &never_stop)
    }

    fn bw(bandwidth: f64) -> Options<'static> {
        Options::new(Bandwidth::given(bandwidth).unwrap())
    }

    /// `options` seeded by bins of at least `min_bin_freq` points.
    fn binned(options: Options<'static>, min_bin_freq: u64) -> Options<'static> {
        Options {
            seeding: Seeding::Bins {
                min_bin_freq,
                bin_size_precision: Precision::Double,
            },
            ..options
        }
    }

    fn seeded<'a>(bandwidth: f64, seeds: &'a [f64], dim: usize) -> Options<'a> {
        Options {
            seeding: Seeding::Given(Points::new(seeds, dim).unwrap()),
            ..Options::new(Bandwidth::given(bandwidth).unwrap())
        }
    }

    #[test]
    fn dataset_b() {
        let data = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
        let got = fit_with(&data, 2, bw(2.0)).unwrap();
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
        assert_eq!((got.bandwidth, got.seeds), (2.0, SeedsUsed::EveryPoint));
    }

    #[test]
    fn zero_bandwidth_keeps_exact_duplicates_apart() {
        let data = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0];
        let estimated = Options::new(Bandwidth::estimated(0.3).unwrap());
        for options in [bw(0.0), estimated] {
            let got = fit_with(&data, 1, options).unwrap();
            assert_eq!(got.bandwidth, 0.0);
            assert_eq!(got.centers, vec![2.0, 1.0, 3.0]);
            assert_eq!(got.labels, vec![1, 1, 1, 0, 0, 0, 2, 2]);
        }
    }

    #[test]
    fn one_tree_estimate_equals_the_separate_estimate() {
        let data = blobs(3, 600, &[&[0.0, 0.0], &[4.0, 1.0]], 0.7);
        let points = Points::new(&data, 2).unwrap();
        let workers = Workers::new(2).unwrap();
        let quantile = options::Quantile::new(0.3).unwrap();
        let alone = bandwidth::estimate_bandwidth(points, quantile, &workers, &never_stop);
        let estimated = Options::new(Bandwidth::estimated(0.3).unwrap());
        let got = fit_with(&data, 2, estimated).unwrap();
        assert_eq!(got.bandwidth.to_bits(), alone.unwrap().to_bits());
        let given = fit_with(&data, 2, bw(got.bandwidth)).unwrap();
        assert_eq!(got, given);
    }

    #[test]
    fn sampled_estimate_uses_the_sampled_rows_in_order() {
        let data = [0.0, 1.0, 3.0, 10.0, 11.0];
        let sample = [2, 0, 1];
        let options = Options::new(Bandwidth::estimated_from_sample(1.0, &sample).unwrap());
        let got = fit_with(&data, 1, options).unwrap();
        assert_eq!(got.bandwidth, (3.0 + 2.0 + 3.0) / 3.0);
        let out_of_range = [5];
        let options = Options::new(Bandwidth::estimated_from_sample(1.0, &out_of_range).unwrap());
        assert!(matches!(
            fit_with(&data, 1, options),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn bin_seeding_in_the_pipeline() {
        // Cells of size 2: 0, 2, 8, 4, 6 (first appearance); dataset B.
        let data = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
        let bins = |min_bin_freq| Options {
            seeding: Seeding::Bins {
                min_bin_freq,
                bin_size_precision: Precision::Single,
            },
            ..bw(2.0)
        };
        let got = fit_with(&data, 2, bins(1)).unwrap();
        assert_eq!(got.seeds, SeedsUsed::Bins(5));
        assert_eq!(got.labels, vec![1, 1, 1, 0, 0, 0]);
        assert_eq!(fit_with(&data, 2, bins(3)), Err(Error::NoSeeds));
        // Every point in a cell of its own: every point seeds instead.
        let apart = [0.0, 10.0, 20.0];
        let got = fit_with(&apart, 1, bins(1)).unwrap();
        assert_eq!(got.seeds, SeedsUsed::EveryPointForLackOfBins);
        assert_eq!(
            got,
            fit_with(&apart, 1, bw(2.0))
                .map(|c| Clustering {
                    seeds: got.seeds,
                    ..c
                })
                .unwrap()
        );
    }

    #[test]
    fn orphans() {
        let data = [0.0, 0.5, 1.0, 50.0];
        let seeds = [0.5];
        let all = fit_with(&data, 1, seeded(1.0, &seeds, 1)).unwrap();
        assert_eq!(all.labels, vec![0, 0, 0, 0]);
        let some = Options {
            cluster_all: false,
            ..seeded(1.0, &seeds, 1)
        };
        assert_eq!(fit_with(&data, 1, some).unwrap().labels, vec![0, 0, 0, -1]);
    }

    #[test]
    fn no_point_near_any_seed() {
        let seeds = [100.0];
        let err = fit_with(&[0.0, 1.0], 1, seeded(2.0, &seeds, 1));
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
        let estimated = Options::new(Bandwidth::estimated(1.0).unwrap());
        for options in [bw(f64::INFINITY), estimated] {
            for cluster_all in [true, false] {
                let got = fit_with(
                    &data,
                    1,
                    Options {
                        cluster_all,
                        ..options
                    },
                )
                .unwrap();
                assert_eq!(got.bandwidth, f64::INFINITY);
                assert_eq!(got.centers, vec![(5e307 + 1.0) / 4.0]);
                assert_eq!(got.labels, vec![0, 0, 0, 0]);
                assert_eq!(got.n_iter, 0);
            }
        }
        let bins = Options {
            seeding: Seeding::Bins {
                min_bin_freq: 1,
                bin_size_precision: Precision::Double,
            },
            ..bw(f64::INFINITY)
        };
        let err = fit_with(&data, 1, bins).unwrap_err();
        assert_eq!(
            err,
            Error::BinSeedOverflow {
                bin_size: f64::INFINITY
            }
        );
        assert!(err
            .to_string()
            .starts_with("Bin seeding needs a finite bandwidth"));
    }

    #[test]
    fn overflowing_means_are_an_error_in_the_data_type() {
        // float32 means whose float32 sum overflows, although the mean fits
        // (NumPy's mean, which scikit-learn takes, is then infinite).
        let data = [3e38f32, 3e38, 3.1e38];
        let err = fit_with(&data, 1, bw(1e38)).unwrap_err();
        assert_eq!(err, Error::MeanOverflow { dtype: "float32" });
        assert!(err
            .to_string()
            .starts_with("A cluster mean overflowed float32: "));
        // The same values in float64 average fine.
        let data64 = data.map(f64::from);
        assert_eq!(fit_with(&data64, 1, bw(1e38)).unwrap().labels, [0; 3]);
        // A float64 mean that overflows ends its climb, and the fit, whether its
        // next ball would be empty (bandwidth 1e308) or hold every point again
        // (an infinite one): no endless climb, even with no iteration limit.
        let huge = [1.7e308, 1.6e308];
        for bandwidth in [1e308, f64::INFINITY] {
            let unlimited = Options {
                max_iter: u64::MAX,
                ..bw(bandwidth)
            };
            assert_eq!(
                fit_with(&huge, 1, unlimited),
                Err(Error::MeanOverflow { dtype: "float64" })
            );
        }
    }

    #[test]
    fn bad_seeds() {
        let seeds = [0.0, 0.0];
        assert!(matches!(
            fit_with(&[0.0, 1.0], 1, seeded(2.0, &seeds, 2)),
            Err(Error::InvalidInput(_))
        ));
        assert_eq!(
            fit_with(&[0.0, 1.0], 1, seeded(2.0, &[], 1)),
            Err(Error::NoSeeds)
        );
    }

    /// The points with row `i` repeated `weights[i]` times, in order, and the
    /// row of the original each repeated row comes from.
    fn repeated(data: &[f64], dim: usize, weights: &[f64]) -> (Vec<f64>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut from = Vec::new();
        for (i, row) in data.chunks_exact(dim).enumerate() {
            for _ in 0..weights[i] as usize {
                rows.extend_from_slice(row);
                from.push(i);
            }
        }
        (rows, from)
    }

    fn weighted<'a>(options: Options<'a>, kernel: Kernel, weights: &'a [f64]) -> Options<'a> {
        Options {
            kernel,
            weights: Some(Weights::new(weights).unwrap()),
            ..options
        }
    }

    #[test]
    fn integer_weights_cluster_as_repeated_rows() {
        let mut data = blobs(8, 300, &[&[0.0, 0.0], &[3.0, 1.0]], 0.8);
        data.extend_from_within(..40); // exact copies too
        let weights: Vec<f64> = (0..data.len() / 2).map(|i| (i * 7 % 4) as f64).collect();
        let (rows, from) = repeated(&data, 2, &weights);
        for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
            for options in [bw(0.9), binned(bw(0.9), 3), bw(0.0)] {
                let base = Options { kernel, ..options };
                let got = fit_with(&data, 2, weighted(base, kernel, &weights)).unwrap();
                let expected = fit_with(&rows, 2, base).unwrap();
                let labels: Vec<i64> = from.iter().map(|&i| got.labels[i]).collect();
                assert_eq!(labels, expected.labels, "{kernel:?}");
                assert_eq!(got.n_iter, expected.n_iter, "{kernel:?}");
                if kernel == Kernel::Flat {
                    assert_eq!(got.centers, expected.centers);
                } else {
                    for (a, b) in got.centers.iter().zip(&expected.centers) {
                        assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{kernel:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn unit_weights_change_nothing() {
        let data = blobs(2, 500, &[&[0.0, 0.0, 0.0], &[2.0, 2.0, 0.0]], 0.7);
        let ones = vec![1.0; data.len() / 3];
        for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
            let plain = Options { kernel, ..bw(1.2) };
            let with_ones = weighted(bw(1.2), kernel, &ones);
            assert_eq!(
                fit_with(&data, 3, with_ones).unwrap(),
                fit_with(&data, 3, plain).unwrap()
            );
        }
    }

    #[test]
    fn zero_weights_do_not_seed_but_get_labels() {
        // The point at 10 weighs nothing: no climb starts there, no centre
        // is there, and it is labelled with its nearest centre.
        let data = [0.0, 0.5, 1.0, 10.0];
        let weights = [1.0, 1.0, 1.0, 0.0];
        let got = fit_with(&data, 1, weighted(bw(2.0), Kernel::Flat, &weights)).unwrap();
        assert_eq!(got.centers, vec![0.5]);
        assert_eq!(got.labels, vec![0, 0, 0, 0]);
        let orphans = Options {
            cluster_all: false,
            ..weighted(bw(2.0), Kernel::Gaussian, &weights)
        };
        assert_eq!(
            fit_with(&data, 1, orphans).unwrap().labels,
            vec![0, 0, 0, -1]
        );
    }

    #[test]
    fn a_seed_whose_neighbourhood_weighs_nothing_is_dropped() {
        // Seeds given at 10 (only a zero-weight point near) and at 0.
        let data = [0.0, 1.0, 10.0];
        let weights = [1.0, 1.0, 0.0];
        let seeds = [10.0, 0.0];
        let options = weighted(seeded(1.5, &seeds, 1), Kernel::Epanechnikov, &weights);
        let got = fit_with(&data, 1, options).unwrap();
        assert_eq!(got.centers.len(), 1);
        let lonely = [10.0];
        let options = weighted(seeded(1.5, &lonely, 1), Kernel::Flat, &weights);
        assert_eq!(
            fit_with(&data, 1, options),
            Err(Error::NoPointWithinBandwidth { bandwidth: 1.5 })
        );
    }

    #[test]
    fn scaling_the_weights_by_a_power_of_two_changes_nothing() {
        // Weights near the float64 limit are weighed one by one, the others
        // in batches: every term scales exactly, so both give the same bits.
        let data = blobs(5, 400, &[&[0.0, 0.0], &[2.0, 1.0]], 0.6);
        let weights: Vec<f64> = (0..400).map(|i| 0.5 + (i % 7) as f64 * 0.25).collect();
        let huge: Vec<f64> = weights.iter().map(|w| w * 2f64.powi(966)).collect();
        assert!(!exact::weighted::products_are_safe(
            exact::weighted::Magnitudes::of([huge[6]]),
            exact::weighted::Magnitudes::of([4.0])
        ));
        for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
            let plain = fit_with(&data, 2, weighted(bw(0.8), kernel, &weights)).unwrap();
            let scaled = fit_with(&data, 2, weighted(bw(0.8), kernel, &huge));
            let scaled = scaled.unwrap();
            assert_eq!(plain, scaled, "{kernel:?}");
        }
    }

    #[test]
    fn weights_must_match_the_points() {
        let weights = [1.0, 2.0];
        let options = weighted(bw(1.0), Kernel::Flat, &weights);
        assert!(matches!(
            fit_with(&[0.0, 1.0, 2.0], 1, options),
            Err(Error::InvalidInput(_))
        ));
    }

    fn attractor(options: Options<'_>) -> Options<'_> {
        Options {
            assignment: Assignment::Attractor,
            ..options
        }
    }

    #[test]
    fn attractor_labels_change_the_labels_only() {
        let data = blobs(4, 400, &[&[0.0, 0.0], &[3.0, 0.5], &[0.5, 3.0]], 0.8);
        let weights: Vec<f64> = (0..400).map(|i| (i % 3) as f64).collect();
        for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
            for options in [bw(0.9), binned(bw(0.9), 1)] {
                for w in [None, Some(&weights[..])] {
                    let base = Options {
                        kernel,
                        weights: w.map(|w| Weights::new(w).unwrap()),
                        ..options
                    };
                    let nearest = fit_with(&data, 2, base).unwrap();
                    let attracted = fit_with(&data, 2, attractor(base)).unwrap();
                    assert_eq!(attracted.centers, nearest.centers, "{kernel:?}");
                    assert_eq!(attracted.n_iter, nearest.n_iter, "{kernel:?}");
                    assert_eq!(attracted.seeds, nearest.seeds, "{kernel:?}");
                    // The same labels on one thread, and (below) from seeds
                    // given at the points: every point's own climb is the
                    // climb of a seed there.
                    let one = Options {
                        threads: NonZeroUsize::MIN,
                        ..attractor(base)
                    };
                    let points = Points::new(&data, 2).unwrap();
                    let alone = fit(points, &one, &never_stop).unwrap();
                    assert_eq!(alone, attracted, "{kernel:?}");
                }
            }
        }
    }

    #[test]
    fn attractor_labels_of_every_point_and_of_given_seeds_agree() {
        // Seeds given at every point: the seeds' climbs and the points' own
        // climbs are two computations of the same climbs.
        let data = blobs(6, 300, &[&[0.0, 0.0], &[2.5, 0.0]], 0.7);
        for kernel in [Kernel::Flat, Kernel::Gaussian] {
            for cluster_all in [true, false] {
                let every = Options {
                    kernel,
                    cluster_all,
                    ..attractor(bw(0.6))
                };
                let given = Options {
                    kernel,
                    cluster_all,
                    ..attractor(seeded(0.6, &data, 2))
                };
                let a = fit_with(&data, 2, every).unwrap();
                let b = fit_with(&data, 2, given).unwrap();
                assert_eq!((a.centers, a.labels), (b.centers, b.labels));
            }
        }
    }

    #[test]
    fn attractor_labels_of_points_that_do_not_climb_come_from_themselves() {
        // The point at 10 weighs nothing and does not climb: labelled from
        // itself, it is an orphan beyond the bandwidth of the one centre.
        let data = [0.0, 0.5, 1.0, 10.0];
        let weights = [1.0, 1.0, 1.0, 0.0];
        let options = Options {
            cluster_all: false,
            ..attractor(weighted(bw(2.0), Kernel::Flat, &weights))
        };
        assert_eq!(fit_with(&data, 1, options).unwrap().labels, [0, 0, 0, -1]);
    }

    #[test]
    fn attractor_predictions_of_the_fit_points_are_its_labels() {
        let data = blobs(9, 300, &[&[0.0, 0.0], &[2.0, 0.5]], 0.6);
        for kernel in [Kernel::Flat, Kernel::Epanechnikov] {
            let options = Options {
                kernel,
                cluster_all: false,
                ..attractor(bw(0.7))
            };
            let fitted = fit_with(&data, 2, options).unwrap();
            let model = Attractors {
                points: Points::new(&data, 2).unwrap(),
                weighing: climbing::Weighing {
                    kernel,
                    weights: None,
                },
                bandwidth: 0.7,
                max_iter: 300,
                centres: Points::new(&fitted.centers, 2).unwrap(),
                orphans: Orphans::Drop { bandwidth: 0.7 },
            };
            let new = Points::new(&data, 2).unwrap();
            let two = NonZeroUsize::new(2).unwrap();
            let predicted = predict_by_attractor(&model, new, two, &never_stop);
            assert_eq!(predicted.unwrap(), fitted.labels, "{kernel:?}");
        }
    }

    #[test]
    fn float32_three_blobs() {
        let data: Vec<f32> = blobs(1, 900, &[&[0.0, 0.0], &[5.0, 5.0], &[0.0, 5.0]], 0.5)
            .into_iter()
            .map(|x| x as f32)
            .collect();
        let got = fit_with(&data, 2, bw(1.5)).unwrap();
        assert_eq!(got.centers.len(), 6);
        for (i, label) in got.labels.iter().enumerate() {
            assert_eq!(*label, got.labels[i % 3]);
        }
    }
}
