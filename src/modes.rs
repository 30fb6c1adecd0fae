//! From climbed seeds to cluster centres (docs/algorithm.md §2.4 to §2.7): collapse
//! identical centres, order them by intensity, suppress near-duplicates.

use crate::climbing::Climbs;
use crate::error::{try_filled, Error, Result};
use crate::merge_sort;
use crate::parallel::Task;
use crate::points::{Coord, Points};
use crate::search::ball::BallSearch;
use std::cmp::Ordering;

/// Rows of a serial loop between two checks of the task.
const CHECK_EVERY: usize = 1 << 12;

/// A distinct centre: where it is (a row of the climbed centres; rows fit in
/// u32, see [`Points`]) and its intensity.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mode {
    row: u32,
    intensity: f64,
}

/// The cluster centres, row-major, in scikit-learn's order; abandoned with
/// [`Error::Interrupted`] once `task` is cancelled. The climbs are taken by
/// value: the distinct centres are gathered and suppressed within the climbed
/// ones, in place, rather than copied out (a copy would be as large as them
/// when nearly every seed climbs to a centre of its own).
pub fn find_modes<T: Coord>(
    climbed: Climbs<T>,
    dim: usize,
    bandwidth: f64,
    task: &Task,
) -> Result<Vec<T>> {
    let Climbs {
        mut centers,
        intensities,
        ..
    } = climbed;
    let modes = ordered_modes(&intensities, Points::new(&centers, dim)?, bandwidth, task)?;
    drop(intensities);
    gather_in_place(&mut centers, dim, &modes, task)?;
    centers.truncate(modes.len() * dim);
    drop(modes);
    suppress_near_duplicates(centers, dim, bandwidth, task)
}

/// [`find_modes`] of climbs that are kept for more (attractor labels read
/// every climb's end after it): the modes' rows are copied out instead of
/// gathered in place, which takes as much again as the distinct centres.
pub fn find_modes_of<T: Coord>(
    climbed: &Climbs<T>,
    dim: usize,
    bandwidth: f64,
    task: &Task,
) -> Result<Vec<T>> {
    let centers = Points::new(&climbed.centers, dim)?;
    let modes = ordered_modes(&climbed.intensities, centers, bandwidth, task)?;
    let mut sorted = try_filled(modes.len() * dim, T::from_f64(0.0))?;
    for (k, (row, mode)) in sorted.chunks_exact_mut(dim).zip(&modes).enumerate() {
        if k % CHECK_EVERY == 0 {
            task.check()?;
        }
        row.copy_from_slice(centers.row(mode.row as usize));
    }
    drop(modes);
    suppress_near_duplicates(sorted, dim, bandwidth, task)
}

/// The distinct kept centres in scikit-learn's order; the fit's error when
/// no climb was kept.
fn ordered_modes<T: Coord>(
    intensities: &[f64],
    centers: Points<T>,
    bandwidth: f64,
    task: &Task,
) -> Result<Vec<Mode>> {
    let mut modes = collect(intensities, centers, task)?;
    if modes.is_empty() {
        return Err(Error::NoPointWithinBandwidth { bandwidth });
    }
    sort_by_intensity(&mut modes, centers, task)?;
    Ok(modes)
}

/// Kept climbs collapsed by their exact coordinates, as a Python dict of
/// tuples collapses them: equal centres are one mode, with the first one's
/// coordinates (-0.0 and 0.0 are equal; the first keeps its sign) and the
/// last one's intensity. Found by sorting the rows' numbers (4 bytes a seed,
/// and as much for the sort, where a hash index of the centres took 8 to 21
/// and grew by doubling), so the modes come out in order of coordinates: the
/// order they are sorted by next is total on distinct finite centres, so no
/// order they came in can show.
fn collect<T: Coord>(intensities: &[f64], centers: Points<T>, task: &Task) -> Result<Vec<Mode>> {
    let kept = intensities.iter().filter(|&&i| i > 0.0).count();
    let mut rows = try_filled(kept, 0u32)?;
    // Seed rows are numbered in u32, as points are (see `Points`).
    let numbered = intensities.iter().enumerate().filter(|(_, &i)| i > 0.0);
    for (slot, (row, _)) in rows.iter_mut().zip(numbered) {
        *slot = row as u32;
    }
    let values = |row: u32| centers.row(row as usize).iter().map(|x| x.to_f64() + 0.0);
    let compare = |a: u32, b: u32| {
        let mut pairs = values(a).zip(values(b));
        pairs
            .find_map(|(x, y)| Some(x.total_cmp(&y)).filter(|o| o.is_ne()))
            .unwrap_or(Ordering::Equal)
    };
    merge_sort::sort_by(&mut rows, |&a, &b| compare(a, b).then(a.cmp(&b)), task)?;
    let same = |a: &u32, b: &u32| compare(*a, *b).is_eq();
    let mut modes = Vec::new();
    let count = rows.chunk_by(same).count();
    modes
        .try_reserve_exact(count)
        .map_err(|_| Error::OutOfMemory {
            bytes: count.saturating_mul(std::mem::size_of::<Mode>()),
        })?;
    for (k, group) in rows.chunk_by(same).enumerate() {
        if k % CHECK_EVERY == 0 {
            task.check()?;
        }
        modes.push(Mode {
            row: group[0],
            intensity: intensities[group[group.len() - 1] as usize],
        });
    }
    Ok(modes)
}

/// Descending by `(intensity, coordinates...)`, as scikit-learn sorts its
/// `(center, intensity)` items with `reverse=True`.
fn sort_by_intensity<T: Coord>(modes: &mut [Mode], centers: Points<T>, task: &Task) -> Result<()> {
    let by_intensity = |a: &Mode, b: &Mode| {
        b.intensity.total_cmp(&a.intensity).then_with(|| {
            let (ra, rb) = (centers.row(a.row as usize), centers.row(b.row as usize));
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

/// Moves the modes' rows of `centers` to the front, in the modes' order:
/// afterwards row `i` holds mode `i` (the other rows are left in any order).
/// Each row moves at most once, along the chains of the permutation.
fn gather_in_place<T: Coord>(
    centers: &mut [T],
    dim: usize,
    modes: &[Mode],
    task: &Task,
) -> Result<()> {
    const FREE: u32 = u32::MAX;
    // Where each row goes (a mode's place), or FREE; a row in its place goes
    // nowhere else, so `to[r] == r` marks it placed.
    let mut to = try_filled(centers.len() / dim, FREE)?;
    for (place, mode) in modes.iter().enumerate() {
        to[mode.row as usize] = place as u32;
    }
    let mut carried = vec![T::from_f64(0.0); dim];
    for start in 0..to.len() {
        if start % CHECK_EVERY == 0 {
            task.check()?;
        }
        let mut place = to[start];
        if place == FREE || place as usize == start {
            continue;
        }
        carried.copy_from_slice(&centers[start * dim..(start + 1) * dim]);
        to[start] = FREE;
        // Put the carried row in its place and pick up the row there, until
        // the row picked up is not a mode's (or is the start's, now free).
        while place != FREE {
            let at = place as usize;
            place = to[at];
            to[at] = at as u32;
            centers[at * dim..(at + 1) * dim].swap_with_slice(&mut carried);
        }
    }
    Ok(())
}

/// Walks the sorted centres (row-major, `dim` a row); each one still unique
/// claims every other centre within `bandwidth` of it, which stops being
/// unique. The survivors are moved up in place and returned in the same
/// vector. The tree over the centres is built by the workers that run
/// `task`; the walk gives up at its next ball query once `task` is cancelled.
pub fn suppress_near_duplicates<T: Coord>(
    mut sorted: Vec<T>,
    dim: usize,
    bandwidth: f64,
    task: &Task,
) -> Result<Vec<T>> {
    let unique = {
        let centres = Points::new(&sorted, dim)?;
        let tree = BallSearch::new_parallel(centres, task)?;
        let radius2 = bandwidth * bandwidth;
        let mut unique = try_filled(centres.len(), true)?;
        let mut position = vec![0.0; dim];
        for i in 0..centres.len() {
            if !unique[i] {
                continue;
            }
            task.check()?;
            for (p, &x) in position.iter_mut().zip(centres.row(i)) {
                *p = x.to_f64();
            }
            tree.for_each_within(&position, radius2, |j| unique[j] = false);
            unique[i] = true;
        }
        unique
    };
    let mut kept = 0;
    for (i, _) in unique.iter().enumerate().filter(|(_, &u)| u) {
        sorted.copy_within(i * dim..(i + 1) * dim, kept * dim);
        kept += 1;
    }
    sorted.truncate(kept * dim);
    // Shrinking gives the tail back (the allocator splits the block in place).
    sorted.shrink_to_fit();
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::tests::run_cancelled;
    use crate::parallel::{never_stop, Workers};

    fn modes_of(climbed: &Climbs<f64>, dim: usize, bandwidth: f64) -> Result<Vec<f64>> {
        Workers::new(2).unwrap().run(0, &never_stop, |task| {
            find_modes(climbed.clone(), dim, bandwidth, task)
        })
    }

    fn climbs(centers: Vec<f64>, intensities: &[usize]) -> Climbs<f64> {
        Climbs {
            centers,
            intensities: intensities.iter().map(|&i| i as f64).collect(),
            n_iter: 0,
        }
    }

    #[test]
    fn modes_of_kept_climbs_are_the_modes_gathered_in_place() {
        let c = climbs(
            vec![1.0, 5.0, 1.0, 9.0, 5.2, 0.0, 2.0, 9.1],
            &[3, 2, 7, 1, 2, 0, 5, 4],
        );
        for bandwidth in [0.05, 0.5, 1.5] {
            let kept = Workers::new(2)
                .unwrap()
                .run(0, &never_stop, |task| find_modes_of(&c, 1, bandwidth, task));
            assert_eq!(kept, modes_of(&c, 1, bandwidth), "{bandwidth}");
        }
        let dropped = climbs(vec![1.0, 2.0], &[0, 0]);
        let kept = Workers::new(1)
            .unwrap()
            .run(0, &never_stop, |task| find_modes_of(&dropped, 1, 1.0, task));
        assert_eq!(kept, Err(Error::NoPointWithinBandwidth { bandwidth: 1.0 }));
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
            suppress_near_duplicates(sorted.to_vec(), 1, 1.0, task)
        });
        assert_eq!(kept, Ok(vec![0.0, 2.0]));
    }

    #[test]
    fn a_cancelled_task_gives_up() {
        let c = climbs(vec![1.0, 5.0, 1.0, 9.0], &[3, 2, 7, 1]);
        let mut got = None;
        let run = run_cancelled(|task| {
            got = Some(find_modes(c.clone(), 1, 0.5, task));
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
