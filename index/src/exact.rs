//! Exact top-k search by dot product over a memory-mapped, normalised vector file.
//!
//! The plain scalar scan: the ground truth other search paths are measured against.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::{IndexError, Result};
use crate::vectors::VectorFile;

/// One search result: a dense row number and its cosine similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub row: u64,
    pub score: f32,
}

/// Min-heap entry: the worst of the current top-k is on top. Ties broken by row (lower wins).
#[derive(PartialEq)]
struct Entry(Hit);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .score
            .total_cmp(&self.0.score)
            .then(self.0.row.cmp(&other.0.row))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    crate::kernels::dot(a, b)
}

/// The `k` rows most similar to `query` (normalised here), best first; rows for which
/// `allowed` is false are skipped.
pub fn top_k(
    vectors: &VectorFile,
    query: &[f32],
    k: usize,
    allowed: impl Fn(u64) -> bool,
) -> Result<Vec<Hit>> {
    if query.len() != vectors.dim() as usize {
        return Err(IndexError::InvalidArgument(format!(
            "query has dimension {}, the library's vectors {}",
            query.len(),
            vectors.dim()
        )));
    }
    let norm = dot(query, query).sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return Err(IndexError::InvalidArgument(
            "query vector is zero or not finite".into(),
        ));
    }
    let q: Vec<f32> = query.iter().map(|x| x / norm).collect();
    let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(k + 1);
    if k == 0 {
        return Ok(vec![]);
    }
    for row in 0..vectors.rows() {
        if !allowed(row) {
            continue;
        }
        let score = dot(&q, vectors.row(row as usize));
        let hit = Hit { row, score };
        if heap.len() < k {
            heap.push(Entry(hit));
        } else if heap
            .peek()
            .is_some_and(|w| Entry(hit).cmp(w) == Ordering::Less)
        {
            heap.pop();
            heap.push(Entry(hit));
        }
    }
    let mut hits: Vec<Hit> = heap.into_iter().map(|e| e.0).collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    Ok(hits)
}
