//! The PyO3 binding: NumPy arrays in, NumPy arrays out, the GIL released while
//! the core runs, and the one place where core errors become Python exceptions.

use std::num::NonZeroI64;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use numpy::{
    Element, IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::options::Quantile;
use crate::parallel::thread_count;
use crate::{
    Bandwidth, Coord, Error, Kernel, Options, Orphans, Points, Precision, Progress, Seeding,
    SeedsUsed, StopCheck, Weights, Workers,
};

/// The time between two progress reports: often enough for a smooth progress
/// bar, rarely enough that Python never slows the computation.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// Checks for pending signals (Ctrl-C) on the calling thread, reports
/// progress to an optional Python callable, and keeps the exception a Python
/// signal handler or the callable raised, to be re-raised as it is. The core
/// asks it every [`crate::parallel::POLL_INTERVAL`] while its workers run.
#[derive(Default)]
struct SignalCheck {
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
    fn reporting_to(callback: Option<Py<PyAny>>) -> Self {
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
    fn into_py_err(self, err: Error) -> PyErr {
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
    fn run<R: Send>(
        self,
        py: Python<'_>,
        job: impl FnOnce(StopCheck<'_>) -> crate::Result<R> + Send,
    ) -> PyResult<R> {
        let outcome = py.detach(|| job(&|at| self.should_stop(at)));
        outcome.map_err(|e| self.into_py_err(e))
    }

    /// [`SignalCheck::run`] with a fresh pool of workers for `n_jobs`.
    fn run_on<R: Send>(
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

/// A C-contiguous float32 or float64 matrix from Python.
enum Matrix<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'py> Matrix<'py> {
    fn extract(x: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = x.extract::<PyReadonlyArray2<f64>>() {
            Ok(Matrix::F64(a))
        } else if let Ok(a) = x.extract::<PyReadonlyArray2<f32>>() {
            Ok(Matrix::F32(a))
        } else {
            Err(PyValueError::new_err(
                "expected a 2-D float32 or float64 array",
            ))
        }
    }
}

/// Evaluates `$body` with `$p` bound to the points of the array `$x`, which
/// may hold float32 or float64: the body is compiled once for each.
macro_rules! with_points {
    ($x:expr, |$p:ident| $body:expr) => {
        match Matrix::extract($x)? {
            Matrix::F32(a) => {
                let $p = points(&a)?;
                $body
            }
            Matrix::F64(a) => {
                let $p = points(&a)?;
                $body
            }
        }
    };
}

/// The rows of `a`, read in place. `as_slice` alone would also take a
/// Fortran-ordered array (and read it transposed): C order is checked first.
/// The Python API hands over any other layout as a C-contiguous, aligned copy.
fn points<'a, T: Coord + Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<Points<'a, T>> {
    let slice = a
        .as_slice()
        .ok()
        .filter(|_| a.is_c_contiguous())
        .ok_or_else(|| PyValueError::new_err("expected a C-contiguous, aligned array"))?;
    Points::new(slice, a.shape()[1]).map_err(|e| PyValueError::new_err(e.to_string()))
}

fn matrix<'py, T: Element>(
    py: Python<'py>,
    data: Vec<T>,
    dim: usize,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let rows = data.len() / dim;
    data.into_pyarray(py).reshape([rows, dim])
}

/// The options of `fit`, one item of a Python dict each: the validated
/// parameters of `MeanShift`, named as there.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct FitOptions<'py> {
    /// None: estimated at `quantile` over every row (as `MeanShift` does).
    bandwidth: Option<f64>,
    quantile: f64,
    /// Rows of float64; None: every row of X, or the bins of `bin_seeding`.
    seeds: Option<PyReadonlyArray2<'py, f64>>,
    bin_seeding: bool,
    min_bin_freq: u64,
    /// NumPy keeps float32 arithmetic with the bandwidth in float32.
    bandwidth_is_single: bool,
    max_iter: u64,
    cluster_all: bool,
    n_jobs: Option<NonZeroI64>,
    /// `"flat"`, `"epanechnikov"` or `"gaussian"`.
    kernel: String,
    /// One float64 weight per row of X (C-contiguous); None: every row weighs 1.
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
}

/// What `fit` returns to Python: centres, labels, `n_iter`, the bandwidth
/// used, and whether bin seeding fell back to every point.
type Fitted<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>, u64, f64, bool);

fn fit_points<'py, T: Coord + Element>(
    py: Python<'py>,
    data: Points<'_, T>,
    options: &Options,
    progress: Option<Py<PyAny>>,
) -> PyResult<Fitted<'py>> {
    let clustering =
        SignalCheck::reporting_to(progress).run(py, |stop| crate::fit(data, options, stop))?;
    let centers = matrix(py, clustering.centers, data.dim())?;
    Ok((
        centers.into_any(),
        clustering.labels.into_pyarray(py).into_any(),
        clustering.n_iter,
        clustering.bandwidth,
        clustering.seeds == SeedsUsed::EveryPointForLackOfBins,
    ))
}

/// Mean shift of `x` (float32 or float64, C-contiguous): bandwidth, seeds,
/// climbs, modes and labels in one call. Returns `(centers, labels, n_iter,
/// bandwidth, binning_failed)`. `progress`, if given, is called with `(seeds
/// climbed, seeds)` now and then.
#[pyfunction]
#[pyo3(signature = (x, options, progress=None))]
fn fit<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    options: FitOptions<'py>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Fitted<'py>> {
    let to_py = |e: Error| SignalCheck::default().into_py_err(e);
    let bandwidth = match options.bandwidth {
        Some(given) => Bandwidth::given(given),
        None => Bandwidth::estimated(options.quantile),
    }
    .map_err(to_py)?;
    let given_seeds = options.seeds.as_ref().map(points).transpose()?;
    let seeding = match given_seeds {
        Some(seeds) => Seeding::Given(seeds),
        None if options.bin_seeding => Seeding::Bins {
            min_bin_freq: options.min_bin_freq,
            bin_size_precision: if options.bandwidth_is_single {
                Precision::Single
            } else {
                Precision::Double
            },
        },
        None => Seeding::EveryPoint,
    };
    let kernel = Kernel::from_name(&options.kernel).map_err(to_py)?;
    let weights = match &options.sample_weight {
        None => None,
        Some(w) => {
            let w = w
                .as_slice()
                .map_err(|_| PyValueError::new_err("expected a C-contiguous sample_weight"))?;
            Some(Weights::new(w).map_err(to_py)?)
        }
    };
    let options = Options {
        seeding,
        max_iter: options.max_iter,
        cluster_all: options.cluster_all,
        threads: thread_count(options.n_jobs),
        kernel,
        weights,
        ..Options::new(bandwidth)
    };
    with_points!(x, |p| fit_points(py, p, &options, progress))
}

/// Grid coordinates (float32) of the bins holding at least `min_bin_freq`
/// rows, in order of first appearance.
#[pyfunction]
#[pyo3(signature = (x, bin_size, single_precision, min_bin_freq, n_jobs))]
fn bin_seeds<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    bin_size: f64,
    single_precision: bool,
    min_bin_freq: usize,
    n_jobs: Option<NonZeroI64>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let precision = if single_precision {
        Precision::Single
    } else {
        Precision::Double
    };
    let (bins, dim) = with_points!(x, |p| {
        let bins = SignalCheck::default().run_on(py, n_jobs, |w, stop| {
            crate::seeding::bin_seeds(p, bin_size, precision, min_bin_freq, w, stop)
        });
        (bins, p.dim())
    });
    matrix(py, bins?.coords, dim)
}

/// Mean distance of every row of `x` to its k-th nearest row.
#[pyfunction]
#[pyo3(signature = (x, quantile, n_jobs))]
fn estimate_bandwidth(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    quantile: f64,
    n_jobs: Option<NonZeroI64>,
) -> PyResult<f64> {
    let quantile = Quantile::new(quantile).map_err(|e| SignalCheck::default().into_py_err(e))?;
    with_points!(x, |p| SignalCheck::default().run_on(
        py,
        n_jobs,
        |w, stop| { crate::bandwidth::estimate_bandwidth(p, quantile, w, stop) }
    ))
}

/// Index of the nearest row of `centers` for every row of `x` (lowest index on ties).
#[pyfunction]
#[pyo3(signature = (x, centers, n_jobs))]
fn predict<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    centers: PyReadonlyArray2<'py, f64>,
    n_jobs: Option<NonZeroI64>,
) -> PyResult<Bound<'py, PyAny>> {
    let c = points(&centers)?;
    if c.is_empty() {
        return Err(PyValueError::new_err("no cluster centers to predict with"));
    }
    if c.as_slice().iter().any(|x| !x.is_finite()) {
        return Err(PyValueError::new_err(
            "cluster_centers_ contains NaN or infinity",
        ));
    }
    let labels = with_points!(x, |p| SignalCheck::default().run_on(
        py,
        n_jobs,
        |w, stop| { crate::labels::assign_labels(p, c, Orphans::Cluster, w, stop) }
    ))?;
    Ok(labels.into_pyarray(py).into_any())
}

// No global state, and every call works on its own arrays and thread pool, so
// the module is safe without the GIL (free-threaded Python).
#[pymodule(gil_used = false)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(bin_seeds, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_bandwidth, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    Ok(())
}
