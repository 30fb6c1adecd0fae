//! Criterion benchmarks of each stage of the pure-Rust core, on fixed
//! generated data sets:
//!
//! - `tree_build`: `BallSearch::new` (the climbing index);
//! - `binning`: `seeding::bin_seeds` (the `bin_seeding=True` seeds);
//! - `climbing`: `climbing::climb_all`, every point a seed (2-D and 10-D) and
//!   from bin seeds;
//! - `modes`: `modes::find_modes` and `modes::suppress_near_duplicates` on
//!   climbed centres;
//! - `labels`: `labels::assign_labels`;
//! - `bandwidth`: `bandwidth::estimate_bandwidth`;
//! - `pipeline`: the whole fit, `fastmeanshift::fit`, with the options
//!   `MeanShift` passes it: a given bandwidth, every point a seed; the
//!   default `MeanShift()`, which estimates the bandwidth; bin seeding.
//!
//! The 2-D data mimic docs/algorithm.md §9.3 (three blobs at (1,1), (-1,-1), (1,-1),
//! spread 0.4, bandwidth about 1.07). Run with
//! `cargo bench --bench stages` (add `-- --quick` for a fast pass, or a
//! group name such as `-- climbing` to run one stage).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};

use fastmeanshift::bandwidth::estimate_bandwidth;
use fastmeanshift::climbing::{climb_all, Climbs};
use fastmeanshift::labels::assign_labels;
use fastmeanshift::modes::{find_modes, suppress_near_duplicates};
use fastmeanshift::options::Quantile;
use fastmeanshift::parallel::never_stop;
use fastmeanshift::search::ball::BallSearch;
use fastmeanshift::seeding::bin_seeds;
// The unit tests' data generator, compiled in here: it does not ship in the crate.
#[path = "../src/testing.rs"]
mod testing;
use fastmeanshift::{fit, Bandwidth, Options, Orphans, Points, Precision, Seeding, Seeds, Workers};
use testing::{blobs, noise};

/// The centres and spread of docs/algorithm.md §9.3.
const CENTRES_2D: [&[f64]; 3] = [&[1.0, 1.0], &[-1.0, -1.0], &[1.0, -1.0]];
const STD_2D: f64 = 0.4;
/// Close to `estimate_bandwidth` of the 2-D blobs (docs/algorithm.md §9.3: about 1.07).
const BANDWIDTH_2D: f64 = 1.07;
const MAX_ITER: u64 = 300;

/// Thread counts to compare where a stage runs in parallel.
const THREADS: [usize; 2] = [1, 2];

fn points(data: &[f64], dim: usize) -> Points<'_, f64> {
    Points::new(data, dim).expect("well-formed benchmark data")
}

fn workers(threads: usize) -> Workers {
    Workers::new(threads).expect("thread pool")
}

/// `MeanShift(bandwidth=..., bin_seeding=..., n_jobs=threads)`'s options
/// (`bandwidth=None` estimates it).
fn options(bandwidth: Option<f64>, bin_seeding: bool, threads: usize) -> Options<'static> {
    let bandwidth = match bandwidth {
        Some(given) => Bandwidth::given(given),
        None => Bandwidth::estimated(0.3),
    };
    Options {
        seeding: if bin_seeding {
            Seeding::Bins {
                min_bin_freq: 1,
                bin_size_precision: Precision::Single,
            }
        } else {
            Seeding::EveryPoint
        },
        threads: threads.try_into().expect("at least one thread"),
        ..Options::new(bandwidth.expect("a valid bandwidth"))
    }
}

/// Three 2-D blobs, `n` points.
fn blobs_2d(n: usize) -> Vec<f64> {
    blobs(0, n, &CENTRES_2D, STD_2D)
}

/// Four blobs in 10-D around fixed centres in [-10, 10)^10 with spread 1, like
/// `make_blobs(4000, n_features=10, centers=4)`.
fn blobs_10d(n: usize) -> Vec<f64> {
    let centres: Vec<Vec<f64>> = noise(42, 40)
        .chunks(10)
        .map(|c| c.iter().map(|u| 20.0 * u - 10.0).collect())
        .collect();
    let centres: Vec<&[f64]> = centres.iter().map(Vec::as_slice).collect();
    blobs(1, n, &centres, 1.0)
}

/// A named data set and the bandwidth it is clustered with.
struct Case {
    name: &'static str,
    data: Vec<f64>,
    dim: usize,
    bandwidth: f64,
}

impl Case {
    fn points(&self) -> Points<'_, f64> {
        points(&self.data, self.dim)
    }

    fn climbed(&self) -> Climbs<f64> {
        let tree = BallSearch::new(self.points()).unwrap();
        climb_all(
            &tree,
            Seeds::EveryPoint,
            self.bandwidth,
            MAX_ITER,
            &workers(2),
            &never_stop,
        )
        .unwrap()
    }

    /// Cluster centres from bin seeds (every point a seed would take minutes
    /// on the 200,000-point set, and gives the same clusters).
    fn centres(&self) -> Vec<f64> {
        let options = options(Some(self.bandwidth), true, 2);
        fit(self.points(), &options, &never_stop).unwrap().centers
    }
}

fn case_2d(n: usize, name: &'static str) -> Case {
    Case {
        name,
        data: blobs_2d(n),
        dim: 2,
        bandwidth: BANDWIDTH_2D,
    }
}

fn case_10d(name: &'static str) -> Case {
    let data = blobs_10d(4_000);
    let quantile = Quantile::new(0.3).unwrap();
    let bandwidth =
        estimate_bandwidth(points(&data, 10), quantile, &workers(2), &never_stop).unwrap();
    Case {
        name,
        data,
        dim: 10,
        bandwidth,
    }
}

/// The seeds `bin_seeding=True` climbs from: the bins' positions.
fn bin_seed_rows(case: &Case) -> Vec<f64> {
    let bins = bin_seeds(
        case.points(),
        case.bandwidth,
        Precision::Double,
        1,
        &workers(1),
        &never_stop,
    )
    .unwrap();
    bins.positions(case.bandwidth, Precision::Single).unwrap()
}

fn tree_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("tree_build");
    for case in [
        case_2d(5_000, "2d_5000"),
        case_2d(200_000, "2d_200000"),
        case_10d("10d_4000"),
    ] {
        group.bench_function(case.name, |b| {
            b.iter(|| BallSearch::new(black_box(case.points())).unwrap())
        });
    }
    group.finish();
}

fn binning(c: &mut Criterion) {
    let mut group = c.benchmark_group("binning");
    for case in [case_2d(5_000, "2d_5000"), case_2d(200_000, "2d_200000")] {
        group.bench_function(case.name, |b| {
            let workers = workers(2);
            b.iter(|| {
                bin_seeds(
                    black_box(case.points()),
                    black_box(case.bandwidth),
                    Precision::Double,
                    1,
                    &workers,
                    &never_stop,
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

fn climbing(c: &mut Criterion) {
    let mut group = c.benchmark_group("climbing");
    group.sampling_mode(SamplingMode::Flat);
    for case in [
        case_2d(5_000, "2d_5000_every_point"),
        case_10d("10d_4000_every_point"),
    ] {
        let tree = BallSearch::new(case.points()).unwrap();
        for threads in THREADS {
            let pool = workers(threads);
            group.bench_function(BenchmarkId::new(case.name, threads), |b| {
                b.iter(|| {
                    climb_all(
                        &tree,
                        Seeds::EveryPoint,
                        black_box(case.bandwidth),
                        MAX_ITER,
                        &pool,
                        &never_stop,
                    )
                    .unwrap()
                })
            });
        }
    }

    let large = case_2d(200_000, "2d_200000_bin_seeds");
    let seeds = bin_seed_rows(&large);
    let tree = BallSearch::new(large.points()).unwrap();
    for threads in THREADS {
        let pool = workers(threads);
        group.bench_function(BenchmarkId::new(large.name, threads), |b| {
            b.iter(|| {
                climb_all(
                    &tree,
                    Seeds::Given(points(black_box(&seeds), 2)),
                    large.bandwidth,
                    MAX_ITER,
                    &pool,
                    &never_stop,
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

fn modes(c: &mut Criterion) {
    let mut group = c.benchmark_group("modes");
    for case in [case_2d(5_000, "2d_5000"), case_10d("10d_4000")] {
        let climbed = case.climbed();
        let pool = workers(1);
        group.bench_function(BenchmarkId::new("find_modes", case.name), |b| {
            b.iter(|| {
                pool.run(0, &never_stop, |task| {
                    find_modes(black_box(climbed.clone()), case.dim, case.bandwidth, task)
                })
                .unwrap()
            })
        });
        // One climbed centre per seed: the worst case for suppression, every
        // seed's centre compared against its neighbours.
        group.bench_function(
            BenchmarkId::new("suppress_near_duplicates", case.name),
            |b| {
                b.iter(|| {
                    pool.run(0, &never_stop, |task| {
                        suppress_near_duplicates(
                            black_box(climbed.centers.clone()),
                            case.dim,
                            case.bandwidth,
                            task,
                        )
                    })
                    .unwrap()
                })
            },
        );
    }
    group.finish();
}

fn labels(c: &mut Criterion) {
    let mut group = c.benchmark_group("labels");
    for case in [
        case_2d(5_000, "2d_5000"),
        case_2d(200_000, "2d_200000"),
        case_10d("10d_4000"),
    ] {
        let centres = case.centres();
        for threads in THREADS {
            let pool = workers(threads);
            group.bench_function(BenchmarkId::new(case.name, threads), |b| {
                b.iter(|| {
                    assign_labels(
                        black_box(case.points()),
                        points(&centres, case.dim),
                        Orphans::Cluster,
                        &pool,
                        &never_stop,
                    )
                    .unwrap()
                })
            });
        }
    }
    group.finish();
}

fn bandwidth(c: &mut Criterion) {
    let mut group = c.benchmark_group("bandwidth");
    group.sampling_mode(SamplingMode::Flat);
    let case = case_2d(5_000, "2d_5000");
    for threads in THREADS {
        let pool = workers(threads);
        group.bench_function(BenchmarkId::new(case.name, threads), |b| {
            b.iter(|| {
                let quantile = Quantile::new(0.3).unwrap();
                estimate_bandwidth(black_box(case.points()), quantile, &pool, &never_stop).unwrap()
            })
        });
    }
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sampling_mode(SamplingMode::Flat);
    let runs = [
        (case_2d(5_000, "2d_5000_every_point"), false, false),
        (case_10d("10d_4000_every_point"), false, false),
        (case_2d(5_000, "2d_5000_estimated_bandwidth"), true, false),
        (case_2d(200_000, "2d_200000_bin_seeding"), false, true),
    ];
    for (case, estimated, bin_seeding) in runs {
        let bandwidth = (!estimated).then_some(case.bandwidth);
        for threads in THREADS {
            let options = options(bandwidth, bin_seeding, threads);
            group.bench_function(BenchmarkId::new(case.name, threads), |b| {
                b.iter(|| fit(black_box(case.points()), &options, &never_stop).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = stages;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = tree_build, binning, climbing, modes, labels, bandwidth, pipeline
}
criterion_main!(stages);
