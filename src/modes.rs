//! From climbed seeds to cluster centres (docs/algorithm.md §2.4 to §2.7): collapse
//! identical centres, order them by intensity, suppress near-duplicates.

use crate::climbing::Climbs;
use crate::error::{Error, Result};
use crate::exact::interner::ExactKeys;
use crate::merge_sort;
use crate::parallel::Task;
use crate::points::{Coord, Points};
use crate::search::ball::BallSearch;
use std::cmp::Ordering;

/// Rows of a serial loop between two checks of the task.
const CHECK_EVERY: usize = 1 << 12;

/// A distinct centre: where it is (a row of the climbed centres) and its intensity.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mode {
    row: usize,
    intensity: f64,
}

/// The cluster centres, row-major, in scikit-learn's order; abandoned with
/// [`Error::Interrupted`] once `task` is cancelled.
pub fn find_modes<T: Coord>(
    climbed: &Climbs<T>,
    dim: usize,
    bandwidth: f64,
    task: &Task,
) -> Result<Vec<T>> {
    let centers = Points::new(&climbed.centers, dim)?;
    let mut modes = collect(climbed, centers, task)?;
    if modes.is_empty() {
        return Err(Error::NoPointWithinBandwidth { bandwidth });
    }
    sort_by_intensity(&mut modes, centers, task)?;
    let sorted: Vec<T> = modes
        .iter()
        .flat_map(|m| centers.row(m.row).iter().copied())
        .collect();
    suppress_near_duplicates(Points::new(&sorted, dim)?, bandwidth, task)
}

/// Kept climbs keyed by their exact coordinates, as a Python dict of tuples:
/// equal centres collapse, keeping the first one's coordinates (-0.0 and 0.0
/// are equal) and the last one's intensity.
fn collect<T: Coord>(climbed: &Climbs<T>, centers: Points<T>, task: &Task) -> Result<Vec<Mode>> {
    let mut modes: Vec<Mode> = Vec::new();
    let mut keys = ExactKeys::default();
    for (row, climb) in climbed.climbs.iter().enumerate() {
        if row % CHECK_EVERY == 0 {
            task.check()?;
        }
        if climb.intensity == 0.0 {
            continue;
        }
        match keys.number(centers.row(row).iter().map(|x| x.to_f64())) {
            (m, false) => modes[m].intensity = climb.intensity,
            (_, true) => modes.push(Mode {
                row,
                intensity: climb.intensity,
            }),
        }
    }
    Ok(modes)
}

/// Descending by `(intensity, coordinates...)`, as scikit-learn sorts its
/// `(center, intensity)` items with `reverse=True`.
fn sort_by_intensity<T: Coord>(modes: &mut [Mode], centers: Points<T>, task: &Task) -> Result<()> {
    let by_intensity = |a: &Mode, b: &Mode| {
        b.intensity.total_cmp(&a.intensity).then_with(|| {
            let (ra, rb) = (centers.row(a.row), centers.row(b.row));
            for (x, y) in ra.iter().zip(rb) {
                match y.to_f64().partial_cmp(&x.to_f64()) {
                    Some(Ordering::Equal) | None => continue,
                    Some(order) => return order,
                }
            }
            Ordering::Equal
        })
    };
    merge_sort::sort_by(modes, by_intensity, task)
}

/// Walks the sorted centres; each one still unique claims every other centre
/// within `bandwidth` of it, which stops being unique. The tree over the
/// centres is built by the workers that run `task`; the walk gives up at its
/// next ball query once `task` is cancelled.
pub fn suppress_near_duplicates<T: Coord>(
    sorted: Points<T>,
    bandwidth: f64,
    task: &Task,
) -> Result<Vec<T>> {
    let tree = BallSearch::new_parallel(sorted, task)?;
    let radius2 = bandwidth * bandwidth;
    let mut unique = vec![true; sorted.len()];
    let mut position = vec![0.0; sorted.dim()];
    for i in 0..sorted.len() {
        if !unique[i] {
            continue;
        }
        task.check()?;
        for (p, &x) in position.iter_mut().zip(sorted.row(i)) {
            *p = x.to_f64();
        }
        tree.for_each_within(&position, radius2, |j| unique[j] = false);
        unique[i] = true;
    }
    Ok((0..sorted.len())
        .filter(|&i| unique[i])
        .flat_map(|i| sorted.row(i).iter().copied())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::climbing::Climb;
    use crate::parallel::tests::run_cancelled;
    use crate::parallel::{never_stop, Workers};

    fn modes_of(climbed: &Climbs<f64>, dim: usize, bandwidth: f64) -> Result<Vec<f64>> {
        Workers::new(2).unwrap().run(0, &never_stop, |task| {
            find_modes(climbed, dim, bandwidth, task)
        })
    }

    fn climbs(centers: Vec<f64>, intensities: &[usize]) -> Climbs<f64> {
        Climbs {
            centers,
            climbs: intensities
                .iter()
                .map(|&intensity| Climb {
                    intensity: intensity as f64,
                    iterations: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn identical_centres_collapse_and_the_last_intensity_wins() {
        let c = climbs(vec![1.0, 5.0, 1.0, 9.0], &[3, 2, 7, 1]);
        // Centre 1.0 ends with intensity 7 (the later seed), ahead of 5.0 and 9.0.
        assert_eq!(modes_of(&c, 1, 0.5).unwrap(), vec![1.0, 5.0, 9.0]);
    }

    #[test]
    fn ties_in_intensity_go_to_larger_coordinates() {
        let c = climbs(vec![1.0, 2.0, 3.0, 0.0, 1.0, 5.0], &[4, 4, 4]);
        assert_eq!(
            modes_of(&c, 2, 0.1).unwrap(),
            vec![3.0, 0.0, 1.0, 5.0, 1.0, 2.0]
        );
    }

    #[test]
    fn dropped_seeds_are_not_modes() {
        let c = climbs(vec![1.0, 2.0], &[0, 0]);
        assert_eq!(
            modes_of(&c, 1, 1.0),
            Err(Error::NoPointWithinBandwidth { bandwidth: 1.0 })
        );
    }

    #[test]
    fn suppression_is_greedy_in_sorted_order() {
        // 0 claims 1 (distance 1 <= 1); 2 is 1 from 1 but 2 from 0: it survives.
        let sorted = [0.0, 1.0, 2.0];
        let kept = Workers::new(1).unwrap().run(0, &never_stop, |task| {
            suppress_near_duplicates(Points::new(&sorted, 1).unwrap(), 1.0, task)
        });
        assert_eq!(kept, Ok(vec![0.0, 2.0]));
    }

    #[test]
    fn a_cancelled_task_gives_up() {
        let c = climbs(vec![1.0, 5.0, 1.0, 9.0], &[3, 2, 7, 1]);
        let mut got = None;
        let run = run_cancelled(|task| {
            got = Some(find_modes(&c, 1, 0.5, task));
            Ok(())
        });
        assert_eq!(run, Err(Error::Interrupted));
        assert_eq!(got, Some(Err(Error::Interrupted)));
    }

    #[test]
    fn negative_zero_collapses_with_zero_keeping_the_first() {
        let c = climbs(vec![-0.0, 0.0], &[1, 2]);
        let modes = modes_of(&c, 1, 1.0).unwrap();
        assert_eq!(modes.len(), 1);
        assert!(modes[0].is_sign_negative());
    }
}
