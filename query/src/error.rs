//! The one error type of `segue-query`.
//!
//! Bad input names where it is (file, line, video, segment, field); a bad argument names the
//! argument; I/O keeps the path. Library code returns these, it never panics on bad input.

use std::path::PathBuf;

use crate::objective::Row;
use crate::video::VideoIssue;

/// Everything that can go wrong in `segue-query`.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A video file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A video read from a file is malformed or fails validation. `line` is the 1-based line of a
    /// JSON Lines file (for a `.json` file, the parser's own line is inside `issue`).
    #[error("{}: {issue}", location(path, *line))]
    BadVideo {
        path: PathBuf,
        line: Option<u64>,
        /// Boxed to keep every `Result<_, QueryError>` small.
        issue: Box<VideoIssue>,
    },

    /// A video built in memory fails validation.
    #[error("invalid video: {0}")]
    InvalidVideo(Box<VideoIssue>),

    /// Two inputs that must share an embedding space disagree on its dimension.
    #[error("{what} has dimension {got}, expected {expected}")]
    DimensionMismatch {
        what: String,
        expected: usize,
        got: usize,
    },

    /// A row number beyond the track source.
    #[error("track row {row} is out of range: the track source has {rows} rows")]
    RowOutOfRange { row: Row, rows: u64 },

    /// A step was asked of an episode that has already terminated.
    #[error("the episode of video `{video}` is over after {steps} steps")]
    EpisodeOver { video: String, steps: usize },

    /// No valid action remains at a segment (every track filtered out and CONTINUE masked).
    #[error(
        "video `{video}` segment {segment}: no valid action (no allowed candidate track, and \
         CONTINUE is masked)"
    )]
    NoCandidates { video: String, segment: usize },

    /// Anything else the caller passed that cannot be used (weights, empty inputs, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A search request that cannot run (bad k, empty query, ...).
    #[error("invalid search: {0}")]
    InvalidRequest(String),

    /// A filter expression that does not parse or type-check, with where it went wrong.
    #[error("bad filter: {0}")]
    BadFilter(segue_index::filter::FilterError),

    /// Track ids given as examples that the library does not have.
    #[error("no such track in the library: {0}")]
    UnknownTracks(String),

    /// The request needs an embedding space the library does not have.
    #[error("the library has no {0} embeddings")]
    MissingEmbedding(String),

    /// A word/tag query on a library version without a text index.
    #[error("{0}: this library version has no text index; run `segue reindex --library {0}`")]
    NoTextIndex(String),

    /// Text (a prompt, a caption) cannot be embedded into the library's text space: the reason.
    #[error("text cannot be embedded into this library's text space: {0}")]
    NoTextEncoder(String),

    /// The text encoder failed to load or to run (the model's own error says which).
    #[error("embedding {what}: {source}")]
    Embedding {
        what: String,
        #[source]
        source: segue_models::ModelError,
    },

    /// A text query embedded by another model than the library's text embeddings.
    #[error(
        "the library's text embeddings come from {library}, the query encoder is {query}: their spaces are not comparable"
    )]
    EncoderMismatch { library: String, query: String },

    /// A policy that cannot be trained, loaded or run: bad settings, an observation layout
    /// that does not match the model, a run that cannot resume.
    #[error("policy: {0}")]
    Policy(String),

    /// An ONNX policy file that cannot be written, loaded or run (the path and why).
    #[error("ONNX policy {}: {reason}", path.display())]
    Onnx { path: PathBuf, reason: String },

    /// A training checkpoint that is corrupt, of another format version, or for another run.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },

    /// An error of the library on disk.
    #[error(transparent)]
    Index(#[from] segue_index::IndexError),
}

fn location(path: &std::path::Path, line: Option<u64>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}
