//! Ctrl-C, progress and errors: the calling thread's checks while the core
//! runs with the GIL released, and the one place where core errors become
//! Python exceptions.

use std::num::NonZeroI64;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::parallel::thread_count;
use crate::{Error, Progress, StopCheck, Workers};

/// The time between two progress reports: often enough for a smooth progress
/// bar, rarely enough that Python never slows the computation.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// Checks for pending signals (Ctrl-C) on the calling thread, reports
/// progress to an optional Python callable, and keeps the exception a Python
/// signal handler or the callable raised, to be re-raised as it is. The core
/// asks it every [`crate::parallel::POLL_INTERVAL`] while its workers run.
#[derive(Default)]
pub(super) struct SignalCheck {
    raised: Mutex<Option<PyErr>>,
    progress: Option<ProgressReport>,
}

/// A Python callable taking `(done, total)`, and the last report it got.
struct ProgressReport {
    callback: Py<PyAny>,
    last: Mutex<Option<(Instant, Progress)>>,
}

impl ProgressReport {
    /// Calls back every [`REPORT_INTERVAL`] until the work is done, whether
    /// it has moved or not (one seed's climb can take seconds, and a caller
    /// should see the fit alive), and when it is done, once.
    fn report(&self, py: Python<'_>, at: Progress) -> PyResult<()> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let due = match *last {
            None => true,
            Some((_, seen)) if at.done == at.total => seen != at,
            Some((when, _)) => when.elapsed() >= REPORT_INTERVAL,
        };
        if due {
            *last = Some((Instant::now(), at));
            self.callback.call1(py, (at.done, at.total))?;
        }
        Ok(())
    }
}

impl SignalCheck {
    pub(super) fn reporting_to(callback: Option<Py<PyAny>>) -> Self {
        SignalCheck {
            raised: Mutex::default(),
            progress: callback.map(|callback| ProgressReport {
                callback,
                last: Mutex::default(),
            }),
        }
    }

    fn should_stop(&self, at: Progress) -> bool {
        Python::attach(|py| {
            let checked = py.check_signals().and_then(|()| match &self.progress {
                Some(progress) => progress.report(py, at),
                None => Ok(()),
            });
            match checked {
                Ok(()) => false,
                Err(err) => {
                    *self.raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
                    true
                }
            }
        })
    }

    /// The Python exception for a core error.
    pub(super) fn into_py_err(self, err: Error) -> PyErr {
        match err {
            Error::Interrupted => self
                .raised
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| PyKeyboardInterrupt::new_err("interrupted")),
            Error::OutOfMemory { .. } => PyMemoryError::new_err(err.to_string()),
            Error::ThreadPool(_) => PyRuntimeError::new_err(err.to_string()),
            Error::InvalidInput(_)
            | Error::NoSeeds
            | Error::NoPointWithinBandwidth { .. }
            | Error::MeanOverflow { .. }
            | Error::BinSeedOverflow { .. } => PyValueError::new_err(err.to_string()),
        }
    }

    /// Runs `job` with the GIL released, stopping it on Ctrl-C.
    pub(super) fn run<R: Send>(
        self,
        py: Python<'_>,
        job: impl FnOnce(StopCheck<'_>) -> crate::Result<R> + Send,
    ) -> PyResult<R> {
        let outcome = py.detach(|| job(&|at| self.should_stop(at)));
        outcome.map_err(|e| self.into_py_err(e))
    }

    /// [`SignalCheck::run`] with a fresh pool of workers for `n_jobs`.
    pub(super) fn run_on<R: Send>(
        self,
        py: Python<'_>,
        n_jobs: Option<NonZeroI64>,
        job: impl FnOnce(&Workers, StopCheck<'_>) -> crate::Result<R> + Send,
    ) -> PyResult<R> {
        self.run(py, |stop| {
            job(&Workers::new(thread_count(n_jobs).get())?, stop)
        })
    }
}

/// The Python exception for a core error raised outside a run.
pub(super) fn to_py_err(err: Error) -> PyErr {
    SignalCheck::default().into_py_err(err)
}
