//! The median split of a node's points, in passes that can be abandoned.
//!
//! The standard library's selection cannot be interrupted, and on the root of
//! a tree over tens of millions of points it runs for most of a second. Large
//! ranges are therefore first narrowed down to the one holding the median by
//! three-way partitions, which check the task as they go; the standard
//! selection finishes the last range, which is short enough to take a few
//! tens of milliseconds. Trees of up to [`DIRECT`] points are built exactly
//! as before.

use std::cmp::Ordering;

use crate::error::Result;
use crate::parallel::Task;

/// Ranges up to this long are left to the standard library's selection.
const DIRECT: usize = 1 << 22;
/// Elements partitioned between two checks of the task.
const CHECK_EVERY: usize = 1 << 16;
/// Keys sampled for a pivot: their median lies close to the range's, so one
/// pass usually leaves a few percent of the range.
const SAMPLE: usize = 63;
/// Passes after which the standard selection takes over whatever is left
/// (only data built to defeat the sample gets there).
const MAX_PASSES: usize = 16;

/// Reorders `order` as `select_nth_unstable_by(mid, ...)` on `key` (in
/// `total_cmp`'s order) does: `order[mid]` holds a `mid`-th smallest key, no
/// key before it is larger and none after it smaller. Gives up with
/// [`crate::Error::Interrupted`] once `task` is cancelled, leaving `order`
/// a permutation of what it was.
pub(super) fn select_median(
    order: &mut [u32],
    mid: usize,
    key: impl Fn(u32) -> f64,
    task: &Task,
) -> Result<()> {
    select_in_passes(order, mid, key, task, DIRECT)
}

/// [`select_median`], partitioning ranges longer than `direct`.
fn select_in_passes(
    order: &mut [u32],
    mid: usize,
    key: impl Fn(u32) -> f64,
    task: &Task,
    direct: usize,
) -> Result<()> {
    // Keys in `order[..lo]` are at most those in `order[lo..hi]`, which are
    // at most those in `order[hi..]`; `mid` stays in `lo..hi`.
    let (mut lo, mut hi) = (0, order.len());
    for _ in 0..MAX_PASSES {
        if hi - lo <= direct {
            break;
        }
        let range = &mut order[lo..hi];
        let pivot = sample_median(range, &key);
        let (less, not_greater) = partition(range, pivot, &key, task)?;
        if mid < lo + less {
            hi = lo + less;
        } else if mid >= lo + not_greater {
            lo += not_greater;
        } else {
            // `mid` lies among the keys equal to the pivot.
            return Ok(());
        }
    }
    task.check()?;
    order[lo..hi].select_nth_unstable_by(mid - lo, |&a, &b| key(a).total_cmp(&key(b)));
    Ok(())
}

/// The median key of [`SAMPLE`] evenly spaced elements of `range`.
fn sample_median(range: &[u32], key: &impl Fn(u32) -> f64) -> f64 {
    let mut sample = [0.0; SAMPLE];
    for (k, s) in sample.iter_mut().enumerate() {
        *s = key(range[k * range.len() / SAMPLE]);
    }
    let (_, median, _) = sample.select_nth_unstable_by(SAMPLE / 2, f64::total_cmp);
    *median
}

/// Dijkstra's three-way partition: keys below `pivot` first, then equal
/// ones, then greater ones; returns where the equal ones start and end.
fn partition(
    range: &mut [u32],
    pivot: f64,
    key: &impl Fn(u32) -> f64,
    task: &Task,
) -> Result<(usize, usize)> {
    let (mut less, mut next, mut greater) = (0, 0, range.len());
    let mut unchecked = 0;
    while next < greater {
        if unchecked == CHECK_EVERY {
            task.check()?;
            unchecked = 0;
        }
        unchecked += 1;
        match key(range[next]).total_cmp(&pivot) {
            Ordering::Less => {
                range.swap(less, next);
                less += 1;
                next += 1;
            }
            Ordering::Equal => next += 1,
            Ordering::Greater => {
                greater -= 1;
                range.swap(next, greater);
            }
        }
    }
    Ok((less, greater))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::tests::run_cancelled;

    /// Checks the selection's promise for `keys` split at `mid`.
    fn assert_selected(keys: &[f64], order: &[u32], mid: usize) {
        let mut sorted = keys.to_vec();
        sorted.sort_by(f64::total_cmp);
        let key = |i: u32| keys[i as usize];
        assert_eq!(key(order[mid]).to_bits(), sorted[mid].to_bits());
        assert!(order[..mid].iter().all(|&i| key(i) <= sorted[mid]));
        assert!(order[mid..].iter().all(|&i| key(i) >= sorted[mid]));
        let mut seen = order.to_vec();
        seen.sort_unstable();
        assert!(seen.iter().enumerate().all(|(k, &i)| k == i as usize));
    }

    const SMALL_DIRECT: usize = 1000;

    fn select(keys: &[f64], mid: usize) -> Vec<u32> {
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        let key = |i: u32| keys[i as usize];
        select_in_passes(&mut order, mid, key, &Task::uncancelled(), SMALL_DIRECT).unwrap();
        order
    }

    #[test]
    fn selects_like_the_standard_library_above_the_direct_size() {
        let n = 50 * SMALL_DIRECT + 123;
        let noise = crate::testing::noise(3, n);
        // Few distinct values (ties at the median) and distinct ones.
        let coarse: Vec<f64> = noise.iter().map(|x| (x * 7.0).floor()).collect();
        let increasing: Vec<f64> = (0..n).map(|i| i as f64).collect();
        for keys in [&noise, &coarse, &increasing] {
            for mid in [n / 2, 17, n - 3, SMALL_DIRECT] {
                assert_selected(keys, &select(keys, mid), mid);
            }
        }
    }

    #[test]
    fn a_cancelled_task_abandons_the_partition() {
        let keys = crate::testing::noise(4, 3 * CHECK_EVERY);
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        let got = run_cancelled(|task| {
            let key = |i: u32| keys[i as usize];
            select_in_passes(&mut order, keys.len() / 2, key, task, SMALL_DIRECT)
        });
        assert_eq!(got, Err(crate::Error::Interrupted));
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(k, &i)| k == i as usize));
    }
}
