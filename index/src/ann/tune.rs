//! The search ef a graph needs, measured on the graph itself right after it is built.
//!
//! Why not one fixed default: the ef that reaches a given recall grows with the number of rows
//! and with how spread out the vectors are. On the clustered fixtures, recall@10 >= 0.95 took
//! ef 192 at 100k × 384 but ef 768 at 1M × 128 (`benches/RESULTS.md`); a fixed 64 gave 0.82
//! and 0.56. A default that is right for one library is either slow or wrong for the other, so
//! each graph carries its own, stored in the manifest beside the build parameters.
//!
//! How: a fixed sample of the graph's own rows is searched, each row left out of its own
//! results and of the exact answer (leave-one-out), at growing ef until the mean recall@10
//! reaches [`TARGET_RECALL`]. A row that is in the graph is an easier query than a new one
//! (the walk can end on it and its links are its neighbours), so the target is above the 0.95
//! that users are promised; the benchmark checks the tuned ef against held-out queries.

use crate::ann::graph::AnnGraph;
use crate::error::Result;
use crate::exact::{Rows, top_k_normalised};
use crate::vectors::VectorFile;

/// Leave-one-out recall@10 the tuned ef must reach.
pub const TARGET_RECALL: f64 = 0.98;
/// Rows searched (fewer if the graph is smaller).
const SAMPLE: u64 = 200;
const K: usize = 10;
/// The ef values tried, in order; the last is used if none reaches the target.
const LADDER: &[usize] = &[
    32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
];

/// The smallest ef of the ladder of candidates at which `graph` (over the first `graph.rows()` rows of
/// `vectors`) reaches [`TARGET_RECALL`] on its own rows; `threads` for the exact scans.
pub fn tune_search_ef(graph: &AnnGraph, vectors: &VectorFile, threads: usize) -> Result<usize> {
    let rows = graph.rows();
    if rows <= K as u64 + 1 {
        return Ok(LADDER[0]);
    }
    let step = (rows / SAMPLE).max(1);
    let sample: Vec<u64> = (0..rows)
        .step_by(step as usize)
        .take(SAMPLE as usize)
        .collect();
    let others = |hits: Vec<crate::exact::Hit>, me: u64| -> Vec<u64> {
        hits.into_iter()
            .map(|h| h.row)
            .filter(|&r| r != me)
            .take(K)
            .collect()
    };
    let truth: Vec<Vec<u64>> = sample
        .iter()
        .map(|&r| {
            let q = vectors.row(r as usize);
            let hits = top_k_normalised(vectors, q, K + 1, Rows::Range(0, rows), threads)?;
            Ok(others(hits, r))
        })
        .collect::<Result<_>>()?;
    for &ef in LADDER {
        let (mut found, mut all) = (0usize, 0usize);
        for (&r, want) in sample.iter().zip(&truth) {
            let got = others(
                graph.search(vectors, vectors.row(r as usize), K + 1, ef, None)?,
                r,
            );
            found += want.iter().filter(|w| got.contains(w)).count();
            all += want.len();
        }
        if found as f64 >= TARGET_RECALL * all.max(1) as f64 {
            return Ok(ef);
        }
    }
    Ok(LADDER[LADDER.len() - 1])
}
