//! Building a graph: parameters checked, then our builder or hnsw_rs fills flat arrays.

use crate::ann::native;
use crate::ann::params::{GraphBuilder, HnswParams};
use crate::error::{IndexError, Result};
use crate::quantised::QuantisedVectors;
use crate::vectors::VectorFile;

/// Marks an unused adjacency slot.
pub const NO_NODE: u32 = u32::MAX;
/// Rows per parallel batch (hnsw_rs wants ~1000 per thread to be efficient) and per progress
/// report.
const INSERT_CHUNK: usize = 8192;

/// One upper layer: the nodes on it (sorted row numbers) and their links.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpperLayer {
    pub ids: Vec<u32>,
    /// `ids.len()` records of `1 + m` u32s: link count, then links padded with [`NO_NODE`].
    pub adj: Vec<u32>,
}

/// A graph over rows `0..rows` of a vector file, as flat arrays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphData {
    pub dim: u32,
    pub rows: u32,
    pub m: u32,
    /// Links per node on layer 0 (`2 * m`).
    pub m0: u32,
    pub ef_construction: u32,
    /// Where every search starts: a node on the top layer ([`NO_NODE`] when empty).
    pub entry: u32,
    /// `rows` records of `1 + m0` u32s: link count, then links padded with [`NO_NODE`].
    pub level0: Vec<u32>,
    /// Layers 1, 2, ... (index 0 is layer 1).
    pub upper: Vec<UpperLayer>,
}

/// Builds an HNSW graph over rows `0..rows` of `vectors` with `params.builder`. `progress` is called with
/// the number of rows inserted so far.
pub fn build_graph(
    vectors: &VectorFile,
    rows: u64,
    params: &HnswParams,
    progress: &dyn Fn(u64),
) -> Result<GraphData> {
    build_graph_walking(vectors, None, rows, params, progress)
}

/// [`build_graph`], with our builder's inserts walking the graph on `quantised` (the int8 copy
/// of `vectors`) when given: each insert's candidates are found with a quarter of the memory
/// traffic, and its links still chosen among them on f32 similarities. hnsw_rs walks on f32
/// regardless.
pub fn build_graph_walking(
    vectors: &VectorFile,
    quantised: Option<&QuantisedVectors>,
    rows: u64,
    params: &HnswParams,
    progress: &dyn Fn(u64),
) -> Result<GraphData> {
    params.validate()?;
    if rows > vectors.rows() {
        return Err(IndexError::InvalidArgument(format!(
            "cannot index {rows} rows: {} has {}",
            vectors.path().display(),
            vectors.rows()
        )));
    }
    if rows >= u64::from(NO_NODE) {
        return Err(IndexError::InvalidArgument(format!(
            "an HNSW graph holds at most {} rows, asked for {rows}",
            NO_NODE - 1
        )));
    }
    if let Some(q8) = quantised
        && (q8.dim() != vectors.dim() || q8.rows() < rows)
    {
        return Err(IndexError::InvalidArgument(format!(
            "{} (dim {}, {} rows) is not an int8 copy of the {rows} rows of dimension {} to index",
            q8.path().display(),
            q8.dim(),
            q8.rows(),
            vectors.dim()
        )));
    }
    // Every insert reads rows at random over the whole file (the int8 copy's file was
    // advised when it was opened).
    vectors.advise_huge_pages();
    let n = rows as usize;
    let m = params.m;
    let m0 = 2 * m;
    let empty = GraphData {
        dim: vectors.dim(),
        rows: rows as u32,
        m: m as u32,
        m0: m0 as u32,
        ef_construction: params.ef_construction as u32,
        entry: NO_NODE,
        level0: vec![],
        upper: vec![],
    };
    if n == 0 {
        return Ok(empty);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(params.threads)
        .build()
        .map_err(|e| IndexError::InvalidArgument(format!("cannot start build threads: {e}")))?;
    match params.builder {
        GraphBuilder::Segue => Ok(native::build(
            vectors.as_slice(),
            quantised,
            empty,
            params.threads,
            &pool,
            INSERT_CHUNK,
            progress,
        )),
        #[cfg(feature = "hnsw-rs-reference")]
        GraphBuilder::HnswRs => crate::ann::via_hnsw_rs::build(
            vectors,
            empty,
            params.threads,
            &pool,
            INSERT_CHUNK,
            progress,
        ),
        // Refused by `params.validate()` above.
        #[cfg(not(feature = "hnsw-rs-reference"))]
        GraphBuilder::HnswRs => Err(HnswParams::reference_builder_missing()),
    }
}
