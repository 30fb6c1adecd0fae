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
    add_distributed(m)
}

// The cluster's share of a fit on Dask (docs/algorithm.md §11): a chunk of
// rows kept with its tree on a worker, its partial sums per round, and the
// client's exact combination, bins, modes and labels.

/// A chunk of float32 or float64 rows.
enum AnyChunk {
    F32(crate::distributed::Chunk<f32>),
    F64(crate::distributed::Chunk<f64>),
}

/// Evaluates `$body` with `$c` bound to the chunk inside `$chunk`, of
/// either type.
macro_rules! with_chunk {
    ($chunk:expr, |$c:ident| $body:expr) => {
        match $chunk {
            AnyChunk::F32($c) => $body,
            AnyChunk::F64($c) => $body,
        }
    };
}

fn to_py_err(err: Error) -> PyErr {
    SignalCheck::default().into_py_err(err)
}

/// One chunk of rows (C-contiguous float32 or float64) and their weights,
/// copied and indexed once for climbs with `kernel`, and kept by a Dask
/// worker for every round of a fit. Pickles as its rows, weights and kernel
/// (the index is rebuilt).
#[pyclass(frozen, module = "fastmeanshift._core")]
struct DaskChunk {
    chunk: AnyChunk,
    kernel: String,
}

/// A chunk's rows kept in the NumPy array they arrived in, so that a worker
/// holds them once, not twice.
struct ArrayRows<T: Element> {
    // Keeps the array, hence its buffer, alive.
    _array: Py<PyArray2<T>>,
    start: *const T,
    len: usize,
}

// SAFETY: the pointer is only read, as a shared slice (see `rows`), and the
// array it points into is kept alive by a `Py`, which may be sent and shared.
unsafe impl<T: Element> Send for ArrayRows<T> {}
unsafe impl<T: Element> Sync for ArrayRows<T> {}

// SAFETY: NumPy never moves the buffer of a live array that another object
// references (`ndarray.resize` refuses), and the arrays handed to
// `DaskChunk` are blocks of a Dask array (or rows unpickled for one), which
// Dask treats as immutable and nothing of fastmeanshift writes to.
unsafe impl<T: Element + Send + Sync> crate::distributed::RowStorage<T> for ArrayRows<T> {
    fn rows(&self) -> &[T] {
        unsafe { std::slice::from_raw_parts(self.start, self.len) }
    }
}

impl DaskChunk {
    fn build<T: Coord + Element>(
        py: Python<'_>,
        array: &PyReadonlyArray2<'_, T>,
        weights: Option<&[f64]>,
        kernel: Kernel,
        n_jobs: Option<NonZeroI64>,
    ) -> PyResult<crate::distributed::Chunk<T>> {
        let rows = points(array)?;
        let (dim, slice) = (rows.dim(), rows.as_slice());
        let storage = Box::new(ArrayRows {
            _array: array.as_unbound().clone_ref(py),
            start: slice.as_ptr(),
            len: slice.len(),
        });
        SignalCheck::default().run_on(py, n_jobs, |workers, stop| {
            let weights = weights.map(<[f64]>::to_vec);
            crate::distributed::Chunk::new(storage, dim, weights, kernel, workers, stop)
        })
    }
}

#[pymethods]
impl DaskChunk {
    #[new]
    #[pyo3(signature = (x, sample_weight, kernel, n_jobs=None))]
    fn new(
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        kernel: String,
        n_jobs: Option<NonZeroI64>,
    ) -> PyResult<Self> {
        let parsed = Kernel::from_name(&kernel).map_err(to_py_err)?;
        let weights = match &sample_weight {
            None => None,
            Some(w) => Some(
                w.as_slice()
                    .map_err(|_| PyValueError::new_err("expected a C-contiguous sample_weight"))?,
            ),
        };
        let chunk = match Matrix::extract(x)? {
            Matrix::F32(a) => AnyChunk::F32(Self::build(py, &a, weights, parsed, n_jobs)?),
            Matrix::F64(a) => AnyChunk::F64(Self::build(py, &a, weights, parsed, n_jobs)?),
        };
        Ok(DaskChunk { chunk, kernel })
    }

    /// The number of rows.
    fn __len__(&self) -> usize {
        with_chunk!(&self.chunk, |c| c.points().len())
    }

    /// The bytes the chunk holds (its rows, weights and index), which Dask
    /// weighs when it decides where to run a task.
    fn __sizeof__(&self) -> usize {
        with_chunk!(&self.chunk, |c| c.bytes())
    }

    /// The rows, weights and kernel to rebuild the chunk from (by
    /// `fastmeanshift.dask._tasks.rebuild_chunk`).
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let this = slf.get();
        let (rows, weights) = with_chunk!(&this.chunk, |c| (
            matrix(py, c.points().as_slice().to_vec(), c.points().dim())?.into_any(),
            c.weights().map(|w| w.to_vec().into_pyarray(py).into_any())
        ));
        let args = (rows, weights, this.kernel.clone()).into_pyobject(py)?;
        // Rebuilt by Python, which aligns the arrays that come over a network.
        let rebuild = py
            .import("fastmeanshift.dask._tasks")?
            .getattr("rebuild_chunk")?;
        Ok((rebuild, args.into_any()))
    }

    /// For every row of `positions` (float64), the unrounded partial sums of
    /// its neighbourhood at `bandwidth` over this chunk's rows: a matrix of
    /// `3 * dim + 3` columns per position (see `distributed::PartialSums`).
    #[pyo3(signature = (positions, bandwidth, n_jobs=None))]
    fn partial_sums<'py>(
        &self,
        py: Python<'py>,
        positions: PyReadonlyArray2<'py, f64>,
        bandwidth: f64,
        n_jobs: Option<NonZeroI64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let q = points(&positions)?;
        let sums = with_chunk!(&self.chunk, |c| SignalCheck::default().run_on(
            py,
            n_jobs,
            |workers, stop| c.partial_sums(q, bandwidth, workers, stop)
        ))?;
        let width = crate::distributed::PartialSums::width(sums.dim);
        matrix(py, sums.values, width)
    }

    /// The chunk's grid bins at `bin_size` in order of first appearance:
    /// `dim` grid coordinates, the frequency and its error term per row.
    /// `single`: a float32 chunk divides by a float32 bin size.
    fn bins<'py>(
        &self,
        py: Python<'py>,
        bin_size: f64,
        single: bool,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let precision = if single {
            Precision::Single
        } else {
            Precision::Double
        };
        let (bins, dim) = with_chunk!(&self.chunk, |c| {
            let division = precision_of_division(c.points(), precision);
            let dim = c.points().dim();
            (
                py.detach(|| c.bins(bin_size, division))
                    .map_err(to_py_err)?,
                dim,
            )
        });
        matrix(py, bins.values, dim + 2)
    }

    /// The rows at `indices` (in this chunk), in that order.
    fn rows<'py>(
        &self,
        py: Python<'py>,
        indices: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let indices = indices.as_slice()?;
        with_chunk!(&self.chunk, |c| {
            let p = c.points();
            let rows = py.detach(|| {
                let mut rows = Vec::with_capacity(indices.len() * p.dim());
                for &i in indices {
                    let i = usize::try_from(i).ok().filter(|&i| i < p.len())?;
                    rows.extend_from_slice(p.row(i));
                }
                Some(rows)
            });
            let rows = rows.ok_or_else(|| PyValueError::new_err("row index out of range"))?;
            Ok(matrix(py, rows, p.dim())?.into_any())
        })
    }

    /// The rows of positive weight (every row without weights), in order:
    /// the seeds of "every point a seed" (docs/algorithm.md §10.5).
    fn seed_rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        with_chunk!(&self.chunk, |c| {
            let p = c.points();
            let rows: Vec<_> = py.detach(|| {
                (0..p.len())
                    .filter(|&i| c.weights().is_none_or(|w| w[i] > 0.0))
                    .flat_map(|i| p.row(i).iter().copied())
                    .collect()
            });
            Ok(matrix(py, rows, p.dim())?.into_any())
        })
    }

    /// The sum of the weights as a compensated pair (the number of rows
    /// without weights).
    fn weight_sum(&self, py: Python<'_>) -> (f64, f64) {
        with_chunk!(&self.chunk, |c| py.detach(|| c.weight_sum()))
    }
}

/// The precision of a chunk's grid division: float64 rows always divide in
/// float64.
fn precision_of_division<T: Coord>(_: Points<'_, T>, precision: Precision) -> Precision {
    precision.of_division::<T>()
}

/// The means (float64 values of float32, with `single`, or float64) and
/// intensities of the neighbourhoods whose partial sums, one matrix per
/// chunk, are `parts`: combined exactly, then rounded once
/// (docs/algorithm.md §11.2). Means are NaN where nothing weighed anything.
#[pyfunction]
#[pyo3(signature = (parts, single, weighted, kernel))]
fn combine_partial_sums<'py>(
    py: Python<'py>,
    parts: Vec<PyReadonlyArray2<'py, f64>>,
    single: bool,
    weighted: bool,
    kernel: &str,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyAny>)> {
    let kernel = Kernel::from_name(kernel).map_err(to_py_err)?;
    let width = parts.first().map_or(3, |p| p.shape()[1]);
    if width < 6 || width % 3 != 0 {
        return Err(PyValueError::new_err("partial sums of an unexpected width"));
    }
    let dim = width / 3 - 1;
    let slices = parts
        .iter()
        .map(|p| p.as_slice())
        .collect::<Result<Vec<_>, _>>()?;
    let rule = match (kernel, weighted) {
        (Kernel::Flat, false) => crate::distributed::MeanRule::Counted,
        _ => crate::distributed::MeanRule::Weighted {
            numpy_copies: kernel == Kernel::Flat,
        },
    };
    let (means, intensities) = py
        .detach(|| {
            if single {
                crate::distributed::combine::<f32>(&slices, dim, rule)
            } else {
                crate::distributed::combine::<f64>(&slices, dim, rule)
            }
        })
        .map_err(to_py_err)?;
    Ok((
        matrix(py, means, dim)?,
        intensities.into_pyarray(py).into_any(),
    ))
}

/// The bin seeds of every chunk's bins (`parts`, in row order), as one
/// machine's fit makes them (docs/algorithm.md §2.2, §3, §11.3): float64
/// seeds, or None when every point (of positive weight) should seed
/// instead. `single_bin_size`: NumPy keeps a float32 product with this
/// bandwidth in float32; `data_single`: the rows are float32.
#[pyfunction]
#[pyo3(signature = (parts, dim, bandwidth, single_bin_size, min_bin_freq, n_points, total_weight))]
#[allow(clippy::too_many_arguments)]
fn merge_bin_seeds<'py>(
    py: Python<'py>,
    parts: Vec<PyReadonlyArray2<'py, f64>>,
    dim: usize,
    bandwidth: f64,
    single_bin_size: bool,
    min_bin_freq: u64,
    n_points: u64,
    total_weight: Option<f64>,
) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
    let slices = parts
        .iter()
        .map(|p| p.as_slice())
        .collect::<Result<Vec<_>, _>>()?;
    let least = usize::try_from(min_bin_freq).unwrap_or(usize::MAX);
    let bins = py
        .detach(|| crate::distributed::merge_bins(&slices, dim, least))
        .map_err(to_py_err)?;
    let every_point_its_own_bin = match total_weight {
        None => bins.len as u64 == n_points,
        Some(total) => bins.len as f64 == total,
    };
    if every_point_its_own_bin {
        return Ok(None);
    }
    let precision = if single_bin_size {
        Precision::Single
    } else {
        Precision::Double
    };
    let seeds = bins.positions(bandwidth, precision).map_err(to_py_err)?;
    if seeds.is_empty() {
        return Err(to_py_err(Error::NoSeeds));
    }
    Ok(Some(matrix(py, seeds, dim)?))
}

/// The cluster centres of climbs that ended at `centers` (float32 or
/// float64, one row per seed, in seed order) with `intensities` (0 for a
/// dropped seed): collapse, order, suppression (docs/algorithm.md §2.4 to
/// §2.7), in the centres' type.
#[pyfunction]
#[pyo3(signature = (centers, intensities, bandwidth))]
fn find_modes<'py>(
    py: Python<'py>,
    centers: &Bound<'py, PyAny>,
    intensities: PyReadonlyArray1<'py, f64>,
    bandwidth: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let intensities = intensities.as_slice()?;
    with_points!(centers, |p| {
        if p.len() != intensities.len() {
            return Err(PyValueError::new_err("one intensity per centre expected"));
        }
        let modes = SignalCheck::default()
            .run(py, |stop| modes_of_climbs(p, intensities, bandwidth, stop))?;
        Ok(matrix(py, modes, p.dim())?.into_any())
    })
}

fn modes_of_climbs<T: Coord>(
    centers: Points<'_, T>,
    intensities: &[f64],
    bandwidth: f64,
    stop: StopCheck<'_>,
) -> crate::Result<Vec<T>> {
    // As `fit` rejects them (lib.rs, `reject_overflowed_means`).
    if centers.as_slice().iter().any(|x| !x.to_f64().is_finite()) {
        return Err(Error::MeanOverflow { dtype: T::NAME });
    }
    let climbed = crate::climbing::Climbs {
        centers: centers.as_slice().to_vec(),
        intensities: intensities.to_vec(),
        n_iter: 0,
    };
    let progress = Progress {
        done: intensities.len(),
        total: intensities.len(),
    };
    Workers::new(1)?.run(0, &|_| stop(progress), |task| {
        crate::modes::find_modes(climbed, centers.dim(), bandwidth, task)
    })
}

/// Every row's nearest row of `centers` (float64), lowest index on ties;
/// with `orphan_bandwidth`, -1 beyond it (docs/algorithm.md §2.8).
#[pyfunction]
#[pyo3(signature = (x, centers, orphan_bandwidth, n_jobs))]
fn assign_labels<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    centers: PyReadonlyArray2<'py, f64>,
    orphan_bandwidth: Option<f64>,
    n_jobs: Option<NonZeroI64>,
) -> PyResult<Bound<'py, PyAny>> {
    let c = points(&centers)?;
    if c.is_empty() || c.as_slice().iter().any(|x| !x.is_finite()) {
        return Err(PyValueError::new_err(
            "the cluster centers must be finite, and at least one",
        ));
    }
    let orphans = match orphan_bandwidth {
        None => Orphans::Cluster,
        Some(bandwidth) => Orphans::Drop { bandwidth },
    };
    let labels = with_points!(x, |p| SignalCheck::default().run_on(
        py,
        n_jobs,
        |w, stop| { crate::labels::assign_labels(p, c, orphans, w, stop) }
    ))?;
    Ok(labels.into_pyarray(py).into_any())
}

/// The compensated sum of compensated pairs `(sum, error)`, as the core sums
/// weights.
#[pyfunction]
fn compensated_total(parts: Vec<(f64, f64)>) -> f64 {
    crate::distributed::compensated_total(&parts)
}

fn add_distributed(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DaskChunk>()?;
    m.add_function(wrap_pyfunction!(combine_partial_sums, m)?)?;
    m.add_function(wrap_pyfunction!(merge_bin_seeds, m)?)?;
    m.add_function(wrap_pyfunction!(find_modes, m)?)?;
    m.add_function(wrap_pyfunction!(assign_labels, m)?)?;
    m.add_function(wrap_pyfunction!(compensated_total, m)?)?;
    Ok(())
}
