//! Where the time of a fit with every point a seed goes as n grows: the climbs
//! made again one step at a time through the public ball search, counting
//! the steps, the distinct positions they start from (the ball sums a fit
//! computes when its step cache keeps every step), the points in each ball
//! and the points near each ball's sphere, whose leaves an exact ball sum
//! must open (`cargo bench --bench every_point_counts -- 5000 100000`).
//!
//! The climb rule is the fit's (docs/algorithm.md §2.3): the next position
//! is the mean of the closed ball, rounded to the data's type; a climb stops
//! when it moves at most 1e-3 bandwidths, or after 300 iterations.

use std::collections::HashMap;
use std::time::Instant;

use fastmeanshift::parallel::never_stop;
use fastmeanshift::search::ball::BallSearch;
#[path = "../src/testing.rs"]
mod testing;
use fastmeanshift::{Points, Workers};
use testing::blobs;

const CENTRES_2D: [&[f64]; 3] = [&[1.0, 1.0], &[-1.0, -1.0], &[1.0, -1.0]];
const BANDWIDTH: f64 = 1.07;
const MAX_ITER: u64 = 300;
/// The shell counted as a sphere's boundary: this share of the radius on
/// either side of it.
const SHELL: f64 = 0.02;

#[derive(Default)]
struct Counts {
    steps: u64,
    ball_points: u64,
    shell_points: u64,
    ball_sum_seconds: f64,
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<f64>().ok())
        .map(|n| n as usize)
        .collect();
    let sizes = if sizes.is_empty() {
        vec![5_000, 100_000]
    } else {
        sizes
    };
    println!("| n | steps | distinct positions (ball sums) | steps / seed | ball sums / seed | points per ball | points within ±{:.0}% of the radius per ball | ball sums s (1 thread) | µs per ball sum |", SHELL * 100.0);
    println!("|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let data = blobs(0, n, &CENTRES_2D, 0.4);
        let points = Points::new(&data, 2).unwrap();
        let mut tree = BallSearch::new(points).unwrap();
        // With its rows in tree order, as a fit with every point a seed keeps them.
        let workers = Workers::new(1).unwrap();
        workers
            .run(0, &never_stop, |task| tree.keep_rows_in_order(task))
            .unwrap();
        let r2 = BANDWIDTH * BANDWIDTH;
        let (inner, outer) = (
            (BANDWIDTH * (1.0 - SHELL)).powi(2),
            (BANDWIDTH * (1.0 + SHELL)).powi(2),
        );
        let mut steps: HashMap<[u64; 2], [f64; 2]> = HashMap::new();
        let mut counts = Counts::default();
        let mut sums = tree.new_sums();
        let mut shell = Vec::new();
        for seed in 0..n {
            let mut position = [points.row(seed)[0], points.row(seed)[1]];
            let mut iterations = 0;
            loop {
                counts.steps += 1;
                let key = [position[0].to_bits(), position[1].to_bits()];
                let next = *steps.entry(key).or_insert_with(|| {
                    sums.clear();
                    let timer = Instant::now();
                    tree.ball_sum(&position, r2, &mut sums);
                    counts.ball_sum_seconds += timer.elapsed().as_secs_f64();
                    counts.ball_points += sums.count() as u64;
                    shell.clear();
                    tree.count_within_and_collect_shell(&position, inner, outer, &mut shell);
                    counts.shell_points += shell.len() as u64;
                    [sums.mean::<f64>(0), sums.mean::<f64>(1)]
                });
                let shift =
                    ((next[0] - position[0]).powi(2) + (next[1] - position[1]).powi(2)).sqrt();
                position = next;
                if shift <= 1e-3 * BANDWIDTH || iterations == MAX_ITER {
                    break;
                }
                iterations += 1;
            }
        }
        let distinct = steps.len() as u64;
        println!(
            "| {n} | {} | {distinct} | {:.1} | {:.1} | {:.0} | {:.0} | {:.2} | {:.2} |",
            counts.steps,
            counts.steps as f64 / n as f64,
            distinct as f64 / n as f64,
            counts.ball_points as f64 / distinct as f64,
            counts.shell_points as f64 / distinct as f64,
            counts.ball_sum_seconds,
            counts.ball_sum_seconds * 1e6 / distinct as f64,
        );
    }
}
