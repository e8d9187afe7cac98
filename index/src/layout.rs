//! Names of the files and folders inside a library directory.
//!
//! ```text
//! LIBRARY/
//!   MANIFEST.json        the published version (atomically replaced)
//!   MANIFEST.backup.json its copy, replaced after it (what `segue repair` restores from)
//!   FIRST_PUBLISH        only while the first version is being published
//!   LOCK                 held by the one writer
//!   tracks.lance/        Lance dataset: the system of record, one row per track
//!   vectors/             memory-mapped embedding matrices, one file per space per version
//!   ann/                 HNSW graphs, one file per space per version that built one
//!   text/                tantivy indexes, one folder per version that built one
//!   attachments/         named documents stored with a version (e.g. the fitted soundtrack
//!                        model), carried over by later versions until replaced
//!   reports/             rejects files of ingests (kept, named by the manifest's history)
//! ```
//! Every file in the [`DERIVED_DIRS`] that the manifest does not name is garbage from an
//! interrupted write or an older version.

use crate::schema::EmbeddingKind;

pub const LANCE_DIR: &str = "tracks.lance";
pub const VECTORS_DIR: &str = "vectors";
pub const REPORTS_DIR: &str = "reports";
pub const ANN_DIR: &str = "ann";
pub const TEXT_DIR: &str = "text";
pub const ATTACHMENTS_DIR: &str = "attachments";
pub const LOCK_FILE: &str = "LOCK";
/// Present only while a library's first version is being published (see the writer).
pub const FIRST_PUBLISH_FILE: &str = "FIRST_PUBLISH";

/// Folders holding version-scoped derived files, garbage-collected against the manifest.
pub const DERIVED_DIRS: &[&str] = &[VECTORS_DIR, ANN_DIR, TEXT_DIR, ATTACHMENTS_DIR];

/// Relative path of the vector file of `kind` in library version `version`.
pub fn vector_file(kind: EmbeddingKind, version: u64) -> String {
    format!("{VECTORS_DIR}/{}.v{version:06}.f32", kind.column())
}

/// Relative path of the int8 copy of `kind`'s vectors in library version `version`.
pub fn quantised_file(kind: EmbeddingKind, version: u64) -> String {
    format!("{VECTORS_DIR}/{}.v{version:06}.i8", kind.column())
}

/// Relative path of the HNSW graph of `kind` built in library version `version`.
pub fn ann_file(kind: EmbeddingKind, version: u64) -> String {
    format!("{ANN_DIR}/{}.v{version:06}.hnsw", kind.column())
}

/// Relative path of the text index folder built in library version `version`.
pub fn text_dir(version: u64) -> String {
    format!("{TEXT_DIR}/v{version:06}")
}

/// Relative path of attachment `name` written in library version `version`.
pub fn attachment_file(name: &str, version: u64) -> String {
    format!("{ATTACHMENTS_DIR}/{name}.v{version:06}.json")
}
