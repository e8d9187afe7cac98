//! Where the model files are: one documented search order for every encoder.
//!
//! 1. an explicit folder (the library setting, e.g. `TextEncoderOptions::models_dir` or
//!    `segue ingest --models-dir`);
//! 2. the environment variable `SEGUE_MODELS_DIR`;
//! 3. the shipped fixtures: `../shared/models` next to the workspace this crate was built from,
//!    then `../shared/models` and `shared/models` under the current directory.
//!
//! Each model lives in its own sub-folder (`minilm-l6-v2/`, `musicnn/`). The first candidate
//! folder that contains that sub-folder is used; when none does, the error lists them all.

use std::path::{Path, PathBuf};

use crate::error::{ModelError, Result};

/// The environment variable naming the models folder.
pub const MODELS_DIR_ENV: &str = "SEGUE_MODELS_DIR";

/// Candidate model folders in search order.
pub fn models_dir_candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = explicit {
        out.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(MODELS_DIR_ENV).filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
    }
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/models"));
    out.push(PathBuf::from("../shared/models"));
    out.push(PathBuf::from("shared/models"));
    out
}

/// The folder of one model (`sub`, e.g. `minilm-l6-v2`), found through the search order.
/// An explicit folder or `SEGUE_MODELS_DIR` that lacks the model is an error rather than a
/// reason to fall back to the fixtures: the caller asked for that folder.
pub fn find_model_dir(explicit: Option<&Path>, sub: &str) -> Result<PathBuf> {
    let candidates = models_dir_candidates(explicit);
    let named =
        explicit.is_some() || std::env::var_os(MODELS_DIR_ENV).is_some_and(|p| !p.is_empty());
    if named {
        let dir = candidates[0].join(sub);
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(ModelError::ModelMissing {
                path: dir,
                hint: format!(
                    "the models folder given {} has no {sub}/ sub-folder",
                    if explicit.is_some() {
                        "explicitly"
                    } else {
                        "by SEGUE_MODELS_DIR"
                    }
                ),
            })
        };
    }
    for c in &candidates {
        let dir = c.join(sub);
        if dir.is_dir() {
            return Ok(dir);
        }
    }
    let looked: Vec<String> = candidates
        .iter()
        .map(|p| p.join(sub).display().to_string())
        .collect();
    Err(ModelError::ModelMissing {
        path: PathBuf::from(sub),
        hint: format!(
            "looked in {}; set {MODELS_DIR_ENV} or pass the models folder",
            looked.join(", ")
        ),
    })
}

/// A file inside a model folder, which must exist.
pub(crate) fn model_file(dir: &Path, name: &str, what: &str) -> Result<PathBuf> {
    let p = dir.join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(ModelError::ModelMissing {
            path: p,
            hint: format!("the {what}"),
        })
    }
}
