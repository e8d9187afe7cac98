//! ONNX Runtime, loaded once per process from a shared library (`ort`'s `load-dynamic`), and
//! the session settings every model here uses.
//!
//! The library is looked for, in order: the path given to [`init_runtime`], the `ORT_DYLIB_PATH`
//! environment variable (set by the workspace's `.cargo/config.toml` for `cargo run`/`cargo test`),
//! then `.ort/onnxruntime/capi/` (where `scripts/bootstrap` installs it) under the workspace this
//! crate was built from and under the current directory.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::error::{ModelError, Result};

/// The ONNX Runtime release `scripts/bootstrap` installs (and `ort` rc.15's API level).
pub const ORT_LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";

/// Where `scripts/bootstrap` puts the runtime, relative to the workspace root.
const BOOTSTRAP_DIR: &str = ".ort/onnxruntime/capi";

struct Runtime {
    dylib: PathBuf,
    env: Environment,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Serialises the first load, so that two threads never race to `dlopen` different files.
static LOADING: Mutex<()> = Mutex::new(());

/// Candidate runtime libraries in search order, the first existing one wins.
pub fn runtime_candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = explicit {
        out.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for root in [workspace, PathBuf::from(".")] {
        out.push(root.join(BOOTSTRAP_DIR).join(ORT_LIBRARY_FILE));
    }
    out
}

/// Loads ONNX Runtime (once per process) and returns the library file in use. Later calls
/// return the library loaded first, whatever path they pass.
pub fn init_runtime(explicit: Option<&Path>) -> Result<PathBuf> {
    Ok(runtime(explicit)?.dylib.clone())
}

fn runtime(explicit: Option<&Path>) -> Result<&'static Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let _guard = LOADING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let path = choose_library(explicit)?;
    let path = path.canonicalize().map_err(|e| ModelError::io(&path, e))?;
    let builder = ort::init_from(&path).map_err(|e| ModelError::Runtime {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let env = builder
        .with_name("segue")
        .with_telemetry(false)
        .build()
        .map_err(|e| ModelError::Runtime {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    Ok(RUNTIME.get_or_init(|| Runtime { dylib: path, env }))
}

/// The runtime library to load: the first candidate that exists. An explicit path or
/// `ORT_DYLIB_PATH` that does not exist is an error, not a reason to silently fall back to
/// another copy.
fn choose_library(explicit: Option<&Path>) -> Result<PathBuf> {
    let candidates = runtime_candidates(explicit);
    let first_named =
        explicit.is_some() || std::env::var_os("ORT_DYLIB_PATH").is_some_and(|p| !p.is_empty());
    let path = if first_named {
        candidates[0].clone()
    } else {
        candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .unwrap_or_else(|| candidates[0].clone())
    };
    if !path.is_file() {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        return Err(ModelError::Runtime {
            path,
            reason: format!("no such file (looked in: {})", looked.join(", ")),
        });
    }
    Ok(path)
}

/// Opens an ONNX model with `intra_threads` threads for its operators (0 = ONNX Runtime's
/// default, one per core). Sessions are meant to be built once and reused. `what` names the
/// model in errors ("the policy", "the MiniLM model", ...).
pub fn open_session(path: &Path, what: &'static str, intra_threads: usize) -> Result<Session> {
    let rt = runtime(None)?;
    if !path.is_file() {
        return Err(ModelError::ModelMissing {
            path: path.to_path_buf(),
            hint: format!("the {what} file"),
        });
    }
    let invalid = |e: String| ModelError::invalid(path, what, e);
    Session::builder(&rt.env)
        .map_err(|e| invalid(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| invalid(e.to_string()))?
        .with_intra_threads(intra_threads)
        .map_err(|e| invalid(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| invalid(e.to_string()))?
        .commit_from_file(path)
        .map_err(|e| invalid(e.to_string()))
}

/// Checks that a session has the named inputs and outputs, so a wrong file fails at load time.
pub(crate) fn check_interface(
    session: &Session,
    path: &Path,
    what: &'static str,
    inputs: &[&str],
    outputs: &[&str],
) -> Result<()> {
    let have_in: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
    let have_out: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    for name in inputs {
        if !have_in.contains(name) {
            return Err(ModelError::invalid(
                path,
                what,
                format!("no input {name:?} (inputs: {have_in:?})"),
            ));
        }
    }
    for name in outputs {
        if !have_out.contains(name) {
            return Err(ModelError::invalid(
                path,
                what,
                format!("no output {name:?} (outputs: {have_out:?})"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_runtime_library_is_an_error_naming_it() {
        let err = choose_library(Some(Path::new("/nonexistent/libonnxruntime.so")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/libonnxruntime.so"), "{err}");
        assert!(err.contains("ORT_DYLIB_PATH"), "{err}");
    }
}
