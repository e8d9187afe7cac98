//! `segue.ingest`: a catalogue into a new library version, with progress reported to a Python
//! callable and Ctrl-C honoured (the ingest stops and publishes nothing).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use segue::{CatalogFormat, IngestOptions, IngestProgressReport, OnDuplicate, ProgressCallback};

use crate::errors::{OrRaise, bad_input};
use crate::library::json_to_py;

/// Ingests `catalog` into the library in `library` (created when missing) and returns the
/// summary (`segue ingest --json`'s). `on_progress(report)` is called after every batch with
/// `rows_read`, `done`, `total` (bytes of a text catalogue, rows of a Parquet one) and
/// `audio_analyzed`; returning `False` cancels the ingest (`CancelledError`), raising stops it
/// with that exception. Nothing is published unless the whole ingest succeeds.
#[pyfunction]
#[pyo3(signature = (
    library, catalog, *, format="auto", on_duplicate="error", skip_bad_rows=false,
    rejects=None, audio_emb=None, text_emb=None, audio_dim=None, text_dim=None,
    batch_rows=8192, index=true, quantise=None, on_progress=None
))]
#[allow(clippy::too_many_arguments)]
pub fn ingest<'py>(
    py: Python<'py>,
    library: PathBuf,
    catalog: PathBuf,
    format: &str,
    on_duplicate: &str,
    skip_bad_rows: bool,
    rejects: Option<PathBuf>,
    audio_emb: Option<PathBuf>,
    text_emb: Option<PathBuf>,
    audio_dim: Option<u32>,
    text_dim: Option<u32>,
    batch_rows: usize,
    index: bool,
    quantise: Option<&str>,
    on_progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let quantisation = quantise
        .map(|q| q.parse::<segue::index::quantised::Quantisation>())
        .transpose()
        .map_err(|e| bad_input(format!("quantise: {e}")))?;
    let format: CatalogFormat = format
        .parse()
        .map_err(|e: String| bad_input(format!("format: {e}")))?;
    let on_duplicate: OnDuplicate = on_duplicate
        .parse()
        .map_err(|e: String| bad_input(format!("on_duplicate: {e}")))?;
    if batch_rows == 0 {
        return Err(bad_input("batch_rows must be at least 1"));
    }
    if let Some(f) = &on_progress
        && !f.bind(py).is_callable()
    {
        return Err(bad_input("on_progress must be callable"));
    }
    let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
    let opts = IngestOptions {
        format,
        on_duplicate,
        skip_bad_rows,
        rejects_path: rejects,
        audio_emb_file: audio_emb,
        text_emb_file: text_emb,
        audio_dim,
        text_dim,
        batch_rows,
        progress: false,
        on_progress: Some(progress_callback(on_progress, raised.clone())),
        index: segue::IndexPlan {
            quantisation,
            ..if index {
                segue::IndexPlan::default()
            } else {
                segue::IndexPlan::none()
            }
        },
        ..IngestOptions::new(catalog)
    };
    let result = py.detach(|| segue::ingest(&library, &opts));
    if let Some(e) = raised.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    json_to_py(py, &result.or_raise()?)
}

/// Calls the caller's function (if any) with the GIL held, and stops the ingest on Ctrl-C,
/// on an exception (kept in `raised` to re-raise) or when the function returns `False`.
fn progress_callback(
    on_progress: Option<Py<PyAny>>,
    raised: Arc<Mutex<Option<PyErr>>>,
) -> ProgressCallback {
    ProgressCallback::new(move |report: &IngestProgressReport| {
        Python::attach(|py| {
            let outcome = py.check_signals().and_then(|()| match &on_progress {
                Some(f) => {
                    let d = PyDict::new(py);
                    d.set_item("rows_read", report.rows_read)?;
                    d.set_item("done", report.done)?;
                    d.set_item("total", report.total)?;
                    d.set_item("audio_analyzed", report.audio_analyzed)?;
                    let answer = f.call1(py, (d,))?;
                    Ok(!answer.bind(py).is(pyo3::types::PyBool::new(py, false)))
                }
                None => Ok(true),
            });
            match outcome {
                Ok(true) => ControlFlow::Continue(()),
                Ok(false) => ControlFlow::Break(()),
                Err(e) => {
                    *raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    ControlFlow::Break(())
                }
            }
        })
    })
}
