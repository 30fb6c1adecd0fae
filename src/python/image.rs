//! Images and volumes: the joint spatial-range segmentation
//! (docs/algorithm.md §13).

use std::num::NonZeroI64;

use numpy::{IntoPyArray, PyReadonlyArray2};
use pyo3::prelude::*;

use super::arrays::points;
use super::signals::{to_py_err, SignalCheck};
use crate::parallel::thread_count;
use crate::segmentation::{segment as segment_image, Image, SegmentOptions};
use crate::Kernel;

/// The options of `segment`, one item of a Python dict each, validated by
/// `fastmeanshift.image`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ImageOptions {
    spatial_bandwidth: f64,
    range_bandwidth: f64,
    /// `"flat"`, `"epanechnikov"` or `"gaussian"`.
    kernel: String,
    min_size: usize,
    max_iter: u64,
    n_jobs: Option<NonZeroI64>,
}

/// What `segment` returns to Python: labels (int64), modes and region values
/// (float64), all flat, and `n_iter`.
type Segmented<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>, u64);

/// Segments the image whose pixels are the rows of `pixels` (float64,
/// C-contiguous, one column per channel) in raster order over the spatial
/// `shape`, with `spacing` per axis. `progress`, if given, is called with
/// `(pixels climbed, pixels)` now and then.
#[pyfunction]
#[pyo3(signature = (pixels, shape, spacing, options, progress=None))]
fn segment<'py>(
    py: Python<'py>,
    pixels: PyReadonlyArray2<'py, f64>,
    shape: Vec<usize>,
    spacing: Vec<f64>,
    options: ImageOptions,
    progress: Option<Py<PyAny>>,
) -> PyResult<Segmented<'py>> {
    let rows = points(&pixels)?;
    let image = Image::new(rows.as_slice(), &shape, &spacing, rows.dim()).map_err(to_py_err)?;
    let options = SegmentOptions {
        kernel: Kernel::from_name(&options.kernel).map_err(to_py_err)?,
        min_size: options.min_size,
        max_iter: options.max_iter,
        threads: thread_count(options.n_jobs),
        ..SegmentOptions::new(options.spatial_bandwidth, options.range_bandwidth)
    };
    let got = SignalCheck::reporting_to(progress)
        .run(py, |stop| segment_image(&image, &options, stop))?;
    Ok((
        got.labels.into_pyarray(py).into_any(),
        got.modes.into_pyarray(py).into_any(),
        got.region_values.into_pyarray(py).into_any(),
        got.n_iter,
    ))
}

pub(super) fn add_image(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(segment, m)?)
}
