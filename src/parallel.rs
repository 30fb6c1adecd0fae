//! A thread pool sized from scikit-learn's `n_jobs` for one call (kept,
//! once the call is over, for the next one that asks for as many threads),
//! and the way long work runs in it so that the caller can follow and stop
//! it at any time: the workers check a shared [`Task`] once per unit of
//! work (a ball query, a tree node, a part of the rows) and count what they
//! finish, while the calling thread, which does none of the work, polls the
//! caller's [`StopCheck`] every [`POLL_INTERVAL`].

use std::mem::ManuallyDrop;
use std::num::{NonZeroI64, NonZeroUsize};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{Error, Result};

/// How far a job has got: `done` of its `total` items are finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Items finished.
    pub done: usize,
    /// Items in all.
    pub total: usize,
}

/// Polled on the calling thread while parallel work runs, with the progress
/// so far, so the caller can report it (and check for Ctrl-C) without the
/// workers ever touching the caller's state; returning `true` abandons the
/// computation with [`Error::Interrupted`].
pub type StopCheck<'a> = &'a (dyn Fn(Progress) -> bool + 'a);

/// Never asks to stop.
pub fn never_stop(_: Progress) -> bool {
    false
}

/// How often the calling thread asks its [`StopCheck`] while workers run:
/// well inside the half second within which Ctrl-C must take effect, and
/// rarely enough to cost nothing.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// One job as its workers share it with the calling thread: whether the
/// caller has asked it to stop, and how many of its items are done.
///
/// Work checks [`Task::is_cancelled`] once per unit whose cost is bounded
/// whatever the data (one ball query, one tree node, one part of the rows, a
/// few thousand iterations of a serial loop), never once per chunk of units,
/// so that a stop takes effect within one unit. Cancelling only ever
/// abandons work: a job that is not cancelled computes what it always does.
#[derive(Debug)]
pub struct Task {
    cancelled: AtomicBool,
    done: AtomicUsize,
}

impl Task {
    /// A task nobody will cancel, for work run outside [`Workers::run`].
    pub(crate) fn uncancelled() -> Self {
        Task {
            cancelled: AtomicBool::new(false),
            done: AtomicUsize::new(0),
        }
    }

    /// Whether the caller asked to stop. A relaxed load of a flag written
    /// once: cheap enough for every ball query.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Error::Interrupted)` once the caller asked to stop.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Counts `items` more as done, for the caller's progress reports.
    #[inline]
    pub fn advance(&self, items: usize) {
        self.done.fetch_add(items, Ordering::Relaxed);
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    fn progress(&self, total: usize) -> Progress {
        Progress {
            done: self.done.load(Ordering::Relaxed).min(total),
            total,
        }
    }
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
/// that `n_jobs` means what it says and nothing outside the call changes;
/// while no call holds it, it waits, idle, for the next call that asks for
/// as many threads.
///
/// ```
/// use fastmeanshift::parallel::{never_stop, Workers};
///
/// let workers = Workers::new(2)?;
/// let sum = workers.run(0, &never_stop, |_| Ok((1..=4).sum::<i32>()))?;
/// assert_eq!(sum, 10);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub struct Workers {
    /// Taken out when dropped, to go back to [`IDLE_POOLS`].
    pool: ManuallyDrop<rayon::ThreadPool>,
}

/// Pools no call holds, kept so that the next call starts on threads that
/// already run on different cores. A new pool's threads start on the core
/// of the thread that made them, and the kernel takes up to 20 ms to move
/// them apart: a 2-thread fit of 4,000 10-D points spent its first 15 ms of
/// 135 on one core, every time. At most one pool per thread count, and
/// [`MOST_IDLE_POOLS`] in all.
static IDLE_POOLS: Mutex<IdlePools> = Mutex::new(IdlePools {
    process: 0,
    pools: Vec::new(),
});

/// How many idle pools are kept: a process rarely asks for more than two
/// thread counts (one, and all cores).
const MOST_IDLE_POOLS: usize = 4;

struct IdlePools {
    /// The process whose threads the pools have: a child forked from it
    /// has none of them, so it must not use them (its calls would wait for
    /// workers that do not exist).
    process: u32,
    /// Oldest first.
    pools: Vec<rayon::ThreadPool>,
}

impl IdlePools {
    /// The pools of this process: in a forked child, the parent's are
    /// forgotten (dropping one would signal threads the child does not have).
    fn of_this_process(&mut self) -> &mut Vec<rayon::ThreadPool> {
        let process = std::process::id();
        if self.process != process {
            std::mem::forget(std::mem::take(&mut self.pools));
            self.process = process;
        }
        &mut self.pools
    }
}

impl Workers {
    /// A pool of `threads` workers (at least one): an idle one if one was
    /// kept, else a new one.
    pub fn new(threads: usize) -> Result<Self> {
        let threads = threads.max(1);
        let kept = {
            let mut idle = IDLE_POOLS.lock().unwrap_or_else(|p| p.into_inner());
            let pools = idle.of_this_process();
            let found = pools
                .iter()
                .position(|pool| pool.current_num_threads() == threads);
            found.map(|k| pools.remove(k))
        };
        let pool = match kept {
            Some(pool) => pool,
            None => rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("fastmeanshift-{i}"))
                .build()
                .map_err(|e| Error::ThreadPool(e.to_string()))?,
        };
        Ok(Workers {
            pool: ManuallyDrop::new(pool),
        })
    }

    /// Runs `job` on the workers while the calling thread polls `stop` every
    /// [`POLL_INTERVAL`] with the job's progress out of `total` items, and
    /// once more, with every item done, when the job has finished. When
    /// `stop` returns `true` the task is cancelled: the job gives up at its
    /// next check, is waited for, and the result is [`Error::Interrupted`].
    ///
    /// The job starts on one worker and parallelises from there with rayon,
    /// in this pool; the calling thread does none of it, so that it is free
    /// to poll however long one unit of work takes. A job must not call
    /// `run` (it would wait on its own pool): what it calls takes its
    /// [`Task`] instead.
    pub fn run<R: Send>(
        &self,
        total: usize,
        stop: StopCheck<'_>,
        job: impl FnOnce(&Task) -> Result<R> + Send,
    ) -> Result<R> {
        let task = Task::uncancelled();
        let outcome = self.pool.in_place_scope(|scope| {
            let (finished, outcome) = mpsc::sync_channel(1);
            let task = &task;
            // Every job starts on the first worker: the buffers a call's
            // stages allocate and free then come from one allocator arena,
            // which reuses them, where jobs started on any worker could take
            // fresh memory from another thread's arena each time.
            let first = Mutex::new(Some((job, finished)));
            scope.spawn_broadcast(move |_, worker| {
                if worker.index() != 0 {
                    return;
                }
                let taken = first.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some((job, finished)) = taken {
                    // The receiver waits for this unless the stop check
                    // panicked, and then nobody wants the result.
                    finished.send(job(task)).ok();
                }
            });
            loop {
                match outcome.recv_timeout(POLL_INTERVAL) {
                    Ok(outcome) => return outcome,
                    // The job panicked (dropping the sender), and the scope
                    // re-raises its panic before this value is seen.
                    Err(RecvTimeoutError::Disconnected) => return Err(Error::Interrupted),
                    Err(RecvTimeoutError::Timeout) => {
                        if !task.is_cancelled() && stop(task.progress(total)) {
                            task.cancel();
                        }
                    }
                }
            }
        });
        if task.is_cancelled() {
            return Err(Error::Interrupted);
        }
        let result = outcome?;
        if stop(Progress { done: total, total }) {
            return Err(Error::Interrupted);
        }
        Ok(result)
    }
}

impl Drop for Workers {
    /// Keeps the pool for the next call, unless one of as many threads is
    /// kept already; the oldest of the idle pools is let go when there are
    /// as many as are kept.
    fn drop(&mut self) {
        // SAFETY: `pool` is not used again: this is the end of `self`.
        let pool = unsafe { ManuallyDrop::take(&mut self.pool) };
        let threads = pool.current_num_threads();
        let mut idle = IDLE_POOLS.lock().unwrap_or_else(|p| p.into_inner());
        let pools = idle.of_this_process();
        if pools
            .iter()
            .all(|kept| kept.current_num_threads() != threads)
        {
            if pools.len() == MOST_IDLE_POOLS {
                pools.remove(0);
            }
            pools.push(pool);
        }
    }
}

/// Read-only data for the workers of a pool: the first worker (and any
/// thread without a copy) reads the original, each other worker a copy of
/// its own, all equal to it.
///
/// On the benchmark's Xeon, two cores that read the same memory over and
/// over run slower than two that each read their own copy: a 2-thread fit
/// of the 64-D digits, every point a seed, climbed in 143 ms on one tree
/// and in 127 ms with a copy for the second worker (a copy for the first
/// too gained nothing more; one copy shared by both, nothing at all).
///
/// ```
/// use fastmeanshift::parallel::{never_stop, PerWorker};
/// use fastmeanshift::Workers;
///
/// let table = vec![1, 2, 3];
/// let per_worker = PerWorker::new(&table, vec![table.clone()]);
/// let sums = Workers::new(2)?.run(0, &never_stop, |_| {
///     Ok(rayon::broadcast(|_| per_worker.get().iter().sum::<i32>()))
/// })?;
/// assert_eq!(sums, [6, 6]);
/// assert_eq!(PerWorker::shared(&table).get(), &table);
/// # Ok::<(), fastmeanshift::Error>(())
/// ```
pub struct PerWorker<'a, X> {
    original: &'a X,
    copies: Vec<X>,
}

impl<'a, X> PerWorker<'a, X> {
    /// Every worker reads `original`.
    pub fn shared(original: &'a X) -> Self {
        PerWorker {
            original,
            copies: Vec::new(),
        }
    }

    /// Worker `k` of the pool reads `copies[k - 1]`, if there is one.
    pub fn new(original: &'a X, copies: Vec<X>) -> Self {
        PerWorker { original, copies }
    }

    /// What the worker this runs on reads.
    #[inline]
    pub fn get(&self) -> &X {
        rayon::current_thread_index()
            .and_then(|k| k.checked_sub(1))
            .and_then(|k| self.copies.get(k))
            .unwrap_or(self.original)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Instant;

    /// Runs `job` once its task has been cancelled, as it is when the stop
    /// check says stop while the job runs.
    pub(crate) fn run_cancelled<R: Send>(job: impl FnOnce(&Task) -> Result<R> + Send) -> Result<R> {
        Workers::new(2).unwrap().run(0, &|_| true, |task| {
            wait_until("the first poll", || task.is_cancelled());
            job(task)
        })
    }

    /// Waits for `condition`; panics after a minute, which only a hang takes.
    fn wait_until(what: &str, condition: impl Fn() -> bool) {
        let began = Instant::now();
        while !condition() {
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "waited for {what}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_pool_is_kept_for_the_next_call_and_never_shared() {
        // Seven threads: no other test asks for as many, so none takes
        // this test's pools while it runs.
        let first_worker = |w: &Workers| w.run(0, &never_stop, |_| Ok(std::thread::current().id()));
        let one = Workers::new(7).unwrap();
        let two = Workers::new(7).unwrap();
        let (one_id, two_id) = (first_worker(&one).unwrap(), first_worker(&two).unwrap());
        assert_ne!(one_id, two_id, "calls at once share a pool");
        drop(one);
        // A second idle pool of seven threads is let go: one is kept.
        drop(two);
        let three = Workers::new(7).unwrap();
        assert_eq!(
            first_worker(&three).unwrap(),
            one_id,
            "the idle pool was not kept"
        );
        let four = Workers::new(7).unwrap();
        let four_id = first_worker(&four).unwrap();
        assert!(
            four_id != one_id && four_id != two_id,
            "a pool let go was used"
        );
    }

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
    fn a_finished_job_returns_its_result_and_reports_the_end() {
        let seen = Mutex::new(Vec::new());
        let got = Workers::new(2).unwrap().run(
            7,
            &|p| {
                seen.lock().unwrap().push(p);
                false
            },
            |task| {
                task.advance(7);
                Ok(42)
            },
        );
        assert_eq!(got, Ok(42));
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.last(), Some(&Progress { done: 7, total: 7 }));
    }

    #[test]
    fn a_unit_in_progress_is_abandoned_when_stop_says_so() {
        // One unit that never ends unless cancelled: stopping cannot wait
        // for a chunk of units to finish.
        let abandoned = AtomicBool::new(false);
        let got = Workers::new(1).unwrap().run(1, &|_| true, |task| {
            wait_until("cancellation", || task.is_cancelled());
            abandoned.store(true, Ordering::Relaxed);
            task.check()
        });
        assert_eq!(got, Err(Error::Interrupted));
        assert!(abandoned.into_inner());
    }

    #[test]
    fn progress_is_polled_while_a_unit_runs() {
        // The job waits, inside its second item, until the stop check has
        // seen the first one done: progress does not wait for the job.
        let seen = Mutex::new(Vec::new());
        let got = Workers::new(2).unwrap().run(
            2,
            &|p| {
                seen.lock().unwrap().push(p);
                false
            },
            |task| {
                task.advance(1);
                wait_until("a poll", || {
                    seen.lock()
                        .unwrap()
                        .contains(&Progress { done: 1, total: 2 })
                });
                task.advance(1);
                Ok(())
            },
        );
        assert_eq!(got, Ok(()));
        assert_eq!(
            seen.into_inner().unwrap().last(),
            Some(&Progress { done: 2, total: 2 })
        );
    }

    #[test]
    fn a_stop_at_the_end_still_interrupts() {
        let got = Workers::new(1)
            .unwrap()
            .run(3, &|p| p.done == p.total, |_| Ok(()));
        assert_eq!(got, Err(Error::Interrupted));
    }

    #[test]
    fn errors_of_the_job_pass_through() {
        let got: Result<()> = Workers::new(2)
            .unwrap()
            .run(0, &never_stop, |_| Err(Error::NoSeeds));
        assert_eq!(got, Err(Error::NoSeeds));
    }

    #[test]
    fn how_workers_split_the_items_never_changes_the_result() {
        use rayon::prelude::*;
        let expected: Vec<u64> = (0..10_001u64).map(|i| i * i % 977).collect();
        for threads in [1, 2, 3, 8] {
            let got = Workers::new(threads)
                .unwrap()
                .run(10_001, &never_stop, |task| {
                    Ok((0..10_001u64)
                        .into_par_iter()
                        .map(|i| {
                            task.advance(1);
                            i * i % 977
                        })
                        .collect::<Vec<_>>())
                });
            assert_eq!(got.as_ref(), Ok(&expected), "{threads} threads");
        }
    }

    #[test]
    fn run_cancelled_gives_the_job_a_cancelled_task() {
        assert_eq!(run_cancelled(|task| task.check()), Err(Error::Interrupted));
        assert_eq!(run_cancelled(|_| Ok(1)), Err(Error::Interrupted));
    }
}
