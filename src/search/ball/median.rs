//! The median split of a node's points, in few passes that do not branch on
//! the keys and can be abandoned.
//!
//! Each pass partitions the range around a pivot taken from a sorted sample of
//! its keys at a rank just beyond the median's, on the side that leaves the
//! shorter range to search: the first pass keeps about half of the range, the
//! next a small part of that. Counted on a million random keys, that reads
//! 1.7 keys per element (2.2 on ten thousand), where the standard library's
//! selection reads 4.0: it compares every element about twice, reading both
//! keys each time. Reading a key is a cache miss on a large data set. The
//! partition is branch-free (its branch would be mispredicted half the time)
//! and checks the task as it goes. The standard library's selection finishes
//! short ranges, on a copy of their keys.

use crate::error::Result;
use crate::parallel::Task;

/// Ranges up to this long are left to the standard library's selection, on
/// a copy of their keys (a 64 KiB buffer a thread): 1024 before the copy,
/// 4096 with it (the tree over 1M 2-D points built 11% faster).
const FINISH: usize = 1 << 12;
/// Elements partitioned between two checks of the task.
const CHECK_EVERY: usize = 1 << 16;

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
    select_in_passes(order, mid, key, task, FINISH)
}

/// [`select_median`], partitioning ranges longer than `finish`.
fn select_in_passes(
    order: &mut [u32],
    mid: usize,
    key: impl Fn(u32) -> f64,
    task: &Task,
    finish: usize,
) -> Result<()> {
    // Keys in `order[..lo]` are at most those in `order[lo..hi]`, which are
    // at most those in `order[hi..]`; `mid` stays in `lo..hi`.
    let (mut lo, mut hi) = (0, order.len());
    while hi - lo > finish {
        let range = &mut order[lo..hi];
        let target = mid - lo;
        let pivot = sample_pivot(range, target, &key);
        let below = partition(range, &key, task, |k| k.total_cmp(&pivot).is_lt())?;
        if target < below {
            hi = lo + below;
        } else if below > 0 {
            lo += below;
        } else {
            // The pivot is the range's least key: set apart the keys equal
            // to it, which no later pivot could split.
            let equal = partition(range, &key, task, |k| k.total_cmp(&pivot).is_le())?;
            if target < equal {
                return Ok(());
            }
            lo += equal;
        }
    }
    task.check()?;
    select_by_copied_keys(&mut order[lo..hi], mid - lo, &key);
    Ok(())
}

/// `order.select_nth_unstable_by(mid, ...)` on `key`, run on a copy of the
/// keys beside their elements: each comparison then reads two integers next
/// to each other instead of two rows through `order`.
fn select_by_copied_keys(order: &mut [u32], mid: usize, key: &impl Fn(u32) -> f64) {
    thread_local! {
        static PAIRS: std::cell::RefCell<Vec<(i64, u32)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    PAIRS.with_borrow_mut(|pairs| {
        pairs.clear();
        // The key's bits, made to order as integers as `total_cmp` orders floats.
        pairs.extend(order.iter().map(|&i| {
            let bits = key(i).to_bits() as i64;
            (bits ^ (((bits >> 63) as u64) >> 1) as i64, i)
        }));
        pairs.select_nth_unstable_by_key(mid, |&(k, _)| k);
        for (slot, &(_, i)) in order.iter_mut().zip(pairs.iter()) {
            *slot = i;
        }
    });
}

/// A key of `range` a little beyond rank `target`, on the side of the
/// shorter remainder, chosen from an evenly spaced sample: past the target by
/// about two standard errors of the sample's rank, so that the target almost
/// always falls in the part that is kept.
fn sample_pivot(range: &[u32], target: usize, key: &impl Fn(u32) -> f64) -> f64 {
    let len = range.len();
    let size = (len >> 6).clamp(31, 511);
    let mut sample: Vec<f64> = (0..size).map(|k| key(range[k * len / size])).collect();
    sample.sort_unstable_by(f64::total_cmp);
    let at = target as f64 / len as f64 * size as f64;
    // A sample quantile's rank errs by at most sqrt(size) / 2 in one
    // standard error: two of them.
    let margin = (size as f64).sqrt();
    let rank = if 2 * target < len {
        at + margin
    } else {
        at - margin
    };
    sample[(rank.max(0.0) as usize).min(size - 1)]
}

/// Moves the elements whose key satisfies `before` to the front, keeping the
/// rest after them, and returns how many there are (Lomuto's scheme, swapping
/// every element unconditionally and advancing by the predicate's value).
///
/// The keys of a block are read before any of its swaps: each swap's place
/// depends on the predicate of the key before, so reading a key in the swap
/// loop would make every cache miss wait for the one before it.
fn partition(
    range: &mut [u32],
    key: &impl Fn(u32) -> f64,
    task: &Task,
    before: impl Fn(f64) -> bool,
) -> Result<usize> {
    const BLOCK: usize = 64;
    let mut front = 0;
    let mut goes_first = [false; BLOCK];
    for (b, block_start) in (0..range.len()).step_by(BLOCK).enumerate() {
        if b % (CHECK_EVERY / BLOCK) == 0 {
            task.check()?;
        }
        let block_end = (block_start + BLOCK).min(range.len());
        for (flag, &x) in goes_first.iter_mut().zip(&range[block_start..block_end]) {
            *flag = before(key(x));
        }
        // Swaps only touch places up to the current one, so `range[i]` is
        // still the element whose predicate was read.
        for (i, &first) in (block_start..block_end).zip(&goes_first) {
            range.swap(i, front);
            front += usize::from(first);
        }
    }
    Ok(front)
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

    const SMALL_FINISH: usize = 1000;

    fn select(keys: &[f64], mid: usize) -> Vec<u32> {
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        let key = |i: u32| keys[i as usize];
        select_in_passes(&mut order, mid, key, &Task::uncancelled(), SMALL_FINISH).unwrap();
        order
    }

    #[test]
    fn selects_like_the_standard_library_above_the_finishing_size() {
        let n = 50 * SMALL_FINISH + 123;
        let noise = crate::testing::noise(3, n);
        // Few distinct values (ties at the median) and distinct ones.
        let coarse: Vec<f64> = noise.iter().map(|x| (x * 7.0).floor()).collect();
        let increasing: Vec<f64> = (0..n).map(|i| i as f64).collect();
        for keys in [&noise, &coarse, &increasing] {
            for mid in [n / 2, 17, n - 3, SMALL_FINISH] {
                assert_selected(keys, &select(keys, mid), mid);
            }
        }
    }

    #[test]
    fn short_ranges_select_on_copied_keys_in_total_order() {
        // Negative and positive zeros, negative keys, ties: total_cmp's order.
        let noise = crate::testing::noise(5, 3000);
        let signed: Vec<f64> = noise
            .iter()
            .enumerate()
            .map(|(i, x)| match i % 5 {
                0 => 0.0,
                1 => -0.0,
                2 => -(x * 3.0).floor(),
                _ => x - 0.5,
            })
            .collect();
        for len in [1, 2, 31, 1000, 3000] {
            for mid in [0, len / 2, len - 1] {
                let keys = &signed[..len];
                let mut order: Vec<u32> = (0..len as u32).collect();
                select_by_copied_keys(&mut order, mid, &|i: u32| keys[i as usize]);
                assert_selected(keys, &order, mid);
            }
        }
    }

    #[test]
    fn a_cancelled_task_abandons_the_partition() {
        let keys = crate::testing::noise(4, 3 * CHECK_EVERY);
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        let got = run_cancelled(|task| {
            let key = |i: u32| keys[i as usize];
            select_in_passes(&mut order, keys.len() / 2, key, task, SMALL_FINISH)
        });
        assert_eq!(got, Err(crate::Error::Interrupted));
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(k, &i)| k == i as usize));
    }
}
