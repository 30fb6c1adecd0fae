//! Per-seed flat-kernel hill climbing (SPEC.md §1 step 3), parallel over seeds.

use std::cmp::Ordering;
use std::sync::atomic::{self, AtomicU64};

use rayon::prelude::*;

use crate::ball_search::BallSearch;
use crate::error::{try_filled, Result};
use crate::parallel::{StopCheck, Workers};
use crate::points::{Coord, Points};
use crate::step_cache::StepCache;
use crate::summation::CoordinateSums;

/// How one seed's climb ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Climb {
    /// Points in the last ball, the one the final mean was taken over; 0 when
    /// the seed's first ball was empty (the seed is then dropped).
    pub intensity: usize,
    /// Completed iterations (one less than the number of mean updates).
    pub iterations: u64,
}

/// Where the seeds start: the data points themselves, or given positions.
#[derive(Debug, Clone, Copy)]
pub enum Seeds<'a> {
    EveryPoint,
    Given(Points<'a, f64>),
    /// Given in float32 (bin seeds scaled in float32, as scikit-learn scales
    /// them), read as the float64 values they widen to, without a float64
    /// copy of every seed.
    GivenSingle(Points<'a, f32>),
}

impl Seeds<'_> {
    /// How many seeds are given and their dimension; `None` for every point.
    pub fn given_shape(&self) -> Option<(usize, usize)> {
        match self {
            Seeds::EveryPoint => None,
            Seeds::Given(given) => Some((given.len(), given.dim())),
            Seeds::GivenSingle(given) => Some((given.len(), given.dim())),
        }
    }
}

/// Every seed's final mean (row-major, in the data's type) and how it got there.
#[derive(Debug, Clone)]
pub struct Climbs<T> {
    pub centers: Vec<T>,
    /// Per seed, points in its last ball (see [`Climb::intensity`]): at most
    /// the number of points, so a u32, where a [`Climb`] a seed would take 16
    /// bytes.
    pub intensities: Vec<u32>,
    /// The most iterations any seed took (dropped seeds included).
    pub n_iter: u64,
}

/// Climbs every seed; seeds are independent, so the result does not depend on
/// the number of threads. Seeds at exactly the same position climb once.
pub fn climb_all<T: Coord>(
    tree: &BallSearch<T>,
    seeds: Seeds,
    bandwidth: f64,
    max_iter: u64,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Climbs<T>> {
    let points = tree.points();
    let dim = points.dim();
    let n_seeds = seeds.given_shape().map_or(points.len(), |(len, _)| len);
    let firsts = match seeds {
        Seeds::EveryPoint => first_copies(points)?,
        Seeds::Given(given) => first_copies(given)?,
        Seeds::GivenSingle(given) => first_copies(given)?,
    };
    let mut centers = try_filled(n_seeds * dim, T::from_f64(0.0))?;
    let mut intensities = try_filled(n_seeds, 0u32)?;
    // The most iterations of any seed, kept as they finish (the order of a
    // maximum does not matter).
    let n_iter = AtomicU64::new(0);
    let kernel = Kernel::new(bandwidth, max_iter);
    let cache = StepCache::new(dim, n_seeds);

    workers.in_chunks(n_seeds, 32, stop, |range| {
        centers[range.start * dim..range.end * dim]
            .par_chunks_mut(dim)
            .zip(intensities[range.clone()].par_iter_mut())
            .enumerate()
            .for_each_init(
                || Scratch::new(tree),
                |scratch, (k, (center, intensity))| {
                    let s = range.start + k;
                    if firsts[s] as usize != s {
                        return;
                    }
                    match seeds {
                        Seeds::EveryPoint => scratch.start_at(points.row(s)),
                        Seeds::Given(given) => scratch.start_at(given.row(s)),
                        Seeds::GivenSingle(given) => scratch.start_at(given.row(s)),
                    }
                    let climb = kernel.climb(tree, &cache, scratch, center);
                    // A ball holds at most every point, and points fit in u32.
                    *intensity = climb.intensity as u32;
                    n_iter.fetch_max(climb.iterations, atomic::Ordering::Relaxed);
                },
            );
    })?;
    for (s, &first) in firsts.iter().enumerate() {
        let first = first as usize;
        if first != s {
            intensities[s] = intensities[first];
            centers.copy_within(first * dim..(first + 1) * dim, s * dim);
        }
    }
    Ok(Climbs {
        centers,
        intensities,
        n_iter: n_iter.into_inner(),
    })
}

/// For every row, the first row with the same coordinates (equal values, so
/// -0.0 and 0.0 meet: they climb alike). Found by sorting row indices, which
/// takes 8 bytes a row where a hash map of rows would take far more.
fn first_copies<C: Coord>(rows: Points<C>) -> Result<Vec<u32>> {
    let value = |i: u32, j: usize| rows.row(i as usize)[j].to_f64() + 0.0;
    let compare = |&a: &u32, &b: &u32| {
        (0..rows.dim())
            .map(|j| value(a, j).total_cmp(&value(b, j)))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal)
    };
    let mut sorted = try_filled(rows.len(), 0u32)?;
    sorted
        .iter_mut()
        .enumerate()
        .for_each(|(i, s)| *s = i as u32);
    // Equal rows end up together, lowest index first.
    sorted.sort_unstable_by(|a, b| compare(a, b).then(a.cmp(b)));
    let mut firsts = try_filled(rows.len(), 0u32)?;
    let mut first = 0;
    for (k, &i) in sorted.iter().enumerate() {
        if k == 0 || compare(&sorted[k - 1], &i).is_ne() {
            first = i;
        }
        firsts[i as usize] = first;
    }
    Ok(firsts)
}

struct Kernel {
    radius2: f64,
    stop_threshold: f64,
    max_iter: u64,
}

/// Per-thread buffers, so that a climb allocates nothing.
struct Scratch {
    position: Vec<f64>,
    next: Vec<f64>,
    key: Vec<u64>,
    sums: CoordinateSums,
}

impl Scratch {
    fn new<T: Coord>(tree: &BallSearch<T>) -> Self {
        let dim = tree.points().dim();
        Scratch {
            position: vec![0.0; dim],
            next: vec![0.0; dim],
            key: vec![0; dim],
            sums: tree.new_sums(),
        }
    }

    fn start_at<C: Coord>(&mut self, seed: &[C]) {
        for (p, &s) in self.position.iter_mut().zip(seed) {
            *p = s.to_f64();
        }
    }
}

impl Kernel {
    fn new(bandwidth: f64, max_iter: u64) -> Self {
        Kernel {
            radius2: bandwidth * bandwidth,
            stop_threshold: 1e-3 * bandwidth,
            max_iter,
        }
    }

    /// scikit-learn's `_mean_shift_single_seed`, starting from `scratch.position`.
    /// (A flat-kernel climb ends in finitely many steps, Cheng 1995: each step
    /// that moves farther than the stop threshold raises the density it
    /// climbs, so no position comes back and a huge `max_iter` cannot hang.)
    fn climb<T: Coord>(
        &self,
        tree: &BallSearch<T>,
        cache: &StepCache,
        s: &mut Scratch,
        center: &mut [T],
    ) -> Climb {
        let mut iterations = 0u64;
        let intensity = loop {
            let count = self.step(tree, cache, s);
            if count == 0 {
                break 0;
            }
            let mut shift2 = 0.0;
            for (&p, &next) in s.position.iter().zip(&s.next) {
                let step = next - p;
                shift2 += step * step;
            }
            std::mem::swap(&mut s.position, &mut s.next);
            if shift2.sqrt() <= self.stop_threshold || iterations == self.max_iter {
                break count;
            }
            iterations += 1;
        };
        for (c, &p) in center.iter_mut().zip(&s.position) {
            *c = T::from_f64(p);
        }
        Climb {
            intensity,
            iterations,
        }
    }

    /// The mean of the ball around `s.position`, into `s.next`; returns the
    /// ball's size (0 for an empty ball, leaving `s.next` as it was).
    fn step<T: Coord>(&self, tree: &BallSearch<T>, cache: &StepCache, s: &mut Scratch) -> usize {
        for (k, &p) in s.key.iter_mut().zip(&s.position) {
            *k = p.to_bits();
        }
        if let Some(count) = cache.get(&s.key, &mut s.next) {
            return count;
        }
        s.sums.clear();
        tree.ball_sum(&s.position, self.radius2, &mut s.sums);
        let count = s.sums.count();
        if count > 0 {
            for (j, next) in s.next.iter_mut().enumerate() {
                // The mean is rounded to the data's type, as NumPy's mean keeps it.
                *next = s.sums.mean::<T>(j).to_f64();
            }
            cache.insert(&s.key, &s.next, count);
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;
    use crate::testing::blobs;

    fn climb_from(data: &[f64], dim: usize, seeds: Seeds, bw: f64, max_iter: u64) -> Climbs<f64> {
        let tree = BallSearch::new(Points::new(data, dim).unwrap()).unwrap();
        climb_all(
            &tree,
            seeds,
            bw,
            max_iter,
            &Workers::new(1).unwrap(),
            &never_stop,
        )
        .unwrap()
    }

    #[test]
    fn dataset_b_climbs() {
        let data = [1.0, 1.0, 2.0, 1.0, 1.0, 0.0, 4.0, 7.0, 3.0, 5.0, 3.0, 6.0];
        let got = climb_from(&data, 2, Seeds::EveryPoint, 2.0, 300);
        assert_eq!(got.n_iter, 2);
        assert_eq!(&got.centers[0..2], &[4.0 / 3.0, 2.0 / 3.0]);
        assert_eq!(&got.centers[6..8], &[10.0 / 3.0, 6.0]);
    }

    #[test]
    fn max_iter_zero_still_updates_once() {
        let data = [0.0, 1.0, 2.0, 10.0];
        let seeds = [0.0];
        let got = climb_from(
            &data,
            1,
            Seeds::Given(Points::new(&seeds, 1).unwrap()),
            1.5,
            0,
        );
        assert_eq!((got.intensities[0], got.n_iter), (2, 0));
        assert_eq!(got.centers, vec![0.5]);
    }

    #[test]
    fn intensity_is_counted_before_the_last_update() {
        // From 0: ball {0,1} -> 0.5; ball {0,1} again -> converged with 2.
        // From 1.6: ball {1,2} -> 1.5; ball {1,2} -> converged, intensity 2.
        let data = [0.0, 1.0, 2.0];
        let seeds = [1.6];
        let got = climb_from(
            &data,
            1,
            Seeds::Given(Points::new(&seeds, 1).unwrap()),
            0.7,
            300,
        );
        assert_eq!(got.centers, vec![1.5]);
        assert_eq!((got.intensities[0], got.n_iter), (2, 1));
    }

    #[test]
    fn orphan_seed_is_dropped_with_zero_iterations() {
        let data = [0.0, 1.0];
        let seeds = [100.0];
        let got = climb_from(
            &data,
            1,
            Seeds::Given(Points::new(&seeds, 1).unwrap()),
            1.0,
            300,
        );
        assert_eq!((got.intensities[0], got.n_iter), (0, 0));
    }

    #[test]
    fn zero_bandwidth_reproduces_numpys_mean_of_copies() {
        // Three copies of 0.1 average to 0.10000000000000002 in NumPy: the next
        // zero-radius ball is empty, so scikit-learn drops the seed after one
        // iteration. Ten copies of 0.7 (one column, pairwise) stay on 0.7.
        let data = [
            0.1, 0.1, 0.1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7,
        ];
        let from = |seed: f64| {
            let seeds = [seed];
            climb_from(
                &data,
                1,
                Seeds::Given(Points::new(&seeds, 1).unwrap()),
                0.0,
                300,
            )
        };
        let tenth = from(0.1);
        assert_eq!((tenth.intensities[0], tenth.n_iter), (0, 1));
        assert_eq!(tenth.centers[0], 0.10000000000000002);
        let seven = from(0.7);
        assert_eq!((seven.intensities[0], seven.n_iter), (10, 0));
        assert_eq!(seven.centers[0], 0.7);
        let all = climb_from(&data, 1, Seeds::EveryPoint, 0.0, 300);
        assert_eq!(all.intensities, [[0; 3].as_slice(), &[10; 10]].concat());
        assert_eq!(all.n_iter, 1);
    }

    #[test]
    fn shared_steps_and_copies_change_nothing() {
        // Every seed climbed alone (its own, empty step cache) must match the
        // fit where seeds share steps and duplicate points climb once.
        let mut data = blobs(4, 600, &[&[0.0, 0.0], &[2.5, 0.5]], 0.6);
        data.extend_from_within(..200);
        let tree = BallSearch::new(Points::new(&data, 2).unwrap()).unwrap();
        let workers = Workers::new(2).unwrap();
        let together =
            climb_all(&tree, Seeds::EveryPoint, 0.9, 300, &workers, &never_stop).unwrap();
        let mut most = 0;
        for s in (0..data.len() / 2).step_by(7) {
            let seed = &data[2 * s..2 * s + 2];
            let alone = climb_all(
                &tree,
                Seeds::Given(Points::new(seed, 2).unwrap()),
                0.9,
                300,
                &workers,
                &never_stop,
            )
            .unwrap();
            assert_eq!(alone.intensities[0], together.intensities[s], "seed {s}");
            most = most.max(alone.n_iter);
            let bits = |c: &[f64]| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&alone.centers),
                bits(&together.centers[2 * s..2 * s + 2])
            );
        }
        assert!(most <= together.n_iter);
    }

    #[test]
    fn thread_count_does_not_change_a_bit() {
        let data = blobs(3, 3000, &[&[0.0, 0.0, 0.0], &[3.0, 3.0, 0.0]], 0.7);
        let tree = BallSearch::new(Points::new(&data, 3).unwrap()).unwrap();
        let run = |threads| {
            let w = Workers::new(threads).unwrap();
            climb_all(&tree, Seeds::EveryPoint, 1.1, 300, &w, &never_stop).unwrap()
        };
        let (one, three) = (run(1), run(3));
        assert_eq!(one.intensities, three.intensities);
        assert_eq!(one.n_iter, three.n_iter);
        let bits = |c: &Climbs<f64>| c.centers.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one), bits(&three));
    }

    #[test]
    fn float32_means_are_rounded_to_float32() {
        let data = [0.0f32, 0.1, 0.2];
        let tree = BallSearch::new(Points::new(&data, 1).unwrap()).unwrap();
        let seeds = [0.1];
        let got = climb_all(
            &tree,
            Seeds::Given(Points::new(&seeds, 1).unwrap()),
            1.0,
            300,
            &Workers::new(1).unwrap(),
            &never_stop,
        )
        .unwrap();
        let exact = (0.0f64 + 0.1f32 as f64 + 0.2f32 as f64) / 3.0;
        assert_eq!(got.centers, vec![exact as f32]);
    }
}
