//! Names of the files and folders inside a library directory.
//!
//! ```text
//! LIBRARY/
//!   MANIFEST.json        the published version (atomically replaced)
//!   LOCK                 held by the one writer
//!   tracks.lance/        Lance dataset: the system of record, one row per track
//!   vectors/             memory-mapped embedding matrices, one file per space per version
//!   reports/             rejects files of ingests (kept, named by the manifest's history)
//! ```
//! Later components (ANN graph, text index) add folders to [`DERIVED_DIRS`]: every file in
//! them that the manifest does not name is garbage from an interrupted write.

use crate::schema::EmbeddingKind;

pub const LANCE_DIR: &str = "tracks.lance";
pub const VECTORS_DIR: &str = "vectors";
pub const REPORTS_DIR: &str = "reports";
pub const LOCK_FILE: &str = "LOCK";

/// Folders holding version-scoped derived files, garbage-collected against the manifest.
pub const DERIVED_DIRS: &[&str] = &[VECTORS_DIR];

/// Relative path of the vector file of `kind` in library version `version`.
pub fn vector_file(kind: EmbeddingKind, version: u64) -> String {
    format!("{VECTORS_DIR}/{}.v{version:06}.f32", kind.column())
}
