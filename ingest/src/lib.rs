//! `segue-ingest`: reads catalogues (generic CSV/TSV/JSON Lines/Parquet, MTG-Jamendo, Spotify),
//! validates every row, and publishes them into a library as one new version.

mod batch;
pub mod error;
mod fields;
mod options;
mod pipeline;
mod progress;
pub mod record;
pub mod sources;
pub mod validate;

pub use error::{IngestError, Result, RowError};
pub use options::{CatalogFormat, IngestOptions, IngestSummary, OnDuplicate};
pub use pipeline::ingest;
