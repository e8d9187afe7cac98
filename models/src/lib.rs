//! `segue-models`: the encoders Segue runs on the CPU through ONNX Runtime.
//!
//! * [`TextEncoder`]: all-MiniLM-L6-v2 sentence embeddings (384-d) for captions and text queries.
//! * [`AudioAnalyzer`]: decodes an audio file and computes duration, tempo, RMS energy, spectral
//!   centroid, 13 MFCCs and the musicnn (MagnaTagATune) 200-d embedding with its top tags.
//!
//! Models are found through one search order ([`paths`]); ONNX Runtime is loaded once per
//! process from a shared library ([`runtime`]). Every failure is a [`ModelError`] naming the file.

pub mod audio;
pub mod error;
pub mod paths;
pub mod runtime;
pub mod text;

pub use audio::{AudioAnalyzer, AudioAnalyzerOptions, AudioFeatures};
pub use error::{ModelError, Result};
pub use paths::{MODELS_DIR_ENV, find_model_dir};
pub use runtime::init_runtime;
pub use text::{Precision, TEXT_DIM, TextEncoder, TextEncoderOptions};
