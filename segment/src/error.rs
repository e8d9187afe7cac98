//! The one error type of `segue-segment`.

use std::path::PathBuf;

/// Everything that can go wrong while segmenting a video or a feature sequence.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The `ffmpeg`/`ffprobe` programs are not installed (or not runnable).
    #[error(
        "{program} is not available ({reason}): install the Debian package ffmpeg \
         (`apt-get install ffmpeg`, or run scripts/bootstrap), or put it on PATH"
    )]
    FfmpegMissing { program: String, reason: String },

    /// A video file that cannot be read as video: missing, corrupt, no video stream.
    #[error("{}: {reason}", path.display())]
    BadVideo { path: PathBuf, reason: String },

    /// A subtitle or caption file with a bad entry (the 1-based line where it is, if known).
    #[error("{}{}: {reason}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    BadCaptions {
        path: PathBuf,
        line: Option<usize>,
        reason: String,
    },

    /// A feature-sequence file that is not a 2-D array of finite floats.
    #[error("{}: {reason}", path.display())]
    BadFeatures { path: PathBuf, reason: String },

    /// An argument out of range (minimum length, penalty, frame rate, ...).
    #[error("{0}")]
    InvalidArgument(String),

    /// A file that could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SegmentError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SegmentError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_video(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        SegmentError::BadVideo {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
