//! ONNX Runtime for the policy: the one runtime of the process, loaded by `segue-models` (its
//! search order: an explicit path, `ORT_DYLIB_PATH`, then `.ort/onnxruntime/capi/` where
//! `scripts/bootstrap` installs it), so every model Segue runs shares one library and one
//! environment.

use std::path::{Path, PathBuf};

use ort::session::Session;

use crate::error::QueryError;

/// Loads ONNX Runtime (once per process) and returns the library file in use; `explicit` only
/// matters for the first call.
pub fn environment(explicit: Option<&Path>) -> Result<PathBuf, QueryError> {
    segue_models::runtime::init_runtime(explicit).map_err(|e| QueryError::Onnx {
        path: explicit.map_or_else(PathBuf::new, Path::to_path_buf),
        reason: e.to_string(),
    })
}

/// Opens a model with `threads` intra-op threads (0: ONNX Runtime's default). One session is
/// meant to be built once and reused for every step.
pub fn open_session(path: &Path, threads: usize) -> Result<Session, QueryError> {
    segue_models::runtime::open_session(path, "policy", threads).map_err(|e| QueryError::Onnx {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
