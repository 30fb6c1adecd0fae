//! The median split of a node's points, in few passes that do not branch on
//! the keys and can be abandoned.
//!
//! Each pass partitions the range around a pivot taken from a sorted sample of
//! its keys at a rank just beyond the median's, on the side that leaves the
//! shorter range to search: the first pass keeps about half of the range, the
//! next a small part of that. Counted on a million random keys, that reads
//! 1.7 keys per element (2.2 on ten thousand), where the standard library's
//! selection reads 4.0: it compares every element about twice, reading both
//! keys each time. Reading a key is a cache miss on a large data set, so
//! the partition asks for keys four blocks ahead of the one it reads. It is
//! branch-free (its branch would be mispredicted half the time) and checks
//! the task as it goes. The standard library's selection finishes
//! short ranges, on a copy of their keys. Long ranges are partitioned in
//! halves, side by side in a parallel build.

use crate::error::Result;
use crate::parallel::Task;

/// Ranges up to this long are left to the standard library's selection, on
/// a copy of their keys (a 64 KiB buffer a thread): 1024 before the copy,
/// 4096 with it (the tree over 1M 2-D points built 11% faster).
const FINISH: usize = 1 << 12;
/// How far ahead of the block it partitions a pass asks for keys: four
/// blocks, so that they have arrived when it gets there (the tree over 10M
/// 2-D points, on two threads: 8 to 15% faster; 64 to 1024 all did as
/// well, within the noise).
const AHEAD: usize = 256;
/// Elements partitioned between two checks of the task.
const CHECK_EVERY: usize = 1 << 16;
/// Ranges at least this long are partitioned as two halves, which then
/// trade their misplaced parts: in a parallel build the halves run side by
/// side (the root's split of 10M 2-D points, its first pass on one thread,
/// left the other idle for about 50 ms of a 1.1 s fit). Whether the build is
/// parallel or not, the halves are the same, and so is the tree.
const HALVES_FROM: usize = 1 << 20;

/// How a selection's passes run: which ranges are finished by the
/// standard library, which are partitioned in halves, and whether halves
/// run side by side.
#[derive(Clone, Copy)]
struct Passes {
    finish: usize,
    halves_from: usize,
    parallel: bool,
}

/// Reorders `order` as `select_nth_unstable_by(mid, ...)` on `key` (in
/// `total_cmp`'s order) does: `order[mid]` holds a `mid`-th smallest key, no
/// key before it is larger and none after it smaller. Gives up with
/// [`crate::Error::Interrupted`] once `task` is cancelled, leaving `order`
/// a permutation of what it was. With `parallel`, long ranges are
/// partitioned by the workers of the pool `task` runs in; the result is the
/// same either way. `prefetch(i)` asks for element `i`'s key to be brought
/// into the cache (it must not change anything).
pub(super) fn select_median(
    order: &mut [u32],
    mid: usize,
    key: impl Fn(u32) -> f64 + Sync,
    prefetch: impl Fn(u32) + Sync,
    task: &Task,
    parallel: bool,
) -> Result<()> {
    let passes = Passes {
        finish: FINISH,
        halves_from: HALVES_FROM,
        parallel,
    };
    select_in_passes(order, mid, (key, prefetch), task, passes)
}

/// [`select_median`], partitioning ranges longer than `passes.finish`.
fn select_in_passes(
    order: &mut [u32],
    mid: usize,
    (key, prefetch): (impl Fn(u32) -> f64 + Sync, impl Fn(u32) + Sync),
    task: &Task,
    passes: Passes,
) -> Result<()> {
    // Keys in `order[..lo]` are at most those in `order[lo..hi]`, which are
    // at most those in `order[hi..]`; `mid` stays in `lo..hi`.
    let (mut lo, mut hi) = (0, order.len());
    while hi - lo > passes.finish {
        let range = &mut order[lo..hi];
        let target = mid - lo;
        let pivot = sample_pivot(range, target, &key);
        let below = partition_in_halves(
            range,
            (&key, &prefetch),
            task,
            &|k| k.total_cmp(&pivot).is_lt(),
            passes,
        )?;
        if target < below {
            hi = lo + below;
        } else if below > 0 {
            lo += below;
        } else {
            // The pivot is the range's least key: set apart the keys equal
            // to it, which no later pivot could split.
            let is_le = |k: f64| k.total_cmp(&pivot).is_le();
            let equal = partition_in_halves(range, (&key, &prefetch), task, &is_le, passes)?;
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

/// [`partition`], of each half of a range from `passes.halves_from` long (in
/// halves again, down to shorter ones), side by side with
/// `passes.parallel`; then the left half's elements that go after trade
/// places with as many of the right half's that go first.
fn partition_in_halves(
    range: &mut [u32],
    keys: (&(impl Fn(u32) -> f64 + Sync), &(impl Fn(u32) + Sync)),
    task: &Task,
    before: &(impl Fn(f64) -> bool + Sync),
    passes: Passes,
) -> Result<usize> {
    if range.len() < passes.halves_from {
        return partition(range, keys, task, before);
    }
    let half = range.len() / 2;
    let (left, right) = range.split_at_mut(half);
    let each = |part: &mut [u32]| partition_in_halves(part, keys, task, before, passes);
    let (first_left, first_right) = if passes.parallel {
        rayon::join(|| each(left), || each(right))
    } else {
        (each(left), each(right))
    };
    let (first_left, first_right) = (first_left?, first_right?);
    // [first | after | first | after]: the middle two parts trade as many
    // elements as the shorter holds, from the ends of the middle.
    let middle = &mut range[first_left..half + first_right];
    let traded = (half - first_left).min(first_right);
    let (head, tail) = middle.split_at_mut(middle.len() - traded);
    head[..traded].swap_with_slice(tail);
    Ok(first_left + first_right)
}

/// Moves the elements whose key satisfies `before` to the front, keeping the
/// rest after them, and returns how many there are (Lomuto's scheme, swapping
/// every element unconditionally and advancing by the predicate's value).
///
/// The keys of a block are read before any of its swaps: each swap's place
/// depends on the predicate of the key before, so reading a key in the swap
/// loop would make every cache miss wait for the one before it. The keys
/// [`AHEAD`] elements on are asked for meanwhile (`prefetch`): swaps never
/// reach past the block being partitioned, so those are still the elements
/// that will be read.
fn partition(
    range: &mut [u32],
    (key, prefetch): (&impl Fn(u32) -> f64, &impl Fn(u32)),
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
        let ahead = (block_start + AHEAD).min(range.len())..(block_end + AHEAD).min(range.len());
        for &x in &range[ahead] {
            prefetch(x);
        }
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
    /// Halves from 7000 elements: ranges of 7000 to 14000 are partitioned
    /// in two halves, longer ones in four or more.
    const SMALL_PASSES: Passes = Passes {
        finish: SMALL_FINISH,
        halves_from: 7 * SMALL_FINISH,
        parallel: false,
    };

    fn select_with(keys: &[f64], mid: usize, passes: Passes) -> Vec<u32> {
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        let key = |i: u32| keys[i as usize];
        select_in_passes(&mut order, mid, (key, |_| ()), &Task::uncancelled(), passes).unwrap();
        order
    }

    fn select(keys: &[f64], mid: usize) -> Vec<u32> {
        select_with(keys, mid, SMALL_PASSES)
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
    fn halves_side_by_side_select_what_one_thread_selects() {
        let n = 50 * SMALL_FINISH + 123;
        let noise = crate::testing::noise(6, n);
        let coarse: Vec<f64> = noise.iter().map(|x| (x * 7.0).floor()).collect();
        let workers = crate::parallel::Workers::new(2).unwrap();
        for keys in [&noise, &coarse] {
            for mid in [n / 2, 17, n - 3] {
                let one_pass = Passes {
                    halves_from: usize::MAX,
                    ..SMALL_PASSES
                };
                assert_selected(keys, &select_with(keys, mid, one_pass), mid);
                let serial = select(keys, mid);
                let parallel = Passes {
                    parallel: true,
                    ..SMALL_PASSES
                };
                let side_by_side = workers
                    .run(0, &crate::parallel::never_stop, |_| {
                        Ok(select_with(keys, mid, parallel))
                    })
                    .unwrap();
                assert_eq!(side_by_side, serial);
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
            select_in_passes(
                &mut order,
                keys.len() / 2,
                (key, |_| ()),
                task,
                SMALL_PASSES,
            )
        });
        assert_eq!(got, Err(crate::Error::Interrupted));
        order.sort_unstable();
        assert!(order.iter().enumerate().all(|(k, &i)| k == i as usize));
    }
}
