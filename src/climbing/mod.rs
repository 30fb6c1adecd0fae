//! Per-seed hill climbing (docs/algorithm.md §2.3; kernels and weights §10),
//! parallel over seeds.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use rayon::prelude::*;

use crate::search::ball::BallSearch;
pub mod image_values;
pub mod joint;
pub mod limbs;
mod step_cache;
mod weigher;
mod window_lanes;

use crate::error::{try_filled, try_filled_by_workers, Result};
use crate::merge_sort;
use crate::options::Kernel;
use crate::parallel::{PerWorker, StopCheck, Task, Workers};
use crate::points::{Coord, Points};
use step_cache::StepCache;
pub use weigher::{NeighbourhoodSums, Weigher};

/// How one seed's climb ended.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Climb {
    /// The sum of the term weights `w k(u)` (for the flat kernel without
    /// weights: the points) of the last neighbourhood, the one the final mean
    /// was taken over; 0 when the seed's first neighbourhood weighed nothing
    /// (the seed is then dropped).
    pub intensity: f64,
    /// Completed iterations (one less than the number of mean updates).
    pub iterations: u64,
}

/// Where the seeds start: the data points themselves, or given positions.
#[derive(Debug, Clone, Copy)]
pub enum Seeds<'a> {
    /// Every point of the tree (of positive weight, with weights).
    EveryPoint,
    /// These positions.
    Given(Points<'a, f64>),
}

/// How the climbs weigh the points around them: the kernel, and one weight
/// per point (`None`: every point weighs 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weighing<'a> {
    /// The kernel profile.
    pub kernel: Kernel,
    /// One weight per point.
    pub weights: Option<&'a [f64]>,
}

impl Weighing<'_> {
    /// scikit-learn's climb: the flat kernel, no weights.
    pub const FLAT: Weighing<'static> = Weighing {
        kernel: Kernel::Flat,
        weights: None,
    };
}

/// Every seed's final mean (row-major, in the data's type) and intensity,
/// and the most iterations a climb took: 8 bytes a seed besides its centre,
/// for fits where nearly every point is a seed.
#[derive(Debug, Clone)]
pub struct Climbs<T> {
    /// Where each seed's climb ended, row-major.
    pub centers: Vec<T>,
    /// Each seed's [`Climb::intensity`] (0 for a dropped seed).
    pub intensities: Vec<f64>,
    /// The most iterations any seed took (dropped seeds included).
    pub n_iter: u64,
}

/// The bytes a climb's result takes in [`Climbs`]: its centre in `T` and its
/// intensity.
pub fn bytes_per_climb<T: Coord>(dim: usize) -> usize {
    dim * std::mem::size_of::<T>() + std::mem::size_of::<f64>()
}

/// Climbs every seed with the flat kernel and no weights; seeds are
/// independent, so the result does not depend on the number of threads.
/// Seeds at exactly the same position climb once. Progress counts seeds; a
/// climb gives up at its next ball query once `stop` says stop.
pub fn climb_all<T: Coord>(
    tree: &BallSearch<T>,
    seeds: Seeds,
    bandwidth: f64,
    max_iter: u64,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Climbs<T>> {
    climb_all_weighing(
        tree,
        seeds,
        bandwidth,
        max_iter,
        Weighing::FLAT,
        workers,
        stop,
    )
}

/// [`climb_all`] with any kernel and weights. With weights, every point of
/// positive weight is a seed of [`Seeds::EveryPoint`] (a point of weight 0
/// does not climb, and counts as a dropped seed of 0 iterations).
pub fn climb_all_weighing<T: Coord>(
    tree: &BallSearch<T>,
    seeds: Seeds,
    bandwidth: f64,
    max_iter: u64,
    weighing: Weighing,
    workers: &Workers,
    stop: StopCheck<'_>,
) -> Result<Climbs<T>> {
    let points = tree.points();
    let dim = points.dim();
    let n_seeds = match seeds {
        Seeds::EveryPoint => points.len(),
        Seeds::Given(s) => s.len(),
    };
    workers.run(n_seeds, stop, |task| {
        // The results are allocated by the job, on the worker whose allocator
        // arena holds a fit's other buffers (see `Workers::run`).
        let mut centers = try_filled_by_workers(n_seeds * dim, T::from_f64(0.0))?;
        let mut intensities = try_filled_by_workers(n_seeds, 0.0)?;
        let n_iter = AtomicU64::new(0);
        let firsts = match (seeds, weighing.weights) {
            (Seeds::EveryPoint, Some(weights)) => first_copies(points, |i| weights[i] > 0.0, task)?,
            (Seeds::EveryPoint, None) => first_copies(points, |_| true, task)?,
            (Seeds::Given(given), _) => first_copies(given, |_| true, task)?,
        };
        let weigher = Weigher::new(tree, weighing, task)?;
        let trees = match weigher {
            // Every point a seed: the 64-D digits on two threads climb in
            // 123 ms instead of 141 (see `BallSearch::per_worker`).
            None => tree.per_worker()?,
            // The kernels weigh columns of the weigher's own.
            Some(_) => PerWorker::shared(tree),
        };
        let climber = Climber::new(bandwidth, max_iter, weighing, weigher);
        let cache = StepCache::new(dim, n_seeds);
        // Climbs take from nothing (a cached step) to hundreds of ball
        // queries: small parts leave a thread that runs out of work
        // something to steal until the end. Parts of at most 8 seeds where
        // seeds are many (4000 10-D seeds: 1.92 threads busy instead of
        // 1.88, though the wall time moved within the noise), of 1 where
        // they are few and their climbs long (the Gaussian kernel from the
        // bins of 200,000 2-D points, two threads: 146-150 -> 136-140 ms):
        // every worker gets at least 64 parts.
        let part = (n_seeds / (64 * rayon::current_num_threads())).clamp(1, 8);

        centers
            .par_chunks_mut(dim)
            .zip(intensities.par_iter_mut())
            .enumerate()
            .with_max_len(part)
            .try_for_each_init(
                || Scratch::new(tree),
                |scratch, (s, (center, intensity))| {
                    if firsts[s] as usize == s {
                        match seeds {
                            Seeds::EveryPoint => scratch.start_at(points.row(s)),
                            Seeds::Given(given) => scratch.start_at(given.row(s)),
                        }
                        let climb = climber.climb(trees.get(), &cache, scratch, center, task)?;
                        *intensity = climb.intensity;
                        n_iter.fetch_max(climb.iterations, AtomicOrdering::Relaxed);
                    }
                    task.advance(1);
                    Ok(())
                },
            )?;
        for (s, &first) in firsts.iter().enumerate() {
            let first = first as usize;
            if first != s && first != NOT_A_SEED as usize {
                intensities[s] = intensities[first];
                centers.copy_within(first * dim..(first + 1) * dim, s * dim);
            }
        }
        Ok(Climbs {
            centers,
            intensities,
            n_iter: n_iter.into_inner(),
        })
    })
}

/// The mark of a row that does not climb (a point of weight 0).
const NOT_A_SEED: u32 = u32::MAX;

/// For every row that `climbs`, the first such row with the same coordinates
/// (equal values, so -0.0 and 0.0 meet: they climb alike); [`NOT_A_SEED`]
/// for the others. Found by sorting row indices, which takes 8 bytes a row
/// where a hash map of rows would take far more.
fn first_copies<C: Coord>(
    rows: Points<C>,
    climbs: impl Fn(usize) -> bool,
    task: &Task,
) -> Result<Vec<u32>> {
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
    sorted.retain(|&i| climbs(i as usize));
    // Equal rows end up together, lowest index first.
    merge_sort::sort_by(&mut sorted, |a, b| compare(a, b).then(a.cmp(b)), task)?;
    let mut firsts = try_filled(rows.len(), NOT_A_SEED)?;
    let mut first = 0;
    for (k, &i) in sorted.iter().enumerate() {
        if k == 0 || compare(&sorted[k - 1], &i).is_ne() {
            first = i;
        }
        firsts[i as usize] = first;
    }
    Ok(firsts)
}

/// One fit's climbing rule: the neighbourhood, its weighing, the stop.
struct Climber<'w> {
    radius2: f64,
    stop_threshold: f64,
    max_iter: u64,
    weighing: Weighing<'w>,
    /// For any weighing but [`Weighing::FLAT`] (plain ball sums).
    weigher: Option<Weigher<'w>>,
}

/// Per-thread buffers, so that a climb allocates nothing.
struct Scratch {
    position: Vec<f64>,
    next: Vec<f64>,
    key: Vec<u64>,
    sums: NeighbourhoodSums,
}

impl Scratch {
    fn new<T: Coord>(tree: &BallSearch<T>) -> Self {
        let dim = tree.points().dim();
        Scratch {
            position: vec![0.0; dim],
            next: vec![0.0; dim],
            key: vec![0; dim],
            sums: NeighbourhoodSums::new(tree),
        }
    }

    fn start_at<C: Coord>(&mut self, seed: &[C]) {
        for (p, &s) in self.position.iter_mut().zip(seed) {
            *p = s.to_f64();
        }
    }
}

impl<'w> Climber<'w> {
    fn new(
        bandwidth: f64,
        max_iter: u64,
        weighing: Weighing<'w>,
        weigher: Option<Weigher<'w>>,
    ) -> Self {
        let radius2 = bandwidth * bandwidth;
        Climber {
            radius2,
            stop_threshold: 1e-3 * bandwidth,
            max_iter,
            weighing,
            weigher,
        }
    }

    /// scikit-learn's `_mean_shift_single_seed`, starting from `scratch.position`;
    /// abandoned before any ball query once `task` is cancelled.
    /// (A flat-kernel climb ends in finitely many steps, Cheng 1995: each step
    /// that moves farther than the stop threshold raises the density it
    /// climbs, so no position comes back and a huge `max_iter` cannot hang.
    /// The other kernels' steps shrink below the threshold too, Comaniciu and
    /// Meer 2002, though the Gaussian's truncation voids that proof: for them
    /// `max_iter` and the stop check are the bounds.)
    fn climb<T: Coord>(
        &self,
        tree: &BallSearch<T>,
        cache: &StepCache,
        s: &mut Scratch,
        center: &mut [T],
        task: &Task,
    ) -> Result<Climb> {
        let mut iterations = 0u64;
        let intensity = loop {
            task.check()?;
            let count = self.step(tree, cache, s, task)?;
            if count == 0.0 {
                break 0.0;
            }
            let mut shift2 = 0.0;
            for (&p, &next) in s.position.iter().zip(&s.next) {
                let step = next - p;
                shift2 += step * step;
            }
            std::mem::swap(&mut s.position, &mut s.next);
            // A mean that overflowed ends the climb (the fit then fails, as
            // scikit-learn's next query does): at an infinite bandwidth its
            // ball would hold every point again and it would never settle.
            let overflowed = s.position.iter().any(|p| !p.is_finite());
            if overflowed || shift2.sqrt() <= self.stop_threshold || iterations == self.max_iter {
                break count;
            }
            iterations += 1;
        };
        for (c, &p) in center.iter_mut().zip(&s.position) {
            *c = T::from_f64(p);
        }
        Ok(Climb {
            intensity,
            iterations,
        })
    }

    /// The (weighted) mean of the neighbourhood of `s.position`, into
    /// `s.next`; returns its intensity (0 for a neighbourhood that weighs
    /// nothing, leaving `s.next` as it was), or gives up with
    /// [`crate::Error::Interrupted`] once `task` is cancelled in a long
    /// kernel sum.
    fn step<T: Coord>(
        &self,
        tree: &BallSearch<T>,
        cache: &StepCache,
        s: &mut Scratch,
        task: &Task,
    ) -> Result<f64> {
        for (k, &p) in s.key.iter_mut().zip(&s.position) {
            *k = p.to_bits();
        }
        if let Some(count) = cache.get(&s.key, &mut s.next) {
            return Ok(count);
        }
        let intensity = match &self.weigher {
            None => {
                let sums = &mut s.sums.plain;
                sums.clear();
                tree.ball_sum(&s.position, self.radius2, sums);
                let count = sums.count();
                if count > 0 {
                    for (j, next) in s.next.iter_mut().enumerate() {
                        // The mean is rounded to the data's type, as NumPy's mean keeps it.
                        *next = sums.mean::<T>(j).to_f64();
                    }
                }
                count as f64
            }
            Some(weigher) => {
                weigher.weigh(tree, &s.position, self.radius2, &mut s.sums, task)?;
                self.weighted_mean::<T>(s)
            }
        };
        if intensity > 0.0 {
            cache.insert(&s.key, &s.next, intensity);
        }
        Ok(intensity)
    }

    /// The mean of `s.weighted` into `s.next`, if it weighs anything; its weight.
    fn weighted_mean<T: Coord>(&self, s: &mut Scratch) -> f64 {
        let weight = s.sums.weighted.weight();
        if weight > 0.0 {
            let flat = self.weighing.kernel == Kernel::Flat;
            for (j, next) in s.next.iter_mut().enumerate() {
                *next = s.sums.weighted.mean::<T>(j, flat).to_f64();
            }
        }
        weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::never_stop;
    use crate::testing::blobs;

    /// The climb of the one seed of `climbed`.
    fn only(climbed: &Climbs<f64>) -> Climb {
        assert_eq!(climbed.intensities.len(), 1);
        Climb {
            intensity: climbed.intensities[0],
            iterations: climbed.n_iter,
        }
    }

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
    fn a_cancelled_climb_gives_up_before_its_first_ball_query() {
        let data = [0.0, 1.0, 2.0];
        let tree = BallSearch::new(Points::new(&data, 1).unwrap()).unwrap();
        let cache = StepCache::new(1, 1);
        let mut got = None;
        let run = crate::parallel::tests::run_cancelled(|task| {
            let mut scratch = Scratch::new(&tree);
            scratch.start_at(&[1.0]);
            let mut center = [0.0];
            let climber = Climber::new(1.5, 300, Weighing::FLAT, None);
            got = Some(climber.climb(&tree, &cache, &mut scratch, &mut center, task));
            Ok(())
        });
        assert_eq!(run, Err(crate::Error::Interrupted));
        assert_eq!(got, Some(Err(crate::Error::Interrupted)));
        // No step was taken, so none was cached.
        assert_eq!(cache.get(&[1.0f64.to_bits()], &mut [0.0]), None);
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
        assert_eq!(
            only(&got),
            Climb {
                intensity: 2.0,
                iterations: 0
            }
        );
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
        assert_eq!(
            only(&got),
            Climb {
                intensity: 2.0,
                iterations: 1
            }
        );
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
        assert_eq!(
            only(&got),
            Climb {
                intensity: 0.0,
                iterations: 0
            }
        );
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
        let (copy_01, copy_07) = (from(0.1), from(0.7));
        assert_eq!(
            only(&copy_01),
            Climb {
                intensity: 0.0,
                iterations: 1
            }
        );
        assert_eq!(copy_01.centers[0], 0.10000000000000002);
        assert_eq!(
            only(&copy_07),
            Climb {
                intensity: 10.0,
                iterations: 0
            }
        );
        assert_eq!(copy_07.centers[0], 0.7);
        let every = climb_from(&data, 1, Seeds::EveryPoint, 0.0, 300);
        assert_eq!((every.intensities[0], every.intensities[3]), (0.0, 10.0));
        assert_eq!(
            (every.centers[0], every.centers[3]),
            (0.10000000000000002, 0.7)
        );
        assert_eq!(every.n_iter, 1);
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
            assert!(alone.n_iter <= together.n_iter);
            let bits = |c: &[f64]| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&alone.centers),
                bits(&together.centers[2 * s..2 * s + 2])
            );
        }
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
        assert_eq!(
            (&one.intensities, one.n_iter),
            (&three.intensities, three.n_iter)
        );
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
