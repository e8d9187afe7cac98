//! The one error type of `segue-models`.

use std::path::PathBuf;

/// Errors of the encoders. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The ONNX Runtime shared library could not be found or loaded.
    #[error(
        "ONNX Runtime is not available ({path}): {reason}; run scripts/bootstrap or set ORT_DYLIB_PATH to libonnxruntime.so"
    )]
    Runtime { path: PathBuf, reason: String },

    /// A model file (or the folder that should hold it) does not exist.
    #[error("model file {path} not found ({hint})")]
    ModelMissing { path: PathBuf, hint: String },

    /// A file exists but is not the model we expect (not ONNX, wrong inputs or outputs).
    #[error("{path} is not a usable {what}: {reason}")]
    ModelInvalid {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },

    /// A model that failed to load earlier, asked for again (the first failure is the cause).
    #[error("the {model} encoder could not be loaded: {cause}")]
    Unavailable {
        model: String,
        #[source]
        cause: std::sync::Arc<ModelError>,
    },

    /// Running a model failed.
    #[error("inference with {model} failed: {reason}")]
    Inference { model: String, reason: String },

    /// The audio file cannot be read as audio (corrupt, truncated, not audio).
    #[error("{path}: cannot decode audio: {reason}")]
    AudioDecode { path: PathBuf, reason: String },

    /// The container or codec is not one we decode (WAV, FLAC, MP3, OGG Vorbis).
    #[error("{path}: unsupported audio: {reason}")]
    AudioUnsupported { path: PathBuf, reason: String },

    /// The file decodes to no samples at all.
    #[error("{path}: the audio is empty (no samples)")]
    AudioEmpty { path: PathBuf },

    /// An argument out of range (thread count, batch size, sample rate).
    #[error("{0}")]
    InvalidArgument(String),

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(
        path: impl Into<PathBuf>,
        what: &'static str,
        reason: impl ToString,
    ) -> Self {
        ModelError::ModelInvalid {
            path: path.into(),
            what,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn inference(model: impl Into<String>, reason: impl ToString) -> Self {
        ModelError::Inference {
            model: model.into(),
            reason: reason.to_string(),
        }
    }
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;
