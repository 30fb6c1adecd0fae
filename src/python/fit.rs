//! One machine's calls: a whole fit, bin seeds, the bandwidth estimate and
//! `predict`.

use std::num::NonZeroI64;

use numpy::{Element, IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::arrays::{centres, matrix, points, with_points};
use super::signals::SignalCheck;
use crate::climbing::Weighing;
use crate::options::Quantile;
use crate::parallel::thread_count;
use crate::{
    Assignment, Attractors, Bandwidth, Coord, Error, Kernel, Options, Orphans, Points, Precision,
    Seeding, SeedsUsed, Weights,
};

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
    /// `"nearest"` or `"attractor"`.
    cluster_assignment: String,
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
    let assignment = Assignment::from_name(&options.cluster_assignment).map_err(to_py)?;
    let weights = weights(options.sample_weight.as_ref())?
        .map(Weights::new)
        .transpose()
        .map_err(to_py)?;
    let options = Options {
        seeding,
        max_iter: options.max_iter,
        cluster_all: options.cluster_all,
        threads: thread_count(options.n_jobs),
        kernel,
        weights,
        assignment,
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
    let c = centres(&centers)?;
    let labels = with_points!(x, |p| SignalCheck::default().run_on(
        py,
        n_jobs,
        |w, stop| { crate::labels::assign_labels(p, c, Orphans::Cluster, w, stop) }
    ))?;
    Ok(labels.into_pyarray(py).into_any())
}

/// A C-contiguous weight vector's values.
fn weights<'a>(w: Option<&'a PyReadonlyArray1<'_, f64>>) -> PyResult<Option<&'a [f64]>> {
    w.map(|w| {
        w.as_slice()
            .map_err(|_| PyValueError::new_err("expected a C-contiguous sample_weight"))
    })
    .transpose()
}

/// The attractor label of every row of `x` (float64): it climbs on the
/// fit's rows `fit_x` (float32 or float64) with their `sample_weight`,
/// `kernel`, `bandwidth` and `max_iter`, and takes the row of `centers`
/// nearest to where it ends; with `orphan_bandwidth`, -1 beyond it
/// (docs/algorithm.md §12.4).
#[pyfunction]
#[pyo3(signature = (fit_x, sample_weight, x, centers, kernel, bandwidth, max_iter, orphan_bandwidth, n_jobs))]
#[allow(clippy::too_many_arguments)]
fn predict_attractor<'py>(
    py: Python<'py>,
    fit_x: &Bound<'py, PyAny>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
    kernel: &str,
    bandwidth: f64,
    max_iter: u64,
    orphan_bandwidth: Option<f64>,
    n_jobs: Option<NonZeroI64>,
) -> PyResult<Bound<'py, PyAny>> {
    let to_py = |e: Error| SignalCheck::default().into_py_err(e);
    let kernel = Kernel::from_name(kernel).map_err(to_py)?;
    let weights = weights(sample_weight.as_ref())?;
    let (new, centres) = (points(&x)?, centres(&centers)?);
    let orphans = Orphans::beyond(orphan_bandwidth);
    let threads = thread_count(n_jobs);
    let labels = with_points!(fit_x, |p| {
        let model = Attractors {
            points: p,
            weighing: Weighing { kernel, weights },
            bandwidth,
            max_iter,
            centres,
            orphans,
        };
        SignalCheck::default().run(py, |stop| {
            crate::predict_by_attractor(&model, new, threads, stop)
        })
    })?;
    Ok(labels.into_pyarray(py).into_any())
}

pub(super) fn add_fit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(bin_seeds, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_bandwidth, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(predict_attractor, m)?)?;
    Ok(())
}
