//! The PyO3 binding: NumPy arrays in, NumPy arrays out, the GIL released while
//! the core runs, and the one place where core errors become Python exceptions.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use numpy::{
    Element, IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::seeding::Precision;
use crate::{Coord, Error, Orphans, Params, Points, Progress, Seeds, Workers};

/// The shortest time between two progress reports: often enough for a smooth
/// progress bar, rarely enough that Python never slows the computation.
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// Checks for pending signals (Ctrl-C) on the calling thread, reports
/// progress to an optional Python callable, and keeps the exception a Python
/// signal handler or the callable raised, to be re-raised as it is.
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
    /// Calls back at most every [`REPORT_INTERVAL`], except that the end of
    /// the work is always reported, once.
    fn report(&self, py: Python<'_>, at: Progress) -> PyResult<()> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let due = match *last {
            None => true,
            Some((when, seen)) => {
                seen != at && (at.done == at.total || when.elapsed() >= REPORT_INTERVAL)
            }
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
            | Error::MeanOverflow => PyValueError::new_err(err.to_string()),
        }
    }

    /// Runs `job` with the GIL released and a fresh pool of `n_jobs` workers.
    fn run<R: Send>(
        self,
        py: Python<'_>,
        n_jobs: Option<i64>,
        job: impl FnOnce(&Workers, &dyn Fn(Progress) -> bool) -> crate::Result<R> + Send,
    ) -> PyResult<R> {
        let outcome = py.detach(|| {
            let workers = Workers::new(crate::parallel::thread_count(n_jobs)?)?;
            job(&workers, &|at| self.should_stop(at))
        });
        outcome.map_err(|e| self.into_py_err(e))
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

fn points<'a, T: Coord + Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<Points<'a, T>> {
    let slice = a
        .as_slice()
        .map_err(|_| PyValueError::new_err("expected a C-contiguous array"))?;
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

fn fit<'py, T: Coord + Element>(
    py: Python<'py>,
    data: Points<'_, T>,
    seeds: Seeds<'_>,
    params: Params,
    n_jobs: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, u64)> {
    let clustering = SignalCheck::reporting_to(progress).run(py, n_jobs, |workers, stop| {
        crate::mean_shift(data, seeds, params, workers, stop)
    })?;
    let centers = matrix(py, clustering.centers, data.dim())?;
    Ok((
        centers.into_any(),
        clustering.labels.into_pyarray(py).into_any(),
        clustering.n_iter,
    ))
}

/// Mean shift of `x` (float32 or float64, C-contiguous) from `seeds` (float32
/// or float64 rows, or None for every row of `x`). Returns `(centers, labels,
/// n_iter)`.
/// `progress`, if given, is called with `(seeds climbed, seeds)` now and then.
#[pyfunction]
#[pyo3(signature = (x, seeds, bandwidth, max_iter, cluster_all, n_jobs, progress=None))]
#[allow(clippy::too_many_arguments)] // one per Python parameter
fn mean_shift<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    seeds: Option<&Bound<'py, PyAny>>,
    bandwidth: f64,
    max_iter: u64,
    cluster_all: bool,
    n_jobs: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, u64)> {
    let params = Params {
        bandwidth,
        max_iter,
        cluster_all,
    };
    let given = seeds.map(Matrix::extract).transpose()?;
    let seeds = match &given {
        Some(Matrix::F64(s)) => Seeds::Given(points(s)?),
        Some(Matrix::F32(s)) => Seeds::GivenSingle(points(s)?),
        None => Seeds::EveryPoint,
    };
    with_points!(x, |p| fit(py, p, seeds, params, n_jobs, progress))
}

/// Grid coordinates of the bins holding at least `min_bin_freq` rows, in
/// order of first appearance, rounded to float32; returned as float32, or as
/// float64 (the same values) if `float64`, for a caller that scales them in
/// float64 in place.
#[pyfunction]
#[pyo3(signature = (x, bin_size, single_precision, min_bin_freq, n_jobs, float64=false))]
fn bin_seeds<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    bin_size: f64,
    single_precision: bool,
    min_bin_freq: usize,
    n_jobs: Option<i64>,
    float64: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let precision = if single_precision {
        Precision::Single
    } else {
        Precision::Double
    };
    fn grid<'py, T: Coord, G: Coord + Element>(
        py: Python<'py>,
        p: Points<'_, T>,
        bin_size: f64,
        precision: Precision,
        min_bin_freq: usize,
        n_jobs: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bins = SignalCheck::default().run(py, n_jobs, |w, _| {
            crate::seeding::bin_seeds::<T, G>(p, bin_size, precision, min_bin_freq, w)
        })?;
        Ok(matrix(py, bins.coords, p.dim())?.into_any())
    }
    with_points!(x, |p| if float64 {
        grid::<_, f64>(py, p, bin_size, precision, min_bin_freq, n_jobs)
    } else {
        grid::<_, f32>(py, p, bin_size, precision, min_bin_freq, n_jobs)
    })
}

/// Mean distance of every row of `x` to its k-th nearest row.
#[pyfunction]
#[pyo3(signature = (x, quantile, n_jobs))]
fn estimate_bandwidth(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    quantile: f64,
    n_jobs: Option<i64>,
) -> PyResult<f64> {
    with_points!(x, |p| SignalCheck::default().run(py, n_jobs, |w, stop| {
        crate::bandwidth::estimate_bandwidth(p, quantile, w, stop)
    }))
}

/// Index of the nearest row of `centers` for every row of `x` (lowest index on ties).
#[pyfunction]
#[pyo3(signature = (x, centers, n_jobs))]
fn predict<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    centers: PyReadonlyArray2<'py, f64>,
    n_jobs: Option<i64>,
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
    let labels = with_points!(x, |p| SignalCheck::default().run(py, n_jobs, |w, stop| {
        crate::labels::assign_labels(p, c, Orphans::Cluster, w, stop)
    }))?;
    Ok(labels.into_pyarray(py).into_any())
}

// No global state, and every call works on its own arrays and thread pool, so
// the module is safe without the GIL (free-threaded Python).
#[pymodule(gil_used = false)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mean_shift, m)?)?;
    m.add_function(wrap_pyfunction!(bin_seeds, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_bandwidth, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    Ok(())
}
