//! Arrow tables to pyarrow through the Arrow C data interface: pyarrow takes ownership of the
//! Rust buffers (released when the table is garbage-collected), nothing is copied.

use std::ptr::addr_of;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{Array, RecordBatch, StructArray};
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyType};

/// `batch` as a `pyarrow.Table`.
///
/// A single search is a few tens of microseconds, so the conversion is kept to two pyarrow
/// calls on classes looked up once per process: the batch comes in as a struct array with its
/// schema (`RecordBatch._import_from_c`), then becomes a one-batch table.
pub fn to_pyarrow_table<'py>(py: Python<'py>, batch: RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    static RECORD_BATCH: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static TABLE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let data = StructArray::from(batch).into_data();
    let ffi_schema = FFI_ArrowSchema::try_from(data.data_type())
        .map_err(|e| PyRuntimeError::new_err(format!("exporting the Arrow schema: {e}")))?;
    let ffi_array = FFI_ArrowArray::new(&data);
    // pyarrow moves the structures out (their release callbacks become pyarrow's), so the
    // emptied structures are dropped here without freeing anything.
    let batch = RECORD_BATCH
        .import(py, "pyarrow", "RecordBatch")?
        .call_method1(
            intern!(py, "_import_from_c"),
            (addr_of!(ffi_array) as usize, addr_of!(ffi_schema) as usize),
        )?;
    TABLE
        .import(py, "pyarrow", "Table")?
        .call_method1(intern!(py, "from_batches"), (PyList::new(py, [batch])?,))
}
