//! The one error type of `segue-train`.

use std::path::PathBuf;

/// Everything that can go wrong while training or exporting a policy.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Settings that cannot train (bad PPO values, no training videos, a run that cannot
    /// resume on these inputs).
    #[error("policy training: {0}")]
    Config(String),

    /// A training checkpoint that is corrupt, of another format version, or for another run.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },

    /// The ONNX policy file could not be written.
    #[error("exporting the policy to {}: {reason}", path.display())]
    Export { path: PathBuf, reason: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The objective, the sequencers or the observation refused something.
    #[error(transparent)]
    Query(#[from] segue_query::QueryError),

    /// Writing the log or a checkpoint into place failed.
    #[error(transparent)]
    Index(#[from] segue_index::IndexError),
}
