//! Wall time of each stage of a bin-seeded fit, at growing sizes, on one and
//! two threads: where a fit's time goes as n grows (issue "speed at scale").
//!
//! The stages are the ones `fastmeanshift::fit` runs, called the same way:
//! the tree build, binning, the seeds' positions, climbing, modes and
//! labels; "fit" is the entry point itself. The data are the 2-D blobs of
//! docs/algorithm.md §9.3 (rows in random spatial order), bandwidth 1.07.
//!
//! `cargo bench --bench stage_times -- 1e6 1e7` (sizes; default 1e6 and
//! 1e7); `--f32` clusters the same data stored as float32; `--kernel
//! epanechnikov` (or `gaussian`, `flat`) climbs with that kernel, and
//! `--weights` weighs the points uniformly in [0.5, 2), as `compare.py
//! --kernels` does (the climbing stage then includes the weighted totals or
//! ordered rows its weighing reads). Each figure is the median of
//! `--repeats` runs (default 3).

use std::time::Instant;

use fastmeanshift::climbing::{climb_all_weighing, Weighing};
use fastmeanshift::labels::assign_labels;
use fastmeanshift::modes::find_modes;
use fastmeanshift::parallel::never_stop;
use fastmeanshift::search::ball::BallSearch;
use fastmeanshift::seeding::bin_seeds_weighted;
#[path = "../src/testing.rs"]
mod testing;
use fastmeanshift::{
    fit, Bandwidth, Coord, Kernel, Options, Orphans, Points, Precision, Seeding, Seeds, Weights,
    Workers,
};
use testing::{blobs, noise};

const CENTRES_2D: [&[f64]; 3] = [&[1.0, 1.0], &[-1.0, -1.0], &[1.0, -1.0]];
const BANDWIDTH: f64 = 1.07;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The median seconds of `repeats` runs of `f`.
fn time<R>(repeats: usize, mut f: impl FnMut() -> R) -> f64 {
    median(
        (0..repeats)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn stages<T: Coord>(
    data: &[T],
    weighing: Weighing,
    threads: usize,
    repeats: usize,
) -> Vec<(&'static str, f64)> {
    let points = Points::new(data, 2).unwrap();
    let workers = Workers::new(threads).unwrap();
    let precision = if std::mem::size_of::<T>() == 4 {
        Precision::Single
    } else {
        Precision::Double
    };
    let tree = || {
        workers
            .run(0, &never_stop, |task| {
                BallSearch::new_parallel_for(points, weighing.kernel.serves(), task)
            })
            .unwrap()
    };
    let bins = || {
        bin_seeds_weighted(
            points,
            BANDWIDTH,
            precision.of_division::<T>(),
            1,
            weighing.weights,
            &workers,
            &never_stop,
        )
        .unwrap()
    };
    let seeds = bins().positions(BANDWIDTH, precision).unwrap();
    let built = tree();
    let climb = || {
        climb_all_weighing(
            &built,
            Seeds::Given(Points::new(&seeds, 2).unwrap()),
            BANDWIDTH,
            300,
            weighing,
            &workers,
            &never_stop,
        )
        .unwrap()
    };
    let climbed = climb();
    let modes = || {
        workers
            .run(0, &never_stop, |task| {
                find_modes(climbed.clone(), 2, BANDWIDTH, task)
            })
            .unwrap()
    };
    let centres = modes();
    let options = Options {
        seeding: Seeding::Bins {
            min_bin_freq: 1,
            bin_size_precision: precision,
        },
        threads: threads.try_into().unwrap(),
        kernel: weighing.kernel,
        weights: weighing.weights.map(|w| Weights::new(w).unwrap()),
        ..Options::new(Bandwidth::given(BANDWIDTH).unwrap())
    };
    vec![
        ("tree", time(repeats, tree)),
        ("binning", time(repeats, bins)),
        ("climbing", time(repeats, climb)),
        ("modes", time(repeats, modes)),
        (
            "labels",
            time(repeats, || {
                assign_labels(
                    points,
                    Points::new(&centres, 2).unwrap(),
                    Orphans::Cluster,
                    &workers,
                    &never_stop,
                )
                .unwrap()
            }),
        ),
        (
            "fit",
            time(repeats, || fit(points, &options, &never_stop).unwrap()),
        ),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let single = args.iter().any(|a| a == "--f32");
    let kernel = match args.iter().position(|a| a == "--kernel") {
        None => Kernel::Flat,
        Some(i) => match args[i + 1].as_str() {
            "flat" => Kernel::Flat,
            "epanechnikov" => Kernel::Epanechnikov,
            "gaussian" => Kernel::Gaussian,
            other => panic!("no kernel {other:?}: flat, epanechnikov or gaussian"),
        },
    };
    let weighted = args.iter().any(|a| a == "--weights");
    let repeats = args
        .iter()
        .position(|a| a == "--repeats")
        .map_or(3, |i| args[i + 1].parse().unwrap());
    let mut sizes: Vec<usize> = args
        .iter()
        .filter_map(|a| a.parse::<f64>().ok())
        .map(|n| n as usize)
        .filter(|&n| n >= 1000)
        .collect();
    if sizes.is_empty() {
        sizes = vec![1_000_000, 10_000_000];
    }
    println!("| n | threads | tree s | binning s | climbing s | modes s | labels s | fit s | fit ns/point |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let data = blobs(0, n, &CENTRES_2D, 0.4);
        let weights: Vec<f64> = noise(1, n).iter().map(|u| 0.5 + 1.5 * u).collect();
        let weighing = Weighing {
            kernel,
            weights: weighted.then_some(&weights[..]),
        };
        for threads in [1, 2] {
            let times = if single {
                let data: Vec<f32> = data.iter().map(|&x| x as f32).collect();
                stages(&data, weighing, threads, repeats)
            } else {
                stages(&data, weighing, threads, repeats)
            };
            let cells: Vec<String> = times.iter().map(|(_, s)| format!("{s:.3}")).collect();
            let fit_s = times.last().unwrap().1;
            println!(
                "| {n} | {threads} | {} | {:.1} |",
                cells.join(" | "),
                fit_s * 1e9 / n as f64
            );
        }
    }
}
