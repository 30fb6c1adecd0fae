//! How fast each kernel weighs points when nothing else runs: the batch
//! loop's own throughput on one thread, the most a fit's kernel sums can
//! reach on this CPU (issue "kernels and sample weights": how close the
//! kernels come to the machine's vectorised limit).
//!
//! A small tree over 2-D blobs (docs/algorithm.md §9.3), in a core's cache,
//! and a kernel sum whose support holds every one of its points: the sum
//! then weighs them all, eight at a time, with almost no tree walk. Compare
//! the figures with the evaluations per second of `python
//! benches/compare.py --kernels` (two threads, a whole fit: tree walks,
//! lanes past the end of a leaf or outside the support, cache misses).
//!
//! `cargo bench --bench kernel_throughput [-- --points N] [--seconds S]`

use std::hint::black_box;
use std::time::Instant;

use fastmeanshift::exact::weighted::LaneSums;
use fastmeanshift::parallel::never_stop;
use fastmeanshift::search::ball::{BallSearch, Serves};
#[path = "../src/testing.rs"]
mod testing;
use fastmeanshift::{Kernel, Points, Workers};
use testing::{blobs, noise};

const CENTRES_2D: [&[f64]; 3] = [&[1.0, 1.0], &[-1.0, -1.0], &[1.0, -1.0]];
const BANDWIDTH: f64 = 1.07;

fn option(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .map_or(default, |i| args[i + 1].parse().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = option(&args, "--points", 4096.0) as usize;
    let seconds = option(&args, "--seconds", 1.0);
    let data = blobs(0, n, &CENTRES_2D, 0.4);
    let weights: Vec<f64> = noise(1, n).iter().map(|u| 0.5 + 1.5 * u).collect();
    let points = Points::new(&data, 2).unwrap();
    // A bandwidth wide enough for every point to be within the support of a
    // query at the origin; the profile's cost does not depend on `u`.
    let r2 = (4.0 * BANDWIDTH) * (4.0 * BANDWIDTH);
    println!("| kernel | weights | M evaluations/s, one thread | ns an evaluation |");
    println!("|---|---|---|---|");
    // One worker: the sums run on it, one after the other.
    Workers::new(1)
        .unwrap()
        .run(0, &never_stop, |task| {
            let tree = BallSearch::new_parallel_for(points, Serves::KernelSums, task)?;
            for kernel in [Kernel::Flat, Kernel::Epanechnikov, Kernel::Gaussian] {
                for weighted in [false, true] {
                    let w = weighted.then_some(weights.as_slice());
                    let rows = tree.ordered_rows(w, task)?.expect("ordinary values");
                    let mut sums = LaneSums::new(2);
                    let start = Instant::now();
                    let mut sums_made = 0usize;
                    while start.elapsed().as_secs_f64() < seconds {
                        for _ in 0..64 {
                            tree.kernel_sum(&[0.0, 0.0], r2, kernel, &rows, &mut sums, task)?;
                            black_box(&sums);
                        }
                        sums_made += 64;
                    }
                    let per_s = (sums_made * n) as f64 / start.elapsed().as_secs_f64();
                    println!(
                        "| {kernel:?} | {} | {:.0} | {:.2} |",
                        if weighted { "yes" } else { "no" },
                        per_s / 1e6,
                        1e9 / per_s
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}
