//! HNSW parameters, checked before they reach a builder.
//!
//! hnsw_rs calls `std::process::exit` for some bad values (more than 256 connections) and
//! misbehaves silently for others (ef below k, zero threads), so every value is validated here
//! with an error that names the parameter.

use serde::{Deserialize, Serialize};

use crate::error::{IndexError, Result};

/// Which code inserts the rows into the graph. Both write the same file format and are searched
/// by the same loop; see `ann/native.rs` for why there are two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphBuilder {
    /// Our builder (`ann/native.rs`): hnswlib's algorithm over flat link arrays.
    #[default]
    Segue,
    /// hnsw_rs 0.3.5, the reference implementation named by the design; only builds with the
    /// `hnsw-rs-reference` feature can build with it (every build reads its graphs).
    HnswRs,
}

impl GraphBuilder {
    /// Manifests written before there was a choice were built by hnsw_rs.
    pub fn legacy() -> GraphBuilder {
        GraphBuilder::HnswRs
    }

    pub fn name(self) -> &'static str {
        match self {
            GraphBuilder::Segue => "segue",
            GraphBuilder::HnswRs => "hnsw_rs",
        }
    }
}

impl std::str::FromStr for GraphBuilder {
    type Err = IndexError;

    fn from_str(s: &str) -> Result<GraphBuilder> {
        match s {
            "segue" => Ok(GraphBuilder::Segue),
            "hnsw_rs" | "hnsw-rs" => Ok(GraphBuilder::HnswRs),
            other => Err(bad(format!(
                "unknown HNSW builder {other:?} (segue or hnsw_rs)"
            ))),
        }
    }
}

/// How a graph is built. Stored in the manifest with the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HnswParams {
    /// Links per node on the upper layers; layer 0 keeps `2 * m`.
    pub m: usize,
    /// Candidate list size while inserting: larger builds a better graph, slower.
    pub ef_construction: usize,
    /// Build threads (not stored: it does not change the graph's quality, only the time).
    #[serde(skip, default = "default_threads")]
    pub threads: usize,
    #[serde(default = "GraphBuilder::legacy")]
    pub builder: GraphBuilder,
}

/// Build defaults: hnswlib's customary M = 16, ef_construction = 200, the setting the benchmark
/// compares at (`benches/RESULTS.md`).
pub const DEFAULT_M: usize = 16;
pub const DEFAULT_EF_CONSTRUCTION: usize = 200;
/// Search ef for a graph that carries no tuned one (built before `ann::tune` existed). Every
/// graph built now is given the ef it needs for recall@10 >= 0.95 (`AnnInfo::search_ef`): no
/// single value does that for every library (ef 192 at 100k × 384, ef 768 at 1M × 128 on the
/// clustered fixtures).
pub const DEFAULT_EF_SEARCH: usize = 64;

const MAX_M: usize = 128;
const MAX_EF: usize = 10_000;

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: DEFAULT_M,
            ef_construction: DEFAULT_EF_CONSTRUCTION,
            threads: default_threads(),
            builder: GraphBuilder::default(),
        }
    }
}

impl HnswParams {
    pub fn validate(&self) -> Result<()> {
        if !(2..=MAX_M).contains(&self.m) {
            return Err(bad(format!(
                "HNSW m must be between 2 and {MAX_M}, got {}",
                self.m
            )));
        }
        if self.ef_construction < self.m || self.ef_construction > MAX_EF {
            return Err(bad(format!(
                "HNSW ef_construction must be between m ({}) and {MAX_EF}, got {}",
                self.m, self.ef_construction
            )));
        }
        if self.threads == 0 || self.threads > 1024 {
            return Err(bad(format!(
                "HNSW build threads must be between 1 and 1024, got {}",
                self.threads
            )));
        }
        if self.builder == GraphBuilder::HnswRs && !cfg!(feature = "hnsw-rs-reference") {
            return Err(Self::reference_builder_missing());
        }
        Ok(())
    }

    /// The error for [`GraphBuilder::HnswRs`] in a build without it.
    pub(crate) fn reference_builder_missing() -> IndexError {
        bad(
            "the hnsw_rs graph builder is not in this build of Segue; rebuild with the \
             `hnsw-rs-reference` feature of segue-index (e.g. `cargo build --features \
             segue-index/hnsw-rs-reference`) or use the segue builder"
                .into(),
        )
    }
}

/// How a query searches the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchParams {
    /// Candidate list size on layer 0; raised to `k` when smaller.
    pub ef: usize,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            ef: DEFAULT_EF_SEARCH,
        }
    }
}

impl SearchParams {
    pub fn validate(&self) -> Result<()> {
        if self.ef == 0 || self.ef > MAX_EF {
            return Err(bad(format!(
                "search ef must be between 1 and {MAX_EF}, got {}",
                self.ef
            )));
        }
        Ok(())
    }
}

fn bad(msg: String) -> IndexError {
    IndexError::InvalidArgument(msg)
}
