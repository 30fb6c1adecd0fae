//! A thread pool sized from scikit-learn's `n_jobs` for one call, and the
//! chunked loop that lets the caller follow and stop long work between chunks.

use std::num::{NonZeroI64, NonZeroUsize};
use std::ops::Range;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How far a chunked loop has got: `done` of its `total` items are finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// Polled on the calling thread between chunks of parallel work, with the
/// progress so far, so the caller can report it without the workers ever
/// touching shared state; returning `true` abandons the computation with
/// [`Error::Interrupted`].
pub type StopCheck<'a> = &'a (dyn Fn(Progress) -> bool + 'a);

/// Never asks to stop.
pub fn never_stop(_: Progress) -> bool {
    false
}

/// No call starts more threads than this, whatever `n_jobs` asks: results do
/// not depend on the count, and every thread costs a stack.
const MAX_THREADS: i64 = 256;

/// Threads for scikit-learn's `n_jobs`: `None` is 1, `k > 0` is `k`, `-1` all
/// cores, `-2` all but one, and so on (joblib's rule; `0` has no meaning).
///
/// ```
/// use std::num::NonZeroI64;
/// use fastmeanshift::parallel::thread_count;
///
/// assert_eq!(thread_count(None).get(), 1);
/// assert_eq!(thread_count(NonZeroI64::new(3)).get(), 3);
/// ```
pub fn thread_count(n_jobs: Option<NonZeroI64>) -> NonZeroUsize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    let threads = match n_jobs.map(NonZeroI64::get) {
        None => 1,
        Some(k) if k > 0 => k.min(MAX_THREADS),
        Some(k) => (cores + 1).saturating_add(k).clamp(1, MAX_THREADS),
    };
    NonZeroUsize::new(threads as usize).unwrap_or(NonZeroUsize::MIN)
}

/// The workers of one call. A pool of its own, never rayon's global one, so
/// that `n_jobs` means what it says and nothing outside the call changes.
pub struct Workers {
    pool: rayon::ThreadPool,
}

impl Workers {
    pub fn new(threads: usize) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("fastmeanshift-{i}"))
            .build()
            .map_err(|e| Error::ThreadPool(e.to_string()))?;
        Ok(Workers { pool })
    }

    /// Runs `job` inside the pool, so that rayon's parallel calls in it use
    /// these workers.
    pub fn install<R: Send>(&self, job: impl FnOnce() -> R + Send) -> R {
        self.pool.install(job)
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `job` on consecutive ranges of `0..len`, each range inside the
    /// pool (the job parallelises within it), checking `stop` on the calling
    /// thread after each with the items done so far.
    ///
    /// A range starts at `per_thread` items for every thread and adapts: it
    /// doubles while ranges take under [`QUICK_CHUNK`] (every range ends in a
    /// barrier, where threads wait for the slowest item) and halves when one
    /// takes over [`SLOW_CHUNK`], so that `stop` is still asked often.
    /// Chunking never changes what `job` computes.
    pub fn in_chunks(
        &self,
        len: usize,
        per_thread: usize,
        stop: StopCheck<'_>,
        mut job: impl FnMut(Range<usize>) + Send,
    ) -> Result<()> {
        let threads = self.threads();
        let mut per_thread = per_thread.max(1);
        let mut start = 0;
        while start < len {
            let end = start
                .saturating_add(per_thread.saturating_mul(threads))
                .min(len);
            let began = Instant::now();
            self.pool.install(|| job(start..end));
            let took = began.elapsed();
            if stop(Progress {
                done: end,
                total: len,
            }) {
                return Err(Error::Interrupted);
            }
            if took < QUICK_CHUNK {
                per_thread = per_thread.saturating_mul(2);
            } else if took > SLOW_CHUNK {
                per_thread = (per_thread / 2).max(1);
            }
            start = end;
        }
        Ok(())
    }
}

/// A range of work this quick is grown for the next one.
const QUICK_CHUNK: Duration = Duration::from_millis(20);
/// A range of work this slow is shrunk for the next one.
const SLOW_CHUNK: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn n_jobs_follows_joblib() {
        let cores = std::thread::available_parallelism().unwrap().get();
        let threads = |n_jobs| thread_count(NonZeroI64::new(n_jobs)).get();
        assert_eq!(thread_count(None).get(), 1);
        assert_eq!(threads(3), 3);
        assert_eq!(threads(-1), cores);
        assert_eq!(threads(-2), (cores - 1).max(1));
        assert_eq!(threads(-1000), 1);
        assert_eq!(threads(i64::MAX), MAX_THREADS as usize);
        assert_eq!(threads(i64::MIN), 1);
    }

    #[test]
    fn chunks_cover_the_range_once() {
        let workers = Workers::new(2).unwrap();
        let seen = AtomicUsize::new(0);
        workers
            .in_chunks(1001, 7, &never_stop, |r| {
                seen.fetch_add(r.len(), Ordering::Relaxed);
            })
            .unwrap();
        assert_eq!(seen.into_inner(), 1001);
    }

    #[test]
    fn stop_check_interrupts() {
        let workers = Workers::new(1).unwrap();
        let chunks = AtomicUsize::new(0);
        let result = workers.in_chunks(100, 10, &|_| true, |_| {
            chunks.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(result, Err(Error::Interrupted));
        assert_eq!(chunks.into_inner(), 1);
    }

    #[test]
    fn stop_check_sees_progress_after_each_chunk() {
        let workers = Workers::new(2).unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        workers
            .in_chunks(
                25,
                5,
                &|p| {
                    seen.lock().unwrap().push((p.done, p.total));
                    false
                },
                |_| {},
            )
            .unwrap();
        // A quick first range of 10 doubles the next one to 20 (cut at 25).
        assert_eq!(seen.into_inner().unwrap(), vec![(10, 25), (25, 25)]);
    }

    #[test]
    fn a_slow_range_halves_the_next() {
        let workers = Workers::new(1).unwrap();
        let ranges = std::sync::Mutex::new(Vec::new());
        workers
            .in_chunks(100, 8, &never_stop, |r| {
                if r.start == 0 {
                    std::thread::sleep(SLOW_CHUNK + Duration::from_millis(20));
                }
                ranges.lock().unwrap().push(r);
            })
            .unwrap();
        let ranges = ranges.into_inner().unwrap();
        assert_eq!(ranges[..2], [0..8, 8..12]);
        assert_eq!(ranges.last().unwrap().end, 100);
    }
}
