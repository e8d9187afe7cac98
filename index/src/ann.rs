//! Approximate nearest-neighbour search: an HNSW graph per embedding space, versioned with the
//! library.
//!
//! The graph is *built* by our own insert loop (`native`, hnswlib's algorithm; hnsw_rs with our
//! SIMD dot-product kernels as its distance is the selectable reference) and written as a
//! compact, read-only file of our own format that queries memory-map and search
//! with our own search loop. Why not search hnsw_rs's structure directly: its graph is a web of
//! `Arc`s behind read-write locks, its native dump is native-endian and needs a full reload
//! (deserialising every point) before the first query, and its search path allocates per query.
//! Our file opens in microseconds, needs no memory beyond the page cache, and the search loop
//! walks flat `u32` adjacency arrays with prefetching. See `ARCHITECTURE.md`.
//!
//! * [`params`] — build and search parameters, validated before hnsw_rs sees them (it exits the
//!   process on some bad values).
//! * [`build`] — checks the parameters and runs a builder over rows `0..n` of a vector file.
//! * [`native`] — our builder; `via_hnsw_rs` — hnsw_rs's, with the graph copied out (only with
//!   the `hnsw-rs-reference` feature: hnsw_rs and its dependencies stay out of other builds).
//! * [`format`](mod@format) — the on-disk file (`ann/<space>.vNNNNNN.hnsw`).
//! * [`graph`] — the memory-mapped graph and its (optionally filtered) search.
//! * [`walk`] — the layer-0 walk, its effort and budget, and how it crosses a filter's
//!   rejected rows (through them, or ACORN's two hops), from seeds among the allowed rows.
//! * [`row_bits`] — a filter's rows as a flat bit array, for the walk's membership tests.
//! * [`tune`] — the search ef a graph needs for recall@10 >= 0.95, measured when it is built.

pub mod build;
pub mod format;
pub mod graph;
pub mod native;
pub mod params;
pub mod row_bits;
mod scored;
pub mod tune;
#[cfg(feature = "hnsw-rs-reference")]
pub mod via_hnsw_rs;
mod visited;
pub mod walk;

#[cfg(test)]
mod tests;

pub use build::{GraphData, build_graph, build_graph_walking};
pub use graph::AnnGraph;
pub use params::{GraphBuilder, HnswParams, SearchParams};
pub use row_bits::RowBits;
pub use walk::{Budget, Crossing, Effort, WalkFilter};
