//! Pointwise retrieval: the tracks that best match one query, with filters.
//!
//! A [`SearchRequest`] names what to look for — a vector (audio or text space), tracks to find
//! more like (and unlike), a tag/word query, or a vector and a word query together (hybrid) —
//! plus a filter, `k`, the graph's `ef` and which track fields to return. A [`Searcher`] runs it
//! against one opened library version:
//!
//! * **Vector part** ([`vector`]): the filter is compiled to a bitmap of allowed rows. When few
//!   rows pass, they are scanned exactly (cheaper than a graph walk that would have to skip
//!   most of what it visits); otherwise the HNSW graph is searched with the filter applied
//!   inside the walk, and `ef` is widened until `k` allowed hits are found, falling back to an
//!   exact scan of the allowed rows. Rows appended after the graph was built are scanned exactly
//!   and merged. So whenever at least `k` rows match the filter, `k` results come back.
//! * **Word part**: BM25 over the tantivy index, the filter applied inside the search.
//! * **Hybrid** ([`fusion`]): both lists fused by reciprocal rank fusion,
//!   `score = Σ 1 / (rrf_k + rank)`, `rrf_k = 60` by default.
//! * **More like these** ([`like`]): by the average vector (positives' mean minus half the
//!   negatives' mean) or by best score (each candidate's best similarity to a positive, pushed
//!   below every such score when a negative is closer); the query tracks never come back.

pub mod browse;
pub(crate) mod fields;
pub mod fusion;
pub mod like;
pub mod pool;
mod request;
mod searcher;
#[cfg(test)]
mod tests;
pub mod vector;

pub use browse::Sort;
pub use fields::{Field, TrackFields, track_fields};
pub use like::LikeStrategy;
pub use pool::RerankStats;
pub use request::{
    DEFAULT_K, DEFAULT_RRF_K, DPP_MAX_WALK_EF, DPP_WALK_EF_PER_POOL_TRACK_LINK, MAX_K, MAX_POOL,
    MIN_POOL, POOL_PER_RESULT, SearchRequest, VectorQuery,
};
pub use searcher::{HitRerank, SearchHit, SearchStats, Searcher, Strategy, TextEmbedder};
