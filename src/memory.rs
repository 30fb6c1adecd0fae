//! Handing the memory a stage of a large fit freed back to the system, and
//! the budgets of the optional copies a fit makes.
//!
//! glibc's allocator keeps a freed block in the arena of the thread that
//! allocated it, and past its (dynamic) mmap threshold it keeps blocks of
//! tens of MiB in its heaps: the next stage, whose buffers come from another
//! thread's arena or need one larger block, takes fresh memory while the
//! freed blocks stay resident. Where nearly every point is a seed, that
//! retention alone moved a fit's peak by a quarter of its bound from one run
//! to the next (benches/peak_memory.py). Between stages, the free memory of
//! every arena is given back, which costs microseconds to a few
//! milliseconds; elsewhere than on glibc this does nothing.

/// Points from which a fit gives freed memory back between its stages
/// (below, a fit's buffers are too small for it to matter).
pub(crate) const LARGE_FIT: usize = 1 << 17;

/// Whether a fit with every point a seed may copy its rows in tree order
/// (`BallSearch::keep_rows_in_order`) and stay within its memory bound,
/// twice the input plus 64 bytes a seed: the copy and the climbed centres
/// each take the input's size, so the tree and the climbs' other bytes per
/// seed (intensity, copy of seed, step cache: under 32) must fit in the 64.
/// A copy of at most 8 MiB is a fixed cost, as the step cache's floor is.
/// (A tree over 8 or 10 features takes about 21 and 25 bytes a point, over
/// 16 or 64 features 37 and 69: those fits would pass the bound.)
pub(crate) fn rows_in_order_fit(tree_bytes: usize, points: usize, rows_bytes: usize) -> bool {
    const TREE_BYTES_PER_POINT: usize = 32;
    rows_bytes <= FIXED_COPY || tree_bytes <= TREE_BYTES_PER_POINT.saturating_mul(points)
}

/// Whether every worker of `workers` beyond the first may search a copy of
/// its own of a tree of `tree_bytes` with its rows in order
/// (`BallSearch::per_worker`): only where the copies take at most 8 MiB in
/// all, a fixed cost as the step cache's floor is.
pub(crate) fn tree_per_worker_fits(tree_bytes: usize, workers: usize) -> bool {
    tree_bytes.saturating_mul(workers.saturating_sub(1)) <= FIXED_COPY
}

/// The bytes an optional copy may always take: a fixed cost, like the step
/// cache's floor.
const FIXED_COPY: usize = 8 << 20;

/// Gives the free memory of every allocator arena back to the system.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointer and locks each arena it
        // trims, so it is safe to call from any thread at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_copied_where_the_bound_has_room_or_the_copy_is_small() {
        let n = 1_000_000;
        // 8-D float64 rows (64 MB), a tree of 21 bytes a point: room.
        assert!(rows_in_order_fit(21 * n, n, 64 * n));
        // 16-D float64 rows (128 MB), a tree of 37 bytes a point: none.
        assert!(!rows_in_order_fit(37 * n, n, 128 * n));
        // The same tree over 10,000 points: a copy of 1.3 MB.
        assert!(rows_in_order_fit(37 * 10_000, 10_000, 128 * 10_000));
    }

    #[test]
    fn trees_per_worker_take_at_most_8_mib_in_all() {
        // The 64-D digits' tree with its rows: about 1.1 MB.
        assert!(tree_per_worker_fits(1_100_000, 2));
        assert!(tree_per_worker_fits(1_100_000, 8));
        assert!(!tree_per_worker_fits(1_100_000, 9));
        // One worker reads the tree itself, whatever its size.
        assert!(tree_per_worker_fits(usize::MAX, 1));
        assert!(!tree_per_worker_fits(usize::MAX, 2));
    }
}
