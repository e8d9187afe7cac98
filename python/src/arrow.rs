//! Arrow tables to pyarrow through the Arrow C data interface: pyarrow takes ownership of the
//! Rust buffers (released when the table is garbage-collected), nothing is copied.

use std::ptr::addr_of;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{Array, RecordBatch, StructArray};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// `batch` as a `pyarrow.Table`.
pub fn to_pyarrow_table<'py>(py: Python<'py>, batch: RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    let data = StructArray::from(batch).into_data();
    let ffi_schema = FFI_ArrowSchema::try_from(data.data_type())
        .map_err(|e| PyRuntimeError::new_err(format!("exporting the Arrow schema: {e}")))?;
    let ffi_array = FFI_ArrowArray::new(&data);
    let pyarrow = py.import("pyarrow")?;
    // pyarrow moves the structures out (their release callbacks become pyarrow's), so the
    // emptied structures are dropped here without freeing anything.
    let struct_array = pyarrow.getattr("Array")?.call_method1(
        "_import_from_c",
        (addr_of!(ffi_array) as usize, addr_of!(ffi_schema) as usize),
    )?;
    let batch = pyarrow
        .getattr("RecordBatch")?
        .call_method1("from_struct_array", (struct_array,))?;
    pyarrow
        .getattr("Table")?
        .call_method1("from_batches", (vec![batch],))
}
