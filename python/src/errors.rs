//! Engine errors as Python exceptions: one class per [`segue::ErrorKind`], defined in
//! `segue/errors.py` (so that bad input is also a `ValueError` and I/O an `OSError`), carrying
//! the engine's message.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;
use segue::ErrorKind;

/// The exception class of `segue.errors` for each kind of engine error.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadInput => "BadInputError",
        ErrorKind::NotALibrary => "NotALibraryError",
        ErrorKind::Corrupt => "CorruptLibraryError",
        ErrorKind::Incompatible => "IncompatibleFormatError",
        ErrorKind::Locked => "LibraryLockedError",
        ErrorKind::Io => "SegueIOError",
        ErrorKind::Model => "ModelError",
        ErrorKind::Cancelled => "CancelledError",
        ErrorKind::Other => "SegueError",
    }
}

/// The Python exception for an engine error.
pub fn to_py(error: segue::Error) -> PyErr {
    raise(error.kind(), error.to_string())
}

/// An exception of `kind`'s class with `message`.
pub fn raise(kind: ErrorKind, message: String) -> PyErr {
    Python::attach(|py| {
        let class = py
            .import("segue.errors")
            .and_then(|m| m.getattr(class_name(kind)))
            .and_then(|c| Ok(c.cast_into::<PyType>()?));
        match class {
            Ok(class) => PyErr::from_type(class, message),
            // Only when the package is broken (the extension loaded without `segue.errors`).
            Err(e) => PyRuntimeError::new_err(format!("{message} (and segue.errors: {e})")),
        }
    })
}

/// `BadInputError` (a `ValueError`) with `message`.
pub fn bad_input(message: impl Into<String>) -> PyErr {
    raise(ErrorKind::BadInput, message.into())
}

/// `?` on engine results inside the binding.
pub trait OrRaise<T> {
    /// The value, or the engine's error as its Python exception.
    fn or_raise(self) -> PyResult<T>;
}

impl<T, E: Into<segue::Error>> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(|e| to_py(e.into()))
    }
}
