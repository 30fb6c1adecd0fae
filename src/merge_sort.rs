//! A stable sort in steps of bounded length, so that sorting millions of
//! items can be abandoned (the standard library's sorts cannot be, and take
//! seconds on tens of millions): blocks of [`BLOCK`] items are sorted by the
//! standard library, in parallel, then merged pairwise in passes, with the
//! task checked before every block and every [`BLOCK`] items merged.
//!
//! A stable sort has one result, so this one's is `slice::sort_by`'s.

use std::cmp::Ordering;

use rayon::prelude::*;

use crate::error::{try_filled, Result};
use crate::parallel::Task;

/// Items sorted, or merged, between two checks of the task: a few
/// milliseconds' work.
const BLOCK: usize = 1 << 15;

/// Sorts `items` stably by `compare`, as `items.sort_by(compare)` does, in
/// the pool `task` runs in. Gives up with [`crate::Error::Interrupted`] once
/// `task` is cancelled, leaving `items` in some order.
pub fn sort_by<T, F>(items: &mut [T], compare: F, task: &Task) -> Result<()>
where
    T: Copy + Send + Sync,
    F: Fn(&T, &T) -> Ordering + Sync,
{
    items.par_chunks_mut(BLOCK).try_for_each(|block| {
        task.check()?;
        block.sort_by(&compare);
        Ok(())
    })?;
    let len = items.len();
    let Some(&first) = items.first() else {
        return Ok(());
    };
    if len <= BLOCK {
        return Ok(());
    }
    let mut scratch = try_filled(len, first)?;
    let (mut from, mut to): (&mut [T], &mut [T]) = (items, &mut scratch);
    let mut run = BLOCK;
    let mut in_scratch = false;
    while run < len {
        from.par_chunks(2 * run)
            .zip(to.par_chunks_mut(2 * run))
            .try_for_each(|(pair, merged)| merge(pair, run, merged, &compare, task))?;
        std::mem::swap(&mut from, &mut to);
        in_scratch = !in_scratch;
        run *= 2;
    }
    // `from` holds the sorted items: copied home if it is the scratch.
    if in_scratch {
        to.copy_from_slice(from);
    }
    Ok(())
}

/// Merges the sorted runs `pair[..run]` and `pair[run..]` into `merged`
/// (as long as `pair`), taking from the first run on ties.
fn merge<T: Copy>(
    pair: &[T],
    run: usize,
    merged: &mut [T],
    compare: &impl Fn(&T, &T) -> Ordering,
    task: &Task,
) -> Result<()> {
    let (left, right) = pair.split_at(run.min(pair.len()));
    let (mut l, mut r) = (0, 0);
    for block in merged.chunks_mut(BLOCK) {
        task.check()?;
        for slot in block {
            *slot = match (left.get(l), right.get(r)) {
                (Some(&a), Some(&b)) if compare(&b, &a) == Ordering::Less => {
                    r += 1;
                    b
                }
                (Some(&a), _) => {
                    l += 1;
                    a
                }
                (None, Some(&b)) => {
                    r += 1;
                    b
                }
                // `merged` is as long as both runs together.
                (None, None) => return Ok(()),
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::tests::run_cancelled;
    use crate::parallel::{never_stop, Workers};

    fn sorted_by_key(items: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let mut items = items.to_vec();
        Workers::new(2)
            .unwrap()
            .run(0, &never_stop, |task| {
                sort_by(&mut items, |a, b| a.0.cmp(&b.0), task)
            })
            .unwrap();
        items
    }

    #[test]
    fn sorts_stably_as_the_standard_library_does() {
        // Lengths around the block size and its multiples, odd run counts,
        // and keys with many ties (the second field tells ties apart).
        let noise = crate::testing::noise(8, 5 * BLOCK + 77);
        for len in [0, 1, 5, BLOCK, BLOCK + 1, 3 * BLOCK, 5 * BLOCK + 77] {
            let items: Vec<(u32, u32)> = noise[..len]
                .iter()
                .enumerate()
                .map(|(i, x)| ((x * 1000.0) as u32, i as u32))
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            assert_eq!(sorted_by_key(&items), expected, "{len} items");
        }
    }

    #[test]
    fn a_cancelled_task_abandons_the_sort() {
        let mut items: Vec<u32> = (0..3 * BLOCK as u32).rev().collect();
        let got = run_cancelled(|task| sort_by(&mut items, u32::cmp, task));
        assert_eq!(got, Err(crate::Error::Interrupted));
    }
}
