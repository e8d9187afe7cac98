//! The one error type of `segue-render`.

use std::path::PathBuf;

pub type Result<T, E = RenderError> = std::result::Result<T, E>;

/// Everything that can stop a render. Each names the clip's track and file where there is one.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The plan cannot be played as it is.
    #[error("bad plan: {0}")]
    BadPlan(String),

    /// A clip's audio file is not there.
    #[error("track {track_id}: audio file {} does not exist", path.display())]
    MissingAudio { track_id: String, path: PathBuf },

    /// A clip's audio file could not be decoded.
    #[error("track {track_id}: {source}")]
    Decode {
        track_id: String,
        #[source]
        source: segue_models::ModelError,
    },

    /// A clip starts beyond the end of its track's audio.
    #[error(
        "track {track_id}: the clip starts at {source_in:.3} s but {} is only {length:.3} s long",
        path.display()
    )]
    ClipBeyondAudio {
        track_id: String,
        path: PathBuf,
        source_in: f64,
        length: f64,
    },

    /// The output's extension is not one we write.
    #[error("{}: write .wav or .flac", path.display())]
    UnsupportedOutput { path: PathBuf },

    /// Encoding or writing the output failed.
    #[error("{}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
}
