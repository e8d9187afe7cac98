//! Segue: an embedded engine that chooses background music for video from stock-music
//! catalogues.
//!
//! This crate is the public face: it re-exports what applications need from the layered crates
//! (`segue-index` for the on-disk library, `segue-ingest` for building it, `segue-query` for
//! asking it, `segue-train` for training its policy) and adds the few calls that tie them
//! together (opening a searcher or a planner with the library's own text encoder, fitting,
//! evaluating, training on a library).
//!
//! ```no_run
//! use std::path::Path;
//! use segue::search::{SearchRequest, open_searcher};
//! use segue::{EncoderOptions, IngestOptions, Library, ingest};
//!
//! let summary = ingest(Path::new("my-library"), &IngestOptions::new("catalog.parquet"))?;
//! let library = Library::open(Path::new("my-library"))?;
//! println!("version {} with {} tracks", library.version(), library.rows());
//!
//! let searcher = open_searcher(Path::new("my-library"), &EncoderOptions::default())?;
//! let request = SearchRequest::text("calm piano for a rainy morning")?
//!     .filter("bpm >= 60 AND bpm <= 90")?
//!     .k(10)?;
//! let (hits, _stats) = searcher.search(&request)?;
//! for hit in hits {
//!     println!("{:.3} {} {:?}", hit.score, hit.track_id, hit.fields.title);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod error;
mod error_kind;
pub mod eval;
pub mod info;
pub mod paths;
pub mod policy;
pub mod render;
pub mod search;
pub mod soundtrack;
pub mod text;

pub use error::{Error, Result};
pub use error_kind::ErrorKind;
pub use segue_index::exact::{Hit, top_k};
pub use segue_index::{Dims, EmbeddingKind, IndexError, IndexPlan, Library, Manifest, WalkMemory};
pub use segue_ingest::{
    CatalogFormat, IngestError, IngestOptions, IngestProgressReport, IngestSummary, OnDuplicate,
    ProgressCallback, RowError, ingest,
};
pub use text::EncoderOptions;

/// Repairs the library in `dir` from its Lance data, the system of record: restores a missing
/// or damaged manifest (from its backup copy, or rebuilt from Lance), then publishes a new
/// version with the same tracks whose vector files, graphs and text index are all rebuilt.
pub fn repair(dir: &std::path::Path) -> Result<segue_index::writer::RepairReport> {
    Ok(segue_index::LibraryWriter::repair(dir, None)?)
}

/// The layered crates, for callers that need more than the facade.
pub use segue_fixtures as fixtures;
pub use segue_index as index;
pub use segue_ingest as ingest_crate;
pub use segue_models as models;
pub use segue_query as query;
pub use segue_segment as segment;
pub use segue_train as train_crate;
