//! Query vectors from NumPy: float32, C-contiguous, the expected number of dimensions, finite;
//! anything else is a `TypeError` or `ValueError` that says what was given and what to do.

use numpy::{PyArrayDescrMethods, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// The rows of a `(n, d)` float32 array (or one row for a 1-D array of `d` values), copied
/// out so the search can run without the GIL.
pub fn matrix(obj: &Bound<'_, PyAny>, what: &str, ndim: usize) -> PyResult<(usize, Vec<f32>)> {
    let array = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a NumPy array of float32, got {}; convert with \
             numpy.asarray(x, dtype=numpy.float32)",
            type_name(obj)
        ))
    })?;
    let dtype = array.dtype();
    if !dtype.is_equiv_to(&numpy::dtype::<f32>(obj.py())) {
        return Err(PyTypeError::new_err(format!(
            "{what} must have dtype float32, got {dtype}; convert with .astype(numpy.float32)"
        )));
    }
    if array.ndim() != ndim {
        return Err(PyValueError::new_err(format!(
            "{what} must be {ndim}-dimensional, got shape {:?}",
            array.shape()
        )));
    }
    if !array.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "{what} must be C-contiguous; pass numpy.ascontiguousarray({what})"
        )));
    }
    let shape = array.shape().to_vec();
    if shape.contains(&0) {
        return Err(PyValueError::new_err(format!(
            "{what} is empty (shape {shape:?})"
        )));
    }
    let typed = obj.cast::<numpy::PyArrayDyn<f32>>()?.readonly();
    let values = typed
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?;
    if let Some(i) = values.iter().position(|x| !x.is_finite()) {
        let d = shape[ndim - 1];
        let at = if ndim == 1 {
            format!("at index {i}")
        } else {
            format!("at row {}, column {}", i / d, i % d)
        };
        return Err(PyValueError::new_err(format!(
            "{what} has a non-finite value ({}) {at}",
            values[i]
        )));
    }
    Ok((shape[0], values.to_vec()))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "an object".into(), |n| n.to_string())
}
