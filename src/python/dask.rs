//! The cluster's share of a fit on Dask (docs/algorithm.md §11): a chunk of
//! rows kept with its tree on a worker, its partial sums per round, and the
//! client's exact combination, bins, modes and labels.

use std::num::NonZeroI64;

use numpy::{
    Element, IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::arrays::{centres, matrix, points, with_points, Matrix};
use super::signals::{to_py_err, SignalCheck};
use crate::{Coord, Error, Kernel, Orphans, Points, Precision, Progress, StopCheck, Workers};

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
    if width < 6 || !width.is_multiple_of(3) {
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
    let c = centres(&centers)?;
    let orphans = Orphans::beyond(orphan_bandwidth);
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

pub(super) fn add_distributed(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<DaskChunk>()?;
    m.add_function(wrap_pyfunction!(combine_partial_sums, m)?)?;
    m.add_function(wrap_pyfunction!(merge_bin_seeds, m)?)?;
    m.add_function(wrap_pyfunction!(find_modes, m)?)?;
    m.add_function(wrap_pyfunction!(assign_labels, m)?)?;
    m.add_function(wrap_pyfunction!(compensated_total, m)?)?;
    Ok(())
}
