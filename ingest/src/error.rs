//! The one error type of `segue-ingest`.

use std::fmt;
use std::path::PathBuf;

use segue_index::IndexError;

/// Where in a catalogue a bad value sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based data row (the header is not counted).
    pub row: u64,
    /// Column or field name.
    pub field: String,
    pub reason: String,
    /// The row's track id, when it could be read.
    pub track_id: Option<String>,
}

impl RowError {
    pub fn new(row: u64, field: impl Into<String>, reason: impl Into<String>) -> Self {
        RowError {
            row,
            field: field.into(),
            reason: reason.into(),
            track_id: None,
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}, field {}: {}", self.row, self.field, self.reason)
    }
}

/// Errors of an ingest. Nothing is published when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// One row of a catalogue (or of an embedding file) is unusable.
    #[error("{file}: {error}")]
    BadRow { file: PathBuf, error: RowError },

    /// The file as a whole is unusable (empty, truncated, wrong column type, missing column...).
    #[error("{file}: {reason}")]
    BadFile { file: PathBuf, reason: String },

    /// Options that contradict each other or the library.
    #[error("{0}")]
    InvalidOptions(String),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    Index(#[from] IndexError),

    /// An encoder could not be loaded or failed as a whole (not one track's audio).
    #[error(transparent)]
    Model(#[from] segue_models::ModelError),

    /// The progress callback asked to stop; nothing was published.
    #[error("the ingest was cancelled; nothing was published")]
    Cancelled,
}

impl IngestError {
    pub fn bad_file(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        IngestError::BadFile {
            file: file.into(),
            reason: reason.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IngestError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// What a source yields per row: a record, a bad row (recoverable with `--skip-bad-rows`), or a
/// fatal error that ends the ingest.
#[derive(Debug)]
pub enum SourceItem {
    Record(Box<crate::record::TrackRecord>),
    Bad(RowError),
}
