//! From climbed seeds to cluster centres (SPEC.md §1 steps 4-6): collapse
//! identical centres, order them by intensity, suppress near-duplicates.

use std::cmp::Ordering;

use rayon::prelude::*;

use crate::ball_search::BallSearch;
use crate::climbing::Climbs;
use crate::error::{try_filled, Error, Result};
use crate::parallel::Workers;
use crate::points::{Coord, Points};

/// A distinct centre: where it is (a row of the climbed centres) and its
/// intensity (both fit in u32, as rows do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mode {
    row: u32,
    intensity: u32,
}

/// The cluster centres, row-major, in scikit-learn's order. The climbs are
/// taken by value: the distinct centres are sorted within the climbed ones,
/// in place, rather than copied out.
pub fn find_modes<T: Coord>(
    climbed: Climbs<T>,
    dim: usize,
    bandwidth: f64,
    workers: &Workers,
) -> Result<Vec<T>> {
    let Climbs {
        mut centers,
        intensities,
        ..
    } = climbed;
    let mut modes = collect(&intensities, Points::new(&centers, dim)?, workers)?;
    drop(intensities);
    if modes.is_empty() {
        return Err(Error::NoPointWithinBandwidth { bandwidth });
    }
    sort_by_intensity(&mut modes, Points::new(&centers, dim)?, workers);
    gather_in_place(&mut centers, dim, &modes)?;
    centers.truncate(modes.len() * dim);
    drop(modes);
    suppress_near_duplicates(centers, dim, bandwidth)
}

/// Moves the modes' rows of `centers` to the front, in the modes' order:
/// afterwards row `i` holds mode `i` (the other rows are left in any order).
/// Each row moves at most once, along the chains of the permutation, so the
/// centres are never copied: a copy would be as large as them when nearly
/// every seed climbs to a centre of its own.
fn gather_in_place<T: Coord>(centers: &mut [T], dim: usize, modes: &[Mode]) -> Result<()> {
    const FREE: u32 = u32::MAX;
    // Where each row goes (a mode's place), or FREE; a row in its place goes
    // nowhere else, so `to[r] == r` marks it placed.
    let mut to = try_filled(centers.len() / dim, FREE)?;
    for (place, mode) in modes.iter().enumerate() {
        to[mode.row as usize] = place as u32;
    }
    let mut carried = vec![T::from_f64(0.0); dim];
    for start in 0..to.len() {
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

/// Kept climbs collapsed by their exact coordinates, as a Python dict of
/// tuples collapses them: equal centres are one mode, with the first one's
/// coordinates (-0.0 and 0.0 are equal; the first keeps its sign) and the
/// last one's intensity. Found by sorting the rows' numbers (4 bytes a seed,
/// where a hash index of the centres would take 8 to 16), so the modes come
/// out in order of coordinates: the order they are sorted by next is total,
/// so no order they came in can show.
fn collect<T: Coord>(
    intensities: &[u32],
    centers: Points<T>,
    workers: &Workers,
) -> Result<Vec<Mode>> {
    let kept = intensities.iter().filter(|&&i| i > 0).count();
    let mut rows = try_filled(kept, 0u32)?;
    // Seed rows are at most the number of points, a u32 (see `Points`).
    let numbered = intensities.iter().enumerate().filter(|(_, &i)| i > 0);
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
    workers.install(|| rows.par_sort_unstable_by(|&a, &b| compare(a, b).then(a.cmp(&b))));
    let mut modes = Vec::new();
    modes
        .try_reserve_exact(rows.chunk_by(|&a, &b| compare(a, b).is_eq()).count())
        .map_err(|_| Error::OutOfMemory {
            bytes: rows.len() * std::mem::size_of::<Mode>(),
        })?;
    for same in rows.chunk_by(|&a, &b| compare(a, b).is_eq()) {
        modes.push(Mode {
            row: same[0],
            intensity: intensities[same[same.len() - 1] as usize],
        });
    }
    Ok(modes)
}

/// Descending by `(intensity, coordinates...)`, as scikit-learn sorts its
/// `(center, intensity)` items with `reverse=True`. Distinct modes differ in
/// some coordinate (and centres are finite), so no two compare equal and an
/// unstable, parallel sort gives scikit-learn's order.
fn sort_by_intensity<T: Coord>(modes: &mut [Mode], centers: Points<T>, workers: &Workers) {
    workers.install(|| {
        modes.par_sort_unstable_by(|a, b| {
            b.intensity.cmp(&a.intensity).then_with(|| {
                let (ra, rb) = (centers.row(a.row as usize), centers.row(b.row as usize));
                for (x, y) in ra.iter().zip(rb) {
                    match y.to_f64().partial_cmp(&x.to_f64()) {
                        Some(Ordering::Equal) | None => continue,
                        Some(order) => return order,
                    }
                }
                Ordering::Equal
            })
        })
    });
}

/// Walks the sorted centres (row-major, `dim` a row); each one still unique
/// claims every other centre within `bandwidth` of it, which stops being
/// unique. The survivors are moved up in place and returned in the same
/// vector: a copy would be as large as the centres when few are claimed.
pub fn suppress_near_duplicates<T: Coord>(
    mut sorted: Vec<T>,
    dim: usize,
    bandwidth: f64,
) -> Result<Vec<T>> {
    let unique = {
        let centres = Points::new(&sorted, dim)?;
        let tree = BallSearch::new(centres)?;
        let radius2 = bandwidth * bandwidth;
        let mut unique = try_filled(centres.len(), true)?;
        let mut position = vec![0.0; dim];
        for i in 0..centres.len() {
            if !unique[i] {
                continue;
            }
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

    fn one() -> Workers {
        Workers::new(1).unwrap()
    }

    fn climbs(centers: Vec<f64>, intensities: &[u32]) -> Climbs<f64> {
        Climbs {
            centers,
            intensities: intensities.to_vec(),
            n_iter: 0,
        }
    }

    #[test]
    fn identical_centres_collapse_and_the_last_intensity_wins() {
        let c = climbs(vec![1.0, 5.0, 1.0, 9.0], &[3, 2, 7, 1]);
        // Centre 1.0 ends with intensity 7 (the later seed), ahead of 5.0 and 9.0.
        assert_eq!(find_modes(c, 1, 0.5, &one()).unwrap(), vec![1.0, 5.0, 9.0]);
    }

    #[test]
    fn ties_in_intensity_go_to_larger_coordinates() {
        let c = climbs(vec![1.0, 2.0, 3.0, 0.0, 1.0, 5.0], &[4, 4, 4]);
        assert_eq!(
            find_modes(c, 2, 0.1, &one()).unwrap(),
            vec![3.0, 0.0, 1.0, 5.0, 1.0, 2.0]
        );
    }

    #[test]
    fn dropped_seeds_are_not_modes() {
        let c = climbs(vec![1.0, 2.0], &[0, 0]);
        assert_eq!(
            find_modes(c, 1, 1.0, &one()),
            Err(Error::NoPointWithinBandwidth { bandwidth: 1.0 })
        );
    }

    #[test]
    fn gathering_in_place_puts_each_mode_in_its_place() {
        // Rows 0..40 of two columns; modes picked and ordered pseudo-randomly,
        // with chains of every length, rows already in place and rows left out.
        for seed in 0..50u32 {
            let rows = 40;
            let centers: Vec<f64> = (0..2 * rows).map(|v| v as f64).collect();
            let mut picked: Vec<u32> = (0..rows as u32)
                .filter(|r| (r * 7 + seed) % 5 != 0)
                .collect();
            for i in (1..picked.len()).rev() {
                let j = (seed as usize * 31 + i * 17) % (i + 1);
                picked.swap(i, j);
            }
            let modes: Vec<Mode> = picked
                .iter()
                .map(|&row| Mode { row, intensity: 1 })
                .collect();
            let expected: Vec<f64> = picked
                .iter()
                .flat_map(|&r| [centers[2 * r as usize], centers[2 * r as usize + 1]])
                .collect();
            let mut gathered = centers.clone();
            gather_in_place(&mut gathered, 2, &modes).unwrap();
            assert_eq!(&gathered[..expected.len()], &expected[..], "seed {seed}");
        }
    }

    #[test]
    fn suppression_is_greedy_in_sorted_order() {
        // 0 claims 1 (distance 1 <= 1); 2 is 1 from 1 but 2 from 0: it survives.
        let kept = suppress_near_duplicates(vec![0.0, 1.0, 2.0], 1, 1.0).unwrap();
        assert_eq!(kept, vec![0.0, 2.0]);
    }

    #[test]
    fn negative_zero_collapses_with_zero_keeping_the_first() {
        let c = climbs(vec![-0.0, 0.0], &[1, 2]);
        let modes = find_modes(c, 1, 1.0, &one()).unwrap();
        assert_eq!(modes.len(), 1);
        assert!(modes[0].is_sign_negative());
    }
}
