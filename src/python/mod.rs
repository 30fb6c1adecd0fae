//! The PyO3 binding: NumPy arrays in, NumPy arrays out, the GIL released while
//! the core runs. One file per concern: [`fit`] (one machine's calls),
//! [`dask`] (a fit's chunks on a Dask cluster), [`image`] (segmentation of
//! images and volumes), and the two they share,
//! [`arrays`] (NumPy matrices in and out) and [`signals`] (Ctrl-C, progress,
//! and core errors as Python exceptions).

use pyo3::prelude::*;

mod arrays;
mod dask;
mod fit;
mod image;
mod signals;

// No global state, and every call works on its own arrays and thread pool, so
// the module is safe without the GIL (free-threaded Python).
#[pymodule(gil_used = false)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    fit::add_fit(m)?;
    image::add_image(m)?;
    dask::add_distributed(m)
}
