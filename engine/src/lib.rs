//! Segue: an embedded engine that chooses background music for video from stock-music
//! catalogues.
//!
//! This crate is the public face: it re-exports what applications need from the layered crates
//! (`segue-index` for the on-disk library, `segue-ingest` for building it, `segue-query` for
//! asking it) and hosts the `segue` command-line program.
//!
//! ```no_run
//! use segue::{ingest, IngestOptions, Library};
//! let summary = ingest(std::path::Path::new("my-library"), &IngestOptions::new("catalog.parquet"))?;
//! let library = Library::open(std::path::Path::new("my-library"))?;
//! println!("version {} with {} tracks", library.version(), library.rows());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod demo;
pub mod error;
pub mod eval;
pub mod info;
pub mod paths;
mod plot;
pub mod policy;
pub mod search;
pub mod soundtrack;
pub mod text;

pub use error::{Error, Result};
pub use segue_index::exact::{Hit, top_k};
pub use segue_index::{Dims, EmbeddingKind, IndexError, IndexPlan, Library, Manifest};
pub use segue_ingest::{
    CatalogFormat, IngestError, IngestOptions, IngestSummary, OnDuplicate, RowError, ingest,
};

/// The layered crates, for callers that need more than the facade.
pub use segue_fixtures as fixtures;
pub use segue_index as index;
pub use segue_ingest as ingest_crate;
pub use segue_query as query;
