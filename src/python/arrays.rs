//! NumPy arrays in and out: float32 or float64 matrices read in place, and
//! results handed over without a copy.

use numpy::{
    Element, IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::{Coord, Points};

/// A C-contiguous float32 or float64 matrix from Python.
pub(super) enum Matrix<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'py> Matrix<'py> {
    pub(super) fn extract(x: &Bound<'py, PyAny>) -> PyResult<Self> {
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
        match $crate::python::arrays::Matrix::extract($x)? {
            $crate::python::arrays::Matrix::F32(a) => {
                let $p = $crate::python::arrays::points(&a)?;
                $body
            }
            $crate::python::arrays::Matrix::F64(a) => {
                let $p = $crate::python::arrays::points(&a)?;
                $body
            }
        }
    };
}

/// The rows of `a`, read in place. `as_slice` alone would also take a
/// Fortran-ordered array (and read it transposed): C order is checked first.
/// The Python API hands over any other layout as a C-contiguous, aligned copy.
pub(super) fn points<'a, T: Coord + Element>(
    a: &'a PyReadonlyArray2<'_, T>,
) -> PyResult<Points<'a, T>> {
    Points::new(c_contiguous(a)?, a.shape()[1]).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The values of `a`, in C order, read in place.
pub(super) fn c_contiguous<'a, T: Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<&'a [T]> {
    a.as_slice()
        .ok()
        .filter(|_| a.is_c_contiguous())
        .ok_or_else(|| PyValueError::new_err("expected a C-contiguous, aligned array"))
}

pub(super) fn matrix<'py, T: Element>(
    py: Python<'py>,
    data: Vec<T>,
    dim: usize,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let rows = data.len() / dim;
    data.into_pyarray(py).reshape([rows, dim])
}
pub(super) use with_points;

/// Cluster centres to label with: float64, finite, at least one.
pub(super) fn centres<'a>(centers: &'a PyReadonlyArray2<'_, f64>) -> PyResult<Points<'a, f64>> {
    let c = points(centers)?;
    if c.is_empty() {
        return Err(PyValueError::new_err("no cluster centers to label with"));
    }
    if c.as_slice().iter().any(|x| !x.is_finite()) {
        return Err(PyValueError::new_err(
            "the cluster centers contain NaN or infinity",
        ));
    }
    Ok(c)
}
