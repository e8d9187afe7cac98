//! `segue-index`: the on-disk library format of Segue.
//!
//! A library is a directory holding a Lance dataset (the system of record, one row per track),
//! derived files that queries read without going through Lance (memory-mapped embedding
//! matrices; later the ANN graph and the text index), and a manifest that names the files of
//! the current version. See `ARCHITECTURE.md` at the repository root for the whole data flow.

pub mod ann;
pub mod atomic;
pub mod derived;
pub mod error;
pub mod exact;
pub mod failpoint;
pub mod filter;
#[cfg(test)]
mod fuzz;
mod huge_pages;
pub mod kernels;
pub mod lance_error;
pub mod layout;
pub mod library;
pub mod manifest;
pub mod outputs;
pub mod quantised;
pub mod runtime;
pub mod schema;
pub mod text;
pub mod vectors;
mod verify;
pub mod writer;

pub use derived::IndexPlan;
pub use error::{IndexError, Result};
pub use library::{Library, WalkMemory};
pub use manifest::{FileRef, IngestRecord, Manifest};
pub use schema::{Dims, EmbeddingKind};
pub use vectors::{VectorFile, VectorFileWriter};
pub use writer::{LibraryWriter, StagedTracks, VersionChange};

/// Re-exported so downstream crates build batches with the same Arrow version Lance uses.
pub use arrow_array;
pub use arrow_schema;
