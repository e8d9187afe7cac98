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

/// The rows an exact scan looks at.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Every row of the vector file.
    All,
    /// Rows `start..end` (e.g. rows appended after the graph was built).
    Range(u64, u64),
    /// Exactly these rows (a compiled filter).
    Set(&'a roaring::RoaringBitmap),
}

/// Scans larger than this many vector elements are split across threads.
const PARALLEL_SCAN_ELEMENTS: usize = 1 << 21;

/// Exact top-k by dot product with an already-normalised `query` over `rows`, best first, ties
/// by lower row. Large scans use up to `threads` threads (each keeps its own top-k; the lists
/// are merged), because a million-row scan is memory-bound and a second core nearly halves it.
pub fn top_k_normalised(
    vectors: &VectorFile,
    query: &[f32],
    k: usize,
    rows: Rows<'_>,
    threads: usize,
) -> Vec<Hit> {
    if k == 0 || query.len() != vectors.dim() as usize {
        return vec![];
    }
    let n_rows = vectors.rows();
    let dim = vectors.dim() as usize;
    let kernel = crate::kernels::selected();
    let data = vectors.as_slice();
    let score = |row: u64| {
        let s = row as usize * dim;
        kernel.dot(query, &data[s..s + dim])
    };
    let scan = |iter: &mut dyn Iterator<Item = u64>| -> Vec<Hit> {
        let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(k + 1);
        for row in iter {
            let hit = Hit {
                row,
                score: score(row),
            };
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
        heap.into_iter().map(|e| e.0).collect()
    };
    let count = match rows {
        Rows::All => n_rows,
        Rows::Range(a, b) => b.min(n_rows).saturating_sub(a),
        Rows::Set(set) => set.len(),
    } as usize;
    let threads = if count.saturating_mul(dim) >= PARALLEL_SCAN_ELEMENTS {
        threads.clamp(1, 64)
    } else {
        1
    };
    let mut hits: Vec<Hit> = match rows {
        Rows::All | Rows::Range(..) => {
            let (a, b) = match rows {
                Rows::Range(a, b) => (a.min(n_rows), b.min(n_rows)),
                _ => (0, n_rows),
            };
            let chunk = (b - a).div_ceil(threads as u64).max(1);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads as u64)
                    .map(|t| {
                        let lo = (a + t * chunk).min(b);
                        let hi = (lo + chunk).min(b);
                        let scan = &scan;
                        s.spawn(move || scan(&mut (lo..hi)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        }
        Rows::Set(set) => {
            if threads == 1 {
                scan(&mut set.iter().map(u64::from).filter(|&r| r < n_rows))
            } else {
                let all: Vec<u32> = set.iter().collect();
                let chunk = all.len().div_ceil(threads).max(1);
                std::thread::scope(|s| {
                    let handles: Vec<_> = all
                        .chunks(chunk)
                        .map(|part| {
                            let scan = &scan;
                            s.spawn(move || {
                                scan(
                                    &mut part.iter().map(|&r| u64::from(r)).filter(|&r| r < n_rows),
                                )
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .flat_map(|h| h.join().unwrap_or_default())
                        .collect()
                })
            }
        }
    };
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    hits.truncate(k);
    hits
}

/// `query` scaled to unit length; errors if its dimension is wrong or it is zero or not finite.
pub fn normalise_query(query: &[f32], dim: u32) -> Result<Vec<f32>> {
    if query.len() != dim as usize {
        return Err(IndexError::InvalidArgument(format!(
            "query has dimension {}, the library's vectors {dim}",
            query.len()
        )));
    }
    if query.iter().any(|x| !x.is_finite()) {
        return Err(IndexError::InvalidArgument(
            "query vector has NaN or infinite values".into(),
        ));
    }
    let norm = query
        .iter()
        .map(|x| f64::from(*x).powi(2))
        .sum::<f64>()
        .sqrt();
    if norm <= 0.0 {
        return Err(IndexError::InvalidArgument("query vector is zero".into()));
    }
    Ok(query
        .iter()
        .map(|x| (f64::from(*x) / norm) as f32)
        .collect())
}
