//! ONNX Runtime for the policy: loaded once per process from a shared library (`ort`'s
//! `load-dynamic`), the same search order as `segue-models` (which this crate must not depend
//! on): an explicit path, `ORT_DYLIB_PATH` (set by the workspace's `.cargo/config.toml`), then
//! `.ort/onnxruntime/capi/` under the workspace this crate was built from and under the
//! current directory. `ort` keeps one library per process, so whichever crate loads it first
//! wins and the other reuses it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::error::QueryError;

/// The ONNX Runtime release `scripts/bootstrap` installs.
pub const ORT_LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";
const BOOTSTRAP_DIR: &str = ".ort/onnxruntime/capi";

static ENV: OnceLock<Environment> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

fn candidates(explicit: Option<&Path>) -> (Vec<PathBuf>, bool) {
    let mut out = Vec::new();
    out.extend(explicit.map(Path::to_path_buf));
    let env = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty());
    let named = explicit.is_some() || env.is_some();
    out.extend(env.map(PathBuf::from));
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for root in [workspace, PathBuf::from(".")] {
        out.push(root.join(BOOTSTRAP_DIR).join(ORT_LIBRARY_FILE));
    }
    (out, named)
}

/// Loads ONNX Runtime (once per process); `explicit` only matters for the first call.
pub fn environment(explicit: Option<&Path>) -> Result<&'static Environment, QueryError> {
    if let Some(e) = ENV.get() {
        return Ok(e);
    }
    let _guard = LOADING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = ENV.get() {
        return Ok(e);
    }
    let (cands, named) = candidates(explicit);
    // A named library that is missing is an error, not a reason to use another copy.
    let path = if named {
        cands[0].clone()
    } else {
        cands
            .iter()
            .find(|p| p.is_file())
            .unwrap_or(&cands[0])
            .clone()
    };
    let fail = |reason: String| QueryError::Onnx {
        path: path.clone(),
        reason: format!("cannot load ONNX Runtime: {reason}"),
    };
    if !path.is_file() {
        let looked: Vec<String> = cands.iter().map(|p| p.display().to_string()).collect();
        return Err(fail(format!(
            "no such file (looked in: {})",
            looked.join(", ")
        )));
    }
    let builder = ort::init_from(&path).map_err(|e| fail(e.to_string()))?;
    let env = builder
        .with_name("segue-policy")
        .with_telemetry(false)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    Ok(ENV.get_or_init(|| env))
}

/// Opens a model with `threads` intra-op threads (0: ONNX Runtime's default). One session is
/// meant to be built once and reused for every step.
pub fn open_session(path: &Path, threads: usize) -> Result<Session, QueryError> {
    let env = environment(None)?;
    let invalid = |e: String| QueryError::Onnx {
        path: path.to_path_buf(),
        reason: e,
    };
    if !path.is_file() {
        return Err(QueryError::Onnx {
            path: path.to_path_buf(),
            reason: "no such file".into(),
        });
    }
    Session::builder(env)
        .map_err(|e| invalid(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| invalid(e.to_string()))?
        .with_intra_threads(threads)
        .map_err(|e| invalid(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| invalid(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| invalid(e.to_string()))
}
