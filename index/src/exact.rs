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

/// The `k` rows most similar to the raw `query` (normalised here) among all rows, best first:
/// [`top_k_normalised`] for a caller holding a vector as given.
pub fn top_k(vectors: &VectorFile, query: &[f32], k: usize) -> Result<Vec<Hit>> {
    let q = normalise_query(query, vectors.dim())?;
    top_k_normalised(vectors, &q, k, Rows::All, 1)
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
/// A query of another dimension than the vectors' is an error.
pub fn top_k_normalised(
    vectors: &VectorFile,
    query: &[f32],
    k: usize,
    rows: Rows<'_>,
    threads: usize,
) -> Result<Vec<Hit>> {
    check_query_dim(query, vectors.dim())?;
    if k == 0 {
        return Ok(vec![]);
    }
    let dim = vectors.dim() as usize;
    let n_rows = vectors.rows();
    let count = count_rows(rows, n_rows);
    let threads = scan_threads(count, dim, threads);
    let kernel = crate::kernels::selected();
    let data = vectors.as_slice();
    let row = |r: u64| &data[r as usize * dim..(r as usize + 1) * dim];
    Ok(scan(
        rows,
        n_rows,
        k,
        threads,
        |r| kernel.dot(query, row(r)),
        |r| crate::kernels::prefetch_row(row(r)),
    ))
}

/// Threads for a scan of `count` rows of `dim` elements: up to `threads` for large scans, one
/// for small ones (starting threads would cost more than they save).
pub(crate) fn scan_threads(count: usize, dim: usize, threads: usize) -> usize {
    if count.saturating_mul(dim) >= PARALLEL_SCAN_ELEMENTS {
        threads.clamp(1, 64)
    } else {
        1
    }
}

/// The rows of `rows` below `n_rows`.
pub(crate) fn count_rows(rows: Rows<'_>, n_rows: u64) -> usize {
    (match rows {
        Rows::All => n_rows,
        Rows::Range(a, b) => b.min(n_rows).saturating_sub(a),
        Rows::Set(set) => set.len(),
    }) as usize
}

/// Rows of a set a scan asks memory for before it scores them. A set's rows lie apart in the
/// file, in strides the hardware prefetcher does not follow, so each row would wait for memory
/// in turn; asking ahead keeps this many loads in flight.
const SET_ROWS_AHEAD: usize = 16;

/// `rows`, each announced to `prefetch` [`SET_ROWS_AHEAD`] rows before it is yielded.
fn prefetching_ahead(
    mut rows: impl Iterator<Item = u64>,
    prefetch: impl Fn(u64),
) -> impl Iterator<Item = u64> {
    let mut ahead = std::collections::VecDeque::with_capacity(SET_ROWS_AHEAD);
    std::iter::from_fn(move || {
        while ahead.len() < SET_ROWS_AHEAD {
            let Some(row) = rows.next() else { break };
            prefetch(row);
            ahead.push_back(row);
        }
        ahead.pop_front()
    })
}

/// The scan behind [`top_k_normalised`]: the `k` best of `rows` (those below `n_rows`) by
/// `score`, on `threads` threads. `prefetch` starts loading what `score` of a row will read:
/// a set's rows are asked for ahead of their scores ([`SET_ROWS_AHEAD`]); ranges are read in
/// order, which the hardware prefetcher follows.
pub(crate) fn scan(
    rows: Rows<'_>,
    n_rows: u64,
    k: usize,
    threads: usize,
    score: impl Fn(u64) -> f32 + Sync,
    prefetch: impl Fn(u64) + Sync,
) -> Vec<Hit> {
    let (score, prefetch) = (&score, &prefetch);
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
                        s.spawn(move || best(lo..hi, k, score))
                    })
                    .collect();
                join_all(handles)
            })
        }
        Rows::Set(set) if threads == 1 => {
            let rows = set.iter().map(u64::from).filter(|&r| r < n_rows);
            best(prefetching_ahead(rows, prefetch), k, score)
        }
        Rows::Set(set) => {
            let all: Vec<u32> = set.iter().collect();
            let chunk = all.len().div_ceil(threads).max(1);
            std::thread::scope(|s| {
                let handles: Vec<_> = all
                    .chunks(chunk)
                    .map(|part| {
                        s.spawn(move || {
                            let rows = part.iter().map(|&r| u64::from(r)).filter(|&r| r < n_rows);
                            best(prefetching_ahead(rows, prefetch), k, score)
                        })
                    })
                    .collect();
                join_all(handles)
            })
        }
    };
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    hits.truncate(k);
    hits
}

/// The `k` best rows of `rows` by `score`, unordered.
fn best(rows: impl Iterator<Item = u64>, k: usize, score: impl Fn(u64) -> f32) -> Vec<Hit> {
    let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(k + 1);
    for row in rows {
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
}

/// Every worker's hits. A worker that panicked re-raises its panic here: dropping its part
/// would return a plausible but wrong top-k, and this scan is the ground truth.
fn join_all(handles: Vec<std::thread::ScopedJoinHandle<'_, Vec<Hit>>>) -> Vec<Hit> {
    let mut out = Vec::new();
    for h in handles {
        match h.join() {
            Ok(hits) => out.extend(hits),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    out
}

/// An error unless `query` has the vectors' dimension `dim`.
pub(crate) fn check_query_dim(query: &[f32], dim: u32) -> Result<()> {
    if query.len() == dim as usize {
        Ok(())
    } else {
        Err(IndexError::DimensionMismatch {
            what: "query vector".into(),
            got: query.len(),
            expected: dim as usize,
        })
    }
}

/// `query` scaled to unit length; errors if its dimension is wrong or it is zero or not finite.
pub fn normalise_query(query: &[f32], dim: u32) -> Result<Vec<f32>> {
    check_query_dim(query, dim)?;
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

#[cfg(test)]
mod tests;
