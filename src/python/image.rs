//! Images and volumes: the joint spatial-range segmentation
//! (docs/algorithm.md §13).

use std::num::NonZeroI64;

use numpy::{IntoPyArray, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use super::arrays::c_contiguous;
use super::signals::{to_py_err, SignalCheck};
use crate::climbing::image_values::ImageValues;
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

/// The pixels of an image from Python, read in place in their own type.
enum ImageArray<'py> {
    U8(PyReadonlyArray2<'py, u8>),
    I8(PyReadonlyArray2<'py, i8>),
    U16(PyReadonlyArray2<'py, u16>),
    I16(PyReadonlyArray2<'py, i16>),
    U32(PyReadonlyArray2<'py, u32>),
    I32(PyReadonlyArray2<'py, i32>),
    U64(PyReadonlyArray2<'py, u64>),
    I64(PyReadonlyArray2<'py, i64>),
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

macro_rules! image_arrays {
    ($($variant:ident: $t:ty),*) => {
        impl<'py> ImageArray<'py> {
            fn extract(x: &Bound<'py, PyAny>) -> PyResult<Self> {
                $(if let Ok(a) = x.extract::<PyReadonlyArray2<'py, $t>>() {
                    return Ok(ImageArray::$variant(a));
                })*
                Err(PyTypeError::new_err(
                    "expected a 2-D array of an integer type or float32 or float64",
                ))
            }

            /// The values (C-contiguous) and the channels per pixel.
            fn values(&self) -> PyResult<(ImageValues<'_>, usize)> {
                match self {
                    $(ImageArray::$variant(a) => Ok((ImageValues::from(c_contiguous(a)?), a.shape()[1])),)*
                }
            }
        }
    };
}
image_arrays!(U8: u8, I8: i8, U16: u16, I16: i16, U32: u32, I32: i32, U64: u64, I64: i64, F32: f32, F64: f64);

/// What `segment` returns to Python: labels (int64), modes and region values
/// (float64), all flat, and `n_iter`.
type Segmented<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>, u64);

/// Segments the image whose pixels are the rows of `pixels` (any integer
/// type, float32 or float64, C-contiguous, one column per channel) in raster order over the spatial
/// `shape`, with `spacing` per axis. `progress`, if given, is called with
/// `(pixels climbed, pixels)` now and then.
#[pyfunction]
#[pyo3(signature = (pixels, shape, spacing, options, progress=None))]
fn segment<'py>(
    py: Python<'py>,
    pixels: &Bound<'py, PyAny>,
    shape: Vec<usize>,
    spacing: Vec<f64>,
    options: ImageOptions,
    progress: Option<Py<PyAny>>,
) -> PyResult<Segmented<'py>> {
    let pixels = ImageArray::extract(pixels)?;
    let (values, channels) = pixels.values()?;
    let image = Image::new(values, &shape, &spacing, channels).map_err(to_py_err)?;
    let options = SegmentOptions {
        kernel: Kernel::from_name(&options.kernel).map_err(to_py_err)?,
        min_size: options.min_size,
        max_iter: options.max_iter,
        threads: thread_count(options.n_jobs),
        ..SegmentOptions::new(options.spatial_bandwidth, options.range_bandwidth)
    };
    let got = SignalCheck::reporting_to(progress)
        .run(py, |stop| segment_image(&image, &options, stop))?;
    // NumPy's default integer, as scikit-image's labels are.
    let labels: Vec<i64> = got.labels.into_iter().map(i64::from).collect();
    Ok((
        labels.into_pyarray(py).into_any(),
        got.modes.into_pyarray(py).into_any(),
        got.region_values.into_pyarray(py).into_any(),
        got.n_iter,
    ))
}

pub(super) fn add_image(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(segment, m)?)
}
