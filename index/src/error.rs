//! The one error type of `segue-index`.
//!
//! Bad input, data corruption and plain I/O are kept apart so a caller can tell "fix your
//! file" from "this library is damaged" from "the disk said no".

use std::path::PathBuf;

pub use crate::lance_error::LanceError;

/// Errors raised while reading or writing a library directory.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// An operating-system I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file we own does not hold what its header, checksum or manifest says it should.
    #[error("{path}: corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },

    /// A file written by a format this build does not understand (usually a newer Segue).
    #[error("{path}: incompatible: {reason}")]
    Incompatible { path: PathBuf, reason: String },

    /// The directory is not a Segue library (or not yet one).
    #[error("{path}: not a Segue library: {reason}")]
    NotALibrary { path: PathBuf, reason: String },

    /// Published data is intact but a file needed to open it is missing or damaged.
    #[error("{path}: damaged library: {reason}; run `segue repair --library {path}`")]
    NeedsRepair { path: PathBuf, reason: String },

    /// Another process holds the writer lock of this library.
    #[error("{path}: the library is being written by another process (lock held)")]
    Locked { path: PathBuf },

    /// A caller asked for something the library cannot do (bad argument, empty input...).
    #[error("{0}")]
    InvalidArgument(String),

    /// A vector (a query, or the vector file a graph is searched with) of another dimension
    /// than the one it is used with.
    #[error("{what} has dimension {got}, expected {expected}")]
    DimensionMismatch {
        what: String,
        expected: usize,
        got: usize,
    },

    /// A filter expression that does not parse, with where (byte position and column).
    #[error(transparent)]
    Filter(#[from] crate::filter::FilterError),

    /// A text-index query that does not parse, with the query and what is wrong with it.
    #[error("text query {query:?}: {message}")]
    TextQuery { query: String, message: String },

    /// An error reported by the Lance dataset that is the system of record.
    #[error("{path}: lance: {error}")]
    Lance { path: PathBuf, error: LanceError },

    /// An Arrow error while building or reading record batches.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Result alias for this crate.
pub type Result<T, E = IndexError> = std::result::Result<T, E>;

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        IndexError::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn lance(path: impl Into<PathBuf>, source: lance::Error) -> Self {
        IndexError::Lance {
            path: path.into(),
            error: LanceError::new(source),
        }
    }
}

/// Adds a path to `std::io::Result`s.
pub(crate) trait IoContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| IndexError::io(path, e))
    }
}
