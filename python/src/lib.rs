//! The extension module `segue._segue`: the `segue` facade's API for Python. The package in
//! `python/segue/` re-exports it with the exception classes and type stubs.
//!
//! Every call that reads the library, ingests or plans releases the GIL (`Python::detach`), so
//! Python threads run them in parallel; the objects hold only thread-safe engine state.

use pyo3::prelude::*;

mod arrow;
mod dicts;
mod errors;
mod ingest;
mod library;
mod planner;
mod search_args;
mod sharded;
mod training;
mod vectors;
mod videos;

#[pymodule]
fn _segue(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_CANDIDATES", segue::soundtrack::DEFAULT_CANDIDATES)?;
    m.add_class::<library::PyLibrary>()?;
    m.add_class::<planner::PyPlanner>()?;
    m.add_class::<sharded::PyShardedPlanner>()?;
    m.add_function(wrap_pyfunction!(sharded::merge_candidate_hits, m)?)?;
    m.add_function(wrap_pyfunction!(sharded::energy_ranks_from_counts, m)?)?;
    m.add_function(wrap_pyfunction!(ingest::ingest, m)?)?;
    m.add_function(wrap_pyfunction!(library::sum_text_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(training::fit, m)?)?;
    m.add_function(wrap_pyfunction!(training::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(training::generate_catalog, m)?)?;
    m.add_function(wrap_pyfunction!(training::generate_videos, m)?)?;
    Ok(())
}
