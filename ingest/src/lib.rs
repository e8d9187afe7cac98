//! `segue-ingest`: reads catalogues (generic CSV/TSV/JSON Lines/Parquet, MTG-Jamendo, Spotify),
//! validates every row, and publishes them into a library as one new version.

mod batch;
pub mod caption;
mod enrich;
pub mod error;
mod fields;
mod options;
mod pipeline;
mod progress;
pub mod record;
pub mod sources;
pub mod validate;

pub use error::{IngestError, Result, RowError};
pub use options::{
    AudioIngest, CatalogFormat, IngestOptions, IngestProgressReport, IngestSummary, OnDuplicate,
    ProgressCallback,
};
pub use pipeline::ingest;
/// The encoders, for callers that build an [`IngestOptions::text_encoder`] or
/// [`IngestOptions::audio`].
pub use segue_models as models;
