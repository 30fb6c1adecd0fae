//! Handing the memory a stage of a large fit freed back to the system.
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
