//! Per-seed flat-kernel hill climbing (SPEC.md §1 step 3), parallel over seeds.

use rayon::prelude::*;

use std::collections::HashMap;
use std::hash::Hasher;

use crate::ball_search::BallSearch;
use crate::error::{try_filled, Result};
use crate::exact_keys::ExactKeys;
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
}

/// Every seed's final mean (row-major, in the data's type) and how it got there.
pub struct Climbs<T> {
    pub centers: Vec<T>,
    pub climbs: Vec<Climb>,
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
    let n_seeds = match seeds {
        Seeds::EveryPoint => points.len(),
        Seeds::Given(s) => s.len(),
    };
    let firsts = match seeds {
        Seeds::EveryPoint => first_copies(points)?,
        Seeds::Given(given) => first_copies(given)?,
    };
    let mut centers = try_filled(n_seeds * dim, T::from_f64(0.0))?;
    let mut climbs = try_filled(n_seeds, Climb::default())?;
    let kernel = Kernel::new(bandwidth, max_iter);
    let cache = StepCache::new(dim, n_seeds);

    workers.in_chunks(n_seeds, 32, stop, |range| {
        centers[range.start * dim..range.end * dim]
            .par_chunks_mut(dim)
            .zip(climbs[range.clone()].par_iter_mut())
            .enumerate()
            .for_each_init(
                || Scratch::new(tree),
                |scratch, (k, (center, climb))| {
                    let s = range.start + k;
                    if firsts[s] as usize != s {
                        return;
                    }
                    match seeds {
                        Seeds::EveryPoint => scratch.start_at(points.row(s)),
                        Seeds::Given(given) => scratch.start_at(given.row(s)),
                    }
                    *climb = kernel.climb(tree, &cache, scratch, center);
                },
            );
    })?;
    for (s, &first) in firsts.iter().enumerate() {
        let first = first as usize;
        if first != s {
            climbs[s] = climbs[first];
            centers.copy_within(first * dim..(first + 1) * dim, s * dim);
        }
    }
    Ok(Climbs { centers, climbs })
}

/// For every row, the first row with the same coordinates (equal values, so
/// -0.0 and 0.0 meet: they climb alike).
fn first_copies<C: Coord>(rows: Points<C>) -> Result<Vec<u32>> {
    let mut firsts = try_filled(rows.len(), 0u32)?;
    let mut keys = ExactKeys::default();
    let mut first_of_key = Vec::new();
    for (s, first) in firsts.iter_mut().enumerate() {
        let (key, new) = keys.number(rows.row(s).iter().map(|x| x.to_f64()));
        if new {
            first_of_key.push(s as u32);
        }
        *first = first_of_key[key];
    }
    Ok(firsts)
}

struct Kernel {
    radius2: f64,
    stop_threshold: f64,
    max_iter: u64,
}

/// Per-thread buffers, so that a climb allocates nothing once they have grown
/// to the longest climb.
struct Scratch {
    position: Vec<f64>,
    next: Vec<f64>,
    key: Vec<u64>,
    sums: CoordinateSums,
    path: Path,
}

impl Scratch {
    fn new<T: Coord>(tree: &BallSearch<T>) -> Self {
        let dim = tree.points().dim();
        Scratch {
            position: vec![0.0; dim],
            next: vec![0.0; dim],
            key: vec![0; dim],
            sums: tree.new_sums(),
            path: Path::default(),
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
    ///
    /// The next position is a function of the current one alone, so a climb
    /// that comes back exactly to a position it held before is in a cycle and
    /// will run to `max_iter`: it jumps to the end of it instead (integer
    /// data, pixels for instance, does cycle).
    fn climb<T: Coord>(
        &self,
        tree: &BallSearch<T>,
        cache: &StepCache,
        s: &mut Scratch,
        center: &mut [T],
    ) -> Climb {
        s.path.start(&s.position);
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
            if let Some(end) = s.path.visit(&s.position, count, self.max_iter) {
                s.position.copy_from_slice(s.path.position(end));
                iterations = self.max_iter;
                break s.path.count(end);
            }
        };
        for (c, &p) in center.iter_mut().zip(&s.position) {
            *c = T::from_f64(p);
        }
        Climb {
            intensity,
            iterations,
        }
    }
}

impl Kernel {
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

/// The positions of one climb, `p_0` (the seed) to `p_k`, with the size of
/// the ball each was the mean of, to spot an exact return.
#[derive(Default)]
struct Path {
    positions: Vec<f64>,
    counts: Vec<usize>,
    /// Hash of a position's bits -> its latest step.
    steps: HashMap<u64, u64>,
}

impl Path {
    fn start(&mut self, seed: &[f64]) {
        self.positions.clear();
        self.counts.clear();
        self.steps.clear();
        self.push(seed, 0);
    }

    fn push(&mut self, position: &[f64], count: usize) -> Option<u64> {
        let step = self.counts.len() as u64;
        self.positions.extend_from_slice(position);
        self.counts.push(count);
        self.steps.insert(bits_hash(position), step)
    }

    /// Records `p_k` (the mean of a ball of `count` points). If it repeats
    /// `p_a`, the climb cycles with period `k - a` until its last update,
    /// number `max_iter + 1`: returns the step that update lands on, in
    /// `a + 1..=k`. (A hash collision only forgoes the jump.)
    fn visit(&mut self, position: &[f64], count: usize, max_iter: u64) -> Option<u64> {
        let k = self.counts.len() as u64;
        let a = self.push(position, count)?;
        let same = self
            .position(a)
            .iter()
            .zip(position)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        if !same {
            return None;
        }
        let period = k - a;
        Some(a + 1 + (max_iter - a) % period)
    }

    fn position(&self, step: u64) -> &[f64] {
        let dim = self.positions.len() / self.counts.len();
        &self.positions[step as usize * dim..(step as usize + 1) * dim]
    }

    fn count(&self, step: u64) -> usize {
        self.counts[step as usize]
    }
}

fn bits_hash(position: &[f64]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for x in position {
        hasher.write_u64(x.to_bits());
    }
    hasher.finish()
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
        let max_iter = got.climbs.iter().map(|c| c.iterations).max().unwrap();
        assert_eq!(max_iter, 2);
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
        assert_eq!(
            got.climbs[0],
            Climb {
                intensity: 2,
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
            got.climbs[0],
            Climb {
                intensity: 2,
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
            got.climbs[0],
            Climb {
                intensity: 0,
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
        let got = climb_from(&data, 1, Seeds::EveryPoint, 0.0, 300);
        assert_eq!(
            got.climbs[0],
            Climb {
                intensity: 0,
                iterations: 1
            }
        );
        assert_eq!(got.centers[0], 0.10000000000000002);
        assert_eq!(
            got.climbs[3],
            Climb {
                intensity: 10,
                iterations: 0
            }
        );
        assert_eq!(got.centers[3], 0.7);
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
        assert_eq!(one.climbs, three.climbs);
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
